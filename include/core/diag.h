/*
 * diag - collect "FILE:LINE: reason" messages while loading a file.
 *
 * Loaders report every problem they find instead of stopping at the first,
 * so an administrator fixes a broken file in one pass. The collector is
 * bounded: past DIAG_MAX messages the rest are counted, not stored.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stddef.h>

#define DIAG_MAX     64
#define DIAG_MSG_MAX 512

struct diag {
	size_t count; /* messages reported, stored or not */
	char msg[DIAG_MAX][DIAG_MSG_MAX];
};

/* Empty the collector. */
void diag_init(struct diag *);
/*
 * Record "FILE:LINE: reason" (line 0 leaves the line number out), cut to
 * DIAG_MSG_MAX; past DIAG_MAX messages it is only counted. Never fails.
 */
void diag_add(struct diag *, const char *file, unsigned line, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));
/* How many messages are stored (at most DIAG_MAX; count has them all). */
size_t diag_stored(const struct diag *);
/* Call fn for each stored message, then once for "N more" if any were lost. */
void diag_each(const struct diag *, void (*fn)(const char *, void *), void *);

#endif
