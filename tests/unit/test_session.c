/*
 * test_session - each stage's decision, driven through a fake milter_io
 * that records what libmilter would have been given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "engine/config.h"
#include "engine/session.h"

#define MAX_MACROS 8

/* The fake libmilter: macros to return, replies received. */
struct fake {
	const char *macro_name[MAX_MACROS];
	const char *macro_value[MAX_MACROS];
	int fail_replies; /* fail this many set_reply calls first */
	int calls;
	char code[8];
	char ecode[32];
	size_t nlines;
	char lines[REPLY_MAX_LINES][2 * REPLY_WIDTH_MAX + 1];
};

static struct fake F;

static const char *
fake_macro(void *ctx, const char *name)
{
	int i;

	(void)ctx;
	for (i = 0; i < MAX_MACROS && F.macro_name[i] != NULL; i++)
		if (strcmp(F.macro_name[i], name) == 0)
			return F.macro_value[i];
	return NULL;
}

static int
fake_set_reply(void *ctx, const char *code, const char *ecode,
               const char *const *lines, size_t n)
{
	size_t i;

	(void)ctx;
	F.calls++;
	if (F.fail_replies > 0) {
		F.fail_replies--;
		return -1;
	}
	snprintf(F.code, sizeof(F.code), "%s", code);
	snprintf(F.ecode, sizeof(F.ecode), "%s", ecode ? ecode : "");
	F.nlines = n;
	for (i = 0; i < n; i++)
		snprintf(F.lines[i], sizeof(F.lines[i]), "%s", lines[i]);
	return 0;
}

static const struct milter_io fake_io = {fake_macro, fake_set_reply};

static void
set_macro(const char *name, const char *value)
{
	int i;

	for (i = 0; i < MAX_MACROS - 1 && F.macro_name[i] != NULL; i++)
		if (strcmp(F.macro_name[i], name) == 0)
			break;
	F.macro_name[i] = name;
	F.macro_value[i] = value;
}

/* A session over a configuration made of the given text. */
struct fixture {
	char path[64];
	struct config *cfg;
	struct stats stats;
	struct session_env env;
	struct session s;
};

static struct fixture *
setup_with(const char *text)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct diag d;
	FILE *fp;
	int fd;

	assert_non_null(fx);
	memset(&F, 0, sizeof(F));
	snprintf(fx->path, sizeof(fx->path), "/tmp/test_session.XXXXXX");
	fd = mkstemp(fx->path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("log = \"stderr\";\n", fp);
	fputs(text, fp);
	fclose(fp);
	diag_init(&d);
	fx->cfg = config_load(fx->path, NULL, &d);
	if (fx->cfg == NULL)
		fail_msg("config: %s", d.msg[0]);
	fx->env.io = &fake_io;
	fx->env.stats = &fx->stats;
	session_init(&fx->s, fx->cfg, &fx->env, NULL);
	return fx;
}

static void
teardown_fx(struct fixture *fx)
{
	unlink(fx->path);
	config_free(fx->cfg);
	free(fx);
}

static struct sockaddr_in
v4(const char *a)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40025); /* a TCP client's: never 0 */
	assert_int_equal(inet_pton(AF_INET, a, &sin.sin_addr), 1);
	return sin;
}

/* The connect and HELO Postfix makes up for mail of its own path. */
static void
connect_postfix_made(struct fixture *fx)
{
	struct sockaddr_in sin = v4("127.0.0.1");

	sin.sin_port = 0;
	assert_int_equal(
	    session_connect(&fx->s, "localhost", (struct sockaddr *)&sin),
	    ACT_CONTINUE);
	assert_int_equal(session_helo(&fx->s, "localhost"), ACT_CONTINUE);
}

static void
connect_from(struct fixture *fx, const char *addr, enum action want)
{
	struct sockaddr_in sin = v4(addr);

	assert_int_equal(
	    session_connect(&fx->s, "client.example", (struct sockaddr *)&sin),
	    want);
}

/* Index of the first line starting with prefix, or -1. */
static int
line_starting(const char *prefix)
{
	size_t i;

	for (i = 0; i < F.nlines; i++)
		if (strncmp(F.lines[i], prefix, strlen(prefix)) == 0)
			return (int)i;
	return -1;
}

#define RULES                                                                  \
	"rules = (\n"                                                          \
	" { name = \"conn\"; stage = \"connect\"; client_addr = [ "            \
	"\"192.0.2.0/24\" ]; reply = \"550 5.7.1 Your network is blocked\"; "  \
	"},\n"                                                                 \
	" { name = \"drop\"; stage = \"connect\"; client_addr = [ "            \
	"\"198.51.100.0/24\" ]; reply = \"421 4.7.0 Too many connections\"; "  \
	"},\n"                                                                 \
	" { name = \"helo\"; stage = \"helo\"; helo = \"^bad\\\\.\"; "         \
	"reply = \"554 5.7.1 Bad HELO\"; },\n"                                 \
	" { name = \"auth\"; stage = \"mail\"; auth = true; from = "           \
	"\"^<?vip@\"; "                                                        \
	"reply = \"550 5.7.1 VIPs may not send\"; },\n"                        \
	" { name = \"grey\"; stage = \"mail\"; from = \"^<?grey@\"; "          \
	"reply = \"451 4.7.1 Greylisted, 100% sure\"; },\n"                    \
	" { name = \"relay\"; stage = \"rcpt\"; rcpt = \"^<?blocked@\"; "      \
	"reply = \"550 5.7.1 Relaying denied\"; },\n"                          \
	" { name = \"subj\"; stage = \"header\"; header = \"Subject: "         \
	"forbidden\"; reply = \"554 5.7.1 Content refused\"; },\n"             \
	" { name = \"late\"; stage = \"eom\"; header = \"X-Spam: yes\"; "      \
	"rcpt = \"^<?victim@\"; reply = \"550 5.7.1 Spam for victim\"; }\n"    \
	");\n"

#define LOCAL_RULES                                                            \
	"rules = (\n"                                                          \
	" { name = \"loop\"; stage = \"connect\"; client_addr = [ "            \
	"\"127.0.0.1\" ]; reply = \"421 4.7.0 Closing\"; },\n"                 \
	" { name = \"lh\"; stage = \"helo\"; helo = \"^localhost$\"; "         \
	"reply = \"550 5.7.1 No localhost\"; },\n"                             \
	" { name = \"relay\"; stage = \"rcpt\"; rcpt = \"^<?blocked@\"; "      \
	"reply = \"550 5.7.1 Relaying denied\"; },\n"                          \
	" { name = \"bounce\"; stage = \"header\"; header = \"From: "          \
	"MAILER-DAEMON\"; reply = \"554 5.7.1 No bounces\"; },\n"              \
	" { name = \"late\"; stage = \"eom\"; rcpt = \"^<?blocked@\"; "        \
	"reply = \"451 4.7.1 Later\"; }\n"                                     \
	");\n"

/*
 * A bounce Postfix makes (its non-SMTP path, null sender): rules match at
 * every stage, none is applied, each is counted as spared.
 */
static void
test_postfix_notification_spared(void **state)
{
	struct fixture *fx = setup_with(LOCAL_RULES);
	const char *from[] = {"<>", ""};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		connect_postfix_made(fx);
		assert_int_equal(session_mail(&fx->s, from[i]), ACT_CONTINUE);
		assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
		                 ACT_CONTINUE);
		assert_int_equal(
		    session_header(&fx->s, "From", "MAILER-DAEMON@example.org"),
		    ACT_CONTINUE);
		assert_int_equal(session_eom(&fx->s), ACT_CONTINUE);
		session_end_message(&fx->s);
		fx->s.pending = NULL;
	}
	assert_int_equal(F.calls, 0);
	/* Per message: the pending connect rule, rcpt, header, eom. */
	assert_int_equal(atomic_load(&fx->stats.spared), 8);
	teardown_fx(fx);
}

/* Local submission on the same path has a sender: the rules apply. */
static void
test_postfix_path_with_sender_meets_rules(void **state)
{
	struct fixture *fx = setup_with(LOCAL_RULES);

	(void)state;
	connect_postfix_made(fx);
	/* The 421 waited for the sender instead of closing at connect. */
	assert_int_equal(session_mail(&fx->s, "<root@example.org>"),
	                 ACT_TEMPFAIL);
	assert_string_equal(F.code, "421");
	assert_int_equal(atomic_load(&fx->stats.spared), 0);
	teardown_fx(fx);
}

/* A TCP client from 127.0.0.1 with a null sender is an SMTP session. */
static void
test_null_sender_by_smtp_meets_rules(void **state)
{
	struct fixture *fx = setup_with(LOCAL_RULES);
	struct sockaddr_in sin = v4("127.0.0.1");

	(void)state;
	assert_int_equal(
	    session_connect(&fx->s, "localhost", (struct sockaddr *)&sin),
	    ACT_TEMPFAIL);
	assert_string_equal(F.code, "421");
	teardown_fx(fx);
	fx = setup_with(RULES);
	connect_from(fx, "127.0.0.1", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_REJECT);
	assert_int_equal(atomic_load(&fx->stats.spared), 0);
	teardown_fx(fx);
}

static void
test_rcpt_reject_is_annotated(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_helo(&fx->s, "good.example"), ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<ok@example.net>"),
	                 ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_REJECT);
	assert_string_equal(F.code, "550");
	assert_string_equal(F.ecode, "5.7.1");
	assert_string_equal(F.lines[0], "Relaying denied");
	assert_true(line_starting("Explanation: ") > 0);
	assert_true(line_starting("How to fix: ") >
	            line_starting("Explanation: "));
	assert_int_equal(fx->stats.by_source[SRC_RULE], 1);
	assert_int_equal(fx->stats.by_enhanced[7][1], 1);
	teardown_fx(fx);
}

static void
test_tempfail_and_percent(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<grey@example.org>"),
	                 ACT_TEMPFAIL);
	assert_string_equal(F.code, "451");
	assert_string_equal(F.ecode, "4.7.1");
	/* libmilter takes the text as a format: '%' must arrive doubled. */
	assert_string_equal(F.lines[0], "Greylisted, 100%% sure");
	teardown_fx(fx);
}

/*
 * Every line of the reply set is the annotated reply's line, '%' doubled:
 * lines with '%' (copied) and without (passed as they are) alike.
 */
static void
check_lines_as_annotated(struct fixture *fx, const char *text)
{
	struct reply_vars vars = {fx->s.queue_id, fx->s.client_addr, NULL, NULL,
	                          NULL};
	struct reply *rep = malloc(sizeof(*rep));
	struct reply_out *o = malloc(sizeof(*o));
	char want[2 * REPLY_WIDTH_MAX + 1];
	size_t i;

	assert_non_null(rep);
	assert_non_null(o);
	assert_int_equal(reply_parse(rep, text, strlen(text)), 0);
	assert_int_equal(
	    reply_annotate(rep, fx->cfg->table, &fx->cfg->site, &vars, o),
	    REPLY_ANNOTATED);
	assert_int_equal(F.nlines, o->nlines);
	assert_true(F.nlines > 2);
	for (i = 0; i < o->nlines; i++) {
		assert_int_equal(
		    reply_escape_percent(o->line[i], want, sizeof(want)), 0);
		assert_string_equal(F.lines[i], want);
	}
	free(rep);
	free(o);
}

static void
test_lines_as_annotated(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<grey@example.org>"),
	                 ACT_TEMPFAIL);
	check_lines_as_annotated(fx, "451 4.7.1 Greylisted, 100% sure");
	session_end_message(&fx->s);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_REJECT);
	check_lines_as_annotated(fx, "550 5.7.1 Relaying denied");
	teardown_fx(fx);
}

static void
test_connect_decision_answered_at_mail(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "192.0.2.7", ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(session_helo(&fx->s, "good.example"), ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_REJECT);
	assert_string_equal(F.lines[0], "Your network is blocked");
	/* A second attempt in the same session is refused the same way. */
	assert_int_equal(session_mail(&fx->s, "<b@example.org>"), ACT_REJECT);
	assert_int_equal(F.calls, 2);
	teardown_fx(fx);
}

static void
test_connect_421_closes_at_once(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "198.51.100.9", ACT_TEMPFAIL);
	assert_string_equal(F.code, "421");
	assert_string_equal(F.lines[0], "Too many connections");
	teardown_fx(fx);
}

static void
test_helo_decision_answered_at_mail(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_helo(&fx->s, "BAD.example"), ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_REJECT);
	assert_string_equal(F.code, "554");
	assert_string_equal(F.lines[0], "Bad HELO");
	teardown_fx(fx);
}

static void
test_auth_matcher(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<vip@example.org>"),
	                 ACT_CONTINUE);
	set_macro("{auth_authen}", "vip");
	assert_int_equal(session_mail(&fx->s, "<vip@example.org>"), ACT_REJECT);
	assert_string_equal(F.lines[0], "VIPs may not send");
	teardown_fx(fx);
}

static void
test_header_and_eom(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<victim@example.net>"),
	                 ACT_CONTINUE);
	assert_int_equal(session_header(&fx->s, "Subject", "hello"),
	                 ACT_CONTINUE);
	assert_int_equal(session_header(&fx->s, "x-spam", "YES"), ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(session_eom(&fx->s), ACT_REJECT);
	assert_string_equal(F.lines[0], "Spam for victim");

	/* The next message starts clean: no header hit remembered. */
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<victim@example.net>"),
	                 ACT_CONTINUE);
	assert_int_equal(session_eom(&fx->s), ACT_CONTINUE);

	/* Header rule, and eom needs both its matchers. */
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<other@example.net>"),
	                 ACT_CONTINUE);
	assert_int_equal(session_header(&fx->s, "X-Spam", "yes"), ACT_CONTINUE);
	assert_int_equal(session_eom(&fx->s), ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	assert_int_equal(session_header(&fx->s, "Subject", "so FORBIDDEN"),
	                 ACT_REJECT);
	assert_string_equal(F.lines[0], "Content refused");
	teardown_fx(fx);
}

static void
test_mta_rejected_rcpt_is_observed(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	set_macro("{rcpt_mailer}", "error");
	set_macro("{rcpt_host}", "5.1.1");
	set_macro("{rcpt_addr}", "User unknown in local recipient table");
	/* Even a recipient a rule would reject: the MTA's reply stands. */
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(fx->stats.by_source[SRC_MTA], 1);
	assert_int_equal(fx->stats.by_source[SRC_RULE], 0);
	assert_int_equal(fx->stats.by_enhanced[1][1], 1);
	/* An unregistered code still counts, under its subject. */
	set_macro("{rcpt_host}", "4.7.99");
	assert_int_equal(session_rcpt(&fx->s, "<x@example.net>"), ACT_CONTINUE);
	assert_int_equal(fx->stats.by_enhanced[7][0], 1);
	teardown_fx(fx);
}

/*
 * A rule's reply is annotated once at load only when nothing of the
 * session shows in it: with ${queue_id} in a template, each session gets
 * its own.
 */
static void
test_rule_reply_per_session_values(void **state)
{
	struct fixture *fx =
	    setup_with(RULES "reference = \"ref-${queue_id}\";\n");
	const char *ids[] = {"AAA111", "BBB222"};
	char want[64];
	int i, k;

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	for (i = 0; i < 2; i++) {
		set_macro("i", ids[i]);
		session_end_message(&fx->s);
		assert_int_equal(session_mail(&fx->s, "<a@example.org>"),
		                 ACT_CONTINUE);
		assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
		                 ACT_REJECT);
		k = line_starting("Reference: ");
		assert_true(k > 0);
		snprintf(want, sizeof(want), "Reference: ref-%s", ids[i]);
		assert_string_equal(F.lines[k], want);
	}
	teardown_fx(fx);
}

static void
test_fallback_to_original_reply(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	F.fail_replies = 1; /* the annotated reply is refused */
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_REJECT);
	assert_int_equal(F.calls, 2);
	assert_int_equal(F.nlines, 1);
	assert_string_equal(F.lines[0], "Relaying denied");
	assert_int_equal(line_starting("Explanation: "), -1);
	assert_int_equal(fx->stats.errors, 1);
	teardown_fx(fx);
}

static void
test_on_error(void **state)
{
	struct fixture *fx = setup_with(RULES);

	(void)state;
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	F.fail_replies = 2; /* neither reply can be set: on_error decides */
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_CONTINUE);
	teardown_fx(fx);

	fx = setup_with("on_error = \"tempfail\";\n" RULES);
	connect_from(fx, "203.0.113.5", ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<a@example.org>"), ACT_CONTINUE);
	F.fail_replies = 2;
	assert_int_equal(session_rcpt(&fx->s, "<blocked@example.net>"),
	                 ACT_TEMPFAIL);
	teardown_fx(fx);
}

static void
test_no_rules_no_reply(void **state)
{
	struct fixture *fx = setup_with("");

	(void)state;
	connect_from(fx, "192.0.2.7", ACT_CONTINUE);
	assert_int_equal(session_helo(&fx->s, "bad.example"), ACT_CONTINUE);
	assert_int_equal(session_mail(&fx->s, "<grey@x>"), ACT_CONTINUE);
	assert_int_equal(session_rcpt(&fx->s, "<blocked@x>"), ACT_CONTINUE);
	assert_int_equal(session_header(&fx->s, "Subject", "forbidden"),
	                 ACT_CONTINUE);
	assert_int_equal(session_eom(&fx->s), ACT_CONTINUE);
	assert_int_equal(F.calls, 0);
	assert_int_equal(fx->stats.sessions, 1);
	teardown_fx(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rcpt_reject_is_annotated),
	    cmocka_unit_test(test_tempfail_and_percent),
	    cmocka_unit_test(test_lines_as_annotated),
	    cmocka_unit_test(test_connect_decision_answered_at_mail),
	    cmocka_unit_test(test_connect_421_closes_at_once),
	    cmocka_unit_test(test_helo_decision_answered_at_mail),
	    cmocka_unit_test(test_auth_matcher),
	    cmocka_unit_test(test_header_and_eom),
	    cmocka_unit_test(test_mta_rejected_rcpt_is_observed),
	    cmocka_unit_test(test_rule_reply_per_session_values),
	    cmocka_unit_test(test_fallback_to_original_reply),
	    cmocka_unit_test(test_on_error),
	    cmocka_unit_test(test_no_rules_no_reply),
	    cmocka_unit_test(test_postfix_notification_spared),
	    cmocka_unit_test(test_postfix_path_with_sender_meets_rules),
	    cmocka_unit_test(test_null_sender_by_smtp_meets_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
