/*
 * test_log - the bytes log_quote, log_annotation and log_msg write.
 *
 * Fixed cases pin the quoting rules (text: quoted only when needed, \xNN;
 * JSON: always quoted, \u00NN, UTF-8 kept, U+FFFD for other 8-bit bytes).
 * Then every output is compared with a reference: the formatter as it was
 * before it wrote lines itself (snprintf escapes, the value quoted apart
 * and copied with snprintf, fprintf to stderr), kept here verbatim, over
 * random values and lines long enough to be cut. log_annotation and
 * log_msg are run with standard error sent to a file: each call must be
 * one write of "STAMP milter-annotate: LINE\n".
 */
#include "unit.h"

#include <fcntl.h>
#include <time.h>

#include <glib.h>

#include "engine/config.h"
#include "engine/log.h"

/* ---- the reference: log.c's formatting before it was made faster ---- */

#define REF_LINE_MAX 10240
#define REF_FIELD    1024

/* The reference's UTF-8 check: GLib's, not the code under test. */
static size_t
ref_utf8_len(const unsigned char *p)
{
	gunichar c = g_utf8_get_char_validated((const gchar *)p, -1);

	return c == (gunichar)-1 || c == (gunichar)-2
	           ? 0
	           : (size_t)g_unichar_to_utf8(c, NULL);
}

static void
ref_quote(enum log_format f, const char *v, char *dst, size_t cap)
{
	size_t n = 0, need;
	int quote =
	    f == LOG_FORMAT_JSON || *v == '\0' || strpbrk(v, " \"=\\") != NULL;
	const unsigned char *p;
	char esc[8];

	if (cap < 3) {
		if (cap > 0)
			dst[0] = '\0';
		return;
	}
	if (quote)
		dst[n++] = '"';
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		size_t u = f == LOG_FORMAT_JSON ? ref_utf8_len(p) : 0;

		if (u > 1) {
			if (n + u + (quote ? 1 : 0) + 1 > cap)
				break;
			memcpy(dst + n, p, u);
			n += u;
			p += u - 1;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			if (n + 1 + (quote ? 1 : 0) + 1 > cap)
				break;
			dst[n++] = (char)*p;
			continue;
		}
		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p >= 0x80 && f == LOG_FORMAT_JSON)
			snprintf(esc, sizeof(esc), "\\ufffd");
		else if (*p < 0x20 || *p >= 0x7f)
			snprintf(esc, sizeof(esc),
			         f == LOG_FORMAT_JSON ? "\\u%04x" : "\\x%02x",
			         *p);
		need = strlen(esc);
		if (n + need + (quote ? 1 : 0) + 1 > cap)
			break;
		memcpy(dst + n, esc, need);
		n += need;
	}
	if (quote)
		dst[n++] = '"';
	dst[n] = '\0';
}

static size_t
ref_field(char *line, size_t n, size_t cap, enum log_format f, const char *key,
          const char *v)
{
	char q[REF_FIELD];
	int k;

	if (n >= cap)
		return n;
	ref_quote(f, v != NULL && *v != '\0' ? v : "-", q, sizeof(q));
	if (f == LOG_FORMAT_JSON)
		k = snprintf(line + n, cap - n, ",\"%s\":%s", key, q);
	else
		k = snprintf(line + n, cap - n, " %s=%s", key, q);
	return k < 0 ? n : n + (size_t)k;
}

/* The line log_annotation gave before (without stamp and ident). */
static void
ref_annotation(enum log_format f, const struct log_annotation *a, char *line)
{
	size_t n, cap = REF_LINE_MAX - 2;

	n = (size_t)snprintf(line, cap,
	                     f == LOG_FORMAT_JSON ? "{\"event\":\"%s\"" : "%s",
	                     a->fallback ? "annotate-failed" : "annotated");
	n = ref_field(line, n, cap, f, "queue_id", a->queue_id);
	n = ref_field(line, n, cap, f, "stage", a->stage);
	n = ref_field(line, n, cap, f, "client", a->client_addr);
	n = ref_field(line, n, cap, f, "from", a->from);
	n = ref_field(line, n, cap, f, "rcpt", a->rcpt);
	n = ref_field(line, n, cap, f, "reply", a->original);
	n = ref_field(line, n, cap, f, "code", a->code);
	n = ref_field(line, n, cap, f, "source", a->source);
	n = ref_field(line, n, cap, f, "cause",
	              a->cause != NULL ? a->cause : "none");
	n = ref_field(line, n, cap, f, "explanation", a->explanation);
	if (n > cap)
		n = cap;
	if (f == LOG_FORMAT_JSON) {
		line[n++] = '}';
		line[n] = '\0';
	}
}

/* ---- helpers ---- */

static const char *const fmt_name[] = {"text", "json"};

/* A random value of len bytes (no NUL): mostly plain ASCII, some of the
 * bytes that are escaped, UTF-8 sequences valid and broken. */
static void
random_value(char *v, size_t len)
{
	static const char *const pieces[] = {
	    " ",        "\"",           "=",
	    "\\",       "\t",           "\x01",
	    "\n",       "\r",           "\x7f",
	    "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	    "\xc3",     "\xed\xa0\x80", "\xc0\xaf",
	    "\xff",     "\x80",         "%",
	};
	size_t n = 0;

	while (n < len) {
		const char *p;
		size_t k;

		if (rand() % 4 != 0) {
			v[n++] = (char)(0x20 + rand() % 0x5f);
			continue;
		}
		p = pieces[(size_t)rand() % (sizeof(pieces) / sizeof(*pieces))];
		k = strlen(p);
		if (n + k > len)
			k = len - n;
		memcpy(v + n, p, k);
		n += k;
	}
	v[len] = '\0';
}

/* Standard error sent to a fresh temporary file; returns the old fd. */
static int
capture_start(char *path, size_t cap)
{
	int fd, old;

	snprintf(path, cap, "/tmp/test_log.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	old = dup(2);
	assert_true(old >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	return old;
}

/* Standard error back; the file's contents in out (NUL-terminated). */
static size_t
capture_end(int old, const char *path, char *out, size_t cap)
{
	FILE *fp;
	size_t n;

	fflush(stderr);
	assert_int_equal(dup2(old, 2), 2);
	close(old);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	n = fread(out, 1, cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
	unlink(path);
	return n;
}

/*
 * got is one line "YYYY-MM-DDTHH:MM:SS milter-annotate: " want "\n", the
 * stamp within a few seconds of now; 0 if so.
 */
static int
check_line(const char *got, size_t glen, const char *want, time_t t0)
{
	const char *pat = "dddd-dd-ddTdd:dd:dd milter-annotate: ";
	size_t plen = strlen(pat), wlen = strlen(want), i;
	struct tm tm;
	time_t t;

	if (glen != plen + wlen + 1 || got[glen - 1] != '\n' ||
	    memchr(got, '\n', glen - 1) != NULL)
		return -1;
	for (i = 0; i < plen; i++)
		if (pat[i] == 'd' ? got[i] < '0' || got[i] > '9'
		                  : got[i] != pat[i])
			return -2;
	if (memcmp(got + plen, want, wlen) != 0)
		return -3;
	memset(&tm, 0, sizeof(tm));
	if (strptime(got, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return -4;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t < t0 - 1 || t > time(NULL) + 1)
		return -5;
	return 0;
}

/* ---- tests ---- */

static void
test_quote_fixed(void **state)
{
	static const struct {
		enum log_format f;
		const char *in;
		size_t cap;
		const char *want;
	} c[] = {
	    {LOG_FORMAT_TEXT, "abc", 64, "abc"},
	    {LOG_FORMAT_TEXT, "", 64, "\"\""},
	    {LOG_FORMAT_TEXT, "a b", 64, "\"a b\""},
	    {LOG_FORMAT_TEXT, "a=b", 64, "\"a=b\""},
	    {LOG_FORMAT_TEXT, "a\\b", 64, "\"a\\\\b\""},
	    {LOG_FORMAT_TEXT, "say \"hi\"", 64, "\"say \\\"hi\\\"\""},
	    {LOG_FORMAT_TEXT, "t\tn\nx\x7f\xc3\xa9", 64,
	     "t\\x09n\\x0ax\\x7f\\xc3\\xa9"},
	    {LOG_FORMAT_JSON, "abc", 64, "\"abc\""},
	    {LOG_FORMAT_JSON, "", 64, "\"\""},
	    {LOG_FORMAT_JSON, "t\tn\x01\x1f\x7f", 64,
	     "\"t\\u0009n\\u0001\\u001f\\u007f\""},
	    {LOG_FORMAT_JSON, "caf\xc3\xa9 \xe2\x82\xac", 64,
	     "\"caf\xc3\xa9 \xe2\x82\xac\""},
	    {LOG_FORMAT_JSON, "x\xff\xc3y\xed\xa0\x80", 64,
	     "\"x\\ufffd\\ufffdy\\ufffd\\ufffd\\ufffd\""},
	    /* Cut: whole characters and escapes, the closing quote kept. */
	    {LOG_FORMAT_TEXT, "abcdef", 4, "abc"},
	    {LOG_FORMAT_TEXT, "a bcdef", 6, "\"a b\""},
	    {LOG_FORMAT_TEXT, "ab\x01", 6, "ab"},
	    {LOG_FORMAT_TEXT, "ab\x01", 7, "ab\\x01"},
	    {LOG_FORMAT_JSON, "ab\xc3\xa9", 5, "\"ab\""},
	    {LOG_FORMAT_JSON, "ab\xc3\xa9", 7, "\"ab\xc3\xa9\""},
	    {LOG_FORMAT_JSON, "\x01", 8, "\"\""},
	    {LOG_FORMAT_JSON, "\x01", 9, "\"\\u0001\""},
	    {LOG_FORMAT_TEXT, "abc", 2, ""},
	};
	char out[80], show[256];
	int nfail = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(out, 'Z', sizeof(out));
		log_quote(c[i].f, c[i].in, out, c[i].cap);
		EXPECT(nfail, c[i].want, strcmp(out, c[i].want) == 0, "got %s",
		       unit_show(out, show, sizeof(show)));
		/* Nothing written past cap. */
		EXPECT(nfail, c[i].want, out[c[i].cap] == 'Z',
		       "wrote past cap %zu", c[i].cap);
	}
	EXPECT_DONE(nfail);
}

/* Random values, both formats, every small cap and the field's: as the
 * reference, byte for byte. */
static void
test_quote_as_reference(void **state)
{
	static const size_t caps[] = {0,  1,  2,  3,  4,   5,    6,
	                              7,  8,  9,  10, 11,  13,   17,
	                              31, 64, 65, 99, 255, 1024, 1500};
	char v[1400], got[1600], want[1600], show[512];
	int nfail = 0, i;
	size_t c;

	(void)state;
	srand(12345);
	for (i = 0; i < 3000; i++) {
		size_t len = (size_t)rand() % (i % 10 == 0 ? 1300 : 80);
		enum log_format f = i % 2 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;

		random_value(v, len);
		for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			memset(got, 'Z', sizeof(got));
			memset(want, 'Z', sizeof(want));
			log_quote(f, v, got, caps[c]);
			ref_quote(f, v, want, caps[c]);
			EXPECT(nfail, fmt_name[f],
			       memcmp(got, want, sizeof(got)) == 0,
			       "cap %zu, value %s", caps[c],
			       unit_show(v, show, sizeof(show)));
		}
		if (nfail > 10)
			break;
	}
	EXPECT_DONE(nfail);
}

/* Every byte value at every place of a plain run (the runs are copied a
 * word at a time), alone and next to another, both formats. */
static void
test_quote_each_byte(void **state)
{
	char v[40], got[300], want[300], show[512];
	int nfail = 0, c, c2, pos, f;

	(void)state;
	for (f = 0; f < 2; f++)
		for (c = 1; c < 256; c++)
			for (pos = 0; pos < 24; pos++) {
				memset(v, 'a', 32);
				v[32] = '\0';
				v[pos] = (char)c;
				c2 = 1 + (c * 7 + pos * 13) % 255;
				if (pos % 3 == 0)
					v[pos + 1] = (char)c2;
				memset(got, 'Z', sizeof(got));
				memset(want, 'Z', sizeof(want));
				log_quote((enum log_format)f, v, got, 256);
				ref_quote((enum log_format)f, v, want, 256);
				EXPECT(nfail, fmt_name[f],
				       memcmp(got, want, sizeof(got)) == 0,
				       "byte 0x%02x at %d: %s", c, pos,
				       unit_show(got, show, sizeof(show)));
			}
	EXPECT_DONE(nfail);
}

static void
fill_annotation(struct log_annotation *a, char v[10][1400], int i)
{
	/* Mostly short fields; now and then long ones, so lines get cut. */
	size_t big = i % 7 == 0 ? 1300 : i % 7 == 1 ? 1000 : 60;
	int k;

	for (k = 0; k < 10; k++)
		random_value(v[k], big == 1300 ? 1000 + (size_t)rand() % 300
		                               : (size_t)rand() % big);
	a->queue_id = i % 5 == 0 ? NULL : v[0];
	a->stage = v[1];
	a->client_addr = i % 3 == 0 ? "" : v[2];
	a->from = v[3];
	a->rcpt = v[4];
	a->original = v[5];
	a->code = i % 4 == 0 ? NULL : v[6];
	a->source = v[7];
	a->cause = i % 2 == 0 ? NULL : v[8];
	a->explanation = v[9];
	a->fallback = i % 6 == 0;
}

static void
test_annotation_as_reference(void **state)
{
	static char v[10][1400], want[REF_LINE_MAX], got[REF_LINE_MAX + 256];
	char path[64], show[512];
	struct log_annotation a;
	int nfail = 0, i, old, r;
	size_t n, cut = 0;
	time_t t0 = time(NULL);

	(void)state;
	srand(777);
	for (i = 0; i < 600; i++) {
		enum log_format f = i % 2 ? LOG_FORMAT_JSON : LOG_FORMAT_TEXT;
		struct log_dest d = {LOG_TO_STDERR, f};

		memset(&a, 0, sizeof(a));
		fill_annotation(&a, v, i);
		ref_annotation(f, &a, want);
		if (strlen(want) == REF_LINE_MAX - 3)
			cut++;
		old = capture_start(path, sizeof(path));
		log_annotation(d, &a);
		n = capture_end(old, path, got, sizeof(got));
		r = check_line(got, n, want, t0);
		EXPECT(nfail, fmt_name[f], r == 0,
		       "check %d, line %d: got %zu bytes %s", r, i, n,
		       unit_show(got, show, sizeof(show)));
		if (nfail > 10)
			break;
	}
	/* The random lines did reach the cap, in both formats. */
	EXPECT(nfail, "cut lines", cut >= 20, "only %zu cut lines", cut);
	EXPECT_DONE(nfail);
}

static void
test_annotation_fixed(void **state)
{
	struct log_annotation a = {"4XyZ1",
	                           "rcpt",
	                           "192.0.2.1",
	                           "<a@example.org>",
	                           "<b@example.net>",
	                           "550 5.7.1 Relaying denied",
	                           "X.7.1",
	                           "rule=refuse-all",
	                           NULL,
	                           "Delivery not authorized",
	                           false};
	static const char *const want[] = {
	    "annotated queue_id=4XyZ1 stage=rcpt client=192.0.2.1 "
	    "from=<a@example.org> rcpt=<b@example.net> "
	    "reply=\"550 5.7.1 Relaying denied\" code=X.7.1 "
	    "source=\"rule=refuse-all\" cause=none "
	    "explanation=\"Delivery not authorized\"",
	    "{\"event\":\"annotated\",\"queue_id\":\"4XyZ1\",\"stage\":"
	    "\"rcpt\",\"client\":\"192.0.2.1\",\"from\":\"<a@example.org>\","
	    "\"rcpt\":\"<b@example.net>\",\"reply\":\"550 5.7.1 Relaying "
	    "denied\",\"code\":\"X.7.1\",\"source\":\"rule=refuse-all\","
	    "\"cause\":\"none\",\"explanation\":\"Delivery not authorized\"}",
	};
	char path[64], got[2048], show[2048];
	int nfail = 0, old, r, f;
	size_t n;
	time_t t0 = time(NULL);

	(void)state;
	for (f = 0; f < 2; f++) {
		struct log_dest d = {LOG_TO_STDERR, (enum log_format)f};

		old = capture_start(path, sizeof(path));
		log_annotation(d, &a);
		log_annotation(d, &a); /* the second from the cached stamp */
		n = capture_end(old, path, got, sizeof(got));
		r = n % 2 == 0 ? check_line(got, n / 2, want[f], t0) : -9;
		if (r == 0)
			r = check_line(got + n / 2, n / 2, want[f], t0);
		EXPECT(nfail, fmt_name[f], r == 0, "check %d: got %s", r,
		       unit_show(got, show, sizeof(show)));
	}
	EXPECT_DONE(nfail);
}

/* The whole line log_dsn would write for n recipients like two[0]. */
static void
whole_dsn_line(int f, const struct log_dsn_rcpt *r, size_t n, char *out,
               size_t cap)
{
	size_t i, k;

	k = (size_t)snprintf(
	    out, cap,
	    f ? "{\"event\":\"annotated\",\"queue_id\":\"4Xk3\","
	        "\"source\":\"dsn\",\"recipients\":\"%zu\","
	        "\"rcpts\":["
	      : "annotated queue_id=4Xk3 source=dsn "
	        "recipients=%zu",
	    n);
	for (i = 0; i < n && k < cap; i++)
		k +=
		    (size_t)(f ? snprintf(out + k, cap - k,
		                          "%s{\"n\":%zu,\"rcpt\":\"%s\","
		                          "\"action\":\"%s\",\"status\":\"%s\","
		                          "\"cause\":\"%s\",\"code\":\"%s\"}",
		                          i > 0 ? "," : "", i + 1, r[i].rcpt,
		                          r[i].action, r[i].status, r[i].cause,
		                          r[i].code)
		               : snprintf(out + k, cap - k,
		                          " rcpt=%s action=%s status=%s "
		                          "cause=%s code=%s",
		                          r[i].rcpt, r[i].action, r[i].status,
		                          r[i].cause, r[i].code));
	if (f && k < cap)
		snprintf(out + k, cap - k, "]}");
}

/* A bounce's line: exact for two recipients; for very many, cut cleanly. */
static void
test_dsn_line(void **state)
{
	static const struct log_dsn_rcpt two[] = {
	    {"bob@example.net", "failed", "5.1.1", "unknown-user", "X.1.1"},
	    {"carol@example.net", "delayed", "4.2.2", NULL, "X.2.2"},
	};
	static const char *const want[] = {
	    "annotated queue_id=4Xk3 source=dsn recipients=3 "
	    "rcpt=bob@example.net action=failed status=5.1.1 "
	    "cause=unknown-user code=X.1.1 rcpt=carol@example.net "
	    "action=delayed status=4.2.2 cause=none code=X.2.2",
	    "{\"event\":\"annotated\",\"queue_id\":\"4Xk3\",\"source\":\"dsn\","
	    "\"recipients\":\"3\",\"rcpts\":[{\"n\":1,\"rcpt\":"
	    "\"bob@example.net\",\"action\":\"failed\",\"status\":\"5.1.1\","
	    "\"cause\":\"unknown-user\",\"code\":\"X.1.1\"},{\"n\":2,\"rcpt\":"
	    "\"carol@example.net\",\"action\":\"delayed\",\"status\":"
	    "\"4.2.2\",\"cause\":\"none\",\"code\":\"X.2.2\"}]}",
	};
	static struct log_dsn_rcpt many[200];
	static char addr[200][160];
	struct log_dsn a = {"4Xk3", true, NULL, 2, 1, two};
	static char full[65536];
	char path[64], got[16384], show[2048];
	int nfail = 0, old, r, f;
	size_t n, i, len;
	time_t t0 = time(NULL);

	(void)state;
	for (f = 0; f < 2; f++) {
		struct log_dest d = {LOG_TO_STDERR, (enum log_format)f};

		old = capture_start(path, sizeof(path));
		log_dsn(d, &a);
		n = capture_end(old, path, got, sizeof(got));
		r = check_line(got, n, want[f], t0);
		EXPECT(nfail, fmt_name[f], r == 0, "check %d: got %s", r,
		       unit_show(got, show, sizeof(show)));
	}
	/*
	 * 200 long addresses, more than a line holds, cut at a different
	 * place for each address length: what is written is a prefix of the
	 * whole line, one line, nothing else.
	 */
	a.rcpt = many;
	a.nrcpt = 200;
	a.more = 0;
	for (len = 90; len < 130; len++) {
		for (i = 0; i < 200; i++) {
			snprintf(addr[i], sizeof(addr[i]), "%0*zu@example.net",
			         (int)len, i);
			many[i] = two[0];
			many[i].rcpt = addr[i];
		}
		for (f = 0; f < 2; f++) {
			struct log_dest d = {LOG_TO_STDERR, (enum log_format)f};
			const char *line;

			whole_dsn_line(f, many, 200, full, sizeof(full));
			old = capture_start(path, sizeof(path));
			log_dsn(d, &a);
			n = capture_end(old, path, got, sizeof(got));
			line = strstr(got, "milter-annotate: ");
			line = line != NULL ? line + 17 : got;
			EXPECT(nfail, fmt_name[f],
			       n > 1000 && got[n - 1] == '\n' &&
			           memchr(got, '\n', n - 1) == NULL &&
			           strlen(got) == n &&
			           strncmp(full, line,
			                   (size_t)(got + n - 1 - line)) == 0,
			       "length %zu: a cut line of %zu bytes, not a "
			       "prefix of the whole: %s",
			       len, n, unit_show(got, show, sizeof(show)));
		}
	}
	EXPECT_DONE(nfail);
}

static void
test_msg(void **state)
{
	char path[64], got[REF_LINE_MAX + 512], show[512];
	static char big[REF_LINE_MAX + 100], want[REF_LINE_MAX + 200];
	int nfail = 0, old, r;
	size_t n;
	time_t t0 = time(NULL);
	struct log_dest text = {LOG_TO_STDERR, LOG_FORMAT_TEXT};
	struct log_dest json = {LOG_TO_STDERR, LOG_FORMAT_JSON};

	(void)state;
	old = capture_start(path, sizeof(path));
	log_msg(text, LOG_ERR, "error=%s n=%d", "reply-not-set", 7);
	n = capture_end(old, path, got, sizeof(got));
	r = check_line(got, n, "error=reply-not-set n=7", t0);
	EXPECT(nfail, "text", r == 0, "check %d: got %s", r,
	       unit_show(got, show, sizeof(show)));

	old = capture_start(path, sizeof(path));
	log_msg(json, LOG_WARNING, "a \"b\"\t%s", "c");
	n = capture_end(old, path, got, sizeof(got));
	r = check_line(
	    got, n, "{\"level\":\"warning\",\"msg\":\"a \\\"b\\\"\\u0009c\"}",
	    t0);
	EXPECT(nfail, "json", r == 0, "check %d: got %s", r,
	       unit_show(got, show, sizeof(show)));

	/* A message longer than a line is cut to one line. */
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(want, big, REF_LINE_MAX - 1);
	want[REF_LINE_MAX - 1] = '\0';
	old = capture_start(path, sizeof(path));
	log_msg(text, LOG_INFO, "%s", big);
	n = capture_end(old, path, got, sizeof(got));
	r = check_line(got, n, want, t0);
	EXPECT(nfail, "long", r == 0, "check %d: got %zu bytes", r, n);
	EXPECT_DONE(nfail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quote_fixed),
	    cmocka_unit_test(test_quote_as_reference),
	    cmocka_unit_test(test_quote_each_byte),
	    cmocka_unit_test(test_annotation_fixed),
	    cmocka_unit_test(test_annotation_as_reference),
	    cmocka_unit_test(test_dsn_line),
	    cmocka_unit_test(test_msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
