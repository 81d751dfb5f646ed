#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check's publish methods other than rfc2136, end to end in a
# network namespace (tests/lib/netns.sh): `hook` (the environment the hook
# gets, a failing hook, the run lock held by a slow hook, a far-future id
# in DNS that the next id must follow, with state and without), `zonefile`
# (the file Knot $INCLUDEs, the reload command, two domains in the file)
# and `none` (the exact record to set by hand, non-zero until DNS has it).
# For each method, the §8.1 gate: a change the web servers do not serve yet
# publishes nothing (no hook run, the file and DNS keep the old id, no
# record asked for) until it is served.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-publish
ns_domain hook.test
ns_domain manual.test
mkdir -p "$T/zf" && : >"$T/zf/records.zone"
ns_domain zf.test "zonefile-load: difference-no-serial
journal-content: all" "\$INCLUDE $T/zf/records.zone
mta-sts.sub	A	127.0.0.10
sub	MX	10 mx1.example.test.
sub	MX	20 mx2.example.test."
# sub.zf.test: a second domain whose records go into the same file (same zone)
NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.sub.zf.test"
# the checker's file brings _smtp._tls too
sed -i '/^_smtp\._tls/d' "$T/knot/zones/zf.test.zone"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

ID_RE='[0-9]{14}'

# method_conf NAME DOMAIN LINES: $T/NAME/mta-sts.conf checking only DOMAIN,
# with its own state directory.
method_conf() {
	mkdir -p "$T/$1/domains" "$T/$1/state"
	: >"$T/$1/domains/$2"
	cat >"$T/$1/mta-sts.conf" <<EOF
domains = $T/$1/domains
certs = $NS_CHECK/certs
state = $T/$1/state
mode = testing
max-age = 1d
resolver = 127.0.0.1
ca-file = $NS_PKI/ca.pem
timeout = 3
$3
EOF
}

# serve NAME DOMAIN CONTENT: the domain file on the checker's and the
# responder's side; wait until it is served
serve() {
	printf '%s\n' "$3" >"$T/$1/domains/$2"
	printf '%s\n' "$3" >"$NS_SERVE/domains/$2"
	chmod 644 "$NS_SERVE/domains/$2"
	ns_wait_served "$2" "$T/$1/mta-sts.conf"
}

# envval FILE NAME: the value of NAME in an `env` dump
envval() {
	sed -n "s/^$2=//p" "$1"
}

# ---- hook ---------------------------------------------------------------------------

H=$T/hook
method_conf hook hook.test "publish = hook
hook = $H/hook.sh"
cat >"$H/hook.sh" <<EOF
#!/bin/sh
# test hook: record the environment, then publish with knsupdate
n=\$((\$(cat "$H/count" 2>/dev/null || echo 0) + 1))
echo "\$n" >"$H/count"
env | grep '^MTA_STS_' | sort >"$H/env.\$n"
touch "$H/started"
[ -e "$H/slow" ] && sleep 4
[ -e "$H/fail" ] && { echo "test hook told to fail" >&2; exit 1; }
knsupdate -y "hmac-sha256:upd:$NS_TSIG_SECRET" <<UPD >"$H/knsupdate.\$n.log" 2>&1
server 127.0.0.1 53
zone \$MTA_STS_DOMAIN
update delete _mta-sts.\$MTA_STS_DOMAIN TXT
update add _mta-sts.\$MTA_STS_DOMAIN 60 TXT "\$MTA_STS_RECORD"
send
UPD
EOF
chmod 755 "$H/hook.sh"
CHK_CONF=$H/mta-sts.conf

ns_check
t_is "$CHK_RC" 0 "hook: first run exits 0" || t_diag "$CHK_OUT"
t_is "$(cat "$H/count" 2>/dev/null)" 1 "hook: run once"
id1=$(envval "$H/env.1" MTA_STS_ID 2>/dev/null)
t_is "$(envval "$H/env.1" MTA_STS_DOMAIN 2>/dev/null)" hook.test "hook: MTA_STS_DOMAIN"
t_like "$id1" "^$ID_RE\$" "hook: MTA_STS_ID is a 14-digit id ($id1)"
t_is "$(envval "$H/env.1" MTA_STS_RECORD 2>/dev/null)" "v=STSv1; id=$id1" "hook: MTA_STS_RECORD"
t_is "$(envval "$H/env.1" MTA_STS_OLD_ID 2>/dev/null)" "" "hook: MTA_STS_OLD_ID empty the first time"
t_is "$(ns_sts_id hook.test)" "$id1" "hook: what it published is in DNS"

ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "hook: second run silent, exit 0"
t_is "$(cat "$H/count" 2>/dev/null)" 1 "hook: not run again when DNS is right"

t_ok "hook: mode enforce served" serve hook hook.test "mode = enforce"
ns_check
t_is "$CHK_RC" 0 "hook: policy change, exit 0" || t_diag "$CHK_OUT"
id2=$(envval "$H/env.2" MTA_STS_ID 2>/dev/null)
t_ok "hook: a later id $id2 > $id1" test "${id2:-0}" -gt "${id1:-0}"
t_is "$(envval "$H/env.2" MTA_STS_OLD_ID 2>/dev/null)" "$id1" "hook: MTA_STS_OLD_ID is the previous id"
t_is "$(ns_sts_id hook.test)" "$id2" "hook: the later id is in DNS"

# the lock: a run held up in a slow hook, a second run at the same time
touch "$H/slow"
rm -f "$H/started"
t_ok "hook: mode testing served" serve hook hook.test "mode = testing"
(ns_check; echo "$CHK_RC" >"$H/bg.rc"; printf '%s\n' "$CHK_OUT" >"$H/bg.out") &
bg=$!
t_bg "$bg"
i=0
while [ ! -e "$H/started" ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_ok "lock: the first run is in its (slow) hook" test -e "$H/started"
ns_check
t_is "$CHK_RC" 3 "lock: a second run at the same time exits 3"
t_like "$CHK_OUT" '[Ll]ock|another run|already running' "lock: and says a run holds the lock" ||
    t_diag "$CHK_OUT"
wait "$bg"
t_is "$(cat "$H/bg.rc" 2>/dev/null)" 0 "lock: the first run finishes with exit 0" ||
    t_diag "$(cat "$H/bg.out" 2>/dev/null)"
id3=$(ns_sts_id hook.test)
t_ok "lock: the first run published a later id $id3" test "${id3:-0}" -gt "${id2:-0}"
rm -f "$H/slow"

# a failing hook
touch "$H/fail"
t_ok "hook: max-age 2d served" serve hook hook.test "mode = testing
max-age = 2d"
ns_check
t_is "$CHK_RC" 2 "failing hook: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "publishing id $ID_RE by hook failed: .*hook\\.sh exited with status 1: test hook told to fail" \
    "failing hook: the output says publishing by the hook failed, its status and what it said" ||
    t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "published id $ID_RE by hook" "failing hook: and does not say it published"
t_is "$(ns_sts_id hook.test)" "$id3" "failing hook: DNS unchanged"
rm -f "$H/fail"
ns_check
t_is "$CHK_RC" 0 "hook works again: exit 0" || t_diag "$CHK_OUT"
id4=$(ns_sts_id hook.test)
t_ok "hook works again: later id $id4 published" test "${id4:-0}" -gt "${id3:-0}"

# Id ordering, deterministically: an id far in the future is in DNS (set
# by hand); after a policy change the new id is later than it, not merely
# later than the clock or than the ids in the state.
FAR=20991231235959
ns_nsupdate <<EOF >"$H/far.log" 2>&1
zone hook.test
update delete _mta-sts.hook.test TXT
update add _mta-sts.hook.test 60 TXT "v=STSv1; id=$FAR"
EOF
t_is "$(ns_sts_id hook.test)" "$FAR" "id ordering: DNS has the far-future id $FAR"
t_ok "hook: max-age 3d served" serve hook hook.test "mode = testing
max-age = 3d"
ns_check
t_is "$CHK_RC" 0 "id ordering: policy change, exit 0" || t_diag "$CHK_OUT"
n=$(cat "$H/count" 2>/dev/null)
id5=$(envval "$H/env.$n" MTA_STS_ID 2>/dev/null)
t_like "$id5" "^$ID_RE\$" "id ordering: the new id $id5 has 14 digits"
t_ok "id ordering: the new id $id5 is later than $FAR" \
    eval '[ "${#id5}" = "${#FAR}" ] && [[ "$id5" > "$FAR" ]]'
t_is "$(envval "$H/env.$n" MTA_STS_OLD_ID 2>/dev/null)" "$FAR" "id ordering: MTA_STS_OLD_ID is $FAR"
t_is "$(ns_sts_id hook.test)" "$id5" "id ordering: and $id5 is in DNS"

# §8.1 with publish = hook: a change the web servers do not serve yet
# does not run the hook
printf 'mode = enforce\nmax-age = 3d\n' >"$H/domains/hook.test"
ns_check
t_is "$CHK_RC" 2 "hook, change not served: exit 2 (a different policy is served)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "_mta-sts\.hook\.test: id $ID_RE waits for the policy to be served" \
    "hook, change not served: the run says the id waits"
t_is "$(cat "$H/count" 2>/dev/null)" "$n" "hook, change not served: the hook is not run"
t_is "$(ns_sts_id hook.test)" "$id5" "hook, change not served: DNS keeps $id5"

# Id ordering with no state: the far-future id in DNS again, the state
# lost, the change still not served: the id given is later than DNS's.
ns_nsupdate <<EOF >"$H/far2.log" 2>&1
zone hook.test
update delete _mta-sts.hook.test TXT
update add _mta-sts.hook.test 60 TXT "v=STSv1; id=$FAR"
EOF
rm -rf "$H/state" && mkdir -p "$H/state"
ns_check
t_is "$CHK_RC" 2 "id ordering, no state, change not served: exit 2" || t_diag "$CHK_OUT"
sid=$(sed -n 's/^id //p' "$H/state/hook.test" 2>/dev/null)
t_like "$sid" "^$ID_RE\$" "id ordering, no state: the state has a 14-digit id ($sid)"
t_ok "id ordering, no state: the id $sid is later than $FAR in DNS" \
    eval '[ "${#sid}" = "${#FAR}" ] && [[ "$sid" > "$FAR" ]]'
t_is "$(ns_sts_id hook.test)" "$FAR" "id ordering, no state: DNS keeps $FAR (not served yet)"
unset CHK_CONF

# ---- zonefile -------------------------------------------------------------------------

Z=$T/zf
method_conf zf zf.test "publish = zonefile
zonefile = $Z/records.zone
reload = $Z/reload.sh"
cat >"$Z/reload.sh" <<EOF
#!/bin/sh
echo ran >>"$Z/reload.ran"
exec knotc -c "$T/knot/knot.conf" -b zone-reload zf.test
EOF
chmod 755 "$Z/reload.sh"
CHK_CONF=$Z/mta-sts.conf

ns_check
t_is "$CHK_RC" 0 "zonefile: first run exits 0" || t_diag "$CHK_OUT"
# zone_id: the id of the _mta-sts.zf.test record in the zone file
zone_id() {
	sed -n 's/.*_mta-sts\.zf\.test.*TXT.*"v=STSv1; id=\([0-9]*\)".*/\1/p' "$Z/records.zone"
}
zid1=$(zone_id)
t_like "$zid1" "^$ID_RE\$" "zonefile: the file has the _mta-sts.zf.test record" ||
    t_diag "$(cat "$Z/records.zone")"
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 1 "zonefile: the reload command ran"
t_is "$(ns_sts_id zf.test)" "$zid1" "zonefile: Knot serves the id after the reload"
t_is "$(ns_txt _smtp._tls.zf.test)" "v=TLSRPTv1; rua=mailto:postmaster@zf.test" \
    "zonefile: and the TLS-RPT record from the file"
ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "zonefile: second run silent, exit 0"
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 1 "zonefile: no reload when nothing changed"
t_ok "zonefile: mode enforce served" serve zf zf.test "mode = enforce"
ns_check
t_is "$CHK_RC" 0 "zonefile: policy change, exit 0" || t_diag "$CHK_OUT"
zid2=$(zone_id)
t_ok "zonefile: later id $zid2 > $zid1 in the file" test "${zid2:-0}" -gt "${zid1:-0}"
t_is "$(ns_sts_id zf.test)" "$zid2" "zonefile: and in DNS"

# §8.1: the policy changes on the checker's side only (the web servers
# still serve mode enforce): the file and DNS keep the id of the policy
# being served, run after run, until the new one is served.
printf 'mode = testing\n' >"$Z/domains/zf.test"
for run in 1 2; do
	ns_check
	t_is "$CHK_RC" 2 "zonefile, change not served (run $run): exit 2 (a different policy is served)" ||
	    t_diag "$CHK_OUT"
	t_like "$CHK_OUT" "_mta-sts\.zf\.test: id $ID_RE waits for the policy to be served" \
	    "zonefile, change not served (run $run): the run says the id waits"
	t_is "$(zone_id)" "$zid2" "zonefile, change not served (run $run): the file keeps id $zid2" ||
	    t_diag "$(cat "$Z/records.zone")"
	t_is "$(ns_sts_id zf.test)" "$zid2" "zonefile, change not served (run $run): DNS keeps id $zid2"
done
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 2 "zonefile, change not served: no reload"
ns_check -n
t_is "$(zone_id)" "$zid2" "zonefile, change not served, -n: the file keeps id $zid2"
t_ok "zonefile: mode testing served" serve zf zf.test "mode = testing"
ns_check
t_is "$CHK_RC" 0 "zonefile: once served, exit 0" || t_diag "$CHK_OUT"
zid3=$(zone_id)
t_ok "zonefile: once served, the file moves to a later id $zid3 > $zid2" test "${zid3:-0}" -gt "${zid2:-0}"
t_is "$(ns_sts_id zf.test)" "$zid3" "zonefile: once served, DNS has $zid3"
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 3 "zonefile: once served, the reload command ran"

# Two domains in the file: sub.zf.test changes without being served and
# then a run checks only zf.test. The file is written whole, and keeps
# sub.zf.test's published id, not the pending one.
sub_id() {
	sed -n 's/.*_mta-sts\.sub\.zf\.test.*TXT.*"v=STSv1; id=\([0-9]*\)".*/\1/p' "$Z/records.zone"
}
t_ok "zonefile: sub.zf.test served" serve zf sub.zf.test "mode = testing"
ns_check
t_is "$CHK_RC" 0 "zonefile, two domains: exit 0" || t_diag "$CHK_OUT"
sid1=$(sub_id)
t_like "$sid1" "^$ID_RE\$" "zonefile, two domains: the file has _mta-sts.sub.zf.test ($sid1)" ||
    t_diag "$(cat "$Z/records.zone")"
t_is "$(ns_sts_id sub.zf.test)" "$sid1" "zonefile, two domains: DNS has $sid1"
t_is "$(zone_id)" "$zid3" "zonefile, two domains: and zf.test's id is still $zid3"
printf 'mode = enforce\n' >"$Z/domains/sub.zf.test"
ns_check sub.zf.test
t_is "$CHK_RC" 2 "zonefile, sub.zf.test changed, not served: exit 2" || t_diag "$CHK_OUT"
t_is "$(sub_id)" "$sid1" "zonefile, sub.zf.test changed, not served: the file keeps $sid1"
ns_check zf.test
t_is "$CHK_RC" 0 "zonefile, a run for zf.test only: exit 0" || t_diag "$CHK_OUT"
t_is "$(sub_id)" "$sid1" "zonefile, a run for zf.test only: sub.zf.test keeps $sid1 in the file" ||
    t_diag "$(cat "$Z/records.zone")"
t_is "$(ns_sts_id sub.zf.test)" "$sid1" "zonefile, a run for zf.test only: and in DNS"
t_is "$(zone_id)" "$zid3" "zonefile, a run for zf.test only: zf.test keeps $zid3"
t_ok "zonefile: sub.zf.test's change served" serve zf sub.zf.test "mode = enforce"
ns_check
t_is "$CHK_RC" 0 "zonefile, sub.zf.test's change served: exit 0" || t_diag "$CHK_OUT"
sid2=$(sub_id)
t_ok "zonefile, sub.zf.test's change served: a later id $sid2 > $sid1" test "${sid2:-0}" -gt "${sid1:-0}"
t_is "$(ns_sts_id sub.zf.test)" "$sid2" "zonefile, sub.zf.test's change served: DNS has $sid2"
unset CHK_CONF

# ---- none ----------------------------------------------------------------------------------

method_conf manual manual.test "publish = none"
CHK_CONF=$T/manual/mta-sts.conf
ns_check
t_is "$CHK_RC" 1 "none: exit 1 (a warning) while DNS lacks the record" ||
    t_diag "$CHK_OUT"
t_like "$CHK_OUT" "_mta-sts\\.manual\\.test" "none: names _mta-sts.manual.test"
# the record in zone-file syntax: name, optional TTL and class, TXT, the data
mid=$(printf '%s\n' "$CHK_OUT" | sed -E -n \
    's/.*_mta-sts\.manual\.test\.?[[:space:]]+([0-9]+[[:space:]]+)?(IN[[:space:]]+)?TXT[[:space:]]+"v=STSv1; id=([0-9]{14})"$/\3/p' |
    head -n 1)
t_like "$mid" "^$ID_RE\$" "none: prints the record to set, in zone-file syntax (id $mid)" ||
    t_diag "$CHK_OUT"
t_is "$(ns_txt _mta-sts.manual.test)" "" "none: publishes nothing"
ns_check
t_is "$CHK_RC" 1 "none: still exit 1 on the next run"
t_like "$CHK_OUT" "v=STSv1; id=$mid" "none: the same record, not a new id"
ns_nsupdate <<EOF >"$T/manual/nsupdate.log" 2>&1
zone manual.test
update add _mta-sts.manual.test 60 TXT "v=STSv1; id=$mid"
EOF
ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "none: once set by hand, silent exit 0"

# §8.1 with publish = none: a change the web servers do not serve yet does
# not ask for the new record; once served, it does
printf 'mode = enforce\n' >"$T/manual/domains/manual.test"
ns_check
t_is "$CHK_RC" 2 "none, change not served: exit 2 (a different policy is served)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "_mta-sts\.manual\.test: id $ID_RE waits for the policy to be served" \
    "none, change not served: the run says the id waits"
t_unlike "$CHK_OUT" "set the record by hand" "none, change not served: no record to set yet"
t_ok "none: mode enforce served" serve manual manual.test "mode = enforce"
ns_check
t_is "$CHK_RC" 2 "none, change served: exit 2 (DNS has the old id)" || t_diag "$CHK_OUT"
mid2=$(printf '%s\n' "$CHK_OUT" | sed -E -n "s/.*id $mid published, ([0-9]{14}) expected; publish = none, so set the record by hand: .*\"v=STSv1; id=\\1\"\$/\\1/p" | head -n 1)
t_like "$mid2" "^$ID_RE\$" "none, change served: names the old id and the record with the new one" ||
    t_diag "$CHK_OUT"
t_ok "none, change served: the new id $mid2 is later than $mid" test "${mid2:-0}" -gt "${mid:-0}"
unset CHK_CONF

t_done
