/*
 * test_dsn - delivery status notifications: the fields read from real
 * reports (tests/dsn/samples), the explanation picked for a recipient,
 * the text and HTML written in each language (counts, labels, the width
 * of our lines, escaping, direction), what is left alone (not a DSN,
 * annotated before), and the collector the milter feeds a message
 * through (only null-sender reports kept, dsn_max_size, memory bounded).
 */
#include "unit.h"

#include <malloc.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "bounce/dsn.h"
#include "bounce/dsncollect.h"
#include "bounce/dsnexplain.h"
#include "bounce/dsnparse.h"
#include "bounce/dsnrender.h"
#include "core/lang.h"
#include "engine/config.h"

#define SAMPLES "tests/dsn/samples/"

/* Whether p starts with the string s. */
#define STARTS(p, s) (strncmp((p), (s), strlen(s)) == 0)

static struct config *cfg;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	dsn_init();
	diag_init(&d);
	cfg = config_defaults(NULL, &d);
	return cfg == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_free(cfg);
	dsn_shutdown();
	return 0;
}

/* ---- helpers --------------------------------------------------------- */

/* The whole file (NUL-terminated too), or a failed test. */
static char *
slurp(const char *path, size_t *len)
{
	gchar *text;
	gsize n;

	if (!g_file_get_contents(path, &text, &n, NULL))
		fail_msg("cannot read %s", path);
	*len = n;
	return text;
}

/* s without its CRs, as a new string. */
static char *
no_cr(const char *s)
{
	char *t = g_strdup(s), *w = t;

	for (; *s != '\0'; s++)
		if (*s != '\r')
			*w++ = *s;
	*w = '\0';
	return t;
}

/* An annotated report: the result, and its new parts decoded. */
struct ann {
	enum dsn_outcome outcome;
	struct dsn_result res;
	char
	    *text; /* the text/plain part, CRs removed; NULL unless ANNOTATED */
	char *html;
};

static GMimeObject *
part_at(GMimeObject *o, int i)
{
	if (o == NULL || !GMIME_IS_MULTIPART(o) ||
	    g_mime_multipart_get_count((GMimeMultipart *)o) <= i)
		return NULL;
	return g_mime_multipart_get_part((GMimeMultipart *)o, i);
}

static char *
text_of(GMimeObject *o)
{
	char *t, *r;

	if (o == NULL || !GMIME_IS_TEXT_PART(o))
		return NULL;
	t = g_mime_text_part_get_text((GMimeTextPart *)o);
	r = no_cr(t);
	g_free(t);
	return r;
}

/* dsn_annotate msg in language lang; the new parts as GMime reads them. */
static void
annotate(const char *msg, size_t len, const char *lang, struct ann *a)
{
	GMimeStream *s;
	GMimeParser *p;
	GMimeMessage *m;
	GMimeObject *first;
	char *whole;
	size_t wlen;

	memset(a, 0, sizeof(*a));
	cfg->dsn_language = lang;
	a->outcome = dsn_annotate(msg, len, cfg, "4ABC123", &a->res);
	cfg->dsn_language = "en";
	if (a->outcome != DSN_ANNOTATED)
		return;
	wlen = a->res.d->body_off + a->res.len;
	whole = malloc(wlen);
	assert_non_null(whole);
	memcpy(whole, msg, a->res.d->body_off);
	memcpy(whole + a->res.d->body_off, a->res.body, a->res.len);
	s = g_mime_stream_mem_new_with_buffer(whole, wlen);
	p = g_mime_parser_new_with_stream(s);
	m = g_mime_parser_construct_message(p, NULL);
	first = m != NULL ? part_at(g_mime_message_get_mime_part(m), 0) : NULL;
	if (first != NULL &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(first),
	                                "multipart", "mixed"))
		first = part_at(first, 0);
	a->text = text_of(part_at(first, 0));
	a->html = text_of(part_at(first, 1));
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	free(whole);
}

static void
ann_free(struct ann *a)
{
	dsn_result_free(&a->res);
	g_free(a->text);
	g_free(a->html);
	memset(a, 0, sizeof(*a));
}

static void
annotate_file(const char *name, const char *lang, struct ann *a)
{
	char path[256];
	size_t len;
	char *msg;

	snprintf(path, sizeof(path), SAMPLES "%s", name);
	msg = slurp(path, &len);
	annotate(msg, len, lang, a);
	g_free(msg);
}

/*
 * The first line of ours (the text before the original notification,
 * which ends the text) longer than DSN_TEXT_WIDTH characters, or NULL.
 * Returned in buf.
 */
static const char *
long_line(const char *text, const char *notification, char *buf, size_t cap)
{
	size_t n = strlen(text), ours = n;
	const char *p, *eol;

	if (notification != NULL) {
		char *note = no_cr(notification);
		size_t k = strlen(note);

		if (n >= k + 1 && memcmp(text + n - 1 - k, note, k) == 0)
			ours = n - 1 - k;
		g_free(note);
	}
	for (p = text; p < text + ours; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(text + ours - p))) == NULL)
			eol = text + ours;
		if (g_utf8_strlen(p, eol - p) > DSN_TEXT_WIDTH) {
			snprintf(buf, cap, "%.*s", (int)(eol - p), p);
			return buf;
		}
	}
	return NULL;
}

/* s with every run of blanks and line breaks removed. */
static char *
joined(const char *s)
{
	char *t = g_strdup(s), *w = t;

	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\n' && *s != '\r' && *s != '\t')
			*w++ = *s;
	*w = '\0';
	return t;
}

/*
 * A report of our own: per-recipient groups (each ended by "\n"), the
 * notification's text. LF line endings; the returned message after.
 */
static char *
make_dsn(const char *groups, const char *note, size_t *len)
{
	char *s;

	if (asprintf(&s,
	             "Return-Path: <>\n"
	             "From: MAILER-DAEMON@mta.example.org\n"
	             "To: sender@example.org\n"
	             "Subject: Undelivered Mail Returned to Sender\n"
	             "MIME-Version: 1.0\n"
	             "Content-Type: multipart/report; "
	             "report-type=delivery-status;\n"
	             "\tboundary=\"BOUNDARY.1\"\n"
	             "\n"
	             "This is a MIME-encapsulated message.\n"
	             "\n"
	             "--BOUNDARY.1\n"
	             "Content-Description: Notification\n"
	             "Content-Type: text/plain; charset=utf-8\n"
	             "\n"
	             "%s\n"
	             "--BOUNDARY.1\n"
	             "Content-Type: message/delivery-status\n"
	             "\n"
	             "Reporting-MTA: dns; mta.example.org\n"
	             "X-Postfix-Queue-ID: 4ABC123\n"
	             "\n"
	             "%s"
	             "--BOUNDARY.1\n"
	             "Content-Type: message/rfc822\n"
	             "\n"
	             "From: sender@example.org\n"
	             "Subject: hello\n"
	             "\n"
	             "Hello\n"
	             "--BOUNDARY.1--\n",
	             note, groups) < 0)
		fail_msg("out of memory");
	*len = strlen(s);
	return s;
}

/* One per-recipient group. */
static char *
group(const char *addr, const char *action, const char *status,
      const char *diag)
{
	char *s;

	if (asprintf(&s,
	             "Final-Recipient: rfc822; %s\n"
	             "Action: %s\n"
	             "Status: %s\n"
	             "Remote-MTA: dns; mx.example.net\n"
	             "Diagnostic-Code: %s\n"
	             "\n",
	             addr, action, status, diag) < 0)
		fail_msg("out of memory");
	return s;
}

/* ---- parsing -------------------------------------------------------- */

static void
test_parse_postfix(void **state)
{
	struct dsn d;
	char why[160], *msg;
	size_t len;
	int nfail = 0;
	const char *c = "postfix-two-recipients";

	(void)state;
	msg = slurp(SAMPLES "postfix-two-recipients.eml", &len);
	assert_int_equal(dsn_parse(msg, len, &d, why, sizeof(why)),
	                 DSN_PARSE_OK);
	EXPECT(nfail, c, strcmp(d.reporting_mta, "mta.example.org") == 0,
	       "reporting_mta '%s'", d.reporting_mta);
	EXPECT(nfail, c, strcmp(d.queue_id, "1BC7520C0F") == 0, "queue_id '%s'",
	       d.queue_id);
	EXPECT(nfail, c,
	       strcmp(d.arrival_date,
	              "Fri, 13 Feb 2015 02:45:58 +0000 (UTC)") == 0,
	       "arrival_date '%s'", d.arrival_date);
	EXPECT(nfail, c, d.nrcpt == 2 && d.nfailed == 2 && d.ndelayed == 0,
	       "nrcpt %zu nfailed %zu ndelayed %zu", d.nrcpt, d.nfailed,
	       d.ndelayed);
	EXPECT(nfail, c,
	       strcmp(d.rcpt[0].final_rcpt, "kijitora@example.net") == 0 &&
	           strcmp(d.rcpt[1].final_rcpt, "noraneko@example.net") == 0,
	       "final_rcpt '%s', '%s'", d.rcpt[0].final_rcpt,
	       d.rcpt[1].final_rcpt);
	EXPECT(nfail, c,
	       strcmp(d.rcpt[0].original_rcpt, "kijitora@example.net") == 0,
	       "original_rcpt '%s'", d.rcpt[0].original_rcpt);
	EXPECT(nfail, c, strcmp(d.rcpt[0].action, "failed") == 0, "action '%s'",
	       d.rcpt[0].action);
	EXPECT(nfail, c, strcmp(d.rcpt[0].status, "5.1.8") == 0, "status '%s'",
	       d.rcpt[0].status);
	EXPECT(nfail, c, strcmp(d.rcpt[0].remote_mta, "mx.example.net") == 0,
	       "remote_mta '%s'", d.rcpt[0].remote_mta);
	EXPECT(nfail, c, strcmp(d.rcpt[0].diag_type, "smtp") == 0,
	       "diag_type '%s'", d.rcpt[0].diag_type);
	/* Folded over two lines: one line, one space at the fold. */
	EXPECT(nfail, c,
	       strcmp(d.rcpt[0].diag,
	              "553 5.1.8 <root@mta.example.org>... Domain of sender "
	              "address root@mta.example.org does not exist") == 0,
	       "diag '%s'", d.rcpt[0].diag);
	EXPECT(nfail, c, d.rcpt[0].will_retry_until[0] == '\0',
	       "will_retry_until '%s'", d.rcpt[0].will_retry_until);
	EXPECT(nfail, c, d.plain && strcmp(d.eol, "\n") == 0, "plain/eol");
	EXPECT(nfail, c,
	       d.notification != NULL &&
	           STARTS(d.notification, "This is the mail system at host "
	                                  "mta.example.org.\n"),
	       "notification '%.60s'",
	       d.notification ? d.notification : "(null)");
	/* The first part: from its first header to before its line end. */
	EXPECT(nfail, c,
	       d.part_start < d.part_end && d.part_end < len &&
	           STARTS(msg + d.part_start,
	                  "Content-Description: Notification\n") &&
	           STARTS(msg + d.part_end,
	                  "\n--1BC7520C0F.1423795558/mta.example.org\n") &&
	           STARTS(msg + d.part_end - 9, "command)\n"),
	       "part [%zu, %zu)", d.part_start, d.part_end);
	EXPECT(nfail, c,
	       STARTS(msg + d.body_off, "This is a MIME-encapsulated") &&
	           STARTS(msg + d.headers_end, "\n"),
	       "body_off %zu headers_end %zu", d.body_off, d.headers_end);
	dsn_clear(&d);
	g_free(msg);
	EXPECT_DONE(nfail);
}

/* Fields of other generators: what each sample shows first. */
static void
test_parse_samples(void **state)
{
	static const struct {
		const char *file;
		size_t nrcpt, nfailed, ndelayed, i;
		const char *final_rcpt, *action, *status, *diag, *retry, *eol;
	} cases[] = {
	    /* A Final-Recipient folded after its type. */
	    {"exchange2010-folded-final-recipient.eml", 1, 1, 0, 0,
	     "email_that_does_not_exists_this_is_just_a_test@example.net",
	     "failed", "5.1.1", NULL, "", "\r\n"},
	    /* A comment after the Status; a folded Diagnostic-Code. */
	    {"rfc3464-multi-recipient-mixed.eml", 3, 2, 1, 0,
	     "alice@vnet.example.com", "failed", "5.0.0",
	     "550 'alice@vnet.EXAMPLE.COM' is not a registered gateway user",
	     "", "\n"},
	    {"rfc3464-multi-recipient-mixed.eml", 3, 2, 1, 1,
	     "bob@hpnjld.example.net", "delayed", "4.0.0", "", "", "\n"},
	    {"rfc3464-multi-recipient-mixed.eml", 3, 2, 1, 2,
	     "carol@sdcc13.example.org", "failed", "5.0.0", "550 user unknown",
	     "", "\n"},
	    /* Will-Retry-Until, a folded diagnostic with a trailing blank. */
	    {"gmail-delayed.eml", 1, 0, 1, 0, "sotoneko@nora.example.net",
	     "delayed", "4.4.1",
	     "The recipient server did not accept our requests to connect. "
	     "Learn more at https://support.google.com/mail/answer/7720 "
	     "[nora.example.net 192.0.2.222: timed out]",
	     "Wed, 03 May 2017 04:41:00 -0700 (PDT)", "\n"},
	    {"outlook-com-delayed-utf7.eml", 1, 0, 1, 0, "kijitora@example.com",
	     "delayed", "4.4.7", NULL, "Fri, 30 Jan 2015 21:28:58 -0800", "\n"},
	    {"zimbra-postfix-five-recipients.eml", 5, 5, 0, 4,
	     "qfvhgsvhgsduiohncdhcvhsdfvsfygusd@example.net", "failed", "5.1.1",
	     NULL, "", "\r\n"},
	    {"sendmail-delay-warning.eml", 1, 0, 1, 0,
	     "recipient@dest.example.net", "delayed", "4.2.2",
	     "452 4.2.2 <recipient@dest.example.net>... Mailbox full", "",
	     "\r\n"},
	    /* Action: failed with a 4.x.x Status, as Gmail sends it. */
	    {"gmail-failed.eml", 1, 1, 0, 0, "nekonyaan@gmal.example.net",
	     "failed", "4.0.0", NULL, "", "\n"},
	};
	size_t i, len;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256], why[160], *msg;
		const char *c = cases[i].file;
		const struct dsn_rcpt *r;
		struct dsn d;
		int pr;

		snprintf(path, sizeof(path), SAMPLES "%s", c);
		msg = slurp(path, &len);
		pr = dsn_parse(msg, len, &d, why, sizeof(why));
		EXPECT(nfail, c, pr == DSN_PARSE_OK, "parse: %d (%s)", pr, why);
		if (pr != DSN_PARSE_OK) {
			g_free(msg);
			continue;
		}
		r = &d.rcpt[cases[i].i];
		EXPECT(nfail, c,
		       d.nrcpt == cases[i].nrcpt &&
		           d.nfailed == cases[i].nfailed &&
		           d.ndelayed == cases[i].ndelayed,
		       "nrcpt %zu nfailed %zu ndelayed %zu", d.nrcpt, d.nfailed,
		       d.ndelayed);
		EXPECT(nfail, c,
		       strcmp(r->final_rcpt, cases[i].final_rcpt) == 0,
		       "rcpt %zu: final_rcpt '%s'", cases[i].i, r->final_rcpt);
		EXPECT(nfail, c, strcmp(r->action, cases[i].action) == 0,
		       "rcpt %zu: action '%s'", cases[i].i, r->action);
		EXPECT(nfail, c, strcmp(r->status, cases[i].status) == 0,
		       "rcpt %zu: status '%s'", cases[i].i, r->status);
		EXPECT(nfail, c,
		       cases[i].diag == NULL ||
		           strcmp(r->diag, cases[i].diag) == 0,
		       "rcpt %zu: diag '%s'", cases[i].i, r->diag);
		EXPECT(nfail, c,
		       strcmp(r->will_retry_until, cases[i].retry) == 0,
		       "rcpt %zu: will_retry_until '%s'", cases[i].i,
		       r->will_retry_until);
		EXPECT(nfail, c, strcmp(d.eol, cases[i].eol) == 0, "eol '%s'",
		       strcmp(d.eol, "\n") == 0 ? "LF" : "CRLF");
		dsn_clear(&d);
		g_free(msg);
	}
	EXPECT_DONE(nfail);
}

/*
 * Every sample as MANIFEST.tsv says: a DSN is annotated with its failed
 * and delayed recipients in order (address, action, status), every byte
 * outside its first part kept; a look-alike is not a DSN.
 */
static void
test_manifest(void **state)
{
	char *tsv, *line, *save = NULL;
	size_t len;
	int nfail = 0, rows = 0;

	(void)state;
	tsv = slurp(SAMPLES "MANIFEST.tsv", &len);
	for (line = strtok_r(tsv, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char **f = g_strsplit(line, "\t", -1), **rc;
		char path[256], *msg;
		size_t mlen, i, k, head, tail;
		struct ann a;
		bool dsn;

		if (g_strv_length(f) < 5 || strcmp(f[0], "file") == 0) {
			g_strfreev(f);
			continue;
		}
		rows++;
		dsn = strncmp(f[2], "dsn-", 4) == 0;
		snprintf(path, sizeof(path), SAMPLES "%s", f[0]);
		msg = slurp(path, &mlen);
		annotate(msg, mlen, "en", &a);
		EXPECT(nfail, f[0],
		       a.outcome == (dsn ? DSN_ANNOTATED : DSN_NOT_DSN),
		       "outcome %d (%s), kind %s", a.outcome, a.res.why, f[2]);
		if (a.outcome != DSN_ANNOTATED) {
			EXPECT(nfail, f[0], a.res.body == NULL,
			       "a body to emit when not annotated");
			goto next;
		}
		rc = g_strsplit(f[3], ";", -1);
		for (i = k = 0; rc[i] != NULL; i++) {
			char addr[DSN_ADDR_MAX], act[32], st[32];
			const struct dsn_rcpt *r = &a.res.d->rcpt[k];

			if (sscanf(rc[i], "%319[^=]=%31[^/]/%31s", addr, act,
			           st) != 3 ||
			    (strcmp(act, "failed") != 0 &&
			     strcmp(act, "delayed") != 0))
				continue;
			EXPECT(nfail, f[0],
			       k < a.res.d->nrcpt &&
			           strcmp(r->final_rcpt, addr) == 0 &&
			           strcmp(r->action, act) == 0 &&
			           strcmp(r->status, st) == 0,
			       "recipient %zu: '%s' %s %s, want %s", k,
			       r->final_rcpt, r->action, r->status, rc[i]);
			/* Its block in the text starts with its address. */
			EXPECT(nfail, f[0],
			       a.text != NULL &&
			           (strncmp(a.text, addr, strlen(addr)) == 0 ||
			            strstr(a.text, addr) != NULL),
			       "no block for %s", addr);
			k++;
		}
		EXPECT(nfail, f[0], k == a.res.d->nrcpt,
		       "%zu recipients explained, the manifest has %zu",
		       a.res.d->nrcpt, k);
		g_strfreev(rc);
		/* Every byte outside [part_start, part_end) as it came. */
		head = a.res.d->part_start - a.res.d->body_off;
		tail = mlen - a.res.d->part_end;
		EXPECT(nfail, f[0],
		       a.res.len > head + tail &&
		           memcmp(a.res.body, msg + a.res.d->body_off, head) ==
		               0 &&
		           memcmp(a.res.body + a.res.len - tail,
		                  msg + a.res.d->part_end, tail) == 0,
		       "bytes outside the first part changed");
		EXPECT(nfail, f[0], a.text != NULL && a.html != NULL,
		       "no text and HTML alternatives");
	next:
		ann_free(&a);
		g_free(msg);
		g_strfreev(f);
	}
	EXPECT(nfail, "manifest", rows >= 26, "%d rows", rows);
	g_free(tsv);
	EXPECT_DONE(nfail);
}

/* ---- explanation ------------------------------------------------------ */

static void
test_explain_picks(void **state)
{
	static const struct {
		const char *name, *status, *diag_type, *diag;
		const char *cause; /* NULL: none */
		const char *entry; /* the entry's code */
		const char *code;  /* x.code */
		enum who who;
	} cases[] = {
	    /* The cause, from the diagnostic text. */
	    {"cause from the text", "5.1.1", "smtp",
	     "550 5.1.1 <bob@example.net>: Recipient address rejected: User "
	     "unknown in virtual mailbox table",
	     "unknown-user", "X.1.1", "5.1.1", WHO_SENDER},
	    {"cause from the text (blocklist)", "5.7.1", "smtp",
	     "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	     "using zen.spamhaus.org",
	     "dnsbl-listed", "X.7.1", "5.7.1", WHO_SENDER_ADMIN},
	    /* Who: the cause's, not the entry's (X.7.1: sender-admin). */
	    {"who from the cause (greylisted)", "4.7.1", "smtp",
	     "451 4.7.1 Greylisted, please try again in 300 seconds",
	     "greylisted", "X.7.1", "4.7.1", WHO_NOBODY},
	    {"who from the cause (relay)", "5.7.1", "smtp",
	     "554 5.7.1 <bob@example.net>: Relay access denied", "relay-denied",
	     "X.7.1", "5.7.1", WHO_SENDER},
	    /* Not an SMTP reply: the Status's class and the text. */
	    {"cause from a non-SMTP diagnostic", "5.1.1", "X-Postfix",
	     "unknown user: \"bob\"", "unknown-user", "X.1.1", "5.1.1",
	     WHO_SENDER},
	    {"delayed, mailbox full", "4.2.2", "smtp",
	     "452 4.2.2 <bob@example.net>... Mailbox full", "mailbox-full",
	     "X.2.2", "4.2.2", WHO_RECIPIENT},
	    /* No cause in the text: the Status code's entry. */
	    {"status entry", "5.2.0", "smtp", "550 5.2.0 zzz qqq", NULL,
	     "X.2.0", "5.2.0", WHO_RECIPIENT_ADMIN},
	    {"status entry, no diagnostic", "4.4.7", "", "", NULL, "X.4.7",
	     "4.4.7", WHO_RECIPIENT_ADMIN},
	    /* The Status wins over the reply's own enhanced code. */
	    {"status over the reply's code", "5.2.0", "smtp",
	     "550 5.0.0 zzz qqq", NULL, "X.2.0", "5.2.0", WHO_RECIPIENT_ADMIN},
	    /* An unknown detail: its subject's entry. */
	    {"subject entry", "5.2.99", "smtp", "550 zzz qqq", NULL, "X.2.0",
	     "5.2.99", WHO_RECIPIENT_ADMIN},
	    /* No Status: the reply's basic code. */
	    {"basic code", "", "smtp", "554 zzz qqq", NULL, "554", "",
	     WHO_SENDER_ADMIN},
	    {"basic code, bad status", "abc", "smtp", "552 zzz qqq", NULL,
	     "552", "", WHO_RECIPIENT},
	};
	struct dsn_explain_env env = {cfg->table, &cfg->site, NULL, NULL};
	size_t i;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *c = cases[i].name;
		struct dsn_rcpt r;
		struct dsn_expl x;
		int rc;

		memset(&r, 0, sizeof(r));
		strcpy(r.final_rcpt, "bob@example.net");
		strcpy(r.action,
		       cases[i].status[0] == '4' ? "delayed" : "failed");
		strcpy(r.status, cases[i].status);
		strcpy(r.diag_type, cases[i].diag_type);
		strcpy(r.diag, cases[i].diag);
		rc = dsn_explain(&r, &env, &x);
		EXPECT(nfail, c, rc == 0, "dsn_explain: %d", rc);
		if (rc != 0)
			continue;
		EXPECT(nfail, c, x.entry != NULL, "no entry");
		if (x.entry == NULL)
			continue;
		EXPECT(nfail, c,
		       cases[i].cause == NULL
		           ? x.cause == NULL
		           : x.cause != NULL &&
		                 strcmp(x.cause->name, cases[i].cause) == 0,
		       "cause %s, want %s", x.cause ? x.cause->name : "none",
		       cases[i].cause ? cases[i].cause : "none");
		EXPECT(nfail, c, strcmp(x.entry->code, cases[i].entry) == 0,
		       "entry %s, want %s", x.entry->code, cases[i].entry);
		EXPECT(nfail, c, strcmp(x.code, cases[i].code) == 0,
		       "code '%s', want '%s'", x.code, cases[i].code);
		EXPECT(nfail, c, x.who == cases[i].who, "who %d, want %d",
		       x.who, cases[i].who);
		/* Title and texts: the cause's, else the entry's. */
		if (x.cause != NULL) {
			EXPECT(nfail, c, x.title == x.cause->title,
			       "title not the cause's");
			EXPECT(nfail, c,
			       x.explanation[0] != '\0' && x.fix[0] != '\0',
			       "empty explanation or fix");
		} else {
			EXPECT(nfail, c, x.title == x.entry->name,
			       "title not the entry's");
			EXPECT(nfail, c,
			       strcmp(x.explanation, x.entry->description) ==
			               0 &&
			           strcmp(x.fix, x.entry->fix) == 0,
			       "explanation/fix not the entry's");
		}
		EXPECT(nfail, c, x.help[0] == '\0',
		       "help '%s' without help_url", x.help);
	}
	EXPECT_DONE(nfail);
}

/* The help link, from the template, with the cause's page. */
static void
test_explain_help(void **state)
{
	struct dsn_explain_env env = {cfg->table, &cfg->site,
	                              "https://help.example.org/${page}?"
	                              "c=${code}&e=${ecode}&q=${queue_id}",
	                              "4ABC123"};
	struct dsn_rcpt r;
	struct dsn_expl x;

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.status, "5.1.1");
	strcpy(r.action, "failed");
	strcpy(r.diag_type, "smtp");
	strcpy(r.diag, "550 5.1.1 User unknown");
	assert_int_equal(dsn_explain(&r, &env, &x), 0);
	assert_string_equal(x.help,
	                    "https://help.example.org/cause/"
	                    "unknown-user.html?c=550&e=5.1.1&q=4ABC123");
}

/* ---- text and HTML ---------------------------------------------------- */

/* The opening says how many failed and how many are delayed. */
static void
test_opening_counts(void **state)
{
	static const struct {
		const char *file, *text, *h1;
	} cases[] = {
	    {"exim.eml",
	     "Your message could not be delivered to 1 recipient.\n\n",
	     "<h1 style=\"font-size:22px;line-height:1.3;margin:8px 0 16px "
	     "0\">Your message could not be delivered to 1 recipient.</h1>"},
	    {"postfix-two-recipients.eml",
	     "Your message could not be delivered to 2 recipients.\n\n",
	     ">Your message could not be delivered to 2 recipients.</h1>"},
	    {"zimbra-postfix-five-recipients.eml",
	     "Your message could not be delivered to 5 recipients.\n\n",
	     ">Your message could not be delivered to 5 recipients.</h1>"},
	    {"sendmail-delay-warning.eml",
	     "Your message has not yet been delivered to 1 recipient; the "
	     "mail system keeps\ntrying.\n\n",
	     ">Your message has not yet been delivered to 1 recipient; the "
	     "mail system keeps trying.</h1>"},
	    /* Two failed and one delayed: both sentences. */
	    {"rfc3464-multi-recipient-mixed.eml",
	     "Your message could not be delivered to 2 recipients.\n"
	     "Your message has not yet been delivered to 1 recipient; the "
	     "mail system keeps\ntrying.\n\n",
	     ">Your message could not be delivered to 2 recipients.<br>\n"
	     "Your message has not yet been delivered to 1 recipient; the "
	     "mail system keeps trying.</h1>"},
	};
	size_t i;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ann a;

		annotate_file(cases[i].file, "en", &a);
		EXPECT(nfail, cases[i].file,
		       a.text != NULL && strncmp(a.text, cases[i].text,
		                                 strlen(cases[i].text)) == 0,
		       "text starts '%.140s'", a.text ? a.text : "(null)");
		EXPECT(nfail, cases[i].file,
		       a.html != NULL && strstr(a.html, cases[i].h1) != NULL,
		       "no '%s' in the HTML", cases[i].h1);
		ann_free(&a);
	}
	EXPECT_DONE(nfail);
}

/* N recipients in the opening, and for each beyond DSN_RCPT_MAX none. */
static void
test_many_recipients(void **state)
{
	GString *groups = g_string_new(NULL);
	struct ann a;
	char *msg, addr[64];
	size_t len, i;
	int nfail = 0;
	const char *c = "70 failed, 10 delayed";

	(void)state;
	for (i = 0; i < 80; i++) {
		char *g;

		snprintf(addr, sizeof(addr), "user%02zu@example.net", i);
		g = i < 70 ? group(addr, "failed", "5.1.1",
		                   "smtp; 550 5.1.1 User unknown")
		           : group(addr, "delayed", "4.4.1",
		                   "smtp; 451 4.4.1 Connection timed out");
		g_string_append(groups, g);
		free(g);
	}
	msg = make_dsn(groups->str, "The mail system", &len);
	annotate(msg, len, "en", &a);
	assert_int_equal(a.outcome, DSN_ANNOTATED);
	EXPECT(nfail, c,
	       a.res.d->nrcpt == DSN_RCPT_MAX && a.res.d->nfailed == 70 &&
	           a.res.d->ndelayed == 10,
	       "nrcpt %zu nfailed %zu ndelayed %zu", a.res.d->nrcpt,
	       a.res.d->nfailed, a.res.d->ndelayed);
	EXPECT(nfail, c,
	       STARTS(a.text,
	              "Your message could not be delivered to 70 recipients.\n"
	              "Your message has not yet been delivered to 10 "
	              "recipients; the mail system\nkeeps trying.\n\n"),
	       "text starts '%.160s'", a.text);
	EXPECT(nfail, c, strstr(a.text, "user63@example.net: ") != NULL,
	       "the 64th recipient is not explained");
	EXPECT(nfail, c, strstr(a.text, "user64@example.net") == NULL,
	       "the 65th recipient is explained");
	EXPECT(nfail, c,
	       strstr(a.text, "Recipients not listed here: 16 (see the "
	                      "original notification).") != NULL,
	       "no count of the recipients not listed");
	ann_free(&a);
	free(msg);
	g_string_free(groups, TRUE);
	EXPECT_DONE(nfail);
}

/*
 * The text has the line made from the format and its arguments (in
 * test_languages: line, nfail and c are its own).
 */
#define HAS(hay, ...)                                                          \
	do {                                                                   \
		snprintf(line, sizeof(line), __VA_ARGS__);                     \
		EXPECT(nfail, c, strstr((hay), line) != NULL, "no '%s'",       \
		       line);                                                  \
	} while (0)

/* The labels, in each language, in the text and the HTML. */
static void
test_languages(void **state)
{
	/* As a reader sees them (tests/dsn/check_dsn.py has the same). */
	static const struct {
		const char *lang, *labels[3], *opening;
	} cases[] = {
	    {"en",
	     {"Explanation: ", "Who should act: ", "How to fix: "},
	     "Your message could not be delivered to 2 recipients."},
	    {"ar",
	     {"الشرح: ", "من عليه التصرف: ", "كيفية الإصلاح: "},
	     "تعذّر تسليم رسالتك إلى 2 من المستلمين."},
	    {"ru",
	     {"Объяснение: ", "Кто должен действовать: ", "Как исправить: "},
	     "Ваше сообщение не удалось доставить"},
	    {"zh",
	     {"说明: ", "应由谁处理: ", "如何修复: "},
	     "您的邮件无法投递给 2 位收件人。"},
	};
	size_t i, k;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct lang *L = lang_find(cases[i].lang);
		const char *c = cases[i].lang;
		char line[256];
		struct ann a, d;

		assert_non_null(L);
		annotate_file("postfix-two-recipients.eml", c, &a);
		annotate_file("gmail-delayed.eml", c, &d);
		if (a.text == NULL || d.text == NULL) {
			EXPECT(nfail, c, false, "not annotated: %s %s",
			       a.res.why, d.res.why);
			ann_free(&a);
			ann_free(&d);
			continue;
		}
		for (k = 0; k < 3; k++)
			EXPECT(nfail, c,
			       strstr(a.text, cases[i].labels[k]) != NULL,
			       "no '%s' in the text", cases[i].labels[k]);
		EXPECT(nfail, c,
		       strncmp(a.text, cases[i].opening,
		               strlen(cases[i].opening)) == 0,
		       "opening '%.80s'", a.text);
		/* Every label the text uses, in L. */
		HAS(a.text, "kijitora@example.net: %s (5.1.8)\n",
		    L->t[LT_DSN_BADGE_FAILED]);
		HAS(a.text, "  %s (mx.example.net):\n", L->t[LT_DSN_REPLY]);
		HAS(a.text, "----------\n%s\n\n", L->t[LT_DSN_ORIGINAL]);
		HAS(a.text, "  %s: %s\n", L->t[LT_WHO],
		    lang_who(L, a.res.x[0].who));
		/* A delayed recipient: its badge and how long it is tried. */
		HAS(d.text, "sotoneko@nora.example.net: %s",
		    L->t[LT_DSN_BADGE_DELAYED]);
		HAS(d.text, "  %s: Wed, 03 May 2017 04:41:00 -0700 (PDT)\n",
		    L->t[LT_DSN_RETRY]);
		/* The HTML: its language, its labels. */
		HAS(a.html, "<html lang=\"%s\"", c);
		HAS(a.html, "<strong>%s:</strong>", L->t[LT_EXPLANATION]);
		HAS(a.html, "<title>%s</title>", L->t[LT_DSN_TITLE]);
		ann_free(&a);
		ann_free(&d);
	}
	EXPECT_DONE(nfail);
}

/* Arabic reads right to left; the others left to right. */
static void
test_direction(void **state)
{
	static const char *const langs[] = {"en", "ar", "ru", "zh"};
	size_t i;
	int nfail = 0;

	(void)state;
	for (i = 0; i < 4; i++) {
		bool rtl = strcmp(langs[i], "ar") == 0;
		char tag[64];
		struct ann a;

		annotate_file("exim.eml", langs[i], &a);
		snprintf(tag, sizeof(tag), "<html lang=\"%s\" dir=\"%s\">",
		         langs[i], rtl ? "rtl" : "ltr");
		EXPECT(nfail, langs[i], a.html && strstr(a.html, tag) != NULL,
		       "no '%s'", tag);
		/* The "who" box's bar on the side lines start from. */
		EXPECT(nfail, langs[i],
		       a.html && strstr(a.html, rtl ? "border-right:6px solid"
		                                    : "border-left:6px solid"),
		       "who bar on the wrong side");
		/* Addresses and codes stay left to right inside. */
		EXPECT(nfail, langs[i],
		       a.html && strstr(a.html, "<bdi dir=\"ltr\" "
		                                "style=\"font-weight:600\">"
		                                "kijitora@example.net</bdi>"),
		       "address not isolated left to right");
		ann_free(&a);
	}
	EXPECT_DONE(nfail);
}

/* Lines of ours at most 78 characters, whatever the words are. */
static void
test_width(void **state)
{
	static const char *const langs[] = {"en", "ar", "ru", "zh"};
	GString *url = g_string_new("https://www.example.com/");
	GString *zh = g_string_new(NULL), *groups = g_string_new(NULL);
	GString *addr = g_string_new(NULL), *diag = g_string_new(NULL);
	char *g, *msg, *all, buf[512];
	size_t i, len;
	int nfail = 0;

	(void)state;
	for (i = 0; i < 20; i++)
		g_string_append(url, "averylongpathsegment");
	g_string_append(url, "?q=1");
	for (i = 0; i < 12; i++)
		g_string_append(zh, "您的邮件因被认定为垃圾邮件而被拒绝");
	for (i = 0; i < 9; i++)
		g_string_append(addr, "local-part-");
	g_string_append(addr, "@example.net");
	g_string_printf(diag, "smtp; 550 5.7.1 See %s for details", url->str);
	g = group(addr->str, "failed", "5.7.1", diag->str);
	g_string_append(groups, g);
	free(g);
	g_string_printf(diag, "smtp; 550 5.7.1 %s", zh->str);
	g = group("用户@例子.example", "failed", "5.7.1", diag->str);
	g_string_append(groups, g);
	free(g);
	g = group("bob@example.net", "delayed", "4.4.1",
	          "smtp; 451 4.4.1 "
	          "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c");
	g_string_append(groups, g);
	free(g);
	/* The notification as it came: its long line is not ours. */
	msg = make_dsn(groups->str,
	               "A line of the original notification that is longer "
	               "than seventy-eight characters, kept as it is.",
	               &len);
	for (i = 0; i < 4; i++) {
		struct ann a;

		annotate(msg, len, langs[i], &a);
		EXPECT(nfail, langs[i], a.outcome == DSN_ANNOTATED,
		       "not annotated: %s", a.res.why);
		if (a.text == NULL) {
			ann_free(&a);
			continue;
		}
		EXPECT(nfail, langs[i],
		       long_line(a.text, a.res.d->notification, buf,
		                 sizeof(buf)) == NULL,
		       "a line of %ld characters: '%s'", g_utf8_strlen(buf, -1),
		       buf);
		/* Cut, not lost: the words read back whole. */
		all = joined(a.text);
		EXPECT(nfail, langs[i], strstr(all, url->str) != NULL,
		       "the URL is not whole");
		EXPECT(nfail, langs[i], strstr(all, zh->str) != NULL,
		       "the Chinese text is not whole");
		EXPECT(nfail, langs[i], strstr(all, addr->str) != NULL,
		       "the long address is not whole");
		EXPECT(nfail, langs[i],
		       strstr(a.text, "longer than seventy-eight characters, "
		                      "kept as it is.\n") != NULL,
		       "the original notification was rewrapped");
		g_free(all);
		ann_free(&a);
	}
	free(msg);
	g_string_free(url, TRUE);
	g_string_free(zh, TRUE);
	g_string_free(groups, TRUE);
	g_string_free(addr, TRUE);
	g_string_free(diag, TRUE);
	/* And on every sample, in every language. */
	{
		GDir *dir = g_dir_open(SAMPLES, 0, NULL);
		const char *name;

		assert_non_null(dir);
		while ((name = g_dir_read_name(dir)) != NULL) {
			if (!g_str_has_suffix(name, ".eml"))
				continue;
			for (i = 0; i < 4; i++) {
				struct ann a;

				annotate_file(name, langs[i], &a);
				EXPECT(nfail, name,
				       a.text == NULL ||
				           long_line(a.text,
				                     a.res.d->notification, buf,
				                     sizeof(buf)) == NULL,
				       "%s: '%s'", langs[i], buf);
				ann_free(&a);
			}
		}
		g_dir_close(dir);
	}
	EXPECT_DONE(nfail);
}

/* What a report says reaches the HTML as text, never as markup. */
static void
test_html_escaping(void **state)
{
	char *g1, *g2, *groups, *msg;
	size_t len;
	struct ann a;
	int nfail = 0;
	const char *c = "hostile";

	(void)state;
	g1 = group("<script>alert(1)</script>@example.net", "failed", "5.7.1",
	           "smtp; 550 5.7.1 <script>alert(\"x\")</script> 'single' & "
	           "\"double\" <img src=x onerror=alert(2)>");
	g2 = group("bob@example.net", "failed", "5.1.1",
	           "smtp; 550 5.1.1 </pre><a href=\"https://evil.example/\">"
	           "click</a>");
	if (asprintf(&groups, "%s%s", g1, g2) < 0)
		fail_msg("out of memory");
	msg = make_dsn(groups, "<script>alert(3)</script> \"'&", &len);
	annotate(msg, len, "en", &a);
	assert_int_equal(a.outcome, DSN_ANNOTATED);
	assert_non_null(a.html);
	EXPECT(nfail, c,
	       strstr(a.html, "<script") == NULL &&
	           strstr(a.html, "<img") == NULL &&
	           strstr(a.html, "evil.example/\">") == NULL,
	       "markup from the report in the HTML");
	EXPECT(nfail, c,
	       strstr(a.html, "&lt;script&gt;alert(1)&lt;/script&gt;"
	                      "@example.net") != NULL,
	       "address not escaped");
	EXPECT(nfail, c,
	       strstr(a.html,
	              "550 5.7.1 &lt;script&gt;alert(&quot;x&quot;)&lt;/"
	              "script&gt; &#39;single&#39; &amp; &quot;double&quot; "
	              "&lt;img src=x onerror=alert(2)&gt;") != NULL,
	       "diagnostic not escaped");
	EXPECT(nfail, c,
	       strstr(a.html, "&lt;/pre&gt;&lt;a href=&quot;https://"
	                      "evil.example/&quot;&gt;click&lt;/a&gt;") != NULL,
	       "closing tag in the diagnostic not escaped");
	EXPECT(nfail, c,
	       strstr(a.html, "&lt;script&gt;alert(3)&lt;/script&gt; "
	                      "&quot;&#39;&amp;") != NULL,
	       "notification not escaped");
	/* The text part keeps them as they came. */
	EXPECT(nfail, c,
	       a.text != NULL &&
	           strstr(a.text, "<script>alert(\"x\")</script>") != NULL,
	       "text part changed the diagnostic");
	ann_free(&a);
	free(msg);
	free(groups);
	free(g1);
	free(g2);
	EXPECT_DONE(nfail);
}

/* ---- left alone ------------------------------------------------------- */

static void
test_not_dsn(void **state)
{
	static const char *const files[] = {
	    "not-dsn-arf-dmarc-auth-failure.eml",
	    "not-dsn-multipart-mixed.eml",
	    "not-dsn-postfix-verify-deliverable.eml",
	    "not-dsn-qmail-classic.eml",
	    "not-dsn-sendmail-relayed.eml",
	    "opensmtpd-multipart-mixed.eml",
	};
	char *msg, *marked, *g, *groups;
	size_t i, len;
	struct ann a;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		annotate_file(files[i], "en", &a);
		EXPECT(nfail, files[i],
		       a.outcome == DSN_NOT_DSN && a.res.body == NULL,
		       "outcome %d (%s)", a.outcome, a.res.why);
		ann_free(&a);
	}
	/* Marked: annotated before, by us or by another server. */
	msg = slurp(SAMPLES "postfix-two-recipients.eml", &len);
	if (asprintf(&marked, "X-Annotated-By: milter-annotate 0.0.9\n%s",
	             msg) < 0)
		fail_msg("out of memory");
	annotate(marked, strlen(marked), "en", &a);
	EXPECT(nfail, "marked", a.outcome == DSN_NOT_DSN && a.res.body == NULL,
	       "outcome %d (%s)", a.outcome, a.res.why);
	ann_free(&a);
	free(marked);
	/* The same unmarked is annotated: the mark made the difference. */
	annotate(msg, len, "en", &a);
	EXPECT(nfail, "unmarked", a.outcome == DSN_ANNOTATED, "outcome %d (%s)",
	       a.outcome, a.res.why);
	ann_free(&a);
	g_free(msg);
	/* A report-type on another type of multipart: not a report. */
	{
		GString *mixed;

		msg = slurp(SAMPLES "postfix-two-recipients.eml", &len);
		mixed = g_string_new(msg);
		g_string_replace(mixed, "multipart/report", "multipart/mixed",
		                 1);
		annotate(mixed->str, mixed->len, "en", &a);
		EXPECT(nfail, "multipart/mixed; report-type=delivery-status",
		       a.outcome == DSN_NOT_DSN && a.res.body == NULL,
		       "outcome %d (%s)", a.outcome, a.res.why);
		ann_free(&a);
		g_string_free(mixed, TRUE);
		g_free(msg);
	}
	/* Only delivered (and relayed, expanded) recipients: a success. */
	g = group("bob@example.net", "delivered", "2.0.0",
	          "smtp; 250 2.0.0 Ok");
	if (asprintf(&groups, "%s%s", g,
	             "Final-Recipient: rfc822; c@example.net\n"
	             "Action: relayed\nStatus: 2.0.0\n\n"
	             "Final-Recipient: rfc822; d@example.net\n"
	             "Action: expanded\nStatus: 2.0.0\n\n") < 0)
		fail_msg("out of memory");
	msg = make_dsn(groups, "Delivered.", &len);
	annotate(msg, len, "en", &a);
	EXPECT(nfail, "delivered only",
	       a.outcome == DSN_NOT_DSN && a.res.body == NULL,
	       "outcome %d (%s)", a.outcome, a.res.why);
	ann_free(&a);
	free(msg);
	free(groups);
	free(g);
	EXPECT_DONE(nfail);
}

/* ---- hostile reports (found by fuzz_dsn; seeds in its corpus) -------- */

#define HOSTILE "tests/fuzz/corpus/dsn/"

/* The number of top-level parts GMime reads in msg; -1 if no multipart. */
static int
top_parts(const char *msg, size_t len)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
	GMimeObject *top = m != NULL ? g_mime_message_get_mime_part(m) : NULL;
	int n = top != NULL && GMIME_IS_MULTIPART(top)
	            ? g_mime_multipart_get_count((GMimeMultipart *)top)
	            : -1;

	if (m != NULL)
		g_object_unref(m);
	g_object_unref(p);
	g_object_unref(s);
	return n;
}

/* name annotated: its rewritten whole has as many top-level parts. */
static void
expect_same_parts(int *nfail, const char *name)
{
	struct ann a;
	char *msg, *whole;
	size_t len, wlen;

	msg = slurp(name, &len);
	annotate(msg, len, "en", &a);
	EXPECT(*nfail, name, a.outcome == DSN_ANNOTATED, "outcome %d (%s)",
	       a.outcome, a.res.why);
	if (a.outcome == DSN_ANNOTATED) {
		wlen = a.res.d->body_off + a.res.len;
		whole = malloc(wlen);
		assert_non_null(whole);
		memcpy(whole, msg, a.res.d->body_off);
		memcpy(whole + a.res.d->body_off, a.res.body, a.res.len);
		EXPECT(*nfail, name,
		       top_parts(whole, wlen) == top_parts(msg, len),
		       "%d top-level parts after, %d before",
		       top_parts(whole, wlen), top_parts(msg, len));
		EXPECT(*nfail, name,
		       a.text != NULL && strstr(a.text, "Explanation:") != NULL,
		       "no explanation in the text part");
		free(whole);
	}
	ann_free(&a);
	g_free(msg);
}

static void
test_hostile(void **state)
{
	static const char *const split[] = {
	    HOSTILE "crafted-lf-base64-decodes-to-delimiter",
	    HOSTILE "crafted-lf-qp-decodes-to-delimiter",
	    HOSTILE "crafted-crlf-qp-decodes-to-delimiter",
	};
	static const char *const uncut[] = {
	    HOSTILE "crafted-lf-boundary-repeated-nested",
	    HOSTILE "crafted-lf-many-top-parts",
	};
	static const char *const empty[] = {
	    HOSTILE "crafted-lf-status-empty",
	    HOSTILE "crafted-crlf-status-empty",
	};
	struct ann a;
	char *msg;
	size_t i, len;
	int nfail = 0;

	(void)state;
	/* A notification that decodes to the report's delimiter: ours is
	 * written so that it cannot end the report early. */
	for (i = 0; i < sizeof(split) / sizeof(split[0]); i++)
		expect_same_parts(&nfail, split[i]);
	/* Parts that cannot be cut exactly: unchanged, saying why, and no
	 * body left behind. */
	for (i = 0; i < sizeof(uncut) / sizeof(uncut[0]); i++) {
		msg = slurp(uncut[i], &len);
		annotate(msg, len, "en", &a);
		EXPECT(nfail, uncut[i],
		       a.outcome == DSN_UNCHANGED && a.res.body == NULL &&
		           strstr(a.res.why, "boundaries") != NULL,
		       "outcome %d, body %p, why '%s'", a.outcome,
		       (void *)a.res.body, a.res.why);
		ann_free(&a);
		g_free(msg);
	}
	/* An empty delivery-status part: no recipient, so no report. */
	for (i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		msg = slurp(empty[i], &len);
		annotate(msg, len, "en", &a);
		EXPECT(nfail, empty[i],
		       a.outcome == DSN_NOT_DSN && a.res.body == NULL,
		       "outcome %d (%s)", a.outcome, a.res.why);
		ann_free(&a);
		g_free(msg);
	}
	/* 8-bit bytes that are no UTF-8 in a field: what we write is. */
	msg = slurp(HOSTILE "crafted-diag-invalid-utf8", &len);
	annotate(msg, len, "en", &a);
	EXPECT(nfail, "invalid UTF-8", a.outcome == DSN_ANNOTATED,
	       "outcome %d (%s)", a.outcome, a.res.why);
	EXPECT(nfail, "invalid UTF-8: text",
	       a.text != NULL && g_utf8_validate(a.text, -1, NULL),
	       "the text part is not valid UTF-8");
	EXPECT(nfail, "invalid UTF-8: html",
	       a.html != NULL && g_utf8_validate(a.html, -1, NULL),
	       "the HTML part is not valid UTF-8");
	ann_free(&a);
	g_free(msg);
	EXPECT_DONE(nfail);
}

/* ---- the collector ---------------------------------------------------- */

/*
 * Feed msg to dc as libmilter would: its headers one by one (folded lines
 * joined by LF, the value without the blank after the colon), the end of
 * the headers, the body with CRLF line endings in chunks of chunk bytes.
 */
static size_t fed_headers; /* what dc held at the end of the headers */

static void
feed(struct dsn_collect *dc, const char *from, const char *text, size_t chunk)
{
	char *msg = no_cr(text);
	const char *body = strstr(msg, "\n\n"), *p, *eol;
	GString *name = g_string_new(NULL), *value = g_string_new(NULL);
	GString *crlf = g_string_new(NULL);
	size_t off;

	assert_non_null(body);
	dsn_collect_sender(dc, from);
	for (p = msg; p <= body; p = eol + 1) {
		eol = strchr(p, '\n');
		if (*p == ' ' || *p == '\t') {
			g_string_append_c(value, '\n');
			g_string_append_len(value, p, eol - p);
			continue;
		}
		if (name->len > 0)
			dsn_collect_header(dc, name->str, value->str);
		g_string_truncate(name, 0);
		g_string_truncate(value, 0);
		if (p < body || *p != '\n') {
			const char *colon = memchr(p, ':', (size_t)(eol - p));

			assert_non_null(colon);
			g_string_append_len(name, p, colon - p);
			colon++;
			if (*colon == ' ')
				colon++;
			g_string_append_len(value, colon, eol - colon);
		}
	}
	if (name->len > 0)
		dsn_collect_header(dc, name->str, value->str);
	dsn_collect_eoh(dc);
	fed_headers = dc->len;
	for (p = body + 2; *p != '\0'; p++) {
		if (*p == '\n')
			g_string_append_c(crlf, '\r');
		g_string_append_c(crlf, *p);
	}
	for (off = 0; off < crlf->len; off += chunk)
		dsn_collect_body(dc, crlf->str + off,
		                 crlf->len - off < chunk ? crlf->len - off
		                                         : chunk);
	g_string_free(name, TRUE);
	g_string_free(value, TRUE);
	g_string_free(crlf, TRUE);
	g_free(msg);
}

/* Only reports from the null sender are kept, and annotated. */
static void
test_collect_candidates(void **state)
{
	static const struct {
		const char *name, *from, *file;
		bool marked;
		enum dsn_outcome want;
		bool body; /* whether the body is wanted */
	} cases[] = {
	    {"null sender <>", "<>", "postfix-two-recipients.eml", false,
	     DSN_ANNOTATED, true},
	    {"null sender \"\"", "", "postfix-two-recipients.eml", false,
	     DSN_ANNOTATED, true},
	    {"null sender NULL", NULL, "sendmail-delay-warning.eml", false,
	     DSN_ANNOTATED, true},
	    {"a sender", "<postmaster@example.org>",
	     "postfix-two-recipients.eml", false, DSN_NOT_DSN, false},
	    {"not a report", "<>", "not-dsn-multipart-mixed.eml", false,
	     DSN_NOT_DSN, false},
	    {"ARF from <>", "<>", "not-dsn-arf-dmarc-auth-failure.eml", false,
	     DSN_NOT_DSN, false},
	    {"marked", "<>", "postfix-two-recipients.eml", true, DSN_NOT_DSN,
	     false},
	    /* A report that only says delivered: kept, then not a DSN. */
	    {"success notice", "<>", "not-dsn-postfix-verify-deliverable.eml",
	     false, DSN_NOT_DSN, true},
	};
	struct dsn_collect dc;
	size_t i, len;
	int nfail = 0;

	(void)state;
	dsn_collect_init(&dc, DSN_MAX_SIZE_DEFAULT);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *c = cases[i].name;
		struct dsn_result res;
		char path[256], *msg, *m;
		enum dsn_outcome out;

		snprintf(path, sizeof(path), SAMPLES "%s", cases[i].file);
		msg = slurp(path, &len);
		m = msg;
		if (cases[i].marked &&
		    asprintf(&m, "X-Annotated-By: milter-annotate 0.1.0\n%s",
		             msg) < 0)
			fail_msg("out of memory");
		feed(&dc, cases[i].from, m, 4096);
		EXPECT(nfail, c, dsn_collect_wants_body(&dc) == cases[i].body,
		       "wants body: %d", dsn_collect_wants_body(&dc));
		/* Nothing of the body kept of a message that is no
		 * candidate; nothing at all when the sender is not null. */
		EXPECT(nfail, c, cases[i].body || dc.len == fed_headers,
		       "%zu bytes of body kept of a message that is no "
		       "candidate",
		       dc.len - fed_headers);
		EXPECT(nfail, c,
		       (cases[i].from == NULL || *cases[i].from == '\0' ||
		        strcmp(cases[i].from, "<>") == 0) ||
		           dc.buf == NULL,
		       "%zu bytes kept of a message from a sender", dc.len);
		out = dsn_collect_finish(&dc, cfg, "4ABC123", &res);
		EXPECT(nfail, c, out == cases[i].want && out == res.outcome,
		       "outcome %d (%s)", out, res.why);
		if (out == DSN_ANNOTATED)
			EXPECT(nfail, c,
			       strcmp(res.d->eol, "\r\n") == 0 &&
			           res.d->nrcpt > 0 && res.len > 0,
			       "annotated, but eol/nrcpt/len wrong");
		dsn_result_free(&res);
		dsn_collect_reset(&dc);
		EXPECT(nfail, c, dc.buf == NULL && dc.len == 0,
		       "reset kept %zu bytes", dc.len);
		if (m != msg)
			free(m);
		g_free(msg);
	}
	/* dsn = off: nothing is annotated. */
	{
		struct dsn_result res;
		char *msg = slurp(SAMPLES "postfix-two-recipients.eml", &len);

		cfg->dsn = false;
		feed(&dc, "<>", msg, 4096);
		EXPECT(nfail, "dsn off",
		       dsn_collect_finish(&dc, cfg, NULL, &res) == DSN_NOT_DSN,
		       "annotated with dsn off");
		cfg->dsn = true;
		dsn_result_free(&res);
		dsn_collect_reset(&dc);
		g_free(msg);
	}
	EXPECT_DONE(nfail);
}

/* At most max bytes: one more and the report passes unchanged. */
static void
test_collect_max_size(void **state)
{
	struct dsn_collect dc;
	struct dsn_result res;
	char *msg, *filler;
	size_t len, hdr;
	int nfail = 0;

	(void)state;
	msg = slurp(SAMPLES "postfix-two-recipients.eml", &len);
	/* Smaller than the report (2860 bytes, more with CRLF). */
	dsn_collect_init(&dc, 2048);
	feed(&dc, "<>", msg, 512);
	EXPECT(nfail, "2048", dc.too_big && dc.buf == NULL && dc.len == 0,
	       "too_big %d, %zu bytes kept", dc.too_big, dc.len);
	EXPECT(nfail, "2048", !dsn_collect_wants_body(&dc),
	       "still wants the body");
	EXPECT(nfail, "2048",
	       dsn_collect_finish(&dc, cfg, NULL, &res) == DSN_UNCHANGED &&
	           strstr(res.why, "larger than dsn_max_size") != NULL &&
	           strstr(res.why, "2048") != NULL && res.body == NULL,
	       "outcome %d why '%s'", res.outcome, res.why);
	dsn_result_free(&res);
	dsn_collect_reset(&dc);
	EXPECT(nfail, "reset", dc.max == 2048 && dc.buf == NULL,
	       "reset lost max or kept the buffer");

	/* Exactly max bytes are kept; max + 1 are not. */
	dsn_collect_init(&dc, 8192);
	dsn_collect_sender(&dc, "<>");
	dsn_collect_header(&dc, "Content-Type",
	                   "multipart/report; report-type=delivery-status; "
	                   "boundary=b");
	dsn_collect_eoh(&dc);
	hdr = dc.len;
	filler = malloc(8192);
	assert_non_null(filler);
	memset(filler, 'x', 8192);
	dsn_collect_body(&dc, filler, 8192 - hdr - 1);
	dsn_collect_body(&dc, filler, 1);
	EXPECT(nfail, "exactly max", !dc.too_big && dc.len == 8192,
	       "too_big %d len %zu", dc.too_big, dc.len);
	dsn_collect_body(&dc, filler, 1);
	EXPECT(nfail, "max + 1", dc.too_big && dc.buf == NULL,
	       "too_big %d len %zu", dc.too_big, dc.len);
	EXPECT(nfail, "max + 1",
	       dsn_collect_finish(&dc, cfg, NULL, &res) == DSN_UNCHANGED &&
	           strcmp(res.why, "larger than dsn_max_size (8192 bytes)") ==
	               0,
	       "why '%s'", res.why);
	dsn_result_free(&res);
	dsn_collect_reset(&dc);
	free(filler);
	g_free(msg);
	EXPECT_DONE(nfail);
}

/* Whatever comes, a session holds at most max bytes, and lets them go. */
static void
test_collect_memory_bounded(void **state)
{
	static const size_t maxes[] = {DSN_MAX_SIZE_MIN, 65536, 100000,
	                               DSN_MAX_SIZE_DEFAULT};
	struct dsn_collect dc;
	struct dsn_result res;
	char *chunk;
	size_t i, k, peak;
	int nfail = 0;

	(void)state;
	chunk = malloc(65536);
	assert_non_null(chunk);
	memset(chunk, 'y', 65536);
	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		char c[32];

		snprintf(c, sizeof(c), "max %zu", maxes[i]);
		dsn_collect_init(&dc, maxes[i]);
		dsn_collect_sender(&dc, "<>");
		/* Many headers, then 4 MB of body in odd-sized chunks. */
		dsn_collect_header(&dc, "Content-Type",
		                   "multipart/report; "
		                   "report-type=delivery-status; boundary=b");
		for (k = 0; k < 200; k++)
			dsn_collect_header(
			    &dc, "X-Filler",
			    "a header that takes room\n\tfolded");
		dsn_collect_eoh(&dc);
		peak = dc.cap;
		for (k = 0; k < 4 * 1024 * 1024; k += 4093) {
			dsn_collect_body(&dc, chunk, 4093);
			if (dc.cap > peak)
				peak = dc.cap;
			if (dc.len > dc.cap || dc.cap > dc.max)
				break;
		}
		EXPECT(nfail, c, peak <= maxes[i], "held %zu bytes", peak);
		EXPECT(nfail, c, dc.len <= dc.max && dc.cap <= dc.max,
		       "len %zu cap %zu", dc.len, dc.cap);
		EXPECT(nfail, c, dc.too_big && dc.buf == NULL,
		       "4 MB kept (too_big %d)", dc.too_big);
		EXPECT(nfail, c,
		       dsn_collect_finish(&dc, cfg, NULL, &res) ==
		           DSN_UNCHANGED,
		       "outcome %d", res.outcome);
		dsn_result_free(&res);
		dsn_collect_reset(&dc);
		EXPECT(nfail, c, dc.buf == NULL && dc.len == 0 && dc.cap == 0,
		       "reset kept memory");
	}
	/* Sessions one after another: what each held is given back. */
	{
		struct mallinfo2 before = mallinfo2(), after;
		char *msg =
		    slurp(SAMPLES "zimbra-postfix-five-recipients.eml", &k);

		for (i = 0; i < 260; i++) {
			if (i == 60)
				before = mallinfo2();
			dsn_collect_init(&dc, DSN_MAX_SIZE_DEFAULT);
			feed(&dc, "<>", msg, 1000);
			EXPECT(nfail, "sessions",
			       dsn_collect_finish(&dc, cfg, "4ABC123", &res) ==
			           DSN_ANNOTATED,
			       "outcome %d (%s)", res.outcome, res.why);
			dsn_result_free(&res);
			dsn_collect_reset(&dc);
		}
		after = mallinfo2();
		/* 200 sessions of a 8 KB report: far less than one each. */
		EXPECT(nfail, "sessions",
		       after.uordblks < before.uordblks + 64 * 1024,
		       "the heap grew by %zu bytes over 200 sessions",
		       after.uordblks - before.uordblks);
		g_free(msg);
	}
	/* Not from the null sender: nothing is held at all. */
	dsn_collect_init(&dc, DSN_MAX_SIZE_DEFAULT);
	dsn_collect_sender(&dc, "<bob@example.org>");
	dsn_collect_header(&dc, "Content-Type",
	                   "multipart/report; report-type=delivery-status; "
	                   "boundary=b");
	dsn_collect_eoh(&dc);
	for (k = 0; k < 16; k++)
		dsn_collect_body(&dc, chunk, 65536);
	EXPECT(nfail, "a sender", dc.buf == NULL && dc.cap == 0,
	       "held %zu bytes", dc.cap);
	dsn_collect_reset(&dc);
	free(chunk);
	EXPECT_DONE(nfail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_postfix),
	    cmocka_unit_test(test_parse_samples),
	    cmocka_unit_test(test_manifest),
	    cmocka_unit_test(test_explain_picks),
	    cmocka_unit_test(test_explain_help),
	    cmocka_unit_test(test_opening_counts),
	    cmocka_unit_test(test_many_recipients),
	    cmocka_unit_test(test_languages),
	    cmocka_unit_test(test_direction),
	    cmocka_unit_test(test_width),
	    cmocka_unit_test(test_html_escaping),
	    cmocka_unit_test(test_not_dsn),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_collect_candidates),
	    cmocka_unit_test(test_collect_max_size),
	    cmocka_unit_test(test_collect_memory_bounded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
