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
	size_t	  cap;

	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 8;
		if ((v = realloc(l->v, cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
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

char *
sts_escape(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char hex[] = "0123456789abcdef";
	size_t		  i, o = 0;
	unsigned char	  c;

	if (dstlen == 0)
		return dst;
	for (i = 0; i < srclen; i++) {
		c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= dstlen)
				goto trunc;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				goto trunc;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return dst;
trunc:
	if (dstlen >= 4) {
		o = o + 4 <= dstlen ? o : dstlen - 4;
		memcpy(dst + o, "...", 4);
	} else
		dst[0] = '\0';
	return dst;
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
