/* SPDX-License-Identifier: ISC */
/*
 * cmd_records.c: `mta-sts-check records [--format F] [DOMAIN ...]`: the
 * _mta-sts and _smtp._tls records of each domain, for setting by hand or
 * loading into a zone; the id is the one published (the state says
 * which): an id that waits for its policy to be served is only a note, so
 * no one publishes it early by hand (RFC 8461 section 8.1). Nothing is
 * changed and nothing is asked of the network.
 *
 *	zone	 zone-file lines, comments starting with ';' (the default)
 *	csv	 name,type,ttl,value rows for a web DNS panel (RFC 4180)
 *	nsupdate a script for nsupdate(1): delete and add each record, one
 *		 send per domain (each may be in a zone of its own)
 *	json	 {"domains":[{"domain","u_label","records":[...],"notes":[...]}]}
 *
 * An IDN domain is shown with its U-label beside the A-label (in a
 * comment, or "u_label" in JSON).
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

int
rec_parse(const char *name, enum recfmt *f)
{
	static const char *const names[] = { "zone", "csv", "nsupdate", "json" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*f = (enum recfmt)i;
			return 0;
		}
	return -1;
}

/* one record of a domain: absolute name, TXT value */
struct rec {
	char	 name[STS_HOST_MAX + 16];
	char	 value[1024];
};

static void
csv_field(const char *s, const char *end)
{
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else
		fputs(s, stdout);
	fputs(end, stdout);
}

/* a comment line in the format (JSON: collected into "notes") */
static void
note(struct run *run, int *first, const char *fmt, const char *a)
{
	char line[1024];

	(void)snprintf(line, sizeof(line), fmt, a);
	switch (run->o->recfmt) {
	case REC_JSON:
		fputs(*first ? "" : ",", stdout);
		json_str(stdout, line);
		*first = 0;
		break;
	case REC_CSV:
		break;		/* a panel takes rows only */
	default:
		printf("; %s\n", line);
	}
}

static void
emit(struct run *run, const struct rec *r, size_t n)
{
	char q[1100];
	size_t i;

	for (i = 0; i < n; i++) {
		if (zone_txt(r[i].value, q, sizeof(q)) == -1)
			continue;
		switch (run->o->recfmt) {
		case REC_ZONE:
			printf("%s. %d IN TXT %s\n", r[i].name, TXT_TTL, q);
			break;
		case REC_NSUPDATE:
			printf("update delete %s. TXT\nupdate add %s. %d TXT %s\n",
			    r[i].name, r[i].name, TXT_TTL, q);
			break;
		case REC_CSV:
			csv_field(r[i].name, ",TXT,");
			printf("%d,", TXT_TTL);
			csv_field(r[i].value, "\r\n");
			break;
		case REC_JSON:
			fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
			json_str(stdout, r[i].name);
			printf(",\"type\":\"TXT\",\"ttl\":%d,\"value\":", TXT_TTL);
			json_str(stdout, r[i].value);
			putchar('}');
			break;
		}
	}
}

/* one domain; 0, 2 (its state is damaged) or 3 (fatal, printed) */
static int
records_of(struct run *run, struct job *j, int nth)
{
	char err[STS_ERR_MAX], digest[65], u[STS_HOST_MAX * 4 + 1], wait[1024];
	const char *id = NULL;
	struct rec r[2];
	struct state st;
	size_t n = 0;
	int src = 1, status = 0, first = 1;
	enum recfmt f = run->o->recfmt;

	n = 0;
	list_ulabel(j->r.domain, u, sizeof(u));
	if (f == REC_JSON) {
		fputs(nth ? ",{\"domain\":" : "{\"domain\":", stdout);
		json_str(stdout, j->r.domain);
		fputs(",\"u_label\":", stdout);
		json_str(stdout, u);
		fputs(",\"records\":[", stdout);
	} else if (f != REC_CSV) {
		if (strcmp(u, j->r.domain) != 0)
			printf("\n; %s (%s)\n", j->r.domain, u);
		else
			printf("\n; %s\n", j->r.domain);
	}
	if (!j->loaded)
		goto notes;
	src = state_read(run->conf.state, j->d->name, &st, err, sizeof(err));
	if (src == 0)
		id = st.published ? st.id : st.pub_id;
	if (id != NULL && id[0] != '\0') {
		(void)snprintf(r[n].name, sizeof(r[n].name), "_mta-sts.%s", j->d->name);
		(void)snprintf(r[n].value, sizeof(r[n].value), "v=STSv1; id=%s", id);
		n++;
	}
	(void)snprintf(r[n].name, sizeof(r[n].name), "_smtp._tls.%s", j->d->name);
	if (tlsrpt_default(j->d->name, &j->d->set.tlsrpt, r[n].value,
	    sizeof(r[n].value)) == -1) {
		status = run_fail(run, "%s: cannot build the records", j->d->name);
		return status;
	}
	n++;
	emit(run, r, n);
 notes:
	if (f == REC_JSON)
		fputs("],\"notes\":[", stdout);
	if (!j->loaded) {
		note(run, &first, "configuration error: %s", j->r.nf ?
		    j->r.f[0].msg : "out of memory");
		fprintf(stderr, "mta-sts-check: %s\n", j->r.nf ? j->r.f[0].msg :
		    "out of memory");
		status = 3;
	} else if (src == -1) {
		note(run, &first, "%s", err);
		fprintf(stderr, "mta-sts-check: %s\n", err);
		status = 2;
	} else if (src == 1) {
		note(run, &first, "%s: no id yet: run mta-sts-check first (it "
		    "gives one once the policy is served)", j->d->name);
	} else {
		if (strcmp(id, st.id) != 0) {
			(void)snprintf(wait, sizeof(wait), "%s: id %s waits for "
			    "the policy to be served by every address of "
			    "mta-sts.%s (RFC 8461 section 8.1): then "
			    "mta-sts-check publishes it (publish = none: prints "
			    "the record to set by hand); %s", j->d->name, st.id,
			    j->d->name, id[0] ? "the record keeps the id "
			    "published" : "no id is published yet");
			note(run, &first, "%s", wait);
		}
		state_digest(j->d->text, j->d->textlen, digest);
		if (strcmp(digest, st.digest) != 0)
			note(run, &first, "%s: the policy changed since the last "
			    "run; the next run of mta-sts-check gives it a new id",
			    j->d->name);
	}
	if (j->loaded)
		note(run, &first, "mta-sts.%s needs an A/AAAA record and a "
		    "certificate for that name", j->d->name);
	if (f == REC_JSON)
		fputs("]}", stdout);
	else if (f == REC_NSUPDATE && n > 0)
		printf("send\n");	/* one update per domain: zones may differ */
	return status;
}

int
cmd_records(struct run *run, char **names, int nnames)
{
	enum recfmt f = run->o->recfmt;
	size_t i;
	int status = 0, st, nth = 0;

	if ((status = run_conf(run, 0)) != 0 ||
	    (status = run_domains(run, names, nnames)) != 0)
		return status;
	for (i = 0; i < run->warnings.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", run->warnings.v[i]);
	if (f == REC_ZONE || f == REC_NSUPDATE)
		printf("; MTA-STS and TLS-RPT records, from mta-sts-check records\n");
	else if (f == REC_CSV)
		printf("name,type,ttl,value\r\n");
	else
		printf("{\"domains\":[");
	for (i = 0; i < run->njobs; i++) {
		struct job *j = &run->jobs[i];

		if (!j->selected)
			continue;
		run_load(run, j);
		if ((st = records_of(run, j, nth++)) == 3 && j->loaded)
			return 3;
		if (st > status)
			status = st;
		job_release(j);
	}
	if (f == REC_JSON)
		printf("]}\n");
	if (fflush(stdout) == EOF)
		status = 3;
	return status;
}
