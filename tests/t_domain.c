/* SPDX-License-Identifier: ISC */
/*
 * domain.c: listing a domain directory and turning domain files into
 * policies. Builds its tree under tests/tmp/t_domain at run time and
 * removes it at the end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "tap.h"
#include "tree.h"

#define TOP	"tests/tmp/t_domain"

static char	ddir[1100];	/* absolute TOP/domains */

static void
collect(void *arg, const char *msg)
{
	sts_strlist_add(arg, msg);
}

static void
build(void)
{
	char	*big, line[128];
	size_t	 i;

	tree_dir("domains");
	tree_dir("emptycerts");
	tree_put("emptycerts/privkey.pem", "-----BEGIN PRIVATE KEY-----\n"
	    "bm90IGEga2V5\n-----END PRIVATE KEY-----\n");
	tree_put("mta-sts.conf", "domains = domains\nmode = testing\n"
	    "max-age = 1d\nmx = mx.global.example\n");

	/* good */
	tree_put("domains/example.com", "# the main domain\nmode = enforce\n"
	    "mx = mx2.example.com, mx1.example.com, MX1.example.com\n"
	    "tlsrpt = mailto:tlsrpt@example.com\n");
	tree_link("example.com", "domains/example.org");
	tree_put("domains/empty.example", "");
	tree_put("domains/b\xc3\xbc" "cher.example", "mx = [\"mx.b\xc3\xbc" "cher.example\"]\n");
	tree_put("domains/UPPER.Example", "max-age = 2w\n");
	tree_put("domains/none.example", "mode = none\nmx = []\n");
	tree_put("domains/certs-none.example", "mode = enforce\nmx = []\n"
	    "certs = ../emptycerts\n");
	/* bad files, with valid names */
	tree_put("domains/global-key.example", "mode = testing\nzonefile = z\n");
	tree_put("domains/unknown.example", "mdoe = enforce\n");
	/* what is no domain file is not quoted; a domain file with a typo is */
	tree_put("domains/passwd.example", "root:x:0:0:root:/root:/bin/bash\n"
	    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n");
	tree_put("domains/far.example", "listen = 127.0.0.1\n");
	tree_put("domains/typo.example", "mode = enforce\nlisten = 127.0.0.1\n");
	tree_put("domains/overage.example", "mode = enforce\n\nmax-age = 400d\n");
	tree_put("domains/bad-mx.example", "mx = mx.example.com, *.com\n");
	if ((big = malloc(70 * 1024 + 1)) == NULL)
		abort();
	big[0] = '\0';
	memset(line, '#', 99);
	line[99] = '\n';
	line[100] = '\0';
	for (i = 0; i < 700; i++)
		memcpy(big + i * 100, line, 101);
	tree_put("domains/big.example", big);
	free(big);
	/* ignored silently: hidden files, edits in progress */
	tree_put("domains/.hidden.example", "mode = enforce\n");
	tree_put("domains/.example.com.swp", "");
	tree_put("domains/#example.com#", "");
	tree_put("domains/example.com.tmp", "");
	/* backups, disabled copies, package leftovers: skipped with a warning */
	tree_put("domains/example.com~", "");
	tree_put("domains/example.com.swp", "");
	tree_put("domains/example.com.dpkg-old", "");
	tree_put("domains/example.com.dpkg-dist", "");
	tree_put("domains/example.com.dpkg-new", "");
	tree_put("domains/example.com.dpkg-tmp", "");
	tree_put("domains/example.com.rpmnew", "");
	tree_put("domains/example.com.bak", "");
	tree_put("domains/example.com.old", "");
	tree_put("domains/example.com.orig", "");
	tree_put("domains/example.com.save", "");
	tree_put("domains/example.com.disabled", "mode = enforce\n");
	tree_put("domains/x.com.conf", "mode = enforce\nmx = mx.x.com\n");
	/* skipped with a warning */
	tree_put("domains/not_a_domain", "");
	tree_put("domains/localhost", "");
	tree_put("domains/192.0.2.1", "");
	tree_put("domains/xn--bcher-kva.example", "mode = none\n");
	tree_dir("domains/subdir.example");
	tree_link("nowhere.example", "domains/dangling.example");
}

static void
test_list(void)
{
	static const char *const want[] = {
		"UPPER.Example", "bad-mx.example", "big.example",
		"b\xc3\xbc" "cher.example", "certs-none.example", "empty.example",
		"example.com", "example.org", "far.example",
		"global-key.example", "none.example", "overage.example",
		"passwd.example", "typo.example", "unknown.example",
	};
	struct sts_strlist	 files = { NULL, 0, 0 }, warns = { NULL, 0, 0 };
	struct sts_strlist	 wantw = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], buf[2048];
	size_t			 i;

	sts_strlist_add(&files, "already.there");
	is_int(sts_domain_list(ddir, &files, collect, &warns, err, sizeof(err)),
	    0, "list the domain directory");
	is_int(files.n, 1 + sizeof(want) / sizeof(want[0]),
	    "  %zu files listed", sizeof(want) / sizeof(want[0]));
	is_str(files.v[0], "already.there", "  appended after what was there");
	for (i = 0; i < sizeof(want) / sizeof(want[0]) && i + 1 < files.n; i++)
		is_str(files.v[i + 1], want[i], "  file %zu is %s", i, want[i]);

#define W(s) do { snprintf(buf, sizeof(buf), "%s/%s", ddir, s); \
	sts_strlist_add(&wantw, buf); } while (0)
	W("not_a_domain: not a valid domain name, skipped");
	W("localhost: not a valid domain name, skipped");
	W("192.0.2.1: not a valid domain name, skipped");
	W("subdir.example: a directory, not a domain file, skipped");
	W("example.com~: skipped: a backup or disabled copy ('~'), not a "
	    "domain file");
	W("example.com.swp: skipped: a backup or disabled copy ('.swp'), not "
	    "a domain file");
	W("example.com.dpkg-old: skipped: a backup or disabled copy "
	    "('.dpkg-old'), not a domain file");
	W("example.com.dpkg-dist: skipped: a backup or disabled copy "
	    "('.dpkg-dist'), not a domain file");
	W("example.com.dpkg-new: skipped: a backup or disabled copy "
	    "('.dpkg-new'), not a domain file");
	W("example.com.dpkg-tmp: skipped: a backup or disabled copy "
	    "('.dpkg-tmp'), not a domain file");
	W("example.com.rpmnew: skipped: a backup or disabled copy "
	    "('.rpmnew'), not a domain file");
	W("example.com.bak: skipped: a backup or disabled copy ('.bak'), not "
	    "a domain file");
	W("example.com.old: skipped: a backup or disabled copy ('.old'), not "
	    "a domain file");
	W("example.com.orig: skipped: a backup or disabled copy ('.orig'), not "
	    "a domain file");
	W("example.com.save: skipped: a backup or disabled copy ('.save'), not "
	    "a domain file");
	W("example.com.disabled: skipped: a backup or disabled copy "
	    "('.disabled'), not a domain file");
	W("x.com.conf: skipped: a domain file is named after the domain alone "
	    "(x.com), without '.conf'");
	W("dangling.example: No such file or directory, skipped");
	W("xn--bcher-kva.example: same domain as b\\xc3\\xbccher.example "
	    "(xn--bcher-kva.example), skipped");
#undef W
	sts_strlist_sort_uniq(&wantw);
	sts_strlist_sort_uniq(&warns);
	ok(sts_strlist_equal(&warns, &wantw), "  exactly the expected warnings");
	for (i = 0; i < warns.n; i++)
		diag("  warning: %s", warns.v[i]);

	sts_strlist_free(&files);
	is_int(sts_domain_list(ddir, &files, NULL, NULL, err, sizeof(err)), 0,
	    "  a NULL warning callback is fine");
	sts_strlist_free(&files);

	snprintf(buf, sizeof(buf), "%s/none", tree_top);
	is_int(sts_domain_list(buf, &files, NULL, NULL, err, sizeof(err)), -1,
	    "a missing directory is an error");
	ok(strstr(err, "/none: No such file or directory") != NULL, "  %s", err);
	is_int(files.n, 0, "  nothing listed");
	sts_strlist_free(&warns);
	sts_strlist_free(&wantw);
	sts_strlist_free(&files);
}

static void
test_ignored(void)
{
	static const struct {
		const char	*name;
		int		 want;
	} t[] = {
		{ "example.com", 0 },
		{ "b\xc3\xbc" "cher.example", 0 },
		/* 1: passed over in silence (hidden, an edit in progress) */
		{ ".example.com", 1 },
		{ ".example.com.swp", 1 },
		{ ".example.com.bak", 1 },
		{ "example.com.tmp", 1 },
		{ "#example.com#", 1 },
		/* 2: skipped with a warning (backups, copies, leftovers) */
		{ "example.com~", 2 },
		{ "example.com.swp", 2 },
		{ "example.com.swo", 2 },
		{ "example.com.bak", 2 },
		{ "example.com.old", 2 },
		{ "example.com.orig", 2 },
		{ "example.com.save", 2 },
		{ "example.com.disabled", 2 },
		{ "example.com.conf", 2 },
		{ "example.com.dpkg-old", 2 },
		{ "example.com.dpkg-dist", 2 },
		{ "example.com.dpkg-new", 2 },
		{ "example.com.dpkg-tmp", 2 },
		{ "example.com.rpmnew", 2 },
		{ "example.com.rpmsave", 2 },
		{ "example.com.ucf-dist", 2 },
		/* 0: a candidate (a bad name is warned about by the listing) */
		{ "#example.com", 0 },
		{ "example.community", 0 },
		{ "swp.example", 0 },
		{ "conf.example", 0 },
		{ "example.conference", 0 },
		{ "example.config", 0 },
		{ "old.example.com", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(sts_domain_ignored(t[i].name), t[i].want,
		    "sts_domain_ignored(\"%s\") = %d", t[i].name, t[i].want);
}

static void
test_load(const struct sts_conf *conf, struct sts_certstore *store)
{
	static const struct {
		const char	*file;
		const char	*name;	/* NULL: error */
		const char	*text;	/* the policy, or the error substring */
	} t[] = {
		{ "example.com", "example.com",
		    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
		    "mx: mx2.example.com\r\nmax_age: 86400\r\n" },
		{ "example.org", "example.org",		/* an alias */
		    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
		    "mx: mx2.example.com\r\nmax_age: 86400\r\n" },
		{ "empty.example", "empty.example",	/* all from the global file */
		    "version: STSv1\r\nmode: testing\r\nmx: mx.global.example\r\n"
		    "max_age: 86400\r\n" },
		{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example",
		    "version: STSv1\r\nmode: testing\r\n"
		    "mx: mx.xn--bcher-kva.example\r\nmax_age: 86400\r\n" },
		{ "UPPER.Example", "upper.example",
		    "version: STSv1\r\nmode: testing\r\nmx: mx.global.example\r\n"
		    "max_age: 1209600\r\n" },
		{ "none.example", "none.example",
		    "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n" },
		{ "certs-none.example", NULL, "certs-none.example: mode enforce "
		    "needs mx patterns; no mx set and no usable names in " },
		{ "global-key.example", NULL, "/global-key.example:2: zonefile is "
		    "only valid in the global file (a domain file may set: certs, "
		    "mode, max-age, mx, tlsrpt, publish, dns-server, tsig-key, "
		    "hook, zone, id-zone, tlsrpt-zone, tlsrpt-hook, web-host)" },
		{ "unknown.example", NULL, "/unknown.example:1: unknown key "
		    "'mdoe' (did you mean 'mode'? expected one of: certs, mode, "
		    "max-age, mx, tlsrpt, publish, dns-server, tsig-key, hook, "
		    "zone, id-zone, tlsrpt-zone, tlsrpt-hook, web-host)" },
		{ "passwd.example", NULL, "/passwd.example:1: expected 'key = "
		    "value' (not quoted: no line of the file sets a domain key)" },
		{ "far.example", NULL, "/far.example:1: no key this file may set "
		    "(not quoted: no line of the file sets a domain key; expected "
		    "one of: certs, mode, max-age, mx, tlsrpt, publish, dns-server, "
		    "tsig-key, hook, zone, id-zone, tlsrpt-zone, tlsrpt-hook, web-host)" },
		{ "typo.example", NULL, "/typo.example:2: unknown key 'listen' "
		    "(expected one of: certs, mode, max-age, mx, tlsrpt, publish, "
		    "dns-server, tsig-key, hook, zone, id-zone, tlsrpt-zone, tlsrpt-hook, web-host)" },
		{ "overage.example", NULL, "/overage.example:3: max-age '400d' "
		    "is above 31557600 seconds" },
		{ "bad-mx.example", NULL, "/bad-mx.example:1: mx: not a valid "
		    "host name: *.com" },
		{ "big.example", NULL, "/big.example: larger than 64 KiB" },
		{ "missing.example", NULL, "/missing.example: No such file or "
		    "directory" },
		{ "not_a_domain", NULL, "/not_a_domain: not a valid domain name" },
		{ "../mta-sts.conf", NULL, "/../mta-sts.conf: not a valid domain "
		    "name" },
		{ "subdir.example", NULL, "/subdir.example: not a regular file" },
	};
	struct sts_domain	 d;
	char			 err[STS_ERR_MAX], path[PATH_MAX];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		rc = sts_domain_load(conf, store, ddir, t[i].file, &d, err,
		    sizeof(err));
		if (t[i].name != NULL) {
			if (!ok(rc == 0, "load %s", t[i].name))
				diag("  %s", err);
			is_str(d.name, t[i].name, "  name %s", t[i].name);
			snprintf(path, sizeof(path), "%s/%s", ddir, t[i].file);
			is_str(d.file, path, "  file is dir/file");
			is_str(d.text, t[i].text, "  policy text");
			is_int(d.textlen, d.text ? strlen(d.text) : 0,
			    "  textlen");
		} else {
			is_int(rc, -1, "%s refused", t[i].file);
			if (!ok(strstr(err, t[i].text) != NULL, "  error has '%s'",
			    t[i].text))
				diag("  got '%s'", err);
			ok(d.name == NULL && d.text == NULL && d.set.certs == NULL,
			    "  nothing left in the output");
		}
		sts_domain_free(&d);
	}

	/* the merged settings, and relative paths in a domain file */
	is_int(sts_domain_load(conf, store, ddir, "example.com", &d, err,
	    sizeof(err)), 0, "example.com again");
	ok(d.set.mode == STS_MODE_ENFORCE && d.set.max_age == 86400 &&
	    d.set.mx_set && d.set.mx.n == 2 && d.set.tlsrpt.n == 1 &&
	    strcmp(d.set.tlsrpt.v[0], "mailto:tlsrpt@example.com") == 0,
	    "  settings: file over global");
	ok(d.policy.mode == STS_MODE_ENFORCE && d.policy.max_age == 86400 &&
	    d.policy.mx.n == 2, "  policy model filled");
	sts_domain_free(&d);
	sts_domain_free(&d);
	is_int(sts_domain_load(conf, store, ddir, "none.example", &d, err,
	    sizeof(err)), 0, "none.example");
	ok(!d.set.mx_set && d.set.mx.n == 0, "  mx = [] clears the global mx");
	sts_domain_free(&d);
	ok(conf->dflt.mx.n == 1 && conf->dflt.mx_set,
	    "  the global settings are untouched");

	/* no store at all, no mx: an error that says so */
	is_int(sts_domain_load(conf, NULL, ddir, "certs-none.example", &d, err,
	    sizeof(err)), -1, "no store and no mx refused");
	ok(strstr(err, "certs-none.example: mode enforce needs mx patterns; "
	    "no mx set and no certificates") != NULL, "  %s", err);
}

/* Why a domain asked for by name has no domain file. */
static void
test_missing(void)
{
	char	err[STS_ERR_MAX], want[2048];

	is_int(sts_domain_missing(ddir, "subdir.example", err, sizeof(err)),
	    -1, "missing: a directory");
	snprintf(want, sizeof(want), "unknown domain subdir.example: %s/"
	    "subdir.example is a directory, not a domain file", ddir);
	is_str(err, want, "  says it is a directory");
	is_int(sts_domain_missing(ddir, "nothing.example", err, sizeof(err)),
	    -1, "missing: no file");
	snprintf(want, sizeof(want), "unknown domain nothing.example: no file "
	    "for it in %s", ddir);
	is_str(err, want, "  says there is no file");
	sts_domain_missing(ddir, "dangling.example", err, sizeof(err));
	snprintf(want, sizeof(want), "unknown domain dangling.example: %s/"
	    "dangling.example is a symbolic link to nothing", ddir);
	is_str(err, want, "missing: a dangling link, said so");
	sts_domain_missing(ddir, "example.com.bak", err, sizeof(err));
	snprintf(want, sizeof(want), "unknown domain example.com.bak: %s/"
	    "example.com.bak is skipped: a backup or disabled copy ('.bak'), "
	    "not a domain file", ddir);
	is_str(err, want, "missing: a backup copy, said so");
	sts_domain_missing(ddir, "x.com.conf", err, sizeof(err));
	snprintf(want, sizeof(want), "unknown domain x.com.conf: %s/"
	    "x.com.conf is skipped: a domain file is named after the domain "
	    "alone (x.com), without '.conf'", ddir);
	is_str(err, want, "missing: a .conf file, said so");
}

/* Advice about a policy that loads: max-age 0 with enforce. */
static void
test_advice(const struct sts_conf *conf)
{
	static const struct {
		const char	*file, *text, *warn;
	} t[] = {
		{ "zero-enforce.example", "mode = enforce\nmax-age = 0\n",
		    "zero-enforce.example: max-age 0 with mode enforce: senders "
		    "keep the policy for no time, so it protects no delivery; "
		    "set max-age to days or weeks (e.g. 1w)" },
		{ "zero-testing.example", "mode = testing\nmax-age = 0\n", "" },
		{ "zero-none.example", "mode = none\nmax-age = 0\n", "" },
		{ "day-enforce.example", "mode = enforce\nmax-age = 1d\n", "" },
	};
	struct sts_domain	 d;
	struct sts_strlist	 w = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], rel[PATH_MAX];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(rel, sizeof(rel), "domains/%s", t[i].file);
		tree_put(rel, t[i].text);
		if (!ok(sts_domain_load(conf, NULL, ddir, t[i].file, &d, err,
		    sizeof(err)) == 0, "advice: %s loads", t[i].file))
			diag("  %s", err);
		sts_domain_advise(&d, collect, &w);
		is_str(w.n > 0 ? w.v[0] : "", t[i].warn, "  advice for %s",
		    t[i].file);
		is_int(w.n, t[i].warn[0] != '\0', "  %s: no other advice",
		    t[i].file);
		sts_strlist_free(&w);
		sts_domain_free(&d);
		snprintf(rel, sizeof(rel), "%s/%s", ddir, t[i].file);
		unlink(rel);
	}
}

int
main(void)
{
	struct sts_conf		 conf;
	struct sts_certstore	*store = NULL;
	char			 err[STS_ERR_MAX], path[PATH_MAX];
	struct stat		 st;

	tree_open(TOP);
	snprintf(ddir, sizeof(ddir), "%s/domains", tree_top);
	build();

	sts_conf_defaults(&conf);
	snprintf(path, sizeof(path), "%s/mta-sts.conf", tree_top);
	if (!ok(sts_conf_load(path, &conf, err, sizeof(err)) == 0,
	    "global file loads"))
		diag("  %s", err);
	is_str(conf.domains, ddir, "  domains = domains is relative to it");

	test_ignored();
	test_list();
	test_missing();
	test_advice(&conf);

	if ((store = sts_certstore_new(NULL, NULL)) == NULL)
		abort();
	test_load(&conf, store);
	sts_certstore_free(store);
	sts_conf_free(&conf);

	tree_remove(TOP);
	rmdir("tests/tmp");
	ok(stat(TOP, &st) == -1 && errno == ENOENT, "temporary tree removed");
	return done_testing();
}
