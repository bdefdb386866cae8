/*
 * related - groups of codes and the comparisons worth a page.
 *
 * A reader confuses codes that look alike: neighbours in a group (550 and
 * 553, X.7.1 and X.7.26), the transient and permanent forms of one
 * condition (450 and 550), and the pairs the original help pages chose.
 * Every pair of a group is kept, not only neighbours: the code pages list
 * them, so any two codes of a subject are one click apart.
 */
#include <stdlib.h>
#include <string.h>

#include "site/related.h"

/* The comparisons the seed pages showed (they cross classes). */
static const char *const seed_pairs[][2] = {
    {"211", "334"}, {"334", "421"}, {"220", "334"},
    {"221", "334"}, {"211", "235"},
};

static const char *const category_names[] = {
    "Syntax",      "Information", "Connections",
    "Unspecified", "Unspecified", "Mail System",
};

const char *
related_category_name(int digit)
{
	if (digit < 0 ||
	    digit >= (int)(sizeof(category_names) / sizeof(category_names[0])))
		return NULL;
	return category_names[digit];
}

int
related_group(const struct code_entry *e)
{
	return e->kind == CODE_BASIC ? e->basic / 10 : 100 + e->subject;
}

static int
is_seed_pair(const struct code_entry *a, const struct code_entry *b)
{
	size_t i;

	for (i = 0; i < sizeof(seed_pairs) / sizeof(seed_pairs[0]); i++)
		if ((strcmp(a->code, seed_pairs[i][0]) == 0 &&
		     strcmp(b->code, seed_pairs[i][1]) == 0) ||
		    (strcmp(a->code, seed_pairs[i][1]) == 0 &&
		     strcmp(b->code, seed_pairs[i][0]) == 0))
			return 1;
	return 0;
}

/* 4yz and 5yz: the same condition, transient or permanent. */
static int
is_twin(const struct code_entry *a, const struct code_entry *b)
{
	return a->kind == CODE_BASIC && b->kind == CODE_BASIC &&
	       a->basic % 100 == b->basic % 100 &&
	       ((a->basic / 100 == 4 && b->basic / 100 == 5) ||
	        (a->basic / 100 == 5 && b->basic / 100 == 4));
}

static int
wanted(const struct code_entry *a, const struct code_entry *b)
{
	return related_group(a) == related_group(b) || is_twin(a, b) ||
	       is_seed_pair(a, b);
}

int
related_pairs(const struct codetable *t, struct code_pair **out, size_t *n)
{
	size_t i, j, k = 0, count = 0, size = codetable_size(t);
	struct code_pair *p;

	*out = NULL;
	*n = 0;
	/* Two passes: count, then fill; the table is small. */
	for (i = 0; i < size; i++)
		for (j = i + 1; j < size; j++)
			count += wanted(codetable_at(t, i), codetable_at(t, j));
	if (count == 0)
		return 0;
	if ((p = calloc(count, sizeof(*p))) == NULL)
		return -1;
	for (i = 0; i < size; i++)
		for (j = i + 1; j < size; j++)
			if (wanted(codetable_at(t, i), codetable_at(t, j))) {
				p[k].a = codetable_at(t, i);
				p[k].b = codetable_at(t, j);
				k++;
			}
	*out = p;
	*n = k;
	return 0;
}
