/* SPDX-License-Identifier: ISC */
/*
 * publish_zonefile.c: publish = zonefile. The records of every domain in
 * one include file (`zonefile`), or, when zonefile holds %z, one file per
 * zone (%z the zone's name, publish_zone() says which zone a domain's
 * records go to). Each file is replaced atomically when its text changes,
 * then the `reload` command (sh -c; with %z once per changed zone) so the
 * DNS server loads it. Left alone, and nothing reloaded, when it already
 * says exactly this.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

#define OUTPUT_MAX	2048	/* what the reload command prints, kept */

#define ZONEFILE_HEAD	"; MTA-STS and TLS-RPT records, written by " \
	"mta-sts-check.\n; Do not edit: the next run rewrites this file.\n"
/* the advice, per mode: one file for every zone, or one per zone */
#define ZONEFILE_ALL	"; $INCLUDE it in the zone that holds these names " \
	"(absolute names).\n; With several zones, set zonefile = " \
	".../%z.zone: one file per zone, each $INCLUDEd in its own zone.\n"
#define ZONEFILE_ONE	"; $INCLUDE it in zone %s only (absolute names).\n"

/* the file's text: the head, then one line each; NULL when out of memory */
static char *
zonefile_text(const char *zone, const struct sts_strlist *lines, size_t *lenp)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *mem = NULL;

	if ((mem = open_memstream(&text, &len)) == NULL)
		return NULL;
	fputs(ZONEFILE_HEAD, mem);
	if (zone != NULL)
		fprintf(mem, ZONEFILE_ONE, zone);
	else
		fputs(ZONEFILE_ALL, mem);
	for (i = 0; i < lines->n; i++)
		fprintf(mem, "%s\n", lines->v[i]);
	if (fclose(mem) != 0) {
		free(text);
		return NULL;
	}
	*lenp = len;
	return text;
}

/* does the file at path (sb from stat) hold exactly text? */
static int
same_text(const char *path, const struct stat *sb, const char *text,
    size_t len)
{
	char *old = NULL;
	size_t oldlen = 0;
	char err[STS_ERR_MAX];
	int fd, same;

	if ((size_t)sb->st_size != len || (fd = file_open(NULL, path,
	    O_RDONLY | O_NOFOLLOW, 0, NULL, err, sizeof(err))) == -1)
		return 0;
	/* longer than text (grown since the stat): not the same */
	same = sts_read_fd(fd, len, len, &old, &oldlen) == 0 &&
	    oldlen == len && memcmp(old, text, len) == 0;
	close(fd);
	free(old);
	return same;
}

/*
 * Is zone a name that may stand in a path and a shell command as it is?
 * Letters, digits, '-', '_' and '.', not beginning with '-' or '.', no
 * "..": a DNS name as publish_zone() gives it passes, nothing else does.
 */
static int
zone_safe(const char *zone)
{
	size_t n = strlen(zone);

	return n > 0 && n <= STS_HOST_MAX && zone[0] != '-' && zone[0] != '.' &&
	    strspn(zone, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_.") == n && strstr(zone, "..") == NULL;
}

int
zone_expand(const char *tmpl, const char *zone, char *out, size_t outlen,
    char *err, size_t errlen)
{
	size_t o = 0, zl;
	const char *t;

	if (zone != NULL && !zone_safe(zone))
		return sts_err(err, errlen, "zone '%.300s' is not a DNS name; "
		    "not put in %s", zone, tmpl);
	for (t = tmpl; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 'z' && zone != NULL) {
			zl = strlen(zone);
			if (o + zl >= outlen)
				goto long_;
			memcpy(out + o, zone, zl);
			o += zl;
			t++;
			continue;
		}
		if (t[0] == '%' && t[1] == '%')
			t++;
		else if (t[0] == '%')	/* the parser lets no other through */
			return sts_err(err, errlen, "%s: %%z without a zone, or "
			    "an unknown %%-escape", tmpl);
		if (o + 1 >= outlen)
			goto long_;
		out[o++] = *t;
	}
	out[o] = '\0';
	return 0;
 long_:
	return sts_err(err, errlen, "%s with %%z = %s: too long", tmpl,
	    zone ? zone : "");
}

int
zonefile_per_zone(const struct sts_conf *conf)
{
	return zone_has_z(conf->zonefile);
}

int
zone_has_z(const char *tmpl)
{
	const char *t;

	for (t = tmpl; t != NULL && *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == 'z')
			return 1;
		if (t[0] == '%' && t[1] != '\0')
			t++;
	}
	return 0;
}

int
zonefile_existing(const char *tmpl, struct sts_strlist *zones)
{
	char dir[PATH_MAX], zone[STS_HOST_MAX + 1], host[STS_HOST_MAX + 3];
	char why[STS_ERR_MAX];
	const char *base, *z, *suffix;
	size_t plen, slen, nlen, zl;
	struct dirent *de;
	DIR *dp = NULL;

	/* only DIR/PREFIX%zSUFFIX, with no other %-escape */
	if (tmpl == NULL || (base = strrchr(tmpl, '/')) == NULL ||
	    (size_t)(base - tmpl) >= sizeof(dir) ||
	    memchr(tmpl, '%', (size_t)(base - tmpl)) != NULL)
		return 0;
	base++;
	if ((z = strstr(base, "%z")) == NULL || strchr(z + 2, '%') != NULL ||
	    memchr(base, '%', (size_t)(z - base)) != NULL)
		return 0;
	memcpy(dir, tmpl, (size_t)(base - tmpl));
	dir[base - tmpl] = '\0';
	plen = (size_t)(z - base);
	suffix = z + 2;
	/* without a suffix (.zone), any file there could pass for a zone */
	if ((slen = strlen(suffix)) == 0)
		return 0;
	if ((dp = opendir(dir[0] ? dir : "/")) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dp)) != NULL) {
		nlen = strlen(de->d_name);
		if (nlen <= plen + slen || strncmp(de->d_name, base, plen) != 0 ||
		    strcmp(de->d_name + nlen - slen, suffix) != 0)
			continue;
		zl = nlen - plen - slen;
		if (zl >= sizeof(zone))
			continue;
		memcpy(zone, de->d_name + plen, zl);
		zone[zl] = '\0';
		/* a zone's name as publish_zone gives it, nothing else */
		if (!zone_safe(zone) || sts_host_to_alabel(zone, 0, host,
		    sizeof(host), why, sizeof(why)) == -1 ||
		    strcmp(host, zone) != 0)
			continue;
		if (sts_strlist_add(zones, zone) == -1) {
			closedir(dp);
			return -1;
		}
	}
	closedir(dp);
	return 0;
}

const char *
publish_zone(const struct sts_conf *conf, const struct sts_domain *d)
{
	(void)conf;
	/* delegated ids: the record is at <domain>.<id-zone>, in id-zone */
	if (d->set.id_zone != NULL && d->set.id_zone[0] != '\0')
		return d->set.id_zone;
	return d->set.zone != NULL && d->set.zone[0] != '\0' ? d->set.zone :
	    d->name;
}

enum publish_rc
zonefile_write(const char *path, const char *zone,
    const struct sts_strlist *lines, char *err, size_t errlen)
{
	char tmpl[PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	struct stat sb;
	enum publish_rc rc = PUB_FAILED;
	int have_old, n;

	if (path == NULL || path[0] == '\0') {
		(void)sts_err(err, errlen, "publish = zonefile, but no zonefile "
		    "is set");
		goto out;
	}
	if ((text = zonefile_text(zone, lines, &len)) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	/*
	 * Only a regular file is replaced: a symbolic link is refused rather
	 * than replaced by a file that takes its target's owner and mode
	 * (or written through, to wherever it points); a FIFO or a device
	 * is refused too.
	 */
	if (lstat(path, &sb) == 0) {
		have_old = 1;
		if (!S_ISREG(sb.st_mode)) {
			(void)sts_err(err, errlen, "zonefile %s is %s, not a "
			    "regular file; refusing to replace it: point "
			    "zonefile at the file itself", path,
			    sts_file_kind(sb.st_mode));
			goto out;
		}
	} else if (errno == ENOENT)
		have_old = 0;
	else {
		(void)sts_err(err, errlen, "zonefile %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (have_old && same_text(path, &sb, text, len)) {
		rc = PUB_UNCHANGED;
		goto out;
	}
	n = snprintf(tmpl, sizeof(tmpl), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmpl)) {
		(void)sts_err(err, errlen, "%s: path too long", path);
		goto out;
	}
	/* a new file gets the old one's mode and owner */
	if (atomic_write(path, tmpl, text, len,
	    have_old ? (sb.st_mode & 0777) : 0644,
	    have_old ? sb.st_uid : (uid_t)-1, have_old ? sb.st_gid : (gid_t)-1,
	    err, errlen) == -1)
		goto out;
	rc = PUB_DONE;
 out:
	free(text);
	return rc;
}

#define ZONEFILE_MARK	"; The reload after this file was written failed: " \
	"the next run writes it again and reloads.\n"
#define ZONEFILE_READ_MAX	(64 * 1024 * 1024)

int
zonefile_mark(const char *path, char *err, size_t errlen)
{
	char tmpl[PATH_MAX];
	char *text = NULL;
	size_t len = 0, mlen = strlen(ZONEFILE_MARK);
	struct stat sb;
	FILE *fp = NULL;
	int fd = -1, rc = -1, n;

	if ((fd = file_open(NULL, path, O_RDONLY | O_NOFOLLOW, 0, NULL, err,
	    errlen)) == -1)
		goto out;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > ZONEFILE_READ_MAX) {
		(void)sts_err(err, errlen, "%s: not a regular file of at most "
		    "64 MiB", path);
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		(void)sts_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if ((text = malloc((size_t)sb.st_size + mlen + 1)) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	len = fread(text, 1, (size_t)sb.st_size, fp);
	if (len != (size_t)sb.st_size) {
		(void)sts_err(err, errlen, "%s: short read", path);
		goto out;
	}
	memcpy(text + len, ZONEFILE_MARK, mlen);
	len += mlen;
	n = snprintf(tmpl, sizeof(tmpl), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmpl)) {
		(void)sts_err(err, errlen, "%s: path too long", path);
		goto out;
	}
	rc = atomic_write(path, tmpl, text, len, sb.st_mode & 0777, sb.st_uid,
	    sb.st_gid, err, errlen);
 out:
	if (fp != NULL)
		fclose(fp);
	if (fd != -1)
		close(fd);
	free(text);
	return rc;
}

int
publish_reload(const struct sts_conf *conf, const char *zone, char *err,
    size_t errlen)
{
	char out[OUTPUT_MAX], why[STS_ERR_MAX], cmd[4096];
	char *argv[4] = { "/bin/sh", "-c", NULL, NULL };

	if (conf->reload == NULL || conf->reload[0] == '\0')
		return 0;
	/* %z: the zone's name, checked to need no quoting (zone_expand) */
	if (zone_expand(conf->reload, zone_has_z(conf->reload) ? zone : NULL,
	    cmd, sizeof(cmd), why, sizeof(why)) == -1)
		return sts_err(err, errlen, "reload: %s", why);
	argv[2] = cmd;
	if (run_program(argv, environ, run_timeout(conf), out, sizeof(out),
	    why, sizeof(why)) == -1)
		return sts_err(err, errlen, "the reload command%s%s failed: %s",
		    zone_has_z(conf->reload) ? " for zone " : "",
		    zone_has_z(conf->reload) ? zone : "", why);
	return 0;
}

enum publish_rc
publish_zonefile(const struct sts_conf *conf, const struct sts_strlist *lines,
    char *err, size_t errlen)
{
	char why[STS_ERR_MAX];
	enum publish_rc rc;

	rc = zonefile_write(conf->zonefile, NULL, lines, err, errlen);
	if (rc != PUB_DONE)
		return rc;
	if (publish_reload(conf, NULL, why, sizeof(why)) == -1) {
		(void)sts_err(err, errlen, "wrote %s, but %s", conf->zonefile, why);
		return PUB_FAILED;
	}
	return PUB_DONE;
}
