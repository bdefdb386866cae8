/*
 * log - one line per event, as key=value text or JSON, to syslog (facility
 * mail) or standard error.
 *
 * Where lines go is decided per call from the configuration in force, so
 * a reload that changes 'log' or 'log_format' needs no logger state.
 */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target { LOG_TO_SYSLOG, LOG_TO_STDERR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* An annotated reply, as logged. */
struct log_annotation {
	const char *queue_id;
	const char *stage;
	const char *client_addr;
	const char *from;
	const char *rcpt;
	const char *original; /* the reply before annotation */
	const char *code;     /* the table entry used: "550", "X.7.1" */
	const char *source;   /* "rule=NAME", "mta", "upstream" */
	const char *cause;    /* the cause recognised; NULL: "none" */
	const char *explanation;
	bool fallback; /* annotation failed: the original reply was sent */
};

/* One recipient of an annotated delivery status notification. */
struct log_dsn_rcpt {
	const char *rcpt;
	const char *action; /* "failed", "delayed" */
	const char *status; /* "5.1.1" */
	const char *cause;  /* NULL: "none" */
	const char *code;   /* the table entry used: "X.1.1" */
};

/* A delivery status notification seen: annotated, or passed unchanged. */
struct log_dsn {
	const char *queue_id;
	bool annotated;
	const char *why; /* passed unchanged: the reason */
	size_t nrcpt;    /* explained, in rcpt[] */
	size_t more;     /* failed or delayed beyond them */
	const struct log_dsn_rcpt *rcpt;
};

/* Where and how to log: the configuration's, or -f's standard error. */
struct log_dest {
	enum log_target target;
	enum log_format format;
};

/* Name the program in syslog and standard error lines; opens syslog. */
void log_init(const char *ident);

/* A message: key=value pairs are the caller's (text), or "msg" (JSON). */
void log_msg(struct log_dest, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * One line for an annotated reply ("annotated ..." or, for a fallback,
 * "annotate-failed ..."): each field quoted as its format needs, cut at
 * the line's bound. Logging never fails the caller.
 */
void log_annotation(struct log_dest, const struct log_annotation *);
/*
 * One line for a DSN, source=dsn: "annotated ... recipients=N" then, for
 * each recipient, rcpt, action, status, cause and code (text: in that
 * order, repeated; JSON: "recipients" their count, "rcpts" an array of
 * objects); or
 * "dsn-unchanged ... reason=..." when it was passed as it came. Cut at
 * the line's bound like every line; never fails the caller.
 */
void log_dsn(struct log_dest, const struct log_dsn *);

/* Quote v for a key=value line or a JSON string, into dst (bounded). */
void log_quote(enum log_format, const char *v, char *dst, size_t cap);

#endif
