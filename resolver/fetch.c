/* SPDX-License-Identifier: ISC */
/*
 * fetch.c: the worker threads, each with its own resolver, and the one
 * lookup they do for a domain: its MX hosts; DANE first (RFC 8461 §2:
 * MX records and TLSA records that the validating resolver vouches for
 * win, and a failed TLSA lookup is a temporary failure, never a
 * downgrade to MTA-STS); then the policy as a sender reads it
 * (sts_sender_policy's steps in shared/sender.c), with the names of the
 * MX hosts its patterns allow. Jobs come from the event loop and go back
 * to it through a pipe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"
#include "sender.h"

#define MX_MAX		16	/* MX hosts looked at for DANE and match */
#define JOB_SECS	60	/* one lookup in all, at most */

struct workers {
	const struct sts_conf	*conf;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct job		*todo, *todo_tail, *done;
	int			 wake_fd;
	int			 stopping;
	pthread_t		*th;
	unsigned		 n;
};

/* MX hosts of the domain (the domain itself when it has none); -1 with why */
static int
mx_hosts(struct dns *dns, const char *domain, struct sts_strlist *out,
    int *secure, char *why, size_t whylen)
{
	struct mx *mx = NULL;
	size_t n = 0, i;
	int rc = -1;

	*secure = 0;
	if (dns_mx(dns, domain, &mx, &n, why, whylen) == -1)
		return -1;
	*secure = dns_secure(dns);
	if (n == 0) {
		if (sts_strlist_add(out, domain) == -1)
			goto nomem;
	} else
		for (i = 0; i < n && i < MX_MAX; i++) {
			if (mx[i].host[0] == '\0')	/* null MX */
				continue;
			if (sts_strlist_add(out, mx[i].host) == -1)
				goto nomem;
		}
	rc = 0;
	goto out;
 nomem:
	(void)sts_err(why, whylen, "%s: out of memory", domain);
 out:
	free(mx);
	return rc;
}

/* 1 DANE applies, 0 it does not, -1 a TLSA lookup failed (why) */
static int
dane_check(struct dns *dns, const struct sts_strlist *mx, char *why,
    size_t whylen)
{
	struct tlsa *t = NULL;
	size_t i, k, n;
	int secure, dane = 0;
	char err[STS_ERR_MAX];

	for (i = 0; i < mx->n; i++) {
		if (dns_tlsa(dns, mx->v[i], 25, &t, &n, &secure, err,
		    sizeof(err)) == -1) {
			(void)sts_err(why, whylen, "DANE: the TLSA lookup for "
			    "_25._tcp.%s failed, so delivery waits: %s", mx->v[i],
			    err);
			return -1;
		}
		/* signed and usable: all-unusable records are as none (§2.2) */
		for (k = 0; secure && k < n; k++)
			if (tlsa_usable(&t[k]))
				dane = 1;
		dns_tlsa_free(t, n);
		t = NULL;
	}
	return dane;
}

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	sts_policy_free(&j->pol);
	sts_strlist_free(&j->mx);
	free(j);
}

void
resolve_job(struct dns *dns, const struct sts_conf *conf, struct job *j)
{
	struct sts_strlist mx = { 0 };
	char mxwhy[STS_ERR_MAX];

	sts_strlist_free(&j->mx);
	j->mx_ok = 0;
	int secure = 0, mxrc, rc;

	deadline_set(deadline_clock() + JOB_SECS, "a lookup (60 s)");
	memset(&j->pol, 0, sizeof(j->pol));
	j->id[0] = j->match[0] = j->why[0] = '\0';
	j->same = 0;
	mxrc = mx_hosts(dns, j->domain, &mx, &secure, mxwhy, sizeof(mxwhy));
	if (mxrc == 0 && secure && mx.n > 0) {
		rc = dane_check(dns, &mx, j->why, sizeof(j->why));
		if (rc != 0) {
			j->res = rc == 1 ? R_DANE : R_DANE_TEMP;
			goto out;
		}
	}
	rc = sts_sender_txt(dns, j->domain, j->id, j->why, sizeof(j->why));
	if (rc == -1) {
		j->res = R_TEMP;
		goto out;
	}
	if (rc == 0) {
		j->res = R_NONE;
		goto out;
	}
	if (j->old_id[0] != '\0' && strcmp(j->old_id, j->id) == 0 && !j->refetch) {
		j->res = R_STS;		/* the cached policy holds */
		j->same = 1;
		goto out;
	}
	if (sts_sender_fetch(dns, j->domain, conf->ca_file, conf->timeout,
	    &j->pol, NULL, j->why, sizeof(j->why)) == -1) {
		j->res = R_FAIL;
		goto out;
	}
	j->res = R_STS;
 out:
	if (mxrc == 0) {
		j->mx = mx;		/* the MX hosts, for the match list */
		memset(&mx, 0, sizeof(mx));
		j->mx_ok = 1;
	}
	if (j->res == R_STS && !j->same && match_list(&j->pol.mx,
	    j->mx_ok ? &j->mx : NULL, j->match, sizeof(j->match)) == -1) {
		j->res = R_FAIL;
		(void)snprintf(j->why, sizeof(j->why), "%s: too many MX names "
		    "for a match list", j->domain);
	}
	sts_strlist_free(&mx);
	deadline_set(0, NULL);
}

static void *
worker(void *arg)
{
	struct workers *w = arg;
	struct dns *dns = NULL;
	struct job *j;
	char err[STS_ERR_MAX];

	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->todo == NULL && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stopping) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		j = w->todo;
		if ((w->todo = j->next) == NULL)
			w->todo_tail = NULL;
		pthread_mutex_unlock(&w->mu);
		if (dns == NULL &&
		    (dns = dns_open(w->conf->resolver, w->conf->timeout, err,
		    sizeof(err))) == NULL) {
			j->res = R_TEMP;
			(void)snprintf(j->why, sizeof(j->why), "%s", err);
		} else
			resolve_job(dns, w->conf, j);
		pthread_mutex_lock(&w->mu);
		j->next = w->done;
		w->done = j;
		pthread_mutex_unlock(&w->mu);
		while (write(w->wake_fd, "j", 1) == -1 && errno == EINTR)
			;
	}
	dns_close(dns);
	return NULL;
}

struct workers *
workers_start(const struct sts_conf *conf, unsigned n, int wake_fd, char *err,
    size_t errlen)
{
	struct workers *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->th = calloc(n, sizeof(*w->th))) == NULL) {
		free(w);
		(void)sts_err(err, errlen, "out of memory");
		return NULL;
	}
	w->conf = conf;
	w->wake_fd = wake_fd;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	for (w->n = 0; w->n < n; w->n++)
		if (pthread_create(&w->th[w->n], NULL, worker, w) != 0) {
			(void)sts_err(err, errlen, "cannot start a thread");
			workers_stop(w);
			return NULL;
		}
	return w;
}

void
workers_submit(struct workers *w, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->todo_tail != NULL)
		w->todo_tail->next = j;
	else
		w->todo = j;
	w->todo_tail = j;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

struct job *
workers_done(struct workers *w)
{
	struct job *j;

	pthread_mutex_lock(&w->mu);
	if ((j = w->done) != NULL)
		w->done = j->next;
	pthread_mutex_unlock(&w->mu);
	return j;
}

void
workers_stop(struct workers *w)
{
	struct timespec until;
	unsigned i;
	struct job *j;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 1;
	for (i = 0; i < w->n; i++)
		if (pthread_timedjoin_np(w->th[i], NULL, &until) != 0) {
			/* stuck in a lookup: the process ends without it */
			logmsg("stopping without waiting for %u lookups in progress",
			    w->n - i);
			return;
		}
	while ((j = w->todo) != NULL) {
		w->todo = j->next;
		job_free(j);
	}
	while ((j = w->done) != NULL) {
		w->done = j->next;
		job_free(j);
	}
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->th);
	free(w);
}
