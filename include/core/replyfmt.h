/*
 * replyfmt - the annotated reply: pick the table entry and the cause,
 * lay the sections out within the limits of reply.h, and write it out.
 */
#ifndef REPLYFMT_H
#define REPLYFMT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cause.h"
#include "core/codetable.h"
#include "core/reply.h"

/* The formatter's site settings (part of the configuration). */
struct reply_site {
	unsigned width;         /* wrap column, codes included */
	bool add_enhanced_code; /* give X.0.0 to replies without one */
	bool generic;           /* hide the original text behind the name */
	const char *postmaster; /* templates, NULL when unset */
	const char *help_url;
	const char *reference;
	const char *help_base_url; /* the help site (export html), or NULL */
};

/* Per-reply values for the site templates; NULL when unknown. */
struct reply_vars {
	const char *queue_id;
	const char *client_addr;
	/* NULL: the reply's own codes; set when another program fills them. */
	const char *code;
	const char *ecode;
	/* NULL: recognise the cause; set: use its texts, with defaults. */
	const struct cause_entry *cause;
};

/* A formatted reply: codes once, text lines separately (libmilter's form). */
struct reply_out {
	char code[4];
	char ecode[REPLY_ECODE_MAX]; /* "" when the reply has none */
	size_t nlines;
	const char *line[REPLY_MAX_LINES];
	const struct code_entry *entry;  /* the entry used, NULL if none */
	const struct cause_entry *cause; /* the cause recognised, or NULL */
	size_t used;
	char buf[REPLY_MAX_LINES * REPLY_WIRE_MAX];
};

enum reply_result {
	REPLY_ANNOTATED = 0, /* out holds the annotated reply */
	REPLY_PASSED = 1,    /* not 4xx/5xx: out holds it, sanitized */
	REPLY_FALLBACK = -1, /* annotation failed: out holds the original */
};

/* Width 78, enhanced codes added, nothing else set. */
void reply_site_defaults(struct reply_site *);

/*
 * The most specific entry for a parsed reply: its enhanced code, else that
 * code's subject (X.7.0 for 5.7.32), else the basic code, else X.0.0.
 * NULL only for a table without X.0.0, which the loader refuses.
 */
const struct code_entry *reply_pick(const struct codetable *,
                                    const struct reply *);

/*
 * Annotate a parsed reply: the original text, then "Explanation:", "How
 * to fix:" (the cause's when one is recognised, or vars->cause is set,
 * else the code's) and the site lines, wrapped to site->width. Always
 * fills o with a reply within every limit, and returns what it holds:
 * REPLY_ANNOTATED; REPLY_PASSED for a reply that is not 4xx/5xx (o holds
 * it, sanitized); REPLY_FALLBACK when no entry or no line could be made
 * (o holds the original, sanitized).
 */
enum reply_result reply_annotate(const struct reply *, const struct codetable *,
                                 const struct reply_site *,
                                 const struct reply_vars *, struct reply_out *);

/* The original reply alone into o, sanitized and within every limit. */
void reply_sanitized(const struct reply *, unsigned width, struct reply_out *);

/*
 * Write o out as the MTA sends it, each line ended by eol ("\r\n" on the
 * wire, "\n" for people). Returns the length written; output that does
 * not fit in cap is cut (dst is NUL-terminated when cap > 0).
 */
size_t reply_render(const struct reply_out *, const char *eol, char *dst,
                    size_t cap);

/*
 * Copy src into dst doubling each '%' (libmilter's format rule). Returns
 * 0, or -1 when it does not fit in cap (dst is then unusable).
 */
int reply_escape_percent(const char *src, char *dst, size_t cap);

#endif
