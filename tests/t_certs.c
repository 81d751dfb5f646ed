/* SPDX-License-Identifier: ISC */
/*
 * certs.c: names from certificates, the signature of a certs spec, the
 * certificate store. Certificates are made here at run time (EC P-256, a
 * throwaway CA) under tests/tmp/certs.PID/, removed at the end.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mtasts.h"
#include "tap.h"
#include "certs.h"

#define DAY	(24L * 60 * 60)

static EVP_PKEY	*cakey, *leafkey;
static X509	*cacert;

/*
 * A certificate for key: subject CN cn (NULL: none), subjectAltName san in
 * openssl.cnf syntax (NULL: none), valid from..to days from now, signed by
 * the test CA (or self-signed when ca is set: then it is the CA).
 */
static X509 *
mkcert(const char *cn, const char *san, long from, long to, EVP_PKEY *key,
    int ca)
{
	X509		*x = NULL;
	X509_NAME	*name;
	X509_EXTENSION	*ext;
	X509V3_CTX	 ctx;
	static long	 serial = 1;

	if ((x = X509_new()) == NULL)
		die("X509_new");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from * DAY);
	X509_gmtime_adj(X509_getm_notAfter(x), to * DAY);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
	    (const unsigned char *)"mtasts test", -1, -1, 0);
	if (cn != NULL && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1)
		die("CN");
	X509_set_issuer_name(x, ca ? name : X509_get_subject_name(cacert));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, ca ? x : cacert, x, NULL, NULL, 0);
	if (san != NULL) {
		if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    san)) == NULL)
			die(san);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE")) == NULL)
		die("basicConstraints");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (X509_sign(x, ca ? key : cakey, EVP_sha256()) == 0)
		die("X509_sign");
	return x;
}

static X509 *
leaf(const char *cn, const char *san)
{
	return mkcert(cn, san, -1, 90, leafkey, 0);
}

/* Write key (optional) and certificates a, b (optional) as PEM; frees a, b. */
static void
write_pem(const char *path, EVP_PKEY *key, X509 *a, X509 *b)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		die(path);
	if (key != NULL)
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (a != NULL)
		PEM_write_X509(f, a);
	if (b != NULL)
		PEM_write_X509(f, b);
	if (fclose(f) != 0)
		die(path);
	X509_free(a);
	X509_free(b);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		die(path);
	fputs(text, f);
	if (fclose(f) != 0)
		die(path);
}

/* PEM text of a certificate in a malloc'd buffer; frees x. */
static char *
pem_of(X509 *x, size_t *len)
{
	BIO	*b;

	if ((b = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(b, x))
		die("PEM_write_bio_X509");
	X509_free(x);
	return bio_text(b, len);
}

static void
mkdir_p(const char *path)
{
	char	buf[512], *s;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf))
		die("path too long");
	for (s = buf + 1; *s != '\0'; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(buf, 0755) == -1 && errno != EEXIST)
				die(buf);
			*s = '/';
		}
	if (mkdir(buf, 0755) == -1 && errno != EEXIST)
		die(buf);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static char *
join(const struct sts_strlist *l)
{
	static char	buf[4096];
	size_t		i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? "," : "", l->v[i]);
	return buf;
}

static void
collect(void *arg, const char *msg)
{
	if (sts_strlist_add(arg, msg) == -1)
		die("collect");
}

/* How many warnings hold both a and b. */
static int
nwarn(const struct sts_strlist *w, const char *a, const char *b)
{
	size_t	i;
	int	n = 0;

	for (i = 0; i < w->n; i++)
		if (strstr(w->v[i], a) != NULL && (b == NULL ||
		    strstr(w->v[i], b) != NULL))
			n++;
	return n;
}

/* ---- one PEM buffer ---------------------------------------------------- */

static void
test_pem_table(void)
{
	static const struct {
		const char	*desc, *cn, *san, *want;
	} t[] = {
		{ "several dNSNames, upper case lowered", "mail.example.com",
		  "DNS:mail.example.com,DNS:MX2.Example.COM",
		  "mail.example.com,mx2.example.com" },
		{ "wildcard kept as pattern", "x",
		  "DNS:*.mx.example.net", "*.mx.example.net" },
		{ "IP SANs never", "ip.example.com",
		  "IP:192.0.2.1,IP:2001:db8::1,DNS:a.example.com", "a.example.com" },
		{ "CN-only certificate: CN", "cn.example.org", NULL,
		  "cn.example.org" },
		{ "SAN present: CN ignored", "Ignored.Example.Org",
		  "DNS:san.example.org", "san.example.org" },
		{ "CN that is no host name skipped", "R3 Let's Encrypt", NULL, "" },
		{ "one-label CN skipped", "localhost", NULL, "" },
		{ "IP literal CN skipped", "192.0.2.7", NULL, "" },
		{ "no CN, no SAN", NULL, NULL, "" },
		{ "only IP SANs: CN used", "ip-only.example.com",
		  "IP:192.0.2.9", "ip-only.example.com" },
		{ "only email/URI SANs: CN used", "c.example.com",
		  "email:a@example.com,URI:https://x.example.com/", "c.example.com" },
		{ "web names left out",	"mx.example.com",
		  "DNS:mta-sts.example.com,DNS:autoconfig.example.com,"
		  "DNS:Autodiscover.example.com,DNS:mx.example.com,"
		  "DNS:mta-stsx.example.com,DNS:www.mta-sts.example.com",
		  "mta-stsx.example.com,mx.example.com,www.mta-sts.example.com" },
		{ "web name as CN left out", "MTA-STS.example.com", NULL, "" },
		{ "invalid names skipped", "ok.example.com",
		  "DNS:bad_name.example.com,DNS:foo*.example.com,DNS:*.com,"
		  "DNS:localhost,DNS:-a.example.com,DNS:a..example.com,"
		  "DNS:*.*.example.com,DNS:*,DNS:ok.example.com", "ok.example.com" },
		{ "sorted and de-duplicated", "x",
		  "DNS:b.example.com,DNS:a.example.com,DNS:B.EXAMPLE.COM",
		  "a.example.com,b.example.com" },
		{ "trailing dot dropped", "Trailing.Example.COM.", NULL,
		  "trailing.example.com" },
		{ "wildcard CN", "*.Example.org", NULL, "*.example.org" },
		{ "U-label CN to A-label", "b\xc3\xbc" "cher.example", NULL,
		  "xn--bcher-kva.example" },
	};
	struct sts_strlist	 names = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], *pem;
	size_t			 i, len;
	X509			*x;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pem = pem_of(leaf(t[i].cn, t[i].san), &len);
		err[0] = '\0';
		is_int(sts_certs_names_pem(pem, len, &names, err, sizeof(err)),
		    0, "pem: %s: returns 0", t[i].desc);
		is_str(join(&names), t[i].want, "pem: %s: names", t[i].desc);
		sts_strlist_free(&names);
		free(pem);
	}

	/* two CN attributes, no SAN */
	x = leaf("one.example.com", NULL);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_UTF8, (const unsigned char *)"two.example.com", -1, -1, 0);
	X509_sign(x, cakey, EVP_sha256());
	pem = pem_of(x, &len);
	is_int(sts_certs_names_pem(pem, len, &names, err, sizeof(err)), 0,
	    "pem: several CNs: returns 0");
	is_str(join(&names), "one.example.com,two.example.com",
	    "pem: several CNs: all used");
	sts_strlist_free(&names);
	free(pem);
}

static void
test_pem_special(void)
{
	static const struct {
		const char	*desc, *in;
	} bad[] = {
		{ "empty", "" },
		{ "garbage", "hello, world\n" },
		{ "truncated PEM", "-----BEGIN CERTIFICATE-----\nMIIB\n" },
		{ "bad base64", "-----BEGIN CERTIFICATE-----\n!!!!\n"
		  "-----END CERTIFICATE-----\n" },
		{ "not a certificate inside", "-----BEGIN CERTIFICATE-----\n"
		  "AAAA\n-----END CERTIFICATE-----\n" },
		{ "DER-looking garbage", "\x30\x03\x02\x01\x01" },
	};
	struct sts_strlist	 names = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], *pem, *p2, *kp, *both;
	unsigned char		*der = NULL;
	size_t			 i, len, l2;
	BIO			*b;
	long			 n;
	int			 dlen;
	X509			*x;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sts_strlist_add(&names, "keep.example.com") == -1)
			die("add");
		err[0] = '\0';
		is_int(sts_certs_names_pem(bad[i].in, strlen(bad[i].in), &names,
		    err, sizeof(err)), -1, "pem: %s: -1", bad[i].desc);
		ok(strstr(err, "no certificate") != NULL,
		    "pem: %s: err '%s' says no certificate", bad[i].desc, err);
		is_str(join(&names), "keep.example.com",
		    "pem: %s: names untouched", bad[i].desc);
		sts_strlist_free(&names);
	}

	/* private key only */
	if ((b = BIO_new(BIO_s_mem())) == NULL ||
	    !PEM_write_bio_PrivateKey(b, leafkey, NULL, NULL, 0, NULL, NULL))
		die("key");
	n = BIO_get_mem_data(b, &kp);
	is_int(sts_certs_names_pem(kp, (size_t)n, &names, err, sizeof(err)), -1,
	    "pem: private key only: -1");
	ok(strstr(err, "no certificate") != NULL, "pem: private key only: '%s'",
	    err);

	/* key, then leaf, then CA: the leaf; names appended after old ones */
	x = leaf("k.example.com", "DNS:combo.example.com");
	PEM_write_bio_X509(b, x);
	X509_free(x);
	PEM_write_bio_X509(b, cacert);
	n = BIO_get_mem_data(b, &kp);
	if (sts_strlist_add(&names, "zzz.example") == -1)
		die("add");
	is_int(sts_certs_names_pem(kp, (size_t)n, &names, err, sizeof(err)), 0,
	    "pem: key + leaf + CA: 0");
	is_str(join(&names), "zzz.example,combo.example.com",
	    "pem: key + leaf + CA: leaf's names appended");
	sts_strlist_free(&names);
	BIO_free(b);

	/* fullchain: leaf first, then an intermediate with a host-name CN */
	pem = pem_of(leaf(NULL, "DNS:leaf.example.com"), &len);
	p2 = pem_of(mkcert("intermediate.example.org", NULL, -1, 90, cakey, 1),
	    &l2);
	if ((both = malloc(len + l2 + 1)) == NULL)
		die("malloc");
	memcpy(both, pem, len);
	memcpy(both + len, p2, l2 + 1);
	is_int(sts_certs_names_pem(both, len + l2, &names, err, sizeof(err)), 0,
	    "pem: fullchain: 0");
	is_str(join(&names), "leaf.example.com", "pem: fullchain: only the leaf");
	sts_strlist_free(&names);
	/* the same two the other way round: the CA's name only */
	memcpy(both, p2, l2);
	memcpy(both + l2, pem, len + 1);
	is_int(sts_certs_names_pem(both, len + l2, &names, err, sizeof(err)), 0,
	    "pem: CA first: 0");
	is_str(join(&names), "intermediate.example.org",
	    "pem: CA first: only the first certificate counts");
	sts_strlist_free(&names);
	free(both);
	free(pem);
	free(p2);

	/* DER */
	x = leaf("der.example.com", NULL);
	if ((dlen = i2d_X509(x, &der)) <= 0)
		die("i2d_X509");
	is_int(sts_certs_names_pem((char *)der, (size_t)dlen, &names, err,
	    sizeof(err)), 0, "der: 0");
	is_str(join(&names), "der.example.com", "der: names");
	sts_strlist_free(&names);
	OPENSSL_free(der);
	X509_free(x);
}

/* ---- a directory, a glob, a file --------------------------------------- */

/*
 * As root, which reads anything: a child that has dropped to nobody reads
 * a directory holding a readable certificate and one mode 000, and exits
 * 0 only when the unreadable one is warned about (with strerror) and
 * skipped while the other is read.
 */
static void
unreadable_as_nobody(void)
{
	struct sts_strlist	 names = { NULL, 0, 0 }, w = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX];
	struct passwd		*pw;
	pid_t			 pid;
	int			 st;

	mkdir_p(P("np"));
	write_pem(P("np/ok.pem"), NULL, leaf("ok.example.com", NULL), NULL);
	write_pem(P("np/noperm.pem"), NULL, leaf("noperm.example.com", NULL),
	    NULL);
	if ((pw = getpwnam("nobody")) == NULL) {
		ok(1, "dir: unreadable file warned # skip no user nobody");
		return;
	}
	if (chmod(P("np/noperm.pem"), 0) == -1 || chmod(P("np"), 0755) == -1)
		die("chmod");
	fflush(stdout);
	if ((pid = fork()) == -1)
		die("fork");
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
		    setuid(pw->pw_uid) == -1)
			_exit(10);
		if (access(P("np/ok.pem"), R_OK) == -1)
			_exit(11);	/* nobody cannot reach the directory */
		if (sts_certs_names(P("np"), &names, collect, &w, err,
		    sizeof(err)) == -1)
			_exit(1);
		if (names.n != 1 || strcmp(names.v[0], "ok.example.com") != 0)
			_exit(2);
		if (w.n != 1 || nwarn(&w, P("np/noperm.pem"),
		    ": Permission denied, skipped") != 1)
			_exit(3);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1)
		die("waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 11) {
		ok(1, "dir: unreadable file warned # skip nobody cannot "
		    "reach %s", top);
		return;
	}
	is_int(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st), 0,
	    "dir: unreadable file warned with strerror and skipped "
	    "(as nobody)");
}

static void
test_dir(void)
{
	struct sts_strlist	 names = { NULL, 0, 0 }, w = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], big[4096];
	const char		*want;
	FILE			*f;
	int			 i, nw, root = geteuid() == 0;
	X509			*x;

	mkdir_p(P("d/sub"));
	mkdir_p(P("archive"));
	mkdir_p(P("empty"));
	write_pem(P("d/fullchain.pem"), NULL,
	    leaf("mail.example.com", "DNS:mail.example.com,DNS:MX2.Example.COM"),
	    mkcert("intermediate.example.org", NULL, -1, 90, cakey, 1));
	write_pem(P("d/wild.pem"), NULL, leaf("wild", "DNS:*.mx.example.net,"
	    "IP:192.0.2.1,IP:2001:db8::1,DNS:mta-sts.example.net,"
	    "DNS:autoconfig.example.net,DNS:autodiscover.example.net"), NULL);
	write_pem(P("d/cn-only.crt"), NULL, leaf("cn.example.org", NULL), NULL);
	write_pem(P("d/san-cn.pem"), NULL,
	    leaf("ignored.example.org", "DNS:san.example.org"), NULL);
	write_pem(P("d/r3.pem"), NULL,
	    mkcert("R3 Let's Encrypt", NULL, -1, 90, cakey, 1), NULL);
	write_pem(P("d/expired.pem"), NULL, mkcert("old", "DNS:old.example.com",
	    -730, -365, leafkey, 0), NULL);
	write_pem(P("d/dup.pem"), NULL, leaf(NULL, "DNS:MAIL.example.com"), NULL);
	write_pem(P("d/keycert.pem"), leafkey,
	    leaf(NULL, "DNS:combo.example.com"), NULL);
	write_pem(P("d/.hidden.pem"), NULL, leaf("hidden.example.com", NULL),
	    NULL);
	write_pem(P("d/sub/sub.pem"), NULL, leaf("sub.example.com", NULL), NULL);
	write_pem(P("archive/cert1.pem"), NULL, leaf("linked.example.com", NULL),
	    NULL);
	write_pem(P("d/privkey.pem"), leafkey, NULL, NULL);
	write_file(P("d/garbage.txt"), "hello, world\n");
	write_file(P("d/empty.pem"), "");
	x = leaf("der.example.com", NULL);
	if ((f = fopen(P("d/der.crt"), "w")) == NULL || !i2d_X509_fp(f, x) ||
	    fclose(f) != 0)
		die("der.crt");
	X509_free(x);
	if (symlink("../archive/cert1.pem", P("d/live.pem")) == -1 ||
	    symlink("../archive/nothing.pem", P("d/broken.pem")) == -1)
		die("symlink");
	if (mkfifo(P("d/fifo"), 0644) == -1)
		die("mkfifo");
	/* a good certificate, then more than 1 MiB of text after it */
	write_pem(P("d/big.pem"), NULL, leaf("big.example.com", NULL), NULL);
	if ((f = fopen(P("d/big.pem"), "a")) == NULL)
		die("big.pem");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\n';
	for (i = 0; i < 257; i++)
		fwrite(big, 1, sizeof(big), f);
	if (fclose(f) != 0)
		die("big.pem");
	if (!root) {
		write_pem(P("d/noperm.pem"), NULL, leaf("noperm.example.com",
		    NULL), NULL);
		if (chmod(P("d/noperm.pem"), 0) == -1)
			die("chmod");
	}

	want = "*.mx.example.net,cn.example.org,combo.example.com,"
	    "der.example.com,linked.example.com,mail.example.com,"
	    "mx2.example.com,old.example.com,san.example.org";
	is_int(sts_certs_names(P("d"), &names, collect, &w, err, sizeof(err)),
	    0, "dir: returns 0");
	is_str(join(&names), want, "dir: names of every leaf, sorted, unique"
	    " (no CA, IP, web, hidden, subdirectory or expired-dropping)");
	nw = 0;
	is_int(nwarn(&w, P("d/garbage.txt"), ": no certificate, skipped"), 1,
	    "dir: garbage file warned, with its path");
	is_int(nwarn(&w, P("d/privkey.pem"), ": no certificate, skipped"), 1,
	    "dir: private key file warned");
	is_int(nwarn(&w, P("d/empty.pem"), ": no certificate, skipped"), 1,
	    "dir: empty file warned");
	is_int(nwarn(&w, P("d/broken.pem"), ": No such file or directory, "
	    "skipped"), 1, "dir: dangling symlink warned with strerror");
	is_int(nwarn(&w, P("d/big.pem"), "larger than 1 MiB, skipped"), 1,
	    "dir: file over 1 MiB warned");
	is_int(nwarn(&w, P("d/fifo"), "not a regular file, skipped"), 1,
	    "dir: FIFO warned, not opened for reading");
	is_int(nwarn(&w, P("d/sub:"), "a directory"), 1,
	    "dir: subdirectory warned, not searched");
	nw = 7;
	if (root)
		unreadable_as_nobody();
	else {
		is_int(nwarn(&w, P("d/noperm.pem"), "Permission denied, skipped"),
		    1, "dir: unreadable file warned with strerror");
		nw++;
	}
	is_int((long long)w.n, nw, "dir: no other warnings");
	for (i = 0; i < (int)w.n; i++)
		diag("warning: %s", w.v[i]);
	sts_strlist_free(&names);
	sts_strlist_free(&w);

	/* names are appended; the same with a trailing slash; no warn callback */
	if (sts_strlist_add(&names, "first.example") == -1)
		die("add");
	is_int(sts_certs_names(P("d/"), &names, NULL, NULL, err, sizeof(err)),
	    0, "dir with trailing slash, warn NULL: 0");
	ok(names.n == 10 && strcmp(names.v[0], "first.example") == 0 &&
	    strcmp(names.v[1], "*.mx.example.net") == 0,
	    "dir: names appended after what the list held");
	sts_strlist_free(&names);

	/* a glob: only the .pem files */
	is_int(sts_certs_names(P("d/*.pem"), &names, collect, &w, err,
	    sizeof(err)), 0, "glob: 0");
	is_str(join(&names), "*.mx.example.net,combo.example.com,"
	    "linked.example.com,mail.example.com,mx2.example.com,"
	    "old.example.com,san.example.org", "glob: names from matching files");
	is_int(nwarn(&w, P("d/garbage.txt"), NULL), 0,
	    "glob: files it does not match are not read");
	is_int(nwarn(&w, P("d/privkey.pem"), "no certificate"), 1,
	    "glob: warns as a directory does");
	sts_strlist_free(&names);
	sts_strlist_free(&w);

	/* certbot's layout: live/NAME/fullchain.pem -> ../../archive/... */
	mkdir_p(P("le/archive/a.example"));
	mkdir_p(P("le/archive/b.example"));
	mkdir_p(P("le/live/a.example"));
	mkdir_p(P("le/live/b.example"));
	write_pem(P("le/archive/a.example/fullchain1.pem"), NULL,
	    leaf("a.example", "DNS:mx1.a.example,DNS:mta-sts.a.example"),
	    mkcert("R3", NULL, -1, 90, cakey, 1));
	write_pem(P("le/archive/b.example/fullchain3.pem"), NULL,
	    leaf("b.example", "DNS:mx.b.example,DNS:mx1.a.example"),
	    mkcert("R3", NULL, -1, 90, cakey, 1));
	write_pem(P("le/archive/b.example/privkey3.pem"), leafkey, NULL, NULL);
	write_file(P("le/live/README"), "This directory contains your keys\n");
	if (symlink("../../archive/a.example/fullchain1.pem",
	    P("le/live/a.example/fullchain.pem")) == -1 ||
	    symlink("../../archive/b.example/fullchain3.pem",
	    P("le/live/b.example/fullchain.pem")) == -1 ||
	    symlink("../../archive/b.example/privkey3.pem",
	    P("le/live/b.example/privkey.pem")) == -1)
		die("symlink");
	is_int(sts_certs_names(P("le/live/*/fullchain.pem"), &names, collect,
	    &w, err, sizeof(err)), 0, "certbot glob: 0");
	is_str(join(&names), "mx.b.example,mx1.a.example",
	    "certbot glob: names through the symlinks, de-duplicated");
	is_int((long long)w.n, 0, "certbot glob: no warnings");
	sts_strlist_free(&names);
	is_int(sts_certs_names(P("le/live/b.example"), &names, collect, &w, err,
	    sizeof(err)), 0, "certbot live dir: 0");
	is_str(join(&names), "mx.b.example,mx1.a.example",
	    "certbot live dir: names");
	is_int(nwarn(&w, "privkey.pem: no certificate, skipped", NULL), 1,
	    "certbot live dir: the key warned");
	sts_strlist_free(&names);
	sts_strlist_free(&w);

	/* one file */
	is_int(sts_certs_names(P("d/wild.pem"), &names, collect, &w, err,
	    sizeof(err)), 0, "one file: 0");
	is_str(join(&names), "*.mx.example.net", "one file: its names");
	sts_strlist_free(&names);

	/* an empty directory, a glob matching nothing */
	is_int(sts_certs_names(P("empty"), &names, collect, &w, err,
	    sizeof(err)), 0, "empty dir: 0");
	ok(names.n == 0 && w.n == 0, "empty dir: no names, no warnings");
	is_int(sts_certs_names(P("d/*.nothing"), &names, collect, &w, err,
	    sizeof(err)), 0, "glob matching nothing: 0");
	ok(names.n == 0, "glob matching nothing: no names");
	is_int(nwarn(&w, P("d/*.nothing: no file matches"), NULL), 1,
	    "glob matching nothing: warned");
	sts_strlist_free(&w);

	/* a missing directory, an empty spec */
	if (sts_strlist_add(&names, "keep.example") == -1)
		die("add");
	err[0] = '\0';
	is_int(sts_certs_names(P("missing"), &names, collect, &w, err,
	    sizeof(err)), -1, "missing dir: -1");
	ok(strstr(err, P("missing: No such file or directory")) != NULL,
	    "missing dir: err names the path: '%s'", err);
	is_str(join(&names), "keep.example", "missing dir: names untouched");
	is_int(sts_certs_names("", &names, NULL, NULL, err, sizeof(err)), -1,
	    "empty spec: -1");
	is_int(sts_certs_signature(P("missing"), &(uint64_t){ 0 }, err,
	    sizeof(err)), -1, "missing dir: signature -1");
	ok(strstr(err, P("missing")) != NULL, "missing dir: signature err '%s'",
	    err);
	sts_strlist_free(&names);
	sts_strlist_free(&w);
}

/* ---- signature ---------------------------------------------------------- */

static uint64_t
sig(const char *spec)
{
	char		err[STS_ERR_MAX];
	uint64_t	s = 0;

	if (sts_certs_signature(spec, &s, err, sizeof(err)) == -1) {
		diag("signature: %s", err);
		return 0;
	}
	return s;
}

static void
test_signature(void)
{
	uint64_t	s0, s1;
	struct timespec	ts[2];
	char		dir[512];
	int		fd;

	snprintf(dir, sizeof(dir), "%s", P("s"));	/* P() reuses its buffers */
	mkdir_p(dir);
	write_pem(P("s/a.pem"), NULL, leaf(NULL, "DNS:a.example.com"), NULL);
	write_pem(P("s/b.pem"), NULL, leaf(NULL, "DNS:b.example.com"), NULL);
	s0 = sig(dir);
	ok(s0 != 0, "signature: computed");
	ok(sig(dir) == s0, "signature: same when nothing changed");
	ok(sig(P("s/")) != 0, "signature: trailing slash accepted");

	write_pem(P("s/c.pem"), NULL, leaf(NULL, "DNS:c.example.com"), NULL);
	s1 = sig(dir);
	ok(s1 != s0, "signature: changes when a file is added");
	ok(sig(dir) == s1, "signature: then stays");

	s0 = s1;
	if (unlink(P("s/c.pem")) == -1)
		die("unlink");
	s1 = sig(dir);
	ok(s1 != s0, "signature: changes when a file is removed");

	/* rewritten in place, same bytes: only the times differ */
	s0 = s1;
	ts[0].tv_sec = ts[1].tv_sec = 1700000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 1;
	if (utimensat(AT_FDCWD, P("s/a.pem"), ts, 0) == -1)
		die("utimensat");
	s0 = sig(dir);
	ts[1].tv_nsec = 2;
	if (utimensat(AT_FDCWD, P("s/a.pem"), ts, 0) == -1)
		die("utimensat");
	ok(sig(dir) != s0, "signature: changes with the mtime's nanoseconds");

	s0 = sig(dir);
	if ((fd = open(P("s/a.pem"), O_WRONLY | O_APPEND)) == -1 ||
	    write(fd, "\n", 1) != 1 || close(fd) == -1)
		die("append");
	ok(sig(dir) != s0, "signature: changes when a file is rewritten in place");

	/* the directory's mtime, set back first: timestamps are coarse */
	if (utimensat(AT_FDCWD, dir, ts, 0) == -1)
		die("utimensat");
	s0 = sig(dir);
	write_pem(P("s/.new"), NULL, leaf(NULL, "DNS:b.example.com"), NULL);
	ok(sig(dir) != s0, "signature: a hidden file changes the directory");
	s0 = sig(dir);
	if (rename(P("s/.new"), P("s/b.pem")) == -1)
		die("rename");
	ok(sig(dir) != s0, "signature: changes when a file is replaced by rename");

	s0 = sig(dir);
	if (chmod(P("s/b.pem"), 0600) == -1)
		die("chmod");
	ok(sig(dir) != s0, "signature: changes with a file's permissions");

	/* a symlink pointed elsewhere, as certbot renew does */
	mkdir_p(P("s2"));
	write_pem(P("s2/x1.pem"), NULL, leaf(NULL, "DNS:x.example.com"), NULL);
	write_pem(P("s2/x2.pem"), NULL, leaf(NULL, "DNS:x.example.com"), NULL);
	if (symlink("../s2/x1.pem", P("s/x.pem")) == -1)
		die("symlink");
	s0 = sig(dir);
	if (symlink("../s2/x2.pem", P("s/.x.pem")) == -1 ||
	    rename(P("s/.x.pem"), P("s/x.pem")) == -1)
		die("symlink");
	ok(sig(dir) != s0, "signature: changes when a symlink is repointed");
	s0 = sig(P("s/x.pem"));
	if (utimensat(AT_FDCWD, P("s2/x2.pem"), ts, 0) == -1)
		die("utimensat");
	ok(sig(P("s/x.pem")) != s0, "signature: one-file spec follows its link");

	/* a glob */
	s0 = sig(P("s/*.pem"));
	ok(s0 != 0 && sig(P("s/*.pem")) == s0, "glob signature: stable");
	write_pem(P("s/d.pem"), NULL, leaf(NULL, "DNS:d.example.com"), NULL);
	ok(sig(P("s/*.pem")) != s0, "glob signature: changes on a new match");
	s0 = sig(P("s/*.pem"));
	write_file(P("s/notes.txt"), "x\n");
	ok(sig(P("s/*.pem")) == s0, "glob signature: unmatched file ignored");
	ok(sig(P("s/*.pem")) != sig(P("s/*")), "glob signature: depends on spec");
}

/* ---- the store ---------------------------------------------------------- */

static void
test_store(void)
{
	struct sts_certstore		*cs;
	struct sts_strlist		 w = { NULL, 0, 0 };
	const struct sts_strlist	*n1 = NULL, *n2 = NULL, *n3 = NULL;
	char				 err[STS_ERR_MAX];
	struct timespec			 ts[2];

	mkdir_p(P("st1"));
	mkdir_p(P("st2"));
	write_pem(P("st1/a.pem"), NULL, leaf(NULL, "DNS:a.example.com"), NULL);
	write_file(P("st1/junk"), "junk\n");
	write_pem(P("st2/b.pem"), NULL, leaf(NULL, "DNS:b.example.com"), NULL);

	if ((cs = sts_certstore_new(collect, &w)) == NULL)
		die("sts_certstore_new");
	is_int(sts_certstore_get(cs, P("st1"), &n1, err, sizeof(err)), 0,
	    "store: get st1");
	is_str(n1 ? join(n1) : NULL, "a.example.com", "store: st1 names");
	is_int(nwarn(&w, P("st1/junk: no certificate, skipped"), NULL), 1,
	    "store: warnings go to the store's callback");
	is_int(sts_certstore_get(cs, P("st1"), &n2, err, sizeof(err)), 0,
	    "store: get st1 again");
	ok(n1 == n2 && w.n == 1, "store: second get is cached (same list, "
	    "not read again)");
	is_int(sts_certstore_get(cs, P("st2"), &n3, err, sizeof(err)), 0,
	    "store: get st2");
	is_str(n3 ? join(n3) : NULL, "b.example.com", "store: st2 names");
	err[0] = '\0';
	is_int(sts_certstore_get(cs, P("st3"), &n3, err, sizeof(err)), -1,
	    "store: missing spec: -1");
	ok(strstr(err, P("st3")) != NULL, "store: missing spec: err '%s'", err);
	is_int(sts_certstore_get(cs, P("st3"), &n3, err, sizeof(err)), -1,
	    "store: missing spec again: -1");
	ok(strstr(err, P("st3")) != NULL, "store: the error is remembered");
	is_int(sts_certstore_refresh(cs), 0, "store: refresh, nothing changed: 0");

	/* a new name in st1 */
	write_pem(P("st1/c.pem"), NULL, leaf(NULL, "DNS:c.example.com"), NULL);
	is_int(sts_certstore_refresh(cs), 1, "store: refresh after a new cert: 1");
	is_int(sts_certstore_get(cs, P("st1"), &n1, err, sizeof(err)), 0,
	    "store: get st1 after refresh");
	is_str(join(n1), "a.example.com,c.example.com", "store: new names");
	is_int(sts_certstore_get(cs, P("st2"), &n2, err, sizeof(err)), 0,
	    "store: get st2 after refresh");
	is_str(join(n2), "b.example.com", "store: st2 unchanged");

	/* renewal: a new certificate with the same names */
	write_pem(P("st1/a.pem"), NULL, leaf(NULL, "DNS:a.example.com"), NULL);
	ts[0].tv_sec = ts[1].tv_sec = 1700000000;
	ts[0].tv_nsec = ts[1].tv_nsec = 5;
	utimensat(AT_FDCWD, P("st1/a.pem"), ts, 0);
	is_int(sts_certstore_refresh(cs), 0,
	    "store: renewal with the same names is no change");
	is_int(sts_certstore_get(cs, P("st1"), &n2, err, sizeof(err)), 0,
	    "store: get st1 after renewal");
	ok(n1 == n2, "store: same list after a renewal");

	/* the missing spec appears */
	mkdir_p(P("st3"));
	write_pem(P("st3/d.pem"), NULL, leaf(NULL, "DNS:d.example.com"), NULL);
	is_int(sts_certstore_refresh(cs), 1, "store: refresh when st3 appears: 1");
	is_int(sts_certstore_get(cs, P("st3"), &n3, err, sizeof(err)), 0,
	    "store: get st3 now works");
	is_str(n3 ? join(n3) : NULL, "d.example.com", "store: st3 names");

	/* st2 goes away: its names are kept, once warned */
	sts_strlist_free(&w);
	if (rename(P("st2"), P("st2.gone")) == -1)
		die("rename");
	is_int(sts_certstore_refresh(cs), 0, "store: vanished spec: 0");
	is_int(sts_certstore_get(cs, P("st2"), &n2, err, sizeof(err)), 0,
	    "store: vanished spec: get still 0");
	is_str(join(n2), "b.example.com", "store: vanished spec keeps its names");
	is_int(nwarn(&w, P("st2"), "keeping the 1 names"), 1,
	    "store: vanished spec warned");
	is_int(sts_certstore_refresh(cs), 0, "store: refresh again: 0");
	is_int((long long)w.n, 1, "store: warned once only");
	if (rename(P("st2.gone"), P("st2")) == -1)
		die("rename");
	is_int(sts_certstore_refresh(cs), 0, "store: back with the same names: 0");
	unlink(P("st2/b.pem"));
	write_pem(P("st2/e.pem"), NULL, leaf(NULL, "DNS:e.example.com"), NULL);
	is_int(sts_certstore_refresh(cs), 1, "store: changed names: 1");
	is_int(sts_certstore_get(cs, P("st2"), &n2, err, sizeof(err)), 0,
	    "store: get st2");
	is_str(join(n2), "e.example.com", "store: st2 new names");

	sts_certstore_free(cs);
	sts_certstore_free(NULL);
	sts_strlist_free(&w);
}

int
main(void)
{
	if ((size_t)snprintf(top, sizeof(top), "tests/tmp/certs.%ld",
	    (long)getpid()) >= sizeof(top))
		die("top");
	mkdir_p(top);
	cakey = newkey();
	leafkey = newkey();
	cacert = mkcert("mtasts test CA", NULL, -1, 90, cakey, 1);

	test_pem_table();
	test_pem_special();
	test_dir();
	test_signature();
	test_store();

	X509_free(cacert);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(leafkey);
	if (nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		diag("could not remove %s: %s", top, strerror(errno));
	return done_testing();
}
