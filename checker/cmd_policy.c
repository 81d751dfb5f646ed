/* SPDX-License-Identifier: ISC */
/*
 * cmd_policy.c: `mta-sts-check policy DOMAIN`: the policy the configuration
 * gives the domain, byte for byte what the responder serves.
 */
#include <stdio.h>

#include "check.h"

int
cmd_policy(struct run *run, char **names, int nnames)
{
	struct job *j = NULL;
	size_t i;
	int status = 3;

	if ((status = run_conf(run, 0)) != 0 ||
	    (status = run_domains(run, names, nnames)) != 0)
		return status;
	status = 3;
	for (i = 0; i < run->njobs; i++) {
		j = &run->jobs[i];
		if (!j->selected)
			continue;
		run_load(run, j);
		if (!j->loaded) {
			fprintf(stderr, "mta-sts-check: %s\n", j->r.nf ?
			    j->r.f[0].msg : "out of memory");
			break;
		}
		if (fwrite(j->d->text, 1, j->d->textlen, stdout) != j->d->textlen ||
		    fflush(stdout) == EOF)
			break;
		status = 0;
	}
	for (i = 0; i < run->warnings.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", run->warnings.v[i]);
	return status;
}
