/* SPDX-License-Identifier: ISC */
/*
 * publish_rfc2136.c: publish = rfc2136. One TSIG-signed DNS UPDATE (RFC
 * 2136, libldns) that replaces the TXT RRset at _mta-sts.<domain> (or
 * <domain>.<id-zone>; with tlsrpt-zone, the TLS-RPT record at
 * <domain>.<tlsrpt-zone>), sent to dns-server or else to the zone's
 * primary (SOA MNAME), in four steps:
 *
 *   target    the zone of the name (a delegated name: its id-zone or
 *             tlsrpt-zone), and the server to send the update to
 *   resolver  an ldns resolver for that server: addresses, port, timeout,
 *             the TSIG key
 *   update    the message: delete the RRset, add ours, signed
 *   send      send it; the answer's rcode and TSIG say how it went
 *
 * The TSIG secret is never printed (only the key's name) and is wiped
 * from memory after use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "check.h"

/* what the steps share */
struct update {
	char		 name[STS_HOST_MAX + 16];	/* _mta-sts.<domain> */
	char		 txt[2048];			/* the rdata, zone-file syntax */
	char		 zone[STS_HOST_MAX + 2];
	char		 host[STS_HOST_MAX + 2];	/* the server, to connect */
	char		 server[STS_HOST_MAX + 16];	/* the server, for messages */
	uint16_t	 port;
	unsigned	 timeout;
	struct tsig	 key;
};

/*
 * u->name and u->txt set: the zone and the server. idz (the id-zone or
 * the tlsrpt-zone, what names it, for messages): the zone to update
 * whatever holds the name; NULL: the zone that holds it.
 */
static int
target(const struct publish_req *q, struct update *u, const char *idz,
    const char *key, char *err, size_t errlen)
{
	const char *spec = DOM_SET(q->conf, q->d, dns_server);
	char primary[STS_HOST_MAX + 2], why[STS_ERR_MAX];
	char found[STS_HOST_MAX + 2];

	primary[0] = '\0';
	if (idz != NULL) {
		/* delegated: the zone to update is id-zone, whatever holds the name */
		(void)snprintf(u->zone, sizeof(u->zone), "%s", idz);
		if ((spec == NULL || spec[0] == '\0') && dns_zone(q->dns, idz,
		    found, sizeof(found), primary, sizeof(primary), why,
		    sizeof(why)) == -1)
			return sts_err(err, errlen, "cannot find the primary of "
			    "%s %s: %s", key, idz, why);
	} else if (dns_zone(q->dns, u->name, u->zone, sizeof(u->zone), primary,
	    sizeof(primary), why, sizeof(why)) == -1)
		return sts_err(err, errlen, "cannot find the zone of %s: %s",
		    u->name, why);
	if (spec != NULL && spec[0] != '\0') {
		if (server_split(spec, u->host, sizeof(u->host), &u->port) == -1)
			return sts_err(err, errlen, "dns-server '%s' is not "
			    "host[:port]", spec);
		(void)snprintf(u->server, sizeof(u->server), "%s", spec);
		return 0;
	}
	if (primary[0] == '\0')
		return sts_err(err, errlen, "zone %s names no primary in its SOA; "
		    "set dns-server", u->zone);
	(void)snprintf(u->host, sizeof(u->host), "%s", primary);
	(void)snprintf(u->server, sizeof(u->server), "%s (SOA primary)", primary);
	u->port = 53;
	return 0;
}

static ldns_resolver *
resolver(const struct publish_req *q, const struct update *u, char *err,
    size_t errlen)
{
	struct sts_strlist addrs = { 0 };
	char why[STS_ERR_MAX];
	ldns_resolver *res = NULL;
	struct timeval tv;
	size_t i;
	int ok = 0;

	if ((res = ldns_resolver_new()) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	if (dns_push_addr(res, u->host) == -1) {
		if (dns_addrs(q->dns, u->host, &addrs, why, sizeof(why)) == -1) {
			(void)sts_err(err, errlen, "cannot resolve DNS server "
			    "%s: %s", u->server, why);
			goto out;
		}
		for (i = 0; i < addrs.n; i++)
			(void)dns_push_addr(res, addrs.v[i]);
		if (ldns_resolver_nameserver_count(res) == 0) {
			(void)sts_err(err, errlen, "DNS server %s has no address",
			    u->server);
			goto out;
		}
	}
	ldns_resolver_set_port(res, u->port);
	tv.tv_sec = u->timeout;
	tv.tv_usec = 0;
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_tsig_keyname(res, u->key.name);
	ldns_resolver_set_tsig_algorithm(res, u->key.alg);
	ldns_resolver_set_tsig_keydata(res, u->key.secret);
	ok = 1;
 out:
	if (!ok) {
		ldns_resolver_deep_free(res);
		res = NULL;
	}
	sts_strlist_free(&addrs);
	return res;
}

/* delete the TXT RRset (class ANY, TTL 0, no rdata), then add ours; signed */
static ldns_pkt *
update_pkt(const struct update *u, ldns_resolver *res, char *err,
    size_t errlen)
{
	char rrtext[STS_HOST_MAX + 2100];
	ldns_rr_list *up = NULL;
	ldns_rr *del = NULL, *add = NULL;
	ldns_rdf *zone = NULL, *owner = NULL;
	ldns_pkt *pkt = NULL;
	ldns_status st;
	int n;

	if ((up = ldns_rr_list_new()) == NULL || (del = ldns_rr_new()) == NULL ||
	    (owner = ldns_dname_new_frm_str(u->name)) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	ldns_rr_set_owner(del, owner);
	owner = NULL;
	ldns_rr_set_type(del, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(del, LDNS_RR_CLASS_ANY);
	ldns_rr_set_ttl(del, 0);
	ldns_rr_set_question(del, false);
	n = snprintf(rrtext, sizeof(rrtext), "%s. %d IN TXT %s", u->name,
	    TXT_TTL, u->txt);
	if (n < 0 || (size_t)n >= sizeof(rrtext) ||
	    ldns_rr_new_frm_str(&add, rrtext, 0, NULL, NULL) != LDNS_STATUS_OK) {
		(void)sts_err(err, errlen, "cannot build the record %s", rrtext);
		goto out;
	}
	if (!ldns_rr_list_push_rr(up, del)) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	del = NULL;
	if (!ldns_rr_list_push_rr(up, add)) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	add = NULL;
	if ((zone = ldns_dname_new_frm_str(u->zone)) == NULL) {
		(void)sts_err(err, errlen, "zone %s: not a domain name", u->zone);
		goto out;
	}
	pkt = ldns_update_pkt_new(zone, LDNS_RR_CLASS_IN, NULL, up, NULL);
	zone = NULL;	/* the packet owns it now; it took a copy of up */
	if (pkt == NULL) {
		(void)sts_err(err, errlen, "cannot build the UPDATE message");
		goto out;
	}
	ldns_pkt_set_rd(pkt, false);
	if ((st = ldns_update_pkt_tsig_add(pkt, res)) != LDNS_STATUS_OK) {
		(void)sts_err(err, errlen, "cannot sign the UPDATE with key %s: "
		    "%s", u->key.name, ldns_get_errorstr_by_id(st));
		ldns_pkt_free(pkt);
		pkt = NULL;
	}
 out:
	ldns_rdf_deep_free(owner);
	ldns_rdf_deep_free(zone);
	ldns_rr_free(del);
	ldns_rr_free(add);
	ldns_rr_list_deep_free(up);
	return pkt;
}

static int
send_update(const struct update *u, ldns_resolver *res, ldns_pkt *pkt,
    char *err, size_t errlen)
{
	ldns_pkt *answer = NULL;
	ldns_lookup_table *lt = NULL;
	ldns_pkt_rcode rcode;
	ldns_status st;
	int rc = -1;

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
			(void)sts_err(err, errlen, "no answer from DNS server %s "
			    "for the update of zone %s within %u s", u->server,
			    u->zone, u->timeout);
		else
			(void)sts_err(err, errlen, "update of zone %s at DNS "
			    "server %s: %s", u->zone, u->server,
			    ldns_get_errorstr_by_id(st));
		goto out;
	}
	if ((rcode = ldns_pkt_get_rcode(answer)) != LDNS_RCODE_NOERROR) {
		lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);
		(void)sts_err(err, errlen, "DNS server %s refused the update of "
		    "%s in zone %s: %s%s", u->server, u->name, u->zone,
		    lt != NULL ? lt->name : "unknown rcode",
		    rcode == LDNS_RCODE_NOTAUTH || rcode == LDNS_RCODE_REFUSED ?
		    " (check the TSIG key, its name and the server's update "
		    "policy for this zone)" : "");
		goto out;
	}
	if (st != LDNS_STATUS_OK) {
		(void)sts_err(err, errlen, "the answer of DNS server %s for the "
		    "update of zone %s does not verify with TSIG key %s: %s",
		    u->server, u->zone, u->key.name, ldns_get_errorstr_by_id(st));
		goto out;
	}
	rc = 0;
 out:
	ldns_pkt_free(answer);
	return rc;
}

/*
 * Replace the TXT RRset at name by the one record text (unquoted); idz
 * and key as for target(). note: what was updated where.
 */
static enum publish_rc
update_txt(const struct publish_req *q, const char *name, const char *text,
    const char *idz, const char *key, char *note, size_t notelen, char *err,
    size_t errlen)
{
	struct update *u = NULL;
	ldns_resolver *res = NULL;
	ldns_pkt *pkt = NULL;
	enum publish_rc rc = PUB_FAILED;
	char *kd = NULL;
	int n;

	if ((u = calloc(1, sizeof(*u))) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	n = snprintf(u->name, sizeof(u->name), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(u->name) ||
	    zone_txt(text, u->txt, sizeof(u->txt)) == -1) {
		(void)sts_err(err, errlen, "%s: name or record too long",
		    q->d->name);
		goto out;
	}
	u->timeout = q->conf->timeout ? q->conf->timeout : 10;
	if (tsig_load(DOM_SET(q->conf, q->d, tsig_key), &u->key, err, errlen) == -1 ||
	    target(q, u, idz, key, err, errlen) == -1 ||
	    (res = resolver(q, u, err, errlen)) == NULL ||
	    (pkt = update_pkt(u, res, err, errlen)) == NULL ||
	    send_update(u, res, pkt, err, errlen) == -1)
		goto out;
	(void)snprintf(note, notelen, "updated zone %s at %s", u->zone,
	    u->server);
	rc = PUB_DONE;
 out:
	if (res != NULL) {
		/* do not leave the secret in freed memory */
		kd = (char *)(uintptr_t)ldns_resolver_tsig_keydata(res);
		if (kd != NULL)
			explicit_bzero(kd, strlen(kd));
		ldns_resolver_deep_free(res);
	}
	if (u != NULL)
		explicit_bzero(&u->key, sizeof(u->key));
	free(u);
	ldns_pkt_free(pkt);
	return rc;
}

enum publish_rc
publish_rfc2136(const struct publish_req *q, char *note, size_t notelen,
    char *err, size_t errlen)
{
	char name[STS_HOST_MAX + 16], rec[STS_ID_MAX + 32];

	if (owner_name("_mta-sts", q->d->name, q->d->set.id_zone, name,
	    sizeof(name)) == -1 ||
	    sts_txt_record(q->id, rec, sizeof(rec)) == -1) {
		(void)sts_err(err, errlen, "%s: name or record too long",
		    q->d->name);
		return PUB_FAILED;
	}
	return update_txt(q, name, rec, q->d->set.id_zone, "id-zone", note,
	    notelen, err, errlen);
}

enum publish_rc
publish_rfc2136_tlsrpt(const struct publish_req *q, const char *name,
    const char *zone, const char *text, char *note, size_t notelen, char *err,
    size_t errlen)
{
	/* the customer's zone is never updated: only the tlsrpt-zone's */
	if (q->d->set.tlsrpt_zone == NULL || zone == NULL) {
		(void)sts_err(err, errlen, "%s: no tlsrpt-zone", q->d->name);
		return PUB_FAILED;
	}
	return update_txt(q, name, text, zone, "tlsrpt-zone", note, notelen,
	    err, errlen);
}
