/*
 * template - the site lines' "${name}" templates.
 *
 * Templates are checked once when the configuration is loaded (an unknown
 * variable is a load error) and expanded for every annotated reply into a
 * bounded buffer; expanded values are made printable ASCII.
 */
#ifndef TEMPLATE_H
#define TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

enum tmpl_var {
	TV_CODE,
	TV_ECODE,
	TV_QUEUE_ID,
	TV_CLIENT_ADDR,
	TV_REFERENCE,
	TV_PAGE,          /* the help site's page: "cause/NAME.html" */
	TV_HELP_BASE_URL, /* where the help site is published */
	TV_COUNT
};

/* NULL if the template is valid, else why not. */
const char *tmpl_check(const char *text, bool allow_reference);
/*
 * Expand into dst (always NUL-terminated); a NULL or empty value
 * expands to "-". Returns the length written.
 */
size_t tmpl_expand(const char *text, const char *const vals[TV_COUNT],
                   char *dst, size_t cap);

#endif
