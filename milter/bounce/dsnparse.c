/*
 * dsnparse - GMime reads the report; this keeps what the explanation and
 * the rewrite need.
 *
 * The human-readable part is located twice: by GMime (its headers' and
 * content's offsets in the original bytes) and by the top-level boundary's
 * delimiter lines, which GMime names. The two must agree, part for part,
 * or the report is left alone: a rewrite replaces that part's bytes and
 * must not touch one byte of the others.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bounce/dsnparse.h"
#include "core/sbuf.h"

#define DELIMS_MAX 16 /* top-level parts of a report we look at */

/* A one-line reason into why. */
static enum dsn_parse_result
broken(char *why, size_t cap, const char *reason)
{
	struct sbuf sb;

	sbuf_init(&sb, why, cap);
	sbuf_put(&sb, reason);
	return DSN_PARSE_BROKEN;
}

/*
 * s made valid UTF-8 in place: each byte of an invalid or cut sequence
 * becomes '?'. GMime passes a field's 8-bit bytes through when they are
 * no charset it knows, and a cut to fit can split a character; what we
 * write is declared utf-8.
 */
static void
utf8_clean(char *s)
{
	const gchar *bad;

	while (!g_utf8_validate(s, -1, &bad)) {
		s = (char *)bad;
		*s++ = '?';
	}
}

/* src without leading and trailing blanks into dst, cut to fit. */
static void
copy_trimmed(char *dst, size_t cap, const char *src, size_t len)
{
	struct sbuf sb;

	while (len > 0 && isspace((unsigned char)*src))
		src++, len--;
	while (len > 0 && isspace((unsigned char)src[len - 1]))
		len--;
	sbuf_init(&sb, dst, cap);
	sbuf_putn(&sb, src, len);
	if (cap > 0)
		utf8_clean(dst);
}

/* A field's value ("" when absent), as GMime unfolds and decodes it. */
static const char *
field(GMimeHeaderList *hl, const char *name)
{
	GMimeHeader *h = g_mime_header_list_get_header(hl, name);
	const char *v = h != NULL ? g_mime_header_get_value(h) : NULL;

	return v != NULL ? v : "";
}

/* "rfc822; bob@example.net": the part after the type, trimmed. */
static void
typed_value(char *dst, size_t cap, const char *v, char *type, size_t tcap)
{
	const char *semi = strchr(v, ';');

	if (type != NULL)
		copy_trimmed(type, tcap, v,
		             semi != NULL ? (size_t)(semi - v) : 0);
	if (semi != NULL)
		v = semi + 1;
	copy_trimmed(dst, cap, v, strlen(v));
}

/* Runs of blanks (a field's folding, kept by unfolding) as one space. */
static void
squeeze(char *s)
{
	char *w = s, *start = s;
	bool blank = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
			blank = true;
			continue;
		}
		if (blank && w != start)
			*w++ = ' ';
		blank = false;
		*w++ = *s;
	}
	*w = '\0';
}

/* "5.1.1 (comment)": the code alone. */
static void
status_value(char *dst, size_t cap, const char *v)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strcspn(v, " \t(");
	copy_trimmed(dst, cap, v, n);
}

/* One group of fields (RFC 822 syntax) parsed by GMime. */
static GMimeObject *
parse_group(const char *p, size_t len)
{
	GMimeStream *s = g_mime_stream_mem_new();
	GMimeParser *parser;
	GMimeObject *o;

	g_mime_stream_write(s, p, len);
	/* The group's end: a blank line, then no body. */
	g_mime_stream_write_string(s, "\n\n");
	g_mime_stream_seek(s, 0, GMIME_STREAM_SEEK_SET);
	parser = g_mime_parser_new_with_stream(s);
	o = g_mime_parser_construct_part(parser, NULL);
	g_object_unref(parser);
	g_object_unref(s);
	return o;
}

static void
read_rcpt(struct dsn *d, GMimeHeaderList *hl)
{
	const char *action = field(hl, "Action");
	struct dsn_rcpt *r;
	bool failed, delayed;

	/* "failed" or "delayed", in any case, maybe with a comment. */
	failed = g_ascii_strncasecmp(action, "failed", 6) == 0;
	delayed = g_ascii_strncasecmp(action, "delayed", 7) == 0;
	if (!failed && !delayed)
		return;
	d->nfailed += failed;
	d->ndelayed += delayed;
	if (d->nrcpt >= DSN_RCPT_MAX)
		return;
	r = &d->rcpt[d->nrcpt++];
	memset(r, 0, sizeof(*r));
	memcpy(r->action, failed ? "failed" : "delayed", failed ? 7 : 8);
	typed_value(r->final_rcpt, sizeof(r->final_rcpt),
	            field(hl, "Final-Recipient"), NULL, 0);
	typed_value(r->original_rcpt, sizeof(r->original_rcpt),
	            field(hl, "Original-Recipient"), NULL, 0);
	status_value(r->status, sizeof(r->status), field(hl, "Status"));
	typed_value(r->remote_mta, sizeof(r->remote_mta),
	            field(hl, "Remote-MTA"), NULL, 0);
	typed_value(r->diag, sizeof(r->diag), field(hl, "Diagnostic-Code"),
	            r->diag_type, sizeof(r->diag_type));
	squeeze(r->diag);
	copy_trimmed(r->will_retry_until, sizeof(r->will_retry_until),
	             field(hl, "Will-Retry-Until"),
	             strlen(field(hl, "Will-Retry-Until")));
}

/* Where the next group of fields starts: after a blank line. */
static const char *
group_end(const char *p, const char *end, const char **next)
{
	const char *line = p, *eol;

	while (line < end) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		/* A line of blanks only ends the group. */
		const char *q = line;
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == eol && line > p) {
			*next = eol < end ? eol + 1 : end;
			return line;
		}
		if (q == eol && line == p) {
			/* Blank lines before a group: skip them. */
			p = line = eol < end ? eol + 1 : end;
			continue;
		}
		line = eol < end ? eol + 1 : end;
	}
	*next = end;
	return end;
}

/* The delivery-status fields: per message, then per recipient. */
static void
read_fields(struct dsn *d, GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *s = g_mime_stream_mem_new();
	GByteArray *ba;
	const char *p, *end, *gend, *next;
	GMimeObject *o;
	int first = 1;

	if (w != NULL)
		g_mime_data_wrapper_write_to_stream(w, s);
	ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)s);
	/* An empty part has no buffer at all: nothing to read. */
	p = ba->len > 0 ? (const char *)ba->data : "";
	end = p + ba->len;
	while (p < end) {
		/* Leading blank lines belong to no group. */
		while (p < end && (*p == '\r' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		gend = group_end(p, end, &next);
		if ((o = parse_group(p, (size_t)(gend - p))) != NULL) {
			GMimeHeaderList *hl = g_mime_object_get_header_list(o);

			if (first) {
				typed_value(
				    d->reporting_mta, sizeof(d->reporting_mta),
				    field(hl, "Reporting-MTA"), NULL, 0);
				copy_trimmed(
				    d->queue_id, sizeof(d->queue_id),
				    field(hl, "X-Postfix-Queue-ID"),
				    strlen(field(hl, "X-Postfix-Queue-ID")));
				copy_trimmed(d->arrival_date,
				             sizeof(d->arrival_date),
				             field(hl, "Arrival-Date"),
				             strlen(field(hl, "Arrival-Date")));
			} else
				read_rcpt(d, hl);
			g_object_unref(o);
		}
		first = 0;
		p = next;
	}
	g_object_unref(s);
}

/* The first text/plain part in o, depth first; NULL if none. */
static GMimeTextPart *
first_plain(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	int i, n;

	if (GMIME_IS_TEXT_PART(o) &&
	    g_mime_content_type_is_type(ct, "text", "plain"))
		return (GMimeTextPart *)o;
	if (!GMIME_IS_MULTIPART(o))
		return NULL;
	n = g_mime_multipart_get_count((GMimeMultipart *)o);
	for (i = 0; i < n; i++) {
		GMimeTextPart *t = first_plain(
		    g_mime_multipart_get_part((GMimeMultipart *)o, i));

		if (t != NULL)
			return t;
	}
	return NULL;
}

/* The notification's text, valid UTF-8, trailing blank lines removed. */
static char *
notification_text(GMimeObject *part0, bool *plain)
{
	GMimeTextPart *t = first_plain(part0);
	char *text, *valid, *w;
	size_t n;

	*plain = GMIME_IS_TEXT_PART(part0) && (GMimeObject *)t == part0;
	if (t == NULL || (text = g_mime_text_part_get_text(t)) == NULL)
		return NULL;
	valid = g_utf8_make_valid(text, -1);
	g_free(text);
	/* Lines end with "\n" here; the rewrite writes the body's ending. */
	for (n = 0, w = valid; valid[n] != '\0'; n++)
		if (!(valid[n] == '\r' && valid[n + 1] == '\n'))
			*w++ = valid[n];
	*w = '\0';
	n = strlen(valid);
	while (n > 0 && isspace((unsigned char)valid[n - 1]))
		valid[--n] = '\0';
	text = strdup(valid);
	g_free(valid);
	return text;
}

/*
 * The delimiter lines of boundary in msg[from..len): "--BOUNDARY", maybe
 * "--", blanks, then a line end or the end. Their offsets into at[];
 * returns how many (the closing one included), at most max.
 */
static size_t
find_delims(const char *msg, size_t len, size_t from, const char *boundary,
            size_t at[], size_t max)
{
	size_t blen = strlen(boundary), n = 0, i = from, k;

	while (i + 2 + blen <= len && n < max) {
		if (msg[i] == '-' && msg[i + 1] == '-' &&
		    memcmp(msg + i + 2, boundary, blen) == 0) {
			k = i + 2 + blen;
			if (k + 1 < len && msg[k] == '-' && msg[k + 1] == '-')
				k += 2;
			while (k < len && (msg[k] == ' ' || msg[k] == '\t'))
				k++;
			if (k == len || msg[k] == '\r' || msg[k] == '\n')
				at[n++] = i;
		}
		/* Delimiters start lines: go to the next one. */
		const char *nl = memchr(msg + i, '\n', len - i);
		if (nl == NULL)
			break;
		i = (size_t)(nl - msg) + 1;
	}
	return n;
}

/* The offset just past the line that starts at i. */
static size_t
line_after(const char *msg, size_t len, size_t i)
{
	const char *nl = memchr(msg + i, '\n', len - i);

	return nl != NULL ? (size_t)(nl - msg) + 1 : len;
}

/* The offset of the first header of o, or -1 when it has none. */
static gint64
header_offset(GMimeObject *o)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);

	if (g_mime_header_list_get_count(hl) == 0)
		return -1;
	return g_mime_header_get_offset(
	    g_mime_header_list_get_header_at(hl, 0));
}

/*
 * Locate part 0 by the delimiters, and check every part GMime found
 * starts where the delimiters say. 0, or -1 when they disagree.
 */
static int
locate_part0(struct dsn *d, const char *msg, size_t len, GMimeMultipart *top)
{
	size_t at[DELIMS_MAX], n, i, start, end;
	int count = g_mime_multipart_get_count(top);
	const char *boundary = g_mime_multipart_get_boundary(top);
	gint64 off;

	if (boundary == NULL || count < 2 || count >= DELIMS_MAX)
		return -1;
	n = find_delims(msg, len, d->body_off, boundary, at, DELIMS_MAX);
	/* One delimiter per part, then the closing one if present. */
	if (n < (size_t)count || n > (size_t)count + 1)
		return -1;
	for (i = 0; i < (size_t)count; i++) {
		start = line_after(msg, len, at[i]);
		end = i + 1 < n ? at[i + 1] : len;
		off = header_offset(g_mime_multipart_get_part(top, (int)i));
		if (off >= 0 && ((size_t)off < start || (size_t)off >= end))
			return -1;
		if (off >= 0 && (size_t)off != start && i == 0)
			return -1;
	}
	d->part_start = line_after(msg, len, at[0]);
	end = at[1];
	/* The line break before a delimiter belongs to the delimiter. */
	if (end > d->part_start && msg[end - 1] == '\n')
		end--;
	if (end > d->part_start && msg[end - 1] == '\r')
		end--;
	if (end < d->part_start)
		return -1;
	d->part_end = end;
	return 0;
}

static const char *
body_eol(const char *msg, size_t len, size_t body_off)
{
	const char *nl = memchr(msg + body_off, '\n', len - body_off);

	return nl != NULL && nl > msg + body_off && nl[-1] == '\r' ? "\r\n"
	                                                           : "\n";
}

/* Whether o is the machine-readable part of a DSN. */
static bool
is_status_part(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);

	return GMIME_IS_PART(o) &&
	       (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
	        g_mime_content_type_is_type(ct, "message",
	                                    "global-delivery-status"));
}

static enum dsn_parse_result
read_report(struct dsn *d, const char *msg, size_t len, GMimeMessage *m,
            gint64 headers_end, char *why, size_t cap)
{
	GMimeObject *top = g_mime_message_get_mime_part(m), *status = NULL;
	const char *rt;
	int i, n;

	if (g_mime_object_get_header((GMimeObject *)m, "X-Annotated-By") !=
	    NULL)
		return DSN_PARSE_NOT_DSN; /* annotated once already */
	if (top == NULL || !GMIME_IS_MULTIPART(top) ||
	    !g_mime_content_type_is_type(g_mime_object_get_content_type(top),
	                                 "multipart", "report"))
		return DSN_PARSE_NOT_DSN;
	rt = g_mime_object_get_content_type_parameter(top, "report-type");
	if (rt == NULL ||
	    (g_ascii_strcasecmp(rt, "delivery-status") != 0 &&
	     g_ascii_strcasecmp(rt, "global-delivery-status") != 0))
		return DSN_PARSE_NOT_DSN;
	n = g_mime_multipart_get_count((GMimeMultipart *)top);
	for (i = 1; i < n && status == NULL; i++)
		if (is_status_part(
		        g_mime_multipart_get_part((GMimeMultipart *)top, i)))
			status =
			    g_mime_multipart_get_part((GMimeMultipart *)top, i);
	if (status == NULL)
		return DSN_PARSE_NOT_DSN;
	read_fields(d, (GMimePart *)status);
	if (d->nfailed + d->ndelayed == 0)
		return DSN_PARSE_NOT_DSN; /* success notices, relays */
	/* The body: after the header block's blank line. */
	if (headers_end < 0 || (size_t)headers_end >= len)
		return broken(why, cap, "no body after the headers");
	d->headers_end = (size_t)headers_end;
	d->body_off = line_after(msg, len, (size_t)headers_end);
	d->eol = body_eol(msg, len, d->body_off);
	if (locate_part0(d, msg, len, (GMimeMultipart *)top) != 0)
		return broken(
		    why, cap,
		    "its parts cannot be located exactly (boundaries)");
	d->part0 = g_mime_multipart_get_part((GMimeMultipart *)top, 0);
	d->notification = notification_text(d->part0, &d->plain);
	d->mime = m;
	g_object_ref(m);
	return DSN_PARSE_OK;
}

enum dsn_parse_result
dsn_parse(const char *msg, size_t len, struct dsn *d, char *why, size_t cap)
{
	GMimeStream *s;
	GMimeParser *parser;
	GMimeMessage *m;
	enum dsn_parse_result res;

	memset(d, 0, sizeof(*d));
	d->eol = "\n";
	if (cap > 0)
		why[0] = '\0';
	s = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(s);
	/* Parts refer to the bytes as they came: their offsets locate them. */
	g_mime_parser_set_persist_stream(parser, TRUE);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m == NULL)
		res = DSN_PARSE_NOT_DSN;
	else
		res = read_report(d, msg, len, m,
		                  g_mime_parser_get_headers_end(parser), why,
		                  cap);
	if (m != NULL)
		g_object_unref(m);
	g_object_unref(parser);
	g_object_unref(s);
	if (res != DSN_PARSE_OK)
		dsn_clear(d);
	return res;
}

void
dsn_clear(struct dsn *d)
{
	free(d->notification);
	d->notification = NULL;
	if (d->mime != NULL)
		g_object_unref(d->mime);
	d->mime = NULL;
	d->part0 = NULL;
}
