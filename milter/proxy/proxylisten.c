/*
 * proxylisten - accept MTA connections for the proxy and run each session
 * on a thread of its own.
 *
 * Threads are kept for the next session instead of ending with theirs:
 * creating and tearing down a thread (its stack, its kernel task) cost
 * about as much CPU as a whole relayed milter step. A thread idle for
 * IDLE_SECONDS ends, so a burst leaves no crowd behind.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine/confstore.h"
#include "proxy/proxy.h"
#include "proxy/sockspec.h"
#include "proxy/uppool.h"

/* Descriptors the process needs besides its sessions' (stdio, the
 * listener, syslog, the files a reload reads), with room to spare. */
#define FD_RESERVE   10
#define IDLE_SECONDS 5
#define POOL_MAX     64 /* upstream connections kept (upstream_reuse) */

struct conn {
	int fd;
	struct conn *next;
};

/* Accepted connections waiting for a thread, and the threads. */
struct workers {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct conn *head, *tail;
	const struct session_env *env;
	struct uppool *pool;
	int threads; /* alive */
	int idle;    /* of them, waiting for work */
	int queued;  /* connections no thread has taken yet */
	int active;  /* sessions queued or running */
	int stopping;
};

/*
 * How many sessions can have both their sockets open at once, with a
 * quarter of the descriptors (POOL_MAX at most) left to parked upstream
 * connections, in *pool. Past that, a session accepted would find no
 * descriptor for its upstream and be tempfailed; left in the listen
 * queue, it waits for a free slot.
 */
static int
session_cap(size_t *pool)
{
	struct rlimit rl;
	size_t n;

	*pool = POOL_MAX;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > INT_MAX)
		return INT_MAX;
	if (rl.rlim_cur < FD_RESERVE + 2) {
		*pool = 0;
		return 1;
	}
	n = (size_t)rl.rlim_cur - FD_RESERVE;
	if (n / 4 < *pool)
		*pool = n / 4;
	return (int)((n - *pool) / 2);
}

static void
workers_free(struct workers *w)
{
	uppool_free(w->pool);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static void
run_session(struct workers *w, int fd)
{
	struct config *cfg = confstore_hold();

	if (cfg != NULL) {
		proxy_session(fd, cfg, w->env, w->pool);
		confstore_drop(cfg);
	}
	close(fd);
}

/* The next connection, or NULL once idle too long or stopping (w locked). */
static struct conn *
next_conn(struct workers *w)
{
	struct timespec until;
	struct conn *c;
	int r;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += IDLE_SECONDS;
	while (w->head == NULL && !w->stopping) {
		w->idle++;
		r = pthread_cond_timedwait(&w->work, &w->lock, &until);
		w->idle--;
		if (r == ETIMEDOUT && w->head == NULL)
			return NULL;
	}
	if ((c = w->head) == NULL)
		return NULL;
	if ((w->head = c->next) == NULL)
		w->tail = NULL;
	w->queued--;
	return c;
}

static void *
worker(void *arg)
{
	struct workers *w = arg;
	struct conn *c;
	int last;

	pthread_mutex_lock(&w->lock);
	while ((c = next_conn(w)) != NULL) {
		pthread_mutex_unlock(&w->lock);
		run_session(w, c->fd);
		free(c);
		pthread_mutex_lock(&w->lock);
		w->active--;
	}
	last = --w->threads == 0 && w->stopping;
	pthread_mutex_unlock(&w->lock);
	/* The listener has returned: the last thread out frees what it left. */
	if (last)
		workers_free(w);
	return NULL;
}

/* Queue fd for an idle thread, or start one; -1 if neither can be. */
static int
hand_over(struct workers *w, pthread_attr_t *attr, int fd)
{
	struct conn *c = malloc(sizeof(*c));
	pthread_t tid;
	int rc = 0;

	if (c == NULL)
		return -1;
	c->fd = fd;
	c->next = NULL;
	pthread_mutex_lock(&w->lock);
	if (w->tail != NULL)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
	w->active++;
	/* An idle thread for each queued connection, or one more thread (a
	 * thread signalled does not count itself out until it runs). */
	if (++w->queued <= w->idle)
		pthread_cond_signal(&w->work);
	else if (pthread_create(&tid, attr, worker, w) == 0)
		w->threads++;
	else if (w->threads == 0) {
		/* No thread to take it, ever: undo. */
		w->head = w->tail = NULL;
		w->active--;
		w->queued--;
		free(c);
		rc = -1;
	}
	/* Otherwise a busy thread takes it when its session ends. */
	pthread_mutex_unlock(&w->lock);
	return rc;
}

static int
active(struct workers *w)
{
	int n;

	pthread_mutex_lock(&w->lock);
	n = w->active;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* Out of descriptors or memory: waiting helps, retrying at once spins. */
static int
accept_starved(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS ||
	       err == ENOMEM;
}

int
proxy_serve(int lfd, const struct session_env *env,
            const volatile sig_atomic_t *stop)
{
	struct pollfd pfd = {lfd, POLLIN, 0};
	struct workers *w = calloc(1, sizeof(*w));
	pthread_attr_t attr;
	size_t pool_max;
	int fd, cap = session_cap(&pool_max), last;

	if (w == NULL)
		return -1;
	/* No pool (out of memory): every session connects afresh. */
	w->pool = uppool_new(pool_max);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	w->env = env;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (!*stop) {
		if (active(w) >= cap) {
			poll(NULL, 0, 10);
			continue;
		}
		/* Wake twice a second to notice a stop request. */
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			if (accept_starved(errno))
				poll(NULL, 0, 50);
			continue;
		}
		sockspec_nodelay(fd);
		if (hand_over(w, &attr, fd) != 0)
			close(fd);
	}
	pthread_attr_destroy(&attr);
	/* Idle threads end now, busy ones after their session. */
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_broadcast(&w->work);
	last = w->threads == 0;
	pthread_mutex_unlock(&w->lock);
	if (last)
		workers_free(w);
	return 0;
}
