#!/bin/bash
# mta-sts-check's report for an operator of many domains, in a network
# namespace (tests/lib/netns.sh): 200 hosted domains sharing the MX hosts
# mx1 and mx2, one more with an MX its policy does not cover. With mx2
# down, the text report is a handful of lines: the shared cause once with
# its count and the first domains, the other finding, the summary last.
# --changes prints only what appeared or cleared since its previous run,
# and nothing when nothing changed; the exit status is the current state.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-report
N=200
i=0
while [ "$i" -lt "$N" ]; do
	ns_domain "$(printf 'd%03d.test' "$i")"
	i=$((i + 1))
done
# one more domain: an MX its policy (mx from the certificates) leaves out
ns_domain odd.test "" "@ MX 30 mx3.example.test."
ns_checker_conf
t_ok "environment: Knot with $((N + 1)) zones, lighttpd + responder, smtpd in $NS" ns_start ||
    { t_done; exit; }

# the SMTP listener on ADDR:25 this test started (by its command line)
smtpd_pid() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' <"$f" 2>/dev/null | grep -q "^$NS_SMTPD -l $1:25 "; then
			f=${f#/proc/}
			echo "${f%/cmdline}"
			return 0
		fi
	done
	return 1
}

ALL=$((N + 1))
UNCOVERED="odd.test: warning: MX mx3.example.test matches no mx pattern of the policy (mx1.example.test, mx2.example.test)"

# ---- first run: every id published, one warning --------------------------------

ns_check -j 8
t_is "$CHK_RC" 1 "first run: exit 1 (one warning)" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "$UNCOVERED
$ALL domains: $N ok, 1 with warnings, 0 with errors; $ALL ids published" \
    "first run: the one warning, then the summary"

# ---- one shared MX down -------------------------------------------------------------

pid=$(smtpd_pid 127.0.0.3)
t_like "$pid" '^[0-9]+$' "the smtpd of mx2 (127.0.0.3) runs as $pid"
t_stop "$pid"
ns_check -j 8
t_is "$CHK_RC" 1 "mx2 down (mode testing): exit 1" || t_diag "$CHK_OUT"
SHARED="warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($ALL domains: d000.test, d001.test, d002.test and $((ALL - 3)) more)"
t_is "$CHK_OUT" "$SHARED
$UNCOVERED
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
    "mx2 down: the shared cause once with its count, the other warning, the summary"
t_is "$(printf '%s\n' "$CHK_OUT" | wc -l)" 3 "mx2 down: 3 lines for $ALL domains"

ns_check -j 8 -q
t_is "$CHK_RC:$CHK_OUT" "1:" "-q: warnings are not shown, exit 1 all the same"

# ---- --changes ------------------------------------------------------------------------

ns_check -j 8 --changes
t_is "$CHK_RC" 1 "--changes, first time: exit 1" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "$SHARED
$UNCOVERED
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
    "--changes, first time: everything is new"
t_ok "--changes remembers in the state directory" test -f "$T/state/changes"
t_is "$(stat -c %a "$T/state/changes")" 600 "the changes file is private"

ns_check -j 8 --changes
t_is "$CHK_RC:$CHK_OUT" "1:" "--changes, nothing changed: not a word, exit 1 (still warnings)"

# one domain more loses mx2 too, yet the cause is the same: its domains changed
ns_knotc zone-begin d007.test >/dev/null
ns_knotc zone-unset d007.test @ MX >/dev/null
ns_knotc zone-set d007.test @ 60 MX "10 mx1.example.test." >/dev/null
ns_knotc zone-commit d007.test >/dev/null
ns_check -j 8 --changes
t_is "$CHK_OUT" "warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($N domains: d000.test, d001.test, d002.test and $((N - 3)) more)
d007.test: warning: mx pattern mx2.example.test matches no MX host of d007.test
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
    "--changes: a shared cause whose domains changed is shown again, with the new finding"

t_ok "mx2 listens again" ns_smtpd 127.0.0.3 mx2
ns_check -j 8 --changes
t_is "$CHK_RC" 1 "mx2 back: exit 1 (two warnings left)" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "cleared: warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($N domains: d000.test, d001.test, d002.test and $((N - 3)) more)
$ALL domains: $((N - 1)) ok, 2 with warnings, 0 with errors; $ALL ids published" \
    "mx2 back: --changes says the shared cause cleared"
ns_check -j 8 --changes
t_is "$CHK_RC:$CHK_OUT" "1:" "and then nothing"

# ---- -v: the summary always, ok lines grouped -----------------------------------------

ns_check -j 8 -v
t_like "$(printf '%s\n' "$CHK_OUT" | tail -n 1)" "^$ALL domains: $((N - 1)) ok, 2 with warnings, 0 with errors; $ALL ids published\$" \
    "-v: the summary is the last line"
t_like "$CHK_OUT" "info: mode testing, max_age 86400, mx mx1.example.test, mx2.example.test \\($ALL domains: d000.test, d001.test, d002.test and $((ALL - 3)) more\\)" \
    "-v: the same info for every domain is one line"
first_info=$(printf '%s\n' "$CHK_OUT" | grep -n ': info: \|^info: ' | head -n 1 | cut -d: -f1)
last_warn=$(printf '%s\n' "$CHK_OUT" | grep -n 'warning: ' | tail -n 1 | cut -d: -f1)
t_ok "-v: warnings before info (warning line $last_warn, info line $first_info)" \
    test "${last_warn:-99999}" -lt "${first_info:-0}"

t_done
