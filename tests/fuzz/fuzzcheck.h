/*
 * fuzzcheck - what the fuzz targets share: a check that aborts (so that
 * libFuzzer keeps the input, and a replay fails), and the checks of the
 * promise every reply milter-annotate emits keeps (include/core/reply.h).
 */
#ifndef FUZZCHECK_H
#define FUZZCHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/replyfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant: say which, then crash. */
#define FUZZ_CHECK(cond)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* The input as a NUL-terminated string on the heap (NULs stay in it). */
char *fuzz_text(const uint8_t *data, size_t size);

/*
 * Render o as the MTA sends it and check it: every line starts with the
 * same code (4xx/5xx unless res is REPLY_PASSED, then the class of r),
 * '-' on all lines but the last and ' ' there, the same enhanced code of
 * the code's class on every line when there is one, at most
 * REPLY_MAX_LINES lines of at most REPLY_WIRE_MAX octets (and the width)
 * with CRLF, printable ASCII only. The rendered text reads back as a
 * reply with the same codes. Then what libmilter is given: the lines with
 * '%' doubled.
 */
void fuzz_check_reply(const struct reply *r, enum reply_result res,
                      const struct reply_out *o, unsigned width);

/* reply_annotate with table and site, then fuzz_check_reply. */
enum reply_result fuzz_annotate(const struct reply *r,
                                const struct codetable *table,
                                const struct reply_site *site,
                                const struct reply_vars *vars);

#endif
