#!/bin/bash
# SPDX-License-Identifier: ISC
# The report writers (checker/formats.c, fmt_*.c) fed hostile values by
# tests/helpers/fmtfeed: a domain name with a backslash, a double quote, a
# newline and a byte that is not UTF-8, one that is a <script> element, an
# MX host name like the first, finding messages with quotes, commas, CR and
# LF and markup. Each format is read back by its own consumer, and the
# values read must be exactly those written (invalid UTF-8 as U+FFFD):
# Prometheus by the prometheus_client parser, CSV by Python's csv module
# (RFC 4180), HTML by headless Chromium's DOM (the <script> stays text and
# never runs), JSON by Python's json module, with the host each finding
# code is about (finding_host).
. "$(dirname "$0")/lib/testlib.sh"

t_init formats-hostile
FEED=$T_TOP/tests/helpers/fmtfeed
[ -x "$FEED" ] || t_skip_all "no $FEED: build first (make all-tests)"
# Debian's python3 (deploy/packages.txt: python3-prometheus-client)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for f in prometheus csv html json; do
	"$FEED" "$f" >"$T/r.$f" 2>"$T/err.$f"
	t_is "$?:$(cat "$T/err.$f")" "0:" "fmtfeed $f: written"
done

# ---- Prometheus ------------------------------------------------------------

py_prom() {
	"$PY" - "$T/r.prometheus" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1], "rb").read().decode("utf-8")	# strict: the file is UTF-8
fam = {f.name: f for f in text_string_to_metric_families(text)}
for s in fam["mtasts_domain_status"].samples:
    print("status", ascii(s.labels["domain"]), s.value)
for s in fam["mtasts_mx_starttls_ok"].samples:
    print("starttls", ascii(s.labels["host"]), s.value)
for s in fam["mtasts_mx_cert_expiry_timestamp_seconds"].samples:
    print("expiry", ascii(s.labels["host"]), s.value)
print("families", len(fam))
PY
}
t_is "$(py_prom 2>&1)" "status 'a\\\\b\"c\\nd\\ufffde.test' 2.0
status \"<script>document.title='pwned'</script>.test\" 1.0
status 'plain.test' 2.0
starttls 'mx\"1\\\\\\nx\\ufffd.test' 0.0
starttls 'mx2.test' 1.0
expiry 'mx2.test' 2000000000.0
families 9" "prometheus: the parser reads back every label value exactly (\\\\ \\\" \\n escaped, U+FFFD for a non-UTF-8 byte)"

# ---- CSV --------------------------------------------------------------------

py_csv() {
	"$PY" - "$T/r.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8", errors="strict")))
print(len(rows))
for r in rows:
    print(ascii(r["domain"]), ascii(r["u_label"]), r["status"], r["errors"], r["warnings"], ascii(r["first_problem"]))
PY
}
t_is "$(py_csv 2>&1)" "3
'a\\\\b\"c\\nd\\ufffde.test' 'a\\\\b\"c\\nd\\ufffde.test' error 1 0 'line one\\r\\nline two\\rthree\\n'
\"<script>document.title='pwned'</script>.test\" \"<script>document.title='pwned'</script>.test\" warning 0 1 \"<script>document.title='pwned'</script><b>bold</b>, & more\"
'plain.test' 'plain.test' error 4 2 'MX mx9.example.net: certificate not acceptable: certificate verify failed'" \
    "csv: Python's csv module reads 3 rows, quote, comma, CR and LF kept inside their fields (RFC 4180)"

# ---- JSON: every value, and the host of each finding --------------------------

py_json() {
	"$PY" - "$T/r.json" <<'PY'
import json, sys
doc = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
for d in doc["domains"]:
    for f in d["findings"]:
        print(ascii(d["domain"]), f["code"], ascii(f["host"]))
PY
}
t_is "$(py_json 2>&1)" "'a\\\\b\"c\\nd\\ufffde.test' https.status 'mta-sts.a\\\\b\"c\\nd\\ufffde.test'
\"<script>document.title='pwned'</script>.test\" https.policy.parse \"mta-sts.<script>document.title='pwned'</script>.test\"
'plain.test' smtp.cert 'mx9.example.net'
'plain.test' https.address.lags '2001:db8::10'
'plain.test' dns.txt.missing '_mta-sts.plain.test'
'plain.test' tlsrpt.missing '_smtp._tls.plain.test'
'plain.test' dns.resolver '127.0.0.53:5353'
'plain.test' config.invalid None" \
    "json: the host of each finding by its code (MX host, address, _mta-sts, _smtp._tls, resolver, none)"

# ---- HTML, through Chromium's DOM ---------------------------------------------

CHROME=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROME" ]; then
	t_skip 3 "chromium is not installed (deploy/packages.txt)"
else
	prof=$(mktemp -d "$T/chrome.XXXXXX")
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --user-data-dir="$prof" --dump-dom "file://$T/r.html" \
	    >"$T/dom.html" 2>"$T/chrome.log"
	py_dom() {
		"$PY" - "$T/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.rows = []; s.cell = None; s.tbl = None
        s.scripts = 0; s.bold = 0; s.title = ""; s.intitle = False
    def handle_starttag(s, t, a):
        a = dict(a)
        if t == "script": s.scripts += 1
        if t == "b": s.bold += 1
        if t == "title": s.intitle = True
        if t == "table": s.tbl = a.get("id")
        if t == "tr" and s.tbl == "domtable" and "data-status" in a: s.rows.append([])
        if t == "td" and s.tbl == "domtable" and s.rows: s.cell = ""
    def handle_endtag(s, t):
        if t == "td" and s.cell is not None:
            s.rows[-1].append(s.cell); s.cell = None
        if t == "title": s.intitle = False
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
        if s.intitle: s.title += d
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
print("title", p.title, "scripts", p.scripts, "bold", p.bold)
for r in p.rows:
    print(ascii(r[0]), ascii(r[-1]))
PY
	}
	out=$(py_dom 2>&1)
	t_is "$(printf '%s\n' "$out" | head -n 1)" "title MTA-STS report scripts 1 bold 0" \
	    "html: the page's own script only; the injected one never ran (title unchanged), no <b> made" ||
	    t_diag "$(tail -n 5 "$T/chrome.log")"
	# (an HTML parser reads CR LF and CR as LF: the page is text, as written)
	t_is "$(printf '%s\n' "$out" | sed -n 2,3p)" "'a\\\\b\"c\\nd\\ufffde.test' 'error https.status: line one\\nline two\\nthree\\n'
\"<script>document.title='pwned'</script>.test\" \"warning https.policy.parse: <script>document.title='pwned'</script><b>bold</b>, & more\"" \
	    "html: Chromium's DOM holds the hostile names and messages as text, exactly"
	t_is "$(printf '%s\n' "$out" | wc -l)" 4 "html: three domain rows"
fi

t_done
