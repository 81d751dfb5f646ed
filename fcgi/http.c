/* SPDX-License-Identifier: ISC */
/*
 * HTTP for the responder, the same in FastCGI and CGI mode: a request
 * (method, Host, path) to a complete CGI response, the policy found by a
 * lookup function, or 400/404/405/500. Every response has the same
 * headers, formatted in one place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"

#define WELL_KNOWN	"/.well-known/mta-sts.txt"

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
is_policy_path(const struct request *rq)
{
	static const char	 wk[] = WELL_KNOWN;
	size_t			 len, sl;

	if (rq->uri != NULL) {
		len = strcspn(rq->uri, "?");
		return len == sizeof(wk) - 1 && memcmp(rq->uri, wk, len) == 0;
	}
	if (rq->script == NULL)
		return 0;
	sl = strlen(rq->script);
	if (sl > sizeof(wk) - 1 || memcmp(rq->script, wk, sl) != 0)
		return 0;
	return strcmp(&wk[sl], rq->pathinfo ? rq->pathinfo : "") == 0;
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
