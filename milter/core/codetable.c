/*
 * codetable - load, validate and look up the shared SMTP code table.
 *
 * The table's strings stay inside the libconfig object that parsed them; a
 * table owns that object and two direct-index arrays (basic codes by number,
 * enhanced codes by subject and detail), so a look-up on the reply path is
 * two array reads and never allocates.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "core/cause.h"
#include "core/cfgfile.h"
#include "core/codetable.h"

#define NAME_MAX_LEN 64
#define TEXT_MAX_LEN 400
#define BUILTIN_NAME "codes.conf (built-in)"

/* conf/codes.conf, NUL-terminated, linked in by milter/core/codes_builtin.S. */
extern const char codes_builtin[];

struct codetable {
	config_t cfg;
	char *source;
	struct code_entry *entries;
	size_t n;
	const struct code_entry *basic[600];
	const struct code_entry
	    *enhanced[CODE_SUBJECT_MAX + 1][CODE_DETAIL_MAX + 1];
	struct cause_entry *causes;
	size_t ncauses;
	struct causeset *causeset;
};

const struct code_entry *
codetable_basic(const struct codetable *t, int code)
{
	if (code < 0 || code >= 600)
		return NULL;
	return t->basic[code];
}

const struct code_entry *
codetable_enhanced(const struct codetable *t, int subject, int detail)
{
	if (subject < 0 || subject > CODE_SUBJECT_MAX || detail < 0 ||
	    detail > CODE_DETAIL_MAX)
		return NULL;
	return t->enhanced[subject][detail];
}

const struct code_entry *
codetable_find(const struct codetable *t, const struct code_ref *ref)
{
	if (ref->kind == CODE_BASIC)
		return codetable_basic(t, ref->basic);
	return codetable_enhanced(t, ref->subject, ref->detail);
}

const char *
codetable_source(const struct codetable *t)
{
	return t->source;
}

size_t
codetable_size(const struct codetable *t)
{
	return t->n;
}

const struct code_entry *
codetable_at(const struct codetable *t, size_t i)
{
	return i < t->n ? &t->entries[i] : NULL;
}

size_t
codetable_ncauses(const struct codetable *t)
{
	return t->ncauses;
}

const struct cause_entry *
codetable_cause_at(const struct codetable *t, size_t i)
{
	return i < t->ncauses ? &t->causes[i] : NULL;
}

const struct cause_entry *
codetable_cause(const struct codetable *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->ncauses; i++)
		if (strcmp(t->causes[i].name, name) == 0)
			return &t->causes[i];
	return NULL;
}

const struct causeset *
codetable_causeset(const struct codetable *t)
{
	return t->causeset;
}

/* Loading. */

struct loader {
	struct codetable *t;
	struct diag *d;
	const char *file;
};

static unsigned
line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

/* Table text is read by a sender's postmaster: printable ASCII only. */
static const char *
check_text(const char *v, size_t max)
{
	const unsigned char *p;

	if (*v == '\0')
		return "is empty";
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return "has a character that is not printable ASCII";
	if (p - (const unsigned char *)v > (long)max)
		return "is too long";
	return NULL;
}

static const char *
field_string(struct loader *L, const config_setting_t *f)
{
	const char *why, *v;
	size_t max;

	if (config_setting_type(f) != CONFIG_TYPE_STRING) {
		diag_add(L->d, L->file, line_of(f),
		         "field '%s' must be a string", config_setting_name(f));
		return NULL;
	}
	v = config_setting_get_string(f);
	max = strcmp(config_setting_name(f), "name") == 0 ? NAME_MAX_LEN
	                                                  : TEXT_MAX_LEN;
	if ((why = check_text(v, max)) != NULL) {
		diag_add(L->d, L->file, line_of(f), "field '%s' %s",
		         config_setting_name(f), why);
		return NULL;
	}
	return v;
}

/* An array of strings into out[], at most max of them. */
static int
load_strings(struct loader *L, const config_setting_t *f, const char **out,
             size_t *n, size_t max, const char *what)
{
	const config_setting_t *el;
	const char *name = config_setting_name(f);
	int i, len;

	if (!config_setting_is_array(f) && !config_setting_is_list(f)) {
		diag_add(L->d, L->file, line_of(f),
		         "field '%s' must be an array of strings", name);
		return -1;
	}
	len = config_setting_length(f);
	if (len < 0 || (size_t)len > max - *n) {
		diag_add(L->d, L->file, line_of(f),
		         "field '%s' lists more than %zu %s", name, max, what);
		return -1;
	}
	for (i = 0; i < len; i++) {
		el = config_setting_get_elem(f, (unsigned)i);
		if (config_setting_type(el) != CONFIG_TYPE_STRING ||
		    check_text(config_setting_get_string(el), TEXT_MAX_LEN) !=
		        NULL) {
			diag_add(L->d, L->file, line_of(f),
			         "field '%s' must be an array of strings%s",
			         name,
			         config_setting_type(el) == CONFIG_TYPE_STRING
			             ? " (non-empty, printable ASCII)"
			             : "");
			return -1;
		}
		out[(*n)++] = config_setting_get_string(el);
	}
	return 0;
}

static int
load_assoc(struct loader *L, struct code_entry *e, const config_setting_t *f)
{
	return load_strings(L, f, e->assoc, &e->nassoc, CODE_ASSOC_MAX,
	                    "codes");
}

/* Checks that need the whole table: associated codes must exist. */
static int
check_assoc(struct loader *L, const struct code_entry *e)
{
	struct code_ref ref;
	size_t i;
	const char *v;
	int bad = 0;

	for (i = 0; i < e->nassoc; i++) {
		v = e->assoc[i];
		if (strcmp(v, "any") == 0 || strcmp(v, "2xx") == 0 ||
		    strcmp(v, "4xx") == 0 || strcmp(v, "5xx") == 0)
			continue;
		if (code_parse(v, &ref) != 0 || ref.kind != CODE_BASIC) {
			diag_add(
			    L->d, L->file, e->line,
			    "%s: associated code '%s' is not a basic code, "
			    "2xx, 4xx, 5xx or any",
			    e->code, v);
			bad = 1;
		} else if (L->t->basic[ref.basic] == NULL) {
			diag_add(L->d, L->file, e->line,
			         "%s: associated code %s has no entry in the "
			         "table",
			         e->code, v);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int
check_class(struct loader *L, const struct code_entry *e,
            const config_setting_t *g)
{
	const char *want;

	want = e->kind == CODE_BASIC ? code_class_name(e->basic / 100)
	                             : code_subject_name(e->subject);
	if (want == NULL) {
		diag_add(L->d, L->file, line_of(g),
		         "code %s has no assigned class", e->code);
		return -1;
	}
	if (strcmp(e->class_name, want) != 0) {
		diag_add(L->d, L->file, line_of(g),
		         "class '%s' disagrees with code %s (expected '%s')",
		         e->class_name, e->code, want);
		return -1;
	}
	return 0;
}

static int
set_code(struct loader *L, struct code_entry *e, const config_setting_t *g)
{
	struct code_ref ref;
	const struct code_entry **slot;

	if (code_parse(e->code, &ref) != 0 ||
	    (ref.kind == CODE_ENHANCED && e->code[0] != 'X')) {
		diag_add(L->d, L->file, line_of(g),
		         "malformed code '%s' (want a basic code such as 550 "
		         "or an enhanced code such as X.1.1)",
		         e->code);
		return -1;
	}
	e->kind = ref.kind;
	e->basic = ref.basic;
	e->subject = ref.subject;
	e->detail = ref.detail;
	if (ref.kind == CODE_ENHANCED &&
	    (ref.subject > CODE_SUBJECT_MAX || ref.detail > CODE_DETAIL_MAX)) {
		diag_add(L->d, L->file, line_of(g),
		         "code %s is beyond X.%d.%d, the largest supported",
		         e->code, CODE_SUBJECT_MAX, CODE_DETAIL_MAX);
		return -1;
	}
	slot = ref.kind == CODE_BASIC
	           ? &L->t->basic[ref.basic]
	           : &L->t->enhanced[ref.subject][ref.detail];
	if (*slot != NULL) {
		diag_add(L->d, L->file, line_of(g),
		         "duplicate code %s (first defined at line %u)",
		         e->code, (*slot)->line);
		return -1;
	}
	*slot = e;
	return 0;
}

static const char *const entry_fields[] = {
    "code", "name", "class", "description", "when", "fix", "who", "basic",
};

/* The `who` field of a code or a cause: one of the five words. */
static int
load_who(struct loader *L, enum who *out, const config_setting_t *f)
{
	const char *v = config_setting_type(f) == CONFIG_TYPE_STRING
	                    ? config_setting_get_string(f)
	                    : NULL;

	if (v == NULL || (*out = who_parse(v)) == WHO_UNKNOWN) {
		diag_add(L->d, L->file, line_of(f),
		         "field 'who' must be one of %s", who_choices());
		return -1;
	}
	return 0;
}

static const char **
field_slot(struct code_entry *e, const char *name)
{
	if (strcmp(name, "code") == 0)
		return &e->code;
	if (strcmp(name, "name") == 0)
		return &e->name;
	if (strcmp(name, "class") == 0)
		return &e->class_name;
	if (strcmp(name, "description") == 0)
		return &e->description;
	if (strcmp(name, "when") == 0)
		return &e->when;
	if (strcmp(name, "fix") == 0)
		return &e->fix;
	return NULL;
}

static int
load_entry(struct loader *L, struct code_entry *e, const config_setting_t *g)
{
	const config_setting_t *f, *assoc = NULL;
	const char **slot;
	int i, n, bad = 0;
	size_t k;

	e->line = line_of(g);
	if (!config_setting_is_group(g)) {
		diag_add(L->d, L->file, e->line,
		         "each entry of 'codes' must be a group { ... }");
		return -1;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		f = config_setting_get_elem(g, (unsigned)i);
		if (strcmp(config_setting_name(f), "basic") == 0) {
			assoc = f;
			continue;
		}
		if (strcmp(config_setting_name(f), "who") == 0) {
			if (load_who(L, &e->who, f) != 0)
				bad = 1;
			continue;
		}
		if ((slot = field_slot(e, config_setting_name(f))) == NULL) {
			diag_add(L->d, L->file, line_of(f),
			         "unknown field '%s'", config_setting_name(f));
			bad = 1;
		} else if ((*slot = field_string(L, f)) == NULL)
			bad = 1;
	}
	for (k = 0; k < sizeof(entry_fields) / sizeof(entry_fields[0]); k++) {
		slot = field_slot(e, entry_fields[k]);
		if ((slot != NULL || strcmp(entry_fields[k], "who") == 0) &&
		    (slot == NULL || *slot == NULL) &&
		    config_setting_get_member(g, entry_fields[k]) == NULL) {
			diag_add(L->d, L->file, e->line, "missing field '%s'",
			         entry_fields[k]);
			bad = 1;
		}
	}
	if (e->code == NULL || set_code(L, e, g) != 0)
		return -1;
	if (e->class_name != NULL && check_class(L, e, g) != 0)
		bad = 1;
	if (e->kind == CODE_BASIC && assoc != NULL) {
		diag_add(L->d, L->file, line_of(assoc),
		         "field 'basic' belongs to enhanced codes only");
		bad = 1;
	} else if (e->kind == CODE_ENHANCED && assoc == NULL) {
		diag_add(L->d, L->file, e->line,
		         "missing field 'basic' (use [ ] if none)");
		bad = 1;
	} else if (assoc != NULL && load_assoc(L, e, assoc) != 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* Causes. */

static bool
cause_name_ok(const char *v)
{
	const char *p;

	if (!islower((unsigned char)v[0]) || strlen(v) > NAME_MAX_LEN)
		return false;
	for (p = v; *p != '\0'; p++)
		if (!islower((unsigned char)*p) &&
		    !isdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

static const char *const cause_fields[] = {
    "name", "title", "explanation", "when", "fix", "who", "codes", "patterns",
};

static int
load_cause_field(struct loader *L, struct cause_entry *c,
                 const config_setting_t *f)
{
	const char *name = config_setting_name(f);
	const char **slot = NULL;

	if (strcmp(name, "codes") == 0)
		return load_strings(L, f, c->codes, &c->ncodes, CAUSE_CODES_MAX,
		                    "codes");
	if (strcmp(name, "implied_by") == 0)
		return load_strings(L, f, c->implied_by, &c->nimplied,
		                    CAUSE_CODES_MAX, "codes");
	if (strcmp(name, "patterns") == 0)
		return load_strings(L, f, c->patterns, &c->npatterns,
		                    CAUSE_PATTERNS_MAX, "patterns");
	if (strcmp(name, "unless") == 0)
		return load_strings(L, f, c->unless, &c->nunless,
		                    CAUSE_UNLESS_MAX, "patterns");
	if (strcmp(name, "who") == 0)
		return load_who(L, &c->who, f);
	if (strcmp(name, "name") == 0)
		slot = &c->name;
	else if (strcmp(name, "title") == 0)
		slot = &c->title;
	else if (strcmp(name, "explanation") == 0)
		slot = &c->explanation;
	else if (strcmp(name, "when") == 0)
		slot = &c->when;
	else if (strcmp(name, "fix") == 0)
		slot = &c->fix;
	if (slot == NULL) {
		diag_add(L->d, L->file, line_of(f), "unknown field '%s'", name);
		return -1;
	}
	/* field_string bounds "name" like a code's name; titles likewise. */
	return (*slot = field_string(L, f)) == NULL ? -1 : 0;
}

static int
load_cause(struct loader *L, struct cause_entry *c, const config_setting_t *g)
{
	int i, n, bad = 0;
	size_t k;

	memset(c, 0, sizeof(*c)); /* the slot of a refused cause is reused */
	c->line = line_of(g);
	if (!config_setting_is_group(g)) {
		diag_add(L->d, L->file, c->line,
		         "each entry of 'causes' must be a group { ... }");
		return -1;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++)
		if (load_cause_field(
		        L, c, config_setting_get_elem(g, (unsigned)i)) != 0)
			bad = 1;
	for (k = 0; k < sizeof(cause_fields) / sizeof(cause_fields[0]); k++)
		if (config_setting_get_member(g, cause_fields[k]) == NULL) {
			diag_add(L->d, L->file, c->line,
			         "cause: missing field '%s'", cause_fields[k]);
			bad = 1;
		}
	if (c->name != NULL && !cause_name_ok(c->name)) {
		diag_add(L->d, L->file, c->line,
		         "cause name '%s' must be lower case letters, digits "
		         "and '-', starting with a letter",
		         c->name);
		bad = 1;
	}
	if (!bad && (c->ncodes == 0 || c->npatterns == 0)) {
		diag_add(L->d, L->file, c->line,
		         "cause '%s' needs at least one code and one pattern",
		         c->name);
		bad = 1;
	}
	return bad ? -1 : 0;
}

/* A cause's codes must be in the table, so every page can link to them. */
static int
check_cause_codes(struct loader *L, const struct cause_entry *c)
{
	const char *const *list[2] = {c->codes, c->implied_by};
	const size_t n[2] = {c->ncodes, c->nimplied};
	size_t i, k;
	struct code_ref ref;
	int bad = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; i < n[k]; i++) {
			if (code_parse(list[k][i], &ref) != 0 ||
			    (ref.kind == CODE_ENHANCED && ref.cls != 0) ||
			    codetable_find(L->t, &ref) != NULL)
				continue; /* malformed: causeset_build says */
			diag_add(L->d, L->file, c->line,
			         "cause '%s': code %s has no entry in the "
			         "table",
			         c->name, list[k][i]);
			bad = 1;
		}
	return bad ? -1 : 0;
}

static int
load_causes(struct loader *L)
{
	const config_setting_t *list;
	struct codetable *t = L->t;
	int i, n, bad = 0;
	size_t k;

	if ((list = config_lookup(&t->cfg, "causes")) == NULL)
		return 0;
	if (!config_setting_is_list(list)) {
		diag_add(L->d, L->file, line_of(list),
		         "'causes' must be a list ( { name = ...; }, ... )");
		return -1;
	}
	n = config_setting_length(list);
	if ((t->causes = calloc((size_t)n + 1, sizeof(*t->causes))) == NULL) {
		diag_add(L->d, L->file, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct cause_entry *c = &t->causes[t->ncauses];

		if (load_cause(L, c,
		               config_setting_get_elem(list, (unsigned)i)) !=
		    0) {
			bad = 1;
			continue;
		}
		if (check_cause_codes(L, c) != 0)
			bad = 1;
		for (k = 0; k < t->ncauses; k++)
			if (strcmp(t->causes[k].name, c->name) == 0) {
				diag_add(L->d, L->file, c->line,
				         "duplicate cause '%s' (first defined "
				         "at line %u)",
				         c->name, t->causes[k].line);
				bad = 1;
			}
		t->ncauses++;
	}
	if (bad)
		return -1;
	if (t->ncauses > 0 &&
	    (t->causeset =
	         causeset_build(t->causes, t->ncauses, L->file, L->d)) == NULL)
		return -1;
	return 0;
}

static int
load_entries(struct loader *L)
{
	const config_setting_t *root, *list, *s;
	struct codetable *t = L->t;
	int i, n, bad = 0;
	size_t k;

	root = config_root_setting(&t->cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		if (strcmp(config_setting_name(s), "codes") != 0 &&
		    strcmp(config_setting_name(s), "causes") != 0) {
			diag_add(L->d, L->file, line_of(s),
			         "unknown setting '%s' (a code table has only "
			         "'codes' and 'causes')",
			         config_setting_name(s));
			bad = 1;
		}
	}
	list = config_lookup(&t->cfg, "codes");
	if (list == NULL || !config_setting_is_list(list)) {
		diag_add(L->d, L->file, list ? line_of(list) : 0,
		         "missing list 'codes = ( { code = ...; }, ... );'");
		return -1;
	}
	n = config_setting_length(list);
	if ((t->entries = calloc((size_t)n + 1, sizeof(*t->entries))) == NULL) {
		diag_add(L->d, L->file, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(list, (unsigned)i);
		if (load_entry(L, &t->entries[t->n], s) != 0)
			bad = 1;
		t->n++;
	}
	for (k = 0; k < t->n; k++)
		if (t->entries[k].kind == CODE_ENHANCED &&
		    check_assoc(L, &t->entries[k]) != 0)
			bad = 1;
	if (!bad && t->enhanced[0][0] == NULL) {
		diag_add(L->d, L->file, 0,
		         "no entry for X.0.0, the fallback for unknown codes");
		bad = 1;
	}
	if (load_causes(L) != 0)
		bad = 1;
	return bad ? -1 : 0;
}

/* The table in text, or in the file name when text is NULL. */
static struct codetable *
load(const char *name, const char *text, struct diag *d)
{
	struct codetable *t;
	struct loader L;
	size_t before = d->count;
	int ok;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->source = strdup(name)) == NULL) {
		free(t);
		diag_add(d, name, 0, "out of memory");
		return NULL;
	}
	config_init(&t->cfg);
	ok = text == NULL ? cfgfile_read(&t->cfg, name, d)
	                  : cfgfile_parse(&t->cfg, name, text, strlen(text), d);
	if (ok != 0) {
		codetable_free(t);
		return NULL;
	}
	L.t = t;
	L.d = d;
	L.file = t->source;
	if (load_entries(&L) != 0 || d->count != before) {
		codetable_free(t);
		return NULL;
	}
	return t;
}

struct codetable *
codetable_load_file(const char *path, struct diag *d)
{
	return load(path, NULL, d);
}

struct codetable *
codetable_load_string(const char *name, const char *text, struct diag *d)
{
	return load(name, text, d);
}

struct codetable *
codetable_load_builtin(struct diag *d)
{
	return load(BUILTIN_NAME, codes_builtin, d);
}

void
codetable_free(struct codetable *t)
{
	if (t == NULL)
		return;
	causeset_free(t->causeset);
	config_destroy(&t->cfg);
	free(t->causes);
	free(t->entries);
	free(t->source);
	free(t);
}
