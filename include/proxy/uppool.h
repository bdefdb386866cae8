/*
 * uppool - upstream milter connections kept open from one MTA session to
 * the next (proxy mode, upstream_reuse).
 *
 * A connection is parked after SMFIC_QUIT_NC ("quit, a new connection
 * follows") with what its upstream answered to the MTA's option offer, and
 * taken again only for the same upstream and the same offer.
 */
#ifndef UPPOOL_H
#define UPPOOL_H

#include <stddef.h>

struct uppool;

/* A pool keeping at most max connections; NULL when out of memory. */
struct uppool *uppool_new(size_t max);
/* Close every parked connection and free the pool; NULL is allowed. */
void uppool_free(struct uppool *);

/*
 * A parked connection for upstream and offer, or -1. *answer (malloc'd,
 * the caller's) is the upstream's option negotiation answer on it.
 */
int uppool_take(struct uppool *, const char *upstream, const char *offer,
                size_t offer_len, char **answer, size_t *answer_len);

/* Park fd, which is the pool's from now on (closed if it cannot be kept). */
void uppool_put(struct uppool *, int fd, const char *upstream,
                const char *offer, size_t offer_len, const char *answer,
                size_t answer_len);

#endif
