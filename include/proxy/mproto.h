/*
 * mproto - the milter wire protocol (version 6, as libmilter speaks it).
 *
 * A packet is a 4-byte big-endian length (of what follows), a command
 * byte, and data. Sizes are bounded: no packet larger than
 * MPROTO_DATA_MAX is read, whatever a peer announces. Every read and
 * write has a timeout, so a stuck peer never holds a session forever.
 * Framing and decoding need no socket (mproto_frame), which is what the
 * unit tests and the fuzzer drive.
 */
#ifndef MPROTO_H
#define MPROTO_H

#include <stddef.h>
#include <stdint.h>

#define MPROTO_VERSION  6
#define MPROTO_DATA_MAX (1024 * 1024) /* SMFIP_MDS_1M, the largest */
#define MPROTO_STAGES   7             /* SMFIM_CONNECT .. SMFIM_EOH */

enum mproto_status {
	MP_OK = 0,
	MP_MORE = 1,       /* mproto_frame: the packet is not complete yet */
	MP_CLOSED = -1,    /* the peer closed the connection */
	MP_TIMEOUT = -2,   /* the peer did not answer in time */
	MP_IO = -3,        /* a socket error */
	MP_MALFORMED = -4, /* a packet that breaks the protocol */
	MP_TOOBIG = -5,    /* a packet over MPROTO_DATA_MAX */
};

struct mpacket {
	char cmd;
	size_t len;       /* of data */
	const char *data; /* into the reader's buffer, NUL after it */
};

/*
 * A reader buffers what the peer has sent, so that several small packets
 * cost one read: buf[start..end) is not returned yet. The buffer grows as
 * packets need (command, data and a NUL). A packet's data stays valid
 * until the next mproto_read on the same reader. Zero-initialised is empty.
 */
struct mreader {
	char *buf;
	size_t cap;
	size_t start, end;
	size_t nul_at; /* the NUL put after the last packet's data... */
	char saved;    /* ...over this byte of the next packet, */
	int restore;   /* to be put back first */
	int quickack;  /* acknowledge at once before waiting (see mproto.c) */
	int not_tcp;   /* ...which this descriptor cannot */
	/* The descriptor the reader owns (mproto_reader_bind), + 1; 0: none. */
	int bound;
	enum { READ_UNKNOWN, READ_BLOCK, READ_POLL } read_mode;
	int timeo_ms; /* SO_RCVTIMEO as set, READ_BLOCK */
};

/* Option negotiation (SMFIC_OPTNEG and its reply). */
/* Packets queued for one send (mproto_queue, mproto_flush). */
struct mwriter {
	char *buf;
	size_t len, cap;
};

struct moptneg {
	uint32_t version;
	uint32_t actions;  /* SMFIF_* */
	uint32_t protocol; /* SMFIP_* */
	/* Macro lists per stage (reply only), NULL when not given. */
	const char *macros[MPROTO_STAGES];
};

/* SMFIC_CONNECT. */
struct mconnect {
	const char *host;
	char family; /* SMFIA_INET, SMFIA_INET6, SMFIA_UNIX, SMFIA_UNKNOWN */
	uint16_t port;
	const char *addr;
};

/* A short reason for an MP_* status ("timed out"); never NULL. */
const char *mproto_strerror(int status);

/*
 * Decode one packet at the start of buf[0..n): MP_OK with *used its size,
 * MP_MORE when it is not complete yet, MP_MALFORMED (a zero length),
 * MP_TOOBIG (over MPROTO_DATA_MAX).
 */
int mproto_frame(const char *buf, size_t n, struct mpacket *, size_t *used);

/* Free the reader's buffer; it is empty (and unbound) again. */
void mproto_reader_free(struct mreader *);
/*
 * Tie r to fd (-1: to none) until the next bind: reads of fd may then
 * block in recv, bounded by SO_RCVTIMEO, instead of polling first.
 */
void mproto_reader_bind(struct mreader *, int fd);
/*
 * Read one packet from fd into pkt (data valid until the next read on r);
 * timeout_ms < 0 waits forever. Returns MP_OK, or MP_CLOSED, MP_TIMEOUT,
 * MP_IO, MP_MALFORMED, MP_TOOBIG.
 */
int mproto_read(int fd, int timeout_ms, struct mreader *, struct mpacket *);
/* Whether a whole packet is buffered: the next read will not wait. */
int mproto_pending(const struct mreader *);
/*
 * Send one packet (with the packets queued on no writer) in one sendmsg,
 * within timeout_ms. Returns MP_OK, MP_TOOBIG, MP_TIMEOUT or MP_IO.
 */
int mproto_write(int fd, int timeout_ms, char cmd, const void *data,
                 size_t len);

/* Queue a packet for the next flush: MP_OK, MP_TOOBIG or MP_IO (memory). */
int mproto_queue(struct mwriter *, char cmd, const void *data, size_t len);
/*
 * Send what is queued, in as few sends as the socket takes, within
 * timeout_ms; the queue is empty after MP_OK. MP_TIMEOUT or MP_IO
 * otherwise (the connection is then unusable).
 */
int mproto_flush(int fd, int timeout_ms, struct mwriter *);
/* Free the writer's buffer; what was queued is dropped. */
void mproto_writer_free(struct mwriter *);

/*
 * Decode an OPTNEG packet (the MTA's offer or a milter's answer, its
 * macro lists pointing into the packet): MP_OK or MP_MALFORMED.
 */
int mproto_optneg_decode(const struct mpacket *, struct moptneg *);
/* Encode the data of an OPTNEG packet; returns its length, 0 if no room. */
size_t mproto_optneg_encode(const struct moptneg *, char *buf, size_t cap);
/* Decode a CONNECT packet (pointing into it): MP_OK or MP_MALFORMED. */
int mproto_connect_decode(const struct mpacket *, struct mconnect *);
/*
 * The NUL-terminated strings of data[skip..]: MAIL and RCPT arguments,
 * HELO, a header's name and value, macro names and values. Returns how
 * many, or MP_MALFORMED if the data does not end with a NUL.
 */
int mproto_strings(const struct mpacket *, size_t skip, const char **out,
                   size_t max);

/* SMFIP_NO* and SMFIP_NR_* for a command letter; 0 where there is none. */
uint32_t mproto_no_flag(char cmd);
uint32_t mproto_nr_flag(char cmd);
/* A command's step as logs name it: "rcpt", "eom"; "other" if none. */
const char *mproto_step_name(char cmd);

#endif
