/* SPDX-License-Identifier: ISC */
/*
 * smload: a socketmap load generator for bench/resolve. C connections to
 * a unix socket, for S seconds, one request in flight per connection (as
 * Postfix's smtp processes ask: a request, then wait for its reply),
 * each request for a random one of N domains "PREFIX1.SUFFIX" ...
 * "PREFIXN.SUFFIX". The connections are spread over THREADS threads
 * (by default, or 0: one thread per connection, as Postfix has one smtp
 * process per connection), each waiting for its connections' replies
 * with epoll, as Postfix waits with poll() before it reads: a thread is
 * woken when a reply is there, not also when the daemon takes its request
 * (as a thread blocked in read() is, on a unix socket), so the generator
 * costs the daemon under test no wake-ups beyond the replies; with fewer
 * threads than connections one wake-up collects every reply that has
 * arrived.
 * IDLE more connections (default 0) are opened first and held open,
 * asking nothing, as a large Postfix keeps one per smtp process.
 * Prints: requests/s, p50 and p99 latency in µs (from the write of a
 * request to the read of the whole reply), and the number of replies
 * that did not begin with EXPECT (0 when every answer was right).
 *
 *	smload SOCKET-PATH CONNS SECONDS N PREFIX SUFFIX EXPECT [THREADS [IDLE]]
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *path, *prefix, *suffix, *expect;
static size_t expect_len;
static int ndomains;
static double t_end;

struct conn {
	int		 fd;
	double		 t0;		/* the request was written */
	size_t		 off;
	char		 buf[4096];
};

struct worker {
	pthread_t	 th;
	unsigned	 seed;
	struct conn	*c;
	int		 nc;
	double		*lat;
	size_t		 n, cap;
	long		 bad;
};

static int
unix_connect(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(path);
		exit(1);
	}
	return fd;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
send_one(struct worker *w, struct conn *c)
{
	char req[512], payload[400];
	int plen, rlen;

	plen = snprintf(payload, sizeof(payload), "mta-sts %s%d.%s", prefix,
	    1 + (int)(rand_r(&w->seed) % (unsigned)ndomains), suffix);
	rlen = snprintf(req, sizeof(req), "%d:%s,", plen, payload);
	c->off = 0;
	c->t0 = now();
	if (write(c->fd, req, (size_t)rlen) != rlen) {
		perror("smload: write");
		exit(1);
	}
}

/* 1: the whole reply is in c->buf; 0: more to come */
static int
reply_done(struct conn *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->off && c->buf[i] >= '0' && c->buf[i] <= '9'; i++)
		n = n * 10 + (size_t)(c->buf[i] - '0');
	if (i == c->off)
		return 0;
	if (i == 0 || c->buf[i] != ':' || n > sizeof(c->buf) - 16) {
		fprintf(stderr, "smload: not a netstring reply\n");
		exit(1);
	}
	if (c->off < i + 1 + n + 1)
		return 0;
	if (c->buf[i + 1 + n] != ',') {
		fprintf(stderr, "smload: not a netstring reply\n");
		exit(1);
	}
	c->buf[i + 1 + n] = '\0';
	return 1 + (int)i;	/* where the payload starts, + 1 */
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev, evs[64];
	int ep, i, k, open_conns, start;
	ssize_t r;
	double t;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("smload: epoll_create1");
		exit(1);
	}
	for (i = 0; i < w->nc; i++) {
		struct conn *c = &w->c[i];

		c->fd = unix_connect();
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
			perror("smload: epoll_ctl");
			exit(1);
		}
	}
	for (i = 0; i < w->nc; i++)
		send_one(w, &w->c[i]);
	open_conns = w->nc;
	while (open_conns > 0) {
		if ((k = epoll_wait(ep, evs, 64, 1000)) == -1) {
			if (errno == EINTR)
				continue;
			perror("smload: epoll_wait");
			exit(1);
		}
		for (i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;

			r = read(c->fd, c->buf + c->off, sizeof(c->buf) - 1 - c->off);
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r <= 0) {
				fprintf(stderr, "smload: connection closed\n");
				exit(1);
			}
			c->off += (size_t)r;
			if ((start = reply_done(c)) == 0)
				continue;
			t = now();
			if (strncmp(c->buf + start, expect, expect_len) != 0)
				w->bad++;
			if (w->n == w->cap) {
				w->cap = w->cap ? w->cap * 2 : 65536;
				if ((w->lat = realloc(w->lat, w->cap *
				    sizeof(*w->lat))) == NULL)
					exit(1);
			}
			w->lat[w->n++] = t - c->t0;
			if (t < t_end)
				send_one(w, c);
			else {
				close(c->fd);
				open_conns--;
			}
		}
	}
	close(ep);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct worker *w;
	struct conn *conns;
	double *all, t0, elapsed;
	size_t total = 0, i, j;
	long bad = 0;
	struct rlimit rl;
	int nconns, seconds, threads = 0, idle = 0, *idle_fd;

	if (argc < 8 || argc > 10) {
		fprintf(stderr, "usage: smload SOCKET CONNS SECONDS N PREFIX "
		    "SUFFIX EXPECT [THREADS [IDLE]]\n");
		return 2;
	}
	path = argv[1];
	nconns = atoi(argv[2]);
	seconds = atoi(argv[3]);
	ndomains = atoi(argv[4]);
	prefix = argv[5];
	suffix = argv[6];
	expect = argv[7];
	expect_len = strlen(expect);
	if (argc >= 9)
		threads = atoi(argv[8]);
	if (argc == 10)
		idle = atoi(argv[9]);
	if (nconns < 1 || seconds < 1 || ndomains < 1 || threads < 0 || idle < 0)
		return 2;
	if (threads == 0)
		threads = nconns;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)(nconns + idle + 64)) {
		rl.rlim_cur = (rlim_t)(nconns + idle + 64);
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
			perror("smload: setrlimit");
			return 1;
		}
	}
	if ((idle_fd = calloc((size_t)idle + 1, sizeof(*idle_fd))) == NULL)
		return 1;
	for (i = 0; i < (size_t)idle; i++)
		idle_fd[i] = unix_connect();
	if (threads > nconns)
		threads = nconns;
	if ((w = calloc((size_t)threads, sizeof(*w))) == NULL ||
	    (conns = calloc((size_t)nconns, sizeof(*conns))) == NULL)
		return 1;
	for (i = 0, j = 0; i < (size_t)threads; i++) {
		w[i].seed = (unsigned)(i * 7919 + 1);
		w[i].c = conns + j;
		w[i].nc = nconns / threads + ((int)i < nconns % threads);
		j += (size_t)w[i].nc;
	}
	t0 = now();
	t_end = t0 + seconds;
	for (i = 0; i < (size_t)threads; i++)
		if (pthread_create(&w[i].th, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "smload: cannot start a thread\n");
			return 1;
		}
	for (i = 0; i < (size_t)threads; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].n;
		bad += w[i].bad;
	}
	elapsed = now() - t0;
	for (i = 0; i < (size_t)idle; i++)
		close(idle_fd[i]);
	if ((all = malloc((total ? total : 1) * sizeof(*all))) == NULL)
		return 1;
	for (i = 0, j = 0; i < (size_t)threads; i++) {
		memcpy(all + j, w[i].lat, w[i].n * sizeof(*all));
		j += w[i].n;
	}
	qsort(all, total, sizeof(*all), cmp);
	printf("%.0f %.0f %.0f %ld\n", (double)total / elapsed,
	    total ? all[total / 2] * 1e6 : 0, total ? all[(size_t)(total * 0.99)] * 1e6 : 0,
	    bad);
	return 0;
}
