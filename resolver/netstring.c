/* SPDX-License-Identifier: ISC */
/*
 * netstring.c: Postfix's socketmap framing (D. J. Bernstein's netstrings,
 * "12:hello world!,"): the reader of requests, bounded before a byte of
 * the payload is stored, and the writer of replies. No I/O here.
 */
#include <stdio.h>
#include <string.h>

#include "resolve.h"

/*
 * buf[0..len) starts with a netstring? 1 with the payload at buf + *off,
 * *plen bytes long, and *used bytes taken in all; 0 when more bytes are
 * needed; -1 with why when it never can be one (not a digit, a leading
 * zero, a length over max, no ',' after the payload).
 */
int
ns_parse(const char *buf, size_t len, size_t max, size_t *off, size_t *plen,
    size_t *used, const char **why)
{
	size_t i, n = 0, d;

	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		if (i == 1 && buf[0] == '0') {
			*why = "netstring length with a leading zero";
			return -1;
		}
		d = (size_t)(buf[i] - '0');
		if (n > (max - d) / 10) {	/* n * 10 + d > max, without wrapping */
			*why = "netstring longer than the limit";
			return -1;
		}
		n = n * 10 + d;
	}
	if (i == len)
		return 0;
	if (i == 0) {
		*why = "netstring does not start with a length";
		return -1;
	}
	if (buf[i] != ':') {
		*why = "netstring length not followed by ':'";
		return -1;
	}
	i++;
	if (len - i < n + 1)
		return 0;
	if (buf[i + n] != ',') {
		*why = "netstring payload not followed by ','";
		return -1;
	}
	*off = i;
	*plen = n;
	*used = i + n + 1;
	return 1;
}

/* "LEN:data," into out; the length written, or 0 when it does not fit */
size_t
ns_format(char *out, size_t outlen, const char *data, size_t len)
{
	int h;

	h = snprintf(out, outlen, "%zu:", len);
	if (h < 0 || (size_t)h + len + 1 >= outlen)
		return 0;
	memcpy(out + h, data, len);
	out[h + len] = ',';
	out[h + len + 1] = '\0';
	return (size_t)h + len + 1;
}
