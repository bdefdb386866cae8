/*
 * dsnhtml - the annotated DSN as one self-contained HTML page.
 *
 * Webmail keeps inline styles and often drops <style>, so the light
 * layout is inline and the <style> element only adds what inline styles
 * cannot say: dark mode and narrow screens. No script, no image, no link
 * to anything but the help pages.
 */
#include <string.h>

#include "bounce/dsnrender.h"

/* Text with & < > " ' escaped. */
static void
esc(GString *out, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			g_string_append(out, "&amp;");
			break;
		case '<':
			g_string_append(out, "&lt;");
			break;
		case '>':
			g_string_append(out, "&gt;");
			break;
		case '"':
			g_string_append(out, "&quot;");
			break;
		case '\'':
			g_string_append(out, "&#39;");
			break;
		default:
			g_string_append_c(out, *s);
		}
}

/* A translated sentence with %N replaced by n, escaped. */
static void
counted(GString *out, const char *fmt, size_t n)
{
	const char *at = strstr(fmt, "%N");
	char num[24];

	if (at == NULL) {
		esc(out, fmt);
		return;
	}
	g_snprintf(num, sizeof(num), "%zu", n);
	{
		GString *s = g_string_new_len(fmt, (gssize)(at - fmt));

		g_string_append(s, num);
		g_string_append(s, at + 2);
		esc(out, s->str);
		g_string_free(s, TRUE);
	}
}

/*
 * The "who should act" box, coloured by side: amber for the sender's,
 * blue for the recipient's, green for nobody. The bar's colour goes in
 * its shorthand: a border shorthand after border-color resets it.
 */
struct who_look {
	const char *side; /* class suffix, for the dark-mode colours */
	const char *bg, *bar, *fg;
};

static struct who_look
who_look(enum who w)
{
	switch (w) {
	case WHO_SENDER:
	case WHO_SENDER_ADMIN:
		return (struct who_look){"sender", "#fffaeb", "#dc6803",
		                         "#7a2e0e"};
	case WHO_RECIPIENT:
	case WHO_RECIPIENT_ADMIN:
		return (struct who_look){"recipient", "#eff8ff", "#1570ef",
		                         "#194185"};
	default:
		return (struct who_look){"nobody", "#ecfdf3", "#12b76a",
		                         "#054f31"};
	}
}

static const char *const STYLE =
    "<style>\n"
    "@media (prefers-color-scheme: dark) {\n"
    " body, .page { background:#101828 !important; color:#e4e7ec "
    "!important; }\n"
    " .panel { background:#1d2939 !important; border-color:#475467 "
    "!important; }\n"
    " .who-sender { background:#4e1d09 !important; color:#fedf89 "
    "!important; border-color:#f79009 !important; }\n"
    " .who-recipient { background:#102a56 !important; color:#b2ddff "
    "!important; border-color:#2e90fa !important; }\n"
    " .who-nobody { background:#053321 !important; color:#a6f4c5 "
    "!important; border-color:#32d583 !important; }\n"
    " pre { background:#0c111d !important; color:#e4e7ec !important; "
    "border-color:#475467 !important; }\n"
    " a { color:#84caff !important; }\n"
    " .badge-failed { background:#7a271a !important; color:#fecdca "
    "!important; }\n"
    " .badge-delayed { background:#7a2e0e !important; color:#fedf89 "
    "!important; }\n"
    "}\n"
    "@media (max-width: 480px) { .page { padding:8px !important; } "
    ".panel { padding:12px !important; } }\n"
    "</style>\n";

#define FONT                                                                   \
	"font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,"       \
	"sans-serif;"
#define PRE                                                                    \
	"white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere;"    \
	"font-family:Menlo,Consolas,'DejaVu Sans Mono',monospace;font-size:"   \
	"13px;background:#f2f4f7;border:1px solid #d0d5dd;border-radius:6px;"  \
	"padding:8px 10px;margin:4px 0 0 0;"

/* <p><strong>Label:</strong> text</p>, the text English (the table's). */
static void
field(GString *out, const char *lbl, const char *text, bool table_text)
{
	g_string_append(out, "<p style=\"margin:8px 0;line-height:1.5\">"
	                     "<strong>");
	esc(out, lbl);
	g_string_append(out, ":</strong> ");
	if (table_text)
		g_string_append(out, "<span lang=\"en\" dir=\"ltr\">");
	esc(out, text);
	if (table_text)
		g_string_append(out, "</span>");
	g_string_append(out, "</p>\n");
}

static void
recipient(GString *out, const struct dsn_rcpt *r, const struct dsn_expl *x,
          const struct lang *L)
{
	bool failed = strcmp(r->action, "failed") == 0;
	struct who_look look = who_look(x->who);

	/* A long address breaks anywhere rather than widen a phone's page. */
	g_string_append(out, "<div class=\"panel\" style=\"background:#ffffff;"
	                     "border:1px solid #d0d5dd;border-radius:8px;"
	                     "padding:16px;margin:16px 0\">\n"
	                     "<p style=\"margin:0 0 4px 0;font-size:15px;"
	                     "overflow-wrap:anywhere;word-break:break-word\">"
	                     "<bdi dir=\"ltr\" style=\"font-weight:600\">");
	esc(out, r->final_rcpt[0] != '\0' ? r->final_rcpt : "-");
	g_string_append_printf(
	    out,
	    "</bdi> <span class=\"badge badge-%s\" style=\"display:inline-"
	    "block;padding:1px 8px;border-radius:10px;font-size:12px;%s\">",
	    failed ? "failed" : "delayed",
	    failed ? "background:#fee4e2;color:#912018"
	           : "background:#fef0c7;color:#93370d");
	esc(out, L->t[failed ? LT_DSN_BADGE_FAILED : LT_DSN_BADGE_DELAYED]);
	g_string_append(out, "</span>");
	if (x->code[0] != '\0') {
		g_string_append(out, " <code dir=\"ltr\">");
		esc(out, x->code);
		g_string_append(out, "</code>");
	}
	/* The heading on the page's side, its English running ltr. */
	g_string_append(out, "</p>\n<h2 style=\"font-size:20px;margin:4px 0 "
	                     "12px 0\"><bdi lang=\"en\" dir=\"ltr\">");
	esc(out, x->title);
	/* The bar on the side the line starts from. */
	g_string_append_printf(
	    out,
	    "</bdi></h2>\n<p class=\"who who-%s\" style=\""
	    "background:%s;color:%s;%s:6px solid %s;"
	    "padding:8px 12px;border-radius:4px;margin:8px 0;"
	    "font-size:15px\"><strong>",
	    look.side, look.bg, look.fg,
	    L->rtl ? "border-right" : "border-left", look.bar);
	esc(out, L->t[LT_WHO]);
	g_string_append(out, ":</strong> ");
	esc(out, lang_who(L, x->who));
	g_string_append(out, "</p>\n");
	field(out, L->t[LT_EXPLANATION], x->explanation, true);
	field(out, L->t[LT_FIX], x->fix, true);
	if (x->help[0] != '\0') {
		g_string_append(out, "<p style=\"margin:8px 0\"><a href=\"");
		esc(out, x->help);
		g_string_append(out, "\">");
		esc(out, L->t[LT_HELP]);
		g_string_append(out, "</a></p>\n");
	}
	if (!failed && r->will_retry_until[0] != '\0')
		field(out, L->t[LT_DSN_RETRY], r->will_retry_until, true);
	if (r->diag[0] != '\0') {
		g_string_append(out, "<p style=\"margin:12px 0 0 0\">");
		esc(out, L->t[LT_DSN_REPLY]);
		if (r->remote_mta[0] != '\0') {
			g_string_append(out, " (<bdi dir=\"ltr\">");
			esc(out, r->remote_mta);
			g_string_append(out, "</bdi>)");
		}
		g_string_append(out, ":</p>\n<pre lang=\"en\" dir=\"ltr\" "
		                     "style=\"" PRE "\">");
		esc(out, r->diag);
		g_string_append(out, "</pre>\n");
	}
	g_string_append(out, "</div>\n");
}

GString *
dsn_render_html(const struct dsn *d, const struct dsn_expl *x,
                const struct lang *L)
{
	GString *out = g_string_new(NULL);
	size_t i, more = d->nfailed + d->ndelayed - d->nrcpt;

	g_string_append_printf(
	    out,
	    "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-"
	    "width, initial-scale=1\">\n"
	    "<meta name=\"color-scheme\" content=\"light "
	    "dark\">\n<title>",
	    L->code, L->rtl ? "rtl" : "ltr");
	esc(out, L->t[LT_DSN_TITLE]);
	g_string_append(out, "</title>\n");
	g_string_append(out, STYLE);
	g_string_append(out, "</head>\n<body style=\"margin:0;padding:0;"
	                     "background:#f2f4f7;color:#101828\">\n"
	                     "<div class=\"page\" style=\"max-width:680px;"
	                     "margin:0 auto;padding:16px;" FONT
	                     "font-size:15px\">\n<h1 style=\"font-size:22px;"
	                     "line-height:1.3;margin:8px 0 16px 0\">");
	if (d->nfailed > 0)
		counted(
		    out,
		    L->t[d->nfailed == 1 ? LT_DSN_FAILED_ONE : LT_DSN_FAILED],
		    d->nfailed);
	if (d->nfailed > 0 && d->ndelayed > 0)
		g_string_append(out, "<br>\n");
	if (d->ndelayed > 0)
		counted(out,
		        L->t[d->ndelayed == 1 ? LT_DSN_DELAYED_ONE
		                              : LT_DSN_DELAYED],
		        d->ndelayed);
	g_string_append(out, "</h1>\n");
	for (i = 0; i < d->nrcpt; i++)
		recipient(out, &d->rcpt[i], &x[i], L);
	if (more > 0) {
		g_string_append(out, "<p>");
		counted(out, L->t[LT_DSN_MORE], more);
		g_string_append(out, "</p>\n");
	}
	if (d->notification != NULL) {
		g_string_append(out, "<h2 style=\"font-size:17px;margin:24px 0 "
		                     "4px 0\">");
		esc(out, L->t[LT_DSN_ORIGINAL]);
		g_string_append(out,
		                "</h2>\n<pre dir=\"auto\" style=\"" PRE "\">");
		esc(out, d->notification);
		g_string_append(out, "</pre>\n");
	}
	g_string_append(out, "</div>\n</body>\n</html>\n");
	return out;
}
