/*
 * daemon - placeholder until the milter lands (next commit).
 */
#include <stdio.h>

#include "daemon.h"

int
daemon_main(const struct options *o)
{
	(void)o;
	fprintf(stderr, "milter-annotate: the milter daemon is not built yet\n");
	return 1;
}
