/*
 * confstore - the configuration in force, swapped whole on reload.
 *
 * A session holds the configuration it started with until it closes, so
 * a reload never changes the rules under a message in flight; the old
 * object is freed when its last session lets go.
 */
#ifndef CONFSTORE_H
#define CONFSTORE_H

#include "engine/config.h"

/* Make c current (the store takes it); the previous one is let go. */
void confstore_swap(struct config *c);
/* The current configuration, held until confstore_drop; NULL before any. */
struct config *confstore_hold(void);
/*
 * Let go of a configuration held; the last holder of one no longer
 * current frees it. NULL is allowed; dropping more than was held is a bug
 * (ma_bug).
 */
void confstore_drop(struct config *);

#endif
