/*
 * config - load and validate the configuration file.
 *
 * Settings are described by one table (name, type, handler) so that an
 * unknown or mistyped key is reported with its line instead of being
 * silently ignored: a milter that quietly drops a setting rejects mail
 * nobody meant to reject.
 */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cfgfile.h"
#include "core/lang.h"
#include "core/template.h"
#include "engine/config.h"
#include "engine/rules.h"

struct cload {
	struct config *c;
	struct diag *d;
	const char *file;
	const char *codes; /* table path from the file, NULL for built-in */
	unsigned codes_line;
};

typedef int (*setting_fn)(struct cload *, const config_setting_t *);

static unsigned
line_of(const config_setting_t *s)
{
	return config_setting_source_line(s);
}

static int
bad(struct cload *L, const config_setting_t *s, const char *why)
{
	diag_add(L->d, L->file, line_of(s), "'%s' %s", config_setting_name(s),
	         why);
	return -1;
}

static const char *
get_string(struct cload *L, const config_setting_t *s)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		bad(L, s, "must be a string");
		return NULL;
	}
	v = config_setting_get_string(s);
	if (*v == '\0') {
		bad(L, s, "must not be empty");
		return NULL;
	}
	return v;
}

/* One of the words in choices (NULL-terminated); its index, or -1. */
static int
get_choice(struct cload *L, const config_setting_t *s,
           const char *const *choices, const char *msg)
{
	const char *v = get_string(L, s);
	int i;

	if (v == NULL)
		return -1;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(v, choices[i]) == 0)
			return i;
	bad(L, s, msg);
	return -1;
}

/* A libmilter socket spec, checked for its form (no lookup here). */
static int
get_socket(struct cload *L, const config_setting_t *s, const char **dst)
{
	const char *v = get_string(L, s);

	if (v == NULL)
		return -1;
	if (strncmp(v, "inet:", 5) != 0 && strncmp(v, "inet6:", 6) != 0 &&
	    strncmp(v, "unix:", 5) != 0 && strncmp(v, "local:", 6) != 0 &&
	    v[0] != '/')
		return bad(L, s,
		           "must be inet:PORT@HOST, inet6:PORT@HOST or "
		           "unix:/path");
	*dst = v;
	return 0;
}

static int
set_socket(struct cload *L, const config_setting_t *s)
{
	return get_socket(L, s, &L->c->socket);
}

static int
set_plain_string(struct cload *L, const config_setting_t *s, const char **dst)
{
	return (*dst = get_string(L, s)) == NULL ? -1 : 0;
}

static int
set_user(struct cload *L, const config_setting_t *s)
{
	return set_plain_string(L, s, &L->c->user);
}

static int
set_group(struct cload *L, const config_setting_t *s)
{
	return set_plain_string(L, s, &L->c->group);
}

static int
set_pidfile(struct cload *L, const config_setting_t *s)
{
	if (set_plain_string(L, s, &L->c->pidfile) != 0)
		return -1;
	if (L->c->pidfile[0] != '/')
		return bad(L, s, "must be an absolute path");
	return 0;
}

static int
set_umask(struct cload *L, const config_setting_t *s)
{
	const char *v;
	char *end;
	long m;

	/* A string keeps the octal reading unambiguous: "007". */
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		m = config_setting_get_int(s);
	else if ((v = get_string(L, s)) == NULL)
		return -1;
	else {
		m = strtol(v, &end, 8);
		if (*end != '\0')
			return bad(L, s,
			           "must be an octal string such as "
			           "\"007\"");
	}
	if (m < 0 || m > 0777)
		return bad(L, s, "must be between 000 and 777");
	L->c->umask = (mode_t)m;
	L->c->umask_set = true;
	return 0;
}

static int
get_int(struct cload *L, const config_setting_t *s, int lo, int hi, int *out)
{
	char why[64];
	int v;

	if (config_setting_type(s) != CONFIG_TYPE_INT)
		return bad(L, s, "must be an integer");
	v = config_setting_get_int(s);
	if (v < lo || v > hi) {
		snprintf(why, sizeof(why), "must be between %d and %d", lo, hi);
		return bad(L, s, why);
	}
	*out = v;
	return 0;
}

static int
set_timeout(struct cload *L, const config_setting_t *s)
{
	return get_int(L, s, 1, 86400, &L->c->timeout);
}

static int
set_width(struct cload *L, const config_setting_t *s)
{
	int w;

	if (get_int(L, s, REPLY_WIDTH_MIN, REPLY_WIDTH_MAX, &w) != 0)
		return -1;
	L->c->site.width = (unsigned)w;
	return 0;
}

static int
get_bool(struct cload *L, const config_setting_t *s, bool *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return bad(L, s, "must be true or false");
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int
set_add_ecode(struct cload *L, const config_setting_t *s)
{
	return get_bool(L, s, &L->c->site.add_enhanced_code);
}

static int
set_generic(struct cload *L, const config_setting_t *s)
{
	return get_bool(L, s, &L->c->site.generic);
}

static int
set_log(struct cload *L, const config_setting_t *s)
{
	static const char *const v[] = {"syslog", "stderr", NULL};
	int i = get_choice(L, s, v, "must be \"syslog\" or \"stderr\"");

	if (i < 0)
		return -1;
	L->c->log = i == 0 ? LOG_TO_SYSLOG : LOG_TO_STDERR;
	return 0;
}

static int
set_log_format(struct cload *L, const config_setting_t *s)
{
	static const char *const v[] = {"text", "json", NULL};
	int i = get_choice(L, s, v, "must be \"text\" or \"json\"");

	if (i < 0)
		return -1;
	L->c->log_format = i == 0 ? LOG_FORMAT_TEXT : LOG_FORMAT_JSON;
	return 0;
}

static int
get_on_error(struct cload *L, const config_setting_t *s, enum on_error *dst)
{
	static const char *const v[] = {"continue", "tempfail", NULL};
	int i = get_choice(L, s, v, "must be \"continue\" or \"tempfail\"");

	if (i < 0)
		return -1;
	*dst = i == 0 ? ON_ERROR_CONTINUE : ON_ERROR_TEMPFAIL;
	return 0;
}

static int
set_on_error(struct cload *L, const config_setting_t *s)
{
	return get_on_error(L, s, &L->c->on_error);
}

static int
set_upstream(struct cload *L, const config_setting_t *s)
{
	return get_socket(L, s, &L->c->upstream);
}

static int
set_on_upstream_error(struct cload *L, const config_setting_t *s)
{
	return get_on_error(L, s, &L->c->on_upstream_error);
}

static int
set_upstream_timeout(struct cload *L, const config_setting_t *s)
{
	return get_int(L, s, 1, 3600, &L->c->upstream_timeout);
}

static int
set_upstream_reuse(struct cload *L, const config_setting_t *s)
{
	return get_bool(L, s, &L->c->upstream_reuse);
}

static int
set_dsn(struct cload *L, const config_setting_t *s)
{
	static const char *const v[] = {"off", "on", NULL};
	int i = get_choice(L, s, v, "must be \"on\" or \"off\"");

	if (i < 0)
		return -1;
	L->c->dsn = i == 1;
	return 0;
}

static int
set_dsn_language(struct cload *L, const config_setting_t *s)
{
	const char *v = get_string(L, s);

	if (v == NULL)
		return -1;
	if (lang_find(v) == NULL)
		return bad(L, s,
		           "must be one of \"en\", \"ar\", \"ru\", \"zh\"");
	L->c->dsn_language = v;
	return 0;
}

static int
set_dsn_max_size(struct cload *L, const config_setting_t *s)
{
	int v;

	if (get_int(L, s, DSN_MAX_SIZE_MIN, DSN_MAX_SIZE_MAX, &v) != 0)
		return -1;
	L->c->dsn_max_size = (size_t)v;
	return 0;
}

static int
set_template(struct cload *L, const config_setting_t *s, const char **dst,
             bool allow_reference)
{
	const char *v = get_string(L, s), *why;
	const unsigned char *p;

	if (v == NULL)
		return -1;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return bad(L, s, "must be printable ASCII");
	if ((why = tmpl_check(v, allow_reference)) != NULL)
		return bad(L, s, why);
	*dst = v;
	return 0;
}

static int
set_postmaster(struct cload *L, const config_setting_t *s)
{
	return set_template(L, s, &L->c->site.postmaster, true);
}

static int
set_help_url(struct cload *L, const config_setting_t *s)
{
	return set_template(L, s, &L->c->site.help_url, true);
}

/* A URL the help_url template appends "/en/..." to: no space, no '/' end. */
static int
set_help_base_url(struct cload *L, const config_setting_t *s)
{
	const char *v = get_string(L, s);
	size_t n;

	if (v == NULL)
		return -1;
	n = strlen(v);
	if (n == 0 || strpbrk(v, " \t\"<>{}") != NULL || v[n - 1] == '/' ||
	    strstr(v, "${") != NULL)
		return bad(
		    L, s,
		    "must be a URL without spaces, quotes, braces or a "
		    "trailing '/' (such as https://example.org/smtp-help)");
	if (set_template(L, s, &L->c->site.help_base_url, false) != 0)
		return -1;
	return 0;
}

static int
set_reference(struct cload *L, const config_setting_t *s)
{
	return set_template(L, s, &L->c->site.reference, false);
}

/* Where the Postfix footer map is kept: an absolute path. */
static int
set_footer_map(struct cload *L, const config_setting_t *s)
{
	const char *v = get_string(L, s);

	if (v == NULL)
		return -1;
	if (v[0] != '/' || strpbrk(v, " \t\n'\"$`\\") != NULL)
		return bad(L, s,
		           "must be an absolute path without blanks or quotes");
	L->c->footer_map = v;
	return 0;
}

static int
set_codes(struct cload *L, const config_setting_t *s)
{
	if ((L->codes = get_string(L, s)) == NULL)
		return -1;
	L->codes_line = line_of(s);
	return 0;
}

static int
set_rules(struct cload *L, const config_setting_t *s)
{
	return rules_load(&L->c->rules, s, L->file, L->d);
}

static const struct {
	const char *name;
	setting_fn fn;
} settings[] = {
    {"socket", set_socket},
    {"user", set_user},
    {"group", set_group},
    {"umask", set_umask},
    {"pidfile", set_pidfile},
    {"timeout", set_timeout},
    {"log", set_log},
    {"log_format", set_log_format},
    {"on_error", set_on_error},
    {"width", set_width},
    {"add_enhanced_code", set_add_ecode},
    {"generic", set_generic},
    {"postmaster", set_postmaster},
    {"help_url", set_help_url},
    {"help_base_url", set_help_base_url},
    {"reference", set_reference},
    {"codes", set_codes},
    {"footer_map", set_footer_map},
    {"rules", set_rules},
    {"upstream", set_upstream},
    {"on_upstream_error", set_on_upstream_error},
    {"upstream_timeout", set_upstream_timeout},
    {"upstream_reuse", set_upstream_reuse},
    {"dsn", set_dsn},
    {"dsn_language", set_dsn_language},
    {"dsn_max_size", set_dsn_max_size},
};

static void
apply_defaults(struct config *c)
{
	reply_site_defaults(&c->site);
	c->socket = CONFIG_DEFAULT_SOCKET;
	c->timeout = 7210; /* libmilter's: longer than any MTA's own timeouts */
	c->log = LOG_TO_SYSLOG;
	c->log_format = LOG_FORMAT_TEXT;
	c->on_error = ON_ERROR_CONTINUE;
	c->on_upstream_error = ON_ERROR_TEMPFAIL;
	c->upstream_timeout = 10;
	c->dsn = true;
	c->dsn_language = "en";
	c->dsn_max_size = DSN_MAX_SIZE_DEFAULT;
}

static int
apply_settings(struct cload *L)
{
	const config_setting_t *root, *s;
	int i, n, failed = 0;
	size_t k;

	root = config_root_setting(&L->c->cfg);
	n = config_setting_length(root);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(root, (unsigned)i);
		for (k = 0; k < sizeof(settings) / sizeof(settings[0]); k++)
			if (strcmp(settings[k].name, config_setting_name(s)) ==
			    0)
				break;
		if (k == sizeof(settings) / sizeof(settings[0])) {
			diag_add(L->d, L->file, line_of(s),
			         "unknown setting '%s'",
			         config_setting_name(s));
			failed = 1;
		} else if (settings[k].fn(L, s) != 0)
			failed = 1;
	}
	/* The help site's addresses, when only its location is given. */
	L->c->dsn_help_url = L->c->site.help_url;
	if (L->c->site.help_url == NULL && L->c->site.help_base_url != NULL) {
		L->c->site.help_url = HELP_URL_DEFAULT;
		snprintf(L->c->dsn_help_url_buf, sizeof(L->c->dsn_help_url_buf),
		         "${help_base_url}/%s/${page}", L->c->dsn_language);
		L->c->dsn_help_url = L->c->dsn_help_url_buf;
	}
	return failed ? -1 : 0;
}

/*
 * Load the table named by 'codes' (NULL: the built-in one). A path from
 * the configuration is read relative to its folder, and a file that cannot
 * be opened is reported at the setting's line.
 */
static struct codetable *
load_table(const char *codes, const char *cfgpath, unsigned line,
           struct diag *d)
{
	struct codetable *t = NULL;
	char *copy = NULL, *path = NULL;

	if (codes == NULL)
		return codetable_load_builtin(d);
	if (cfgpath == NULL)
		return codetable_load_file(codes, d);
	if (codes[0] == '/')
		path = strdup(codes);
	else if ((copy = strdup(cfgpath)) == NULL ||
	         asprintf(&path, "%s/%s", dirname(copy), codes) < 0)
		path = NULL;
	if (path == NULL)
		diag_add(d, cfgpath, line, "out of memory");
	else if (access(path, R_OK) != 0)
		diag_add(d, cfgpath, line, "cannot read the code table %s: %s",
		         path, strerror(errno));
	else
		t = codetable_load_file(path, d);
	free(path);
	free(copy);
	return t;
}

static struct config *
config_new(void)
{
	struct config *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	config_init(&c->cfg);
	apply_defaults(c);
	return c;
}

struct config *
config_load(const char *path, const char *codes, struct diag *d)
{
	struct config *c;
	struct cload L = {0};
	size_t before = d->count;

	if ((c = config_new()) == NULL || (c->path = strdup(path)) == NULL) {
		diag_add(d, path, 0, "out of memory");
		config_free(c);
		return NULL;
	}
	if (cfgfile_read(&c->cfg, path, d) != 0) {
		config_free(c);
		return NULL;
	}
	L.c = c;
	L.d = d;
	L.file = c->path;
	apply_settings(&L);
	if (codes != NULL) /* -T wins over the file's setting */
		c->table = load_table(codes, NULL, 0, d);
	else
		c->table = load_table(L.codes, path, L.codes_line, d);
	if (d->count != before || c->table == NULL) {
		config_free(c);
		return NULL;
	}
	rules_prepare(c->rules, c->table, &c->site);
	return c;
}

struct config *
config_defaults(const char *codes, struct diag *d)
{
	struct config *c;

	if ((c = config_new()) == NULL)
		return NULL;
	if ((c->table = load_table(codes, NULL, 0, d)) == NULL) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	rules_free(c->rules);
	codetable_free(c->table);
	config_destroy(&c->cfg);
	free(c->path);
	free(c);
}

struct log_dest
config_log_dest(const struct config *c, bool force_stderr)
{
	struct log_dest d = {LOG_TO_STDERR, LOG_FORMAT_TEXT};

	if (c != NULL) {
		d.target = c->log;
		d.format = c->log_format;
	}
	if (force_stderr)
		d.target = LOG_TO_STDERR;
	return d;
}
