/*
 * cfgfile - read a libconfig file as milter-annotate trusts it.
 *
 * The configuration and the code table decide which mail is rejected and
 * what senders read, so a file is read only if no one but its owner and
 * group could have written it: a regular file, checked on the descriptor
 * that is read (not on the path, which could change in between), and read
 * whole. libconfig's @include would pull in files no check has seen, so
 * it is refused, and so is a NUL byte, which would end the text early.
 */
#ifndef CFGFILE_H
#define CFGFILE_H

#include <libconfig.h>

#include "core/diag.h"

#define CFGFILE_MAX (4 * 1024 * 1024) /* far above any real table */

/* Read and parse path into cfg; 0, or -1 with the reason in the diag. */
int cfgfile_read(config_t *cfg, const char *path, struct diag *);
/*
 * Parse text held in memory; 0, or -1 with the errors reported as
 * name:LINE: reason.
 */
int cfgfile_parse(config_t *cfg, const char *name, const char *text, size_t len,
                  struct diag *);

#endif
