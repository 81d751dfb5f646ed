#!/bin/bash
# SPDX-License-Identifier: ISC
# The normal checker run reads the TLS-RPT reports `ingest` stored, in a
# network namespace where everything else is healthy (tests/lib/netns.sh):
# a domain whose reports show failures gets a warning (tlsrpt.failures) per
# receiving MX and result type, naming the MX, the result type, the count
# and who reported it; a domain in testing with 10 days of clean reports
# from two organisations gets tlsrpt.ready (info); one organisation alone
# is not enough; failures older than the domain's window are not reported.
# The findings reach the JSON Lines, CSV and Prometheus outputs.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init tlsrpt-check
t_plan 15
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
ns_domain broken.test
ns_domain ready.test
ns_domain alone.test
ns_domain old.test
ns_checker_conf
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { t_done; exit; }
CONF=$NS_CHECK/mta-sts.conf

# gen < LINES: per line "OUT DOMAIN ORG ID DAYS_AGO GOOD [FAILED RESULT MX
# IP]", a report as RFC 8460 §4.4's example, for one day DAYS_AGO, of the
# policy we serve (one python3 for them all)
cat >"$T/gen.py" <<'EOF'
import sys, json, datetime
for line in sys.stdin:
    if not line.split():
        continue
    out, dom, org, rid, ago, good, *fail = line.split()
    day = datetime.date.today() - datetime.timedelta(days=int(ago))
    p = {"policy": {"policy-type": "sts", "policy-domain": dom,
                    "policy-string": ["version: STSv1", "mode: testing",
                                      "mx: mx1.example.test", "mx: mx2.example.test",
                                      "max_age: 86400"],
                    "mx-host": ["mx1.example.test", "mx2.example.test"]},
         "summary": {"total-successful-session-count": int(good),
                     "total-failure-session-count": int(fail[0]) if fail else 0}}
    if fail:
        p["failure-details"] = [{"result-type": fail[1], "sending-mta-ip": fail[3],
                                 "receiving-mx-hostname": fail[2],
                                 "failed-session-count": int(fail[0])}]
    json.dump({"organization-name": org,
               "date-range": {"start-datetime": "%sT00:00:00Z" % day,
                              "end-datetime": "%sT23:59:59Z" % day},
               "contact-info": "smtp-tls-reporting@%s" % org.lower(),
               "report-id": rid, "policies": [p]}, open(out, "w"))
EOF
gen() { python3 "$T/gen.py" || { echo "Bail out! gen.py"; exit 255; }; }

ns_check
t_is "$CHK_RC" 0 "before any report: exit 0" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "" "before any report: nothing to say (cron-quiet)"

mkdir -p "$T/in"
# broken.test: mx2's certificate fails for two senders (two sending IPs),
# mx1 lacks STARTTLS for a third; ready.test: ten clean days from two
# organisations, alone.test from one; old.test: a failure twenty days
# ago, outside its window (7 days)
{
	echo "$T/in/b1.json broken.test Google b-g-1 1 900 7 certificate-host-mismatch mx2.example.test 192.0.2.7"
	echo "$T/in/b2.json broken.test Microsoft b-m-1 2 500 3 certificate-host-mismatch mx2.example.test 198.51.100.9"
	echo "$T/in/b3.json broken.test Yahoo b-y-1 1 100 1 starttls-not-supported mx1.example.test 203.0.113.5"
	for d in 1 2 3 4 5 6 7 8 9 10; do
		echo "$T/in/rg$d.json ready.test Google r-g-$d $d 1000"
		echo "$T/in/rm$d.json ready.test Microsoft r-m-$d $d 700"
		echo "$T/in/a$d.json alone.test Google a-g-$d $d 300"
	done
	echo "$T/in/o1.json old.test Google o-g-1 20 100 5 certificate-expired mx1.example.test 192.0.2.1"
	echo "$T/in/o2.json old.test Google o-g-2 1 100"
} | gen
"$NS_CHECKER" -c "$CONF" ingest "$T"/in/*.json >"$T/ingest.out" 2>&1
t_is "$?" 0 "35 reports ingested" || t_diag "$(cat "$T/ingest.out")"

ns_check
t_is "$CHK_RC" 1 "a run with failures in the reports: exit 1 (warnings)"
t_is "$CHK_OUT" "broken.test: warning: MX mx1.example.test: TLS-RPT: starttls-not-supported, 1 failed session in the last 7 days, reported by Yahoo: it does not offer STARTTLS: enable it
broken.test: warning: MX mx2.example.test: TLS-RPT: certificate-host-mismatch, 10 failed sessions in the last 7 days, reported by Google, Microsoft: its certificate does not name it: add the MX name to the certificate
4 domains: 3 ok, 1 with warnings, 0 with errors; 4 ids published" \
    "the text report: one warning per MX and result type, with the count and the senders"

ns_check --format jsonl
t_is "$(printf '%s\n' "$CHK_OUT" | grep -oE '"code":"tlsrpt\.(failures|ready|store)"' | sort | uniq -c | sed 's/^ *//')" \
'2 "code":"tlsrpt.failures"
1 "code":"tlsrpt.ready"' "JSON Lines: two tlsrpt.failures and one tlsrpt.ready"
t_like "$CHK_OUT" '"domain":"ready\.test".*"level":"info","code":"tlsrpt\.ready","host":"_smtp\._tls\.ready\.test","message":"TLS-RPT: ready for enforce: 14 reports from 2 organisations \(Google, Microsoft\) cover 7\.0 days with no failure; set mode = enforce"' \
    "JSON Lines: ready.test is ready for enforce, as info (the reports of its window, 7 days)"
t_unlike "$CHK_OUT" '"domain":"(alone|old)\.test"[^}]*"code":"tlsrpt\.(failures|ready)"' \
    "no TLS-RPT finding for one organisation alone, nor for a failure outside the window"

t_like "$CHK_OUT" '"domain":"broken\.test","level":"warning","code":"tlsrpt\.failures","host":"mx2\.example\.test","message":"MX mx2\.example\.test: TLS-RPT: certificate-host-mismatch, 10 failed sessions' \
    "JSON Lines: a failure's host is the receiving MX"
ns_check --format csv
t_like "$(printf '%s\n' "$CHK_OUT" | grep '^broken\.test,')" \
    '^broken\.test,broken\.test,warning,testing,86400,[0-9]{14},[0-9]{14},yes,0,2,"?MX mx1\.example\.test: TLS-RPT: starttls-not-supported, 1 failed session' \
    "CSV: broken.test's row counts the two warnings and gives the first"
t_like "$(printf '%s\n' "$CHK_OUT" | grep '^ready\.test,')" \
    '^ready\.test,ready\.test,ok,testing,86400,[0-9]{14},[0-9]{14},yes,0,0,' \
    "CSV: ready.test's row is ok (readiness is info)"
ns_check --format prometheus
t_is "$(printf '%s\n' "$CHK_OUT" | grep '^mtasts_domain_status{' | sort)" \
'mtasts_domain_status{domain="alone.test"} 0
mtasts_domain_status{domain="broken.test"} 1
mtasts_domain_status{domain="old.test"} 0
mtasts_domain_status{domain="ready.test"} 0' "Prometheus: broken.test's status is warning (1)"

# a failure reported in enforce mode is still a warning; no readiness then
printf 'mode = enforce\n' >"$NS_CHECK/domains/ready.test"
echo "$T/in/r-fail.json ready.test Google r-g-f 1 10 2 validation-failure mx1.example.test 192.0.2.3" | gen
"$NS_CHECKER" -c "$CONF" ingest "$T/in/r-fail.json" >/dev/null 2>&1
ns_check -n ready.test
t_like "$CHK_OUT" "ready.test: warning: MX mx1.example.test: TLS-RPT: validation-failure, 2 failed sessions in the last 7 days, reported by Google: its certificate does not validate" \
    "a failure for a domain in enforce: the warning"
t_unlike "$CHK_OUT" "ready for enforce" "in enforce: no readiness"
t_done
