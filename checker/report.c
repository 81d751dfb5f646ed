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
 * printable ASCII and valid UTF-8 as is; anything else (newlines,
 * controls, C1 and bidi controls, invalid bytes, a backslash) as \xNN per
 * byte (sts_escape_utf8); NULL when out of memory
 */
static char *
clean(const char *s)
{
	size_t len = strlen(s);
	char *out;

	if ((out = malloc(4 * len + 1)) == NULL)
		return NULL;
	return sts_escape_utf8(out, 4 * len + 1, s, len);
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
	size_t k, left;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	left = strlen(s);
	for (p = (const unsigned char *)s; *p != '\0'; p += k, left -= k) {
		if ((k = sts_u8_next(p, left, &cp)) == 0) {
			fputs("\xef\xbf\xbd", fp);
			k = 1;
			continue;
		}
		if (sts_u8_hidden(cp)) {
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

const char *
bare(const char *err, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(err, name, n) == 0 && err[n] == ':' && err[n + 1] == ' ')
		return err + n + 2;
	return err;
}
