/*
 * html - the frame every help page shares (see html.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "site/html.h"

void
html_esc(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

const char *
html_en(const struct html_page *p)
{
	if (strcmp(p->L->code, "en") == 0)
		return "";
	return p->L->rtl ? " lang=\"en\" dir=\"ltr\"" : " lang=\"en\"";
}

/* "../" once per folder in rel: the way back from the page. */
static int
ups(const char *rel, int extra, char *dst, size_t cap)
{
	size_t n = 0;
	const char *p;

	dst[0] = '\0';
	for (p = rel; (p = strchr(p, '/')) != NULL; p++)
		extra++;
	for (; extra > 0; extra--) {
		if (n + 4 > cap)
			return -1;
		memcpy(dst + n, "../", 4);
		n += 3;
	}
	return 0;
}

static int
set_paths(struct html_page *p)
{
	const char *sep = p->folder != NULL ? "/" : "";
	const char *folder = p->folder != NULL ? p->folder : "";
	const char *slash = strrchr(p->rel, '/');
	const char *base = slash != NULL ? slash + 1 : p->rel;
	int n, m;

	n = snprintf(p->path, sizeof(p->path), "%s/%s%s%s", p->site->dir,
	             folder, sep, p->rel);
	m = snprintf(p->tmp, sizeof(p->tmp), "%s/%s%s%.*s.%s.tmp", p->site->dir,
	             folder, sep, (int)(base - p->rel), p->rel, base);
	if (n < 0 || (size_t)n >= sizeof(p->path) || m < 0 ||
	    (size_t)m >= sizeof(p->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (ups(p->rel, 0, p->up, sizeof(p->up)) != 0 ||
	    ups(p->rel, p->folder != NULL, p->top, sizeof(p->top)) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static void
head(struct html_page *p, const char *title)
{
	const struct html_site *s = p->site;
	size_t i;

	fprintf(p->f,
	        "<!DOCTYPE html>\n<html lang=\"%s\" dir=\"%s\">\n<head>\n"
	        "<meta charset=\"utf-8\">\n"
	        "<meta name=\"viewport\" content=\"width=device-width, "
	        "initial-scale=1\">\n<title>",
	        p->L->code, p->L->rtl ? "rtl" : "ltr");
	html_esc(p->f, title);
	fputs(" – ", p->f);
	html_esc(p->f, p->L->t[LT_SITE]);
	fprintf(p->f,
	        "</title>\n<link rel=\"stylesheet\" href=\"%sstyle.css\">\n",
	        p->top);
	if (s->base_url != NULL) {
		fputs("<link rel=\"canonical\" href=\"", p->f);
		html_esc(p->f, s->base_url);
		fprintf(p->f, "/%s%s%s\">\n", p->folder ? p->folder : "",
		        p->folder ? "/" : "", p->rel);
	}
	for (i = 0; p->folder != NULL && i < s->nlangs; i++)
		if (s->langs[i] != p->L)
			fprintf(p->f,
			        "<link rel=\"alternate\" hreflang=\"%s\" "
			        "href=\"%s%s/%s\">\n",
			        s->langs[i]->code, p->top, s->langs[i]->code,
			        p->rel);
	fputs("</head>\n", p->f);
}

/* The same page in each exported language; the current one marked. */
static void
lang_links(struct html_page *p)
{
	const struct html_site *s = p->site;
	const struct lang *o;
	size_t i;

	fputs("<ul class=\"langs\" aria-label=\"", p->f);
	html_esc(p->f, p->L->t[LT_LANGS]);
	fputs("\">\n", p->f);
	for (i = 0; i < s->nlangs; i++) {
		o = s->langs[i];
		fprintf(
		    p->f,
		    "<li><a href=\"%s%s/%s\" hreflang=\"%s\" lang=\"%s\" "
		    "dir=\"%s\"%s>",
		    p->top, o->code, p->folder != NULL ? p->rel : "index.html",
		    o->code, o->code, o->rtl ? "rtl" : "ltr",
		    o == p->L && p->folder != NULL ? " aria-current=\"page\""
		                                   : "");
		html_esc(p->f, o->name);
		fputs("</a></li>\n", p->f);
	}
	fputs("</ul>\n", p->f);
}

static void
header(struct html_page *p)
{
	const char *home = p->folder != NULL ? p->up : "";

	fputs("<body>\n<a class=\"skip\" href=\"#main\">", p->f);
	html_esc(p->f, p->L->t[LT_SKIP]);
	fputs("</a>\n<header class=\"site\">\n<p class=\"brand\">", p->f);
	fprintf(p->f, "<a href=\"%sindex.html\">", home);
	html_esc(p->f, p->L->t[LT_SITE]);
	fputs("</a></p>\n<nav aria-label=\"", p->f);
	html_esc(p->f, p->L->t[LT_NAV]);
	fputs("\">\n", p->f);
	if (p->folder != NULL) {
		fprintf(p->f,
		        "<ul class=\"home\">\n<li><a href=\"%sindex.html\"%s>",
		        p->up,
		        strcmp(p->rel, "index.html") == 0
		            ? " aria-current=\"page\""
		            : "");
		html_esc(p->f, p->L->t[LT_HOME]);
		fputs("</a></li>\n</ul>\n", p->f);
	}
	lang_links(p);
	fputs("</nav>\n</header>\n<main id=\"main\">\n", p->f);
}

int
html_begin(struct html_page *p, struct html_site *s, const struct lang *L,
           const char *folder, const char *rel, const char *title)
{
	memset(p, 0, sizeof(*p));
	p->site = s;
	p->L = L;
	p->folder = folder;
	if (strlen(rel) >= sizeof(p->rel)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(p->rel, rel);
	if (set_paths(p) != 0)
		return -1;
	if ((p->f = fopen(p->tmp, "w")) == NULL)
		return -1;
	head(p, title);
	header(p);
	return 0;
}

void
html_abort(struct html_page *p)
{
	if (p->f != NULL) {
		fclose(p->f);
		p->f = NULL;
		unlink(p->tmp);
	}
}

int
html_end(struct html_page *p)
{
	struct html_site *s = p->site;
	int bad;

	fprintf(p->f,
	        "</main>\n<footer class=\"site\">\n<p>milter-annotate %s</p>\n"
	        "</footer>\n</body>\n</html>\n",
	        MA_VERSION);
	bad = ferror(p->f);
	if (fclose(p->f) != 0)
		bad = 1;
	else if (bad)
		errno = EIO;
	p->f = NULL;
	if (bad) {
		unlink(p->tmp);
		return -1;
	}
	if (rename(p->tmp, p->path) != 0) {
		unlink(p->tmp);
		return -1;
	}
	if (s->sitemap != NULL)
		fprintf(s->sitemap, "%s/%s%s%s\n", s->base_url,
		        p->folder ? p->folder : "", p->folder ? "/" : "",
		        p->rel);
	s->pages++;
	return 0;
}
