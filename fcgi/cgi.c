/*
 * CGI mode: one request, so only the one domain it names is read: its
 * file directly (the name is a validated host name), or, for an IDN, the
 * file named in U-labels whose A-label it is. A request for an unknown
 * domain costs one stat and no directory read.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "responder.h"

static void
log_warning(void *arg, const char *msg)
{
	(void)arg;
	logmsg("%s", msg);
}

/*
 * What sts_domain_list passes over in silence (shared/domain.c, kept in
 * step by hand): hidden files, editor backups, package manager leftovers.
 * Only the forms a valid host name can take matter here.
 */
static int
ignored_name(const char *name)
{
	static const char *const sfx[] = { ".swp", ".swo", ".swx", ".tmp",
	    ".bak", ".orig", ".rej", ".save", ".old" };
	static const char *const pfx[] = { "dpkg-", "rpm", "ucf-" };
	const char	*last;
	size_t		 len = strlen(name), i, sl;

	if (name[0] == '.')
		return 1;
	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		sl = strlen(sfx[i]);
		if (len >= sl && strcmp(name + len - sl, sfx[i]) == 0)
			return 1;
	}
	if ((last = strrchr(name, '.')) != NULL)
		for (i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
			if (strncmp(last + 1, pfx[i], strlen(pfx[i])) == 0)
				return 1;
	return 0;
}

int
cgi_load_domain(const char *conffile, const char *domain,
    struct resp_copy *out)
{
	struct sts_conf		 c;
	struct sts_certstore	*cs = NULL;
	struct sts_domain	 dom;
	struct sts_strlist	 list = { NULL, 0, 0 };
	struct stat		 sb;
	struct dirent		*de;
	DIR			*dir = NULL;
	const char		*fname = NULL;
	char			 err[STS_ERR_MAX], path[4096];
	char			 al[STS_HOST_MAX + 1], head[256];
	size_t			 i;
	int			 ret = -1, hl;

	memset(&c, 0, sizeof(c));
	memset(&dom, 0, sizeof(dom));
	if (sts_conf_load(conffile, &c, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		goto out;
	}
	ret = 0;
	/* domain is a validated LDH host name: no '/', no leading '.' */
	if (strchr(domain, '/') != NULL || domain[0] == '.' ||
	    ignored_name(domain))
		goto out;
	if (snprintf(path, sizeof(path), "%s/%s", c.domains, domain) >=
	    (int)sizeof(path))
		goto out;
	if (stat(path, &sb) == 0)
		fname = domain;
	else if (errno == ENOENT) {
		/*
		 * An IDN's file may be named with U-labels: look for it by
		 * its A-label among the names that are not ASCII. Only for
		 * a domain with an "xn--" label, so that a request for an
		 * unknown domain costs no directory read.
		 */
		if (strncmp(domain, "xn--", 4) != 0 &&
		    strstr(domain, ".xn--") == NULL)
			goto out;
		if ((dir = opendir(c.domains)) == NULL) {
			logmsg("%s: %s", c.domains, strerror(errno));
			goto out;
		}
		while (fname == NULL && (de = readdir(dir)) != NULL) {
			for (i = 0; de->d_name[i] != '\0' &&
			    (unsigned char)de->d_name[i] < 0x80; i++)
				;
			if (de->d_name[i] == '\0' || de->d_name[0] == '.' ||
			    sts_host_to_alabel(de->d_name, 0, al, sizeof(al),
			    err, sizeof(err)) == -1 || strcmp(al, domain) != 0)
				continue;
			if (sts_strlist_add(&list, de->d_name) == -1) {
				logmsg("out of memory");
				ret = -1;
				goto out;
			}
			fname = list.v[0];
		}
		if (fname == NULL)
			goto out;
	} else {
		logmsg("%s: %s", path, strerror(errno));
		goto out;
	}
	if ((cs = sts_certstore_new(log_warning, NULL)) == NULL) {
		logmsg("out of memory");
		ret = -1;
		goto out;
	}
	if (sts_domain_load(&c, cs, c.domains, fname, &dom, err,
	    sizeof(err)) == -1) {
		logmsg("%s", err);
		goto out;
	}
	if (strcmp(dom.name, domain) != 0)
		goto out;
	if ((hl = resp_head(head, sizeof(head), dom.textlen)) == -1 ||
	    (out->buf = malloc(hl + dom.textlen)) == NULL) {
		logmsg("out of memory");
		ret = -1;
		goto out;
	}
	out->cap = out->len = hl + dom.textlen;
	out->headlen = hl;
	memcpy(out->buf, head, hl);
	memcpy(out->buf + hl, dom.text, dom.textlen);
	ret = 1;
out:
	if (dir != NULL)
		closedir(dir);
	sts_domain_free(&dom);
	sts_certstore_free(cs);
	sts_strlist_free(&list);
	sts_conf_free(&c);
	return ret;
}
