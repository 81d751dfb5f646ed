/* SPDX-License-Identifier: ISC */
/*
 * What the files of the reload poll share, and nothing else includes:
 * the reload's state (struct reload), one poll's (struct poll) and the
 * steps that reload.c runs in order. Calls go one way: reload.c ->
 * domfiles.c -> fallback.c, and reload.c -> fallback.c.
 */
#ifndef RELOAD_INT_H
#define RELOAD_INT_H

#include "responder.h"

/*
 * When the directory itself has not changed (nothing added, removed or
 * renamed) and is not watched, a poll stats at most this many files,
 * taking turns, so that 100,000 domains do not cost 100,000 stat calls
 * every -r seconds. An edit made in place is then seen within
 * files / STAT_BUDGET polls.
 */
#define STAT_BUDGET	25000
#define SWEEP_SECS	60
#define WATCH_ALL	1000

struct reload {
	char			*confpath;
	struct sts_conf		 conf;
	struct stamp		 confst;
	uint64_t		 confhash;	/* of the text last read */
	char			*conferr;	/* last logged */
	struct stamp		 dirst;
	char			*direrr;
	struct sts_certstore	*store;
	struct dfile		**files;	/* sorted by fname */
	size_t			 nfiles;
	struct spec		*specs;
	struct intern		 intern;
	struct sts_strlist	 warned;	/* last poll's warnings */
	size_t			 cursor;	/* where the last partial sweep ended */
	struct watch		 watch;
	time_t			 lastsweep;	/* when all files were last stat'ed */
	size_t			 pending;	/* files whose stamp is not trusted */
	int			 lgfd;		/* last good policies, or -1 */
	char			*lgdir;
	int			 fallback;	/* serving lgdir: no listing yet */
};

/* Where a poll takes the names of the domain files from. */
enum source {
	SRC_LISTING,		/* the directory, listed again */
	SRC_KNOWN		/* the files of the last poll */
};

/* One poll. */
struct poll {
	int			 force;		/* read everything (SIGHUP) */
	int			 strict;	/* start-up: failures are errors */
	time_t			 now;
	int			 confchanged;
	int			 certschanged;
	int			 light;		/* only what events named */
	enum source		 src;
	struct sts_strlist	 list;		/* SRC_LISTING */
	const char		**names;	/* sorted; list.v, or allocated */
	size_t			 n;
	size_t			 lo, cnt;	/* stat names[lo..lo+cnt) (mod n) */
	struct stamp		 tst[TOUCHED_MAX];	/* of touched files */
	size_t			 ntst;
	struct dfile		**nf;		/* the files from now on */
	size_t			 k;
	struct dfile		**todo;		/* to read */
	size_t			 ntodo;
	int			 dfd;
	int			 dirty;		/* a response changed */
	int			 reachable;	/* garbage still in the table */
	struct garbage		 g;
	struct sts_strlist	 warnings;
	char			 e[STS_ERR_MAX];
};

/* ---- domfiles.c: the domain-file steps of a poll -------------------- */

/*
 * The names of the domain files: the directory listed again when it
 * changed, else the files already known. 0 done, 1 nothing to look at,
 * -1 the directory cannot be read (p->e), -2 out of memory (logged).
 */
int	 poll_names(struct reload *, struct poll *);
/* Which files to stat (p->lo, p->cnt, p->tst). */
void	 poll_plan(struct reload *, struct poll *);
/* New files to read, known ones looked at, missing ones dropped; -1 out of memory. */
int	 poll_merge(struct reload *, struct poll *);
/* Read the files in todo; what changed makes the poll dirty. */
void	 poll_read(struct reload *, struct poll *);
/* The files from now on, and a new table when a response changed. */
void	 poll_swap(struct reload *, struct poll *);

/* ---- fallback.c: the last good policies standing in ----------------- */

/* d cannot be read and serves nothing: 1 when it serves its last good copy from now on. */
int	 fallback_keep(struct reload *, struct poll *, struct dfile *d);
/* After a complete listing: the copies of domains without a file go. */
void	 fallback_sweep(struct reload *);
/* At start-up nothing can be read (err): serve every copy; -1 there are none. */
int	 fallback_open(struct reload *, const char *err);

#endif /* RELOAD_INT_H */
