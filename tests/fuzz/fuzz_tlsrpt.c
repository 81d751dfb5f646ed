/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: the TLS-RPT report parser (checker/tlsrpt.c), JSON
 * and gzip. A report that parses must survive the store's round trip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tlsrpt	 r, r2;
	char		 err[STS_ERR_MAX], *json, *s;
	time_t		 t;

	if (tlsrpt_decode(data, size, &r, err, sizeof(err)) == 0) {
		if (r.id == NULL || r.org == NULL || r.npolicies == 0 ||
		    r.end < r.start)
			abort();
		if ((json = tlsrpt_to_json(&r, NULL)) == NULL)
			abort();
		if (tlsrpt_parse_json(json, strlen(json), &r2, err,
		    sizeof(err)) != 0 || strcmp(r.id, r2.id) != 0 ||
		    r.npolicies != r2.npolicies || r.start != r2.start ||
		    r.end != r2.end)
			abort();
		tlsrpt_free(&r2);
		free(json);
		tlsrpt_free(&r);
	} else if (err[0] == '\0')
		abort();	/* a refusal always says why */
	/* the date parser on the raw bytes */
	if (size < 64 && (s = malloc(size + 1)) != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
		(void)tlsrpt_date(s, &t);
		free(s);
	}
	return 0;
}
