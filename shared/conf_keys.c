/* SPDX-License-Identifier: ISC */
/*
 * The configuration's keys: their table, and how a value of each is
 * checked and set (durations, host[:port], paths relative to the file,
 * modes with "did you mean", mx patterns, rua URIs, publish methods), with
 * the parser state and its messages ("FILE:LINE: ..."). conf.c reads the
 * lines and calls conf_apply for each; nothing here calls back into it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "conf_int.h"
#include "util.h"

/* All zero but dir, which is only emptied: 4 KiB per domain file. */
void
conf_parser_init(struct parser *p, const char *path, struct sts_settings *set,
    char *err, size_t errlen)
{
	memset(p, 0, offsetof(struct parser, dir));
	p->dir[0] = '\0';
	p->path = path;
	p->set = set;
	p->err = err;
	p->errlen = errlen;
}

int
conf_fail(struct parser *p, unsigned line, const char *fmt, ...)
{
	char	 msg[STS_ERR_MAX], path[STS_ERR_MAX / 2];
	va_list	 ap;

	if (p->err == NULL || p->errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sts_escape(path, sizeof(path), p->path, strlen(p->path));
	if (line > 0)
		snprintf(p->err, p->errlen, "%s:%u: %s", path, line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", path, msg);
	return -1;
}

/* an input string for a message, escaped and cut to a readable size */
const char *
conf_esc(char *buf, size_t len, const char *s)
{
	return sts_escape(buf, len, s, strlen(s));
}

const struct key conf_keys[NKEYS] = {
	[DOMAINS] =	{ "domains", K_PATH, 0, "a directory" },
	[CERTS] =	{ "certs", K_PATH, 1, "a directory or a glob" },
	[STATE] =	{ "state", K_PATH, 0, "a directory" },
	[MODE] =	{ "mode", K_MODE, 1, "none, testing or enforce" },
	[MAXAGE] =	{ "max-age", K_DURATION, 1,
	    "seconds, or a number with s, m, h, d or w, at most 31557600 seconds" },
	[MX] =		{ "mx", K_MX, 1, "host names or *.patterns" },
	[TLSRPT] =	{ "tlsrpt", K_URIS, 1, "mailto: or https: URIs" },
	[PUBLISH] =	{ "publish", K_PUBLISH, 2,
	    "none, rfc2136, hook or zonefile" },
	[DNSSERVER] =	{ "dns-server", K_HOSTPORT, 2, "host[:port]" },
	[TSIGKEY] =	{ "tsig-key", K_PATH, 2, "a key file" },
	[HOOK] =	{ "hook", K_CMD, 2, "a program" },
	[ZONEFILE] =	{ "zonefile", K_PATH, 0, "a zone file" },
	[RELOAD] =	{ "reload", K_CMD, 0, "a command" },
	[ZONE] =	{ "zone", K_ZONE, 2, "a DNS zone name" },
	[RESOLVER] =	{ "resolver", K_HOSTPORT, 0, "host[:port]" },
	[CAFILE] =	{ "ca-file", K_PATH, 0, "a PEM file" },
	[TIMEOUT] =	{ "timeout", K_TIMEOUT, 0, "seconds, 1 to 300" },
	[DOMAINTIMEOUT] = { "domain-timeout", K_DEADLINE, 0,
	    "seconds, or a number with s, m, h or d, 1 to 86400 seconds" },
	[RUNTIMEOUT] =	{ "run-timeout", K_DEADLINE, 0,
	    "seconds, or a number with s, m, h or d, 1 to 86400 seconds" },
	[REPORTKEEP] =	{ "report-keep", K_DAYS, 0, "days, 1 to 3650" },
	[REPORTS] =	{ "reports", K_PATH, 0, "a directory" },
	[IDZONE] =	{ "id-zone", K_ZONE, 2, "a zone name" },
	[TLSRPTZONE] =	{ "tlsrpt-zone", K_ZONE, 2, "a zone name" },
	[TLSRPTHOOK] =	{ "tlsrpt-hook", K_CMD, 2, "a program" },
	[WEBHOST] =	{ "web-host", K_ZONE, 2, "a host name" },
	[TLSANEXT] =	{ "tlsa-next", K_PATH, 0,
	    "a directory or a glob of PEM files (the next keys of the MX hosts)" },
	[OUTBOUND] =	{ "outbound", K_OUTBOUND, 0, "optional, require or disable" },
	[OUTBOUNDRULES] = { "outbound-rules", K_PATH, 0, "a file of 'domain mode' lines" },
	[RESOLVECACHE] = { "resolve-cache", K_PATH, 0, "a file" },
	[RESOLVESOCKET] = { "resolve-socket", K_SOCKET, 0,
	    "unix:/path or tcp:address:port" },
	[RESOLVEATTRS] = { "resolve-policy-attributes", K_BOOL, 0, "yes or no" },
};

static const char *const outbound_names[] = {
	[STS_OUT_OPTIONAL] = "optional",
	[STS_OUT_REQUIRE] = "require",
	[STS_OUT_DISABLE] = "disable",
};

const char *
sts_outbound_name(enum sts_outbound o)
{
	return (unsigned)o < 3 ? outbound_names[o] : "?";
}

int
sts_outbound_parse(const char *v, enum sts_outbound *o)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(v, outbound_names[i]) == 0) {
			*o = (enum sts_outbound)i;
			return 0;
		}
	return -1;
}

static const char *const publish_names[] = {
	[STS_PUBLISH_NONE] = "none",
	[STS_PUBLISH_RFC2136] = "rfc2136",
	[STS_PUBLISH_HOOK] = "hook",
	[STS_PUBLISH_ZONEFILE] = "zonefile",
};

/* ---- %z in zonefile and reload ---------------------------------------- */

int
conf_pct_z(const char *v, const char **bad)
{
	int	 z = 0;

	for (; *v != '\0'; v++) {
		if (*v != '%')
			continue;
		if (v[1] == 'z')
			z = 1;
		else if (v[1] != '%') {
			if (bad != NULL)
				*bad = v;
			return -1;
		}
		v++;
	}
	return z;
}

/* zonefile and reload: only %z and %% after a '%' */
static int
pct_check(struct parser *p, const struct key *key, const char *v)
{
	const char	*bad = NULL;
	char		 b[128], e[16];

	if (conf_pct_z(v, &bad) != -1)
		return 0;
	return conf_fail(p, p->line, "%s '%s': '%s' is not known (%%z is "
	    "the zone's name, %%%% a percent sign)", key->name,
	    conf_esc(b, sizeof(b), v), conf_esc(e, sizeof(e), bad[1] ==
	    '\0' ? "%" : (char[]){ '%', bad[1], '\0' }));
}

const char *
sts_publish_name(enum sts_publish p)
{
	return (size_t)p < sizeof(publish_names) / sizeof(publish_names[0]) ?
	    publish_names[p] : "none";
}

/* ---- durations -------------------------------------------------------- */

/* -1: not a duration, -2: above max */
static int
duration(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long	 v = 0, mul = 1;
	size_t		 i;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		if (v <= max)
			v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (s[i] != '\0') {
		switch (s[i]) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'w': mul = 604800; break;
		default: return -1;
		}
		if (s[i + 1] != '\0')
			return -1;
	}
	if (v > max || v > max / mul)
		return -2;
	*out = v * mul;
	return 0;
}

int
sts_duration_parse(const char *s, unsigned long *out)
{
	return duration(s, STS_MAX_AGE_MAX, out) == 0 ? 0 : -1;
}

/* ---- value checks ----------------------------------------------------- */

static int
port_valid(const char *s)
{
	unsigned long	v = 0;
	size_t		i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 5)
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return i > 0 && v > 0 && v <= 65535;
}

/* host[:port], [v6]:port, v6, v4[:port], "localhost" */
static int
hostport_valid(const char *s)
{
	char		 host[STS_HOST_MAX + 1];
	unsigned char	 a[16];
	const char	*c, *end;
	size_t		 n;

	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return 0;
		n = (size_t)(end - s - 1);
		if (n >= sizeof(host))
			return 0;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (inet_pton(AF_INET6, host, a) != 1)
			return 0;
		return end[1] == '\0' || (end[1] == ':' && port_valid(end + 2));
	}
	if ((c = strchr(s, ':')) != NULL && strchr(c + 1, ':') != NULL)
		return inet_pton(AF_INET6, s, a) == 1;
	n = c ? (size_t)(c - s) : strlen(s);
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, s, n);
	host[n] = '\0';
	if (c != NULL && !port_valid(c + 1))
		return 0;
	return inet_pton(AF_INET, host, a) == 1 || sts_host_valid(host, n) ||
	    strcmp(host, "localhost") == 0;
}

/* ---- setting values --------------------------------------------------- */

static int
set_str(struct parser *p, char **dst, const char *v)
{
	char	*s;

	if ((s = strdup(v)) == NULL)
		return conf_fail(p, p->line, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

static int
set_path(struct parser *p, char **dst, const char *v)
{
	char	buf[PATH_MAX];
	int	n;

	if (v[0] == '/')
		return set_str(p, dst, v);
	while (v[0] == '.' && v[1] == '/') {
		v += 2;
		while (v[0] == '/')
			v++;
	}
	if (v[0] == '\0' || strcmp(v, ".") == 0)
		return set_str(p, dst, p->dir);
	n = snprintf(buf, sizeof(buf), "%s%s%s", p->dir,
	    p->dir[strlen(p->dir) - 1] == '/' ? "" : "/", v);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return conf_fail(p, p->line, "path too long");
	return set_str(p, dst, buf);
}

/* directory of path, made absolute, into p->dir */
int
conf_file_dir(struct parser *p, const char *path)
{
	char		 cwd[PATH_MAX];
	const char	*slash, *d;
	size_t		 dlen;
	int		 n;

	slash = strrchr(path, '/');
	if (slash == path) {
		strcpy(p->dir, "/");
		return 0;
	}
	if (slash != NULL && path[0] == '/') {
		dlen = (size_t)(slash - path);
		if (dlen >= sizeof(p->dir))
			return conf_fail(p, 0, "path too long");
		memcpy(p->dir, path, dlen);
		p->dir[dlen] = '\0';
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return conf_fail(p, 0, "current directory: %s", strerror(errno));
	d = path;
	dlen = slash ? (size_t)(slash - path) : 0;
	while (dlen >= 2 && d[0] == '.' && d[1] == '/') {
		d += 2;
		dlen -= 2;
		while (dlen > 0 && d[0] == '/') {
			d++;
			dlen--;
		}
	}
	if (dlen == 0 || (dlen == 1 && d[0] == '.'))
		n = snprintf(p->dir, sizeof(p->dir), "%s", cwd);
	else
		n = snprintf(p->dir, sizeof(p->dir), "%s%s%.*s", cwd,
		    strcmp(cwd, "/") == 0 ? "" : "/", (int)dlen, d);
	if (n < 0 || (size_t)n >= sizeof(p->dir))
		return conf_fail(p, 0, "path too long");
	return 0;
}

/*
 * "did you mean 'enforce'? " for a mode that is almost right (another
 * case, a typo, enforcing, test), or "" when none is close.
 */
static const char *
mode_hint(const char *v, char *buf, size_t len)
{
	static const char *const modes[] = { "none", "testing", "enforce" };
	char		 low[33];
	const char	*best = NULL;
	size_t		 n = strlen(v), i, d, pre, bestd = 3;

	buf[0] = '\0';
	if (n >= sizeof(low))
		return buf;
	for (i = 0; i <= n; i++)
		low[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] - 'A' + 'a' :
		    v[i]);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		d = conf_distance(low, n, modes[i]);
		for (pre = 0; low[pre] != '\0' && low[pre] == modes[i][pre];
		    pre++)
			;
		if (pre >= 4 && d > 1)
			d = 1;		/* enforcing, enforcement, test */
		if (d < bestd) {
			bestd = d;
			best = modes[i];
		}
	}
	if (best != NULL)
		snprintf(buf, len, "did you mean '%s'? ", best);
	return buf;
}

/* A duration, timeout or deadline key (k) set to v. */
static int
apply_duration(struct parser *p, enum kid k, const char *v)
{
	const struct key	*key = &conf_keys[k];
	struct sts_conf		*c = p->conf;
	char			 b[128];
	unsigned long		 n, max;
	int			 rc;

	max = key->type == K_TIMEOUT ? TIMEOUT_MAX : key->type ==
	    K_DEADLINE ? DEADLINE_MAX : STS_MAX_AGE_MAX;
	rc = duration(v, max, &n);
	if (rc == 0 && key->type != K_DURATION && n == 0)
		rc = -3;
	if (rc == -2)
		return conf_fail(p, p->line, "%s '%s' is above %lu seconds",
		    key->name, conf_esc(b, sizeof(b), v), max);
	if (rc != 0)
		return conf_fail(p, p->line, "%s '%s' is not valid "
		    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
		    key->expect);
	if (key->type == K_TIMEOUT)
		c->timeout = (unsigned)n;
	else if (k == DOMAINTIMEOUT)
		c->domain_timeout = (unsigned)n;
	else if (k == RUNTIMEOUT)
		c->run_timeout = (unsigned)n;
	else
		p->set->max_age = n;
	return 0;
}

/* A list key (k: mx, tlsrpt) set to items, each checked; none: empty. */
static int
apply_list(struct parser *p, enum kid k, const struct sts_strlist *items)
{
	const struct key	*key = &conf_keys[k];
	struct sts_strlist	 l = { NULL, 0, 0 };
	char			 host[STS_HOST_MAX + 3], e[STS_ERR_MAX];
	const char		*v;
	size_t			 i;
	int			 ret = -1;

	for (i = 0; i < items->n; i++) {
		v = items->v[i];
		if (key->type == K_MX) {
			if (sts_host_to_alabel(v, 1, host, sizeof(host),
			    e, sizeof(e)) == -1) {
				conf_fail(p, p->line, "mx: %s", e);
				goto out;
			}
			v = host;
		} else if (sts_uri_check(v, strlen(v), 1, e,
		    sizeof(e)) == -1) {
			conf_fail(p, p->line, "%s", e);
			goto out;
		}
		if (sts_strlist_add(&l, v) == -1) {
			conf_fail(p, p->line, "out of memory");
			goto out;
		}
	}
	if (key->type == K_MX) {
		sts_strlist_sort_uniq(&l);
		sts_strlist_free(&p->set->mx);
		p->set->mx = l;
		p->set->mx_set = l.n > 0;
	} else {
		sts_strlist_free(&p->set->tlsrpt);
		p->set->tlsrpt = l;
	}
	memset(&l, 0, sizeof(l));
	ret = 0;
out:
	sts_strlist_free(&l);
	return ret;
}

/* A path or command key (k) set to v: the domain's, the run's or both. */
static int
apply_path(struct parser *p, enum kid k, const char *v)
{
	const struct key	*key = &conf_keys[k];
	struct sts_conf		*c = p->conf;
	int			 rc;

	if ((k == ZONEFILE || k == RELOAD) && pct_check(p, key, v) == -1)
		return -1;
	if (k == HOOK) {
		rc = set_str(p, &p->set->hook, v);
		if (rc == 0 && c != NULL)
			rc = set_str(p, &c->hook, v);
	} else if (k == TLSRPTHOOK)
		rc = set_str(p, &p->set->tlsrpt_hook, v);
	else if (k == TSIGKEY) {
		rc = set_path(p, &p->set->tsig_key, v);
		if (rc == 0 && c != NULL)
			rc = set_str(p, &c->tsig_key, p->set->tsig_key);
	} else if (key->type == K_CMD)
		rc = set_str(p, &c->reload, v);
	else if (k == CERTS)
		rc = set_path(p, &p->set->certs, v);
	else
		rc = set_path(p, k == DOMAINS ? &c->domains :
		    k == STATE ? &c->state : k == ZONEFILE ? &c->zonefile :
		    k == REPORTS ? &c->reports : k == TLSANEXT ?
		    &c->tlsa_next : k == OUTBOUNDRULES ? &c->outbound_rules :
		    k == RESOLVECACHE ? &c->resolve_cache : &c->ca_file, v);
	if (rc == 0 && k == ZONEFILE)
		p->set->zonefile = 1;
	return rc;
}

/* publish set to v, one of publish_names. */
static int
apply_publish(struct parser *p, const char *v)
{
	struct sts_conf		*c = p->conf;
	char			 b[128];
	size_t			 i;

	for (i = 0; i < sizeof(publish_names) / sizeof(publish_names[0]);
	    i++)
		if (strcmp(v, publish_names[i]) == 0) {
			p->set->publish = (enum sts_publish)i;
			p->set->publish_set = 1;
			if (c != NULL)
				c->publish = (enum sts_publish)i;
			return 0;
		}
	return conf_fail(p, p->line, "publish '%s' is not valid (expected %s)",
	    conf_esc(b, sizeof(b), v), conf_keys[PUBLISH].expect);
}

/* A zone or host key (k) set to v: its A-label, without a final dot. */
static int
apply_zone(struct parser *p, enum kid k, const char *v)
{
	const struct key	*key = &conf_keys[k];
	char			 host[STS_HOST_MAX + 3], e[STS_ERR_MAX], b[128];
	char			 zn[STS_HOST_MAX * 4 + 2];	/* U-labels may be longer */
	size_t			 n;

	n = strlen(v);
	if (n > 1 && v[n - 1] == '.')	/* "ids.example.net." as in a zone file */
		n--;
	if (n < sizeof(zn)) {
		memcpy(zn, v, n);
		zn[n] = '\0';
	}
	if (n >= sizeof(zn) || sts_host_to_alabel(zn, 0, host,
	    sizeof(host), e, sizeof(e)) == -1)
		return conf_fail(p, p->line, "%s '%s' is not valid "
		    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
		    key->expect);
	return set_str(p, k == ZONE ? &p->set->zone : k == IDZONE ?
	    &p->set->id_zone : k == TLSRPTZONE ? &p->set->tlsrpt_zone :
	    &p->set->web_host, host);
}

int
conf_apply(struct parser *p, enum kid k, struct sts_strlist *items)
{
	const struct key	*key = &conf_keys[k];
	struct sts_conf		*c = p->conf;
	char			 e[STS_ERR_MAX], b[128];
	const char		*v = items->n > 0 ? items->v[0] : "";
	unsigned long		 n;
	int			 rc;

	if (key->type != K_MX && key->type != K_URIS && v[0] == '\0')
		return conf_fail(p, p->line, "%s needs a value (expected %s)",
		    key->name, key->expect);
	/* the responder: publishing never changes a policy */
	if (c == NULL && key->domain == 2 && p->set->skip_publishing)
		return 0;

	switch (key->type) {
	case K_PATH:
	case K_CMD:
		return apply_path(p, k, v);
	case K_MODE:
		if (sts_mode_parse(v, &p->set->mode) == -1)
			return conf_fail(p, p->line, "mode '%s' is not valid "
			    "(%sexpected %s)", conf_esc(b, sizeof(b), v),
			    mode_hint(v, e, sizeof(e)), key->expect);
		return 0;
	case K_DURATION:
	case K_TIMEOUT:
	case K_DEADLINE:
		return apply_duration(p, k, v);
	case K_DAYS:
		rc = duration(v, REPORT_KEEP_MAX, &n);
		if (rc != 0 || n == 0 || strspn(v, "0123456789") != strlen(v))
			return conf_fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
			    key->expect);
		c->report_keep = (unsigned)n;
		return 0;
	case K_OUTBOUND:
		if (sts_outbound_parse(v, &c->outbound) == -1)
			return conf_fail(p, p->line, "outbound '%s' is not valid "
			    "(expected %s)", conf_esc(b, sizeof(b), v), key->expect);
		return 0;
	case K_SOCKET:
		if ((strncmp(v, "unix:/", 6) != 0 || strlen(v) - 5 >= 108) &&
		    (strncmp(v, "tcp:", 4) != 0 || !hostport_valid(v + 4) ||
		    strrchr(v + 4, ':') == NULL))
			return conf_fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
			    key->expect);
		return set_str(p, &c->resolve_socket, v);
	case K_BOOL:
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0)
			return conf_fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
			    key->expect);
		c->resolve_policy_attributes = strcmp(v, "yes") == 0;
		return 0;
	case K_PUBLISH:
		return apply_publish(p, v);
	case K_HOSTPORT:
		if (!hostport_valid(v))
			return conf_fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, conf_esc(b, sizeof(b), v),
			    key->expect);
		if (k != DNSSERVER)
			return set_str(p, &c->resolver, v);
		if (set_str(p, &p->set->dns_server, v) == -1)
			return -1;
		return c != NULL ? set_str(p, &c->dns_server, v) : 0;
	case K_ZONE:
		return apply_zone(p, k, v);
	case K_MX:
	case K_URIS:
		return apply_list(p, k, items);
	}
	return -1;
}

/* optimal string alignment distance, for "did you mean" */
size_t
conf_distance(const char *a, size_t n, const char *b)
{
	size_t	 d[33][33], i, j, m = strlen(b), x;

	if (n > 32 || m > 32)
		return 99;
	for (i = 0; i <= n; i++)
		d[i][0] = i;
	for (j = 0; j <= m; j++)
		d[0][j] = j;
	for (i = 1; i <= n; i++)
		for (j = 1; j <= m; j++) {
			x = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < x)
				x = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < x)
				x = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < x)
				x = d[i - 2][j - 2] + 1;
			d[i][j] = x;
		}
	return d[n][m];
}
