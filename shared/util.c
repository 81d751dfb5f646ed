/* SPDX-License-Identifier: ISC */
/* The helpers of util.h: FNV-1a, the capped file reader, sts_parse_num. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

int
sts_read_file(int dirfd, const char *path, size_t cap, char **bufp,
    size_t *lenp, struct stat *stp, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL, *nb, esc[ESC_MAX];
	size_t		 len = 0, room;
	ssize_t		 r;
	int		 fd = -1, e = 0, notreg = 0;

	if ((fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1 || fstat(fd, &st) == -1) {
		e = errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		notreg = 1;
		goto out;
	}
	if (stp != NULL)
		*stp = st;
	/*
	 * Sized by the file, not by cap: a hundred thousand small domain
	 * files are read at start-up. A file that grows while it is read
	 * gets the room up to cap; one read of the size fstat gave is enough.
	 */
	if ((uintmax_t)st.st_size > cap) {
		e = EFBIG;
		goto out;
	}
	room = (size_t)st.st_size < cap ? (size_t)st.st_size + 1 : cap + 1;
	if ((buf = malloc(room + 1)) == NULL) {
		e = ENOMEM;
		goto out;
	}
	for (;;) {
		if (len == room) {	/* grown since fstat */
			if ((nb = realloc(buf, cap + 2)) == NULL) {
				e = ENOMEM;
				goto out;
			}
			buf = nb;
			room = cap + 1;
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
			goto out;
		}
		if (len == (size_t)st.st_size && len < room)
			break;
	}
	if (e == 0) {
		buf[len] = '\0';
		*bufp = buf;
		*lenp = len;
		buf = NULL;
	}
out:
	if (buf != NULL) {
		explicit_bzero(buf, len);	/* it may have been a key */
		free(buf);
	}
	if (fd != -1)
		close(fd);
	if (e == 0)
		return 0;
	sts_escape(esc, sizeof(esc), path, strlen(path));
	if (e == EFBIG)
		sts_err(err, errlen, "%s: larger than %zu KiB", esc, cap / 1024);
	else
		sts_err(err, errlen, "%s: %s", esc, e == ENOMEM ?
		    "out of memory" : notreg ? "not a regular file" :
		    strerror(e));
	errno = e;
	return -1;
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
