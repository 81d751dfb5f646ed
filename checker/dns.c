/*
 * DNS as a sender sees it, through libldns: TXT (CNAMEs followed, strings
 * joined), MX, the zone that holds a name, what each authoritative server
 * says, and addresses to connect to. Every query is bounded by the
 * resolver's timeout; nothing here prints.
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

#include "check.h"

#define DNS_CNAME_MAX	8		/* CNAME hops we follow */
#define DNS_TXT_MAX	65536		/* all TXT data at one name, joined */
#define DNS_UDP_SIZE	1232		/* EDNS0 buffer size (DNS flag day 2020) */
#define DNS_NS_MAX	16		/* authoritative servers we ask */
#define DNS_ADDR_MAX	16		/* addresses per host we keep */

struct dns {
	ldns_resolver	*res;
	unsigned	 timeout;
	char		 server[128];	/* for messages: "127.0.0.1", "/etc/resolv.conf" */
};

static double
now_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Push one address literal (text) as a nameserver. */
static int
push_literal(ldns_resolver *res, const char *addr)
{
	ldns_rdf	*rdf = NULL;
	ldns_status	 st;
	struct in6_addr	 a6;
	struct in_addr	 a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	else if (inet_pton(AF_INET6, addr, &a6) == 1)
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, addr);
	if (rdf == NULL)
		return -1;
	st = ldns_resolver_push_nameserver(res, rdf);
	ldns_rdf_deep_free(rdf);
	return st == LDNS_STATUS_OK ? 0 : -1;
}

/*
 * Split "host[:port]", "[v6]:port" or a bare IPv6 literal; resolve a host
 * name with getaddrinfo (this is configuration, not a lookup under test).
 */
static int
push_server(ldns_resolver *res, const char *server, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL, *p;
	char		 host[256], abuf[INET6_ADDRSTRLEN];
	const char	*colon, *port = NULL, *end;
	long		 pnum = 53;
	char		*ep;
	size_t		 len;
	int		 n = 0, gai;

	if (server[0] == '[') {
		if ((end = strchr(server, ']')) == NULL)
			goto bad;
		len = end - server - 1;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			goto bad;
		server++;
	} else if ((colon = strchr(server, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		len = colon - server;
		port = colon + 1;
	} else
		len = strlen(server);	/* no port, or a bare IPv6 literal */
	if (len == 0 || len >= sizeof(host))
		goto bad;
	memcpy(host, server, len);
	host[len] = '\0';
	if (port != NULL) {
		errno = 0;
		pnum = strtol(port, &ep, 10);
		if (*port == '\0' || *ep != '\0' || errno || pnum < 1 ||
		    pnum > 65535)
			goto bad;
	}
	ldns_resolver_set_port(res, (uint16_t)pnum);

	if (push_literal(res, host) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if ((gai = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		sts_err(err, errlen, "DNS server %s: %s", host, gai_strerror(gai));
		return -1;
	}
	for (p = ai; p != NULL; p = p->ai_next) {
		if (p->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr,
			    abuf, sizeof(abuf));
		else if (p->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr,
			    abuf, sizeof(abuf));
		else
			continue;
		if (push_literal(res, abuf) == 0)
			n++;
	}
	freeaddrinfo(ai);
	if (n == 0) {
		sts_err(err, errlen, "DNS server %s: no usable address", host);
		return -1;
	}
	return 0;
bad:
	sts_err(err, errlen, "DNS server '%s': expected host[:port]", server);
	return -1;
}

static void
tune(ldns_resolver *res, unsigned timeout, int recursive)
{
	struct timeval	tv;

	/* two tries of half the time each: a lost UDP packet is retried */
	tv.tv_sec = timeout >= 2 ? timeout / 2 : 1;
	tv.tv_usec = timeout >= 2 && timeout % 2 ? 500000 : 0;
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, timeout >= 2 ? 2 : 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_edns_udp_size(res, DNS_UDP_SIZE);
	/*
	 * A truncated answer comes back to query(), which asks again over
	 * TCP itself: ldns's TCP read waits `timeout` per recv(), so a
	 * server dripping a byte at a time would hold a run for hours.
	 */
	ldns_resolver_set_fallback(res, false);
	ldns_resolver_set_usevc(res, false);
	ldns_resolver_set_igntc(res, true);
	ldns_resolver_set_recursive(res, recursive);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fail(res, false);
	ldns_resolver_set_debug(res, false);
}

static struct dns *
dns_new(ldns_resolver *res, unsigned timeout, const char *label)
{
	struct dns	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->res = res;
	d->timeout = timeout ? timeout : 1;
	tune(res, d->timeout, 1);
	snprintf(d->server, sizeof(d->server), "%s", label);
	return d;
}

struct dns *
dns_open(const char *server, unsigned timeout, char *err, size_t errlen)
{
	ldns_resolver	*res = NULL;
	struct dns	*d = NULL;
	ldns_status	 st;
	char		 label[128], *first = NULL;

	if (server == NULL) {
		if ((st = ldns_resolver_new_frm_file(&res, NULL)) != LDNS_STATUS_OK) {
			sts_err(err, errlen, "/etc/resolv.conf: %s",
			    ldns_get_errorstr_by_id(st));
			return NULL;
		}
		if (ldns_resolver_nameserver_count(res) == 0) {
			sts_err(err, errlen, "/etc/resolv.conf: no nameserver");
			goto fail;
		}
		/* messages name the server asked first */
		first = ldns_rdf2str(ldns_resolver_nameservers(res)[0]);
		if (first == NULL || snprintf(label, sizeof(label), "%s",
		    first) >= (int)sizeof(label))
			snprintf(label, sizeof(label), "%s", "from /etc/resolv.conf");
		free(first);
	} else {
		if ((res = ldns_resolver_new()) == NULL) {
			sts_err(err, errlen, "out of memory");
			return NULL;
		}
		if (push_server(res, server, err, errlen) == -1)
			goto fail;
		if (snprintf(label, sizeof(label), "%s", server) >= (int)sizeof(label))
			snprintf(label, sizeof(label), "%s", "(configured)");
	}
	if ((d = dns_new(res, timeout, label)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto fail;
	}
	return d;
fail:
	ldns_resolver_deep_free(res);
	return NULL;
}

void
dns_close(struct dns *d)
{
	if (d == NULL)
		return;
	ldns_resolver_deep_free(d->res);
	free(d);
}

/* "example.com" -> absolute dname; refuses what is not a plausible name */
static ldns_rdf *
mkname(const char *name, char *err, size_t errlen)
{
	ldns_rdf	*rdf = NULL;
	char		 buf[STS_HOST_MAX + 2], esc[80];
	size_t		 len = strlen(name), i;

	for (i = 0; i < len; i++) {
		unsigned char c = name[i];
		if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '"' ||
		    c == '(' || c == ')' || c == ';')
			break;
	}
	if (len == 0 || i < len || len > STS_HOST_MAX + 1 ||
	    snprintf(buf, sizeof(buf), "%s%s", name,
	    name[len - 1] == '.' ? "" : ".") >= (int)sizeof(buf) ||
	    (rdf = ldns_dname_new_frm_str(buf)) == NULL) {
		sts_err(err, errlen, "'%s': not a valid DNS name",
		    sts_escape(esc, sizeof(esc), name, len));
		return NULL;
	}
	return rdf;
}

/* dname -> "example.com" (no trailing dot, lower-case); -1 if it does not fit */
static int
name2str(const ldns_rdf *rdf, char *out, size_t outlen)
{
	char	*s = NULL;
	size_t	 len, i;
	int	 rc = -1;

	if ((s = ldns_rdf2str(rdf)) == NULL)
		goto out;
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		s[--len] = '\0';
	else if (len == 1 && s[0] == '.')
		s[--len] = '\0';
	if (len >= outlen)
		goto out;
	for (i = 0; i <= len; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? s[i] - 'A' + 'a' : s[i];
	rc = 0;
out:
	free(s);
	return rc;
}

/* wait for fd to be ready for ev until the deadline; 0 ready, -1 timeout/error */
static int
wait_fd(int fd, short ev, double deadline)
{
	struct pollfd	pfd;
	double		left;
	int		n;

	for (;;) {
		if ((left = deadline - now_mono()) <= 0)
			return -1;
		pfd.fd = fd;
		pfd.events = ev;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n == -1 && errno == EINTR)
			continue;
		return n == 1 ? 0 : -1;
	}
}

/* why TCP after a truncated answer failed; how NULL: the deadline passed */
static void
tcp_fail(char *err, size_t errlen, const char *name, const char *server,
    unsigned timeout, const char *how)
{
	if (how == NULL)
		sts_err(err, errlen, "%s: DNS server %s sent a truncated answer "
		    "and did not answer over TCP within %u s", name, server,
		    timeout);
	else
		sts_err(err, errlen, "%s: DNS server %s sent a truncated answer, "
		    "and over TCP %s", name, server, how);
}

/*
 * The query qp again over TCP to the server that sent a truncated answer
 * (ns), the whole exchange bounded by one deadline (ldns's own TCP waits
 * `timeout` per recv(), so a server dripping a byte at a time would hold
 * a run for hours). 0 with *out, or -1 with err.
 */
static int
query_tcp(struct dns *d, const char *server, const char *name,
    const ldns_pkt *qp, const ldns_rdf *ns, ldns_pkt **out, char *err,
    size_t errlen)
{
	struct sockaddr_storage	*ss = NULL;
	uint8_t			*wire = NULL, *msg = NULL, *ans = NULL, hdr[2];
	size_t			 wlen = 0, sslen = 0, done, want;
	double			 deadline = now_mono() + d->timeout;
	ssize_t			 n;
	int			 fd = -1, rc = -1, soerr = 0;
	socklen_t		 slen = sizeof(soerr);

	*out = NULL;
	if (ns == NULL || (ss = ldns_rdf2native_sockaddr_storage(ns,
	    ldns_resolver_port(d->res), &sslen)) == NULL ||
	    ldns_pkt2wire(&wire, qp, &wlen) != LDNS_STATUS_OK || wlen > 65535 ||
	    (msg = malloc(wlen + 2)) == NULL) {
		tcp_fail(err, errlen, name, server, d->timeout,
		    "the query cannot be sent");
		goto out;
	}
	msg[0] = wlen >> 8;
	msg[1] = wlen & 0xff;
	memcpy(msg + 2, wire, wlen);
	if ((fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    (connect(fd, (struct sockaddr *)ss, (socklen_t)sslen) == -1 &&
	    errno != EINPROGRESS)) {
		tcp_fail(err, errlen, name, server, d->timeout, strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, deadline) == -1) {
		tcp_fail(err, errlen, name, server, d->timeout, NULL);
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) == -1 ||
	    soerr != 0) {
		tcp_fail(err, errlen, name, server, d->timeout,
		    strerror(soerr ? soerr : errno));
		goto out;
	}
	for (done = 0; done < wlen + 2; done += (size_t)n) {
		if (wait_fd(fd, POLLOUT, deadline) == -1) {
			tcp_fail(err, errlen, name, server, d->timeout, NULL);
			goto out;
		}
		if ((n = send(fd, msg + done, wlen + 2 - done, MSG_NOSIGNAL)) <= 0) {
			tcp_fail(err, errlen, name, server, d->timeout,
			    n == 0 ? "the query cannot be sent" : strerror(errno));
			goto out;
		}
	}
	/* the length, then the message: one deadline for all of it */
	for (done = 0, want = 2; done < want; done += (size_t)n) {
		if (wait_fd(fd, POLLIN, deadline) == -1) {
			tcp_fail(err, errlen, name, server, d->timeout, NULL);
			goto out;
		}
		n = recv(fd, (ans != NULL ? ans : hdr) + done, want - done, 0);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			tcp_fail(err, errlen, name, server, d->timeout,
			    n == 0 ? "closed the connection" : strerror(errno));
			goto out;
		}
		if (ans == NULL && done + (size_t)n == 2) {
			want = (size_t)hdr[0] << 8 | hdr[1];
			if (want == 0 || (ans = malloc(want)) == NULL) {
				tcp_fail(err, errlen, name, server, d->timeout,
				    "sent an empty answer");
				goto out;
			}
			done = 0;
			n = 0;
		}
	}
	if (ldns_wire2pkt(out, ans, want) != LDNS_STATUS_OK) {
		*out = NULL;
		sts_err(err, errlen, "%s: DNS server %s sent a malformed answer "
		    "over TCP", name, server);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	free(ss);
	free(wire);
	free(msg);
	free(ans);
	return rc;
}

/*
 * One query. 0 with *pkt for NOERROR and NXDOMAIN; -1 with err (naming
 * `name` and the server) for everything else.
 */
static int
query(struct dns *d, const char *server, const ldns_rdf *qname,
    ldns_rr_type type, ldns_pkt **pkt, char *err, size_t errlen)
{
	ldns_pkt	*p = NULL, *qp = NULL, *tp = NULL;
	ldns_rr_list	*q;
	ldns_status	 st;
	ldns_pkt_rcode	 rc;
	char		 name[STS_HOST_MAX + 2];
	double		 t0;
	size_t		 i;
	uint16_t	 flags;

	*pkt = NULL;
	if (name2str(qname, name, sizeof(name)) == -1)
		snprintf(name, sizeof(name), "%s", "(name)");
	/* ldns marks a server that failed once as unreachable for good */
	for (i = 0; i < ldns_resolver_nameserver_count(d->res); i++)
		ldns_resolver_set_nameserver_rtt(d->res, i, LDNS_RESOLV_RTT_MIN);
	flags = ldns_resolver_recursive(d->res) ? LDNS_RD : 0;
	t0 = now_mono();
	/* as ldns_resolver_send, but keeping the query to check the answer's id */
	st = ldns_resolver_prepare_query_pkt(&qp, d->res, qname, type,
	    LDNS_RR_CLASS_IN, flags);
	if (st == LDNS_STATUS_OK)
		st = ldns_resolver_send_pkt(&p, d->res, qp);
	if (st != LDNS_STATUS_OK || p == NULL) {
		if (now_mono() - t0 >= ldns_resolver_timeout(d->res).tv_sec)
			sts_err(err, errlen, "%s: DNS server %s did not answer "
			    "within %u s", name, server, d->timeout);
		else
			sts_err(err, errlen, "%s: DNS server %s: %s", name,
			    server, ldns_get_errorstr_by_id(st));
		goto bad;
	}
	if (ldns_pkt_id(p) == ldns_pkt_id(qp) && ldns_pkt_tc(p)) {
		if (query_tcp(d, server, name, qp, ldns_pkt_answerfrom(p), &tp,
		    err, errlen) == -1)
			goto bad;
		ldns_pkt_free(p);
		p = tp;
	}
	/* ldns takes any answer; one with another id is not ours (spoofed?) */
	if (ldns_pkt_id(p) != ldns_pkt_id(qp)) {
		sts_err(err, errlen, "%s: DNS server %s answered with message id "
		    "%u, not %u (the query's): a forged or misdirected answer",
		    name, server, ldns_pkt_id(p), ldns_pkt_id(qp));
		goto bad;
	}
	ldns_pkt_free(qp);
	qp = NULL;
	rc = ldns_pkt_get_rcode(p);
	if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
		sts_err(err, errlen, "%s: DNS server %s answered %s", name, server,
		    rc == LDNS_RCODE_SERVFAIL ? "SERVFAIL" :
		    rc == LDNS_RCODE_REFUSED ? "REFUSED" :
		    rc == LDNS_RCODE_FORMERR ? "FORMERR" :
		    rc == LDNS_RCODE_NOTIMPL ? "NOTIMP" : "with an error rcode");
		goto bad;
	}
	if (ldns_pkt_tc(p)) {
		sts_err(err, errlen, "%s: DNS server %s sent a truncated answer "
		    "(and TCP did not work)", name, server);
		goto bad;
	}
	q = ldns_pkt_question(p);
	if (q == NULL || ldns_rr_list_rr_count(q) != 1 ||
	    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(q, 0)), qname) != 0 ||
	    ldns_rr_get_type(ldns_rr_list_rr(q, 0)) != type) {
		sts_err(err, errlen, "%s: DNS server %s answered a different "
		    "question", name, server);
		goto bad;
	}
	*pkt = p;
	return 0;
bad:
	ldns_pkt_free(qp);
	ldns_pkt_free(p);
	return -1;
}

/*
 * Follow the CNAME chain from *cur inside the answer section: afterwards
 * *cur is the last name of the chain (a new rdf the caller frees, or the
 * same pointer when there was none). *hops counts every CNAME taken, and
 * a chain longer than DNS_CNAME_MAX or a loop is an error.
 */
static int
chase(ldns_rr_list *ans, ldns_rdf **cur, ldns_rdf **seen, int *hops,
    const char *name, char *err, size_t errlen)
{
	ldns_rr		*rr;
	ldns_rdf	*next;
	size_t		 i;
	int		 found, k;

	do {
		found = 0;
		for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			rr = ldns_rr_list_rr(ans, i);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
			    ldns_dname_compare(ldns_rr_owner(rr), *cur) != 0 ||
			    ldns_rr_rd_count(rr) < 1)
				continue;
			next = ldns_rr_rdf(rr, 0);
			for (k = 0; k < *hops; k++)
				if (ldns_dname_compare(seen[k], next) == 0) {
					sts_err(err, errlen, "%s: CNAME loop", name);
					return -1;
				}
			if (*hops >= DNS_CNAME_MAX) {
				sts_err(err, errlen, "%s: more than %d CNAMEs in a "
				    "row", name, DNS_CNAME_MAX);
				return -1;
			}
			if ((seen[*hops] = ldns_rdf_clone(next)) == NULL) {
				sts_err(err, errlen, "out of memory");
				return -1;
			}
			*cur = seen[(*hops)++];
			found = 1;
			break;
		}
	} while (found);
	return 0;
}

/*
 * Records of `type` at name, CNAMEs followed (re-asking for the end of a
 * chain the answer did not complete when `requery`). Collected rrs are
 * clones in *out. 0 (possibly none), or -1 with err.
 */
static int
lookup(struct dns *d, const char *server, const char *name, ldns_rr_type type,
    int requery, ldns_rr_list **out, int *aa, char *err, size_t errlen)
{
	ldns_rdf	*qname = NULL, *cur, *prev, *seen[DNS_CNAME_MAX + 1];
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*ans, *res = NULL;
	ldns_rr		*rr, *copy;
	size_t		 i;
	int		 hops = 0, rc = -1, k, round;

	*out = NULL;
	memset(seen, 0, sizeof(seen));
	if ((qname = mkname(name, err, errlen)) == NULL)
		return -1;
	if ((res = ldns_rr_list_new()) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	cur = qname;
	for (round = 0; round <= DNS_CNAME_MAX; round++) {
		ldns_pkt_free(pkt);
		pkt = NULL;
		if (query(d, server, cur, type, &pkt, err, errlen) == -1)
			goto out;
		if (aa != NULL && round == 0)
			*aa = ldns_pkt_aa(pkt);
		ans = ldns_pkt_answer(pkt);
		prev = cur;
		if (chase(ans, &cur, seen, &hops, name, err, errlen) == -1)
			goto out;
		for (i = 0; i < ldns_rr_list_rr_count(ans); i++) {
			rr = ldns_rr_list_rr(ans, i);
			/* only what is at the name asked, or at the chain's end */
			if (ldns_rr_get_type(rr) != type ||
			    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
			    ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
				continue;
			if ((copy = ldns_rr_clone(rr)) == NULL ||
			    !ldns_rr_list_push_rr(res, copy)) {
				ldns_rr_free(copy);
				sts_err(err, errlen, "out of memory");
				goto out;
			}
		}
		/*
		 * Done, unless the answer ended in a CNAME whose target it
		 * had nothing for (the server is not authoritative for the
		 * target): then ask for the target itself.
		 */
		if (ldns_rr_list_rr_count(res) > 0 || cur == prev || !requery ||
		    ldns_pkt_get_rcode(pkt) == LDNS_RCODE_NXDOMAIN)
			break;
	}
	*out = res;
	res = NULL;
	rc = 0;
out:
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(res);
	for (k = 0; k < hops; k++)
		ldns_rdf_deep_free(seen[k]);
	ldns_rdf_deep_free(qname);
	return rc;
}

/* The TXT rrs of list, each record's strings joined, into recs. */
static int
txt_join(ldns_rr_list *list, const char *name, struct sts_strlist *recs,
    char *err, size_t errlen)
{
	ldns_rr		*rr;
	ldns_rdf	*rdf;
	char		*buf = NULL;
	const uint8_t	*p;
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

	if (lookup(d, d->server, name, LDNS_RR_TYPE_TXT, 1, &list, NULL,
	    err, errlen) == -1)
		return -1;
	rc = txt_join(list, name, recs, err, errlen);
	ldns_rr_list_deep_free(list);
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
	ldns_rr		*rr;
	struct mx	*mx = NULL;
	size_t		 i, n = 0, cnt;
	int		 rc = -1;

	*mxp = NULL;
	*np = 0;
	if (lookup(d, d->server, domain, LDNS_RR_TYPE_MX, 1, &list, NULL,
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
		    name2str(ldns_rr_rdf(rr, 1), mx[n].host,
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

/* The SOA in list at an owner that is name or one of its ancestors. */
static ldns_rr *
soa_for(ldns_rr_list *list, const ldns_rdf *name)
{
	ldns_rr		*rr;
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
	ldns_rdf	*full = NULL, *cur = NULL, *up;
	ldns_pkt	*pkt = NULL;
	ldns_rr		*soa;
	int		 rc = -1;

	if ((full = mkname(name, err, errlen)) == NULL)
		return -1;
	if ((cur = ldns_rdf_clone(full)) == NULL)
		goto oom;
	while (ldns_dname_label_count(cur) > 0) {
		if (query(d, d->server, cur, LDNS_RR_TYPE_SOA, &pkt, err,
		    errlen) == -1)
			goto out;
		if ((soa = soa_for(ldns_pkt_answer(pkt), cur)) != NULL &&
		    ldns_dname_compare(ldns_rr_owner(soa), cur) != 0)
			soa = NULL;	/* answer SOA must be for the name asked */
		if (soa == NULL)
			soa = soa_for(ldns_pkt_authority(pkt), full);
		if (soa != NULL) {
			if (name2str(ldns_rr_owner(soa), zone, zonelen) == -1 ||
			    name2str(ldns_rr_rdf(soa, 0), primary,
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
			goto oom;
		ldns_rdf_deep_free(cur);
		cur = up;
	}
	sts_err(err, errlen, "%s: no SOA record found for it or any parent "
	    "(DNS server %s)", name, d->server);
	goto out;
oom:
	sts_err(err, errlen, "out of memory");
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

int
dns_addrs(struct dns *d, const char *host, struct sts_strlist *addrs,
    char *err, size_t errlen)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA };
	ldns_rr_list	*list = NULL;
	ldns_rr		*rr;
	struct in6_addr	 a6;
	char		 abuf[INET6_ADDRSTRLEN], e[STS_ERR_MAX];
	size_t		 i, t, found = 0;
	int		 failed = 0;

	if (inet_pton(AF_INET, host, &a6) == 1 ||
	    inet_pton(AF_INET6, host, &a6) == 1)
		return sts_strlist_add(addrs, host) == -1 ? -1 : 0;
	e[0] = '\0';
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		if (lookup(d, d->server, host, types[t], 1, &list, NULL, e,
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
	if (found == 0 && failed) {
		sts_err(err, errlen, "%s", e);
		return -1;
	}
	return 0;
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
	if ((res = ldns_resolver_new()) == NULL || push_literal(res, addr) == -1) {
		sts_err(err, errlen, "%s: cannot use address", who);
		goto out;
	}
	memset(&one, 0, sizeof(one));
	one.res = res;
	one.timeout = d->timeout;
	tune(res, d->timeout, 0);
	ldns_resolver_set_port(res, 53);	/* whatever port our resolver has */
	if (lookup(&one, who, name, LDNS_RR_TYPE_TXT, 0, &list, &aa, err,
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

	if (lookup(d, d->server, zone, LDNS_RR_TYPE_NS, 1, &ns, NULL, err,
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
		    name2str(ldns_rr_rdf(ldns_rr_list_rr(ns, i), 0), nsname,
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
