/* SPDX-License-Identifier: ISC */
/*
 * publish.c: getting "v=STSv1; id=..." into _mta-sts.<domain> (or, with
 * id-zone, <domain>.<id-zone>, which the customer's _mta-sts.<domain>
 * is a CNAME to), by the method the domain's file or the global file
 * names, from one table:
 *
 *   rfc2136   one TSIG-signed UPDATE that replaces the TXT RRset
 *             (publish_rfc2136.c)
 *   hook      the program named by `hook`, run directly with the record in
 *             its environment (publish_hook.c)
 *   zonefile  nothing per domain: the caller writes the include file of
 *             every domain's records once (publish_zonefile.c)
 *   none      nothing: the record to set by hand, for the operator
 *
 * Each method returns a named result (enum publish_rc); success notes and
 * errors go to separate buffers.
 */
#include <stdio.h>

#include "check.h"

static enum publish_rc
publish_none(const struct publish_req *q, char *note, size_t notelen,
    char *err, size_t errlen)
{
	char rec[STS_ID_MAX + 32], txt[256], owner[STS_HOST_MAX + 1];

	if (owner_name("_mta-sts", q->d->name, q->d->set.id_zone, owner,
	    sizeof(owner)) == -1 ||
	    sts_txt_record(q->id, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, txt, sizeof(txt)) == -1) {
		(void)sts_err(err, errlen, "%s: record too long", q->d->name);
		return PUB_FAILED;
	}
	(void)snprintf(note, notelen, "%s. %d IN TXT %s", owner, TXT_TTL, txt);
	return PUB_BY_HAND;
}

static enum publish_rc
publish_batch(const struct publish_req *q, char *note, size_t notelen,
    char *err, size_t errlen)
{
	(void)q;
	(void)note;
	(void)notelen;
	(void)err;
	(void)errlen;
	return PUB_BATCH;
}

static const struct publish_method methods[] = {
	{ STS_PUBLISH_NONE, publish_none },
	{ STS_PUBLISH_RFC2136, publish_rfc2136 },
	{ STS_PUBLISH_HOOK, publish_hook },
	{ STS_PUBLISH_ZONEFILE, publish_batch },
};

const struct publish_method *
publish_method(enum sts_publish p)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].method == p)
			return &methods[i];
	return NULL;
}

enum sts_publish
dom_publish(const struct sts_conf *conf, const struct sts_domain *d)
{
	return d->set.publish_set ? d->set.publish : conf->publish;
}

const char *
publish_name(enum sts_publish p)
{
	/* one table of names: the configuration's (sts_publish_name) */
	return publish_method(p) != NULL ? sts_publish_name(p) : "none";
}

const char *
publish_rc_name(enum publish_rc rc)
{
	static const char *const names[] = {
		[PUB_DONE] = "done", [PUB_UNCHANGED] = "unchanged",
		[PUB_BY_HAND] = "by-hand", [PUB_BATCH] = "batch",
		[PUB_FAILED] = "failed",
	};

	return (size_t)rc < sizeof(names) / sizeof(names[0]) ? names[rc] : "?";
}

enum publish_rc
publish_id(const struct sts_conf *conf, struct dns *dns,
    const struct sts_domain *d, const char *id, const char *old_id,
    char *note, size_t notelen, char *err, size_t errlen)
{
	const struct publish_method *m = publish_method(dom_publish(conf, d));
	struct publish_req q = { conf, dns, d, id, old_id ? old_id : "" };

	if (notelen > 0)
		note[0] = '\0';
	if (errlen > 0)
		err[0] = '\0';
	if (m == NULL)		/* as before the table: an unknown method is none */
		m = &methods[0];
	return m->publish(&q, note, notelen, err, errlen);
}
