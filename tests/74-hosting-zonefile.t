#!/bin/bash
# SPDX-License-Identifier: ISC
# Delegated ids and TLS-RPT by zone file, end to end in a network
# namespace with Knot (tests/lib/netns.sh, tests/lib/hosting.sh): the
# operator's zone ids.op.test $INCLUDEs the file the checker writes, with
# id-zone = ids.op.test and tlsrpt-zone = rpt.ids.op.test (inside it), so
# the file holds only names of that zone: <domain>.ids.op.test and
# <domain>.rpt.ids.op.test, never the customers' own names. Senders find
# both records through the customers' CNAMEs; a customer without the
# TLS-RPT CNAME is told the exact record to set.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

ns_init hosting-zonefile
Z=$T/zf
mkdir -p "$Z" && : >"$Z/ids.zone"
ns_zone op.test <<EOF
web		A	127.0.0.10
EOF
ns_zone ids.op.test "zonefile-load: difference-no-serial
journal-content: all" <<EOF
\$INCLUDE $Z/ids.zone
EOF
hs_customer zf.test cname "_smtp._tls	CNAME	zf.test.rpt.ids.op.test."
# hs_customer's own _smtp._tls TXT goes: the CNAME replaces it
sed -i '/^_smtp\._tls\tTXT/d' "$T/knot/zones/zf.test.zone"
hs_customer nort.test cname
ns_checker_conf "publish = zonefile
zonefile = $Z/ids.zone
reload = $Z/reload.sh
id-zone = ids.op.test
tlsrpt-zone = rpt.ids.op.test"
cat >"$Z/reload.sh" <<EOF
#!/bin/sh
echo "\$@" >>"$Z/reload.ran"
exec knotc -c "$T/knot/knot.conf" -b zone-reload ids.op.test
EOF
chmod 755 "$Z/reload.sh"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
t_ok "environment: unbound on 127.0.0.53 (a sender's resolver)" hs_unbound_start

ID_RE='[0-9]{14}'
nl='($|'$'\n'')'	# the end of a line in an output
sender_txt() {
	hs_sender kdig +short TXT "$1" | sed -n -e 's/" "//g' -e 's/^"\(.*\)"$/\1/p'
}

ns_check
t_is "$CHK_RC" 1 "first run: exit 1 (nort.test lacks the TLS-RPT CNAME: a warning)" ||
    t_diag "$CHK_OUT"
zid=$(ns_txt zf.test.ids.op.test | sed -n 's/^v=STSv1; id=//p')
nid=$(ns_txt nort.test.ids.op.test | sed -n 's/^v=STSv1; id=//p')
t_like "$zid" "^$ID_RE\$" "Knot serves zf.test's id at zf.test.ids.op.test, from the file ($zid)" ||
    t_diag "$(cat "$Z/ids.zone")"
t_is "$(grep -v '^;' "$Z/ids.zone" | sort)" "nort.test.ids.op.test. 3600 IN TXT \"v=STSv1; id=$nid\"
nort.test.rpt.ids.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@nort.test\"
zf.test.ids.op.test. 3600 IN TXT \"v=STSv1; id=$zid\"
zf.test.rpt.ids.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@zf.test\"" \
    "the file holds only names of ids.op.test: the ids and the TLS-RPT records, no customer's name"
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 1 "the reload command ran once"
t_is "$(sender_txt _mta-sts.zf.test)" "v=STSv1; id=$zid" "a sender finds the id through _mta-sts.zf.test's CNAME"
t_is "$(sender_txt _smtp._tls.zf.test)" "v=TLSRPTv1; rua=mailto:postmaster@zf.test" \
    "and the TLS-RPT record through _smtp._tls.zf.test's CNAME"
t_like "$CHK_OUT" "nort\\.test: warning: _smtp\\._tls\\.nort\\.test: no CNAME to nort\\.test\\.rpt\\.ids\\.op\\.test \\(where the operator keeps the TLS-RPT record\\); the customer must set: _smtp\\._tls\\.nort\\.test\\. CNAME nort\\.test\\.rpt\\.ids\\.op\\.test\\.$nl" \
    "nort.test: the TLS-RPT CNAME to set, exactly" || t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "zf\\.test: (warning|error)" "zf.test: nothing to say"

ns_check
t_is "$(wc -l <"$Z/reload.ran" 2>/dev/null)" 1 "second run: the file unchanged, no reload"

# zf.test's file becomes invalid: its records stay in the file and in DNS
before=$(grep -v '^;' "$Z/ids.zone" | sort)
ns_domain_file zf.test "mode = enforcing"
ns_check
t_is "$CHK_RC" 2 "zf.test's file invalid: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "zf\\.test: error: $NS_CHECK/domains/zf\\.test:1: mode 'enforcing' is not valid" \
    "zf.test's file invalid: named with its line"
t_is "$(grep -v '^;' "$Z/ids.zone" | sort)" "$before" \
    "zf.test's file invalid: the zone file keeps its delegated records" ||
    t_diag "$(cat "$Z/ids.zone")"
t_is "$(ns_txt zf.test.ids.op.test)" "v=STSv1; id=$zid" "zf.test's file invalid: DNS keeps its id"
ns_domain_file zf.test ""

ns_check records --format zone zf.test
# (the TLSA records of the MX hosts follow, after "; DANE": tests/80-dane.t)
t_is "${CHK_OUT%%$'\n\n; DANE'*}" "; MTA-STS and TLS-RPT records, from mta-sts-check records

; zf.test
; the customer sets once, in the zone of the domain:
_mta-sts.zf.test. 3600 IN CNAME zf.test.ids.op.test.
_smtp._tls.zf.test. 3600 IN CNAME zf.test.rpt.ids.op.test.
; the operator's zone ids.op.test (mta-sts-check keeps it):
zf.test.ids.op.test. 3600 IN TXT \"v=STSv1; id=$zid\"
; the operator's zone rpt.ids.op.test (mta-sts-check keeps it):
zf.test.rpt.ids.op.test. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@zf.test\"
; mta-sts.zf.test needs an A/AAAA record and a certificate for that name" \
    "records: both sides, the id and TLS-RPT names in the operator's zones"

t_done
