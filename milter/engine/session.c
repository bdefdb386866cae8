/*
 * session - decide with the rules, emit with the reply engine, log.
 *
 * Mail must never depend on the annotator: if the annotated reply cannot
 * be set, the original reply (sanitized) is set instead, and if even that
 * fails the configured on_error applies. Every path is logged.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sbuf.h"
#include "engine/session.h"

/* Lines holding '%', doubled as libmilter takes them (its format rule). */
#define LINE_COPY_MAX (2 * REPLY_WIDTH_MAX + 1)

struct milter_lines {
	char buf[REPLY_MAX_LINES][LINE_COPY_MAX];
};

/* src (NULL: "") into dst, cut to fit. */
static void
session_copy_str(char *dst, size_t cap, const char *src)
{
	struct sbuf sb;

	sbuf_init(&sb, dst, cap);
	sbuf_put(&sb, src);
}

/*
 * The macros read below, per stage. Asked for from the MTA by the
 * libmilter front end and added to an upstream's lists by the proxy, so
 * both modes see the same ones.
 */
static const char *const session_stage_macros[SESSION_MACRO_STAGES] = {
    [SESSION_MACRO_CONNECT] = "v",
    [SESSION_MACRO_ENVFROM] = "i {auth_authen}",
    [SESSION_MACRO_ENVRCPT] = "i {rcpt_mailer} {rcpt_host} {rcpt_addr}",
    [SESSION_MACRO_EOM] = "i",
    [SESSION_MACRO_EOH] = "i",
};

const char *
session_macros(int stage)
{
	return stage >= 0 && stage < SESSION_MACRO_STAGES
	           ? session_stage_macros[stage]
	           : NULL;
}

static const char *
session_macro(struct session *s, const char *name)
{
	const char *v = s->env->io->macro(s->ctx, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
session_refresh_queue_id(struct session *s)
{
	const char *id = session_macro(s, "i");

	if (id != NULL)
		session_copy_str(s->queue_id, sizeof(s->queue_id), id);
}

static struct log_dest
session_dest(const struct session *s)
{
	return config_log_dest(s->cfg, s->env->force_stderr);
}

void
session_init(struct session *s, struct config *cfg,
             const struct session_env *env, void *ctx)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->env = env;
	s->ctx = ctx;
}

/*
 * Lines without '%' go to libmilter as they are; only a reply with '%'
 * pays for copies (on the heap: libmilter's threads may have small
 * stacks). A line too long for its copy fails, with or without '%'.
 */
static int
session_set_reply(struct session *s, const struct reply_out *o)
{
	const char *line[REPLY_MAX_LINES];
	struct milter_lines *ml = NULL;
	size_t i, k;
	int rc = -1;

	if (o->nlines > REPLY_MAX_LINES)
		return -1;
	for (i = 0; i < o->nlines; i++) {
		k = strcspn(o->line[i], "%");
		if (o->line[i][k] == '\0' && k < LINE_COPY_MAX) {
			line[i] = o->line[i];
			continue;
		}
		if (ml == NULL && (ml = malloc(sizeof(*ml))) == NULL)
			return -1;
		if (reply_escape_percent(o->line[i], ml->buf[i],
		                         sizeof(ml->buf[i])) != 0)
			goto out;
		line[i] = ml->buf[i];
	}
	rc = s->env->io->set_reply(
	    s->ctx, o->code, o->ecode[0] ? o->ecode : NULL, line, o->nlines);
out:
	free(ml);
	return rc;
}

static enum action
session_action_of(int code)
{
	return code / 100 == 5 ? ACT_REJECT : ACT_TEMPFAIL;
}

/* Not even the reply as it came could be set: on_error decides. */
static enum action
session_reply_not_set(struct session *s, const char *source)
{
	enum action act =
	    s->cfg->on_error == ON_ERROR_TEMPFAIL ? ACT_TEMPFAIL : ACT_CONTINUE;

	atomic_fetch_add(&s->env->stats->errors, 1);
	log_msg(session_dest(s), LOG_ERR,
	        "error=reply-not-set source=%s action=%s", source,
	        act == ACT_CONTINUE ? "continue" : "tempfail");
	return act;
}

/* The reply as it came, on one line for the log: "550 5.7.1 text". */
static void
session_format_original(const struct reply *rep, char *dst, size_t cap)
{
	struct sbuf sb;
	char *nl;

	sbuf_init(&sb, dst, cap);
	sbuf_dec(&sb, rep->code);
	if (rep->ecode[0] != '\0') {
		sbuf_putc(&sb, ' ');
		sbuf_put(&sb, rep->ecode);
	}
	sbuf_putc(&sb, ' ');
	sbuf_put(&sb, rep->text);
	for (nl = dst; (nl = strchr(nl, '\n')) != NULL;)
		*nl = ' ';
}

/*
 * The reply to send: fixed (a rule's, annotated at load) when given, else
 * rep annotated into *o (allocated here). Returns it, or NULL when no
 * memory was left (*res stays REPLY_FALLBACK).
 */
static const struct reply_out *
session_annotate(struct session *s, const struct reply *rep,
                 const struct reply_out *fixed, struct reply_out **o,
                 enum reply_result *res)
{
	struct reply_vars vars = {s->queue_id, s->client_addr, NULL, NULL,
	                          NULL};
	const struct cause_entry *cause;

	/* A 421 that must go alone (below) is made here. */
	if (fixed != NULL && (rep->code != 421 || s->multiline_421)) {
		*res = REPLY_ANNOTATED;
		return fixed;
	}
	if ((*o = malloc(sizeof(**o))) == NULL)
		return NULL;
	*res = reply_annotate(rep, s->cfg->table, &s->cfg->site, &vars, *o);
	/*
	 * A 421 must close the session: where only a one-line 421 does that
	 * (Sendmail), the reply goes alone, its entry and cause kept for the
	 * log.
	 */
	if (rep->code == 421 && !s->multiline_421) {
		cause = (*o)->cause;
		reply_sanitized(rep, s->cfg->site.width, *o);
		(*o)->nlines = (*o)->nlines > 1 ? 1 : (*o)->nlines;
		(*o)->entry = reply_pick(s->cfg->table, rep);
		(*o)->cause = cause;
	}
	return *o;
}

/*
 * Set *out; when libmilter refuses it (too long, say), the reply as it
 * came, alone, into *o; when that is refused too, on_error decides.
 * Returns the action for the MTA; *out and *res say what was set.
 */
static enum action
session_set_with_fallback(struct session *s, const struct reply *rep,
                          const struct reply_out **out, struct reply_out **o,
                          enum reply_result *res, const char *source)
{
	enum action act = session_action_of(rep->code);

	if (*out != NULL && session_set_reply(s, *out) == 0)
		return act;
	*res = REPLY_FALLBACK;
	if (*o == NULL)
		*o = malloc(sizeof(**o));
	if (*o != NULL) {
		reply_sanitized(rep, s->cfg->site.width, *o);
		*out = *o;
	}
	if (*o == NULL || session_set_reply(s, *o) != 0)
		act = session_reply_not_set(s, source);
	return act;
}

/* One log line for the reply sent (out), and the counters. */
static void
session_log_answer(struct session *s, const char *stage, const char *original,
                   const struct reply_out *out, enum reply_result res,
                   const char *source, enum stats_source src)
{
	struct log_annotation la = {0};
	char cause_expl[CAUSE_TEXT_MAX];
	const struct code_entry *e = out != NULL ? out->entry : NULL;

	if (res == REPLY_FALLBACK)
		atomic_fetch_add(&s->env->stats->errors, 1);
	la.queue_id = s->queue_id;
	la.stage = stage;
	la.client_addr = s->client_addr;
	la.from = s->from;
	la.rcpt = s->rcpt;
	la.original = original;
	la.code = e != NULL ? e->code : NULL;
	la.explanation = e != NULL ? e->description : NULL;
	if (out != NULL && out->cause != NULL && res != REPLY_FALLBACK) {
		la.cause = out->cause->name;
		cause_text_generic(out->cause->explanation, cause_expl,
		                   sizeof(cause_expl));
		la.explanation = cause_expl;
	}
	la.source = source;
	la.fallback = res == REPLY_FALLBACK;
	log_annotation(session_dest(s), &la);
	stats_annotated(s->env->stats, src, res != REPLY_FALLBACK ? e : NULL);
}

/*
 * Answer with a reply, annotated (fixed: annotated already, or NULL):
 * format the original for the log, annotate, set with its fallbacks, log.
 * A failure here never blocks mail by itself.
 */
static enum action
session_answer_reply(struct session *s, const struct reply *rep,
                     const struct reply_out *fixed, const char *source,
                     enum stats_source src, const char *stage)
{
	char original[REPLY_TEXT_MAX + 64];
	enum reply_result res = REPLY_FALLBACK;
	const struct reply_out *out;
	struct reply_out *o = NULL;
	enum action act;

	session_format_original(rep, original, sizeof(original));
	out = session_annotate(s, rep, fixed, &o, &res);
	act = session_set_with_fallback(s, rep, &out, &o, &res, source);
	session_log_answer(s, stage, original, out, res, source, src);
	free(o);
	return act;
}

static enum action
session_answer(struct session *s, const struct rule *r, enum stage st)
{
	char source[128];
	struct sbuf sb;

	sbuf_init(&sb, source, sizeof(source));
	sbuf_put(&sb, "rule=");
	sbuf_put(&sb, rule_name(r));
	return session_answer_reply(s, rule_reply(r), rule_fixed_reply(r),
	                            source, SRC_RULE, stage_name(st));
}

enum action
session_reply(struct session *s, const char *stage, const char *text,
              const char *source)
{
	struct reply *rep = malloc(sizeof(*rep));
	enum action a;
	int cls;

	if (rep == NULL || reply_parse(rep, text, strlen(text)) != 0 ||
	    ((cls = rep->code / 100) != 4 && cls != 5)) {
		free(rep);
		return ACT_CONTINUE;
	}
	a = session_answer_reply(s, rep, NULL, source, SRC_UPSTREAM, stage);
	free(rep);
	return a;
}

static void
session_rule_ctx_of(const struct session *s, struct rule_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = s->have_addr ? (const struct sockaddr *)&s->addr : NULL;
	c->client_name = s->client_name;
	c->helo = s->helo;
	c->from = s->from;
	c->rcpt = s->rcpt;
	c->auth = s->auth;
	c->rcpt_hits = s->rcpt_hits;
	c->header_hits = s->header_hits;
}

/* A rule that matched the MTA's own notification, logged, not applied. */
static void
session_log_spared(struct session *s, const struct rule *r, enum stage st)
{
	atomic_fetch_add(&s->env->stats->spared, 1);
	log_msg(
	    session_dest(s), LOG_INFO,
	    "queue_id=%s stage=%s rule=%s action=none reason=mta-notification",
	    s->queue_id[0] != '\0' ? s->queue_id : "-", stage_name(st),
	    rule_name(r));
}

static enum action
session_decide(struct session *s, enum stage st, struct rule_ctx *c)
{
	const struct rule *r = rules_match(s->cfg->rules, st, c);

	if (r == NULL)
		return ACT_CONTINUE;
	if (s->spared) {
		session_log_spared(s, r, st);
		return ACT_CONTINUE;
	}
	/*
	 * MTAs do not show a milter's text at connect or HELO: keep the
	 * decision for the next MAIL or RCPT. A 421 closes at once, except
	 * on the MTA's own path, whose sender is not known yet.
	 */
	if ((st == STAGE_CONNECT || st == STAGE_HELO) &&
	    (rule_reply(r)->code != 421 || s->mta_made)) {
		if (s->pending == NULL) {
			s->pending = r;
			s->pending_stage = st;
		}
		return ACT_CONTINUE;
	}
	return session_answer(s, r, st);
}

static enum action
session_decide_stage(struct session *s, enum stage st)
{
	struct rule_ctx c;

	session_rule_ctx_of(s, &c);
	return session_decide(s, st, &c);
}

enum action
session_connect(struct session *s, const char *hostname,
                const struct sockaddr *sa)
{
	const char *mta = session_macro(s, "v");
	const void *a = NULL;

	atomic_fetch_add(&s->env->stats->sessions, 1);
	s->multiline_421 = mta != NULL && strncmp(mta, "Postfix", 7) == 0;
	session_copy_str(s->client_name, sizeof(s->client_name), hostname);
	if (sa != NULL && sa->sa_family == AF_INET) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in));
		a = &((const struct sockaddr_in *)sa)->sin_addr;
		/*
		 * Postfix's cleanup shows mail that came by no SMTP session
		 * (pickup, its own bounces: non_smtpd_milters) as a connect
		 * from localhost, 127.0.0.1 port 0; no TCP client has port 0.
		 */
		s->mta_made = ((const struct sockaddr_in *)sa)->sin_port == 0;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in6));
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	if (a != NULL) {
		s->have_addr = true;
		inet_ntop(sa->sa_family, a, s->client_addr,
		          sizeof(s->client_addr));
	}
	return session_decide_stage(s, STAGE_CONNECT);
}

enum action
session_helo(struct session *s, const char *helo)
{
	session_copy_str(s->helo, sizeof(s->helo), helo);
	return session_decide_stage(s, STAGE_HELO);
}

/* A decision kept from connect or HELO, answered now. */
static enum action
session_answer_pending(struct session *s)
{
	return s->pending != NULL && !s->spared
	           ? session_answer(s, s->pending, s->pending_stage)
	           : ACT_CONTINUE;
}

enum action
session_mail(struct session *s, const char *from)
{
	enum action a;

	session_end_message(s);
	session_copy_str(s->from, sizeof(s->from), from);
	s->auth = session_macro(s, "{auth_authen}") != NULL;
	session_refresh_queue_id(s);
	/*
	 * A null sender on Postfix's own path is its bounce(8) notice: it
	 * is the only word the sender gets, so no rule may refuse it.
	 */
	s->spared =
	    s->mta_made && (strcmp(s->from, "<>") == 0 || s->from[0] == '\0');
	if (s->spared && s->pending != NULL)
		session_log_spared(s, s->pending, s->pending_stage);
	if ((a = session_answer_pending(s)) != ACT_CONTINUE)
		return a;
	return session_decide_stage(s, STAGE_MAIL);
}

/*
 * A recipient the MTA rejected itself (SMFIP_RCPT_REJ): Postfix passes the
 * enhanced code in {rcpt_host} and the reply text in {rcpt_addr}. Logged
 * with its explanation; the MTA's reply is already sent and stays as is.
 */
static void
session_observe_mta_reject(struct session *s, const char *rcpt)
{
	const char *ecode = session_macro(s, "{rcpt_host}");
	const char *text = session_macro(s, "{rcpt_addr}");
	const struct code_entry *e = NULL;
	struct log_annotation la = {0};
	struct cause_hit hit = {0};
	struct code_ref ref;
	struct reply *r;
	char original[1024], expl[CAUSE_TEXT_MAX];

	if (ecode != NULL && code_parse(ecode, &ref) == 0) {
		e = codetable_find(s->cfg->table, &ref);
		if (e == NULL && ref.kind == CODE_ENHANCED)
			e = codetable_enhanced(s->cfg->table, ref.subject, 0);
	}
	if (e == NULL)
		e = codetable_enhanced(s->cfg->table, 0, 0);
	/*
	 * Postfix passes no basic code: the cause is looked for in a reply
	 * of the enhanced code's class ("550 5.1.1 text").
	 */
	snprintf(original, sizeof(original), "%c50 %s%s%s",
	         ecode != NULL && ecode[0] == '4' ? '4' : '5',
	         ecode ? ecode : "", ecode && text ? " " : "",
	         text ? text : "");
	if ((r = malloc(sizeof(*r))) != NULL) {
		if (reply_parse(r, original, strlen(original)) == 0)
			cause_classify(codetable_causeset(s->cfg->table), r,
			               &hit);
		free(r);
	}
	snprintf(original, sizeof(original), "%s%s%s", ecode ? ecode : "",
	         ecode && text ? " " : "", text ? text : "");
	la.queue_id = s->queue_id;
	la.stage = "rcpt";
	la.client_addr = s->client_addr;
	la.from = s->from;
	la.rcpt = rcpt;
	la.original = original;
	la.code = e != NULL ? e->code : NULL;
	la.explanation = e != NULL ? e->description : NULL;
	if (hit.cause != NULL) {
		la.cause = hit.cause->name;
		cause_expand(hit.cause->explanation, &hit, expl, sizeof(expl));
		la.explanation = expl;
	}
	la.source = "mta";
	log_annotation(session_dest(s), &la);
	stats_annotated(s->env->stats, SRC_MTA, e);
}

enum action
session_rcpt(struct session *s, const char *rcpt)
{
	const char *mailer = session_macro(s, "{rcpt_mailer}");
	struct rule_ctx c;
	enum action a;

	session_refresh_queue_id(s);
	if (mailer != NULL && strcmp(mailer, "error") == 0) {
		session_observe_mta_reject(s, rcpt);
		return ACT_CONTINUE;
	}
	session_copy_str(s->rcpt, sizeof(s->rcpt), rcpt);
	if ((a = session_answer_pending(s)) != ACT_CONTINUE)
		return a;
	session_rule_ctx_of(s, &c);
	if ((a = session_decide(s, STAGE_RCPT, &c)) != ACT_CONTINUE)
		return a;
	/* Accepted: later stages' rcpt matchers look at every recipient. */
	rules_note_rcpt(s->cfg->rules, rcpt, s->rcpt_hits);
	return ACT_CONTINUE;
}

enum action
session_header(struct session *s, const char *name, const char *value)
{
	struct rule_ctx c;

	if (s->queue_id[0] == '\0')
		session_refresh_queue_id(s);
	rules_note_header(s->cfg->rules, name, value, s->header_hits);
	session_rule_ctx_of(s, &c);
	c.header_name = name;
	c.header_value = value;
	return session_decide(s, STAGE_HEADER, &c);
}

enum action
session_eom(struct session *s)
{
	session_refresh_queue_id(s);
	return session_decide_stage(s, STAGE_EOM);
}

bool
session_mta_notice(const struct session *s)
{
	return s->spared || (s->mta_made && s->from[0] == '\0');
}

void
session_end_message(struct session *s)
{
	s->from[0] = s->rcpt[0] = s->queue_id[0] = '\0';
	s->auth = s->spared = false;
	memset(s->rcpt_hits, 0, sizeof(s->rcpt_hits));
	memset(s->header_hits, 0, sizeof(s->header_hits));
}
