/*
 * bench_reply - the reply engine's annotations per second, next to a plain
 * copy of the same replies measured in the same run.
 *
 * The replies are built from real-world shapes crossed with codes, so the
 * set has over a hundred distinct entries: single and multi-line, with and
 * without enhanced codes, short and long. Each pass does what the milter
 * does for one rejection: parse, pick the entry, format, render.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codetable.h"
#include "reply.h"

#define NREPLIES 128
#define PASSES   3

/* "@" stands for the basic code, "#" for the enhanced code. */
static const char *const shapes[] = {
    "@ # Relaying denied",
    "@ # <user@@example.org>: Recipient address rejected: User unknown in "
    "virtual mailbox table",
    "@-# The email account that you tried to reach does not exist. "
    "Please try\r\n@-# double-checking the recipient's email address for "
    "typos or\r\n@ # unnecessary spaces.",
    "@ # Service unavailable; client [192.0.2.1] blocked using "
    "zen.spamhaus.org",
    "@ # Greylisted, please try again in 300 seconds",
    "@ # Message rejected due to content restrictions (100% spam)",
    "@ #",
    "@ # Sender address rejected: Domain not found",
};

static const char *const codes[][2] = {
    {"550", "5.7.1"}, {"550", "5.1.1"},  {"554", "5.7.1"},  {"451", "4.7.1"},
    {"450", "4.2.0"}, {"421", "4.3.2"},  {"552", "5.3.4"},  {"553", "5.1.8"},
    {"571", ""},      {"550", ""},       {"451", "4.7.32"}, {"535", "5.7.8"},
    {"452", "4.5.3"}, {"550", "5.7.26"}, {"554", "5.6.0"},  {"530", "5.7.0"},
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Expand a shape; "@@" is a literal "@". */
static size_t
expand(char *dst, size_t cap, const char *shape, const char *code,
       const char *ecode)
{
	size_t n = 0, k;
	const char *p, *v;

	for (p = shape; *p != '\0' && n + 1 < cap; p++) {
		if (*p == '@' && p[1] == '@')
			v = "@", p++;
		else if (*p == '@')
			v = code;
		else if (*p == '#')
			v = ecode;
		else {
			dst[n++] = *p;
			continue;
		}
		k = strlen(v);
		if (n + k + 1 >= cap)
			break;
		memcpy(dst + n, v, k);
		n += k;
	}
	dst[n] = '\0';
	return n;
}

static size_t
build(char replies[NREPLIES][1024], size_t lens[NREPLIES])
{
	size_t i, ns = sizeof(shapes) / sizeof(shapes[0]);
	size_t nc = sizeof(codes) / sizeof(codes[0]);

	for (i = 0; i < NREPLIES; i++)
		lens[i] = expand(replies[i], sizeof(replies[i]),
		                 shapes[(i / nc + i) % ns], codes[i % nc][0],
		                 codes[i % nc][1]);
	return NREPLIES;
}

int
main(int argc, char **argv)
{
	static char replies[NREPLIES][1024], sink[REPLY_MAX_LINES * 520];
	static size_t lens[NREPLIES];
	static struct reply r;
	static struct reply_out o;
	struct reply_site site;
	struct codetable *t;
	struct diag d;
	long iters = argc > 1 ? atol(argv[1]) : 2000000;
	double t0, copy_s = 1e9, ann_s = 1e9, s;
	size_t i, n, bytes = 0, checksum = 0;
	long k;
	int pass;

	diag_init(&d);
	if ((t = codetable_load_builtin(&d)) == NULL) {
		fprintf(stderr, "bench: the built-in table does not load\n");
		return 1;
	}
	reply_site_defaults(&site);
	n = build(replies, lens);

	/* Best of PASSES for each, alternated so both see the same machine. */
	for (pass = 0; pass < PASSES; pass++) {
		t0 = now();
		for (k = 0; k < iters; k++) {
			i = (size_t)k % n;
			memcpy(sink, replies[i], lens[i] + 1);
			checksum += (unsigned char)sink[lens[i] / 2];
		}
		s = now() - t0;
		copy_s = s < copy_s ? s : copy_s;

		t0 = now();
		for (k = 0; k < iters; k++) {
			i = (size_t)k % n;
			if (reply_parse(&r, replies[i], lens[i]) != 0)
				continue;
			reply_annotate(&r, t, &site, NULL, &o);
			bytes = reply_render(&o, "\r\n", sink, sizeof(sink));
			checksum += bytes;
		}
		s = now() - t0;
		ann_s = s < ann_s ? s : ann_s;
	}
	printf("replies in the set:        %zu distinct\n", n);
	printf("iterations per pass:       %ld (best of %d passes)\n", iters,
	       PASSES);
	printf("plain copy:                %12.0f replies/s\n",
	       (double)iters / copy_s);
	printf("parse+annotate+render:     %12.0f annotations/s\n",
	       (double)iters / ann_s);
	printf("ratio (annotate / copy):   %12.1fx slower\n", ann_s / copy_s);
	printf("goal: above 1,000,000 annotations/s on one core: %s\n",
	       (double)iters / ann_s > 1e6 ? "met" : "NOT met");
	printf("(checksum %zu)\n", checksum);
	codetable_free(t);
	return 0;
}
