#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""socketmap.py: a Postfix socketmap client for tests (netstrings).

    socketmap.py SOCKET ask "name key" ...   one connection, each request in
                                             turn; prints each reply payload
    socketmap.py SOCKET pipeline "name key" ...  all requests in one write
    socketmap.py SOCKET raw                  stdin as is; prints the reply
                                             bytes, then "<closed>" when the
                                             server closed (3 s at most)
    socketmap.py SOCKET many N "name key"    N connections open at once, each
                                             asks; prints "N replies: R" per
                                             distinct reply R
    socketmap.py SOCKET slow SECONDS BYTES   sends BYTES, then waits up to
                                             SECONDS; prints "closed after S.S s"
                                             or "open"
    socketmap.py SOCKET time "name key"      prints the reply and the ms taken

SOCKET is unix:/path or tcp:host:port.
"""
import resource
import socket
import sys
import time


def connect(spec):
    if spec.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(spec[5:])
    else:
        host, _, port = spec[4:].rpartition(":")
        s = socket.create_connection((host, int(port)))
    return s


def ns(payload):
    b = payload.encode() if isinstance(payload, str) else payload
    return str(len(b)).encode() + b":" + b + b","


def read_reply(s, buf=b""):
    while True:
        colon = buf.find(b":")
        if colon > 0:
            n = int(buf[:colon])
            if len(buf) >= colon + n + 2:
                return buf[colon + 1:colon + 1 + n].decode(errors="replace"), buf[colon + n + 2:]
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed")
        buf += chunk


def main():
    spec, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd in ("ask", "pipeline"):
        s = connect(spec)
        s.settimeout(30)
        if cmd == "pipeline":
            s.sendall(b"".join(ns(a) for a in args))
        buf = b""
        for a in args:
            if cmd == "ask":
                s.sendall(ns(a))
            r, buf = read_reply(s, buf)
            print(r)
    elif cmd == "raw":
        s = connect(spec)
        s.settimeout(3)
        s.sendall(sys.stdin.buffer.read())
        out = b""
        closed = False
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    closed = True
                    break
                out += b
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
        sys.stdout.write(out.decode(errors="replace") + ("<closed>" if closed else "") + "\n")
    elif cmd == "many":
        n = int(args[0])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < n + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
        socks = []
        for _ in range(n):
            s = connect(spec)
            s.settimeout(60)
            socks.append(s)
        for s in socks:
            s.sendall(ns(args[1]))
        counts = {}
        for s in socks:
            try:
                r, _ = read_reply(s)
            except (EOFError, OSError) as e:
                r = "<" + str(e) + ">"
            counts[r] = counts.get(r, 0) + 1
            s.close()
        for r, c in sorted(counts.items()):
            print("%d replies: %s" % (c, r))
    elif cmd == "slow":
        s = connect(spec)
        t0 = time.time()
        s.sendall(args[1].encode())
        s.settimeout(float(args[0]))
        try:
            while True:
                b = s.recv(100)
                if not b:
                    print("closed after %.1f s" % (time.time() - t0))
                    return
        except socket.timeout:
            print("open")
    elif cmd == "time":
        s = connect(spec)
        s.settimeout(30)
        t0 = time.time()
        s.sendall(ns(args[0]))
        r, _ = read_reply(s)
        print("%s\t%.1f" % (r, (time.time() - t0) * 1000))
    else:
        sys.exit("socketmap.py: unknown command " + cmd)


main()
