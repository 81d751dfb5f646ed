/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check ingest [--maildir DIR | --spool DIR] [FILE ...]
 *
 * Stores TLS-RPT reports: whole mail messages (a pipe alias reads one on
 * stdin), bare .json and .json.gz files, every new message of a Maildir,
 * every file of the responder's spool directory. Exit codes are those of
 * sysexits(3), so an MTA defers (75) rather than drops a report, and does
 * not retry a malformed one (65) forever.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "tlsrpt.h"
#include "util.h"

struct ingest {
	const struct sts_conf	*conf;
	struct sts_strlist	 served;
	int			 verbose;
};

/* 0 read, 1 too large (drained), -1 read error */
static int
read_all(int fd, char **out, size_t *outlen)
{
	char sink[65536];
	ssize_t r;

	if (sts_read_fd(fd, TLSRPT_INPUT_MAX, 0, out, outlen) == 0)
		return 0;
	if (errno != EFBIG)
		return -1;
	/* drain, so the MTA sees the whole message read */
	while ((r = read(fd, sink, sizeof(sink))) != 0)
		if (r == -1 && errno != EINTR)
			break;
	return 1;
}

static int
looks_json(const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r' && b[i] != '\n')
			return b[i] == '{' || b[i] == '[';
	return 0;
}

/* one input, already read: EX_OK, EX_DATAERR or EX_TEMPFAIL */
static int
ingest_buf(struct ingest *in, const char *name, const char *buf, size_t len)
{
	char err[STS_ERR_MAX], b[96], o[96], *part = NULL;
	size_t plen;
	struct tlsrpt r;
	enum store_rc rc;
	int ret;

	memset(&r, 0, sizeof(r));
	if (tlsrpt_is_gzip(buf, len) || looks_json(buf, len)) {
		if (tlsrpt_decode(buf, len, &r, err, sizeof(err)) == -1)
			goto bad;
	} else {
		if (tlsrpt_from_mime(buf, len, &part, &plen, err,
		    sizeof(err)) == -1)
			goto bad;
		ret = tlsrpt_decode(part, plen, &r, err, sizeof(err));
		free(part);
		if (ret == -1)
			goto bad;
	}
	if (r.end + (time_t)in->conf->report_keep * 86400 < time(NULL)) {
		printf("%s: report-id %s from %s: ended more than report-keep "
		    "(%u days) ago; not stored\n", name, sts_escape(b, sizeof(b),
		    r.id, strlen(r.id)), sts_escape(o, sizeof(o), r.org,
		    strlen(r.org)), in->conf->report_keep);
		tlsrpt_free(&r);
		return EX_OK;
	}
	rc = reports_store(in->conf->state, &r, &in->served, err, sizeof(err));
	switch (rc) {
	case STORE_NEW:
	case STORE_DUP:
		printf("%s: report-id %s from %s: %s%s%s\n", name,
		    sts_escape(b, sizeof(b), r.id, strlen(r.id)),
		    sts_escape(o, sizeof(o), r.org, strlen(r.org)),
		    rc == STORE_NEW ? "stored" : "already stored",
		    err[0] != '\0' ? "; " : "", err);
		ret = EX_OK;
		break;
	case STORE_BAD:
		fprintf(stderr, "mta-sts-check: %s: %s\n", name, err);
		ret = EX_DATAERR;
		break;
	default:
		fprintf(stderr, "mta-sts-check: %s: %s; try again later\n",
		    name, err);
		ret = EX_TEMPFAIL;
		break;
	}
	tlsrpt_free(&r);
	return ret;
 bad:
	fprintf(stderr, "mta-sts-check: %s: %s\n", name, err);
	tlsrpt_free(&r);
	return EX_DATAERR;
}

static int
ingest_fd(struct ingest *in, const char *name, int fd)
{
	char *buf = NULL;
	size_t len = 0;
	int rc, ret;

	rc = read_all(fd, &buf, &len);
	if (rc == 1) {
		fprintf(stderr, "mta-sts-check: %s: larger than %lu bytes; "
		    "refused\n", name, TLSRPT_INPUT_MAX);
		return EX_DATAERR;
	}
	if (rc == -1) {
		fprintf(stderr, "mta-sts-check: %s: cannot read: %s\n", name,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	ret = ingest_buf(in, name, buf, len);
	free(buf);
	return ret;
}

static int
ingest_path(struct ingest *in, const char *path)
{
	char e[STS_ERR_MAX];
	int fd, ret;

	/* a FIFO or a device at the path is refused, never waited on */
	if ((fd = sts_open_file(AT_FDCWD, path, O_RDONLY | O_NOFOLLOW, 0, NULL,
	    e, sizeof(e))) == -1) {
		fprintf(stderr, "mta-sts-check: %s; cannot ingest it\n", e);
		return errno == ENOENT || errno == ELOOP || errno == EISDIR ||
		    errno == EINVAL ? EX_NOINPUT : EX_TEMPFAIL;
	}
	ret = ingest_fd(in, path, fd);
	close(fd);
	return ret;
}

/* the worse of two exit codes: temporary failure over data error over ok */
static int
worse(int a, int b)
{
	if (a == EX_TEMPFAIL || b == EX_TEMPFAIL)
		return EX_TEMPFAIL;
	return a != EX_OK ? a : b;
}

static int
sorted_names(const char *dir, struct sts_strlist *names)
{
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.' || (n > 4 &&
		    (strcmp(de->d_name + n - 4, ".bad") == 0 ||
		    strcmp(de->d_name + n - 4, ".tmp") == 0)))
			continue;
		if (sts_strlist_add(names, de->d_name) == -1) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	sts_strlist_sort_uniq(names);
	return 0;
}

/*
 * Maildir: new/NAME, once stored (or a duplicate), goes to cur/NAME:2,S;
 * a malformed one to cur/NAME:2, (unread, for a person to look at); one
 * that could not be stored stays in new/ for the next run.
 */
static int
ingest_maildir(struct ingest *in, const char *dir)
{
	struct sts_strlist names = { 0 };
	char nd[4096], from[4096], to[4096];
	size_t i;
	int ret = EX_OK, rc;

	if ((size_t)snprintf(nd, sizeof(nd), "%s/new", dir) >= sizeof(nd) ||
	    sorted_names(nd, &names) == -1) {
		fprintf(stderr, "mta-sts-check: %s: not a readable Maildir: %s\n",
		    dir, strerror(errno));
		sts_strlist_free(&names);
		return EX_NOINPUT;
	}
	for (i = 0; i < names.n; i++) {
		if ((size_t)snprintf(from, sizeof(from), "%s/%s", nd,
		    names.v[i]) >= sizeof(from))
			continue;
		rc = ingest_path(in, from);
		if (rc == EX_NOINPUT)
			continue;		/* gone meanwhile */
		ret = worse(ret, rc);
		if (rc == EX_TEMPFAIL)
			continue;
		if ((size_t)snprintf(to, sizeof(to), "%s/cur/%s:2,%s", dir,
		    names.v[i], rc == EX_OK ? "S" : "") >= sizeof(to))
			continue;
		if (rename(from, to) == -1) {
			fprintf(stderr, "mta-sts-check: %s: cannot move to %s: "
			    "%s\n", from, to, strerror(errno));
			ret = worse(ret, EX_TEMPFAIL);
		}
	}
	sts_strlist_free(&names);
	return ret;
}

/*
 * Spool (the responder's HTTPS POST bodies): a stored file is removed; a
 * malformed one is renamed NAME.bad and kept; one that could not be
 * stored stays for the next run.
 */
static int
ingest_spool(struct ingest *in, const char *dir)
{
	struct sts_strlist names = { 0 };
	char from[4096], to[4200];
	size_t i;
	int ret = EX_OK, rc;

	if (sorted_names(dir, &names) == -1) {
		fprintf(stderr, "mta-sts-check: %s: cannot read the spool "
		    "directory: %s\n", dir, strerror(errno));
		sts_strlist_free(&names);
		return EX_NOINPUT;
	}
	for (i = 0; i < names.n; i++) {
		if ((size_t)snprintf(from, sizeof(from), "%s/%s", dir,
		    names.v[i]) >= sizeof(from))
			continue;
		rc = ingest_path(in, from);
		if (rc == EX_NOINPUT)
			continue;
		ret = worse(ret, rc);
		if (rc == EX_OK && unlink(from) == -1)
			fprintf(stderr, "mta-sts-check: %s: cannot remove: %s\n",
			    from, strerror(errno));
		if (rc == EX_DATAERR) {
			(void)snprintf(to, sizeof(to), "%s.bad", from);
			if (rename(from, to) == -1)
				fprintf(stderr, "mta-sts-check: %s: cannot "
				    "rename: %s\n", from, strerror(errno));
		}
	}
	sts_strlist_free(&names);
	return ret;
}

/* the A-labels of the domains we serve */
static int
served_domains(const struct sts_conf *conf, struct sts_strlist *out)
{
	struct sts_strlist files = { 0 };
	char err[STS_ERR_MAX], a[STS_HOST_MAX + 1];
	size_t i;

	if (sts_domain_list(conf->domains, &files, NULL, NULL, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "mta-sts-check: %s\n", err);
		return -1;
	}
	for (i = 0; i < files.n; i++)
		if (sts_host_to_alabel(files.v[i], 0, a, sizeof(a), err,
		    sizeof(err)) == 0 && sts_strlist_add(out, a) == -1) {
			sts_strlist_free(&files);
			return -1;
		}
	sts_strlist_free(&files);
	sts_strlist_sort_uniq(out);
	return 0;
}

static void
ingest_usage(FILE *fp)
{
	fprintf(fp, "usage: mta-sts-check [-c FILE] ingest [--maildir DIR] "
	    "[--spool DIR] [FILE ...]\n");
}

int
cmd_ingest(int argc, char **argv, const struct sts_conf *conf)
{
	static const struct option longopts[] = {
		{ "maildir", required_argument, NULL, 'm' },
		{ "spool", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sts_strlist maildirs = { 0 }, spools = { 0 };
	struct ingest in;
	char err[STS_ERR_MAX];
	int ch, i, ret = EX_OK;
	size_t k;

	memset(&in, 0, sizeof(in));
	in.conf = conf;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (sts_strlist_add(&maildirs, optarg) == -1)
				return EX_TEMPFAIL;
			break;
		case 's':
			if (sts_strlist_add(&spools, optarg) == -1)
				return EX_TEMPFAIL;
			break;
		case 'h':
			ingest_usage(stdout);
			return EX_OK;
		default:
			ingest_usage(stderr);
			return EX_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (served_domains(conf, &in.served) == -1) {
		ret = EX_TEMPFAIL;
		goto out;
	}
	for (k = 0; k < maildirs.n; k++)
		ret = worse(ret, ingest_maildir(&in, maildirs.v[k]));
	for (k = 0; k < spools.n; k++)
		ret = worse(ret, ingest_spool(&in, spools.v[k]));
	for (i = 0; i < argc; i++)
		ret = worse(ret, strcmp(argv[i], "-") == 0 ?
		    ingest_fd(&in, "stdin", 0) : ingest_path(&in, argv[i]));
	if (argc == 0 && maildirs.n == 0 && spools.n == 0)
		ret = ingest_fd(&in, "stdin", 0);
	if (reports_prune(conf->state, conf->report_keep, time(NULL), err,
	    sizeof(err)) == -1)
		fprintf(stderr, "mta-sts-check: %s\n", err);
 out:
	fflush(stdout);
	sts_strlist_free(&in.served);
	sts_strlist_free(&maildirs);
	sts_strlist_free(&spools);
	return ret;
}

/*
 * Entry from main.c (in mta-sts-ingest): argv[0] is "ingest". The
 * configuration is loaded here so that ingest can answer EX_TEMPFAIL (the
 * MTA defers) rather than the checker's 3 when it cannot be read.
 */
int
ingest_main(const char *conffile, int argc, char **argv)
{
	return tlsrpt_conf_run(conffile, EX_TEMPFAIL, cmd_ingest, argc, argv);
}
