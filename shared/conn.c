/* SPDX-License-Identifier: ISC */
/*
 * conn.c: the transport under https.c and smtp.c: a TCP connection to the
 * first address of a host that answers (non-blocking, poll()ed), one
 * deadline per step, that can be switched to TLS (>= 1.2, SNI and the
 * certificate checked against the host name). Every message names the
 * host; a timeout says what was being waited for.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "sender.h"

#define CONN_BUF	16384
#define CONN_ADDR_MAX	4		/* addresses tried per host */


struct conn {
	int		 fd;
	SSL_CTX		*ctx;
	SSL		*ssl;
	unsigned	 timeout;
	struct timespec	 deadline;
	const char	*what;
	char		 host[STS_HOST_MAX + 1];
	char		 addr[64];
	char		 buf[CONN_BUF];
	size_t		 off, len;
	int		 eof;
	int		 pipe_blocked;	/* we blocked SIGPIPE in this thread */
	sigset_t	 oldmask;
};

/* ---- deadlines and waiting ------------------------------------------------ */

/* now + secs, but never past the thread's deadline (deadline.c) */
static void
deadline_in(struct timespec *ts, unsigned secs)
{
	double	left = deadline_left();
	long	ns;

	clock_gettime(CLOCK_MONOTONIC, ts);
	if (left >= 0 && left < secs) {
		ns = ts->tv_nsec + (long)((left - (long)left) * 1e9);
		ts->tv_sec += (time_t)left + ns / 1000000000L;
		ts->tv_nsec = ns % 1000000000L;
		return;
	}
	ts->tv_sec += secs;
}

/* milliseconds left until ts, 0 when it has passed */
static int
ms_left(const struct timespec *ts)
{
	struct timespec	now;
	long long	ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(ts->tv_sec - now.tv_sec) * 1000 +
	    (ts->tv_nsec - now.tv_nsec) / 1000000;
	if (ms <= 0)
		return 0;
	return ms > 3600000 ? 3600000 : (int)ms;
}

/* 0 when fd is ready for events, -1 with err on timeout */
static int
wait_fd(struct conn *c, short events, char *err, size_t errlen)
{
	struct pollfd	pfd;
	int		ms, n;

	for (;;) {
		if ((ms = ms_left(&c->deadline)) == 0) {
			if (deadline_passed())
				sts_err(err, errlen, "%s: cut short: %s ran out "
				    "(%s)", c->host, deadline_what(), c->what);
			else
				sts_err(err, errlen, "%s: no answer within %u s "
				    "(%s)", c->host, c->timeout, c->what);
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR) {
			sts_err(err, errlen, "%s: poll: %s", c->host, strerror(errno));
			return -1;
		}
	}
}

/* ---- TCP ------------------------------------------------------------------ */

static int
connect_one(struct conn *c, const char *addr, unsigned port, char *err,
    size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL;
	socklen_t	 sl;
	char		 pbuf[8];
	int		 fd = -1, soerr = 0, gai, rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(pbuf, sizeof(pbuf), "%u", port);
	if ((gai = getaddrinfo(addr, pbuf, &hints, &ai)) != 0) {
		sts_err(err, errlen, "%s: address %s: %s", c->host, addr,
		    gai_strerror(gai));
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		sts_err(err, errlen, "%s: socket: %s", c->host, strerror(errno));
		goto out;
	}
	c->fd = fd;
	c->what = "TCP connect";
	deadline_in(&c->deadline, c->timeout);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			soerr = errno;
		else if (wait_fd(c, POLLOUT, NULL, 0) == -1) {
			if (deadline_passed())
				sts_err(err, errlen, "%s: cut short: %s ran out "
				    "(connecting to %s port %u)", c->host,
				    deadline_what(), addr, port);
			else
				sts_err(err, errlen, "%s: no connection within "
				    "%u s (%s port %u)", c->host, c->timeout,
				    addr, port);
			goto out;
		} else {
			sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == -1)
				soerr = errno;
		}
	}
	if (soerr != 0) {
		sts_err(err, errlen, "%s: %s (%s port %u)", c->host,
		    soerr == ECONNREFUSED ? "connection refused" :
		    strerror(soerr), addr, port);
		goto out;
	}
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	rc = 0;
 out:
	if (rc == -1) {
		if (fd != -1)
			close(fd);
		c->fd = -1;
	}
	freeaddrinfo(ai);
	return rc;
}

/*
 * OpenSSL writes to the socket with write(2): a peer that has gone away
 * would raise SIGPIPE and end the whole checker. Block it in this thread
 * while the connection lives; drop one that came meanwhile.
 */
static void
block_sigpipe(struct conn *c)
{
	sigset_t	set;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, &c->oldmask) == 0 &&
	    !sigismember(&c->oldmask, SIGPIPE))
		c->pipe_blocked = 1;
}

static void
unblock_sigpipe(struct conn *c)
{
	sigset_t		set, pending;
	struct timespec		zero = { 0, 0 };

	if (!c->pipe_blocked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE))
		(void)sigtimedwait(&set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
	c->pipe_blocked = 0;
}

/* a connection not yet open, named host */
static struct conn *
conn_new(const char *host, unsigned timeout, char *err, size_t errlen)
{
	struct conn	*c = NULL;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sts_err(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->timeout = timeout ? timeout : 1;
	block_sigpipe(c);
	c->what = "connect";
	if (snprintf(c->host, sizeof(c->host), "%s", host) >= (int)sizeof(c->host)) {
		sts_err(err, errlen, "host name too long");
		conn_close(c);
		return NULL;
	}
	return c;
}

int
conn_open(struct dns *dns, const char *host, unsigned port, unsigned timeout,
    struct conn **cp, char *err, size_t errlen)
{
	struct sts_strlist	 addrs = { 0 };
	struct conn		*c = NULL;
	size_t			 i;
	int			 rc = -1;

	*cp = NULL;
	if ((c = conn_new(host, timeout, err, errlen)) == NULL)
		return -1;
	if (dns_addrs(dns, host, &addrs, err, errlen) == -1)
		goto out;
	if (addrs.n == 0) {
		sts_err(err, errlen, "%s: no A or AAAA record", host);
		goto out;
	}
	for (i = 0; i < addrs.n && i < CONN_ADDR_MAX; i++)
		if (connect_one(c, addrs.v[i], port, err, errlen) == 0)
			break;
	if (c->fd == -1)
		goto out;
	*cp = c;
	c = NULL;
	rc = 0;
 out:
	sts_strlist_free(&addrs);
	conn_close(c);
	return rc;
}

int
conn_open_at(const char *host, const char *addr, unsigned port,
    unsigned timeout, struct conn **cp, char *err, size_t errlen)
{
	struct conn	*c = NULL;

	*cp = NULL;
	if ((c = conn_new(host, timeout, err, errlen)) == NULL)
		return -1;
	if (connect_one(c, addr, port, err, errlen) == -1) {
		conn_close(c);
		return -1;
	}
	*cp = c;
	return 0;
}

void
conn_step(struct conn *c, const char *what)
{
	c->what = what;
	deadline_in(&c->deadline, c->timeout);
}

size_t
conn_pending(const struct conn *c)
{
	return c->len - c->off;
}

void
conn_close(struct conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);	/* one try, never waits */
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	ERR_clear_error();
	if (c->fd != -1)
		close(c->fd);
	unblock_sigpipe(c);
	free(c);
}

/* ---- TLS ------------------------------------------------------------------ */

/* what went wrong in OpenSSL, for a message */
static const char *
ssl_reason(char *buf, size_t len)
{
	unsigned long	e;
	const char	*r = NULL;

	if ((e = ERR_peek_last_error()) == 0)
		return "connection closed";
	if ((r = ERR_reason_error_string(e)) != NULL)
		snprintf(buf, len, "%s", r);
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

/* wait as SSL asks after ret; 0 to retry, -1 with err */
static int
ssl_wait(struct conn *c, int ret, const char *op, char *err, size_t errlen)
{
	char	rbuf[160];

	switch (SSL_get_error(c->ssl, ret)) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c, POLLIN, err, errlen);
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c, POLLOUT, err, errlen);
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_last_error() == 0) {
			sts_err(err, errlen, "%s: %s: %s", c->host, op,
			    errno ? strerror(errno) : "connection closed");
			return -1;
		}
		/* FALLTHROUGH */
	default:
		sts_err(err, errlen, "%s: %s: %s", c->host, op,
		    ssl_reason(rbuf, sizeof(rbuf)));
		return -1;
	}
}

/*
 * Loading a trust store costs about 20 ms (the system bundle), more than
 * the handshake: one client context per trust store is shared by every
 * connection and thread (SSL_CTX is safe to share once set up).
 */
static pthread_mutex_t	 ctx_mu = PTHREAD_MUTEX_INITIALIZER;
static SSL_CTX		*ctx_cached;
static char		*ctx_ca;	/* its ca_file, "" for the default store */

static SSL_CTX *
client_ctx(const char *ca_file, char *err, size_t errlen)
{
	SSL_CTX		*ctx = NULL;
	const char	*key = ca_file ? ca_file : "";
	char		*copy = NULL;
	int		 ok = 0;

	pthread_mutex_lock(&ctx_mu);
	if (ctx_cached != NULL && strcmp(ctx_ca, key) == 0) {
		SSL_CTX_up_ref(ctx_cached);
		ctx = ctx_cached;
		ok = 1;
		goto out;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		sts_err(err, errlen, "cannot set up TLS");
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	if (ca_file != NULL) {
		if (!SSL_CTX_load_verify_locations(ctx, ca_file, NULL)) {
			sts_err(err, errlen, "%s: cannot load trust anchors",
			    ca_file);
			goto out;
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx)) {
		sts_err(err, errlen, "cannot load OpenSSL's default trust store");
		goto out;
	}
	/*
	 * The handshake completes whatever the certificate; its verdict is
	 * read afterwards, so that the caller learns both why it is not
	 * acceptable and when it expires.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	/*
	 * Read what the socket has, not a record header and then its body:
	 * half the read() calls of a fetch. Nothing else reads the socket
	 * once TLS is up, and a wait happens only on SSL_ERROR_WANT_READ.
	 */
	SSL_CTX_set_read_ahead(ctx, 1);
	/* for conn_dane; no connection uses DANE unless it enables it */
	if (SSL_CTX_dane_enable(ctx) <= 0) {
		sts_err(err, errlen, "cannot set up DANE");
		goto out;
	}
	if ((copy = strdup(key)) != NULL && SSL_CTX_up_ref(ctx)) {
		SSL_CTX_free(ctx_cached);
		free(ctx_ca);
		ctx_cached = ctx;
		ctx_ca = copy;
		copy = NULL;
	}
	free(copy);
	ok = 1;
 out:
	if (!ok) {
		SSL_CTX_free(ctx);
		ctx = NULL;
	}
	pthread_mutex_unlock(&ctx_mu);
	return ctx;
}

void
conn_tls_cleanup(void)
{
	pthread_mutex_lock(&ctx_mu);
	SSL_CTX_free(ctx_cached);
	free(ctx_ca);
	ctx_cached = NULL;
	ctx_ca = NULL;
	pthread_mutex_unlock(&ctx_mu);
}

/*
 * The DNS names of a certificate's subjectAltName, for a name mismatch:
 * "a.example, *.b.example (2 names)", the first TLS_NAMES_SHOWN, escaped;
 * "no DNS names" when it has none (the CN is never a name, RFC 6125).
 */
static void
cert_names(X509 *leaf, char *out, size_t len)
{
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*g;
	const unsigned char	*d;
	char			 one[STS_HOST_MAX + 1];
	size_t			 o = 0;
	int			 i, n, dns = 0, shown = 0, w;

	out[0] = '\0';
	gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	n = gens != NULL ? sk_GENERAL_NAME_num(gens) : 0;
	for (i = 0; i < n; i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		dns++;
		if (shown >= TLS_NAMES_SHOWN)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		sts_escape(one, sizeof(one), (const char *)d,
		    (size_t)ASN1_STRING_length(g->d.dNSName));
		w = snprintf(out + o, len - o, "%s%s", shown ? ", " : "", one);
		if (w < 0 || (size_t)w >= len - o)
			break;
		o += (size_t)w;
		shown++;
	}
	GENERAL_NAMES_free(gens);
	if (dns == 0)
		(void)snprintf(out, len, "no DNS names");
	else if (o < len)
		(void)snprintf(out + o, len - o, "%s (%d name%s)",
		    dns > shown ? ", ..." : "", dns, dns == 1 ? "" : "s");
}

int
conn_tls(struct conn *c, const char *ca_file, struct tlsinfo *ti, char *err,
    size_t errlen)
{
	X509		*leaf = NULL;
	struct tm	 tm;
	long		 v;
	int		 r;

	memset(ti, 0, sizeof(*ti));
	ERR_clear_error();
	if ((c->ctx = client_ctx(ca_file, err, errlen)) == NULL)
		return -1;
	if ((c->ssl = SSL_new(c->ctx)) == NULL ||
	    !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, c->host) ||
	    !SSL_set1_host(c->ssl, c->host)) {
		sts_err(err, errlen, "%s: cannot set up TLS", c->host);
		return -1;
	}
	SSL_set_hostflags(c->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
	for (;;) {
		ERR_clear_error();
		if ((r = SSL_connect(c->ssl)) == 1)
			break;
		if (ssl_wait(c, r, "TLS handshake failed", err, errlen) == -1) {
			if (err != NULL && (strstr(err, "protocol version") ||
			    strstr(err, "unsupported protocol")) &&
			    strlen(err) + 40 < errlen)
				strcat(err, " (senders need TLS 1.2 or later)");
			return -1;
		}
	}
	snprintf(ti->version, sizeof(ti->version), "%s", SSL_get_version(c->ssl));
	if ((leaf = SSL_get0_peer_certificate(c->ssl)) == NULL) {
		snprintf(ti->why, sizeof(ti->why), "%s", "no certificate");
		return 0;
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(leaf), &tm))
		ti->expires = timegm(&tm);
	if ((v = SSL_get_verify_result(c->ssl)) == X509_V_OK)
		ti->verified = 1;
	else
		snprintf(ti->why, sizeof(ti->why), "%s",
		    X509_verify_cert_error_string(v));
	if (v == X509_V_ERR_HOSTNAME_MISMATCH) {
		ti->mismatch = 1;
		cert_names(leaf, ti->names, sizeof(ti->names));
	}
	return 0;
}

/* ---- reading and writing --------------------------------------------------- */

int
conn_peer_spki(struct conn *c, unsigned char out[32])
{
	X509		*leaf = NULL;
	unsigned char	*der = NULL;
	unsigned int	 n = 0;
	int		 len, rc = -1;

	if (c->ssl == NULL || (leaf = SSL_get0_peer_certificate(c->ssl)) == NULL)
		return -1;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
	if (len > 0 && EVP_Digest(der, (size_t)len, out, &n, EVP_sha256(),
	    NULL) && n == 32)
		rc = 0;
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}

int
conn_dane(struct conn *c, const struct tlsa *t, size_t n, struct daneinfo *di,
    char *err, size_t errlen)
{
	SSL		*s = NULL;
	X509_STORE_CTX	*xs = NULL;
	X509		*leaf = NULL;
	STACK_OF(X509)	*chain = NULL;
	const unsigned char *data = NULL;
	size_t		 i, dlen = 0;
	long		 v;
	int		 rc = -1, r;

	memset(di, 0, sizeof(*di));
	di->depth = -1;
	ERR_clear_error();
	if (c->ssl == NULL ||
	    (leaf = SSL_get0_peer_certificate(c->ssl)) == NULL) {
		sts_err(err, errlen, "%s: no certificate to check against TLSA "
		    "records", c->host);
		return -1;
	}
	chain = SSL_get_peer_cert_chain(c->ssl);
	/* a connection never used, only to hold the DANE state */
	if ((s = SSL_new(c->ctx)) == NULL || SSL_dane_enable(s, c->host) <= 0) {
		sts_err(err, errlen, "%s: cannot set up DANE", c->host);
		goto out;
	}
	for (i = 0; i < n; i++) {
		/* what SMTP cannot use is ignored, PKIX-TA/EE included */
		if (!tlsa_usable(&t[i]))
			continue;
		if (SSL_dane_tlsa_add(s, t[i].usage, t[i].selector,
		    t[i].mtype, t[i].data, t[i].len) > 0)
			di->usable++;
		ERR_clear_error();
	}
	if (di->usable == 0) {
		snprintf(di->why, sizeof(di->why), "%s", "no usable TLSA record");
		rc = 0;
		goto out;
	}
	/* as the handshake would have verified it with DANE enabled */
	if ((xs = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(xs, SSL_CTX_get_cert_store(c->ctx), leaf,
	    chain) || !X509_STORE_CTX_set_default(xs, "ssl_server") ||
	    !X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xs),
	    SSL_get0_param(s))) {
		sts_err(err, errlen, "%s: cannot set up DANE", c->host);
		goto out;
	}
	X509_STORE_CTX_set0_dane(xs, SSL_get0_dane(s));
	r = X509_verify_cert(xs);
	v = X509_STORE_CTX_get_error(xs);
	SSL_set_verify_result(s, v);
	if (r == 1 && v == X509_V_OK &&
	    (di->depth = SSL_get0_dane_authority(s, NULL, NULL)) >= 0 &&
	    SSL_get0_dane_tlsa(s, &di->usage, &di->selector, &di->mtype,
	    &data, &dlen) >= 0)
		di->matched = 1;
	else {
		di->depth = -1;
		snprintf(di->why, sizeof(di->why), "%s", r == 1 ?
		    "no TLSA record matched" : X509_verify_cert_error_string(v));
	}
	rc = 0;
 out:
	X509_STORE_CTX_free(xs);
	SSL_free(s);
	ERR_clear_error();
	return rc;
}

int
conn_write(struct conn *c, const char *p, size_t n, char *err, size_t errlen)
{
	ssize_t	w;
	int	r;

	while (n > 0) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r <= 0) {
				if (ssl_wait(c, r, "write", err, errlen) == -1)
					return -1;
				continue;
			}
			w = r;
		} else if ((w = send(c->fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				sts_err(err, errlen, "%s: write: %s", c->host,
				    strerror(errno));
				return -1;
			}
			if (wait_fd(c, POLLOUT, err, errlen) == -1)
				return -1;
			continue;
		}
		p += w;
		n -= w;
	}
	return 0;
}

/* more bytes into the buffer (which must be empty): >0, 0 at EOF, -1 */
static int
fill(struct conn *c, char *err, size_t errlen)
{
	ssize_t	n;
	int	r;

	c->off = c->len = 0;
	if (c->eof)
		return 0;
	for (;;) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			if ((r = SSL_read(c->ssl, c->buf, sizeof(c->buf))) > 0) {
				c->len = r;
				return 1;
			}
			if (SSL_get_error(c->ssl, r) == SSL_ERROR_ZERO_RETURN ||
			    (SSL_get_error(c->ssl, r) == SSL_ERROR_SYSCALL &&
			    ERR_peek_last_error() == 0 && r == 0)) {
				c->eof = 1;
				return 0;
			}
			if (ssl_wait(c, r, "read", err, errlen) == -1)
				return -1;
			continue;
		}
		if ((n = recv(c->fd, c->buf, sizeof(c->buf), 0)) > 0) {
			c->len = n;
			return 1;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			sts_err(err, errlen, "%s: read: %s", c->host, strerror(errno));
			return -1;
		}
		if (wait_fd(c, POLLIN, err, errlen) == -1)
			return -1;
	}
}

int
conn_read(struct conn *c, char *p, size_t n, size_t *got, char *err,
    size_t errlen)
{
	size_t	k;
	int	r;

	*got = 0;
	if (n == 0)
		return 0;
	if (c->off == c->len && (r = fill(c, err, errlen)) <= 0)
		return r;
	k = c->len - c->off < n ? c->len - c->off : n;
	memcpy(p, c->buf + c->off, k);
	c->off += k;
	*got = k;
	return 0;
}

int
conn_getline(struct conn *c, char *line, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	size_t	len = 0;
	int	r;
	char	ch;

	*lenp = 0;
	for (;;) {
		if (c->off == c->len) {
			if ((r = fill(c, err, errlen)) == -1)
				return -1;
			if (r == 0) {
				if (len == 0)
					return 1;
				sts_err(err, errlen, "%s: connection closed in the "
				    "middle of a line (%s)", c->host, c->what);
				return -1;
			}
		}
		ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (len + 1 >= max) {
			sts_err(err, errlen, "%s: line longer than %zu bytes (%s)",
			    c->host, max - 1, c->what);
			return -2;
		}
		line[len++] = ch;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	*lenp = len;
	return 0;
}


void
conn_what(struct conn *c, const char *what)
{
	c->what = what;
}

const char *
conn_host(const struct conn *c)
{
	return c->host;
}
