/* SPDX-License-Identifier: ISC */
/*
 * The responses and the table requests look domains up in.
 *
 * Every policy is rendered when its file is read, as a complete CGI
 * response (headers and body); identical responses are interned, stored
 * once, so a hundred thousand domains that share a certificate store
 * share one buffer. Requests look the domain up in an immutable
 * open-addressing table (FNV-1a, at most half full) under a read lock and
 * copy the bytes out; the reload poll builds a new table and swaps it in
 * under the write lock, then frees what only the old one used.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"
#include "util.h"

#define INTERN_MIN	64
#define TABLE_MIN	16

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

static pthread_rwlock_t	 tlock = PTHREAD_RWLOCK_INITIALIZER;
static struct table	*cur;			/* under tlock */

int
ptrvec_add(struct ptrvec *pv, void *p)
{
	void	**nv;

	if ((nv = sts_grow(pv->v, pv->n, &pv->cap, sizeof(*nv), 64)) == NULL)
		return -1;
	pv->v = nv;
	pv->v[pv->n++] = p;
	return 0;
}

/* ---- what a reload frees ------------------------------------------------ */

void
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

void
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

/* ---- interning ---------------------------------------------------------- */

static int
intern_grow(struct intern *it)
{
	struct resp	**nt = NULL, *r, *next;
	size_t		  ncap, i, b;

	ncap = it->tab ? (it->mask + 1) * 2 : INTERN_MIN;
	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; it->tab && i <= it->mask; i++)
		for (r = it->tab[i]; r; r = next) {
			next = r->next;
			b = r->hash & (ncap - 1);
			r->next = nt[b];
			nt[b] = r;
		}
	free(it->tab);
	it->tab = nt;
	it->mask = ncap - 1;
	return 0;
}

struct resp *
intern_add(struct intern *it, const char *text, size_t textlen)
{
	struct resp	*r = NULL;
	char		 head[256];
	uint64_t	 h;
	int		 hl;
	size_t		 b;

	h = sts_hash(text, textlen);
	if (it->tab != NULL)
		for (r = it->tab[h & it->mask]; r; r = r->next)
			if (r->hash == h && r->len - r->headlen == textlen &&
			    memcmp(r->buf + r->headlen, text, textlen) == 0) {
				r->refs++;
				return r;
			}
	if ((it->tab == NULL || it->count >= it->mask + 1) &&
	    intern_grow(it) == -1)
		return NULL;
	if ((hl = http_head(head, sizeof(head), "200 OK", "", textlen)) == -1)
		return NULL;
	if ((r = malloc(sizeof(*r) + hl + textlen)) == NULL)
		return NULL;
	r->hash = h;
	r->refs = 1;
	r->headlen = hl;
	r->len = hl + textlen;
	memcpy(r->buf, head, hl);
	memcpy(r->buf + hl, text, textlen);
	b = h & it->mask;
	r->next = it->tab[b];
	it->tab[b] = r;
	it->count++;
	return r;
}

void
intern_unref(struct intern *it, struct resp *r, struct ptrvec *garbage)
{
	struct resp	**pp;

	if (r == NULL || --r->refs > 0)
		return;
	for (pp = &it->tab[r->hash & it->mask]; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	it->count--;
	if (ptrvec_add(garbage, r) == -1)
		logmsg("out of memory: leaking %zu bytes", r->len);
}

void
intern_free(struct intern *it)
{
	struct resp	*r, *next;
	size_t		 i;

	for (i = 0; it->tab != NULL && i <= it->mask; i++)
		for (r = it->tab[i]; r; r = next) {
			next = r->next;
			free(r);
		}
	free(it->tab);
	memset(it, 0, sizeof(*it));
}

/* ---- the lookup table --------------------------------------------------- */

struct table *
table_build(struct dfile *const *fv, size_t n, const char *dir,
    struct sts_strlist *warnings)
{
	struct table	*t = NULL;
	size_t		 cap = TABLE_MIN, i, j, used = 0;
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
		h = sts_hash(fv[i]->name, strlen(fv[i]->name));
		for (j = h & t->mask; t->slot[j].name != NULL;
		    j = (j + 1) & t->mask)
			if (t->slot[j].hash == h &&
			    strcmp(t->slot[j].name, fv[i]->name) == 0)
				break;
		if (t->slot[j].name != NULL) {
			snprintf(msg, sizeof(msg), "%s/%s: domain %s is "
			    "already served from another file; ignored",
			    dir, fv[i]->fname, fv[i]->name);
			if (sts_strlist_add(warnings, msg) == -1)
				logmsg("%s", msg);
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

void
table_swap(struct table *t)
{
	struct table	*old;

	pthread_rwlock_wrlock(&tlock);
	old = cur;
	cur = t;
	pthread_rwlock_unlock(&tlock);
	free(old);
}

int
table_live(void)
{
	int	 live;

	pthread_rwlock_rdlock(&tlock);
	live = cur != NULL;
	pthread_rwlock_unlock(&tlock);
	return live;
}

int
table_lookup(void *arg, const char *domain, struct resp_copy *out)
{
	const struct table	*t;
	const struct resp	*r = NULL;
	uint64_t		 h;
	size_t			 j;
	int			 ret = 0;

	(void)arg;
	h = sts_hash(domain, strlen(domain));
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
		ret = resp_set(out, r->buf, r->headlen, r->buf + r->headlen,
		    r->len - r->headlen) == -1 ? -1 : 1;
	pthread_rwlock_unlock(&tlock);
	return ret;
}
