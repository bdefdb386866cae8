/*
 * htmlcode - a code's page and a cause's page: name, class, description,
 * when you see it, how to fix, and what they relate to.
 *
 * Headings and labels are in the page's language; the table's texts are
 * English and marked so (html_en), which keeps them left to right inside
 * an Arabic page.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/helppath.h"
#include "site/htmlpages.h"
#include "site/htmlparts.h"

/* Basic codes an enhanced code comes with, or enhanced codes of a basic. */
static void
code_related(struct html_page *p, const struct codetable *t,
             const struct code_entry *e)
{
	const struct code_entry *o;
	struct code_ref ref;
	size_t i, j, n = 0;

	if (e->kind == CODE_ENHANCED && e->nassoc == 0)
		return;
	for (i = 0; e->kind == CODE_BASIC && i < codetable_size(t); i++) {
		o = codetable_at(t, i);
		for (j = 0; o->kind == CODE_ENHANCED && j < o->nassoc; j++)
			n += strcmp(o->assoc[j], e->code) == 0;
	}
	if (e->kind == CODE_BASIC && n == 0)
		return;
	fputs("<section aria-labelledby=\"related\">\n", p->f);
	html_heading(p, 2, "related", p->L->t[LT_RELATED]);
	fputs("<ul class=\"codes\">\n", p->f);
	for (i = 0; e->kind == CODE_ENHANCED && i < e->nassoc; i++) {
		fputs("<li>", p->f);
		if (code_parse(e->assoc[i], &ref) == 0 &&
		    (o = codetable_find(t, &ref)) != NULL)
			html_code_link(p, o, LINK_ROW);
		else { /* "5xx", "any": a range, not a page */
			fputs("<span class=\"code\">", p->f);
			html_esc(p->f, e->assoc[i]);
			fputs("</span>", p->f);
		}
		fputs("</li>\n", p->f);
	}
	for (i = 0; e->kind == CODE_BASIC && i < codetable_size(t); i++) {
		o = codetable_at(t, i);
		for (j = 0; o->kind == CODE_ENHANCED && j < o->nassoc; j++)
			if (strcmp(o->assoc[j], e->code) == 0) {
				fputs("<li>", p->f);
				html_code_link(p, o, LINK_ROW);
				fputs("</li>\n", p->f);
				break;
			}
	}
	fputs("</ul>\n</section>\n", p->f);
}

static void
code_comparisons(struct html_page *p, const struct html_ctx *x,
                 const struct code_entry *e)
{
	const struct code_pair *c;
	size_t i, n = 0;

	for (i = 0; i < x->npairs; i++)
		n += x->pairs[i].a == e || x->pairs[i].b == e;
	if (n == 0)
		return;
	fputs("<section aria-labelledby=\"compare\">\n", p->f);
	html_heading(p, 2, "compare", p->L->t[LT_COMPARE]);
	fputs("<ul class=\"pairs\">\n", p->f);
	for (i = 0; i < x->npairs; i++) {
		c = &x->pairs[i];
		if (c->a != e && c->b != e)
			continue;
		fputs("<li>", p->f);
		html_compare_link(p, c);
		fprintf(p->f, " <span%s>", html_en(p));
		html_esc(p->f, (c->a == e ? c->b : c->a)->name);
		fputs("</span></li>\n", p->f);
	}
	fputs("</ul>\n</section>\n", p->f);
}

/* The entry a cause's code names ("550", "X.7.1"); NULL for "5xx". */
static const struct code_entry *
named_entry(const struct codetable *t, const char *code)
{
	struct code_ref ref;

	return code_parse(code, &ref) == 0 ? codetable_find(t, &ref) : NULL;
}

/* Whether the cause names the code itself (a class such as 5xx is not). */
static int
cause_names(const struct codetable *t, const struct cause_entry *c,
            const struct code_entry *e)
{
	size_t i;

	for (i = 0; i < c->ncodes; i++)
		if (named_entry(t, c->codes[i]) == e)
			return 1;
	for (i = 0; i < c->nimplied; i++)
		if (named_entry(t, c->implied_by[i]) == e)
			return 1;
	return 0;
}

static void
code_causes(struct html_page *p, const struct codetable *t,
            const struct code_entry *e)
{
	const struct cause_entry *c;
	size_t i, n = 0;

	for (i = 0; i < codetable_ncauses(t); i++)
		n += cause_names(t, codetable_cause_at(t, i), e);
	if (n == 0)
		return;
	fputs("<section aria-labelledby=\"causes\">\n", p->f);
	html_heading(p, 2, "causes", p->L->t[LT_CAUSES]);
	fputs("<ul class=\"causes\">\n", p->f);
	for (i = 0; i < codetable_ncauses(t); i++) {
		c = codetable_cause_at(t, i);
		if (!cause_names(t, c, e))
			continue;
		fputs("<li>", p->f);
		html_cause_link(p, c);
		fputs("</li>\n", p->f);
	}
	fputs("</ul>\n</section>\n", p->f);
}

int
htmlpage_code(struct html_ctx *x, const struct lang *L,
              const struct code_entry *e)
{
	struct html_page p;
	char rel[HTML_REL_MAX], title[160];

	if (helppath_code(e, rel, sizeof(rel)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(title, sizeof(title), "%s %s", e->code, e->name);
	if (html_begin(&p, &x->site, L, L->code, rel, title) != 0)
		return -1;
	fprintf(p.f, "<h1><span%s><span class=\"code\">", html_en(&p));
	html_esc(p.f, e->code);
	fputs("</span> ", p.f);
	html_esc(p.f, e->name);
	fputs("</span></h1>\n<dl class=\"meta\">\n<dt>", p.f);
	html_esc(p.f, L->t[LT_CLASS]);
	fprintf(p.f, "</dt>\n<dd><span%s>", html_en(&p));
	html_esc(p.f, e->class_name);
	fputs("</span></dd>\n</dl>\n", p.f);
	html_section(&p, 2, "description", L->t[LT_DESC], e->description);
	html_section(&p, 2, "when", L->t[LT_WHEN], e->when);
	html_section(&p, 2, "fix", L->t[LT_FIX], e->fix);
	html_who(&p, e->who);
	code_causes(&p, x->t, e);
	code_related(&p, x->t, e);
	code_comparisons(&p, x, e);
	return html_end(&p);
}

/* Cause pages. */

/* A cause's codes, then the enhanced codes that imply it, each once. */
static void
cause_codes(struct html_page *p, const struct codetable *t,
            const struct cause_entry *c)
{
	const char *all[2 * CAUSE_CODES_MAX];
	const struct code_entry *e;
	size_t i, j, n = 0;

	for (i = 0; i < c->ncodes && n < 2 * CAUSE_CODES_MAX; i++)
		all[n++] = c->codes[i];
	for (i = 0; i < c->nimplied && n < 2 * CAUSE_CODES_MAX; i++)
		all[n++] = c->implied_by[i];
	fputs("<section aria-labelledby=\"codes\">\n", p->f);
	html_heading(p, 2, "codes", p->L->t[LT_CODES]);
	fputs("<ul class=\"codes\">\n", p->f);
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && strcasecmp(all[j], all[i]) != 0; j++)
			;
		if (j < i)
			continue;
		fputs("<li>", p->f);
		if ((e = named_entry(t, all[i])) != NULL)
			html_code_link(p, e, LINK_ROW);
		else { /* "5xx": a class, not a page */
			fputs("<span class=\"code\">", p->f);
			html_esc(p->f, all[i]);
			fputs("</span>", p->f);
		}
		fputs("</li>\n", p->f);
	}
	fputs("</ul>\n</section>\n", p->f);
}

/* A cause's text with its placeholders at their defaults. */
static void
cause_section(struct html_page *p, const char *id, const char *title,
              const char *text)
{
	static char buf[CAUSE_TEXT_MAX];

	cause_text_generic(text, buf, sizeof(buf));
	html_section(p, 2, id, title, buf);
}

int
htmlpage_cause(struct html_ctx *x, const struct lang *L,
               const struct cause_entry *c)
{
	struct html_page p;
	char rel[HTML_REL_MAX];

	if (helppath_cause(c->name, rel, sizeof(rel)) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (html_begin(&p, &x->site, L, L->code, rel, c->title) != 0)
		return -1;
	fprintf(p.f, "<h1><span%s>", html_en(&p));
	html_esc(p.f, c->title);
	fputs("</span></h1>\n<p class=\"ident\"><code>cause=", p.f);
	html_esc(p.f, c->name);
	fputs("</code></p>\n", p.f);
	cause_section(&p, "description", L->t[LT_DESC], c->explanation);
	cause_section(&p, "when", L->t[LT_WHEN], c->when);
	cause_section(&p, "fix", L->t[LT_FIX], c->fix);
	html_who(&p, c->who);
	cause_codes(&p, x->t, c);
	return html_end(&p);
}
