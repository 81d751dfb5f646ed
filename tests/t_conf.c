/* SPDX-License-Identifier: ISC */
/*
 * conf.c: the global configuration file, driven by fixtures.
 * tests/fixtures/conf/good/NAME.conf must load and dump as NAME.expect
 * (the fixture directory written as @DIR@); tests/fixtures/conf/bad/NAME.conf
 * must fail with an error that begins with its path and contains NAME.msg.
 * `t_conf --dump FILE` prints the dump, for writing a new .expect.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "tap.h"

#define FIXTURES	"tests/fixtures/conf"
#define TMPDIR		"tests/tmp/t_conf"

static char	cwd[1024];	/* small enough for the formats below */

static void
put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t	n = strlen(s);

	while (*len + n + 1 > *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		if ((*buf = realloc(*buf, *cap)) == NULL)
			abort();
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

/* s with every occurrence of dir replaced by @DIR@ */
static void
put_path(char **buf, size_t *len, size_t *cap, const char *s, const char *dir)
{
	const char	*p;
	char		 tmp[PATH_MAX + 1];
	size_t		 dl = strlen(dir);

	if (s == NULL) {
		put(buf, len, cap, "(unset)");
		return;
	}
	while (dl > 0 && (p = strstr(s, dir)) != NULL) {
		snprintf(tmp, sizeof(tmp), "%.*s", (int)(p - s), s);
		put(buf, len, cap, tmp);
		put(buf, len, cap, "@DIR@");
		s = p + dl;
	}
	put(buf, len, cap, s);
}

static void
put_list(char **buf, size_t *len, size_t *cap, const struct sts_strlist *l,
    const char *none)
{
	size_t	i;

	if (l->n == 0)
		put(buf, len, cap, none);
	for (i = 0; i < l->n; i++) {
		if (i > 0)
			put(buf, len, cap, ", ");
		put(buf, len, cap, l->v[i]);
	}
}

/* Every field of conf, one per line; malloc'd. */
static char *
dump(const struct sts_conf *c, const char *dir)
{
	static const char *const publish[] = { "none", "rfc2136", "hook",
	    "zonefile" };
	char	*b = NULL, num[64];
	size_t	 len = 0, cap = 0;

#define LINE(k, v) do { put(&b, &len, &cap, k " = "); \
	put_path(&b, &len, &cap, (v), dir); put(&b, &len, &cap, "\n"); } while (0)
	LINE("domains", c->domains);
	LINE("certs", c->dflt.certs);
	LINE("state", c->state);
	LINE("mode", sts_mode_name(c->dflt.mode));
	snprintf(num, sizeof(num), "%lu", c->dflt.max_age);
	LINE("max-age", num);
	put(&b, &len, &cap, "mx = ");
	put_list(&b, &len, &cap, &c->dflt.mx, "(none)");
	put(&b, &len, &cap, c->dflt.mx_set ? " (set)\n" : " (from certs)\n");
	put(&b, &len, &cap, "tlsrpt = ");
	put_list(&b, &len, &cap, &c->dflt.tlsrpt, "(default)");
	put(&b, &len, &cap, "\n");
	LINE("publish", (unsigned)c->publish < 4 ? publish[c->publish] : "?");
	LINE("dns-server", c->dns_server);
	LINE("tsig-key", c->tsig_key);
	LINE("hook", c->hook);
	LINE("zonefile", c->zonefile);
	LINE("reload", c->reload);
	LINE("resolver", c->resolver);
	LINE("ca-file", c->ca_file);
	snprintf(num, sizeof(num), "%u", c->timeout);
	LINE("timeout", num);
	snprintf(num, sizeof(num), "%u", c->domain_timeout);
	LINE("domain-timeout", num);
	snprintf(num, sizeof(num), "%u", c->run_timeout);
	LINE("run-timeout", num);
#undef LINE
	return b;
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	if ((buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t	a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* the .conf files of dir, sorted */
static void
list(const char *dir, struct sts_strlist *out)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL) {
		ok(0, "open %s: %s", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (has_suffix(de->d_name, ".conf"))
			sts_strlist_add(out, de->d_name);
	closedir(d);
	sts_strlist_sort_uniq(out);
}

static void
test_good(void)
{
	struct sts_strlist	 files = { NULL, 0, 0 };
	struct sts_conf		 c;
	char			 path[PATH_MAX], exp[PATH_MAX], dir[PATH_MAX];
	char			 err[STS_ERR_MAX], *want, *got;
	size_t			 i;

	list(FIXTURES "/good", &files);
	ok(files.n >= 10, "at least 10 good fixtures (%zu)", files.n);
	snprintf(dir, sizeof(dir), "%s/%s/good", cwd, FIXTURES);
	for (i = 0; i < files.n; i++) {
		snprintf(path, sizeof(path), "%s/good/%s", FIXTURES, files.v[i]);
		snprintf(exp, sizeof(exp), "%.*s.expect",
		    (int)(strlen(path) - 5), path);
		sts_conf_defaults(&c);
		err[0] = '\0';
		if (!ok(sts_conf_load(path, &c, err, sizeof(err)) == 0,
		    "good/%s loads", files.v[i])) {
			diag("  %s", err);
			sts_conf_free(&c);
			continue;
		}
		is_str(c.file, path, "  conf->file is the path given");
		got = dump(&c, dir);
		if ((want = slurp(exp)) == NULL)
			ok(0, "  %s: %s", exp, strerror(errno));
		else if (!ok(strcmp(got, want) == 0, "  dump matches %s", exp))
			diag("got:\n%s\nwant:\n%s", got, want);
		free(want);
		free(got);
		sts_conf_free(&c);
	}
	sts_strlist_free(&files);
}

static void
test_bad(void)
{
	struct sts_strlist	 files = { NULL, 0, 0 };
	struct sts_conf		 c;
	char			 path[PATH_MAX], mp[PATH_MAX];
	char			 err[STS_ERR_MAX], *msg, *before, *after;
	size_t			 i, n;

	list(FIXTURES "/bad", &files);
	ok(files.n >= 20, "at least 20 bad fixtures (%zu)", files.n);
	for (i = 0; i < files.n; i++) {
		snprintf(path, sizeof(path), "%s/bad/%s", FIXTURES, files.v[i]);
		snprintf(mp, sizeof(mp), "%.*s.msg", (int)(strlen(path) - 5),
		    path);
		if ((msg = slurp(mp)) == NULL) {
			ok(0, "%s: %s", mp, strerror(errno));
			continue;
		}
		n = strlen(msg);
		while (n > 0 && msg[n - 1] == '\n')
			msg[--n] = '\0';
		sts_conf_defaults(&c);
		before = dump(&c, "");
		err[0] = '\0';
		is_int(sts_conf_load(path, &c, err, sizeof(err)), -1,
		    "bad/%s refused", files.v[i]);
		ok(strncmp(err, path, strlen(path)) == 0 &&
		    err[strlen(path)] == ':', "  error begins with '%s:'", path);
		if (!ok(n > 0 && strstr(err, msg) != NULL, "  error has '%s'",
		    msg))
			diag("  got '%s'", err);
		after = dump(&c, "");
		ok(strcmp(before, after) == 0, "  conf left unchanged");
		for (n = 0; err[n] != '\0'; n++)
			if ((unsigned char)err[n] < 0x20 ||
			    (unsigned char)err[n] >= 0x7f)
				break;
		ok(err[n] == '\0', "  error has no raw control or 8-bit bytes");
		free(before);
		free(after);
		free(msg);
		sts_conf_free(&c);
	}
	sts_strlist_free(&files);
}

static void
test_duration(void)
{
	static const struct {
		const char	*in;
		int		 rc;
		unsigned long	 want;
	} t[] = {
		{ "0", 0, 0 },
		{ "1", 0, 1 },
		{ "86400", 0, 86400 },
		{ "60s", 0, 60 },
		{ "5m", 0, 300 },
		{ "2h", 0, 7200 },
		{ "7d", 0, 604800 },
		{ "2w", 0, 1209600 },
		{ "007d", 0, 604800 },
		{ "31557600", 0, 31557600 },
		{ "31557600s", 0, 31557600 },
		{ "525960m", 0, 31557600 },
		{ "31557601", -1, 0 },
		{ "525961m", -1, 0 },
		{ "366d", -1, 0 },
		{ "53w", -1, 0 },
		{ "99999999999999999999999", -1, 0 },
		{ "18446744073709551617", -1, 0 },
		{ "", -1, 0 },
		{ "d", -1, 0 },
		{ "-1", -1, 0 },
		{ "+1", -1, 0 },
		{ " 1", -1, 0 },
		{ "1 ", -1, 0 },
		{ "1D", -1, 0 },
		{ "1y", -1, 0 },
		{ "1dd", -1, 0 },
		{ "1d2h", -1, 0 },
		{ "1.5d", -1, 0 },
		{ "0x10", -1, 0 },
	};
	unsigned long	v;
	size_t		i;
	int		rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		v = 12345;
		rc = sts_duration_parse(t[i].in, &v);
		is_int(rc, t[i].rc, "duration '%s' -> %s", t[i].in,
		    t[i].rc == 0 ? "ok" : "refused");
		if (t[i].rc == 0)
			is_int(v, t[i].want, "  = %lu", t[i].want);
		else
			is_int(v, 12345, "  output untouched");
	}
	is_int(sts_duration_parse(NULL, &v), -1, "duration NULL refused");
}

static void
test_defaults_and_reload(void)
{
	struct sts_conf	 c, d;
	char		 err[STS_ERR_MAX], *a, *b;
	struct sts_settings s;
	static const struct sts_conf zc;
	static const struct sts_settings zs;

	sts_conf_defaults(&c);
	a = dump(&c, "");
	is_str(a, "domains = /etc/mta-sts/domains\n"
	    "certs = /etc/mta-sts/certs\n"
	    "state = /var/lib/mtasts\n"
	    "mode = testing\n"
	    "max-age = 604800\n"
	    "mx = (none) (from certs)\n"
	    "tlsrpt = (default)\n"
	    "publish = none\n"
	    "dns-server = (unset)\n"
	    "tsig-key = (unset)\n"
	    "hook = (unset)\n"
	    "zonefile = (unset)\n"
	    "reload = (unset)\n"
	    "resolver = (unset)\n"
	    "ca-file = (unset)\n"
	    "timeout = 10\n"
	    "domain-timeout = 300\n"
	    "run-timeout = 1800\n", "built-in defaults");
	ok(c.file == NULL, "defaults have no file");

	/* a second load starts again from the defaults: nothing stale */
	is_int(sts_conf_load(FIXTURES "/good/full.conf", &c, err, sizeof(err)),
	    0, "load full.conf");
	is_int(sts_conf_load(FIXTURES "/good/empty.conf", &c, err, sizeof(err)),
	    0, "then load empty.conf over it");
	b = dump(&c, "");
	is_str(b, a, "  every value is back to its default");
	free(b);
	free(a);

	/* a failed load leaves the previous configuration in place */
	is_int(sts_conf_load(FIXTURES "/good/full.conf", &c, err, sizeof(err)),
	    0, "load full.conf again");
	a = dump(&c, "");
	is_int(sts_conf_load(FIXTURES "/bad/duplicate.conf", &c, err,
	    sizeof(err)), -1, "a bad file is refused");
	b = dump(&c, "");
	is_str(b, a, "  full.conf's values are kept");
	is_str(c.file, FIXTURES "/good/full.conf", "  and its file name");
	free(a);
	free(b);

	/* settings copy is deep */
	is_int(sts_settings_copy(&s, &c.dflt), 0, "settings copy");
	ok(s.mx.n == 3 && s.mx.v != c.dflt.mx.v && s.certs != c.dflt.certs &&
	    strcmp(s.certs, c.dflt.certs) == 0 && s.tlsrpt.n == 2 &&
	    s.mode == STS_MODE_ENFORCE && s.max_age == 1296000 && s.mx_set,
	    "  copy holds its own equal values");
	/*
	 * Free, then free again: harmless because the first free leaves
	 * every byte zero (all pointers NULL), which is what is asserted
	 * here; a free that left a pointer behind would also be a double
	 * free, which valgrind (make valgrind) and SANITIZE=1 report.
	 */
	sts_settings_free(&s);
	ok(s.certs == NULL && s.mx.n == 0, "  free leaves it empty");
	ok(memcmp(&s, &zs, sizeof(s)) == 0,
	    "  free leaves every byte zero (no pointer left to free twice)");
	sts_settings_free(&s);
	ok(memcmp(&s, &zs, sizeof(s)) == 0, "  free twice: still all zero");
	is_int(sts_settings_copy(&s, &c.dflt), 0,
	    "  and it can be used again: copy into it");
	ok(s.mx.n == 3 && strcmp(s.certs, c.dflt.certs) == 0,
	    "  with the values copied");
	sts_settings_free(&s);
	sts_conf_free(&c);
	ok(memcmp(&c, &zc, sizeof(c)) == 0,
	    "conf free leaves every byte zero (no pointer left to free twice)");
	sts_conf_free(&c);
	ok(memcmp(&c, &zc, sizeof(c)) == 0, "conf free twice: still all zero");

	/* a zeroed struct is a valid starting point too */
	memset(&d, 0, sizeof(d));
	is_int(sts_conf_load(FIXTURES "/good/stalwart.conf", &d, err,
	    sizeof(err)), 0, "load into a zeroed struct");
	sts_conf_free(&d);
}

static void
test_files(void)
{
	struct sts_conf	 c;
	char		 err[STS_ERR_MAX], path[PATH_MAX], *big;
	FILE		*f;
	size_t		 n = 1024 * 1024 + 1;

	sts_conf_defaults(&c);
	is_int(sts_conf_load(FIXTURES "/none.conf", &c, err, sizeof(err)), -1,
	    "a missing file is refused");
	is_str(err, FIXTURES "/none.conf: No such file or directory",
	    "  with the file and the reason");
	is_int(sts_conf_load(FIXTURES, &c, err, sizeof(err)), -1,
	    "a directory is refused");
	is_str(err, FIXTURES ": not a regular file", "  as not a regular file");

	if (mkdir("tests/tmp", 0755) == -1 && errno != EEXIST)
		diag("mkdir tests/tmp: %s", strerror(errno));
	if (mkdir(TMPDIR, 0755) == -1 && errno != EEXIST)
		diag("mkdir " TMPDIR ": %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/big.conf", TMPDIR);
	if ((big = malloc(n)) == NULL || (f = fopen(path, "w")) == NULL)
		abort();
	memset(big, '#', n);
	big[n - 1] = '\n';
	fwrite(big, 1, n, f);
	fclose(f);
	free(big);
	is_int(sts_conf_load(path, &c, err, sizeof(err)), -1,
	    "a file over 1 MiB is refused");
	ok(strstr(err, "big.conf: larger than 1024 KiB") != NULL, "  %s", err);
	unlink(path);

	/* a small err buffer still gets a terminated message */
	memset(err, 'x', sizeof(err));
	is_int(sts_conf_load(FIXTURES "/bad/unknown-key.conf", &c, err, 16),
	    -1, "error with a 16-byte buffer");
	is_int(strlen(err), 15, "  truncated and terminated");
	is_int(sts_conf_load(FIXTURES "/bad/unknown-key.conf", &c, NULL, 0),
	    -1, "error with no buffer");

	/* a file named without a directory: relative to the current one */
	if (chdir(FIXTURES "/good") == 0) {
		is_int(sts_conf_load("relative.conf", &c, err, sizeof(err)), 0,
		    "relative.conf from its own directory");
		snprintf(path, sizeof(path), "%s/%s/good/domains", cwd,
		    FIXTURES);
		is_str(c.domains, path, "  domains is absolute");
		is_int(sts_conf_load("./relative.conf", &c, err, sizeof(err)),
		    0, "./relative.conf");
		is_str(c.domains, path, "  domains is the same");
		if (chdir(cwd) == -1)
			abort();
	} else
		ok(0, "chdir %s/good: %s", FIXTURES, strerror(errno));
	sts_conf_free(&c);
	rmdir(TMPDIR);
	rmdir("tests/tmp");
}

/*
 * sts_settings_parse: a domain file's text already read gives what
 * sts_settings_load gives for the file, errors included.
 */
static void
test_settings_parse(void)
{
	static const struct {
		const char	*text;
		int		 ok;
		const char	*certs;		/* expected, ok only */
		const char	*msg;		/* expected substring, else */
	} cases[] = {
		{ "", 1, "/etc/mta-sts/certs", NULL },
		{ "mode = enforce\nmx = mx.example.net\n", 1,
		    "/etc/mta-sts/certs", NULL },
		{ "certs = c\n", 1, "/tmp/d/c", NULL },
		{ "mode = bogus\n", 0, NULL, "/tmp/d/x.example:1: " },
		{ "mdoe = enforce\n", 0, NULL, "unknown key" },
		{ "zonefile = z\n", 0, NULL, "x.example:1:" },
	};
	struct sts_settings	 dflt, a, b;
	char			 err[STS_ERR_MAX], err2[STS_ERR_MAX];
	char			 path[PATH_MAX], *big = NULL;
	FILE			*f;
	size_t			 i, n = 64 * 1024 + 1;
	int			 ra, rb;

	memset(&dflt, 0, sizeof(dflt));
	dflt.mode = STS_MODE_TESTING;
	dflt.max_age = 604800;
	if ((dflt.certs = strdup("/etc/mta-sts/certs")) == NULL)
		abort();
	if (mkdir("tests/tmp", 0755) == -1 && errno != EEXIST)
		diag("mkdir tests/tmp: %s", strerror(errno));
	if (mkdir(TMPDIR, 0755) == -1 && errno != EEXIST)
		diag("mkdir " TMPDIR ": %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/%s/x.example", cwd, TMPDIR);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sts_settings_copy(&a, &dflt) == -1 ||
		    sts_settings_copy(&b, &dflt) == -1)
			abort();
		ra = sts_settings_parse("/tmp/d/x.example", cases[i].text,
		    strlen(cases[i].text), &a, err, sizeof(err));
		is_int(ra, cases[i].ok ? 0 : -1, "parse case %zu: %s", i,
		    cases[i].ok ? "accepted" : "refused");
		if (cases[i].ok)
			is_str(a.certs, cases[i].certs, "  certs %s",
			    cases[i].certs);
		else
			ok(strstr(err, cases[i].msg) != NULL, "  %s", err);
		/* The same text from a file: the same verdict and message. */
		if ((f = fopen(path, "w")) == NULL)
			abort();
		fputs(cases[i].text, f);
		fclose(f);
		rb = sts_settings_load(path, &b, err2, sizeof(err2));
		is_int(rb, ra, "  sts_settings_load agrees");
		is_int(a.mode, b.mode, "  same mode");
		if (!cases[i].ok)
			ok(strstr(err2, strstr(err, "x.example:") ?
			    strstr(err, "x.example:") : err) != NULL,
			    "  same message: %s", err2);
		sts_settings_free(&a);
		sts_settings_free(&b);
	}
	unlink(path);
	if ((big = malloc(n)) == NULL || sts_settings_copy(&a, &dflt) == -1)
		abort();
	memset(big, '#', n);
	is_int(sts_settings_parse("/tmp/d/x.example", big, n, &a, err,
	    sizeof(err)), -1, "parse: over 64 KiB is refused");
	ok(strstr(err, "x.example: larger than 64 KiB") != NULL, "  %s", err);
	for (i = 0; i + 1 < n - 1; i += 64)
		big[i] = '\n';
	is_int(sts_settings_parse("/tmp/d/x.example", big, n - 1, &a, err,
	    sizeof(err)), 0, "parse: 64 KiB of comments is read");
	free(big);
	sts_settings_free(&a);
	sts_settings_free(&dflt);
	rmdir(TMPDIR);
}

/* A mode that is almost right gets "did you mean"; the whole message. */
static void
test_mode_hint(void)
{
	static const struct {
		const char	*text, *err;
	} t[] = {
		{ "mode = enforcing\n", "/d/x.example:1: mode 'enforcing' is not "
		    "valid (did you mean 'enforce'? expected none, testing or "
		    "enforce)" },
		{ "mode = Enforce\n", "/d/x.example:1: mode 'Enforce' is not "
		    "valid (did you mean 'enforce'? expected none, testing or "
		    "enforce)" },
		{ "mode = ENFORCE\n", "/d/x.example:1: mode 'ENFORCE' is not "
		    "valid (did you mean 'enforce'? expected none, testing or "
		    "enforce)" },
		{ "\nmode = enforced\n", "/d/x.example:2: mode 'enforced' is not "
		    "valid (did you mean 'enforce'? expected none, testing or "
		    "enforce)" },
		{ "mode = test\n", "/d/x.example:1: mode 'test' is not valid "
		    "(did you mean 'testing'? expected none, testing or "
		    "enforce)" },
		{ "mode = None\n", "/d/x.example:1: mode 'None' is not valid "
		    "(did you mean 'none'? expected none, testing or enforce)" },
		{ "mode = strict\n", "/d/x.example:1: mode 'strict' is not "
		    "valid (expected none, testing or enforce)" },
		{ "mode = off\n", "/d/x.example:1: mode 'off' is not valid "
		    "(expected none, testing or enforce)" },
	};
	struct sts_settings	 set;
	char			 err[STS_ERR_MAX];
	size_t			 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&set, 0, sizeof(set));
		err[0] = '\0';
		is_int(sts_settings_parse("/d/x.example", t[i].text,
		    strlen(t[i].text), &set, err, sizeof(err)), -1,
		    "mode hint %zu refused", i);
		is_str(err, t[i].err, "  message");
		sts_settings_free(&set);
	}
}

/*
 * tlsrpt-hook: in a domain file, over the global one; copied with the
 * settings; a value it must have.
 */
static void
test_tlsrpt_hook(void)
{
	struct sts_settings	 dflt, a, b;
	char			 err[STS_ERR_MAX];
	const char		*t1 = "tlsrpt-hook = /usr/local/lib/rpt-hook\n";
	const char		*t2 = "tlsrpt-hook =\n";

	memset(&dflt, 0, sizeof(dflt));
	dflt.mode = STS_MODE_TESTING;
	dflt.max_age = 604800;
	if ((dflt.tlsrpt_hook = strdup("/bin/global-rpt")) == NULL ||
	    sts_settings_copy(&a, &dflt) == -1 || sts_settings_copy(&b, &dflt) == -1)
		abort();
	is_str(a.tlsrpt_hook, "/bin/global-rpt", "tlsrpt-hook: copied with the settings");
	is_int(sts_settings_parse("/tmp/d/x.example", t1, strlen(t1), &a, err,
	    sizeof(err)), 0, "tlsrpt-hook: accepted in a domain file");
	is_str(a.tlsrpt_hook, "/usr/local/lib/rpt-hook", "tlsrpt-hook: the domain's over the global one");
	is_int(sts_settings_parse("/tmp/d/x.example", t2, strlen(t2), &b, err,
	    sizeof(err)), -1, "tlsrpt-hook without a value: refused");
	is_str(err, "/tmp/d/x.example:1: tlsrpt-hook needs a value (expected a program)",
	    "  the message names the file, the line and what it expects");
	sts_settings_free(&a);
	sts_settings_free(&b);
	sts_settings_free(&dflt);
}

/*
 * The publishing keys in a domain file (publish, dns-server, tsig-key,
 * hook, id-zone, tlsrpt-zone, web-host): over the global values, each
 * checked, the message with file:line; with skip_publishing (the
 * responder) read and left unset, whatever they say.
 */
static const char *
nz(const char *s)
{
	return s != NULL ? s : "(null)";
}

static void
test_publishing_keys(void)
{
	static const struct {
		const char	*text;
		const char	*want;	/* "publish|dns|tsig|hook|id|rpt|web", or NULL */
		const char	*msg;	/* expected substring, when refused */
	} cases[] = {
		{ "", "1|ns.global.example|/etc/g.key|/bin/global|"
		    "ids.global.example|(null)|(null)", NULL },
		{ "publish = none\n", "0|ns.global.example|/etc/g.key|/bin/global|"
		    "ids.global.example|(null)|(null)", NULL },
		{ "publish = hook\nhook = h\n", "2|ns.global.example|/etc/g.key|h|"
		    "ids.global.example|(null)|(null)", NULL },
		{ "dns-server = [::1]:5353\ntsig-key = k\n",
		    "1|[::1]:5353|/tmp/d/k|/bin/global|ids.global.example|(null)|"
		    "(null)", NULL },
		{ "id-zone = IDS.Example.NET.\ntlsrpt-zone = rpt.example.net\n"
		    "web-host = web.b\xc3\xbc" "cher.example\n",
		    "1|ns.global.example|/etc/g.key|/bin/global|ids.example.net|"
		    "rpt.example.net|web.xn--bcher-kva.example", NULL },
		{ "publish = rfc2137\n", NULL, "x.example:1: publish 'rfc2137' is "
		    "not valid (expected none, rfc2136, hook or zonefile)" },
		{ "mode = testing\nid-zone = *.ids.example\n", NULL, "x.example:2: "
		    "id-zone '*.ids.example' is not valid (expected a zone name)" },
		{ "web-host = localhost\n", NULL, "x.example:1: web-host "
		    "'localhost' is not valid (expected a host name)" },
		{ "dns-server = ns:0\n", NULL, "x.example:1: dns-server 'ns:0' is "
		    "not valid (expected host[:port])" },
		{ "publish = zonefile\n", NULL, "x.example:1: publish = zonefile "
		    "needs a file (add 'zonefile = /path/to/zone' to the global "
		    "file)" },
		{ "tlsrpt-zone = ids.global.example\n", NULL, "x.example:1: "
		    "tlsrpt-zone must differ from id-zone" },
		{ "publish = none\npublish = hook\n", NULL, "x.example:2: duplicate "
		    "key publish (first set on line 1)" },
	};
	struct sts_settings	 dflt, a;
	char			 err[STS_ERR_MAX], got[1024];
	size_t			 i;
	int			 rc;

	memset(&dflt, 0, sizeof(dflt));
	dflt.mode = STS_MODE_TESTING;
	dflt.max_age = 604800;
	dflt.publish = STS_PUBLISH_RFC2136;
	dflt.publish_set = 1;
	if ((dflt.dns_server = strdup("ns.global.example")) == NULL ||
	    (dflt.tsig_key = strdup("/etc/g.key")) == NULL ||
	    (dflt.hook = strdup("/bin/global")) == NULL ||
	    (dflt.id_zone = strdup("ids.global.example")) == NULL)
		abort();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (sts_settings_copy(&a, &dflt) == -1)
			abort();
		err[0] = '\0';
		rc = sts_settings_parse("/tmp/d/x.example", cases[i].text,
		    strlen(cases[i].text), &a, err, sizeof(err));
		is_int(rc, cases[i].want ? 0 : -1, "publishing case %zu: %s", i,
		    cases[i].want ? "accepted" : "refused");
		if (cases[i].want) {
			snprintf(got, sizeof(got), "%d|%s|%s|%s|%s|%s|%s",
			    (int)a.publish, nz(a.dns_server), nz(a.tsig_key),
			    nz(a.hook), nz(a.id_zone), nz(a.tlsrpt_zone),
			    nz(a.web_host));
			is_str(got, cases[i].want, "  the values");
		} else
			ok(strstr(err, cases[i].msg) != NULL, "  %s", err);
		sts_settings_free(&a);
		/* the responder: read, never set, never refused */
		if (sts_settings_copy(&a, &dflt) == -1)
			abort();
		a.skip_publishing = 1;
		rc = sts_settings_parse("/tmp/d/x.example", cases[i].text,
		    strlen(cases[i].text), &a, err, sizeof(err));
		if (strstr(cases[i].text, "duplicate") == NULL &&
		    strstr(cases[i].text, "publish = none\npublish") == NULL) {
			is_int(rc, 0, "  skip_publishing: accepted");
			snprintf(got, sizeof(got), "%d|%s|%s|%s|%s", (int)a.publish,
			    nz(a.dns_server), nz(a.hook), nz(a.id_zone),
			    nz(a.web_host));
			is_str(got, "1|ns.global.example|/bin/global|"
			    "ids.global.example|(null)", "  skip_publishing: "
			    "nothing set");
		} else
			is_int(rc, -1, "  skip_publishing: a duplicate key is "
			    "still a broken file");
		sts_settings_free(&a);
	}
	sts_settings_free(&dflt);
}

int
main(int argc, char *argv[])
{
	struct sts_conf	 c;
	char		 err[STS_ERR_MAX], dir[PATH_MAX], *s, *slash;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return 1;
	if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
		sts_conf_defaults(&c);
		if (sts_conf_load(argv[2], &c, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
		snprintf(dir, sizeof(dir), "%s/%s", cwd, argv[2]);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		s = dump(&c, dir);
		fputs(s, stdout);
		free(s);
		sts_conf_free(&c);
		return 0;
	}
	test_duration();
	test_defaults_and_reload();
	test_files();
	test_good();
	test_bad();
	test_settings_parse();
	test_publishing_keys();
	test_tlsrpt_hook();
	test_mode_hint();
	return done_testing();
}
