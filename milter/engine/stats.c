/*
 * stats - count, and log the counts in one line.
 */
#include <string.h>

#include "core/sbuf.h"
#include "engine/stats.h"

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

/* " KEY=V", KEY given in up to three parts (NULL parts left out). */
static void
put_count(struct sbuf *sb, const char *k1, const char *k2, unsigned long v)
{
	sbuf_putc(sb, ' ');
	sbuf_put(sb, k1);
	sbuf_put(sb, k2);
	sbuf_putc(sb, '=');
	sbuf_dec(sb, (long)v);
}

void
stats_log(struct stats *s, struct log_dest d)
{
	char line[4096], key[40];
	struct sbuf sb, kb;
	unsigned long v;
	int i, j;

	sbuf_init(&sb, line, sizeof(line));
	put_count(&sb, "sessions", NULL, atomic_load(&s->sessions));
	put_count(&sb, "errors", NULL, atomic_load(&s->errors));
	put_count(&sb, "spared", NULL, atomic_load(&s->spared));
	for (i = 0; i < SRC_COUNT; i++)
		put_count(&sb, "source.", source_names[i],
		          atomic_load(&s->by_source[i]));
	for (i = 0; i < 600; i++)
		if ((v = atomic_load(&s->by_basic[i])) != 0) {
			sbuf_init(&kb, key, sizeof(key));
			sbuf_dec(&kb, i);
			put_count(&sb, "code.", key, v);
		}
	for (i = 0; i <= CODE_SUBJECT_MAX; i++)
		for (j = 0; j <= CODE_DETAIL_MAX; j++)
			if ((v = atomic_load(&s->by_enhanced[i][j])) != 0) {
				sbuf_init(&kb, key, sizeof(key));
				sbuf_put(&kb, "X.");
				sbuf_dec(&kb, i);
				sbuf_putc(&kb, '.');
				sbuf_dec(&kb, j);
				put_count(&sb, "code.", key, v);
			}
	log_msg(d, LOG_INFO, "counters%s", line);
}
