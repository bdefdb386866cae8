/*
 * cli - subcommands that render the code table for people and scripts.
 */
#ifndef CLI_H
#define CLI_H

#include "config.h"

int cli_is_command(const char *);
/* argv[0] is the subcommand; returns the exit status. */
int cli_run(const struct config *, int argc, char **argv);

#endif
