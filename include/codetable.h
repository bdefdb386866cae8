/*
 * codetable - the shared SMTP code table: load, validate, look up.
 *
 * Every explanation milter-annotate emits comes from one table of basic
 * reply codes (RFC 5321) and enhanced status codes (RFC 3463), written in
 * libconfig syntax (conf/codes.conf, embedded in the binary at build time).
 * A table is immutable once loaded; a broken table is never returned.
 */
#ifndef CODETABLE_H
#define CODETABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Enhanced codes X.S.D are indexed directly; the registry stays far below. */
#define CODE_SUBJECT_MAX 9
#define CODE_DETAIL_MAX  99
#define CODE_ASSOC_MAX   16

enum code_kind { CODE_BASIC = 1, CODE_ENHANCED = 2 };

/* A code as written by a user or a server: "550", "5.1.1" or "X.1.1". */
struct code_ref {
	enum code_kind kind;
	int cls;     /* first digit; 0 for the registry form X.S.D */
	int basic;   /* CODE_BASIC: the three-digit code */
	int subject; /* CODE_ENHANCED */
	int detail;
};

struct code_entry {
	enum code_kind kind;
	int basic;   /* CODE_BASIC */
	int subject; /* CODE_ENHANCED: X.subject.detail */
	int detail;
	const char *code; /* as written in the table: "550", "X.1.1" */
	const char *name;
	const char *class_name;
	const char *description;
	const char *when;
	const char *fix;
	const char
	    *assoc[CODE_ASSOC_MAX]; /* CODE_ENHANCED: "451", "5xx", "any" */
	size_t nassoc;
	unsigned line;
};

struct codetable;

struct codetable *codetable_load_file(const char *path, struct diag *);
struct codetable *codetable_load_builtin(struct diag *);
/* Parse text held in memory; name is what error messages call it. */
struct codetable *codetable_load_string(const char *name, const char *text,
                                        struct diag *);
void codetable_free(struct codetable *);

const char *codetable_source(const struct codetable *);
size_t codetable_size(const struct codetable *);
const struct code_entry *codetable_at(const struct codetable *, size_t);
const struct code_entry *codetable_basic(const struct codetable *, int code);
const struct code_entry *codetable_enhanced(const struct codetable *,
                                            int subject, int detail);
/* The entry for a code as the user wrote it, or NULL. */
const struct code_entry *codetable_find(const struct codetable *,
                                        const struct code_ref *);

/*
 * The table's causes (see cause.h), in table order: the first that matches
 * a reply wins.
 */
struct cause_entry;
struct causeset;
size_t codetable_ncauses(const struct codetable *);
const struct cause_entry *codetable_cause_at(const struct codetable *, size_t);
const struct cause_entry *codetable_cause(const struct codetable *,
                                          const char *name);
/* NULL when the table has no causes. */
const struct causeset *codetable_causeset(const struct codetable *);

/* Parse "550", "5.1.1", "x.1.1"; -1 if it is none of them. */
int code_parse(const char *, struct code_ref *);
/* "5xx Permanent Negative" for class digit 5; NULL for no SMTP class. */
const char *code_class_name(int cls);
/* "X.7.XXX Security or Policy Status" for subject 7; NULL if unassigned. */
const char *code_subject_name(int subject);

#endif
