/* SPDX-License-Identifier: ISC */
/*
 * t_records: checker/records.c — TSIG key files (BIND format, strict,
 * refused when others may read them, the secret never in a message) and
 * TXT records in zone-file syntax (quoting, 255-octet strings, the lines
 * of one domain in an existing file).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "check.h"

#define SECRET	"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"	/* base64, 36 chars */

static char dir[256];

static void
test_tsig_parse(void)
{
	static const struct {
		const char	*text;
		const char	*name, *alg;	/* NULL: must be refused */
		const char	*msg;		/* error substring */
		const char	*why;
	} cases[] = {
		{ "key \"upd\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET "\";\n};\n",
		  "upd.", "hmac-sha256.", NULL, "tsig-keygen output" },
		{ "key upd.example. { secret \"" SECRET "\"; algorithm HMAC-SHA512; };",
		  "upd.example.", "hmac-sha512.", NULL, "unquoted name, trailing dot, other order, upper case" },
		{ "# a comment\n// another\n/* and\n one */ key \"k\" { algorithm hmac-md5; secret \"" SECRET "\"; };\n",
		  "k.", "hmac-md5.sig-alg.reg.int.", NULL, "comments of all three kinds, hmac-md5" },
		{ "key \"k\" { algorithm hmac-sha1; secret \"" SECRET "\"; }; # end\n",
		  "k.", "hmac-sha1.", NULL, "hmac-sha1, comment after the key" },
		{ "", NULL, NULL, ":1: unexpected end of file", "empty file" },
		{ "zone \"k\" { };", NULL, NULL, ":1: expected 'key'", "not a key statement" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; }",
		  NULL, NULL, "unexpected end of file", "no ';' after '}'" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n"
		  "key \"j\" { algorithm hmac-sha256; secret \"" SECRET "\"; };\n",
		  NULL, NULL, ":2: only one key is allowed", "two keys" },
		{ "key \"k\" { algorithm hmac-sha256; };", NULL, NULL, "key has no secret", "no secret" },
		{ "key \"k\" { secret \"" SECRET "\"; };", NULL, NULL, "key has no algorithm", "no algorithm" },
		{ "key \"k\" { algorithm hmac-sha384; secret \"" SECRET "\"; };",
		  NULL, NULL, "'hmac-sha384' is not supported (use hmac-sha256", "hmac-sha384 (ldns cannot)" },
		{ "key \"k\" { algorithm hmac-sha256; algorithm hmac-sha256; secret \"" SECRET "\"; };",
		  NULL, NULL, "algorithm given twice", "algorithm twice" },
		{ "key \"k\" { algorithm hmac-sha256; secret " SECRET "; };",
		  NULL, NULL, "secret is not a quoted base64 string", "unquoted secret" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0!!!\"; };",
		  NULL, NULL, "secret is not a quoted base64 string", "secret with '!'" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"c2VjcmV0c\"; };",
		  NULL, NULL, "secret is not a quoted base64 string", "secret length not a multiple of 4" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"\"; };",
		  NULL, NULL, "secret is not a quoted base64 string", "empty secret" },
		{ "key \"k\" { algorithm hmac-sha256; secret \"" SECRET "\"; secret \"" SECRET "\"; };",
		  NULL, NULL, "secret given twice", "secret twice" },
		{ "key \"k\" {\n algorithm hmac-sha256;\n server 1.2.3.4;\n};",
		  NULL, NULL, ":3: expected algorithm, secret or '}'", "unknown statement, line number" },
		{ "key \"k\" { algorithm hmac-sha256 secret \"" SECRET "\"; };",
		  NULL, NULL, "expected ';'", "missing ';'" },
		{ "key \"k { algorithm hmac-sha256; };", NULL, NULL, "unreadable token", "unterminated string" },
		{ "/* key \"k\" { };", NULL, NULL, "unreadable token", "unterminated comment" },
		{ "key \"a/b\" { algorithm hmac-sha256; secret \"" SECRET "\"; };",
		  NULL, NULL, "key name is not a domain name", "name with a slash" },
		{ "key { algorithm hmac-sha256; };", NULL, NULL, "expected the key name", "no name" },
	};
	char err[STS_ERR_MAX];
	struct tsig k;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		rc = tsig_parse("KEYFILE", cases[i].text, strlen(cases[i].text),
		    &k, err, sizeof(err));
		if (cases[i].name != NULL) {
			if (!ok(rc == 0, "tsig: %s", cases[i].why))
				diag("  error: %s", err);
			is_str(k.name, cases[i].name, "tsig: %s: name", cases[i].why);
			is_str(k.alg, cases[i].alg, "tsig: %s: algorithm", cases[i].why);
			is_str(k.secret, SECRET, "tsig: %s: secret", cases[i].why);
		} else {
			is_int(rc, -1, "tsig: %s: refused", cases[i].why);
			ok(strstr(err, cases[i].msg) != NULL &&
			    strncmp(err, "KEYFILE", 7) == 0,
			    "tsig: %s: message '%s'", cases[i].why, err);
			ok(strstr(err, "c2VjcmV0") == NULL,
			    "tsig: %s: the secret is not in the message", cases[i].why);
		}
	}
}

static void
test_tsig_load(void)
{
	static const struct {
		mode_t		 mode;
		int		 rc;
		const char	*why;
	} modes[] = {
		{ 0600, 0, "0600 accepted" },
		{ 0400, 0, "0400 accepted" },
		{ 0640, -1, "0640 (group may read) refused" },
		{ 0604, -1, "0604 (others may read) refused" },
		{ 0620, -1, "0620 (group may write) refused" },
		{ 0644, -1, "0644 refused" },
	};
	static const char key[] = "key \"upd\" { algorithm hmac-sha256; secret \""
	    SECRET "\"; };\n";
	char path[512], err[STS_ERR_MAX], want[600];
	struct tsig k;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tsig.key", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(key, f) == EOF || fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(255);
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		chmod(path, modes[i].mode);
		err[0] = '\0';
		is_int(tsig_load(path, &k, err, sizeof(err)), modes[i].rc,
		    "key file %s", modes[i].why);
		if (modes[i].rc == -1) {
			snprintf(want, sizeof(want), "chmod 600 %s", path);
			ok(strstr(err, want) != NULL && strstr(err, path) == err + 9,
			    "key file %s: says how to fix it: '%s'", modes[i].why, err);
			ok(strstr(err, "c2VjcmV0") == NULL,
			    "key file %s: no secret in the message", modes[i].why);
		}
	}
	is_int(tsig_load(dir, &k, err, sizeof(err)), -1, "a directory is refused");
	snprintf(path, sizeof(path), "%s/missing.key", dir);
	is_int(tsig_load(path, &k, err, sizeof(err)), -1, "a missing file is refused");
	ok(strstr(err, path) != NULL && strstr(err, strerror(ENOENT)) != NULL,
	    "missing file: message '%s'", err);
	is_int(tsig_load(NULL, &k, err, sizeof(err)), -1, "no tsig-key set");
	ok(strstr(err, "tsig-key") != NULL, "no tsig-key: message '%s'", err);
}

static void
test_zone_txt(void)
{
	char in[600], out[1400], want[1400];
	int rc;

	is_int(zone_txt("v=STSv1; id=1", out, sizeof(out)), 0, "txt: plain");
	is_str(out, "\"v=STSv1; id=1\"", "txt: quoted");
	zone_txt("a\"b\\c", out, sizeof(out));
	is_str(out, "\"a\\\"b\\\\c\"", "txt: quote and backslash escaped");
	zone_txt("a\tb\x7f", out, sizeof(out));
	is_str(out, "\"a\\009b\\127\"", "txt: control characters as \\DDD");

	memset(in, 'x', 255);
	in[255] = '\0';
	zone_txt(in, out, sizeof(out));
	ok(strlen(out) == 257 && strchr(out + 1, '"') == out + 256,
	    "txt: 255 octets stay one string");
	memset(in, 'x', 300);
	in[300] = '\0';
	zone_txt(in, out, sizeof(out));
	snprintf(want, sizeof(want), "\"%.255s\" \"%.45s\"", in, in);
	is_str(out, want, "txt: 300 octets split into 255 + 45");
	memset(in, '"', 300);
	in[300] = '\0';
	zone_txt(in, out, sizeof(out));
	ok(strlen(out) == 2 * 300 + 5 && out[511] == '"' && out[512] == ' ',
	    "txt: the split counts octets, not escapes");
	rc = zone_txt("abcdef", out, 5);
	is_int(rc, -1, "txt: too small a buffer is an error, not a cut");
}

static void
test_zone_records(void)
{
	struct sts_strlist lines = { 0 }, rua = { 0 };
	char path[512];
	FILE *f;

	is_int(zone_records("example.com", "20261129021500", NULL, &lines), 0,
	    "records: default rua");
	is_int((long long)lines.n, 2, "records: two lines");
	is_str(lines.n > 0 ? lines.v[0] : NULL,
	    "_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id=20261129021500\"",
	    "records: _mta-sts line");
	is_str(lines.n > 1 ? lines.v[1] : NULL,
	    "_smtp._tls.example.com. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@example.com\"",
	    "records: _smtp._tls line with the default rua");
	sts_strlist_free(&lines);

	sts_strlist_add(&rua, "mailto:tls@example.net");
	sts_strlist_add(&rua, "https://rep.example.net/tls");
	is_int(zone_records("example.com", NULL, &rua, &lines), 0, "records: no id");
	is_int((long long)lines.n, 1, "records: no id, no _mta-sts line");
	ok(lines.n == 1 && strncmp(lines.v[0], "_smtp._tls.example.com. 3600 IN TXT "
	    "\"v=TLSRPTv1; rua=", 52) == 0 && strstr(lines.v[0], "mailto:tls@example.net") &&
	    strstr(lines.v[0], "https://rep.example.net/tls"),
	    "records: configured rua: %s", lines.n ? lines.v[0] : "");
	sts_strlist_free(&lines);
	sts_strlist_free(&rua);

	snprintf(path, sizeof(path), "%s/zone", dir);
	f = fopen(path, "w");
	fputs("; comment about _mta-sts.a.test.\n"
	    "_mta-sts.a.test. 3600 IN TXT \"v=STSv1; id=1\"\n"
	    "_mta-sts.xa.test. 3600 IN TXT \"v=STSv1; id=2\"\n"
	    "_SMTP._TLS.A.TEST.\t3600 IN TXT \"v=TLSRPTv1; rua=mailto:x@a.test\"\n"
	    "_mta-sts.a.test.b.test. 3600 IN TXT \"v=STSv1; id=3\"\n"
	    "_mta-sts.b.test. 3600 IN TXT \"v=STSv1; id=4\"\n", f);
	fclose(f);
	is_int(zone_old_lines(path, "a.test", &lines), 0, "old lines: read");
	is_int((long long)lines.n, 2, "old lines: exactly a.test's two records");
	ok(lines.n == 2 && strstr(lines.v[0], "id=1") && strstr(lines.v[1], "x@a.test"),
	    "old lines: the right ones, case-insensitive owner");
	sts_strlist_free(&lines);
	snprintf(path, sizeof(path), "%s/nonexistent", dir);
	is_int(zone_old_lines(path, "a.test", &lines), 0, "old lines: no file yet");
	is_int((long long)lines.n, 0, "old lines: no file, no lines");
}

static void
test_server_split(void)
{
	static const struct {
		const char	*spec, *host;	/* host NULL: refused */
		unsigned	 port;
	} cases[] = {
		{ "ns1.example.com", "ns1.example.com", 53 },
		{ "ns1.example.com:5353", "ns1.example.com", 5353 },
		{ "192.0.2.1:53", "192.0.2.1", 53 },
		{ "2001:db8::1", "2001:db8::1", 53 },
		{ "[2001:db8::1]", "2001:db8::1", 53 },
		{ "[2001:db8::1]:8053", "2001:db8::1", 8053 },
		{ "host:65535", "host", 65535 },
		{ "", NULL, 0 },
		{ ":53", NULL, 0 },
		{ "host:", NULL, 0 },
		{ "host:0", NULL, 0 },
		{ "host:65536", NULL, 0 },
		{ "host:53x", NULL, 0 },
		{ "host:-1", NULL, 0 },
		{ "host:+53", NULL, 0 },
		{ "[2001:db8::1", NULL, 0 },
		{ "[2001:db8::1]x", NULL, 0 },
		{ "[]:53", NULL, 0 },
	};
	char host[STS_HOST_MAX + 2];
	uint16_t port;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		port = 0;
		rc = server_split(cases[i].spec, host, sizeof(host), &port);
		if (cases[i].host == NULL) {
			is_int(rc, -1, "dns-server '%s' refused", cases[i].spec);
			continue;
		}
		is_int(rc, 0, "dns-server '%s' accepted", cases[i].spec);
		is_str(host, cases[i].host, "dns-server '%s': host", cases[i].spec);
		is_int(port, cases[i].port, "dns-server '%s': port", cases[i].spec);
	}
}

int
main(void)
{
	char cmd[600];

	snprintf(dir, sizeof(dir), "%s/t_records.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 255;
	}
	test_tsig_parse();
	test_tsig_load();
	test_zone_txt();
	test_zone_records();
	test_server_split();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
