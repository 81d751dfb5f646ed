/* SPDX-License-Identifier: ISC */
/*
 * shared/policy.c: the strict RFC 8461 §3.2 parser (table of valid,
 * invalid and borderline policies, each with its verdict and message),
 * rendering, round trips and equality.
 */
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "tap.h"

/* a string literal and its length, NUL bytes included */
#define S(x)	x, sizeof(x) - 1

#define V	"version: STSv1\r\n"
#define M	"mode: enforce\r\n"
#define X	"mx: mail.example.com\r\n"
#define A	"max_age: 604800\r\n"

#define OK(mode, age, nmx)	1, NULL, STS_MODE_##mode, age, nmx
#define BAD(msg)		0, msg, STS_MODE_NONE, 0, 0

static const struct pcase {
	const char	*in;
	size_t		 len;
	int		 ok;
	const char	*msg;		/* substring of the error */
	enum sts_mode	 mode;
	unsigned long	 max_age;
	size_t		 nmx;
	const char	*what;
} cases[] = {
	/* line ends (RFC 8461 §3.2, erratum 6253) */
	{ S(V M X A), OK(ENFORCE, 604800, 1), "the RFC's example, CRLF" },
	{ S("version: STSv1\nmode: enforce\nmx: mail.example.com\n"
	    "max_age: 604800\n"), OK(ENFORCE, 604800, 1), "LF line ends" },
	{ S("version: STSv1\nmode: enforce\r\nmx: mail.example.com\n"
	    "max_age: 604800\r\n"), OK(ENFORCE, 604800, 1), "CRLF and LF mixed" },
	{ S(V M X "max_age: 604800"), OK(ENFORCE, 604800, 1),
	    "no terminator after the last line" },
	{ S("version: STSv1\rmode: enforce\r\n" X A), BAD("line 1: bare CR"),
	    "bare CR as a line end" },
	{ S(V M X "max_age: 604800\r"), BAD("line 4: bare CR"),
	    "bare CR at the very end" },
	{ S(V "mode: enforce\r\r\n" X A), BAD("line 2: bare CR"), "CR CR LF" },
	{ S(V "\r\n" M X A), BAD("line 2: blank line"), "blank line" },
	{ S(V M X A "\r\n"), BAD("line 5: blank line"), "blank line at the end" },
	{ S(V M X A "\n"), BAD("line 5: blank line"), "LF LF at the end" },
	{ S(""), BAD("empty policy"), "empty body" },
	{ S("\n"), BAD("line 1: blank line"), "just a line end" },

	/* whitespace */
	{ S(V " mode: enforce\r\n" X A), BAD("line 2: begins with whitespace"),
	    "leading space" },
	{ S("\tversion: STSv1\r\n" M X A),
	    BAD("line 1: begins with whitespace"), "leading tab" },
	{ S(V "mode : enforce\r\n" X A),
	    BAD("line 2: whitespace between 'mode' and ':'"), "space before ':'" },
	{ S(V "mode:enforce\r\n" X A), OK(ENFORCE, 604800, 1),
	    "no space after ':'" },
	{ S(V "mode:\t \tenforce\r\n" X "mx:mail2.example.com\r\n" A),
	    OK(ENFORCE, 604800, 2), "tabs and spaces after ':'" },
	{ S(V "mode: enforce  \t\r\n" X A), OK(ENFORCE, 604800, 1),
	    "trailing whitespace after a value" },
	{ S(V M "mx: mail.example.com \r\n" A), OK(ENFORCE, 604800, 1),
	    "trailing space after an mx" },
	{ S(V M X "max_age: 604800 "), OK(ENFORCE, 604800, 1),
	    "trailing space after the last value, no terminator" },
	{ S(V M X A "  "), BAD("line 5: begins with whitespace"),
	    "whitespace after the last terminator" },
	{ S(V M "mx: mail .example.com\r\n" A), BAD("line 3: mx 'mail .example.com'"),
	    "space inside an mx" },

	/* bytes that never belong */
	{ S("\xef\xbb\xbf" V M X A), BAD("line 1: begins with a byte order mark"),
	    "UTF-8 BOM" },
	{ S(V "mode: enf\0orce\r\n" X A), BAD("line 2: NUL byte"), "NUL byte" },
	{ S(V M X A "\0"), BAD("line 5: NUL byte"), "NUL after the last line" },
	{ S(V M X "note: a\x01z\r\n" A), BAD("line 4: invalid byte \\x01"),
	    "control character in a value" },
	{ S(V M X "note: a\x7fz\r\n" A), BAD("line 4: invalid byte \\x7f"),
	    "DEL in a value" },

	/* field names */
	{ S(V "Mode: enforce\r\n" X A),
	    BAD("no mode field (line 2 has 'Mode'"),
	    "'Mode' is an unknown extension, so mode is missing" },
	{ S("Version: STSv1\r\n" M X A), BAD("no version field (line 1 has"),
	    "'Version' is not 'version'" },
	{ S(V M X "max-age: 604800\r\n"), BAD("no max_age field (line 4 has 'max-age'"),
	    "max-age for max_age" },
	{ S(V M X "MX: mail2.example.com\r\n" A), OK(ENFORCE, 604800, 1),
	    "'MX' is an unknown extension, ignored" },
	{ S(V M "MX: mail.example.com\r\n" A),
	    BAD("mode enforce needs at least one mx field (line 3 has 'MX'"),
	    "'MX' is not 'mx', so there is no mx" },
	{ S(V M X "version STSv1\r\n" A), BAD("line 4: no ':' after field name 'version'"),
	    "no ':'" },
	{ S(V "mode=enforce\r\n" X A), BAD("line 2: invalid byte \\x3d in field name"),
	    "'=' for ':'" },
	{ S("# MTA-STS policy\r\n" V M X A),
	    BAD("line 1: a field name must begin with a letter or digit: '# MTA-STS policy'"),
	    "comment lines are not part of the format" },
	{ S(V M X ": x\r\n" A), BAD("line 4: a field name must begin with a letter or digit"),
	    "empty field name" },
	{ S(V M X "_ext: x\r\n" A), BAD("line 4: a field name must begin with a letter or digit"),
	    "field name beginning with '_'" },
	{ S(V M X "1ext.v2_a-b: x\r\n" A), OK(ENFORCE, 604800, 1),
	    "field name with digit, '.', '_', '-'" },
	{ S(V M X "a1234567890123456789012345678901: x\r\n" A),
	    OK(ENFORCE, 604800, 1), "32-character extension name" },
	{ S(V M X "a12345678901234567890123456789012: x\r\n" A),
	    BAD("line 4: field name longer than 32 characters"),
	    "33-character extension name" },

	/* version */
	{ S(M X A), BAD("no version field"), "no version" },
	{ S("version: STSv2\r\n" M X A),
	    BAD("line 1: version must be STSv1, not 'STSv2'"), "STSv2" },
	{ S("version: stsv1\r\n" M X A), BAD("line 1: version must be STSv1"),
	    "version is case-sensitive" },
	{ S("version: STSv1x\r\n" M X A), BAD("line 1: version must be STSv1"),
	    "STSv1x" },
	{ S("version:\r\n" M X A), BAD("line 1: version must be STSv1, not ''"),
	    "empty version" },
	{ S(A X M V), OK(ENFORCE, 604800, 1), "fields in any order" },

	/* mode */
	{ S(V X A), BAD("no mode field"), "no mode" },
	{ S(V "mode: Enforce\r\n" X A),
	    BAD("line 2: mode must be testing, enforce or none, not 'Enforce'"),
	    "mode is case-sensitive" },
	{ S(V "mode: enforced\r\n" X A), BAD("line 2: mode must be"), "enforced" },
	{ S(V "mode: report\r\n" X A), BAD("not 'report'"), "mode report" },
	{ S(V "mode: testing\r\n" X A), OK(TESTING, 604800, 1), "testing" },
	{ S(V "mode: none\r\n" A), OK(NONE, 604800, 0), "none needs no mx" },
	{ S(V "mode: none\r\n" X A), OK(NONE, 604800, 1), "none may have mx" },
	{ S(V "mode: testing\r\n" A),
	    BAD("mode testing needs at least one mx field"), "testing without mx" },
	{ S(V M A), BAD("mode enforce needs at least one mx field"),
	    "enforce without mx" },

	/* first wins (§3.2: all entries except the first are ignored) */
	{ S(V M "mode: testing\r\n" X A), OK(ENFORCE, 604800, 1),
	    "repeated mode: the first wins" },
	{ S(V "mode: testing\r\n" M X A), OK(TESTING, 604800, 1),
	    "repeated mode, other order: the first wins" },
	{ S(V M "mode: Enforce\r\n" X A), OK(ENFORCE, 604800, 1),
	    "a later mode is ignored even with an invalid value" },
	{ S(V M X A "max_age: 99999999999\r\n"), OK(ENFORCE, 604800, 1),
	    "a later max_age is ignored even when out of range" },
	{ S(V M X A "version: STSv2\r\n"), OK(ENFORCE, 604800, 1),
	    "a later version is ignored" },
	{ S(V M "mode:\r\n" X A), BAD("line 3: empty value for 'mode'"),
	    "a later mode must still be a syntactically valid field" },
	{ S(V "mode: Enforce\r\n" M X A), BAD("line 2: mode must be"),
	    "the first mode is the mode, even when a valid one follows" },

	/* max_age */
	{ S(V M X), BAD("no max_age field"), "no max_age" },
	{ S(V M X "max_age: 0\r\n"), OK(ENFORCE, 0, 1), "max_age 0" },
	{ S(V M X "max_age: 31557600\r\n"), OK(ENFORCE, 31557600, 1),
	    "max_age at the limit" },
	{ S(V M X "max_age: 31557601\r\n"),
	    BAD("line 4: max_age 31557601 is above 31557600"), "one above the limit" },
	{ S(V M X "max_age: 9999999999\r\n"), BAD("is above 31557600"),
	    "ten nines" },
	{ S(V M X "max_age: 0000604800\r\n"), OK(ENFORCE, 604800, 1),
	    "leading zeros, 10 digits" },
	{ S(V M X "max_age: 00000604800\r\n"),
	    BAD("line 4: max_age must be 1 to 10 digits, not '00000604800'"),
	    "11 digits" },
	{ S(V M X "max_age: -1\r\n"), BAD("max_age must be 1 to 10 digits"), "negative" },
	{ S(V M X "max_age: +1\r\n"), BAD("max_age must be 1 to 10 digits"), "plus sign" },
	{ S(V M X "max_age: 7d\r\n"), BAD("not '7d'"), "unit suffix" },
	{ S(V M X "max_age: 1e6\r\n"), BAD("not '1e6'"), "exponent" },
	{ S(V M X "max_age: 60 4800\r\n"), BAD("not '60 4800'"), "space inside" },
	{ S(V M X "max_age:\r\n"), BAD("not ''"), "empty max_age" },

	/* mx */
	{ S(V M X "mx: mail.example.com\r\nmx: MAIL.example.com\r\n" A),
	    OK(ENFORCE, 604800, 3), "every mx counts, duplicates kept as written" },
	{ S(V M "mx: *.example.com\r\n" A), OK(ENFORCE, 604800, 1), "wildcard" },
	{ S(V M "mx: *example.com\r\n" A),
	    BAD("line 3: mx '*example.com' has a '*' that is not the whole"),
	    "'*' glued to a label" },
	{ S(V M "mx: a.*.example.com\r\n" A), BAD("has a '*'"), "'*' inside" },
	{ S(V M "mx: *.*.example.com\r\n" A), BAD("has a '*'"), "two wildcards" },
	{ S(V M "mx: *\r\n" A), BAD("line 3: mx '*' has a '*'"), "'*' alone" },
	{ S(V M "mx: *.\r\n" A), BAD("line 3: mx '*.'"), "'*.' alone" },
	{ S(V M "mx: mail.example.com.\r\n" A),
	    BAD("line 3: mx 'mail.example.com.' ends in a dot"), "trailing dot" },
	{ S(V M "mx: b\xc3\xbc" "cher.example\r\n" A),
	    BAD("line 3: mx 'b\\xc3\\xbccher.example' is not ASCII"),
	    "U-label (must be an A-label)" },
	{ S(V M "mx: xn--bcher-kva.example\r\n" A), OK(ENFORCE, 604800, 1),
	    "A-label" },
	{ S(V M "mx: MAIL.Example.COM\r\n" A), OK(ENFORCE, 604800, 1),
	    "upper case is allowed" },
	{ S(V M "mx:\r\n" A), BAD("line 3: mx ''"), "empty mx" },
	{ S(V M "mx: mail_1.example.com\r\n" A), BAD("is not a host name"),
	    "underscore" },
	{ S(V M "mx: mail.example.com:25\r\n" A), BAD("is not a host name"),
	    "port" },
	{ S(V M "mx: -mail.example.com\r\n" A), BAD("is not a host name"),
	    "label beginning with '-'" },
	{ S(V M "mx: mail..example.com\r\n" A), BAD("is not a host name"),
	    "empty label" },
	{ S(V M "mx: 192.0.2.25\r\n" A), BAD("is not a host name"),
	    "IPv4 address (host.c: last label not all digits)" },
	{ S(V M X "mx: mail.example.com, mx2.example.com\r\n" A),
	    BAD("line 4: mx"), "two names on one mx line" },
	{ S(V "mode: none\r\nmx: *example.com\r\n" A), BAD("line 3: mx"),
	    "mx is checked in mode none too" },

	/* extensions */
	{ S(V M X "comment: anything: goes here, even ; and =\r\n" A),
	    OK(ENFORCE, 604800, 1), "unknown extension ignored" },
	{ S(V M X "comment: gr\xc3\xbc\xc3\x9f" "e \xe2\x9c\x93 \xf0\x9f\x93\xa7\r\n" A),
	    OK(ENFORCE, 604800, 1), "UTF-8 in an extension value" },
	{ S(V M X "comment: \xc3\x28\r\n" A), BAD("line 4: invalid byte \\xc3 in the value of 'comment'"),
	    "invalid UTF-8" },
	{ S(V M X "comment: \xc0\xaf\r\n" A), BAD("invalid byte \\xc0"),
	    "overlong UTF-8" },
	{ S(V M X "comment: \xed\xa0\x80\r\n" A), BAD("invalid byte \\xed"),
	    "UTF-8 surrogate" },
	{ S(V M X "comment: \xf4\x90\x80\x80\r\n" A), BAD("invalid byte \\xf4"),
	    "UTF-8 above U+10FFFF" },
	{ S(V M X "comment: \xe2\x9c\r\n" A), BAD("invalid byte \\xe2"),
	    "truncated UTF-8" },
	{ S(V M X "comment: a b  c\r\n" A), OK(ENFORCE, 604800, 1),
	    "spaces inside an extension value" },
	{ S(V M X "comment: a b \t \r\n" A), OK(ENFORCE, 604800, 1),
	    "trailing whitespace after an extension value" },
	{ S(V M X "comment: a\tb\r\n" A), BAD("invalid byte \\x09"),
	    "tab inside an extension value" },
	{ S(V M X "comment:\r\n" A), BAD("line 4: empty value for 'comment'"),
	    "empty extension value" },
	{ S(V M X "comment:   \r\n" A), BAD("line 4: empty value for 'comment'"),
	    "extension value of only spaces" },
};

static void
test_table(void)
{
	const struct pcase	*c;
	struct sts_policy	 p;
	char			 err[STS_ERR_MAX];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		strcpy(err, "(none)");
		r = sts_policy_parse(c->in, c->len, &p, err, sizeof(err));
		if (c->ok) {
			if (!ok(r == 0, "valid: %s", c->what)) {
				diag("  error: %s", err);
				continue;
			}
			if (!ok(p.mode == c->mode && p.max_age == c->max_age &&
			    p.mx.n == c->nmx, "  %s: mode %s, max_age %lu, "
			    "%zu mx", c->what, sts_mode_name(c->mode),
			    c->max_age, c->nmx))
				diag("  got mode %s, max_age %lu, %zu mx",
				    sts_mode_name(p.mode), p.max_age, p.mx.n);
		} else {
			ok(r == -1, "invalid: %s", c->what);
			if (!ok(strstr(err, c->msg) != NULL, "  %s: message",
			    c->what))
				diag("  got '%s', want '%s'", err, c->msg);
			ok(p.mx.n == 0 && p.mx.v == NULL,
			    "  %s: nothing left in the result", c->what);
		}
		sts_policy_free(&p);
	}
}

/* A policy of exactly `size` bytes: padded with an extension line. */
static char *
padded(size_t size)
{
	static const char head[] = V M X A "pad: ";
	char	*b;

	if ((b = malloc(size)) == NULL)
		abort();
	memcpy(b, head, sizeof(head) - 1);
	memset(b + sizeof(head) - 1, 'x', size - (sizeof(head) - 1) - 2);
	memcpy(b + size - 2, "\r\n", 2);
	return b;
}

static void
test_size(void)
{
	struct sts_policy	 p;
	char			 err[STS_ERR_MAX];
	char			*b;

	b = padded(STS_POLICY_MAX);
	if (!ok(sts_policy_parse(b, STS_POLICY_MAX, &p, err, sizeof(err)) == 0,
	    "valid: a policy of exactly 64 KiB"))
		diag("  error: %s", err);
	sts_policy_free(&p);
	free(b);

	b = padded(STS_POLICY_MAX + 1);
	ok(sts_policy_parse(b, STS_POLICY_MAX + 1, &p, err, sizeof(err)) == -1,
	    "invalid: 64 KiB + 1");
	ok(strstr(err, "65537 bytes, more than the 65536") != NULL,
	    "  64 KiB + 1: message (%s)", err);
	free(b);
}

static void
test_modes(void)
{
	enum sts_mode	m = STS_MODE_NONE;

	is_str(sts_mode_name(STS_MODE_NONE), "none", "mode name none");
	is_str(sts_mode_name(STS_MODE_TESTING), "testing", "mode name testing");
	is_str(sts_mode_name(STS_MODE_ENFORCE), "enforce", "mode name enforce");
	is_str(sts_mode_name((enum sts_mode)42), "invalid", "mode name out of range");
	ok(sts_mode_parse("enforce", &m) == 0 && m == STS_MODE_ENFORCE,
	    "mode parse enforce");
	ok(sts_mode_parse("testing", &m) == 0 && m == STS_MODE_TESTING,
	    "mode parse testing");
	ok(sts_mode_parse("none", &m) == 0 && m == STS_MODE_NONE,
	    "mode parse none");
	ok(sts_mode_parse("Enforce", &m) == -1, "mode parse is case-sensitive");
	ok(sts_mode_parse("enforce ", &m) == -1, "mode parse is exact");
	ok(sts_mode_parse("", &m) == -1, "mode parse empty");
	ok(sts_mode_parse(NULL, &m) == -1, "mode parse NULL");
}

static void
mklist(struct sts_strlist *l, const char *const *v)
{
	for (; *v != NULL; v++)
		if (sts_strlist_add(l, *v) == -1)
			abort();
}

static void
test_render(void)
{
	static const char *const mx[] = { "B.example.com", "a.example.com",
	    "b.example.com", "*.MX.example.net", "a.example.com", NULL };
	static const char want[] = "version: STSv1\r\nmode: testing\r\n"
	    "mx: *.mx.example.net\r\nmx: a.example.com\r\nmx: b.example.com\r\n"
	    "max_age: 604800\r\n";
	struct sts_policy	 p = { STS_MODE_TESTING, 604800, { NULL, 0, 0 } };
	struct sts_policy	 q;
	char			 err[STS_ERR_MAX];
	char			*text = NULL;
	size_t			 len = 0;

	mklist(&p.mx, mx);
	if (!ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == 0,
	    "render: testing, 5 mx"))
		diag("  error: %s", err);
	is_str(text, want, "render: CRLF, order, lower case, sorted, de-duplicated");
	is_int(len, strlen(want), "render: length");
	ok(p.mx.n == 5 && strcmp(p.mx.v[0], "B.example.com") == 0 &&
	    strcmp(p.mx.v[3], "*.MX.example.net") == 0,
	    "render: the input is not changed");
	ok(text != NULL && sts_policy_parse(text, len, &q, err, sizeof(err)) == 0,
	    "render: the result parses");
	ok(sts_policy_equal(&p, &q), "render: and equals the input");
	is_int(q.mx.n, 3, "render: 3 distinct mx parsed back");
	sts_policy_free(&q);
	free(text);
	text = NULL;

	sts_policy_free(&p);
	p.mode = STS_MODE_NONE;
	p.max_age = 86400;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == 0,
	    "render: none without mx");
	is_str(text, "version: STSv1\r\nmode: none\r\nmax_age: 86400\r\n",
	    "render: none without mx, text");
	free(text);
	text = NULL;

	p.mode = STS_MODE_ENFORCE;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    text == NULL && strstr(err, "mode enforce needs at least one mx") != NULL,
	    "render refuses enforce without mx (%s)", err);
	p.mode = STS_MODE_TESTING;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "mode testing needs at least one mx") != NULL,
	    "render refuses testing without mx (%s)", err);

	mklist(&p.mx, (const char *const[]){ "mail.example.com", NULL });
	p.max_age = STS_MAX_AGE_MAX + 1;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "max_age 31557601 is above 31557600") != NULL,
	    "render refuses max_age above the limit (%s)", err);
	p.max_age = STS_MAX_AGE_MAX;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == 0 &&
	    strstr(text, "\r\nmax_age: 31557600\r\n") != NULL,
	    "render: max_age at the limit");
	free(text);
	text = NULL;

	p.mode = (enum sts_mode)7;
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "invalid mode") != NULL, "render refuses a bad mode (%s)",
	    err);
	p.mode = STS_MODE_ENFORCE;

	mklist(&p.mx, (const char *const[]){ "*.*.example.com", NULL });
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "mx '*.*.example.com' has a '*'") != NULL,
	    "render refuses an invalid pattern (%s)", err);
	sts_policy_free(&p);
	mklist(&p.mx, (const char *const[]){ "mail.example.com.", NULL });
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "ends in a dot") != NULL,
	    "render refuses a trailing dot (%s)", err);
	sts_policy_free(&p);
	mklist(&p.mx, (const char *const[]){ "b\xc3\xbc" "cher.example", NULL });
	ok(sts_policy_render(&p, &text, &len, err, sizeof(err)) == -1 &&
	    strstr(err, "A-label") != NULL,
	    "render refuses a U-label (%s)", err);
	sts_policy_free(&p);
}

/* Every valid table case: parse(render(parse(x))) equals parse(x). */
static void
test_roundtrip(void)
{
	struct sts_policy	 p, q;
	char			 err[STS_ERR_MAX];
	char			*text;
	size_t			 i, len, n = 0, good = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].ok)
			continue;
		n++;
		text = NULL;
		if (sts_policy_parse(cases[i].in, cases[i].len, &p, err,
		    sizeof(err)) == 0 &&
		    sts_policy_render(&p, &text, &len, err, sizeof(err)) == 0 &&
		    sts_policy_parse(text, len, &q, err, sizeof(err)) == 0) {
			if (sts_policy_equal(&p, &q))
				good++;
			else
				diag("round trip differs: %s", cases[i].what);
			sts_policy_free(&q);
		} else
			diag("round trip failed: %s: %s", cases[i].what, err);
		free(text);
		sts_policy_free(&p);
	}
	is_int(good, n, "round trip of all %zu valid cases", n);
}

static void
test_equal(void)
{
	struct sts_policy	a = { STS_MODE_ENFORCE, 604800, { NULL, 0, 0 } };
	struct sts_policy	b = { STS_MODE_ENFORCE, 604800, { NULL, 0, 0 } };

	mklist(&a.mx, (const char *const[]){ "mx1.example.com",
	    "*.example.net", NULL });
	mklist(&b.mx, (const char *const[]){ "*.EXAMPLE.net",
	    "MX1.example.com", "mx1.example.com", NULL });
	ok(sts_policy_equal(&a, &b), "equal: order, case and duplicates do not matter");
	ok(sts_policy_equal(&b, &a), "equal: symmetric");
	b.mode = STS_MODE_TESTING;
	ok(!sts_policy_equal(&a, &b), "equal: mode differs");
	b.mode = STS_MODE_ENFORCE;
	b.max_age = 604801;
	ok(!sts_policy_equal(&a, &b), "equal: max_age differs");
	b.max_age = 604800;
	mklist(&b.mx, (const char *const[]){ "mx2.example.com", NULL });
	ok(!sts_policy_equal(&a, &b), "equal: one more mx");
	ok(!sts_policy_equal(&b, &a), "equal: one fewer mx");
	sts_policy_free(&b);
	b.mode = STS_MODE_ENFORCE;
	b.max_age = 604800;
	mklist(&b.mx, (const char *const[]){ "mx1.example.com",
	    "example.net", NULL });
	ok(!sts_policy_equal(&a, &b), "equal: *.example.net is not example.net");
	sts_policy_free(&a);
	sts_policy_free(&b);
	ok(sts_policy_equal(&a, &b), "equal: two empty none policies");
}

int
main(void)
{
	test_table();
	test_size();
	test_modes();
	test_render();
	test_roundtrip();
	test_equal();
	return done_testing();
}
