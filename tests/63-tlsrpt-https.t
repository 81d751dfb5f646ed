#!/bin/bash
# SPDX-License-Identifier: ISC
# TLS-RPT reports over HTTPS (RFC 8460 §5.2): lighttpd with the shipped
# mta-sts-socket.conf in front of the sandboxed responder, `reports` set.
# Both content types POSTed with curl to https://mta-sts.<domain>/tlsrpt
# are spooled (201, whole files only, mode 0640) and `mta-sts-check ingest
# --spool` then `report` count them. Every other request is refused with
# its own status: 405 (other methods, with Allow: POST; POST elsewhere),
# 404 (a domain not served), 415, 413 (by Content-Length, 2 MiB and 100 MB,
# the responder's memory not growing, no file left), and on the FastCGI
# socket itself what web servers never pass on: 411, 400 (a bad length, a
# body cut short), 408 (a body that stalls). An unwritable spool: 503,
# logged once with its path. A report for a domain not served is spooled
# (the responder does not parse) and refused by ingest, the others stored.
# CGI mode: the same spool and limits; without `reports`, POST /tlsrpt is 405.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init tlsrpt-https
d_need lighttpd curl openssl python3
CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built"
d_setup
t_plan 67
d_run_dir
user=$(d_user)
FC=$T_TOP/tests/helpers/fcgiclient.py

mkdir -p "$T/spool" && chown "$user" "$T/spool" 2>/dev/null
chmod 0755 "$T/spool"
printf 'reports = %s/spool\n' "$T" >>"$T/etc/mta-sts.conf"
ck() { "$CHECK" -c "$T/etc/mta-sts.conf" "$@"; }

# gen KIND OUT DOMAIN ORG ID GOOD [FAILED RESULT MX]: a report shaped as
# RFC 8460 §4.4's example; KIND json or gz.
gen() {
	python3 - "$@" <<'EOF' || { echo "Bail out! gen $*"; exit 255; }
import sys, json, gzip, datetime
kind, out, dom, org, rid, good = sys.argv[1:7]
fail = sys.argv[7:10]
day = datetime.date.today() - datetime.timedelta(days=1)
p = {"policy": {"policy-type": "sts", "policy-domain": dom,
                "policy-string": ["version: STSv1", "mode: testing",
                                  "mx: mx.%s" % dom, "max_age: 86400"],
                "mx-host": ["mx.%s" % dom]},
     "summary": {"total-successful-session-count": int(good),
                 "total-failure-session-count": int(fail[0]) if fail else 0}}
if fail:
    p["failure-details"] = [{"result-type": fail[1], "sending-mta-ip": "192.0.2.1",
                             "receiving-mx-hostname": fail[2],
                             "failed-session-count": int(fail[0])}]
r = {"organization-name": org,
     "date-range": {"start-datetime": "%sT00:00:00Z" % day,
                    "end-datetime": "%sT23:59:59Z" % day},
     "contact-info": "smtp-tls-reporting@%s" % org.lower(),
     "report-id": rid, "policies": [p]}
b = json.dumps(r).encode()
open(out, "wb").write(gzip.compress(b) if kind == "gz" else b)
EOF
}

# post HOST FILE TYPE [PATH] [CURL ARGS...]: the status of a POST over HTTPS
post() {
	local host=$1 file=$2 type=$3 path=${4:-/tlsrpt}
	shift 3
	[ $# -gt 0 ] && shift
	d_get "$port" "$host" "$path" -o /dev/null --data-binary "@$file" \
	    -H "Content-Type: $type" "$@" >/dev/null
	d_status
}
spooled() { find "$T/spool" -mindepth 1 -maxdepth 1 | wc -l; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$fcgi/status"; }

# ---- the responder on a socket, lighttpd in front ------------------------
uopt=
[ "$(id -u)" -eq 0 ] && uopt="-u $user"
# shellcheck disable=SC2086
"$D_FCGI" -c "$T/etc/mta-sts.conf" -s "unix:$T/mtsrun/fcgi.sock" -M 0666 $uopt \
    2>"$T/fcgi.stderr" &
fcgi=$!
t_bg "$fcgi"
d_wait_sock "$T/mtsrun/fcgi.sock" || { echo "Bail out! no responder: $(cat "$T/fcgi.stderr")"; exit 255; }
SOCK=unix:$T/mtsrun/fcgi.sock

plain=$(t_free_port)
port=$(t_free_port)
mkdir -p "$T/l"
d_fill "$T_TOP/deploy/lighttpd/mta-sts-socket.conf" "$port" >"$T/l/site.conf"
d_lighttpd_conf "$T/l" "$plain" "server.upload-dirs = ( \"$T/run\" )"
t_lighttpd "$T/l/lighttpd.conf" "$plain" && t_wait_port 127.0.0.1 "$port" ||
	{ echo "Bail out! lighttpd did not start: $(cat "$T/l/error.log" "$T/l/lighttpd.conf.stderr" 2>/dev/null)"; exit 255; }

# AddressSanitizer builds (make SANITIZE=1) serve without the sandbox, by design
if ldd "$D_FCGI" 2>/dev/null | grep -q libasan; then
	t_pass "the responder runs in its seccomp sandbox (skipped: an ASan build serves without it)"
else
	t_like "$(grep '^Seccomp:' "/proc/$fcgi/status")" 'Seccomp:[[:space:]]*2' \
	    "the responder runs in its seccomp sandbox"
fi

# ---- both content types, spooled whole -----------------------------------
gen gz "$T/com1.json.gz" example.com Google com-g-1 900 \
    4 certificate-host-mismatch mx2.example.com
gen json "$T/com2.json" example.com Microsoft com-m-1 600
gen json "$T/net1.json" example.net Google net-g-1 250 \
    2 starttls-not-supported mx1.mx.example.net
t_is "$(post mta-sts.example.com "$T/com1.json.gz" application/tlsrpt+gzip)" 201 \
    "POST application/tlsrpt+gzip to mta-sts.example.com/tlsrpt: 201"
t_is "$(post mta-sts.example.com "$T/com2.json" 'application/tlsrpt+json; charset=utf-8')" 201 \
    "POST application/tlsrpt+json (with a parameter): 201"
t_is "$(post mta-sts.example.net "$T/net1.json" Application/TLSRPT+JSON)" 201 \
    "the type is matched without regard to case; example.net: 201"
t_is "$(spooled)" 3 "three files in the spool"
t_is "$(find "$T/spool" -name 'tlsrpt-*.json.gz' | wc -l) $(find "$T/spool" -name 'tlsrpt-*.json' | wc -l)" "1 2" \
    "named after their content type (.json.gz, .json)"
f=$(find "$T/spool" -name 'tlsrpt-*.json.gz')
t_ok "the gzip body is spooled byte for byte" cmp -s "$f" "$T/com1.json.gz"
t_is "$(stat -c %a "$f")" 640 "spooled files are mode 0640"
t_is "$(find "$T/spool" -name '.tmp-*' | wc -l)" 0 "no temporary file is left"

# ---- a report for a domain we do not serve: spooled, refused by ingest ----
gen json "$T/other.json" other.example Google oth-1 10
t_is "$(post mta-sts.example.com "$T/other.json" application/tlsrpt+json)" 201 \
    "a report for another domain is spooled (the responder parses nothing)"
out=$(ck ingest --spool "$T/spool" 2>&1); rc=$?
t_is "$rc" 65 "ingest --spool: 65 for the report of a domain not served"
t_like "$out" "report-id oth-1: for other.example, a domain not served here; refused" \
    "ingest names the report and the domain"
t_like "$out" "report-id com-g-1 from Google: stored" "the others are stored (com-g-1)"
t_like "$out" "report-id net-g-1 from Google: stored" "the others are stored (net-g-1)"
t_is "$(find "$T/spool" -type f | sed 's|.*/||; s/^tlsrpt-[0-9]*-[0-9]*-[0-9]*-[0-9a-f]*\././')" ".json.bad" \
    "only the refused report stays, set aside as .bad"
t_is "$(ls "$T/state/reports/example.com" | wc -l) $(ls "$T/state/reports/example.net" | wc -l)" "2 1" \
    "two reports stored for example.com, one for example.net"
out=$(ck report example.com 2>&1)
t_like "$out" "reports: 2 from 2 organisations \(Google, Microsoft\)" "report: example.com's two reports"
t_like "$out" "sessions: 1500 succeeded, 4 failed" "report: example.com's sessions"
t_like "$out" "failure: certificate-host-mismatch on mx2.example.com from 192.0.2.1: 4 sessions \(Google\)" \
    "report: the failure, its MX and result type"
out=$(ck report example.net 2>&1)
t_like "$out" "sessions: 250 succeeded, 2 failed" "report: example.net's sessions"
t_like "$out" "failure: starttls-not-supported on mx1.mx.example.net" "report: example.net's failure"
rm -f "$T"/spool/*.bad

# ---- refused through lighttpd ---------------------------------------------
d_get "$port" mta-sts.example.com /tlsrpt >/dev/null
t_is "$(d_status)" 405 "GET /tlsrpt: 405"
t_like "$(cat "$T/headers")" $'(^|\n)[Aa]llow: POST\r' "GET /tlsrpt: Allow: POST"
d_get "$port" mta-sts.example.com /tlsrpt -X PUT --data-binary "@$T/com2.json" \
    -H 'Content-Type: application/tlsrpt+json' >/dev/null
t_is "$(d_status)" 405 "PUT /tlsrpt: 405"
t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json /.well-known/mta-sts.txt)" 405 \
    "POST to the policy: 405"
t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json /tlsrpt/x)" 405 \
    "POST to another path: 405"
t_is "$(post mta-sts.example.com "$T/com2.json" text/plain)" 415 "text/plain: 415"
t_is "$(post mta-sts.example.com "$T/com2.json" application/json)" 415 "application/json: 415"
t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+gzipx)" 415 \
    "a type that only begins like ours: 415"
t_is "$(post mta-sts.unknown.test "$T/com2.json" application/tlsrpt+json)" 404 \
    "a domain not served: 404"
t_is "$(spooled)" 0 "nothing refused reached the spool"

# 1 MiB exactly is taken; one byte more is not
head -c 1048576 /dev/urandom >"$T/1mib"
head -c 1048577 /dev/urandom >"$T/1mib1"
t_is "$(post mta-sts.example.com "$T/1mib" application/tlsrpt+gzip)" 201 "a body of 1 MiB exactly: 201"
t_is "$(post mta-sts.example.com "$T/1mib1" application/tlsrpt+gzip)" 413 "1 MiB and a byte: 413"
rm -f "$T"/spool/tlsrpt-*
rss0=$(rss)
head -c 100000000 /dev/zero >"$T/100mb"
t_is "$(post mta-sts.example.com "$T/100mb" application/tlsrpt+gzip /tlsrpt --max-time 60)" 413 \
    "a 100 MB body: 413"
rss1=$(rss)
t_ok "the responder's memory did not grow with it ($rss0 kB, then $rss1 kB)" \
    test "$((rss1 - rss0))" -lt 4096
t_is "$(spooled)" 0 "no file is left from the 100 MB body"
rm -f "$T/100mb"

# ---- on the socket: what web servers never pass on -----------------------
st() { head -n 1 | tr -d '\r'; }
CT=CONTENT_TYPE=application/tlsrpt+json
t_is "$(python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" | st)" \
    "Status: 411 Length Required" "no Content-Length: 411"
t_is "$(python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" CONTENT_LENGTH=12x | st)" \
    "Status: 400 Bad Request" "Content-Length 12x: 400"
t_is "$(python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" CONTENT_LENGTH=-1 | st)" \
    "Status: 400 Bad Request" "Content-Length -1: 400"
t_is "$(python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" "CONTENT_LENGTH=$(( $(wc -c <"$T/com2.json") + 10 ))" | st)" \
    "Status: 400 Bad Request" "a body shorter than its Content-Length: 400"
t_is "$(python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" CONTENT_LENGTH=99999999999999999999 | st)" \
    "Status: 400 Bad Request" "a Content-Length beyond any number: 400"
s0=$(date +%s)
out=$(STALL=15 python3 "$FC" "$SOCK" post mta-sts.example.com /tlsrpt "$T/com2.json" "$CT" \
    "CONTENT_LENGTH=$(wc -c <"$T/com2.json")" | st)
t_is "$out" "Status: 408 Request Timeout" "a body that stalls: 408"
el=$(( $(date +%s) - s0 ))
t_ok "answered at the 5 s read timeout, within a 15 s stall ($el s)" \
    test "$el" -ge 5 -a "$el" -lt 12
t_is "$(spooled)" 0 "nothing of the refused bodies is left in the spool"

# ---- an unwritable spool: 503, logged once with its path --------------------
chmod 0555 "$T/spool"
if [ "$(id -u)" -eq 0 ] && [ "$user" = root ]; then
	t_skip 3 "the responder runs as root: a mode does not stop it"
else
	t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json)" 503 \
	    "an unwritable spool: 503"
	t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json)" 503 \
	    "and again: 503"
	t_is "$(grep -c "reports $T/spool: cannot create a report: Permission denied" "$T/fcgi.stderr")" 1 \
	    "logged once, with the spool's path"
fi
chmod 0755 "$T/spool"
t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json)" 201 \
    "writable again: 201"
t_unlike "$(cat "$T/fcgi.stderr")" "Operation not permitted" \
    "the sandbox refused no call of the spool's"

# ---- a reload that changes reports: said; the spool stays until a restart --
cp "$T/etc/mta-sts.conf" "$T/etc/saved.conf"
sed -i 's|^reports = .*|reports = /nonexistent|' "$T/etc/mta-sts.conf"
kill -HUP "$fcgi"
i=0
while [ "$i" -lt 50 ] && ! grep -q 'reports changed' "$T/fcgi.stderr"; do sleep 0.1; i=$((i + 1)); done
t_like "$(cat "$T/fcgi.stderr")" "$T/etc/mta-sts.conf: reports changed; the spool of TLS-RPT reports changes when the responder is restarted" \
    "a reload that changes reports says when it takes effect"
t_is "$(post mta-sts.example.com "$T/com2.json" application/tlsrpt+json)" 201 \
    "and the spool opened at start-up still takes reports"
cp "$T/etc/saved.conf" "$T/etc/mta-sts.conf"
rm -f "$T"/spool/tlsrpt-*

# ---- a full spool: 503, the partial file removed, logged once -----------------
# a responder of its own in a mount namespace whose spool is a 64 KiB tmpfs
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1; then
	mkdir -p "$T/full/spool" "$T/fullrun" && chmod 0755 "$T/full" "$T/fullrun"
	sed "s|^reports = .*|reports = $T/full/spool|" "$T/etc/mta-sts.conf" >"$T/etc/full.conf"
	# shellcheck disable=SC2016
	unshare -m sh -c 'mount -t tmpfs -o size=64k,mode=0777 tmpfs "$1" &&
	    exec "$2" -c "$3" -s "unix:$4" -M 0666 -u "$5"' full \
	    "$T/full/spool" "$D_FCGI" "$T/etc/full.conf" "$T/fullrun/s.sock" "$user" \
	    2>"$T/full.stderr" &
	fullpid=$!
	t_bg "$fullpid"
	d_wait_sock "$T/fullrun/s.sock"
	head -c 300000 /dev/urandom >"$T/300k"
	t_is "$(python3 "$FC" "unix:$T/fullrun/s.sock" post mta-sts.example.com /tlsrpt "$T/300k" \
	    CONTENT_TYPE=application/tlsrpt+gzip CONTENT_LENGTH=300000 | st)" \
	    "Status: 503 Service Unavailable" "a spool that fills up: 503"
	python3 "$FC" "unix:$T/fullrun/s.sock" post mta-sts.example.com /tlsrpt "$T/300k" \
	    CONTENT_TYPE=application/tlsrpt+gzip CONTENT_LENGTH=300000 >/dev/null
	t_is "$(nsenter -t "$fullpid" -m ls -A "$T/full/spool" | wc -l)" 0 \
	    "no partial file is left in the full spool"
	t_is "$(grep -c "reports $T/full/spool: cannot write a report: No space left on device" "$T/full.stderr")" 1 \
	    "logged once, with the spool's path and why"
	t_stop "$fullpid"
else
	t_skip 3 "a full spool needs root (a tmpfs in a mount namespace)"
fi

# ---- configtest ---------------------------------------------------------------
out=$("$D_FCGI" -t -c "$T/etc/mta-sts.conf" 2>&1); rc=$?
t_like "$out" "reports $T/spool: writable: TLS-RPT reports POSTed to /tlsrpt are spooled there" \
    "-t: the spool is writable"
sed "s|^reports = .*|reports = $T/nospool|" "$T/etc/mta-sts.conf" >"$T/etc/nospool.conf"
out=$("$D_FCGI" -t -c "$T/etc/nospool.conf" 2>&1); rc=$?
t_is "$rc" 1 "-t: a missing spool is an error (exit 1)"
t_like "$out" "error: reports $T/nospool: No such file or directory; POSTs to /tlsrpt would be answered 503" \
    "-t: says so, with the path"

# ---- CGI mode ------------------------------------------------------------------
rm -f "$T"/spool/tlsrpt-*
cgi() {	# cgi CONF METHOD PATH TYPE FILE [LENGTH]: the status line
	local n=${6:-$(wc -c <"$5")}
	# shellcheck disable=SC2086
	env -i PATH="$PATH" REQUEST_METHOD="$2" HTTP_HOST=mta-sts.example.com \
	    REQUEST_URI="$3" CONTENT_TYPE="$4" CONTENT_LENGTH="$n" \
	    "$D_FCGI" -c "$1" -L "$T/cgi-lg" $uopt <"$5" 2>>"$T/cgi.stderr" | st
}
mkdir -p "$T/cgi-lg" && chown "$user" "$T/cgi-lg" 2>/dev/null
t_is "$(cgi "$T/etc/mta-sts.conf" POST /tlsrpt application/tlsrpt+gzip "$T/com1.json.gz")" \
    "Status: 201 Created" "CGI: a report POSTed to /tlsrpt: 201"
t_is "$(spooled)" 1 "CGI: one file in the spool"
t_is "$(cgi "$T/etc/mta-sts.conf" POST /tlsrpt text/plain "$T/com2.json")" \
    "Status: 415 Unsupported Media Type" "CGI: text/plain: 415"
t_is "$(cgi "$T/etc/mta-sts.conf" POST /tlsrpt application/tlsrpt+gzip "$T/1mib1")" \
    "Status: 413 Content Too Large" "CGI: over 1 MiB: 413"
t_is "$(cgi "$T/etc/mta-sts.conf" GET /tlsrpt application/tlsrpt+gzip /dev/null 0)" \
    "Status: 405 Method Not Allowed" "CGI: GET /tlsrpt: 405"
# a client that sends 100 bytes and then nothing for 20 s
mkfifo "$T/slow"
{ head -c 100 "$T/com2.json"; sleep 20; } >"$T/slow" &
writer=$!
t_bg "$writer"
s0=$(date +%s)
# shellcheck disable=SC2086
env -i PATH="$PATH" REQUEST_METHOD=POST HTTP_HOST=mta-sts.example.com \
    REQUEST_URI=/tlsrpt CONTENT_TYPE=application/tlsrpt+json \
    CONTENT_LENGTH="$(wc -c <"$T/com2.json")" \
    "$D_FCGI" -c "$T/etc/mta-sts.conf" -L "$T/cgi-lg" $uopt <"$T/slow" >"$T/cgi408.out" 2>>"$T/cgi.stderr"
el=$(( $(date +%s) - s0 ))
t_stop "$writer"
t_is "$(st <"$T/cgi408.out")" "Status: 408 Request Timeout" "CGI: a body that stalls: 408"
t_ok "CGI: answered and gone at the 5 s read timeout, not held by the client (${el} s of its 20)" \
    test "$el" -ge 5 -a "$el" -lt 12
t_is "$(spooled)" 1 "CGI: nothing left of the refused bodies"
grep -v '^reports' "$T/etc/mta-sts.conf" >"$T/etc/noreports.conf"
t_is "$(cgi "$T/etc/noreports.conf" POST /tlsrpt application/tlsrpt+gzip "$T/com1.json.gz")" \
    "Status: 405 Method Not Allowed" "CGI without reports: POST /tlsrpt is 405 as before"
t_is "$(spooled)" 1 "CGI without reports: nothing spooled"
t_done
