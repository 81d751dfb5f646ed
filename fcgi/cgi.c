/* SPDX-License-Identifier: ISC */
/*
 * CGI mode: one request from the environment, answered on stdout. Only
 * the one domain it names is read: its file directly (the name is a
 * validated host name), or, for an IDN, the file named in U-labels whose
 * A-label it is. A request for an unknown domain costs one stat and no
 * directory read.
 *
 * The last good policies (lastgood.c) are kept as in FastCGI mode, in
 * -L, MTA_STS_LAST_GOOD, else "last-good" beside the program when the
 * configuration is there (shared hosting), else LASTGOOD_DEFAULT: a
 * policy served is written there when it changed; a domain whose file
 * (or the configuration) cannot be read serves its copy; a domain whose
 * file is gone loses it.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

#define DRAIN_MAX	(1 << 20)
#define BODY_WAIT	5		/* seconds for each read of a body */

/*
 * The file of domain in c->domains: 1 and *fname (domain itself, or a
 * name kept in list), 0 none, -1 error (logged).
 */
static int
find_file(const struct sts_conf *c, const char *domain,
    struct sts_strlist *list, const char **fname)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*dir = NULL;
	char		 path[4096], al[STS_HOST_MAX + 1], err[STS_ERR_MAX];
	size_t		 i;
	int		 ret = 0;

	*fname = NULL;
	/* domain is a validated LDH host name: no '/', no leading '.' */
	if (strchr(domain, '/') != NULL || domain[0] == '.' ||
	    sts_domain_ignored(domain))
		goto out;
	if (snprintf(path, sizeof(path), "%s/%s", c->domains, domain) >=
	    (int)sizeof(path))
		goto out;
	if (stat(path, &sb) == 0) {
		*fname = domain;
		ret = 1;
		goto out;
	}
	if (errno != ENOENT) {
		logmsg("%s: %s", path, strerror(errno));
		goto out;
	}
	/*
	 * An IDN's file may be named with U-labels: look for it by its
	 * A-label among the names that are not ASCII. Only for a domain
	 * with an "xn--" label, so that a request for an unknown domain
	 * costs no directory read.
	 */
	if (strncmp(domain, "xn--", 4) != 0 && strstr(domain, ".xn--") == NULL)
		goto out;
	if ((dir = opendir(c->domains)) == NULL) {
		logmsg("%s: %s", c->domains, strerror(errno));
		goto out;
	}
	while (*fname == NULL && (de = readdir(dir)) != NULL) {
		for (i = 0; de->d_name[i] != '\0' &&
		    (unsigned char)de->d_name[i] < 0x80; i++)
			;
		if (de->d_name[i] == '\0' || de->d_name[0] == '.' ||
		    sts_host_to_alabel(de->d_name, 0, al, sizeof(al), err,
		    sizeof(err)) == -1 || strcmp(al, domain) != 0)
			continue;
		if (sts_strlist_add(list, de->d_name) == -1) {
			logmsg("out of memory");
			ret = -1;
			goto out;
		}
		*fname = list->v[0];
		ret = 1;
	}
out:
	if (dir != NULL)
		closedir(dir);
	return ret;
}

struct cgi {
	const char	*conffile;
	int		 lgfd;		/* the last good policies, or -1 */
};

/* domain's last good policy into out: 1, or 0 none. */
static int
serve_kept(const struct cgi *cg, const char *domain, struct resp_copy *out)
{
	char	*text = NULL, head[256];
	size_t	 len;
	int	 hl, ret = 0;

	if (lastgood_get(cg->lgfd, domain, &text, &len) != 1)
		return 0;
	if ((hl = http_head(head, sizeof(head), "200 OK", "", len)) == -1 ||
	    resp_set(out, head, hl, text, len) == -1)
		logmsg("out of memory");
	else {
		logmsg("%s: serving the last good policy kept from before",
		    domain);
		ret = 1;
	}
	free(text);
	return ret;
}

/* A lookup_fn that loads only the named domain; arg is a struct cgi. */
static int
load_domain(void *arg, const char *domain, struct resp_copy *out)
{
	const struct cgi	*cg = arg;
	const char		*conffile = cg->conffile, *fname = NULL;
	struct sts_conf		 c;
	struct sts_certstore	*cs = NULL;
	struct sts_domain	 dom;
	struct sts_strlist	 list = { NULL, 0, 0 };
	char			 err[STS_ERR_MAX], head[256];
	int			 ret = -1, hl;

	memset(&c, 0, sizeof(c));
	memset(&dom, 0, sizeof(dom));
	if (sts_conf_load(conffile, &c, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		if (serve_kept(cg, domain, out) == 1)
			ret = 1;
		goto out;
	}
	c.dflt.skip_publishing = 1;	/* the checker's keys: never a policy's */
	if ((ret = find_file(&c, domain, &list, &fname)) != 1) {
		if (ret == 0)
			lastgood_drop(cg->lgfd, domain);	/* gone */
		else if (serve_kept(cg, domain, out) == 1)
			ret = 1;
		goto out;
	}
	ret = -1;
	if ((cs = sts_certstore_new(log_warning, NULL)) == NULL) {
		logmsg("out of memory");
		goto out;
	}
	ret = 0;
	if (sts_domain_load(&c, cs, c.domains, fname, &dom, err,
	    sizeof(err)) == -1) {
		logmsg("%s", err);
		ret = serve_kept(cg, domain, out);
		goto out;
	}
	if (strcmp(dom.name, domain) != 0)
		goto out;
	if ((hl = http_head(head, sizeof(head), "200 OK", "",
	    dom.textlen)) == -1 ||
	    resp_set(out, head, hl, dom.text, dom.textlen) == -1) {
		logmsg("out of memory");
		ret = -1;
		goto out;
	}
	(void)lastgood_put(cg->lgfd, domain, dom.text, dom.textlen);
	ret = 1;
out:
	sts_domain_free(&dom);
	sts_certstore_free(cs);
	sts_strlist_free(&list);
	sts_conf_free(&c);
	return ret;
}

/*
 * A request body (a POST, answered 405) is read and thrown away first: a
 * web server still writing it to a CGI that has already exited gets EPIPE
 * and may drop the answer (Apache's mod_cgid does). At most 1 MiB; beyond
 * that the web server's own limits apply.
 */
static void
drain(const char *content_length, long long done)
{
	char		buf[8192];
	long long	left;
	ssize_t		n;

	if (content_length == NULL ||
	    sts_parse_num(content_length, 1, LLONG_MAX, 10, &left) == -1)
		return;
	if (left > DRAIN_MAX)
		left = DRAIN_MAX;
	left -= done;
	while (left > 0) {
		n = read(STDIN_FILENO, buf,
		    left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		left -= n;
	}
}

/* What was read of the body. */
struct body {
	long long	 done;
	int		 slow;		/* a read waited BODY_WAIT: not drained */
};

/* A body_fn over stdin, each read waiting BODY_WAIT seconds at most; arg a struct body. */
static ssize_t
cgi_body(void *arg, char *buf, size_t len)
{
	struct pollfd	 pfd = { STDIN_FILENO, POLLIN, 0 };
	struct body	*b = arg;
	ssize_t		 n;
	int		 r;

	for (;;) {
		if ((r = poll(&pfd, 1, BODY_WAIT * 1000)) == -1 &&
		    errno == EINTR)
			continue;
		if (r == 0) {
			b->slow = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		if ((n = read(STDIN_FILENO, buf, len)) == -1 && errno == EINTR)
			continue;
		if (n > 0)
			b->done += n;
		return n;
	}
}

/*
 * The spool of `reports` for a POST, opened before the sandbox: its
 * descriptor (-1: it cannot be opened, logged) and *dir; *dir NULL: none.
 */
static int
cgi_spool(const char *conffile, const struct request *rq, char **dir)
{
	struct sts_conf	 c;
	char		 err[STS_ERR_MAX];
	int		 fd = -1;

	*dir = NULL;
	if (strcmp(rq->method, "POST") != 0 && !http_is_tlsrpt(rq))
		return -1;
	memset(&c, 0, sizeof(c));
	if (sts_conf_load(conffile, &c, err, sizeof(err)) == -1)
		goto out;	/* said when the domain is looked up */
	if (c.reports == NULL)
		goto out;
	if ((*dir = strdup(c.reports)) == NULL) {
		logmsg("out of memory");
		goto out;
	}
	/* A spool that cannot be opened still routes /tlsrpt: 503. */
	fd = spool_open(*dir);
out:
	sts_conf_free(&c);
	return fd;
}

/* name beside the program, if there is one. */
static char *
beside(const char *argv0, const char *name)
{
	char	 self[PATH_MAX], *slash, *path = NULL;
	ssize_t	 n;

	if (argv0 != NULL && strchr(argv0, '/') != NULL &&
	    strlen(argv0) < sizeof(self))
		memcpy(self, argv0, strlen(argv0) + 1);
	else if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0)
		self[n] = '\0';
	else
		return NULL;
	if ((slash = strrchr(self, '/')) == NULL)
		return NULL;
	*slash = '\0';
	if (asprintf(&path, "%s/%s", self[0] ? self : "/", name) == -1)
		return NULL;
	if (access(path, R_OK) == -1) {
		free(path);
		return NULL;
	}
	return path;
}

int
cgi_run(const char *conffile, const char *lastgood, const char *argv0)
{
	struct request		 rq;
	struct resp_copy	 rc = { NULL, 0, 0, 0 };
	struct cgi		 cg;
	char			*conf = NULL, *lg = NULL, err[STS_ERR_MAX];
	char			*spdir = NULL;
	const char		*off = NULL;
	struct body		 body = { 0, 0 };
	size_t			 done = 0;
	ssize_t			 n;
	int			 st = 1;

	if ((rq.method = getenv("REQUEST_METHOD")) == NULL) {
		logmsg("no request: run me from a web server (CGI or "
		    "FastCGI), or give -s; see -h");
		goto out;
	}
	if (conffile == NULL && (conf = beside(argv0, "mta-sts.conf")) != NULL) {
		conffile = conf;
		if (lastgood == NULL)
			lastgood = lg = beside(argv0, "last-good");
	}
	if (conffile == NULL)
		conffile = STS_CONF_DEFAULT;
	cg.conffile = conffile;
	cg.lgfd = lastgood_open(lastgood != NULL ? lastgood :
	    LASTGOOD_DEFAULT, lg != NULL || lastgood == NULL);
	/*
	 * A shared host's kernel may have no seccomp: the request is still
	 * answered, and that is said. So is SANDBOX=0; the test builds'
	 * reasons (ASan, valgrind) are not said on every request.
	 */
	rq.nul = 0;
	rq.host = getenv("HTTP_HOST");
	rq.uri = getenv("REQUEST_URI");
	rq.script = getenv("SCRIPT_NAME");
	rq.pathinfo = getenv("PATH_INFO");
	rq.spoolfd = cgi_spool(conffile, &rq, &spdir);
	rq.tlsrpt = spdir != NULL;
	if (sandbox_enter(cg.lgfd, rq.spoolfd, err,
	    sizeof(err), &off) == -1)
		logmsg("%s", err);
	else if (off != NULL && strcmp(off, SANDBOX_OFF_ASKED) == 0)
		logmsg("serving without the seccomp sandbox: %s", off);
	rq.ctype = getenv("CONTENT_TYPE");
	rq.clen = getenv("CONTENT_LENGTH");
	rq.spooldir = spdir;
	rq.body = cgi_body;
	rq.bodyarg = &body;
	respond(&rq, load_domain, &cg, &rc);
	/* What is left of the body, so that the web server can finish. */
	if (!body.slow)
		drain(rq.clen, body.done);
	if (cg.lgfd != -1)
		close(cg.lgfd);
	if (rq.spoolfd != -1)
		close(rq.spoolfd);
	st = 0;
	while (done < rc.len) {
		if ((n = write(STDOUT_FILENO, rc.buf + done, rc.len - done)) == -1) {
			if (errno == EINTR)
				continue;
			st = 1;
			break;
		}
		done += n;
	}
out:
	free(spdir);
	free(conf);
	free(lg);
	free(rc.buf);
	return st;
}
