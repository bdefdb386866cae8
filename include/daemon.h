/*
 * daemon - run the milter: load, bind, drop privileges, serve, reload.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include "options.h"

int daemon_main(const struct options *);

#endif
