/* SPDX-License-Identifier: ISC */
/*
 * The responder's pure parts, linked from its objects (not main.o):
 * http.c (respond() given a lookup, the header formatter), table.c
 * (interning, the lookup table) and reload.c with domfiles.c,
 * fallback.c, loader.c and watch.c (a reload poll over a domain
 * directory built under tests/tmp/t_responder at run time (tree.h),
 * removed at the end).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "responder.h"
#include "tap.h"
#include "tree.h"

#define TOP	"tests/tmp/t_responder"
#define MANY	1100	/* more than a loader batch, enough for helpers */

#define HEAD(len) "Status: 200 OK\r\nContent-Type: text/plain; " \
	"charset=utf-8\r\nContent-Length: " len "\r\nCache-Control: " \
	"no-store\r\n\r\n"
#define POL_GLOBAL "version: STSv1\r\nmode: testing\r\n" \
	"mx: *.mx.cert.example\r\nmx: mx.cert.example\r\nmax_age: 86400\r\n"
#define POL_B "version: STSv1\r\nmode: enforce\r\nmx: mx.b.example\r\n" \
	"max_age: 86400\r\n"

/* The body a lookup gives for domain, "" for none, "ERROR" for -1. */
static const char *
body(const char *domain)
{
	static struct resp_copy	 rc;
	static char		 b[4096];
	int			 r;

	if (domain == NULL) {		/* done: free the copy */
		free(rc.buf);
		memset(&rc, 0, sizeof(rc));
		return NULL;
	}
	r = table_lookup(NULL, domain, &rc);
	if (r == -1)
		return "ERROR";
	if (r == 0)
		return "";
	if (rc.len - rc.headlen >= sizeof(b))
		return "TOO LONG";
	memcpy(b, rc.buf + rc.headlen, rc.len - rc.headlen);
	b[rc.len - rc.headlen] = '\0';
	return b;
}

/* How many lines of the file rel contain s. */
static int
lines_with(const char *rel, const char *s)
{
	char	 path[PATH_MAX], line[4096];
	FILE	*f;
	int	 n = 0;

	tree_path(path, rel);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, s) != NULL;
	fclose(f);
	return n;
}

/* ---- http.c ------------------------------------------------------------- */

static char	 asked[STS_HOST_MAX + 1];
static int	 answer;

static int
fake_lookup(void *arg, const char *domain, struct resp_copy *out)
{
	char	 head[256];
	int	 hl;

	snprintf(asked, sizeof(asked), "%s", domain);
	if (answer != 1)
		return answer;
	hl = http_head(head, sizeof(head), "200 OK", "", strlen(arg));
	return resp_set(out, head, hl, arg, strlen(arg)) == -1 ? -1 : 1;
}

static void
check_respond(const char *method, const char *host, const char *uri,
    int ans, const char *want, const char *what)
{
	struct request		 rq = { .method = method, .host = host,
				    .uri = uri };
	struct resp_copy	 rc = { NULL, 0, 0, 0 };
	char			 got[1024];

	answer = ans;
	asked[0] = '\0';
	respond(&rq, fake_lookup, "POLICY\n", &rc);
	snprintf(got, sizeof(got), "%.*s", (int)rc.len, rc.buf ? rc.buf : "");
	is_str(got, want, "respond: %s", what);
	free(rc.buf);
}

static void
test_http(void)
{
	char			 head[256];
	struct request		 rq = { .method = "GET",
				    .host = "mta-sts.example.com",
				    .script = "/.well-known",
				    .pathinfo = "/mta-sts.txt" };
	struct resp_copy	 rc = { NULL, 0, 0, 0 };

	is_int(http_head(head, sizeof(head), "200 OK", "", 5),
	    (int)strlen(HEAD("5")), "http_head: length");
	is_str(head, HEAD("5"), "http_head: the 200 headers");
	is_int(http_head(head, 40, "200 OK", "", 5), -1,
	    "http_head: truncated is an error");

	check_respond("GET", "MTA-STS.Example.COM.", "/.well-known/mta-sts.txt",
	    1, HEAD("7") "POLICY\n", "GET, found");
	is_str(asked, "example.com", "respond: looks up the lower-cased domain");
	check_respond("HEAD", "mta-sts.example.com:443",
	    "/.well-known/mta-sts.txt?x=1", 1, HEAD("7"), "HEAD: headers only");
	check_respond("GET", "www.example.com", "/.well-known/mta-sts.txt", 1,
	    "Status: 400 Bad Request\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: 47\r\nCache-Control: no-store\r\n"
	    "\r\nbad request: the Host must be mta-sts.<domain>\n",
	    "400 for a Host that is not mta-sts.<domain>");
	is_str(asked, "", "respond: no lookup for a bad Host");
	check_respond("POST", "mta-sts.example.com", "/.well-known/mta-sts.txt",
	    1, "Status: 405 Method Not Allowed\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: 19\r\nCache-Control: no-store\r\n"
	    "Allow: GET, HEAD\r\n\r\nmethod not allowed\n", "405 for POST");
	check_respond("GET", "mta-sts.example.com", "/.well-known/mta%2Dsts.txt",
	    1, "Status: 404 Not Found\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: 49\r\nCache-Control: no-store\r\n"
	    "\r\nnot found: only /.well-known/mta-sts.txt is here\n",
	    "404 for another path (not decoded)");
	check_respond("GET", "mta-sts.example.com", "/.well-known/mta-sts.txt",
	    0, "Status: 404 Not Found\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: 45\r\nCache-Control: no-store\r\n"
	    "\r\nnot found: no MTA-STS policy for this domain\n",
	    "404 when the lookup finds nothing");
	check_respond("GET", "mta-sts.example.com", "/.well-known/mta-sts.txt",
	    -1, "Status: 500 Internal Server Error\r\nContent-Type: text/plain; "
	    "charset=utf-8\r\nContent-Length: 13\r\nCache-Control: no-store\r\n"
	    "\r\nserver error\n", "500 when the lookup fails");

	/* SCRIPT_NAME and PATH_INFO when there is no REQUEST_URI */
	answer = 1;
	respond(&rq, fake_lookup, "P\n", &rc);
	ok(rc.len > rc.headlen && memcmp(rc.buf + rc.headlen, "P\n", 2) == 0,
	    "respond: SCRIPT_NAME + PATH_INFO make the policy path");
	free(rc.buf);
}

/* ---- table.c ------------------------------------------------------------ */

static void
test_table(void)
{
	struct intern		 it = { NULL, 0, 0 };
	struct ptrvec		 garbage = { NULL, 0, 0 };
	struct sts_strlist	 warnings = { NULL, 0, 0 };
	struct dfile		 d[3], *dv[3];
	struct resp		*a, *b, *c;
	struct table		*t;
	size_t			 i;

	a = intern_add(&it, "one", 3);
	b = intern_add(&it, "one", 3);
	c = intern_add(&it, "two", 3);
	ok(a != NULL && a == b, "intern: the same text is stored once");
	ok(c != NULL && c != a, "intern: another text is stored apart");
	is_int(a->refs, 2, "intern: two references to it");
	is_int(it.count, 2, "intern: two responses");
	is_int(a->len - a->headlen, 3, "intern: the body after the headers");
	ok(memcmp(a->buf, HEAD("3") "one", a->len) == 0,
	    "intern: a complete 200 response");
	for (i = 0; i < 200; i++) {
		char	 text[16];

		snprintf(text, sizeof(text), "text %zu", i);
		if (intern_add(&it, text, strlen(text)) == NULL)
			break;
	}
	ok(intern_add(&it, "one", 3) == a && a->refs == 3,
	    "intern: found again after the table grew");
	intern_unref(&it, a, &garbage);
	intern_unref(&it, a, &garbage);
	is_int(garbage.n, 0, "intern: still referenced, not garbage");
	intern_unref(&it, a, &garbage);
	ok(garbage.n == 1 && garbage.v[0] == a,
	    "intern: the last reference makes it garbage");
	free(garbage.v[0]);
	free(garbage.v);
	is_int(it.count, 201, "intern: the garbage is out of the table");
	b = intern_add(&it, "one", 3);
	ok(b != NULL && b->refs == 1 && it.count == 202,
	    "intern: a text no longer referenced is stored anew");

	memset(d, 0, sizeof(d));
	d[0].fname = d[0].name = "x.example";
	d[0].resp = c;
	d[1].fname = "xn--bcher-kva.example";
	d[1].name = "xn--bcher-kva.example";
	d[1].resp = b;
	d[2].fname = "b\xc3\xbc" "cher.example";
	d[2].name = "xn--bcher-kva.example";
	d[2].resp = c;
	for (i = 0; i < 3; i++)
		dv[i] = &d[i];
	t = table_build(dv, 3, "/d", &warnings);
	ok(t != NULL, "table_build");
	table_swap(t);
	ok(table_live(), "table_live after a swap");
	is_str(body("x.example"), "two", "lookup: x.example");
	is_str(body("xn--bcher-kva.example"), "one",
	    "lookup: a name served twice goes to the first file");
	is_str(body("y.example"), "", "lookup: unknown is not found");
	is_int(warnings.n, 1, "table_build: one warning");
	is_str(warnings.n ? warnings.v[0] : NULL, "/d/b\xc3\xbc" "cher.example: "
	    "domain xn--bcher-kva.example is already served from another file; "
	    "ignored", "table_build: the warning names both");
	table_swap(NULL);
	ok(!table_live(), "table_live after swapping in nothing");
	is_str(body("x.example"), "", "lookup: nothing served");
	sts_strlist_free(&warnings);
	intern_free(&it);
}

/* ---- reload.c ----------------------------------------------------------- */

static void
test_reload(void)
{
	struct reload		*rl = NULL;
	struct sts_conf		 conf;
	struct sts_domain	 dom;
	char			 err[STS_ERR_MAX], conffile[1100], name[1100];
	char			 text[128], cmd[PATH_MAX + 512];
	struct sts_certstore	*cs = NULL;
	int			 saved, fd;
	size_t			 i, bad = 0;

	memset(&conf, 0, sizeof(conf));
	snprintf(conffile, sizeof(conffile), "%s/mta-sts.conf", tree_top);
	ok(reload_open(conffile, 0, err, sizeof(err)) == NULL &&
	    strstr(err, "mta-sts.conf: No such file or directory") != NULL,
	    "reload_open: no configuration is an error: %s", err);
	tree_put("mta-sts.conf", "domains = domains\nmode = testing\n"
	    "max-age = 1d\ncerts = certs\n");
	ok(reload_open(conffile, 0, err, sizeof(err)) == NULL &&
	    strstr(err, "/domains: No such file or directory") != NULL,
	    "reload_open: no domain directory is an error: %s", err);
	snprintf(name, sizeof(name), "%s/domains", tree_top);
	if (mkdir(name, 0755) == -1)
		abort();
	snprintf(name, sizeof(name), "%s/certs", tree_top);
	if (mkdir(name, 0755) == -1)
		abort();
	/* the mx names of the domains that set none */
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -new -nodes -newkey ec "
	    "-pkeyopt ec_paramgen_curve:P-256 -keyout /dev/null -out "
	    "'%s/certs/mx.pem' -days 2 -subj /CN=mx.cert.example -addext "
	    "subjectAltName=DNS:mx.cert.example,DNS:*.mx.cert.example "
	    ">/dev/null 2>&1", tree_top);
	if (system(cmd) != 0) {
		diag("openssl cannot make a certificate");
		abort();
	}
	tree_put("domains/a.example", "");
	tree_put("domains/b.example", "mode = enforce\nmx = mx.b.example\n");
	tree_put("domains/n.example", "mode = none\n");
	tree_put("domains/bad.example", "mdoe = enforce\n");
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "domains/m%zu.example", i);
		/* explicit mx, and the three memo keys of the certs */
		snprintf(text, sizeof(text), i % 4 == 0 ?
		    "mode = enforce\nmx = mx%zu.example\n" : i % 4 == 1 ? "" :
		    i % 4 == 2 ? "mode = enforce\n" : "max-age = 2d\n", i % 7);
		tree_put(name, text);
	}
	/* What the polls log, into TOP/log. */
	snprintf(name, sizeof(name), "%s/log", tree_top);
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) == -1 ||
	    (fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		abort();
	close(fd);
	rl = reload_open(conffile, 1, err, sizeof(err));
	ok(rl != NULL, "reload_open");
	if (rl == NULL) {
		diag("%s", err);
		return;
	}
	is_str(body("a.example"), POL_GLOBAL, "a.example: the global settings, "
	    "mx from the certificate");
	is_str(body("b.example"), POL_B, "b.example: its own");
	is_str(body("n.example"), "version: STSv1\r\nmode: none\r\n"
	    "max_age: 86400\r\n", "n.example: mode none, no mx");
	is_str(body("bad.example"), "", "bad.example: invalid, not served");

	/* The responder and sts_domain_load agree on every policy. */
	if (sts_conf_load(conffile, &conf, err, sizeof(err)) == -1 ||
	    (cs = sts_certstore_new(NULL, NULL)) == NULL)
		abort();
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "m%zu.example", i);
		if (sts_domain_load(&conf, cs, conf.domains, name, &dom, err,
		    sizeof(err)) == -1 || strcmp(body(name), dom.text) != 0)
			bad++;
		sts_domain_free(&dom);
	}
	is_int(bad, 0, "%d domains read by the loader, each as "
	    "sts_domain_load renders it", MANY);

	/*
	 * What changed in the last RECENT_SECS is looked at again at every
	 * poll: after a while, only what changes is.
	 */
	sleep(3);
	reload_poll(rl, 0);
	tree_del("domains/a.example");
	reload_poll(rl, 0);
	is_str(body("a.example"), "", "a.example: removed, not served");
	is_str(body("b.example"), POL_B, "b.example: still served");

	tree_put("domains/b.example", "mode = enforce\nmx = mx.b.example\nmdoe = x\n");
	tree_put("domains/c.example", "mode = enforce\nmx = mx.c.example\n");
	tree_put("domains/bad.example", "mode = enforce\nmx = mx.b.example\n\n");
	reload_poll(rl, 0);
	is_str(body("b.example"), POL_B, "b.example broken: the last good "
	    "policy is still served");
	is_str(body("c.example"), "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.c.example\r\nmax_age: 86400\r\n", "c.example: new, served");
	is_str(body("bad.example"), POL_B, "bad.example: valid now, served");

	tree_put("mta-sts.conf", "domains = domains\nmode = testing\n"
	    "max-age = 2d\ncerts = certs\n");
	reload_poll(rl, 0);
	is_str(body("m1.example"), "version: STSv1\r\nmode: testing\r\n"
	    "mx: *.mx.cert.example\r\nmx: mx.cert.example\r\n"
	    "max_age: 172800\r\n",
	    "a new global file: every domain read again");
	reload_poll(rl, 1);
	is_str(body("c.example"), "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.c.example\r\nmax_age: 172800\r\n", "a forced poll");
	reload_free(rl);
	ok(!table_live(), "reload_free: nothing served");
	if (dup2(saved, STDERR_FILENO) == -1)
		abort();
	close(saved);
	is_int(lines_with("log", "/bad.example:1: unknown key 'mdoe'"), 1,
	    "an invalid file is logged once, however often it is looked at");
	is_int(lines_with("log", "/b.example:3: unknown key 'mdoe' (did you "
	    "mean 'mode'? expected one of: certs, mode, max-age, mx, tlsrpt, "
	    "publish, dns-server, tsig-key, hook, zone, id-zone, tlsrpt-zone, tlsrpt-hook, "
	    "web-host) "
	    "(still serving the last good policy)"), 2,
	    "a broken file: logged when it broke, and again on a forced poll");
	is_int(lines_with("log", "/bad.example: valid again"), 1,
	    "a file valid again says so");
	is_int(lines_with("log", "/mta-sts.conf: read again"), 1,
	    "a new global file says so");
	sts_conf_free(&conf);
	sts_certstore_free(cs);
	(void)body(NULL);
}

/* ---- gate.c -------------------------------------------------------------- */

/* One FastCGI record of type t, request id 1, with clen bytes of c, pad. */
static size_t
rec(unsigned char *b, size_t off, int ver, int t, const void *c, size_t clen,
    size_t pad)
{
	b[off] = (unsigned char)ver;
	b[off + 1] = (unsigned char)t;
	b[off + 2] = 0;
	b[off + 3] = 1;
	b[off + 4] = (unsigned char)(clen >> 8);
	b[off + 5] = (unsigned char)clen;
	b[off + 6] = (unsigned char)pad;
	b[off + 7] = 0;
	memcpy(b + off + 8, c, clen);
	memset(b + off + 8 + clen, 0, pad);
	return off + 8 + clen + pad;
}

static const unsigned char begin_resp[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
static const unsigned char begin_auth[8] = { 0, 2, 1, 0, 0, 0, 0, 0 };
/* HTTP_HOST=mta-sts.example.com, short lengths */
static const unsigned char nv_host[] = "\x09\x13HTTP_HOSTmta-sts.example.com";

static int	 stop_now;
static int	 stop_fn(void) { return stop_now; }

static void
test_gate(void)
{
	unsigned char	 b[4096], big[300];
	unsigned char	 nv4[4 + 1 + 4 + 3];
	struct gate_limits lim = { 4096, 150, 150 };
	size_t		 n;
	int		 sv[2], nul = -1;

	/* a whole request */
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, nv_host, sizeof(nv_host) - 1, 3);
	n = rec(b, n, 1, 4, "", 0, 0);
	is_int(gate_scan(b, n, 4096), GATE_READY, "gate: a whole request is ready");
	is_int(gate_scan(b, n - 8, 4096), GATE_MORE, "gate: without the empty PARAMS, more");
	is_int(gate_scan(b, n - 3, 4096), GATE_MORE, "gate: with part of its header, more");
	is_int(gate_scan(b, 5, 4096), GATE_MORE, "gate: five bytes, more");
	is_int(gate_scan(b, n - 8, n - 8), GATE_TOO_BIG, "gate: the end just past the cap is too big");
	is_int(gate_scan(b, n, n), GATE_READY, "gate: the end just within the cap is ready");
	is_int(gate_params(b, n), 0, "gate: the parameters are good");
	/* refused shapes */
	n = rec(b, 0, 2, 1, begin_resp, 8, 0);
	is_int(gate_scan(b, n, 4096), GATE_BAD, "gate: version 2 is bad");
	n = rec(b, 0, 1, 1, begin_auth, 8, 0);
	is_int(gate_scan(b, n, 4096), GATE_BAD, "gate: the authorizer role is bad");
	n = rec(b, 0, 1, 9, "", 0, 0);
	is_int(gate_scan(b, n, 4096), GATE_BAD, "gate: FCGI_GET_VALUES is bad");
	n = rec(b, 0, 1, 5, "", 0, 0);
	is_int(gate_scan(b, n, 4096), GATE_BAD, "gate: STDIN first is bad");
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 5, "x", 1, 0);
	is_int(gate_scan(b, n, 4096), GATE_BAD, "gate: STDIN before the end of PARAMS is bad");
	/* parameters without end */
	memset(big, 'a', sizeof(big));
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, big, sizeof(big), 0);
	is_int(gate_scan(b, n, 256), GATE_TOO_BIG, "gate: 300 bytes of PARAMS with a cap of 256");
	is_int(gate_scan(b, n, 4096), GATE_MORE, "gate: the same under a larger cap waits");
	/* NULs, malformed pairs, four-byte lengths */
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, "\x09\x14HTTP_HOSTmta-sts.example.com\0x", 31, 0);
	n = rec(b, n, 1, 4, "", 0, 0);
	is_int(gate_params(b, n), 1, "gate: a NUL in a value");
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, "\x03\x01" "A\0Bc", 6, 0);
	n = rec(b, n, 1, 4, "", 0, 0);
	is_int(gate_params(b, n), 1, "gate: a NUL in a name");
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, "\x09\x7fHTTP_HOSTshort", 16, 0);
	n = rec(b, n, 1, 4, "", 0, 0);
	is_int(gate_params(b, n), -1, "gate: a value longer than the parameters is malformed");
	memcpy(nv4, "\x80\x00\x00\x01" "\x80\x00\x00\x03" "Kabc", 12);
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, nv4, 6, 0);		/* a pair split over records */
	n = rec(b, n, 1, 4, nv4 + 6, 6, 0);
	n = rec(b, n, 1, 4, "", 0, 0);
	is_int(gate_params(b, n), 0, "gate: four-byte lengths, a pair over two records");
	/* waiting on a socket */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	n = rec(b, 0, 1, 1, begin_resp, 8, 0);
	n = rec(b, n, 1, 4, nv_host, sizeof(nv_host) - 1, 0);
	n = rec(b, n, 1, 4, "", 0, 0);
	if (write(sv[1], b, n) != (ssize_t)n)
		abort();
	is_int(gate_wait(sv[0], &lim, big, stop_fn, &nul), GATE_READY, "gate_wait: ready");
	is_int(nul, 0, "gate_wait: no NUL");
	lim.cap = sizeof(big);
	is_int(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), (int)n, "gate_wait: nothing taken from the socket");
	if (write(sv[1], b, 20) != 20)
		abort();
	is_int(gate_wait(sv[0], &lim, big, stop_fn, &nul), GATE_SLOW, "gate_wait: part of a request, then nothing: slow");
	(void)recv(sv[0], b, sizeof(b), MSG_DONTWAIT);
	is_int(gate_wait(sv[0], &lim, big, stop_fn, &nul), GATE_IDLE, "gate_wait: nothing at all: idle");
	stop_now = 1;
	is_int(gate_wait(sv[0], &lim, big, stop_fn, &nul), GATE_STOPPING, "gate_wait: the responder stops");
	close(sv[1]);
	is_int(gate_wait(sv[0], &lim, big, stop_fn, &nul), GATE_CLOSED, "gate_wait: the peer closed");
	close(sv[0]);
}

/* ---- lastgood.c with reload.c ------------------------------------------ */

#define POL_X "version: STSv1\r\nmode: enforce\r\nmx: mx.x.example\r\n" \
	"max_age: 86400\r\n"
#define POL_Y "version: STSv1\r\nmode: testing\r\nmx: mx.y.example\r\n" \
	"max_age: 86400\r\n"

/* The text of file rel, "" when there is none. */
static const char *
text_of(const char *rel)
{
	static char	 b[4096];
	char		 path[PATH_MAX];
	FILE		*f;
	size_t		 n;

	tree_path(path, rel);
	if ((f = fopen(path, "r")) == NULL)
		return "";
	n = fread(b, 1, sizeof(b) - 1, f);
	b[n] = '\0';
	fclose(f);
	return b;
}

static struct reload *
open_kept(const char *conffile, char *err, size_t errlen)
{
	char	 lg[PATH_MAX];

	snprintf(lg, sizeof(lg), "%s/lg", tree_top);
	return reload_open_kept(conffile, 0, lastgood_open(lg, 0), lg, err,
	    errlen);
}

static void
test_lastgood(void)
{
	struct reload	*rl = NULL;
	char		 err[STS_ERR_MAX], conffile[1100], path[PATH_MAX];
	int		 saved, fd;

	snprintf(conffile, sizeof(conffile), "%s/lg.conf", tree_top);
	snprintf(path, sizeof(path), "%s/lgd", tree_top);
	if (mkdir(path, 0755) == -1)
		abort();
	snprintf(path, sizeof(path), "%s/lg", tree_top);
	if (mkdir(path, 0755) == -1)
		abort();
	tree_put("lg.conf", "domains = lgd\nmax-age = 1d\n");
	tree_put("lgd/x.example", "mode = enforce\nmx = mx.x.example\n");
	tree_put("lgd/y.example", "mode = testing\nmx = mx.y.example\n");
	tree_put("lgd/z.example", "mode = testing\nmx = mx.y.example\n");
	snprintf(path, sizeof(path), "%s/lglog", tree_top);
	fflush(stderr);
	if ((saved = dup(STDERR_FILENO)) == -1 ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    dup2(fd, STDERR_FILENO) == -1)
		abort();
	close(fd);

	/* First start: every good policy is kept, as served. */
	rl = open_kept(conffile, err, sizeof(err));
	ok(rl != NULL, "reload_open_kept");
	if (rl == NULL)
		goto out;
	is_str(text_of("lg/x.example"), POL_X, "x.example: kept as served");
	is_str(text_of("lg/y.example"), POL_Y, "y.example: kept as served");
	is_str(text_of("lg/z.example"), POL_Y, "z.example: kept as served");
	reload_free(rl);

	/* Restart with y broken, z gone, w never good. */
	tree_put("lgd/y.example", "mode = testing\nmx = mx.y.example\nmdoe = x\n");
	tree_del("lgd/z.example");
	tree_put("lgd/w.example", "mode = enforcing\n");
	rl = open_kept(conffile, err, sizeof(err));
	ok(rl != NULL, "restart with a broken domain file");
	if (rl == NULL)
		goto out;
	is_str(body("x.example"), POL_X, "restart: x.example served");
	is_str(body("y.example"), POL_Y, "restart: y.example broken, its "
	    "last good policy served from disk");
	is_str(body("z.example"), "", "restart: z.example gone, 404");
	is_str(text_of("lg/z.example"), "", "restart: z.example's copy gone");
	is_str(body("w.example"), "", "restart: w.example never good, 404");
	is_str(text_of("lg/w.example"), "", "restart: w.example has no copy");
	is_str(text_of("lg/y.example"), POL_Y, "restart: y.example's copy kept");

	/* While running: a file deleted takes its copy with it. */
	tree_put("lgd/v.example", "mode = enforce\nmx = mx.x.example\n");
	reload_poll(rl, 1);
	is_str(text_of("lg/v.example"), POL_X, "a new domain is kept");
	tree_del("lgd/v.example");
	reload_poll(rl, 1);
	is_str(body("v.example"), "", "deleted: 404");
	is_str(text_of("lg/v.example"), "", "deleted: its copy gone");
	reload_free(rl);

	/* A copy that does not parse is not served, and goes. */
	tree_put("lg/y.example", "version: STSv1\r\nmode: enforce\r\n");
	rl = open_kept(conffile, err, sizeof(err));
	ok(rl != NULL, "restart with a damaged copy");
	if (rl == NULL)
		goto out;
	is_str(body("y.example"), "", "a damaged copy is not served");
	is_str(text_of("lg/y.example"), "", "a damaged copy is removed");
	reload_free(rl);
	tree_put("lg/y.example", POL_Y);

	/* A dangling link is a file gone, though it has a copy. */
	tree_put("lg/s.example", POL_X);
	if (symlink("nowhere", "tests/tmp/t_responder/lgd/s.example") == -1)
		abort();
	rl = open_kept(conffile, err, sizeof(err));
	ok(rl != NULL, "restart with a dangling link");
	if (rl == NULL)
		goto out;
	is_str(body("s.example"), "", "a dangling link: 404");
	is_str(text_of("lg/s.example"), "", "a dangling link: its copy gone");
	reload_free(rl);
	tree_del("lgd/s.example");

	/* Restart with the global file broken: every copy is served. */
	tree_put("lg.conf", "domains = lgd\nmax-age = 1d\nmdoe = enforce\n");
	ok(reload_open(conffile, 0, err, sizeof(err)) == NULL,
	    "without a directory of copies, a broken global file is fatal");
	rl = open_kept(conffile, err, sizeof(err));
	ok(rl != NULL, "restart with a broken global file");
	if (rl == NULL)
		goto out;
	is_str(body("x.example"), POL_X, "global broken: x.example served");
	is_str(body("y.example"), POL_Y, "global broken: y.example served");
	is_str(body("w.example"), "", "global broken: w.example still 404");
	reload_poll(rl, 0);
	reload_poll(rl, 0);
	is_str(body("x.example"), POL_X, "global broken: still served after "
	    "polls");
	/* Fixed: the files again; y.example is still broken. */
	tree_put("lg.conf", "domains = lgd\nmax-age = 2d\n");
	reload_poll(rl, 0);
	is_str(body("x.example"), "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.x.example\r\nmax_age: 172800\r\n",
	    "global fixed: x.example read again");
	is_str(text_of("lg/x.example"), "version: STSv1\r\nmode: enforce\r\n"
	    "mx: mx.x.example\r\nmax_age: 172800\r\n",
	    "global fixed: x.example's new policy kept");
	is_str(body("y.example"), POL_Y, "global fixed: y.example still "
	    "broken, still its last good policy");
	reload_free(rl);
out:
	if (dup2(saved, STDERR_FILENO) == -1)
		abort();
	close(saved);
	is_int(lines_with("lglog", "/lgd/y.example:3: unknown key 'mdoe' "
	    "(did you mean 'mode'? expected one of: certs, mode, max-age, mx, "
	    "tlsrpt, publish, dns-server, tsig-key, hook, zone, id-zone, tlsrpt-zone, tlsrpt-hook, "
	    "web-host) (serving the last good policy kept from before)"), 2,
	    "a broken file served from its copy says so, at each start");
	is_int(lines_with("lglog", "mta-sts-fcgi: ERROR: "), 1,
	    "a broken global file at start-up: said once");
	is_int(lines_with("lglog", "/lg.conf:3: unknown key 'mdoe'"), 1,
	    "... with file:line (once: polls do not repeat it)");
	is_int(lines_with("lglog", "; serving the last good policies of 2 "
	    "domains kept in "), 1, "... and what is served instead");
	is_int(lines_with("lglog", "last good policy of y.example: no max_age "
	    "field: dropped, not served"), 1,
	    "a damaged copy is logged");
	(void)body(NULL);
}

int
main(void)
{
	tree_open(TOP);
	test_http();
	test_gate();
	test_table();
	test_reload();
	test_lastgood();
	tree_remove(TOP);
	return done_testing();
}
