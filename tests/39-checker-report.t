#!/bin/bash
# SPDX-License-Identifier: ISC
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
# REPORT_DOMAINS=2000 for a memory measurement (see the -v run below)
N=${REPORT_DOMAINS:-200}
i=0
while [ "$i" -lt "$N" ]; do
	ns_domain "$(printf 'd%03d.test' "$i")"
	i=$((i + 1))
done
# one more domain: an MX its policy (mx from the certificates) leaves out
ns_domain odd.test "" "@ MX 30 mx3.example.test."
# and an IDN domain, its file named in U-labels
ns_domain xn--bcher-kva.test
rm "$NS_CHECK/domains/xn--bcher-kva.test"
ns_domain_file bücher.test ""
ns_checker_conf
t_ok "environment: Knot with $((N + 2)) zones, lighttpd + responder, smtpd in $NS" ns_start ||
    { t_done; exit; }

# the SMTP listener on ADDR:25 this test started (by its command line)
smtpd_pid() {
	local f
	for f in /proc/[0-9]*/cmdline; do
		if tr '\0' ' ' 2>/dev/null <"$f" | grep -q "^$NS_SMTPD -l $1:25 "; then
			f=${f#/proc/}
			echo "${f%/cmdline}"
			return 0
		fi
	done
	return 1
}

ALL=$((N + 2))
# the first domains, in file name order (bücher.test first)
FIRST="xn--bcher-kva.test, d000.test, d001.test"
UNCOVERED="odd.test: warning: MX mx3.example.test matches no mx pattern of the policy (mx1.example.test, mx2.example.test)"

# ---- first run: every id published, one warning --------------------------------

ns_check -j 8
t_is "$CHK_RC" 1 "first run: exit 1 (one warning)" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "$UNCOVERED
$ALL domains: $((ALL - 1)) ok, 1 with warnings, 0 with errors; $ALL ids published" \
    "first run: the one warning, then the summary"

# steady runs, measured: peak RSS with every domain's report folded or
# written as it ends, whatever the format
if ldd "$NS_CHECKER" 2>/dev/null | grep -q libasan; then
	t_skip 3 "the checker is an ASan build (make SANITIZE=1): its shadow memory is no measure"
elif [ -x /usr/bin/time ]; then
	for f in text json html; do
		ns_exec /usr/bin/time -v "$NS_CHECKER" -c "$NS_CHECK/mta-sts.conf" -j 8 \
		    --format "$f" >"$T/steady.out" 2>"$T/steady.time"
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/steady.time")
		secs=$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$T/steady.time")
		t_ok "steady run over $ALL domains, --format $f: peak RSS ${rss:-?} KiB, $secs" \
		    test "${rss:-999999}" -lt 65536
	done
else
	t_skip 3 "no /usr/bin/time (Debian package time)"
fi

# ---- one shared MX down -------------------------------------------------------------

pid=$(smtpd_pid 127.0.0.3)
t_like "$pid" '^[0-9]+$' "the smtpd of mx2 (127.0.0.3) runs as $pid"
t_stop "$pid"
ns_check -j 8
t_is "$CHK_RC" 1 "mx2 down (mode testing): exit 1" || t_diag "$CHK_OUT"
SHARED="warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($ALL domains: $FIRST and $((ALL - 3)) more)"
t_is "$CHK_OUT" "$SHARED
$UNCOVERED
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
    "mx2 down: the shared cause once with its count, the other warning, the summary"
t_is "$(printf '%s\n' "$CHK_OUT" | wc -l)" 3 "mx2 down: 3 lines for $ALL domains"

ns_check -j 8 -q
t_is "$CHK_RC:$CHK_OUT" "1:" "-q: warnings are not shown, exit 1 all the same"

# ---- every format, read back by a real consumer (mx2 still down) -------------------------

# Debian's python3 (deploy/packages.txt: python3-prometheus-client), not one
# earlier on PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

# the finding codes mta-sts-check(8) documents
sed -n '/^\.Sh FINDING CODES/,/^\.Sh /s/^\.It Li \([a-z_.]*\)$/\1/p' \
    "$T_TOP/checker/mta-sts-check.8" >"$T/codes"
t_ok "mta-sts-check(8) lists finding codes ($(wc -l <"$T/codes"))" test "$(wc -l <"$T/codes")" -ge 30
used=$(grep -ho 'report_add([^"]*"[a-z_.]*"' "$T_TOP"/checker/*.c | sed 's/.*"\(.*\)"/\1/' | sort -u)
undocumented=$(for c in $used; do grep -qx "$c" "$T/codes" || echo "$c"; done)
t_is "$undocumented" "" "every code the checker uses is documented"

ns_check -j 8 --format json -o "$T/r.json"
t_is "$CHK_RC:$CHK_OUT" "1:" "--format json -o: nothing on stdout, exit 1"
t_is "$(stat -c %a "$T/r.json")" 644 "-o: the file is readable by the web server"
t_is "$(ls "$T" | grep -c '^r\.json\.')" 0 "-o: no temporary file left"
py_json() {
	"$PY" - "$T/r.json" "$T/codes" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
codes = set(open(sys.argv[2]).read().split())
s = doc["summary"]
print("summary", s["domains"], s["ok"], s["warnings"], s["errors"], s["published"], doc["status"])
print("domains", len(doc["domains"]), doc["domains"][0]["domain"], doc["domains"][-1]["domain"])
d = [x for x in doc["domains"] if x["domain"] == "d000.test"][0]
print("d000", d["status"], d["mode"], d["max_age"], d["published"], d["served"], d["id"] == d["dns_id"])
bad = [f["code"] for x in doc["domains"] for f in x["findings"] if f["code"] not in codes]
print("undocumented", len(bad))
mx2 = [f for x in doc["domains"] for f in x["findings"] if f["code"] == "smtp.starttls"]
print("smtp.starttls", len(mx2), mx2[0]["level"], mx2[0]["host"], mx2[0]["domain"])
PY
}
t_is "$(py_json 2>&1)" "summary $ALL 0 $ALL 0 $ALL 1
domains $ALL xn--bcher-kva.test odd.test
d000 warning testing 86400 True True True
undocumented 0
smtp.starttls $ALL warning mx2.example.test xn--bcher-kva.test" "json: Python's json module reads the summary, every domain and documented codes"

ns_check -j 8 --format jsonl -o "$T/r.jsonl"
t_is "$CHK_RC" 1 "--format jsonl: exit 1"
py_jsonl() {
	"$PY" - "$T/r.jsonl" "$T/codes" <<'PY'
import json, sys
codes = set(open(sys.argv[2]).read().split())
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]
fs = [o for o in objs if o["type"] == "finding"]
sm = [o for o in objs if o["type"] == "summary"]
print("summary", len(sm), objs[-1]["type"], sm[0]["summary"]["domains"], sm[0]["summary"]["warnings"])
print("findings", len(set(f["domain"] for f in fs)), all(f["code"] in codes for f in fs))
print("warnings", sum(1 for f in fs if f["level"] == "warning"))
PY
}
t_is "$(py_jsonl 2>&1)" "summary 1 summary $ALL $ALL
findings $ALL True
warnings $((ALL + 1))" "jsonl: one object per finding, one summary last, documented codes"

ns_check -j 8 --format csv -o "$T/r.csv"
t_is "$CHK_RC" 1 "--format csv: exit 1"
py_csv() {
	"$PY" - "$T/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
idn = rows[0]
print(len(rows), idn["domain"], idn["u_label"], idn["status"], idn["mode"], idn["max_age"], idn["published"], idn["warnings"])
odd = [r for r in rows if r["domain"] == "odd.test"][0]
print(odd["status"], odd["warnings"], odd["first_problem"])
PY
}
t_is "$(py_csv 2>&1)" "$ALL xn--bcher-kva.test bücher.test warning testing 86400 yes 1
warning 2 MX mx3.example.test matches no mx pattern of the policy (mx1.example.test, mx2.example.test)" \
    "csv: Python's csv module reads one row per domain, the quoted message whole"
t_is "$(tr -cd '\r' <"$T/r.csv" | wc -c):$(wc -l <"$T/r.csv")" "$((ALL + 1)):$((ALL + 1))" \
    "csv: every line ends in CRLF (RFC 4180)"

ns_check -j 8 --format prometheus -o "$T/r.prom"
t_is "$CHK_RC" 1 "--format prometheus: exit 1"
py_prom() {
	"$PY" - "$T/r.prom" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fam = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
st = fam["mtasts_domain_status"].samples
print("status", len(st), sum(1 for s in st if s.value == 1))
print("published", sum(s.value for s in fam["mtasts_domain_id_published"].samples))
print("age", len(fam["mtasts_domain_id_age_seconds"].samples), all(s.value >= 0 for s in fam["mtasts_domain_id_age_seconds"].samples))
tls = {s.labels["host"]: s.value for s in fam["mtasts_mx_starttls_ok"].samples}
print("starttls", tls.get("mx1.example.test"), tls.get("mx2.example.test"), tls.get("mx3.example.test"))
exp = {s.labels["host"]: s.value for s in fam["mtasts_mx_cert_expiry_timestamp_seconds"].samples}
print("expiry", sorted(exp), exp["mx1.example.test"] > 1.7e9)
dom = {s.labels["status"]: s.value for s in fam["mtasts_domains"].samples}
print("domains", dom["ok"], dom["warning"], dom["error"], fam["mtasts_run_duration_seconds"].samples[0].value > 0)
PY
}
t_is "$(py_prom 2>&1)" "status $ALL $ALL
published $ALL.0
age $ALL True
starttls 1.0 0.0 1.0
expiry ['mx1.example.test', 'mx3.example.test'] True
domains 0.0 $ALL.0 0.0 True" "prometheus: the prometheus_client parser reads every family"

ns_check -j 8 --format html -o "$T/r.html"
t_is "$CHK_RC" 1 "--format html: exit 1"
t_is "$(grep -Eic '(src|href)="(https?:)?//' "$T/r.html")" 0 "html: no external resource"
CHROME=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROME" ]; then
	t_skip 2 "chromium is not installed (deploy/packages.txt)"
else
	prof=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$prof" --window-size=412,915 \
	    --screenshot="$T/r.png" "file://$T/r.html" >"$T/chrome1.log" 2>&1
	t_like "$(od -A n -t x1 -N 8 "$T/r.png" 2>/dev/null)" '89 50 4e 47' "html: headless Chromium took a screenshot (phone width)" ||
	    t_diag "$(tail -n 5 "$T/chrome1.log")"
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$prof" --dump-dom "file://$T/r.html#status=error" \
	    >"$T/dom.html" 2>"$T/chrome2.log"
	py_dom() {
		"$PY" - "$T/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.rows = []; s.cell = None; s.tbl = None; s.hidden = False; s.counts = ""; s.inc = False
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "table": s.tbl = a.get("id")
        if t == "tr" and s.tbl == "domtable" and "data-status" in a:
            s.rows.append([a["data-status"], "hidden" in a]); s.cur = s.rows[-1]
        if t == "td" and s.tbl == "domtable" and s.rows: s.cell = ""
        if t == "p" and a.get("id") == "counts": s.inc = True
    def handle_endtag(s, t):
        if t == "td" and s.cell is not None:
            s.cur.append(s.cell); s.cell = None
        if t == "p": s.inc = False
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
        if s.inc: s.counts += d
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
print(len(p.rows), p.rows[0][2], p.rows[0][3], p.rows[0][4])
print("hidden by the filter #status=error:", sum(1 for r in p.rows if r[1]))
print(p.counts.split(" (")[0])
PY
	}
	t_is "$(py_dom 2>&1)" "$ALL xn--bcher-kva.test warning testing
hidden by the filter #status=error: $ALL
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
	    "html: Chromium's DOM has every domain, the filter ran, the summary" ||
	    t_diag "$(tail -n 5 "$T/chrome2.log")"
fi

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
t_is "$CHK_OUT" "warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($((ALL - 1)) domains: $FIRST and $((ALL - 4)) more)
d007.test: warning: mx pattern mx2.example.test matches no MX host of d007.test
$ALL domains: 0 ok, $ALL with warnings, 0 with errors; $ALL ids published" \
    "--changes: a shared cause whose domains changed is shown again, with the new finding"

t_ok "mx2 listens again" ns_smtpd 127.0.0.3 mx2
ns_check -j 8 --changes
t_is "$CHK_RC" 1 "mx2 back: exit 1 (two warnings left)" || t_diag "$CHK_OUT"
t_is "$CHK_OUT" "cleared: warning: MX mx2.example.test: connection refused (127.0.0.3 port 25) ($((ALL - 1)) domains: $FIRST and $((ALL - 4)) more)
$ALL domains: $((ALL - 2)) ok, 2 with warnings, 0 with errors; $ALL ids published" \
    "mx2 back: --changes says the shared cause cleared"
ns_check -j 8 --changes
t_is "$CHK_RC:$CHK_OUT" "1:" "and then nothing"

# ---- -v: the summary always, ok lines grouped -----------------------------------------

ns_check -j 8 -v
t_like "$(printf '%s\n' "$CHK_OUT" | tail -n 1)" "^$ALL domains: $((ALL - 2)) ok, 2 with warnings, 0 with errors; $ALL ids published\$" \
    "-v: the summary is the last line"
t_like "$CHK_OUT" "info: mode testing, max_age 86400, mx mx1.example.test, mx2.example.test \\($ALL domains: $FIRST and $((ALL - 3)) more\\)" \
    "-v: the same info for every domain is one line"
first_info=$(printf '%s\n' "$CHK_OUT" | grep -n ': info: \|^info: ' | head -n 1 | cut -d: -f1)
last_warn=$(printf '%s\n' "$CHK_OUT" | grep -n 'warning: ' | tail -n 1 | cut -d: -f1)
t_ok "-v: warnings before info (warning line $last_warn, info line $first_info)" \
    test "${last_warn:-99999}" -lt "${first_info:-0}"

# ---- list, records ------------------------------------------------------------------------

ns_check list
t_is "$CHK_RC" 0 "list: exit 0" || t_diag "$CHK_OUT"
t_is "$(printf '%s\n' "$CHK_OUT" | wc -l)" $((ALL + 1)) "list: a header and a line per domain"
id=$(ns_sts_id d000.test)
t_is "$(printf '%s\n' "$CHK_OUT" | grep '^d000\.test ' | tr -s ' ')" \
    "d000.test d000.test testing 86400 $id $id published" \
    "list: U-label, A-label, mode, max_age, id, published id, status"
t_is "$(printf '%s\n' "$CHK_OUT" | grep 'xn--bcher-kva' | tr -s ' ' | cut -d' ' -f1-3)" \
    "bücher.test xn--bcher-kva.test testing" "list: an IDN domain with both its labels"
ns_check list --hostnames
t_is "$(printf '%s\n' "$CHK_OUT" | grep -vc '^mta-sts\.[a-z0-9.-]*$')" 0 "list --hostnames: only mta-sts.<domain> names"
t_is "$(printf '%s\n' "$CHK_OUT" | sed -n '1p;$p' | tr '\n' ' ')" "mta-sts.xn--bcher-kva.test mta-sts.odd.test " \
    "list --hostnames: one a line, in A-labels"

ns_check records --format zone xn--bcher-kva.test
t_like "$CHK_OUT" '; xn--bcher-kva\.test \(bücher\.test\)' "records: the U-label beside the A-label of an IDN"
ns_check records --format csv
t_is "$CHK_RC" 0 "records --format csv: exit 0"
printf '%s\n' "$CHK_OUT" >"$T/rec.csv"
py_rec_csv() {
	"$PY" - "$T/rec.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
print(len(rows), sorted(set(r["type"] for r in rows)), rows[0]["name"], rows[0]["ttl"], rows[0]["value"][:13])
PY
}
# two TXT records per domain, then the TLSA records of mx1 and mx2 (DANE)
t_is "$(py_rec_csv 2>&1)" "$((2 * ALL + 2)) ['TLSA', 'TXT'] _mta-sts.xn--bcher-kva.test 3600 v=STSv1; id=2" \
    "records --format csv: Python's csv module reads name, type, ttl, value"
ns_check records --format json
printf '%s\n' "$CHK_OUT" >"$T/rec.json"
py_rec_json() {
	"$PY" - "$T/rec.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))["domains"]
idn = [x for x in d if x["domain"] == "xn--bcher-kva.test"][0]
print(len(d), idn["u_label"], [r["name"] for r in idn["records"]])
PY
}
t_is "$(py_rec_json 2>&1)" "$ALL bücher.test ['_mta-sts.xn--bcher-kva.test', '_smtp._tls.xn--bcher-kva.test']" \
    "records --format json: every domain, the U-label of an IDN"
ns_check records --format nsupdate d001.test
t_is "$(printf '%s\n' "$CHK_OUT" | tail -n 1)" "send" "records --format nsupdate: ends with send"
before=$(ns_sts_id d001.test):$(ns_txt _smtp._tls.d001.test)
printf 'zone d001.test\nupdate delete _smtp._tls.d001.test. TXT\n' | ns_nsupdate >/dev/null 2>&1
t_is "$(ns_txt _smtp._tls.d001.test)" "" "the TLS-RPT record of d001.test deleted by hand"
# knsupdate wants the zone named; nsupdate(1) finds it. The domain's part
# (the TLSA records of the MX hosts that follow are in example.test)
ns_nsupdate < <(echo "zone d001.test"; printf '%s\n' "$CHK_OUT" | sed '/^; DANE/,$d; /^send$/d; /^;/d') >"$T/nsupdate.log" 2>&1
t_is "$?" 0 "records --format nsupdate: knsupdate takes the script" || t_diag "$(cat "$T/nsupdate.log")"
t_is "$(ns_sts_id d001.test):$(ns_txt _smtp._tls.d001.test)" "$before" \
    "records --format nsupdate: the script put the records back"

# ---- --help --------------------------------------------------------------------------------

ns_check --help
t_is "$CHK_RC" 0 "--help: exit 0"
for o in -c -n -q -v --changes --format --json -o -j -h -V --hostnames; do
	t_ok "--help: a line for $o" grep -q -- "^  $o[ ,]" <<<"$CHK_OUT"
done

t_done
