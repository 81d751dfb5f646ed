/* SPDX-License-Identifier: ISC */
/* The domain directory, and one domain file to a rendered policy. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "util.h"

#define ESC_MAX	160

struct entry {
	char	*alabel;	/* may be name itself */
	char	*name;		/* NULL once moved to the result */
	int	 own;		/* alabel is an allocation of its own */
};

static const char *
esc(char buf[ESC_MAX], const char *s)
{
	return sts_escape(buf, ESC_MAX, s, strlen(s));
}

static int
has_suffix(const char *s, size_t len, const char *suf)
{
	size_t	n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

/*
 * The one rule for names in the domain directory that are not domains.
 * 1: passed over in silence: hidden files (editors' and our own
 * temporaries begin with '.'), an edit in progress ("#name#", ".tmp").
 * 2: skipped with a warning: what people and tools leave beside a domain
 * file (backups, disabled copies, package manager leftovers, "x.com.conf");
 * *sfx is then the suffix that says so. 0: a candidate domain file.
 */
static int
ignored(const char *name, const char **sfx)
{
	static const char *const silent[] = { ".tmp" };
	static const char *const suffixes[] = { "~", ".swp", ".swo", ".swx",
	    ".bak", ".orig", ".rej", ".save", ".old", ".disabled", ".conf" };
	static const char *const prefixes[] = { "dpkg-", "rpm", "ucf-" };
	const char	*last;
	size_t		 i, len = strlen(name);

	if (sfx != NULL)
		*sfx = NULL;
	if (name[0] == '.' || (name[0] == '#' && has_suffix(name, len, "#")))
		return 1;
	for (i = 0; i < sizeof(silent) / sizeof(silent[0]); i++)
		if (has_suffix(name, len, silent[i]))
			return 1;
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (has_suffix(name, len, suffixes[i])) {
			if (sfx != NULL)
				*sfx = name + len - strlen(suffixes[i]);
			return 2;
		}
	if ((last = strrchr(name, '.')) != NULL)
		for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			if (strncmp(last + 1, prefixes[i],
			    strlen(prefixes[i])) == 0) {
				if (sfx != NULL)
					*sfx = last;
				return 2;
			}
	return 0;
}

int
sts_domain_ignored(const char *name)
{
	return ignored(name, NULL);
}

/* Why name, skipped by the rule above (2), is not a domain file. */
static void
skipped_why(const char *name, const char *sfx, char *buf, size_t len)
{
	char	b1[ESC_MAX], b2[ESC_MAX];

	if (strcmp(sfx, ".conf") == 0) {
		sts_escape(b1, sizeof(b1), name, (size_t)(sfx - name));
		snprintf(buf, len, "skipped: a domain file is named after the "
		    "domain alone (%s), without '.conf'", b1);
	} else
		snprintf(buf, len, "skipped: a backup or disabled copy ('%s'), "
		    "not a domain file", esc(b2, sfx));
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->alabel, y->alabel)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

/* The entries of a listing, before duplicates go. */
struct entries {
	struct entry	*v;
	size_t		 n;
	size_t		 cap;
};

/*
 * Whether the directory entry de of dir (listed by d) is a domain file: 1
 * and its A-label in a; 0 skipped (a warning says why, unless the rule is
 * silence); -1 with err when the listing cannot be trusted.
 */
static int
entry_check(const char *dir, DIR *d, const struct dirent *de,
    char a[STS_HOST_MAX + 1], sts_warn_fn *warn, void *arg, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 e[STS_ERR_MAX], b1[ESC_MAX], b2[ESC_MAX];
	const char	*sfx;
	int		 r;

	if ((r = ignored(de->d_name, &sfx)) == 2) {
		skipped_why(de->d_name, sfx, e, sizeof(e));
		sts_warnf(warn, arg, "%s/%s: %s", esc(b1, dir),
		    esc(b2, de->d_name), e);
	}
	if (r != 0)
		return 0;
	if (sts_host_to_alabel(de->d_name, 0, a, STS_HOST_MAX + 1, e,
	    sizeof(e)) == -1) {
		sts_warnf(warn, arg, "%s/%s: not a valid domain name, "
		    "skipped", esc(b1, dir), esc(b2, de->d_name));
		return 0;
	}
	/* A regular file says so in d_type: no stat for it. */
	if (de->d_type == DT_REG)
		return 1;
	if (fstatat(dirfd(d), de->d_name, &st, 0) == -1) {
		/*
		 * Gone since readdir, or a dangling link: skipped. Anything
		 * else (EACCES: the directory cannot be searched) makes the
		 * whole listing untrustworthy.
		 */
		if (errno != ENOENT)
			return sts_err(err, errlen, "%s/%s: %s", esc(b1, dir),
			    esc(b2, de->d_name), strerror(errno));
		sts_warnf(warn, arg, "%s/%s: %s, skipped", esc(b1, dir),
		    esc(b2, de->d_name), strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode)) {
		sts_warnf(warn, arg, "%s/%s: %s, skipped", esc(b1, dir),
		    esc(b2, de->d_name), S_ISDIR(st.st_mode) ? "a directory, "
		    "not a domain file" : "not a regular file");
		return 0;
	}
	return 1;
}

/* The file name, with its A-label a, appended to es; -1 out of memory. */
static int
entries_add(struct entries *es, const char *name, const char *a)
{
	struct entry	*nv, *e;

	if ((nv = sts_grow(es->v, es->n, &es->cap, sizeof(*nv), 64)) == NULL)
		return -1;
	es->v = nv;
	e = &es->v[es->n++];
	e->name = strdup(name);
	/* Most names are their own A-label: not stored twice. */
	e->own = strcmp(a, name) != 0;
	e->alabel = e->own ? strdup(a) : e->name;
	return e->alabel == NULL || e->name == NULL ? -1 : 0;
}

static void
entries_free(struct entries *es)
{
	size_t	 i;

	for (i = 0; i < es->n; i++) {
		if (es->v[i].own)
			free(es->v[i].alabel);
		free(es->v[i].name);
	}
	free(es->v);
}

/*
 * The names of es, one per domain, moved into names in A-label order: of
 * two names of one domain the first is kept, the other a warning. -1 out
 * of memory.
 */
static int
entries_move(const char *dir, struct entries *es, struct sts_strlist *names,
    sts_warn_fn *warn, void *arg)
{
	struct entry	*v = es->v;
	char		**nn;
	char		 b1[ESC_MAX], b2[ESC_MAX], b3[ESC_MAX];
	size_t		 i;

	/* bücher.example and xn--bcher-kva.example are the same domain */
	if (es->n > 0)
		qsort(v, es->n, sizeof(*v), entry_cmp);
	for (i = 0; i < es->n; i++) {
		if (i > 0 && strcmp(v[i].alabel, v[i - 1].alabel) == 0) {
			/* the one kept has been moved into names already */
			sts_warnf(warn, arg, "%s/%s: same domain as %s (%s), "
			    "skipped", esc(b1, dir), esc(b2, v[i].name),
			    esc(b3, names->v[names->n - 1]), v[i].alabel);
			continue;
		}
		/* Moved, not copied: 100,000 names are 100,000 allocations. */
		if ((nn = sts_grow(names->v, names->n, &names->cap,
		    sizeof(*nn), 64)) == NULL)
			return -1;
		names->v = nn;
		names->v[names->n++] = v[i].name;
		v[i].name = NULL;
	}
	/* In A-label order; in file name order unless U-labels moved some. */
	for (i = 1; i < names->n; i++)
		if (strcmp(names->v[i - 1], names->v[i]) >= 0) {
			sts_strlist_sort_uniq(names);
			break;
		}
	return 0;
}

int
sts_domain_list(const char *dir, struct sts_strlist *files,
    sts_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	struct sts_strlist	 names = { NULL, 0, 0 };
	struct entries		 es = { NULL, 0, 0 };
	struct dirent		*de;
	DIR			*d = NULL;
	char			 a[STS_HOST_MAX + 1], b1[ESC_MAX];
	int			 r, ret = -1;

	if ((d = opendir(dir)) == NULL) {
		sts_err(err, errlen, "%s: %s", esc(b1, dir), strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				sts_err(err, errlen, "%s: %s", esc(b1, dir),
				    strerror(errno));
				goto out;
			}
			break;
		}
		if ((r = entry_check(dir, d, de, a, warn, arg, err,
		    errlen)) == -1)
			goto out;
		if (r == 1 && entries_add(&es, de->d_name, a) == -1) {
			sts_err(err, errlen, "out of memory");
			goto out;
		}
	}
	if (entries_move(dir, &es, &names, warn, arg) == -1) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	if (files->v == NULL) {
		*files = names;
		memset(&names, 0, sizeof(names));
	} else if (sts_strlist_copy(files, &names) == -1) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	ret = 0;
out:
	entries_free(&es);
	sts_strlist_free(&names);
	if (d != NULL)
		closedir(d);
	return ret;
}

int
sts_domain_missing(const char *dir, const char *name, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 path[PATH_MAX], why[STS_ERR_MAX];
	char		 b1[ESC_MAX], b2[ESC_MAX];
	const char	*sfx;
	int		 n;

	esc(b1, name);
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (strchr(name, '/') != NULL || n < 0 || (size_t)n >= sizeof(path))
		return sts_err(err, errlen, "unknown domain %s: no file for it "
		    "in %s", b1, esc(b2, dir));
	if (ignored(name, &sfx) == 2 && lstat(path, &st) == 0) {
		skipped_why(name, sfx, why, sizeof(why));
		return sts_err(err, errlen, "unknown domain %s: %s is %s", b1,
		    esc(b2, path), why);
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return sts_err(err, errlen, "unknown domain %s: %s is a "
			    "directory, not a domain file", b1, esc(b2, path));
		if (!S_ISREG(st.st_mode))
			return sts_err(err, errlen, "unknown domain %s: %s is "
			    "not a regular file", b1, esc(b2, path));
	} else if (errno == ENOENT && lstat(path, &st) == 0 &&
	    S_ISLNK(st.st_mode))
		return sts_err(err, errlen, "unknown domain %s: %s is a "
		    "symbolic link to nothing", b1, esc(b2, path));
	else if (errno != ENOENT)
		return sts_err(err, errlen, "unknown domain %s: %s: %s", b1,
		    esc(b2, path), strerror(errno));
	return sts_err(err, errlen, "unknown domain %s: no file for it in %s",
	    b1, esc(b2, dir));
}

void
sts_domain_advise(const struct sts_domain *dom, sts_warn_fn *warn, void *arg)
{
	if (dom->policy.mode == STS_MODE_ENFORCE && dom->policy.max_age == 0)
		sts_warnf(warn, arg, "%s: max-age 0 with mode enforce: senders "
		    "keep the policy for no time, so it protects no delivery; "
		    "set max-age to days or weeks (e.g. 1w)", dom->name);
}

void
sts_domain_free(struct sts_domain *dom)
{
	if (dom == NULL)
		return;
	free(dom->name);
	free(dom->file);
	sts_settings_free(&dom->set);
	sts_policy_free(&dom->policy);
	free(dom->text);
	memset(dom, 0, sizeof(*dom));
}

int
sts_domain_render(const char *name, const struct sts_settings *set,
    struct sts_certstore *store, struct sts_policy *pol, char **text,
    size_t *textlen, char *err, size_t errlen)
{
	const struct sts_strlist	*names = NULL;
	struct sts_policy		 p;
	char				 e[STS_ERR_MAX], b1[ESC_MAX];
	int				 ret = -1;

	memset(&p, 0, sizeof(p));
	p.mode = set->mode;
	p.max_age = set->max_age;
	if (set->mx_set)
		names = &set->mx;
	else if (set->mode != STS_MODE_NONE) {
		if (store == NULL || set->certs == NULL) {
			sts_err(err, errlen, "%s: mode %s needs mx patterns; no "
			    "mx set and no certificates to take them from",
			    name, sts_mode_name(set->mode));
			goto out;
		}
		if (sts_certstore_get(store, set->certs, &names, e,
		    sizeof(e)) == -1) {
			sts_err(err, errlen, "%s: %s", name, e);
			goto out;
		}
		if (names->n == 0) {
			sts_err(err, errlen, "%s: mode %s needs mx patterns; no "
			    "mx set and no usable names in %s", name,
			    sts_mode_name(set->mode), esc(b1, set->certs));
			goto out;
		}
	}
	if (names != NULL && sts_strlist_copy(&p.mx, names) == -1) {
		sts_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (sts_policy_render(&p, text, textlen, e, sizeof(e)) == -1) {
		sts_err(err, errlen, "%s: %s", name, e);
		goto out;
	}
	if (pol != NULL) {
		*pol = p;
		memset(&p, 0, sizeof(p));
	}
	ret = 0;
out:
	sts_policy_free(&p);
	return ret;
}

int
sts_domain_parse(const struct sts_conf *conf, const char *dir,
    const char *filename, const char *buf, size_t len,
    struct sts_domain *out, char *err, size_t errlen)
{
	struct sts_domain	 dom;
	char			 name[STS_HOST_MAX + 1], path[PATH_MAX];
	char			 e[STS_ERR_MAX], b1[ESC_MAX], b2[ESC_MAX];
	size_t			 dl, fl;
	int			 ret = -1;

	memset(&dom, 0, sizeof(dom));
	memset(out, 0, sizeof(*out));
	/* Not snprintf: it was a tenth of the responder's start-up. */
	dl = strlen(dir);
	fl = strlen(filename);
	if (dl + 1 + fl >= sizeof(path)) {
		sts_err(err, errlen, "%s/%s: path too long", esc(b1, dir),
		    esc(b2, filename));
		goto out;
	}
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, filename, fl + 1);
	if (strchr(filename, '/') != NULL || sts_host_to_alabel(filename, 0,
	    name, sizeof(name), e, sizeof(e)) == -1) {
		sts_err(err, errlen, "%s: not a valid domain name",
		    esc(b1, path));
		goto out;
	}
	if ((dom.name = strdup(name)) == NULL ||
	    (dom.file = strdup(path)) == NULL ||
	    sts_settings_copy(&dom.set, &conf->dflt) == -1) {
		sts_err(err, errlen, "%s: out of memory", name);
		goto out;
	}
	if (buf != NULL && sts_settings_parse(path, buf, len, &dom.set, err,
	    errlen) == -1)
		goto out;
	*out = dom;
	memset(&dom, 0, sizeof(dom));
	ret = 0;
out:
	sts_domain_free(&dom);
	return ret;
}

int
sts_domain_load(const struct sts_conf *conf, struct sts_certstore *store,
    const char *dir, const char *filename, struct sts_domain *out,
    char *err, size_t errlen)
{
	if (sts_domain_parse(conf, dir, filename, NULL, 0, out, err,
	    errlen) == -1)
		return -1;
	if (sts_settings_load(out->file, &out->set, err, errlen) == -1 ||
	    sts_domain_render(out->name, &out->set, store, &out->policy,
	    &out->text, &out->textlen, err, errlen) == -1) {
		sts_domain_free(out);
		return -1;
	}
	return 0;
}
