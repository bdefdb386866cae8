/*
 * dsncollect - gather a message the milter sees piece by piece (sender,
 * headers, body chunks) when it may be a delivery status notification,
 * and annotate it at its end.
 *
 * Only messages from the null sender whose Content-Type says
 * multipart/report; report-type=delivery-status are kept, and none
 * beyond dsn_max_size bytes: memory per session stays bounded whatever
 * comes in, and every other message costs a few comparisons.
 */
#ifndef DSNCOLLECT_H
#define DSNCOLLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce/dsn.h"

struct dsn_collect {
	size_t max;     /* dsn_max_size */
	bool null_from; /* MAIL FROM:<> */
	bool report;    /* its Content-Type names a delivery-status report */
	bool marked;    /* X-Annotated-By seen: annotated before */
	bool too_big;   /* more than max bytes came */
	bool eoh;       /* the headers are complete */
	size_t hdr_len; /* their length, the blank line included */
	char *buf;      /* headers, blank line, body; NULL until needed */
	size_t len, cap;
};

/* An empty collector for messages of at most max bytes. */
void dsn_collect_init(struct dsn_collect *, size_t max);

/* Forget the message (at MAIL FROM, and when the session ends). */
void dsn_collect_reset(struct dsn_collect *);

/* The envelope sender, as the MTA gives it ("<>" or "" for null). */
void dsn_collect_sender(struct dsn_collect *, const char *from);

/* One header; value as libmilter gives it (folded lines joined by LF). */
void dsn_collect_header(struct dsn_collect *, const char *name,
                        const char *value);

/* The end of the headers. */
void dsn_collect_eoh(struct dsn_collect *);

/* Whether the body is wanted: false for anything that is not a report. */
bool dsn_collect_wants_body(const struct dsn_collect *);

/* A chunk of the body (CRLF line endings, as the MTA sends it). */
void dsn_collect_body(struct dsn_collect *, const char *p, size_t n);

/*
 * The body another milter put in place of the one that came (proxy mode:
 * the upstream's SMFIR_REPLBODY, whole): the report is annotated on it.
 */
void dsn_collect_replace_body(struct dsn_collect *, const char *p, size_t n);

/*
 * At the end of the message: annotate what was gathered. Returns the
 * outcome in res (DSN_NOT_DSN when the message was no candidate; a
 * report over max or cut short is DSN_UNCHANGED with its reason). Free
 * res with dsn_result_free.
 */
enum dsn_outcome dsn_collect_finish(struct dsn_collect *, const struct config *,
                                    const char *queue_id,
                                    struct dsn_result *res);

#endif
