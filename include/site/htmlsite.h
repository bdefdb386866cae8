/*
 * htmlsite - export html: the static help site written from the table.
 *
 * The folders, the stylesheet, and every page of every language (file
 * names: core/helppath.h); each page is written beside its place and
 * renamed over it, so a site regenerated in place never serves half a
 * page.
 */
#ifndef HTMLSITE_H
#define HTMLSITE_H

#include <stddef.h>

#include "core/codetable.h"

struct htmlsite_opts {
	const char *dir;      /* created if missing */
	const char *langs;    /* "en,ar"; NULL for every language */
	const char *base_url; /* NULL: no canonical links, no sitemap */
};

/*
 * Write the site for table t. Returns the number of pages written, or -1
 * with a one-line reason in err (an unknown language, a bad base URL, a
 * folder or file that cannot be written, out of memory).
 */
long htmlsite_export(const struct codetable *t, const struct htmlsite_opts *,
                     char *err, size_t errcap);

#endif
