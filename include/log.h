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

#include "config.h"

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

/* Where and how to log: the configuration's, or -f's standard error. */
struct log_dest {
	enum log_target target;
	enum log_format format;
};

void log_init(const char *ident);
struct log_dest log_dest_of(const struct config *, bool force_stderr);

/* A message: key=value pairs are the caller's (text), or "msg" (JSON). */
void log_msg(struct log_dest, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_annotation(struct log_dest, const struct log_annotation *);
/* Quote v for a key=value line or a JSON string, into dst (bounded). */
void log_quote(enum log_format, const char *v, char *dst, size_t cap);

#endif
