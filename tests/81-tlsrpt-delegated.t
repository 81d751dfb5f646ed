#!/bin/bash
# SPDX-License-Identifier: ISC
# Delegated TLS-RPT records (tlsrpt-zone) published by rfc2136 and by
# hook, end to end in a network namespace with Knot (tests/lib/netns.sh,
# tests/lib/hosting.sh): the customer's _smtp._tls.<domain> is a CNAME
# to <domain>.rpt.op.test; the checker puts the TLS-RPT record there by
# a TSIG-signed update of rpt.op.test (never of the customer's zone), or
# by the tlsrpt-hook, only when Knot does not hold exactly that record: a
# second run sends nothing (the SOA serial stays), a changed `tlsrpt`, or
# a stray record next to ours, is replaced. A hook without tlsrpt-hook is
# never handed the TLS-RPT record: the record to set is reported. A
# tlsrpt-zone that is no zone of its own (tls.ids.op.test) is updated in
# the zone that holds it. Senders
# (unbound) find the record through the CNAME; a missing or wrong CNAME
# gives the exact record the customer must set.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

ns_init tlsrpt-delegated
hs_operator
ns_zone rpt.op.test </dev/null
# shop.test (rfc2136) and hook.test (publish = hook, with a tlsrpt-hook)
# point both names into the operator's zones; old.test (a hook for ids
# only) has set only the _mta-sts CNAME and keeps its own TLS-RPT record
hs_customer shop.test cname "_smtp._tls	CNAME	shop.test.rpt.op.test."
hs_customer hook.test cname "_smtp._tls	CNAME	hook.test.rpt.op.test."
hs_customer old.test cname
# sub.test's tlsrpt-zone is no zone of its own: names inside ids.op.test
hs_customer sub.test cname "_smtp._tls	CNAME	sub.test.tls.ids.op.test."
# hs_customer's own _smtp._tls TXT goes where the CNAME is
sed -i '/^_smtp\._tls\tTXT/d' "$T/knot/zones/shop.test.zone" "$T/knot/zones/hook.test.zone" \
    "$T/knot/zones/sub.test.zone"
ns_checker_conf "publish = rfc2136
tsig-key = $T/tsig.key
id-zone = ids.op.test
tlsrpt-zone = rpt.op.test"
# the hook: logs what it was given, then sets the record with knsupdate
cat >"$T/hook" <<EOF
#!/bin/sh
printf '%s %s %s %s|%s|id=%s old=%s\n' "\${MTA_STS_RECORD_TYPE-unset}" \
    "\$MTA_STS_DOMAIN" "\$MTA_STS_NAME" "\$MTA_STS_ZONE" "\$MTA_STS_RECORD" \
    "\${MTA_STS_ID-unset}" "\${MTA_STS_OLD_ID-unset}" >>"$T/hook.log"
printf 'server 127.0.0.1 53\nzone %s\nupdate delete %s TXT\nupdate add %s 3600 TXT "%s"\nsend\n' \
    "\$MTA_STS_ZONE" "\$MTA_STS_NAME" "\$MTA_STS_NAME" "\$MTA_STS_RECORD" |
    knsupdate -k "$T/knsupdate.key" && echo "hook: \$MTA_STS_NAME set"
EOF
chmod 700 "$T/hook"
ns_domain_file hook.test "publish = hook
hook = $T/hook
tlsrpt-hook = $T/hook"
ns_domain_file old.test "publish = hook
hook = $T/hook"
ns_domain_file sub.test "tlsrpt-zone = tls.ids.op.test"
: >"$T/hook.log"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
t_ok "environment: unbound on 127.0.0.53 (a sender's resolver)" hs_unbound_start
printf 'hmac-sha256:upd:%s\n' "$NS_TSIG_SECRET" >"$T/knsupdate.key"
chmod 600 "$T/knsupdate.key"

nl='($|'$'\n'')'	# the end of a line in an output
serial() {
	ns_kdig +short SOA rpt.op.test | awk '{ print $3 }'
}
sender_txt() {
	hs_sender kdig +short TXT "$1" | sed -n -e 's/" "//g' -e 's/^"\(.*\)"$/\1/p'
}
# the hook's calls for a record type
calls() {
	grep -c "^$1 " "$T/hook.log"
}

t_is "$(ns_txt shop.test.rpt.op.test)" "" "no record at shop.test.rpt.op.test before the first run"
s0=$(serial)

# ---- the first run: published where the CNAMEs point -------------------------------

ns_check -v
t_is "$(ns_txt shop.test.rpt.op.test)" "v=TLSRPTv1; rua=mailto:postmaster@shop.test" \
    "rfc2136: the record is at shop.test.rpt.op.test" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "shop\\.test: info: shop\\.test\\.rpt\\.op\\.test: published \"v=TLSRPTv1; rua=mailto:postmaster@shop\\.test\" by rfc2136 \\(it had: authoritative server ns1\\.example\\.test \\(127\\.0\\.0\\.1\\) has no TXT record there\\): updated zone rpt\\.op\\.test at ns1\\.example\\.test \\(SOA primary\\)$nl" \
    "rfc2136: tlsrpt.publish.done says what the zone had and which zone was updated" || t_diag "$CHK_OUT"
t_is "$(hs_answer _smtp._tls.shop.test TXT | grep -c ' IN TXT ')" 0 \
    "nothing is published at the customer's _smtp._tls.shop.test"
t_is "$(hs_answer _smtp._tls.shop.test CNAME)" \
    "_smtp._tls.shop.test. IN CNAME shop.test.rpt.op.test." "the customer's CNAME is untouched"
t_is "$(sender_txt _smtp._tls.shop.test)" "v=TLSRPTv1; rua=mailto:postmaster@shop.test" \
    "a sender finds the record through the CNAME"
t_like "$CHK_OUT" "shop\\.test: info: _smtp\\._tls\\.shop\\.test: CNAME to shop\\.test\\.rpt\\.op\\.test$nl" \
    "the CNAME is checked (tlsrpt.cname.ok)"
t_unlike "$CHK_OUT" "(shop|hook|sub)\\.test: (warning|error)" "shop.test, hook.test, sub.test: no warning, no error"
t_is "$(ns_txt sub.test.tls.ids.op.test)" "v=TLSRPTv1; rua=mailto:postmaster@sub.test" \
    "a tlsrpt-zone inside another zone: the record is at sub.test.tls.ids.op.test"
t_like "$CHK_OUT" "sub\\.test: info: sub\\.test\\.tls\\.ids\\.op\\.test: published \"v=TLSRPTv1; rua=mailto:postmaster@sub\\.test\" by rfc2136 \\(it had: authoritative server ns1\\.example\\.test \\(127\\.0\\.0\\.1\\) has no TXT record there\\): updated zone ids\\.op\\.test at ns1\\.example\\.test \\(SOA primary\\)$nl" \
    "... by an update of ids.op.test, the zone that holds it" || t_diag "$CHK_OUT"

t_is "$(ns_txt hook.test.rpt.op.test)" "v=TLSRPTv1; rua=mailto:postmaster@hook.test" \
    "hook: the tlsrpt-hook put the record at hook.test.rpt.op.test"
t_is "$(grep '^tlsrpt ' "$T/hook.log")" \
    "tlsrpt hook.test hook.test.rpt.op.test rpt.op.test|v=TLSRPTv1; rua=mailto:postmaster@hook.test|id=unset old=unset" \
    "hook: called once for TLS-RPT, with MTA_STS_RECORD_TYPE, NAME, ZONE and RECORD, no ID" ||
    t_diag "$(cat "$T/hook.log")"
t_like "$CHK_OUT" "hook\\.test: info: hook\\.test\\.rpt\\.op\\.test: published \"v=TLSRPTv1; rua=mailto:postmaster@hook\\.test\" by hook \\(it had: authoritative server ns1\\.example\\.test \\(127\\.0\\.0\\.1\\) has no TXT record there\\): hook: hook\\.test\\.rpt\\.op\\.test set$nl" \
    "hook: tlsrpt.publish.done with what the hook printed" || t_diag "$CHK_OUT"
t_is "$(grep -c '^mta-sts hook\.test hook\.test\.ids\.op\.test ids\.op\.test|v=STSv1; id=[0-9]*|id=[0-9]* old=$' "$T/hook.log")" 1 \
    "hook: its id call says MTA_STS_RECORD_TYPE=mta-sts"

t_is "$(grep -c ' old\.test ' "$T/hook.log")" 1 "old.test's hook (no tlsrpt-hook) is called once, for the id"
t_is "$(calls mta-sts):$(calls tlsrpt)" "2:1" "the hook ran twice for ids and once for TLS-RPT in all"
t_is "$(ns_txt old.test.rpt.op.test)" "" "old.test: nothing published at old.test.rpt.op.test"
t_like "$CHK_OUT" "old\\.test: warning: old\\.test\\.rpt\\.op\\.test: authoritative server ns1\\.example\\.test \\(127\\.0\\.0\\.1\\) has no TXT record there; publish = hook and no tlsrpt-hook is set, so set the record by hand: old\\.test\\.rpt\\.op\\.test\\. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@old\\.test\"$nl" \
    "old.test: tlsrpt.publish.by_hand gives the record to set" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "old\\.test: warning: _smtp\\._tls\\.old\\.test: no CNAME to old\\.test\\.rpt\\.op\\.test \\(where the operator keeps the TLS-RPT record\\); the customer must set: _smtp\\._tls\\.old\\.test\\. CNAME old\\.test\\.rpt\\.op\\.test\\.$nl" \
    "old.test: a missing CNAME: the exact record the customer must set (tlsrpt.cname.missing)"

# ---- the second run: nothing to do -------------------------------------------------

s1=$(serial)
t_ok "the first run updated rpt.op.test (serial $s0 -> $s1)" test "${s1:-0}" -gt "${s0:-0}"
ns_check -v shop.test hook.test sub.test
t_is "$CHK_RC" 0 "second run: exit 0" || t_diag "$CHK_OUT"
t_is "$(serial)" "$s1" "second run: no update, rpt.op.test's serial stays $s1"
t_is "$(calls tlsrpt)" 1 "second run: the tlsrpt-hook is not run again"
t_like "$CHK_OUT" "shop\\.test: info: shop\\.test\\.rpt\\.op\\.test: v=TLSRPTv1; rua=mailto:postmaster@shop\\.test$nl" \
    "second run: tlsrpt.zone.ok"
t_like "$CHK_OUT" "sub\\.test: info: sub\\.test\\.tls\\.ids\\.op\\.test: v=TLSRPTv1; rua=mailto:postmaster@sub\\.test$nl" \
    "second run: tlsrpt.zone.ok for sub.test too (asked of ids.op.test's servers)"
t_unlike "$CHK_OUT" "published \"v=TLSRPTv1" "second run: nothing published"

# ---- a changed tlsrpt: replaced (after -n, which only says so) ---------------------

ns_domain_file shop.test "tlsrpt = mailto:rua@op.test"
ns_check -n -v shop.test
t_like "$CHK_OUT" "shop\\.test: info: shop\\.test\\.rpt\\.op\\.test: would publish \"v=TLSRPTv1; rua=mailto:rua@op\\.test\" by rfc2136 \\(authoritative server ns1\\.example\\.test \\(127\\.0\\.0\\.1\\) has 1 TXT record there, the first \"v=TLSRPTv1; rua=mailto:postmaster@shop\\.test\"\\)$nl" \
    "-n: tlsrpt.publish.dry_run says what it would replace" || t_diag "$CHK_OUT"
t_is "$(serial)" "$s1" "-n: nothing sent"
ns_check -v shop.test
t_is "$CHK_RC" 0 "a changed tlsrpt: exit 0" || t_diag "$CHK_OUT"
t_is "$(ns_txt shop.test.rpt.op.test)" "v=TLSRPTv1; rua=mailto:rua@op.test" \
    "a changed tlsrpt: the record is replaced, the old one gone"
t_is "$(sender_txt _smtp._tls.shop.test)" "v=TLSRPTv1; rua=mailto:rua@op.test" \
    "a sender finds the new record through the CNAME"
t_like "$CHK_OUT" "shop\\.test: info: _smtp\\._tls\\.shop\\.test: v=TLSRPTv1; rua=mailto:rua@op\\.test$nl" \
    "the checker, as a sender, finds the new record through the CNAME (tlsrpt.ok)"
s2=$(serial)
t_ok "a changed tlsrpt: one update (serial $s1 -> $s2)" test "${s2:-0}" -gt "${s1:-0}"

# a stray record next to ours: the RRset is made exactly ours again
ns_nsupdate <<EOF >"$T/stray.log" 2>&1
zone rpt.op.test
update add shop.test.rpt.op.test 60 TXT "v=TLSRPTv1; rua=mailto:someone@else.test"
EOF
t_is "$(ns_txt shop.test.rpt.op.test | wc -l)" 2 "a stray TXT record is added next to ours"
ns_check shop.test
t_is "$(ns_txt shop.test.rpt.op.test)" "v=TLSRPTv1; rua=mailto:rua@op.test" \
    "a stray record: replaced, only ours is left" || t_diag "$CHK_OUT"

# ---- the customer points the CNAME elsewhere ---------------------------------------

ns_nsupdate <<EOF >"$T/wrong.log" 2>&1
zone shop.test
update delete _smtp._tls.shop.test CNAME
update add _smtp._tls.shop.test 60 CNAME shop.test.rpt.other.example.
EOF
ns_check shop.test
t_like "$CHK_OUT" "shop\\.test: warning: _smtp\\._tls\\.shop\\.test: CNAME to shop\\.test\\.rpt\\.other\\.example, not to shop\\.test\\.rpt\\.op\\.test \\(where the operator keeps the TLS-RPT record\\); the customer must set: _smtp\\._tls\\.shop\\.test\\. CNAME shop\\.test\\.rpt\\.op\\.test\\.$nl" \
    "a wrong CNAME: tlsrpt.cname.wrong names it and the exact record to set" || t_diag "$CHK_OUT"

# ... and removes it
ns_nsupdate <<EOF >"$T/gone.log" 2>&1
zone shop.test
update delete _smtp._tls.shop.test CNAME
EOF
ns_check shop.test
t_like "$CHK_OUT" "shop\\.test: warning: _smtp\\._tls\\.shop\\.test: no CNAME to shop\\.test\\.rpt\\.op\\.test \\(where the operator keeps the TLS-RPT record\\); the customer must set: _smtp\\._tls\\.shop\\.test\\. CNAME shop\\.test\\.rpt\\.op\\.test\\.$nl" \
    "no CNAME: tlsrpt.cname.missing gives the exact record to set" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "shop\\.test: warning: _smtp\\._tls\\.shop\\.test: [^;]*; the record is kept at shop\\.test\\.rpt\\.op\\.test: the customer must set: _smtp\\._tls\\.shop\\.test\\. CNAME shop\\.test\\.rpt\\.op\\.test\\.$nl" \
    "and tlsrpt.missing points at the CNAME, not at a record in the customer's zone"

t_done
