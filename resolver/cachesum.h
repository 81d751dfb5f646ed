/* SPDX-License-Identifier: ISC */
/*
 * cachesum.h: the checksum at the end of each line of the resolver's
 * cache file (32-bit FNV-1a of the line before its tab, in 8 hex
 * digits). Part of the file format, so it stays apart from the library's
 * 64-bit sts_hash; shared by cache.c (which also hashes its table's
 * domains with it) and tests/helpers/cachegen.c.
 */
#ifndef CACHESUM_H
#define CACHESUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t
cache_sum(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

#endif
