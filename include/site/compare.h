/*
 * compare - the sentences of the seed pages' "X vs Y" comparison.
 *
 * The compare subcommand and the help site's comparison pages say the same
 * English sentences around the table's texts; they are composed here once.
 * Each function writes into dst[0..cap), cap at least 1, and returns the
 * length written, or -1 with dst emptied when the text did not fit (half
 * a sentence would mislead).
 */
#ifndef COMPARE_H
#define COMPARE_H

#include <stddef.h>

#include "core/codetable.h"

#define COMPARE_TEXT_MAX  2048 /* fits any sentence of two table entries */
#define COMPARE_DIFFS_MAX 5

/* One code of a comparison, as it is to be named. */
struct compare_side {
	const char *label; /* "550", "5.1.1" or "X.1.1" */
	const char *cls;   /* its class: reply class, or subject for X.S.D */
	const struct code_entry *e;
};

/* "SMTP 211 System Status vs 334 Server Challenge" */
int compare_title(const struct compare_side *, const struct compare_side *,
                  char *dst, size_t cap);
/* The class sentence, then what each code indicates. */
int compare_intro(const struct compare_side *, const struct compare_side *,
                  char *dst, size_t cap);
/*
 * The "Key differences" items, unnumbered. Returns how many (at most
 * COMPARE_DIFFS_MAX), or -1 when one of them did not fit.
 */
int compare_diffs(const struct compare_side *, const struct compare_side *,
                  char items[COMPARE_DIFFS_MAX][COMPARE_TEXT_MAX]);
/* "For 211 (System Status): ... For 334 (Server Challenge): ..." */
int compare_advice(const struct compare_side *, const struct compare_side *,
                   char *dst, size_t cap);

#endif
