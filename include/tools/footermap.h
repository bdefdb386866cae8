/*
 * footermap - the code table as a Postfix reject-footer map.
 *
 * A milter cannot change the text of the MTA's own rejections; Postfix
 * (3.4 and later) appends a footer chosen by a table keyed by the whole
 * reply (smtpd_reject_footer_maps). This writes that table as a pcre:
 * map from the same code table, causes and site lines the milter uses.
 */
#ifndef FOOTERMAP_H
#define FOOTERMAP_H

#include <stdio.h>

#include "engine/config.h"

/*
 * Write the pcre: map for c's table and site settings to out. Returns 0,
 * or -1 when a rule's reply could not be formatted within its bounds
 * (the map is then incomplete). Write errors are the caller's (ferror).
 */
int footermap_export(const struct config *c, FILE *out);

#endif
