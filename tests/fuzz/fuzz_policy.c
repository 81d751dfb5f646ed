/* SPDX-License-Identifier: ISC */
/* libFuzzer target: the strict policy parser, and render(parse(x)) round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_policy	 p, q;
	char			 err[STS_ERR_MAX];
	char			*text = NULL;
	size_t			 len;

	memset(&p, 0, sizeof(p));
	memset(&q, 0, sizeof(q));
	if (sts_policy_parse((const char *)data, size, &p, err, sizeof(err)) == 0) {
		/*
		 * Whatever parses must render, and render to what parses the
		 * same; the one exception is a policy whose CRLF rendering
		 * outgrows what a sender reads (many short LF-ended mx lines).
		 */
		if (sts_policy_render(&p, &text, &len, err, sizeof(err)) != 0) {
			if (size < STS_POLICY_MAX / 2 || strstr(err, "65536") == NULL)
				abort();
		} else {
			if (sts_policy_parse(text, len, &q, err, sizeof(err)) != 0)
				abort();
			if (!sts_policy_equal(&p, &q))
				abort();
		}
	} else if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	free(text);
	sts_policy_free(&p);
	sts_policy_free(&q);
	return 0;
}
