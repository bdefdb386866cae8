/*
 * cause - recognise the cause behind a rejection's text.
 *
 * One code covers many causes (550 5.7.1 is relay denial, a blocklist
 * listing, an SPF failure or a content filter), and the fix a sender needs
 * depends on the cause. The code table's `causes` give each cause
 * case-insensitive PCRE2 patterns over the reply text, the codes it applies
 * to, and its own explanation and fix, whose "${name:-default}"
 * placeholders take the patterns' named captures (the blocklist zone, the
 * size limit).
 *
 * All patterns are compiled once (JIT); a prefilter (prefilter.h) finds in
 * one pass over the text which patterns can match at all, so only a few
 * run per reply whatever the number of causes. Causes are tried in
 * table order: the first that matches and applies to the reply's codes
 * wins; failing that, a cause "implied by" the reply's enhanced code, then
 * one implied by its basic code.
 */
#ifndef CAUSE_H
#define CAUSE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/who.h"

#define CAUSE_MAX          64 /* causes in one table */
#define CAUSE_CODES_MAX    32 /* codes a cause applies to */
#define CAUSE_PATTERNS_MAX 128
#define CAUSE_UNLESS_MAX   16   /* patterns that keep a cause from a reply */
#define CAUSE_VAR_MAX      96   /* a captured value, as inserted in text */
#define CAUSE_TEXT_MAX     1024 /* an expanded explanation or fix */

struct reply;

struct cause_entry {
	const char *name;        /* "dnsbl-listed" */
	const char *title;       /* "Listed on a DNS Blocklist" */
	const char *explanation; /* may hold ${capture:-default} */
	const char *when;
	const char *fix;
	enum who who;                       /* who should act on it */
	const char *codes[CAUSE_CODES_MAX]; /* "550", "5xx", "X.7.1" */
	size_t ncodes;
	const char *implied_by[CAUSE_CODES_MAX]; /* "X.1.1", "503" */
	size_t nimplied;
	const char *patterns[CAUSE_PATTERNS_MAX];
	size_t npatterns;
	/*
	 * Optional: when one of these matches, the reply does not get the
	 * cause, neither by its patterns nor by a code (a remote server's
	 * "User unknown" quoted by a failed verification is not ours).
	 */
	const char *unless[CAUSE_UNLESS_MAX];
	size_t nunless;
	unsigned line;
};

/* A named capture of the matching pattern, as inserted in the cause's text. */
#define CAUSE_CAPTURES_MAX 4
struct cause_capture {
	char name[32];
	char value[CAUSE_VAR_MAX];
};

/* What decided a reply's cause (classify --why). */
enum cause_by {
	CAUSE_BY_NONE,    /* nothing: the code's own hint */
	CAUSE_BY_PATTERN, /* a pattern of the cause matched */
	CAUSE_BY_CODE,    /* the reply's code implies it (implied_by) */
};

/* The cause recognised in one reply, with its captured values. */
struct cause_hit {
	const struct cause_entry *cause; /* NULL: none */
	enum cause_by by;
	const char *pattern; /* CAUSE_BY_PATTERN: the one that matched */
	int basic; /* CAUSE_BY_CODE: the basic code, 0: the enhanced */
	/* The first cause passed over by one of its "unless" patterns. */
	const struct cause_entry *passed_over; /* NULL: none */
	const char *unless;                    /* the pattern that matched */
	size_t ncaptures;
	struct cause_capture capture[CAUSE_CAPTURES_MAX];
};

struct causeset;

/*
 * Compile the causes' patterns and code lists. Every problem is reported as
 * file:line: reason; NULL then. The entries must outlive the set.
 */
struct causeset *causeset_build(const struct cause_entry *, size_t n,
                                const char *file, struct diag *);
/* Free a set and its compiled patterns; NULL is allowed. */
void causeset_free(struct causeset *);

/*
 * Recognise the cause of a parsed 4xx/5xx reply: the first cause in table
 * order whose patterns match and whose codes the reply has, else one
 * implied by its enhanced code, else one implied by its basic code (then
 * hit->basic says which); never a cause one of whose "unless" patterns
 * matches. Fills hit (hit->cause NULL: none, also
 * for a NULL set or another class); a pattern that hits PCRE2's match
 * limit counts as no match. Never fails otherwise.
 */
void cause_classify(const struct causeset *, const struct reply *,
                    struct cause_hit *);
/* The same, running every pattern: the prefilter's reference, for tests. */
void cause_classify_unfiltered(const struct causeset *, const struct reply *,
                               struct cause_hit *);

/*
 * Expand a cause text with the hit's captures: "${zone:-a blocklist}" gives
 * the captured zone, or the default when nothing was captured (hit NULL:
 * always the default, for pages written without a reply at hand). Captured
 * values are printable ASCII, at most CAUSE_VAR_MAX octets. Returns the
 * length written; dst is always NUL-terminated.
 */
size_t cause_expand(const char *text, const struct cause_hit *, char *dst,
                    size_t cap);

/* cause_expand with no reply: every placeholder gives its default. */
size_t cause_text_generic(const char *text, char *dst, size_t cap);

#endif
