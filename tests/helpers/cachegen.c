/* SPDX-License-Identifier: ISC */
/*
 * cachegen: writes a cache file of mta-sts-resolve ("mta-sts-resolve
 * cache 1", one record a line, each followed by a tab and its 32-bit
 * FNV-1a checksum in hex), for tests.
 *
 *	cachegen FILE < records     the records on standard input, one a
 *	                            line (P\tdomain\tid\tmode\tmax_age\t
 *	                            fetched\tpatterns\tmatch, or D\tdomain)
 *	cachegen FILE -n COUNT FETCHED
 *	                            COUNT enforce policies, d0000000.test up:
 *	                            id "id<n>", max_age 604800, fetched at
 *	                            FETCHED, mx "mx1.d<n>.test:*.mx.d<n>.test",
 *	                            match "mx1.d<n>.test:a.mx.d<n>.test"
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../resolver/cachesum.h"

static void
put(FILE *f, const char *rec, size_t n)
{
	fwrite(rec, 1, n, f);
	fprintf(f, "\t%08" PRIx32 "\n", cache_sum(rec, n));
}

int
main(int argc, char *argv[])
{
	FILE *f;
	char line[16384];
	size_t n;
	unsigned long i, count;
	long long fetched;
	int k;

	if (argc != 2 && argc != 5) {
		fprintf(stderr, "usage: cachegen FILE [-n COUNT FETCHED]\n");
		return 2;
	}
	if ((f = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	fputs("mta-sts-resolve cache 1\n", f);
	if (argc == 2) {
		while (fgets(line, sizeof(line), stdin) != NULL) {
			n = strcspn(line, "\n");
			put(f, line, n);
		}
	} else {
		count = strtoul(argv[3], NULL, 10);
		fetched = strtoll(argv[4], NULL, 10);
		for (i = 0; i < count; i++) {
			k = snprintf(line, sizeof(line), "P\td%07lu.test\tid%lu\t2\t"
			    "604800\t%lld\tmx1.d%07lu.test:*.mx.d%07lu.test\t"
			    "mx1.d%07lu.test:a.mx.d%07lu.test", i, i, fetched, i,
			    i, i, i);
			put(f, line, (size_t)k);
		}
	}
	if (fclose(f) == EOF) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
