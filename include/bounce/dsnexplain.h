/*
 * dsnexplain - the explanation of one failed or delayed recipient of a
 * delivery status notification, from the reply engine and the table.
 *
 * The cause is looked for in the Diagnostic-Code's text, read as the
 * reply it quotes (with the Status as its enhanced code); failing that,
 * the entry of the Status code explains it, then its subject's, then the
 * reply's basic code, as for any reply (reply_pick).
 */
#ifndef DSNEXPLAIN_H
#define DSNEXPLAIN_H

#include "bounce/dsnparse.h"
#include "core/cause.h"
#include "core/codetable.h"
#include "core/replyfmt.h"

struct dsn_expl {
	const struct code_entry *entry;  /* the entry used; never NULL */
	const struct cause_entry *cause; /* the cause recognised, or NULL */
	const char *title;               /* the cause's title or entry's name */
	enum who who;
	char code[REPLY_ECODE_MAX]; /* the status as used: "5.1.1" */
	char explanation[CAUSE_TEXT_MAX];
	char fix[CAUSE_TEXT_MAX];
	char help[REPLY_WIRE_MAX]; /* the help link; "" without help_url */
};

/* What explain needs of the configuration. */
struct dsn_explain_env {
	const struct codetable *table;
	const struct reply_site *site; /* help_base_url */
	const char *help_url;          /* the link's template, or NULL */
	const char *queue_id;          /* for ${queue_id} */
};

/*
 * Explain recipient r. Fills x; returns 0, or -1 when the table has no
 * entry to explain it with (no X.0.0: a table the loader refuses).
 */
int dsn_explain(const struct dsn_rcpt *r, const struct dsn_explain_env *,
                struct dsn_expl *x);

#endif
