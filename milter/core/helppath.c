/*
 * helppath - the help site's file names (see helppath.h for the scheme).
 *
 * Names come from the code table, which an administrator may replace:
 * anything that is not a plain lowercase file name component is refused
 * rather than written, so a page can never land outside its folder.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/helppath.h"

#define NAME_COMPONENT_MAX 64

/*
 * The page name of a code ("550", "x.7.1") into dst; -1 if it has
 * characters no code has or does not fit.
 */
static int
code_stem(const struct code_entry *e, char *dst, size_t cap)
{
	size_t i, n = strlen(e->code);

	if (n == 0 || n >= cap)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)e->code[i];

		if (!isdigit(c) && c != '.' && c != 'X' && c != 'x')
			return -1;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	return (int)n;
}

/* snprintf's result checked: -1 when dst was too small. */
static int
fitted(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

static void
clear(char *dst, size_t cap)
{
	if (cap > 0)
		dst[0] = '\0';
}

int
helppath_code(const struct code_entry *e, char *dst, size_t cap)
{
	char stem[16];
	int n;

	if (code_stem(e, stem, sizeof(stem)) < 0) {
		clear(dst, cap);
		return -1;
	}
	if ((n = fitted(snprintf(dst, cap, "code/%s.html", stem), cap)) < 0)
		clear(dst, cap);
	return n;
}

int
helppath_cause(const char *name, char *dst, size_t cap)
{
	size_t i, n = strlen(name);

	/* Lowercase letters, digits, '-', '_' and inner dots: no "..". */
	if (n == 0 || n > NAME_COMPONENT_MAX || name[0] == '.' ||
	    strstr(name, "..") != NULL) {
		clear(dst, cap);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!islower(c) && !isdigit(c) && c != '-' && c != '_' &&
		    c != '.') {
			clear(dst, cap);
			return -1;
		}
	}
	/* "cause/%s.html", without snprintf: this is on every reply. */
	if (6 + n + 5 >= cap) {
		clear(dst, cap);
		return -1;
	}
	memcpy(dst, "cause/", 6);
	memcpy(dst + 6, name, n);
	memcpy(dst + 6 + n, ".html", 6);
	return (int)(6 + n + 5);
}

int
helppath_compare(const struct code_entry *a, const struct code_entry *b,
                 char *dst, size_t cap)
{
	const struct code_entry *t;
	char sa[16], sb[16];
	int n;

	/*
	 * Table order is source order; entries on one line keep their order
	 * in the table's array (both come from the same table).
	 */
	if (b->line < a->line || (b->line == a->line && b < a)) {
		t = a;
		a = b;
		b = t;
	}
	if (code_stem(a, sa, sizeof(sa)) < 0 ||
	    code_stem(b, sb, sizeof(sb)) < 0) {
		clear(dst, cap);
		return -1;
	}
	n = fitted(snprintf(dst, cap, "compare/%s-vs-%s.html", sa, sb), cap);
	if (n < 0)
		clear(dst, cap);
	return n;
}
