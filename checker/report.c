/* SPDX-License-Identifier: ISC */
/*
 * report.c: findings per domain, each with its stable code, and how one
 * domain's are shown: "DOMAIN: LEVEL: message" lines, or one JSON
 * document for the whole run (output.c makes the text report of a run).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/*
 * One UTF-8 sequence at p: its length (1 to 4) with *cp, or 0 when it is
 * not valid (a stray or missing continuation byte, an overlong form, a
 * surrogate, above U+10FFFF).
 */
size_t
u8_next(const unsigned char *p, unsigned *cp)
{
	size_t n, i;
	unsigned c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/*
 * Characters that must not reach a terminal or a page as they are: the C1
 * controls, the bidirectional controls (they reorder what follows, as in
 * "Trojan Source") and the line and paragraph separators.
 */
static int
u8_hidden(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * printable ASCII and valid UTF-8 as is; anything else (newlines,
 * controls, C1 and bidi controls, invalid bytes) as \xNN per byte; NULL
 * when out of memory
 */
static char *
clean(const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0, k, i;
	unsigned cp;
	char *out = NULL, *q = NULL;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (p = (const unsigned char *)s; *p != '\0'; p += k) {
			k = u8_next(p, &cp);
			if (k > 0 && cp >= 0x20 && cp != 0x7f && !u8_hidden(cp)) {
				if (pass == 0)
					n += k;
				else
					for (i = 0; i < k; i++)
						*q++ = (char)p[i];
				continue;
			}
			if (k == 0)
				k = 1;
			for (i = 0; i < k; i++) {
				if (pass == 0) {
					n += 4;
					continue;
				}
				*q++ = '\\';
				*q++ = 'x';
				*q++ = hex[p[i] >> 4];
				*q++ = hex[p[i] & 0xf];
			}
		}
		if (pass == 0) {
			if ((out = malloc(n + 1)) == NULL)
				return NULL;
			q = out;
		}
	}
	*q = '\0';
	return out;
}

/*
 * Out of memory, the finding is lost: the report says so (nomem), and
 * the run ends with status 3 once the reports are printed.
 */
void
report_add(struct report *r, enum level level, const char *code,
    const char *fmt, ...)
{
	struct finding *f = NULL;
	va_list ap;
	char *raw = NULL, *msg = NULL;
	int n, added = 0;

	if (level > r->worst)
		r->worst = level;
	if (r->nf == r->capf) {
		size_t cap = r->capf ? r->capf * 2 : 8;

		if ((f = reallocarray(r->f, cap, sizeof(*f))) == NULL)
			goto out;
		r->f = f;
		r->capf = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (n < 0) {
		raw = NULL;
		goto out;
	}
	if ((msg = clean(raw)) == NULL)
		goto out;
	f = &r->f[r->nf++];
	memset(f, 0, sizeof(*f));
	f->level = level;
	(void)snprintf(f->code, sizeof(f->code), "%s", code);
	f->msg = msg;
	added = 1;
 out:
	if (!added) {
		r->nomem = 1;
		r->worst = L_ERROR;
	}
	free(raw);
}

void
report_free(struct report *r)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		free(r->f[i].msg);
	free(r->f);
	free(r->policy);
	r->f = NULL;
	r->policy = NULL;
	r->nf = r->capf = 0;
}

const char *
level_name(enum level l)
{
	switch (l) {
	case L_ERROR:
		return "error";
	case L_WARN:
		return "warning";
	case L_INFO:
		return "info";
	default:
		return "ok";
	}
}

int
report_status(const struct report *r, size_t n, int global_warnings)
{
	enum level worst = global_warnings ? L_WARN : L_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		if (r[i].nomem)
			return 3;
		if (r[i].worst > worst)
			worst = r[i].worst;
	}
	return worst == L_ERROR ? 2 : worst == L_WARN ? 1 : 0;
}

void
report_print_text(FILE *fp, const struct report *r, enum level min, int okline)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (r->f[i].level >= min)
			fprintf(fp, "%s: %s: %s\n", r->domain,
			    level_name(r->f[i].level), r->f[i].msg);
	if (okline && r->worst < L_WARN)
		fprintf(fp, "%s: ok: %s%s%s\n", r->domain,
		    r->id[0] ? "id " : "no id", r->id,
		    r->published ? " published" : "");
}

/*
 * s as a JSON string (RFC 8259): '"', '\' and the controls below U+0020
 * escaped, valid UTF-8 as is; an invalid byte becomes U+FFFD, and a C1,
 * bidi or separator control the visible text "<U+202E>"
 */
void
json_str(FILE *fp, const char *s)
{
	const unsigned char *p = NULL;
	unsigned cp;
	size_t k;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p += k) {
		if ((k = u8_next(p, &cp)) == 0) {
			fputs("\xef\xbf\xbd", fp);
			k = 1;
			continue;
		}
		if (u8_hidden(cp)) {
			fprintf(fp, "<U+%04X>", cp);
			continue;
		}
		switch (cp) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\r':
			fputs("\\r", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (cp < 0x20 || cp == 0x7f)
				fprintf(fp, "\\u%04x", cp);
			else
				fwrite(p, 1, k, fp);
		}
	}
	fputc('"', fp);
}

void
report_print_json(FILE *fp, const struct report *r, size_t n, int status,
    const struct sts_strlist *warnings, const char *error)
{
	size_t i, j;

	fprintf(fp, "{\"status\":%d", status);
	if (error != NULL) {
		fputs(",\"error\":", fp);
		json_str(fp, error);
	}
	if (warnings != NULL && warnings->n > 0) {
		fputs(",\"warnings\":[", fp);
		for (i = 0; i < warnings->n; i++) {
			if (i > 0)
				fputc(',', fp);
			json_str(fp, warnings->v[i]);
		}
		fputc(']', fp);
	}
	fputs(",\"domains\":[", fp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		fputs("{\"domain\":", fp);
		json_str(fp, r[i].domain);
		fputs(",\"id\":", fp);
		json_str(fp, r[i].id[0] ? r[i].id : NULL);
		fputs(",\"dns_id\":", fp);
		json_str(fp, r[i].dns_id[0] ? r[i].dns_id : NULL);
		fprintf(fp, ",\"published\":%s", r[i].published ? "true" : "false");
		if (r[i].policy != NULL) {
			fputs(",\"policy\":", fp);
			json_str(fp, r[i].policy);
		}
		fputs(",\"findings\":[", fp);
		for (j = 0; j < r[i].nf; j++) {
			if (j > 0)
				fputc(',', fp);
			fputs("{\"level\":", fp);
			json_str(fp, level_name(r[i].f[j].level));
			fputs(",\"check\":", fp);
			fprintf(fp, "\"%.*s\"", (int)strcspn(r[i].f[j].code, "."),
			    r[i].f[j].code);
			fputs(",\"code\":", fp);
			json_str(fp, r[i].f[j].code);
			fputs(",\"message\":", fp);
			json_str(fp, r[i].f[j].msg);
			fputc('}', fp);
		}
		fputs("]}", fp);
	}
	fputs("]}\n", fp);
}
