/*
 * config - the one configuration object.
 *
 * Loaded whole from a libconfig file, validated (every error reported as
 * FILE:LINE: reason), then never modified: a reload builds a new object and
 * swaps it in, and sessions in flight keep the one they started with.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

#include <libconfig.h>

#include "core/codetable.h"
#include "core/diag.h"
#include "engine/log.h"
#include "core/replyfmt.h"

/* help_url when only help_base_url is set: export html's file names. */
#define HELP_URL_DEFAULT "${help_base_url}/en/${page}"

#define CONFIG_DEFAULT_PATH   "/etc/milter-annotate.conf"
#define CONFIG_DEFAULT_SOCKET "unix:/run/milter-annotate/milter-annotate.sock"

enum on_error { ON_ERROR_CONTINUE, ON_ERROR_TEMPFAIL };

struct rules;

struct config {
	char *path; /* NULL when built from defaults alone */
	struct codetable *table;
	struct reply_site site;
	struct rules *rules;
	const char *socket;
	const char *user;
	const char *group;
	const char *pidfile;
	mode_t umask;
	bool umask_set;
	int timeout;
	enum log_target log;
	enum log_format log_format;
	enum on_error on_error;
	const char *upstream;            /* proxy mode when set */
	enum on_error on_upstream_error; /* default tempfail */
	int upstream_timeout;            /* seconds per upstream exchange */
	bool upstream_reuse; /* keep upstream connections (SMFIC_QUIT_NC) */
	config_t cfg;        /* owns the strings above */
	unsigned refs;       /* sessions holding it, plus one while current */
};

/*
 * Load path; codes, when not NULL, names the code table and overrides the
 * file's 'codes' setting (-T). NULL with every error in the diag.
 */
struct config *config_load(const char *path, const char *codes, struct diag *);
/*
 * Defaults and the built-in (or given) table, for when no file exists;
 * NULL with the table's errors in the diag.
 */
struct config *config_defaults(const char *codes, struct diag *);
/* Free c and its table and rules; NULL is allowed. */
void config_free(struct config *);

/*
 * Where and how to log under c: its 'log' and 'log_format', or standard
 * error and text when c is NULL; force_stderr (-f) sends it to standard
 * error whatever c says.
 */
struct log_dest config_log_dest(const struct config *c, bool force_stderr);

#endif
