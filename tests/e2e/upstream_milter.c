/*
 * upstream_milter - a small libmilter milter for the proxy tests: it
 * answers by recipient, so one test can provoke each kind of answer.
 *
 *   up-reject@...    550 5.7.1 Rejected by upstream
 *   up-temp@...      451 4.7.1 Upstream says later
 *   up-bare@...      a bare reject (no text)
 *   up-baretemp@...  a bare tempfail
 *   up-percent@...   554 5.7.1 100% upstream (sent as "100%%")
 *   up-long@...      550 5.7.1 and a 700-character text
 *   up-multi@...     a three-line 550 5.7.1 reply
 *   up-slow@...      sleeps 30 s before answering (timeouts)
 *   up-die@...       exits at once (a crash mid-session)
 * A header "X-Up-Verdict: reject|tempfail|discard|accept" is answered so
 * at the header (550 5.7.1 Header refused by upstream, 451 4.7.1 Header
 * says later). Subject "upcontent" is rejected at end of message; accepted mail
 * gets "X-Upstream: seen" added, and if a recipient was up-addrcpt@... the
 * recipient <added@localhost> too (envelope changes pass the proxy).
 *
 * A header "X-Up-Body: rewrite" makes it replace the body at end of
 * message with the same body in which "Original-Recipient:" reads
 * "Original-recipient:" (a body change that keeps a bounce a bounce, for
 * the proxy's annotation after the upstream's changes).
 *
 * With UPSTREAM_MACRO_LOG=FILE in the environment, each callback appends
 * to FILE one line "STAGE NAME=VALUE" per macro it can see (of a list of
 * every macro Postfix and Sendmail send by default), so that what the MTA
 * sends directly and through the proxy can be compared.
 *
 * usage: upstream_milter SOCKET
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

struct priv {
	int content;
	int addrcpt;
	int rewrite; /* X-Up-Body: rewrite */
	char *body;  /* the body, kept when rewriting */
	size_t len, cap;
};

/* Every macro Postfix 3.7 and Sendmail 8.17 send to milters by default. */
static const char macro_names[] =
    "j _ v {daemon_name} {daemon_addr} {daemon_port} {client_addr} "
    "{client_name} {client_port} {client_ptr} {client_resolve} "
    "{client_connections} {if_name} {if_addr} {tls_version} {cipher} "
    "{cipher_bits} {cert_subject} {cert_issuer} {verify} {server_name} "
    "{server_addr} i {auth_type} {auth_authen} {auth_author} {auth_ssf} "
    "{mail_addr} {mail_host} {mail_mailer} {rcpt_addr} {rcpt_host} "
    "{rcpt_mailer} b s r";

static void
log_macros(SMFICTX *ctx, const char *stage)
{
	const char *path = getenv("UPSTREAM_MACRO_LOG");
	char name[64], *v;
	const char *m;
	size_t n;
	FILE *fp;

	if (path == NULL || *path == '\0' || (fp = fopen(path, "a")) == NULL)
		return;
	for (m = macro_names; *m != '\0'; m += n + (m[n] == ' ')) {
		n = strcspn(m, " ");
		snprintf(name, sizeof(name), "%.*s", (int)n, m);
		if ((v = smfi_getsymval(ctx, name)) != NULL)
			fprintf(fp, "%s %s=%s\n", stage, name, v);
	}
	fclose(fp);
}

static struct priv *
priv_of(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p == NULL && (p = calloc(1, sizeof(*p))) != NULL)
		smfi_setpriv(ctx, p);
	return p;
}

static sfsistat
on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)host;
	(void)sa;
	log_macros(ctx, "connect");
	return SMFIS_CONTINUE;
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
	(void)helo;
	log_macros(ctx, "helo");
	return SMFIS_CONTINUE;
}

static sfsistat
on_mail(SMFICTX *ctx, char **argv)
{
	(void)argv;
	log_macros(ctx, "mail");
	return SMFIS_CONTINUE;
}

static sfsistat
on_data(SMFICTX *ctx)
{
	log_macros(ctx, "data");
	return SMFIS_CONTINUE;
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
	log_macros(ctx, "eoh");
	return SMFIS_CONTINUE;
}

static sfsistat
on_rcpt(SMFICTX *ctx, char **argv)
{
	const char *r = argv[0];
	struct priv *p;
	char text[800];

	log_macros(ctx, "rcpt");
	if (r[0] == '<')
		r++;
	if (strncasecmp(r, "up-addrcpt@", 11) == 0 &&
	    (p = priv_of(ctx)) != NULL)
		p->addrcpt = 1;
	if (strncasecmp(r, "up-reject@", 10) == 0) {
		smfi_setreply(ctx, "550", "5.7.1", "Rejected by upstream");
		return SMFIS_REJECT;
	}
	if (strncasecmp(r, "up-temp@", 8) == 0) {
		smfi_setreply(ctx, "451", "4.7.1", "Upstream says later");
		return SMFIS_TEMPFAIL;
	}
	if (strncasecmp(r, "up-bare@", 8) == 0)
		return SMFIS_REJECT;
	if (strncasecmp(r, "up-baretemp@", 12) == 0)
		return SMFIS_TEMPFAIL;
	if (strncasecmp(r, "up-percent@", 11) == 0) {
		smfi_setreply(ctx, "554", "5.7.1", "100%% upstream");
		return SMFIS_REJECT;
	}
	if (strncasecmp(r, "up-long@", 8) == 0) {
		memset(text, 0, sizeof(text));
		for (size_t i = 0; i + 12 < 700; i += 12)
			memcpy(text + i, "upstreamword", 12);
		for (size_t i = 11; i < 700; i += 12)
			text[i] = ' ';
		smfi_setreply(ctx, "550", "5.7.1", text);
		return SMFIS_REJECT;
	}
	if (strncasecmp(r, "up-multi@", 9) == 0) {
		smfi_setmlreply(ctx, "550", "5.7.1", "Upstream line one",
		                "Upstream line two", "Upstream line three",
		                (char *)NULL);
		return SMFIS_REJECT;
	}
	if (strncasecmp(r, "up-slow@", 8) == 0) {
		sleep(30);
		return SMFIS_CONTINUE;
	}
	if (strncasecmp(r, "up-die@", 7) == 0)
		_exit(1);
	return SMFIS_CONTINUE;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	struct priv *p = priv_of(ctx);

	if (p == NULL)
		return SMFIS_TEMPFAIL;
	if (strcasecmp(name, "Subject") == 0 && strstr(value, "upcontent"))
		p->content = 1;
	if (strcasecmp(name, "X-Up-Body") == 0 && strcmp(value, "rewrite") == 0)
		p->rewrite = 1;
	if (strcasecmp(name, "X-Up-Verdict") != 0)
		return SMFIS_CONTINUE;
	/* A decision at the header: the message's later steps never come. */
	free(p);
	smfi_setpriv(ctx, NULL);
	if (strcmp(value, "reject") == 0) {
		smfi_setreply(ctx, "550", "5.7.1",
		              "Header refused by upstream");
		return SMFIS_REJECT;
	}
	if (strcmp(value, "tempfail") == 0) {
		smfi_setreply(ctx, "451", "4.7.1", "Header says later");
		return SMFIS_TEMPFAIL;
	}
	if (strcmp(value, "discard") == 0)
		return SMFIS_DISCARD;
	return SMFIS_ACCEPT;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *b, size_t n)
{
	struct priv *p = smfi_getpriv(ctx);
	char *grown;

	if (p == NULL || !p->rewrite)
		return SMFIS_CONTINUE;
	if (p->len + n > p->cap) {
		p->cap = (p->len + n) * 2;
		if ((grown = realloc(p->body, p->cap)) == NULL)
			return SMFIS_TEMPFAIL;
		p->body = grown;
	}
	memcpy(p->body + p->len, b, n);
	p->len += n;
	return SMFIS_CONTINUE;
}

/* The kept body with "Original-Recipient:" as "Original-recipient:". */
static void
rewrite_body(SMFICTX *ctx, struct priv *p)
{
	char *at;
	size_t i;

	for (i = 0; p->body != NULL && i + 19 <= p->len; i++) {
		at = p->body + i;
		if (memcmp(at, "Original-Recipient:", 19) == 0)
			at[9] = 'r';
	}
	smfi_replacebody(ctx, (unsigned char *)(p->body ? p->body : ""),
	                 (int)p->len);
}

static sfsistat
on_eom(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);
	int content = p != NULL && p->content;
	int addrcpt = p != NULL && p->addrcpt;

	log_macros(ctx, "eom");
	if (p != NULL && p->rewrite)
		rewrite_body(ctx, p);
	if (p != NULL)
		free(p->body);
	free(p);
	smfi_setpriv(ctx, NULL);
	if (content) {
		smfi_setreply(ctx, "554", "5.7.1", "Upstream content refused");
		return SMFIS_REJECT;
	}
	smfi_addheader(ctx, "X-Upstream", "seen");
	if (addrcpt)
		smfi_addrcpt(ctx, "<added@localhost>");
	return SMFIS_CONTINUE;
}

static sfsistat
on_abort(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL)
		free(p->body);
	free(p);
	smfi_setpriv(ctx, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
    .xxfi_name = "upstream-test",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_ADDRCPT | SMFIF_CHGBODY,
    .xxfi_connect = on_connect,
    .xxfi_helo = on_helo,
    .xxfi_envfrom = on_mail,
    .xxfi_data = on_data,
    .xxfi_eoh = on_eoh,
    .xxfi_envrcpt = on_rcpt,
    .xxfi_header = on_header,
    .xxfi_body = on_body,
    .xxfi_eom = on_eom,
    .xxfi_abort = on_abort,
    .xxfi_close = on_abort,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: upstream_milter SOCKET\n");
		return 2;
	}
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "upstream_milter: cannot listen on %s\n",
		        argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
