/* SPDX-License-Identifier: ISC */
/*
 * server.c: the event loop (epoll) of mta-sts-resolve. It owns the cache:
 * a request for a domain the cache can answer is answered at once, from
 * memory, and a lookup is sent to the workers in the background when the
 * entry is getting old; only a domain the cache cannot answer waits, and
 * all the requests for one domain wait for the same lookup. Hostile
 * clients are bounded: a request is at most REQ_MAX bytes (the length is
 * refused before the bytes arrive), a half-sent request is dropped after
 * PARTIAL_SECS, an idle connection after IDLE_SECS, and at most
 * CLIENTS_MAX connections are open; a client that does not read its
 * replies is not read from until they are written. Counters go to a
 * Prometheus textfile.
 *
 * The loop is built for cache hits: one epoll_wait serves every client
 * that has sent something (no per-wake-up scan of the connections), a
 * request costs one read and one write (the reply formatted on the stack,
 * no allocation), and a client's epoll interest is changed only when it
 * starts or stops waiting for a lookup or for room to write. A client
 * closed while the events of one wake-up are handled is freed only after
 * them.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"

#define CLIENTS_MAX	4096
#define PARTIAL_SECS	10
#define IDLE_SECS	300
#define WAIT_SECS	90	/* Postfix gives up on a socketmap after 100 s */
#define SWEEP_SLOTS	8192	/* cache slots looked at per second */
#define BACKGROUND_MAX	64	/* background lookups out at once */
#define EVENTS_MAX	256	/* epoll events taken per wake-up */

struct client {
	int		 fd;
	char		 in[REQ_MAX + 16];
	size_t		 inlen;
	char		*out;
	size_t		 outlen, outoff;
	time_t		 since;		/* last byte in, or the wait began */
	/* waiting for a lookup */
	struct entry	*wait;
	char		 domain[STS_HOST_MAX + 1];
	enum sts_outbound mode;
	int		 ctl;		/* 0 lookup, 'r' refresh */
	struct client	*next_waiter;
	/* the event loop's */
	size_t		 idx;		/* in loop.cl */
	uint32_t	 armed;		/* the epoll events asked for */
	int		 resume;	/* on loop.resume */
	struct client	*next_resume, *next_dead;
};

enum counter {
	C_REQ, C_HIT, C_MISS, C_OK_SECURE, C_OK_DANE, C_NOTFOUND, C_TEMP,
	C_PERM, C_BAD, C_CONN, C_REFUSED, C_TIMEOUT, C_FETCH, C_FETCH_NONE,
	C_FETCH_STS, C_FETCH_FAIL, C_FETCH_TEMP, C_FETCH_DANE, C_FETCH_DANE_TEMP,
	C_REFRESH, NCOUNTERS
};

static const struct {
	const char *name, *help, *label;
} counter_names[NCOUNTERS] = {
	[C_REQ] = { "mta_sts_resolve_requests_total", "socketmap requests", NULL },
	[C_HIT] = { "mta_sts_resolve_cache_hits_total", "requests answered from the cache", NULL },
	[C_MISS] = { "mta_sts_resolve_cache_misses_total", "requests that waited for a lookup", NULL },
	[C_OK_SECURE] = { "mta_sts_resolve_answers_total", "answers by kind", "secure" },
	[C_OK_DANE] = { "mta_sts_resolve_answers_total", NULL, "dane" },
	[C_NOTFOUND] = { "mta_sts_resolve_answers_total", NULL, "notfound" },
	[C_TEMP] = { "mta_sts_resolve_answers_total", NULL, "temp" },
	[C_PERM] = { "mta_sts_resolve_answers_total", NULL, "perm" },
	[C_BAD] = { "mta_sts_resolve_bad_requests_total", "connections closed for a malformed request", NULL },
	[C_CONN] = { "mta_sts_resolve_connections_total", "connections accepted", NULL },
	[C_REFUSED] = { "mta_sts_resolve_connections_refused_total", "connections closed at once: too many", NULL },
	[C_TIMEOUT] = { "mta_sts_resolve_wait_timeouts_total", "requests answered TEMP after waiting too long", NULL },
	[C_FETCH] = { "mta_sts_resolve_lookups_total", "lookups done by the workers, by result", NULL },
	[C_FETCH_NONE] = { "mta_sts_resolve_lookups_total", NULL, "none" },
	[C_FETCH_STS] = { "mta_sts_resolve_lookups_total", NULL, "sts" },
	[C_FETCH_FAIL] = { "mta_sts_resolve_lookups_total", NULL, "fail" },
	[C_FETCH_TEMP] = { "mta_sts_resolve_lookups_total", NULL, "temp" },
	[C_FETCH_DANE] = { "mta_sts_resolve_lookups_total", NULL, "dane" },
	[C_FETCH_DANE_TEMP] = { "mta_sts_resolve_lookups_total", NULL, "dane-temp" },
	[C_REFRESH] = { "mta_sts_resolve_refreshes_total", "background lookups of cached domains", NULL },
};

static volatile sig_atomic_t stop;
static unsigned long long counters[NCOUNTERS];

void
server_stop(int sig)
{
	(void)sig;
	stop = 1;
}

struct loop {
	struct server_opts	*o;
	struct cache		*cache;
	struct workers		*w;
	struct client		*cl[CLIENTS_MAX];
	size_t			 ncl;
	unsigned		 background;
	size_t			 cursor;
	time_t			 now;
	int			 ep;		/* epoll */
	struct client		*resume;	/* a wait ended: go on reading */
	struct client		*dead;		/* closed, freed after the wake-up */
};

/* ---- output --------------------------------------------------------------- */

/* close l->cl[i]; the memory is freed by clients_free() (events may name it) */
static void
client_close(struct loop *l, size_t i)
{
	struct client *c = l->cl[i], **pp;

	if (c->wait != NULL)
		for (pp = &c->wait->waiters; *pp != NULL; pp = &(*pp)->next_waiter)
			if (*pp == c) {
				*pp = c->next_waiter;
				break;
			}
	c->wait = NULL;
	close(c->fd);	/* and out of the epoll set */
	c->fd = -1;
	free(c->out);
	c->out = NULL;
	c->outlen = c->outoff = 0;
	l->cl[i] = l->cl[--l->ncl];
	l->cl[i]->idx = i;
	c->next_dead = l->dead;
	l->dead = c;
}

static void
clients_free(struct loop *l)
{
	struct client *c;

	while ((c = l->dead) != NULL) {
		l->dead = c->next_dead;
		free(c);
	}
}

/*
 * What c is woken for: a request when it waits for nothing and has no
 * reply queued, room to write when it has. -1: close it.
 */
static int
client_arm(struct loop *l, struct client *c)
{
	struct epoll_event ev;
	uint32_t want;

	want = c->outoff < c->outlen ? EPOLLOUT : c->wait == NULL ? EPOLLIN : 0;
	if (want == c->armed)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(l->ep, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		logmsg("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	c->armed = want;
	return 0;
}

/* c's wait ended: its next requests are taken after this wake-up's events */
static void
client_resume(struct loop *l, struct client *c)
{
	if (c->resume)
		return;
	c->resume = 1;
	c->next_resume = l->resume;
	l->resume = c;
}

/* write a reply now, or queue what the socket does not take; -1: close it */
static int
reply(struct client *c, const char *text)
{
	char stack[8300], *buf;
	size_t len = strlen(text), n, off = 0;
	ssize_t w;

	if (len > REPLY_MAX)
		len = REPLY_MAX;
	if (!c->ctl)
		switch (text[0]) {
		case 'O':
			counters[strncmp(text, "OK dane", 7) == 0 ? C_OK_DANE :
			    C_OK_SECURE]++;
			break;
		case 'N': counters[C_NOTFOUND]++; break;
		case 'T': counters[C_TEMP]++; break;
		case 'P': counters[C_PERM]++; break;
		}
	if (c->outlen == 0 && len + 16 <= sizeof(stack)) {
		/* nothing queued: straight to the socket */
		if ((n = ns_format(stack, sizeof(stack), text, len)) == 0)
			return -1;
		while (off < n) {
			w = write(c->fd, stack + off, n - off);
			if (w == -1 && errno == EINTR)
				continue;
			if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			if (w <= 0)
				return -1;
			off += (size_t)w;
		}
		if (off == n)
			return 0;
		if ((c->out = malloc(n - off)) == NULL)
			return -1;
		memcpy(c->out, stack + off, n - off);
		c->outlen = n - off;
		c->outoff = 0;
		return 0;
	}
	if ((buf = realloc(c->out, c->outlen + len + 16)) == NULL)
		return -1;
	c->out = buf;
	if ((n = ns_format(c->out + c->outlen, len + 16, text, len)) == 0)
		return -1;
	c->outlen += n;
	while (c->outoff < c->outlen) {
		w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w <= 0)
			return -1;
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* ---- lookups ----------------------------------------------------------------- */

static void
submit(struct loop *l, struct entry *e, int refetch, int background)
{
	struct job *j;

	if (e->busy)
		return;
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		logmsg("%s: out of memory for a lookup", e->domain);
		return;
	}
	(void)snprintf(j->domain, sizeof(j->domain), "%s", e->domain);
	if (e->expires > l->now && e->patterns != NULL)
		memcpy(j->old_id, e->id, sizeof(j->old_id));
	j->refetch = refetch || (e->expires > l->now &&
	    (unsigned long)(e->expires - l->now) <= e->max_age / 4);
	e->busy = 1;
	j->background = background;
	if (background) {
		l->background++;
		counters[C_REFRESH]++;
	}
	counters[C_FETCH]++;
	workers_submit(l->w, j);
}

/* answer c about e (known now) */
static int
respond(struct loop *l, struct client *c, const struct entry *e)
{
	char out[8192];

	if (c->ctl)
		ctl_show(e, l->now, out, sizeof(out));
	else {
		answer(c->mode, l->o->conf->resolve_policy_attributes, e,
		    l->now, out, sizeof(out));
		if (out[0] == 'T' && c->mode == STS_OUT_REQUIRE)
			logmsg("%s: deferred: %s", e->domain, out + 5);
	}
	return reply(c, out);
}

static char *
join(const struct sts_strlist *l)
{
	size_t i, n = 1;
	char *s;

	for (i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	if ((s = malloc(n)) == NULL)
		return NULL;
	s[0] = '\0';
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(s, ":");
		strcat(s, l->v[i]);
	}
	return s;
}

static int
split(const char *s, struct sts_strlist *l)
{
	const char *p = s, *c;

	while (*p != '\0') {
		c = strchr(p, ':');
		if (sts_strlist_addn(l, p, c ? (size_t)(c - p) : strlen(p)) == -1)
			return -1;
		if (c == NULL)
			break;
		p = c + 1;
	}
	return 0;
}

static void
apply(struct loop *l, struct job *j)
{
	struct entry *e;
	struct client *c, *next;
	char match[4096], *s;
	struct sts_strlist pats = { 0 };

	if ((e = cache_add(l->cache, j->domain)) == NULL) {
		logmsg("%s: out of memory for the cache", j->domain);
		return;
	}
	counters[C_FETCH_NONE + j->res]++;
	if (j->background && l->background > 0)
		l->background--;
	e->busy = 0;
	e->checked = l->now;
	e->last = (unsigned char)j->res;
	free(e->why);
	e->why = j->why[0] ? strdup(j->why) : NULL;
	if (j->res == R_STS && !j->same) {
		if ((s = join(&j->pol.mx)) == NULL || (e->match = (free(e->match),
		    strdup(j->match))) == NULL) {
			free(s);
			logmsg("%s: out of memory for the cache", j->domain);
		} else {
			free(e->patterns);
			e->patterns = s;
			memcpy(e->id, j->id, sizeof(e->id));
			e->mode = (unsigned char)j->pol.mode;
			e->max_age = j->pol.max_age;
			e->fetched = l->now;
			e->expires = l->now + (time_t)j->pol.max_age;
			if (cache_save(l->cache, e) == -1)
				logmsg("%s: cannot write the cache file: %s",
				    e->domain, strerror(errno));
			logmsg("%s: policy id %s, mode %s, max_age %lu, mx %s%s%s",
			    e->domain, e->id, sts_mode_name(j->pol.mode),
			    j->pol.max_age, e->patterns,
			    j->pol.mode == STS_MODE_ENFORCE ? ", Postfix accepts " : "",
			    j->pol.mode == STS_MODE_ENFORCE ? e->match : "");
		}
	} else if (j->res == R_STS && j->mx_ok && e->patterns != NULL) {
		/* same policy: the MX hosts may have changed */
		if (split(e->patterns, &pats) == 0 &&
		    match_list(&pats, &j->mx, match, sizeof(match)) == 0 &&
		    (e->match == NULL || strcmp(match, e->match) != 0) &&
		    (s = strdup(match)) != NULL) {
			free(e->match);
			e->match = s;
			(void)cache_save(l->cache, e);
			logmsg("%s: MX hosts changed, Postfix accepts %s",
			    e->domain, e->match);
		}
		sts_strlist_free(&pats);
	} else if (j->res != R_STS) {
		if (e->expires > l->now && j->res != R_DANE && j->res != R_DANE_TEMP)
			logmsg("%s: refresh failed, the cached policy id %s holds "
			    "until it expires (RFC 8461 section 5.1): %s",
			    e->domain, e->id, j->why);
		else if (j->res == R_DANE)
			logmsg("%s: DANE (TLSA records vouched for by the "
			    "resolver): dane", e->domain);
		else if (j->res != R_NONE)
			logmsg("%s: %s", e->domain, j->why);
	}
	for (c = e->waiters, e->waiters = NULL; c != NULL; c = next) {
		next = c->next_waiter;
		c->wait = NULL;
		c->next_waiter = NULL;
		if (respond(l, c, e) == -1)
			client_close(l, c->idx);
		else
			client_resume(l, c);
	}
	job_free(j);
}

/* ---- requests ----------------------------------------------------------------- */

/* 1 answered, 0 waiting, -1 close */
static int
request(struct loop *l, struct client *c, const char *req, size_t len)
{
	const char *sp, *key;
	char out[8192];
	struct entry *e;
	size_t nlen;

	counters[C_REQ]++;
	c->ctl = 0;
	if ((sp = memchr(req, ' ', len)) == NULL)
		return reply(c, "PERM request is not 'name key'") == -1 ? -1 : 1;
	nlen = (size_t)(sp - req);
	key = sp + 1;
	c->ctl = 0;
	if (nlen > 4 && strncmp(req, "ctl-", 4) == 0) {
		c->ctl = 's';
		/* only root and the daemon's user, on a unix socket (ctl.c) */
		if (!ctl_allowed(c->fd, req, len, out, sizeof(out)))
			return reply(c, out) == -1 ? -1 : 1;
		if (key_domain(key, len - nlen - 1, c->domain, sizeof(c->domain)) == -1)
			return reply(c, "PERM not a domain") == -1 ? -1 : 1;
		e = cache_get(l->cache, c->domain);
		if (nlen == 8 && strncmp(req, "ctl-show", 8) == 0) {
			if (e == NULL)
				return reply(c, "NOTFOUND ") == -1 ? -1 : 1;
			ctl_show(e, l->now, out, sizeof(out));
			return reply(c, out) == -1 ? -1 : 1;
		}
		if (nlen == 8 && strncmp(req, "ctl-drop", 8) == 0) {
			int had = e != NULL;

			cache_drop(l->cache, c->domain);
			logmsg("%s: dropped from the cache by request", c->domain);
			return reply(c, had ? "OK dropped" : "NOTFOUND ") == -1 ? -1 : 1;
		}
		if (nlen == 11 && strncmp(req, "ctl-refresh", 11) == 0) {
			if ((e = cache_add(l->cache, c->domain)) == NULL)
				return reply(c, "TEMP out of memory") == -1 ? -1 : 1;
			c->ctl = 'r';
			goto wait;
		}
		return reply(c, "PERM unknown ctl- request") == -1 ? -1 : 1;
	}
	if (key_domain(key, len - nlen - 1, c->domain, sizeof(c->domain)) == -1)
		return reply(c, "NOTFOUND ") == -1 ? -1 : 1;
	c->mode = rules_mode(l->o->rules, c->domain, l->o->conf->outbound);
	if (c->mode == STS_OUT_DISABLE)
		return reply(c, "NOTFOUND ") == -1 ? -1 : 1;
	e = cache_get(l->cache, c->domain);
	if (e != NULL && answer_ready(e, l->now)) {
		counters[C_HIT]++;
		if (answer_stale(e, l->now) && l->background < BACKGROUND_MAX)
			submit(l, e, 0, 1);
		return respond(l, c, e) == -1 ? -1 : 1;
	}
	counters[C_MISS]++;
	if (e == NULL && (e = cache_add(l->cache, c->domain)) == NULL)
		return reply(c, "TEMP out of memory") == -1 ? -1 : 1;
 wait:
	c->wait = e;
	c->since = l->now;
	c->next_waiter = e->waiters;
	e->waiters = c;
	if (e->busy && c->ctl == 'r')
		return 0;	/* the lookup out now answers it */
	if (!e->busy)
		submit(l, e, c->ctl == 'r', 0);
	return 0;
}

/*
 * answer the complete requests in c->in, up to one that has to wait for
 * a lookup or a reply the socket did not take; -1: close it (a request
 * that is not a netstring is counted and answered "PERM malformed
 * request" first)
 */
static int
client_requests(struct loop *l, struct client *c)
{
	size_t off, plen, used;
	const char *why = NULL;
	int rc;

	while (c->wait == NULL && c->inlen > 0 && c->outoff >= c->outlen) {
		rc = ns_parse(c->in, c->inlen, REQ_MAX, &off, &plen, &used, &why);
		if (rc == -1) {
			counters[C_BAD]++;
			(void)reply(c, "PERM malformed request");
			return -1;
		}
		if (rc == 0)
			break;
		rc = request(l, c, c->in + off, plen);
		if ((c->inlen -= used) > 0)
			memmove(c->in, c->in + used, c->inlen);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* take what the client sent; -1: close it */
static int
client_read(struct loop *l, struct client *c)
{
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0)
		return -1;
	c->inlen += (size_t)n;
	c->since = l->now;
	return client_requests(l, c);
}

/* ---- counters ------------------------------------------------------------------ */

static void
metrics_write(struct loop *l)
{
	char tmp[PATH_MAX];
	FILE *f;
	size_t i;

	if (l->o->metrics == NULL ||
	    (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", l->o->metrics) >= sizeof(tmp))
		return;
	if ((f = fopen(tmp, "w")) == NULL) {
		logmsg("%s: %s", tmp, strerror(errno));
		return;
	}
	for (i = 0; i < NCOUNTERS; i++) {
		if (i == C_FETCH)
			continue;	/* the sum of the labelled ones */
		if (counter_names[i].help != NULL)
			fprintf(f, "# HELP %s %s\n# TYPE %s counter\n",
			    counter_names[i].name, counter_names[i].help,
			    counter_names[i].name);
		if (counter_names[i].label != NULL)
			fprintf(f, "%s{result=\"%s\"} %llu\n", counter_names[i].name,
			    counter_names[i].label, counters[i]);
		else
			fprintf(f, "%s %llu\n", counter_names[i].name, counters[i]);
	}
	fprintf(f, "# HELP mta_sts_resolve_cache_entries domains in the cache\n"
	    "# TYPE mta_sts_resolve_cache_entries gauge\n"
	    "mta_sts_resolve_cache_entries %zu\n", cache_count(l->cache));
	fprintf(f, "# HELP mta_sts_resolve_connections connections open\n"
	    "# TYPE mta_sts_resolve_connections gauge\n"
	    "mta_sts_resolve_connections %zu\n", l->ncl);
	if (fclose(f) == EOF || rename(tmp, l->o->metrics) == -1)
		logmsg("%s: %s", l->o->metrics, strerror(errno));
}

/* ---- the loop ------------------------------------------------------------------- */

static void
tick(struct loop *l)
{
	struct entry *e;
	size_t i, n;
	char err[STS_ERR_MAX];

	/* waits that take too long, slow and idle clients */
	for (i = 0; i < l->ncl; ) {
		struct client *c = l->cl[i];

		if (c->wait != NULL && l->now - c->since >= WAIT_SECS) {
			char out[600];

			counters[C_TIMEOUT]++;
			(void)snprintf(out, sizeof(out), "TEMP %s: the lookup takes "
			    "more than %d s", c->domain, WAIT_SECS);
			{
				struct client **pp;

				for (pp = &c->wait->waiters; *pp != NULL;
				    pp = &(*pp)->next_waiter)
					if (*pp == c) {
						*pp = c->next_waiter;
						break;
					}
				c->wait = NULL;
			}
			if (reply(c, out) == -1) {
				client_close(l, i);
				continue;
			}
			client_resume(l, c);
		}
		if (c->wait == NULL && ((c->inlen > 0 && l->now - c->since >=
		    PARTIAL_SECS) || l->now - c->since >= IDLE_SECS)) {
			client_close(l, i);
			continue;
		}
		i++;
	}
	/* policies close to expiry: fetched again before they expire */
	for (n = 0; n < SWEEP_SLOTS && l->background < BACKGROUND_MAX; n++) {
		if ((e = cache_next(l->cache, &l->cursor)) == NULL)
			break;
		if (e->expires > l->now && e->patterns != NULL && !e->busy &&
		    (unsigned long)(e->expires - l->now) <= e->max_age / 4 &&
		    answer_stale(e, l->now))
			submit(l, e, 1, 1);
	}
	if (cache_sync(l->cache) == -1)
		logmsg("the cache file: fdatasync: %s", strerror(errno));
	if (l->now % 60 == 0 && cache_compact(l->cache, 0, err, sizeof(err)) == -1)
		logmsg("%s", err);
	if (l->now % 10 == 0)
		metrics_write(l);
}

/* room for every client, signals that stop the loop, listeners non-blocking */
static void
server_prepare(const struct server_opts *o)
{
	struct sigaction sa;
	struct rlimit rl;
	size_t i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < CLIENTS_MAX + 64) {
		rl.rlim_cur = rl.rlim_max < CLIENTS_MAX + 64 ? rl.rlim_max :
		    CLIENTS_MAX + 64;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = server_stop;	/* no SA_RESTART: epoll_wait returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < o->nfds; i++)
		(void)fcntl(o->fds[i], F_SETFL, fcntl(o->fds[i], F_GETFL) | O_NONBLOCK);
}

/* one epoll event for client c: write, read, answer or close */
static void
loop_client(struct loop *l, struct client *c, uint32_t re)
{
	ssize_t w;

	if (c->fd == -1)
		return;		/* closed by an event before this one */
	/*
	 * an error, or gone while it waits for a lookup or for room to
	 * write (nobody can read the answer); gone with nothing owed to it:
	 * read what it sent, then the end
	 */
	if ((re & EPOLLERR) || ((re & EPOLLHUP) && (c->wait != NULL ||
	    c->outoff < c->outlen))) {
		client_close(l, c->idx);
		return;
	}
	if ((re & EPOLLOUT) && c->outoff < c->outlen) {
		w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w == -1 && errno != EAGAIN && errno != EINTR) {
			client_close(l, c->idx);
			return;
		}
		if (w > 0 && (c->outoff += (size_t)w) == c->outlen) {
			c->outoff = c->outlen = 0;
			/* the requests read while the reply waited */
			if (client_requests(l, c) == -1) {
				client_close(l, c->idx);
				return;
			}
		}
	}
	if ((re & (EPOLLIN | EPOLLHUP)) && c->wait == NULL &&
	    c->outoff >= c->outlen && client_read(l, c) == -1) {
		client_close(l, c->idx);
		return;
	}
	if (client_arm(l, c) == -1)
		client_close(l, c->idx);
}

/* the clients whose wait ended: their requests read meanwhile */
static void
loop_resume(struct loop *l)
{
	struct client *c;

	while ((c = l->resume) != NULL) {
		l->resume = c->next_resume;
		c->resume = 0;
		c->next_resume = NULL;
		if (c->fd == -1)
			continue;
		if (client_requests(l, c) == -1 || client_arm(l, c) == -1)
			client_close(l, c->idx);
	}
}

/* new clients on listener fd, up to CLIENTS_MAX */
static void
loop_accept(struct loop *l, int lfd)
{
	struct epoll_event ev;
	int fd;

	while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		struct client *c;

		counters[C_CONN]++;
		if (l->ncl == CLIENTS_MAX || (c = calloc(1, sizeof(*c))) == NULL) {
			counters[C_REFUSED]++;
			close(fd);
			continue;
		}
		c->fd = fd;
		c->since = l->now;
		c->armed = EPOLLIN;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			logmsg("epoll_ctl: %s", strerror(errno));
			counters[C_REFUSED]++;
			close(fd);
			free(c);
			continue;
		}
		c->idx = l->ncl;
		l->cl[l->ncl++] = c;
	}
}

/* the wake pipe and the listeners in the epoll set: data.u64 0 and 1 + i */
static int
loop_listen(struct loop *l, int wake)
{
	struct epoll_event ev;
	size_t i;

	if ((l->ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		logmsg("epoll_create1: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i <= l->o->nfds; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = i;
		if (epoll_ctl(l->ep, EPOLL_CTL_ADD, i == 0 ? wake :
		    l->o->fds[i - 1], &ev) == -1) {
			logmsg("epoll_ctl: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
server_run(struct server_opts *o, struct cache *cache)
{
	struct loop *l = NULL;
	struct epoll_event evs[EVENTS_MAX];
	struct job *j;
	char err[STS_ERR_MAX], buf[256];
	int wake[2] = { -1, -1 }, rc = 1, n, k, woken;
	time_t last_tick = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		logmsg("out of memory");
		goto out;
	}
	l->o = o;
	l->cache = cache;
	l->ep = -1;
	if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) == -1) {
		logmsg("pipe: %s", strerror(errno));
		goto out;
	}
	if (loop_listen(l, wake[0]) == -1)
		goto out;
	if ((l->w = workers_start(o->conf, o->threads, wake[1], err,
	    sizeof(err))) == NULL) {
		logmsg("%s", err);
		goto out;
	}
	server_prepare(o);
	while (!stop) {
		if ((n = epoll_wait(l->ep, evs, EVENTS_MAX, 1000)) == -1) {
			if (errno != EINTR) {
				logmsg("epoll_wait: %s", strerror(errno));
				goto out;
			}
			n = 0;
		}
		l->now = time(NULL);
		woken = 0;
		for (k = 0; k < n; k++) {
			if (evs[k].data.u64 == 0)
				woken = 1;
			else if (evs[k].data.u64 <= o->nfds)
				loop_accept(l, o->fds[evs[k].data.u64 - 1]);
			else
				loop_client(l, evs[k].data.ptr, evs[k].events);
		}
		if (woken) {
			while (read(wake[0], buf, sizeof(buf)) > 0)
				;
			while ((j = workers_done(l->w)) != NULL)
				apply(l, j);
		}
		if (l->now != last_tick) {
			last_tick = l->now;
			tick(l);
		}
		loop_resume(l);
		clients_free(l);
	}
	logmsg("stopping");
	rc = 0;
 out:
	workers_stop(l ? l->w : NULL);
	if (l != NULL) {
		while (l->ncl > 0)
			client_close(l, l->ncl - 1);
		clients_free(l);
		metrics_write(l);
		if (l->ep != -1)
			close(l->ep);
	}
	if (wake[0] != -1) {
		close(wake[0]);
		close(wake[1]);
	}
	free(l);
	return rc;
}
