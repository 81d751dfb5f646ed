#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi under stress.
#
# 1. Load through lighttpd (bin-path, max-procs 2, -r 1): wrk with 256
#    connections for at least 200,000 requests over ten domains while a
#    writer rewrites their files ten times a second (atomic renames and
#    in-place writes, some of them invalid). No socket errors, nothing but
#    2xx, no responder restarted, RSS of the responders flat between the
#    first and the last third, the last good policy kept across invalid
#    edits, the final policies right.
# 2. Slow clients, straight at a responder on -s tcp: (lighttpd would
#    buffer them): one connection that sends half a BEGIN_REQUEST header
#    and stalls must not keep a second client from its answer (1 s); nor
#    must 100 of them at once (more than the pool starts with).
# 3. A reload that cannot read (chmod 000 on a domain file, on the domain
#    directory; the responder runs as nobody) never empties the table.
#
# STRESS_SECONDS sizes the wrk run (default 40; a loaded machine gets up to
# twice that to reach the count); STRESS_REQUESTS is the number of requests
# to reach (default 200000). The rate itself is measured by make bench.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
for c in lighttpd wrk curl python3; do
	command -v "$c" >/dev/null || t_skip_all "$c not installed"
done
t_init 60-fcgi-stress

WANT=${STRESS_REQUESTS:-200000}
MAXSECS=${STRESS_SECONDS:-40}
# The ASan/UBSan build (make check SANITIZE=1) answers about ten times
# slower, and its allocator keeps freed memory in quarantine (up to 256
# MiB by design), so RSS says nothing there: fewer requests, no RSS check.
ASAN=
if ldd "$BIN" 2>/dev/null | grep -q libasan; then
	ASAN=1
	WANT=${STRESS_REQUESTS:-30000}
fi
UARG=
UARR=()
if [ "$(id -u)" = 0 ]; then
	UARG=" -u nobody"
	UARR=(-u nobody)
fi
ROOT=
[ "$(id -u)" = 0 ] && ROOT=1

mkdir -p "$T/domains" "$T/certs" "$T/www"
cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
certs = $T/certs
EOF
NDOM=10
for i in $(seq 0 $((NDOM - 1))); do
	printf 'mode = enforce\nmx = mx0.d%d.example\nmax-age = 1d\n' "$i" >"$T/domains/d$i.example"
done
# A domain that only ever gets invalid edits after this.
printf 'mode = enforce\nmx = mx.good.example\nmax-age = 1d\n' >"$T/domains/keep.example"
chmod -R a+rX "$T"
WK=/.well-known/mta-sts.txt
POLICY_KEEP=$'version: STSv1\r\nmode: enforce\r\nmx: mx.good.example\r\nmax_age: 86400\r\n'

# ---- 1. load through lighttpd while the files change ------------------------

PORT=$(t_free_port)
cat >"$T/l.conf" <<EOF
server.modules = ( "mod_fastcgi" )
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$T/l.conf.error.log"
server.max-connections = 1024
server.max-fds = 4096
fastcgi.server = ( "/" => ((
	"bin-path" => "$BIN -r 1$UARG",
	"socket" => "$T/l.sock",
	"max-procs" => 2,
	"bin-environment" => ( "MTA_STS_CONF" => "$T/mta-sts.conf" ),
	"check-local" => "disable"
)) )
EOF
LOG=$T/l.conf.stderr
if ! t_ok "lighttpd with two responders starts" t_lighttpd "$T/l.conf" "$PORT"; then
	t_diag "$(cat "$T"/l.conf.* 2>/dev/null)"
	t_done
fi
LPID=$T_LIGHTTPD_PID
code=$(curl -sS --max-time 10 -o "$T/first" -w '%{http_code}' -H 'Host: mta-sts.d0.example' \
    "http://127.0.0.1:$PORT$WK")
t_is "$code" 200 "a first request is answered"
RPIDS=$(pgrep -P "$LPID" -x mta-sts-fcgi | sort | tr '\n' ' ')
t_is "$(echo $RPIDS | wc -w)" 2 "two responders ($RPIDS)"

# wrk: every request asks for one of the ten domains in turn.
cat >"$T/hosts.lua" <<EOF
local reqs = {}
local n = 0
init = function(args)
	for i = 0, $((NDOM - 1)) do
		reqs[i + 1] = wrk.format("GET", "$WK", { Host = "mta-sts.d" .. i .. ".example" })
	end
end
request = function()
	n = n % #reqs + 1
	return reqs[n]
end
EOF

# The writer: ten times a second, one of the ten files, by rename or in
# place (alternating), always valid; every 25th round, keep.example gets an
# invalid edit instead. The last valid content of each file is recorded.
writer() {
	local round=0 i f mx
	while [ ! -e "$T/stop-writer" ]; do
		round=$((round + 1))
		if [ $((round % 25)) -eq 0 ]; then
			printf 'mode = bogus%d\nmx = mx.bad.example\n' "$round" >"$T/domains/keep.example"
			echo "invalid $round" >>"$T/writes"
		else
			i=$((round % NDOM))
			f=$T/domains/d$i.example
			mx="mx$round.d$i.example"
			if [ $((round % 2)) -eq 0 ]; then
				printf 'mode = enforce\nmx = %s\nmax-age = 1d\n' "$mx" >"$f.tmp"
				chmod a+r "$f.tmp"
				mv -f "$f.tmp" "$f"
				echo "rename d$i $mx" >>"$T/writes"
			else
				printf 'mode = testing\nmx = %s\nmax-age = 2d\n' "$mx" >"$f"
				echo "inplace d$i $mx" >>"$T/writes"
			fi
		fi
		sleep 0.1
	done
}

# RSS sampler: every half second, the sum of both responders' VmRSS (kB).
sampler() {
	local p s
	while [ ! -e "$T/stop-sampler" ]; do
		s=0
		for p in $RPIDS; do
			s=$((s + $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' /proc/"$p"/status 2>/dev/null || echo 0)))
		done
		echo "$s" >>"$T/rss"
		sleep 0.5
	done
}

# How fast is this machine? Three seconds decide the length of the run.
wrk -c 256 -t 2 -d 3s --timeout 5s -s "$T/hosts.lua" "http://127.0.0.1:$PORT$WK" >"$T/wrk.warm" 2>&1
rate=$(sed -n 's/^Requests\/sec:[[:space:]]*\([0-9]*\).*/\1/p' "$T/wrk.warm")
[ -n "$rate" ] && [ "$rate" -gt 0 ] || rate=1
secs=$(( (WANT * 12 / 10) / rate + 2 ))
[ "$secs" -gt "$MAXSECS" ] && secs=$MAXSECS
[ "$secs" -lt 10 ] && secs=10
t_diag "warm-up: $rate requests/s; running wrk for ${secs}s"

: >"$T/writes"
: >"$T/rss"
writer &
WPID=$!
sampler &
SPID=$!
# wrk runs for a time, not a count: on a loaded machine the first run may
# fall short, so further runs make up the rest, within twice STRESS_SECONDS.
: >"$T/wrk.out"
n=0
elapsed=0
chunk=$secs
while [ "$n" -lt "$WANT" ] && [ "$elapsed" -lt $((MAXSECS * 2)) ]; do
	wrk -c 256 -t 2 -d "${chunk}s" --timeout 5s -s "$T/hosts.lua" "http://127.0.0.1:$PORT$WK" >"$T/wrk.chunk" 2>&1
	cat "$T/wrk.chunk" >>"$T/wrk.out"
	got=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.chunk")
	n=$((n + ${got:-0}))
	elapsed=$((elapsed + chunk))
	[ -n "$got" ] && [ "$got" -gt 0 ] || break
	chunk=$(( (WANT - n) * 12 / 10 / (got / chunk + 1) + 2 ))
	[ "$chunk" -lt 5 ] && chunk=5
done
secs=$elapsed
touch "$T/stop-writer" "$T/stop-sampler"
wait "$WPID" "$SPID"
t_diag "$(grep -E 'requests in|Requests/sec|Latency|errors|Non-2xx' "$T/wrk.out")"

t_ok "at least $WANT requests completed (${n:-none} in ${secs}s)" test "${n:-0}" -ge "$WANT" ||
    t_diag "$(cat "$T/wrk.out")"
t_unlike "$(cat "$T/wrk.out")" 'Socket errors' "no socket errors (connect, read, write, timeout)"
t_unlike "$(cat "$T/wrk.out")" 'Non-2xx' "no response but 2xx"
# the writer aims at 10 a second; a loaded machine (forks for sleep, mv,
# chmod) may give it a third of that, which still interleaves with the load
nw=$(grep -c . "$T/writes")
nbad=$(grep -c '^invalid' "$T/writes")
t_ok "the writer rewrote domain files $nw times meanwhile ($nbad invalid)" test "$nw" -ge $((secs * 3)) -a "$nbad" -ge 2
t_is "$(pgrep -P "$LPID" -x mta-sts-fcgi | sort | tr '\n' ' ')" "$RPIDS" "the same two responders: none died and was restarted"

# RSS: the largest sample of the last third against the largest of the first.
ns=$(grep -c . "$T/rss")
third=$((ns / 3))
first=$(head -n "$third" "$T/rss" | sort -n | tail -n 1)
last=$(tail -n "$third" "$T/rss" | sort -n | tail -n 1)
t_diag "responders' RSS (kB, both): first third max ${first:-?}, last third max ${last:-?} ($ns samples)"
if [ -n "$ASAN" ]; then
	t_skip 1 "ASan build: its quarantine holds freed memory, RSS is not the program's"
else
	t_ok "RSS flat: last third at most 4 MiB above the first (${first:-?} -> ${last:-?} kB)" \
	    test "$third" -ge 3 -a "${last:-999999999}" -le $(( ${first:-0} + 4096 ))
fi

# After the load: every domain serves the last valid content written.
sleep 3.5
bad=0
for i in $(seq 0 $((NDOM - 1))); do
	lastw=$(grep " d$i " "$T/writes" | tail -n 1)
	[ -n "$lastw" ] || continue
	set -- $lastw
	if [ "$1" = rename ]; then
		want=$'version: STSv1\r\nmode: enforce\r\nmx: '"$3"$'\r\nmax_age: 86400\r\n'
	else
		want=$'version: STSv1\r\nmode: testing\r\nmx: '"$3"$'\r\nmax_age: 172800\r\n'
	fi
	got=$(curl -sS --max-time 10 -H "Host: mta-sts.d$i.example" "http://127.0.0.1:$PORT$WK"; echo .)
	[ "$got" = "$want." ] || { bad=$((bad + 1)); t_diag "d$i: '$got' (want $3)"; }
done
t_is "$bad" 0 "after the load, each domain serves its last valid edit"
got=$(curl -sS --max-time 10 -H "Host: mta-sts.keep.example" "http://127.0.0.1:$PORT$WK"; echo .)
t_is "$got" "$POLICY_KEEP." "invalid edits: the last good policy is still served"
t_like "$(cat "$LOG")" 'keep\.example:1: .*bogus.*still serving the last good policy' "and the invalid edits are logged"
# An in-place write can be read half done (an empty file, say): that read
# fails and the last good policy stays, which is logged too.
t_unlike "$(grep -v -e 'keep\.example:1: ' -e 'keep\.example: valid again' -e "$T_NOSANDBOX" \
    -e 'd[0-9]\.example.*still serving the last good policy' -e 'd[0-9]\.example: valid again' "$LOG")" . \
    "the responders logged nothing else" ||
    t_diag "$(grep -v -e 'keep\.example:1: ' -e 'keep\.example: valid again' -e "$T_NOSANDBOX" \
	-e 'd[0-9]\.example.*still serving the last good policy' -e 'd[0-9]\.example: valid again' "$LOG" | head -n 20)"
t_stop "$LPID"

# ---- 2. slow clients, straight at the responder ----------------------------

cat >"$T/fcgi.py" <<'EOF'
# fcgi.py PORT get HOST TIMEOUT     one request: "SECONDS STATUS-LINE" or "SECONDS error ..."
# fcgi.py PORT stall N SECONDS      N connections, each half a BEGIN_REQUEST header, then silence
import socket, struct, sys, time

def rec(t, rid, body):
    return struct.pack(">BBHHBB", 1, t, rid, len(body), 0, 0) + body

def nv(k, v):
    def ln(x):
        return struct.pack(">B", len(x)) if len(x) < 128 else struct.pack(">I", len(x) | 0x80000000)
    return ln(k) + ln(v) + k + v

def request(host, path="/.well-known/mta-sts.txt", rid=1):
    params = b"".join(nv(k.encode(), v.encode()) for k, v in [
        ("REQUEST_METHOD", "GET"), ("HTTP_HOST", host), ("REQUEST_URI", path),
        ("SCRIPT_NAME", path), ("SERVER_PROTOCOL", "HTTP/1.1")])
    return (rec(1, rid, struct.pack(">HB5x", 1, 0)) + rec(4, rid, params) +
            rec(4, rid, b"") + rec(5, rid, b""))

def get(port, host, timeout):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(request(host))
    out, buf = b"", b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        buf += b
        while len(buf) >= 8:
            _, t, _, cl, pl, _ = struct.unpack(">BBHHBB", buf[:8])
            if len(buf) < 8 + cl + pl:
                break
            if t == 6:
                out += buf[8:8 + cl]
            buf = buf[8 + cl + pl:]
            if t == 3:
                s.close()
                return out
    s.close()
    return out

port = int(sys.argv[1])
if sys.argv[2] == "get":
    t0 = time.monotonic()
    try:
        out = get(port, sys.argv[3], float(sys.argv[4]))
        line = out.split(b"\r\n")[0].decode() if out else "error: empty answer"
    except Exception as e:
        line = "error: %s" % e
    print("%.3f %s" % (time.monotonic() - t0, line))
else:
    socks = []
    for i in range(int(sys.argv[3])):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(request("mta-sts.d0.example")[:4])
        socks.append(s)
    print("stalling %d" % len(socks), flush=True)
    time.sleep(float(sys.argv[4]))
EOF

# start_direct NAME [ARGS]: a responder on a TCP port ($DPORT, $DPID).
start_direct() {
	local name=$1
	shift
	DPORT=$(t_free_port)
	MTA_STS_CONF=$T/mta-sts.conf "$BIN" -s "tcp:127.0.0.1:$DPORT" "${UARR[@]}" "$@" \
	    2>"$T/$name.stderr" &
	DPID=$!
	t_bg "$DPID"
	t_wait_port 127.0.0.1 "$DPORT" 10
}
# stall N SECONDS: N stalled connections in the background ($STPID), once open.
stall() {
	python3 "$T/fcgi.py" "$DPORT" stall "$1" "$2" >"$T/stall.out" 2>&1 &
	STPID=$!
	t_bg "$STPID"
	local i=0
	while [ "$i" -lt 50 ] && ! grep -q stalling "$T/stall.out"; do
		sleep 0.1
		i=$((i + 1))
	done
}
get() { python3 "$T/fcgi.py" "$DPORT" get "$1" "$2"; }
# answered_within OUT SECONDS: "SECONDS Status: 200 OK" in time
answered_within() {
	[[ $1 =~ ^([0-9]+)\.([0-9]+)\ Status:\ 200 ]] &&
	    [ "$(echo "$1" | awk -v s="$2" '{ print ($1 <= s) }')" = 1 ]
}

# A pool that may grow past the stalled clients (-T 128): one stalled
# client, then 100, must not delay anyone else.
if start_direct slow -r 1 -T 128; then
	t_pass "a responder on tcp:127.0.0.1:$DPORT (-T 128)"
	out=$(get mta-sts.d0.example 5)
	t_like "$out" 'Status: 200' "it answers a FastCGI request ($out)"
	stall 1 4
	out=$(get mta-sts.d0.example 1)
	t_diag "with one stalled client: $out"
	t_ok "one client stalled in a BEGIN_REQUEST header: another is answered within 1 s" \
	    answered_within "$out" 1
	t_stop "$STPID"
	stall 100 4
	t_is "$(cat "$T/stall.out")" "stalling 100" "100 connections stalled at once"
	out=$(get mta-sts.d0.example 1)
	t_diag "with 100 stalled clients: $out"
	t_ok "with 100 stalled clients (pool up to 128), a request is answered within 1 s" \
	    answered_within "$out" 1
	t_stop "$STPID"
	out=$(get mta-sts.d0.example 10)
	t_like "$out" 'Status: 200' "all of them gone, requests are answered again ($out)"
	t_ok "the responder survived the slow clients" kill -0 "$DPID"
	t_stop "$DPID"
else
	t_fail "a responder on a TCP port"
	t_skip 6 "no responder"
fi
# The default pool (-T 64) with 100 stalled clients: only a time limit on
# reading a new connection's request frees the workers they hold.
if start_direct slow64 -r 1; then
	stall 100 15
	out=$(get mta-sts.d0.example 10)
	t_diag "default pool, 100 stalled clients: $out"
	t_ok "default pool, 100 stalled clients: a request is still answered within 10 s" \
	    answered_within "$out" 10
	t_stop "$STPID"
	t_stop "$DPID"
else
	t_fail "a responder on a TCP port"
fi

# ---- 3. reloads that cannot read never empty the table ---------------------

if [ -z "$ROOT" ]; then
	t_skip 6 "needs root: the responder runs as nobody, the files stay readable to us"
elif start_direct perm -r 1; then
	pget() {	# pget HOST: "STATUS|BODY"
		python3 -c '
import sys
exec(open(sys.argv[1]).read().split("port = int(sys.argv[1])")[0])
out = get(int(sys.argv[2]), sys.argv[3], 5)
head, _, body = out.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode().replace("Status: ", "") + "|" + body.decode().replace("\r\n", "/"))
' "$T/fcgi.py" "$DPORT" "$1"
	}
	D1="200 OK|version: STSv1/mode: enforce/mx: mx.good.example/max_age: 86400/"
	# keep.example was left invalid by the writer: make it valid again.
	printf 'mode = enforce\nmx = mx.good.example\nmax-age = 1d\n' >"$T/domains/keep.example"
	chmod a+r "$T/domains/keep.example"
	sleep 2.5
	t_is "$(pget mta-sts.keep.example)" "$D1" "keep.example is served"
	chmod 000 "$T/domains/keep.example"
	sleep 3.5
	t_is "$(pget mta-sts.keep.example)" "$D1" "chmod 000 on its file: still served (last good policy)"
	t_like "$(cat "$T/perm.stderr")" 'keep\.example.*(Permission denied|cannot)' "and the failed read is logged"
	chmod 644 "$T/domains/keep.example"
	chmod 000 "$T/domains"
	sleep 3.5
	t_is "$(pget mta-sts.keep.example)/$(pget mta-sts.d1.example | cut -d'|' -f1)" "$D1/200 OK" \
	    "chmod 000 on the domain directory: every domain still served"
	chmod 311 "$T/domains"	# searchable, not listable
	sleep 3.5
	t_is "$(pget mta-sts.keep.example)/$(pget mta-sts.d1.example | cut -d'|' -f1)" "$D1/200 OK" \
	    "domain directory searchable but not listable: still served"
	chmod 644 "$T/domains"	# listable, not searchable: no file can be stat'ed
	sleep 3.5
	t_ok "domain directory listable but not searchable: still served" \
	    test "$(pget mta-sts.keep.example)/$(pget mta-sts.d1.example | cut -d'|' -f1)" = "$D1/200 OK"
	chmod 755 "$T/domains"
	t_stop "$DPID"
else
	t_fail "a responder on a TCP port"
	t_skip 5 "no responder"
fi

t_done
