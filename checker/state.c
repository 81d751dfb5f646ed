/* SPDX-License-Identifier: ISC */
/*
 * state.c: what mta-sts-check remembers per domain (the digest of the
 * policy and the id given to it), the run lock, and id generation.
 *
 * One small text file per domain, STATE/<domain>:
 *
 *	mta-sts-check-state 1
 *	domain example.com
 *	digest <sha-256 hex of the rendered policy>
 *	id 20261129021500
 *	since 1795918500
 *	published 1
 *	prev-id 20261101000000
 *	pub-id 20261129021500
 *	end
 *
 * The file is read strictly: anything else (a truncated file, an unknown
 * or repeated key, a bad value) is "damaged" and never silently replaced.
 * Writes go through atomic_write (temporary file, fsync, rename, fsync of
 * the directory).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"

#define STATE_MAGIC	"mta-sts-check-state 1"

/* a safe file name: what a valid A-label domain is made of, no leading dot */
static int
name_ok_prefix(const char *d, size_t n)
{
	size_t i;

	if (n == 0 || n > STS_HOST_MAX || d[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", d[i]) ==
		    NULL || d[i] == '\0')
			return 0;
	return 1;
}

static int
name_ok(const char *d)
{
	return name_ok_prefix(d, strlen(d));
}

static int
path_join(char *out, size_t outlen, const char *dir, const char *name)
{
	int n;

	n = snprintf(out, outlen, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* The name of user uid, or its number. */
static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw;

	if ((pw = getpwuid(uid)) != NULL && pw->pw_name != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

/*
 * The one ownership rule of the state directory (and what it holds): it
 * belongs to the user running the checker, who alone writes there. 0, or
 * -1 with err: with again (the options to run again, as state_check has them)
 * the command to run as the owner instead; without, the chown that fixes it.
 */
static int
owner_ok(const char *dir, uid_t owner, const char *again, char *err,
    size_t errlen)
{
	uid_t me = geteuid();
	char name[64], self[64];

	if (owner == me)
		return 0;
	if (again == NULL)
		return sts_err(err, errlen, "state directory %s belongs to uid "
		    "%lu, not to the user running the checker (uid %lu); "
		    "refusing to use it: chown %lu %s", dir,
		    (unsigned long)owner, (unsigned long)me,
		    (unsigned long)me, dir);
	return sts_err(err, errlen, "%s belongs to user %s, not to %s who "
	    "runs mta-sts-check: run it as %s instead: sudo -u %s "
	    "mta-sts-check%s", dir, user_name(owner, name, sizeof(name)),
	    user_name(me, self, sizeof(self)), name, name, again);
}

/* ours, and nobody else may write into it (plant or swap state files) */
static int
state_dir_ok(const char *dir, const struct stat *sb, char *err, size_t errlen)
{
	if (!S_ISDIR(sb->st_mode))
		return sts_err(err, errlen, "%s: not a directory", dir);
	if (owner_ok(dir, sb->st_uid, NULL, err, errlen) == -1)
		return -1;
	if ((sb->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return sts_err(err, errlen, "state directory %s may be written "
		    "by group or others (mode %03o); refusing to use it: "
		    "chmod 700 %s", dir, (unsigned)(sb->st_mode & 0777), dir);
	return 0;
}

int
state_mkdir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t len;
	char *p = NULL;

	len = strlen(dir);
	if (len == 0 || len >= sizeof(path))
		return sts_err(err, errlen, "state directory name is empty or too long");
	if (stat(dir, &sb) == 0)
		return state_dir_ok(dir, &sb, err, errlen);
	if (errno != ENOENT)
		return sts_err(err, errlen, "%s: %s", dir, strerror(errno));
	memcpy(path, dir, len + 1);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			return sts_err(err, errlen, "mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return sts_err(err, errlen, "mkdir %s: %s", path, strerror(errno));
	return 0;
}

/* A name of ours that is not a domain: the lock, a temporary file. */
static int
ours_by_name(const char *name)
{
	const char *dot;

	/* the lock, --changes' memory, ingest's TLS-RPT reports */
	if (strcmp(name, "lock") == 0 || strcmp(name, "changes") == 0 ||
	    strcmp(name, "reports") == 0)
		return 1;
	/* ".<domain>.XXXXXX" from atomic_write */
	return name[0] == '.' && (dot = strrchr(name, '.')) != name &&
	    strlen(dot) == 7 && name_ok_prefix(name + 1, dot - name - 1);
}

/* A state file: named as a domain, and beginning as we write them. */
static int
ours_by_content(int dfd, const char *name)
{
	char buf[sizeof(STATE_MAGIC)];
	ssize_t n;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n == (ssize_t)sizeof(buf) &&
	    memcmp(buf, STATE_MAGIC "\n", sizeof(buf)) == 0;
}

int
state_check(const char *dir, const char *again,
    const struct sts_strlist *domains, char *err, size_t errlen)
{
	char *name;
	struct dirent *de;
	struct stat sb;
	DIR *dp = NULL;
	uid_t me = geteuid();
	char owner[64], self[64];
	int ret = -1;

	if ((dp = opendir(dir)) == NULL)
		return sts_err(err, errlen, "%s: %s", dir, strerror(errno));
	if (fstat(dirfd(dp), &sb) == -1) {
		sts_err(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	if (owner_ok(dir, sb.st_uid, again, err, errlen) == -1)
		goto out;
	while ((de = readdir(dp)) != NULL) {
		/* Hidden files are nobody's state (ours are temporaries). */
		if (de->d_name[0] == '.' && !ours_by_name(de->d_name))
			continue;
		/*
		 * A domain's file, even damaged (reported by the run, never
		 * replaced), or another file we write.
		 */
		name = de->d_name;
		/* (a configured domain's name first: no file to open) */
		if (!ours_by_name(name) && !(name_ok(name) &&
		    ((domains->n > 0 && bsearch(&name, domains->v, domains->n,
		    sizeof(char *), sts_strp_cmp) != NULL) ||
		    ours_by_content(dirfd(dp), name)))) {
			sts_err(err, errlen, "%s holds %s, which mta-sts-check "
			    "did not write: it is not its state directory "
			    "(another program's? postfix-mta-sts-resolver "
			    "keeps its cache.db in /var/lib/mta-sts); set "
			    "state = to a directory of its own, e.g. "
			    "/var/lib/mtasts", dir, de->d_name);
			goto out;
		}
		if (fstatat(dirfd(dp), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) ==
		    0 && sb.st_uid != me) {
			sts_err(err, errlen, "%s/%s belongs to user %s, not to "
			    "%s who runs mta-sts-check (left by a run as %s?): "
			    "chown %s %s/%s", dir, de->d_name,
			    user_name(sb.st_uid, owner, sizeof(owner)),
			    user_name(me, self, sizeof(self)), owner, self,
			    dir, de->d_name);
			goto out;
		}
	}
	ret = 0;
out:
	closedir(dp);
	return ret;
}

int
state_lock(const char *dir, int *fdp, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int fd;

	*fdp = -1;
	if (path_join(path, sizeof(path), dir, "lock") == -1)
		return sts_err(err, errlen, "%s: path too long", dir);
	if ((fd = file_open(NULL, path, O_RDWR | O_CREAT | O_NOFOLLOW, 0600,
	    NULL, err, errlen)) == -1)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		int saved = errno;

		close(fd);
		if (saved == EWOULDBLOCK)
			return sts_err(err, errlen,
			    "another mta-sts-check run holds %s", path);
		return sts_err(err, errlen, "%s: lock: %s", path, strerror(saved));
	}
	*fdp = fd;
	return 0;
}

void
state_unlock(int fd)
{
	if (fd >= 0) {
		(void)flock(fd, LOCK_UN);
		close(fd);
	}
}

void
state_digest(const char *text, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		/* cannot happen with a working libcrypto; never matches a file */
		memset(out, 'x', 64);
		out[64] = '\0';
		return;
	}
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}


static int
id_valid(const char *s, int empty_ok)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]))
			return 0;
	return n <= STS_ID_MAX && (n > 0 || empty_ok);
}

/* "YYYYMMDDhhmmss" to a time, -1 if it is not exactly that (timegm normalises) */
static int
id_to_time(const char *id, time_t *t)
{
	struct tm tm, back;
	int v[6], widths[6] = { 4, 2, 2, 2, 2, 2 };
	const char *p = id;
	int i, j;

	if (strlen(id) != 14)
		return -1;
	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (j = 0; j < widths[i]; j++, p++) {
			if (!isdigit((unsigned char)*p))
				return -1;
			v[i] = v[i] * 10 + (*p - '0');
		}
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*t = timegm(&tm);
	if (*t == (time_t)-1 || gmtime_r(t, &back) == NULL ||
	    back.tm_year != v[0] - 1900 || back.tm_mon != v[1] - 1 ||
	    back.tm_mday != v[2] || back.tm_hour != v[3] ||
	    back.tm_min != v[4] || back.tm_sec != v[5])
		return -1;
	return 0;
}

static void
time_to_id(time_t t, char out[STS_ID_MAX + 1])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, STS_ID_MAX + 1, "%Y%m%d%H%M%S", &tm) != 14)
		(void)snprintf(out, STS_ID_MAX + 1, "%lld", (long long)t);
}

void
state_new_id(const char *after, time_t now, char out[STS_ID_MAX + 1])
{
	time_t t;
	size_t i, n;

	time_to_id(now, out);
	if (after == NULL || strlen(after) != 14 ||
	    strspn(after, "0123456789") != 14 || strcmp(out, after) > 0)
		return;
	/* the clock is behind the last id: one second past it */
	if (id_to_time(after, &t) == 0 && t < (time_t)253402300799LL) {
		time_to_id(t + 1, out);
		return;
	}
	/* 14 digits that are not a date: the next number, which is larger */
	n = strlen(after);
	memcpy(out, after, n + 1);
	for (i = n; i > 0; i--) {
		if (out[i - 1] != '9') {
			out[i - 1]++;
			return;
		}
		out[i - 1] = '0';
	}
	/* 99999999999999: fifteen digits */
	memmove(out + 1, out, n + 1);
	out[0] = '1';
}

/* ---- reading ----------------------------------------------------------- */

static int
parse_time(const char *s, time_t *t)
{
	long long v = 0;

	if (*s == '\0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
		return -1;
	for (; *s != '\0'; s++)
		v = v * 10 + (*s - '0');
	*t = (time_t)v;
	return 0;
}

static int
damaged(const char *path, int lineno, const char *key, char *err, size_t errlen)
{
	return sts_err(err, errlen, "%s:%d: damaged state file (bad %s)", path,
	    lineno, key);
}

static int
parse_state(const char *path, const char *domain, char *buf, struct state *st,
    char *err, size_t errlen)
{
	enum { K_DOMAIN, K_DIGEST, K_ID, K_SINCE, K_PUB, K_PREV, K_PUBID, K_END, K_N };
	static const char *keys[K_N] = { "domain", "digest", "id", "since",
	    "published", "prev-id", "pub-id", "end" };
	int seen[K_N] = { 0 };
	char *line = NULL, *next = NULL, *val = NULL;
	int lineno = 0, k;
	size_t i;

	memset(st, 0, sizeof(*st));
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) == NULL)
			return sts_err(err, errlen, "%s:%d: damaged state file "
			    "(line without an end)", path, lineno);
		*next++ = '\0';
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				return sts_err(err, errlen, "%s:1: damaged state "
				    "file (not a mta-sts-check state file)", path);
			continue;
		}
		if (seen[K_END])
			return sts_err(err, errlen, "%s:%d: damaged state file "
			    "(text after the end)", path, lineno);
		val = strchr(line, ' ');
		if (val != NULL)
			*val++ = '\0';
		else
			val = line + strlen(line);
		for (k = 0; k < K_N; k++)
			if (strcmp(line, keys[k]) == 0)
				break;
		if (k == K_N)
			return sts_err(err, errlen, "%s:%d: damaged state file "
			    "(unknown key)", path, lineno);
		if (seen[k]++)
			return sts_err(err, errlen, "%s:%d: damaged state file "
			    "(%s given twice)", path, lineno, keys[k]);
		switch (k) {
		case K_DOMAIN:
			if (strcmp(val, domain) != 0)
				return damaged(path, lineno, keys[k], err,
				    errlen);
			break;
		case K_DIGEST:
			if (strlen(val) != 64 ||
			    strspn(val, "0123456789abcdef") != 64)
				return damaged(path, lineno, keys[k], err,
				    errlen);
			memcpy(st->digest, val, 65);
			break;
		case K_ID:
			if (!id_valid(val, 0))
				return damaged(path, lineno, keys[k], err,
				    errlen);
			memcpy(st->id, val, strlen(val) + 1);
			break;
		case K_SINCE:
			if (parse_time(val, &st->since) == -1)
				return damaged(path, lineno, keys[k], err,
				    errlen);
			break;
		case K_PUB:
			if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0)
				return damaged(path, lineno, keys[k], err,
				    errlen);
			st->published = val[0] == '1';
			break;
		case K_PREV:
			if (!id_valid(val, 1))
				return damaged(path, lineno, keys[k], err,
				    errlen);
			memcpy(st->prev_id, val, strlen(val) + 1);
			break;
		case K_PUBID:
			if (!id_valid(val, 1))
				return damaged(path, lineno, keys[k], err,
				    errlen);
			memcpy(st->pub_id, val, strlen(val) + 1);
			break;
		case K_END:
			if (*val != '\0')
				return damaged(path, lineno, keys[k], err,
				    errlen);
			break;
		}
	}
	if (lineno == 0)
		return sts_err(err, errlen, "%s: damaged state file (empty)", path);
	for (i = 0; i < K_N; i++)
		if (!seen[i])
			return sts_err(err, errlen, "%s: damaged state file "
			    "(no %s line%s)", path, keys[i],
			    i == K_END ? ": truncated" : "");
	return 0;
}

int
state_read(const char *dir, const char *domain, struct state *st, char *err,
    size_t errlen)
{
	char path[PATH_MAX], *buf = NULL;
	struct stat sb;
	size_t len = 0;
	int fd = -1, rc = -1;

	memset(st, 0, sizeof(*st));
	if (!name_ok(domain))
		return sts_err(err, errlen, "%s: not a domain name", domain);
	if (path_join(path, sizeof(path), dir, domain) == -1)
		return sts_err(err, errlen, "%s: path too long", dir);
	if ((fd = file_open(NULL, path, O_RDONLY | O_NOFOLLOW, 0, &sb, err,
	    errlen)) == -1)
		return errno == ENOENT ? 1 : -1;
	/* STATE_FILE_MAX bytes or more: damaged. */
	if (sts_read_fd(fd, STATE_FILE_MAX - 1, (size_t)sb.st_size, &buf,
	    &len) == -1) {
		if (errno == EFBIG)
			sts_err(err, errlen, "%s: damaged state file (too long)", path);
		else
			sts_err(err, errlen, "%s: %s", path, errno == ENOMEM ?
			    "out of memory" : strerror(errno));
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		sts_err(err, errlen, "%s: damaged state file (NUL byte)", path);
		goto out;
	}
	if (parse_state(path, domain, buf, st, err, errlen) == -1) {
		memset(st, 0, sizeof(*st));
		goto out;
	}
	rc = 0;
 out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

/* ---- writing ----------------------------------------------------------- */

/*
 * The temporary files (".<name>.XXXXXX") a run killed between creating
 * and renaming one left behind, every one of them, in one pass over the
 * directory when a run takes the lock (so none is being written). Not
 * once per state written: that read the whole directory for every
 * domain, and a first run over 100,000 domains spent its time there.
 * Best effort.
 */
void
state_sweep(const char *dir)
{
	struct dirent *de = NULL;
	const char *dot;
	DIR *dp = NULL;
	int dfd;

	if ((dp = opendir(dir)) == NULL)
		return;
	dfd = dirfd(dp);
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' &&
		    (dot = strrchr(de->d_name, '.')) != de->d_name &&
		    strlen(dot) == 7 &&
		    name_ok_prefix(de->d_name + 1, dot - de->d_name - 1) &&
		    strspn(dot + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789") == 6)
			(void)unlinkat(dfd, de->d_name, 0);
	}
	closedir(dp);
}

int
state_write(const char *dir, const char *domain, const struct state *st,
    char *err, size_t errlen)
{
	char path[PATH_MAX], tmpl[PATH_MAX], buf[STATE_FILE_MAX];
	int n;

	if (!name_ok(domain))
		return sts_err(err, errlen, "%s: not a domain name", domain);
	if (strlen(st->digest) != 64 || !id_valid(st->id, 0) ||
	    !id_valid(st->prev_id, 1) || !id_valid(st->pub_id, 1))
		return sts_err(err, errlen, "%s: refusing to write an invalid "
		    "state", domain);
	n = snprintf(tmpl, sizeof(tmpl), "%s/.%s.XXXXXX", dir, domain);
	if (path_join(path, sizeof(path), dir, domain) == -1 ||
	    n < 0 || (size_t)n >= sizeof(tmpl))
		return sts_err(err, errlen, "%s: path too long", dir);
	n = snprintf(buf, sizeof(buf), "%s\ndomain %s\ndigest %s\nid %s\n"
	    "since %lld\npublished %d\nprev-id %s\npub-id %s\nend\n",
	    STATE_MAGIC, domain, st->digest, st->id, (long long)st->since,
	    st->published ? 1 : 0, st->prev_id, st->pub_id);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return sts_err(err, errlen, "%s: state too long", domain);
	return atomic_write(path, tmpl, buf, (size_t)n, 0600, (uid_t)-1,
	    (gid_t)-1, err, errlen);
}
