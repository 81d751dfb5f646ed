/* SPDX-License-Identifier: ISC */
/*
 * id.c: the rule that decides a domain's id, with nothing around it: no
 * network, no files, no output. cmd_check.c gathers what the state, HTTPS
 * and DNS show, asks id_decide() what to do, and does it.
 *
 * RFC 8461 §8.1: the id changes whenever the policy changes, and a new id
 * goes into DNS only once the new policy is being served, so no sender
 * caches an old policy under a new id. Hence:
 *
 *   state      policy    DNS            id            DNS
 *   damaged    -         -              left alone    nothing
 * "Served" means served by every A and AAAA address of mta-sts.<domain>
 * with a valid certificate: one address that lags (serves the old policy,
 * or none) is enough for a sender to cache the old policy under the new
 * id, so the id waits (and a lost state does not adopt DNS's id).
 *
 *   none       -         unreadable     undecided     nothing
 *   none       served    has an id      adopted       current
 *   none       else      -              new           publish if served, else wait
 *   changed    -         -              new           publish if served, else wait
 *   unchanged  -         unreadable     kept          nothing
 *   unchanged  -         shows the id   kept          current
 *   unchanged  -         other          kept          published by us before (and
 *                                                     a method to ask): ask the
 *                                                     authoritative servers; they
 *                                                     show it: cached; else publish
 *                                                     if served, else wait
 *
 * A new id is the UTC time, later than every id the domain had (state_new_id
 * bumps it), so it never equals the one in DNS.
 */
#include <string.h>

#include "check.h"

static int
ours(const char *id)
{
	return id != NULL && strlen(id) == 14 && strspn(id, "0123456789") == 14;
}

const char *
id_latest(const char *a, const char *b)
{
	if (!ours(a))
		return ours(b) ? b : NULL;
	if (!ours(b))
		return a;
	return strcmp(a, b) >= 0 ? a : b;
}

/* every address serves the policy */
static int
served(const struct id_seen *s)
{
	return s->served && !s->lagging;
}

/* step 4 for an id that is not new: DNS shows it, or was it published? */
static enum dns_step
dns_for_kept(const struct id_seen *s, const char *id, const char *pub_id)
{
	if (strcmp(s->dns_id, id) == 0)
		return DNS_CURRENT;
	if (strcmp(pub_id, id) == 0 && s->can_publish) {
		if (s->auth == ID_AUTH_UNASKED)
			return DNS_ASK_AUTH;
		if (s->auth == ID_AUTH_YES)
			return DNS_CACHED;
	}
	return served(s) ? DNS_PUBLISH : DNS_WAIT;
}

void
id_decide(const struct id_seen *s, struct id_decision *d)
{
	const struct state *st = s->st;

	memset(d, 0, sizeof(*d));
	d->dns = DNS_NOTHING;
	if (s->state == -1) {
		d->id = ID_LEAVE;
		return;
	}
	if (s->state == 1) {
		if (!s->dns_ok) {
			d->id = ID_UNDECIDED;
			return;
		}
		if (s->dns_id[0] != '\0' && served(s)) {
			d->id = ID_ADOPT;
			d->dns = DNS_CURRENT;
			return;
		}
		d->id = ID_NEW;
		d->after = id_latest(s->dns_id, NULL);
		d->dns = served(s) ? DNS_PUBLISH : DNS_WAIT;
		return;
	}
	if (strcmp(st->digest, s->digest) != 0) {
		d->id = ID_CHANGED;
		d->after = id_latest(id_latest(st->id, st->prev_id),
		    id_latest(st->pub_id, s->dns_ok ? s->dns_id : NULL));
		if (s->dns_ok)
			d->dns = served(s) ? DNS_PUBLISH : DNS_WAIT;
		return;
	}
	d->id = ID_KEEP;
	if (s->dns_ok)
		d->dns = dns_for_kept(s, st->id, st->pub_id);
}

const char *
id_step_name(enum id_step step)
{
	static const char *const names[] = {
		[ID_LEAVE] = "leave", [ID_UNDECIDED] = "undecided",
		[ID_ADOPT] = "adopt", [ID_NEW] = "new",
		[ID_CHANGED] = "changed", [ID_KEEP] = "keep",
	};

	return (size_t)step < sizeof(names) / sizeof(names[0]) ?
	    names[step] : "?";
}

const char *
dns_step_name(enum dns_step step)
{
	static const char *const names[] = {
		[DNS_NOTHING] = "nothing", [DNS_CURRENT] = "current",
		[DNS_ASK_AUTH] = "ask-auth", [DNS_CACHED] = "cached",
		[DNS_WAIT] = "wait", [DNS_PUBLISH] = "publish",
	};

	return (size_t)step < sizeof(names) / sizeof(names[0]) ?
	    names[step] : "?";
}
