/* SPDX-License-Identifier: ISC */
/*
 * Reading domain files for a reload. A reload that has many to read
 * (start-up, SIGHUP, a new global file) reads them in batches with a few
 * helper threads, each with a certificate store of its own:
 * sts_domain_parse and sts_domain_render are thread-safe apart from the
 * store. What a job gives is taken over by the reload, on the main
 * thread, batch by batch.
 *
 * The fast path reads the file relative to the directory (no path walk)
 * and renders through sts_domain_render, the same rule the checker uses,
 * but once per (certs, mode, max-age): the memo. Whatever fails there is
 * done again by sts_domain_load, which gives the canonical error.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

#define BATCH		1024
#define HELPERS_MAX	7
#define PARALLEL_MIN	256	/* fewer files than this: no helpers */

struct helper {
	struct loader		*l;
	struct sts_certstore	*cs;
	struct memo		*memo;
};

struct loader {
	const struct sts_conf	*conf;
	struct sts_certstore	*store;		/* the main one */
	struct job		*jobs;
	size_t			 n;		/* in this batch */
	size_t			 next;		/* atomically taken */
	size_t			 off;		/* of this batch in todo */
	int			 dfd;		/* the domain directory */
	time_t			 now;
	struct memo		*seed;		/* from the main store; read-only */
	struct memo		*memo;		/* main's: new ones before seed */
	struct helper		 h[HELPERS_MAX];
	size_t			 nh;
};

static void
memo_free(struct memo *m)
{
	struct memo	*next;

	for (; m != NULL; m = next) {
		next = m->next;
		free(m->certs);
		free(m->text);
		free(m);
	}
}

static struct memo *
memo_find(struct memo *m, const struct sts_settings *set)
{
	for (; m != NULL; m = m->next)
		if (m->mode == set->mode && m->max_age == set->max_age &&
		    strcmp(m->certs, set->certs) == 0)
			return m;
	return NULL;
}

/* The policy of set rendered from cs, as a memo; NULL if it cannot be. */
static struct memo *
memo_new(const struct sts_settings *set, struct sts_certstore *cs)
{
	struct memo	*me = NULL;
	char		 e[STS_ERR_MAX];

	if ((me = calloc(1, sizeof(*me))) == NULL ||
	    (me->certs = strdup(set->certs)) == NULL ||
	    sts_domain_render("", set, cs, NULL, &me->text, &me->textlen, e,
	    sizeof(e)) == -1) {
		memo_free(me);
		return NULL;
	}
	me->mode = set->mode;
	me->max_age = set->max_age;
	return me;
}

/*
 * The global settings' policy from the main store, before any file is
 * read: helpers then need no store of their own for most domains (each
 * would parse every certificate again). NULL when there is none.
 */
static struct memo *
memo_seed(const struct sts_conf *conf, struct sts_certstore *store)
{
	if (conf->dflt.mx_set || conf->dflt.mode == STS_MODE_NONE ||
	    conf->dflt.certs == NULL || store == NULL)
		return NULL;
	return memo_new(&conf->dflt, store);
}

/* New files are stamped by the reader, in parallel; before the read. */
static void
job_stamp(struct loader *l, struct job *j, const struct stat *sb)
{
	if (sb != NULL)
		stamp_take(&j->d->st, sb, l->now);
	else
		j->d->st.valid = 0;
	j->stat = 0;
}

/* 1 when j is done by the fast path, 0 to do it the slow way. */
static int
job_fast(struct loader *l, struct job *j, struct sts_certstore *cs,
    struct memo **memo)
{
	struct sts_domain	 dom;
	struct memo		*me = NULL;
	struct stat		 sb;
	char			 e[STS_ERR_MAX], *buf = NULL;
	size_t			 len;
	int			 ret = 0;

	memset(&dom, 0, sizeof(dom));
	if (l->dfd == -1 || sts_read_file(l->dfd, j->d->fname,
	    STS_DOMAIN_FILE_MAX, &buf, &len, &sb, e, sizeof(e)) == -1)
		goto out;
	if (j->stat)
		job_stamp(l, j, &sb);
	if (sts_domain_parse(l->conf, l->conf->domains, j->d->fname, buf, len,
	    &dom, e, sizeof(e)) == -1)
		goto out;
	if (dom.set.mx_set || dom.set.mode == STS_MODE_NONE) {
		if (sts_domain_render(dom.name, &dom.set, cs, &dom.policy,
		    &dom.text, &dom.textlen, e, sizeof(e)) == -1)
			goto out;
		j->text = dom.text;
		j->textlen = dom.textlen;
	} else {
		if (dom.set.certs == NULL || cs == NULL)
			goto out;
		if ((me = memo_find(*memo, &dom.set)) == NULL &&
		    (me = memo_find(l->seed, &dom.set)) != NULL)
			j->cs = l->store;	/* rendered from the main store */
		if (me == NULL) {
			if ((me = memo_new(&dom.set, cs)) == NULL)
				goto out;
			me->next = *memo;
			*memo = me;
		}
		j->me = me;
		j->text = me->text;
		j->textlen = me->textlen;
	}
	j->dom = dom;
	memset(&dom, 0, sizeof(dom));
	ret = 1;
out:
	if (!ret) {
		j->me = NULL;
		j->text = NULL;
	}
	free(buf);
	sts_domain_free(&dom);
	return ret;
}

static void
job_run(struct loader *l, struct job *j, struct sts_certstore *cs,
    struct memo **memo)
{
	struct stat	 sb;

	memset(&j->dom, 0, sizeof(j->dom));
	j->me = NULL;
	j->text = NULL;
	j->cs = cs;
	if (job_fast(l, j, cs, memo)) {
		j->ok = 1;
		return;
	}
	if (j->stat)
		job_stamp(l, j, l->dfd != -1 && fstatat(l->dfd, j->d->fname,
		    &sb, 0) == 0 ? &sb : NULL);
	j->cs = cs;
	j->ok = sts_domain_load(l->conf, cs, l->conf->domains, j->d->fname,
	    &j->dom, j->err, sizeof(j->err)) == 0;
	j->text = j->dom.text;
	j->textlen = j->dom.textlen;
}

static void
loader_work(struct loader *l, struct sts_certstore *cs, struct memo **memo)
{
	size_t	 i;

	while ((i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED)) < l->n)
		job_run(l, &l->jobs[i], cs, memo);
}

static void *
loader_thread(void *arg)
{
	struct helper	*h = arg;

	loader_work(h->l, h->cs, &h->memo);
	return NULL;
}

struct loader *
loader_new(const struct sts_conf *conf, struct sts_certstore *store, int dfd,
    time_t now, size_t n)
{
	struct loader	*l = NULL;
	long		 ncpu;
	size_t		 i, nh = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->jobs = calloc(n > BATCH ? BATCH : n ? n : 1,
	    sizeof(*l->jobs))) == NULL) {
		free(l);
		return NULL;
	}
	l->conf = conf;
	l->store = store;
	l->dfd = dfd;
	l->now = now;
	if (n >= PARALLEL_MIN && (ncpu = sysconf(_SC_NPROCESSORS_ONLN)) > 1)
		nh = ncpu - 1 > HELPERS_MAX ? HELPERS_MAX : (size_t)ncpu - 1;
	for (i = 0; i < nh; i++) {
		l->h[i].l = l;
		if ((l->h[i].cs = sts_certstore_new(NULL, NULL)) == NULL)
			break;
	}
	l->nh = i;
	l->seed = l->memo = l->nh > 0 ? memo_seed(conf, store) : NULL;
	return l;
}

size_t
loader_run(struct loader *l, struct dfile **todo, size_t n,
    struct job **jobs)
{
	pthread_t	 tid[HELPERS_MAX];
	size_t		 i, started;

	l->off += l->n;
	if (l->off >= n)
		return 0;
	l->n = n - l->off > BATCH ? BATCH : n - l->off;
	l->next = 0;
	for (i = 0; i < l->n; i++) {
		/* New files have no stamp yet: taken by the reader. */
		l->jobs[i].d = todo[l->off + i];
		l->jobs[i].stat = !l->jobs[i].d->st.valid &&
		    l->jobs[i].d->st.ino == 0;
	}
	for (started = 0; started < l->nh; started++)
		if (pthread_create(&tid[started], NULL, loader_thread,
		    &l->h[started]) != 0)
			break;
	loader_work(l, l->store, &l->memo);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	*jobs = l->jobs;
	return l->n;
}

void
loader_free(struct loader *l)
{
	size_t	 i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nh; i++) {
		sts_certstore_free(l->h[i].cs);
		memo_free(l->h[i].memo);
	}
	memo_free(l->memo);
	free(l->jobs);
	free(l);
}
