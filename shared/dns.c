/* SPDX-License-Identifier: ISC */
/*
 * dns.c: the resolver the checker asks DNS through (libldns): opened on
 * /etc/resolv.conf or a configured server, one query at a time over UDP
 * (on a socket kept between queries) with TCP on truncation, CNAME chains
 * followed. Every query is bounded by
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
	dns_udp_init(d);
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
	dns_udp_close(d);
	ldns_resolver_deep_free(d->res);
	free(d);
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

/* ---- UDP ----------------------------------------------------------------- */

void
dns_udp_init(struct dns *d)
{
	d->udp[0] = d->udp[1] = -1;
	d->udp_used[0] = d->udp_used[1] = 0;
	d->ubuf = NULL;
}

static void
udp_drop(struct dns *d, int k)
{
	if (d->udp[k] != -1)
		close(d->udp[k]);
	d->udp[k] = -1;
	d->udp_used[k] = 0;
}

void
dns_udp_close(struct dns *d)
{
	udp_drop(d, 0);
	udp_drop(d, 1);
	free(d->ubuf);
	d->ubuf = NULL;
}

/*
 * One try at one server, as ldns_udp_send does it (the first datagram that
 * comes within the resolver's timeout is the answer, whoever sent it), but
 * on a socket kept between queries: a run asks hundreds of thousands of
 * questions, and ldns's socket, two fcntl() and close() made eight system
 * calls of each where three do (sendto, poll, recvfrom). So that an old
 * answer never passes for a new one, a socket is closed after every try
 * that did not end with an answer to its own query, and on a socket that
 * carried an answer before, a datagram with another message id is dropped
 * (a late duplicate) rather than taken. 0 with the answer's wire in buf
 * (*n), or an ldns status.
 */
static ldns_status
udp_try(struct dns *d, const struct sockaddr_storage *ss, socklen_t sslen,
    const uint8_t *q, size_t qlen, uint8_t *buf, size_t buflen, size_t *n)
{
	struct timeval	 tv = ldns_resolver_timeout(d->res);
	struct pollfd	 pfd;
	double		 deadline;
	ssize_t		 r;
	int		 k = ss->ss_family == AF_INET6, left;

	if (d->udp[k] == -1) {
		if ((d->udp[k] = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, IPPROTO_UDP)) == -1)
			return LDNS_STATUS_SOCKET_ERROR;
		d->udp_used[k] = 0;
	}
	if (sendto(d->udp[k], q, qlen, 0, (const struct sockaddr *)ss,
	    sslen) != (ssize_t)qlen) {
		udp_drop(d, k);
		return LDNS_STATUS_SOCKET_ERROR;
	}
	deadline = now_mono() + tv.tv_sec + tv.tv_usec / 1e6;
	for (;;) {
		left = (int)((deadline - now_mono()) * 1000);
		pfd.fd = d->udp[k];
		pfd.events = POLLIN | POLLERR;
		pfd.revents = 0;
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		r = recvfrom(d->udp[k], buf, buflen, 0, NULL, NULL);
		if (r <= 0) {
			if (r == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			break;
		}
		/* an id other than ours on a used socket: an old answer */
		if (d->udp_used[k] && r >= 2 && memcmp(buf, q, 2) != 0)
			continue;
		*n = (size_t)r;
		if (r >= 2 && memcmp(buf, q, 2) == 0)
			d->udp_used[k] = 1;
		else
			udp_drop(d, k);	/* a stranger's: nothing more from it */
		return LDNS_STATUS_OK;
	}
	udp_drop(d, k);
	return LDNS_STATUS_NETWORK_ERR;
}

/*
 * qp to the resolver's servers as ldns_resolver_send_pkt does it over UDP:
 * each server in turn (but those marked unreachable), up to retry tries
 * each; a server that does not answer is marked; the first answer is
 * taken. 0 with *out (its answerfrom set), or an ldns status.
 */
static ldns_status
udp_send(struct dns *d, const ldns_pkt *qp, ldns_pkt **out)
{
	struct sockaddr_storage	*ss = NULL;
	ldns_rdf		**ns = ldns_resolver_nameservers(d->res);
	size_t			*rtt = ldns_resolver_rtt(d->res);
	uint8_t			*wire = NULL;
	size_t			 wlen = 0, sslen = 0, n = 0, i;
	ldns_status		 st = LDNS_STATUS_OK, sent;
	int			 any = 0, tries;

	*out = NULL;
	if ((st = ldns_pkt2wire(&wire, qp, &wlen)) != LDNS_STATUS_OK)
		return st;
	if (d->ubuf == NULL && (d->ubuf = malloc(LDNS_MAX_PACKETLEN)) == NULL) {
		free(wire);
		return LDNS_STATUS_MEM_ERR;
	}
	for (i = 0; i < ldns_resolver_nameserver_count(d->res); i++) {
		if (rtt[i] == LDNS_RESOLV_RTT_INF)
			continue;
		free(ss);
		if ((ss = ldns_rdf2native_sockaddr_storage(ns[i],
		    ldns_resolver_port(d->res), &sslen)) == NULL)
			continue;
		any = 1;
		sent = LDNS_STATUS_ERR;
		for (tries = ldns_resolver_retry(d->res); tries > 0; tries--)
			if ((sent = udp_try(d, ss, (socklen_t)sslen, wire, wlen,
			    d->ubuf, LDNS_MAX_PACKETLEN, &n)) == LDNS_STATUS_OK)
				break;
		if (sent != LDNS_STATUS_OK) {
			ldns_resolver_set_nameserver_rtt(d->res, i,
			    LDNS_RESOLV_RTT_INF);
			st = sent;
			continue;
		}
		if ((st = ldns_wire2pkt(out, d->ubuf, n)) != LDNS_STATUS_OK) {
			*out = NULL;
			goto out;
		}
		ldns_pkt_set_answerfrom(*out, ldns_rdf_clone(ns[i]));
		ldns_pkt_set_size(*out, n);
		break;
	}
	if (!any)
		st = LDNS_STATUS_RES_NO_NS;
 out:
	free(ss);
	free(wire);
	return st;
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
	double		 t0;
	size_t		 i;
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
	/* ldns marks a server that failed once as unreachable for good */
	for (i = 0; i < ldns_resolver_nameserver_count(d->res); i++)
		ldns_resolver_set_nameserver_rtt(d->res, i, LDNS_RESOLV_RTT_MIN);
	/*
	 * AD in a query asks a validating resolver to say whether it
	 * validated the answer (RFC 6840 §5.7), without asking for the
	 * DNSSEC records themselves (DO).
	 */
	flags = ldns_resolver_recursive(d->res) ? LDNS_RD | LDNS_AD : 0;
	t0 = now_mono();
	/* as ldns_resolver_send, but keeping the query to check the answer's id */
	st = ldns_resolver_prepare_query_pkt(&qp, d->res, qname, type,
	    LDNS_RR_CLASS_IN, flags);
	if (st == LDNS_STATUS_OK)
		st = udp_send(d, qp, &p);
	if (st != LDNS_STATUS_OK || p == NULL) {
		if (now_mono() - t0 >= ldns_resolver_timeout(d->res).tv_sec)
			sts_err(err, errlen, "%s: DNS server %s did not answer "
			    "within %u s", name, server, d->timeout);
		else
			sts_err(err, errlen, "%s: DNS server %s: %s", name,
			    server, ldns_get_errorstr_by_id(st));
		goto out;
	}
	if (ldns_pkt_id(p) == ldns_pkt_id(qp) && ldns_pkt_tc(p)) {
		if (query_tcp(d, server, name, qp, ldns_pkt_answerfrom(p), &tp,
		    err, errlen) == -1)
			goto out;
		ldns_pkt_free(p);
		p = tp;
	}
	/* ldns takes any answer; one with another id is not ours (spoofed?) */
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
