/*
 * fuzz_mproto - a libFuzzer target for the milter wire protocol module.
 *
 * The input is a byte stream as a peer would send it. It is split into
 * packets with mproto_frame, and every decoder (OPTNEG, CONNECT, strings)
 * runs on each packet, given an exact heap copy of its data so that any
 * read past the end is caught by AddressSanitizer. The same bytes then go
 * through a socketpair: read back with mproto_read (which must agree with
 * mproto_frame, packet for packet, and NUL-terminate the data), and each
 * packet is written with mproto_write and read again unchanged.
 *
 * Built by make fuzz (tests/fuzz/run.sh); with tests/fuzz/standalone.c
 * and any compiler it replays files without libFuzzer (the unit suite
 * replays tests/fuzz/corpus/mproto).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/mproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Socket buffers hold this much without blocking a writer. */
#define STREAM_MAX (64 * 1024)
#define IO_MS      200

/* A broken invariant: say which, then crash so the fuzzer keeps it. */
#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
			        "fuzz_mproto: %s:%d: check failed: "           \
			        "%s\n",                                        \
			        __FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

static int
inside(const char *s, const struct mpacket *p)
{
	return s >= p->data && s < p->data + p->len;
}

/* s lies in the packet and its NUL too. */
static void
check_string(const char *s, const struct mpacket *p)
{
	CHECK(inside(s, p));
	CHECK(memchr(s, '\0', (size_t)(p->data + p->len - s)) != NULL);
}

static int
same_optneg(const struct moptneg *a, const struct moptneg *b)
{
	int i;

	if (a->version != b->version || a->actions != b->actions ||
	    a->protocol != b->protocol)
		return 0;
	for (i = 0; i < MPROTO_STAGES; i++)
		if ((a->macros[i] == NULL) != (b->macros[i] == NULL) ||
		    (a->macros[i] != NULL &&
		     strcmp(a->macros[i], b->macros[i]) != 0))
			return 0;
	return 1;
}

static void
decode_optneg(const struct mpacket *p)
{
	static char buf[MPROTO_DATA_MAX];
	struct moptneg o, again;
	struct mpacket q;
	size_t n;
	int i;

	if (mproto_optneg_decode(p, &o) != MP_OK)
		return;
	CHECK(p->len >= 12);
	for (i = 0; i < MPROTO_STAGES; i++)
		if (o.macros[i] != NULL)
			check_string(o.macros[i], p);
	/* What decodes re-encodes to something that decodes the same. */
	n = mproto_optneg_encode(&o, buf, sizeof(buf));
	CHECK(n >= 12 && n <= p->len);
	q.cmd = p->cmd;
	q.len = n;
	q.data = buf;
	CHECK(mproto_optneg_decode(&q, &again) == MP_OK);
	CHECK(same_optneg(&o, &again));
}

static void
decode_connect(const struct mpacket *p)
{
	struct mconnect c;

	if (mproto_connect_decode(p, &c) != MP_OK)
		return;
	check_string(c.host, p);
	CHECK(c.host == p->data);
	CHECK(c.host + strlen(c.host) + 1 < p->data + p->len);
	CHECK(c.family == c.host[strlen(c.host) + 1]);
	if (c.family == 'U')
		return;
	CHECK(c.addr != NULL);
	check_string(c.addr, p);
	CHECK(p->data[p->len - 1] == '\0');
}

static void
decode_strings(const struct mpacket *p)
{
	static const size_t skips[] = {0, 1, 2};
	static const size_t maxes[] = {0, 1, 2, 64};
	const char *out[64];
	size_t i, k, j;
	int n;

	for (i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		for (k = 0; k < sizeof(maxes) / sizeof(maxes[0]); k++) {
			n = mproto_strings(p, skips[i], out, maxes[k]);
			if (skips[i] > p->len) {
				CHECK(n == MP_MALFORMED);
				continue;
			}
			if (skips[i] < p->len && p->data[p->len - 1] != '\0') {
				CHECK(n == MP_MALFORMED);
				continue;
			}
			CHECK(n >= 0 && (size_t)n <= maxes[k]);
			for (j = 0; j < (size_t)n; j++) {
				check_string(out[j], p);
				CHECK(out[j] >= p->data + skips[i]);
				/* Consecutive strings, in order. */
				if (j > 0)
					CHECK(out[j] == out[j - 1] +
					                    strlen(out[j - 1]) +
					                    1);
			}
			if (n > 0)
				CHECK(out[0] == p->data + skips[i]);
		}
}

/* Every decoder on an exact heap copy of the packet's data. */
static void
decode_all(const struct mpacket *p)
{
	struct mpacket q = *p;
	char *copy = malloc(p->len > 0 ? p->len : 1);

	CHECK(copy != NULL);
	memcpy(copy, p->data, p->len);
	q.data = copy;
	decode_optneg(&q);
	decode_connect(&q);
	decode_strings(&q);
	free(copy);
}

static void
write_all(int fd, const uint8_t *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		CHECK(w > 0);
		buf += w;
		n -= (size_t)w;
	}
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	const char *in = (const char *)data;
	struct mreader r = {0}, r2 = {0};
	struct mpacket p, q, whole;
	size_t off, used;
	int st, rst, fds[2], fds2[2];

	if (!once) {
		signal(SIGPIPE, SIG_IGN);
		once = 1;
	}
	if (size > STREAM_MAX)
		size = STREAM_MAX;

	/* The whole input as one packet's data, for every decoder. */
	if (size > 0) {
		whole.cmd = in[0];
		whole.len = size - 1;
		whole.data = in + 1;
		decode_all(&whole);
	}

	/* The input through a socket, the writer closing after it. */
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds2) == 0);
	write_all(fds[1], data, size);
	close(fds[1]);

	for (off = 0;; off += used) {
		used = 0;
		st = mproto_frame(in + off, size - off, &p, &used);
		rst = mproto_read(fds[0], IO_MS, &r, &q);
		if (st != MP_OK) {
			/* The reader ends the same way, or closed where
			 * framing wants more. */
			CHECK(st == MP_MORE || st == MP_MALFORMED ||
			      st == MP_TOOBIG);
			CHECK(rst == (st == MP_MORE ? MP_CLOSED : st));
			if (st == MP_MALFORMED)
				CHECK(size - off >= 4 &&
				      get32(data + off) == 0);
			if (st == MP_TOOBIG)
				CHECK(size - off >= 4 &&
				      get32(data + off) - 1 > MPROTO_DATA_MAX);
			break;
		}
		CHECK(used == p.len + 5 && used <= size - off);
		CHECK(p.len <= MPROTO_DATA_MAX);
		CHECK(p.cmd == in[off + 4] && p.data == in + off + 5);
		decode_all(&p);

		/* mproto_read saw the same packet, NUL-terminated. */
		CHECK(rst == MP_OK);
		CHECK(q.cmd == p.cmd && q.len == p.len);
		CHECK(memcmp(q.data, p.data, p.len) == 0);
		CHECK(q.data[q.len] == '\0');
		decode_all(&q);

		/* And it makes the round trip through mproto_write. */
		st = mproto_write(fds2[1], IO_MS, p.cmd, p.data, p.len);
		CHECK(st == MP_OK);
		st = mproto_read(fds2[0], IO_MS, &r2, &q);
		CHECK(st == MP_OK);
		CHECK(q.cmd == p.cmd && q.len == p.len);
		CHECK(memcmp(q.data, p.data, p.len) == 0);
		CHECK(q.data[q.len] == '\0');
	}

	/* Nothing left over on the round-trip socket. */
	close(fds2[1]);
	CHECK(mproto_read(fds2[0], IO_MS, &r2, &q) == MP_CLOSED);
	close(fds2[0]);
	close(fds[0]);
	mproto_reader_free(&r);
	mproto_reader_free(&r2);
	return 0;
}
