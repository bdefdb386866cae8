/*
 * replycheck - check SMTP replies against the properties every reply
 * milter-annotate emits must have (RFC 5321 section 4.2, RFC 2034):
 *
 *   - every line starts with the same three-digit code, then '-' on
 *     every line but the last and ' ' (or the end of the line) on it;
 *   - a 4xx/5xx reply has an enhanced code (class.subject.detail, one to
 *     three digits each) on every line, its class the code's first
 *     digit; a 2xx/3xx reply has one on every line or on none, likewise;
 *   - every line is printable ASCII (0x20..0x7e) and at most 512 octets
 *     with its CRLF.
 *
 * usage: replycheck [-t | -m] [-1] [-q] [FILE...]     (default: stdin)
 *
 *   (default)  the input is reply lines as a client reads them, CR LF or
 *              LF ended; a line whose fourth character is not '-' ends a
 *              reply
 *   -t         a swaks transcript: only the server's lines ("<-  " and
 *              "<** ") are read, without that prefix; the greeting and
 *              the replies to HELO and EHLO (client lines " -> ") need
 *              no enhanced code, as RFC 2034 section 3 exempts them
 *   -m         mtadriver's output (or bench_milter -y): the reply-code
 *              answers ("y " lines, data made printable) are read as they
 *              go on the milter protocol: lines joined by CRLF, one NUL at
 *              the end, '%' doubled (a single '%' is a violation)
 *   -1         the input must be exactly one reply, a 4xx/5xx one
 *   -q         print nothing, only the exit status
 *
 * Each violation is printed on stdout: "replycheck: FILE:LINE: WHAT: TEXT"
 * (LINE the input line). Exit status: 0 if every reply is valid, 1 if
 * any is not (or, with -1, there is not exactly one refusal), 2 on a
 * usage or input error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LINE_MAX_OCTETS 512 /* with CRLF */

static struct {
	int transcript, milter, one, quiet;
	int exempt; /* -t: the greeting, or the reply to HELO/EHLO */
	const char *file;
	unsigned long lineno; /* of the input */
	unsigned long problems, replies, refusals;
} R;

/* The reply being read: its lines, each with the input line it came on. */
struct reply {
	char **line;
	unsigned long *at;
	size_t n, cap;
};

static void
problem(unsigned long at, const char *what, const char *text)
{
	R.problems++;
	if (R.quiet)
		return;
	printf("replycheck: %s:%lu: %s", R.file, at, what);
	if (text != NULL) {
		fputs(": ", stdout);
		for (; *text != '\0'; text++)
			if (*text >= 0x20 && *text < 0x7f)
				putchar(*text);
			else
				printf("\\x%02x", (unsigned char)*text);
	}
	putchar('\n');
}

static int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of an enhanced code at s ("5.7.1" then ' ' or end), or 0. */
static size_t
ecode_len(const char *s)
{
	size_t i = 0, part, k;

	for (part = 0; part < 3; part++) {
		if (part > 0 && s[i++] != '.')
			return 0;
		for (k = 0; k < 3 && digit(s[i]); k++)
			i++;
		if (k == 0 || (part == 0 && k != 1))
			return 0;
	}
	return s[i] == ' ' || s[i] == '\0' ? i : 0;
}

static void
check_reply(struct reply *rp)
{
	char code[4], buf[160];
	int enh_first = 0, refusal;
	size_t i, el;

	if (rp->n == 0)
		return;
	R.replies++;
	memcpy(code, rp->line[0], 3);
	code[3] = '\0';
	if (!digit(code[0]) || !digit(code[1]) || !digit(code[2]) ||
	    code[0] < '2' || code[0] > '5') {
		problem(rp->at[0], "no reply code", rp->line[0]);
		return;
	}
	refusal = code[0] == '4' || code[0] == '5';
	if (refusal)
		R.refusals++;
	for (i = 0; i < rp->n; i++) {
		const char *l = rp->line[i];
		const unsigned char *u;
		size_t len = strlen(l);
		char sep = i + 1 < rp->n ? '-' : ' ';

		if (strncmp(l, code, 3) != 0) {
			snprintf(buf, sizeof(buf), "code is not %s", code);
			problem(rp->at[i], buf, l);
		}
		if (i + 1 < rp->n ? l[3] != '-'
		                  : !(l[3] == ' ' || l[3] == '\0')) {
			snprintf(buf, sizeof(buf),
			         "character 4 is not '%c' (%s line)", sep,
			         i + 1 < rp->n ? "not the last" : "the last");
			problem(rp->at[i], buf, l);
		}
		if (len + 2 > LINE_MAX_OCTETS) {
			snprintf(buf, sizeof(buf),
			         "%zu octets with CRLF (> %d)", len + 2,
			         LINE_MAX_OCTETS);
			problem(rp->at[i], buf, NULL);
		}
		for (u = (const unsigned char *)l; *u != '\0'; u++)
			if (*u < 0x20 || *u > 0x7e) {
				problem(rp->at[i], "not printable ASCII", l);
				break;
			}
		el = len > 4 ? ecode_len(l + 4) : 0;
		if (i == 0)
			enh_first = el > 0;
		/* Required on a refusal; else all lines or none. */
		if (el == 0) {
			if (refusal && !R.exempt)
				problem(rp->at[i], "no enhanced code", l);
			else if (enh_first)
				problem(rp->at[i],
				        "no enhanced code (line 1 has one)", l);
		} else if (l[4] != code[0]) {
			snprintf(buf, sizeof(buf),
			         "enhanced code class is not %c", code[0]);
			problem(rp->at[i], buf, l);
		} else if ((!refusal || R.exempt) && !enh_first) {
			problem(rp->at[i], "enhanced code (line 1 has none)",
			        l);
		}
	}
}

static void
reply_add(struct reply *rp, const char *line, unsigned long at)
{
	if (rp->n == rp->cap) {
		rp->cap = rp->cap ? 2 * rp->cap : 16;
		rp->line = realloc(rp->line, rp->cap * sizeof(*rp->line));
		rp->at = realloc(rp->at, rp->cap * sizeof(*rp->at));
		if (rp->line == NULL || rp->at == NULL) {
			fprintf(stderr, "replycheck: out of memory\n");
			exit(2);
		}
	}
	if ((rp->line[rp->n] = strdup(line)) == NULL) {
		fprintf(stderr, "replycheck: out of memory\n");
		exit(2);
	}
	rp->at[rp->n++] = at;
}

static void
reply_clear(struct reply *rp)
{
	size_t i;

	for (i = 0; i < rp->n; i++)
		free(rp->line[i]);
	rp->n = 0;
}

/* One client-side line: it continues the reply or ends it. */
static void
smtp_line(struct reply *rp, const char *line, unsigned long at)
{
	reply_add(rp, line, at);
	if (strlen(line) < 4 || line[3] != '-') {
		check_reply(rp);
		reply_clear(rp);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A "y" line of mtadriver: decode its printable form, check the wire form
 * (CRLF between lines, one NUL at the end, '%' doubled), then the reply
 * as the client will see it (the MTA undoes the doubling).
 */
static void
milter_line(struct reply *rp, const char *s, unsigned long at)
{
	size_t n = strlen(s), o = 0, i;
	char *d = malloc(n + 1), *line, *end;
	int h, l;

	if (d == NULL) {
		fprintf(stderr, "replycheck: out of memory\n");
		exit(2);
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			d[o++] = s[i];
		} else if (s[i + 1] == '0') {
			d[o++] = '\0';
			i++;
		} else if (s[i + 1] == '\\') {
			d[o++] = '\\';
			i++;
		} else if (s[i + 1] == 'x' && (h = hexval(s[i + 2])) >= 0 &&
		           (l = hexval(s[i + 3])) >= 0) {
			d[o++] = (char)(h << 4 | l);
			i += 3;
		} else {
			problem(at, "bad escape in the input", s);
			free(d);
			return;
		}
	}
	if (o == 0 || d[o - 1] != '\0' || memchr(d, '\0', o - 1) != NULL) {
		problem(at, "the reply's data is not one NUL-terminated string",
		        s);
		free(d);
		return;
	}
	/* Lines: split at CRLF; a lone CR or LF is a violation. */
	for (line = d;; line = end + 2) {
		char *w, *r;

		end = strstr(line, "\r\n");
		if (end != NULL)
			*end = '\0';
		if (strpbrk(line, "\r\n") != NULL) {
			problem(at, "a CR or LF that is not a line end", line);
		}
		/* '%%' is one '%' for the MTA; '%' alone is not allowed. */
		for (r = w = line; *r != '\0'; r++) {
			*w++ = *r;
			if (*r == '%') {
				if (r[1] != '%') {
					problem(at, "a single '%' on the wire",
					        line);
				} else {
					r++;
				}
			}
		}
		*w = '\0';
		reply_add(rp, line, at);
		if (end == NULL)
			break;
	}
	free(d);
	check_reply(rp);
	reply_clear(rp);
}

static void
read_input(FILE *fp)
{
	struct reply rp = {NULL, NULL, 0, 0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	R.lineno = 0;
	R.exempt = R.transcript;
	while ((n = getline(&line, &cap, fp)) >= 0) {
		R.lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (R.milter) {
			if (strncmp(line, "y ", 2) == 0)
				milter_line(&rp, line + 2, R.lineno);
			continue;
		}
		if (R.transcript) {
			if (strncmp(line, "<-  ", 4) == 0 ||
			    strncmp(line, "<** ", 4) == 0) {
				smtp_line(&rp, line + 4, R.lineno);
				/* Only the first reply is the greeting. */
				if (rp.n == 0)
					R.exempt = 0;
			} else if (strncmp(line, " -> ", 4) == 0) {
				R.exempt =
				    strncasecmp(line + 4, "HELO", 4) == 0 ||
				    strncasecmp(line + 4, "EHLO", 4) == 0;
			}
			continue;
		}
		smtp_line(&rp, line, R.lineno);
	}
	if (rp.n > 0) {
		problem(rp.at[rp.n - 1],
		        "the reply ends without a last line (\"DDD \")",
		        rp.line[rp.n - 1]);
		reply_clear(&rp);
	}
	free(line);
	free(rp.line);
	free(rp.at);
}

int
main(int argc, char **argv)
{
	FILE *fp;
	int c, i;

	while ((c = getopt(argc, argv, "tm1q")) != -1) {
		switch (c) {
		case 't':
			R.transcript = 1;
			break;
		case 'm':
			R.milter = 1;
			break;
		case '1':
			R.one = 1;
			break;
		case 'q':
			R.quiet = 1;
			break;
		default:
			fprintf(stderr, "usage: replycheck [-t | -m] [-1] [-q] "
			                "[FILE...]\n");
			return 2;
		}
	}
	if (R.transcript && R.milter) {
		fprintf(stderr, "replycheck: -t and -m exclude each other\n");
		return 2;
	}
	if (optind == argc) {
		R.file = "-";
		read_input(stdin);
	}
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			fp = stdin;
		} else if ((fp = fopen(argv[i], "r")) == NULL) {
			perror(argv[i]);
			return 2;
		}
		R.file = argv[i];
		read_input(fp);
		if (fp != stdin)
			fclose(fp);
	}
	if (R.one && (R.replies != 1 || R.refusals != 1)) {
		if (!R.quiet)
			printf("replycheck: %lu replies, %lu of them 4xx/5xx: "
			       "want exactly one 4xx/5xx reply\n",
			       R.replies, R.refusals);
		return 1;
	}
	return R.problems > 0 ? 1 : 0;
}
