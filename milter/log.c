/*
 * log - format and write log lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define LINE_MAX_LEN 10240 /* nine fields of at most FIELD_MAX */
#define FIELD_MAX    1024

static const char *ident = "milter-annotate";

void
log_init(const char *name)
{
	ident = name;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

struct log_dest
log_dest_of(const struct config *c, bool force_stderr)
{
	struct log_dest d = {LOG_TO_STDERR, LOG_FORMAT_TEXT};

	if (c != NULL) {
		d.target = c->log;
		d.format = c->log_format;
	}
	if (force_stderr)
		d.target = LOG_TO_STDERR;
	return d;
}

/* The length of a valid UTF-8 sequence of two or more bytes at p, or 0. */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n, i;
	unsigned v;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, v = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, v = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, v = p[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not. */
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/*
 * Text values are quoted when they hold a space, '"' or '='; JSON values
 * always. Control and 8-bit bytes are escaped in both: a log line is one
 * line, whatever a client sent.
 */
void
log_quote(enum log_format f, const char *v, char *dst, size_t cap)
{
	size_t n = 0, need;
	int quote =
	    f == LOG_FORMAT_JSON || *v == '\0' || strpbrk(v, " \"=\\") != NULL;
	const unsigned char *p;
	char esc[8];

	if (cap < 3) {
		if (cap > 0)
			dst[0] = '\0';
		return;
	}
	if (quote)
		dst[n++] = '"';
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		size_t u = f == LOG_FORMAT_JSON ? utf8_len(p) : 0;

		if (u > 1) {
			/* JSON strings carry UTF-8 as it is. */
			if (n + u + (quote ? 1 : 0) + 1 > cap)
				break;
			memcpy(dst + n, p, u);
			n += u;
			p += u - 1;
			continue;
		}
		/* Plain bytes, nearly all of them, are copied as they are:
		 * formatting each one was most of an annotated reply's cost. */
		if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
			if (n + 1 + (quote ? 1 : 0) + 1 > cap)
				break;
			dst[n++] = (char)*p;
			continue;
		}
		if (*p == '"' || *p == '\\')
			snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p >= 0x80 && f == LOG_FORMAT_JSON)
			/* Not UTF-8: the replacement character. */
			snprintf(esc, sizeof(esc), "\\ufffd");
		else if (*p < 0x20 || *p >= 0x7f)
			snprintf(esc, sizeof(esc),
			         f == LOG_FORMAT_JSON ? "\\u%04x" : "\\x%02x",
			         *p);
		need = strlen(esc);
		if (n + need + (quote ? 1 : 0) + 1 > cap)
			break;
		memcpy(dst + n, esc, need);
		n += need;
	}
	if (quote)
		dst[n++] = '"';
	dst[n] = '\0';
}

static void
emit(struct log_dest d, int prio, const char *line)
{
	char stamp[32];
	time_t now;
	struct tm tm;

	if (d.target == LOG_TO_SYSLOG) {
		syslog(prio, "%s", line);
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s %s: %s\n", stamp, ident, line);
}

static const char *
prio_name(int prio)
{
	switch (prio) {
	case LOG_ERR:
		return "error";
	case LOG_WARNING:
		return "warning";
	case LOG_NOTICE:
		return "notice";
	default:
		return "info";
	}
}

void
log_msg(struct log_dest d, int prio, const char *fmt, ...)
{
	char msg[LINE_MAX_LEN], line[LINE_MAX_LEN + 64], q[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (d.format == LOG_FORMAT_JSON) {
		log_quote(LOG_FORMAT_JSON, msg, q, sizeof(q));
		snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":%s}",
		         prio_name(prio), q);
		emit(d, prio, line);
	} else
		emit(d, prio, msg);
}

/* Append key and quoted value; keys are fixed words from this file. */
static size_t
add_field(char *line, size_t n, size_t cap, enum log_format f, const char *key,
          const char *v)
{
	char q[FIELD_MAX];
	int k;

	if (n >= cap)
		return n;
	log_quote(f, v != NULL && *v != '\0' ? v : "-", q, sizeof(q));
	if (f == LOG_FORMAT_JSON)
		k = snprintf(line + n, cap - n, ",\"%s\":%s", key, q);
	else
		k = snprintf(line + n, cap - n, " %s=%s", key, q);
	return k < 0 ? n : n + (size_t)k;
}

void
log_annotation(struct log_dest d, const struct log_annotation *a)
{
	char line[LINE_MAX_LEN];
	size_t n, cap = sizeof(line) - 2;
	enum log_format f = d.format;

	n = (size_t)snprintf(line, cap,
	                     f == LOG_FORMAT_JSON ? "{\"event\":\"%s\"" : "%s",
	                     a->fallback ? "annotate-failed" : "annotated");
	n = add_field(line, n, cap, f, "queue_id", a->queue_id);
	n = add_field(line, n, cap, f, "stage", a->stage);
	n = add_field(line, n, cap, f, "client", a->client_addr);
	n = add_field(line, n, cap, f, "from", a->from);
	n = add_field(line, n, cap, f, "rcpt", a->rcpt);
	n = add_field(line, n, cap, f, "reply", a->original);
	n = add_field(line, n, cap, f, "code", a->code);
	n = add_field(line, n, cap, f, "source", a->source);
	n = add_field(line, n, cap, f, "cause",
	              a->cause != NULL ? a->cause : "none");
	n = add_field(line, n, cap, f, "explanation", a->explanation);
	if (n > cap)
		n = cap;
	if (f == LOG_FORMAT_JSON) {
		line[n++] = '}';
		line[n] = '\0';
	}
	emit(d, a->fallback ? LOG_WARNING : LOG_INFO, line);
}
