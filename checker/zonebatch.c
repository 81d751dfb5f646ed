/* SPDX-License-Identifier: ISC */
/*
 * zonebatch.c: publish = zonefile for a check run. After every domain's
 * checks, the include file (or one file per zone, zonefile with %z) is
 * written once from the records of every domain (zonefile_lines; with %z
 * the id line goes into the file of the domain's zone or id-zone, the
 * TLS-RPT line with tlsrpt-zone into the tlsrpt-zone's file), the
 * name server reloaded (once, or once per zone with %z in reload), each
 * domain told publish.done or publish.failed, and the ones published
 * verified. The state saving and the verification are the caller's
 * (cmd_check.c), passed in, so that this file never calls back into it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/*
 * the lines of one domain in the file at path, those of parts (ZR_ID,
 * ZR_TLSRPT); -1 out of memory
 */
static int
zonefile_lines(struct run *run, struct job *j, const char *path, int parts,
    struct sts_strlist *lines)
{
	char err[STS_ERR_MAX];
	const char *zid = NULL;
	struct state st;
	size_t before = lines->n;

	/* a configuration error: the file keeps what it had (delegated: at
	 * the global id-zone and tlsrpt-zone; the domain file's own are
	 * not known while it is invalid) */
	if (!j->loaded)
		return zone_old_lines_in(path, j->r.domain,
		    run->conf.dflt.id_zone, run->conf.dflt.tlsrpt_zone, lines);
	if (dom_publish(&run->conf, j->d) != STS_PUBLISH_ZONEFILE)
		return 0;	/* a domain file chose another way */
	/* the TLS-RPT record alone (the tlsrpt-zone's file): no id, no state */
	if (parts == ZR_TLSRPT)
		return zone_records_part(j->d, NULL, ZR_TLSRPT, lines);
	if (j->selected && j->state_ok) {
		st = *j->st;
		zid = (j->served || st.published) ? st.id : st.pub_id;
	} else if (state_read(run->conf.state, j->d->name, &st, err,
	    sizeof(err)) == 0) {
		zid = st.published ? st.id : st.pub_id;
	} else {
		if (zone_old_lines_in(path, j->d->name, j->d->set.id_zone,
		    (parts & ZR_TLSRPT) ? j->d->set.tlsrpt_zone : NULL,
		    lines) == -1)
			return -1;
		if (lines->n > before)
			return 0;
	}
	return zone_records_part(j->d, zid, parts, lines);
}

/*
 * One file to write: for every zone with zonefile = .../%z.zone, else one
 * for all (zone NULL). What writing and reloading it did, and why not.
 */
struct zfile {
	const char	*zone;
	char		 path[PATH_MAX];
	enum publish_rc	 rc;
	size_t		 nwant;		/* domains whose id is to go out in it */
	char		 err[STS_ERR_MAX];
};

#define NO_ZONE	((size_t)-1)

/* the index of zone in the sorted zones */
static size_t
zone_index(const struct sts_strlist *zones, const char *zone)
{
	size_t lo = 0, hi = zones->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(zones->v[mid], zone)) == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NO_ZONE;
}

/*
 * the file's text for zf: every domain of its zone (zi), and the TLS-RPT
 * records of those whose tlsrpt-zone it is (ti); -1 out of memory
 */
static int
zonefile_build(struct run *run, const size_t *zi, const size_t *ti, size_t k,
    struct zfile *zf, struct sts_strlist *lines)
{
	size_t i;
	int parts;

	for (i = 0; i < run->njobs; i++) {
		parts = 0;
		if (zi[i] == k)	/* its TLS-RPT line too, unless it has a file */
			parts |= ZR_ID | (ti[i] == NO_ZONE ? ZR_TLSRPT : 0);
		if (ti[i] == k)
			parts |= ZR_TLSRPT;
		if (parts != 0) {
			if (zonefile_lines(run, &run->jobs[i], zf->path, parts,
			    lines) == -1)
				return -1;
		} else if (!run->jobs[i].loaded &&
		    zone_old_lines_in(zf->path, run->jobs[i].r.domain,
		    run->conf.dflt.id_zone, run->conf.dflt.tlsrpt_zone,
		    lines) == -1)
			return -1;
	}
	return 0;
}

/* a reload failed: zf is marked so that the next run reloads it again */
static void
zonefile_unloaded(struct run *run, struct zfile *zf, const char *why)
{
	char err[STS_ERR_MAX];

	if (zonefile_mark(zf->path, err, sizeof(err)) == -1)
		run_warn(run, err);
	(void)sts_err(zf->err, sizeof(zf->err), "wrote %s, but %s", zf->path,
	    why);
	zf->rc = PUB_FAILED;
}

/* reload what changed: once per zone with %z in reload, else once */
static void
zonefile_reload(struct run *run, struct zfile *zf, size_t nz)
{
	char err[STS_ERR_MAX];
	size_t k;
	int per_zone = zone_has_z(run->conf.reload), need = 0, failed = 0;

	for (k = 0; k < nz; k++) {
		if (!(zf[k].rc == PUB_DONE || (zf[k].rc == PUB_UNCHANGED &&
		    zf[k].nwant > 0)))
			continue;	/* unchanged, or not written */
		need = 1;
		if (per_zone && publish_reload(&run->conf, zf[k].zone, err,
		    sizeof(err)) == -1)
			zonefile_unloaded(run, &zf[k], err);
	}
	if (per_zone || !need)
		return;
	if (publish_reload(&run->conf, NULL, err, sizeof(err)) == -1)
		failed = 1;
	for (k = 0; failed && k < nz; k++)
		if (zf[k].rc == PUB_DONE || (zf[k].rc == PUB_UNCHANGED &&
		    zf[k].nwant > 0))
			zonefile_unloaded(run, &zf[k], err);
}

/* with %z: the zone whose file gets j's TLS-RPT line apart from its id, or NULL */
static const char *
tlsrpt_file_zone(struct run *run, const struct job *j)
{
	if (!j->loaded || j->d->set.tlsrpt_zone == NULL ||
	    dom_publish(&run->conf, j->d) != STS_PUBLISH_ZONEFILE)
		return NULL;
	return j->d->set.tlsrpt_zone;
}

/*
 * The files to write, zf[0..*nzp), and each job's index in it, zi (NO_ZONE
 * for a domain with a configuration error), and per zone ti, the index
 * of the file of its tlsrpt-zone (NO_ZONE: none apart): per zone, the
 * zones of the domains, their tlsrpt-zones and those whose files exist
 * (their domains gone: written without them), sorted; or one file for
 * all. -1 out of memory.
 */
static int
zonefile_plan(struct run *run, int per_zone, struct sts_strlist *zones,
    struct zfile **zfp, size_t **zip, size_t **tip, size_t *nzp)
{
	char msg[STS_ERR_MAX];
	struct zfile *zf;
	struct job *j;
	const char *tz;
	size_t *zi, *ti, i, k, nz;

	for (i = 0; per_zone && i < run->njobs; i++) {
		if (run->jobs[i].loaded && sts_strlist_add(zones,
		    publish_zone(&run->conf, run->jobs[i].d)) == -1)
			return -1;
		if ((tz = tlsrpt_file_zone(run, &run->jobs[i])) != NULL &&
		    sts_strlist_add(zones, tz) == -1)
			return -1;
	}
	if (per_zone && zonefile_existing(run->conf.zonefile, zones) == -1) {
		(void)sts_err(msg, sizeof(msg), "zonefile %s: cannot list its "
		    "directory (%s); the files of zones without domains are "
		    "left as they are", run->conf.zonefile, strerror(errno));
		run_warn(run, msg);
	}
	sts_strlist_sort_uniq(zones);
	*nzp = nz = per_zone ? zones->n : 1;
	if ((*zfp = zf = calloc(nz ? nz : 1, sizeof(*zf))) == NULL ||
	    (*zip = zi = calloc(run->njobs ? run->njobs : 1,
	    sizeof(*zi))) == NULL ||
	    (*tip = ti = calloc(run->njobs ? run->njobs : 1,
	    sizeof(*ti))) == NULL)
		return -1;
	for (k = 0; k < nz; k++) {
		zf[k].zone = per_zone ? zones->v[k] : NULL;
		zf[k].rc = PUB_UNCHANGED;
		if (zone_expand(run->conf.zonefile, zf[k].zone, zf[k].path,
		    sizeof(zf[k].path), zf[k].err, sizeof(zf[k].err)) == -1)
			zf[k].rc = PUB_FAILED;
	}
	for (i = 0; i < run->njobs; i++) {
		j = &run->jobs[i];
		zi[i] = !j->loaded ? NO_ZONE : per_zone ? zone_index(zones,
		    publish_zone(&run->conf, j->d)) : 0;
		tz = per_zone ? tlsrpt_file_zone(run, j) : NULL;
		ti[i] = tz != NULL ? zone_index(zones, tz) : NO_ZONE;
		if (j->want_publish && zi[i] != NO_ZONE)
			zf[zi[i]].nwant++;
	}
	return 0;
}

/* each file, from the domains of its zone (not with --dry-run); -1 fatal */
static int
zonefile_write_all(struct run *run, struct zfile *zf, size_t nz,
    const size_t *zi, const size_t *ti)
{
	struct sts_strlist lines = { 0 };
	size_t k;

	for (k = 0; k < nz; k++) {
		if (zf[k].rc == PUB_FAILED)
			continue;
		if (zonefile_build(run, zi, ti, k, &zf[k], &lines) == -1) {
			sts_strlist_free(&lines);
			return run_fail(run, "%s: cannot build the records",
			    zf[k].path);
		}
		if (!run->o->dry)
			zf[k].rc = zonefile_write(zf[k].path, zf[k].zone, &lines,
			    zf[k].err, sizeof(zf[k].err));
		sts_strlist_free(&lines);
	}
	return 0;
}

/*
 * Each domain whose id was to go out: publish.failed, or publish.done
 * and its state saved (save). The number published.
 */
static size_t
zonefile_published(struct run *run, const struct zfile *zf, const size_t *zi,
    int (*save)(struct run *, struct job *))
{
	struct job *j;
	size_t i, nwant = 0;

	for (i = 0; i < run->njobs; i++) {
		j = &run->jobs[i];
		if (!j->want_publish)
			continue;
		if (zi[i] == NO_ZONE || zf[zi[i]].rc == PUB_FAILED) {
			report_add(&j->r, L_ERROR, "publish.failed",
			    "_mta-sts.%s: publishing id %s by zonefile "
			    "failed: %s", j->d->name, j->st->id,
			    zi[i] == NO_ZONE ? "no zone" : zf[zi[i]].err);
			j->want_publish = 0;
			continue;
		}
		report_add(&j->r, L_INFO, "publish.done", "_mta-sts.%s: published "
		    "id %s by zonefile (%s%s)", j->d->name, j->st->id,
		    zf[zi[i]].path, zf[zi[i]].rc == PUB_UNCHANGED ?
		    ", already there" : "");
		(void)snprintf(j->st->pub_id, sizeof(j->st->pub_id), "%s", j->st->id);
		if (save(run, j) == -1)
			j->want_publish = 0;
		else
			nwant++;
	}
	return nwant;
}

int
zonefile_batch(struct run *run, int (*save)(struct run *, struct job *),
    job_fn *verify)
{
	struct sts_strlist zones = { 0 };
	struct zfile *zf = NULL;
	size_t *zi = NULL, *ti = NULL, i, k, nz = 0, nzone = 0;
	int per_zone = zonefile_per_zone(&run->conf), status = 0;

	/* zonefile set, but no domain publishes by it: the files are not ours */
	for (i = 0; i < run->njobs; i++)
		if (run->jobs[i].loaded &&
		    dom_publish(&run->conf, run->jobs[i].d) == STS_PUBLISH_ZONEFILE)
			nzone++;
	if (nzone == 0 && run->conf.publish != STS_PUBLISH_ZONEFILE)
		return 0;
	if (zonefile_plan(run, per_zone, &zones, &zf, &zi, &ti, &nz) == -1) {
		status = run_fail(run, "out of memory");
		goto out;
	}
	if ((status = zonefile_write_all(run, zf, nz, zi, ti)) != 0)
		goto out;
	if (run->o->dry) {
		for (i = 0; i < run->njobs; i++)
			if (run->jobs[i].want_publish && zi[i] != NO_ZONE)
				report_add(&run->jobs[i].r, L_INFO, "publish.dry_run",
				    "_mta-sts.%s: would publish id %s by "
				    "zonefile (%s)", run->jobs[i].d->name,
				    run->jobs[i].st->id, zf[zi[i]].path);
		goto out;
	}
	/* the file already says so, but DNS does not: reload anyway */
	zonefile_reload(run, zf, nz);
	for (k = 0; k < nz; k++)
		if (zf[k].rc == PUB_FAILED && zf[k].nwant == 0)
			run_warn(run, zf[k].err);
	if (zonefile_published(run, zf, zi, save) > 0) {
		for (i = 0; i < run->njobs; i++)
			run->jobs[i].selected = run->jobs[i].want_publish;
		pool_run(run, verify);
	}
 out:
	sts_strlist_free(&zones);
	free(zf);
	free(zi);
	free(ti);
	return status;
}
