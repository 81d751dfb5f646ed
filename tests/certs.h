/* SPDX-License-Identifier: ISC */
/*
 * What the certificate unit tests (t_certs.c, t_dane.c) share: their
 * scratch directory top (the test sets it) and paths in it, the bail-out,
 * a fresh P-256 key and the text a memory BIO holds.
 */
#ifndef TESTS_CERTS_H
#define TESTS_CERTS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>

static char	top[256];		/* tests/tmp/NAME.PID */

/* a broken test, not a failed one: stop */
static void __attribute__((unused, noreturn))
die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(255);
}

/* top/rel, in one of 8 rotating buffers */
static const char * __attribute__((unused))
P(const char *rel)
{
	static char	buf[8][512];
	static int	i;

	i = (i + 1) % 8;
	if ((size_t)snprintf(buf[i], sizeof(buf[i]), "%s/%s", top, rel) >=
	    sizeof(buf[i]))
		die("path too long");
	return buf[i];
}

static EVP_PKEY * __attribute__((unused))
newkey(void)
{
	EVP_PKEY	*k;

	if ((k = EVP_EC_gen("P-256")) == NULL)
		die("EVP_EC_gen");
	return k;
}

/* what a memory BIO holds, NUL-terminated, malloc'd; frees b */
static char * __attribute__((unused))
bio_text(BIO *b, size_t *len)
{
	char	*p = NULL, *out;
	long	 n = BIO_get_mem_data(b, &p);

	if (n < 0 || (out = malloc((size_t)n + 1)) == NULL)
		die("malloc");
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

#endif /* TESTS_CERTS_H */
