/* SPDX-License-Identifier: ISC */
/*
 * shared/txt.c: _mta-sts records (RFC 8461 §3.1) and _smtp._tls records
 * (RFC 8460 §3): tables of valid, invalid and borderline records with
 * verdict and message, the senders' selection rule, and the records we
 * publish.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "tap.h"

#define S(x)	x, sizeof(x) - 1

#define ID32	"abcdefghijklmnopqrstuvwxyz012345"
#define NAME32	"e1234567890123456789012345678901"

static const struct tcase {
	const char	*in;
	size_t		 len;
	int		 ok;
	const char	*want;		/* the id, or a substring of the error */
	const char	*what;
	const char	*warn;		/* the warnings, '|'-separated, or none */
} sts[] = {
	{ S("v=STSv1; id=20160831085700Z;"), 1, "20160831085700Z",
	    "the RFC's example, trailing ';'", NULL },
	{ S("v=STSv1; id=20190429T010101"), 1, "20190429T010101",
	    "letters in the id", NULL },
	{ S("v=STSv1;id=abc"), 1, "abc", "no space after ';'", NULL },
	{ S("v=STSv1 ; id=abc"), 1, "abc",
	    "space before ';' fits the ABNF (selection discards it)", NULL },
	{ S("v=STSv1;\tid=abc\t;\t"), 1, "abc", "tabs around ';'", NULL },
	{ S("v=STSv1; id=abc;  "), 1, "abc", "trailing ';' and spaces", NULL },
	{ S("v=STSv1; id=abc ;"), 1, "abc", "space then trailing ';'", NULL },
	{ S("v=STSv1; id=" ID32), 1, ID32, "32-character id", NULL },
	{ S("v=STSv1; id=7"), 1, "7", "1-character id", NULL },
	{ S("v=STSv1; id=abc; ext=val"), 1, "abc", "extension after id", NULL },
	{ S("v=STSv1; ext-1.x_Y=v!a:l/ue; id=abc"), 1, "abc",
	    "extension before id, odd but valid characters", NULL },
	{ S("v=STSv1; " NAME32 "=1; id=a"), 1, "a", "32-character extension name", NULL },
	{ S("v=STSv1; v=STSv1; id=a"), 1, "a", "a second v= is an extension", NULL },
	{ S("v=STSv1; ID=x; id=a"), 1, "a", "'ID' is an extension", NULL },
	/* RFC 8461 §3.2, last paragraph: a repeated field counts by its first */
	{ S("v=STSv1; id=a; id=b"), 1, "a", "two ids: the first counts",
	    "more than one id field: the first, id=a, counts; 'id=b' is ignored "
	    "(RFC 8461 §3.2)" },
	{ S("v=STSv1; id=abc; id=abc"), 1, "abc", "the same id twice",
	    "more than one id field: the first, id=abc, counts; 'id=abc' is "
	    "ignored (RFC 8461 §3.2)" },
	{ S("v=STSv1; id=a; x=1; id=b; id=c;"), 1, "a", "three ids",
	    "more than one id field: the first, id=a, counts; 'id=b' is ignored "
	    "(RFC 8461 §3.2)|more than one id field: the first, id=a, counts; "
	    "'id=c' is ignored (RFC 8461 §3.2)" },
	{ S("v=STSv1; id=a; id=b-c"), 1, "a",
	    "a second id that is no valid id is ignored like an extension",
	    "more than one id field: the first, id=a, counts; 'id=b-c' is "
	    "ignored (RFC 8461 §3.2)" },

	{ S(""), 0, "empty record", "empty", NULL },
	{ S("v=STSv1"), 0, "no fields after 'v=STSv1'", "version only", NULL },
	{ S("v=STSv1;"), 0, "no fields after 'v=STSv1'", "version and ';'", NULL },
	{ S("v=STSv1; "), 0, "no fields after 'v=STSv1'", "version, ';', space", NULL },
	{ S("v=STSv1; foo=bar"), 0, "no id field", "no id", NULL },
	{ S("v=STSv1; ID=abc"), 0, "no id field", "'ID' is not 'id'", NULL },
	{ S("v=STSv1; id=" ID32 "6"), 0, "id is 33 characters long", "33-character id", NULL },
	{ S(" v=STSv1; id=abc"), 0, "must begin with 'v=STSv1'", "leading space", NULL },
	{ S("V=STSv1; id=abc"), 0, "must begin with 'v=STSv1'", "'V=' (case)", NULL },
	{ S("v=stsv1; id=abc"), 0, "must begin with 'v=STSv1'", "'stsv1' (case)", NULL },
	{ S("v=STSv10; id=1"), 0, "must begin with 'v=STSv1'", "v=STSv10", NULL },
	{ S("v=STSv2; id=1"), 0, "must begin with 'v=STSv1'", "v=STSv2", NULL },
	{ S("id=abc; v=STSv1"), 0, "must begin with 'v=STSv1'", "version not first", NULL },
	{ S("v=STSv1; id=abc "), 0, "whitespace at the end",
	    "trailing space without ';'", NULL },
	{ S("v=STSv1 "), 0, "whitespace at the end", "version and a space", NULL },
	{ S("v=STSv1; id=ab c"), 0, "id must be 1 to 32 letters or digits, not 'ab c'",
	    "space inside the id", NULL },
	{ S("v=STSv1; id=2019-04-29"), 0, "not '2019-04-29'", "'-' in the id", NULL },
	{ S("v=STSv1; id=abc_1"), 0, "not 'abc_1'", "'_' in the id", NULL },
	{ S("v=STSv1; id=ab\xc3\xa9"), 0, "non-ASCII byte \\xc3 at offset 14",
	    "non-ASCII in the id", NULL },
	{ S("v=STSv1; id=a; note=caf\xc3\xa9"), 0, "non-ASCII",
	    "non-ASCII in an extension", NULL },
	{ S("v=STSv1; id=a\0"), 0, "control character \\x00", "NUL", NULL },
	{ S("v=STSv1; id=abc\r\n"), 0, "control character \\x0d", "CRLF at the end", NULL },
	{ S("v=STSv1; ext=a=b; id=x"), 0, "invalid character '=' in the value of 'ext'",
	    "'=' in an extension value", NULL },
	{ S("v=STSv1; ext=a b; id=x"), 0, "invalid character ' ' in the value of 'ext'",
	    "space in an extension value", NULL },
	{ S("v=STSv1; ext=; id=a"), 0, "empty value for 'ext'", "empty extension value", NULL },
	{ S("v=STSv1; id="), 0, "empty value for 'id'", "empty id", NULL },
	{ S("v=STSv1; id = abc"), 0, "whitespace after field name 'id'",
	    "spaces around '='", NULL },
	{ S("v=STSv1; id =abc"), 0, "whitespace after field name 'id'",
	    "space before '='", NULL },
	{ S("v=STSv1; id= abc"), 0, "not ' abc'", "space after '='", NULL },
	{ S("v=STSv1;; id=abc"), 0, "empty field (';;')", "';;'", NULL },
	{ S("v=STSv1; id=abc;;"), 0, "empty field (';;')", "';;' at the end", NULL },
	{ S("v=STSv1 id=abc"), 0, "expected ';' before 'id=abc'", "no ';'", NULL },
	{ S("v=STSv1, id=abc"), 0, "must begin with 'v=STSv1'", "',' for ';'", NULL },
	{ S("v=STSv1; id"), 0, "field 'id' has no '=value'", "no '='", NULL },
	{ S("v=STSv1; _ext=1; id=a"), 0, "must begin with a letter or digit",
	    "extension name beginning with '_'", NULL },
	{ S("v=STSv1; " NAME32 "2=1; id=a"), 0, "field name longer than 32",
	    "33-character extension name", NULL },
	{ S("v=STSv1; e:x=1; id=a"), 0, "invalid character ':' in field name 'e'",
	    "':' in an extension name", NULL },
	{ S("v=STSv1; id=a-b; id=c"), 0, "id must be 1 to 32 letters or digits, not 'a-b'",
	    "the first id counts, even when a valid one follows", NULL },
	{ S("v=STSv1; id=a; id=b c"), 0, "invalid character ' ' in the value of 'id'",
	    "a repeated id still has the syntax of a field", NULL },
};

/* the warnings, joined by '|' */
static void
collect(void *arg, const char *msg)
{
	char	*buf = arg;
	size_t	 n = strlen(buf);

	snprintf(buf + n, 1024 - n, "%s%s", n > 0 ? "|" : "", msg);
}

static void
test_sts_table(void)
{
	const struct tcase	*c;
	char			 id[STS_ID_MAX + 1], err[STS_ERR_MAX];
	char			 warns[1024], id2[STS_ID_MAX + 1];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(sts) / sizeof(sts[0]); i++) {
		c = &sts[i];
		strcpy(err, "(none)");
		strcpy(id, "unset");
		warns[0] = '\0';
		r = sts_txt_parse_warn(c->in, c->len, id, collect, warns, err,
		    sizeof(err));
		if (c->ok) {
			if (ok(r == 0, "sts valid: %s", c->what))
				is_str(id, c->want, "  %s: id", c->what);
			else
				diag("  error: %s", err);
			is_str(warns, c->warn ? c->warn : "",
			    "  %s: warnings", c->what);
			/* without a callback: the same verdict, no warning */
			strcpy(id2, "unset");
			ok(sts_txt_parse(c->in, c->len, id2, err,
			    sizeof(err)) == 0 && strcmp(id2, c->want) == 0,
			    "  %s: the same without a callback", c->what);
		} else {
			ok(r == -1, "sts invalid: %s", c->what);
			if (!ok(strstr(err, c->want) != NULL, "  %s: message",
			    c->what))
				diag("  got '%s', want '%s'", err, c->want);
			is_str(id, "unset", "  %s: id untouched", c->what);
		}
	}
}

static const struct rcase {
	const char	*in;
	size_t		 len;
	int		 ok;
	const char	*want;		/* the first URI, or part of the error */
	size_t		 n;		/* number of URIs */
	const char	*what;
} rpt[] = {
	{ S("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"), 1,
	    "mailto:tlsrpt@example.com", 1, "the RFC's mailto example" },
	{ S("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"), 1,
	    "https://reporting.example.com/v1/tlsrpt", 1, "https" },
	{ S("v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.net/v1"), 1,
	    "mailto:a@example.com", 2, "two URIs, no spaces" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com , \thttps://r.example.net/v1;"),
	    1, "mailto:a@example.com", 2, "two URIs, whitespace around ','" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com; ext=1"), 1,
	    "mailto:a@example.com", 1, "extension field" },
	{ S("v=TLSRPTv1; ext=1; rua=mailto:a@example.com;"), 1,
	    "mailto:a@example.com", 1, "extension first, trailing ';'" },
	{ S("v=TLSRPTv1 ; rua=mailto:a@example.com"), 1, "mailto:a@example.com", 1,
	    "space before ';' fits the ABNF (selection discards it)" },
	{ S("v=TLSRPTv1; rua=MAILTO:a@example.com"), 1, "MAILTO:a@example.com", 1,
	    "URI schemes are case-insensitive" },
	{ S("v=TLSRPTv1; rua=mailto:a%21b@example.com"), 1,
	    "mailto:a%21b@example.com", 1, "percent-encoded '!'" },
	{ S("v=TLSRPTv1; rua=mailto:tls@example.com?subject=TLS%20report"), 1,
	    "mailto:tls@example.com?subject=TLS%20report", 1, "mailto with a query" },
	{ S("v=TLSRPTv1; rua=https://[2001:db8::1]:8443/r"), 1,
	    "https://[2001:db8::1]:8443/r", 1, "https with an IPv6 literal and port" },

	{ S("v=TLSRPTv1"), 0, "no fields after 'v=TLSRPTv1'", 0, "version only" },
	{ S("v=TLSRPTv1;"), 0, "no fields after", 0, "version and ';'" },
	{ S("v=TLSRPTv1; foo=bar"), 0, "no rua field", 0, "no rua" },
	{ S("v=TLSRPTv1; RUA=mailto:a@example.com"), 0, "no rua field", 0,
	    "'RUA' is not 'rua'" },
	{ S("v=TLSRPTv1; rua=ftp://r.example.com/"), 0,
	    "scheme must be mailto: or https:", 0, "ftp:" },
	{ S("v=TLSRPTv1; rua=http://r.example.com/"), 0,
	    "scheme must be mailto: or https:", 0, "plain http:" },
	{ S("v=TLSRPTv1; rua=tlsrpt@example.com"), 0, "is not a URI (no scheme)", 0,
	    "an address without mailto:" },
	{ S("v=TLSRPTv1; rua=mailto:"), 0, "mailto: needs an address", 0,
	    "empty mailto:" },
	{ S("v=TLSRPTv1; rua=mailto:@example.com"), 0, "mailto: needs an address", 0,
	    "mailto: without local part" },
	{ S("v=TLSRPTv1; rua=mailto:tlsrpt"), 0, "mailto: needs an address", 0,
	    "mailto: without '@'" },
	{ S("v=TLSRPTv1; rua=https:///v1"), 0, "https: needs a host", 0,
	    "https: without host" },
	{ S("v=TLSRPTv1; rua=https:r.example.com"), 0, "https: needs a host", 0,
	    "https: without '//'" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com"), 0,
	    "empty URI in rua list", 0, "',,'" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com,"), 0, "empty URI in rua list", 0,
	    "trailing ','" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com mailto:b@example.com"), 0,
	    "must be separated by ','", 0, "URIs separated by a space" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com"), 0,
	    "more than one rua field", 0, "two rua fields" },
	{ S("v=TLSRPTv1; rua=mailto:a!b@example.com"), 0,
	    "character '!' must be percent-encoded", 0, "raw '!' (RFC 8460)" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com%2"), 0,
	    "'%' not followed by two hex digits", 0, "short %-escape" },
	{ S("v=TLSRPTv1; rua=mailto:a\"b@example.com"), 0,
	    "character '\"' must be percent-encoded", 0, "'\"' in a URI" },
	{ S("V=TLSRPTv1; rua=mailto:a@example.com"), 0,
	    "must begin with 'v=TLSRPTv1'", 0, "'V=' (case)" },
	{ S("v=TLSRPTv1; rua=mailto:a@example.com "), 0, "whitespace at the end", 0,
	    "trailing space" },
	{ S("v=TLSRPTv1; rua=mailto:t\xc3\xa9@example.com"), 0, "non-ASCII", 0,
	    "non-ASCII" },
};

static void
test_rpt_table(void)
{
	const struct rcase	*c;
	struct sts_strlist	 rua = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX];
	size_t			 i;
	int			 r;

	for (i = 0; i < sizeof(rpt) / sizeof(rpt[0]); i++) {
		c = &rpt[i];
		strcpy(err, "(none)");
		r = sts_tlsrpt_parse(c->in, c->len, &rua, err, sizeof(err));
		if (c->ok) {
			if (!ok(r == 0, "tlsrpt valid: %s", c->what)) {
				diag("  error: %s", err);
				continue;
			}
			is_int(rua.n, c->n, "  %s: %zu URIs", c->what, c->n);
			is_str(rua.n > 0 ? rua.v[0] : NULL, c->want,
			    "  %s: first URI", c->what);
		} else {
			ok(r == -1, "tlsrpt invalid: %s", c->what);
			if (!ok(strstr(err, c->want) != NULL, "  %s: message",
			    c->what))
				diag("  got '%s', want '%s'", err, c->want);
			is_int(rua.n, 0, "  %s: nothing added", c->what);
		}
		sts_strlist_free(&rua);
	}
}

#define MAXR	4

static const struct scase {
	const char	*recs[MAXR];	/* NULL-terminated */
	int		 ok;
	size_t		 which;
	const char	*want;		/* id, or part of the error */
	const char	*what;
} sel[] = {
	{ { "v=STSv1; id=abc" }, 1, 0, "abc", "one record" },
	{ { "v=spf1 -all", "v=STSv1; id=abc" }, 1, 1, "abc",
	    "one record and an SPF record" },
	{ { "v=STSv1;id=abc", "google-site-verification=x" }, 1, 0, "abc",
	    "no space after ';', and an unrelated record" },
	{ { "v=STSv1 ; id=old", "v=STSv1; id=new" }, 1, 1, "new",
	    "'v=STSv1 ;' is discarded, the other one counts" },
	{ { "v=STSv1", "v=STSv1; id=abc" }, 1, 1, "abc",
	    "a bare 'v=STSv1' is discarded" },
	{ { NULL }, 0, 0, "no v=STSv1 record (0 TXT records)", "no records" },
	{ { "v=spf1 -all" }, 0, 0, "no v=STSv1 record (1 TXT record)",
	    "only SPF" },
	{ { "v=STSv1; id=a", "v=STSv1; id=a" }, 0, 0,
	    "2 records begin with 'v=STSv1;'", "two identical records" },
	{ { "v=STSv1; id=a", "v=STSv1; id=b" }, 0, 0, "2 records",
	    "two different records" },
	{ { "v=STSv1; id=a", "v=STSv1; id=b", "v=STSv1;" }, 0, 0,
	    "3 records", "three records, one invalid" },
	{ { "v=STSv1 ; id=a" }, 0, 0, "no v=STSv1 record: 'v=STSv1 ; id=a' is "
	    "discarded because it does not begin with exactly 'v=STSv1;' "
	    "(RFC 8461 erratum 6285", "space before ';' (erratum 6285)" },
	{ { "V=STSv1; id=a" }, 0, 0, "(case-sensitive)", "'V=STSv1'" },
	{ { "v=STSv10; id=a" }, 0, 0, "no v=STSv1 record: 'v=STSv10; id=a' is "
	    "discarded because 'v=STSv1' is not followed by ';'", "'v=STSv10'" },
	{ { "v=STSv1,id=a" }, 0, 0, "'v=STSv1' is not followed by ';'",
	    "',' for ';'" },
	{ { "v=stsv10; id=a" }, 0, 0, "(case-sensitive)", "'v=stsv10'" },
	{ { " v=STSv1; id=a" }, 0, 0, "no v=STSv1 record: ' v=STSv1; id=a' is "
	    "discarded because it begins with whitespace", "leading space" },
	{ { "\tV=STSv1; id=a" }, 0, 0, "begins with whitespace",
	    "leading tab, and the case" },
	{ { "v=spf1 -all", "v" }, 0, 0, "no v=STSv1 record (2 TXT records)",
	    "a record shorter than the version" },
	{ { "v=STSv1; id=a b" }, 0, 0, "id must be",
	    "the one record is selected but invalid" },
	{ { "v=STSv1;" }, 0, 0, "no fields", "selected, no fields" },
	{ { "v=STSv1; id=a\x1b[31m" }, 0, 0, "control character \\x1b",
	    "escape sequence in a record" },
};

static size_t
nrecs(const char *const *r)
{
	size_t	n = 0;

	while (n < MAXR && r[n] != NULL)
		n++;
	return n;
}

static void
test_select(void)
{
	const struct scase	*c;
	size_t			 lens[MAXR], i, j, n, which;
	char			 id[STS_ID_MAX + 1], err[STS_ERR_MAX];
	int			 r;

	for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
		c = &sel[i];
		n = nrecs(c->recs);
		for (j = 0; j < n; j++)
			lens[j] = strlen(c->recs[j]);
		which = 99;
		strcpy(err, "(none)");
		strcpy(id, "unset");
		r = sts_txt_select(c->recs, lens, n, &which, id, err,
		    sizeof(err));
		if (c->ok) {
			if (!ok(r == 0, "select: %s", c->what)) {
				diag("  error: %s", err);
				continue;
			}
			is_int(which, c->which, "  %s: which", c->what);
			is_str(id, c->want, "  %s: id", c->what);
		} else {
			ok(r == -1 && which == 99, "select refuses: %s", c->what);
			if (!ok(strstr(err, c->want) != NULL, "  %s: message",
			    c->what))
				diag("  got '%s', want '%s'", err, c->want);
		}
	}
}

/* The selection with a callback: the chosen record's warnings. */
static void
test_select_warn(void)
{
	const char	*r[] = { "v=spf1 -all", "v=STSv1; id=20261101; id=20261102" };
	size_t		 lens[2], which = 99;
	char		 id[STS_ID_MAX + 1], err[STS_ERR_MAX], warns[1024] = "";

	lens[0] = strlen(r[0]);
	lens[1] = strlen(r[1]);
	ok(sts_txt_select_warn(r, lens, 2, &which, id, collect, warns, err,
	    sizeof(err)) == 0 && which == 1, "select with warnings: valid");
	is_str(id, "20261101", "select with warnings: the first id");
	is_str(warns, "more than one id field: the first, id=20261101, counts; "
	    "'id=20261102' is ignored (RFC 8461 §3.2)",
	    "select with warnings: the repetition");
}

static void
test_rpt_select(void)
{
	const char		*r1[] = { "v=spf1 -all",
	    "v=TLSRPTv1; rua=mailto:a@example.com" };
	const char		*r2[] = { "v=TLSRPTv1; rua=mailto:a@example.com",
	    "v=TLSRPTv1; rua=mailto:a@example.com" };
	const char		*r3[] = { "v=TLSRPTv1 ; rua=mailto:a@example.com" };
	const char		*r4[] = { "v=TLSRPTv1; rua=mailto:a@example.com "
	    "mailto:b@example.com" };
	size_t			 lens[2], which = 99;
	struct sts_strlist	 rua = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX];

	lens[0] = strlen(r1[0]);
	lens[1] = strlen(r1[1]);
	ok(sts_tlsrpt_select(r1, lens, 2, &which, &rua, err, sizeof(err)) == 0 &&
	    which == 1 && rua.n == 1 && strcmp(rua.v[0], "mailto:a@example.com") == 0,
	    "tlsrpt select: one record and SPF");
	sts_strlist_free(&rua);

	lens[0] = lens[1] = strlen(r2[0]);
	which = 99;
	ok(sts_tlsrpt_select(r2, lens, 2, &which, &rua, err, sizeof(err)) == -1 &&
	    which == 99 && rua.n == 0 && strstr(err, "2 records begin with "
	    "'v=TLSRPTv1;'") != NULL, "tlsrpt select: two identical records (%s)",
	    err);

	ok(sts_tlsrpt_select(r2, lens, 0, &which, &rua, err, sizeof(err)) == -1 &&
	    strstr(err, "no v=TLSRPTv1 record (0 TXT records)") != NULL,
	    "tlsrpt select: no records (%s)", err);

	lens[0] = strlen(r3[0]);
	ok(sts_tlsrpt_select(r3, lens, 1, &which, &rua, err, sizeof(err)) == -1 &&
	    strstr(err, "no v=TLSRPTv1 record: 'v=TLSRPTv1 ; rua=") != NULL,
	    "tlsrpt select: space before ';' is discarded (%s)", err);

	lens[0] = strlen(r4[0]);
	ok(sts_tlsrpt_select(r4, lens, 1, &which, &rua, err, sizeof(err)) == -1 &&
	    rua.n == 0 && strstr(err, "separated by ','") != NULL,
	    "tlsrpt select: the selected record is invalid (%s)", err);
	sts_strlist_free(&rua);
}

static void
test_records(void)
{
	struct sts_strlist	 rua = { NULL, 0, 0 }, back = { NULL, 0, 0 };
	char			 buf[STS_ERR_MAX], id[STS_ID_MAX + 1];
	char			 small[20], err[STS_ERR_MAX];
	const char		*recs[1];
	size_t			 len, which;

	ok(sts_txt_record("20261129021500", buf, sizeof(buf)) == 0,
	    "txt record: made");
	is_str(buf, "v=STSv1; id=20261129021500", "txt record: text");
	recs[0] = buf;
	len = strlen(buf);
	ok(sts_txt_select(recs, &len, 1, &which, id, err, sizeof(err)) == 0 &&
	    strcmp(id, "20261129021500") == 0, "txt record: selected and parsed back");
	ok(sts_txt_record(ID32, buf, sizeof(buf)) == 0, "txt record: 32-char id");
	ok(sts_txt_record(ID32 "6", buf, sizeof(buf)) == -1,
	    "txt record: 33-char id refused");
	ok(sts_txt_record("", buf, sizeof(buf)) == -1, "txt record: empty id refused");
	ok(sts_txt_record("2026-11-29", buf, sizeof(buf)) == -1,
	    "txt record: '-' refused");
	ok(sts_txt_record(NULL, buf, sizeof(buf)) == -1, "txt record: NULL refused");
	ok(sts_txt_record("20261129021500", small, sizeof(small)) == -1,
	    "txt record: truncation is an error");
	ok(sts_txt_record("20261129021500", buf, 27) == 0 &&
	    strlen(buf) == 26, "txt record: exact fit");
	ok(sts_txt_record("20261129021500", buf, 26) == -1,
	    "txt record: one byte short");

	ok(sts_tlsrpt_record(&rua, buf, sizeof(buf)) == -1,
	    "tlsrpt record: no URIs refused");
	if (sts_strlist_add(&rua, "mailto:tlsrpt@example.com") == -1 ||
	    sts_strlist_add(&rua, "https://r.example.com/v1") == -1)
		abort();
	ok(sts_tlsrpt_record(&rua, buf, sizeof(buf)) == 0, "tlsrpt record: made");
	is_str(buf, "v=TLSRPTv1; rua=mailto:tlsrpt@example.com,"
	    "https://r.example.com/v1", "tlsrpt record: text");
	ok(sts_tlsrpt_parse(buf, strlen(buf), &back, err, sizeof(err)) == 0 &&
	    sts_strlist_equal(&rua, &back), "tlsrpt record: parses back");
	ok(sts_tlsrpt_record(&rua, small, sizeof(small)) == -1,
	    "tlsrpt record: truncation is an error");
	if (sts_strlist_add(&rua, "ftp://r.example.com/") == -1)
		abort();
	ok(sts_tlsrpt_record(&rua, buf, sizeof(buf)) == -1,
	    "tlsrpt record: ftp: refused");
	sts_strlist_free(&rua);
	if (sts_strlist_add(&rua, "mailto:a,b@example.com") == -1)
		abort();
	ok(sts_tlsrpt_record(&rua, buf, sizeof(buf)) == -1,
	    "tlsrpt record: raw ',' refused");
	sts_strlist_free(&rua);
	sts_strlist_free(&back);
}

int
main(void)
{
	test_sts_table();
	test_rpt_table();
	test_select();
	test_select_warn();
	test_rpt_select();
	test_records();
	return done_testing();
}
