/* SPDX-License-Identifier: ISC */
/* libFuzzer target: certificate-name extraction from PEM data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_strlist	 names = { 0 };
	char			 err[STS_ERR_MAX];
	size_t			 i;

	if (sts_certs_names_pem((const char *)data, size, &names, err,
	    sizeof(err)) == 0)
		for (i = 0; i < names.n; i++)
			if (!sts_mx_pattern_valid(names.v[i], strlen(names.v[i])))
				abort();
	sts_strlist_free(&names);
	return 0;
}
