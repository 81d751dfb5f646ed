/*
 * publish.c: getting "v=STSv1; id=..." into _mta-sts.<domain>, by the
 * configured method:
 *
 *   rfc2136   one TSIG-signed UPDATE (libldns) that replaces the TXT RRset,
 *             sent to dns-server or the zone's primary (SOA MNAME)
 *   hook      the program named by `hook`, run directly (no shell) with the
 *             record in its environment, bounded in time
 *   zonefile  the whole include file of every domain's records, written
 *             atomically, then the `reload` command (sh -c)
 *   none      nothing: the caller tells the operator what to set
 *
 * The TSIG secret is never printed; only the key's name is. The text
 * side (records, key files) is in records.c, running programs in run.c.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "check.h"

extern char **environ;

#define OUTPUT_MAX	2048

static unsigned
program_timeout(const struct sts_conf *conf)
{
	unsigned t = conf->timeout ? conf->timeout : 10;

	return t > 600 ? 3600 : t * 6;
}

/* ---- hook -------------------------------------------------------------- */

static int
publish_hook(const struct sts_conf *conf, const struct sts_domain *d,
    const char *id, const char *old_id, char *err, size_t errlen)
{
	char e_dom[STS_HOST_MAX + 32], e_id[STS_ID_MAX + 16];
	char e_old[STS_ID_MAX + 32], e_rec[STS_ID_MAX + 64];
	char e_name[STS_HOST_MAX + 32], rec[STS_ID_MAX + 32];
	char out[OUTPUT_MAX], why[STS_ERR_MAX];
	char *argv[2] = { NULL, NULL };
	char **envp = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (conf->hook == NULL || conf->hook[0] == '\0')
		return sts_err(err, errlen, "publish = hook, but no hook is set "
		    "in %s", conf->file ? conf->file : "the configuration");
	if (conf->hook[0] != '/')
		return sts_err(err, errlen, "hook %s: not an absolute path",
		    conf->hook);
	if (access(conf->hook, X_OK) == -1)
		return sts_err(err, errlen, "hook %s: %s", conf->hook,
		    strerror(errno));
	if (sts_txt_record(id, rec, sizeof(rec)) == -1 ||
	    snprintf(e_dom, sizeof(e_dom), "MTA_STS_DOMAIN=%s", d->name) >=
	    (int)sizeof(e_dom) ||
	    snprintf(e_id, sizeof(e_id), "MTA_STS_ID=%s", id) >=
	    (int)sizeof(e_id) ||
	    snprintf(e_old, sizeof(e_old), "MTA_STS_OLD_ID=%s",
	    old_id ? old_id : "") >= (int)sizeof(e_old) ||
	    snprintf(e_rec, sizeof(e_rec), "MTA_STS_RECORD=%s", rec) >=
	    (int)sizeof(e_rec) ||
	    snprintf(e_name, sizeof(e_name), "MTA_STS_NAME=_mta-sts.%s",
	    d->name) >= (int)sizeof(e_name))
		return sts_err(err, errlen, "%s: record too long", d->name);

	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		;
	if ((envp = calloc(i + 6, sizeof(*envp))) == NULL)
		return sts_err(err, errlen, "out of memory");
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		if (strncmp(environ[i], "MTA_STS_", 8) != 0)
			envp[n++] = environ[i];
	envp[n++] = e_dom;
	envp[n++] = e_id;
	envp[n++] = e_rec;
	envp[n++] = e_old;
	envp[n++] = e_name;
	envp[n] = NULL;
	argv[0] = conf->hook;
	if (run_program(argv, envp, program_timeout(conf), out, sizeof(out),
	    why, sizeof(why)) == -1) {
		sts_err(err, errlen, "hook %s", why);
		goto out;
	}
	/* success: pass what it said on, for -v */
	(void)snprintf(err, errlen, "%s", out);
	rc = 0;
 out:
	free(envp);
	return rc;
}

/* ---- RFC 2136 ---------------------------------------------------------- */

static int
push_addr(ldns_resolver *res, const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;
	ldns_rdf *rdf = NULL;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	else if (inet_pton(AF_INET6, addr, &a6) == 1)
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, addr);
	if (rdf == NULL)
		return -1;
	if (ldns_resolver_push_nameserver(res, rdf) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(rdf);
		return -1;
	}
	ldns_rdf_deep_free(rdf);
	return 0;
}

static int
publish_rfc2136(const struct sts_conf *conf, struct dns *dns,
    const struct sts_domain *d, const char *id, char *err, size_t errlen)
{
	char name[STS_HOST_MAX + 16], zone[STS_HOST_MAX + 2];
	char primary[STS_HOST_MAX + 2], host[STS_HOST_MAX + 2];
	char server[STS_HOST_MAX + 16], rec[STS_ID_MAX + 32], q[256];
	char rrtext[STS_HOST_MAX + 320], why[STS_ERR_MAX];
	struct sts_strlist addrs = { 0 };
	struct tsig key;
	ldns_resolver *res = NULL;
	ldns_rr_list *up = NULL;
	ldns_rr *del = NULL, *add = NULL;
	ldns_rdf *zone_rdf = NULL, *owner = NULL;
	ldns_pkt *pkt = NULL, *answer = NULL;
	ldns_status st;
	struct timeval tv;
	uint16_t port;
	size_t i;
	int rc = -1, n;

	memset(&key, 0, sizeof(key));
	if (tsig_load(conf->tsig_key, &key, err, errlen) == -1)
		goto out;
	n = snprintf(name, sizeof(name), "_mta-sts.%s", d->name);
	if (n < 0 || (size_t)n >= sizeof(name) ||
	    sts_txt_record(id, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, q, sizeof(q)) == -1) {
		sts_err(err, errlen, "%s: name or record too long", d->name);
		goto out;
	}
	if (dns_zone(dns, name, zone, sizeof(zone), primary, sizeof(primary),
	    why, sizeof(why)) == -1) {
		sts_err(err, errlen, "cannot find the zone of %s: %s", name, why);
		goto out;
	}
	if (conf->dns_server != NULL && conf->dns_server[0] != '\0') {
		if (server_split(conf->dns_server, host, sizeof(host), &port) == -1) {
			sts_err(err, errlen, "dns-server '%s' is not host[:port]",
			    conf->dns_server);
			goto out;
		}
		(void)snprintf(server, sizeof(server), "%s", conf->dns_server);
	} else {
		if (primary[0] == '\0') {
			sts_err(err, errlen, "zone %s names no primary in its SOA; "
			    "set dns-server", zone);
			goto out;
		}
		(void)snprintf(host, sizeof(host), "%s", primary);
		(void)snprintf(server, sizeof(server), "%s (SOA primary)", primary);
		port = 53;
	}

	if ((res = ldns_resolver_new()) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	if (push_addr(res, host) == -1) {
		if (dns_addrs(dns, host, &addrs, why, sizeof(why)) == -1) {
			sts_err(err, errlen, "cannot resolve DNS server %s: %s",
			    server, why);
			goto out;
		}
		for (i = 0; i < addrs.n; i++)
			(void)push_addr(res, addrs.v[i]);
		if (ldns_resolver_nameserver_count(res) == 0) {
			sts_err(err, errlen, "DNS server %s has no address", server);
			goto out;
		}
	}
	ldns_resolver_set_port(res, port);
	tv.tv_sec = conf->timeout ? conf->timeout : 10;
	tv.tv_usec = 0;
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_tsig_keyname(res, key.name);
	ldns_resolver_set_tsig_algorithm(res, key.alg);
	ldns_resolver_set_tsig_keydata(res, key.secret);

	/* delete the TXT RRset (class ANY, TTL 0, no rdata), then add ours */
	if ((up = ldns_rr_list_new()) == NULL || (del = ldns_rr_new()) == NULL ||
	    (owner = ldns_dname_new_frm_str(name)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	ldns_rr_set_owner(del, owner);
	owner = NULL;
	ldns_rr_set_type(del, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(del, 0);
	ldns_rr_set_question(del, false);
	n = snprintf(rrtext, sizeof(rrtext), "%s. %d IN TXT %s", name, TXT_TTL, q);
	if (n < 0 || (size_t)n >= sizeof(rrtext) ||
	    ldns_rr_new_frm_str(&add, rrtext, 0, NULL, NULL) != LDNS_STATUS_OK) {
		sts_err(err, errlen, "cannot build the record %s", rrtext);
		goto out;
	}
	if (!ldns_rr_list_push_rr(up, del)) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	del = NULL;
	if (!ldns_rr_list_push_rr(up, add)) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	add = NULL;
	if ((zone_rdf = ldns_dname_new_frm_str(zone)) == NULL) {
		sts_err(err, errlen, "zone %s: not a domain name", zone);
		goto out;
	}
	pkt = ldns_update_pkt_new(zone_rdf, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zone_rdf = NULL;	/* the packet owns it now */
	if (pkt == NULL) {
		sts_err(err, errlen, "cannot build the UPDATE message");
		goto out;
	}
	ldns_pkt_set_rd(pkt, false);
	if ((st = ldns_update_pkt_tsig_add(pkt, res)) != LDNS_STATUS_OK) {
		sts_err(err, errlen, "cannot sign the UPDATE with key %s: %s",
		    key.name, ldns_get_errorstr_by_id(st));
		goto out;
	}
	/*
	 * ldns_send, not ldns_resolver_send_pkt: the latter drops the answer
	 * when its TSIG does not verify, and an unsigned NOTAUTH (BADKEY,
	 * BADSIG) is exactly the answer that says what is wrong.
	 */
	st = ldns_send(&answer, res, pkt);
	if (answer == NULL) {
		if (st == LDNS_STATUS_OK || st == LDNS_STATUS_ERR ||
		    st == LDNS_STATUS_NETWORK_ERR ||
		    st == LDNS_STATUS_ADDRESS_ERR ||
		    st == LDNS_STATUS_SOCKET_ERROR)
			sts_err(err, errlen, "no answer from DNS server %s for "
			    "the update of zone %s within %u s", server, zone,
			    (unsigned)tv.tv_sec);
		else
			sts_err(err, errlen, "update of zone %s at DNS server "
			    "%s: %s", zone, server, ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (ldns_pkt_get_rcode(answer) != LDNS_RCODE_NOERROR) {
		ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes,
		    (int)ldns_pkt_get_rcode(answer));
		const char *rcode = lt != NULL ? lt->name : "unknown rcode";

		sts_err(err, errlen, "DNS server %s refused the update of %s in "
		    "zone %s: %s%s", server, name, zone, rcode,
		    ldns_pkt_get_rcode(answer) == LDNS_RCODE_NOTAUTH ||
		    ldns_pkt_get_rcode(answer) == LDNS_RCODE_REFUSED ?
		    " (check the TSIG key, its name and the server's update "
		    "policy for this zone)" : "");
		goto out;
	}
	if (st != LDNS_STATUS_OK) {
		sts_err(err, errlen, "the answer of DNS server %s for the update "
		    "of zone %s does not verify with TSIG key %s: %s", server,
		    zone, key.name, ldns_get_errorstr_by_id(st));
		goto out;
	}
	(void)snprintf(err, errlen, "updated zone %s at %s", zone, server);
	rc = 0;
 out:
	if (res != NULL) {
		/* do not leave the secret in freed memory */
		char *kd = (char *)(uintptr_t)ldns_resolver_tsig_keydata(res);

		if (kd != NULL)
			explicit_bzero(kd, strlen(kd));
		ldns_resolver_deep_free(res);
	}
	explicit_bzero(&key, sizeof(key));
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(zone_rdf);
	ldns_rr_free(del);
	ldns_rr_free(add);
	ldns_rr_list_deep_free(up);
	ldns_pkt_free(pkt);
	ldns_pkt_free(answer);
	sts_strlist_free(&addrs);
	return rc;
}

/* ---- zonefile ---------------------------------------------------------- */

int
publish_zonefile(const struct sts_conf *conf, const struct sts_strlist *lines,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX], why[STS_ERR_MAX];
	char *text = NULL, *old = NULL, *slash;
	size_t len = 0, oldlen = 0, i;
	struct stat sb;
	FILE *mem = NULL, *fp = NULL;
	int fd = -1, dfd = -1, rc = -1, n, have_old;

	tmp[0] = '\0';
	if (conf->zonefile == NULL || conf->zonefile[0] == '\0')
		return sts_err(err, errlen, "publish = zonefile, but no zonefile "
		    "is set");
	if ((mem = open_memstream(&text, &len)) == NULL)
		return sts_err(err, errlen, "out of memory");
	fprintf(mem, "; MTA-STS and TLS-RPT records, written by mta-sts-check.\n"
	    "; Do not edit: the next run rewrites this file. $INCLUDE it in "
	    "the zone(s).\n");
	for (i = 0; i < lines->n; i++)
		fprintf(mem, "%s\n", lines->v[i]);
	if (fclose(mem) != 0) {
		mem = NULL;
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	mem = NULL;

	/* unchanged: nothing to write or reload */
	have_old = stat(conf->zonefile, &sb) == 0;
	if (have_old && (fp = fopen(conf->zonefile, "re")) != NULL) {
		if ((size_t)sb.st_size == len && (old = malloc(len + 1)) != NULL)
			oldlen = fread(old, 1, len + 1, fp);
		fclose(fp);
		fp = NULL;
		if (old != NULL && oldlen == len && memcmp(old, text, len) == 0) {
			rc = 1;
			goto out;
		}
	}

	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", conf->zonefile);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", conf->zonefile) >= (int)sizeof(dir)) {
		tmp[0] = '\0';
		sts_err(err, errlen, "%s: path too long", conf->zonefile);
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	if (fchmod(fd, have_old ? (sb.st_mode & 0777) : 0644) == -1 ||
	    (have_old && fchown(fd, sb.st_uid, sb.st_gid) == -1 && errno != EPERM)) {
		sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	for (i = 0; i < len; ) {
		ssize_t w = write(fd, text + i, len - i);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		i += (size_t)w;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		sts_err(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, conf->zonefile) == -1) {
		sts_err(err, errlen, "rename %s to %s: %s", tmp, conf->zonefile,
		    strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1)
		(void)fsync(dfd);

	if (publish_reload(conf, why, sizeof(why)) == -1) {
		sts_err(err, errlen, "wrote %s, but %s", conf->zonefile, why);
		goto out;
	}
	rc = 0;
 out:
	if (mem != NULL)
		fclose(mem);
	if (fd != -1)
		close(fd);
	if (dfd != -1)
		close(dfd);
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	free(text);
	free(old);
	return rc;
}

int
publish_reload(const struct sts_conf *conf, char *err, size_t errlen)
{
	char out[OUTPUT_MAX], why[STS_ERR_MAX];
	char *argv[4] = { "/bin/sh", "-c", NULL, NULL };

	if (conf->reload == NULL || conf->reload[0] == '\0')
		return 0;
	argv[2] = conf->reload;
	if (run_program(argv, environ, program_timeout(conf), out, sizeof(out),
	    why, sizeof(why)) == -1)
		return sts_err(err, errlen, "the reload command failed: %s", why);
	return 0;
}

/* ---- by method --------------------------------------------------------- */

const char *
publish_name(enum sts_publish p)
{
	switch (p) {
	case STS_PUBLISH_RFC2136:
		return "rfc2136";
	case STS_PUBLISH_HOOK:
		return "hook";
	case STS_PUBLISH_ZONEFILE:
		return "zonefile";
	default:
		return "none";
	}
}

int
publish_id(const struct sts_conf *conf, struct dns *dns,
    const struct sts_domain *d, const char *id, const char *old_id,
    char *err, size_t errlen)
{
	char rec[STS_ID_MAX + 32], q[256];

	switch (conf->publish) {
	case STS_PUBLISH_RFC2136:
		return publish_rfc2136(conf, dns, d, id, err, errlen);
	case STS_PUBLISH_HOOK:
		return publish_hook(conf, d, id, old_id, err, errlen);
	case STS_PUBLISH_ZONEFILE:
		err[0] = '\0';
		return 2;
	default:
		if (sts_txt_record(id, rec, sizeof(rec)) == -1 ||
		    zone_txt(rec, q, sizeof(q)) == -1)
			return sts_err(err, errlen, "%s: record too long", d->name);
		(void)snprintf(err, errlen, "_mta-sts.%s. %d IN TXT %s",
		    d->name, TXT_TTL, q);
		return 1;
	}
}
