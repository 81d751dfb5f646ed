#!/bin/bash
# SPDX-License-Identifier: ISC
# publish = zonefile with one file per zone (zonefile = .../%z.zone,
# reload = ... %z) and tlsrpt-zone = rpt.op.test, with Knot in a network
# namespace (tests/lib/netns.sh): each TLS-RPT line goes into the file of
# the tlsrpt-zone, never into the file of the id-zone or of the
# domain's own zone, which get only the id. deleg.test has id-zone =
# ids.op.test, own.test publishes its id in its own zone. kzonecheck
# accepts the three zones and Knot answers from each; a second run
# rewrites and reloads nothing; a changed `tlsrpt` rewrites and reloads
# only rpt.op.test's file.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

command -v kzonecheck >/dev/null 2>&1 || t_skip_all "kzonecheck not installed (knot-dnsutils)"
ns_init tlsrpt-zones
ZD=$T/mtasts-zones
mkdir -p "$ZD"
# the Knot zone options of the shipped example
KOPTS=$(sed -n 's/^    \(zonefile-load: .*\|journal-content: .*\)$/\1/p' "$T_TOP/deploy/knot/knot.conf")
t_is "$(printf '%s\n' "$KOPTS" | wc -l)" 2 "deploy/knot/knot.conf: zonefile-load and journal-content found"

ns_zone op.test <<EOF
web		A	127.0.0.10
EOF
for z in ids.op.test rpt.op.test own.test; do
	: >"$ZD/$z.zone"	# empty before the first run
done
ns_zone ids.op.test "$KOPTS" <<EOF
\$INCLUDE $ZD/ids.op.test.zone
EOF
ns_zone rpt.op.test "$KOPTS" <<EOF
\$INCLUDE $ZD/rpt.op.test.zone
EOF
# deleg.test: both names CNAMEs into the operator's zones
hs_customer deleg.test cname "_smtp._tls	CNAME	deleg.test.rpt.op.test."
sed -i '/^_smtp\._tls\tTXT/d' "$T/knot/zones/deleg.test.zone"
ns_domain_file deleg.test "id-zone = ids.op.test"
# own.test: its id in its own zone (its file), its TLS-RPT record delegated
ns_zone own.test "$KOPTS" <<EOF
@		MX	10 mx1.example.test.
@		MX	20 mx2.example.test.
mta-sts		CNAME	web.op.test.
_smtp._tls	CNAME	own.test.rpt.op.test.
\$INCLUDE $ZD/own.test.zone
EOF
NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.own.test"
NS_DOMAINS="$NS_DOMAINS own.test"
: >"$NS_CHECK/domains/own.test"

cat >"$T/reload-rec" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/reloads.log"
exec knotc -c "$T/knot/knot.conf" -b zone-reload "\$1" >>"$T/reload.out" 2>&1
EOF
chmod 755 "$T/reload-rec"
ns_checker_conf "publish = zonefile
zonefile = $ZD/%z.zone
reload = $T/reload-rec %z
tlsrpt-zone = rpt.op.test"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
: >"$T/reloads.log"

records() {
	grep -v '^;' "$ZD/$1.zone" | sort
}
stamp() {
	stat -c '%i %y' "$ZD/$1.zone"
}
# knotd loaded the zone again since the reload (its serial does not move
# with difference-no-serial): wait until NAME answers WANT
wait_txt() {
	local i=0
	while [ "$i" -lt 50 ]; do
		[ "$(ns_txt "$1")" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ---- the first run ----------------------------------------------------------------

ns_check
t_is "$CHK_RC" 0 "first run: exit 0" || t_diag "$CHK_OUT"
did=$(sed -n 's/^id //p' "$T/state/deleg.test")
oid=$(sed -n 's/^id //p' "$T/state/own.test")
t_is "$(records rpt.op.test)" "deleg.test.rpt.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@deleg.test\"
own.test.rpt.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@own.test\"" \
    "rpt.op.test's file: the TLS-RPT records of both domains, nothing else"
t_is "$(records ids.op.test)" "deleg.test.ids.op.test. 3600 IN TXT \"v=STSv1; id=$did\"" \
    "ids.op.test's file: deleg.test's id only, no TLS-RPT line" ||
    t_diag "$(cat "$ZD/ids.op.test.zone")"
t_is "$(records own.test)" "_mta-sts.own.test. 3600 IN TXT \"v=STSv1; id=$oid\"" \
    "own.test's file: its id only, no TLS-RPT line (the name is a CNAME there)" ||
    t_diag "$(cat "$ZD/own.test.zone")"
t_is "$(sort "$T/reloads.log")" "ids.op.test
own.test
rpt.op.test" "the reload ran once for each of the three zones"
for z in ids.op.test rpt.op.test own.test; do
	out=$(kzonecheck -o "$z" "$T/knot/zones/$z.zone" 2>&1)
	t_is "$?" 0 "kzonecheck accepts $z with its file" || t_diag "$out"
done
t_ok "Knot answers deleg.test's TLS-RPT record at deleg.test.rpt.op.test" \
    wait_txt deleg.test.rpt.op.test "v=TLSRPTv1; rua=mailto:postmaster@deleg.test"
t_ok "and own.test's at own.test.rpt.op.test" \
    wait_txt own.test.rpt.op.test "v=TLSRPTv1; rua=mailto:postmaster@own.test"
t_is "$(ns_txt _mta-sts.own.test)" "v=STSv1; id=$oid" "and own.test's id in own.test"

# ---- the second run: nothing changes -----------------------------------------------

before="$(stamp ids.op.test) $(stamp rpt.op.test) $(stamp own.test)"
ns_check
t_is "$CHK_RC" 0 "second run: exit 0" || t_diag "$CHK_OUT"
t_is "$(stamp ids.op.test) $(stamp rpt.op.test) $(stamp own.test)" "$before" \
    "second run: no file rewritten"
t_is "$(wc -l <"$T/reloads.log")" 3 "second run: no reload"

# ---- a changed tlsrpt: only rpt.op.test's file -------------------------------------

ns_domain_file deleg.test "id-zone = ids.op.test
tlsrpt = mailto:rua@op.test"
ids_before=$(stamp ids.op.test) own_before=$(stamp own.test) rpt_before=$(stamp rpt.op.test)
ns_check
t_is "$CHK_RC" 0 "a changed tlsrpt: exit 0" || t_diag "$CHK_OUT"
t_is "$(records rpt.op.test)" "deleg.test.rpt.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:rua@op.test\"
own.test.rpt.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@own.test\"" \
    "a changed tlsrpt: rpt.op.test's file has the new record"
t_isnt "$(stamp rpt.op.test)" "$rpt_before" "a changed tlsrpt: rpt.op.test's file rewritten"
t_is "$(stamp ids.op.test) $(stamp own.test)" "$ids_before $own_before" \
    "a changed tlsrpt: the files of ids.op.test and own.test untouched"
t_is "$(tail -n +4 "$T/reloads.log")" "rpt.op.test" "a changed tlsrpt: one reload, of rpt.op.test"
t_ok "Knot answers the new record" \
    wait_txt deleg.test.rpt.op.test "v=TLSRPTv1; rua=mailto:rua@op.test"

t_done
