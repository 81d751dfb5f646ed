#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check against broken servers in a network namespace
# (tests/lib/netns.sh): the DNS server down or not answering, the web
# server down, a web certificate for the wrong name or expired, a
# redirect, text/html, an over-long body (each an error naming the
# problem, nothing published); an MX not covered by the patterns, an MX
# without STARTTLS, an MX certificate for another name, no TLS-RPT
# record; `probe` of a healthy domain and of a broken TXT record.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-faults

# healthy, for the DNS faults and probe
ns_domain example.test
# web faults: static vhosts (or nothing) instead of the responder
ns_fault_domain down.test 127.0.0.11
ns_fault_domain wrongname.test
ns_fault_domain expired.test
ns_fault_domain redirect.test
ns_fault_domain html.test
ns_fault_domain long.test
# MX faults: served by the responder, explicit mx
ns_domain uncovered.test
ns_domain uncovered-enforce.test
ns_domain nostarttls.test "" "@ MX 5 mx-plain.example.test."
ns_domain wrongmx.test "" "@ MX 5 mx-wrong.example.test."
ns_domain notlsrpt.test
ns_domain silentmx.test "" "@ MX 5 mx-silent.example.test."
sed -i '/^_smtp\._tls/d' "$T/knot/zones/notlsrpt.test.zone"
ns_domain_file uncovered.test "mx = mx1.example.test"
ns_domain_file uncovered-enforce.test "mode = enforce
mx = mx1.example.test"
ns_domain_file nostarttls.test "mx = mx1.example.test, mx2.example.test, mx-plain.example.test"
ns_domain_file wrongmx.test "mx = mx1.example.test, mx2.example.test, mx-wrong.example.test"
ns_domain_file silentmx.test "mx = mx1.example.test, mx2.example.test, mx-silent.example.test"
# probe: a TXT record that does not parse
ns_domain broken.test "" '_mta-sts	TXT	"v=STSv1; id=not-valid!"'
ns_domain repeatid.test "" '_mta-sts	TXT	"v=STSv1; id=20260101000000; id=20270101000000"'

# what every checked domain's file renders (mx from the certificate store)
good=$'version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\nmx: mx2.example.test\r\nmax_age: 86400\r\n'

ns_vhost mta-sts.redirect.test \
    'url.redirect = ("^/(.*)" => "https://mta-sts.example.test/$1")'
ns_vhost mta-sts.html.test 'mimetype.assign = (".txt" => "text/html")'
ns_vhost mta-sts.long.test ''
NOCERT=1 ns_vhost mta-sts.wrongname.test \
    "ssl.pemfile = \"$NS_PKI/wrongname.fullchain.pem\"
ssl.privkey = \"$NS_PKI/wrongname.key\""
NOCERT=1 ns_vhost mta-sts.expired.test \
    "ssl.pemfile = \"$NS_PKI/expired.fullchain.pem\"
ssl.privkey = \"$NS_PKI/expired.key\""
for h in redirect html wrongname expired; do
	printf '%s' "$good" >"$T/www/mta-sts.$h.test/.well-known/mta-sts.txt"
done
{
	printf '%s' "$good"
	i=0
	while [ "$i" -lt 1400 ]; do
		printf 'ext%d: %s\r\n' "$i" 'padding padding padding padding padding padding'
		i=$((i + 1))
	done
} >"$T/www/mta-sts.long.test/.well-known/mta-sts.txt"

# the certificates for the broken vhosts, made with the test CA
ns_pki_extra() {
	t_cert "$NS_PKI" wrongname www.wrongname.test &&
	t_cert_expired "$NS_PKI" expired mta-sts.expired.test
}
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

# nothing_published DOMAIN
nothing_published() {
	[ -z "$(ns_txt "_mta-sts.$1")" ]
}

# ---- the web faults --------------------------------------------------------------------

# web DOMAIN REGEX WHAT
web() {
	ns_check "$1"
	t_is "$CHK_RC" 2 "$3: exit 2" || t_diag "$CHK_OUT"
	t_like "$CHK_OUT" "$2" "$3: the error names the problem"
	t_ok "$3: nothing published" nothing_published "$1"
}
t_like "$(ns_exec curl -sSI --cacert "$NS_PKI/ca.pem" https://mta-sts.redirect.test/.well-known/mta-sts.txt 2>&1)" \
    '^HTTP/[0-9.]+ 30[1-8]' "the redirect vhost redirects"
web down.test 'mta-sts\.down\.test.*([Cc]onnect|[Rr]efused|unreachable)|([Cc]onnect|[Rr]efused|unreachable).*mta-sts\.down\.test' \
    "web server down"
web wrongname.test '[Cc]ertificate.*(name|match|mta-sts\.wrongname\.test)|(name|match).*[Cc]ertificate' \
    "web certificate for another name"
web expired.test '[Ee]xpired' "expired web certificate"
web redirect.test '[Rr]edirect|30[1-8]' "redirect"
web html.test 'text/html' "text/html"
web long.test '64 ?KiB|65536|too (long|large|big)|[Ll]onger than|over' "over-long body"

# ---- the MX faults ------------------------------------------------------------------------

ns_check uncovered.test
t_is "$CHK_RC" 1 "MX not covered by the patterns, testing: exit 1" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'mx2\.example\.test' "the uncovered MX is named"
t_isnt "$(ns_sts_id uncovered.test)" "" "an MX problem does not keep the id from being published"

ns_check uncovered-enforce.test
t_is "$CHK_RC" 2 "MX not covered by the patterns, enforce: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'mx2\.example\.test' "the uncovered MX is named"

ns_check nostarttls.test
t_is "$CHK_RC" 1 "MX without STARTTLS, testing: exit 1 (a warning)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'mx-plain\.example\.test.*STARTTLS|STARTTLS.*mx-plain\.example\.test' \
    "the MX without STARTTLS is named"

ns_check wrongmx.test
t_is "$CHK_RC" 1 "MX certificate for another name, testing: exit 1 (a warning)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'mx-wrong\.example\.test.*[Cc]ertificate|[Cc]ertificate.*mx-wrong\.example\.test' \
    "the MX with the wrong certificate is named"

start=$(date +%s)
ns_check silentmx.test
took=$(($(date +%s) - start))
t_is "$CHK_RC" 1 "MX that never answers, testing: exit 1 (a warning)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'mx-silent\.example\.test.*(did not answer|[Tt]ime(d)? ?out|[Tt]imeout|banner)' \
    "the silent MX is named"
t_ok "MX that never answers: the run ends in bounded time (${took}s)" test "$took" -le 20

ns_check notlsrpt.test
t_is "$CHK_RC" 1 "no TLS-RPT record: exit 1 (a warning)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" '_smtp\._tls\.notlsrpt\.test|TLS-?RPT' "the missing TLS-RPT record is named"

ns_check repeatid.test
t_like "$CHK_OUT" "(^|"$'\n'")repeatid\.test: warning: _mta-sts\.repeatid\.test: more than one id field: the first, id=20260101000000, counts; 'id=20270101000000' is ignored \(RFC 8461 [^ ]+3\.2\)($|"$'\n'")" \
    "a repeated id field in the _mta-sts record: warned, the first counts" || t_diag "$CHK_OUT"

# ---- the DNS server down, then not answering ------------------------------------------------

ns_check example.test
t_is "$CHK_RC" 0 "healthy domain: exit 0" || t_diag "$CHK_OUT"
id1=$(ns_sts_id example.test)
t_like "$id1" '^[0-9]{14}$' "healthy domain: id $id1 published"

ns_domain_file example.test "mode = enforce"
t_ok "mode enforce served" ns_sync
ns_knot_stop
ns_check example.test
t_is "$CHK_RC" 2 "DNS server down: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'DNS|127\.0\.0\.1|resolv|refused' "DNS server down: the error says so"
t_ok "Knot restarts" ns_knot_start
t_is "$(ns_sts_id example.test)" "$id1" "DNS server down: nothing was published"
ns_check example.test
t_is "$CHK_RC" 0 "DNS server back: exit 0" || t_diag "$CHK_OUT"
id2=$(ns_sts_id example.test)
t_ok "DNS server back: the later id $id2 is published" test "${id2:-0}" -gt "${id1:-0}"

ns_knot_pause
start=$(date +%s)
ns_check example.test
took=$(($(date +%s) - start))
ns_knot_resume
t_is "$CHK_RC" 2 "DNS server not answering: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" 'did not answer|[Tt]ime(d)? ?out|[Tt]imeout' "DNS server not answering: the error says so"
t_ok "DNS server not answering: the run ends in bounded time (${took}s)" test "$took" -le 40
ns_check example.test
t_is "$CHK_RC:$CHK_OUT" "0:" "DNS server answering again: silent exit 0"

# ---- probe ------------------------------------------------------------------------------------------

ns_check probe example.test
t_is "$CHK_RC" 0 "probe of a healthy domain: exit 0" || t_diag "$CHK_OUT"
ns_check probe broken.test
t_is "$CHK_RC" 2 "probe of a domain with a broken TXT record: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" '_mta-sts\.broken\.test.*not-valid' "probe names the broken record"
t_unlike "$CHK_OUT" 'https://mta-sts\.broken\.test[^ ]*: ' "probe: the policy itself is fine"

t_done
