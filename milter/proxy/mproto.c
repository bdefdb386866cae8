/*
 * mproto - milter packets: framing, bounded reads and writes, decoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "proxy/mproto.h"

const char *
mproto_strerror(int status)
{
	switch (status) {
	case MP_OK:
		return "ok";
	case MP_MORE:
		return "incomplete packet";
	case MP_CLOSED:
		return "connection closed";
	case MP_TIMEOUT:
		return "timed out";
	case MP_IO:
		return "socket error";
	case MP_MALFORMED:
		return "malformed packet";
	case MP_TOOBIG:
		return "oversized packet";
	default:
		return "unknown error";
	}
}

static uint32_t
get32(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;

	return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	       (uint32_t)u[2] << 8 | (uint32_t)u[3];
}

static void
put32(char *p, uint32_t v)
{
	p[0] = (char)(v >> 24);
	p[1] = (char)(v >> 16);
	p[2] = (char)(v >> 8);
	p[3] = (char)v;
}

/* The length counts the command byte: zero is no packet at all. */
static int
check_len(uint32_t len)
{
	if (len == 0)
		return MP_MALFORMED;
	return len - 1 > MPROTO_DATA_MAX ? MP_TOOBIG : MP_OK;
}

int
mproto_frame(const char *buf, size_t n, struct mpacket *p, size_t *used)
{
	uint32_t len;
	int st;

	if (n < 4)
		return MP_MORE;
	len = get32(buf);
	if ((st = check_len(len)) != MP_OK)
		return st;
	if (n < 4 + (size_t)len)
		return MP_MORE;
	p->cmd = buf[4];
	p->len = len - 1;
	p->data = buf + 5;
	*used = 4 + (size_t)len;
	return MP_OK;
}

/* Milliseconds left until deadline, or -1 for no deadline. */
static int
remaining(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	if (deadline == NULL)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

static int
wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd pfd = {fd, events, 0};
	int r;

	do
		r = poll(&pfd, 1, remaining(deadline));
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return MP_TIMEOUT;
	return r < 0 ? MP_IO : MP_OK;
}

static void
deadline_in(struct timespec *d, int timeout_ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += timeout_ms / 1000;
	d->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (d->tv_nsec >= 1000000000) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000;
	}
}

#define READ_CHUNK 4096 /* what one read asks for, at least */

/* Grow or compact r so that room bytes fit after r->start, NUL included. */
static int
reader_room(struct mreader *r, size_t room)
{
	size_t have = r->end - r->start, cap;
	char *grown;

	if (r->start > 0 && r->cap - r->start < room) {
		memmove(r->buf, r->buf + r->start, have);
		r->start = 0;
		r->end = have;
	}
	if (r->cap - r->start >= room)
		return MP_OK;
	cap = room < READ_CHUNK ? READ_CHUNK : room;
	if ((grown = realloc(r->buf, cap)) == NULL)
		return MP_IO;
	r->buf = grown;
	r->cap = cap;
	return MP_OK;
}

/*
 * About to wait for a reader that asked for it (r->quickack): acknowledge
 * what the peer sent at once. A peer that writes several small answers in
 * a row without TCP_NODELAY (libmilter, answering pipelined steps) holds
 * each until the last is acknowledged, and Linux delays that ACK up to
 * 40 ms when there is nothing to send back. Not a TCP socket: remembered,
 * and not tried again.
 */
static void
ack_now(int fd, struct mreader *r)
{
	int on = 1;

	if (r->quickack && !r->not_tcp &&
	    setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof(on)) != 0)
		r->not_tcp = 1;
}

/*
 * Whether the first read of a packet may block in recv itself, bounded by
 * SO_RCVTIMEO set to the packet's timeout: one system call where a read
 * that finds nothing, a poll and a read are three. Only on the descriptor
 * the reader was bound to (a number reused for another socket would have
 * no SO_RCVTIMEO); not a blocking socket, or no deadline: poll.
 */
static int
may_block(int fd, struct mreader *r, int timeout_ms)
{
	struct timeval tv;
	int fl;

	if (r->bound != fd + 1 || r->quickack || timeout_ms <= 0 ||
	    r->read_mode == READ_POLL)
		return 0;
	if (r->read_mode == READ_UNKNOWN) {
		fl = fcntl(fd, F_GETFL);
		r->read_mode =
		    fl < 0 || (fl & O_NONBLOCK) != 0 ? READ_POLL : READ_BLOCK;
		if (r->read_mode == READ_POLL)
			return 0;
	}
	if (r->timeo_ms != timeout_ms) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) !=
		    0) {
			r->read_mode = READ_POLL;
			return 0;
		}
		r->timeo_ms = timeout_ms;
	}
	return 1;
}

/*
 * Buffer at least n bytes past r->start before the deadline, taking in one
 * read whatever the peer has sent (one spare byte kept for a NUL).
 */
static int
reader_fill(int fd, struct mreader *r, size_t n, const struct timespec *dl,
            int *block)
{
	ssize_t got;
	int st;

	if ((st = reader_room(r, n + 1)) != MP_OK)
		return st;
	while (r->end - r->start < n) {
		int blocked = *block;

		/* Only the first read may block: the deadline stays exact. */
		*block = 0;
		got = recv(fd, r->buf + r->end, r->cap - r->end - 1,
		           blocked ? 0 : MSG_DONTWAIT);
		if (got < 0 && errno == ENOTSOCK) {
			/* A pipe (tests): wait, then read what is there. */
			if ((st = wait_fd(fd, POLLIN, dl)) != MP_OK)
				return st;
			got = read(fd, r->buf + r->end, r->cap - r->end - 1);
		}
		if (got == 0)
			return MP_CLOSED;
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (blocked)
					return MP_TIMEOUT; /* SO_RCVTIMEO */
				ack_now(fd, r);
				if ((st = wait_fd(fd, POLLIN, dl)) != MP_OK)
					return st;
				continue;
			}
			if (errno == EINTR)
				continue;
			return errno == ECONNRESET ? MP_CLOSED : MP_IO;
		}
		r->end += (size_t)got;
	}
	return MP_OK;
}

int
mproto_pending(const struct mreader *r)
{
	size_t have = r->end - r->start;
	const unsigned char *b = (const unsigned char *)r->buf + r->start;
	uint32_t len;

	if (have < 4)
		return 0;
	/* The first byte may be lent to a NUL (mproto_read): put it back. */
	len = (uint32_t)(r->restore && r->nul_at == r->start
	                     ? (unsigned char)r->saved
	                     : b[0])
	          << 24 |
	      (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return check_len(len) == MP_OK && have - 4 >= len;
}

void
mproto_reader_bind(struct mreader *r, int fd)
{
	r->bound = fd + 1;
	r->read_mode = READ_UNKNOWN;
	r->timeo_ms = 0;
	r->not_tcp = 0;
}

void
mproto_reader_free(struct mreader *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

int
mproto_read(int fd, int timeout_ms, struct mreader *r, struct mpacket *p)
{
	struct timespec deadline, *dl = NULL;
	uint32_t len;
	char *pkt;
	int st, block;

	if (timeout_ms >= 0) {
		deadline_in(&deadline, timeout_ms);
		dl = &deadline;
	}
	if (r->restore) {
		r->buf[r->nul_at] = r->saved;
		r->restore = 0;
	}
	if (r->start == r->end)
		r->start = r->end = 0;
	block = may_block(fd, r, timeout_ms);
	if ((st = reader_fill(fd, r, 4, dl, &block)) != MP_OK ||
	    (st = check_len(len = get32(r->buf + r->start))) != MP_OK ||
	    (st = reader_fill(fd, r, 4 + (size_t)len, dl, &block)) != MP_OK) {
		/* The stream is out of step: nothing buffered is kept. */
		r->start = r->end = 0;
		return st;
	}
	pkt = r->buf + r->start + 4;
	r->start += 4 + (size_t)len;
	/* Decoders may rely on a NUL after the data: lend the next byte. */
	r->nul_at = r->start;
	if (r->start < r->end) {
		r->saved = r->buf[r->nul_at];
		r->restore = 1;
	}
	r->buf[r->nul_at] = '\0';
	p->cmd = pkt[0];
	p->len = len - 1;
	p->data = pkt + 1;
	return MP_OK;
}

/*
 * Write the iovecs whole before the deadline: one sendmsg when the socket
 * has room (nearly always), polling only when it has not. Never blocks
 * inside send: POLLOUT means some room, not room for everything.
 */
static int
write_iov(int fd, struct iovec *iov, int n, const struct timespec *deadline)
{
	struct msghdr msg;
	ssize_t w;
	int st;

	while (n > 0) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)n;
		/* A peer that has gone must not kill the process (SIGPIPE). */
		w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == ENOTSOCK) {
			if ((st = wait_fd(fd, POLLOUT, deadline)) != MP_OK)
				return st;
			w = writev(fd, iov, n);
		}
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if ((st = wait_fd(fd, POLLOUT, deadline)) !=
				    MP_OK)
					return st;
				continue;
			}
			if (errno == EINTR)
				continue;
			return errno == EPIPE || errno == ECONNRESET ? MP_CLOSED
			                                             : MP_IO;
		}
		/* Skip what was written, whole iovecs then part of one. */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return MP_OK;
}

int
mproto_write(int fd, int timeout_ms, char cmd, const void *data, size_t len)
{
	struct timespec deadline, *dl = NULL;
	struct iovec iov[2];
	char head[5];

	if (len > MPROTO_DATA_MAX)
		return MP_TOOBIG;
	if (timeout_ms >= 0) {
		deadline_in(&deadline, timeout_ms);
		dl = &deadline;
	}
	put32(head, (uint32_t)len + 1);
	head[4] = cmd;
	iov[0].iov_base = head;
	iov[0].iov_len = sizeof(head);
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	return write_iov(fd, iov, len > 0 ? 2 : 1, dl);
}

int
mproto_optneg_decode(const struct mpacket *p, struct moptneg *o)
{
	const char *d = p->data, *end = p->data + p->len, *nul;
	uint32_t stage;

	memset(o, 0, sizeof(*o));
	if (p->len < 12)
		return MP_MALFORMED;
	o->version = get32(d);
	o->actions = get32(d + 4);
	o->protocol = get32(d + 8);
	/* Then, in a reply, pairs of (stage, "macro names\0"). */
	for (d += 12; d < end;) {
		if (end - d < 5)
			return MP_MALFORMED;
		stage = get32(d);
		d += 4;
		if ((nul = memchr(d, '\0', (size_t)(end - d))) == NULL ||
		    stage >= MPROTO_STAGES)
			return MP_MALFORMED;
		o->macros[stage] = d;
		d = nul + 1;
	}
	return MP_OK;
}

size_t
mproto_optneg_encode(const struct moptneg *o, char *buf, size_t cap)
{
	size_t n = 12, k;
	uint32_t i;

	if (cap < n)
		return 0;
	put32(buf, o->version);
	put32(buf + 4, o->actions);
	put32(buf + 8, o->protocol);
	for (i = 0; i < MPROTO_STAGES; i++) {
		if (o->macros[i] == NULL)
			continue;
		k = strlen(o->macros[i]) + 1;
		if (n + 4 + k > cap)
			return 0;
		put32(buf + n, i);
		memcpy(buf + n + 4, o->macros[i], k);
		n += 4 + k;
	}
	return n;
}

int
mproto_strings(const struct mpacket *p, size_t skip, const char **out,
               size_t max)
{
	const char *d = p->data + skip, *end = p->data + p->len, *nul;
	size_t n = 0;

	if (skip > p->len)
		return MP_MALFORMED;
	if (d < end && end[-1] != '\0')
		return MP_MALFORMED;
	for (; d < end && n < max; d = nul + 1) {
		nul = memchr(d, '\0', (size_t)(end - d));
		out[n++] = d;
	}
	return (int)n;
}

int
mproto_connect_decode(const struct mpacket *p, struct mconnect *c)
{
	const char *end = p->data + p->len, *nul;

	memset(c, 0, sizeof(*c));
	if ((nul = memchr(p->data, '\0', p->len)) == NULL || nul + 1 >= end)
		return MP_MALFORMED;
	c->host = p->data;
	c->family = nul[1];
	if (c->family == 'U') /* SMFIA_UNKNOWN: nothing follows */
		return MP_OK;
	if (c->family != '4' && c->family != '6' && c->family != 'L')
		return MP_MALFORMED;
	if (end - (nul + 2) < 3 || end[-1] != '\0')
		return MP_MALFORMED;
	c->port =
	    (uint16_t)((unsigned char)nul[2] << 8 | (unsigned char)nul[3]);
	c->addr = nul + 4;
	return MP_OK;
}

/* The step's "don't send" flag; 0 where there is none. */
uint32_t
mproto_no_flag(char cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT:
		return SMFIP_NOCONNECT;
	case SMFIC_HELO:
		return SMFIP_NOHELO;
	case SMFIC_MAIL:
		return SMFIP_NOMAIL;
	case SMFIC_RCPT:
		return SMFIP_NORCPT;
	case SMFIC_BODY:
		return SMFIP_NOBODY;
	case SMFIC_HEADER:
		return SMFIP_NOHDRS;
	case SMFIC_EOH:
		return SMFIP_NOEOH;
	case SMFIC_UNKNOWN:
		return SMFIP_NOUNKNOWN;
	case SMFIC_DATA:
		return SMFIP_NODATA;
	default:
		return 0;
	}
}

/* The step's "no reply" flag; 0 where there is none. */
uint32_t
mproto_nr_flag(char cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT:
		return SMFIP_NR_CONN;
	case SMFIC_HELO:
		return SMFIP_NR_HELO;
	case SMFIC_MAIL:
		return SMFIP_NR_MAIL;
	case SMFIC_RCPT:
		return SMFIP_NR_RCPT;
	case SMFIC_BODY:
		return SMFIP_NR_BODY;
	case SMFIC_HEADER:
		return SMFIP_NR_HDR;
	case SMFIC_EOH:
		return SMFIP_NR_EOH;
	case SMFIC_UNKNOWN:
		return SMFIP_NR_UNKN;
	case SMFIC_DATA:
		return SMFIP_NR_DATA;
	default:
		return 0;
	}
}

const char *
mproto_step_name(char cmd)
{
	switch (cmd) {
	case SMFIC_CONNECT:
		return "connect";
	case SMFIC_HELO:
		return "helo";
	case SMFIC_MAIL:
		return "mail";
	case SMFIC_RCPT:
		return "rcpt";
	case SMFIC_DATA:
		return "data";
	case SMFIC_HEADER:
		return "header";
	case SMFIC_EOH:
		return "eoh";
	case SMFIC_BODY:
		return "body";
	case SMFIC_BODYEOB:
		return "eom";
	case SMFIC_UNKNOWN:
		return "unknown";
	case SMFIC_OPTNEG:
		return "optneg";
	default:
		return "other";
	}
}

/*
 * Packets queued to leave together: a step's macros with the step, and
 * steps nobody waits on with the next one somebody does. Each send to a
 * local peer costs a wake-up of it; one send for several packets, one.
 */
int
mproto_queue(struct mwriter *w, char cmd, const void *data, size_t len)
{
	size_t need = w->len + 5 + len, cap;
	char *grown;

	if (len > MPROTO_DATA_MAX)
		return MP_TOOBIG;
	if (need > w->cap) {
		cap = w->cap * 2 > need ? w->cap * 2 : need;
		cap = cap < READ_CHUNK ? READ_CHUNK : cap;
		if ((grown = realloc(w->buf, cap)) == NULL)
			return MP_IO;
		w->buf = grown;
		w->cap = cap;
	}
	put32(w->buf + w->len, (uint32_t)len + 1);
	w->buf[w->len + 4] = cmd;
	if (len > 0)
		memcpy(w->buf + w->len + 5, data, len);
	w->len = need;
	return MP_OK;
}

int
mproto_flush(int fd, int timeout_ms, struct mwriter *w)
{
	struct timespec deadline, *dl = NULL;
	struct iovec iov;
	int st;

	if (w->len == 0)
		return MP_OK;
	if (timeout_ms >= 0) {
		deadline_in(&deadline, timeout_ms);
		dl = &deadline;
	}
	iov.iov_base = w->buf;
	iov.iov_len = w->len;
	st = write_iov(fd, &iov, 1, dl);
	w->len = 0;
	return st;
}

void
mproto_writer_free(struct mwriter *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}
