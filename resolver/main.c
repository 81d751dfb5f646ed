/* SPDX-License-Identifier: ISC */
/*
 * main.c: mta-sts-resolve's command line: the configuration, the
 * listening sockets (-s, the resolve-socket key, or systemd's LISTEN_FDS),
 * the user it becomes (it refuses to stay root), the cache file, then the
 * event loop (server.c); or one of the commands that ask the running
 * daemon about a domain: query, show, refresh, drop.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"
#include "util.h"

#define PROGNAME	"mta-sts-resolve"
#define CONF_DEFAULT	"/etc/mta-sts/mta-sts.conf"
#define CACHE_DEFAULT	"/var/lib/mta-sts-resolve/cache"
#define SOCKET_DEFAULT	"unix:/run/mta-sts-resolve/socket"
#define THREADS_DEFAULT	16
#define FDS_MAX		8

static void
usage(FILE *f)
{
	fprintf(f, "usage: " PROGNAME " [-c file] [-m file] [-s socket] "
	    "[-t threads] [-u user[:group]]\n"
	    "       " PROGNAME " [-c file] [-s socket] query | show | refresh | "
	    "drop domain\n"
	    "       " PROGNAME " -h | -V\n");
}

/* fds 0-2 open, so a socket never becomes stderr */
static int
fds_open(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

static int
sock_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len,
    int *family)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		if (strlen(spec + 5) >= sizeof(sun->sun_path) || spec[5] == '\0')
			return -1;
		sun->sun_family = AF_UNIX;
		strcpy(sun->sun_path, spec + 5);
		*len = sizeof(*sun);
		*family = AF_UNIX;
		return 0;
	}
	if (strncmp(spec, "tcp:", 4) != 0 || (colon = strrchr(spec + 4, ':')) == NULL ||
	    (size_t)(colon - spec - 4) >= sizeof(host))
		return -1;
	memcpy(host, spec + 4, (size_t)(colon - spec - 4));
	host[colon - spec - 4] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	*family = res->ai_family;
	freeaddrinfo(res);
	return 0;
}

static int
sock_listen(const char *spec)
{
	struct sockaddr_storage ss;
	struct stat st;
	socklen_t len;
	int fd, family, one = 1;

	if (sock_addr(spec, &ss, &len, &family) == -1) {
		logmsg("-s %s: expected unix:/path or tcp:address:port (a "
		    "numeric address)", spec);
		return -1;
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		logmsg("%s: socket: %s", spec, strerror(errno));
		return -1;
	}
	if (family == AF_UNIX) {
		const char *path = ((struct sockaddr_un *)&ss)->sun_path;

		/* a socket left by an earlier run; nothing else is removed */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			(void)unlink(path);
	} else
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1 || listen(fd, 1024) == -1) {
		logmsg("%s: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (family == AF_UNIX &&
	    chmod(((struct sockaddr_un *)&ss)->sun_path, 0666) == -1) {
		logmsg("%s: chmod: %s", spec, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* systemd socket activation: LISTEN_PID is us, LISTEN_FDS from fd 3 */
static int
sock_inherited(int *fds, size_t *n)
{
	const char *pid = getenv("LISTEN_PID"), *nfds = getenv("LISTEN_FDS");
	char *end;
	long k, i;

	if (pid == NULL || nfds == NULL || strtol(pid, &end, 10) != (long)getpid() ||
	    *end != '\0')
		return 0;
	k = strtol(nfds, &end, 10);
	if (*end != '\0' || k < 1 || k > FDS_MAX) {
		logmsg("LISTEN_FDS=%s: expected 1 to %d sockets", nfds, FDS_MAX);
		return -1;
	}
	for (i = 0; i < k; i++) {
		fds[i] = 3 + (int)i;
		(void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
	}
	*n = (size_t)k;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 1;
}

static int
become(const char *spec)
{
	char	err[512];
	uid_t	uid;
	gid_t	gid;

	if (sts_user_lookup(spec, &uid, &gid, err, sizeof(err)) == -1 ||
	    sts_drop_privileges(uid, gid, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return -1;
	}
	return 0;
}

/* ---- the commands: one request to the running daemon ---------------------- */

#define SHOW_WAIT	10	/* s: show reads the file when the daemon is silent */

/*
 * The exit status, or -1: the daemon does not answer (nothing listens, or
 * show waited SHOW_WAIT s); why says what happened.
 */
static int
command(const char *spec, const char *cmd, const char *domain, char *why_down,
    size_t why_len)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char req[STS_HOST_MAX + 64], buf[REPLY_MAX + 32], line[STS_HOST_MAX + 32];
	const char *name, *why = NULL;
	size_t got = 0, off, plen, used;
	ssize_t n;
	int fd = -1, family, rc;
	struct pollfd pfd;
	time_t until;
	int secs;

	if (strcmp(cmd, "query") == 0)
		name = "mta-sts";
	else if (strcmp(cmd, "show") == 0)
		name = "ctl-show";
	else if (strcmp(cmd, "refresh") == 0)
		name = "ctl-refresh";
	else if (strcmp(cmd, "drop") == 0)
		name = "ctl-drop";
	else {
		usage(stderr);
		return 2;
	}
	secs = strcmp(cmd, "show") == 0 ? SHOW_WAIT : 100;
	until = time(NULL) + secs;
	if (sock_addr(spec, &ss, &len, &family) == -1) {
		logmsg("-s %s: expected unix:/path or tcp:address:port", spec);
		return 2;
	}
	if ((size_t)snprintf(line, sizeof(line), "%s %s", name, domain) >= sizeof(line) ||
	    ns_format(req, sizeof(req), line, strlen(line)) == 0) {
		logmsg("%s: too long", domain);
		return 2;
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		logmsg("%s: %s", spec, strerror(errno));
		rc = 2;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&ss, len) == -1) {
		(void)snprintf(why_down, why_len, "%s: %s", spec, strerror(errno));
		rc = -1;
		goto out;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		logmsg("%s: %s", spec, strerror(errno));
		rc = 2;
		goto out;
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 1000) == 0) {
			if (time(NULL) >= until) {
				(void)snprintf(why_down, why_len, "%s: no answer "
				    "within %d s", spec, secs);
				rc = -1;
				goto out;
			}
			continue;
		}
		if ((n = read(fd, buf + got, sizeof(buf) - got)) <= 0) {
			logmsg("%s: the connection ended without an answer", spec);
			rc = 2;
			goto out;
		}
		got += (size_t)n;
		if ((rc = ns_parse(buf, got, REPLY_MAX, &off, &plen, &used, &why)) == -1) {
			logmsg("%s: %s", spec, why);
			rc = 2;
			goto out;
		}
		if (rc == 1)
			break;
	}
	printf("%.*s\n", (int)plen, buf + off);
	rc = plen >= 3 && strncmp(buf + off, "OK ", 3) == 0 ? 0 :
	    strncmp(buf + off, "NOTFOUND", 8) == 0 ? 1 : 2;
 out:
	if (fd != -1)
		close(fd);
	return rc;
}

/*
 * show without the daemon: the entry as the cache file has it (what a
 * daemon started now would load), said to be that. The exit status.
 */
static int
show_file(const struct sts_conf *conf, const char *domain, const char *why)
{
	struct cache *cache = NULL;
	struct entry *e;
	char err[STS_ERR_MAX], name[STS_HOST_MAX + 1], out[8192];
	const char *path = conf->resolve_cache ? conf->resolve_cache :
	    CACHE_DEFAULT;
	time_t now = time(NULL);
	int rc;

	if (key_domain(domain, strlen(domain), name, sizeof(name)) == -1) {
		printf("PERM not a domain\n");
		return 2;
	}
	if ((cache = cache_open_ro(path, now, err, sizeof(err))) == NULL) {
		logmsg("%s: the daemon does not answer, and the cache file cannot "
		    "be read: %s", why, err);
		return 2;
	}
	logmsg("%s: the daemon does not answer; this is the cache file %s as "
	    "it was last written (policies only: no lookups, failures or DANE "
	    "results)", why, path);
	if ((e = cache_get(cache, name)) == NULL) {
		printf("NOTFOUND \n");
		rc = 1;
	} else {
		ctl_show(e, now, out, sizeof(out));
		printf("%s\n", out);
		rc = 0;
	}
	cache_close(cache);
	return rc;
}

/* the command line */
struct opts {
	const char	*conffile, *sock, *user, *metrics;
	long		 threads;
	int		 argc;		/* the operands left: 0, or 2 (a command) */
	char		**argv;
};

/* -1: go on; else the exit status (-h, -V, a usage error) */
static int
opts_parse(int argc, char *argv[], struct opts *op)
{
	const char *errstr = NULL;
	char *end;
	int ch;

	op->conffile = CONF_DEFAULT;
	op->threads = THREADS_DEFAULT;
	while ((ch = getopt(argc, argv, "c:hm:s:t:u:V")) != -1) {
		switch (ch) {
		case 'c': op->conffile = optarg; break;
		case 'm': op->metrics = optarg; break;
		case 's': op->sock = optarg; break;
		case 't':
			op->threads = strtol(optarg, &end, 10);
			if (*end != '\0' || op->threads < 1 || op->threads > 256)
				errstr = "-t: expected 1 to 256 threads";
			break;
		case 'u': op->user = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROGNAME " " STS_VERSION "\n"); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (errstr != NULL) {
		logmsg("%s", errstr);
		return 2;
	}
	op->argc = argc - optind;
	op->argv = argv + optind;
	if (op->argc != 0 && op->argc != 2) {
		usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * The daemon: its rules, its sockets (systemd's or sock), the user it
 * becomes, the cache, then the server until a signal. The exit status.
 */
static int
serve(struct sts_conf *conf, const struct opts *op, const char *sock)
{
	struct server_opts so;
	struct cache *cache = NULL;
	char err[STS_ERR_MAX];
	int fds[FDS_MAX], rc = 1, inh;
	size_t nfds = 0, i;
	double t0;

	memset(&so, 0, sizeof(so));
	so.conf = conf;
	so.metrics = op->metrics;
	so.threads = (unsigned)op->threads;
	if (conf->outbound_rules != NULL && (so.rules =
	    rules_load(conf->outbound_rules, err, sizeof(err))) == NULL) {
		logmsg("%s", err);
		return 1;
	}
	if ((inh = sock_inherited(fds, &nfds)) == -1)
		return 1;
	if (inh == 0) {
		if ((fds[0] = sock_listen(sock)) == -1)
			return 1;
		nfds = 1;
	}
	so.fds = fds;
	so.nfds = nfds;
	if (op->user != NULL && become(op->user) == -1)
		return 1;
	t0 = deadline_clock();
	if ((cache = cache_open(conf->resolve_cache ? conf->resolve_cache :
	    CACHE_DEFAULT, time(NULL), err, sizeof(err))) == NULL) {
		logmsg("%s", err);
		return 1;
	}
	logmsg("started: %zu policies loaded from %s in %.3f s; outbound = %s; "
	    "listening on %s", cache_loaded(cache), conf->resolve_cache ?
	    conf->resolve_cache : CACHE_DEFAULT, deadline_clock() - t0,
	    sts_outbound_name(conf->outbound), inh ? "the sockets from systemd" :
	    sock);
	rc = server_run(&so, cache);
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	rules_free(so.rules);
	cache_close(cache);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct sts_conf conf;
	struct opts op;
	struct sigaction sa;
	const char *sock;
	char err[STS_ERR_MAX];
	int rc = 1;

	memset(&conf, 0, sizeof(conf));
	memset(&op, 0, sizeof(op));
	if (fds_open() == -1)
		return 1;
	if ((rc = opts_parse(argc, argv, &op)) != -1)
		return rc;
	rc = 1;
	if (sts_conf_load(op.conffile, &conf, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return 2;
	}
	sock = op.sock;
	if (sock == NULL)
		sock = conf.resolve_socket ? conf.resolve_socket : SOCKET_DEFAULT;
	if (op.argc == 2) {
		char why[512];

		if ((rc = command(sock, op.argv[0], op.argv[1], why,
		    sizeof(why))) == -1 && strcmp(op.argv[0], "show") == 0)
			rc = show_file(&conf, op.argv[1], why);
		else if (rc == -1) {
			logmsg("%s: %s needs the running daemon; is "
			    "mta-sts-resolve running? (show reads the cache file "
			    "without it)", why, op.argv[0]);
			rc = 2;
		}
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (geteuid() == 0 && op.user == NULL) {
		logmsg("refusing to run as root: give -u user[:group] to say whom "
		    "to run as");
		goto out;
	}
	rc = serve(&conf, &op, sock);
 out:
	sts_conf_free(&conf);
	return rc;
}
