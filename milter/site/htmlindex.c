/*
 * htmlindex - the help site's top page (a language chooser) and each
 * language's index: every code grouped by class and subject, every cause,
 * every comparison.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "site/htmlpages.h"
#include "site/htmlparts.h"

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
		html_code_link(p, e, LINK_ROW);
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

	html_heading(p, 2, "basic", p->L->t[LT_BASIC]);
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
	html_heading(p, 2, "enhanced", p->L->t[LT_ENHANCED]);
	for (; i < ng; i++) {
		e = first_of_group(t, g[i]);
		group_name(e, name, sizeof(name));
		fprintf(p->f, "<h3 id=\"g%d\"><span%s>", g[i], html_en(p));
		html_esc(p->f, name);
		fputs("</span></h3>\n", p->f);
		group_codes(p, t, g[i]);
	}
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
		html_compare_link(p, c);
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
	if (codetable_ncauses(x->t) > 0) {
		html_heading(&p, 2, "causes", L->t[LT_CAUSES]);
		fputs("<ul class=\"causes\">\n", p.f);
		for (i = 0; i < codetable_ncauses(x->t); i++) {
			fputs("<li>", p.f);
			html_cause_link(&p, codetable_cause_at(x->t, i));
			fputs("</li>\n", p.f);
		}
		fputs("</ul>\n", p.f);
	}
	if (x->npairs > 0) {
		html_heading(&p, 2, "compare", L->t[LT_COMPARE]);
		for (i = 0; i < ng; i++)
			index_compare_group(&p, x, g[i]);
		index_compare_group(&p, x, -1);
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
