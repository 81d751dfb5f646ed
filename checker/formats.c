/* SPDX-License-Identifier: ISC */
/*
 * formats.c: the report for programs and pages, --format json, jsonl,
 * csv, prometheus or html (text is output.c's), to standard output or
 * with -o FILE to a temporary file in FILE's directory renamed over it at
 * the end, so that a web server or node_exporter's textfile collector
 * never reads half a report.
 *
 * Domains are written in their order, each as soon as it and every
 * domain before it are done (fmt_emit_ready, called by out_fold under
 * the pool's lock), and their findings freed then: memory holds only the
 * domains still being checked and those waiting for a slower one before
 * them. The summary comes last in every format (the HTML page shows it at
 * the top with CSS). Prometheus groups samples by metric: the per-domain
 * families are collected in temporary files and copied out at the end.
 *
 *	json	 {"domains":[{...,"findings":[{...}]}],"summary":{...},
 *		  "status":N,"warnings":[...]}
 *	jsonl	 {"type":"finding",...} per finding, {"type":"summary",...}
 *	csv	 a header, one row per domain (RFC 4180: CRLF, quoted)
 *	prometheus  text exposition format 0.0.4, mtasts_* metrics
 *	html	 one page: inline CSS and JS, no external resource
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "formats.h"

static const char *const names[] = {
	[FMT_TEXT] = "text", [FMT_JSON] = "json", [FMT_JSONL] = "jsonl",
	[FMT_CSV] = "csv", [FMT_PROM] = "prometheus", [FMT_HTML] = "html",
};

int
fmt_parse(const char *name, enum format *f)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*f = (enum format)i;
			return 0;
		}
	return -1;
}

const char *
fmt_name(enum format f)
{
	return names[f];
}

/* ---- open ------------------------------------------------------------------ */

int
fmt_open(struct run *run, char *err, size_t errlen)
{
	const struct opts *o = run->o;
	size_t i;
	int fd;

	if (run->out != NULL)
		return 0;
	if (o->outfile == NULL)
		run->out = stdout;
	else {
		if (asprintf(&run->outtmp, "%s.XXXXXX", o->outfile) == -1) {
			run->outtmp = NULL;
			return sts_err(err, errlen, "out of memory");
		}
		if ((fd = mkstemp(run->outtmp)) == -1 ||
		    (run->out = fdopen(fd, "w")) == NULL) {
			(void)sts_err(err, errlen, "%s: %s (making a temporary "
			    "file beside it)", o->outfile, strerror(errno));
			if (fd != -1) {
				close(fd);
				unlink(run->outtmp);
			}
			free(run->outtmp);
			run->outtmp = NULL;
			return -1;
		}
	}
	switch (o->format) {
	case FMT_JSON:
		fputs("{\"domains\":[", run->out);
		break;
	case FMT_CSV:
		fputs("domain,u_label,status,mode,max_age,id,dns_id,published,"
		    "errors,warnings,first_problem\r\n", run->out);
		break;
	case FMT_PROM:
		for (i = 0; i < FAM_N; i++)
			if ((run->fam[i] = tmpfile()) == NULL)
				return sts_err(err, errlen, "a temporary file: %s",
				    strerror(errno));
		break;
	case FMT_HTML:
		fputs(fmt_html_head, run->out);
		break;
	default:
		break;
	}
	return 0;
}


/* ---- in domain order ---------------------------------------------------------- */

/* j's part, from the spool to the report; -1 when it cannot be read back */
static int
unspool(struct run *run, const struct job *j)
{
	char buf[8192];
	size_t left = j->spool_len, n;

	if (fseeko(run->spool, j->spool_at, SEEK_SET) == -1)
		return -1;
	while (left > 0) {
		n = fread(buf, 1, left < sizeof(buf) ? left : sizeof(buf),
		    run->spool);
		if (n == 0)
			return -1;
		fwrite(buf, 1, n, run->out);
		left -= n;
	}
	return 0;
}

void
fmt_emit_ready(struct run *run)
{
	struct job *j = NULL;

	while (run->next_emit < run->njobs) {
		j = &run->jobs[run->next_emit];
		if (j->selected && !j->folded)
			break;
		run->next_emit++;
		if (!j->selected)
			continue;
		if (j->spooled) {
			if (unspool(run, j) == -1)
				run->lost = 1;
			j->spooled = 0;
		} else {
			if (run->o->format == FMT_JSON && run->nemitted > 0)
				fputc(',', run->out);
			fmt_domain(run, j, run->out);
		}
		run->nemitted++;
		report_free(&j->r);
		if (run->stream)
			job_release(j);
	}
}

/*
 * j is done, but a domain before it is not: its part is written now, to
 * the spool (a JSON object after a comma: it is not the first), and its
 * findings and policy freed, so that one slow domain does not keep every
 * later one's report in memory. Prometheus samples need only the state
 * (the status and id are in the report): the rest is freed. Without a
 * spool (no temporary file) the job waits in memory, as it is.
 */
static void
spool(struct run *run, struct job *j)
{
	off_t at, end;

	if (run->o->format == FMT_PROM) {
		report_free(&j->r);
		if (j->d != NULL) {
			sts_domain_free(j->d);
			free(j->d);
			j->d = NULL;
		}
		j->loaded = 0;
		return;
	}
	if (run->spool == NULL && (run->spool = tmpfile()) == NULL)
		return;
	if (fseeko(run->spool, 0, SEEK_END) == -1 ||
	    (at = ftello(run->spool)) == -1)
		return;
	if (run->o->format == FMT_JSON)
		fputc(',', run->spool);
	fmt_domain(run, j, run->spool);
	if (fflush(run->spool) == EOF || (end = ftello(run->spool)) == -1) {
		clearerr(run->spool);
		return;
	}
	j->spool_at = at;
	j->spool_len = (size_t)(end - at);
	j->spooled = 1;
	report_free(&j->r);
	job_release(j);
}

/*
 * Domains done ahead of the next one to write: the nearest SPOOL_AFTER
 * stay in memory (with -j 32 a domain usually ends within a few dozen of
 * its turn, and writing each one to the spool and reading it back, under
 * the pool's lock, cost a quarter of the system calls of a run); those
 * further ahead, which wait for a slow domain, go to the spool.
 */
#define SPOOL_AFTER	256

void
fmt_fold(struct run *run, struct job *j)
{
	size_t idx = (size_t)(j - run->jobs);

	fmt_emit_ready(run);
	if (run->stream && idx >= run->next_emit && !j->spooled &&
	    idx - run->next_emit >= SPOOL_AFTER)
		spool(run, j);
}

int
fmt_close(struct run *run, int status, char *err, size_t errlen)
{
	const struct opts *o = run->o;
	struct timespec t1;
	double secs;
	FILE *fp = run->out;
	size_t i;
	int rc = 0;

	if (fp == NULL)
		return 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - run->t0.tv_sec) +
	    (double)(t1.tv_nsec - run->t0.tv_nsec) / 1e9;
	if (fmt_tail(run, fp, status, secs) == -1)
		rc = sts_err(err, errlen, "a temporary file: cannot read it back");
	for (i = 0; i < FAM_N; i++)
		if (run->fam[i] != NULL) {
			fclose(run->fam[i]);
			run->fam[i] = NULL;
		}
	if (run->spool != NULL) {
		fclose(run->spool);
		run->spool = NULL;
	}
	run->out = NULL;
	if (run->outtmp == NULL)
		return fflush(fp) == EOF ? sts_err(err, errlen, "standard "
		    "output: %s", strerror(errno)) : rc;
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1 ||
	    fchmod(fileno(fp), 0644) == -1) {
		rc = sts_err(err, errlen, "%s: %s (writing %s)", o->outfile,
		    strerror(errno), run->outtmp);
		fclose(fp);
	} else if (fclose(fp) == EOF)
		rc = sts_err(err, errlen, "%s: %s (writing %s)", o->outfile,
		    strerror(errno), run->outtmp);
	if (rc == 0 && rename(run->outtmp, o->outfile) == -1)
		rc = sts_err(err, errlen, "%s: %s (renaming %s)", o->outfile,
		    strerror(errno), run->outtmp);
	if (rc == -1)
		(void)unlink(run->outtmp);
	free(run->outtmp);
	run->outtmp = NULL;
	return rc;
}

void
fmt_abort(struct run *run)
{
	size_t i;

	for (i = 0; i < FAM_N; i++)
		if (run->fam[i] != NULL) {
			fclose(run->fam[i]);
			run->fam[i] = NULL;
		}
	if (run->spool != NULL) {
		fclose(run->spool);
		run->spool = NULL;
	}
	if (run->out != NULL && run->out != stdout)
		fclose(run->out);
	run->out = NULL;
	if (run->outtmp != NULL) {
		(void)unlink(run->outtmp);
		free(run->outtmp);
		run->outtmp = NULL;
	}
}
