/*
 * footermap - the code table as a Postfix smtpd_reject_footer_maps table.
 *
 * Postfix looks the table up with its complete 4xx/5xx reply as the key
 * and appends the template found. The generated pcre: table picks entries
 * in the order the reply engine does (reply_pick): the exact enhanced
 * code, then its subject's X.S.0, then the basic code, then X.0.0; a reply
 * that already carries "Explanation: " (milter-annotate's own) matches no
 * pattern, so it gets no second footer. Causes come first, as in the reply
 * engine: each pattern of each cause in table order (limited to the codes
 * the cause applies to), then the causes implied by an enhanced code; their
 * footers use the placeholders' defaults, since a pcre table can only
 * substitute numbered groups.
 *
 * Two layers read the template: the pcre table substitutes $1, $2 (and
 * reads $$ as $), then the footer expands $name macros (and reads $$ as $)
 * and turns the two characters \n into a new reply line. Literal text is
 * escaped for both.
 */
#include <stdio.h>
#include <string.h>

#include "core/cause.h"
#include "core/replyfmt.h"
#include "core/template.h"
#include "tools/footermap.h"

/* Placeholders for values Postfix fills in, replaced after formatting. */
#define TOK_CODE   "@@code@@"
#define TOK_ECODE  "@@ecode@@"
#define TOK_CLIENT "@@client@@"

/* Every pattern: not annotated yet, then $1 the code, $2 the ecode. */
#define NOT_ANNOTATED "^(?s)(?!.*Explanation: )"
#define ECODE_ANY     "[245]\\.[0-9]{1,3}\\.[0-9]{1,3}"

/* Write text as a footer template: escape '$', join lines with \n. */
static void
put_literal(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (strncmp(s, TOK_CODE, strlen(TOK_CODE)) == 0) {
			fputs("$1", out);
			s += strlen(TOK_CODE) - 1;
		} else if (strncmp(s, TOK_ECODE, strlen(TOK_ECODE)) == 0) {
			fputs("$2", out);
			s += strlen(TOK_ECODE) - 1;
		} else if (strncmp(s, TOK_CLIENT, strlen(TOK_CLIENT)) == 0) {
			/* pcre turns $$ into $, the footer expands it. */
			fputs("$$client_address", out);
			s += strlen(TOK_CLIENT) - 1;
		} else if (*s == '$')
			fputs("$$$$", out);
		else if (*s == '\\')
			/* "\n" and "\c" are the footer's; keep them literal. */
			fputs("/", out);
		else
			fputc(*s, out);
	}
}

/*
 * The footer for an entry: the reply engine's own Explanation, fix and
 * site lines for a reply with no text of its own, so Postfix's replies
 * read like the milter's.
 */
static int
put_footer(FILE *out, const struct config *c, const struct code_entry *e,
           const struct cause_entry *cause, const char *code, const char *ecode)
{
	static struct reply r;
	static struct reply_out o;
	struct reply_site site = c->site;
	struct reply_vars vars = {NULL, TOK_CLIENT, TOK_CODE, TOK_ECODE, cause};
	char line[64];
	size_t i;

	/* A footer adds lines: it cannot hide the text it follows. */
	site.generic = false;
	snprintf(line, sizeof(line), "%s %s", code, ecode);
	if (reply_parse(&r, line, strlen(line)) != 0)
		return -1;
	if (reply_annotate(&r, c->table, &site, &vars, &o) != REPLY_ANNOTATED ||
	    o.entry != e || (cause != NULL && o.cause != cause))
		return -1;
	for (i = 0; i < o.nlines; i++) {
		if (i > 0)
			fputs("\\n", out);
		put_literal(out, o.line[i]);
	}
	fputc('\n', out);
	return 0;
}

static int
put_rule(FILE *out, const struct config *c, const struct code_entry *e,
         const char *pattern, const char *code, const char *ecode)
{
	fprintf(out, "\n# %s %s\n/%s%s/\t", e->code, e->name, NOT_ANNOTATED,
	        pattern);
	return put_footer(out, c, e, NULL, code, ecode);
}

/* Append to dst (bounded); -1 when it does not fit. */
static int
add(char *dst, size_t *n, size_t cap, const char *s)
{
	size_t len = strlen(s);

	if (*n + len >= cap)
		return -1;
	memcpy(dst + *n, s, len + 1);
	*n += len;
	return 0;
}

/*
 * A lookahead true when the reply's codes are among the cause's: its basic
 * code or class, or its enhanced code (of either class).
 */
static int
codes_lookahead(const struct cause_entry *k, char *dst, size_t cap)
{
	struct code_ref ref;
	char one[64];
	size_t i, n = 0;
	int bad = add(dst, &n, cap, "(?=");

	for (i = 0; i < k->ncodes; i++) {
		const char *v = k->codes[i];

		if (strcmp(v, "4xx") == 0 || strcmp(v, "5xx") == 0)
			snprintf(one, sizeof(one), "%c[0-9][0-9][ -]", v[0]);
		else if (code_parse(v, &ref) != 0)
			continue;
		else if (ref.kind == CODE_BASIC)
			snprintf(one, sizeof(one), "%d[ -]", ref.basic);
		else
			snprintf(one, sizeof(one),
			         "[45][0-9][0-9][ -][45]\\.%d\\.%d(?![0-9])",
			         ref.subject, ref.detail);
		bad |= add(dst, &n, cap, i > 0 ? "|" : "");
		bad |= add(dst, &n, cap, one);
	}
	bad |= add(dst, &n, cap, ")");
	return bad ? -1 : 0;
}

/* A cause pattern inside /.../: '/' must be escaped for Postfix. */
static int
put_pattern(FILE *out, const char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0') {
			fputc(*p++, out);
			fputc(*p, out);
		} else if (*p == '/')
			fputs("\\/", out);
		else
			fputc(*p, out);
	}
	return 0;
}

/* The rule of a cause implied by code v, if v is of this kind. */
static int
put_implied(FILE *out, const struct config *c, const struct cause_entry *k,
            const char *v, enum code_kind kind)
{
	struct code_ref ref;
	char code[8], ecode[32];

	if (code_parse(v, &ref) != 0 || ref.kind != kind)
		return 0;
	if (kind == CODE_ENHANCED) {
		fprintf(out,
		        "\n# cause %s (implied by %s)\n/%s([45][0-9]"
		        "[0-9])[ -]([245]\\.%d\\.%d)(?![0-9])/\t",
		        k->name, v, NOT_ANNOTATED, ref.subject, ref.detail);
		snprintf(ecode, sizeof(ecode), "5.%d.%d", ref.subject,
		         ref.detail);
		return put_footer(out, c, codetable_find(c->table, &ref), k,
		                  "550", ecode);
	}
	fprintf(out,
	        "\n# cause %s (implied by %s)\n/%s(%d)[ -]((?:" ECODE_ANY
	        ")?)(?![0-9.])/\t",
	        k->name, v, NOT_ANNOTATED, ref.basic);
	snprintf(code, sizeof(code), "%d", ref.basic);
	snprintf(ecode, sizeof(ecode), "%d.0.0", ref.basic / 100);
	return put_footer(out, c, codetable_find(c->table, &ref), k, code,
	                  ecode);
}

static int
put_causes(FILE *out, const struct config *c)
{
	const struct cause_entry *k;
	const struct code_entry *e = codetable_enhanced(c->table, 0, 0);
	char look[2048];
	size_t i, j, n = codetable_ncauses(c->table);
	int bad = 0;

	for (i = 0; i < n; i++) {
		k = codetable_cause_at(c->table, i);
		if (codes_lookahead(k, look, sizeof(look)) != 0)
			return -1;
		for (j = 0; j < k->npatterns; j++) {
			fprintf(out,
			        "\n# cause %s\n/%s%s([45][0-9][0-9])[ -]"
			        "((?:" ECODE_ANY ")?)(?![0-9.])(?=.*?(?:",
			        k->name, NOT_ANNOTATED, look);
			put_pattern(out, k->patterns[j]);
			fputs("))/\t", out);
			/* The generic entry: the footer is the cause's. */
			bad |= put_footer(out, c, e, k, "599", "5.0.0");
		}
	}
	/* Causes the enhanced code implies, when no pattern matched. */
	for (i = 0; i < n; i++) {
		k = codetable_cause_at(c->table, i);
		for (j = 0; j < k->nimplied; j++)
			bad |= put_implied(out, c, k, k->implied_by[j],
			                   CODE_ENHANCED);
	}
	/* Then those the basic code implies, as the reply engine tries. */
	for (i = 0; i < n; i++) {
		k = codetable_cause_at(c->table, i);
		for (j = 0; j < k->nimplied; j++)
			bad |= put_implied(out, c, k, k->implied_by[j],
			                   CODE_BASIC);
	}
	return bad ? -1 : 0;
}

int
footermap_export(const struct config *c, FILE *out)
{
	const struct code_entry *e;
	char pattern[160], ecode[32], code[8];
	size_t i, n = codetable_size(c->table);
	int bad = 0;

	fprintf(out,
	        "# Postfix smtpd_reject_footer_maps table generated by "
	        "milter-annotate %s\n"
	        "# from %s. Regenerate it after changing the table or the "
	        "site settings.\n"
	        "#\n"
	        "#   milter-annotate export postfix-footer > "
	        "/etc/postfix/milter-annotate-footer.pcre\n"
	        "#   postconf -e 'smtpd_reject_footer_maps = "
	        "pcre:/etc/postfix/milter-annotate-footer.pcre'\n"
	        "#\n"
	        "# Entries are tried in order: causes (text patterns, then "
	        "those an\n"
	        "# enhanced code implies), exact enhanced code, its subject "
	        "(X.S.0),\n"
	        "# basic code, X.0.0. Replies that already carry an "
	        "explanation match none.\n",
	        MA_VERSION, codetable_source(c->table));
	bad |= put_causes(out, c);
	/* Exact enhanced codes; X.0.0 comes last, after the basic codes. */
	for (i = 0; i < n; i++) {
		e = codetable_at(c->table, i);
		if (e->kind != CODE_ENHANCED ||
		    (e->subject == 0 && e->detail == 0))
			continue;
		snprintf(pattern, sizeof(pattern),
		         "([45][0-9][0-9])[ -]([245]\\.%d\\.%d)(?![0-9])",
		         e->subject, e->detail);
		snprintf(ecode, sizeof(ecode), "5.%d.%d", e->subject,
		         e->detail);
		bad |= put_rule(out, c, e, pattern, "550", ecode);
	}
	/* An unregistered detail still names its subject. */
	for (i = 0; i < n; i++) {
		e = codetable_at(c->table, i);
		if (e->kind != CODE_ENHANCED || e->subject == 0 ||
		    e->detail != 0)
			continue;
		snprintf(
		    pattern, sizeof(pattern),
		    "([45][0-9][0-9])[ -]([245]\\.%d\\.[0-9]{1,3})(?![0-9])",
		    e->subject);
		snprintf(ecode, sizeof(ecode), "5.%d.%d", e->subject,
		         CODE_DETAIL_MAX);
		bad |= put_rule(out, c, e, pattern, "550", ecode);
	}
	for (i = 0; i < n; i++) {
		e = codetable_at(c->table, i);
		if (e->kind != CODE_BASIC || e->basic < 400)
			continue;
		snprintf(pattern, sizeof(pattern),
		         "(%d)[ -]((?:" ECODE_ANY ")?)(?![0-9.])", e->basic);
		snprintf(code, sizeof(code), "%d", e->basic);
		snprintf(ecode, sizeof(ecode), "%d.0.0", e->basic / 100);
		bad |= put_rule(out, c, e, pattern, code, ecode);
	}
	if ((e = codetable_enhanced(c->table, 0, 0)) != NULL)
		bad |= put_rule(out, c, e,
		                "([45][0-9][0-9])[ -]((?:" ECODE_ANY ")?)",
		                "599", "5.0.0");
	return bad ? -1 : 0;
}
