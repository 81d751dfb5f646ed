/* SPDX-License-Identifier: ISC */
/*
 * atomic.c: the one way the checker replaces a file (a domain's state, the
 * zone file): a temporary file in the same directory, written, synced and
 * renamed over the old one, then the directory synced, so a crash or a
 * full disk leaves the old file or the new one, never a part of either.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

/* the directory of path: "." for a bare name, "/" for a file in / */
static int
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (slash == NULL)
		return snprintf(dir, len, ".") >= (int)len ? -1 : 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= len)
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return 0;
}

int
atomic_write(const char *path, const char *tmpl, const char *text, size_t len,
    mode_t mode, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd = -1, dfd = -1, rc = -1, n;

	tmp[0] = '\0';
	n = snprintf(tmp, sizeof(tmp), "%s", tmpl);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    dir_of(path, dir, sizeof(dir)) == -1) {
		tmp[0] = '\0';
		(void)sts_err(err, errlen, "%s: path too long", path);
		goto out;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		(void)sts_err(err, errlen, "%s: %s (creating %s)", path,
		    strerror(errno), tmp);
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, mode) == -1 ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) == -1 && errno != EPERM) ||
	    sts_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		(void)sts_err(err, errlen, "%s: %s (writing %s)", path,
		    strerror(errno), tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		(void)sts_err(err, errlen, "%s: %s (writing %s)", path,
		    strerror(errno), tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		(void)sts_err(err, errlen, "rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		(void)sts_err(err, errlen, "%s: sync: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	return rc;
}
