/*
 * smtpcode - SMTP reply codes as written: parse them, name their classes.
 *
 * "550" (RFC 5321), "5.1.1" (RFC 3463) and the registry's "X.1.1" are
 * read here, apart from the code table, so that the table, the causes and
 * the command line share one reading without depending on one another.
 */
#ifndef SMTPCODE_H
#define SMTPCODE_H

/* Enhanced codes X.S.D are indexed directly; the registry stays far below. */
#define CODE_SUBJECT_MAX 9
#define CODE_DETAIL_MAX  99

enum code_kind { CODE_BASIC = 1, CODE_ENHANCED = 2 };

/* A code as written by a user or a server: "550", "5.1.1" or "X.1.1". */
struct code_ref {
	enum code_kind kind;
	int cls;     /* first digit; 0 for the registry form X.S.D */
	int basic;   /* CODE_BASIC: the three-digit code */
	int subject; /* CODE_ENHANCED */
	int detail;
};

/*
 * Parse "550" (class 2 to 5), "5.1.1" (class 2, 4 or 5) or "x.1.1" (class
 * 0), subject and detail of one to three digits. Returns 0 with ref
 * filled, or -1 when s is none of them (ref is then zeroed or partial).
 */
int code_parse(const char *s, struct code_ref *ref);

/* "5xx Permanent Negative" for class digit 5; NULL for no SMTP class. */
const char *code_class_name(int cls);

/* "X.7.XXX Security or Policy Status" for subject 7; NULL if unassigned. */
const char *code_subject_name(int subject);

#endif
