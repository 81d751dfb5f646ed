/* SPDX-License-Identifier: ISC */
/*
 * `mta-sts-check ingest` runs mta-sts-ingest: the same checker, linked with
 * GMime (and through it GLib and GIO) for the mail messages it reads. The
 * other commands, the cron run first of all, do not load those libraries
 * at every start.
 *
 * The helper is looked for beside the running program (the build tree:
 * checker/mta-sts-ingest) and then in ../libexec/mtasts/ from it (the
 * installed layout: sbin/mta-sts-check, libexec/mtasts/mta-sts-ingest),
 * so an installation can be moved with its PREFIX. When it cannot be run
 * the exit status is EX_TEMPFAIL: an MTA piping a report defers it, and
 * nothing is lost.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tlsrpt.h"

#define EX_TEMPFAIL	75

static const char *const where[] = {
	"/" INGEST_HELPER,
	"/../libexec/mtasts/" INGEST_HELPER,
};

int
ingest_exec(const char *conffile, int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 64], *slash, **av = NULL;
	ssize_t n;
	size_t i;
	int k = 0, e = ENOENT;

	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		fprintf(stderr, "mta-sts-check: cannot find myself "
		    "(/proc/self/exe): %s; try again later\n", strerror(errno));
		return EX_TEMPFAIL;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if ((av = calloc((size_t)argc + 4, sizeof(*av))) == NULL) {
		fprintf(stderr, "mta-sts-check: out of memory; try again later\n");
		return EX_TEMPFAIL;
	}
	av[k++] = INGEST_HELPER;
	if (conffile != NULL) {
		av[k++] = "-c";
		av[k++] = (char *)conffile;
	}
	for (i = 0; i < (size_t)argc; i++)
		av[k++] = argv[i];
	av[k] = NULL;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", self,
		    where[i]) >= sizeof(path))
			continue;
		(void)execv(path, av);
		if (errno != ENOENT)
			e = errno;
	}
	fprintf(stderr, "mta-sts-check: ingest needs %s%s (or %s%s), installed "
	    "with it: %s; try again later\n", self, where[0], self, where[1],
	    strerror(e));
	free(av);
	return EX_TEMPFAIL;
}
