/*
 * mtadriver - the MTA side of the milter protocol, driven by a script:
 * for protocol-level end-to-end tests of milter-annotate (plain and proxy
 * mode) and of any milter, and as a load generator. It speaks through
 * mproto, the module the proxy itself uses.
 *
 * usage: mtadriver [-v] [-n] [-t TIMEOUT_MS] SOCKET < SCRIPT
 *
 *   SOCKET   inet:PORT@HOST, inet6:PORT@HOST or unix:/path
 *   -t MS    the timeout of every connect, read and write (default 10000)
 *   -n       send every step, even those the milter negotiated not to see
 *            (SMFIP_NOCONNECT...); by default they are skipped, as an MTA
 *            does, with a note on stderr
 *   -v       echo each script line to stderr as it runs
 *
 * The script has one command a line; blank lines and lines starting with
 * '#' are ignored. Words are separated by blanks; a word may be quoted
 * ("...") to hold blanks or be empty, with the escapes \\ \" \n \r \t
 * \xNN inside. Numbers are decimal or 0x hex.
 *
 *   optneg [ACTIONS [PROTOCOL [VERSION]]]
 *            offer (default: what Postfix 3.7 offers: 0x1ff 0x1fffff 6)
 *            and read the milter's answer
 *   macro STEP NAME VALUE [NAME VALUE...]
 *            a 'D' packet for STEP, one of C H M R T N L E (no reply)
 *   connect HOST FAMILY [PORT ADDR]
 *            FAMILY: 4, 6, L (unix), U (unknown: no PORT nor ADDR)
 *   helo NAME
 *   mail ADDR [ARG...]           ADDR as the MTA sends it, e.g. <a@b>
 *   rcpt ADDR [ARG...]
 *   data
 *   header NAME VALUE            VALUE: the rest of the line, verbatim
 *   eoh
 *   body TEXT                    TEXT: the rest of the line, escapes
 *                                decoded (\0 too), then CRLF added
 *   eom
 *   unknown TEXT                 an unknown SMTP command (rest of line)
 *   abort | quit | quitnc        no reply
 *   raw LETTER [HEX...]          any packet, its data in hex (blanks
 *                                allowed); LETTER may be 0xNN. No reply
 *                                is read: use expect.
 *   bytes HEX...                 bytes as they are, no packet framing:
 *                                garbage, truncated or oversized packets
 *   nowait COMMAND [ARG...]      the step COMMAND (connect .. eom,
 *                                unknown) is sent, its answer not read:
 *                                an MTA that goes away mid-command
 *   close [rst]                  close the connection (rst: with a TCP
 *                                reset, SO_LINGER 0); the last command
 *   expect LETTER [TEXT]         the next reply must be LETTER ('any':
 *                                any) and, with TEXT (rest of line), its
 *                                printed data must contain TEXT
 *   expect eof                   the milter must close the connection
 *   sleep MS
 *
 * A command that the milter answers (every step but macro, abort, quit,
 * quitnc, raw; a step not when the milter set its SMFIP_NR_* flag) reads
 * replies until a final one (a c r t y d s, or 4 f), modifications and
 * progress (+ - 2 b e h i m q p: at eom only, and only those the
 * negotiated actions allow) as they come. These replies queue up for
 * expect, in order; the next command drops what expect did not take.
 * With nothing queued, expect reads a reply itself.
 *
 * Every reply read is printed on stdout as one line: its letter, then, if
 * it has data, a space and the data made printable (NUL as \0, backslash
 * as \\, other bytes outside 0x20..0x7e as \xNN). An OPTNEG reply prints
 * as
 *   O version=0x6 actions=0x1 protocol=0x1ff000 C="j {client_addr}" ...
 * with one STAGE="list" per macro list (stages C H M R T E N, in the
 * order of SMFIM_CONNECT .. SMFIM_EOH).
 *
 * Exit status: 0 when the script ran to its end, 1 on a protocol error,
 * a timeout, a closed connection or a failed expect, 2 on a usage or
 * script error; a message on stderr says which line and why.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
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

#define EX_FAIL  1
#define EX_USAGE 2

#define WORDS_MAX 256

/* What Postfix 3.7 offers. */
#define OFFER_ACTIONS  0x1ffu
#define OFFER_PROTOCOL 0x1fffffu

static const char stage_letters[MPROTO_STAGES] = {'C', 'H', 'M', 'R',
                                                  'T', 'E', 'N'};

struct reply {
	char cmd;
	char *text; /* printable form of the data */
};

struct driver {
	int fd;
	int timeout_ms;
	int verbose, send_all;
	int nowait; /* this line's step: send only */
	int closed; /* the script closed the connection */
	unsigned line;
	uint32_t offer_version, offer_actions, offer_protocol;
	uint32_t actions, protocol; /* negotiated */
	struct mreader r;
	struct reply *q; /* replies not yet expected */
	size_t qhead, qn, qcap;
};

static struct driver D;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (D.line > 0)
		fprintf(stderr, "mtadriver: line %u: ", D.line);
	else
		fprintf(stderr, "mtadriver: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((format(printf, 1, 2))) note(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "mtadriver: line %u: ", D.line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *
xmalloc(size_t n)
{
	void *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		die(EX_FAIL, "out of memory");
	return p;
}

/* Printable form of data (malloc'd). */
static char *
printable(const char *data, size_t len)
{
	char *out = xmalloc(4 * len + 1), *o = out;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '\0') {
			*o++ = '\\';
			*o++ = '0';
		} else if (c == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else if (c >= 0x20 && c < 0x7f) {
			*o++ = (char)c;
		} else {
			o += sprintf(o, "\\x%02x", c);
		}
	}
	*o = '\0';
	return out;
}

static int
is_final(char r)
{
	return r != '\0' && strchr("acrtyds4f", r) != NULL;
}

/* The action a modification needs; 0 for progress. */
static int
modification(char r, uint32_t *action)
{
	switch (r) {
	case SMFIR_ADDRCPT:
		*action = SMFIF_ADDRCPT;
		return 1;
	case SMFIR_DELRCPT:
		*action = SMFIF_DELRCPT;
		return 1;
	case SMFIR_ADDRCPT_PAR:
		*action = SMFIF_ADDRCPT_PAR;
		return 1;
	case SMFIR_REPLBODY:
		*action = SMFIF_CHGBODY;
		return 1;
	case SMFIR_CHGFROM:
		*action = SMFIF_CHGFROM;
		return 1;
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
		*action = SMFIF_ADDHDRS;
		return 1;
	case SMFIR_CHGHEADER:
		*action = SMFIF_CHGHDRS;
		return 1;
	case SMFIR_QUARANTINE:
		*action = SMFIF_QUARANTINE;
		return 1;
	case SMFIR_PROGRESS:
		*action = 0;
		return 1;
	default:
		return 0;
	}
}

/* The expect queue. */

static void
queue_clear(void)
{
	size_t i;

	for (i = D.qhead; i < D.qn; i++)
		free(D.q[i].text);
	D.qhead = D.qn = 0;
}

static void
queue_push(char cmd, char *text)
{
	if (D.qn == D.qcap) {
		struct reply *grown;

		D.qcap = D.qcap > 0 ? 2 * D.qcap : 16;
		if ((grown = realloc(D.q, D.qcap * sizeof(*D.q))) == NULL)
			die(EX_FAIL, "out of memory");
		D.q = grown;
	}
	D.q[D.qn].cmd = cmd;
	D.q[D.qn++].text = text;
}

/* Replies. */

static void
print_optneg(const struct moptneg *o)
{
	char *s;
	int i;

	printf("O version=0x%x actions=0x%x protocol=0x%x", o->version,
	       o->actions, o->protocol);
	for (i = 0; i < MPROTO_STAGES; i++) {
		if (o->macros[i] == NULL)
			continue;
		s = printable(o->macros[i], strlen(o->macros[i]));
		printf(" %c=\"%s\"", stage_letters[i], s);
		free(s);
	}
	putchar('\n');
}

/* The milter's OPTNEG answer: print it, check it, take it. */
static void
take_optneg(const struct mpacket *p)
{
	struct moptneg o;
	char *s;

	if (mproto_optneg_decode(p, &o) != MP_OK) {
		s = printable(p->data, p->len);
		printf("O %s\n", s);
		free(s);
		die(EX_FAIL, "malformed OPTNEG reply");
	}
	print_optneg(&o);
	if (o.version < 2 || o.version > D.offer_version)
		die(EX_FAIL, "OPTNEG reply: version %u, offered %u",
		    (unsigned)o.version, (unsigned)D.offer_version);
	if ((o.actions & ~D.offer_actions) != 0)
		die(EX_FAIL,
		    "OPTNEG reply: actions 0x%x not offered (offered 0x%x)",
		    (unsigned)(o.actions & ~D.offer_actions),
		    (unsigned)D.offer_actions);
	if ((o.protocol & ~D.offer_protocol) != 0)
		die(EX_FAIL,
		    "OPTNEG reply: protocol flags 0x%x not offered (offered "
		    "0x%x)",
		    (unsigned)(o.protocol & ~D.offer_protocol),
		    (unsigned)D.offer_protocol);
	D.actions = o.actions;
	D.protocol = o.protocol;
}

/* Read and print one reply; MP_CLOSED is returned when closed_ok. */
static int
read_reply(const char *what, struct mpacket *p, int closed_ok)
{
	char *s;
	int st;

	st = mproto_read(D.fd, D.timeout_ms, &D.r, p);
	if (st == MP_CLOSED && closed_ok)
		return st;
	if (st == MP_TIMEOUT)
		die(EX_FAIL, "%s: no reply within %d ms", what, D.timeout_ms);
	if (st != MP_OK)
		die(EX_FAIL, "%s: reading the reply: %s", what,
		    mproto_strerror(st));
	if (p->cmd == SMFIC_OPTNEG) {
		take_optneg(p);
		return MP_OK;
	}
	s = printable(p->data, p->len);
	if (p->len > 0)
		printf("%c %s\n", p->cmd, s);
	else
		printf("%c\n", p->cmd);
	free(s);
	return MP_OK;
}

/* Replies to cmd until a final one, each queued for expect. */
static void
read_answer(char cmd)
{
	struct mpacket p;
	uint32_t action;

	for (;;) {
		read_reply(mproto_step_name(cmd), &p, 0);
		queue_push(p.cmd, printable(p.data, p.len));
		if (is_final(p.cmd))
			return;
		if (!modification(p.cmd, &action))
			die(EX_FAIL, "%s: unexpected reply '%c' (0x%02x)",
			    mproto_step_name(cmd), p.cmd, (unsigned char)p.cmd);
		if (cmd != SMFIC_BODYEOB)
			die(EX_FAIL,
			    "%s: modification '%c' before end of message",
			    mproto_step_name(cmd), p.cmd);
		if ((D.actions & action) != action)
			die(EX_FAIL,
			    "%s: modification '%c' needs action 0x%x, not "
			    "negotiated (0x%x)",
			    mproto_step_name(cmd), p.cmd, (unsigned)action,
			    (unsigned)D.actions);
	}
}

static void
send_packet(const char *what, char cmd, const char *data, size_t len)
{
	int st;

	queue_clear();
	st = mproto_write(D.fd, D.timeout_ms, cmd, data, len);
	if (st != MP_OK)
		die(EX_FAIL, "%s: sending: %s", what, mproto_strerror(st));
}

/* A step: sent unless the milter asked not to see it, then answered. */
static void
step(char cmd, const char *data, size_t len)
{
	if (!D.send_all && (D.protocol & mproto_no_flag(cmd)) != 0) {
		queue_clear();
		note("%s not sent: the milter negotiated not to see it "
		     "(protocol flag 0x%x)",
		     mproto_step_name(cmd), (unsigned)mproto_no_flag(cmd));
		return;
	}
	send_packet(mproto_step_name(cmd), cmd, data, len);
	if (D.nowait)
		return;
	if (cmd == SMFIC_BODYEOB || (D.protocol & mproto_nr_flag(cmd)) == 0)
		read_answer(cmd);
}

/* Script parsing. */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode the escapes of s[0..n) in place; *len gets the length. With
 * nul_ok 0, a NUL is refused. Returns 0, or -1 on a bad escape.
 */
static int
unescape(char *s, size_t n, size_t *len, int nul_ok)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			s[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\':
		case '"':
			s[o++] = s[i];
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		case 't':
			s[o++] = '\t';
			break;
		case '0':
			if (!nul_ok)
				return -1;
			s[o++] = '\0';
			break;
		case 'x':
			if (i + 2 >= n)
				return -1;
			if ((h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				return -1;
			if (h == 0 && l == 0 && !nul_ok)
				return -1;
			s[o++] = (char)(h << 4 | l);
			i += 2;
			break;
		default:
			return -1;
		}
	}
	*len = o;
	return 0;
}

/*
 * The next word of *pp, in place (NUL-terminated, escapes of a quoted
 * word decoded); *pp moves past it and the one blank after it. Returns 1,
 * 0 at the end of the line, -1 on a bad word.
 */
static int
next_word(char **pp, char **word)
{
	char *p = *pp, *start;
	size_t len;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*pp = p;
		return 0;
	}
	if (*p == '"') {
		start = ++p;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		if (*p != '"')
			return -1;
		if (unescape(start, (size_t)(p - start), &len, 0) != 0)
			return -1;
		start[len] = '\0';
		p++;
		if (*p != '\0' && *p != ' ' && *p != '\t')
			return -1;
	} else {
		start = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	if (*p != '\0')
		*p++ = '\0';
	*word = start;
	*pp = p;
	return 1;
}

static uint32_t
number(const char *s, uint32_t max, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (s[0] == '-' || s[0] == '\0' || *end != '\0' || errno != 0 ||
	    v > max)
		die(EX_USAGE, "bad %s '%s'", what, s);
	return (uint32_t)v;
}

/* A growing packet body. */
struct buf {
	char *data;
	size_t len, cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		char *grown;

		b->cap = (b->len + n) * 2 + 64;
		if ((grown = realloc(b->data, b->cap)) == NULL)
			die(EX_FAIL, "out of memory");
		b->data = grown;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s) + 1);
}

static int
words(char **pp, char **w, size_t max)
{
	size_t n = 0;
	int r;

	while ((r = next_word(pp, &w[n])) == 1)
		if (++n == max)
			die(EX_USAGE, "too many words");
	if (r < 0)
		die(EX_USAGE, "bad word (unbalanced quote or bad escape)");
	return (int)n;
}

static void
do_optneg(char **w, int n)
{
	char out[12];
	struct moptneg o;
	struct mpacket p;

	if (n > 3)
		die(EX_USAGE, "usage: optneg [ACTIONS [PROTOCOL [VERSION]]]");
	memset(&o, 0, sizeof(o));
	o.actions = n > 0 ? number(w[0], UINT32_MAX, "actions") : OFFER_ACTIONS;
	o.protocol =
	    n > 1 ? number(w[1], UINT32_MAX, "protocol") : OFFER_PROTOCOL;
	o.version =
	    n > 2 ? number(w[2], UINT32_MAX, "version") : MPROTO_VERSION;
	D.offer_version = o.version;
	D.offer_actions = o.actions;
	D.offer_protocol = o.protocol;
	if (mproto_optneg_encode(&o, out, sizeof(out)) != sizeof(out))
		die(EX_FAIL, "optneg: cannot encode");
	send_packet("optneg", SMFIC_OPTNEG, out, sizeof(out));
	read_reply("optneg", &p, 0);
	if (p.cmd != SMFIC_OPTNEG) {
		queue_push(p.cmd, printable(p.data, p.len));
		die(EX_FAIL, "optneg: reply '%c', want 'O'", p.cmd);
	}
	queue_push(p.cmd, printable(p.data, p.len));
}

static void
do_macro(char **w, int n)
{
	struct buf b = {NULL, 0, 0};
	int i;

	if (n < 1 || n % 2 == 0 || strlen(w[0]) != 1 ||
	    strchr("CHMRTNLEBU", w[0][0]) == NULL)
		die(EX_USAGE, "usage: macro STEP NAME VALUE [NAME VALUE...] "
		              "(STEP: C H M R T N L E)");
	buf_add(&b, w[0], 1);
	for (i = 1; i < n; i++)
		buf_str(&b, w[i]);
	send_packet("macro", SMFIC_MACRO, b.data, b.len);
	free(b.data);
}

static void
do_connect(char **w, int n)
{
	struct buf b = {NULL, 0, 0};
	unsigned char port[2];
	uint32_t v;
	char fam;

	if (n < 2 || strlen(w[1]) != 1 || strchr("46LU", w[1][0]) == NULL ||
	    (w[1][0] == 'U' ? n != 2 : n != 4))
		die(EX_USAGE, "usage: connect HOST FAMILY [PORT ADDR] "
		              "(FAMILY 4, 6, L, or U without PORT ADDR)");
	fam = w[1][0];
	buf_str(&b, w[0]);
	buf_add(&b, &fam, 1);
	if (fam != 'U') {
		v = number(w[2], 65535, "port");
		port[0] = (unsigned char)(v >> 8);
		port[1] = (unsigned char)v;
		buf_add(&b, port, 2);
		buf_str(&b, w[3]);
	}
	step(SMFIC_CONNECT, b.data, b.len);
	free(b.data);
}

/* helo NAME, mail ADDR [ARGS...], rcpt ADDR [ARGS...] */
static void
do_strings(char cmd, char **w, int n, int min, int max, const char *use)
{
	struct buf b = {NULL, 0, 0};
	int i;

	if (n < min || (max >= 0 && n > max))
		die(EX_USAGE, "usage: %s", use);
	for (i = 0; i < n; i++)
		buf_str(&b, w[i]);
	step(cmd, b.data, b.len);
	free(b.data);
}

/* The bytes of hex words w[0..n) into b. */
static void
hex_words(struct buf *b, char **w, int n, const char *what)
{
	const char *s;
	char c;
	int i, h, l;

	for (i = 0; i < n; i++)
		for (s = w[i]; *s != '\0'; s += 2) {
			if ((h = hexval(s[0])) < 0 || s[1] == '\0' ||
			    (l = hexval(s[1])) < 0)
				die(EX_USAGE, "%s: bad hex '%s'", what, w[i]);
			c = (char)(h << 4 | l);
			buf_add(b, &c, 1);
		}
}

static void
do_raw(char **w, int n)
{
	struct buf b = {NULL, 0, 0};
	char cmd;

	if (n < 1)
		die(EX_USAGE, "usage: raw LETTER [HEX...]");
	if (strlen(w[0]) == 1)
		cmd = w[0][0];
	else
		cmd = (char)number(w[0], 255, "packet letter");
	hex_words(&b, w + 1, n - 1, "raw");
	send_packet("raw", cmd, b.data, b.len);
	free(b.data);
}

/* Unframed bytes, written as they are (a short write is an error). */
static void
do_bytes(char **w, int n)
{
	struct buf b = {NULL, 0, 0};
	size_t off = 0;
	ssize_t r;

	if (n < 1)
		die(EX_USAGE, "usage: bytes HEX...");
	hex_words(&b, w, n, "bytes");
	queue_clear();
	while (off < b.len) {
		r = write(D.fd, b.data + off, b.len - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die(EX_FAIL, "bytes: sending: %s", strerror(errno));
		off += (size_t)r;
	}
	free(b.data);
}

static void
do_close(char **w, int n)
{
	struct linger lg = {1, 0};

	if (n > 1 || (n == 1 && strcmp(w[0], "rst") != 0))
		die(EX_USAGE, "usage: close [rst]");
	queue_clear();
	/* A linger of 0 makes close() send a reset instead of a FIN. */
	if (n == 1 &&
	    setsockopt(D.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0)
		die(EX_FAIL, "close rst: %s", strerror(errno));
	close(D.fd);
	D.fd = -1;
	D.closed = 1;
}

static void
do_expect(char **w, int n, const char *text)
{
	struct mpacket p;
	struct reply got;
	int any;

	if (n < 1 || (strlen(w[0]) != 1 && strcmp(w[0], "any") != 0 &&
	              strcmp(w[0], "eof") != 0))
		die(EX_USAGE, "usage: expect LETTER|any [TEXT] | expect eof");
	if (strcmp(w[0], "eof") == 0) {
		if (D.qhead < D.qn)
			die(EX_FAIL, "expect eof: reply '%c' not expected yet",
			    D.q[D.qhead].cmd);
		if (read_reply("expect eof", &p, 1) != MP_CLOSED)
			die(EX_FAIL, "expect eof: got reply '%c'", p.cmd);
		return;
	}
	any = strcmp(w[0], "any") == 0;
	if (D.qhead < D.qn) {
		got = D.q[D.qhead++];
	} else {
		read_reply("expect", &p, 0);
		got.cmd = p.cmd;
		got.text = printable(p.data, p.len);
	}
	if (!any && got.cmd != w[0][0])
		die(EX_FAIL, "expected reply '%c', got '%c' %s", w[0][0],
		    got.cmd, got.text);
	if (text != NULL && *text != '\0' && strstr(got.text, text) == NULL)
		die(EX_FAIL, "expected reply '%c' with \"%s\", got '%c' %s",
		    any ? '*' : w[0][0], text, got.cmd, got.text);
	free(got.text);
}

/* A script command that is a step the milter answers. */
static int
is_step(const char *cmd)
{
	static const char *const steps[] = {
	    "connect", "helo", "mail", "rcpt",    "data", "header",
	    "eoh",     "body", "eom",  "unknown", NULL};
	int i;

	for (i = 0; steps[i] != NULL; i++)
		if (strcmp(cmd, steps[i]) == 0)
			return 1;
	return 0;
}

/* The rest of a line after the command word(s), one blank skipped. */
static void
run_line(char *line)
{
	char *w[WORDS_MAX], *p = line, *cmd, *rest;
	struct buf b = {NULL, 0, 0};
	size_t len;
	int n, r;

	if ((r = next_word(&p, &cmd)) <= 0) {
		if (r < 0)
			die(EX_USAGE, "bad word");
		return;
	}
	if (cmd[0] == '#')
		return;
	if (D.verbose)
		fprintf(stderr, "> %s%s%s\n", cmd, *p ? " " : "", p);
	if (D.closed)
		die(EX_USAGE, "%s after close: close is the last command", cmd);
	D.nowait = strcmp(cmd, "nowait") == 0;
	if (D.nowait && (next_word(&p, &cmd) <= 0 || !is_step(cmd)))
		die(EX_USAGE, "usage: nowait STEP [ARG...] (STEP: connect .. "
		              "eom, unknown)");

	/* Commands whose last part is the rest of the line. */
	if (strcmp(cmd, "header") == 0) {
		if (next_word(&p, &w[0]) <= 0)
			die(EX_USAGE, "usage: header NAME VALUE");
		buf_str(&b, w[0]);
		buf_str(&b, p);
		step(SMFIC_HEADER, b.data, b.len);
	} else if (strcmp(cmd, "body") == 0) {
		rest = p;
		if (unescape(rest, strlen(rest), &len, 1) != 0)
			die(EX_USAGE, "body: bad escape");
		buf_add(&b, rest, len);
		buf_add(&b, "\r\n", 2);
		step(SMFIC_BODY, b.data, b.len);
	} else if (strcmp(cmd, "unknown") == 0) {
		buf_str(&b, p);
		step(SMFIC_UNKNOWN, b.data, b.len);
	} else if (strcmp(cmd, "expect") == 0) {
		if (next_word(&p, &w[0]) <= 0)
			die(EX_USAGE, "usage: expect LETTER|any [TEXT]");
		do_expect(w, 1, p);
	} else {
		n = words(&p, w, WORDS_MAX);
		if (strcmp(cmd, "optneg") == 0)
			do_optneg(w, n);
		else if (strcmp(cmd, "macro") == 0)
			do_macro(w, n);
		else if (strcmp(cmd, "connect") == 0)
			do_connect(w, n);
		else if (strcmp(cmd, "helo") == 0)
			do_strings(SMFIC_HELO, w, n, 1, 1, "helo NAME");
		else if (strcmp(cmd, "mail") == 0)
			do_strings(SMFIC_MAIL, w, n, 1, -1,
			           "mail ADDR [ARGS...]");
		else if (strcmp(cmd, "rcpt") == 0)
			do_strings(SMFIC_RCPT, w, n, 1, -1,
			           "rcpt ADDR [ARGS...]");
		else if (strcmp(cmd, "data") == 0 && n == 0)
			step(SMFIC_DATA, NULL, 0);
		else if (strcmp(cmd, "eoh") == 0 && n == 0)
			step(SMFIC_EOH, NULL, 0);
		else if (strcmp(cmd, "eom") == 0 && n == 0)
			step(SMFIC_BODYEOB, NULL, 0);
		else if (strcmp(cmd, "abort") == 0 && n == 0)
			send_packet("abort", SMFIC_ABORT, NULL, 0);
		else if (strcmp(cmd, "quit") == 0 && n == 0)
			send_packet("quit", SMFIC_QUIT, NULL, 0);
		else if (strcmp(cmd, "quitnc") == 0 && n == 0)
			send_packet("quitnc", SMFIC_QUIT_NC, NULL, 0);
		else if (strcmp(cmd, "raw") == 0)
			do_raw(w, n);
		else if (strcmp(cmd, "bytes") == 0)
			do_bytes(w, n);
		else if (strcmp(cmd, "close") == 0)
			do_close(w, n);
		else if (strcmp(cmd, "sleep") == 0 && n == 1) {
			uint32_t ms = number(w[0], 3600000, "sleep time");
			struct timespec ts = {ms / 1000,
			                      (long)(ms % 1000) * 1000000};

			while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
				;
		} else
			die(EX_USAGE, "unknown command or wrong arguments: %s",
			    cmd);
	}
	free(b.data);
}

static void
usage(void)
{
	fprintf(stderr, "usage: mtadriver [-v] [-n] [-t TIMEOUT_MS] SOCKET "
	                "< SCRIPT\n");
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	struct sockspec spec;
	const char *why;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int c;

	D.timeout_ms = 10000;
	while ((c = getopt(argc, argv, "nt:v")) != -1) {
		switch (c) {
		case 'n':
			D.send_all = 1;
			break;
		case 't':
			D.timeout_ms =
			    (int)number(optarg, INT32_MAX, "timeout");
			break;
		case 'v':
			D.verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc)
		usage();
	if (sockspec_parse(argv[optind], &spec, &why) != 0)
		die(EX_USAGE, "%s: %s", argv[optind], why);
	/* A milter that went away is an error to report, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((D.fd = sockspec_connect(&spec, D.timeout_ms)) < 0)
		die(EX_FAIL, "cannot connect to %s: %s", argv[optind],
		    strerror(errno));
	/* Until an optneg says otherwise: every step answered. */
	D.offer_version = MPROTO_VERSION;
	D.offer_actions = D.actions = OFFER_ACTIONS;
	D.offer_protocol = OFFER_PROTOCOL;
	D.protocol = 0;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		D.line++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (memchr(line, '\0', (size_t)n) != NULL)
			die(EX_USAGE, "a NUL byte in the script");
		run_line(line);
	}
	free(line);
	queue_clear();
	free(D.q);
	mproto_reader_free(&D.r);
	if (!D.closed)
		close(D.fd);
	return 0;
}
