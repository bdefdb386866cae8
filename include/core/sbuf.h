/*
 * sbuf - a bounded string builder over a caller's buffer.
 *
 * In the spirit of Postfix's VSTRING, but fixed-capacity and
 * allocation-free, so it serves the reply path and a signal-safe log line
 * alike: text is appended up to the buffer's capacity, the buffer is
 * always NUL-terminated, and what does not fit is cut, never written past
 * the end. A cut is remembered (sbuf_cut), so a caller that must not emit
 * half a line can tell, and everything appended after a cut is dropped.
 */
#ifndef SBUF_H
#define SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct sbuf {
	char *buf;  /* the caller's storage */
	size_t cap; /* its size, the NUL included; at least 1 */
	size_t len; /* bytes written, buf[len] == '\0' */
	bool cut;   /* something did not fit */
};

/*
 * Start building into buf[0..cap): empty text. cap must be at least 1
 * (room for the NUL); a zero cap is a programming error (ma_bug).
 */
void sbuf_init(struct sbuf *, char *buf, size_t cap);

/*
 * Append n bytes of p (they may hold no NUL). Inline, with put and putc:
 * the reply path appends codes of three bytes, and a call per append was
 * a tenth of an annotation's cost.
 */
static inline void
sbuf_putn(struct sbuf *sb, const char *p, size_t n)
{
	size_t room = sb->cap - 1 - sb->len;

	/* After a cut nothing more goes in: text never resumes mid-gap. */
	if (sb->cut)
		return;
	if (n > room) {
		n = room;
		sb->cut = true;
	}
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

/* Append the NUL-terminated s (NULL appends nothing). */
static inline void
sbuf_put(struct sbuf *sb, const char *s)
{
	if (s != NULL)
		sbuf_putn(sb, s, strlen(s));
}

/* Append one byte. */
static inline void
sbuf_putc(struct sbuf *sb, char c)
{
	if (sb->cut || sb->len + 1 >= sb->cap) {
		sb->cut = true;
		return;
	}
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

/* Append v in decimal, as "%ld" would. */
void sbuf_dec(struct sbuf *, long v);

/*
 * Append as printf would (vsnprintf). For offline code: the reply path
 * and the log line use put, putn and dec.
 */
void sbuf_printf(struct sbuf *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Whether anything appended so far was cut. */
bool sbuf_cut(const struct sbuf *);

/* The text built (the caller's buffer) and its length. */
const char *sbuf_str(const struct sbuf *);
size_t sbuf_len(const struct sbuf *);

#endif
