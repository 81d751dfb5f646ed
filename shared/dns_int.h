/* SPDX-License-Identifier: ISC */
/*
 * dns_int.h: what dns.c (the resolver and the query engine) and
 * dns_ask.c (the questions the checker asks) share; nothing else
 * includes it.
 */
#ifndef DNS_INT_H
#define DNS_INT_H

#include <ldns/ldns.h>

#define DNS_CNAME_MAX	8		/* CNAME hops we follow */
#define DNS_TXT_MAX	65536		/* all TXT data at one name, joined */
#define DNS_UDP_SIZE	1232		/* EDNS0 buffer size (DNS flag day 2020) */
#define DNS_NS_MAX	16		/* authoritative servers we ask */
#define DNS_ADDR_MAX	16		/* addresses per host we keep */

struct dns {
	ldns_resolver	*res;
	unsigned	 timeout;
	char		 server[128];	/* for messages: "127.0.0.1", "/etc/resolv.conf" */
	int		 secure;	/* every answer of the last dns_lookup had AD set */
	int		 udp[2];	/* the UDP sockets (IPv4, IPv6) kept between queries, -1 none */
	int		 udp_used[2];	/* ... that have carried an answered query */
	uint8_t		*ubuf;		/* LDNS_MAX_PACKETLEN for a datagram, or NULL */
};

/* two tries of half of timeout each; recursion desired or not */
void	 dns_tune(ldns_resolver *, unsigned timeout, int recursive);
/* no UDP socket yet (a struct dns made by hand), or close them */
void	 dns_udp_init(struct dns *);
void	 dns_udp_close(struct dns *);
/* "example.com" -> absolute dname; refuses what is not a plausible name */
ldns_rdf *dns_mkname(const char *name, char *err, size_t errlen);
/* dname -> "example.com" (no trailing dot, lower-case); -1 if it does not fit */
int	 dns_name2str(const ldns_rdf *, char *out, size_t outlen);
/*
 * One query to server (NULL: the resolver's). 0 with *pkt for NOERROR and
 * NXDOMAIN; -1 with err (naming the name and the server) otherwise.
 */
int	 dns_query(struct dns *, const char *server, const ldns_rdf *qname,
	    ldns_rr_type, ldns_pkt **pkt, char *err, size_t errlen);
/*
 * Records of type at name, CNAMEs followed (re-asking for the end of a
 * chain the answer did not complete when requery), cloned into *out;
 * *aa: the answer was authoritative. 0 (possibly none), or -1 with err.
 */
int	 dns_lookup(struct dns *, const char *server, const char *name,
	    ldns_rr_type, int requery, ldns_rr_list **out, int *aa,
	    char *err, size_t errlen);

#endif /* DNS_INT_H */
