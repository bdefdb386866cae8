/*
 * template - check and expand "${name}" templates.
 */
#include <string.h>

#include "core/sbuf.h"
#include "core/template.h"

static const char *const var_names[TV_COUNT] = {
    [TV_CODE] = "code",
    [TV_ECODE] = "ecode",
    [TV_QUEUE_ID] = "queue_id",
    [TV_CLIENT_ADDR] = "client_addr",
    [TV_REFERENCE] = "reference",
    [TV_PAGE] = "page",
    [TV_HELP_BASE_URL] = "help_base_url",
};

/* The variable named by s[0..len), or -1. */
static int
var_lookup(const char *s, size_t len)
{
	int i;

	for (i = 0; i < TV_COUNT; i++)
		if (strlen(var_names[i]) == len &&
		    memcmp(var_names[i], s, len) == 0)
			return i;
	return -1;
}

const char *
tmpl_check(const char *text, bool allow_reference)
{
	const char *p, *close;
	int v;

	for (p = text; (p = strstr(p, "${")) != NULL; p = close + 1) {
		if ((close = strchr(p + 2, '}')) == NULL)
			return "unterminated ${ in template";
		v = var_lookup(p + 2, (size_t)(close - p - 2));
		if (v < 0)
			return "unknown variable in template (known: ${code}, "
			       "${ecode}, ${queue_id}, ${client_addr}, "
			       "${reference}, ${page}, ${help_base_url})";
		if (v == TV_REFERENCE && !allow_reference)
			return "the reference template cannot use ${reference}";
	}
	return NULL;
}

/* Append src[0..len), printable ASCII only: any other byte becomes '?'. */
static void
put_printable(struct sbuf *sb, const char *src, size_t len)
{
	size_t i = 0, run;

	while (i < len) {
		for (run = i; run < len && src[run] >= 0x20 && src[run] <= 0x7e;
		     run++)
			;
		sbuf_putn(sb, src + i, run - i);
		if (run < len)
			sbuf_putc(sb, '?');
		i = run + 1;
	}
}

size_t
tmpl_expand(const char *text, const char *const vals[TV_COUNT], char *dst,
            size_t cap)
{
	const char *p = text, *open, *close, *val;
	struct sbuf sb;
	int v;

	if (cap == 0)
		return 0;
	sbuf_init(&sb, dst, cap);
	while ((open = strstr(p, "${")) != NULL &&
	       (close = strchr(open + 2, '}')) != NULL) {
		put_printable(&sb, p, (size_t)(open - p));
		v = var_lookup(open + 2, (size_t)(close - open - 2));
		val = v >= 0 && vals[v] != NULL && vals[v][0] != '\0' ? vals[v]
		                                                      : "-";
		put_printable(&sb, val, strlen(val));
		p = close + 1;
	}
	put_printable(&sb, p, strlen(p));
	return sbuf_len(&sb);
}
