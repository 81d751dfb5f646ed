/* SPDX-License-Identifier: ISC */
/*
 * cmd_list.c: `mta-sts-check list [--hostnames] [DOMAIN ...]`: the
 * configured domains as the state directory knows them, with no network:
 * U-label and A-label, mode, max_age, the id the policy has and the one
 * last published, and where the domain stands. --hostnames prints only
 * the web names (mta-sts.<domain>), one a line, for certbot -d or
 * Apache's MDomain.
 */
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* name in U-labels (as is when it has none, or on any error) */
void
list_ulabel(const char *alabel, char *out, size_t outlen)
{
	char *u = NULL;

	if (strstr(alabel, "xn--") != NULL &&
	    idn2_to_unicode_8z8z(alabel, &u, 0) == IDN2_OK &&
	    strlen(u) < outlen) {
		memcpy(out, u, strlen(u) + 1);
	} else
		(void)snprintf(out, outlen, "%s", alabel);
	idn2_free(u);
}

/* where the domain stands, from its state */
static const char *
standing(struct run *run, struct job *j, struct state *st)
{
	char err[STS_ERR_MAX], digest[65];
	int src;

	memset(st, 0, sizeof(*st));
	if (!j->loaded)
		return "invalid";
	src = state_read(run->conf.state, j->d->name, st, err, sizeof(err));
	if (src == -1)
		return "damaged";
	if (src == 1)
		return "new";
	state_digest(j->d->text, j->d->textlen, digest);
	if (strcmp(digest, st->digest) != 0)
		return "changed";
	return st->published ? "published" : "pending";
}

int
cmd_list(struct run *run, char **names, int nnames)
{
	char u[STS_HOST_MAX * 4 + 1], age[24];
	struct state st;
	const char *what = NULL;
	size_t i;
	int status;

	if ((status = run_conf(run, 0)) != 0 ||
	    (status = run_domains(run, names, nnames)) != 0)
		return status;
	for (i = 0; i < run->warnings.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", run->warnings.v[i]);
	if (!run->o->hostnames)
		printf("%-28s %-28s %-8s %-8s %-14s %-14s %s\n", "DOMAIN",
		    "A-LABEL", "MODE", "MAX_AGE", "ID", "PUBLISHED", "STATUS");
	for (i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		if (!j->selected)
			continue;
		if (run->o->hostnames) {
			printf("mta-sts.%s\n", j->r.domain);
			continue;
		}
		run_load(run, j);
		what = standing(run, j, &st);
		if (!j->loaded) {
			status = 2;
			fprintf(stderr, "mta-sts-check: %s\n", j->r.nf ?
			    j->r.f[0].msg : "out of memory");
		}
		list_ulabel(j->r.domain, u, sizeof(u));
		if (j->loaded)
			(void)snprintf(age, sizeof(age), "%lu", j->d->policy.max_age);
		else
			(void)snprintf(age, sizeof(age), "-");
		printf("%-28s %-28s %-8s %-8s %-14s %-14s %s\n", u, j->r.domain,
		    j->loaded ? sts_mode_name(j->d->policy.mode) : "-", age,
		    st.id[0] ? st.id : "-", st.pub_id[0] ? st.pub_id : "-",
		    what);
		job_release(j);
		report_free(&j->r);
	}
	if (fflush(stdout) == EOF)
		return 3;
	return status;
}
