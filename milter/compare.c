/*
 * compare - the comparison's sentences, in the seed pages' words.
 *
 * tests/e2e/test_cli.sh checks them against the seeds: the class
 * sentence ("is a ... response, while ..." or "Both ... belong to the ...
 * category."), the order of the key differences, the advice's names.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"

/* A bounded appender: once full, everything after is refused. */
struct out {
	char *dst;
	size_t cap, len;
	int full;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->dst + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = 1;
		return;
	}
	o->len += (size_t)n;
}

/* "The server ..." read mid-sentence: "the server ...", acronyms kept. */
static void
put_lcfirst(struct out *o, const char *s)
{
	if (isupper((unsigned char)s[0]) && !isupper((unsigned char)s[1]))
		put(o, "%c%s", tolower((unsigned char)s[0]), s + 1);
	else
		put(o, "%s", s);
}

static void
out_init(struct out *o, char *dst, size_t cap)
{
	o->dst = dst;
	o->cap = cap;
	o->len = 0;
	o->full = cap == 0;
	if (cap > 0)
		dst[0] = '\0';
}

static int
out_done(struct out *o)
{
	if (!o->full)
		return (int)o->len;
	if (o->cap > 0)
		o->dst[0] = '\0';
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
	struct out o;

	out_init(&o, dst, cap);
	put(&o, "SMTP %s %s vs %s %s", a->label, a->e->name, b->label,
	    b->e->name);
	return out_done(&o);
}

int
compare_intro(const struct compare_side *a, const struct compare_side *b,
              char *dst, size_t cap)
{
	struct out o;

	out_init(&o, dst, cap);
	if (same_class(a, b))
		put(&o,
		    "Both SMTP %s (%s) and %s (%s) belong to the %s "
		    "category. %s indicates that ",
		    a->label, a->e->name, b->label, b->e->name, a->cls,
		    a->label);
	else
		put(&o,
		    "SMTP %s (%s) is a %s response, while %s (%s) is a %s "
		    "response. %s indicates that ",
		    a->label, a->e->name, a->cls, b->label, b->e->name, b->cls,
		    a->label);
	put_lcfirst(&o, a->e->description);
	put(&o,
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
	struct out o;
	int n = 0, bad = 0;

	if (!same_class(a, b)) {
		out_init(&o, items[n], COMPARE_TEXT_MAX);
		put(&o, "%s is a %s response, while %s is a %s response.",
		    a->label, a->cls, b->label, b->cls);
		bad |= out_done(&o) < 0;
		n++;
	}
	out_init(&o, items[n], COMPARE_TEXT_MAX);
	put(&o, "SMTP %s: %s", a->label, a->e->description);
	bad |= out_done(&o) < 0;
	n++;
	out_init(&o, items[n], COMPARE_TEXT_MAX);
	put(&o, "SMTP %s: %s", b->label, b->e->description);
	bad |= out_done(&o) < 0;
	n++;
	out_init(&o, items[n], COMPARE_TEXT_MAX);
	put(&o, "You encounter %s ", a->label);
	put_lcfirst(&o, a->e->when);
	bad |= out_done(&o) < 0;
	n++;
	out_init(&o, items[n], COMPARE_TEXT_MAX);
	put(&o, "You encounter %s ", b->label);
	put_lcfirst(&o, b->e->when);
	bad |= out_done(&o) < 0;
	n++;
	return bad ? -1 : n;
}

int
compare_advice(const struct compare_side *a, const struct compare_side *b,
               char *dst, size_t cap)
{
	struct out o;

	out_init(&o, dst, cap);
	put(&o, "For %s (%s): %s For %s (%s): %s", a->label, a->e->name,
	    a->e->fix, b->label, b->e->name, b->e->fix);
	return out_done(&o);
}
