/*
 * fakeup - a misbehaving upstream milter for the proxy tests, speaking the
 * raw protocol with the project's own mproto.
 *
 *   fakeup MODE SOCKET [CMD]
 *
 * SOCKET is a libmilter socket spec (inet:PORT@HOST, unix:/path). MODE:
 *
 *   close-after-optneg  answers OPTNEG, then closes
 *   garbage             answers OPTNEG, then answers the trigger command
 *                       with 64 bytes that are no packet: a zero length
 *                       word (which no packet has) and random bytes
 *   oversized           answers OPTNEG, then answers the trigger command
 *                       with a header announcing a 100 MB packet (and a
 *                       few bytes of it, no more)
 *   unknown-reply       answers OPTNEG, then answers the trigger command
 *                       with a well-formed packet of unknown letter 'Z'
 *   silent              answers OPTNEG, then never answers the trigger
 *                       command nor anything after it (a hang)
 *   truncated           answers OPTNEG, then answers the trigger command
 *                       with the first half of a reply packet, and no more
 *   die                 answers OPTNEG, then exits (the whole process, at
 *                       once, as in a crash) when the trigger command comes
 *   refuse-optneg       closes each connection at once, unread
 *
 * The trigger command is the first command that expects an answer, or
 * the first one with letter CMD if given (e.g. R: RCPT; O: OPTNEG itself,
 * which is then not answered but misbehaved upon); earlier commands are
 * answered "continue". OPTNEG is answered with version 6, no actions,
 * protocol 0 (every step, every step answered), no macro lists. After
 * misbehaving, fakeup reads (and ignores) what the peer sends until it
 * closes, at most 120 s, so that the peer's verdict comes from the bad
 * answer, not from a close.
 *
 * Connections are served at once, each by its own thread, until fakeup is
 * killed (or dies). Each one is logged on standard error: "fakeup:
 * connection N: WHAT".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "proxy/mproto.h"
#include "proxy/sockspec.h"

#define IO_MS    30000  /* one read or write from the peer */
#define DRAIN_MS 120000 /* reading after misbehaving */

enum mode {
	M_CLOSE_AFTER_OPTNEG,
	M_GARBAGE,
	M_OVERSIZED,
	M_UNKNOWN_REPLY,
	M_SILENT,
	M_TRUNCATED,
	M_DIE,
	M_REFUSE_OPTNEG,
};

static const char *const mode_names[] = {"close-after-optneg",
                                         "garbage",
                                         "oversized",
                                         "unknown-reply",
                                         "silent",
                                         "truncated",
                                         "die",
                                         "refuse-optneg",
                                         NULL};

static enum mode mode;
static char trigger = '\0';

/* The connection a thread serves, for its log lines. */
static __thread unsigned long nconn;

static void
say(const char *what)
{
	/* One fprintf a line: stdio locks the stream, lines do not mix. */
	fprintf(stderr, "fakeup: connection %lu: %s\n", nconn, what);
}

/* Commands a milter answers (with every step negotiated, none NR). */
static int
expects_answer(char cmd)
{
	return cmd != SMFIC_MACRO && cmd != SMFIC_ABORT && cmd != SMFIC_QUIT &&
	       cmd != SMFIC_QUIT_NC;
}

/* Read and drop what the peer sends until it closes (bounded). */
static void
drain(int fd)
{
	char buf[4096];
	struct timespec start, now;
	struct pollfd pfd = {fd, POLLIN, 0};
	ssize_t r;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 +
		     (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms >= DRAIN_MS) {
			say("peer still open after 120 s, closing");
			return;
		}
		if (poll(&pfd, 1, (int)(DRAIN_MS - ms)) <= 0)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
			say("peer closed");
			return;
		}
	}
}

/* 1 when OPTNEG is the trigger (read, not answered), 0 answered, -1. */
static int
answer_optneg(int fd, struct mreader *rd)
{
	struct mpacket pkt;
	struct moptneg o;
	char buf[64];
	size_t len;
	int st;

	if ((st = mproto_read(fd, IO_MS, rd, &pkt)) != MP_OK) {
		say(mproto_strerror(st));
		return -1;
	}
	if (pkt.cmd != SMFIC_OPTNEG) {
		say("first packet is not OPTNEG");
		return -1;
	}
	if (trigger == SMFIC_OPTNEG) {
		say("trigger command 'O'");
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.version = MPROTO_VERSION;
	o.actions = 0;
	o.protocol = 0;
	len = mproto_optneg_encode(&o, buf, sizeof(buf));
	if (mproto_write(fd, IO_MS, SMFIC_OPTNEG, buf, len) != MP_OK) {
		say("cannot answer OPTNEG");
		return -1;
	}
	say("answered OPTNEG");
	return 0;
}

/* Read commands, answer "continue" until the trigger; 0 when it came. */
static int
wait_trigger(int fd, struct mreader *rd)
{
	struct mpacket pkt;
	char what[64];
	int st;

	for (;;) {
		if ((st = mproto_read(fd, IO_MS, rd, &pkt)) != MP_OK) {
			say(mproto_strerror(st));
			return -1;
		}
		if (pkt.cmd == SMFIC_QUIT) {
			say("QUIT before the trigger");
			return -1;
		}
		if (!expects_answer(pkt.cmd))
			continue;
		if (trigger == '\0' || pkt.cmd == trigger) {
			snprintf(what, sizeof(what), "trigger command '%c'",
			         pkt.cmd);
			say(what);
			return 0;
		}
		if (mproto_write(fd, IO_MS, SMFIR_CONTINUE, NULL, 0) != MP_OK) {
			say("cannot answer continue");
			return -1;
		}
	}
}

static void
write_all(int fd, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, buf, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void
serve(int fd, enum mode m)
{
	struct mreader rd = {0};
	char buf[64];
	ssize_t got;
	int st;

	if (m == M_REFUSE_OPTNEG) {
		say("closing at once");
		return;
	}
	if ((st = answer_optneg(fd, &rd)) < 0)
		goto out;
	if (m == M_CLOSE_AFTER_OPTNEG) {
		say("closing after OPTNEG");
		goto out;
	}
	if (st == 0 && wait_trigger(fd, &rd) != 0)
		goto out;
	switch (m) {
	case M_SILENT:
		say("silent from now on");
		break;
	case M_GARBAGE:
		got = getrandom(buf, sizeof(buf), 0);
		if (got != (ssize_t)sizeof(buf))
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = (char)rand();
		/* A zero length word: no packet has one. */
		memset(buf, 0, 4);
		write_all(fd, buf, sizeof(buf));
		say("sent 64 bytes of garbage");
		break;
	case M_OVERSIZED:
		/* 100 MB + the command byte; then only a little of it. */
		buf[0] = 0x06, buf[1] = 0x40, buf[2] = 0x00, buf[3] = 0x01;
		buf[4] = SMFIR_REPLYCODE;
		memcpy(buf + 5, "550 5.7.1 never ending", 22);
		write_all(fd, buf, 27);
		say("sent a 100 MB packet header");
		break;
	case M_UNKNOWN_REPLY:
		if (mproto_write(fd, IO_MS, 'Z', "zzz", 4) != MP_OK)
			say("cannot send Z");
		else
			say("sent reply 'Z'");
		break;
	case M_TRUNCATED:
		/* A 30-byte reply-code packet, of which 12 bytes come. */
		buf[0] = 0, buf[1] = 0, buf[2] = 0, buf[3] = 30;
		buf[4] = SMFIR_REPLYCODE;
		memcpy(buf + 5, "550 5.7.1 h", 7);
		write_all(fd, buf, 12);
		say("sent half a packet");
		break;
	case M_DIE:
		say("dying");
		_exit(3);
	default:
		break;
	}
	drain(fd);
out:
	mproto_reader_free(&rd);
}

struct conn {
	int fd;
	unsigned long n;
};

static void *
serve_thread(void *arg)
{
	struct conn *c = arg;

	nconn = c->n;
	serve(c->fd, mode);
	close(c->fd);
	free(c);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct sockspec spec;
	pthread_attr_t attr;
	pthread_t tid;
	struct conn *c;
	const char *why;
	unsigned long n = 0;
	int lfd, fd, i;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: fakeup MODE SOCKET [CMD]\n");
		return 2;
	}
	for (i = 0; mode_names[i] != NULL; i++)
		if (strcmp(argv[1], mode_names[i]) == 0)
			break;
	if (mode_names[i] == NULL) {
		fprintf(stderr, "fakeup: unknown mode %s\n", argv[1]);
		return 2;
	}
	mode = (enum mode)i;
	if (argc == 4) {
		if (strlen(argv[3]) != 1) {
			fprintf(stderr, "fakeup: CMD is one letter\n");
			return 2;
		}
		trigger = argv[3][0];
	}
	signal(SIGPIPE, SIG_IGN);
	if (sockspec_parse(argv[2], &spec, &why) != 0) {
		fprintf(stderr, "fakeup: %s: %s\n", argv[2], why);
		return 2;
	}
	if ((lfd = sockspec_listen(&spec)) < 0) {
		fprintf(stderr, "fakeup: cannot listen on %s: %s\n", argv[2],
		        strerror(errno));
		return 1;
	}
	/* Unbuffered: a dying fakeup has said all it had to. */
	setvbuf(stderr, NULL, _IONBF, 0);
	fprintf(stderr, "fakeup: %s on %s\n", argv[1], argv[2]);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "fakeup: accept: %s\n",
			        strerror(errno));
			return 1;
		}
		nconn = ++n;
		say("accepted");
		if ((c = malloc(sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->n = n;
		if (pthread_create(&tid, &attr, serve_thread, c) != 0) {
			say("cannot start a thread");
			close(fd);
			free(c);
		}
	}
}
