#!/bin/bash
# SPDX-License-Identifier: ISC
# One rua URI rule (sts_uri_check): `policy` (the configuration parser) and
# `records` (the record builder) agree on tlsrpt. "{x}" is not an RFC 3986
# URI (RFC 8460 §3: tlsrpt-uri = URI), so both refuse it with the same
# message, exit 3; the same URI percent-encoded is accepted by both.
. "$(dirname "$0")/lib/testlib.sh"

t_init checker-uri
t_plan 8
CHK=$T_TOP/checker/mta-sts-check

mkdir -p "$T/domains" "$T/certs"
echo "mx = mx1.example.com" >"$T/domains/example.com"
conf() {	# TLSRPT: writes $T/c.conf
	cat >"$T/c.conf" <<EOC
domains = $T/domains
certs = $T/certs
state = $T/state
tlsrpt = $1
EOC
}

conf 'https://reports.example.com/{x}'
want="mta-sts-check: $T/c.conf:4: tlsrpt 'https://reports.example.com/{x}': character '{' must be percent-encoded"
err=$("$CHK" -c "$T/c.conf" policy example.com 2>&1 >/dev/null); rc=$?
t_is "$rc" 3 "policy: tlsrpt with '{x}' is a configuration error (exit 3)"
t_is "$err" "$want" "policy: the message names the file, line and character"
err=$("$CHK" -c "$T/c.conf" records example.com 2>&1 >/dev/null); rc=$?
t_is "$rc" 3 "records: the same configuration error (exit 3)"
t_is "$err" "$want" "records: the same message as policy"

conf 'https://reports.example.com/%7Bx%7D'
out=$("$CHK" -c "$T/c.conf" policy example.com 2>&1); rc=$?
t_is "$rc" 0 "policy: the percent-encoded URI is accepted"
t_like "$out" '^version: STSv1' "policy: prints the policy"
out=$("$CHK" -c "$T/c.conf" records example.com 2>/dev/null); rc=$?
t_is "$rc" 0 "records: the percent-encoded URI is accepted"
t_like "$out" '_smtp\._tls\.example\.com\. 3600 IN TXT "v=TLSRPTv1; rua=https://reports\.example\.com/%7Bx%7D"' \
    "records: the _smtp._tls line carries it"
t_done
