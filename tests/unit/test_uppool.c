/*
 * test_uppool - upstream connections kept between sessions: taken back
 * only for the same upstream and offer, once; never when the peer closed
 * it; the oldest closed when the pool is full; closed at once when there
 * is no pool.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "proxy/uppool.h"

/* A connected socket; its peer in *peer. */
static int
conn(int *peer)
{
	int fds[2];

	assert_int_equal(
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	*peer = fds[1];
	return fds[0];
}

static int
is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static void
test_take_same_key_once(void **state)
{
	struct uppool *u = uppool_new(4);
	char *answer = NULL;
	size_t len = 0;
	int peer, fd = conn(&peer);

	(void)state;
	assert_non_null(u);
	uppool_put(u, fd, "inet:1@h", "offer\0x", 7, "ans\0wer", 7);
	/* Another upstream, another offer (a byte differs, the length). */
	assert_int_equal(
	    uppool_take(u, "inet:2@h", "offer\0x", 7, &answer, &len), -1);
	assert_int_equal(
	    uppool_take(u, "inet:1@h", "offer\0y", 7, &answer, &len), -1);
	assert_int_equal(uppool_take(u, "inet:1@h", "offer", 5, &answer, &len),
	                 -1);
	assert_int_equal(
	    uppool_take(u, "inet:1@h", "offer\0x", 7, &answer, &len), fd);
	assert_int_equal(len, 7);
	assert_memory_equal(answer, "ans\0wer", 7);
	free(answer);
	/* Taken: gone from the pool, and still open (the caller's now). */
	assert_int_equal(
	    uppool_take(u, "inet:1@h", "offer\0x", 7, &answer, &len), -1);
	assert_true(is_open(fd));
	close(fd);
	close(peer);
	uppool_free(u);
}

static void
test_closed_by_peer_not_taken(void **state)
{
	struct uppool *u = uppool_new(4);
	char *answer = NULL;
	size_t len;
	int peer, fd = conn(&peer), peer2, fd2 = conn(&peer2);

	(void)state;
	uppool_put(u, fd, "up", "o", 1, "a", 1);
	close(peer); /* the upstream went away while it was parked */
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), -1);
	assert_false(is_open(fd));
	/* A peer that talks out of turn is not trusted either. */
	uppool_put(u, fd2, "up", "o", 1, "a", 1);
	assert_int_equal(write(peer2, "x", 1), 1);
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), -1);
	assert_false(is_open(fd2));
	close(peer2);
	uppool_free(u);
}

static void
test_full_pool_drops_oldest(void **state)
{
	struct uppool *u = uppool_new(2);
	char *answer;
	size_t len;
	int p[3], fd[3], i;

	(void)state;
	for (i = 0; i < 3; i++) {
		fd[i] = conn(&p[i]);
		uppool_put(u, fd[i], "up", "o", 1, "a", 1);
	}
	assert_false(is_open(fd[0]));
	/* The newest first. */
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), fd[2]);
	free(answer);
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), fd[1]);
	free(answer);
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), -1);
	for (i = 0; i < 3; i++)
		close(p[i]);
	close(fd[1]);
	close(fd[2]);
	uppool_free(u);
}

static void
test_no_pool(void **state)
{
	struct uppool *u = uppool_new(0);
	char *answer;
	size_t len;
	int peer, fd = conn(&peer), peer2, fd2 = conn(&peer2);

	(void)state;
	uppool_put(u, fd, "up", "o", 1, "a", 1);
	assert_false(is_open(fd));
	assert_int_equal(uppool_take(u, "up", "o", 1, &answer, &len), -1);
	uppool_put(NULL, fd2, "up", "o", 1, "a", 1);
	assert_false(is_open(fd2));
	assert_int_equal(uppool_take(NULL, "up", "o", 1, &answer, &len), -1);
	close(peer);
	close(peer2);
	uppool_free(u);
	uppool_free(NULL);
}

/* What is still parked when the pool goes is closed with it. */
static void
test_free_closes(void **state)
{
	struct uppool *u = uppool_new(4);
	int peer, fd = conn(&peer);

	(void)state;
	uppool_put(u, fd, "up", "o", 1, "a", 1);
	uppool_free(u);
	assert_false(is_open(fd));
	close(peer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_take_same_key_once),
	    cmocka_unit_test(test_closed_by_peer_not_taken),
	    cmocka_unit_test(test_full_pool_drops_oldest),
	    cmocka_unit_test(test_no_pool),
	    cmocka_unit_test(test_free_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
