/*
 * rules - load and match the milter's own rules.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <arpa/inet.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pcre2.h>

#include "engine/rules.h"

#define CIDR_MAX 256

struct cidr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;
};

enum { RX_CLIENT_NAME, RX_HELO, RX_FROM, RX_RCPT, RX_HEADER, RX_COUNT };

struct rule {
	const char *name;
	enum stage stage;
	unsigned line;
	size_t index;
	struct cidr *cidrs;
	size_t ncidrs;
	pcre2_code *rx[RX_COUNT];
	char *header_name;
	int auth; /* -1: not checked */
	struct reply reply;
	struct reply_out
	    *fixed; /* annotated at load (rules_prepare), or NULL */
};

#define FIXED_RULES 64 /* a reply_out is 16 KB */

struct rules {
	struct rule *v;
	size_t n;
};

static const char *const stage_names[STAGE_COUNT] = {
    "connect", "helo", "mail", "rcpt", "header", "eom",
};

/* Matchers by name, with the first stage at which each is known. */
static const struct {
	const char *name;
	int rx; /* RX_*, or -1 for client_addr and auth */
	enum stage first;
} matchers[] = {
    {"client_addr", -1, STAGE_CONNECT},
    {"client_name", RX_CLIENT_NAME, STAGE_CONNECT},
    {"helo", RX_HELO, STAGE_HELO},
    {"from", RX_FROM, STAGE_MAIL},
    {"rcpt", RX_RCPT, STAGE_RCPT},
    {"header", RX_HEADER, STAGE_HEADER},
    {"auth", -1, STAGE_MAIL},
};

const char *
stage_name(enum stage s)
{
	return s < STAGE_COUNT ? stage_names[s] : "?";
}

const char *
rule_name(const struct rule *r)
{
	return r->name;
}

enum stage
rule_stage(const struct rule *r)
{
	return r->stage;
}

const struct reply *
rule_reply(const struct rule *r)
{
	return &r->reply;
}

const struct reply_out *
rule_fixed_reply(const struct rule *r)
{
	return r->fixed;
}

static int
same_out(const struct reply_out *a, const struct reply_out *b)
{
	size_t i;

	if (strcmp(a->code, b->code) != 0 || strcmp(a->ecode, b->ecode) != 0 ||
	    a->nlines != b->nlines || a->entry != b->entry ||
	    a->cause != b->cause)
		return 0;
	for (i = 0; i < a->nlines; i++)
		if (strcmp(a->line[i], b->line[i]) != 0)
			return 0;
	return 1;
}

/*
 * A rule's reply is the same text every time; annotating it takes more
 * than the rest of refusing a recipient. Rendered for two sessions that
 * share no value, the same output depends on none: it is kept.
 */
void
rules_prepare(struct rules *rs, const struct codetable *t,
              const struct reply_site *site)
{
	static const struct reply_vars one = {"Q1", "192.0.2.1", NULL, NULL,
	                                      NULL};
	static const struct reply_vars two = {"Q2", "2001:db8::2", NULL, NULL,
	                                      NULL};
	struct reply_out *a, *b;
	size_t i;

	if (rs == NULL || (b = malloc(sizeof(*b))) == NULL)
		return;
	for (i = 0; i < rs->n && i < FIXED_RULES; i++) {
		if ((a = malloc(sizeof(*a))) == NULL)
			break;
		if (reply_annotate(&rs->v[i].reply, t, site, &one, a) ==
		        REPLY_ANNOTATED &&
		    reply_annotate(&rs->v[i].reply, t, site, &two, b) ==
		        REPLY_ANNOTATED &&
		    same_out(a, b))
			rs->v[i].fixed = a;
		else
			free(a);
	}
	free(b);
}

size_t
rules_count(const struct rules *rs)
{
	return rs != NULL ? rs->n : 0;
}

/* Loading. */

struct rload {
	struct diag *d;
	const char *file;
	struct rule *r;
	unsigned line; /* of the setting being read */
};

static int __attribute__((format(printf, 2, 3)))
rerr(struct rload *L, const char *fmt, ...)
{
	char msg[DIAG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(L->d, L->file, L->line, "%s", msg);
	return -1;
}

static int
parse_cidr(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned max;
	long bits;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	c->bits = max;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 ||
		    bits > (long)max)
			return -1;
		c->bits = (unsigned)bits;
	}
	return 0;
}

static int
load_cidrs(struct rload *L, const config_setting_t *s)
{
	const config_setting_t *el;
	const char *v;
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		n = 1;
	else if (config_setting_is_array(s) || config_setting_is_list(s))
		n = config_setting_length(s);
	else
		return rerr(L,
		            "rule '%s': client_addr must be a list of "
		            "CIDRs",
		            L->r->name);
	if (n == 0 || n > CIDR_MAX)
		return rerr(L, "rule '%s': client_addr needs 1 to 256 CIDRs",
		            L->r->name);
	if ((L->r->cidrs = calloc((size_t)n, sizeof(struct cidr))) == NULL)
		return rerr(L, "rule '%s': out of memory", L->r->name);
	for (i = 0; i < n; i++) {
		el = config_setting_type(s) == CONFIG_TYPE_STRING
		         ? s
		         : config_setting_get_elem(s, (unsigned)i);
		v = config_setting_type(el) == CONFIG_TYPE_STRING
		        ? config_setting_get_string(el)
		        : "";
		if (parse_cidr(v, &L->r->cidrs[i]) != 0)
			return rerr(L,
			            "rule '%s': '%s' is not an IPv4 or IPv6 "
			            "address or CIDR",
			            L->r->name, v);
		L->r->ncidrs++;
	}
	return 0;
}

static int
compile_rx(struct rload *L, int which, const char *what, const char *pattern)
{
	PCRE2_UCHAR msg[256];
	char why[320];
	PCRE2_SIZE off;
	int err;

	L->r->rx[which] =
	    pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                  PCRE2_CASELESS, &err, &off, NULL);
	if (L->r->rx[which] != NULL) {
		/* JIT, as the cause patterns: the interpreter cost about a
		 * thousand instructions even for "."; without JIT (not built
		 * in, no memory) pcre2_match interprets as before. */
		pcre2_jit_compile(L->r->rx[which], PCRE2_JIT_COMPLETE);
		return 0;
	}
	pcre2_get_error_message(err, msg, sizeof(msg));
	snprintf(why, sizeof(why),
	         "%s regex cannot be compiled: %s at offset %zu", what,
	         (const char *)msg, (size_t)off);
	return rerr(L, "rule '%s': %s", L->r->name, why);
}

static int
load_header(struct rload *L, const char *v)
{
	const char *colon = strchr(v, ':'), *p;
	size_t n;

	if (colon == NULL || colon == v)
		return rerr(L, "rule '%s': header must be \"Name: regex\"",
		            L->r->name);
	n = (size_t)(colon - v);
	for (p = v; p < colon; p++)
		if (*p <= ' ' || *p > '~')
			return rerr(L,
			            "rule '%s': header name in '%s' is not "
			            "a header field name",
			            L->r->name, v);
	if ((L->r->header_name = strndup(v, n)) == NULL)
		return rerr(L, "rule '%s': out of memory", L->r->name);
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	return compile_rx(L, RX_HEADER, "header", p);
}

static int
load_matcher(struct rload *L, const config_setting_t *s, size_t m)
{
	const char *name = matchers[m].name;

	if (L->r->stage < matchers[m].first) {
		diag_add(L->d, L->file, L->line,
		         "rule '%s': matcher '%s' is not known before stage "
		         "'%s'",
		         L->r->name, name, stage_names[matchers[m].first]);
		return -1;
	}
	if (strcmp(name, "client_addr") == 0)
		return load_cidrs(L, s);
	if (strcmp(name, "auth") == 0) {
		if (config_setting_type(s) != CONFIG_TYPE_BOOL)
			return rerr(L, "rule '%s': auth must be true or false",
			            L->r->name);
		L->r->auth = config_setting_get_bool(s) ? 1 : 0;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return rerr(L, "rule '%s': '%s' must be a string", L->r->name,
		            name);
	if (matchers[m].rx == RX_HEADER)
		return load_header(L, config_setting_get_string(s));
	return compile_rx(L, matchers[m].rx, name,
	                  config_setting_get_string(s));
}

static int
load_reply(struct rload *L, const char *v)
{
	int cls;

	if (reply_parse(&L->r->reply, v, strlen(v)) != 0)
		return rerr(L,
		            "rule '%s': reply '%s' does not start with an "
		            "SMTP code",
		            L->r->name, v);
	cls = L->r->reply.code / 100;
	if (cls != 4 && cls != 5)
		return rerr(L,
		            "rule '%s': reply '%s' is not a 4xx or 5xx reply",
		            L->r->name, v);
	if (strchr(v, '\n') != NULL || strchr(v, '\r') != NULL)
		return rerr(L, "rule '%s': reply '%s' must be one line",
		            L->r->name, v);
	return 0;
}

/* Name, stage and reply first: the matchers' messages need them. */
static int
load_head(struct rload *L, const config_setting_t *g)
{
	const char *name = NULL, *stage = NULL, *reply = NULL;
	int i;

	config_setting_lookup_string(g, "name", &name);
	config_setting_lookup_string(g, "stage", &stage);
	config_setting_lookup_string(g, "reply", &reply);
	L->r->name = name != NULL ? name : "?";
	if (name == NULL || *name == '\0')
		return rerr(L, "rule needs a 'name' string");
	if (stage == NULL)
		return rerr(L, "rule '%s' needs a 'stage' (%s)", name,
		            "connect, helo, mail, rcpt, header or eom");
	for (i = 0; i < STAGE_COUNT && strcmp(stage, stage_names[i]) != 0; i++)
		;
	if (i == STAGE_COUNT)
		return rerr(L,
		            "rule '%s': unknown stage '%s' (connect, helo, "
		            "mail, rcpt, header or eom)",
		            name, stage);
	L->r->stage = (enum stage)i;
	if (reply == NULL)
		return rerr(L, "rule '%s' needs a 'reply' such as %s", name,
		            "\"550 5.7.1 Refused\"");
	return load_reply(L, reply);
}

static int
load_rule(struct rload *L, const config_setting_t *g, const struct rules *done)
{
	const config_setting_t *s;
	const char *key;
	int i, n, failed = 0;
	size_t k;

	L->line = L->r->line = config_setting_source_line(g);
	if (!config_setting_is_group(g))
		return rerr(L, "each rule must be a group { name = ...; }");
	if (load_head(L, g) != 0)
		return -1;
	for (k = 0; k < L->r->index; k++)
		if (strcmp(done->v[k].name, L->r->name) == 0) {
			diag_add(L->d, L->file, L->line,
			         "duplicate rule name '%s' (first at line %u)",
			         L->r->name, done->v[k].line);
			failed = 1;
		}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		key = config_setting_name(s);
		L->line = config_setting_source_line(s);
		if (strcmp(key, "name") == 0 || strcmp(key, "stage") == 0 ||
		    strcmp(key, "reply") == 0)
			continue;
		for (k = 0; k < sizeof(matchers) / sizeof(matchers[0]); k++)
			if (strcmp(matchers[k].name, key) == 0)
				break;
		if (k == sizeof(matchers) / sizeof(matchers[0]))
			failed |= rerr(L, "rule '%s': unknown matcher '%s'",
			               L->r->name, key) != 0;
		else
			failed |= load_matcher(L, s, k) != 0;
	}
	return failed ? -1 : 0;
}

int
rules_load(struct rules **out, const config_setting_t *list, const char *file,
           struct diag *d)
{
	struct rules *rs;
	struct rload L = {d, file, NULL, config_setting_source_line(list)};
	int i, n, failed = 0;

	*out = NULL;
	if (!config_setting_is_list(list))
		return rerr(&L, "'rules' must be a list ( { ... }, ... )");
	n = config_setting_length(list);
	if (n > RULES_MAX)
		return rerr(&L, "more than 1024 rules");
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->v = calloc((size_t)n + 1, sizeof(*rs->v))) == NULL) {
		free(rs);
		return rerr(&L, "out of memory");
	}
	for (i = 0; i < n; i++) {
		L.r = &rs->v[rs->n];
		L.r->auth = -1;
		L.r->index = rs->n;
		rs->n++;
		if (load_rule(&L, config_setting_get_elem(list, (unsigned)i),
		              rs) != 0)
			failed = 1;
	}
	*out = rs;
	return failed ? -1 : 0;
}

void
rules_free(struct rules *rs)
{
	size_t i;
	int k;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		for (k = 0; k < RX_COUNT; k++)
			pcre2_code_free(rs->v[i].rx[k]);
		free(rs->v[i].cidrs);
		free(rs->v[i].header_name);
		free(rs->v[i].fixed);
	}
	free(rs->v);
	free(rs);
}

/* Matching. */

static int
rx_match(const pcre2_code *rx, const char *subject)
{
	pcre2_match_data *md;
	int rc;

	if (subject == NULL)
		return 0;
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return 0;
	rc = pcre2_match(rx, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md,
	                 NULL);
	pcre2_match_data_free(md);
	return rc >= 0;
}

static int
prefix_match(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char mask;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

static int
cidr_match(const struct rule *r, const struct sockaddr *sa)
{
	static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
	                                           0, 0, 0, 0, 0xff, 0xff};
	const unsigned char *a4 = NULL, *a6 = NULL;
	size_t i;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET)
		a4 = (const unsigned char *)&((const struct sockaddr_in *)sa)
		         ->sin_addr;
	else if (sa->sa_family == AF_INET6) {
		a6 = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		/* An IPv4 client seen through an IPv6 socket. */
		if (memcmp(a6, v4mapped, 12) == 0)
			a4 = a6 + 12;
	} else
		return 0;
	for (i = 0; i < r->ncidrs; i++) {
		const struct cidr *c = &r->cidrs[i];

		if (c->family == AF_INET && a4 != NULL &&
		    prefix_match(a4, c->addr, c->bits))
			return 1;
		if (c->family == AF_INET6 && a6 != NULL &&
		    prefix_match(a6, c->addr, c->bits))
			return 1;
	}
	return 0;
}

static int
bit(const unsigned char *map, size_t i)
{
	return map != NULL && (map[i / 8] >> (i % 8) & 1);
}

static int
header_matches(const struct rule *r, const char *name, const char *value)
{
	return name != NULL && strcasecmp(name, r->header_name) == 0 &&
	       rx_match(r->rx[RX_HEADER], value);
}

static int
rule_matches(const struct rule *r, enum stage st, const struct rule_ctx *c)
{
	if (r->ncidrs > 0 && !cidr_match(r, c->addr))
		return 0;
	if (r->auth >= 0 && r->auth != (c->auth ? 1 : 0))
		return 0;
	if (r->rx[RX_CLIENT_NAME] &&
	    !rx_match(r->rx[RX_CLIENT_NAME], c->client_name))
		return 0;
	if (r->rx[RX_HELO] && !rx_match(r->rx[RX_HELO], c->helo))
		return 0;
	if (r->rx[RX_FROM] && !rx_match(r->rx[RX_FROM], c->from))
		return 0;
	if (r->rx[RX_RCPT] &&
	    !(st == STAGE_RCPT ? rx_match(r->rx[RX_RCPT], c->rcpt)
	                       : bit(c->rcpt_hits, r->index)))
		return 0;
	if (r->rx[RX_HEADER] &&
	    !(st == STAGE_HEADER
	          ? header_matches(r, c->header_name, c->header_value)
	          : bit(c->header_hits, r->index)))
		return 0;
	return 1;
}

const struct rule *
rules_match(const struct rules *rs, enum stage st, const struct rule_ctx *c)
{
	size_t i;

	if (rs == NULL)
		return NULL;
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].stage == st && rule_matches(&rs->v[i], st, c))
			return &rs->v[i];
	return NULL;
}

void
rules_note_rcpt(const struct rules *rs, const char *rcpt, unsigned char *hits)
{
	size_t i;

	for (i = 0; rs != NULL && i < rs->n; i++)
		if (rs->v[i].stage > STAGE_RCPT && rs->v[i].rx[RX_RCPT] &&
		    rx_match(rs->v[i].rx[RX_RCPT], rcpt))
			hits[i / 8] |= (unsigned char)(1 << (i % 8));
}

void
rules_note_header(const struct rules *rs, const char *name, const char *value,
                  unsigned char *hits)
{
	size_t i;

	for (i = 0; rs != NULL && i < rs->n; i++)
		if (rs->v[i].stage > STAGE_HEADER && rs->v[i].rx[RX_HEADER] &&
		    header_matches(&rs->v[i], name, value))
			hits[i / 8] |= (unsigned char)(1 << (i % 8));
}
