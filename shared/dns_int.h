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
	/* the UDP socket of the last answer, connected to server ufd_ns, kept
	 * for the next query (a run asks hundreds of thousands), and the
	 * buffer answers are read into */
	int		 ufd;
	size_t		 ufd_ns;
	uint8_t		*ubuf;
};

/* the UDP socket and buffer a struct dns keeps between queries, freed */
void	 dns_udp_free(struct dns *);
/* two tries of half of timeout each; recursion desired or not */
void	 dns_tune(ldns_resolver *, unsigned timeout, int recursive);
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
