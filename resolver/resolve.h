/* SPDX-License-Identifier: ISC */
/*
 * resolve.h: the internals of mta-sts-resolve, the outbound MTA-STS
 * policy daemon for Postfix (smtp_tls_policy_maps = socketmap:...).
 *
 *   main.c       options, sockets, privileges, the ctl commands
 *   server.c     the event loop: Postfix's connections, the cache in
 *                front, jobs to the workers, counters
 *   netstring.c  socketmap framing
 *   cache.c      the table of domains and its file (survives restarts)
 *   fetch.c      the worker threads: DANE, then the policy (sender.h)
 *   answer.c     what Postfix is told: modes, rules, match lists
 *   ctl.c        the control requests: who may send them, the show line
 *   log.c        logmsg(), a leaf
 */
#ifndef RESOLVE_H
#define RESOLVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mtasts.h"
#include "sender.h"

#define REQ_MAX		10000	/* a socketmap request: "name key" (a domain) */
#define REPLY_MAX	100000	/* Postfix's limit on a reply */

/* ---- netstring.c ---- */
int	 ns_parse(const char *buf, size_t len, size_t max, size_t *off,
	    size_t *plen, size_t *used, const char **why);
size_t	 ns_format(char *out, size_t outlen, const char *data, size_t len);

/* ---- the outcome of one lookup (fetch.c) --------------------------------- */
enum result {
	R_NONE,		/* no MTA-STS record */
	R_STS,		/* a valid policy (possibly the cached one, confirmed) */
	R_FAIL,		/* a record, but no usable policy */
	R_TEMP,		/* DNS failed: nothing known */
	R_DANE,		/* MX hosts with DNSSEC-validated TLSA records */
	R_DANE_TEMP	/* the DANE lookup failed: never a downgrade */
};
const char *result_name(enum result);

/* ---- cache.c ---------------------------------------------------------------- */
struct entry {
	char		*domain;
	/* the cached policy, good while expires > now */
	char		 id[STS_ID_MAX + 1];
	unsigned char	 mode;		/* enum sts_mode */
	unsigned long	 max_age;
	time_t		 fetched, expires;
	char		*patterns;	/* the policy's mx patterns, ':' joined */
	char		*match;		/* what Postfix may accept (answer.c) */
	/* the last lookup */
	time_t		 checked;
	unsigned char	 last;		/* enum result */
	unsigned char	 busy;		/* a job is out */
	char		*why;
	struct client	*waiters;	/* connections waiting for the job */
};

struct cache;
struct cache *cache_open(const char *path, time_t now, char *err, size_t errlen);
/* the file as it is, for reading only (show without the daemon) */
struct cache *cache_open_ro(const char *path, time_t now, char *err, size_t errlen);
void	 cache_close(struct cache *);
struct entry *cache_get(struct cache *, const char *domain);
struct entry *cache_add(struct cache *, const char *domain);	/* NULL: no memory */
void	 cache_drop(struct cache *, const char *domain);
/* the entry's policy changed: append it to the file */
int	 cache_save(struct cache *, const struct entry *);
size_t	 cache_count(const struct cache *);
size_t	 cache_loaded(const struct cache *);
/* entries, from *cursor, up to n slots further; NULL at the end of a pass */
struct entry *cache_next(struct cache *, size_t *cursor);
/* rewrite the file with the live entries when it has grown to twice them */
int	 cache_compact(struct cache *, int force, char *err, size_t errlen);
int	 cache_sync(struct cache *);
int	 cache_fd(const struct cache *);

/* ---- answer.c ------------------------------------------------------------- */
struct rules;
struct rules *rules_load(const char *path, char *err, size_t errlen);
void	 rules_free(struct rules *);
/* the mode for domain: the longest rule (domain or .parent), else dflt */
enum sts_outbound rules_mode(const struct rules *, const char *domain,
	    enum sts_outbound dflt);
/*
 * What MX names Postfix may accept for policy patterns pats and MX hosts
 * mx: the exact patterns, and each MX host that a *. pattern covers
 * (one label, RFC 8461 §4.1); ':' joined into out. 0, or -1 when it
 * does not fit.
 */
int	 match_list(const struct sts_strlist *pats, const struct sts_strlist *mx,
	    char *out, size_t outlen);
/*
 * The reply for an entry known now (no network); "TEMP ..." etc. attrs:
 * with Postfix 3.10's policy attributes (resolve-policy-attributes), and
 * testing policies answered "OK may" with them instead of NOTFOUND.
 */
void	 answer(enum sts_outbound, int attrs, const struct entry *, time_t now,
	    char *out, size_t outlen);
/* what an enforce policy whose MX hosts all fail its patterns may match */
#define NOMATCH_NAME	"mta-sts-policy-failure.invalid"
/* may the entry answer now without waiting for a lookup? */
int	 answer_ready(const struct entry *, time_t now);
/* should the entry be looked up again in the background? */
int	 answer_stale(const struct entry *, time_t now);
/* a key from Postfix as a domain: lower case, no trailing dot; -1 if none */
int	 key_domain(const char *key, size_t len, char *out, size_t outlen);

#define FRESH_SECS	300	/* a lookup is repeated (in the background) after this */
#define NEG_SECS	3600	/* no policy / DANE: answered from cache this long */
#define TEMP_SECS	60	/* a failure: answered from cache this long */

/* ---- ctl.c ------------------------------------------------------------------ */
/*
 * May the peer on fd send a control request (req, len bytes)? 1 yes: a
 * unix socket, root or the daemon's own user; 0 no: out holds the PERM
 * answer, and the refusal is logged with the peer's uid and pid (or its
 * address over TCP).
 */
int	 ctl_allowed(int fd, const char *req, size_t len, char *out, size_t outlen);
/* the cached entry, as "show" prints it */
void	 ctl_show(const struct entry *, time_t now, char *out, size_t len);

/* ---- fetch.c ---------------------------------------------------------------- */
struct job {
	char		 domain[STS_HOST_MAX + 1];
	char		 old_id[STS_ID_MAX + 1];	/* the cached policy's id, or "" */
	int		 refetch;	/* fetch the policy even if the id is the same */
	int		 background;	/* nobody waits for it */
	/* out */
	enum result	 res;
	char		 id[STS_ID_MAX + 1];
	struct sts_policy pol;
	char		 match[4096];
	int		 same;		/* R_STS: the cached policy still holds */
	struct sts_strlist mx;		/* the MX hosts (mx_ok) */
	int		 mx_ok;
	char		 why[STS_ERR_MAX];
	struct job	*next;
};
struct workers;
/* n threads; done(arg) is called (from a worker) when a job is finished */
struct workers *workers_start(const struct sts_conf *, unsigned n,
	    int wake_fd, char *err, size_t errlen);
void	 workers_submit(struct workers *, struct job *);
struct job *workers_done(struct workers *);	/* one finished job, or NULL */
void	 workers_stop(struct workers *);
void	 job_free(struct job *);
/* the whole lookup of one domain, in the calling thread */
void	 resolve_job(struct dns *, const struct sts_conf *, struct job *);

/* ---- server.c ---------------------------------------------------------------- */
struct server_opts {
	const struct sts_conf	*conf;
	struct rules		*rules;
	const char		*metrics;	/* -m FILE or NULL */
	unsigned		 threads;
	int			*fds;		/* listening sockets */
	size_t			 nfds;
};
int	 server_run(struct server_opts *, struct cache *);
void	 server_stop(int);

/* ---- log.c ------------------------------------------------------------------- */
void	 logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* RESOLVE_H */
