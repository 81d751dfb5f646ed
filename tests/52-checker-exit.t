#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check's exit status for what needs no network (the contract cron
# relies on: 0 good, 1 warnings, 2 errors, 3 usage or configuration error):
# usage and global configuration errors exit 3 and say what is wrong; a
# domain file that does not parse is an error for that domain (exit 2),
# which is left exactly as it was (no state written, nothing published).
. "$(dirname "$0")/lib/testlib.sh"

t_init checker-exit
CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"

mkdir -p "$T/domains" "$T/certs" "$T/state"
# resolver: a closed port on loopback; nothing here needs an answer
cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
certs = $T/certs
state = $T/state
resolver = 127.0.0.1:1
timeout = 1
EOF
printf 'mode = enforce\nmx = mx.good.example\nmax-age = 1d\n' >"$T/domains/good.example"
printf 'mode = enforce\nmdoe = testing\n' >"$T/domains/bad.example"

# run ARGS...: $out (stdout and stderr), $rc
run() {
	rc=0
	out=$("$CHECK" "$@" 2>&1) || rc=$?
}

run -c "$T/mta-sts.conf" policy good.example
t_is "$rc" 0 "policy of a good domain: exit 0"
t_is "$out" "$(printf 'version: STSv1\r\nmode: enforce\r\nmx: mx.good.example\r\nmax_age: 86400\r')" \
    "and the policy, CRLF"

run --no-such-option
t_is "$rc" 3 "an unknown option: exit 3"
t_like "$out" 'usage: mta-sts-check \[-c FILE\]' "and the usage"

run -c "$T/nonexistent.conf" policy good.example
t_is "$rc" 3 "a configuration file that does not exist: exit 3"
t_like "$out" "$T/nonexistent\\.conf" "and it is named"

printf 'domains = %s\nmax-age = 40000000\n' "$T/domains" >"$T/bad.conf"
run -c "$T/bad.conf" policy good.example
t_is "$rc" 3 "max-age above 31557600 in the global file: exit 3"
t_like "$out" "bad\\.conf:2: " "and file:line named"

run -c "$T/mta-sts.conf" policy nosuch.example
t_is "$rc" 3 "policy of a domain without a file: exit 3"
t_like "$out" 'nosuch\.example' "and the domain named"

run -c "$T/mta-sts.conf" policy bad.example
t_is "$rc" 3 "policy of a domain whose file does not parse: exit 3"
t_like "$out" "bad\\.example:2: .*mdoe" "and file:line named"

run -c "$T/mta-sts.conf" bad.example
t_is "$rc" 2 "check of a domain whose file does not parse: exit 2"
t_like "$out" "bad\\.example:2: .*mdoe" "and file:line named"
t_is "$(find "$T/state" -type f ! -name lock | wc -l)" 0 \
    "and that domain is left as it was: no state written"

# A resolver with nothing listening (its port answers ICMP port
# unreachable) fails at once with a message that says so, not after the
# timeout of every query (7 queries x 30 s here) as "did not answer".
sed 's/^timeout = 1$/timeout = 30/' "$T/mta-sts.conf" >"$T/slow.conf"
SECONDS=0
run -c "$T/slow.conf" good.example
t_is "$rc" 2 "check with a resolver that is not running: exit 2"
t_like "$out" "_mta-sts\.good\.example: DNS server 127\.0\.0\.1:1 is not listening on port 1 \(connection refused\)" \
    "and the message says nothing listens on its port"
t_ok "and it ends at once (${SECONDS} s), not after a query's timeout" test "$SECONDS" -lt 30

t_done
