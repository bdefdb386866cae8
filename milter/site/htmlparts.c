/*
 * htmlparts - links and sections shared by the help site's pages.
 */
#include <stdio.h>

#include "core/helppath.h"
#include "site/htmlparts.h"

void
html_code_link(struct html_page *p, const struct code_entry *e,
               enum link_form form)
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

void
html_heading(struct html_page *p, int level, const char *id, const char *text)
{
	fprintf(p->f, "<h%d id=\"%s\">", level, id);
	html_esc(p->f, text);
	fprintf(p->f, "</h%d>\n", level);
}

void
html_section(struct html_page *p, int level, const char *id, const char *title,
             const char *text)
{
	fprintf(p->f, "<section aria-labelledby=\"%s\">\n", id);
	html_heading(p, level, id, title);
	fprintf(p->f, "<p%s>", html_en(p));
	html_esc(p->f, text);
	fputs("</p>\n</section>\n", p->f);
}

void
html_who(struct html_page *p, enum who who)
{
	const char *name = who_name(who);

	if (name == NULL)
		return;
	fputs("<section aria-labelledby=\"who\">\n", p->f);
	html_heading(p, 2, "who", p->L->t[LT_WHO]);
	/* In the page's language: these words are ours, not the table's. */
	fprintf(p->f, "<p class=\"who who-%s\">", name);
	html_esc(p->f, lang_who(p->L, who));
	fputs("</p>\n</section>\n", p->f);
}

void
html_compare_link(struct html_page *p, const struct code_pair *c)
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

void
html_cause_link(struct html_page *p, const struct cause_entry *c)
{
	char rel[HTML_REL_MAX];

	if (helppath_cause(c->name, rel, sizeof(rel)) < 0)
		return; /* the loader allows only names that are safe */
	fprintf(p->f, "<a href=\"%s%s\"><span%s>", p->up, rel, html_en(p));
	html_esc(p->f, c->title);
	fputs("</span></a>", p->f);
}
