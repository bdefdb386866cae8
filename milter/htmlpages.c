/*
 * htmlpages - the index, code and comparison pages of the help site.
 *
 * Headings and labels are in the page's language; the table's texts are
 * English and marked so (html_en), which keeps them left to right inside
 * an Arabic page. Comparison pages follow the seed pages' form: title,
 * class sentence, each code's sections, key differences, when to use
 * which, learn more.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "helppath.h"
#include "htmlpages.h"

enum link_form {
	LINK_CODE,   /* "550" */
	LINK_ROW,    /* "550" then "Mailbox Unavailable": a list's columns */
	LINK_PHRASE, /* "550 Mailbox Unavailable" read as one English phrase */
};

/*
 * A link to a code's page, from any page of a language. In an Arabic page
 * a row keeps the code at the start (right) edge so that a list's codes
 * line up; a phrase stays left to right, code first.
 */
static void
code_link(struct html_page *p, const struct code_entry *e, enum link_form form)
{
	char rel[HTML_REL_MAX];

	if (helppath_code(e, rel, sizeof(rel)) < 0)
		return; /* the table's codes always fit; checked before */
	fprintf(p->f, "<a href=\"%s%s\"%s><span class=\"code\">", p->up, rel,
	        form == LINK_PHRASE ? html_en(p) : "");
	html_esc(p->f, e->code);
	fputs("</span>", p->f);
	if (form != LINK_CODE) {
		fprintf(p->f, " <span class=\"name\"%s>",
		        form == LINK_ROW ? html_en(p) : "");
		html_esc(p->f, e->name);
		fputs("</span>", p->f);
	}
	fputs("</a>", p->f);
}

static void
heading(struct html_page *p, int level, const char *id, const char *text)
{
	fprintf(p->f, "<h%d id=\"%s\">", level, id);
	html_esc(p->f, text);
	fprintf(p->f, "</h%d>\n", level);
}

/* A heading in the page's language over one paragraph of table text. */
static void
text_section(struct html_page *p, int level, const char *id, const char *title,
             const char *text)
{
	fprintf(p->f, "<section aria-labelledby=\"%s\">\n", id);
	heading(p, level, id, title);
	fprintf(p->f, "<p%s>", html_en(p));
	html_esc(p->f, text);
	fputs("</p>\n</section>\n", p->f);
}

/* "55z Mail System" or "X.7.XXX Security or Policy Status". */
static void
group_name(const struct code_entry *e, char *dst, size_t cap)
{
	const char *cat;

	if (e->kind == CODE_ENHANCED) {
		snprintf(dst, cap, "%s", e->class_name);
		return;
	}
	cat = related_category_name(e->basic / 10 % 10);
	snprintf(dst, cap, "%dz%s%s", e->basic / 10, cat ? " " : "",
	         cat ? cat : "");
}

/* The groups present, sorted; returns how many (at most cap). */
static size_t
groups(const struct codetable *t, int *g, size_t cap)
{
	size_t i, j, k, n = 0;
	int v;

	for (i = 0; i < codetable_size(t); i++) {
		v = related_group(codetable_at(t, i));
		for (j = 0; j < n && g[j] < v; j++)
			;
		if ((j < n && g[j] == v) || n == cap)
			continue;
		for (k = n; k > j; k--)
			g[k] = g[k - 1];
		g[j] = v;
		n++;
	}
	return n;
}

static const struct code_entry *
first_of_group(const struct codetable *t, int g)
{
	size_t i;

	for (i = 0; i < codetable_size(t); i++)
		if (related_group(codetable_at(t, i)) == g)
			return codetable_at(t, i);
	return NULL;
}

static void
group_codes(struct html_page *p, const struct codetable *t, int g)
{
	const struct code_entry *e;
	size_t i;

	fputs("<ul class=\"codes\">\n", p->f);
	for (i = 0; i < codetable_size(t); i++) {
		e = codetable_at(t, i);
		if (related_group(e) != g)
			continue;
		fputs("<li>", p->f);
		code_link(p, e, LINK_ROW);
		fputs("</li>\n", p->f);
	}
	fputs("</ul>\n", p->f);
}

/* Every code: basic codes by class then category, enhanced by subject. */
static void
index_codes(struct html_page *p, const struct codetable *t, const int *g,
            size_t ng)
{
	const struct code_entry *e;
	char name[128];
	int cls = -1;
	size_t i;

	heading(p, 2, "basic", p->L->t[LT_BASIC]);
	for (i = 0; i < ng && g[i] < 100; i++) {
		e = first_of_group(t, g[i]);
		if (e->basic / 100 != cls) {
			cls = e->basic / 100;
			fprintf(p->f, "<h3 id=\"c%dxx\"><span%s>", cls,
			        html_en(p));
			html_esc(p->f, e->class_name);
			fputs("</span></h3>\n", p->f);
		}
		group_name(e, name, sizeof(name));
		fprintf(p->f, "<h4 id=\"g%d\"><span%s>", g[i], html_en(p));
		html_esc(p->f, name);
		fputs("</span></h4>\n", p->f);
		group_codes(p, t, g[i]);
	}
	heading(p, 2, "enhanced", p->L->t[LT_ENHANCED]);
	for (; i < ng; i++) {
		e = first_of_group(t, g[i]);
		group_name(e, name, sizeof(name));
		fprintf(p->f, "<h3 id=\"g%d\"><span%s>", g[i], html_en(p));
		html_esc(p->f, name);
		fputs("</span></h3>\n", p->f);
		group_codes(p, t, g[i]);
	}
}

static void
compare_link(struct html_page *p, const struct code_pair *c)
{
	char rel[HTML_REL_MAX];

	if (helppath_compare(c->a, c->b, rel, sizeof(rel)) < 0)
		return;
	fprintf(p->f, "<a href=\"%s%s\"%s><span class=\"code\">", p->up, rel,
	        html_en(p));
	html_esc(p->f, c->a->code);
	fputs("</span> vs <span class=\"code\">", p->f);
	html_esc(p->f, c->b->code);
	fputs("</span></a>", p->f);
}

/* The comparisons of one group (g), or across groups (g = -1). */
static void
index_compare_group(struct html_page *p, const struct html_ctx *x, int g)
{
	const struct code_pair *c;
	size_t i, n = 0;
	char name[128];
	int cg;

	for (i = 0; i < x->npairs; i++) {
		c = &x->pairs[i];
		cg = related_group(c->a) == related_group(c->b)
		         ? related_group(c->a)
		         : -1;
		n += cg == g;
	}
	if (n == 0)
		return;
	fputs("<details>\n<summary>", p->f);
	if (g < 0)
		html_esc(p->f, p->L->t[LT_ACROSS]);
	else {
		group_name(first_of_group(x->t, g), name, sizeof(name));
		fprintf(p->f, "<span%s>", html_en(p));
		html_esc(p->f, name);
		fputs("</span>", p->f);
	}
	fprintf(p->f, " (%zu)</summary>\n<ul class=\"pairs\">\n", n);
	for (i = 0; i < x->npairs; i++) {
		c = &x->pairs[i];
		cg = related_group(c->a) == related_group(c->b)
		         ? related_group(c->a)
		         : -1;
		if (cg != g)
			continue;
		fputs("<li>", p->f);
		compare_link(p, c);
		fputs("</li>\n", p->f);
	}
	fputs("</ul>\n</details>\n", p->f);
}

int
htmlpage_index(struct html_ctx *x, const struct lang *L)
{
	struct html_page p;
	int g[256];
	size_t i, ng;

	if (html_begin(&p, &x->site, L, L->code, "index.html", L->t[LT_SITE]) !=
	    0)
		return -1;
	ng = groups(x->t, g, sizeof(g) / sizeof(g[0]));
	fputs("<h1>", p.f);
	html_esc(p.f, L->t[LT_SITE]);
	fputs("</h1>\n", p.f);
	index_codes(&p, x->t, g, ng);
	if (x->npairs > 0) {
		heading(&p, 2, "compare", L->t[LT_COMPARE]);
		for (i = 0; i < ng; i++)
			index_compare_group(&p, x, g[i]);
		index_compare_group(&p, x, -1);
	}
	return html_end(&p);
}

/* Code pages. */

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
	heading(p, 2, "related", p->L->t[LT_RELATED]);
	fputs("<ul class=\"codes\">\n", p->f);
	for (i = 0; e->kind == CODE_ENHANCED && i < e->nassoc; i++) {
		fputs("<li>", p->f);
		if (code_parse(e->assoc[i], &ref) == 0 &&
		    (o = codetable_find(t, &ref)) != NULL)
			code_link(p, o, LINK_ROW);
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
				code_link(p, o, LINK_ROW);
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
	heading(p, 2, "compare", p->L->t[LT_COMPARE]);
	fputs("<ul class=\"pairs\">\n", p->f);
	for (i = 0; i < x->npairs; i++) {
		c = &x->pairs[i];
		if (c->a != e && c->b != e)
			continue;
		fputs("<li>", p->f);
		compare_link(p, c);
		fprintf(p->f, " <span%s>", html_en(p));
		html_esc(p->f, (c->a == e ? c->b : c->a)->name);
		fputs("</span></li>\n", p->f);
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
	text_section(&p, 2, "description", L->t[LT_DESC], e->description);
	text_section(&p, 2, "when", L->t[LT_WHEN], e->when);
	text_section(&p, 2, "fix", L->t[LT_FIX], e->fix);
	code_related(&p, x->t, e);
	code_comparisons(&p, x, e);
	return html_end(&p);
}

/* Comparison pages. */

static void
compare_side_sections(struct html_page *p, const struct code_entry *e,
                      const char *id)
{
	char hid[32];

	fprintf(p->f, "<section class=\"side\" aria-labelledby=\"%s\">\n", id);
	fprintf(p->f, "<h2 id=\"%s\">", id);
	code_link(p, e, LINK_PHRASE);
	fputs("</h2>\n", p->f);
	snprintf(hid, sizeof(hid), "%s-description", id);
	text_section(p, 3, hid, p->L->t[LT_DESC], e->description);
	snprintf(hid, sizeof(hid), "%s-when", id);
	text_section(p, 3, hid, p->L->t[LT_WHEN], e->when);
	snprintf(hid, sizeof(hid), "%s-fix", id);
	text_section(p, 3, hid, p->L->t[LT_FIX], e->fix);
	fputs("</section>\n", p->f);
}

static int
compare_body(struct html_page *p, const struct compare_side *a,
             const struct compare_side *b)
{
	static char text[COMPARE_TEXT_MAX];
	static char items[COMPARE_DIFFS_MAX][COMPARE_TEXT_MAX];
	int i, n;

	if (compare_title(a, b, text, sizeof(text)) < 0)
		return -1;
	fprintf(p->f, "<h1><span%s>", html_en(p));
	html_esc(p->f, text);
	fputs("</span></h1>\n", p->f);
	if (compare_intro(a, b, text, sizeof(text)) < 0)
		return -1;
	fprintf(p->f, "<p class=\"intro\"%s>", html_en(p));
	html_esc(p->f, text);
	fputs("</p>\n", p->f);
	compare_side_sections(p, a->e, "a");
	compare_side_sections(p, b->e, "b");
	if ((n = compare_diffs(a, b, items)) < 0)
		return -1;
	fputs("<section aria-labelledby=\"diff\">\n", p->f);
	heading(p, 2, "diff", p->L->t[LT_DIFF]);
	fprintf(p->f, "<ol%s>\n", html_en(p));
	for (i = 0; i < n; i++) {
		fputs("<li>", p->f);
		html_esc(p->f, items[i]);
		fputs("</li>\n", p->f);
	}
	fputs("</ol>\n</section>\n", p->f);
	if (compare_advice(a, b, text, sizeof(text)) < 0)
		return -1;
	text_section(p, 2, "which", p->L->t[LT_WHICH], text);
	fputs("<section aria-labelledby=\"more\">\n", p->f);
	heading(p, 2, "more", p->L->t[LT_MORE]);
	fputs("<ul class=\"codes\">\n<li>", p->f);
	code_link(p, a->e, LINK_ROW);
	fputs("</li>\n<li>", p->f);
	code_link(p, b->e, LINK_ROW);
	fputs("</li>\n</ul>\n</section>\n", p->f);
	return 0;
}

int
htmlpage_compare(struct html_ctx *x, const struct lang *L,
                 const struct code_pair *c)
{
	/* The table's own labels: a basic code's class, an X code's subject. */
	struct compare_side a = {c->a->code, c->a->class_name, c->a};
	struct compare_side b = {c->b->code, c->b->class_name, c->b};
	static char title[COMPARE_TEXT_MAX];
	char rel[HTML_REL_MAX];
	struct html_page p;

	if (helppath_compare(c->a, c->b, rel, sizeof(rel)) < 0 ||
	    compare_title(&a, &b, title, sizeof(title)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (html_begin(&p, &x->site, L, L->code, rel, title) != 0)
		return -1;
	if (compare_body(&p, &a, &b) != 0) {
		html_abort(&p);
		errno = EOVERFLOW;
		return -1;
	}
	return html_end(&p);
}

/* The site's top page: one link per language, each in its own words. */
int
htmlpage_top(struct html_ctx *x)
{
	const struct lang *en = lang_find("en"), *o;
	struct html_page p;
	size_t i;

	if (html_begin(&p, &x->site, en, NULL, "index.html", en->t[LT_SITE]) !=
	    0)
		return -1;
	fputs("<h1>", p.f);
	html_esc(p.f, en->t[LT_SITE]);
	fputs("</h1>\n<ul class=\"choose\">\n", p.f);
	for (i = 0; i < x->site.nlangs; i++) {
		o = x->site.langs[i];
		fprintf(p.f,
		        "<li lang=\"%s\" dir=\"%s\"><a href=\"%s/index.html\" "
		        "hreflang=\"%s\">",
		        o->code, o->rtl ? "rtl" : "ltr", o->code, o->code);
		html_esc(p.f, o->t[LT_SITE]);
		fputs("</a> <span class=\"lang-name\">", p.f);
		html_esc(p.f, o->name);
		fputs("</span></li>\n", p.f);
	}
	fputs("</ul>\n", p.f);
	return html_end(&p);
}
