/*
 * test_config - config_load on files written to a temporary folder.
 *
 * A full file sets everything; each broken file must be refused with
 * exactly its "PATH:LINE: reason" messages, and a broken code table with
 * the table's own "FILE:LINE: reason". The -T override (codes argument)
 * wins over the file's 'codes'.
 */
#include "unit.h"

#include "engine/config.h"
#include "engine/rules.h"

static char *dir;

#define STR_(x) #x
#define STR(x)  STR_(x)
#define WIDTHS  STR(REPLY_WIDTH_MIN) " and " STR(REPLY_WIDTH_MAX)

/* A small valid table: X.0.0 and 550. */
#define SMALL_TABLE                                                            \
	"codes = (\n"                                                          \
	"{ code = \"X.0.0\"; name = \"Other\"; class = \"X.0.XXX Other or "    \
	"Undefined Status\"; description = \"d.\"; when = \"w.\"; fix = "      \
	"\"f.\"; who = \"sender\"; basic = [ ]; },\n"                          \
	"{ code = \"550\"; name = \"Mailbox Unavailable\"; class = \"5xx "     \
	"Permanent Negative\"; description = \"d.\"; when = \"w.\"; fix = "    \
	"\"f.\"; who = \"sender\"; }\n"                                        \
	");\n"

/* The same with an error on line 3. */
#define BROKEN_TABLE                                                           \
	"codes = (\n"                                                          \
	"{ code = \"X.0.0\"; name = \"Other\"; class = \"X.0.XXX Other or "    \
	"Undefined Status\"; description = \"d.\"; when = \"w.\"; fix = "      \
	"\"f.\"; who = \"sender\"; basic = [ ]; },\n"                          \
	"{ code = \"550\"; name = \"Mailbox Unavailable\"; class = \"5xx "     \
	"Permanent Negative\"; description = \"d.\"; when = \"w.\"; fix = "    \
	"\"f.\"; who = \"sender\"; color = \"red\"; }\n"                       \
	");\n"

static int
setup(void **state)
{
	char *p, *sub;

	(void)state;
	dir = unit_mkdtemp();
	free(unit_write(dir, "small.conf", SMALL_TABLE));
	free(unit_write(dir, "codes.conf", SMALL_TABLE));
	free(unit_write(dir, "broken.conf", BROKEN_TABLE));
	if (asprintf(&sub, "%s/etc", dir) < 0 || mkdir(sub, 0700) != 0 ||
	    asprintf(&p, "%s/etc/tables", dir) < 0 || mkdir(p, 0700) != 0)
		return -1;
	free(unit_write(p, "local.conf", SMALL_TABLE));
	free(p);
	free(sub);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_rmdir(dir);
	return 0;
}

static struct config *
load(const char *name, const char *text, const char *codes, struct diag *d,
     char **path)
{
	struct config *c;

	*path = unit_write(dir, name, text);
	diag_init(d);
	c = config_load(*path, codes, d);
	return c;
}

#define FULL                                                                   \
	"# every setting\n"                                                    \
	"socket = \"inet:8891@127.0.0.1\";\n"                                  \
	"user = \"milter\";\n"                                                 \
	"group = \"mail\";\n"                                                  \
	"umask = \"007\";\n"                                                   \
	"pidfile = \"/run/milter-annotate/milter-annotate.pid\";\n"            \
	"timeout = 120;\n"                                                     \
	"log = \"stderr\";\n"                                                  \
	"log_format = \"json\";\n"                                             \
	"on_error = \"tempfail\";\n"                                           \
	"width = 100;\n"                                                       \
	"add_enhanced_code = false;\n"                                         \
	"generic = true;\n"                                                    \
	"upstream_reuse = true;\n"                                             \
	"postmaster = \"postmaster@example.net (${code} ${ecode})\";\n"        \
	"help_url = \"https://help.example.net/${ecode}?q=${queue_id}&r=${"    \
	"reference}\";\n"                                                      \
	"reference = \"${queue_id}@${client_addr}\";\n"                        \
	"codes = \"codes.conf\";\n"

static void
check_full(const struct config *c, const char *path)
{
	char *table;

	assert_non_null(c);
	assert_string_equal(c->path, path);
	assert_string_equal(c->socket, "inet:8891@127.0.0.1");
	assert_string_equal(c->user, "milter");
	assert_string_equal(c->group, "mail");
	assert_true(c->umask_set);
	assert_int_equal(c->umask, 007);
	assert_string_equal(c->pidfile,
	                    "/run/milter-annotate/milter-annotate.pid");
	assert_int_equal(c->timeout, 120);
	assert_int_equal(c->log, LOG_TO_STDERR);
	assert_int_equal(c->log_format, LOG_FORMAT_JSON);
	assert_int_equal(c->on_error, ON_ERROR_TEMPFAIL);
	assert_int_equal(c->site.width, 100);
	assert_false(c->site.add_enhanced_code);
	assert_true(c->site.generic);
	assert_true(c->upstream_reuse);
	assert_string_equal(c->site.postmaster,
	                    "postmaster@example.net (${code} ${ecode})");
	assert_string_equal(c->site.help_url, "https://help.example.net/"
	                                      "${ecode}?q=${queue_id}&r=${"
	                                      "reference}");
	assert_string_equal(c->site.reference, "${queue_id}@${client_addr}");
	/* Relative to the configuration file's folder, not to the cwd. */
	assert_non_null(c->table);
	assert_true(asprintf(&table, "%s/codes.conf", dir) > 0);
	assert_string_equal(codetable_source(c->table), table);
	assert_int_equal(codetable_size(c->table), 2);
	free(table);
}

static void
test_full(void **state)
{
	struct config *c;
	struct diag d;
	char *path;

	(void)state;
	c = load("full.conf", FULL, NULL, &d, &path);
	if (c == NULL)
		diag_print(&d, "full");
	check_full(c, path);
	assert_int_equal(d.count, 0);
	assert_int_equal(rules_count(c->rules), 0);
	config_free(c);
	free(path);
}

static void
test_full_with_rules(void **state)
{
	struct config *c;
	struct diag d;
	char *path;

	(void)state;
	c = load("full-rules.conf",
	         FULL
	         "rules = (\n"
	         "  {\n"
	         "    name = \"no-relay\";\n"
	         "    stage = \"rcpt\";\n"
	         "    rcpt = \"^<?blocked@\";\n"
	         "    reply = \"550 5.7.1 Relaying denied\";\n"
	         "  },\n"
	         "  {\n"
	         "    name = \"grey\";\n"
	         "    stage = \"connect\";\n"
	         "    client_addr = [\"192.0.2.0/24\", \"2001:db8::/32\"];\n"
	         "    reply = \"451 4.7.1 Please try again later\";\n"
	         "  }\n"
	         ");\n",
	         NULL, &d, &path);
	if (c == NULL)
		diag_print(&d, "full with rules");
	check_full(c, path);
	assert_int_equal(d.count, 0);
	assert_int_equal(rules_count(c->rules), 2);
	config_free(c);
	free(path);
}

/* help_base_url alone gives help_url its default; an explicit one stays. */
static void
test_help_base_url(void **state)
{
	struct config *c;
	struct diag d;
	char *path;

	(void)state;
	c = load("hb.conf", "help_base_url = \"https://example.org/h\";\n",
	         NULL, &d, &path);
	assert_non_null(c);
	assert_string_equal(c->site.help_base_url, "https://example.org/h");
	assert_string_equal(c->site.help_url, HELP_URL_DEFAULT);
	assert_string_equal(HELP_URL_DEFAULT, "${help_base_url}/en/${page}");
	config_free(c);
	free(path);
	c = load("hb2.conf",
	         "help_url = \"https://x.example/${ecode}\";\n"
	         "help_base_url = \"https://example.org/h\";\n",
	         NULL, &d, &path);
	assert_non_null(c);
	assert_string_equal(c->site.help_url, "https://x.example/${ecode}");
	config_free(c);
	free(path);
}

/* Nothing set: the defaults and the built-in table. */
static void
check_defaults(const struct config *c)
{
	assert_non_null(c);
	assert_string_equal(c->socket, CONFIG_DEFAULT_SOCKET);
	assert_null(c->user);
	assert_null(c->group);
	assert_null(c->pidfile);
	assert_false(c->umask_set);
	assert_int_equal(c->timeout, 7210);
	assert_int_equal(c->log, LOG_TO_SYSLOG);
	assert_int_equal(c->log_format, LOG_FORMAT_TEXT);
	assert_int_equal(c->on_error, ON_ERROR_CONTINUE);
	assert_int_equal(c->site.width, REPLY_WIDTH_DEFAULT);
	assert_true(c->site.add_enhanced_code);
	assert_false(c->site.generic);
	assert_false(c->upstream_reuse);
	assert_null(c->site.postmaster);
	assert_null(c->site.help_url);
	assert_null(c->site.reference);
	assert_int_equal(rules_count(c->rules), 0);
	assert_non_null(c->table);
}

static void
test_empty_file(void **state)
{
	struct config *c;
	struct diag d;
	char *path;

	(void)state;
	c = load("empty.conf", "# nothing\n", NULL, &d, &path);
	check_defaults(c);
	assert_string_equal(c->path, path);
	assert_int_equal(codetable_size(c->table), 126);
	assert_string_equal(codetable_source(c->table),
	                    "codes.conf (built-in)");
	config_free(c);
	free(path);
}

static void
test_defaults(void **state)
{
	struct config *c;
	struct diag d;
	char *small;

	(void)state;
	diag_init(&d);
	c = config_defaults(NULL, &d);
	check_defaults(c);
	assert_null(c->path);
	assert_int_equal(codetable_size(c->table), 126);
	assert_int_equal(d.count, 0);
	config_free(c);

	assert_true(asprintf(&small, "%s/small.conf", dir) > 0);
	c = config_defaults(small, &d);
	check_defaults(c);
	assert_int_equal(codetable_size(c->table), 2);
	assert_string_equal(codetable_source(c->table), small);
	config_free(c);
	free(small);

	diag_init(&d);
	assert_null(config_defaults("/nonexistent/codes.conf", &d));
	assert_true(diag_has(&d, "/nonexistent/codes.conf: cannot read file"));
}

/* Values at the edges of what is allowed. */
struct okcase {
	const char *name;
	const char *text;
	unsigned width;
	int umask;
	const char *socket;
};

static const struct okcase oks[] = {
    {"width 40", "width = 40;\n", 40, -1, NULL},
    {"widest", "width = " STR(REPLY_WIDTH_MAX) ";\n", REPLY_WIDTH_MAX, -1,
     NULL},
    {"umask as integer", "umask = 7;\n", 78, 7, NULL},
    {"umask 777", "umask = \"777\";\n", 78, 0777, NULL},
    {"umask 0", "umask = \"0\";\n", 78, 0, NULL},
    {"unix socket", "socket = \"unix:/run/m.sock\";\n", 78, -1,
     "unix:/run/m.sock"},
    {"local socket", "socket = \"local:/run/m.sock\";\n", 78, -1,
     "local:/run/m.sock"},
    {"inet6 socket", "socket = \"inet6:8891@[::1]\";\n", 78, -1,
     "inet6:8891@[::1]"},
    {"path socket", "socket = \"/run/m.sock\";\n", 78, -1, "/run/m.sock"},
};

static void
test_edges(void **state)
{
	struct config *c;
	struct diag d;
	char *path;
	int nfail = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(oks) / sizeof(oks[0]); i++) {
		c = load("ok.conf", oks[i].text, NULL, &d, &path);
		EXPECT(nfail, oks[i].name, c != NULL, "refused");
		if (c == NULL) {
			diag_print(&d, oks[i].name);
			free(path);
			continue;
		}
		EXPECT(nfail, oks[i].name, c->site.width == oks[i].width,
		       "width %u", c->site.width);
		if (oks[i].umask >= 0)
			EXPECT(nfail, oks[i].name,
			       c->umask_set && (int)c->umask == oks[i].umask,
			       "umask %o", (unsigned)c->umask);
		if (oks[i].socket != NULL)
			EXPECT(nfail, oks[i].name,
			       strcmp(c->socket, oks[i].socket) == 0,
			       "socket %s", c->socket);
		config_free(c);
		free(path);
	}
	EXPECT_DONE(nfail);
}

/*
 * Broken files. Each wanted message is the file's path followed by
 * ":LINE: reason" (or ": reason"); "@T" at the start stands for the
 * code table broken.conf instead.
 */
struct bad {
	const char *name;
	const char *text;
	const char *want[6]; /* NULL-terminated */
};

#define TMPL_VARS                                                              \
	"(known: ${code}, ${ecode}, ${queue_id}, ${client_addr}, "             \
	"${reference}, ${page}, ${help_base_url})"

static const struct bad bads[] = {
    {"unknown setting", "\nfoo = 1;\n", {":2: unknown setting 'foo'"}},
    {"misspelt setting", "widht = 78;\n", {":1: unknown setting 'widht'"}},
    {"width as string",
     "width = \"78\";\n",
     {":1: 'width' must be an integer"}},
    {"timeout as float",
     "timeout = 1.5;\n",
     {":1: 'timeout' must be an integer"}},
    {"generic as integer",
     "generic = 1;\n",
     {":1: 'generic' must be true or false"}},
    {"add_enhanced_code as string",
     "add_enhanced_code = \"yes\";\n",
     {":1: 'add_enhanced_code' must be true or false"}},
    {"upstream_reuse as string",
     "\nupstream_reuse = \"yes\";\n",
     {":2: 'upstream_reuse' must be true or false"}},
    {"socket as integer",
     "socket = 8891;\n",
     {":1: 'socket' must be a string"}},
    {"postmaster as bool",
     "postmaster = true;\n",
     {":1: 'postmaster' must be a string"}},
    {"user empty", "user = \"\";\n", {":1: 'user' must not be empty"}},
    {"width 39", "width = 39;\n", {":1: 'width' must be between " WIDTHS}},
    {"width 481", "width = 481;\n", {":1: 'width' must be between " WIDTHS}},
    {"width negative",
     "width = -78;\n",
     {":1: 'width' must be between " WIDTHS}},
    {"timeout 0",
     "timeout = 0;\n",
     {":1: 'timeout' must be between 1 and 86400"}},
    {"timeout 86401",
     "timeout = 86401;\n",
     {":1: 'timeout' must be between 1 and 86400"}},
    {"bad log",
     "log = \"file\";\n",
     {":1: 'log' must be \"syslog\" or \"stderr\""}},
    {"log upper case",
     "log = \"SYSLOG\";\n",
     {":1: 'log' must be \"syslog\" or \"stderr\""}},
    {"empty log", "log = \"\";\n", {":1: 'log' must not be empty"}},
    {"bad log_format",
     "log_format = \"xml\";\n",
     {":1: 'log_format' must be \"text\" or \"json\""}},
    {"bad on_error",
     "on_error = \"reject\";\n",
     {":1: 'on_error' must be \"continue\" or \"tempfail\""}},
    {"bad socket",
     "socket = \"tcp:25\";\n",
     {":1: 'socket' must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path"}},
    {"bare port socket",
     "socket = \"8891\";\n",
     {":1: 'socket' must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path"}},
    {"unknown template variable",
     "postmaster = \"${foo}\";\n",
     {":1: 'postmaster' unknown variable in template " TMPL_VARS}},
    {"unknown variable in help_url",
     "help_url = \"https://x/${ECODE}\";\n",
     {":1: 'help_url' unknown variable in template " TMPL_VARS}},
    {"help_base_url with a trailing slash",
     "help_base_url = \"https://example.org/help/\";\n",
     {":1: 'help_base_url' must be a URL without spaces, quotes, braces or "
      "a trailing '/' (such as https://example.org/smtp-help)"}},
    {"help_base_url with a template",
     "help_base_url = \"https://example.org/${code}\";\n",
     {":1: 'help_base_url' must be a URL without spaces, quotes, braces or "
      "a trailing '/' (such as https://example.org/smtp-help)"}},
    {"reference using reference",
     "reference = \"x ${reference}\";\n",
     {":1: 'reference' the reference template cannot use ${reference}"}},
    {"unterminated ${",
     "help_url = \"https://x/${code\";\n",
     {":1: 'help_url' unterminated ${ in template"}},
    {"template not ASCII",
     "postmaster = \"caf\xc3\xa9\";\n",
     {":1: 'postmaster' must be printable ASCII"}},
    {"template with a tab",
     "postmaster = \"a\\tb\";\n",
     {":1: 'postmaster' must be printable ASCII"}},
    {"relative pidfile",
     "pidfile = \"run/m.pid\";\n",
     {":1: 'pidfile' must be an absolute path"}},
    {"umask not octal",
     "umask = \"8\";\n",
     {":1: 'umask' must be an octal string such as \"007\""}},
    {"umask hex",
     "umask = \"0x7\";\n",
     {":1: 'umask' must be an octal string such as \"007\""}},
    {"umask too big",
     "umask = \"1000\";\n",
     {":1: 'umask' must be between 000 and 777"}},
    {"umask negative",
     "umask = -1;\n",
     {":1: 'umask' must be between 000 and 777"}},
    {"codes empty", "codes = \"\";\n", {":1: 'codes' must not be empty"}},
    {"rules not a list",
     "rules = 5;\n",
     {":1: 'rules' must be a list ( { ... }, ... )"}},
    {"codes file broken",
     "# table\ncodes = \"broken.conf\";\n",
     {"@T:3: unknown field 'color'"}},
    {"syntax error", "width = 78;\ntimeout = ;\n", {":2: syntax error"}},
    {"duplicate setting",
     "width = 78;\nwidth = 80;\n",
     {":2: duplicate setting name"}},
    {"several errors",
     "foo = 1;\nwidth = 39;\nlog = \"file\";\npidfile = \"x\";\n"
     "reference = \"${reference}\";\n",
     {":1: unknown setting 'foo'", ":2: 'width' must be between " WIDTHS,
      ":3: 'log' must be \"syslog\" or \"stderr\"",
      ":4: 'pidfile' must be an absolute path",
      ":5: 'reference' the reference template cannot use ${reference}"}},
};

static void
test_errors(void **state)
{
	const char *want[8];
	char *full[8], *path, *table;
	struct config *c;
	struct diag d;
	int nfail = 0;
	size_t i, k;

	(void)state;
	assert_true(asprintf(&table, "%s/broken.conf", dir) > 0);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		c = load("bad.conf", bads[i].text, NULL, &d, &path);
		EXPECT(nfail, bads[i].name, c == NULL, "loaded");
		config_free(c);
		for (k = 0; bads[i].want[k] != NULL; k++) {
			const char *w = bads[i].want[k];

			if (strncmp(w, "@T", 2) == 0)
				assert_true(asprintf(&full[k], "%s%s", table,
				                     w + 2) > 0);
			else
				assert_true(
				    asprintf(&full[k], "%s%s", path, w) > 0);
			want[k] = full[k];
		}
		want[k] = NULL;
		nfail += diag_expect(&d, bads[i].name, want);
		while (k-- > 0)
			free(full[k]);
		free(path);
	}
	free(table);
	EXPECT_DONE(nfail);
}

/* Just inside and just outside the width limits. */
static void
test_width_limits(void **state)
{
	static const int ws[] = {REPLY_WIDTH_MIN - 1, REPLY_WIDTH_MIN,
	                         REPLY_WIDTH_MAX, REPLY_WIDTH_MAX + 1};
	char text[64], cname[32], *path, *want;
	struct config *c;
	struct diag d;
	int nfail = 0, ok;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ws) / sizeof(ws[0]); i++) {
		ok = ws[i] >= REPLY_WIDTH_MIN && ws[i] <= REPLY_WIDTH_MAX;
		snprintf(text, sizeof(text), "\nwidth = %d;\n", ws[i]);
		snprintf(cname, sizeof(cname), "width %d", ws[i]);
		c = load("w.conf", text, NULL, &d, &path);
		EXPECT(nfail, cname, (c != NULL) == ok, "%s",
		       ok ? "refused" : "accepted");
		if (c != NULL)
			EXPECT(nfail, cname, (int)c->site.width == ws[i],
			       "width %u", c->site.width);
		config_free(c);
		if (!ok) {
			assert_true(asprintf(&want,
			                     "%s:2: 'width' must be between %d "
			                     "and %d",
			                     path, REPLY_WIDTH_MIN,
			                     REPLY_WIDTH_MAX) > 0);
			EXPECT(nfail, cname, d.count == 1 && diag_has(&d, want),
			       "no message \"%s\"", want);
			free(want);
		}
		free(path);
	}
	EXPECT_DONE(nfail);
}

static void
test_missing_file(void **state)
{
	struct config *c;
	struct diag d;

	(void)state;
	diag_init(&d);
	c = config_load("/nonexistent/milter-annotate.conf", NULL, &d);
	assert_null(c);
	assert_int_equal(d.count, 1);
	assert_string_equal(
	    d.msg[0], "/nonexistent/milter-annotate.conf: cannot read file");
}

/*
 * A 'codes' file that does not exist is an invalid value of the setting:
 * reported at the configuration file's line that names it, with the path
 * that was tried.
 */
static void
test_codes_missing(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *prefix;

	(void)state;
	c = load("nocodes.conf", "# table\ncodes = \"nope.conf\";\n", NULL, &d,
	         &path);
	assert_null(c);
	assert_true(asprintf(&prefix, "%s:2: ", path) > 0);
	if (!diag_has_like(&d, prefix, "nope.conf")) {
		diag_print(&d, "codes file missing");
		fail_msg("no message \"%s...nope.conf...\": the missing table "
		         "is not reported at the 'codes' line of the "
		         "configuration",
		         prefix);
	}
	free(prefix);
	free(path);
}

/*
 * A configuration or table that others may write is refused, with the
 * fix in the message; the same files with o-w load.
 */
static void
test_world_writable(void **state)
{
	char *tmp = unit_mkdtemp(), *cfg, *table, *want;
	struct config *c;
	struct diag d;

	(void)state;
	table = unit_write(tmp, "codes.conf", SMALL_TABLE);
	cfg = unit_write(tmp, "w.conf", "codes = \"codes.conf\";\n");

	assert_int_equal(chmod(cfg, 0666), 0);
	diag_init(&d);
	assert_null(config_load(cfg, NULL, &d));
	assert_true(asprintf(&want,
	                     "%s: refused: writable by others (chmod o-w %s)",
	                     cfg, cfg) > 0);
	assert_true(diag_has(&d, want));
	free(want);

	assert_int_equal(chmod(cfg, 0644), 0);
	assert_int_equal(chmod(table, 0646), 0);
	diag_init(&d);
	assert_null(config_load(cfg, NULL, &d));
	assert_true(diag_has_like(&d, table, "writable by others"));

	assert_int_equal(chmod(table, 0644), 0);
	diag_init(&d);
	c = config_load(cfg, NULL, &d);
	assert_non_null(c);
	config_free(c);
	free(cfg);
	free(table);
	unit_rmdir(tmp);
}

/*
 * @include would read a file no check has seen (here one anybody may
 * write, holding a rule): refused where it stands, in a configuration and
 * in a code table.
 */
static void
test_include_refused(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *inc, *text, *want;

	(void)state;
	inc = unit_write(dir, "inc.conf",
	                 "rules = ( { name = \"all\"; stage = \"rcpt\"; "
	                 "reply = \"550 5.7.1 Refused\"; } );\n");
	assert_int_equal(chmod(inc, 0666), 0);
	assert_true(asprintf(&text, "width = 78;\n  @include \"%s\"\n", inc) >
	            0);
	c = load("inc-main.conf", text, NULL, &d, &path);
	assert_null(c);
	assert_true(asprintf(&want,
	                     "%s:2: @include is not supported: the file must "
	                     "be whole",
	                     path) > 0);
	if (diag_expect(&d, "include", (const char *const[]){want, NULL}) != 0)
		fail();
	free(want);
	free(path);
	free(text);

	/* The code table named by 'codes' is read the same way. */
	assert_true(asprintf(&text, "@include \"%s\"\n" SMALL_TABLE, inc) > 0);
	free(unit_write(dir, "inc-table.conf", text));
	c = load("inc-codes.conf", "codes = \"inc-table.conf\";\n", NULL, &d,
	         &path);
	assert_null(c);
	assert_true(diag_has_like(&d, dir,
	                          "inc-table.conf:1: @include is not "
	                          "supported"));
	free(path);
	free(text);
	free(inc);
}

/* A NUL byte would end libconfig's text early: what follows unread. */
static void
test_nul_byte(void **state)
{
	static const char text[] =
	    "width = 78;\nlog = \"stderr\";\0junk = 1;\n";
	struct diag d;
	char *path, *want;
	FILE *f;

	(void)state;
	assert_true(asprintf(&path, "%s/nul.conf", dir) > 0);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f),
	                 sizeof(text) - 1);
	assert_int_equal(fclose(f), 0);
	diag_init(&d);
	assert_null(config_load(path, NULL, &d));
	assert_true(asprintf(&want, "%s:2: has a NUL byte", path) > 0);
	if (diag_expect(&d, "nul", (const char *const[]){want, NULL}) != 0)
		fail();
	free(want);
	free(path);
}

/*
 * A FIFO (or a device) named by mistake is refused at once: reading it
 * would hang the load, and a reload runs in the signal thread.
 */
static void
test_not_regular(void **state)
{
	struct config *c;
	struct diag d;
	char *fifo, *path, *want;

	(void)state;
	assert_true(asprintf(&fifo, "%s/fifo.conf", dir) > 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	diag_init(&d);
	assert_null(config_load(fifo, NULL, &d));
	assert_true(asprintf(&want, "%s: refused: not a regular file", fifo) >
	            0);
	assert_true(diag_has(&d, want));
	free(want);

	c = load("fifo-codes.conf", "codes = \"fifo.conf\";\n", NULL, &d,
	         &path);
	assert_null(c);
	assert_true(diag_has_like(&d, fifo, "refused: not a regular file"));
	free(path);

	diag_init(&d);
	assert_null(config_load("/dev/null", NULL, &d));
	assert_true(diag_has(&d, "/dev/null: refused: not a regular file"));
	free(fifo);
}

/* Relative tables are read from the configuration file's folder. */
static void
test_codes_relative(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *want;

	(void)state;
	assert_true(asprintf(&path, "%s/etc/m.conf", dir) > 0);
	free(unit_write(dir, "etc/m.conf", "codes = \"tables/local.conf\";\n"));
	diag_init(&d);
	c = config_load(path, NULL, &d);
	if (c == NULL)
		diag_print(&d, "relative codes");
	assert_non_null(c);
	assert_true(asprintf(&want, "%s/etc/tables/local.conf", dir) > 0);
	assert_string_equal(codetable_source(c->table), want);
	assert_int_equal(codetable_size(c->table), 2);
	config_free(c);
	free(want);

	/* An absolute path is used as it is. */
	assert_true(asprintf(&want, "codes = \"%s/small.conf\";\n", dir) > 0);
	free(unit_write(dir, "etc/m.conf", want));
	free(want);
	c = config_load(path, NULL, &d);
	assert_non_null(c);
	assert_true(asprintf(&want, "%s/small.conf", dir) > 0);
	assert_string_equal(codetable_source(c->table), want);
	config_free(c);
	free(want);
	free(path);
}

/* -T: the codes argument wins over the file's 'codes'. */
static void
test_override(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *small;

	(void)state;
	assert_true(asprintf(&small, "%s/small.conf", dir) > 0);
	/* The file's table does not even exist: it is never read. */
	c = load("o.conf", "codes = \"missing.conf\";\n", small, &d, &path);
	if (c == NULL)
		diag_print(&d, "override");
	assert_non_null(c);
	assert_int_equal(d.count, 0);
	assert_string_equal(codetable_source(c->table), small);
	assert_int_equal(codetable_size(c->table), 2);
	config_free(c);
	free(path);

	/* A relative -T path is the caller's (the cwd: the repository). */
	c = load("o.conf", "codes = \"small.conf\";\n", "conf/codes.conf", &d,
	         &path);
	if (c == NULL)
		diag_print(&d, "relative override");
	assert_non_null(c);
	assert_string_equal(codetable_source(c->table), "conf/codes.conf");
	assert_int_equal(codetable_size(c->table), 126);
	config_free(c);
	free(path);

	/* A broken file's own table loses to -T too. */
	c = load("o.conf", "codes = \"broken.conf\";\n", small, &d, &path);
	assert_non_null(c);
	assert_int_equal(codetable_size(c->table), 2);
	config_free(c);
	free(path);

	/* -T naming no file: refused, the path in the message. */
	c = load("o.conf", "width = 78;\n", "/nonexistent/t.conf", &d, &path);
	assert_null(c);
	assert_true(diag_has(&d, "/nonexistent/t.conf: cannot read file"));
	free(path);
	free(small);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_help_base_url),
	    cmocka_unit_test(test_full_with_rules),
	    cmocka_unit_test(test_empty_file),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_width_limits),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_codes_missing),
	    cmocka_unit_test(test_world_writable),
	    cmocka_unit_test(test_include_refused),
	    cmocka_unit_test(test_nul_byte),
	    cmocka_unit_test(test_not_regular),
	    cmocka_unit_test(test_codes_relative),
	    cmocka_unit_test(test_override),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
