/* SPDX-License-Identifier: ISC */
/*
 * smload: a socketmap load generator for bench/resolve. C connections
 * (one thread each, one request in flight per connection, as Postfix's
 * smtp processes ask) to a unix socket, for S seconds, each request for
 * a random one of N domains "PREFIX1.SUFFIX" ... "PREFIXN.SUFFIX".
 * Prints: requests/s, p50 and p99 latency in µs, and the number of
 * replies that did not begin with EXPECT (0 when every answer was right).
 *
 *	smload SOCKET-PATH CONNS SECONDS N PREFIX SUFFIX EXPECT
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *path, *prefix, *suffix, *expect;
static int seconds, ndomains;
static double t_end;

struct worker {
	pthread_t	 th;
	unsigned	 seed;
	double		*lat;
	size_t		 n, cap;
	long		 bad;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_un sun;
	char req[512], payload[400], buf[4096];
	int fd, plen, rlen, off;
	ssize_t k;
	double t0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror(path);
		exit(1);
	}
	while ((t0 = now()) < t_end) {
		plen = snprintf(payload, sizeof(payload), "mta-sts %s%d.%s", prefix,
		    1 + (int)(rand_r(&w->seed) % (unsigned)ndomains), suffix);
		rlen = snprintf(req, sizeof(req), "%d:%s,", plen, payload);
		if (write(fd, req, (size_t)rlen) != rlen) {
			perror("write");
			exit(1);
		}
		/* one netstring back */
		off = 0;
		for (;;) {
			char *colon;

			if ((k = read(fd, buf + off, sizeof(buf) - 1 - (size_t)off)) <= 0) {
				fprintf(stderr, "smload: connection closed\n");
				exit(1);
			}
			off += (int)k;
			buf[off] = '\0';
			if ((colon = strchr(buf, ':')) != NULL &&
			    off >= (colon - buf) + 2 + atoi(buf)) {
				if (strncmp(colon + 1, expect, strlen(expect)) != 0)
					w->bad++;
				break;
			}
		}
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 65536;
			if ((w->lat = realloc(w->lat, w->cap * sizeof(*w->lat))) == NULL)
				exit(1);
		}
		w->lat[w->n++] = now() - t0;
	}
	close(fd);
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
	double *all;
	size_t total = 0, i, j;
	long bad = 0;
	int conns;

	if (argc != 8) {
		fprintf(stderr, "usage: smload SOCKET CONNS SECONDS N PREFIX SUFFIX EXPECT\n");
		return 2;
	}
	path = argv[1];
	conns = atoi(argv[2]);
	seconds = atoi(argv[3]);
	ndomains = atoi(argv[4]);
	prefix = argv[5];
	suffix = argv[6];
	expect = argv[7];
	if (conns < 1 || seconds < 1 || ndomains < 1)
		return 2;
	w = calloc((size_t)conns, sizeof(*w));
	t_end = now() + seconds;
	for (i = 0; i < (size_t)conns; i++) {
		w[i].seed = (unsigned)(i * 7919 + 1);
		pthread_create(&w[i].th, NULL, run, &w[i]);
	}
	for (i = 0; i < (size_t)conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].n;
		bad += w[i].bad;
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	for (i = 0, j = 0; i < (size_t)conns; i++) {
		memcpy(all + j, w[i].lat, w[i].n * sizeof(*all));
		j += w[i].n;
	}
	qsort(all, total, sizeof(*all), cmp);
	printf("%.0f %.0f %.0f %ld\n", (double)total / seconds,
	    total ? all[total / 2] * 1e6 : 0, total ? all[(size_t)(total * 0.99)] * 1e6 : 0,
	    bad);
	return 0;
}
