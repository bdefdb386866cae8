/*
 * who - who should act on a refusal: the table's `who` field.
 *
 * Every code and cause of the table says who can do something about it,
 * so that a bounce can tell its reader at a glance whether the fix is
 * theirs: the sender, the sender's mail administrator, the recipient, the
 * recipient's administrator, or nobody (a transient failure the sending
 * server retries by itself).
 */
#ifndef WHO_H
#define WHO_H

enum who {
	WHO_UNKNOWN = 0, /* not set (a table entry always has one) */
	WHO_SENDER,
	WHO_SENDER_ADMIN,
	WHO_RECIPIENT,
	WHO_RECIPIENT_ADMIN,
	WHO_NOBODY,
	WHO_COUNT
};

/* The value of "sender", "sender-admin"...; WHO_UNKNOWN for any other. */
enum who who_parse(const char *s);

/* The table's word for w ("sender-admin"), or NULL for WHO_UNKNOWN. */
const char *who_name(enum who w);

/* "sender, sender-admin, recipient, recipient-admin or nobody": for errors. */
const char *who_choices(void);

#endif
