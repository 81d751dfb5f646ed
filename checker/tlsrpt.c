/* SPDX-License-Identifier: ISC */
/*
 * One TLS-RPT report (RFC 8460 §4): gzip (zlib) or JSON (jansson) into a
 * struct tlsrpt, bounded in size, depth, counts and string lengths.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zlib.h>

#include "tlsrpt.h"

static const char *const ptype_names[] = {
	[TLSRPT_STS] = "sts",
	[TLSRPT_TLSA] = "tlsa",
	[TLSRPT_NO_POLICY] = "no-policy-found",
};

const char *
tlsrpt_ptype_name(enum tlsrpt_ptype t)
{
	return ptype_names[t];
}

void
tlsrpt_free(struct tlsrpt *r)
{
	size_t i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->npolicies; i++) {
		struct tlsrpt_policy *p = &r->policies[i];

		free(p->domain);
		sts_strlist_free(&p->lines);
		sts_strlist_free(&p->mx_host);
		for (j = 0; j < p->ndetails; j++) {
			free(p->details[j].result_type);
			free(p->details[j].sending_ip);
			free(p->details[j].mx);
			free(p->details[j].receiving_ip);
			free(p->details[j].reason);
		}
		free(p->details);
	}
	free(r->policies);
	free(r->org);
	free(r->contact);
	free(r->id);
	memset(r, 0, sizeof(*r));
}

int
tlsrpt_is_gzip(const void *buf, size_t len)
{
	const unsigned char *b = buf;

	return len >= 2 && b[0] == 0x1f && b[1] == 0x8b;
}

int
tlsrpt_gunzip(const void *buf, size_t len, size_t max, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	z_stream	 z;
	char		*o = NULL, *n;
	size_t		 cap = 0, have = 0;
	int		 zrc, ret = -1;

	*out = NULL;
	*outlen = 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return sts_err(err, errlen, "gzip: cannot start zlib");
	z.next_in = (Bytef *)(uintptr_t)buf;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
	for (;;) {
		if (have == cap) {
			size_t ncap = cap == 0 ? 65536 : cap * 2;

			if (cap >= max + 1) {
				sts_err(err, errlen, "gzip: decompressed size "
				    "above %zu bytes; refused", max);
				goto out;
			}
			if (ncap > max + 1)
				ncap = max + 1;
			if ((n = realloc(o, ncap + 1)) == NULL) {
				sts_err(err, errlen, "gzip: out of memory");
				goto out;
			}
			o = n;
			cap = ncap;
		}
		z.next_out = (Bytef *)o + have;
		z.avail_out = (uInt)(cap - have);
		zrc = inflate(&z, Z_NO_FLUSH);
		have = cap - z.avail_out;
		if (have > max) {
			sts_err(err, errlen, "gzip: decompressed size above "
			    "%zu bytes; refused", max);
			goto out;
		}
		if (zrc == Z_STREAM_END) {
			/* another member follows (gzip allows several) */
			if (z.avail_in > 0 && tlsrpt_is_gzip(z.next_in, z.avail_in)) {
				if (inflateReset(&z) != Z_OK)
					break;
				continue;
			}
			break;
		}
		if (zrc == Z_BUF_ERROR && z.avail_in == 0) {
			sts_err(err, errlen, "gzip: truncated data");
			goto out;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			sts_err(err, errlen, "gzip: %s", z.msg != NULL ? z.msg :
			    "corrupt data");
			goto out;
		}
	}
	o[have] = '\0';
	*out = o;
	*outlen = have;
	o = NULL;
	ret = 0;
 out:
	inflateEnd(&z);
	free(o);
	return ret;
}

/* nesting of [ and { outside strings; -1 above max */
static int
json_depth_ok(const char *buf, size_t len, int max)
{
	int depth = 0, instr = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = 0;
			continue;
		}
		switch (c) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > max)
				return -1;
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return 0;
}

static int
two(const char *s, int *v)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return 0;
}

/* days since 1970-01-01 of a proleptic Gregorian date */
static long
days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
tlsrpt_date(const char *s, time_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y1, y2, mo, d, h, mi, sec, zh = 0, zm = 0, sign = 0;
	const char *p = s;

	if (strlen(s) < 19 || two(p, &y1) || two(p + 2, &y2) || p[4] != '-' ||
	    two(p + 5, &mo) || p[7] != '-' || two(p + 8, &d) ||
	    (p[10] != 'T' && p[10] != 't' && p[10] != ' ') || two(p + 11, &h) ||
	    p[13] != ':' || two(p + 14, &mi) || p[16] != ':' || two(p + 17, &sec))
		return -1;
	p += 19;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (two(p + 1, &zh) || p[3] != ':' || two(p + 4, &zm) || zh > 23 ||
		    zm > 59)
			return -1;
		p += 6;
	}
	if (*p != '\0')
		return -1;
	if (y1 * 100 + y2 < 1970)	/* no report is that old; and %Y round-trips */
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (mo == 2 && d == 29) {
		int y = y1 * 100 + y2;

		if (!(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
			return -1;
	}
	*out = (time_t)days_from_civil(y1 * 100 + y2, mo, d) * 86400 +
	    h * 3600 + mi * 60 + sec - sign * (zh * 3600 + zm * 60);
	return 0;
}

/* ---- JSON to struct ------------------------------------------------------ */

struct pctx {
	char	*err;
	size_t	 errlen;
	char	 id[96];	/* "report-id X: " or "" */
};

static int __attribute__((format(printf, 3, 4)))
perr(struct pctx *c, const char *where, const char *fmt, ...)
{
	char msg[STS_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sts_err(c->err, c->errlen, "%s%s%s%s", c->id, where,
	    where[0] != '\0' ? ": " : "", msg);
}

/* a string member: 1 found (copied into *out), 0 absent, -1 error */
static int
get_str(struct pctx *c, const char *where, json_t *obj, const char *key,
    int required, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t len;

	*out = NULL;
	if (v == NULL || json_is_null(v)) {
		if (required)
			return perr(c, where, "%s missing", key);
		return 0;
	}
	if (!json_is_string(v))
		return perr(c, where, "%s is not a string", key);
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > TLSRPT_STR_MAX)
		return perr(c, where, "%s longer than %d bytes", key,
		    TLSRPT_STR_MAX);
	if (memchr(s, '\0', len) != NULL)
		return perr(c, where, "%s contains NUL", key);
	if ((*out = strdup(s)) == NULL)
		return perr(c, where, "out of memory");
	return 1;
}

static int
get_count(struct pctx *c, const char *where, json_t *obj, const char *key,
    int required, uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if (v == NULL) {
		if (required)
			return perr(c, where, "%s missing", key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return perr(c, where, "%s is not a count (a whole number, 0 or "
		    "more)", key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* a string or a list of strings (mx-host: erratum 6241; policy-string) */
static int
get_list(struct pctx *c, const char *where, json_t *obj, const char *key,
    struct sts_strlist *l)
{
	json_t *v = json_object_get(obj, key), *e;
	size_t i;

	if (v == NULL || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		if (json_string_length(v) > TLSRPT_STR_MAX)
			return perr(c, where, "%s longer than %d bytes", key,
			    TLSRPT_STR_MAX);
		if (sts_strlist_add(l, json_string_value(v)) == -1)
			return perr(c, where, "out of memory");
		return 0;
	}
	if (!json_is_array(v))
		return perr(c, where, "%s is not a string or a list of "
		    "strings", key);
	if (json_array_size(v) > TLSRPT_LIST_MAX)
		return perr(c, where, "%s has more than %d entries", key,
		    TLSRPT_LIST_MAX);
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return perr(c, where, "%s[%zu] is not a string", key, i);
		if (json_string_length(e) > TLSRPT_STR_MAX)
			return perr(c, where, "%s[%zu] longer than %d bytes", key,
			    i, TLSRPT_STR_MAX);
		if (sts_strlist_add(l, json_string_value(e)) == -1)
			return perr(c, where, "out of memory");
	}
	return 0;
}

static int
parse_detail(struct pctx *c, const char *where, json_t *o,
    struct tlsrpt_detail *d)
{
	if (!json_is_object(o))
		return perr(c, where, "not an object");
	if (get_str(c, where, o, "result-type", 1, &d->result_type) == -1 ||
	    get_str(c, where, o, "sending-mta-ip", 0, &d->sending_ip) == -1 ||
	    get_str(c, where, o, "receiving-mx-hostname", 0, &d->mx) == -1 ||
	    get_str(c, where, o, "receiving-ip", 0, &d->receiving_ip) == -1 ||
	    get_count(c, where, o, "failed-session-count", 1, &d->sessions) == -1)
		return -1;
	/* §4.3 says failure-reason-code; the §4.4 example failure-error-code */
	if (get_str(c, where, o, "failure-reason-code", 0, &d->reason) == -1)
		return -1;
	if (d->reason == NULL &&
	    get_str(c, where, o, "failure-error-code", 0, &d->reason) == -1)
		return -1;
	if (d->result_type[0] == '\0')
		return perr(c, where, "result-type is empty");
	if (d->mx != NULL) {
		size_t n = strlen(d->mx);
		char *s;

		if (n > 0 && d->mx[n - 1] == '.')
			d->mx[n - 1] = '\0';
		for (s = d->mx; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
	}
	return 0;
}

static int
parse_policy(struct pctx *c, size_t idx, json_t *o, struct tlsrpt_policy *p)
{
	char where[64], w2[160], *type = NULL, *s;
	json_t *pol, *sum, *fd, *e;
	size_t i, n;
	int ret = -1;

	(void)snprintf(where, sizeof(where), "policies[%zu]", idx);
	if (!json_is_object(o))
		return perr(c, where, "not an object");
	pol = json_object_get(o, "policy");
	if (pol == NULL)
		return perr(c, where, "policy missing");
	if (!json_is_object(pol))
		return perr(c, where, "policy is not an object");
	(void)snprintf(w2, sizeof(w2), "%s.policy", where);
	if (get_str(c, w2, pol, "policy-type", 1, &type) == -1)
		goto out;
	for (i = 0; i < 3; i++)
		if (strcmp(type, ptype_names[i]) == 0)
			break;
	if (i == 3) {
		char b[80];

		perr(c, w2, "policy-type '%s' is not sts, tlsa or "
		    "no-policy-found", sts_escape(b, sizeof(b), type,
		    strlen(type)));
		goto out;
	}
	p->type = (enum tlsrpt_ptype)i;
	if (get_str(c, w2, pol, "policy-domain", 1, &p->domain) == -1)
		goto out;
	n = strlen(p->domain);
	if (n > 1 && p->domain[n - 1] == '.')
		p->domain[--n] = '\0';
	for (s = p->domain; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
	if (!sts_host_valid(p->domain, n)) {
		char b[80];

		perr(c, w2, "policy-domain '%s' is not a valid domain",
		    sts_escape(b, sizeof(b), p->domain, n));
		goto out;
	}
	if (get_list(c, w2, pol, "policy-string", &p->lines) == -1 ||
	    get_list(c, w2, pol, "mx-host", &p->mx_host) == -1)
		goto out;
	sum = json_object_get(o, "summary");
	if (sum == NULL) {
		perr(c, where, "summary missing");
		goto out;
	}
	if (!json_is_object(sum)) {
		perr(c, where, "summary is not an object");
		goto out;
	}
	(void)snprintf(w2, sizeof(w2), "%s.summary", where);
	if (get_count(c, w2, sum, "total-successful-session-count", 1, &p->ok) == -1 ||
	    get_count(c, w2, sum, "total-failure-session-count", 1, &p->failed) == -1)
		goto out;
	fd = json_object_get(o, "failure-details");
	if (fd != NULL && !json_is_null(fd)) {
		if (!json_is_array(fd)) {
			perr(c, where, "failure-details is not a list");
			goto out;
		}
		n = json_array_size(fd);
		if (n > TLSRPT_DETAILS_MAX) {
			perr(c, where, "more than %d failure-details; refused",
			    TLSRPT_DETAILS_MAX);
			goto out;
		}
		if (n > 0 && (p->details = calloc(n, sizeof(*p->details))) == NULL) {
			perr(c, where, "out of memory");
			goto out;
		}
		json_array_foreach(fd, i, e) {
			(void)snprintf(w2, sizeof(w2), "%s.failure-details[%zu]",
			    where, i);
			p->ndetails = i + 1;
			if (parse_detail(c, w2, e, &p->details[i]) == -1)
				goto out;
		}
	}
	ret = 0;
 out:
	free(type);
	return ret;
}

static int
parse_root(struct pctx *c, json_t *root, struct tlsrpt *r)
{
	json_t *dr, *pols, *e;
	char *s = NULL, b[64];
	size_t i;
	int rc;

	if (!json_is_object(root))
		return perr(c, "", "the report is not a JSON object");
	if (get_str(c, "", root, "report-id", 1, &r->id) == -1)
		return -1;
	if (r->id[0] == '\0')
		return perr(c, "", "report-id is empty");
	(void)snprintf(c->id, sizeof(c->id), "report-id %s: ",
	    sts_escape(b, sizeof(b), r->id, strlen(r->id)));
	if (get_str(c, "", root, "organization-name", 1, &r->org) == -1 ||
	    get_str(c, "", root, "contact-info", 0, &r->contact) == -1)
		return -1;
	dr = json_object_get(root, "date-range");
	if (dr == NULL)
		return perr(c, "", "date-range missing");
	if (!json_is_object(dr))
		return perr(c, "", "date-range is not an object");
	if (get_str(c, "date-range", dr, "start-datetime", 1, &s) == -1)
		return -1;
	rc = tlsrpt_date(s, &r->start);
	free(s);
	if (rc == -1)
		return perr(c, "date-range", "start-datetime is not an RFC 3339 "
		    "date-time");
	if (get_str(c, "date-range", dr, "end-datetime", 1, &s) == -1)
		return -1;
	rc = tlsrpt_date(s, &r->end);
	free(s);
	if (rc == -1)
		return perr(c, "date-range", "end-datetime is not an RFC 3339 "
		    "date-time");
	if (r->end < r->start)
		return perr(c, "date-range", "end-datetime before start-datetime");
	pols = json_object_get(root, "policies");
	if (pols == NULL)
		return perr(c, "", "policies missing");
	if (!json_is_array(pols))
		return perr(c, "", "policies is not a list");
	if (json_array_size(pols) == 0)
		return perr(c, "", "policies is empty");
	if (json_array_size(pols) > TLSRPT_POLICIES_MAX)
		return perr(c, "", "more than %d policies; refused",
		    TLSRPT_POLICIES_MAX);
	r->policies = calloc(json_array_size(pols), sizeof(*r->policies));
	if (r->policies == NULL)
		return perr(c, "", "out of memory");
	json_array_foreach(pols, i, e) {
		r->npolicies = i + 1;
		if (parse_policy(c, i, e, &r->policies[i]) == -1)
			return -1;
	}
	return 0;
}

int
tlsrpt_parse_json(const char *buf, size_t len, struct tlsrpt *out,
    char *err, size_t errlen)
{
	struct pctx	 c = { err, errlen, "" };
	json_error_t	 je;
	json_t		*root;
	int		 ret;

	memset(out, 0, sizeof(*out));
	if (len > TLSRPT_JSON_MAX)
		return sts_err(err, errlen, "JSON larger than %lu bytes; refused",
		    TLSRPT_JSON_MAX);
	if (json_depth_ok(buf, len, TLSRPT_DEPTH_MAX) == -1)
		return sts_err(err, errlen, "JSON nested deeper than %d levels; "
		    "refused", TLSRPT_DEPTH_MAX);
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (root == NULL)
		return sts_err(err, errlen, "not valid JSON: line %d column %d: "
		    "%s", je.line, je.column, je.text);
	ret = parse_root(&c, root, out);
	json_decref(root);
	if (ret == -1)
		tlsrpt_free(out);
	return ret;
}

int
tlsrpt_decode(const void *buf, size_t len, struct tlsrpt *out, char *err,
    size_t errlen)
{
	char	*json = NULL;
	size_t	 jlen;
	int	 ret;

	memset(out, 0, sizeof(*out));
	if (len > TLSRPT_INPUT_MAX)
		return sts_err(err, errlen, "report larger than %lu bytes; "
		    "refused", TLSRPT_INPUT_MAX);
	if (!tlsrpt_is_gzip(buf, len))
		return tlsrpt_parse_json(buf, len, out, err, errlen);
	if (tlsrpt_gunzip(buf, len, TLSRPT_JSON_MAX, &json, &jlen, err,
	    errlen) == -1)
		return -1;
	ret = tlsrpt_parse_json(json, jlen, out, err, errlen);
	free(json);
	return ret;
}

/* ---- struct to JSON (the store's format: RFC 8460 §4 again) -------------- */

static void
set_str(json_t *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, k, json_string(v));
}

static json_t *
list_json(const struct sts_strlist *l)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}

static void
date_str(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	(void)strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
tlsrpt_to_json(const struct tlsrpt *r, const int *keep)
{
	json_t *root, *dr, *pols, *po, *pol, *sum, *fds, *d;
	char b[32], *s;
	size_t i, j;

	root = json_object();
	set_str(root, "organization-name", r->org);
	dr = json_object();
	date_str(r->start, b, sizeof(b));
	set_str(dr, "start-datetime", b);
	date_str(r->end, b, sizeof(b));
	set_str(dr, "end-datetime", b);
	json_object_set_new(root, "date-range", dr);
	set_str(root, "contact-info", r->contact);
	set_str(root, "report-id", r->id);
	pols = json_array();
	for (i = 0; i < r->npolicies; i++) {
		const struct tlsrpt_policy *p = &r->policies[i];

		if (keep != NULL && !keep[i])
			continue;
		po = json_object();
		pol = json_object();
		set_str(pol, "policy-type", ptype_names[p->type]);
		json_object_set_new(pol, "policy-string", list_json(&p->lines));
		set_str(pol, "policy-domain", p->domain);
		json_object_set_new(pol, "mx-host", list_json(&p->mx_host));
		json_object_set_new(po, "policy", pol);
		sum = json_object();
		json_object_set_new(sum, "total-successful-session-count",
		    json_integer((json_int_t)p->ok));
		json_object_set_new(sum, "total-failure-session-count",
		    json_integer((json_int_t)p->failed));
		json_object_set_new(po, "summary", sum);
		fds = json_array();
		for (j = 0; j < p->ndetails; j++) {
			const struct tlsrpt_detail *x = &p->details[j];

			d = json_object();
			set_str(d, "result-type", x->result_type);
			set_str(d, "sending-mta-ip", x->sending_ip);
			set_str(d, "receiving-mx-hostname", x->mx);
			set_str(d, "receiving-ip", x->receiving_ip);
			set_str(d, "failure-reason-code", x->reason);
			json_object_set_new(d, "failed-session-count",
			    json_integer((json_int_t)x->sessions));
			json_array_append_new(fds, d);
		}
		json_object_set_new(po, "failure-details", fds);
		json_array_append_new(pols, po);
	}
	json_object_set_new(root, "policies", pols);
	s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}
