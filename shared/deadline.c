/* SPDX-License-Identifier: ISC */
/*
 * deadline.c: the bound on a whole domain and on a whole run, on top of
 * `timeout` per network step (a hostile set of MX hosts, each stalling
 * for a full timeout at every step, would otherwise cost many minutes
 * per domain). pool.c sets the calling thread's deadline for each job:
 * the earlier of now + domain-timeout and the run's end (now +
 * run-timeout at the start). conn.c caps every step's deadline by it,
 * dns.c asks no more once it has passed, checks.c stops checking MX
 * hosts; each says what was cut short, and deadline_hit() tells the
 * caller that something was.
 */
#include <stdio.h>
#include <time.h>

#include "sender.h"

static __thread double	 dl_at;		/* CLOCK_MONOTONIC seconds; 0: none */
static __thread int	 dl_hit;
static __thread char	 dl_what[64];

double
deadline_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void
deadline_set(double at, const char *what)
{
	dl_at = at;
	dl_hit = 0;
	(void)snprintf(dl_what, sizeof(dl_what), "%s", what ? what : "");
}

double
deadline_left(void)
{
	double left;

	if (dl_at == 0)
		return -1;
	left = dl_at - deadline_clock();
	return left > 0 ? left : 0;
}

int
deadline_passed(void)
{
	if (dl_at == 0 || deadline_clock() < dl_at)
		return 0;
	dl_hit = 1;
	return 1;
}

int
deadline_hit(void)
{
	return dl_hit;
}

const char *
deadline_what(void)
{
	return dl_what[0] ? dl_what : "the deadline";
}
