/*
 * cause - compile the code table's causes and recognise them in replies.
 *
 * Each pattern is compiled on its own (JIT) and registered with a
 * prefilter by the literal text it requires, so classifying a reply is one
 * walk over its text plus the few patterns whose literals were seen, tried
 * in table order. Each cause's patterns are also compiled as one
 * alternation, to check its placeholders against named groups and to take
 * the captures of the cause that won.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/cause.h"
#include "core/prefilter.h"
#include "core/reply.h"
#include "core/sbuf.h"
#include "core/smtpcode.h"

/* Bounded work per reply whatever a site's patterns look like. */
#define MATCH_LIMIT 200000
#define JOIN_MAX    (64 * 1024)

struct cause_rt {
	const struct cause_entry *e;
	pcre2_code *rx; /* its patterns as one alternation */
	pcre2_code *prx[CAUSE_PATTERNS_MAX]; /* each pattern, JIT-compiled */
	pcre2_code *urx[CAUSE_UNLESS_MAX];   /* its "unless" patterns */
	unsigned first_id;                   /* prefilter ids first_id.. */
	unsigned first_unless_id;            /* and first_unless_id.. */
	bool has_vars;                       /* its texts take captures */
	bool cls[6];                         /* "4xx", "5xx" */
	uint8_t basic[600 / 8 + 1];
	uint8_t enh[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX / 8 + 1];
	uint8_t implied[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX / 8 + 1];
	uint8_t implied_basic[600 / 8 + 1]; /* 503: protocol-error */
};

struct causeset {
	size_t n;
	struct cause_rt *rt;
	struct prefilter *pf;
	pcre2_match_context *mc; /* read only once built: shared */
};

#define BIT_SET(a, i) ((a)[(i) / 8] |= (uint8_t)(1u << ((i) % 8)))
#define BIT_GET(a, i) (((a)[(i) / 8] >> ((i) % 8)) & 1u)

struct build {
	const char *file;
	struct diag *d;
	int bad;
};

static void berr(struct build *, unsigned, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
berr(struct build *B, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_add(B->d, B->file, line, "%s", msg);
	B->bad = 1;
}

/*
 * Constructs that would reach outside a pattern once it is one alternative
 * among others: numbered references and recursion, callouts, verbs.
 */
static const char *
pattern_refused(const char *p)
{
	for (; *p != '\0'; p++) {
		if (p[0] == '\\' && p[1] != '\0') {
			if (p[1] == 'g' || (p[1] >= '1' && p[1] <= '9'))
				return "back references are not supported";
			p++;
			continue;
		}
		if (p[0] == '(' && p[1] == '*')
			return "(*VERB) items are not supported";
		if (p[0] != '(' || p[1] != '?')
			continue;
		if (p[2] == 'C')
			return "callouts are not supported";
		if (p[2] == 'R' || p[2] == '&' || p[2] == '+' ||
		    isdigit((unsigned char)p[2]) ||
		    (p[2] == '-' && isdigit((unsigned char)p[3])) ||
		    (p[2] == 'P' && (p[3] == '>' || p[3] == '=')))
			return "subroutine calls and references are not "
			       "supported";
	}
	return NULL;
}

static pcre2_code *
compile(const char *pattern, size_t len, char *why, size_t cap)
{
	PCRE2_UCHAR msg[200];
	PCRE2_SIZE off;
	pcre2_code *rx;
	int err;

	rx = pcre2_compile((PCRE2_SPTR)pattern, len,
	                   PCRE2_CASELESS | PCRE2_DUPNAMES, &err, &off, NULL);
	if (rx == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		snprintf(why, cap, "%s at offset %zu", (const char *)msg,
		         (size_t)off);
	}
	return rx;
}

/* Whether rx has a named group called name[0..len). */
static bool
has_group(const pcre2_code *rx, const char *name, size_t len)
{
	uint32_t count = 0, size = 0, i;
	PCRE2_SPTR table = NULL;

	pcre2_pattern_info(rx, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(rx, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(rx, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count; i++) {
		const char *n = (const char *)table + i * size + 2;

		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return true;
	}
	return false;
}

/* Placeholders: "${name:-default}", name a capture group of the cause. */
static int
check_text(struct build *B, const struct cause_rt *c, const char *text,
           bool *vars)
{
	const char *p, *close, *sep;
	size_t i;

	for (p = text; (p = strstr(p, "${")) != NULL; p = close + 1) {
		if ((close = strchr(p + 2, '}')) == NULL) {
			berr(B, c->e->line,
			     "cause '%s': unterminated ${ in its text",
			     c->e->name);
			return -1;
		}
		sep = strstr(p + 2, ":-");
		if (sep == NULL || sep > close || sep == p + 2) {
			berr(B, c->e->line,
			     "cause '%s': a placeholder must read "
			     "${name:-default text}",
			     c->e->name);
			return -1;
		}
		for (i = 2; p + i < sep; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '_') {
				berr(B, c->e->line,
				     "cause '%s': bad placeholder name in "
				     "'%s'",
				     c->e->name, text);
				return -1;
			}
		if (c->rx == NULL ||
		    !has_group(c->rx, p + 2, (size_t)(sep - p - 2))) {
			berr(B, c->e->line,
			     "cause '%s': placeholder in '%s' names no "
			     "capture group of its patterns",
			     c->e->name, text);
			return -1;
		}
		*vars = true;
	}
	return 0;
}

static int
set_codes(struct build *B, struct cause_rt *c, const char *const *codes,
          size_t n, bool implied)
{
	struct code_ref ref;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *v = codes[i];

		if (!implied &&
		    (strcmp(v, "4xx") == 0 || strcmp(v, "5xx") == 0)) {
			c->cls[v[0] - '0'] = true;
			continue;
		}
		if (code_parse(v, &ref) != 0 ||
		    (ref.kind == CODE_ENHANCED && ref.cls != 0) ||
		    (ref.kind == CODE_BASIC && ref.cls < 4) ||
		    (ref.kind == CODE_ENHANCED &&
		     (ref.subject > CODE_SUBJECT_MAX ||
		      ref.detail > CODE_DETAIL_MAX))) {
			berr(B, c->e->line,
			     implied
			         ? "cause '%s': implied_by code '%s' is not "
			           "an enhanced code such as X.1.1 or a "
			           "4xx/5xx basic code"
			         : "cause '%s': code '%s' is not 4xx, 5xx, "
			           "a 4xx/5xx basic code or X.S.D",
			     c->e->name, v);
			continue;
		}
		if (ref.kind == CODE_BASIC && implied)
			BIT_SET(c->implied_basic, ref.basic);
		else if (ref.kind == CODE_BASIC)
			BIT_SET(c->basic, ref.basic);
		else if (implied)
			BIT_SET(c->implied[ref.subject], ref.detail);
		else
			BIT_SET(c->enh[ref.subject], ref.detail);
	}
	return 0;
}

/* "(?:p1)|(?:p2)|...": a cause's patterns as one expression. */
static int
join(char *dst, size_t *len, size_t cap, const char *p)
{
	int n;

	n = snprintf(dst + *len, cap - *len, "%s(?:%s)", *len > 0 ? "|" : "",
	             p);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/* Whether one of the cause's texts takes a capture ("${name:-...}"). */
static bool
has_placeholders(const struct cause_entry *e)
{
	return strstr(e->explanation, "${") != NULL ||
	       strstr(e->when, "${") != NULL || strstr(e->fix, "${") != NULL;
}

static void
build_one(struct build *B, struct causeset *cs, struct cause_rt *c,
          unsigned *id, char *buf, size_t cap)
{
	const struct cause_entry *e = c->e;
	const char *why;
	char msg[300];
	size_t i, len = 0;

	c->first_id = *id;
	for (i = 0; i < e->npatterns; i++, (*id)++) {
		if ((why = pattern_refused(e->patterns[i])) != NULL) {
			berr(B, e->line, "cause '%s': pattern '%s': %s",
			     e->name, e->patterns[i], why);
			continue;
		}
		c->prx[i] = compile(e->patterns[i], PCRE2_ZERO_TERMINATED, msg,
		                    sizeof(msg));
		if (c->prx[i] == NULL) {
			berr(B, e->line,
			     "cause '%s': pattern '%s' cannot be compiled: %s",
			     e->name, e->patterns[i], msg);
			continue;
		}
		pcre2_jit_compile(c->prx[i], PCRE2_JIT_COMPLETE);
		if (prefilter_add(cs->pf, e->patterns[i], *id) < 0 ||
		    join(buf, &len, cap, e->patterns[i]) != 0) {
			berr(B, e->line, "cause '%s': %s", e->name,
			     "too many or too long patterns");
			return;
		}
	}
	/*
	 * The alternation serves only the placeholders (their names are
	 * checked against it, its captures fill them): a cause whose texts
	 * have none is spared compiling it, which keeps a reload short.
	 */
	if (B->bad || len == 0 || !has_placeholders(e))
		return;
	if ((c->rx = compile(buf, len, msg, sizeof(msg))) == NULL)
		berr(B, e->line, "cause '%s': %s", e->name, msg);
	else
		pcre2_jit_compile(c->rx, PCRE2_JIT_COMPLETE);
}

/*
 * The "unless" patterns: run only for a cause about to be given, and
 * only those the prefilter lets through, as the patterns.
 */
static void
build_unless(struct build *B, struct causeset *cs, struct cause_rt *c,
             unsigned *id)
{
	const struct cause_entry *e = c->e;
	const char *why;
	char msg[300];
	size_t i;

	c->first_unless_id = *id;
	for (i = 0; i < e->nunless; i++, (*id)++) {
		if (prefilter_add(cs->pf, e->unless[i], *id) < 0) {
			berr(B, e->line, "cause '%s': %s", e->name,
			     "too many or too long patterns");
			return;
		}
		if ((why = pattern_refused(e->unless[i])) != NULL) {
			berr(B, e->line, "cause '%s': unless '%s': %s", e->name,
			     e->unless[i], why);
			continue;
		}
		c->urx[i] = compile(e->unless[i], PCRE2_ZERO_TERMINATED, msg,
		                    sizeof(msg));
		if (c->urx[i] == NULL)
			berr(B, e->line,
			     "cause '%s': unless '%s' cannot be compiled: %s",
			     e->name, e->unless[i], msg);
		else
			pcre2_jit_compile(c->urx[i], PCRE2_JIT_COMPLETE);
	}
}

struct causeset *
causeset_build(const struct cause_entry *e, size_t n, const char *file,
               struct diag *d)
{
	struct build B = {file, d, 0};
	struct causeset *cs;
	char *buf = NULL;
	unsigned id = 0;
	size_t i;

	if (n > CAUSE_MAX) {
		diag_add(d, file, e[CAUSE_MAX].line,
		         "more than %d causes in one table", CAUSE_MAX);
		return NULL;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->rt = calloc(n + 1, sizeof(*cs->rt))) == NULL ||
	    (cs->pf = prefilter_new()) == NULL ||
	    (cs->mc = pcre2_match_context_create(NULL)) == NULL ||
	    (buf = malloc(JOIN_MAX)) == NULL) {
		free(buf);
		causeset_free(cs);
		diag_add(d, file, 0, "out of memory");
		return NULL;
	}
	pcre2_set_match_limit(cs->mc, MATCH_LIMIT);
	cs->n = n;
	for (i = 0; i < n; i++) {
		struct cause_rt *c = &cs->rt[i];

		c->e = &e[i];
		build_one(&B, cs, c, &id, buf, JOIN_MAX);
		build_unless(&B, cs, c, &id);
		set_codes(&B, c, e[i].codes, e[i].ncodes, false);
		set_codes(&B, c, e[i].implied_by, e[i].nimplied, true);
		check_text(&B, c, e[i].explanation, &c->has_vars);
		check_text(&B, c, e[i].when, &c->has_vars);
		check_text(&B, c, e[i].fix, &c->has_vars);
	}
	free(buf);
	if (!B.bad && prefilter_seal(cs->pf) != 0)
		berr(&B, 0, "%s", "out of memory");

	if (B.bad) {
		causeset_free(cs);
		return NULL;
	}
	return cs;
}

void
causeset_free(struct causeset *cs)
{
	size_t i, k;

	if (cs == NULL)
		return;
	for (i = 0; cs->rt != NULL && i < cs->n; i++) {
		pcre2_code_free(cs->rt[i].rx);
		for (k = 0; k < CAUSE_PATTERNS_MAX; k++)
			pcre2_code_free(cs->rt[i].prx[k]);
		for (k = 0; k < CAUSE_UNLESS_MAX; k++)
			pcre2_code_free(cs->rt[i].urx[k]);
	}
	prefilter_free(cs->pf);
	pcre2_match_context_free(cs->mc);
	free(cs->rt);
	free(cs);
}

/* Classifying. */

static bool
rt_applies(const struct cause_rt *c, const struct reply *r)
{
	if (r->code >= 400 && r->code < 600 && c->cls[r->code / 100])
		return true;
	if (r->code >= 0 && r->code < 600 && BIT_GET(c->basic, r->code))
		return true;
	return r->ecode[0] != '\0' && r->subject >= 0 &&
	       r->subject <= CODE_SUBJECT_MAX && r->detail >= 0 &&
	       r->detail <= CODE_DETAIL_MAX &&
	       BIT_GET(c->enh[r->subject], r->detail);
}

/* Copy the set named groups of the cause's own match into the hit. */
static void
take_captures(const struct causeset *cs, const struct cause_rt *c,
              const char *text, size_t textlen, struct cause_hit *hit)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	PCRE2_SPTR table = NULL;
	uint32_t count = 0, size = 0, i;
	size_t k, len;

	if ((md = pcre2_match_data_create_from_pattern(c->rx, NULL)) == NULL)
		return;
	if (pcre2_match(c->rx, (PCRE2_SPTR)text, textlen, 0, 0, md, cs->mc) <=
	    0)
		goto out;
	ov = pcre2_get_ovector_pointer(md);
	pcre2_pattern_info(c->rx, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(c->rx, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(c->rx, PCRE2_INFO_NAMETABLE, &table);
	for (i = 0; i < count && hit->ncaptures < CAUSE_CAPTURES_MAX; i++) {
		const unsigned char *ent = table + i * size;
		unsigned g = (unsigned)ent[0] << 8 | ent[1];
		struct cause_capture *cap = &hit->capture[hit->ncaptures];

		if (ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] <= ov[2 * g])
			continue;
		snprintf(cap->name, sizeof(cap->name), "%s",
		         (const char *)ent + 2);
		len = ov[2 * g + 1] - ov[2 * g];
		if (len >= sizeof(cap->value))
			len = sizeof(cap->value) - 1;
		for (k = 0; k < len; k++) {
			unsigned char ch = (unsigned char)text[ov[2 * g] + k];

			cap->value[k] =
			    ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
		cap->value[len] = '\0';
		hit->ncaptures++;
	}
out:
	pcre2_match_data_free(md);
}

/* Whether any bit of seen[first, first + n) is set. */
static bool
any_seen(const uint64_t *seen, unsigned first, size_t n)
{
	unsigned end = first + (unsigned)n, w;
	uint64_t m;

	for (w = first / 64; w * 64 < end; w++) {
		m = ~UINT64_C(0);
		if (w == first / 64)
			m &= ~UINT64_C(0) << (first % 64);
		if ((w + 1) * 64 > end)
			m &= ~UINT64_C(0) >> (64 - end % 64);
		if (seen[w] & m)
			return true;
	}
	return false;
}

/*
 * The index of the first of n compiled patterns (prefilter ids first..)
 * that the prefilter let through and that matches the text; -1 if none,
 * -2 if no match data could be had.
 */
static int
first_match(const struct causeset *cs, pcre2_code *const *rx, unsigned first,
            size_t n, const char *text, size_t len, const uint64_t *seen,
            pcre2_match_data **md)
{
	unsigned id;
	size_t k;

	for (k = 0; k < n; k++) {
		id = first + (unsigned)k;
		if (!(seen[id / 64] >> (id % 64) & 1))
			continue;
		if (*md == NULL &&
		    (*md = pcre2_match_data_create(1, NULL)) == NULL)
			return -2;
		/* 0 is a match too: md has room for no capture group. */
		if (pcre2_match(rx[k], (PCRE2_SPTR)text, len, 0, 0, *md,
		                cs->mc) >= 0)
			return (int)k;
	}
	return -1;
}

/*
 * The first of the cause's patterns that passed the prefilter and
 * matches, or NULL.
 */
static const char *
rt_matches(const struct causeset *cs, const struct cause_rt *c,
           const char *text, size_t len, const uint64_t *seen,
           pcre2_match_data **md)
{
	int k;

	if (!any_seen(seen, c->first_id, c->e->npatterns))
		return NULL;
	k = first_match(cs, c->prx, c->first_id, c->e->npatterns, text, len,
	                seen, md);
	return k >= 0 ? c->e->patterns[k] : NULL;
}

/*
 * Whether one of the cause's "unless" patterns matches the text; the
 * first cause passed over so is noted in the hit, for classify --why.
 * Without match data it says yes: no cause beats a wrong one.
 */
static bool
rt_excluded(const struct causeset *cs, const struct cause_rt *c,
            const char *text, size_t len, const uint64_t *seen,
            pcre2_match_data **md, struct cause_hit *hit)
{
	int k;

	k = first_match(cs, c->urx, c->first_unless_id, c->e->nunless, text,
	                len, seen, md);
	if (k == -1)
		return false;
	if (k >= 0 && hit->passed_over == NULL) {
		hit->passed_over = c->e;
		hit->unless = c->e->unless[k];
	}
	return true;
}

/* The first cause the reply's code implies, not excluded; or NULL. */
static const struct cause_rt *
implied_cause(const struct causeset *cs, const struct reply *r,
              const char *text, const uint64_t *seen, pcre2_match_data **md,
              bool enhanced, struct cause_hit *hit)
{
	size_t i;

	for (i = 0; i < cs->n; i++) {
		const struct cause_rt *c = &cs->rt[i];

		if ((enhanced ? BIT_GET(c->implied[r->subject], r->detail)
		              : BIT_GET(c->implied_basic, r->code)) &&
		    !rt_excluded(cs, c, text, r->textlen, seen, md, hit))
			return c;
	}
	return NULL;
}

static void
classify(const struct causeset *cs, const struct reply *r,
         struct cause_hit *hit, bool filtered)
{
	uint64_t seen[PREFILTER_WORDS];
	pcre2_match_data *md = NULL;
	const struct cause_rt *c = NULL;
	char flat[REPLY_TEXT_MAX];
	const char *text = r->text;
	size_t i;

	hit->cause = NULL;
	hit->by = CAUSE_BY_NONE;
	hit->pattern = NULL;
	hit->basic = 0;
	hit->passed_over = NULL;
	hit->unless = NULL;
	hit->ncaptures = 0;
	if (cs == NULL || r->code < 400 || r->code >= 600)
		return;
	/* A reply's lines break anywhere: patterns see one line of text. */
	if (memchr(r->text, '\n', r->textlen) != NULL) {
		/* With the defined tail reply_parse gives (JIT reads). */
		memcpy(flat, r->text,
		       REPLY_TEXT_MAX - r->textlen < 64 ? REPLY_TEXT_MAX
		                                        : r->textlen + 64);
		for (i = 0; i < r->textlen; i++)
			if (flat[i] == '\n')
				flat[i] = ' ';
		text = flat;
	}
	if (filtered)
		prefilter_scan(cs->pf, text, r->textlen, seen);
	else
		memset(seen, 0xff, sizeof(seen));
	for (i = 0; i < cs->n; i++)
		if (rt_applies(&cs->rt[i], r) &&
		    (hit->pattern = rt_matches(cs, &cs->rt[i], text, r->textlen,
		                               seen, &md)) != NULL) {
			if (!rt_excluded(cs, &cs->rt[i], text, r->textlen, seen,
			                 &md, hit)) {
				c = &cs->rt[i];
				hit->by = CAUSE_BY_PATTERN;
				break;
			}
			hit->pattern = NULL;
		}
	/* The enhanced code first: it says more than the basic one. */
	if (c == NULL && r->ecode[0] != '\0' && r->subject >= 0 &&
	    r->subject <= CODE_SUBJECT_MAX && r->detail >= 0 &&
	    r->detail <= CODE_DETAIL_MAX &&
	    (c = implied_cause(cs, r, text, seen, &md, true, hit)) != NULL)
		hit->by = CAUSE_BY_CODE;
	if (c == NULL &&
	    (c = implied_cause(cs, r, text, seen, &md, false, hit)) != NULL) {
		hit->by = CAUSE_BY_CODE;
		hit->basic = r->code;
	}
	pcre2_match_data_free(md);
	if (c == NULL)
		return;
	hit->cause = c->e;
	if (hit->by == CAUSE_BY_PATTERN && c->has_vars)
		take_captures(cs, c, text, r->textlen, hit);
}

void
cause_classify(const struct causeset *cs, const struct reply *r,
               struct cause_hit *hit)
{
	classify(cs, r, hit, true);
}

void
cause_classify_unfiltered(const struct causeset *cs, const struct reply *r,
                          struct cause_hit *hit)
{
	classify(cs, r, hit, false);
}

/* Text expansion. */

static const char *
capture_of(const struct cause_hit *hit, const char *name, size_t len)
{
	size_t i;

	for (i = 0; hit != NULL && i < hit->ncaptures; i++)
		if (strlen(hit->capture[i].name) == len &&
		    memcmp(hit->capture[i].name, name, len) == 0)
			return hit->capture[i].value;
	return NULL;
}

size_t
cause_expand(const char *text, const struct cause_hit *hit, char *dst,
             size_t cap)
{
	const char *p = text, *open, *close, *sep, *val;
	struct sbuf sb;

	if (cap == 0)
		return 0;
	sbuf_init(&sb, dst, cap);
	while ((open = strstr(p, "${")) != NULL &&
	       (close = strchr(open + 2, '}')) != NULL &&
	       (sep = strstr(open + 2, ":-")) != NULL && sep < close) {
		sbuf_putn(&sb, p, (size_t)(open - p));
		val = capture_of(hit, open + 2, (size_t)(sep - open - 2));
		if (val != NULL)
			sbuf_put(&sb, val);
		else
			sbuf_putn(&sb, sep + 2, (size_t)(close - sep - 2));
		p = close + 1;
	}
	sbuf_put(&sb, p);
	return sbuf_len(&sb);
}

size_t
cause_text_generic(const char *text, char *dst, size_t cap)
{
	return cause_expand(text, NULL, dst, cap);
}
