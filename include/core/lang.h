/*
 * lang - the words around the code table's texts, per language.
 *
 * The table's own texts are English; what frames them (section headings,
 * navigation, labels) is translated. The seed help pages gave the section
 * headings in English, Arabic, Russian and Chinese; the rest follows them.
 */
#ifndef LANG_H
#define LANG_H

#include <stdbool.h>
#include <stddef.h>

enum lang_text {
	/* The seed pages' headings, in their order. */
	LT_DESC,
	LT_WHEN,
	LT_FIX,
	LT_DIFF,
	LT_WHICH,
	LT_MORE,
	/* The help site's frame. */
	LT_SITE,     /* the site's name */
	LT_SKIP,     /* skip link to the main content */
	LT_NAV,      /* the navigation landmark's label */
	LT_HOME,     /* link to the language's index */
	LT_LANGS,    /* the language chooser */
	LT_CLASS,    /* label of a code's class */
	LT_RELATED,  /* codes used with this one */
	LT_COMPARE,  /* comparisons */
	LT_CAUSES,   /* causes */
	LT_CODES,    /* the codes a cause comes with */
	LT_BASIC,    /* basic reply codes */
	LT_ENHANCED, /* enhanced status codes */
	LT_ACROSS,   /* comparisons across groups */
	/* Who should act (the table's `who`), on pages and in bounces. */
	LT_WHO,
	LT_WHO_SENDER,
	LT_WHO_SENDER_ADMIN,
	LT_WHO_RECIPIENT,
	LT_WHO_RECIPIENT_ADMIN,
	LT_WHO_NOBODY,
	/* Annotated bounces; %N stands for a number. */
	LT_EXPLANATION,
	LT_HELP,
	LT_DSN_TITLE,
	LT_DSN_FAILED_ONE,
	LT_DSN_FAILED,
	LT_DSN_DELAYED_ONE,
	LT_DSN_DELAYED,
	LT_DSN_BADGE_FAILED,
	LT_DSN_BADGE_DELAYED,
	LT_DSN_REPLY,
	LT_DSN_RETRY,
	LT_DSN_MORE,
	LT_DSN_ORIGINAL,
	LT_COUNT
};

struct lang {
	const char *code; /* "en", "ar", "ru", "zh" */
	const char *name; /* in itself: "العربية" */
	bool rtl;
	const char *t[LT_COUNT];
};

/* The number of languages; language i (English first), NULL past the end. */
size_t lang_count(void);
const struct lang *lang_at(size_t);
/* The text of who (core/who.h) in language L; "" for WHO_UNKNOWN. */
const char *lang_who(const struct lang *L, int who);

/* The language of code "ar", or NULL. */
const struct lang *lang_find(const char *code);

#endif
