/* SPDX-License-Identifier: ISC */
/*
 * netprobe: a test driver for the checker's network primitives
 * (shared/dns.c, dns_ask.c, conn.c, https.c and checker/smtp.c), one call per run,
 * results as "key=value" lines on stdout. Linked with the checker's
 * objects (checker/libcheck.a) by a GNUmakefile rule.
 *
 *	netprobe [-s server] [-t timeout] [-C ca-file] txt NAME [NAME ...]
 *	netprobe ... mx DOMAIN | zone NAME | addrs HOST
 *	netprobe ... auth ZONE NAME WANT
 *	netprobe ... https DOMAIN | smtp HOST
 *	netprobe ... stress THREADS ROUNDS DOMAIN MXHOST
 *
 * stress: THREADS threads at once, each with its own resolver, each doing
 * ROUNDS times a TXT lookup, a policy fetch and an SMTP check, as
 * mta-sts-check -j does; prints how many calls worked and failed.
 *
 * txt with several names: each in turn through the same resolver (as a
 * checker's worker asks), each answer after a "name=NAME" line; the exit
 * status is 1 when any lookup failed.
 *
 * Exit 0 when the call returned 0, 1 when it returned -1 (with an
 * "error=" line), 2 on usage errors.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

struct stress {
	pthread_t	 tid;
	const char	*server, *ca, *domain, *mx;
	unsigned	 timeout;
	long		 rounds;
	int		 ok, fail;
	char		 err[STS_ERR_MAX];
};

static void *
stress_run(void *arg)
{
	struct stress		*st = arg;
	struct sts_strlist	 l = { 0 };
	struct fetch		 f;
	struct smtp_result	 sr;
	struct dns		*d;
	char			 name[300], err[STS_ERR_MAX];
	long			 i;

	if ((d = dns_open(st->server, st->timeout, st->err,
	    sizeof(st->err))) == NULL) {
		st->fail++;
		return NULL;
	}
	snprintf(name, sizeof(name), "_mta-sts.%s", st->domain);
	for (i = 0; i < st->rounds; i++) {
		if (dns_txt(d, name, &l, err, sizeof(err)) == 0 && l.n == 1)
			st->ok++;
		else {
			st->fail++;
			snprintf(st->err, sizeof(st->err), "%s", err);
		}
		sts_strlist_free(&l);
		if (https_fetch(d, st->domain, NULL, st->ca, st->timeout, &f, err,
		    sizeof(err)) == 0)
			st->ok++;
		else {
			st->fail++;
			snprintf(st->err, sizeof(st->err), "%s", err);
		}
		fetch_free(&f);
		if (smtp_check(d, st->mx, st->ca, st->timeout, &sr, err,
		    sizeof(err)) == 0 && sr.cert_ok)
			st->ok++;
		else {
			st->fail++;
			snprintf(st->err, sizeof(st->err), "%s", err);
		}
	}
	dns_close(d);
	return NULL;
}

static int
stress(const char *server, const char *ca, unsigned timeout, char *argv[])
{
	struct stress	*st;
	long		 n, rounds, i;
	int		 ok = 0, fail = 0;
	char		*ep;

	n = strtol(argv[1], &ep, 10);
	if (*argv[1] == '\0' || *ep != '\0' || n < 1 || n > 256)
		return 2;
	rounds = strtol(argv[2], &ep, 10);
	if (*argv[2] == '\0' || *ep != '\0' || rounds < 1 || rounds > 10000)
		return 2;
	if ((st = calloc(n, sizeof(*st))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		st[i].server = server;
		st[i].ca = ca;
		st[i].timeout = timeout;
		st[i].rounds = rounds;
		st[i].domain = argv[3];
		st[i].mx = argv[4];
		if (pthread_create(&st[i].tid, NULL, stress_run, &st[i]) != 0) {
			n = i;
			fail++;
			break;
		}
	}
	for (i = 0; i < n; i++) {
		pthread_join(st[i].tid, NULL);
		ok += st[i].ok;
		fail += st[i].fail;
		if (st[i].fail)
			printf("error=%s\n", st[i].err);
	}
	printf("ok=%d\nfail=%d\n", ok, fail);
	free(st);
	return fail ? 1 : 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: netprobe [-s server] [-t timeout] [-C ca-file] "
	    "txt|mx|zone|addrs|auth|https|smtp ARGS...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct sts_strlist	 l = { 0 };
	struct dns		*d = NULL;
	struct mx		*mx = NULL;
	struct fetch		 f;
	struct smtp_result	 sr;
	const char		*server = NULL, *ca = NULL, *cmd;
	char			 err[STS_ERR_MAX], esc[1024], zone[300], prim[300];
	unsigned		 timeout = 5;
	size_t			 i, n = 0;
	int			 ch, k, rc = -1;
	long			 t;
	char			*ep;

	/* no SIGPIPE handling here: the transport must cope by itself */
	while ((ch = getopt(argc, argv, "s:t:C:")) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 't':
			t = strtol(optarg, &ep, 10);
			if (*optarg == '\0' || *ep != '\0' || t < 1 || t > 600)
				usage();
			timeout = (unsigned)t;
			break;
		case 'C':
			ca = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	cmd = argv[0];
	err[0] = '\0';
	if (strcmp(cmd, "stress") == 0) {
		if (argc != 5 || (rc = stress(server, ca, timeout, argv)) == 2)
			usage();
		conn_tls_cleanup();
		return rc;
	}
	if ((d = dns_open(server, timeout, err, sizeof(err))) == NULL) {
		printf("error=%s\n", err);
		return 1;
	}
	if (strcmp(cmd, "txt") == 0 && argc >= 2) {
		rc = 0;
		for (k = 1; k < argc; k++) {
			if (argc > 2)
				printf("name=%s\n", argv[k]);
			sts_strlist_free(&l);
			if (dns_txt(d, argv[k], &l, err, sizeof(err)) == 0) {
				printf("count=%zu\n", l.n);
				for (i = 0; i < l.n; i++)
					printf("txt=%s\n", sts_escape(esc,
					    sizeof(esc), l.v[i], strlen(l.v[i])));
			} else if (argc > 2) {
				printf("error=%s\n", err);
				rc = -2;	/* printed: exit 1 */
			} else
				rc = -1;
		}
	} else if (strcmp(cmd, "mx") == 0 && argc == 2) {
		if ((rc = dns_mx(d, argv[1], &mx, &n, err, sizeof(err))) == 0) {
			printf("count=%zu\n", n);
			for (i = 0; i < n; i++)
				printf("mx=%u %s\n", mx[i].pref,
				    mx[i].host[0] ? mx[i].host : ".");
		}
	} else if (strcmp(cmd, "zone") == 0 && argc == 2) {
		if ((rc = dns_zone(d, argv[1], zone, sizeof(zone), prim,
		    sizeof(prim), err, sizeof(err))) == 0)
			printf("zone=%s\nprimary=%s\n", zone, prim);
	} else if (strcmp(cmd, "addrs") == 0 && argc == 2) {
		if ((rc = dns_addrs(d, argv[1], &l, err, sizeof(err))) == 0) {
			printf("count=%zu\n", l.n);
			for (i = 0; i < l.n; i++)
				printf("addr=%s\n", l.v[i]);
		}
	} else if (strcmp(cmd, "auth") == 0 && argc == 4) {
		if ((rc = dns_check_auth(d, argv[1], argv[2], argv[3], err,
		    sizeof(err))) == 0)
			printf("auth=ok\n");
	} else if (strcmp(cmd, "https") == 0 && argc == 2) {
		rc = https_fetch(d, argv[1], NULL, ca, timeout, &f, err, sizeof(err));
		printf("status=%d\n", f.status);
		if (f.ctype[0])
			printf("ctype=%s\n", f.ctype);
		if (f.location[0])
			printf("location=%s\n", f.location);
		if (f.cert_expires)
			printf("expires=%lld\n", (long long)f.cert_expires);
		if (rc == 0) {
			printf("bodylen=%zu\n", f.bodylen);
			printf("body=%s\n", sts_escape(esc, sizeof(esc), f.body,
			    f.bodylen));
		}
		fetch_free(&f);
	} else if (strcmp(cmd, "smtp") == 0 && argc == 2) {
		rc = smtp_check(d, argv[1], ca, timeout, &sr, err, sizeof(err));
		printf("starttls=%d\ncert_ok=%d\n", sr.starttls, sr.cert_ok);
		if (sr.tls_version[0])
			printf("version=%s\n", sr.tls_version);
		if (sr.cert_expires)
			printf("expires=%lld\n", (long long)sr.cert_expires);
		if (rc == 0 && !sr.cert_ok)
			printf("certerror=%s\n", err);
	} else {
		dns_close(d);
		usage();
	}
	if (rc == -1)
		printf("error=%s\n", err);
	free(mx);
	sts_strlist_free(&l);
	dns_close(d);
	conn_tls_cleanup();
	return rc == 0 ? 0 : 1;
}
