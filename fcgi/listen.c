/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI socket: a Unix or TCP socket of our own (-s), or one the
 * web server or systemd passed in.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

/*
 * As root, every directory on the way to the socket must be one that only
 * root can write (or a sticky one of root's, such as /tmp): whoever else could write one could swap the socket's
 * name, or a directory above it, for a link between bind() and the owner
 * change, and have a file of root's re-owned. 0 when safe, else -1 and
 * the directory is named.
 */
static int
socket_dir_safe(const char *path)
{
	struct stat	 sb;
	char		 dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		*slash;

	if (geteuid() != 0)
		return 0;
	if (path[0] != '/') {
		logmsg("%s: the socket path must be absolute when started "
		    "as root", path);
		return -1;
	}
	(void)snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		slash[slash == dir] = '\0';
		if (stat(dir, &sb) == -1) {
			logmsg("%s: %s", dir, strerror(errno));
			return -1;
		}
		/* Sticky (/tmp): others cannot move what root made there. */
		if (sb.st_uid != 0 || ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (sb.st_mode & S_ISVTX) == 0)) {
			logmsg("%s: the socket directory is writable by a user "
			    "other than root; give -s unix: a path in a "
			    "directory only root can write (such as "
			    "/run/mta-sts-fcgi)", dir);
			return -1;
		}
		if (slash == dir)
			break;
	}
	return 0;
}

/*
 * The mode is set through the umask when the socket is made, and the owner
 * without following a link, in a directory nobody but root can change.
 */
int
listen_unix(const char *path, mode_t mode, int setmode, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 old = 0;
	int			 fd = -1, ret = -1, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		logmsg("%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (socket_dir_safe(path) == -1)
		goto out;
	/* A socket left from an earlier run goes; anything else stays. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		logmsg("%s: %s", path, strerror(errno));
		goto out;
	}
	if (setmode)
		old = umask(~mode & 0777);
	e = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ? errno : 0;
	if (setmode)
		(void)umask(old);
	if (e != 0 || listen(fd, SOMAXCONN) == -1) {
		logmsg("%s: %s", path, strerror(e != 0 ? e : errno));
		goto out;
	}
	if (uid != (uid_t)-1 && geteuid() == 0 && fchownat(AT_FDCWD, path,
	    uid, gid, AT_SYMLINK_NOFOLLOW) == -1) {
		logmsg("%s: chown: %s", path, strerror(errno));
		goto out;
	}
	ret = fd;
	fd = -1;
out:
	if (fd != -1)
		close(fd);
	return ret;
}

int
listen_tcp(const char *spec)
{
	struct addrinfo	 hints, *res = NULL, *ai;
	char		 host[256];
	const char	*port, *colon;
	size_t		 hl;
	int		 fd = -1, one = 1, e;

	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0') {
		logmsg("-s tcp:%s: expected tcp:host:port", spec);
		return -1;
	}
	port = colon + 1;
	hl = colon - spec;
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof(host)) {
		logmsg("-s tcp:%s: expected tcp:host:port", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		logmsg("%s port %s: %s", host, port, gai_strerror(e));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, SOMAXCONN) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	if (fd == -1)
		logmsg("%s port %s: %s", host, port, strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* systemd socket activation: the first passed socket, fd 3. */
int
listen_systemd(void)
{
	const char	*p, *n;
	long long	 pid, nfds;

	p = getenv("LISTEN_PID");
	n = getenv("LISTEN_FDS");
	if (p == NULL || n == NULL ||
	    sts_parse_num(p, 1, LLONG_MAX, 10, &pid) == -1 ||
	    sts_parse_num(n, 1, INT_MAX, 10, &nfds) == -1 ||
	    (pid_t)pid != getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

int
fd_listening(int fd)
{
	int		 v = 0;
	socklen_t	 len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}
