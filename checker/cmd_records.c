/* SPDX-License-Identifier: ISC */
/*
 * cmd_records.c: `mta-sts-check records [--format F] [DOMAIN ...]`: the
 * _mta-sts and _smtp._tls records of each domain, for setting by hand or
 * loading into a zone; with id-zone, tlsrpt-zone or web-host both sides:
 * the CNAMEs the customer sets once in their zone, and the TXT records at
 * <domain>.<zone> in the operator's; the id is the one published (the state says
 * which): an id that waits for its policy to be served is only a note, so
 * no one publishes it early by hand (RFC 8461 section 8.1). Nothing is
 * changed and nothing is asked of the network.
 *
 *	zone	 zone-file lines, comments starting with ';' (the default)
 *	csv	 name,type,ttl,value rows for a web DNS panel (RFC 4180)
 *	nsupdate a script for nsupdate(1): delete and add each record, one
 *		 send per domain (each may be in a zone of its own)
 *	json	 {"domains":[{"domain","u_label","records":[...],"notes":[...]}],
 *		 "tlsa":[{"name","type","ttl","value","next","file"}]}
 *
 * After the domains come the TLSA records (DANE, RFC 7672) of the MX
 * hosts their policies cover whose certificate the store has: the key of
 * each certificate, then the next keys of tlsa-next; each host once,
 * and in nsupdate scripts one update of its own (its zone may differ).
 *
 * An IDN domain is shown with its U-label beside the A-label (in a
 * comment, or "u_label" in JSON).
 */
#include <stdio.h>
#include <stdlib.h>
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

/*
 * one record of a domain: absolute name, TXT value or CNAME target (with
 * its trailing dot); customer: set once in the customer's own zone
 * (id-zone, tlsrpt-zone, web-host); zone: the operator's zone it goes in
 */
struct rec {
	char	 name[STS_HOST_MAX + 16];
	char	 value[1024];
	int	 cname;
	int	 customer;
	const char *zone;
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

/*
 * The records; delegated: each side under a heading of its own (zone,
 * nsupdate: a comment; JSON: "side"), and with nsupdate one send per
 * record, since the customer's and the operator's zones differ.
 */
static void
emit(struct run *run, const struct rec *r, size_t n, int delegated)
{
	const char *type;
	char q[1100];
	size_t i;
	int head = 0;	/* a heading is out, for the records of r[i - 1] */

	for (i = 0; i < n; i++) {
		type = r[i].cname ? "CNAME" : "TXT";
		if (r[i].cname)
			(void)snprintf(q, sizeof(q), "%s", r[i].value);
		else if (zone_txt(r[i].value, q, sizeof(q)) == -1)
			continue;
		/* a heading for each side, and each zone of the operator's */
		if (delegated && (run->o->recfmt == REC_ZONE ||
		    run->o->recfmt == REC_NSUPDATE) && (!head ||
		    r[i].customer != r[i - 1].customer || (!r[i].customer &&
		    (r[i].zone == NULL) != (r[i - 1].zone == NULL)) ||
		    (!r[i].customer && r[i].zone != NULL &&
		    strcmp(r[i].zone, r[i - 1].zone) != 0))) {
			head = 1;
			if (r[i].customer)
				printf("; the customer sets once, in the zone of "
				    "the domain:\n");
			else
				printf("; the operator's zone %s (mta-sts-check "
				    "keeps it):\n", r[i].zone ? r[i].zone :
				    "of the domain");
		}
		switch (run->o->recfmt) {
		case REC_ZONE:
			printf("%s. %d IN %s %s\n", r[i].name, TXT_TTL, type, q);
			break;
		case REC_NSUPDATE:
			printf("update delete %s. %s\nupdate add %s. %d %s %s\n",
			    r[i].name, type, r[i].name, TXT_TTL, type, q);
			if (delegated)
				printf("send\n");
			break;
		case REC_CSV:
			csv_field(r[i].name, r[i].cname ? ",CNAME," : ",TXT,");
			printf("%d,", TXT_TTL);
			csv_field(r[i].cname ? q : r[i].value, "\r\n");
			break;
		case REC_JSON:
			fputs(i ? ",{\"name\":" : "{\"name\":", stdout);
			json_str(stdout, r[i].name);
			printf(",\"type\":\"%s\",\"ttl\":%d,\"value\":", type,
			    TXT_TTL);
			json_str(stdout, r[i].cname ? q : r[i].value);
			if (delegated)
				printf(",\"side\":\"%s\"", r[i].customer ?
				    "customer" : "operator");
			putchar('}');
			break;
		}
	}
}

/* name CNAME target. (the customer's side) as r; -1 when it does not fit */
static int
rec_cname(struct rec *r, const char *label, const char *domain,
    const char *target)
{
	int n, m;

	memset(r, 0, sizeof(*r));
	n = snprintf(r->name, sizeof(r->name), "%s.%s", label, domain);
	m = snprintf(r->value, sizeof(r->value), "%s.", target);
	r->cname = r->customer = 1;
	return n < 0 || (size_t)n >= sizeof(r->name) || m < 0 ||
	    (size_t)m >= sizeof(r->value) ? -1 : 0;
}

/* a TLSA record to print: host, key, whose */
struct trec {
	const char		*host;
	const struct sts_certkey *k;
	int			 next;
};

/* the TLSA records of the run, printed after the domains */
struct tlsa_acc {
	struct trec		*t;
	size_t			 n, cap;
	struct sts_strlist	 done;	/* the hosts in t */
};

/* the host's name among the patterns of the policy */
static int
covered(const struct sts_policy *pol, const char *host)
{
	size_t i;

	for (i = 0; i < pol->mx.n; i++)
		if (sts_mx_match(pol->mx.v[i], host))
			return 1;
	return 0;
}

/* key k (of list l) for host, unless an earlier one has the same key */
static int
first_key(const struct sts_certkeys *const lists[2], size_t l, size_t j,
    const char *host)
{
	const struct sts_certkey *k = &lists[l]->v[j], *o = NULL;
	size_t m, i;

	if (!dane_key_for(k, host))
		return 0;
	for (m = 0; m <= l; m++)
		for (i = 0; lists[m] != NULL && i < lists[m]->n &&
		    (m < l || i < j); i++) {
			o = &lists[m]->v[i];
			if (dane_key_for(o, host) &&
			    memcmp(o->spki, k->spki, STS_SPKI_LEN) == 0)
				return 0;
		}
	return 1;
}

/*
 * The TLSA records of the MX hosts the policy covers whose certificate
 * the store has: the key of each certificate for it, then its next keys
 * (tlsa-next), added to acc. Each host once per run: MX hosts are
 * shared. Notes for the hosts the policy names that have no certificate.
 */
static int
tlsa_of(struct run *run, struct job *j, struct tlsa_acc *acc,
    struct sts_strlist *notes)
{
	const struct sts_certkeys *lists[2];
	struct sts_strlist hosts = { 0 }, *done = &acc->done;
	struct trec *nt = NULL;
	char line[1024];
	size_t l, i, h, ncur;
	int rc = -1;

	lists[0] = dane_keys(run, j->d->set.certs);
	lists[1] = dane_next(run);
	for (l = 0; l < 2; l++)
		for (i = 0; lists[l] != NULL && i < lists[l]->n; i++)
			if (lists[l]->v[i].name[0] != '*' &&
			    sts_strlist_add(&hosts, lists[l]->v[i].name) == -1)
				goto out;
	for (i = 0; i < j->d->policy.mx.n; i++)
		if (j->d->policy.mx.v[i][0] != '*' &&
		    sts_strlist_add(&hosts, j->d->policy.mx.v[i]) == -1)
			goto out;
	sts_strlist_sort_uniq(&hosts);
	for (h = 0; h < hosts.n; h++) {
		if (!covered(&j->d->policy, hosts.v[h]))
			continue;
		for (i = 0, ncur = 0; lists[0] != NULL && i < lists[0]->n; i++)
			ncur += dane_key_for(&lists[0]->v[i], hosts.v[h]);
		if (ncur == 0) {
			(void)snprintf(line, sizeof(line), "%s: no certificate "
			    "for it in the store (certs = %s): no TLSA record",
			    hosts.v[h], j->d->set.certs);
			if (sts_strlist_add(notes, line) == -1)
				goto out;
			continue;
		}
		for (i = 0; i < done->n && strcmp(done->v[i], hosts.v[h]); i++)
			;
		if (i < done->n)
			continue;	/* printed with an earlier domain */
		if (sts_strlist_add(done, hosts.v[h]) == -1)
			goto out;
		for (l = 0; l < 2; l++)
			for (i = 0; lists[l] != NULL && i < lists[l]->n; i++) {
				if (!first_key(lists, l, i, hosts.v[h]))
					continue;
				if (acc->n == acc->cap) {
					if ((nt = reallocarray(acc->t, acc->cap ?
					    acc->cap * 2 : 8, sizeof(*nt))) == NULL)
						goto out;
					acc->t = nt;
					acc->cap = acc->cap ? acc->cap * 2 : 8;
				}
				/* the host's text lives in done, to the end */
				acc->t[acc->n].host = done->v[done->n - 1];
				acc->t[acc->n].k = &lists[l]->v[i];
				acc->t[acc->n].next = l == 1;
				acc->n++;
			}
	}
	rc = 0;
 out:
	sts_strlist_free(&hosts);
	return rc;
}

static void
emit_tlsa(struct run *run, const struct trec *t, size_t n)
{
	char rd[8 + 2 * STS_SPKI_LEN + 1], path[512];
	size_t i;

	for (i = 0; i < n; i++) {
		dane_rdata(t[i].k->spki, rd, sizeof(rd));
		/* a comment line: no newline may end it early */
		sts_escape(path, sizeof(path), t[i].k->path, strlen(t[i].k->path));
		switch (run->o->recfmt) {
		case REC_ZONE:
			printf("; %s %s%s\n", t[i].next ? "next key, from" :
			    "key of", path, t[i].next ? ": publish "
			    "now, renew with it two TTLs later" : "");
			printf("_25._tcp.%s. %d IN TLSA %s\n", t[i].host, TXT_TTL,
			    rd);
			break;
		case REC_NSUPDATE:
			if (i == 0 || strcmp(t[i - 1].host, t[i].host) != 0)
				printf("update delete _25._tcp.%s. TLSA\n",
				    t[i].host);
			printf("; %s %s\nupdate add _25._tcp.%s. %d TLSA %s\n",
			    t[i].next ? "next key, from" : "key of",
			    path, t[i].host, TXT_TTL, rd);
			/* the MX host may be in another zone: a send each */
			if (i + 1 == n || strcmp(t[i + 1].host, t[i].host) != 0)
				printf("send\n");
			break;
		case REC_CSV:
			printf("_25._tcp.%s,TLSA,%d,%s\r\n", t[i].host, TXT_TTL,
			    rd);
			break;
		case REC_JSON:
			fputs(i ? "," : "", stdout);
			printf("{\"name\":\"_25._tcp.%s\",\"type\":\"TLSA\","
			    "\"ttl\":%d,\"value\":\"%s\",\"next\":%s,"
			    "\"file\":", t[i].host, TXT_TTL, rd,
			    t[i].next ? "true" : "false");
			json_str(stdout, t[i].k->path);
			putchar('}');
			break;
		}
	}
}

/* the domain's heading: a comment, or the start of its JSON object */
static void
records_head(struct run *run, struct job *j, int nth)
{
	char u[STS_HOST_MAX * 4 + 1];

	list_ulabel(j->r.domain, u, sizeof(u));
	if (run->o->recfmt == REC_JSON) {
		fputs(nth ? ",{\"domain\":" : "{\"domain\":", stdout);
		json_str(stdout, j->r.domain);
		fputs(",\"u_label\":", stdout);
		json_str(stdout, u);
		fputs(",\"records\":[", stdout);
	} else if (run->o->recfmt != REC_CSV) {
		if (strcmp(u, j->r.domain) != 0)
			printf("\n; %s (%s)\n", j->r.domain, u);
		else
			printf("\n; %s\n", j->r.domain);
	}
}

/*
 * The domain's records into r (room for 6), their number into *np;
 * *delegated when some name is delegated to us.  -1 when one cannot
 * be built.
 */
static int
records_build(struct job *j, const char *id, struct rec *r, size_t *np,
    int *delegated)
{
	char want[STS_HOST_MAX + 1];
	size_t n = 0;
	int bad = 0;

	memset(r, 0, 6 * sizeof(*r));
	*delegated = j->d->set.id_zone != NULL ||
	    j->d->set.tlsrpt_zone != NULL || j->d->set.web_host != NULL;
	/* the customer's side: CNAMEs into our names, set once */
	if (j->d->set.id_zone != NULL)
		bad |= owner_name("_mta-sts", j->d->name, j->d->set.id_zone, want,
		    sizeof(want)) == -1 || rec_cname(&r[n++], "_mta-sts",
		    j->d->name, want) == -1;
	if (j->d->set.tlsrpt_zone != NULL)
		bad |= owner_name("_smtp._tls", j->d->name, j->d->set.tlsrpt_zone,
		    want, sizeof(want)) == -1 || rec_cname(&r[n++], "_smtp._tls",
		    j->d->name, want) == -1;
	if (j->d->set.web_host != NULL)
		bad |= rec_cname(&r[n++], "mta-sts", j->d->name,
		    j->d->set.web_host) == -1;
	/* the TXT records, ours when delegated: at the names owner_name gives */
	if (id != NULL && id[0] != '\0') {
		bad |= owner_name("_mta-sts", j->d->name, j->d->set.id_zone,
		    r[n].name, sizeof(r[n].name)) == -1;
		(void)snprintf(r[n].value, sizeof(r[n].value), "v=STSv1; id=%s", id);
		r[n].zone = j->d->set.id_zone;
		r[n].customer = j->d->set.id_zone == NULL;
		n++;
	}
	bad |= owner_name("_smtp._tls", j->d->name, j->d->set.tlsrpt_zone,
	    r[n].name, sizeof(r[n].name)) == -1;
	r[n].zone = j->d->set.tlsrpt_zone;
	r[n].customer = j->d->set.tlsrpt_zone == NULL;
	if (bad || tlsrpt_default(j->d->name, &j->d->set.tlsrpt, r[n].value,
	    sizeof(r[n].value)) == -1)
		return -1;
	*np = n + 1;
	return 0;
}

/*
 * The domain's notes: its configuration error, its state (src as
 * state_read gave it, with err), the id waiting, the TLSA notes, what
 * the web host needs.  0, 2 (its state is damaged) or 3 (fatal).
 */
static int
records_notes(struct run *run, struct job *j, int src, const struct state *st,
    const char *id, const char *err, const struct sts_strlist *tnotes)
{
	char digest[65], wait[1024];
	size_t k;
	int first = 1, status = 0;

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
		if (strcmp(id, st->id) != 0) {
			(void)snprintf(wait, sizeof(wait), "%s: id %s waits for "
			    "the policy to be served by every address of "
			    "mta-sts.%s (RFC 8461 section 8.1): then "
			    "mta-sts-check publishes it (publish = none: prints "
			    "the record to set by hand); %s", j->d->name, st->id,
			    j->d->name, id[0] ? "the record keeps the id "
			    "published" : "no id is published yet");
			note(run, &first, "%s", wait);
		}
		state_digest(j->d->text, j->d->textlen, digest);
		if (strcmp(digest, st->digest) != 0)
			note(run, &first, "%s: the policy changed since the last "
			    "run; the next run of mta-sts-check gives it a new id",
			    j->d->name);
	}
	for (k = 0; k < tnotes->n; k++)
		note(run, &first, "%s", tnotes->v[k]);
	if (j->loaded && j->d->set.web_host != NULL)
		note(run, &first, "mta-sts.%s needs a certificate for that name "
		    "on the web host", j->d->name);
	else if (j->loaded)
		note(run, &first, "mta-sts.%s needs an A/AAAA record and a "
		    "certificate for that name", j->d->name);
	return status;
}

/* one domain; 0, 2 (its state is damaged) or 3 (fatal, printed) */
static int
records_of(struct run *run, struct job *j, int nth, struct tlsa_acc *acc)
{
	struct sts_strlist tnotes = { 0 };
	char err[STS_ERR_MAX];
	const char *id = NULL;
	struct rec r[6];
	struct state st;
	size_t n = 0;
	int src = 1, status = 0, delegated = 0;
	enum recfmt f = run->o->recfmt;

	records_head(run, j, nth);
	if (j->loaded) {
		src = state_read(run->conf.state, j->d->name, &st, err,
		    sizeof(err));
		if (src == 0)
			id = st.published ? st.id : st.pub_id;
		if (records_build(j, id, r, &n, &delegated) == -1)
			return run_fail(run, "%s: cannot build the records",
			    j->d->name);
		if (tlsa_of(run, j, acc, &tnotes) == -1) {
			status = run_fail(run, "%s: out of memory", j->d->name);
			goto out;
		}
		emit(run, r, n, delegated);
	}
	if (f == REC_JSON)
		fputs("],\"notes\":[", stdout);
	status = records_notes(run, j, src, &st, id, err, &tnotes);
	if (f == REC_JSON)
		fputs("]}", stdout);
	else if (f == REC_NSUPDATE && n > 0 && !delegated)
		printf("send\n");	/* one update per domain: zones may differ */
 out:
	sts_strlist_free(&tnotes);
	return status;
}

int
cmd_records(struct run *run, char **names, int nnames)
{
	enum recfmt f = run->o->recfmt;
	size_t i;
	int status = 0, st, nth = 0;

	struct tlsa_acc acc;

	memset(&acc, 0, sizeof(acc));
	if ((status = run_conf(run, 0)) != 0 ||
	    (status = run_domains(run, names, nnames)) != 0 ||
	    (status = dane_init(run)) != 0)
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
		if ((st = records_of(run, j, nth++, &acc)) == 3 && j->loaded) {
			status = 3;
			goto out;
		}
		if (st > status)
			status = st;
		job_release(j);
	}
	/*
	 * DANE (RFC 7672): the TLSA records of the MX hosts, after the
	 * domains (an MX host serves many, and is in a zone of its own)
	 */
	if (acc.n > 0 && (f == REC_ZONE || f == REC_NSUPDATE))
		printf("\n; DANE (RFC 7672): TLSA records of the MX hosts\n");
	if (f == REC_JSON)
		printf("],\"tlsa\":[");
	emit_tlsa(run, acc.t, acc.n);
	if (f == REC_JSON)
		printf("]}\n");
	if (fflush(stdout) == EOF)
		status = 3;
 out:
	free(acc.t);
	sts_strlist_free(&acc.done);
	return status;
}
