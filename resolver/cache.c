/* SPDX-License-Identifier: ISC */
/*
 * cache.c: the domains mta-sts-resolve knows, in a hash table (open
 * addressing, linear probing, deletion by backward shift), and their
 * policies in a file that survives restarts: a header line, then one
 * record per line appended as policies are fetched or dropped, each
 * with a checksum. A torn or corrupt tail (a crash in mid-write) is cut
 * off at start-up (the file is read a chunk at a time, never whole); the
 * rest is kept. When the file has grown to twice
 * the live entries it is rewritten whole: a temporary file, fsync,
 * rename. Only the event loop's thread calls these.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "resolve.h"
#include "cachesum.h"

#define CACHE_MAGIC	"mta-sts-resolve cache 1\n"
#define LINE_MAX_REC	16384
#define LOAD_CHUNK	(1024 * 1024)	/* the file is read this much at a time */

struct cache {
	char		 *path;
	int		  fd;
	struct entry	**slot;
	size_t		  cap, n;
	size_t		  records;	/* lines in the file */
	size_t		  loaded;
	int		  dirty;
	int		  ro;		/* read only: nothing written, nothing cut */
};

static void
entry_free(struct entry *e)
{
	if (e == NULL)
		return;
	free(e->domain);
	free(e->patterns);
	free(e->match);
	free(e->why);
	free(e);
}

static size_t
find(const struct cache *c, const char *domain, uint32_t h)
{
	size_t i = h & (c->cap - 1);

	while (c->slot[i] != NULL && strcmp(c->slot[i]->domain, domain) != 0)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static int
grow(struct cache *c)
{
	struct entry **old = c->slot;
	size_t oldcap = c->cap, i, j;

	c->cap = oldcap ? oldcap * 2 : 1024;
	if ((c->slot = calloc(c->cap, sizeof(*c->slot))) == NULL) {
		c->slot = old;
		c->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL) {
			j = find(c, old[i]->domain, cache_sum(old[i]->domain,
			    strlen(old[i]->domain)));
			c->slot[j] = old[i];
		}
	free(old);
	return 0;
}

struct entry *
cache_get(struct cache *c, const char *domain)
{
	if (c->cap == 0)
		return NULL;
	return c->slot[find(c, domain, cache_sum(domain, strlen(domain)))];
}

struct entry *
cache_add(struct cache *c, const char *domain)
{
	struct entry *e;
	size_t i;

	if ((e = cache_get(c, domain)) != NULL)
		return e;
	if ((c->n + 1) * 2 > c->cap && grow(c) == -1)
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->domain = strdup(domain)) == NULL) {
		free(e);
		return NULL;
	}
	i = find(c, domain, cache_sum(domain, strlen(domain)));
	c->slot[i] = e;
	c->n++;
	return e;
}

/* remove slot i, shifting the run after it back (no tombstones) */
static void
remove_at(struct cache *c, size_t i)
{
	size_t j = i, k;

	entry_free(c->slot[i]);
	c->slot[i] = NULL;
	c->n--;
	for (;;) {
		j = (j + 1) & (c->cap - 1);
		if (c->slot[j] == NULL)
			return;
		k = cache_sum(c->slot[j]->domain, strlen(c->slot[j]->domain)) &
		    (c->cap - 1);
		/* may the entry at j move to the hole at i? */
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			c->slot[i] = c->slot[j];
			c->slot[j] = NULL;
			i = j;
		}
	}
}

static int
append(struct cache *c, const char *rec, size_t len)
{
	char line[LINE_MAX_REC];
	int n;
	ssize_t w;

	n = snprintf(line, sizeof(line), "%.*s\t%08" PRIx32 "\n", (int)len, rec,
	    cache_sum(rec, len));
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	if (c->fd == -1)
		return 0;
	if ((w = write(c->fd, line, (size_t)n)) != n) {
		if (w > 0 &&	/* a short write: cut it off again */
		    ftruncate(c->fd, lseek(c->fd, 0, SEEK_END) - w) == -1)
			logmsg("%s: %s", c->path, strerror(errno));
		return -1;
	}
	c->records++;
	c->dirty = 1;
	return 0;
}

static int
format_entry(const struct entry *e, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "P\t%s\t%s\t%u\t%lu\t%lld\t%s\t%s", e->domain,
	    e->id, e->mode, e->max_age, (long long)e->fetched,
	    e->patterns ? e->patterns : "", e->match ? e->match : "");
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int
cache_save(struct cache *c, const struct entry *e)
{
	char buf[LINE_MAX_REC];
	int n;

	if ((n = format_entry(e, buf, sizeof(buf) - 16)) == -1)
		return -1;
	return append(c, buf, (size_t)n);
}

void
cache_drop(struct cache *c, const char *domain)
{
	char buf[STS_HOST_MAX + 8];
	size_t i;
	int n;

	if (c->cap == 0)
		return;
	i = find(c, domain, cache_sum(domain, strlen(domain)));
	if (c->slot[i] == NULL)
		return;
	if (c->slot[i]->waiters != NULL || c->slot[i]->busy) {
		/* a job is out: forget the policy, keep the entry */
		struct entry *e = c->slot[i];

		e->expires = 0;
		e->checked = 0;
		free(e->patterns);
		e->patterns = NULL;
	} else
		remove_at(c, i);
	n = snprintf(buf, sizeof(buf), "D\t%s", domain);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)append(c, buf, (size_t)n);
}

/* one record "P\t..." or "D\t..." (checksum already checked) */
static int
load_record(struct cache *c, char *rec, time_t now)
{
	char *f[8], *p = rec, *end;
	struct entry *e;
	size_t nf = 0;
	long long fetched;
	unsigned long mode, max_age;

	while (nf < 8) {
		f[nf++] = p;
		if ((p = strchr(p, '\t')) == NULL)
			break;
		*p++ = '\0';
	}
	if (nf == 2 && strcmp(f[0], "D") == 0) {
		if (c->cap) {
			size_t i = find(c, f[1], cache_sum(f[1], strlen(f[1])));

			if (c->slot[i] != NULL)
				remove_at(c, i);
		}
		return 0;
	}
	if (nf != 8 || strcmp(f[0], "P") != 0 || !sts_host_valid(f[1], strlen(f[1])) ||
	    strlen(f[2]) > STS_ID_MAX)
		return -1;
	errno = 0;
	mode = strtoul(f[3], &end, 10);
	if (*end != '\0' || mode > STS_MODE_ENFORCE)
		return -1;
	max_age = strtoul(f[4], &end, 10);
	if (*end != '\0' || max_age > STS_MAX_AGE_MAX)
		return -1;
	fetched = strtoll(f[5], &end, 10);
	if (*end != '\0' || errno != 0)
		return -1;
	if ((time_t)fetched + (time_t)max_age <= now) {
		/* expired: gone */
		if (c->cap) {
			size_t i = find(c, f[1], cache_sum(f[1], strlen(f[1])));

			if (c->slot[i] != NULL)
				remove_at(c, i);
		}
		return 0;
	}
	if ((e = cache_add(c, f[1])) == NULL)
		return -2;
	free(e->patterns);
	free(e->match);
	e->patterns = strdup(f[6]);
	e->match = strdup(f[7]);
	if (e->patterns == NULL || e->match == NULL)
		return -2;
	memcpy(e->id, f[2], strlen(f[2]) + 1);
	e->mode = (unsigned char)mode;
	e->max_age = max_age;
	e->fetched = (time_t)fetched;
	e->expires = (time_t)fetched + (time_t)max_age;
	/* as if just confirmed when it was fetched; refreshed as it ages */
	e->checked = e->fetched;
	e->last = R_STS;
	return 0;
}

static int
hex32(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 8; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* one line [p, nl): its checksum, then the record; 0, -1 bad, -2 no memory */
static int
load_line(struct cache *c, char *p, char *nl, time_t now)
{
	char *tab;
	uint32_t sum;

	*nl = '\0';
	if ((size_t)(nl - p) < 9 || (tab = nl - 9)[0] != '\t' ||
	    hex32(tab + 1, &sum) == -1 || sum != cache_sum(p, (size_t)(tab - p)))
		return -1;
	*tab = '\0';
	return load_record(c, p, now);
}

/* fill buf[*have..LOAD_CHUNK) from the file at off + *have; 0 at its end */
static ssize_t
load_fill(struct cache *c, char *buf, size_t *have, off_t off)
{
	ssize_t r, got = 0;

	while (*have < LOAD_CHUNK) {
		r = pread(c->fd, buf + *have, LOAD_CHUNK - *have, off + (off_t)*have);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*have += (size_t)r;
		got += r;
	}
	return got;
}

/*
 * Read the file a chunk at a time (never all of it in memory), cut off a
 * bad tail; 0 or -1 with err
 */
static int
load(struct cache *c, time_t now, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL, *p, *nl;
	size_t have = 0, good, magic = strlen(CACHE_MAGIC), used;
	off_t off = 0, len;
	int rc = -1, bad = 0, eof = 0;

	if (fstat(c->fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)sts_err(err, errlen, "%s: not a regular file", c->path);
		return -1;
	}
	if (st.st_size == 0) {
		if (c->ro)
			return 0;
		if (write(c->fd, CACHE_MAGIC, magic) != (ssize_t)magic)
			return sts_err(err, errlen, "%s: %s", c->path, strerror(errno));
		return 0;
	}
	len = st.st_size;
	if ((buf = malloc(LOAD_CHUNK + 1)) == NULL)
		return sts_err(err, errlen, "%s: out of memory", c->path);
	(void)load_fill(c, buf, &have, 0);
	if (have < magic || memcmp(buf, CACHE_MAGIC, magic) != 0) {
		(void)sts_err(err, errlen, "%s: not a cache file of "
		    "mta-sts-resolve; move it away", c->path);
		goto out;
	}
	/* room for the records a file this size holds (about 128 bytes each) */
	while (c->cap < (size_t)(len / 64) && c->cap < ((size_t)1 << 26))
		if (grow(c) == -1)
			break;
	good = magic;
	p = buf + magic;
	for (;;) {
		while ((nl = memchr(p, '\n', have - (size_t)(p - buf))) != NULL) {
			switch (load_line(c, p, nl, now)) {
			case -2:
				(void)sts_err(err, errlen, "%s: out of memory", c->path);
				goto out;
			case -1:
				bad = 1;
				goto done;
			}
			p = nl + 1;
			good = (size_t)off + (size_t)(p - buf);
			c->records++;
		}
		if (eof)
			break;		/* what is left is torn */
		used = (size_t)(p - buf);
		if (used == 0 && have == LOAD_CHUNK) {
			bad = 1;	/* a line longer than any record */
			break;
		}
		memmove(buf, p, have - used);
		have -= used;
		off += (off_t)used;
		p = buf;
		if (load_fill(c, buf, &have, off) == 0)
			eof = 1;
	}
 done:
	if ((off_t)good < len) {
		logmsg("%s: %s record at byte %zu; the %lld bytes from there are "
		    "%s", c->path, bad ? "a corrupt" : "an incomplete", good,
		    (long long)(len - (off_t)good), c->ro ? "ignored" : "dropped");
		if (!c->ro && ftruncate(c->fd, (off_t)good) == -1) {
			(void)sts_err(err, errlen, "%s: %s", c->path, strerror(errno));
			goto out;
		}
	}
	c->loaded = c->n;
	rc = 0;
 out:
	free(buf);
	return rc;
}

static struct cache *
open_as(const char *path, int ro, time_t now, char *err, size_t errlen)
{
	struct cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->ro = ro;
	if (grow(c) == -1)
		goto nomem;
	if (path == NULL)	/* in memory only */
		return c;
	if ((c->path = strdup(path)) == NULL)
		goto nomem;
	if ((c->fd = ro ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) :
	    open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		(void)sts_err(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (load(c, now, err, errlen) == -1)
		goto fail;
	return c;
 nomem:
	(void)sts_err(err, errlen, "out of memory");
 fail:
	cache_close(c);
	return NULL;
}

struct cache *
cache_open(const char *path, time_t now, char *err, size_t errlen)
{
	return open_as(path, 0, now, err, errlen);
}

struct cache *
cache_open_ro(const char *path, time_t now, char *err, size_t errlen)
{
	return open_as(path, 1, now, err, errlen);
}

void
cache_close(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	if (c->fd != -1) {
		if (!c->ro)
			(void)fdatasync(c->fd);
		close(c->fd);
	}
	for (i = 0; i < c->cap; i++)
		entry_free(c->slot[i]);
	free(c->slot);
	free(c->path);
	free(c);
}

size_t
cache_count(const struct cache *c)
{
	return c->n;
}

size_t
cache_loaded(const struct cache *c)
{
	return c->loaded;
}

int
cache_fd(const struct cache *c)
{
	return c->fd;
}

struct entry *
cache_next(struct cache *c, size_t *cursor)
{
	while (*cursor < c->cap) {
		struct entry *e = c->slot[(*cursor)++];

		if (e != NULL)
			return e;
	}
	*cursor = 0;
	return NULL;
}

int
cache_sync(struct cache *c)
{
	if (c->fd == -1 || !c->dirty)
		return 0;
	c->dirty = 0;
	return fdatasync(c->fd);
}

int
cache_compact(struct cache *c, int force, char *err, size_t errlen)
{
	char tmp[PATH_MAX], buf[LINE_MAX_REC], *dir = NULL, *slash;
	size_t i, live = 0;
	FILE *f = NULL;
	int fd = -1, n, dfd;
	time_t now = time(NULL);

	if (c->path == NULL)
		return 0;
	for (i = 0; i < c->cap; i++)
		if (c->slot[i] != NULL && c->slot[i]->expires > now)
			live++;
	if (!force && c->records < 2 * live + 1024)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", c->path) >= sizeof(tmp))
		return sts_err(err, errlen, "%s: path too long", c->path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		(void)sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fputs(CACHE_MAGIC, f);
	for (i = 0; i < c->cap; i++) {
		if (c->slot[i] == NULL || c->slot[i]->expires <= now ||
		    c->slot[i]->patterns == NULL)
			continue;
		if ((n = format_entry(c->slot[i], buf, sizeof(buf))) == -1)
			continue;
		fprintf(f, "%s\t%08" PRIx32 "\n", buf, cache_sum(buf, (size_t)n));
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1) {
		(void)sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return -1;
	}
	fd = dup(fileno(f));
	fclose(f);
	if (rename(tmp, c->path) == -1) {
		(void)sts_err(err, errlen, "%s: %s", c->path, strerror(errno));
		unlink(tmp);
		close(fd);
		return -1;
	}
	if ((dir = strdup(c->path)) != NULL) {
		if ((slash = strrchr(dir, '/')) != NULL) {
			*(slash == dir ? slash + 1 : slash) = '\0';
			if ((dfd = open(dir, O_RDONLY | O_DIRECTORY)) != -1) {
				(void)fsync(dfd);
				close(dfd);
			}
		}
		free(dir);
	}
	close(c->fd);
	/* the new file, for appending */
	(void)fcntl(fd, F_SETFL, O_APPEND | O_WRONLY);
	c->fd = fd;
	c->records = live;
	return 0;
}
