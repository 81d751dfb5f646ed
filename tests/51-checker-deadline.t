#!/bin/bash
# SPDX-License-Identifier: ISC
# A bound on a whole domain and on a whole run (issue 11, finding 14):
# slow.test has eight MX hosts, all at a server that drips its banner a
# byte at a time (tests/helpers/hostile.py smtpdrip), so each costs a
# full timeout (2 s) and the domain about 16 s. With domain-timeout = 5
# the run ends in time and names each MX host it did not check and that
# the domain was cut short; the policy is still published (HTTPS was
# checked first). With run-timeout = 4 and -j 1, a domain after
# slow.test is not checked at all, and the run says so (exit 2).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-deadline
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
DRIP=127.0.0.40
mx=
for i in 1 2 3 4 5 6 7 8; do
	mx="$mx@ MX $i mx$i.slow.test.
mx$i A $DRIP
"
done
ns_zone slow.test < <(ns_std_records slow.test | grep -v MX; printf '%s' "$mx")
NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.slow.test"
NS_DOMAINS="$NS_DOMAINS slow.test"
: >"$NS_CHECK/domains/slow.test"
ns_domain zz-after.test
ns_checker_conf
sed -i -e "s/^timeout = .*/timeout = 2/" "$NS_CHECK/mta-sts.conf"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { echo "Bail out! no environment"; exit 255; }
ns_exec python3 "$T_TOP/tests/helpers/hostile.py" smtpdrip "$DRIP:25" \
    --pidfile "$T/drip.pid" >>"$T/drip.log" 2>&1 &
t_bg "$T/drip.pid"
t_ok "the dripping SMTP server listens on $DRIP" ns_wait_tcp $DRIP 25 5

# run CONF-LINES ARGS...: the checker with extra configuration lines; $MS
run() {
	local extra=$1 t0
	shift
	{ cat "$NS_CHECK/mta-sts.conf"; printf '%s\n' "$extra"; } >"$T/run.conf"
	t0=$(date +%s%N)
	CHK_CONF=$T/run.conf ns_check "$@"
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# ---- domain-timeout ------------------------------------------------------------

run "domain-timeout = 5" -j 1 slow.test
t_ok "domain-timeout = 5: the run ends in time (${MS} ms, eight MX hosts would take 16 s)" \
    test "$MS" -le 9000
t_is "$CHK_RC" 1 "domain-timeout: warnings, exit 1" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "slow\.test: warning: the checks of slow\.test were cut short: domain-timeout \(5 s\) ran out" \
    "the run says the domain was cut short, and by what"
n=$(printf '%s\n' "$CHK_OUT" | grep -c "MX mx[0-9]\.slow\.test not checked: cut short, domain-timeout (5 s) ran out")
t_ok "the MX hosts not checked are named ($n of 8)" test "$n" -ge 4 -a "$n" -le 7
t_like "$CHK_OUT" "mx[0-9]\.slow\.test.*(cut short: domain-timeout \(5 s\) ran out|within 2 s)" \
    "the MX host being checked when time ran out is named"
t_like "$CHK_OUT" "cannot look up _smtp\._tls\.slow\.test: cut short: domain-timeout \(5 s\) ran out" \
    "the TLS-RPT lookup after the deadline is named as cut short"
t_like "$(ns_sts_id slow.test)" '^[0-9]{14}$' "the id was published before time ran out"

run "" -j 1 slow.test
t_ok "without domain-timeout (default 300 s): all eight checked (${MS} ms)" \
    test "$MS" -ge 14000
t_unlike "$CHK_OUT" "cut short" "... and nothing is cut short"

# ---- run-timeout -------------------------------------------------------------------

run "run-timeout = 4" -j 1
t_is "$CHK_RC" 2 "run-timeout = 4: a domain not checked is an error, exit 2" || t_diag "$CHK_OUT"
t_ok "run-timeout: the run ends in time (${MS} ms)" test "$MS" -le 8000
t_like "$CHK_OUT" "slow\.test: warning: the checks of slow\.test were cut short: run-timeout \(4 s\) ran out" \
    "the domain running when the run's time ran out was cut short"
t_like "$CHK_OUT" "zz-after\.test: error: zz-after\.test not checked: the run took longer than run-timeout \(4 s\)" \
    "the domain after it is named as not checked"

t_done
