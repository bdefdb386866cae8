/*
 * who - the five values of the table's `who` field.
 */
#include <string.h>

#include "core/who.h"

static const char *const names[WHO_COUNT] = {
    [WHO_SENDER] = "sender",       [WHO_SENDER_ADMIN] = "sender-admin",
    [WHO_RECIPIENT] = "recipient", [WHO_RECIPIENT_ADMIN] = "recipient-admin",
    [WHO_NOBODY] = "nobody",
};

enum who
who_parse(const char *s)
{
	int w;

	for (w = WHO_SENDER; w < WHO_COUNT; w++)
		if (strcmp(names[w], s) == 0)
			return (enum who)w;
	return WHO_UNKNOWN;
}

const char *
who_name(enum who w)
{
	return w > WHO_UNKNOWN && w < WHO_COUNT ? names[w] : NULL;
}

const char *
who_choices(void)
{
	return "sender, sender-admin, recipient, recipient-admin or nobody";
}
