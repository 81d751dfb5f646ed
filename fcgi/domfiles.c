/* SPDX-License-Identifier: ISC */
/*
 * The domain-file steps of a reload poll (reload.c runs them in order):
 * which names to look at (the directory listed again, or the files known),
 * which of them to stat this time (all, those inotify named, or the next
 * STAT_BUDGET), the merge of the names with the files known, the read of
 * what changed (loader.c) and the swap of a new lookup table (table.c).
 * A file that cannot be read keeps what it served; with nothing to serve,
 * its last good copy stands in (fallback.c).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reload_int.h"
#include "util.h"

static int
dfile_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct dfile *const *)elem)->fname);
}

/* Collects the warnings of a poll; logged only if the last poll did not have them. */
static void
collect_warning(void *arg, const char *msg)
{
	if (sts_strlist_add(arg, msg) == -1)
		logmsg("%s", msg);
}

/* A domain file that is gone: out of the table, freed after the swap. */
static void
dfile_drop(struct reload *rl, struct poll *p, struct dfile *d)
{
	/* A stand-in from lgdir was never seen in the directory: keep its copy. */
	if (d->kept != 2 && d->name != NULL)
		lastgood_drop(rl->lgfd, d->name);
	p->dirty |= d->resp != NULL;
	intern_unref(&rl->intern, d->resp, &p->g.resps);
	d->resp = NULL;
	if (ptrvec_add(&p->g.files, d) == -1) {
		/* Its name may still be in the table: keep it. */
		logmsg("out of memory: leaking an entry for %s", d->fname);
	}
}

static void
job_oom(struct reload *rl, struct dfile *d)
{
	d->failed = 1;
	logmsg("%s/%s: out of memory", rl->conf.domains, d->fname);
}

/*
 * What a read produced, into d. Returns 1 when the response d serves
 * changed.
 */
static int
job_finish(struct reload *rl, struct poll *p, struct job *j)
{
	const struct sts_strlist	*tn = NULL;
	struct dfile			*d = j->d;
	struct resp			*r = NULL;
	char				 msg[STS_ERR_MAX + 64], e[STS_ERR_MAX];
	int				 changed = 0, trust = 1;

	if (!j->ok) {
		d->failed = 1;
		changed = fallback_keep(rl, p, d);
		snprintf(msg, sizeof(msg), "%s%s", j->err, changed ?
		    " (serving the last good policy kept from before)" :
		    d->resp ? " (still serving the last good policy)" : "");
		if (p->force) {
			free(d->lasterr);
			d->lasterr = NULL;
		}
		log_once(&d->lasterr, msg);
		goto out;
	}
	if (d->name == NULL) {
		if (strcmp(j->dom.name, d->fname) == 0)
			d->name = d->fname;
		else if ((d->name = strdup(j->dom.name)) == NULL) {
			job_oom(rl, d);
			goto out;
		}
	}
	if (j->me != NULL && j->me->r != NULL && j->me->r->refs > 0) {
		r = j->me->r;
		r->refs++;
	} else if ((r = intern_add(&rl->intern, j->text, j->textlen)) == NULL) {
		job_oom(rl, d);
		goto out;
	} else if (j->me != NULL)
		j->me->r = r;
	if (r != d->resp) {
		intern_unref(&rl->intern, d->resp, &p->g.resps);
		d->resp = r;
		changed = 1;
		(void)lastgood_put(rl->lgfd, d->name, j->text, j->textlen);
	} else
		intern_unref(&rl->intern, r, &p->g.resps);
	d->spec = j->dom.set.mx_set || j->dom.set.certs == NULL ? NULL :
	    spec_get(&rl->specs, rl->store, j->dom.set.certs);
	/*
	 * Rendered from a helper's store: if the main store, whose changes
	 * the next polls watch, read other names, read the file again then.
	 */
	if (d->spec != NULL && j->cs != rl->store &&
	    (sts_certstore_get(j->cs, d->spec->spec, &tn, e, sizeof(e)) == -1 ||
	    !sts_strlist_equal(tn, &d->spec->names)))
		trust = 0;
	if (d->failed && d->lasterr != NULL)
		logmsg("%s/%s: valid again", rl->conf.domains, d->fname);
	d->failed = 0;
	d->kept = 0;
	free(d->lasterr);
	d->lasterr = NULL;
out:
	if (!trust)
		d->st.valid = 0;
	sts_domain_free(&j->dom);
	return changed;
}

/*
 * The names of the domain files: the directory listed again when it
 * changed, else the files already known. 0 done, 1 nothing to look at,
 * -1 the directory cannot be read (p->e), -2 out of memory (logged).
 */
int
poll_names(struct reload *rl, struct poll *p)
{
	struct stat	 sb;
	size_t		 i;

	if (stat(rl->conf.domains, &sb) == -1) {
		snprintf(p->e, sizeof(p->e), "%s: %s", rl->conf.domains,
		    strerror(errno));
		return -1;
	}
	if (p->force || p->confchanged || !stamp_same(&rl->dirst, &sb)) {
		if (sts_domain_list(rl->conf.domains, &p->list, collect_warning,
		    &p->warnings, p->e, sizeof(p->e)) == -1)
			return -1;
		free(rl->direrr);
		rl->direrr = NULL;
		stamp_take(&rl->dirst, &sb, p->now);
		p->src = SRC_LISTING;
		p->n = p->list.n;
		p->names = (const char **)p->list.v;
		return 0;
	}
	if (p->light && !p->certschanged && rl->watch.touched.n == 0 &&
	    rl->pending == 0)
		return 1;
	p->src = SRC_KNOWN;
	p->n = rl->nfiles;
	if ((p->names = calloc(p->n ? p->n : 1, sizeof(*p->names))) == NULL) {
		logmsg("out of memory");
		return -2;
	}
	for (i = 0; i < p->n; i++)
		p->names[i] = rl->files[i]->fname;
	return 0;
}

/*
 * Which files to stat: all of them; or, the directory unchanged, those
 * events name (watched), or the next STAT_BUDGET (not).
 */
void
poll_plan(struct reload *rl, struct poll *p)
{
	struct watch	*w = &rl->watch;
	struct dfile	**dp;
	size_t		 i;

	p->lo = 0;
	p->cnt = p->n;
	if (p->src == SRC_KNOWN && !p->certschanged && p->light) {
		p->cnt = 0;
		sts_strlist_sort_uniq(&w->touched);
		for (i = 0; i < w->touched.n && p->ntst < TOUCHED_MAX; i++)
			if ((dp = bsearch(w->touched.v[i], rl->files,
			    rl->nfiles, sizeof(*rl->files), dfile_cmp)) != NULL &&
			    (*dp)->st.valid)
				p->tst[p->ntst++] = (*dp)->st;
	} else if (p->src == SRC_KNOWN && !p->certschanged &&
	    p->n > STAT_BUDGET && w->iwd == -1) {
		p->lo = rl->cursor % p->n;
		p->cnt = STAT_BUDGET;
		rl->cursor = p->lo + p->cnt;
	}
	if (p->cnt == p->n)
		rl->lastsweep = p->now;
}

/* d was named in an event, or shares the inode of a file that was. */
static int
is_touched(const struct reload *rl, const struct poll *p,
    const struct dfile *d)
{
	const struct sts_strlist	*t = &rl->watch.touched;
	size_t				 i;

	if (t->n > 0 && bsearch(&d->fname, t->v, t->n, sizeof(*t->v),
	    sts_strp_cmp) != NULL)
		return 1;
	for (i = 0; d->st.valid && i < p->ntst; i++)
		if (d->st.ino == p->tst[i].ino && d->st.dev == p->tst[i].dev)
			return 1;
	return 0;
}

/*
 * A known file, the jth name: stat'ed if it is its turn, and put in todo
 * when it changed. Kept in nf, or dropped when it is gone.
 */
static void
poll_file(struct reload *rl, struct poll *p, struct dfile *d, size_t j)
{
	struct stat	 sb;
	char		 path[4096];
	int		 spec_changed = d->spec != NULL && d->spec->changed;

	if ((j + p->n - p->lo) % p->n >= p->cnt && d->st.valid &&
	    !spec_changed && !(p->cnt == 0 && is_touched(rl, p, d))) {
		p->nf[p->k++] = d;	/* its turn comes in a later poll */
		return;
	}
	/* Relative to the directory: no path walk for each file. */
	if ((p->dfd == -1 && snprintf(path, sizeof(path), "%s/%s",
	    rl->conf.domains, d->fname) >= (int)sizeof(path)) ||
	    fstatat(p->dfd == -1 ? AT_FDCWD : p->dfd, p->dfd == -1 ? path :
	    d->fname, &sb, 0) == -1) {
		if (errno != ENOENT && errno != ENOTDIR) {
			/* Cannot look (EACCES): keep what it served. */
			snprintf(p->e, sizeof(p->e), "%s/%s: %s%s",
			    rl->conf.domains, d->fname, strerror(errno),
			    d->resp ? " (still serving the last good "
			    "policy)" : "");
			log_once(&d->lasterr, p->e);
			d->st.valid = 0;
			p->nf[p->k++] = d;
			return;
		}
		/* Gone since the listing, or a dangling link. */
		dfile_drop(rl, p, d);
		return;
	}
	if (p->force || p->confchanged || !stamp_same(&d->st, &sb) ||
	    spec_changed || (d->failed && p->certschanged)) {
		/* Its stamp now: a change while we read is seen next time. */
		stamp_take(&d->st, &sb, p->now);
		p->todo[p->ntodo++] = d;
	}
	p->nf[p->k++] = d;
}

/*
 * Merge the sorted names with the sorted files known: new ones to read,
 * known ones to look at, missing ones dropped. -1 out of memory (logged).
 */
int
poll_merge(struct reload *rl, struct poll *p)
{
	struct dfile	*d;
	size_t		 i, j;

	p->dfd = open(rl->conf.domains, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((p->nf = calloc(p->n ? p->n : 1, sizeof(*p->nf))) == NULL ||
	    (p->todo = calloc(p->n ? p->n : 1, sizeof(*p->todo))) == NULL) {
		logmsg("out of memory");
		return -1;
	}
	for (i = 0, j = 0; j < p->n; j++) {
		while (i < rl->nfiles && strcmp(rl->files[i]->fname,
		    p->names[j]) < 0)
			dfile_drop(rl, p, rl->files[i++]);
		if (i < rl->nfiles && strcmp(rl->files[i]->fname,
		    p->names[j]) == 0) {
			poll_file(rl, p, rl->files[i++], j);
			continue;
		}
		if ((d = calloc(1, sizeof(*d))) == NULL ||
		    (d->fname = strdup(p->names[j])) == NULL) {
			free(d);
			logmsg("out of memory");
			continue;
		}
		if (p->dfd == -1) {
			poll_file(rl, p, d, j);
			continue;
		}
		/* New: stamped and read by the loader. */
		p->todo[p->ntodo++] = d;
		p->nf[p->k++] = d;
	}
	while (i < rl->nfiles)
		dfile_drop(rl, p, rl->files[i++]);
	return 0;
}

/* Read the files in todo; what changed makes the poll dirty. */
void
poll_read(struct reload *rl, struct poll *p)
{
	struct loader	*l = NULL;
	struct job	*jobs = NULL;
	size_t		 i, n;

	specs_seen(rl->specs);
	if (p->ntodo == 0)
		return;
	/* The global certs first: helpers' stores are then never older. */
	if (rl->conf.dflt.certs != NULL)
		(void)spec_get(&rl->specs, rl->store, rl->conf.dflt.certs);
	if ((l = loader_new(&rl->conf, rl->store, p->dfd, p->now,
	    p->ntodo)) == NULL) {
		logmsg("out of memory");
		for (i = 0; i < p->ntodo; i++)
			p->todo[i]->st.valid = 0;
		return;
	}
	while ((n = loader_run(l, p->todo, p->ntodo, &jobs)) > 0)
		for (i = 0; i < n; i++)
			p->dirty |= job_finish(rl, p, &jobs[i]);
	loader_free(l);
}

/* The files from now on, and a new table when a response changed. */
void
poll_swap(struct reload *rl, struct poll *p)
{
	struct table	*nt = NULL;
	size_t		 i;

	free(rl->files);
	rl->files = p->nf;
	rl->nfiles = p->k;
	p->nf = NULL;
	for (i = 0, rl->pending = 0; i < rl->nfiles; i++)
		rl->pending += !rl->files[i]->st.valid;
	if (!p->dirty && table_live())
		return;
	if ((nt = table_build(rl->files, rl->nfiles, rl->conf.domains,
	    &p->warnings)) == NULL) {
		/* Keep serving the old table; read everything again. */
		logmsg("out of memory building the domain table");
		for (i = 0; i < rl->nfiles; i++)
			rl->files[i]->st.valid = 0;
		p->reachable = 1;
		return;
	}
	table_swap(nt);
}
