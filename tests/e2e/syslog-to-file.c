/*
 * syslog-to-file.c - LD_PRELOAD shim used by the end-to-end tests
 * (tests/e2e/mta.sh).
 *
 * The private Sendmail instance logs only through syslog(3), and this machine
 * may have no syslog daemon (no /dev/log). Preloading this library makes
 * openlog/syslog/vsyslog (and the _FORTIFY_SOURCE variants
 * __syslog_chk/__vsyslog_chk) append one line per message to the file named by
 * $E2E_SYSLOG_FILE, read once when the library loads (Sendmail scrubs its
 * environment early in main(), so the name is read in a constructor). Lines
 * look like syslog's: 2024-11-22T19:24:00 sm-mta[1234]: <info> 4AMJO0aB001234:
 * from=<a@localhost>, ... Nothing is changed on the system; without
 * $E2E_SYSLOG_FILE messages are dropped. It also overrides gethostname(2) with
 * $E2E_HOSTNAME (see below).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static char log_path[4096];
static char log_ident[64] = "sendmail";
static char fake_hostname[256];

__attribute__((constructor)) static void
shim_init(void)
{
	const char *p = getenv("E2E_SYSLOG_FILE");
	if (p != NULL && strlen(p) < sizeof(log_path))
		strcpy(log_path, p);
	p = getenv("E2E_HOSTNAME");
	if (p != NULL && strlen(p) < sizeof(fake_hostname))
		strcpy(fake_hostname, p);
}

/*
 * gethostname: $E2E_HOSTNAME if set. Sendmail wants a qualified host name
 * before it reads its configuration; with an unqualified one (and no DNS) it
 * sleeps 60 seconds at start-up
 * ("My unqualified host name (vm) unknown; sleeping for retry").
 */
int
gethostname(char *name, size_t len)
{
	struct utsname u;
	const char *h = fake_hostname;

	if (h[0] == '\0') {
		if (uname(&u) < 0)
			return -1;
		h = u.nodename;
	}
	if (strlen(h) + 1 > len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(name, h);
	return 0;
}

void
openlog(const char *ident, int option, int facility)
{
	(void)option;
	(void)facility;
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
}

void
closelog(void)
{
}

int
setlogmask(int mask)
{
	(void)mask;
	return 0xff;
}

static const char *
level_name(int pri)
{
	static const char *names[] = {"emerg",   "alert",  "crit", "err",
	                              "warning", "notice", "info", "debug"};
	return names[LOG_PRI(pri)];
}

void
vsyslog(int pri, const char *fmt, va_list ap)
{
	char fmt2[2048], msg[8192], line[8400];
	int saved = errno, fd, n;
	size_t i, j;
	time_t now;
	struct tm tm;

	if (log_path[0] == '\0' || fmt == NULL)
		return;
	/* expand %m (strerror(errno)) as syslog(3) does */
	for (i = 0, j = 0; fmt[i] != '\0' && j < sizeof(fmt2) - 1; i++) {
		if (fmt[i] == '%' && fmt[i + 1] == 'm') {
			const char *e = strerror(saved);
			while (*e != '\0' && j < sizeof(fmt2) - 1) {
				if (*e == '%' && j < sizeof(fmt2) - 2)
					fmt2[j++] = '%';
				fmt2[j++] = *e++;
			}
			i++;
		} else if (fmt[i] == '%' && fmt[i + 1] == '%' &&
		           j < sizeof(fmt2) - 2) {
			fmt2[j++] = '%';
			fmt2[j++] = '%';
			i++;
		} else {
			fmt2[j++] = fmt[i];
		}
	}
	fmt2[j] = '\0';
	vsnprintf(msg, sizeof(msg), fmt2, ap);
	now = time(NULL);
	localtime_r(&now, &tm);
	n = snprintf(line, sizeof(line),
	             "%04d-%02d-%02dT%02d:%02d:%02d %s[%ld]: <%s> %s\n",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, log_ident, (long)getpid(),
	             level_name(pri), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		ssize_t w =
		    write(fd, line,
		          (size_t)n); /* one write: lines do not interleave */
		(void)w;
		close(fd);
	}
	errno = saved;
}

void
syslog(int pri, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}

void
__vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	(void)flag;
	vsyslog(pri, fmt, ap);
}

void
__syslog_chk(int pri, int flag, const char *fmt, ...)
{
	va_list ap;
	(void)flag;
	va_start(ap, fmt);
	vsyslog(pri, fmt, ap);
	va_end(ap);
}
