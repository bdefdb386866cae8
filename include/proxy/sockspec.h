/*
 * sockspec - libmilter's socket forms: inet:PORT@HOST, inet6:PORT@HOST,
 * unix:/path (local:/path, /path), for listening and for connecting.
 */
#ifndef SOCKSPEC_H
#define SOCKSPEC_H

#include <sys/socket.h>

struct sockspec {
	struct sockaddr_storage addr;
	socklen_t len;
	const char *path; /* unix sockets: the file, in the spec string */
};

/* 0, or -1 with why set to a short reason. */
int sockspec_parse(const char *spec, struct sockspec *, const char **why);
/* A listening socket (a stale unix socket file is replaced), or -1. */
int sockspec_listen(const struct sockspec *);
/* A connected socket within timeout_ms, or -1 with errno set. */
int sockspec_connect(const struct sockspec *, int timeout_ms);
/*
 * Send small packets at once: the milter protocol is a dialogue of small
 * packets, and Nagle's algorithm with delayed ACKs costs ~40 ms each.
 */
void sockspec_nodelay(int fd);

#endif
