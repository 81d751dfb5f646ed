/*
 * mta-sts-fcgi: serves https://mta-sts.<domain>/.well-known/mta-sts.txt
 * for every domain in the domain directory, as a FastCGI responder behind
 * any web server, or as a plain CGI program.
 *
 * FastCGI when fd 0 is a listening socket (lighttpd bin-path, spawn-fcgi,
 * mod_fcgid), with -s, or under systemd socket activation; CGI otherwise.
 * FastCGI requests are served by a pool of threads that grows on demand up
 * to -t; the main thread polls for changes every -r seconds, soon after an
 * inotify event in the domain directory, and on SIGHUP.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "mtasts.h"
#include "responder.h"

#define WELL_KNOWN	"/.well-known/mta-sts.txt"
#define THREADS_DEFAULT	64
#define THREADS_MAX	4096
#define POLL_DEFAULT	2
#define POLL_MAX	86400
#define SETTLE_MS	100		/* after an inotify event, before the poll */
#define STOP_WAIT	10		/* seconds in-flight requests get at exit */
#define STACK_SIZE	(256 * 1024)
#define REQUEST_WAIT	5		/* seconds a new connection has to send its request */

static volatile sig_atomic_t	 got_hup, got_term;

static struct {
	pthread_mutex_t	 mtx;		/* the counters below */
	pthread_cond_t	 cv;		/* busy went down */
	pthread_mutex_t	 accept_mtx;	/* one thread in accept() at a time */
	int		 listen_fd;
	int		 max;
	int		 threads;
	int		 idle;		/* waiting for a new connection */
	int		 busy;		/* serving a request */
	int		 stopping;
} pool = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.accept_mtx = PTHREAD_MUTEX_INITIALIZER,
	.listen_fd = -1,
};

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

static void __attribute__((noreturn))
usage(int st)
{
	fprintf(st ? stderr : stdout,
	    "usage: " PROGNAME " [-hV] [-c file] [-s unix:path | tcp:host:port] "
	    "[-u user[:group]]\n"
	    "       [-M mode] [-t threads] [-r seconds]\n");
	exit(st);
}

/* strtonum-style: the whole string, base 10 (or 8), within [min, max]. */
static int
parse_num(const char *s, long long min, long long max, int base,
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

static void
fds_open(void)
{
	int	 fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			exit(1);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
signals_init(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;	/* no SA_RESTART */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/* ---- requests ----------------------------------------------------------- */

struct request {
	const char	*method;
	const char	*host;
	const char	*uri;
	const char	*script;
	const char	*pathinfo;
};

static int
error_resp(struct resp_copy *out, const char *status, const char *extra,
    const char *body, int head)
{
	char	 buf[1024], *nb;
	int	 n;

	n = snprintf(buf, sizeof(buf), "Status: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s\r\n%s", status, strlen(body), extra, body);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	if (out->cap < (size_t)n) {
		if ((nb = realloc(out->buf, n)) == NULL)
			return -1;
		out->buf = nb;
		out->cap = n;
	}
	memcpy(out->buf, buf, n);
	out->len = n;
	out->headlen = n - strlen(body);
	if (head)
		out->len = out->headlen;
	return 0;
}

/*
 * The path of the request: REQUEST_URI up to any query string (which is
 * ignored), else SCRIPT_NAME and PATH_INFO. Compared as sent, not decoded:
 * "/.well-known/mta%2Dsts.txt" is not the policy.
 */
static int
is_policy_path(const struct request *rq)
{
	static const char	 wk[] = WELL_KNOWN;
	size_t			 len, sl;

	if (rq->uri != NULL) {
		len = strcspn(rq->uri, "?");
		return len == sizeof(wk) - 1 && memcmp(rq->uri, wk, len) == 0;
	}
	if (rq->script == NULL)
		return 0;
	sl = strlen(rq->script);
	if (sl > sizeof(wk) - 1 || memcmp(rq->script, wk, sl) != 0)
		return 0;
	return strcmp(&wk[sl], rq->pathinfo ? rq->pathinfo : "") == 0;
}

/*
 * The response to a request, into out. lookup is table_lookup in FastCGI
 * mode, a one-domain load in CGI mode (conffile given).
 */
static void
respond(const struct request *rq, const char *conffile, struct resp_copy *out)
{
	char	 domain[STS_HOST_MAX + 1];
	int	 head, r;

	head = rq->method != NULL && strcmp(rq->method, "HEAD") == 0;
	if (rq->host == NULL || sts_host_policy_domain(rq->host,
	    strlen(rq->host), domain, sizeof(domain)) == -1) {
		r = error_resp(out, "400 Bad Request", "",
		    "bad request: the Host must be mta-sts.<domain>\n", head);
		goto out;
	}
	if (rq->method == NULL || (!head && strcmp(rq->method, "GET") != 0)) {
		r = error_resp(out, "405 Method Not Allowed",
		    "Allow: GET, HEAD\r\n", "method not allowed\n", 0);
		goto out;
	}
	if (!is_policy_path(rq)) {
		r = error_resp(out, "404 Not Found", "",
		    "not found: only /.well-known/mta-sts.txt is here\n", head);
		goto out;
	}
	if (conffile != NULL)
		r = cgi_load_domain(conffile, domain, out);
	else
		r = table_lookup(domain, out);
	if (r == 1) {
		if (head)
			out->len = out->headlen;
		return;
	}
	if (r == 0)
		r = error_resp(out, "404 Not Found", "",
		    "not found: no MTA-STS policy for this domain\n", head);
	else {
		char	 esc[STS_HOST_MAX * 4 + 8];

		logmsg("%s: cannot answer (see above, or out of memory)",
		    sts_escape(esc, sizeof(esc), domain, strlen(domain)));
		r = error_resp(out, "500 Internal Server Error", "",
		    "server error\n", head);
	}
out:
	if (r == -1) {
		logmsg("out of memory");
		out->len = 0;
	}
}

/* ---- FastCGI ------------------------------------------------------------ */

static void	*worker(void *);

static int
worker_start(void)
{
	pthread_attr_t	 attr;
	pthread_t	 tid;
	int		 e;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, STACK_SIZE);
	e = pthread_create(&tid, &attr, worker, NULL);
	pthread_attr_destroy(&attr);
	if (e != 0) {
		logmsg("cannot start a worker thread: %s", strerror(e));
		return -1;
	}
	return 0;
}

static void
serve(FCGX_Request *req, struct resp_copy *rc)
{
	struct request	 rq;

	rq.method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	rq.host = FCGX_GetParam("HTTP_HOST", req->envp);
	rq.uri = FCGX_GetParam("REQUEST_URI", req->envp);
	rq.script = FCGX_GetParam("SCRIPT_NAME", req->envp);
	rq.pathinfo = FCGX_GetParam("PATH_INFO", req->envp);
	rc->len = 0;
	respond(&rq, NULL, rc);
	if (rc->len > 0)
		(void)FCGX_PutStr(rc->buf, (int)rc->len, req->out);
}

/*
 * Each worker accepts on the shared socket and serves what comes. Accepting
 * a new connection is serialised; a worker whose web server keeps the
 * connection open (nginx fastcgi_keep_conn, Apache enablereuse) waits for
 * that connection's next request without the lock, so it never stalls the
 * others. When no worker is left waiting for a new connection, another is
 * started, up to -t; a web server that keeps more connections open than
 * that has to wait for a free one.
 */
/*
 * A new connection: accepted here, under the lock, so that libfcgi never
 * accepts by itself (the request's listen_sock is -1) and a client that is
 * slow to send its request holds one worker, not the accept lock. Another
 * worker takes over accepting at once. -errno on failure.
 */
static int
worker_accept(FCGX_Request *req)
{
	struct timeval	 tv = { REQUEST_WAIT, 0 };
	int		 fd, e, spawn;

	pthread_mutex_lock(&pool.mtx);
	pool.idle++;
	pthread_mutex_unlock(&pool.mtx);
	pthread_mutex_lock(&pool.accept_mtx);
	fd = accept4(pool.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	e = errno;
	pthread_mutex_unlock(&pool.accept_mtx);
	pthread_mutex_lock(&pool.mtx);
	pool.idle--;
	spawn = fd != -1 && !pool.stopping && pool.idle == 0 &&
	    pool.threads < pool.max;
	if (spawn)
		pool.threads++;
	pthread_mutex_unlock(&pool.mtx);
	if (spawn && worker_start() == -1) {
		pthread_mutex_lock(&pool.mtx);
		pool.threads--;
		pthread_mutex_unlock(&pool.mtx);
	}
	if (fd == -1)
		return -e;
	/* Until its first request is read and answered. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req->ipcFd = fd;
	/* So that FCGX_Accept_r's leading FCGX_Finish_r leaves it open. */
	req->keepConnection = 1;
	return 0;
}

static void *
worker(void *arg)
{
	FCGX_Request		 req;
	struct resp_copy	 rc = { NULL, 0, 0, 0 };
	struct timeval		 none = { 0, 0 };
	int			 fresh, r, spawn, stop, errs = 0;

	(void)arg;
	if (FCGX_InitRequest(&req, -1, 0) != 0) {
		logmsg("cannot set up a FastCGI request");
		goto out;
	}
	for (;;) {
		/* ipcFd < 0: no connection kept from the last request. */
		fresh = req.ipcFd < 0;
		if (fresh && (r = worker_accept(&req)) < 0) {
			pthread_mutex_lock(&pool.mtx);
			stop = pool.stopping;
			pthread_mutex_unlock(&pool.mtx);
			if (stop)
				break;
			if (r == -EINTR || r == -ECONNABORTED)
				continue;
			if (r == -EBADF || r == -ENOTSOCK || r == -EINVAL) {
				logmsg("accept: %s: no socket to serve on",
				    strerror(-r));
				_exit(1);
			}
			/* EMFILE and the like: say so, back off a little. */
			if (errs++ < 10)
				logmsg("accept: %s", strerror(-r));
			usleep(100 * 1000);
			continue;
		}
		/*
		 * Read the request. On failure (a client that sent no valid
		 * request in time, a kept connection closed by the web
		 * server) libfcgi has closed the connection.
		 */
		r = FCGX_Accept_r(&req);
		pthread_mutex_lock(&pool.mtx);
		stop = pool.stopping;
		if (r < 0) {
			pthread_mutex_unlock(&pool.mtx);
			if (stop)
				break;
			continue;
		}
		/* A request accepted while stopping is still answered. */
		errs = 0;
		pool.busy++;
		spawn = !stop && pool.idle == 0 && pool.threads < pool.max;
		if (spawn)
			pool.threads++;
		pthread_mutex_unlock(&pool.mtx);
		if (spawn && worker_start() == -1) {
			pthread_mutex_lock(&pool.mtx);
			pool.threads--;
			pthread_mutex_unlock(&pool.mtx);
		}
		serve(&req, &rc);
		FCGX_Finish_r(&req);
		/* Kept open by the web server: wait for its next request. */
		if (fresh && req.ipcFd >= 0)
			(void)setsockopt(req.ipcFd, SOL_SOCKET, SO_RCVTIMEO,
			    &none, sizeof(none));
		pthread_mutex_lock(&pool.mtx);
		pool.busy--;
		stop = pool.stopping;
		pthread_cond_signal(&pool.cv);
		pthread_mutex_unlock(&pool.mtx);
		if (stop)
			break;
	}
	FCGX_Free(&req, 1);
out:
	free(rc.buf);
	pthread_mutex_lock(&pool.mtx);
	pool.threads--;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mtx);
	return NULL;
}

static int
listen_unix(const char *path, mode_t mode, int setmode, uid_t uid, gid_t gid)
{
	struct sockaddr_un	 sun;
	struct stat		 sb;
	int			 fd = -1;

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
		goto fail;
	}
	if (setmode && chmod(path, mode) == -1) {
		logmsg("%s: chmod: %s", path, strerror(errno));
		goto fail;
	}
	if (uid != (uid_t)-1 && geteuid() == 0 && chown(path, uid, gid) == -1) {
		logmsg("%s: chown: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

static int
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
static int
listen_systemd(void)
{
	const char	*p, *n;
	long long	 pid, nfds;

	p = getenv("LISTEN_PID");
	n = getenv("LISTEN_FDS");
	if (p == NULL || n == NULL ||
	    parse_num(p, 1, LLONG_MAX, 10, &pid) == -1 ||
	    parse_num(n, 1, INT_MAX, 10, &nfds) == -1 ||
	    (pid_t)pid != getpid())
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	return 3;
}

static int
fd_listening(int fd)
{
	int		 v = 0;
	socklen_t	 len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v;
}

static int
fastcgi_run(int fd, const char *conffile, int threads, int interval)
{
	sigset_t	 all, waitmask;
	struct timespec	 ts, now, next, soon, *tsp;
	struct pollfd	 pfd;
	char		 err[STS_ERR_MAX];
	int		 i, ifd = -1, settling = 0, nfds;

	if (!fd_listening(fd)) {
		logmsg("fd %d is not a listening socket", fd);
		return 1;
	}
	/* -r 0 reloads on SIGHUP only: no watching either. */
	if (interval > 0)
		ifd = table_watch();
	if (table_init(conffile, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return 1;
	}
	if (FCGX_Init() != 0) {
		logmsg("cannot initialise libfcgi");
		return 1;
	}
	pool.listen_fd = fd;
	pool.max = threads;
	/* Loaded, privileges dropped, no thread yet: from here on, serve only. */
	if (sandbox_enter(err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return 1;
	}

	/* Workers never see signals; the main thread takes them in ppoll. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	pool.threads = 1;
	if (worker_start() == -1)
		return 1;

	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += interval;
	while (!got_term) {
		tsp = NULL;
		if (interval > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			ts.tv_sec = next.tv_sec - now.tv_sec;
			ts.tv_nsec = next.tv_nsec - now.tv_nsec;
			if (ts.tv_nsec < 0) {
				ts.tv_nsec += 1000000000L;
				ts.tv_sec--;
			}
			if (ts.tv_sec < 0)
				ts.tv_sec = ts.tv_nsec = 0;
			tsp = &ts;
		}
		/* An event: poll a little later, when the writer is done. */
		nfds = ifd != -1 && !settling;
		pfd.fd = ifd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		i = ppoll(nfds ? &pfd : NULL, nfds, tsp, &waitmask);
		if (got_term)
			break;
		if (i > 0 && pfd.revents != 0 && !got_hup) {
			settling = 1;
			clock_gettime(CLOCK_MONOTONIC, &soon);
			soon.tv_nsec += SETTLE_MS * 1000000L;
			if (soon.tv_nsec >= 1000000000L) {
				soon.tv_nsec -= 1000000000L;
				soon.tv_sec++;
			}
			if (soon.tv_sec < next.tv_sec || (soon.tv_sec ==
			    next.tv_sec && soon.tv_nsec < next.tv_nsec))
				next = soon;
			continue;
		}
		if (got_hup) {
			got_hup = 0;
			table_poll(1);
		} else if (interval > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec < next.tv_sec ||
			    (now.tv_sec == next.tv_sec &&
			    now.tv_nsec < next.tv_nsec))
				continue;
			table_poll(0);
		} else
			continue;
		settling = 0;
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += interval;
	}

	/* Let the requests in flight finish, then go. */
	pthread_mutex_lock(&pool.mtx);
	pool.stopping = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STOP_WAIT;
	for (i = 0; pool.busy > 0 && i == 0; )
		i = pthread_cond_timedwait(&pool.cv, &pool.mtx, &ts);
	if (pool.busy > 0)
		logmsg("exiting with %d requests unfinished", pool.busy);
	pthread_mutex_unlock(&pool.mtx);
	return 0;
}

/* ---- CGI ------------------------------------------------------------------ */

/*
 * A request body (a POST, answered 405) is read and thrown away first: a
 * web server still writing it to a CGI that has already exited gets EPIPE
 * and may drop the answer (Apache's mod_cgid does). At most 1 MiB; beyond
 * that the web server's own limits apply.
 */
static void
cgi_drain(const char *content_length)
{
	char		buf[8192];
	long long	left;
	ssize_t		n;

	if (content_length == NULL ||
	    parse_num(content_length, 1, LLONG_MAX, 10, &left) == -1)
		return;
	if (left > 1 << 20)
		left = 1 << 20;
	while (left > 0) {
		n = read(STDIN_FILENO, buf,
		    left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= n;
	}
}

static int
cgi_run(const char *conffile)
{
	struct request		 rq;
	struct resp_copy	 rc = { NULL, 0, 0, 0 };
	size_t			 off = 0;
	ssize_t			 n;
	int			 st = 0;

	rq.method = getenv("REQUEST_METHOD");
	rq.host = getenv("HTTP_HOST");
	rq.uri = getenv("REQUEST_URI");
	rq.script = getenv("SCRIPT_NAME");
	rq.pathinfo = getenv("PATH_INFO");
	cgi_drain(getenv("CONTENT_LENGTH"));
	respond(&rq, conffile, &rc);
	while (off < rc.len) {
		if ((n = write(STDOUT_FILENO, rc.buf + off, rc.len - off)) == -1) {
			if (errno == EINTR)
				continue;
			st = 1;
			break;
		}
		off += n;
	}
	free(rc.buf);
	return st;
}

/* In CGI mode: mta-sts.conf beside the program, if there is one. */
static char *
conf_beside(const char *argv0)
{
	char	 self[PATH_MAX], *slash, *path = NULL;
	ssize_t	 n;

	if (argv0 != NULL && strchr(argv0, '/') != NULL &&
	    strlen(argv0) < sizeof(self))
		memcpy(self, argv0, strlen(argv0) + 1);
	else if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0)
		self[n] = '\0';
	else
		return NULL;
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&path, "%s/mta-sts.conf", self[0] ? self : "/") == -1)
		return NULL;
	if (access(path, R_OK) == -1) {
		free(path);
		return NULL;
	}
	return path;
}

/* ---- start-up ------------------------------------------------------------ */

static int
user_lookup(const char *spec, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;
	char		 user[256];
	const char	*colon;
	size_t		 ul;

	colon = strchr(spec, ':');
	ul = colon ? (size_t)(colon - spec) : strlen(spec);
	if (ul == 0 || ul >= sizeof(user)) {
		logmsg("-u %s: expected user[:group]", spec);
		return -1;
	}
	memcpy(user, spec, ul);
	user[ul] = '\0';
	if ((pw = getpwnam(user)) == NULL) {
		logmsg("-u: no such user: %s", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		logmsg("-u %s: refusing to run as root", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon + 1)) == NULL) {
			logmsg("-u: no such group: %s", colon + 1);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

static int
drop_privileges(uid_t uid, gid_t gid)
{
	if (geteuid() != 0) {
		if (uid == geteuid())
			return 0;
		logmsg("-u: only root can change user");
		return -1;
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		logmsg("cannot change user: %s", strerror(errno));
		return -1;
	}
	if (setuid(0) != -1) {
		logmsg("could regain root after changing user; stopping");
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*conffile = NULL, *sock = NULL, *user = NULL;
	char		*beside = NULL;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;
	long long	 v;
	mode_t		 mode = 0;
	int		 ch, fd = -1, setmode = 0, threads = THREADS_DEFAULT;
	int		 interval = POLL_DEFAULT, st = 1;

	fds_open();
	while ((ch = getopt(argc, argv, "hVc:s:u:M:t:r:")) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'V':
			printf(PROGNAME " " STS_VERSION "\n");
			return 0;
		case 'c':
			conffile = optarg;
			break;
		case 's':
			sock = optarg;
			if (strncmp(sock, "unix:", 5) != 0 &&
			    strncmp(sock, "tcp:", 4) != 0) {
				logmsg("-s %s: expected unix:path or "
				    "tcp:host:port", sock);
				usage(1);
			}
			break;
		case 'u':
			user = optarg;
			break;
		case 'M':
			if (parse_num(optarg, 0, 0777, 8, &v) == -1) {
				logmsg("-M %s: expected an octal mode", optarg);
				usage(1);
			}
			mode = (mode_t)v;
			setmode = 1;
			break;
		case 't':
			if (parse_num(optarg, 1, THREADS_MAX, 10, &v) == -1) {
				logmsg("-t %s: expected 1 to %d", optarg,
				    THREADS_MAX);
				usage(1);
			}
			threads = (int)v;
			break;
		case 'r':
			if (parse_num(optarg, 0, POLL_MAX, 10, &v) == -1) {
				logmsg("-r %s: expected 0 to %d seconds",
				    optarg, POLL_MAX);
				usage(1);
			}
			interval = (int)v;
			break;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	if (geteuid() == 0 && user == NULL) {
		logmsg("refusing to run as root: give -u user[:group] "
		    "to say whom to run as");
		return 1;
	}
	if (user != NULL && user_lookup(user, &uid, &gid) == -1)
		return 1;
	signals_init();

	if (sock != NULL) {
		if (strncmp(sock, "unix:", 5) == 0)
			fd = listen_unix(sock + 5, mode, setmode, uid, gid);
		else
			fd = listen_tcp(sock + 4);
		if (fd == -1)
			return 1;
	} else if ((fd = listen_systemd()) == -1 && fd_listening(0))
		fd = 0;
	if (user != NULL && drop_privileges(uid, gid) == -1)
		goto out;

	if (conffile == NULL)
		conffile = getenv("MTA_STS_CONF");
	if (conffile != NULL && conffile[0] == '\0')
		conffile = NULL;
	if (fd == -1) {
		if (getenv("REQUEST_METHOD") == NULL) {
			logmsg("no request: run me from a web server (CGI or "
			    "FastCGI), or give -s; see -h");
			goto out;
		}
		if (conffile == NULL && (beside = conf_beside(argv[0])) != NULL)
			conffile = beside;
		st = cgi_run(conffile ? conffile : STS_CONF_DEFAULT);
		goto out;
	}
	st = fastcgi_run(fd, conffile ? conffile : STS_CONF_DEFAULT, threads,
	    interval);
out:
	free(beside);
	return st;
}
