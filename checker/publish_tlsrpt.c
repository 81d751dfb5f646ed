/* SPDX-License-Identifier: ISC */
/*
 * publish_tlsrpt.c: with tlsrpt-zone, the operator keeps the TLS-RPT
 * record at <domain>.<tlsrpt-zone> (the customer's _smtp._tls.<domain>
 * is a CNAME to it, and is never touched). Each check run asks the
 * tlsrpt-zone's authoritative servers first; only when they do not hold
 * exactly the one record the configuration gives (tlsrpt, or
 * mailto:postmaster@<domain>) does the domain's method put it there:
 *
 *   rfc2136   one UPDATE of the tlsrpt-zone replacing the TXT RRset
 *   hook      the program named by tlsrpt-hook, MTA_STS_RECORD_TYPE=tlsrpt
 *             (no tlsrpt-hook: the record to set by hand, reported)
 *   zonefile  nothing here: zonebatch.c writes it into the file (with
 *             %z, the tlsrpt-zone's own file)
 *   none      the record to set by hand, reported
 *
 * then asks the authoritative servers again. Findings: tlsrpt.zone.ok,
 * tlsrpt.publish.done, .failed, .unverified, .by_hand and .dry_run.
 *
 * The zone asked and updated is the one that holds the tlsrpt-zone's
 * names, as the SOA records say: the tlsrpt-zone itself, or the zone it
 * lies in when it is no zone of its own (rpt.ids.example.net inside
 * ids.example.net); the tlsrpt-zone when DNS cannot tell.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"

static void
holding_zone(struct dns *dns, const char *tz, char *out, size_t len)
{
	char primary[STS_HOST_MAX + 2], why[STS_ERR_MAX];
	size_t n;

	if (dns_zone(dns, tz, out, len, primary, sizeof(primary), why,
	    sizeof(why)) == -1) {
		(void)snprintf(out, len, "%s", tz);
		return;
	}
	if ((n = strlen(out)) > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
}

void
tlsrpt_publish(struct run *run, struct dns *dns, struct job *j)
{
	const struct sts_domain *d = j->d;
	enum sts_publish how = dom_publish(&run->conf, d);
	const char *tz = d->set.tlsrpt_zone, *method = publish_name(how);
	struct publish_req q = { &run->conf, dns, d, "", "" };
	char name[STS_HOST_MAX + 1], rec[1024], quoted[2048];
	char zone[STS_HOST_MAX + 2];
	char why[STS_ERR_MAX], err[STS_ERR_MAX], note[STS_ERR_MAX];
	enum publish_rc rc;

	if (tz == NULL || how == STS_PUBLISH_ZONEFILE)
		return;
	if (owner_name("_smtp._tls", d->name, tz, name, sizeof(name)) == -1 ||
	    tlsrpt_default(d->name, &d->set.tlsrpt, rec, sizeof(rec)) == -1 ||
	    zone_txt(rec, quoted, sizeof(quoted)) == -1) {
		report_add(&j->r, L_ERROR, "tlsrpt.publish.failed", "%s.%s: the "
		    "name or the TLS-RPT record is too long", d->name, tz);
		return;
	}
	holding_zone(dns, tz, zone, sizeof(zone));
	/* what the operator's zone holds, from its authoritative servers */
	if (dns_check_auth_exact(dns, zone, name, rec, why, sizeof(why)) == 0) {
		report_add(&j->r, L_INFO, "tlsrpt.zone.ok", "%s: %s", name, rec);
		return;
	}
	if (how == STS_PUBLISH_NONE || (how == STS_PUBLISH_HOOK &&
	    d->set.tlsrpt_hook == NULL)) {
		report_add(&j->r, L_WARN, "tlsrpt.publish.by_hand", "%s: %s; "
		    "publish = %s%s, so set the record by hand: %s. %d IN TXT %s",
		    name, bare(why, name), method, how == STS_PUBLISH_HOOK ?
		    " and no tlsrpt-hook is set" : "", name, TXT_TTL, quoted);
		return;
	}
	if (run->o->dry) {
		report_add(&j->r, L_INFO, "tlsrpt.publish.dry_run", "%s: would "
		    "publish \"%s\" by %s (%s)", name, rec, method,
		    bare(why, name));
		return;
	}
	note[0] = err[0] = '\0';
	rc = how == STS_PUBLISH_RFC2136 ? publish_rfc2136_tlsrpt(&q, name, zone,
	    rec, note, sizeof(note), err, sizeof(err)) : publish_hook_tlsrpt(&q,
	    name, zone, rec, note, sizeof(note), err, sizeof(err));
	if (rc != PUB_DONE) {
		report_add(&j->r, L_ERROR, "tlsrpt.publish.failed", "%s: "
		    "publishing \"%s\" by %s failed: %s", name, rec, method, err);
		return;
	}
	report_add(&j->r, L_INFO, "tlsrpt.publish.done", "%s: published \"%s\" "
	    "by %s (it had: %s)%s%s", name, rec, method, bare(why, name),
	    note[0] ? ": " : "", note);
	if (dns_check_auth_exact(dns, zone, name, rec, why, sizeof(why)) == -1)
		report_add(&j->r, L_WARN, "tlsrpt.publish.unverified", "%s: "
		    "\"%s\" was published by %s, but DNS does not show it yet: "
		    "%s", name, rec, method, why);
}
