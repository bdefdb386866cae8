/*
 * diag - bounded collector of load-time error messages.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/diag.h"

void
diag_init(struct diag *d)
{
	d->count = 0;
}

void
diag_add(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	char *m;
	int n;

	if (d->count++ >= DIAG_MAX)
		return;
	m = d->msg[d->count - 1];
	if (line > 0)
		n = snprintf(m, DIAG_MSG_MAX, "%s:%u: ", file, line);
	else
		n = snprintf(m, DIAG_MSG_MAX, "%s: ", file);
	if (n < 0 || n >= DIAG_MSG_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(m + n, DIAG_MSG_MAX - (size_t)n, fmt, ap);
	va_end(ap);
}

size_t
diag_stored(const struct diag *d)
{
	return d->count < DIAG_MAX ? d->count : DIAG_MAX;
}

void
diag_each(const struct diag *d, void (*fn)(const char *, void *), void *arg)
{
	char more[64];
	size_t i, n = diag_stored(d);

	for (i = 0; i < n; i++)
		fn(d->msg[i], arg);
	if (d->count > n) {
		snprintf(more, sizeof(more), "... and %zu more errors",
		         d->count - n);
		fn(more, arg);
	}
}
