/* SPDX-License-Identifier: ISC */
/*
 * file.c: the one way the checker opens a file it reads (the TSIG key,
 * the zone file, state files, the lock): sts_open_file() of libmtasts
 * (O_NONBLOCK, so a FIFO or a device planted at the path never blocks a
 * run in open(), then fstat, regular files only), with a message that
 * also says what the file is for and what it is instead.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

int
file_open(const char *what, const char *path, int flags, mode_t mode,
    struct stat *sb, char *err, size_t errlen)
{
	struct stat st;
	char e[STS_ERR_MAX];
	int fd, saved;

	if (sb == NULL)
		sb = &st;
	if ((fd = sts_open_file(AT_FDCWD, path, flags, mode, sb, e,
	    sizeof(e))) != -1)
		return fd;
	saved = errno;
	(void)sts_err(err, errlen, "%s%s%s", what ? what : "", what ? " " : "",
	    e);
	if ((saved == EISDIR || saved == EINVAL) && err != NULL && errlen > 0) {
		/* Not a regular file: say what it is. */
		(void)snprintf(err + strlen(err), errlen - strlen(err), " (%s)",
		    sts_file_kind(sb->st_mode));
		saved = EINVAL;
	}
	errno = saved;
	return -1;
}
