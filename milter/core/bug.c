/*
 * bug - log a broken invariant where an administrator will see it, then
 * abort (a core file, when enabled, shows where).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "core/bug.h"

void
ma_bug(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	syslog(LOG_MAIL | LOG_CRIT, "bug: %s", msg);
	fprintf(stderr, "milter-annotate: bug: %s\n", msg);
	abort();
}
