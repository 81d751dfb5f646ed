/* SPDX-License-Identifier: ISC */
/*
 * dns.c: the resolver the checker asks DNS through (libldns): opened on
 * /etc/resolv.conf or a configured server, one query at a time over UDP
 * with TCP on truncation, CNAME chains followed. Every query is bounded by
 * the resolver's timeout; nothing here prints. The questions themselves
 * (TXT, MX, the zone, the authoritative servers, addresses) are in
 * dns_ask.c.
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


static double
now_mono(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
dns_push_addr(ldns_resolver *res, const char *addr)
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

/* "host", "host:port", "[v6]:port", "v6" */
int
server_split(const char *spec, char *host, size_t hostlen, uint16_t *port)
{
	const char *colon = NULL, *end = NULL;
	unsigned long v;
	char *ep = NULL;
	size_t n;

	*port = 53;
	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL)
			return -1;
		n = (size_t)(end - spec - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
		spec++;
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* a bare IPv6 address */
		n = colon ? (size_t)(colon - spec) : strlen(spec);
	}
	if (n == 0 || n >= hostlen)
		return -1;
	memcpy(host, spec, n);
	host[n] = '\0';
	if (colon != NULL) {
		errno = 0;
		if (!isdigit((unsigned char)colon[1]))
			return -1;
		v = strtoul(colon + 1, &ep, 10);
		if (errno != 0 || *ep != '\0' || v == 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	return 0;
}

/*
 * "host[:port]", "[v6]:port" or a bare IPv6 literal (server_split); a host
 * name is resolved with getaddrinfo (this is configuration, not a lookup
 * under test).
 */
static int
push_server(ldns_resolver *res, const char *server, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL, *p = NULL;
	char		 host[256], abuf[INET6_ADDRSTRLEN];
	uint16_t	 port;
	int		 n = 0, gai;

	if (server_split(server, host, sizeof(host), &port) == -1)
		return sts_err(err, errlen, "DNS server '%s': expected "
		    "host[:port]", server);
	ldns_resolver_set_port(res, port);
	if (dns_push_addr(res, host) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	if ((gai = getaddrinfo(host, NULL, &hints, &ai)) != 0)
		return sts_err(err, errlen, "DNS server %s: %s", host,
		    gai_strerror(gai));
	for (p = ai; p != NULL; p = p->ai_next) {
		if (p->ai_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)p->ai_addr)->sin_addr,
			    abuf, sizeof(abuf));
		else if (p->ai_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)p->ai_addr)->sin6_addr,
			    abuf, sizeof(abuf));
		else
			continue;
		if (dns_push_addr(res, abuf) == 0)
			n++;
	}
	freeaddrinfo(ai);
	if (n == 0)
		return sts_err(err, errlen, "DNS server %s: no usable address",
		    host);
	return 0;
}

void
dns_tune(ldns_resolver *res, unsigned timeout, int recursive)
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
	 * A truncated answer comes back to dns_query(), which asks again over
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
	struct dns	*d = NULL;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->res = res;
	d->ufd = -1;
	d->timeout = timeout ? timeout : 1;
	dns_tune(res, d->timeout, 1);
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
			goto out;
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
			goto out;
		if (snprintf(label, sizeof(label), "%s", server) >= (int)sizeof(label))
			snprintf(label, sizeof(label), "%s", "(configured)");
	}
	if ((d = dns_new(res, timeout, label)) == NULL)
		sts_err(err, errlen, "out of memory");
 out:
	if (d == NULL)
		ldns_resolver_deep_free(res);
	return d;
}

int
dns_secure(const struct dns *d)
{
	return d->secure;
}

void
dns_close(struct dns *d)
{
	if (d == NULL)
		return;
	dns_udp_free(d);
	ldns_resolver_deep_free(d->res);
	free(d);
}

void
dns_udp_free(struct dns *d)
{
	if (d->ufd != -1)
		close(d->ufd);
	d->ufd = -1;
	free(d->ubuf);
	d->ubuf = NULL;
}

/* "example.com" -> absolute dname; refuses what is not a plausible name */
ldns_rdf *
dns_mkname(const char *name, char *err, size_t errlen)
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
int
dns_name2str(const ldns_rdf *rdf, char *out, size_t outlen)
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
 * The query qp over UDP to each of the resolver's servers in turn, each
 * try bounded by the resolver's timeout, for as many rounds as its retry
 * count (dns_tune). The socket is connected, so only the server's own
 * address can answer, and a server where nothing listens (ICMP port
 * unreachable) fails at once instead of after the timeout. A datagram
 * that does not parse or carries another id is not ours (a stray or a
 * forgery, RFC 5452 §9.1): it is dropped and the wait goes on (an answer
 * to another question is dns_query's error),
 * and if nothing better comes the error says what came. The socket that
 * brought an answer is kept for the next query to the same server (a late
 * duplicate of an old answer then carries an old id and is dropped); one
 * that did not is closed. 0 with *out (its answerfrom set, for TCP after
 * truncation), or -1 with err.
 */
static int
query_udp(struct dns *d, const char *server, const char *name,
    const ldns_pkt *qp, ldns_pkt **out, char *err, size_t errlen)
{
	ldns_rdf		**ns = ldns_resolver_nameservers(d->res);
	size_t			 nns = ldns_resolver_nameserver_count(d->res);
	struct timeval		 tv = ldns_resolver_timeout(d->res);
	double			 per = tv.tv_sec + tv.tv_usec / 1e6, deadline;
	unsigned		 tries = ldns_resolver_retry(d->res), t;
	struct sockaddr_storage	*ss = NULL;
	uint8_t			*wire = NULL, *buf;
	unsigned char		*dead = NULL;
	size_t			 wlen = 0, sslen = 0, i, ndead = 0;
	ssize_t			 n;
	int			 fd = -1, rc = -1, lasterr = 0;
	long			 badid = -1;
	ldns_pkt		*p = NULL;

	*out = NULL;
	if (tries == 0)
		tries = 1;
	if (d->ubuf == NULL)
		d->ubuf = malloc(65535);
	buf = d->ubuf;
	if (nns == 0 || ldns_pkt2wire(&wire, qp, &wlen) != LDNS_STATUS_OK ||
	    buf == NULL || (dead = calloc(nns, 1)) == NULL) {
		sts_err(err, errlen, "%s: the query to DNS server %s cannot be "
		    "sent", name, server);
		goto out;
	}
	for (t = 0; t < tries && ndead < nns; t++) {
		for (i = 0; i < nns && ndead < nns; i++) {
			if (dead[i])
				continue;
			if (d->ufd != -1 && d->ufd_ns == i) {
				fd = d->ufd;	/* the last answer's */
				d->ufd = -1;
			} else {
				if (d->ufd != -1)
					close(d->ufd);
				d->ufd = -1;
				free(ss);
				if ((ss = ldns_rdf2native_sockaddr_storage(ns[i],
				    ldns_resolver_port(d->res), &sslen)) == NULL)
					continue;
				if ((fd = socket(ss->ss_family, SOCK_DGRAM |
				    SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) != -1 &&
				    connect(fd, (struct sockaddr *)ss,
				    (socklen_t)sslen) == -1) {
					lasterr = errno;
					close(fd);
					fd = -1;
					errno = lasterr;
				}
			}
			if (fd == -1 || send(fd, wire, wlen, 0) != (ssize_t)wlen) {
				/* no route, no address of that family: for good */
				lasterr = errno;
				dead[i] = 1;
				ndead++;
				goto next;
			}
			deadline = now_mono() + per;
			while (wait_fd(fd, POLLIN, deadline) == 0) {
				if ((n = recv(fd, buf, 65535, 0)) == -1) {
					if (errno == EINTR || errno == EAGAIN)
						continue;
					/* ECONNREFUSED: nothing listens there */
					lasterr = errno;
					dead[i] = 1;
					ndead++;
					break;
				}
				if (ldns_wire2pkt(&p, buf, (size_t)n) != LDNS_STATUS_OK) {
					p = NULL;
					continue;
				}
				if (ldns_pkt_id(p) != ldns_pkt_id(qp)) {
					badid = ldns_pkt_id(p);
					ldns_pkt_free(p);
					p = NULL;
					continue;
				}
				ldns_pkt_set_answerfrom(p, ldns_rdf_clone(ns[i]));
				*out = p;
				d->ufd = fd;	/* kept for the next query */
				d->ufd_ns = i;
				fd = -1;
				rc = 0;
				goto out;
			}
 next:
			if (fd != -1)
				close(fd);
			fd = -1;
		}
	}
	if (badid != -1)
		sts_err(err, errlen, "%s: DNS server %s answered with message id "
		    "%ld, not %u (the query's), and no answer with the right id "
		    "came within %u s: a forged or misdirected answer", name,
		    server, badid, ldns_pkt_id(qp), d->timeout);
	else if (ndead == nns && lasterr == ECONNREFUSED)
		sts_err(err, errlen, "%s: DNS server %s is not listening on "
		    "port %u (connection refused)", name, server,
		    (unsigned)ldns_resolver_port(d->res));
	else if (ndead == nns)
		sts_err(err, errlen, "%s: DNS server %s cannot be reached: %s",
		    name, server, strerror(lasterr));
	else
		sts_err(err, errlen, "%s: DNS server %s did not answer within "
		    "%u s", name, server, d->timeout);
 out:
	if (fd != -1)
		close(fd);
	free(ss);
	free(wire);
	free(dead);
	return rc;
}

/*
 * One query. 0 with *pkt for NOERROR and NXDOMAIN; -1 with err (naming
 * `name` and the server) for everything else.
 */
int
dns_query(struct dns *d, const char *server, const ldns_rdf *qname,
    ldns_rr_type type, ldns_pkt **pkt, char *err, size_t errlen)
{
	ldns_pkt	*p = NULL, *qp = NULL, *tp = NULL;
	ldns_rr_list	*q = NULL;
	ldns_status	 st;
	ldns_pkt_rcode	 rc;
	int		 ret = -1;
	char		 name[STS_HOST_MAX + 2];
	uint16_t	 flags;

	*pkt = NULL;
	if (dns_name2str(qname, name, sizeof(name)) == -1)
		snprintf(name, sizeof(name), "%s", "(name)");
	/* one query may take a timeout: none is started past the deadline */
	if (deadline_passed()) {
		sts_err(err, errlen, "%s: cut short: %s ran out before asking "
		    "DNS server %s", name, deadline_what(), server);
		return -1;
	}
	/*
	 * AD in a query asks a validating resolver to say whether it
	 * validated the answer (RFC 6840 §5.7), without asking for the
	 * DNSSEC records themselves (DO).
	 */
	flags = ldns_resolver_recursive(d->res) ? LDNS_RD | LDNS_AD : 0;
	st = ldns_resolver_prepare_query_pkt(&qp, d->res, qname, type,
	    LDNS_RR_CLASS_IN, flags);
	if (st != LDNS_STATUS_OK) {
		sts_err(err, errlen, "%s: the query to DNS server %s cannot be "
		    "made: %s", name, server, ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (query_udp(d, server, name, qp, &p, err, errlen) == -1)
		goto out;
	if (ldns_pkt_id(p) == ldns_pkt_id(qp) && ldns_pkt_tc(p)) {
		if (query_tcp(d, server, name, qp, ldns_pkt_answerfrom(p), &tp,
		    err, errlen) == -1)
			goto out;
		ldns_pkt_free(p);
		p = tp;
	}
	/* over TCP too, an answer with another id is not ours (spoofed?) */
	if (ldns_pkt_id(p) != ldns_pkt_id(qp)) {
		sts_err(err, errlen, "%s: DNS server %s answered with message id "
		    "%u, not %u (the query's): a forged or misdirected answer",
		    name, server, ldns_pkt_id(p), ldns_pkt_id(qp));
		goto out;
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
		goto out;
	}
	if (ldns_pkt_tc(p)) {
		sts_err(err, errlen, "%s: DNS server %s sent a truncated answer "
		    "(and TCP did not work)", name, server);
		goto out;
	}
	q = ldns_pkt_question(p);
	if (q == NULL || ldns_rr_list_rr_count(q) != 1 ||
	    ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(q, 0)), qname) != 0 ||
	    ldns_rr_get_type(ldns_rr_list_rr(q, 0)) != type) {
		sts_err(err, errlen, "%s: DNS server %s answered a different "
		    "question", name, server);
		goto out;
	}
	*pkt = p;
	p = NULL;
	ret = 0;
 out:
	ldns_pkt_free(qp);
	ldns_pkt_free(p);
	return ret;
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
	ldns_rr		*rr = NULL;
	ldns_rdf	*next = NULL;
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
int
dns_lookup(struct dns *d, const char *server, const char *name, ldns_rr_type type,
    int requery, ldns_rr_list **out, int *aa, char *err, size_t errlen)
{
	ldns_rdf	*qname = NULL, *cur = NULL, *prev = NULL;
	ldns_rdf	*seen[DNS_CNAME_MAX + 1];
	ldns_pkt	*pkt = NULL;
	ldns_rr_list	*ans = NULL, *res = NULL;
	ldns_rr		*rr = NULL, *copy = NULL;
	size_t		 i;
	int		 hops = 0, rc = -1, k, round;

	*out = NULL;
	d->secure = 0;		/* until every answer has shown AD */
	memset(seen, 0, sizeof(seen));
	if ((qname = dns_mkname(name, err, errlen)) == NULL)
		return -1;
	if ((res = ldns_rr_list_new()) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	cur = qname;
	d->secure = 1;
	for (round = 0; round <= DNS_CNAME_MAX; round++) {
		ldns_pkt_free(pkt);
		pkt = NULL;
		if (dns_query(d, server, cur, type, &pkt, err, errlen) == -1)
			goto out;
		if (aa != NULL && round == 0)
			*aa = ldns_pkt_aa(pkt);
		if (!ldns_pkt_ad(pkt))
			d->secure = 0;
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
	if (rc == -1)
		d->secure = 0;
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(res);
	for (k = 0; k < hops; k++)
		ldns_rdf_deep_free(seen[k]);
	ldns_rdf_deep_free(qname);
	return rc;
}
