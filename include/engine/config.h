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

/*
 * Bounces larger than dsn_max_size pass unchanged. The default holds any
 * bounce Postfix makes (it returns at most bounce_size_limit, 50 KB, of
 * the message) twenty times over, and most other servers' notifications
 * with the message they return; it is also the most a session buffers.
 */
#define DSN_MAX_SIZE_DEFAULT (1024 * 1024)
#define DSN_MAX_SIZE_MIN     1024
#define DSN_MAX_SIZE_MAX     (64 * 1024 * 1024)

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
	const char *footer_map; /* the Postfix footer map's path, or NULL */
	const char *upstream;   /* proxy mode when set */
	enum on_error on_upstream_error; /* default tempfail */
	int upstream_timeout;            /* seconds per upstream exchange */
	bool upstream_reuse; /* keep upstream connections (SMFIC_QUIT_NC) */
	bool dsn;            /* explain delivery status notifications */
	const char *dsn_language; /* their headings and labels: "en" */
	size_t dsn_max_size;      /* larger ones pass unchanged */
	/*
	 * The help link's template in bounces: help_url, or, when that was
	 * left to its default, the same in dsn_language's folder.
	 */
	const char *dsn_help_url;
	char dsn_help_url_buf[64];
	config_t cfg;  /* owns the strings above */
	unsigned refs; /* sessions holding it, plus one while current */
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
