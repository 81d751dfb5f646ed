/* SPDX-License-Identifier: ISC */
/*
 * checks.c: steps 3 to 6 of a run, for one domain, as findings in its
 * report: the policy over HTTPS as a sender fetches it (certificate,
 * Content-Type, that it parses and equals the configured one), the id
 * senders see at _mta-sts, the MX hosts against the policy's patterns
 * and their STARTTLS (through the run's SMTP cache), and the TLS-RPT
 * record. Called from the worker threads: nothing here exits or prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "check.h"

#define MX_CHECK_MAX	10		/* MX hosts checked per domain */
#define EXPIRY_WARN	(14 * 86400)	/* certificates expiring sooner: warning */

static const char *
day(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		(void)snprintf(buf, len, "?");
	return buf;
}

static enum level
mode_level(enum sts_mode m)
{
	return m == STS_MODE_ENFORCE ? L_ERROR : m == STS_MODE_TESTING ?
	    L_WARN : L_INFO;
}

void
policy_summary(const struct sts_policy *p, char *buf, size_t len)
{
	size_t i, o = 0;
	int k;

	(void)snprintf(buf, len, "(none)");
	for (i = 0; i < p->mx.n && o < len; i++) {
		k = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", p->mx.v[i]);
		if (k < 0)
			break;
		o += (size_t)k;
	}
}

/* ---- HTTPS (step 3) ---------------------------------------------------- */

static void
describe_diff(const struct sts_policy *got, const struct sts_policy *want,
    char *buf, size_t len)
{
	size_t i, o = 0;
	int n;

#define ADD(...) do {							\
	n = snprintf(buf + o, len - o, __VA_ARGS__);			\
	if (n < 0 || (size_t)n >= len - o)				\
		return;							\
	o += (size_t)n;							\
} while (0)
	buf[0] = '\0';
	if (got->mode != want->mode)
		ADD("%smode %s (expected %s)", o ? ", " : "",
		    sts_mode_name(got->mode), sts_mode_name(want->mode));
	if (got->max_age != want->max_age)
		ADD("%smax_age %lu (expected %lu)", o ? ", " : "",
		    got->max_age, want->max_age);
	for (i = 0; i < got->mx.n; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < want->mx.n && !found; j++)
			found = strcasecmp(got->mx.v[i], want->mx.v[j]) == 0;
		if (!found)
			ADD("%smx %s not expected", o ? ", " : "", got->mx.v[i]);
	}
	for (i = 0; i < want->mx.n; i++) {
		size_t j;
		int found = 0;

		for (j = 0; j < got->mx.n && !found; j++)
			found = strcasecmp(got->mx.v[j], want->mx.v[i]) == 0;
		if (!found)
			ADD("%smx %s missing", o ? ", " : "", want->mx.v[i]);
	}
	if (o == 0)
		ADD("the text differs");
#undef ADD
}

/*
 * The whole step 3 at one address (addr NULL: the first that answers);
 * named: the messages name the address (one of several).
 */
static int
https_judge(struct run *run, struct dns *dns, const char *domain,
    const char *addr, int named, const struct sts_policy *want,
    struct sts_policy *got, struct report *r, char *why, size_t whylen)
{
	char err[STS_ERR_MAX], url[STS_HOST_MAX + 64], diff[512], d[16];
	char ct[STS_HOST_MAX + 16], cs[64];
	struct sts_policy pol;
	struct fetch f;
	int rc = 0, ctr = 0;

	memset(&f, 0, sizeof(f));
	memset(&pol, 0, sizeof(pol));
	(void)snprintf(url, sizeof(url),
	    "https://mta-sts.%s/.well-known/mta-sts.txt%s%s", domain,
	    named ? " at " : "", named ? addr : "");
	if (https_fetch(dns, domain, addr, run->conf.ca_file, run->conf.timeout,
	    &f, err, sizeof(err)) == -1) {
		(void)snprintf(ct, sizeof(ct), "mta-sts.%s", domain);
		report_add(r, L_ERROR, f.status ? "https.status" :
		    f.cert_mismatch ? "https.cert.name" : "https.fetch",
		    "%s: %s", url, bare(err, ct));
		(void)snprintf(why, whylen, "%s cannot be fetched", url);
		goto out;
	}
	if (f.cert_expires != 0 && f.cert_expires - run->now < EXPIRY_WARN)
		report_add(r, L_WARN, "https.cert.expiry", "mta-sts.%s: certificate expires "
		    "on %s (in %lld days); renew it", domain,
		    day(f.cert_expires, d, sizeof(d)),
		    (long long)((f.cert_expires - run->now) / 86400));
	if (f.ctype[0] == '\0' ||
	    (ctr = sts_sender_ctype(f.ctype, cs, sizeof(cs))) == -1) {
		sts_escape(ct, sizeof(ct), f.ctype, strlen(f.ctype));
		report_add(r, L_ERROR, "https.content_type", "%s: Content-Type '%s'; senders "
		    "take only text/plain (RFC 8461 section 3.2)", url,
		    f.ctype[0] ? ct : "(none)");
		(void)snprintf(why, whylen, "%s is served with the wrong "
		    "Content-Type", url);
		goto out;
	}
	if (ctr == 1)
		report_add(r, L_INFO, "https.charset", "%s: charset '%s' is ignored "
		    "by senders (RFC 8461 section 3.2: only utf-8 and us-ascii "
		    "count); the policy is read all the same", url, cs);
	if (sts_policy_parse(f.body ? f.body : "", f.bodylen, &pol, err,
	    sizeof(err)) == -1) {
		report_add(r, L_ERROR, "https.policy.parse", "%s: the policy does not parse: "
		    "%s", url, err);
		(void)snprintf(why, whylen, "%s serves a policy that does not "
		    "parse", url);
		goto out;
	}
	if (want != NULL && !sts_policy_equal(&pol, want)) {
		describe_diff(&pol, want, diff, sizeof(diff));
		report_add(r, L_ERROR, "https.policy.differs", "%s serves a different policy "
		    "than the configuration gives: %s; is the responder "
		    "running with the same configuration?", url, diff);
		(void)snprintf(why, whylen, "%s still serves a different "
		    "policy", url);
		goto out;
	}
	if (got != NULL) {
		*got = pol;
		memset(&pol, 0, sizeof(pol));
		/* probe: the policy text for --json; none when out of memory */
		if (r->policy == NULL && f.body != NULL &&
		    (r->policy = strdup(f.body)) == NULL)
			report_add(r, L_WARN, "internal.nomem", "%s: out of memory", url);
	}
	report_add(r, L_INFO, "https.ok", "policy served%s at %s, certificate "
	    "valid until %s", want ? " as configured" : "", url,
	    f.cert_expires ? day(f.cert_expires, d, sizeof(d)) : "?");
	rc = 1;
 out:
	sts_policy_free(&pol);
	fetch_free(&f);
	return rc;
}

/*
 * Does addr serve want with a valid certificate? 1 yes; 0 with what it
 * does instead in buf ("serves the old policy (id X)" when it serves the
 * policy of old, the state before this run).
 */
static int
https_serves_at(struct run *run, struct dns *dns, const char *domain,
    const char *addr, const struct sts_policy *want, const struct state *old,
    char *buf, size_t len)
{
	char err[STS_ERR_MAX], host[STS_HOST_MAX + 16], diff[512], dg[65];
	struct sts_policy pol;
	struct fetch f;
	int rc = 0;

	memset(&pol, 0, sizeof(pol));
	(void)snprintf(host, sizeof(host), "mta-sts.%s", domain);
	if (https_fetch(dns, domain, addr, run->conf.ca_file, run->conf.timeout,
	    &f, err, sizeof(err)) == -1) {
		(void)snprintf(buf, len, "%s", bare(err, host));
		goto out;
	}
	if (f.ctype[0] == '\0' || sts_sender_ctype(f.ctype, diff, sizeof(diff)) == -1) {
		(void)snprintf(buf, len, "serves the policy with the wrong "
		    "Content-Type");
		goto out;
	}
	if (sts_policy_parse(f.body ? f.body : "", f.bodylen, &pol, err,
	    sizeof(err)) == -1) {
		(void)snprintf(buf, len, "serves a policy that does not parse: "
		    "%.300s", err);
		goto out;
	}
	if (!sts_policy_equal(&pol, want)) {
		state_digest(f.body, f.bodylen, dg);
		if (old != NULL && old->id[0] != '\0' &&
		    strcmp(dg, old->digest) == 0)
			(void)snprintf(buf, len, "serves the old policy (id %s)",
			    old->id);
		else {
			describe_diff(&pol, want, diff, sizeof(diff));
			(void)snprintf(buf, len, "serves a different policy: %.300s",
			    diff);
		}
		goto out;
	}
	rc = 1;
 out:
	sts_policy_free(&pol);
	fetch_free(&f);
	return rc;
}

int
check_https(struct run *run, struct dns *dns, const char *domain,
    const struct sts_policy *want, const struct state *old,
    struct sts_policy *got, struct report *r, int *lagging, char *why,
    size_t whylen)
{
	struct sts_strlist addrs = { 0 };
	char host[STS_HOST_MAX + 16], err[STS_ERR_MAX], what[STS_ERR_MAX];
	size_t i;
	int rc;

	if (lagging != NULL)
		*lagging = 0;
	(void)snprintf(host, sizeof(host), "mta-sts.%s", domain);
	if (want == NULL)	/* probe: as a sender fetches it */
		return https_judge(run, dns, domain, NULL, 0, want, got, r, why,
		    whylen);
	if (dns_addrs_all(dns, host, &addrs, err, sizeof(err)) == -1) {
		/* the details as a sender may see them; but not every address is known */
		rc = https_judge(run, dns, domain, NULL, 0, want, got, r, why,
		    whylen);
		report_add(r, L_ERROR, "https.addresses", "%s: cannot look up every "
		    "address: %s; the id waits until each can be checked", host,
		    bare(err, host));
		if (lagging != NULL && rc == 1) {
			*lagging = 1;
			(void)snprintf(why, whylen, "%s: not every address can "
			    "be looked up", host);
		}
		return rc;
	}
	if (addrs.n < 2) {	/* one address (or none): as a sender fetches it */
		rc = https_judge(run, dns, domain, addrs.n ? addrs.v[0] : NULL,
		    0, want, got, r, why, whylen);
		sts_strlist_free(&addrs);
		return rc;
	}
	/*
	 * Several web servers: a sender may ask any of them, so every one
	 * must serve the policy before its id goes out (RFC 8461 section 8.1).
	 */
	rc = https_judge(run, dns, domain, addrs.v[0], 1, want, got, r, why,
	    whylen);
	for (i = 0; i < addrs.n; i++) {
		if (i == 0 && rc == 1)	/* just judged so */
			continue;
		if (https_serves_at(run, dns, domain, addrs.v[i], want, old,
		    what, sizeof(what)) == 1)
			continue;
		report_add(r, L_ERROR, "https.address.lags", "%s %s: %s; every address of "
		    "%s must serve the policy before its id is published",
		    host, addrs.v[i], what, host);
		if (lagging != NULL && (*lagging)++ == 0 && rc == 1)
			(void)snprintf(why, whylen, "%s %s: %s", host,
			    addrs.v[i], what);
	}
	if (rc == 1 && (lagging == NULL || *lagging == 0))
		report_add(r, L_INFO, "https.addresses.ok", "policy served as configured at "
		    "all %zu addresses of %s", addrs.n, host);
	sts_strlist_free(&addrs);
	return rc;
}

/* ---- the _mta-sts record (step 4) ------------------------------------- */

struct txt_warn {
	struct report	*r;
	const char	*name;
};

/* A warning about the record chosen (a repeated id field ...). */
static void
txt_warn(void *arg, const char *msg)
{
	struct txt_warn *w = arg;

	report_add(w->r, L_WARN, "dns.txt.repeated", "%s: %s", w->name, msg);
}

int
check_txt_id(struct dns *dns, const char *name, char id[STS_ID_MAX + 1],
    struct report *r, char *why, size_t whylen)
{
	struct txt_warn w = { r, name };

	return sts_sender_txt_name(dns, name, id, txt_warn, &w, why,
	    whylen) == -1 ? -1 : 0;
}

/* ---- MX and SMTP (step 5) ---------------------------------------------- */

/* the MX hosts against the policy's mx patterns, both ways */
static void
mx_vs_policy(const struct sts_policy *pol, const char *domain,
    const char *const *hosts, size_t n, struct report *r)
{
	char pats[1024];
	size_t i, j;
	int match;

	policy_summary(pol, pats, sizeof(pats));
	for (i = 0; i < n; i++) {
		for (j = 0, match = 0; j < pol->mx.n && !match; j++)
			match = sts_mx_match(pol->mx.v[j], hosts[i]);
		if (!match)
			report_add(r, mode_level(pol->mode), "mx.uncovered", "MX %s matches "
			    "no mx pattern of the policy (%s)%s", hosts[i],
			    pol->mx.n ? pats : "none",
			    pol->mode == STS_MODE_ENFORCE ? "; senders will not "
			    "deliver to it" : "");
	}
	for (j = 0; j < pol->mx.n; j++) {
		for (i = 0, match = 0; i < n && !match; i++)
			match = sts_mx_match(pol->mx.v[j], hosts[i]);
		if (!match)
			report_add(r, L_WARN, "mx.pattern.unused", "mx pattern %s matches no MX "
			    "host of %s", pol->mx.v[j], domain);
	}
}

/* STARTTLS and the certificate of one MX host, through the run's cache */
static void
mx_smtp(struct run *run, struct dns *dns, const char *host, enum level bad,
    struct report *r)
{
	const struct smtp_result *res = NULL;
	const char *err = NULL;
	char d[16];
	int rc;

	if ((res = smtp_cached(run, dns, host, &rc, &err)) == NULL) {
		report_add(r, L_ERROR, "internal.nomem", "MX %s: out of memory", host);
		return;
	}
	if (rc == -1)
		report_add(r, bad, "smtp.starttls", "MX %s: %s", host, bare(err, host));
	else if (!res->cert_ok)
		report_add(r, bad, "smtp.cert", "MX %s: certificate not acceptable: "
		    "%s", host, bare(err, host));
	else if (res->cert_expires != 0 &&
	    res->cert_expires - run->now < EXPIRY_WARN)
		report_add(r, L_WARN, "smtp.cert.expiry", "MX %s: certificate expires on %s "
		    "(in %lld days); renew it", host,
		    day(res->cert_expires, d, sizeof(d)),
		    (long long)((res->cert_expires - run->now) / 86400));
	else
		report_add(r, L_INFO, "smtp.ok", "MX %s: STARTTLS%s%s, certificate "
		    "valid until %s", host, res->tls_version[0] ? " with " : "",
		    res->tls_version, res->cert_expires ?
		    day(res->cert_expires, d, sizeof(d)) : "?");
}

void
check_mx(struct run *run, struct dns *dns, const char *domain,
    const struct sts_policy *pol, const struct sts_settings *set,
    struct report *r)
{
	const struct smtp_result *res = NULL;
	const char *serr = NULL;
	int mx_secure, src;
	char err[STS_ERR_MAX];
	const char **hosts = NULL;
	struct mx *mx = NULL;
	enum level tls_bad = pol && pol->mode == STS_MODE_ENFORCE ? L_ERROR : L_WARN;
	size_t n = 0, nh = 0, i, j, checked = 0;

	if (dns_mx(dns, domain, &mx, &n, err, sizeof(err)) == -1) {
		report_add(r, L_ERROR, "dns.mx.lookup", "cannot look up the MX records of "
		    "%s: %s", domain, bare(err, domain));
		goto out;
	}
	mx_secure = dns_secure(dns);	/* DANE applies only then (RFC 7672 §2.2) */
	if (n >= 1 && mx[0].host[0] == '\0') {
		report_add(r, L_WARN, "mx.null", "%s has a null MX (RFC 7505): it "
		    "accepts no mail, so an MTA-STS policy protects nothing",
		    domain);
		goto out;
	}
	if ((hosts = calloc(n ? n : 1, sizeof(*hosts))) == NULL) {
		report_add(r, L_ERROR, "internal.nomem", "%s: out of memory", domain);
		goto out;
	}
	if (n == 0) {
		report_add(r, L_WARN, "mx.none", "%s has no MX records; senders "
		    "deliver to %s itself", domain, domain);
		hosts[nh++] = domain;
	}
	for (i = 0; i < n; i++)
		hosts[nh++] = mx[i].host;
	if (pol != NULL)
		mx_vs_policy(pol, domain, hosts, nh, r);
	for (i = 0; i < nh; i++) {
		for (j = 0; j < i && strcmp(hosts[j], hosts[i]) != 0; j++)
			;
		if (j < i)
			continue;
		if (checked == MX_CHECK_MAX) {
			report_add(r, L_INFO, "mx.limit", "only the first %d of %zu "
			    "MX hosts were checked", MX_CHECK_MAX, n);
			break;
		}
		if (deadline_passed()) {
			report_add(r, L_WARN, "mx.cut_short", "MX %s not checked: cut "
			    "short, %s ran out", hosts[i], deadline_what());
			continue;
		}
		checked++;
		mx_smtp(run, dns, hosts[i], tls_bad, r);
		/* cached: the same answer mx_smtp had */
		if ((res = smtp_cached(run, dns, hosts[i], &src, &serr)) != NULL)
			check_dane(run, domain, hosts[i], n > 0 && mx_secure, src,
			    res, pol, set, r);
	}
 out:
	free(hosts);
	free(mx);
}

/* ---- TLS-RPT (step 6) -------------------------------------------------- */

void
check_tlsrpt(struct dns *dns, const char *domain, const struct sts_strlist *rua,
    const char *zone, struct report *r)
{
	char name[STS_HOST_MAX + 16], err[STS_ERR_MAX], rec[1024], q[1100];
	struct sts_strlist recs = { 0 }, got = { 0 }, want = { 0 };
	size_t *lens = NULL, i, which;

	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	if (tlsrpt_default(domain, rua, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, q, sizeof(q)) == -1)
		(void)snprintf(q, sizeof(q), "\"v=TLSRPTv1; rua=mailto:postmaster@%s\"",
		    domain);
	if (dns_txt(dns, name, &recs, err, sizeof(err)) == -1) {
		report_add(r, L_WARN, "tlsrpt.lookup", "cannot look up %s: %s", name,
		    bare(err, name));
		goto out;
	}
	if ((lens = calloc(recs.n ? recs.n : 1, sizeof(*lens))) == NULL) {
		report_add(r, L_WARN, "internal.nomem", "%s: out of memory", name);
		goto out;
	}
	for (i = 0; i < recs.n; i++)
		lens[i] = strlen(recs.v[i]);
	if (sts_tlsrpt_select((const char *const *)recs.v, lens, recs.n, &which,
	    &got, err, sizeof(err)) == -1) {
		if (zone != NULL)	/* delegated: ours is at <domain>.<zone> */
			report_add(r, L_WARN, "tlsrpt.missing", "%s: %s; the "
			    "record is kept at %s.%s: the customer must set: "
			    "%s. CNAME %s.%s.", name, err, domain, zone, name,
			    domain, zone);
		else
			report_add(r, L_WARN, "tlsrpt.missing", "%s: %s; "
			    "publish: %s. %d IN TXT %s", name, err, name,
			    TXT_TTL, q);
		goto out;
	}
	report_add(r, L_INFO, "tlsrpt.ok", "%s: %s", name, recs.v[which]);
	if (rua != NULL && rua->n > 0) {
		if (sts_strlist_copy(&want, rua) == -1) {
			report_add(r, L_WARN, "internal.nomem", "%s: out of memory", name);
			goto out;
		}
		sts_strlist_sort_uniq(&want);
		sts_strlist_sort_uniq(&got);
		if (!sts_strlist_equal(&want, &got))
			report_add(r, L_INFO, "tlsrpt.rua", "%s: rua differs from the "
			    "configuration, which gives: %s", name, rec);
	}
 out:
	free(lens);
	sts_strlist_free(&recs);
	sts_strlist_free(&got);
	sts_strlist_free(&want);
}
