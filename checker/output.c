/* SPDX-License-Identifier: ISC */
/*
 * output.c: the text report an operator of many domains reads from cron.
 *
 * Each domain's report is folded in as soon as its checks end
 * (out_fold): the counts go up, and each finding shown at this verbosity
 * joins the entry of its level, code and message with the domain's name
 * taken out (out_template), so the same MX host down for 200 domains is
 * one entry that counts 200 and remembers the first few names. The
 * findings themselves are then freed: what stays per domain is the
 * struct job, and per shared cause one entry, so memory grows with the
 * number of distinct problems, not with the number of domains.
 *
 * out_text prints the run-wide warnings, then the entries worst first
 * (errors, warnings, info), a shared cause once with its count, and last
 * the summary line. With --changes, only the lines that appeared or
 * changed since the previous --changes run, and those that cleared,
 * compared with STATE/changes (written through atomic_write).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define AGG_BUCKETS	4096
#define AGG_NAMES	3	/* domains named on a shared line */
#define CHANGES_FILE	"changes"
#define CHANGES_LINE	4096
#define PLACEHOLDER	'\001'	/* the domain, in a template; clean() never writes it */

struct entry {
	struct entry	*next;
	enum level	 level;
	char		*code, *tmpl;		/* one allocation */
	size_t		 count;			/* domains; 0: a run-wide warning */
	size_t		 first[AGG_NAMES];	/* job indexes, ascending */
	size_t		 seq;			/* finding index in first[0] */
	uint64_t	 set;			/* the domains, order-free */
	char		*line;			/* rendered, by out_text */
};

struct agg {
	struct entry	*tab[AGG_BUCKETS];
	size_t		 n;
};

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
key_hash(enum level level, const char *code, const char *tmpl)
{
	uint64_t h = STS_HASH_INIT;
	char l = (char)('0' + level);

	h = sts_hash_add(h, &l, 1);
	h = sts_hash_add(h, code, strlen(code) + 1);
	return sts_hash_add(h, tmpl, strlen(tmpl));
}

static int
hostch(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/*
 * Is domain at msg[p..p+n) the domain itself, not part of another name?
 * Before it only labels starting with '_' or "mta-sts" ("_mta-sts.",
 * "_smtp._tls.", "mta-sts."); after it no more of a name.
 */
static int
is_mention(const char *msg, size_t p, size_t n)
{
	const char *e = msg + p + n;
	size_t ls;

	if (hostch(*e) && !(*e == '.' && !hostch(e[1])))
		return 0;
	while (p > 0 && msg[p - 1] == '.') {
		for (ls = p - 1; ls > 0 && hostch(msg[ls - 1]) &&
		    msg[ls - 1] != '.'; ls--)
			;
		if (msg[ls] == '_' || (p - 1 - ls == 7 &&
		    strncmp(msg + ls, "mta-sts", 7) == 0))
			p = ls;
		else
			return 0;
	}
	return p == 0 || !hostch(msg[p - 1]);
}

int
out_template(const char *msg, const char *domain, char *out, size_t outlen)
{
	size_t n = strlen(domain), i = 0, o = 0;

	while (msg[i] != '\0') {
		if (o + 1 >= outlen)
			return -1;
		if (n > 0 && strncmp(msg + i, domain, n) == 0 &&
		    is_mention(msg, i, n)) {
			out[o++] = PLACEHOLDER;
			i += n;
			continue;
		}
		out[o++] = msg[i++];
	}
	out[o] = '\0';
	return 0;
}

/* the entry of (level, code, tmpl), made if needed; NULL: no memory */
static struct entry *
entry_get(struct agg *a, enum level level, const char *code, const char *tmpl)
{
	uint64_t h = key_hash(level, code, tmpl);
	struct entry *e = NULL;
	size_t lc = strlen(code), lt = strlen(tmpl);

	for (e = a->tab[h % AGG_BUCKETS]; e != NULL; e = e->next)
		if (e->level == level && strcmp(e->code, code) == 0 &&
		    strcmp(e->tmpl, tmpl) == 0)
			return e;
	if ((e = calloc(1, sizeof(*e) + lc + lt + 2)) == NULL)
		return NULL;
	e->level = level;
	e->code = (char *)(e + 1);
	memcpy(e->code, code, lc + 1);
	e->tmpl = e->code + lc + 1;
	memcpy(e->tmpl, tmpl, lt + 1);
	e->next = a->tab[h % AGG_BUCKETS];
	a->tab[h % AGG_BUCKETS] = e;
	a->n++;
	return e;
}

/* one more domain (job idx, finding seq) shows e */
static void
entry_add(struct run *run, struct entry *e, size_t idx, size_t seq)
{
	const char *name = run->jobs[idx].r.domain;
	size_t i, k;

	e->set ^= mix(sts_hash(name, strlen(name)));
	k = e->count < AGG_NAMES ? e->count : AGG_NAMES;
	for (i = 0; i < k && e->first[i] < idx; i++)
		;
	if (i < AGG_NAMES) {
		if (i == 0)
			e->seq = seq;
		memmove(&e->first[i + 1], &e->first[i],
		    (k - i - (k == AGG_NAMES)) * sizeof(e->first[0]));
		e->first[i] = idx;
	}
	e->count++;
}

static enum level
min_level(const struct opts *o)
{
	return o->quiet ? L_ERROR : (o->verbose || o->dry ||
	    o->cmd == CMD_PROBE) ? L_INFO : L_WARN;
}

static void
add_finding(struct run *run, size_t idx, enum level level, const char *code,
    const char *msg, size_t seq)
{
	const char *domain = run->jobs[idx].r.domain;
	struct entry *e = NULL;
	char *tmpl = NULL;
	size_t len = strlen(msg) + 1;

	if ((tmpl = malloc(len)) == NULL ||
	    out_template(msg, domain, tmpl, len) == -1 ||
	    (e = entry_get(run->agg, level, code, tmpl)) == NULL)
		run->lost = 1;
	else
		entry_add(run, e, idx, seq);
	free(tmpl);
}

void
out_fold(struct run *run, struct job *j)
{
	const struct opts *o = run->o;
	struct report *r = &j->r;
	enum level min = min_level(o);
	size_t idx = (size_t)(j - run->jobs), i;
	char ok[STS_ID_MAX + 32];

	if (j->folded)
		return;
	j->folded = 1;
	run->ndom++;
	if (r->nomem)
		run->lost = 1;
	if (r->worst == L_ERROR)
		run->nerr++;
	else if (r->worst == L_WARN)
		run->nwarn++;
	else
		run->nok++;
	if (r->published)
		run->npub++;
	if (o->format != FMT_TEXT) {	/* formats.c writes the reports in order */
		fmt_fold(run, j);
		return;
	}
	if (run->agg == NULL && (run->agg = calloc(1, sizeof(*run->agg))) == NULL) {
		run->lost = 1;
		return;
	}
	for (i = 0; i < r->nf; i++)
		if (r->f[i].level >= min)
			add_finding(run, idx, r->f[i].level, r->f[i].code,
			    r->f[i].msg, i);
	if (o->verbose && o->cmd == CMD_CHECK && r->worst < L_WARN) {
		(void)snprintf(ok, sizeof(ok), "%s%s%s", r->id[0] ? "id " :
		    "no id", r->id, r->published ? " published" : "");
		add_finding(run, idx, L_OK, "ok", ok, r->nf);
	}
	report_free(r);
	if (run->stream)
		job_release(j);
}

void
out_free(struct run *run)
{
	struct entry *e = NULL, *next = NULL;
	size_t i;

	if (run->agg == NULL)
		return;
	for (i = 0; i < AGG_BUCKETS; i++)
		for (e = run->agg->tab[i]; e != NULL; e = next) {
			next = e->next;
			free(e->line);
			free(e);
		}
	free(run->agg);
	run->agg = NULL;
}

/* ---- rendering ---------------------------------------------------------- */

/* tmpl with the placeholder as domain (or "<domain>") */
static char *
expand(const char *tmpl, const char *domain)
{
	size_t n = 0, dl = strlen(domain);
	const char *p = NULL;
	char *out = NULL, *q = NULL;

	for (p = tmpl; *p != '\0'; p++)
		n += *p == PLACEHOLDER ? dl : 1;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (p = tmpl, q = out; *p != '\0'; p++) {
		if (*p == PLACEHOLDER) {
			memcpy(q, domain, dl);
			q += dl;
		} else
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

/*
 * "DOMAIN: LEVEL: message" for one domain (as before), "LEVEL: message
 * (N domains: a, b, c and K more)" for a shared cause
 */
static int
render(struct run *run, struct entry *e)
{
	const char *lv = level_name(e->level);
	char *msg = NULL;
	size_t i, k;
	FILE *fp = NULL;
	size_t len = 0;
	int rc = -1;

	if (e->count == 0) {
		if (asprintf(&e->line, "mta-sts-check: warning: %s", e->tmpl) == -1) {
			e->line = NULL;
			return -1;
		}
		return 0;
	}
	if ((msg = expand(e->tmpl, e->count == 1 ?
	    run->jobs[e->first[0]].r.domain : "<domain>")) == NULL)
		return -1;
	if ((fp = open_memstream(&e->line, &len)) == NULL)
		goto out;
	if (e->count == 1)
		fprintf(fp, "%s: %s: %s", run->jobs[e->first[0]].r.domain, lv, msg);
	else {
		fprintf(fp, "%s: %s (%zu domains: ", lv, msg, e->count);
		k = e->count < AGG_NAMES ? e->count : AGG_NAMES;
		for (i = 0; i < k; i++)
			fprintf(fp, "%s%s", i ? ", " : "",
			    run->jobs[e->first[i]].r.domain);
		if (e->count > k)
			fprintf(fp, " and %zu more", e->count - k);
		fputc(')', fp);
	}
	rc = fclose(fp) == 0 ? 0 : -1;
 out:
	free(msg);
	return rc;
}

/* worst first; a shared cause before single ones; then domain order */
static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(const struct entry *const *)a;
	const struct entry *y = *(const struct entry *const *)b;

	if ((x->count == 0) != (y->count == 0))
		return x->count == 0 ? -1 : 1;
	if (x->level != y->level)
		return x->level > y->level ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->first[0] != y->first[0])
		return x->first[0] < y->first[0] ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return strcmp(x->tmpl, y->tmpl);
}

/* ---- --changes ---------------------------------------------------------- */

struct prev {
	uint64_t	 set;
	enum level	 level;
	char		*code, *tmpl, *line;	/* into buf */
	int		 seen;			/* still there */
};

/* STATE/changes as it was: 0 (n may be 0), -1 with err */
static int
prev_read(const char *path, char **buf, struct prev **pv, size_t *n,
    char *err, size_t errlen)
{
	FILE *fp = NULL;
	char *line = NULL, *p = NULL, *f[5];
	size_t cap = 0, len = 0, cnt = 0, i, k;
	struct prev *v = NULL;
	int rc = -1;

	*buf = NULL;
	*pv = NULL;
	*n = 0;
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return sts_err(err, errlen, "%s: %s", path, strerror(errno));
	}
	{
		FILE *m = open_memstream(buf, &len);
		int c;

		if (m == NULL)
			goto out;
		while ((c = getc(fp)) != EOF)
			putc(c, m);
		if (fclose(m) != 0)
			goto out;
	}
	for (p = *buf; *p != '\0'; p++)
		cnt += *p == '\n';
	if ((v = calloc(cnt ? cnt : 1, sizeof(*v))) == NULL)
		goto out;
	for (line = strtok_r(*buf, "\n", &p), k = 0; line != NULL;
	    line = strtok_r(NULL, "\n", &p)) {
		for (i = 0; i < 5; i++) {
			f[i] = line;
			if (i < 4 && (line = strchr(line, '\t')) != NULL)
				*line++ = '\0';
			if (line == NULL)
				break;
		}
		if (i < 5 || k >= cnt)
			continue;	/* not one of ours: ignored */
		v[k].set = strtoull(f[0], NULL, 16);
		v[k].level = (enum level)(f[1][0] - '0');
		v[k].code = f[2];
		v[k].tmpl = f[3];
		v[k].line = f[4];
		k++;
	}
	*pv = v;
	*n = k;
	v = NULL;
	rc = 0;
 out:
	if (rc == -1)
		(void)sts_err(err, errlen, "%s: out of memory", path);
	free(v);
	fclose(fp);
	(void)cap;
	return rc;
}

/* ---- the report ----------------------------------------------------------- */

/* the run-wide warnings as entries (count 0), shown first */
static void
add_warnings(struct run *run)
{
	size_t i;

	if (run->o->quiet)
		return;
	for (i = 0; i < run->warnings.n; i++)
		if (entry_get(run->agg, L_WARN, "run.warning",
		    run->warnings.v[i]) == NULL)
			run->lost = 1;
}

static int
changes_path(struct run *run, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", run->conf.state, CHANGES_FILE);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* write the entries for the next --changes run; -1 with err */
static int
changes_write(struct run *run, struct entry **v, size_t n, char *err,
    size_t errlen)
{
	char path[PATH_MAX], tmpl[PATH_MAX];
	char *buf = NULL;
	size_t len = 0, i;
	FILE *fp = NULL;
	int rc;

	if (changes_path(run, path, sizeof(path)) == -1 ||
	    snprintf(tmpl, sizeof(tmpl), "%s/.changes.XXXXXX", run->conf.state) < 0)
		return sts_err(err, errlen, "%s: name too long", run->conf.state);
	if ((fp = open_memstream(&buf, &len)) == NULL)
		return sts_err(err, errlen, "out of memory");
	for (i = 0; i < n; i++)
		fprintf(fp, "%016llx\t%d\t%s\t%s\t%s\n",
		    (unsigned long long)v[i]->set, (int)v[i]->level, v[i]->code,
		    v[i]->tmpl, v[i]->line);
	if (fclose(fp) != 0) {
		free(buf);
		return sts_err(err, errlen, "out of memory");
	}
	rc = atomic_write(path, tmpl, buf, len, 0600, (uid_t)-1, (gid_t)-1,
	    err, errlen);
	free(buf);
	return rc;
}

int
out_text(struct run *run, FILE *out)
{
	const struct opts *o = run->o;
	struct entry **v = NULL, *e = NULL;
	struct prev *pv = NULL;
	char path[PATH_MAX], err[STS_ERR_MAX], *pbuf = NULL;
	size_t n = 0, i, k, npv = 0, lines = 0;
	int status;

	if (run->agg == NULL && (run->agg = calloc(1, sizeof(*run->agg))) == NULL)
		run->lost = 1;
	if (run->agg != NULL)
		add_warnings(run);
	if (run->agg != NULL && (v = calloc(run->agg->n ? run->agg->n : 1,
	    sizeof(*v))) == NULL)
		run->lost = 1;
	if (v != NULL) {
		for (i = 0; i < AGG_BUCKETS; i++)
			for (e = run->agg->tab[i]; e != NULL; e = e->next)
				if (render(run, e) == -1)
					run->lost = 1;
				else
					v[n++] = e;
		qsort(v, n, sizeof(*v), entry_cmp);
	}
	if (o->changes) {
		if (changes_path(run, path, sizeof(path)) == -1 ||
		    prev_read(path, &pbuf, &pv, &npv, err, sizeof(err)) == -1) {
			fprintf(out, "mta-sts-check: warning: %s; every "
			    "finding is shown\n", err);
			lines++;
		}
		for (i = 0; i < n; i++) {
			for (k = 0; k < npv; k++)
				if (pv[k].level == v[i]->level &&
				    strcmp(pv[k].code, v[i]->code) == 0 &&
				    strcmp(pv[k].tmpl, v[i]->tmpl) == 0)
					break;
			if (k < npv) {
				pv[k].seen = 1;
				if (pv[k].set == v[i]->set)
					continue;
			}
			fprintf(out, "%s\n", v[i]->line);
			lines++;
		}
		for (k = 0; k < npv; k++)
			if (!pv[k].seen) {
				fprintf(out, "cleared: %s\n", pv[k].line);
				lines++;
			}
		if (!o->dry && changes_write(run, v, n, err, sizeof(err)) == -1) {
			fprintf(out, "mta-sts-check: warning: %s; the next "
			    "--changes run shows everything again\n", err);
			lines++;
		}
	} else
		for (i = 0; i < n; i++, lines++)
			fprintf(out, "%s\n", v[i]->line);
	status = run->lost ? 3 : run->nerr ? 2 :
	    (run->nwarn || run->warnings.n) ? 1 : 0;
	if (o->cmd == CMD_CHECK && (lines > 0 || o->verbose))
		fprintf(out, "%zu domain%s: %zu ok, %zu with warnings, %zu with "
		    "errors; %zu id%s published\n", run->ndom,
		    run->ndom == 1 ? "" : "s", run->nok, run->nwarn, run->nerr,
		    run->npub, run->npub == 1 ? "" : "s");
	free(v);
	free(pv);
	free(pbuf);
	return status;
}
