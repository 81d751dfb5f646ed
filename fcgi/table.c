/*
 * The domain table of mta-sts-fcgi.
 *
 * Every policy is rendered when its file is read, as a complete CGI
 * response (headers and body); identical responses are stored once, so a
 * hundred thousand domains that share a certificate store share one
 * buffer. Requests look the domain up in an immutable open-addressing
 * table (FNV-1a, at most half full) under a read lock and copy the bytes
 * out; the reload poll, run by the main thread only, builds a new table
 * and swaps it in under the write lock, then frees what the old one used.
 *
 * A poll stats the configuration file, the domain directory and every
 * domain file (inode, size, mtime, ctime) and asks the certificate store
 * whether anything changed; only what changed is read again. With inotify
 * on the domain directory (see WATCH_ALL), a poll stats only the files
 * events named. A file that
 * becomes invalid keeps its last good policy; its error is logged once.
 * A directory that cannot be read leaves the table as it is.
 */
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mtasts.h"
#include "responder.h"

#define RECENT_SECS	2	/* a file changed this recently is read again */
/*
 * When the directory itself has not changed (nothing added, removed or
 * renamed), a poll stats at most this many files, taking turns, so that
 * 100,000 domains do not cost 100,000 stat calls every -r seconds. An
 * edit made in place is then seen within files / STAT_BUDGET polls.
 */
#define STAT_BUDGET	25000

/*
 * With inotify watching the domain directory (table_watch), a poll whose
 * directory did not change stats only the files named in events, and
 * files sharing their inode (symbolic links to them); every SWEEP_SECS all
 * files are stat'ed, for what no event tells (the target of a link out of
 * the directory). A directory of at most WATCH_ALL files is stat'ed whole
 * at every poll, as without inotify. More than TOUCHED_MAX names in one
 * poll, an overflow of the event queue, or a watch that was lost (the
 * directory moved or removed) make that poll a full one; a lost watch is
 * set again when the directory can be watched, polling meanwhile.
 */
#define SWEEP_SECS	60
#define WATCH_ALL	1000
#define TOUCHED_MAX	256
#define WATCH_MASK	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
			IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | \
			IN_MOVE_SELF | IN_ONLYDIR)

struct stamp {
	int		 valid;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
	struct timespec	 ctim;
};

struct resp {
	struct resp	*next;		/* intern chain */
	uint64_t	 hash;		/* of the body */
	size_t		 refs;		/* domain files using it */
	size_t		 len;
	size_t		 headlen;
	char		 buf[];
};

/* A certs spec some domain takes its mx from, and the names it last gave. */
struct spec {
	struct spec		*next;
	char			*spec;
	struct sts_strlist	 names;
	int			 changed;
};

struct dfile {
	char		*fname;
	char		*name;		/* A-label; may be fname itself; NULL: never loaded */
	struct resp	*resp;		/* last good response, or NULL */
	struct spec	*spec;		/* where its mx came from; NULL: explicit mx */
	char		*lasterr;	/* last error logged for it */
	struct stamp	 st;		/* of the last read */
	int		 failed;	/* the last read failed */
};

struct slot {
	uint64_t		 hash;
	const char		*name;
	const struct resp	*r;
};

struct table {
	size_t		 mask;
	size_t		 n;
	struct slot	 slot[];
};

struct ptrvec {
	void	**v;
	size_t	  n;
	size_t	  cap;
};

static pthread_rwlock_t	 tlock = PTHREAD_RWLOCK_INITIALIZER;
static struct table	*cur;			/* under tlock */

/* Everything below belongs to the main thread. */
static char			*confpath;
static struct sts_conf		 conf;
static struct stamp		 confst;
static uint64_t			 confhash;	/* of the text last read */
static struct stamp		 dirst;
static char			*conferr;	/* last logged */
static char			*direrr;
static struct sts_certstore	*store;
static struct dfile		**files;
static size_t			 nfiles;
static struct spec		*specs;
static struct resp		**itab;		/* interned responses */
static size_t			 imask;
static size_t			 icount;
static struct sts_strlist	 warned;	/* last poll's warnings */
static size_t			 cursor;	/* where the last partial sweep ended */
static int			 ifd = -1;	/* inotify, or -1: polling only */
static int			 iwd = -1;	/* the domain directory's watch */
static char			*iwpath;	/* the path it was set on */
static struct sts_strlist	 touched;	/* names in events since the last poll */
static int			 iall;		/* stat all files at the next poll */
static time_t			 lastsweep;	/* when all files were last stat'ed */
static size_t			 pending;	/* files whose stamp is not trusted */

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
ptrvec_add(struct ptrvec *pv, void *p)
{
	void	**nv;
	size_t	  ncap;

	if (pv->n == pv->cap) {
		ncap = pv->cap ? pv->cap * 2 : 64;
		if ((nv = reallocarray(pv->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		pv->v = nv;
		pv->cap = ncap;
	}
	pv->v[pv->n++] = p;
	return 0;
}

static void
log_warning(void *arg, const char *msg)
{
	(void)arg;
	logmsg("%s", msg);
}

/* Collects warnings of a poll; logged only if the last poll did not have them. */
static void
collect_warning(void *arg, const char *msg)
{
	if (sts_strlist_add(arg, msg) == -1)
		logmsg("%s", msg);
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Log each warning the last poll did not have; remember this poll's. */
static void
warnings_flush(struct sts_strlist *now)
{
	size_t	 i;

	sts_strlist_sort_uniq(now);
	for (i = 0; i < now->n; i++)
		if (warned.n == 0 || bsearch(&now->v[i], warned.v, warned.n,
		    sizeof(*warned.v), strp_cmp) == NULL)
			logmsg("%s", now->v[i]);
	sts_strlist_free(&warned);
	warned = *now;
	memset(now, 0, sizeof(*now));
}

/* Log msg unless it is what *last already says. */
static void
log_once(char **last, const char *msg)
{
	if (*last != NULL && strcmp(*last, msg) == 0)
		return;
	logmsg("%s", msg);
	free(*last);
	*last = strdup(msg);
}

/* ---- responses ---------------------------------------------------------- */

#define HEAD_FMT	"Status: 200 OK\r\n" \
			"Content-Type: text/plain; charset=utf-8\r\n" \
			"Content-Length: %zu\r\n" \
			"Cache-Control: no-store\r\n" \
			"\r\n"

int
resp_head(char *head, size_t headsz, size_t textlen)
{
	int	 n;

	n = snprintf(head, headsz, HEAD_FMT, textlen);
	if (n < 0 || (size_t)n >= headsz)
		return -1;
	return n;
}

static int
iresize(void)
{
	struct resp	**nt = NULL, *r, *next;
	size_t		  ncap, i, b;

	ncap = itab ? (imask + 1) * 2 : 64;
	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; itab && i <= imask; i++)
		for (r = itab[i]; r; r = next) {
			next = r->next;
			b = r->hash & (ncap - 1);
			r->next = nt[b];
			nt[b] = r;
		}
	free(itab);
	itab = nt;
	imask = ncap - 1;
	return 0;
}

/* The shared response for a policy text, one more reference to it. */
static struct resp *
resp_intern(const char *text, size_t textlen)
{
	struct resp	*r = NULL;
	char		 head[256];
	uint64_t	 h;
	int		 hl;
	size_t		 b;

	h = fnv1a(text, textlen);
	if (itab != NULL)
		for (r = itab[h & imask]; r; r = r->next)
			if (r->hash == h && r->len - r->headlen == textlen &&
			    memcmp(r->buf + r->headlen, text, textlen) == 0) {
				r->refs++;
				return r;
			}
	if ((itab == NULL || icount >= imask + 1) && iresize() == -1)
		return NULL;
	if ((hl = resp_head(head, sizeof(head), textlen)) == -1)
		return NULL;
	if ((r = malloc(sizeof(*r) + hl + textlen)) == NULL)
		return NULL;
	r->hash = h;
	r->refs = 1;
	r->headlen = hl;
	r->len = hl + textlen;
	memcpy(r->buf, head, hl);
	memcpy(r->buf + hl, text, textlen);
	b = h & imask;
	r->next = itab[b];
	itab[b] = r;
	icount++;
	return r;
}

/* Drop a reference; the last one takes it out, to be freed after the swap. */
static void
resp_unref(struct resp *r, struct ptrvec *garbage)
{
	struct resp	**pp;

	if (r == NULL || --r->refs > 0)
		return;
	for (pp = &itab[r->hash & imask]; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	icount--;
	if (ptrvec_add(garbage, r) == -1)
		logmsg("out of memory: leaking %zu bytes", r->len);
}

static int
copy_out(struct resp_copy *out, const char *buf, size_t len, size_t headlen)
{
	char	*nb;

	if (out->cap < len) {
		if ((nb = realloc(out->buf, len)) == NULL)
			return -1;
		out->buf = nb;
		out->cap = len;
	}
	memcpy(out->buf, buf, len);
	out->len = len;
	out->headlen = headlen;
	return 0;
}

/* ---- the lookup table ------------------------------------------------- */

static struct table *
table_build(struct dfile **fv, size_t n, struct sts_strlist *warnings)
{
	struct table	*t = NULL;
	size_t		 cap = 16, i, j, used = 0;
	uint64_t	 h;
	char		 msg[STS_ERR_MAX];

	while (cap < 2 * n)
		cap *= 2;
	if ((t = calloc(1, sizeof(*t) + cap * sizeof(t->slot[0]))) == NULL)
		return NULL;
	t->mask = cap - 1;
	for (i = 0; i < n; i++) {
		if (fv[i]->resp == NULL)
			continue;
		h = fnv1a(fv[i]->name, strlen(fv[i]->name));
		for (j = h & t->mask; t->slot[j].name != NULL;
		    j = (j + 1) & t->mask)
			if (t->slot[j].hash == h &&
			    strcmp(t->slot[j].name, fv[i]->name) == 0)
				break;
		if (t->slot[j].name != NULL) {
			snprintf(msg, sizeof(msg), "%s/%s: domain %s is "
			    "already served from another file; ignored",
			    conf.domains, fv[i]->fname, fv[i]->name);
			collect_warning(warnings, msg);
			continue;
		}
		t->slot[j].hash = h;
		t->slot[j].name = fv[i]->name;
		t->slot[j].r = fv[i]->resp;
		used++;
	}
	t->n = used;
	return t;
}

int
table_lookup(const char *domain, struct resp_copy *out)
{
	const struct table	*t;
	const struct resp	*r = NULL;
	uint64_t		 h;
	size_t			 j;
	int			 ret = 0;

	h = fnv1a(domain, strlen(domain));
	pthread_rwlock_rdlock(&tlock);
	if ((t = cur) != NULL)
		for (j = h & t->mask; t->slot[j].name != NULL;
		    j = (j + 1) & t->mask)
			if (t->slot[j].hash == h &&
			    strcmp(t->slot[j].name, domain) == 0) {
				r = t->slot[j].r;
				break;
			}
	if (r != NULL)
		ret = copy_out(out, r->buf, r->len, r->headlen) == -1 ? -1 : 1;
	pthread_rwlock_unlock(&tlock);
	return ret;
}

size_t
table_count(void)
{
	size_t	 n = 0;

	pthread_rwlock_rdlock(&tlock);
	if (cur != NULL)
		n = cur->n;
	pthread_rwlock_unlock(&tlock);
	return n;
}

/* ---- reading ------------------------------------------------------------ */

static void
stamp_set(struct stamp *st, const struct stat *sb)
{
	st->valid = 1;
	st->dev = sb->st_dev;
	st->ino = sb->st_ino;
	st->size = sb->st_size;
	st->mtim = sb->st_mtim;
	st->ctim = sb->st_ctim;
}

static int
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
static int
stamp_recent(const struct stat *sb, time_t now)
{
	time_t	 m = sb->st_mtim.tv_sec > sb->st_ctim.tv_sec ?
		    sb->st_mtim.tv_sec : sb->st_ctim.tv_sec;

	return m > now - RECENT_SECS && m < now + RECENT_SECS;
}

static struct spec *
spec_get(const char *s)
{
	const struct sts_strlist	*names = NULL;
	struct spec			*sp;
	char				 err[STS_ERR_MAX];

	for (sp = specs; sp; sp = sp->next)
		if (strcmp(sp->spec, s) == 0)
			return sp;
	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->spec = strdup(s)) == NULL) {
		free(sp);
		return NULL;
	}
	if (sts_certstore_get(store, s, &names, err, sizeof(err)) == 0)
		(void)sts_strlist_copy(&sp->names, names);
	sp->next = specs;
	specs = sp;
	return sp;
}

/* After the store changed: which specs give other names now. */
static int
specs_check(void)
{
	const struct sts_strlist	*names = NULL;
	struct sts_strlist		 none = { NULL, 0, 0 };
	struct spec			*sp;
	char				 err[STS_ERR_MAX];
	int				 n = 0;

	for (sp = specs; sp; sp = sp->next) {
		if (sts_certstore_get(store, sp->spec, &names, err,
		    sizeof(err)) == -1)
			names = &none;
		if (sts_strlist_equal(names, &sp->names))
			continue;
		sp->changed = 1;
		n++;
		sts_strlist_free(&sp->names);
		(void)sts_strlist_copy(&sp->names, names);
	}
	return n;
}

static void
specs_free(void)
{
	struct spec	*sp, *next;

	for (sp = specs; sp; sp = next) {
		next = sp->next;
		free(sp->spec);
		sts_strlist_free(&sp->names);
		free(sp);
	}
	specs = NULL;
}

static void
dfile_free(struct dfile *d)
{
	if (d == NULL)
		return;
	if (d->name != d->fname)
		free(d->name);
	free(d->fname);
	free(d->lasterr);
	free(d);
}

/*
 * Reading domain files. A poll that has many to read (start-up, SIGHUP, a
 * new global file) reads them in batches with a few helper threads, each
 * with a certificate store of its own: sts_domain_load is thread-safe
 * apart from the store. Everything else (the response table, the specs,
 * logging once) is done by the main thread, batch by batch.
 */
#define BATCH		1024
#define FILE_MAX	(64 * 1024)	/* a domain file: sts_settings_parse */
#define HELPERS_MAX	7
#define PARALLEL_MIN	256	/* fewer files than this: no helpers */

/*
 * A policy rendered from a certs spec, kept for the files_read call: the
 * 90,000 domains that take their mx from one store render it once, and
 * intern it once.
 */
struct memo {
	struct memo	*next;
	char		*certs;
	enum sts_mode	 mode;
	unsigned long	 max_age;
	char		*text;
	size_t		 textlen;
	struct resp	*r;		/* interned (main thread), if refs > 0 */
};

struct job {
	struct dfile		*d;
	int			 stat;	/* new: stamp it here, in parallel */
	struct sts_certstore	*cs;	/* the store it was rendered from */
	struct sts_domain	 dom;
	struct memo		*me;	/* the text is me's, not dom's */
	const char		*text;
	size_t			 textlen;
	int			 ok;
	char			 err[STS_ERR_MAX];
};

struct loader {
	struct job		*jobs;
	size_t			 n;
	size_t			 next;		/* atomically taken */
	int			 dfd;		/* the domain directory */
	time_t			 now;
	struct memo		*seed;		/* from the main store; read-only */
};

struct helper {
	struct loader		*q;
	struct sts_certstore	*cs;
	struct memo		*memo;
};

static void
memo_free(struct memo *m)
{
	struct memo	*next;

	for (; m != NULL; m = next) {
		next = m->next;
		free(m->certs);
		free(m->text);
		free(m);
	}
}

static struct memo *
memo_find(struct memo *m, const struct sts_settings *set)
{
	for (; m != NULL; m = m->next)
		if (m->mode == set->mode && m->max_age == set->max_age &&
		    strcmp(m->certs, set->certs) == 0)
			return m;
	return NULL;
}

/*
 * The global settings' policy from the main store, before any file is
 * read: helpers then need no store of their own for most domains (each
 * would parse every certificate again). NULL when there is none.
 */
static struct memo *
memo_seed(void)
{
	const struct sts_strlist	*names = NULL;
	struct sts_policy		 pol;
	struct memo			*me = NULL;
	char				 e[STS_ERR_MAX];

	memset(&pol, 0, sizeof(pol));
	pol.mode = conf.dflt.mode;
	pol.max_age = conf.dflt.max_age;
	if (conf.dflt.mx_set || conf.dflt.mode == STS_MODE_NONE ||
	    conf.dflt.certs == NULL || store == NULL ||
	    sts_certstore_get(store, conf.dflt.certs, &names, e,
	    sizeof(e)) == -1 || names->n == 0 ||
	    sts_strlist_copy(&pol.mx, names) == -1 ||
	    (me = calloc(1, sizeof(*me))) == NULL)
		goto out;
	if ((me->certs = strdup(conf.dflt.certs)) == NULL ||
	    sts_policy_render(&pol, &me->text, &me->textlen, e,
	    sizeof(e)) == -1) {
		memo_free(me);
		me = NULL;
		goto out;
	}
	me->mode = conf.dflt.mode;
	me->max_age = conf.dflt.max_age;
out:
	sts_policy_free(&pol);
	return me;
}

/*
 * What sts_domain_load does, with the text of a certs spec rendered once
 * per memo. Only for what succeeds: 0 means "do it the slow way", which
 * also gives the canonical error.
 */
/*
 * The file, relative to the directory (no path walk), stamped when new;
 * -1 for anything unusual, left to sts_domain_load.
 */
static ssize_t
job_read(struct loader *l, struct job *j, char *buf, size_t bufsz)
{
	struct stat	 sb;
	size_t		 n = 0;
	ssize_t		 r, ret = -1;
	int		 fd = -1;

	if (l->dfd == -1 || (fd = openat(l->dfd, j->d->fname,
	    O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 || fstat(fd, &sb) == -1 ||
	    !S_ISREG(sb.st_mode))
		goto out;
	if (j->stat) {
		/* Before the read: a change while we read is seen next time. */
		stamp_set(&j->d->st, &sb);
		if (stamp_recent(&sb, l->now))
			j->d->st.valid = 0;
		j->stat = 0;
	}
	while (n < bufsz) {
		if ((r = read(fd, buf + n, bufsz - n)) == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto out;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == (size_t)sb.st_size)
			break;
	}
	if (n < bufsz)
		ret = (ssize_t)n;
out:
	if (fd != -1)
		close(fd);
	return ret;
}

static int
job_fast(struct loader *l, struct job *j, struct sts_certstore *cs,
    struct memo **memo, struct memo *seed)
{
	const struct sts_strlist	*names = NULL;
	struct sts_domain		 dom;
	struct memo			*me = NULL;
	char				 name[STS_HOST_MAX + 1], path[4096];
	char				 e[STS_ERR_MAX], buf[FILE_MAX + 1];
	size_t				 dl, fl;
	ssize_t				 len;
	int				 ret = 0;

	memset(&dom, 0, sizeof(dom));
	/* For messages and relative paths; snprintf was 10% of start-up. */
	dl = strlen(conf.domains);
	fl = strlen(j->d->fname);
	if (dl + 1 + fl >= sizeof(path))
		goto out;
	memcpy(path, conf.domains, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, j->d->fname, fl + 1);
	if (strchr(j->d->fname, '/') != NULL ||
	    sts_host_to_alabel(j->d->fname, 0, name, sizeof(name), e,
	    sizeof(e)) == -1 ||
	    (len = job_read(l, j, buf, sizeof(buf))) == -1 ||
	    sts_settings_copy(&dom.set, &conf.dflt) == -1 ||
	    sts_settings_parse(path, buf, (size_t)len, &dom.set, e,
	    sizeof(e)) == -1)
		goto out;
	dom.policy.mode = dom.set.mode;
	dom.policy.max_age = dom.set.max_age;
	if (dom.set.mx_set || dom.set.mode == STS_MODE_NONE) {
		if (dom.set.mx_set &&
		    sts_strlist_copy(&dom.policy.mx, &dom.set.mx) == -1)
			goto out;
		if (sts_policy_render(&dom.policy, &dom.text, &dom.textlen, e,
		    sizeof(e)) == -1)
			goto out;
		j->text = dom.text;
		j->textlen = dom.textlen;
	} else {
		if (dom.set.certs == NULL)
			goto out;
		if ((me = memo_find(*memo, &dom.set)) == NULL &&
		    (me = memo_find(seed, &dom.set)) != NULL)
			j->cs = store;	/* rendered from the main store */
		if (me == NULL) {
			if (cs == NULL || sts_certstore_get(cs, dom.set.certs,
			    &names, e, sizeof(e)) == -1 || names->n == 0 ||
			    sts_strlist_copy(&dom.policy.mx, names) == -1 ||
			    (me = calloc(1, sizeof(*me))) == NULL)
				goto out;
			if ((me->certs = strdup(dom.set.certs)) == NULL ||
			    sts_policy_render(&dom.policy, &me->text,
			    &me->textlen, e, sizeof(e)) == -1) {
				memo_free(me);
				goto out;
			}
			me->mode = dom.set.mode;
			me->max_age = dom.set.max_age;
			me->next = *memo;
			*memo = me;
		}
		j->me = me;
		j->text = me->text;
		j->textlen = me->textlen;
	}
	if ((dom.name = strdup(name)) == NULL)
		goto out;
	j->dom = dom;
	memset(&dom, 0, sizeof(dom));
	ret = 1;
out:
	if (!ret) {
		j->me = NULL;
		j->text = NULL;
	}
	sts_domain_free(&dom);
	return ret;
}

static void
job_run(struct loader *l, struct job *j, struct sts_certstore *cs,
    struct memo **memo)
{
	struct stat	 sb;

	memset(&j->dom, 0, sizeof(j->dom));
	j->me = NULL;
	j->text = NULL;
	j->cs = cs;
	if (job_fast(l, j, cs, memo, l->seed)) {
		j->ok = 1;
		return;
	}
	if (j->stat) {
		if (l->dfd != -1 && fstatat(l->dfd, j->d->fname, &sb, 0) == 0) {
			stamp_set(&j->d->st, &sb);
			if (stamp_recent(&sb, l->now))
				j->d->st.valid = 0;
		} else
			j->d->st.valid = 0;
	}
	j->cs = cs;
	j->ok = sts_domain_load(&conf, cs, conf.domains, j->d->fname, &j->dom,
	    j->err, sizeof(j->err)) == 0;
	j->text = j->dom.text;
	j->textlen = j->dom.textlen;
}

static void
loader_work(struct loader *l, struct sts_certstore *cs, struct memo **memo)
{
	size_t	 i;

	while ((i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED)) < l->n)
		job_run(l, &l->jobs[i], cs, memo);
}

static void *
loader_thread(void *arg)
{
	struct helper	*h = arg;

	loader_work(h->q, h->cs, &h->memo);
	return NULL;
}

/*
 * What a read produced, into d (main thread). Returns 1 when the response
 * d serves changed.
 */
static int
job_finish(struct job *j, int force, struct ptrvec *garbage)
{
	const struct sts_strlist	*tn = NULL;
	struct dfile			*d = j->d;
	struct resp			*r = NULL;
	char				 msg[STS_ERR_MAX + 64], e[STS_ERR_MAX];
	int				 changed = 0, trust = 1;

	if (!j->ok) {
		d->failed = 1;
		snprintf(msg, sizeof(msg), "%s%s", j->err, d->resp ?
		    " (still serving the last good policy)" : "");
		if (force) {
			free(d->lasterr);
			d->lasterr = NULL;
		}
		log_once(&d->lasterr, msg);
		goto out;
	}
	if (d->name == NULL) {
		if (strcmp(j->dom.name, d->fname) == 0)
			d->name = d->fname;
		else if ((d->name = strdup(j->dom.name)) == NULL)
			goto oom;
	}
	if (j->me != NULL && j->me->r != NULL && j->me->r->refs > 0) {
		r = j->me->r;
		r->refs++;
	} else if ((r = resp_intern(j->text, j->textlen)) == NULL)
		goto oom;
	else if (j->me != NULL)
		j->me->r = r;
	if (r != d->resp) {
		resp_unref(d->resp, garbage);
		d->resp = r;
		changed = 1;
	} else
		resp_unref(r, garbage);
	d->spec = j->dom.set.mx_set || j->dom.set.certs == NULL ? NULL :
	    spec_get(j->dom.set.certs);
	/*
	 * Rendered from a helper's store: if the main store, whose changes
	 * the next polls watch, read other names, read the file again then.
	 */
	if (d->spec != NULL && j->cs != store &&
	    (sts_certstore_get(j->cs, d->spec->spec, &tn, e, sizeof(e)) == -1 ||
	    !sts_strlist_equal(tn, &d->spec->names)))
		trust = 0;
	if (d->failed && d->lasterr != NULL)
		logmsg("%s/%s: valid again", conf.domains, d->fname);
	d->failed = 0;
	free(d->lasterr);
	d->lasterr = NULL;
	goto out;
oom:
	d->failed = 1;
	logmsg("%s/%s: out of memory", conf.domains, d->fname);
out:
	if (!trust)
		d->st.valid = 0;
	sts_domain_free(&j->dom);
	return changed;
}

/* Read the files todo[0..n); returns 1 when any response changed. */
static int
files_read(struct dfile **todo, size_t n, int dfd, time_t now, int force,
    struct ptrvec *garbage)
{
	struct helper	 h[HELPERS_MAX];
	pthread_t	 tid[HELPERS_MAX];
	struct loader	 q;
	struct job	*jobs = NULL;
	struct memo	*memo = NULL;
	long		 ncpu;
	size_t		 off, i, nh = 0, started;
	int		 dirty = 0;

	if (n == 0)
		return 0;
	if ((jobs = calloc(n > BATCH ? BATCH : n, sizeof(*jobs))) == NULL) {
		logmsg("out of memory");
		for (i = 0; i < n; i++)
			todo[i]->st.valid = 0;
		return 0;
	}
	if (n >= PARALLEL_MIN && (ncpu = sysconf(_SC_NPROCESSORS_ONLN)) > 1)
		nh = ncpu - 1 > HELPERS_MAX ? HELPERS_MAX : (size_t)ncpu - 1;
	for (i = 0; i < nh; i++) {
		h[i].q = &q;
		h[i].memo = NULL;
		if ((h[i].cs = sts_certstore_new(NULL, NULL)) == NULL)
			break;
	}
	nh = i;
	/* Main's own list from here: new entries go in front of the seed. */
	q.seed = memo = nh > 0 ? memo_seed() : NULL;
	for (off = 0; off < n; off += BATCH) {
		q.jobs = jobs;
		q.n = n - off > BATCH ? BATCH : n - off;
		q.next = 0;
		q.dfd = dfd;
		q.now = now;
		for (i = 0; i < q.n; i++) {
			/* New files have no stamp yet: taken by the reader. */
			jobs[i].d = todo[off + i];
			jobs[i].stat = !jobs[i].d->st.valid && jobs[i].d->st.ino == 0;
		}
		for (started = 0; started < nh; started++)
			if (pthread_create(&tid[started], NULL, loader_thread,
			    &h[started]) != 0)
				break;
		loader_work(&q, store, &memo);
		for (i = 0; i < started; i++)
			pthread_join(tid[i], NULL);
		for (i = 0; i < q.n; i++)
			dirty |= job_finish(&jobs[i], force, garbage);
	}
	for (i = 0; i < nh; i++) {
		sts_certstore_free(h[i].cs);
		memo_free(h[i].memo);
	}
	memo_free(memo);
	free(jobs);
	return dirty;
}


struct garbage {
	struct ptrvec	 resps;		/* unreferenced responses */
	struct ptrvec	 files;		/* removed domain files */
};

/* A domain file that is gone: out of the table, freed after the swap. */
static void
dfile_drop(struct dfile *d, struct garbage *g, int *dirty)
{
	*dirty |= d->resp != NULL;
	resp_unref(d->resp, &g->resps);
	d->resp = NULL;
	if (ptrvec_add(&g->files, d) == -1) {
		/* Its name may still be in the table: keep it. */
		logmsg("out of memory: leaking an entry for %s", d->fname);
	}
}

static void
garbage_free(struct garbage *g, int reachable)
{
	size_t	 i;

	if (reachable && (g->resps.n > 0 || g->files.n > 0))
		logmsg("out of memory: keeping %zu stale entries",
		    g->resps.n + g->files.n);
	for (i = 0; !reachable && i < g->resps.n; i++)
		free(g->resps.v[i]);
	for (i = 0; !reachable && i < g->files.n; i++)
		dfile_free(g->files.v[i]);
	free(g->resps.v);
	free(g->files.v);
}

/* ---- inotify ------------------------------------------------------------ */

static void
watch_drop(void)
{
	if (iwd != -1)
		(void)inotify_rm_watch(ifd, iwd);
	iwd = -1;
	free(iwpath);
	iwpath = NULL;
	iall = 1;
}

/* Everything inotify has for us, into touched (or iall). */
static void
watch_read(void)
{
	union {
		struct inotify_event	 ev;
		char			 b[8192];
	}				 u;
	const struct inotify_event	*ev;
	ssize_t				 n;
	size_t				 off;

	if (ifd == -1)
		return;
	for (;;) {
		if ((n = read(ifd, u.b, sizeof(u.b))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (off = 0; off + sizeof(*ev) <= (size_t)n;
		    off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(u.b + off);
			if (ev->mask & IN_Q_OVERFLOW) {
				iall = 1;
				continue;
			}
			if (ev->wd != iwd || iwd == -1)
				continue;
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF |
			    IN_MOVE_SELF)) {
				watch_drop();
				continue;
			}
			if (iall || ev->len == 0 || ev->name[0] == '\0')
				continue;
			if (touched.n >= TOUCHED_MAX ||
			    sts_strlist_add(&touched, ev->name) == -1)
				iall = 1;
		}
	}
}

/* Watch the configured domain directory, if not already. */
static void
watch_update(void)
{
	int	 wd;

	if (ifd == -1 || (iwd != -1 && strcmp(iwpath, conf.domains) == 0))
		return;
	watch_drop();
	if ((wd = inotify_add_watch(ifd, conf.domains, WATCH_MASK)) == -1)
		return;		/* polling until it can be watched */
	if ((iwpath = strdup(conf.domains)) == NULL) {
		(void)inotify_rm_watch(ifd, wd);
		return;
	}
	iwd = wd;
	iall = 1;	/* what changed while not watched */
}

int
table_watch(void)
{
	if (ifd == -1)
		ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	return ifd;
}

/* d was named in an event, or shares the inode of a file that was. */
static int
is_touched(const struct dfile *d, const struct stamp *tst, size_t ntst)
{
	size_t	 i;

	if (touched.n > 0 && bsearch(&d->fname, touched.v, touched.n,
	    sizeof(*touched.v), strp_cmp) != NULL)
		return 1;
	for (i = 0; d->st.valid && i < ntst; i++)
		if (d->st.ino == tst[i].ino && d->st.dev == tst[i].dev)
			return 1;
	return 0;
}

static int
dfile_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct dfile *const *)elem)->fname);
}

/* FNV-1a of a file's text; 0 when it cannot be read. */
static uint64_t
file_hash(const char *path)
{
	FILE		*f = NULL;
	char		 buf[8192];
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 n, i;

	if ((f = fopen(path, "re")) == NULL)
		return 0;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		for (i = 0; i < n; i++) {
			h ^= (unsigned char)buf[i];
			h *= 0x100000001b3ULL;
		}
	if (ferror(f))
		h = 0;
	fclose(f);
	return h;
}

/* The configuration file: read again when it changed. */
static int
poll_conf(int force, int strict, time_t now, char *err, size_t errlen)
{
	struct sts_conf	 nc;
	struct stat	 sb;
	uint64_t	 h;
	char		 e[STS_ERR_MAX], msg[STS_ERR_MAX + 64];

	memset(&nc, 0, sizeof(nc));
	if (stat(confpath, &sb) == -1) {
		snprintf(e, sizeof(e), "%s: %s", confpath, strerror(errno));
		goto fail;
	}
	if (!force && stamp_same(&confst, &sb))
		return 0;
	/* Touched, or looked at again for being recent, but the same text. */
	h = file_hash(confpath);
	if (!force && conf.domains != NULL && h != 0 && h == confhash) {
		if (!stamp_recent(&sb, now))
			stamp_set(&confst, &sb);
		return 0;
	}
	if (sts_conf_load(confpath, &nc, e, sizeof(e)) == -1) {
		/* Not read again until it changes. */
		stamp_set(&confst, &sb);
		goto fail;
	}
	if (conf.domains != NULL && h != confhash)
		logmsg("%s: read again", confpath);
	sts_conf_free(&conf);
	conf = nc;
	confhash = h;
	free(conferr);
	conferr = NULL;
	if (stamp_recent(&sb, now))
		confst.valid = 0;
	else
		stamp_set(&confst, &sb);
	return 1;
fail:
	if (strict) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	if (force) {
		free(conferr);
		conferr = NULL;
	}
	if (conf.domains != NULL) {
		snprintf(msg, sizeof(msg), "%s (keeping the configuration "
		    "read before)", e);
		log_once(&conferr, msg);
	} else
		log_once(&conferr, e);
	return 0;
}

/*
 * One poll. strict: at start-up, where an unreadable configuration or
 * directory is an error (-1, err) rather than something to log and wait out.
 */
static int
poll_once(int force, int strict, char *err, size_t errlen)
{
	struct sts_strlist	 list = { NULL, 0, 0 }, warnings = { NULL, 0, 0 };
	struct garbage		 g;
	struct dfile		**nf = NULL, *d;
	const char		**names = NULL;
	struct table		*nt = NULL, *old;
	struct spec		*sp;
	struct stat		 sb;
	char			 e[STS_ERR_MAX], path[4096];
	size_t			 n, i, j, k = 0, lo, cnt;
	time_t			 now = time(NULL);
	int			 confchanged, certschanged = 0, dirty = 0;
	struct dfile		**todo = NULL, **dp;
	struct stamp		 tst[TOUCHED_MAX];
	size_t			 ntodo = 0, ntst = 0;
	int			 ret = -1, reachable = 0, dfd = -1, light;

	memset(&g, 0, sizeof(g));
	watch_read();
	if ((confchanged = poll_conf(force, strict, now, err, errlen)) == -1)
		goto out;
	if (conf.domains == NULL) {
		snprintf(err, errlen, "%s: no configuration", confpath);
		goto out;
	}
	watch_update();
	/* Watched: only what events name, unless something says otherwise. */
	light = iwd != -1 && !iall && !force && !confchanged &&
	    nfiles > WATCH_ALL && now - lastsweep < SWEEP_SECS;

	/* The certificate store. */
	if (store == NULL) {
		if ((store = sts_certstore_new(log_warning, NULL)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	} else if (sts_certstore_refresh(store) > 0)
		certschanged = specs_check() > 0;

	/* The domain directory: listed again only when it changed. */
	e[0] = '\0';
	if (stat(conf.domains, &sb) == -1) {
		snprintf(e, sizeof(e), "%s: %s", conf.domains, strerror(errno));
		goto dirfail;
	}
	if (force || confchanged || !stamp_same(&dirst, &sb)) {
		if (sts_domain_list(conf.domains, &list, collect_warning,
		    &warnings, e, sizeof(e)) == -1)
			goto dirfail;
		free(direrr);
		direrr = NULL;
		if (stamp_recent(&sb, now))
			dirst.valid = 0;
		else
			stamp_set(&dirst, &sb);
		for (i = 1; i < list.n; i++)
			if (strcmp(list.v[i - 1], list.v[i]) >= 0) {
				sts_strlist_sort_uniq(&list);
				break;
			}
		n = list.n;
		names = (const char **)list.v;
	} else if (light && !certschanged && touched.n == 0 && pending == 0) {
		ret = 0;	/* nothing changed, nothing to look at */
		goto out;
	} else {
		n = nfiles;
		if ((names = calloc(n ? n : 1, sizeof(*names))) == NULL) {
			logmsg("out of memory");
			ret = 0;
			goto out;
		}
		for (i = 0; i < n; i++)
			names[i] = files[i]->fname;
	}

	/* Merge the sorted listing with the sorted files we know. */
	dfd = open(conf.domains, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((nf = calloc(n ? n : 1, sizeof(*nf))) == NULL ||
	    (todo = calloc(n ? n : 1, sizeof(*todo))) == NULL) {
		logmsg("out of memory");
		ret = 0;
		goto out;
	}
	/*
	 * Which files to stat: all of them; or, the directory unchanged,
	 * those events name (watched), or the next STAT_BUDGET (not).
	 */
	lo = 0;
	cnt = n;
	if (names != (const char **)list.v && !certschanged && light) {
		cnt = 0;
		sts_strlist_sort_uniq(&touched);
		for (i = 0; i < touched.n && ntst < TOUCHED_MAX; i++)
			if ((dp = bsearch(touched.v[i], files, nfiles,
			    sizeof(*files), dfile_cmp)) != NULL &&
			    (*dp)->st.valid)
				tst[ntst++] = (*dp)->st;
	} else if (names != (const char **)list.v && !certschanged &&
	    n > STAT_BUDGET && iwd == -1) {
		lo = cursor % n;
		cnt = STAT_BUDGET;
		cursor = lo + cnt;
	}
	if (cnt == n)
		lastsweep = now;
	for (i = 0, j = 0; j < n; j++) {
		while (i < nfiles && strcmp(files[i]->fname, names[j]) < 0)
			dfile_drop(files[i++], &g, &dirty);
		if (i < nfiles && strcmp(files[i]->fname, names[j]) == 0)
			d = files[i++];
		else if ((d = calloc(1, sizeof(*d))) == NULL ||
		    (d->fname = strdup(names[j])) == NULL) {
			free(d);
			logmsg("out of memory");
			continue;
		} else if (dfd != -1) {
			/* New: stamped and read by files_read. */
			todo[ntodo++] = d;
			nf[k++] = d;
			continue;
		}
		if ((j + n - lo) % n >= cnt && d->st.valid &&
		    !(d->spec != NULL && d->spec->changed) &&
		    !(cnt == 0 && is_touched(d, tst, ntst))) {
			nf[k++] = d;	/* its turn comes in a later poll */
			continue;
		}
		/* Relative to the directory: no path walk for each file. */
		if ((dfd == -1 && snprintf(path, sizeof(path), "%s/%s",
		    conf.domains, d->fname) >= (int)sizeof(path)) ||
		    fstatat(dfd == -1 ? AT_FDCWD : dfd, dfd == -1 ? path :
		    d->fname, &sb, 0) == -1) {
			if (errno != ENOENT && errno != ENOTDIR) {
				/* Cannot look (EACCES): keep what it served. */
				snprintf(e, sizeof(e), "%s/%s: %s%s",
				    conf.domains, d->fname, strerror(errno),
				    d->resp ? " (still serving the last good "
				    "policy)" : "");
				log_once(&d->lasterr, e);
				d->st.valid = 0;
				nf[k++] = d;
				continue;
			}
			/* Gone since the listing, or a dangling link. */
			dfile_drop(d, &g, &dirty);
			continue;
		}
		if (force || confchanged || !stamp_same(&d->st, &sb) ||
		    (d->spec != NULL && d->spec->changed) ||
		    (d->failed && certschanged)) {
			/* Its stamp now: a change while we read is seen next time. */
			stamp_set(&d->st, &sb);
			if (stamp_recent(&sb, now))
				d->st.valid = 0;
			todo[ntodo++] = d;
		}
		nf[k++] = d;
	}
	while (i < nfiles)
		dfile_drop(files[i++], &g, &dirty);
	for (sp = specs; sp; sp = sp->next)
		sp->changed = 0;
	/* The global certs first: helpers' stores are then never older. */
	if (ntodo > 0 && conf.dflt.certs != NULL)
		(void)spec_get(conf.dflt.certs);
	dirty |= files_read(todo, ntodo, dfd, now, force, &g.resps);
	free(files);
	files = nf;
	nfiles = k;
	nf = NULL;
	for (i = 0, pending = 0; i < nfiles; i++)
		pending += !files[i]->st.valid;

	if (dirty || cur == NULL) {
		if ((nt = table_build(files, nfiles, &warnings)) == NULL) {
			/* Keep serving the old table; read everything again. */
			logmsg("out of memory building the domain table");
			for (i = 0; i < nfiles; i++)
				files[i]->st.valid = 0;
			reachable = 1;
		} else {
			pthread_rwlock_wrlock(&tlock);
			old = cur;
			cur = nt;
			pthread_rwlock_unlock(&tlock);
			free(old);
		}
	}
	ret = 0;
	goto out;
dirfail:
	if (strict) {
		snprintf(err, errlen, "%s", e);
		goto out;
	}
	/* The table stays as it is. */
	dirst.valid = 0;
	if (force) {
		free(direrr);
		direrr = NULL;
	}
	log_once(&direrr, e);
	ret = 0;
out:
	sts_strlist_free(&touched);
	iall = 0;
	free(todo);
	if (dfd != -1)
		close(dfd);
	garbage_free(&g, reachable);
	warnings_flush(&warnings);
	if (names != (const char **)list.v)
		free(names);
	sts_strlist_free(&list);
	free(nf);
	return ret;
}

int
table_init(const char *conffile, char *err, size_t errlen)
{
	if ((confpath = strdup(conffile)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return poll_once(1, 1, err, errlen);
}

void
table_poll(int force)
{
	char	 err[STS_ERR_MAX];

	if (poll_once(force, 0, err, sizeof(err)) == -1)
		logmsg("%s", err);
}

void
table_free(void)
{
	struct resp	*r, *next;
	size_t		 i;

	free(cur);
	cur = NULL;
	for (i = 0; i < nfiles; i++)
		dfile_free(files[i]);
	free(files);
	files = NULL;
	nfiles = 0;
	for (i = 0; itab != NULL && i <= imask; i++)
		for (r = itab[i]; r; r = next) {
			next = r->next;
			free(r);
		}
	free(itab);
	itab = NULL;
	icount = 0;
	specs_free();
	sts_certstore_free(store);
	store = NULL;
	sts_conf_free(&conf);
	sts_strlist_free(&warned);
	free(conferr);
	free(direrr);
	free(confpath);
	if (ifd != -1)
		close(ifd);
	ifd = iwd = -1;
	free(iwpath);
	iwpath = NULL;
	sts_strlist_free(&touched);
	conferr = direrr = confpath = NULL;
}
