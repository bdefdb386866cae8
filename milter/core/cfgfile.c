/*
 * cfgfile - read a private libconfig file, whole, without includes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfgfile.h"

/* The line of p in text, counting from 1. */
static unsigned
line_at(const char *text, const char *p)
{
	unsigned line = 1;

	for (; text < p; text++)
		line += *text == '\n';
	return line;
}

/*
 * libconfig takes "@include" at the start of a line, after blanks. A line
 * inside a string or comment that starts so is refused too: it would
 * read as an include to anyone looking at the file.
 */
static const char *
find_include(const char *text, size_t len)
{
	static const char word[] = "@include";
	size_t i = 0;

	while (i < len) {
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (len - i >= sizeof(word) - 1 &&
		    memcmp(text + i, word, sizeof(word) - 1) == 0)
			return text + i;
		while (i < len && text[i] != '\n')
			i++;
		i++;
	}
	return NULL;
}

int
cfgfile_parse(config_t *cfg, const char *name, const char *text, size_t len,
              struct diag *d)
{
	const char *p;

	if ((p = memchr(text, '\0', len)) != NULL) {
		diag_add(d, name, line_at(text, p), "has a NUL byte");
		return -1;
	}
	if ((p = find_include(text, len)) != NULL) {
		diag_add(d, name, line_at(text, p),
		         "@include is not supported: the file must be whole");
		return -1;
	}
	if (config_read_string(cfg, text) != CONFIG_TRUE) {
		diag_add(d, name, (unsigned)config_error_line(cfg), "%s",
		         config_error_text(cfg));
		return -1;
	}
	return 0;
}

/* The whole file, NUL-terminated; NULL with *len 0 on a read error. */
static char *
slurp(int fd, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *grown;
	ssize_t r;

	while (buf != NULL) {
		if (n + 1 == cap) {
			if (cap > CFGFILE_MAX ||
			    (grown = realloc(buf, cap * 2)) == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			buf[n] = '\0';
			*len = n;
			return buf;
		}
		n += (size_t)r;
	}
	free(buf);
	*len = n;
	return NULL;
}

int
cfgfile_read(config_t *cfg, const char *path, struct diag *d)
{
	struct stat st;
	size_t len;
	char *text;
	int fd, rc;

	/* Non-blocking: a FIFO or a device named by mistake must not hang
	 * a reload; it is refused below. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) <
	        0 ||
	    fstat(fd, &st) != 0) {
		diag_add(d, path, 0, "cannot read file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_add(d, path, 0, "refused: not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		diag_add(d, path, 0,
		         "refused: writable by others (chmod o-w %s)", path);
		close(fd);
		return -1;
	}
	text = slurp(fd, &len);
	close(fd);
	if (text == NULL) {
		if (len > CFGFILE_MAX)
			diag_add(d, path, 0, "refused: larger than %d bytes",
			         CFGFILE_MAX);
		else
			diag_add(d, path, 0, "cannot read file");
		return -1;
	}
	rc = cfgfile_parse(cfg, path, text, len, d);
	free(text);
	return rc;
}
