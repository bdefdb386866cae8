/*
 * logscan - read Postfix and Sendmail log lines, explain each rejection.
 *
 * Postfix logs the client, sender and recipient on the reject line itself.
 * Sendmail logs a rejection first and the envelope's "from=... relay=..."
 * line after it, so Sendmail events wait (bounded) for that line to name
 * their sender and client, and are printed when it comes, at the end of
 * the input, or after a quiet moment when following a file.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcre2.h>

#include "core/replyfmt.h"
#include "core/sbuf.h"
#include "engine/log.h"
#include "tools/logscan.h"

#define PENDING_MAX  256
#define SUMMARY_MAX  512
#define LINE_MAX_LEN 65536 /* longer lines are read in part */
#define NCAP         10
#define SHOWN_MAX    (REPLY_TEXT_MAX + 48) /* codes and a parsed text */

enum pattern {
	P_PF_REJECT,
	P_PF_CHECKS,
	P_PF_DELIVERY,
	P_PF_FROM,
	P_SM_RULESET,
	P_SM_MILTER,
	P_SM_FROM,
	P_SM_DEFERRED,
	P_COUNT
};

/* Matched against the message, after the syslog prefix. */
static const char *const patterns[P_COUNT] = {
    /* QID: reject: RCPT from host[addr]: REPLY; from=<s> to=<r> ... */
    /* (CONNECT and HELO rejects have no from=; postscreen adds commas) */
    [P_PF_REJECT] = "^(\\S+): (reject|milter-reject|milter-discard): (\\S+) "
                    "from [^\\[\\s]*\\[([^\\]]*)\\](?::\\d+)?: (.*?)"
                    "(?:; (?:from=<([^>]*)>,?(?: to=<([^>]*)>)?|proto=|helo=)"
                    ".*)?$",
    /* QID: reject: header Subject: ... from host[addr]; from=<s> to=<r>
     * proto=... helo=<h>: 5.7.1 text (header_checks, body_checks) */
    [P_PF_CHECKS] = "^(\\S+): (reject|discard): (header|body) .*? "
                    "from [^\\[\\s]*\\[([^\\]]*)\\](?::\\d+)?; "
                    "from=<([^>]*)>(?: to=<([^>]*)>)?.*?: ([0-9]\\.[0-9].*)$",
    /* QID: to=<r>, relay=host[addr]:25, ... dsn=D, status=deferred (...) */
    [P_PF_DELIVERY] = "^(\\S+): to=<([^>]*)>,(?: orig_to=<[^>]*>,)? "
                      "relay=([^,]*),.*? dsn=([0-9.]+), "
                      "status=(deferred|bounced) \\((.*)\\)$",
    [P_PF_FROM] = "^(\\S+): from=<([^>]*)>, size=",
    /* (check_relay is logged before there is a queue id) */
    [P_SM_RULESET] = "^(?:([A-Za-z0-9]+): )?ruleset=(check_\\w+), arg1=(.*?), "
                     "(?:arg2=(.*?), )?relay=(.*?), reject=(.*)$",
    [P_SM_MILTER] = "^(\\S+): Milter(?: \\([^)]*\\))?: "
                    "(?:(to|from)=(.*?)|(\\w+)[^,]*), reject=(.*)$",
    [P_SM_FROM] = "^(\\S+): from=(.*?), size=.*?relay=(.*?)(?:, |$)",
    [P_SM_DEFERRED] = "^(\\S+): to=(.*?), .*?stat=Deferred: "
                      "([0-9]{3}[ -].*)$",
};

struct summary_row {
	char key[32];
	const struct code_entry *e;
	unsigned long n;
};

struct logscan {
	const struct config *cfg;
	bool json;
	FILE *out;
	pcre2_code *rx[P_COUNT];
	pcre2_match_data *md;
	/* Envelopes seen: sender and client of recent queue ids. */
	struct envelope {
		char qid[32];
		char from[LOGSCAN_FIELD_MAX];
		char client[LOGSCAN_FIELD_MAX];
	} env[PENDING_MAX];
	size_t env_next;
	/* Sendmail: events waiting for their envelope line. */
	struct logscan_event *pending[PENDING_MAX];
	size_t npending;
	struct summary_row rows[SUMMARY_MAX];
	size_t nrows;
	unsigned long total;
};

/* dst = src[0..len), cut to fit. */
static void
copy(char *dst, size_t cap, const char *src, size_t len)
{
	struct sbuf sb;

	sbuf_init(&sb, dst, cap);
	sbuf_putn(&sb, src, len);
}

/* Capture i of the last match, copied; "" when it did not take part. */
static void
cap(const struct logscan *ls, const char *subject, int i, char *dst,
    size_t size)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ls->md);

	if (ov[2 * i] == PCRE2_UNSET) {
		dst[0] = '\0';
		return;
	}
	copy(dst, size, subject + ov[2 * i], ov[2 * i + 1] - ov[2 * i]);
}

static int
match(struct logscan *ls, enum pattern p, const char *msg)
{
	return pcre2_match(ls->rx[p], (PCRE2_SPTR)msg, strlen(msg), 0, 0,
	                   ls->md, NULL) > 0;
}

struct logscan *
logscan_new(const struct config *cfg, bool json, FILE *out)
{
	struct logscan *ls = calloc(1, sizeof(*ls));
	PCRE2_SIZE off;
	int i, err;

	if (ls == NULL)
		return NULL;
	ls->cfg = cfg;
	ls->json = json;
	ls->out = out;
	for (i = 0; i < P_COUNT; i++)
		if ((ls->rx[i] = pcre2_compile((PCRE2_SPTR)patterns[i],
		                               PCRE2_ZERO_TERMINATED, 0, &err,
		                               &off, NULL)) == NULL) {
			logscan_free(ls);
			return NULL;
		}
	if ((ls->md = pcre2_match_data_create(NCAP, NULL)) == NULL) {
		logscan_free(ls);
		return NULL;
	}
	return ls;
}

void
logscan_free(struct logscan *ls)
{
	size_t i;

	if (ls == NULL)
		return;
	for (i = 0; i < P_COUNT; i++)
		pcre2_code_free(ls->rx[i]);
	pcre2_match_data_free(ls->md);
	for (i = 0; i < ls->npending; i++)
		free(ls->pending[i]);
	free(ls);
}

/*
 * The syslog prefix: "Mmm dd hh:mm:ss host prog[pid]: " or
 * "ISO-TIME host prog[pid]: ". Returns the message, or NULL.
 */
static const char *
split_prefix(const char *line, char *time, size_t tcap)
{
	const char *p, *q, *msg = NULL, *start;
	int fields;

	for (p = strchr(line, '['); p != NULL; p = strchr(p + 1, '[')) {
		for (q = p + 1; isdigit((unsigned char)*q); q++)
			;
		if (q > p + 1 && q[0] == ']' && q[1] == ':' && q[2] == ' ') {
			msg = q + 3;
			break;
		}
	}
	if (msg == NULL)
		return NULL;
	/* The time: one ISO word, or the classic three fields. */
	fields = isdigit((unsigned char)line[0]) ? 1 : 3;
	for (q = line; *q != '\0' && q < p && fields > 0; fields--) {
		while (*q == ' ')
			q++;
		while (*q != '\0' && *q != ' ')
			q++;
	}
	copy(time, tcap, line, (size_t)(q - line));
	/* A "<priority> " some log writers put before the message. */
	if (msg[0] == '<' && (start = strstr(msg, "> ")) != NULL &&
	    start - msg < 12)
		msg = start + 2;
	return msg;
}

/* The address inside "host [addr]", "host[addr]:25" or "[addr]". */
static void
relay_addr(const char *relay, char *dst, size_t size)
{
	const char *open = strchr(relay, '['), *close;

	if (open != NULL && (close = strchr(open, ']')) != NULL)
		copy(dst, size, open + 1, (size_t)(close - open - 1));
	else
		copy(dst, size, relay, strlen(relay));
}

/* "<a@b>" or "a@b" as "a@b". */
static void
bare_addr(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* Past "550-", "550 " and an enhanced code: the line's own text. */
static const char *
line_text(const char *line)
{
	const char *p = line;

	if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-'))
		p += 4;
	if (isdigit((unsigned char)p[0]) && p[1] == '.') {
		const char *sp = strchr(p, ' ');

		p = sp != NULL ? sp + 1 : p + strlen(p);
	}
	return p;
}

/*
 * A logged reply as lines: Postfix writes CRLF as "??", Sendmail as the
 * four characters "\r\n". milter-annotate's own lines are dropped, so the
 * reply shows as the sender's server first wrote it. A first line that
 * lost its basic code (Postfix's milter-reject at end of message) gets the
 * code of the lines after it.
 */
static void
clean_reply(const char *raw, char *dst, size_t size)
{
	char buf[LOGSCAN_REPLY_MAX], code[4] = "";
	struct sbuf out;
	const char *p;
	char *line, *save = NULL;
	size_t n = 0;
	int first = 1;

	for (p = raw; *p != '\0' && n + 1 < sizeof(buf);) {
		if (strncmp(p, "\\r\\n", 4) == 0)
			p += 4, buf[n++] = '\n';
		else if (p[0] == '?' && p[1] == '?' &&
		         isdigit((unsigned char)p[2]))
			p += 2, buf[n++] = '\n';
		else
			buf[n++] = *p++;
	}
	buf[n] = '\0';
	for (line = buf; (line = strchr(line, '\n')) != NULL; line++)
		if (line_text(line + 1) != line + 1) {
			copy(code, sizeof(code), line + 1, 3);
			break;
		}
	sbuf_init(&out, dst, size);
	for (line = strtok_r(buf, "\n", &save); line != NULL && !sbuf_cut(&out);
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line_text(line), "Explanation: ", 13) == 0)
			break;
		if (!first)
			sbuf_putc(&out, '\n');
		if (first && isdigit((unsigned char)line[0]) &&
		    line[1] == '.' && code[0] != '\0') {
			sbuf_put(&out, code);
			sbuf_putc(&out, ' ');
		}
		sbuf_put(&out, line);
		first = 0;
	}
}

static const struct envelope *env_find(const struct logscan *, const char *);

/*
 * Remember an envelope, for lines of the same queue id logged later; a
 * queue id seen again keeps what it had and gains what is new.
 */
static void
env_remember(struct logscan *ls, const char *qid, const char *from,
             const char *client)
{
	struct envelope *e = (struct envelope *)env_find(ls, qid);

	if (e == NULL) {
		e = &ls->env[ls->env_next++ % PENDING_MAX];
		copy(e->qid, sizeof(e->qid), qid, strlen(qid));
		e->from[0] = e->client[0] = '\0';
	}
	if (*from != '\0')
		copy(e->from, sizeof(e->from), from, strlen(from));
	if (*client != '\0')
		copy(e->client, sizeof(e->client), client, strlen(client));
}

static const struct envelope *
env_find(const struct logscan *ls, const char *qid)
{
	size_t i;

	for (i = 0; i < PENDING_MAX; i++)
		if (ls->env[i].qid[0] != '\0' &&
		    strcmp(ls->env[i].qid, qid) == 0)
			return &ls->env[i];
	return NULL;
}

/* Fill what an event lacks from its envelope; 1 when nothing is missing. */
static int
env_fill(const struct logscan *ls, struct logscan_event *ev)
{
	const struct envelope *e = env_find(ls, ev->queue_id);

	if (e != NULL && ev->from[0] == '\0')
		copy(ev->from, sizeof(ev->from), e->from, strlen(e->from));
	if (e != NULL && ev->client[0] == '\0')
		copy(ev->client, sizeof(ev->client), e->client,
		     strlen(e->client));
	return e != NULL;
}

static int
parse_postfix(struct logscan *ls, const char *msg, struct logscan_event *ev)
{
	char raw[LOGSCAN_REPLY_MAX], kind[32], dsn[16], text[LOGSCAN_REPLY_MAX],
	    relay[LOGSCAN_FIELD_MAX];
	const char *said;

	if (match(ls, P_PF_REJECT, msg)) {
		copy(ev->mta, sizeof(ev->mta), "postfix", 7);
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 2, kind, sizeof(kind));
		cap(ls, msg, 3, ev->stage, sizeof(ev->stage));
		cap(ls, msg, 4, ev->client, sizeof(ev->client));
		cap(ls, msg, 5, raw, sizeof(raw));
		cap(ls, msg, 6, ev->from, sizeof(ev->from));
		cap(ls, msg, 7, ev->rcpt, sizeof(ev->rcpt));
		if (strcmp(kind, "milter-discard") == 0)
			copy(ev->reply, sizeof(ev->reply), "discarded", 9);
		else
			clean_reply(raw, ev->reply, sizeof(ev->reply));
		return 1;
	}
	if (match(ls, P_PF_CHECKS, msg)) {
		copy(ev->mta, sizeof(ev->mta), "postfix", 7);
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 3, ev->stage, sizeof(ev->stage));
		cap(ls, msg, 4, ev->client, sizeof(ev->client));
		cap(ls, msg, 5, ev->from, sizeof(ev->from));
		cap(ls, msg, 6, ev->rcpt, sizeof(ev->rcpt));
		cap(ls, msg, 7, raw, sizeof(raw));
		clean_reply(raw, ev->reply, sizeof(ev->reply));
		return 1;
	}
	if (match(ls, P_PF_DELIVERY, msg)) {
		copy(ev->mta, sizeof(ev->mta), "postfix", 7);
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 2, ev->rcpt, sizeof(ev->rcpt));
		cap(ls, msg, 3, relay, sizeof(relay));
		cap(ls, msg, 4, dsn, sizeof(dsn));
		cap(ls, msg, 5, ev->stage, sizeof(ev->stage));
		cap(ls, msg, 6, text, sizeof(text));
		relay_addr(relay, ev->client, sizeof(ev->client));
		env_fill(ls, ev);
		/* "host mx[addr] said: 450 4.7.1 ... (in reply to ...)" */
		if ((said = strstr(text, " said: ")) != NULL) {
			char *tail = strstr(said, " (in reply to ");

			if (tail != NULL)
				*tail = '\0';
			clean_reply(said + 7, ev->reply, sizeof(ev->reply));
		} else {
			/* The text cut to fit after any dsn. */
			snprintf(ev->reply, sizeof(ev->reply), "%s %.*s", dsn,
			         (int)(sizeof(ev->reply) - sizeof(dsn) - 1),
			         text);
		}
		return 1;
	}
	if (match(ls, P_PF_FROM, msg)) {
		char qid[32], from[LOGSCAN_FIELD_MAX];

		cap(ls, msg, 1, qid, sizeof(qid));
		cap(ls, msg, 2, from, sizeof(from));
		env_remember(ls, qid, from, "");
	}
	return 0;
}

static int
parse_sendmail(struct logscan *ls, const char *msg, struct logscan_event *ev)
{
	char raw[LOGSCAN_REPLY_MAX], what[32], arg1[LOGSCAN_FIELD_MAX],
	    arg2[LOGSCAN_FIELD_MAX], relay[LOGSCAN_FIELD_MAX];

	copy(ev->mta, sizeof(ev->mta), "sendmail", 8);
	if (match(ls, P_SM_RULESET, msg)) {
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 2, ev->stage, sizeof(ev->stage));
		cap(ls, msg, 3, arg1, sizeof(arg1));
		cap(ls, msg, 4, arg2, sizeof(arg2));
		cap(ls, msg, 5, relay, sizeof(relay));
		cap(ls, msg, 6, raw, sizeof(raw));
		relay_addr(relay, ev->client, sizeof(ev->client));
		bare_addr(arg1);
		if (strcmp(ev->stage, "check_rcpt") == 0)
			copy(ev->rcpt, sizeof(ev->rcpt), arg1, strlen(arg1));
		else if (strcmp(ev->stage, "check_mail") == 0)
			copy(ev->from, sizeof(ev->from), arg1, strlen(arg1));
		clean_reply(raw, ev->reply, sizeof(ev->reply));
		return 1;
	}
	if (match(ls, P_SM_MILTER, msg)) {
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 2, what, sizeof(what));
		cap(ls, msg, 3, arg1, sizeof(arg1));
		cap(ls, msg, 5, raw, sizeof(raw));
		bare_addr(arg1);
		if (what[0] != '\0') {
			snprintf(ev->stage, sizeof(ev->stage), "milter %.24s",
			         what);
			if (strcmp(what, "to") == 0)
				copy(ev->rcpt, sizeof(ev->rcpt), arg1,
				     strlen(arg1));
			else
				copy(ev->from, sizeof(ev->from), arg1,
				     strlen(arg1));
		} else {
			cap(ls, msg, 4, what, sizeof(what));
			snprintf(ev->stage, sizeof(ev->stage), "milter %.24s",
			         what);
		}
		clean_reply(raw, ev->reply, sizeof(ev->reply));
		return 1;
	}
	if (match(ls, P_SM_DEFERRED, msg)) {
		cap(ls, msg, 1, ev->queue_id, sizeof(ev->queue_id));
		cap(ls, msg, 2, ev->rcpt, sizeof(ev->rcpt));
		cap(ls, msg, 3, raw, sizeof(raw));
		bare_addr(ev->rcpt);
		copy(ev->stage, sizeof(ev->stage), "deferred", 8);
		clean_reply(raw, ev->reply, sizeof(ev->reply));
		return 1;
	}
	return 0;
}

int
logscan_parse(struct logscan *ls, const char *line, struct logscan_event *ev)
{
	const char *msg;

	memset(ev, 0, sizeof(*ev));
	if ((msg = split_prefix(line, ev->time, sizeof(ev->time))) == NULL)
		return 0;
	if (parse_postfix(ls, msg, ev))
		return 1;
	return parse_sendmail(ls, msg, ev);
}

/* Output. */

static const char *const discard_explanation =
    "A milter told the server to discard the message: the sender was told "
    "it was accepted, but it was not delivered.";
static const char *const discard_fix =
    "Ask the receiving site's postmaster why their filter discarded it.";

/* The entry that explains a logged reply; shown is the reply on one line. */
static const struct code_entry *
explain(const struct logscan *ls, const char *reply, char *shown, size_t size,
        struct cause_hit *hit)
{
	static __thread struct reply r;
	const struct codetable *t = ls->cfg->table;
	const struct code_entry *e = NULL;
	struct code_ref ref;
	char word[16];
	size_t i;

	if (reply_parse(&r, reply, strlen(reply)) == 0) {
		for (i = 0; i < r.textlen; i++)
			if (r.text[i] == '\n')
				r.text[i] = ' ';
		snprintf(shown, size, "%d%s%s%s%s", r.code,
		         r.ecode[0] ? " " : "", r.ecode, r.textlen ? " " : "",
		         r.text);
		cause_classify(codetable_causeset(t), &r, hit);
		return reply_pick(t, &r);
	}
	/* An enhanced code alone, as Postfix logs some milter replies. */
	copy(shown, size, reply, strlen(reply));
	for (i = 0; i < sizeof(word) - 1 && reply[i] && reply[i] != ' '; i++)
		word[i] = reply[i];
	word[i] = '\0';
	if (code_parse(word, &ref) == 0 && ref.kind == CODE_ENHANCED) {
		e = codetable_enhanced(t, ref.subject, ref.detail);
		if (e == NULL)
			e = codetable_enhanced(t, ref.subject, 0);
		if (e == NULL)
			e = codetable_enhanced(t, 0, 0);
	}
	return e;
}

/* The codes the server sent: "550 5.7.1", "550", "5.7.1", "discarded". */
static void
count(struct logscan *ls, const char *shown, const struct code_entry *e)
{
	char key[32];
	size_t i, k = strcspn(shown, " ");

	if (k < sizeof(key) && isdigit((unsigned char)shown[0]) &&
	    shown[k] == ' ' && isdigit((unsigned char)shown[k + 1]) &&
	    shown[k + 2] == '.' && k == 3)
		k += 1 + strcspn(shown + k + 1, " ");
	copy(key, sizeof(key), shown, k);
	/* Rows are printed as they are: a log's control bytes must not. */
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] < 0x20 || key[i] > 0x7e)
			key[i] = '?';
	ls->total++;
	for (i = 0; i < ls->nrows; i++)
		if (strcmp(ls->rows[i].key, key) == 0) {
			ls->rows[i].n++;
			return;
		}
	if (ls->nrows < SUMMARY_MAX) {
		copy(ls->rows[i].key, sizeof(ls->rows[i].key), key,
		     strlen(key));
		ls->rows[i].e = e;
		ls->rows[i].n = 1;
		ls->nrows++;
	}
}

static void
field(const struct logscan *ls, const char *key, const char *v, int *first)
{
	char q[SHOWN_MAX * 2];

	log_quote(ls->json ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT,
	          v != NULL && *v != '\0' ? v : "-", q, sizeof(q));
	if (ls->json)
		fprintf(ls->out, "%s\"%s\":%s", *first ? "" : ",", key, q);
	else
		fprintf(ls->out, "%s%s=%s", *first ? "" : " ", key, q);
	*first = 0;
}

static void
print_event(struct logscan *ls, const struct logscan_event *ev)
{
	char shown[SHOWN_MAX], from[LOGSCAN_FIELD_MAX + 2],
	    rcpt[LOGSCAN_FIELD_MAX + 2];
	const struct code_entry *e = NULL;
	struct cause_hit hit = {0};
	char cexpl[CAUSE_TEXT_MAX], cfix[CAUSE_TEXT_MAX];
	const char *expl, *fix;
	int first = 1;

	if (strcmp(ev->reply, "discarded") == 0) {
		copy(shown, sizeof(shown), ev->reply, strlen(ev->reply));
		expl = discard_explanation;
		fix = discard_fix;
	} else {
		e = explain(ls, ev->reply, shown, sizeof(shown), &hit);
		expl = e != NULL ? e->description : NULL;
		fix = e != NULL ? e->fix : NULL;
		if (hit.cause != NULL) {
			cause_expand(hit.cause->explanation, &hit, cexpl,
			             sizeof(cexpl));
			cause_expand(hit.cause->fix, &hit, cfix, sizeof(cfix));
			expl = cexpl;
			fix = cfix;
		}
	}
	snprintf(from, sizeof(from), "<%s>", ev->from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", ev->rcpt);
	if (ls->json)
		fputc('{', ls->out);
	field(ls, "time", ev->time, &first);
	field(ls, "mta", ev->mta, &first);
	field(ls, "queue_id", ev->queue_id, &first);
	field(ls, "stage", ev->stage, &first);
	field(ls, "client", ev->client, &first);
	field(ls, "from", from, &first);
	field(ls, "rcpt", ev->rcpt[0] ? rcpt : "", &first);
	field(ls, "reply", shown, &first);
	field(ls, "code", e != NULL ? e->code : "", &first);
	field(ls, "cause", hit.cause != NULL ? hit.cause->name : "none",
	      &first);
	field(ls, "explanation", expl, &first);
	field(ls, "fix", fix, &first);
	fputs(ls->json ? "}\n" : "\n", ls->out);
	count(ls, shown, e);
}

/* Sendmail names the envelope after its rejections: wait for it. */
static void
hold(struct logscan *ls, const struct logscan_event *ev)
{
	struct logscan_event *copy_ev;

	if (ls->npending == PENDING_MAX) {
		print_event(ls, ls->pending[0]);
		free(ls->pending[0]);
		memmove(ls->pending, ls->pending + 1,
		        (PENDING_MAX - 1) * sizeof(ls->pending[0]));
		ls->npending--;
	}
	if ((copy_ev = malloc(sizeof(*copy_ev))) == NULL) {
		print_event(ls, ev);
		return;
	}
	*copy_ev = *ev;
	ls->pending[ls->npending++] = copy_ev;
}

static void
release(struct logscan *ls, const char *qid, const char *from,
        const char *client)
{
	size_t i = 0;
	struct logscan_event *ev;

	while (i < ls->npending) {
		ev = ls->pending[i];
		if (strcmp(ev->queue_id, qid) != 0) {
			i++;
			continue;
		}
		if (ev->from[0] == '\0')
			copy(ev->from, sizeof(ev->from), from, strlen(from));
		if (ev->client[0] == '\0')
			copy(ev->client, sizeof(ev->client), client,
			     strlen(client));
		print_event(ls, ev);
		free(ev);
		memmove(ls->pending + i, ls->pending + i + 1,
		        (ls->npending - i - 1) * sizeof(ls->pending[0]));
		ls->npending--;
	}
}

void
logscan_line(struct logscan *ls, const char *line)
{
	static __thread struct logscan_event ev;
	char time[40], qid[32], from[LOGSCAN_FIELD_MAX],
	    relay[LOGSCAN_FIELD_MAX], client[LOGSCAN_FIELD_MAX];
	const char *msg;

	if (logscan_parse(ls, line, &ev)) {
		/* Sendmail may name the envelope before or after. */
		if (strcmp(ev.mta, "sendmail") == 0 && ev.queue_id[0] != '\0' &&
		    !env_fill(ls, &ev))
			hold(ls, &ev);
		else
			print_event(ls, &ev);
		return;
	}
	if ((msg = split_prefix(line, time, sizeof(time))) == NULL ||
	    !match(ls, P_SM_FROM, msg))
		return;
	cap(ls, msg, 1, qid, sizeof(qid));
	cap(ls, msg, 2, from, sizeof(from));
	cap(ls, msg, 3, relay, sizeof(relay));
	bare_addr(from);
	relay_addr(relay, client, sizeof(client));
	env_remember(ls, qid, from, client);
	release(ls, qid, from, client);
}

void
logscan_flush(struct logscan *ls)
{
	size_t i;

	for (i = 0; i < ls->npending; i++) {
		print_event(ls, ls->pending[i]);
		free(ls->pending[i]);
	}
	ls->npending = 0;
	fflush(ls->out);
}

static int
by_count(const void *a, const void *b)
{
	const struct summary_row *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

void
logscan_summary(struct logscan *ls)
{
	size_t i;

	qsort(ls->rows, ls->nrows, sizeof(ls->rows[0]), by_count);
	fprintf(ls->out, "summary: %lu rejections and deferrals\n", ls->total);
	for (i = 0; i < ls->nrows; i++)
		fprintf(ls->out, "%8lu  %-12s %s\n", ls->rows[i].n,
		        ls->rows[i].key,
		        ls->rows[i].e != NULL ? ls->rows[i].e->name : "");
}

/* The subcommand. */

static volatile sig_atomic_t stop_following;

static void
on_stop(int sig)
{
	(void)sig;
	stop_following = 1;
}

static void
feed(struct logscan *ls, FILE *fp)
{
	char *line = NULL;
	size_t size = 0;
	ssize_t n;

	while ((n = getline(&line, &size, fp)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > LINE_MAX_LEN)
			line[LINE_MAX_LEN] = '\0';
		logscan_line(ls, line);
	}
	free(line);
}

/* Like tail -F: read what comes, reopen a rotated or truncated file. */
static int
follow(struct logscan *ls, const char *path)
{
	struct sigaction sa;
	struct stat now, was;
	FILE *fp = fopen(path, "r");
	int idle = 0;

	if (fp == NULL) {
		fprintf(stderr, "milter-annotate logscan: %s: %s\n", path,
		        strerror(errno));
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	while (!stop_following) {
		feed(ls, fp);
		clearerr(fp);
		fflush(ls->out);
		usleep(250000);
		/* Held events are printed after two quiet seconds. */
		if (++idle == 8 && ls->npending > 0)
			logscan_flush(ls);
		if (fstat(fileno(fp), &was) == 0 && stat(path, &now) == 0 &&
		    (now.st_ino != was.st_ino || now.st_size < ftell(fp))) {
			FILE *again = fopen(path, "r");

			/* What was written before the rotation comes first. */
			feed(ls, fp);
			if (again != NULL) {
				fclose(fp);
				fp = again;
				idle = 0;
			}
		}
		if (ftell(fp) != was.st_size)
			idle = 0;
	}
	fclose(fp);
	return 0;
}

int
logscan_main(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, 0, 'j'},
	                                     {"summary", no_argument, 0, 's'},
	                                     {0, 0, 0, 0}};
	struct logscan *ls;
	bool json = false, summary = false, follow_file = false;
	int c, i, rc = 0;
	FILE *fp;

	optind = 0; /* 0, not 1: glibc then forgets main's "+" mode */
	while ((c = getopt_long(argc, argv, "F", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 's')
			summary = true;
		else if (c == 'F')
			follow_file = true;
		else
			return 2;
	}
	if (follow_file &&
	    (argc - optind != 1 || strcmp(argv[optind], "-") == 0)) {
		fprintf(stderr,
		        "milter-annotate logscan: -F follows exactly one "
		        "file\n");
		return 2;
	}
	if ((ls = logscan_new(cfg, json, stdout)) == NULL) {
		fprintf(stderr, "milter-annotate logscan: out of memory\n");
		return 2;
	}
	if (follow_file)
		rc = follow(ls, argv[optind]);
	else if (optind == argc)
		feed(ls, stdin);
	for (i = optind; !follow_file && i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			feed(ls, stdin);
			continue;
		}
		if ((fp = fopen(argv[i], "r")) == NULL) {
			fprintf(stderr, "milter-annotate logscan: %s: %s\n",
			        argv[i], strerror(errno));
			rc = 2;
			continue;
		}
		feed(ls, fp);
		fclose(fp);
	}
	logscan_flush(ls);
	if (summary)
		logscan_summary(ls);
	logscan_free(ls);
	return rc;
}
