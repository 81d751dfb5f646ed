#!/bin/bash
# SPDX-License-Identifier: ISC
# Delegated ids (id-zone), end to end in a network namespace with Knot
# (tests/lib/netns.sh, tests/lib/hosting.sh): the customer's zone holds
# only CNAMEs into the operator's names; the checker publishes the id at
# <domain>.<id-zone> by RFC 2136 (TSIG, zone ids.op.test), never at the
# customer's name, and only once the new policy is served; a sender's view
# (probe, and postfix-mta-sts-resolver's mta-sts-query through a recursive
# resolver) sees the id through the CNAME; a missing or wrong CNAME gives
# the exact record the customer must set.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

ns_init hosting-delegated
hs_operator
hs_customer shop.test cname
hs_customer late.test
ns_checker_conf "publish = rfc2136
tsig-key = $T/tsig.key
id-zone = ids.op.test"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
t_ok "environment: unbound on 127.0.0.53 (a sender's resolver)" hs_unbound_start

ID_RE='[0-9]{14}'
nl='($|'$'\n'')'	# the end of a line in an output
# the id Knot serves at the delegated name
did() {
	ns_txt "$1.ids.op.test" | sed -n 's/^v=STSv1; id=\([0-9]*\)$/\1/p'
}
# the id a sender's resolver finds at _mta-sts.DOMAIN, through the CNAME
sender_id() {
	hs_sender kdig +short TXT "_mta-sts.$1" | sed -n 's/^"v=STSv1; id=\([0-9]*\)"$/\1/p'
}
state_id() {
	sed -n 's/^id //p' "$T/state/$1" 2>/dev/null
}

t_is "$(hs_answer _mta-sts.shop.test CNAME)" \
    "_mta-sts.shop.test. IN CNAME shop.test.ids.op.test." \
    "the customer's zone holds the CNAME into the id-zone"
t_is "$(did shop.test)" "" "no id at shop.test.ids.op.test before the first run"

# ---- the first run --------------------------------------------------------------

ns_check
t_is "$CHK_RC" 1 "first run: exit 1 (late.test has no CNAME yet: a warning)" ||
    t_diag "$CHK_OUT"
id1=$(did shop.test)
t_like "$id1" "^$ID_RE\$" "the id is published at shop.test.ids.op.test ($id1)"
t_is "$(state_id shop.test)" "$id1" "and it is the id in the state"
t_is "$(hs_answer _mta-sts.shop.test TXT | grep -c ' IN TXT ')" 0 \
    "nothing is published at the customer's _mta-sts.shop.test"
t_is "$(hs_answer _mta-sts.shop.test CNAME)" \
    "_mta-sts.shop.test. IN CNAME shop.test.ids.op.test." \
    "the customer's CNAME is untouched"
t_like "$(did late.test)" "^$ID_RE\$" \
    "late.test's id is published too, ready for the CNAME"
t_like "$CHK_OUT" "late\\.test: warning: _mta-sts\\.late\\.test: no CNAME to late\\.test\\.ids\\.op\\.test \\(where mta-sts-check publishes the id\\); the customer must set: _mta-sts\\.late\\.test\\. CNAME late\\.test\\.ids\\.op\\.test\\.$nl" \
    "a missing CNAME: the warning gives the exact record the customer must set" ||
    t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "shop\\.test: (warning|error)" "shop.test: no warning, no error"

ns_check -v shop.test
t_is "$CHK_RC" 0 "shop.test alone: exit 0" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "shop\\.test: info: _mta-sts\\.shop\\.test: CNAME to shop\\.test\\.ids\\.op\\.test; senders see id $id1" \
    "-v: senders see id $id1 through the CNAME (dns.cname.ok)"
t_like "$CHK_OUT" "shop\\.test: info: shop\\.test\\.ids\\.op\\.test: id $id1" \
    "-v: the id at the delegated name is current (dns.txt.ok)"

# ---- as senders see it ---------------------------------------------------------

t_is "$(sender_id shop.test)" "$id1" "a recursive resolver finds id $id1 at _mta-sts.shop.test"
ns_check probe shop.test
t_is "$CHK_RC" 0 "probe shop.test: exit 0" || t_diag "$CHK_OUT"
ns_check --format json probe shop.test
t_like "$CHK_OUT" "\"id\":\"$id1\"" "probe sees id $id1 through the CNAME" || t_diag "$CHK_OUT"
if command -v mta-sts-query >/dev/null 2>&1; then
	out=$(hs_sender mta-sts-query shop.test 2>&1)
	t_like "$out" "VALID.*'$id1'.*'mode': 'testing'" \
	    "mta-sts-query (postfix-mta-sts-resolver) sees id $id1 through the CNAME" ||
	    t_diag "$out"
else
	t_skip 1 "mta-sts-query not installed (postfix-mta-sts-resolver)"
fi

# ---- a policy change: published only once it is served ----------------------------

ns_domain_file shop.test "mode = enforce"
ns_check shop.test
t_is "$CHK_RC" 2 "change not served: exit 2 (another policy is served)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "shop\\.test\\.ids\\.op\\.test: id $ID_RE waits for the policy to be served" \
    "change not served: the new id waits"
t_is "$(did shop.test)" "$id1" "change not served: the delegated name keeps $id1"
t_is "$(sender_id shop.test)" "$id1" "change not served: senders still see $id1"
t_ok "the change is served" ns_sync
ns_check shop.test
t_is "$CHK_RC" 0 "change served: exit 0" || t_diag "$CHK_OUT"
id2=$(did shop.test)
t_ok "change served: a later id $id2 > $id1 at the delegated name" test "${id2:-0}" -gt "${id1:-0}"
t_is "$(state_id shop.test)" "$id2" "change served: the state has $id2"
t_is "$(hs_answer _mta-sts.shop.test TXT | grep -c ' IN TXT ')" 0 \
    "change served: still nothing at the customer's name"
t_is "$(sender_id shop.test)" "$id2" "change served: senders see $id2 through the CNAME"
if command -v mta-sts-query >/dev/null 2>&1; then
	out=$(hs_sender mta-sts-query shop.test 2>&1)
	t_like "$out" "VALID.*'$id2'.*'mode': 'enforce'" \
	    "mta-sts-query sees the new id $id2 and mode enforce" || t_diag "$out"
else
	t_skip 1 "mta-sts-query not installed (postfix-mta-sts-resolver)"
fi

# ---- the customer sets the CNAME; then points it elsewhere -----------------------------

ns_nsupdate <<EOF >"$T/late-cname.log" 2>&1
zone late.test
update add _mta-sts.late.test 60 CNAME late.test.ids.op.test.
EOF
ns_check late.test
t_is "$CHK_RC:$CHK_OUT" "0:" "the CNAME set: late.test silent, exit 0"
t_is "$(sender_id late.test)" "$(did late.test)" "senders see late.test's id through it"

ns_nsupdate <<EOF >"$T/late-wrong.log" 2>&1
zone late.test
update delete _mta-sts.late.test CNAME
update add _mta-sts.late.test 60 CNAME late.test.ids.other.example.
EOF
ns_check late.test
t_is "$CHK_RC" 2 "a wrong CNAME: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "late\\.test: error: _mta-sts\\.late\\.test: CNAME to late\\.test\\.ids\\.other\\.example, not to late\\.test\\.ids\\.op\\.test \\(where mta-sts-check publishes the id\\): senders do not see the current id; the customer must set: _mta-sts\\.late\\.test\\. CNAME late\\.test\\.ids\\.op\\.test\\.$nl" \
    "a wrong CNAME: the error names it and the exact record to set" || t_diag "$CHK_OUT"

# ---- records: both sides ------------------------------------------------------------

ns_check records shop.test
# (the TLSA records of the MX hosts follow, after "; DANE": tests/80-dane.t)
t_is "${CHK_OUT%%$'\n\n; DANE'*}" "; MTA-STS and TLS-RPT records, from mta-sts-check records

; shop.test
; the customer sets once, in the zone of the domain:
_mta-sts.shop.test. 3600 IN CNAME shop.test.ids.op.test.
; the operator's zone ids.op.test (mta-sts-check keeps it):
shop.test.ids.op.test. 3600 IN TXT \"v=STSv1; id=$id2\"
; the customer sets once, in the zone of the domain:
_smtp._tls.shop.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@shop.test\"
; mta-sts.shop.test needs an A/AAAA record and a certificate for that name" \
    "records: the customer's CNAME and the operator's TXT at the delegated name"

t_done
