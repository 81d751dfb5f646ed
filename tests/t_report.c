/* SPDX-License-Identifier: ISC */
/*
 * t_report: checker/report.c — findings, the exit status they make, the
 * "DOMAIN: LEVEL: message" lines and the JSON document (escaping).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "check.h"

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
	strcpy(r[0].domain, "example.com");
	strcpy(r[1].domain, "example.org");

	is_int(report_status(r, 2, 0), 0, "no findings: status 0");
	is_int(report_status(r, 2, 1), 1, "run-wide warning: status 1");
	report_add(&r[0], L_INFO, "id", "new id %s", "20261129021500");
	is_int(report_status(r, 2, 0), 0, "info only: status 0");
	report_add(&r[0], L_WARN, "tlsrpt", "no record");
	is_int(report_status(r, 2, 0), 1, "a warning: status 1");
	report_add(&r[1], L_ERROR, "https", "line one\nline two\t\x01\xc3\xa9");
	is_int(report_status(r, 2, 0), 2, "an error: status 2");
	is_int(r[0].worst, L_WARN, "worst level of a domain");
	is_str(r[1].f[0].msg, "line one\\x0aline two\\x09\\x01\\xc3\\xa9",
	    "messages are one printable ASCII line");
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
	is_str(s, "example.org: error: line one\\x0aline two\\x09\\x01\\xc3\\xa9\n",
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
	    "\"policy\":\"version: STSv1\\r\\nmode: \\\"x\\\\y\\\"\\u0001\\u00ff\\r\\n\","
	    "\"findings\":["
	    "{\"level\":\"info\",\"check\":\"id\",\"message\":\"new id 20261129021500\"},"
	    "{\"level\":\"warning\",\"check\":\"tlsrpt\",\"message\":\"no record\"}]},"
	    "{\"domain\":\"example.org\",\"id\":null,\"dns_id\":null,\"published\":false,"
	    "\"findings\":["
	    "{\"level\":\"error\",\"check\":\"https\",\"message\":"
	    "\"line one\\\\x0aline two\\\\x09\\\\x01\\\\xc3\\\\xa9\"}]}]}\n",
	    "json: the whole document, escaped");
	free(s);

	f = open_memstream(&s, &len);
	report_print_json(f, NULL, 0, 3, NULL, "conf:3: \"bad\"");
	fclose(f);
	is_str(s, "{\"status\":3,\"error\":\"conf:3: \\\"bad\\\"\",\"domains\":[]}\n",
	    "json: a fatal error is a document too");
	free(s);

	report_free(&r[0]);
	report_free(&r[1]);
	ok(r[0].f == NULL && r[0].nf == 0 && r[0].policy == NULL,
	    "report_free leaves the report empty");
	sts_strlist_free(&warn);
	return done_testing();
}
