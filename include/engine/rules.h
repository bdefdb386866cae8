/*
 * rules - the milter's own rejections, in the spirit of milter-regex.
 *
 * A rule names a stage, some matchers (all must match) and a 4xx/5xx
 * reply; the first matching rule of a stage wins. Regexes are PCRE2,
 * case-insensitive, compiled once when the configuration is loaded.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <libconfig.h>

#include "core/diag.h"
#include "core/replyfmt.h"

#define RULES_MAX         1024
#define RULES_BITMAP_SIZE (RULES_MAX / 8)

enum stage {
	STAGE_CONNECT,
	STAGE_HELO,
	STAGE_MAIL,
	STAGE_RCPT,
	STAGE_HEADER,
	STAGE_EOM,
	STAGE_COUNT
};

struct rules;
struct rule;

/* What is known of the session when a stage is checked. */
struct rule_ctx {
	const struct sockaddr *addr; /* NULL if unknown */
	const char *client_name;
	const char *helo;
	const char *from;
	const char *rcpt;        /* STAGE_RCPT: this recipient */
	bool auth;               /* SMTP AUTH succeeded */
	const char *header_name; /* STAGE_HEADER: this header */
	const char *header_value;
	/* Later stages: which rules' rcpt and header matchers matched. */
	const unsigned char *rcpt_hits;
	const unsigned char *header_hits;
};

/* "connect", "rcpt"...; "?" for a stage out of range. */
const char *stage_name(enum stage);

/* Load the 'rules' list; 0, or -1 with every error in the diag. */
int rules_load(struct rules **, const config_setting_t *list, const char *file,
               struct diag *);
/* Free the rules; NULL is allowed. */
void rules_free(struct rules *);
/* How many rules; 0 for NULL. */
size_t rules_count(const struct rules *);

/* The first rule of the stage whose matchers all match, or NULL. */
const struct rule *rules_match(const struct rules *, enum stage,
                               const struct rule_ctx *);
/*
 * Remember, for rules of later stages, that their rcpt (or header)
 * matcher matched this recipient (or header): bits in hits by rule index.
 */
void rules_note_rcpt(const struct rules *, const char *rcpt,
                     unsigned char *hits);
void rules_note_header(const struct rules *, const char *name,
                       const char *value, unsigned char *hits);

/* A rule's name, stage and reply as configured (parsed at load). */
const char *rule_name(const struct rule *);
enum stage rule_stage(const struct rule *);
const struct reply *rule_reply(const struct rule *);

/*
 * Annotate the rules' replies once, at load (the first FIXED_RULES), where
 * the annotation depends on nothing of the session: no ${queue_id} nor
 * ${client_addr} in the site's templates. rule_fixed_reply gives it, or
 * NULL: annotate per session then.
 */
void rules_prepare(struct rules *, const struct codetable *,
                   const struct reply_site *);
const struct reply_out *rule_fixed_reply(const struct rule *);

#endif
