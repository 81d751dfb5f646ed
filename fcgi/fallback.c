/* SPDX-License-Identifier: ISC */
/*
 * The last good policies (lastgood.c) standing in for what cannot be
 * read: a domain file invalid at start-up serves its copy; a
 * configuration or domain directory that cannot be read at start-up
 * serves every copy until it can be. After the first complete listing,
 * copies of domains that no longer have a file go.
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

/*
 * d cannot be read and serves nothing: its last good copy, if it has
 * one and its file is still there (a dangling link is a file gone). 1
 * when it serves the copy from now on.
 */
int
fallback_keep(struct reload *rl, struct poll *p, struct dfile *d)
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

/* After a complete listing: the copies of domains without a file go. */
void
fallback_sweep(struct reload *rl)
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
	qsort(names, n, sizeof(*names), sts_strp_cmp);
	for (i = 0; i < kept.n; i++)
		if (n == 0 || bsearch(&kept.v[i], names, n, sizeof(*names),
		    sts_strp_cmp) == NULL)
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
int
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
