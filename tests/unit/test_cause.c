/*
 * test_cause - the causes: loading and checking them, recognising them in
 * replies, expanding their texts, the prefilter, and the labelled corpus.
 *
 * The corpus (tests/corpus/causes-*.tsv) holds real replies gathered from
 * MTA sources, providers' published error lists and public bounces, each
 * labelled with its cause or "none". The test prints precision and recall
 * per cause and fails below the goals: at least 90% of the lines get their
 * right cause, and at least 95% of the causes given are right. The sets
 * "holdout", "fresh" and "grow" were scored once before any pattern was
 * written for them (their first-contact figures are in tests/corpus/README);
 * their figures are printed apart. "fresh2" and "blind" were never tuned
 * on, and are neither in the enforced figure: theirs are the ones to expect
 * on replies from sources nobody looked at (printed apart, not enforced:
 * the goal is stated on them in the README, and a test that failed on them
 * would invite tuning on them).
 */
#include "unit.h"

#include "core/cause.h"
#include "core/codetable.h"
#include "core/prefilter.h"
#include "core/replyfmt.h"

#define GOAL_ACCURACY  0.90
#define GOAL_PRECISION 0.95

static struct codetable *table;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	table = codetable_load_builtin(&d);
	return table == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	codetable_free(table);
	return 0;
}

/* The cause name for one reply, "none" if none (or not a reply). */
static const char *
classify(const struct codetable *t, const char *text, bool filtered)
{
	static struct reply r;
	struct cause_hit hit;

	if (reply_parse(&r, text, strlen(text)) != 0)
		return "not-a-reply";
	if (filtered)
		cause_classify(codetable_causeset(t), &r, &hit);
	else
		cause_classify_unfiltered(codetable_causeset(t), &r, &hit);
	return hit.cause != NULL ? hit.cause->name : "none";
}

/* The issue fixes the names; the table may not drop or rename one. */
static void
test_fixed_names(void **state)
{
	static const char *const names[] = {
	    "unknown-user",
	    "mailbox-full",
	    "mailbox-disabled",
	    "relay-denied",
	    "dnsbl-listed",
	    "bad-reputation",
	    "spf-fail",
	    "dkim-fail",
	    "dmarc-fail",
	    "unauthenticated",
	    "reverse-dns",
	    "greylisted",
	    "rate-limited",
	    "too-large",
	    "too-many-recipients",
	    "tls-required",
	    "auth-required",
	    "auth-failed",
	    "spam-content",
	    "virus",
	    "sender-domain-invalid",
	    "sender-blocked",
	    "recipient-domain-invalid",
	    "server-unavailable",
	    "protocol-error",
	};
	size_t i, n = sizeof(names) / sizeof(names[0]);
	int nfail = 0;

	(void)state;
	EXPECT(nfail, "count", codetable_ncauses(table) == n,
	       "the table has %zu causes, want %zu", codetable_ncauses(table),
	       n);
	for (i = 0; i < n; i++) {
		const struct cause_entry *c = codetable_cause(table, names[i]);

		EXPECT(nfail, names[i], c != NULL, "missing from the table");
		if (c == NULL)
			continue;
		EXPECT(nfail, names[i],
		       c->title != NULL && c->explanation != NULL &&
		           c->when != NULL && c->fix != NULL && c->ncodes > 0 &&
		           c->npatterns > 0,
		       "a field is missing");
	}
	EXPECT_DONE(nfail);
}

/* A minimal table around the causes under test. */
#define TABLE_HEAD                                                             \
	"codes = (\n"                                                          \
	"{ code = \"550\"; name = \"Not Taken\"; class = \"5xx Permanent "     \
	"Negative\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who "  \
	"= \"sender\"; },\n"                                                   \
	"{ code = \"451\"; name = \"Aborted\"; class = \"4xx Transient "       \
	"Negative\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who "  \
	"= \"sender\"; },\n"                                                   \
	"{ code = \"X.0.0\"; name = \"Other\"; class = \"X.0.XXX Other or "    \
	"Undefined Status\"; basic = [ ]; description = \"d.\"; when = "       \
	"\"w.\"; fix = \"f.\"; who = \"sender\"; },\n"                         \
	"{ code = \"X.1.1\"; name = \"Bad Mailbox\"; class = \"X.1.XXX "       \
	"Addressing Status\"; basic = [ ]; description = \"d.\"; when = "      \
	"\"w.\"; fix = \"f.\"; who = \"sender\"; }\n"                          \
	");\n"
/* line 7: "causes = (", then one cause a line from line 8 */
#define CAUSE(name, codes, pats, expl)                                         \
	"{ name = \"" name "\"; title = \"T\"; codes = [ " codes " ]; "        \
	"patterns = [ " pats " ]; explanation = \"" expl "\"; when = \"w.\"; " \
	"fix = \"f.\"; who = \"sender\"; }"

static const struct {
	const char *name;
	const char *text;
	const char *want;
} bads[] = {
    {"pattern does not compile",
     TABLE_HEAD
     "causes = (\n" CAUSE("a", "\"550\"", "\"(unclosed\"", "e.") ");",
     "t.conf:8: cause 'a': pattern '(unclosed' cannot be compiled: missing "
     "closing parenthesis at offset 9"},
    {"back reference",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"550\"", "\"(x)\\\\1\"", "e.") ");",
     "t.conf:8: cause 'a': pattern '(x)\\1': back references are not "
     "supported"},
    {"callout",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"550\"", "\"x(?C1)\"", "e.") ");",
     "t.conf:8: cause 'a': pattern 'x(?C1)': callouts are not supported"},
    {"verb",
     TABLE_HEAD
     "causes = (\n" CAUSE("a", "\"550\"", "\"(*ACCEPT)x\"", "e.") ");",
     "t.conf:8: cause 'a': pattern '(*ACCEPT)x': (*VERB) items are not "
     "supported"},
    {"placeholder without default",
     TABLE_HEAD
     "causes = (\n" CAUSE("a", "\"550\"", "\"(?<z>x)\"", "on ${z}.") ");",
     "t.conf:8: cause 'a': a placeholder must read ${name:-default text}"},
    {"placeholder names no group",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"550\"", "\"(?<z>x)\"",
                                     "on ${zone:-a list}.") ");",
     "t.conf:8: cause 'a': placeholder in 'on ${zone:-a list}.' names no "
     "capture group of its patterns"},
    {"code not in the table",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"554\"", "\"x\"", "e.") ");",
     "t.conf:8: cause 'a': code 554 has no entry in the table"},
    {"malformed code",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"5.7.1\"", "\"x\"", "e.") ");",
     "t.conf:8: cause 'a': code '5.7.1' is not 4xx, 5xx, a 4xx/5xx basic "
     "code or X.S.D"},
    {"duplicate name",
     TABLE_HEAD "causes = (\n" CAUSE("a", "\"550\"", "\"x\"", "e.") ",\n" CAUSE(
         "a", "\"550\"", "\"y\"", "e.") ");",
     "t.conf:9: duplicate cause 'a' (first defined at line 8)"},
    {"bad name",
     TABLE_HEAD "causes = (\n" CAUSE("Bad Name", "\"550\"", "\"x\"", "e.") ");",
     "t.conf:8: cause name 'Bad Name' must be lower case letters, digits "
     "and '-', starting with a letter"},
    {"missing field",
     TABLE_HEAD "causes = (\n{ name = \"a\"; title = \"T\"; codes = [ "
                "\"550\" ]; patterns = [ \"x\" ]; explanation = \"e.\"; "
                "when = \"w.\"; who = \"sender\"; });",
     "t.conf:8: cause: missing field 'fix'"},
    {"unless that does not compile",
     TABLE_HEAD "causes = (\n{ name = \"a\"; title = \"T\"; codes = [ "
                "\"550\" ]; patterns = [ \"x\" ]; unless = [ \"(y\" ]; "
                "explanation = \"e.\"; when = \"w.\"; fix = \"f.\"; "
                "who = \"sender\"; });",
     "t.conf:8: cause 'a': unless '(y' cannot be compiled: missing closing "
     "parenthesis at offset 2"},
    {"bad who",
     TABLE_HEAD "causes = (\n{ name = \"a\"; title = \"T\"; codes = [ "
                "\"550\" ]; patterns = [ \"x\" ]; explanation = \"e.\"; "
                "when = \"w.\"; fix = \"f.\"; who = \"postmaster\"; });",
     "t.conf:8: field 'who' must be one of sender, sender-admin, recipient, "
     "recipient-admin or nobody"},
};

static void
test_load_errors(void **state)
{
	struct codetable *t;
	struct diag d;
	int nfail = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		diag_init(&d);
		t = codetable_load_string("t.conf", bads[i].text, &d);
		EXPECT(nfail, bads[i].name, t == NULL, "the table loaded");
		codetable_free(t);
		nfail += diag_expect(&d, bads[i].name,
		                     (const char *const[]){bads[i].want, NULL});
	}
	EXPECT_DONE(nfail);
}

/*
 * A refused cause's slot is reused by the next one: its lists must start
 * empty (they once overflowed into the next cause's).
 */
static void
test_refused_cause_then_another(void **state)
{
	char text[16384], pats[4096];
	size_t i, n = 0;
	struct diag d;
	struct codetable *t;

	(void)state;
	for (i = 0; i < CAUSE_PATTERNS_MAX + 1; i++)
		n += (size_t)snprintf(pats + n, sizeof(pats) - n, "%s\"p%zu\"",
		                      i ? ", " : "", i);
	snprintf(text, sizeof(text),
	         TABLE_HEAD "causes = (\n" CAUSE(
	             "a", "\"550\"", "%s", "e.") ",\n" CAUSE("b",
	                                                     "\"550\", "
	                                                     "\"451\"",
	                                                     "%s", "e.") ");",
	         pats, pats);
	diag_init(&d);
	t = codetable_load_string("t.conf", text, &d);
	assert_null(t);
	assert_true(d.count >= 2);
}

static struct codetable *
load_ok(const char *text)
{
	struct codetable *t;
	struct diag d;

	diag_init(&d);
	t = codetable_load_string("t.conf", text, &d);
	if (t == NULL)
		diag_print(&d, "load_ok");
	assert_non_null(t);
	return t;
}

/* Table order wins; codes filter; implied_by only when nothing matched. */
static void
test_priority_and_codes(void **state)
{
	struct codetable *t = load_ok(
	    TABLE_HEAD
	    "causes = (\n"
	    "{ name = \"first\"; title = \"T\"; codes = [ \"550\" ]; "
	    "patterns = [ \"blocked\" ]; explanation = \"e.\"; when = \"w.\"; "
	    "fix = \"f.\"; who = \"sender\"; },\n"
	    "{ name = \"second\"; title = \"T\"; codes = [ \"5xx\", \"4xx\" ]; "
	    "patterns = [ \"blocked using\", \"temp\" ]; explanation = \"e.\"; "
	    "when = \"w.\"; fix = \"f.\"; who = \"sender\"; },\n"
	    "{ name = \"transient\"; title = \"T\"; codes = [ \"4xx\" ]; "
	    "implied_by = [ \"X.1.1\" ]; patterns = [ \"later\" ]; "
	    "explanation = \"e.\"; when = \"w.\"; fix = \"f.\"; who = "
	    "\"sender\"; }\n"
	    ");");
	int nfail = 0;

	(void)state;
#define WANT(reply, cause)                                                     \
	EXPECT(nfail, reply, strcmp(classify(t, reply, true), cause) == 0,     \
	       "gave %s, want %s", classify(t, reply, true), cause)
	WANT("550 5.7.1 blocked using x.example.org", "first");
	WANT("451 4.7.1 blocked using x.example.org", "second");
	WANT("550 5.7.1 BLOCKED", "first");
	WANT("550 5.7.1 try later", "none");
	WANT("451 4.7.1 try later", "transient");
	WANT("550 5.1.1 nothing here", "transient");
	WANT("550 nothing here", "none");
	WANT("250 2.0.0 blocked", "none");
	/* A pattern may straddle the reply's line breaks. */
	WANT("451-4.7.1 blocked\r\n451 4.7.1 using x.example.org", "second");
#undef WANT
	codetable_free(t);
	EXPECT_DONE(nfail);
}

/* "unless" keeps a cause away, by pattern and by code; the next may win. */
static void
test_unless(void **state)
{
	struct codetable *t = load_ok(
	    TABLE_HEAD
	    "causes = (\n"
	    "{ name = \"unknown\"; title = \"T\"; codes = [ \"5xx\" ]; "
	    "implied_by = [ \"X.1.1\" ]; patterns = [ \"user unknown\" ]; "
	    "unless = [ \"said: [45]\", \"callout\" ]; explanation = \"e.\"; "
	    "when = \"w.\"; fix = \"f.\"; who = \"sender\"; },\n"
	    "{ name = \"later\"; title = \"T\"; codes = [ \"5xx\" ]; "
	    "patterns = [ \"unknown\" ]; explanation = \"e.\"; "
	    "when = \"w.\"; fix = \"f.\"; who = \"sender\"; }\n"
	    ");");
	int nfail = 0;

	(void)state;
#define WANT(reply, cause)                                                     \
	EXPECT(nfail, reply, strcmp(classify(t, reply, true), cause) == 0,     \
	       "gave %s, want %s", classify(t, reply, true), cause);           \
	EXPECT(nfail, reply, strcmp(classify(t, reply, false), cause) == 0,    \
	       "unfiltered gave %s, want %s", classify(t, reply, false),       \
	       cause)
	WANT("550 5.1.1 user unknown", "unknown");
	WANT("550 5.1.1 nothing here", "unknown");
	/* Excluded by pattern: the next cause that matches wins. */
	WANT("550 5.1.1 host x said: 550 user unknown", "later");
	/* Excluded by code too: nothing else matches. */
	WANT("550 5.1.1 callout to x failed", "none");
	WANT("550 5.1.1 CALLOUT: User Unknown", "later");
#undef WANT
	codetable_free(t);
	EXPECT_DONE(nfail);
}

/* Captures fill the text; the default stands in when nothing is captured. */
static void
test_expand(void **state)
{
	static struct reply r;
	struct cause_hit hit;
	char out[CAUSE_TEXT_MAX];
	const char *dnsbl =
	    "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked "
	    "using zen.spamhaus.org; "
	    "https://www.spamhaus.org/query/ip/192.0.2.1";
	int nfail = 0;

	(void)state;
	assert_int_equal(reply_parse(&r, dnsbl, strlen(dnsbl)), 0);
	cause_classify(codetable_causeset(table), &r, &hit);
	assert_non_null(hit.cause);
	assert_string_equal(hit.cause->name, "dnsbl-listed");
	cause_expand(hit.cause->explanation, &hit, out, sizeof(out));
	EXPECT(nfail, "captured", strstr(out, "zen.spamhaus.org") != NULL,
	       "no zone in \"%s\"", out);
	EXPECT(nfail, "captured", strstr(out, "${") == NULL,
	       "a placeholder left in \"%s\"", out);
	cause_text_generic(hit.cause->explanation, out, sizeof(out));
	EXPECT(nfail, "generic", strstr(out, "a DNS blocklist") != NULL,
	       "no default in \"%s\"", out);
	/* Bounded: a tiny buffer is cut and terminated. */
	cause_expand(hit.cause->explanation, &hit, out, 8);
	EXPECT(nfail, "bounded", strlen(out) == 7, "\"%s\"", out);
	EXPECT_DONE(nfail);
}

static void
test_prefilter_requirements(void **state)
{
	static const struct {
		const char *pattern;
		const char *want; /* requirements as "a|b&c", "" for none */
	} cases[] = {
	    {"relay access denied", "relay access denied"},
	    {"\\bspamhaus\\b", "spamhaus"},
	    {"(?:user|recipient) (?:is )?unknown", "unknown&user|recipient"},
	    {"over ?quota", "quota&over"},
	    {"quota|mailbox full", "quota|mailbox full"},
	    {"gr[ae]y[ -]?list", "list"},
	    {"(?x) user unknown", ""},
	    {"\\Qa.b\\E", ""},
	    {"(?:no|without) MX", " mx"},
	    {"(?:no|without)", ""},
	    {"x", ""},
	    /* An escaped bracket is a literal, not the start of a class. */
	    {"access denied \\[", "access denied ["},
	    {"x\\[TSS04\\] y", "x[tss04] y"},
	    {"ab\\|cd", "ab|cd"},
	};
	struct prefilter_req req[PREFILTER_REQ_MAX];
	char got[512];
	size_t i, k, j, n, len;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = prefilter_requirements(cases[i].pattern, req);
		len = 0;
		got[0] = '\0';
		for (k = 0; k < n; k++)
			for (j = 0; j < req[k].n; j++)
				len += (size_t)snprintf(
				    got + len, sizeof(got) - len, "%s%s",
				    j   ? "|"
				    : k ? "&"
				        : "",
				    req[k].lit[j]);
		EXPECT(nfail, cases[i].pattern, strcmp(got, cases[i].want) == 0,
		       "gave \"%s\", want \"%s\"", got, cases[i].want);
	}
	EXPECT_DONE(nfail);
}

/* One corpus row. */
struct row {
	char set[16];
	char cause[40];
	char reply[2048];
};

/* "a\nb" in the file stands for a line break. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static size_t
read_corpus(struct row **rows)
{
	static const char *const files[] = {
	    "tests/corpus/causes-software.tsv",
	    "tests/corpus/causes-providers.tsv",
	    "tests/corpus/causes-fresh.tsv",
	    "tests/corpus/causes-fresh2.tsv",
	    "tests/corpus/causes-grow.tsv",
	    "tests/corpus/causes-grow2.tsv",
	    "tests/corpus/causes-grow3.tsv",
	    "tests/corpus/causes-grow4.tsv",
	    "tests/corpus/causes-grow5.tsv",
	    "tests/corpus/causes-grow6.tsv",
	    "tests/corpus/causes-grow7.tsv",
	    "tests/corpus/causes-grow8.tsv",
	    "tests/corpus/causes-grow9.tsv",
	    "tests/corpus/causes-grow10.tsv",
	    "tests/corpus/causes-intl.tsv",
	    "tests/corpus/causes-blind.tsv",
	    "tests/corpus/causes-blind-intl.tsv",
	    "tests/corpus/causes-blind2.tsv",
	    "tests/corpus/causes-blind3.tsv",
	    "tests/corpus/causes-blind4.tsv",
	};
	char line[4096], *f[4], *save;
	size_t n = 0, cap = 0, i, k;
	FILE *fp;

	*rows = NULL;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((fp = fopen(files[i], "r")) == NULL) {
			assert_true(i >= 2); /* only the fresh sets may lack */
			continue;
		}
		while (fgets(line, sizeof(line), fp) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			if (line[0] == '#' || line[0] == '\0' ||
			    strncmp(line, "set\t", 4) == 0)
				continue;
			for (k = 0, save = line; k < 4; k++)
				f[k] = strsep(&save, "\t");
			assert_non_null(f[3]);
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				*rows = realloc(*rows, cap * sizeof(**rows));
				assert_non_null(*rows);
			}
			snprintf((*rows)[n].set, sizeof((*rows)[n].set), "%s",
			         f[0]);
			snprintf((*rows)[n].cause, sizeof((*rows)[n].cause),
			         "%s", f[1]);
			snprintf((*rows)[n].reply, sizeof((*rows)[n].reply),
			         "%s", f[2]);
			unescape((*rows)[n].reply);
			n++;
		}
		fclose(fp);
	}
	return n;
}

/* The prefilter must never hide a match: same answer as every pattern. */
static void
test_prefilter_hides_nothing(void **state)
{
	struct row *rows;
	size_t i, n = read_corpus(&rows);
	int nfail = 0;

	(void)state;
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		const char *a = classify(table, rows[i].reply, true);
		const char *b = classify(table, rows[i].reply, false);

		EXPECT(nfail, rows[i].reply, strcmp(a, b) == 0,
		       "prefiltered %s, unfiltered %s", a, b);
	}
	free(rows);
	EXPECT_DONE(nfail);
}

struct tally {
	const char *name;
	unsigned tp, fp, fn, n;
};

static struct tally *
tally_of(struct tally *t, size_t *nt, const char *name)
{
	size_t i;

	for (i = 0; i < *nt; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	t[*nt].name = name;
	return &t[(*nt)++];
}

/* The sets never tuned on: fresh2 and the blind sets. */
static bool
unseen(const char *set)
{
	return strcmp(set, "fresh2") == 0 || strcmp(set, "blind") == 0 ||
	       strcmp(set, "blind2") == 0 || strcmp(set, "blind3") == 0 ||
	       strcmp(set, "blind4") == 0;
}

/* Score the rows of one set (NULL: all); returns failures. */
static int
score(const struct row *rows, size_t n, const char *sets, const char *title,
      bool enforce)
{
	struct tally t[CAUSE_MAX + 2] = {{0}};
	/* Every miss, to tune by: TEST_CAUSE_VERBOSE=1 build/tests/test_cause
	 */
	bool verbose = enforce && getenv("TEST_CAUSE_VERBOSE") != NULL;
	size_t nt = 0, i, total = 0, right = 0, given = 0, given_right = 0;
	double acc, prec;
	int nfail = 0;

	for (i = 0; i < n; i++) {
		const char *got = classify(table, rows[i].reply, true);
		const char *want = rows[i].cause;

		/* "set", or "!unseen": every set tuned on. */
		if (sets != NULL && (strcmp(sets, "!unseen") == 0
		                         ? unseen(rows[i].set)
		                         : strcmp(sets, rows[i].set) != 0))
			continue;
		total++;
		right += strcmp(got, want) == 0;
		if (strcmp(got, "none") != 0) {
			given++;
			given_right += strcmp(got, want) == 0;
			if (strcmp(got, want) == 0)
				tally_of(t, &nt, got)->tp++;
			else
				tally_of(t, &nt, got)->fp++;
		}
		if (strcmp(want, "none") != 0) {
			tally_of(t, &nt, want)->n++;
			if (strcmp(got, want) != 0)
				tally_of(t, &nt, want)->fn++;
		}
		if (verbose && strcmp(got, want) != 0)
			print_message("  %-24s got %-24s %s\n", want, got,
			              rows[i].reply);
	}
	if (total == 0)
		return 0;
	acc = (double)right / (double)total;
	prec = given ? (double)given_right / (double)given : 1.0;
	print_message("%s: %zu lines, right cause %.1f%%, causes given right "
	              "%.1f%% (%zu given)\n",
	              title, total, 100 * acc, 100 * prec, given);
	if (enforce) {
		print_message("  %-26s %5s %9s %7s\n", "cause", "lines",
		              "precision", "recall");
		for (i = 0; i < nt; i++)
			print_message(
			    "  %-26s %5u %8.0f%% %6.0f%%\n", t[i].name, t[i].n,
			    t[i].tp + t[i].fp
			        ? 100.0 * t[i].tp / (t[i].tp + t[i].fp)
			        : 100.0,
			    t[i].n ? 100.0 * t[i].tp / t[i].n : 100.0);
		EXPECT(nfail, title, acc >= GOAL_ACCURACY,
		       "right cause for %.1f%% of lines, goal %.0f%%",
		       100 * acc, 100 * GOAL_ACCURACY);
		EXPECT(nfail, title, prec >= GOAL_PRECISION,
		       "%.1f%% of the causes given are right, goal %.0f%%",
		       100 * prec, 100 * GOAL_PRECISION);
	}
	return nfail;
}

static void
test_corpus(void **state)
{
	static const char *const tuned[] = {
	    "holdout", "fresh", "grow",  "grow2", "grow3", "grow4",
	    "grow5",   "grow6", "grow7", "grow8", "grow9", "grow10",
	};
	static const struct {
		const char *set, *title;
	} unseen_sets[] = {
	    {"fresh2", "fresh2 (never tuned on)"},
	    {"blind", "blind (never tuned on, scored once)"},
	    {"blind2", "blind2 (never tuned on, scored once at 74aac9c)"},
	    {"blind3", "blind3 (never tuned on, scored once at f4f4b65)"},
	    {"blind4", "blind4 (never tuned on, scored once at e529979)"},
	};
	struct row *rows;
	size_t n = read_corpus(&rows), i;
	char title[96];
	int nfail;

	(void)state;
	assert_true(n >= 250);
	nfail = score(rows, n, "!unseen", "corpus tuned on", true);
	score(rows, n, "tune", "  of which tune (patterns written on)", false);
	/* The sets scored once on first contact, then tuned on. */
	for (i = 0; i < sizeof(tuned) / sizeof(tuned[0]); i++) {
		snprintf(title, sizeof(title),
		         "  of which %s (tuned on after a first score)",
		         tuned[i]);
		score(rows, n, tuned[i], title, false);
	}
	score(rows, n, "intl", "  of which intl (tuned on)", false);
	/* Never tuned on: the figures for replies nobody looked at. */
	for (i = 0; i < sizeof(unseen_sets) / sizeof(unseen_sets[0]); i++)
		score(rows, n, unseen_sets[i].set, unseen_sets[i].title, false);
	free(rows);
	EXPECT_DONE(nfail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_names),
	    cmocka_unit_test(test_load_errors),
	    cmocka_unit_test(test_refused_cause_then_another),
	    cmocka_unit_test(test_priority_and_codes),
	    cmocka_unit_test(test_unless),
	    cmocka_unit_test(test_expand),
	    cmocka_unit_test(test_prefilter_requirements),
	    cmocka_unit_test(test_prefilter_hides_nothing),
	    cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
