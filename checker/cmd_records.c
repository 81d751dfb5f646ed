/* SPDX-License-Identifier: ISC */
/*
 * cmd_records.c: `mta-sts-check records [DOMAIN ...]`: the _mta-sts and
 * _smtp._tls records of each domain, in zone-file syntax, for setting by
 * hand or loading into a zone; the id is the one published (the state
 * says which): an id that waits for its policy to be served is only a
 * comment, so no one publishes it early by hand (RFC 8461 section 8.1).
 * Nothing is changed and nothing is asked of the network.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

/* one domain's lines; 0, 2 (its state is damaged) or 3 (fatal, printed) */
static int
records_of(struct run *run, struct job *j)
{
	struct sts_strlist lines = { 0 };
	char err[STS_ERR_MAX], digest[65];
	const char *id = NULL;
	struct state st;
	size_t k;
	int src, status = 0;

	src = state_read(run->conf.state, j->d.name, &st, err, sizeof(err));
	if (src == -1) {
		printf("; %s\n", err);
		fprintf(stderr, "mta-sts-check: %s\n", err);
		status = 2;
	} else if (src == 1) {
		printf("; %s: no id yet: run mta-sts-check first (it gives one "
		    "once the policy is served)\n", j->d.name);
	} else {
		id = st.published ? st.id : st.pub_id;
		if (strcmp(id, st.id) != 0)
			printf("; %s: id %s waits for the policy to be served "
			    "by every address of mta-sts.%s (RFC 8461 section "
			    "8.1): then mta-sts-check publishes it (publish = "
			    "none: prints the record to set by hand); %s\n",
			    j->d.name, st.id, j->d.name, id[0] ? "the record "
			    "below keeps the id published" : "no id is "
			    "published yet");
		state_digest(j->d.text, j->d.textlen, digest);
		if (strcmp(digest, st.digest) != 0)
			printf("; %s: the policy changed since the last run; the "
			    "next run of mta-sts-check gives it a new id\n",
			    j->d.name);
	}
	if (zone_records(j->d.name, id, &j->d.set.tlsrpt, &lines) == -1) {
		status = run_fail(run, "%s: cannot build the records", j->d.name);
		goto out;
	}
	for (k = 0; k < lines.n; k++)
		printf("%s\n", lines.v[k]);
	printf("; mta-sts.%s needs an A/AAAA record and a certificate for that "
	    "name\n", j->d.name);
 out:
	sts_strlist_free(&lines);
	return status;
}

int
cmd_records(struct run *run, char **names, int nnames)
{
	const char *why = NULL;
	size_t i;
	int status = 0, st;

	if ((status = run_conf(run, 0)) != 0 ||
	    (status = run_domains(run, names, nnames)) != 0)
		return status;
	for (i = 0; i < run->warnings.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", run->warnings.v[i]);
	printf("; MTA-STS and TLS-RPT records, from mta-sts-check records\n");
	for (i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		if (!j->selected)
			continue;
		run_load(run, j);
		printf("\n; %s\n", j->r.domain);
		if (!j->loaded) {
			why = j->r.nf ? j->r.f[0].msg : "out of memory";
			printf("; configuration error: %s\n", why);
			fprintf(stderr, "mta-sts-check: %s\n", why);
			status = 3;
			continue;
		}
		if ((st = records_of(run, j)) == 3)
			return 3;
		if (st > status)
			status = st;
	}
	if (fflush(stdout) == EOF)
		status = 3;
	return status;
}
