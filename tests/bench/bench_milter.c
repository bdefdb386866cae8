/*
 * bench_milter - a milter-protocol load driver: the MTA side of many
 * concurrent SMTP sessions, spoken with the project's own mproto and
 * sockspec modules.
 *
 *   bench_milter -s SOCKET [-c CONCURRENCY] [-n SESSIONS] [-t SECONDS]
 *                [-k RCPTS] [-H HEADERS] [-b BODY_BYTES] [-S] [-L LABEL]
 *                [-w PID[,PID...]] [-o HOLD_MS] [-q] [-u] [-T IO_MS]
 *                [-y FILE]
 *
 * One thread per concurrency slot; each runs sessions one after the other
 * until SESSIONS sessions have been started or SECONDS have passed:
 *
 *   full (default)  OPTNEG, connect, HELO, MAIL, K x RCPT, DATA,
 *                   H x header, end of headers, body, end of message, QUIT
 *   short (-S)      OPTNEG, connect, HELO, MAIL, K x RCPT, ABORT, QUIT:
 *                   what an MTA sends when every recipient was refused
 *
 * It behaves as an MTA (Postfix 3.7) does: it offers every protocol
 * option, then honours what the milter negotiated (steps it does not
 * want are not sent, steps it does not answer are not waited for); it
 * sends Postfix's default macros before each step, or those of the
 * milter's own macro lists (SMFIF_SETSYMLIST); if the milter refuses MAIL
 * or every recipient, the message goes no further (ABORT, QUIT).
 *
 * mproto_write writes a packet's head and data separately; around each
 * step (its macros, then the command) the socket is corked (TCP_CORK), so
 * that the step leaves in one TCP segment as from an MTA's buffered
 * stream; -u leaves that out (a segment per write; TCP_NODELAY is on).
 *
 * Latency of a stage: from the first byte of the command (its macros
 * included) to the milter's final answer; "optneg" includes the TCP
 * connect, "quit" is from QUIT to the milter closing the connection,
 * "session" is the whole session. The report gives sessions per second
 * (completed sessions / wall time from the first start to the last end)
 * and p50/p99 per stage, then one machine-readable line:
 *
 *   RESULT label=L conc=C sessions=N errors=E secs=S sps=X rcpt_rejects=R
 *
 * -w PID prints that process's VmRSS/VmHWM (from /proc/PID/status) at the
 * end. -o HOLD_MS: hold mode, one session per slot: each stops after its
 * recipients until every slot got there, then PID's memory is printed
 * ("HELD ..."), HOLD_MS later the sessions finish.
 *
 * Every session is one message, and ends one way, counted in the line
 *
 *   MESSAGES label=L started=N accepted=A rejected=R tempfailed=T
 *            discarded=D failed=F max_session_ms=M
 *
 * accepted: the milter let it through (or accepted it outright);
 * rejected / tempfailed: a 5xx / 4xx answer at some step (every
 * recipient refused counts as the last refusal's class); failed: the
 * session broke (protocol error, timeout, closed). started is always
 * the sum of the others: a message is never unaccounted for.
 * -T IO_MS bounds each read and write (default 30000); -y FILE appends
 * every reply-code answer ('y') to FILE, one a line, as mtadriver prints
 * it ("y " and the text made printable), for tests/tools/replycheck.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "proxy/mproto.h"
#include "proxy/sockspec.h"

#define IO_MS      30000 /* one read or write, unless -T */
#define BODY_CHUNK 65535 /* Postfix's largest body packet */
#define MAX_RCPTS  1000
#define MAX_HDRS   64

/* What Postfix 3.7 offers (milter8.c): every step may be skipped, every
 * answer may be left out. */
#define OFFER_PROTO                                                            \
	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |        \
	 SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NR_HDR |            \
	 SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP | SMFIP_RCPT_REJ |        \
	 SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |       \
	 SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY |        \
	 SMFIP_HDR_LEADSPC)
#define OFFER_ACTIONS                                                          \
	(SMFIF_ADDHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT | SMFIF_DELRCPT |       \
	 SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_CHGFROM |                    \
	 SMFIF_ADDRCPT_PAR | SMFIF_SETSYMLIST)

enum stage {
	ST_OPTNEG,
	ST_CONNECT,
	ST_HELO,
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_HEADER,
	ST_EOH,
	ST_BODY,
	ST_EOM,
	ST_QUIT,
	ST_SESSION,
	ST_COUNT
};

static const char *const stage_names[ST_COUNT] = {
    "optneg", "connect", "helo", "mail", "rcpt", "data",
    "header", "eoh",     "body", "eom",  "quit", "session",
};

/* Postfix's default macro lists, by SMFIM_* stage. */
static const char *const default_macros[MPROTO_STAGES] = {
    "j {daemon_name} {daemon_addr} v _",
    "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer}",
    "i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} "
    "{mail_mailer}",
    "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
    "i",
    "i",
    "i",
};
/* The command letter each macro stage is announced with. */
static const char macro_cmd[MPROTO_STAGES] = {
    SMFIC_CONNECT, SMFIC_HELO,    SMFIC_MAIL, SMFIC_RCPT,
    SMFIC_DATA,    SMFIC_BODYEOB, SMFIC_EOH,
};

/* The headers of a message, cycled through when more are asked for. */
static const char *const header_names[] = {
    "Received", "From",       "To",           "Subject",
    "Date",     "Message-ID", "MIME-Version", "Content-Type",
};
#define NSHAPES (sizeof(header_names) / sizeof(header_names[0]))

static struct {
	const char *socket;
	struct sockspec spec;
	int conc;
	long sessions;
	double max_secs;
	int rcpts;
	int headers;
	size_t body;
	int short_session;
	const char *label;
	long watch[4]; /* -w PID[,PID...] */
	int nwatch;
	long hold_ms; /* -1: no hold mode */
	int quiet;
	int cork;  /* one TCP segment per step; -u: off */
	int io_ms; /* -T */
	FILE *yfile;
} O = {NULL, {{0}, 0, NULL}, 1,   1000, 0, 4, 8, 4096, 0, "run", {0}, 0, -1, 0,
       1,    IO_MS,          NULL};

static pthread_mutex_t yfile_lock = PTHREAD_MUTEX_INITIALIZER;

/* How a session's message ended. */
enum outcome { OUT_ACCEPTED, OUT_REJECTED, OUT_TEMPFAILED, OUT_DISCARDED };
#define NOUTCOMES 4

static atomic_long claimed;
static long total_done;
static double t_start, t_deadline;
static char *body_buf;

/* Hold mode. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int held, hold_released, hold_failed;

struct samples {
	uint32_t *v; /* microseconds x 10 */
	size_t n, cap;
};

struct worker {
	pthread_t tid;
	int id;
	struct samples s[ST_COUNT];
	long done, errors, rcpt_rejects, refused_msgs;
	long outcomes[NOUTCOMES];
	long replies[256];
	uint32_t proto; /* the last negotiated one */
	int held;       /* hold mode: this slot reached the hold point */
	double t_end;
	char err[160];
	struct mreader r;
};

/* One session's state. */
struct sess {
	struct worker *w;
	long n;
	int fd;
	uint32_t proto;
	char yclass; /* the first digit of the last 'y' answer */
	char lists[MPROTO_STAGES][512];
	int has_list[MPROTO_STAGES];
	char qid[32], addr[32], client[64], from[64], rcpt[96];
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
record(struct worker *w, enum stage st, double secs)
{
	struct samples *s = &w->s[st];
	double v = secs * 1e7;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint32_t *g = realloc(s->v, cap * sizeof(*g));

		if (g == NULL)
			return;
		s->v = g;
		s->cap = cap;
	}
	s->v[s->n++] = v > 4e9 ? 4000000000u : (uint32_t)v;
}

static int __attribute__((format(printf, 2, 3)))
fail(struct sess *ss, const char *fmt, ...)
{
	va_list ap;

	if (ss->w->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(ss->w->err, sizeof(ss->w->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The value this session gives a macro, or NULL (not sent). */
static const char *
macro_value(struct sess *ss, const char *name, char *tmp, size_t cap)
{
	static const struct {
		const char *name, *value;
	} fixed[] = {
	    {"j", "mx.bench.example"},        {"{daemon_name}", "smtpd"},
	    {"{daemon_addr}", "127.0.0.1"},   {"v", "Postfix 3.7.11"},
	    {"{mail_host}", "bench.example"}, {"{mail_mailer}", "smtp"},
	    {"{rcpt_host}", "example.net"},   {"{rcpt_mailer}", "smtp"},
	};
	size_t i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (strcmp(name, fixed[i].name) == 0)
			return fixed[i].value;
	if (strcmp(name, "_") == 0) {
		snprintf(tmp, cap, "%s [%s]", ss->client, ss->addr);
		return tmp;
	}
	if (strcmp(name, "i") == 0)
		return ss->qid;
	if (strcmp(name, "{client_addr}") == 0)
		return ss->addr;
	if (strcmp(name, "{client_name}") == 0)
		return ss->client;
	if (strcmp(name, "{mail_addr}") == 0)
		return ss->from;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return ss->rcpt;
	return NULL;
}

/* The 'D' packet of a stage, if it has any macro with a value. */
static int
send_macros(struct sess *ss, int mstage)
{
	const char *list =
	    ss->has_list[mstage] ? ss->lists[mstage] : default_macros[mstage];
	char pkt[2048], name[128], tmp[160];
	const char *v;
	size_t n = 1, k, vl;
	int any = 0;

	pkt[0] = macro_cmd[mstage];
	while (*list != '\0') {
		k = strcspn(list, " ");
		if (k > 0 && k < sizeof(name)) {
			memcpy(name, list, k);
			name[k] = '\0';
			v = macro_value(ss, name, tmp, sizeof(tmp));
			vl = v != NULL ? strlen(v) : 0;
			if (vl > 0 && n + k + vl + 2 <= sizeof(pkt)) {
				memcpy(pkt + n, name, k + 1);
				memcpy(pkt + n + k + 1, v, vl + 1);
				n += k + vl + 2;
				any = 1;
			}
		}
		list += k + (list[k] == ' ');
	}
	if (!any)
		return 0;
	return mproto_write(ss->fd, O.io_ms, SMFIC_MACRO, pkt, n) == MP_OK
	           ? 0
	           : fail(ss, "writing macros: %s", strerror(errno));
}

/* A 'y' answer as mtadriver prints it: printable, one line. */
static void
write_reply(const struct mpacket *p)
{
	size_t i;

	pthread_mutex_lock(&yfile_lock);
	fputs("y ", O.yfile);
	for (i = 0; i < p->len; i++) {
		unsigned char c = (unsigned char)p->data[i];

		if (c == '\0')
			fputs("\\0", O.yfile);
		else if (c == '\\')
			fputs("\\\\", O.yfile);
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, O.yfile);
		else
			fprintf(O.yfile, "\\x%02x", c);
	}
	fputc('\n', O.yfile);
	pthread_mutex_unlock(&yfile_lock);
}

static int
is_final(char r)
{
	return strchr("acdrtys4f", r) != NULL && r != '\0';
}

/*
 * One step: its macros, the command, then (if the milter answers it) the
 * answer, whose letter goes to *reply ('c' when none is expected).
 */
static int
step(struct sess *ss, enum stage st, int mstage, char cmd, const void *data,
     size_t len, uint32_t nr_flag, char *reply)
{
	struct worker *w = ss->w;
	struct mpacket p;
	double t0 = now();
	int rc, one = 1, zero = 0;

	*reply = SMFIR_CONTINUE;
	if (O.cork)
		setsockopt(ss->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	if (mstage >= 0 && send_macros(ss, mstage) != 0)
		return -1;
	if ((rc = mproto_write(ss->fd, O.io_ms, cmd, data, len)) != MP_OK)
		return fail(ss, "writing %s: %s", stage_names[st],
		            mproto_strerror(rc));
	if (O.cork)
		setsockopt(ss->fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
	if ((ss->proto & nr_flag) != 0)
		return 0;
	for (;;) {
		if ((rc = mproto_read(ss->fd, O.io_ms, &w->r, &p)) != MP_OK)
			return fail(ss, "reading the answer to %s: %s",
			            stage_names[st], mproto_strerror(rc));
		if (is_final(p.cmd))
			break;
		if (strchr("+-2behimpql", p.cmd) == NULL)
			return fail(ss, "answer 0x%02x to %s",
			            (unsigned char)p.cmd, stage_names[st]);
	}
	record(w, st, now() - t0);
	w->replies[(unsigned char)p.cmd]++;
	*reply = p.cmd;
	if (p.cmd == SMFIR_REPLYCODE) {
		ss->yclass = p.len > 0 ? p.data[0] : '\0';
		if (O.yfile != NULL)
			write_reply(&p);
	}
	return 0;
}

static int
refused(char r)
{
	return r == SMFIR_REJECT || r == SMFIR_TEMPFAIL ||
	       r == SMFIR_REPLYCODE || r == SMFIR_DISCARD ||
	       r == SMFIR_SHUTDOWN || r == SMFIR_CONN_FAIL;
}

/* The outcome of a refusing answer r. */
static enum outcome
outcome_of(const struct sess *ss, char r)
{
	switch (r) {
	case SMFIR_REJECT:
		return OUT_REJECTED;
	case SMFIR_DISCARD:
		return OUT_DISCARDED;
	case SMFIR_REPLYCODE:
		return ss->yclass == '5' ? OUT_REJECTED : OUT_TEMPFAILED;
	default: /* tempfail, shutdown (421), connection failure */
		return OUT_TEMPFAILED;
	}
}

static int
negotiate(struct sess *ss)
{
	struct moptneg o = {MPROTO_VERSION, OFFER_ACTIONS, OFFER_PROTO, {0}};
	struct mpacket p;
	char buf[64];
	size_t len = mproto_optneg_encode(&o, buf, sizeof(buf));
	int rc, i;

	if ((rc = mproto_write(ss->fd, O.io_ms, SMFIC_OPTNEG, buf, len)) !=
	        MP_OK ||
	    (rc = mproto_read(ss->fd, O.io_ms, &ss->w->r, &p)) != MP_OK)
		return fail(ss, "option negotiation: %s", mproto_strerror(rc));
	if (p.cmd != SMFIC_OPTNEG || mproto_optneg_decode(&p, &o) != MP_OK)
		return fail(ss, "option negotiation: bad answer 0x%02x",
		            (unsigned char)p.cmd);
	ss->proto = o.protocol;
	for (i = 0; i < MPROTO_STAGES; i++) {
		ss->has_list[i] = o.macros[i] != NULL;
		if (o.macros[i] != NULL)
			snprintf(ss->lists[i], sizeof(ss->lists[i]), "%s",
			         o.macros[i]);
	}
	return 0;
}

/* Hold mode: wait until every slot got here and main lets them go. */
static void
hold(int ok)
{
	pthread_mutex_lock(&hold_lock);
	if (ok)
		held++;
	else
		hold_failed++;
	pthread_cond_broadcast(&hold_cond);
	while (ok && !hold_released)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
}

static size_t
header_packet(struct sess *ss, int i, char *out, size_t cap)
{
	const char *name = header_names[i % NSHAPES];
	size_t k = strlen(name) + 1;
	char *v = out + k;
	long n = ss->n;
	int m;

	memcpy(out, name, k);
	cap -= k;
	switch (i % NSHAPES) {
	case 0:
		m = snprintf(
		    v, cap,
		    "from %s (%s [%s]) by mx.bench.example (Postfix) "
		    "with ESMTP id %s for <rcpt0-%ld@example.net>; Sat, "
		    "22 Nov 2025 20:00:00 +0000 (UTC)",
		    ss->client, ss->client, ss->addr, ss->qid, n);
		break;
	case 1:
		m = snprintf(v, cap, "Sender %ld <%s>", n, ss->from);
		break;
	case 2:
		m = snprintf(v, cap, "<rcpt0-%ld@example.net>", n);
		break;
	case 3:
		m = snprintf(v, cap, "Benchmark message %ld, nothing to see",
		             n);
		break;
	case 4:
		m = snprintf(v, cap, "Sat, 22 Nov 2025 20:00:00 +0000");
		break;
	case 5:
		m = snprintf(v, cap, "<%ld.%s@%s>", n, ss->qid, ss->client);
		break;
	case 6:
		m = snprintf(v, cap, "1.0");
		break;
	default:
		m = snprintf(v, cap, "text/plain; charset=us-ascii");
		break;
	}
	return k + (size_t)m + 1;
}

/*
 * Steps after the recipients, as the milter negotiated them; 1 when the
 * message is refused, with the refusing answer in *rp.
 */
static int
message(struct sess *ss, char *rp)
{
	char r, pkt[1024];
	size_t off, chunk, len;
	int i;

	if ((ss->proto & SMFIP_NODATA) == 0 &&
	    step(ss, ST_DATA, SMFIM_DATA, SMFIC_DATA, NULL, 0, SMFIP_NR_DATA,
	         &r) != 0)
		return -1;
	if ((ss->proto & SMFIP_NODATA) == 0 && refused(r))
		return *rp = r, 1;
	for (i = 0; (ss->proto & SMFIP_NOHDRS) == 0 && i < O.headers; i++) {
		len = header_packet(ss, i, pkt, sizeof(pkt));
		if (step(ss, ST_HEADER, -1, SMFIC_HEADER, pkt, len,
		         SMFIP_NR_HDR, &r) != 0)
			return -1;
		if (refused(r))
			return *rp = r, 1;
	}
	if ((ss->proto & SMFIP_NOEOH) == 0) {
		if (step(ss, ST_EOH, SMFIM_EOH, SMFIC_EOH, NULL, 0,
		         SMFIP_NR_EOH, &r) != 0)
			return -1;
		if (refused(r))
			return *rp = r, 1;
	}
	for (off = 0; (ss->proto & SMFIP_NOBODY) == 0 && off < O.body;
	     off += chunk) {
		chunk = O.body - off > BODY_CHUNK ? BODY_CHUNK : O.body - off;
		if (step(ss, ST_BODY, -1, SMFIC_BODY, body_buf + off, chunk,
		         SMFIP_NR_BODY, &r) != 0)
			return -1;
		if (refused(r))
			return *rp = r, 1;
		if (r == SMFIR_SKIP)
			break;
	}
	if (step(ss, ST_EOM, SMFIM_EOM, SMFIC_BODYEOB, NULL, 0, 0, &r) != 0)
		return -1;
	*rp = r;
	return refused(r) ? 1 : 0;
}

static int
session(struct worker *w, long n)
{
	struct sess *ss = calloc(1, sizeof(*ss));
	struct mpacket p;
	double t0 = now(), t1;
	char r, pkt[512];
	size_t len;
	int one = 1, k, accepted = 0, rc = -1, st, stop = 0;
	enum outcome out = OUT_ACCEPTED;

	if (ss == NULL)
		return -1;
	ss->w = w;
	ss->n = n;
	snprintf(ss->qid, sizeof(ss->qid), "4B%02X%08lX", w->id & 0xff, n);
	snprintf(ss->addr, sizeof(ss->addr), "10.%ld.%ld.%ld", n >> 16 & 255,
	         n >> 8 & 255, (n & 255) | 1);
	snprintf(ss->client, sizeof(ss->client), "client%ld.bench.example", n);
	snprintf(ss->from, sizeof(ss->from), "sender-%ld@bench.example", n);
	if ((ss->fd = sockspec_connect(&O.spec, O.io_ms)) < 0) {
		fail(ss, "connect %s: %s", O.socket, strerror(errno));
		free(ss);
		return -1;
	}
	/* mproto_write sends a packet's head and data in two writes: no
	 * Nagle wait between them on our side; step() corks around a step. */
	setsockopt(ss->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (negotiate(ss) != 0)
		goto out;
	w->proto = ss->proto;
	record(w, ST_OPTNEG, now() - t0);

	if ((ss->proto & SMFIP_NOCONNECT) == 0) {
		len = (size_t)snprintf(pkt, sizeof(pkt), "%s", ss->client) + 1;
		pkt[len++] = SMFIA_INET;
		pkt[len++] = (char)(25000 >> 8);
		pkt[len++] = (char)(25000 & 255);
		len += (size_t)snprintf(pkt + len, sizeof(pkt) - len, "%s",
		                        ss->addr) +
		       1;
		if (step(ss, ST_CONNECT, SMFIM_CONNECT, SMFIC_CONNECT, pkt, len,
		         SMFIP_NR_CONN, &r) != 0)
			goto out;
		if (refused(r))
			out = outcome_of(ss, r);
		stop = refused(r) || r == SMFIR_ACCEPT;
	}
	if (!stop && (ss->proto & SMFIP_NOHELO) == 0) {
		len = (size_t)snprintf(pkt, sizeof(pkt), "%s", ss->client) + 1;
		if (step(ss, ST_HELO, SMFIM_HELO, SMFIC_HELO, pkt, len,
		         SMFIP_NR_HELO, &r) != 0)
			goto out;
		if (refused(r))
			out = outcome_of(ss, r);
		stop = refused(r) || r == SMFIR_ACCEPT;
	}
	if (!stop && (ss->proto & SMFIP_NOMAIL) == 0) {
		len = (size_t)snprintf(pkt, sizeof(pkt), "<%s>", ss->from) + 1;
		if (step(ss, ST_MAIL, SMFIM_ENVFROM, SMFIC_MAIL, pkt, len,
		         SMFIP_NR_MAIL, &r) != 0)
			goto out;
		if (refused(r)) {
			w->refused_msgs++;
			out = outcome_of(ss, r);
		}
		stop = refused(r) || r == SMFIR_ACCEPT;
	}
	for (k = 0; !stop && k < O.rcpts; k++) {
		snprintf(ss->rcpt, sizeof(ss->rcpt), "rcpt%d-%ld@example.net",
		         k, n);
		if ((ss->proto & SMFIP_NORCPT) != 0) {
			accepted++;
			continue;
		}
		len = (size_t)snprintf(pkt, sizeof(pkt), "<%s>", ss->rcpt) + 1;
		if (step(ss, ST_RCPT, SMFIM_ENVRCPT, SMFIC_RCPT, pkt, len,
		         SMFIP_NR_RCPT, &r) != 0)
			goto out;
		if (refused(r)) {
			w->rcpt_rejects++;
			/* Every recipient refused: the last one's class. */
			if (accepted == 0)
				out = outcome_of(ss, r);
		} else {
			accepted++;
			out = OUT_ACCEPTED;
		}
	}
	if (O.hold_ms >= 0) {
		w->held = 1;
		hold(1);
	}
	if (!stop && accepted > 0 && !O.short_session) {
		if ((st = message(ss, &r)) < 0)
			goto out;
		if (st > 0) {
			w->refused_msgs++;
			out = outcome_of(ss, r);
		}
	}
	t1 = now();
	if (O.cork)
		setsockopt(ss->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	/* No DATA: the transaction ends (RSET or QUIT), then QUIT. */
	if (!stop && (accepted == 0 || O.short_session) &&
	    (st = mproto_write(ss->fd, O.io_ms, SMFIC_ABORT, NULL, 0)) !=
	        MP_OK) {
		fail(ss, "writing abort: %s", mproto_strerror(st));
		goto out;
	}
	if ((st = mproto_write(ss->fd, O.io_ms, SMFIC_QUIT, NULL, 0)) !=
	    MP_OK) {
		fail(ss, "writing quit: %s", mproto_strerror(st));
		goto out;
	}
	if (O.cork) {
		one = 0;
		setsockopt(ss->fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
	}
	/* The session is over when the milter closes its end. */
	while ((st = mproto_read(ss->fd, O.io_ms, &w->r, &p)) == MP_OK)
		;
	if (st != MP_CLOSED) {
		fail(ss, "waiting for the close after quit: %s",
		     mproto_strerror(st));
		goto out;
	}
	t0 = now() - t0;
	record(w, ST_QUIT, now() - t1);
	record(w, ST_SESSION, t0);
	w->outcomes[out]++;
	rc = 0;
out:
	close(ss->fd);
	free(ss);
	return rc;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	long n;

	for (;;) {
		n = atomic_fetch_add(&claimed, 1);
		if (n >= O.sessions || (O.max_secs > 0 && now() > t_deadline))
			break;
		if (session(w, n) == 0)
			w->done++;
		else {
			w->errors++;
			if (O.hold_ms >= 0 && !w->held)
				hold(0);
		}
		w->t_end = now();
		if (O.hold_ms >= 0)
			break;
	}
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* VmRSS and VmHWM of pid in kB, -1 if unknown. */
static void
memory_of(long pid, long *rss, long *hwm, long *threads)
{
	char path[64], line[256];
	FILE *fp;

	*rss = *hwm = *threads = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		sscanf(line, "VmRSS: %ld", rss);
		sscanf(line, "VmHWM: %ld", hwm);
		sscanf(line, "Threads: %ld", threads);
	}
	fclose(fp);
}

static void
print_memory(const char *tag)
{
	long rss, hwm, threads;
	int i;

	for (i = 0; i < O.nwatch; i++) {
		memory_of(O.watch[i], &rss, &hwm, &threads);
		printf("%s label=%s pid=%ld held=%d VmRSS_kB=%ld "
		       "VmHWM_kB=%ld threads=%ld\n",
		       tag, O.label, O.watch[i], held, rss, hwm, threads);
	}
	fflush(stdout);
}

/* CPU seconds (user + system) pid has used so far, -1 if unknown. */
static double
cpu_of(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	/* After "(comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	           &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Wait until every slot is held (or failed), report, let them go. */
static void
hold_phase(void)
{
	struct timespec ts;
	double limit = now() + 120;

	pthread_mutex_lock(&hold_lock);
	while (held + hold_failed < O.conc && now() < limit) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&hold_cond, &hold_lock, &ts);
	}
	pthread_mutex_unlock(&hold_lock);
	if (O.nwatch > 0)
		print_memory("HELD");
	else
		printf("HELD label=%s held=%d\n", O.label, held);
	fflush(stdout);
	if (O.hold_ms > 0)
		usleep((useconds_t)O.hold_ms * 1000);
	pthread_mutex_lock(&hold_lock);
	hold_released = 1;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
}

static void
protocol_line(uint32_t p)
{
	static const struct {
		uint32_t no, nr;
		const char *name;
	} steps[] = {
	    {SMFIP_NOCONNECT, SMFIP_NR_CONN, "connect"},
	    {SMFIP_NOHELO, SMFIP_NR_HELO, "helo"},
	    {SMFIP_NOMAIL, SMFIP_NR_MAIL, "mail"},
	    {SMFIP_NORCPT, SMFIP_NR_RCPT, "rcpt"},
	    {SMFIP_NODATA, SMFIP_NR_DATA, "data"},
	    {SMFIP_NOHDRS, SMFIP_NR_HDR, "header"},
	    {SMFIP_NOEOH, SMFIP_NR_EOH, "eoh"},
	    {SMFIP_NOBODY, SMFIP_NR_BODY, "body"},
	};
	size_t i;

	printf("  negotiated protocol 0x%08x, steps sent:", p);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if ((p & steps[i].no) == 0 && (!O.short_session || i < 4))
			printf(" %s%s", steps[i].name,
			       (p & steps[i].nr) ? "(no answer)" : "");
	printf("%s\n", O.short_session ? " abort" : " eom");
}

static void
report(struct worker *ws, double elapsed)
{
	long done = 0, errors = 0, rejects = 0, refusedm = 0;
	long replies[256] = {0}, outs[NOUTCOMES] = {0};
	double max_session = 0;
	const char *err = NULL;
	uint32_t proto = 0;
	int i, st, c;

	for (i = 0; i < O.conc; i++) {
		done += ws[i].done;
		errors += ws[i].errors;
		rejects += ws[i].rcpt_rejects;
		refusedm += ws[i].refused_msgs;
		for (c = 0; c < 256; c++)
			replies[c] += ws[i].replies[c];
		for (c = 0; c < NOUTCOMES; c++)
			outs[c] += ws[i].outcomes[c];
		for (size_t k = 0; k < ws[i].s[ST_SESSION].n; k++)
			if (ws[i].s[ST_SESSION].v[k] / 1e4 > max_session)
				max_session = ws[i].s[ST_SESSION].v[k] / 1e4;
		if (ws[i].done > 0)
			proto = ws[i].proto;
		total_done += ws[i].done;
		if (err == NULL && ws[i].err[0] != '\0')
			err = ws[i].err;
	}
	if (!O.quiet) {
		printf("bench_milter %s: %s, concurrency %d, %s sessions, "
		       "%d rcpt, %d headers, %zu body bytes\n",
		       O.label, O.socket, O.conc,
		       O.short_session ? "short" : "full", O.rcpts, O.headers,
		       O.body);
		protocol_line(proto);
		printf("  %ld sessions in %.3f s: %.1f sessions/s; %ld errors",
		       done, elapsed, elapsed > 0 ? (double)done / elapsed : 0,
		       errors);
		printf("; answers:");
		for (c = 0; c < 256; c++)
			if (replies[c] > 0)
				printf(" %c=%ld", c, replies[c]);
		printf("; rcpt refused %ld, messages refused %ld\n", rejects,
		       refusedm);
		printf("  %-8s %9s %10s %10s %10s\n", "stage", "count",
		       "p50 ms", "p99 ms", "max ms");
		for (st = 0; st < ST_COUNT; st++) {
			struct samples all = {0};
			size_t n = 0, k;

			for (i = 0; i < O.conc; i++)
				n += ws[i].s[st].n;
			if (n == 0)
				continue;
			if ((all.v = malloc(n * sizeof(*all.v))) == NULL)
				continue;
			for (i = 0; i < O.conc; i++) {
				memcpy(all.v + all.n, ws[i].s[st].v,
				       ws[i].s[st].n * sizeof(*all.v));
				all.n += ws[i].s[st].n;
			}
			qsort(all.v, n, sizeof(*all.v), cmp_u32);
			k = (size_t)ceil(0.99 * (double)n) - 1;
			printf("  %-8s %9zu %10.3f %10.3f %10.3f\n",
			       stage_names[st], n, all.v[(n - 1) / 2] / 1e4,
			       all.v[k] / 1e4, all.v[n - 1] / 1e4);
			free(all.v);
		}
	}
	if (err != NULL)
		printf("  first error: %s\n", err);
	printf("RESULT label=%s conc=%d sessions=%ld errors=%ld secs=%.4f "
	       "sps=%.1f rcpt_rejects=%ld\n",
	       O.label, O.conc, done, errors, elapsed,
	       elapsed > 0 ? (double)done / elapsed : 0, rejects);
	printf("MESSAGES label=%s started=%ld accepted=%ld rejected=%ld "
	       "tempfailed=%ld discarded=%ld failed=%ld max_session_ms=%.0f\n",
	       O.label, done + errors, outs[OUT_ACCEPTED], outs[OUT_REJECTED],
	       outs[OUT_TEMPFAILED], outs[OUT_DISCARDED], errors, max_session);
}

static void
usage(void)
{
	fprintf(stderr,
	        "usage: bench_milter -s SOCKET [-c CONCURRENCY] [-n SESSIONS] "
	        "[-t SECONDS]\n"
	        "         [-k RCPTS] [-H HEADERS] [-b BODY_BYTES] [-S] "
	        "[-L LABEL] [-w PID]\n"
	        "         [-o HOLD_MS] [-q] [-u] [-T IO_MS] [-y FILE]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct worker *ws;
	pthread_attr_t attr;
	const char *why;
	char *p;
	double end = 0, cpu0[4], cpu_self0;
	struct timespec ts;
	size_t i;
	int c, k;

	while ((c = getopt(argc, argv, "s:c:n:t:k:H:b:SL:w:o:quT:y:")) != -1) {
		switch (c) {
		case 's':
			O.socket = optarg;
			break;
		case 'c':
			O.conc = atoi(optarg);
			break;
		case 'n':
			O.sessions = atol(optarg);
			break;
		case 't':
			O.max_secs = atof(optarg);
			break;
		case 'k':
			O.rcpts = atoi(optarg);
			break;
		case 'H':
			O.headers = atoi(optarg);
			break;
		case 'b':
			O.body = (size_t)atol(optarg);
			break;
		case 'S':
			O.short_session = 1;
			break;
		case 'L':
			O.label = optarg;
			break;
		case 'w':
			for (p = strtok(optarg, ","); p != NULL && O.nwatch < 4;
			     p = strtok(NULL, ","))
				O.watch[O.nwatch++] = atol(p);
			break;
		case 'o':
			O.hold_ms = atol(optarg);
			break;
		case 'q':
			O.quiet = 1;
			break;
		case 'u':
			O.cork = 0;
			break;
		case 'T':
			O.io_ms = atoi(optarg);
			break;
		case 'y':
			if ((O.yfile = fopen(optarg, "a")) == NULL) {
				fprintf(stderr, "bench_milter: %s: %s\n",
				        optarg, strerror(errno));
				return 2;
			}
			break;
		default:
			usage();
		}
	}
	if (O.socket == NULL || O.conc < 1 || O.conc > 10000 ||
	    O.sessions < 1 || O.rcpts < 0 || O.rcpts > MAX_RCPTS ||
	    O.headers < 0 || O.headers > MAX_HDRS || O.io_ms < 1 ||
	    optind != argc)
		usage();
	if (sockspec_parse(O.socket, &O.spec, &why) != 0) {
		fprintf(stderr, "bench_milter: %s: %s\n", O.socket, why);
		return 2;
	}
	if (O.hold_ms >= 0)
		O.sessions = O.conc;
	if ((body_buf = malloc(O.body + 1)) == NULL ||
	    (ws = calloc((size_t)O.conc, sizeof(*ws))) == NULL)
		return 1;
	/* Body text: 76 characters and CRLF per line. */
	for (i = 0; i < O.body; i++)
		body_buf[i] = i % 78 == 76   ? '\r'
		              : i % 78 == 77 ? '\n'
		                             : (char)('a' + i % 26);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (k = 0; k < O.nwatch; k++)
		cpu0[k] = cpu_of(O.watch[k]);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	cpu_self0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	t_start = now();
	t_deadline = t_start + O.max_secs;
	for (k = 0; k < O.conc; k++) {
		ws[k].id = k;
		if (pthread_create(&ws[k].tid, &attr, worker_main, &ws[k]) !=
		    0) {
			fprintf(stderr,
			        "bench_milter: cannot start thread %d\n", k);
			return 1;
		}
	}
	if (O.hold_ms >= 0)
		hold_phase();
	for (k = 0; k < O.conc; k++) {
		pthread_join(ws[k].tid, NULL);
		if (ws[k].t_end > end)
			end = ws[k].t_end;
	}
	report(ws, end > t_start ? end - t_start : 0);
	/* CPU per completed session: the driver's own, each watched pid's. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	printf("CPU label=%s driver_us=%.1f", O.label,
	       ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - cpu_self0) *
	           1e6 / (double)(total_done > 0 ? total_done : 1));
	for (k = 0; k < O.nwatch; k++)
		printf(" pid%ld_us=%.1f", O.watch[k],
		       (cpu_of(O.watch[k]) - cpu0[k]) * 1e6 /
		           (double)(total_done > 0 ? total_done : 1));
	printf(" (CPU time per session)\n");
	if (O.nwatch > 0 && O.hold_ms < 0)
		print_memory("MEMORY");
	for (k = 0; k < O.conc; k++) {
		for (c = 0; c < ST_COUNT; c++)
			free(ws[k].s[c].v);
		mproto_reader_free(&ws[k].r);
	}
	free(ws);
	free(body_buf);
	if (O.yfile != NULL)
		fclose(O.yfile);
	pthread_attr_destroy(&attr);
	return 0;
}
