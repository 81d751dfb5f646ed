/* SPDX-License-Identifier: ISC */
/*
 * The helpers of util.h: FNV-1a, the one way to open a file and the
 * capped reader, sts_parse_num.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "util.h"

#define ESC_MAX	(STS_ERR_MAX / 2)	/* the path in a message */

uint64_t
sts_hash_add(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*s = p;

	while (len-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t
sts_hash(const void *p, size_t len)
{
	return sts_hash_add(STS_HASH_INIT, p, len);
}

const char *
sts_file_kind(mode_t mode)
{
	static const struct {
		mode_t		 type;
		const char	*name;
	} kinds[] = {
		{ S_IFREG, "a regular file" }, { S_IFDIR, "a directory" },
		{ S_IFIFO, "a FIFO" }, { S_IFSOCK, "a socket" },
		{ S_IFCHR, "a character device" }, { S_IFBLK, "a block device" },
		{ S_IFLNK, "a symbolic link" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((mode & S_IFMT) == kinds[i].type)
			return kinds[i].name;
	return "not a regular file";
}

int
sts_open_file(int dirfd, const char *path, int flags, mode_t mode,
    struct stat *stp, char *err, size_t errlen)
{
	struct stat	 st;
	char		 esc[ESC_MAX];
	int		 fd, e = 0;

	if (stp == NULL)
		stp = &st;
	if ((fd = openat(dirfd, path, flags | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY, mode)) == -1 || fstat(fd, stp) == -1)
		e = errno;
	else if (S_ISREG(stp->st_mode))
		return fd;
	sts_escape(esc, sizeof(esc), path, strlen(path));
	if (e != 0)
		sts_err(err, errlen, "%s: %s", esc, strerror(e));
	else {
		e = S_ISDIR(stp->st_mode) ? EISDIR : EINVAL;
		sts_err(err, errlen, "%s: not a regular file", esc);
	}
	if (fd != -1)
		close(fd);
	errno = e;
	return -1;
}

int
sts_read_fd(int fd, size_t cap, size_t hint, char **bufp, size_t *lenp)
{
	char		*buf = NULL, *nb;
	size_t		 len = 0, room;
	ssize_t		 r;
	int		 e = 0;

	/*
	 * Sized by the hint (the file's size), not by cap: a hundred thousand
	 * small domain files are read at start-up. Without one, or when the
	 * file grew, the room doubles up to cap + 1. One read of the size
	 * the hint gave is enough.
	 */
	if (hint > cap) {
		errno = EFBIG;
		return -1;
	}
	room = hint > 0 ? hint + 1 : cap < 4096 ? cap + 1 : 4096;
	if ((buf = malloc(room + 1)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (;;) {
		if (len == room) {
			room = room > cap / 2 ? cap + 1 : room * 2;
			if ((nb = realloc(buf, room + 1)) == NULL) {
				e = ENOMEM;
				break;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, room - len)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0) {
			e = r == -1 ? errno : 0;
			break;
		}
		len += (size_t)r;
		if (len > cap) {
			e = EFBIG;
			break;
		}
		if (hint > 0 && len == hint && len < room)
			break;
	}
	if (e != 0) {
		explicit_bzero(buf, len);	/* it may have been a key */
		free(buf);
		errno = e;
		return -1;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}

int
sts_read_file(int dirfd, const char *path, size_t cap, char **bufp,
    size_t *lenp, struct stat *stp, char *err, size_t errlen)
{
	struct stat	 st;
	char		 esc[ESC_MAX];
	int		 fd, e;

	if ((fd = sts_open_file(dirfd, path, O_RDONLY, 0, &st, err,
	    errlen)) == -1)
		return -1;
	if (stp != NULL)
		*stp = st;
	if (sts_read_fd(fd, cap, (size_t)st.st_size, bufp, lenp) == 0) {
		close(fd);
		return 0;
	}
	e = errno;
	close(fd);
	sts_escape(esc, sizeof(esc), path, strlen(path));
	if (e == EFBIG)
		sts_err(err, errlen, "%s: larger than %zu KiB", esc, cap / 1024);
	else
		sts_err(err, errlen, "%s: %s", esc, e == ENOMEM ?
		    "out of memory" : strerror(e));
	errno = e;
	return -1;
}

void *
sts_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t	 ncap;

	if (n < *cap)
		return v;
	ncap = *cap > 0 ? *cap * 2 : first;
	if ((v = reallocarray(v, ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return v;
}

int
sts_parse_num(const char *s, long long min, long long max, int base,
    long long *out)
{
	char		*end = NULL;
	long long	 v;

	if (s[0] == '\0' || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -1;
	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
sts_write_all(int fd, const void *buf, size_t len)
{
	const char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
sts_user_lookup(const char *spec, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 user[256];
	const char	*colon;
	size_t		 ul;

	colon = strchr(spec, ':');
	ul = colon ? (size_t)(colon - spec) : strlen(spec);
	if (ul == 0 || ul >= sizeof(user)) {
		snprintf(err, errlen, "-u %s: expected user[:group]", spec);
		return -1;
	}
	memcpy(user, spec, ul);
	user[ul] = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "-u: no such user: %s", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "-u %s: refusing to run as root", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			snprintf(err, errlen, "-u: no such group: %s",
			    colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	if (*gid == 0) {
		snprintf(err, errlen,
		    "-u %s: refusing to run as group root (gid 0)", spec);
		return -1;
	}
	return 0;
}

int
sts_drop_privileges(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (geteuid() != 0) {
		if (uid == geteuid())
			return 0;
		snprintf(err, errlen, "-u: only root can change user");
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "cannot change user: %s",
		    strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		snprintf(err, errlen,
		    "could regain root after changing user; stopping");
		return -1;
	}
	return 0;
}
