/* SPDX-License-Identifier: ISC */
/*
 * sender.c: what a sending MTA does to read a domain's policy (RFC 8461
 * §3), once, for the checker and the outbound resolver: the _mta-sts TXT
 * record and its choice (§3.1), the HTTPS fetch (§3.3), the media type
 * (text/plain, §3.2) and the policy parse. Nothing here prints or exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sender.h"

int
sts_sender_ctype(const char *ct, char *cs, size_t cslen)
{
	const char *p = ct, *semi = NULL;
	size_t n;
	int rc = 0;

	if (cslen > 0)
		cs[0] = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	semi = strchr(p, ';');
	n = semi ? (size_t)(semi - p) : strlen(p);
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (n != 10 || strncasecmp(p, "text/plain", 10) != 0)
		return -1;
	while (semi != NULL) {
		const char *param = semi + 1, *eq, *end;
		char val[64];
		size_t vn;

		semi = strchr(param, ';');
		end = semi ? semi : param + strlen(param);
		while (param < end && (*param == ' ' || *param == '\t'))
			param++;
		if ((eq = memchr(param, '=', (size_t)(end - param))) == NULL ||
		    (size_t)(eq - param) != 7 || strncasecmp(param, "charset", 7) != 0)
			continue;
		eq++;
		while (end > eq && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end - eq >= 2 && *eq == '"' && end[-1] == '"') {
			eq++;
			end--;
		}
		vn = (size_t)(end - eq);
		if (vn >= sizeof(val))
			vn = sizeof(val) - 1;
		memcpy(val, eq, vn);
		val[vn] = '\0';
		if (strcasecmp(val, "utf-8") != 0 && strcasecmp(val, "us-ascii") != 0) {
			if (cslen > 0)
				sts_escape(cs, cslen, val, vn);
			rc = 1;
		}
	}
	return rc;
}

int
sts_sender_txt(struct dns *dns, const char *domain, char id[STS_ID_MAX + 1],
    char *why, size_t whylen)
{
	char name[STS_HOST_MAX + 16];

	id[0] = '\0';
	if (snprintf(name, sizeof(name), "_mta-sts.%s", domain) >= (int)sizeof(name))
		return sts_err(why, whylen, "%s: name too long", domain);
	return sts_sender_txt_name(dns, name, id, NULL, NULL, why, whylen);
}

int
sts_sender_txt_name(struct dns *dns, const char *name,
    char id[STS_ID_MAX + 1], sts_warn_fn *warn, void *warnarg, char *why,
    size_t whylen)
{
	struct sts_strlist recs = { 0 };
	size_t *lens = NULL, i, which;
	int rc = -1;

	id[0] = '\0';
	if (dns_txt(dns, name, &recs, why, whylen) == -1)
		goto out;
	if ((lens = calloc(recs.n ? recs.n : 1, sizeof(*lens))) == NULL) {
		(void)sts_err(why, whylen, "%s: out of memory", name);
		goto out;
	}
	for (i = 0; i < recs.n; i++)
		lens[i] = strlen(recs.v[i]);
	if (sts_txt_select_warn((const char *const *)recs.v, lens, recs.n,
	    &which, id, warn, warnarg, why, whylen) == -1) {
		id[0] = '\0';
		rc = 0;
	} else
		rc = 1;
 out:
	free(lens);
	sts_strlist_free(&recs);
	return rc;
}

int
sts_sender_fetch(struct dns *dns, const char *domain, const char *ca_file,
    unsigned timeout, struct sts_policy *pol, char **text, char *why,
    size_t whylen)
{
	char err[STS_ERR_MAX], ct[160];
	struct fetch f;
	int rc = -1;

	memset(&f, 0, sizeof(f));
	memset(pol, 0, sizeof(*pol));
	if (text != NULL)
		*text = NULL;
	if (https_fetch(dns, domain, NULL, ca_file, timeout, &f, err,
	    sizeof(err)) == -1) {
		(void)sts_err(why, whylen, "https://mta-sts.%s/.well-known/"
		    "mta-sts.txt: %s", domain, err);
		goto out;
	}
	if (f.ctype[0] == '\0' || sts_sender_ctype(f.ctype, NULL, 0) == -1) {
		sts_escape(ct, sizeof(ct), f.ctype, strlen(f.ctype));
		(void)sts_err(why, whylen, "https://mta-sts.%s/.well-known/"
		    "mta-sts.txt: Content-Type '%s', not text/plain", domain,
		    f.ctype[0] ? ct : "(none)");
		goto out;
	}
	if (sts_policy_parse(f.body ? f.body : "", f.bodylen, pol, err,
	    sizeof(err)) == -1) {
		(void)sts_err(why, whylen, "https://mta-sts.%s/.well-known/"
		    "mta-sts.txt: %s", domain, err);
		goto out;
	}
	if (text != NULL) {
		if ((*text = strdup(f.body ? f.body : "")) == NULL) {
			sts_policy_free(pol);
			(void)sts_err(why, whylen, "%s: out of memory", domain);
			goto out;
		}
	}
	rc = 0;
 out:
	fetch_free(&f);
	return rc;
}

int
sts_sender_policy(struct dns *dns, const char *domain, const char *ca_file,
    unsigned timeout, struct sts_sender_result *res)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = sts_sender_txt(dns, domain, res->id, res->why, sizeof(res->why));
	if (rc == -1)
		return res->status = STS_SENDER_TEMP;
	if (rc == 0)
		return res->status = STS_SENDER_NONE;
	if (sts_sender_fetch(dns, domain, ca_file, timeout, &res->policy,
	    &res->text, res->why, sizeof(res->why)) == -1)
		return res->status = STS_SENDER_FAIL;
	return res->status = STS_SENDER_OK;
}

void
sts_sender_result_free(struct sts_sender_result *res)
{
	if (res == NULL)
		return;
	sts_policy_free(&res->policy);
	free(res->text);
	res->text = NULL;
}
