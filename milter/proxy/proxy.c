/*
 * proxy - relay the milter protocol between the MTA and an upstream
 * milter, annotating the upstream's reject, tempfail and reply-code
 * answers.
 *
 * Per MTA command: the rules decide first (session.c); if they let it
 * pass, the command goes to the upstream unless the upstream asked not to
 * see that step, and the upstream's answer comes back, modifications and
 * progress relayed as they come, the final answer annotated when it
 * refuses. Any upstream failure (refused, timed out, closed, malformed)
 * puts the session in on_upstream_error for the rest of its life, logged
 * once; the next session tries the upstream again.
 *
 * Headers, end of headers and body chunks are pipelined: an MTA acts on a
 * milter's answer to them only at end of message (the SMTP client hears
 * nothing before the final dot), so the MTA is told not to wait for those
 * answers (SMFIP_NR_*, where it offers them; else it gets "continue" at
 * once), the steps go on to the upstream at once, and its answers are
 * read at the next step that waits for one. A refusal among them, the
 * upstream's or a header rule's, is held and given at end of message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "engine/log.h"
#include "bounce/dsncollect.h"
#include "proxy/macrolist.h"
#include "proxy/mproto.h"
#include "proxy/proxy.h"
#include "proxy/sockspec.h"
#include "proxy/uppool.h"

#define MACROS_MAX   128 /* per step; more are relayed, not remembered */
#define YCAP         (REPLY_MAX_LINES * (2 * REPLY_WIDTH_MAX + 16) + 1)
#define PIPELINE_MAX 64          /* steps sent to the upstream before reading */
#define SEND_BATCH   (64 * 1024) /* macros queued for the upstream, at most */

/* What the MTA would have said for a bare reject or tempfail (Postfix). */
#define BARE_REJECT   "550 5.7.1 Command rejected"
#define BARE_TEMPFAIL "451 4.7.1 Service unavailable - try again later"

/* Macros of one step, as the last 'D' packet for it gave them. */
struct macro_set {
	char *buf; /* the packet's data, as it came */
	size_t len;
	const char **pair; /* name, value, name, value... into buf */
	size_t n;          /* pairs */
};

/* Steps that carry macros, in the order they happen. */
static const char proxy_macro_steps[] = "CHMRTNLE";
#define NSTEPS (sizeof(proxy_macro_steps) - 1)

struct proxy {
	int mta, up;
	int mta_ms, up_ms;
	struct mreader rm, ru;
	struct mwriter wu; /* packets for the upstream, not yet sent */
	struct config *cfg;
	struct session s;
	uint32_t up_proto;  /* what the upstream negotiated */
	uint32_t mta_proto; /* what the MTA was told */
	int failed;
	struct macro_set macros[NSTEPS];
	/* Pipelined steps whose answers are still to be read, in order. */
	char flight[PIPELINE_MAX];
	size_t inflight;
	/* The upstream's decision on the message before end of message. */
	char held_step; /* 0: none */
	int held_own;   /* held is our rules' answer, annotated already */
	struct packet_copy {
		char cmd;
		char *data;
		size_t len;
	} held;
	int skip_body; /* the upstream has seen enough of the body */
	/* The connection is out of step (see drain): start it afresh. */
	int stale;
	struct packet_copy offer, conn, helo; /* what a fresh start replays */
	int replay_lost;                      /* ...a copy failed */
	uint32_t up_actions, up_version;
	/* Keeping the connection for the next session (upstream_reuse). */
	struct uppool *pool;
	struct packet_copy up_answer; /* the upstream's OPTNEG answer */
	int at_endm; /* its last step: end of message, answered continue */
	char *y; /* the annotated reply on the wire, YCAP; made when needed */
	size_t ylen;
	/*
	 * Bounces (dsn on, and the MTA lets us change bodies): the message
	 * gathered, and the upstream's own new body, held at end of message
	 * so that the report is annotated after the upstream's changes.
	 */
	int dsn_on;
	int eom_dsn; /* this end of message is a candidate report's */
	struct dsn_collect dsn;
	struct {
		char *buf;
		size_t len, cap;
		int used; /* the upstream replaced the body */
		int over; /* ...with more than dsn_max_size: relayed */
	} ub;
};

/* The session's view of libmilter, served from the proxy's state. */

static const char *
proxy_macro(void *ctx, const char *name)
{
	const struct proxy *p = ctx;
	size_t i, k;

	/* The latest step first: its values are the current ones. */
	for (i = NSTEPS; i-- > 0;)
		for (k = 0; k < p->macros[i].n; k++)
			if (macro_same(p->macros[i].pair[2 * k],
			               strlen(p->macros[i].pair[2 * k]), name,
			               strlen(name)))
				return p->macros[i].pair[2 * k + 1];
	return NULL;
}

/* Lines come with '%' doubled, as libmilter wants, which is also the wire. */
static int
proxy_set_reply(void *ctx, const char *code, const char *ecode,
                const char *const *lines, size_t n)
{
	struct proxy *p = ctx;
	size_t i, len = 0;
	int k;

	p->ylen = 0;
	/* Few sessions are refused: the 16 KB are not kept by every one. */
	if (p->y == NULL && (p->y = malloc(YCAP)) == NULL)
		return -1;
	for (i = 0; i < n || (n == 0 && i == 0); i++) {
		k = snprintf(p->y + len, YCAP - len, "%s%s%c%s%s%s",
		             i > 0 ? "\r\n" : "", code, i + 1 < n ? '-' : ' ',
		             ecode ? ecode : "", ecode && n > 0 ? " " : "",
		             n > 0 ? lines[i] : "");
		if (k < 0 || (size_t)k >= YCAP - len)
			return -1;
		len += (size_t)k;
	}
	p->ylen = len;
	return 0;
}

static const struct milter_io proxy_io = {proxy_macro, proxy_set_reply};

static void
proxy_macros_clear(struct proxy *p, const char *steps)
{
	size_t i;

	for (i = 0; i < NSTEPS; i++)
		if (strchr(steps, proxy_macro_steps[i]) != NULL) {
			free(p->macros[i].buf);
			free(p->macros[i].pair);
			p->macros[i].buf = NULL;
			p->macros[i].pair = NULL;
			p->macros[i].n = 0;
		}
}

/* The macros kept for step cmd, or NULL: not a step with macros. */
static struct macro_set *
proxy_macro_set_of(struct proxy *p, char cmd)
{
	const char *s = cmd != '\0' ? strchr(proxy_macro_steps, cmd) : NULL;

	return s != NULL ? &p->macros[s - proxy_macro_steps] : NULL;
}

/* Remember a 'D' packet's macros (it is relayed as it is). */
static void
proxy_macros_store(struct proxy *p, const struct mpacket *pkt)
{
	struct macro_set *m =
	    pkt->len > 0 ? proxy_macro_set_of(p, pkt->data[0]) : NULL;
	const char *str[2 * MACROS_MAX];
	struct mpacket copy;
	int n;

	if (m == NULL)
		return;
	free(m->buf);
	free(m->pair);
	m->pair = NULL;
	m->n = 0;
	if ((m->buf = malloc(pkt->len + 1)) == NULL)
		return;
	memcpy(m->buf, pkt->data, pkt->len);
	m->buf[pkt->len] = '\0';
	m->len = pkt->len;
	copy.cmd = pkt->cmd;
	copy.len = pkt->len;
	copy.data = m->buf;
	if ((n = mproto_strings(&copy, 1, str, 2 * MACROS_MAX)) < 0)
		return;
	if ((m->pair = malloc((size_t)n * sizeof(*m->pair))) == NULL)
		return;
	memcpy(m->pair, str, (size_t)n * sizeof(*m->pair));
	m->n = (size_t)n / 2;
}

/* Copies of packets kept beyond the reader's buffer. */

static void
proxy_copy_free(struct packet_copy *c)
{
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static int
proxy_copy_packet(struct packet_copy *c, const struct mpacket *pkt)
{
	char *d = malloc(pkt->len + 1);

	if (d == NULL)
		return -1;
	memcpy(d, pkt->data, pkt->len);
	d[pkt->len] = '\0';
	free(c->data);
	c->cmd = pkt->cmd;
	c->data = d;
	c->len = pkt->len;
	return 0;
}

/* Protocol flags. */

/* Whether a peer that negotiated proto answers cmd. */
static int
proxy_answers(uint32_t proto, char cmd)
{
	switch (cmd) {
	case SMFIC_ABORT:
	case SMFIC_MACRO:
	case SMFIC_QUIT:
	case SMFIC_QUIT_NC:
		return 0;
	default:
		return (proto & mproto_nr_flag(cmd)) == 0;
	}
}

/* Failures. */

static struct log_dest
proxy_dest(const struct proxy *p)
{
	return config_log_dest(p->cfg, p->s.env->force_stderr);
}

/* The upstream connection is fd from now on (-1: none). */
static void
proxy_up_set(struct proxy *p, int fd)
{
	p->up = fd;
	mproto_reader_bind(&p->ru, fd);
}

static int
proxy_up_connect(struct proxy *p, const struct sockspec *spec)
{
	proxy_up_set(p, sockspec_connect(spec, p->up_ms));
	return p->up;
}

static void
proxy_up_close(struct proxy *p)
{
	if (p->up >= 0)
		close(p->up);
	proxy_up_set(p, -1);
	p->wu.len = 0;
}

/*
 * Queue a packet for the upstream, and send what is queued unless asked
 * to wait (a step's macros wait for the step): one send, one wake-up of
 * the upstream, for both.
 */
static int
proxy_up_send(struct proxy *p, char cmd, const void *data, size_t len, int wait)
{
	int st;

	if (cmd != SMFIC_MACRO)
		p->at_endm = 0;
	if ((st = mproto_queue(&p->wu, cmd, data, len)) != MP_OK)
		return st;
	if (wait && p->wu.len < SEND_BATCH)
		return MP_OK;
	return mproto_flush(p->up, p->up_ms, &p->wu);
}

/* The upstream is gone for this session: say so once. */
static void
proxy_up_fail(struct proxy *p, const char *what, const char *why)
{
	if (!p->failed) {
		atomic_fetch_add(&p->s.env->stats->errors, 1);
		log_msg(proxy_dest(p), LOG_WARNING,
		        "upstream-error upstream=%s error=\"%s: %s\" "
		        "client=%s queue_id=%s action=%s",
		        p->cfg->upstream, what, why,
		        p->s.client_addr[0] ? p->s.client_addr : "-",
		        p->s.queue_id[0] ? p->s.queue_id : "-",
		        p->cfg->on_upstream_error == ON_ERROR_TEMPFAIL
		            ? "tempfail"
		            : "continue");
	}
	p->failed = 1;
	proxy_up_close(p);
}

/* Writing to the MTA. */

static int
proxy_to_mta(struct proxy *p, char cmd, const void *data, size_t len)
{
	return mproto_write(p->mta, p->mta_ms, cmd, data, len);
}

/* Bounces. */

/* What the MTA tells of a message, for the report collector. */
static void
proxy_dsn_feed(struct proxy *p, const struct mpacket *pkt)
{
	const char *str[2];

	if (!p->dsn_on)
		return;
	switch (pkt->cmd) {
	case SMFIC_MAIL:
		if (mproto_strings(pkt, 0, str, 1) == 1)
			dsn_collect_sender(&p->dsn, str[0]);
		break;
	case SMFIC_HEADER:
		if (mproto_strings(pkt, 0, str, 2) == 2)
			dsn_collect_header(&p->dsn, str[0], str[1]);
		break;
	case SMFIC_EOH:
		dsn_collect_eoh(&p->dsn);
		break;
	case SMFIC_BODY:
	case SMFIC_BODYEOB:
		dsn_collect_body(&p->dsn, pkt->data, pkt->len);
		break;
	case SMFIC_ABORT:
	case SMFIC_QUIT_NC:
		dsn_collect_reset(&p->dsn);
		break;
	default:
		break;
	}
}

static void
proxy_ub_clear(struct proxy *p)
{
	free(p->ub.buf);
	memset(&p->ub, 0, sizeof(p->ub));
}

/* A body to the MTA, in chunks the milter protocol takes. */
static int
proxy_send_body(struct proxy *p, const char *b, size_t len)
{
	size_t k;
	int st;

	do {
		k = len < 65535 ? len : 65535;
		if ((st = proxy_to_mta(p, SMFIR_REPLBODY, b, k)) != MP_OK)
			return st;
		b += k;
		len -= k;
	} while (len > 0);
	return MP_OK;
}

/*
 * Keep a chunk of the upstream's new body (SMFIR_REPLBODY) for the report
 * annotated at the end; past dsn_max_size what is kept goes to the MTA as
 * it came, and so does the rest. 0, or an error writing to the MTA.
 */
static int
proxy_ub_keep(struct proxy *p, const struct mpacket *pkt)
{
	size_t cap;
	char *grown;
	int st;

	p->ub.used = 1;
	if (!p->ub.over && pkt->len <= p->cfg->dsn_max_size - p->ub.len) {
		if (p->ub.len + pkt->len > p->ub.cap) {
			cap = p->ub.cap > 0 ? p->ub.cap : 16384;
			while (cap < p->ub.len + pkt->len)
				cap *= 2;
			if ((grown = realloc(p->ub.buf, cap)) != NULL) {
				p->ub.buf = grown;
				p->ub.cap = cap;
			}
		}
		if (p->ub.len + pkt->len <= p->ub.cap) {
			memcpy(p->ub.buf + p->ub.len, pkt->data, pkt->len);
			p->ub.len += pkt->len;
			return MP_OK;
		}
	}
	/* What was kept goes in chunks: it may be up to dsn_max_size. */
	if (!p->ub.over && p->ub.len > 0 &&
	    (st = proxy_send_body(p, p->ub.buf, p->ub.len)) != MP_OK)
		return st;
	p->ub.over = 1;
	p->ub.len = 0;
	return proxy_to_mta(p, pkt->cmd, pkt->data, pkt->len);
}

/*
 * The message will be let through: a report is annotated now, on the
 * upstream's new body if it gave one. The new body and the mark go to
 * the MTA before the final answer; when the report is not annotated, the
 * upstream's body goes as it came. Nothing here refuses the message.
 */
static int
proxy_dsn_finish(struct proxy *p)
{
	struct dsn_result res;
	int st = MP_OK;

	if (!p->eom_dsn)
		return MP_OK;
	p->eom_dsn = 0;
	if (p->ub.used && !p->ub.over)
		dsn_collect_replace_body(&p->dsn, p->ub.buf, p->ub.len);
	if (p->ub.over) {
		memset(&res, 0, sizeof(res));
		res.outcome = DSN_UNCHANGED;
		snprintf(res.why, sizeof(res.why),
		         "the upstream's new body is larger than dsn_max_size");
	} else
		dsn_collect_finish(&p->dsn, p->cfg, p->s.queue_id, &res);
	if (res.outcome == DSN_ANNOTATED) {
		if ((st = proxy_send_body(p, res.body, res.len)) == MP_OK)
			st = proxy_to_mta(p, SMFIR_ADDHEADER,
			                  DSN_HEADER "\0" DSN_MARK,
			                  sizeof(DSN_HEADER "\0" DSN_MARK));
	} else if (p->ub.used && !p->ub.over && p->ub.len > 0)
		st = proxy_send_body(p, p->ub.buf, p->ub.len);
	dsn_log(proxy_dest(p), &res, p->s.queue_id[0] ? p->s.queue_id : NULL);
	dsn_result_free(&res);
	proxy_ub_clear(p);
	return st;
}

/* Our own answer: the annotated reply the session set, else a bare one. */
static int
proxy_answer_mta(struct proxy *p, enum action a)
{
	if (a == ACT_CONTINUE)
		return proxy_to_mta(p, SMFIR_CONTINUE, NULL, 0);
	if (p->ylen > 0)
		return proxy_to_mta(p, SMFIR_REPLYCODE, p->y, p->ylen + 1);
	return proxy_to_mta(p, a == ACT_REJECT ? SMFIR_REJECT : SMFIR_TEMPFAIL,
	                    NULL, 0);
}

/* What a session whose upstream failed answers for cmd. */
static int
proxy_answer_failed(struct proxy *p, char cmd)
{
	enum action a;

	if (!proxy_answers(p->mta_proto, cmd))
		return MP_OK;
	/* Postfix's own notice is never held back for a missing upstream. */
	if (p->cfg->on_upstream_error == ON_ERROR_CONTINUE ||
	    session_mta_notice(&p->s)) {
		/* A report the upstream could not see still explains
		 * itself. */
		if (cmd == SMFIC_BODYEOB) {
			/* A new body cut short by the failure is not used:
			 * the report is annotated as the MTA sent it. */
			if (!p->ub.over)
				proxy_ub_clear(p);
			if (proxy_dsn_finish(p) != MP_OK)
				return MP_IO;
		}
		return proxy_to_mta(p, SMFIR_CONTINUE, NULL, 0);
	}
	p->ylen = 0;
	a = session_reply(&p->s, mproto_step_name(cmd), BARE_TEMPFAIL,
	                  "upstream-error");
	return proxy_answer_mta(p, a == ACT_CONTINUE ? ACT_TEMPFAIL : a);
}

/* Turn "%%" back into "%": libmilter peers double it on the wire. */
static void
proxy_undouble_percent(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		*w++ = *s;
		if (s[0] == '%' && s[1] == '%')
			s++;
	}
	*w = '\0';
}

/*
 * The upstream's final answer: refusals are annotated, the rest relayed
 * as they came. If the annotation cannot be made the original goes.
 */
static int
proxy_relay_final(struct proxy *p, char cmd, const struct mpacket *pkt)
{
	char text[REPLY_TEXT_MAX];
	enum action a;

	switch (pkt->cmd) {
	case SMFIR_REJECT:
		snprintf(text, sizeof(text), "%s", BARE_REJECT);
		break;
	case SMFIR_TEMPFAIL:
		snprintf(text, sizeof(text), "%s", BARE_TEMPFAIL);
		break;
	case SMFIR_REPLYCODE:
		snprintf(text, sizeof(text), "%.*s", (int)pkt->len, pkt->data);
		proxy_undouble_percent(text);
		break;
	default:
		/* At end of message, also for an answer held from an
		 * earlier step (an upstream's early accept). */
		if (p->eom_dsn &&
		    (pkt->cmd == SMFIR_CONTINUE || pkt->cmd == SMFIR_ACCEPT) &&
		    proxy_dsn_finish(p) != MP_OK)
			return MP_IO;
		return proxy_to_mta(p, pkt->cmd, pkt->data, pkt->len);
	}
	p->ylen = 0;
	a = session_reply(&p->s, mproto_step_name(cmd), text, "upstream");
	if (a == ACT_CONTINUE || p->ylen == 0)
		return proxy_to_mta(p, pkt->cmd, pkt->data, pkt->len);
	return proxy_to_mta(p, SMFIR_REPLYCODE, p->y, p->ylen + 1);
}

static int
proxy_is_final(char r)
{
	return strchr("acdrtys4f", r) != NULL;
}

/* Relay upstream packets until its final answer to cmd. */
static int
proxy_relay_answer(struct proxy *p, char cmd)
{
	struct mpacket pkt;
	int st;

	for (;;) {
		if ((st = mproto_read(p->up, p->up_ms, &p->ru, &pkt)) !=
		    MP_OK) {
			proxy_up_fail(p, "reading", mproto_strerror(st));
			return proxy_answer_failed(p, cmd);
		}
		if (proxy_is_final(pkt.cmd)) {
			/* Where libmilter takes SMFIC_QUIT_NC (uppool.c). */
			p->at_endm =
			    cmd == SMFIC_BODYEOB && pkt.cmd == SMFIR_CONTINUE;
			return proxy_relay_final(p, cmd, &pkt);
		}
		/* Modifications and progress, relayed as they come. */
		if (strchr("+-2behimpql", pkt.cmd) == NULL) {
			char why[48];

			snprintf(why, sizeof(why), "unknown answer 0x%02x",
			         (unsigned char)pkt.cmd);
			proxy_up_fail(p, "reading", why);
			return proxy_answer_failed(p, cmd);
		}
		if (cmd == SMFIC_BODYEOB && p->eom_dsn &&
		    pkt.cmd == SMFIR_REPLBODY)
			st = proxy_ub_keep(p, &pkt);
		else
			st = proxy_to_mta(p, pkt.cmd, pkt.data, pkt.len);
		if (st != MP_OK)
			return st;
	}
}

static int
proxy_continue_mta(struct proxy *p, char cmd)
{
	return proxy_answers(p->mta_proto, cmd)
	           ? proxy_to_mta(p, SMFIR_CONTINUE, NULL, 0)
	           : MP_OK;
}

/* Steps whose answers the MTA acts on only at end of message. */
static int
proxy_content_step(char cmd)
{
	return cmd == SMFIC_HEADER || cmd == SMFIC_EOH || cmd == SMFIC_BODY;
}

/*
 * Read the answers to the pipelined steps. The first that decides the
 * message (neither continue nor skip) is held for end of message. Steps
 * sent after it are ignored by some upstreams (libmilter) and answered by
 * others: the connection is out of step either way, so it is closed, and
 * started afresh when the upstream is next needed.
 */
static int
proxy_drain(struct proxy *p)
{
	struct mpacket pkt;
	size_t i, n = p->inflight;
	int st;

	p->inflight = 0;
	if ((st = mproto_flush(p->up, p->up_ms, &p->wu)) != MP_OK) {
		proxy_up_fail(p, "writing", mproto_strerror(st));
		return st;
	}
	for (i = 0; i < n; i++) {
		/* Answers in a row: libmilter holds each for our ACK. */
		p->ru.quickack = 1;
		st = mproto_read(p->up, p->up_ms, &p->ru, &pkt);
		p->ru.quickack = 0;
		if (st != MP_OK) {
			proxy_up_fail(p, "reading", mproto_strerror(st));
			return st;
		}
		if (!proxy_is_final(pkt.cmd)) {
			proxy_up_fail(p, "reading",
			              "a modification before end of message");
			return MP_MALFORMED;
		}
		if (pkt.cmd == SMFIR_CONTINUE)
			continue;
		if (pkt.cmd == SMFIR_SKIP) {
			p->skip_body |= p->flight[i] == SMFIC_BODY;
			continue;
		}
		/* A header rule's refusal, held first, stays. */
		if (p->held_step == 0 &&
		    proxy_copy_packet(&p->held, &pkt) != 0) {
			proxy_up_fail(p, "reading", strerror(ENOMEM));
			return MP_IO;
		}
		if (p->held_step == 0)
			p->held_step = p->flight[i];
		if (i + 1 < n) {
			p->stale = 1;
			proxy_up_close(p);
		}
		break;
	}
	return MP_OK;
}

/* Send a stored step again, with its macros; *answer is the upstream's. */
static int
proxy_replay(struct proxy *p, const struct packet_copy *c, char *answer)
{
	const struct macro_set *m;
	struct mpacket pkt;
	int st;

	*answer = SMFIR_CONTINUE;
	if (c->data == NULL || (p->up_proto & mproto_no_flag(c->cmd)) != 0)
		return MP_OK;
	m = proxy_macro_set_of(p, c->cmd);
	if ((m != NULL && m->buf != NULL &&
	     (st = proxy_up_send(p, SMFIC_MACRO, m->buf, m->len, 1)) !=
	         MP_OK) ||
	    (st = proxy_up_send(p, c->cmd, c->data, c->len, 0)) != MP_OK)
		return st;
	if (!proxy_answers(p->up_proto, c->cmd))
		return MP_OK;
	if ((st = mproto_read(p->up, p->up_ms, &p->ru, &pkt)) != MP_OK)
		return st;
	*answer = pkt.cmd;
	return MP_OK;
}

/*
 * A fresh upstream connection brought to where the session is: the MTA's
 * offer negotiated again, the connect and HELO told again, and the same
 * answers expected as the first time.
 */
static int
proxy_up_restart(struct proxy *p)
{
	struct sockspec spec;
	struct moptneg reply;
	struct mpacket pkt;
	const char *why;
	char a_conn, a_helo;
	int st;

	p->stale = 0;
	mproto_reader_free(&p->ru); /* what the old connection left */
	if (p->offer.data == NULL || p->replay_lost) {
		proxy_up_fail(p, "reconnecting", strerror(ENOMEM));
		return MP_IO;
	}
	if (sockspec_parse(p->cfg->upstream, &spec, &why) != 0) {
		proxy_up_fail(p, "reconnecting", why);
		return MP_IO;
	}
	if (proxy_up_connect(p, &spec) < 0) {
		proxy_up_fail(p, "reconnecting", strerror(errno));
		return MP_IO;
	}
	if ((st = proxy_up_send(p, SMFIC_OPTNEG, p->offer.data, p->offer.len,
	                        0)) != MP_OK ||
	    (st = mproto_read(p->up, p->up_ms, &p->ru, &pkt)) != MP_OK ||
	    (st = pkt.cmd == SMFIC_OPTNEG ? mproto_optneg_decode(&pkt, &reply)
	                                  : MP_MALFORMED) != MP_OK) {
		proxy_up_fail(p, "reconnecting", mproto_strerror(st));
		return st;
	}
	if (reply.protocol != p->up_proto || reply.actions != p->up_actions) {
		proxy_up_fail(p, "reconnecting", "other options negotiated");
		return MP_MALFORMED;
	}
	if ((st = proxy_replay(p, &p->conn, &a_conn)) != MP_OK ||
	    (st = proxy_replay(p, &p->helo, &a_helo)) != MP_OK) {
		proxy_up_fail(p, "reconnecting", mproto_strerror(st));
		return st;
	}
	if (a_conn != SMFIR_CONTINUE || a_helo != SMFIR_CONTINUE) {
		proxy_up_fail(p, "reconnecting",
		              "connect or HELO refused this time");
		return MP_MALFORMED;
	}
	return MP_OK;
}

/* Whether the upstream connection can serve the next session. */
static int
proxy_parkable(const struct proxy *p)
{
	return p->cfg->upstream_reuse && p->pool != NULL && p->at_endm &&
	       !p->stale && p->up >= 0 && p->inflight == 0 &&
	       p->up_version >= 6 && p->up_answer.data != NULL &&
	       p->offer.data != NULL;
}

/* The MTA quits: the upstream is told a new session follows, and kept. */
static int
proxy_park(struct proxy *p)
{
	if (proxy_up_send(p, SMFIC_QUIT_NC, NULL, 0, 0) != MP_OK) {
		proxy_up_close(p);
		return MP_OK;
	}
	uppool_put(p->pool, p->up, p->cfg->upstream, p->offer.data,
	           p->offer.len, p->up_answer.data, p->up_answer.len);
	proxy_up_set(p, -1);
	return MP_OK;
}

/* Pass cmd to the upstream, if it wants it, and answer the MTA. */
static int
proxy_forward(struct proxy *p, const struct mpacket *pkt)
{
	char cmd = pkt->cmd;
	const struct macro_set *m;
	int st;

	if (p->failed)
		return proxy_answer_failed(p, cmd);
	if (cmd == SMFIC_QUIT && proxy_parkable(p))
		return proxy_park(p);
	/*
	 * Postfix sends ABORT after end of message too. libmilter ignores it
	 * there, but falls back a state on the way, where SMFIC_QUIT_NC is
	 * ignored as well: kept for reuse, the upstream does not get it.
	 */
	if (cmd == SMFIC_ABORT && p->at_endm && p->cfg->upstream_reuse)
		return MP_OK;
	/* Decided on, or enough of the body seen: the upstream is done. */
	if ((p->held_step != 0 && proxy_content_step(cmd)) ||
	    (p->skip_body && cmd == SMFIC_BODY) ||
	    (p->up_proto & mproto_no_flag(cmd)) != 0)
		return proxy_continue_mta(p, cmd);
	if (proxy_content_step(cmd) && proxy_answers(p->up_proto, cmd)) {
		if (p->inflight == PIPELINE_MAX && proxy_drain(p) != MP_OK)
			return proxy_answer_failed(p, cmd);
		if (p->held_step != 0)
			return proxy_continue_mta(p, cmd);
		/* Queued, and sent with the next step sent or when the proxy
		 * is about to wait for the MTA (up_idle): one send for what
		 * came together. Its answer is read at the next step that
		 * waits for one (drain). A failure to send is told then. */
		if ((st = proxy_continue_mta(p, cmd)) != MP_OK)
			return st;
		if ((st = proxy_up_send(p, cmd, pkt->data, pkt->len, 1)) !=
		    MP_OK)
			proxy_up_fail(p, "writing", mproto_strerror(st));
		else
			p->flight[p->inflight++] = cmd;
		return MP_OK;
	}
	if (p->inflight > 0 && proxy_drain(p) != MP_OK)
		return proxy_answer_failed(p, cmd);
	if (p->stale) {
		/* Nothing to end on a connection that is gone. */
		if (cmd == SMFIC_ABORT || cmd == SMFIC_QUIT ||
		    cmd == SMFIC_QUIT_NC)
			return MP_OK;
		if (proxy_up_restart(p) != MP_OK)
			return proxy_answer_failed(p, cmd);
		/* This step's macros came while there was no connection. */
		m = proxy_macro_set_of(p, cmd);
		if (m != NULL && m->buf != NULL &&
		    (st = proxy_up_send(p, SMFIC_MACRO, m->buf, m->len, 1)) !=
		        MP_OK) {
			proxy_up_fail(p, "writing", mproto_strerror(st));
			return proxy_answer_failed(p, cmd);
		}
	}
	if ((st = proxy_up_send(p, cmd, pkt->data, pkt->len, 0)) != MP_OK) {
		proxy_up_fail(p, "writing", mproto_strerror(st));
		return proxy_answer_failed(p, cmd);
	}
	if (proxy_answers(p->up_proto, cmd))
		return proxy_relay_answer(p, cmd);
	return proxy_continue_mta(p, cmd);
}

/* The message is over: nothing of the upstream's answers to it remains. */
static void
proxy_message_done(struct proxy *p)
{
	if (p->inflight > 0 && !p->failed)
		proxy_drain(p);
	p->inflight = 0;
	proxy_copy_free(&p->held);
	p->held_step = 0;
	p->held_own = 0;
	p->skip_body = 0;
}

/* The rules' decision for a command; ACT_CONTINUE to ask the upstream. */
static enum action
proxy_decide(struct proxy *p, const struct mpacket *pkt)
{
	const char *str[2];
	struct mconnect c;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const struct sockaddr *sa = NULL;
	int n;

	p->ylen = 0;
	switch (pkt->cmd) {
	case SMFIC_CONNECT:
		if (mproto_connect_decode(pkt, &c) != MP_OK)
			return ACT_CONTINUE;
		memset(&ss, 0, sizeof(ss));
		if (c.family == SMFIA_INET &&
		    inet_pton(AF_INET, c.addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(c.port);
			sa = (struct sockaddr *)sin;
		} else if (c.family == SMFIA_INET6 &&
		           inet_pton(AF_INET6,
		                     strncmp(c.addr, "IPv6:", 5) == 0
		                         ? c.addr + 5
		                         : c.addr,
		                     &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(c.port);
			sa = (struct sockaddr *)sin6;
		}
		return session_connect(&p->s, c.host, sa);
	case SMFIC_HELO:
		n = mproto_strings(pkt, 0, str, 1);
		return n == 1 ? session_helo(&p->s, str[0]) : ACT_CONTINUE;
	case SMFIC_MAIL:
		n = mproto_strings(pkt, 0, str, 1);
		return n == 1 ? session_mail(&p->s, str[0]) : ACT_CONTINUE;
	case SMFIC_RCPT:
		n = mproto_strings(pkt, 0, str, 1);
		return n == 1 ? session_rcpt(&p->s, str[0]) : ACT_CONTINUE;
	case SMFIC_HEADER:
		n = mproto_strings(pkt, 0, str, 2);
		return n == 2 ? session_header(&p->s, str[0], str[1])
		              : ACT_CONTINUE;
	case SMFIC_BODYEOB:
		return session_eom(&p->s);
	default:
		return ACT_CONTINUE;
	}
}

/* A recipient the MTA rejected itself (SMFIP_RCPT_REJ). */
static int
proxy_mta_rejected(struct proxy *p, const struct mpacket *pkt)
{
	const char *m = proxy_macro(p, "{rcpt_mailer}");

	return pkt->cmd == SMFIC_RCPT && m != NULL && strcmp(m, "error") == 0;
}

/* What an MTA may send once negotiation is over. */
static int
proxy_mta_command(char cmd)
{
	return cmd != '\0' && strchr("ABCDEHKLMNQRTU", cmd) != NULL;
}

/* The held decision: a rule's as it was made, the upstream's annotated. */
static int
proxy_answer_held(struct proxy *p)
{
	struct mpacket held = {p->held.cmd, p->held.len, p->held.data};

	if (p->held_own)
		return proxy_to_mta(p, held.cmd, held.data, held.len);
	return proxy_relay_final(p, p->held_step, &held);
}

/*
 * A rule refused a step the MTA takes no answer for (a header, with
 * SMFIP_NR_HDR): the refusal is given at end of message, as the MTA would
 * have given it, and the upstream sees no more of the message.
 */
static int
proxy_hold_own(struct proxy *p, char cmd, enum action a)
{
	struct mpacket own = {SMFIR_REPLYCODE, p->ylen + 1, p->y};

	if (p->held_step != 0)
		return MP_OK;
	if (p->ylen == 0) {
		own.cmd = a == ACT_REJECT ? SMFIR_REJECT : SMFIR_TEMPFAIL;
		own.len = 0;
		own.data = "";
	}
	if (proxy_copy_packet(&p->held, &own) != 0)
		return MP_IO; /* no memory to hold it: the session ends */
	p->held_step = cmd;
	p->held_own = 1;
	return MP_OK;
}

static int
proxy_command(struct proxy *p, const struct mpacket *pkt)
{
	enum action a;
	int st;

	/*
	 * An unknown command (or a second OPTNEG) is the MTA's error: the
	 * session ends, as libmilter ends it, rather than passing it on and
	 * blaming the upstream for choking on it.
	 */
	if (!proxy_mta_command(pkt->cmd))
		return MP_MALFORMED;
	proxy_dsn_feed(p, pkt);
	/* Known now: whether this end of message is a report's. */
	if (pkt->cmd == SMFIC_BODYEOB)
		p->eom_dsn = p->dsn_on && dsn_collect_wants_body(&p->dsn);
	switch (pkt->cmd) {
	case SMFIC_MACRO:
		proxy_macros_store(p, pkt);
		/* Every macro reaches the upstream, known to us or not (with
		 * no connection, proxy_forward() sends the step's again). */
		if (!p->failed && !p->stale &&
		    (st = proxy_up_send(p, pkt->cmd, pkt->data, pkt->len, 1)) !=
		        MP_OK)
			proxy_up_fail(p, "writing", mproto_strerror(st));
		return MP_OK;
	case SMFIC_ABORT:
		session_end_message(&p->s);
		proxy_macros_clear(p, "MRTNLE");
		break;
	case SMFIC_QUIT_NC:
		/* A new SMTP connection follows on this milter connection. */
		session_init(&p->s, p->cfg, p->s.env, p);
		proxy_macros_clear(p, proxy_macro_steps);
		proxy_copy_free(&p->conn);
		proxy_copy_free(&p->helo);
		break;
	case SMFIC_CONNECT:
	case SMFIC_HELO:
		/* Kept for a fresh start of the upstream (up_restart). */
		if (proxy_copy_packet(pkt->cmd == SMFIC_CONNECT ? &p->conn
		                                                : &p->helo,
		                      pkt) != 0)
			p->replay_lost = 1;
		break;
	default:
		break;
	}
	/* Decided before end of message: that decision is the answer. */
	if (pkt->cmd == SMFIC_BODYEOB && p->inflight > 0 && !p->failed)
		proxy_drain(p);
	if (pkt->cmd == SMFIC_BODYEOB && p->held_step != 0)
		st = proxy_answer_held(p);
	else if ((a = proxy_decide(p, pkt)) != ACT_CONTINUE)
		/* The rules refused: the upstream is not asked. */
		st = proxy_answers(p->mta_proto, pkt->cmd)
		         ? proxy_answer_mta(p, a)
		         : proxy_hold_own(p, pkt->cmd, a);
	else if (proxy_mta_rejected(p, pkt) &&
	         (p->up_proto & SMFIP_RCPT_REJ) == 0)
		st = proxy_continue_mta(p, pkt->cmd);
	else
		st = proxy_forward(p, pkt);
	if (pkt->cmd == SMFIC_BODYEOB || pkt->cmd == SMFIC_ABORT)
		proxy_message_done(p);
	if (pkt->cmd == SMFIC_BODYEOB) {
		session_end_message(&p->s);
		proxy_macros_clear(p, "MRTNLE");
		/* Refused, or annotated already: the report is over. */
		p->eom_dsn = 0;
		proxy_ub_clear(p);
		dsn_collect_reset(&p->dsn);
	}
	return st;
}

/* Negotiation. */

/* A parked connection for this upstream and offer, and its answer. */
static int
proxy_reuse_parked(struct proxy *p, struct moptneg *reply)
{
	struct mpacket pkt;
	char *answer;
	size_t len;
	int fd;

	if (!p->cfg->upstream_reuse || p->offer.data == NULL ||
	    (fd = uppool_take(p->pool, p->cfg->upstream, p->offer.data,
	                      p->offer.len, &answer, &len)) < 0)
		return 0;
	proxy_up_set(p, fd);
	p->up_answer.cmd = SMFIC_OPTNEG;
	p->up_answer.data = answer;
	p->up_answer.len = len;
	pkt.cmd = SMFIC_OPTNEG;
	pkt.len = len;
	pkt.data = answer;
	if (mproto_optneg_decode(&pkt, reply) != MP_OK) {
		proxy_up_close(p);
		proxy_copy_free(&p->up_answer);
		memset(reply, 0, sizeof(*reply));
		return 0;
	}
	return 1;
}

/* The steps our rules and observation need, whatever the upstream wants. */
static uint32_t
proxy_needed_steps(void)
{
	return SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |
	       SMFIP_NOHDRS | SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL |
	       SMFIP_NR_RCPT | SMFIP_NR_HDR;
}

static int
proxy_negotiate(struct proxy *p)
{
	char out[1024], lists[MPROTO_STAGES][512];
	const char *ours, *merged;
	struct moptneg offer, reply;
	struct mpacket pkt;
	struct sockspec spec;
	const char *why;
	size_t len;
	int st, i;

	if (mproto_read(p->mta, p->mta_ms, &p->rm, &pkt) != MP_OK ||
	    pkt.cmd != SMFIC_OPTNEG ||
	    mproto_optneg_decode(&pkt, &offer) != MP_OK)
		return MP_MALFORMED;
	if (proxy_copy_packet(&p->offer, &pkt) != 0)
		p->replay_lost = 1;
	memset(&reply, 0, sizeof(reply));
	if (proxy_reuse_parked(p, &reply))
		; /* negotiated by an earlier session, with the same offer */
	else if (sockspec_parse(p->cfg->upstream, &spec, &why) != 0)
		proxy_up_fail(p, "connecting", why);
	else if (proxy_up_connect(p, &spec) < 0)
		proxy_up_fail(p, "connecting", strerror(errno));
	else if ((st = mproto_write(p->up, p->up_ms, SMFIC_OPTNEG, pkt.data,
	                            pkt.len)) != MP_OK ||
	         (st = mproto_read(p->up, p->up_ms, &p->ru, &pkt)) != MP_OK ||
	         (st = pkt.cmd == SMFIC_OPTNEG
	                   ? mproto_optneg_decode(&pkt, &reply)
	                   : MP_MALFORMED) != MP_OK)
		proxy_up_fail(p, "negotiating", mproto_strerror(st));
	else if (p->cfg->upstream_reuse)
		/* Kept for the session that takes this connection over. */
		(void)proxy_copy_packet(&p->up_answer, &pkt);
	/* Bounces are annotated where the MTA lets us change a body. */
	p->dsn_on =
	    p->cfg->dsn && (offer.actions & (SMFIF_CHGBODY | SMFIF_ADDHDRS)) ==
	                       (SMFIF_CHGBODY | SMFIF_ADDHDRS);
	if (p->failed) {
		/* Alone: ask for what the rules need, of what was offered. */
		reply.version = MPROTO_VERSION;
		reply.actions = 0;
		reply.protocol = offer.protocol &
		                 (SMFIP_NOUNKNOWN | SMFIP_NODATA |
		                  (p->dsn_on ? 0 : SMFIP_NOBODY | SMFIP_NOEOH));
	}
	p->up_proto = reply.protocol;
	p->up_actions = reply.actions;
	p->up_version = reply.version;
	/* Our steps are sent and answered; the upstream's wishes apply
	 * between us and it (a report's body and end of headers too). */
	p->mta_proto =
	    (reply.protocol & ~(proxy_needed_steps() |
	                        (p->dsn_on ? SMFIP_NOBODY | SMFIP_NOEOH : 0))) |
	    (offer.protocol & SMFIP_RCPT_REJ);
	if (p->dsn_on)
		reply.actions |= SMFIF_CHGBODY | SMFIF_ADDHDRS;
	/* Answered at end of message (forward, hold_own): no waiting. */
	p->mta_proto |=
	    offer.protocol & (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	reply.protocol = p->mta_proto;
	/* Stages in the same order (SMFIM_*): add the names we read. */
	for (i = 0; i < MPROTO_STAGES; i++)
		if (reply.macros[i] != NULL &&
		    (ours = session_macros(i)) != NULL &&
		    (merged = macrolist_merge(lists[i], sizeof(lists[i]),
		                              reply.macros[i], ours)) != NULL)
			reply.macros[i] = merged;
	if ((len = mproto_optneg_encode(&reply, out, sizeof(out))) == 0)
		return MP_MALFORMED;
	return proxy_to_mta(p, SMFIC_OPTNEG, out, len);
}

/*
 * About to wait for the MTA: the pipelined steps queued for the upstream
 * go now, so that it works on them meanwhile. Under load the MTA's next
 * steps are there already, and more of them leave in one send.
 */
static void
proxy_up_idle(struct proxy *p)
{
	int st;

	if (p->wu.len == 0 || p->up < 0 || mproto_pending(&p->rm))
		return;
	if ((st = mproto_flush(p->up, p->up_ms, &p->wu)) != MP_OK)
		proxy_up_fail(p, "writing", mproto_strerror(st));
}

void
proxy_session(int mta_fd, struct config *cfg, const struct session_env *env,
              struct uppool *pool)
{
	struct session_env penv = *env;
	struct proxy *p = calloc(1, sizeof(*p));
	struct mpacket pkt;
	int st, quit = 0;

	if (p == NULL)
		return;
	penv.io = &proxy_io;
	p->mta = mta_fd;
	mproto_reader_bind(&p->rm, mta_fd);
	proxy_up_set(p, -1);
	p->cfg = cfg;
	p->pool = pool;
	p->mta_ms = cfg->timeout * 1000;
	dsn_collect_init(&p->dsn, cfg->dsn_max_size);
	p->up_ms = cfg->upstream_timeout * 1000;
	session_init(&p->s, cfg, &penv, p);
	if (proxy_negotiate(p) == MP_OK) {
		for (;;) {
			proxy_up_idle(p);
			st = mproto_read(p->mta, p->mta_ms, &p->rm, &pkt);
			if (st != MP_OK)
				break;
			if (proxy_command(p, &pkt) != MP_OK)
				break;
			if (pkt.cmd == SMFIC_QUIT) {
				quit = 1;
				break;
			}
		}
	}
	/* The MTA went away without QUIT: tell the upstream ourselves. */
	if (p->up >= 0 && !quit)
		proxy_up_send(p, SMFIC_QUIT, NULL, 0, 0);
	proxy_up_close(p);
	proxy_macros_clear(p, proxy_macro_steps);
	proxy_copy_free(&p->held);
	proxy_copy_free(&p->offer);
	proxy_copy_free(&p->conn);
	proxy_copy_free(&p->helo);
	proxy_copy_free(&p->up_answer);
	proxy_ub_clear(p);
	dsn_collect_reset(&p->dsn);
	mproto_reader_free(&p->rm);
	mproto_reader_free(&p->ru);
	mproto_writer_free(&p->wu);
	free(p->y);
	free(p);
}
