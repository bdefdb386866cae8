/*
 * export - the code table in forms other programs read.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/* A pcre: table for Postfix's smtpd_reject_footer_maps; 0 or -1. */
int export_postfix_footer(const struct config *, FILE *out);

struct export_html_opts {
	const char *dir;      /* created if missing */
	const char *langs;    /* "en,ar"; NULL for every language */
	const char *base_url; /* NULL: no canonical links, no sitemap */
};

/*
 * The static help site (file names: helppath.h). Returns the number of
 * pages written, or -1 with the reason in err.
 */
long export_html(const struct config *, const struct export_html_opts *,
                 char *err, size_t errcap);

#endif
