/* SPDX-License-Identifier: ISC */
/*
 * answer.c: what Postfix is told about a destination, from what the cache
 * knows now (never the network): the outbound mode (the global one, or a
 * rule of the outbound-rules file), DANE first, then the policy; the
 * list of names Postfix's "secure" level may accept; the keys Postfix
 * sends, as domains.
 *
 * Postfix cannot express RFC 8461's "*.example.com" (one label) in
 * match=: its ".example.com" matches any number of labels. So the match
 * list holds the exact patterns, and every MX host of the domain that a
 * wildcard pattern covers, by name; an MX host outside the patterns
 * (a.b.example.com) is not listed, its certificate does not verify, and
 * Postfix does not deliver to it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resolve.h"

const char *
result_name(enum result r)
{
	static const char *const names[] = { "none", "sts", "fail", "temp",
	    "dane", "dane-temp" };

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* ---- rules ------------------------------------------------------------------ */

struct rule {
	char			*name;	/* "example.com" or ".example.com" */
	enum sts_outbound	 mode;
};

struct rules {
	struct rule	*v;
	size_t		 n;
};

static int
rule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rule *)a)->name, ((const struct rule *)b)->name);
}

void
rules_free(struct rules *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->v[i].name);
	free(r->v);
	free(r);
}

struct rules *
rules_load(const char *path, char *err, size_t errlen)
{
	struct rules *r = NULL;
	FILE *f = NULL;
	char line[1024], host[STS_HOST_MAX + 3], e[STS_ERR_MAX], *p, *name,
	    *mode, *extra, *save = NULL;
	unsigned lineno = 0;
	size_t cap = 0, i;
	enum sts_outbound m;
	int dot;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		(void)sts_err(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		(void)sts_err(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			(void)sts_err(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		name = strtok_r(line, " \t\r\n", &save);
		if (name == NULL)
			continue;
		mode = strtok_r(NULL, " \t\r\n", &save);
		extra = mode ? strtok_r(NULL, " \t\r\n", &save) : NULL;
		if (mode == NULL || extra != NULL) {
			(void)sts_err(err, errlen, "%s:%u: expected 'domain mode' "
			    "(mode: optional, require or disable)", path, lineno);
			goto fail;
		}
		if (sts_outbound_parse(mode, &m) == -1) {
			sts_escape(e, sizeof(e), mode, strlen(mode));
			(void)sts_err(err, errlen, "%s:%u: mode '%s' is not valid "
			    "(expected optional, require or disable)", path,
			    lineno, e);
			goto fail;
		}
		dot = name[0] == '.';
		if (sts_host_to_alabel(name + dot, 0, host + 1, sizeof(host) - 1,
		    e, sizeof(e)) == -1) {
			(void)sts_err(err, errlen, "%s:%u: %s", path, lineno, e);
			goto fail;
		}
		host[0] = '.';
		for (i = 0; i < r->n; i++)
			if (strcmp(r->v[i].name, host + !dot) == 0) {
				(void)sts_err(err, errlen, "%s:%u: %s is already "
				    "given a mode above", path, lineno, host + !dot);
				goto fail;
			}
		if (r->n == cap) {
			struct rule *nv;

			cap = cap ? cap * 2 : 16;
			if ((nv = realloc(r->v, cap * sizeof(*nv))) == NULL)
				goto nomem;
			r->v = nv;
		}
		if ((r->v[r->n].name = strdup(host + !dot)) == NULL)
			goto nomem;
		r->v[r->n++].mode = m;
	}
	if (ferror(f)) {
		(void)sts_err(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	if (r->n > 0)
		qsort(r->v, r->n, sizeof(*r->v), rule_cmp);
	return r;
 nomem:
	(void)sts_err(err, errlen, "%s:%u: out of memory", path, lineno);
 fail:
	if (f != NULL)
		fclose(f);
	rules_free(r);
	return NULL;
}

static const struct rule *
rule_find(const struct rules *r, const char *name)
{
	struct rule k;

	k.name = (char *)(uintptr_t)name;
	return bsearch(&k, r->v, r->n, sizeof(*r->v), rule_cmp);
}

enum sts_outbound
rules_mode(const struct rules *r, const char *domain, enum sts_outbound dflt)
{
	const struct rule *hit;
	const char *p;

	if (r == NULL || r->n == 0)
		return dflt;
	if ((hit = rule_find(r, domain)) != NULL)
		return hit->mode;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.'))
		if ((hit = rule_find(r, p)) != NULL)
			return hit->mode;
	return dflt;
}

/* ---- the match list ------------------------------------------------------------ */

static int
add_name(char *out, size_t outlen, size_t *o, const char *name)
{
	const char *p = out;
	size_t n = strlen(name);
	int k;

	/* already there? */
	while (*o > 0 && p < out + *o) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);

		if (len == n && strncasecmp(p, name, n) == 0)
			return 0;
		if (c == NULL)
			break;
		p = c + 1;
	}
	k = snprintf(out + *o, outlen - *o, "%s%s", *o ? ":" : "", name);
	if (k < 0 || (size_t)k >= outlen - *o)
		return -1;
	*o += (size_t)k;
	return 0;
}

int
match_list(const struct sts_strlist *pats, const struct sts_strlist *mx,
    char *out, size_t outlen)
{
	size_t i, j, o = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < pats->n; i++)
		if (strncmp(pats->v[i], "*.", 2) != 0 &&
		    add_name(out, outlen, &o, pats->v[i]) == -1)
			return -1;
	for (j = 0; mx != NULL && j < mx->n; j++)
		for (i = 0; i < pats->n; i++)
			if (strncmp(pats->v[i], "*.", 2) == 0 &&
			    sts_mx_match(pats->v[i], mx->v[j])) {
				if (add_name(out, outlen, &o, mx->v[j]) == -1)
					return -1;
				break;
			}
	return 0;
}

/* ---- the answer ------------------------------------------------------------------- */

int
answer_ready(const struct entry *e, time_t now)
{
	time_t age = now - e->checked;

	if (e->checked == 0)
		return 0;		/* never looked up */
	switch ((enum result)e->last) {
	case R_DANE:
	case R_DANE_TEMP:
		return age < (e->last == R_DANE ? NEG_SECS : TEMP_SECS);
	default:
		break;
	}
	if (e->expires > now)
		return 1;		/* the cached policy holds */
	switch ((enum result)e->last) {
	case R_NONE:
	case R_FAIL:
		return age < NEG_SECS;
	case R_TEMP:
		return age < TEMP_SECS;
	default:
		return 0;
	}
}

int
answer_stale(const struct entry *e, time_t now)
{
	time_t age = now - e->checked, retry;

	if (e->busy)
		return 0;
	if (age >= FRESH_SECS)
		return 1;
	if (e->expires > now && e->last != R_DANE &&
	    (unsigned long)(e->expires - now) <= e->max_age / 4) {
		/* close to its end: fetch it again, a failure retried soon */
		retry = (time_t)(e->max_age / 16);
		return age >= (retry < 1 ? 1 : retry > FRESH_SECS ? FRESH_SECS : retry);
	}
	return 0;
}

/* why the entry has no policy, escaped (only for the TEMP answers) */
#define WHY(e, buf)	sts_escape((buf), sizeof(buf), (e)->why ? (e)->why : \
			    "no MTA-STS policy", (e)->why ? strlen((e)->why) : 17)

/*
 * Postfix 3.10's attributes for an MTA-STS answer (TLSRPT_README,
 * "MTA-STS Support via smtp_tls_policy_maps"), appended to out: the
 * policy's type, domain, each mx pattern, and the policy itself, one
 * policy_string per line as RFC 8460 section 4.4 reports it. -1 when it
 * does not fit (out is then cut back to what it was).
 */
static int
attrs_add(const struct entry *e, const char *failure, char *out, size_t outlen)
{
	size_t o = strlen(out), start = o;
	const char *p, *c;
	int k;

#define ADD(...) do { \
	k = snprintf(out + o, outlen - o, __VA_ARGS__); \
	if (k < 0 || (size_t)k >= outlen - o) \
		goto full; \
	o += (size_t)k; \
} while (0)
	ADD(" policy_type=sts policy_domain=%s", e->domain);
	for (p = e->patterns; *p != '\0'; p = c + 1) {
		c = strchr(p, ':');
		ADD(" mx_host_pattern=%.*s", (int)(c ? (size_t)(c - p) : strlen(p)), p);
		if (c == NULL)
			break;
	}
	ADD(" { policy_string = version: STSv1 } { policy_string = mode: %s }",
	    sts_mode_name((enum sts_mode)e->mode));
	for (p = e->patterns; *p != '\0'; p = c + 1) {
		c = strchr(p, ':');
		ADD(" { policy_string = mx: %.*s }",
		    (int)(c ? (size_t)(c - p) : strlen(p)), p);
		if (c == NULL)
			break;
	}
	ADD(" { policy_string = max_age: %lu }", e->max_age);
	if (failure != NULL)
		ADD(" policy_failure=%s", failure);
#undef ADD
	return 0;
 full:
	out[start] = '\0';
	return -1;
}

/* an enforce policy none of whose MX hosts matches: Postfix 3.10 is told */
#define NOMATCH	"OK secure match=" NOMATCH_NAME " servername=hostname"

void
answer(enum sts_outbound mode, int attrs, const struct entry *e, time_t now,
    char *out, size_t outlen)
{
	char why[1024];

	if (mode == STS_OUT_DISABLE) {
		(void)snprintf(out, outlen, "NOTFOUND ");
		return;
	}
	if (e->last == R_DANE) {
		(void)snprintf(out, outlen, "OK dane");
		return;
	}
	if (e->last == R_DANE_TEMP) {
		(void)snprintf(out, outlen, "TEMP %s", WHY(e, why));
		return;
	}
	if (e->expires > now && e->patterns != NULL) {
		if (e->mode == STS_MODE_TESTING && attrs) {
			/* TLS when offered, never required: it never blocks */
			(void)snprintf(out, outlen, "OK may");
			if (attrs_add(e, NULL, out, outlen) == -1)
				(void)snprintf(out, outlen, "NOTFOUND ");
		} else if (e->mode != STS_MODE_ENFORCE)
			(void)snprintf(out, outlen, "NOTFOUND ");
		else if (e->match == NULL || e->match[0] == '\0') {
			/*
			 * Postfix 3.10 defers it and reports the failure
			 * (TLSRPT); the name under .invalid (RFC 6761)
			 * never verifies, even where policy_failure is
			 * not acted on
			 */
			if (!attrs || (size_t)snprintf(out, outlen, "%s", NOMATCH) >=
			    outlen || attrs_add(e, "validation-failure", out,
			    outlen) == -1)
				(void)snprintf(out, outlen, "TEMP %s: no MX host "
				    "matches the MTA-STS policy (mx %s)",
				    e->domain, e->patterns);
		} else if ((size_t)snprintf(out, outlen, "OK secure match=%s "
		    "servername=hostname", e->match) >= outlen)
			(void)snprintf(out, outlen, "TEMP %s: the match list is "
			    "too long", e->domain);
		else if (attrs)
			(void)attrs_add(e, NULL, out, outlen);
		return;
	}
	if (mode == STS_OUT_REQUIRE)
		(void)snprintf(out, outlen, "TEMP %s: outbound = require and no "
		    "valid MTA-STS policy: %s", e->domain, WHY(e, why));
	else
		(void)snprintf(out, outlen, "NOTFOUND ");
}

int
key_domain(const char *key, size_t len, char *out, size_t outlen)
{
	char buf[STS_HOST_MAX + 2], e[STS_ERR_MAX];
	size_t i;

	if (len == 0 || len > STS_HOST_MAX + 1 || memchr(key, '\0', len) != NULL)
		return -1;
	memcpy(buf, key, len);
	buf[len] = '\0';
	if (buf[len - 1] == '.')
		buf[--len] = '\0';
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x80)
			buf[i] = (char)tolower((unsigned char)buf[i]);
	if (len > 0 && sts_host_valid(buf, len)) {
		if (len >= outlen)
			return -1;
		memcpy(out, buf, len + 1);
		return 0;
	}
	for (i = 0; i < len; i++)	/* U-labels: to A-labels */
		if ((unsigned char)buf[i] >= 0x80)
			return sts_host_to_alabel(buf, 0, out, outlen, e,
			    sizeof(e)) == -1 ? -1 : 0;
	return -1;
}
