/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check report [--since DAYS] [DOMAIN ...]
 *
 * What the stored TLS-RPT reports say, per domain, over a window (default
 * the domain's max_age or 7 days, whichever is longer), and whether a
 * domain in testing is ready for enforce.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tlsrpt.h"

#define SINCE_MAX	3650	/* days */

static void
report_usage(FILE *fp)
{
	fprintf(fp, "usage: mta-sts-check [-c FILE] report [--since DAYS] "
	    "[DOMAIN ...]\n");
}

static int
one(const struct sts_conf *conf, struct sts_certstore *store,
    const char *file, const char *name, unsigned long since, time_t now)
{
	struct sts_domain d;
	struct summary_in in;
	char err[STS_ERR_MAX];
	int ret = 0;

	memset(&d, 0, sizeof(d));
	memset(&in, 0, sizeof(in));
	in.domain = name;
	in.now = now;
	if (file != NULL && sts_domain_load(conf, store, conf->domains, file, &d,
	    err, sizeof(err)) == 0) {
		in.mode = d.policy.mode;
		in.max_age = d.policy.max_age;
		in.policy = d.text;
	} else {
		if (file != NULL)
			fprintf(stderr, "mta-sts-check: %s; the reports are "
			    "summarised without the served policy\n", err);
		in.mode = conf->dflt.mode;
		in.max_age = conf->dflt.max_age;
		ret = 1;
	}
	in.window = since > 0 ? since * 86400 :
	    (in.max_age > 7 * 86400 ? in.max_age : 7 * 86400);
	if (reports_summary(conf->state, &in, stdout, err, sizeof(err)) == -1) {
		fprintf(stderr, "mta-sts-check: %s: %s\n", name, err);
		ret = 2;
	}
	sts_domain_free(&d);
	return ret;
}

int
cmd_report(int argc, char **argv, const struct sts_conf *conf)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sts_strlist files = { 0 }, alabels = { 0 };
	struct sts_certstore *store = NULL;
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1], *ep;
	unsigned long since = 0;
	time_t now = time(NULL);
	int ch, i, ret = 0, rc;
	size_t k;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			errno = 0;
			since = strtoul(optarg, &ep, 10);
			if (errno != 0 || ep == optarg || *ep != '\0' ||
			    optarg[0] == '-' || since < 1 || since > SINCE_MAX) {
				fprintf(stderr, "mta-sts-check: --since takes a "
				    "number of days from 1 to %d\n", SINCE_MAX);
				return 3;
			}
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return 3;
		}
	}
	argc -= optind;
	argv += optind;
	if (sts_domain_list(conf->domains, &files, NULL, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mta-sts-check: %s\n", err);
		return 3;
	}
	for (k = 0; k < files.n; k++) {
		if (sts_host_to_alabel(files.v[k], 0, a, sizeof(a), err,
		    sizeof(err)) == -1)
			(void)snprintf(a, sizeof(a), "%s", files.v[k]);
		if (sts_strlist_add(&alabels, a) == -1)
			goto oom;
	}
	if ((store = sts_certstore_new(NULL, NULL)) == NULL)
		goto oom;
	if (argc == 0) {
		for (k = 0; k < files.n; k++) {
			rc = one(conf, store, files.v[k], alabels.v[k], since, now);
			ret = rc > ret ? rc : ret;
		}
	}
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		char *tmp = strdup(argv[i]);

		if (tmp == NULL)
			goto oom;
		if (n > 1 && tmp[n - 1] == '.')
			tmp[n - 1] = '\0';
		rc = sts_host_to_alabel(tmp, 0, a, sizeof(a), err, sizeof(err));
		free(tmp);
		if (rc == -1) {
			fprintf(stderr, "mta-sts-check: %s\n", err);
			ret = 3;
			continue;
		}
		for (k = 0; k < alabels.n; k++)
			if (strcmp(alabels.v[k], a) == 0)
				break;
		if (k == alabels.n) {
			(void)sts_domain_missing(conf->domains, argv[i], err,
			    sizeof(err));
			fprintf(stderr, "mta-sts-check: %s\n", err);
			ret = 3;
			continue;
		}
		rc = one(conf, store, files.v[k], a, since, now);
		ret = rc > ret ? rc : ret;
	}
	goto out;
 oom:
	fprintf(stderr, "mta-sts-check: out of memory\n");
	ret = 3;
 out:
	sts_certstore_free(store);
	sts_strlist_free(&files);
	sts_strlist_free(&alabels);
	return ret;
}

int
tlsrpt_conf_run(const char *conffile, int failrc,
    int (*cmd)(int, char **, const struct sts_conf *), int argc, char **argv)
{
	struct sts_conf conf;
	char err[STS_ERR_MAX];
	int ret;

	sts_conf_defaults(&conf);
	if (sts_conf_load(conffile != NULL ? conffile : STS_CONF_DEFAULT, &conf,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "mta-sts-check: %s\n", err);
		sts_conf_free(&conf);
		return failrc;
	}
	ret = cmd(argc, argv, &conf);
	sts_conf_free(&conf);
	return ret;
}

/* Entry from main.c: argv[0] is "report". */
int
report_main(const char *conffile, int argc, char **argv)
{
	return tlsrpt_conf_run(conffile, 3, cmd_report, argc, argv);
}
