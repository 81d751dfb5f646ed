/* SPDX-License-Identifier: ISC */
/* host.c: host names, Host headers, mx matching, IDN conversion. */
#include <stdio.h>
#include <string.h>

#include "mtasts.h"
#include "tap.h"

/* a label of n letters followed by rest */
static char *
mk(char *buf, size_t n, const char *rest)
{
	memset(buf, 'a', n);
	strcpy(buf + n, rest);
	return buf;
}

/* n octets in all (n >= 70): labels of 63 octets, then ".com" */
static char *
mkname(char *buf, size_t n)
{
	size_t	i;

	for (i = 0; i < n - 4; i++)
		buf[i] = i % 64 == 63 ? '.' : 'a';
	strcpy(buf + n - 4, ".com");
	return buf;
}

static void
test_host_valid(void)
{
	static const struct {
		const char	*in;
		int		 want;
	} t[] = {
		{ "example.com", 1 },
		{ "mail.example.com", 1 },
		{ "Mail.Example.COM", 1 },
		{ "a-b.example.com", 1 },
		{ "xn--bcher-kva.example", 1 },
		{ "1.example.com", 1 },
		{ "example.c0m", 1 },
		{ "example", 0 },			/* one label */
		{ "", 0 },
		{ ".", 0 },
		{ "example.com.", 0 },			/* trailing dot */
		{ ".example.com", 0 },
		{ "a..example.com", 0 },
		{ "-a.example.com", 0 },
		{ "a-.example.com", 0 },
		{ "a_b.example.com", 0 },
		{ "a b.example.com", 0 },
		{ "*.example.com", 0 },
		{ "192.0.2.1", 0 },			/* IPv4 literal */
		{ "example.123", 0 },
		{ "[::1]", 0 },
		{ "b\xc3\xbc" "cher.example", 0 },	/* U-label */
		{ "example.com/x", 0 },
		{ "ex%41mple.com", 0 },
	};
	char	buf[400];
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(sts_host_valid(t[i].in, strlen(t[i].in)), t[i].want,
		    "sts_host_valid(\"%s\")", t[i].in);
	is_int(sts_host_valid("example.com\0x", 13), 0, "NUL inside refused");
	is_int(sts_host_valid("example.comX", 11), 1, "length is honoured");
	is_int(sts_host_valid("example.com", 7), 0, "length is honoured (one label)");
	is_int(sts_host_valid(NULL, 0), 0, "NULL refused");

	/* label 63 / 64 */
	mk(buf, 63, ".example.com");
	is_int(sts_host_valid(buf, strlen(buf)), 1,
	    "63-octet label accepted");
	mk(buf, 64, ".example.com");
	is_int(sts_host_valid(buf, strlen(buf)), 0,
	    "64-octet label refused");
	/* name 253 / 254 */
	mkname(buf, 253);
	is_int(strlen(buf), 253, "built a 253-octet name");
	is_int(sts_host_valid(buf, strlen(buf)), 1, "253-octet name accepted");
	mkname(buf, 254);
	is_int(strlen(buf), 254, "built a 254-octet name");
	is_int(sts_host_valid(buf, strlen(buf)), 0, "254-octet name refused");
}

static void
test_pattern_valid(void)
{
	static const struct {
		const char	*in;
		int		 want;
	} t[] = {
		{ "mx.example.com", 1 },
		{ "*.example.com", 1 },
		{ "*.mx.example.net", 1 },
		{ "*.com", 0 },
		{ "*", 0 },
		{ "*.", 0 },
		{ "**.example.com", 0 },
		{ "a.*.example.com", 0 },
		{ "*mx.example.com", 0 },
		{ "mx*.example.com", 0 },
		{ "*.*.example.com", 0 },
		{ "*.example.com.", 0 },
		{ "", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(sts_mx_pattern_valid(t[i].in, strlen(t[i].in)), t[i].want,
		    "sts_mx_pattern_valid(\"%s\")", t[i].in);
}

static void
test_policy_domain(void)
{
	static const struct {
		const char	*in;
		size_t		 len;	/* 0: strlen */
		const char	*want;	/* NULL: refused */
	} t[] = {
		{ "mta-sts.example.com", 0, "example.com" },
		{ "MTA-STS.Example.COM", 0, "example.com" },
		{ "mta-sts.example.com.", 0, "example.com" },
		{ "mta-sts.example.com:443", 0, "example.com" },
		{ "mta-sts.example.com.:443", 0, "example.com" },
		{ "mta-sts.example.com:8443", 0, "example.com" },
		{ "mta-sts.example.com:65535", 0, "example.com" },
		{ "mta-sts.mail.example.co.uk", 0, "mail.example.co.uk" },
		{ "mta-sts.xn--bcher-kva.example", 0, "xn--bcher-kva.example" },
		{ "mta-sts.example.com:65536", 0, NULL },
		{ "mta-sts.example.com:", 0, NULL },
		{ "mta-sts.example.com:abc", 0, NULL },
		{ "mta-sts.example.com:99999999", 0, NULL },
		{ "mta-sts.example.com:443:443", 0, NULL },
		{ "mta-sts.example.com:-1", 0, NULL },
		{ "mta-sts.example.com: 443", 0, NULL },
		{ "mta-sts.example.com..", 0, NULL },
		{ "mta-sts.example.com/../x", 0, NULL },
		{ "mta-sts.example.com/", 0, NULL },
		{ "mta-sts.example.com\\x", 0, NULL },
		{ "mta-sts.example.com%2f", 0, NULL },
		{ "user@mta-sts.example.com", 0, NULL },
		{ "mta-sts.example.com@evil.example", 0, NULL },
		{ "..", 0, NULL },
		{ ".", 0, NULL },
		{ "", 0, NULL },
		{ "mta-sts.", 0, NULL },
		{ "mta-sts", 0, NULL },
		{ "mta-sts..example.com", 0, NULL },
		{ "mta-sts.com", 0, NULL },
		{ "mta-sts.example", 0, NULL },	/* hmm: example is one label */
		{ "mta-sts.-example.com", 0, NULL },
		{ "mta-sts.example.com\r\nX-Evil: 1", 0, NULL },
		{ "mta-sts.example.com\n", 0, NULL },
		{ "mta-sts.example.com ", 0, NULL },
		{ " mta-sts.example.com", 0, NULL },
		{ "mta-sts.exa mple.com", 0, NULL },
		{ "mta-sts.example.com\0.evil.com", 28, NULL },
		{ "mta-sts.b\xc3\xbc" "cher.example", 0, NULL },
		{ "mta-sts.ex\xff" "ample.com", 0, NULL },
		{ "www.example.com", 0, NULL },
		{ "example.com", 0, NULL },
		{ "mta-stsexample.com", 0, NULL },
		{ "xmta-sts.example.com", 0, NULL },
		{ "192.0.2.1", 0, NULL },
		{ "192.0.2.1:443", 0, NULL },
		{ "mta-sts.192.0.2.1", 0, NULL },
		{ "[::1]", 0, NULL },
		{ "[::1]:443", 0, NULL },
		{ "::1", 0, NULL },
		{ "[2001:db8::1]", 0, NULL },
		{ "mta-sts.*.example.com", 0, NULL },
		{ "mta-sts.ex_ample.com", 0, NULL },
	};
	char	out[STS_HOST_MAX + 1], buf[600];
	size_t	i, len;
	int	rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		len = t[i].len ? t[i].len : strlen(t[i].in);
		strcpy(out, "unchanged");
		rc = sts_host_policy_domain(t[i].in, len, out, sizeof(out));
		sts_escape(buf, sizeof(buf), t[i].in, len);
		if (t[i].want == NULL)
			is_int(rc, -1, "Host \"%s\" refused", buf);
		else {
			is_int(rc, 0, "Host \"%s\" accepted", buf);
			is_str(out, t[i].want, "Host \"%s\" -> %s", buf,
			    t[i].want);
		}
	}

	/* length boundaries: the whole Host name must be a valid name */
	strcpy(buf, "mta-sts.");
	mkname(buf + 8, 245);
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), 0,
	    "mta-sts. + 245 octets (253 in all) accepted");
	strcpy(buf, "mta-sts.");
	mkname(buf + 8, 246);
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), -1,
	    "mta-sts. + 246 octets (254 in all) refused");
	strcpy(buf, "mta-sts.");
	mkname(buf + 8, 245);
	strcat(buf, ".:443");
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), 0,
	    "253 octets plus trailing dot and port accepted");
	strcpy(buf, "mta-sts.");
	mk(buf + 8, 63, ".example.com");
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), 0,
	    "63-octet label accepted");
	strcpy(buf, "mta-sts.");
	mk(buf + 8, 64, ".example.com");
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), -1,
	    "64-octet label refused");
	memset(buf, 'a', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	is_int(sts_host_policy_domain(buf, strlen(buf), out, sizeof(out)), -1,
	    "599 octets of 'a' refused");

	/* output buffer too small */
	is_int(sts_host_policy_domain("mta-sts.example.com", 19, out, 11), -1,
	    "output buffer of 11 too small for example.com");
	is_int(sts_host_policy_domain("mta-sts.example.com", 19, out, 12), 0,
	    "output buffer of 12 is enough");
	is_int(sts_host_policy_domain(NULL, 0, out, sizeof(out)), -1,
	    "NULL Host refused");
}

static void
test_mx_match(void)
{
	static const struct {
		const char	*pat, *host;
		int		 want;
	} t[] = {
		{ "mail.example.com", "mail.example.com", 1 },
		{ "mail.example.com", "MAIL.Example.Com", 1 },
		{ "MAIL.EXAMPLE.COM", "mail.example.com", 1 },
		{ "mail.example.com", "mail.example.com.", 1 },
		{ "mail.example.com.", "mail.example.com", 1 },
		{ "mail.example.com", "mail2.example.com", 0 },
		{ "mail.example.com", "example.com", 0 },
		{ "mail.example.com", "a.mail.example.com", 0 },
		{ "mail.example.com", "mail.example.com.evil", 0 },
		{ "*.example.com", "mail.example.com", 1 },
		{ "*.example.com", "MAIL.EXAMPLE.COM.", 1 },
		{ "*.Example.COM", "mail.example.com", 1 },
		{ "*.example.com", "example.com", 0 },
		{ "*.example.com", "a.b.example.com", 0 },
		{ "*.example.com", ".example.com", 0 },
		{ "*.example.com", "mailexample.com", 0 },
		{ "*.example.com", "mail.example.org", 0 },
		{ "*.example.com", "*.example.com", 0 },
		{ "*.example.com", "", 0 },
		{ "", "mail.example.com", 0 },
		{ "", "", 0 },
		{ "*.", "a.", 0 },
		{ "mail.*.com", "mail.example.com", 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		is_int(sts_mx_match(t[i].pat, t[i].host), t[i].want,
		    "sts_mx_match(\"%s\", \"%s\") = %d", t[i].pat, t[i].host,
		    t[i].want);
	is_int(sts_mx_match(NULL, "a.example.com"), 0, "NULL pattern");
	is_int(sts_mx_match("a.example.com", NULL), 0, "NULL host");
}

static void
test_alabel(void)
{
	static const struct {
		const char	*in;
		int		 wild;
		const char	*want;	/* NULL: error */
		const char	*msg;	/* substring of the error */
	} t[] = {
		{ "example.com", 0, "example.com", NULL },
		{ "Example.COM", 0, "example.com", NULL },
		{ "example.com.", 0, "example.com", NULL },
		{ "b\xc3\xbc" "cher.example", 0, "xn--bcher-kva.example", NULL },
		{ "B\xc3\x9c" "CHER.example", 0, "xn--bcher-kva.example", NULL },
		{ "*.b\xc3\xbc" "cher.example", 1, "*.xn--bcher-kva.example", NULL },
		{ "xn--bcher-kva.example", 0, "xn--bcher-kva.example", NULL },
		{ "XN--BCHER-KVA.example", 0, "xn--bcher-kva.example", NULL },
		{ "*.mx.example.net", 1, "*.mx.example.net", NULL },
		{ "mx1.example.com", 1, "mx1.example.com", NULL },
		{ "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
		    0, "xn--r8jz45g.xn--zckzah", NULL },
		{ "fa\xc3\x9f.de", 0, "xn--fa-hia.de", NULL },	/* non-transitional */
		{ "*.example.com", 0, NULL, "wildcard is not allowed" },
		{ "*.com", 1, NULL, "not a valid host name: *.com" },
		{ "a.*.example.com", 1, NULL, "not a valid host name" },
		{ "", 0, NULL, "empty" },
		{ ".", 0, NULL, "empty" },
		{ "*.", 1, NULL, "empty" },
		{ "example", 0, NULL, "not a valid host name: example" },
		{ "ex ample.com", 0, NULL, "not a valid host name" },
		{ "ex\nample.com", 0, NULL, "ex\\x0aample.com (control" },
		{ "192.0.2.1", 0, NULL, "not a valid host name: 192.0.2.1" },
		{ "xn--zz.example", 0, NULL, "not a valid host name: xn--zz.example (" },
		{ "b\xc3\xbc_cher.example", 0, NULL, "not a valid host name" },
		{ "b\xff" "cher.example", 0, NULL, "b\\xffcher.example (" },
		{ "a..example", 0, NULL, "not a valid host name" },
		{ "\xe2\x98\x83..example", 0, NULL, "not a valid host name" },
		{ "-b\xc3\xbc" "cher.example", 0, NULL, "not a valid host name" },
	};
	char	out[STS_HOST_MAX + 3], err[STS_ERR_MAX], buf[1200];
	size_t	i;
	int	rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		strcpy(out, "unchanged");
		rc = sts_host_to_alabel(t[i].in, t[i].wild, out, sizeof(out),
		    err, sizeof(err));
		sts_escape(buf, 200, t[i].in, strlen(t[i].in));
		if (t[i].want != NULL) {
			is_int(rc, 0, "to_alabel(\"%s\") ok", buf);
			if (rc != 0)
				diag("  %s", err);
			is_str(out, t[i].want, "to_alabel(\"%s\") = %s", buf,
			    t[i].want);
		} else {
			is_int(rc, -1, "to_alabel(\"%s\") refused", buf);
			if (!ok(strstr(err, t[i].msg) != NULL,
			    "  message has \"%s\"", t[i].msg))
				diag("  got \"%s\"", err);
		}
	}

	/* lengths: 253 octets accepted, 254 refused, 63/64 labels */
	mkname(buf, 253);
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    0, "to_alabel: 253 octets accepted");
	mkname(buf, 254);
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    -1, "to_alabel: 254 octets refused");
	ok(strstr(err, "253") != NULL, "  message says 253 (%s)", err);
	strcpy(buf, "*.");
	mkname(buf + 2, 253);
	is_int(sts_host_to_alabel(buf, 1, out, sizeof(out), err, sizeof(err)),
	    0, "to_alabel: *. + 253 octets accepted");
	is_int(sts_host_to_alabel(buf, 1, out, 200, err, sizeof(err)),
	    -1, "to_alabel: output buffer too small refused");
	mk(buf, 64, ".example.com");
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    -1, "to_alabel: 64-octet label refused");
	memset(buf, 'a', 1100);
	buf[1100] = '\0';
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    -1, "to_alabel: 1100 octets refused");
	ok(strlen(err) < sizeof(err) - 1, "  message is bounded");
	/* U-labels whose A-label fits a label, and one that does not */
	buf[0] = '\0';
	for (i = 0; i < 30; i++)
		strcat(buf, "\xc3\xbc");
	strcat(buf, "x.example");
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    0, "to_alabel: 30 u-umlauts fit in a label");
	buf[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(buf, "\xc3\xbc");
	strcat(buf, "x.example");
	is_int(sts_host_to_alabel(buf, 0, out, sizeof(out), err, sizeof(err)),
	    -1, "to_alabel: 60 u-umlauts in a label refused");
}

int
main(void)
{
	test_host_valid();
	test_pattern_valid();
	test_policy_domain();
	test_mx_match();
	test_alabel();
	return done_testing();
}
