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

#include "session.h"

/* Lines holding '%', doubled as libmilter takes them (its format rule). */
#define LINE_COPY_MAX (2 * REPLY_WIDTH_MAX + 1)

struct milter_lines {
	char buf[REPLY_MAX_LINES][LINE_COPY_MAX];
};

/* src (NULL: "") into dst, cut to cap - 1 bytes as snprintf would. */
static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src != NULL ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

/* Append src at *n, within cap - 1 bytes (cut as snprintf would). */
static void
append(char *dst, size_t *n, size_t cap, const char *src)
{
	size_t k = strnlen(src, cap - 1 - *n);

	memcpy(dst + *n, src, k);
	*n += k;
	dst[*n] = '\0';
}

/* Append v in decimal, as "%d" would. */
static void
append_int(char *dst, size_t *n, size_t cap, int v)
{
	char d[16];
	size_t k = sizeof(d);
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;

	d[--k] = '\0';
	do {
		d[--k] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		d[--k] = '-';
	append(dst, n, cap, d + k);
}

static const char *
macro(struct session *s, const char *name)
{
	const char *v = s->env->io->macro(s->ctx, name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static void
refresh_queue_id(struct session *s)
{
	const char *id = macro(s, "i");

	if (id != NULL)
		copy_str(s->queue_id, sizeof(s->queue_id), id);
}

static struct log_dest
dest(const struct session *s)
{
	return log_dest_of(s->cfg, s->env->force_stderr);
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
set_reply(struct session *s, const struct reply_out *o)
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
action_of(int code)
{
	return code / 100 == 5 ? ACT_REJECT : ACT_TEMPFAIL;
}

/* Not even the reply as it came could be set: on_error decides. */
static enum action
reply_not_set(struct session *s, const char *source)
{
	enum action act =
	    s->cfg->on_error == ON_ERROR_TEMPFAIL ? ACT_TEMPFAIL : ACT_CONTINUE;

	atomic_fetch_add(&s->env->stats->errors, 1);
	log_msg(dest(s), LOG_ERR, "error=reply-not-set source=%s action=%s",
	        source, act == ACT_CONTINUE ? "continue" : "tempfail");
	return act;
}

/*
 * Answer with a reply, annotated (fixed: annotated already, or NULL).
 * Falls back to the reply as it came, then to on_error, so a failure here
 * never blocks mail by itself.
 */
static enum action
answer_reply(struct session *s, const struct reply *rep,
             const struct reply_out *fixed, const char *source,
             enum stats_source src, const char *stage)
{
	struct reply_vars vars = {s->queue_id, s->client_addr, NULL, NULL,
	                          NULL};
	struct log_annotation la = {0};
	const struct reply_out *out = NULL;
	struct reply_out *o = NULL;
	char original[REPLY_TEXT_MAX + 64], cause_expl[CAUSE_TEXT_MAX];
	enum reply_result res = REPLY_FALLBACK;
	enum action act = action_of(rep->code);
	size_t n;

	/* "%d%s%s %s": code, " " and ecode if any, " ", text. */
	n = 0;
	append_int(original, &n, sizeof(original), rep->code);
	if (rep->ecode[0]) {
		append(original, &n, sizeof(original), " ");
		append(original, &n, sizeof(original), rep->ecode);
	}
	append(original, &n, sizeof(original), " ");
	append(original, &n, sizeof(original), rep->text);
	/* One log line: the reply's lines joined by spaces. */
	for (char *nl = original; (nl = strchr(nl, '\n')) != NULL;)
		*nl = ' ';
	/* A 421 that must go alone (below) is made here. */
	if (fixed != NULL && (rep->code != 421 || s->multiline_421)) {
		out = fixed;
		res = REPLY_ANNOTATED;
	} else if ((o = malloc(sizeof(*o))) != NULL) {
		out = o;
		res =
		    reply_annotate(rep, s->cfg->table, &s->cfg->site, &vars, o);
		/*
		 * A 421 must close the session: where only a one-line 421
		 * does that (Sendmail), the reply goes alone.
		 */
		if (rep->code == 421 && !s->multiline_421) {
			const struct cause_entry *cause = o->cause;

			reply_sanitized(rep, s->cfg->site.width, o);
			o->nlines = o->nlines > 1 ? 1 : o->nlines;
			o->entry = reply_pick(s->cfg->table, rep);
			o->cause = cause;
		}
	}
	/* Refused (too long, say): the reply as it came, alone. */
	if (out != NULL && set_reply(s, out) != 0) {
		res = REPLY_FALLBACK;
		if (o == NULL)
			o = malloc(sizeof(*o));
		if (o != NULL) {
			reply_sanitized(rep, s->cfg->site.width, o);
			out = o;
		}
		if (o == NULL || set_reply(s, o) != 0)
			act = reply_not_set(s, source);
	}
	if (res == REPLY_FALLBACK)
		atomic_fetch_add(&s->env->stats->errors, 1);
	la.queue_id = s->queue_id;
	la.stage = stage;
	la.client_addr = s->client_addr;
	la.from = s->from;
	la.rcpt = s->rcpt;
	la.original = original;
	la.code = out != NULL && out->entry != NULL ? out->entry->code : NULL;
	la.explanation =
	    out != NULL && out->entry != NULL ? out->entry->description : NULL;
	if (out != NULL && out->cause != NULL && res != REPLY_FALLBACK) {
		la.cause = out->cause->name;
		cause_text_generic(out->cause->explanation, cause_expl,
		                   sizeof(cause_expl));
		la.explanation = cause_expl;
	}
	la.source = source;
	la.fallback = res == REPLY_FALLBACK;
	log_annotation(dest(s), &la);
	stats_annotated(s->env->stats, src,
	                out != NULL && res != REPLY_FALLBACK ? out->entry
	                                                     : NULL);
	free(o);
	return act;
}

static enum action
answer(struct session *s, const struct rule *r, enum stage st)
{
	char source[128];
	size_t n = 0;

	append(source, &n, sizeof(source), "rule=");
	append(source, &n, sizeof(source), rule_name(r));
	return answer_reply(s, rule_reply(r), rule_fixed_reply(r), source,
	                    SRC_RULE, stage_name(st));
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
	a = answer_reply(s, rep, NULL, source, SRC_UPSTREAM, stage);
	free(rep);
	return a;
}

static void
rule_ctx_of(const struct session *s, struct rule_ctx *c)
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

static enum action
decide(struct session *s, enum stage st, struct rule_ctx *c)
{
	const struct rule *r = rules_match(s->cfg->rules, st, c);

	if (r == NULL)
		return ACT_CONTINUE;
	/*
	 * MTAs do not show a milter's text at connect or HELO: keep the
	 * decision for the next MAIL or RCPT. A 421 closes at once.
	 */
	if ((st == STAGE_CONNECT || st == STAGE_HELO) &&
	    rule_reply(r)->code != 421) {
		if (s->pending == NULL) {
			s->pending = r;
			s->pending_stage = st;
		}
		return ACT_CONTINUE;
	}
	return answer(s, r, st);
}

static enum action
decide_stage(struct session *s, enum stage st)
{
	struct rule_ctx c;

	rule_ctx_of(s, &c);
	return decide(s, st, &c);
}

enum action
session_connect(struct session *s, const char *hostname,
                const struct sockaddr *sa)
{
	const char *mta = macro(s, "v");
	const void *a = NULL;

	atomic_fetch_add(&s->env->stats->sessions, 1);
	s->multiline_421 = mta != NULL && strncmp(mta, "Postfix", 7) == 0;
	copy_str(s->client_name, sizeof(s->client_name), hostname);
	if (sa != NULL && sa->sa_family == AF_INET) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in));
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	} else if (sa != NULL && sa->sa_family == AF_INET6) {
		memcpy(&s->addr, sa, sizeof(struct sockaddr_in6));
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	if (a != NULL) {
		s->have_addr = true;
		inet_ntop(sa->sa_family, a, s->client_addr,
		          sizeof(s->client_addr));
	}
	return decide_stage(s, STAGE_CONNECT);
}

enum action
session_helo(struct session *s, const char *helo)
{
	copy_str(s->helo, sizeof(s->helo), helo);
	return decide_stage(s, STAGE_HELO);
}

/* A decision kept from connect or HELO, answered now. */
static enum action
answer_pending(struct session *s)
{
	return s->pending != NULL ? answer(s, s->pending, s->pending_stage)
	                          : ACT_CONTINUE;
}

enum action
session_mail(struct session *s, const char *from)
{
	enum action a;

	session_end_message(s);
	copy_str(s->from, sizeof(s->from), from);
	s->auth = macro(s, "{auth_authen}") != NULL;
	refresh_queue_id(s);
	if ((a = answer_pending(s)) != ACT_CONTINUE)
		return a;
	return decide_stage(s, STAGE_MAIL);
}

/*
 * A recipient the MTA rejected itself (SMFIP_RCPT_REJ): Postfix passes the
 * enhanced code in {rcpt_host} and the reply text in {rcpt_addr}. Logged
 * with its explanation; the MTA's reply is already sent and stays as is.
 */
static void
observe_mta_reject(struct session *s, const char *rcpt)
{
	const char *ecode = macro(s, "{rcpt_host}");
	const char *text = macro(s, "{rcpt_addr}");
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
	log_annotation(dest(s), &la);
	stats_annotated(s->env->stats, SRC_MTA, e);
}

enum action
session_rcpt(struct session *s, const char *rcpt)
{
	const char *mailer = macro(s, "{rcpt_mailer}");
	struct rule_ctx c;
	enum action a;

	refresh_queue_id(s);
	if (mailer != NULL && strcmp(mailer, "error") == 0) {
		observe_mta_reject(s, rcpt);
		return ACT_CONTINUE;
	}
	copy_str(s->rcpt, sizeof(s->rcpt), rcpt);
	if ((a = answer_pending(s)) != ACT_CONTINUE)
		return a;
	rule_ctx_of(s, &c);
	if ((a = decide(s, STAGE_RCPT, &c)) != ACT_CONTINUE)
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
		refresh_queue_id(s);
	rules_note_header(s->cfg->rules, name, value, s->header_hits);
	rule_ctx_of(s, &c);
	c.header_name = name;
	c.header_value = value;
	return decide(s, STAGE_HEADER, &c);
}

enum action
session_eom(struct session *s)
{
	refresh_queue_id(s);
	return decide_stage(s, STAGE_EOM);
}

void
session_end_message(struct session *s)
{
	s->from[0] = s->rcpt[0] = s->queue_id[0] = '\0';
	s->auth = false;
	memset(s->rcpt_hits, 0, sizeof(s->rcpt_hits));
	memset(s->header_hits, 0, sizeof(s->header_hits));
}
