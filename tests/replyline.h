/*
 * replyline - a check shared by the reply format tests and the fuzz
 * targets: whether a wire line "550-5.7.1   word" holds a single word of
 * text after a section's lead ("Help: "), the one case where the reply
 * engine lets a line pass the wrap width (a URL keeps a line of its own).
 */
#ifndef REPLYLINE_H
#define REPLYLINE_H

#include <stdbool.h>
#include <string.h>

static inline bool
replyline_one_word(const char *p, const char *eol)
{
	static const char *const leads[] = {
	    "Explanation: ", "How to fix: ", "Postmaster: ", "Help: ",
	    "Reference: "};
	const char *t = p + 4;
	size_t k;

	if (t < eol && *t >= '2' && *t <= '5' && t[1] == '.')
		t += strcspn(t, " ");
	while (t < eol && *t == ' ')
		t++;
	for (k = 0; k < sizeof(leads) / sizeof(leads[0]); k++)
		/* cppcheck-suppress knownConditionTrueFalse ; it is not */
		if ((size_t)(eol - t) > strlen(leads[k]) &&
		    strncmp(t, leads[k], strlen(leads[k])) == 0)
			t += strlen(leads[k]);
	for (; t < eol; t++)
		if (*t == ' ')
			return false;
	return true;
}

#endif
