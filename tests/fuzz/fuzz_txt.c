/* SPDX-License-Identifier: ISC */
/* libFuzzer target: _mta-sts and _smtp._tls TXT parsers and selection. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_strlist	 rua = { 0 };
	const char		*recs[8];
	size_t			 lens[8], n = 0, start = 0, i, which;
	char			 id[STS_ID_MAX + 1], err[STS_ERR_MAX];
	char			 rec[STS_ERR_MAX];

	if (sts_txt_parse((const char *)data, size, id, err, sizeof(err)) == 0) {
		if (strlen(id) == 0 || strlen(id) > STS_ID_MAX)
			abort();
		/* Our own record for that id must parse back to it. */
		if (sts_txt_record(id, rec, sizeof(rec)) != 0)
			abort();
		{
			char id2[STS_ID_MAX + 1];

			if (sts_txt_parse(rec, strlen(rec), id2, err, sizeof(err)) != 0 ||
			    strcmp(id, id2) != 0)
				abort();
		}
	}
	(void)sts_tlsrpt_parse((const char *)data, size, &rua, err, sizeof(err));
	sts_strlist_free(&rua);

	/* Split the input at NUL bytes into up to 8 records for selection. */
	for (i = 0; i <= size && n < 8; i++) {
		if (i == size || data[i] == '\0') {
			recs[n] = (const char *)data + start;
			lens[n++] = i - start;
			start = i + 1;
		}
	}
	if (sts_txt_select(recs, lens, n, &which, id, err, sizeof(err)) == 0 &&
	    which >= n)
		abort();
	if (sts_tlsrpt_select(recs, lens, n, &which, &rua, err, sizeof(err)) == 0 &&
	    which >= n)
		abort();
	sts_strlist_free(&rua);
	return 0;
}
