/*
 * stats - counters logged on SIGUSR1: sessions, annotated replies per code
 * and per source, errors. Lock-free: every session thread bumps them.
 */
#ifndef STATS_H
#define STATS_H

#include <stdatomic.h>

#include "core/codetable.h"
#include "engine/log.h"

enum stats_source { SRC_RULE, SRC_MTA, SRC_UPSTREAM, SRC_COUNT };

struct stats {
	atomic_ulong sessions;
	atomic_ulong errors;
	atomic_ulong spared; /* rules not applied to the MTA's notices */
	atomic_ulong by_source[SRC_COUNT];
	atomic_ulong by_basic[600];
	atomic_ulong by_enhanced[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX + 1];
};

/* Count an annotated reply of source src, by its entry (NULL: none). */
void stats_annotated(struct stats *, enum stats_source,
                     const struct code_entry *);
/* Log every counter in one "counters ..." line (cut at 4 KB). */
void stats_log(struct stats *, struct log_dest);

#endif
