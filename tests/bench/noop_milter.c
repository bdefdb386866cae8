/*
 * noop_milter - the benchmarks' floor: a libmilter milter that does
 * nothing. Every callback returns SMFIS_CONTINUE; connect, helo, envfrom,
 * envrcpt, header, eoh, body and eom are registered so that an MTA (or
 * bench_milter) sends each of those steps and waits for each answer, as
 * it does for milter-annotate.
 *
 *   noop_milter [-a|-d] SOCKET   e.g. inet:9000@127.0.0.1
 *
 * -a negotiates as milter-annotate does (callbacks.c, cb_negotiate) with
 * dsn = off: no end of headers, no body (nor DATA, unknown commands),
 * rejected recipients too, and the same macro lists. The MTA then sends
 * exactly the steps and macros it sends milter-annotate, which isolates
 * the cost of milter-annotate's own work from the number of steps.
 * -d negotiates as milter-annotate does with dsn = on (its default): the
 * same, but with the end of headers and the body, leave to add headers
 * and replace the body, and SMFIP_SKIP (the body is read whole all the
 * same: answering continue to a bounce's body, as milter-annotate does).
 *
 * SIGTERM or SIGINT stops it (libmilter notices within about 5 s).
 */
#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>

static sfsistat
on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat
on_args(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
on_step(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return SMFIS_CONTINUE;
}

/* -a: what milter-annotate asks for (milter/daemon/callbacks.c). */
static sfsistat
on_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
             unsigned long *pf2, unsigned long *pf3)
{
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_SETSYMLIST;
	*pf1 = f1 & (SMFIP_RCPT_REJ | SMFIP_NOBODY | SMFIP_NOEOH |
	             SMFIP_NOUNKNOWN | SMFIP_NODATA);
	*pf2 = *pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT, "v");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT,
		                "i {rcpt_mailer} {rcpt_host} {rcpt_addr}");
		smfi_setsymlist(ctx, SMFIM_EOH, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

/* -d: what milter-annotate asks for with dsn = on. */
static sfsistat
on_negotiate_dsn(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                 unsigned long f2, unsigned long f3, unsigned long *pf0,
                 unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	sfsistat st = on_negotiate(ctx, f0, f1, f2, f3, pf0, pf1, pf2, pf3);

	*pf0 = f0 & (SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGBODY);
	*pf1 =
	    f1 & (SMFIP_RCPT_REJ | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_SKIP);
	return st;
}

static struct smfiDesc desc = {
    .xxfi_name = "noop-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = 0,
    .xxfi_connect = on_connect,
    .xxfi_helo = on_helo,
    .xxfi_envfrom = on_args,
    .xxfi_envrcpt = on_args,
    .xxfi_header = on_header,
    .xxfi_eoh = on_step,
    .xxfi_body = on_body,
    .xxfi_eom = on_step,
};

int
main(int argc, char **argv)
{
	const char *sock = argv[argc - 1];

	if (argc == 3 && strcmp(argv[1], "-a") == 0) {
		desc.xxfi_flags = SMFIF_SETSYMLIST;
		desc.xxfi_negotiate = on_negotiate;
	} else if (argc == 3 && strcmp(argv[1], "-d") == 0) {
		desc.xxfi_flags =
		    SMFIF_SETSYMLIST | SMFIF_ADDHDRS | SMFIF_CHGBODY;
		desc.xxfi_negotiate = on_negotiate_dsn;
	} else if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: noop_milter [-a|-d] SOCKET\n");
		return 2;
	}
	if (smfi_setconn((char *)sock) == MI_FAILURE ||
	    smfi_register(desc) == MI_FAILURE ||
	    smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "noop_milter: cannot listen on %s\n", sock);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
