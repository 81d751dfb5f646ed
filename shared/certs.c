/* SPDX-License-Identifier: ISC */
/*
 * Names from the mail server's certificates: the DNS names of the leaf
 * certificate of every file a certs spec names, a cheap signature of those
 * files, and a cache of spec -> names.
 *
 * A spec is a directory (every file in it whose name does not begin with
 * '.', symbolic links followed; subdirectories are not searched), a glob(3)
 * pattern, or the path of one file. Each file is read whole (at most 1 MiB)
 * and its first certificate is used: the first PEM CERTIFICATE block
 * (other blocks before it, a private key say, are passed over), or the
 * whole file when it is one DER certificate. Expired certificates still
 * give their names: the checker warns about expiry on its own.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtasts.h"
#include "util.h"

#define CERT_FILE_MAX	(1024 * 1024)	/* bigger files are skipped */
#define ESC_MAX		512		/* an escaped path in a message */

static const char nomem[] = "out of memory";

static const char *const web_prefixes[] = {
	"mta-sts.", "autoconfig.", "autodiscover."
};

static const char *
esc(char buf[ESC_MAX], const char *s)
{
	return sts_escape(buf, ESC_MAX, s, strlen(s));
}

/* ---- one certificate to names ----------------------------------------- */

/*
 * Add one name as found in a certificate (len bytes, not NUL-terminated)
 * if it is usable as an mx pattern; anything else is dropped silently.
 */
static int
add_name(struct sts_strlist *names, const unsigned char *s, size_t len)
{
	char	 raw[1024];		/* UTF-8 may be longer than its A-label */
	char	 name[STS_HOST_MAX + 3];	/* "*." host NUL */
	char	 why[STS_ERR_MAX];
	size_t	 i;
	int	 ascii = 1;

	if (len > 0 && s[len - 1] == '.')
		len--;			/* "mx.example.com." */
	if (len == 0 || len >= sizeof(raw) || memchr(s, '\0', len) != NULL)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80)
			ascii = 0;
		/* ASCII only: tolower(3) would follow the caller's locale */
		raw[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	}
	raw[len] = '\0';
	if (ascii) {
		if (len >= sizeof(name))
			return 0;
		memcpy(name, raw, len + 1);
	} else {
		/* A U-label in a (non-conforming) CN: its A-label form. */
		if (sts_host_to_alabel(raw, 1, name, sizeof(name), why,
		    sizeof(why)) == -1)
			return 0;
		len = strlen(name);
	}
	if (!sts_mx_pattern_valid(name, len))
		return 0;
	for (i = 0; i < sizeof(web_prefixes) / sizeof(web_prefixes[0]); i++)
		if (strncmp(name, web_prefixes[i], strlen(web_prefixes[i])) == 0)
			return 0;
	return sts_strlist_addn(names, name, len);
}

/* SAN dNSNames, or every subject CN when there is no dNSName. */
static int
cert_names(X509 *x, struct sts_strlist *names, char *err, size_t errlen)
{
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*gen;
	const X509_NAME		*subj;
	const X509_NAME_ENTRY	*ne;
	unsigned char		*utf8 = NULL;
	int			 crit = -1, i, n, len, ndns = 0, rc = -1;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL && crit != -1) {
		sts_err(err, errlen, "%s subjectAltName",
		    crit == -2 ? "more than one" : "malformed");
		goto out;
	}
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		gen = sk_GENERAL_NAME_value(gens, i);
		if (gen->type != GEN_DNS)
			continue;	/* iPAddress and the rest: never patterns */
		ndns++;
		if (add_name(names, ASN1_STRING_get0_data(gen->d.dNSName),
		    (size_t)ASN1_STRING_length(gen->d.dNSName)) == -1)
			goto nomem;
	}
	if (ndns == 0 && (subj = X509_get_subject_name(x)) != NULL) {
		for (i = -1; (i = X509_NAME_get_index_by_NID(subj,
		    NID_commonName, i)) >= 0; ) {
			ne = X509_NAME_get_entry(subj, i);
			len = ASN1_STRING_to_UTF8(&utf8,
			    X509_NAME_ENTRY_get_data(ne));
			if (len < 0)
				continue;	/* not convertible: not a name */
			if (add_name(names, utf8, (size_t)len) == -1)
				goto nomem;
			OPENSSL_free(utf8);
			utf8 = NULL;
		}
	}
	rc = 0;
	goto out;
nomem:
	sts_err(err, errlen, nomem);
out:
	OPENSSL_free(utf8);
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Sort src, drop its duplicates, append it to dst; on ENOMEM dst is left as it was. */
static int
append_sorted(struct sts_strlist *dst, struct sts_strlist *src, char *err,
    size_t errlen)
{
	size_t	i;

	sts_strlist_sort_uniq(src);
	for (i = 0; i < src->n; i++)
		if (sts_strlist_add(dst, src->v[i]) == -1) {
			while (i-- > 0)
				free(dst->v[--dst->n]);
			sts_err(err, errlen, nomem);
			return -1;
		}
	return 0;
}

/* Certificates are never encrypted: never ask for a passphrase. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/*
 * The first certificate in pem (PEM, else one DER certificate): *bio over
 * pem (the caller frees it, and may reset it to read keys) and *x, NULL
 * when there is none. -1 with err when pem cannot be read at all.
 */
static int
cert_read(const char *pem, size_t len, BIO **bio, X509 **x, char *err,
    size_t errlen)
{
	const unsigned char	*p;

	if (len > INT_MAX) {
		sts_err(err, errlen, "too large");
		return -1;
	}
	if ((*bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		sts_err(err, errlen, nomem);
		return -1;
	}
	*x = PEM_read_bio_X509(*bio, NULL, no_passphrase, NULL);
	if (*x == NULL && len > 0 && (unsigned char)pem[0] == 0x30) {
		p = (const unsigned char *)pem;	/* one DER certificate */
		*x = d2i_X509(NULL, &p, (long)len);
	}
	return 0;
}

int
sts_certs_names_pem(const char *pem, size_t len, struct sts_strlist *names,
    char *err, size_t errlen)
{
	struct sts_strlist	 tmp = { NULL, 0, 0 };
	BIO			*bio = NULL;
	X509			*x = NULL;
	int			 rc = -1;

	ERR_set_mark();
	if (cert_read(pem, len, &bio, &x, err, errlen) == -1)
		goto out;
	if (x == NULL) {
		sts_err(err, errlen, "no certificate");
		goto out;
	}
	if (cert_names(x, &tmp, err, errlen) == -1)
		goto out;
	if (append_sorted(names, &tmp, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	sts_strlist_free(&tmp);
	X509_free(x);
	BIO_free(bio);
	ERR_pop_to_mark();	/* our failures are not the caller's */
	return rc;
}

/* ---- which files a spec names ----------------------------------------- */

struct specfiles {
	struct sts_strlist	files;		/* sorted paths */
	int			isdir;		/* spec is a directory ... */
	struct stat		dirst;		/* ... and this is its stat */
	int			nomatch;	/* a glob that matched nothing */
	char			unread[PATH_MAX]; /* a directory a glob could */
	int			unread_errno;	  /* not read, and why */
};

/*
 * The first directory glob(3) could not read. Its error callback takes no
 * argument, hence a variable per thread (the responder loads in threads).
 */
static _Thread_local char	glob_errpath[PATH_MAX];
static _Thread_local int	glob_errno;

static int
glob_err(const char *epath, int eerrno)
{
	if (glob_errno == 0 && eerrno != ENOENT && eerrno != ENOTDIR &&
	    strlen(epath) < sizeof(glob_errpath)) {
		memcpy(glob_errpath, epath, strlen(epath) + 1);
		glob_errno = eerrno;
	}
	return 0;		/* go on with the rest */
}

/*
 * The directory on the way to path that cannot be searched (certbot makes
 * live/ and archive/ 0700): the deepest ancestor that can be looked at
 * while the next one cannot, with EACCES. NULL when there is none.
 */
static const char *
blocked_dir(const char *path, char *buf, size_t buflen)
{
	struct stat	st;
	size_t		i, n = strlen(path), prev = 0;

	if (n >= buflen)
		return NULL;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		buf[i] = '\0';
		if (stat(buf, &st) == -1) {
			if (errno != EACCES || prev == 0)
				return NULL;
			buf[prev] = '\0';
			return buf;
		}
		buf[i] = path[i];
		prev = i;
	}
	return NULL;
}

static int
has_magic(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int
list_dir(const char *dir, struct sts_strlist *files, char *err, size_t errlen)
{
	char		 e1[ESC_MAX], path[PATH_MAX];
	DIR		*d = NULL;
	struct dirent	*de;
	const char	*sep;
	int		 n, rc = -1;

	if ((d = opendir(dir)) == NULL) {
		sts_err(err, errlen, "%s: %s", esc(e1, dir), strerror(errno));
		goto out;
	}
	sep = dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/";
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				sts_err(err, errlen, "%s: %s", esc(e1, dir),
				    strerror(errno));
				goto out;
			}
			break;
		}
		if (de->d_name[0] == '.')
			continue;	/* ".", "..", hidden files, editors' temporaries */
		n = snprintf(path, sizeof(path), "%s%s%s", dir, sep, de->d_name);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			sts_err(err, errlen, "%s: path too long", esc(e1, dir));
			goto out;
		}
		if (sts_strlist_add(files, path) == -1) {
			sts_err(err, errlen, nomem);
			goto out;
		}
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	return rc;
}

static int
list_glob(const char *pat, struct specfiles *sf, char *err, size_t errlen)
{
	char	 e1[ESC_MAX], e2[ESC_MAX];
	glob_t	 g;
	size_t	 i;
	int	 r, rc = -1;

	memset(&g, 0, sizeof(g));
	glob_errno = 0;
	r = glob(pat, 0, glob_err, &g);
	if (glob_errno != 0 && r == GLOB_NOMATCH) {
		/* not "no file matches": it could not look */
		sts_err(err, errlen, "%s: %s (certs = %s)",
		    esc(e1, glob_errpath), strerror(glob_errno), esc(e2, pat));
		goto out;
	}
	if (glob_errno != 0) {		/* some matched: warned by the caller */
		memcpy(sf->unread, glob_errpath, sizeof(sf->unread));
		sf->unread_errno = glob_errno;
	}
	if (r == GLOB_NOMATCH) {
		sf->nomatch = 1;
		rc = 0;
		goto out;
	}
	if (r != 0) {
		sts_err(err, errlen, "%s: %s", esc(e1, pat),
		    r == GLOB_NOSPACE ? nomem : "cannot read");
		goto out;
	}
	for (i = 0; i < g.gl_pathc; i++)
		if (sts_strlist_add(&sf->files, g.gl_pathv[i]) == -1) {
			sts_err(err, errlen, nomem);
			goto out;
		}
	rc = 0;
out:
	globfree(&g);
	return rc;
}

static void
specfiles_free(struct specfiles *sf)
{
	sts_strlist_free(&sf->files);
}

static int
spec_files(const char *spec, struct specfiles *sf, char *err, size_t errlen)
{
	char		 e1[ESC_MAX], e2[ESC_MAX], path[PATH_MAX];
	const char	*dir;
	struct stat	 st;
	int		 r, saved;

	memset(sf, 0, sizeof(*sf));
	if (spec == NULL || spec[0] == '\0') {
		sts_err(err, errlen, "empty certs path");
		return -1;
	}
	r = stat(spec, &st);
	saved = errno;
	if (r == 0 && S_ISDIR(st.st_mode)) {
		sf->isdir = 1;
		sf->dirst = st;
		r = list_dir(spec, &sf->files, err, errlen);
	} else if (has_magic(spec))
		r = list_glob(spec, sf, err, errlen);
	else if (r == 0) {
		if ((r = sts_strlist_add(&sf->files, spec)) == -1)	/* one file */
			sts_err(err, errlen, nomem);
	} else if (saved == EACCES &&
	    (dir = blocked_dir(spec, path, sizeof(path))) != NULL) {
		sts_err(err, errlen, "%s: %s (certs = %s)", esc(e1, dir),
		    strerror(saved), esc(e2, spec));
		return -1;
	} else {
		sts_err(err, errlen, "%s: %s", esc(e1, spec), strerror(saved));
		return -1;
	}
	if (r == -1) {
		specfiles_free(sf);
		return -1;
	}
	sts_strlist_sort_uniq(&sf->files);
	return 0;
}

/* ---- reading files ---------------------------------------------------- */

/*
 * Read one certificate file whole; -1 with why ("PATH: Permission
 * denied"). Subdirectories are not followed.
 */
static int
read_file(const char *path, char **bufp, size_t *lenp, char *why, size_t whylen)
{
	char	 e1[ESC_MAX];

	if (sts_read_file(AT_FDCWD, path, CERT_FILE_MAX, bufp, lenp, NULL, why,
	    whylen) == 0)
		return 0;
	if (errno == EISDIR)
		sts_err(why, whylen, "%s: a directory (subdirectories are not"
		    " read: name their files with a glob)", esc(e1, path));
	else if (errno == EFBIG)
		sts_err(why, whylen, "%s: larger than 1 MiB", esc(e1, path));
	else if (errno == ENOMEM)
		sts_err(why, whylen, nomem);
	return -1;
}

int
sts_certs_names(const char *spec, struct sts_strlist *names,
    sts_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	struct specfiles	 sf;
	struct sts_strlist	 tmp = { NULL, 0, 0 };
	char			 why[STS_ERR_MAX], e1[ESC_MAX], e2[ESC_MAX];
	char			*buf = NULL;
	size_t			 i, len = 0;
	int			 r, rc = -1;

	if (spec_files(spec, &sf, err, errlen) == -1)
		return -1;
	if (sf.nomatch)
		sts_warnf(warn, arg, "%s: no file matches", esc(e1, spec));
	if (sf.unread_errno != 0)
		sts_warnf(warn, arg, "%s: %s, its files skipped (certs = %s)",
		    esc(e1, sf.unread), strerror(sf.unread_errno),
		    esc(e2, spec));
	for (i = 0; i < sf.files.n; i++) {
		r = read_file(sf.files.v[i], &buf, &len, why, sizeof(why));
		if (r == -1 && strcmp(why, nomem) != 0) {
			sts_warnf(warn, arg, "%s, skipped", why);
			continue;
		}
		if (r == 0) {
			r = sts_certs_names_pem(buf, len, &tmp, why, sizeof(why));
			OPENSSL_cleanse(buf, len);	/* it may hold a key too */
			free(buf);
			buf = NULL;
		}
		if (r == -1 && strcmp(why, nomem) == 0) {
			sts_err(err, errlen, "%s", why);
			goto out;
		}
		if (r == -1)
			sts_warnf(warn, arg, "%s: %s, skipped",
			    esc(e1, sf.files.v[i]), why);
	}
	if (append_sorted(names, &tmp, err, errlen) == -1)
		goto out;
	rc = 0;
out:
	sts_strlist_free(&tmp);
	specfiles_free(&sf);
	return rc;
}

/* ---- keys, for DANE (TLSA 3 1 1) ------------------------------------- */

/* SHA-256 of a DER SubjectPublicKeyInfo */
static int
spki_digest(const unsigned char *der, int len, unsigned char out[STS_SPKI_LEN])
{
	unsigned int	n = 0;

	if (len <= 0 || !EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(),
	    NULL) || n != STS_SPKI_LEN)
		return -1;
	return 0;
}

int
sts_certs_key_pem(const char *pem, size_t len, int keys,
    unsigned char spki[STS_SPKI_LEN], int *cert, struct sts_strlist *names,
    char *err, size_t errlen)
{
	struct sts_strlist	 tmp = { NULL, 0, 0 };
	BIO			*bio = NULL;
	X509			*x = NULL;
	EVP_PKEY		*pk = NULL;
	unsigned char		*der = NULL;
	int			 dlen = -1, rc = -1;

	ERR_set_mark();
	*cert = 0;
	if (cert_read(pem, len, &bio, &x, err, errlen) == -1)
		goto out;
	if (x != NULL) {
		*cert = 1;
		dlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
		if (cert_names(x, &tmp, err, errlen) == -1 ||
		    append_sorted(names, &tmp, err, errlen) == -1)
			goto out;
	} else if (keys) {
		/* a public key, else a private key (never a passphrase) */
		if (BIO_reset(bio) != 1 ||
		    (pk = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase,
		    NULL)) == NULL) {
			(void)BIO_reset(bio);
			pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
			    NULL);
		}
		if (pk == NULL) {
			sts_err(err, errlen, "no certificate, public key or "
			    "unencrypted private key");
			goto out;
		}
		dlen = i2d_PUBKEY(pk, &der);
	} else {
		sts_err(err, errlen, "no certificate");
		goto out;
	}
	if (spki_digest(der, dlen, spki) == -1) {
		sts_err(err, errlen, "cannot encode its public key");
		goto out;
	}
	rc = 0;
out:
	sts_strlist_free(&tmp);
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	X509_free(x);
	BIO_free(bio);
	ERR_pop_to_mark();
	return rc;
}

void
sts_certkeys_free(struct sts_certkeys *ks)
{
	size_t	i;

	if (ks == NULL)
		return;
	for (i = 0; i < ks->n; i++) {
		free(ks->v[i].path);
		free(ks->v[i].name);
	}
	free(ks->v);
	memset(ks, 0, sizeof(*ks));
}

static int
certkeys_add(struct sts_certkeys *ks, const char *path, const char *name,
    const unsigned char spki[STS_SPKI_LEN], int cert)
{
	struct sts_certkey	*v;
	size_t			 cap;

	if (ks->n == ks->cap) {
		cap = ks->cap ? ks->cap * 2 : 8;
		if ((v = reallocarray(ks->v, cap, sizeof(*v))) == NULL)
			return -1;
		ks->v = v;
		ks->cap = cap;
	}
	v = &ks->v[ks->n];
	memset(v, 0, sizeof(*v));
	if ((v->path = strdup(path)) == NULL ||
	    (v->name = strdup(name)) == NULL) {
		free(v->path);
		free(v->name);
		return -1;
	}
	memcpy(v->spki, spki, STS_SPKI_LEN);
	v->cert = cert;
	ks->n++;
	return 0;
}

/* "/x/mx1.example.com.key" -> "mx1.example.com", when that is a host name */
static int
key_file_host(const char *path, char *out, size_t outlen)
{
	static const char *const exts[] = { ".pem", ".key", ".pub" };
	const char	*b = strrchr(path, '/');
	size_t		 len, i, el;

	b = b != NULL ? b + 1 : path;
	len = strlen(b);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		el = strlen(exts[i]);
		if (len > el && strcmp(b + len - el, exts[i]) == 0) {
			len -= el;
			break;
		}
	}
	if (len == 0 || len >= outlen || !sts_host_valid(b, len))
		return -1;
	for (i = 0; i < len; i++)
		out[i] = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);
	out[len] = '\0';
	return 0;
}

int
sts_certs_keys(const char *spec, int keys, struct sts_certkeys *ks,
    sts_warn_fn *warn, void *arg, char *err, size_t errlen)
{
	struct specfiles	 sf;
	struct sts_strlist	 names = { NULL, 0, 0 };
	unsigned char		 spki[STS_SPKI_LEN];
	char			 why[STS_ERR_MAX], e1[ESC_MAX], e2[ESC_MAX];
	char			 host[STS_HOST_MAX + 1];
	char			*buf = NULL;
	size_t			 i, k, len = 0;
	int			 r, cert, rc = -1;

	if (spec_files(spec, &sf, err, errlen) == -1)
		return -1;
	if (keys && sf.nomatch)
		sts_warnf(warn, arg, "%s: no file matches", esc(e1, spec));
	for (i = 0; i < sf.files.n; i++) {
		sts_strlist_free(&names);
		r = read_file(sf.files.v[i], &buf, &len, why, sizeof(why));
		if (r == -1 && strcmp(why, nomem) != 0) {
			sts_warnf(warn, arg, "%s, skipped", why);
			continue;
		}
		if (r == 0) {
			r = sts_certs_key_pem(buf, len, keys, spki, &cert,
			    &names, why, sizeof(why));
			OPENSSL_cleanse(buf, len);	/* it may hold a key */
			free(buf);
			buf = NULL;
		}
		if (r == -1 && strcmp(why, nomem) == 0) {
			sts_err(err, errlen, "%s", why);
			goto out;
		}
		if (r == -1) {
			if (keys)
				sts_warnf(warn, arg, "%s: %s, skipped",
				    esc(e1, sf.files.v[i]), why);
			continue;
		}
		if (!cert) {
			if (key_file_host(sf.files.v[i], host,
			    sizeof(host)) == -1) {
				sts_warnf(warn, arg, "%s: a key without a "
				    "certificate must be in a file named after "
				    "its MX host (mx.example.com.pem), skipped "
				    "(tlsa-next = %s)", esc(e1, sf.files.v[i]),
				    esc(e2, spec));
				continue;
			}
			if (certkeys_add(ks, sf.files.v[i], host, spki, 0) == -1)
				goto nomem;
			continue;
		}
		for (k = 0; k < names.n; k++)
			if (certkeys_add(ks, sf.files.v[i], names.v[k], spki,
			    1) == -1)
				goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	sts_err(err, errlen, nomem);
out:
	sts_strlist_free(&names);
	specfiles_free(&sf);
	return rc;
}

/* ---- signature -------------------------------------------------------- */

static uint64_t
fnv_u64(uint64_t h, uint64_t v)
{
	unsigned char	b[8];
	int		i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return sts_hash_add(h, b, sizeof(b));
}

/* Everything about a file that a change of it changes. */
static uint64_t
fnv_stat(uint64_t h, const struct stat *st)
{
	h = fnv_u64(h, (uint64_t)st->st_dev);
	h = fnv_u64(h, (uint64_t)st->st_ino);
	h = fnv_u64(h, (uint64_t)st->st_mode);
	h = fnv_u64(h, (uint64_t)st->st_size);
	h = fnv_u64(h, (uint64_t)st->st_mtim.tv_sec);
	h = fnv_u64(h, (uint64_t)st->st_mtim.tv_nsec);
	h = fnv_u64(h, (uint64_t)st->st_ctim.tv_sec);	/* chmod, chown */
	h = fnv_u64(h, (uint64_t)st->st_ctim.tv_nsec);
	return h;
}

int
sts_certs_signature(const char *spec, uint64_t *sig, char *err, size_t errlen)
{
	struct specfiles	 sf;
	struct stat		 st;
	uint64_t		 h = STS_HASH_INIT;
	size_t			 i;

	if (spec_files(spec, &sf, err, errlen) == -1)
		return -1;
	h = sts_hash_add(h, spec, strlen(spec) + 1);
	h = fnv_u64(h, (uint64_t)sf.isdir);
	if (sf.isdir)
		h = fnv_stat(h, &sf.dirst);
	for (i = 0; i < sf.files.n; i++) {
		h = sts_hash_add(h, sf.files.v[i], strlen(sf.files.v[i]) + 1);
		if (stat(sf.files.v[i], &st) == 0)
			h = fnv_stat(fnv_u64(h, 0), &st);
		else
			h = fnv_u64(fnv_u64(h, 1), (uint64_t)errno);
	}
	specfiles_free(&sf);
	*sig = h;
	return 0;
}

/* ---- the cache -------------------------------------------------------- */

/*
 * Not thread-safe: one thread loads and refreshes (the responder's reload
 * thread, the checker's main loop). An entry whose spec cannot be read
 * remembers the error; one that could be read before and cannot now keeps
 * the names it had (like a domain keeps its last good policy).
 */
struct certent {
	char			*spec;
	uint64_t		 sig;
	int			 sig_ok;	/* sig is a signature, not a failure */
	int			 ok;		/* names valid; else err */
	struct sts_strlist	 names;
	char			 err[STS_ERR_MAX];
};

struct sts_certstore {
	sts_warn_fn		*warn;
	void			*arg;
	struct certent	       **v;
	size_t			 n;
	size_t			 cap;
};

struct sts_certstore *
sts_certstore_new(sts_warn_fn *warn, void *arg)
{
	struct sts_certstore	*cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->warn = warn;
	cs->arg = arg;
	return cs;
}

static void
certent_free(struct certent *e)
{
	if (e == NULL)
		return;
	free(e->spec);
	sts_strlist_free(&e->names);
	free(e);
}

void
sts_certstore_free(struct sts_certstore *cs)
{
	size_t	i;

	if (cs == NULL)
		return;
	for (i = 0; i < cs->n; i++)
		certent_free(cs->v[i]);
	free(cs->v);
	free(cs);
}

/*
 * Sign and read e's spec. Returns 1 if what get() gives for it changed,
 * 0 if not, -1 on ENOMEM (e unchanged).
 */
static int
certent_load(struct sts_certstore *cs, struct certent *e, int first)
{
	struct sts_strlist	 tmp = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX];
	uint64_t		 sig = 0;
	int			 sig_ok;

	sig_ok = sts_certs_signature(e->spec, &sig, err, sizeof(err)) == 0;
	if (!first && sig_ok == e->sig_ok && (!sig_ok || sig == e->sig))
		return 0;		/* nothing to read again */
	if (sig_ok && sts_certs_names(e->spec, &tmp, cs->warn, cs->arg, err,
	    sizeof(err)) == -1)
		sig_ok = 0;
	if (!sig_ok && strcmp(err, nomem) == 0)
		return -1;
	e->sig = sig;
	e->sig_ok = sig_ok;
	if (sig_ok) {
		if (e->ok && sts_strlist_equal(&e->names, &tmp)) {
			sts_strlist_free(&tmp);	/* same names, same pointer */
			return 0;
		}
		sts_strlist_free(&e->names);
		e->names = tmp;
		e->ok = 1;
		return 1;
	}
	if (e->ok) {
		sts_warnf(cs->warn, cs->arg, "%s; keeping the %zu names read"
		    " from it before", err, e->names.n);
		return 0;
	}
	memcpy(e->err, err, sizeof(e->err));	/* failed before, fails still */
	return 0;
}

int
sts_certstore_get(struct sts_certstore *cs, const char *spec,
    const struct sts_strlist **names, char *err, size_t errlen)
{
	struct certent	 *e = NULL, **v;
	size_t		  i;

	for (i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i]->spec, spec) == 0) {
			e = cs->v[i];
			goto found;
		}
	if ((v = sts_grow(cs->v, cs->n, &cs->cap, sizeof(*v), 8)) == NULL)
		goto nomem;
	cs->v = v;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->spec = strdup(spec)) == NULL ||
	    certent_load(cs, e, 1) == -1) {
		certent_free(e);
		goto nomem;
	}
	cs->v[cs->n++] = e;
found:
	if (!e->ok) {
		sts_err(err, errlen, "%s", e->err);
		return -1;
	}
	*names = &e->names;
	return 0;
nomem:
	sts_err(err, errlen, nomem);
	return -1;
}

int
sts_certstore_refresh(struct sts_certstore *cs)
{
	char	e1[ESC_MAX];
	size_t	i;
	int	r, changed = 0;

	for (i = 0; i < cs->n; i++) {
		if ((r = certent_load(cs, cs->v[i], 0)) == -1)
			sts_warnf(cs->warn, cs->arg, "%s: out of memory, not"
			    " reloaded", esc(e1, cs->v[i]->spec));
		else
			changed += r;
	}
	return changed;
}
