/*
 * Fetching the policy as a sender does (RFC 8461 §3.3): HTTPS to
 * mta-sts.<domain>, certificate checked, HTTP/1.1 GET, no redirects, at
 * most 64 KiB, bounded in time. Also the small transport (TCP with
 * deadlines, STARTTLS-able TLS) that smtp.c uses.
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
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "check.h"

#define CONN_BUF	16384
#define CONN_ADDR_MAX	4		/* addresses tried per host */
#define HTTP_HDR_MAX	16384		/* status line and headers together */
#define HTTP_LINE_MAX	8192
#define HTTP_CHUNK_LINE	1024

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

static void
deadline_in(struct timespec *ts, unsigned secs)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
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
			sts_err(err, errlen, "%s: no answer within %u s (%s)",
			    c->host, c->timeout, c->what);
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
	int		 fd = -1, soerr = 0, gai;

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
		goto fail;
	}
	c->fd = fd;
	c->what = "TCP connect";
	deadline_in(&c->deadline, c->timeout);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto refused;
		}
		if (wait_fd(c, POLLOUT, NULL, 0) == -1) {
			sts_err(err, errlen, "%s: no connection within %u s "
			    "(%s port %u)", c->host, c->timeout, addr, port);
			goto fail;
		}
		sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
			soerr = errno;
		if (soerr != 0)
			goto refused;
	}
	freeaddrinfo(ai);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	return 0;
refused:
	sts_err(err, errlen, "%s: %s (%s port %u)", c->host,
	    soerr == ECONNREFUSED ? "connection refused" : strerror(soerr),
	    addr, port);
fail:
	if (fd != -1)
		close(fd);
	c->fd = -1;
	freeaddrinfo(ai);
	return -1;
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

int
conn_open(struct dns *dns, const char *host, unsigned port, unsigned timeout,
    struct conn **cp, char *err, size_t errlen)
{
	struct sts_strlist	 addrs = { 0 };
	struct conn		*c = NULL;
	size_t			 i;
	int			 rc = -1;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		sts_err(err, errlen, "out of memory");
		return -1;
	}
	c->fd = -1;
	c->timeout = timeout ? timeout : 1;
	block_sigpipe(c);
	c->what = "connect";
	if (snprintf(c->host, sizeof(c->host), "%s", host) >= (int)sizeof(c->host)) {
		sts_err(err, errlen, "host name too long");
		goto out;
	}
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
	const char	*r;

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

	pthread_mutex_lock(&ctx_mu);
	if (ctx_cached != NULL && strcmp(ctx_ca, key) == 0) {
		SSL_CTX_up_ref(ctx_cached);
		ctx = ctx_cached;
		goto out;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
		sts_err(err, errlen, "cannot set up TLS");
		goto fail;
	}
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	if (ca_file != NULL) {
		if (!SSL_CTX_load_verify_locations(ctx, ca_file, NULL)) {
			sts_err(err, errlen, "%s: cannot load trust anchors",
			    ca_file);
			goto fail;
		}
	} else if (!SSL_CTX_set_default_verify_paths(ctx)) {
		sts_err(err, errlen, "cannot load OpenSSL's default trust store");
		goto fail;
	}
	/*
	 * The handshake completes whatever the certificate; its verdict is
	 * read afterwards, so that the caller learns both why it is not
	 * acceptable and when it expires.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if ((copy = strdup(key)) != NULL && SSL_CTX_up_ref(ctx)) {
		SSL_CTX_free(ctx_cached);
		free(ctx_ca);
		ctx_cached = ctx;
		ctx_ca = copy;
		copy = NULL;
	}
	free(copy);
	goto out;
fail:
	SSL_CTX_free(ctx);
	ctx = NULL;
out:
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

int
conn_tls(struct conn *c, const char *ca_file, struct tlsinfo *ti, char *err,
    size_t errlen)
{
	X509		*leaf;
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
	return 0;
}

/* ---- reading and writing --------------------------------------------------- */

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

/* ---- HTTP ------------------------------------------------------------------ */

enum framing { F_CLOSE, F_LENGTH, F_CHUNKED };

struct resp {
	int		 status;
	enum framing	 framing;
	size_t		 length;
	char		 location[256];
	char		 ctype[128];
};

static int
is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* decimal, digits only, at most `max`; -1 when not */
static int
parse_size(const char *s, size_t max, size_t *out)
{
	size_t	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	*out = v;
	return 0;
}

/* the status line and headers of one response */
static int
read_head(struct conn *c, struct resp *rp, char *err, size_t errlen)
{
	char		 line[HTTP_LINE_MAX + 1], esc[96];
	char		*v, *e;
	size_t		 len, total = 0, cl, lim;
	int		 r, have_cl = 0, te = 0, first = 1;

	memset(rp, 0, sizeof(*rp));
	for (;;) {
		lim = HTTP_HDR_MAX - total + 1;
		if (lim > sizeof(line))
			lim = sizeof(line);
		if (lim < 2) {
			sts_err(err, errlen, "%s: HTTP header block longer than %d "
			    "bytes", c->host, HTTP_HDR_MAX);
			return -1;
		}
		if ((r = conn_getline(c, line, lim, &len, err, errlen)) == -2 &&
		    lim < sizeof(line)) {
			sts_err(err, errlen, "%s: HTTP header block longer than %d "
			    "bytes", c->host, HTTP_HDR_MAX);
			return -1;
		}
		if (r < 0)
			return -1;
		if (r == 1) {
			sts_err(err, errlen, "%s: connection closed %s", c->host,
			    first ? "without an HTTP response" :
			    "in the HTTP headers");
			return -1;
		}
		total += len + 2;
		if (memchr(line, '\0', len) != NULL) {
			sts_err(err, errlen, "%s: NUL byte in the HTTP headers",
			    c->host);
			return -1;
		}
		if (first) {
			/* HTTP/1.x SP 3DIGIT [SP reason] */
			if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 ||
			    line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
			    line[9] < '1' || line[9] > '5' ||
			    line[10] < '0' || line[10] > '9' ||
			    line[11] < '0' || line[11] > '9' ||
			    (line[12] != '\0' && line[12] != ' ')) {
				sts_err(err, errlen, "%s: not an HTTP/1.x status "
				    "line: '%s'", c->host,
				    sts_escape(esc, sizeof(esc), line, len));
				return -1;
			}
			rp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
			    (line[11] - '0');
			first = 0;
			continue;
		}
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			sts_err(err, errlen, "%s: folded HTTP header line", c->host);
			return -1;
		}
		for (e = line; is_tchar((unsigned char)*e); e++)
			;
		if (e == line || *e != ':') {
			sts_err(err, errlen, "%s: malformed HTTP header line: '%s'",
			    c->host, sts_escape(esc, sizeof(esc), line, len));
			return -1;
		}
		*e = '\0';
		for (v = e + 1; *v == ' ' || *v == '\t'; v++)
			;
		for (e = line + len; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
			;
		*e = '\0';
		if (strcasecmp(line, "Content-Length") == 0) {
			if (parse_size(v, (size_t)1 << 40, &cl) == -1 ||
			    (have_cl && cl != rp->length)) {
				sts_err(err, errlen, "%s: bad Content-Length '%s'",
				    c->host, sts_escape(esc, sizeof(esc), v,
				    strlen(v)));
				return -1;
			}
			rp->length = cl;
			have_cl = 1;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (strcasecmp(v, "chunked") != 0 || te) {
				sts_err(err, errlen, "%s: unsupported "
				    "Transfer-Encoding '%s'", c->host,
				    sts_escape(esc, sizeof(esc), v, strlen(v)));
				return -1;
			}
			te = 1;
		} else if (strcasecmp(line, "Location") == 0)
			sts_escape(rp->location, sizeof(rp->location), v,
			    strlen(v));
		else if (strcasecmp(line, "Content-Type") == 0)
			sts_escape(rp->ctype, sizeof(rp->ctype), v, strlen(v));
	}
	/* RFC 9112 §6.3: chunked wins over Content-Length */
	rp->framing = te ? F_CHUNKED : have_cl ? F_LENGTH : F_CLOSE;
	return 0;
}

/* exactly n body bytes into f->body */
static int
read_exact(struct conn *c, struct fetch *f, size_t n, char *err, size_t errlen)
{
	size_t	got, want = n;

	while (n > 0) {
		if (conn_read(c, f->body + f->bodylen, n, &got, err, errlen) == -1)
			return -1;
		if (got == 0) {
			sts_err(err, errlen, "%s: connection closed after %zu of "
			    "%zu bytes of the body", c->host, want - n, want);
			return -1;
		}
		f->bodylen += got;
		n -= got;
	}
	return 0;
}

static int
too_long(struct conn *c, char *err, size_t errlen)
{
	sts_err(err, errlen, "%s: body longer than %d bytes (senders read at "
	    "most that)", c->host, STS_POLICY_MAX);
	return -1;
}

static int
read_chunked(struct conn *c, struct fetch *f, char *err, size_t errlen)
{
	char		 line[HTTP_CHUNK_LINE + 1], esc[64];
	size_t		 len, size, i, total = 0;
	unsigned	 d;
	int		 r;

	for (;;) {
		if ((r = conn_getline(c, line, sizeof(line), &len, err,
		    errlen)) != 0)
			goto bad_eof;
		size = 0;
		for (i = 0; i < len; i++) {
			if (line[i] >= '0' && line[i] <= '9')
				d = line[i] - '0';
			else if (line[i] >= 'a' && line[i] <= 'f')
				d = line[i] - 'a' + 10;
			else if (line[i] >= 'A' && line[i] <= 'F')
				d = line[i] - 'A' + 10;
			else
				break;
			if (i >= 8) {
				i = 0;	/* absurd: reported below */
				break;
			}
			size = size * 16 + d;
		}
		if (i == 0 || (i < len && line[i] != ';' && line[i] != ' ' &&
		    line[i] != '\t')) {
			sts_err(err, errlen, "%s: bad chunk size line '%s'",
			    c->host, sts_escape(esc, sizeof(esc), line, len));
			return -1;
		}
		if (size == 0)
			break;
		if (f->bodylen + size > STS_POLICY_MAX)
			return too_long(c, err, errlen);
		if (read_exact(c, f, size, err, errlen) == -1)
			return -1;
		if ((r = conn_getline(c, line, sizeof(line), &len, err,
		    errlen)) != 0)
			goto bad_eof;
		if (len != 0) {
			sts_err(err, errlen, "%s: chunk longer than its size line "
			    "says", c->host);
			return -1;
		}
	}
	/* trailer fields, then the empty line */
	for (;;) {
		if ((r = conn_getline(c, line, sizeof(line), &len, err,
		    errlen)) != 0)
			goto bad_eof;
		if (len == 0)
			return 0;
		total += len + 2;
		if (total > HTTP_HDR_MAX) {
			sts_err(err, errlen, "%s: chunked trailer longer than %d "
			    "bytes", c->host, HTTP_HDR_MAX);
			return -1;
		}
	}
bad_eof:
	if (r == 1)
		sts_err(err, errlen, "%s: connection closed in a chunked body",
		    c->host);
	return -1;
}

static int
read_close(struct conn *c, struct fetch *f, char *err, size_t errlen)
{
	size_t	got;

	for (;;) {
		/* room for one byte more than allowed, to see that it is more */
		if (conn_read(c, f->body + f->bodylen,
		    STS_POLICY_MAX + 1 - f->bodylen, &got, err, errlen) == -1)
			return -1;
		if (got == 0)
			return 0;
		f->bodylen += got;
		if (f->bodylen > STS_POLICY_MAX)
			return too_long(c, err, errlen);
	}
}

int
https_fetch(struct dns *dns, const char *domain, const char *ca_file,
    unsigned timeout, struct fetch *f, char *err, size_t errlen)
{
	struct conn	*c = NULL;
	struct tlsinfo	 ti;
	struct resp	 rp;
	char		 host[STS_HOST_MAX + 1], req[STS_HOST_MAX + 256];
	int		 n, rc = -1, i;

	memset(f, 0, sizeof(*f));
	if (snprintf(host, sizeof(host), "mta-sts.%s", domain) >=
	    (int)sizeof(host)) {
		sts_err(err, errlen, "mta-sts.%s: name too long", domain);
		return -1;
	}
	n = snprintf(req, sizeof(req),
	    "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: mta-sts-check/%s\r\n"
	    "Accept: */*\r\n"
	    "Connection: close\r\n"
	    "\r\n", host, STS_VERSION);
	if (n < 0 || n >= (int)sizeof(req)) {
		sts_err(err, errlen, "%s: name too long", host);
		return -1;
	}
	if (conn_open(dns, host, 443, timeout, &c, err, errlen) == -1)
		goto out;
	/* one deadline for the whole exchange, so a slow server cannot drip-feed */
	conn_step(c, "TLS handshake");
	if (conn_tls(c, ca_file, &ti, err, errlen) == -1)
		goto out;
	f->cert_expires = ti.expires;
	if (!ti.verified) {
		sts_err(err, errlen, "%s: certificate verify failed: %s", host,
		    ti.why);
		goto out;
	}
	c->what = "sending the request";
	if (conn_write(c, req, n, err, errlen) == -1)
		goto out;
	c->what = "reading the response headers";
	for (i = 0; ; i++) {
		if (read_head(c, &rp, err, errlen) == -1)
			goto out;
		if (rp.status >= 200 || rp.status == 101 || i >= 4)
			break;	/* 1xx before the real answer are skipped */
	}
	f->status = rp.status;
	memcpy(f->ctype, rp.ctype, sizeof(f->ctype));
	if (rp.status >= 300 && rp.status < 400) {
		memcpy(f->location, rp.location, sizeof(f->location));
		if (rp.location[0] != '\0')
			sts_err(err, errlen, "%s: HTTP status %d (redirect to %s; "
			    "senders do not follow redirects)", host, rp.status,
			    rp.location);
		else
			sts_err(err, errlen, "%s: HTTP status %d (a redirect; "
			    "senders do not follow redirects)", host, rp.status);
		goto out;
	}
	if (rp.status != 200) {
		sts_err(err, errlen, "%s: HTTP status %d (senders need 200)", host,
		    rp.status);
		goto out;
	}
	if ((f->body = malloc(STS_POLICY_MAX + 2)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	c->what = "reading the body";
	switch (rp.framing) {
	case F_LENGTH:
		if (rp.length > STS_POLICY_MAX) {
			too_long(c, err, errlen);
			goto out;
		}
		if (read_exact(c, f, rp.length, err, errlen) == -1)
			goto out;
		break;
	case F_CHUNKED:
		if (read_chunked(c, f, err, errlen) == -1)
			goto out;
		break;
	case F_CLOSE:
		if (read_close(c, f, err, errlen) == -1)
			goto out;
		break;
	}
	f->body[f->bodylen] = '\0';
	rc = 0;
out:
	conn_close(c);
	if (rc == -1) {
		free(f->body);
		f->body = NULL;
		f->bodylen = 0;
	}
	return rc;
}

void
fetch_free(struct fetch *f)
{
	if (f == NULL)
		return;
	free(f->body);
	f->body = NULL;
	f->bodylen = 0;
}
