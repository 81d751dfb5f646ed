/* SPDX-License-Identifier: ISC */
/*
 * dns_ask.c: what the checker asks DNS, as a sender would see it: TXT
 * records (CNAMEs followed, strings joined), the CNAME at a name, MX, the zone that holds a
 * name and its primary, what each authoritative server says, and the
 * addresses of a host to connect to.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "sender.h"
#include "dns_int.h"

/* The TXT rrs of list, each record's strings joined, into recs. */
static int
txt_join(ldns_rr_list *list, const char *name, struct sts_strlist *recs,
    char *err, size_t errlen)
{
	ldns_rr		*rr = NULL;
	ldns_rdf	*rdf = NULL;
	char		*buf = NULL;
	const uint8_t	*p = NULL;
	size_t		 i, j, k, len, total = 0, sz;
	int		 rc = -1;

	if ((buf = malloc(DNS_TXT_MAX + 1)) == NULL) {
		sts_err(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		rr = ldns_rr_list_rr(list, i);
		len = 0;
		for (j = 0; j < ldns_rr_rd_count(rr); j++) {
			rdf = ldns_rr_rdf(rr, j);
			p = ldns_rdf_data(rdf);
			sz = ldns_rdf_size(rdf);
			if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_STR ||
			    sz < 1 || (size_t)p[0] + 1 != sz) {
				sts_err(err, errlen, "%s: malformed TXT record", name);
				goto out;
			}
			if (total + len + p[0] > DNS_TXT_MAX) {
				sts_err(err, errlen, "%s: TXT records longer than "
				    "%d bytes in all", name, DNS_TXT_MAX);
				goto out;
			}
			/*
			 * A NUL inside a string would end the C string early
			 * and could hide the rest: make it DEL, which no
			 * valid record contains either.
			 */
			for (k = 0; k < p[0]; k++)
				buf[len + k] = p[1 + k] ? (char)p[1 + k] : '\x7f';
			len += p[0];
		}
		total += len;
		if (sts_strlist_addn(recs, buf, len) == -1) {
			sts_err(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
 out:
	free(buf);
	return rc;
}

int
dns_txt(struct dns *d, const char *name, struct sts_strlist *recs,
    char *err, size_t errlen)
{
	ldns_rr_list	*list = NULL;
	int		 rc;

	if (dns_lookup(d, d->server, name, LDNS_RR_TYPE_TXT, 1, &list, NULL,
	    err, errlen) == -1)
		return -1;
	rc = txt_join(list, name, recs, err, errlen);
	ldns_rr_list_deep_free(list);
	return rc;
}

/*
 * The target of the CNAME at name itself (one hop, not followed further):
 * 0 with target filled, or target "" when name has no CNAME (NXDOMAIN,
 * NODATA, other records); -1 with err when DNS gave no answer.
 */
int
dns_cname(struct dns *d, const char *name, char *target, size_t targetlen,
    char *err, size_t errlen)
{
	ldns_rdf	*qname = NULL;
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*ans = NULL;
	ldns_rr		*rr = NULL;
	size_t		 i;
	int		 rc = -1;

	if (targetlen > 0)
		target[0] = '\0';
	if ((qname = dns_mkname(name, err, errlen)) == NULL)
		return -1;
	if (dns_query(d, d->server, qname, LDNS_RR_TYPE_CNAME, &pkt, err,
	    errlen) == -1)
		goto out;
	ans = ldns_pkt_answer(pkt);
	for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
		rr = ldns_rr_list_rr(ans, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) < 1 ||
		    ldns_dname_compare(ldns_rr_owner(rr), qname) != 0)
			continue;
		if (dns_name2str(ldns_rr_rdf(rr, 0), target, targetlen) == -1) {
			sts_err(err, errlen, "%s: CNAME target too long", name);
			goto out;
		}
		break;
	}
	rc = 0;
 out:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(qname);
	return rc;
}

static int
mx_cmp(const void *a, const void *b)
{
	const struct mx	*x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->host, y->host);
}

int
dns_mx(struct dns *d, const char *domain, struct mx **mxp, size_t *np,
    char *err, size_t errlen)
{
	ldns_rr_list	*list = NULL;
	ldns_rr		*rr = NULL;
	struct mx	*mx = NULL;
	size_t		 i, n = 0, cnt;
	int		 rc = -1;

	*mxp = NULL;
	*np = 0;
	if (dns_lookup(d, d->server, domain, LDNS_RR_TYPE_MX, 1, &list, NULL,
	    err, errlen) == -1)
		return -1;
	if ((cnt = ldns_rr_list_rr_count(list)) == 0) {
		rc = 0;
		goto out;
	}
	if ((mx = calloc(cnt, sizeof(*mx))) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_rd_count(rr) != 2 ||
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) != LDNS_RDF_TYPE_INT16 ||
		    dns_name2str(ldns_rr_rdf(rr, 1), mx[n].host,
		    sizeof(mx[n].host)) == -1) {
			sts_err(err, errlen, "%s: malformed MX record", domain);
			goto out;
		}
		mx[n].pref = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
		n++;
	}
	qsort(mx, n, sizeof(*mx), mx_cmp);
	*mxp = mx;
	*np = n;
	mx = NULL;
	rc = 0;
 out:
	free(mx);
	ldns_rr_list_deep_free(list);
	return rc;
}

void
dns_tlsa_free(struct tlsa *t, size_t n)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < n; i++)
		free(t[i].data);
	free(t);
}

int
dns_tlsa(struct dns *d, const char *host, unsigned port, struct tlsa **tp,
    size_t *np, int *secure, char *err, size_t errlen)
{
	ldns_rr_list	*list = NULL;
	ldns_rr		*rr = NULL;
	ldns_rdf	*rd = NULL;
	struct tlsa	*t = NULL;
	char		 name[STS_HOST_MAX + 32];
	size_t		 i, n = 0, cnt = 0;
	int		 rc = -1, k;

	*tp = NULL;
	*np = 0;
	*secure = 0;
	if (snprintf(name, sizeof(name), "_%u._tcp.%s", port, host) >=
	    (int)sizeof(name)) {
		sts_err(err, errlen, "%s: name too long for a TLSA lookup", host);
		return -1;
	}
	if (dns_lookup(d, d->server, name, LDNS_RR_TYPE_TLSA, 1, &list, NULL,
	    err, errlen) == -1)
		return -1;
	*secure = d->secure;
	if ((cnt = ldns_rr_list_rr_count(list)) == 0) {
		rc = 0;
		goto out;
	}
	if ((t = calloc(cnt, sizeof(*t))) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_rd_count(rr) != 4) {
			sts_err(err, errlen, "%s: malformed TLSA record", name);
			goto out;
		}
		for (k = 0; k < 3; k++)
			if (ldns_rdf_size(ldns_rr_rdf(rr, (size_t)k)) != 1) {
				sts_err(err, errlen, "%s: malformed TLSA record",
				    name);
				goto out;
			}
		t[n].usage = ldns_rdf2native_int8(ldns_rr_rdf(rr, 0));
		t[n].selector = ldns_rdf2native_int8(ldns_rr_rdf(rr, 1));
		t[n].mtype = ldns_rdf2native_int8(ldns_rr_rdf(rr, 2));
		rd = ldns_rr_rdf(rr, 3);
		t[n].len = ldns_rdf_size(rd);
		if ((t[n].data = malloc(t[n].len ? t[n].len : 1)) == NULL) {
			sts_err(err, errlen, "out of memory");
			goto out;
		}
		memcpy(t[n].data, ldns_rdf_data(rd), t[n].len);
		n++;
	}
	*tp = t;
	*np = n;
	t = NULL;
	rc = 0;
 out:
	dns_tlsa_free(t, cnt);
	ldns_rr_list_deep_free(list);
	return rc;
}

/* The SOA in list at an owner that is name or one of its ancestors. */
static ldns_rr *
soa_for(ldns_rr_list *list, const ldns_rdf *name)
{
	ldns_rr		*rr = NULL;
	size_t		 i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		rr = ldns_rr_list_rr(list, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_rd_count(rr) < 2)
			continue;
		if (ldns_dname_compare(ldns_rr_owner(rr), name) == 0 ||
		    ldns_dname_is_subdomain(name, ldns_rr_owner(rr)))
			return rr;
	}
	return NULL;
}

int
dns_zone(struct dns *d, const char *name, char *zone, size_t zonelen,
    char *primary, size_t primarylen, char *err, size_t errlen)
{
	ldns_rdf	*full = NULL, *cur = NULL, *up = NULL;
	ldns_pkt	*pkt = NULL;
	ldns_rr		*soa = NULL;
	int		 rc = -1;

	if ((full = dns_mkname(name, err, errlen)) == NULL)
		return -1;
	if ((cur = ldns_rdf_clone(full)) == NULL)
		{
			sts_err(err, errlen, "out of memory");
			goto out;
		}
	while (ldns_dname_label_count(cur) > 0) {
		if (dns_query(d, d->server, cur, LDNS_RR_TYPE_SOA, &pkt, err,
		    errlen) == -1)
			goto out;
		if ((soa = soa_for(ldns_pkt_answer(pkt), cur)) != NULL &&
		    ldns_dname_compare(ldns_rr_owner(soa), cur) != 0)
			soa = NULL;	/* answer SOA must be for the name asked */
		if (soa == NULL)
			soa = soa_for(ldns_pkt_authority(pkt), full);
		if (soa != NULL) {
			if (dns_name2str(ldns_rr_owner(soa), zone, zonelen) == -1 ||
			    dns_name2str(ldns_rr_rdf(soa, 0), primary,
			    primarylen) == -1) {
				sts_err(err, errlen, "%s: zone name too long", name);
				goto out;
			}
			rc = 0;
			goto out;
		}
		ldns_pkt_free(pkt);
		pkt = NULL;
		if ((up = ldns_dname_left_chop(cur)) == NULL)
			{
			sts_err(err, errlen, "out of memory");
			goto out;
		}
		ldns_rdf_deep_free(cur);
		cur = up;
	}
	sts_err(err, errlen, "%s: no SOA record found for it or any parent "
	    "(DNS server %s)", name, d->server);
	goto out;
 out:
	ldns_pkt_free(pkt);
	ldns_rdf_deep_free(cur);
	ldns_rdf_deep_free(full);
	return rc;
}

/* a text address of an A or AAAA rdf */
static int
rdf2addr(const ldns_rdf *rdf, char *out, size_t outlen)
{
	if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4)
		return inet_ntop(AF_INET, ldns_rdf_data(rdf), out, outlen) ? 0 : -1;
	if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA &&
	    ldns_rdf_size(rdf) == 16)
		return inet_ntop(AF_INET6, ldns_rdf_data(rdf), out, outlen) ? 0 : -1;
	return -1;
}

/* strict: -1 when either lookup fails, even if the other found some */
static int
addrs_lookup(struct dns *d, const char *host, int strict,
    struct sts_strlist *addrs, char *err, size_t errlen)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	ldns_rr_list	*list = NULL;
	ldns_rr		*rr = NULL;
	struct in6_addr	 a6;
	char		 abuf[INET6_ADDRSTRLEN], e[STS_ERR_MAX];
	size_t		 i, t, found = 0;
	int		 failed = 0;

	if (inet_pton(AF_INET, host, &a6) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1)
		return sts_strlist_add(addrs, host) == -1 ? -1 : 0;
	e[0] = '\0';
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (dns_lookup(d, d->server, host, types[t], 1, &list, NULL, e,
		    sizeof(e)) == -1) {
			failed = 1;
			continue;
		}
		for (i = 0; i < ldns_rr_list_rr_count(list) &&
		    found < DNS_ADDR_MAX; i++) {
			rr = ldns_rr_list_rr(list, i);
			if (ldns_rr_rd_count(rr) < 1 ||
			    rdf2addr(ldns_rr_rdf(rr, 0), abuf, sizeof(abuf)) == -1)
				continue;
			if (sts_strlist_add(addrs, abuf) == -1) {
				ldns_rr_list_deep_free(list);
				sts_err(err, errlen, "out of memory");
				return -1;
			}
			found++;
		}
		ldns_rr_list_deep_free(list);
		list = NULL;
	}
	if ((found == 0 || strict) && failed) {
		sts_err(err, errlen, "%s", e);
		return -1;
	}
	return 0;
}

int
dns_addrs(struct dns *d, const char *host, struct sts_strlist *addrs,
    char *err, size_t errlen)
{
	return addrs_lookup(d, host, 0, addrs, err, errlen);
}

int
dns_addrs_all(struct dns *d, const char *host, struct sts_strlist *addrs,
    char *err, size_t errlen)
{
	return addrs_lookup(d, host, 1, addrs, err, errlen);
}

/* rec contains want, ending where a field ends ("id=1" is not in "id=12") */
static int
shows(const char *rec, const char *want)
{
	const char	*p = rec;
	size_t		 len = strlen(want);

	if (len == 0)
		return 1;
	while ((p = strstr(p, want)) != NULL) {
		if (p[len] == '\0' || p[len] == ';' || p[len] == ' ' ||
		    p[len] == '\t')
			return 1;
		p++;
	}
	return 0;
}

/*
 * Can this host reach addr at all? A UDP connect() sends nothing but
 * fails at once without a route (an IPv6 address seen from an IPv4-only
 * checker): such an address is no fault of the server's.
 */
static int
routable(const char *addr)
{
	struct sockaddr_in6	 s6;
	struct sockaddr_in	 s4;
	int			 fd, ok;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(53);
		if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			return 1;
		ok = connect(fd, (struct sockaddr *)&s4, sizeof(s4)) == 0;
	} else if (inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(53);
		if ((fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
			return 0;	/* no IPv6 here at all */
		ok = connect(fd, (struct sockaddr *)&s6, sizeof(s6)) == 0;
	} else
		return 0;
	close(fd);
	return ok;
}

/* Ask one server (an address literal) directly, no recursion. */
static int
ask_auth(struct dns *d, const char *nsname, const char *addr, const char *name,
    const char *want, char *err, size_t errlen)
{
	ldns_resolver		*res = NULL;
	struct dns		 one;
	struct sts_strlist	 recs = { 0 };
	ldns_rr_list		*list = NULL;
	char			 who[STS_HOST_MAX + INET6_ADDRSTRLEN + 8];
	size_t			 i;
	int			 rc = -1, aa = 0;

	snprintf(who, sizeof(who), "%s (%s)", nsname, addr);
	memset(&one, 0, sizeof(one));
	dns_udp_init(&one);
	if ((res = ldns_resolver_new()) == NULL || dns_push_addr(res, addr) == -1) {
		sts_err(err, errlen, "%s: cannot use address", who);
		goto out;
	}
	one.res = res;
	one.timeout = d->timeout;
	dns_tune(res, d->timeout, 0);
	ldns_resolver_set_port(res, 53);	/* whatever port our resolver has */
	if (dns_lookup(&one, who, name, LDNS_RR_TYPE_TXT, 0, &list, &aa, err,
	    errlen) == -1)
		goto out;
	if (!aa) {
		sts_err(err, errlen, "%s: authoritative server %s does not answer "
		    "authoritatively", name, who);
		goto out;
	}
	if (txt_join(list, name, &recs, err, errlen) == -1)
		goto out;
	for (i = 0; i < recs.n; i++)
		if (shows(recs.v[i], want))
			break;
	if (i == recs.n) {
		sts_err(err, errlen, "%s: authoritative server %s %s", name, who,
		    recs.n == 0 ? "has no TXT record there yet" :
		    "does not have the new record yet");
		goto out;
	}
	rc = 0;
 out:
	sts_strlist_free(&recs);
	ldns_rr_list_deep_free(list);
	ldns_resolver_deep_free(res);
	dns_udp_close(&one);
	return rc;
}

int
dns_check_auth(struct dns *d, const char *zone, const char *name,
    const char *want, char *err, size_t errlen)
{
	ldns_rr_list		*ns = NULL;
	struct sts_strlist	 addrs = { 0 };
	char			 nsname[STS_HOST_MAX + 1];
	size_t			 i, j, cnt, asked;
	int			 rc = -1;

	if (dns_lookup(d, d->server, zone, LDNS_RR_TYPE_NS, 1, &ns, NULL, err,
	    errlen) == -1)
		return -1;
	if ((cnt = ldns_rr_list_rr_count(ns)) == 0) {
		sts_err(err, errlen, "%s: no NS records (DNS server %s)", zone,
		    d->server);
		goto out;
	}
	if (cnt > DNS_NS_MAX)
		cnt = DNS_NS_MAX;
	for (i = 0; i < cnt; i++) {
		if (ldns_rr_rd_count(ldns_rr_list_rr(ns, i)) < 1 ||
		    dns_name2str(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0), nsname,
		    sizeof(nsname)) == -1) {
			sts_err(err, errlen, "%s: malformed NS record", zone);
			goto out;
		}
		sts_strlist_free(&addrs);
		if (dns_addrs(d, nsname, &addrs, err, errlen) == -1)
			goto out;
		if (addrs.n == 0) {
			sts_err(err, errlen, "%s: name server %s has no address",
			    zone, nsname);
			goto out;
		}
		for (j = 0, asked = 0; j < addrs.n; j++) {
			if (!routable(addrs.v[j]))
				continue;
			asked++;
			if (ask_auth(d, nsname, addrs.v[j], name, want, err,
			    errlen) == -1)
				goto out;
		}
		if (asked == 0) {
			sts_err(err, errlen, "%s: no address of name server %s "
			    "can be reached from here", zone, nsname);
			goto out;
		}
	}
	rc = 0;
 out:
	sts_strlist_free(&addrs);
	ldns_rr_list_deep_free(ns);
	return rc;
}
