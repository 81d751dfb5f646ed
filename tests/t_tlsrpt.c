/* SPDX-License-Identifier: ISC */
/*
 * t_tlsrpt: checker/tlsrpt.c and checker/mime.c — the RFC 8460 §4.4
 * example and its errata, mx-host as a string or a list, dates with and
 * without a zone, every malformed case with its message, and hostile
 * input: a gzip bomb, 10,000-deep JSON, too many policies or details.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include <zlib.h>

#include "tlsrpt.h"

/* RFC 8460 §4.4, with the errata: additional-information on one line */
static const char rfc[] =
"{\n"
"  \"organization-name\": \"Company-X\",\n"
"  \"date-range\": {\n"
"    \"start-datetime\": \"2016-04-01T00:00:00Z\",\n"
"    \"end-datetime\": \"2016-04-01T23:59:59Z\"\n"
"  },\n"
"  \"contact-info\": \"sts-reporting@company-x.example\",\n"
"  \"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",\n"
"  \"policies\": [{\n"
"    \"policy\": {\n"
"      \"policy-type\": \"sts\",\n"
"      \"policy-string\": [\"version: STSv1\",\"mode: testing\",\n"
"            \"mx: *.mail.company-y.example\",\"max_age: 86400\"],\n"
"      \"policy-domain\": \"company-y.example\",\n"
"      \"mx-host\": \"*.mail.company-y.example\"\n"
"    },\n"
"    \"summary\": {\n"
"      \"total-successful-session-count\": 5326,\n"
"      \"total-failure-session-count\": 303\n"
"    },\n"
"    \"failure-details\": [{\n"
"      \"result-type\": \"certificate-expired\",\n"
"      \"sending-mta-ip\": \"2001:db8:abcd:0012::1\",\n"
"      \"receiving-mx-hostname\": \"mx1.mail.company-y.example\",\n"
"      \"failed-session-count\": 100\n"
"    }, {\n"
"      \"result-type\": \"starttls-not-supported\",\n"
"      \"sending-mta-ip\": \"2001:db8:abcd:0013::1\",\n"
"      \"receiving-mx-hostname\": \"mx2.mail.company-y.example\",\n"
"      \"receiving-ip\": \"203.0.113.56\",\n"
"      \"failed-session-count\": 200,\n"
"      \"additional-information\": \"https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported\"\n"
"    }, {\n"
"      \"result-type\": \"validation-failure\",\n"
"      \"sending-mta-ip\": \"198.51.100.62\",\n"
"      \"receiving-ip\": \"203.0.113.58\",\n"
"      \"receiving-mx-hostname\": \"mx-backup.mail.company-y.example\",\n"
"      \"failed-session-count\": 3,\n"
"      \"failure-error-code\": \"X509_V_ERR_PROOF_OF_POSSESSION\"\n"
"    }]\n"
"  }]\n"
"}\n";

#define RID "report-id 5065427c-23d3-47ca-b6e0-946ea0e8c4be: "

/* rfc with the first occurrence of from replaced by to (malloc'd) */
static char *
subst(const char *from, const char *to)
{
	const char *p = strstr(rfc, from);
	char *s;
	size_t n;

	if (p == NULL) {
		printf("Bail out! '%s' not in the example\n", from);
		exit(255);
	}
	n = strlen(rfc) - strlen(from) + strlen(to) + 1;
	s = malloc(n);
	snprintf(s, n, "%.*s%s%s", (int)(p - rfc), rfc, to, p + strlen(from));
	return s;
}

static const struct bad {
	const char *from, *to, *msg;
} bad[] = {
	{ "\"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\",", "",
	    "report-id missing" },
	{ "\"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\"",
	    "\"report-id\": 7", "report-id is not a string" },
	{ "\"report-id\": \"5065427c-23d3-47ca-b6e0-946ea0e8c4be\"",
	    "\"report-id\": \"\"", "report-id is empty" },
	{ "\"organization-name\": \"Company-X\",", "",
	    RID "organization-name missing" },
	{ "\"start-datetime\": \"2016-04-01T00:00:00Z\"",
	    "\"start-datetime\": \"2016-04-01\"",
	    RID "date-range: start-datetime is not an RFC 3339 date-time" },
	{ "\"end-datetime\": \"2016-04-01T23:59:59Z\"",
	    "\"end-datetime\": \"2016-02-30T23:59:59Z\"",
	    RID "date-range: end-datetime is not an RFC 3339 date-time" },
	{ "\"end-datetime\": \"2016-04-01T23:59:59Z\"",
	    "\"end-datetime\": \"2016-03-31T23:59:59Z\"",
	    RID "date-range: end-datetime before start-datetime" },
	{ "\"date-range\": {", "\"date-rang\": {", RID "date-range missing" },
	{ "\"policy-type\": \"sts\"", "\"policy-type\": \"dane\"",
	    RID "policies[0].policy: policy-type 'dane' is not sts, tlsa or "
	    "no-policy-found" },
	{ "\"policy-type\": \"sts\",", "",
	    RID "policies[0].policy: policy-type missing" },
	{ "\"policy-domain\": \"company-y.example\"",
	    "\"policy-domain\": \"../../etc\"",
	    RID "policies[0].policy: policy-domain '../../etc' is not a valid "
	    "domain" },
	{ "\"mx-host\": \"*.mail.company-y.example\"", "\"mx-host\": 5",
	    RID "policies[0].policy: mx-host is not a string or a list of "
	    "strings" },
	{ "\"mx-host\": \"*.mail.company-y.example\"", "\"mx-host\": [\"a\", 1]",
	    RID "policies[0].policy: mx-host[1] is not a string" },
	{ "\"total-failure-session-count\": 303",
	    "\"total-failure-session-count\": -1",
	    RID "policies[0].summary: total-failure-session-count is not a count "
	    "(a whole number, 0 or more)" },
	{ "\"total-successful-session-count\": 5326,", "",
	    RID "policies[0].summary: total-successful-session-count missing" },
	{ "\"result-type\": \"certificate-expired\",", "",
	    RID "policies[0].failure-details[0]: result-type missing" },
	{ "\"failed-session-count\": 3,", "\"failed-session-count\": 3.5,",
	    RID "policies[0].failure-details[2]: failed-session-count is not a "
	    "count (a whole number, 0 or more)" },
	{ "\"failure-details\": [{", "\"failure-details\": {\"x\": [{",
	    "not valid JSON: line 41 column 4: '}' expected near ']'" },
	{ "\"summary\": {", "\"summery\": {", RID "policies[0]: summary missing" },
	{ "\"policies\": [{", "\"policies\": [], \"x\": [{", RID "policies is empty" },
	{ "\"contact-info\"", "\"organization-name\"",
	    "not valid JSON: line 7 column 21: duplicate object key near "
	    "'\"organization-name\"'" },
	{ "{\n  \"organization-name\"", "[{\n  \"organization-name\"",
	    "not valid JSON: line 43 column 0: ']' expected near end of file" },
};

static const struct date {
	const char	*s;
	long long	 t;	/* -1: refused */
} dates[] = {
	{ "2016-04-01T00:00:00Z", 1459468800 },
	{ "2016-04-01T00:00:00", 1459468800 },		/* no zone: UTC */
	{ "2016-04-01t00:00:00z", 1459468800 },
	{ "2016-04-01 00:00:00Z", 1459468800 },
	{ "2016-04-01T02:00:00+02:00", 1459468800 },
	{ "2016-03-31T19:00:00-05:00", 1459468800 },
	{ "2016-04-01T00:00:00.123456Z", 1459468800 },
	{ "2016-02-29T00:00:00Z", 1456704000 },
	{ "2015-02-29T00:00:00Z", -1 },
	{ "1970-01-01T00:00:00Z", 0 },
	{ "1969-12-31T23:59:59Z", -1 },
	{ "0363-01-01T00:00:00+02:00", -1 },	/* found by fuzz_tlsrpt */
	{ "2016-04-01", -1 },
	{ "2016-04-01T00:00Z", -1 },
	{ "2016-04-01T24:00:00Z", -1 },
	{ "2016-13-01T00:00:00Z", -1 },
	{ "2016-04-01T00:00:00+0200", -1 },
	{ "2016-04-01T00:00:00.Z", -1 },
	{ "2016-04-01T00:00:00Z ", -1 },
};

/* gzip of len zero bytes, made in pieces (a bomb: 100 MiB in ~100 KiB) */
static unsigned char *
gzip_zeros(size_t len, size_t *outlen)
{
	static unsigned char zeros[65536];
	z_stream z;
	size_t cap = len / 500 + 4096, left = len;
	unsigned char *o = malloc(cap);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
	z.next_out = o;
	z.avail_out = (uInt)cap;
	do {
		size_t n = left > sizeof(zeros) ? sizeof(zeros) : left;

		z.next_in = zeros;
		z.avail_in = (uInt)n;
		left -= n;
		deflate(&z, left == 0 ? Z_FINISH : Z_NO_FLUSH);
	} while (left > 0);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

static unsigned char *
gzip_buf(const char *s, size_t len, size_t *outlen)
{
	z_stream z;
	size_t cap = len + 1024;
	unsigned char *o = malloc(cap);

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (Bytef *)(uintptr_t)s;
	z.avail_in = (uInt)len;
	z.next_out = o;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return o;
}

static void
expect_err(const char *buf, size_t len, const char *want, const char *name)
{
	struct tlsrpt r;
	char err[STS_ERR_MAX] = "";
	int rc;

	rc = tlsrpt_decode(buf, len, &r, err, sizeof(err));
	is_int(rc, -1, "%s: refused", name);
	is_str(err, want, "%s: message", name);
	tlsrpt_free(&r);
}

static void
test_example(void)
{
	struct tlsrpt r;
	char err[STS_ERR_MAX] = "", *json, *s;
	unsigned char *gz;
	size_t gzlen;
	struct tlsrpt r2;

	if (!ok(tlsrpt_parse_json(rfc, strlen(rfc), &r, err, sizeof(err)) == 0,
	    "RFC 8460 §4.4 example parses")) {
		diag("%s", err);
		return;
	}
	is_str(r.org, "Company-X", "organization-name");
	is_str(r.id, "5065427c-23d3-47ca-b6e0-946ea0e8c4be", "report-id");
	is_str(r.contact, "sts-reporting@company-x.example", "contact-info");
	is_int(r.start, 1459468800, "start-datetime");
	is_int(r.end, 1459468800 + 86399, "end-datetime");
	is_int(r.npolicies, 1, "one policy");
	is_int(r.policies[0].type, TLSRPT_STS, "policy-type sts");
	is_str(r.policies[0].domain, "company-y.example", "policy-domain");
	is_int(r.policies[0].lines.n, 4, "policy-string: 4 lines");
	is_str(r.policies[0].lines.v[2], "mx: *.mail.company-y.example",
	    "policy-string kept as sent");
	is_int(r.policies[0].mx_host.n, 1, "mx-host as a string: one entry");
	is_int(r.policies[0].ok, 5326, "successful sessions");
	is_int(r.policies[0].failed, 303, "failed sessions");
	is_int(r.policies[0].ndetails, 3, "three failure-details");
	is_str(r.policies[0].details[1].result_type, "starttls-not-supported",
	    "result-type");
	is_str(r.policies[0].details[1].mx, "mx2.mail.company-y.example",
	    "receiving-mx-hostname");
	is_str(r.policies[0].details[1].receiving_ip, "203.0.113.56",
	    "receiving-ip");
	is_int(r.policies[0].details[1].sessions, 200, "failed-session-count");
	is_str(r.policies[0].details[2].reason, "X509_V_ERR_PROOF_OF_POSSESSION",
	    "failure-error-code of the example read as failure-reason-code");
	is_str(r.policies[0].details[0].receiving_ip, NULL,
	    "receiving-ip absent: NULL");

	/* the store's format parses back to the same report */
	json = tlsrpt_to_json(&r, NULL);
	ok(json != NULL && tlsrpt_parse_json(json, strlen(json), &r2, err,
	    sizeof(err)) == 0, "the stored form parses back");
	if (json != NULL) {
		is_int(r2.policies[0].ndetails, 3, "stored form: details kept");
		is_int(r2.end, r.end, "stored form: dates kept");
		is_str(r2.policies[0].details[2].reason,
		    "X509_V_ERR_PROOF_OF_POSSESSION", "stored form: reason kept");
		tlsrpt_free(&r2);
	}
	free(json);
	tlsrpt_free(&r);

	/* gzip'd, as senders send it */
	gz = gzip_buf(rfc, strlen(rfc), &gzlen);
	ok(tlsrpt_decode(gz, gzlen, &r, err, sizeof(err)) == 0 &&
	    r.policies[0].failed == 303, "gzip'd example decodes");
	tlsrpt_free(&r);
	expect_err((char *)gz, gzlen - 10, "gzip: truncated data",
	    "truncated gzip");
	free(gz);

	/* erratum 6241: mx-host as a list */
	s = subst("\"mx-host\": \"*.mail.company-y.example\"",
	    "\"mx-host\": [\"*.mail.company-y.example\", \"mx.company-y.example\"]");
	ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0 &&
	    r.policies[0].mx_host.n == 2 &&
	    strcmp(r.policies[0].mx_host.v[1], "mx.company-y.example") == 0,
	    "mx-host as a list (erratum 6241)");
	tlsrpt_free(&r);
	free(s);

	/* no zone in the dates, a trailing dot and capitals in the domain */
	s = subst("\"start-datetime\": \"2016-04-01T00:00:00Z\"",
	    "\"start-datetime\": \"2016-04-01T00:00:00\"");
	ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0 &&
	    r.start == 1459468800, "start-datetime without a zone is UTC");
	tlsrpt_free(&r);
	free(s);
	s = subst("\"policy-domain\": \"company-y.example\"",
	    "\"policy-domain\": \"Company-Y.Example.\"");
	ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0 &&
	    strcmp(r.policies[0].domain, "company-y.example") == 0,
	    "policy-domain lower-cased, trailing dot dropped");
	tlsrpt_free(&r);
	free(s);
	s = subst("\"policy-type\": \"sts\"", "\"policy-type\": \"no-policy-found\"");
	ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0 &&
	    r.policies[0].type == TLSRPT_NO_POLICY, "policy-type no-policy-found");
	tlsrpt_free(&r);
	free(s);
	s = subst("\"policy-type\": \"sts\"", "\"policy-type\": \"tlsa\"");
	ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0 &&
	    r.policies[0].type == TLSRPT_TLSA, "policy-type tlsa");
	tlsrpt_free(&r);
	free(s);
}

static void
test_bad(void)
{
	size_t i;
	char *s;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = subst(bad[i].from, bad[i].to);
		expect_err(s, strlen(s), bad[i].msg, bad[i].msg);
		free(s);
	}
	expect_err("", 0, "not valid JSON: line 1 column 0: '[' or '{' expected "
	    "near end of file", "empty input");
	expect_err("[1,2]", 5, "the report is not a JSON object", "a list");
}

static void
test_dates(void)
{
	size_t i;
	time_t t;

	for (i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		int rc = tlsrpt_date(dates[i].s, &t);

		if (dates[i].t == -1)
			is_int(rc, -1, "date '%s' refused", dates[i].s);
		else
			ok(rc == 0 && (long long)t == dates[i].t,
			    "date '%s' is %lld", dates[i].s, dates[i].t);
	}
}

static void
test_hostile(void)
{
	unsigned char *gz;
	size_t len, i, n;
	char *s, *p;

	/* a gzip bomb: 100 MiB of zeros, refused at the cap, not after */
	gz = gzip_zeros(100UL * 1024 * 1024, &len);
	ok(len < 200 * 1024, "the bomb is small (%zu bytes)", len);
	expect_err((char *)gz, len, "gzip: decompressed size above 16777216 "
	    "bytes; refused", "gzip bomb");
	free(gz);

	/* 10,000-deep JSON, raw and gzip'd */
	n = 10000;
	s = malloc(2 * n + 1);
	memset(s, '[', n);
	memset(s + n, ']', n);
	s[2 * n] = '\0';
	expect_err(s, 2 * n, "JSON nested deeper than 16 levels; refused",
	    "10,000-deep JSON");
	gz = gzip_buf(s, 2 * n, &len);
	expect_err((char *)gz, len, "JSON nested deeper than 16 levels; refused",
	    "10,000-deep JSON, gzip'd");
	free(gz);
	free(s);
	/* brackets inside strings do not count */
	s = subst("\"Company-X\"", "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"");
	{
		struct tlsrpt r;
		char err[STS_ERR_MAX];

		ok(tlsrpt_parse_json(s, strlen(s), &r, err, sizeof(err)) == 0,
		    "brackets inside a string are not nesting");
		tlsrpt_free(&r);
	}
	free(s);

	/* 1001 policies */
	n = 1001;
	len = strlen(rfc) + n * 4 + 64;
	s = malloc(len);
	p = strstr(rfc, "\"policies\": [");
	i = (size_t)(p - rfc) + strlen("\"policies\": [");
	memcpy(s, rfc, i);
	for (n = 0; n < 1000; n++) {
		memcpy(s + i, "{},", 3);
		i += 3;
	}
	snprintf(s + i, len - i, "%s", rfc + (p - rfc) + strlen("\"policies\": ["));
	expect_err(s, strlen(s), RID "more than 1000 policies; refused",
	    "1001 policies");
	free(s);

	/* 1001 failure-details */
	len = strlen(rfc) + 1001 * 64;
	s = malloc(len);
	p = strstr(rfc, "\"failure-details\": [");
	i = (size_t)(p - rfc) + strlen("\"failure-details\": [");
	memcpy(s, rfc, i);
	for (n = 0; n < 998; n++)
		i += (size_t)snprintf(s + i, len - i, "{\"result-type\":\"x\","
		    "\"failed-session-count\":1},");
	snprintf(s + i, len - i, "%s", p + strlen("\"failure-details\": ["));
	expect_err(s, strlen(s), RID "policies[0]: more than 1000 "
	    "failure-details; refused", "1001 failure-details");
	free(s);

	/* a string of 1025 bytes */
	s = malloc(strlen(rfc) + 2048);
	p = malloc(1026);
	memset(p, 'a', 1025);
	p[1025] = '\0';
	{
		char *t = subst("\"Company-X\"", "\"@\"");
		char *at = strchr(t, '@');

		snprintf(s, strlen(rfc) + 2048, "%.*s%s%s", (int)(at - t), t, p,
		    at + 1);
		free(t);
	}
	expect_err(s, strlen(s), RID "organization-name longer than 1024 bytes",
	    "a long string");
	free(p);
	free(s);

	/* a NUL escaped inside a string */
	s = subst("\"Company-X\"", "\"Company\\u0000X\"");
	expect_err(s, strlen(s), "not valid JSON: line 2 column 39: \\u0000 is "
	    "not allowed without JSON_ALLOW_NUL near '\"Company\\u0000X\"'",
	    "\\u0000 in a string");
	free(s);
}

static void
test_mime(void)
{
	static const char msg[] =
	    "From: tlsrpt@company-x.example\r\n"
	    "To: tlsrpt@company-y.example\r\n"
	    "Subject: Report Domain: company-y.example\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=\"tlsrpt\";\r\n"
	    " boundary=\"b1\"\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "This is an aggregate TLS report.\r\n"
	    "--b1\r\n"
	    "Content-Type: application/tlsrpt+json\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"r.json\"\r\n"
	    "\r\n"
	    "eyJhIjoxfQ==\r\n"
	    "--b1--\r\n";
	char *out = NULL, err[STS_ERR_MAX] = "";
	size_t len = 0;

	ok(tlsrpt_from_mime(msg, strlen(msg), &out, &len, err, sizeof(err)) == 0 &&
	    len == 7 && memcmp(out, "{\"a\":1}", 7) == 0,
	    "multipart/report: the tlsrpt+json part, base64 decoded");
	free(out);
	out = NULL;
	ok(tlsrpt_from_mime("garbage\r\n\r\n\x01\x02", 13, &out, &len, err,
	    sizeof(err)) == -1, "garbage MIME refused");
	is_str(err, "not a mail message (MIME parse failed)",
	    "garbage MIME: message");
	free(out);
}

int
main(void)
{
	test_example();
	test_bad();
	test_dates();
	test_hostile();
	test_mime();
	return done_testing();
}
