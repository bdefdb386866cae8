/*
 * reply - parse an SMTP reply as a server sent it.
 *
 * Parsing is tolerant (real servers send lower case, extra spaces, no text,
 * an enhanced code of the wrong class, control and 8-bit bytes, endless
 * text); the result is strict: codes checked, text made printable ASCII
 * once, here, so the formatter only wraps words and counts lines.
 */
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "core/reply.h"
#include "core/sbuf.h"

/* "C.S.D" into an ecode buffer. */
static void
format_ecode(char *dst, size_t cap, int cls, int subject, int detail)
{
	struct sbuf sb;

	sbuf_init(&sb, dst, cap);
	sbuf_dec(&sb, cls);
	sbuf_putc(&sb, '.');
	sbuf_dec(&sb, subject);
	sbuf_putc(&sb, '.');
	sbuf_dec(&sb, detail);
}

/*
 * Blanks, and every byte the text gets as a space (controls, DEL): what
 * ends a code here must end it when the text is parsed again, or "5.7.1"
 * glued to a control byte would be text here and an enhanced code (of any
 * class, on the first line only) in the reply sent.
 */
static int
is_blank(unsigned char c)
{
	return c <= ' ' || c == 0x7f;
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* A three-digit code followed by end, blank or '-': its length, else 0. */
static size_t
scan_code(const unsigned char *p, const unsigned char *end, int *code)
{
	if (end - p < 3 || !is_digit(p[0]) || !is_digit(p[1]) ||
	    !is_digit(p[2]))
		return 0;
	if (end - p > 3 && !is_blank(p[3]) && p[3] != '-')
		return 0;
	*code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return 3;
}

/* 1 to 3 digits; their count, 0 if none or too many. */
static size_t
scan_num(const unsigned char *p, const unsigned char *end, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; p + i < end && is_digit(p[i]); i++) {
		if (i == 3)
			return 0;
		*v = *v * 10 + (p[i] - '0');
	}
	return i;
}

/* An enhanced code "D.S.D" followed by end or blank: its length, else 0. */
static size_t
scan_ecode(const unsigned char *p, const unsigned char *end, int *subject,
           int *detail)
{
	const unsigned char *q = p;
	size_t k;

	if (end - q < 5 || !is_digit(q[0]) || q[1] != '.')
		return 0;
	q += 2;
	if ((k = scan_num(q, end, subject)) == 0 || q + k >= end || q[k] != '.')
		return 0;
	q += k + 1;
	if ((k = scan_num(q, end, detail)) == 0)
		return 0;
	q += k;
	if (q < end && !is_blank(*q))
		return 0;
	return (size_t)(q - p);
}

/* Append one printable ASCII byte for c, or say the text is full. */
static inline int
text_put(struct reply *r, unsigned char c)
{
	if (r->textlen + 1 >= REPLY_TEXT_MAX) {
		/* Say that text is missing, as the line budget does. */
		r->truncated = true;
		memcpy(r->text + r->textlen - 4, " ...", 4);
		return -1;
	}
	r->text[r->textlen++] = (char)((c >= 0x20 && c < 0x7f) ? c : ' ');
	return 0;
}

/*
 * One non-ASCII character as GLib spells it in ASCII, kept only when that
 * is letters or an apostrophe or quote: a character that vanished (a
 * combining mark), or became a blank, a digit or a dot, could make or
 * unmake a code when the text is parsed again. Anything else is '?'.
 * Returns -1 once the text is full.
 */
static int
translit_put(struct reply *r, gunichar ch)
{
	char utf8[8], *ascii;
	const char *q;
	int n, rc = 0;
	bool ok;

	n = g_unichar_to_utf8(ch, utf8);
	utf8[n] = '\0';
	ascii = g_str_to_ascii(utf8, "C");
	ok = ascii[0] != '\0';
	for (q = ascii; ok && *q != '\0'; q++)
		ok = g_ascii_isalpha(*q) || *q == '\'' || *q == '"';
	if (!ok)
		rc = text_put(r, '?');
	for (q = ascii; ok && *q != '\0' && rc == 0; q++)
		rc = text_put(r, (unsigned char)*q);
	g_free(ascii);
	return rc;
}

/* Well-formed UTF-8 [p, end), a character at a time. */
static void
utf8_append(struct reply *r, const char *p, const char *end)
{
	gunichar ch;

	for (; p < end; p = g_utf8_next_char(p)) {
		ch = g_utf8_get_char(p);
		if (ch < 0x80 ? text_put(r, (unsigned char)ch) != 0
		              : translit_put(r, ch) != 0)
			return;
	}
}

/*
 * Append one line's text, printable ASCII only: controls become spaces.
 * Well-formed UTF-8 is transliterated (GLib: "Empf\u00e4nger" becomes
 * "Empfanger", a typographic apostrophe "'"), so that a French or German
 * reply keeps its words, for the reader and for the causes' patterns;
 * what has no such ASCII form, and each byte sequence that is not UTF-8
 * (Latin-1, say), becomes one '?'.
 */
static void
text_append(struct reply *r, const unsigned char *p, const unsigned char *end)
{
	bool tried = false; /* once per line: linear whatever the bytes */
	int in_seq = 0;

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p == end)
		return;
	if (r->textlen > 0 && r->textlen + 1 < REPLY_TEXT_MAX)
		r->text[r->textlen++] = '\n';
	for (; p < end; p++) {
		if (*p < 0x80) {
			in_seq = 0;
			if (text_put(r, *p) != 0)
				break;
			continue;
		}
		/* The first 8-bit byte: the rest is UTF-8, or byte by byte. */
		if (!tried) {
			tried = true;
			if (g_utf8_validate_len((const char *)p,
			                        (gsize)(end - p), NULL)) {
				utf8_append(r, (const char *)p,
				            (const char *)end);
				break;
			}
		}
		if ((*p & 0xc0) == 0x80 && in_seq)
			continue;
		in_seq = *p >= 0xc0;
		if (text_put(r, '?') != 0)
			break;
	}
	r->text[r->textlen] = '\0';
}

static int
parse_line(struct reply *r, const unsigned char *p, const unsigned char *end,
           int first)
{
	int code = 0, subject, detail;
	size_t k, coded;

	while (p < end && is_blank(*p))
		p++;
	if ((coded = scan_code(p, end, &code)) == 0 && first)
		return -1;
	if (first) {
		if (code < 200 || code > 599)
			return -1;
		r->code = code;
	}
	if (coded) {
		p += coded;
		if (p < end && *p == '-')
			p++;
		while (p < end && is_blank(*p))
			p++;
	}
	if ((k = scan_ecode(p, end, &subject, &detail)) != 0) {
		/*
		 * The reply's enhanced code is the first one before any
		 * text: on the first line, or on a later one when no text
		 * came before (sent after the code, it would be read as one
		 * anyway). Later ones are dropped on coded lines, text on
		 * the others.
		 */
		if (r->ecode[0] == '\0' && r->textlen == 0) {
			/* Keep the basic code's class: MTAs act on it. */
			r->ecode_corrected = *p - '0' != r->code / 100;
			format_ecode(r->ecode, sizeof(r->ecode), r->code / 100,
			             subject, detail);
			r->subject = subject;
			r->detail = detail;
		} else if (!coded)
			k = 0;
		p += k;
	}
	text_append(r, p, end);
	return 0;
}

int
reply_parse(struct reply *r, const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len,
	                    *eol;
	int first = 1;

	r->code = 0;
	r->ecode[0] = '\0';
	r->subject = r->detail = 0;
	r->ecode_corrected = r->truncated = false;
	r->textlen = 0;
	r->text[0] = '\0';
	/* Blank lines before the reply are noise, not a reply. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	while (p < end) {
		for (eol = p; eol < end && *eol != '\r' && *eol != '\n'; eol++)
			;
		if (parse_line(r, p, eol, first) != 0)
			return -1;
		first = 0;
		p = eol;
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
	}
	/*
	 * PCRE2's JIT may read a few bytes past the subject's end (wide
	 * loads, harmless): make them defined, for valgrind and for sanity.
	 */
	memset(r->text + r->textlen, 0,
	       REPLY_TEXT_MAX - r->textlen < 64 ? REPLY_TEXT_MAX - r->textlen
	                                        : 64);
	return first ? -1 : 0;
}
