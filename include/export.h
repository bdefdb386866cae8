/*
 * export - the code table in forms other programs read.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include <stdio.h>

#include "config.h"

/* A pcre: table for Postfix's smtpd_reject_footer_maps; 0 or -1. */
int export_postfix_footer(const struct config *, FILE *out);

#endif
