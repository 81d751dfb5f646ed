/* SPDX-License-Identifier: ISC */
/* A growable list of strings, and messages: errors, warnings, escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "util.h"

int
sts_strlist_addn(struct sts_strlist *l, const char *s, size_t len)
{
	char	 *copy = NULL;
	char	**v;

	if ((v = sts_grow(l->v, l->n, &l->cap, sizeof(*v), 8)) == NULL)
		return -1;
	l->v = v;
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, s, len);
	copy[len] = '\0';
	l->v[l->n++] = copy;
	return 0;
}

int
sts_strlist_add(struct sts_strlist *l, const char *s)
{
	return sts_strlist_addn(l, s, strlen(s));
}

int
sts_strlist_copy(struct sts_strlist *dst, const struct sts_strlist *src)
{
	size_t	i;

	for (i = 0; i < src->n; i++)
		if (sts_strlist_add(dst, src->v[i]) == -1)
			return -1;
	return 0;
}

int
sts_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
sts_strlist_sort_uniq(struct sts_strlist *l)
{
	size_t	i, j;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), sts_strp_cmp);
	for (i = 1, j = 0; i < l->n; i++) {
		if (strcmp(l->v[i], l->v[j]) == 0)
			free(l->v[i]);
		else
			l->v[++j] = l->v[i];
	}
	l->n = j + 1;
}

int
sts_strlist_contains(const struct sts_strlist *l, const char *s)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
sts_strlist_equal(const struct sts_strlist *a, const struct sts_strlist *b)
{
	size_t	i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

void
sts_strlist_free(struct sts_strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/*
 * One UTF-8 sequence at p (left bytes): its length (1 to 4) with *cp, or
 * 0 when it is not valid (a stray or missing continuation byte, an
 * overlong form, a surrogate, above U+10FFFF).
 */
size_t
sts_u8_next(const unsigned char *p, size_t left, unsigned *cp)
{
	size_t n, i;
	unsigned c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else
		return 0;
	if (n > left)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Characters that must not reach a terminal or a page as they are: the C1
 * controls, the bidirectional controls (they reorder what follows, as in
 * "Trojan Source") and the line and paragraph separators.
 */
int
sts_u8_hidden(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The one escaper: sts_escape, and with utf8 sts_escape_utf8. The latter
 * cleans messages that are built of parts escaped already ("invalid byte
 * \xc3"): it keeps a backslash, which only sts_escape makes \x5c.
 */
static char *
escape(char *dst, size_t dstlen, const char *src, size_t srclen, int utf8)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)src;
	size_t			 i, k, o = 0;
	unsigned		 cp;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < srclen; i += k) {
		k = 1;
		if (p[i] >= 0x20 && p[i] < 0x7f && (p[i] != '\\' || utf8)) {
			if (o + 1 >= dstlen)
				goto trunc;
			dst[o++] = (char)p[i];
		} else if (utf8 && p[i] >= 0x80 &&
		    (k = sts_u8_next(p + i, srclen - i, &cp)) > 0 &&
		    !sts_u8_hidden(cp)) {
			if (o + k >= dstlen)
				goto trunc;
			memcpy(dst + o, p + i, k);
			o += k;
		} else {
			k = 1;
			if (o + 4 >= dstlen)
				goto trunc;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[p[i] >> 4];
			dst[o++] = hex[p[i] & 15];
		}
	}
	dst[o] = '\0';
	return dst;
trunc:
	if (dstlen >= 4) {
		if (o + 4 > dstlen) {
			o = dstlen - 4;
			/* not in the middle of a character kept as it is */
			while (utf8 && o > 0 &&
			    ((unsigned char)dst[o] & 0xc0) == 0x80)
				o--;
		}
		memcpy(dst + o, "...", 4);
	} else
		dst[0] = '\0';
	return dst;
}

char *
sts_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape(dst, dstlen, src, srclen, 0);
}

char *
sts_escape_utf8(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape(dst, dstlen, src, srclen, 1);
}

int
sts_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(err, errlen, fmt, ap);	/* a cut message is still a message */
	va_end(ap);
	return -1;
}

void
sts_warnf(sts_warn_fn *warn, void *arg, const char *fmt, ...)
{
	char	msg[2 * STS_ERR_MAX];
	va_list	ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(arg, msg);
}
