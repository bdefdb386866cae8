/*
 * dsntext - the annotated DSN as plain text, wrapped to DSN_TEXT_WIDTH
 * characters (not bytes: labels may be Arabic, Russian or Chinese).
 */
#include <string.h>

#include "bounce/dsnrender.h"

/* The width in characters of s[0..n). */
static size_t
chars(const char *s, size_t n)
{
	return (size_t)g_utf8_strlen(s, (gssize)n);
}

/* The byte length of the first k characters of s[0..n). */
static size_t
bytes_of(const char *s, size_t n, size_t k)
{
	const char *p = s;

	while (k-- > 0 && p < s + n)
		p = g_utf8_next_char(p);
	return p < s + n ? (size_t)(p - s) : n;
}

/*
 * Wrap text (words separated by blanks) after lead, continuation lines
 * indented by indent spaces; a word longer than a line (a URL, Chinese
 * text without spaces) is cut at a character. Each line ends with "\n".
 */
static void
wrap(GString *out, const char *lead, const char *text, size_t indent)
{
	size_t col, wl, wb, room, take;
	const char *p = text, *w;
	bool fresh = true;

	g_string_append(out, lead);
	col = chars(lead, strlen(lead));
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		w = p;
		p += strcspn(p, " \t\n\r");
		wb = (size_t)(p - w);
		wl = chars(w, wb);
		while (wl > 0) {
			if (!fresh && col + 1 + wl <= DSN_TEXT_WIDTH) {
				g_string_append_c(out, ' ');
				g_string_append_len(out, w, (gssize)wb);
				col += 1 + wl;
				break;
			}
			if (fresh && col + wl <= DSN_TEXT_WIDTH) {
				g_string_append_len(out, w, (gssize)wb);
				col += wl;
				fresh = false;
				break;
			}
			if (!fresh || col >= DSN_TEXT_WIDTH) {
				g_string_append_c(out, '\n');
				g_string_append_printf(out, "%*s", (int)indent,
				                       "");
				col = indent;
				fresh = true;
				continue;
			}
			/* Longer than a whole line: what fits, then the rest.
			 */
			room = DSN_TEXT_WIDTH - col;
			take = bytes_of(w, wb, room);
			g_string_append_len(out, w, (gssize)take);
			w += take;
			wb -= take;
			wl = chars(w, wb);
			col = DSN_TEXT_WIDTH;
			fresh = false;
		}
	}
	g_string_append_c(out, '\n');
}

/* A translated sentence with %N replaced by n. */
static void
counted(GString *out, const char *fmt, size_t n)
{
	const char *at = strstr(fmt, "%N");
	GString *s = g_string_new(NULL);

	if (at == NULL)
		g_string_append(s, fmt);
	else {
		g_string_append_len(s, fmt, (gssize)(at - fmt));
		g_string_append_printf(s, "%zu", n);
		g_string_append(s, at + 2);
	}
	wrap(out, "", s->str, 0);
	g_string_free(s, TRUE);
}

/* "Label: " in language L. */
static void
label(GString *s, const char *indent, const char *text)
{
	g_string_assign(s, indent);
	g_string_append(s, text);
	g_string_append(s, ": ");
}

static void
recipient(GString *out, const struct dsn_rcpt *r, const struct dsn_expl *x,
          const struct lang *L)
{
	bool failed = strcmp(r->action, "failed") == 0;
	GString *lead = g_string_new(NULL);

	g_string_append(lead, r->final_rcpt[0] != '\0' ? r->final_rcpt : "-");
	g_string_append(lead, ": ");
	g_string_append(
	    lead, L->t[failed ? LT_DSN_BADGE_FAILED : LT_DSN_BADGE_DELAYED]);
	if (x->code[0] != '\0')
		g_string_append_printf(lead, " (%s)", x->code);
	wrap(out, "", lead->str, 2);
	wrap(out, "  ", x->title, 4);
	label(lead, "  ", L->t[LT_EXPLANATION]);
	wrap(out, lead->str, x->explanation, 4);
	label(lead, "  ", L->t[LT_WHO]);
	wrap(out, lead->str, lang_who(L, x->who), 4);
	label(lead, "  ", L->t[LT_FIX]);
	wrap(out, lead->str, x->fix, 4);
	if (x->help[0] != '\0') {
		label(lead, "  ", L->t[LT_HELP]);
		wrap(out, lead->str, x->help, 4);
	}
	if (!failed && r->will_retry_until[0] != '\0') {
		label(lead, "  ", L->t[LT_DSN_RETRY]);
		wrap(out, lead->str, r->will_retry_until, 4);
	}
	if (r->diag[0] != '\0') {
		g_string_assign(lead, L->t[LT_DSN_REPLY]);
		if (r->remote_mta[0] != '\0')
			g_string_append_printf(lead, " (%s)", r->remote_mta);
		g_string_append_c(lead, ':');
		wrap(out, "  ", lead->str, 4);
		wrap(out, "    ", r->diag, 4);
	}
	g_string_append_c(out, '\n');
	g_string_free(lead, TRUE);
}

GString *
dsn_render_text(const struct dsn *d, const struct dsn_expl *x,
                const struct lang *L)
{
	GString *out = g_string_new(NULL);
	size_t i, more = d->nfailed + d->ndelayed - d->nrcpt;

	if (d->nfailed > 0)
		counted(
		    out,
		    L->t[d->nfailed == 1 ? LT_DSN_FAILED_ONE : LT_DSN_FAILED],
		    d->nfailed);
	if (d->ndelayed > 0)
		counted(out,
		        L->t[d->ndelayed == 1 ? LT_DSN_DELAYED_ONE
		                              : LT_DSN_DELAYED],
		        d->ndelayed);
	g_string_append_c(out, '\n');
	for (i = 0; i < d->nrcpt; i++)
		recipient(out, &d->rcpt[i], &x[i], L);
	if (more > 0) {
		counted(out, L->t[LT_DSN_MORE], more);
		g_string_append_c(out, '\n');
	}
	if (d->notification != NULL) {
		/* "-- " would make readers hide the rest as a signature. */
		g_string_append(out, "----------\n");
		wrap(out, "", L->t[LT_DSN_ORIGINAL], 0);
		g_string_append_c(out, '\n');
		g_string_append(out, d->notification);
		g_string_append_c(out, '\n');
	}
	return out;
}
