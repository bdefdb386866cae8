/*
 * fuzz_logscan - a libFuzzer target for logscan's line parser and
 * printer (logscan_parse, logscan_line, logscan_flush, logscan_summary).
 *
 * The input is a piece of a mail log: lines split at '\n', a trailing
 * '\r' dropped, as logscan's reader does. Each line goes through
 * logscan_parse (every field of an event a terminated string, the MTA
 * named) and, on scanners of their own, through logscan_line in text and
 * in JSON form. What they print must be one line per event whatever the
 * log held: text lines printable ASCII, JSON lines valid JSON objects of
 * string values in valid UTF-8.
 */
#include <ctype.h>
#include <string.h>

#include <glib.h>

#include "engine/config.h"
#include "fuzzcheck.h"
#include "tools/logscan.h"

#define FIELD_OK(f) FUZZ_CHECK(memchr((f), '\0', sizeof(f)) != NULL)

static struct config *
cfg(void)
{
	static struct config *c;
	struct diag d;

	if (c == NULL) {
		diag_init(&d);
		c = config_defaults(NULL, &d);
		FUZZ_CHECK(c != NULL);
	}
	return c;
}

static void
check_event(const struct logscan_event *ev)
{
	FIELD_OK(ev->time);
	FIELD_OK(ev->mta);
	FIELD_OK(ev->queue_id);
	FIELD_OK(ev->client);
	FIELD_OK(ev->from);
	FIELD_OK(ev->rcpt);
	FIELD_OK(ev->stage);
	FIELD_OK(ev->reply);
	FUZZ_CHECK(strcmp(ev->mta, "postfix") == 0 ||
	           strcmp(ev->mta, "sendmail") == 0);
}

/* One UTF-8 character at p, as GLib reads it; its length, or 0. */
static size_t
utf8_seq(const unsigned char *p)
{
	gunichar c = g_utf8_get_char_validated((const gchar *)p, -1);

	return c == (gunichar)-1 || c == (gunichar)-2
	           ? 0
	           : (size_t)g_unichar_to_utf8(c, NULL);
}

/* A JSON string at p; returns what follows it. */
static const char *
json_string(const char *p)
{
	size_t k;

	FUZZ_CHECK(*p++ == '"');
	while (*p != '"') {
		FUZZ_CHECK((unsigned char)*p >= 0x20);
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (k = 1; k <= 4; k++)
					FUZZ_CHECK(
					    isxdigit((unsigned char)p[k]));
				p += 5;
			} else {
				FUZZ_CHECK(*p != '\0' &&
				           strchr("\"\\/bfnrt", *p) != NULL);
				p++;
			}
			continue;
		}
		FUZZ_CHECK((k = utf8_seq((const unsigned char *)p)) > 0);
		p += k;
	}
	return p + 1;
}

/* {"key":"value",...} and nothing after it. */
static void
check_json_line(const char *line)
{
	const char *p = line;

	FUZZ_CHECK(*p++ == '{');
	for (;;) {
		p = json_string(p);
		FUZZ_CHECK(*p++ == ':');
		p = json_string(p);
		if (*p != ',')
			break;
		p++;
	}
	FUZZ_CHECK(p[0] == '}' && p[1] == '\0');
}

static void
check_output(char *out, int json)
{
	char *line, *save = NULL;
	const char *p;

	for (line = strtok_r(out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		/* The summary (text in both forms): a head, rows. */
		if (strncmp(line, "summary: ", 9) == 0 || line[0] == ' ') {
			for (p = line; *p != '\0'; p++)
				FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
			continue;
		}
		if (json) {
			check_json_line(line);
			continue;
		}
		FUZZ_CHECK(strncmp(line, "time=", 5) == 0);
		for (p = line; *p != '\0'; p++)
			FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct logscan_event ev;
	struct logscan *parser, *ls[2];
	char *text = fuzz_text(data, size), *line, *next, *out[2];
	size_t len[2], n;
	FILE *fp[2];
	int j;

	FUZZ_CHECK((parser = logscan_new(cfg(), false, stdout)) != NULL);
	for (j = 0; j < 2; j++) {
		out[j] = NULL;
		FUZZ_CHECK((fp[j] = open_memstream(&out[j], &len[j])) != NULL);
		FUZZ_CHECK((ls[j] = logscan_new(cfg(), j == 1, fp[j])) != NULL);
	}
	for (line = text; line <= text + size; line = next + 1) {
		next = memchr(line, '\n', (size_t)(text + size - line));
		if (next == NULL)
			next = text + size;
		*next = '\0';
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (logscan_parse(parser, line, &ev) == 1)
			check_event(&ev);
		for (j = 0; j < 2; j++)
			logscan_line(ls[j], line);
	}
	for (j = 0; j < 2; j++) {
		logscan_flush(ls[j]);
		logscan_summary(ls[j]);
		logscan_free(ls[j]);
		FUZZ_CHECK(fclose(fp[j]) == 0);
		check_output(out[j], j);
		free(out[j]);
	}
	logscan_free(parser);
	free(text);
	return 0;
}
