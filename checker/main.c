/*
 * mta-sts-check: keeps each domain's _mta-sts id in step with the policy
 * the responder serves, and says, before a sender does, what is wrong.
 *
 *	mta-sts-check [-c FILE] [-n] [-q | -v] [--json] [-j N] [DOMAIN ...]
 *	mta-sts-check [-c FILE] probe DOMAIN ...
 *	mta-sts-check [-c FILE] records [DOMAIN ...]
 *	mta-sts-check [-c FILE] policy DOMAIN
 *
 * Domains are loaded (and their policies rendered) in the main thread;
 * the network checks run in -j worker threads, each with its own resolver,
 * each domain writing only its own report; the reports are printed in
 * domain order at the end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "tlsrpt.h"

#define MX_CHECK_MAX	10		/* MX hosts checked per domain */
#define EXPIRY_WARN	(14 * 86400)	/* certificates expiring sooner: warning */
#define JOBS_DEFAULT	4
#define JOBS_MAX	64

enum cmd { CMD_CHECK, CMD_PROBE, CMD_RECORDS, CMD_POLICY };

struct opts {
	const char	*conffile;
	int		 dry, quiet, verbose, json;
	unsigned	 jobs;
	enum cmd	 cmd;
};

struct job {
	struct report	 r;
	char		*file;		/* domain file name, as listed */
	int		 selected;	/* checked in this run */
	int		 loaded;	/* d holds the rendered policy */
	struct sts_domain d;
	/* for the zone file, after the checks */
	int		 state_ok;	/* st is what is on disk (or will be) */
	struct state	 st;
	int		 served;	/* the current policy is being served */
	int		 want_publish;	/* zonefile: the current id should go out */
};

struct smtp_entry {
	struct smtp_entry	*next;
	char			 host[STS_HOST_MAX + 1];
	int			 done, rc;
	struct smtp_result	 res;
	char			 err[STS_ERR_MAX];
};

#define SMTP_BUCKETS	256

struct ctx {
	const struct sts_conf	*conf;
	const struct opts	*o;
	struct job		*jobs;
	size_t			 njobs;
	size_t			 next;
	time_t			 now;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct smtp_entry	*smtp[SMTP_BUCKETS];
	void			(*fn)(struct ctx *, struct dns *, struct job *);
};

static struct sts_strlist gwarn;	/* run-wide warnings (main thread only) */
static int json_out;			/* --json: die() writes a JSON document too */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: mta-sts-check [-c FILE] [-n] [-q | -v] [--json] [-j N] [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] probe DOMAIN ...\n"
	    "       mta-sts-check [-c FILE] records [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] policy DOMAIN\n"
	    "       mta-sts-check [-c FILE] ingest [--maildir DIR] [--spool DIR] [FILE ...]\n"
	    "       mta-sts-check [-c FILE] report [--since DAYS] [DOMAIN ...]\n"
	    "       mta-sts-check -h | -V\n");
	exit(status);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json_out)
		report_print_json(stdout, NULL, 0, 3, &gwarn, msg);
	fflush(stdout);
	fprintf(stderr, "mta-sts-check: %s\n", msg);
	exit(3);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n ? n : 1, size)) == NULL)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL)
		die("out of memory");
	return p;
}

static void
gwarn_cb(void *arg, const char *msg)
{
	(void)arg;
	if (!sts_strlist_contains(&gwarn, msg) && sts_strlist_add(&gwarn, msg) == -1)
		die("out of memory");
}

static const char *
day(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		(void)snprintf(buf, len, "?");
	return buf;
}

/* err without a leading "name: " (the network functions name what they asked) */
static const char *
bare(const char *err, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(err, name, n) == 0 && err[n] == ':' && err[n + 1] == ' ')
		return err + n + 2;
	return err;
}

static enum level
mode_level(enum sts_mode m)
{
	return m == STS_MODE_ENFORCE ? L_ERROR : m == STS_MODE_TESTING ?
	    L_WARN : L_INFO;
}

/* "a, b, c" (or "(none)") from the policy's mx patterns */
static void
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

/*
 * The media type must be text/plain (§3.3). Parameters do not decide:
 * "All parameters other than charset=utf-8 or charset=us-ascii are
 * ignored" (§3.2). 0 good, 1 good but with another charset (copied to
 * cs), -1 not text/plain.
 */
static int
ctype_ok(const char *ct, char *cs, size_t cslen)
{
	const char *p = ct, *semi;
	size_t n;
	int rc = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	semi = strchr(p, ';');
	n = semi ? (size_t)(semi - p) : strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n != 10 || strncasecmp(p, "text/plain", 10) != 0)
		return -1;
	while (semi != NULL) {
		const char *param = semi + 1, *eq, *end;
		char val[64];
		size_t vn;

		semi = strchr(param, ';');
		end = semi ? semi : param + strlen(param);
		while (param < end && (*param == ' ' || *param == '\t'))
			param++;
		if ((eq = memchr(param, '=', (size_t)(end - param))) == NULL ||
		    (size_t)(eq - param) != 7 || strncasecmp(param, "charset", 7) != 0)
			continue;
		eq++;
		while (end > eq && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - eq >= 2 && *eq == '"' && end[-1] == '"') {
			eq++;
			end--;
		}
		vn = (size_t)(end - eq);
		if (vn >= sizeof(val))
			vn = sizeof(val) - 1;
		memcpy(val, eq, vn);
		val[vn] = '\0';
		if (strcasecmp(val, "utf-8") != 0 && strcasecmp(val, "us-ascii") != 0) {
			sts_escape(cs, cslen, val, vn);
			rc = 1;
		}
	}
	return rc;
}

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
 * Fetch the policy as a sender does. With want (check): 1 when it is
 * served and equals want. Without (probe): 1 when a usable policy was
 * fetched, left in *got. why says, briefly, why not.
 */
static int
check_https(struct ctx *c, struct dns *dns, const char *domain,
    const struct sts_policy *want, struct sts_policy *got, struct report *r,
    char *why, size_t whylen)
{
	char err[STS_ERR_MAX], url[STS_HOST_MAX + 64], diff[512], d[16];
	char ct[STS_HOST_MAX + 16], cs[64];
	struct sts_policy pol;
	struct fetch f;
	int rc = 0, ctr = 0;

	memset(&f, 0, sizeof(f));
	memset(&pol, 0, sizeof(pol));
	(void)snprintf(url, sizeof(url),
	    "https://mta-sts.%s/.well-known/mta-sts.txt", domain);
	if (https_fetch(dns, domain, c->conf->ca_file, c->conf->timeout, &f,
	    err, sizeof(err)) == -1) {
		(void)snprintf(ct, sizeof(ct), "mta-sts.%s", domain);
		report_add(r, L_ERROR, "https", "%s: %s", url, bare(err, ct));
		(void)snprintf(why, whylen, "%s cannot be fetched", url);
		goto out;
	}
	if (f.cert_expires != 0 && f.cert_expires - c->now < EXPIRY_WARN)
		report_add(r, L_WARN, "https", "mta-sts.%s: certificate expires "
		    "on %s (in %lld days); renew it", domain,
		    day(f.cert_expires, d, sizeof(d)),
		    (long long)((f.cert_expires - c->now) / 86400));
	if (f.ctype[0] == '\0' ||
	    (ctr = ctype_ok(f.ctype, cs, sizeof(cs))) == -1) {
		sts_escape(ct, sizeof(ct), f.ctype, strlen(f.ctype));
		report_add(r, L_ERROR, "https", "%s: Content-Type '%s'; senders "
		    "take only text/plain (RFC 8461 section 3.2)", url,
		    f.ctype[0] ? ct : "(none)");
		(void)snprintf(why, whylen, "%s is served with the wrong "
		    "Content-Type", url);
		goto out;
	}
	if (ctr == 1)
		report_add(r, L_INFO, "https", "%s: charset '%s' is ignored "
		    "by senders (RFC 8461 section 3.2: only utf-8 and us-ascii "
		    "count); the policy is read all the same", url, cs);
	if (sts_policy_parse(f.body ? f.body : "", f.bodylen, &pol, err,
	    sizeof(err)) == -1) {
		report_add(r, L_ERROR, "https", "%s: the policy does not parse: "
		    "%s", url, err);
		(void)snprintf(why, whylen, "%s serves a policy that does not "
		    "parse", url);
		goto out;
	}
	if (want != NULL && !sts_policy_equal(&pol, want)) {
		describe_diff(&pol, want, diff, sizeof(diff));
		report_add(r, L_ERROR, "https", "%s serves a different policy "
		    "than the configuration gives: %s; is the responder "
		    "running with the same configuration?", url, diff);
		(void)snprintf(why, whylen, "%s still serves a different "
		    "policy", url);
		goto out;
	}
	if (got != NULL) {
		*got = pol;
		memset(&pol, 0, sizeof(pol));
		if (r->policy == NULL && f.body != NULL)
			r->policy = xstrdup(f.body);
	}
	report_add(r, L_INFO, "https", "policy served%s at %s, certificate "
	    "valid until %s", want ? " as configured" : "", url,
	    f.cert_expires ? day(f.cert_expires, d, sizeof(d)) : "?");
	rc = 1;
 out:
	sts_policy_free(&pol);
	fetch_free(&f);
	return rc;
}

/* ---- MX and SMTP (step 5) ---------------------------------------------- */

static struct smtp_entry *
smtp_cached(struct ctx *c, struct dns *dns, const char *host)
{
	struct smtp_entry *e;
	unsigned h = 5381;
	const char *p;

	for (p = host; *p != '\0'; p++)
		h = h * 33 + (unsigned char)*p;
	h %= SMTP_BUCKETS;
	pthread_mutex_lock(&c->mu);
	for (e = c->smtp[h]; e != NULL; e = e->next)
		if (strcmp(e->host, host) == 0)
			break;
	if (e != NULL) {
		while (!e->done)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
		return e;
	}
	e = xcalloc(1, sizeof(*e));
	(void)snprintf(e->host, sizeof(e->host), "%s", host);
	e->next = c->smtp[h];
	c->smtp[h] = e;
	pthread_mutex_unlock(&c->mu);

	e->rc = smtp_check(dns, host, c->conf->ca_file, c->conf->timeout,
	    &e->res, e->err, sizeof(e->err));

	pthread_mutex_lock(&c->mu);
	e->done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	return e;
}

/*
 * pol NULL: no policy known (probe of a domain without one): STARTTLS
 * only, problems as warnings.
 */
static void
check_mx(struct ctx *c, struct dns *dns, const char *domain,
    const struct sts_policy *pol, struct report *r)
{
	char err[STS_ERR_MAX], d[16], pats[1024];
	struct mx *mx = NULL, self;
	struct smtp_entry *e;
	enum level bad = pol ? mode_level(pol->mode) : L_WARN;
	enum level tls_bad = pol && pol->mode == STS_MODE_ENFORCE ? L_ERROR : L_WARN;
	size_t n = 0, i, j, o = 0, checked = 0;

	if (dns_mx(dns, domain, &mx, &n, err, sizeof(err)) == -1) {
		report_add(r, L_ERROR, "mx", "cannot look up the MX records of "
		    "%s: %s", domain, bare(err, domain));
		goto out;
	}
	if (n >= 1 && mx[0].host[0] == '\0') {
		report_add(r, L_WARN, "mx", "%s has a null MX (RFC 7505): it "
		    "accepts no mail, so an MTA-STS policy protects nothing",
		    domain);
		goto out;
	}
	if (n == 0) {
		report_add(r, L_WARN, "mx", "%s has no MX records; senders "
		    "deliver to %s itself", domain, domain);
		memset(&self, 0, sizeof(self));
		(void)snprintf(self.host, sizeof(self.host), "%s", domain);
	}
	if (pol != NULL) {
		pats[0] = '\0';
		for (j = 0; j < pol->mx.n && o < sizeof(pats); j++) {
			int k = snprintf(pats + o, sizeof(pats) - o, "%s%s",
			    j ? ", " : "", pol->mx.v[j]);

			if (k < 0)
				break;
			o += (size_t)k;
		}
		for (i = 0; i < (n ? n : 1); i++) {
			const char *host = n ? mx[i].host : self.host;
			int match = 0;

			for (j = 0; j < pol->mx.n && !match; j++)
				match = sts_mx_match(pol->mx.v[j], host);
			if (!match)
				report_add(r, bad, "mx", "MX %s matches no mx "
				    "pattern of the policy (%s)%s", host,
				    pol->mx.n ? pats : "none",
				    pol->mode == STS_MODE_ENFORCE ? "; senders "
				    "will not deliver to it" : "");
		}
		for (j = 0; j < pol->mx.n; j++) {
			int used = 0;

			for (i = 0; i < (n ? n : 1) && !used; i++)
				used = sts_mx_match(pol->mx.v[j],
				    n ? mx[i].host : self.host);
			if (!used)
				report_add(r, L_WARN, "mx", "mx pattern %s "
				    "matches no MX host of %s", pol->mx.v[j],
				    domain);
		}
	}
	for (i = 0; i < (n ? n : 1); i++) {
		const char *host = n ? mx[i].host : self.host;

		for (j = 0; j < i; j++)
			if (strcmp(mx[j].host, host) == 0)
				break;
		if (j < i)
			continue;
		if (checked == MX_CHECK_MAX) {
			report_add(r, L_INFO, "smtp", "only the first %d of %zu "
			    "MX hosts were checked", MX_CHECK_MAX, n);
			break;
		}
		checked++;
		e = smtp_cached(c, dns, host);
		if (e->rc == -1) {
			report_add(r, tls_bad, "smtp", "MX %s: %s", host,
			    bare(e->err, host));
			continue;
		}
		if (!e->res.cert_ok) {
			report_add(r, tls_bad, "smtp", "MX %s: certificate not "
			    "acceptable: %s", host, bare(e->err, host));
			continue;
		}
		if (e->res.cert_expires != 0 &&
		    e->res.cert_expires - c->now < EXPIRY_WARN)
			report_add(r, L_WARN, "smtp", "MX %s: certificate "
			    "expires on %s (in %lld days); renew it", host,
			    day(e->res.cert_expires, d, sizeof(d)),
			    (long long)((e->res.cert_expires - c->now) / 86400));
		else
			report_add(r, L_INFO, "smtp", "MX %s: STARTTLS%s%s, "
			    "certificate valid until %s", host,
			    e->res.tls_version[0] ? " with " : "",
			    e->res.tls_version, e->res.cert_expires ?
			    day(e->res.cert_expires, d, sizeof(d)) : "?");
	}
 out:
	free(mx);
}

/* ---- TLS-RPT (step 6) -------------------------------------------------- */

static void
check_tlsrpt(struct dns *dns, const char *domain, const struct sts_strlist *rua,
    struct report *r)
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
		report_add(r, L_WARN, "tlsrpt", "cannot look up %s: %s", name,
		    bare(err, name));
		goto out;
	}
	lens = xcalloc(recs.n, sizeof(*lens));
	for (i = 0; i < recs.n; i++)
		lens[i] = strlen(recs.v[i]);
	if (sts_tlsrpt_select((const char *const *)recs.v, lens, recs.n, &which,
	    &got, err, sizeof(err)) == -1) {
		report_add(r, L_WARN, "tlsrpt", "%s: %s; publish: %s. %d IN TXT %s",
		    name, err, name, TXT_TTL, q);
		goto out;
	}
	report_add(r, L_INFO, "tlsrpt", "%s: %s", name, recs.v[which]);
	if (rua != NULL && rua->n > 0) {
		if (sts_strlist_copy(&want, rua) == -1)
			die("out of memory");
		sts_strlist_sort_uniq(&want);
		sts_strlist_sort_uniq(&got);
		if (!sts_strlist_equal(&want, &got))
			report_add(r, L_INFO, "tlsrpt", "%s: rua differs from the "
			    "configuration, which gives: %s", name, rec);
	}
 out:
	free(lens);
	sts_strlist_free(&recs);
	sts_strlist_free(&got);
	sts_strlist_free(&want);
}

/* ---- the id (steps 2 and 4) -------------------------------------------- */

/* the largest of the ids that are ours (14 digits), for state_new_id */
static const char *
latest(const char *a, const char *b)
{
	int oka = a != NULL && strlen(a) == 14 && strspn(a, "0123456789") == 14;
	int okb = b != NULL && strlen(b) == 14 && strspn(b, "0123456789") == 14;

	if (!oka)
		return okb ? b : NULL;
	if (!okb)
		return a;
	return strcmp(a, b) >= 0 ? a : b;
}

static int
save_state(struct ctx *c, struct job *j)
{
	char err[STS_ERR_MAX];

	if (c->o->dry)
		return 0;
	if (state_write(c->conf->state, j->d.name, &j->st, err, sizeof(err)) == -1) {
		report_add(&j->r, L_ERROR, "state", "%s; nothing published", err);
		return -1;
	}
	return 0;
}

/* do the authoritative servers show id? 0 yes, -1 no (why in err) */
static int
auth_shows(struct dns *dns, const char *domain, const char *id, char *err,
    size_t errlen)
{
	char name[STS_HOST_MAX + 16], zone[STS_HOST_MAX + 2];
	char primary[STS_HOST_MAX + 2], rec[STS_ID_MAX + 32], why[STS_ERR_MAX];

	(void)snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	if (sts_txt_record(id, rec, sizeof(rec)) == -1) {
		(void)snprintf(err, errlen, "bad id");
		return -1;
	}
	if (dns_zone(dns, name, zone, sizeof(zone), primary, sizeof(primary),
	    why, sizeof(why)) == -1) {
		(void)snprintf(err, errlen, "cannot find the zone of %s: %.200s",
		    name, why);
		return -1;
	}
	return dns_check_auth(dns, zone, name, rec, err, errlen);
}

static void
verify_published(struct ctx *c, struct dns *dns, struct job *j)
{
	char err[STS_ERR_MAX];

	if (auth_shows(dns, j->d.name, j->st.id, err, sizeof(err)) == -1) {
		report_add(&j->r, L_WARN, "publish", "_mta-sts.%s: id %s was "
		    "published by %s, but DNS does not show it yet: %s",
		    j->d.name, j->st.id, publish_name(c->conf->publish), err);
		return;
	}
	j->st.published = 1;
	j->r.published = 1;
	(void)snprintf(j->r.dns_id, sizeof(j->r.dns_id), "%s", j->st.id);
	(void)save_state(c, j);
}

static void
publish(struct ctx *c, struct dns *dns, struct job *j, const char *dns_id,
    const char *dns_why)
{
	const char *method = publish_name(c->conf->publish);
	char err[STS_ERR_MAX], rec[STS_ID_MAX + 32];
	const char *name = j->d.name;
	int rc;

	(void)sts_txt_record(j->st.id, rec, sizeof(rec));
	if (c->o->dry && c->conf->publish != STS_PUBLISH_NONE) {
		report_add(&j->r, L_INFO, "publish", "_mta-sts.%s: would "
		    "publish \"%s\" by %s (DNS has %s%s)", name, rec, method,
		    dns_id[0] ? "id " : "", dns_id[0] ? dns_id : dns_why);
		return;
	}
	/* the hook's MTA_STS_OLD_ID: the id being replaced */
	rc = publish_id(c->conf, dns, &j->d, j->st.id,
	    dns_id[0] ? dns_id : j->st.pub_id, err, sizeof(err));
	switch (rc) {
	case 1:		/* none: tell the operator */
		if (dns_id[0])
			report_add(&j->r, L_ERROR, "dns", "_mta-sts.%s: id %s "
			    "published, %s expected; publish = none, so set "
			    "the record by hand: %s", name, dns_id, j->st.id, err);
		else
			report_add(&j->r, L_WARN, "dns", "_mta-sts.%s: %s, %s "
			    "expected; publish = none, so set the record by "
			    "hand: %s", name, dns_why, j->st.id, err);
		return;
	case 2:		/* zonefile: written once for all, later */
		j->want_publish = 1;
		return;
	case -1:
		report_add(&j->r, L_ERROR, "publish", "_mta-sts.%s: publishing "
		    "id %s by %s failed: %s", name, j->st.id, method, err);
		return;
	}
	report_add(&j->r, L_INFO, "publish", "_mta-sts.%s: published id %s "
	    "by %s%s%s", name, j->st.id, method, err[0] ? ": " : "", err);
	(void)snprintf(j->st.pub_id, sizeof(j->st.pub_id), "%s", j->st.id);
	if (save_state(c, j) == -1)
		return;
	verify_published(c, dns, j);
}

static void
check_domain(struct ctx *c, struct dns *dns, struct job *j)
{
	char digest[65], err[STS_ERR_MAX], why[STS_ERR_MAX], name[STS_HOST_MAX + 16];
	char dns_id[STS_ID_MAX + 1] = "", dns_why[STS_ERR_MAX] = "";
	char newid[STS_ID_MAX + 1], pats[1024];
	struct sts_strlist recs = { 0 };
	struct report *r = &j->r;
	struct sts_domain *d = &j->d;
	size_t *lens = NULL, i, which;
	int src, dns_ok = 0, have_state = 0;

	if (!j->loaded)
		return;
	state_digest(d->text, d->textlen, digest);
	(void)snprintf(name, sizeof(name), "_mta-sts.%s", d->name);
	r->policy = xstrdup(d->text);
	policy_summary(&d->policy, pats, sizeof(pats));
	report_add(r, L_INFO, "policy", "mode %s, max_age %lu, mx %s",
	    sts_mode_name(d->policy.mode), d->policy.max_age, pats);
	src = state_read(c->conf->state, d->name, &j->st, err, sizeof(err));
	if (src == -1)
		report_add(r, L_ERROR, "state", "%s; ids of %s are left alone: "
		    "move the file away and the next run starts again from "
		    "what DNS and HTTPS show", err, d->name);
	have_state = src == 0;

	/* step 3 */
	why[0] = '\0';
	j->served = check_https(c, dns, d->name, &d->policy, NULL, r, why,
	    sizeof(why));

	/* what DNS shows */
	if (dns_txt(dns, name, &recs, err, sizeof(err)) == -1) {
		report_add(r, L_ERROR, "dns", "%s: %s", name, bare(err, name));
	} else {
		dns_ok = 1;
		lens = xcalloc(recs.n, sizeof(*lens));
		for (i = 0; i < recs.n; i++)
			lens[i] = strlen(recs.v[i]);
		if (sts_txt_select((const char *const *)recs.v, lens, recs.n,
		    &which, dns_id, err, sizeof(err)) == -1) {
			dns_id[0] = '\0';
			(void)snprintf(dns_why, sizeof(dns_why), "%s", err);
		}
		(void)snprintf(r->dns_id, sizeof(r->dns_id), "%s", dns_id);
	}
	if (src == -1)
		goto checks;

	/* step 2: the id */
	if (have_state && strcmp(j->st.digest, digest) == 0) {
		/* unchanged */
	} else if (!have_state) {
		if (!dns_ok) {
			report_add(r, L_WARN, "id", "no state yet and DNS "
			    "cannot be read; the id is decided on the next run");
			goto checks;
		}
		memset(&j->st, 0, sizeof(j->st));
		memcpy(j->st.digest, digest, sizeof(digest));
		j->st.since = c->now;
		if (dns_id[0] && j->served) {
			(void)snprintf(j->st.id, sizeof(j->st.id), "%s", dns_id);
			(void)snprintf(j->st.pub_id, sizeof(j->st.pub_id), "%s", dns_id);
			j->st.published = 1;
			report_add(r, L_INFO, "id", "kept id %s from DNS: the "
			    "policy served matches the configuration", dns_id);
		} else {
			state_new_id(latest(dns_id, NULL), c->now, newid);
			(void)snprintf(j->st.id, sizeof(j->st.id), "%s", newid);
			(void)snprintf(j->st.prev_id, sizeof(j->st.prev_id), "%s", dns_id);
			(void)snprintf(j->st.pub_id, sizeof(j->st.pub_id), "%s", dns_id);
			report_add(r, L_INFO, "id", "%s id %s%s%s",
			    c->o->dry ? "would give" : "new", newid,
			    dns_id[0] ? "; DNS has " : "", dns_id);
		}
		if (save_state(c, j) == -1)
			goto checks;
	} else {
		const char *after = latest(latest(j->st.id, j->st.prev_id),
		    latest(j->st.pub_id, dns_id));

		state_new_id(after, c->now, newid);
		report_add(r, L_INFO, "id", "the policy changed: %s id %s "
		    "(was %s)", c->o->dry ? "would give" : "new",
		    newid, j->st.id);
		(void)snprintf(j->st.prev_id, sizeof(j->st.prev_id), "%s", j->st.id);
		(void)snprintf(j->st.id, sizeof(j->st.id), "%s", newid);
		memcpy(j->st.digest, digest, sizeof(digest));
		j->st.since = c->now;
		j->st.published = 0;
		if (save_state(c, j) == -1)
			goto checks;
	}
	j->state_ok = 1;
	(void)snprintf(r->id, sizeof(r->id), "%s", j->st.id);
	if (!dns_ok)
		goto checks;

	/* step 4: DNS */
	if (strcmp(dns_id, j->st.id) == 0) {
		report_add(r, L_INFO, "dns", "%s: id %s", name, dns_id);
		r->published = 1;
		if (!j->st.published || strcmp(j->st.pub_id, j->st.id) != 0) {
			j->st.published = 1;
			(void)snprintf(j->st.pub_id, sizeof(j->st.pub_id), "%s",
			    j->st.id);
			(void)save_state(c, j);
		}
		goto checks;
	}
	/* published by us before: maybe a resolver still caches the old one */
	if (strcmp(j->st.pub_id, j->st.id) == 0 &&
	    c->conf->publish != STS_PUBLISH_NONE &&
	    auth_shows(dns, d->name, j->st.id, err, sizeof(err)) == 0) {
		report_add(r, L_INFO, "dns", "%s: the authoritative servers show "
		    "id %s; the resolver still answers %s (cached)", name,
		    j->st.id, dns_id[0] ? dns_id : dns_why);
		r->published = 1;
		if (!j->st.published) {
			j->st.published = 1;
			(void)save_state(c, j);
		}
		goto checks;
	}
	j->st.published = 0;
	if (!j->served) {
		report_add(r, L_WARN, "dns", "%s: id %s waits for the policy to "
		    "be served: %s; DNS keeps %s%s", name, j->st.id,
		    why[0] ? why : "the policy is not served",
		    dns_id[0] ? "id " : "", dns_id[0] ? dns_id : "no usable record");
		goto checks;
	}
	publish(c, dns, j, dns_id, dns_why[0] ? dns_why : "no record");

 checks:
	/* steps 5 and 6 */
	check_mx(c, dns, d->name, &d->policy, r);
	/* with zonefile, the record is in the file: checked once it is written */
	if (c->conf->publish != STS_PUBLISH_ZONEFILE)
		check_tlsrpt(dns, d->name, &d->set.tlsrpt, r);
	free(lens);
	sts_strlist_free(&recs);
}

/* ---- probe ------------------------------------------------------------- */

static void
probe_domain(struct ctx *c, struct dns *dns, struct job *j)
{
	char name[STS_HOST_MAX + 16], err[STS_ERR_MAX], why[STS_ERR_MAX];
	char id[STS_ID_MAX + 1] = "", pats[1024];
	struct sts_strlist recs = { 0 };
	struct sts_policy pol;
	struct report *r = &j->r;
	size_t *lens = NULL, i, which;
	int have;

	memset(&pol, 0, sizeof(pol));
	(void)snprintf(name, sizeof(name), "_mta-sts.%s", r->domain);
	if (dns_txt(dns, name, &recs, err, sizeof(err)) == -1) {
		report_add(r, L_ERROR, "dns", "%s: %s", name, bare(err, name));
	} else {
		lens = xcalloc(recs.n, sizeof(*lens));
		for (i = 0; i < recs.n; i++)
			lens[i] = strlen(recs.v[i]);
		if (sts_txt_select((const char *const *)recs.v, lens, recs.n,
		    &which, id, err, sizeof(err)) == -1) {
			id[0] = '\0';
			report_add(r, L_ERROR, "dns", "%s: %s: senders see no "
			    "MTA-STS policy", name, err);
		}
	}
	(void)snprintf(r->id, sizeof(r->id), "%s", id);
	(void)snprintf(r->dns_id, sizeof(r->dns_id), "%s", id);
	r->published = id[0] != '\0';
	have = check_https(c, dns, r->domain, NULL, &pol, r, why, sizeof(why));
	if (have) {
		policy_summary(&pol, pats, sizeof(pats));
		report_add(r, L_INFO, "policy", "id %s, mode %s, max_age %lu, "
		    "mx %s", id[0] ? id : "(none)", sts_mode_name(pol.mode),
		    pol.max_age, pats);
		/* a short max_age is how mode none withdraws (§8.3) */
		if (pol.max_age < 86400 && pol.mode != STS_MODE_NONE)
			report_add(r, L_WARN, "policy", "max_age %lu is under a "
			    "day; senders cache the policy only that long",
			    pol.max_age);
	}
	check_mx(c, dns, r->domain, have ? &pol : NULL, r);
	check_tlsrpt(dns, r->domain, NULL, r);
	sts_policy_free(&pol);
	free(lens);
	sts_strlist_free(&recs);
}

/* ---- workers ----------------------------------------------------------- */

struct worker {
	struct ctx	*c;
	pthread_t	 t;
};

static void *
worker_main(void *arg)
{
	struct ctx *c = arg;
	char err[STS_ERR_MAX];
	struct dns *dns;
	size_t i;

	dns = dns_open(c->conf->resolver, c->conf->timeout, err, sizeof(err));
	for (;;) {
		pthread_mutex_lock(&c->mu);
		while (c->next < c->njobs && !c->jobs[c->next].selected)
			c->next++;
		i = c->next < c->njobs ? c->next++ : c->njobs;
		pthread_mutex_unlock(&c->mu);
		if (i == c->njobs)
			break;
		if (dns == NULL)
			report_add(&c->jobs[i].r, L_ERROR, "dns", "%s", err);
		else
			c->fn(c, dns, &c->jobs[i]);
	}
	dns_close(dns);
	return NULL;
}

static void
run_all(struct ctx *c, void (*fn)(struct ctx *, struct dns *, struct job *))
{
	struct worker *w;
	size_t n = c->o->jobs, i, started = 0;

	c->fn = fn;
	c->next = 0;
	if (n > c->njobs)
		n = c->njobs;
	if (n <= 1) {
		(void)worker_main(c);
		return;
	}
	w = xcalloc(n, sizeof(*w));
	for (i = 0; i < n; i++) {
		w[i].c = c;
		if (pthread_create(&w[i].t, NULL, worker_main, c) != 0)
			break;
		started++;
	}
	if (started == 0)
		(void)worker_main(c);
	for (i = 0; i < started; i++)
		pthread_join(w[i].t, NULL);
	free(w);
}

/* ---- zone file (publish = zonefile) ------------------------------------ */

static void
verify_job(struct ctx *c, struct dns *dns, struct job *j)
{
	verify_published(c, dns, j);
}

static void
tlsrpt_job(struct ctx *c, struct dns *dns, struct job *j)
{
	(void)c;
	if (j->loaded)
		check_tlsrpt(dns, j->d.name, &j->d.set.tlsrpt, &j->r);
}

static void
zonefile_run(struct ctx *c)
{
	struct sts_strlist lines = { 0 };
	char err[STS_ERR_MAX];
	struct job *j;
	size_t i, nwant = 0;
	int rc;

	for (i = 0; i < c->njobs; i++) {
		const char *zid;
		struct state st;

		j = &c->jobs[i];
		if (!j->loaded) {
			/* a configuration error: the file keeps what it had */
			if (zone_old_lines(c->conf->zonefile, j->r.domain, &lines) == -1)
				die("out of memory");
			continue;
		}
		if (j->selected && j->state_ok) {
			st = j->st;
			zid = (j->served || st.published) ? st.id : st.pub_id;
		} else if (state_read(c->conf->state, j->d.name, &st, err,
		    sizeof(err)) == 0) {
			zid = st.published ? st.id : st.pub_id;
		} else {
			size_t before = lines.n;

			if (zone_old_lines(c->conf->zonefile, j->d.name, &lines) == -1)
				die("out of memory");
			if (lines.n > before)
				continue;
			zid = NULL;
		}
		if (zone_records(j->d.name, zid, &j->d.set.tlsrpt, &lines) == -1)
			die("%s: cannot build the records", j->d.name);
		if (j->want_publish)
			nwant++;
	}
	if (c->o->dry) {
		for (i = 0; i < c->njobs; i++)
			if (c->jobs[i].want_publish)
				report_add(&c->jobs[i].r, L_INFO, "publish",
				    "_mta-sts.%s: would publish id %s by "
				    "zonefile (%s)", c->jobs[i].d.name,
				    c->jobs[i].st.id, c->conf->zonefile);
		goto out;
	}
	rc = publish_zonefile(c->conf, &lines, err, sizeof(err));
	if (rc == -1) {
		for (i = 0; i < c->njobs; i++)
			if (c->jobs[i].want_publish)
				report_add(&c->jobs[i].r, L_ERROR, "publish",
				    "_mta-sts.%s: publishing id %s by zonefile "
				    "failed: %s", c->jobs[i].d.name,
				    c->jobs[i].st.id, err);
		if (nwant == 0)
			gwarn_cb(NULL, err);
		goto out;
	}
	/* the file already says so, but DNS does not: reload anyway */
	if (rc == 1 && nwant > 0 &&
	    publish_reload(c->conf, err, sizeof(err)) == -1) {
		for (i = 0; i < c->njobs; i++)
			if (c->jobs[i].want_publish)
				report_add(&c->jobs[i].r, L_ERROR, "publish",
				    "_mta-sts.%s: publishing id %s by zonefile "
				    "failed: %s", c->jobs[i].d.name,
				    c->jobs[i].st.id, err);
		goto out;
	}
	for (i = 0; i < c->njobs; i++) {
		j = &c->jobs[i];
		if (!j->want_publish)
			continue;
		report_add(&j->r, L_INFO, "publish", "_mta-sts.%s: published "
		    "id %s by zonefile (%s%s)", j->d.name, j->st.id,
		    c->conf->zonefile, rc == 1 ? ", already there" : "");
		(void)snprintf(j->st.pub_id, sizeof(j->st.pub_id), "%s", j->st.id);
		if (save_state(c, j) == -1)
			j->want_publish = 0;
	}
	if (nwant > 0) {
		for (i = 0; i < c->njobs; i++)
			c->jobs[i].selected = c->jobs[i].want_publish;
		run_all(c, verify_job);
	}
 out:
	sts_strlist_free(&lines);
}

/* ---- commands ---------------------------------------------------------- */

static void
load_conf(const struct opts *o, struct sts_conf *conf, int optional)
{
	char err[STS_ERR_MAX];
	const char *path = o->conffile ? o->conffile : STS_CONF_DEFAULT;

	sts_conf_defaults(conf);
	if (optional && access(path, R_OK) == -1) {
		/* probe needs no configuration: built-in defaults */
		if (o->conffile != NULL)
			fprintf(stderr, "mta-sts-check: cannot read %s (%s); "
			    "probing with the built-in defaults\n", path,
			    strerror(errno));
		if (conf->timeout == 0)
			conf->timeout = 10;
		return;
	}
	if (sts_conf_load(path, conf, err, sizeof(err)) == -1)
		die("%s", err);
	if (conf->timeout == 0)
		conf->timeout = 10;
}

/* a domain named on the command line, to an A-label; one trailing dot allowed */
static void
arg_domain(const char *arg, char *out, size_t outlen)
{
	char err[STS_ERR_MAX], *tmp;
	size_t n = strlen(arg);

	tmp = xstrdup(arg);
	if (n > 1 && tmp[n - 1] == '.')
		tmp[n - 1] = '\0';
	if (sts_host_to_alabel(tmp, 0, out, outlen, err, sizeof(err)) == -1)
		die("%s", err);
	free(tmp);
}

/* the domain files, and which ones the command line names */
static void
list_domains(const struct sts_conf *conf, char **names, int nnames,
    struct job **jobsp, size_t *njobsp)
{
	struct sts_strlist files = { 0 };
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1];
	struct job *jobs;
	size_t i;
	int k;

	if (sts_domain_list(conf->domains, &files, gwarn_cb, NULL, err,
	    sizeof(err)) == -1)
		die("%s", err);
	if (files.n == 0 && nnames == 0) {
		(void)snprintf(err, sizeof(err), "%s: no domain files: nothing "
		    "to check", conf->domains);
		gwarn_cb(NULL, err);
	}
	jobs = xcalloc(files.n, sizeof(*jobs));
	for (i = 0; i < files.n; i++) {
		jobs[i].file = xstrdup(files.v[i]);
		if (sts_host_to_alabel(files.v[i], 0, a, sizeof(a), err,
		    sizeof(err)) == -1)
			(void)snprintf(a, sizeof(a), "%s", files.v[i]);
		(void)snprintf(jobs[i].r.domain, sizeof(jobs[i].r.domain), "%s", a);
		jobs[i].selected = nnames == 0;
	}
	for (k = 0; k < nnames; k++) {
		arg_domain(names[k], a, sizeof(a));
		for (i = 0; i < files.n; i++)
			if (strcmp(jobs[i].r.domain, a) == 0)
				break;
		if (i == files.n)
			die("unknown domain %s: no file for it in %s", names[k],
			    conf->domains);
		jobs[i].selected = 1;
	}
	*jobsp = jobs;
	*njobsp = files.n;
	sts_strlist_free(&files);
}

static void
load_domain(const struct sts_conf *conf, struct sts_certstore *store,
    struct job *j)
{
	char err[STS_ERR_MAX];

	if (sts_domain_load(conf, store, conf->domains, j->file, &j->d, err,
	    sizeof(err)) == -1) {
		report_add(&j->r, L_ERROR, "config", "%s", err);
		return;
	}
	(void)snprintf(j->r.domain, sizeof(j->r.domain), "%s", j->d.name);
	j->loaded = 1;
}

static void
free_jobs(struct job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		report_free(&jobs[i].r);
		if (jobs[i].loaded)
			sts_domain_free(&jobs[i].d);
		free(jobs[i].file);
	}
	free(jobs);
}

static void
free_smtp(struct ctx *c)
{
	struct smtp_entry *e, *next;
	size_t i;

	for (i = 0; i < SMTP_BUCKETS; i++)
		for (e = c->smtp[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
}

/* print the reports in domain order; the exit status */
static int
output(const struct ctx *c, int only_selected)
{
	struct report *rs;
	enum level min;
	size_t i, n = 0;
	int status;

	rs = xcalloc(c->njobs, sizeof(*rs));
	for (i = 0; i < c->njobs; i++)
		if (!only_selected || c->jobs[i].selected)
			rs[n++] = c->jobs[i].r;
	status = report_status(rs, n, gwarn.n > 0);
	if (c->o->json) {
		report_print_json(stdout, rs, n, status, &gwarn, NULL);
	} else {
		if (!c->o->quiet)
			for (i = 0; i < gwarn.n; i++)
				printf("mta-sts-check: warning: %s\n", gwarn.v[i]);
		min = c->o->quiet ? L_ERROR : (c->o->verbose || c->o->dry ||
		    c->o->cmd == CMD_PROBE) ? L_INFO : L_WARN;
		for (i = 0; i < n; i++)
			report_print_text(stdout, &rs[i], min,
			    c->o->verbose && c->o->cmd == CMD_CHECK);
	}
	free(rs);
	if (fflush(stdout) == EOF)
		return 3;
	return status;
}

static int
cmd_check(struct opts *o, char **names, int nnames)
{
	struct sts_conf conf;
	struct sts_certstore *store = NULL;
	struct ctx c;
	struct stat sb;
	char err[STS_ERR_MAX];
	struct dns *probe;
	int lockfd = -1, status, need_all;
	size_t i;

	memset(&c, 0, sizeof(c));
	load_conf(o, &conf, 0);
	if ((probe = dns_open(conf.resolver, conf.timeout, err, sizeof(err))) == NULL)
		die("resolver: %s", err);
	dns_close(probe);
	list_domains(&conf, names, nnames, &c.jobs, &c.njobs);

	if (!o->dry && state_mkdir(conf.state, err, sizeof(err)) == -1)
		die("%s", err);
	if ((!o->dry || stat(conf.state, &sb) == 0) &&
	    state_lock(conf.state, &lockfd, err, sizeof(err)) == -1)
		die("%s", err);

	if ((store = sts_certstore_new(gwarn_cb, NULL)) == NULL)
		die("out of memory");
	need_all = conf.publish == STS_PUBLISH_ZONEFILE;
	for (i = 0; i < c.njobs; i++)
		if (c.jobs[i].selected || need_all)
			load_domain(&conf, store, &c.jobs[i]);

	c.conf = &conf;
	c.o = o;
	c.now = time(NULL);
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	run_all(&c, check_domain);
	if (conf.publish == STS_PUBLISH_ZONEFILE) {
		int *sel = xcalloc(c.njobs, sizeof(int));

		for (i = 0; i < c.njobs; i++)
			sel[i] = c.jobs[i].selected;
		zonefile_run(&c);
		for (i = 0; i < c.njobs; i++)
			c.jobs[i].selected = sel[i];
		free(sel);
		run_all(&c, tlsrpt_job);
	}
	status = output(&c, 1);
	state_unlock(lockfd);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	free_smtp(&c);
	free_jobs(c.jobs, c.njobs);
	sts_certstore_free(store);
	sts_conf_free(&conf);
	return status;
}

static int
cmd_probe(struct opts *o, char **names, int nnames)
{
	struct sts_conf conf;
	struct ctx c;
	char err[STS_ERR_MAX];
	struct dns *probe;
	int k, status;

	if (nnames == 0)
		usage(3);
	memset(&c, 0, sizeof(c));
	load_conf(o, &conf, 1);
	if ((probe = dns_open(conf.resolver, conf.timeout, err, sizeof(err))) == NULL)
		die("resolver: %s", err);
	dns_close(probe);
	c.jobs = xcalloc((size_t)nnames, sizeof(*c.jobs));
	c.njobs = (size_t)nnames;
	for (k = 0; k < nnames; k++) {
		arg_domain(names[k], c.jobs[k].r.domain,
		    sizeof(c.jobs[k].r.domain));
		c.jobs[k].selected = 1;
	}
	c.conf = &conf;
	c.o = o;
	c.now = time(NULL);
	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	run_all(&c, probe_domain);
	status = output(&c, 1);
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	free_smtp(&c);
	free_jobs(c.jobs, c.njobs);
	sts_conf_free(&conf);
	return status;
}

static int
cmd_records(struct opts *o, char **names, int nnames)
{
	struct sts_conf conf;
	struct sts_certstore *store = NULL;
	struct sts_strlist lines = { 0 };
	struct job *jobs = NULL;
	struct state st;
	char err[STS_ERR_MAX], digest[65];
	size_t njobs = 0, i, k;
	int status = 0, src;

	load_conf(o, &conf, 0);
	list_domains(&conf, names, nnames, &jobs, &njobs);
	if ((store = sts_certstore_new(gwarn_cb, NULL)) == NULL)
		die("out of memory");
	for (i = 0; i < gwarn.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", gwarn.v[i]);
	printf("; MTA-STS and TLS-RPT records, from mta-sts-check records\n");
	for (i = 0; i < njobs; i++) {
		struct job *j = &jobs[i];
		const char *id = NULL;

		if (!j->selected)
			continue;
		load_domain(&conf, store, j);
		printf("\n; %s\n", j->r.domain);
		if (!j->loaded) {
			printf("; configuration error: %s\n", j->r.f[0].msg);
			fprintf(stderr, "mta-sts-check: %s\n", j->r.f[0].msg);
			status = 3;
			continue;
		}
		src = state_read(conf.state, j->d.name, &st, err, sizeof(err));
		if (src == -1) {
			printf("; %s\n", err);
			fprintf(stderr, "mta-sts-check: %s\n", err);
			if (status == 0)
				status = 2;
		} else if (src == 1) {
			printf("; %s: no id yet: run mta-sts-check first (it "
			    "gives one once the policy is served)\n", j->d.name);
		} else {
			id = st.id;
			state_digest(j->d.text, j->d.textlen, digest);
			if (strcmp(digest, st.digest) != 0)
				printf("; %s: the policy changed since the last "
				    "run; the next run of mta-sts-check gives it a "
				    "new id\n", j->d.name);
		}
		if (zone_records(j->d.name, id, &j->d.set.tlsrpt, &lines) == -1)
			die("%s: cannot build the records", j->d.name);
		for (k = 0; k < lines.n; k++)
			printf("%s\n", lines.v[k]);
		sts_strlist_free(&lines);
		printf("; mta-sts.%s needs an A/AAAA record and a certificate "
		    "for that name\n", j->d.name);
	}
	if (fflush(stdout) == EOF)
		status = 3;
	free_jobs(jobs, njobs);
	sts_certstore_free(store);
	sts_conf_free(&conf);
	return status;
}

static int
cmd_policy(struct opts *o, char **names, int nnames)
{
	struct sts_conf conf;
	struct sts_certstore *store = NULL;
	struct job *jobs = NULL;
	size_t njobs = 0, i;
	int status = 3;

	if (nnames != 1)
		usage(3);
	load_conf(o, &conf, 0);
	list_domains(&conf, names, nnames, &jobs, &njobs);
	if ((store = sts_certstore_new(gwarn_cb, NULL)) == NULL)
		die("out of memory");
	for (i = 0; i < njobs; i++) {
		if (!jobs[i].selected)
			continue;
		load_domain(&conf, store, &jobs[i]);
		if (!jobs[i].loaded) {
			fprintf(stderr, "mta-sts-check: %s\n", jobs[i].r.f[0].msg);
			break;
		}
		if (fwrite(jobs[i].d.text, 1, jobs[i].d.textlen, stdout) !=
		    jobs[i].d.textlen || fflush(stdout) == EOF)
			break;
		status = 0;
	}
	for (i = 0; i < gwarn.n; i++)
		fprintf(stderr, "mta-sts-check: warning: %s\n", gwarn.v[i]);
	free_jobs(jobs, njobs);
	sts_certstore_free(store);
	sts_conf_free(&conf);
	return status;
}

/* ---- main -------------------------------------------------------------- */

static void
sane_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	struct sigaction sa;
	int ch, status;
	char *ep;
	long v;

	sane_fds();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);

	memset(&o, 0, sizeof(o));
	o.jobs = JOBS_DEFAULT;
	o.cmd = CMD_CHECK;
	for (;;) {
		while ((ch = getopt_long(argc, argv, "+c:nqvj:hV", longopts,
		    NULL)) != -1) {
			switch (ch) {
			case 'c':
				o.conffile = optarg;
				break;
			case 'n':
				o.dry = 1;
				break;
			case 'q':
				o.quiet = 1;
				break;
			case 'v':
				o.verbose = 1;
				break;
			case 'J':
				o.json = json_out = 1;
				break;
			case 'j':
				errno = 0;
				v = strtol(optarg, &ep, 10);
				if (errno != 0 || ep == optarg || *ep != '\0' ||
				    v < 1 || v > JOBS_MAX) {
					fprintf(stderr, "mta-sts-check: -j takes "
					    "a number from 1 to %d\n", JOBS_MAX);
					usage(3);
				}
				o.jobs = (unsigned)v;
				break;
			case 'h':
				usage(0);
			case 'V':
				printf("mta-sts-check %s\n", STS_VERSION);
				return 0;
			default:
				usage(3);
			}
		}
		if (optind < argc && o.cmd == CMD_CHECK) {
			const char *w = argv[optind];

			if (strcmp(w, "probe") == 0)
				o.cmd = CMD_PROBE;
			else if (strcmp(w, "records") == 0)
				o.cmd = CMD_RECORDS;
			else if (strcmp(w, "policy") == 0)
				o.cmd = CMD_POLICY;
			else if (strcmp(w, "ingest") == 0 ||
			    strcmp(w, "report") == 0)	/* TLS-RPT: tlsrpt.h */
				return tlsrpt_main(o.conffile, argc - optind,
				    argv + optind);
			if (o.cmd != CMD_CHECK) {
				optind++;
				continue;	/* options may follow the command */
			}
		}
		break;
	}
	if (o.quiet && o.verbose) {
		fprintf(stderr, "mta-sts-check: -q and -v exclude each other\n");
		usage(3);
	}
	argv += optind;
	argc -= optind;
	switch (o.cmd) {
	case CMD_PROBE:
		status = cmd_probe(&o, argv, argc);
		break;
	case CMD_RECORDS:
		status = cmd_records(&o, argv, argc);
		break;
	case CMD_POLICY:
		status = cmd_policy(&o, argv, argc);
		break;
	default:
		status = cmd_check(&o, argv, argc);
		break;
	}
	sts_strlist_free(&gwarn);
	return status;
}
