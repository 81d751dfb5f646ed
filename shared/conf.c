/* SPDX-License-Identifier: ISC */
/*
 * The configuration: the global file and the domain files, read by one
 * parser. `key = value` lines, '#' comments (outside quotes), blank lines;
 * values bare, "double-quoted" (\" and \\ escapes) or 'single-quoted';
 * lists comma-separated, optionally in brackets, which may span lines.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "mtasts.h"
#include "util.h"

#define CONF_LINE_MAX	4096
#define TIMEOUT_MAX	300
#define REPORT_KEEP_MAX	3650		/* days */
#define DEADLINE_MAX	86400	/* domain-timeout, run-timeout */

enum ktype { K_PATH, K_CMD, K_MODE, K_DURATION, K_MX, K_URIS, K_PUBLISH,
	K_HOSTPORT, K_TIMEOUT, K_DEADLINE, K_DAYS };

enum kid { DOMAINS, CERTS, STATE, MODE, MAXAGE, MX, TLSRPT, PUBLISH,
	DNSSERVER, TSIGKEY, HOOK, ZONEFILE, RELOAD, RESOLVER, CAFILE, TIMEOUT,
	DOMAINTIMEOUT, RUNTIMEOUT, REPORTKEEP, NKEYS };

static const struct key {
	const char	*name;
	enum ktype	 type;
	int		 domain;	/* also allowed in a domain file */
	const char	*expect;
} keys[NKEYS] = {
	[DOMAINS] =	{ "domains", K_PATH, 0, "a directory" },
	[CERTS] =	{ "certs", K_PATH, 1, "a directory or a glob" },
	[STATE] =	{ "state", K_PATH, 0, "a directory" },
	[MODE] =	{ "mode", K_MODE, 1, "none, testing or enforce" },
	[MAXAGE] =	{ "max-age", K_DURATION, 1,
	    "seconds, or a number with s, m, h, d or w, at most 31557600 seconds" },
	[MX] =		{ "mx", K_MX, 1, "host names or *.patterns" },
	[TLSRPT] =	{ "tlsrpt", K_URIS, 1, "mailto: or https: URIs" },
	[PUBLISH] =	{ "publish", K_PUBLISH, 0,
	    "none, rfc2136, hook or zonefile" },
	[DNSSERVER] =	{ "dns-server", K_HOSTPORT, 0, "host[:port]" },
	[TSIGKEY] =	{ "tsig-key", K_PATH, 0, "a key file" },
	[HOOK] =	{ "hook", K_CMD, 0, "a program" },
	[ZONEFILE] =	{ "zonefile", K_PATH, 0, "a zone file" },
	[RELOAD] =	{ "reload", K_CMD, 0, "a command" },
	[RESOLVER] =	{ "resolver", K_HOSTPORT, 0, "host[:port]" },
	[CAFILE] =	{ "ca-file", K_PATH, 0, "a PEM file" },
	[TIMEOUT] =	{ "timeout", K_TIMEOUT, 0, "seconds, 1 to 300" },
	[DOMAINTIMEOUT] = { "domain-timeout", K_DEADLINE, 0,
	    "seconds, or a number with s, m, h or d, 1 to 86400 seconds" },
	[RUNTIMEOUT] =	{ "run-timeout", K_DEADLINE, 0,
	    "seconds, or a number with s, m, h or d, 1 to 86400 seconds" },
	[REPORTKEEP] =	{ "report-keep", K_DAYS, 0, "days, 1 to 3650" },
};

static const char *const publish_names[] = {
	[STS_PUBLISH_NONE] = "none",
	[STS_PUBLISH_RFC2136] = "rfc2136",
	[STS_PUBLISH_HOOK] = "hook",
	[STS_PUBLISH_ZONEFILE] = "zonefile",
};

/* What a message says in place of the words of a file that is no domain file. */
#define NOT_QUOTED	"not quoted: no line of the file sets a domain key"

struct parser {
	const char		*path;
	const char		*buf;
	size_t			 len, pos;
	unsigned		 line;
	struct sts_conf		*conf;	/* NULL in a domain file */
	struct sts_settings	*set;
	unsigned		 seen[NKEYS];	/* line where each key was set */
	int			 quote;	/* words of the file may be quoted */
	char			*err;
	size_t			 errlen;
	char			 dir[PATH_MAX];	/* for relative paths; last */
};

/* All zero but dir, which is only emptied: 4 KiB per domain file. */
static void
parser_init(struct parser *p, const char *path, struct sts_settings *set,
    char *err, size_t errlen)
{
	memset(p, 0, offsetof(struct parser, dir));
	p->dir[0] = '\0';
	p->path = path;
	p->set = set;
	p->err = err;
	p->errlen = errlen;
}

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, unsigned line, const char *fmt, ...)
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
static const char *
esc(char *buf, size_t len, const char *s)
{
	return sts_escape(buf, len, s, strlen(s));
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
		return fail(p, p->line, "out of memory");
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
		return fail(p, p->line, "path too long");
	return set_str(p, dst, buf);
}

/* directory of path, made absolute, into p->dir */
static int
file_dir(struct parser *p, const char *path)
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
			return fail(p, 0, "path too long");
		memcpy(p->dir, path, dlen);
		p->dir[dlen] = '\0';
		return 0;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return fail(p, 0, "current directory: %s", strerror(errno));
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
		return fail(p, 0, "path too long");
	return 0;
}

static size_t	distance(const char *, size_t, const char *);

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
		d = distance(low, n, modes[i]);
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

static int
apply(struct parser *p, enum kid k, struct sts_strlist *items)
{
	const struct key	*key = &keys[k];
	struct sts_conf		*c = p->conf;
	struct sts_strlist	 l = { NULL, 0, 0 };
	char			 host[STS_HOST_MAX + 3], e[STS_ERR_MAX], b[128];
	const char		*v = items->n > 0 ? items->v[0] : "";
	unsigned long		 n, max;
	size_t			 i;
	int			 rc, ret = -1;

	if (key->type != K_MX && key->type != K_URIS && v[0] == '\0')
		return fail(p, p->line, "%s needs a value (expected %s)",
		    key->name, key->expect);

	switch (key->type) {
	case K_PATH:
	case K_CMD:
		if (key->type == K_CMD)
			rc = set_str(p, k == HOOK ? &c->hook : &c->reload, v);
		else if (k == CERTS)
			rc = set_path(p, &p->set->certs, v);
		else
			rc = set_path(p, k == DOMAINS ? &c->domains :
			    k == STATE ? &c->state : k == TSIGKEY ? &c->tsig_key :
			    k == ZONEFILE ? &c->zonefile : &c->ca_file, v);
		return rc;
	case K_MODE:
		if (sts_mode_parse(v, &p->set->mode) == -1)
			return fail(p, p->line, "mode '%s' is not valid "
			    "(%sexpected %s)", esc(b, sizeof(b), v),
			    mode_hint(v, e, sizeof(e)), key->expect);
		return 0;
	case K_DURATION:
	case K_TIMEOUT:
	case K_DEADLINE:
		max = key->type == K_TIMEOUT ? TIMEOUT_MAX : key->type ==
		    K_DEADLINE ? DEADLINE_MAX : STS_MAX_AGE_MAX;
		rc = duration(v, max, &n);
		if (rc == 0 && key->type != K_DURATION && n == 0)
			rc = -3;
		if (rc == -2)
			return fail(p, p->line, "%s '%s' is above %lu seconds",
			    key->name, esc(b, sizeof(b), v), max);
		if (rc != 0)
			return fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, esc(b, sizeof(b), v),
			    key->expect);
		if (key->type == K_TIMEOUT)
			c->timeout = (unsigned)n;
		else if (key == &keys[DOMAINTIMEOUT])
			c->domain_timeout = (unsigned)n;
		else if (key == &keys[RUNTIMEOUT])
			c->run_timeout = (unsigned)n;
		else
			p->set->max_age = n;
		return 0;
	case K_DAYS:
		rc = duration(v, REPORT_KEEP_MAX, &n);
		if (rc != 0 || n == 0 || strspn(v, "0123456789") != strlen(v))
			return fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, esc(b, sizeof(b), v),
			    key->expect);
		c->report_keep = (unsigned)n;
		return 0;
	case K_PUBLISH:
		for (i = 0; i < sizeof(publish_names) / sizeof(publish_names[0]);
		    i++)
			if (strcmp(v, publish_names[i]) == 0) {
				c->publish = (enum sts_publish)i;
				return 0;
			}
		return fail(p, p->line, "publish '%s' is not valid (expected %s)",
		    esc(b, sizeof(b), v), key->expect);
	case K_HOSTPORT:
		if (!hostport_valid(v))
			return fail(p, p->line, "%s '%s' is not valid "
			    "(expected %s)", key->name, esc(b, sizeof(b), v),
			    key->expect);
		return set_str(p, k == DNSSERVER ? &c->dns_server :
		    &c->resolver, v);
	case K_MX:
	case K_URIS:
		for (i = 0; i < items->n; i++) {
			v = items->v[i];
			if (key->type == K_MX) {
				if (sts_host_to_alabel(v, 1, host, sizeof(host),
				    e, sizeof(e)) == -1) {
					fail(p, p->line, "mx: %s", e);
					goto out;
				}
				v = host;
			} else if (sts_uri_check(v, strlen(v), 1, e,
			    sizeof(e)) == -1) {
				fail(p, p->line, "%s", e);
				goto out;
			}
			if (sts_strlist_add(&l, v) == -1) {
				fail(p, p->line, "out of memory");
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
		break;
	}
out:
	sts_strlist_free(&l);
	return ret;
}

/* ---- the parser ------------------------------------------------------- */

/* Refuse NUL, control characters and over-long lines up front. */
static int
check_bytes(struct parser *p)
{
	size_t		 i, start;
	unsigned	 line = 1;
	unsigned char	 c;

	if (p->len >= 3 && memcmp(p->buf, "\xef\xbb\xbf", 3) == 0)
		p->pos = 3;	/* a UTF-8 byte order mark */
	for (i = start = p->pos; i <= p->len; i++) {
		if (i == p->len || p->buf[i] == '\n') {
			if (i - start > CONF_LINE_MAX)
				return fail(p, line, "line longer than %d bytes",
				    CONF_LINE_MAX);
			line++;
			start = i + 1;
			continue;
		}
		c = (unsigned char)p->buf[i];
		if (c == '\r' && i + 1 < p->len && p->buf[i + 1] == '\n')
			continue;
		if (c == '\0')
			return fail(p, line, "NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(p, line, "control character \\x%02x", c);
	}
	return 0;
}

static int
cur(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->buf[p->pos] : -1;
}

static void
skip_ws(struct parser *p)
{
	while (cur(p) == ' ' || cur(p) == '\t' || cur(p) == '\r')
		p->pos++;
}

static void
skip_comment(struct parser *p)
{
	if (cur(p) == '#')
		while (cur(p) != -1 && cur(p) != '\n')
			p->pos++;
}

/* whitespace, comments and newlines, inside brackets */
static void
skip_space(struct parser *p)
{
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (cur(p) != '\n')
			return;
		p->pos++;
		p->line++;
	}
}

/* One item: quoted, or bare up to a stop character, trimmed. */
static int
item(struct parser *p, const char *stop, struct sts_strlist *items)
{
	char		 buf[CONF_LINE_MAX + 1];
	size_t		 n = 0, start;
	int		 q, c;

	q = cur(p);
	if (q == '"' || q == '\'') {
		p->pos++;
		while ((c = cur(p)) != q) {
			if (c == -1 || c == '\n')
				return fail(p, p->line, "unterminated quoted "
				    "value (missing closing %c)", q);
			if (c == '\\' && q == '"') {
				p->pos++;
				c = cur(p);
				if (c != '"' && c != '\\')
					return fail(p, p->line, "unsupported "
					    "escape in quoted value (only \\\" "
					    "and \\\\)");
			}
			buf[n++] = (char)c;
			p->pos++;
		}
		p->pos++;
	} else {
		start = p->pos;
		while ((c = cur(p)) != -1 && c != '\n' && c != '#' &&
		    strchr(stop, c) == NULL)
			p->pos++;
		n = p->pos - start;
		while (n > 0 && (p->buf[start + n - 1] == ' ' ||
		    p->buf[start + n - 1] == '\t' || p->buf[start + n - 1] == '\r'))
			n--;
		memcpy(buf, p->buf + start, n);
	}
	if (sts_strlist_addn(items, buf, n) == -1)
		return fail(p, p->line, "out of memory");
	return 0;
}

static int
value(struct parser *p, const struct key *key, struct sts_strlist *items)
{
	size_t		 i;
	unsigned	 open;
	int		 list = key->type == K_MX || key->type == K_URIS, c;

	skip_ws(p);
	if (cur(p) == '[' && key->type != K_HOSTPORT) {	/* [v6]:port */
		if (!list)
			return fail(p, p->line, "%s takes one value, not a list "
			    "(expected %s)", key->name, key->expect);
		open = p->line;
		p->pos++;
		for (;;) {
			skip_space(p);
			if (cur(p) == -1)
				return fail(p, open, "unterminated '[' "
				    "(expected ']')");
			if (cur(p) == ']')
				break;
			if (cur(p) == ',')
				return fail(p, p->line, "empty item in %s list",
				    key->name);
			if (item(p, ",]", items) == -1)
				return -1;
			skip_space(p);
			if (cur(p) == ',')
				p->pos++;
			else if (cur(p) != ']' && cur(p) != -1)
				return fail(p, p->line, "expected ',' or ']' "
				    "after an item of the %s list", key->name);
		}
		p->pos++;
	} else if (list) {
		for (;;) {
			skip_ws(p);
			c = cur(p);
			if (c == -1 || c == '\n' || c == '#') {
				if (items->n > 0)
					return fail(p, p->line, "empty item in "
					    "%s list", key->name);
				break;
			}
			if (c == ',')
				return fail(p, p->line, "empty item in %s list",
				    key->name);
			if (item(p, ",", items) == -1)
				return -1;
			skip_ws(p);
			if (cur(p) != ',')
				break;
			p->pos++;
		}
	} else {
		c = cur(p);
		if (c != -1 && c != '\n' && c != '#' && item(p, "", items) == -1)
			return -1;
	}
	skip_ws(p);
	skip_comment(p);
	if (cur(p) != -1 && cur(p) != '\n')
		return fail(p, p->line, "unexpected '%c' after the value of %s",
		    cur(p), key->name);
	for (i = 0; list && i < items->n; i++)
		if (items->v[i][0] == '\0')
			return fail(p, p->line, "empty item in %s list",
			    key->name);
	return 0;
}

/* optimal string alignment distance, for "did you mean" */
static size_t
distance(const char *a, size_t n, const char *b)
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

static int	 is_keychar(int);

/* The index of the key k[0..n) in keys, NKEYS when there is none. */
static size_t
key_find(const char *k, size_t n)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == n && memcmp(keys[i].name, k, n) == 0)
			break;
	return i;
}

static int
unknown_key(struct parser *p, const char *k, size_t n)
{
	char		 list[STS_ERR_MAX] = "", hint[64] = "", b[128];
	const char	*best = NULL;
	size_t		 i, d, bestd = 3;

	for (i = 0; i < NKEYS; i++) {
		if (p->conf == NULL && !keys[i].domain)
			continue;
		strcat(list, list[0] ? ", " : "");
		strcat(list, keys[i].name);
		if ((d = distance(k, n, keys[i].name)) < bestd) {
			bestd = d;
			best = keys[i].name;
		}
	}
	if (best != NULL)
		snprintf(hint, sizeof(hint), "did you mean '%s'? ", best);
	if (best == NULL && !p->quote)
		return fail(p, p->line, "no key this file may set (%s; "
		    "expected one of: %s)", NOT_QUOTED, list);
	sts_escape(b, sizeof(b), k, n);
	return fail(p, p->line, "unknown key '%s' (%sexpected one of: %s)",
	    b, hint, list);
}

/*
 * Whether a domain file may be quoted in messages: when a line of it sets
 * a key a domain file may set. A file that is no domain file at all (a
 * link to /etc/passwd) is not quoted, so that reading it through the
 * domain directory shows none of it.
 */
static int
may_quote(const struct parser *p)
{
	size_t	 i = 0, k, n;

	if (p->conf != NULL)
		return 1;
	while (i < p->len) {
		while (i < p->len && (p->buf[i] == ' ' || p->buf[i] == '\t'))
			i++;
		for (k = i; i < p->len && is_keychar(p->buf[i]); i++)
			;
		n = i - k;
		while (i < p->len && (p->buf[i] == ' ' || p->buf[i] == '\t'))
			i++;
		if (n > 0 && i < p->len && p->buf[i] == '=' &&
		    key_find(p->buf + k, n) != NKEYS)
			return 1;
		while (i < p->len && p->buf[i] != '\n')
			i++;
		i++;
	}
	return 0;
}

static int
is_keychar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

static int
parse(struct parser *p)
{
	struct sts_strlist	 items = { NULL, 0, 0 };
	const char		*k;
	size_t			 n, i, end;
	char			 b[128];
	int			 ret = -1;

	if (check_bytes(p) == -1)
		return -1;
	p->quote = may_quote(p);
	p->line = 1;
	for (;;) {
		skip_ws(p);
		skip_comment(p);
		if (cur(p) == -1)
			break;
		if (cur(p) == '\n') {
			p->pos++;
			p->line++;
			continue;
		}
		k = p->buf + p->pos;
		for (n = 0; is_keychar(cur(p)); n++)
			p->pos++;
		if (n == 0) {
			if (cur(p) == '[') {
				end = p->pos;
				while (end < p->len && p->buf[end] != '\n' &&
				    p->buf[end] != '\r')
					end++;
				sts_escape(b, sizeof(b), k, end - p->pos);
				fail(p, p->line, "section header '%s' is not "
				    "used here (expected 'key = value')",
				    p->quote ? b : NOT_QUOTED);
			} else
				fail(p, p->line, "expected 'key = value'");
			goto out;
		}
		skip_ws(p);
		if (cur(p) != '=' && !p->quote && key_find(k, n) == NKEYS) {
			fail(p, p->line, "expected 'key = value' (%s)",
			    NOT_QUOTED);
			goto out;
		}
		if (cur(p) != '=') {
			sts_escape(b, sizeof(b), k, n);
			fail(p, p->line, "missing '=' after '%s' (expected "
			    "'%s = value')", b, b);
			goto out;
		}
		p->pos++;
		if ((i = key_find(k, n)) == NKEYS) {
			unknown_key(p, k, n);
			goto out;
		}
		if (p->conf == NULL && !keys[i].domain) {
			fail(p, p->line, "%s is only valid in the global file "
			    "(a domain file may set: mode, max-age, mx, certs, "
			    "tlsrpt)", keys[i].name);
			goto out;
		}
		if (p->seen[i]) {
			fail(p, p->line, "duplicate key %s (first set on line "
			    "%u)", keys[i].name, p->seen[i]);
			goto out;
		}
		p->seen[i] = p->line;
		if (value(p, &keys[i], &items) == -1)
			goto out;
		if (apply(p, (enum kid)i, &items) == -1)
			goto out;
		sts_strlist_free(&items);
	}
	ret = 0;
out:
	sts_strlist_free(&items);
	return ret;
}

/* ---- public ----------------------------------------------------------- */

void
sts_settings_free(struct sts_settings *s)
{
	if (s == NULL)
		return;
	sts_strlist_free(&s->mx);
	sts_strlist_free(&s->tlsrpt);
	free(s->certs);
	memset(s, 0, sizeof(*s));
}

int
sts_settings_copy(struct sts_settings *dst, const struct sts_settings *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->mode = src->mode;
	dst->max_age = src->max_age;
	dst->mx_set = src->mx_set;
	if (sts_strlist_copy(&dst->mx, &src->mx) == -1 ||
	    sts_strlist_copy(&dst->tlsrpt, &src->tlsrpt) == -1 ||
	    (src->certs != NULL && (dst->certs = strdup(src->certs)) == NULL)) {
		sts_settings_free(dst);
		return -1;
	}
	return 0;
}

void
sts_conf_defaults(struct sts_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->domains = strdup("/etc/mta-sts/domains");
	c->state = strdup("/var/lib/mtasts");
	c->dflt.mode = STS_MODE_TESTING;
	c->dflt.max_age = 604800;
	c->dflt.certs = strdup("/etc/mta-sts/certs");
	c->publish = STS_PUBLISH_NONE;
	c->timeout = 10;
	c->domain_timeout = 300;
	c->run_timeout = 1800;
	c->report_keep = 400;
}

void
sts_conf_free(struct sts_conf *c)
{
	if (c == NULL)
		return;
	free(c->file);
	free(c->domains);
	free(c->state);
	sts_settings_free(&c->dflt);
	free(c->dns_server);
	free(c->tsig_key);
	free(c->hook);
	free(c->zonefile);
	free(c->reload);
	free(c->resolver);
	free(c->ca_file);
	memset(c, 0, sizeof(*c));
}

int
sts_conf_load(const char *path, struct sts_conf *conf, char *err,
    size_t errlen)
{
	struct parser	 p;
	struct sts_conf	 c;
	char		*buf = NULL;
	int		 ret = -1;

	sts_conf_defaults(&c);
	parser_init(&p, path, &c.dflt, err, errlen);
	p.conf = &c;
	if (c.domains == NULL || c.state == NULL || c.dflt.certs == NULL ||
	    (c.file = strdup(path)) == NULL) {
		fail(&p, 0, "out of memory");
		goto out;
	}
	if (file_dir(&p, path) == -1 || sts_read_file(AT_FDCWD, path,
	    STS_CONF_FILE_MAX, &buf, &p.len, NULL, err, errlen) == -1)
		goto out;
	p.buf = buf;
	if (parse(&p) == -1)
		goto out;
	if (c.publish == STS_PUBLISH_HOOK && c.hook == NULL) {
		fail(&p, p.seen[PUBLISH], "publish = hook needs a program "
		    "(add 'hook = /path/to/program')");
		goto out;
	}
	if (c.publish == STS_PUBLISH_ZONEFILE && c.zonefile == NULL) {
		fail(&p, p.seen[PUBLISH], "publish = zonefile needs a file "
		    "(add 'zonefile = /path/to/zone')");
		goto out;
	}
	sts_conf_free(conf);
	*conf = c;
	memset(&c, 0, sizeof(c));
	ret = 0;
out:
	sts_conf_free(&c);
	free(buf);
	return ret;
}

int
sts_settings_parse(const char *path, const char *buf, size_t len,
    struct sts_settings *set, char *err, size_t errlen)
{
	struct parser		 p;
	struct sts_settings	 s;
	int			 ret = -1;

	parser_init(&p, path, &s, err, errlen);
	if (sts_settings_copy(&s, set) == -1)
		return fail(&p, 0, "out of memory");
	if (len > STS_DOMAIN_FILE_MAX) {
		fail(&p, 0, "larger than %zu KiB", (size_t)STS_DOMAIN_FILE_MAX /
		    1024);
		goto out;
	}
	if (file_dir(&p, path) == -1)
		goto out;
	p.buf = buf;
	p.len = len;
	if (parse(&p) == -1)
		goto out;
	sts_settings_free(set);
	*set = s;
	memset(&s, 0, sizeof(s));
	ret = 0;
out:
	sts_settings_free(&s);
	return ret;
}

int
sts_settings_load(const char *path, struct sts_settings *set, char *err,
    size_t errlen)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 ret;

	if (sts_read_file(AT_FDCWD, path, STS_DOMAIN_FILE_MAX, &buf, &len, NULL,
	    err, errlen) == -1)
		return -1;
	ret = sts_settings_parse(path, buf, len, set, err, errlen);
	free(buf);
	return ret;
}
