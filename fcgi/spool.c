/* SPDX-License-Identifier: ISC */
/*
 * The TLS-RPT spool: RFC 8460 §5.2 reports POSTed to /tlsrpt are written,
 * unparsed, into the directory named by `reports`, where
 * `mta-sts-check ingest --spool DIR` picks them up. The responder parses
 * nothing of them (it is sandboxed); it only bounds them.
 *
 * A body goes into ".tmp-NAME" (a name ingest skips), created with
 * O_EXCL in the directory opened at start-up (the sandbox allows creating
 * files through that descriptor only), is written as it comes, synced,
 * and renamed to NAME: ingest sees a whole report or none. NAME is
 * "tlsrpt-SECONDS-PID-SEQUENCE-RANDOM.json" (or .json.gz), unique
 * across processes and threads. A body that does not arrive whole (too
 * slow, cut short, longer than it said) or cannot be written leaves no
 * file. Files are created 0640 (less the umask).
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

#define SPOOL_CHUNK	(16 * 1024)

static pthread_mutex_t	 spool_mtx = PTHREAD_MUTEX_INITIALIZER;
static unsigned long	 spool_seq;
static char		*spool_lasterr;	/* the last failure logged */

int
spool_open(const char *dir)
{
	int	 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		logmsg("reports %s: cannot open the spool directory: %s; "
		    "TLS-RPT reports POSTed to /tlsrpt are refused (503)",
		    dir, strerror(errno));
	return fd;
}

/* A failure to write into the spool, logged once until it changes. */
static void
spool_fail(const char *dir, const char *what, int e)
{
	char	 msg[STS_ERR_MAX];

	snprintf(msg, sizeof(msg), "reports %s: cannot %s a report: %s; "
	    "POSTs to /tlsrpt are answered 503 until it can", dir, what,
	    strerror(e));
	pthread_mutex_lock(&spool_mtx);
	log_once(&spool_lasterr, msg);
	pthread_mutex_unlock(&spool_mtx);
}

/* A report was written: the next failure is logged again. */
static void
spool_good(void)
{
	pthread_mutex_lock(&spool_mtx);
	free(spool_lasterr);
	spool_lasterr = NULL;
	pthread_mutex_unlock(&spool_mtx);
}

/*
 * Create a fresh ".tmp-NAME" in the spool (NAME unique: time, pid, a
 * sequence and random bytes); the descriptor, or -1 with *res set.
 */
static int
spool_create(int dfd, const char *dir, const char *ext, char *name,
    size_t namesz, char *tmp, size_t tmpsz, enum spool_result *res)
{
	unsigned char		 rnd[4] = { 0, 0, 0, 0 };
	unsigned long		 seq;
	int			 fd = -1, i;

	*res = SPOOL_SERVER;
	for (i = 0; fd == -1 && i < 10; i++) {
		pthread_mutex_lock(&spool_mtx);
		seq = ++spool_seq;
		pthread_mutex_unlock(&spool_mtx);
		if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) == -1)
			memset(rnd, 0, sizeof(rnd));
		if (snprintf(name, namesz, "tlsrpt-%lld-%ld-%lu-%02x%02x"
		    "%02x%02x%s", (long long)time(NULL), (long)getpid(), seq,
		    rnd[0], rnd[1], rnd[2], rnd[3], ext) >= (int)namesz ||
		    snprintf(tmp, tmpsz, ".tmp-%s", name) >= (int)tmpsz)
			return -1;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0640);
		if (fd == -1 && errno != EEXIST) {
			spool_fail(dir, "create", errno);
			*res = SPOOL_UNAVAILABLE;
			return -1;
		}
	}
	return fd;
}

/*
 * Copy the body into fd as it comes, never past what it said nor
 * SPOOL_MAX nor SPOOL_BODY_SECONDS; SPOOL_STORED when all clen are in.
 */
static enum spool_result
spool_copy(int fd, const char *dir, size_t clen, body_fn *rd, void *arg,
    char *buf)
{
	struct timespec		 t0, now;
	size_t			 got = 0, want;
	ssize_t			 n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (got < clen) {
		want = clen - got < SPOOL_CHUNK ? clen - got : SPOOL_CHUNK;
		if ((n = rd(arg, buf, want)) == -1)
			return errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ETIMEDOUT ? SPOOL_SLOW : SPOOL_SHORT;
		if (n == 0)
			return SPOOL_SHORT;
		got += (size_t)n;
		if (got > clen || got > SPOOL_MAX)
			return SPOOL_TOO_BIG;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= SPOOL_BODY_SECONDS)
			return SPOOL_SLOW;
		if (sts_write_all(fd, buf, (size_t)n) == -1) {
			spool_fail(dir, "write", errno);
			return SPOOL_UNAVAILABLE;
		}
	}
	return SPOOL_STORED;
}

enum spool_result
spool_put(int dfd, const char *dir, const char *ext, size_t clen,
    body_fn *rd, void *arg)
{
	enum spool_result	 res = SPOOL_SERVER;
	char			 name[128], tmp[140], *buf = NULL;
	int			 fd = -1;

	if (dfd == -1) {
		spool_fail(dir, "open the spool directory for", EBADF);
		return SPOOL_UNAVAILABLE;
	}
	if (clen > SPOOL_MAX)
		return SPOOL_TOO_BIG;
	if ((buf = malloc(SPOOL_CHUNK)) == NULL) {
		logmsg("out of memory");
		return SPOOL_SERVER;
	}
	fd = spool_create(dfd, dir, ext, name, sizeof(name), tmp, sizeof(tmp),
	    &res);
	if (fd == -1)
		goto out;
	if ((res = spool_copy(fd, dir, clen, rd, arg, buf)) != SPOOL_STORED)
		goto fail;
	res = SPOOL_UNAVAILABLE;
	if (fsync(fd) == -1) {
		spool_fail(dir, "sync", errno);
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		spool_fail(dir, "write", errno);
		goto fail;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) == -1) {
		spool_fail(dir, "rename", errno);
		goto fail;
	}
	spool_good();
	res = SPOOL_STORED;
	goto out;
fail:
	if (fd != -1)
		(void)close(fd);
	fd = -1;
	(void)unlinkat(dfd, tmp, 0);
out:
	if (fd != -1)
		(void)close(fd);
	free(buf);
	return res;
}
