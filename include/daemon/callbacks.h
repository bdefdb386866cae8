/*
 * callbacks - the libmilter callback table.
 */
#ifndef CALLBACKS_H
#define CALLBACKS_H

#include <stdbool.h>

#include "engine/stats.h"

struct smfiDesc;

/* Set what every session shares; returns the table for smfi_register. */
struct smfiDesc *callbacks_init(struct stats *, bool force_stderr);

#endif
