/*
 * test_macrolist - the proxy adds its macro names to an upstream's lists,
 * comparing whole names: an upstream asking for {mail_addr} still gets
 * the proxy's i (queue id), and {i}/i are one macro.
 */
#include "unit.h"

#include "engine/session.h"
#include "proxy/macrolist.h"

static void
test_whole_names(void **state)
{
	static const struct {
		const char *name, *theirs, *ours, *want;
	} cases[] = {
	    /* The bug: "i" is inside "{mail_addr}" but not named by it. */
	    {"substring is not a name", "{mail_addr}", "i {auth_authen}",
	     "{mail_addr} i {auth_authen}"},
	    {"inside a longer name", "{rcpt_mailer_x} j", "{rcpt_mailer} i",
	     "{rcpt_mailer_x} j {rcpt_mailer} i"},
	    {"already there", "i {auth_authen}", "i {auth_authen}",
	     "i {auth_authen}"},
	    {"braces or not, one macro", "{i} auth_authen", "i {auth_authen}",
	     "{i} auth_authen"},
	    {"empty list of theirs", "", "i", "i"},
	    {"extra spaces", "  v  ", " i  v ", "  v   i"},
	    {"ours repeats a name", "j", "i i", "j i"},
	};
	char buf[128], shown[256];
	const char *got;
	size_t i;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = macrolist_merge(buf, sizeof(buf), cases[i].theirs,
		                      cases[i].ours);
		EXPECT(nfail, cases[i].name,
		       got != NULL && strcmp(got, cases[i].want) == 0,
		       "got \"%s\", want \"%s\"",
		       unit_show(got, shown, sizeof(shown)), cases[i].want);
	}
	EXPECT_DONE(nfail);
}

static void
test_has(void **state)
{
	(void)state;
	assert_true(macrolist_has("v j _", "j", 1));
	assert_true(macrolist_has("{auth_authen}", "auth_authen", 11));
	assert_false(macrolist_has("{mail_addr}", "i", 1));
	assert_false(macrolist_has("{mail_addr}", "mail", 4));
	assert_false(macrolist_has("", "i", 1));
	assert_true(macro_same("{i}", 3, "i", 1));
	assert_false(macro_same("ii", 2, "i", 1));
}

static void
test_limits(void **state)
{
	char buf[12];

	(void)state;
	/* A name of ours that does not fit is left out whole, never cut. */
	assert_string_equal(
	    macrolist_merge(buf, sizeof(buf), "abcdefg", "{long_name} i"),
	    "abcdefg i");
	/* Theirs alone does not fit: the caller keeps theirs. */
	assert_null(macrolist_merge(buf, sizeof(buf), "abcdefghijklmno", "i"));
}

/* Every stage's list of ours survives merging into any upstream's. */
static void
test_session_lists_kept(void **state)
{
	static const char *const theirs[] = {"", "{mail_addr}", "{rcpt_addr}",
	                                     "{i} {mail_host}"};
	char buf[512];
	const char *ours, *got, *p;
	size_t k, len;
	int st;

	(void)state;
	for (st = 0; st < SESSION_MACRO_STAGES; st++) {
		if ((ours = session_macros(st)) == NULL)
			continue;
		for (k = 0; k < sizeof(theirs) / sizeof(theirs[0]); k++) {
			got =
			    macrolist_merge(buf, sizeof(buf), theirs[k], ours);
			assert_non_null(got);
			for (p = ours; *p != '\0'; p += len) {
				p += strspn(p, " ");
				len = strcspn(p, " ");
				if (len > 0)
					assert_true(macrolist_has(got, p, len));
			}
		}
	}
	/* The connect list is the same one in both modes: "v". */
	assert_string_equal(session_macros(SESSION_MACRO_CONNECT), "v");
	assert_null(session_macros(SESSION_MACRO_STAGES));
	assert_null(session_macros(-1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_whole_names),
	    cmocka_unit_test(test_has),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_session_lists_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
