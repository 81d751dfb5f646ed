#!/bin/bash
# SPDX-License-Identifier: ISC
# web-host, end to end in a network namespace with Knot (tests/lib/netns.sh,
# tests/lib/hosting.sh): customers point mta-sts.<domain> at the operator's
# web host by CNAME. The checker reports a name that is no CNAME to it (a
# warning while its addresses are the web host's, an error when they
# differ), each time with the record to set; a domain file's web-host
# overrides the global one; `records` prints the customer's CNAME in every
# format.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"
. "$(dirname "$0")/lib/hosting.sh"

ns_init hosting-web-host
hs_operator
# web_domain DOMAIN MTA-STS-RECORD: a customer zone, mta-sts.DOMAIN as given
web_domain() {
	ns_zone "$1" <<EOF
@		MX	10 mx1.example.test.
@		MX	20 mx2.example.test.
mta-sts		$2
_smtp._tls	TXT	"v=TLSRPTv1; rua=mailto:postmaster@$1"
EOF
	NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.$1"
	NS_DOMAINS="$NS_DOMAINS $1"
	: >"$NS_CHECK/domains/$1"
	: >"$NS_SERVE/domains/$1"
}
web_domain good.test "CNAME web.op.test."
web_domain aweb.test "A 127.0.0.10"
web_domain same.test "CNAME other.op.test."
web_domain far.test "CNAME elsewhere.op.test."
web_domain own.test "CNAME other.op.test."
ns_domain_file own.test "web-host = other.op.test"
ns_checker_conf "publish = rfc2136
tsig-key = $T/tsig.key
web-host = web.op.test."
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

nl='($|'$'\n'')'	# the end of a line in an output
W='\(the web server that serves the policies\)'

ns_check good.test aweb.test same.test own.test
t_is "$CHK_RC" 1 "the run: exit 1 (warnings only)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "aweb\\.test: warning: mta-sts\\.aweb\\.test: no CNAME to web\\.op\\.test $W: its addresses are the web host's today \\(127\\.0\\.0\\.10\\), but will not follow when they change; the customer must set: mta-sts\\.aweb\\.test\\. CNAME web\\.op\\.test\\.$nl" \
    "an A record with the web host's address: a warning, and the record to set" ||
    t_diag "$CHK_OUT"
t_like "$CHK_OUT" "same\\.test: warning: mta-sts\\.same\\.test: CNAME to other\\.op\\.test, not to web\\.op\\.test $W: its addresses are the web host's today \\(127\\.0\\.0\\.10\\), but will not follow when they change; the customer must set: mta-sts\\.same\\.test\\. CNAME web\\.op\\.test\\.$nl" \
    "a CNAME to another name with the same address: a warning, and the record to set" ||
    t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "good\\.test: (warning|error)" "a CNAME to the web host: nothing to say"
t_unlike "$CHK_OUT" "own\\.test: (warning|error)" \
    "own.test's file says web-host = other.op.test, its CNAME: nothing to say"
t_like "$(ns_sts_id aweb.test)" '^[0-9]{14}$' "the warnings do not stop publishing (aweb.test has its id)"

ns_check -v good.test own.test
t_like "$CHK_OUT" "good\\.test: info: mta-sts\\.good\\.test: CNAME to web\\.op\\.test$nl" \
    "-v: good.test's CNAME is seen (web.cname.ok)"
t_like "$CHK_OUT" "own\\.test: info: mta-sts\\.own\\.test: CNAME to other\\.op\\.test$nl" \
    "-v: own.test's, to its own web-host"

ns_check far.test
t_is "$CHK_RC" 2 "far.test: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "far\\.test: error: mta-sts\\.far\\.test: CNAME to elsewhere\\.op\\.test, not to web\\.op\\.test $W: it has addresses 127\\.0\\.0\\.11, web\\.op\\.test has 127\\.0\\.0\\.10; the customer must set: mta-sts\\.far\\.test\\. CNAME web\\.op\\.test\\.$nl" \
    "a CNAME to a host with other addresses: an error naming both, and the record to set" ||
    t_diag "$CHK_OUT"

# ---- records: the customer's CNAME ----------------------------------------------------

ns_check records same.test
t_like "$CHK_OUT" "${nl}mta-sts\\.same\\.test\\. 3600 IN CNAME web\\.op\\.test\\.$nl" \
    "records (zone): mta-sts.same.test. CNAME web.op.test." || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "; mta-sts\\.same\\.test needs a certificate for that name on the web host" \
    "records (zone): the certificate note"
ns_check records own.test
t_like "$CHK_OUT" "${nl}mta-sts\\.own\\.test\\. 3600 IN CNAME other\\.op\\.test\\.$nl" \
    "records: own.test's own web-host"
ns_check records --format csv same.test
t_like "$CHK_OUT" "${nl}mta-sts\\.same\\.test,CNAME,3600,web\\.op\\.test\\."$'\r'"$nl" \
    "records (csv): the CNAME row" || t_diag "$CHK_OUT"
ns_check records --format nsupdate same.test
t_like "$CHK_OUT" "update delete mta-sts\\.same\\.test\\. CNAME
update add mta-sts\\.same\\.test\\. 3600 CNAME web\\.op\\.test\\.
send" "records (nsupdate): the CNAME, sent on its own" || t_diag "$CHK_OUT"
ns_check records --format json same.test
t_like "$CHK_OUT" '\{"name":"mta-sts\.same\.test","type":"CNAME","ttl":3600,"value":"web\.op\.test\.","side":"customer"\}' \
    "records (json): the CNAME, the customer's side" || t_diag "$CHK_OUT"

t_done
