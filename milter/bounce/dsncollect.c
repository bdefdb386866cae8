/*
 * dsncollect - keep a candidate report, bounded, until its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "bounce/dsncollect.h"

void
dsn_collect_init(struct dsn_collect *dc, size_t max)
{
	memset(dc, 0, sizeof(*dc));
	dc->max = max;
}

void
dsn_collect_reset(struct dsn_collect *dc)
{
	size_t max = dc->max;

	free(dc->buf);
	dsn_collect_init(dc, max);
}

void
dsn_collect_sender(struct dsn_collect *dc, const char *from)
{
	dsn_collect_reset(dc);
	dc->null_from =
	    from == NULL || strcmp(from, "<>") == 0 || strcmp(from, "") == 0;
}

/* Whether what came so far may still be a report worth keeping. */
static bool
keeping(const struct dsn_collect *dc)
{
	return dc->null_from && !dc->marked && !dc->too_big;
}

/* Append n bytes; past max, stop keeping (the report passes as it is). */
static void
put(struct dsn_collect *dc, const char *p, size_t n)
{
	size_t cap;
	char *grown;

	if (!keeping(dc))
		return;
	if (n > dc->max - dc->len) {
		dc->too_big = true;
		free(dc->buf);
		dc->buf = NULL;
		dc->len = dc->cap = 0;
		return;
	}
	if (dc->len + n > dc->cap) {
		cap = dc->cap > 0 ? dc->cap : 16384;
		while (cap < dc->len + n)
			cap *= 2;
		if (cap > dc->max)
			cap = dc->max;
		if ((grown = realloc(dc->buf, cap)) == NULL) {
			/* Let the report go as it is rather than fail it. */
			dc->too_big = true;
			return;
		}
		dc->buf = grown;
		dc->cap = cap;
	}
	memcpy(dc->buf + dc->len, p, n);
	dc->len += n;
}

void
dsn_collect_header(struct dsn_collect *dc, const char *name, const char *value)
{
	const char *p;

	if (!keeping(dc) || dc->eoh)
		return;
	if (strcasecmp(name, DSN_HEADER) == 0) {
		dc->marked = true;
		return;
	}
	/* A cheap first look; GMime decides at the end. */
	if (strcasecmp(name, "Content-Type") == 0) {
		gchar *low = g_ascii_strdown(value, -1);

		dc->report = strstr(low, "multipart/report") != NULL &&
		             strstr(low, "delivery-status") != NULL;
		g_free(low);
	}
	put(dc, name, strlen(name));
	put(dc, ": ", 2);
	/* Folded lines come joined by LF alone: CRLF, as on the wire. */
	for (p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			put(dc, "\r", 1);
		put(dc, p, 1);
	}
	put(dc, "\r\n", 2);
}

void
dsn_collect_eoh(struct dsn_collect *dc)
{
	dc->eoh = true;
	put(dc, "\r\n", 2);
	dc->hdr_len = dc->len;
}

void
dsn_collect_replace_body(struct dsn_collect *dc, const char *p, size_t n)
{
	if (!dsn_collect_wants_body(dc) || !dc->eoh)
		return;
	dc->len = dc->hdr_len;
	put(dc, p, n);
}

bool
dsn_collect_wants_body(const struct dsn_collect *dc)
{
	return keeping(dc) && dc->report;
}

void
dsn_collect_body(struct dsn_collect *dc, const char *p, size_t n)
{
	if (dsn_collect_wants_body(dc))
		put(dc, p, n);
}

enum dsn_outcome
dsn_collect_finish(struct dsn_collect *dc, const struct config *c,
                   const char *queue_id, struct dsn_result *res)
{
	memset(res, 0, sizeof(*res));
	res->outcome = DSN_NOT_DSN;
	if (!dc->null_from || dc->marked || !dc->report || !c->dsn)
		return DSN_NOT_DSN;
	if (dc->too_big) {
		res->outcome = DSN_UNCHANGED;
		snprintf(res->why, sizeof(res->why),
		         "larger than dsn_max_size (%zu bytes)", dc->max);
		return DSN_UNCHANGED;
	}
	if (dc->buf == NULL || !dc->eoh)
		return DSN_NOT_DSN;
	return dsn_annotate(dc->buf, dc->len, c, queue_id, res);
}
