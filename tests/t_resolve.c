/* SPDX-License-Identifier: ISC */
/*
 * t_resolve: mta-sts-resolve's parts without the network: the netstring
 * reader (table-driven: good, incomplete, malformed, oversized), the
 * match list (RFC 8461 §4.1: "*.example.test" covers one label), what
 * Postfix is told in each mode, the outbound-rules file and its
 * messages, the keys Postfix sends, and the cache file across a restart
 * (a torn tail, an expired entry, a drop, 100,000 entries loaded).
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"
#include "tap.h"

void
logmsg(const char *fmt, ...)
{
	(void)fmt;
}

static char tmpdir[] = "/tmp/t_resolve.XXXXXX";

/* under valgrind (make valgrind) or ASan (SANITIZE=1) time means nothing */
static int
slowed(void)
{
	const char *p = getenv("LD_PRELOAD");

#if defined(__SANITIZE_ADDRESS__)
	return 1;
#endif
	return p != NULL && strstr(p, "vgpreload") != NULL;
}

static void
t_netstring(void)
{
	static const struct {
		const char *in;
		size_t max;
		int rc;
		const char *payload;	/* rc 1 */
		size_t used;
	} c[] = {
		{ "7:mta-sts,", 100, 1, "mta-sts", 10 },
		{ "0:,", 100, 1, "", 3 },
		{ "3:abc,4:defg,", 100, 1, "abc", 6 },
		{ "", 100, 0, NULL, 0 },
		{ "12", 100, 0, NULL, 0 },
		{ "12:hello", 100, 0, NULL, 0 },
		{ "5:hello", 100, 0, NULL, 0 },
		{ "5:hello;", 100, -1, NULL, 0 },
		{ "x:abc,", 100, -1, NULL, 0 },
		{ ":abc,", 100, -1, NULL, 0 },
		{ "05:hello,", 100, -1, NULL, 0 },
		{ "3;abc,", 100, -1, NULL, 0 },
		{ "101:", 100, -1, NULL, 0 },
		{ "100", 100, 0, NULL, 0 },
		{ "1001", 100, -1, NULL, 0 },
		/* would wrap a 64-bit size_t: refused at the 21st digit at the latest */
		{ "18446744073709551617:", (size_t)-1, -1, NULL, 0 },
		{ "99999999999999999999999999:", 10000, -1, NULL, 0 },
	};
	size_t i, off, plen, used;
	const char *why;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why = NULL;
		off = plen = used = 0;
		rc = ns_parse(c[i].in, strlen(c[i].in), c[i].max, &off, &plen,
		    &used, &why);
		is_int(rc, c[i].rc, "netstring '%s' (max %zu)", c[i].in, c[i].max);
		if (c[i].rc == 1) {
			ok(plen == strlen(c[i].payload) &&
			    memcmp(c[i].in + off, c[i].payload, plen) == 0,
			    "  payload '%s'", c[i].payload);
			is_int((int)used, (int)c[i].used, "  %zu bytes used", c[i].used);
		}
		if (c[i].rc == -1)
			ok(why != NULL && why[0] != '\0', "  says why: %s",
			    why ? why : "(nothing)");
	}
	{
		char out[64];

		is_int((int)ns_format(out, sizeof(out), "OK dane", 7), 10, "format length");
		is_str(out, "7:OK dane,", "format");
		is_int((int)ns_format(out, 8, "OK dane", 7), 0, "format: no room");
	}
}

static void
pats(struct sts_strlist *l, const char *a, const char *b, const char *c)
{
	memset(l, 0, sizeof(*l));
	if (a) sts_strlist_add(l, a);
	if (b) sts_strlist_add(l, b);
	if (c) sts_strlist_add(l, c);
}

static void
t_match(void)
{
	struct sts_strlist p, mx;
	char out[512];

	pats(&p, "*.example.test", NULL, NULL);
	pats(&mx, "a.b.example.test", "mx1.example.test", "example.test");
	is_int(match_list(&p, &mx, out, sizeof(out)), 0, "match list");
	is_str(out, "mx1.example.test", "*.example.test covers mx1, not a.b nor the domain");
	sts_strlist_free(&mx);
	pats(&mx, "a.b.example.test", NULL, NULL);
	match_list(&p, &mx, out, sizeof(out));
	is_str(out, "", "an MX two labels down: nothing Postfix may accept");
	sts_strlist_free(&mx);
	sts_strlist_free(&p);
	pats(&p, "mx1.example.test", "*.mx.example.net", "MX1.example.test");
	pats(&mx, "b.mx.example.net", "x.y.mx.example.net", "mx1.example.test");
	match_list(&p, &mx, out, sizeof(out));
	is_str(out, "mx1.example.test:b.mx.example.net",
	    "exact patterns as they are, once; wildcard-covered MX hosts by name");
	match_list(&p, NULL, out, sizeof(out));
	is_str(out, "mx1.example.test", "MX hosts unknown: the exact patterns only");
	is_int(match_list(&p, &mx, out, 10), -1, "no room: -1");
	sts_strlist_free(&mx);
	sts_strlist_free(&p);
}

static void
entry_init(struct entry *e, time_t now, int mode, const char *match)
{
	memset(e, 0, sizeof(*e));
	e->domain = (char *)"example.test";
	strcpy(e->id, "20261201");
	e->mode = (unsigned char)mode;
	e->max_age = 600;
	e->fetched = now - 10;
	e->expires = now + 590;
	e->patterns = (char *)"*.example.test";
	e->match = (char *)match;
	e->checked = now - 10;
	e->last = R_STS;
}

static void
t_answer(void)
{
	struct entry e;
	time_t now = time(NULL);
	char out[1024];

	entry_init(&e, now, STS_MODE_ENFORCE, "mx1.example.test");
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "OK secure match=mx1.example.test servername=hostname",
	    "optional, enforce: secure with the MX names");
	answer(STS_OUT_REQUIRE, 0, &e, now, out, sizeof(out));
	is_str(out, "OK secure match=mx1.example.test servername=hostname",
	    "require, enforce: secure");
	answer(STS_OUT_DISABLE, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "disable: NOTFOUND even for enforce");
	ok(answer_ready(&e, now), "a cached policy answers at once");
	ok(!answer_stale(&e, now), "  and is not looked up again yet");
	ok(answer_stale(&e, now + FRESH_SECS), "  but is after %d s", FRESH_SECS);

	e.match = (char *)"";
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "TEMP example.test: no MX host matches the MTA-STS policy "
	    "(mx *.example.test)", "enforce, no MX host matches: TEMP");

	entry_init(&e, now, STS_MODE_TESTING, "mx1.example.test");
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "testing never blocks (optional)");
	answer(STS_OUT_REQUIRE, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "testing never blocks (require)");

	/* expired: the policy is not used */
	entry_init(&e, now, STS_MODE_ENFORCE, "mx1.example.test");
	e.expires = now;
	e.last = R_FAIL;
	e.checked = now - 1;
	e.why = (char *)"https://mta-sts.example.test/.well-known/mta-sts.txt: refused";
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "an expired policy is not applied (optional)");
	answer(STS_OUT_REQUIRE, 0, &e, now, out, sizeof(out));
	is_str(out, "TEMP example.test: outbound = require and no valid MTA-STS "
	    "policy: https://mta-sts.example.test/.well-known/mta-sts.txt: refused",
	    "an expired policy, require: TEMP with why");
	/* the cached policy outlives a failed refresh until max_age ends */
	e.expires = now + 1;
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "OK secure match=mx1.example.test servername=hostname",
	    "a failed refresh keeps the cached policy until it expires");

	/* no policy */
	memset(&e, 0, sizeof(e));
	e.domain = (char *)"example.test";
	ok(!answer_ready(&e, now), "never looked up: the request waits");
	e.last = R_NONE;
	e.checked = now;
	e.why = (char *)"_mta-sts.example.test: no record";
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "optional, no policy: NOTFOUND");
	answer(STS_OUT_REQUIRE, 0, &e, now, out, sizeof(out));
	is_str(out, "TEMP example.test: outbound = require and no valid MTA-STS "
	    "policy: _mta-sts.example.test: no record", "require, no policy: TEMP");
	ok(answer_ready(&e, now + NEG_SECS - 1), "no policy is remembered");
	ok(!answer_ready(&e, now + NEG_SECS), "  for %d s", NEG_SECS);
	e.last = R_TEMP;
	ok(!answer_ready(&e, now + TEMP_SECS), "a failed lookup for %d s", TEMP_SECS);
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "optional, lookup failed: NOTFOUND");

	/* DANE first */
	entry_init(&e, now, STS_MODE_ENFORCE, "mx1.example.test");
	e.last = R_DANE;
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "OK dane", "TLSA vouched for: dane, over the MTA-STS policy");
	e.last = R_DANE_TEMP;
	e.why = (char *)"DANE: the TLSA lookup for _25._tcp.mx1.example.test failed";
	answer(STS_OUT_OPTIONAL, 0, &e, now, out, sizeof(out));
	is_str(out, "TEMP DANE: the TLSA lookup for _25._tcp.mx1.example.test failed",
	    "a failed TLSA lookup: TEMP, never a downgrade to MTA-STS");
}

/* resolve-policy-attributes = yes: Postfix 3.10's attributes, exactly */
static void
t_answer_attrs(void)
{
	struct entry e;
	time_t now = time(NULL);
	char out[1024], small[120];

	entry_init(&e, now, STS_MODE_ENFORCE, "mx1.example.test:a.example.test");
	e.patterns = (char *)"*.example.test:mx1.example.test";
	e.max_age = 604800;
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "OK secure match=mx1.example.test:a.example.test "
	    "servername=hostname policy_type=sts policy_domain=example.test "
	    "mx_host_pattern=*.example.test mx_host_pattern=mx1.example.test "
	    "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
	    "{ policy_string = mx: *.example.test } "
	    "{ policy_string = mx: mx1.example.test } "
	    "{ policy_string = max_age: 604800 }",
	    "attributes: enforce carries type, domain, patterns and the policy");
	answer(STS_OUT_REQUIRE, 1, &e, now, out, sizeof(out));
	ok(strncmp(out, "OK secure match=mx1.example.test:a.example.test "
	    "servername=hostname policy_type=sts ", 71) == 0,
	    "  the same under require");
	answer(STS_OUT_DISABLE, 1, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "  disable: NOTFOUND, no attributes");
	answer(STS_OUT_OPTIONAL, 1, &e, now, small, sizeof(small));
	is_str(small, "OK secure match=mx1.example.test:a.example.test "
	    "servername=hostname", "  no room for them: the answer without");

	e.match = (char *)"";
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "OK secure match=mta-sts-policy-failure.invalid "
	    "servername=hostname policy_type=sts policy_domain=example.test "
	    "mx_host_pattern=*.example.test mx_host_pattern=mx1.example.test "
	    "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
	    "{ policy_string = mx: *.example.test } "
	    "{ policy_string = mx: mx1.example.test } "
	    "{ policy_string = max_age: 604800 } policy_failure=validation-failure",
	    "enforce, no MX host matches: a failure Postfix reports, on a name "
	    "that never verifies");
	answer(STS_OUT_OPTIONAL, 1, &e, now, small, sizeof(small));
	is_str(small, "TEMP example.test: no MX host matches the MTA-STS policy "
	    "(mx *.example.test:mx1.example.test)", "  no room: TEMP as before");

	entry_init(&e, now, STS_MODE_TESTING, "mx1.example.test");
	e.max_age = 86400;
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "OK may policy_type=sts policy_domain=example.test "
	    "mx_host_pattern=*.example.test "
	    "{ policy_string = version: STSv1 } { policy_string = mode: testing } "
	    "{ policy_string = mx: *.example.test } "
	    "{ policy_string = max_age: 86400 }",
	    "testing: passed on as may (never blocks) with the attributes");
	answer(STS_OUT_REQUIRE, 1, &e, now, out, sizeof(out));
	ok(strncmp(out, "OK may policy_type=sts ", 23) == 0,
	    "  the same under require");
	answer(STS_OUT_OPTIONAL, 1, &e, now, small, sizeof(small));
	is_str(small, "NOTFOUND ", "  no room: NOTFOUND as without attributes");

	entry_init(&e, now, STS_MODE_NONE, "mx1.example.test");
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "none: NOTFOUND, no attributes");
	entry_init(&e, now, STS_MODE_ENFORCE, "mx1.example.test");
	e.last = R_DANE;
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "OK dane", "DANE: no MTA-STS attributes");
	memset(&e, 0, sizeof(e));
	e.domain = (char *)"example.test";
	e.last = R_NONE;
	e.checked = now;
	answer(STS_OUT_OPTIONAL, 1, &e, now, out, sizeof(out));
	is_str(out, "NOTFOUND ", "no policy: NOTFOUND");
}

static void
t_rules(void)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "example.com optional\nexample.net sometimes\n",
		    "%s:2: mode 'sometimes' is not valid (expected optional, require or disable)" },
		{ "example.com\n", "%s:1: expected 'domain mode' (mode: optional, require or disable)" },
		{ "# c\n\nexample.com require extra\n", "%s:3: expected 'domain mode' (mode: optional, require or disable)" },
		{ "exa mple.com require\n", "%s:1: expected 'domain mode' (mode: optional, require or disable)" },
		{ "-bad-.com require\n", NULL },
		{ "example.com require\nEXAMPLE.com disable\n", "%s:2: example.com is already given a mode above" },
	};
	char path[256], want[512], err[STS_ERR_MAX];
	struct rules *r;
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/rules", tmpdir);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fopen(path, "w");
		fputs(bad[i].text, f);
		fclose(f);
		err[0] = '\0';
		r = rules_load(path, err, sizeof(err));
		ok(r == NULL, "bad rules %zu refused", i);
		if (bad[i].err != NULL) {
			snprintf(want, sizeof(want), bad[i].err, path);
			is_str(err, want, "  message");
		} else
			ok(strncmp(err, path, strlen(path)) == 0 &&
			    strstr(err, ":1: ") != NULL, "  names file:line: %s", err);
		rules_free(r);
	}
	f = fopen(path, "w");
	fputs("# per destination\nstrict.test require  # always\n"
	    ".corp.test disable\nother.corp.test optional\nBücher.test require\n", f);
	fclose(f);
	r = rules_load(path, err, sizeof(err));
	ok(r != NULL, "good rules load%s%s", r ? "" : ": ", r ? "" : err);
	is_int(rules_mode(r, "strict.test", STS_OUT_OPTIONAL), STS_OUT_REQUIRE, "exact rule");
	is_int(rules_mode(r, "a.strict.test", STS_OUT_OPTIONAL), STS_OUT_OPTIONAL,
	    "a rule without a dot is for the domain only");
	is_int(rules_mode(r, "x.y.corp.test", STS_OUT_OPTIONAL), STS_OUT_DISABLE,
	    ".corp.test covers subdomains");
	is_int(rules_mode(r, "corp.test", STS_OUT_REQUIRE), STS_OUT_REQUIRE,
	    "  but not corp.test itself");
	is_int(rules_mode(r, "other.corp.test", STS_OUT_DISABLE), STS_OUT_OPTIONAL,
	    "the exact rule wins over the parent's");
	is_int(rules_mode(r, "xn--bcher-kva.test", STS_OUT_OPTIONAL), STS_OUT_REQUIRE,
	    "U-label rules as A-labels");
	rules_free(r);
}

static void
t_keys(void)
{
	static const struct {
		const char *in, *out;
	} c[] = {
		{ "Example.TEST", "example.test" },
		{ "example.test.", "example.test" },
		{ "bücher.test", "xn--bcher-kva.test" },
		{ "[192.0.2.1]", NULL },
		{ "[mx.example.test]:587", NULL },
		{ "localhost", NULL },
		{ "a..b", NULL },
		{ "", NULL },
	};
	char out[STS_HOST_MAX + 1];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rc = key_domain(c[i].in, strlen(c[i].in), out, sizeof(out));
		if (c[i].out == NULL)
			is_int(rc, -1, "key '%s' is no domain", c[i].in);
		else {
			is_int(rc, 0, "key '%s'", c[i].in);
			is_str(out, c[i].out, "  as %s", c[i].out);
		}
	}
}

static void
put(struct cache *c, const char *d, time_t fetched, unsigned long max_age,
    const char *match)
{
	struct entry *e = cache_add(c, d);

	free(e->patterns);
	free(e->match);
	strcpy(e->id, "id1");
	e->mode = STS_MODE_ENFORCE;
	e->max_age = max_age;
	e->fetched = fetched;
	e->expires = fetched + (time_t)max_age;
	e->patterns = strdup("*.example.test");
	e->match = strdup(match);
	e->last = R_STS;
	cache_save(c, e);
}

/*
 * The file is read a chunk (1 MiB) at a time: a torn tail and a corrupt
 * record far past the first chunk, read only (show without the daemon)
 * and by the daemon.
 */
static void
t_cache_chunks(const char *path, time_t now)
{
	struct cache *c;
	struct stat st;
	char err[STS_ERR_MAX], *buf, *p;
	off_t size0;
	int fd;
	ssize_t n;

	stat(path, &st);
	size0 = st.st_size;
	ok(size0 > 8 * 1024 * 1024, "a cache file of %lld bytes (many chunks)",
	    (long long)size0);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(write(fd, "P\ttorn.test\tid\t2\t60", 19) == 19, "a torn tail written");
	close(fd);
	c = cache_open_ro(path, now, err, sizeof(err));
	ok(c != NULL && cache_loaded(c) == 100011 && cache_get(c,
	    "domain99999.example") != NULL && cache_get(c, "torn.test") == NULL,
	    "read only: all 100011 policies, the torn tail ignored");
	cache_close(c);
	stat(path, &st);
	is_int((int)(st.st_size - size0), 19, "  and the file not written");
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL && cache_loaded(c) == 100011, "the daemon: all 100011");
	cache_close(c);
	stat(path, &st);
	is_int((int)(st.st_size - size0), 0, "  and the torn tail cut off");
	/* a flipped byte in domain90000's record, some 9 MiB in */
	buf = malloc((size_t)size0);
	fd = open(path, O_RDWR);
	n = read(fd, buf, (size_t)size0);
	p = n > 0 ? memmem(buf, (size_t)n, "\tdomain90000.example\t", 21) : NULL;
	ok(p != NULL && p - buf > 1024 * 1024, "a record past the first chunk "
	    "(at byte %lld)", p ? (long long)(p - buf) : -1LL);
	if (p != NULL)
		ok(pwrite(fd, "D", 1, (off_t)(p - buf + 1)) == 1, "  damaged");
	close(fd);
	free(buf);
	c = cache_open_ro(path, now, err, sizeof(err));
	ok(c != NULL && cache_loaded(c) == 90011 && cache_get(c,
	    "domain89999.example") != NULL && cache_get(c,
	    "domain90000.example") == NULL, "read only: the records before the "
	    "corrupt one (%zu)", c ? cache_loaded(c) : 0);
	cache_close(c);
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL && cache_loaded(c) == 90011, "the daemon: the same (%zu)",
	    c ? cache_loaded(c) : 0);
	cache_close(c);
	stat(path, &st);
	ok(st.st_size < size0, "  and the rest cut off (%lld of %lld bytes)",
	    (long long)st.st_size, (long long)size0);
}

static void
t_cache(void)
{
	char path[256], err[STS_ERR_MAX], name[64];
	struct cache *c;
	struct entry *e;
	time_t now = time(NULL);
	struct stat st;
	size_t i;
	int fd;
	double t0, t;
	clock_t cpu;
	int rc;

	snprintf(path, sizeof(path), "%s/cache", tmpdir);
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL, "a new cache file");
	put(c, "keep.test", now - 5, 3600, "mx1.keep.test");
	put(c, "old.test", now - 100, 50, "mx1.old.test");	/* expired */
	put(c, "gone.test", now, 3600, "mx1.gone.test");
	cache_drop(c, "gone.test");
	put(c, "keep2.test", now, 3600, "a");
	put(c, "keep2.test", now, 7200, "b");		/* a newer record wins */
	cache_close(c);
	/* a crash in mid-write: a torn record at the end */
	fd = open(path, O_WRONLY | O_APPEND);
	ok(write(fd, "P\ttorn.test\tid\t2\t60", 19) == 19, "a torn tail written");
	close(fd);
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL, "the cache file read again%s%s", c ? "" : ": ", c ? "" : err);
	e = cache_get(c, "keep.test");
	ok(e != NULL && strcmp(e->match, "mx1.keep.test") == 0 &&
	    e->expires == now - 5 + 3600 && e->last == R_STS &&
	    e->mode == STS_MODE_ENFORCE, "a policy survives a restart, expiry kept");
	ok(cache_get(c, "old.test") == NULL, "an expired policy is not loaded");
	ok(cache_get(c, "gone.test") == NULL, "a dropped policy stays dropped");
	e = cache_get(c, "keep2.test");
	ok(e != NULL && strcmp(e->match, "b") == 0 && e->max_age == 7200,
	    "the last record of a domain wins");
	ok(cache_get(c, "torn.test") == NULL, "the torn record is not used");
	is_int((int)cache_loaded(c), 2, "two policies loaded");
	put(c, "after.test", now, 3600, "mx");
	cache_close(c);
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL && cache_get(c, "after.test") != NULL && cache_loaded(c) == 3,
	    "the torn tail was cut off: records after it are read");
	/* a flipped byte in a record: it and what follows are dropped */
	cache_close(c);
	{
		FILE *f = fopen(path, "r+");
		char buf[4096];
		size_t n = fread(buf, 1, sizeof(buf), f);
		char *p = memmem(buf, n, "keep2.test", 10);

		ok(p != NULL, "a record to damage");
		if (p) {
			fseek(f, (long)(p - buf), SEEK_SET);
			fputc('K', f);
		}
		fclose(f);
	}
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL && cache_get(c, "keep.test") != NULL &&
	    cache_get(c, "keep2.test") == NULL && cache_get(c, "Keep2.test") == NULL,
	    "a corrupt record is refused by its checksum");
	/* compaction: only live policies, atomically */
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "d%zu.test", i % 10);
		put(c, name, now, 3600, "mx");
	}
	ok(cache_compact(c, 0, err, sizeof(err)) == 0, "compaction");
	memset(&st, 0, sizeof(st));
	rc = stat(path, &st);
	ok(rc == 0 && st.st_size < 2000, "  the file holds live policies only (%lld bytes)",
	    (long long)st.st_size);
	cache_close(c);
	c = cache_open(path, now, err, sizeof(err));
	ok(c != NULL && cache_loaded(c) == 11 && cache_get(c, "d9.test") != NULL,
	    "  and reads back (%zu)", c ? cache_loaded(c) : 0);
	/* 100,000 policies */
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "domain%zu.example", i);
		put(c, name, now, 86400, "mx1.example.net:mx2.example.net");
	}
	cache_close(c);
	/*
	 * The CPU time is what is asserted (this machine may be shared and
	 * busy: the wall time is shown, and measured by make bench).
	 */
	t0 = deadline_clock();
	cpu = clock();
	c = cache_open(path, now, err, sizeof(err));
	t = deadline_clock() - t0;
	cpu = clock() - cpu;
	ok(c != NULL && cache_loaded(c) == 100011, "100,000 policies loaded (%zu)",
	    c ? cache_loaded(c) : 0);
	if (slowed())
		ok(1, "# SKIP the load time: under valgrind or a sanitizer");
	else
		ok((double)cpu / CLOCKS_PER_SEC < 1.0, "  in under 1 s of CPU time (%.3f s)",
		    (double)cpu / CLOCKS_PER_SEC);
	diag("100011 cached policies loaded in %.3f s (%.3f s of CPU time)", t,
	    (double)cpu / CLOCKS_PER_SEC);
	e = c ? cache_get(c, "domain99999.example") : NULL;
	ok(e != NULL && strcmp(e->match, "mx1.example.net:mx2.example.net") == 0,
	    "  the last one is there");
	cache_close(c);
	t_cache_chunks(path, now);
}

/* the outbound keys of mta-sts.conf: values and messages */
static void
t_conf(void)
{
	static const struct {
		const char *line, *err;	/* err NULL: accepted */
	} c[] = {
		{ "outbound = require", NULL },
		{ "outbound = disable", NULL },
		{ "outbound = strict", "%s:1: outbound 'strict' is not valid (expected optional, require or disable)" },
		{ "resolve-socket = unix:/run/mta-sts-resolve/socket", NULL },
		{ "resolve-socket = tcp:127.0.0.1:8462", NULL },
		{ "resolve-socket = tcp:[::1]:8462", NULL },
		{ "resolve-socket = unix:relative/socket", "%s:1: resolve-socket 'unix:relative/socket' is not valid (expected unix:/path or tcp:address:port)" },
		{ "resolve-socket = tcp:127.0.0.1", "%s:1: resolve-socket 'tcp:127.0.0.1' is not valid (expected unix:/path or tcp:address:port)" },
		{ "resolve-socket = 127.0.0.1:8462", "%s:1: resolve-socket '127.0.0.1:8462' is not valid (expected unix:/path or tcp:address:port)" },
		{ "resolve-cache = cache", NULL },
		{ "outbound-rules = /etc/mta-sts/outbound", NULL },
		{ "resolve-policy-attributes = yes", NULL },
		{ "resolve-policy-attributes = no", NULL },
		{ "resolve-policy-attributes = 1", "%s:1: resolve-policy-attributes '1' is not valid (expected yes or no)" },
		{ "resolve-policy-attributes = Yes", "%s:1: resolve-policy-attributes 'Yes' is not valid (expected yes or no)" },
	};
	char path[256], err[STS_ERR_MAX], want[512];
	struct sts_conf conf;
	FILE *f;
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%s/mta-sts.conf", tmpdir);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		f = fopen(path, "w");
		fprintf(f, "%s\n", c[i].line);
		fclose(f);
		memset(&conf, 0, sizeof(conf));
		err[0] = '\0';
		rc = sts_conf_load(path, &conf, err, sizeof(err));
		if (c[i].err == NULL)
			is_int(rc, 0, "'%s' accepted%s%s", c[i].line, rc ? ": " : "", err);
		else {
			snprintf(want, sizeof(want), c[i].err, path);
			is_str(err, want, "'%s' refused", c[i].line);
		}
		if (rc == 0 && i == 0)
			is_int(conf.outbound, STS_OUT_REQUIRE, "  outbound is require");
		if (rc == 0 && i == 11)
			is_int(conf.resolve_policy_attributes, 1,
			    "  resolve-policy-attributes is on");
		if (rc == 0 && i == 12)
			is_int(conf.resolve_policy_attributes, 0,
			    "  resolve-policy-attributes is off");
		if (rc == 0 && i == 9) {
			snprintf(want, sizeof(want), "%s/cache", tmpdir);
			is_str(conf.resolve_cache ? conf.resolve_cache : "", want,
			    "  a relative cache path is relative to the file");
		}
		sts_conf_free(&conf);
	}
	memset(&conf, 0, sizeof(conf));
	f = fopen(path, "w");
	fclose(f);
	sts_conf_load(path, &conf, err, sizeof(err));
	is_int(conf.outbound, STS_OUT_OPTIONAL, "outbound is optional by default");
	is_int(conf.resolve_policy_attributes, 0,
	    "resolve-policy-attributes is off by default (Postfix 3.7)");
	sts_conf_free(&conf);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	t_netstring();
	t_match();
	t_answer();
	t_answer_attrs();
	t_rules();
	t_keys();
	t_conf();
	t_cache();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
	}
	return done_testing();
}
