/* SPDX-License-Identifier: ISC */
/*
 * What a sending MTA sees at an MX (RFC 8461 §4): port 25, the banner,
 * EHLO, STARTTLS, a TLS >= 1.2 handshake with SNI = the MX name, and a
 * certificate that chains to a trusted root and names the MX; with TLSA
 * records, the chain checked against them as a DANE sender does (RFC
 * 7672). Then QUIT.
 * Every reply is bounded in time, line length and line count.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"

#define SMTP_PORT	25
#define SMTP_LINE_MAX	1000		/* RFC 5321 allows 512; be generous */
#define SMTP_LINES_MAX	100

/*
 * One (multi-line) reply. *code is its code; *starttls is set when a line
 * of it is the STARTTLS extension keyword. first keeps the first line's
 * text for messages.
 */
static int
reply(struct conn *c, const char *host, const char *what, int *code,
    int *starttls, char *first, size_t firstlen, char *err, size_t errlen)
{
	char	 line[SMTP_LINE_MAX + 1], esc[128];
	size_t	 len, n;
	int	 r, cd = 0, this;

	conn_step(c, what);
	if (starttls != NULL)
		*starttls = 0;
	for (n = 0; ; n++) {
		if (n >= SMTP_LINES_MAX) {
			sts_err(err, errlen, "%s: more than %d lines in a reply "
			    "(%s)", host, SMTP_LINES_MAX, what);
			return -1;
		}
		if ((r = conn_getline(c, line, sizeof(line), &len, err,
		    errlen)) < 0)
			return -1;
		if (r == 1) {
			sts_err(err, errlen, "%s: connection closed (%s)", host,
			    what);
			return -1;
		}
		if (len < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (len > 3 && line[3] != ' ' &&
		    line[3] != '-') || memchr(line, '\0', len) != NULL) {
			sts_err(err, errlen, "%s: not an SMTP reply (%s): '%s'",
			    host, what, sts_escape(esc, sizeof(esc), line, len));
			return -1;
		}
		this = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0');
		if (n == 0) {
			cd = this;
			if (first != NULL)
				sts_escape(first, firstlen, line, len);
		} else if (this != cd) {
			sts_err(err, errlen, "%s: reply codes %d and %d mixed in "
			    "one reply (%s)", host, cd, this, what);
			return -1;
		}
		if (starttls != NULL && len >= 12 &&
		    strncasecmp(line + 4, "STARTTLS", 8) == 0 &&
		    (len == 12 || line[12] == ' '))
			*starttls = 1;
		if (len == 3 || line[3] == ' ')
			break;
	}
	*code = cd;
	return 0;
}

static int
command(struct conn *c, const char *host, const char *cmd, char *err,
    size_t errlen)
{
	char	buf[STS_HOST_MAX + 32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%s\r\n", cmd);
	if (n < 0 || n >= (int)sizeof(buf)) {
		sts_err(err, errlen, "%s: command too long", host);
		return -1;
	}
	conn_step(c, "sending a command");
	return conn_write(c, buf, n, err, errlen);
}

/* the name we greet with: ours when it is a real one */
static void
helo_name(char *out, size_t outlen)
{
	char	name[STS_HOST_MAX + 1];

	if (gethostname(name, sizeof(name)) == 0 &&
	    memchr(name, '\0', sizeof(name)) != NULL &&
	    sts_host_valid(name, strlen(name)))
		snprintf(out, outlen, "%s", name);
	else
		snprintf(out, outlen, "%s", "mta-sts-check.invalid");
}

int
smtp_check(struct dns *dns, const char *host, const char *ca_file,
    unsigned timeout, struct smtp_result *res, char *err, size_t errlen)
{
	return smtp_check_dane(dns, host, ca_file, timeout, NULL, 0, res, err,
	    errlen);
}

int
smtp_check_dane(struct dns *dns, const char *host, const char *ca_file,
    unsigned timeout, const struct tlsa *tlsa, size_t ntlsa,
    struct smtp_result *res, char *err, size_t errlen)
{
	struct conn	*c = NULL;
	struct tlsinfo	 ti;
	char		 ehlo[STS_HOST_MAX + 8], me[STS_HOST_MAX + 1];
	char		 first[128];
	int		 rc = -1, code, tls = 0, polite = 0;

	memset(res, 0, sizeof(*res));
	helo_name(me, sizeof(me));
	snprintf(ehlo, sizeof(ehlo), "EHLO %s", me);
	if (conn_open(dns, host, SMTP_PORT, timeout, &c, err, errlen) == -1)
		goto out;
	if (reply(c, host, "waiting for the banner", &code, NULL, first,
	    sizeof(first), err, errlen) == -1)
		goto out;
	if (code != 220) {
		sts_err(err, errlen, "%s: refuses the connection: %s", host, first);
		goto out;
	}
	if (command(c, host, ehlo, err, errlen) == -1 ||
	    reply(c, host, "waiting for the EHLO reply", &code, &tls, first,
	    sizeof(first), err, errlen) == -1)
		goto out;
	if (code != 250) {
		sts_err(err, errlen, "%s: EHLO refused: %s", host, first);
		polite = 1;
		goto out;
	}
	if (!tls) {
		sts_err(err, errlen, "%s: does not offer STARTTLS", host);
		polite = 1;
		goto out;
	}
	if (command(c, host, "STARTTLS", err, errlen) == -1 ||
	    reply(c, host, "waiting for the STARTTLS reply", &code, NULL, first,
	    sizeof(first), err, errlen) == -1)
		goto out;
	if (code != 220) {
		sts_err(err, errlen, "%s: STARTTLS refused: %s", host, first);
		polite = 1;
		goto out;
	}
	if (conn_pending(c) != 0) {
		/* bytes before the handshake would be taken as TLS-protected */
		sts_err(err, errlen, "%s: sent data after its STARTTLS reply", host);
		goto out;
	}
	conn_step(c, "TLS handshake");
	if (conn_tls(c, ca_file, &ti, err, errlen) == -1)
		goto out;
	res->starttls = 1;
	res->cert_ok = ti.verified;
	res->cert_expires = ti.expires;
	snprintf(res->tls_version, sizeof(res->tls_version), "%s", ti.version);
	res->have_spki = conn_peer_spki(c, res->spki) == 0;
	if (ntlsa > 0 && conn_dane(c, tlsa, ntlsa, &res->dane, res->dane.why,
	    sizeof(res->dane.why)) == 0)
		res->dane_checked = 1;
	if (!ti.verified)
		sts_err(err, errlen, "%s: certificate verify failed: %s", host,
		    ti.why);
	rc = 0;
	polite = 1;
 out:
	/* be polite; what the server says now no longer matters */
	if (polite && command(c, host, "QUIT", NULL, 0) == 0)
		(void)reply(c, host, "waiting for the QUIT reply", &code, NULL,
		    NULL, 0, NULL, 0);
	conn_close(c);
	return rc;
}
