/*
 * fuzzcheck - the reply checks shared by the fuzz targets.
 */
#include <string.h>

#include "../replyline.h"
#include "fuzzcheck.h"

#define WIRE_CAP (REPLY_MAX_LINES * (REPLY_WIRE_MAX + 2) + 1)

char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_CHECK(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "C.S.D" with 1 to 3 digits for S and D, C the code's class digit. */
static void
check_ecode(const char *e, char cls)
{
	size_t i = 2, k;
	int part;

	FUZZ_CHECK(e[0] == cls && e[1] == '.');
	for (part = 0; part < 2; part++) {
		for (k = 0; is_digit(e[i]); i++, k++)
			;
		FUZZ_CHECK(k >= 1 && k <= 3);
		if (part == 0)
			FUZZ_CHECK(e[i++] == '.');
	}
	FUZZ_CHECK(e[i] == '\0');
}

/* What session.c hands libmilter: each line with '%' doubled. */
static void
check_escaped(const char *line)
{
	char buf[2 * REPLY_WIDTH_MAX + 1];
	const char *p = line, *q = buf;

	FUZZ_CHECK(reply_escape_percent(line, buf, sizeof(buf)) == 0);
	for (; *q != '\0'; p++, q++) {
		if (*q == '%')
			FUZZ_CHECK(*++q == '%');
		FUZZ_CHECK(*p == *q);
	}
	FUZZ_CHECK(*p == '\0');
}

void
fuzz_check_reply(const struct reply *r, enum reply_result res,
                 const struct reply_out *o, unsigned width)
{
	static char wire[WIRE_CAP], small[WIRE_CAP];
	static struct reply again;
	size_t n, i, nlines, clen, elen, cap;
	const char *p, *eol;
	int cls = r->code / 100;

	if (width < REPLY_WIDTH_MIN)
		width = REPLY_WIDTH_MIN;
	if (width > REPLY_WIDTH_MAX)
		width = REPLY_WIDTH_MAX;
	FUZZ_CHECK(res == REPLY_ANNOTATED || res == REPLY_PASSED ||
	           res == REPLY_FALLBACK);
	FUZZ_CHECK((res == REPLY_PASSED) == (cls != 4 && cls != 5));
	FUZZ_CHECK(res != REPLY_ANNOTATED || o->entry != NULL);
	FUZZ_CHECK(o->nlines <= REPLY_MAX_LINES);
	FUZZ_CHECK(strlen(o->code) == 3 && is_digit(o->code[0]) &&
	           is_digit(o->code[1]) && is_digit(o->code[2]));
	FUZZ_CHECK(atoi(o->code) == r->code);
	clen = 3;
	elen = strlen(o->ecode);
	if (elen > 0)
		check_ecode(o->ecode, o->code[0]);
	if (r->ecode[0] != '\0')
		FUZZ_CHECK(strcmp(o->ecode, r->ecode) == 0);

	n = reply_render(o, "\r\n", wire, sizeof(wire));
	FUZZ_CHECK(n > 0 && n < sizeof(wire) && strlen(wire) == n);
	nlines = o->nlines > 0 ? o->nlines : 1;
	for (i = 0, p = wire; i < nlines; i++, p = eol + 2) {
		FUZZ_CHECK((eol = strstr(p, "\r\n")) != NULL);
		FUZZ_CHECK((size_t)(eol - p) + 2 <= REPLY_WIRE_MAX);
		/* Over the width only for one long word alone (a URL). */
		FUZZ_CHECK((size_t)(eol - p) <= width ||
		           (replyline_one_word(p, eol) &&
		            (size_t)(eol - p) <= REPLY_WIDTH_MAX));
		FUZZ_CHECK(memcmp(p, o->code, clen) == 0);
		FUZZ_CHECK(p[clen] == (i + 1 < nlines ? '-' : ' '));
		p += clen + 1;
		if (elen > 0) {
			FUZZ_CHECK(memcmp(p, o->ecode, elen) == 0);
			p += elen;
			FUZZ_CHECK(p == eol || (*p == ' ' && p + 1 < eol));
		}
		for (; p < eol; p++)
			FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
		if (o->nlines > 0)
			check_escaped(o->line[i]);
	}
	FUZZ_CHECK(p == wire + n);

	/* What goes out reads back as the same codes. */
	FUZZ_CHECK(reply_parse(&again, wire, n) == 0);
	FUZZ_CHECK(again.code == r->code);
	FUZZ_CHECK(strcmp(again.ecode, o->ecode) == 0);

	/* A short buffer gets a NUL-terminated prefix. */
	cap = n % 97 + 1;
	FUZZ_CHECK(reply_render(o, "\r\n", small, cap) == cap - 1);
	FUZZ_CHECK(memcmp(small, wire, cap - 1) == 0 && small[cap - 1] == 0);
}

enum reply_result
fuzz_annotate(const struct reply *r, const struct codetable *table,
              const struct reply_site *site, const struct reply_vars *vars)
{
	static struct reply_out o;
	enum reply_result res;
	size_t i;
	int explained = 0, fixed = 0;

	res = reply_annotate(r, table, site, vars, &o);
	fuzz_check_reply(r, res, &o, site->width);
	if (res != REPLY_ANNOTATED)
		return res;
	/* A reply without an enhanced code gets X.0.0 of its class, or none. */
	if (r->ecode[0] == '\0' && site->add_enhanced_code)
		FUZZ_CHECK(strcmp(o.ecode + 1, ".0.0") == 0);
	else if (r->ecode[0] == '\0')
		FUZZ_CHECK(o.ecode[0] == '\0');
	/* The budget never cuts the explanation and the fix away. */
	for (i = 0; i < o.nlines; i++) {
		explained |= strncmp(o.line[i], "Explanation: ", 13) == 0;
		fixed |= strncmp(o.line[i], "How to fix: ", 12) == 0;
	}
	FUZZ_CHECK(explained && fixed);
	return res;
}
