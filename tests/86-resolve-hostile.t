#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-resolve against hostile and heavy socketmap clients, with a DNS
# server that never answers (so nothing here waits on a real lookup):
# malformed netstrings and huge lengths are refused and the connection
# closed, a half-sent request is dropped after 10 s while others are
# served, 1,000 connections at once all get their answer, pipelined
# requests are answered in order; a policy from the cache file is
# answered at once even while its background refresh hangs on DNS, and
# 200 concurrent requests for one uncached domain make one lookup. Also:
# start-up errors (root without -u, a bad rules file, a bad key) and
# systemd socket activation.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/resolve.sh"

[ -x "$RESOLVE" ] || t_skip_all "no $RESOLVE: run make first"
command -v "$PY" >/dev/null || t_skip_all "python3 not installed"
t_init resolve-hostile

# a DNS server that takes every query and never answers
DNSPORT=$(t_free_port)
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
n = 0
while True:
    data, _ = s.recvfrom(4096)
    n += 1
    with open(sys.argv[2], "w") as f:
        f.write("%d\n" % n)
' "$DNSPORT" "$T/dns.count" &
t_bg $!

rs_setup "$DNSPORT"

# a cache file as a restarted daemon finds it: cached.test fetched 400 s
# ago (so the next request also starts a refresh), max_age one day
now=$(date +%s)
"$PY" - "$T/cache/cache" "$((now - 400))" <<'EOF'
import sys
def fnv(b):
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xffffffff
    return h
path, fetched = sys.argv[1], sys.argv[2]
rec = "P\tcached.test\tid7\t2\t86400\t%s\t*.example.test:mx1.cached.test\tmx1.example.test:mx1.cached.test" % fetched
with open(path, "w") as f:
    f.write("mta-sts-resolve cache 1\n")
    f.write("%s\t%08x\n" % (rec, fnv(rec.encode())))
EOF
[ "$(id -u)" = 0 ] && chown nobody "$T/cache/cache"

RPID=
start() {
	# shellcheck disable=SC2086
	"$RESOLVE" -c "$T/resolve.conf" $USER_OPT -m "$T/cache/metrics" "$@" \
	    >>"$T/resolve.log" 2>&1 &
	RPID=$!
	t_bg "$RPID"
	local i=0
	while ! $SM "$SOCK" ask "ctl-show up.test" >/dev/null 2>&1; do
		[ "$i" -lt 50 ] && kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
ask() {
	$SM "$SOCK" ask "$@" 2>&1
}
raw() {
	printf '%s' "$1" | $SM "$SOCK" raw 2>&1
}
alive() {
	[ "$(ask 'ctl-show alive.test')" = "NOTFOUND " ]
}

t_ok "mta-sts-resolve starts" start || t_diag "$(cat "$T/resolve.log")"
t_like "$(cat "$T/resolve.log")" 'started: 1 policies loaded' "  with the policy from its cache file"

# ---- the cache answers at once, the refresh goes on in the background -----------
out=$($SM "$SOCK" time "mta-sts cached.test")
t_is "${out%%	*}" "OK secure match=mx1.example.test:mx1.cached.test servername=hostname" \
    "a cached policy is answered from the cache file's entry"
ms=${out##*	}
t_ok "  at once (${ms} ms), though its refresh hangs on DNS" awk -v m="$ms" 'BEGIN { exit !(m < 200) }'
sleep 0.3
t_ok "  the refresh did ask the DNS server" test -s "$T/dns.count"
out=$($SM "$SOCK" time "mta-sts cached.test")
ms=${out##*	}
t_ok "  and again at once while the refresh is out (${ms} ms)" awk -v m="$ms" 'BEGIN { exit !(m < 200) }'

# ---- concurrent requests for one uncached domain: one lookup ------------------------
out=$($SM "$SOCK" many 200 "mta-sts merge.test")
t_is "$out" "200 replies: NOTFOUND " "200 concurrent requests for merge.test: all NOTFOUND (lookup failed, optional)"
sleep 10.5	# the counters are written every 10 s
t_like "$(cat "$T/cache/metrics")" 'mta_sts_resolve_lookups_total\{result="temp"\} 2
' "  one lookup for them all (and one for cached.test's refresh)"
t_like "$(cat "$T/cache/metrics")" 'mta_sts_resolve_cache_misses_total 200' "  200 misses counted"

# ---- refresh: a lookup now, the cached policy kept when it fails ---------------------
t_like "$(ask 'ctl-refresh cached.test')" '^OK domain=cached\.test id=id7 mode=enforce max_age=86400 .* last=temp checked=[0-9]+ why=' \
    "refresh cached.test: looked up now (DNS never answers), the cached policy kept"

# ---- malformed input -------------------------------------------------------------------
for bad in 'abc' '05:hello,' '5:hello;' ':x,' '3x:abc,' '-1:,' \
    '99999999999999999999999999:' '18446744073709551617:' '10001:'; do
	t_is "$(raw "$bad")" "22:PERM malformed request,<closed>" "'$bad': PERM, closed"
done
t_is "$(raw '4:abcd,6:ctl-sh,')" "30:PERM request is not 'name key',30:PERM request is not 'name key'," \
    "no space: PERM, and the connection stays usable"
t_is "$(ask 'mta-sts [192.0.2.1]' 'mta-sts a..b' 'mta-sts localhost')" \
    "NOTFOUND 
NOTFOUND 
NOTFOUND " "keys that are no domain: NOTFOUND"
t_is "$(ask 'ctl-bogus x.test' 'ctl-show -x-')" "PERM unknown ctl- request
PERM not a domain" "unknown commands: PERM"
t_is "$($SM "$SOCK" pipeline 'ctl-show a.test' 'mta-sts cached.test' 'ctl-show b.test')" \
    "NOTFOUND 
OK secure match=mx1.example.test:mx1.cached.test servername=hostname
NOTFOUND " "pipelined requests: answered in order"
head -c 100000 /dev/urandom >"$T/garbage"
$SM "$SOCK" raw <"$T/garbage" >/dev/null 2>&1
t_ok "100 kB of random bytes: the daemon is still there" alive

# ---- slow and many clients ----------------------------------------------------------------
$SM "$SOCK" slow 13 '20:mta-sts' >"$T/slow1" &
slow1=$!
$SM "$SOCK" slow 13 '' >"$T/slow2" &
slow2=$!
sleep 1
t_is "$(ask 'ctl-show x.test')" "NOTFOUND " "others are served while a client dawdles"
out=$($SM "$SOCK" many 1000 "mta-sts cached.test")
t_is "$out" "1000 replies: OK secure match=mx1.example.test:mx1.cached.test servername=hostname" \
    "1,000 connections at once: every one answered"
wait "$slow1" "$slow2"
# the daemon's clock ticks in seconds: 10 s after the last byte, give or take one
t_like "$(cat "$T/slow1")" '^closed after (9|10|11)\.[0-9] s$' "a half-sent request is dropped after 10 s"
t_is "$(cat "$T/slow2")" "open" "  an idle connection (Postfix keeps them) is not"
t_ok "the daemon is still there" alive
t_ok "  and its process" kill -0 "$RPID"

# ---- a client that never reads its replies; one that leaves while it waits --------
# Pipelined requests for the cached policy, sent without reading a reply:
# once its replies fill the socket the daemon stops reading it (its
# memory stays bounded), and every reply arrives, right and in order,
# when the client reads. The client stops sending after 1 s in which the
# daemon took nothing (20 s at most).
out=$("$PY" - "$T/socket" <<'EOF'
import socket, sys, time
req = b"19:mta-sts cached.test,"
ok = b"OK secure match=mx1.example.test:mx1.cached.test servername=hostname"
want = b"%d:%s," % (len(ok), ok)
chunk = req * 2000
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.setblocking(False)
pending, sent = memoryview(chunk), 0
t0 = last = time.time()
while time.time() - last < 1 and time.time() - t0 < 20:
    try:
        n = s.send(pending)
    except BlockingIOError:
        time.sleep(0.01)
        continue
    sent += n
    last = time.time()
    pending = pending[n:] if n < len(pending) else memoryview(chunk)
full = sent // len(req)
s.setblocking(True)
s.settimeout(30)
data = b""
while len(data) < full * len(want):
    b = s.recv(1 << 20)
    if not b:
        break
    data += b
right = data[:full * len(want)] == want * full
print("%s %d" % ("took-under-1MB" if sent < 1000000 else "took-%d-bytes" % sent,
    full) if right else "wrong replies after %d bytes: %r" % (sent, data[:200]))
EOF
)
t_like "$out" '^took-under-1MB [0-9]+$' "a client that does not read: the daemon stops reading it once its replies wait (${out#* } requests taken)"
t_ok "  and every one was answered, in order" test "${out#* }" -gt 1000
# a request for a domain that is looked up (the DNS server never answers),
# and the client gone at once: the daemon waits for the lookup idle, not
# busy with the hung-up connection
ticks() { awk '{ print $14 + $15 }' "/proc/$RPID/stat"; }
"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"17:mta-sts gone.test,")
s.close()' "$T/socket"
sleep 0.2
t0=$(ticks)
sleep 1.5
t1=$(ticks)
t_ok "a client gone while its lookup is out: the daemon idles meanwhile ($((t1 - t0)) ticks of CPU in 1.5 s)" \
    test "$((t1 - t0))" -le 10
t_ok "  and still answers" alive

# ---- stop and start-up errors --------------------------------------------------------------
t_stop "$RPID"
t_like "$(cat "$T/resolve.log")" 'stopping' "SIGTERM: it stops"
if [ "$(id -u)" = 0 ]; then
	out=$("$RESOLVE" -c "$T/resolve.conf" 2>&1)
	t_is "$?" 1 "as root without -u: refused"
	t_is "$out" "mta-sts-resolve: refusing to run as root: give -u user[:group] to say whom to run as" "  saying why"
else
	t_skip 2 "not root"
fi
printf 'example.com require\nexample.org never\n' >"$T/rules"
printf 'outbound-rules = %s\n' "$T/rules" >>"$T/resolve.conf"
# shellcheck disable=SC2086
out=$("$RESOLVE" -c "$T/resolve.conf" $USER_OPT 2>&1)
t_is "$out" "mta-sts-resolve: $T/rules:2: mode 'never' is not valid (expected optional, require or disable)" \
    "a bad rules file: refused, naming file:line"
printf 'outbound = sometimes\n' >"$T/bad.conf"
out=$("$RESOLVE" -c "$T/bad.conf" 2>&1)
t_is "$out" "mta-sts-resolve: $T/bad.conf:1: outbound 'sometimes' is not valid (expected optional, require or disable)" \
    "a bad outbound value: refused, naming file:line"

# ---- systemd socket activation ------------------------------------------------------------
if command -v systemd-socket-activate >/dev/null 2>&1; then
	sed -i '$d' "$T/resolve.conf"
	rm -f "$T/socket"
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$T/act.sock" "$RESOLVE" -c "$T/resolve.conf" \
	    -s unix:/nonexistent/never.sock $USER_OPT >>"$T/act.log" 2>&1 &
	t_bg $!
	i=0
	while [ ! -S "$T/act.sock" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	chmod 666 "$T/act.sock"
	t_like "$($SM "unix:$T/act.sock" ask 'mta-sts cached.test')" '^OK secure match=mx1\.example\.test' \
	    "socket activation: answers on the socket systemd passed (LISTEN_FDS)"
	t_like "$(cat "$T/act.log")" 'listening on the sockets from systemd' "  and says so"
else
	t_skip 2 "systemd-socket-activate not installed"
fi
t_done
