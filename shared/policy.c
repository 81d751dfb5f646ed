/* SPDX-License-Identifier: ISC */
/*
 * The policy model: mode names, comparison, rendering (RFC 8461 §3.2, CRLF
 * line ends) and a strict parser for what a sender fetches.
 *
 * The parser follows the ABNF of §3.2 with erratum 6253 (LF or CRLF):
 *
 *   record = field *WSP *(term field *WSP) [term]
 *   field  = name ":" *WSP value
 *
 * so there are no blank lines, no leading whitespace, no whitespace before
 * ':', and whitespace after a value is allowed. The ABNF is ambiguous:
 * "mode: Enforce" also matches the extension production. We read a line
 * whose (case-sensitive) name is version, mode, max_age or mx as that
 * field, whose value must then match its rule. §3.2 says of a repeated
 * field other than mx that "all entries except for the first SHOULD be
 * ignored": a later version, mode or max_age line is ignored whatever its
 * value, as long as the line still has the syntax of a field (which every
 * line must have).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mtasts.h"
#include "util.h"

#define EXT_NAME_MAX	32	/* (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") */
#define MAX_AGE_DIGITS	10
#define SHOW_MAX	80	/* bytes of escaped input quoted in a message */

static const char *const mode_names[] = {
	[STS_MODE_NONE] = "none",
	[STS_MODE_TESTING] = "testing",
	[STS_MODE_ENFORCE] = "enforce",
};

/* Escaped copy of input for a message; buf must hold SHOW_MAX bytes. */
static const char *
show(char *buf, const char *s, size_t len)
{
	return sts_escape(buf, SHOW_MAX, s, len);
}

static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/*
 * Length of the well-formed UTF8-2 / UTF8-3 / UTF8-4 sequence (RFC 3629
 * §4: no overlong forms, no surrogates, nothing above U+10FFFF) at p,
 * or 0.
 */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		need, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		need = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		need = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need;
}

/*
 * sts-policy-ext-value = vchar [*(%x20 / vchar) vchar], vchar being VCHAR
 * or a UTF-8 sequence. v has no leading or trailing WSP (the caller took
 * them off). Returns the offset of the first bad byte, or len if good.
 */
static size_t
ext_value_bad(const char *v, size_t len)
{
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 i = 0, k;

	while (i < len) {
		if (p[i] >= 0x20 && p[i] <= 0x7e)
			i++;
		else if (p[i] >= 0x80 && (k = utf8_seq(p + i, len - i)) > 0)
			i += k;
		else
			return i;
	}
	return len;
}

const char *
sts_mode_name(enum sts_mode m)
{
	if ((unsigned)m >= sizeof(mode_names) / sizeof(mode_names[0]))
		return "invalid";
	return mode_names[m];
}

static int
mode_parse_n(const char *s, size_t len, enum sts_mode *m)
{
	size_t	i;

	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (strlen(mode_names[i]) == len &&
		    memcmp(mode_names[i], s, len) == 0) {
			*m = (enum sts_mode)i;
			return 0;
		}
	return -1;
}

int
sts_mode_parse(const char *s, enum sts_mode *m)
{
	if (s == NULL)
		return -1;
	return mode_parse_n(s, strlen(s), m);
}

void
sts_policy_free(struct sts_policy *p)
{
	if (p == NULL)
		return;
	sts_strlist_free(&p->mx);
	p->mode = STS_MODE_NONE;
	p->max_age = 0;
}

static int
mx_in(const char *s, const struct sts_strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(s, l->v[i]) == 0)
			return 1;
	return 0;
}

/*
 * Set equality without allocating, so it cannot fail: every pattern of
 * one is in the other. O(n * m), and one side is always our own short list.
 */
int
sts_policy_equal(const struct sts_policy *a, const struct sts_policy *b)
{
	size_t	i;

	if (a->mode != b->mode || a->max_age != b->max_age)
		return 0;
	for (i = 0; i < a->mx.n; i++)
		if (!mx_in(a->mx.v[i], &b->mx))
			return 0;
	for (i = 0; i < b->mx.n; i++)
		if (!mx_in(b->mx.v[i], &a->mx))
			return 0;
	return 1;
}

/* Why an mx value is not ["*."] Domain, for the message. */
static const char *
mx_why(const char *v, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] >= 0x80)
			return "is not ASCII: write internationalized names "
			    "as A-labels (xn--...)";
	if (len > 0 && v[len - 1] == '.')
		return "ends in a dot (a trailing dot is not allowed)";
	if ((len > 0 && v[0] == '*' && (len < 2 || v[1] != '.')) ||
	    (len > 1 && memchr(v + 1, '*', len - 1) != NULL))
		return "has a '*' that is not the whole left-most label "
		    "(write *.example.com)";
	return "is not a host name or *.host pattern";
}

int
sts_policy_render(const struct sts_policy *p, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	struct sts_strlist	 mx = { NULL, 0, 0 };
	char			 sh[SHOW_MAX];
	char			*buf = NULL, *s;
	size_t			 i, size, off = 0;
	int			 n, rc = -1;

	*out = NULL;
	*outlen = 0;
	if ((unsigned)p->mode >= sizeof(mode_names) / sizeof(mode_names[0])) {
		sts_err(err, errlen, "invalid mode %d", (int)p->mode);
		goto out;
	}
	if (p->max_age > STS_MAX_AGE_MAX) {
		sts_err(err, errlen, "max_age %lu is above %lu", p->max_age,
		    STS_MAX_AGE_MAX);
		goto out;
	}
	if (sts_strlist_copy(&mx, &p->mx) == -1) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	size = sizeof("version: STSv1\r\nmode: enforce\r\nmax_age: 4294967295\r\n");
	for (i = 0; i < mx.n; i++) {
		for (s = mx.v[i]; *s != '\0'; s++)
			*s = lower(*s);
		if (!sts_mx_pattern_valid(mx.v[i], strlen(mx.v[i]))) {
			sts_err(err, errlen, "mx '%s' %s",
			    show(sh, mx.v[i], strlen(mx.v[i])),
			    mx_why(mx.v[i], strlen(mx.v[i])));
			goto out;
		}
		size += sizeof("mx: \r\n") + strlen(mx.v[i]);
	}
	sts_strlist_sort_uniq(&mx);
	if (p->mode != STS_MODE_NONE && mx.n == 0) {
		sts_err(err, errlen, "mode %s needs at least one mx pattern",
		    sts_mode_name(p->mode));
		goto out;
	}
	if ((buf = malloc(size)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	n = snprintf(buf, size, "version: STSv1\r\nmode: %s\r\n",
	    sts_mode_name(p->mode));
	if (n < 0 || (size_t)n >= size)
		goto trunc;
	off = (size_t)n;
	for (i = 0; i < mx.n; i++) {
		n = snprintf(buf + off, size - off, "mx: %s\r\n", mx.v[i]);
		if (n < 0 || (size_t)n >= size - off)
			goto trunc;
		off += (size_t)n;
	}
	n = snprintf(buf + off, size - off, "max_age: %lu\r\n", p->max_age);
	if (n < 0 || (size_t)n >= size - off)
		goto trunc;
	off += (size_t)n;
	if (off > STS_POLICY_MAX) {
		sts_err(err, errlen, "policy would be %zu bytes, more than the "
		    "%d a sender reads", off, STS_POLICY_MAX);
		goto out;
	}
	*out = buf;
	*outlen = off;
	buf = NULL;
	rc = 0;
	goto out;
trunc:
	sts_err(err, errlen, "internal error: policy buffer too small");
out:
	free(buf);
	sts_strlist_free(&mx);
	return rc;
}

struct pstate {
	struct sts_policy	 pol;
	size_t			 version_line;	/* line of the first of each, or 0 */
	size_t			 mode_line;
	size_t			 max_age_line;
	/* extensions that look like a misspelt version, mode, max_age, mx */
	size_t			 hint_line[4];
	char			 hint[4][EXT_NAME_MAX + 1];
};

enum { F_VERSION, F_MODE, F_MAX_AGE, F_MX };

/* Remember "Mode", "max-age" ...: not fields, but likely meant as one. */
static void
note_lookalike(struct pstate *st, size_t lineno, const char *name, size_t len)
{
	static const struct {
		const char	*name;
		int		 field;
	} look[] = {
		{ "version", F_VERSION }, { "mode", F_MODE },
		{ "max_age", F_MAX_AGE }, { "max-age", F_MAX_AGE },
		{ "maxage", F_MAX_AGE }, { "mx", F_MX },
	};
	size_t	i;
	int	f;

	for (i = 0; i < sizeof(look) / sizeof(look[0]); i++) {
		f = look[i].field;
		if (strlen(look[i].name) == len && st->hint_line[f] == 0 &&
		    strncasecmp(look[i].name, name, len) == 0) {
			st->hint_line[f] = lineno;
			memcpy(st->hint[f], name, len);
			st->hint[f][len] = '\0';
			return;
		}
	}
}

static int
parse_max_age(const char *v, size_t len, unsigned long *out)
{
	uint64_t	n = 0;
	size_t		i;

	if (len < 1 || len > MAX_AGE_DIGITS)
		return -1;
	for (i = 0; i < len; i++) {
		if (!sts_is_digit((unsigned char)v[i]))
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (n > STS_MAX_AGE_MAX)
		return -2;
	*out = (unsigned long)n;
	return 0;
}

/*
 * One line, without its terminator. An ABNF parser: it follows the
 * field production above (name, ':', WSP, value, then each known field's
 * rule) in order, one error message per place it can fail, and is kept
 * whole for that (over 100 lines on purpose).
 */
static int
parse_line(struct pstate *st, size_t lineno, const char *l, size_t len,
    char *err, size_t errlen)
{
	char		 sh[SHOW_MAX];
	const char	*name, *v, *p;
	size_t		 nlen, vlen, i, bad;
	enum sts_mode	 mode;
	int		 r;

	if (len == 0) {
		sts_err(err, errlen, "line %zu: blank line", lineno);
		return -1;
	}
	if ((p = memchr(l, '\r', len)) != NULL) {
		sts_err(err, errlen, "line %zu: bare CR; lines must end in CRLF "
		    "or LF", lineno);
		return -1;
	}
	if ((p = memchr(l, '\0', len)) != NULL) {
		sts_err(err, errlen, "line %zu: NUL byte", lineno);
		return -1;
	}
	if (lineno == 1 && len >= 3 && memcmp(l, "\xef\xbb\xbf", 3) == 0) {
		sts_err(err, errlen, "line 1: begins with a byte order mark "
		    "(\\xef\\xbb\\xbf); the policy must begin with a field");
		return -1;
	}
	if (sts_is_wsp((unsigned char)l[0])) {
		sts_err(err, errlen, "line %zu: begins with whitespace", lineno);
		return -1;
	}
	if (!sts_is_alnum((unsigned char)l[0])) {
		sts_err(err, errlen, "line %zu: a field name must begin with a "
		    "letter or digit: '%s'", lineno, show(sh, l, len));
		return -1;
	}
	for (i = 1; i < len && sts_is_name_char((unsigned char)l[i]); i++)
		;
	name = l;
	nlen = i;
	if (nlen > EXT_NAME_MAX) {
		sts_err(err, errlen, "line %zu: field name longer than %d "
		    "characters: '%s'", lineno, EXT_NAME_MAX,
		    show(sh, name, nlen));
		return -1;
	}
	if (i < len && sts_is_wsp((unsigned char)l[i])) {
		while (i < len && sts_is_wsp((unsigned char)l[i]))
			i++;
		if (i < len && l[i] == ':')
			sts_err(err, errlen, "line %zu: whitespace between "
			    "'%s' and ':'", lineno, show(sh, name, nlen));
		else
			sts_err(err, errlen, "line %zu: no ':' after field "
			    "name '%s'", lineno, show(sh, name, nlen));
		return -1;
	}
	if (i == len) {
		sts_err(err, errlen, "line %zu: no ':' after field name '%s'",
		    lineno, show(sh, name, nlen));
		return -1;
	}
	if (l[i] != ':') {
		sts_err(err, errlen, "line %zu: invalid byte \\x%02x in field "
		    "name '%s'", lineno, (unsigned char)l[i],
		    show(sh, l, i + 1));
		return -1;
	}
	for (i++; i < len && sts_is_wsp((unsigned char)l[i]); i++)
		;
	v = l + i;
	vlen = len - i;
	while (vlen > 0 && sts_is_wsp((unsigned char)v[vlen - 1]))
		vlen--;

	if (nlen == 2 && memcmp(name, "mx", 2) == 0) {
		/* Every mx counts. */
		if (!sts_mx_pattern_valid(v, vlen)) {
			sts_err(err, errlen, "line %zu: mx '%s' %s", lineno,
			    show(sh, v, vlen), mx_why(v, vlen));
			return -1;
		}
		if (sts_strlist_addn(&st->pol.mx, v, vlen) == -1) {
			sts_err(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (nlen == 7 && memcmp(name, "version", 7) == 0 &&
	    st->version_line == 0) {
		if (vlen != 5 || memcmp(v, "STSv1", 5) != 0) {
			sts_err(err, errlen, "line %zu: version must be STSv1, "
			    "not '%s'", lineno, show(sh, v, vlen));
			return -1;
		}
		st->version_line = lineno;
		return 0;
	}
	if (nlen == 4 && memcmp(name, "mode", 4) == 0 && st->mode_line == 0) {
		if (mode_parse_n(v, vlen, &mode) == -1) {
			sts_err(err, errlen, "line %zu: mode must be testing, "
			    "enforce or none, not '%s'", lineno,
			    show(sh, v, vlen));
			return -1;
		}
		st->pol.mode = mode;
		st->mode_line = lineno;
		return 0;
	}
	if (nlen == 7 && memcmp(name, "max_age", 7) == 0 &&
	    st->max_age_line == 0) {
		if ((r = parse_max_age(v, vlen, &st->pol.max_age)) == -1) {
			sts_err(err, errlen, "line %zu: max_age must be 1 to %d "
			    "digits, not '%s'", lineno, MAX_AGE_DIGITS,
			    show(sh, v, vlen));
			return -1;
		} else if (r == -2) {
			sts_err(err, errlen, "line %zu: max_age %s is above %lu",
			    lineno, show(sh, v, vlen), STS_MAX_AGE_MAX);
			return -1;
		}
		st->max_age_line = lineno;
		return 0;
	}

	/* An extension, or a repeated version, mode or max_age: ignored. */
	if (vlen == 0) {
		sts_err(err, errlen, "line %zu: empty value for '%s'", lineno,
		    show(sh, name, nlen));
		return -1;
	}
	if ((bad = ext_value_bad(v, vlen)) < vlen) {
		sts_err(err, errlen, "line %zu: invalid byte \\x%02x in the "
		    "value of '%s'", lineno, (unsigned char)v[bad],
		    show(sh, name, nlen));
		return -1;
	}
	note_lookalike(st, lineno, name, nlen);
	return 0;
}

static void
missing(const struct pstate *st, int f, char *err, size_t errlen)
{
	static const char *const names[] = { "version", "mode", "max_age" };

	if (st->hint_line[f] != 0)
		sts_err(err, errlen, "no %s field (line %zu has '%s'; field "
		    "names are case-sensitive and spelt version, mode, mx, "
		    "max_age)", names[f], st->hint_line[f], st->hint[f]);
	else
		sts_err(err, errlen, "no %s field", names[f]);
}

int
sts_policy_parse(const char *buf, size_t len, struct sts_policy *out,
    char *err, size_t errlen)
{
	struct pstate	 st;
	const char	*nl;
	size_t		 pos = 0, end, next, lineno = 0;
	int		 rc = -1;

	memset(&st, 0, sizeof(st));
	memset(out, 0, sizeof(*out));
	if (len == 0) {
		sts_err(err, errlen, "empty policy");
		goto out;
	}
	if (len > STS_POLICY_MAX) {
		sts_err(err, errlen, "policy is %zu bytes, more than the %d a "
		    "sender reads", len, STS_POLICY_MAX);
		goto out;
	}
	while (pos < len) {
		lineno++;
		if ((nl = memchr(buf + pos, '\n', len - pos)) != NULL) {
			end = (size_t)(nl - buf);
			next = end + 1;
			if (end > pos && buf[end - 1] == '\r')
				end--;		/* CRLF */
		} else
			end = next = len;	/* last line, no terminator */
		if (parse_line(&st, lineno, buf + pos, end - pos, err,
		    errlen) == -1)
			goto out;
		pos = next;
	}
	if (st.version_line == 0) {
		missing(&st, F_VERSION, err, errlen);
		goto out;
	}
	if (st.mode_line == 0) {
		missing(&st, F_MODE, err, errlen);
		goto out;
	}
	if (st.max_age_line == 0) {
		missing(&st, F_MAX_AGE, err, errlen);
		goto out;
	}
	if (st.pol.mode != STS_MODE_NONE && st.pol.mx.n == 0) {
		if (st.hint_line[F_MX] != 0)
			sts_err(err, errlen, "mode %s needs at least one mx "
			    "field (line %zu has '%s'; field names are "
			    "case-sensitive)", sts_mode_name(st.pol.mode),
			    st.hint_line[F_MX], st.hint[F_MX]);
		else
			sts_err(err, errlen, "mode %s needs at least one mx "
			    "field", sts_mode_name(st.pol.mode));
		goto out;
	}
	*out = st.pol;
	memset(&st.pol, 0, sizeof(st.pol));
	rc = 0;
out:
	sts_policy_free(&st.pol);
	return rc;
}
