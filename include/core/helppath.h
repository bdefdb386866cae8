/*
 * helppath - where a code's, a cause's and a comparison's help page lives.
 *
 * The one file-name scheme of the static help site (export html) and of the
 * links in annotated replies, relative to a language's folder:
 *
 *   code/550.html             basic code
 *   code/x.7.1.html           enhanced code as the table writes it, lowercased
 *   cause/dnsbl-listed.html   cause, by name
 *   compare/550-vs-x.7.1.html two codes, the one first in the table first
 *
 * Each function writes the path into dst (always NUL-terminated when cap is
 * not 0) and returns its length, or -1 if it does not fit or the name could
 * not be a safe file name.
 */
#ifndef HELPPATH_H
#define HELPPATH_H

#include <stddef.h>

#include "core/codetable.h"

/* "code/550.html", "code/x.7.1.html"; -1 if it does not fit. */
int helppath_code(const struct code_entry *, char *dst, size_t cap);
/*
 * "cause/NAME.html"; -1 if it does not fit or NAME is not lower case
 * letters, digits, '-', '_' and inner dots (no path can be made of it).
 */
int helppath_cause(const char *cause_name, char *dst, size_t cap);
/*
 * "compare/A-vs-B.html" in either order: the entry that comes first in the
 * table is named first (a and b from the same table); -1 if it does not
 * fit.
 */
int helppath_compare(const struct code_entry *a, const struct code_entry *b,
                     char *dst, size_t cap);

#endif
