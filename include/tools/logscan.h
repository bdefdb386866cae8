/*
 * logscan - explain the rejections and deferrals found in Postfix and
 * Sendmail log lines.
 *
 * A line is recognised by its message, not by the program name (sites
 * rename sendmail to sm-mta, run postfix-out/smtpd...), after a syslog
 * prefix in either the classic form ("Nov 22 19:54:43 host prog[pid]: ")
 * or the ISO form ("2026-11-22T19:54:43+00:00 host prog[pid]: ").
 */
#ifndef LOGSCAN_H
#define LOGSCAN_H

#include <stdbool.h>
#include <stdio.h>

#include "engine/config.h"

#define LOGSCAN_FIELD_MAX 512
#define LOGSCAN_REPLY_MAX 2048

/* One rejection or deferral, as read from the log. */
struct logscan_event {
	char time[40];
	char mta[16]; /* "postfix" or "sendmail" */
	char queue_id[32];
	char client[LOGSCAN_FIELD_MAX];
	char from[LOGSCAN_FIELD_MAX];
	char rcpt[LOGSCAN_FIELD_MAX];
	char stage[32];
	char reply[LOGSCAN_REPLY_MAX]; /* without milter-annotate's lines */
};

struct logscan;

/* A scanner printing to out; NULL when out of memory or a pattern fails. */
struct logscan *logscan_new(const struct config *, bool json, FILE *out);
/* Free it (what is held is not printed: logscan_flush first). */
void logscan_free(struct logscan *);

/*
 * Parse one log line (no newline). Returns 1 and fills ev for a
 * rejection or deferral, 0 for a line that sets state only or is not
 * recognised. Exposed for the unit tests.
 */
int logscan_parse(struct logscan *, const char *line, struct logscan_event *ev);
/* Feed one line: events are printed, or held until their sender is known. */
void logscan_line(struct logscan *, const char *line);
/* Print whatever is held (end of input, or a quiet moment with -F). */
void logscan_flush(struct logscan *);
/* The counts per code, with --summary. */
void logscan_summary(struct logscan *);

/* The subcommand: logscan [--json] [--summary] [-F] [FILE...]. */
int logscan_main(const struct config *, int argc, char **argv);

#endif
