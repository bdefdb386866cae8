/*
 * test_reply_parse - reply_parse on real-world reply shapes.
 *
 * Every case gives the bytes as a server sent them (explicit length, so
 * NUL bytes count) and the exact result: code, enhanced code (class digit
 * corrected to the basic code's), whether it was corrected, and the text
 * made printable ASCII, lines joined by '\n'.
 */
#include "unit.h"

#include "core/reply.h"

/* A string literal and its length, NUL bytes included. */
#define IN(s) s, sizeof(s) - 1

struct pcase {
	const char *name;
	const char *in;
	size_t len;
	int rc;
	int code;
	const char *ecode;
	bool corrected;
	const char *text;
};

static const struct pcase cases[] = {
    /* Big providers. */
    {"gmail 550-5.1.1 multi-line",
     IN("550-5.1.1 The email account that you tried to reach does not "
        "exist. Please try\r\n"
        "550-5.1.1 double-checking the recipient's email address for typos "
        "or\r\n"
        "550-5.1.1 unnecessary spaces. For more information, go to\r\n"
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
        "a1si2345678wrb.12 - gsmtp"),
     0, 550, "5.1.1", false,
     "The email account that you tried to reach does not exist. Please "
     "try\n"
     "double-checking the recipient's email address for typos or\n"
     "unnecessary spaces. For more information, go to\n"
     "https://support.google.com/mail/?p=NoSuchUser a1si2345678wrb.12 - "
     "gsmtp"},
    {"gmail 421-4.7.0 rate limit",
     IN("421-4.7.0 [192.0.2.1      15] Our system has detected an unusual "
        "rate of\r\n"
        "421-4.7.0 unsolicited mail originating from your IP address.\r\n"
        "421 4.7.0 "
        "https://support.google.com/mail/?p=UnsolicitedRateLimitError "
        "- gsmtp\r\n"),
     0, 421, "4.7.0", false,
     "[192.0.2.1      15] Our system has detected an unusual rate of\n"
     "unsolicited mail originating from your IP address.\n"
     "https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp"},
    {"gmail 550 5.7.26 DMARC",
     IN("550-5.7.26 Unauthenticated email from example.com is not accepted "
        "due to\r\n"
        "550-5.7.26 domain's DMARC policy. Please contact the administrator "
        "of\r\n"
        "550 5.7.26 example.com domain. - gsmtp"),
     0, 550, "5.7.26", false,
     "Unauthenticated email from example.com is not accepted due to\n"
     "domain's DMARC policy. Please contact the administrator of\n"
     "example.com domain. - gsmtp"},
    {"microsoft 550 5.7.606 banned IP",
     IN("550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To "
        "request removal from this list please visit "
        "https://sender.office.com/ and follow the directions. For more "
        "information please go to  http://go.microsoft.com/fwlink/"
        "?LinkID=526655 AS(1430)"),
     0, 550, "5.7.606", false,
     "Access denied, banned sending IP [192.0.2.1]. To request removal "
     "from this list please visit https://sender.office.com/ and follow "
     "the directions. For more information please go to  "
     "http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)"},
    {"microsoft 550 5.4.1 recipient rejected",
     IN("550 5.4.1 Recipient address rejected: Access denied. "
        "AS(201806281) [DM6NAM12FT035.eop-nam12.prod.protection.outlook.com]"),
     0, 550, "5.4.1", false,
     "Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM12FT035.eop-nam12.prod.protection.outlook.com]"},
    {"yahoo 421 4.7.0 [TSS04]",
     IN("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred "
        "due to unexpected volume or user complaints - 4.16.55.1; see "
        "https://postmaster.yahooinc.com/error-codes"),
     0, 421, "4.7.0", false,
     "[TSS04] Messages from 192.0.2.1 temporarily deferred due to "
     "unexpected volume or user complaints - 4.16.55.1; see "
     "https://postmaster.yahooinc.com/error-codes"},
    {"yahoo 554 5.7.9 policy",
     IN("554 5.7.9 Message not accepted for policy reasons.  See "
        "https://postmaster.yahooinc.com/error-codes"),
     0, 554, "5.7.9", false,
     "Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes"},
    /* Postfix. */
    {"postfix relay access denied", IN("554 5.7.1 <x@y>: Relay access denied"),
     0, 554, "5.7.1", false, "<x@y>: Relay access denied"},
    {"postfix sender domain not found",
     IN("450 4.1.8 <a@b>: Sender address rejected: Domain not found"), 0, 450,
     "4.1.8", false, "<a@b>: Sender address rejected: Domain not found"},
    {"postfix user unknown",
     IN("550 5.1.1 <nobody@example.com>: Recipient address rejected: User "
        "unknown in local recipient table"),
     0, 550, "5.1.1", false,
     "<nobody@example.com>: Recipient address rejected: User unknown in "
     "local recipient table"},
    {"postfix insufficient storage",
     IN("452 4.3.1 Insufficient system storage"), 0, 452, "4.3.1", false,
     "Insufficient system storage"},
    {"postfix rbl",
     IN("554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
        "using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1"),
     0, 554, "5.7.1", false,
     "Service unavailable; Client host [192.0.2.1] blocked using "
     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1"},
    {"postfix helo",
     IN("504 5.5.2 <localhost>: Helo command rejected: need "
        "fully-qualified hostname"),
     0, 504, "5.5.2", false,
     "<localhost>: Helo command rejected: need fully-qualified hostname"},
    {"postgrey",
     IN("450 4.2.0 <a@b>: Recipient address rejected: Greylisted, see "
        "http://postgrey.schweikert.ch/help/example.com.html"),
     0, 450, "4.2.0", false,
     "<a@b>: Recipient address rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/example.com.html"},
    /* Sendmail. */
    {"sendmail domain of sender",
     IN("553 5.1.8 <x@nonexist.example>... Domain of sender address "
        "x@nonexist.example does not exist"),
     0, 553, "5.1.8", false,
     "<x@nonexist.example>... Domain of sender address x@nonexist.example "
     "does not exist"},
    {"sendmail relaying denied",
     IN("550 5.7.1 <a@b>... Relaying denied. Proper authentication "
        "required."),
     0, 550, "5.7.1", false,
     "<a@b>... Relaying denied. Proper authentication required."},
    {"sendmail read error",
     IN("451 4.4.1 reply: read error from mx.example.com."), 0, 451, "4.4.1",
     false, "reply: read error from mx.example.com."},
    /* Exim, qmail, Exchange: no enhanced code. */
    {"exim administrative prohibition", IN("550 Administrative prohibition"), 0,
     550, "", false, "Administrative prohibition"},
    {"exim unrouteable", IN("550 Unrouteable address"), 0, 550, "", false,
     "Unrouteable address"},
    {"exim temporary", IN("451 Temporary local problem - please try later"), 0,
     451, "", false, "Temporary local problem - please try later"},
    {"qmail rcpthosts",
     IN("553 sorry, that domain isn't in my list of allowed rcpthosts "
        "(#5.7.1)"),
     0, 553, "", false,
     "sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)"},
    {"exchange 571", IN("571 Delivery not authorized, message refused"), 0, 571,
     "", false, "Delivery not authorized, message refused"},
    /* Common rejections. */
    {"too many recipients", IN("452 4.5.3 Too many recipients"), 0, 452,
     "4.5.3", false, "Too many recipients"},
    {"421 closing",
     IN("421 4.3.2 Service not available, closing transmission channel"), 0,
     421, "4.3.2", false,
     "Service not available, closing transmission channel"},
    {"greylisting", IN("451 4.7.1 Please try again later"), 0, 451, "4.7.1",
     false, "Please try again later"},
    {"lower case", IN("550 5.1.1 user unknown, mailbox not found"), 0, 550,
     "5.1.1", false, "user unknown, mailbox not found"},
    {"2xx accepted", IN("250 2.0.0 Ok: queued as 4Bf3Xk1Zz9"), 0, 250, "2.0.0",
     false, "Ok: queued as 4Bf3Xk1Zz9"},
    {"3xx intermediate", IN("354 End data with <CR><LF>.<CR><LF>"), 0, 354, "",
     false, "End data with <CR><LF>.<CR><LF>"},
    {"lowest code 200", IN("200 ok"), 0, 200, "", false, "ok"},
    {"highest code 599", IN("599 x"), 0, 599, "", false, "x"},
    /* Spacing and missing parts. */
    {"extra spaces", IN("550   5.1.1   x"), 0, 550, "5.1.1", false, "x"},
    {"code only", IN("550"), 0, 550, "", false, ""},
    {"code and ecode, no text", IN("550 5.1.1"), 0, 550, "5.1.1", false, ""},
    {"code with trailing spaces", IN("550   "), 0, 550, "", false, ""},
    {"code, ecode, trailing spaces", IN("550 5.1.1   "), 0, 550, "5.1.1", false,
     ""},
    {"hyphen then text", IN("421-mx.example.com busy"), 0, 421, "", false,
     "mx.example.com busy"},
    {"tabs", IN("550\t5.1.1\tuser\tunknown"), 0, 550, "5.1.1", false,
     "user unknown"},
    {"trailing CRLF", IN("550 5.1.1 x\r\n"), 0, 550, "5.1.1", false, "x"},
    {"leading blank lines", IN("\r\n\r\n550 5.1.1 x"), 0, 550, "5.1.1", false,
     "x"},
    {"leading bare LFs", IN("\n\n550 x"), 0, 550, "", false, "x"},
    /* Enhanced codes: class corrected, odd shapes. */
    {"class mismatch 550 4.1.1", IN("550 4.1.1 x"), 0, 550, "5.1.1", true, "x"},
    {"class mismatch 450 5.2.2", IN("450 5.2.2 Mailbox full"), 0, 450, "4.2.2",
     true, "Mailbox full"},
    {"class mismatch 250 5.0.0", IN("250 5.0.0 odd"), 0, 250, "2.0.0", true,
     "odd"},
    {"three-digit parts", IN("554 5.999.999 x"), 0, 554, "5.999.999", false,
     "x"},
    {"four-digit detail is text", IN("550 5.1.1000 x"), 0, 550, "", false,
     "5.1.1000 x"},
    {"ecode glued to text", IN("550 5.1.1x"), 0, 550, "", false, "5.1.1x"},
    {"two-part ecode is text", IN("550 5.1 x"), 0, 550, "", false, "5.1 x"},
    {"ecode later in text", IN("550 User 5.1.1 unknown"), 0, 550, "", false,
     "User 5.1.1 unknown"},
    /* Multi-line shapes. */
    {"multi-line CRLF",
     IN("550-5.1.1 first\r\n550-5.1.1 second\r\n550 5.1.1 third"), 0, 550,
     "5.1.1", false, "first\nsecond\nthird"},
    {"multi-line bare LF",
     IN("550-5.1.1 first\n550-5.1.1 second\n550 5.1.1 third"), 0, 550, "5.1.1",
     false, "first\nsecond\nthird"},
    {"multi-line bare CR",
     IN("550-5.1.1 first\r550-5.1.1 second\r550 5.1.1 third"), 0, 550, "5.1.1",
     false, "first\nsecond\nthird"},
    {"multi-line mixed ends",
     IN("451-4.3.0 one\n451-4.3.0 two\r451-4.3.0 three\r\n451 4.3.0 four\r\n"),
     0, 451, "4.3.0", false, "one\ntwo\nthree\nfour"},
    {"continuation lines without code",
     IN("550-5.7.1 first\r\n  second part\r\nthird part"), 0, 550, "5.7.1",
     false, "first\nsecond part\nthird part"},
    {"empty line inside", IN("550-a\r\n\r\n550 b"), 0, 550, "", false, "a\nb"},
    {"injected reply line", IN("550 5.7.1 a\r\n250 ok\r\nb"), 0, 550, "5.7.1",
     false, "a\nok\nb"},
    {"continuation ecode of another class",
     IN("550-5.7.1 first\r\n550-4.7.1 second"), 0, 550, "5.7.1", false,
     "first\nsecond"},
    /* No text and no enhanced code on the first line: the next line's
     * enhanced code is the reply's (found by fuzzing: once sent, it was
     * read as one, of another class). */
    {"ecode on the line after a bare code", IN("550 \r4.1.1 x\r\n"), 0, 550,
     "5.1.1", true, "x"},
    {"ecode on the coded line after a bare code", IN("550-\r\n550 5.2.2 full"),
     0, 550, "5.2.2", false, "full"},
    {"ecode after text stays text", IN("550 x\r\n4.1.1 y"), 0, 550, "", false,
     "x\n4.1.1 y"},
    /* Bytes that are not printable ASCII. */
    {"NUL inside text", IN("550 5.1.1 user\0unknown"), 0, 550, "5.1.1", false,
     "user unknown"},
    {"NUL after code", IN("550\0005.1.1 x"), 0, 550, "5.1.1", false, "x"},
    {"NUL at end", IN("550 5.1.1 x\0\0"), 0, 550, "5.1.1", false, "x"},
    {"controls", IN("550 5.7.1 bad\007bell\033escape\177del"), 0, 550, "5.7.1",
     false, "bad bell escape del"},
    /* A control byte separates as the space it becomes (found by fuzzing:
     * "5.7.1\031" was text, then an enhanced code once sent). */
    {"control ends the ecode", IN("550 5.99.999\031 x"), 0, 550, "5.99.999",
     false, "x"},
    {"control glues ecode to text", IN("550 4.7.1\001Relaying denied"), 0, 550,
     "5.7.1", true, "Relaying denied"},
    {"DEL ends the ecode", IN("451 4.2.0\177x"), 0, 451, "4.2.0", false, "x"},
    {"control after the code",
     IN("550\033"
        "5.1.1 x"),
     0, 550, "5.1.1", false, "x"},
    /* Well-formed UTF-8 is transliterated where ASCII has a form. */
    {"utf-8 Empfaenger", IN("550 5.1.1 Empf\xc3\xa4nger unbekannt"), 0, 550,
     "5.1.1", false, "Empfanger unbekannt"},
    {"utf-8 sharp s, apostrophe",
     IN("550 5.3.4 Nachricht zu gro\xc3\x9f, doesn\xe2\x80\x99t fit"), 0, 550,
     "5.3.4", false, "Nachricht zu gross, doesn't fit"},
    {"utf-8 cyrillic",
     IN("550 5.1.1 \xd0\x90\xd0\xb4\xd1\x80\xd0\xb5\xd1\x81 \xd0\xbd\xd0\xb5 "
        "\xd0\xbd\xd0\xb0\xd0\xb9\xd0\xb4\xd0\xb5\xd0\xbd"),
     0, 550, "5.1.1", false, "????? ?? ??????"},
    {"utf-8 3 and 4 bytes", IN("550 5.7.1 \xe2\x82\xac 5 \xf0\x9f\x9a\xab now"),
     0, 550, "5.7.1", false, "EUR 5 ? now"},
    /*
     * What vanishes or turns into a digit, a dot or a blank stays '?': it
     * must not make or unmake a code when the text is parsed again (a
     * combining mark after an enhanced code; a superscript five).
     */
    {"utf-8 combining mark after a code", IN("552 5.4.5\xcc\x8f x"), 0, 552, "",
     false, "5.4.5? x"},
    {"utf-8 superscript digit", IN("550 \xe2\x81\xb5.1.1 x"), 0, 550, "", false,
     "?.1.1 x"},
    /* One byte that is not UTF-8 keeps the whole line byte by byte. */
    {"utf-8 then latin-1", IN("550 5.1.1 caf\xc3\xa9 Gr\xfc\xdf"), 0, 550,
     "5.1.1", false, "caf? Gr??"},
    {"latin-1 Empfaenger", IN("550 5.1.1 Empf\xe4nger unbekannt"), 0, 550,
     "5.1.1", false, "Empf?nger unbekannt"},
    {"latin-1 Gruesse",
     IN("550 5.1.1 Gr\xfc\xdf"
        "e"),
     0, 550, "5.1.1", false, "Gr??e"},
    {"latin-1 copyright sign", IN("550 \xa9 2024"), 0, 550, "", false,
     "? 2024"},
    /* Explicit length wins over what follows. */
    {"length stops early", "550 5.1.1 hidden", 3, 0, 550, "", false, ""},
    {"length stops in text", "550 5.1.1 shown hidden", 15, 0, 550, "5.1.1",
     false, "shown"},
    /* Not replies. */
    {"word", IN("hello"), -1, 0, NULL, false, NULL},
    {"empty", IN(""), -1, 0, NULL, false, NULL},
    {"zero length", "550 x", 0, -1, 0, NULL, false, NULL},
    {"blank lines only", IN("\r\n\r\n"), -1, 0, NULL, false, NULL},
    {"spaces only", IN("   "), -1, 0, NULL, false, NULL},
    {"two digits", IN("55 x"), -1, 0, NULL, false, NULL},
    {"four digits", IN("5500 x"), -1, 0, NULL, false, NULL},
    {"code glued to word", IN("550x"), -1, 0, NULL, false, NULL},
    {"text before code", IN("x550 y"), -1, 0, NULL, false, NULL},
    {"class 6", IN("650 x"), -1, 0, NULL, false, NULL},
    {"class 1", IN("150 x"), -1, 0, NULL, false, NULL},
    {"below 200", IN("199 x"), -1, 0, NULL, false, NULL},
    {"600", IN("600 x"), -1, 0, NULL, false, NULL},
    {"code 000", IN("000 x"), -1, 0, NULL, false, NULL},
};

/* The reply's invariants, whatever the input. */
static int
check_invariants(const char *cname, const struct reply *r)
{
	const unsigned char *p;
	int nfail = 0;
	size_t i;

	EXPECT(nfail, cname, r->textlen < REPLY_TEXT_MAX, "textlen %zu",
	       r->textlen);
	if (r->textlen >= REPLY_TEXT_MAX)
		return nfail;
	EXPECT(nfail, cname, r->text[r->textlen] == '\0',
	       "text not NUL-terminated at textlen");
	EXPECT(nfail, cname, strlen(r->text) == r->textlen,
	       "strlen(text) %zu != textlen %zu", strlen(r->text), r->textlen);
	for (i = 0, p = (const unsigned char *)r->text; i < r->textlen; i++)
		if (p[i] != '\n' && (p[i] < 0x20 || p[i] > 0x7e)) {
			EXPECT(nfail, cname, 0, "byte 0x%02x at %zu", p[i], i);
			break;
		}
	EXPECT(nfail, cname, r->code >= 200 && r->code <= 599, "code %d",
	       r->code);
	return nfail;
}

static void
test_cases(void **state)
{
	char shown[1024], shown2[1024];
	struct reply r;
	int nfail = 0, rc, s, d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];

		/* Garbage first: parse must set every field. */
		memset(&r, 0xa5, sizeof(r));
		rc = reply_parse(&r, c->in, c->len);
		EXPECT(nfail, c->name, rc == c->rc, "rc %d, want %d", rc,
		       c->rc);
		if (rc != 0 || c->rc != 0)
			continue;
		nfail += check_invariants(c->name, &r);
		EXPECT(nfail, c->name, r.code == c->code, "code %d, want %d",
		       r.code, c->code);
		EXPECT(nfail, c->name, strcmp(r.ecode, c->ecode) == 0,
		       "ecode \"%s\", want \"%s\"",
		       unit_show(r.ecode, shown, sizeof(shown)), c->ecode);
		EXPECT(nfail, c->name, r.ecode_corrected == c->corrected,
		       "ecode_corrected %d, want %d", r.ecode_corrected,
		       c->corrected);
		EXPECT(nfail, c->name, !r.truncated, "truncated");
		if (r.textlen < REPLY_TEXT_MAX)
			EXPECT(nfail, c->name, strcmp(r.text, c->text) == 0,
			       "text \"%s\", want \"%s\"",
			       unit_show(r.text, shown, sizeof(shown)),
			       unit_show(c->text, shown2, sizeof(shown2)));
		if (c->ecode[0] != '\0' &&
		    sscanf(c->ecode, "%*d.%d.%d", &s, &d) == 2)
			EXPECT(nfail, c->name, r.subject == s && r.detail == d,
			       "subject.detail %d.%d, want %d.%d", r.subject,
			       r.detail, s, d);
	}
	EXPECT_DONE(nfail);
}

/* Parsing twice into one struct leaves nothing of the first reply. */
static void
test_reuse(void **state)
{
	struct reply r;
	char *big;
	size_t n = 6000;

	(void)state;
	big = malloc(n);
	assert_non_null(big);
	memcpy(big, "550 4.1.1 ", 10);
	memset(big + 10, 'a', n - 10);
	assert_int_equal(reply_parse(&r, big, n), 0);
	assert_true(r.truncated);
	assert_true(r.ecode_corrected);
	assert_int_equal(reply_parse(&r, "421 x", 5), 0);
	assert_int_equal(r.code, 421);
	assert_string_equal(r.ecode, "");
	assert_false(r.truncated);
	assert_false(r.ecode_corrected);
	assert_int_equal(r.subject, 0);
	assert_int_equal(r.detail, 0);
	assert_string_equal(r.text, "x");
	assert_int_equal(r.textlen, 1);
	free(big);
}

/* Long texts: cut below REPLY_TEXT_MAX and flagged, the kept part intact. */
struct lcase {
	const char *name;
	const char *head; /* reply code and ecode */
	const char *unit; /* repeated to make the text */
	size_t total;     /* bytes of text */
	const char *sep;  /* between repetitions: "", or a line break */
	bool truncated;
	const char *expect_unit; /* what unit becomes */
};

static const struct lcase lcases[] = {
    {"one long line", "550 5.7.1 ", "abcdefghij ", 6000, "", true,
     "abcdefghij "},
    {"one long word", "550 5.7.1 ", "x", 5001, "", true, "x"},
    {"just fits", "550 5.7.1 ", "y", REPLY_TEXT_MAX - 1, "", false, "y"},
    {"one over", "550 5.7.1 ", "y", REPLY_TEXT_MAX, "", true, "y"},
    {"many CRLF lines", "550-5.7.1 ", "line of text", 8000, "\r\n550-5.7.1 ",
     true, "line of text"},
    {"8-bit text", "550 5.1.1 ", "\xc3\xa9", 12000, "", true, "e"},
    {"latin-1 text", "550 5.1.1 ", "\xe9", 12000, "", true, "?"},
    {"percent text", "550 5.7.1 ", "%", 7000, "", true, "%"},
};

static void
test_long(void **state)
{
	char *in, *want;
	struct reply r;
	int nfail = 0;
	size_t i, n, k, u, sl, wl;

	(void)state;
	for (i = 0; i < sizeof(lcases) / sizeof(lcases[0]); i++) {
		const struct lcase *c = &lcases[i];

		u = strlen(c->unit);
		sl = strlen(c->sep);
		/* Whole units: the last one may go past total. */
		n = c->total / u + 1;
		in = malloc(strlen(c->head) + n * (u + sl) + 1);
		want = malloc(n * (strlen(c->expect_unit) + 1) + 1);
		assert_non_null(in);
		assert_non_null(want);
		n = strlen(c->head);
		memcpy(in, c->head, n);
		for (k = 0, wl = 0; k < c->total; k += u) {
			if (k > 0 && sl > 0) {
				memcpy(in + n, c->sep, sl);
				n += sl;
				want[wl++] = '\n';
			}
			memcpy(in + n, c->unit, u);
			n += u;
			memcpy(want + wl, c->expect_unit,
			       strlen(c->expect_unit));
			wl += strlen(c->expect_unit);
		}
		want[wl] = '\0';
		memset(&r, 0x5a, sizeof(r));
		EXPECT(nfail, c->name, reply_parse(&r, in, n) == 0, "rc != 0");
		nfail += check_invariants(c->name, &r);
		EXPECT(nfail, c->name, r.truncated == c->truncated,
		       "truncated %d, want %d", r.truncated, c->truncated);
		if (c->truncated)
			EXPECT(nfail, c->name, r.textlen == REPLY_TEXT_MAX - 1,
			       "textlen %zu, want %d", r.textlen,
			       REPLY_TEXT_MAX - 1);
		/*
		 * The kept text is the start of the whole (blanks trimmed);
		 * a cut text ends with the " ..." mark instead of its last
		 * four bytes.
		 */
		while (wl > 0 && want[wl - 1] == ' ')
			want[--wl] = '\0';
		if (c->truncated)
			EXPECT(nfail, c->name,
			       r.textlen >= 4 && memcmp(r.text + r.textlen - 4,
			                                " ...", 4) == 0,
			       "cut text does not end with \" ...\"");
		if (r.textlen < REPLY_TEXT_MAX) {
			size_t m = c->truncated ? r.textlen - 4 : r.textlen;

			while (m > 0 &&
			       (r.text[m - 1] == ' ' || r.text[m - 1] == '\n'))
				m--;
			EXPECT(nfail, c->name,
			       m <= wl && memcmp(r.text, want, m) == 0,
			       "text is not a prefix of the original");
			if (!c->truncated)
				EXPECT(nfail, c->name,
				       strcmp(r.text, want) == 0,
				       "text differs from the original");
		}
		free(in);
		free(want);
	}
	EXPECT_DONE(nfail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_reuse),
	    cmocka_unit_test(test_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
