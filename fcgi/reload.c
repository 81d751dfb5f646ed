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
 *
 * This file holds the poll's order and its configuration steps; the
 * domain-file steps are in domfiles.c, the last good policies standing in
 * are in fallback.c, and the state they share in reload_int.h.
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

/* Log each warning the last poll did not have; remember this poll's. */
static void
warnings_flush(struct reload *rl, struct sts_strlist *now)
{
	size_t	 i;

	sts_strlist_sort_uniq(now);
	for (i = 0; i < now->n; i++)
		if (rl->warned.n == 0 || bsearch(&now->v[i], rl->warned.v,
		    rl->warned.n, sizeof(*rl->warned.v), sts_strp_cmp) == NULL)
			logmsg("%s", now->v[i]);
	sts_strlist_free(&rl->warned);
	rl->warned = *now;
	memset(now, 0, sizeof(*now));
}

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
	stamp_take(&rl->confst, &sb, p->now);
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
		fallback_sweep(rl);
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
