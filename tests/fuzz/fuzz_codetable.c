/*
 * fuzz_codetable - a libFuzzer target for the code table loader
 * (codetable_load_string) and code_parse.
 *
 * The input is a table as an administrator writes one for -T or the
 * 'codes' setting. A table that loads must hold what the loader promises
 * (every entry complete, printable, indexed where its code says, X.0.0
 * there, associated codes known) and must serve the reply engine: replies
 * for each of its codes are annotated with it, and every output is
 * checked by fuzz_check_reply. A table that does not load must say why,
 * as "NAME:LINE: reason" or "NAME: reason".
 */
#include <string.h>

#include "core/codetable.h"
#include "core/replyfmt.h"
#include "fuzzcheck.h"

#define NAME "fuzz.conf"

static void
check_text(const char *v, size_t max)
{
	size_t n;

	FUZZ_CHECK(v != NULL && *v != '\0');
	for (n = 0; v[n] != '\0'; n++)
		FUZZ_CHECK(v[n] >= 0x20 && v[n] <= 0x7e);
	FUZZ_CHECK(n <= max);
}

static void
check_entry(const struct codetable *t, const struct code_entry *e)
{
	struct code_ref ref;
	size_t i;

	check_text(e->code, 400);
	check_text(e->name, 64);
	check_text(e->class_name, 400);
	check_text(e->description, 400);
	check_text(e->when, 400);
	check_text(e->fix, 400);
	FUZZ_CHECK(code_parse(e->code, &ref) == 0 && ref.kind == e->kind);
	FUZZ_CHECK(codetable_find(t, &ref) == e);
	if (e->kind == CODE_BASIC) {
		FUZZ_CHECK(e->basic >= 200 && e->basic <= 599);
		FUZZ_CHECK(codetable_basic(t, e->basic) == e);
		FUZZ_CHECK(e->nassoc == 0);
		return;
	}
	FUZZ_CHECK(e->kind == CODE_ENHANCED && e->code[0] == 'X');
	FUZZ_CHECK(codetable_enhanced(t, e->subject, e->detail) == e);
	FUZZ_CHECK(e->nassoc <= CODE_ASSOC_MAX);
	for (i = 0; i < e->nassoc; i++) {
		const char *a = e->assoc[i];

		if (strcmp(a, "any") == 0 || strcmp(a, "2xx") == 0 ||
		    strcmp(a, "4xx") == 0 || strcmp(a, "5xx") == 0)
			continue;
		FUZZ_CHECK(code_parse(a, &ref) == 0 && ref.kind == CODE_BASIC);
		FUZZ_CHECK(codetable_find(t, &ref) != NULL);
	}
}

/* Replies that land on e: its own code, with text, at two widths. */
static void
annotate_with(const struct codetable *t, const struct code_entry *e, size_t i)
{
	static struct reply r;
	struct reply_site site;
	char line[128];
	int cls;

	reply_site_defaults(&site);
	site.width = i % 2 ? REPLY_WIDTH_MIN : REPLY_WIDTH_MAX;
	site.generic = i % 3 == 0;
	site.postmaster = "postmaster@example.org (${code} ${ecode})";
	if (e->kind == CODE_BASIC)
		snprintf(line, sizeof(line), "%d Refused by policy", e->basic);
	else {
		cls = i % 2 ? 4 : 5;
		snprintf(line, sizeof(line), "%d50 %d.%d.%d Refused", cls, cls,
		         e->subject, e->detail);
	}
	FUZZ_CHECK(reply_parse(&r, line, strlen(line)) == 0);
	fuzz_annotate(&r, t, &site, NULL);
}

static void
check_diag_line(const char *msg, void *arg)
{
	(void)arg;
	FUZZ_CHECK(strlen(msg) < DIAG_MSG_MAX);
	FUZZ_CHECK(strncmp(msg, NAME ":", strlen(NAME ":")) == 0 ||
	           strncmp(msg, "... and ", 8) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag d;
	struct codetable *t;
	struct code_ref ref;
	char *text = fuzz_text(data, size), word[16];
	size_t i, n;

	/* code_parse on the first word, as the command line gives it. */
	n = strcspn(text, " \n");
	if (n < sizeof(word)) {
		memcpy(word, text, n);
		word[n] = '\0';
		if (code_parse(word, &ref) == 0)
			FUZZ_CHECK(ref.kind == CODE_BASIC
			               ? ref.basic >= 200 && ref.basic <= 599
			               : ref.subject <= 999 &&
			                     ref.detail <= 999);
	}

	diag_init(&d);
	t = codetable_load_string(NAME, text, &d);
	if (t == NULL) {
		FUZZ_CHECK(d.count > 0);
		diag_each(&d, check_diag_line, NULL);
		free(text);
		return 0;
	}
	FUZZ_CHECK(d.count == 0);
	FUZZ_CHECK(strcmp(codetable_source(t), NAME) == 0);
	FUZZ_CHECK(codetable_enhanced(t, 0, 0) != NULL);
	n = codetable_size(t);
	FUZZ_CHECK(n > 0 && codetable_at(t, n) == NULL);
	for (i = 0; i < n; i++) {
		check_entry(t, codetable_at(t, i));
		annotate_with(t, codetable_at(t, i), i);
	}
	codetable_free(t);
	free(text);
	return 0;
}
