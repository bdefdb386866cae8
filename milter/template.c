/*
 * template - check and expand "${name}" templates.
 */
#include <string.h>

#include "template.h"

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

/* Append src[0..len) to dst, printable ASCII only; returns new length. */
static size_t
append(char *dst, size_t n, size_t cap, const char *src, size_t len)
{
	unsigned char c;
	size_t i;

	for (i = 0; i < len && n + 1 < cap; i++) {
		c = (unsigned char)src[i];
		dst[n++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	return n;
}

size_t
tmpl_expand(const char *text, const char *const vals[TV_COUNT], char *dst,
            size_t cap)
{
	const char *p = text, *open, *close, *val;
	size_t n = 0;
	int v;

	if (cap == 0)
		return 0;
	while ((open = strstr(p, "${")) != NULL &&
	       (close = strchr(open + 2, '}')) != NULL) {
		n = append(dst, n, cap, p, (size_t)(open - p));
		v = var_lookup(open + 2, (size_t)(close - open - 2));
		val = v >= 0 && vals[v] != NULL && vals[v][0] != '\0' ? vals[v]
		                                                      : "-";
		n = append(dst, n, cap, val, strlen(val));
		p = close + 1;
	}
	n = append(dst, n, cap, p, strlen(p));
	dst[n] = '\0';
	return n;
}
