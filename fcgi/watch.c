/* SPDX-License-Identifier: ISC */
/*
 * Telling what changed without reading it: a file's stamp (inode, size,
 * mtime, ctime), and an inotify watch on the domain directory that names
 * the files events were about, so that a poll stats only those. An
 * overflow of the event queue, more than TOUCHED_MAX names, or a watch
 * that was lost (the directory moved or removed) set all: the next poll
 * looks at every file; a lost watch is set again when the directory can
 * be watched, polling meanwhile.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"

#define RECENT_SECS	2	/* a file changed this recently is read again */
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
			IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
			IN_MOVE_SELF | IN_ONLYDIR)

void
stamp_set(struct stamp *st, const struct stat *sb)
{
	st->valid = 1;
	st->dev = sb->st_dev;
	st->ino = sb->st_ino;
	st->size = sb->st_size;
	st->mtim = sb->st_mtim;
	st->ctim = sb->st_ctim;
}

int
stamp_same(const struct stamp *st, const struct stat *sb)
{
	return st->valid && st->dev == sb->st_dev && st->ino == sb->st_ino &&
	    st->size == sb->st_size &&
	    st->mtim.tv_sec == sb->st_mtim.tv_sec &&
	    st->mtim.tv_nsec == sb->st_mtim.tv_nsec &&
	    st->ctim.tv_sec == sb->st_ctim.tv_sec &&
	    st->ctim.tv_nsec == sb->st_ctim.tv_nsec;
}

/*
 * A change within the same timestamp tick as our read would go unseen;
 * what changed this recently is not trusted and is looked at again.
 */
int
stamp_recent(const struct stat *sb, time_t now)
{
	time_t	 m = sb->st_mtim.tv_sec > sb->st_ctim.tv_sec ?
		    sb->st_mtim.tv_sec : sb->st_ctim.tv_sec;

	return m > now - RECENT_SECS && m < now + RECENT_SECS;
}

void
stamp_take(struct stamp *st, const struct stat *sb, time_t now)
{
	stamp_set(st, sb);
	if (stamp_recent(sb, now))
		st->valid = 0;
}

int
watch_open(struct watch *w, int on)
{
	memset(w, 0, sizeof(*w));
	w->iwd = -1;
	w->ifd = on ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	return w->ifd;
}

static void
watch_drop(struct watch *w)
{
	if (w->iwd != -1)
		(void)inotify_rm_watch(w->ifd, w->iwd);
	w->iwd = -1;
	free(w->path);
	w->path = NULL;
	w->all = 1;
}

void
watch_read(struct watch *w)
{
	union {
		struct inotify_event	 ev;
		char			 b[8192];
	}				 u;
	const struct inotify_event	*ev;
	ssize_t				 n;
	size_t				 off;

	if (w->ifd == -1)
		return;
	for (;;) {
		if ((n = read(w->ifd, u.b, sizeof(u.b))) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(u.b + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				w->all = 1;
				continue;
			}
			if (ev->wd != w->iwd || w->iwd == -1)
				continue;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				watch_drop(w);
				continue;
			}
			if (w->all || ev->len == 0 || ev->name[0] == '\0')
				continue;
			if (w->touched.n >= TOUCHED_MAX ||
			    sts_strlist_add(&w->touched, ev->name) == -1)
				w->all = 1;
		}
	}
}

void
watch_update(struct watch *w, const char *dir)
{
	int	 wd;

	if (w->ifd == -1 || (w->iwd != -1 && strcmp(w->path, dir) == 0))
		return;
	watch_drop(w);
	if ((wd = inotify_add_watch(w->ifd, dir, WATCH_MASK)) == -1)
		return;		/* polling until it can be watched */
	if ((w->path = strdup(dir)) == NULL) {
		(void)inotify_rm_watch(w->ifd, wd);
		return;
	}
	w->iwd = wd;
	w->all = 1;	/* what changed while not watched */
}

void
watch_reset(struct watch *w)
{
	sts_strlist_free(&w->touched);
	w->all = 0;
}

void
watch_close(struct watch *w)
{
	if (w->ifd != -1)
		close(w->ifd);
	free(w->path);
	sts_strlist_free(&w->touched);
	memset(w, 0, sizeof(*w));
	w->ifd = w->iwd = -1;
}
