/*
 * cli - the explain, compare and annotate subcommands.
 *
 * They render the same code table the milter uses, the way the product's
 * help pages do. Errors go to standard error as one line each, and make
 * the exit status 2; the other arguments are still processed.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/causefeat.h"
#include "core/helppath.h"
#include "core/lang.h"
#include "core/replyfmt.h"
#include "core/template.h"
#include "site/compare.h"
#include "tools/cli.h"
#include "tools/dsncmd.h"
#include "tools/mtaconfig.h"
#include "site/htmlsite.h"
#include "tools/footermap.h"
#include "tools/logscan.h"

#define PROG "milter-annotate"

static void __attribute__((format(printf, 2, 3)))
cli_warn(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", PROG, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A code as the user wrote it, with its entry; NULL entry if none. */
struct looked_up {
	struct code_ref ref;
	const struct code_entry *e;
	char label[40]; /* "550", "5.1.1", "X.1.1" */
};

static int
look_up(const struct config *cfg, const char *cmd, const char *arg,
        struct looked_up *lu)
{
	if (code_parse(arg, &lu->ref) != 0) {
		cli_warn(cmd,
		         "'%s' is not an SMTP code (try 550, 5.1.1 or X.1.1)",
		         arg);
		return -1;
	}
	if ((lu->e = codetable_find(cfg->table, &lu->ref)) == NULL) {
		cli_warn(cmd, "%s: no such code in the code table", arg);
		return -1;
	}
	if (lu->ref.kind == CODE_BASIC)
		snprintf(lu->label, sizeof(lu->label), "%d", lu->ref.basic);
	else if (lu->ref.cls == 0)
		snprintf(lu->label, sizeof(lu->label), "X.%d.%d",
		         lu->ref.subject, lu->ref.detail);
	else
		snprintf(lu->label, sizeof(lu->label), "%d.%d.%d", lu->ref.cls,
		         lu->ref.subject, lu->ref.detail);
	return 0;
}

/* The class a code belongs to: its reply class, or its subject for X.S.D. */
static const char *
class_of(const struct looked_up *lu)
{
	if (lu->ref.cls != 0)
		return code_class_name(lu->ref.cls);
	return lu->e->class_name;
}

/* Print text wrapped at 78 columns, every line indented. */
static void
print_wrapped(const char *text, int indent)
{
	const char *p = text, *word;
	int col = 0, wl;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		for (word = p; *p != '\0' && *p != ' '; p++)
			;
		wl = (int)(p - word);
		if (col > indent && col + 1 + wl > 78) {
			putchar('\n');
			col = 0;
		}
		if (col == 0)
			col = printf("%*s", indent, "");
		else
			col += printf(" ");
		col += printf("%.*s", wl, word);
	}
	putchar('\n');
}

/* "Who should act", in English with the table's word for it. */
static void
print_who(enum who who)
{
	char line[128];

	snprintf(line, sizeof(line), "%s (%s)", lang_who(lang_find("en"), who),
	         who_name(who));
	printf("\nWho should act\n");
	print_wrapped(line, 2);
}

static void
explain_one(const struct looked_up *lu)
{
	const struct code_entry *e = lu->e;
	size_t i;

	printf("%s %s\n", lu->label, e->name);
	if (e->kind == CODE_ENHANCED && lu->ref.cls != 0)
		printf("Class: %s; %s\n", code_class_name(lu->ref.cls),
		       e->class_name);
	else
		printf("Class: %s\n", e->class_name);
	if (e->kind == CODE_ENHANCED) {
		printf("Used with:");
		for (i = 0; i < e->nassoc; i++)
			printf("%s %s", i ? "," : "", e->assoc[i]);
		printf("%s\n", e->nassoc ? "" : " no basic code given");
	}
	printf("\nDescription\n");
	print_wrapped(e->description, 2);
	printf("\nWhen you see it\n");
	print_wrapped(e->when, 2);
	printf("\nHow to fix\n");
	print_wrapped(e->fix, 2);
	print_who(e->who);
}

/* A cause, in the same sections as a code; placeholders at their default. */
static void
explain_cause(const struct cause_entry *c)
{
	char text[CAUSE_TEXT_MAX];
	size_t i;

	printf("%s %s\n", c->name, c->title);
	printf("Cause; applies to:");
	for (i = 0; i < c->ncodes; i++)
		printf("%s %s", i ? "," : "", c->codes[i]);
	putchar('\n');
	printf("\nDescription\n");
	cause_text_generic(c->explanation, text, sizeof(text));
	print_wrapped(text, 2);
	printf("\nWhen you see it\n");
	cause_text_generic(c->when, text, sizeof(text));
	print_wrapped(text, 2);
	printf("\nHow to fix\n");
	cause_text_generic(c->fix, text, sizeof(text));
	print_wrapped(text, 2);
	print_who(c->who);
}

static int
cmd_explain(const struct config *cfg, int argc, char **argv)
{
	const struct cause_entry *c;
	struct looked_up lu;
	int i, rc = 0, printed = 0;

	if (argc < 2) {
		cli_warn("explain", "%s", "usage: explain CODE|CAUSE...");
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if ((c = codetable_cause(cfg->table, argv[i])) != NULL) {
			if (printed++)
				putchar('\n');
			explain_cause(c);
			continue;
		}
		if (look_up(cfg, "explain", argv[i], &lu) != 0) {
			rc = 2;
			continue;
		}
		if (printed++)
			putchar('\n');
		explain_one(&lu);
	}
	return rc;
}

static void
compare_sections(const struct lang *L, const struct code_entry *e)
{
	printf("\n%s\n%s\n", L->t[LT_DESC], e->description);
	printf("\n%s\n%s\n", L->t[LT_WHEN], e->when);
	printf("\n%s\n%s\n", L->t[LT_FIX], e->fix);
}

static void
compare_more(const struct config *cfg, const struct looked_up *lu)
{
	const char *vals[TV_COUNT] = {0};
	char url[REPLY_WIRE_MAX], page[128];

	vals[TV_CODE] = lu->ref.kind == CODE_BASIC ? lu->label : NULL;
	vals[TV_ECODE] = lu->ref.kind == CODE_ENHANCED ? lu->label : NULL;
	if (helppath_code(lu->e, page, sizeof(page)) > 0)
		vals[TV_PAGE] = page;
	vals[TV_HELP_BASE_URL] = cfg->site.help_base_url;
	tmpl_expand(cfg->site.help_url, vals, url, sizeof(url));
	printf("%s\n", url);
}

static int
compare_render(const struct config *cfg, const struct lang *L,
               const struct looked_up *a, const struct looked_up *b)
{
	static char text[COMPARE_TEXT_MAX];
	static char items[COMPARE_DIFFS_MAX][COMPARE_TEXT_MAX];
	struct compare_side sa = {a->label, class_of(a), a->e};
	struct compare_side sb = {b->label, class_of(b), b->e};
	int i, n;

	if (compare_title(&sa, &sb, text, sizeof(text)) < 0)
		return -1;
	printf("%s\n\n", text);
	if (compare_intro(&sa, &sb, text, sizeof(text)) < 0)
		return -1;
	printf("%s\n", text);
	compare_sections(L, a->e);
	compare_sections(L, b->e);
	printf("\n%s\n\n", L->t[LT_DIFF]);
	if ((n = compare_diffs(&sa, &sb, items)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		printf("%d. %s\n", i + 1, items[i]);
	if (compare_advice(&sa, &sb, text, sizeof(text)) < 0)
		return -1;
	printf("\n%s\n\n%s\n", L->t[LT_WHICH], text);
	if (cfg->site.help_url != NULL) {
		printf("\n%s\n", L->t[LT_MORE]);
		compare_more(cfg, a);
		compare_more(cfg, b);
	}
	return 0;
}

static int
cmd_compare(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"lang", required_argument, 0, 'l'}, {0, 0, 0, 0}};
	const struct lang *L = lang_find("en");
	struct looked_up a, b;
	int c;

	optind = 0; /* 0, not 1: glibc then forgets main's "+" mode */
	while ((c = getopt_long(argc, argv, "l:", opts, NULL)) != -1) {
		if (c != 'l')
			return 2;
		if ((L = lang_find(optarg)) == NULL) {
			cli_warn("compare",
			         "unknown language '%s' (en, ar, ru, zh)",
			         optarg);
			return 2;
		}
	}
	if (argc - optind != 2) {
		cli_warn("compare", "%s",
		         "usage: compare A B [--lang en|ar|ru|zh]");
		return 2;
	}
	if (look_up(cfg, "compare", argv[optind], &a) != 0 ||
	    look_up(cfg, "compare", argv[optind + 1], &b) != 0)
		return 2;
	if (compare_render(cfg, L, &a, &b) != 0) {
		cli_warn("compare", "%s", "the texts are too long to compare");
		return 1;
	}
	return 0;
}

/* annotate */

struct annotate_ctx {
	const struct config *cfg;
	const char *cmd; /* "annotate" or "classify" */
	bool classify;   /* print the cause's name, not the reply */
	bool why;        /* classify --why: and what decided it */
	bool features;   /* classify --features: the model's features */
	struct reply_vars vars;
	struct reply r;
	struct reply_out o;
	char wire[REPLY_MAX_LINES * (REPLY_WIRE_MAX + 2)];
};

static void
print_feature(const char *f, void *arg)
{
	(void)arg;
	printf("%s ", f);
}

/* classify --why: what decided, after the cause's name on its line. */
static void
print_why(const struct reply *r, const struct cause_hit *hit)
{
	switch (hit->by) {
	case CAUSE_BY_PATTERN:
		printf(" by=pattern pattern=\"%s\"", hit->pattern);
		break;
	case CAUSE_BY_CODE:
		if (hit->basic != 0)
			printf(" by=code code=%d", hit->basic);
		else
			printf(" by=code code=X.%d.%d", r->subject, r->detail);
		break;
	default:
		printf(" by=none");
	}
	/* A cause the text looked like, kept away by its "unless". */
	if (hit->passed_over != NULL)
		printf(" passed-over=%s unless=\"%s\"", hit->passed_over->name,
		       hit->unless);
}

static int
annotate_one(struct annotate_ctx *A, const char *buf, size_t len)
{
	if (reply_parse(&A->r, buf, len) != 0) {
		char shown[64];
		size_t i;

		for (i = 0; i < len && i + 1 < sizeof(shown) && buf[i] != '\n';
		     i++)
			shown[i] =
			    isprint((unsigned char)buf[i]) ? buf[i] : '?';
		shown[i] = '\0';
		cli_warn(A->cmd, "not an SMTP reply: '%s'", shown);
		if (A->classify)
			puts("none"); /* one line per reply, whatever comes */
		return 2;
	}
	if (A->classify && A->features) {
		cause_features(&A->r, print_feature, NULL);
		putchar('\n');
		return 0;
	}
	if (A->classify) {
		struct cause_hit hit;

		cause_classify(codetable_causeset(A->cfg->table), &A->r, &hit);
		fputs(hit.cause != NULL ? hit.cause->name : "none", stdout);
		if (A->why)
			print_why(&A->r, &hit);
		putchar('\n');
		return 0;
	}
	reply_annotate(&A->r, A->cfg->table, &A->cfg->site, &A->vars, &A->o);
	reply_render(&A->o, "\n", A->wire, sizeof(A->wire));
	fputs(A->wire, stdout);
	putchar('\n');
	return 0;
}

/* A line "550-..." announces another line of the same reply. */
static int
continues(const char *line, size_t len)
{
	size_t i = strspn(line, " \t");

	if (i > len || len - i < 4)
		return 0;
	line += i;
	return isdigit((unsigned char)line[0]) &&
	       isdigit((unsigned char)line[1]) &&
	       isdigit((unsigned char)line[2]) && line[3] == '-';
}

static int
annotate_stdin(struct annotate_ctx *A)
{
	char *line = NULL, *acc = NULL, *grown;
	size_t cap = 0, acclen = 0, acccap = 0;
	ssize_t n;
	int rc = 0, more;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (acclen == 0 && strspn(line, " \t") >= (size_t)n)
			continue; /* blank lines between replies */
		more = continues(line, (size_t)n);
		if (acclen + (size_t)n + 2 > acccap) {
			acccap = (acclen + (size_t)n + 2) * 2;
			if ((grown = realloc(acc, acccap)) == NULL) {
				cli_warn(A->cmd, "%s", "out of memory");
				rc = 2;
				break;
			}
			acc = grown;
		}
		memcpy(acc + acclen, line, (size_t)n);
		acclen += (size_t)n;
		acc[acclen++] = '\n';
		if (more)
			continue;
		rc |= annotate_one(A, acc, acclen);
		acclen = 0;
	}
	if (acclen > 0)
		rc |= annotate_one(A, acc, acclen);
	free(line);
	free(acc);
	return rc;
}

static int
cmd_annotate(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"queue-id", required_argument, 0, 'q'},
	    {"client-addr", required_argument, 0, 'a'},
	    {"why", no_argument, 0, 'w'},
	    {"features", no_argument, 0, 'f'},
	    {0, 0, 0, 0}};
	struct annotate_ctx *A;
	int c, i, rc = 0;

	if ((A = calloc(1, sizeof(*A))) == NULL) {
		cli_warn(argv[0], "%s", "out of memory");
		return 2;
	}
	A->cfg = cfg;
	A->cmd = argv[0];
	A->classify = strcmp(argv[0], "classify") == 0;
	optind = 0; /* 0, not 1: glibc then forgets main's "+" mode */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'q')
			A->vars.queue_id = optarg;
		else if (c == 'a')
			A->vars.client_addr = optarg;
		else if ((c == 'w' || c == 'f') && A->classify)
			*(c == 'w' ? &A->why : &A->features) = true;
		else {
			free(A);
			return 2;
		}
	}
	if (optind == argc)
		rc = annotate_stdin(A);
	for (i = optind; i < argc; i++)
		rc |= annotate_one(A, argv[i], strlen(argv[i]));
	free(A);
	return rc;
}

static int
export_footer(const struct config *cfg, int argc)
{
	if (argc != 2) {
		cli_warn("export", "%s", "usage: export postfix-footer");
		return 2;
	}
	if (footermap_export(cfg, stdout) != 0) {
		cli_warn(
		    "export", "%s",
		    "the table has an entry the reply engine cannot format");
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* export html DIR [--lang en,ar,ru,zh] [--base-url URL] */
static int
export_site(const struct config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"lang", required_argument, 0, 'l'},
	    {"base-url", required_argument, 0, 'b'},
	    {0, 0, 0, 0}};
	struct htmlsite_opts o = {NULL, NULL, NULL};
	char err[PATH_MAX + 128];
	long pages;
	int c;

	optind = 0; /* 0, not 1: glibc then forgets main's "+" mode */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'l')
			o.langs = optarg;
		else if (c == 'b')
			o.base_url = optarg;
		else
			return 2;
	}
	if (argc - optind != 1 || argv[optind][0] == '\0') {
		cli_warn("export", "%s",
		         "usage: export html DIR [--lang en,ar,ru,zh] "
		         "[--base-url URL]");
		return 2;
	}
	o.dir = argv[optind];
	if ((pages = htmlsite_export(cfg->table, &o, err, sizeof(err))) < 0) {
		cli_warn("export", "html: %s", err);
		return 1;
	}
	printf("%s: %ld pages\n", o.dir, pages);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
cmd_export(const struct config *cfg, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "postfix-footer") == 0)
		return export_footer(cfg, argc);
	if (argc >= 2 && strcmp(argv[1], "html") == 0)
		return export_site(cfg, argc - 1, argv + 1);
	cli_warn("export", "%s",
	         "usage: export postfix-footer | export html DIR "
	         "[--lang en,ar,ru,zh] [--base-url URL]");
	return 2;
}

static const struct {
	const char *name;
	int (*fn)(const struct config *, int, char **);
} commands[] = {
    {"explain", cmd_explain},   {"compare", cmd_compare},
    {"annotate", cmd_annotate}, {"classify", cmd_annotate},
    {"export", cmd_export},     {"logscan", logscan_main},
    {"dsn", dsncmd_main},       {"mta-config", mtaconfig_main},
};

int
cli_is_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return 1;
	return 0;
}

int
cli_run(const struct config *cfg, int argc, char **argv)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			return commands[i].fn(cfg, argc, argv);
	fprintf(stderr, "%s: unknown command '%s'\n", PROG, argv[0]);
	return 2;
}
