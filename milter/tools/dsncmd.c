/*
 * dsncmd - milter-annotate dsn: what the milter does to a bounce, on the
 * command line, for trying it and for scripts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/dsn.h"
#include "bounce/dsnrender.h"
#include "tools/dsncmd.h"

#define PROG "milter-annotate"

/* The whole of fp, malloc'd; NULL with errno set on a read error. */
static char *
slurp(FILE *fp, size_t *len)
{
	size_t cap = 65536, n = 0, k;
	char *buf = malloc(cap), *grown;

	while (buf != NULL && (k = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += k;
		if (n == cap) {
			if ((grown = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (buf != NULL && ferror(fp)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* The header block's own line ending (the body may differ). */
static const char *
header_eol(const char *msg, size_t headers_end)
{
	return headers_end >= 2 && msg[headers_end - 1] == '\n' &&
	               msg[headers_end - 2] == '\r'
	           ? "\r\n"
	           : "\n";
}

/* The HTML part alone, as it is in the message. */
static int
write_html(const struct dsn_result *res, const struct config *c,
           const char *path)
{
	const struct lang *L = lang_find(c->dsn_language);
	GString *html = dsn_render_html(res->d, res->x, L ? L : lang_at(0));
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL) {
		fprintf(stderr, "%s: dsn: %s: %s\n", PROG, path,
		        strerror(errno));
		g_string_free(html, TRUE);
		return -1;
	}
	fwrite(html->str, 1, html->len, f);
	bad = ferror(f) | (fclose(f) != 0);
	g_string_free(html, TRUE);
	if (bad)
		fprintf(stderr, "%s: dsn: %s: write error\n", PROG, path);
	return bad ? -1 : 0;
}

static int
emit(const char *msg, size_t len, const struct dsn_result *res)
{
	const char *eol;

	if (res->outcome != DSN_ANNOTATED) {
		fwrite(msg, 1, len, stdout);
	} else {
		/* The headers, the mark last among them (as the MTA adds
		 * it), the blank line, the new body. */
		eol = header_eol(msg, res->headers_end);
		fwrite(msg, 1, res->headers_end, stdout);
		printf("%s: %s%s", DSN_HEADER, DSN_MARK, eol);
		fwrite(msg + res->headers_end, 1,
		       res->d->body_off - res->headers_end, stdout);
		fwrite(res->body, 1, res->len, stdout);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: dsn: write error\n", PROG);
		return 2;
	}
	return 0;
}

int
dsncmd_main(const struct config *c, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"html", required_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *html = NULL, *path = NULL;
	struct dsn_result res;
	FILE *in = stdin;
	char *msg;
	size_t len = 0;
	int ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (ch != 'h') {
			fprintf(stderr, "%s: usage: dsn [--html FILE] [FILE]\n",
			        PROG);
			return 2;
		}
		html = optarg;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "%s: usage: dsn [--html FILE] [FILE]\n", PROG);
		return 2;
	}
	if (optind < argc && strcmp(argv[optind], "-") != 0) {
		path = argv[optind];
		if ((in = fopen(path, "rb")) == NULL) {
			fprintf(stderr, "%s: dsn: %s: %s\n", PROG, path,
			        strerror(errno));
			return 2;
		}
	}
	msg = slurp(in, &len);
	if (in != stdin)
		fclose(in);
	if (msg == NULL) {
		fprintf(stderr, "%s: dsn: %s: read error\n", PROG,
		        path ? path : "standard input");
		return 2;
	}
	dsn_init();
	memset(&res, 0, sizeof(res));
	if (len > c->dsn_max_size) {
		res.outcome = DSN_UNCHANGED;
		snprintf(res.why, sizeof(res.why),
		         "larger than dsn_max_size (%zu bytes)",
		         c->dsn_max_size);
	} else if (c->dsn)
		dsn_annotate(msg, len, c, NULL, &res);
	else
		res.outcome = DSN_NOT_DSN;
	if (res.outcome == DSN_UNCHANGED)
		fprintf(stderr, "%s: dsn: passed unchanged: %s\n", PROG,
		        res.why);
	rc = emit(msg, len, &res);
	if (html != NULL && res.outcome == DSN_ANNOTATED &&
	    write_html(&res, c, html) != 0)
		rc = 2;
	dsn_result_free(&res);
	dsn_shutdown();
	free(msg);
	return rc;
}
