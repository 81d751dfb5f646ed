/* SPDX-License-Identifier: ISC */
/*
 * A scratch tree for the C unit tests: tree_open(TOP) makes TOP (a path
 * under tests/tmp, relative to the top of the source tree) afresh and keeps
 * its absolute path in tree_top; the helpers write, link, make and remove
 * files in it by relative path and abort on failure (the tree is the
 * test's own: a failure there is a broken test, not a failed one);
 * tree_remove(TOP) takes it away.
 */
#ifndef TREE_H
#define TREE_H

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static char tree_top[1024] __attribute__((unused));	/* absolute TOP */

/* tree_top/rel into path (PATH_MAX bytes) */
static inline void
tree_path(char *path, const char *rel)
{
	if ((size_t)snprintf(path, PATH_MAX, "%s/%s", tree_top, rel) >=
	    PATH_MAX)
		abort();
}

static inline void
tree_put(const char *rel, const char *text)
{
	char	 path[PATH_MAX];
	FILE	*f;

	tree_path(path, rel);
	if ((f = fopen(path, "w")) == NULL) {
		diag("%s: %s", path, strerror(errno));
		abort();
	}
	fputs(text, f);
	fclose(f);
}

static inline void
tree_link(const char *target, const char *rel)
{
	char	path[PATH_MAX];

	tree_path(path, rel);
	if (symlink(target, path) == -1) {
		diag("symlink %s: %s", path, strerror(errno));
		abort();
	}
}

static inline void
tree_dir(const char *rel)
{
	char	path[PATH_MAX];

	tree_path(path, rel);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		diag("mkdir %s: %s", path, strerror(errno));
		abort();
	}
}

static inline void
tree_del(const char *rel)
{
	char	path[PATH_MAX];

	tree_path(path, rel);
	if (unlink(path) == -1) {
		diag("unlink %s: %s", path, strerror(errno));
		abort();
	}
}

static inline int
tree_rm_one(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* top and everything in it, gone */
static inline void
tree_remove(const char *top)
{
	nftw(top, tree_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* top made afresh (under tests/tmp), its absolute path in tree_top */
static inline void
tree_open(const char *top)
{
	char	cwd[512];

	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    (size_t)snprintf(tree_top, sizeof(tree_top), "%s/%s", cwd, top) >=
	    sizeof(tree_top))
		abort();
	tree_remove(top);
	if ((mkdir("tests/tmp", 0755) == -1 && errno != EEXIST) ||
	    mkdir(top, 0755) == -1) {
		diag("mkdir %s: %s", top, strerror(errno));
		abort();
	}
}

#endif /* TREE_H */
