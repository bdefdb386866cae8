/*
 * fuzz_config - a libFuzzer target for the configuration loader
 * (config_load, rules_load and the settings' checks).
 *
 * config_load reads a path, so the input is written to a private file
 * (0600: the loader refuses files others may write) in a folder of its
 * own, which also holds code tables for the 'codes' setting to name:
 * codes.conf (small, valid), broken.conf and open.conf (world-writable);
 * an input with no 'codes' setting gets codes.conf as -T gives a table.
 * A configuration that loads must hold what the loader promises (values
 * in range, templates valid, rules with 4xx/5xx replies) and serve the
 * milter: every stage's rules are matched against a session and the reply
 * of a matching rule is annotated as session.c does, the output checked
 * by fuzz_check_reply. One that does not load must say why.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/template.h"
#include "engine/config.h"
#include "engine/rules.h"
#include "fuzzcheck.h"

static const char small_table[] =
    "codes = (\n"
    "  { code = \"550\"; name = \"Refused\"; class = \"5xx Permanent "
    "Negative\";\n"
    "    description = \"d.\"; when = \"w.\"; fix = \"f.\"; },\n"
    "  { code = \"X.0.0\"; name = \"Other\"; class = \"X.0.XXX Other or "
    "Undefined Status\";\n"
    "    description = \"d.\"; when = \"w.\"; fix = \"f.\"; basic = [ "
    "\"550\" ]; }\n"
    ");\n";

static char dir[64], path[96], small[96];

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(p);
}

static void
cleanup(void)
{
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void
put_file(const char *name, const char *text, size_t len, mode_t mode)
{
	char p[128];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(write(fd, text, len) == (ssize_t)len);
	FUZZ_CHECK(fchmod(fd, mode) == 0 && close(fd) == 0);
}

static void
setup(void)
{
	static const char broken[] = "codes = ( { code = \"999\"; } );\n";

	snprintf(dir, sizeof(dir), "/tmp/fuzz_config.XXXXXX");
	FUZZ_CHECK(mkdtemp(dir) != NULL);
	atexit(cleanup);
	snprintf(path, sizeof(path), "%s/fuzz.conf", dir);
	snprintf(small, sizeof(small), "%s/codes.conf", dir);
	put_file("codes.conf", small_table, strlen(small_table), 0644);
	put_file("broken.conf", broken, strlen(broken), 0644);
	put_file("open.conf", small_table, strlen(small_table), 0666);
}

static void
check_template(const char *v, bool allow_reference)
{
	const char *p;

	if (v == NULL)
		return;
	FUZZ_CHECK(*v != '\0');
	for (p = v; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
	FUZZ_CHECK(tmpl_check(v, allow_reference) == NULL);
}

static void
check_settings(const struct config *c)
{
	FUZZ_CHECK(c->table != NULL && strcmp(c->path, path) == 0);
	FUZZ_CHECK(c->site.width >= REPLY_WIDTH_MIN &&
	           c->site.width <= REPLY_WIDTH_MAX);
	FUZZ_CHECK(c->socket != NULL && *c->socket != '\0');
	FUZZ_CHECK(c->timeout >= 1 && c->timeout <= 86400);
	FUZZ_CHECK(c->upstream_timeout >= 1 && c->upstream_timeout <= 3600);
	FUZZ_CHECK(c->umask <= 0777);
	FUZZ_CHECK(c->pidfile == NULL || c->pidfile[0] == '/');
	FUZZ_CHECK(c->user == NULL || *c->user != '\0');
	FUZZ_CHECK(c->group == NULL || *c->group != '\0');
	check_template(c->site.postmaster, true);
	check_template(c->site.help_url, true);
	check_template(c->site.reference, false);
	FUZZ_CHECK(rules_count(c->rules) <= RULES_MAX);
}

/* The rules as a session meets them, stage by stage. */
static void
run_rules(const struct config *c)
{
	static unsigned char rcpt_hits[RULES_BITMAP_SIZE],
	    header_hits[RULES_BITMAP_SIZE];
	static const struct reply_vars vars = {"4XyZ1abc", "192.0.2.1", NULL,
	                                       NULL, NULL};
	struct sockaddr_in6 a6;
	struct sockaddr_in a4;
	struct rule_ctx ctx;
	const struct rule *r;
	int st, k;

	memset(rcpt_hits, 0, sizeof(rcpt_hits));
	memset(header_hits, 0, sizeof(header_hits));
	memset(&a4, 0, sizeof(a4));
	memset(&a6, 0, sizeof(a6));
	a4.sin_family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", &a4.sin_addr);
	a6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);
	for (k = 0; k < 2; k++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.addr = k == 0 ? (const struct sockaddr *)&a4
		                  : (const struct sockaddr *)&a6;
		ctx.client_name = "mail.example.org";
		ctx.helo = "mail.example.org";
		ctx.from = "<sender@example.org>";
		ctx.rcpt = "<blocked@example.net>";
		ctx.auth = k == 1;
		ctx.header_name = "Subject";
		ctx.header_value = "forbidden";
		ctx.rcpt_hits = rcpt_hits;
		ctx.header_hits = header_hits;
		rules_note_rcpt(c->rules, ctx.rcpt, rcpt_hits);
		rules_note_header(c->rules, ctx.header_name, ctx.header_value,
		                  header_hits);
		for (st = 0; st < STAGE_COUNT; st++) {
			if ((r = rules_match(c->rules, (enum stage)st, &ctx)) ==
			    NULL)
				continue;
			FUZZ_CHECK(rule_stage(r) == (enum stage)st);
			FUZZ_CHECK(rule_name(r) != NULL && *rule_name(r) != 0);
			FUZZ_CHECK(rule_reply(r)->code / 100 == 4 ||
			           rule_reply(r)->code / 100 == 5);
			FUZZ_CHECK(fuzz_annotate(rule_reply(r), c->table,
			                         &c->site,
			                         &vars) != REPLY_PASSED);
		}
	}
}

static void
check_diag_line(const char *msg, void *arg)
{
	(void)arg;
	FUZZ_CHECK(strlen(msg) < DIAG_MSG_MAX);
	FUZZ_CHECK(strstr(msg, ": ") != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag d;
	struct config *c;
	const char *codes;

	if (dir[0] == '\0')
		setup();
	put_file("fuzz.conf", (const char *)data, size, 0600);
	diag_init(&d);
	/*
	 * Parsing the built-in table would take most of the time: without a
	 * 'codes' setting to follow, the small table comes in as -T would.
	 */
	codes = memmem(data, size, "codes", 5) != NULL ? NULL : small;
	if ((c = config_load(path, codes, &d)) == NULL) {
		FUZZ_CHECK(d.count > 0);
		diag_each(&d, check_diag_line, NULL);
		return 0;
	}
	FUZZ_CHECK(d.count == 0);
	check_settings(c);
	run_rules(c);
	config_free(c);
	return 0;
}
