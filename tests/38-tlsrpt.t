#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check ingest and report, end to end with the built checker:
# TLS-RPT reports shaped like those large senders send (RFC 8460 §4.4's
# example, gzip'd JSON in a multipart/report message, built with Python's
# email package) through the pipe alias (stdin), a Maildir, a bare
# .json.gz and the responder's spool directory; duplicates change nothing;
# `report` counts per domain, MX and result type, and says which domain is
# ready for enforce; hostile input is refused with the right exit code and
# the store is left as it was.
. "$(dirname "$0")/lib/testlib.sh"
t_init tlsrpt
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built"

mkdir -p "$T/domains" "$T/state" "$T/certs" "$T/md/new" "$T/md/cur" \
    "$T/md/tmp" "$T/spool"
cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
state = $T/state
certs = $T/certs
EOF
printf 'mode = testing\nmx = mx1.ready.example\n' >"$T/domains/ready.example"
printf 'mode = testing\nmx = mx1.broken.example, mx2.broken.example\n' \
    >"$T/domains/broken.example"
printf 'mode = testing\nmx = *.mail.company-y.example\nmax-age = 86400\n' \
    >"$T/domains/company-y.example"
ck() { "$CHECK" -c "$T/mta-sts.conf" "$@"; }
# a digest of everything in the store (names and contents)
store_sum() {
	(cd "$T/state" && find . -type f | sort | xargs -r sha256sum) | sha256sum
}

# gen.py KIND OUT DOMAIN ORG ID DAYS_AGO OK [FAIL RESULT MX IP] [POLICY...]
# KIND: json, gz or mail (multipart/report, gzip'd part, base64)
cat >"$T/gen.py" <<'EOF'
import sys, json, gzip, datetime
from email.message import EmailMessage
kind, out, dom, org, rid, ago, good = sys.argv[1:8]
rest = sys.argv[8:]
fail = rest[:4] if len(rest) >= 4 and rest[0] != "-" else None
lines = rest[4:] if fail else rest[1:]
if lines and lines[0].startswith("@"):
    lines = [l.rstrip("\r") for l in open(lines[0][1:]).read().split("\n") if l.strip()]
day = datetime.date.today() - datetime.timedelta(days=int(ago))
pol = lines or ["version: STSv1", "mode: testing", "mx: mx1.%s" % dom,
                "max_age: 604800"]
p = {"policy": {"policy-type": "sts", "policy-string": pol,
                "policy-domain": dom, "mx-host": ["mx1.%s" % dom]},
     "summary": {"total-successful-session-count": int(good),
                 "total-failure-session-count": int(fail[0]) if fail else 0}}
if fail:
    p["failure-details"] = [{"result-type": fail[1], "sending-mta-ip": fail[3],
        "receiving-mx-hostname": fail[2], "failed-session-count": int(fail[0])}]
r = {"organization-name": org,
     "date-range": {"start-datetime": "%sT00:00:00Z" % day,
                    "end-datetime": "%sT23:59:59Z" % day},
     "contact-info": "tlsrpt@%s" % org.lower(), "report-id": rid,
     "policies": [p]}
body = json.dumps(r).encode()
if kind == "json":
    open(out, "wb").write(body)
elif kind == "gz":
    open(out, "wb").write(gzip.compress(body))
else:
    m = EmailMessage()
    m["From"] = "noreply-smtp-tls-reporting@%s" % org.lower()
    m["To"] = "tlsrpt@%s" % dom
    m["Subject"] = "Report Domain: %s Submitter: %s Report-ID: <%s>" % (dom, org, rid)
    m["TLS-Report-Domain"] = dom
    m["TLS-Report-Submitter"] = org
    m.set_content("This is an aggregate TLS report from %s" % org)
    m.add_attachment(gzip.compress(body), maintype="application",
                     subtype="tlsrpt+gzip",
                     filename="%s!%s!%s.json.gz" % (org, dom, rid))
    m.replace_header("Content-Type", 'multipart/report; report-type="tlsrpt"; boundary="%s"' % m.get_boundary())
    open(out, "wb").write(bytes(m))
EOF
gen() { python3 "$T/gen.py" "$@" || { echo "Bail out! gen.py $*"; exit 255; }; }

# ---- the pipe alias: a whole message on stdin ----------------------------
gen mail "$T/m1.eml" broken.example Google r-g-1 2 1000 \
    7 certificate-host-mismatch mx2.broken.example 192.0.2.7
grep -q 'multipart/report; report-type="tlsrpt"' "$T/m1.eml" &&
    grep -q 'application/tlsrpt+gzip' "$T/m1.eml" ||
    t_fail "the generated message is a multipart/report with a tlsrpt+gzip part"
out=$(ck ingest <"$T/m1.eml" 2>&1); rc=$?
t_is "$rc" 0 "pipe alias: a multipart/report message is stored (exit 0)"
t_is "$out" "stdin: report-id r-g-1 from Google: stored" "pipe alias: says so"
t_is "$(ls "$T/state/reports/broken.example" | wc -l)" 1 "one file in reports/broken.example/"
sum1=$(store_sum)
out=$(ck ingest <"$T/m1.eml" 2>&1); rc=$?
t_is "$rc" 0 "the same message again: exit 0"
t_is "$out" "stdin: report-id r-g-1 from Google: already stored" "the same message again: a duplicate"
t_is "$(store_sum)" "$sum1" "re-ingesting the same report changes nothing"

# ---- Maildir ------------------------------------------------------------------
gen mail "$T/md/new/1700000000.M1.host" broken.example Microsoft r-m-1 1 500
gen mail "$T/md/new/1700000001.M2.host" broken.example Microsoft r-m-2 2 400 \
    3 certificate-host-mismatch mx2.broken.example 198.51.100.9
cp "$T/m1.eml" "$T/md/new/1700000002.M3.host"	# a duplicate
out=$(ck ingest --maildir "$T/md" 2>&1); rc=$?
t_is "$rc" 0 "--maildir: exit 0"
t_is "$(ls "$T/md/new" | wc -l)" 0 "--maildir: new/ is empty"
t_is "$(ls "$T/md/cur" | sort | tr '\n' ' ')" \
    "1700000000.M1.host:2,S 1700000001.M2.host:2,S 1700000002.M3.host:2,S " \
    "--maildir: every message moved to cur/, flagged seen"
t_like "$out" "r-m-2 from Microsoft: stored" "--maildir: says what it stored"

# ---- a bare .json.gz, the spool directory (HTTPS POST bodies) ------------
gen gz "$T/r.json.gz" broken.example Yahoo r-y-1 1 300
out=$(ck ingest "$T/r.json.gz" 2>&1); rc=$?
t_is "$rc" 0 "a bare .json.gz: exit 0"
t_is "$out" "$T/r.json.gz: report-id r-y-1 from Yahoo: stored" "a bare .json.gz: stored"
gen gz "$T/spool/post-1" broken.example Comcast r-c-1 1 200
gen json "$T/spool/post-2" broken.example Comcast r-c-2 2 100
out=$(ck ingest --spool "$T/spool" 2>&1); rc=$?
t_is "$rc" 0 "--spool: exit 0 (a tlsrpt+gzip and a tlsrpt+json body)"
t_is "$(ls -A "$T/spool" | wc -l)" 0 "--spool: stored files are removed"
t_is "$(ls "$T/state/reports/broken.example" | wc -l)" 6 "six reports stored for broken.example"

# ---- report: counts per domain, MX and result type --------------------------
out=$(ck report broken.example 2>&1); rc=$?
t_is "$rc" 0 "report broken.example: exit 0"
t_like "$out" "  reports: 6 from 4 organisations \(Comcast, Google, Microsoft, Yahoo\)" \
    "report: six reports from four organisations"
t_like "$out" "  sessions: 2500 succeeded, 10 failed" "report: sessions succeeded and failed"
t_like "$out" "  failure: certificate-host-mismatch on mx2.broken.example from 192.0.2.7: 7 sessions \(Google\)" \
    "report: the failure by result type, MX and sending IP"
t_like "$out" "  failure: certificate-host-mismatch on mx2.broken.example from 198.51.100.9: 3 sessions \(Microsoft\)" \
    "report: the other sending IP on its own line"
t_like "$out" "verdict: not ready for enforce: mx2.broken.example: its certificate does not name it" \
    "broken.example is not ready and the verdict names mx2"
t_unlike "$out" "mx1.broken.example" "the clean MX is not blamed"
t_like "$out" "policy seen: current 0 sessions, older policy 2510, no policy 0" \
    "the senders saw another policy (one mx, where we serve two)"

# ---- readiness: ten days of clean reports from two organisations -----------
ck policy ready.example >"$T/served.txt"
for d in 1 2 3 4 5 6 7 8 9 10; do
	gen gz "$T/rg$d.gz" ready.example Google "ready-g-$d" "$d" 1000 - "@$T/served.txt"
	gen gz "$T/rm$d.gz" ready.example Microsoft "ready-m-$d" "$d" 700 - "@$T/served.txt"
done
ck ingest "$T"/rg*.gz >/dev/null 2>&1
out=$(ck report ready.example 2>&1)
t_like "$out" "verdict: not yet: reports from 1 organisation, 2 needed" \
    "one organisation is not enough"
ck ingest "$T"/rm*.gz >/dev/null 2>&1; rc=$?
t_is "$rc" 0 "twenty clean reports ingested"
out=$(ck report ready.example 2>&1)
t_like "$out" "reports: 14 from 2 organisations \(Google, Microsoft\), covering 7\.0 days" \
    "the default window (7 days) holds the reports that overlap it"
t_like "$out" "sessions: 11900 succeeded, 0 failed" "ready.example: clean sessions"
t_like "$out" "  verdict: ready for enforce" "ready.example is ready for enforce"
out=$(ck report --since 3 ready.example 2>&1)
t_like "$out" "verdict: not yet: reports cover 3\.0 days, 7\.0 needed" \
    "--since 3: three days are not enough"

# ---- which policy the sender saw -----------------------------------------------
gen json "$T/cy.json" company-y.example Company-X cy-1 1 50 - \
    "version: STSv1" "mode: testing" "mx: *.mail.company-y.example" "max_age: 86400"
gen json "$T/cy2.json" company-y.example Company-X cy-2 2 25 - \
    "version: STSv1" "mode: none" "max_age: 86400"
ck ingest "$T/cy.json" "$T/cy2.json" >/dev/null 2>&1
out=$(ck report company-y.example 2>&1)
t_like "$out" "policy seen: current 50 sessions, older policy 25, no policy 0" \
    "policy-string matched against the policy we serve"

# ---- hostile input: refused, store untouched --------------------------------
sum=$(store_sum)
python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.compress(b"\0" * (100 << 20), 9))' >"$T/bomb.gz"
out=$(ck ingest <"$T/bomb.gz" 2>&1); rc=$?
t_is "$rc" 65 "gzip bomb: EX_DATAERR"
t_is "$out" "mta-sts-check: stdin: gzip: decompressed size above 16777216 bytes; refused" "gzip bomb: message"
python3 -c 'import sys; sys.stdout.write("[" * 10000 + "]" * 10000)' >"$T/deep.json"
out=$(ck ingest "$T/deep.json" 2>&1); rc=$?
t_is "$rc" 65 "10,000-deep JSON: EX_DATAERR"
t_is "$out" "mta-sts-check: $T/deep.json: JSON nested deeper than 16 levels; refused" "10,000-deep JSON: message"
out=$(head -c 100000000 /dev/zero | ck ingest 2>&1); rc=$?
t_is "$rc" 65 "a 100 MB body on stdin: EX_DATAERR"
t_is "$out" "mta-sts-check: stdin: larger than 33554432 bytes; refused" "100 MB body: message"
gen mail "$T/other.eml" other.example Google r-o-1 1 10
out=$(ck ingest <"$T/other.eml" 2>&1); rc=$?
t_is "$rc" 65 "a report for a domain we do not serve: EX_DATAERR"
t_is "$out" "mta-sts-check: stdin: report-id r-o-1: for other.example, a domain not served here; refused" \
    "a report for another domain: message"
out=$(printf 'From: x\r\nContent-Type: multipart/report; boundary=zz\r\n\r\n--zz\r\n\x01\x02\xff--zz' | ck ingest 2>&1); rc=$?
t_is "$rc" 65 "garbage MIME: EX_DATAERR"
t_is "$out" "mta-sts-check: stdin: no application/tlsrpt+gzip or application/tlsrpt+json part in the message" \
    "garbage MIME: message"
gen json "$T/bad.json" broken.example Google r-bad 1 10 1 OMIT mx1.broken.example 192.0.2.1
sed -i 's/"result-type": "OMIT", //' "$T/bad.json"
out=$(ck ingest "$T/bad.json" 2>&1); rc=$?
t_is "$rc" 65 "a malformed report: EX_DATAERR"
t_is "$out" "mta-sts-check: $T/bad.json: report-id r-bad: policies[0].failure-details[0]: result-type missing" \
    "a malformed report: the message names the field"
t_is "$(store_sum)" "$sum" "after all the hostile input the store is unchanged"

# malformed input in the Maildir and the spool is set aside, not retried
cp "$T/deep.json" "$T/md/new/1700000009.M9.host"
ck ingest --maildir "$T/md" >/dev/null 2>&1; rc=$?
t_is "$rc" 65 "--maildir with a malformed message: EX_DATAERR"
t_ok "--maildir: the malformed message is in cur/, unread" test -f "$T/md/cur/1700000009.M9.host:2,"
cp "$T/bomb.gz" "$T/spool/post-9"
ck ingest --spool "$T/spool" >/dev/null 2>&1; rc=$?
t_is "$rc" 65 "--spool with a bomb: EX_DATAERR"
t_is "$(ls "$T/spool")" "post-9.bad" "--spool: the bomb is kept as post-9.bad"
t_is "$(store_sum)" "$sum" "the store is still unchanged"

# ---- the store cannot be written: EX_TEMPFAIL, the MTA defers ---------------
: >"$T/notadir"
sed "s#^state = .*#state = $T/notadir#" "$T/mta-sts.conf" >"$T/bad.conf"
gen mail "$T/m9.eml" broken.example Google r-g-9 1 10
out=$("$CHECK" -c "$T/bad.conf" ingest <"$T/m9.eml" 2>&1); rc=$?
t_is "$rc" 75 "store not writable: EX_TEMPFAIL"
t_like "$out" "notadir/reports: cannot create: Not a directory; try again later" \
    "store not writable: says why"
cp "$T/m9.eml" "$T/md/new/1700000010.M10.host"
"$CHECK" -c "$T/bad.conf" ingest --maildir "$T/md" >/dev/null 2>&1; rc=$?
t_is "$rc" 75 "--maildir, store not writable: EX_TEMPFAIL"
t_ok "--maildir: the message stays in new/ for the next run" \
    test -f "$T/md/new/1700000010.M10.host"
out=$("$CHECK" -c "$T/nonexistent.conf" ingest <"$T/m9.eml" 2>&1); rc=$?
t_is "$rc" 75 "configuration unreadable: EX_TEMPFAIL (never dropped)"

# ---- report-keep: old reports are pruned ---------------------------------------
gen json "$T/old.json" broken.example Google r-old 20 10
ck ingest "$T/old.json" >/dev/null 2>&1
n=$(ls "$T/state/reports/broken.example" | wc -l)
printf 'report-keep = 10\n' >>"$T/mta-sts.conf"
sed 's/^report-keep = 10$/report-keep = 0/' "$T/mta-sts.conf" >"$T/keep0.conf"
out=$(ck ingest "$T/old.json" 2>&1); rc=$?
t_is "$rc" 0 "a report older than report-keep: exit 0"
t_like "$out" "ended more than report-keep \(10 days\) ago; not stored" "and it says so"
t_is "$(ls "$T/state/reports/broken.example" | wc -l)" $((n - 1)) \
    "report-keep = 10: the 20-day-old report was pruned"
out=$("$CHECK" -c "$T/keep0.conf" ingest "$T/old.json" 2>&1); rc=$?
t_is "$rc" 75 "report-keep = 0 is a configuration error: EX_TEMPFAIL"
t_like "$out" "report-keep '0' is not valid \(expected days, 1 to 3650\)" "report-keep = 0: message"

t_done
