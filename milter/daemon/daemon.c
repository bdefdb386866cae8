/*
 * daemon - start the milter, serve, reload on SIGHUP, stop on SIGTERM.
 *
 * Order matters: the socket is bound while still root, then the process
 * detaches, writes its pid file, drops privileges, and only then starts
 * threads (libmilter's and the signal thread), all with the handled
 * signals blocked so that exactly one thread takes each of them.
 *
 * Detached, the parent waits until the child is set up: a failure after
 * the fork (no such user, a pid file it cannot write) is still printed
 * on the caller's standard error and makes the start fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "bounce/dsn.h"
#include "daemon/callbacks.h"
#include "daemon/daemon.h"
#include "engine/confstore.h"
#include "engine/log.h"
#include "engine/rules.h"
#include "engine/stats.h"
#include "proxy/proxy.h"
#include "proxy/sockspec.h"

static struct {
	const struct options *opt;
	struct stats stats;
	int proxy;                  /* upstream set: our own listener */
	int lfd;                    /* the proxy's listening socket */
	volatile sig_atomic_t stop; /* the proxy's listener stops */
	const char *socket;         /* fixed at start: a reload cannot rebind */
	const char *pidfile;        /* likewise */
} D;

static struct log_dest
dest_now(void)
{
	struct config *c = confstore_hold();
	struct log_dest d = config_log_dest(c, D.opt->foreground);

	confstore_drop(c);
	return d;
}

static void
log_diag_line(const char *msg, void *arg)
{
	log_msg(*(struct log_dest *)arg, LOG_ERR, "%s", msg);
}

static void
print_diag_line(const char *msg, void *arg)
{
	fprintf((FILE *)arg, "%s\n", msg);
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Load anew; on any error keep the configuration in force. */
static void
reload(void)
{
	struct diag *d = malloc(sizeof(*d));
	struct config *c, *old;
	struct log_dest ld = dest_now();

	if (d == NULL) {
		log_msg(ld, LOG_ERR, "reload failed: out of memory");
		return;
	}
	diag_init(d);
	c = config_load(D.opt->config_path, D.opt->codes, d);
	if (c == NULL) {
		diag_each(d, log_diag_line, &ld);
		log_msg(ld, LOG_ERR,
		        "reload failed: keeping the configuration in force");
		atomic_fetch_add(&D.stats.errors, 1);
		free(d);
		return;
	}
	free(d);
	old = confstore_hold();
	if (!same(old->user, c->user) || !same(old->group, c->group) ||
	    (D.opt->pidfile == NULL && !same(old->pidfile, c->pidfile)) ||
	    (D.opt->socket == NULL && !same(D.socket, c->socket)))
		log_msg(ld, LOG_WARNING,
		        "reload: socket, user, group and pidfile changes take "
		        "effect at the next restart");
	confstore_drop(old);
	confstore_swap(c);
	log_msg(config_log_dest(c, D.opt->foreground), LOG_NOTICE,
	        "reloaded %s: %zu codes, %zu rules, %zu causes", c->path,
	        codetable_size(c->table), rules_count(c->rules),
	        codetable_ncauses(c->table));
}

static void *
signal_thread(void *arg)
{
	sigset_t set;
	int sig;

	(void)arg;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* libmilter takes SIGTERM and SIGINT itself; the proxy has none. */
	if (D.proxy) {
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
	}
	for (;;) {
		if ((sig = sigwaitinfo(&set, NULL)) < 0)
			continue;
		if (sig == SIGHUP)
			reload();
		else if (sig == SIGUSR1)
			stats_log(&D.stats, dest_now());
		else
			D.stop = 1;
	}
	return NULL;
}

/* The file behind a unix socket spec, or NULL for inet sockets. */
static const char *
unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

/* Proxy mode: bind our own listener (while still root). */
static int
open_proxy_socket(const struct config *c)
{
	struct sockspec spec;
	const char *why;
	mode_t old = 0;

	if (sockspec_parse(D.socket, &spec, &why) != 0) {
		fprintf(stderr, "milter-annotate: socket %s: %s\n", D.socket,
		        why);
		return -1;
	}
	if (spec.path != NULL && c->umask_set)
		old = umask(c->umask);
	D.lfd = sockspec_listen(&spec);
	if (spec.path != NULL && c->umask_set)
		umask(old);
	if (D.lfd < 0) {
		fprintf(stderr, "milter-annotate: cannot listen on %s: %s\n",
		        D.socket, strerror(errno));
		return -1;
	}
	return 0;
}

static int
open_socket(const struct config *c)
{
	const char *path = unix_path(D.socket);
	mode_t old = 0;
	int rc;

	if (smfi_setconn((char *)D.socket) == MI_FAILURE) {
		fprintf(stderr, "milter-annotate: bad socket '%s'\n", D.socket);
		return -1;
	}
	if (path != NULL && c->umask_set)
		old = umask(c->umask);
	rc = smfi_opensocket(1); /* 1: remove a stale unix socket first */
	if (path != NULL && c->umask_set)
		umask(old);
	if (rc == MI_FAILURE) {
		fprintf(stderr, "milter-annotate: cannot listen on %s: %s\n",
		        D.socket, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Become user (and group; either may be NULL) after the socket is bound.
 * Returns 0, or -1 after saying why on stderr. Already being them (a
 * service manager started us so) is no error: nothing is left to drop.
 */
static int
drop_privileges(const char *user, const char *group)
{
	struct passwd *pw = NULL;
	struct group *gr = NULL;
	const char *path = unix_path(D.socket);
	gid_t gid;

	if (user == NULL && group == NULL)
		return 0;
	if (user != NULL && (pw = getpwnam(user)) == NULL) {
		fprintf(stderr, "milter-annotate: no user '%s'\n", user);
		return -1;
	}
	if (group != NULL && (gr = getgrnam(group)) == NULL) {
		fprintf(stderr, "milter-annotate: no group '%s'\n", group);
		return -1;
	}
	gid = gr != NULL ? gr->gr_gid : pw != NULL ? pw->pw_gid : getgid();
	if ((pw == NULL ||
	     (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)) &&
	    getgid() == gid && getegid() == gid)
		return 0;
	/* The MTA connects as its own user: the socket is ours to share. */
	if (path != NULL &&
	    chown(path, pw != NULL ? pw->pw_uid : (uid_t)-1, gid) != 0) {
		fprintf(stderr, "milter-annotate: chown %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	if (setgroups(0, NULL) != 0 && pw == NULL) {
		fprintf(stderr, "milter-annotate: setgroups: %s\n",
		        strerror(errno));
		return -1;
	}
	if ((pw != NULL && initgroups(pw->pw_name, gid) != 0) ||
	    setgid(gid) != 0 || (pw != NULL && setuid(pw->pw_uid) != 0)) {
		fprintf(stderr, "milter-annotate: cannot drop privileges: %s\n",
		        strerror(errno));
		return -1;
	}
	/* Never go on as root when told not to: check it took. */
	if ((pw != NULL && pw->pw_uid != 0 &&
	     (getuid() == 0 || geteuid() == 0 || setuid(0) == 0)) ||
	    getgid() != gid || getegid() != gid) {
		fprintf(stderr,
		        "milter-annotate: still privileged after "
		        "dropping to %s; refusing to run\n",
		        user != NULL ? user : group);
		return -1;
	}
	return 0;
}

/*
 * Drop to -u USER[:GROUP] if given, else to the file's user and group.
 * Returns 0, or -1 after saying why.
 */
static int
become_run_as(const struct options *o, const struct config *c)
{
	char user[256];
	const char *colon;
	size_t n;

	if (o->run_as == NULL)
		return drop_privileges(c->user, c->group);
	colon = strchr(o->run_as, ':');
	n = colon != NULL ? (size_t)(colon - o->run_as) : strlen(o->run_as);
	if (n == 0 || n >= sizeof(user) ||
	    (colon != NULL && colon[1] == '\0')) {
		fprintf(stderr,
		        "milter-annotate: -u %s: expected USER or "
		        "USER:GROUP\n",
		        o->run_as);
		return -1;
	}
	memcpy(user, o->run_as, n);
	user[n] = '\0';
	return drop_privileges(user, colon != NULL ? colon + 1 : NULL);
}

/* The detached child's end of the pipe its parent waits on. */
static int ready_fd = -1;

static int
detach(void)
{
	int p[2];
	pid_t pid;
	ssize_t r;
	char ok = 'n';

	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0) {
		fprintf(stderr, "milter-annotate: cannot detach: %s\n",
		        strerror(errno));
		return -1;
	}
	if (pid > 0) {
		/* The child's byte: set up. Its exit, unannounced: failed,
		 * and it has said why on our shared standard error. */
		close(p[1]);
		do
			r = read(p[0], &ok, 1);
		while (r < 0 && errno == EINTR);
		_exit(r == 1 && ok == 'y' ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0 || chdir("/") != 0) {
		fprintf(stderr, "milter-annotate: cannot detach: %s\n",
		        strerror(errno));
		return -1;
	}
	return 0;
}

/* Set up: let the waiting parent go, and leave its terminal. */
static void
detach_done(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (write(ready_fd, "y", 1) != 1) {
		/* The parent is gone: nobody is left to tell. */
	}
	close(ready_fd);
	ready_fd = -1;
}

/* The socket and pid file go at stop; say so when they cannot. */
static void
remove_file(const char *path)
{
	if (path != NULL && unlink(path) != 0 && errno != ENOENT)
		log_msg(dest_now(), LOG_WARNING,
		        "cannot remove %s: %s (its folder must be writable by "
		        "the user the milter runs as)",
		        path, strerror(errno));
}

static int
write_pidfile(const char *path)
{
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "milter-annotate: %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	fprintf(fp, "%ld\n", (long)getpid());
	return fclose(fp) == 0 ? 0 : -1;
}

/* What every proxy session shares (libmilter's is in callbacks.c). */
static struct session_env penv;

int
daemon_main(const struct options *o)
{
	struct diag *d = malloc(sizeof(*d));
	struct config *c;
	sigset_t set;
	pthread_t tid;
	int rc;

	if (d == NULL)
		return 1;
	D.opt = o;
	diag_init(d);
	if ((c = config_load(o->config_path, o->codes, d)) == NULL) {
		diag_each(d, print_diag_line, stderr);
		free(d);
		return 1;
	}
	free(d);
	D.socket = o->socket != NULL ? o->socket : c->socket;
	D.pidfile = o->pidfile != NULL ? o->pidfile : c->pidfile;
	D.proxy = c->upstream != NULL;
	/* A peer that closes must cost one session, never the process. */
	signal(SIGPIPE, SIG_IGN);
	log_init("milter-annotate");
	penv.stats = &D.stats;
	penv.force_stderr = o->foreground;
	if (D.proxy)
		rc = open_proxy_socket(c);
	else if (smfi_register(*callbacks_init(&D.stats, o->foreground)) ==
	         MI_FAILURE) {
		fprintf(stderr, "milter-annotate: smfi_register failed\n");
		rc = -1;
	} else {
		smfi_settimeout(c->timeout);
		rc = open_socket(c);
	}
	if (rc != 0 || (!o->foreground && detach() != 0) ||
	    (D.pidfile != NULL && write_pidfile(D.pidfile) != 0) ||
	    become_run_as(o, c) != 0) {
		config_free(c);
		return 1;
	}
	confstore_swap(c);
	detach_done();
	/* GMime sets up its tables once, before any thread runs. */
	dsn_init();

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&tid, NULL, signal_thread, NULL) != 0) {
		fprintf(stderr,
		        "milter-annotate: cannot start signal thread\n");
		return 1;
	}
	log_msg(config_log_dest(c, o->foreground), LOG_NOTICE,
	        "starting: listening on %s, %zu codes, %zu rules, %zu causes, "
	        "dsn %s%s%s",
	        D.socket, codetable_size(c->table), rules_count(c->rules),
	        codetable_ncauses(c->table), c->dsn ? "on" : "off",
	        D.proxy ? ", proxy to " : "", D.proxy ? c->upstream : "");
	if (D.proxy)
		rc = proxy_serve(D.lfd, &penv, &D.stop) == 0 ? MI_SUCCESS
		                                             : MI_FAILURE;
	else
		rc = smfi_main();
	log_msg(dest_now(), LOG_NOTICE, "stopping");
	dsn_shutdown();
	remove_file(unix_path(D.socket));
	remove_file(D.pidfile);
	return rc == MI_SUCCESS ? 0 : 1;
}
