/* SPDX-License-Identifier: ISC */
/*
 * id.c: id_decide(), case by case over RFC 8461 §8.1 (the id changes with
 * the policy; a new id goes into DNS only once the new policy is served),
 * each case with the exact step for the id and for DNS and, for a new id,
 * what it must be later than. Then id_latest() and the step names.
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "check.h"

#define D_NOW	"1111111111111111111111111111111111111111111111111111111111111111"
#define D_OLD	"2222222222222222222222222222222222222222222222222222222222222222"
#define ID1	"20260101000000"
#define ID2	"20260201000000"
#define ID3	"20260301000000"

enum { NONE = 1, OK = 0, DAMAGED = -1 };
#define LAG	2	/* served: at one address, another lags (serves the old one) */

static const struct tcase {
	const char	*what;
	int		 state;			/* NONE, OK, DAMAGED */
	const char	*digest;		/* of the state */
	const char	*id, *prev_id, *pub_id;	/* of the state */
	int		 published;
	int		 served, dns_ok;	/* served: 0, 1, or LAG */
	const char	*dns_id;
	int		 can_publish, auth;
	enum id_step	 want_id;
	enum dns_step	 want_dns;
	const char	*want_after;		/* NULL: any */
} cases[] = {
	/* ---- no state yet: the first run, or the state directory was lost */
	{ "first run, no record, policy served: new id, published",
	    NONE, NULL, NULL, NULL, NULL, 0, 1, 1, "", 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_PUBLISH, NULL },
	{ "first run, no record, policy not served: new id waits (8.1)",
	    NONE, NULL, NULL, NULL, NULL, 0, 0, 1, "", 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_WAIT, NULL },
	{ "state lost, DNS has an id, the served policy matches: adopt it",
	    NONE, NULL, NULL, NULL, NULL, 0, 1, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_ADOPT, DNS_CURRENT, NULL },
	{ "state lost, DNS has an id, the policy served differs: new id, "
	    "later than DNS's, waits",
	    NONE, NULL, NULL, NULL, NULL, 0, 0, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_WAIT, ID2 },
	{ "no state, DNS has a foreign id, policy not served: new id waits",
	    NONE, NULL, NULL, NULL, NULL, 0, 0, 1, "abc", 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_WAIT, NULL },
	{ "no state, DNS cannot be read: decided on the next run",
	    NONE, NULL, NULL, NULL, NULL, 0, 1, 0, "", 1, ID_AUTH_UNASKED,
	    ID_UNDECIDED, DNS_NOTHING, NULL },
	{ "no state, publish = none, no record, served: new id, to publish "
	    "(by hand)",
	    NONE, NULL, NULL, NULL, NULL, 0, 1, 1, "", 0, ID_AUTH_UNASKED,
	    ID_NEW, DNS_PUBLISH, NULL },

	{ "state lost, DNS has an id, one web server serves the policy, "
	    "another lags: no adoption, a new id that waits (8.1)",
	    NONE, NULL, NULL, NULL, NULL, 0, LAG, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_WAIT, ID2 },
	{ "first run, no record, one address serves, another lags: waits",
	    NONE, NULL, NULL, NULL, NULL, 0, LAG, 1, "", 1, ID_AUTH_UNASKED,
	    ID_NEW, DNS_WAIT, NULL },

	/* ---- a damaged state: nothing is decided */
	{ "damaged state: ids left alone",
	    DAMAGED, NULL, NULL, NULL, NULL, 0, 1, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_LEAVE, DNS_NOTHING, NULL },

	/* ---- the policy changed */
	{ "policy changed, new policy not served yet: new id, DNS keeps the "
	    "old one (8.1)",
	    OK, D_OLD, ID1, "", ID1, 1, 0, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_WAIT, ID1 },
	{ "policy changed and served: new id, published",
	    OK, D_OLD, ID1, "", ID1, 1, 1, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_PUBLISH, ID1 },
	{ "policy changed, served at one address, another address still "
	    "serves the old policy: new id waits (8.1, several web servers)",
	    OK, D_OLD, ID1, "", ID1, 1, LAG, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_WAIT, ID1 },
	{ "policy changed, DNS unreadable: new id, DNS left for the next run",
	    OK, D_OLD, ID1, "", ID1, 1, 1, 0, "", 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_NOTHING, ID1 },
	{ "policy changed again before the last id went out: later than "
	    "every id (prev-id largest)",
	    OK, D_OLD, ID2, ID3, ID1, 0, 0, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_WAIT, ID3 },
	{ "policy changed; DNS holds a later id than the state knows: later "
	    "than DNS's",
	    OK, D_OLD, ID1, "", ID1, 1, 1, 1, ID3, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_PUBLISH, ID3 },
	{ "policy changed back to an earlier one: still a new id",
	    OK, D_OLD, ID2, ID1, ID2, 1, 1, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_CHANGED, DNS_PUBLISH, ID2 },

	/* ---- the policy did not change */
	{ "unchanged, DNS shows the id: nothing to do",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_CURRENT, NULL },
	{ "unchanged, DNS shows the id though the HTTPS check failed: current",
	    OK, D_NOW, ID2, ID1, ID2, 1, 0, 1, ID2, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_CURRENT, NULL },
	{ "unchanged, id never published, now served: publish",
	    OK, D_NOW, ID2, ID1, ID1, 0, 1, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_PUBLISH, NULL },
	{ "unchanged, id never published, still not served: waits",
	    OK, D_NOW, ID2, ID1, ID1, 0, 0, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_WAIT, NULL },
	{ "unchanged, published by us, the resolver shows the old id: ask "
	    "the authoritative servers",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_ASK_AUTH, NULL },
	{ "... they show it: the resolver caches the old one",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, ID1, 1, ID_AUTH_YES,
	    ID_KEEP, DNS_CACHED, NULL },
	{ "... they do not, and the policy is served: publish again",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, ID1, 1, ID_AUTH_NO,
	    ID_KEEP, DNS_PUBLISH, NULL },
	{ "unchanged, id never published, served at one address, another "
	    "lags: still waits",
	    OK, D_NOW, ID2, ID1, ID1, 0, LAG, 1, ID1, 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_WAIT, NULL },
	{ "... they do not, and one address lags: waits",
	    OK, D_NOW, ID2, ID1, ID2, 1, LAG, 1, ID1, 1, ID_AUTH_NO,
	    ID_KEEP, DNS_WAIT, NULL },
	{ "... they do not, and the policy is not served: waits",
	    OK, D_NOW, ID2, ID1, ID2, 1, 0, 1, "", 1, ID_AUTH_NO,
	    ID_KEEP, DNS_WAIT, NULL },
	{ "unchanged, publish = none, DNS shows another id: no servers to "
	    "ask, publish (by hand)",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, ID1, 0, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_PUBLISH, NULL },
	{ "unchanged, the record was removed: publish again",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 1, "", 1, ID_AUTH_NO,
	    ID_KEEP, DNS_PUBLISH, NULL },
	{ "unchanged, DNS unreadable: kept, DNS left for the next run",
	    OK, D_NOW, ID2, ID1, ID2, 1, 1, 0, "", 1, ID_AUTH_UNASKED,
	    ID_KEEP, DNS_NOTHING, NULL },
};

static void
test_cases(void)
{
	const struct tcase *c;
	struct id_decision d;
	struct id_seen in;
	struct state st;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		memset(&st, 0, sizeof(st));
		if (c->state == OK) {
			(void)snprintf(st.digest, sizeof(st.digest), "%s", c->digest);
			(void)snprintf(st.id, sizeof(st.id), "%s", c->id);
			(void)snprintf(st.prev_id, sizeof(st.prev_id), "%s",
			    c->prev_id);
			(void)snprintf(st.pub_id, sizeof(st.pub_id), "%s",
			    c->pub_id);
			st.published = c->published;
		}
		memset(&in, 0, sizeof(in));
		in.state = c->state;
		in.st = c->state == OK ? &st : NULL;
		in.digest = D_NOW;
		in.served = c->served != 0;
		in.lagging = c->served == LAG;
		in.dns_ok = c->dns_ok;
		in.dns_id = c->dns_id;
		in.can_publish = c->can_publish;
		in.auth = c->auth;
		id_decide(&in, &d);
		is_str(id_step_name(d.id), id_step_name(c->want_id), "%s: id",
		    c->what);
		is_str(dns_step_name(d.dns), dns_step_name(c->want_dns),
		    "%s: DNS", c->what);
		if (c->want_id == ID_NEW || c->want_id == ID_CHANGED)
			is_str(d.after ? d.after : "(any)",
			    c->want_after ? c->want_after : "(any)",
			    "%s: the new id is later than", c->what);
		else
			ok(d.after == NULL, "%s: no new id", c->what);
	}
}

static size_t
max4(size_t a, size_t b, size_t c, size_t d)
{
	size_t m = a;

	if (b > m)
		m = b;
	if (c > m)
		m = c;
	return d > m ? d : m;
}

/* what a new id is later than never misses one of the domain's ids */
static void
test_after_is_latest(void)
{
	const char *ids[] = { ID1, ID2, ID3 };
	struct id_decision d;
	struct id_seen in;
	struct state st;
	size_t a, b, c, k;

	for (a = 0; a < 3; a++)
		for (b = 0; b < 3; b++)
			for (c = 0; c < 3; c++)
				for (k = 0; k < 3; k++) {
					memset(&st, 0, sizeof(st));
					(void)snprintf(st.digest, sizeof(st.digest),
					    "%s", D_OLD);
					(void)snprintf(st.id, sizeof(st.id), "%s", ids[a]);
					(void)snprintf(st.prev_id, sizeof(st.prev_id),
					    "%s", ids[b]);
					(void)snprintf(st.pub_id, sizeof(st.pub_id),
					    "%s", ids[c]);
					memset(&in, 0, sizeof(in));
					in.st = &st;
					in.digest = D_NOW;
					in.dns_ok = 1;
					in.dns_id = ids[k];
					in.auth = ID_AUTH_UNASKED;
					id_decide(&in, &d);
					if (d.after == NULL || strcmp(d.after,
					    ids[max4(a, b, c, k)]) != 0) {
						ok(0, "after for %zu%zu%zu%zu: %s",
						    a, b, c, k, d.after ? d.after : "NULL");
						return;
					}
				}
	ok(1, "a changed policy's new id is later than the state's ids and "
	    "DNS's, in all 81 orders");
}

static void
test_latest(void)
{
	is_str(id_latest(ID1, ID2), ID2, "id_latest: the later one");
	is_str(id_latest(ID2, ID1), ID2, "id_latest: either order");
	is_str(id_latest("abc", ID1), ID1, "id_latest: a foreign id is not ours");
	is_str(id_latest(ID1, "2026010100000"), ID1,
	    "id_latest: 13 digits are not ours");
	ok(id_latest("", NULL) == NULL, "id_latest: none");
}

int
main(void)
{
	test_cases();
	test_after_is_latest();
	test_latest();
	is_str(id_step_name((enum id_step)99), "?", "an unknown id step");
	return done_testing();
}
