/*
 * cli - subcommands that render the code table for people and scripts.
 */
#ifndef CLI_H
#define CLI_H

#include "engine/config.h"

/* 1 if name is a subcommand (explain, compare, annotate...), else 0. */
int cli_is_command(const char *name);
/* argv[0] is the subcommand; returns the exit status. */
int cli_run(const struct config *, int argc, char **argv);

#endif
