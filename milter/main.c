/*
 * main - options, then either a subcommand or the milter daemon.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/options.h"
#include "engine/config.h"
#include "engine/rules.h"
#include "tools/cli.h"

static void
usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: milter-annotate [-fnV] [-c FILE] [-p SOCKET] [-P PIDFILE] "
	    "[-T FILE] [-u USER[:GROUP]]\n"
	    "       milter-annotate [-c FILE] [-T FILE] explain CODE|CAUSE...\n"
	    "       milter-annotate [-c FILE] [-T FILE] compare A B "
	    "[--lang en|ar|ru|zh]\n"
	    "       milter-annotate [-c FILE] [-T FILE] annotate "
	    "[--queue-id ID] [--client-addr ADDR] [REPLY...]\n"
	    "       milter-annotate [-c FILE] [-T FILE] classify [REPLY...]\n"
	    "       milter-annotate [-c FILE] [-T FILE] export postfix-footer\n"
	    "       milter-annotate [-c FILE] [-T FILE] export html DIR "
	    "[--lang en,ar,ru,zh] [--base-url URL]\n"
	    "       milter-annotate [-c FILE] [-T FILE] logscan [--json] "
	    "[--summary] [-F] [FILE...]\n"
	    "       milter-annotate [-c FILE] [-T FILE] dsn [--html FILE] "
	    "[FILE]\n"
	    "       milter-annotate [-c FILE] mta-config postfix|sendmail\n"
	    "\n"
	    "  -c FILE    configuration (default %s)\n"
	    "  -f         stay in the foreground and log to standard error\n"
	    "  -n         check the configuration and the code table, then "
	    "exit\n"
	    "  -p SOCKET  listen on SOCKET (inet:PORT@HOST, inet6:PORT@HOST, "
	    "unix:/path)\n"
	    "  -P FILE    write the process id to FILE\n"
	    "  -T FILE    use FILE as the code table\n"
	    "  -u USER[:GROUP]  run as USER (and GROUP) after binding the "
	    "socket\n"
	    "  -V         print the version\n",
	    CONFIG_DEFAULT_PATH);
}

static void
print_diag(const char *msg, void *arg)
{
	fprintf((FILE *)arg, "%s\n", msg);
}

/*
 * Subcommands work without a configuration file: the default one is read
 * when it exists, a file named with -c must exist.
 */
static struct config *
load_for_cli(const struct options *o, struct diag *d)
{
	if (!o->config_given && access(o->config_path, F_OK) != 0)
		return config_defaults(o->codes, d);
	return config_load(o->config_path, o->codes, d);
}

static int
check_only(const struct options *o)
{
	struct diag *d = malloc(sizeof(*d));
	struct config *c;

	if (d == NULL)
		return 1;
	diag_init(d);
	c = config_load(o->config_path, o->codes, d);
	diag_each(d, print_diag, stderr);
	if (c != NULL)
		printf(
		    "%s: configuration OK, %zu codes, %zu rules, %zu causes\n",
		    o->config_path, codetable_size(c->table),
		    rules_count(c->rules), codetable_ncauses(c->table));
	config_free(c);
	free(d);
	return c != NULL ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct options o = {
	    CONFIG_DEFAULT_PATH, false, false, false, NULL, NULL, NULL, NULL};
	struct config *c;
	struct diag *d;
	int ch, rc;

	while ((ch = getopt(argc, argv, "+c:fnp:P:T:u:Vh")) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			o.config_given = true;
			break;
		case 'f':
			o.foreground = true;
			break;
		case 'n':
			o.check = true;
			break;
		case 'p':
			o.socket = optarg;
			break;
		case 'P':
			o.pidfile = optarg;
			break;
		case 'T':
			o.codes = optarg;
			break;
		case 'u':
			o.run_as = optarg;
			break;
		case 'V':
			printf("milter-annotate %s\n", MA_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.check)
		return check_only(&o);
	if (optind == argc)
		return daemon_main(&o);
	if (!cli_is_command(argv[optind])) {
		fprintf(stderr, "milter-annotate: unknown command '%s'\n",
		        argv[optind]);
		usage(stderr);
		return 2;
	}
	if ((d = malloc(sizeof(*d))) == NULL)
		return 2;
	diag_init(d);
	if ((c = load_for_cli(&o, d)) == NULL) {
		diag_each(d, print_diag, stderr);
		free(d);
		return 2;
	}
	free(d);
	/* -p: the socket the milter is run with (mta-config prints it). */
	if (o.socket != NULL)
		c->socket = o.socket;
	rc = cli_run(c, argc - optind, argv + optind);
	config_free(c);
	return rc;
}
