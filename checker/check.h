/*
 * mta-sts-check internals: the interfaces between main.c (orchestration,
 * output), dns.c, https.c, smtp.c (what a sender sees), state.c (ids) and
 * publish.c (getting the id into DNS).
 *
 * Every network function is bounded by `timeout` seconds per step, never
 * prints, and reports problems as findings. All functions are safe to call
 * from several threads at once on different domains (-j N).
 */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "mtasts.h"

/* ---- findings (main.c) -------------------------------------------------- */

enum level { L_OK, L_INFO, L_WARN, L_ERROR };

struct finding {
	enum level	 level;
	char		 check[16];	/* "config", "id", "https", "dns", "publish", "mx", "smtp", "tlsrpt" */
	char		*msg;		/* one line, names the host/record, says what to do */
};

/* What one domain's run found; one per domain, so threads never share one. */
struct report {
	char		 domain[STS_HOST_MAX + 1];
	struct finding	*f;
	size_t		 nf, capf;
	enum level	 worst;
	char		 id[STS_ID_MAX + 1];		/* current id (ours), or the one seen */
	char		 dns_id[STS_ID_MAX + 1];	/* id published in DNS, "" if none */
	char		*policy;			/* policy text served (probe) or expected */
	int		 published;			/* the current id is in DNS */
};

void	 report_add(struct report *, enum level, const char *check,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 report_free(struct report *);

/* ---- output (report.c) -------------------------------------------------- */

const char *level_name(enum level);		/* "error", "warning", "info", "ok" */
/* 0 all good, 1 warnings, 2 errors, over n reports (and run-wide warnings) */
int	 report_status(const struct report *, size_t n, int global_warnings);
/* "DOMAIN: LEVEL: message" for findings at min or above; okline: "DOMAIN: ok: ..." */
void	 report_print_text(FILE *, const struct report *, enum level min, int okline);
/* {"status":N,"domains":[{"domain","id","dns_id","published","findings":[...]}]} */
void	 report_print_json(FILE *, const struct report *, size_t n, int status,
	    const struct sts_strlist *warnings, const char *error);

/* ---- dns.c (libldns) ---------------------------------------------------- */

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

struct mx {
	unsigned	pref;
	char		host[STS_HOST_MAX + 1];	/* no trailing dot, lower-case; "" for a null MX (RFC 7505) */
};
/* MX records sorted by preference; 0 with *n = 0 when there are none */
int	 dns_mx(struct dns *, const char *domain, struct mx **mx, size_t *n,
	    char *err, size_t errlen);

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

/* IPv4/IPv6 addresses of host, as text, for connecting */
int	 dns_addrs(struct dns *, const char *host, struct sts_strlist *addrs,
	    char *err, size_t errlen);

/* ---- https.c (OpenSSL) -------------------------------------------------- */

struct fetch {
	int	 status;		/* HTTP status, 0 when none */
	char	 ctype[128];		/* Content-Type as sent */
	char	 location[256];		/* Location on a 3xx, escaped */
	char	*body;			/* at most STS_POLICY_MAX bytes, NUL-terminated */
	size_t	 bodylen;
	time_t	 cert_expires;		/* notAfter of the server's leaf */
};

/*
 * GET https://mta-sts.<domain>/.well-known/mta-sts.txt as a sender does:
 * address(es) from dns_addrs, port 443, SNI and certificate name
 * mta-sts.<domain>, chain to ca_file (or the default store), TLS >= 1.2,
 * HTTP/1.1, no redirect followed, Content-Length or chunked or close
 * delimited, body over STS_POLICY_MAX refused. -1 with err for anything
 * that keeps a sender from getting a policy (connect, TLS, certificate,
 * status != 200 — status and location still filled —, body too long,
 * timeout); content type is for the caller to judge.
 */
int	 https_fetch(struct dns *, const char *domain, const char *ca_file,
	    unsigned timeout, struct fetch *, char *err, size_t errlen);
void	 fetch_free(struct fetch *);

/*
 * The transport https.c and smtp.c share (in https.c): a TCP connection
 * to the first address of host that answers (non-blocking, poll()ed), with
 * one deadline per step, that can be switched to TLS. Every message names
 * the host; a timeout says what was being waited for.
 */
struct conn;

struct tlsinfo {
	int	 verified;		/* chains to a trusted root and names the host */
	char	 why[128];		/* when not: "certificate has expired", "hostname mismatch" */
	time_t	 expires;		/* leaf notAfter, 0 if unknown */
	char	 version[16];		/* "TLSv1.3" */
};

int	 conn_open(struct dns *, const char *host, unsigned port, unsigned timeout,
	    struct conn **, char *err, size_t errlen);
/* a new deadline (now + timeout) for the step named what ("the banner") */
void	 conn_step(struct conn *, const char *what);
/* TLS >= 1.2, SNI and name = host; -1 with err if the handshake fails */
int	 conn_tls(struct conn *, const char *ca_file, struct tlsinfo *,
	    char *err, size_t errlen);
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

/* ---- smtp.c (OpenSSL) --------------------------------------------------- */

struct smtp_result {
	int	 starttls;		/* STARTTLS offered and the handshake worked */
	int	 cert_ok;		/* chains to a trusted root and names the host */
	time_t	 cert_expires;
	char	 tls_version[16];	/* "TLSv1.3" */
};

/*
 * Connect to host:25 (its addresses from dns_addrs), read the banner,
 * EHLO, STARTTLS, handshake with SNI = host, verify the chain (ca_file or
 * default store) and that the certificate names host (SAN dNSName,
 * wildcard as RFC 6125). -1 with err when the host cannot be reached,
 * does not offer STARTTLS or the TLS handshake fails (starttls 0); 0
 * otherwise, with cert_ok and err saying why a certificate is not
 * acceptable ("mx1.example.com: certificate verify failed: hostname
 * mismatch"). A sender that enforces would not deliver in either case.
 */
int	 smtp_check(struct dns *, const char *host, const char *ca_file,
	    unsigned timeout, struct smtp_result *, char *err, size_t errlen);

/* ---- state.c ------------------------------------------------------------ */

struct state {
	char	 digest[65];		/* SHA-256 hex of the rendered policy */
	char	 id[STS_ID_MAX + 1];	/* id given to that policy */
	time_t	 since;			/* when that id was given */
	int	 published;		/* seen in DNS */
	char	 prev_id[STS_ID_MAX + 1];	/* the id before, for hooks and history */
	char	 pub_id[STS_ID_MAX + 1];	/* the id last put into DNS (or seen there), "" if none */
};

/* STATE itself, mode 0700, parents as needed; 0 if it exists already */
int	 state_mkdir(const char *dir, char *err, size_t errlen);

/* exclusive lock on STATE/lock; -1 with err "another run holds LOCK" when busy */
int	 state_lock(const char *dir, int *fd, char *err, size_t errlen);
void	 state_unlock(int fd);
/* 0 and the state; 1 when the domain has none yet; -1 on a damaged file (err) */
int	 state_read(const char *dir, const char *domain, struct state *, char *err, size_t errlen);
/* temporary file, fsync, rename, fsync of the directory */
int	 state_write(const char *dir, const char *domain, const struct state *, char *err, size_t errlen);
/* SHA-256 hex of text */
void	 state_digest(const char *text, size_t len, char out[65]);
/* a new id: the UTC time YYYYMMDDhhmmss, later than `after` (bumped by a second if needed) */
void	 state_new_id(const char *after, time_t now, char out[STS_ID_MAX + 1]);

/* ---- publish.c ---------------------------------------------------------- */

#define TXT_TTL	3600	/* of the records we publish or print */

/*
 * Put "v=STSv1; id=<id>" at _mta-sts.<domain> by conf->publish.
 * 0 on success (err then holds a note for -v: what was updated, or what
 * the hook printed, maybe ""), -1 with err. For `none`, returns 1 and
 * fills err with the exact record to set by hand, in zone-file syntax.
 * For `zonefile`, returns 2: the caller writes the whole file once for
 * every domain (publish_zonefile).
 */
int	 publish_id(const struct sts_conf *, struct dns *, const struct sts_domain *,
	    const char *id, const char *old_id, char *err, size_t errlen);
/*
 * Write lines (zone_records of every domain) to conf->zonefile: temporary
 * file, fsync, rename, fsync of the directory; then run conf->reload with
 * sh -c, bounded in time. 1 when the file already held exactly this (no
 * write, no reload), 0 written and reloaded, -1 with err.
 */
int	 publish_zonefile(const struct sts_conf *, const struct sts_strlist *lines,
	    char *err, size_t errlen);
/*
 * run.c: run argv (argv[0] a path, executed directly, no shell) with envp,
 * stdin from /dev/null, stdout and stderr captured into out as one line
 * (newlines as "; ", the rest escaped, truncated). Killed (SIGKILL, by its
 * pid) after timeout seconds. 0 when it exited 0; -1 with err naming
 * argv[0] and saying how it ended, with what it printed.
 */
int	 run_program(char *const argv[], char *const envp[], unsigned timeout,
	    char *out, size_t outlen, char *err, size_t errlen);

/* run conf->reload (sh -c), bounded in time; 0 when it is unset or exits 0 */
int	 publish_reload(const struct sts_conf *, char *err, size_t errlen);
const char *publish_name(enum sts_publish);
/* text as a zone-file TXT rdata: quoted, escaped, split every 255 octets */
int	 zone_txt(const char *text, char *out, size_t outlen);
/* "v=TLSRPTv1; rua=..." from rua, or mailto:postmaster@<domain> if it is empty */
int	 tlsrpt_default(const char *domain, const struct sts_strlist *rua,
	    char *out, size_t outlen);
/*
 * The zone-file lines for one domain, absolute names, TTL TXT_TTL:
 * "_mta-sts.<domain>. 3600 IN TXT "v=STSv1; id=<id>"" (left out when id
 * is NULL or "") and "_smtp._tls.<domain>. 3600 IN TXT "v=TLSRPTv1; rua=..."".
 */
int	 zone_records(const char *domain, const char *id,
	    const struct sts_strlist *rua, struct sts_strlist *lines);
/* the lines for domain in the zone file at path as it is now (none if missing) */
int	 zone_old_lines(const char *path, const char *domain, struct sts_strlist *lines);

/* dns-server: "host", "host:port", "[v6]:port" or a bare IPv6 address; port 53 by default */
int	 server_split(const char *spec, char *host, size_t hostlen, uint16_t *port);

/* a TSIG key from a BIND key file: key "name" { algorithm ...; secret "..."; }; */
struct tsig {
	char	name[STS_HOST_MAX + 2];	/* with the trailing dot */
	char	alg[32];		/* ldns's name: "hmac-sha256." */
	char	secret[1024];		/* base64, never printed */
};
/* the file text (len bytes); errors "PATH:LINE: what", never the secret */
int	 tsig_parse(const char *path, const char *buf, size_t len, struct tsig *,
	    char *err, size_t errlen);
/* read path strictly; refused when group or others have any access to it */
int	 tsig_load(const char *path, struct tsig *, char *err, size_t errlen);

#endif /* CHECK_H */
