/* SPDX-License-Identifier: ISC */
/*
 * fmtfeed FORMAT: the checker's report writers (checker/formats.c and
 * fmt_*.c) fed hostile values, for tests/90-formats-hostile.t, which reads
 * what comes out with the format's own consumer (the prometheus_client
 * parser, Python's csv and json modules, Chromium's DOM).
 *
 * Three domains, in this order, each with the findings below; the names
 * are what a crafted domain file name or MX record could bring (the
 * configuration refuses them today; the writers must not rely on that):
 *
 *   a\b"c<LF>d<0xff>e.test		  backslash, quote, newline, a non-UTF-8 byte
 *   <script>document.title='pwned'</script>.test
 *   plain.test				  one finding per code whose host the JSON names
 *
 * folded last first, as when the first domain is the slowest: the others
 * go through the spool. And two MX hosts for the per-host families: mx"1\<LF>x<0xfe>.test (no
 * STARTTLS) and mx2.test (a certificate expiring at 2000000000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const names[] = {
	"a\\b\"c\nd\xff" "e.test",
	"<script>document.title='pwned'</script>.test",
	"plain.test",
};

/* a finding as the writers see it, message as given (no report_add cleaning) */
static void
raw(struct report *r, enum level level, const char *code, const char *msg)
{
	struct finding *f = NULL;

	if ((f = reallocarray(r->f, r->nf + 1, sizeof(*f))) == NULL)
		exit(3);
	r->f = f;
	f = &r->f[r->nf++];
	r->capf = r->nf;
	memset(f, 0, sizeof(*f));
	f->level = level;
	(void)snprintf(f->code, sizeof(f->code), "%s", code);
	if ((f->msg = strdup(msg)) == NULL)
		exit(3);
	if (level > r->worst)
		r->worst = level;
}

int
main(int argc, char *argv[])
{
	static struct opts o;
	static struct run run;
	struct smtp_result res;
	char err[STS_ERR_MAX];
	size_t i;
	int status;

	if (argc != 2 || fmt_parse(argv[1], &o.format) == -1 ||
	    o.format == FMT_TEXT) {
		fprintf(stderr, "usage: fmtfeed json|jsonl|csv|prometheus|html\n");
		return 2;
	}
	o.cmd = CMD_CHECK;
	o.json = 1;
	run_init(&run, &o);
	run.now = 1800000000;
	run.conf.resolver = strdup("127.0.0.53:5353");
	if (run.conf.resolver == NULL || pool_init(&run) == -1 ||
	    (run.jobs = calloc(3, sizeof(*run.jobs))) == NULL)
		return 3;
	run.njobs = 3;
	for (i = 0; i < run.njobs; i++) {
		if ((run.jobs[i].file = strdup(names[i])) == NULL ||
		    job_name(&run.jobs[i], names[i]) == -1)
			return 3;
		run.jobs[i].selected = 1;
	}
	/* CSV: CR and LF alone in one field; a quote (the name) and a comma in others */
	raw(&run.jobs[0].r, L_ERROR, "https.status", "line one\r\nline two\rthree\n");
	raw(&run.jobs[1].r, L_WARN, "https.policy.parse",
	    "<script>document.title='pwned'</script><b>bold</b>, & more");
	raw(&run.jobs[2].r, L_ERROR, "smtp.cert", "MX mx9.example.net: certificate "
	    "not acceptable: certificate verify failed");
	raw(&run.jobs[2].r, L_ERROR, "https.address.lags", "mta-sts.plain.test "
	    "2001:db8::10: connection refused; every address of mta-sts.plain.test "
	    "must serve the policy before its id is published");
	raw(&run.jobs[2].r, L_WARN, "dns.txt.missing", "_mta-sts.plain.test: "
	    "no record, 20261201000000 expected");
	raw(&run.jobs[2].r, L_WARN, "tlsrpt.missing", "_smtp._tls.plain.test: "
	    "no record");
	raw(&run.jobs[2].r, L_ERROR, "dns.resolver", "127.0.0.53:5353: "
	    "connection refused");
	raw(&run.jobs[2].r, L_ERROR, "config.invalid", "plain.test:1: unknown key");

	memset(&res, 0, sizeof(res));
	smtp_put(&run, "mx\"1\\\nx\xfe.test", -1, &res, "no STARTTLS");
	res.starttls = res.cert_ok = 1;
	res.cert_expires = 2000000000;
	smtp_put(&run, "mx2.test", 0, &res, "");

	if (fmt_open(&run, err, sizeof(err)) == -1) {
		fprintf(stderr, "fmtfeed: %s\n", err);
		return 3;
	}
	/*
	 * as in a run (streamed), the last first: the later domains wait in
	 * the spool (formats.c) and come out in domain order
	 */
	run.stream = 1;
	for (i = run.njobs; i-- > 0; )
		out_fold(&run, &run.jobs[i]);
	status = run.nerr ? 2 : run.nwarn ? 1 : 0;
	if (fmt_close(&run, status, err, sizeof(err)) == -1) {
		fprintf(stderr, "fmtfeed: %s\n", err);
		return 3;
	}
	run_free(&run);
	return 0;
}
