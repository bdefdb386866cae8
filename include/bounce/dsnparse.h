/*
 * dsnparse - read a delivery status notification with GMime.
 *
 * A DSN (RFC 3464) is a multipart/report; report-type=delivery-status
 * (RFC 6522): a human-readable part, a message/delivery-status part of
 * per-message and per-recipient fields, and optionally the returned
 * message. Everything MIME (boundaries, encodings, charsets, folded
 * fields) is GMime's; what is kept here is what the explanation needs,
 * and where the human-readable part lies in the body, so that a rewrite
 * can replace it and leave every other byte as it came.
 */
#ifndef DSNPARSE_H
#define DSNPARSE_H

#include <stdbool.h>
#include <stddef.h>

#define DSN_RCPT_MAX  64   /* recipients explained; more are counted */
#define DSN_ADDR_MAX  320  /* an address as a field gives it */
#define DSN_FIELD_MAX 256  /* a short field: status, action, MTA, date */
#define DSN_DIAG_MAX  1024 /* a Diagnostic-Code's text, unfolded */

struct dsn_rcpt {
	char final_rcpt[DSN_ADDR_MAX];    /* the address, its type removed */
	char original_rcpt[DSN_ADDR_MAX]; /* likewise; "" when absent */
	char action[DSN_FIELD_MAX];     /* "failed", "delayed"... lower case */
	char status[DSN_FIELD_MAX];     /* "5.1.1", comments removed */
	char remote_mta[DSN_FIELD_MAX]; /* "mx.example.net", type removed */
	char diag_type[DSN_FIELD_MAX];  /* "smtp", "X-Postfix"; "" if none */
	char diag[DSN_DIAG_MAX];        /* the text after the type */
	char will_retry_until[DSN_FIELD_MAX];
};

struct dsn {
	/* Per-message fields. */
	char reporting_mta[DSN_FIELD_MAX];
	char queue_id[DSN_FIELD_MAX]; /* X-Postfix-Queue-ID, when given */
	char arrival_date[DSN_FIELD_MAX];
	/* Recipients whose Action is failed or delayed, in report order. */
	size_t nrcpt;
	struct dsn_rcpt rcpt[DSN_RCPT_MAX];
	size_t nfailed, ndelayed; /* all of them, beyond DSN_RCPT_MAX too */
	/*
	 * The human-readable part: its text in UTF-8 (malloc'd; NULL when it
	 * holds no text/plain), whether it is text/plain itself, and where it
	 * lies in the body: [part_start, part_end), from its first header (or
	 * its blank line) to the end of its content, before the line break
	 * that ends it.
	 */
	char *notification;
	bool plain;
	size_t part_start, part_end;
	const char *eol;    /* the body's line ending: "\r\n" or "\n" */
	size_t headers_end; /* where the blank line after the headers is */
	size_t body_off;    /* where the body starts in the message */
	/* GMime's view, held until dsn_clear: the message, its part 0. */
	struct _GMimeMessage *mime;
	struct _GMimeObject *part0;
};

enum dsn_parse_result {
	DSN_PARSE_OK = 0,      /* a DSN with failed or delayed recipients */
	DSN_PARSE_NOT_DSN = 1, /* something else: pass it untouched */
	DSN_PARSE_BROKEN = -1, /* looks like one, cannot be used: why says */
};

/*
 * Parse msg[0..len), a whole message (headers, blank line, body), into d.
 * Returns DSN_PARSE_OK; DSN_PARSE_NOT_DSN for anything that is not a
 * multipart/report; report-type=delivery-status with a failed or delayed
 * recipient; DSN_PARSE_BROKEN, with a one-line reason in why, for a
 * report that says it is a DSN but cannot be read or cut safely. d is
 * always left fit for dsn_clear.
 */
enum dsn_parse_result dsn_parse(const char *msg, size_t len, struct dsn *d,
                                char *why, size_t whycap);

/* Free (and let go of) what dsn_parse kept in d. */
void dsn_clear(struct dsn *d);

#endif
