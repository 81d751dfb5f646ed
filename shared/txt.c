/* SPDX-License-Identifier: ISC */
/*
 * _mta-sts (RFC 8461 §3.1) and _smtp._tls (RFC 8460 §3) TXT records.
 *
 * Both have the same shape:
 *
 *   record = version 1*(delim field) [delim]
 *   delim  = *WSP ";" *WSP
 *   field  = name "=" value
 *   name   = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *
 * so whitespace is allowed only around ';', never at the end of a record
 * without one, nor around '='. A field named "id" (or "rua") is read as that
 * field and must match its rule; every other field is an extension whose
 * value is 1*(%x21-3A / %x3C / %x3E-7E) and is ignored. An id is required
 * (the ABNF's comment); a repeated id counts by its first occurrence (RFC
 * 8461 §3.2, last paragraph: every field but mx), the later ones are
 * extensions and worth a warning. We hold rua to exactly one.
 *
 * The selection functions apply the literal prefix test senders use
 * ("v=STSv1;", erratum 6285) before parsing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"
#include "util.h"

#define EXT_NAME_MAX	32
#define SHOW_MAX	80

#define STS_VERS	"v=STSv1"
#define RPT_VERS	"v=TLSRPTv1"

static const char *
show(char *buf, const char *s, size_t len)
{
	return sts_escape(buf, SHOW_MAX, s, len);
}

/* %x21-3A / %x3C / %x3E-7E: no space, ';', '=' or controls */
static int
is_ext_char(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

/*
 * Called for each field; returns 0 when it took the field, 1 when the
 * field is an extension (the caller checks its syntax), -1 with err set.
 */
typedef int field_fn(void *arg, const char *name, size_t nlen,
    const char *val, size_t vlen, char *err, size_t errlen);

/*
 * An ABNF parser: it follows the grammar at the top of this file
 * production by production (version, delim, field, name, value), one
 * error message per place it can fail, and is kept whole for that (over
 * 100 lines on purpose).
 */
static int
record_parse(const char *rec, size_t len, const char *vers, field_fn *fn,
    void *arg, char *err, size_t errlen)
{
	char		 sh[SHOW_MAX], sh2[SHOW_MAX];
	const char	*name, *val, *semi;
	size_t		 vl = strlen(vers), i, q, nlen, vlen, fend, nfields = 0;
	int		 r;

	if (len == 0) {
		sts_err(err, errlen, "empty record");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)rec[i] >= 0x80) {
			sts_err(err, errlen, "non-ASCII byte \\x%02x at offset "
			    "%zu; the record must be US-ASCII",
			    (unsigned char)rec[i], i);
			return -1;
		}
		if (((unsigned char)rec[i] < 0x20 && rec[i] != '\t') ||
		    rec[i] == 0x7f) {
			sts_err(err, errlen, "control character \\x%02x at "
			    "offset %zu", (unsigned char)rec[i], i);
			return -1;
		}
	}
	if (len < vl || memcmp(rec, vers, vl) != 0 ||
	    (len > vl && !sts_is_wsp((unsigned char)rec[vl]) && rec[vl] != ';')) {
		sts_err(err, errlen, "record must begin with '%s' "
		    "(case-sensitive): '%s'", vers, show(sh, rec, len));
		return -1;
	}
	i = vl;
	for (;;) {
		/* delim = *WSP ";" *WSP, or the end */
		for (q = i; q < len && sts_is_wsp((unsigned char)rec[q]); q++)
			;
		if (q == len) {
			if (q > i) {
				sts_err(err, errlen, "whitespace at the end "
				    "(allowed only around ';')");
				return -1;
			}
			break;
		}
		if (rec[q] != ';') {
			sts_err(err, errlen, "expected ';' before '%s'",
			    show(sh, rec + q, len - q));
			return -1;
		}
		for (q++; q < len && sts_is_wsp((unsigned char)rec[q]); q++)
			;
		if (q == len)
			break;		/* one trailing delimiter */

		/* field = name "=" value */
		name = rec + q;
		if (!sts_is_alnum((unsigned char)rec[q])) {
			if (rec[q] == ';')
				sts_err(err, errlen, "empty field (';;')");
			else
				sts_err(err, errlen, "a field name must begin "
				    "with a letter or digit: '%s'",
				    show(sh, rec + q, len - q));
			return -1;
		}
		for (i = q + 1; i < len && sts_is_name_char((unsigned char)rec[i]);
		    i++)
			;
		nlen = (size_t)(rec + i - name);
		if (nlen > EXT_NAME_MAX) {
			sts_err(err, errlen, "field name longer than %d "
			    "characters: '%s'", EXT_NAME_MAX,
			    show(sh, name, nlen));
			return -1;
		}
		if (i == len || rec[i] != '=') {
			if (i < len && sts_is_wsp((unsigned char)rec[i]))
				sts_err(err, errlen, "whitespace after field "
				    "name '%s' (none allowed around '=')",
				    show(sh, name, nlen));
			else if (i == len || rec[i] == ';')
				sts_err(err, errlen, "field '%s' has no "
				    "'=value'", show(sh, name, nlen));
			else
				sts_err(err, errlen, "invalid character '%s' "
				    "in field name '%s'", show(sh, rec + i, 1),
				    show(sh2, name, nlen));
			return -1;
		}
		/* the value runs to the next ';'; WSP before it is delim */
		val = rec + i + 1;
		semi = memchr(val, ';', len - (size_t)(val - rec));
		fend = semi != NULL ? (size_t)(semi - rec) : len;
		vlen = (size_t)(rec + fend - val);
		while (vlen > 0 && sts_is_wsp((unsigned char)val[vlen - 1]))
			vlen--;
		i = (size_t)(val - rec) + vlen;
		if (vlen == 0) {
			sts_err(err, errlen, "empty value for '%s'",
			    show(sh, name, nlen));
			return -1;
		}
		if ((r = fn(arg, name, nlen, val, vlen, err, errlen)) == -1)
			return -1;
		if (r == 1) {
			for (q = 0; q < vlen; q++)
				if (!is_ext_char((unsigned char)val[q]))
					break;
			if (q < vlen) {
				sts_err(err, errlen, "invalid character '%s' "
				    "in the value of '%s' (no space, '=' or "
				    "';')", show(sh, val + q, 1),
				    show(sh2, name, nlen));
				return -1;
			}
		}
		nfields++;
	}
	if (nfields == 0) {
		sts_err(err, errlen, "no fields after '%s'", vers);
		return -1;
	}
	return 0;
}

static int
id_valid(const char *s, size_t len)
{
	size_t	i;

	if (len < 1 || len > STS_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!sts_is_alnum((unsigned char)s[i]))
			return 0;
	return 1;
}

struct sts_args {
	char		*id;		/* [STS_ID_MAX + 1] */
	int		 nid;
	sts_warn_fn	*warn;
	void		*warnarg;
};

static int
sts_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen, char *err, size_t errlen)
{
	struct sts_args	*a = arg;
	char		 sh[SHOW_MAX];

	if (nlen != 2 || memcmp(name, "id", 2) != 0)
		return 1;
	if (a->nid++ > 0) {
		/* the first counts; this one is checked as an extension */
		sts_warnf(a->warn, a->warnarg, "more than one id field: the "
		    "first, id=%s, counts; 'id=%s' is ignored (RFC 8461 §3.2)",
		    a->id, show(sh, val, vlen));
		return 1;
	}
	if (vlen > STS_ID_MAX) {
		sts_err(err, errlen, "id is %zu characters long, at most %d "
		    "allowed", vlen, STS_ID_MAX);
		return -1;
	}
	if (!id_valid(val, vlen)) {
		sts_err(err, errlen, "id must be 1 to %d letters or digits, "
		    "not '%s'", STS_ID_MAX, show(sh, val, vlen));
		return -1;
	}
	memcpy(a->id, val, vlen);
	a->id[vlen] = '\0';
	return 0;
}

int
sts_txt_parse(const char *rec, size_t len, char id[STS_ID_MAX + 1],
    char *err, size_t errlen)
{
	return sts_txt_parse_warn(rec, len, id, NULL, NULL, err, errlen);
}

int
sts_txt_parse_warn(const char *rec, size_t len, char id[STS_ID_MAX + 1],
    sts_warn_fn *warn, void *warnarg, char *err, size_t errlen)
{
	struct sts_args	a;
	char		tmp[STS_ID_MAX + 1];

	a.id = tmp;
	a.nid = 0;
	a.warn = warn;
	a.warnarg = warnarg;
	if (record_parse(rec, len, STS_VERS, sts_field, &a, err, errlen) == -1)
		return -1;
	if (a.nid == 0) {
		sts_err(err, errlen, "no id field (id=...)");
		return -1;
	}
	memcpy(id, tmp, sizeof(tmp));
	return 0;
}

/*
 * The one rule for a TLS-RPT rua URI (RFC 8460 §3: tlsrpt-uri = URI of
 * RFC 3986, with ',' and '!' percent-encoded; ';' ends the field, so it
 * must be encoded too), used for the records senders read, for the
 * configuration's tlsrpt and for the record we build from it:
 *
 *   - RFC 3986 characters only (unreserved, reserved but ',' ';' '!', and
 *     '%' HEXDIG HEXDIG): "{x}" is not a URI;
 *   - a scheme: mailto: with local@domain, or https: with //host.
 *
 * ours: a URI we are to publish (the configuration); it must also be at
 * most STS_URI_MAX characters, its mail domain or https host a valid host
 * name, and the message uses the configuration's words ("tlsrpt 'U': ...").
 */
static const char *
uri_char_why(unsigned char c, int ours, char *buf, size_t len)
{
	char	sh[SHOW_MAX];

	if (ours && (c <= 0x20 || c >= 0x7f))
		return "spaces and non-ASCII must be %-encoded";
	if (ours && (c == ',' || c == ';' || c == '!'))
		return "',', ';' and '!' must be %-encoded";
	(void)snprintf(buf, len, "character '%s' must be percent-encoded",
	    show(sh, (const char *)&c, 1));
	return buf;
}

int
sts_uri_check(const char *u, size_t len, int ours, char *err, size_t errlen)
{
	char		 sh[128], cbuf[SHOW_MAX + 48];
	const char	*rest, *at, *end, *why = NULL, *label;
	size_t		 i, sl, rl;

	label = ours ? "tlsrpt" : "rua URI";
	if (ours && len > STS_URI_MAX) {
		why = "longer than 512 characters";
		goto out;
	}
	for (i = 0; i < len && why == NULL; i++) {
		unsigned char c = (unsigned char)u[i];

		if (c == '%') {
			if (i + 2 >= len || !sts_is_hex((unsigned char)u[i + 1]) ||
			    !sts_is_hex((unsigned char)u[i + 2]))
				why = "'%' not followed by two hex digits";
			i += 2;
		} else if (!sts_is_alnum(c) &&
		    (c == '\0' || strchr("-._~$&'()*+=:@/?#[]", c) == NULL))
			why = uri_char_why(c, ours, cbuf, sizeof(cbuf));
	}
	if (why != NULL)
		goto out;
	for (sl = 0; sl < len && u[sl] != ':'; sl++)
		;
	if (sl == len || sl == 0) {
		if (!ours)
			return sts_err(err, errlen, "rua '%s' is not a URI (no "
			    "scheme)", show(sh, u, len));
		why = memchr(u, '@', len) != NULL ? "write it as mailto:ADDRESS" :
		    "expected a mailto: or https: URI";
		goto out;
	}
	rest = u + sl + 1;
	rl = len - sl - 1;
	if (sl == 6 && strncasecmp(u, "mailto", 6) == 0) {
		if ((end = memchr(rest, '?', rl)) == NULL)
			end = rest + rl;
		at = memchr(rest, '@', (size_t)(end - rest));
		if (at == NULL || at == rest || at + 1 == end)
			why = ours ? "expected mailto:user@domain" :
			    "mailto: needs an address local@domain";
		else if (ours && !sts_host_valid(at + 1, (size_t)(end - at - 1)))
			why = "the mail domain is not a valid host name";
	} else if (sl == 5 && strncasecmp(u, "https", 5) == 0) {
		if (rl < 3 || memcmp(rest, "//", 2) != 0 || rest[2] == '/' ||
		    rest[2] == '?' || rest[2] == '#')
			why = ours ? "the host is not a valid host name" :
			    "https: needs a host (https://host/path)";
		else if (ours && !sts_host_valid(rest + 2,
		    strcspn(rest + 2, ":/?#")))
			why = "the host is not a valid host name";
	} else
		why = ours ? "expected a mailto: or https: URI" :
		    "scheme must be mailto: or https:";
 out:
	if (why == NULL)
		return 0;
	return sts_err(err, errlen, "%s '%s': %s", label, ours ?
	    sts_escape(sh, sizeof(sh), u, len) : show(sh, u, len), why);
}

struct rpt_args {
	struct sts_strlist	*rua;
	int			 nrua;
};

/* tlsrpt-rua = "rua=" uri *(*WSP "," *WSP uri) */
static int
rpt_field(void *arg, const char *name, size_t nlen, const char *val,
    size_t vlen, char *err, size_t errlen)
{
	struct rpt_args	*a = arg;
	size_t		 i = 0, s;

	if (nlen != 3 || memcmp(name, "rua", 3) != 0)
		return 1;
	if (a->nrua++ > 0) {
		sts_err(err, errlen, "more than one rua field (list the URIs "
		    "in one, separated by ',')");
		return -1;
	}
	for (;;) {
		for (s = i; i < vlen && val[i] != ',' &&
		    !sts_is_wsp((unsigned char)val[i]); i++)
			;
		if (i == s) {
			sts_err(err, errlen, "empty URI in rua list");
			return -1;
		}
		if (sts_uri_check(val + s, i - s, 0, err, errlen) == -1)
			return -1;
		if (sts_strlist_addn(a->rua, val + s, i - s) == -1) {
			sts_err(err, errlen, "out of memory");
			return -1;
		}
		while (i < vlen && sts_is_wsp((unsigned char)val[i]))
			i++;
		if (i == vlen)
			return 0;
		if (val[i] != ',') {
			sts_err(err, errlen, "rua URIs must be separated by ','");
			return -1;
		}
		for (i++; i < vlen && sts_is_wsp((unsigned char)val[i]); i++)
			;
	}
}

int
sts_tlsrpt_parse(const char *rec, size_t len, struct sts_strlist *rua,
    char *err, size_t errlen)
{
	struct sts_strlist	tmp = { NULL, 0, 0 };
	struct rpt_args		a;
	int			rc = -1;

	a.rua = &tmp;
	a.nrua = 0;
	if (record_parse(rec, len, RPT_VERS, rpt_field, &a, err, errlen) == -1)
		goto out;
	if (a.nrua == 0) {
		sts_err(err, errlen, "no rua field (rua=mailto:...)");
		goto out;
	}
	if (sts_strlist_copy(rua, &tmp) == -1) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	sts_strlist_free(&tmp);
	return rc;
}

/*
 * The selection rule: keep the records that begin with prefix; exactly
 * one must remain. Returns its index, or -1 with err set. A discarded
 * record that was probably meant to count is named in the message.
 */
static int
select_one(const char *const *recs, const size_t *lens, size_t n,
    const char *prefix, size_t *which, char *err, size_t errlen)
{
	char		 sh[SHOW_MAX];
	size_t		 pl = strlen(prefix), vl = pl - 1, i, k, count = 0;
	size_t		 near = n, nk = 0;
	const char	*r;

	for (i = 0; i < n; i++) {
		if (lens[i] >= pl && memcmp(recs[i], prefix, pl) == 0) {
			if (count++ == 0)
				*which = i;
			continue;
		}
		/* a record probably meant to count, for the message */
		for (k = 0; k < lens[i] && sts_is_wsp((unsigned char)recs[i][k]); k++)
			;
		if (near == n && lens[i] - k >= vl &&
		    strncasecmp(recs[i] + k, prefix, vl) == 0) {
			near = i;
			nk = k;
		}
	}
	if (count == 1)
		return 0;
	if (count > 1) {
		sts_err(err, errlen, "%zu records begin with '%s'; exactly one "
		    "is allowed", count, prefix);
		return -1;
	}
	if (near == n) {
		sts_err(err, errlen, "no %.*s record (%zu TXT record%s)",
		    (int)vl, prefix, n, n == 1 ? "" : "s");
		return -1;
	}
	r = recs[near];
	if (nk > 0)
		sts_err(err, errlen, "no %.*s record: '%s' is discarded because "
		    "it begins with whitespace", (int)vl, prefix,
		    show(sh, r, lens[near]));
	else if (memcmp(r, prefix, vl) != 0)
		sts_err(err, errlen, "no %.*s record: '%s' is discarded because "
		    "it does not begin with exactly '%s' (case-sensitive)",
		    (int)vl, prefix, show(sh, r, lens[near]), prefix);
	else if (lens[near] > vl && sts_is_wsp((unsigned char)r[vl]))
		sts_err(err, errlen, "no %.*s record: '%s' is discarded because "
		    "it does not begin with exactly '%s' (RFC 8461 erratum "
		    "6285: no space before ';')", (int)vl, prefix,
		    show(sh, r, lens[near]), prefix);
	else
		sts_err(err, errlen, "no %.*s record: '%s' is discarded because "
		    "'%.*s' is not followed by ';'", (int)vl, prefix,
		    show(sh, r, lens[near]), (int)vl, prefix);
	return -1;
}

int
sts_txt_select(const char *const *recs, const size_t *lens, size_t n,
    size_t *which, char id[STS_ID_MAX + 1], char *err, size_t errlen)
{
	return sts_txt_select_warn(recs, lens, n, which, id, NULL, NULL, err,
	    errlen);
}

int
sts_txt_select_warn(const char *const *recs, const size_t *lens, size_t n,
    size_t *which, char id[STS_ID_MAX + 1], sts_warn_fn *warn, void *warnarg,
    char *err, size_t errlen)
{
	size_t	w = 0;

	if (select_one(recs, lens, n, STS_VERS ";", &w, err, errlen) == -1)
		return -1;
	if (sts_txt_parse_warn(recs[w], lens[w], id, warn, warnarg, err,
	    errlen) == -1)
		return -1;
	*which = w;
	return 0;
}

int
sts_tlsrpt_select(const char *const *recs, const size_t *lens, size_t n,
    size_t *which, struct sts_strlist *rua, char *err, size_t errlen)
{
	size_t	w = 0;

	if (select_one(recs, lens, n, RPT_VERS ";", &w, err, errlen) == -1)
		return -1;
	if (sts_tlsrpt_parse(recs[w], lens[w], rua, err, errlen) == -1)
		return -1;
	*which = w;
	return 0;
}

int
sts_txt_record(const char *id, char *out, size_t outlen)
{
	int	n;

	if (id == NULL || !id_valid(id, strlen(id)))
		return -1;
	n = snprintf(out, outlen, STS_VERS "; id=%s", id);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return 0;
}

int
sts_tlsrpt_record(const struct sts_strlist *rua, char *out, size_t outlen)
{
	size_t	i, off;
	int	n;

	if (rua->n == 0)
		return -1;
	n = snprintf(out, outlen, RPT_VERS "; rua=");
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	off = (size_t)n;
	for (i = 0; i < rua->n; i++) {
		if (sts_uri_check(rua->v[i], strlen(rua->v[i]), 1, NULL, 0) == -1)
			return -1;
		n = snprintf(out + off, outlen - off, "%s%s", i ? "," : "",
		    rua->v[i]);
		if (n < 0 || (size_t)n >= outlen - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}
