/*
 * smtpcode - read "550", "5.1.1" and "X.1.1"; the names of classes and
 * subjects (RFC 5321 4.2.1, RFC 3463 section 3).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/smtpcode.h"

static const char *const class_names[] = {
    [2] = "2xx Positive Completion",
    [3] = "3xx Positive Intermediate",
    [4] = "4xx Transient Negative",
    [5] = "5xx Permanent Negative",
};

static const char *const subject_names[] = {
    "X.0.XXX Other or Undefined Status",
    "X.1.XXX Addressing Status",
    "X.2.XXX Mailbox Status",
    "X.3.XXX Mail System Status",
    "X.4.XXX Network and Routing Status",
    "X.5.XXX Mail Delivery Protocol Status",
    "X.6.XXX Message Content or Media Status",
    "X.7.XXX Security or Policy Status",
};

const char *
code_class_name(int cls)
{
	if (cls < 2 || cls > 5)
		return NULL;
	return class_names[cls];
}

const char *
code_subject_name(int subject)
{
	if (subject < 0 ||
	    subject >= (int)(sizeof(subject_names) / sizeof(subject_names[0])))
		return NULL;
	return subject_names[subject];
}

/* Read 1 to 3 digits; return the number of characters used, 0 if none. */
static size_t
parse_digits(const char *s, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < 3 && isdigit((unsigned char)s[i]); i++)
		v = v * 10 + (s[i] - '0');
	if (i == 0 || isdigit((unsigned char)s[i]))
		return 0;
	*out = v;
	return i;
}

int
code_parse(const char *s, struct code_ref *ref)
{
	size_t k;

	memset(ref, 0, sizeof(*ref));
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == '\0') {
		ref->kind = CODE_BASIC;
		ref->basic = atoi(s);
		ref->cls = s[0] - '0';
		return ref->cls >= 2 && ref->cls <= 5 ? 0 : -1;
	}
	if (s[0] == 'X' || s[0] == 'x')
		ref->cls = 0;
	else if (s[0] == '2' || s[0] == '4' || s[0] == '5')
		ref->cls = s[0] - '0';
	else
		return -1;
	if (s[1] != '.')
		return -1;
	s += 2;
	if ((k = parse_digits(s, &ref->subject)) == 0 || s[k] != '.')
		return -1;
	s += k + 1;
	if ((k = parse_digits(s, &ref->detail)) == 0 || s[k] != '\0')
		return -1;
	ref->kind = CODE_ENHANCED;
	return 0;
}
