/* SPDX-License-Identifier: ISC */
/*
 * records.c: the text side of publishing, with no network in it: TXT
 * records in zone-file syntax (what `records` prints and what the
 * zonefile method writes), the lines of one domain in an existing zone
 * file, the dns-server value, and TSIG key files in BIND's format, read
 * strictly.
 *
 * The TSIG secret is never put into a message; only the key's name is.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"

#define TSIG_FILE_MAX	8192

/* ---- zone-file text ---------------------------------------------------- */

int
zone_txt(const char *text, char *out, size_t outlen)
{
	size_t i, o = 0, chunk = 0;
	const unsigned char *p = (const unsigned char *)text;
	int n;

#define PUT(c) do { if (o + 1 >= outlen) return -1; out[o++] = (c); } while (0)
	if (outlen == 0)
		return -1;
	PUT('"');
	for (i = 0; p[i] != '\0'; i++) {
		if (chunk == 255) {	/* a character-string holds 255 octets */
			PUT('"');
			PUT(' ');
			PUT('"');
			chunk = 0;
		}
		if (p[i] == '"' || p[i] == '\\') {
			PUT('\\');
			PUT((char)p[i]);
		} else if (p[i] < 0x20 || p[i] >= 0x7f) {
			if (o + 5 >= outlen)
				return -1;
			n = snprintf(out + o, outlen - o, "\\%03u", p[i]);
			if (n != 4)
				return -1;
			o += 4;
		} else
			PUT((char)p[i]);
		chunk++;
	}
	PUT('"');
#undef PUT
	out[o] = '\0';
	return 0;
}

static int
add_line(struct sts_strlist *lines, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
add_line(struct sts_strlist *lines, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	return sts_strlist_add(lines, buf);
}

int
tlsrpt_default(const char *domain, const struct sts_strlist *rua,
    char *out, size_t outlen)
{
	struct sts_strlist def = { 0 };
	char uri[STS_HOST_MAX + 32];
	int rc = -1, n;

	if (rua != NULL && rua->n > 0)
		return sts_tlsrpt_record(rua, out, outlen);
	n = snprintf(uri, sizeof(uri), "mailto:postmaster@%s", domain);
	if (n < 0 || (size_t)n >= sizeof(uri) || sts_strlist_add(&def, uri) == -1)
		goto out;
	rc = sts_tlsrpt_record(&def, out, outlen);
 out:
	sts_strlist_free(&def);
	return rc;
}

int
zone_records(const char *domain, const char *id, const struct sts_strlist *rua,
    struct sts_strlist *lines)
{
	char rec[1024], q[2048];

	if (id != NULL && id[0] != '\0') {
		if (sts_txt_record(id, rec, sizeof(rec)) == -1 ||
		    zone_txt(rec, q, sizeof(q)) == -1 ||
		    add_line(lines, "_mta-sts.%s. %d IN TXT %s", domain,
		    TXT_TTL, q) == -1)
			return -1;
	}
	if (tlsrpt_default(domain, rua, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, q, sizeof(q)) == -1 ||
	    add_line(lines, "_smtp._tls.%s. %d IN TXT %s", domain, TXT_TTL,
	    q) == -1)
		return -1;
	return 0;
}

int
owner_name(const char *label, const char *domain, const char *zone,
    char *out, size_t outlen)
{
	int n;

	if (zone != NULL && zone[0] != '\0')
		n = snprintf(out, outlen, "%s.%s", domain, zone);
	else
		n = snprintf(out, outlen, "%s.%s", label, domain);
	if (n < 0 || (size_t)n >= outlen || (size_t)n > STS_HOST_MAX)
		return -1;
	return 0;
}

int
zone_records_at(const struct sts_domain *d, const char *id,
    struct sts_strlist *lines)
{
	return zone_records_part(d, id, ZR_ID | ZR_TLSRPT, lines);
}

int
zone_records_part(const struct sts_domain *d, const char *id, int parts,
    struct sts_strlist *lines)
{
	char rec[1024], q[2048], owner[STS_HOST_MAX + 1];

	if ((parts & ZR_ID) && id != NULL && id[0] != '\0') {
		if (owner_name("_mta-sts", d->name, d->set.id_zone, owner,
		    sizeof(owner)) == -1 ||
		    sts_txt_record(id, rec, sizeof(rec)) == -1 ||
		    zone_txt(rec, q, sizeof(q)) == -1 ||
		    add_line(lines, "%s. %d IN TXT %s", owner, TXT_TTL, q) == -1)
			return -1;
	}
	/* delegated ids: the customer's zone is not ours to write, unless
	 * TLS-RPT is delegated too */
	if (!(parts & ZR_TLSRPT) ||
	    (d->set.id_zone != NULL && d->set.tlsrpt_zone == NULL))
		return 0;
	if (owner_name("_smtp._tls", d->name, d->set.tlsrpt_zone, owner,
	    sizeof(owner)) == -1 ||
	    tlsrpt_default(d->name, &d->set.tlsrpt, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, q, sizeof(q)) == -1 ||
	    add_line(lines, "%s. %d IN TXT %s", owner, TXT_TTL, q) == -1)
		return -1;
	return 0;
}

/* line begins with owner (l octets, any case), then a blank */
static int
owner_is(const char *line, const char *owner, size_t l)
{
	return l > 0 && strncasecmp(line, owner, l) == 0 &&
	    (line[l] == ' ' || line[l] == '\t');
}

int
zone_old_lines(const char *path, const char *domain, struct sts_strlist *lines)
{
	return zone_old_lines_in(path, domain, NULL, NULL, lines);
}

int
zone_old_lines_in(const char *path, const char *domain, const char *id_zone,
    const char *tlsrpt_zone, struct sts_strlist *lines)
{
	char owner1[STS_HOST_MAX + 16], owner2[STS_HOST_MAX + 16];
	char owner3[STS_HOST_MAX + 2], owner4[STS_HOST_MAX + 2];
	char *line = NULL;
	size_t cap = 0, l1, l2, l3 = 0, l4 = 0;
	ssize_t len;
	FILE *fp = NULL;
	char err[STS_ERR_MAX];
	int fd, rc = 0;

	/* not there, or not a regular file (publish_zonefile says so): none */
	if (path == NULL || (fd = file_open(NULL, path, O_RDONLY | O_NOFOLLOW,
	    0, NULL, err, sizeof(err))) == -1)
		return 0;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	l1 = (size_t)snprintf(owner1, sizeof(owner1), "_mta-sts.%s.", domain);
	l2 = (size_t)snprintf(owner2, sizeof(owner2), "_smtp._tls.%s.", domain);
	/* delegated: <domain>.<zone>. */
	if (id_zone != NULL && owner_name("_mta-sts", domain, id_zone, owner3,
	    sizeof(owner3) - 1) == 0)
		l3 = strlen(strcat(owner3, "."));
	if (tlsrpt_zone != NULL && owner_name("_smtp._tls", domain,
	    tlsrpt_zone, owner4, sizeof(owner4) - 1) == 0)
		l4 = strlen(strcat(owner4, "."));
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (owner_is(line, owner1, l1) || owner_is(line, owner2, l2) ||
		    owner_is(line, owner3, l3) || owner_is(line, owner4, l4)) {
			if (sts_strlist_add(lines, line) == -1) {
				rc = -1;
				break;
			}
		}
	}
	free(line);
	fclose(fp);
	return rc;
}

/* ---- TSIG key files ----------------------------------------------------- */

/* tokens of a BIND key file: words, "strings", { } ; — comments skipped */
struct tok {
	const char	*p, *end;
	int		 line;
};

static int
tok_next(struct tok *t, char *out, size_t outlen, int *quoted)
{
	size_t n = 0;

	*quoted = 0;
	for (;;) {
		while (t->p < t->end && isspace((unsigned char)*t->p)) {
			if (*t->p == '\n')
				t->line++;
			t->p++;
		}
		if (t->p >= t->end)
			return 0;
		if (*t->p == '#' || (*t->p == '/' && t->p + 1 < t->end &&
		    t->p[1] == '/')) {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
			continue;
		}
		if (*t->p == '/' && t->p + 1 < t->end && t->p[1] == '*') {
			for (t->p += 2; t->p + 1 < t->end &&
			    !(t->p[0] == '*' && t->p[1] == '/'); t->p++)
				if (*t->p == '\n')
					t->line++;
			if (t->p + 1 >= t->end)
				return -1;
			t->p += 2;
			continue;
		}
		break;
	}
	if (*t->p == '{' || *t->p == '}' || *t->p == ';') {
		out[0] = *t->p++;
		out[1] = '\0';
		return 1;
	}
	if (*t->p == '"') {
		*quoted = 1;
		for (t->p++; t->p < t->end && *t->p != '"'; t->p++) {
			if (*t->p == '\n' || *t->p == '\\' || n + 1 >= outlen)
				return -1;
			out[n++] = *t->p;
		}
		if (t->p >= t->end)
			return -1;
		t->p++;
		out[n] = '\0';
		return 1;
	}
	while (t->p < t->end && !isspace((unsigned char)*t->p) &&
	    strchr("{};\"#", *t->p) == NULL) {
		if (n + 1 >= outlen)
			return -1;
		out[n++] = *t->p++;
	}
	out[n] = '\0';
	return 1;
}

int
tsig_parse(const char *path, const char *buf, size_t len, struct tsig *k,
    char *err, size_t errlen)
{
	static const struct { const char *bind, *ldns; } algs[] = {
		{ "hmac-sha256", "hmac-sha256." },
		{ "hmac-sha512", "hmac-sha512." },
		{ "hmac-sha1", "hmac-sha1." },
		{ "hmac-md5", "hmac-md5.sig-alg.reg.int." },
		{ "hmac-md5.sig-alg.reg.int", "hmac-md5.sig-alg.reg.int." },
	};
	struct tok t = { buf, buf + len, 1 };
	char w[1100];
	unsigned char bin[1024];
	int q, r, have_alg = 0, have_secret = 0, i;
	size_t n;

	memset(k, 0, sizeof(*k));
#define NEXT() do {							\
	if ((r = tok_next(&t, w, sizeof(w), &q)) == -1)			\
		return sts_err(err, errlen, "%s:%d: unreadable token "	\
		    "(unterminated string or comment?)", path, t.line);	\
	if (r == 0)							\
		return sts_err(err, errlen, "%s:%d: unexpected end of "	\
		    "file", path, t.line);				\
} while (0)
#define EXPECT(s) do {							\
	NEXT();								\
	if (q || strcmp(w, (s)) != 0)					\
		return sts_err(err, errlen, "%s:%d: expected '%s'",	\
		    path, t.line, (s));					\
} while (0)
	EXPECT("key");
	NEXT();
	if (strcmp(w, "{") == 0 || strcmp(w, ";") == 0 || w[0] == '\0')
		return sts_err(err, errlen, "%s:%d: expected the key name",
		    path, t.line);
	n = strlen(w);
	if (n > 0 && w[n - 1] == '.')
		w[--n] = '\0';
	if (n == 0 || n > STS_HOST_MAX ||
	    strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-._") != n)
		return sts_err(err, errlen, "%s:%d: key name is not a domain "
		    "name", path, t.line);
	memcpy(k->name, w, n);		/* n <= STS_HOST_MAX, checked above */
	k->name[n] = '.';
	k->name[n + 1] = '\0';
	EXPECT("{");
	for (;;) {
		NEXT();
		if (!q && strcmp(w, "}") == 0)
			break;
		if (!q && strcmp(w, "algorithm") == 0) {
			if (have_alg++)
				return sts_err(err, errlen, "%s:%d: algorithm "
				    "given twice", path, t.line);
			NEXT();
			for (i = 0; i < (int)(sizeof(algs) / sizeof(algs[0])); i++)
				if (strcasecmp(w, algs[i].bind) == 0)
					break;
			if (i == (int)(sizeof(algs) / sizeof(algs[0])))
				return sts_err(err, errlen, "%s:%d: algorithm "
				    "'%.40s' is not supported (use hmac-sha256, "
				    "hmac-sha512, hmac-sha1 or hmac-md5)", path,
				    t.line, w);
			(void)snprintf(k->alg, sizeof(k->alg), "%s", algs[i].ldns);
		} else if (!q && strcmp(w, "secret") == 0) {
			if (have_secret++)
				return sts_err(err, errlen, "%s:%d: secret given "
				    "twice", path, t.line);
			NEXT();
			n = strlen(w);
			if (!q || n == 0 || n >= sizeof(k->secret) || n % 4 != 0 ||
			    strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
			    "nopqrstuvwxyz0123456789+/=") != n ||
			    EVP_DecodeBlock(bin, (const unsigned char *)w,
			    (int)n) <= 0) {
				explicit_bzero(w, sizeof(w));
				return sts_err(err, errlen, "%s:%d: secret is not "
				    "a quoted base64 string", path, t.line);
			}
			memcpy(k->secret, w, n + 1);
			explicit_bzero(w, sizeof(w));
			explicit_bzero(bin, sizeof(bin));
		} else
			return sts_err(err, errlen, "%s:%d: expected algorithm, "
			    "secret or '}'", path, t.line);
		EXPECT(";");
	}
	EXPECT(";");
	if ((r = tok_next(&t, w, sizeof(w), &q)) != 0)
		return sts_err(err, errlen, "%s:%d: only one key is allowed "
		    "in the file", path, t.line);
	if (!have_alg)
		return sts_err(err, errlen, "%s: key has no algorithm", path);
	if (!have_secret)
		return sts_err(err, errlen, "%s: key has no secret", path);
#undef NEXT
#undef EXPECT
	return 0;
}

int
tsig_load(const char *path, struct tsig *k, char *err, size_t errlen)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	int fd, rc = -1;

	if (path == NULL)
		return sts_err(err, errlen, "publish = rfc2136 needs tsig-key");
	if ((fd = file_open("TSIG key", path, O_RDONLY, 0, &sb, err,
	    errlen)) == -1)
		return -1;
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		sts_err(err, errlen, "TSIG key %s is owned by uid %lu, neither "
		    "root nor the user running the checker (uid %lu); refusing "
		    "to use it: chown %lu %s", path, (unsigned long)sb.st_uid,
		    (unsigned long)geteuid(), (unsigned long)geteuid(), path);
		goto out;
	}
	if ((sb.st_mode & 077) != 0) {
		sts_err(err, errlen, "TSIG key %s is accessible by group or "
		    "others (mode %03o); refusing to use it: chmod 600 %s",
		    path, (unsigned)(sb.st_mode & 0777), path);
		goto out;
	}
	/* TSIG_FILE_MAX bytes or more: too long. */
	if (sts_read_fd(fd, TSIG_FILE_MAX - 1, (size_t)sb.st_size, &buf,
	    &len) == -1) {
		if (errno == EFBIG)
			sts_err(err, errlen, "TSIG key %s: file too long", path);
		else
			sts_err(err, errlen, "TSIG key %s: %s", path, errno ==
			    ENOMEM ? "out of memory" : strerror(errno));
		goto out;
	}
	rc = tsig_parse(path, buf, len, k, err, errlen);
 out:
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	close(fd);
	return rc;
}
