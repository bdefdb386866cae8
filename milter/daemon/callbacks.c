/*
 * callbacks - libmilter's entry points, kept thin: each one finds its
 * session and hands the stage to session.c, then maps the decision to a
 * libmilter status. A message from the null sender that says it is a
 * delivery status notification is also gathered (bounce/dsncollect.h)
 * and, at its end, replaced by its annotated form; nothing on that path
 * refuses it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "bounce/dsncollect.h"
#include "daemon/callbacks.h"
#include "engine/confstore.h"
#include "engine/session.h"

static struct session_env env;

/* What libmilter keeps for a connection. */
struct conn {
	struct session s;
	struct dsn_collect dsn;
	bool skip_ok; /* the MTA takes SMFIS_SKIP for the body */
	/* Bounces are read: dsn on at negotiation and at connect, and the
	 * MTA lets us replace the body and add the mark. */
	bool dsn_ok;
	bool ready; /* connect set up s and dsn */
};

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

/* What libmilter keeps for ctx: made at negotiation or at connect. */
static struct conn *
conn_raw(SMFICTX *ctx)
{
	return (struct conn *)smfi_getpriv(ctx);
}

/*
 * The connection once connect has set up its session, else NULL: an MTA
 * that sends a step before CONNECT (or a broken one) gets no decision
 * rather than a session that was never set up.
 */
static struct conn *
conn_of(SMFICTX *ctx)
{
	struct conn *c = conn_raw(ctx);

	return c != NULL && c->ready ? c : NULL;
}

/* Let go of what connect set up (the session's configuration, buffers). */
static void
conn_unset(struct conn *c)
{
	if (!c->ready)
		return;
	dsn_collect_reset(&c->dsn);
	confstore_drop(c->s.cfg);
	c->ready = false;
}

static struct session *
session_of(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	return c != NULL ? &c->s : NULL;
}

/* Whether the configuration in force explains bounces. */
static bool
dsn_on(void)
{
	struct config *c = confstore_hold();
	bool on = c != NULL && c->dsn;

	confstore_drop(c);
	return on;
}

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
             unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c;
	const char *list;
	int i;

	(void)f2;
	(void)f3;
	/* Be told of the recipients the MTA rejects itself, to log them. */
	*pf1 = f1 & (SMFIP_RCPT_REJ | SMFIP_NOUNKNOWN | SMFIP_NODATA);
	if (dsn_on()) {
		/* A bounce's body is replaced and marked: ask for that, and
		 * to skip the body of everything else (noted for the body
		 * callback: a connection's state starts here). */
		*pf0 = f0 & (SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGBODY);
		*pf1 |= f1 & SMFIP_SKIP;
		if ((c = conn_raw(ctx)) == NULL &&
		    (c = calloc(1, sizeof(*c))) != NULL &&
		    smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			c = NULL;
		}
		if (c != NULL) {
			c->skip_ok = (f1 & SMFIP_SKIP) != 0;
			c->dsn_ok = (*pf0 & (SMFIF_ADDHDRS | SMFIF_CHGBODY)) ==
			            (SMFIF_ADDHDRS | SMFIF_CHGBODY);
		}
	} else {
		/* Only answers: no body, no change to messages. */
		*pf0 = f0 & SMFIF_SETSYMLIST;
		*pf1 |= f1 & (SMFIP_NOBODY | SMFIP_NOEOH);
	}
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
	struct conn *s = conn_raw(ctx);
	bool skip_ok = s != NULL && s->skip_ok, dsn_ok = s != NULL && s->dsn_ok;

	/* Made at negotiation (SMFIP_SKIP noted), or now. A second CONNECT
	 * starts the session over. */
	if (s == NULL)
		s = calloc(1, sizeof(*s));
	else
		conn_unset(s);
	if (c == NULL || s == NULL) {
		smfi_setpriv(ctx, NULL);
		free(s);
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
	session_init(&s->s, c, &env, ctx);
	dsn_collect_init(&s->dsn, c->dsn_max_size);
	s->skip_ok = skip_ok;
	s->dsn_ok = dsn_ok && c->dsn;
	s->ready = true;
	if (smfi_setpriv(ctx, s) != MI_SUCCESS) {
		conn_unset(s);
		free(s);
		return SMFIS_ACCEPT;
	}
	return status_of(session_connect(&s->s, host, sa));
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
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->dsn_ok)
		dsn_collect_sender(&c->dsn, argv[0]);
	return status_of(session_mail(&c->s, argv[0]));
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
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->dsn_ok)
		dsn_collect_header(&c->dsn, name, value);
	return status_of(session_header(&c->s, name, value));
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL && c->dsn_ok)
		dsn_collect_eoh(&c->dsn);
	return SMFIS_CONTINUE;
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *p, size_t n)
{
	struct conn *c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (!c->dsn_ok || !dsn_collect_wants_body(&c->dsn))
		return c->skip_ok ? SMFIS_SKIP : SMFIS_CONTINUE;
	dsn_collect_body(&c->dsn, (const char *)p, n);
	return SMFIS_CONTINUE;
}

/*
 * The message was not refused: a bounce is annotated now. A body set in
 * part would leave half a report, so the body goes first, whole, and the
 * mark after it; any failure leaves the bounce as it came, logged.
 */
static void
annotate_dsn(SMFICTX *ctx, struct conn *c)
{
	struct log_dest d = config_log_dest(c->s.cfg, env.force_stderr);
	struct dsn_result res;

	if (dsn_collect_finish(&c->dsn, c->s.cfg, c->s.queue_id, &res) ==
	    DSN_ANNOTATED) {
		if (res.len > INT_MAX ||
		    smfi_replacebody(ctx, (unsigned char *)res.body,
		                     (int)res.len) != MI_SUCCESS) {
			res.outcome = DSN_UNCHANGED;
			snprintf(res.why, sizeof(res.why), "%s",
			         "the MTA did not take the new body");
		} else if (smfi_addheader(ctx, DSN_HEADER, DSN_MARK) !=
		           MI_SUCCESS)
			log_msg(d, LOG_WARNING,
			        "dsn-unmarked queue_id=%s reason=\"the MTA did "
			        "not take the X-Annotated-By header\"",
			        c->s.queue_id[0] ? c->s.queue_id : "-");
	}
	dsn_log(d, &res, c->s.queue_id[0] ? c->s.queue_id : NULL);
	dsn_result_free(&res);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);
	sfsistat st;

	if (c == NULL)
		return SMFIS_CONTINUE;
	st = status_of(session_eom(&c->s));
	if (st == SMFIS_CONTINUE && c->dsn_ok)
		annotate_dsn(ctx, c);
	dsn_collect_reset(&c->dsn);
	session_end_message(&c->s);
	return st;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct conn *c = conn_of(ctx);

	if (c != NULL) {
		dsn_collect_reset(&c->dsn);
		session_end_message(&c->s);
	}
	return SMFIS_CONTINUE;
}

static sfsistat
cb_close(SMFICTX *ctx)
{
	struct conn *c = conn_raw(ctx);

	if (c != NULL) {
		smfi_setpriv(ctx, NULL);
		conn_unset(c);
		free(c);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "milter-annotate",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGBODY,
    .xxfi_connect = cb_connect,
    .xxfi_helo = cb_helo,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
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
