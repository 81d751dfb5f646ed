/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: mta-sts-resolve's netstring reader (resolver/netstring.c)
 * and the keys it takes from a request. The input is read as a client
 * stream: requests one after another, as the event loop does, with the
 * limit of a request and a small one; every payload found must lie inside
 * the input, and a formatted reply must read back as itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolve.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

void
logmsg(const char *fmt, ...)
{
	(void)fmt;
}

static void
stream(const char *buf, size_t len, size_t max)
{
	size_t pos = 0, off, plen, used;
	const char *why;
	char dom[STS_HOST_MAX + 1], out[256];
	int rc;

	while (pos < len) {
		why = NULL;
		rc = ns_parse(buf + pos, len - pos, max, &off, &plen, &used, &why);
		if (rc == -1) {
			if (why == NULL)
				abort();
			return;
		}
		if (rc == 0)
			return;
		if (plen > max || off + plen + 1 != used || used > len - pos ||
		    buf[pos + off + plen] != ',')
			abort();
		{
			const char *p = buf + pos + off, *sp = memchr(p, ' ', plen);

			if (sp != NULL &&
			    key_domain(sp + 1, plen - (size_t)(sp + 1 - p), dom,
			    sizeof(dom)) == 0 && (strlen(dom) == 0 ||
			    !sts_host_valid(dom, strlen(dom))))
				abort();
		}
		if (plen < 200) {
			size_t n = ns_format(out, sizeof(out), buf + pos + off, plen);
			size_t o2, p2, u2;

			if (n == 0 || ns_parse(out, n, max, &o2, &p2, &u2, &why) != 1 ||
			    p2 != plen || u2 != n || memcmp(out + o2, buf + pos + off, plen) != 0)
				abort();
		}
		pos += used;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	stream((const char *)data, size, REQ_MAX);
	stream((const char *)data, size, 16);
	stream((const char *)data, size, (size_t)-1);
	return 0;
}
