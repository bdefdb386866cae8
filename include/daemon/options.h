/*
 * options - what the command line asked for, shared by main and the daemon.
 */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <stdbool.h>

struct options {
	const char *config_path; /* -c, or the default */
	bool config_given;       /* -c was used: a missing file is an error */
	bool foreground;         /* -f: stay attached, log to stderr */
	bool check;              /* -n: check the configuration and exit */
	const char *socket;      /* -p: overrides the file's socket */
	const char *codes;       /* -T: overrides the file's code table */
	const char *pidfile;     /* -P: overrides the file's pidfile */
	const char *run_as;      /* -u USER[:GROUP]: overrides user, group */
};

#endif
