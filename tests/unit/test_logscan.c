/*
 * test_logscan - logscan_parse and logscan_line on real log line shapes.
 *
 * Each table row is a line as Postfix or Sendmail writes it (copied from
 * real logs, addresses changed to documentation ones) and the event it must
 * give: time, MTA, queue id, stage, client, sender, recipient, the reply as
 * shown (one line, milter-annotate's own lines removed) and the code table
 * entry that explains it. The row is checked twice: logscan_parse field by
 * field, then logscan_line on a fresh scanner, whose printed line must be
 * exactly the event with that entry's explanation and fix (text and JSON).
 * Lines that only set state or are noise must give no event and print
 * nothing. Then the state: Sendmail events waiting for their envelope
 * line, Postfix deliveries taking the sender from qmgr, the summary.
 */
#include "unit.h"

#include "core/replyfmt.h"
#include "engine/config.h"
#include "tools/logscan.h"

/* Syslog prefixes: classic, classic with a one-digit day, ISO. */
#define PF        "Nov 22 19:54:43 mx postfix/smtpd[4123]: "
#define PF_T      "Nov 22 19:54:43"
#define PF_DAY    "Nov  2 07:05:09 mx postfix/smtpd[4123]: "
#define PF_DAY_T  "Nov  2 07:05:09"
#define PF_ISO    "2026-11-22T19:54:43.123456+00:00 mx postfix/smtpd[4123]: "
#define PF_ISO_T  "2026-11-22T19:54:43.123456+00:00"
#define PF_CLEAN  "Nov 22 19:54:43 mx postfix/cleanup[4130]: "
#define PF_SMTP   "Nov 22 19:55:01 mx postfix/smtp[4150]: "
#define PF_SMTP_T "Nov 22 19:55:01"
#define PF_QMGR   "Nov 22 19:55:00 mx postfix/qmgr[4001]: "
#define SM        "Nov 22 19:54:43 mx sm-mta[5123]: "
#define SM_T      "Nov 22 19:54:43"
/* What tests/e2e/syslog-to-file.c writes for the private Sendmail. */
#define SM_SHIM   "2026-11-22T20:01:57 sm-test[2702]: <info> "
#define SM_SHIM_T "2026-11-22T20:01:57"
#define SM_ISO    "2026-11-22T19:54:43.5+01:00 mx sendmail[5123]: "
#define SM_ISO_T  "2026-11-22T19:54:43.5+01:00"

/* milter-annotate's lines after a 550 5.7.1 rule reply, as MTAs log them. */
#define ANN_PF(c, e)                                                           \
	"??" c "-" e " Explanation: The server's policy does not allow this "  \
	"delivery: relay??" c "-" e "   rules, a blocklist, sender checks, "   \
	"greylisting or a content filter??" c "-" e "   refused it.??" c "-" e \
	" How to fix: Read the reply text for the policy.??" c " " e           \
	"   fix SPF and DKIM, or ask the postmaster."
#define ANN_SM(c, e)                                                           \
	"\\r\\n" c "-" e " Explanation: The server's policy does not allow "   \
	"this delivery: relay\\r\\n" c "-" e "   rules, a blocklist, sender "  \
	"checks, greylisting or a content filter\\r\\n" c "-" e                \
	"   refused it.\\r\\n" c "-" e " How to fix: Read the reply text for " \
	"the policy.\\r\\n" c " " e "   fix SPF and DKIM, or ask the "         \
	"postmaster."

/* An event a line must give. NULL: the field is not checked. */
struct ecase {
	const char *name;
	const char *line;
	const char *time;
	const char *mta;
	const char *queue_id;
	const char *stage; /* NULL: any, but not empty */
	const char *client;
	const char *from;
	const char *rcpt;
	const char *reply; /* as shown: "550 5.7.1 text", one line */
	const char *code;  /* the table entry; "" for a discard */
	bool reply_prefix; /* reply only has to start so */
};

static struct config *cfg;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	cfg = config_defaults(NULL, &d);
	return cfg == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(cfg);
	return 0;
}

/* The reply as logscan shows it: codes, then the text on one line. */
static const char *
shown(const char *reply, char *buf, size_t cap)
{
	static struct reply r;
	size_t i;

	if (reply_parse(&r, reply, strlen(reply)) != 0) {
		snprintf(buf, cap, "%s", reply);
		return buf;
	}
	for (i = 0; i < r.textlen; i++)
		if (r.text[i] == '\n')
			r.text[i] = ' ';
	snprintf(buf, cap, "%d%s%s%s%s", r.code, r.ecode[0] ? " " : "", r.ecode,
	         r.textlen ? " " : "", r.text);
	return buf;
}

/* A value as the text output writes it ("-" when empty). */
static void
quoted(char *dst, size_t cap, const char *v, bool json)
{
	size_t n = 0;
	bool q;

	if (v == NULL || *v == '\0')
		v = "-";
	q = json || strpbrk(v, " \"=\\") != NULL;
	if (q)
		dst[n++] = '"';
	for (; *v != '\0' && n + 4 < cap; v++) {
		if (*v == '"' || *v == '\\')
			dst[n++] = '\\';
		dst[n++] = *v;
	}
	if (q)
		dst[n++] = '"';
	dst[n] = '\0';
}

/* Append key=value (text) or "key":value (JSON) to line. */
static void
add(char *line, size_t cap, bool json, const char *key, const char *v)
{
	char q[8192];
	size_t n = strlen(line);

	quoted(q, sizeof(q), v, json);
	if (json)
		snprintf(line + n, cap - n, "%s\"%s\":%s", n > 1 ? "," : "",
		         key, q);
	else
		snprintf(line + n, cap - n, "%s%s=%s", n > 0 ? " " : "", key,
		         q);
}

/* The entry for a code as the table writes it ("X.7.1", "550"). */
static const struct code_entry *
entry(const char *code)
{
	struct code_ref ref;

	if (code == NULL || *code == '\0' || code_parse(code, &ref) != 0)
		return NULL;
	return codetable_find(cfg->table, &ref);
}

/* Feed lines (NULL-terminated) to a fresh scanner; what it printed. */
static char *
run_lines(bool json, const char *const *lines, bool summary)
{
	struct logscan *ls;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	size_t i;

	assert_non_null(out);
	ls = logscan_new(cfg, json, out);
	assert_non_null(ls);
	for (i = 0; lines[i] != NULL; i++)
		logscan_line(ls, lines[i]);
	logscan_flush(ls);
	if (summary)
		logscan_summary(ls);
	logscan_free(ls);
	fclose(out);
	return buf;
}

static char *
run_one(bool json, const char *line)
{
	const char *lines[2] = {line, NULL};

	return run_lines(json, lines, false);
}

static size_t
count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

#define FIELD(nfail, c, what, want, got)                                       \
	EXPECT(nfail, (c)->name, (want) == NULL || strcmp(want, got) == 0,     \
	       what " is \"%s\", want \"%s\"", got, (want) ? (want) : "")

/* Check one event row: the parsed event, then the printed line. */
static int
check_event(const struct ecase *c)
{
	static struct logscan_event ev;
	struct logscan *ls = logscan_new(cfg, false, stdout);
	const struct code_entry *e = entry(c->code);
	char show[LOGSCAN_REPLY_MAX + 64], want[16384], from[600], rcpt[600];
	char vis[4096], *out;
	int nfail = 0, rc, json;

	assert_non_null(ls);
	EXPECT(nfail, c->name, *c->code == '\0' || e != NULL,
	       "test bug: no entry %s in the table", c->code);
	rc = logscan_parse(ls, c->line, &ev);
	logscan_free(ls);
	EXPECT(nfail, c->name, rc == 1, "logscan_parse gave %d, want 1: %s", rc,
	       unit_show(c->line, vis, sizeof(vis)));
	if (rc == 1) {
		FIELD(nfail, c, "time", c->time, ev.time);
		FIELD(nfail, c, "mta", c->mta, ev.mta);
		FIELD(nfail, c, "queue_id", c->queue_id, ev.queue_id);
		FIELD(nfail, c, "stage", c->stage, ev.stage);
		EXPECT(nfail, c->name, ev.stage[0] != '\0', "empty stage");
		FIELD(nfail, c, "client", c->client, ev.client);
		FIELD(nfail, c, "from", c->from, ev.from);
		FIELD(nfail, c, "rcpt", c->rcpt, ev.rcpt);
		shown(ev.reply, show, sizeof(show));
		if (c->reply_prefix)
			EXPECT(nfail, c->name,
			       strncmp(show, c->reply, strlen(c->reply)) == 0,
			       "reply \"%s\" does not start with \"%s\"", show,
			       c->reply);
		else
			EXPECT(nfail, c->name, strcmp(show, c->reply) == 0,
			       "reply is \"%s\" (shown \"%s\"), want \"%s\"",
			       unit_show(ev.reply, vis, sizeof(vis)), show,
			       c->reply);
		EXPECT(nfail, c->name,
		       strstr(ev.reply, "Explanation:") == NULL &&
		           strstr(ev.reply, "How to fix:") == NULL,
		       "milter-annotate's lines kept in \"%s\"",
		       unit_show(ev.reply, vis, sizeof(vis)));
	}
	/* Printed: exactly this event, explained by the entry. */
	for (json = 0; json <= 1; json++) {
		out = run_one(json, c->line);
		EXPECT(nfail, c->name, count_lines(out) == 1,
		       "%s: %zu lines printed, want 1:\n%s",
		       json ? "json" : "text", count_lines(out), out);
		if (rc == 1 && e != NULL) {
			/* The cause is the classifier's (tested on its corpus).
			 */
			static struct reply r;
			struct cause_hit hit = {0};
			char cexpl[CAUSE_TEXT_MAX], cfix[CAUSE_TEXT_MAX];

			if (reply_parse(&r, show, strlen(show)) == 0)
				cause_classify(codetable_causeset(cfg->table),
				               &r, &hit);
			if (hit.cause != NULL) {
				cause_expand(hit.cause->explanation, &hit,
				             cexpl, sizeof(cexpl));
				cause_expand(hit.cause->fix, &hit, cfix,
				             sizeof(cfix));
			}
			snprintf(want, sizeof(want), "%s", json ? "{" : "");
			snprintf(from, sizeof(from), "<%s>", ev.from);
			snprintf(rcpt, sizeof(rcpt), "<%s>", ev.rcpt);
			add(want, sizeof(want), json, "time", ev.time);
			add(want, sizeof(want), json, "mta", ev.mta);
			add(want, sizeof(want), json, "queue_id", ev.queue_id);
			add(want, sizeof(want), json, "stage", ev.stage);
			add(want, sizeof(want), json, "client", ev.client);
			add(want, sizeof(want), json, "from", from);
			add(want, sizeof(want), json, "rcpt",
			    ev.rcpt[0] ? rcpt : "");
			add(want, sizeof(want), json, "reply", show);
			add(want, sizeof(want), json, "code", e->code);
			add(want, sizeof(want), json, "cause",
			    hit.cause ? hit.cause->name : "none");
			add(want, sizeof(want), json, "explanation",
			    hit.cause ? cexpl : e->description);
			add(want, sizeof(want), json, "fix",
			    hit.cause ? cfix : e->fix);
			strcat(want, json ? "}\n" : "\n");
			EXPECT(nfail, c->name, strcmp(out, want) == 0,
			       "%s line\n  is   %s  want %s",
			       json ? "json" : "text", out, want);
		} else if (rc == 1 && !json)
			EXPECT(nfail, c->name,
			       strstr(out, " reply=discarded code=- cause=none "
			                   "explanation=\"A milter") != NULL,
			       "discard printed as %s", out);
		free(out);
	}
	return nfail;
}

static void
check_events(const struct ecase *cases, size_t n)
{
	int nfail = 0;
	size_t i;

	for (i = 0; i < n; i++)
		nfail += check_event(&cases[i]);
	EXPECT_DONE(nfail);
}

#define CHECK_EVENTS(t) check_events(t, sizeof(t) / sizeof(t[0]))

/* ---- Postfix smtpd: its own restrictions ---------------------------- */

static const struct ecase pf_smtpd[] = {
    {"NOQUEUE reject RCPT, relay denied",
     PF "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 "
        "<u@example.com>: Relay access denied; from=<s@example.org> "
        "to=<u@example.com> proto=ESMTP helo=<client.example>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.1", "s@example.org",
     "u@example.com", "554 5.7.1 <u@example.com>: Relay access denied", "X.7.1",
     false},
    {"RCPT, client port logged, ISO time",
     PF_ISO "NOQUEUE: reject: RCPT from mail.example.net[198.51.100.7]:41234: "
            "450 4.1.8 <s@nx.example>: Sender address rejected: Domain not "
            "found; from=<s@nx.example> to=<u@example.com> proto=ESMTP "
            "helo=<mail.example.net>",
     PF_ISO_T, "postfix", "NOQUEUE", "RCPT", "198.51.100.7", "s@nx.example",
     "u@example.com",
     "450 4.1.8 <s@nx.example>: Sender address rejected: Domain not found",
     "X.1.8", false},
    {"RCPT, one-digit day padded with a space",
     PF_DAY "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 550 5.1.1 "
            "<nobody@example.com>: Recipient address rejected: User unknown "
            "in local recipient table; from=<> to=<nobody@example.com> "
            "proto=ESMTP helo=<x.example>",
     PF_DAY_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.1", "",
     "nobody@example.com",
     "550 5.1.1 <nobody@example.com>: Recipient address rejected: User "
     "unknown in local recipient table",
     "X.1.1", false},
    {"RCPT, IPv6 client",
     PF "NOQUEUE: reject: RCPT from mail.example[2001:db8::25]:51234: 550 "
        "5.1.1 <nobody@example.com>: Recipient address rejected: User unknown "
        "in virtual mailbox table; from=<s@example.org> "
        "to=<nobody@example.com> proto=ESMTP helo=<mail.example>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "2001:db8::25", "s@example.org",
     "nobody@example.com",
     "550 5.1.1 <nobody@example.com>: Recipient address rejected: User "
     "unknown in virtual mailbox table",
     "X.1.1", false},
    {"RCPT, DNSBL text with '; ' inside",
     PF "NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 5.7.1 Service "
        "unavailable; Client host [192.0.2.9] blocked using zen.spamhaus.org; "
        "https://www.spamhaus.org/query/ip/192.0.2.9; from=<s@example.net> "
        "to=<u@example.com> proto=ESMTP helo=<x>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.9", "s@example.net",
     "u@example.com",
     "554 5.7.1 Service unavailable; Client host [192.0.2.9] blocked using "
     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.9",
     "X.7.1", false},
    {"RCPT, greylisting policy server",
     PF "NOQUEUE: reject: RCPT from x.example.net[203.0.113.5]: 450 4.2.0 "
        "<u@example.com>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.com.html; "
        "from=<s@example.net> to=<u@example.com> proto=ESMTP "
        "helo=<x.example.net>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "203.0.113.5", "s@example.net",
     "u@example.com",
     "450 4.2.0 <u@example.com>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.com.html",
     "X.2.0", false},
    {"RCPT, reverse DNS (4.7.25)",
     PF "NOQUEUE: reject: RCPT from unknown[192.0.2.77]: 450 4.7.25 Client "
        "host rejected: cannot find your hostname, [192.0.2.77]; "
        "from=<s@example.net> to=<u@example.com> proto=ESMTP helo=<h>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.77", "s@example.net",
     "u@example.com",
     "450 4.7.25 Client host rejected: cannot find your hostname, "
     "[192.0.2.77]",
     "X.7.25", false},
    {"RCPT, too many recipients",
     PF "NOQUEUE: reject: RCPT from h.example[192.0.2.3]: 452 4.5.3 Error: "
        "too many recipients; from=<s@example.net> to=<u51@example.com> "
        "proto=ESMTP helo=<h.example>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.3", "s@example.net",
     "u51@example.com", "452 4.5.3 Error: too many recipients", "X.5.3", false},
    {"RCPT, HELO restriction delayed to RCPT",
     PF "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 504 5.5.2 <bad>: "
        "Helo command rejected: need fully-qualified hostname; "
        "from=<s@example.org> to=<u@example.com> proto=SMTP helo=<bad>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.1", "s@example.org",
     "u@example.com",
     "504 5.5.2 <bad>: Helo command rejected: need fully-qualified hostname",
     "X.5.2", false},
    {"QUEUEID: reject RCPT (after an accepted recipient)",
     "Nov 22 20:03:33 pf-test postfix/smtpd[3666]: 5DC26A72261: reject: RCPT "
     "from localhost[127.0.0.1]: 554 5.7.1 <mtareject@localhost>: Recipient "
     "address rejected: Rejected by local policy; from=<a@example.org> "
     "to=<mtareject@localhost> proto=ESMTP helo=<e2e.example>",
     "Nov 22 20:03:33", "postfix", "5DC26A72261", "RCPT", "127.0.0.1",
     "a@example.org", "mtareject@localhost",
     "554 5.7.1 <mtareject@localhost>: Recipient address rejected: Rejected "
     "by local policy",
     "X.7.1", false},
    {"reject MAIL (no recipient yet)",
     PF "NOQUEUE: reject: MAIL from localhost[127.0.0.1]: 504 5.5.2 <a>: "
        "Sender address rejected: need fully-qualified address; from=<a> "
        "proto=ESMTP helo=<e2e.example>",
     PF_T, "postfix", "NOQUEUE", "MAIL", "127.0.0.1", "a", "",
     "504 5.5.2 <a>: Sender address rejected: need fully-qualified address",
     "X.5.2", false},
    {"reject DATA, null sender",
     PF "NOQUEUE: reject: DATA from unknown[192.0.2.1]: 550 5.5.1 <DATA>: "
        "Data command rejected: Multi-recipient bounce; from=<> proto=ESMTP "
        "helo=<x.example>",
     PF_T, "postfix", "NOQUEUE", "DATA", "192.0.2.1", "", "",
     "550 5.5.1 <DATA>: Data command rejected: Multi-recipient bounce", "X.5.1",
     false},
    {"reject END-OF-MESSAGE (end-of-data restriction)",
     PF "4F7A21C3D2: reject: END-OF-MESSAGE from unknown[192.0.2.1]: 554 "
        "5.7.1 <END-OF-MESSAGE>: End-of-data rejected: Too much mail; "
        "from=<s@example.org> to=<u@example.com> proto=ESMTP helo=<x>",
     PF_T, "postfix", "4F7A21C3D2", "END-OF-MESSAGE", "192.0.2.1",
     "s@example.org", "u@example.com",
     "554 5.7.1 <END-OF-MESSAGE>: End-of-data rejected: Too much mail", "X.7.1",
     false},
    {"submission service (postfix/submission/smtpd)",
     "Nov 22 19:54:43 mx postfix/submission/smtpd[77]: NOQUEUE: reject: RCPT "
     "from h.example[198.51.100.2]: 554 5.7.1 <u@example.com>: Relay access "
     "denied; from=<s@example.org> to=<u@example.com> proto=ESMTP helo=<h>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "198.51.100.2", "s@example.org",
     "u@example.com", "554 5.7.1 <u@example.com>: Relay access denied", "X.7.1",
     false},
    /* No sender yet, so Postfix logs no from=<...>. */
    {"reject CONNECT (smtpd_delay_reject = no): no from= logged",
     PF "NOQUEUE: reject: CONNECT from unknown[192.0.2.1]: 554 5.7.1 "
        "<unknown[192.0.2.1]>: Client host rejected: Access denied; "
        "proto=SMTP",
     PF_T, "postfix", "NOQUEUE", "CONNECT", "192.0.2.1", "", "",
     "554 5.7.1 <unknown[192.0.2.1]>: Client host rejected: Access denied",
     "X.7.1", false},
    {"reject HELO (smtpd_delay_reject = no): no from= logged",
     PF "NOQUEUE: reject: HELO from unknown[192.0.2.1]: 504 5.5.2 <bad>: "
        "Helo command rejected: need fully-qualified hostname; proto=SMTP "
        "helo=<bad>",
     PF_T, "postfix", "NOQUEUE", "HELO", "192.0.2.1", "", "",
     "504 5.5.2 <bad>: Helo command rejected: need fully-qualified hostname",
     "X.5.2", false},
    {"reject EHLO, as the e2e Postfix logs it: no from= logged",
     "Nov 22 20:03:30 pf-test postfix/smtpd[3666]: NOQUEUE: reject: EHLO "
     "from localhost[127.0.0.1]: 554 5.7.1 <bad.helo>: Helo command "
     "rejected: Bad HELO; proto=SMTP helo=<bad.helo>",
     "Nov 22 20:03:30", "postfix", "NOQUEUE", "EHLO", "127.0.0.1", "", "",
     "554 5.7.1 <bad.helo>: Helo command rejected: Bad HELO", "X.7.1", false},
};

static void
test_postfix_smtpd(void **state)
{
	(void)state;
	CHECK_EVENTS(pf_smtpd);
}

/* ---- Postfix: milter replies -------------------------------------------- */

static const struct ecase pf_milter[] = {
    {"milter-reject RCPT, one line",
     PF "NOQUEUE: milter-reject: RCPT from localhost[127.0.0.1]: 550 5.7.1 "
        "Command rejected; from=<a@example.org> to=<b@example.com> "
        "proto=ESMTP helo=<h>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "127.0.0.1", "a@example.org",
     "b@example.com", "550 5.7.1 Command rejected", "X.7.1", false},
    {"milter-reject RCPT, milter-annotate's reply with ?? separators",
     PF "NOQUEUE: milter-reject: RCPT from localhost[127.0.0.1]: 550-5.7.1 "
        "Relaying denied" ANN_PF("550", "5.7.1") "; from=<a@example.org> "
                                                 "to=<blocked@localhost> "
                                                 "proto=ESMTP "
                                                 "helo=<e2e.example>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "127.0.0.1", "a@example.org",
     "blocked@localhost", "550 5.7.1 Relaying denied", "X.7.1", false},
    {"milter-reject MAIL, annotated, no to=",
     PF "NOQUEUE: milter-reject: MAIL from localhost[127.0.0.1]: 451-4.7.1 "
        "Greylisted, please try again later" ANN_PF(
            "451", "4.7.1") "; from=<mailgrey@example.org> proto=ESMTP "
                            "helo=<e2e.example>",
     PF_T, "postfix", "NOQUEUE", "MAIL", "127.0.0.1", "mailgrey@example.org",
     "", "451 4.7.1 Greylisted, please try again later", "X.7.1", false},
    {"milter-reject, another milter's two-line reply kept whole",
     PF "NOQUEUE: milter-reject: RCPT from h.example[192.0.2.8]: 550-5.7.1 "
        "Message rejected??550 5.7.1 See https://example.com/why; "
        "from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<h>",
     PF_T, "postfix", "NOQUEUE", "RCPT", "192.0.2.8", "a@example.org",
     "b@example.com", "550 5.7.1 Message rejected See https://example.com/why",
     "X.7.1", false},
    {"milter-reject END-OF-MESSAGE: first line without its basic code",
     PF_CLEAN "2FAC1A72242: milter-reject: END-OF-MESSAGE from "
              "localhost[127.0.0.1]: 5.7.1 Content refused" ANN_PF(
                  "554", "5.7.1") "; from=<a@example.org> to=<b@localhost> "
                                  "proto=ESMTP helo=<e2e.example>",
     PF_T, "postfix", "2FAC1A72242", "END-OF-MESSAGE", "127.0.0.1",
     "a@example.org", "b@localhost", "554 5.7.1 Content refused", "X.7.1",
     false},
    {"milter-reject END-OF-MESSAGE, one line: enhanced code alone",
     PF_CLEAN "3B1C2D3E4F: milter-reject: END-OF-MESSAGE from "
              "h.example[192.0.2.8]: 5.7.1 Spam message rejected; "
              "from=<a@example.org> to=<b@example.com> proto=ESMTP "
              "helo=<h.example>",
     PF_T, "postfix", "3B1C2D3E4F", "END-OF-MESSAGE", "192.0.2.8",
     "a@example.org", "b@example.com", "5.7.1 Spam message rejected", "X.7.1",
     false},
    {"milter-reject END-OF-MESSAGE 5.7.0 (header rule)",
     PF_CLEAN "4776FA7225D: milter-reject: END-OF-MESSAGE from "
              "localhost[127.0.0.1]: 5.7.0 Message refused: virus "
              "found??550-5.7.0 Explanation: The server is reporting a "
              "security or policy status??550 5.7.0   on retry; for 5.7.0 "
              "ask the postmaster.; from=<a@example.org> to=<b@localhost> "
              "proto=ESMTP helo=<e2e.example>",
     PF_T, "postfix", "4776FA7225D", "END-OF-MESSAGE", "127.0.0.1",
     "a@example.org", "b@localhost", "550 5.7.0 Message refused: virus found",
     "X.7.0", false},
    {"milter-discard END-OF-MESSAGE",
     PF_CLEAN "4F2E1A0B9C: milter-discard: END-OF-MESSAGE from "
              "localhost[127.0.0.1]: milter triggers DISCARD action; "
              "from=<a@example.org> to=<b@example.com> proto=ESMTP helo=<h>",
     PF_T, "postfix", "4F2E1A0B9C", "END-OF-MESSAGE", "127.0.0.1",
     "a@example.org", "b@example.com", "discarded", "", false},
    {"milter-reject CONNECT: no from= logged",
     PF "NOQUEUE: milter-reject: CONNECT from unknown[192.0.2.1]: 554 5.7.1 "
        "Connections from your network are refused; proto=SMTP",
     PF_T, "postfix", "NOQUEUE", "CONNECT", "192.0.2.1", "", "",
     "554 5.7.1 Connections from your network are refused", "X.7.1", false},
};

static void
test_postfix_milter(void **state)
{
	(void)state;
	CHECK_EVENTS(pf_milter);
}

/* ---- Postfix: other programs' rejections --------------------------------- */

static const struct ecase pf_other[] = {
    {"postscreen: from=<...>, to=<...>, with commas",
     "Jun  9 12:05:50 mail postfix/postscreen[31014]: NOQUEUE: reject: RCPT "
     "from [203.0.113.99]:54321: 550 5.7.1 Service unavailable; client "
     "[203.0.113.99] blocked using zen.spamhaus.org; from=<bot@example.net>, "
     "to=<inbox@example.com>, proto=ESMTP, helo=<bot.example.net>",
     "Jun  9 12:05:50", "postfix", "NOQUEUE", "RCPT", "203.0.113.99",
     "bot@example.net", "inbox@example.com",
     "550 5.7.1 Service unavailable; client [203.0.113.99] blocked using "
     "zen.spamhaus.org",
     "X.7.1", false},
    {"cleanup header_checks REJECT (reply after helo=<...>)",
     PF_CLEAN "205FFA72112: reject: header Subject: headercheck now from "
              "localhost[127.0.0.1]; from=<a@example.org> to=<b@localhost> "
              "proto=ESMTP helo=<e2e.example>: 5.7.1 Header refused",
     PF_T, "postfix", "205FFA72112", NULL, "127.0.0.1", "a@example.org",
     "b@localhost", "5.7.1 Header refused", "X.7.1", false},
    {"cleanup body_checks REJECT",
     PF_CLEAN "4FDA0C3A1B: reject: body Click here to win from "
              "unknown[192.0.2.5]; from=<s@example.net> to=<u@example.com> "
              "proto=ESMTP helo=<x.example.net>: 5.7.1 Message content "
              "rejected",
     PF_T, "postfix", "4FDA0C3A1B", NULL, "192.0.2.5", "s@example.net",
     "u@example.com", "5.7.1 Message content rejected", "X.7.1", false},
};

static void
test_postfix_other(void **state)
{
	(void)state;
	CHECK_EVENTS(pf_other);
}

/* ---- Postfix: delivery (smtp, lmtp, local) ------------------------------ */

static const struct ecase pf_delivery[] = {
    {"smtp status=deferred, remote said 450 (in reply to RCPT TO)",
     PF_SMTP "3C4D5E6F7A: to=<u@example.com>, "
             "relay=mx.example.com[192.0.2.10]:25, delay=1.4, "
             "delays=0.1/0.01/0.8/0.5, dsn=4.7.1, status=deferred (host "
             "mx.example.com[192.0.2.10] said: 450 4.7.1 <u@example.com>: "
             "Recipient address rejected: Greylisted (in reply to RCPT TO "
             "command))",
     PF_SMTP_T, "postfix", "3C4D5E6F7A", "deferred", "192.0.2.10", "",
     "u@example.com",
     "450 4.7.1 <u@example.com>: Recipient address rejected: Greylisted",
     "X.7.1", false},
    {"smtp status=bounced, Gmail's multi-line reply joined by Postfix",
     PF_SMTP "3C4D5E6F7B: to=<nobody@example.com>, "
             "relay=mx.example.com[192.0.2.26]:25, delay=0.9, "
             "delays=0.1/0/0.4/0.4, dsn=5.1.1, status=bounced (host "
             "mx.example.com[192.0.2.26] said: 550-5.1.1 The email account "
             "that you tried to reach does not exist. Please try 550-5.1.1 "
             "double-checking the recipient's email address for typos or "
             "550-5.1.1 unnecessary spaces. For more information, go to 550 "
             "5.1.1  https://support.google.com/mail/?p=NoSuchUser "
             "x1si12345qkd.123 - gsmtp (in reply to RCPT TO command))",
     PF_SMTP_T, "postfix", "3C4D5E6F7B", "bounced", "192.0.2.26", "",
     "nobody@example.com",
     "550 5.1.1 The email account that you tried to reach does not exist.",
     "X.1.1", true},
    {"smtp status=deferred, reply text with parentheses (EHLO)",
     PF_SMTP "3C4D5E6F7C: to=<u@example.com>, relay=mx.example.com[192.0.2.10]"
             ":25, delay=3, delays=0/0/3/0, dsn=4.7.0, status=deferred (host "
             "mx.example.com[192.0.2.10] said: 421 4.7.0 Try again later, "
             "closing connection. (EHLO) (in reply to EHLO command))",
     PF_SMTP_T, "postfix", "3C4D5E6F7C", "deferred", "192.0.2.10", "",
     "u@example.com", "421 4.7.0 Try again later, closing connection. (EHLO)",
     "X.7.0", false},
    {"smtp status=deferred without a reply: connection refused (4.4.1)",
     PF_SMTP "3C4D5E6F7D: to=<u@example.net>, relay=none, delay=30, "
             "delays=0.01/0/30/0, dsn=4.4.1, status=deferred (connect to "
             "mx.example.net[192.0.2.20]:25: Connection refused)",
     PF_SMTP_T, "postfix", "3C4D5E6F7D", "deferred", NULL, "", "u@example.net",
     "4.4.1 connect to mx.example.net[192.0.2.20]:25: Connection refused",
     "X.4.1", false},
    {"smtp status=bounced with orig_to=",
     PF_SMTP
     "3C4D5E6F7E: to=<u@example.com>, orig_to=<alias@example.org>, "
     "relay=mx.example.com[192.0.2.10]:25, delay=1, delays=0/0/0.5/0.5, "
     "dsn=5.7.1, status=bounced (host mx.example.com[192.0.2.10] "
     "said: 554 5.7.1 <u@example.com>: Relay access denied (in reply "
     "to RCPT TO command))",
     PF_SMTP_T, "postfix", "3C4D5E6F7E", "bounced", "192.0.2.10", "",
     "u@example.com", "554 5.7.1 <u@example.com>: Relay access denied", "X.7.1",
     false},
    {"lmtp status=deferred, over quota, text with parentheses",
     "Nov 22 19:55:01 mx postfix/lmtp[4160]: 3C4D5E6F7F: "
     "to=<u@example.org>, relay=mail.example.org[private/dovecot-lmtp], "
     "delay=0.1, delays=0.05/0/0/0.05, dsn=4.2.2, status=deferred (host "
     "mail.example.org[private/dovecot-lmtp] said: 452 4.2.2 <u@example.org> "
     "Quota exceeded (mailbox for user is full) (in reply to end of DATA "
     "command))",
     PF_SMTP_T, "postfix", "3C4D5E6F7F", "deferred", NULL, "", "u@example.org",
     "452 4.2.2 <u@example.org> Quota exceeded (mailbox for user is full)",
     "X.2.2", false},
    {"local status=bounced, unknown user",
     "Nov 22 19:55:01 mx postfix/local[4170]: 3C4D5E6F80: "
     "to=<nouser@example.org>, relay=local, delay=0.01, delays=0/0/0/0, "
     "dsn=5.1.1, status=bounced (unknown user: \"nouser\")",
     PF_SMTP_T, "postfix", "3C4D5E6F80", "bounced", NULL, "",
     "nouser@example.org", "5.1.1 unknown user: \"nouser\"", "X.1.1", false},
};

static void
test_postfix_delivery(void **state)
{
	(void)state;
	CHECK_EVENTS(pf_delivery);
}

/* ---- Sendmail: rulesets ----------------------------------------------------
 */

static const struct ecase sm_rulesets[] = {
    {"check_rcpt, relaying denied, relay=host [addr]",
     "Sep 30 04:21:32 halley sendmail[3161]: g8U2LVi03161: ruleset=check_rcpt,"
     " arg1=<amber@example.net>, relay=moon.example.fr [10.0.0.254], "
     "reject=550 5.7.1 <amber@example.net>... Relaying denied",
     "Sep 30 04:21:32", "sendmail", "g8U2LVi03161", "check_rcpt", "10.0.0.254",
     "", "amber@example.net",
     "550 5.7.1 <amber@example.net>... Relaying denied", "X.7.1", false},
    {"check_rcpt, local rule, as the e2e Sendmail logs it",
     "2026-11-22T20:01:56 sm-test[2650]: <notice> 6AMK1uPZ002650: "
     "ruleset=check_rcpt, arg1=<mtareject@localhost>, relay=localhost "
     "[127.0.0.1], reject=550 5.7.1 <mtareject@localhost>... Rejected by "
     "local rule",
     "2026-11-22T20:01:56", "sendmail", "6AMK1uPZ002650", "check_rcpt",
     "127.0.0.1", "", "mtareject@localhost",
     "550 5.7.1 <mtareject@localhost>... Rejected by local rule", "X.7.1",
     false},
    {"check_rcpt 450 4.7.1 (a deferral)",
     SM_ISO "6AMK1uB7002663: ruleset=check_rcpt, arg1=<mtadefer@localhost>, "
            "relay=localhost [127.0.0.1], reject=450 4.7.1 "
            "<mtadefer@localhost>... Deferred by local rule",
     SM_ISO_T, "sendmail", "6AMK1uB7002663", "check_rcpt", "127.0.0.1", "",
     "mtadefer@localhost",
     "450 4.7.1 <mtadefer@localhost>... Deferred by local rule", "X.7.1",
     false},
    {"check_mail, relay=host [addr] (may be forged)",
     SM "k79IaGJK011761: ruleset=check_mail, arg1=<s@nx.example>, "
        "relay=h.example.net [192.0.2.4] (may be forged), reject=553 5.1.8 "
        "<s@nx.example>... Domain of sender address s@nx.example does not "
        "exist",
     SM_T, "sendmail", "k79IaGJK011761", "check_mail", "192.0.2.4",
     "s@nx.example", "",
     "553 5.1.8 <s@nx.example>... Domain of sender address s@nx.example does "
     "not exist",
     "X.1.8", false},
    {"check_mail, relay=[addr], 553 5.5.4",
     SM "6AMK1wBi002767: ruleset=check_mail, arg1=<a>, relay=[192.0.2.44], "
        "reject=553 5.5.4 <a>... Domain name required for sender address a",
     SM_T, "sendmail", "6AMK1wBi002767", "check_mail", "192.0.2.44", "a", "",
     "553 5.5.4 <a>... Domain name required for sender address a", "X.5.4",
     false},
    {"check_mail, 553 5.3.0 access map text",
     SM "k79IaGJK011762: ruleset=check_mail, arg1=<direto@mkt.example>, "
        "relay=mkt1.example [192.0.2.5], reject=553 5.3.0 "
        "<direto@mkt.example>... SPAM REJECT",
     SM_T, "sendmail", "k79IaGJK011762", "check_mail", "192.0.2.5",
     "direto@mkt.example", "", "553 5.3.0 <direto@mkt.example>... SPAM REJECT",
     "X.3.0", false},
    /* check_relay runs before any envelope: no queue id is logged. */
    {"check_relay (arg1, arg2), relay=host [addr], no queue id",
     "Dec  6 14:24:52 a.mail.example sm-mta[28606]: ruleset=check_relay, "
     "arg1=c-76.example.net, arg2=198.51.100.118, relay=c-76.example.net "
     "[198.51.100.118], reject=421 4.3.2 Connection rate limit exceeded.",
     "Dec  6 14:24:52", "sendmail", NULL, "check_relay", "198.51.100.118", "",
     "", "421 4.3.2 Connection rate limit exceeded.", "X.3.2", false},
    {"check_relay, relay=[addr], DNSBL, no queue id",
     "Jan 10 07:37:48 smtp sendmail[32440]: ruleset=check_relay, "
     "arg1=[203.0.113.114], arg2=203.0.113.114, relay=[203.0.113.114], "
     "reject=554 5.7.1 Rejected 203.0.113.114 found in dnsbl.example.net",
     "Jan 10 07:37:48", "sendmail", NULL, "check_relay", "203.0.113.114", "",
     "", "554 5.7.1 Rejected 203.0.113.114 found in dnsbl.example.net", "X.7.1",
     false},
};

static void
test_sendmail_rulesets(void **state)
{
	(void)state;
	CHECK_EVENTS(sm_rulesets);
}

/* ---- Sendmail: milter replies and deferrals ------------------------------ */

static const struct ecase sm_milter[] = {
    {"Milter: to=, milter-annotate's reply with \\r\\n separators",
     SM_SHIM "6AMK1vEv002702: Milter: to=<blocked@localhost>, reject=550-5.7.1 "
             "Relaying denied" ANN_SM("550", "5.7.1"),
     SM_SHIM_T, "sendmail", "6AMK1vEv002702", "milter to", "", "",
     "blocked@localhost", "550 5.7.1 Relaying denied", "X.7.1", false},
    {"Milter: to=, one line",
     SM "6AMK1vEv002703: Milter: to=<x@example.com>, reject=550 5.7.1 "
        "Command rejected",
     SM_T, "sendmail", "6AMK1vEv002703", "milter to", "", "", "x@example.com",
     "550 5.7.1 Command rejected", "X.7.1", false},
    {"Milter: from=, 451 4.7.1",
     SM "6AMK1vQd002689: Milter: from=<grey@example.org>, reject=451 4.7.1 "
        "Greylisting in action, please come back later",
     SM_T, "sendmail", "6AMK1vQd002689", "milter from", "", "grey@example.org",
     "", "451 4.7.1 Greylisting in action, please come back later", "X.7.1",
     false},
    {"Milter: from=, annotated",
     SM_SHIM
     "6AMK1vb2002676: Milter: from=<mailreject@example.org>, "
     "reject=550-5.7.1 Sender address refused by policy" ANN_SM("550", "5.7.1"),
     SM_SHIM_T, "sendmail", "6AMK1vb2002676", "milter from", "",
     "mailreject@example.org", "", "550 5.7.1 Sender address refused by policy",
     "X.7.1", false},
    {"Milter: data, reject=",
     SM_SHIM "6AMK1v17002728: Milter: data, reject=554-5.7.1 Content "
             "refused" ANN_SM("554", "5.7.1"),
     SM_SHIM_T, "sendmail", "6AMK1v17002728", "milter data", "", "", "",
     "554 5.7.1 Content refused", "X.7.1", false},
    {"Milter: data, reject= 5.7.0, one line",
     SM "k876hJS0063495: Milter: data, reject=550 5.7.0 Message refused: "
        "virus found",
     SM_T, "sendmail", "k876hJS0063495", "milter data", "", "", "",
     "550 5.7.0 Message refused: virus found", "X.7.0", false},
    {"stat=Deferred: 451 4.7.1 from the remote MX",
     SM "6AMK2aQd002800: to=<u@example.com>, ctladdr=<a@example.org> "
        "(1000/1000), delay=00:00:05, xdelay=00:00:05, mailer=esmtp, "
        "pri=120385, relay=mx.example.com. [192.0.2.10], dsn=4.7.1, "
        "stat=Deferred: 451 4.7.1 Please try again later",
     SM_T, "sendmail", "6AMK2aQd002800", "deferred", NULL, "", "u@example.com",
     "451 4.7.1 Please try again later", "X.7.1", false},
    {"stat=Deferred: 421 4.3.2",
     SM "6AMK2aQd002801: to=<u@example.net>, delay=00:10:00, "
        "xdelay=00:00:01, mailer=esmtp, pri=210385, relay=mx.example.net. "
        "[192.0.2.11], dsn=4.3.2, stat=Deferred: 421 4.3.2 Service shutting "
        "down",
     SM_T, "sendmail", "6AMK2aQd002801", "deferred", NULL, "", "u@example.net",
     "421 4.3.2 Service shutting down", "X.3.2", false},
};

static void
test_sendmail_milter(void **state)
{
	(void)state;
	CHECK_EVENTS(sm_milter);
}

/* ---- Lines that give no event ---------------------------------------------
 */

static const char *const not_events[] = {
    /* Postfix */
    "Nov 22 20:01:07 pf-test postfix/smtpd[1288]: connect from "
    "localhost[127.0.0.1]",
    "Nov 22 20:01:07 pf-test postfix/smtpd[1288]: disconnect from "
    "localhost[127.0.0.1] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4",
    "Nov 22 20:01:09 pf-test postfix/smtpd[1288]: 0BC9EA7255C: "
    "client=localhost[127.0.0.1]",
    "Nov 22 20:01:09 pf-test postfix/cleanup[1331]: 0BC9EA7255C: "
    "message-id=<20261122200108.001330@vm>",
    PF_QMGR "0BC9EA7255C: from=<a@example.org>, size=1234, nrcpt=1 (queue "
            "active)",
    PF_QMGR "0BC9EA7255C: removed",
    "Nov 22 20:01:09 pf-test postfix/smtpd[1288]: warning: 0BC9EA7255C: "
    "queue file size limit exceeded",
    PF "warning: hostname h.example does not resolve to address 192.0.2.1: "
       "Name or service not known",
    PF "warning: Illegal address syntax from unknown[192.0.2.1] in RCPT "
       "command: <a b@example.com>",
    PF "NOQUEUE: reject_warning: RCPT from unknown[192.0.2.1]: 554 5.7.1 "
       "<u@example.com>: Relay access denied; from=<s@example.org> "
       "to=<u@example.com> proto=ESMTP helo=<h>",
    PF "lost connection after RCPT from unknown[192.0.2.1]",
    PF_SMTP "3C4D5E6F70: to=<u@example.com>, relay=mx.example.com[192.0.2.10]"
            ":25, delay=1.1, delays=0.1/0/0.5/0.5, dsn=2.0.0, status=sent (250 "
            "2.0.0 OK 1700000000 x1si123)",
    "Nov 22 20:00:57 pf-test postfix/master[32472]: daemon started -- "
    "version 3.7.11, configuration /tmp/pf",
    /* Sendmail */
    "2026-11-22T20:01:56 sm-test[2623]: <info> starting daemon (8.17.1.9): "
    "SMTP",
    "2026-11-22T20:01:56 sm-test[2637]: <info> 6AMK1uLe002637: "
    "from=<a@example.org>, size=0, class=0, nrcpts=1, proto=ESMTP, "
    "daemon=MTA, relay=localhost [127.0.0.1]",
    "2026-11-22T20:01:58 sm-test[2754]: <info> 6AMK1wxO002754: "
    "to=<b@localhost>, delay=00:00:00, mailer=local, pri=30280, stat=queued",
    "2026-11-22T20:01:58 sm-test[2728]: <info> 6AMK1v17002728: "
    "to=<b@localhost>, delay=00:00:00, pri=30215, stat=Content "
    "refused\\r\\n554-5.7.1 Explanation: The server's policy does not allow "
    "this delivery: relay\\r\\n554 5.7.1   fix SPF and DKIM, or ask the "
    "postmaster.",
    SM "6AMK2aQd002802: to=<u@example.com>, delay=00:00:01, xdelay=00:00:01, "
       "mailer=esmtp, pri=120385, relay=mx.example.com. [192.0.2.10], "
       "dsn=2.0.0, stat=Sent (Ok: queued as 4ABC)",
    /* Noise */
    "",
    "hello world",
    PF,
    "Nov 22 19:54:43 mx kernel: [12345.678] eth0: link up",
};

static void
test_not_events(void **state)
{
	static struct logscan_event ev;
	struct logscan *ls;
	char vis[512], *out;
	size_t i;
	int nfail = 0, rc;

	(void)state;
	for (i = 0; i < sizeof(not_events) / sizeof(not_events[0]); i++) {
		const char *line = not_events[i];

		ls = logscan_new(cfg, false, stdout);
		assert_non_null(ls);
		rc = logscan_parse(ls, line, &ev);
		logscan_free(ls);
		EXPECT(nfail, unit_show(line, vis, sizeof(vis)), rc == 0,
		       "logscan_parse gave %d, want 0", rc);
		out = run_one(false, line);
		EXPECT(nfail, unit_show(line, vis, sizeof(vis)), *out == '\0',
		       "printed: %s", out);
		free(out);
	}
	EXPECT_DONE(nfail);
}

/* A 100 KB line, a long reply, binary junk: no crash, no overflow. */
static void
test_long_and_junk(void **state)
{
	static struct logscan_event ev;
	struct logscan *ls = logscan_new(cfg, false, stdout);
	size_t n = 100 * 1024, i, k;
	char *line = malloc(n + 1), *out;
	unsigned seed = 12345;
	int nfail = 0, rc;

	(void)state;
	assert_non_null(ls);
	assert_non_null(line);
	/* 100 KB with no structure at all. */
	memset(line, 'x', n);
	line[n] = '\0';
	rc = logscan_parse(ls, line, &ev);
	EXPECT(nfail, "100 KB of x", rc == 0, "gave %d", rc);
	/* 100 KB after a syslog prefix. */
	k = strlen(PF);
	memcpy(line, PF, k);
	rc = logscan_parse(ls, line, &ev);
	EXPECT(nfail, "prefix and 100 KB of x", rc == 0, "gave %d", rc);
	/* A real reject line whose reply is 100 KB long: cut, not overrun. */
	snprintf(line, n,
	         PF "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: "
	            "550 5.7.1 ");
	k = strlen(line);
	for (i = k; i < n - 200; i++)
		line[i] = (char)('a' + (i - k) % 26);
	snprintf(line + i, n + 1 - i,
	         "; from=<s@example.org> to=<u@example.com> proto=ESMTP "
	         "helo=<h>");
	rc = logscan_parse(ls, line, &ev);
	EXPECT(nfail, "reject with a 100 KB reply", rc == 1, "gave %d", rc);
	if (rc == 1) {
		EXPECT(nfail, "reject with a 100 KB reply",
		       strlen(ev.reply) < LOGSCAN_REPLY_MAX &&
		           strncmp(ev.reply, "550 5.7.1 abc", 13) == 0,
		       "reply of %zu bytes: %.40s", strlen(ev.reply), ev.reply);
		EXPECT(nfail, "reject with a 100 KB reply",
		       strcmp(ev.rcpt, "u@example.com") == 0, "rcpt %s",
		       ev.rcpt);
	}
	out = run_one(false, line);
	EXPECT(nfail, "reject with a 100 KB reply", count_lines(out) == 1,
	       "%zu lines printed", count_lines(out));
	EXPECT(nfail, "reject with a 100 KB reply",
	       strstr(out, " code=X.7.1 ") != NULL, "printed %.300s", out);
	free(out);
	/* Binary junk: every byte but NUL, with and without a prefix. */
	for (k = 0; k < 8; k++) {
		size_t len = 4096 + k * 997, start = k % 2 ? strlen(PF) : 0;

		memcpy(line, PF, start);
		for (i = start; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			line[i] = (char)(1 + (seed >> 16) % 255);
		}
		line[len] = '\0';
		rc = logscan_parse(ls, line, &ev);
		EXPECT(nfail, "binary junk", rc == 0, "seed round %zu gave %d",
		       k, rc);
		out = run_one(k % 2, line);
		EXPECT(nfail, "binary junk", *out == '\0', "printed %s", out);
		free(out);
	}
	logscan_free(ls);
	free(line);
	EXPECT_DONE(nfail);
}

/* ---- State: envelopes, order, summary ------------------------------------ */

#define SM_ENV(qid, from)                                                      \
	"2026-11-22T20:01:57 sm-test[2702]: <info> " qid ": from=<" from       \
	">, size=0, class=0, nrcpts=0, proto=ESMTP, daemon=MTA, "              \
	"relay=localhost [127.0.0.1]"
#define SM_RCPT_REJ(qid, rcpt)                                                 \
	"2026-11-22T20:01:57 sm-test[2702]: <notice> " qid                     \
	": ruleset=check_rcpt, arg1=<" rcpt ">, relay=localhost "              \
	"[127.0.0.1], reject=550 5.7.1 <" rcpt ">... Rejected by local rule"
#define SM_MILTER_REJ(qid, rcpt)                                               \
	"2026-11-22T20:01:57 sm-test[2702]: <info> " qid ": Milter: to=<" rcpt \
	">, reject=450-4.2.1 Mailbox busy, try again later\\r\\n450-4.2.1 "    \
	"Explanation: The recipient mailbox exists.\\r\\n450 4.2.1 How to "    \
	"fix: Retry."

/* Sendmail logs the envelope after the rejections: they wait for it. */
static void
test_sendmail_waits_for_envelope(void **state)
{
	struct logscan *ls;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(out);
	ls = logscan_new(cfg, false, out);
	assert_non_null(ls);
	logscan_line(ls, SM_MILTER_REJ("QA0000000001", "busy@localhost"));
	logscan_line(ls, SM_RCPT_REJ("QA0000000001", "mtareject@localhost"));
	/* Another session in between, complete. */
	logscan_line(ls, SM_RCPT_REJ("QB0000000002", "other@localhost"));
	logscan_line(ls, SM_ENV("QB0000000002", "b@example.org"));
	fflush(out);
	assert_int_equal(count_lines(buf), 1);
	assert_non_null(strstr(buf, "queue_id=QB0000000002 stage=check_rcpt "
	                            "client=127.0.0.1 from=<b@example.org> "
	                            "rcpt=<other@localhost>"));
	logscan_line(ls, SM_ENV("QA0000000001", "a@example.org"));
	fflush(out);
	assert_int_equal(count_lines(buf), 3);
	/* In the order they were logged, with the envelope's sender. */
	assert_non_null(strstr(buf, "\ntime=2026-11-22T20:01:57 mta=sendmail "
	                            "queue_id=QA0000000001 stage=\"milter to\" "
	                            "client=127.0.0.1 from=<a@example.org> "
	                            "rcpt=<busy@localhost> reply=\"450 4.2.1 "
	                            "Mailbox busy, try again later\" "
	                            "code=X.2.1 "));
	assert_true(strstr(buf, "rcpt=<busy@localhost>") <
	            strstr(buf, "rcpt=<mtareject@localhost>"));
	assert_non_null(strstr(buf, "queue_id=QA0000000001 stage=check_rcpt "
	                            "client=127.0.0.1 from=<a@example.org> "
	                            "rcpt=<mtareject@localhost>"));
	logscan_flush(ls);
	assert_int_equal(count_lines(buf), 3);
	logscan_free(ls);
	fclose(out);
	free(buf);
}

/* An envelope seen first (data stage): the event is printed at once. */
static void
test_sendmail_envelope_first(void **state)
{
	struct logscan *ls;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(out);
	ls = logscan_new(cfg, false, out);
	assert_non_null(ls);
	logscan_line(ls, SM_ENV("QC0000000003", "c@example.org"));
	logscan_line(ls, SM_SHIM "QC0000000003: Milter: data, reject=554-5.7.1 "
	                         "Content refused" ANN_SM("554", "5.7.1"));
	fflush(out);
	assert_int_equal(count_lines(buf), 1);
	assert_non_null(strstr(buf, "queue_id=QC0000000003 stage=\"milter "
	                            "data\" client=127.0.0.1 "
	                            "from=<c@example.org> rcpt=- "
	                            "reply=\"554 5.7.1 Content refused\" "
	                            "code=X.7.1 "));
	logscan_free(ls);
	fclose(out);
	free(buf);
}

/* No envelope ever: printed at the end, with what the line had. */
static void
test_sendmail_never_named(void **state)
{
	const char *lines[] = {SM_RCPT_REJ("QD0000000004", "lost@localhost"),
	                       NULL};
	struct logscan *ls;
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	(void)state;
	assert_non_null(out);
	ls = logscan_new(cfg, false, out);
	assert_non_null(ls);
	logscan_line(ls, lines[0]);
	fflush(out);
	assert_int_equal(count_lines(buf), 0);
	logscan_flush(ls);
	assert_int_equal(count_lines(buf), 1);
	assert_non_null(strstr(buf, "queue_id=QD0000000004 stage=check_rcpt "
	                            "client=127.0.0.1 from=<> "
	                            "rcpt=<lost@localhost>"));
	logscan_free(ls);
	fclose(out);
	free(buf);
}

/* Postfix events are printed at once; a delivery takes qmgr's sender. */
static void
test_postfix_delivery_sender(void **state)
{
	const char *lines[] = {
	    PF_QMGR "3C4D5E6F7A: from=<sender@example.org>, size=1234, nrcpt=1 "
	            "(queue active)",
	    PF_SMTP "3C4D5E6F7A: to=<u@example.com>, "
	            "relay=mx.example.com[192.0.2.10]:25, delay=1.4, "
	            "delays=0.1/0.01/0.8/0.5, dsn=4.7.1, status=deferred (host "
	            "mx.example.com[192.0.2.10] said: 450 4.7.1 Greylisted (in "
	            "reply to RCPT TO command))",
	    NULL};
	char *out = run_lines(false, lines, false);

	(void)state;
	assert_int_equal(count_lines(out), 1);
	assert_non_null(strstr(out, "queue_id=3C4D5E6F7A stage=deferred "
	                            "client=192.0.2.10 "
	                            "from=<sender@example.org> "
	                            "rcpt=<u@example.com> reply=\"450 4.7.1 "
	                            "Greylisted\" code=X.7.1 "));
	free(out);
}

/* --summary: the total, then one row per code sent, most frequent first. */
static void
test_summary(void **state)
{
	const char *lines[] = {
	    PF
	    "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <a@x>: "
	    "Relay access denied; from=<s@example.org> to=<a@x> proto=ESMTP "
	    "helo=<h>",
	    PF
	    "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 554 5.7.1 <b@x>: "
	    "Relay access denied; from=<s@example.org> to=<b@x> proto=ESMTP "
	    "helo=<h>",
	    PF
	    "NOQUEUE: reject: RCPT from unknown[192.0.2.1]: 450 4.7.1 <c@x>: "
	    "Recipient address rejected: Deferred; from=<s@example.org> "
	    "to=<c@x> proto=ESMTP helo=<h>",
	    PF "NOQUEUE: milter-reject: RCPT from localhost[127.0.0.1]: 550 "
	       "Mailbox unavailable; from=<s@example.org> to=<d@x> proto=ESMTP "
	       "helo=<h>",
	    SM_RCPT_REJ("QE0000000005", "e@localhost"),
	    SM_ENV("QE0000000005", "s@example.org"),
	    PF_CLEAN "4F2E1A0B9C: milter-discard: END-OF-MESSAGE from "
	             "localhost[127.0.0.1]: milter triggers DISCARD action; "
	             "from=<a@example.org> to=<b@example.com> proto=ESMTP "
	             "helo=<h>",
	    PF "connect from localhost[127.0.0.1]",
	    NULL};
	char want[2048], *out = run_lines(false, lines, true), *sum;
	const struct code_entry *x71 = entry("X.7.1"), *b550 = entry("550");

	(void)state;
	assert_non_null(x71);
	assert_non_null(b550);
	assert_int_equal(count_lines(out), 6 + 1 + 5);
	sum = strstr(out, "summary: ");
	assert_non_null(sum);
	snprintf(want, sizeof(want),
	         "summary: 6 rejections and deferrals\n"
	         "%8d  %-12s %s\n%8d  %-12s %s\n%8d  %-12s %s\n"
	         "%8d  %-12s %s\n%8d  %-12s %s\n",
	         2, "554 5.7.1", x71->name, 1, "450 4.7.1", x71->name, 1, "550",
	         b550->name, 1, "550 5.7.1", x71->name, 1, "discarded", "");
	/* Ties by code; the discard has no entry, so its row no name. */
	if (strcmp(sum, want) != 0)
		fail_msg("summary is\n%s\nwant\n%s", sum, want);
	free(out);
}

/*
 * A reply that is not one keeps its bytes as its key, but the summary
 * prints keys unquoted: control and 8-bit bytes show as '?' (found by
 * fuzzing: a control byte reached the terminal).
 */
static void
test_summary_unprintable(void **state)
{
	const char *lines[] = {
	    PF "NOQUEUE: reject: EHLO from localhost[127.0.0.1]: 5\0334 "
	       "5.7.1 <h>: Helo command rejected; proto=SMTP helo=<h>",
	    PF "NOQUEUE: reject: EHLO from localhost[127.0.0.1]: \xc3\xa9x "
	       "y; proto=SMTP helo=<h>",
	    NULL};
	char *out = run_lines(false, lines, true), *sum;
	const unsigned char *p;

	(void)state;
	sum = strstr(out, "summary: 2 rejections and deferrals\n");
	assert_non_null(sum);
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
			fail_msg("byte 0x%02x in the output:\n%s", *p, out);
	assert_non_null(strstr(sum, "  5?4 "));
	assert_non_null(strstr(sum, "  ??x "));
	free(out);
}

/*
 * SMTPUTF8 addresses reach the log as UTF-8. A JSON reader must get the
 * same characters back: raw UTF-8 or \u00e9 for the e-acute, not one
 * \u00XX per byte (which decodes as "jos\u00c3\u00a9", mojibake).
 */
static void
test_json_utf8_address(void **state)
{
	char *out = run_one(true, PF "NOQUEUE: reject: RCPT from "
	                             "unknown[192.0.2.1]: 554 5.7.1 "
	                             "<u@example.com>: Relay access denied; "
	                             "from=<jos\xc3\xa9@example.org> "
	                             "to=<u@example.com> proto=ESMTP helo=<h>");

	(void)state;
	assert_int_equal(count_lines(out), 1);
	if (strstr(out, "\"from\":\"<jos\xc3\xa9@example.org>\"") == NULL &&
	    strstr(out, "\"from\":\"<jos\\u00e9@example.org>\"") == NULL)
		fail_msg("the JSON sender does not decode to jos\xc3\xa9: %s",
		         out);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_postfix_smtpd),
	    cmocka_unit_test(test_postfix_milter),
	    cmocka_unit_test(test_postfix_other),
	    cmocka_unit_test(test_postfix_delivery),
	    cmocka_unit_test(test_sendmail_rulesets),
	    cmocka_unit_test(test_sendmail_milter),
	    cmocka_unit_test(test_not_events),
	    cmocka_unit_test(test_long_and_junk),
	    cmocka_unit_test(test_sendmail_waits_for_envelope),
	    cmocka_unit_test(test_sendmail_envelope_first),
	    cmocka_unit_test(test_sendmail_never_named),
	    cmocka_unit_test(test_postfix_delivery_sender),
	    cmocka_unit_test(test_summary),
	    cmocka_unit_test(test_summary_unprintable),
	    cmocka_unit_test(test_json_utf8_address),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
