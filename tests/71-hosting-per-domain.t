#!/bin/bash
# SPDX-License-Identifier: ISC
# Per-domain publishing, end to end in a network namespace with Knot
# (tests/lib/netns.sh, tests/lib/hosting.sh): the global file publishes by
# rfc2136; domain files choose publish = none (DNS elsewhere: the record to
# set is reported once per id with --changes, while the domain's status
# stays pending), publish = hook with their own hook and id-zone (the hook
# gets MTA_STS_NAME and MTA_STS_ZONE), and one carries an invalid value:
# that domain alone fails, with file:line, and the responder still serves
# it (the publishing keys are the checker's).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

ns_init hosting-per-domain
hs_operator
ns_domain ours.test
ns_domain manual.test
hs_customer hooked.test cname
ns_domain broken.test
ns_checker_conf "publish = rfc2136
tsig-key = $T/tsig.key"
H=$T/hook
mkdir -p "$H"
cat >"$H/hook.sh" <<EOF
#!/bin/sh
env | grep '^MTA_STS_' | sort >"$H/env"
knsupdate -y "hmac-sha256:upd:\$(cat "$H/secret")" <<UPD >"$H/knsupdate.log" 2>&1
server 127.0.0.1 53
zone \$MTA_STS_ZONE
update delete \$MTA_STS_NAME TXT
update add \$MTA_STS_NAME 60 TXT "\$MTA_STS_RECORD"
send
UPD
EOF
chmod 755 "$H/hook.sh"
ns_domain_file manual.test "publish = none"
ns_domain_file hooked.test "publish = hook
hook = $H/hook.sh
id-zone = ids.op.test"
ns_domain_file broken.test "mode = testing
publish = rfc2137"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
t_ok "environment: unbound on 127.0.0.53 (mta-sts.hooked.test is a CNAME)" hs_unbound_start
printf '%s\n' "$NS_TSIG_SECRET" >"$H/secret"

ID_RE='[0-9]{14}'
nl='($|'$'\n'')'	# the end of a line in an output
MREC='_mta-sts\.manual\.test\. 3600 IN TXT "v=STSv1; id=([0-9]{14})"'
# the manual record's id in an output ("cleared:" lines left out), "" when
# it is not there
manual_id() {
	printf '%s\n' "$1" | grep -v '^cleared: ' | sed -E -n "s/.*$MREC\$/\\1/p" | sort -u
}

# ---- the responder ignores the publishing keys ------------------------------------

t_is "$(ns_fetch broken.test | head -n 2 | tr -d '\r')" "version: STSv1
mode: testing" "the responder serves broken.test despite its invalid publish value"
t_is "$(ns_fetch hooked.test | head -n 1 | tr -d '\r')" "version: STSv1" \
    "and hooked.test, with publish, hook and id-zone in its file"

# ---- a run with --changes --------------------------------------------------------

ns_check --changes
t_is "$CHK_RC" 2 "first run: exit 2 (broken.test's configuration error)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "broken\\.test: error: $NS_CHECK/domains/broken\\.test:2: publish 'rfc2137' is not valid \\(expected none, rfc2136, hook or zonefile\\)" \
    "the invalid value fails broken.test alone, naming file:line" || t_diag "$CHK_OUT"
t_like "$(ns_sts_id ours.test)" "^$ID_RE\$" "ours.test is published by rfc2136 (global publish)"
hid=$(ns_txt hooked.test.ids.op.test | sed -n 's/^v=STSv1; id=//p')
t_like "$hid" "^$ID_RE\$" "hooked.test: its hook published at hooked.test.ids.op.test ($hid)" ||
    t_diag "$(cat "$H/knsupdate.log" 2>/dev/null)"
t_is "$(grep -E '^MTA_STS_(NAME|ZONE|DOMAIN)=' "$H/env" 2>/dev/null)" "MTA_STS_DOMAIN=hooked.test
MTA_STS_NAME=hooked.test.ids.op.test
MTA_STS_ZONE=ids.op.test" "the hook gets the delegated owner name and the zone to change"
t_is "$(ns_txt _mta-sts.manual.test)" "" "manual.test: nothing published (publish = none)"
mid=$(manual_id "$CHK_OUT")
t_like "$mid" "^$ID_RE\$" "manual.test: the record to set by hand is reported ($mid)" ||
    t_diag "$CHK_OUT"
t_is "$(printf '%s\n' "$CHK_OUT" | grep -c "set the record by hand")" 1 \
    "manual.test: once in the run"

ns_check --changes
t_is "$CHK_RC" 2 "second run: exit 2 still (broken.test)" || t_diag "$CHK_OUT"
t_is "$(manual_id "$CHK_OUT")" "" "second run with --changes: the record is not said again" ||
    t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "manual\\.test" "second run with --changes: nothing about manual.test at all"

ns_check --format json manual.test
t_like "$CHK_OUT" '"domain":"manual\.test","status":"warning",[^{]*"id":"'"$mid"'","dns_id":null,"published":false' \
    "the domain's status still shows the record is not in DNS" || t_diag "$CHK_OUT"
ns_check list manual.test
t_like "$CHK_OUT" "manual\\.test.*pending" "list: manual.test pending" || t_diag "$CHK_OUT"
ns_check manual.test
t_is "$CHK_RC" 1 "without --changes: a warning, exit 1, while DNS lacks the record"
t_is "$(manual_id "$CHK_OUT")" "$mid" "without --changes: the record, same id"

# the policy changes and is served: a new record to set, said once
ns_domain_file manual.test "publish = none
mode = enforce"
cp "$NS_CHECK/domains/manual.test" "$NS_SERVE/domains/manual.test"
chmod 644 "$NS_SERVE/domains/manual.test"
t_ok "manual.test's change is served" ns_wait_served manual.test
ns_check --changes
mid2=$(manual_id "$CHK_OUT")
t_ok "the id changed: the new record is said ($mid2 > $mid)" test "${mid2:-0}" -gt "${mid:-0}" ||
    t_diag "$CHK_OUT"
t_like "$CHK_OUT" "manual\\.test: error: _mta-sts\\.manual\\.test: id $mid published, $mid2 expected|manual\\.test: warning: _mta-sts\\.manual\\.test: .*, $mid2 expected; publish = none, so set the record by hand: $MREC" \
    "and says why: DNS lacks it" || t_diag "$CHK_OUT"
ns_check --changes
t_is "$(manual_id "$CHK_OUT")" "" "the run after: not again" || t_diag "$CHK_OUT"

# set by hand: clean
ns_nsupdate <<EOF >"$T/manual.log" 2>&1
zone manual.test
update add _mta-sts.manual.test 60 TXT "v=STSv1; id=$mid2"
EOF
ns_check manual.test ours.test hooked.test
t_is "$CHK_RC:$CHK_OUT" "0:" "the record set by hand: the three domains silent, exit 0"

t_done
