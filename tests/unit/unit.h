/*
 * unit - small helpers shared by the cmocka unit tests.
 *
 * Table-driven tests check every case and report each failing one by name
 * (EXPECT), then fail once at the end (EXPECT_DONE), so one run shows every
 * broken case instead of the first.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/diag.h"

/* A soft check: report case cname and go on counting failures in nfail. */
#define EXPECT(nfail, cname, cond, ...)                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			print_error("%s:%d: case '%s': ", __FILE__, __LINE__,  \
			            (cname));                                  \
			print_error(__VA_ARGS__);                              \
			print_error("\n");                                     \
			(nfail)++;                                             \
		}                                                              \
	} while (0)

#define EXPECT_DONE(nfail)                                                     \
	do {                                                                   \
		if ((nfail) > 0)                                               \
			fail_msg("%d failed check(s), see above",              \
			         (int)(nfail));                                \
	} while (0)

/* Visible form of a possibly binary string, for failure messages. */
static inline const char *
unit_show(const char *s, char *buf, size_t cap)
{
	size_t n = 0;
	const unsigned char *p;

	if (s == NULL)
		return "(null)";
	for (p = (const unsigned char *)s; *p != '\0' && n + 5 < cap; p++) {
		if (*p >= 0x20 && *p < 0x7f && *p != '\\')
			buf[n++] = (char)*p;
		else
			n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", *p);
	}
	buf[n] = '\0';
	return buf;
}

/* Whether the diag holds exactly this message. */
static inline bool
diag_has(const struct diag *d, const char *msg)
{
	size_t i;

	for (i = 0; i < diag_stored(d); i++)
		if (strcmp(d->msg[i], msg) == 0)
			return true;
	return false;
}

/* Whether the diag holds a message starting with prefix and holding sub. */
static inline bool
diag_has_like(const struct diag *d, const char *prefix, const char *sub)
{
	size_t i;

	for (i = 0; i < diag_stored(d); i++)
		if (strncmp(d->msg[i], prefix, strlen(prefix)) == 0 &&
		    (sub == NULL || strstr(d->msg[i], sub) != NULL))
			return true;
	return false;
}

static inline void
diag_print(const struct diag *d, const char *cname)
{
	size_t i;

	print_error("  case '%s': the diag holds %zu message(s):\n", cname,
	            d->count);
	for (i = 0; i < diag_stored(d); i++)
		print_error("    %s\n", d->msg[i]);
}

/*
 * Check that the diag holds exactly the messages in want (NULL-terminated),
 * in any order, and nothing else. Returns the number of failed checks.
 */
static inline int
diag_expect(const struct diag *d, const char *cname, const char *const *want)
{
	int nfail = 0;
	size_t n;

	for (n = 0; want[n] != NULL; n++)
		EXPECT(nfail, cname, diag_has(d, want[n]),
		       "missing message \"%s\"", want[n]);
	EXPECT(nfail, cname, d->count == n, "%zu message(s), want %zu",
	       d->count, n);
	if (nfail > 0)
		diag_print(d, cname);
	return nfail;
}

/* Write text to dir/name; returns the path (malloc'd). */
static inline char *
unit_write(const char *dir, const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	if ((f = fopen(path, "w")) == NULL)
		fail_msg("cannot write %s", path);
	fputs(text, f);
	if (fclose(f) != 0)
		fail_msg("cannot write %s", path);
	return path;
}

/* A fresh folder under /tmp; remove it with unit_rmdir. */
static inline char *
unit_mkdtemp(void)
{
	char tmpl[] = "/tmp/milter-annotate-unit.XXXXXX", *dir;

	if (mkdtemp(tmpl) == NULL || (dir = strdup(tmpl)) == NULL)
		fail_msg("mkdtemp failed");
	return dir;
}

static inline int
unit_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Remove the folder made by unit_mkdtemp and everything in it. */
static inline void
unit_rmdir(char *dir)
{
	if (dir == NULL)
		return;
	if (strncmp(dir, "/tmp/milter-annotate-unit.", 26) == 0 &&
	    nftw(dir, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		print_error("cannot remove %s\n", dir);
	free(dir);
}

#endif
