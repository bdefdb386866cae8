/*
 * reply - parse an SMTP reply, pick its code table entry, format the
 * annotated reply.
 *
 * Whatever text comes in, what comes out is valid SMTP (RFC 5321 4.2,
 * RFC 2034): one code on every line, the enhanced code (of the same class)
 * on every line, printable ASCII, at most REPLY_MAX_LINES lines of at most
 * REPLY_WIRE_MAX octets with CRLF. Postfix treats a malformed milter reply
 * as a broken milter and defers the mail, so this is not cosmetic.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "cause.h"
#include "codetable.h"

#define REPLY_MAX_LINES 32   /* libmilter's smfi_setmlreply limit */
#define REPLY_WIRE_MAX  512  /* RFC 5321 4.5.3.1.5, CRLF included */
#define REPLY_TEXT_MAX  2048 /* original text kept; the rest is cut */
#define REPLY_ECODE_MAX 32   /* "5.999.999"; room for what printf fears */

#define REPLY_WIDTH_MIN     40
#define REPLY_WIDTH_MAX     240 /* Sendmail may prefix "<rcpt>... " (up to 262) */
#define REPLY_WIDTH_DEFAULT 78

/* A reply as parsed: codes checked, text made printable. */
struct reply {
	int code;                    /* 200..599 */
	char ecode[REPLY_ECODE_MAX]; /* class digit corrected; "" if none */
	int subject, detail;         /* of ecode, when there is one */
	bool ecode_corrected;        /* the sender's class digit disagreed */
	bool truncated;              /* text beyond REPLY_TEXT_MAX was cut */
	size_t textlen;
	char text[REPLY_TEXT_MAX]; /* original lines joined by '\n' */
};

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

void reply_site_defaults(struct reply_site *);

/* 0, or -1 if buf[0..len) does not start with a reply code. */
int reply_parse(struct reply *, const char *buf, size_t len);

/* The most specific entry: enhanced code, its subject, basic code, X.0.0. */
const struct code_entry *reply_pick(const struct codetable *,
                                    const struct reply *);

enum reply_result reply_annotate(const struct reply *, const struct codetable *,
                                 const struct reply_site *,
                                 const struct reply_vars *, struct reply_out *);

/* The original reply alone, sanitized and within every limit. */
void reply_sanitized(const struct reply *, unsigned width, struct reply_out *);

/*
 * Write out as the MTA sends it, each line ended by eol ("\r\n" on the
 * wire, "\n" for people). Returns the length, truncating at cap.
 */
size_t reply_render(const struct reply_out *, const char *eol, char *dst,
                    size_t cap);

/* Copy src doubling '%' (libmilter's format rule); -1 if it won't fit. */
int reply_escape_percent(const char *src, char *dst, size_t cap);

#endif
