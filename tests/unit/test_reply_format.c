/*
 * test_reply_format - the formatter's guarantees (include/core/reply.h).
 *
 * One validator checks the wire text of every reply the tests produce:
 * one code on every line, '-' on all lines but the last, the enhanced code
 * (same class as the code) on every line when there is one, at most
 * REPLY_MAX_LINES lines of at most REPLY_WIRE_MAX octets and width + 2
 * octets with CRLF, printable ASCII only. A second check reads the
 * annotated reply's sections: the original text (or the entry's name when
 * generic), "Explanation: ", "How to fix: ", then the site lines.
 */
#include "unit.h"

#include "../replyline.h"
#include "core/codetable.h"
#include "core/replyfmt.h"
#include "core/template.h"

#define WIRE_CAP (REPLY_MAX_LINES * (REPLY_WIRE_MAX + 2) + 1)
#define SQ_CAP   (REPLY_MAX_LINES * REPLY_WIRE_MAX + REPLY_TEXT_MAX * 2)

static struct codetable *table;

static int
setup(void **state)
{
	struct diag d;

	(void)state;
	diag_init(&d);
	table = codetable_load_builtin(&d);
	return table != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	codetable_free(table);
	return 0;
}

/* The wire text split into lines, each line's text after the codes. */
struct wire {
	size_t n;
	const char *text[REPLY_MAX_LINES + 1];
	char buf[WIRE_CAP];
};

/* Quiet after this many failures, for the randomized run. */
static int quiet_after = 1000;
static int reported;

#define VCHECK(nfail, cname, cond, ...)                                        \
	do {                                                                   \
		if (!(cond)) {                                                 \
			if (reported++ < quiet_after)                          \
				EXPECT(nfail, cname, 0, __VA_ARGS__);          \
			else                                                   \
				(nfail)++;                                     \
		}                                                              \
	} while (0)

static int
is_ecode(const char *p, size_t n)
{
	size_t i = 0, k;
	int part;

	if (n < 5 || p[0] < '0' || p[0] > '9' || p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++, k++)
			;
		if (k == 0 || k > 3)
			return 0;
		if (part == 0 && (i >= n || p[i++] != '.'))
			return 0;
	}
	return i == n;
}

/*
 * Check the wire text (reply_render with "\r\n") of o. want_ecode: every
 * line must carry an enhanced code. Fills w with the lines' texts.
 */

static int
validate(const char *cname, const struct reply_out *o, unsigned width,
         bool want_ecode, struct wire *w)
{
	size_t len, i, k, ll, elen = 0, nlines;
	char *p, *end, *eol, *sp;
	char ecode[REPLY_ECODE_MAX] = "";
	int nfail = 0;

	/* Widths outside the limits are taken as the nearest limit. */
	if (width < REPLY_WIDTH_MIN)
		width = REPLY_WIDTH_MIN;
	if (width > REPLY_WIDTH_MAX)
		width = REPLY_WIDTH_MAX;
	memset(w, 0, sizeof(*w));
	len = reply_render(o, "\r\n", w->buf, sizeof(w->buf));
	VCHECK(nfail, cname, len > 0 && len < sizeof(w->buf),
	       "rendered length %zu", len);
	if (len == 0 || len >= sizeof(w->buf))
		return nfail;
	VCHECK(nfail, cname, strlen(w->buf) == len,
	       "NUL inside the wire text (strlen %zu, length %zu)",
	       strlen(w->buf), len);
	VCHECK(nfail, cname,
	       len >= 2 && memcmp(w->buf + len - 2, "\r\n", 2) == 0,
	       "wire text does not end with CRLF");
	nlines = o->nlines > 0 ? o->nlines : 1;
	VCHECK(nfail, cname, o->nlines <= REPLY_MAX_LINES, "nlines %zu",
	       o->nlines);
	VCHECK(nfail, cname,
	       strlen(o->code) == 3 && o->code[0] >= '2' && o->code[0] <= '5',
	       "code \"%s\"", o->code);
	if (!want_ecode)
		VCHECK(nfail, cname, o->ecode[0] == '\0',
		       "enhanced code \"%s\" where none is wanted", o->ecode);
	p = w->buf;
	end = w->buf + len;
	for (i = 0; p < end; i++) {
		for (eol = p; eol < end && *eol != '\r' && *eol != '\n'; eol++)
			;
		VCHECK(nfail, cname,
		       eol + 1 < end && eol[0] == '\r' && eol[1] == '\n',
		       "line %zu: lone CR or LF", i + 1);
		if (eol + 1 >= end || eol[0] != '\r' || eol[1] != '\n')
			return nfail;
		ll = (size_t)(eol - p) + 2;
		VCHECK(nfail, cname, i < REPLY_MAX_LINES, "more than %d lines",
		       REPLY_MAX_LINES);
		if (i >= REPLY_MAX_LINES)
			return nfail;
		VCHECK(nfail, cname, ll <= REPLY_WIRE_MAX,
		       "line %zu: %zu octets with CRLF", i + 1, ll);
		/* Over the width only for one long word alone (a URL). */
		VCHECK(nfail, cname,
		       ll <= width + 2 || (replyline_one_word(p, eol) &&
		                           ll <= REPLY_WIDTH_MAX + 2),
		       "line %zu: %zu octets with CRLF, width %u", i + 1, ll,
		       width);
		for (k = 0; p + k < eol; k++)
			if ((unsigned char)p[k] < 0x20 ||
			    (unsigned char)p[k] > 0x7e) {
				VCHECK(nfail, cname, 0,
				       "line %zu: byte 0x%02x at %zu", i + 1,
				       (unsigned char)p[k], k);
				break;
			}
		VCHECK(nfail, cname, ll >= 6 && memcmp(p, o->code, 3) == 0,
		       "line %zu: does not start with code %s", i + 1, o->code);
		if (ll < 6)
			return nfail;
		VCHECK(nfail, cname, p[3] == (i + 1 < nlines ? '-' : ' '),
		       "line %zu: separator '%c'", i + 1, p[3]);
		sp = p + 4;
		if (want_ecode) {
			for (elen = 0; sp + elen < eol && sp[elen] != ' ';
			     elen++)
				;
			VCHECK(nfail, cname, is_ecode(sp, elen),
			       "line %zu: no enhanced code", i + 1);
			VCHECK(nfail, cname, elen > 0 && sp[0] == p[0],
			       "line %zu: enhanced class '%c', code %c", i + 1,
			       elen > 0 ? sp[0] : '?', p[0]);
			if (i == 0 && elen < sizeof(ecode)) {
				memcpy(ecode, sp, elen);
				ecode[elen] = '\0';
			}
			VCHECK(nfail, cname,
			       strlen(ecode) == elen &&
			           memcmp(ecode, sp, elen) == 0,
			       "line %zu: enhanced code differs from line 1",
			       i + 1);
			VCHECK(nfail, cname,
			       strlen(o->ecode) == elen &&
			           memcmp(o->ecode, sp, elen) == 0,
			       "line %zu: enhanced code is not out's \"%s\"",
			       i + 1, o->ecode);
			sp += elen;
			if (sp < eol) {
				VCHECK(
				    nfail, cname, *sp == ' ' && sp + 1 < eol,
				    "line %zu: nothing after the codes' space",
				    i + 1);
				sp++;
			}
		}
		if (i < REPLY_MAX_LINES) {
			w->text[i] = sp;
			w->n = i + 1;
		}
		/* Lines are NUL-terminated in place for the section checks. */
		*eol = '\0';
		p = eol + 2;
	}
	VCHECK(nfail, cname, w->n == nlines, "%zu lines rendered, out has %zu",
	       w->n, nlines);
	return nfail;
}

/* Copy s without blanks and line breaks: wrapping may only move those. */
static size_t
squeeze(const char *s, char *dst, size_t cap)
{
	size_t n = 0;

	for (; *s != '\0' && n + 1 < cap; s++)
		if (*s != ' ' && *s != '\n')
			dst[n++] = *s;
	dst[n] = '\0';
	return n;
}

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_cut(const char *s)
{
	size_t n = strlen(s);

	return n >= 4 && strcmp(s + n - 4, " ...") == 0;
}

/*
 * Lines [from, to) hold a section led by lead: its text, squeezed, must be
 * want's, or a prefix of it ending in " ..." when cut.
 */
static int
check_section(const char *cname, const char *what, const struct wire *w,
              size_t from, size_t to, const char *lead, const char *want,
              bool may_cut, bool *was_cut)
{
	static char got[SQ_CAP], exp[SQ_CAP], joined[SQ_CAP];
	size_t i, n = 0, gl, el, tl;
	int nfail = 0;

	joined[0] = '\0';
	for (i = from; i < to; i++) {
		tl = strlen(w->text[i]);
		if (n + tl + 2 < sizeof(joined)) {
			memcpy(joined + n, w->text[i], tl);
			n += tl;
			joined[n++] = ' ';
			joined[n] = '\0';
		}
	}
	VCHECK(nfail, cname, from < to && starts(joined, lead),
	       "%s: does not start with \"%s\"", what, lead);
	if (from >= to || !starts(joined, lead))
		return nfail;
	gl = squeeze(joined + strlen(lead), got, sizeof(got));
	el = squeeze(want, exp, sizeof(exp));
	if (was_cut != NULL)
		*was_cut = false;
	if (gl == el && memcmp(got, exp, gl) == 0)
		return nfail;
	VCHECK(nfail, cname,
	       may_cut && gl >= 3 && n >= 5 &&
	           strcmp(joined + n - 5, " ... ") == 0,
	       "%s: text differs and is not marked cut: \"%.120s\"", what,
	       joined);
	if (gl >= 3)
		gl -= 3;
	VCHECK(nfail, cname, gl <= el && memcmp(got, exp, gl) == 0,
	       "%s: cut text is not a prefix of the original", what);
	if (was_cut != NULL)
		*was_cut = true;
	return nfail;
}

/* What the site lines expand to, for the section checks. */
struct site_want {
	const char *postmaster, *help, *reference; /* NULL when unset */
};

/*
 * The annotated reply's layout: text (or name), Explanation, How to fix,
 * then site lines in order. Site lines are whole or absent.
 */
static int
check_layout(const char *cname, const struct wire *w, const struct reply *r,
             const struct code_entry *e, bool generic,
             const struct site_want *sw, bool *text_cut)
{
	static const char *const leads[3] = {
	    "Postmaster: ", "Help: ", "Reference: "};
	const char *site[3] = {sw ? sw->postmaster : NULL, sw ? sw->help : NULL,
	                       sw ? sw->reference : NULL};
	size_t ie, ifx, i, k, s;
	char sq[64];
	int nfail = 0;
	/* A recognised cause's texts stand in for the code's (cause.h). */
	static char cexpl[CAUSE_TEXT_MAX], cfix[CAUSE_TEXT_MAX];
	const char *name = e->name, *expl = e->description, *fix = e->fix;
	struct cause_hit hit;

	cause_classify(codetable_causeset(table), r, &hit);
	if (hit.cause != NULL) {
		cause_expand(hit.cause->explanation, &hit, cexpl,
		             sizeof(cexpl));
		cause_expand(hit.cause->fix, &hit, cfix, sizeof(cfix));
		name = hit.cause->title;
		expl = cexpl;
		fix = cfix;
	}

	for (ie = 0; ie < w->n && !starts(w->text[ie], "Explanation: "); ie++)
		;
	for (ifx = ie; ifx < w->n && !starts(w->text[ifx], "How to fix: ");
	     ifx++)
		;
	VCHECK(nfail, cname, ie < w->n, "no \"Explanation: \" line");
	VCHECK(nfail, cname, ifx < w->n,
	       "no \"How to fix: \" line after the explanation");
	if (ie >= w->n || ifx >= w->n)
		return nfail;
	/* The original text (or name) comes first, whole or cut. */
	if (generic)
		nfail += check_section(cname, "name", w, 0, ie, "", name, false,
		                       NULL);
	else if (squeeze(r->text, sq, sizeof(sq)) > 0)
		nfail += check_section(cname, "text", w, 0, ie, "", r->text,
		                       true, text_cut);
	else
		VCHECK(nfail, cname, ie == 0,
		       "%zu line(s) before the "
		       "explanation of an empty text",
		       ie);
	for (i = ie + 1; i < ifx; i++)
		VCHECK(nfail, cname, starts(w->text[i], "  "),
		       "explanation line %zu is not indented", i + 1);
	nfail += check_section(cname, "explanation", w, ie, ifx,
	                       "Explanation: ", expl, true, NULL);
	for (k = ifx + 1; k < w->n && starts(w->text[k], "  "); k++)
		;
	nfail += check_section(cname, "fix", w, ifx, k, "How to fix: ", fix,
	                       true, NULL);
	/* Site lines: in order, each whole, nothing else. */
	for (s = 0; s < 3 && k < w->n; s++) {
		if (site[s] == NULL || !starts(w->text[k], leads[s]))
			continue;
		for (i = k + 1; i < w->n && starts(w->text[i], "  "); i++)
			;
		nfail += check_section(cname, leads[s], w, k, i, leads[s],
		                       site[s], false, NULL);
		k = i;
	}
	VCHECK(nfail, cname, k == w->n, "line %zu is out of place: \"%s\"",
	       k + 1, k < w->n ? w->text[k] : "");
	return nfail;
}

/* Site settings and the expected expansion of their templates. */
struct site_case {
	const char *postmaster, *help_url, *reference;
	const char *queue_id, *client_addr;
};

static void
expand_site(const struct site_case *sc, const struct reply_out *o,
            char exp[3][REPLY_WIRE_MAX], struct site_want *sw)
{
	const char *vals[TV_COUNT] = {o->code, o->ecode, sc->queue_id,
	                              sc->client_addr, NULL};

	memset(sw, 0, sizeof(*sw));
	if (sc->reference != NULL) {
		tmpl_expand(sc->reference, vals, exp[2], REPLY_WIRE_MAX);
		vals[TV_REFERENCE] = exp[2];
		sw->reference = exp[2];
	}
	if (sc->postmaster != NULL) {
		tmpl_expand(sc->postmaster, vals, exp[0], REPLY_WIRE_MAX);
		sw->postmaster = exp[0];
	}
	if (sc->help_url != NULL) {
		tmpl_expand(sc->help_url, vals, exp[1], REPLY_WIRE_MAX);
		sw->help = exp[1];
	}
}

/*
 * Parse, annotate, render, validate and read the layout of one reply.
 * Returns the number of failed checks; out and w are left for more.
 */
static int
run_one(const char *cname, const char *in, size_t len,
        const struct reply_site *site, const struct site_case *sc,
        struct reply *r, struct reply_out *o, struct wire *w, bool *text_cut)
{
	struct reply_vars vars = {NULL, NULL, NULL, NULL, NULL};
	char exp[3][REPLY_WIRE_MAX];
	struct site_want sw;
	enum reply_result res;
	bool want_ecode;
	int nfail = 0, cls;

	VCHECK(nfail, cname, reply_parse(r, in, len) == 0, "does not parse");
	if (nfail > 0)
		return nfail;
	if (sc != NULL) {
		vars.queue_id = sc->queue_id;
		vars.client_addr = sc->client_addr;
	}
	res = reply_annotate(r, table, site, sc != NULL ? &vars : NULL, o);
	cls = r->code / 100;
	if (cls != 4 && cls != 5) {
		VCHECK(nfail, cname, res == REPLY_PASSED, "result %d, want %d",
		       res, REPLY_PASSED);
		nfail +=
		    validate(cname, o, site->width, r->ecode[0] != '\0', w);
		return nfail;
	}
	VCHECK(nfail, cname, res == REPLY_ANNOTATED, "result %d, want %d", res,
	       REPLY_ANNOTATED);
	VCHECK(nfail, cname,
	       o->entry != NULL && o->entry == reply_pick(table, r),
	       "entry is not reply_pick's");
	want_ecode = r->ecode[0] != '\0' || site->add_enhanced_code;
	nfail += validate(cname, o, site->width, want_ecode, w);
	if (r->ecode[0] != '\0')
		VCHECK(nfail, cname, strcmp(o->ecode, r->ecode) == 0,
		       "ecode \"%s\", want \"%s\"", o->ecode, r->ecode);
	else if (site->add_enhanced_code)
		VCHECK(nfail, cname,
		       strlen(o->ecode) == 5 && o->ecode[0] == '0' + cls &&
		           strcmp(o->ecode + 1, ".0.0") == 0,
		       "ecode \"%s\", want \"%d.0.0\"", o->ecode, cls);
	if (nfail > 0 || o->entry == NULL)
		return nfail;
	if (sc != NULL)
		expand_site(sc, o, exp, &sw);
	else
		memset(&sw, 0, sizeof(sw));
	nfail += check_layout(cname, w, r, o->entry, site->generic,
	                      sc != NULL ? &sw : NULL, text_cut);
	return nfail;
}

/* Samples run at every width and setting. */
struct sample {
	const char *name;
	const char *in;
	size_t len; /* 0: built at run time into big[] */
};

#define IN(s) s, sizeof(s) - 1

static char big_text[10100], big_word[3100], big_pct[2600];

static const struct sample samples[] = {
    {"relaying denied", IN("550 5.7.1 Relaying denied")},
    {"gmail multi-line",
     IN("550-5.1.1 The email account that you tried to reach does not "
        "exist. Please try\r\n"
        "550-5.1.1 double-checking the recipient's email address for typos "
        "or\r\n"
        "550-5.1.1 unnecessary spaces. For more information, go to\r\n"
        "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser "
        "a1si2345678wrb.12 - gsmtp")},
    {"microsoft 5.7.606",
     IN("550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To "
        "request removal from this list please visit "
        "https://sender.office.com/ and follow the directions.")},
    {"10000-byte text", NULL, 0},
    {"3000-char word", NULL, 0},
    {"percent signs", NULL, 0},
    {"percent formats", IN("550 5.7.1 100% %s %n %d %% %%% %")},
    {"CR LF injected", IN("550 5.7.1 a\r\n250 ok\r\nb")},
    {"CR LF NUL injected", IN("550 5.7.1 a\rb\nc\0d\r\n\r\n421 e\0")},
    {"8-bit utf-8", IN("550 5.1.1 Empf\xc3\xa4nger unbekannt \xe2\x82\xac")},
    {"8-bit latin-1", IN("550 5.1.1 Empf\xe4nger unbekannt \xff\xfe")},
    {"no ecode 5xx", IN("550 Administrative prohibition")},
    {"no ecode 4xx", IN("421 mx.example.com Too many connections")},
    {"class mismatch 550 4.1.1", IN("550 4.1.1 <a@b>: User unknown")},
    {"class mismatch 450 5.2.2", IN("450 5.2.2 Mailbox full")},
    {"no text", IN("550")},
    {"ecode, no text", IN("451 4.7.1")},
    {"long ecode", IN("554 5.999.999 Odd enhanced code from a test server")},
    {"unknown code 571", IN("571 Delivery not authorized, message refused")},
    {"unknown detail", IN("451 4.7.32 x")},
};

static void
make_big(void)
{
	size_t i;

	if (big_text[0] != '\0')
		return;
	memcpy(big_text, "550 5.7.1 ", 10);
	for (i = 10; i < 10010; i++)
		big_text[i] = i % 11 == 0 ? ' ' : (char)('a' + i % 26);
	big_text[10010] = '\0';
	memcpy(big_word, "550 5.1.1 ", 10);
	memset(big_word + 10, 'W', 3000);
	big_word[3010] = '\0';
	memcpy(big_pct, "451 4.3.0 ", 10);
	for (i = 10; i < 2510; i++)
		big_pct[i] = i % 7 == 0 ? ' ' : '%';
	big_pct[2510] = '\0';
}

static const char *
sample_in(const struct sample *s, size_t *len)
{
	const char *p = s->in;

	if (p == NULL) {
		make_big();
		p = strcmp(s->name, "10000-byte text") == 0  ? big_text
		    : strcmp(s->name, "3000-char word") == 0 ? big_word
		                                             : big_pct;
		*len = strlen(p);
		return p;
	}
	*len = s->len;
	return p;
}

/* REPLY_WIDTH_MAX and beyond it (clamped) too. */
static const unsigned widths[] = {40, 78, 120, REPLY_WIDTH_MAX, 480};

static void
test_widths(void **state)
{
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	char cname[160];
	size_t i, k, len;
	int nfail = 0, add, gen;
	const char *in;

	(void)state;
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++)
			for (add = 0; add < 2; add++)
				for (gen = 0; gen < 2; gen++) {
					reply_site_defaults(&site);
					site.width = widths[k];
					site.add_enhanced_code = add;
					site.generic = gen;
					snprintf(cname, sizeof(cname),
					         "%s, width %u, add_ecode %d, "
					         "generic %d",
					         samples[i].name, widths[k],
					         add, gen);
					in = sample_in(&samples[i], &len);
					nfail +=
					    run_one(cname, in, len, &site, NULL,
					            &r, &o, &w, NULL);
				}
	EXPECT_DONE(nfail);
}

/* Exact first lines for a few replies, and the codes they get. */
struct ecase {
	const char *name;
	const char *in;
	bool add;
	const char *code, *ecode;
	const char *first; /* first wire line, CRLF excluded */
};

static const struct ecase ecases[] = {
    {"no ecode, add on, 5xx", "550 Administrative prohibition", true, "550",
     "5.0.0", "550-5.0.0 Administrative prohibition"},
    {"no ecode, add on, 4xx", "451 Temporary local problem", true, "451",
     "4.0.0", "451-4.0.0 Temporary local problem"},
    {"no ecode, add off", "550 Administrative prohibition", false, "550", "",
     "550-Administrative prohibition"},
    {"no ecode, add off, no text", "550", false, "550", "",
     "550-Explanation: The requested action was not taken because"},
    {"no ecode, add on, no text", "421", true, "421", "4.0.0",
     "421-4.0.0 Explanation: The server cannot provide the SMTP service"},
    {"class mismatch 550 4.1.1", "550 4.1.1 x", true, "550", "5.1.1",
     "550-5.1.1 x"},
    {"class mismatch 450 5.2.2", "450 5.2.2 Mailbox full", false, "450",
     "4.2.2", "450-4.2.2 Mailbox full"},
    {"ecode kept with add off", "552 5.3.4 Message too big", false, "552",
     "5.3.4", "552-5.3.4 Message too big"},
};

static void
test_ecodes(void **state)
{
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	int nfail = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ecases) / sizeof(ecases[0]); i++) {
		const struct ecase *c = &ecases[i];

		reply_site_defaults(&site);
		site.add_enhanced_code = c->add;
		nfail += run_one(c->name, c->in, strlen(c->in), &site, NULL, &r,
		                 &o, &w, NULL);
		EXPECT(nfail, c->name, strcmp(o.code, c->code) == 0,
		       "code \"%s\", want \"%s\"", o.code, c->code);
		EXPECT(nfail, c->name, strcmp(o.ecode, c->ecode) == 0,
		       "ecode \"%s\", want \"%s\"", o.ecode, c->ecode);
		/* The wire lines were cut at CRLF by the validator. */
		EXPECT(nfail, c->name,
		       strncmp(w.buf, c->first, strlen(c->first)) == 0,
		       "first line \"%s\", want \"%s...\"", w.buf, c->first);
	}
	EXPECT_DONE(nfail);
}

/*
 * A word longer than a line (a URL) keeps a line of its own, whole, so it
 * can be copied or clicked; only one longer than any line allows is split.
 */
static void
test_long_word(void **state)
{
	static struct reply r;
	static struct reply_out o;
	struct reply_site site;
	char url[300], in[400];
	size_t i, len;
	int nfail = 0, found;

	(void)state;
	for (len = 100; len <= 280; len += 90) {
		memset(url, 'a', len);
		memcpy(url, "https://", 8);
		url[len] = '\0';
		snprintf(in, sizeof(in), "550 5.7.1 see %s now", url);
		reply_site_defaults(&site);
		assert_int_equal(reply_parse(&r, in, strlen(in)), 0);
		reply_annotate(&r, table, &site, NULL, &o);
		found = 0;
		for (i = 0; i < o.nlines; i++) {
			EXPECT(nfail, in,
			       strlen(o.line[i]) + 14 <= REPLY_WIDTH_MAX,
			       "line %zu is %zu long", i, strlen(o.line[i]));
			found |= strcmp(o.line[i], url) == 0;
		}
		if (len + 14 <= REPLY_WIDTH_MAX)
			EXPECT(nfail, in, found,
			       "the URL is not whole on a line");
		else
			EXPECT(nfail, in, !found,
			       "an over-long word is not split");
	}
	EXPECT_DONE(nfail);
}

/*
 * generic: the entry's name (a recognised cause's title) replaces the
 * original text, which never shows.
 */
static void
test_generic(void **state)
{
	static const char *const ins[] = {
	    "550 5.7.1 Rejected by SECRETRULE-42 on mx1.internal.corp",
	    "550-5.1.1 SECRETRULE-42 first\r\n550 5.1.1 SECRETRULE-42 second",
	    "571 SECRETRULE-42 says no",
	    "451 4.7.32 SECRETRULE-42 temporary",
	};
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	const char *name;
	size_t i, k;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++)
		for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
			reply_site_defaults(&site);
			site.generic = true;
			site.width = widths[k];
			nfail += run_one(ins[i], ins[i], strlen(ins[i]), &site,
			                 NULL, &r, &o, &w, NULL);
			name = o.cause != NULL   ? o.cause->title
			       : o.entry != NULL ? o.entry->name
			                         : "";
			EXPECT(
			    nfail, ins[i],
			    o.entry != NULL && w.n > 0 &&
			        w.text[0][0] != '\0' &&
			        strncmp(name, w.text[0], strlen(w.text[0])) ==
			            0,
			    "first line \"%s\" does not start the name \"%s\"",
			    w.n > 0 ? w.text[0] : "", name);
			reply_render(&o, "\n", w.buf, sizeof(w.buf));
			EXPECT(nfail, ins[i], strstr(w.buf, "SECRET") == NULL,
			       "the original text shows: %s", w.buf);
		}
	EXPECT_DONE(nfail);
}

/* Site templates: exact lines with and without values. */
struct tcase {
	const char *name;
	const char *in;
	bool add;
	struct site_case sc;
	const char *want[3]; /* Postmaster, Help, Reference lines; NULL none */
};

#define PM "postmaster@example.net (${code} ${ecode})"
#define URL                                                                    \
	"https://help.example.net/smtp/"                                       \
	"${ecode}?q=${queue_id}&c=${client_addr}&r=${reference}"
#define REF "${queue_id}@${client_addr}"

static const struct tcase tcases[] = {
    {"all values",
     "550 5.7.1 Relaying denied",
     true,
     {PM, URL, REF, "4Bf3Xk1Zz9", "192.0.2.7"},
     {"Postmaster: postmaster@example.net (550 5.7.1)",
      "Help: https://help.example.net/smtp/5.7.1?q=4Bf3Xk1Zz9&c=192.0.2.7"
      "&r=4Bf3Xk1Zz9@192.0.2.7",
      "Reference: 4Bf3Xk1Zz9@192.0.2.7"}},
    {"no values",
     "550 5.7.1 Relaying denied",
     true,
     {PM, URL, REF, NULL, NULL},
     {"Postmaster: postmaster@example.net (550 5.7.1)",
      "Help: https://help.example.net/smtp/5.7.1?q=-&c=-&r=-@-",
      "Reference: -@-"}},
    {"empty values",
     "450 4.2.0 Greylisted",
     true,
     {PM, URL, REF, "", ""},
     {"Postmaster: postmaster@example.net (450 4.2.0)",
      "Help: https://help.example.net/smtp/4.2.0?q=-&c=-&r=-@-",
      "Reference: -@-"}},
    {"no ecode, add off",
     "550 Administrative prohibition",
     false,
     {PM, URL, NULL, "Q1", "2001:db8::1"},
     {"Postmaster: postmaster@example.net (550 -)",
      "Help: https://help.example.net/smtp/-?q=Q1&c=2001:db8::1&r=-", NULL}},
    {"added ecode",
     "550 Administrative prohibition",
     true,
     {PM, NULL, NULL, "Q1", NULL},
     {"Postmaster: postmaster@example.net (550 5.0.0)", NULL, NULL}},
    {"reference only",
     "421 4.3.2 Shutting down",
     true,
     {NULL, NULL, "ref ${code}/${ecode}/${queue_id}", "Q2", NULL},
     {NULL, NULL, "Reference: ref 421/4.3.2/Q2"}},
    {"plain texts",
     "554 5.7.1 Blocked",
     true,
     {"postmaster@example.net", "https://example.net/help", "fixed", NULL,
      NULL},
     {"Postmaster: postmaster@example.net", "Help: https://example.net/help",
      "Reference: fixed"}},
};

static const char *
find_line(const struct wire *w, const char *lead)
{
	size_t i;

	for (i = 0; i < w->n; i++)
		if (starts(w->text[i], lead))
			return w->text[i];
	return NULL;
}

static void
test_site(void **state)
{
	static const char *const leads[3] = {
	    "Postmaster: ", "Help: ", "Reference: "};
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	const char *line;
	char cname[160];
	size_t i, k, s;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++)
		for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
			const struct tcase *c = &tcases[i];

			reply_site_defaults(&site);
			site.width = widths[k];
			site.add_enhanced_code = c->add;
			site.postmaster = c->sc.postmaster;
			site.help_url = c->sc.help_url;
			site.reference = c->sc.reference;
			snprintf(cname, sizeof(cname), "%s, width %u", c->name,
			         widths[k]);
			nfail += run_one(cname, c->in, strlen(c->in), &site,
			                 &c->sc, &r, &o, &w, NULL);
			/* At the widest every site line fits on one line. */
			if (widths[k] < REPLY_WIDTH_MAX)
				continue;
			for (s = 0; s < 3; s++) {
				line = find_line(&w, leads[s]);
				if (c->want[s] == NULL)
					EXPECT(nfail, cname, line == NULL,
					       "unexpected line \"%s\"", line);
				else
					EXPECT(
					    nfail, cname,
					    line != NULL &&
					        strcmp(line, c->want[s]) == 0,
					    "line \"%s\", want \"%s\"",
					    line ? line : "(none)", c->want[s]);
			}
		}
	EXPECT_DONE(nfail);
}

/* Values with controls and 8-bit bytes are made printable. */
static void
test_site_sanitized(void **state)
{
	static const struct site_case sc = {
	    "pm ${queue_id}", "https://x.example/${client_addr}",
	    "${queue_id}|${client_addr}", "Q\r\n250 ok\001\xc3\xa9%",
	    "\x7f\xff\t1.2.3.4\n"};
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	const char *line;
	char got[256];
	size_t k, n;
	int nfail = 0;

	(void)state;
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		reply_site_defaults(&site);
		site.width = widths[k];
		site.postmaster = sc.postmaster;
		site.help_url = sc.help_url;
		site.reference = sc.reference;
		nfail += run_one("sanitized values", "550 5.7.1 x", 11, &site,
		                 &sc, &r, &o, &w, NULL);
		if (widths[k] < REPLY_WIDTH_MAX)
			continue;
		/* With the replacement marks left out, the text is intact. */
		line = find_line(&w, "Reference: ");
		EXPECT(nfail, "sanitized values", line != NULL,
		       "no Reference line");
		if (line == NULL)
			continue;
		for (n = 0; *line != '\0' && n + 1 < sizeof(got); line++)
			if (*line != '?' && *line != ' ')
				got[n++] = *line;
		got[n] = '\0';
		EXPECT(nfail, "sanitized values",
		       strcmp(got, "Reference:Q250ok%|1.2.3.4") == 0,
		       "reference line reads \"%s\"", got);
	}
	EXPECT_DONE(nfail);
}

/* Everything long: 32 lines at most, text cut, explanation and fix kept. */
static void
test_budget(void **state)
{
	static char pm[420], url[420], in[12000];
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct site_case sc;
	struct reply_site site;
	char cname[160];
	size_t i, k;
	bool cut;
	int nfail = 0, gen;

	(void)state;
	for (i = 0; i + 1 < sizeof(pm); i++) {
		pm[i] = i % 9 == 8 ? ' ' : 'p';
		url[i] = i % 40 == 39 ? '/' : 'u';
	}
	memcpy(url, "https://", 8);
	memcpy(in, "550 5.7.1 ", 10);
	for (i = 10; i + 1 < sizeof(in); i++)
		in[i] = i % 6 == 0 ? ' ' : 't';
	sc = (struct site_case){pm, url,
	                        "${queue_id}-${client_addr}-"
	                        "long reference",
	                        "QUEUEID0123456789ABCDEF",
	                        "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"};
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++)
		for (gen = 0; gen < 2; gen++) {
			reply_site_defaults(&site);
			site.width = widths[k];
			site.generic = gen;
			site.postmaster = sc.postmaster;
			site.help_url = sc.help_url;
			site.reference = sc.reference;
			snprintf(cname, sizeof(cname),
			         "budget, width %u, generic %d", widths[k],
			         gen);
			cut = false;
			nfail += run_one(cname, in, strlen(in), &site, &sc, &r,
			                 &o, &w, &cut);
			EXPECT(nfail, cname, o.nlines <= REPLY_MAX_LINES,
			       "%zu lines", o.nlines);
			EXPECT(nfail, cname,
			       find_line(&w, "Explanation: ") != NULL,
			       "no explanation");
			EXPECT(nfail, cname,
			       find_line(&w, "How to fix: ") != NULL, "no fix");
			/* Narrow, the line budget must cut the text. */
			if (!gen && widths[k] <= 78)
				EXPECT(nfail, cname, cut,
				       "the original text was not cut");
		}
	EXPECT_DONE(nfail);
}

/* Mixed lengths near the line budget, to cross the planning path. */
static void
test_budget_edges(void **state)
{
	static char in[REPLY_TEXT_MAX + 64];
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	struct site_case sc = {"postmaster@example.net",
	                       "https://help.example.net/${ecode}",
	                       "${queue_id}", "Q", NULL};
	char cname[160];
	size_t n, k;
	int nfail = 0;

	(void)state;
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++)
		for (n = 0; n <= 2000; n += 7) {
			reply_site_defaults(&site);
			site.width = widths[k];
			site.postmaster = sc.postmaster;
			site.help_url = sc.help_url;
			site.reference = sc.reference;
			memcpy(in, "550 5.1.1 ", 10);
			memset(in + 10, 'v', n);
			for (size_t j = 10; j < 10 + n; j += 1 + j % 13)
				in[j] = ' ';
			in[10 + n] = '\0';
			snprintf(cname, sizeof(cname), "%zu bytes, width %u", n,
			         widths[k]);
			nfail += run_one(cname, in, 10 + n, &site, &sc, &r, &o,
			                 &w, NULL);
		}
	EXPECT_DONE(nfail);
}

/* 2xx and 3xx replies are not annotated: same codes, same words. */
struct passcase {
	const char *name;
	const char *in;
	const char *ecode;
	const char *lines[4];
};

static const struct passcase passcases[] = {
    {"250 queued",
     "250 2.0.0 Ok: queued as 4Bf3Xk1Zz9",
     "2.0.0",
     {"Ok: queued as 4Bf3Xk1Zz9"}},
    {"220 banner",
     "220 mx.example.com ESMTP Postfix (Debian/GNU)",
     "",
     {"mx.example.com ESMTP Postfix (Debian/GNU)"}},
    {"354 data",
     "354 End data with <CR><LF>.<CR><LF>",
     "",
     {"End data with <CR><LF>.<CR><LF>"}},
    {"250 ehlo multi-line",
     "250-mx.example.com\r\n250-PIPELINING\r\n250 SIZE 10240000",
     "",
     {"mx.example.com", "PIPELINING", "SIZE 10240000"}},
    {"235 auth",
     "235 2.7.0 Authentication successful",
     "2.7.0",
     {"Authentication successful"}},
    {"334 challenge", "334 VXNlcm5hbWU6", "", {"VXNlcm5hbWU6"}},
    {"221 bye", "221 2.0.0 Bye", "2.0.0", {"Bye"}},
    {"250 no text", "250", "", {NULL}},
};

static void
test_passthrough(void **state)
{
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	enum reply_result res;
	char cname[160];
	size_t i, k, j;
	int nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(passcases) / sizeof(passcases[0]); i++)
		for (k = 0; k < 2; k++) {
			const struct passcase *c = &passcases[i];

			reply_site_defaults(&site);
			site.generic = k;
			site.postmaster = "postmaster@example.net";
			snprintf(cname, sizeof(cname), "%s, generic %zu",
			         c->name, k);
			EXPECT(nfail, cname,
			       reply_parse(&r, c->in, strlen(c->in)) == 0,
			       "does not parse");
			res = reply_annotate(&r, table, &site, NULL, &o);
			EXPECT(nfail, cname, res == REPLY_PASSED, "result %d",
			       res);
			nfail += validate(cname, &o, site.width,
			                  c->ecode[0] != 0, &w);
			EXPECT(nfail, cname, strcmp(o.ecode, c->ecode) == 0,
			       "ecode \"%s\", want \"%s\"", o.ecode, c->ecode);
			EXPECT(nfail, cname, strncmp(o.code, c->in, 3) == 0,
			       "code %s", o.code);
			for (j = 0; j < 4 && c->lines[j] != NULL; j++)
				EXPECT(nfail, cname,
				       j < o.nlines &&
				           strcmp(o.line[j], c->lines[j]) == 0,
				       "line %zu \"%s\", want \"%s\"", j + 1,
				       j < o.nlines ? o.line[j] : "(none)",
				       c->lines[j]);
			EXPECT(nfail, cname, o.nlines == j,
			       "%zu lines, want %zu", o.nlines, j);
		}
	EXPECT_DONE(nfail);
}

/* reply_sanitized keeps to the width limits even when given others. */
static void
test_sanitized(void **state)
{
	static const unsigned ws[] = {0,   1,   39,  40,  78,
	                              240, 241, 480, 481, 100000};
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	char cname[64];
	unsigned eff;
	size_t k;
	int nfail = 0;

	(void)state;
	make_big();
	assert_int_equal(reply_parse(&r, big_text, strlen(big_text)), 0);
	for (k = 0; k < sizeof(ws) / sizeof(ws[0]); k++) {
		snprintf(cname, sizeof(cname), "sanitized, width %u", ws[k]);
		reply_sanitized(&r, ws[k], &o);
		eff = ws[k] < REPLY_WIDTH_MIN   ? REPLY_WIDTH_MIN
		      : ws[k] > REPLY_WIDTH_MAX ? REPLY_WIDTH_MAX
		                                : ws[k];
		nfail += validate(cname, &o, eff, true, &w);
		/* 2047 bytes take more than 32 lines of 30 columns. */
		if (eff > REPLY_WIDTH_MIN)
			continue;
		EXPECT(nfail, cname, o.nlines == REPLY_MAX_LINES,
		       "%zu lines for a 10000-byte text", o.nlines);
		EXPECT(nfail, cname, w.n > 0 && ends_cut(w.text[w.n - 1]),
		       "the cut is not marked");
	}
	EXPECT_DONE(nfail);
}

/*
 * A text cut when parsed (beyond REPLY_TEXT_MAX) is marked like a text cut
 * by the line budget: the reader must know that text is missing, at any
 * width, annotated or only sanitized.
 */
static void
test_truncation_marked(void **state)
{
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	char cname[96];
	size_t k, i, last;
	int nfail = 0;

	(void)state;
	make_big();
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		reply_site_defaults(&site);
		site.width = widths[k];
		snprintf(cname, sizeof(cname), "10000-byte text, width %u",
		         widths[k]);
		nfail += run_one(cname, big_text, strlen(big_text), &site, NULL,
		                 &r, &o, &w, NULL);
		EXPECT(nfail, cname, r.truncated, "parse did not truncate");
		for (i = 0, last = 0; i < w.n; i++)
			if (starts(w.text[i], "Explanation: "))
				break;
			else
				last = i;
		EXPECT(nfail, cname, i > 0 && ends_cut(w.text[last]),
		       "annotated: the text lost %zu bytes but its last line "
		       "\"...%s\" has no \" ...\" mark",
		       strlen(big_text) - 10 - r.textlen,
		       i > 0 ? w.text[last] + strlen(w.text[last]) -
		                   (strlen(w.text[last]) > 12 ? 12 : 0)
		             : "");
		reply_sanitized(&r, widths[k], &o);
		nfail += validate(cname, &o, widths[k], true, &w);
		EXPECT(nfail, cname, w.n > 0 && ends_cut(w.text[w.n - 1]),
		       "sanitized: the text lost bytes but has no \" ...\" "
		       "mark");
	}
	EXPECT_DONE(nfail);
}

/* reply_render: line ends, the empty reply, truncation at cap. */
static void
test_render(void **state)
{
	static struct reply r;
	static struct reply_out o;
	char buf[WIRE_CAP], small[16];
	size_t n;

	(void)state;
	assert_int_equal(reply_parse(&r, "250 2.0.0 Ok", 12), 0);
	reply_sanitized(&r, 78, &o);
	n = reply_render(&o, "\n", buf, sizeof(buf));
	assert_string_equal(buf, "250 2.0.0 Ok\n");
	assert_int_equal(n, 13);
	n = reply_render(&o, "\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "250 2.0.0 Ok\r\n");
	assert_int_equal(n, 14);
	/* No text at all: one line, the codes alone. */
	assert_int_equal(reply_parse(&r, "250 2.0.0", 9), 0);
	reply_sanitized(&r, 78, &o);
	n = reply_render(&o, "\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "250 2.0.0\r\n");
	assert_int_equal(reply_parse(&r, "250", 3), 0);
	reply_sanitized(&r, 78, &o);
	n = reply_render(&o, "\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "250 \r\n");
	/* Truncation: NUL-terminated within cap. */
	assert_int_equal(reply_parse(&r, "550 5.7.1 Relaying denied", 25), 0);
	reply_sanitized(&r, 78, &o);
	memset(small, 'Z', sizeof(small));
	n = reply_render(&o, "\r\n", small, 10);
	assert_int_equal(n, 9);
	assert_int_equal(strlen(small), 9);
	assert_memory_equal(small, "550 5.7.1", 9);
	assert_int_equal(small[10], 'Z');
	assert_int_equal(reply_render(&o, "\r\n", small, 0), 0);
	assert_int_equal(small[10], 'Z');
}

/* reply_escape_percent: every '%' doubled, or -1 when it will not fit. */
struct esc {
	const char *src;
	size_t cap;
	int rc;
	const char *want;
};

static const struct esc escs[] = {
    {"", 1, 0, ""},          {"", 0, -1, NULL},
    {"abc", 4, 0, "abc"},    {"abc", 3, -1, NULL},
    {"%", 3, 0, "%%"},       {"%", 2, -1, NULL},
    {"%", 1, -1, NULL},      {"100%", 6, 0, "100%%"},
    {"100%", 5, -1, NULL},   {"%%%", 7, 0, "%%%%%%"},
    {"%%%", 6, -1, NULL},    {"a%sb%n", 9, 0, "a%%sb%%n"},
    {"a%sb%n", 8, -1, NULL}, {"no percent here", 64, 0, "no percent here"},
};

static void
test_escape(void **state)
{
	char dst[64], shown[64];
	int nfail = 0, rc;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(escs) / sizeof(escs[0]); i++) {
		const struct esc *c = &escs[i];
		char cname[96];

		snprintf(cname, sizeof(cname), "\"%s\" into %zu", c->src,
		         c->cap);
		memset(dst, 'Z', sizeof(dst));
		rc = reply_escape_percent(c->src, dst, c->cap);
		EXPECT(nfail, cname, rc == c->rc, "rc %d, want %d", rc, c->rc);
		if (c->want != NULL && rc == 0)
			EXPECT(nfail, cname, strcmp(dst, c->want) == 0,
			       "\"%s\", want \"%s\"",
			       unit_show(dst, shown, sizeof(shown)), c->want);
		for (k = c->cap; k < sizeof(dst); k++)
			if (dst[k] != 'Z') {
				EXPECT(nfail, cname, 0,
				       "wrote beyond cap at %zu", k);
				break;
			}
	}
	EXPECT_DONE(nfail);
}

/* Every line of a reply full of '%' escapes within libmilter's limit. */
static void
test_escape_reply(void **state)
{
	static struct reply r;
	static struct reply_out o;
	struct reply_site site;
	char dst[REPLY_WIRE_MAX * 2 + 1];
	size_t i, k, pct, d;

	(void)state;
	make_big();
	for (k = 0; k < sizeof(widths) / sizeof(widths[0]); k++) {
		reply_site_defaults(&site);
		site.width = widths[k];
		assert_int_equal(reply_parse(&r, big_pct, strlen(big_pct)), 0);
		assert_int_equal(reply_annotate(&r, table, &site, NULL, &o),
		                 REPLY_ANNOTATED);
		for (i = 0; i < o.nlines; i++) {
			assert_int_equal(
			    reply_escape_percent(o.line[i], dst, sizeof(dst)),
			    0);
			for (pct = 0, d = 0; o.line[i][d] != '\0'; d++)
				pct += o.line[i][d] == '%';
			assert_int_equal(strlen(dst), strlen(o.line[i]) + pct);
			/* libmilter takes at most 980 characters a line. */
			assert_true(strlen(dst) <= 980);
		}
	}
}

/* reply_pick: exact enhanced, X.S.0 of its subject, basic, X.0.0. */
struct pick {
	const char *in;
	const char *want;
};

static const struct pick picks[] = {
    {"571 x", "X.0.0"},        {"599 x", "X.0.0"},
    {"451 4.7.32 x", "X.7.0"}, {"554 5.7.606 x", "X.7.0"},
    {"550 5.1.99 x", "X.1.0"}, {"550 5.1.1", "X.1.1"},
    {"550 4.1.1 x", "X.1.1"},  {"452 4.5.3 Too many recipients", "X.5.3"},
    {"421 4.4.2 x", "X.4.2"},  {"550 5.7.26 DMARC", "X.7.26"},
    {"250 2.1.5 ok", "X.1.5"}, {"550 x", "550"},
    {"421 x", "421"},          {"453 x", "453"},
    {"550 5.9.9 x", "550"},    {"550 5.8.1 x", "550"},
    {"550 5.0.99 x", "550"},   {"550 5.999.999 x", "550"},
    {"571 5.9.9 x", "X.0.0"},
};

static void
test_pick(void **state)
{
	const struct code_entry *e;
	struct reply r;
	int nfail = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		EXPECT(nfail, picks[i].in,
		       reply_parse(&r, picks[i].in, strlen(picks[i].in)) == 0,
		       "does not parse");
		e = reply_pick(table, &r);
		EXPECT(nfail, picks[i].in,
		       e != NULL && strcmp(e->code, picks[i].want) == 0,
		       "picked %s, want %s", e != NULL ? e->code : "(none)",
		       picks[i].want);
	}
	EXPECT_DONE(nfail);
}

/* Randomized: 20,000 byte strings after a 4xx/5xx code. */
static uint32_t rng = 2463534242u;

static uint32_t
xorshift32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint32_t
pick_n(uint32_t n)
{
	return xorshift32() % n;
}

static size_t
random_bytes(char *dst, size_t n)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	    ".,;:<>@[]()/-_=+?!'\"#$&*{}|~^`\\";
	size_t i;
	uint32_t k;

	for (i = 0; i < n; i++) {
		k = pick_n(100);
		if (k < 55)
			dst[i] = alphabet[pick_n(sizeof(alphabet) - 1)];
		else if (k < 70)
			dst[i] = ' ';
		else if (k < 74)
			dst[i] = '%';
		else if (k < 78)
			dst[i] = "\r\n"[pick_n(2)];
		else if (k < 80)
			dst[i] = '\0';
		else if (k < 83)
			dst[i] = (char)pick_n(0x20);
		else if (k < 93)
			dst[i] = (char)(0x80 + pick_n(0x80));
		else if (k < 96)
			dst[i] = (char)('0' + pick_n(10));
		else if (k < 98)
			dst[i] = '-';
		else
			dst[i] = '\t';
	}
	return n;
}

static void
test_random(void **state)
{
	static const char *const tmpls[] = {
	    "postmaster@example.net",
	    "${code} ${ecode} ${queue_id} ${client_addr} ${reference}",
	    "https://help.example.net/${ecode}?q=${queue_id}",
	    "%s %n %% ${code}",
	};
	static const unsigned rwidths[] = {40,  41,  57,  78, 100,
	                                   120, 255, 479, 480};
	static char in[16384], vq[64], va[64];
	static struct reply r;
	static struct reply_out o;
	static struct wire w;
	struct reply_site site;
	struct site_case sc;
	char cname[96];
	size_t n, body;
	int nfail = 0, iter, code;
	uint32_t k;

	(void)state;
	quiet_after = 10;
	reported = 0;
	for (iter = 0; iter < 20000; iter++) {
		code = 400 + (int)pick_n(200);
		n = (size_t)snprintf(in, sizeof(in), "%d", code);
		k = pick_n(10);
		if (k < 5)
			in[n++] = ' ';
		else if (k < 8)
			in[n++] = '-';
		else if (k < 9)
			in[n++] = '\t';
		else {
			in[n++] = '\r';
			in[n++] = '\n';
		}
		if (pick_n(2) == 0)
			n += (size_t)snprintf(in + n, sizeof(in) - n,
			                      "%u.%u.%u ", pick_n(10),
			                      pick_n(13), pick_n(120));
		k = pick_n(100);
		body = k < 5 ? 2000 + pick_n(10000) : pick_n(600);
		n += random_bytes(in + n, body);

		reply_site_defaults(&site);
		site.width =
		    pick_n(3) == 0 ? 40 + pick_n(441) : rwidths[pick_n(9)];
		site.add_enhanced_code = pick_n(2);
		site.generic = pick_n(8) == 0;
		memset(&sc, 0, sizeof(sc));
		if (pick_n(3) == 0)
			sc.postmaster = tmpls[pick_n(4)];
		if (pick_n(3) == 0)
			sc.help_url = tmpls[pick_n(4)];
		if (pick_n(3) == 0)
			sc.reference = tmpls[pick_n(3) == 0 ? 3 : 2];
		site.postmaster = sc.postmaster;
		site.help_url = sc.help_url;
		site.reference = sc.reference;
		if (pick_n(2) == 0) {
			vq[random_bytes(vq, pick_n(sizeof(vq) - 1))] = '\0';
			va[random_bytes(va, pick_n(sizeof(va) - 1))] = '\0';
			sc.queue_id = vq;
			sc.client_addr = va;
		}
		snprintf(cname, sizeof(cname),
		         "random #%d (%zu bytes, width %u)", iter, n,
		         site.width);
		nfail += run_one(cname, in, n, &site, &sc, &r, &o, &w, NULL);
	}
	quiet_after = 1000;
	EXPECT_DONE(nfail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_widths),
	    cmocka_unit_test(test_ecodes),
	    cmocka_unit_test(test_generic),
	    cmocka_unit_test(test_long_word),
	    cmocka_unit_test(test_site),
	    cmocka_unit_test(test_site_sanitized),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_budget_edges),
	    cmocka_unit_test(test_passthrough),
	    cmocka_unit_test(test_sanitized),
	    cmocka_unit_test(test_truncation_marked),
	    cmocka_unit_test(test_render),
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_escape_reply),
	    cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
