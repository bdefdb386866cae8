/*
 * session - what the milter decides at each stage of one SMTP session.
 *
 * The logic lives here, apart from libmilter: the two libmilter calls it
 * needs (read a macro, set the reply) go through struct milter_io, so unit
 * tests drive every decision without an MTA.
 */
#ifndef SESSION_H
#define SESSION_H

#include <stdbool.h>
#include <sys/socket.h>

#include "engine/config.h"
#include "engine/log.h"
#include "engine/rules.h"
#include "engine/stats.h"

enum action { ACT_CONTINUE, ACT_REJECT, ACT_TEMPFAIL };

struct milter_io {
	/* A macro's value, or NULL. */
	const char *(*macro)(void *ctx, const char *name);
	/* Lines are ready for libmilter ('%' doubled); 0 on success. */
	int (*set_reply)(void *ctx, const char *code, const char *ecode,
	                 const char *const *lines, size_t n);
};

/* What every session shares: set once at start-up. */
struct session_env {
	const struct milter_io *io;
	struct stats *stats;
	bool force_stderr; /* -f */
};

struct session {
	struct config *cfg; /* held from connect to close */
	const struct session_env *env;
	void *ctx;
	struct sockaddr_storage addr;
	bool have_addr;
	bool auth;
	/* Postfix closes on a multi-line 421; Sendmail only on "421 ". */
	bool multiline_421;
	/* Postfix's non-SMTP path: its made-up connect (127.0.0.1 port 0). */
	bool mta_made;
	/* This message is the MTA's own notification: no rule refuses it. */
	bool spared;
	char client_addr[64];
	char client_name[256];
	char helo[256];
	char from[512];
	char rcpt[512];
	char queue_id[64];
	/* A connect or HELO decision, answered at the next MAIL or RCPT. */
	const struct rule *pending;
	enum stage pending_stage;
	unsigned char rcpt_hits[RULES_BITMAP_SIZE];
	unsigned char header_hits[RULES_BITMAP_SIZE];
};

/*
 * The milter stages macros are asked for at, in the order of libmilter's
 * SMFIM_* indexes (and of the milter protocol's negotiation).
 */
enum {
	SESSION_MACRO_CONNECT,
	SESSION_MACRO_HELO,
	SESSION_MACRO_ENVFROM,
	SESSION_MACRO_ENVRCPT,
	SESSION_MACRO_DATA,
	SESSION_MACRO_EOM,
	SESSION_MACRO_EOH,
	SESSION_MACRO_STAGES
};

/*
 * The macro names the session reads at a stage, space-separated ("i
 * {auth_authen}"), or NULL for none or a stage out of range.
 */
const char *session_macros(int stage);

/* A new session under cfg (held by the caller until it closes). */
void session_init(struct session *, struct config *, const struct session_env *,
                  void *ctx);
/*
 * One stage each: note what the stage tells, ask the rules, and when one
 * refuses set its annotated reply through io->set_reply. Each returns the
 * action for the MTA: ACT_CONTINUE, or ACT_REJECT / ACT_TEMPFAIL with the
 * reply set (or, when no reply could be set at all, on_error's action).
 * A connect or HELO refusal other than 421 is kept and answered at the
 * next MAIL or RCPT (MTAs do not show a milter's text before). Recipients
 * the MTA rejected itself (SMFIP_RCPT_REJ) are logged and continue.
 */
enum action session_connect(struct session *, const char *hostname,
                            const struct sockaddr *);
enum action session_helo(struct session *, const char *helo);
enum action session_mail(struct session *, const char *from);
enum action session_rcpt(struct session *, const char *rcpt);
enum action session_header(struct session *, const char *name,
                           const char *value);
/* The message's end; the caller ends the message after its answer. */
enum action session_eom(struct session *);
/*
 * Answer with a reply from elsewhere (an upstream milter), annotated and
 * logged with source; ACT_CONTINUE if text is not a 4xx/5xx reply.
 */
enum action session_reply(struct session *, const char *stage, const char *text,
                          const char *source);
/* End of a message (accepted, rejected or aborted): forget its state. */
void session_end_message(struct session *);
/*
 * Whether this may be a notification the MTA makes itself, which nothing
 * may hold back: Postfix's non-SMTP path before its sender is known, or
 * with a null sender.
 */
bool session_mta_notice(const struct session *);

#endif
