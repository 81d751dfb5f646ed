/* SPDX-License-Identifier: ISC */
/*
 * sender.h: how a sending MTA sees a domain, shared by mta-sts-check and
 * mta-sts-resolve (one implementation of a sender's view):
 *
 *   dns.c        the resolver and its queries (libldns); dns_int.h is
 *                what it shares with dns_ask.c, and nothing else includes it
 *   dns_ask.c    what DNS shows: TXT, MX, the zone, the authoritative
 *                servers, addresses
 *   conn.c       TCP with deadlines and TLS, under https.c (and the
 *                checker's smtp.c)
 *   https.c      the policy fetch, as a sender does it
 *   deadline.c   a per-thread bound on top of each step's timeout
 *   sender.c     a sender reads a policy: record, fetch, media type, parse
 *
 * Every network function is bounded by `timeout` seconds per step (and by
 * the thread's deadline), never prints, and returns errors as text naming
 * the host or record. All are safe to call from several threads at once.
 */
#ifndef STS_SENDER_H
#define STS_SENDER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mtasts.h"

/* ---- dns.c, dns_ask.c (libldns) ----------------------------------------- */

/* dns-server: "host", "host:port", "[v6]:port" or a bare IPv6 address; port 53 by default */
int	 server_split(const char *spec, char *host, size_t hostlen, uint16_t *port);

struct dns;	/* a resolver; one per thread */

/* server "host[:port]" or NULL for /etc/resolv.conf; timeout in seconds */
struct dns *dns_open(const char *server, unsigned timeout, char *err, size_t errlen);
void	 dns_close(struct dns *);

/*
 * TXT records at name, CNAMEs followed (at most 8), each record's strings
 * joined with nothing between them. Returns 0 with recs filled (possibly
 * empty: NXDOMAIN/NODATA), or -1 with err on SERVFAIL, timeout, a
 * truncated or malformed answer ("_mta-sts.example.com: DNS server
 * 127.0.0.1 did not answer within 5 s").
 */
int	 dns_txt(struct dns *, const char *name, struct sts_strlist *recs,
	    char *err, size_t errlen);

/*
 * The target of the CNAME at name (that one record, not followed), no
 * trailing dot, lower-case: how the checker sees that a customer's
 * _mta-sts.<domain> or mta-sts.<domain> points where it should. 0 with
 * target "" when name has no CNAME; -1 with err when DNS gave no answer.
 */
int	 dns_cname(struct dns *, const char *name, char *target,
	    size_t targetlen, char *err, size_t errlen);

struct mx {
	unsigned	pref;
	char		host[STS_HOST_MAX + 1];	/* no trailing dot, lower-case; "" for a null MX (RFC 7505) */
};
/* MX records sorted by preference; 0 with *n = 0 when there are none */
int	 dns_mx(struct dns *, const char *domain, struct mx **mx, size_t *n,
	    char *err, size_t errlen);

/*
 * 1 when every answer of this resolver's last lookup (dns_txt, dns_mx,
 * dns_addrs, ... each CNAME step included) carried the AD bit: a
 * validating resolver vouched for it (RFC 4035 §3.2.3). Only as
 * trustworthy as the path to the resolver: configure a local one
 * (`resolver = 127.0.0.1`) for DANE. 0 after a failed lookup.
 */
int	 dns_secure(const struct dns *);

/* one TLSA record (RFC 6698 §2.1) */
struct tlsa {
	unsigned char	 usage;		/* 3 DANE-EE, 2 DANE-TA, ... */
	unsigned char	 selector;	/* 0 full certificate, 1 SubjectPublicKeyInfo */
	unsigned char	 mtype;		/* 0 exact, 1 SHA-256, 2 SHA-512 */
	unsigned char	*data;		/* association data, len bytes */
	size_t		 len;
};

/*
 * TLSA records at _PORT._tcp.HOST (RFC 7672 §2.2), CNAMEs followed; 0
 * with *n (possibly 0: none, NXDOMAIN or NODATA) and *secure (the
 * resolver vouched for the answer: dns_secure), or -1 with err when the
 * lookup failed (SERVFAIL, as for a bogus answer; timeout): a DANE
 * sender then defers, it does not fall back to MTA-STS.
 */
int	 dns_tlsa(struct dns *, const char *host, unsigned port, struct tlsa **,
	    size_t *n, int *secure, char *err, size_t errlen);
void	 dns_tlsa_free(struct tlsa *, size_t n);
/*
 * Whether an SMTP client can use the record (RFC 7672 §3.1.3, §2.2):
 * DANE-TA(2) or DANE-EE(3), a known selector and matching type whose
 * digest has its length. PKIX-TA(0) and PKIX-EE(1) never are.
 */
int	 tlsa_usable(const struct tlsa *);

/* The zone that holds name (walking up SOA queries), and its primary (SOA MNAME) */
int	 dns_zone(struct dns *, const char *name, char *zone, size_t zonelen,
	    char *primary, size_t primarylen, char *err, size_t errlen);

/*
 * Ask each authoritative server of `zone` (NS records, their addresses)
 * directly for the TXT at name; 0 when all of them show a record
 * containing want, -1 with err naming the server that doesn't.
 */
int	 dns_check_auth(struct dns *, const char *zone, const char *name,
	    const char *want, char *err, size_t errlen);
/* the same, but each must have exactly one TXT record there: want */
int	 dns_check_auth_exact(struct dns *, const char *zone, const char *name,
	    const char *want, char *err, size_t errlen);

/* an address literal (IPv4 or IPv6 text) as a server of an ldns resolver */
struct ldns_struct_resolver;
int	 dns_push_addr(struct ldns_struct_resolver *, const char *addr);

/* IPv4/IPv6 addresses of host, as text, for connecting */
int	 dns_addrs(struct dns *, const char *host, struct sts_strlist *addrs,
	    char *err, size_t errlen);
/* the same, but -1 when the A or the AAAA lookup fails: every address or none */
int	 dns_addrs_all(struct dns *, const char *host, struct sts_strlist *addrs,
	    char *err, size_t errlen);

/* ---- https.c (OpenSSL) -------------------------------------------------- */

struct fetch {
	int	 status;		/* HTTP status, 0 when none */
	char	 ctype[128];		/* Content-Type as sent */
	char	 location[256];		/* Location on a 3xx, escaped */
	char	*body;			/* at most STS_POLICY_MAX bytes, NUL-terminated */
	size_t	 bodylen;
	time_t	 cert_expires;		/* notAfter of the server's leaf */
	int	 cert_mismatch;		/* the certificate does not name mta-sts.<domain> */
	char	 cert_names[512];	/* then what it names (struct tlsinfo) */
};

/*
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt as a sender does:
 * address(es) from dns_addrs, port 443, SNI and certificate name
 * mta-sts.<domain>, chain to ca_file (or the default store), TLS >= 1.2,
 * HTTP/1.1, no redirect followed, Content-Length or chunked or close
 * delimited, body over STS_POLICY_MAX refused. -1 with err for anything
 * that keeps a sender from getting a policy (connect, TLS, certificate,
 * status != 200 — status and location still filled —, body too long,
 * timeout); content type is for the caller to judge. addr: that address
 * of mta-sts.<domain> only (a literal), NULL: the first that answers.
 */
int	 https_fetch(struct dns *, const char *domain, const char *addr,
	    const char *ca_file, unsigned timeout, struct fetch *, char *err,
	    size_t errlen);
void	 fetch_free(struct fetch *);

/* ---- conn.c (OpenSSL) --------------------------------------------------- */

/*
 * The transport https.c and smtp.c share: a TCP connection
 * to the first address of host that answers (non-blocking, poll()ed), with
 * one deadline per step, that can be switched to TLS. Every message names
 * the host; a timeout says what was being waited for.
 */
struct conn;

#define TLS_NAMES_SHOWN	5	/* names of a certificate listed in a mismatch */

struct tlsinfo {
	int	 verified;		/* chains to a trusted root and names the host */
	char	 why[128];		/* when not: "certificate has expired", "hostname mismatch" */
	int	 mismatch;		/* the reason is the name: the host is not on it */
	char	 names[512];		/* then: "a.example, b.example (2 names)", the
					   DNS names of the leaf, first TLS_NAMES_SHOWN */
	time_t	 expires;		/* leaf notAfter, 0 if unknown */
	char	 version[16];		/* "TLSv1.3" */
};

int	 conn_open(struct dns *, const char *host, unsigned port, unsigned timeout,
	    struct conn **, char *err, size_t errlen);
/* the same to one address (a literal) of host; host is still the TLS name */
int	 conn_open_at(const char *host, const char *addr, unsigned port,
	    unsigned timeout, struct conn **, char *err, size_t errlen);
/* a new deadline (now + timeout) for the step named what ("the banner") */
void	 conn_step(struct conn *, const char *what);
/* the step named what, under the same deadline */
void	 conn_what(struct conn *, const char *what);
const char *conn_host(const struct conn *);
/* TLS >= 1.2, SNI and name = host; -1 with err if the handshake fails */
int	 conn_tls(struct conn *, const char *ca_file, struct tlsinfo *,
	    char *err, size_t errlen);

/* what conn_dane found */
struct daneinfo {
	int		 usable;	/* TLSA records OpenSSL can use (RFC 7672 §2.2) */
	int		 matched;	/* the certificate chain matches one of them */
	int		 depth;		/* of the matching certificate: 0 the leaf; -1 */
	unsigned char	 usage, selector, mtype;	/* the record that matched */
	char		 why[128];	/* when not: "no matching DANE TLSA records" */
};
/*
 * After conn_tls: the certificate chain the peer presented, verified
 * against TLSA records n records with OpenSSL's DANE support, as a DANE
 * sender does it (RFC 7672: DANE-EE ignores names and dates, DANE-TA
 * checks the name, host). The handshake and its WebPKI verdict are left
 * as they are. 0 with *di, -1 with err when it could not be done.
 */
int	 conn_dane(struct conn *, const struct tlsa *, size_t n,
	    struct daneinfo *, char *err, size_t errlen);
/* after conn_tls: SHA-256 of the peer certificate's SubjectPublicKeyInfo (TLSA 3 1 1); -1 if none */
int	 conn_peer_spki(struct conn *, unsigned char out[32]);
int	 conn_write(struct conn *, const char *, size_t, char *err, size_t errlen);
/*
 * A line without CR LF into line[max]: 0, 1 at a clean end of stream, -1
 * with err, -2 with err when the line does not fit.
 */
int	 conn_getline(struct conn *, char *line, size_t max, size_t *len,
	    char *err, size_t errlen);
/* up to n bytes; *got == 0 at the end of stream */
int	 conn_read(struct conn *, char *, size_t n, size_t *got, char *err, size_t errlen);
size_t	 conn_pending(const struct conn *);	/* bytes received, not yet taken */
void	 conn_close(struct conn *);		/* TLS close_notify if any; NULL ok */
/* the TLS client context is shared per trust store; free it at the end of a run */
void	 conn_tls_cleanup(void);


/* ---- deadline.c: per domain and per run, per thread ------------------ */

double	 deadline_clock(void);		/* CLOCK_MONOTONIC, seconds */
/* this thread's deadline (deadline_clock() time, 0: none), named what
 * ("domain-timeout (300 s)"); clears deadline_hit() */
void	 deadline_set(double at, const char *what);
double	 deadline_left(void);		/* seconds, 0 when passed, -1 when none */
int	 deadline_passed(void);		/* 1 (and deadline_hit() from now) when it has */
int	 deadline_hit(void);		/* something was cut short by it */
const char *deadline_what(void);


/* ---- sender.c: a sender reads a policy (RFC 8461 section 3) ------------- */

/*
 * The media type of a policy (§3.2, §3.3): 0 text/plain, 1 text/plain
 * with a charset other than utf-8/us-ascii (escaped into cs, which may be
 * NULL with cslen 0), -1 anything else.
 */
int	 sts_sender_ctype(const char *ct, char *cs, size_t cslen);
/*
 * The id of the one valid v=STSv1 record at _mta-sts.DOMAIN (§3.1): 1 with
 * id, 0 when there is none (why says what was seen), -1 with why when the
 * lookup failed.
 */
int	 sts_sender_txt(struct dns *, const char *domain, char id[STS_ID_MAX + 1],
	    char *why, size_t whylen);
/*
 * The same at name given whole (_mta-sts.DOMAIN, or where a CNAME led),
 * the chosen record's warnings passed to warn (NULL: none).
 */
int	 sts_sender_txt_name(struct dns *, const char *name,
	    char id[STS_ID_MAX + 1], sts_warn_fn *warn, void *warnarg,
	    char *why, size_t whylen);
/* The policy as a sender takes it: fetched, text/plain, parsed; 0 or -1 with why */
int	 sts_sender_fetch(struct dns *, const char *domain, const char *ca_file,
	    unsigned timeout, struct sts_policy *, char **text, char *why,
	    size_t whylen);

enum sts_sender_status {
	STS_SENDER_OK,		/* a record and a valid policy */
	STS_SENDER_NONE,	/* no valid _mta-sts record: no policy */
	STS_SENDER_FAIL,	/* a record, but the policy cannot be had or used */
	STS_SENDER_TEMP		/* the record could not be looked up */
};

struct sts_sender_result {
	enum sts_sender_status	 status;
	char			 id[STS_ID_MAX + 1];
	struct sts_policy	 policy;	/* STS_SENDER_OK */
	char			*text;		/* the policy as served */
	char			 why[STS_ERR_MAX];
};

/* the whole §3 read of DOMAIN's policy; returns res->status */
int	 sts_sender_policy(struct dns *, const char *domain, const char *ca_file,
	    unsigned timeout, struct sts_sender_result *res);
void	 sts_sender_result_free(struct sts_sender_result *);

#endif /* STS_SENDER_H */
