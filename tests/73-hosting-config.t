#!/bin/bash
# SPDX-License-Identifier: ISC
# The hosting keys in the configuration, without a network: publish,
# dns-server, tsig-key, hook, id-zone, tlsrpt-zone and web-host in domain
# files (an invalid value fails that domain alone, naming file:line, for
# the checker; the responder, as CGI and as `mta-sts-fcgi -t`, does not
# read them and serves the domain), in the global file (a trailing dot and
# U-labels accepted), and `records` with every format of a delegated
# domain (both sides, the id from the state).
. "$(dirname "$0")/lib/testlib.sh"

CHK=$T_TOP/checker/mta-sts-check
FCGI=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$CHK" ] && [ -x "$FCGI" ] || t_skip_all "not built"
t_init 73-hosting-config

AS=()
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	getent group nogroup >/dev/null || AS=(setpriv --reuid=nobody --regid=nobody --clear-groups)
fi

mkdir -p "$T/domains" "$T/state"
chmod 700 "$T/state"
cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
state = $T/state
mode = enforce
mx = mx.example.net
max-age = 1d
publish = rfc2136
id-zone = IDS.Example.NET.
web-host = web.bücher.example
EOF
D=$T/domains
printf 'id-zone = ids.example.org\ntlsrpt-zone = rpt.example.org\n' >"$D/deleg.example"
printf 'publish = none\n' >"$D/plain.example"
printf 'mode = enforce\npublish = rfc2137\n' >"$D/badpub.example"
printf 'id-zone = not_a zone\n' >"$D/badzone.example"
printf 'publish = hook\n' >"$D/nohook.example"
printf 'publish = zonefile\n' >"$D/nozf.example"
printf 'dns-server = 127.0.0.1:99999\n' >"$D/badport.example"
printf 'id-zone = same.example\ntlsrpt-zone = same.example\n' >"$D/same.example"
printf 'publish = hook\nhook = /usr/local/bin/dns-hook\ntsig-key = k\nweb-host = www.example.org\n' >"$D/hooked.example"
chmod -R a+rX "$T"

# one state file: deleg.example's id is published
printf 'mta-sts-check-state 1\ndomain deleg.example\ndigest %064d\nid 20261201120000\nsince 1764590400\npublished 1\nprev-id \npub-id 20261201120000\nend\n' 0 \
    >"$T/state/deleg.example"

# ---- the checker: each bad domain fails alone, file:line -------------------------

out=$("$CHK" -c "$T/mta-sts.conf" records 2>&1 >/dev/null)
rc=$?
t_is "$rc" 3 "records: exit 3 (configuration errors)"
t_is "$out" "mta-sts-check: $D/badport.example:1: dns-server '127.0.0.1:99999' is not valid (expected host[:port])
mta-sts-check: $D/badpub.example:2: publish 'rfc2137' is not valid (expected none, rfc2136, hook or zonefile)
mta-sts-check: $D/badzone.example:1: id-zone 'not_a zone' is not valid (expected a zone name)
mta-sts-check: $D/nohook.example:1: publish = hook needs a program (add 'hook = /path/to/program')
mta-sts-check: $D/nozf.example:1: publish = zonefile needs a file (add 'zonefile = /path/to/zone' to the global file)
mta-sts-check: $D/same.example:2: tlsrpt-zone must differ from id-zone (both would put a TXT record at <domain>.same.example)" \
    "every invalid domain file named with its line, and why"

out=$("$CHK" -c "$T/mta-sts.conf" records deleg.example plain.example hooked.example 2>&1)
t_is "$?" 0 "the valid domains go on: exit 0" || t_diag "$out"
t_is "$out" "; MTA-STS and TLS-RPT records, from mta-sts-check records

; deleg.example
; the customer sets once, in the zone of the domain:
_mta-sts.deleg.example. 3600 IN CNAME deleg.example.ids.example.org.
_smtp._tls.deleg.example. 3600 IN CNAME deleg.example.rpt.example.org.
mta-sts.deleg.example. 3600 IN CNAME web.xn--bcher-kva.example.
; the operator's zone ids.example.org (mta-sts-check keeps it):
deleg.example.ids.example.org. 3600 IN TXT \"v=STSv1; id=20261201120000\"
; the operator's zone rpt.example.org (mta-sts-check keeps it):
deleg.example.rpt.example.org. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@deleg.example\"
; deleg.example: the policy changed since the last run; the next run of mta-sts-check gives it a new id
; mx.example.net: no certificate for it in the store (certs = /etc/mta-sts/certs): no TLSA record
; mta-sts.deleg.example needs a certificate for that name on the web host

; hooked.example
; the customer sets once, in the zone of the domain:
_mta-sts.hooked.example. 3600 IN CNAME hooked.example.ids.example.net.
mta-sts.hooked.example. 3600 IN CNAME www.example.org.
_smtp._tls.hooked.example. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@hooked.example\"
; hooked.example: no id yet: run mta-sts-check first (it gives one once the policy is served)
; mx.example.net: no certificate for it in the store (certs = /etc/mta-sts/certs): no TLSA record
; mta-sts.hooked.example needs a certificate for that name on the web host

; plain.example
; the customer sets once, in the zone of the domain:
_mta-sts.plain.example. 3600 IN CNAME plain.example.ids.example.net.
mta-sts.plain.example. 3600 IN CNAME web.xn--bcher-kva.example.
_smtp._tls.plain.example. 3600 IN TXT \"v=TLSRPTv1; rua=mailto:postmaster@plain.example\"
; plain.example: no id yet: run mta-sts-check first (it gives one once the policy is served)
; mx.example.net: no certificate for it in the store (certs = /etc/mta-sts/certs): no TLSA record
; mta-sts.plain.example needs a certificate for that name on the web host" \
    "records: the global id-zone and web-host (a trailing dot, an IDN), a domain's own, both sides"

out=$("$CHK" -c "$T/mta-sts.conf" records --format csv deleg.example 2>&1)
t_is "$out" "name,type,ttl,value"$'\r'"
_mta-sts.deleg.example,CNAME,3600,deleg.example.ids.example.org."$'\r'"
_smtp._tls.deleg.example,CNAME,3600,deleg.example.rpt.example.org."$'\r'"
mta-sts.deleg.example,CNAME,3600,web.xn--bcher-kva.example."$'\r'"
deleg.example.ids.example.org,TXT,3600,v=STSv1; id=20261201120000"$'\r'"
deleg.example.rpt.example.org,TXT,3600,v=TLSRPTv1; rua=mailto:postmaster@deleg.example"$'\r' \
    "records --format csv: CNAME and TXT rows"
out=$("$CHK" -c "$T/mta-sts.conf" records --format nsupdate deleg.example 2>&1)
t_like "$out" "update delete deleg\\.example\\.ids\\.example\\.org\\. TXT
update add deleg\\.example\\.ids\\.example\\.org\\. 3600 TXT \"v=STSv1; id=20261201120000\"
send" "records --format nsupdate: the operator's TXT, sent on its own (another zone)"
out=$("$CHK" -c "$T/mta-sts.conf" records --format json deleg.example 2>&1)
t_is "$(printf '%s' "$out" | python3 -c 'import json, sys
d = json.load(sys.stdin)["domains"][0]
for r in d["records"]:
    print(r["side"], r["type"], r["name"], r["value"])')" "customer CNAME _mta-sts.deleg.example deleg.example.ids.example.org.
customer CNAME _smtp._tls.deleg.example deleg.example.rpt.example.org.
customer CNAME mta-sts.deleg.example web.xn--bcher-kva.example.
operator TXT deleg.example.ids.example.org v=STSv1; id=20261201120000
operator TXT deleg.example.rpt.example.org v=TLSRPTv1; rua=mailto:postmaster@deleg.example" \
    "records --format json: each record with its side"

# ---- the responder does not read the publishing keys ------------------------------

cgi() {	# DOMAIN: the responder as CGI, the status line
	env -i GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 PATH=/usr/bin:/bin \
	    REQUEST_METHOD=GET HTTP_HOST="mta-sts.$1" SCRIPT_NAME=/.well-known/mta-sts.txt \
	    PATH_INFO= REQUEST_URI=/.well-known/mta-sts.txt MTA_STS_CONF="$T/mta-sts.conf" \
	    "${AS[@]}" "$FCGI" </dev/null 2>"$T/cgi.err" | tr -d '\r'
}
for d in badpub badzone nohook nozf badport same hooked deleg; do
	out=$(cgi $d.example)
	t_like "$out" "^Status: 200 OK
Content-Type: text/plain; charset=utf-8
Content-Length: [0-9]+
Cache-Control: no-store

version: STSv1
mode: enforce
mx: mx\\.example\\.net
max_age: 86400\$" "CGI: $d.example is served, its publishing keys unread" ||
	    t_diag "$out" "$(cat "$T/cgi.err")"
done
out=$(runuser -u nobody -- "$FCGI" -t -c "$T/mta-sts.conf" 2>&1 || true)
[ "$(id -u)" = 0 ] || out=$("$FCGI" -t -c "$T/mta-sts.conf" 2>&1 || true)
t_unlike "$out" "publish|id-zone|dns-server|tlsrpt-zone" \
    "mta-sts-fcgi -t: no complaint about the checker's keys" || t_diag "$out"

t_done
