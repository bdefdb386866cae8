/*
 * sbuf - append within a fixed capacity; cut, flag, and keep the NUL.
 */
#include <stdarg.h>
#include <stdio.h>

#include "core/bug.h"
#include "core/sbuf.h"

void
sbuf_init(struct sbuf *sb, char *buf, size_t cap)
{
	if (cap == 0)
		ma_bug("sbuf_init: zero capacity");
	sb->buf = buf;
	sb->cap = cap;
	sb->len = 0;
	sb->cut = false;
	buf[0] = '\0';
}

void
sbuf_dec(struct sbuf *sb, long v)
{
	char d[24];
	size_t k = sizeof(d);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do {
		d[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		d[--k] = '-';
	sbuf_putn(sb, d + k, sizeof(d) - k);
}

void
sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
	size_t room = sb->cap - sb->len;
	va_list ap;
	int n;

	if (sb->cut)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->buf[sb->len] = '\0';
		sb->cut = true;
	} else if ((size_t)n >= room) {
		sb->len = sb->cap - 1;
		sb->cut = true;
	} else
		sb->len += (size_t)n;
}

bool
sbuf_cut(const struct sbuf *sb)
{
	return sb->cut;
}

const char *
sbuf_str(const struct sbuf *sb)
{
	return sb->buf;
}

size_t
sbuf_len(const struct sbuf *sb)
{
	return sb->len;
}
