#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""hostile.py: TCP servers for tests that misbehave on purpose.

    hostile.py MODE ADDR:PORT [--cert FULLCHAIN.pem --key KEY.pem] [--pidfile F]

HTTPS modes (TLS with --cert/--key, then one HTTP request read):
    endless      200 text/plain, no length, body bytes as fast as possible
    chunked      200 text/plain, chunked, endless 4 KiB chunks
    drip         200 text/plain, Content-Length 1000, one byte every 0.2 s
    stallhdr     the status line and headers, then nothing
    hdrdrip      header lines, one every 0.2 s, forever
    hdrflood     header lines as fast as possible, forever
    stalltls     accept, read the ClientHello, never answer it
    policy       a good policy (for a certificate test: self-signed, ...)
SMTP modes (plain TCP):
    smtpflood    "220-" continuation lines as fast as possible
    smtpdrip     the banner one byte every 0.2 s, forever
    smtplong     banner bytes without an end of line, forever
    smtpehlo     a normal banner, then an EHLO reply that drips a line
                 every 0.2 s, forever

Every connection gets its own thread; the server runs until killed.
"""
import argparse
import os
import socket
import ssl
import sys
import threading
import time

POLICY = (b"version: STSv1\r\nmode: testing\r\nmx: mx1.example.test\r\n"
          b"mx: mx2.example.test\r\nmax_age: 86400\r\n")


def read_request(s):
    buf = b""
    while b"\r\n\r\n" not in buf and len(buf) < 65536:
        b = s.recv(4096)
        if not b:
            return False
        buf += b
    return True


def serve(mode, s):
    if mode == "stalltls":
        s.recv(4096)
        s.recv(1)            # until the client gives up
        return
    if mode.startswith("smtp"):
        if mode == "smtpflood":
            while True:
                s.sendall(b"220-mx.hostile.test flooding you\r\n" * 64)
        if mode == "smtpdrip":
            while True:
                for c in b"220 mx.hostile.test ESMTP\r\n":
                    s.sendall(bytes([c]))
                    time.sleep(0.2)
        if mode == "smtplong":
            while True:
                s.sendall(b"220 " + b"x" * 4096)
        if mode == "smtpehlo":
            s.sendall(b"220 mx.hostile.test ESMTP\r\n")
            s.recv(4096)
            while True:
                s.sendall(b"250-mx.hostile.test\r\n")
                time.sleep(0.2)
        return
    if not read_request(s):
        return
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
    if mode == "endless":
        s.sendall(head + b"Connection: close\r\n\r\n")
        while True:
            s.sendall(b"x" * 16384)
    if mode == "chunked":
        s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n")
        while True:
            s.sendall(b"1000\r\n" + b"y" * 4096 + b"\r\n")
    if mode == "drip":
        s.sendall(head + b"Content-Length: 1000\r\n\r\n")
        while True:
            s.sendall(b"z")
            time.sleep(0.2)
    if mode == "stallhdr":
        s.sendall(head + b"Content-Length: 100\r\n\r\n")
        s.recv(1)
        return
    if mode == "hdrdrip":
        s.sendall(head)
        while True:
            s.sendall(b"X-Drip: x\r\n")
            time.sleep(0.2)
    if mode == "hdrflood":
        s.sendall(head)
        while True:
            s.sendall(b"X-Flood: xxxxxxxxxxxxxxxxxxxxxxxx\r\n" * 64)
    if mode == "policy":
        s.sendall(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                  % len(POLICY) + POLICY)
        return


def handle(mode, ctx, c):
    s = c
    try:
        c.settimeout(60)
        if ctx is not None and mode != "stalltls":
            s = ctx.wrap_socket(c, server_side=True)
        serve(mode, s)
    except (OSError, ssl.SSLError):
        pass
    finally:
        try:
            s.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("listen")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")
    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port)))
    ls.listen(64)
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(a.pidfile + ".tmp", a.pidfile)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(a.mode, ctx, c),
                         daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
