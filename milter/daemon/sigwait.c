/*
 * sigwait - keep SIGHUP and SIGUSR1 away from libmilter's signal thread.
 *
 * Linked into the milter binary alone (not into the daemon's archive), so
 * that unit tests and tools keep libc's sigwait.
 */
#include <errno.h>
#include <signal.h>

/*
 * libmilter's own signal thread sigwait()s for SIGHUP and treats it as
 * "stop" (libmilter/signal.c). milter-annotate reloads on SIGHUP and logs
 * counters on SIGUSR1, so libmilter must never take those two. This
 * definition comes before libc's in the dynamic linker's search order for
 * libmilter's call, and waits for the same signals less those two. Our own
 * signal thread uses sigwaitinfo, not this.
 */
int
sigwait(const sigset_t *set, int *sig)
{
	sigset_t s = *set;
	int r;

	sigdelset(&s, SIGHUP);
	sigdelset(&s, SIGUSR1);
	for (;;) {
		if ((r = sigwaitinfo(&s, NULL)) > 0) {
			*sig = r;
			return 0;
		}
		if (errno != EINTR)
			return errno;
	}
}
