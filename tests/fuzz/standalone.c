/*
 * standalone - run a libFuzzer target over the files given as arguments,
 * without libFuzzer: any compiler builds it, and a crash found by the
 * fuzzer replays under gcc, valgrind or a debugger. Every fuzz target is
 * built with it into build/tests/fuzz_NAME (make unit-bins), which the
 * unit suite runs over tests/fuzz/corpus/NAME:
 *
 *   build/tests/fuzz_reply tests/fuzz/corpus/reply build/fuzz/artifacts/...
 *   tests/fuzz/run.sh --replay reply FILE     (the ASan and UBSan build)
 *
 * A folder given as an argument stands for the files in it. A failed
 * check aborts: the exit status says a replay failed.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers' hook, there only in a sanitized build. */
void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

static const char *current;

/* Name the input that failed (a check aborts, a sanitizer dies). */
static void
say_current(void)
{
	static const char msg[] = "replay failed on input: ";

	if (current == NULL)
		return;
	(void)!write(2, msg, sizeof(msg) - 1);
	(void)!write(2, current, strlen(current));
	(void)!write(2, "\n", 1);
}

static void
on_abort(int sig)
{
	say_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

static int
run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *grown;

			cap = cap > 0 ? 2 * cap : 4096;
			if ((grown = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				fclose(fp);
				free(buf);
				return -1;
			}
			buf = grown;
		}
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n > 0);
	if (ferror(fp)) {
		perror(path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	/* An exact copy, as libFuzzer gives, so overreads show. */
	{
		uint8_t *exact = malloc(len > 0 ? len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		if (len > 0)
			memcpy(exact, buf, len);
		free(buf);
		current = path;
		LLVMFuzzerTestOneInput(exact, len);
		current = NULL;
		free(exact);
	}
	return 0;
}

static int
run_path(const char *path, unsigned *count)
{
	struct stat st;
	struct dirent *e;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	if ((d = opendir(path)) == NULL) {
		perror(path);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
			(*count)++;
			if (run_file(sub) != 0)
				rc = -1;
		}
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	unsigned count = 0;
	int i, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	signal(SIGABRT, on_abort);
	signal(SIGSEGV, on_abort);
	if (__sanitizer_set_death_callback != NULL)
		__sanitizer_set_death_callback(say_current);
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) != 0)
			rc = 1;
	fprintf(stderr, "%s: %u input(s) ran\n", argv[0], count);
	return rc;
}
