/* SPDX-License-Identifier: ISC */
/*
 * FastCGI mode: a pool of worker threads that accept on the socket and
 * serve what comes, growing on demand up to -T, while the main thread
 * polls for changes every -r seconds, soon after an inotify event in the
 * domain directory, and on SIGHUP.
 *
 * Accepting a new connection is serialised; a worker whose web server
 * keeps the connection open (nginx fastcgi_keep_conn, Apache enablereuse)
 * waits for that connection's next request without the lock, so it never
 * stalls the others. When no worker is left waiting for a new connection,
 * another is started, up to -T; a web server that keeps more connections
 * open than that has to wait for a free one.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "responder.h"

#define SETTLE_MS	100		/* after an inotify event, before the poll */
#define STOP_WAIT	10		/* seconds in-flight requests get at exit */
#define STACK_SIZE	(256 * 1024)
#define REQUEST_WAIT	5		/* seconds a connection has to send a whole request */
#define KEEP_IDLE	10		/* seconds a kept connection waits for its next one */
#define CLOSE_WAIT_MS	1000		/* what a connection may still send after its answer */
#define PARAMS_MAX	(64 * 1024)	/* bytes of a request up to the end of its parameters */
#define ACCEPT_BACKOFF	(100 * 1000)	/* microseconds after a failed accept */

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
	int		 lost;		/* the socket is gone: stop, exit 1 */
	int		 wake[2];	/* a worker wakes the main thread */
} pool = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.accept_mtx = PTHREAD_MUTEX_INITIALIZER,
	.listen_fd = -1,
	.wake = { -1, -1 },
};

/*
 * What is served, until the process exits: never freed, as a worker may
 * still be answering when the main thread returns.
 */
static struct reload	*served;

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

/* Another worker when none is left waiting and the pool may grow (pool.mtx held). */
static void
worker_more(int stop)
{
	int	 spawn;

	spawn = !stop && pool.idle == 0 && pool.threads < pool.max;
	if (spawn)
		pool.threads++;
	pthread_mutex_unlock(&pool.mtx);
	if (spawn && worker_start() == -1) {
		pthread_mutex_lock(&pool.mtx);
		pool.threads--;
		pthread_mutex_unlock(&pool.mtx);
	}
}

static int
stopping(void)
{
	int	 stop;

	pthread_mutex_lock(&pool.mtx);
	stop = pool.stopping;
	pthread_mutex_unlock(&pool.mtx);
	return stop;
}

/* The TLS-RPT spool (-1: none, or not opened); opened at start-up (the sandbox). */
static int		 spool_fd = -1;
static char		*spool_dir;

/* A body_fn over libfcgi's input stream (SO_RCVTIMEO bounds each read). */
static ssize_t
fcgi_body(void *arg, char *buf, size_t len)
{
	FCGX_Request	*req = arg;
	int		 n, e;

	n = FCGX_GetStr(buf, (int)len, req->in);
	if (n > 0)
		return n;
	if ((e = FCGX_GetError(req->in)) == 0)
		return 0;
	errno = e > 0 ? e : EPROTO;
	return -1;
}

static void
serve(FCGX_Request *req, struct resp_copy *rc, int nul)
{
	struct request	 rq;
	const char	*st;

	rq.nul = nul;
	rq.ctype = FCGX_GetParam("CONTENT_TYPE", req->envp);
	rq.clen = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	rq.tlsrpt = spool_dir != NULL;
	rq.spoolfd = spool_fd;
	rq.spooldir = spool_dir;
	rq.body = fcgi_body;
	rq.bodyarg = req;
	rq.method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	rq.host = FCGX_GetParam("HTTP_HOST", req->envp);
	rq.uri = FCGX_GetParam("REQUEST_URI", req->envp);
	rq.script = FCGX_GetParam("SCRIPT_NAME", req->envp);
	rq.pathinfo = FCGX_GetParam("PATH_INFO", req->envp);
	rc->len = 0;
	respond(&rq, table_lookup, NULL, rc);
	if (rc->len > 0)
		(void)FCGX_PutStr(rc->buf, (int)rc->len, req->out);
	/*
	 * A body not read (refused, or cut short) is still on the
	 * connection: it cannot carry another request.
	 */
	st = rc->len > 8 ? rc->buf + 8 : "";
	if (rq.clen != NULL && strcmp(rq.clen, "0") != 0 && rq.clen[0] != '\0' &&
	    strncmp(st, "201 ", 4) != 0)
		req->keepConnection = 0;
}

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
	int		 fd, e;

	pthread_mutex_lock(&pool.mtx);
	pool.idle++;
	pthread_mutex_unlock(&pool.mtx);
	pthread_mutex_lock(&pool.accept_mtx);
	fd = accept4(pool.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	e = errno;
	pthread_mutex_unlock(&pool.accept_mtx);
	pthread_mutex_lock(&pool.mtx);
	pool.idle--;
	worker_more(fd == -1 || pool.stopping);
	if (fd == -1)
		return -e;
	/* For each read of libfcgi's (the request body). */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req->ipcFd = fd;
	/* So that FCGX_Accept_r's leading FCGX_Finish_r leaves it open. */
	req->keepConnection = 1;
	return 0;
}

/* After a failed accept: 1 to go on, 0 to stop the worker. */
static int
accept_failed(int r, int *errs)
{
	if (stopping())
		return 0;
	if (r == -EINTR || r == -ECONNABORTED)
		return 1;
	if (r == -EBADF || r == -ENOTSOCK || r == -EINVAL) {
		pthread_mutex_lock(&pool.mtx);
		if (!pool.lost)
			logmsg("accept: %s: no socket to serve on",
			    strerror(-r));
		pool.lost = 1;
		pthread_mutex_unlock(&pool.mtx);
		if (write(pool.wake[1], "", 1) == -1 && errno != EAGAIN)
			logmsg("cannot wake the main thread: %s",
			    strerror(errno));
		return 0;
	}
	/* EMFILE and the like: say so, back off a little. */
	if ((*errs)++ < 10)
		logmsg("accept: %s", strerror(-r));
	usleep(ACCEPT_BACKOFF);
	return 1;
}

/*
 * Finish a request: the answer goes out, and the connection stays open
 * for the next request when the web server asked for that. Otherwise it
 * is closed here, by gate_close, not by libfcgi (see there).
 */
static void
finish(FCGX_Request *req)
{
	int	 keep = req->keepConnection;

	/*
	 * libfcgi closes after a broken request (a body too slow): nothing
	 * more to read, but the answer still goes out.
	 */
	if (FCGX_GetError(req->in) != 0)
		(void)shutdown(req->ipcFd, SHUT_RD);
	req->keepConnection = 1;
	FCGX_Finish_r(req);
	if (!keep && req->ipcFd >= 0) {
		gate_close(req->ipcFd, CLOSE_WAIT_MS);
		req->ipcFd = -1;
	}
}

static void *
worker(void *arg)
{
	FCGX_Request		 req;
	struct resp_copy	 rc = { NULL, 0, 0, 0 };
	struct gate_limits	 lim = { PARAMS_MAX, 0, REQUEST_WAIT * 1000L };
	unsigned char		*gbuf = NULL;
	enum gate		 g;
	int			 fresh, r, stop, nul = 0, errs = 0;

	(void)arg;
	if (FCGX_InitRequest(&req, -1, 0) != 0 ||
	    (gbuf = malloc(PARAMS_MAX)) == NULL) {
		logmsg("cannot set up a FastCGI request");
		goto out;
	}
	for (;;) {
		/* ipcFd < 0: no connection kept from the last request. */
		fresh = req.ipcFd < 0;
		if (fresh && (r = worker_accept(&req)) < 0) {
			if (!accept_failed(r, &errs))
				break;
			continue;
		}
		/* The whole request is there, or the connection goes. */
		lim.idle_ms = (fresh ? REQUEST_WAIT : KEEP_IDLE) * 1000L;
		if ((g = gate_wait(req.ipcFd, &lim, gbuf, stopping, &nul)) !=
		    GATE_READY) {
			(void)close(req.ipcFd);
			req.ipcFd = -1;
			if (g == GATE_STOPPING)
				break;
			continue;
		}
		/*
		 * Read the request. On failure (one libfcgi refuses) libfcgi
		 * has closed the connection.
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
		worker_more(stop);
		serve(&req, &rc, nul);
		finish(&req);
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
	free(gbuf);
	free(rc.buf);
	pthread_mutex_lock(&pool.mtx);
	pool.threads--;
	pthread_cond_signal(&pool.cv);
	pthread_mutex_unlock(&pool.mtx);
	return NULL;
}

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* How long until next, never negative. */
static void
ts_until(const struct timespec *next, struct timespec *ts)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ts->tv_sec = next->tv_sec - now.tv_sec;
	ts->tv_nsec = next->tv_nsec - now.tv_nsec;
	if (ts->tv_nsec < 0) {
		ts->tv_nsec += 1000000000L;
		ts->tv_sec--;
	}
	if (ts->tv_sec < 0)
		ts->tv_sec = ts->tv_nsec = 0;
}

/*
 * The main thread until SIGTERM, or until a worker found the socket gone:
 * reloads when due, on SIGHUP, and SETTLE_MS after an inotify event (when
 * the writer is done).
 */
static void
main_loop(struct reload *rl, const struct fastcgi_opts *o,
    const sigset_t *waitmask)
{
	struct timespec	 ts, now, next, soon, *tsp;
	struct pollfd	 pfd[2];
	int		 i, ifd = reload_fd(rl), settling = 0;

	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += o->interval;
	pfd[0].fd = pool.wake[0];
	pfd[0].events = POLLIN;
	while (!*o->got_term) {
		tsp = NULL;
		if (o->interval > 0) {
			ts_until(&next, &ts);
			tsp = &ts;
		}
		pfd[1].fd = ifd != -1 && !settling ? ifd : -1;
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		i = ppoll(pfd, 2, tsp, waitmask);
		if (*o->got_term || pfd[0].revents != 0)
			break;
		if (i > 0 && pfd[1].revents != 0 && !*o->got_hup) {
			settling = 1;
			clock_gettime(CLOCK_MONOTONIC, &soon);
			soon.tv_nsec += SETTLE_MS * 1000000L;
			if (soon.tv_nsec >= 1000000000L) {
				soon.tv_nsec -= 1000000000L;
				soon.tv_sec++;
			}
			if (ts_before(&soon, &next))
				next = soon;
			continue;
		}
		if (*o->got_hup) {
			*o->got_hup = 0;
			reload_poll(rl, 1);
		} else if (o->interval > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (ts_before(&now, &next))
				continue;
			reload_poll(rl, 0);
		} else
			continue;
		settling = 0;
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += o->interval;
	}
}

/* Let the requests in flight finish, for STOP_WAIT seconds at most. */
static void
pool_stop(void)
{
	struct timespec	 ts;
	int		 i;

	pthread_mutex_lock(&pool.mtx);
	pool.stopping = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += STOP_WAIT;
	for (i = 0; pool.busy > 0 && i == 0; )
		i = pthread_cond_timedwait(&pool.cv, &pool.mtx, &ts);
	if (pool.busy > 0)
		logmsg("exiting with %d requests unfinished", pool.busy);
	pthread_mutex_unlock(&pool.mtx);
}

int
fastcgi_run(int fd, const struct fastcgi_opts *o)
{
	sigset_t	 all, waitmask;
	char		 err[STS_ERR_MAX];
	const char	*off = NULL;
	int		 lost;

	if (!fd_listening(fd)) {
		logmsg("fd %d is not a listening socket", fd);
		return 1;
	}
	/* -r 0 reloads on SIGHUP only: no watching either. */
	if ((served = reload_open_kept(o->conffile, o->interval > 0,
	    lastgood_open(o->lastgood, o->lastgood_quiet), o->lastgood, err,
	    sizeof(err))) == NULL) {
		logmsg("%s", err);
		return 1;
	}
	if (FCGX_Init() != 0) {
		logmsg("cannot initialise libfcgi");
		return 1;
	}
	if (pipe2(pool.wake, O_CLOEXEC | O_NONBLOCK) == -1) {
		logmsg("pipe: %s", strerror(errno));
		return 1;
	}
	pool.listen_fd = fd;
	pool.max = o->threads;
	/* Loaded, privileges dropped, no thread yet: from here on, serve only. */
	if (reload_reports(served) != NULL) {
		if ((spool_dir = strdup(reload_reports(served))) == NULL) {
			logmsg("out of memory");
			return 1;
		}
		/* One that cannot be opened still routes /tlsrpt: 503. */
		spool_fd = spool_open(spool_dir);
	}
	if (sandbox_enter(reload_lastgood_fd(served), spool_fd, err,
	    sizeof(err), &off) == -1) {
		logmsg("%s", err);
		return 1;
	}
	if (off != NULL)
		logmsg("serving without the seccomp sandbox: %s", off);
	/* Workers never see signals; the main thread takes them in ppoll. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	pool.threads = 1;
	if (worker_start() == -1)
		return 1;
	main_loop(served, o, &waitmask);
	pool_stop();
	pthread_mutex_lock(&pool.mtx);
	lost = pool.lost;
	pthread_mutex_unlock(&pool.mtx);
	return lost;
}
