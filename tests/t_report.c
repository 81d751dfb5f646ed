/* SPDX-License-Identifier: ISC */
/*
 * t_report: checker/report.c — findings, the exit status they make, the
 * "DOMAIN: LEVEL: message" lines and the JSON document (escaping: valid
 * UTF-8 as is, invalid bytes U+FFFD, C1 and bidi controls visible);
 * checker/output.c — the domain taken out of a message (out_template).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "check.h"

static char *
capture_json(const char *in)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_str(f, in);
	fclose(f);
	return buf;
}

/* json_str: input, the JSON string written */
static const struct {
	const char	*in, *out, *what;
} json_cases[] = {
	{ "b\xc3\xbc" "cher.example", "\"b\xc3\xbc" "cher.example\"", "2-byte UTF-8 as is" },
	{ "\xe2\x82\xac \xf0\x9f\x93\xa7", "\"\xe2\x82\xac \xf0\x9f\x93\xa7\"", "3- and 4-byte UTF-8 as is" },
	{ "a\"b\\c\x01\x1f\x7f", "\"a\\\"b\\\\c\\u0001\\u001f\\u007f\"", "quote, backslash, controls escaped" },
	{ "x\xffy", "\"x\xef\xbf\xbdy\"", "an invalid byte: U+FFFD" },
	{ "\xc3", "\"\xef\xbf\xbd\"", "a truncated sequence: U+FFFD" },
	{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"", "an overlong '/': two U+FFFD" },
	{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "a surrogate: U+FFFD each byte" },
	{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "above U+10FFFF: U+FFFD" },
	{ "evil\xe2\x80\xaetxt.exe", "\"evil<U+202E>txt.exe\"", "RIGHT-TO-LEFT OVERRIDE made visible" },
	{ "\xe2\x81\xa6x\xe2\x81\xa9", "\"<U+2066>x<U+2069>\"", "bidi isolates made visible" },
	{ "c1\xc2\x85", "\"c1<U+0085>\"", "a C1 control (NEL) made visible" },
	{ "ls\xe2\x80\xa8", "\"ls<U+2028>\"", "LINE SEPARATOR made visible" },
};

/* out_template: message, domain, template ('\001' for the domain) */
static const struct {
	const char	*msg, *domain, *out, *what;
} tmpl_cases[] = {
	{ "MX mx2.example.net: connection refused", "a.example",
	  "MX mx2.example.net: connection refused", "no mention: unchanged" },
	{ "https://mta-sts.a.example/.well-known/mta-sts.txt: refused", "a.example",
	  "https://mta-sts.\001/.well-known/mta-sts.txt: refused", "mta-sts.<domain>" },
	{ "_mta-sts.a.example: id 1", "a.example", "_mta-sts.\001: id 1", "_mta-sts.<domain>" },
	{ "_smtp._tls.a.example: v=TLSRPTv1; rua=mailto:postmaster@a.example", "a.example",
	  "_smtp._tls.\001: v=TLSRPTv1; rua=mailto:postmaster@\001", "_smtp._tls and a mail address" },
	{ "MX mx1.example.test: refused", "example.test", "MX mx1.example.test: refused",
	  "a host under the domain is another name" },
	{ "MX example.test.org: refused", "example.test", "MX example.test.org: refused",
	  "the domain as the start of a longer name is not it" },
	{ "xexample.test has no MX", "example.test", "xexample.test has no MX",
	  "a longer label is not it" },
	{ "example.test has no MX; senders deliver to example.test.", "example.test",
	  "\001 has no MX; senders deliver to \001.", "at the start, before a full stop" },
	{ "www.mta-sts.example.test: x", "example.test", "www.mta-sts.example.test: x",
	  "a label before mta-sts: another name" },
};

static char *
capture_text(const struct report *r, enum level min, int okline)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	report_print_text(f, r, min, okline);
	fclose(f);
	return buf;
}

int
main(void)
{
	struct report r[2];
	struct sts_strlist warn = { 0 };
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	memset(r, 0, sizeof(r));
	r[0].domain = "example.com";
	r[1].domain = "example.org";

	is_int(report_status(r, 2, 0), 0, "no findings: status 0");
	is_int(report_status(r, 2, 1), 1, "run-wide warning: status 1");
	report_add(&r[0], L_INFO, "id", "new id %s", "20261129021500");
	is_int(report_status(r, 2, 0), 0, "info only: status 0");
	report_add(&r[0], L_WARN, "tlsrpt", "no record");
	is_int(report_status(r, 2, 0), 1, "a warning: status 1");
	report_add(&r[1], L_ERROR, "https", "line one\nline two\t\x01\xc3\xa9");
	is_int(report_status(r, 2, 0), 2, "an error: status 2");
	is_int(r[0].worst, L_WARN, "worst level of a domain");
	is_str(r[1].f[0].msg, "line one\\x0aline two\\x09\\x01\xc3\xa9",
	    "messages are one printable line: controls escaped, UTF-8 kept");
	r[1].nomem = 1;		/* report_add lost a finding: no memory */
	is_int(report_status(r, 2, 0), 3, "a lost finding: status 3");
	r[1].nomem = 0;

	s = capture_text(&r[0], L_WARN, 0);
	is_str(s, "example.com: warning: no record\n", "text: warnings and up");
	free(s);
	s = capture_text(&r[0], L_INFO, 0);
	is_str(s, "example.com: info: new id 20261129021500\n"
	    "example.com: warning: no record\n", "text: -v shows info, in order");
	free(s);
	s = capture_text(&r[0], L_ERROR, 0);
	is_str(s, "", "text: -q hides warnings");
	free(s);
	s = capture_text(&r[1], L_ERROR, 1);
	is_str(s, "example.org: error: line one\\x0aline two\\x09\\x01\xc3\xa9\n",
	    "text: no ok line for a domain with an error");
	free(s);

	strcpy(r[0].id, "20261129021500");
	r[0].published = 1;
	r[0].policy = strdup("version: STSv1\r\nmode: \"x\\y\"\x01\xff\r\n");
	sts_strlist_add(&warn, "dir/bad name: not a valid domain name, skipped");
	f = open_memstream(&s, &len);
	report_print_json(f, r, 2, 2, &warn, NULL);
	fclose(f);
	is_str(s, "{\"status\":2,"
	    "\"warnings\":[\"dir/bad name: not a valid domain name, skipped\"],"
	    "\"domains\":["
	    "{\"domain\":\"example.com\",\"id\":\"20261129021500\",\"dns_id\":null,"
	    "\"published\":true,"
	    "\"policy\":\"version: STSv1\\r\\nmode: \\\"x\\\\y\\\"\\u0001\xef\xbf\xbd\\r\\n\","
	    "\"findings\":["
	    "{\"level\":\"info\",\"check\":\"id\",\"code\":\"id\",\"message\":\"new id 20261129021500\"},"
	    "{\"level\":\"warning\",\"check\":\"tlsrpt\",\"code\":\"tlsrpt\",\"message\":\"no record\"}]},"
	    "{\"domain\":\"example.org\",\"id\":null,\"dns_id\":null,\"published\":false,"
	    "\"findings\":["
	    "{\"level\":\"error\",\"check\":\"https\",\"code\":\"https\",\"message\":"
	    "\"line one\\\\x0aline two\\\\x09\\\\x01\xc3\xa9\"}]}]}\n",
	    "json: the whole document, escaped");
	free(s);

	f = open_memstream(&s, &len);
	report_print_json(f, NULL, 0, 3, NULL, "conf:3: \"bad\"");
	fclose(f);
	is_str(s, "{\"status\":3,\"error\":\"conf:3: \\\"bad\\\"\",\"domains\":[]}\n",
	    "json: a fatal error is a document too");
	free(s);

	for (size_t i = 0; i < sizeof(json_cases) / sizeof(json_cases[0]); i++) {
		s = capture_json(json_cases[i].in);
		is_str(s, json_cases[i].out, json_cases[i].what);
		free(s);
	}
	for (size_t i = 0; i < sizeof(tmpl_cases) / sizeof(tmpl_cases[0]); i++) {
		char t[512];

		ok(out_template(tmpl_cases[i].msg, tmpl_cases[i].domain, t,
		    sizeof(t)) == 0, "template: %s: fits", tmpl_cases[i].what);
		is_str(t, tmpl_cases[i].out, tmpl_cases[i].what);
	}
	{
		char t[8];

		is_int(out_template("_mta-sts.a.example", "b.example", t,
		    sizeof(t)), -1, "template: too long for the buffer is an error");
	}
	report_add(&r[1], L_WARN, "https.cert.expiry", "evil\xe2\x80\xae \xc2\x85 \xff");
	is_str(r[1].f[1].msg, "evil\\xe2\\x80\\xae \\xc2\\x85 \\xff",
	    "messages: bidi and C1 controls and invalid bytes as \\xNN");
	is_str(r[1].f[1].code, "https.cert.expiry", "the finding keeps its code");
	f = open_memstream(&s, &len);
	report_print_json(f, &r[1], 1, 1, NULL, NULL);
	fclose(f);
	ok(strstr(s, "\"check\":\"https\",\"code\":\"https.cert.expiry\"") != NULL,
	    "json: check is the code up to its first dot");
	free(s);

	report_free(&r[0]);
	report_free(&r[1]);
	ok(r[0].f == NULL && r[0].nf == 0 && r[0].policy == NULL,
	    "report_free leaves the report empty");
	sts_strlist_free(&warn);
	return done_testing();
}
