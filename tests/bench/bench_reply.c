/*
 * bench_reply - the reply engine's annotations per second, next to a plain
 * copy of the same replies measured in the same run.
 *
 * The replies are built from real-world shapes crossed with codes, so the
 * set has over a hundred distinct entries: single and multi-line, with and
 * without enhanced codes, short and long. Each pass does what the milter
 * does for one rejection: parse, pick the entry, recognise the cause,
 * format, render. It runs twice: with the built-in table as it is, and with
 * the same table without its causes, to show what recognising causes costs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/codetable.h"
#include "core/replyfmt.h"

#define NREPLIES 128
#define PASSES   3

extern const char codes_builtin[]; /* conf/codes.conf, linked in */

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

static void
print_line(const char *msg, void *fp)
{
	fprintf(fp, "%s\n", msg);
}

/* Best of PASSES of parse+annotate+render over the set, in seconds. */
static double
annotate_pass(const struct codetable *t, char replies[][1024],
              const size_t *lens, size_t n, long iters, size_t *checksum)
{
	static char sink[REPLY_MAX_LINES * 520];
	static struct reply r;
	static struct reply_out o;
	struct reply_site site;
	double t0 = now();
	size_t i;
	long k;

	reply_site_defaults(&site);
	for (k = 0; k < iters; k++) {
		i = (size_t)k % n;
		if (reply_parse(&r, replies[i], lens[i]) != 0)
			continue;
		reply_annotate(&r, t, &site, NULL, &o);
		*checksum += reply_render(&o, "\r\n", sink, sizeof(sink));
	}
	return now() - t0;
}

/* The built-in table without its causes: the text up to "causes = (". */
static struct codetable *
load_codes_only(struct diag *d)
{
	const char *cut = strstr(codes_builtin, "\ncauses = (");
	struct codetable *t;
	char *text;

	if (cut == NULL)
		return codetable_load_builtin(d);
	if ((text = strndup(codes_builtin,
	                    (size_t)(cut + 1 - codes_builtin))) == NULL)
		return NULL;
	t = codetable_load_string("codes only", text, d);
	free(text);
	return t;
}

int
main(int argc, char **argv)
{
	static char replies[NREPLIES][1024], sink[REPLY_MAX_LINES * 520];
	static size_t lens[NREPLIES];
	struct codetable *t, *plain;
	struct diag d;
	long iters = argc > 1 ? atol(argv[1]) : 2000000;
	double t0, copy_s = 1e9, ann_s = 1e9, plain_s = 1e9, s;
	size_t i, n, checksum = 0;
	long k;
	int pass;

	diag_init(&d);
	if ((t = codetable_load_builtin(&d)) == NULL ||
	    (plain = load_codes_only(&d)) == NULL) {
		fprintf(stderr, "bench: the built-in table does not load\n");
		diag_each(&d, print_line, stderr);
		return 1;
	}
	n = build(replies, lens);

	/* Best of PASSES for each, alternated so all see the same machine. */
	for (pass = 0; pass < PASSES; pass++) {
		t0 = now();
		for (k = 0; k < iters; k++) {
			i = (size_t)k % n;
			memcpy(sink, replies[i], lens[i] + 1);
			checksum += (unsigned char)sink[lens[i] / 2];
		}
		s = now() - t0;
		copy_s = s < copy_s ? s : copy_s;
		s = annotate_pass(plain, replies, lens, n, iters, &checksum);
		plain_s = s < plain_s ? s : plain_s;
		s = annotate_pass(t, replies, lens, n, iters, &checksum);
		ann_s = s < ann_s ? s : ann_s;
	}
	printf("replies in the set:        %zu distinct\n", n);
	printf("iterations per pass:       %ld (best of %d passes)\n", iters,
	       PASSES);
	printf("plain copy:                %12.0f replies/s\n",
	       (double)iters / copy_s);
	printf("parse+annotate+render:     %12.0f annotations/s (codes only)\n",
	       (double)iters / plain_s);
	printf("  with causes:             %12.0f annotations/s (%zu causes)\n",
	       (double)iters / ann_s, codetable_ncauses(t));
	printf("ratio (annotate / copy):   %12.1fx slower\n", ann_s / copy_s);
	printf("ratio (causes / codes only): %10.2f\n", plain_s / ann_s);
	printf("goal: above 1,000,000 annotations/s on one core (codes "
	       "only): %s\n",
	       (double)iters / plain_s > 1e6 ? "met" : "NOT met");
	printf("goal: above 500,000 annotations/s on one core with causes: "
	       "%s\n",
	       (double)iters / ann_s > 5e5 ? "met" : "NOT met");
	printf("(checksum %zu)\n", checksum);
	codetable_free(plain);
	codetable_free(t);
	return 0;
}
