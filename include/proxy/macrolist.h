/*
 * macrolist - the space-separated macro name lists of milter negotiation.
 *
 * At negotiation a milter may ask the MTA for other macros than the
 * defaults, one list per stage ("i {auth_authen}"). In proxy mode the
 * upstream's lists go to the MTA, and milter-annotate's own names must be
 * added to them, or its rules and logs would lose the queue id or the
 * client. Names are compared whole, "{x}" and "x" being the same macro.
 */
#ifndef MACROLIST_H
#define MACROLIST_H

#include <stdbool.h>
#include <stddef.h>

/* Whether two macro names are the same macro ("{i}" and "i" are). */
bool macro_same(const char *a, size_t alen, const char *b, size_t blen);

/* Whether list (space-separated names) names the macro name[0..len). */
bool macrolist_has(const char *list, const char *name, size_t len);

/*
 * theirs, then each name of ours it does not hold, space-separated, into
 * buf[0..cap); a name of ours that does not fit is left out whole. Returns
 * buf, or NULL when theirs alone does not fit (the caller keeps theirs).
 */
const char *macrolist_merge(char *buf, size_t cap, const char *theirs,
                            const char *ours);

#endif
