/*
 * fuzz_dsn - a libFuzzer target for reading and rewriting delivery status
 * notifications (dsn_annotate: dsnparse, dsnexplain, dsntext, dsnhtml,
 * dsnrewrite) with the built-in table.
 *
 * The input is a whole message: headers, blank line, body. The input's
 * size picks the language of the labels (size % 4: en, ar, ru, zh), and
 * whether the help link and the queue id are set (size / 4 % 2), so the
 * seeds run in every language as libFuzzer changes their length.
 *
 * DSN_NOT_DSN and DSN_UNCHANGED leave nothing to emit (no body; a reason
 * for DSN_UNCHANGED). DSN_ANNOTATED gives a body that:
 *  - keeps every byte of the input's body outside the replaced part,
 *    [part_start, part_end), checked byte for byte here;
 *  - put back after the input's headers, parses with GMime as a
 *    multipart/report; report-type=delivery-status with as many parts as
 *    the input had, part 0 a multipart/alternative (or a multipart/mixed
 *    holding one, then the original part), no delimiter line of the
 *    report's boundary inside the new part;
 *  - has a text/plain part in valid UTF-8 whose lines of ours (all but
 *    the original notification quoted at its end) are at most
 *    DSN_TEXT_WIDTH characters, and a text/html part in valid UTF-8 whose
 *    only tags are ours (the input's text escaped);
 *  - with the X-Annotated-By mark added as the MTA adds it, is not
 *    annotated again.
 */
#include <string.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "bounce/dsn.h"
#include "bounce/dsnrender.h"
#include "core/lang.h"
#include "engine/config.h"
#include "fuzzcheck.h"

static struct config *
cfg(void)
{
	static struct config *c;
	struct diag d;

	if (c == NULL) {
		dsn_init();
		diag_init(&d);
		c = config_defaults(NULL, &d);
		FUZZ_CHECK(c != NULL);
	}
	return c;
}

/* GMime's view of msg[0..len); NULL when it reads no message. */
static GMimeMessage *
parse(const char *msg, size_t len)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(msg, len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeMessage *m = g_mime_parser_construct_message(p, NULL);

	g_object_unref(p);
	g_object_unref(s);
	return m;
}

static bool
is_type(GMimeObject *o, const char *type, const char *subtype)
{
	return o != NULL &&
	       g_mime_content_type_is_type(g_mime_object_get_content_type(o),
	                                   type, subtype);
}

/* t without its CRs, in place; t. */
static char *
strip_cr(char *t)
{
	char *w = t;
	const char *r;

	for (r = t; *r != '\0'; r++)
		if (*r != '\r')
			*w++ = *r;
	*w = '\0';
	return t;
}

/* The decoded text of a text part, without its CRs (UTF-8 or not). */
static char *
text_of(GMimeObject *o)
{
	char *t;

	FUZZ_CHECK(o != NULL && GMIME_IS_TEXT_PART(o));
	FUZZ_CHECK(g_ascii_strcasecmp(
	               g_mime_object_get_content_type_parameter(o, "charset"),
	               "utf-8") == 0);
	t = g_mime_text_part_get_text((GMimeTextPart *)o);
	FUZZ_CHECK(t != NULL);
	return strip_cr(t);
}

/* s without its CRs, as a new string. */
static char *
no_cr(const char *s)
{
	return strip_cr(g_strdup(s));
}

/*
 * The text part: valid UTF-8; the lines of ours at most DSN_TEXT_WIDTH
 * characters. Ours is everything before the original notification,
 * which ends the text ("\n" after it).
 */
static void
check_text(const char *text, const struct dsn *d)
{
	size_t n = strlen(text), ours = n, k;
	const char *p, *eol;

	FUZZ_CHECK(g_utf8_validate(text, (gssize)n, NULL));
	if (d->notification != NULL) {
		char *note = no_cr(d->notification);

		k = strlen(note);
		/* "----------\n" LABEL "\n\n" NOTIFICATION "\n" */
		FUZZ_CHECK(n >= k + 1 && text[n - 1] == '\n' &&
		           memcmp(text + n - 1 - k, note, k) == 0);
		ours = n - 1 - k;
		FUZZ_CHECK(ours >= 12 &&
		           memcmp(text + ours - 2, "\n\n", 2) == 0);
		FUZZ_CHECK(g_strstr_len(text, (gssize)ours, "\n----------\n") !=
		           NULL);
		g_free(note);
	}
	for (p = text; p < text + ours; p = eol + 1) {
		eol = memchr(p, '\n', (size_t)(text + ours - p));
		FUZZ_CHECK(eol != NULL);
		FUZZ_CHECK(g_utf8_strlen(p, eol - p) <= DSN_TEXT_WIDTH);
	}
}

/* Every tag of the page is one of ours: the input's text is escaped. */
static void
check_html(const char *html, const struct lang *L)
{
	static const char *const tags[] = {
	    "!DOCTYPE html>",
	    "html ",
	    "/html>",
	    "head>",
	    "/head>",
	    "meta ",
	    "title>",
	    "/title>",
	    "style>",
	    "/style>",
	    "body ",
	    "/body>",
	    "div ",
	    "/div>",
	    "h1 ",
	    "/h1>",
	    "h2 ",
	    "h2>",
	    "/h2>",
	    "p ",
	    "p>",
	    "/p>",
	    "strong>",
	    "/strong>",
	    "span ",
	    "/span>",
	    "bdi ",
	    "/bdi>",
	    "code ",
	    "/code>",
	    "pre ",
	    "/pre>",
	    "a href=\"",
	    "/a>",
	    "br>",
	};
	const char *p;
	size_t i;
	char dir[32];

	FUZZ_CHECK(g_utf8_validate(html, -1, NULL));
	g_snprintf(dir, sizeof(dir), "dir=\"%s\"", L->rtl ? "rtl" : "ltr");
	FUZZ_CHECK(strstr(html, dir) != NULL);
	for (p = strchr(html, '<'); p != NULL; p = strchr(p + 1, '<')) {
		for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
			if (strncmp(p + 1, tags[i], strlen(tags[i])) == 0)
				break;
		FUZZ_CHECK(i < sizeof(tags) / sizeof(tags[0]));
	}
	/* A link's address is ours (the help template's), quoted. */
	FUZZ_CHECK(strstr(html, "<a href=\"http") == NULL ||
	           strstr(html, "<a href=\"https://help.example.org/") != NULL);
}

/* No line of [from, to) is a delimiter of the report's boundary. */
static void
check_no_delimiter(const char *b, size_t from, size_t to, const char *bnd)
{
	size_t blen = strlen(bnd), i = from, k;
	const char *nl;

	while (i < to) {
		if (i + 2 + blen <= to && b[i] == '-' && b[i + 1] == '-' &&
		    memcmp(b + i + 2, bnd, blen) == 0) {
			k = i + 2 + blen;
			if (k + 1 < to && b[k] == '-' && b[k + 1] == '-')
				k += 2;
			while (k < to && (b[k] == ' ' || b[k] == '\t'))
				k++;
			FUZZ_CHECK(!(k == to || b[k] == '\r' || b[k] == '\n'));
		}
		if ((nl = memchr(b + i, '\n', to - i)) == NULL)
			break;
		i = (size_t)(nl - b) + 1;
	}
}

static void
check_annotated(const char *msg, size_t size, const struct dsn_result *res,
                const struct config *c, const struct lang *L)
{
	const struct dsn *d = res->d;
	GMimeObject *top, *otop, *first, *alt;
	GMimeMessage *m;
	size_t head, tail, wlen, i;
	char *whole, *text, *html;
	int n;

	FUZZ_CHECK(res->body != NULL && res->x != NULL && d != NULL);
	FUZZ_CHECK(d->nrcpt > 0 && d->nrcpt <= DSN_RCPT_MAX);
	FUZZ_CHECK(d->nrcpt <= d->nfailed + d->ndelayed);
	for (i = 0; i < d->nrcpt; i++) {
		FUZZ_CHECK(strcmp(d->rcpt[i].action, "failed") == 0 ||
		           strcmp(d->rcpt[i].action, "delayed") == 0);
		FUZZ_CHECK(res->x[i].entry != NULL && res->x[i].title != NULL);
	}
	FUZZ_CHECK(strcmp(d->eol, "\r\n") == 0 || strcmp(d->eol, "\n") == 0);

	/* Every byte outside [part_start, part_end) as it came. */
	FUZZ_CHECK(res->headers_end <= d->body_off && d->body_off <= size);
	FUZZ_CHECK(d->body_off <= d->part_start &&
	           d->part_start <= d->part_end && d->part_end <= size);
	head = d->part_start - d->body_off;
	tail = size - d->part_end;
	FUZZ_CHECK(res->len >= head + tail);
	FUZZ_CHECK(memcmp(res->body, msg + d->body_off, head) == 0);
	FUZZ_CHECK(
	    memcmp(res->body + res->len - tail, msg + d->part_end, tail) == 0);
	FUZZ_CHECK(res->len > head + tail); /* a new part is there */

	/* The input's headers, then the new body: the report it was. */
	wlen = d->body_off + res->len;
	whole = malloc(wlen + 1);
	FUZZ_CHECK(whole != NULL);
	memcpy(whole, msg, d->body_off);
	memcpy(whole + d->body_off, res->body, res->len);
	whole[wlen] = '\0';
	m = parse(whole, wlen);
	FUZZ_CHECK(m != NULL);
	top = g_mime_message_get_mime_part(m);
	FUZZ_CHECK(is_type(top, "multipart", "report") &&
	           GMIME_IS_MULTIPART(top));
	FUZZ_CHECK(g_ascii_strcasecmp(g_mime_object_get_content_type_parameter(
	                                  top, "report-type"),
	                              "delivery-status") == 0 ||
	           g_ascii_strcasecmp(g_mime_object_get_content_type_parameter(
	                                  top, "report-type"),
	                              "global-delivery-status") == 0);
	otop = g_mime_message_get_mime_part(d->mime);
	n = g_mime_multipart_get_count((GMimeMultipart *)top);
	FUZZ_CHECK(n == g_mime_multipart_get_count((GMimeMultipart *)otop));
	check_no_delimiter(
	    whole, d->part_start, d->part_start + res->len - head - tail,
	    g_mime_multipart_get_boundary((GMimeMultipart *)top));

	/* Part 0: the alternative, alone or followed by the original. */
	first = g_mime_multipart_get_part((GMimeMultipart *)top, 0);
	alt = first;
	if (is_type(first, "multipart", "mixed")) {
		FUZZ_CHECK(GMIME_IS_MULTIPART(first));
		FUZZ_CHECK(d->notification == NULL);
		FUZZ_CHECK(
		    g_mime_multipart_get_count((GMimeMultipart *)first) == 2);
		alt = g_mime_multipart_get_part((GMimeMultipart *)first, 0);
	}
	FUZZ_CHECK(is_type(alt, "multipart", "alternative") &&
	           GMIME_IS_MULTIPART(alt));
	FUZZ_CHECK(g_mime_multipart_get_count((GMimeMultipart *)alt) == 2);
	text = text_of(g_mime_multipart_get_part((GMimeMultipart *)alt, 0));
	html = text_of(g_mime_multipart_get_part((GMimeMultipart *)alt, 1));
	FUZZ_CHECK(is_type(g_mime_multipart_get_part((GMimeMultipart *)alt, 0),
	                   "text", "plain"));
	FUZZ_CHECK(is_type(g_mime_multipart_get_part((GMimeMultipart *)alt, 1),
	                   "text", "html"));
	check_text(text, d);
	check_html(html, L);
	g_free(text);
	g_free(html);
	g_object_unref(m);
	free(whole);

	/* Marked as the MTA marks it: left alone the next time. */
	{
		static const char mark[] = DSN_HEADER ": " DSN_MARK "\r\n";
		size_t ml = sizeof(mark) - 1;
		struct dsn_result again;

		wlen = d->body_off + ml + res->len;
		whole = malloc(wlen);
		FUZZ_CHECK(whole != NULL);
		memcpy(whole, msg, res->headers_end);
		memcpy(whole + res->headers_end, mark, ml);
		memcpy(whole + res->headers_end + ml, msg + res->headers_end,
		       d->body_off - res->headers_end);
		memcpy(whole + d->body_off + ml, res->body, res->len);
		FUZZ_CHECK(dsn_annotate(whole, wlen, c, NULL, &again) ==
		           DSN_NOT_DSN);
		FUZZ_CHECK(again.body == NULL);
		dsn_result_free(&again);
		free(whole);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const help = "${help_base_url}/${page}?c=${code}";
	struct config *c = cfg();
	const struct lang *L = lang_at(size % lang_count());
	bool extras = size / 4 % 2 == 1;
	struct dsn_result res;
	enum dsn_outcome out;
	char *msg;

	FUZZ_CHECK(L != NULL);
	c->dsn_language = L->code;
	c->site.help_base_url = extras ? "https://help.example.org" : NULL;
	c->dsn_help_url = extras ? help : NULL;
	/* An exact copy: an overread past the input shows. */
	msg = malloc(size > 0 ? size : 1);
	FUZZ_CHECK(msg != NULL);
	if (size > 0)
		memcpy(msg, data, size);
	out = dsn_annotate(msg, size, c, extras ? "4XyZ1abc" : NULL, &res);
	FUZZ_CHECK(out == res.outcome);
	switch (out) {
	case DSN_NOT_DSN:
		FUZZ_CHECK(res.body == NULL && res.len == 0);
		break;
	case DSN_UNCHANGED:
		FUZZ_CHECK(res.body == NULL && res.len == 0);
		FUZZ_CHECK(res.why[0] != '\0');
		break;
	case DSN_ANNOTATED:
		check_annotated(msg, size, &res, c, L);
		break;
	default:
		FUZZ_CHECK(!"an outcome dsn.h does not name");
	}
	dsn_result_free(&res);
	free(msg);
	return 0;
}
