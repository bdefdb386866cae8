/*
 * mtaconfig - the MTA's lines for the configuration in force.
 */
#ifndef MTACONFIG_H
#define MTACONFIG_H

#include "engine/config.h"

/*
 * Where Debian's sendmail-cf looks for FEATURE(`NAME') files, and the one
 * the package installs there.
 */
#define SENDMAIL_FEATURE_FILE                                                  \
	"/usr/share/sendmail/cf/feature/milter-annotate.m4"

/*
 * mta-config postfix|sendmail: print what to add to the MTA for c (its
 * socket, dsn, footer_map, proxy timeouts): for Postfix the postconf -e
 * commands, for Sendmail the FEATURE line (the package's feature file is
 * installed) or the INPUT_MAIL_FILTER line. The commands name the
 * configuration file c was loaded from. Returns the exit status: 0,
 * or 2 with a message on stderr for a bad argument or a socket the MTA
 * cannot use.
 */
int mtaconfig_main(const struct config *c, int argc, char **argv);

#endif
