/* SPDX-License-Identifier: ISC */
/*
 * The TLS-RPT store: STATE/reports/<domain>/<YYYYMMDD>-<hash>.json, one
 * compact file per report and domain, named by the day its date-range ends
 * and a hash of its report-id (so a report is stored once), written to a
 * temporary file, fsync'd and renamed. And the summary over a window.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "check.h"
#include "tlsrpt.h"
#include "util.h"

#define REPORTS_DIR	"reports"
#define FILE_MAX	(4UL * 1024 * 1024)	/* one stored report */
#define FILES_MAX	100000			/* read per domain */

static int
mkdir_p(const char *path, char *err, size_t errlen)
{
	if (mkdir(path, 0750) == -1 && errno != EEXIST)
		return sts_err(err, errlen, "%s: cannot create: %s", path,
		    strerror(errno));
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
write_atomic(const char *dir, const char *name, const char *data, size_t len,
    char *err, size_t errlen)
{
	char tmp[4096], path[4096];
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s/.%s.%ld.tmp", dir, name,
	    (long)getpid()) >= sizeof(tmp))
		return sts_err(err, errlen, "%s: path too long", dir);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1)
		return sts_err(err, errlen, "%s: cannot create: %s", tmp,
		    strerror(errno));
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			sts_err(err, errlen, "%s: cannot write: %s", tmp,
			    n == 0 ? "short write" : strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1) {
		sts_err(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		sts_err(err, errlen, "%s: cannot write: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		sts_err(err, errlen, "%s: cannot rename to %s: %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	if (fsync_dir(dir) == -1)
		return sts_err(err, errlen, "%s: cannot sync: %s", dir,
		    strerror(errno));
	return 0;
 fail:
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	return -1;
}

static void
file_name(const struct tlsrpt *r, char *buf, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct tm tm;
	char day[16];
	int i;

	(void)SHA256((const unsigned char *)r->id, strlen(r->id), md);
	gmtime_r(&r->end, &tm);
	(void)strftime(day, sizeof(day), "%Y%m%d", &tm);
	(void)snprintf(buf, len, "%s-", day);
	for (i = 0; i < 12; i++)
		(void)snprintf(buf + strlen(buf), len - strlen(buf), "%02x", md[i]);
	(void)snprintf(buf + strlen(buf), len - strlen(buf), ".json");
}

enum store_rc
reports_store(const char *statedir, const struct tlsrpt *r,
    const struct sts_strlist *served, char *err, size_t errlen)
{
	char top[4096], dir[4096], name[64], path[4096], other[STS_ERR_MAX] = "";
	struct sts_strlist doms = { 0 };
	int *keep = NULL, fresh = 0;
	enum store_rc rc = STORE_TEMP;
	char *json = NULL;
	struct stat sb;
	size_t i, k;

	if ((size_t)snprintf(top, sizeof(top), "%s/%s", statedir, REPORTS_DIR) >=
	    sizeof(top)) {
		sts_err(err, errlen, "%s: path too long", statedir);
		goto out;
	}
	if ((keep = calloc(r->npolicies + 1, sizeof(*keep))) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < r->npolicies; i++) {
		const char *d = r->policies[i].domain;

		if (sts_strlist_contains(served, d)) {
			if (sts_strlist_add(&doms, d) == -1) {
				sts_err(err, errlen, "out of memory");
				goto out;
			}
		} else if (other[0] == '\0')
			(void)snprintf(other, sizeof(other), "%s", d);
	}
	sts_strlist_sort_uniq(&doms);
	if (doms.n == 0) {
		char b[80];

		sts_err(err, errlen, "report-id %s: for %s, a domain not "
		    "served here; refused", sts_escape(b, sizeof(b), r->id,
		    strlen(r->id)), other);
		rc = STORE_BAD;
		goto out;
	}
	if (mkdir_p(statedir, err, errlen) == -1 || mkdir_p(top, err, errlen) == -1)
		goto out;
	file_name(r, name, sizeof(name));
	for (k = 0; k < doms.n; k++) {
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", top, doms.v[k]) >=
		    sizeof(dir) || mkdir_p(dir, err, errlen) == -1)
			goto out;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
		    sizeof(path)) {
			sts_err(err, errlen, "%s: path too long", dir);
			goto out;
		}
		if (stat(path, &sb) == 0)
			continue;	/* this report-id is already stored */
		for (i = 0; i < r->npolicies; i++)
			keep[i] = strcmp(r->policies[i].domain, doms.v[k]) == 0;
		free(json);
		if ((json = tlsrpt_to_json(r, keep)) == NULL) {
			sts_err(err, errlen, "out of memory");
			goto out;
		}
		if (write_atomic(dir, name, json, strlen(json), err, errlen) == -1)
			goto out;
		fresh = 1;
	}
	rc = fresh ? STORE_NEW : STORE_DUP;
	if (other[0] != '\0')
		(void)snprintf(err, errlen, "policies for %s (not served here) "
		    "left out", other);
	else if (errlen > 0)
		err[0] = '\0';
 out:
	free(json);
	free(keep);
	sts_strlist_free(&doms);
	return rc;
}

/* YYYYMMDD at the start of a stored file's name, to the end of that day */
static int
name_day(const char *name, time_t *end)
{
	char b[32];

	if (strlen(name) < 9 || name[8] != '-')
		return -1;
	(void)snprintf(b, sizeof(b), "%.4s-%.2s-%.2sT23:59:59Z", name,
	    name + 4, name + 6);
	return tlsrpt_date(b, end);
}

static int
is_report_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".json") == 0;
}

int
reports_prune(const char *statedir, unsigned keep, time_t now, char *err,
    size_t errlen)
{
	char top[4096], dir[4096], path[4096];
	DIR *dt, *dd;
	struct dirent *de, *fe;
	time_t end;
	int ret = 0;

	(void)snprintf(top, sizeof(top), "%s/%s", statedir, REPORTS_DIR);
	if ((dt = opendir(top)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sts_err(err, errlen, "%s: %s", top, strerror(errno));
	}
	while ((de = readdir(dt)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", top, de->d_name) >=
		    sizeof(dir) || (dd = opendir(dir)) == NULL)
			continue;
		while ((fe = readdir(dd)) != NULL) {
			if (!is_report_file(fe->d_name) ||
			    name_day(fe->d_name, &end) == -1)
				continue;
			if (end + (time_t)keep * 86400 >= now)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    fe->d_name) < sizeof(path) && unlink(path) == -1 &&
			    errno != ENOENT) {
				ret = sts_err(err, errlen, "%s: cannot remove: %s",
				    path, strerror(errno));
			}
		}
		closedir(dd);
	}
	closedir(dt);
	return ret;
}

/* ---- summary ------------------------------------------------------------- */

struct fail {
	char		*type, *mx, *ip;
	struct sts_strlist orgs;
	uint64_t	 sessions;
};

struct agg {
	struct sts_strlist	 orgs;
	uint64_t		 ok, failed;
	uint64_t		 seen_current, seen_older, seen_none;
	struct fail		*f;
	size_t			 nf;
	time_t			*iv;		/* start, end pairs */
	size_t			 niv;
	size_t			 nreports;
};

static uint64_t
sadd(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

static int
cmpstr(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
add_fail(struct agg *a, const char *org, const struct tlsrpt_detail *d)
{
	struct fail *n;
	size_t i;

	for (i = 0; i < a->nf; i++)
		if (cmpstr(a->f[i].type, d->result_type) == 0 &&
		    cmpstr(a->f[i].mx, d->mx) == 0 &&
		    cmpstr(a->f[i].ip, d->sending_ip) == 0)
			break;
	if (i == a->nf) {
		if ((n = realloc(a->f, (a->nf + 1) * sizeof(*n))) == NULL)
			return -1;
		a->f = n;
		memset(&a->f[i], 0, sizeof(a->f[i]));
		a->f[i].type = strdup(d->result_type);
		a->f[i].mx = strdup(d->mx != NULL ? d->mx : "(unknown MX)");
		a->f[i].ip = strdup(d->sending_ip != NULL ? d->sending_ip :
		    "(unknown IP)");
		a->nf++;
		if (a->f[i].type == NULL || a->f[i].mx == NULL || a->f[i].ip == NULL)
			return -1;
	}
	a->f[i].sessions = sadd(a->f[i].sessions, d->sessions);
	if (!sts_strlist_contains(&a->f[i].orgs, org))
		return sts_strlist_add(&a->f[i].orgs, org);
	return 0;
}

/* the lines of a policy text, trimmed, without empty ones, sorted */
static int
policy_lines(const char *text, size_t len, struct sts_strlist *l)
{
	size_t i = 0, b, e;

	while (i < len) {
		b = i;
		while (i < len && text[i] != '\n')
			i++;
		e = i++;
		while (b < e && (text[b] == ' ' || text[b] == '\t'))
			b++;
		while (e > b && (text[e - 1] == '\r' || text[e - 1] == ' ' ||
		    text[e - 1] == '\t'))
			e--;
		if (e > b && sts_strlist_addn(l, text + b, e - b) == -1)
			return -1;
	}
	sts_strlist_sort_uniq(l);
	return 0;
}

static int
same_policy(const struct sts_strlist *served, const struct sts_strlist *seen)
{
	struct sts_strlist l = { 0 };
	size_t i;
	int eq;

	for (i = 0; i < seen->n; i++)
		if (policy_lines(seen->v[i], strlen(seen->v[i]), &l) == -1) {
			sts_strlist_free(&l);
			return 0;
		}
	sts_strlist_sort_uniq(&l);
	eq = sts_strlist_equal(served, &l);
	sts_strlist_free(&l);
	return eq;
}

static int
cmp_time(const void *a, const void *b)
{
	const time_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* seconds covered by the union of the report intervals */
static time_t
covered(struct agg *a)
{
	time_t total = 0, cs = 0, ce = 0;
	size_t i;

	if (a->niv == 0)
		return 0;
	qsort(a->iv, a->niv, 2 * sizeof(time_t), cmp_time);
	cs = a->iv[0];
	ce = a->iv[1];
	for (i = 1; i < a->niv; i++) {
		time_t s = a->iv[2 * i], e = a->iv[2 * i + 1];

		if (s <= ce + 1) {
			if (e > ce)
				ce = e;
		} else {
			total += ce - cs + 1;
			cs = s;
			ce = e;
		}
	}
	total += ce - cs + 1;
	return total;
}

static const char *
advice(const char *type)
{
	static const struct { const char *t, *a; } tab[] = {
		{ "starttls-not-supported", "it does not offer STARTTLS: enable it" },
		{ "certificate-host-mismatch", "its certificate does not name it: "
		    "add the MX name to the certificate" },
		{ "certificate-expired", "its certificate has expired: renew it" },
		{ "certificate-not-trusted", "its certificate does not chain to a "
		    "public CA: serve the full chain of a trusted CA" },
		{ "validation-failure", "its certificate does not validate: "
		    "serve the full chain of a trusted CA, naming the host" },
		{ "sts-policy-fetch-error", "senders could not fetch the policy: "
		    "check https://mta-sts.<domain>/.well-known/mta-sts.txt" },
		{ "sts-policy-invalid", "senders could not parse the policy: "
		    "run mta-sts-check probe" },
		{ "sts-webpki-invalid", "the certificate of mta-sts.<domain> is "
		    "not valid: renew it or add the name" },
		{ "tlsa-invalid", "its TLSA records do not match its certificate" },
		{ "dnssec-invalid", "DNSSEC validation failed for it" },
		{ "dane-required", "DANE is required but it gives no TLSA" },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(type, tab[i].t) == 0)
			return tab[i].a;
	return "see the failure details the senders gave";
}

static int
cmp_fail(const void *a, const void *b)
{
	const struct fail *x = a, *y = b;
	int c;

	if ((c = strcmp(x->mx, y->mx)) != 0)
		return c;
	if ((c = strcmp(x->type, y->type)) != 0)
		return c;
	return strcmp(x->ip, y->ip);
}

static void
agg_free(struct agg *a)
{
	size_t i;

	for (i = 0; i < a->nf; i++) {
		free(a->f[i].type);
		free(a->f[i].mx);
		free(a->f[i].ip);
		sts_strlist_free(&a->f[i].orgs);
	}
	free(a->f);
	free(a->iv);
	sts_strlist_free(&a->orgs);
}

static void
join(FILE *fp, const struct sts_strlist *l)
{
	size_t i;
	char b[256];

	for (i = 0; i < l->n; i++)
		fprintf(fp, "%s%s", i ? ", " : "", sts_escape(b, sizeof(b),
		    l->v[i], strlen(l->v[i])));
}

/*
 * The report files in dir whose day may reach from (at most FILES_MAX);
 * none when dir does not exist. -1 with err.
 */
static int
report_files(const char *dir, time_t from, struct sts_strlist *files,
    char *err, size_t errlen)
{
	struct dirent *de;
	time_t end;
	DIR *dd;

	if ((dd = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		sts_err(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(dd)) != NULL && files->n < FILES_MAX) {
		if (!is_report_file(de->d_name) ||
		    name_day(de->d_name, &end) == -1 || end < from)
			continue;
		if (sts_strlist_add(files, de->d_name) == -1) {
			closedir(dd);
			sts_err(err, errlen, "out of memory");
			return -1;
		}
	}
	closedir(dd);
	return 0;
}

/* one report r into a: its organisation, its interval, domain's counts */
static int
agg_add(struct agg *a, const struct tlsrpt *r, const char *domain,
    const struct sts_strlist *served)
{
	time_t *niv;
	size_t j, k;

	a->nreports++;
	if (!sts_strlist_contains(&a->orgs, r->org) &&
	    sts_strlist_add(&a->orgs, r->org) == -1)
		return -1;
	if ((niv = realloc(a->iv, (a->niv + 1) * 2 * sizeof(time_t))) == NULL)
		return -1;
	a->iv = niv;
	a->iv[2 * a->niv] = r->start;
	a->iv[2 * a->niv + 1] = r->end;
	a->niv++;
	for (j = 0; j < r->npolicies; j++) {
		const struct tlsrpt_policy *p = &r->policies[j];
		uint64_t all = sadd(p->ok, p->failed);

		if (strcmp(p->domain, domain) != 0)
			continue;
		a->ok = sadd(a->ok, p->ok);
		a->failed = sadd(a->failed, p->failed);
		if (p->type != TLSRPT_STS)
			a->seen_none = sadd(a->seen_none, all);
		else if (served->n > 0 && same_policy(served, &p->lines))
			a->seen_current = sadd(a->seen_current, all);
		else
			a->seen_older = sadd(a->seen_older, all);
		for (k = 0; k < p->ndetails; k++)
			if (add_fail(a, r->org, &p->details[k]) == -1)
				return -1;
	}
	return 0;
}

/*
 * The reports of in->domain over the window into a (agg_free it), the
 * failures sorted by MX, type and IP; *cov the seconds they cover.
 * 0, or -1 with err.
 */
static int
collect(const char *statedir, const struct summary_in *in, struct agg *ap,
    time_t *cov, char *err, size_t errlen)
{
	struct agg a;
	struct sts_strlist served = { 0 }, files = { 0 };
	char dir[4096], path[4096], e[STS_ERR_MAX], *buf;
	size_t i, blen;
	time_t from = in->now - (time_t)in->window;
	struct tlsrpt r;
	int ret = -1;

	memset(&a, 0, sizeof(a));
	if (in->policy != NULL &&
	    policy_lines(in->policy, strlen(in->policy), &served) == -1)
		goto oom;
	(void)snprintf(dir, sizeof(dir), "%s/%s/%s", statedir, REPORTS_DIR,
	    in->domain);
	if (report_files(dir, from, &files, err, errlen) == -1)
		goto out;
	sts_strlist_sort_uniq(&files);
	for (i = 0; i < files.n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    files.v[i]) >= sizeof(path) ||
		    sts_read_file(AT_FDCWD, path, FILE_MAX, &buf, &blen, NULL,
		    e, sizeof(e)) == -1)
			continue;
		if (tlsrpt_parse_json(buf, blen, &r, e, sizeof(e)) == -1) {
			fprintf(stderr, "mta-sts-check: %s: %s; skipped\n", path, e);
			free(buf);
			continue;
		}
		free(buf);
		if (r.end < from) {
			tlsrpt_free(&r);
			continue;
		}
		if (agg_add(&a, &r, in->domain, &served) == -1)
			goto oom_r;
		tlsrpt_free(&r);
	}
	sts_strlist_sort_uniq(&a.orgs);
	*cov = covered(&a);
	if (a.nf > 0)
		qsort(a.f, a.nf, sizeof(*a.f), cmp_fail);
	ret = 0;
	goto out;
 oom_r:
	tlsrpt_free(&r);
 oom:
	sts_err(err, errlen, "out of memory");
 out:
	if (ret == 0)
		*ap = a;
	else
		agg_free(&a);
	sts_strlist_free(&served);
	sts_strlist_free(&files);
	return ret;
}

int
reports_summary(const char *statedir, const struct summary_in *in, FILE *fp,
    char *err, size_t errlen)
{
	struct agg a;
	unsigned long need;
	size_t i;
	time_t cov;
	int ret = -1;

	if (collect(statedir, in, &a, &cov, err, errlen) == -1)
		return -1;
	need = in->max_age > 7 * 86400 ? in->max_age : 7 * 86400;

	fprintf(fp, "%s: mode %s, max_age %lu; reports of the last %lu days\n",
	    in->domain, sts_mode_name(in->mode), in->max_age,
	    (in->window + 86399) / 86400);
	if (a.nreports == 0) {
		fprintf(fp, "  no reports\n  verdict: not ready for enforce: no "
		    "TLS-RPT reports yet; check that _smtp._tls.%s sends them "
		    "here\n", in->domain);
		ret = 0;
		goto out;
	}
	fprintf(fp, "  reports: %zu from %zu organisation%s (", a.nreports,
	    a.orgs.n, a.orgs.n == 1 ? "" : "s");
	join(fp, &a.orgs);
	fprintf(fp, "), covering %.1f days\n", (double)cov / 86400);
	fprintf(fp, "  sessions: %llu succeeded, %llu failed\n",
	    (unsigned long long)a.ok, (unsigned long long)a.failed);
	fprintf(fp, "  policy seen: current %llu sessions, older policy %llu, "
	    "no policy %llu\n", (unsigned long long)a.seen_current,
	    (unsigned long long)a.seen_older, (unsigned long long)a.seen_none);
	for (i = 0; i < a.nf; i++) {
		char b1[128], b2[256], b3[128];

		fprintf(fp, "  failure: %s on %s from %s: %llu sessions (",
		    sts_escape(b1, sizeof(b1), a.f[i].type, strlen(a.f[i].type)),
		    sts_escape(b2, sizeof(b2), a.f[i].mx, strlen(a.f[i].mx)),
		    sts_escape(b3, sizeof(b3), a.f[i].ip, strlen(a.f[i].ip)),
		    (unsigned long long)a.f[i].sessions);
		join(fp, &a.f[i].orgs);
		fprintf(fp, ")\n");
	}
	if (a.failed > 0 || a.nf > 0) {
		fprintf(fp, "  verdict: not ready for enforce: ");
		if (a.nf == 0)
			fprintf(fp, "%llu failed sessions without details\n",
			    (unsigned long long)a.failed);
		for (i = 0; i < a.nf; i++) {
			char b1[128], b2[256];

			if (i > 0 && strcmp(a.f[i].mx, a.f[i - 1].mx) == 0 &&
			    strcmp(a.f[i].type, a.f[i - 1].type) == 0)
				continue;
			fprintf(fp, "%s%s: %s (%s)", i > 0 ? "; " : "",
			    sts_escape(b2, sizeof(b2), a.f[i].mx,
			    strlen(a.f[i].mx)), advice(a.f[i].type),
			    sts_escape(b1, sizeof(b1), a.f[i].type,
			    strlen(a.f[i].type)));
		}
		if (a.nf > 0)
			fprintf(fp, "\n");
	} else if (in->mode == STS_MODE_ENFORCE)
		fprintf(fp, "  verdict: enforced, no failures\n");
	else if (in->mode != STS_MODE_TESTING)
		fprintf(fp, "  verdict: mode %s: publish mode testing first\n",
		    sts_mode_name(in->mode));
	else if (a.orgs.n < 2)
		fprintf(fp, "  verdict: not yet: reports from %zu organisation, "
		    "2 needed\n", a.orgs.n);
	else if ((unsigned long)cov < need)
		fprintf(fp, "  verdict: not yet: reports cover %.1f days, %.1f "
		    "needed (max_age or 7 days)\n", (double)cov / 86400,
		    (double)need / 86400);
	else
		fprintf(fp, "  verdict: ready for enforce\n");
	ret = 0;
 out:
	agg_free(&a);
	return ret;
}

/* ---- findings for the check run ------------------------------------------ */

/* the organisations of a[from..to) (one MX and type), joined; "" if none fit */
static void
orgs_of(const struct agg *a, size_t from, size_t to, char *buf, size_t len)
{
	struct sts_strlist l = { 0 };
	size_t i, j, off = 0;
	char b[128];
	int n;

	buf[0] = '\0';
	for (i = from; i < to; i++)
		for (j = 0; j < a->f[i].orgs.n; j++)
			if (!sts_strlist_contains(&l, a->f[i].orgs.v[j]) &&
			    sts_strlist_add(&l, a->f[i].orgs.v[j]) == -1)
				goto out;
	sts_strlist_sort_uniq(&l);
	for (i = 0; i < l.n; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    sts_escape(b, sizeof(b), l.v[i], strlen(l.v[i])));
		if (n < 0 || (size_t)n >= len - off) {
			buf[off] = '\0';
			break;
		}
		off += (size_t)n;
	}
 out:
	sts_strlist_free(&l);
}

int
reports_findings(const char *statedir, const struct summary_in *in,
    struct report *r)
{
	struct agg a;
	char err[STS_ERR_MAX], orgs[512], b1[128], b2[256];
	unsigned long need, days = (in->window + 86399) / 86400;
	uint64_t sessions;
	size_t i, j;
	time_t cov;

	if (collect(statedir, in, &a, &cov, err, sizeof(err)) == -1) {
		report_add(r, L_WARN, "tlsrpt.store", "the stored TLS-RPT "
		    "reports cannot be read: %s", err);
		return -1;
	}
	need = in->max_age > 7 * 86400 ? in->max_age : 7 * 86400;
	/* one finding per MX and result type, over the sending IPs */
	for (i = 0; i < a.nf; i = j) {
		sessions = 0;
		for (j = i; j < a.nf && strcmp(a.f[j].mx, a.f[i].mx) == 0 &&
		    strcmp(a.f[j].type, a.f[i].type) == 0; j++)
			sessions = sadd(sessions, a.f[j].sessions);
		orgs_of(&a, i, j, orgs, sizeof(orgs));
		/* "MX host: ...": the outputs' host is the MX (formats.c) */
		sts_escape(b2, sizeof(b2), a.f[i].mx, strlen(a.f[i].mx));
		report_add(r, L_WARN, "tlsrpt.failures", "%s%s%sTLS-RPT: %s, "
		    "%llu failed session%s in the last %lu days, reported by "
		    "%s: %s", a.f[i].mx[0] != '(' ? "MX " : "",
		    a.f[i].mx[0] != '(' ? b2 : "", a.f[i].mx[0] != '(' ?
		    ": " : "", sts_escape(b1, sizeof(b1), a.f[i].type,
		    strlen(a.f[i].type)), (unsigned long long)sessions,
		    sessions == 1 ? "" : "s", days, orgs, advice(a.f[i].type));
	}
	if (a.nf == 0 && a.failed > 0)
		report_add(r, L_WARN, "tlsrpt.failures", "TLS-RPT: %llu failed "
		    "session%s in the last %lu days, reported without details",
		    (unsigned long long)a.failed, a.failed == 1 ? "" : "s",
		    days);
	if (a.nf == 0 && a.failed == 0 && in->mode == STS_MODE_TESTING &&
	    a.orgs.n >= 2 && (unsigned long)cov >= need) {
		for (i = 0, orgs[0] = '\0'; i < a.orgs.n; i++) {
			size_t off = strlen(orgs);

			(void)snprintf(orgs + off, sizeof(orgs) - off, "%s%s",
			    i ? ", " : "", sts_escape(b1, sizeof(b1),
			    a.orgs.v[i], strlen(a.orgs.v[i])));
		}
		report_add(r, L_INFO, "tlsrpt.ready", "TLS-RPT: ready for "
		    "enforce: %zu reports from %zu organisations (%s) cover "
		    "%.1f days with no failure; set mode = enforce",
		    a.nreports, a.orgs.n, orgs, (double)cov / 86400);
	}
	agg_free(&a);
	return 0;
}
