/* SPDX-License-Identifier: ISC */
/*
 * cmd_probe.c: `mta-sts-check probe DOMAIN ...`: what a sender sees of
 * any domain, with no configuration needed and nothing changed: the
 * _mta-sts record, the policy over HTTPS, the MX hosts and TLS-RPT
 * (steps 3 to 6 without an expected policy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* the id senders see at _mta-sts.<domain>, "" when none is usable */
static void
probe_txt(struct dns *dns, struct report *r, char id[STS_ID_MAX + 1])
{
	char name[STS_HOST_MAX + 16], err[STS_ERR_MAX];

	(void)snprintf(name, sizeof(name), "_mta-sts.%s", r->domain);
	if (check_txt_id(dns, name, id, r, err, sizeof(err)) == -1)
		report_add(r, L_ERROR, "dns.txt.lookup", "%s: %s", name, bare(err, name));
	else if (id[0] == '\0')
		report_add(r, L_ERROR, "dns.txt.missing", "%s: %s: senders see no "
		    "MTA-STS policy", name, err);
}

static void
probe_domain(struct run *run, struct dns *dns, struct job *j)
{
	char why[STS_ERR_MAX], id[STS_ID_MAX + 1], pats[1024];
	struct sts_policy pol;
	struct report *r = &j->r;
	int have;

	memset(&pol, 0, sizeof(pol));
	probe_txt(dns, r, id);
	(void)snprintf(r->id, sizeof(r->id), "%s", id);
	(void)snprintf(r->dns_id, sizeof(r->dns_id), "%s", id);
	r->published = id[0] != '\0';
	have = check_https(run, dns, r->domain, NULL, NULL, &pol, r, NULL, why,
	    sizeof(why));
	if (have) {
		policy_summary(&pol, pats, sizeof(pats));
		report_add(r, L_INFO, "policy.summary", "id %s, mode %s, max_age %lu, "
		    "mx %s", id[0] ? id : "(none)", sts_mode_name(pol.mode),
		    pol.max_age, pats);
		/* a short max_age is how mode none withdraws (§8.3) */
		if (pol.max_age < 86400 && pol.mode != STS_MODE_NONE)
			report_add(r, L_WARN, "policy.max_age.short", "max_age %lu is under a "
			    "day; senders cache the policy only that long",
			    pol.max_age);
	}
	check_mx(run, dns, r->domain, have ? &pol : NULL, NULL, r);
	check_tlsrpt(dns, r->domain, NULL, NULL, r);
	sts_policy_free(&pol);
}

int
cmd_probe(struct run *run, char **names, int nnames)
{
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1];
	struct dns *probe = NULL;
	int k, status;

	if ((status = run_conf(run, 1)) != 0)
		return status;
	if ((probe = dns_open(run->conf.resolver, run->conf.timeout, err,
	    sizeof(err))) == NULL)
		return run_fail(run, "resolver: %s", err);
	dns_close(probe);
	if ((run->jobs = calloc((size_t)nnames, sizeof(*run->jobs))) == NULL)
		return run_fail(run, "out of memory");
	run->njobs = (size_t)nnames;
	for (k = 0; k < nnames; k++) {
		if ((status = run_arg_domain(run, names[k], a, sizeof(a))) != 0)
			return status;
		if (job_name(&run->jobs[k], a) == -1)
			return run_fail(run, "out of memory");
		run->jobs[k].selected = 1;
	}
	if (pool_init(run) == -1)
		return run_fail(run, "cannot start the workers");
	pool_run(run, probe_domain);
	return run_output(run, 1);
}
