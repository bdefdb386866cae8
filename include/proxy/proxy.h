/*
 * proxy - stand between the MTA and an upstream milter, relay the milter
 * protocol both ways, and annotate the upstream's rejections.
 *
 * The proxy is transparent: the upstream negotiates with the MTA (its
 * actions, protocol steps, no-reply flags and macro lists pass through),
 * every macro and command reaches it, every modification it makes reaches
 * the MTA. What changes: its 4xx/5xx answers reach the MTA annotated, and
 * milter-annotate's own rules are asked first.
 */
#ifndef PROXY_H
#define PROXY_H

#include <signal.h>

#include "engine/session.h"

/*
 * Accept MTA connections on lfd until *stop is set, one thread each;
 * env is shared by every session (as with libmilter's callbacks).
 */
int proxy_serve(int lfd, const struct session_env *env,
                const volatile sig_atomic_t *stop);

struct uppool;

/*
 * One MTA connection, until it quits (a thread's body). pool, when not
 * NULL, keeps upstream connections between sessions (upstream_reuse).
 */
void proxy_session(int mta_fd, struct config *, const struct session_env *,
                   struct uppool *pool);

#endif
