/*
 * replyfmt - pick a reply's table entry and cause, and lay out the
 * annotated reply within every limit of the wire.
 *
 * Sections (the original text, the explanation, the fix, the site lines)
 * are word-wrapped into lines that carry the codes once each; nearly every
 * reply fits at once, and when one does not, a budget gives way in a fixed
 * order so the reader always keeps the codes, a line of the original and
 * the start of the explanation.
 */
#include <string.h>

#include "core/bug.h"
#include "core/helppath.h"
#include "core/replyfmt.h"
#include "core/sbuf.h"
#include "core/template.h"

void
reply_site_defaults(struct reply_site *s)
{
	memset(s, 0, sizeof(*s));
	s->width = REPLY_WIDTH_DEFAULT;
	s->add_enhanced_code = true;
}

const struct code_entry *
reply_pick(const struct codetable *t, const struct reply *r)
{
	const struct code_entry *e;

	/* X.0.0 says nothing a known basic code does not say better. */
	if (r->ecode[0] != '\0' && (r->subject != 0 || r->detail != 0)) {
		if ((e = codetable_enhanced(t, r->subject, r->detail)) != NULL)
			return e;
		/* An unregistered detail still names its subject (X.7.0). */
		if ((e = codetable_enhanced(t, r->subject, 0)) != NULL &&
		    r->subject != 0)
			return e;
	}
	if ((e = codetable_basic(t, r->code)) != NULL)
		return e;
	return codetable_enhanced(t, 0, 0);
}

/* Formatting. */

/*
 * The longest line a long word may make: the widest width allowed minus
 * "550-5.999.999 ", so that even with Sendmail's "<rcpt>... " before it a
 * line stays within 512 octets (see REPLY_WIDTH_MAX).
 */
#define WORD_MAX (REPLY_WIDTH_MAX - 14)

/*
 * Word wrapper for one section: a lead ("Explanation: ") on the first
 * line, continuation lines indented, at most max lines. With no output
 * it only counts, so the line budget can be planned before writing.
 */
struct wrapper {
	struct reply_out *o; /* NULL: count only */
	size_t avail;        /* text columns per line */
	size_t indent;
	size_t max;
	size_t nl; /* lines emitted */
	int fresh; /* no word on the current line yet */
	int cut;
	size_t cl;
	char *cur; /* the line being built, in place in o->buf */
	char scratch[REPLY_WIRE_MAX]; /* when only counting */
};

static void
wrap_emit(struct wrapper *w)
{
	struct reply_out *o = w->o;

	w->nl++;
	if (o == NULL)
		return;
	/* The budget keeps every section within the lines and the buffer. */
	if (o->nlines >= REPLY_MAX_LINES ||
	    o->used + w->cl + 1 > sizeof(o->buf))
		ma_bug("reply wrapper past its budget (%zu lines, %zu bytes)",
		       o->nlines, o->used + w->cl + 1);
	w->cur[w->cl] = '\0';
	o->line[o->nlines++] = w->cur;
	o->used += w->cl + 1;
	w->cur = o->buf + o->used;
}

static void
wrap_start_line(struct wrapper *w, const char *lead)
{
	size_t n = lead != NULL ? strlen(lead) : w->indent;

	if (lead != NULL)
		memcpy(w->cur, lead, n);
	else
		memset(w->cur, ' ', n);
	w->cl = n;
	w->fresh = 1;
}

/* Move to a new line; 0 when the section's line budget is spent. */
static int
wrap_newline(struct wrapper *w)
{
	if (w->nl + 1 >= w->max) {
		w->cut = 1;
		return 0;
	}
	wrap_emit(w);
	wrap_start_line(w, NULL);
	return 1;
}

/* Put n bytes of p on the current line, after a space if sep. */
static void
wrap_put(struct wrapper *w, size_t sep, const char *p, size_t n)
{
	if (sep)
		w->cur[w->cl++] = ' ';
	memcpy(w->cur + w->cl, p, n);
	w->cl += n;
	w->fresh = 0;
}

static int
wrap_word(struct wrapper *w, const char *word, size_t wl)
{
	size_t sep, take;

	for (;;) {
		sep = w->fresh ? 0 : 1;
		if (w->cl + sep + wl <= w->avail) {
			wrap_put(w, sep, word, wl);
			return 1;
		}
		if (!w->fresh || w->cl >= w->avail) {
			if (!wrap_newline(w))
				return 0;
			continue;
		}
		/*
		 * A word longer than a line (a URL) gets a line of its own up
		 * to WORD_MAX columns, so it can still be copied or clicked;
		 * only longer ones are split.
		 */
		if (w->cl + wl <= WORD_MAX) {
			wrap_put(w, 0, word, wl);
			return 1;
		}
		take = w->cl < WORD_MAX ? WORD_MAX - w->cl : 1;
		wrap_put(w, 0, word, take);
		word += take;
		wl -= take;
	}
}

/*
 * Place as much of the paragraph at *pp as fits on the current line, in
 * one copy, breaking at its last space: the greedy result the word loop
 * gives, for text whose words are separated by single spaces (see
 * single_spaced). Returns 0, having placed nothing, when the next word
 * does not fit: the word loop then breaks the line or splits the word.
 */
static int
wrap_run(struct wrapper *w, const char **pp)
{
	const char *p = *pp, *sp, *nl;
	size_t sep = w->fresh ? 0 : 1, room, len, seg;

	if (w->cl + sep >= w->avail)
		return 0;
	room = w->avail - w->cl - sep;
	len = strnlen(p, room + 1);
	nl = memchr(p, '\n', len);
	seg = nl != NULL ? (size_t)(nl - p) : len;
	if (seg > room) {
		/* The line ends inside the paragraph: at its last space. */
		if ((sp = memrchr(p, ' ', room + 1)) == NULL || sp == p)
			return 0;
		seg = (size_t)(sp - p);
	}
	if (seg == 0)
		return 0;
	wrap_put(w, sep, p, seg);
	*pp = p + seg;
	return 1;
}

/* Whether wrap_run may take whole runs of text (no space to collapse). */
static int
single_spaced(const char *text)
{
	size_t n = strlen(text);

	return text[0] != ' ' && text[n - 1] != ' ' &&
	       strstr(text, "  ") == NULL && strstr(text, " \n") == NULL;
}

/* Mark a cut section so the reader knows text is missing. */
static void
wrap_mark_cut(struct wrapper *w)
{
	if (w->cl + 4 > w->avail)
		w->cl = w->avail > w->indent + 4 ? w->avail - 4 : w->indent;
	memcpy(w->cur + w->cl, " ...", 4);
	w->cl += 4;
}

/*
 * Lay out lead + text (paragraphs separated by '\n'); returns the lines
 * used. An empty text takes no line.
 */
static size_t
wrap(struct reply_out *o, const char *lead, const char *text, size_t avail,
     size_t indent, size_t max)
{
	struct wrapper w;
	const char *p = text, *word;
	int runs;

	if (max == 0 || *text == '\0')
		return 0;
	w.o = o;
	/* Room: REPLY_MAX_LINES lines of at most avail + 1 fit in o->buf. */
	w.cur = o != NULL ? o->buf + o->used : w.scratch;
	w.avail = avail;
	w.indent = indent;
	w.max = max;
	w.nl = 0;
	w.cut = 0;
	wrap_start_line(&w, lead);
	runs = single_spaced(text);
	while (*p != '\0' && !w.cut) {
		if (*p == '\n') {
			p++;
			if (!w.fresh && !wrap_newline(&w))
				break;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		if (runs && wrap_run(&w, &p))
			continue;
		word = p;
		/* A plain loop: words are short, strcspn's set-up is not. */
		while (*p != '\0' && *p != ' ' && *p != '\n')
			p++;
		wrap_word(&w, word, (size_t)(p - word));
	}
	if (w.cut)
		wrap_mark_cut(&w);
	if (!w.fresh || w.cut)
		wrap_emit(&w);
	return w.nl;
}

enum {
	SEC_TEXT,
	SEC_EXPLAIN,
	SEC_FIX,
	SEC_POSTMASTER,
	SEC_HELP,
	SEC_REF,
	SEC_COUNT
};

struct section {
	const char *lead;
	const char *text;
	size_t indent;
};

static void
out_codes(struct reply_out *o, int code, const char *ecode)
{
	struct sbuf sb;

	sbuf_init(&sb, o->code, sizeof(o->code));
	sbuf_dec(&sb, code);
	sbuf_init(&sb, o->ecode, sizeof(o->ecode));
	sbuf_put(&sb, ecode);
	o->nlines = 0;
	o->used = 0;
	o->entry = NULL;
	o->cause = NULL;
}

static size_t
text_avail(const struct reply_out *o, unsigned width)
{
	size_t prefix = 4 + (o->ecode[0] ? strlen(o->ecode) + 1 : 0);

	if (width < REPLY_WIDTH_MIN)
		width = REPLY_WIDTH_MIN;
	if (width > REPLY_WIDTH_MAX)
		width = REPLY_WIDTH_MAX;
	return width - prefix;
}

void
reply_sanitized(const struct reply *r, unsigned width, struct reply_out *o)
{
	out_codes(o, r->code, r->ecode);
	wrap(o, "", r->text, text_avail(o, width), 0, REPLY_MAX_LINES);
}

/*
 * Fit the sections into REPLY_MAX_LINES: the original text gives way first
 * (down to one line), then the site lines, then the fix and explanation.
 */
static void
plan_budget(const struct section *s, size_t avail, size_t need[SEC_COUNT])
{
	size_t i, total = 0, over, give;

	for (i = 0; i < SEC_COUNT; i++) {
		need[i] = s[i].text ? wrap(NULL, s[i].lead, s[i].text, avail,
		                           s[i].indent, REPLY_MAX_LINES)
		                    : 0;
		total += need[i];
	}
	if (total <= REPLY_MAX_LINES)
		return;
	over = total - REPLY_MAX_LINES;
	give = need[SEC_TEXT] > 1 ? need[SEC_TEXT] - 1 : 0;
	give = give < over ? give : over;
	need[SEC_TEXT] -= give;
	over -= give;
	for (i = SEC_COUNT - 1; i > SEC_FIX && over > 0; i--) {
		give = need[i] < over ? need[i] : over;
		need[i] = 0;
		over -= give;
	}
	for (i = SEC_FIX; i >= SEC_EXPLAIN && over > 0; i--) {
		give = need[i] > 1 ? need[i] - 1 : 0;
		give = give < over ? give : over;
		need[i] -= give;
		over -= give;
	}
}

static size_t
write_sections(struct reply_out *o, const struct section *s, size_t avail,
               const size_t *need)
{
	size_t i;

	o->nlines = 0;
	o->used = 0;
	for (i = 0; i < SEC_COUNT; i++)
		if (s[i].text != NULL)
			wrap(o, s[i].lead, s[i].text, avail, s[i].indent,
			     need != NULL ? need[i]
			                  : REPLY_MAX_LINES - o->nlines);
	return o->nlines;
}

/*
 * Whether a first pass with no plan kept everything: a cut section uses
 * every line left, so fewer than REPLY_MAX_LINES lines means no cut.
 */
static int
sections_fit(const struct reply_out *o, const struct section *s, size_t avail)
{
	size_t i, total = 0;

	if (o->nlines < REPLY_MAX_LINES)
		return 1;
	for (i = 0; i < SEC_COUNT; i++)
		if (s[i].text != NULL)
			total += wrap(NULL, s[i].lead, s[i].text, avail,
			              s[i].indent, REPLY_MAX_LINES + 1);
	return total <= REPLY_MAX_LINES;
}

/* A cause text with its placeholders filled; most have none: no copy. */
static const char *
expand_cause(const char *text, const struct cause_hit *hit, char *buf,
             size_t cap)
{
	if (strchr(text, '$') == NULL)
		return text;
	cause_expand(text, hit, buf, cap);
	return buf;
}

enum reply_result
reply_annotate(const struct reply *r, const struct codetable *t,
               const struct reply_site *site, const struct reply_vars *vars,
               struct reply_out *o)
{
	char ecode[REPLY_ECODE_MAX], site_text[3][REPLY_WIRE_MAX];
	char cause_text[2][CAUSE_TEXT_MAX], page[128];
	struct cause_hit hit;
	const char *vals[TV_COUNT] = {0};
	const char *tmpl[3] = {site->postmaster, site->help_url,
	                       site->reference};
	struct section s[SEC_COUNT];
	const struct code_entry *e;
	size_t need[SEC_COUNT], avail, i;
	int cls = r->code / 100;

	if (cls != 4 && cls != 5) {
		reply_sanitized(r, site->width, o);
		return REPLY_PASSED;
	}
	if ((e = reply_pick(t, r)) == NULL) {
		reply_sanitized(r, site->width, o);
		return REPLY_FALLBACK;
	}
	if (r->ecode[0] == '\0' && site->add_enhanced_code) {
		/* "C.0.0": the class's "other" code (RFC 3463 3.1). */
		ecode[0] = (char)('0' + cls);
		memcpy(ecode + 1, ".0.0", 5);
	} else
		memcpy(ecode, r->ecode, sizeof(ecode));
	out_codes(o, r->code, ecode);
	o->entry = e;
	avail = text_avail(o, site->width);

	s[SEC_TEXT] =
	    (struct section){"", site->generic ? e->name : r->text, 0};
	s[SEC_EXPLAIN] = (struct section){"Explanation: ", e->description, 2};
	s[SEC_FIX] = (struct section){"How to fix: ", e->fix, 2};
	/* A recognised cause says more than the code: its texts replace. */
	if (vars != NULL && vars->cause != NULL) {
		hit.cause = vars->cause;
		hit.ncaptures = 0;
	} else
		cause_classify(codetable_causeset(t), r, &hit);
	if (hit.cause != NULL) {
		o->cause = hit.cause;
		s[SEC_EXPLAIN].text =
		    expand_cause(hit.cause->explanation, &hit, cause_text[0],
		                 sizeof(cause_text[0]));
		s[SEC_FIX].text = expand_cause(
		    hit.cause->fix, &hit, cause_text[1], sizeof(cause_text[1]));
		if (site->generic)
			s[SEC_TEXT].text = hit.cause->title;
	}
	vals[TV_CODE] = vars != NULL && vars->code ? vars->code : o->code;
	vals[TV_ECODE] = vars != NULL && vars->ecode ? vars->ecode : o->ecode;
	vals[TV_QUEUE_ID] = vars != NULL ? vars->queue_id : NULL;
	vals[TV_CLIENT_ADDR] = vars != NULL ? vars->client_addr : NULL;
	/* The help site's page for what explained the reply (helppath.h). */
	if ((hit.cause != NULL
	         ? helppath_cause(hit.cause->name, page, sizeof(page))
	         : helppath_code(e, page, sizeof(page))) > 0)
		vals[TV_PAGE] = page;
	vals[TV_HELP_BASE_URL] = site->help_base_url;
	if (site->reference != NULL) {
		tmpl_expand(site->reference, vals, site_text[2],
		            sizeof(site_text[2]));
		vals[TV_REFERENCE] = site_text[2];
	}
	for (i = 0; i < 3; i++) {
		static const char *const leads[3] = {
		    "Postmaster: ", "Help: ", "Reference: "};
		s[SEC_POSTMASTER + i] = (struct section){leads[i], NULL, 2};
		if (tmpl[i] == NULL)
			continue;
		if (i < 2)
			tmpl_expand(tmpl[i], vals, site_text[i],
			            sizeof(site_text[i]));
		s[SEC_POSTMASTER + i].text = site_text[i];
	}

	/* Nearly every reply fits at once; plan a budget only when not. */
	if (write_sections(o, s, avail, NULL) > 0 && sections_fit(o, s, avail))
		return REPLY_ANNOTATED;
	plan_budget(s, avail, need);
	if (write_sections(o, s, avail, need) == 0) {
		reply_sanitized(r, site->width, o);
		return REPLY_FALLBACK;
	}
	return REPLY_ANNOTATED;
}

/* Output. */

size_t
reply_render(const struct reply_out *o, const char *eol, char *dst, size_t cap)
{
	size_t i, nlines = o->nlines > 0 ? o->nlines : 1;
	size_t clen = strlen(o->code), elen = strlen(o->ecode);
	size_t eollen = strlen(eol);
	const char *text;
	struct sbuf sb;

	if (cap == 0)
		return 0;
	sbuf_init(&sb, dst, cap);
	for (i = 0; i < nlines; i++) {
		text = o->nlines > 0 ? o->line[i] : "";
		sbuf_putn(&sb, o->code, clen);
		sbuf_putc(&sb, i + 1 < nlines ? '-' : ' ');
		sbuf_putn(&sb, o->ecode, elen);
		if (elen > 0 && text[0] != '\0')
			sbuf_putc(&sb, ' ');
		sbuf_put(&sb, text);
		sbuf_putn(&sb, eol, eollen);
	}
	return sbuf_len(&sb);
}

int
reply_escape_percent(const char *src, char *dst, size_t cap)
{
	size_t n = 0;

	for (; *src != '\0'; src++) {
		if (n + (*src == '%' ? 2 : 1) >= cap)
			return -1;
		if (*src == '%')
			dst[n++] = '%';
		dst[n++] = *src;
	}
	if (cap == 0)
		return -1;
	dst[n] = '\0';
	return 0;
}
