/*
 * test_rules - the milter's own rules, loaded through config_load.
 *
 * Matching: client_addr CIDRs (IPv4, IPv6, IPv4-mapped IPv6), regexes
 * (case-insensitive), all matchers of a rule, the first matching rule of a
 * stage, auth, and the rcpt/header bitmaps that carry matches to later
 * stages. Loading: every error as "FILE:LINE: reason".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unit.h"

#include "engine/config.h"
#include "engine/rules.h"

static char *dir;

static int
setup(void **state)
{
	(void)state;
	dir = unit_mkdtemp();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unit_rmdir(dir);
	return 0;
}

/* Load text as a configuration file; NULL with the diag printed. */
static struct config *
load(const char *text, struct diag *d, char **path)
{
	struct config *c;

	*path = unit_write(dir, "rules.conf", text);
	diag_init(d);
	c = config_load(*path, NULL, d);
	return c;
}

/* The three rules of the issue. */
static const char issue_rules[] =
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
    "  },\n"
    "  {\n"
    "    name = \"subject\";\n"
    "    stage = \"header\";\n"
    "    header = \"Subject: forbidden\";\n"
    "    reply = \"550 5.7.1 Forbidden subject\";\n"
    "  }\n"
    ");\n";

/* More rules: combinations, order, auth, later stages. Index in comment. */
static const char more_rules[] =
    "rules = (\n"
    /* 0 */
    "  { name = \"auth-only\"; stage = \"mail\"; auth = false;"
    " from = \"@example[.]com>?$\"; reply = \"530 5.7.0 Authentication "
    "required\"; },\n"
    /* 1 */
    "  { name = \"authed-spam\"; stage = \"mail\"; auth = true;"
    " from = \"^<?spam@\"; reply = \"550 5.7.1 No spam\"; },\n"
    /* 2 */
    "  { name = \"both\"; stage = \"rcpt\"; client_addr = \"198.51.100.0/24\";"
    " rcpt = \"^<?sales@\"; reply = \"550 5.7.1 Not from there\"; },\n"
    /* 3 */
    "  { name = \"first\"; stage = \"rcpt\"; rcpt = \"@corp[.]\";"
    " reply = \"550 5.1.1 First\"; },\n"
    /* 4 */
    "  { name = \"second\"; stage = \"rcpt\"; rcpt = \"^<?ceo@corp[.]\";"
    " reply = \"550 5.1.1 Second\"; },\n"
    /* 5 */
    "  { name = \"helo\"; stage = \"helo\"; helo = \"^localhost$\";"
    " reply = \"550 5.7.1 Bad HELO\"; },\n"
    /* 6 */
    "  { name = \"cname\"; stage = \"connect\";"
    " client_name = \"[.]dyn[.]example[.]net$\"; reply = \"550 5.7.1 "
    "Dynamic\"; },\n"
    /* 7 */
    "  { name = \"combo\"; stage = \"mail\"; client_addr = \"192.0.2.0/24\";"
    " client_name = \"^mx[.]\"; helo = \"^bad\"; from = \"@x[.]test>?$\";"
    " auth = false; reply = \"550 5.7.1 Combo\"; },\n"
    /* 8 */
    "  { name = \"eom-rcpt\"; stage = \"eom\"; rcpt = \"^<?archive@\";"
    " header = \"X-Spam-Flag: ^yes$\"; reply = \"550 5.7.1 Spam to "
    "archive\"; },\n"
    /* 9 */
    "  { name = \"eom-hdr\"; stage = \"eom\"; header = \"X-Mailer: "
    "^BadMailer\"; reply = \"554 5.7.1 Bad mailer\"; },\n"
    /* 10 */
    "  { name = \"hdr-stage\"; stage = \"header\"; header = \"x-mailer: "
    "badmailer\"; reply = \"550 5.7.1 Header\"; },\n"
    /* 11 */
    "  { name = \"odd-prefix\"; stage = \"helo\";"
    " client_addr = [\"10.64.0.0/10\", \"2001:db8:8000::/33\", "
    "\"203.0.113.9\"]; reply = \"554 5.7.1 Prefix\"; },\n"
    /* 12 */
    "  { name = \"eom-rcpt-only\"; stage = \"eom\"; rcpt = \"^<?legal@\";"
    " reply = \"450 4.7.1 Held\"; }\n"
    ");\n";

/* A session's context, with the client address as text. */
struct mcase {
	const char *name;
	enum stage stage;
	const char *addr; /* IPv4 or IPv6 text, "unix", or NULL */
	const char *client_name, *helo, *from, *rcpt;
	bool auth;
	const char *header_name, *header_value;
	const char *want; /* rule name, or NULL for no match */
};

static const struct sockaddr *
make_addr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_un *su = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (text == NULL)
		return NULL;
	if (strcmp(text, "unix") == 0) {
		su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "/run/x.sock");
	} else if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(25);
	} else if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(25);
	} else
		fail_msg("bad test address %s", text);
	return (const struct sockaddr *)ss;
}

static int
run_cases(const struct rules *rs, const struct mcase *cases, size_t n)
{
	struct sockaddr_storage ss;
	const struct rule *r;
	struct rule_ctx ctx;
	int nfail = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mcase *c = &cases[i];

		memset(&ctx, 0, sizeof(ctx));
		ctx.addr = make_addr(c->addr, &ss);
		ctx.client_name = c->client_name;
		ctx.helo = c->helo;
		ctx.from = c->from;
		ctx.rcpt = c->rcpt;
		ctx.auth = c->auth;
		ctx.header_name = c->header_name;
		ctx.header_value = c->header_value;
		r = rules_match(rs, c->stage, &ctx);
		if (c->want == NULL)
			EXPECT(nfail, c->name, r == NULL, "matched rule '%s'",
			       rule_name(r));
		else
			EXPECT(nfail, c->name,
			       r != NULL && strcmp(rule_name(r), c->want) == 0,
			       "matched %s%s%s, want '%s'", r ? "'" : "",
			       r ? rule_name(r) : "nothing", r ? "'" : "",
			       c->want);
		if (r != NULL)
			EXPECT(nfail, c->name, rule_stage(r) == c->stage,
			       "rule of stage %s", stage_name(rule_stage(r)));
	}
	return nfail;
}

static const struct mcase issue_cases[] = {
    /* no-relay: rcpt regex, case-insensitive. */
    {"rcpt blocked", STAGE_RCPT, "198.51.100.1", NULL, NULL, NULL,
     "<blocked@example.com>", false, NULL, NULL, "no-relay"},
    {"rcpt blocked, no brackets", STAGE_RCPT, NULL, NULL, NULL, NULL,
     "blocked@example.com", false, NULL, NULL, "no-relay"},
    {"rcpt blocked, upper case", STAGE_RCPT, NULL, NULL, NULL, NULL,
     "<BLOCKED@Example.COM>", false, NULL, NULL, "no-relay"},
    {"rcpt not at start", STAGE_RCPT, NULL, NULL, NULL, NULL,
     "<notblocked@example.com>", false, NULL, NULL, NULL},
    {"rcpt other", STAGE_RCPT, NULL, NULL, NULL, NULL, "<a@b.example>", false,
     NULL, NULL, NULL},
    {"rcpt unknown", STAGE_RCPT, NULL, NULL, NULL, NULL, NULL, false, NULL,
     NULL, NULL},
    {"rcpt rule at stage mail", STAGE_MAIL, NULL, NULL, NULL,
     "<blocked@example.com>", "<blocked@example.com>", false, NULL, NULL, NULL},
    {"rcpt rule at stage eom", STAGE_EOM, NULL, NULL, NULL, NULL,
     "<blocked@example.com>", false, NULL, NULL, NULL},
    /* grey: client_addr. */
    {"IPv4 inside", STAGE_CONNECT, "192.0.2.7", NULL, NULL, NULL, NULL, false,
     NULL, NULL, "grey"},
    {"IPv4 first", STAGE_CONNECT, "192.0.2.0", NULL, NULL, NULL, NULL, false,
     NULL, NULL, "grey"},
    {"IPv4 last", STAGE_CONNECT, "192.0.2.255", NULL, NULL, NULL, NULL, false,
     NULL, NULL, "grey"},
    {"IPv4 next network", STAGE_CONNECT, "192.0.3.0", NULL, NULL, NULL, NULL,
     false, NULL, NULL, NULL},
    {"IPv4 before", STAGE_CONNECT, "192.0.1.255", NULL, NULL, NULL, NULL, false,
     NULL, NULL, NULL},
    {"IPv6 inside", STAGE_CONNECT, "2001:db8::1", NULL, NULL, NULL, NULL, false,
     NULL, NULL, "grey"},
    {"IPv6 inside, far", STAGE_CONNECT, "2001:db8:ffff:ffff::1", NULL, NULL,
     NULL, NULL, false, NULL, NULL, "grey"},
    {"IPv6 outside", STAGE_CONNECT, "2001:db9::1", NULL, NULL, NULL, NULL,
     false, NULL, NULL, NULL},
    {"IPv4-mapped IPv6 inside", STAGE_CONNECT, "::ffff:192.0.2.7", NULL, NULL,
     NULL, NULL, false, NULL, NULL, "grey"},
    {"IPv4-mapped IPv6 outside", STAGE_CONNECT, "::ffff:198.51.100.7", NULL,
     NULL, NULL, NULL, false, NULL, NULL, NULL},
    {"IPv4-compatible is not mapped", STAGE_CONNECT, "::192.0.2.7", NULL, NULL,
     NULL, NULL, false, NULL, NULL, NULL},
    {"unix socket client", STAGE_CONNECT, "unix", NULL, NULL, NULL, NULL, false,
     NULL, NULL, NULL},
    {"no address", STAGE_CONNECT, NULL, NULL, NULL, NULL, NULL, false, NULL,
     NULL, NULL},
    {"grey at stage helo", STAGE_HELO, "192.0.2.7", NULL, "x", NULL, NULL,
     false, NULL, NULL, NULL},
    /* subject: header name and value. */
    {"subject header", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false,
     "Subject", "this is forbidden!", "subject"},
    {"subject header, any case", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL,
     false, "SUBJECT", "FORBIDDEN", "subject"},
    {"subject header, lower name", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL,
     false, "subject", "Forbidden", "subject"},
    {"other header", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false,
     "X-Subject", "forbidden", NULL},
    {"subject, other value", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false,
     "Subject", "allowed", NULL},
    {"subject, no value", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false,
     "Subject", NULL, NULL},
    {"no header", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false, NULL, NULL,
     NULL},
};

static void
test_issue_rules(void **state)
{
	const struct rule *r;
	const struct reply *rep;
	struct rule_ctx ctx;
	struct config *c;
	struct diag d;
	char *path;

	(void)state;
	c = load(issue_rules, &d, &path);
	if (c == NULL)
		diag_print(&d, "issue rules");
	assert_non_null(c);
	assert_int_equal(rules_count(c->rules), 3);
	assert_int_equal(
	    run_cases(c->rules, issue_cases,
	              sizeof(issue_cases) / sizeof(issue_cases[0])),
	    0);
	/* The matched rule's reply, parsed once at load time. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.rcpt = "<blocked@example.com>";
	r = rules_match(c->rules, STAGE_RCPT, &ctx);
	assert_non_null(r);
	assert_string_equal(rule_name(r), "no-relay");
	assert_int_equal(rule_stage(r), STAGE_RCPT);
	rep = rule_reply(r);
	assert_int_equal(rep->code, 550);
	assert_string_equal(rep->ecode, "5.7.1");
	assert_string_equal(rep->text, "Relaying denied");
	config_free(c);
	free(path);
}

static const struct mcase more_cases[] = {
    /* auth */
    {"auth false, unauthenticated", STAGE_MAIL, NULL, NULL, NULL,
     "<a@example.com>", NULL, false, NULL, NULL, "auth-only"},
    {"auth false, authenticated", STAGE_MAIL, NULL, NULL, NULL,
     "<a@example.com>", NULL, true, NULL, NULL, NULL},
    {"auth true, authenticated", STAGE_MAIL, NULL, NULL, NULL, "<spam@x.org>",
     NULL, true, NULL, NULL, "authed-spam"},
    {"auth true, unauthenticated", STAGE_MAIL, NULL, NULL, NULL, "<spam@x.org>",
     NULL, false, NULL, NULL, NULL},
    {"auth, no sender", STAGE_MAIL, NULL, NULL, NULL, NULL, NULL, false, NULL,
     NULL, NULL},
    /* every matcher must match */
    {"both match", STAGE_RCPT, "198.51.100.5", NULL, NULL, NULL,
     "<sales@shop.example>", false, NULL, NULL, "both"},
    {"address only", STAGE_RCPT, "198.51.100.5", NULL, NULL, NULL,
     "<info@shop.example>", false, NULL, NULL, NULL},
    {"rcpt only", STAGE_RCPT, "192.0.2.5", NULL, NULL, NULL,
     "<sales@shop.example>", false, NULL, NULL, NULL},
    {"rcpt, no address", STAGE_RCPT, NULL, NULL, NULL, NULL,
     "<sales@shop.example>", false, NULL, NULL, NULL},
    {"combo all", STAGE_MAIL, "192.0.2.9", "mx.example.net", "bad.helo",
     "<u@x.test>", NULL, false, NULL, NULL, "combo"},
    {"combo wrong address", STAGE_MAIL, "192.0.3.9", "mx.example.net",
     "bad.helo", "<u@x.test>", NULL, false, NULL, NULL, NULL},
    {"combo wrong client name", STAGE_MAIL, "192.0.2.9", "smtp.example.net",
     "bad.helo", "<u@x.test>", NULL, false, NULL, NULL, NULL},
    {"combo no client name", STAGE_MAIL, "192.0.2.9", NULL, "bad.helo",
     "<u@x.test>", NULL, false, NULL, NULL, NULL},
    {"combo wrong helo", STAGE_MAIL, "192.0.2.9", "mx.example.net", "good",
     "<u@x.test>", NULL, false, NULL, NULL, NULL},
    {"combo wrong from", STAGE_MAIL, "192.0.2.9", "mx.example.net", "bad.helo",
     "<u@y.test>", NULL, false, NULL, NULL, NULL},
    {"combo authenticated", STAGE_MAIL, "192.0.2.9", "mx.example.net",
     "bad.helo", "<u@x.test>", NULL, true, NULL, NULL, NULL},
    /* the first matching rule wins */
    {"first wins", STAGE_RCPT, NULL, NULL, NULL, NULL, "<ceo@corp.example>",
     false, NULL, NULL, "first"},
    {"first only", STAGE_RCPT, NULL, NULL, NULL, NULL, "<x@corp.example>",
     false, NULL, NULL, "first"},
    {"both before first", STAGE_RCPT, "198.51.100.5", NULL, NULL, NULL,
     "<sales@corp.example>", false, NULL, NULL, "both"},
    /* helo, client_name */
    {"helo localhost", STAGE_HELO, NULL, NULL, "LOCALHOST", NULL, NULL, false,
     NULL, NULL, "helo"},
    {"helo anchored", STAGE_HELO, NULL, NULL, "localhost.example", NULL, NULL,
     false, NULL, NULL, NULL},
    {"client name", STAGE_CONNECT, "192.0.2.1", "host-1.DYN.example.net", NULL,
     NULL, NULL, false, NULL, NULL, "cname"},
    {"client name unknown", STAGE_CONNECT, "192.0.2.1", NULL, NULL, NULL, NULL,
     false, NULL, NULL, NULL},
    /* prefixes that do not end on a byte */
    {"/10 first", STAGE_HELO, "10.64.0.0", NULL, "h", NULL, NULL, false, NULL,
     NULL, "odd-prefix"},
    {"/10 last", STAGE_HELO, "10.127.255.255", NULL, "h", NULL, NULL, false,
     NULL, NULL, "odd-prefix"},
    {"/10 after", STAGE_HELO, "10.128.0.0", NULL, "h", NULL, NULL, false, NULL,
     NULL, NULL},
    {"/10 before", STAGE_HELO, "10.63.255.255", NULL, "h", NULL, NULL, false,
     NULL, NULL, NULL},
    {"/33 inside", STAGE_HELO, "2001:db8:8000::1", NULL, "h", NULL, NULL, false,
     NULL, NULL, "odd-prefix"},
    {"/33 outside", STAGE_HELO, "2001:db8:7fff:ffff::1", NULL, "h", NULL, NULL,
     false, NULL, NULL, NULL},
    {"single address", STAGE_HELO, "203.0.113.9", NULL, "h", NULL, NULL, false,
     NULL, NULL, "odd-prefix"},
    {"single address, neighbour", STAGE_HELO, "203.0.113.8", NULL, "h", NULL,
     NULL, false, NULL, NULL, NULL},
    {"single address, mapped", STAGE_HELO, "::ffff:203.0.113.9", NULL, "h",
     NULL, NULL, false, NULL, NULL, "odd-prefix"},
    /* header stage */
    {"header stage", STAGE_HEADER, NULL, NULL, NULL, NULL, NULL, false,
     "X-Mailer", "BadMailer 2.0", "hdr-stage"},
    /* eom rules without bitmaps never match */
    {"eom, no hits", STAGE_EOM, NULL, NULL, NULL, NULL, "<archive@x>", false,
     "X-Spam-Flag", "yes", NULL},
};

static void
set_bit(unsigned char *map, size_t i)
{
	map[i / 8] |= (unsigned char)(1 << (i % 8));
}

/* Which bits of map are set, as a list "8 9 ", for messages. */
static const char *
bits(const unsigned char *map, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < RULES_MAX && n + 8 < cap; i++)
		if (map[i / 8] >> (i % 8) & 1)
			n += (size_t)snprintf(buf + n, cap - n, "%zu ", i);
	return buf;
}

static void
test_more_rules(void **state)
{
	unsigned char rh[RULES_BITMAP_SIZE], hh[RULES_BITMAP_SIZE],
	    want[RULES_BITMAP_SIZE];
	const struct rule *r;
	struct rule_ctx ctx;
	struct config *c;
	struct diag d;
	char *path, shown[128];

	(void)state;
	c = load(more_rules, &d, &path);
	if (c == NULL)
		diag_print(&d, "more rules");
	assert_non_null(c);
	assert_int_equal(rules_count(c->rules), 13);
	assert_int_equal(run_cases(c->rules, more_cases,
	                           sizeof(more_cases) / sizeof(more_cases[0])),
	                 0);

	/* Recipients: only rules of later stages with a rcpt matcher. */
	memset(rh, 0, sizeof(rh));
	rules_note_rcpt(c->rules, "<ceo@corp.example>", rh);
	rules_note_rcpt(c->rules, "<sales@shop.example>", rh);
	memset(want, 0, sizeof(want));
	assert_memory_equal(rh, want, sizeof(rh));
	rules_note_rcpt(c->rules, "<ARCHIVE@example.com>", rh);
	set_bit(want, 8);
	if (memcmp(rh, want, sizeof(rh)) != 0)
		fail_msg("rcpt bits %s, want 8",
		         bits(rh, shown, sizeof(shown)));
	rules_note_rcpt(c->rules, "<legal@example.com>", rh);
	set_bit(want, 12);
	if (memcmp(rh, want, sizeof(rh)) != 0)
		fail_msg("rcpt bits %s, want 8 12",
		         bits(rh, shown, sizeof(shown)));

	/* Headers: only rules after the header stage. */
	memset(hh, 0, sizeof(hh));
	rules_note_header(c->rules, "Subject", "yes", hh);
	rules_note_header(c->rules, "X-Spam-Flag", "no", hh);
	memset(want, 0, sizeof(want));
	assert_memory_equal(hh, want, sizeof(hh));
	rules_note_header(c->rules, "x-spam-flag", "YES", hh);
	set_bit(want, 8);
	if (memcmp(hh, want, sizeof(hh)) != 0)
		fail_msg("header bits %s, want 8",
		         bits(hh, shown, sizeof(shown)));

	/* At eom the bitmaps stand for the matchers. */
	memset(&ctx, 0, sizeof(ctx));
	ctx.rcpt_hits = rh;
	ctx.header_hits = hh;
	r = rules_match(c->rules, STAGE_EOM, &ctx);
	assert_non_null(r);
	assert_string_equal(rule_name(r), "eom-rcpt");
	/* The rcpt matched but not the header: the next rule. */
	memset(hh, 0, sizeof(hh));
	r = rules_match(c->rules, STAGE_EOM, &ctx);
	assert_non_null(r);
	assert_string_equal(rule_name(r), "eom-rcpt-only");
	rules_note_header(c->rules, "X-Mailer", "badmailer/1.0", hh);
	memset(want, 0, sizeof(want));
	set_bit(want, 9);
	if (memcmp(hh, want, sizeof(hh)) != 0)
		fail_msg("header bits %s, want 9",
		         bits(hh, shown, sizeof(shown)));
	r = rules_match(c->rules, STAGE_EOM, &ctx);
	assert_non_null(r);
	assert_string_equal(rule_name(r), "eom-hdr");
	/* No recipient and no header hits: nothing. */
	memset(rh, 0, sizeof(rh));
	memset(hh, 0, sizeof(hh));
	assert_null(rules_match(c->rules, STAGE_EOM, &ctx));
	ctx.rcpt_hits = ctx.header_hits = NULL;
	assert_null(rules_match(c->rules, STAGE_EOM, &ctx));
	config_free(c);
	free(path);
}

/* No rules: nothing matches, nothing is noted. */
static void
test_no_rules(void **state)
{
	unsigned char hits[RULES_BITMAP_SIZE] = {0},
	              zero[RULES_BITMAP_SIZE] = {0};
	struct rule_ctx ctx;
	struct config *c;
	struct diag d;
	char *path;
	int st;

	(void)state;
	c = load("rules = ( );\n", &d, &path);
	assert_non_null(c);
	assert_int_equal(rules_count(c->rules), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.rcpt = "<blocked@example.com>";
	for (st = 0; st < STAGE_COUNT; st++)
		assert_null(rules_match(c->rules, (enum stage)st, &ctx));
	rules_note_rcpt(c->rules, "<a@b>", hits);
	rules_note_header(c->rules, "Subject", "x", hits);
	assert_memory_equal(hits, zero, sizeof(hits));
	config_free(c);
	free(path);
	assert_null(rules_match(NULL, STAGE_RCPT, &ctx));
	assert_int_equal(rules_count(NULL), 0);
}

static void
test_stage_names(void **state)
{
	static const char *const names[] = {"connect", "helo",   "mail",
	                                    "rcpt",    "header", "eom"};
	int st;

	(void)state;
	for (st = 0; st < STAGE_COUNT; st++)
		assert_string_equal(stage_name((enum stage)st), names[st]);
	assert_string_equal(stage_name(STAGE_COUNT), "?");
}

/*
 * Broken rules. Wanted messages follow the file's path: ":LINE: reason".
 * One-line rules where the message is about the rule as a whole.
 */
struct bad {
	const char *name;
	const char *text;
	const char *want[8]; /* NULL-terminated */
};

#define RULE1(body) "rules = (\n  { name = \"x\"; " body " }\n);\n"
#define CIDR_BAD    "' is not an IPv4 or IPv6 address or CIDR"

static const struct bad bads[] = {
    {"regex does not compile",
     "rules = (\n"
     "  {\n"
     "    name = \"rx\";\n"
     "    stage = \"rcpt\";\n"
     "    rcpt = \"(unclosed\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "  }\n"
     ");\n",
     {":5: rule 'rx': rcpt regex cannot be compiled: missing closing "
      "parenthesis at offset 9"}},
    {"header regex does not compile",
     "rules = (\n"
     "  {\n"
     "    name = \"hx\";\n"
     "    stage = \"header\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    header = \"Subject: [a-\";\n"
     "  }\n"
     ");\n",
     {":6: rule 'hx': header regex cannot be compiled: missing terminating ] "
      "for character class at offset 3"}},
    {"unknown stage",
     RULE1("stage = \"data\"; reply = \"550 5.7.1 x\";"),
     {":2: rule 'x': unknown stage 'data' (connect, helo, mail, rcpt, header "
      "or eom)"}},
    {"stage in upper case",
     RULE1("stage = \"RCPT\"; reply = \"550 5.7.1 x\";"),
     {":2: rule 'x': unknown stage 'RCPT' (connect, helo, mail, rcpt, header "
      "or eom)"}},
    {"unknown matcher",
     "rules = (\n"
     "  {\n"
     "    name = \"x\";\n"
     "    stage = \"rcpt\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    subject = \"forbidden\";\n"
     "  }\n"
     ");\n",
     {":6: rule 'x': unknown matcher 'subject'"}},
    {"reply 250",
     RULE1("stage = \"rcpt\"; reply = \"250 ok\";"),
     {":2: rule 'x': reply '250 ok' is not a 4xx or 5xx reply"}},
    {"reply 354",
     RULE1("stage = \"rcpt\"; reply = \"354 go on\";"),
     {":2: rule 'x': reply '354 go on' is not a 4xx or 5xx reply"}},
    {"reply not a reply",
     RULE1("stage = \"rcpt\"; reply = \"hello\";"),
     {":2: rule 'x': reply 'hello' does not start with an SMTP code"}},
    {"reply 650",
     RULE1("stage = \"rcpt\"; reply = \"650 x\";"),
     {":2: rule 'x': reply '650 x' does not start with an SMTP code"}},
    {"reply empty",
     RULE1("stage = \"rcpt\"; reply = \"\";"),
     {":2: rule 'x': reply '' does not start with an SMTP code"}},
    {"rcpt at stage mail",
     "rules = (\n"
     "  {\n"
     "    name = \"x\";\n"
     "    stage = \"mail\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    rcpt = \"^<?a@\";\n"
     "  }\n"
     ");\n",
     {":6: rule 'x': matcher 'rcpt' is not known before stage 'rcpt'"}},
    {"header at stage rcpt",
     "rules = (\n"
     "  {\n"
     "    name = \"x\";\n"
     "    stage = \"rcpt\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    header = \"Subject: x\";\n"
     "  }\n"
     ");\n",
     {":6: rule 'x': matcher 'header' is not known before stage 'header'"}},
    {"auth at connect",
     "rules = (\n"
     "  {\n"
     "    name = \"x\";\n"
     "    stage = \"connect\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    auth = true;\n"
     "  }\n"
     ");\n",
     {":6: rule 'x': matcher 'auth' is not known before stage 'mail'"}},
    {"helo at connect",
     RULE1("stage = \"connect\"; reply = \"550 5.7.1 x\"; helo = \"x\";"),
     {":2: rule 'x': matcher 'helo' is not known before stage 'helo'"}},
    {"from at helo",
     RULE1("stage = \"helo\"; reply = \"550 5.7.1 x\"; from = \"x\";"),
     {":2: rule 'x': matcher 'from' is not known before stage 'mail'"}},
    {"CIDR /33",
     "rules = (\n"
     "  {\n"
     "    name = \"x\";\n"
     "    stage = \"connect\";\n"
     "    reply = \"450 4.7.1 x\";\n"
     "    client_addr = [\"192.0.2.0/24\", \"192.0.2.0/33\"];\n"
     "  }\n"
     ");\n",
     {":6: rule 'x': '192.0.2.0/33" CIDR_BAD}},
    {"CIDR word",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "\"foo\";"),
     {":2: rule 'x': 'foo" CIDR_BAD}},
    {"CIDR IPv6 /129",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "[\"2001:db8::/129\"];"),
     {":2: rule 'x': '2001:db8::/129" CIDR_BAD}},
    {"CIDR empty prefix",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "[\"192.0.2.0/\"];"),
     {":2: rule 'x': '192.0.2.0/" CIDR_BAD}},
    {"CIDR negative prefix",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "[\"192.0.2.0/-1\"];"),
     {":2: rule 'x': '192.0.2.0/-1" CIDR_BAD}},
    {"CIDR trailing junk",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "[\"192.0.2.0/24x\"];"),
     {":2: rule 'x': '192.0.2.0/24x" CIDR_BAD}},
    {"CIDR bad octet",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = "
           "[\"300.0.2.0/24\"];"),
     {":2: rule 'x': '300.0.2.0/24" CIDR_BAD}},
    {"CIDR empty list",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = [];"),
     {":2: rule 'x': client_addr needs 1 to 256 CIDRs"}},
    {"CIDR not a list",
     RULE1("stage = \"connect\"; reply = \"450 4.7.1 x\"; client_addr = 5;"),
     {":2: rule 'x': client_addr must be a list of CIDRs"}},
    {"duplicate rule names",
     "rules = (\n"
     "  { name = \"a\"; stage = \"rcpt\"; reply = \"550 5.7.1 x\"; },\n"
     "  { name = \"b\"; stage = \"rcpt\"; reply = \"550 5.7.1 x\"; },\n"
     "  { name = \"a\"; stage = \"mail\"; reply = \"550 5.7.1 y\"; }\n"
     ");\n",
     {":4: duplicate rule name 'a' (first at line 2)"}},
    {"no name",
     "rules = (\n  { stage = \"rcpt\"; reply = \"550 5.7.1 x\"; }\n);\n",
     {":2: rule needs a 'name' string"}},
    {"empty name",
     "rules = (\n  { name = \"\"; stage = \"rcpt\"; reply = \"550 5.7.1 x\"; "
     "}\n);\n",
     {":2: rule needs a 'name' string"}},
    {"no stage",
     RULE1("reply = \"550 5.7.1 x\";"),
     {":2: rule 'x' needs a 'stage' (connect, helo, mail, rcpt, header or "
      "eom)"}},
    {"no reply",
     RULE1("stage = \"rcpt\";"),
     {":2: rule 'x' needs a 'reply' such as \"550 5.7.1 Refused\""}},
    {"header without colon",
     RULE1("stage = \"header\"; reply = \"550 5.7.1 x\"; header = \"Subject "
           "forbidden\";"),
     {":2: rule 'x': header must be \"Name: regex\""}},
    {"header without name",
     RULE1("stage = \"header\"; reply = \"550 5.7.1 x\"; header = \": x\";"),
     {":2: rule 'x': header must be \"Name: regex\""}},
    {"header name with a space",
     RULE1("stage = \"header\"; reply = \"550 5.7.1 x\"; header = \"Sub ject: "
           "x\";"),
     {":2: rule 'x': header name in 'Sub ject: x' is not a header field "
      "name"}},
    {"auth not a boolean",
     RULE1("stage = \"mail\"; reply = \"550 5.7.1 x\"; auth = \"yes\";"),
     {":2: rule 'x': auth must be true or false"}},
    {"rcpt not a string",
     RULE1("stage = \"rcpt\"; reply = \"550 5.7.1 x\"; rcpt = 5;"),
     {":2: rule 'x': 'rcpt' must be a string"}},
    {"rule not a group",
     "rules = (\n  \"x\" );\n",
     {":2: each rule must be a group { name = ...; }"}},
    {"rules not a list",
     "\nrules = { name = \"x\"; };\n",
     {":2: 'rules' must be a list ( { ... }, ... )"}},
    {"several errors",
     "rules = (\n"
     "  { name = \"a\"; stage = \"data\"; reply = \"550 5.7.1 x\"; },\n"
     "  {\n"
     "    name = \"b\";\n"
     "    stage = \"mail\";\n"
     "    reply = \"550 5.7.1 x\";\n"
     "    rcpt = \"x\";\n"
     "    from = \"(\";\n"
     "    colour = \"red\";\n"
     "  },\n"
     "  { name = \"c\"; stage = \"rcpt\"; reply = \"250 ok\"; },\n"
     "  { name = \"b\"; stage = \"connect\"; reply = \"450 4.7.1 x\";"
     " client_addr = \"192.0.2.0/33\"; }\n"
     ");\n",
     {":2: rule 'a': unknown stage 'data' (connect, helo, mail, rcpt, header "
      "or eom)",
      ":7: rule 'b': matcher 'rcpt' is not known before stage 'rcpt'",
      ":8: rule 'b': from regex cannot be compiled: missing closing "
      "parenthesis at offset 1",
      ":9: rule 'b': unknown matcher 'colour'",
      ":11: rule 'c': reply '250 ok' is not a 4xx or 5xx reply",
      ":12: duplicate rule name 'b' (first at line 3)",
      ":12: rule 'b': '192.0.2.0/33" CIDR_BAD}},
};

static void
test_errors(void **state)
{
	const char *want[9];
	char *full[9], *path;
	struct config *c;
	struct diag d;
	int nfail = 0;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		c = load(bads[i].text, &d, &path);
		EXPECT(nfail, bads[i].name, c == NULL, "loaded");
		config_free(c);
		for (k = 0; bads[i].want[k] != NULL; k++) {
			assert_true(asprintf(&full[k], "%s%s", path,
			                     bads[i].want[k]) > 0);
			want[k] = full[k];
		}
		want[k] = NULL;
		nfail += diag_expect(&d, bads[i].name, want);
		while (k-- > 0)
			free(full[k]);
		free(path);
	}
	EXPECT_DONE(nfail);
}

/* "several errors" names rule b twice with an error of its own as well. */
static void
test_errors_cidr_after_duplicate(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *want;

	(void)state;
	c = load(
	    "rules = (\n"
	    "  { name = \"b\"; stage = \"rcpt\"; reply = \"550 5.7.1 x\"; },\n"
	    "  { name = \"b\"; stage = \"connect\"; reply = \"450 4.7.1 x\";"
	    " client_addr = \"192.0.2.0/33\"; }\n"
	    ");\n",
	    &d, &path);
	assert_null(c);
	assert_true(asprintf(&want,
	                     "%s:3: rule 'b': '192.0.2.0/33' is not an "
	                     "IPv4 or IPv6 address or CIDR",
	                     path) > 0);
	if (!diag_has(&d, want)) {
		diag_print(&d, "duplicate and bad CIDR");
		fail_msg("no message \"%s\"", want);
	}
	free(want);
	free(path);
}

/* A reply of more than one line is refused. */
static void
test_multiline_reply(void **state)
{
	struct config *c;
	struct diag d;
	char *path, *prefix;

	(void)state;
	c = load(RULE1("stage = \"rcpt\"; reply = \"550-5.7.1 a\\r\\n550 5.7.1 "
	               "b\";"),
	         &d, &path);
	assert_null(c);
	assert_true(asprintf(&prefix, "%s:2: rule 'x': reply '", path) > 0);
	if (!diag_has_like(&d, prefix, "must be one line")) {
		diag_print(&d, "multi-line reply");
		fail_msg("no message \"%s...must be one line\"", prefix);
	}
	free(prefix);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_issue_rules),
	    cmocka_unit_test(test_more_rules),
	    cmocka_unit_test(test_no_rules),
	    cmocka_unit_test(test_stage_names),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_errors_cidr_after_duplicate),
	    cmocka_unit_test(test_multiline_reply),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
