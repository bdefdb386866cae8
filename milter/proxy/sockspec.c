/*
 * sockspec - parse, listen on and connect to milter socket specs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proxy/sockspec.h"

static int
parse_inet(const char *rest, int family, struct sockspec *s, const char **why)
{
	struct addrinfo hints, *res = NULL;
	const char *at = strchr(rest, '@');
	char port[16];
	size_t n;

	n = at != NULL ? (size_t)(at - rest) : strlen(rest);
	if (n == 0 || n >= sizeof(port) || strspn(rest, "0123456789") != n) {
		*why = "the port must be a number (inet:PORT@HOST)";
		return -1;
	}
	memcpy(port, rest, n);
	port[n] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(at != NULL && at[1] ? at + 1 : NULL, port, &hints,
	                &res) != 0 ||
	    res == NULL) {
		*why = "the host does not resolve";
		return -1;
	}
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int
sockspec_parse(const char *spec, struct sockspec *s, const char **why)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
	const char *path = NULL;

	memset(s, 0, sizeof(*s));
	if (strncmp(spec, "inet:", 5) == 0)
		return parse_inet(spec + 5, AF_INET, s, why);
	if (strncmp(spec, "inet6:", 6) == 0)
		return parse_inet(spec + 6, AF_INET6, s, why);
	if (strncmp(spec, "unix:", 5) == 0)
		path = spec + 5;
	else if (strncmp(spec, "local:", 6) == 0)
		path = spec + 6;
	else if (spec[0] == '/')
		path = spec;
	if (path == NULL || path[0] != '/') {
		*why = "must be inet:PORT@HOST, inet6:PORT@HOST or unix:/path";
		return -1;
	}
	if (strlen(path) >= sizeof(un->sun_path)) {
		*why = "the socket path is too long";
		return -1;
	}
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	s->len = sizeof(*un);
	s->path = path;
	return 0;
}

int
sockspec_listen(const struct sockspec *s)
{
	struct stat st;
	int fd, on = 1;

	/* Replace a stale socket file, never anything else. */
	if (s->path != NULL && lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			errno = EEXIST;
			return -1;
		}
		unlink(s->path);
	}
	if ((fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (s->path == NULL)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&s->addr, s->len) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
sockspec_connect(const struct sockspec *s, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t elen = sizeof(int);
	int fd, err = 0, r;

	if ((fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* Non-blocking connect, so a silent peer costs timeout_ms at most. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (connect(fd, (const struct sockaddr *)&s->addr, s->len) != 0) {
		if (errno != EINPROGRESS) {
			err = errno;
			goto fail;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r <= 0) {
			err = r == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
		    err != 0)
			goto fail;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	sockspec_nodelay(fd);
	return fd;
fail:
	close(fd);
	errno = err != 0 ? err : EIO;
	return -1;
}

void
sockspec_nodelay(int fd)
{
	int on = 1;

	/* Not a TCP socket (unix): nothing to do, and no harm. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}
