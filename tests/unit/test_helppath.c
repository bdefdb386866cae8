/*
 * test_helppath - the help site's file names, which the reply engine's
 * links and export html must agree on.
 */
#include "unit.h"

#include "core/codetable.h"
#include "core/helppath.h"

static struct codetable *builtin;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	builtin = codetable_load_builtin(&d);
	return builtin == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	codetable_free(builtin);
	return 0;
}

static const struct code_entry *
entry(const char *code)
{
	struct code_ref ref;

	assert_int_equal(code_parse(code, &ref), 0);
	return codetable_find(builtin, &ref);
}

static void
test_code(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(helppath_code(entry("550"), buf, sizeof(buf)), 13);
	assert_string_equal(buf, "code/550.html");
	assert_int_equal(helppath_code(entry("X.7.1"), buf, sizeof(buf)), 15);
	assert_string_equal(buf, "code/x.7.1.html");
	assert_true(helppath_code(entry("X.7.30"), buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "code/x.7.30.html");
	/* Exactly the length fits with its NUL; one less does not. */
	assert_int_equal(helppath_code(entry("550"), buf, 13), -1);
	assert_string_equal(buf, "");
	assert_int_equal(helppath_code(entry("550"), buf, 14), 13);
	assert_int_equal(helppath_code(entry("550"), buf, 0), -1);
}

static void
test_cause(void **state)
{
	static const char *const bad[] = {
	    "",
	    "..",
	    "../etc",
	    "a/b",
	    "Dnsbl",
	    ".hidden",
	    "a..b",
	    "a b",
	    "a\"b",
	    "<x>",
	    "a%2fb",
	    "caf\xc3\xa9",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	char buf[128];
	size_t i;
	int nfail = 0;

	(void)state;
	assert_int_equal(helppath_cause("dnsbl-listed", buf, sizeof(buf)), 23);
	assert_string_equal(buf, "cause/dnsbl-listed.html");
	assert_true(helppath_cause("spf_fail.v2", buf, sizeof(buf)) > 0);
	assert_int_equal(helppath_cause("dnsbl-listed", buf, 23), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(buf, "unchanged");
		EXPECT(nfail, bad[i],
		       helppath_cause(bad[i], buf, sizeof(buf)) == -1 &&
		           buf[0] == '\0',
		       "accepted as %s", buf);
	}
	EXPECT_DONE(nfail);
}

static void
test_compare(void **state)
{
	char buf[64];

	(void)state;
	assert_true(
	    helppath_compare(entry("211"), entry("334"), buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "compare/211-vs-334.html");
	/* Either order names the table's first entry first. */
	assert_true(helppath_compare(entry("X.7.1"), entry("550"), buf,
	                             sizeof(buf)) > 0);
	assert_string_equal(buf, "compare/550-vs-x.7.1.html");
	assert_true(helppath_compare(entry("X.7.10"), entry("X.7.9"), buf,
	                             sizeof(buf)) > 0);
	assert_string_equal(buf, "compare/x.7.9-vs-x.7.10.html");
	assert_int_equal(helppath_compare(entry("211"), entry("334"), buf, 10),
	                 -1);
	assert_string_equal(buf, "");
}

/* A table written on one line keeps its order too. */
static void
test_compare_one_line(void **state)
{
	static const char text[] =
	    "codes = ( { code = \"X.0.0\"; name = \"N\"; class = \"X.0.XXX "
	    "Other or Undefined Status\"; description = \"D.\"; when = "
	    "\"W.\"; fix = \"F.\"; who = \"sender\"; basic = [ ]; }, { code = "
	    "\"550\"; name = "
	    "\"N\"; class = \"5xx Permanent Negative\"; description = \"D.\"; "
	    "when = \"W.\"; fix = \"F.\"; who = \"sender\"; } );";
	struct codetable *t;
	struct code_ref r550, rx;
	struct diag d;
	char buf[64];

	(void)state;
	diag_init(&d);
	t = codetable_load_string("t.conf", text, &d);
	assert_non_null(t);
	code_parse("550", &r550);
	code_parse("X.0.0", &rx);
	assert_true(helppath_compare(codetable_find(t, &r550),
	                             codetable_find(t, &rx), buf,
	                             sizeof(buf)) > 0);
	assert_string_equal(buf, "compare/x.0.0-vs-550.html");
	codetable_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_code),
	    cmocka_unit_test(test_cause),
	    cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_compare_one_line),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
