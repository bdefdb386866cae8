/*
 * uppool - upstream connections kept open from one MTA session to the next.
 *
 * libmilter takes SMFIC_QUIT_NC after an end of message it answered with
 * "continue", and then a new CONNECT on the same connection: the next
 * session saves a TCP connect, the upstream's accept and session set-up
 * and a negotiation round trip. A parked connection is kept IDLE_MS at
 * most (the upstream has idle timeouts of its own), the oldest goes first
 * when the pool is full, and one that has become readable (closed, or
 * talking out of turn) is closed instead of being used.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy/uppool.h"

#define IDLE_MS 10000

struct parked {
	int fd;
	long long since_ms;
	char *key; /* upstream, NUL, the MTA's offer */
	size_t key_len;
	char *answer;
	size_t answer_len;
};

struct uppool {
	pthread_mutex_t lock;
	size_t max, n;
	struct parked *slot; /* [max], oldest first */
};

static long long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct uppool *
uppool_new(size_t max)
{
	struct uppool *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return NULL;
	if (max > 0 && (u->slot = calloc(max, sizeof(*u->slot))) == NULL) {
		free(u);
		return NULL;
	}
	u->max = max;
	pthread_mutex_init(&u->lock, NULL);
	return u;
}

static void
drop(struct parked *s)
{
	close(s->fd);
	free(s->key);
	free(s->answer);
}

/* Remove slot i, keeping the rest oldest first (u locked). */
static void
remove_at(struct uppool *u, size_t i)
{
	memmove(&u->slot[i], &u->slot[i + 1],
	        (u->n - i - 1) * sizeof(u->slot[0]));
	u->n--;
}

void
uppool_free(struct uppool *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->n; i++)
		drop(&u->slot[i]);
	pthread_mutex_destroy(&u->lock);
	free(u->slot);
	free(u);
}

/* "upstream\0offer" in a buffer of its own. */
static char *
make_key(const char *upstream, const char *offer, size_t offer_len, size_t *len)
{
	size_t ul = strlen(upstream) + 1;
	char *k = malloc(ul + offer_len);

	if (k == NULL)
		return NULL;
	memcpy(k, upstream, ul);
	memcpy(k + ul, offer, offer_len);
	*len = ul + offer_len;
	return k;
}

/* Nothing is due on a parked connection: if it reads, it is over. */
static int
still_quiet(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLRDHUP, 0};

	return poll(&p, 1, 0) == 0;
}

int
uppool_take(struct uppool *u, const char *upstream, const char *offer,
            size_t offer_len, char **answer, size_t *answer_len)
{
	struct parked s;
	size_t key_len, i;
	char *key;
	int fd = -1;
	long long now = now_ms();

	if (u == NULL || u->max == 0 ||
	    (key = make_key(upstream, offer, offer_len, &key_len)) == NULL)
		return -1;
	pthread_mutex_lock(&u->lock);
	/* The newest first: the one least likely to have timed out. */
	for (i = u->n; fd < 0 && i-- > 0;) {
		s = u->slot[i];
		if (s.key_len != key_len || memcmp(s.key, key, key_len) != 0)
			continue;
		remove_at(u, i);
		if (now - s.since_ms > IDLE_MS || !still_quiet(s.fd)) {
			drop(&s);
			continue;
		}
		fd = s.fd;
		*answer = s.answer;
		*answer_len = s.answer_len;
		free(s.key);
	}
	pthread_mutex_unlock(&u->lock);
	free(key);
	return fd;
}

void
uppool_put(struct uppool *u, int fd, const char *upstream, const char *offer,
           size_t offer_len, const char *answer, size_t answer_len)
{
	struct parked s = {fd, now_ms(), NULL, 0, NULL, answer_len};

	if (u == NULL || u->max == 0 ||
	    (s.key = make_key(upstream, offer, offer_len, &s.key_len)) ==
	        NULL ||
	    (s.answer = malloc(answer_len + 1)) == NULL) {
		free(s.key);
		close(fd);
		return;
	}
	memcpy(s.answer, answer, answer_len);
	s.answer[answer_len] = '\0';
	pthread_mutex_lock(&u->lock);
	if (u->n == u->max) {
		drop(&u->slot[0]);
		remove_at(u, 0);
	}
	u->slot[u->n++] = s;
	pthread_mutex_unlock(&u->lock);
}
