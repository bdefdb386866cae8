/*
 * htmlparts - the pieces the help site's pages share: links to a code,
 * a comparison or a cause, headings, sections of table text.
 */
#ifndef HTMLPARTS_H
#define HTMLPARTS_H

#include "core/cause.h"
#include "core/codetable.h"
#include "site/html.h"
#include "site/related.h"

enum link_form {
	LINK_CODE,   /* "550" */
	LINK_ROW,    /* "550" then "Mailbox Unavailable": a list's columns */
	LINK_PHRASE, /* "550 Mailbox Unavailable" read as one English phrase */
};

/*
 * A link to a code's page, from any page of a language. In an Arabic page
 * a row keeps the code at the start (right) edge so that a list's codes
 * line up; a phrase stays left to right, code first.
 */
void html_code_link(struct html_page *, const struct code_entry *,
                    enum link_form);
/* The "Who should act" section, in the page's language; none if unset. */
void html_who(struct html_page *, enum who who);
/* "550 vs 551", to the pair's comparison page. */
void html_compare_link(struct html_page *, const struct code_pair *);
/* The cause's title, to its page. */
void html_cause_link(struct html_page *, const struct cause_entry *);
/* <hN id="id">text</hN>, text in the page's language. */
void html_heading(struct html_page *, int level, const char *id,
                  const char *text);
/* A heading in the page's language over one paragraph of table text. */
void html_section(struct html_page *, int level, const char *id,
                  const char *title, const char *text);

#endif
