/*
 * htmlpages - the help site's pages, one function per kind of page.
 */
#ifndef HTMLPAGES_H
#define HTMLPAGES_H

#include "core/cause.h"
#include "core/codetable.h"
#include "site/html.h"
#include "site/related.h"

/* What every page may link to. */
struct html_ctx {
	struct html_site site;
	const struct codetable *t;
	const struct code_pair *pairs; /* the comparisons, in table order */
	size_t npairs;
};

/* Each returns 0, or -1 with errno (the page is not left half written). */
int htmlpage_top(struct html_ctx *);
int htmlpage_index(struct html_ctx *, const struct lang *);
int htmlpage_code(struct html_ctx *, const struct lang *,
                  const struct code_entry *);
int htmlpage_cause(struct html_ctx *, const struct lang *,
                   const struct cause_entry *);
int htmlpage_compare(struct html_ctx *, const struct lang *,
                     const struct code_pair *);

#endif
