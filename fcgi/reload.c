/* SPDX-License-Identifier: ISC */
/*
 * The reload poll of mta-sts-fcgi, run by one thread (the main one).
 *
 * A poll stats the configuration file, the domain directory and every
 * domain file (inode, size, mtime, ctime) and asks the certificate store
 * whether anything changed; only what changed is read again (loader.c),
 * and a new lookup table is swapped in (table.c). With inotify on the
 * domain directory (watch.c), a poll whose directory did not change stats
 * only the files events named, and files sharing their inode (symbolic
 * links to them); every SWEEP_SECS all files are stat'ed, for what no
 * event tells (the target of a link out of the directory). A directory
 * of at most WATCH_ALL files is stat'ed whole at every poll.
 *
 * A file that becomes invalid keeps its last good policy; its error is
 * logged once. A directory that cannot be read leaves the table as it is.
 *
 * With a directory of last good policies (lastgood.c), each policy that
 * changed is also written there, and what is there stands in when there
 * is nothing in memory yet: a domain file invalid at start-up serves its
 * copy; a configuration (or domain directory) that cannot be read at
 * start-up serves every copy until it can be. A domain file that is gone
 * takes its copy with it; after the first complete listing, copies of
 * domains that no longer have a file go too.
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

#include "responder.h"
#include "util.h"

/*
 * When the directory itself has not changed (nothing added, removed or
 * renamed) and is not watched, a poll stats at most this many files,
 * taking turns, so that 100,000 domains do not cost 100,000 stat calls
 * every -r seconds. An edit made in place is then seen within
 * files / STAT_BUDGET polls.
 */
#define STAT_BUDGET	25000
#define SWEEP_SECS	60
#define WATCH_ALL	1000

struct reload {
	char			*confpath;
	struct sts_conf		 conf;
	struct stamp		 confst;
	uint64_t		 confhash;	/* of the text last read */
	char			*conferr;	/* last logged */
	struct stamp		 dirst;
	char			*direrr;
	struct sts_certstore	*store;
	struct dfile		**files;	/* sorted by fname */
	size_t			 nfiles;
	struct spec		*specs;
	struct intern		 intern;
	struct sts_strlist	 warned;	/* last poll's warnings */
	size_t			 cursor;	/* where the last partial sweep ended */
	struct watch		 watch;
	time_t			 lastsweep;	/* when all files were last stat'ed */
	size_t			 pending;	/* files whose stamp is not trusted */
	int			 lgfd;		/* last good policies, or -1 */
	char			*lgdir;
	int			 fallback;	/* serving lgdir: no listing yet */
};

/* Where a poll takes the names of the domain files from. */
enum source {
	SRC_LISTING,		/* the directory, listed again */
	SRC_KNOWN		/* the files of the last poll */
};

/* One poll. */
struct poll {
	int			 force;		/* read everything (SIGHUP) */
	int			 strict;	/* start-up: failures are errors */
	time_t			 now;
	int			 confchanged;
	int			 certschanged;
	int			 light;		/* only what events named */
	enum source		 src;
	struct sts_strlist	 list;		/* SRC_LISTING */
	const char		**names;	/* sorted; list.v, or allocated */
	size_t			 n;
	size_t			 lo, cnt;	/* stat names[lo..lo+cnt) (mod n) */
	struct stamp		 tst[TOUCHED_MAX];	/* of touched files */
	size_t			 ntst;
	struct dfile		**nf;		/* the files from now on */
	size_t			 k;
	struct dfile		**todo;		/* to read */
	size_t			 ntodo;
	int			 dfd;
	int			 dirty;		/* a response changed */
	int			 reachable;	/* garbage still in the table */
	struct garbage		 g;
	struct sts_strlist	 warnings;
	char			 e[STS_ERR_MAX];
};

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

/* Log each warning the last poll did not have; remember this poll's. */
static void
warnings_flush(struct reload *rl, struct sts_strlist *now)
{
	size_t	 i;

	sts_strlist_sort_uniq(now);
	for (i = 0; i < now->n; i++)
		if (rl->warned.n == 0 || bsearch(&now->v[i], rl->warned.v,
		    rl->warned.n, sizeof(*rl->warned.v), strp_cmp) == NULL)
			logmsg("%s", now->v[i]);
	sts_strlist_free(&rl->warned);
	rl->warned = *now;
	memset(now, 0, sizeof(*now));
}

/* ---- domain files ------------------------------------------------------- */

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
 * d cannot be read and serves nothing: its last good copy, if it has
 * one and its file is still there (a dangling link is a file gone). 1
 * when it serves the copy from now on.
 */
static int
job_kept(struct reload *rl, struct poll *p, struct dfile *d)
{
	struct stat	 sb;
	char		 al[STS_HOST_MAX + 1], e[STS_ERR_MAX], *text = NULL;
	size_t		 len;
	int		 ret = 0;

	if (rl->lgfd == -1 || d->resp != NULL || sts_host_to_alabel(d->fname,
	    0, al, sizeof(al), e, sizeof(e)) == -1)
		return 0;
	if (p->dfd != -1 && fstatat(p->dfd, d->fname, &sb, 0) == -1 &&
	    (errno == ENOENT || errno == ENOTDIR)) {
		lastgood_drop(rl->lgfd, al);
		return 0;
	}
	if (lastgood_get(rl->lgfd, al, &text, &len) != 1)
		return 0;
	if (d->name == NULL && (d->name = strcmp(al, d->fname) == 0 ?
	    d->fname : strdup(al)) == NULL)
		goto out;
	if ((d->resp = intern_add(&rl->intern, text, len)) == NULL)
		goto out;
	d->kept = 1;
	ret = 1;
out:
	free(text);
	return ret;
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
		changed = job_kept(rl, p, d);
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

/* ---- the steps of a poll ------------------------------------------------ */

/* FNV-1a of a file's text; 0 when it cannot be read. */
static uint64_t
file_hash(const char *path)
{
	char		*buf = NULL;
	size_t		 len;
	uint64_t	 h;

	if (sts_read_file(AT_FDCWD, path, STS_CONF_FILE_MAX, &buf, &len, NULL,
	    NULL, 0) == -1)
		return 0;
	h = sts_hash(buf, len);
	free(buf);
	return h;
}

/*
 * The configuration file cannot be read (e): an error at start-up,
 * else logged once, and the configuration read before kept.
 */
static int
conf_failed(struct reload *rl, struct poll *p, const char *e, char *err,
    size_t errlen)
{
	char	 msg[STS_ERR_MAX + 64];

	if (p->strict)
		return sts_err(err, errlen, "%s", e);
	if (p->force) {
		free(rl->conferr);
		rl->conferr = NULL;
	}
	if (rl->conf.domains != NULL) {
		snprintf(msg, sizeof(msg), "%s (keeping the configuration "
		    "read before)", e);
		log_once(&rl->conferr, msg);
	} else
		log_once(&rl->conferr, e);
	return 0;
}

/*
 * The configuration file, read again when it changed: 1 it did, 0 not
 * (or it cannot be read: logged, the last one kept), -1 with err (strict).
 */
static int
poll_conf(struct reload *rl, struct poll *p, char *err, size_t errlen)
{
	struct sts_conf	 nc;
	struct stat	 sb;
	uint64_t	 h;
	char		 e[STS_ERR_MAX];

	memset(&nc, 0, sizeof(nc));
	if (stat(rl->confpath, &sb) == -1) {
		snprintf(e, sizeof(e), "%s: %s", rl->confpath, strerror(errno));
		return conf_failed(rl, p, e, err, errlen);
	}
	if (!p->force && stamp_same(&rl->confst, &sb))
		return 0;
	/* Touched, or looked at again for being recent, but the same text. */
	h = file_hash(rl->confpath);
	if (!p->force && rl->conf.domains != NULL && h != 0 &&
	    h == rl->confhash) {
		if (!stamp_recent(&sb, p->now))
			stamp_set(&rl->confst, &sb);
		return 0;
	}
	if (sts_conf_load(rl->confpath, &nc, e, sizeof(e)) == -1) {
		/* Not read again until it changes. */
		stamp_set(&rl->confst, &sb);
		return conf_failed(rl, p, e, err, errlen);
	}
	nc.dflt.skip_publishing = 1;	/* the checker's keys: never a policy's */
	if (rl->conf.domains != NULL && h != rl->confhash)
		logmsg("%s: read again", rl->confpath);
	/* The spool is opened once, before the sandbox. */
	if (rl->conf.domains != NULL && strcmp(rl->conf.reports ?
	    rl->conf.reports : "", nc.reports ? nc.reports : "") != 0)
		logmsg("%s: reports changed; the spool of TLS-RPT reports "
		    "changes when the responder is restarted", rl->confpath);
	sts_conf_free(&rl->conf);
	rl->conf = nc;
	rl->confhash = h;
	free(rl->conferr);
	rl->conferr = NULL;
	if (stamp_recent(&sb, p->now))
		rl->confst.valid = 0;
	else
		stamp_set(&rl->confst, &sb);
	return 1;
}

/* The certificate store: made, or asked what changed. -1 out of memory. */
static int
poll_store(struct reload *rl, struct poll *p)
{
	if (rl->store == NULL) {
		if ((rl->store = sts_certstore_new(log_warning, NULL)) == NULL)
			return -1;
	} else if (sts_certstore_refresh(rl->store) > 0)
		p->certschanged = specs_check(rl->specs, rl->store) > 0;
	return 0;
}

/*
 * The names of the domain files: the directory listed again when it
 * changed, else the files already known. 0 done, 1 nothing to look at,
 * -1 the directory cannot be read (p->e), -2 out of memory (logged).
 */
static int
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
		if (stamp_recent(&sb, p->now))
			rl->dirst.valid = 0;
		else
			stamp_set(&rl->dirst, &sb);
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
static void
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
	    strp_cmp) != NULL)
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
		stamp_set(&d->st, &sb);
		if (stamp_recent(&sb, p->now))
			d->st.valid = 0;
		p->todo[p->ntodo++] = d;
	}
	p->nf[p->k++] = d;
}

/*
 * Merge the sorted names with the sorted files known: new ones to read,
 * known ones to look at, missing ones dropped. -1 out of memory (logged).
 */
static int
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
static void
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
static void
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

/* The directory cannot be read: the table stays as it is. */
static int
poll_dirfail(struct reload *rl, struct poll *p, char *err, size_t errlen)
{
	if (p->strict)
		return sts_err(err, errlen, "%s", p->e);
	rl->dirst.valid = 0;
	if (p->force) {
		free(rl->direrr);
		rl->direrr = NULL;
	}
	log_once(&rl->direrr, p->e);
	return 0;
}

static void
poll_free(struct reload *rl, struct poll *p)
{
	watch_reset(&rl->watch);
	free(p->todo);
	if (p->dfd != -1)
		close(p->dfd);
	garbage_free(&p->g, p->reachable);
	warnings_flush(rl, &p->warnings);
	if (p->src == SRC_KNOWN)
		free(p->names);
	sts_strlist_free(&p->list);
	free(p->nf);
}

static int
cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* After a complete listing: the copies of domains without a file go. */
static void
lastgood_sweep(struct reload *rl)
{
	struct sts_strlist	 kept = { NULL, 0, 0 };
	const char		**names = NULL;
	size_t			 i, n = 0;

	if (rl->lgfd == -1 || lastgood_list(rl->lgfd, &kept) == -1 ||
	    (names = calloc(rl->nfiles + 1, sizeof(*names))) == NULL)
		goto out;
	for (i = 0; i < rl->nfiles; i++)
		if (rl->files[i]->name != NULL)
			names[n++] = rl->files[i]->name;
	qsort(names, n, sizeof(*names), cstr_cmp);
	for (i = 0; i < kept.n; i++)
		if (n == 0 || bsearch(&kept.v[i], names, n, sizeof(*names),
		    cstr_cmp) == NULL)
			lastgood_drop(rl->lgfd, kept.v[i]);
out:
	free(names);
	sts_strlist_free(&kept);
}

/*
 * At start-up, the configuration or the domain directory cannot be read
 * (err): serve every last good policy in lgdir, said loudly, until it
 * can be. -1: there are none.
 */
static int
fallback_open(struct reload *rl, const char *err)
{
	struct sts_strlist	 names = { NULL, 0, 0 };
	struct sts_strlist	 warnings = { NULL, 0, 0 };
	struct table		*t = NULL;
	struct dfile		*d;
	char			*text = NULL, **last;
	size_t			 i, len;
	int			 ret = -1;

	if (rl->lgfd == -1 || lastgood_list(rl->lgfd, &names) == -1 ||
	    names.n == 0 ||
	    (rl->files = calloc(names.n, sizeof(*rl->files))) == NULL)
		goto out;
	for (i = 0; i < names.n; i++) {
		if (lastgood_get(rl->lgfd, names.v[i], &text, &len) != 1)
			continue;
		if ((d = calloc(1, sizeof(*d))) == NULL ||
		    (d->fname = strdup(names.v[i])) == NULL ||
		    (d->resp = intern_add(&rl->intern, text, len)) == NULL) {
			if (d != NULL)
				free(d->fname);
			free(d);
			free(text);
			logmsg("out of memory");
			goto out;
		}
		free(text);
		d->name = d->fname;
		d->kept = 2;
		d->failed = 1;
		rl->files[rl->nfiles++] = d;
	}
	if (rl->nfiles == 0 || (t = table_build(rl->files, rl->nfiles,
	    rl->lgdir, &warnings)) == NULL)
		goto out;
	table_swap(t);
	logmsg("ERROR: %s; serving the last good policies of %zu domains "
	    "kept in %s until it is fixed", err, rl->nfiles, rl->lgdir);
	/* Not logged again by the polls until it changes. */
	last = rl->conf.domains == NULL ? &rl->conferr : &rl->direrr;
	free(*last);
	*last = strdup(err);
	rl->fallback = 1;
	ret = 0;
out:
	sts_strlist_free(&warnings);
	sts_strlist_free(&names);
	return ret;
}

/*
 * One poll. strict: at start-up, where an unreadable configuration or
 * directory is an error (-1, err) rather than something to log and wait
 * out.
 */
static int
poll_once(struct reload *rl, int force, int strict, char *err, size_t errlen)
{
	struct poll	 p;
	int		 ret = -1, r;

	memset(&p, 0, sizeof(p));
	p.force = force;
	p.strict = strict;
	p.now = time(NULL);
	p.dfd = -1;
	p.src = SRC_LISTING;
	watch_read(&rl->watch);
	if ((p.confchanged = poll_conf(rl, &p, err, errlen)) == -1)
		goto out;
	if (rl->conf.domains == NULL) {
		/* Serving lgdir: the failure is logged, wait it out. */
		if (!strict && rl->fallback)
			ret = 0;
		else
			sts_err(err, errlen, "%s: no configuration",
			    rl->confpath);
		goto out;
	}
	watch_update(&rl->watch, rl->conf.domains);
	/* Watched: only what events name, unless something says otherwise. */
	p.light = rl->watch.iwd != -1 && !rl->watch.all && !force &&
	    !p.confchanged && rl->nfiles > WATCH_ALL &&
	    p.now - rl->lastsweep < SWEEP_SECS;
	if (poll_store(rl, &p) == -1) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
	if ((r = poll_names(rl, &p)) == -1)
		ret = poll_dirfail(rl, &p, err, errlen);
	if (r != 0)
		goto out;
	poll_plan(rl, &p);
	if (poll_merge(rl, &p) == -1)
		goto out;
	poll_read(rl, &p);
	poll_swap(rl, &p);
	if ((strict || rl->fallback) && p.src == SRC_LISTING) {
		lastgood_sweep(rl);
		rl->fallback = 0;
	}
out:
	poll_free(rl, &p);
	return ret;
}

struct reload *
reload_open_kept(const char *conffile, int watch, int lgfd,
    const char *lgdir, char *err, size_t errlen)
{
	struct reload	*rl = NULL;

	if ((rl = calloc(1, sizeof(*rl))) == NULL ||
	    (rl->confpath = strdup(conffile)) == NULL ||
	    (rl->lgdir = strdup(lgdir != NULL ? lgdir : "-")) == NULL) {
		if (rl != NULL)
			free(rl->confpath);
		free(rl);
		if (lgfd != -1)
			close(lgfd);
		sts_err(err, errlen, "out of memory");
		return NULL;
	}
	rl->lgfd = lgfd;
	(void)watch_open(&rl->watch, watch);
	if (poll_once(rl, 1, 1, err, errlen) == -1 &&
	    (rl->nfiles > 0 || fallback_open(rl, err) == -1)) {
		reload_free(rl);
		return NULL;
	}
	return rl;
}

struct reload *
reload_open(const char *conffile, int watch, char *err, size_t errlen)
{
	return reload_open_kept(conffile, watch, -1, NULL, err, errlen);
}

const char *
reload_reports(const struct reload *rl)
{
	return rl->conf.reports;
}

int
reload_lastgood_fd(const struct reload *rl)
{
	return rl->lgfd;
}

int
reload_fd(const struct reload *rl)
{
	return rl->watch.ifd;
}

void
reload_poll(struct reload *rl, int force)
{
	char	 err[STS_ERR_MAX];

	if (poll_once(rl, force, 0, err, sizeof(err)) == -1)
		logmsg("%s", err);
}

void
reload_free(struct reload *rl)
{
	size_t	 i;

	if (rl == NULL)
		return;
	table_swap(NULL);
	for (i = 0; i < rl->nfiles; i++)
		dfile_free(rl->files[i]);
	free(rl->files);
	intern_free(&rl->intern);
	specs_free(rl->specs);
	sts_certstore_free(rl->store);
	sts_conf_free(&rl->conf);
	sts_strlist_free(&rl->warned);
	free(rl->conferr);
	free(rl->direrr);
	free(rl->confpath);
	free(rl->lgdir);
	if (rl->lgfd != -1)
		close(rl->lgfd);
	watch_close(&rl->watch);
	free(rl);
}
