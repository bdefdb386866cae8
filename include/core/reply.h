/*
 * reply - an SMTP reply as parsed, and the limits every emitted reply
 * keeps.
 *
 * Whatever text comes in, what milter-annotate emits is valid SMTP (RFC
 * 5321 4.2, RFC 2034): one code on every line, the enhanced code (of the
 * same class) on every line, printable ASCII, at most REPLY_MAX_LINES
 * lines of at most REPLY_WIRE_MAX octets with CRLF. Postfix treats a
 * malformed milter reply as a broken milter and defers the mail, so this
 * is not cosmetic. The parsed form below is where that starts: its codes
 * are checked and its text is printable ASCII.
 */
#ifndef REPLY_H
#define REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define REPLY_MAX_LINES 32   /* libmilter's smfi_setmlreply limit */
#define REPLY_WIRE_MAX  512  /* RFC 5321 4.5.3.1.5, CRLF included */
#define REPLY_TEXT_MAX  2048 /* original text kept; the rest is cut */
#define REPLY_ECODE_MAX 32   /* "5.999.999", with room to spare */

#define REPLY_WIDTH_MIN     40
#define REPLY_WIDTH_MAX     240 /* Sendmail may prefix "<rcpt>... " (up to 262) */
#define REPLY_WIDTH_DEFAULT 78

/* A reply as parsed: codes checked, text made printable. */
struct reply {
	int code;                    /* 200..599 */
	char ecode[REPLY_ECODE_MAX]; /* class digit corrected; "" if none */
	int subject, detail;         /* of ecode, when there is one */
	bool ecode_corrected;        /* the sender's class digit disagreed */
	bool truncated;              /* text beyond REPLY_TEXT_MAX was cut */
	size_t textlen;
	char text[REPLY_TEXT_MAX]; /* original lines joined by '\n' */
};

/*
 * Parse buf[0..len): lines ended by CRLF, LF or CR, each "DDD", "DDD-" or
 * "DDD " then text; the first line must carry a code 200..599. Controls
 * become spaces, each 8-bit sequence one '?', text past REPLY_TEXT_MAX is
 * cut and marked " ...". Returns 0, or -1 when buf does not start with a
 * reply code (r is then unusable).
 */
int reply_parse(struct reply *r, const char *buf, size_t len);

#endif
