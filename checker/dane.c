/* SPDX-License-Identifier: ISC */
/*
 * DANE beside MTA-STS (RFC 7672; RFC 8461 §2: where a sender validates
 * DANE for an MX, DANE wins). The keys of the certificate stores (each
 * domain's certs, and the next keys of tlsa-next), read once per run;
 * and, per MX host, what its TLSA records at _25._tcp.<host> mean: DANE
 * valid, a certificate that matches none of them (DANE senders will not
 * deliver), records for a key the store does not have, a key of the
 * store without a record (renewing now breaks DANE senders), records a
 * sender cannot use because DNSSEC does not vouch for them. DANE applies
 * only when both the MX and the TLSA answers are signed (RFC 7672 §2.2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* one certs spec and its keys */
struct dane_set {
	struct dane_set		*next;
	char			*spec;
	int			 ok;
	struct sts_certkeys	 keys;
};

struct dane_store {
	struct dane_set		*sets;
	struct sts_certkeys	 next;		/* tlsa-next */
	int			 have_next;
};

int
dane_init(struct run *run)
{
	char err[STS_ERR_MAX];

	if ((run->dane = calloc(1, sizeof(*run->dane))) == NULL)
		return run_fail(run, "out of memory");
	if (run->conf.tlsa_next == NULL)
		return 0;
	if (sts_certs_keys(run->conf.tlsa_next, 1, &run->dane->next, run_warn,
	    run, err, sizeof(err)) == -1) {
		/* the checks go on; the rollover warnings need the keys */
		run_warn(run, err);
		sts_certkeys_free(&run->dane->next);
		return 0;
	}
	run->dane->have_next = 1;
	return 0;
}

void
dane_free(struct run *run)
{
	struct dane_set *s = NULL, *next = NULL;

	if (run->dane == NULL)
		return;
	for (s = run->dane->sets; s != NULL; s = next) {
		next = s->next;
		sts_certkeys_free(&s->keys);
		free(s->spec);
		free(s);
	}
	sts_certkeys_free(&run->dane->next);
	free(run->dane);
	run->dane = NULL;
}

const struct sts_certkeys *
dane_next(struct run *run)
{
	if (run->dane == NULL || !run->dane->have_next)
		return NULL;
	return &run->dane->next;
}

const struct sts_certkeys *
dane_keys(struct run *run, const char *spec)
{
	struct dane_set *s = NULL;
	char err[STS_ERR_MAX];

	if (run->dane == NULL || spec == NULL)
		return NULL;
	if (run->locks)
		pthread_mutex_lock(&run->mu);
	for (s = run->dane->sets; s != NULL; s = s->next)
		if (strcmp(s->spec, spec) == 0)
			break;
	if (s == NULL && (s = calloc(1, sizeof(*s))) != NULL) {
		if ((s->spec = strdup(spec)) == NULL) {
			free(s);
			s = NULL;
		} else {
			/* unreadable files: the names loader warned already */
			s->ok = sts_certs_keys(spec, 0, &s->keys, NULL, NULL,
			    err, sizeof(err)) == 0;
			s->next = run->dane->sets;
			run->dane->sets = s;
		}
	}
	if (run->locks)
		pthread_mutex_unlock(&run->mu);
	return s != NULL && s->ok ? &s->keys : NULL;
}

int
dane_key_for(const struct sts_certkey *k, const char *host)
{
	return k->name != NULL && sts_mx_match(k->name, host);
}

void
dane_rdata(const unsigned char spki[STS_SPKI_LEN], char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char buf[8 + 2 * STS_SPKI_LEN + 1];
	size_t i;

	memcpy(buf, "3 1 1 ", 6);
	for (i = 0; i < STS_SPKI_LEN; i++) {
		buf[6 + 2 * i] = hex[spki[i] >> 4];
		buf[6 + 2 * i + 1] = hex[spki[i] & 15];
	}
	buf[6 + 2 * STS_SPKI_LEN] = '\0';
	(void)snprintf(out, outlen, "%s", buf);
}

/* a TLSA record as "U S M hex..." (the data cut after 32 bytes) */
static void
tlsa_text(const struct tlsa *t, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	char data[2 * 64 + 4];
	size_t i, n = t->len < 64 ? t->len : 64;

	for (i = 0; i < n; i++) {
		data[2 * i] = hex[t->data[i] >> 4];
		data[2 * i + 1] = hex[t->data[i] & 15];
	}
	data[2 * n] = '\0';
	if (n < t->len)
		strcat(data, "...");
	(void)snprintf(out, outlen, "%u %u %u %s", t->usage, t->selector,
	    t->mtype, data);
}

static int
is_311(const struct tlsa *t)
{
	return t->usage == 3 && t->selector == 1 && t->mtype == 1 &&
	    t->len == STS_SPKI_LEN;
}

/*
 * The TLSA records compared with the store: records for keys it does not
 * have, and keys of it (a certificate for host, or a next key) that have
 * no record while others do.
 */
static void
dane_vs_store(struct run *run, const char *host,
    const struct smtp_result *res, const struct sts_settings *set,
    struct report *r)
{
	const struct sts_certkeys *cur = dane_keys(run, set->certs);
	const struct sts_certkeys *nxt = dane_next(run);
	const struct sts_certkeys *lists[2];
	const struct sts_certkey *k = NULL, *o = NULL;
	char rd[8 + 2 * STS_SPKI_LEN + 1], txt[160];
	size_t i, j, l, m, n311 = 0, ncur = 0;
	int known, dup;

	lists[0] = cur;
	lists[1] = nxt;
	for (i = 0; cur != NULL && i < cur->n; i++)
		ncur += dane_key_for(&cur->v[i], host);
	if (ncur == 0)
		return;		/* not our certificate: nothing to compare */
	for (i = 0; i < res->ntlsa; i++) {
		if (!is_311(&res->tlsa[i]))
			continue;	/* not a key we could have */
		n311++;
		for (l = 0, known = 0; l < 2 && !known; l++)
			for (j = 0; lists[l] != NULL && j < lists[l]->n &&
			    !known; j++)
				known = dane_key_for(&lists[l]->v[j], host) &&
				    memcmp(lists[l]->v[j].spki, res->tlsa[i].data,
				    STS_SPKI_LEN) == 0;
		if (!known) {
			tlsa_text(&res->tlsa[i], txt, sizeof(txt));
			report_add(r, L_WARN, "dane.key.unknown", "_25._tcp.%s: "
			    "TLSA %s is for a key that no certificate in the "
			    "store (certs = %s) nor a next key (tlsa-next) has: "
			    "remove it once no server of %s uses that key",
			    host, txt, set->certs, host);
		}
	}
	if (n311 == 0)
		return;
	for (l = 0; l < 2; l++) {
		for (j = 0; lists[l] != NULL && j < lists[l]->n; j++) {
			k = &lists[l]->v[j];
			if (!dane_key_for(k, host))
				continue;
			/* each key once, at its first entry */
			for (m = 0, dup = 0; m <= l && !dup; m++)
				for (i = 0; lists[m] != NULL && i < lists[m]->n &&
				    (m < l || i < j) && !dup; i++) {
					o = &lists[m]->v[i];
					dup = dane_key_for(o, host) &&
					    memcmp(o->spki, k->spki,
					    STS_SPKI_LEN) == 0;
				}
			if (dup)
				continue;
			for (i = 0, known = 0; i < res->ntlsa && !known; i++)
				known = is_311(&res->tlsa[i]) &&
				    memcmp(res->tlsa[i].data, k->spki,
				    STS_SPKI_LEN) == 0;
			if (known)
				continue;
			dane_rdata(k->spki, rd, sizeof(rd));
			report_add(r, L_WARN, "dane.rollover", "MX %s: the %s %s "
			    "has no TLSA record at _25._tcp.%s while other keys "
			    "do: %s breaks DANE senders; publish first (then wait "
			    "two TTLs): _25._tcp.%s. %d IN TLSA %s", host,
			    l == 0 ? "key of the certificate" : "next key (tlsa-next)",
			    k->path, host, l == 0 ? "serving it" :
			    "renewing with it now", host, TXT_TTL, rd);
		}
	}
}

/*
 * What the TLSA records of host say, as findings; why: the mechanism a
 * sender applies, or why not DANE. 1 when a DANE sender applies DANE.
 */
static int
dane_verdict(struct run *run, const char *domain, const char *host,
    int mx_secure, int smtp_rc, const struct smtp_result *res,
    struct report *r, char *why, size_t whylen)
{
	char rd[8 + 2 * STS_SPKI_LEN + 1];
	char tname[STS_HOST_MAX + 16];
	int dane = 0;		/* a DANE sender applies DANE to host */

	why[0] = '\0';
	(void)snprintf(tname, sizeof(tname), "_25._tcp.%s", host);
	if (res->tlsa_rc == -1 && res->tlsa_cut) {
		/* our deadline, not the zone: said once as cut short */
		report_add(r, L_WARN, "dane.lookup", "MX %s: the TLSA lookup at "
		    "_25._tcp.%s was cut short (%s): DANE not checked", host,
		    host, bare(res->tlsa_err, tname));
		(void)snprintf(why, whylen, "the TLSA lookup was cut short");
	} else if (res->tlsa_rc == -1) {
		if (mx_secure) {
			report_add(r, L_ERROR, "dane.lookup", "MX %s: the TLSA "
			    "lookup at _25._tcp.%s failed (%s): DANE senders "
			    "defer mail to it (a bogus or unanswered signed "
			    "zone)", host, host, bare(res->tlsa_err, tname));
			(void)snprintf(why, whylen, "DANE (the TLSA "
			    "lookup failed: DANE senders defer mail)");
			dane = 1;
		} else
			(void)snprintf(why, whylen, "the MX records of %s "
			    "are not signed", domain);
	} else if (res->ntlsa == 0)
		(void)snprintf(why, whylen, "no TLSA records at "
		    "_25._tcp.%s", host);
	else if (!res->tlsa_secure) {
		report_add(r, L_WARN, "dane.insecure", "MX %s: the TLSA records "
		    "at _25._tcp.%s are not signed (the resolver %s did not "
		    "vouch for the answer): not usable for DANE; sign the zone "
		    "of %s (DNSSEC), or remove them", host, host,
		    run->conf.resolver ? run->conf.resolver : "of "
		    "/etc/resolv.conf", host);
		(void)snprintf(why, whylen, "the TLSA records at "
		    "_25._tcp.%s are not signed", host);
	} else if (!mx_secure) {
		report_add(r, L_WARN, "dane.mx.insecure", "MX %s: signed TLSA "
		    "records, but the MX records of %s are not signed: DANE "
		    "does not apply to mail for %s (RFC 7672 section 2.2); "
		    "sign the zone of %s", host, domain, domain, domain);
		(void)snprintf(why, whylen, "the MX records of %s are not "
		    "signed", domain);
	} else if (smtp_rc == -1 || !res->dane_checked) {
		/* smtp.starttls says why */
		(void)snprintf(why, whylen, "DANE (signed TLSA records; "
		    "no certificate to check: DANE senders will not deliver)");
		dane = 1;
	} else if (res->dane.usable == 0) {
		report_add(r, L_WARN, "dane.unusable", "MX %s: none of the signed "
		    "TLSA records at _25._tcp.%s is usable (RFC 7672 section "
		    "2.2): DANE senders encrypt but authenticate nothing; "
		    "publish TLSA 3 1 1 records", host, host);
		(void)snprintf(why, whylen, "the signed TLSA records at "
		    "_25._tcp.%s are all unusable", host);
	} else if (res->dane.matched) {
		report_add(r, L_INFO, "dane.ok", "MX %s: DANE valid: the signed "
		    "TLSA %u %u %u record at _25._tcp.%s matches its "
		    "certificate%s", host, res->dane.usage, res->dane.selector,
		    res->dane.mtype, host, res->dane.depth > 0 ?
		    " chain" : "");
		(void)snprintf(why, whylen, "DANE (signed TLSA %u %u %u "
		    "matches)", res->dane.usage, res->dane.selector,
		    res->dane.mtype);
		dane = 1;
	} else {
		if (res->have_spki)
			dane_rdata(res->spki, rd, sizeof(rd));
		report_add(r, L_ERROR, "dane.mismatch", "MX %s: its certificate "
		    "matches none of the signed TLSA records at _25._tcp.%s "
		    "(%s): DANE senders will not deliver to it; publish the "
		    "key it presents%s%s, or serve the key the records name",
		    host, host, res->dane.why, res->have_spki ? ": TLSA " : "",
		    res->have_spki ? rd : "");
		(void)snprintf(why, whylen, "DANE (the signed TLSA records "
		    "match no certificate it presents: DANE senders will not "
		    "deliver)");
		dane = 1;
	}
	return dane;
}

/* probe: dane.mechanism, the one a sender applies to host */
static void
dane_mechanism(const char *host, int dane, const char *why,
    const struct sts_policy *pol, struct report *r)
{
	const char *sts = NULL;

	/*
	 * probe: which mechanism a sender applies, and why (RFC 8461 §2);
	 * MTA-STS only with a policy behind an _mta-sts record (§3)
	 */
	if (pol != NULL && r->published && pol->mode != STS_MODE_NONE)
		sts = pol->mode == STS_MODE_ENFORCE ? "enforce" : "testing";
	if (dane)
		report_add(r, L_INFO, "dane.mechanism", "%s: %s%s", host, why,
		    sts != NULL ? " — MTA-STS not applied by DANE-capable "
		    "senders" : "");
	else if (sts != NULL)
		report_add(r, L_INFO, "dane.mechanism", "%s: MTA-STS (mode %s; "
		    "no DANE: %s)", host, sts, why);
	else
		report_add(r, L_INFO, "dane.mechanism", "%s: neither DANE nor "
		    "MTA-STS (%s; no MTA-STS policy in force): opportunistic "
		    "TLS only", host, why);
}

void
check_dane(struct run *run, const char *domain, const char *host,
    int mx_secure, int smtp_rc, const struct smtp_result *res,
    const struct sts_policy *pol, const struct sts_settings *set,
    struct report *r)
{
	char why[STS_ERR_MAX];
	int dane;

	dane = dane_verdict(run, domain, host, mx_secure, smtp_rc, res, r, why,
	    sizeof(why));
	if (set != NULL && res->tlsa_rc == 0 && res->ntlsa > 0 &&
	    res->tlsa_secure && mx_secure)
		dane_vs_store(run, host, res, set, r);
	if (set != NULL)
		return;
	dane_mechanism(host, dane, why, pol, r);
}
