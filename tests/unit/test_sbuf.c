/*
 * test_sbuf - the bounded string builder: text up to the capacity, always
 * NUL-terminated, a cut remembered and nothing appended after it, decimal
 * numbers at their limits, and a zero capacity refused as a bug.
 */
#include "unit.h"

#include <limits.h>
#include <signal.h>
#include <sys/wait.h>

#include "core/sbuf.h"

static void
test_fits(void **state)
{
	char buf[32];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	assert_string_equal(sbuf_str(&sb), "");
	sbuf_put(&sb, "550");
	sbuf_putc(&sb, ' ');
	sbuf_putn(&sb, "5.7.1xyz", 5);
	sbuf_put(&sb, NULL);
	sbuf_putc(&sb, ' ');
	sbuf_dec(&sb, 42);
	assert_string_equal(buf, "550 5.7.1 42");
	assert_int_equal(sbuf_len(&sb), 12);
	assert_false(sbuf_cut(&sb));
}

static void
test_cut_exactly_at_capacity(void **state)
{
	char buf[8];
	struct sbuf sb;

	(void)state;
	/* Seven bytes and the NUL fill it: no cut. */
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_put(&sb, "1234567");
	assert_false(sbuf_cut(&sb));
	assert_string_equal(buf, "1234567");
	/* One more is cut, and the NUL stays at the end. */
	sbuf_putc(&sb, '8');
	assert_true(sbuf_cut(&sb));
	assert_string_equal(buf, "1234567");
	assert_int_equal(sbuf_len(&sb), 7);
}

static void
test_nothing_after_a_cut(void **state)
{
	char buf[8];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_put(&sb, "abcdefghij");
	assert_true(sbuf_cut(&sb));
	assert_string_equal(buf, "abcdefg");
	/* Room or not, text never resumes after a gap. */
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_put(&sb, "abc");
	sbuf_put(&sb, "defghijk");
	sbuf_put(&sb, "z");
	sbuf_dec(&sb, 1);
	assert_string_equal(buf, "abcdefg");
	assert_true(sbuf_cut(&sb));
}

static void
test_capacity_one(void **state)
{
	char buf[1] = {'x'};
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	assert_int_equal(buf[0], '\0');
	sbuf_put(&sb, "");
	assert_false(sbuf_cut(&sb));
	sbuf_putc(&sb, 'a');
	assert_true(sbuf_cut(&sb));
	assert_int_equal(buf[0], '\0');
}

static void
test_decimal(void **state)
{
	static const struct {
		long v;
		const char *want;
	} cases[] = {
	    {0, "0"}, {7, "7"}, {-7, "-7"}, {550, "550"}, {1000000, "1000000"},
	};
	char buf[32], want[32];
	struct sbuf sb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sbuf_init(&sb, buf, sizeof(buf));
		sbuf_dec(&sb, cases[i].v);
		assert_string_equal(buf, cases[i].want);
	}
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_dec(&sb, LONG_MIN);
	snprintf(want, sizeof(want), "%ld", LONG_MIN);
	assert_string_equal(buf, want);
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_dec(&sb, LONG_MAX);
	snprintf(want, sizeof(want), "%ld", LONG_MAX);
	assert_string_equal(buf, want);
	/* A number that does not fit is cut like any text. */
	sbuf_init(&sb, buf, 4);
	sbuf_dec(&sb, 12345);
	assert_string_equal(buf, "123");
	assert_true(sbuf_cut(&sb));
}

static void
test_printf(void **state)
{
	char buf[16];
	struct sbuf sb;

	(void)state;
	sbuf_init(&sb, buf, sizeof(buf));
	sbuf_put(&sb, "a=");
	sbuf_printf(&sb, "%d/%s", 5, "x");
	assert_string_equal(buf, "a=5/x");
	assert_false(sbuf_cut(&sb));
	sbuf_printf(&sb, "%s", "0123456789abcdef");
	assert_true(sbuf_cut(&sb));
	assert_int_equal(sbuf_len(&sb), 15);
	assert_int_equal(strlen(buf), 15);
	assert_memory_equal(buf, "a=5/x0123456789", 15);
}

/* A zero capacity is a broken invariant: ma_bug aborts. */
static void
test_zero_capacity_is_a_bug(void **state)
{
	char buf[1];
	struct sbuf sb;
	pid_t pid;
	int st;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The child's message is expected; keep the log quiet. */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(2);
		sbuf_init(&sb, buf, 0);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fits),
	    cmocka_unit_test(test_cut_exactly_at_capacity),
	    cmocka_unit_test(test_nothing_after_a_cut),
	    cmocka_unit_test(test_capacity_one),
	    cmocka_unit_test(test_decimal),
	    cmocka_unit_test(test_printf),
	    cmocka_unit_test(test_zero_capacity_is_a_bug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
