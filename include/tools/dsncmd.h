/*
 * dsncmd - the dsn subcommand: a message in, the message as the milter
 * would pass it on out.
 */
#ifndef DSNCMD_H
#define DSNCMD_H

#include "engine/config.h"

/*
 * dsn [--html FILE] [FILE]: read one message (standard input by
 * default), taken as sent from the null sender, and print it annotated
 * when it is a delivery status notification, else unchanged, line
 * endings as in the input; --html also writes the HTML part alone.
 * Returns the exit status: 0, or 2 for a bad argument or an input or
 * output that cannot be read or written (with one line on stderr).
 */
int dsncmd_main(const struct config *, int argc, char **argv);

#endif
