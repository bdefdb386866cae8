/*
 * fuzz_reply - a libFuzzer target for the reply engine: reply_parse,
 * reply_annotate with the built-in table, reply_sanitized, reply_render.
 *
 * The input is a reply as a server (or a rule, or an upstream milter)
 * sends it. After a NUL come the site settings: a width byte (0-255, so
 * the clamping shows too), a flags byte (bit 0 add_enhanced_code, bit 1
 * generic, bit 2 the footer export's placeholders for the codes), then
 * NUL-separated queue id, client address and the postmaster, help_url and
 * reference templates (dropped when the configuration would refuse them).
 * A seed without a NUL is a reply with the default settings.
 *
 * Every output must keep the promise checked by fuzz_check_reply.
 */
#include <string.h>

#include "core/codetable.h"
#include "core/replyfmt.h"
#include "core/template.h"
#include "fuzzcheck.h"

/* The fields after the reply, each up to the next NUL. */
struct opts {
	const char *f[5];
};

static const struct codetable *
table(void)
{
	static struct codetable *t;
	struct diag d;

	if (t == NULL) {
		diag_init(&d);
		t = codetable_load_builtin(&d);
		FUZZ_CHECK(t != NULL);
	}
	return t;
}

/* A template as config.c would take it, or NULL. */
static const char *
site_template(const char *v, bool allow_reference)
{
	const unsigned char *p;

	if (v == NULL || *v == '\0')
		return NULL;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return NULL;
	return tmpl_check(v, allow_reference) == NULL ? v : NULL;
}

static void
check_parsed(const struct reply *r)
{
	size_t i;

	FUZZ_CHECK(r->code >= 200 && r->code <= 599);
	FUZZ_CHECK(r->textlen < REPLY_TEXT_MAX);
	FUZZ_CHECK(strlen(r->text) == r->textlen);
	for (i = 0; i < r->textlen; i++)
		FUZZ_CHECK((r->text[i] >= 0x20 && r->text[i] <= 0x7e) ||
		           r->text[i] == '\n');
	if (r->ecode[0] != '\0')
		FUZZ_CHECK(r->ecode[0] == '0' + r->code / 100 &&
		           r->subject <= 999 && r->detail <= 999);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reply r;
	static struct reply_out o;
	struct reply_site site;
	struct reply_vars vars = {NULL, NULL, NULL, NULL, NULL};
	struct opts op = {{NULL}};
	const uint8_t *nul = memchr(data, '\0', size);
	size_t rlen = nul != NULL ? (size_t)(nul - data) : size, k;
	char *text = fuzz_text(data, size), *p;
	unsigned flags = 1;

	reply_site_defaults(&site);
	if (nul != NULL && size - rlen >= 3) {
		site.width = data[rlen + 1];
		flags = data[rlen + 2];
		/* NUL-separated strings after the two bytes. */
		for (k = 0, p = text + rlen + 3;
		     k < 5 && p <= text + size && *p != '\0'; k++) {
			op.f[k] = p;
			p += strlen(p) + 1;
		}
	}
	site.add_enhanced_code = flags & 1;
	site.generic = flags & 2;
	site.postmaster = site_template(op.f[2], true);
	site.help_url = site_template(op.f[3], true);
	site.reference = site_template(op.f[4], false);
	if (flags & 4) {
		/* As export.c fills them, for Postfix to replace. */
		vars.client_addr = "@@client@@";
		vars.code = "@@code@@";
		vars.ecode = "@@ecode@@";
	} else {
		vars.queue_id = op.f[0];
		vars.client_addr = op.f[1];
	}

	if (reply_parse(&r, text, rlen) == 0) {
		check_parsed(&r);
		fuzz_annotate(&r, table(), &site, &vars);
		/* The fallback and the one-line 421 use this alone. */
		reply_sanitized(&r, site.width, &o);
		fuzz_check_reply(&r,
		                 r.code / 100 == 4 || r.code / 100 == 5
		                     ? REPLY_FALLBACK
		                     : REPLY_PASSED,
		                 &o, site.width);
	}
	free(text);
	return 0;
}
