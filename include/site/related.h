/*
 * related - which codes a reader looks at together.
 *
 * Groups: basic codes by class and category (RFC 5321 4.2.1: 55z is a
 * permanent "mail system" reply), enhanced codes by subject (RFC 3463:
 * X.7.XXX security or policy). Pairs worth a comparison page: every two
 * codes of a group, a transient code and its permanent twin (450 and 550),
 * and the pairs the seed help pages compared (211 and 334...).
 */
#ifndef RELATED_H
#define RELATED_H

#include <stddef.h>

#include "core/codetable.h"

/* Two codes, a before b in the table. */
struct code_pair {
	const struct code_entry *a, *b;
};

/*
 * A code's group: the first two digits for a basic code (55), 100 plus
 * the subject for an enhanced code (107). Groups sort in table order.
 */
int related_group(const struct code_entry *);
/* "Mail System" for the category digit of basic codes; NULL if none. */
const char *related_category_name(int digit);
/*
 * The pairs worth comparing, sorted by a then b in table order, into a
 * new array (free() it; NULL when there are none); -1 if out of memory.
 */
int related_pairs(const struct codetable *, struct code_pair **out, size_t *n);

#endif
