#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi whose listening socket stops listening under it (fd 0 shut
# down by the process that passed it): the workers say so once and the
# main thread exits with status 1, instead of a worker spinning on accept.
# A small python3 harness passes the socket as fd 0 and shuts it down.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v python3 >/dev/null || t_skip_all "no python3"
t_init 24-fcgi-lost-socket

UARG=()
[ "$(id -u)" = 0 ] && UARG=(-u nobody)

mkdir -p "$T/domains" "$T/certs"
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
chmod -R a+rX "$T"

cat >"$T/lost.py" <<'EOF2'
# lost.py ERRFILE BIN ARGS...: serve on fd 0, one request, then shut the
# socket down; prints "answered: STATUS" and "exit: N" (or "exit: none").
import socket, struct, subprocess, sys, time

def record(t, rid, content):
    return struct.pack("!BBHHBx", 1, t, rid, len(content), 0) + content

def get(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    p = b""
    for k, v in (("REQUEST_METHOD", "GET"), ("HTTP_HOST", "mta-sts.example.com"),
                 ("REQUEST_URI", "/.well-known/mta-sts.txt")):
        p += bytes([len(k), len(v)]) + k.encode() + v.encode()
    s.sendall(record(1, 1, struct.pack("!HB5x", 1, 0)) + record(4, 1, p) +
              record(4, 1, b"") + record(5, 1, b""))
    out = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        out += c
    i = out.find(b"Status: ")
    return out[i:].split(b"\r\n", 1)[0].decode() if i >= 0 else "none"

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(16)
port = ls.getsockname()[1]
err = open(sys.argv[1], "w")
p = subprocess.Popen(sys.argv[2:], stdin=ls.fileno(), stderr=err)
status = "none"
for i in range(100):
    try:
        status = get(port)
        break
    except OSError:
        time.sleep(0.05)
print("answered: " + status)
ls.shutdown(socket.SHUT_RDWR)
try:
    print("exit: %d" % p.wait(timeout=15))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("exit: none")
EOF2

out=$(python3 "$T/lost.py" "$T/lost.err" "$BIN" -c "$T/mta-sts.conf" -r 0 -T 4 "${UARG[@]}")
t_like "$out" 'answered: Status: 200 OK' "fd 0 a listening socket: serves"
t_like "$out" 'exit: 1$' "the socket shut down under it: exit status 1"
t_is "$(grep -c 'no socket to serve on' "$T/lost.err")" 1 "said once: $(head -1 "$T/lost.err")"

t_done
