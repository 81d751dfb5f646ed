/* SPDX-License-Identifier: ISC */
/*
 * The internals of mta-sts-fcgi, one section per file. Calls go one way:
 * main -> listen, cgi, fastcgi; fastcgi -> gate, listen, sandbox, reload,
 * table, http;
 * reload -> domfiles, fallback, specs, watch, table; domfiles -> fallback,
 * loader, lastgood, specs, watch, table; fallback -> lastgood, table; loader ->
 * watch; cgi, table -> http; everything -> log, which calls nothing of
 * ours. The reload poll's own files share fcgi/reload_int.h.
 */
#ifndef RESPONDER_H
#define RESPONDER_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mtasts.h"

#define PROGNAME	"mta-sts-fcgi"

/* ---- log.c: messages to stderr -------------------------------------- */

/* One line to stderr, "mta-sts-fcgi: " prefixed, written at once. */
void	 logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log msg unless it is what *last already says; remember it. */
void	 log_once(char **last, const char *msg);
/* An sts_warn_fn that logs. */
void	 log_warning(void *arg, const char *msg);

/* ---- gate.c: a whole request before libfcgi reads it ----------------- */

enum gate {
	GATE_READY,		/* libfcgi can read the request at once */
	GATE_MORE,		/* (gate_scan) part of a request so far */
	GATE_TOO_BIG,		/* parameters over the cap */
	GATE_BAD,		/* not a request for a responder */
	GATE_CLOSED,		/* the peer closed, or an error */
	GATE_IDLE,		/* no byte within the idle time */
	GATE_SLOW,		/* not whole within the request time */
	GATE_STOPPING,		/* the responder stops */
};

struct gate_limits {
	size_t	 cap;		/* bytes of records up to the end of PARAMS */
	long	 idle_ms;	/* for the first byte */
	long	 request_ms;	/* from the first byte to the end of PARAMS */
};

/* What the len bytes at buf hold of a request: READY, MORE, BAD, TOO_BIG. */
enum gate gate_scan(const unsigned char *buf, size_t len, size_t cap);
/* A whole request's parameters: 0 good, 1 a NUL in one, -1 malformed. */
int	 gate_params(unsigned char *buf, size_t len);
enum gate gate_wait(int fd, const struct gate_limits *lim, unsigned char *buf,
	    int (*stopping)(void), int *nul);
/* Half-close fd, read what the peer still sends for ms at most, close. */
void	 gate_close(int fd, long ms);

/* ---- http.c: requests to responses ----------------------------------- */

/*
 * A response: CGI headers ("Status: 200 OK", Content-Type,
 * Content-Length, Cache-Control) and the body. HEAD writes headlen bytes.
 */
struct resp_copy {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	size_t	 headlen;
};

/*
 * Reads up to len bytes of the request body into buf: how many, 0 at its
 * end, -1 with errno (EAGAIN or ETIMEDOUT: the client is too slow).
 */
typedef ssize_t body_fn(void *arg, char *buf, size_t len);

/* What respond() needs of a request: CGI variables, NULL when absent. */
struct request {
	const char	*method;
	const char	*host;
	const char	*uri;
	const char	*script;
	const char	*pathinfo;
	int		 nul;		/* a parameter held a NUL: 400 */
	const char	*ctype;		/* CONTENT_TYPE */
	const char	*clen;		/* CONTENT_LENGTH */
	/* TLS-RPT reports POSTed to /tlsrpt: tlsrpt 0, not accepted. */
	int		 tlsrpt;
	int		 spoolfd;	/* -1: the spool cannot be opened (503) */
	const char	*spooldir;
	body_fn		*body;
	void		*bodyarg;
};

/*
 * Where the policy of domain (lower-case A-label) comes from: 1 and *out
 * filled with the whole response, 0 no such domain, -1 error (logged).
 */
typedef int lookup_fn(void *arg, const char *domain, struct resp_copy *out);

/* The headers of every response; -1 or their length. extra may be "". */
int	 http_head(char *buf, size_t bufsz, const char *status,
	    const char *extra, size_t bodylen);
/* out = head then body; -1 out of memory. */
int	 resp_set(struct resp_copy *out, const char *head, size_t headlen,
	    const char *body, size_t bodylen);
/* 1: rq is for /tlsrpt, where TLS-RPT reports are POSTed. */
int	 http_is_tlsrpt(const struct request *rq);
/* The response to rq into out (out->len 0: none could be made). */
void	 respond(const struct request *rq, lookup_fn *lookup, void *arg,
	    struct resp_copy *out);

/* ---- spool.c: TLS-RPT reports POSTed to /tlsrpt ---------------------- */

#define SPOOL_MAX		(1024 * 1024)	/* bytes of a report, compressed */
#define SPOOL_BODY_SECONDS	30		/* for a whole body */

enum spool_result {
	SPOOL_STORED,		/* 201 */
	SPOOL_TOO_BIG,		/* 413 */
	SPOOL_SLOW,		/* 408 */
	SPOOL_SHORT,		/* 400: the body ended before its length */
	SPOOL_UNAVAILABLE,	/* 503: the spool cannot be written (logged) */
	SPOOL_SERVER,		/* 500 */
};

/* The spool directory's descriptor, or -1 (logged). */
int	 spool_open(const char *dir);
/*
 * Read a body of clen bytes through rd into a new file of the spool dfd
 * (dir names it in messages), its name ending in ext.
 */
enum spool_result spool_put(int dfd, const char *dir, const char *ext,
	    size_t clen, body_fn *rd, void *arg);

/* ---- watch.c: file stamps and inotify -------------------------------- */

/* What a change of a file changes: compared to tell whether to read it again. */
struct stamp {
	int		 valid;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtim;
	struct timespec	 ctim;
};

struct stat;
void	 stamp_set(struct stamp *, const struct stat *);
int	 stamp_same(const struct stamp *, const struct stat *);
/* Changed so recently (now) that a change in the same tick could be missed. */
int	 stamp_recent(const struct stat *, time_t now);
/* stamp_set, but not trusted (invalid) when it changed recently (now). */
void	 stamp_take(struct stamp *, const struct stat *, time_t now);

#define TOUCHED_MAX	256	/* names remembered between two polls */

/* The inotify watch on the domain directory. */
struct watch {
	int			 ifd;		/* inotify, or -1: polling only */
	int			 iwd;		/* the directory's watch, or -1 */
	char			*path;		/* the path it was set on */
	struct sts_strlist	 touched;	/* names in events since the last poll */
	int			 all;		/* look at every file in the next poll */
};

/* Set up; with on, an inotify descriptor (or -1), readable when a poll is due. */
int	 watch_open(struct watch *, int on);
/* Everything inotify has, into touched (or all). */
void	 watch_read(struct watch *);
/* Watch dir, if not already. */
void	 watch_update(struct watch *, const char *dir);
/* After a poll: forget the events it has seen. */
void	 watch_reset(struct watch *);
void	 watch_close(struct watch *);

/* ---- specs.c: where domains take their mx from ---------------------- */

/* A certs spec some domain takes its mx from, and the names it last gave. */
struct spec {
	struct spec		*next;
	char			*spec;
	struct sts_strlist	 names;
	int			 changed;	/* since the last poll that read its domains */
};

/* The spec s in *list, added (with the names store gives) if new; NULL: out of memory. */
struct spec *spec_get(struct spec **list, struct sts_certstore *store,
	    const char *s);
/* After the store changed: mark the specs that give other names now; how many. */
int	 specs_check(struct spec *list, struct sts_certstore *store);
/* Their domains have been looked at: no spec changed from now on. */
void	 specs_seen(struct spec *list);
void	 specs_free(struct spec *list);

/* ---- table.c: interned responses and the lookup table ---------------- */

/* A rendered response, stored once however many domains serve it. */
struct resp {
	struct resp	*next;		/* intern chain */
	uint64_t	 hash;		/* of the body */
	size_t		 refs;		/* domain files using it */
	size_t		 len;
	size_t		 headlen;
	char		 buf[];
};

struct intern {
	struct resp	**tab;
	size_t		  mask;
	size_t		  count;
};

struct ptrvec {
	void	**v;
	size_t	  n;
	size_t	  cap;
};

int	 ptrvec_add(struct ptrvec *, void *);

/* A domain file as the reload poll knows it. */
struct dfile {
	char		*fname;
	char		*name;		/* A-label; may be fname itself; NULL: never loaded */
	struct resp	*resp;		/* last good response, or NULL */
	struct spec	*spec;		/* where its mx came from; NULL: explicit mx */
	char		*lasterr;	/* last error logged for it */
	struct stamp	 st;		/* of the last read */
	int		 failed;	/* the last read failed */
	int		 kept;		/* resp came from the last good copy */
};

/* What a reload frees once the new table is in. */
struct garbage {
	struct ptrvec	 resps;		/* responses no file uses */
	struct ptrvec	 files;		/* domain files removed */
};

void	 dfile_free(struct dfile *);
/* reachable: the old table is still served (no new one): kept, and said so. */
void	 garbage_free(struct garbage *, int reachable);

/* The shared response for a policy text, one more reference to it. */
struct resp *intern_add(struct intern *, const char *text, size_t textlen);
/* Drop a reference; the last one takes it out, into garbage (freed after the swap). */
void	 intern_unref(struct intern *, struct resp *, struct ptrvec *garbage);
/* Every response still interned, freed. */
void	 intern_free(struct intern *);

struct table;
/*
 * A lookup table of the files that have a response; a name served by two
 * files goes to the first, the other is a warning (dir names the files).
 */
struct table *table_build(struct dfile *const *fv, size_t n, const char *dir,
	    struct sts_strlist *warnings);
/* Serve t from now on (NULL: nothing); the old table is freed. */
void	 table_swap(struct table *t);
/* 1 when a table is served. */
int	 table_live(void);
/* A lookup_fn over the table being served (arg unused). Any thread. */
int	 table_lookup(void *arg, const char *domain, struct resp_copy *out);

/* ---- loader.c: reading domain files, in parallel --------------------- */

/*
 * A policy rendered from a certs spec, kept for one reload: the 90,000
 * domains that take their mx from one store render it once, and intern
 * it once.
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

/* One file to read, and what reading it gave. */
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

struct loader;
/*
 * A loader for n files of conf's domain directory (dfd, or -1), rendered
 * from store; with helper threads when n is large. NULL: out of memory.
 */
struct loader *loader_new(const struct sts_conf *conf,
	    struct sts_certstore *store, int dfd, time_t now, size_t n);
/* Read the next batch of todo[0..n): *jobs and how many (0: done). */
size_t	 loader_run(struct loader *, struct dfile **todo, size_t n,
	    struct job **jobs);
void	 loader_free(struct loader *);

/* ---- lastgood.c: the last good policies, on disk --------------------- */

#define LASTGOOD_DEFAULT	"/var/lib/mtasts-fcgi"

/*
 * The directory's descriptor, or -1 (not kept; logged unless quiet and
 * the directory does not exist).
 */
int	 lastgood_open(const char *dir, int quiet);
/* 1 and *text (malloc'd) when name has a copy that parses; else 0. */
int	 lastgood_get(int fd, const char *name, char **text, size_t *len);
/* Keep text as name's policy if it is not already: 1 written, 0 same, -1 (logged). */
int	 lastgood_put(int fd, const char *name, const char *text, size_t len);
/* name's domain file is gone: its copy goes too. */
void	 lastgood_drop(int fd, const char *name);
/* The names that have a copy, sorted, appended to names; -1 (logged). */
int	 lastgood_list(int fd, struct sts_strlist *names);

/* ---- reload.c: the configuration poll -------------------------------- */

struct reload;
/*
 * Read the configuration and every domain, and serve them; with watch,
 * an inotify watch on the domain directory. NULL with err when the
 * configuration or the directory cannot be read (a bad domain file is
 * only logged).
 */
struct reload *reload_open(const char *conffile, int watch, char *err,
	    size_t errlen);
/*
 * The same, keeping the last good policies in the directory lgfd (-1:
 * not kept; the reload owns it from now on). A configuration that cannot
 * be read at start-up is then logged, and what lgfd holds is served until
 * it can be.
 */
struct reload *reload_open_kept(const char *conffile, int watch, int lgfd,
	    const char *lgdir, char *err, size_t errlen);
/* The configuration's reports directory as read at start-up; NULL: none. */
const char *reload_reports(const struct reload *);
/* Its lgfd, for the sandbox; -1: none. */
int	 reload_lastgood_fd(const struct reload *);
/* The inotify descriptor, readable when a poll is due; -1: none. */
int	 reload_fd(const struct reload *);
/*
 * One poll (one thread only): re-read what changed and swap the table
 * in. force re-reads everything (SIGHUP).
 */
void	 reload_poll(struct reload *, int force);
/* Everything, the table being served too. */
void	 reload_free(struct reload *);

/* ---- listen.c: the FastCGI socket ------------------------------------ */

int	 listen_unix(const char *path, mode_t mode, int setmode, uid_t uid,
	    gid_t gid);
int	 listen_tcp(const char *spec);
/* systemd socket activation: fd 3, or -1. */
int	 listen_systemd(void);
int	 fd_listening(int fd);

/* ---- fastcgi.c: the worker pool -------------------------------------- */

struct fastcgi_opts {
	const char		*conffile;
	const char		*lastgood;	/* directory; NULL: not kept */
	int			 lastgood_quiet; /* the default: may not exist */
	int			 threads;
	int			 interval;	/* seconds between polls; 0: SIGHUP only */
	volatile sig_atomic_t	*got_hup;	/* set by the signal handlers */
	volatile sig_atomic_t	*got_term;
};

/*
 * Serve fd until *got_term; the exit status. TLS-RPT reports are taken
 * into the configuration's `reports` as read at start-up.
 */
int	 fastcgi_run(int fd, const struct fastcgi_opts *);

/* ---- cgi.c: CGI mode ------------------------------------------------- */

/*
 * Answer the one request in the environment; conffile NULL: beside the
 * program (argv0), else the default. lastgood: the directory of last good
 * policies; NULL: "last-good" beside the program, else the default. The exit status.
 */
int	 cgi_run(const char *conffile, const char *lastgood,
	    const char *argv0);

/* ---- configtest.c: -t ------------------------------------------------ */

/* Check conffile, every domain file and the certificates; the exit status. */
int	 configtest_run(const char *conffile);

/* ---- sandbox.c: seccomp ---------------------------------------------- */

#define SANDBOX_OFF_ASKED	"SANDBOX=0 in the environment"
/*
 * Confine the process to serving and reloading; files are opened
 * read-only, but in the directory lgfd (-1: none), where the last good
 * policies are written. 0, or -1 with err. When it is off by design, 0
 * and *off says why (else NULL).
 */
int	 sandbox_enter(int lgfd, int spoolfd, char *err, size_t errlen,
	    const char **off);

#endif /* RESPONDER_H */
