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

#include "conf_int.h"
#include "util.h"

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
				return conf_fail(p, line, "line longer than %d bytes",
				    CONF_LINE_MAX);
			line++;
			start = i + 1;
			continue;
		}
		c = (unsigned char)p->buf[i];
		if (c == '\r' && i + 1 < p->len && p->buf[i + 1] == '\n')
			continue;
		if (c == '\0')
			return conf_fail(p, line, "NUL byte");
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return conf_fail(p, line, "control character \\x%02x", c);
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
				return conf_fail(p, p->line, "unterminated quoted "
				    "value (missing closing %c)", q);
			if (c == '\\' && q == '"') {
				p->pos++;
				c = cur(p);
				if (c != '"' && c != '\\')
					return conf_fail(p, p->line, "unsupported "
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
		return conf_fail(p, p->line, "out of memory");
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
			return conf_fail(p, p->line, "%s takes one value, not a list "
			    "(expected %s)", key->name, key->expect);
		open = p->line;
		p->pos++;
		for (;;) {
			skip_space(p);
			if (cur(p) == -1)
				return conf_fail(p, open, "unterminated '[' "
				    "(expected ']')");
			if (cur(p) == ']')
				break;
			if (cur(p) == ',')
				return conf_fail(p, p->line, "empty item in %s list",
				    key->name);
			if (item(p, ",]", items) == -1)
				return -1;
			skip_space(p);
			if (cur(p) == ',')
				p->pos++;
			else if (cur(p) != ']' && cur(p) != -1)
				return conf_fail(p, p->line, "expected ',' or ']' "
				    "after an item of the %s list", key->name);
		}
		p->pos++;
	} else if (list) {
		for (;;) {
			skip_ws(p);
			c = cur(p);
			if (c == -1 || c == '\n' || c == '#') {
				if (items->n > 0)
					return conf_fail(p, p->line, "empty item in "
					    "%s list", key->name);
				break;
			}
			if (c == ',')
				return conf_fail(p, p->line, "empty item in %s list",
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
		return conf_fail(p, p->line, "unexpected '%c' after the value of %s",
		    cur(p), key->name);
	for (i = 0; list && i < items->n; i++)
		if (items->v[i][0] == '\0')
			return conf_fail(p, p->line, "empty item in %s list",
			    key->name);
	return 0;
}


static int	 is_keychar(int);

/* "certs, mode, ...": the keys a domain file may set */
static const char *
domain_keys(char *buf, size_t len)
{
	size_t	 i, off = 0;
	int	 n;

	buf[0] = '\0';
	for (i = 0; i < NKEYS && off < len; i++)
		if (conf_keys[i].domain &&
		    (n = snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
		    conf_keys[i].name)) > 0)
			off += (size_t)n;
	return buf;
}

/* The index of the key k[0..n) in keys, NKEYS when there is none. */
static size_t
key_find(const char *k, size_t n)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strlen(conf_keys[i].name) == n && memcmp(conf_keys[i].name, k, n) == 0)
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
		if (p->conf == NULL && !conf_keys[i].domain)
			continue;
		strcat(list, list[0] ? ", " : "");
		strcat(list, conf_keys[i].name);
		if ((d = conf_distance(k, n, conf_keys[i].name)) < bestd) {
			bestd = d;
			best = conf_keys[i].name;
		}
	}
	if (best != NULL)
		snprintf(hint, sizeof(hint), "did you mean '%s'? ", best);
	if (best == NULL && !p->quote)
		return conf_fail(p, p->line, "no key this file may set (%s; "
		    "expected one of: %s)", NOT_QUOTED, list);
	sts_escape(b, sizeof(b), k, n);
	return conf_fail(p, p->line, "unknown key '%s' (%sexpected one of: %s)",
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
	char			 b[128], list[STS_ERR_MAX / 2];
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
				conf_fail(p, p->line, "section header '%s' is not "
				    "used here (expected 'key = value')",
				    p->quote ? b : NOT_QUOTED);
			} else
				conf_fail(p, p->line, "expected 'key = value'");
			goto out;
		}
		skip_ws(p);
		if (cur(p) != '=' && !p->quote && key_find(k, n) == NKEYS) {
			conf_fail(p, p->line, "expected 'key = value' (%s)",
			    NOT_QUOTED);
			goto out;
		}
		if (cur(p) != '=') {
			sts_escape(b, sizeof(b), k, n);
			conf_fail(p, p->line, "missing '=' after '%s' (expected "
			    "'%s = value')", b, b);
			goto out;
		}
		p->pos++;
		if ((i = key_find(k, n)) == NKEYS) {
			unknown_key(p, k, n);
			goto out;
		}
		if (p->conf == NULL && !conf_keys[i].domain) {
			conf_fail(p, p->line, "%s is only valid in the global file "
			    "(a domain file may set: %s)", conf_keys[i].name,
			    domain_keys(list, sizeof(list)));
			goto out;
		}
		if (p->seen[i]) {
			conf_fail(p, p->line, "duplicate key %s (first set on line "
			    "%u)", conf_keys[i].name, p->seen[i]);
			goto out;
		}
		p->seen[i] = p->line;
		if (value(p, &conf_keys[i], &items) == -1)
			goto out;
		if (conf_apply(p, (enum kid)i, &items) == -1)
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
	free(s->zone);
	free(s->dns_server);
	free(s->tsig_key);
	free(s->hook);
	free(s->id_zone);
	free(s->tlsrpt_zone);
	free(s->tlsrpt_hook);
	free(s->web_host);
	memset(s, 0, sizeof(*s));
}

static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	return src != NULL && (*dst = strdup(src)) == NULL ? -1 : 0;
}

int
sts_settings_copy(struct sts_settings *dst, const struct sts_settings *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->mode = src->mode;
	dst->max_age = src->max_age;
	dst->mx_set = src->mx_set;
	dst->publish = src->publish;
	dst->publish_set = src->publish_set;
	dst->zonefile = src->zonefile;
	dst->skip_publishing = src->skip_publishing;
	if (sts_strlist_copy(&dst->mx, &src->mx) == -1 ||
	    sts_strlist_copy(&dst->tlsrpt, &src->tlsrpt) == -1 ||
	    dup_opt(&dst->certs, src->certs) == -1 ||
	    dup_opt(&dst->zone, src->zone) == -1 ||
	    dup_opt(&dst->dns_server, src->dns_server) == -1 ||
	    dup_opt(&dst->tsig_key, src->tsig_key) == -1 ||
	    dup_opt(&dst->hook, src->hook) == -1 ||
	    dup_opt(&dst->id_zone, src->id_zone) == -1 ||
	    dup_opt(&dst->tlsrpt_zone, src->tlsrpt_zone) == -1 ||
	    dup_opt(&dst->tlsrpt_hook, src->tlsrpt_hook) == -1 ||
	    dup_opt(&dst->web_host, src->web_host) == -1) {
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
	free(c->tlsa_next);
	sts_settings_free(&c->dflt);
	free(c->dns_server);
	free(c->tsig_key);
	free(c->hook);
	free(c->zonefile);
	free(c->reload);
	free(c->resolver);
	free(c->ca_file);
	free(c->reports);
	free(c->outbound_rules);
	free(c->resolve_cache);
	free(c->resolve_socket);
	memset(c, 0, sizeof(*c));
}

/*
 * What the publishing keys need of each other, after a file is read: the
 * line of the key that asks for more. A domain file is checked with what
 * it inherits from the global file.
 */
static int
publishing_check(struct parser *p)
{
	const struct sts_settings *s = p->set;
	unsigned line = p->seen[PUBLISH];

	if (s->skip_publishing)
		return 0;
	if (s->publish == STS_PUBLISH_HOOK && s->hook == NULL)
		return conf_fail(p, line, "publish = hook needs a program "
		    "(add 'hook = /path/to/program')");
	if (s->publish == STS_PUBLISH_ZONEFILE && !s->zonefile)
		return conf_fail(p, line, "publish = zonefile needs a file "
		    "(add 'zonefile = /path/to/zone'%s)", p->conf == NULL ?
		    " to the global file" : "");
	if (s->id_zone != NULL && s->tlsrpt_zone != NULL &&
	    strcmp(s->id_zone, s->tlsrpt_zone) == 0)
		return conf_fail(p, p->seen[TLSRPTZONE] ? p->seen[TLSRPTZONE] :
		    p->seen[IDZONE], "tlsrpt-zone must differ from id-zone "
		    "(both would put a TXT record at <domain>.%s)", s->id_zone);
	return 0;
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
	conf_parser_init(&p, path, &c.dflt, err, errlen);
	p.conf = &c;
	if (c.domains == NULL || c.state == NULL || c.dflt.certs == NULL ||
	    (c.file = strdup(path)) == NULL) {
		conf_fail(&p, 0, "out of memory");
		goto out;
	}
	if (conf_file_dir(&p, path) == -1 || sts_read_file(AT_FDCWD, path,
	    STS_CONF_FILE_MAX, &buf, &p.len, NULL, err, errlen) == -1)
		goto out;
	p.buf = buf;
	if (parse(&p) == -1 || publishing_check(&p) == -1)
		goto out;
	/* one reload per zone needs one file per zone */
	if (c.reload != NULL && conf_pct_z(c.reload, NULL) == 1 &&
	    (c.zonefile == NULL || conf_pct_z(c.zonefile, NULL) != 1)) {
		conf_fail(&p, p.seen[RELOAD], "reload uses %%z, but zonefile "
		    "does not: %%z is the zone of one file per zone (set "
		    "'zonefile = /var/lib/mtasts/zones/%%z.zone', or drop %%z "
		    "from reload)");
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

	conf_parser_init(&p, path, &s, err, errlen);
	if (sts_settings_copy(&s, set) == -1)
		return conf_fail(&p, 0, "out of memory");
	if (len > STS_DOMAIN_FILE_MAX) {
		conf_fail(&p, 0, "larger than %zu KiB", (size_t)STS_DOMAIN_FILE_MAX /
		    1024);
		goto out;
	}
	if (conf_file_dir(&p, path) == -1)
		goto out;
	p.buf = buf;
	p.len = len;
	if (parse(&p) == -1 || publishing_check(&p) == -1)
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
