/*
 * log - format and write log lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "engine/log.h"

#define LINE_MAX_LEN 10240 /* nine fields of at most FIELD_MAX */
#define FIELD_MAX    1024
#define LOG_HEAD     96 /* room before a line for "STAMP IDENT: " */

static const char *ident = "milter-annotate";

void
log_init(const char *name)
{
	ident = name;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* The length of the valid UTF-8 character at p (of at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	gunichar c = g_utf8_get_char_validated((const gchar *)p, (gssize)n);

	return c == (gunichar)-1 || c == (gunichar)-2
	           ? 0
	           : (size_t)g_unichar_to_utf8(c, NULL);
}

/* Bytes a log line carries as they are: printable ASCII but '"' and '\'. */
static bool
plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Whether all 8 bytes of x are plain: none below 0x20 (NUL included),
 * none from 0x7f up, no '"' and no '\\' (whole-word tests, see
 * "Bit Twiddling Hacks": a byte less than n, a byte equal to 0). */
static bool
plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
	uint64_t d = x ^ (ones * 0x7f);
	uint64_t bad = ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	               ((b - ones) & ~b) | ((d - ones) & ~d) | x;

	return (bad & highs) == 0;
}

/* The escape for a byte that is not plain (and not UTF-8 in JSON). */
static size_t
escape(enum log_format f, unsigned char c, char esc[6])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (f == LOG_FORMAT_JSON && c >= 0x80) {
		/* Not UTF-8: the replacement character. */
		memcpy(esc, "\\ufffd", 6);
		return 6;
	}
	if (f == LOG_FORMAT_JSON) {
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		return 6;
	}
	esc[0] = '\\';
	esc[1] = 'x';
	esc[2] = hex[c >> 4];
	esc[3] = hex[c & 0xf];
	return 4;
}

/*
 * Text values are quoted when they hold a space, '"' or '='; JSON values
 * always. Control and 8-bit bytes are escaped in both: a log line is one
 * line, whatever a client sent. What does not fit in cap is left out, a
 * whole escape or UTF-8 sequence at a time; the closing quote always fits.
 * Returns the length written (dst is NUL-terminated when cap > 0).
 */
static size_t
quote_into(enum log_format f, const char *v, char *dst, size_t cap)
{
	const unsigned char *p = (const unsigned char *)v, *end;
	bool quote =
	    f == LOG_FORMAT_JSON || *v == '\0' || strpbrk(v, " \"=\\") != NULL;
	size_t n = 0, lim, need, m, k;
	uint64_t x;
	char esc[6];

	if (cap < 3) {
		if (cap > 0)
			dst[0] = '\0';
		return 0;
	}
	end = p + strlen(v);
	/* Room for the value: all but the closing quote and the NUL. */
	lim = cap - 1 - (quote ? 1 : 0);
	if (quote)
		dst[n++] = '"';
	for (;;) {
		/*
		 * Plain bytes, nearly all of them, are copied as they are, a
		 * word at a time while they last, within the room left.
		 */
		m = lim - n < (size_t)(end - p) ? lim - n : (size_t)(end - p);
		k = 0;
		while (k + 8 <= m) {
			memcpy(&x, p + k, 8);
			if (!plain8(x))
				break;
			memcpy(dst + n + k, &x, 8);
			k += 8;
		}
		while (k < m && plain(p[k])) {
			dst[n + k] = (char)p[k];
			k++;
		}
		n += k;
		p += k;
		if (p == end || plain(*p))
			break; /* the end, or no room left */
		need =
		    f == LOG_FORMAT_JSON ? utf8_len(p, (size_t)(end - p)) : 0;
		if (need > 1) {
			/* JSON strings carry UTF-8 as it is. */
			if (n + need > lim)
				break;
			memcpy(dst + n, p, need);
			n += need;
			p += need;
			continue;
		}
		need = escape(f, *p, esc);
		if (n + need > lim)
			break;
		memcpy(dst + n, esc, need);
		n += need;
		p++;
	}
	if (quote)
		dst[n++] = '"';
	dst[n] = '\0';
	return n;
}

void
log_quote(enum log_format f, const char *v, char *dst, size_t cap)
{
	(void)quote_into(f, v, dst, cap);
}

/* "2024-05-01T12:00:00" for now; formatted at most once a second a thread
 * (localtime_r takes a process-wide lock). */
static const char *
stamp_now(size_t *len)
{
	static _Thread_local bool valid;
	static _Thread_local time_t when;
	static _Thread_local char stamp[32];
	static _Thread_local size_t n;
	time_t now = time(NULL);
	struct tm tm;

	if (!valid || now != when) {
		if (localtime_r(&now, &tm) == NULL)
			memset(&tm, 0, sizeof(tm));
		n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		stamp[n] = '\0';
		when = now;
		valid = true;
	}
	*len = n;
	return stamp;
}

/* All of p, retried on short writes and EINTR; errors are dropped. */
static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/*
 * The line is at buf + LOG_HEAD, len bytes and a NUL: the stamp and ident
 * go in the LOG_HEAD bytes before it, "\n" in place of the NUL, and the
 * whole line is one write (under stderr's lock, as fprintf would be).
 */
static void
emit(struct log_dest d, int prio, char *buf, size_t len)
{
	char *line = buf + LOG_HEAD, *h;
	const char *stamp;
	size_t sn, in, hn;

	if (d.target == LOG_TO_SYSLOG) {
		syslog(prio, "%s", line);
		return;
	}
	stamp = stamp_now(&sn);
	in = strlen(ident);
	hn = sn + 1 + in + 2;
	if (hn > LOG_HEAD) {
		fprintf(stderr, "%s %s: %s\n", stamp, ident, line);
		return;
	}
	h = line - hn;
	memcpy(h, stamp, sn);
	h[sn] = ' ';
	memcpy(h + sn + 1, ident, in);
	memcpy(h + sn + 1 + in, ": ", 2);
	line[len] = '\n';
	flockfile(stderr);
	write_all(fileno(stderr), h, hn + len + 1);
	funlockfile(stderr);
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
	char msg[LOG_HEAD + LINE_MAX_LEN], line[LOG_HEAD + LINE_MAX_LEN + 64],
	    q[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + LOG_HEAD, LINE_MAX_LEN, fmt, ap);
	va_end(ap);
	if (d.format == LOG_FORMAT_JSON) {
		log_quote(LOG_FORMAT_JSON, msg + LOG_HEAD, q, sizeof(q));
		snprintf(line + LOG_HEAD, LINE_MAX_LEN + 64,
		         "{\"level\":\"%s\",\"msg\":%s}", prio_name(prio), q);
		emit(d, prio, line, strlen(line + LOG_HEAD));
	} else
		emit(d, prio, msg, strlen(msg + LOG_HEAD));
}

/* A field that may not fit: quoted apart, then cut as snprintf cuts. */
static size_t
add_field_cut(char *line, size_t n, size_t cap, enum log_format f,
              const char *key, const char *v)
{
	char q[FIELD_MAX];
	int k;

	log_quote(f, v, q, sizeof(q));
	if (f == LOG_FORMAT_JSON)
		k = snprintf(line + n, cap - n, ",\"%s\":%s", key, q);
	else
		k = snprintf(line + n, cap - n, " %s=%s", key, q);
	return k < 0 ? n : n + (size_t)k;
}

/*
 * Append key and quoted value; keys are fixed words from this file. The
 * value is quoted straight into the line when a whole field (FIELD_MAX)
 * fits. A return of cap or more means the line was cut: it is then
 * cap - 1 bytes and a NUL.
 */
static size_t
add_field(char *line, size_t n, size_t cap, enum log_format f, const char *key,
          const char *v)
{
	size_t klen = strlen(key), plen;
	char *d;

	if (n >= cap)
		return n;
	if (v == NULL || *v == '\0')
		v = "-";
	plen = klen + (f == LOG_FORMAT_JSON ? 4 : 2);
	if (n + plen + FIELD_MAX > cap)
		return add_field_cut(line, n, cap, f, key, v);
	d = line + n;
	if (f == LOG_FORMAT_JSON) {
		*d++ = ',';
		*d++ = '"';
		memcpy(d, key, klen);
		d += klen;
		*d++ = '"';
		*d++ = ':';
	} else {
		*d++ = ' ';
		memcpy(d, key, klen);
		d += klen;
		*d++ = '=';
	}
	return n + plen + quote_into(f, v, d, FIELD_MAX);
}

void
log_annotation(struct log_dest d, const struct log_annotation *a)
{
	char buf[LOG_HEAD + LINE_MAX_LEN], *line = buf + LOG_HEAD;
	size_t n, cap = LINE_MAX_LEN - 2, elen;
	enum log_format f = d.format;
	const char *event = a->fallback ? "annotate-failed" : "annotated";

	n = 0;
	if (f == LOG_FORMAT_JSON) {
		memcpy(line, "{\"event\":\"", 10);
		n = 10;
	}
	elen = strlen(event);
	memcpy(line + n, event, elen);
	n += elen;
	if (f == LOG_FORMAT_JSON)
		line[n++] = '"';
	line[n] = '\0';
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
	if (n >= cap) {
		/* Cut: the JSON object stays unclosed, as it always has. */
		n = cap - 1;
	} else if (f == LOG_FORMAT_JSON) {
		line[n++] = '}';
		line[n] = '\0';
	}
	emit(d, a->fallback ? LOG_WARNING : LOG_INFO, buf, n);
}

/*
 * A run of s as it is (an event name, JSON punctuation). Cut as
 * add_field cuts: a return of cap means the line is cap - 1 bytes.
 */
static size_t
add_raw(char *line, size_t n, size_t cap, const char *s)
{
	size_t k = strlen(s);

	if (n >= cap)
		return cap;
	if (n + k >= cap) {
		memcpy(line + n, s, cap - 1 - n);
		line[cap - 1] = '\0';
		return cap;
	}
	memcpy(line + n, s, k + 1);
	return n + k;
}

/* The recipients of a DSN: repeated keys (text) or an array (JSON). */
static size_t
add_dsn_rcpts(char *line, size_t n, size_t cap, enum log_format f,
              const struct log_dsn *a)
{
	const struct log_dsn_rcpt *r;
	size_t i;

	if (f == LOG_FORMAT_JSON)
		n = add_raw(line, n, cap, ",\"rcpts\":[");
	for (i = 0; i < a->nrcpt && n < cap; i++) {
		r = &a->rcpt[i];
		if (f == LOG_FORMAT_JSON) {
			/* Each object opens with its number: add_field puts
			 * a comma before every field. */
			char head[32];

			snprintf(head, sizeof(head), "%s{\"n\":%zu",
			         i > 0 ? "," : "", i + 1);
			n = add_raw(line, n, cap, head);
		}
		n = add_field(line, n, cap, f, "rcpt", r->rcpt);
		n = add_field(line, n, cap, f, "action", r->action);
		n = add_field(line, n, cap, f, "status", r->status);
		n = add_field(line, n, cap, f, "cause",
		              r->cause != NULL ? r->cause : "none");
		n = add_field(line, n, cap, f, "code", r->code);
		if (f == LOG_FORMAT_JSON)
			n = add_raw(line, n, cap, "}");
	}
	if (f == LOG_FORMAT_JSON)
		n = add_raw(line, n, cap, "]");
	return n;
}

void
log_dsn(struct log_dest d, const struct log_dsn *a)
{
	char buf[LOG_HEAD + LINE_MAX_LEN], *line = buf + LOG_HEAD, num[24];
	size_t n = 0, cap = LINE_MAX_LEN - 2;
	enum log_format f = d.format;
	const char *event = a->annotated ? "annotated" : "dsn-unchanged";

	if (f == LOG_FORMAT_JSON)
		n = add_raw(line, n, cap, "{\"event\":\"");
	n = add_raw(line, n, cap, event);
	if (f == LOG_FORMAT_JSON)
		n = add_raw(line, n, cap, "\"");
	n = add_field(line, n, cap, f, "queue_id", a->queue_id);
	n = add_field(line, n, cap, f, "source", "dsn");
	if (a->annotated) {
		snprintf(num, sizeof(num), "%zu", a->nrcpt + a->more);
		n = add_field(line, n, cap, f, "recipients", num);
		n = add_dsn_rcpts(line, n, cap, f, a);
	} else
		n = add_field(line, n, cap, f, "reason", a->why);
	if (n >= cap)
		n = cap - 1;
	else if (f == LOG_FORMAT_JSON)
		n = add_raw(line, n, cap, "}");
	if (n >= cap)
		n = cap - 1;
	emit(d, a->annotated ? LOG_INFO : LOG_NOTICE, buf, n);
}
