/* SPDX-License-Identifier: ISC */
/*
 * cmd_check.c: `mta-sts-check [DOMAIN ...]`, the cron job. For each
 * domain, in the worker threads: the policy (step 1, rendered by
 * domains.c), what the state, HTTPS and DNS show, id_decide() (steps 2
 * and 4), carried out here (new id, state written, id published and
 * verified), then MX and TLS-RPT (steps 5 and 6, checks.c). With
 * publish = zonefile, the file (or one file per zone, %z) is written
 * once for every domain after the checks (zonefile_batch, zonebatch.c), then
 * verified. Otherwise each domain's report goes to the text report
 * (output.c) as soon as its checks end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "tlsrpt.h"

/* what one domain's checks gathered for id_decide */
struct seen {
	char		 digest[65];
	char		 dns_id[STS_ID_MAX + 1];
	char		 dns_why[STS_ERR_MAX];	/* why DNS has no usable record */
	char		 why[STS_ERR_MAX];	/* why the policy is not served */
	int		 src;			/* state_read */
	int		 dns_ok;
	int		 lagging;		/* addresses of mta-sts.<domain> that do not serve it */
};

static int
save_state(struct run *run, struct job *j)
{
	char err[STS_ERR_MAX];

	if (run->o->dry)
		return 0;
	if (state_write(run->conf.state, j->d->name, j->st, err,
	    sizeof(err)) == -1) {
		report_add(&j->r, L_ERROR, "state.write", "%s; nothing published", err);
		return -1;
	}
	return 0;
}

/* where d's id lives: _mta-sts.<domain>, or <domain>.<id-zone> */
static void
id_name(const struct sts_domain *d, char *name, size_t len)
{
	if (owner_name("_mta-sts", d->name, d->set.id_zone, name, len) == -1)
		(void)snprintf(name, len, "_mta-sts.%s", d->name);
}

/* do the authoritative servers show id? 0 yes, -1 no (why in err) */
static int
auth_shows(struct dns *dns, const struct sts_domain *d, const char *id,
    char *err, size_t errlen)
{
	char name[STS_HOST_MAX + 16], zone[STS_HOST_MAX + 2];
	char primary[STS_HOST_MAX + 2], rec[STS_ID_MAX + 32], why[STS_ERR_MAX];

	id_name(d, name, sizeof(name));
	if (sts_txt_record(id, rec, sizeof(rec)) == -1)
		return sts_err(err, errlen, "bad id");
	if (d->set.id_zone != NULL)
		(void)snprintf(zone, sizeof(zone), "%s", d->set.id_zone);
	else if (dns_zone(dns, name, zone, sizeof(zone), primary,
	    sizeof(primary), why, sizeof(why)) == -1)
		return sts_err(err, errlen, "cannot find the zone of %s: %.200s",
		    name, why);
	return dns_check_auth(dns, zone, name, rec, err, errlen);
}

/*
 * One file per zone: when the SOA records put _mta-sts.<domain> in
 * another zone than the one whose file got it, what to set ("" if not).
 */
static void
zone_hint(struct run *run, struct dns *dns, struct job *j, char *out,
    size_t len)
{
	char name[STS_HOST_MAX + 16], zone[STS_HOST_MAX + 2];
	char primary[STS_HOST_MAX + 2], why[STS_ERR_MAX];
	const char *ours = publish_zone(&run->conf, j->d);
	size_t n;

	out[0] = '\0';
	if (run->conf.publish != STS_PUBLISH_ZONEFILE ||
	    !zonefile_per_zone(&run->conf))
		return;
	(void)snprintf(name, sizeof(name), "_mta-sts.%s", j->d->name);
	if (dns_zone(dns, name, zone, sizeof(zone), primary, sizeof(primary),
	    why, sizeof(why)) == -1)
		return;
	if ((n = strlen(zone)) > 1 && zone[n - 1] == '.')
		zone[n - 1] = '\0';
	if (strcasecmp(zone, ours) != 0)
		(void)snprintf(out, len, "; its zone is %s by the SOA records, "
		    "but the records went into the file of zone %s: set 'zone "
		    "= %s' in %s", zone, ours, zone, j->d->file ? j->d->file :
		    "the domain file");
}

static void
verify_published(struct run *run, struct dns *dns, struct job *j)
{
	char err[STS_ERR_MAX], hint[STS_ERR_MAX], name[STS_HOST_MAX + 16];

	if (auth_shows(dns, j->d, j->st->id, err, sizeof(err)) == -1) {
		id_name(j->d, name, sizeof(name));
		zone_hint(run, dns, j, hint, sizeof(hint));
		report_add(&j->r, L_WARN, "publish.unverified", "%s: id %s was "
		    "published by %s, but DNS does not show it yet: %s%s",
		    name, j->st->id, publish_name(dom_publish(&run->conf, j->d)),
		    err, hint);
		return;
	}
	j->st->published = 1;
	j->r.published = 1;
	(void)snprintf(j->r.dns_id, sizeof(j->r.dns_id), "%s", j->st->id);
	(void)save_state(run, j);
}

/* DNS_PUBLISH: by the configured method, then see that DNS shows it */
static void
publish(struct run *run, struct dns *dns, struct job *j, const char *dns_id,
    const char *dns_why)
{
	const char *method = publish_name(dom_publish(&run->conf, j->d));
	char err[STS_ERR_MAX], note[STS_ERR_MAX], rec[STS_ID_MAX + 32];
	char name[STS_HOST_MAX + 16];

	id_name(j->d, name, sizeof(name));
	(void)sts_txt_record(j->st->id, rec, sizeof(rec));
	if (run->o->dry && dom_publish(&run->conf, j->d) != STS_PUBLISH_NONE) {
		report_add(&j->r, L_INFO, "publish.dry_run", "%s: would "
		    "publish \"%s\" by %s (DNS has %s%s)", name, rec, method,
		    dns_id[0] ? "id " : "", dns_id[0] ? dns_id : dns_why);
		return;
	}
	/* the hook's MTA_STS_OLD_ID: the id being replaced */
	switch (publish_id(&run->conf, dns, j->d, j->st->id,
	    dns_id[0] ? dns_id : j->st->pub_id, note, sizeof(note), err,
	    sizeof(err))) {
	case PUB_BY_HAND:
		if (dns_id[0])
			report_add(&j->r, L_ERROR, "dns.txt.mismatch", "%s: id %s "
			    "published, %s expected; publish = none, so set "
			    "the record by hand: %s", name, dns_id, j->st->id, note);
		else
			report_add(&j->r, L_WARN, "dns.txt.missing", "%s: %s, %s "
			    "expected; publish = none, so set the record by "
			    "hand: %s", name, dns_why, j->st->id, note);
		return;
	case PUB_BATCH:
		j->want_publish = 1;
		return;
	case PUB_FAILED:
		report_add(&j->r, L_ERROR, "publish.failed", "%s: publishing "
		    "id %s by %s failed: %s", name, j->st->id, method, err);
		return;
	case PUB_DONE:
	case PUB_UNCHANGED:
		break;
	}
	report_add(&j->r, L_INFO, "publish.done", "%s: published id %s "
	    "by %s%s%s", name, j->st->id, method, note[0] ? ": " : "", note);
	(void)snprintf(j->st->pub_id, sizeof(j->st->pub_id), "%s", j->st->id);
	if (save_state(run, j) == -1)
		return;
	verify_published(run, dns, j);
}

/* what the state, HTTPS and the _mta-sts TXT record show */
static void
gather(struct run *run, struct dns *dns, struct job *j, struct seen *s)
{
	char name[STS_HOST_MAX + 16], err[STS_ERR_MAX];
	struct report *r = &j->r;

	state_digest(j->d->text, j->d->textlen, s->digest);
	s->src = state_read(run->conf.state, j->d->name, j->st, err,
	    sizeof(err));
	if (s->src == -1)
		report_add(r, L_ERROR, "state.damaged", "%s; ids of %s are left alone: "
		    "move the file away and the next run starts again from "
		    "what DNS and HTTPS show", err, j->d->name);
	j->served = check_https(run, dns, j->d->name, &j->d->policy,
	    s->src == 0 ? j->st : NULL, NULL, r, &s->lagging, s->why,
	    sizeof(s->why));

	id_name(j->d, name, sizeof(name));
	if (check_txt_id(dns, name, s->dns_id, r, err, sizeof(err)) == -1) {
		report_add(r, L_ERROR, "dns.txt.lookup", "%s: %s", name, bare(err, name));
		return;
	}
	s->dns_ok = 1;
	if (s->dns_id[0] == '\0')
		(void)snprintf(s->dns_why, sizeof(s->dns_why), "%s", err);
	(void)snprintf(r->dns_id, sizeof(r->dns_id), "%s", s->dns_id);
}

/* step 2 as decided: the state is what it should be now; -1 stop here */
static int
apply_id(struct run *run, struct job *j, const struct seen *s,
    const struct id_decision *d)
{
	const char *verb = run->o->dry ? "would give" : "new";
	char newid[STS_ID_MAX + 1];
	struct report *r = &j->r;

	switch (d->id) {
	case ID_LEAVE:
		return -1;
	case ID_UNDECIDED:
		report_add(r, L_WARN, "id.undecided", "no state yet and DNS cannot be "
		    "read; the id is decided on the next run");
		return -1;
	case ID_KEEP:
		break;
	case ID_ADOPT:
	case ID_NEW:
		memset(j->st, 0, sizeof(*j->st));
		memcpy(j->st->digest, s->digest, sizeof(j->st->digest));
		j->st->since = run->now;
		(void)snprintf(j->st->pub_id, sizeof(j->st->pub_id), "%s",
		    s->dns_id);
		if (d->id == ID_ADOPT) {
			(void)snprintf(j->st->id, sizeof(j->st->id), "%s", s->dns_id);
			j->st->published = 1;
			report_add(r, L_INFO, "id.adopted", "kept id %s from DNS: the "
			    "policy served matches the configuration", s->dns_id);
		} else {
			state_new_id(d->after, run->now, newid);
			(void)snprintf(j->st->id, sizeof(j->st->id), "%s", newid);
			(void)snprintf(j->st->prev_id, sizeof(j->st->prev_id), "%s",
			    s->dns_id);
			report_add(r, L_INFO, "id.new", "%s id %s%s%s", verb, newid,
			    s->dns_id[0] ? "; DNS has " : "", s->dns_id);
		}
		if (save_state(run, j) == -1)
			return -1;
		break;
	case ID_CHANGED:
		state_new_id(d->after, run->now, newid);
		report_add(r, L_INFO, "id.changed", "the policy changed: %s id %s "
		    "(was %s)", verb, newid, j->st->id);
		(void)snprintf(j->st->prev_id, sizeof(j->st->prev_id), "%s",
		    j->st->id);
		(void)snprintf(j->st->id, sizeof(j->st->id), "%s", newid);
		memcpy(j->st->digest, s->digest, sizeof(j->st->digest));
		j->st->since = run->now;
		j->st->published = 0;
		if (save_state(run, j) == -1)
			return -1;
		break;
	}
	j->state_ok = 1;
	(void)snprintf(r->id, sizeof(r->id), "%s", j->st->id);
	return 0;
}

/* step 4 as decided */
static void
apply_dns(struct run *run, struct dns *dns, struct job *j,
    const struct seen *s, enum dns_step step)
{
	const char *dns_id = s->dns_id;
	char name[STS_HOST_MAX + 16];
	struct report *r = &j->r;
	int save = 0;

	id_name(j->d, name, sizeof(name));
	switch (step) {
	case DNS_NOTHING:
	case DNS_ASK_AUTH:
		return;
	case DNS_CURRENT:
		report_add(r, L_INFO, "dns.txt.ok", "%s: id %s", name, dns_id);
		r->published = 1;
		save = !j->st->published || strcmp(j->st->pub_id, j->st->id) != 0;
		(void)snprintf(j->st->pub_id, sizeof(j->st->pub_id), "%s", j->st->id);
		break;
	case DNS_CACHED:
		report_add(r, L_INFO, "dns.txt.cached", "%s: the authoritative servers show "
		    "id %s; the resolver still answers %s (cached)", name,
		    j->st->id, dns_id[0] ? dns_id : s->dns_why);
		r->published = 1;
		save = !j->st->published;
		break;
	case DNS_WAIT:
		j->st->published = 0;
		report_add(r, L_WARN, "dns.txt.waiting", "%s: id %s waits for the policy to "
		    "be served: %s; DNS keeps %s%s", name, j->st->id,
		    s->why[0] ? s->why : "the policy is not served",
		    dns_id[0] ? "id " : "", dns_id[0] ? dns_id : "no usable record");
		return;
	case DNS_PUBLISH:
		j->st->published = 0;
		publish(run, dns, j, dns_id, s->dns_why[0] ? s->dns_why :
		    "no record");
		return;
	}
	j->st->published = 1;
	if (save)
		(void)save_state(run, j);
}

/*
 * What the TLS-RPT reports stored for the domain say over its window (its
 * max_age or 7 days, whichever is longer): failures, or ready for enforce.
 */
static void
tlsrpt_stored(struct run *run, struct job *j)
{
	struct summary_in in;

	memset(&in, 0, sizeof(in));
	in.domain = j->d->name;
	in.mode = j->d->policy.mode;
	in.max_age = j->d->policy.max_age;
	in.policy = j->d->text;
	in.now = time(NULL);
	in.window = in.max_age > 7 * 86400 ? in.max_age : 7 * 86400;
	(void)reports_findings(run->conf.state, &in, &j->r);
}

static void
check_domain(struct run *run, struct dns *dns, struct job *j)
{
	char err[STS_ERR_MAX], pats[1024];
	struct id_decision d;
	struct id_seen in;
	struct seen *s = NULL;

	if (run->stream && !j->folded) {
		/* loaded here, so that only the domains in flight are in memory;
		 * the certificate store is shared: one loader at a time */
		pthread_mutex_lock(&run->load_mu);
		run_load(run, j);
		pthread_mutex_unlock(&run->load_mu);
	}
	if (!j->loaded)
		goto out;
	if ((s = calloc(1, sizeof(*s))) == NULL || job_state(j) == NULL ||
	    (j->r.policy = strdup(j->d->text)) == NULL) {
		report_add(&j->r, L_ERROR, "internal.nomem", "%s: out of memory", j->d->name);
		goto out;
	}
	policy_summary(&j->d->policy, pats, sizeof(pats));
	report_add(&j->r, L_INFO, "policy.summary", "mode %s, max_age %lu, mx %s",
	    sts_mode_name(j->d->policy.mode), j->d->policy.max_age, pats);
	gather(run, dns, j, s);

	memset(&in, 0, sizeof(in));
	in.state = s->src;
	in.st = j->st;
	in.digest = s->digest;
	in.served = j->served;
	in.lagging = s->lagging;
	j->served = j->served && !s->lagging;	/* for the zone file */
	in.dns_ok = s->dns_ok;
	in.dns_id = s->dns_id;
	in.can_publish = dom_publish(&run->conf, j->d) != STS_PUBLISH_NONE;
	in.auth = ID_AUTH_UNASKED;
	id_decide(&in, &d);
	if (apply_id(run, j, s, &d) == 0) {
		if (d.dns == DNS_ASK_AUTH) {
			/* published by us before: maybe a resolver caches the old one */
			in.auth = auth_shows(dns, j->d, j->st->id, err,
			    sizeof(err)) == 0 ? ID_AUTH_YES : ID_AUTH_NO;
			id_decide(&in, &d);
		}
		apply_dns(run, dns, j, s, d.dns);
	}
	/* what the customer set once: their CNAMEs into our names */
	(void)check_id_cname(dns, j->d, j->state_ok ? j->st->id : NULL, &j->r);
	check_web_host(dns, j->d, &j->r);
	tlsrpt_publish(run, dns, j);
	check_tlsrpt_cname(dns, j->d, &j->r);
	/* steps 5 and 6 */
	check_mx(run, dns, j->d->name, &j->d->policy, &j->d->set, &j->r);
	/* with zonefile, the record is in the file: checked once it is written */
	if (dom_publish(&run->conf, j->d) != STS_PUBLISH_ZONEFILE)
		check_tlsrpt(dns, j->d->name, &j->d->set.tlsrpt,
		    j->d->set.tlsrpt_zone, &j->r);
	tlsrpt_stored(run, j);
 out:
	free(s);
	pool_cut_short(j);
	if (run->stream) {
		/* nothing comes back to this domain: its report is folded now */
		pthread_mutex_lock(&run->out_mu);
		out_fold(run, j);
		pthread_mutex_unlock(&run->out_mu);
	}
}

/* ---- publish = zonefile: one file for every domain --------------------- */

static void
verify_job(struct run *run, struct dns *dns, struct job *j)
{
	verify_published(run, dns, j);
}

static void
tlsrpt_job(struct run *run, struct dns *dns, struct job *j)
{
	(void)run;
	if (j->loaded && dom_publish(&run->conf, j->d) == STS_PUBLISH_ZONEFILE)
		check_tlsrpt(dns, j->d->name, &j->d->set.tlsrpt,
		    j->d->set.tlsrpt_zone, &j->r);
}

/* ---- the command ------------------------------------------------------- */

/* The arguments to give again, for a message: " -c FILE DOMAIN ...". */
static int
state_again(const struct run *run, char **names, int nnames, char *out,
    size_t len)
{
	size_t off = 0;
	int i, n;

	out[0] = '\0';
	if (run->o->conffile != NULL && (n = snprintf(out, len, " -c %s",
	    run->o->conffile)) > 0)
		off = (size_t)n;
	for (i = 0; i < nnames && off < len; i++)
		if ((n = snprintf(out + off, len - off, " %s", names[i])) > 0)
			off += (size_t)n;
	if (off >= len)
		snprintf(out + len - 5, 5, " ...");
	return 0;
}

/* The names of every domain, sorted. -1 out of memory (err set). */
static int
state_known(const struct run *run, struct sts_strlist *known)
{
	size_t i;

	for (i = 0; i < run->njobs; i++)
		if (run->jobs[i].r.domain[0] != '\0' &&
		    sts_strlist_add(known, run->jobs[i].r.domain) == -1)
			return -1;
	sts_strlist_sort_uniq(known);
	return 0;
}

int
cmd_check(struct run *run, char **names, int nnames)
{
	struct sts_strlist known = { 0 };
	char err[STS_ERR_MAX], again[1024];
	struct dns *probe = NULL;
	int lockfd = -1, status = 0, need_all, *sel = NULL;
	size_t i;

	if ((status = run_conf(run, 0)) != 0)
		goto out;
	if ((probe = dns_open(run->conf.resolver, run->conf.timeout, err,
	    sizeof(err))) == NULL) {
		status = run_fail(run, "resolver: %s", err);
		goto out;
	}
	dns_close(probe);
	if ((status = run_domains(run, names, nnames)) != 0 ||
	    (status = dane_init(run)) != 0)
		goto out;
	/*
	 * -n only reads the state: no lock, no write access needed. A run
	 * that writes refuses a directory that is not its own before it
	 * makes anything there (not even the lock).
	 */
	if (!run->o->dry && (state_again(run, names, nnames, again,
	    sizeof(again)) == -1 || state_known(run, &known) == -1 ||
	    (access(run->conf.state, F_OK) == 0 && state_check(run->conf.state,
	    again, &known, err, sizeof(err)) == -1) ||
	    state_mkdir(run->conf.state, err, sizeof(err)) == -1 ||
	    state_lock(run->conf.state, &lockfd, err, sizeof(err)) == -1)) {
		status = run_fail(run, "%s", err);
		goto out;
	}
	if (!run->o->dry)
		state_sweep(run->conf.state);
	sts_strlist_free(&known);	/* a copy of every name: not kept for the run */
	/* with zonefile, every domain's records go into the file: all loaded
	 * now; otherwise each domain is loaded by the worker that checks it */
	need_all = run->conf.publish == STS_PUBLISH_ZONEFILE ||
	    run->conf.zonefile != NULL;	/* a domain file may choose zonefile */
	run->stream = !need_all;
	for (i = 0; i < run->njobs; i++)
		if (need_all)
			run_load(run, &run->jobs[i]);
	if (pool_init(run) == -1) {
		status = run_fail(run, "cannot start the workers");
		goto out;
	}
	/* with zonefile, findings come after the checks */
	if (run->stream && fmt_open(run, err, sizeof(err)) == -1) {
		status = run_fail(run, "%s", err);
		goto out;
	}
	pool_run(run, check_domain);
	run->stream = 0;
	if (need_all) {
		if ((sel = calloc(run->njobs ? run->njobs : 1, sizeof(int))) == NULL) {
			status = run_fail(run, "out of memory");
			goto out;
		}
		for (i = 0; i < run->njobs; i++)
			sel[i] = run->jobs[i].selected;
		if ((status = zonefile_batch(run, save_state, verify_job)) != 0)
			goto out;
		for (i = 0; i < run->njobs; i++)
			run->jobs[i].selected = sel[i];
		pool_run(run, tlsrpt_job);
	}
	status = run_output(run, 1);
 out:
	sts_strlist_free(&known);
	free(sel);
	state_unlock(lockfd);
	return status;
}
