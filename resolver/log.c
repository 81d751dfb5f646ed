/* SPDX-License-Identifier: ISC */
/*
 * log.c: logmsg(), one line on stderr (journald or the service manager
 * keeps it). A leaf: every file of mta-sts-resolve calls it, it calls
 * none of them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "resolve.h"

void
logmsg(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mta-sts-resolve: %s\n", buf);
}
