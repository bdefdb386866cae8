/*
 * compare - the comparison's sentences, in the seed pages' words.
 *
 * tests/e2e/test_cli.sh checks them against the seeds: the class
 * sentence ("is a ... response, while ..." or "Both ... belong to the ...
 * category."), the order of the key differences, the advice's names.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/sbuf.h"
#include "site/compare.h"

/* "The server ..." read mid-sentence: "the server ...", acronyms kept. */
static void
put_lcfirst(struct sbuf *sb, const char *s)
{
	if (isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1])) {
		sbuf_putc(sb, (char)tolower((unsigned char)s[0]));
		sbuf_put(sb, s + 1);
	} else
		sbuf_put(sb, s);
}

/* Its length, or -1 (dst emptied) when it was cut: half a sentence lies. */
static int
out_done(struct sbuf *sb)
{
	if (!sbuf_cut(sb))
		return (int)sbuf_len(sb);
	sb->buf[0] = '\0';
	return -1;
}

static int
same_class(const struct compare_side *a, const struct compare_side *b)
{
	return strcmp(a->cls, b->cls) == 0;
}

int
compare_title(const struct compare_side *a, const struct compare_side *b,
              char *dst, size_t cap)
{
	struct sbuf o;

	sbuf_init(&o, dst, cap);
	sbuf_printf(&o, "SMTP %s %s vs %s %s", a->label, a->e->name, b->label,
	            b->e->name);
	return out_done(&o);
}

int
compare_intro(const struct compare_side *a, const struct compare_side *b,
              char *dst, size_t cap)
{
	struct sbuf o;

	sbuf_init(&o, dst, cap);
	if (same_class(a, b))
		sbuf_printf(&o,
		            "Both SMTP %s (%s) and %s (%s) belong to the %s "
		            "category. %s indicates that ",
		            a->label, a->e->name, b->label, b->e->name, a->cls,
		            a->label);
	else
		sbuf_printf(
		    &o,
		    "SMTP %s (%s) is a %s response, while %s (%s) is a %s "
		    "response. %s indicates that ",
		    a->label, a->e->name, a->cls, b->label, b->e->name, b->cls,
		    a->label);
	put_lcfirst(&o, a->e->description);
	sbuf_printf(&o,
	            same_class(a, b) ? " Meanwhile, %s means that "
	                             : " In contrast, %s means that ",
	            b->label);
	put_lcfirst(&o, b->e->description);
	return out_done(&o);
}

int
compare_diffs(const struct compare_side *a, const struct compare_side *b,
              char items[COMPARE_DIFFS_MAX][COMPARE_TEXT_MAX])
{
	struct sbuf o;
	int n = 0, bad = 0;

	if (!same_class(a, b)) {
		sbuf_init(&o, items[n], COMPARE_TEXT_MAX);
		sbuf_printf(&o,
		            "%s is a %s response, while %s is a %s response.",
		            a->label, a->cls, b->label, b->cls);
		bad |= out_done(&o) < 0;
		n++;
	}
	sbuf_init(&o, items[n], COMPARE_TEXT_MAX);
	sbuf_printf(&o, "SMTP %s: %s", a->label, a->e->description);
	bad |= out_done(&o) < 0;
	n++;
	sbuf_init(&o, items[n], COMPARE_TEXT_MAX);
	sbuf_printf(&o, "SMTP %s: %s", b->label, b->e->description);
	bad |= out_done(&o) < 0;
	n++;
	sbuf_init(&o, items[n], COMPARE_TEXT_MAX);
	sbuf_printf(&o, "You encounter %s ", a->label);
	put_lcfirst(&o, a->e->when);
	bad |= out_done(&o) < 0;
	n++;
	sbuf_init(&o, items[n], COMPARE_TEXT_MAX);
	sbuf_printf(&o, "You encounter %s ", b->label);
	put_lcfirst(&o, b->e->when);
	bad |= out_done(&o) < 0;
	n++;
	return bad ? -1 : n;
}

int
compare_advice(const struct compare_side *a, const struct compare_side *b,
               char *dst, size_t cap)
{
	struct sbuf o;

	sbuf_init(&o, dst, cap);
	sbuf_printf(&o, "For %s (%s): %s For %s (%s): %s", a->label, a->e->name,
	            a->e->fix, b->label, b->e->name, b->e->fix);
	return out_done(&o);
}
