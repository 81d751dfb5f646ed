/* SPDX-License-Identifier: ISC */
/*
 * Times a command run as a CGI would run it: N times fork, exec, wait,
 * with stdout to /dev/null; prints the median and 99th percentile in
 * microseconds. Usage: cgitime N COMMAND [ARG ...] (environment passed on).
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct timespec	 t0, t1;
	double		*us;
	long		 n, i;
	pid_t		 pid;
	int		 status, fd;

	if (argc < 3 || (n = strtol(argv[1], NULL, 10)) < 1 || n > 100000) {
		fprintf(stderr, "usage: cgitime N COMMAND [ARG ...]\n");
		return 2;
	}
	if ((us = calloc((size_t)n, sizeof(*us))) == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if ((pid = fork()) == -1)
			return 2;
		if (pid == 0) {
			if ((fd = open("/dev/null", O_RDWR)) != -1) {
				dup2(fd, 0);
				dup2(fd, 1);
			}
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "cgitime: %s failed\n", argv[2]);
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		us[i] = (t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3;
	}
	qsort(us, (size_t)n, sizeof(*us), cmp);
	printf("%.0f %.0f\n", us[n / 2], us[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	free(us);
	return 0;
}
