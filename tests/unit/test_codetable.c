/*
 * test_codetable - the built-in code table, the loader's checks and
 * code_parse.
 *
 * The built-in table is checked against the shared reference
 * (../shared/reference/smtp-codes.tsv from the repository's top, where the
 * tests run) and the seed texts' names, classes and meaning. Broken tables
 * are loaded from memory under the name "t.conf" so every message is
 * known to the line: "t.conf:LINE: reason".
 */
#include <ctype.h>

#include "unit.h"

#include "core/codetable.h"

#define TSV_PATH "../shared/reference/smtp-codes.tsv"

static struct codetable *builtin;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	builtin = codetable_load_builtin(&d);
	if (builtin == NULL)
		diag_print(&d, "built-in table");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	codetable_free(builtin);
	return 0;
}

static int
printable(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The built-in table: 126 entries, each sound and found by its code. */
static void
test_builtin(void **state)
{
	const struct code_entry *e;
	struct code_ref ref;
	const char *want;
	int nfail = 0;
	size_t i, k;

	(void)state;
	assert_non_null(builtin);
	assert_int_equal(codetable_size(builtin), 126);
	assert_string_equal(codetable_source(builtin), "codes.conf (built-in)");
	assert_null(codetable_at(builtin, 126));
	for (i = 0; i < codetable_size(builtin); i++) {
		e = codetable_at(builtin, i);
		assert_non_null(e);
		EXPECT(nfail, e->code,
		       printable(e->code) && printable(e->name) &&
		           printable(e->class_name) &&
		           printable(e->description) && printable(e->when) &&
		           printable(e->fix),
		       "a field is empty or not printable ASCII");
		for (k = 0; k < e->nassoc; k++)
			EXPECT(nfail, e->code, printable(e->assoc[k]),
			       "associated code %zu is not printable", k);
		EXPECT(nfail, e->code, code_parse(e->code, &ref) == 0,
		       "code does not parse");
		EXPECT(nfail, e->code, codetable_find(builtin, &ref) == e,
		       "codetable_find does not give the entry");
		if (e->kind == CODE_BASIC) {
			EXPECT(nfail, e->code,
			       codetable_basic(builtin, e->basic) == e,
			       "codetable_basic(%d) does not give the entry",
			       e->basic);
			EXPECT(nfail, e->code, e->nassoc == 0,
			       "a basic code with associated codes");
			want = code_class_name(e->basic / 100);
		} else {
			EXPECT(nfail, e->code, e->code[0] == 'X',
			       "enhanced code not written X.S.D");
			EXPECT(nfail, e->code,
			       codetable_enhanced(builtin, e->subject,
			                          e->detail) == e,
			       "codetable_enhanced(%d, %d) does not give the "
			       "entry",
			       e->subject, e->detail);
			want = code_subject_name(e->subject);
		}
		EXPECT(nfail, e->code,
		       want != NULL && strcmp(e->class_name, want) == 0,
		       "class \"%s\", want \"%s\"", e->class_name,
		       want ? want : "(none)");
		EXPECT(nfail, e->code, strlen(e->name) <= 48,
		       "name longer than 48 characters");
		EXPECT(nfail, e->code, e->line > 0, "no line number");
		/* Success and intermediate replies ask nothing of anyone. */
		EXPECT(nfail, e->code,
		       who_name(e->who) != NULL &&
		           (e->kind != CODE_BASIC || e->basic >= 400 ||
		            e->who == WHO_NOBODY),
		       "who is %d", (int)e->who);
	}
	/* Out-of-range look-ups find nothing and do not crash. */
	assert_null(codetable_basic(builtin, -1));
	assert_null(codetable_basic(builtin, 600));
	assert_null(codetable_basic(builtin, 100000));
	assert_null(codetable_basic(builtin, 199));
	assert_null(codetable_enhanced(builtin, -1, 0));
	assert_null(codetable_enhanced(builtin, 0, -1));
	assert_null(codetable_enhanced(builtin, CODE_SUBJECT_MAX + 1, 0));
	assert_null(codetable_enhanced(builtin, 1, CODE_DETAIL_MAX + 1));
	assert_null(codetable_enhanced(builtin, 999, 999));
	assert_non_null(codetable_enhanced(builtin, 0, 0));
	EXPECT_DONE(nfail);
}

/* The file the table is built from loads the same. */
static void
test_file(void **state)
{
	struct codetable *t;
	struct diag d;
	size_t i;

	(void)state;
	diag_init(&d);
	t = codetable_load_file("conf/codes.conf", &d);
	if (t == NULL)
		diag_print(&d, "conf/codes.conf");
	assert_non_null(t);
	assert_string_equal(codetable_source(t), "conf/codes.conf");
	assert_int_equal(codetable_size(t), codetable_size(builtin));
	for (i = 0; i < codetable_size(t); i++) {
		assert_string_equal(codetable_at(t, i)->code,
		                    codetable_at(builtin, i)->code);
		assert_string_equal(codetable_at(t, i)->description,
		                    codetable_at(builtin, i)->description);
		assert_int_equal(codetable_at(t, i)->line,
		                 codetable_at(builtin, i)->line);
	}
	codetable_free(t);

	diag_init(&d);
	assert_null(codetable_load_file("/nonexistent/codes.conf", &d));
	assert_int_equal(d.count, 1);
	assert_string_equal(d.msg[0],
	                    "/nonexistent/codes.conf: cannot read file");
}

/*
 * The associated codes of a reference row ("451, 550", "Any", "5XX",
 * "250 or 251", "Not given") as the table writes them: "451", "any",
 * "5xx". Returns how many, at most max.
 */
static size_t
tsv_assoc(const char *s, char out[][8], size_t max)
{
	size_t n = 0, i, k;

	for (i = 0; s[i] != '\0'; i++) {
		if (i > 0 && isalnum((unsigned char)s[i - 1]))
			continue;
		if (strncmp(s + i, "Any", 3) == 0 &&
		    !isalnum((unsigned char)s[i + 3])) {
			if (n < max)
				snprintf(out[n++], 8, "any");
			continue;
		}
		if (!isdigit((unsigned char)s[i]))
			continue;
		for (k = 0; isdigit((unsigned char)s[i + k]); k++)
			;
		if (k == 3 && !isalnum((unsigned char)s[i + 3])) {
			if (n < max)
				snprintf(out[n++], 8, "%.3s", s + i);
		} else if (k == 1 && strncmp(s + i + 1, "XX", 2) == 0 &&
		           !isalnum((unsigned char)s[i + 3])) {
			if (n < max)
				snprintf(out[n++], 8, "%cxx", s[i]);
		}
	}
	return n;
}

/*
 * Every code of the shared reference is in the table, with the class the
 * reference gives and, for enhanced codes, the same associated codes.
 */
static void
test_reference(void **state)
{
	char line[1024], *f[4], *p, cname[64], assoc[CODE_ASSOC_MAX + 4][8];
	const struct code_entry *e;
	struct code_ref ref;
	size_t nrows = 0, i, k, n, na;
	int nfail = 0, found;
	FILE *fp;

	(void)state;
	if ((fp = fopen(TSV_PATH, "r")) == NULL)
		fail_msg("cannot open %s (run from the repository's top, with "
		         "the shared folder beside it)",
		         TSV_PATH);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0' ||
		    strncmp(line, "code\t", 5) == 0)
			continue;
		for (n = 0, p = line; n < 4 && p != NULL; n++) {
			f[n] = p;
			if ((p = strchr(p, '\t')) != NULL)
				*p++ = '\0';
		}
		snprintf(cname, sizeof(cname), "reference %s", f[0]);
		EXPECT(nfail, cname, n >= 3, "fewer than 3 columns");
		if (n < 3)
			continue;
		nrows++;
		EXPECT(nfail, cname, code_parse(f[0], &ref) == 0,
		       "code_parse refuses the code");
		e = codetable_find(builtin, &ref);
		EXPECT(nfail, cname, e != NULL, "no entry in the table");
		if (e == NULL)
			continue;
		EXPECT(nfail, cname, strcmp(e->code, f[0]) == 0,
		       "found entry %s", e->code);
		if (e->kind == CODE_BASIC) {
			/* "4xx Transient Negative Completion": ours is the
			 * class as RFC 5321 names its first digit. */
			EXPECT(nfail, cname,
			       strncmp(f[1], e->class_name,
			               strlen(e->class_name)) == 0,
			       "class \"%s\", reference \"%s\"", e->class_name,
			       f[1]);
			continue;
		}
		na = tsv_assoc(f[2], assoc, sizeof(assoc) / sizeof(assoc[0]));
		EXPECT(nfail, cname, na == e->nassoc,
		       "%zu associated codes, reference \"%s\" has %zu",
		       e->nassoc, f[2], na);
		for (i = 0; i < na; i++) {
			for (k = 0, found = 0; k < e->nassoc; k++)
				found |= strcmp(e->assoc[k], assoc[i]) == 0;
			EXPECT(nfail, cname, found,
			       "associated code %s of the reference is missing",
			       assoc[i]);
		}
	}
	fclose(fp);
	EXPECT(nfail, TSV_PATH, nrows == 126, "%zu codes, want 126", nrows);
	EXPECT_DONE(nfail);
}

/* The seed texts' codes: name, class, and the meaning in a few words. */
struct seed {
	int code;
	const char *name;
	const char *class_name;
	const char *desc_words[4]; /* each must appear, any case */
	const char *fix_words[3];
};

static const struct seed seeds[] = {
    {211,
     "System Status",
     "2xx Positive Completion",
     {"system status", "current state"},
     {"No fix needed"}},
    {220,
     "Service Ready",
     "2xx Positive Completion",
     {"ready to begin", "greeting"},
     {"No fix needed"}},
    {221,
     "Closing Connection",
     "2xx Positive Completion",
     {"clos", "transmission channel"},
     {"No fix needed"}},
    {235,
     "Authentication Successful",
     "2xx Positive Completion",
     {"authenticated", "AUTH", "accept", "session"},
     {"No fix needed"}},
    {334,
     "Server Challenge",
     "3xx Positive Intermediate",
     {"challenge", "base64", "SASL", "decode"},
     {"base64", "SASL mechanism"}},
    {421,
     "Service Not Available",
     "4xx Transient Negative",
     {"closing", "transmission channel", "shut down"},
     {"retry", "greylisting"}},
};

static void
test_seeds(void **state)
{
	const struct code_entry *e;
	char cname[16];
	int nfail = 0;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		const struct seed *s = &seeds[i];

		snprintf(cname, sizeof(cname), "%d", s->code);
		e = codetable_basic(builtin, s->code);
		EXPECT(nfail, cname, e != NULL, "no entry");
		if (e == NULL)
			continue;
		EXPECT(nfail, cname, strcmp(e->name, s->name) == 0,
		       "name \"%s\", seed \"%s\"", e->name, s->name);
		EXPECT(nfail, cname, strcmp(e->class_name, s->class_name) == 0,
		       "class \"%s\", seed \"%s\"", e->class_name,
		       s->class_name);
		for (k = 0; k < 4 && s->desc_words[k] != NULL; k++)
			EXPECT(nfail, cname,
			       strcasestr(e->description, s->desc_words[k]) !=
			           NULL,
			       "description lacks \"%s\": %s", s->desc_words[k],
			       e->description);
		for (k = 0; k < 3 && s->fix_words[k] != NULL; k++)
			EXPECT(nfail, cname,
			       strcasestr(e->fix, s->fix_words[k]) != NULL,
			       "fix lacks \"%s\": %s", s->fix_words[k], e->fix);
	}
	EXPECT_DONE(nfail);
}

/* Broken tables: every message exact, every error found. */

/* One entry on one line; extra goes before the closing brace. */
#define ENT(code, name, cls, extra)                                            \
	"{ code = \"" code "\"; name = \"" name "\"; class = \"" cls           \
	"\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who = "        \
	"\"sender\";" extra " }"
#define C4   "4xx Transient Negative"
#define C5   "5xx Permanent Negative"
#define S0   "X.0.XXX Other or Undefined Status"
#define S1   "X.1.XXX Addressing Status"
#define S2   "X.2.XXX Mailbox Status"
#define E00  ENT("X.0.0", "Other", S0, " basic = [ ];")
#define E550 ENT("550", "Mailbox Unavailable", C5, "")
#define MALFORMED                                                              \
	" (want a basic code such as 550 or an enhanced code such as X.1.1)"

struct bad {
	const char *name;
	const char *text;
	const char *want[8]; /* NULL-terminated */
};

static const struct bad bads[] = {
    {"syntax error: trailing comma",
     "codes = (\n" E00 ",\n" E550 ",\n);\n",
     {"t.conf:4: syntax error"}},
    {"syntax error: no value",
     "codes = (\n" E00 ",\n{ code = ; }\n);\n",
     {"t.conf:3: syntax error"}},
    {"syntax error: unclosed group",
     "codes = (\n" E00 ",\n{ code = \"550\";\n);\n",
     {"t.conf:4: syntax error"}},
    /* Nothing from outside the file (it could be anybody's). */
    {"@include",
     "codes = (\n" E00 ",\n\t @include \"/etc/passwd\"\n" E550 "\n);\n",
     {"t.conf:3: @include is not supported: the file must be whole"}},
    {"unknown field",
     "codes = (\n" E00 ",\n"
     "{\n"
     "  code = \"550\";\n"
     "  name = \"Mailbox Unavailable\";\n"
     "  class = \"" C5 "\";\n"
     "  description = \"d.\";\n"
     "  when = \"w.\";\n"
     "  fix = \"f.\"; who = \"sender\";\n"
     "  color = \"red\";\n"
     "}\n);\n",
     {"t.conf:10: unknown field 'color'"}},
    {"missing field",
     "codes = (\n" E00 ",\n"
     "{\n"
     "  code = \"550\";\n"
     "  name = \"Mailbox Unavailable\";\n"
     "  class = \"" C5 "\";\n"
     "  description = \"d.\";\n"
     "  when = \"w.\";\n"
     "  who = \"sender\";\n"
     "}\n);\n",
     {"t.conf:3: missing field 'fix'"}},
    {"who: not one of the five",
     "codes = (\n" E00 ",\n"
     "{ code = \"550\"; name = \"N\"; class = \"" C5 "\";\n"
     "  description = \"d.\"; when = \"w.\"; fix = \"f.\";\n"
     "  who = \"the sender\"; }\n);\n",
     {"t.conf:5: field 'who' must be one of sender, sender-admin, "
      "recipient, recipient-admin or nobody"}},
    {"who: not a string",
     "codes = (\n" E00 ",\n"
     "{ code = \"550\"; name = \"N\"; class = \"" C5 "\";\n"
     "  description = \"d.\"; when = \"w.\"; fix = \"f.\"; who = 3; }\n);\n",
     {"t.conf:4: field 'who' must be one of sender, sender-admin, "
      "recipient, recipient-admin or nobody"}},
    {"missing fields",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = \"N\"; }\n);\n",
     {"t.conf:3: missing field 'class'",
      "t.conf:3: missing field 'description'", "t.conf:3: missing field 'when'",
      "t.conf:3: missing field 'fix'", "t.conf:3: missing field 'who'"}},
    {"missing code",
     "codes = (\n" E00 ",\n{ name = \"N\"; class = \"" C5
     "\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who = \"sender\"; "
     "}\n);\n",
     {"t.conf:3: missing field 'code'"}},
    {"duplicate basic code",
     "codes = (\n" E00 ",\n" E550 ",\n" E550 "\n);\n",
     {"t.conf:4: duplicate code 550 (first defined at line 3)"}},
    {"duplicate enhanced code",
     "codes = (\n" E00
     ",\n" ENT("X.1.1", "A", S1, " basic = [ ];") ",\n" E550 ",\n" ENT(
         "X.1.1", "B", S1, " basic = [ ];") "\n);\n",
     {"t.conf:5: duplicate code X.1.1 (first defined at line 3)"}},
    {"malformed 55",
     "codes = (\n" E00 ",\n" ENT("55", "N", C5, "") "\n);\n",
     {"t.conf:3: malformed code '55'" MALFORMED}},
    {"malformed 5500",
     "codes = (\n" E00 ",\n" ENT("5500", "N", C5, "") "\n);\n",
     {"t.conf:3: malformed code '5500'" MALFORMED}},
    {"malformed 650",
     "codes = (\n" E00 ",\n" ENT("650", "N", C5, "") "\n);\n",
     {"t.conf:3: malformed code '650'" MALFORMED}},
    {"malformed 150",
     "codes = (\n" E00 ",\n" ENT("150", "N", C5, "") "\n);\n",
     {"t.conf:3: malformed code '150'" MALFORMED}},
    {"malformed 5.1",
     "codes = (\n" E00 ",\n" ENT("5.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: malformed code '5.1'" MALFORMED}},
    {"malformed Y.1.1",
     "codes = (\n" E00 ",\n" ENT("Y.1.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: malformed code 'Y.1.1'" MALFORMED}},
    {"class digit in the table 5.1.1",
     "codes = (\n" E00 ",\n" ENT("5.1.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: malformed code '5.1.1'" MALFORMED}},
    {"class digit in the table 4.1.1",
     "codes = (\n" E00 ",\n" ENT("4.1.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: malformed code '4.1.1'" MALFORMED}},
    {"lower-case x.1.1",
     "codes = (\n" E00 ",\n" ENT("x.1.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: malformed code 'x.1.1'" MALFORMED}},
    {"code with a space",
     "codes = (\n" E00 ",\n" ENT("550 ", "N", C5, "") "\n);\n",
     {"t.conf:3: malformed code '550 '" MALFORMED}},
    {"empty code",
     "codes = (\n" E00 ",\n" ENT("", "N", C5, "") "\n);\n",
     {"t.conf:3: field 'code' is empty"}},
    {"code beyond the detail limit",
     "codes = (\n" E00 ",\n" ENT("X.1.100", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: code X.1.100 is beyond X.9.99, the largest supported"}},
    {"code beyond the subject limit",
     "codes = (\n" E00 ",\n" ENT("X.10.1", "N", S1, " basic = [ ];") "\n);\n",
     {"t.conf:3: code X.10.1 is beyond X.9.99, the largest supported"}},
    {"subject with no class",
     "codes = (\n" E00
     ",\n" ENT("X.8.1", "N", "X.8.XXX Other", " basic = [ ];") "\n);\n",
     {"t.conf:3: code X.8.1 has no assigned class"}},
    {"basic class disagrees",
     "codes = (\n" E00 ",\n" ENT("550", "N", C4, "") "\n);\n",
     {"t.conf:3: class '" C4 "' disagrees with code 550 (expected '" C5 "')"}},
    {"basic class written as a subject",
     "codes = (\n" E00 ",\n" ENT("421", "N", S1, "") "\n);\n",
     {"t.conf:3: class '" S1 "' disagrees with code 421 (expected '" C4 "')"}},
    {"enhanced class disagrees",
     "codes = (\n" E00 ",\n" ENT("X.1.1", "N", S2, " basic = [ ];") "\n);\n",
     {"t.conf:3: class '" S2 "' disagrees with code X.1.1 (expected '" S1
      "')"}},
    {"enhanced class written as a basic class",
     "codes = (\n" E00 ",\n" ENT("X.1.1", "N", C5, " basic = [ ];") "\n);\n",
     {"t.conf:3: class '" C5 "' disagrees with code X.1.1 (expected '" S1
      "')"}},
    {"non-ASCII name",
     "codes = (\n" E00 ",\n" ENT("550", "caf\xc3\xa9", C5, "") "\n);\n",
     {"t.conf:3: field 'name' has a character that is not printable ASCII"}},
    {"latin-1 in fix",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = \"N\"; class = \"" C5
     "\"; description = \"d.\"; when = \"w.\"; fix = \"caf\xe9.\"; who = "
     "\"sender\"; }\n);\n",
     {"t.conf:3: field 'fix' has a character that is not printable ASCII"}},
    {"tab in description",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = \"N\"; class = \"" C5
     "\"; description = \"a\\tb.\"; when = \"w.\"; fix = \"f.\"; who = "
     "\"sender\"; }\n);\n",
     {"t.conf:3: field 'description' has a character that is not printable "
      "ASCII"}},
    {"line break in when",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = \"N\"; class = \"" C5
     "\"; description = \"d.\"; when = \"a\\nb.\"; fix = \"f.\"; who = "
     "\"sender\"; }\n);\n",
     {"t.conf:3: field 'when' has a character that is not printable ASCII"}},
    {"empty text",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = \"N\"; class = \"" C5
     "\"; description = \"d.\"; when = \"w.\"; fix = \"\"; who = \"sender\"; "
     "}\n);\n",
     {"t.conf:3: field 'fix' is empty"}},
    {"name too long",
     "codes = (\n" E00 ",\n" ENT(
         "550",
         "NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN",
         C5, "") "\n);\n",
     {"t.conf:3: field 'name' is too long"}},
    {"field not a string",
     "codes = (\n" E00 ",\n{ code = \"550\"; name = 5; class = \"" C5
     "\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who = \"sender\"; "
     "}\n);\n",
     {"t.conf:3: field 'name' must be a string"}},
    {"basic on a basic code",
     "codes = (\n" E00
     ",\n" ENT("550", "N", C5, " basic = [ \"550\" ];") "\n);\n",
     {"t.conf:3: field 'basic' belongs to enhanced codes only"}},
    {"no basic on an enhanced code",
     "codes = (\n" E00 ",\n" ENT("X.1.1", "N", S1, "") "\n);\n",
     {"t.conf:3: missing field 'basic' (use [ ] if none)"}},
    {"basic not an array",
     "codes = (\n" E00
     ",\n" ENT("X.1.1", "N", S1, " basic = \"550\";") ",\n" E550 "\n);\n",
     {"t.conf:3: field 'basic' must be an array of strings"}},
    {"basic of numbers",
     "codes = (\n" E00
     ",\n" ENT("X.1.1", "N", S1, " basic = [ 550 ];") ",\n" E550 "\n);\n",
     {"t.conf:3: field 'basic' must be an array of strings"}},
    {"too many associated codes",
     "codes = (\n" E00 ",\n" E550 ",\n" ENT(
         "X.1.1", "N", S1,
         " basic = [ \"550\", \"550\", \"550\", \"550\", \"550\", \"550\", "
         "\"550\", \"550\", \"550\", \"550\", \"550\", \"550\", \"550\", "
         "\"550\", \"550\", \"550\", \"550\" ];") "\n);\n",
     {"t.conf:4: field 'basic' lists more than 16 codes"}},
    {"code not a string",
     "codes = (\n" E00 ",\n{ code = 550; name = \"N\"; class = \"" C5
     "\"; description = \"d.\"; when = \"w.\"; fix = \"f.\"; who = \"sender\"; "
     "}\n);\n",
     {"t.conf:3: field 'code' must be a string"}},
    {"associated code with no entry",
     "codes = (\n" E00 ",\n" E550
     ",\n" ENT("X.1.1", "N", S1, " basic = [ \"451\", \"550\" ];") "\n);\n",
     {"t.conf:4: X.1.1: associated code 451 has no entry in the table"}},
    {"associated code not a code",
     "codes = (\n" E00 ",\n" E550
     ",\n" ENT("X.1.1", "N", S1,
               " basic = [ \"5.1.1\", \"3xx\", \"550\", \"5xx\" ];") "\n);\n",
     {"t.conf:4: X.1.1: associated code '5.1.1' is not a basic code, 2xx, "
      "4xx, 5xx or any",
      "t.conf:4: X.1.1: associated code '3xx' is not a basic code, 2xx, "
      "4xx, 5xx or any"}},
    {"no X.0.0",
     "codes = (\n" E550 "\n);\n",
     {"t.conf: no entry for X.0.0, the fallback for unknown codes"}},
    {"empty list",
     "codes = ( );\n",
     {"t.conf: no entry for X.0.0, the fallback for unknown codes"}},
    {"unknown top-level setting",
     "version = 1;\ncodes = (\n" E00 "\n);\n",
     {"t.conf:1: unknown setting 'version' (a code table has only 'codes' and "
      "'causes')"}},
    {"no codes list",
     "foo = 1;\n",
     {"t.conf:1: unknown setting 'foo' (a code table has only 'codes' and "
      "'causes')",
      "t.conf: missing list 'codes = ( { code = ...; }, ... );'"}},
    {"empty text",
     "",
     {"t.conf: missing list 'codes = ( { code = ...; }, ... );'"}},
    {"codes not a list",
     "\ncodes = 5;\n",
     {"t.conf:2: missing list 'codes = ( { code = ...; }, ... );'"}},
    {"entry not a group",
     "codes = (\n" E00 ",\n\"550\" );\n",
     {"t.conf:3: each entry of 'codes' must be a group { ... }"}},
    {"several errors",
     "codes = (\n" E00 ",\n" ENT("550", "N", C5, " color = \"red\";") ",\n" ENT(
         "421", "N", C5,
         "") ",\n" ENT("X.1.1", "caf\xc3\xa9", S1,
                       " basic = [ ];") ",\n" ENT("55", "N", C5,
                                                  "") ",\n" E550
                                                      ",\n" ENT("X.2.2", "N",
                                                                S2,
                                                                "") "\n);\n",
     {"t.conf:3: unknown field 'color'",
      "t.conf:4: class '" C5 "' disagrees with code 421 (expected '" C4 "')",
      "t.conf:5: field 'name' has a character that is not printable ASCII",
      "t.conf:6: malformed code '55'" MALFORMED,
      "t.conf:7: duplicate code 550 (first defined at line 3)",
      "t.conf:8: missing field 'basic' (use [ ] if none)"}},
};

static void
test_errors(void **state)
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
		nfail += diag_expect(&d, bads[i].name, bads[i].want);
	}
	EXPECT_DONE(nfail);
}

/* Whole-table checks (associated codes) run alongside the others. */
static void
test_errors_assoc_with_others(void **state)
{
	static const char *const want[] = {
	    "t.conf:4: X.1.1: associated code 452 has no entry in the table",
	    "t.conf:5: class '" C5 "' disagrees with code 421 (expected '" C4
	    "')",
	    NULL};
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_null(codetable_load_string(
	    "t.conf",
	    "codes = (\n" E00 ",\n" E550
	    ",\n" ENT("X.1.1", "N", S1, " basic = [ \"452\" ];") ",\n" ENT(
	        "421", "N", C5, "") "\n);\n",
	    &d));
	assert_int_equal(diag_expect(&d, "assoc with others", want), 0);
}

/* A small valid table: loads, and its entries say where they were. */
static void
test_small_valid(void **state)
{
	const struct code_entry *e;
	struct codetable *t;
	struct diag d;

	(void)state;
	diag_init(&d);
	t = codetable_load_string(
	    "t.conf",
	    "# comment\ncodes = (\n" E00 ",\n" E550
	    ",\n" ENT("X.1.1", "Bad Mailbox", S1,
	              " basic = [ \"550\", \"5xx\", \"any\" ];") "\n);\n",
	    &d);
	if (t == NULL)
		diag_print(&d, "small valid");
	assert_non_null(t);
	assert_int_equal(d.count, 0);
	assert_int_equal(codetable_size(t), 3);
	assert_string_equal(codetable_source(t), "t.conf");
	e = codetable_basic(t, 550);
	assert_non_null(e);
	assert_int_equal(e->kind, CODE_BASIC);
	assert_int_equal(e->line, 4);
	assert_string_equal(e->name, "Mailbox Unavailable");
	assert_int_equal(e->who, WHO_SENDER);
	e = codetable_enhanced(t, 1, 1);
	assert_non_null(e);
	assert_int_equal(e->kind, CODE_ENHANCED);
	assert_int_equal(e->line, 5);
	assert_int_equal(e->nassoc, 3);
	assert_string_equal(e->assoc[0], "550");
	assert_string_equal(e->assoc[2], "any");
	assert_null(codetable_basic(t, 421));
	assert_null(codetable_enhanced(t, 1, 2));
	codetable_free(t);
}

/* Past DIAG_MAX messages the rest are counted and said to be missing. */
static void
collect(const char *msg, void *arg)
{
	char *last = arg;

	snprintf(last, DIAG_MSG_MAX, "%s", msg);
}

static void
test_many_errors(void **state)
{
	char *text, last[DIAG_MSG_MAX];
	size_t n = 0, i, cap = 100000;
	struct diag d;

	(void)state;
	text = malloc(cap);
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "codes = (\n%s", E00);
	for (i = 0; i < 70; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      ",\n" ENT("%zu", "N", C5, " color = 1;"),
		                      500 + i);
	snprintf(text + n, cap - n, "\n);\n");
	diag_init(&d);
	assert_null(codetable_load_string("t.conf", text, &d));
	assert_int_equal(d.count, 70);
	assert_int_equal(diag_stored(&d), DIAG_MAX);
	assert_string_equal(d.msg[0], "t.conf:3: unknown field 'color'");
	diag_each(&d, collect, last);
	assert_string_equal(last, "... and 6 more errors");
	free(text);
}

/* code_parse: basic, enhanced (class digit or X), and what is neither. */
struct pc {
	const char *in;
	int rc;
	enum code_kind kind;
	int cls, basic, subject, detail;
};

static const struct pc pcs[] = {
    {"550", 0, CODE_BASIC, 5, 550, 0, 0},
    {"250", 0, CODE_BASIC, 2, 250, 0, 0},
    {"354", 0, CODE_BASIC, 3, 354, 0, 0},
    {"421", 0, CODE_BASIC, 4, 421, 0, 0},
    {"599", 0, CODE_BASIC, 5, 599, 0, 0},
    {"5.1.1", 0, CODE_ENHANCED, 5, 0, 1, 1},
    {"4.7.26", 0, CODE_ENHANCED, 4, 0, 7, 26},
    {"2.0.0", 0, CODE_ENHANCED, 2, 0, 0, 0},
    {"5.7.606", 0, CODE_ENHANCED, 5, 0, 7, 606},
    {"5.999.999", 0, CODE_ENHANCED, 5, 0, 999, 999},
    {"X.1.1", 0, CODE_ENHANCED, 0, 0, 1, 1},
    {"x.1.1", 0, CODE_ENHANCED, 0, 0, 1, 1},
    {"X.7.30", 0, CODE_ENHANCED, 0, 0, 7, 30},
    {"5.01.001", 0, CODE_ENHANCED, 5, 0, 1, 1},
    {"150", -1, 0, 0, 0, 0, 0},
    {"650", -1, 0, 0, 0, 0, 0},
    {"050", -1, 0, 0, 0, 0, 0},
    {"3.1.1", -1, 0, 0, 0, 0, 0},
    {"1.1.1", -1, 0, 0, 0, 0, 0},
    {"55", -1, 0, 0, 0, 0, 0},
    {"5", -1, 0, 0, 0, 0, 0},
    {"", -1, 0, 0, 0, 0, 0},
    {"5500", -1, 0, 0, 0, 0, 0},
    {"550 ", -1, 0, 0, 0, 0, 0},
    {" 550", -1, 0, 0, 0, 0, 0},
    {"55a", -1, 0, 0, 0, 0, 0},
    {"5.1", -1, 0, 0, 0, 0, 0},
    {"5.1.", -1, 0, 0, 0, 0, 0},
    {"5..1", -1, 0, 0, 0, 0, 0},
    {".1.1", -1, 0, 0, 0, 0, 0},
    {"5.1.1.1", -1, 0, 0, 0, 0, 0},
    {"5.1.1 ", -1, 0, 0, 0, 0, 0},
    {"5.1234.1", -1, 0, 0, 0, 0, 0},
    {"5.1.1234", -1, 0, 0, 0, 0, 0},
    {"Y.1.1", -1, 0, 0, 0, 0, 0},
    {"X.1", -1, 0, 0, 0, 0, 0},
    {"X", -1, 0, 0, 0, 0, 0},
    {"X.a.1", -1, 0, 0, 0, 0, 0},
    {"5-1-1", -1, 0, 0, 0, 0, 0},
    {"5xx", -1, 0, 0, 0, 0, 0},
};

static void
test_code_parse(void **state)
{
	struct code_ref ref;
	int nfail = 0, rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pcs) / sizeof(pcs[0]); i++) {
		const struct pc *c = &pcs[i];

		memset(&ref, 0x5a, sizeof(ref));
		rc = code_parse(c->in, &ref);
		EXPECT(nfail, c->in, rc == c->rc, "rc %d, want %d", rc, c->rc);
		if (rc != 0 || c->rc != 0)
			continue;
		EXPECT(nfail, c->in, ref.kind == c->kind, "kind %d, want %d",
		       ref.kind, c->kind);
		EXPECT(nfail, c->in, ref.cls == c->cls, "cls %d, want %d",
		       ref.cls, c->cls);
		if (c->kind == CODE_BASIC)
			EXPECT(nfail, c->in, ref.basic == c->basic,
			       "basic %d, want %d", ref.basic, c->basic);
		else
			EXPECT(nfail, c->in,
			       ref.subject == c->subject &&
			           ref.detail == c->detail,
			       "subject.detail %d.%d, want %d.%d", ref.subject,
			       ref.detail, c->subject, c->detail);
	}
	EXPECT_DONE(nfail);
}

static void
test_names(void **state)
{
	(void)state;
	assert_null(code_class_name(0));
	assert_null(code_class_name(1));
	assert_string_equal(code_class_name(2), "2xx Positive Completion");
	assert_string_equal(code_class_name(3), "3xx Positive Intermediate");
	assert_string_equal(code_class_name(4), "4xx Transient Negative");
	assert_string_equal(code_class_name(5), "5xx Permanent Negative");
	assert_null(code_class_name(6));
	assert_null(code_class_name(-1));
	assert_string_equal(code_subject_name(0),
	                    "X.0.XXX Other or Undefined Status");
	assert_string_equal(code_subject_name(7),
	                    "X.7.XXX Security or Policy Status");
	assert_null(code_subject_name(8));
	assert_null(code_subject_name(-1));
	assert_null(code_subject_name(CODE_SUBJECT_MAX));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_reference),
	    cmocka_unit_test(test_seeds),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_assoc_with_others),
	    cmocka_unit_test(test_small_valid),
	    cmocka_unit_test(test_many_errors),
	    cmocka_unit_test(test_code_parse),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
