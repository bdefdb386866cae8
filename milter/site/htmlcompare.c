/*
 * htmlcompare - comparison pages, in the seed pages' form: title, class
 * sentence, each code's sections, key differences, when to use which,
 * learn more (compare.c composes the sentences).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/helppath.h"
#include "site/compare.h"
#include "site/htmlpages.h"
#include "site/htmlparts.h"

static void
compare_side_sections(struct html_page *p, const struct code_entry *e,
                      const char *id)
{
	char hid[32];

	fprintf(p->f, "<section class=\"side\" aria-labelledby=\"%s\">\n", id);
	fprintf(p->f, "<h2 id=\"%s\">", id);
	html_code_link(p, e, LINK_PHRASE);
	fputs("</h2>\n", p->f);
	snprintf(hid, sizeof(hid), "%s-description", id);
	html_section(p, 3, hid, p->L->t[LT_DESC], e->description);
	snprintf(hid, sizeof(hid), "%s-when", id);
	html_section(p, 3, hid, p->L->t[LT_WHEN], e->when);
	snprintf(hid, sizeof(hid), "%s-fix", id);
	html_section(p, 3, hid, p->L->t[LT_FIX], e->fix);
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
	html_heading(p, 2, "diff", p->L->t[LT_DIFF]);
	fprintf(p->f, "<ol%s>\n", html_en(p));
	for (i = 0; i < n; i++) {
		fputs("<li>", p->f);
		html_esc(p->f, items[i]);
		fputs("</li>\n", p->f);
	}
	fputs("</ol>\n</section>\n", p->f);
	if (compare_advice(a, b, text, sizeof(text)) < 0)
		return -1;
	html_section(p, 2, "which", p->L->t[LT_WHICH], text);
	fputs("<section aria-labelledby=\"more\">\n", p->f);
	html_heading(p, 2, "more", p->L->t[LT_MORE]);
	fputs("<ul class=\"codes\">\n<li>", p->f);
	html_code_link(p, a->e, LINK_ROW);
	fputs("</li>\n<li>", p->f);
	html_code_link(p, b->e, LINK_ROW);
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
