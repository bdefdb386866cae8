/*
 * cause - compile the code table's causes and recognise them in replies.
 *
 * Each cause's patterns are compiled twice: alone (to check them, report
 * errors at their line and extract named captures), and as one alternative
 * of a single expression for the whole table, each alternative ending in a
 * callout numbered after its cause. The callout notes the cause and fails,
 * so the matcher goes on to every other alternative and start position: one
 * scan finds every cause present, and table order then picks the winner.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cause.h"
#include "codetable.h"
#include "reply.h"

/* Bounded work per reply whatever a site's patterns look like. */
#define MATCH_LIMIT 200000
#define ALL_MAX     (64 * 1024)

struct cause_rt {
	const struct cause_entry *e;
	pcre2_code *rx; /* its patterns alone */
	bool has_vars;  /* its texts take captures */
	bool cls[6];    /* "4xx", "5xx" */
	uint8_t basic[600 / 8 + 1];
	uint8_t enh[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX / 8 + 1];
	uint8_t implied[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX / 8 + 1];
};

struct causeset {
	size_t n;
	struct cause_rt *rt;
	pcre2_code *all; /* NULL when no cause has patterns */
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
		    (ref.kind == CODE_BASIC && (implied || ref.cls < 4)) ||
		    (ref.kind == CODE_ENHANCED &&
		     (ref.subject > CODE_SUBJECT_MAX ||
		      ref.detail > CODE_DETAIL_MAX))) {
			berr(B, c->e->line,
			     implied
			         ? "cause '%s': implied_by code '%s' is not "
			           "an enhanced code such as X.1.1"
			         : "cause '%s': code '%s' is not 4xx, 5xx, "
			           "a 4xx/5xx basic code or X.S.D",
			     c->e->name, v);
			continue;
		}
		if (ref.kind == CODE_BASIC)
			BIT_SET(c->basic, ref.basic);
		else if (implied)
			BIT_SET(c->implied[ref.subject], ref.detail);
		else
			BIT_SET(c->enh[ref.subject], ref.detail);
	}
	return 0;
}

/* "(?:p1)|(?:p2)" for one cause; with callouts "(?:p1)(?Ck)|..." for all. */
static int
join(char *dst, size_t *len, size_t cap, const char *p, int callout)
{
	int n;

	n = callout >= 0 ? snprintf(dst + *len, cap - *len, "%s(?:%s)(?C%d)",
	                            *len > 0 ? "|" : "", p, callout)
	                 : snprintf(dst + *len, cap - *len, "%s(?:%s)",
	                            *len > 0 ? "|" : "", p);
	if (n < 0 || (size_t)n >= cap - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

static void
build_one(struct build *B, struct cause_rt *c, char *buf, size_t cap)
{
	const struct cause_entry *e = c->e;
	const char *why;
	char msg[300];
	size_t i, len = 0;
	pcre2_code *rx;

	for (i = 0; i < e->npatterns; i++) {
		if ((why = pattern_refused(e->patterns[i])) != NULL) {
			berr(B, e->line, "cause '%s': pattern: %s", e->name,
			     why);
			continue;
		}
		rx = compile(e->patterns[i], PCRE2_ZERO_TERMINATED, msg,
		             sizeof(msg));
		if (rx == NULL) {
			berr(B, e->line,
			     "cause '%s': pattern cannot be "
			     "compiled: %s",
			     e->name, msg);
			continue;
		}
		pcre2_code_free(rx);
		if (join(buf, &len, cap, e->patterns[i], -1) != 0) {
			berr(B, e->line, "cause '%s': %s", e->name,
			     "patterns too long");
			return;
		}
	}
	if (B->bad || len == 0)
		return;
	if ((c->rx = compile(buf, len, msg, sizeof(msg))) == NULL)
		berr(B, e->line, "cause '%s': %s", e->name, msg);
}

struct causeset *
causeset_build(const struct cause_entry *e, size_t n, const char *file,
               struct diag *d)
{
	struct build B = {file, d, 0};
	struct causeset *cs;
	char msg[300], *buf = NULL, *all = NULL;
	size_t i, k, len = 0;

	if (n > CAUSE_MAX) {
		diag_add(d, file, e[CAUSE_MAX].line,
		         "more than %d causes in one table", CAUSE_MAX);
		return NULL;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->rt = calloc(n + 1, sizeof(*cs->rt))) == NULL ||
	    (buf = malloc(ALL_MAX)) == NULL || (all = malloc(ALL_MAX)) == NULL)
		goto oom;
	cs->n = n;
	for (i = 0; i < n; i++) {
		struct cause_rt *c = &cs->rt[i];

		c->e = &e[i];
		build_one(&B, c, buf, ALL_MAX);
		set_codes(&B, c, e[i].codes, e[i].ncodes, false);
		set_codes(&B, c, e[i].implied_by, e[i].nimplied, true);
		check_text(&B, c, e[i].explanation, &c->has_vars);
		check_text(&B, c, e[i].when, &c->has_vars);
		check_text(&B, c, e[i].fix, &c->has_vars);
		for (k = 0; k < e[i].npatterns && !B.bad; k++)
			if (join(all, &len, ALL_MAX, e[i].patterns[k],
			         (int)i) != 0)
				berr(&B, e[i].line, "cause '%s': %s", e[i].name,
				     "the table's patterns are "
				     "too long together");
	}
	if (!B.bad && len > 0) {
		if ((cs->all = compile(all, len, msg, sizeof(msg))) == NULL)
			berr(&B, 0, "causes: %s", msg);
		else
			pcre2_jit_compile(cs->all, PCRE2_JIT_COMPLETE);
	}
	free(buf);
	free(all);
	if (B.bad) {
		causeset_free(cs);
		return NULL;
	}
	return cs;
oom:
	free(buf);
	free(all);
	causeset_free(cs);
	diag_add(d, file, 0, "out of memory");
	return NULL;
}

void
causeset_free(struct causeset *cs)
{
	size_t i;

	if (cs == NULL)
		return;
	for (i = 0; cs->rt != NULL && i < cs->n; i++)
		pcre2_code_free(cs->rt[i].rx);
	pcre2_code_free(cs->all);
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

struct scan {
	uint64_t seen;
};

static int
on_cause(pcre2_callout_block *cb, void *data)
{
	struct scan *sc = data;

	if (cb->callout_number < 64)
		sc->seen |= UINT64_C(1) << cb->callout_number;
	return 1; /* fail here, so that every other cause is tried too */
}

/* Copy the set named groups of the cause's own match into the hit. */
static void
take_captures(const struct cause_rt *c, const struct reply *r,
              struct cause_hit *hit)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	PCRE2_SPTR table = NULL;
	uint32_t count = 0, size = 0, i;
	size_t k, len;

	if ((md = pcre2_match_data_create_from_pattern(c->rx, NULL)) == NULL)
		return;
	if (pcre2_match(c->rx, (PCRE2_SPTR)r->text, r->textlen, 0, 0, md,
	                NULL) <= 0)
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
			unsigned char ch =
			    (unsigned char)r->text[ov[2 * g] + k];

			cap->value[k] =
			    ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
		}
		cap->value[len] = '\0';
		hit->ncaptures++;
	}
out:
	pcre2_match_data_free(md);
}

void
cause_classify(const struct causeset *cs, const struct reply *r,
               struct cause_hit *hit)
{
	pcre2_match_context *mc = NULL;
	pcre2_match_data *md = NULL;
	struct scan sc = {0};
	size_t i;

	hit->cause = NULL;
	hit->implied = false;
	hit->ncaptures = 0;
	if (cs == NULL || r->code < 400 || r->code >= 600)
		return;
	if (cs->all != NULL &&
	    (mc = pcre2_match_context_create(NULL)) != NULL &&
	    (md = pcre2_match_data_create(1, NULL)) != NULL) {
		pcre2_set_callout(mc, on_cause, &sc);
		pcre2_set_match_limit(mc, MATCH_LIMIT);
		/* Never matches: on_cause fails every path it completes. */
		(void)pcre2_match(cs->all, (PCRE2_SPTR)r->text, r->textlen, 0,
		                  0, md, mc);
	}
	pcre2_match_data_free(md);
	pcre2_match_context_free(mc);
	for (i = 0; i < cs->n && sc.seen != 0; i++)
		if ((sc.seen >> i & 1) && rt_applies(&cs->rt[i], r)) {
			hit->cause = cs->rt[i].e;
			if (cs->rt[i].has_vars)
				take_captures(&cs->rt[i], r, hit);
			return;
		}
	if (r->ecode[0] == '\0' || r->subject < 0 ||
	    r->subject > CODE_SUBJECT_MAX || r->detail < 0 ||
	    r->detail > CODE_DETAIL_MAX)
		return;
	for (i = 0; i < cs->n; i++)
		if (BIT_GET(cs->rt[i].implied[r->subject], r->detail)) {
			hit->cause = cs->rt[i].e;
			hit->implied = true;
			return;
		}
}

bool
cause_applies(const struct cause_entry *e, int code, const char *ecode)
{
	struct code_ref ref, want;
	size_t i;
	bool have_e = ecode != NULL && code_parse(ecode, &ref) == 0 &&
	              ref.kind == CODE_ENHANCED;

	for (i = 0; i < e->ncodes; i++) {
		const char *v = e->codes[i];

		if ((strcmp(v, "4xx") == 0 || strcmp(v, "5xx") == 0) &&
		    code / 100 == v[0] - '0')
			return true;
		if (code_parse(v, &want) != 0)
			continue;
		if (want.kind == CODE_BASIC && want.basic == code)
			return true;
		if (want.kind == CODE_ENHANCED && have_e &&
		    want.subject == ref.subject && want.detail == ref.detail)
			return true;
	}
	return false;
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

static size_t
put(char *dst, size_t n, size_t cap, const char *src, size_t len)
{
	if (len > cap - 1 - n)
		len = cap - 1 - n;
	memcpy(dst + n, src, len);
	return n + len;
}

size_t
cause_expand(const char *text, const struct cause_hit *hit, char *dst,
             size_t cap)
{
	const char *p = text, *open, *close, *sep, *val;
	size_t n = 0;

	if (cap == 0)
		return 0;
	while ((open = strstr(p, "${")) != NULL &&
	       (close = strchr(open + 2, '}')) != NULL &&
	       (sep = strstr(open + 2, ":-")) != NULL && sep < close) {
		n = put(dst, n, cap, p, (size_t)(open - p));
		val = capture_of(hit, open + 2, (size_t)(sep - open - 2));
		if (val != NULL)
			n = put(dst, n, cap, val, strlen(val));
		else
			n = put(dst, n, cap, sep + 2,
			        (size_t)(close - sep - 2));
		p = close + 1;
	}
	n = put(dst, n, cap, p, strlen(p));
	dst[n] = '\0';
	return n;
}

size_t
cause_text_generic(const char *text, char *dst, size_t cap)
{
	return cause_expand(text, NULL, dst, cap);
}
