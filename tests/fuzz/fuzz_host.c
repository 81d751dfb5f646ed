/* SPDX-License-Identifier: ISC */
/* libFuzzer target: Host-header normalisation, host validation, mx matching, IDN. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 dom[STS_HOST_MAX + 1], out[STS_HOST_MAX + 3];
	char		 err[STS_ERR_MAX], *s = NULL, *half;
	size_t		 i;

	if (sts_host_policy_domain((const char *)data, size, dom, sizeof(dom)) == 0) {
		/* What routing accepts is a valid, lower-case host name. */
		if (!sts_host_valid(dom, strlen(dom)))
			abort();
		for (i = 0; dom[i] != '\0'; i++)
			if (dom[i] >= 'A' && dom[i] <= 'Z')
				abort();
	}
	(void)sts_host_valid((const char *)data, size);
	(void)sts_mx_pattern_valid((const char *)data, size);

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (sts_host_to_alabel(s, 1, out, sizeof(out), err, sizeof(err)) == 0 &&
	    !sts_mx_pattern_valid(out, strlen(out)))
		abort();
	/* mx matching: first half the pattern, second half the host. */
	half = s + size / 2;
	{
		char c = *half;

		*half = '\0';
		(void)sts_mx_match(s, half + (c != '\0'));
		*half = c;
	}
	free(s);
	return 0;
}
