/*
 * dsnexplain - a recipient's Diagnostic-Code and Status, read as the
 * reply they quote, explained as the milter explains a reply.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/dsnexplain.h"
#include "core/helppath.h"
#include "core/sbuf.h"
#include "core/template.h"

/* Whether s is an enhanced code "D.S.D" of class 2, 4 or 5. */
static bool
is_status(const char *s)
{
	struct code_ref ref;

	return code_parse(s, &ref) == 0 && ref.kind == CODE_ENHANCED &&
	       ref.cls != 0;
}

/*
 * The reply the recipient's fields describe: the Diagnostic-Code's own
 * when it is an SMTP reply, else one made of the Status's class and the
 * diagnostic text ("550 5.1.1 text"); the Status, when valid, is its
 * enhanced code either way. Returns 0, 1 when the basic code was made up
 * here (it says nothing then), -1 when no reply can be made.
 */
static int
reply_of(const struct dsn_rcpt *rc, struct reply *r)
{
	char buf[DSN_DIAG_MAX + 64];
	const char *st = rc->status;
	struct sbuf sb;
	bool smtp = strcasecmp(rc->diag_type, "smtp") == 0;
	int cls = is_status(st) ? st[0] - '0' : 5, made = 0;

	if (smtp && reply_parse(r, rc->diag, strlen(rc->diag)) == 0 &&
	    r->code >= 400) {
		/* The reply's class is the report's if they disagree. */
		if (!is_status(st))
			return 0;
	} else {
		sbuf_init(&sb, buf, sizeof(buf));
		sbuf_dec(&sb, cls == 4 ? 450 : 550);
		sbuf_putc(&sb, ' ');
		sbuf_put(&sb, rc->diag);
		if (reply_parse(r, buf, sbuf_len(&sb)) != 0)
			return -1;
		made = 1;
	}
	if (is_status(st)) {
		struct code_ref ref;

		code_parse(st, &ref);
		sbuf_init(&sb, r->ecode, sizeof(r->ecode));
		/* Keep the basic code's class, as reply_parse does. */
		sbuf_dec(&sb, r->code / 100);
		sbuf_putc(&sb, '.');
		sbuf_dec(&sb, ref.subject);
		sbuf_putc(&sb, '.');
		sbuf_dec(&sb, ref.detail);
		r->subject = ref.subject;
		r->detail = ref.detail;
	}
	return made;
}

/*
 * The entry that explains r: as for any reply (reply_pick), except that
 * a basic code made up here is no evidence: the Status's entry, its
 * subject's, then X.0.0.
 */
static const struct code_entry *
entry_of(const struct codetable *t, const struct reply *r, int made)
{
	const struct code_entry *e;

	if (!made || r->ecode[0] == '\0')
		return reply_pick(t, r);
	if ((e = codetable_enhanced(t, r->subject, r->detail)) != NULL ||
	    (e = codetable_enhanced(t, r->subject, 0)) != NULL)
		return e;
	return codetable_enhanced(t, 0, 0);
}

/* The help link for what explained the recipient. */
static void
help_link(const struct dsn_explain_env *env, const struct dsn_expl *x,
          const struct reply *r, char *dst, size_t cap)
{
	const char *vals[TV_COUNT] = {0};
	char page[128], code[4];
	struct sbuf sb;

	dst[0] = '\0';
	if (env->help_url == NULL)
		return;
	sbuf_init(&sb, code, sizeof(code));
	sbuf_dec(&sb, r->code);
	if ((x->cause != NULL
	         ? helppath_cause(x->cause->name, page, sizeof(page))
	         : helppath_code(x->entry, page, sizeof(page))) > 0)
		vals[TV_PAGE] = page;
	vals[TV_CODE] = code;
	vals[TV_ECODE] = r->ecode;
	vals[TV_QUEUE_ID] = env->queue_id;
	vals[TV_HELP_BASE_URL] = env->site->help_base_url;
	tmpl_expand(env->help_url, vals, dst, cap);
}

int
dsn_explain(const struct dsn_rcpt *rc, const struct dsn_explain_env *env,
            struct dsn_expl *x)
{
	struct reply *r = malloc(sizeof(*r));
	struct cause_hit hit;
	struct sbuf sb;
	int made;

	memset(x, 0, sizeof(*x));
	if (r == NULL)
		return -1;
	if ((made = reply_of(rc, r)) < 0 ||
	    (x->entry = entry_of(env->table, r, made)) == NULL) {
		free(r);
		return -1;
	}
	cause_classify(codetable_causeset(env->table), r, &hit);
	x->cause = hit.cause;
	sbuf_init(&sb, x->code, sizeof(x->code));
	sbuf_put(&sb, r->ecode[0] != '\0' ? r->ecode : "");
	if (x->cause != NULL) {
		x->title = x->cause->title;
		x->who = x->cause->who;
		cause_expand(x->cause->explanation, &hit, x->explanation,
		             sizeof(x->explanation));
		cause_expand(x->cause->fix, &hit, x->fix, sizeof(x->fix));
	} else {
		x->title = x->entry->name;
		x->who = x->entry->who;
		sbuf_init(&sb, x->explanation, sizeof(x->explanation));
		sbuf_put(&sb, x->entry->description);
		sbuf_init(&sb, x->fix, sizeof(x->fix));
		sbuf_put(&sb, x->entry->fix);
	}
	/*
	 * A transient trouble the sending server gave up on: nothing will
	 * retry it now, so "nobody" would mislead; the sender resends or
	 * reaches the recipient another way.
	 */
	if (x->who == WHO_NOBODY && strcmp(rc->action, "failed") == 0)
		x->who = WHO_SENDER;
	help_link(env, x, r, x->help, sizeof(x->help));
	free(r);
	return 0;
}
