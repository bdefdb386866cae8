/*
 * htmlsite - export html: the folders, the stylesheet, every page of
 * every language, the sitemap.
 *
 *   DIR/index.html                  language chooser
 *   DIR/style.css                   one stylesheet for all
 *   DIR/LANG/index.html             every code, cause and comparison
 *   DIR/LANG/code|cause|compare/    one page each (helppath.h)
 *   DIR/sitemap.txt                 absolute URLs, with --base-url only
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "site/htmlpages.h"
#include "site/htmlsite.h"

/* milter/site/site.css, linked in by milter/site/site_css.S. */
extern const char site_css[];

static void __attribute__((format(printf, 3, 4)))
why(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

/* "en,ar,ru": known languages, each once. */
static int
parse_langs(struct html_site *s, const char *list, char *err, size_t cap)
{
	const struct lang *L;
	char code[8];
	const char *p = list, *end;
	size_t i, n;

	if (list == NULL) {
		for (i = 0; i < lang_count() && i < HTML_LANGS_MAX; i++)
			s->langs[s->nlangs++] = lang_at(i);
		return 0;
	}
	for (;; p = end + 1) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n >= sizeof(code)) {
			why(err, cap, "bad --lang list '%s' (e.g. en,ar,ru,zh)",
			    list);
			return -1;
		}
		memcpy(code, p, n);
		code[n] = '\0';
		if ((L = lang_find(code)) == NULL) {
			why(err, cap, "unknown language '%s' (en, ar, ru, zh)",
			    code);
			return -1;
		}
		for (i = 0; i < s->nlangs; i++)
			if (s->langs[i] == L)
				break;
		if (i == s->nlangs && s->nlangs < HTML_LANGS_MAX)
			s->langs[s->nlangs++] = L;
		if (end == NULL)
			return 0;
	}
}

/* http(s)://, printable, no spaces or quotes; a trailing '/' dropped. */
static char *
check_base_url(const char *url, char *err, size_t cap)
{
	const char *p;
	char *copy;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		why(err, cap, "--base-url must start with http:// or https://");
		return NULL;
	}
	for (p = url; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p) || *p == '"' || *p == '<' ||
		    *p == '>' || *p == '\\') {
			why(err, cap,
			    "--base-url has a character a URL cannot "
			    "have unencoded");
			return NULL;
		}
	if ((copy = strdup(url)) == NULL) {
		why(err, cap, "out of memory");
		return NULL;
	}
	n = strlen(copy);
	while (n > 8 && copy[n - 1] == '/')
		copy[--n] = '\0';
	return copy;
}

static int
make_dir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0755) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return -1;
}

/* mkdir -p DIR, then each language's folders. */
static int
make_dirs(const struct html_site *s, char *err, size_t cap)
{
	static const char *const sub[] = {"", "/code", "/cause", "/compare"};
	char path[PATH_MAX], *p;
	size_t i, j;
	int n;

	n = snprintf(path, sizeof(path), "%s", s->dir);
	if (n <= 0 || (size_t)n >= sizeof(path) - 32) {
		why(err, cap, "%s: name too long", s->dir);
		return -1;
	}
	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (make_dir(path) != 0) {
			why(err, cap, "%s: %s", path, strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (make_dir(path) != 0) {
		why(err, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < s->nlangs; i++)
		for (j = 0; j < sizeof(sub) / sizeof(sub[0]); j++) {
			snprintf(path, sizeof(path), "%s/%s%s", s->dir,
			         s->langs[i]->code, sub[j]);
			if (make_dir(path) != 0) {
				why(err, cap, "%s: %s", path, strerror(errno));
				return -1;
			}
		}
	return 0;
}

/* A whole small file, put in place by rename. */
static int
write_file(const char *dir, const char *name, const char *text, char *err,
           size_t cap)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if ((f = fopen(tmp, "w")) == NULL) {
		why(err, cap, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	fputs(text, f);
	bad = ferror(f);
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		why(err, cap, "%s: %s", path,
		    bad ? "write error" : strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
write_language(struct html_ctx *x, const struct lang *L)
{
	size_t i;

	for (i = 0; i < codetable_size(x->t); i++)
		if (htmlpage_code(x, L, codetable_at(x->t, i)) != 0)
			return -1;
	for (i = 0; i < codetable_ncauses(x->t); i++)
		if (htmlpage_cause(x, L, codetable_cause_at(x->t, i)) != 0)
			return -1;
	for (i = 0; i < x->npairs; i++)
		if (htmlpage_compare(x, L, &x->pairs[i]) != 0)
			return -1;
	return htmlpage_index(x, L);
}

static int
write_pages(struct html_ctx *x, char *err, size_t cap)
{
	size_t i;

	for (i = 0; i < x->site.nlangs; i++)
		if (write_language(x, x->site.langs[i]) != 0) {
			why(err, cap, "%s/%s: %s", x->site.dir,
			    x->site.langs[i]->code, strerror(errno));
			return -1;
		}
	if (htmlpage_top(x) != 0) {
		why(err, cap, "%s/index.html: %s", x->site.dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

long
htmlsite_export(const struct codetable *t, const struct htmlsite_opts *o,
                char *err, size_t cap)
{
	struct html_ctx x;
	struct code_pair *pairs = NULL;
	char *base = NULL, smtmp[PATH_MAX], smpath[PATH_MAX];
	long rc = -1;

	memset(&x, 0, sizeof(x));
	x.t = t;
	x.site.dir = o->dir;
	smtmp[0] = '\0';
	if (parse_langs(&x.site, o->langs, err, cap) != 0)
		return -1;
	if (o->base_url != NULL &&
	    (base = check_base_url(o->base_url, err, cap)) == NULL)
		return -1;
	x.site.base_url = base;
	if (related_pairs(t, &pairs, &x.npairs) != 0) {
		why(err, cap, "out of memory");
		goto out;
	}
	x.pairs = pairs;
	if (make_dirs(&x.site, err, cap) != 0 ||
	    write_file(o->dir, "style.css", site_css, err, cap) != 0)
		goto out;
	if (base != NULL) {
		snprintf(smpath, sizeof(smpath), "%s/sitemap.txt", o->dir);
		snprintf(smtmp, sizeof(smtmp), "%s/.sitemap.txt.tmp", o->dir);
		if ((x.site.sitemap = fopen(smtmp, "w")) == NULL) {
			why(err, cap, "%s: %s", smtmp, strerror(errno));
			smtmp[0] = '\0';
			goto out;
		}
	}
	if (write_pages(&x, err, cap) != 0)
		goto out;
	if (x.site.sitemap != NULL) {
		int bad = ferror(x.site.sitemap);

		bad |= fclose(x.site.sitemap) != 0;
		x.site.sitemap = NULL;
		if (bad || rename(smtmp, smpath) != 0) {
			why(err, cap, "%s: write error", smpath);
			goto out;
		}
		smtmp[0] = '\0';
	}
	rc = (long)x.site.pages;
out:
	if (x.site.sitemap != NULL)
		fclose(x.site.sitemap);
	if (smtmp[0] != '\0')
		unlink(smtmp);
	free(pairs);
	free(base);
	return rc;
}
