/*
 * codetable - the shared SMTP code table: load, validate, look up.
 *
 * Every explanation milter-annotate emits comes from one table of basic
 * reply codes (RFC 5321) and enhanced status codes (RFC 3463), written in
 * libconfig syntax (conf/codes.conf, embedded in the binary at build time),
 * and of the causes behind them (cause.h). A table is immutable once
 * loaded; a broken table is never returned.
 */
#ifndef CODETABLE_H
#define CODETABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/smtpcode.h"
#include "core/who.h"

#define CODE_ASSOC_MAX 16

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
	enum who who; /* who should act on it */
	const char
	    *assoc[CODE_ASSOC_MAX]; /* CODE_ENHANCED: "451", "5xx", "any" */
	size_t nassoc;
	unsigned line;
};

struct codetable;
struct cause_entry;
struct causeset;

/*
 * Load a table from a file, from the copy built into the binary, or from
 * text in memory (name is what messages call it). Returns the table, or
 * NULL with every problem found added to the diag as "FILE:LINE: reason"
 * (syntax, unknown or missing fields, bad codes, duplicates, causes whose
 * patterns do not compile, out of memory).
 */
struct codetable *codetable_load_file(const char *path, struct diag *);
struct codetable *codetable_load_builtin(struct diag *);
struct codetable *codetable_load_string(const char *name, const char *text,
                                        struct diag *);
/* Free a table and everything it holds; NULL is allowed. */
void codetable_free(struct codetable *);

/* The file name (or "codes.conf (built-in)") the table was loaded from. */
const char *codetable_source(const struct codetable *);

/* The number of code entries; entry i in table order, NULL past the end. */
size_t codetable_size(const struct codetable *);
const struct code_entry *codetable_at(const struct codetable *, size_t);

/* The entry of a basic code (550), or NULL if the table has none. */
const struct code_entry *codetable_basic(const struct codetable *, int code);
/* The entry of X.subject.detail, or NULL if the table has none. */
const struct code_entry *codetable_enhanced(const struct codetable *,
                                            int subject, int detail);
/* The entry for a code as the user wrote it (code_parse), or NULL. */
const struct code_entry *codetable_find(const struct codetable *,
                                        const struct code_ref *);

/*
 * The table's causes (cause.h), in table order: the first that matches a
 * reply wins. codetable_cause_at returns NULL past the end,
 * codetable_cause NULL for an unknown name, codetable_causeset NULL when
 * the table has no causes.
 */
size_t codetable_ncauses(const struct codetable *);
const struct cause_entry *codetable_cause_at(const struct codetable *, size_t);
const struct cause_entry *codetable_cause(const struct codetable *,
                                          const char *name);
const struct causeset *codetable_causeset(const struct codetable *);

#endif
