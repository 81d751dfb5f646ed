/* SPDX-License-Identifier: ISC */
/*
 * publish_zonefile.c: publish = zonefile. The records of every domain in
 * one include file (`zonefile`), replaced atomically when its text
 * changes, then the `reload` command (sh -c) so the DNS server loads it.
 * Left alone, and nothing reloaded, when it already says exactly this.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define ZONEFILE_HEAD	"; MTA-STS and TLS-RPT records, written by " \
	"mta-sts-check.\n; Do not edit: the next run rewrites this file. " \
	"$INCLUDE it in the zone(s).\n"

/* the file's text: the head, then one line each; NULL when out of memory */
static char *
zonefile_text(const struct sts_strlist *lines, size_t *lenp)
{
	char *text = NULL;
	size_t len = 0, i;
	FILE *mem = NULL;

	if ((mem = open_memstream(&text, &len)) == NULL)
		return NULL;
	fputs(ZONEFILE_HEAD, mem);
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

enum publish_rc
publish_zonefile(const struct sts_conf *conf, const struct sts_strlist *lines,
    char *err, size_t errlen)
{
	char tmpl[PATH_MAX], why[STS_ERR_MAX];
	char *text = NULL;
	size_t len = 0;
	struct stat sb;
	enum publish_rc rc = PUB_FAILED;
	int have_old, n;

	if (conf->zonefile == NULL || conf->zonefile[0] == '\0') {
		(void)sts_err(err, errlen, "publish = zonefile, but no zonefile "
		    "is set");
		goto out;
	}
	if ((text = zonefile_text(lines, &len)) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	/*
	 * Only a regular file is replaced: a symbolic link is refused rather
	 * than replaced by a file that takes its target's owner and mode
	 * (or written through, to wherever it points); a FIFO or a device
	 * is refused too.
	 */
	if (lstat(conf->zonefile, &sb) == 0) {
		have_old = 1;
		if (!S_ISREG(sb.st_mode)) {
			(void)sts_err(err, errlen, "zonefile %s is %s, not a "
			    "regular file; refusing to replace it: point "
			    "zonefile at the file itself", conf->zonefile,
			    sts_file_kind(sb.st_mode));
			goto out;
		}
	} else if (errno == ENOENT)
		have_old = 0;
	else {
		(void)sts_err(err, errlen, "zonefile %s: %s", conf->zonefile,
		    strerror(errno));
		goto out;
	}
	if (have_old && same_text(conf->zonefile, &sb, text, len)) {
		rc = PUB_UNCHANGED;
		goto out;
	}
	n = snprintf(tmpl, sizeof(tmpl), "%s.XXXXXX", conf->zonefile);
	if (n < 0 || (size_t)n >= sizeof(tmpl)) {
		(void)sts_err(err, errlen, "%s: path too long", conf->zonefile);
		goto out;
	}
	/* a new file gets the old one's mode and owner */
	if (atomic_write(conf->zonefile, tmpl, text, len,
	    have_old ? (sb.st_mode & 0777) : 0644,
	    have_old ? sb.st_uid : (uid_t)-1, have_old ? sb.st_gid : (gid_t)-1,
	    err, errlen) == -1)
		goto out;
	if (publish_reload(conf, why, sizeof(why)) == -1) {
		(void)sts_err(err, errlen, "wrote %s, but %s", conf->zonefile, why);
		goto out;
	}
	rc = PUB_DONE;
 out:
	free(text);
	return rc;
}
