/*
 * causefeat - a reply as the words and codes a scorer would weigh.
 *
 * Used by tests/tools/eval_scorer.py (through classify --features) to
 * measure whether a model trained on the corpus could name causes the
 * patterns miss; see tests/corpus/README for what it found.
 */
#include <ctype.h>
#include <string.h>

#include "core/causefeat.h"
#include "core/reply.h"
#include "core/sbuf.h"

#define TOKEN_MAX 32 /* a word's characters kept */

static void
emit(void (*fn)(const char *, void *), void *arg, const char *prefix,
     const char *a, const char *b)
{
	char f[CAUSE_FEATURE_MAX];
	struct sbuf sb;

	sbuf_init(&sb, f, sizeof(f));
	sbuf_put(&sb, prefix);
	sbuf_put(&sb, a);
	if (b != NULL) {
		sbuf_putc(&sb, '_');
		sbuf_put(&sb, b);
	}
	fn(f, arg);
}

static void
emit_num(void (*fn)(const char *, void *), void *arg, const char *prefix, int a,
         int b)
{
	char f[32];
	struct sbuf sb;

	sbuf_init(&sb, f, sizeof(f));
	sbuf_put(&sb, prefix);
	sbuf_dec(&sb, a);
	if (b >= 0) {
		sbuf_putc(&sb, '.');
		sbuf_dec(&sb, b);
	}
	fn(f, arg);
}

/* Numbers (addresses, ids, sizes, limits) are one word: "#". */
static void
normalize(char *tok, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)tok[i]))
			return;
	tok[0] = '#';
	tok[1] = '\0';
}

void
cause_features(const struct reply *r, void (*fn)(const char *feat, void *arg),
               void *arg)
{
	char tok[TOKEN_MAX + 1], prev[TOKEN_MAX + 1] = "";
	const char *p = r->text, *end = r->text + r->textlen;
	size_t len;

	emit_num(fn, arg, "code=", r->code, -1);
	emit_num(fn, arg, "class=", r->code / 100, -1);
	if (r->ecode[0] != '\0') {
		emit_num(fn, arg, "sub=", r->subject, -1);
		emit_num(fn, arg, "det=", r->subject, r->detail);
	} else
		fn("noecode", arg);
	while (p < end) {
		if (!isalnum((unsigned char)*p)) {
			p++;
			continue;
		}
		for (len = 0; p < end && isalnum((unsigned char)*p); p++)
			if (len < TOKEN_MAX)
				tok[len++] = (char)tolower((unsigned char)*p);
		tok[len] = '\0';
		normalize(tok, len);
		emit(fn, arg, "w=", tok, NULL);
		if (prev[0] != '\0')
			emit(fn, arg, "b=", prev, tok);
		memcpy(prev, tok, strlen(tok) + 1);
	}
}
