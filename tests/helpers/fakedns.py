#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""fakedns.py: a DNS proxy for tests that answers some names with hostile
packets and forwards every other query to a real server.

    fakedns.py -l 127.0.0.1:5300 -u 127.0.0.1:53 [--pidfile FILE]

It listens on UDP and TCP. A query for a name whose first label after
"_mta-sts." is a mode below (e.g. _mta-sts.garbage.test) gets that mode's
answer; everything else is relayed to the upstream server unchanged.

    tc        TC bit set, no answer; over TCP the connection is closed
    tcstall   TC bit set; over TCP it reads the query and never answers
    tcdrip    TC bit set; over TCP a 65535-byte length, then one byte
              every 0.4 s, forever
    tcok      TC bit set; over TCP the upstream's real answer
    garbage   200 random bytes
    short     5 bytes (less than a DNS header)
    wrongid   the upstream's real answer, but with another message id
    loop      an answer whose owner name is a compression pointer to itself
    big       about 60 KB of TXT records (two of them v=STSv1) over UDP
    slow      the upstream's real answer, 10 s late
    silent    nothing at all
    mismatch  the upstream's answer to another question (_mta-sts.example.test)
    cnameloop a CNAME to itself
    badrcode  rcode 7 (YXRRSET), no records
    badcount  header says 50 answers, there are none
    twice     the upstream's real answer, sent twice (over UDP): the copy
              waits in the client's socket for its next query

It prints nothing but errors and runs until killed.
"""
import argparse
import os
import random
import socket
import struct
import sys
import threading
import time

MODES = {"tc", "tcstall", "tcdrip", "tcok", "garbage", "short", "wrongid", "loop",
         "big", "slow", "silent", "mismatch", "cnameloop", "badrcode",
         "badcount", "twice"}


def addr(s):
    host, _, port = s.rpartition(":")
    return host, int(port)


def parse_question(q):
    """(id, qname as text, qtype, end offset of the question) or None"""
    if len(q) < 12:
        return None
    qid = struct.unpack("!H", q[:2])[0]
    off, labels = 12, []
    while off < len(q):
        n = q[off]
        off += 1
        if n == 0:
            break
        if n > 63:
            return None
        labels.append(q[off:off + n].decode("ascii", "replace").lower())
        off += n
    if off + 4 > len(q):
        return None
    qtype = struct.unpack("!H", q[off:off + 2])[0]
    return qid, ".".join(labels), qtype, off + 4


def mode_of(name):
    labels = name.split(".")
    if len(labels) >= 2 and labels[0] == "_mta-sts" and labels[1] in MODES:
        return labels[1]
    return None


def header(qid, flags, qd, an, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def txt_rr(text_strings):
    rdata = b"".join(bytes([len(s)]) + s for s in text_strings)
    # owner: a pointer to the question name at offset 12
    return b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 60, len(rdata)) + rdata


class Proxy:
    def __init__(self, upstream):
        self.upstream = upstream

    def relay(self, q):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        try:
            s.sendto(q, self.upstream)
            return s.recv(65535)
        except OSError:
            return None
        finally:
            s.close()

    def answer(self, q, tcp):
        """the reply bytes for query q, or None for no reply"""
        p = parse_question(q)
        if p is None:
            return None
        qid, name, qtype, qend = p
        question = q[12:qend]
        mode = mode_of(name)
        if mode is None or mode == "twice":
            return self.relay(q)
        if mode in ("tc", "tcstall", "tcdrip", "tcok"):
            return header(qid, 0x8380, 1, 0) + question
        if mode == "garbage":
            return bytes(random.getrandbits(8) for _ in range(200))
        if mode == "short":
            return q[:2] + b"\x81\x80\x00"
        if mode == "wrongid":
            r = self.relay(q)
            if r is None:
                return None
            return struct.pack("!H", qid ^ 0x5a5a) + r[2:]
        if mode == "loop":
            # answer owner at offset 12 + len(question): a pointer to itself
            off = 12 + len(question)
            ptr = struct.pack("!H", 0xc000 | off)
            return (header(qid, 0x8180, 1, 1) + question + ptr +
                    struct.pack("!HHIH", 16, 1, 60, 2) + b"\x01x")
        if mode == "big":
            rrs = [txt_rr([b"v=STSv1; id=20260101000000"]),
                   txt_rr([b"v=STSv1; id=20260101000001"])]
            junk = b"j" * 250
            while sum(len(r) for r in rrs) < 60000:
                rrs.append(txt_rr([junk]))
            return header(qid, 0x8180, 1, len(rrs)) + question + b"".join(rrs)
        if mode == "slow":
            time.sleep(10)
            return self.relay(q)
        if mode == "silent":
            return None
        if mode == "mismatch":
            other = question.replace(b"\x08mismatch\x04test", b"\x07example\x04test")
            r = self.relay(q[:12] + other + q[qend:])
            return r
        if mode == "cnameloop":
            return (header(qid, 0x8180, 1, 1) + question + b"\xc0\x0c" +
                    struct.pack("!HHIH", 5, 1, 60, 2) + b"\xc0\x0c")
        if mode == "badrcode":
            return header(qid, 0x8187, 1, 0) + question
        if mode == "badcount":
            return header(qid, 0x8180, 1, 50) + question
        return None

    def udp(self, sock):
        while True:
            try:
                q, peer = sock.recvfrom(65535)
            except OSError:
                continue
            threading.Thread(target=self.udp_one, args=(sock, q, peer),
                             daemon=True).start()

    def udp_one(self, sock, q, peer):
        r = self.answer(q, False)
        p = parse_question(q)
        again = p is not None and mode_of(p[1]) == "twice"
        if r is not None:
            try:
                sock.sendto(r, peer)
                if again:
                    sock.sendto(r, peer)
            except OSError as e:
                print("fakedns: send: %s" % e, file=sys.stderr)

    def tcp(self, lsock):
        while True:
            c, _ = lsock.accept()
            threading.Thread(target=self.tcp_one, args=(c,), daemon=True).start()

    def tcp_one(self, c):
        try:
            c.settimeout(60)
            n = b""
            while len(n) < 2:
                b = c.recv(2 - len(n))
                if not b:
                    return
                n += b
            want = struct.unpack("!H", n)[0]
            q = b""
            while len(q) < want:
                b = c.recv(want - len(q))
                if not b:
                    return
                q += b
            p = parse_question(q)
            mode = mode_of(p[1]) if p else None
            if mode == "tc":
                return
            if mode == "tcstall":
                c.recv(1)        # until the client gives up
                return
            if mode == "tcdrip":
                c.sendall(b"\xff\xff")
                while True:
                    time.sleep(0.4)
                    c.sendall(b"\x00")
            if mode == "silent":
                return
            r = self.relay(q) if mode in (None, "tcok") else self.answer(q, True)
            if r is not None:
                c.sendall(struct.pack("!H", len(r)) + r)
        except OSError:
            pass
        finally:
            c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-l", required=True, help="listen ADDR:PORT")
    ap.add_argument("-u", required=True, help="upstream ADDR:PORT")
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    listen = addr(a.l)
    proxy = Proxy(addr(a.u))
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind(listen)
    ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ts.bind(listen)
    ts.listen(64)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    threading.Thread(target=proxy.tcp, args=(ts,), daemon=True).start()
    proxy.udp(us)


if __name__ == "__main__":
    main()
