/*
 * dsn - make a delivery status notification explain itself.
 *
 * The report's human-readable part becomes a multipart/alternative of a
 * text and an HTML part that explain each failed or delayed recipient
 * (dsnrender.h); every other byte of the message stays as it came, the
 * message/delivery-status part and the returned message included, and
 * the new part is checked to parse back as ours and to hold no line
 * that would end the report before it is used. The caller adds
 * "X-Annotated-By: milter-annotate VERSION" (the mark that keeps a
 * report from being annotated twice).
 *
 * Nothing here refuses mail: what cannot be annotated is passed on as it
 * came, with the reason for one log line.
 */
#ifndef DSN_H
#define DSN_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce/dsnexplain.h"
#include "bounce/dsnparse.h"
#include "engine/config.h"
#include "engine/log.h"

#define DSN_HEADER      "X-Annotated-By"
#define DSN_MARK        "milter-annotate " MA_VERSION
#define DSN_DEADLINE_MS 5000 /* slower than this: passed unchanged */

enum dsn_outcome {
	DSN_ANNOTATED, /* body holds the new body */
	DSN_NOT_DSN,   /* not a report to annotate: pass it untouched */
	DSN_UNCHANGED, /* a report passed as it came: why says why */
};

struct dsn_result {
	enum dsn_outcome outcome;
	char *body; /* DSN_ANNOTATED: the body to send (malloc'd) */
	size_t len;
	char why[160];      /* DSN_UNCHANGED: one line */
	size_t headers_end; /* where the blank line after the headers is */
	struct dsn *d;      /* the report as read (DSN_ANNOTATED) */
	struct dsn_expl *x; /* x[i] explains d->rcpt[i] */
};

/* Set GMime up, once, before any thread runs; dsn_shutdown at exit. */
void dsn_init(void);
void dsn_shutdown(void);

/*
 * Annotate msg[0..len), a whole message (headers, blank line, body), as
 * c says (its table, site lines, dsn_language). Returns res->outcome and
 * fills res; free it with dsn_result_free. Never fails otherwise: any
 * trouble is DSN_UNCHANGED with its reason.
 */
enum dsn_outcome dsn_annotate(const char *msg, size_t len,
                              const struct config *c, const char *queue_id,
                              struct dsn_result *res);

/*
 * The one log line for a report (annotated, or unchanged with why);
 * nothing for DSN_NOT_DSN.
 */
void dsn_log(struct log_dest, const struct dsn_result *, const char *queue_id);

/* Free what res holds; it may be reused. */
void dsn_result_free(struct dsn_result *res);

#endif
