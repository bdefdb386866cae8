/*
 * daemon - run the milter: load, bind, drop privileges, serve, reload.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include "daemon/options.h"

/*
 * Run the milter as the options say: -n checks and returns 0 or 1;
 * otherwise load, bind, detach (unless -f), drop privileges and serve
 * until SIGTERM. Returns the exit status: 0 after a clean stop, 1 when it
 * could not start (the reason printed on standard error and logged).
 */
int daemon_main(const struct options *);

#endif
