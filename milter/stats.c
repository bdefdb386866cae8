/*
 * stats - count, and log the counts in one line.
 */
#include <stdio.h>
#include <string.h>

#include "stats.h"

static const char *const source_names[SRC_COUNT] = {"rule", "mta", "upstream"};

void
stats_annotated(struct stats *s, enum stats_source src,
                const struct code_entry *e)
{
	atomic_fetch_add(&s->by_source[src], 1);
	if (e == NULL)
		return;
	if (e->kind == CODE_BASIC)
		atomic_fetch_add(&s->by_basic[e->basic], 1);
	else
		atomic_fetch_add(&s->by_enhanced[e->subject][e->detail], 1);
}

static size_t
put(char *line, size_t n, size_t cap, const char *key, unsigned long v)
{
	int k;

	if (n >= cap)
		return n;
	k = snprintf(line + n, cap - n, " %s=%lu", key, v);
	return k < 0 ? n : n + (size_t)k;
}

void
stats_log(struct stats *s, struct log_dest d)
{
	char line[4096], key[40];
	unsigned long v;
	size_t n = 0, cap = sizeof(line);
	int i, j;

	line[0] = '\0';
	n = put(line, n, cap, "sessions", atomic_load(&s->sessions));
	n = put(line, n, cap, "errors", atomic_load(&s->errors));
	for (i = 0; i < SRC_COUNT; i++) {
		snprintf(key, sizeof(key), "source.%s", source_names[i]);
		n = put(line, n, cap, key, atomic_load(&s->by_source[i]));
	}
	for (i = 0; i < 600; i++)
		if ((v = atomic_load(&s->by_basic[i])) != 0) {
			snprintf(key, sizeof(key), "code.%d", i);
			n = put(line, n, cap, key, v);
		}
	for (i = 0; i <= CODE_SUBJECT_MAX; i++)
		for (j = 0; j <= CODE_DETAIL_MAX; j++)
			if ((v = atomic_load(&s->by_enhanced[i][j])) != 0) {
				snprintf(key, sizeof(key), "code.X.%d.%d", i,
				         j);
				n = put(line, n, cap, key, v);
			}
	log_msg(d, LOG_INFO, "counters%s", line);
}
