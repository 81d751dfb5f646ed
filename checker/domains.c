/* SPDX-License-Identifier: ISC */
/*
 * domains.c: what every sub-command starts from and ends with, in the
 * main thread: the configuration, the domain files (and which ones the
 * command line names), each domain's rendered policy, run-wide warnings,
 * a fatal error (printed here, the status returned to main()) and the
 * reports printed (output.c for text, report.c for JSON).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define TIMEOUT_DEFAULT	10

void
run_init(struct run *run, const struct opts *o)
{
	memset(run, 0, sizeof(*run));
	run->o = o;
	sts_conf_defaults(&run->conf);
	run->now = time(NULL);
	(void)clock_gettime(CLOCK_MONOTONIC, &run->t0);
}

void
run_free(struct run *run)
{
	size_t i;

	fmt_abort(run);
	pool_free(run);
	dane_free(run);
	out_free(run);
	for (i = 0; i < run->njobs; i++) {
		report_free(&run->jobs[i].r);
		job_release(&run->jobs[i]);
		free(run->jobs[i].aname);
		free(run->jobs[i].file);
	}
	free(run->jobs);
	run->jobs = NULL;
	run->njobs = 0;
	sts_certstore_free(run->store);
	run->store = NULL;
	sts_conf_free(&run->conf);
	sts_strlist_free(&run->warnings);
}

int
run_fail(struct run *run, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fmt_abort(run);
	if (run->o->format == FMT_JSON)
		report_print_json(stdout, NULL, 0, 3, &run->warnings, msg);
	fflush(stdout);
	fprintf(stderr, "mta-sts-check: %s\n", msg);
	return 3;
}

void
run_warn(void *arg, const char *msg)
{
	struct run *run = arg;

	if (!sts_strlist_contains(&run->warnings, msg) &&
	    sts_strlist_add(&run->warnings, msg) == -1)
		run->nomem = 1;
}

int
run_conf(struct run *run, int optional)
{
	const char *path = run->o->conffile ? run->o->conffile : STS_CONF_DEFAULT;
	char err[STS_ERR_MAX];

	if (optional && access(path, R_OK) == -1) {
		/* probe needs no configuration: built-in defaults */
		if (run->o->conffile != NULL)
			fprintf(stderr, "mta-sts-check: cannot read %s (%s); "
			    "probing with the built-in defaults\n", path,
			    strerror(errno));
	} else if (sts_conf_load(path, &run->conf, err, sizeof(err)) == -1)
		return run_fail(run, "%s", err);
	if (run->conf.timeout == 0)
		run->conf.timeout = TIMEOUT_DEFAULT;
	return 0;
}

int
run_arg_domain(struct run *run, const char *arg, char *out, size_t outlen)
{
	char err[STS_ERR_MAX], *tmp = NULL;
	size_t n = strlen(arg);
	int status = 0;

	if ((tmp = strdup(arg)) == NULL)
		return run_fail(run, "out of memory");
	if (n > 1 && tmp[n - 1] == '.')
		tmp[n - 1] = '\0';
	if (sts_host_to_alabel(tmp, 0, out, outlen, err, sizeof(err)) == -1)
		status = run_fail(run, "%s", err);
	free(tmp);
	return status;
}

int
job_name(struct job *j, const char *alabel)
{
	char *a = NULL;

	if (j->r.domain != NULL && strcmp(j->r.domain, alabel) == 0)
		return 0;
	if (j->file == NULL || strcmp(j->file, alabel) != 0) {
		if ((a = strdup(alabel)) == NULL)
			return -1;
	}
	free(j->aname);
	j->aname = a;
	j->r.domain = a != NULL ? a : j->file;
	return 0;
}

void
job_release(struct job *j)
{
	if (j->d != NULL) {
		sts_domain_free(j->d);
		free(j->d);
		j->d = NULL;
	}
	j->loaded = 0;
	free(j->st);
	j->st = NULL;
}

struct state *
job_state(struct job *j)
{
	if (j->st == NULL)
		j->st = calloc(1, sizeof(*j->st));
	return j->st;
}

/*
 * The jobs of every domain file, none selected. The file names move from
 * files into the jobs (files is left empty); a job's domain is that same
 * string unless its A-label differs (an IDN file name).
 */
static int
jobs_of(struct run *run, struct sts_strlist *files)
{
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1];
	size_t i;

	if ((run->jobs = calloc(files->n ? files->n : 1,
	    sizeof(*run->jobs))) == NULL)
		return run_fail(run, "out of memory");
	for (i = 0; i < files->n; i++) {
		run->jobs[i].file = files->v[i];
		files->v[i] = NULL;
		run->njobs = i + 1;
		if (sts_host_to_alabel(run->jobs[i].file, 0, a, sizeof(a), err,
		    sizeof(err)) == -1)
			(void)snprintf(a, sizeof(a), "%s", run->jobs[i].file);
		if (job_name(&run->jobs[i], a) == -1)
			return run_fail(run, "out of memory");
	}
	return 0;
}

int
run_domains(struct run *run, char **names, int nnames)
{
	struct sts_strlist files = { 0 };
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1];
	size_t i;
	int k, status = 0;

	if (sts_domain_list(run->conf.domains, &files, run_warn, run, err,
	    sizeof(err)) == -1) {
		status = run_fail(run, "%s", err);
		goto out;
	}
	if (files.n == 0 && nnames == 0) {
		(void)snprintf(err, sizeof(err), "%s: no domain files: nothing "
		    "to check", run->conf.domains);
		run_warn(run, err);
	}
	if ((status = jobs_of(run, &files)) != 0)
		goto out;
	for (i = 0; i < run->njobs; i++)
		run->jobs[i].selected = nnames == 0;
	for (k = 0; k < nnames; k++) {
		if ((status = run_arg_domain(run, names[k], a, sizeof(a))) != 0)
			goto out;
		for (i = 0; i < run->njobs; i++)
			if (strcmp(run->jobs[i].r.domain, a) == 0)
				break;
		if (i == run->njobs) {
			(void)sts_domain_missing(run->conf.domains, names[k],
			    err, sizeof(err));
			status = run_fail(run, "%s", err);
			goto out;
		}
		run->jobs[i].selected = 1;
	}
	if ((run->store = sts_certstore_new(run_warn, run)) == NULL)
		status = run_fail(run, "out of memory");
 out:
	sts_strlist_free(&files);
	return status;
}

/* msg without "DOMAIN: " in front: the report names the domain already. */
static const char *
unprefixed(const char *domain, const char *msg)
{
	size_t n = strlen(domain);

	if (strncmp(msg, domain, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static void
advise(void *arg, const char *msg)
{
	struct job *j = arg;

	report_add(&j->r, L_WARN, "config.advice", "%s",
	    unprefixed(j->r.domain, msg));
}

void
run_load(struct run *run, struct job *j)
{
	struct stat sb;
	char err[STS_ERR_MAX], path[PATH_MAX], target[PATH_MAX];
	size_t pl;

	if (j->d == NULL && (j->d = calloc(1, sizeof(*j->d))) == NULL) {
		report_add(&j->r, L_ERROR, "internal.nomem", "%s: out of memory",
		    j->r.domain);
		return;
	}
	if (sts_domain_load(&run->conf, run->store, run->conf.domains, j->file,
	    j->d, err, sizeof(err)) == -1) {
		free(j->d);
		j->d = NULL;
		/* Through an alias: name the file to fix. */
		if (snprintf(path, sizeof(path), "%s/%s", run->conf.domains,
		    j->file) < (int)sizeof(path) && lstat(path, &sb) == 0 &&
		    S_ISLNK(sb.st_mode) && realpath(path, target) != NULL &&
		    strncmp(err, path, (pl = strlen(path))) == 0 &&
		    err[pl] == ':') {
			report_add(&j->r, L_ERROR, "config.invalid", "%s%s (through "
			    "the alias %s)", target, err + pl, path);
			return;
		}
		report_add(&j->r, L_ERROR, "config.invalid", "%s",
		    unprefixed(j->r.domain, err));
		return;
	}
	j->loaded = 1;
	if (job_name(j, j->d->name) == -1)
		report_add(&j->r, L_ERROR, "internal.nomem", "%s: out of memory",
		    j->r.domain);
	sts_domain_advise(j->d, advise, j);
}

int
run_output(struct run *run, int only_selected)
{
	char err[STS_ERR_MAX];
	size_t i;
	int status;

	if (run->nomem)
		return run_fail(run, "out of memory");
	if (fmt_open(run, err, sizeof(err)) == -1)
		return run_fail(run, "%s", err);
	for (i = 0; i < run->njobs; i++)
		if (!only_selected || run->jobs[i].selected)
			out_fold(run, &run->jobs[i]);
	if (run->o->format == FMT_TEXT)
		status = out_text(run, run->out);
	else {
		fmt_emit_ready(run);
		status = run->lost ? 3 : run->nerr ? 2 :
		    (run->nwarn || run->warnings.n) ? 1 : 0;
	}
	if (fmt_close(run, status, err, sizeof(err)) == -1) {
		fprintf(stderr, "mta-sts-check: %s\n", err);
		return 3;
	}
	if (status == 3)
		fprintf(stderr, "mta-sts-check: out of memory: findings were "
		    "lost\n");
	return status;
}
