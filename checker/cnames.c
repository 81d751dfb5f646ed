/* SPDX-License-Identifier: ISC */
/*
 * cnames.c: the records a hosted customer sets once in their own zone,
 * pointing into the operator's names, checked as a sender's resolver
 * sees them:
 *
 *	_mta-sts.<domain>.   CNAME <domain>.<id-zone>.      (id-zone)
 *	_smtp._tls.<domain>. CNAME <domain>.<tlsrpt-zone>.  (tlsrpt-zone)
 *	mta-sts.<domain>.    CNAME <web-host>.               (web-host)
 *
 * A missing or wrong CNAME is a finding that names the record to set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* "a, b" from a list, "(none)" when empty */
static void
join(const struct sts_strlist *l, char *buf, size_t len)
{
	size_t i, off = 0;
	int n;

	buf[0] = '\0';
	if (l->n == 0)
		(void)snprintf(buf, len, "(none)");
	for (i = 0; i < l->n && off < len; i++)
		if ((n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		    l->v[i])) > 0)
			off += (size_t)n;
}

/*
 * Is name a CNAME to want? 1 yes, 0 no (target "" when it has none), -1
 * DNS gave no answer (a warning under code "<check>.cname.lookup").
 */
static int
cname_is(struct dns *dns, const char *check, const char *name,
    const char *want, char *target, size_t targetlen, struct report *r)
{
	char err[STS_ERR_MAX];

	if (dns_cname(dns, name, target, targetlen, err, sizeof(err)) == -1) {
		if (strcmp(check, "dns") == 0)
			report_add(r, L_WARN, "dns.cname.lookup", "%s: cannot "
			    "look up its CNAME: %s", name, bare(err, name));
		else if (strcmp(check, "tlsrpt") == 0)
			report_add(r, L_WARN, "tlsrpt.cname.lookup", "%s: cannot "
			    "look up its CNAME: %s", name, bare(err, name));
		else
			report_add(r, L_WARN, "web.cname.lookup", "%s: cannot "
			    "look up its CNAME: %s", name, bare(err, name));
		return -1;
	}
	return strcasecmp(target, want) == 0;
}

/* the message for a CNAME that is missing or points elsewhere */
static const char *
cname_msg(char *buf, size_t len, const char *name, const char *want,
    const char *target, const char *what, const char *more)
{
	if (target[0])
		(void)snprintf(buf, len, "%s: CNAME to %s, not to %s (%s)%s; "
		    "the customer must set: %s. CNAME %s.", name, target, want,
		    what, more, name, want);
	else
		(void)snprintf(buf, len, "%s: no CNAME to %s (%s)%s; the "
		    "customer must set: %s. CNAME %s.", name, want, what, more,
		    name, want);
	return buf;
}

int
check_id_cname(struct dns *dns, const struct sts_domain *d, const char *id,
    struct report *r)
{
	struct sts_strlist recs = { 0 };
	char name[STS_HOST_MAX + 16], want[STS_HOST_MAX + 1];
	char target[STS_HOST_MAX + 1], err[STS_ERR_MAX], sid[STS_ID_MAX + 1];
	char msg[STS_ERR_MAX * 2];
	size_t *lens = NULL, i, which;
	int rc;

	if (d->set.id_zone == NULL)
		return 0;
	(void)snprintf(name, sizeof(name), "_mta-sts.%s", d->name);
	if (owner_name("_mta-sts", d->name, d->set.id_zone, want,
	    sizeof(want)) == -1)
		return -1;
	if ((rc = cname_is(dns, "dns", name, want, target, sizeof(target),
	    r)) != 1) {
		if (rc == 0 && target[0])
			report_add(r, L_ERROR, "dns.cname.wrong", "%s", cname_msg(msg,
			    sizeof(msg), name, want, target, "where mta-sts-check "
			    "publishes the id", ": senders do not see the current "
			    "id"));
		else if (rc == 0)
			report_add(r, L_WARN, "dns.cname.missing", "%s", cname_msg(msg,
			    sizeof(msg), name, want, target, "where mta-sts-check "
			    "publishes the id", ""));
		return -1;
	}
	/* a sender's view: through the CNAME to the id */
	sid[0] = '\0';
	if (dns_txt(dns, name, &recs, err, sizeof(err)) == 0 &&
	    (lens = calloc(recs.n ? recs.n : 1, sizeof(*lens))) != NULL) {
		for (i = 0; i < recs.n; i++)
			lens[i] = strlen(recs.v[i]);
		if (sts_txt_select((const char *const *)recs.v, lens, recs.n,
		    &which, sid, err, sizeof(err)) == -1)
			sid[0] = '\0';
	}
	if (id != NULL && id[0] != '\0' && strcmp(sid, id) == 0)
		report_add(r, L_INFO, "dns.cname.ok", "%s: CNAME to %s; senders "
		    "see id %s", name, want, sid);
	else if (id != NULL && id[0] != '\0')
		report_add(r, L_INFO, "dns.txt.cached", "%s: CNAME to %s; senders "
		    "still see %s%s (cached; the current id is %s)", name, want,
		    sid[0] ? "id " : "", sid[0] ? sid : "no usable record", id);
	else
		report_add(r, L_INFO, "dns.cname.ok", "%s: CNAME to %s", name,
		    want);
	free(lens);
	sts_strlist_free(&recs);
	return 0;
}

void
check_tlsrpt_cname(struct dns *dns, const struct sts_domain *d,
    struct report *r)
{
	char name[STS_HOST_MAX + 16], want[STS_HOST_MAX + 1];
	char target[STS_HOST_MAX + 1], msg[STS_ERR_MAX * 2];
	const char *what = "where the operator keeps the TLS-RPT record";
	int rc;

	if (d->set.tlsrpt_zone == NULL)
		return;
	(void)snprintf(name, sizeof(name), "_smtp._tls.%s", d->name);
	if (owner_name("_smtp._tls", d->name, d->set.tlsrpt_zone, want,
	    sizeof(want)) == -1)
		return;
	if ((rc = cname_is(dns, "tlsrpt", name, want, target, sizeof(target),
	    r)) == 1)
		report_add(r, L_INFO, "tlsrpt.cname.ok", "%s: CNAME to %s", name,
		    want);
	if (rc != 0)
		return;
	if (target[0])
		report_add(r, L_WARN, "tlsrpt.cname.wrong", "%s", cname_msg(msg,
		    sizeof(msg), name, want, target, what, ""));
	else
		report_add(r, L_WARN, "tlsrpt.cname.missing", "%s", cname_msg(msg,
		    sizeof(msg), name, want, target, what, ""));
}

void
check_web_host(struct dns *dns, const struct sts_domain *d,
    struct report *r)
{
	struct sts_strlist mine = { 0 }, theirs = { 0 };
	char name[STS_HOST_MAX + 16], target[STS_HOST_MAX + 1];
	char err[STS_ERR_MAX], a[512], b[512], more[1100];
	char msg[STS_ERR_MAX * 4];
	const char *host = d->set.web_host;
	const char *what = "the web server that serves the policies";
	int rc, same;

	if (host == NULL)
		return;
	(void)snprintf(name, sizeof(name), "mta-sts.%s", d->name);
	if ((rc = cname_is(dns, "web", name, host, target, sizeof(target),
	    r)) == 1) {
		report_add(r, L_INFO, "web.cname.ok", "%s: CNAME to %s", name,
		    host);
		return;
	}
	if (rc == -1)
		return;
	/* not a CNAME to HOST: does it at least reach the same addresses? */
	if (dns_addrs_all(dns, name, &mine, err, sizeof(err)) == -1 ||
	    dns_addrs_all(dns, host, &theirs, err, sizeof(err)) == -1) {
		(void)snprintf(more, sizeof(more), ": its addresses cannot be "
		    "compared with the web host's: %s", err);
		same = 0;
		goto found;
	}
	sts_strlist_sort_uniq(&mine);
	sts_strlist_sort_uniq(&theirs);
	same = mine.n > 0 && sts_strlist_equal(&mine, &theirs);
	join(&mine, a, sizeof(a));
	join(&theirs, b, sizeof(b));
	if (same)
		(void)snprintf(more, sizeof(more), ": its addresses are the web "
		    "host's today (%s), but will not follow when they change",
		    a);
	else
		(void)snprintf(more, sizeof(more), ": it has addresses %s, %s "
		    "has %s", a, host, b);
 found:
	(void)cname_msg(msg, sizeof(msg), name, host, target, what, more);
	if (target[0])
		report_add(r, same ? L_WARN : L_ERROR, "web.cname.wrong", "%s",
		    msg);
	else
		report_add(r, same ? L_WARN : L_ERROR, "web.cname.missing", "%s",
		    msg);
	sts_strlist_free(&mine);
	sts_strlist_free(&theirs);
}
