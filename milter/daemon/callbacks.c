/*
 * callbacks - libmilter's entry points, kept thin: each one finds its
 * session and hands the stage to session.c, then maps the decision to a
 * libmilter status.
 */
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "daemon/callbacks.h"
#include "engine/confstore.h"
#include "engine/session.h"

static struct session_env env;

static const char *
io_macro(void *ctx, const char *name)
{
	return smfi_getsymval((SMFICTX *)ctx, (char *)name);
}

/*
 * smfi_setmlreply takes its lines as variadic arguments ended by NULL:
 * passing all REPLY_MAX_LINES slots, NULL from line n on, gives it n.
 */
static int
io_set_reply(void *ctx, const char *code, const char *ecode,
             const char *const *lines, size_t n)
{
	char *l[REPLY_MAX_LINES + 1] = {0};
	size_t i;

	if (n > REPLY_MAX_LINES)
		return -1;
	if (n <= 1)
		return smfi_setreply(
		           (SMFICTX *)ctx, (char *)code, (char *)ecode,
		           n == 1 ? (char *)lines[0] : NULL) == MI_SUCCESS
		           ? 0
		           : -1;
	for (i = 0; i < n; i++)
		l[i] = (char *)lines[i];
	return smfi_setmlreply((SMFICTX *)ctx, code, ecode, l[0], l[1], l[2],
	                       l[3], l[4], l[5], l[6], l[7], l[8], l[9], l[10],
	                       l[11], l[12], l[13], l[14], l[15], l[16], l[17],
	                       l[18], l[19], l[20], l[21], l[22], l[23], l[24],
	                       l[25], l[26], l[27], l[28], l[29], l[30], l[31],
	                       (char *)NULL) == MI_SUCCESS
	           ? 0
	           : -1;
}

static const struct milter_io io = {io_macro, io_set_reply};

static sfsistat
status_of(enum action a)
{
	switch (a) {
	case ACT_REJECT:
		return SMFIS_REJECT;
	case ACT_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	default:
		return SMFIS_CONTINUE;
	}
}

static struct session *
session_of(SMFICTX *ctx)
{
	return (struct session *)smfi_getpriv(ctx);
}

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
             unsigned long *pf2, unsigned long *pf3)
{
	const char *list;
	int i;

	(void)f2;
	(void)f3;
	/* No changes to messages: milter-annotate only answers. */
	*pf0 = f0 & SMFIF_SETSYMLIST;
	/* Be told of the recipients the MTA rejects itself, to log them. */
	*pf1 = f1 & (SMFIP_RCPT_REJ | SMFIP_NOBODY | SMFIP_NOEOH |
	             SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = *pf3 = 0;
	/* SESSION_MACRO_* follow SMFIM_*, from SMFIM_CONNECT (0). */
	for (i = 0; (f0 & SMFIF_SETSYMLIST) && i < SESSION_MACRO_STAGES; i++)
		if ((list = session_macros(i)) != NULL)
			smfi_setsymlist(ctx, i, (char *)list);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct config *c = confstore_hold();
	struct session *s;

	if (c == NULL || (s = malloc(sizeof(*s))) == NULL) {
		if (c != NULL) {
			log_msg(config_log_dest(c, env.force_stderr), LOG_ERR,
			        "error=out-of-memory stage=connect");
			atomic_fetch_add(&env.stats->errors, 1);
			if (c->on_error == ON_ERROR_TEMPFAIL) {
				confstore_drop(c);
				return SMFIS_TEMPFAIL;
			}
			confstore_drop(c);
		}
		return SMFIS_ACCEPT;
	}
	session_init(s, c, &env, ctx);
	if (smfi_setpriv(ctx, s) != MI_SUCCESS) {
		confstore_drop(c);
		free(s);
		return SMFIS_ACCEPT;
	}
	return status_of(session_connect(s, host, sa));
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct session *s = session_of(ctx);

	return s ? status_of(session_helo(s, helo)) : SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);

	return s ? status_of(session_mail(s, argv[0])) : SMFIS_CONTINUE;
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct session *s = session_of(ctx);

	return s ? status_of(session_rcpt(s, argv[0])) : SMFIS_CONTINUE;
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct session *s = session_of(ctx);

	return s ? status_of(session_header(s, name, value)) : SMFIS_CONTINUE;
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	sfsistat st;

	if (s == NULL)
		return SMFIS_CONTINUE;
	st = status_of(session_eom(s));
	session_end_message(s);
	return st;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s != NULL)
		session_end_message(s);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct session *s = session_of(ctx);

	if (s != NULL) {
		smfi_setpriv(ctx, NULL);
		confstore_drop(s->cfg);
		free(s);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "milter-annotate",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_SETSYMLIST,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_negotiate = cb_negotiate,
};

struct smfiDesc *
callbacks_init(struct stats *stats, bool force_stderr)
{
	env.io = &io;
	env.stats = stats;
	env.force_stderr = force_stderr;
	return &desc;
}
