/*
 * dsnrender - the human-readable parts of an annotated DSN: text and HTML.
 *
 * Both say the same, in the language of dsn_language: an opening (how
 * many recipients failed or are delayed), then per recipient its address,
 * the cause as a heading, "Explanation:", "Who should act:", "How to
 * fix:", the help link, and the server's reply as it came; then the mail
 * system's original notification. The table's texts stay English (they
 * are marked so in HTML). Documents grow in GLib strings: the report
 * brings GLib along with GMime, and its size is bounded by dsn_max_size.
 */
#ifndef DSNRENDER_H
#define DSNRENDER_H

#include <glib.h>

#include "bounce/dsnexplain.h"
#include "bounce/dsnparse.h"
#include "core/lang.h"

#define DSN_TEXT_WIDTH 78 /* characters a line of ours, at most */

/*
 * The text/plain part's content (UTF-8, lines ended by "\n", our lines at
 * most DSN_TEXT_WIDTH characters; the original notification as it came).
 * x[i] explains d->rcpt[i]. Never fails (GLib aborts when out of memory).
 */
GString *dsn_render_text(const struct dsn *d, const struct dsn_expl *x,
                         const struct lang *L);

/*
 * The text/html part's content: a self-contained page (no remote
 * resources, no script) that reads in webmail, on a phone and in dark
 * mode; right to left for Arabic.
 */
GString *dsn_render_html(const struct dsn *d, const struct dsn_expl *x,
                         const struct lang *L);

#endif
