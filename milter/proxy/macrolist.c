/*
 * macrolist - merge macro name lists, comparing whole names.
 */
#include <string.h>

#include "core/sbuf.h"
#include "proxy/macrolist.h"

/* name[0..*len) without the braces of "{name}". */
static const char *
bare(const char *name, size_t *len)
{
	if (*len > 2 && name[0] == '{' && name[*len - 1] == '}') {
		*len -= 2;
		return name + 1;
	}
	return name;
}

bool
macro_same(const char *a, size_t alen, const char *b, size_t blen)
{
	a = bare(a, &alen);
	b = bare(b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* The next name of list at *p: its start and length; NULL at the end. */
static const char *
next_name(const char **p, size_t *len)
{
	const char *s = *p + strspn(*p, " ");

	if (*s == '\0')
		return NULL;
	*len = strcspn(s, " ");
	*p = s + *len;
	return s;
}

bool
macrolist_has(const char *list, const char *name, size_t len)
{
	const char *p = list, *n;
	size_t nlen;

	while ((n = next_name(&p, &nlen)) != NULL)
		if (macro_same(n, nlen, name, len))
			return true;
	return false;
}

const char *
macrolist_merge(char *buf, size_t cap, const char *theirs, const char *ours)
{
	const char *p = ours, *n;
	struct sbuf sb;
	size_t nlen;

	sbuf_init(&sb, buf, cap);
	sbuf_put(&sb, theirs);
	if (sbuf_cut(&sb))
		return NULL;
	while ((n = next_name(&p, &nlen)) != NULL) {
		/* Looked up in the list so far: ours may repeat a name too. */
		if (macrolist_has(sbuf_str(&sb), n, nlen))
			continue;
		/* A name that does not fit is left out, never cut. */
		if (sbuf_len(&sb) + 1 + nlen >= cap)
			continue;
		if (sbuf_len(&sb) > 0)
			sbuf_putc(&sb, ' ');
		sbuf_putn(&sb, n, nlen);
	}
	return buf;
}
