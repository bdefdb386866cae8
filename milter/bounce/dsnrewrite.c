/*
 * dsnrewrite - replace a report's human-readable part, keep every other
 * byte, and check the new part reads back as ours and cannot end the
 * report early.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gmime/gmime.h>

#include "bounce/dsn.h"
#include "bounce/dsnrender.h"
#include "core/sbuf.h"

void
dsn_init(void)
{
	g_mime_init();
}

void
dsn_shutdown(void)
{
	g_mime_shutdown();
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum dsn_outcome
unchanged(struct dsn_result *res, const char *why)
{
	struct sbuf sb;

	res->outcome = DSN_UNCHANGED;
	/* Nothing of a rewrite is left to be used by mistake. */
	free(res->body);
	res->body = NULL;
	res->len = 0;
	if (why != res->why) { /* the parser's reason is in place already */
		sbuf_init(&sb, res->why, sizeof(res->why));
		sbuf_put(&sb, why);
	}
	return DSN_UNCHANGED;
}

/*
 * A text part of content s, charset utf-8, encoded to be 7-bit clean;
 * in base64 when asked (its text holds a line that would end the report).
 */
static GMimeObject *
utf8_part(const char *subtype, const GString *s, bool base64)
{
	GMimeTextPart *t = g_mime_text_part_new_with_subtype(subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(s->str, s->len);
	GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(
	    st, GMIME_CONTENT_ENCODING_DEFAULT);

	g_mime_part_set_content((GMimePart *)t, w);
	g_object_unref(w);
	g_object_unref(st);
	g_mime_text_part_set_charset(t, "utf-8");
	/* Bounces cross servers without 8BITMIME: quoted-printable. */
	g_mime_part_set_content_encoding(
	    (GMimePart *)t,
	    base64 ? GMIME_CONTENT_ENCODING_BASE64
	           : g_mime_part_get_best_content_encoding(
	                 (GMimePart *)t, GMIME_ENCODING_CONSTRAINT_7BIT));
	return (GMimeObject *)t;
}

/*
 * The new human-readable part, serialized with the body's line endings
 * and without a final line break (the one before the next delimiter is
 * the original's). Its text and HTML alternatives; when the original
 * part has no plain text to quote (HTML only), the original part itself
 * follows them in a multipart/mixed, as it came.
 */
static GByteArray *
new_part(const struct dsn *d, const GString *text, const GString *html,
         bool base64)
{
	GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
	GMimeObject *tp = utf8_part("plain", text, base64),
	            *hp = utf8_part("html", html, base64);
	GMimeObject *top = (GMimeObject *)alt;
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GMimeStream *out = g_mime_stream_mem_new();
	GByteArray *ba, *copy;
	size_t eol = strlen(d->eol);

	g_mime_multipart_add(alt, tp);
	g_mime_multipart_add(alt, hp);
	g_object_unref(tp);
	g_object_unref(hp);
	if (d->notification == NULL && d->part0 != NULL) {
		GMimeMultipart *mixed =
		    g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mixed, (GMimeObject *)alt);
		g_mime_multipart_add(mixed, d->part0);
		g_object_unref(alt);
		top = (GMimeObject *)mixed;
	}
	g_mime_format_options_set_newline_format(
	    fo,
	    eol == 2 ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
	g_mime_object_write_to_stream(top, fo, out);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)out);
	copy = g_byte_array_sized_new(ba->len);
	g_byte_array_append(copy, ba->data, ba->len);
	while (copy->len > 0 && (copy->data[copy->len - 1] == '\n' ||
	                         copy->data[copy->len - 1] == '\r'))
		g_byte_array_set_size(copy, copy->len - 1);
	g_object_unref(out);
	g_mime_format_options_free(fo);
	g_object_unref(top);
	return copy;
}

/* Whether a line of part starts with "--boundary" (it would end ours). */
static bool
holds_delimiter(const GByteArray *part, const char *boundary)
{
	const char *p = (const char *)part->data, *end = p + part->len;
	size_t blen = strlen(boundary);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl != NULL ? nl : end) - p);

		if (n >= 2 + blen && p[0] == '-' && p[1] == '-' &&
		    memcmp(p + 2, boundary, blen) == 0)
			return true;
		p = nl != NULL ? nl + 1 : end;
	}
	return false;
}

/* The report's top-level multipart (dsn_parse made sure it is one). */
static GMimeMultipart *
report_of(const struct dsn *d)
{
	return (GMimeMultipart *)g_mime_message_get_mime_part(d->mime);
}

/*
 * Whether the new part reads back as ours: a multipart/alternative of
 * text and HTML, or a multipart/mixed around one and the original part.
 * The report around it is kept byte for byte and the part holds none of
 * the report's delimiter lines (holds_delimiter), so the report keeps
 * its structure: parsing this part alone is the whole check, and costs
 * a fraction of parsing the message with its returned copy again.
 */
static bool
part_parses_back(const GByteArray *part, bool mixed)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer(
	    (const char *)part->data, part->len);
	GMimeParser *p = g_mime_parser_new_with_stream(s);
	GMimeObject *o = g_mime_parser_construct_part(p, NULL);
	GMimeObject *alt = o;
	bool ok = false;

	if (mixed && o != NULL && GMIME_IS_MULTIPART(o) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(o),
	                                "multipart", "mixed") &&
	    g_mime_multipart_get_count((GMimeMultipart *)o) == 2)
		alt = g_mime_multipart_get_part((GMimeMultipart *)o, 0);
	if (alt != NULL && GMIME_IS_MULTIPART(alt) &&
	    g_mime_content_type_is_type(g_mime_object_get_content_type(alt),
	                                "multipart", "alternative") &&
	    g_mime_multipart_get_count((GMimeMultipart *)alt) == 2) {
		GMimeObject *t = g_mime_multipart_get_part(
		                (GMimeMultipart *)alt, 0),
		            *h = g_mime_multipart_get_part(
		                (GMimeMultipart *)alt, 1);

		ok = g_mime_content_type_is_type(
		         g_mime_object_get_content_type(t), "text", "plain") &&
		     g_mime_content_type_is_type(
		         g_mime_object_get_content_type(h), "text", "html");
	}
	if (o != NULL)
		g_object_unref(o);
	g_object_unref(p);
	g_object_unref(s);
	return ok;
}

/* body = msg's body with [part_start, part_end) replaced by part. */
static char *
splice(const char *msg, size_t len, const struct dsn *d, const GByteArray *part,
       size_t *out_len)
{
	size_t head = d->part_start - d->body_off, tail = len - d->part_end;
	char *body = malloc(head + part->len + tail + 1);

	if (body == NULL)
		return NULL;
	memcpy(body, msg + d->body_off, head);
	memcpy(body + head, part->data, part->len);
	memcpy(body + head + part->len, msg + d->part_end, tail);
	body[head + part->len + tail] = '\0';
	*out_len = head + part->len + tail;
	return body;
}

static int
explain_all(struct dsn_result *res, const struct config *c,
            const char *queue_id)
{
	struct dsn_explain_env env = {c->table, &c->site, c->dsn_help_url,
	                              queue_id};
	size_t i;

	res->x = calloc(res->d->nrcpt + 1, sizeof(*res->x));
	if (res->x == NULL)
		return -1;
	for (i = 0; i < res->d->nrcpt; i++)
		if (dsn_explain(&res->d->rcpt[i], &env, &res->x[i]) != 0)
			return -1;
	return 0;
}

enum dsn_outcome
dsn_annotate(const char *msg, size_t len, const struct config *c,
             const char *queue_id, struct dsn_result *res)
{
	const struct lang *L = lang_find(c->dsn_language);
	long start = now_ms();
	GString *text, *html;
	GByteArray *part;
	const char *boundary;
	enum dsn_parse_result pr;

	memset(res, 0, sizeof(*res));
	if ((res->d = calloc(1, sizeof(*res->d))) == NULL)
		return unchanged(res, "out of memory");
	pr = dsn_parse(msg, len, res->d, res->why, sizeof(res->why));
	if (pr == DSN_PARSE_NOT_DSN) {
		res->outcome = DSN_NOT_DSN;
		return DSN_NOT_DSN;
	}
	if (pr != DSN_PARSE_OK)
		return unchanged(res, res->why);
	res->headers_end = res->d->headers_end;
	if (explain_all(res, c, queue_id) != 0)
		return unchanged(res, "a recipient could not be explained");
	if (L == NULL)
		L = lang_at(0);
	text = dsn_render_text(res->d, res->x, L);
	html = dsn_render_html(res->d, res->x, L);
	boundary = g_mime_multipart_get_boundary(report_of(res->d));
	part = new_part(res->d, text, html, false);
	/* The quoted notification may hold the report's own delimiter. */
	if (holds_delimiter(part, boundary)) {
		g_byte_array_unref(part);
		part = new_part(res->d, text, html, true);
		if (holds_delimiter(part, boundary)) {
			g_byte_array_unref(part);
			part = NULL;
		}
	}
	g_string_free(text, TRUE);
	g_string_free(html, TRUE);
	if (part == NULL)
		return unchanged(res, "its notification holds the report's "
		                      "boundary");
	if (!part_parses_back(part, res->d->notification == NULL &&
	                                res->d->part0 != NULL)) {
		g_byte_array_unref(part);
		return unchanged(res,
		                 "the rewritten report did not parse back");
	}
	res->body = splice(msg, len, res->d, part, &res->len);
	g_byte_array_unref(part);
	if (res->body == NULL)
		return unchanged(res, "out of memory");
	if (now_ms() - start > DSN_DEADLINE_MS)
		return unchanged(res, "annotating took too long");
	res->outcome = DSN_ANNOTATED;
	return DSN_ANNOTATED;
}

void
dsn_log(struct log_dest dest, const struct dsn_result *res,
        const char *queue_id)
{
	struct log_dsn_rcpt r[DSN_RCPT_MAX];
	struct log_dsn a = {0};
	size_t i;

	if (res->outcome == DSN_NOT_DSN)
		return;
	a.queue_id = queue_id;
	a.annotated = res->outcome == DSN_ANNOTATED;
	a.why = res->why;
	if (a.annotated) {
		for (i = 0; i < res->d->nrcpt; i++) {
			r[i].rcpt = res->d->rcpt[i].final_rcpt;
			r[i].action = res->d->rcpt[i].action;
			r[i].status = res->d->rcpt[i].status;
			r[i].cause = res->x[i].cause != NULL
			                 ? res->x[i].cause->name
			                 : NULL;
			r[i].code = res->x[i].entry->code;
		}
		a.nrcpt = res->d->nrcpt;
		a.more = res->d->nfailed + res->d->ndelayed - res->d->nrcpt;
		a.rcpt = r;
	}
	log_dsn(dest, &a);
}

void
dsn_result_free(struct dsn_result *res)
{
	free(res->body);
	if (res->d != NULL)
		dsn_clear(res->d);
	free(res->d);
	free(res->x);
	memset(res, 0, sizeof(*res));
}
