/* SPDX-License-Identifier: ISC */
/* Host names, Host headers, mx patterns and IDN conversion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "mtasts.h"

#define PREFIX		"mta-sts."
#define PREFIXLEN	(sizeof(PREFIX) - 1)
#define IN_MAX		1024	/* longest operator input we look at */

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

int
sts_host_valid(const char *name, size_t len)
{
	size_t	i, start = 0, labels = 0;
	int	numeric = 1;

	if (name == NULL || len == 0 || len > STS_HOST_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (i == start || i - start > STS_LABEL_MAX)
				return 0;
			if (name[start] == '-' || name[i - 1] == '-')
				return 0;
			labels++;
			if (i == len)
				break;
			start = i + 1;
			numeric = 1;
			continue;
		}
		if (!is_ldh((unsigned char)name[i]))
			return 0;
		if (name[i] < '0' || name[i] > '9')
			numeric = 0;
	}
	/* the last label must not be all digits: no IPv4 literals */
	return labels >= 2 && !numeric;
}

int
sts_mx_pattern_valid(const char *pat, size_t len)
{
	if (pat == NULL)
		return 0;
	if (len >= 2 && pat[0] == '*' && pat[1] == '.')
		return sts_host_valid(pat + 2, len - 2);
	return sts_host_valid(pat, len);
}

int
sts_host_policy_domain(const char *host, size_t len, char *out, size_t outlen)
{
	char		buf[STS_HOST_MAX + 1];
	size_t		i, hlen, colon = len;
	unsigned long	port = 0;

	if (host == NULL || out == NULL || len == 0)
		return -1;
	/* Only LDH, '.' and ':' may appear at all. */
	for (i = 0; i < len; i++) {
		if (host[i] == ':') {
			if (colon != len)
				return -1;	/* IPv6 without brackets */
			colon = i;
		} else if (host[i] != '.' && !is_ldh((unsigned char)host[i]))
			return -1;
	}
	hlen = colon;
	if (colon != len) {
		if (len - colon - 1 < 1 || len - colon - 1 > 5)
			return -1;
		for (i = colon + 1; i < len; i++) {
			if (host[i] < '0' || host[i] > '9')
				return -1;
			port = port * 10 + (unsigned long)(host[i] - '0');
		}
		if (port > 65535)
			return -1;
	}
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (hlen <= PREFIXLEN || hlen > STS_HOST_MAX)
		return -1;
	for (i = 0; i < hlen; i++)
		buf[i] = (char)lower((unsigned char)host[i]);
	buf[hlen] = '\0';
	if (memcmp(buf, PREFIX, PREFIXLEN) != 0)
		return -1;
	if (!sts_host_valid(buf, hlen) ||
	    !sts_host_valid(buf + PREFIXLEN, hlen - PREFIXLEN))
		return -1;
	if (hlen - PREFIXLEN >= outlen)
		return -1;
	memcpy(out, buf + PREFIXLEN, hlen - PREFIXLEN + 1);
	return 0;
}

static int
ieq(const char *a, const char *b, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (lower((unsigned char)a[i]) != lower((unsigned char)b[i]))
			return 0;
	return 1;
}

int
sts_mx_match(const char *pattern, const char *host)
{
	size_t	plen, hlen, first;
	const char *dot;

	if (pattern == NULL || host == NULL)
		return 0;
	plen = strlen(pattern);
	hlen = strlen(host);
	if (plen > 0 && pattern[plen - 1] == '.')
		plen--;
	if (hlen > 0 && host[hlen - 1] == '.')
		hlen--;
	if (plen == 0 || hlen == 0)
		return 0;
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* exactly one extra, non-empty, left-most label */
		if ((dot = memchr(host, '.', hlen)) == NULL)
			return 0;
		first = (size_t)(dot - host);
		if (first == 0 || (first == 1 && host[0] == '*'))
			return 0;
		return hlen - first - 1 == plen - 2 &&
		    ieq(dot + 1, pattern + 2, plen - 2);
	}
	return plen == hlen && ieq(pattern, host, plen);
}

static void
bad(char *err, size_t errlen, const char *in, const char *why)
{
	char	esc[256];

	if (err == NULL || errlen == 0)
		return;
	sts_escape(esc, sizeof(esc), in, strnlen(in, IN_MAX + 1));
	if (why != NULL)
		snprintf(err, errlen, "not a valid host name: %s (%s)", esc, why);
	else
		snprintf(err, errlen, "not a valid host name: %s", esc);
}

int
sts_host_to_alabel(const char *in, int allow_wildcard, char *out,
    size_t outlen, char *err, size_t errlen)
{
	char		 buf[IN_MAX + 1];
	char		*ace = NULL;
	const char	*name;
	size_t		 len, i, alen, plen;
	int		 wild = 0, ascii = 1, rc, ret = -1;

	if (in == NULL || out == NULL) {
		bad(err, errlen, "", "empty");
		return -1;
	}
	len = strnlen(in, IN_MAX + 1);
	if (len == 0 || len > IN_MAX) {
		bad(err, errlen, in, len == 0 ? "empty" : "too long");
		return -1;
	}
	name = in;
	if (len >= 2 && in[0] == '*' && in[1] == '.') {
		if (!allow_wildcard) {
			bad(err, errlen, in, "a wildcard is not allowed here");
			return -1;
		}
		wild = 1;
		name += 2;
		len -= 2;
	}
	/* one trailing dot, as in zone files, is allowed and dropped */
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0) {
		bad(err, errlen, in, "empty");
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) {
			bad(err, errlen, in, "control character");
			return -1;
		}
		if ((unsigned char)name[i] >= 0x80)
			ascii = 0;
		buf[i] = (char)lower((unsigned char)name[i]);
	}
	buf[len] = '\0';
	if (!ascii || strstr(buf, "xn--") != NULL) {
		/* U-labels, or A-labels that must survive the round trip */
		rc = idn2_to_ascii_8z(buf, &ace,
		    IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
		if (rc != IDN2_OK) {
			bad(err, errlen, in, idn2_strerror(rc));
			goto out;
		}
		alen = strlen(ace);
		if (alen > IN_MAX) {
			bad(err, errlen, in, "too long");
			goto out;
		}
		for (i = 0; i < alen; i++)
			buf[i] = (char)lower((unsigned char)ace[i]);
		buf[alen] = '\0';
		len = alen;
	}
	if (!sts_host_valid(buf, len)) {
		if (len > STS_HOST_MAX)
			bad(err, errlen, in, "longer than 253 octets");
		else
			bad(err, errlen, in, NULL);
		goto out;
	}
	plen = (wild ? 2 : 0) + len;
	if (plen >= outlen) {
		bad(err, errlen, in, "too long");
		goto out;
	}
	if (wild)
		memcpy(out, "*.", 2);
	memcpy(out + (wild ? 2 : 0), buf, len + 1);
	ret = 0;
out:
	if (ace != NULL)
		idn2_free(ace);
	return ret;
}
