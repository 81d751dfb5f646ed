#!/bin/bash
# SPDX-License-Identifier: ISC
# DANE first (RFC 8461 section 2), with real DNSSEC: Knot signs dane.test,
# unbound validates it (a trust anchor for dane.test) and is the
# resolver mta-sts-resolve asks, in a network namespace:
#   ok.dane.test     signed MX, TLSA at _25._tcp.mx1.ok.dane.test, and an
#                    enforce MTA-STS policy as well -> OK dane
#   fail.dane.test   signed MX whose host lives in a lame delegation: the
#                    TLSA lookup fails (SERVFAIL) -> TEMP, no downgrade
#   plain.dane.test  signed MX mx1.example.test, whose TLSA record is in
#                    the unsigned example.test: not vouched for -> NOTFOUND
#   pkix.dane.test   signed MX and a signed TLSA record, but PKIX-EE (1 1 1),
#                    which SMTP cannot use (RFC 7672 section 3.1.3) -> NOTFOUND
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

RESOLVE=${RESOLVE:-$T_TOP/resolver/mta-sts-resolve}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SM="$PY $T_TOP/tests/helpers/socketmap.py"
[ -x "$RESOLVE" ] || t_skip_all "no $RESOLVE: run make first"
command -v unbound >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
command -v unbound >/dev/null 2>&1 || t_skip_all "unbound not installed"

ns_init resolve-dane
mkdir -p "$T/unbound" "$T/rcache"
chown nobody "$T/rcache"

ns_zone example.test <<EOF
ns1		A	127.0.0.1
mx1		A	127.0.0.2
mx-wrong	A	127.0.0.5
EOF
ns_zone dane.test "dnssec-signing: on" <<EOF
ok		MX	10 mx1.ok
mx1.ok		A	127.0.0.2
mta-sts.ok	A	127.0.0.10
_mta-sts.ok	TXT	"v=STSv1; id=1"
fail		MX	10 mx.lame.fail
lame.fail	NS	ns.lame.fail
ns.lame.fail	A	127.0.0.99
plain		MX	10 mx1.example.test.
pkix		MX	10 mx1.pkix
mx1.pkix	A	127.0.0.2
EOF
NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.ok.dane.test"
printf 'mode = enforce\nmx = *.ok.dane.test\n' >"$NS_CHECK/domains/ok.dane.test"
ns_checker_conf "publish = none"
t_ok "environment: Knot (dane.test signed), lighttpd + responder in $NS" ns_start ||
    t_done

# the TLSA records (DANE-EE, SPKI, SHA-256) of mx1's certificate
tlsa=$(openssl x509 -in "$NS_PKI/mx1.pem" -pubkey -noout |
    openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
ns_nsupdate <<EOF
zone dane.test.
update add _25._tcp.mx1.ok.dane.test. 60 TLSA 3 1 1 $tlsa
update add _25._tcp.mx1.pkix.dane.test. 60 TLSA 1 1 1 $tlsa
EOF
ns_nsupdate <<EOF
zone example.test.
update add _25._tcp.mx1.example.test. 60 TLSA 3 1 1 $tlsa
EOF

# unbound validates dane.test with its DNSKEY as the trust anchor
i=0
while ! ns_kdig +short DNSKEY dane.test | grep -q '^257 '; do
	[ "$i" -lt 50 ] || break
	sleep 0.2
	i=$((i + 1))
done
ns_kdig +noall +answer DNSKEY dane.test | awk '$4 == "DNSKEY" && $5 == 257' >"$T/unbound/ta"
t_ok "Knot signs dane.test (a KSK to anchor)" test -s "$T/unbound/ta"
hs_unbound_start "$T/unbound/ta"
out=$(ns_exec kdig +timeout=3 +retry=0 +dnssec @127.0.0.53 MX ok.dane.test)
t_like "$out" 'Flags: qr rd ra ad;' "unbound validates ok.dane.test's MX (AD)" ||
    t_diag "$(tail -n 20 "$T/unbound/unbound.log")"

cat >"$T/resolve.conf" <<EOF
resolver = 127.0.0.53
ca-file = $NS_PKI/ca.pem
timeout = 3
resolve-cache = $T/rcache/cache
resolve-socket = unix:$T/rcache/socket
EOF
ip netns exec "$NS" "$RESOLVE" -c "$T/resolve.conf" -u nobody >"$T/resolve.log" 2>&1 &
t_bg $!
i=0
while [ ! -S "$T/rcache/socket" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ask() {
	$SM "unix:$T/rcache/socket" ask "$@" 2>&1
}
t_is "$(ask 'mta-sts ok.dane.test')" "OK dane" \
    "signed MX and TLSA vouched for: dane, ahead of its enforce MTA-STS policy"
t_like "$(ask 'mta-sts fail.dane.test')" '^TEMP DANE: the TLSA lookup for _25\._tcp\.mx\.lame\.fail\.dane\.test failed, so delivery waits: ' \
    "the TLSA lookup fails: TEMP, never a downgrade"
t_is "$(ask 'mta-sts plain.dane.test')" "NOTFOUND " \
    "a TLSA record the resolver does not vouch for (unsigned zone): no dane"
t_is "$(ask 'mta-sts pkix.dane.test')" "NOTFOUND " \
    "signed TLSA records of a usage SMTP cannot use (PKIX-EE): no dane"
t_like "$(ask 'ctl-show ok.dane.test')" ' last=dane ' "show: the last lookup found DANE"
t_like "$(cat "$T/resolve.log")" 'ok\.dane\.test: DANE \(TLSA records vouched for by the resolver\): dane' \
    "  and the log says so"
t_done
