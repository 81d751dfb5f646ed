# SPDX-License-Identifier: ISC
# tests/helpers/fcgiclient.py: a FastCGI client that behaves as a web
# server would, or as a hostile local user on the responder's socket would.
#
#   fcgiclient.py ADDR get HOST [NAME=VALUE ...]   one request; the response
#                                                  (\xNN in HOST is that byte)
#   fcgiclient.py ADDR drip SECS                   a request, one byte every
#                                                  SECS: when was it closed?
#   fcgiclient.py ADDR idle HOST                   a kept connection after one
#                                                  answer: when was it closed?
#   fcgiclient.py ADDR linger HOST SECS            keep sending a byte every
#                                                  SECS after an answer that
#                                                  closes: when was it closed?
#   fcgiclient.py ADDR flood MIB                   PARAMS without end: how much
#                                                  was taken before the close?
#   fcgiclient.py ADDR post HOST URI FILE [NAME=VALUE ...]
#                                                  a POST of FILE's bytes (no
#                                                  CONTENT_* unless given); the
#                                                  response. STALL=SECS: half of
#                                                  the body, then that pause
#                                                  (or until an answer)
#   fcgiclient.py ADDR env NAME=VALUE ...          one request with exactly
#                                                  these parameters
#   fcgiclient.py ADDR keep N HOST                 N kept connections, then a
#                                                  new one, then a second
#                                                  request on each kept one
# ADDR is unix:PATH or HOST:PORT. Each probe stops by itself after LIMIT
# seconds (environment, default 20) and says "open after N s" then.
import os, socket, struct, sys, time

LIMIT = float(os.environ.get("LIMIT", "20"))

def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)), timeout=5)
    return s

def record(t, rid, content):
    pad = (8 - len(content) % 8) % 8
    return struct.pack("!BBHHBx", 1, t, rid, len(content), pad) + content + b"\0" * pad

def nvlen(n):
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)

def nv(k, v):
    return nvlen(len(k)) + nvlen(len(v)) + k + v

def request(host, keep, extra=(), method=b"GET",
            uri=b"/.well-known/mta-sts.txt", stdin=True, rid=1, params=None):
    """The records of one request; params (pairs) replace the usual ones."""
    if params is None:
        params = [(b"REQUEST_METHOD", method), (b"HTTP_HOST", host),
                  (b"REQUEST_URI", uri),
                  (b"SERVER_PROTOCOL", b"HTTP/1.1"),
                  (b"GATEWAY_INTERFACE", b"CGI/1.1")] + list(extra)
    p = b"".join(nv(k, v) for k, v in params)
    recs = record(1, rid, struct.pack("!HB5x", 1, 1 if keep else 0))
    for i in range(0, len(p), 65535):
        recs += record(4, rid, p[i:i + 65535])
    return recs + record(4, rid, b"") + (record(5, rid, b"") if stdin else b"")

def recvn(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed")
        b += c
    return b

def response(s):
    out = b""
    while True:
        _, t, _, clen, plen = struct.unpack("!BBHHBx", recvn(s, 8))
        content = recvn(s, clen)
        recvn(s, plen)
        if t == 6:
            out += content
        elif t == 3:
            return out

def status(resp):
    return resp.split(b"\r\n", 1)[0].decode(errors="replace")

def ask(s, host, keep, rid=1):
    """One request on s; the response."""
    s.sendall(request(host.encode(), keep, rid=rid))
    return response(s)

def closed(s, t0):
    """Wait (reading) until the peer closes; seconds since t0, or None."""
    s.settimeout(0.2)
    while time.time() - t0 < LIMIT:
        try:
            if not s.recv(4096):
                return time.time() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.time() - t0
    return None

def say(t):
    print("open after %d s" % LIMIT if t is None else "closed after %.1f s" % t)

addr, cmd = sys.argv[1], sys.argv[2]
if cmd == "get":
    s = connect(addr)
    unesc = lambda a: a.encode("latin-1").decode("unicode_escape").encode("latin-1")
    extra = [tuple(unesc(a).split(b"=", 1)) for a in sys.argv[4:]]
    s.sendall(request(unesc(sys.argv[3]), False, extra))
    sys.stdout.buffer.write(response(s))
elif cmd == "post":
    s = connect(addr)
    s.settimeout(LIMIT)
    extra = [tuple(a.encode().split(b"=", 1)) for a in sys.argv[6:]]
    body = open(sys.argv[5], "rb").read()
    s.sendall(request(sys.argv[3].encode(), False, extra, b"POST",
                      sys.argv[4].encode(), False))
    stall = float(os.environ.get("STALL", "0"))
    half = len(body) // 2 if stall else len(body)
    for i in range(0, half, 65535):
        s.sendall(record(5, 1, body[i:min(i + 65535, half)]))
    if stall:
        # an answer during the pause ends it
        s.settimeout(stall)
        try:
            sys.stdout.buffer.write(response(s))
            sys.exit(0)
        except socket.timeout:
            s.settimeout(LIMIT)
    try:
        for i in range(half, len(body), 65535):
            s.sendall(record(5, 1, body[i:i + 65535]))
        s.sendall(record(5, 1, b""))
    except OSError:
        pass
    sys.stdout.buffer.write(response(s))
elif cmd == "drip":
    s = connect(addr)
    req, t0, gap = request(b"mta-sts.example.com", False), time.time(), float(sys.argv[3])
    s.settimeout(gap)
    t = None
    for i in range(len(req)):
        if time.time() - t0 > LIMIT:
            break
        try:
            s.send(req[i:i + 1])
            if s.recv(1) == b"":
                t = time.time() - t0
                break
            print("answered after %.1f s" % (time.time() - t0))
            sys.exit(0)
        except socket.timeout:
            continue
        except OSError:
            t = time.time() - t0
            break
    say(t)
elif cmd == "idle":
    s = connect(addr)
    s.sendall(request(sys.argv[3].encode(), True))
    print(response(s).split(b"\r\n", 1)[0].decode())
    say(closed(s, time.time()))
elif cmd == "linger":
    s = connect(addr)
    s.sendall(request(sys.argv[3].encode(), False))
    print(response(s).split(b"\r\n", 1)[0].decode())
    t0, gap, t = time.time(), float(sys.argv[4]), None
    while time.time() - t0 < LIMIT:
        try:
            s.send(b"x")
        except OSError:
            t = time.time() - t0
            break
        time.sleep(gap)
    say(t)
elif cmd == "flood":
    # One parameter whose value claims MIB MiB, then streamed: a reader
    # that believes the length allocates it all.
    s = connect(addr)
    want, sent = int(sys.argv[3]) << 20, 0
    head = bytes([6]) + struct.pack("!I", want | 0x80000000) + b"HTTP_X"
    chunk = record(4, 1, b"B" * 65528)
    t0 = time.time()
    try:
        s.sendall(record(1, 1, struct.pack("!HB5x", 1, 1)) + record(4, 1, head))
        while sent < want and time.time() - t0 < LIMIT:
            s.sendall(chunk)
            sent += len(chunk)
        print("took %d bytes" % sent)
    except socket.timeout:
        print("stalled after %d bytes" % sent)
    except OSError:
        print("closed after %d bytes" % sent)
elif cmd == "env":
    s = connect(addr)
    params = [tuple(a.encode().split(b"=", 1)) for a in sys.argv[3:]]
    s.sendall(request(None, False, params=params))
    sys.stdout.buffer.write(response(s))
elif cmd == "keep":
    n, host = int(sys.argv[3]), sys.argv[4]
    kept = []
    for i in range(n):
        s = connect(addr)
        r = ask(s, host, True)
        kept.append(s)
        print("kept %d: %s" % (i, status(r)))
    try:
        s = connect(addr)
        print("fresh: " + status(ask(s, host, False)))
        s.close()
    except Exception as e:
        print("fresh: failed: %s" % e)
    ok = 0
    for s in kept:
        try:
            if status(ask(s, host, True, rid=2)) == "Status: 200 OK":
                ok += 1
        except Exception as e:
            print("second request: %s" % e)
    print("again: %d of %d" % (ok, n))
