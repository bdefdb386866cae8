/*
 * test_mproto - the milter wire protocol module: framing without a socket,
 * bounded reads and writes over a socketpair (round trips, timeouts,
 * closed peers, oversized packets) and over loopback TCP (latency of a
 * command/answer exchange on sockets made as the proxy makes them), and the
 * OPTNEG, CONNECT and string decoders on well-formed and broken packets.
 *
 * What could hang or kill the test process (a write to a peer that does
 * not read, SIGPIPE) runs in a child with a time limit. Elsewhere SIGPIPE
 * is ignored, as the daemon does.
 *
 * Decoders are given their data in a heap block of exactly the packet's
 * size, as mproto_frame would point into a buffer with nothing after it.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "proxy/mproto.h"
#include "proxy/sockspec.h"

/* A string literal and its length, NUL bytes included. */
#define IN(s) s, sizeof(s) - 1

#define MiB (1024 * 1024)

/* Every command (MTA to milter) and reply (milter to MTA) letter. */
static const char commands[] = "ABCDEHKLMNOQRTU";
static const char replies[] = "+-24abcdefhilmpqrsty";

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
pair(int fds[2])
{
	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
}

static void
close_pair(int fds[2])
{
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	fds[0] = fds[1] = -1;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* A packet's wire form: 4-byte length (of cmd and data), cmd, data. */
static size_t
packet(unsigned char *out, char cmd, const void *data, size_t len)
{
	put32(out, (uint32_t)len + 1);
	out[4] = (unsigned char)cmd;
	if (len > 0)
		memcpy(out + 5, data, len);
	return len + 5;
}

/* A packet over a heap copy of exactly len bytes of data. */
struct hpkt {
	struct mpacket p;
	char *mem;
};

static struct hpkt
hpkt(char cmd, const char *data, size_t len)
{
	struct hpkt h;

	/* malloc(0) may give NULL: keep one byte, point at it. */
	h.mem = malloc(len > 0 ? len : 1);
	assert_non_null(h.mem);
	if (len > 0)
		memcpy(h.mem, data, len);
	h.p.cmd = cmd;
	h.p.len = len;
	h.p.data = h.mem;
	return h;
}

static void
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

/* Framing. */

static void
test_strerror(void **state)
{
	static const int st[] = {MP_OK, MP_MORE,      MP_CLOSED, MP_TIMEOUT,
	                         MP_IO, MP_MALFORMED, MP_TOOBIG};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		assert_non_null(mproto_strerror(st[i]));
		assert_true(strlen(mproto_strerror(st[i])) > 0);
		assert_string_not_equal(mproto_strerror(st[i]),
		                        mproto_strerror(42));
		for (k = 0; k < i; k++)
			assert_string_not_equal(mproto_strerror(st[i]),
			                        mproto_strerror(st[k]));
	}
}

struct fcase {
	const char *name;
	char cmd;
	const char *data;
	size_t len;
};

static const struct fcase fcases[] = {
    {"abort, no data", SMFIC_ABORT, IN("")},
    {"eoh, no data", SMFIC_EOH, IN("")},
    {"continue, no data", SMFIR_CONTINUE, IN("")},
    {"one byte", SMFIC_BODY, IN("x")},
    {"one NUL", SMFIC_HELO, IN("\0")},
    {"helo", SMFIC_HELO, IN("client.example\0")},
    {"mail with args", SMFIC_MAIL, IN("<a@example.org>\0SIZE=10\0")},
    {"header", SMFIC_HEADER, IN("Subject\0hello\0")},
    {"connect", SMFIC_CONNECT,
     IN("mx\0004\0\031"
        "1.2.3.4\0")},
    {"optneg", SMFIC_OPTNEG, IN("\0\0\0\6\0\0\1\377\0\37\377\377")},
    {"replycode", SMFIR_REPLYCODE, IN("550 5.7.1 No\0")},
    {"binary", SMFIC_BODY, IN("\377\0\1\2\r\n\0\200")},
};

static void
test_frame_complete(void **state)
{
	unsigned char buf[256];
	struct mpacket p;
	size_t i, n, used;
	int nfail = 0, st;

	(void)state;
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		const struct fcase *c = &fcases[i];

		n = packet(buf, c->cmd, c->data, c->len);
		/* Alone, then followed by bytes of the next packet. */
		for (int extra = 0; extra <= 7; extra += 7) {
			memset(buf + n, 0x5a, 7);
			used = 0;
			st = mproto_frame((const char *)buf, n + (size_t)extra,
			                  &p, &used);
			EXPECT(nfail, c->name, st == MP_OK, "status %d", st);
			if (st != MP_OK)
				continue;
			EXPECT(nfail, c->name, p.cmd == c->cmd, "cmd 0x%02x",
			       (unsigned char)p.cmd);
			EXPECT(nfail, c->name, p.len == c->len, "len %zu",
			       p.len);
			EXPECT(nfail, c->name, p.data == (const char *)buf + 5,
			       "data not right after the command byte");
			EXPECT(nfail, c->name,
			       p.len == c->len &&
			           memcmp(p.data, c->data, c->len) == 0,
			       "data differs");
			EXPECT(nfail, c->name, used == n, "used %zu, want %zu",
			       used, n);
		}
	}
	EXPECT_DONE(nfail);
}

static void
test_frame_partial(void **state)
{
	unsigned char buf[256];
	struct mpacket p;
	size_t i, k, n, used;
	int nfail = 0, st;

	(void)state;
	/* Every proper prefix of every packet is incomplete. */
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		n = packet(buf, fcases[i].cmd, fcases[i].data, fcases[i].len);
		for (k = 0; k < n; k++) {
			used = 12345;
			st = mproto_frame((const char *)buf, k, &p, &used);
			EXPECT(nfail, fcases[i].name, st == MP_MORE,
			       "prefix of %zu of %zu bytes: status %d", k, n,
			       st);
			EXPECT(nfail, fcases[i].name, used == 12345,
			       "prefix of %zu bytes: used set to %zu", k, used);
		}
	}
	/* A header announcing a big but allowed packet wants its body. */
	put32(buf, 1000);
	buf[4] = SMFIC_BODY;
	assert_int_equal(mproto_frame((const char *)buf, 4, &p, &used),
	                 MP_MORE);
	assert_int_equal(mproto_frame((const char *)buf, 200, &p, &used),
	                 MP_MORE);
	/* Nothing at all. */
	assert_int_equal(mproto_frame((const char *)buf, 0, &p, &used),
	                 MP_MORE);
	EXPECT_DONE(nfail);
}

static void
test_frame_length_zero(void **state)
{
	unsigned char buf[16] = {0, 0, 0, 0, 'C', 'x', 'y', 'z'};
	struct mpacket p;
	size_t used;
	size_t n;

	(void)state;
	/* The length counts the command byte: zero is malformed, decided
	 * from the header alone. */
	for (n = 4; n <= 8; n++)
		assert_int_equal(mproto_frame((const char *)buf, n, &p, &used),
		                 MP_MALFORMED);
	/* Length 1: a command and no data, which is fine. */
	put32(buf, 1);
	assert_int_equal(mproto_frame((const char *)buf, 5, &p, &used), MP_OK);
	assert_int_equal(p.cmd, 'C');
	assert_int_equal(p.len, 0);
	assert_int_equal(used, 5);
}

static void
test_frame_size_limit(void **state)
{
	unsigned char *buf = calloc(1, MPROTO_DATA_MAX + 16);
	struct mpacket p;
	size_t used = 0;
	static const uint32_t toobig[] = {
	    MPROTO_DATA_MAX + 2, MPROTO_DATA_MAX + 3, 0x7fffffff,
	    0x80000000,          0xfffffffe,          0xffffffff};
	size_t i;

	(void)state;
	assert_non_null(buf);
	/* Data of exactly MPROTO_DATA_MAX: allowed. From the header alone
	 * it is incomplete, with its body complete. */
	put32(buf, MPROTO_DATA_MAX + 1);
	buf[4] = SMFIC_BODY;
	buf[5 + MPROTO_DATA_MAX - 1] = 'z';
	assert_int_equal(mproto_frame((const char *)buf, 4, &p, &used),
	                 MP_MORE);
	assert_int_equal(mproto_frame((const char *)buf, 5, &p, &used),
	                 MP_MORE);
	assert_int_equal(
	    mproto_frame((const char *)buf, 4 + MPROTO_DATA_MAX, &p, &used),
	    MP_MORE);
	assert_int_equal(
	    mproto_frame((const char *)buf, 5 + MPROTO_DATA_MAX + 3, &p, &used),
	    MP_OK);
	assert_int_equal(p.len, MPROTO_DATA_MAX);
	assert_int_equal(p.data[MPROTO_DATA_MAX - 1], 'z');
	assert_int_equal(used, 5 + MPROTO_DATA_MAX);
	/* One byte more: too big, decided from the 4-byte header alone. */
	for (i = 0; i < sizeof(toobig) / sizeof(toobig[0]); i++) {
		put32(buf, toobig[i]);
		assert_int_equal(mproto_frame((const char *)buf, 4, &p, &used),
		                 MP_TOOBIG);
		assert_int_equal(mproto_frame((const char *)buf, 5, &p, &used),
		                 MP_TOOBIG);
	}
	free(buf);
}

static void
test_frame_back_to_back(void **state)
{
	unsigned char buf[512];
	struct mpacket p;
	size_t i, n = 0, off = 0, used;
	int st;

	(void)state;
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++)
		n += packet(buf + n, fcases[i].cmd, fcases[i].data,
		            fcases[i].len);
	/* And the first 7 bytes of one more. */
	n += packet(buf + n, SMFIC_HELO, "helo.example", 12) - 10;
	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		st = mproto_frame((const char *)buf + off, n - off, &p, &used);
		assert_int_equal(st, MP_OK);
		assert_int_equal(p.cmd, fcases[i].cmd);
		assert_int_equal(p.len, fcases[i].len);
		if (fcases[i].len > 0)
			assert_memory_equal(p.data, fcases[i].data,
			                    fcases[i].len);
		assert_int_equal(used, fcases[i].len + 5);
		off += used;
	}
	assert_int_equal(n - off, 7);
	assert_int_equal(
	    mproto_frame((const char *)buf + off, n - off, &p, &used), MP_MORE);
}

/* Reads and writes over a socketpair. */

struct wjob {
	int fd;
	int timeout_ms;
	size_t n;
	const char *cmd;     /* n letters */
	const size_t *size;  /* n sizes */
	const char *data;    /* the data of every packet (its first bytes) */
	int status;          /* the first failure, else MP_OK */
	int close_when_done; /* then close fd */
};

static void *
writer(void *arg)
{
	struct wjob *j = arg;
	size_t i;
	int st;

	j->status = MP_OK;
	for (i = 0; i < j->n; i++)
		if ((st = mproto_write(j->fd, j->timeout_ms, j->cmd[i], j->data,
		                       j->size[i])) != MP_OK) {
			j->status = st;
			break;
		}
	if (j->close_when_done)
		close(j->fd);
	return NULL;
}

/* Data that is neither all NULs nor free of them, and ends non-NUL. */
static char *
pattern(size_t n)
{
	char *d = malloc(n);
	size_t i;

	assert_non_null(d);
	for (i = 0; i < n; i++)
		d[i] = (char)(i % 251 == 0 ? 0 : (i * 7 + 1) % 256);
	for (i = n; i > 0 && d[i - 1] == '\0'; i--)
		d[i - 1] = 'x';
	return d;
}

static void
test_roundtrip_every_letter(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, MPROTO_DATA_MAX, 1, 0};
	const size_t ns = sizeof(sizes) / sizeof(sizes[0]);
	char letters[64];
	size_t nl, i, total;
	char *cmd, *data = pattern(MPROTO_DATA_MAX);
	size_t *size;
	struct mreader r = {0};
	struct mpacket p;
	struct wjob j;
	pthread_t tid;
	int fds[2], nfail = 0, st;
	char cname[64];

	(void)state;
	assert_int_equal(MPROTO_DATA_MAX, MiB);
	snprintf(letters, sizeof(letters), "%s%s", commands, replies);
	nl = strlen(letters);
	total = nl * ns;
	cmd = malloc(total);
	size = malloc(total * sizeof(*size));
	assert_non_null(cmd);
	assert_non_null(size);
	for (i = 0; i < total; i++) {
		cmd[i] = letters[i / ns];
		size[i] = sizes[i % ns];
	}
	pair(fds);
	j = (struct wjob){fds[1], 10000, total, cmd, size, data, -99, 0};
	assert_int_equal(pthread_create(&tid, NULL, writer, &j), 0);
	for (i = 0; i < total; i++) {
		snprintf(cname, sizeof(cname), "'%c' with %zu bytes", cmd[i],
		         size[i]);
		memset(&p, 0, sizeof(p));
		st = mproto_read(fds[0], 10000, &r, &p);
		EXPECT(nfail, cname, st == MP_OK, "status %s",
		       mproto_strerror(st));
		if (st != MP_OK)
			break;
		EXPECT(nfail, cname, p.cmd == cmd[i], "cmd '%c'", p.cmd);
		EXPECT(nfail, cname, p.len == size[i], "len %zu", p.len);
		EXPECT(nfail, cname,
		       p.len == size[i] && memcmp(p.data, data, p.len) == 0,
		       "data differs");
		/* NUL after the data, even in a buffer a bigger packet
		 * filled before. */
		EXPECT(nfail, cname, p.data[p.len] == '\0',
		       "no NUL after the data");
		/* Bounded: header, command, data and the NUL, no more. */
		EXPECT(nfail, cname, r.cap <= (size_t)MPROTO_DATA_MAX + 6,
		       "reader buffer of %zu bytes", r.cap);
	}
	assert_int_equal(pthread_join(tid, NULL), 0);
	EXPECT(nfail, "writer", j.status == MP_OK, "status %s",
	       mproto_strerror(j.status));
	mproto_reader_free(&r);
	assert_null(r.buf);
	assert_int_equal(r.cap, 0);
	close_pair(fds);
	free(cmd);
	free(size);
	free(data);
	EXPECT_DONE(nfail);
}

/* The exact bytes mproto_write puts on the wire. */
static void
test_write_wire_format(void **state)
{
	unsigned char got[64];
	int fds[2];
	ssize_t n;

	(void)state;
	pair(fds);
	assert_int_equal(mproto_write(fds[1], 1000, SMFIC_HELO, "abc", 4),
	                 MP_OK);
	assert_int_equal(mproto_write(fds[1], 1000, SMFIR_CONTINUE, NULL, 0),
	                 MP_OK);
	n = read(fds[0], got, sizeof(got));
	assert_int_equal(n, 9 + 5);
	assert_memory_equal(got, "\0\0\0\5Habc\0\0\0\0\1c", 14);
	close_pair(fds);
}

/* Queued packets leave in one send, framed as mproto_write frames them. */
static void
test_queue_flush(void **state)
{
	static char big[10000];
	unsigned char got[64];
	struct mwriter w = {0};
	struct mreader r = {0};
	struct mpacket p;
	int fds[2];
	ssize_t n;

	(void)state;
	pair(fds);
	assert_int_equal(mproto_queue(&w, SMFIC_MACRO, "Hj\0x", 5), MP_OK);
	assert_int_equal(mproto_queue(&w, SMFIC_HELO, "abc", 4), MP_OK);
	assert_int_equal(mproto_queue(&w, SMFIR_CONTINUE, NULL, 0), MP_OK);
	assert_int_equal(w.len, 10 + 9 + 5);
	assert_int_equal(mproto_flush(fds[1], 1000, &w), MP_OK);
	assert_int_equal(w.len, 0);
	/* Nothing queued: nothing sent. */
	assert_int_equal(mproto_flush(fds[1], 1000, &w), MP_OK);
	n = read(fds[0], got, sizeof(got));
	assert_int_equal(n, 24);
	assert_memory_equal(got, "\0\0\0\6DHj\0x\0\0\0\0\5Habc\0\0\0\0\1c", 24);

	/* Past the first allocation, and read back packet by packet. */
	memset(big, 'b', sizeof(big));
	assert_int_equal(mproto_queue(&w, SMFIC_BODY, big, sizeof(big)), MP_OK);
	assert_int_equal(mproto_queue(&w, SMFIC_BODYEOB, NULL, 0), MP_OK);
	assert_true(w.cap >= w.len);
	assert_int_equal(mproto_queue(&w, SMFIC_BODY, big, MPROTO_DATA_MAX + 1),
	                 MP_TOOBIG);
	assert_int_equal(mproto_flush(fds[1], 1000, &w), MP_OK);
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_BODY);
	assert_int_equal(p.len, sizeof(big));
	assert_memory_equal(p.data, big, sizeof(big));
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_BODYEOB);
	assert_int_equal(p.len, 0);
	assert_false(mproto_pending(&r));

	/* Two packets in one send: the first read buffers both. */
	assert_int_equal(mproto_queue(&w, SMFIC_HELO, "x", 2), MP_OK);
	assert_int_equal(mproto_queue(&w, SMFIC_QUIT, NULL, 0), MP_OK);
	assert_int_equal(mproto_flush(fds[1], 1000, &w), MP_OK);
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_HELO);
	assert_true(mproto_pending(&r));
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_QUIT);
	assert_false(mproto_pending(&r));
	/* Part of a packet buffered behind a whole one is not one. */
	assert_int_equal(write(fds[1], "\0\0\0\3Hx\0\0\0\0\3Hy", 13), 13);
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_HELO);
	assert_int_equal(r.end - r.start, 6);
	assert_false(mproto_pending(&r));
	mproto_reader_free(&r);
	mproto_writer_free(&w);
	assert_null(w.buf);
	close_pair(fds);
}

/*
 * Before waiting, a reader that asks for it acknowledges at once on TCP
 * (TCP_QUICKACK); on a socket of another kind it finds out once and stops
 * trying; a reader that does not ask never tries.
 */
static void
test_read_quickack(void **state)
{
	struct sockaddr_in a = {0};
	socklen_t alen = sizeof(a);
	struct mreader r = {0};
	struct mpacket p;
	int fds[2], l, c, s;

	(void)state;
	pair(fds);
	assert_int_equal(mproto_read(fds[0], 20, &r, &p), MP_TIMEOUT);
	assert_int_equal(r.not_tcp, 0);
	r.quickack = 1;
	assert_int_equal(mproto_read(fds[0], 20, &r, &p), MP_TIMEOUT);
	assert_int_equal(r.not_tcp, 1);
	mproto_reader_free(&r);
	close_pair(fds);

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((l = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	assert_true((c = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true((s = accept(l, NULL, NULL)) >= 0);
	r.quickack = 1;
	assert_int_equal(mproto_read(s, 20, &r, &p), MP_TIMEOUT);
	assert_int_equal(r.not_tcp, 0);
	assert_int_equal(mproto_write(c, 1000, SMFIC_QUIT, NULL, 0), MP_OK);
	assert_int_equal(mproto_read(s, 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_QUIT);
	mproto_reader_free(&r);
	close(s);
	close(c);
	close(l);
}

static void
test_read_timeout_silent_peer(void **state)
{
	static const struct {
		const char *name;
		const char *sent; /* before the peer falls silent */
		size_t len;
	} cases[] = {
	    {"nothing sent", IN("")},
	    {"half a header", IN("\0\0")},
	    {"a header only", IN("\0\0\0\12")},
	    {"header and command", IN("\0\0\0\12H")},
	    {"part of the data", IN("\0\0\0\12Hclie")},
	};
	struct mreader r = {0};
	struct mpacket p;
	double t0, dt;
	size_t i;
	int fds[2], st, nfail = 0, bound;

	(void)state;
	/* Polling, and blocking in recv (a bound reader, SO_RCVTIMEO). */
	for (bound = 0; bound < 2; bound++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			pair(fds);
			mproto_reader_bind(&r, bound ? fds[0] : -1);
			if (cases[i].len > 0)
				write_all(fds[1], cases[i].sent, cases[i].len);
			t0 = now_s();
			st = mproto_read(fds[0], 100, &r, &p);
			dt = now_s() - t0;
			EXPECT(nfail, cases[i].name, st == MP_TIMEOUT,
			       "bound %d: status %s", bound,
			       mproto_strerror(st));
			EXPECT(nfail, cases[i].name, dt >= 0.05 && dt <= 5,
			       "bound %d: returned after %.3f s for a 100 ms "
			       "timeout",
			       bound, dt);
			EXPECT(nfail, cases[i].name,
			       r.read_mode ==
			           (bound ? READ_BLOCK : READ_UNKNOWN),
			       "bound %d: read mode %d", bound, r.read_mode);
			close_pair(fds);
		}
	mproto_reader_bind(&r, -1);
	/* A zero timeout does not wait. */
	pair(fds);
	t0 = now_s();
	st = mproto_read(fds[0], 0, &r, &p);
	dt = now_s() - t0;
	EXPECT(nfail, "timeout 0", st == MP_TIMEOUT, "status %s",
	       mproto_strerror(st));
	EXPECT(nfail, "timeout 0", dt <= 5, "returned after %.3f s", dt);
	/* Waiting forever (-1) still reads what is there. */
	assert_int_equal(mproto_write(fds[1], 1000, SMFIC_EOH, NULL, 0), MP_OK);
	st = mproto_read(fds[0], -1, &r, &p);
	EXPECT(nfail, "timeout -1", st == MP_OK && p.cmd == SMFIC_EOH,
	       "status %s", mproto_strerror(st));
	close_pair(fds);
	mproto_reader_free(&r);
	EXPECT_DONE(nfail);
}

static void
test_read_closed_peer(void **state)
{
	static const struct {
		const char *name;
		const char *sent; /* before the peer closes */
		size_t len;
	} cases[] = {
	    {"nothing sent", IN("")},
	    {"one header byte", IN("\0")},
	    {"three header bytes", IN("\0\0\0")},
	    {"a header only", IN("\0\0\0\12")},
	    {"header and command", IN("\0\0\0\12H")},
	    {"part of the data", IN("\0\0\0\12Hclient.")},
	};
	struct mreader r = {0};
	struct mpacket p;
	double t0, dt;
	size_t i;
	int fds[2], st, nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pair(fds);
		if (cases[i].len > 0)
			write_all(fds[1], cases[i].sent, cases[i].len);
		close(fds[1]);
		fds[1] = -1;
		t0 = now_s();
		st = mproto_read(fds[0], 5000, &r, &p);
		dt = now_s() - t0;
		EXPECT(nfail, cases[i].name, st == MP_CLOSED, "status %s",
		       mproto_strerror(st));
		EXPECT(nfail, cases[i].name, dt < 2,
		       "took %.3f s: it waited for the timeout", dt);
		close_pair(fds);
	}
	/* A complete packet, then the close: the packet, then closed. */
	pair(fds);
	write_all(fds[1], "\0\0\0\1Q", 5);
	close(fds[1]);
	fds[1] = -1;
	st = mproto_read(fds[0], 5000, &r, &p);
	EXPECT(nfail, "packet then close", st == MP_OK && p.cmd == 'Q',
	       "first read: %s", mproto_strerror(st));
	st = mproto_read(fds[0], 5000, &r, &p);
	EXPECT(nfail, "packet then close", st == MP_CLOSED, "second read: %s",
	       mproto_strerror(st));
	close_pair(fds);
	mproto_reader_free(&r);
	EXPECT_DONE(nfail);
}

struct trickle {
	int fd;
	const char *bytes;
	size_t len;
	int gap_ms; /* between bytes */
};

static void *
trickler(void *arg)
{
	const struct trickle *t = arg;
	size_t i;

	for (i = 0; i < t->len; i++) {
		if (write(t->fd, t->bytes + i, 1) != 1)
			break;
		usleep((useconds_t)t->gap_ms * 1000);
	}
	return NULL;
}

/*
 * A packet arriving a byte at a time is put together; the timeout is a
 * deadline for the whole packet, so a peer that trickles bytes cannot
 * hold a reader longer than that.
 */
static void
test_read_trickle(void **state)
{
	static const char pkt[] = "\0\0\0\15Mone@example\0";
	struct trickle t = {-1, pkt, sizeof(pkt) - 1, 5};
	struct mreader r = {0};
	struct mpacket p;
	pthread_t tid;
	double t0, dt;
	int fds[2], st;

	(void)state;
	/* 17 bytes, 5 ms apart: well within 5 s. */
	pair(fds);
	t.fd = fds[1];
	assert_int_equal(pthread_create(&tid, NULL, trickler, &t), 0);
	st = mproto_read(fds[0], 5000, &r, &p);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_string_equal(mproto_strerror(st), mproto_strerror(MP_OK));
	assert_int_equal(p.cmd, SMFIC_MAIL);
	assert_int_equal(p.len, 12);
	assert_int_equal(p.data[12], '\0');
	assert_memory_equal(p.data, "one@example\0", 12);
	close_pair(fds);

	/*
	 * 17 bytes, 100 ms apart (1.7 s), against a 200 ms deadline; the
	 * same bound, where each read could wait SO_RCVTIMEO anew.
	 */
	for (int bound = 0; bound < 2; bound++) {
		pair(fds);
		mproto_reader_bind(&r, bound ? fds[0] : -1);
		t.fd = fds[1];
		t.gap_ms = 100;
		assert_int_equal(pthread_create(&tid, NULL, trickler, &t), 0);
		t0 = now_s();
		st = mproto_read(fds[0], 200, &r, &p);
		dt = now_s() - t0;
		assert_int_equal(pthread_join(tid, NULL), 0);
		assert_string_equal(mproto_strerror(st),
		                    mproto_strerror(MP_TIMEOUT));
		if (dt < 0.1 || dt > 1.5)
			fail_msg("bound %d: returned after %.3f s for a 200 ms "
			         "deadline",
			         bound, dt);
		close_pair(fds);
	}
	mproto_reader_free(&r);
}

static void
test_read_bad_length(void **state)
{
	static const struct {
		const char *name;
		uint32_t len;
		int want;
	} cases[] = {
	    {"zero", 0, MP_MALFORMED},
	    {"data of MPROTO_DATA_MAX + 1", MPROTO_DATA_MAX + 2, MP_TOOBIG},
	    {"2 GiB", 0x80000000, MP_TOOBIG},
	    {"4 GiB - 1", 0xffffffff, MP_TOOBIG},
	};
	unsigned char head[4];
	struct mreader r = {0};
	struct mpacket p;
	double t0, dt;
	size_t i;
	int fds[2], st, nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pair(fds);
		/* Only the header: the peer stays connected and silent. */
		put32(head, cases[i].len);
		write_all(fds[1], head, 4);
		t0 = now_s();
		st = mproto_read(fds[0], 5000, &r, &p);
		dt = now_s() - t0;
		EXPECT(nfail, cases[i].name, st == cases[i].want, "status %s",
		       mproto_strerror(st));
		EXPECT(nfail, cases[i].name, dt < 2,
		       "took %.3f s: it waited for a body", dt);
		/* No memory taken for what was announced: one read's chunk. */
		EXPECT(nfail, cases[i].name, r.cap <= 4096,
		       "reader grew to %zu bytes", r.cap);
		close_pair(fds);
	}
	mproto_reader_free(&r);
	EXPECT_DONE(nfail);
}

static void
test_write_too_big(void **state)
{
	struct pollfd pfd;
	char *data = calloc(1, MPROTO_DATA_MAX + 1);
	int fds[2];

	(void)state;
	assert_non_null(data);
	pair(fds);
	assert_int_equal(
	    mproto_write(fds[1], 1000, SMFIC_BODY, data, MPROTO_DATA_MAX + 1),
	    MP_TOOBIG);
	assert_int_equal(
	    mproto_write(fds[1], 1000, SMFIC_BODY, data, (size_t)1 << 33),
	    MP_TOOBIG);
	/* Nothing at all reached the wire. */
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	pfd.revents = 0;
	assert_int_equal(poll(&pfd, 1, 0), 0);
	close_pair(fds);
	free(data);
}

/*
 * Run fn in a child process, at most limit_s seconds: its exit status,
 * -1 when it had to be killed, 1000 + the signal that ended it.
 */
static int
in_child(int (*fn)(void *), void *arg, double limit_s)
{
	double t0 = now_s();
	pid_t pid;
	int wst = 0;

	if ((pid = fork()) == 0)
		_exit(fn(arg));
	assert_true(pid > 0);
	while (waitpid(pid, &wst, WNOHANG) == 0) {
		if (now_s() - t0 > limit_s) {
			kill(pid, SIGKILL);
			waitpid(pid, &wst, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFSIGNALED(wst) ? 1000 + WTERMSIG(wst) : WEXITSTATUS(wst);
}

struct wtimeout {
	int fd;
	size_t chunk; /* packets of this size until one fails */
};

/* 0: MP_TIMEOUT in 0.05 s..5 s; 1: another status; 2: out of bounds. */
static int
write_until_timeout(void *arg)
{
	const struct wtimeout *w = arg;
	char *data = pattern(w->chunk);
	double t0, dt;
	int st, i, rc = 3;

	for (i = 0; i < 1000 && rc == 3; i++) {
		t0 = now_s();
		st = mproto_write(w->fd, 100, SMFIC_BODY, data, w->chunk);
		dt = now_s() - t0;
		if (st != MP_OK)
			rc = st != MP_TIMEOUT ? 1 : dt < 0.05 || dt > 5 ? 2 : 0;
	}
	free(data);
	return rc;
}

/*
 * A peer that stops reading: the write times out, whether the packet is
 * bigger than the socket's buffers or they fill up chunk by chunk. (The
 * socket is blocking, as the proxy's are.)
 */
static void
test_write_timeout(void **state)
{
	static const size_t chunks[] = {MPROTO_DATA_MAX, 65535, 4096};
	struct wtimeout w;
	char cname[64];
	size_t i;
	int fds[2], rc, nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		snprintf(cname, sizeof(cname), "packets of %zu bytes",
		         chunks[i]);
		pair(fds);
		w.fd = fds[1];
		w.chunk = chunks[i];
		rc = in_child(write_until_timeout, &w, 6);
		EXPECT(nfail, cname, rc != -1,
		       "mproto_write with a 100 ms timeout still blocked "
		       "after 6 s (killed)");
		EXPECT(nfail, cname, rc != 1, "a status other than MP_TIMEOUT");
		EXPECT(nfail, cname, rc != 2,
		       "MP_TIMEOUT, outside 0.05 s..5 s");
		EXPECT(nfail, cname, rc <= 2, "child ended: %d", rc);
		close_pair(fds);
	}
	EXPECT_DONE(nfail);
}

static void
test_write_closed_peer(void **state)
{
	int fds[2], st;

	(void)state;
	/* SIGPIPE is ignored in this process (see main). */
	pair(fds);
	close(fds[0]);
	fds[0] = -1;
	st = mproto_write(fds[1], 1000, SMFIC_HELO, "x", 2);
	assert_string_equal(mproto_strerror(st), mproto_strerror(MP_CLOSED));
	st = mproto_write(fds[1], 1000, SMFIR_CONTINUE, NULL, 0);
	assert_string_equal(mproto_strerror(st), mproto_strerror(MP_CLOSED));
	close_pair(fds);
}

static int
write_to_closed(void *arg)
{
	int fd = *(int *)arg, st;

	signal(SIGPIPE, SIG_DFL);
	st = mproto_write(fd, 1000, SMFIC_HELO, "x", 2);
	return st == MP_CLOSED ? 0 : 10 - st;
}

/*
 * A peer that went away must cost the writer an MP_CLOSED, not its life:
 * the proxy (and any thread of the daemon) writes to MTAs and upstreams
 * that may close at any time, and proxy mode does not ignore SIGPIPE.
 * Run in a child with SIGPIPE at its default.
 */
static void
test_write_closed_peer_no_sigpipe(void **state)
{
	int fds[2], rc;

	(void)state;
	pair(fds);
	close(fds[0]);
	fds[0] = -1;
	rc = in_child(write_to_closed, &fds[1], 10);
	close_pair(fds);
	if (rc > 1000)
		fail_msg("mproto_write to a closed peer killed the process "
		         "with signal %d (%s), want MP_CLOSED",
		         rc - 1000, strsignal(rc - 1000));
	if (rc != 0)
		fail_msg("mproto_write to a closed peer: %s, want MP_CLOSED",
		         rc == -1 ? "blocked" : mproto_strerror(10 - rc));
}

/*
 * A loopback TCP connection as the proxy has them: fds[1] from
 * sockspec_connect (its upstream), fds[0] accepted and given
 * sockspec_nodelay (an MTA's).
 */
static void
tcp_pair(int fds[2])
{
	struct sockspec spec;
	struct sockaddr_in *a = (struct sockaddr_in *)&spec.addr;
	socklen_t alen = sizeof(*a);
	const char *why = NULL;
	int l;

	assert_int_equal(sockspec_parse("inet:0@127.0.0.1", &spec, &why), 0);
	assert_true((l = sockspec_listen(&spec)) >= 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)a, &alen), 0);
	assert_true((fds[1] = sockspec_connect(&spec, 5000)) >= 0);
	assert_true((fds[0] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0);
	sockspec_nodelay(fds[0]);
	close(l);
}

#define EXCHANGES 100

/* The milter's side: answer every command with a 'c'. */
static void *
answerer(void *arg)
{
	struct mreader r = {0};
	struct mpacket p;
	int fd = *(int *)arg, i;

	for (i = 0; i < EXCHANGES; i++)
		if (mproto_read(fd, 5000, &r, &p) != MP_OK ||
		    mproto_write(fd, 5000, SMFIR_CONTINUE, NULL, 0) != MP_OK)
			break;
	mproto_reader_free(&r);
	return NULL;
}

/*
 * Command and answer, as the proxy exchanges them with an MTA or its
 * upstream, over TCP sockets made as the proxy makes them. mproto writes
 * a packet's header and its data apart: with Nagle's algorithm the data
 * would wait for the peer's delayed ACK, some 40 ms on Linux, a packet.
 * 100 exchanges take milliseconds; one second is the bound.
 */
static void
test_tcp_exchange_latency(void **state)
{
	static const char rcpt[] = "<someone@example.net>\0NOTIFY=NEVER";
	struct mreader r = {0};
	struct mpacket p;
	pthread_t tid;
	double t0, dt;
	int fds[2], i, st = MP_OK;

	(void)state;
	tcp_pair(fds);
	assert_int_equal(pthread_create(&tid, NULL, answerer, &fds[0]), 0);
	t0 = now_s();
	/* Given up after 1.5 s: the answerer sees the close. */
	for (i = 0; i < EXCHANGES && st == MP_OK && now_s() - t0 < 1.5; i++)
		if ((st = mproto_write(fds[1], 5000, SMFIC_RCPT, rcpt,
		                       sizeof(rcpt))) == MP_OK &&
		    (st = mproto_read(fds[1], 5000, &r, &p)) == MP_OK)
			assert_int_equal(p.cmd, SMFIR_CONTINUE);
	dt = now_s() - t0;
	shutdown(fds[1], SHUT_RDWR);
	assert_int_equal(pthread_join(tid, NULL), 0);
	close_pair(fds);
	mproto_reader_free(&r);
	assert_string_equal(mproto_strerror(st), mproto_strerror(MP_OK));
	if (i < EXCHANGES || dt > 1)
		fail_msg(
		    "%d command/answer exchanges over loopback TCP took "
		    "%.3f s (%.1f ms each; 1 s allowed for %d): each packet "
		    "waits for a delayed ACK",
		    i, dt, dt * 1000 / i, EXCHANGES);
}

/* OPTNEG. */

static const char *const stage_name[MPROTO_STAGES] = {
    "connect", "helo", "mail", "rcpt", "data", "eom", "eoh"};

static int
same_optneg(const struct moptneg *a, const struct moptneg *b)
{
	int i;

	if (a->version != b->version || a->actions != b->actions ||
	    a->protocol != b->protocol)
		return 0;
	for (i = 0; i < MPROTO_STAGES; i++) {
		if ((a->macros[i] == NULL) != (b->macros[i] == NULL))
			return 0;
		if (a->macros[i] != NULL &&
		    strcmp(a->macros[i], b->macros[i]) != 0)
			return 0;
	}
	return 1;
}

static void
test_optneg_roundtrip(void **state)
{
	struct moptneg in, out;
	char buf[2048], cname[64];
	struct hpkt h;
	size_t len, want;
	int nfail = 0, st, i, k;

	(void)state;
	/* No lists (what an MTA offers): 12 bytes. */
	memset(&in, 0, sizeof(in));
	in.version = MPROTO_VERSION;
	in.actions = 0x1ff;
	in.protocol = 0x1fffff;
	len = mproto_optneg_encode(&in, buf, sizeof(buf));
	assert_int_equal(len, 12);
	assert_memory_equal(buf, "\0\0\0\6\0\0\1\377\0\37\377\377", 12);
	h = hpkt(SMFIC_OPTNEG, buf, len);
	assert_int_equal(mproto_optneg_decode(&h.p, &out), MP_OK);
	assert_true(same_optneg(&in, &out));
	free(h.mem);

	/* Each stage alone, then all of them, then every other. */
	for (k = 0; k < MPROTO_STAGES + 2; k++) {
		memset(&in, 0, sizeof(in));
		in.version = 2 + (uint32_t)k;
		in.actions = 0x80000001u >> k;
		in.protocol = 0xfedcba98u << k;
		want = 12;
		for (i = 0; i < MPROTO_STAGES; i++) {
			if (k < MPROTO_STAGES ? i != k
			                      : k == MPROTO_STAGES + 1 && i % 2)
				continue;
			in.macros[i] = i == 3 ? "" : stage_name[i];
			want += 4 + strlen(in.macros[i]) + 1;
		}
		snprintf(cname, sizeof(cname), "%s",
		         k < MPROTO_STAGES    ? stage_name[k]
		         : k == MPROTO_STAGES ? "all stages"
		                              : "every other stage");
		len = mproto_optneg_encode(&in, buf, sizeof(buf));
		EXPECT(nfail, cname, len == want, "encoded %zu, want %zu", len,
		       want);
		h = hpkt(SMFIC_OPTNEG, buf, len);
		st = mproto_optneg_decode(&h.p, &out);
		EXPECT(nfail, cname, st == MP_OK, "decode: %s",
		       mproto_strerror(st));
		EXPECT(nfail, cname, same_optneg(&in, &out),
		       "decoded differently");
		/* Lists point into the packet's data. */
		for (i = 0; i < MPROTO_STAGES; i++)
			EXPECT(nfail, cname,
			       out.macros[i] == NULL ||
			           (out.macros[i] >= h.mem &&
			            out.macros[i] < h.mem + len),
			       "stage %d list outside the packet", i);
		/* The exact room needed is enough, one byte less is not. */
		EXPECT(nfail, cname,
		       mproto_optneg_encode(&in, buf, want) == want,
		       "no room in %zu bytes", want);
		EXPECT(nfail, cname,
		       mproto_optneg_encode(&in, buf, want - 1) == 0,
		       "encoded in %zu bytes", want - 1);
		free(h.mem);
	}
	memset(&in, 0, sizeof(in));
	assert_int_equal(mproto_optneg_encode(&in, buf, 11), 0);
	assert_int_equal(mproto_optneg_encode(&in, buf, 12), 12);
	EXPECT_DONE(nfail);
}

/* A literal as libmilter sends it: a real reply with three lists. */
static void
test_optneg_libmilter_reply(void **state)
{
	static const char data[] = "\0\0\0\6"     /* version */
	                           "\0\0\0\1"     /* SMFIF_ADDHDRS */
	                           "\0\0\x33\x7f" /* protocol */
	                           "\0\0\0\0{client_addr} j\0"
	                           "\0\0\0\3{rcpt_mailer}\0"
	                           "\0\0\0\6i\0";
	struct hpkt h = hpkt(SMFIC_OPTNEG, data, sizeof(data) - 1);
	struct moptneg o;

	(void)state;
	assert_int_equal(mproto_optneg_decode(&h.p, &o), MP_OK);
	assert_int_equal(o.version, 6);
	assert_int_equal(o.actions, SMFIF_ADDHDRS);
	assert_int_equal(o.protocol, 0x337f);
	assert_string_equal(o.macros[SMFIM_CONNECT], "{client_addr} j");
	assert_null(o.macros[SMFIM_HELO]);
	assert_null(o.macros[SMFIM_ENVFROM]);
	assert_string_equal(o.macros[SMFIM_ENVRCPT], "{rcpt_mailer}");
	assert_null(o.macros[SMFIM_DATA]);
	assert_null(o.macros[SMFIM_EOM]);
	assert_string_equal(o.macros[SMFIM_EOH], "i");
	free(h.mem);
}

static void
test_optneg_malformed(void **state)
{
	static const struct {
		const char *name;
		const char *data;
		size_t len;
	} cases[] = {
	    {"empty", IN("")},
	    {"one byte", IN("\0")},
	    {"11 bytes", IN("\0\0\0\6\0\0\1\377\0\37\377")},
	    {"one byte after the options",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0")},
	    {"a stage of 3 bytes", IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0")},
	    {"a stage and no list",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\1")},
	    {"a list without its NUL",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\1{x} j")},
	    {"stage 7", IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\7j\0")},
	    {"stage 0xffffffff",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\377\377\377\377j\0")},
	    {"stage 256", IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\1\0j\0")},
	    {"a good list, then a truncated one",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\0j\0\0\0\0\2{a")},
	    {"a good list, then stage 7",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\0j\0\0\0\0\7i\0")},
	    {"a good list, then 2 bytes",
	     IN("\0\0\0\6\0\0\1\377\0\37\377\377\0\0\0\0j\0\0\0")},
	};
	struct moptneg o;
	struct hpkt h;
	size_t i;
	int nfail = 0, st;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h = hpkt(SMFIC_OPTNEG, cases[i].data, cases[i].len);
		st = mproto_optneg_decode(&h.p, &o);
		EXPECT(nfail, cases[i].name, st == MP_MALFORMED, "status %s",
		       mproto_strerror(st));
		free(h.mem);
	}
	EXPECT_DONE(nfail);
}

/* Strings: MAIL and RCPT arguments, HELO, headers, macros. */

#define MAXS 8

struct scase {
	const char *name;
	const char *data;
	size_t len;
	size_t skip;
	size_t max;
	int want; /* count, or MP_MALFORMED */
	const char *s[MAXS];
};

static const struct scase scases[] = {
    {"helo", IN("client.example\0"), 0, MAXS, 1, {"client.example"}},
    {"mail, no args", IN("<a@example.org>\0"), 0, MAXS, 1, {"<a@example.org>"}},
    {"mail with args",
     IN("<a@example.org>\0SIZE=1234\0BODY=8BITMIME\0"),
     0,
     MAXS,
     3,
     {"<a@example.org>", "SIZE=1234", "BODY=8BITMIME"}},
    {"null sender", IN("<>\0"), 0, MAXS, 1, {"<>"}},
    {"rcpt with args",
     IN("<b@example.net>\0NOTIFY=NEVER\0"),
     0,
     MAXS,
     2,
     {"<b@example.net>", "NOTIFY=NEVER"}},
    {"header",
     IN("Subject\0hello world\0"),
     0,
     MAXS,
     2,
     {"Subject", "hello world"}},
    {"header, empty value", IN("X-Empty\0\0"), 0, MAXS, 2, {"X-Empty", ""}},
    {"header, folded value",
     IN("Received\0from a\r\n\tby b\0"),
     0,
     MAXS,
     2,
     {"Received", "from a\r\n\tby b"}},
    {"macros after the step letter",
     IN("Cj\0mx.example\0{daemon_name}\0smtpd\0_\0client [192.0.2.1]\0"),
     1,
     MAXS,
     6,
     {"j", "mx.example", "{daemon_name}", "smtpd", "_", "client [192.0.2.1]"}},
    {"macros, none", IN("C"), 1, MAXS, 0, {NULL}},
    {"macro with an empty value", IN("Mi\0\0"), 1, MAXS, 2, {"i", ""}},
    {"empty data", IN(""), 0, MAXS, 0, {NULL}},
    {"one empty string", IN("\0"), 0, MAXS, 1, {""}},
    {"three empty strings", IN("\0\0\0"), 0, MAXS, 3, {"", "", ""}},
    {"max respected", IN("a\0b\0c\0d\0"), 0, 2, 2, {"a", "b"}},
    {"max 1", IN("a\0b\0c\0d\0"), 0, 1, 1, {"a"}},
    {"max 0", IN("a\0b\0"), 0, 0, 0, {NULL}},
    {"max with skip", IN("Ca\0b\0c\0d\0"), 1, 3, 3, {"a", "b", "c"}},
    {"skip to the end", IN("ab\0"), 3, MAXS, 0, {NULL}},
    {"skip into a string", IN("abc\0de\0"), 1, MAXS, 2, {"bc", "de"}},
    /* Broken. */
    {"no NUL at all", IN("client.example"), 0, MAXS, MP_MALFORMED, {NULL}},
    {"last string without NUL",
     IN("<a@x>\0SIZE=12"),
     0,
     MAXS,
     MP_MALFORMED,
     {NULL}},
    {"header without final NUL",
     IN("Subject\0hello"),
     0,
     MAXS,
     MP_MALFORMED,
     {NULL}},
    {"header name only, no NUL", IN("Subject"), 0, MAXS, MP_MALFORMED, {NULL}},
    {"macros without final NUL", IN("Cj\0mx"), 1, MAXS, MP_MALFORMED, {NULL}},
    {"no NUL, max 0", IN("abc"), 0, 0, MP_MALFORMED, {NULL}},
    {"no NUL, max 1", IN("a\0bc"), 0, 1, MP_MALFORMED, {NULL}},
    {"skip past the end", IN("ab\0"), 4, MAXS, MP_MALFORMED, {NULL}},
    {"skip past empty data", IN(""), 1, MAXS, MP_MALFORMED, {NULL}},
};

static void
test_strings(void **state)
{
	const char *out[MAXS + 1];
	char b1[128], b2[128];
	struct hpkt h;
	size_t i;
	int k, n, nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(scases) / sizeof(scases[0]); i++) {
		const struct scase *c = &scases[i];

		for (k = 0; k <= MAXS; k++)
			out[k] = "(untouched)";
		h = hpkt(SMFIC_MAIL, c->data, c->len);
		n = mproto_strings(&h.p, c->skip, out, c->max);
		EXPECT(nfail, c->name, n == c->want, "returned %d, want %d", n,
		       c->want);
		for (k = 0; n == c->want && k < n; k++) {
			EXPECT(nfail, c->name,
			       out[k] >= h.mem && out[k] < h.mem + c->len,
			       "string %d not in the packet", k);
			EXPECT(nfail, c->name, strcmp(out[k], c->s[k]) == 0,
			       "string %d is \"%s\", want \"%s\"", k,
			       unit_show(out[k], b1, sizeof(b1)),
			       unit_show(c->s[k], b2, sizeof(b2)));
		}
		/* Nothing written past max (nor past the count). */
		for (k = n > 0 ? n : 0; k <= MAXS; k++)
			EXPECT(nfail, c->name,
			       strcmp(out[k], "(untouched)") == 0,
			       "out[%d] written", k);
		free(h.mem);
	}
	EXPECT_DONE(nfail);
}

/* CONNECT. */

struct ccase {
	const char *name;
	const char *data;
	size_t len;
	int want;
	const char *host;
	char family;
	uint16_t port;
	const char *addr;
};

static const struct ccase ccases[] = {
    {"inet", IN("mx.example.org\0004\0\031192.0.2.1\0"), MP_OK,
     "mx.example.org", '4', 25, "192.0.2.1"},
    {"inet, high port", IN("[192.0.2.9]\0004\377\376192.0.2.9\0"), MP_OK,
     "[192.0.2.9]", '4', 65534, "192.0.2.9"},
    {"inet, port byte order",
     IN("h\0004\1\2"
        "10.0.0.1\0"),
     MP_OK, "h", '4', 0x0102, "10.0.0.1"},
    {"inet6", IN("v6.example\0006\2\113IPv6:2001:db8::1\0"), MP_OK,
     "v6.example", '6', 587, "IPv6:2001:db8::1"},
    {"inet6 bare", IN("[::1]\0006\0\31::1\0"), MP_OK, "[::1]", '6', 25, "::1"},
    {"unix", IN("localhost\0L\0\0/var/run/smtp.sock\0"), MP_OK, "localhost",
     'L', 0, "/var/run/smtp.sock"},
    {"unknown", IN("unknown\0U"), MP_OK, "unknown", 'U', 0, NULL},
    {"unknown, trailing bytes ignored", IN("host\0Uxyz"), MP_OK, "host", 'U', 0,
     NULL},
    {"empty host", IN("\0004\0\031192.0.2.1\0"), MP_OK, "", '4', 25,
     "192.0.2.1"},
    {"empty address", IN("h\0004\0\031\0"), MP_OK, "h", '4', 25, ""},
    /* Broken. */
    {"empty", IN(""), MP_MALFORMED, NULL, 0, 0, NULL},
    {"no NUL", IN("mx.example.org"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"host only", IN("mx.example.org\0"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"family, missing port", IN("mx\0004"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"family, half a port", IN("mx\0004\0"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"unknown family", IN("mx\000X\000\031[1.2.3.4]"), MP_MALFORMED, NULL, 0, 0,
     NULL},
    {"port, no address", IN("mx\0004\0\031"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"address without NUL",
     IN("mx\0004\0\031"
        "192.0.2.1"),
     MP_MALFORMED, NULL, 0, 0, NULL},
    {"inet6 truncated", IN("mx\0006\0\031IPv6:2001:d"), MP_MALFORMED, NULL, 0,
     0, NULL},
    {"unix, missing port", IN("localhost\0L"), MP_MALFORMED, NULL, 0, 0, NULL},
    {"unix, path without NUL", IN("localhost\0L\0\0/var/run"), MP_MALFORMED,
     NULL, 0, 0, NULL},
};

static void
test_connect_decode(void **state)
{
	char b1[128], b2[128];
	struct mconnect c;
	struct hpkt h;
	size_t i;
	int st, nfail = 0;

	(void)state;
	for (i = 0; i < sizeof(ccases) / sizeof(ccases[0]); i++) {
		const struct ccase *k = &ccases[i];

		memset(&c, 0x55, sizeof(c));
		h = hpkt(SMFIC_CONNECT, k->data, k->len);
		st = mproto_connect_decode(&h.p, &c);
		EXPECT(nfail, k->name, st == k->want, "status %s",
		       mproto_strerror(st));
		if (st != MP_OK || k->want != MP_OK) {
			free(h.mem);
			continue;
		}
		EXPECT(nfail, k->name,
		       c.host != NULL && strcmp(c.host, k->host) == 0,
		       "host \"%s\"", unit_show(c.host, b1, sizeof(b1)));
		EXPECT(nfail, k->name, c.family == k->family, "family '%c'",
		       c.family);
		EXPECT(nfail, k->name, c.port == k->port, "port %u, want %u",
		       c.port, k->port);
		EXPECT(nfail, k->name,
		       k->addr == NULL
		           ? c.addr == NULL
		           : c.addr != NULL && strcmp(c.addr, k->addr) == 0,
		       "addr \"%s\", want \"%s\"",
		       unit_show(c.addr, b1, sizeof(b1)),
		       unit_show(k->addr, b2, sizeof(b2)));
		EXPECT(nfail, k->name,
		       c.addr == NULL ||
		           (c.addr >= h.mem && c.addr < h.mem + k->len),
		       "addr outside the packet");
		free(h.mem);
	}
	EXPECT_DONE(nfail);
}

/* The decoders on packets as mproto_read delivers them. */
static void
test_read_then_decode(void **state)
{
	static const char conn[] = "mx.example\0004\0\031192.0.2.1\0";
	struct mreader r = {0};
	struct mpacket p;
	struct mconnect c;
	struct moptneg o, in;
	const char *s[4];
	char buf[256];
	size_t len;
	int fds[2];

	(void)state;
	pair(fds);
	memset(&in, 0, sizeof(in));
	in.version = 6;
	in.actions = 1;
	in.protocol = 0x1000;
	in.macros[SMFIM_ENVFROM] = "{auth_authen} i";
	len = mproto_optneg_encode(&in, buf, sizeof(buf));
	assert_true(len > 12);
	assert_int_equal(mproto_write(fds[1], 1000, SMFIC_OPTNEG, buf, len),
	                 MP_OK);
	assert_int_equal(
	    mproto_write(fds[1], 1000, SMFIC_CONNECT, conn, sizeof(conn) - 1),
	    MP_OK);
	assert_int_equal(
	    mproto_write(fds[1], 1000, SMFIC_MACRO, "Mi\0ABC123\0", 10), MP_OK);
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_OPTNEG);
	assert_int_equal(mproto_optneg_decode(&p, &o), MP_OK);
	assert_true(same_optneg(&in, &o));
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(mproto_connect_decode(&p, &c), MP_OK);
	assert_string_equal(c.host, "mx.example");
	assert_int_equal(c.port, 25);
	assert_string_equal(c.addr, "192.0.2.1");
	assert_int_equal(mproto_read(fds[0], 1000, &r, &p), MP_OK);
	assert_int_equal(p.cmd, SMFIC_MACRO);
	assert_int_equal(mproto_strings(&p, 1, s, 4), 2);
	assert_string_equal(s[0], "i");
	assert_string_equal(s[1], "ABC123");
	close_pair(fds);
	mproto_reader_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strerror),
	    cmocka_unit_test(test_frame_complete),
	    cmocka_unit_test(test_frame_partial),
	    cmocka_unit_test(test_frame_length_zero),
	    cmocka_unit_test(test_frame_size_limit),
	    cmocka_unit_test(test_frame_back_to_back),
	    cmocka_unit_test(test_roundtrip_every_letter),
	    cmocka_unit_test(test_write_wire_format),
	    cmocka_unit_test(test_queue_flush),
	    cmocka_unit_test(test_read_quickack),
	    cmocka_unit_test(test_read_timeout_silent_peer),
	    cmocka_unit_test(test_read_closed_peer),
	    cmocka_unit_test(test_read_trickle),
	    cmocka_unit_test(test_read_bad_length),
	    cmocka_unit_test(test_write_too_big),
	    cmocka_unit_test(test_write_timeout),
	    cmocka_unit_test(test_write_closed_peer),
	    cmocka_unit_test(test_write_closed_peer_no_sigpipe),
	    cmocka_unit_test(test_tcp_exchange_latency),
	    cmocka_unit_test(test_optneg_roundtrip),
	    cmocka_unit_test(test_optneg_libmilter_reply),
	    cmocka_unit_test(test_optneg_malformed),
	    cmocka_unit_test(test_strings),
	    cmocka_unit_test(test_connect_decode),
	    cmocka_unit_test(test_read_then_decode),
	};

	/* Closed peers are tested here; one test restores SIGPIPE itself. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
