/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-fcgi -t: test the configuration, as nginx -t does. Reads the
 * global file, every domain file and the certificates they take their
 * mx from, exactly as serving would; prints every problem, each with its
 * file and line, then "N domains, E errors, W warnings". Exit status 1
 * on any error, else 0. Nothing is served and nothing is written.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

struct count {
	size_t	 errors;
	size_t	 warnings;
};

static void
ct_warning(void *arg, const char *msg)
{
	struct count	*c = arg;

	c->warnings++;
	logmsg("warning: %s", msg);
}

static void
ct_error(struct count *c, const char *msg)
{
	c->errors++;
	logmsg("error: %s", msg);
}

/*
 * An error in dir/fname, which is a link: named after the file it points
 * to, where the mistake is to be fixed.
 */
static void
ct_alias_error(struct count *c, const char *dir, const char *fname,
    const char *err)
{
	struct stat	 sb;
	char		 path[PATH_MAX], target[PATH_MAX], msg[STS_ERR_MAX + 2 * PATH_MAX];
	size_t		 pl;

	if (snprintf(path, sizeof(path), "%s/%s", dir, fname) >=
	    (int)sizeof(path) || lstat(path, &sb) == -1 ||
	    !S_ISLNK(sb.st_mode) || realpath(path, target) == NULL) {
		ct_error(c, err);
		return;
	}
	pl = strlen(path);
	if (strncmp(err, path, pl) == 0 && err[pl] == ':')
		snprintf(msg, sizeof(msg), "%s%s (through the alias %s)",
		    target, err + pl, path);
	else
		snprintf(msg, sizeof(msg), "%s (%s is an alias of %s)", err,
		    path, target);
	ct_error(c, msg);
}

/* The spool of TLS-RPT reports: a directory this user can write. */
static void
ct_reports(struct count *c, const char *dir)
{
	struct stat	 sb;
	char		 msg[STS_ERR_MAX + PATH_MAX];

	if (stat(dir, &sb) == -1)
		snprintf(msg, sizeof(msg), "reports %s: %s; POSTs to /tlsrpt "
		    "would be answered 503", dir, strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		snprintf(msg, sizeof(msg), "reports %s: not a directory; "
		    "POSTs to /tlsrpt would be answered 503", dir);
	else if (access(dir, W_OK | X_OK) == -1)
		snprintf(msg, sizeof(msg), "reports %s: not writable by this "
		    "user (%s); POSTs to /tlsrpt would be answered 503", dir,
		    strerror(errno));
	else {
		logmsg("reports %s: writable: TLS-RPT reports POSTed to "
		    "/tlsrpt are spooled there", dir);
		return;
	}
	ct_error(c, msg);
}

int
configtest_run(const char *conffile)
{
	struct sts_conf		 conf;
	struct sts_certstore	*cs = NULL;
	struct sts_strlist	 files = { NULL, 0, 0 };
	const struct sts_strlist *names = NULL;
	struct sts_domain	 dom;
	struct count		 c = { 0, 0 };
	char			 err[STS_ERR_MAX];
	size_t			 i;

	memset(&conf, 0, sizeof(conf));
	memset(&dom, 0, sizeof(dom));
	if (sts_conf_load(conffile, &conf, err, sizeof(err)) == -1) {
		ct_error(&c, err);
		goto out;
	}
	conf.dflt.skip_publishing = 1;	/* the checker's keys: never a policy's */
	if ((cs = sts_certstore_new(ct_warning, &c)) == NULL) {
		ct_error(&c, "out of memory");
		goto out;
	}
	if (conf.reports != NULL)
		ct_reports(&c, conf.reports);
	if (conf.dflt.certs != NULL && sts_certstore_get(cs, conf.dflt.certs,
	    &names, err, sizeof(err)) == -1)
		ct_warning(&c, err);
	if (sts_domain_list(conf.domains, &files, ct_warning, &c, err,
	    sizeof(err)) == -1) {
		ct_error(&c, err);
		goto out;
	}
	for (i = 0; i < files.n; i++) {
		if (sts_domain_load(&conf, cs, conf.domains, files.v[i], &dom,
		    err, sizeof(err)) == -1)
			ct_alias_error(&c, conf.domains, files.v[i], err);
		else
			sts_domain_advise(&dom, ct_warning, &c);
		sts_domain_free(&dom);
	}
out:
	logmsg("%s: %zu domains, %zu errors, %zu warnings%s", conffile,
	    files.n, c.errors, c.warnings, c.errors ? "" :
	    ": the configuration is good");
	sts_strlist_free(&files);
	sts_certstore_free(cs);
	sts_conf_free(&conf);
	return c.errors > 0;
}
