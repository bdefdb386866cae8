/*
 * bench_dsn - delivery status notifications rewritten per second on one
 * core, next to GMime parsing and writing the same message, measured in
 * the same run.
 *
 * Two Postfix bounces: tests/dsn/samples/postfix-two-recipients.eml (two
 * recipients, a short returned message), and one recipient with a 50 KB
 * returned message, the most Postfix returns (bounce_size_limit = 50000).
 * A rewrite is what the milter does at the end of a bounce: dsn_annotate
 * (GMime reads the report, each recipient is explained, the text and HTML
 * parts are written, the new body is spliced in and parsed back), then
 * freeing it; "through the collector" adds what the milter does before
 * (the headers and 64 KB body chunks with CRLF line endings kept, as
 * libmilter hands them). The baseline is the least any rewrite with GMime
 * costs: parsing the message and writing it out again. Every figure is
 * the best of PASSES passes, the three measurements alternated, in CPU
 * time of the thread (what one core does on a shared machine); the
 * rewrite's rate by the wall clock is printed next to it.
 *
 *   bench-dsn [ITERATIONS]   rewrites per message per pass (default 4000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <gmime/gmime.h>

#include "bounce/dsn.h"
#include "bounce/dsncollect.h"
#include "engine/config.h"

#define PASSES      3
#define RETURN_SIZE 50000 /* Postfix's bounce_size_limit */
#define CHUNK       65536 /* libmilter's body chunks */

/*
 * The time this thread ran: the machine may be shared, and a rate per
 * second of CPU is what one core does (wall time is printed too).
 */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A Postfix bounce for one recipient returning a 50,000-byte message. */
static GString *
large_bounce(void)
{
	static const char head[] =
	    "Return-Path: <>\n"
	    "Received: by mta.example.org (Postfix)\n"
	    "\tid 4F2C120C11; Mon,  2 Jun 2025 10:00:02 +0000 (UTC)\n"
	    "Date: Mon,  2 Jun 2025 10:00:02 +0000 (UTC)\n"
	    "From: MAILER-DAEMON@mta.example.org (Mail Delivery System)\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "To: alice@example.org\n"
	    "Auto-Submitted: auto-replied\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"3A1B720C0F.1748858402/mta.example.org\"\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Message-Id: <20250602100002.4F2C120C11@mta.example.org>\n"
	    "\n"
	    "This is a MIME-encapsulated message.\n"
	    "\n"
	    "--3A1B720C0F.1748858402/mta.example.org\n"
	    "Content-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n"
	    "\n"
	    "This is the mail system at host mta.example.org.\n"
	    "\n"
	    "I'm sorry to have to inform you that your message could not\n"
	    "be delivered to one or more recipients. It's attached below.\n"
	    "\n"
	    "For further assistance, please send mail to postmaster.\n"
	    "\n"
	    "If you do so, please include this problem report. You can\n"
	    "delete your own text from the attached returned message.\n"
	    "\n"
	    "                   The mail system\n"
	    "\n"
	    "<bob@example.net>: host mx.example.net[192.0.2.22] said: 550 "
	    "5.1.1\n"
	    "    <bob@example.net>: Recipient address rejected: User unknown "
	    "in virtual\n"
	    "    mailbox table (in reply to RCPT TO command)\n"
	    "\n"
	    "--3A1B720C0F.1748858402/mta.example.org\n"
	    "Content-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Reporting-MTA: dns; mta.example.org\n"
	    "X-Postfix-Queue-ID: 3A1B720C0F\n"
	    "X-Postfix-Sender: rfc822; alice@example.org\n"
	    "Arrival-Date: Mon,  2 Jun 2025 10:00:01 +0000 (UTC)\n"
	    "\n"
	    "Final-Recipient: rfc822; bob@example.net\n"
	    "Original-Recipient: rfc822;bob@example.net\n"
	    "Action: failed\n"
	    "Status: 5.1.1\n"
	    "Remote-MTA: dns; mx.example.net\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient "
	    "address\n"
	    "    rejected: User unknown in virtual mailbox table\n"
	    "\n"
	    "--3A1B720C0F.1748858402/mta.example.org\n"
	    "Content-Description: Undelivered Message\n"
	    "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n";
	static const char returned[] =
	    "Return-Path: <alice@example.org>\n"
	    "Received: from client.example.org (client.example.org "
	    "[192.0.2.10])\n"
	    "\tby mta.example.org (Postfix) with ESMTPS id 3A1B720C0F\n"
	    "\tfor <bob@example.net>; Mon,  2 Jun 2025 10:00:01 +0000 (UTC)\n"
	    "From: Alice <alice@example.org>\n"
	    "To: Bob <bob@example.net>\n"
	    "Subject: Quarterly figures\n"
	    "Message-ID: <quarterly-2025@example.org>\n"
	    "Date: Mon, 2 Jun 2025 10:00:00 +0000\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "\n";
	static const char line[] =
	    "The figures for the quarter are attached below, one region a "
	    "line, as ever.\n";
	GString *s = g_string_new(head);
	size_t start = s->len;

	g_string_append(s, returned);
	while (s->len - start + sizeof(line) - 1 <= RETURN_SIZE)
		g_string_append(s, line);
	/* Postfix cuts the returned message at the limit, mid-line. */
	g_string_append_len(s, line, (gssize)(RETURN_SIZE - (s->len - start)));
	g_string_append(s, "\n\n--3A1B720C0F.1748858402/mta.example.org--\n");
	return s;
}

/* The rewrite: dsn_annotate, then letting it go. */
static double
rewrite_pass(const char *msg, size_t len, const struct config *c, long iters,
             size_t *checksum)
{
	struct dsn_result res;
	double t0 = now();
	long k;

	for (k = 0; k < iters; k++) {
		if (dsn_annotate(msg, len, c, "3A1B720C0F", &res) !=
		    DSN_ANNOTATED) {
			fprintf(stderr, "bench-dsn: not annotated: %s\n",
			        res.why);
			exit(1);
		}
		*checksum += res.len;
		dsn_result_free(&res);
	}
	return now() - t0;
}

/* What libmilter hands the milter: headers one by one, CRLF body chunks. */
struct pieces {
	GPtrArray *names, *values;
	GString *body;
};

static void
split(const char *msg, struct pieces *p)
{
	const char *end = strstr(msg, "\n\n"), *q, *eol, *colon;
	GString *v = NULL;

	p->names = g_ptr_array_new_with_free_func(g_free);
	p->values = g_ptr_array_new_with_free_func(g_free);
	p->body = g_string_new(NULL);
	for (q = msg; q <= end; q = eol + 1) {
		eol = strchr(q, '\n');
		if (*q == ' ' || *q == '\t') {
			g_string_append_c(v, '\n');
			g_string_append_len(v, q, eol - q);
			continue;
		}
		if (v != NULL)
			g_ptr_array_add(p->values, g_string_free(v, FALSE));
		v = NULL;
		if (q == end + 1 ||
		    (colon = memchr(q, ':', (size_t)(eol - q))) == NULL)
			continue;
		g_ptr_array_add(p->names, g_strndup(q, (gsize)(colon - q)));
		colon += colon[1] == ' ' ? 2 : 1;
		v = g_string_new_len(colon, eol - colon);
	}
	if (v != NULL)
		g_ptr_array_add(p->values, g_string_free(v, FALSE));
	for (q = end + 2; *q != '\0'; q++) {
		if (*q == '\n')
			g_string_append_c(p->body, '\r');
		g_string_append_c(p->body, *q);
	}
}

static double
collect_pass(const struct pieces *p, const struct config *c, long iters,
             size_t *checksum)
{
	struct dsn_collect dc;
	struct dsn_result res;
	double t0 = now();
	size_t i, off;
	long k;

	dsn_collect_init(&dc, c->dsn_max_size);
	for (k = 0; k < iters; k++) {
		dsn_collect_sender(&dc, "<>");
		for (i = 0; i < p->names->len; i++)
			dsn_collect_header(&dc, p->names->pdata[i],
			                   p->values->pdata[i]);
		dsn_collect_eoh(&dc);
		for (off = 0; off < p->body->len; off += CHUNK)
			dsn_collect_body(&dc, p->body->str + off,
			                 p->body->len - off < CHUNK
			                     ? p->body->len - off
			                     : CHUNK);
		if (dsn_collect_finish(&dc, c, "3A1B720C0F", &res) !=
		    DSN_ANNOTATED) {
			fprintf(stderr, "bench-dsn: not annotated: %s\n",
			        res.why);
			exit(1);
		}
		*checksum += res.len;
		dsn_result_free(&res);
		dsn_collect_reset(&dc);
	}
	return now() - t0;
}

/* The baseline: GMime parses the message and writes it out again. */
static double
gmime_pass(const char *msg, size_t len, long iters, size_t *checksum)
{
	double t0 = now();
	long k;

	for (k = 0; k < iters; k++) {
		GMimeStream *in = g_mime_stream_mem_new_with_buffer(msg, len);
		GMimeParser *parser = g_mime_parser_new_with_stream(in);
		GMimeMessage *m = g_mime_parser_construct_message(parser, NULL);
		GMimeStream *out = g_mime_stream_mem_new();

		g_mime_object_write_to_stream((GMimeObject *)m, NULL, out);
		*checksum += g_mime_stream_length(out);
		g_object_unref(out);
		g_object_unref(m);
		g_object_unref(parser);
		g_object_unref(in);
	}
	return now() - t0;
}

static int
run(const char *name, const char *msg, size_t len, const struct config *c,
    long iters)
{
	double rw = 1e9, col = 1e9, base = 1e9, rw_wall = 1e9, s, w;
	size_t checksum = 0;
	struct pieces p;
	int pass;

	split(msg, &p);
	/* Warm up (GMime's and iconv's caches, the table's patterns). */
	rewrite_pass(msg, len, c, iters / 20 + 1, &checksum);
	for (pass = 0; pass < PASSES; pass++) {
		s = gmime_pass(msg, len, iters, &checksum);
		base = s < base ? s : base;
		w = wall();
		s = rewrite_pass(msg, len, c, iters, &checksum);
		rw = s < rw ? s : rw;
		w = wall() - w;
		rw_wall = w < rw_wall ? w : rw_wall;
		s = collect_pass(&p, c, iters, &checksum);
		col = s < col ? s : col;
	}
	printf("%s (%zu bytes):\n", name, len);
	printf("  GMime parse + write:        %10.0f messages/s (baseline)\n",
	       (double)iters / base);
	printf("  rewrite (dsn_annotate):     %10.0f rewrites/s (%.0f/s by "
	       "the clock)\n",
	       (double)iters / rw, (double)iters / rw_wall);
	printf("  through the collector:      %10.0f rewrites/s\n",
	       (double)iters / col);
	printf("  ratio (rewrite / baseline): %10.2fx the time\n", rw / base);
	printf("  goal: above 5,000 rewrites/s on one core: %s\n",
	       (double)iters / rw > 5000 ? "met" : "NOT met");
	printf("  (checksum %zu)\n", checksum);
	g_ptr_array_free(p.names, TRUE);
	g_ptr_array_free(p.values, TRUE);
	g_string_free(p.body, TRUE);
	return (double)iters / rw > 5000 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	const char *path = "tests/dsn/samples/postfix-two-recipients.eml";
	long iters = argc > 1 ? atol(argv[1]) : 4000;
	struct config *c;
	struct diag d;
	GString *large;
	gchar *two;
	gsize two_len;

	if (iters <= 0) {
		fprintf(stderr, "usage: bench-dsn [ITERATIONS]\n");
		return 2;
	}
	dsn_init();
	diag_init(&d);
	if ((c = config_defaults(NULL, &d)) == NULL) {
		fprintf(stderr,
		        "bench-dsn: the built-in table does not load\n");
		return 1;
	}
	if (!g_file_get_contents(path, &two, &two_len, NULL)) {
		fprintf(stderr, "bench-dsn: cannot read %s\n", path);
		return 1;
	}
	large = large_bounce();
	printf("iterations per pass: %ld per message (best of %d passes)\n",
	       iters, PASSES);
	run("Postfix bounce, 2 recipients (postfix-two-recipients.eml)", two,
	    two_len, c, iters);
	run("Postfix bounce, 1 recipient, 50 KB returned message", large->str,
	    large->len, c, iters);
	g_free(two);
	g_string_free(large, TRUE);
	config_free(c);
	dsn_shutdown();
	return 0;
}
