/* SPDX-License-Identifier: ISC */
/*
 * fmt_esc.c: how text goes into each format, and the few facts every
 * format shows the same way (a domain's status, the host a finding is
 * about, a time). Bytes that are not UTF-8 become U+FFFD everywhere:
 * each format is text that its reader decodes as UTF-8.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util.h"
#include "formats.h"

const char *
status_name(const struct report *r)
{
	return r->worst == L_ERROR ? "error" : r->worst == L_WARN ? "warning" : "ok";
}

static int
has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* the word of msg after skip (up to ": " or, when space, " "), in buf */
static const char *
word_after(const char *msg, size_t skip, int space, char *buf, size_t len)
{
	const char *p = msg + skip, *e = NULL;
	size_t n;

	if (strlen(msg) < skip)
		return NULL;
	e = strstr(p, ": ");
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (space && strcspn(p, " ") < n)
		n = strcspn(p, " ");
	if (n == 0 || n >= len)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

/*
 * By the code, never by a guess at the message, except where the message
 * is the only place the host is: the MX host of "MX <host>: ..." (smtp.*,
 * mx.uncovered, mx.cut_short, internal.nomem, tlsrpt.failures, dane.*) or
 * of "_25._tcp.<host>: ..." and "<host>: ..." (dane.*), the address of
 * "mta-sts.<domain> <address>: ..." (https.address.lags; an IPv6 address
 * holds colons, never ": ").
 */
const char *
finding_host(const struct finding *f, const char *domain, const char *resolver,
    char *buf, size_t len)
{
	char mta[STS_HOST_MAX + 16];
	int n;

	if ((has_prefix(f->code, "smtp.") || has_prefix(f->code, "mx.") ||
	    has_prefix(f->code, "internal.") || has_prefix(f->code, "dane.") ||
	    strcmp(f->code, "tlsrpt.failures") == 0) && has_prefix(f->msg, "MX "))
		return word_after(f->msg, 3, 1, buf, len);
	/* DANE: "_25._tcp.<mx>: ..." or "<mx>: ..." (the mechanism) */
	if (has_prefix(f->code, "dane.") && has_prefix(f->msg, "_25._tcp."))
		return word_after(f->msg, 9, 1, buf, len);
	if (strcmp(f->code, "dane.mechanism") == 0)
		return word_after(f->msg, 0, 1, buf, len);
	if (strcmp(f->code, "https.address.lags") == 0) {
		n = snprintf(mta, sizeof(mta), "mta-sts.%s ", domain);
		if (n > 0 && (size_t)n < sizeof(mta) && has_prefix(f->msg, mta))
			return word_after(f->msg, (size_t)n, 0, buf, len);
	}
	if (strcmp(f->code, "dns.resolver") == 0) {
		if (resolver == NULL || snprintf(buf, len, "%s", resolver) >= (int)len)
			return NULL;
		return buf;
	}
	if (has_prefix(f->code, "https."))
		n = snprintf(buf, len, "mta-sts.%s", domain);
	else if (has_prefix(f->code, "dns.txt.") ||
	    has_prefix(f->code, "publish.") || has_prefix(f->code, "id."))
		n = snprintf(buf, len, "_mta-sts.%s", domain);
	else if (has_prefix(f->code, "tlsrpt."))
		n = snprintf(buf, len, "_smtp._tls.%s", domain);
	else if (has_prefix(f->code, "mx.") || has_prefix(f->code, "dns.mx."))
		n = snprintf(buf, len, "%s", domain);
	else
		return NULL;
	return n < 0 || (size_t)n >= len ? NULL : buf;
}

/* the valid UTF-8 sequence at p (its length), or U+FFFD for one invalid byte */
static size_t
put_char(FILE *fp, const char *p)
{
	unsigned cp;
	size_t k;

	if ((k = sts_u8_next((const unsigned char *)p, strnlen(p, 4), &cp)) == 0) {
		fputs("\xef\xbf\xbd", fp);
		return 1;
	}
	fwrite(p, 1, k, fp);
	return k;
}

void
html_str(FILE *fp, const char *s)
{
	while (s != NULL && *s != '\0')
		switch (*s) {
		case '&':
			fputs("&amp;", fp), s++;
			break;
		case '<':
			fputs("&lt;", fp), s++;
			break;
		case '>':
			fputs("&gt;", fp), s++;
			break;
		case '"':
			fputs("&quot;", fp), s++;
			break;
		case '\'':
			fputs("&#39;", fp), s++;
			break;
		default:
			s += put_char(fp, s);
		}
}

/* a CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF */
void
csv_field(FILE *fp, const char *s, int last)
{
	int q;

	if (s == NULL)
		s = "";
	if ((q = strpbrk(s, ",\"\r\n") != NULL))
		fputc('"', fp);
	while (*s != '\0') {
		if (*s == '"')
			fputc('"', fp);
		s += put_char(fp, s);
	}
	if (q)
		fputc('"', fp);
	fputs(last ? "\r\n" : ",", fp);
}

/*
 * A Prometheus label value (text exposition format): backslash, double
 * quote and line feed escaped, the rest UTF-8 as it is
 */
void
prom_label(FILE *fp, const char *s)
{
	fputc('"', fp);
	while (*s != '\0')
		switch (*s) {
		case '\\':
			fputs("\\\\", fp), s++;
			break;
		case '"':
			fputs("\\\"", fp), s++;
			break;
		case '\n':
			fputs("\\n", fp), s++;
			break;
		default:
			s += put_char(fp, s);
		}
	fputc('"', fp);
}

void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "?");
}
