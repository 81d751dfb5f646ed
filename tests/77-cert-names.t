#!/bin/bash
# SPDX-License-Identifier: ISC
# A web certificate that does not cover mta-sts.<domain>: the finding
# (https.cert.name) lists the names the certificate carries (the first
# five, and how many in all) and says which name to add; in the cron run
# and in probe, in a network namespace (tests/lib/netns.sh) with lighttpd
# serving one certificate for seven other domains.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init cert-names
for d in a b c d e f g; do
	ns_domain "$d.test"
done
ns_domain nocert.test
# the web certificate leaves mta-sts.nocert.test out
NS_WEB_NAMES=${NS_WEB_NAMES/ mta-sts.nocert.test/}
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start
t_is "$(openssl x509 -in "$NS_PKI/web.pem" -noout -ext subjectAltName | grep -o 'DNS:' | wc -l)" 7 \
    "the web certificate carries 7 names"

FIRST5='mta-sts.a.test, mta-sts.b.test, mta-sts.c.test, mta-sts.d.test, mta-sts.e.test'
ns_check --json nocert.test a.test
t_is "$CHK_RC" 2 "run: exit 2" || t_diag "$CHK_OUT"
# code:message of each error finding of DOMAIN
errors() {
	printf '%s' "$CHK_OUT" | python3 -c 'import json, sys
for d in json.load(sys.stdin)["domains"]:
    if d["domain"] == sys.argv[1]:
        for f in d["findings"]:
            if f["level"] == "error":
                print(f["code"] + ":" + f["message"])' "$1"
}
got=$(errors nocert.test | grep '^https\.')
t_is "$got" "https.cert.name:https://mta-sts.nocert.test/.well-known/mta-sts.txt: certificate verify failed: hostname mismatch: the certificate names $FIRST5, ... (7 names); add mta-sts.nocert.test to it" \
    "nocert.test: https.cert.name lists the first five names, the count, and the name to add"
t_is "$(errors a.test)" "" "a.test, on the certificate: no error"

ns_check probe nocert.test
t_is "$CHK_RC" 2 "probe: exit 2"
t_like "$CHK_OUT" "certificate verify failed: hostname mismatch: the certificate names $FIRST5, \\.\\.\\. \\(7 names\\); add mta-sts\\.nocert\\.test to it" \
    "probe says the same" || t_diag "$CHK_OUT"

t_done
