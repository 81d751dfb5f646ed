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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

int
listen_unix(const char *path, mode_t mode, int setmode, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd = -1, ret = -1;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		logmsg("%s: socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* A socket left from an earlier run goes; anything else stays. */
	if (lstat(path, &sb) == 0 && S_ISSOCK(sb.st_mode))
		(void)unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		logmsg("%s: %s", path, strerror(errno));
		goto out;
	}
	if (setmode && chmod(path, mode) == -1) {
		logmsg("%s: chmod: %s", path, strerror(errno));
		goto out;
	}
	if (uid != (uid_t)-1 && geteuid() == 0 && chown(path, uid, gid) == -1) {
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
