/*
 * prefilter - tell which of many regular expressions can possibly match a
 * text, from the literal words each of them requires.
 *
 * Running a few hundred cause patterns over every reply would cost tens of
 * microseconds. Nearly every pattern requires some literal text ("relay",
 * "quota", "blocked using"): those literals go into one trie, a single walk
 * over the lower-cased text finds which are present, and only the patterns
 * whose literal was seen are run. A pattern whose required literal cannot
 * be worked out is always run, so the filter never hides a match.
 */
#ifndef PREFILTER_H
#define PREFILTER_H

#include <stddef.h>
#include <stdint.h>

#define PREFILTER_IDS        2048 /* pattern ids 0..PREFILTER_IDS-1 */
#define PREFILTER_WORDS      (PREFILTER_IDS / 64)
#define PREFILTER_LIT_MAX    64
#define PREFILTER_BRANCH_MAX 32 /* alternatives of one requirement */
#define PREFILTER_REQ_MAX    3  /* requirements of one pattern */

struct prefilter;

/* An empty prefilter, or NULL when out of memory. */
struct prefilter *prefilter_new(void);
/* Free it; NULL is allowed. */
void prefilter_free(struct prefilter *);

/*
 * Register a pattern (PCRE2 syntax, matched case-insensitively) under id.
 * Returns 1 if it has required literals, 0 if it must always run, -1 if out
 * of memory or id is out of range.
 */
int prefilter_add(struct prefilter *, const char *pattern, unsigned id);

/* One requirement: any of these literals (lower case). */
struct prefilter_req {
	size_t n;
	char lit[PREFILTER_BRANCH_MAX][PREFILTER_LIT_MAX];
};

/*
 * What a pattern requires of every text it matches: all of the returned
 * requirements, each met by one of its literals. Returns how many, 0 if
 * none can be worked out. For tests and for prefilter_add.
 */
size_t prefilter_requirements(const char *pattern,
                              struct prefilter_req req[PREFILTER_REQ_MAX]);

/* Build the automaton once every pattern is added; -1: out of memory. */
int prefilter_seal(struct prefilter *);

/*
 * Set in seen[] the ids that may match text; seen[] is cleared first. Only
 * always-run ids before prefilter_seal.
 */
void prefilter_scan(const struct prefilter *, const char *text, size_t len,
                    uint64_t seen[PREFILTER_WORDS]);

#endif
