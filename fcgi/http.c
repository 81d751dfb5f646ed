/* SPDX-License-Identifier: ISC */
/*
 * HTTP for the responder, the same in FastCGI and CGI mode: a request
 * (method, Host, path) to a complete CGI response, the policy found by a
 * lookup function, or 400/404/405/500. Every response has the same
 * headers, formatted in one place.
 *
 * With a spool (`reports`), POST /tlsrpt on a domain we serve takes a
 * TLS-RPT report (RFC 8460 §5.2) into it: 201; or 405 (another method),
 * 404 (a domain we do not serve), 415 (another Content-Type), 411 (no
 * Content-Length), 400 (an invalid one, or a body cut short), 413 (over
 * SPOOL_MAX), 408 (too slow), 503 (the spool cannot be written).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"
#include "util.h"

#define WELL_KNOWN	"/.well-known/mta-sts.txt"
#define TLSRPT_PATH	"/tlsrpt"
#define CT_GZIP		"application/tlsrpt+gzip"
#define CT_JSON		"application/tlsrpt+json"

int
http_head(char *buf, size_t bufsz, const char *status, const char *extra,
    size_t bodylen)
{
	int	 n;

	n = snprintf(buf, bufsz, "Status: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n"
	    "%s\r\n", status, bodylen, extra);
	if (n < 0 || (size_t)n >= bufsz)
		return -1;
	return n;
}

int
resp_set(struct resp_copy *out, const char *head, size_t headlen,
    const char *body, size_t bodylen)
{
	char	*nb;
	size_t	 len = headlen + bodylen;

	if (out->cap < len) {
		if ((nb = realloc(out->buf, len)) == NULL)
			return -1;
		out->buf = nb;
		out->cap = len;
	}
	memcpy(out->buf, head, headlen);
	memcpy(out->buf + headlen, body, bodylen);
	out->len = len;
	out->headlen = headlen;
	return 0;
}

static int
error_resp(struct resp_copy *out, const char *status, const char *extra,
    const char *body, int head)
{
	char	 buf[1024];
	int	 n;

	if ((n = http_head(buf, sizeof(buf), status, extra, strlen(body))) == -1 ||
	    resp_set(out, buf, n, body, strlen(body)) == -1)
		return -1;
	if (head)
		out->len = out->headlen;
	return 0;
}

/*
 * The path of the request: REQUEST_URI up to any query string (which is
 * ignored), else SCRIPT_NAME and PATH_INFO. Compared as sent, not decoded:
 * "/.well-known/mta%2Dsts.txt" is not the policy.
 */
static int
is_path(const struct request *rq, const char *wk, size_t wklen)
{
	size_t	 len, sl;

	if (rq->uri != NULL) {
		len = strcspn(rq->uri, "?");
		return len == wklen && memcmp(rq->uri, wk, len) == 0;
	}
	if (rq->script == NULL)
		return 0;
	sl = strlen(rq->script);
	if (sl > wklen || memcmp(rq->script, wk, sl) != 0)
		return 0;
	return strcmp(&wk[sl], rq->pathinfo ? rq->pathinfo : "") == 0;
}

#define is_policy_path(rq)	is_path(rq, WELL_KNOWN, sizeof(WELL_KNOWN) - 1)
#define is_tlsrpt_path(rq)	is_path(rq, TLSRPT_PATH, sizeof(TLSRPT_PATH) - 1)

int
http_is_tlsrpt(const struct request *rq)
{
	return is_tlsrpt_path(rq);
}

/*
 * The media type of a Content-Type, without parameters, as the file
 * name's ending: ".json.gz", ".json", or NULL (another type).
 */
static const char *
tlsrpt_ext(const char *ctype)
{
	size_t	 len;

	if (ctype == NULL)
		return NULL;
	ctype += strspn(ctype, " \t");
	len = strcspn(ctype, ";");
	while (len > 0 && (ctype[len - 1] == ' ' || ctype[len - 1] == '\t'))
		len--;
	if (len == sizeof(CT_GZIP) - 1 && strncasecmp(ctype, CT_GZIP, len) == 0)
		return ".json.gz";
	if (len == sizeof(CT_JSON) - 1 && strncasecmp(ctype, CT_JSON, len) == 0)
		return ".json";
	return NULL;
}

/* A POST to /tlsrpt of domain (we serve it). */
static int
tlsrpt_post(const struct request *rq, const char *domain,
    struct resp_copy *out)
{
	char			 esc[STS_HOST_MAX * 4 + 8];
	const char		*ext;
	long long		 clen;
	enum spool_result	 res;

	if ((ext = tlsrpt_ext(rq->ctype)) == NULL)
		return error_resp(out, "415 Unsupported Media Type", "",
		    "unsupported media type: a TLS-RPT report is "
		    "application/tlsrpt+gzip or application/tlsrpt+json\n", 0);
	if (rq->clen == NULL || rq->clen[0] == '\0')
		return error_resp(out, "411 Length Required", "",
		    "length required: send the report with a Content-Length\n",
		    0);
	if (sts_parse_num(rq->clen, 0, LLONG_MAX, 10, &clen) == -1)
		return error_resp(out, "400 Bad Request", "",
		    "bad request: the Content-Length is not a number\n", 0);
	if (clen == 0)
		return error_resp(out, "400 Bad Request", "",
		    "bad request: an empty report\n", 0);
	if (clen > SPOOL_MAX)
		return error_resp(out, "413 Content Too Large", "",
		    "content too large: a report may have 1048576 bytes at "
		    "most\n", 0);
	res = spool_put(rq->spoolfd, rq->spooldir, ext, (size_t)clen,
	    rq->body, rq->bodyarg);
	switch (res) {
	case SPOOL_STORED:
		return error_resp(out, "201 Created", "", "report received\n", 0);
	case SPOOL_TOO_BIG:
		return error_resp(out, "413 Content Too Large", "",
		    "content too large: a report may have 1048576 bytes at "
		    "most\n", 0);
	case SPOOL_SLOW:
		return error_resp(out, "408 Request Timeout", "",
		    "request timeout: the report did not arrive in time\n", 0);
	case SPOOL_SHORT:
		return error_resp(out, "400 Bad Request", "",
		    "bad request: the body is shorter than its Content-Length\n",
		    0);
	case SPOOL_UNAVAILABLE:
		return error_resp(out, "503 Service Unavailable",
		    "Retry-After: 3600\r\n",
		    "service unavailable: reports cannot be stored now; try "
		    "again later\n", 0);
	default:
		logmsg("%s: cannot take a report (see above, or out of memory)",
		    sts_escape(esc, sizeof(esc), domain, strlen(domain)));
		return error_resp(out, "500 Internal Server Error", "",
		    "server error\n", 0);
	}
}

void
respond(const struct request *rq, lookup_fn *lookup, void *arg,
    struct resp_copy *out)
{
	char	 domain[STS_HOST_MAX + 1], esc[STS_HOST_MAX * 4 + 8];
	int	 head, r;

	head = rq->method != NULL && strcmp(rq->method, "HEAD") == 0;
	if (rq->nul) {
		r = error_resp(out, "400 Bad Request", "",
		    "bad request: a NUL byte in a request parameter\n", head);
		goto out;
	}
	if (rq->host == NULL || sts_host_policy_domain(rq->host,
	    strlen(rq->host), domain, sizeof(domain)) == -1) {
		r = error_resp(out, "400 Bad Request", "",
		    "bad request: the Host must be mta-sts.<domain>\n", head);
		goto out;
	}
	if (rq->tlsrpt && is_tlsrpt_path(rq)) {
		if (rq->method == NULL || strcmp(rq->method, "POST") != 0) {
			r = error_resp(out, "405 Method Not Allowed",
			    "Allow: POST\r\n", "method not allowed: TLS-RPT "
			    "reports are POSTed here\n", 0);
			goto out;
		}
		if ((r = lookup(arg, domain, out)) == 1) {
			out->len = 0;
			r = tlsrpt_post(rq, domain, out);
		} else if (r == 0)
			r = error_resp(out, "404 Not Found", "",
			    "not found: no MTA-STS policy for this domain\n", 0);
		else
			r = error_resp(out, "500 Internal Server Error", "",
			    "server error\n", 0);
		goto out;
	}
	if (rq->method == NULL || (!head && strcmp(rq->method, "GET") != 0)) {
		r = error_resp(out, "405 Method Not Allowed",
		    "Allow: GET, HEAD\r\n", "method not allowed\n", 0);
		goto out;
	}
	if (!is_policy_path(rq)) {
		r = error_resp(out, "404 Not Found", "",
		    "not found: only /.well-known/mta-sts.txt is here\n", head);
		goto out;
	}
	if ((r = lookup(arg, domain, out)) == 1) {
		if (head)
			out->len = out->headlen;
		return;
	}
	if (r == 0)
		r = error_resp(out, "404 Not Found", "",
		    "not found: no MTA-STS policy for this domain\n", head);
	else {
		logmsg("%s: cannot answer (see above, or out of memory)",
		    sts_escape(esc, sizeof(esc), domain, strlen(domain)));
		r = error_resp(out, "500 Internal Server Error", "",
		    "server error\n", head);
	}
out:
	if (r == -1) {
		logmsg("out of memory");
		out->len = 0;
	}
}
