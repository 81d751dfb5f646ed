/* SPDX-License-Identifier: ISC */
/*
 * https.c: fetching the policy as a sender does (RFC 8461 §3.3): HTTPS to
 * mta-sts.<domain> over conn.c, certificate checked, HTTP/1.1 GET, no
 * redirects, Content-Length, chunked or close-delimited, at most 64 KiB,
 * bounded in time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sender.h"

#define HTTP_HDR_MAX	16384		/* status line and headers together */
#define HTTP_LINE_MAX	8192
#define HTTP_CHUNK_LINE	1024
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
/* HTTP/1.x SP 3DIGIT [SP reason] */
static int
status_line(struct conn *c, const char *line, size_t len, struct resp *rp,
    char *err, size_t errlen)
{
	char esc[96];

	if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0 ||
	    line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
	    line[9] < '1' || line[9] > '5' ||
	    line[10] < '0' || line[10] > '9' ||
	    line[11] < '0' || line[11] > '9' ||
	    (line[12] != '\0' && line[12] != ' '))
		return sts_err(err, errlen, "%s: not an HTTP/1.x status line: "
		    "'%s'", conn_host(c), sts_escape(esc, sizeof(esc), line, len));
	rp->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 +
	    (line[11] - '0');
	return 0;
}

static int
read_head(struct conn *c, struct resp *rp, char *err, size_t errlen)
{
	char		 line[HTTP_LINE_MAX + 1], esc[96];
	char		*v = NULL, *e = NULL;
	size_t		 len, total = 0, cl, lim;
	int		 r, have_cl = 0, te = 0, first = 1;

	memset(rp, 0, sizeof(*rp));
	for (;;) {
		lim = HTTP_HDR_MAX - total + 1;
		if (lim > sizeof(line))
			lim = sizeof(line);
		if (lim < 2) {
			sts_err(err, errlen, "%s: HTTP header block longer than %d "
			    "bytes", conn_host(c), HTTP_HDR_MAX);
			return -1;
		}
		if ((r = conn_getline(c, line, lim, &len, err, errlen)) == -2 &&
		    lim < sizeof(line)) {
			sts_err(err, errlen, "%s: HTTP header block longer than %d "
			    "bytes", conn_host(c), HTTP_HDR_MAX);
			return -1;
		}
		if (r < 0)
			return -1;
		if (r == 1) {
			sts_err(err, errlen, "%s: connection closed %s", conn_host(c),
			    first ? "without an HTTP response" :
			    "in the HTTP headers");
			return -1;
		}
		total += len + 2;
		if (memchr(line, '\0', len) != NULL) {
			sts_err(err, errlen, "%s: NUL byte in the HTTP headers",
			    conn_host(c));
			return -1;
		}
		if (first) {
			if (status_line(c, line, len, rp, err, errlen) == -1)
				return -1;
			first = 0;
			continue;
		}
		if (len == 0)
			break;
		if (line[0] == ' ' || line[0] == '\t') {
			sts_err(err, errlen, "%s: folded HTTP header line", conn_host(c));
			return -1;
		}
		for (e = line; is_tchar((unsigned char)*e); e++)
			;
		if (e == line || *e != ':') {
			sts_err(err, errlen, "%s: malformed HTTP header line: '%s'",
			    conn_host(c), sts_escape(esc, sizeof(esc), line, len));
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
				    conn_host(c), sts_escape(esc, sizeof(esc), v,
				    strlen(v)));
				return -1;
			}
			rp->length = cl;
			have_cl = 1;
		} else if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (strcasecmp(v, "chunked") != 0 || te) {
				sts_err(err, errlen, "%s: unsupported "
				    "Transfer-Encoding '%s'", conn_host(c),
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
			    "%zu bytes of the body", conn_host(c), want - n, want);
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
	    "most that)", conn_host(c), STS_POLICY_MAX);
	return -1;
}

/* a chunk line that did not come: r from conn_getline (1: end of stream) */
static int
eof_error(struct conn *c, int r, char *err, size_t errlen)
{
	if (r == 1)
		sts_err(err, errlen, "%s: connection closed in a chunked body",
		    conn_host(c));
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
			return eof_error(c, r, err, errlen);
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
			    conn_host(c), sts_escape(esc, sizeof(esc), line, len));
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
			return eof_error(c, r, err, errlen);
		if (len != 0) {
			sts_err(err, errlen, "%s: chunk longer than its size line "
			    "says", conn_host(c));
			return -1;
		}
	}
	/* trailer fields, then the empty line */
	for (;;) {
		if ((r = conn_getline(c, line, sizeof(line), &len, err,
		    errlen)) != 0)
			return eof_error(c, r, err, errlen);
		if (len == 0)
			return 0;
		total += len + 2;
		if (total > HTTP_HDR_MAX) {
			sts_err(err, errlen, "%s: chunked trailer longer than %d "
			    "bytes", conn_host(c), HTTP_HDR_MAX);
			return -1;
		}
	}
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

/* the body as the response frames it, into f->body */
static int
read_body(struct conn *c, const struct resp *rp, struct fetch *f, char *err,
    size_t errlen)
{
	switch (rp->framing) {
	case F_LENGTH:
		if (rp->length > STS_POLICY_MAX)
			return too_long(c, err, errlen);
		return read_exact(c, f, rp->length, err, errlen);
	case F_CHUNKED:
		return read_chunked(c, f, err, errlen);
	case F_CLOSE:
		return read_close(c, f, err, errlen);
	}
	return -1;
}

int
https_fetch(struct dns *dns, const char *domain, const char *addr,
    const char *ca_file, unsigned timeout, struct fetch *f, char *err,
    size_t errlen)
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
	if ((addr != NULL ? conn_open_at(host, addr, 443, timeout, &c, err,
	    errlen) : conn_open(dns, host, 443, timeout, &c, err, errlen)) == -1)
		goto out;
	/* one deadline for the whole exchange, so a slow server cannot drip-feed */
	conn_step(c, "TLS handshake");
	if (conn_tls(c, ca_file, &ti, err, errlen) == -1)
		goto out;
	f->cert_expires = ti.expires;
	if (!ti.verified && ti.mismatch) {
		f->cert_mismatch = 1;
		(void)snprintf(f->cert_names, sizeof(f->cert_names), "%s",
		    ti.names);
		sts_err(err, errlen, "%s: certificate verify failed: %s: the "
		    "certificate names %s; add %s to it", host, ti.why,
		    ti.names, host);
		goto out;
	}
	if (!ti.verified) {
		sts_err(err, errlen, "%s: certificate verify failed: %s", host,
		    ti.why);
		goto out;
	}
	conn_what(c, "sending the request");
	if (conn_write(c, req, n, err, errlen) == -1)
		goto out;
	conn_what(c, "reading the response headers");
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
	/* as long as the response says (a policy is small), else the cap */
	if ((f->body = malloc(rp.framing == F_LENGTH &&
	    rp.length <= STS_POLICY_MAX ? rp.length + 2 :
	    STS_POLICY_MAX + 2)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	conn_what(c, "reading the body");
	if (read_body(c, &rp, f, err, errlen) == -1)
		goto out;
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
