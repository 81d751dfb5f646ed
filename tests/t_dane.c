/* SPDX-License-Identifier: ISC */
/*
 * certs.c, the keys for DANE: sts_certs_key_pem (a certificate's
 * SubjectPublicKeyInfo and names; with keys, a public or unencrypted
 * private key), sts_certs_keys (one entry per name per file; key files
 * named after their MX host). The expected SHA-256 is computed here from
 * the EVP_PKEY itself (i2d_PUBKEY), not from the certificate. Files under
 * tests/tmp/dane.PID/, removed at the end. And tlsa_usable: which TLSA
 * records an SMTP client may use (RFC 7672 §3.1.3).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtasts.h"
#include "sender.h"
#include "tap.h"
#include "certs.h"

/* self-signed, subjectAltName san */
static X509 *
mkcert(const char *san, EVP_PKEY *key)
{
	X509		*x = NULL;
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;

	if ((x = X509_new()) == NULL || !X509_set_version(x, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
	    !X509_set_pubkey(x, key))
		die("X509");
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
	    san)) == NULL)
		die("subjectAltName");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		die("X509_sign");
	return x;
}

/* SHA-256 of the key's SubjectPublicKeyInfo, as TLSA 3 1 1 wants it */
static void
spki_of(EVP_PKEY *k, unsigned char out[STS_SPKI_LEN])
{
	unsigned char	*der = NULL;
	unsigned int	 n = 0;
	int		 len;

	if ((len = i2d_PUBKEY(k, &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(), NULL))
		die("i2d_PUBKEY");
	OPENSSL_free(der);
}

enum what { CERT, CERT_DER, KEY_THEN_CERT, PUBKEY, PRIVKEY, ENCKEY, GARBAGE };

static char *
render(enum what w, X509 *x, EVP_PKEY *k, size_t *len)
{
	BIO		*b = BIO_new(BIO_s_mem());
	unsigned char	*der = NULL;
	char		*out;
	int		 n;

	if (b == NULL)
		die("BIO_new");
	switch (w) {
	case CERT:
		PEM_write_bio_X509(b, x);
		break;
	case CERT_DER:
		if ((n = i2d_X509(x, &der)) <= 0)
			die("i2d_X509");
		BIO_write(b, der, n);
		OPENSSL_free(der);
		break;
	case KEY_THEN_CERT:
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
		PEM_write_bio_X509(b, x);
		break;
	case PUBKEY:
		PEM_write_bio_PUBKEY(b, k);
		break;
	case PRIVKEY:
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
		break;
	case ENCKEY:
		PEM_write_bio_PKCS8PrivateKey(b, k, EVP_aes_128_cbc(), "secret",
		    6, NULL, NULL);
		break;
	case GARBAGE:
		BIO_puts(b, "-----BEGIN NOTHING-----\nxx\n-----END NOTHING-----\n");
		break;
	}
	out = bio_text(b, len);
	return out;
}

static void
write_text(const char *path, const char *text, size_t len)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0)
		die(path);
}

static void
collect(void *arg, const char *msg)
{
	(void)sts_strlist_add(arg, msg);
}

int
main(void)
{
	EVP_PKEY		*k1 = newkey(), *k2 = newkey();
	X509			*x1 = mkcert("DNS:mx1.example.test,DNS:*.mx.example.test", k1);
	unsigned char		 h1[STS_SPKI_LEN], h2[STS_SPKI_LEN], got[STS_SPKI_LEN];
	struct sts_strlist	 names = { 0 }, warns = { 0 };
	struct sts_certkeys	 ks = { 0 };
	char			 err[STS_ERR_MAX], *text;
	size_t			 len, i;
	int			 cert, rc;
	static const struct {
		enum what	 w;
		int		 keys;
		int		 rc, cert, key2;	/* key2: k2's key, else k1's */
		const char	*names, *err;
	} t[] = {
		{ CERT, 0, 0, 1, 0, "*.mx.example.test mx1.example.test", "" },
		{ CERT_DER, 0, 0, 1, 0, "*.mx.example.test mx1.example.test", "" },
		{ KEY_THEN_CERT, 1, 0, 1, 0, "*.mx.example.test mx1.example.test", "" },
		{ PUBKEY, 1, 0, 0, 1, "", "" },
		{ PRIVKEY, 1, 0, 0, 1, "", "" },
		{ PUBKEY, 0, -1, 0, 1, "", "no certificate" },
		{ PRIVKEY, 0, -1, 0, 1, "", "no certificate" },
		{ ENCKEY, 1, -1, 0, 1, "", "no certificate, public key or unencrypted private key" },
		{ GARBAGE, 1, -1, 0, 1, "", "no certificate, public key or unencrypted private key" },
	};
	static const char *const wname[] = { "certificate", "DER certificate",
	    "private key, then certificate", "public key", "private key",
	    "encrypted private key", "garbage" };

	spki_of(k1, h1);
	spki_of(k2, h2);

	/* ---- sts_certs_key_pem: table ---- */
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char joined[512] = "";
		size_t j;

		text = render(t[i].w, x1, t[i].key2 ? k2 : k1, &len);
		memset(got, 0, sizeof(got));
		err[0] = '\0';
		cert = -1;
		rc = sts_certs_key_pem(text, len, t[i].keys, got, &cert, &names,
		    err, sizeof(err));
		is_int(rc, t[i].rc, "%s (keys %d): returns %d", wname[t[i].w],
		    t[i].keys, t[i].rc);
		if (t[i].rc == 0) {
			ok(memcmp(got, t[i].key2 ? h2 : h1, STS_SPKI_LEN) == 0,
			    "  SHA-256 of the SubjectPublicKeyInfo");
			is_int(cert, t[i].cert, "  from a %s",
			    t[i].cert ? "certificate" : "key");
		} else
			is_str(err, t[i].err, "  error");
		for (j = 0; j < names.n; j++) {
			strcat(joined, j ? " " : "");
			strcat(joined, names.v[j]);
		}
		is_str(joined, t[i].names, "  names");
		sts_strlist_free(&names);
		free(text);
	}

	/* ---- sts_certs_keys: a directory ---- */
	if ((size_t)snprintf(top, sizeof(top), "tests/tmp/dane.%d",
	    (int)getpid()) >= sizeof(top))
		die("path");
	(void)mkdir("tests/tmp", 0755);
	if (mkdir(top, 0700) == -1)
		die(top);
	text = render(CERT, x1, k1, &len);
	write_text(P("a.pem"), text, len);
	free(text);
	text = render(PRIVKEY, x1, k2, &len);
	write_text(P("mx2.example.test.key"), text, len);
	write_text(P("nohost.key"), text, len);		/* one label: not a host */
	free(text);
	text = render(PUBKEY, x1, k2, &len);
	write_text(P("MX3.Example.Test.pub"), text, len);
	free(text);

	rc = sts_certs_keys(top, 1, &ks, collect, &warns, err, sizeof(err));
	is_int(rc, 0, "keys of a directory (tlsa-next): 0");
	is_int((int)ks.n, 4, "  4 entries: 2 names of a.pem, 2 key files");
	if (ks.n == 4) {
		is_str(ks.v[0].name, "mx3.example.test", "  MX3.Example.Test.pub: for mx3.example.test (lower case)");
		ok(ks.v[0].cert == 0 && memcmp(ks.v[0].spki, h2, STS_SPKI_LEN) == 0,
		    "  ... a key file, k2's key");
		is_str(ks.v[1].name, "*.mx.example.test", "  a.pem: its wildcard name");
		is_str(ks.v[2].name, "mx1.example.test", "  a.pem: its other name");
		ok(ks.v[1].cert == 1 && memcmp(ks.v[1].spki, h1, STS_SPKI_LEN) == 0 &&
		    memcmp(ks.v[2].spki, h1, STS_SPKI_LEN) == 0,
		    "  ... from a certificate, k1's key");
		is_str(ks.v[3].name, "mx2.example.test", "  mx2.example.test.key: for mx2.example.test");
		ok(memcmp(ks.v[3].spki, h2, STS_SPKI_LEN) == 0, "  ... k2's key");
	}
	is_int((int)warns.n, 1, "  one warning");
	if (warns.n == 1)
		ok(strstr(warns.v[0], "nohost.key: a key without a certificate "
		    "must be in a file named after its MX host") != NULL,
		    "  ... names nohost.key and says how to name it: %s", warns.v[0]);
	sts_certkeys_free(&ks);
	sts_strlist_free(&warns);

	rc = sts_certs_keys(top, 0, &ks, collect, &warns, err, sizeof(err));
	is_int(rc, 0, "keys of a certificate store (certs): 0");
	is_int((int)ks.n, 2, "  only the certificate's two names: key files passed over");
	is_int((int)warns.n, 0, "  in silence");
	sts_certkeys_free(&ks);
	sts_strlist_free(&warns);

	rc = sts_certs_keys(P("missing"), 1, &ks, collect, &warns, err, sizeof(err));
	is_int(rc, -1, "a missing directory: -1");
	ok(strstr(err, "missing: No such file or directory") != NULL,
	    "  err names it: %s", err);
	sts_certkeys_free(&ks);
	sts_strlist_free(&warns);

	/* tlsa_usable: DANE-TA/EE with a known selector and digest only */
	{
		unsigned char d64[64] = { 0 };
		static const struct {
			unsigned char u, s, m;
			size_t len;
			int want;
			const char *what;
		} tu[] = {
			{ 3, 1, 1, 32, 1, "3 1 1 (DANE-EE, SPKI, SHA-256)" },
			{ 2, 0, 1, 32, 1, "2 0 1 (DANE-TA, certificate, SHA-256)" },
			{ 3, 0, 2, 64, 1, "3 0 2 (SHA-512)" },
			{ 2, 1, 0, 40, 1, "2 1 0 (the full key)" },
			{ 1, 1, 1, 32, 0, "1 1 1 (PKIX-EE): unusable for SMTP" },
			{ 0, 0, 1, 32, 0, "0 0 1 (PKIX-TA): unusable for SMTP" },
			{ 4, 1, 1, 32, 0, "usage 4: unknown" },
			{ 3, 2, 1, 32, 0, "selector 2: unknown" },
			{ 3, 1, 3, 32, 0, "matching type 3: unknown" },
			{ 3, 1, 1, 31, 0, "SHA-256 of 31 bytes" },
			{ 3, 1, 2, 32, 0, "SHA-512 of 32 bytes" },
			{ 3, 1, 0, 0, 0, "full data of 0 bytes" },
		};
		struct tlsa ta;
		size_t j;

		for (j = 0; j < sizeof(tu) / sizeof(tu[0]); j++) {
			ta.usage = tu[j].u;
			ta.selector = tu[j].s;
			ta.mtype = tu[j].m;
			ta.data = d64;
			ta.len = tu[j].len;
			is_int(tlsa_usable(&ta), tu[j].want, "tlsa_usable: %s",
			    tu[j].what);
		}
	}

	unlink(P("a.pem"));
	unlink(P("mx2.example.test.key"));
	unlink(P("nohost.key"));
	unlink(P("MX3.Example.Test.pub"));
	rmdir(top);
	X509_free(x1);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	return done_testing();
}
