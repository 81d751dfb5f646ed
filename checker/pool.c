/* SPDX-License-Identifier: ISC */
/*
 * pool.c: the -j worker threads and what they share for one run. Each
 * worker has its own resolver and takes the next selected job; a job
 * writes only its own report. The SMTP cache checks each MX host once per
 * run, however many domains use it: the first worker to ask checks it,
 * the others wait for its result. Nothing here exits or prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

struct smtp_entry {
	struct smtp_entry	*next;
	char			 host[STS_HOST_MAX + 1];
	int			 done, rc;
	struct smtp_result	 res;
	char			 err[STS_ERR_MAX];
};

int
pool_init(struct run *run)
{
	pthread_mutex_t *mus[] = { &run->mu, &run->load_mu, &run->out_mu,
	    &run->smtp_mu };
	size_t i, n = sizeof(mus) / sizeof(mus[0]);

	/* one lock per thing shared, so that loading a domain, writing a
	 * report and asking the SMTP cache do not wait for each other */
	for (i = 0; i < n; i++)
		if (pthread_mutex_init(mus[i], NULL) != 0)
			break;
	if (i < n || pthread_cond_init(&run->cv, NULL) != 0) {
		while (i-- > 0)
			pthread_mutex_destroy(mus[i]);
		return -1;
	}
	run->locks = 1;
	if (run->run_end == 0 && run->conf.run_timeout > 0)
		run->run_end = deadline_clock() + run->conf.run_timeout;
	return 0;
}

void
pool_free(struct run *run)
{
	struct smtp_entry *e = NULL, *next = NULL;
	size_t i;

	for (i = 0; i < SMTP_BUCKETS; i++) {
		for (e = run->smtp[i]; e != NULL; e = next) {
			next = e->next;
			dns_tlsa_free(e->res.tlsa, e->res.ntlsa);
			free(e);
		}
		run->smtp[i] = NULL;
	}
	if (run->locks) {
		pthread_mutex_destroy(&run->mu);
		pthread_mutex_destroy(&run->load_mu);
		pthread_mutex_destroy(&run->out_mu);
		pthread_mutex_destroy(&run->smtp_mu);
		pthread_cond_destroy(&run->cv);
		run->locks = 0;
	}
}

static unsigned
bucket(const char *host)
{
	return (unsigned)(sts_hash(host, strlen(host)) % SMTP_BUCKETS);
}

const struct smtp_result *
smtp_cached(struct run *run, struct dns *dns, const char *host, int *rc,
    const char **err)
{
	struct smtp_entry *e = NULL;
	struct tlsa *tlsa = NULL;
	char tlsa_err[STS_ERR_MAX];
	size_t ntlsa = 0;
	unsigned h = bucket(host);
	int tlsa_rc, secure = 0;

	pthread_mutex_lock(&run->smtp_mu);
	for (e = run->smtp[h]; e != NULL; e = e->next)
		if (strcmp(e->host, host) == 0)
			break;
	if (e != NULL) {
		while (!e->done)
			pthread_cond_wait(&run->cv, &run->smtp_mu);
		pthread_mutex_unlock(&run->smtp_mu);
		goto out;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		pthread_mutex_unlock(&run->smtp_mu);
		return NULL;
	}
	(void)snprintf(e->host, sizeof(e->host), "%s", host);
	e->next = run->smtp[h];
	run->smtp[h] = e;
	pthread_mutex_unlock(&run->smtp_mu);

	/*
	 * DANE first, as a sender does it: TLSA records at _25._tcp.<host>;
	 * only signed ones are checked against what the MX presents.
	 */
	tlsa_rc = dns_tlsa(dns, host, 25, &tlsa, &ntlsa, &secure, tlsa_err,
	    sizeof(tlsa_err));
	e->rc = smtp_check_dane(dns, host, run->conf.ca_file, run->conf.timeout,
	    tlsa, tlsa_rc == 0 && secure ? ntlsa : 0, &e->res, e->err,
	    sizeof(e->err));
	e->res.tlsa_rc = tlsa_rc;
	e->res.tlsa_cut = tlsa_rc == -1 && deadline_passed();
	e->res.tlsa_secure = tlsa_rc == 0 && secure;
	e->res.tlsa = tlsa;
	e->res.ntlsa = ntlsa;
	(void)snprintf(e->res.tlsa_err, sizeof(e->res.tlsa_err), "%s",
	    tlsa_rc == -1 ? tlsa_err : "");

	pthread_mutex_lock(&run->smtp_mu);
	e->done = 1;
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->smtp_mu);
 out:
	*rc = e->rc;
	*err = e->err;
	return &e->res;
}

int
smtp_put(struct run *run, const char *host, int rc,
    const struct smtp_result *res, const char *err)
{
	struct smtp_entry *e = NULL;
	unsigned h = bucket(host);

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	(void)snprintf(e->host, sizeof(e->host), "%s", host);
	(void)snprintf(e->err, sizeof(e->err), "%s", err);
	e->res = *res;
	e->rc = rc;
	e->done = 1;
	pthread_mutex_lock(&run->smtp_mu);
	e->next = run->smtp[h];
	run->smtp[h] = e;
	pthread_mutex_unlock(&run->smtp_mu);
	return 0;
}

/* one job under its deadline: domain-timeout, within run-timeout */
static void
run_job(struct run *run, struct dns *dns, struct job *j)
{
	char what[64];
	double now = deadline_clock(), at = 0;

	if (run->run_end != 0 && now >= run->run_end) {
		report_add(&j->r, L_ERROR, "run.unchecked", "%s not checked: the "
		    "run took longer than run-timeout (%u s)", j->r.domain,
		    run->conf.run_timeout);
		return;
	}
	what[0] = '\0';
	if (run->conf.domain_timeout > 0) {
		at = now + run->conf.domain_timeout;
		(void)snprintf(what, sizeof(what), "domain-timeout (%u s)",
		    run->conf.domain_timeout);
	}
	if (run->run_end != 0 && (at == 0 || run->run_end < at)) {
		at = run->run_end;
		(void)snprintf(what, sizeof(what), "run-timeout (%u s)",
		    run->conf.run_timeout);
	}
	deadline_set(at, what);
	run->fn(run, dns, j);
	pool_cut_short(j);
	deadline_set(0, NULL);
}

void
pool_cut_short(struct job *j)
{
	if (!deadline_hit() || j->cut)
		return;
	j->cut = 1;
	report_add(&j->r, L_WARN, "run.cut_short", "the checks of %s were cut "
	    "short: %s ran out; what was not done is named above", j->r.domain,
	    deadline_what());
}

static void *
worker_main(void *arg)
{
	struct run *run = arg;
	char err[STS_ERR_MAX];
	struct dns *dns = NULL;
	size_t i;

	dns = dns_open(run->conf.resolver, run->conf.timeout, err, sizeof(err));
	for (;;) {
		pthread_mutex_lock(&run->mu);
		while (run->next < run->njobs && !run->jobs[run->next].selected)
			run->next++;
		i = run->next < run->njobs ? run->next++ : run->njobs;
		pthread_mutex_unlock(&run->mu);
		if (i == run->njobs)
			break;
		if (dns == NULL)
			report_add(&run->jobs[i].r, L_ERROR, "dns.resolver", "%s", err);
		else
			run_job(run, dns, &run->jobs[i]);
	}
	dns_close(dns);
	return NULL;
}

void
pool_run(struct run *run, job_fn *fn)
{
	pthread_t *t = NULL;
	size_t n = run->o->jobs, i, started = 0;

	run->fn = fn;
	run->next = 0;
	if (n > run->njobs)
		n = run->njobs;
	/* one thread, or no memory for more: this one does it all */
	if (n > 1 && (t = calloc(n, sizeof(*t))) != NULL)
		for (i = 0; i < n; i++) {
			if (pthread_create(&t[i], NULL, worker_main, run) != 0)
				break;
			started++;
		}
	if (started == 0)
		(void)worker_main(run);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
}

/* the entries, sorted by the caller; only finished ones */
void
smtp_each(struct run *run, void (*fn)(void *, const char *, int,
    const struct smtp_result *, const char *), void *arg)
{
	struct smtp_entry *e = NULL;
	size_t i;

	for (i = 0; i < SMTP_BUCKETS; i++)
		for (e = run->smtp[i]; e != NULL; e = e->next)
			if (e->done)
				fn(arg, e->host, e->rc, &e->res, e->err);
}
