/*
 * html - the help site's page frame: escaping, head, landmarks, files.
 *
 * Every page is written to a temporary file beside its place and renamed
 * over it when complete, so a site regenerated in place never serves half
 * a page. Links are relative (the site works from file:// and under any
 * base path); with a base URL a page also names its canonical address and
 * is listed in the sitemap.
 */
#ifndef HTML_H
#define HTML_H

#include <limits.h>
#include <stdio.h>

#include "core/lang.h"

#define HTML_LANGS_MAX 8
#define HTML_REL_MAX   128 /* a page's path inside its language folder */

struct html_site {
	const char *dir;      /* the site's folder */
	const char *base_url; /* no trailing '/'; NULL when not given */
	const struct lang *langs[HTML_LANGS_MAX];
	size_t nlangs;
	FILE *sitemap; /* absolute URLs, one a line; NULL without base_url */
	size_t pages;  /* pages completed */
};

struct html_page {
	FILE *f;
	struct html_site *site;
	const struct lang *L;
	const char *folder;     /* "en"; NULL for the site's top page */
	char rel[HTML_REL_MAX]; /* "code/550.html", "index.html" */
	char up[16];            /* from the page to its language folder */
	char top[16];           /* from the page to the site's folder */
	char path[PATH_MAX], tmp[PATH_MAX];
};

/* Text or attribute value, with & < > " ' escaped. */
void html_esc(FILE *, const char *);
/*
 * ' lang="en"' (and ' dir="ltr"' in a right-to-left page) for the
 * table's English texts inside a page of another language; "" in English.
 */
const char *html_en(const struct html_page *);

/*
 * Create the page rel of folder (NULL: the site's top) and write its
 * head, header and navigation, and the opening of <main>; title is the
 * page's own title, the site's name follows it. 0, or -1 with errno.
 */
int html_begin(struct html_page *, struct html_site *, const struct lang *,
               const char *folder, const char *rel, const char *title);
/* Close <main>, write the footer, put the file in place; 0 or -1. */
int html_end(struct html_page *);
/* Give up a page begun: its temporary file is removed. */
void html_abort(struct html_page *);

#endif
