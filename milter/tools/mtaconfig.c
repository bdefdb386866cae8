/*
 * mtaconfig - milter-annotate mta-config: the lines an administrator adds
 * to Postfix or Sendmail, made from the configuration that runs, so the
 * socket, the bounces and the footer map never disagree with it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/mtaconfig.h"

#define PROG "milter-annotate"

/* Postfix's own chroot on Debian: unix sockets must be inside it. */
#define POSTFIX_CHROOT "/var/spool/postfix"

/*
 * The socket in Postfix's form ("inet:127.0.0.1:8891", "unix:/path"),
 * into dst; -1 for a form Postfix has no equivalent of.
 */
static int
postfix_socket(const char *s, char *dst, size_t cap)
{
	const char *at;
	int n;

	if (strncmp(s, "inet:", 5) == 0 || strncmp(s, "inet6:", 6) == 0) {
		const char *port = s + (s[4] == ':' ? 5 : 6);

		if ((at = strchr(port, '@')) == NULL)
			n = snprintf(dst, cap, "inet:127.0.0.1:%s", port);
		else if (strchr(at + 1, ':') != NULL && at[1] != '[')
			/* An IPv6 address: Postfix wants it in brackets. */
			n = snprintf(dst, cap, "inet:[%s]:%.*s", at + 1,
			             (int)(at - port), port);
		else
			n = snprintf(dst, cap, "inet:%s:%.*s", at + 1,
			             (int)(at - port), port);
	} else if (strncmp(s, "unix:", 5) == 0 || strncmp(s, "local:", 6) == 0)
		n = snprintf(dst, cap, "unix:%s", strchr(s, ':') + 1);
	else if (s[0] == '/')
		n = snprintf(dst, cap, "unix:%s", s);
	else
		return -1;
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int
for_postfix(const struct config *c, const char *conf, const char *sock)
{
	char pf[512];
	const char *path;

	if (postfix_socket(sock, pf, sizeof(pf)) != 0) {
		fprintf(stderr,
		        "%s: mta-config: socket '%s' has no Postfix "
		        "form\n",
		        PROG, sock);
		return 2;
	}
	printf("# milter-annotate for Postfix: %s, socket %s\n", conf, sock);
	printf("# If smtpd_milters lists other milters, keep them: put this "
	       "one after those\n# that verify DKIM and DMARC.\n");
	if (strncmp(pf, "unix:", 5) == 0) {
		if (strncmp(pf + 5, POSTFIX_CHROOT "/",
		            strlen(POSTFIX_CHROOT) + 1) != 0)
			printf("# Debian's smtpd runs chrooted in %s: put the "
			       "socket inside it, or use inet.\n",
			       POSTFIX_CHROOT);
		else {
			/* Inside the chroot, smtpd sees the path from its
			 * root. */
			path = pf + 5 + strlen(POSTFIX_CHROOT);
			memmove(pf + 5, path, strlen(path) + 1);
		}
	}
	/*
	 * Mail never depends on the annotator: while it is down, mail flows
	 * as without it. Per milter, so others keep the global default. No
	 * blanks around '=': Postfix refuses "default_action = accept".
	 */
	printf("# default_action=accept: while the milter is down, mail flows "
	       "as without it\n# (unannotated, its rules not applied%s); "
	       "default_action=tempfail holds it.\n",
	       c->upstream != NULL ? ", nor the upstream milter's" : "");
	printf("postconf -e 'smtpd_milters = { %s, default_action=accept }'\n",
	       pf);
	printf("postconf -e 'non_smtpd_milters = { %s, "
	       "default_action=accept }'\n",
	       pf);
	if (c->dsn)
		printf("postconf -e 'internal_mail_filter_classes = bounce'\n");
	printf("# The default of milters listed without their own "
	       "default_action; leave this\n# line out to keep yours.\n");
	printf("postconf -e 'milter_default_action = accept'\n");
	printf("postconf -e 'milter_protocol = 6'\n");
	if (c->footer_map != NULL) {
		printf("milter-annotate -c %s export postfix-footer > %s\n",
		       conf, c->footer_map);
		printf("postconf -e 'smtpd_reject_footer_maps = pcre:%s'\n",
		       c->footer_map);
	}
	printf("postfix reload\n");
	return 0;
}

static int
for_sendmail(const struct config *c, const char *conf, const char *sock)
{
	/* Longer than the upstream's own timeout in proxy mode. */
	int r = c->upstream != NULL ? c->upstream_timeout + 10 : 10;

	if (strncmp(sock, "inet:", 5) != 0 && strncmp(sock, "inet6:", 6) != 0 &&
	    strncmp(sock, "unix:", 5) != 0 && strncmp(sock, "local:", 6) != 0 &&
	    sock[0] != '/') {
		fprintf(stderr,
		        "%s: mta-config: socket '%s' has no Sendmail "
		        "form\n",
		        PROG, sock);
		return 2;
	}
	printf("dnl milter-annotate for Sendmail: %s, socket %s\n", conf, sock);
	printf("dnl Add to sendmail.mc, then rebuild sendmail.cf and restart "
	       "Sendmail.\n");
	/* No F= flag: while the milter is down, mail flows as without it. */
	printf(
	    "dnl Without an F= flag Sendmail passes mail on while the milter "
	    "is down\ndnl (unannotated, its rules not applied%s); F=T "
	    "tempfails it instead.\n",
	    c->upstream != NULL ? ", nor the upstream milter's" : "");
	if (access(SENDMAIL_FEATURE_FILE, R_OK) == 0 && c->upstream == NULL)
		printf("FEATURE(`milter-annotate', `%s%s')dnl\n",
		       sock[0] == '/' ? "local:" : "", sock);
	else
		printf("INPUT_MAIL_FILTER(`milter-annotate', `S=%s%s, "
		       "T=S:10s;R:%ds;E:5m')dnl\n",
		       sock[0] == '/' ? "local:" : "", sock, r);
	return 0;
}

int
mtaconfig_main(const struct config *c, int argc, char **argv)
{
	const char *sock = c->socket;
	const char *conf = c->path != NULL ? c->path : CONFIG_DEFAULT_PATH;

	if (argc != 2 || (strcmp(argv[1], "postfix") != 0 &&
	                  strcmp(argv[1], "sendmail") != 0)) {
		fprintf(stderr, "%s: usage: mta-config postfix|sendmail\n",
		        PROG);
		return 2;
	}
	return strcmp(argv[1], "postfix") == 0 ? for_postfix(c, conf, sock)
	                                       : for_sendmail(c, conf, sock);
}
