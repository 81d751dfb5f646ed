/* SPDX-License-Identifier: ISC */
/*
 * file.c: the one way the checker opens a file it reads (the TSIG key,
 * the zone file, state files, the lock): O_NONBLOCK, so a FIFO or a
 * device planted at the path never blocks a run in open(), then fstat,
 * so anything but a regular file is refused with a message that names
 * the file and what it is.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

const char *
file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

int
file_open(const char *what, const char *path, int flags, mode_t mode,
    struct stat *sb, char *err, size_t errlen)
{
	struct stat st;
	int fd, saved;

	if (sb == NULL)
		sb = &st;
	fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);
	if (fd == -1) {
		saved = errno;
		(void)sts_err(err, errlen, "%s%s%s: %s", what ? what : "",
		    what ? " " : "", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (fstat(fd, sb) == -1) {
		saved = errno;
		(void)sts_err(err, errlen, "%s%s%s: %s", what ? what : "",
		    what ? " " : "", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		(void)sts_err(err, errlen, "%s%s%s: not a regular file (%s)",
		    what ? what : "", what ? " " : "", path,
		    file_kind(sb->st_mode));
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}
