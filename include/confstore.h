/*
 * confstore - the configuration in force, swapped whole on reload.
 *
 * A session holds the configuration it started with until it closes, so
 * a reload never changes the rules under a message in flight; the old
 * object is freed when its last session lets go.
 */
#ifndef CONFSTORE_H
#define CONFSTORE_H

#include "config.h"

/* Make c current (the store takes it); the previous one is let go. */
void confstore_swap(struct config *c);
/* The current configuration, held until confstore_drop. */
struct config *confstore_hold(void);
void confstore_drop(struct config *);

#endif
