/* SPDX-License-Identifier: ISC */
/*
 * The responder's messages: one line each to stderr, where the web server
 * or systemd collects them. A leaf: calls nothing else of the program.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"

void
logmsg(const char *fmt, ...)
{
	static const char	 prefix[] = PROGNAME ": ";
	va_list			 ap;
	char			 buf[2048];
	size_t			 len, off = 0, pl = sizeof(prefix) - 1;
	ssize_t			 n;
	int			 r;

	memcpy(buf, prefix, pl);
	va_start(ap, fmt);
	r = vsnprintf(buf + pl, sizeof(buf) - pl - 1, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	len = pl + r;
	if ((size_t)r >= sizeof(buf) - pl - 1) {
		/* Too long for one line: cut, and say so. */
		len = sizeof(buf) - 2;
		memcpy(buf + len - 3, "...", 3);
	}
	buf[len++] = '\n';
	while (off < len) {
		if ((n = write(STDERR_FILENO, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		off += n;
	}
}

void
log_once(char **last, const char *msg)
{
	if (*last != NULL && strcmp(*last, msg) == 0)
		return;
	logmsg("%s", msg);
	free(*last);
	*last = strdup(msg);
}

void
log_warning(void *arg, const char *msg)
{
	(void)arg;
	logmsg("%s", msg);
}
