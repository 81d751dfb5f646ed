/* SPDX-License-Identifier: ISC */
/*
 * The last good policies, kept on disk so that they survive a restart of
 * the responder, a reload of the web server and a reboot.
 *
 * The responder itself writes them: it is the one that knows which
 * policy it served. One file per domain in a directory of its own (-L,
 * MTA_STS_LAST_GOOD, else LASTGOOD_DEFAULT), named by the domain's
 * A-label and holding the rendered policy body, exactly what was served.
 * A file is written only when the policy changed, atomically: a
 * temporary ".tmp-NAME.PID", fsync, rename over NAME. It goes when the
 * domain file is gone. What is read back is parsed again
 * (sts_policy_parse) before it is served: a damaged copy is dropped,
 * never served.
 *
 * Everything here is relative to the directory's descriptor, opened
 * before the sandbox (sandbox.c lets openat, renameat, unlinkat on that
 * descriptor only write).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

/* A name we may use in the directory: a host name, no '/', no leading '.'. */
static int
name_ok(const char *name)
{
	size_t	 len = strlen(name);

	return len > 0 && len <= STS_HOST_MAX && name[0] != '.' &&
	    strchr(name, '/') == NULL && sts_host_valid(name, len);
}

int
lastgood_open(const char *dir, int quiet)
{
	int	 fd;

	if (dir == NULL || dir[0] == '\0')
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		if (!quiet || errno != ENOENT)
			logmsg("%s: %s: the last good policies are not kept "
			    "across restarts", dir, strerror(errno));
		return -1;
	}
	if (!quiet && faccessat(fd, ".", W_OK, AT_EACCESS) == -1)
		logmsg("%s: %s: the last good policies are not kept across "
		    "restarts", dir, strerror(errno));
	return fd;
}

int
lastgood_get(int fd, const char *name, char **text, size_t *len)
{
	struct sts_policy	 pol;
	char			 err[STS_ERR_MAX];
	int			 ret = 0;

	*text = NULL;
	*len = 0;
	memset(&pol, 0, sizeof(pol));
	if (fd == -1 || !name_ok(name))
		return 0;
	if (sts_read_file(fd, name, STS_POLICY_MAX, text, len, NULL, err,
	    sizeof(err)) == -1) {
		if (errno != ENOENT)
			logmsg("last good policy of %s: %s", name, err);
		return 0;
	}
	if (sts_policy_parse(*text, *len, &pol, err, sizeof(err)) == -1) {
		logmsg("last good policy of %s: %s: dropped, not served", name,
		    err);
		(void)unlinkat(fd, name, 0);
		free(*text);
		*text = NULL;
		*len = 0;
		goto out;
	}
	ret = 1;
out:
	sts_policy_free(&pol);
	return ret;
}

int
lastgood_put(int fd, const char *name, const char *text, size_t len)
{
	char	 tmp[STS_HOST_MAX + 32], *old = NULL;
	size_t	 oldlen = 0, off = 0;
	ssize_t	 n;
	int	 tfd = -1, ret = -1;

	if (fd == -1 || !name_ok(name))
		return 0;
	/* The same already: nothing to write. */
	if (sts_read_file(fd, name, STS_POLICY_MAX, &old, &oldlen, NULL,
	    NULL, 0) == 0 && oldlen == len && memcmp(old, text, len) == 0) {
		ret = 0;
		goto out;
	}
	/* Several processes may serve (mod_fcgid, CGI): a name each. */
	snprintf(tmp, sizeof(tmp), ".tmp-%s.%ld", name, (long)getpid());
	if ((tfd = openat(fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(tfd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fsync(tfd) == -1)
		goto fail;
	if (close(tfd) == -1) {
		tfd = -1;
		goto fail;
	}
	tfd = -1;
	if (renameat(fd, tmp, fd, name) == -1)
		goto fail;
	(void)fsync(fd);
	ret = 1;
	goto out;
fail:
	logmsg("last good policy of %s: %s: not kept", name, strerror(errno));
	if (tfd != -1)
		close(tfd);
	(void)unlinkat(fd, tmp, 0);
out:
	free(old);
	return ret;
}

void
lastgood_drop(int fd, const char *name)
{
	if (fd == -1 || !name_ok(name))
		return;
	if (unlinkat(fd, name, 0) == 0)
		(void)fsync(fd);
	else if (errno != ENOENT)
		logmsg("last good policy of %s: %s", name, strerror(errno));
}

int
lastgood_list(int fd, struct sts_strlist *names)
{
	struct dirent	*de;
	DIR		*dir = NULL;
	int		 dfd;

	if (fd == -1)
		return 0;
	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (dir = fdopendir(dfd)) == NULL) {
		logmsg("the last good policies: %s", strerror(errno));
		if (dfd != -1)
			close(dfd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL)
		if (name_ok(de->d_name) &&
		    sts_strlist_add(names, de->d_name) == -1) {
			closedir(dir);
			logmsg("out of memory");
			return -1;
		}
	closedir(dir);
	sts_strlist_sort_uniq(names);
	return 0;
}
