#!/bin/bash
# SPDX-License-Identifier: ISC
# 30-checker-net.t: the checker's network primitives (checker/dns.c,
# dns_ask.c, conn.c, https.c, smtp.c), one call at a time through
# tests/helpers/netprobe, against real servers in a private network
# namespace: Knot DNS, lighttpd with TLS, a scripted TLS server for odd
# HTTP framing and stalls, and tests/helpers/smtpd. Every limit (timeouts,
# body cap) is checked to end the call, with its message.
#
#	127.0.0.1:53	knotd: zones test, good.test, other.test
#	127.0.0.1:443	lighttpd: mta-sts.good.test (+ redirect, 404);
#	127.0.0.3:443	lighttpd: an expired certificate
#	127.0.0.4:443	scripted HTTPS: chunked, close-delimited, too long, stall
#	127.0.0.8:443	accepts TCP, never speaks TLS
#	127.0.0.10:443	TLS 1.0 and 1.1 only
#	127.0.0.5:25	smtpd, certificate mx1.good.test, *.mx.good.test
#	127.0.0.6:25	smtpd without STARTTLS
#	127.0.0.7:25	smtpd that never answers
#	127.0.0.11:25	smtpd with 150 lines of EHLO reply
#	127.0.0.12:25	smtpd greeting with 554
#	127.0.0.13:25	smtpd sending a line after its STARTTLS reply
#	127.0.0.54:53	UDP socket that never answers (DNS timeout)
. "$(dirname "$0")/lib/testlib.sh"

NP=${T30_NETPROBE:-$T_TOP/tests/helpers/netprobe}	# T30_NETPROBE: another build (ASan)
SMTPD=$T_TOP/tests/helpers/smtpd
TMO=2		# seconds: the timeout every call gets here
# T30_WRAP="valgrind -q --leak-check=full --error-exitcode=99" runs every probe under it
WRAP=${T30_WRAP:-}
NS=

[ "$(id -u)" = 0 ] || t_skip_all "needs root for a network namespace"
for p in ip knotd kdig lighttpd openssl python3; do
	command -v "$p" >/dev/null 2>&1 || t_skip_all "$p not installed"
done
[ -r /usr/lib/lighttpd/mod_openssl.so ] || t_skip_all "lighttpd-mod-openssl not installed"
[ -x "$NP" ] && [ -x "$SMTPD" ] || t_skip_all "build the helpers first (make all-tests)"

t_init t30-net
_t30_cleanup() {
	_t_cleanup
	if [ -n "$NS" ]; then
		ip netns del "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS"
	fi
}
trap '_t30_cleanup' EXIT
trap '_t30_cleanup; exit 130' INT
trap '_t30_cleanup; exit 143' TERM
NS=mtasts-t30-$$
ip netns add "$NS" 2>/dev/null || { NS=; t_skip_all "cannot create a network namespace"; }
# nx CMD...: in the namespace (not for servers: backgrounded, a function
# would leave $! naming a subshell; start those with ip netns exec directly)
nx() { ip netns exec "$NS" "$@"; }
nx ip link set lo up
# ip netns exec bind-mounts this over /etc/resolv.conf
mkdir -p "/etc/netns/$NS" && echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf"

# wait_tcp ADDR PORT: inside the namespace
wait_tcp() {
	local i=0
	while [ "$i" -lt 50 ]; do
		nx bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	t_diag "nothing listens on $1:$2"
	return 1
}

# ---- certificates ---------------------------------------------------------------

P=$T/pki
t_ca "$P" &&
t_cert "$P" web mta-sts.good.test mta-sts.redirect.test mta-sts.notfound.test &&
t_cert_expired "$P" old mta-sts.expired.test &&
t_cert "$P" raw mta-sts.chunked.test mta-sts.closed.test mta-sts.long.test \
    mta-sts.endless.test mta-sts.endlesschunk.test mta-sts.stall.test \
    mta-sts.bighdr.test mta-sts.badstatus.test mta-sts.oldtls.test &&
t_cert "$P" mx mx1.good.test '*.mx.good.test' || { echo "Bail out! cannot make certificates"; exit 255; }

# ---- DNS --------------------------------------------------------------------------

K=$T/knot
mkdir -p "$K/db"
SOA='SOA ns hostmaster 1 3600 600 86400 60'
cat >"$K/test.zone" <<EOF
\$ORIGIN test.
\$TTL 60
@			$SOA
@			NS	ns
ns			A	127.0.0.1
mta-sts.wrong		A	127.0.0.1
mta-sts.redirect	A	127.0.0.1
mta-sts.notfound	A	127.0.0.1
mta-sts.expired		A	127.0.0.3
mta-sts.chunked		A	127.0.0.4
mta-sts.closed		A	127.0.0.4
mta-sts.long		A	127.0.0.4
mta-sts.endless		A	127.0.0.4
mta-sts.endlesschunk	A	127.0.0.4
mta-sts.stall		A	127.0.0.4
mta-sts.bighdr		A	127.0.0.4
mta-sts.badstatus	A	127.0.0.4
mta-sts.hang		A	127.0.0.8
mta-sts.oldtls		A	127.0.0.10
mta-sts.refused		A	127.0.0.9
EOF
cat >"$K/good.test.zone" <<EOF
\$ORIGIN good.test.
\$TTL 60
@		$SOA
@		NS	ns
ns		A	127.0.0.1
ns		AAAA	2001:db8::53
@		MX	20 mx2
@		MX	10 mx1
@		MX	10 a.mx
_mta-sts	TXT	"v=STSv1; " "id=2026" "1129030000"
_smtp._tls	TXT	"v=TLSRPTv1; rua=mailto:tls@good.test"
two		TXT	"v=STSv1; id=1"
two		TXT	"v=spf1 -all"
nul		TXT	"v=STSv1; id=1\000junk"
EOF
# an RRset too big for one UDP answer: truncated, then asked over TCP
for i in $(seq 1 12); do
	printf 'big\t\tTXT\t"v=STSv1; id=%02d%0200d"\n' "$i" 0
done >>"$K/good.test.zone"
cat >>"$K/good.test.zone" <<EOF
chain		CNAME	chain2
chain2		CNAME	_mta-sts
loop1		CNAME	loop2
loop2		CNAME	loop1
mta-sts		A	127.0.0.1
mx1		A	127.0.0.5
mx2		A	127.0.0.5
mx2		AAAA	::1
*.mx		A	127.0.0.5
mx-wrong	A	127.0.0.5
mx-plain	A	127.0.0.6
mx-silent	A	127.0.0.7
mx-none		A	127.0.0.9
mx-chatty	A	127.0.0.11
mx-reject	A	127.0.0.12
mx-inject	A	127.0.0.13
EOF
cat >"$K/other.test.zone" <<EOF
\$ORIGIN other.test.
\$TTL 60
@		$SOA
@		NS	ns.good.test.
@		MX	0 .
_mta-sts	TXT	"v=STSv1; id=unrelated"
x		CNAME	_mta-sts.good.test.
EOF
cat >"$K/knot.conf" <<EOF
server:
    rundir: "$K"
    listen: 127.0.0.1@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$K/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$K"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: test
  - domain: good.test
  - domain: other.test
EOF
ip netns exec "$NS" knotd -c "$K/knot.conf" >"$K/knotd.log" 2>&1 &
t_bg $!
i=0
until nx kdig +timeout=1 +retry=0 @127.0.0.1 SOA other.test 2>/dev/null | grep -q 'status: NOERROR'; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { t_diag "$(cat "$K/knotd.log")"; echo "Bail out! knotd did not come up"; exit 255; }
	sleep 0.1
done

# a UDP "DNS server" that reads nothing and never answers
ip netns exec "$NS" python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.54", 53))
time.sleep(3600)' &
t_bg $!

# ---- web ----------------------------------------------------------------------------

W=$T/web
mkdir -p "$W/good/.well-known" "$W/empty"
printf 'version: STSv1\r\nmode: testing\r\nmx: mx1.good.test\r\nmax_age: 86400\r\n' \
    >"$W/good/.well-known/mta-sts.txt"
cat >"$W/lighttpd.conf" <<EOF
server.modules = ( "mod_openssl", "mod_redirect" )
server.bind = "127.0.0.1"
server.port = 443
server.document-root = "$W/good"
server.errorlog = "$W/error.log"
server.pid-file = "$W/lighttpd.pid"
mimetype.assign = ( ".txt" => "text/plain; charset=utf-8" )
ssl.engine = "enable"
ssl.pemfile = "$P/web.fullchain.pem"
ssl.privkey = "$P/web.key"
\$SERVER["socket"] == "127.0.0.3:443" {
    ssl.engine = "enable"
    ssl.pemfile = "$P/old.fullchain.pem"
    ssl.privkey = "$P/old.key"
}
\$HTTP["host"] == "mta-sts.redirect.test" {
    url.redirect = ( "^/(.*)" => "https://mta-sts.good.test/\$1" )
}
\$HTTP["host"] == "mta-sts.notfound.test" {
    server.document-root = "$W/empty"
}
EOF
ip netns exec "$NS" lighttpd -D -f "$W/lighttpd.conf" >"$W/stderr" 2>&1 &
t_bg $!

# scripted HTTPS on 127.0.0.4: the Host header picks the behaviour
cat >"$W/raw.py" <<'EOF'
import socket, ssl, sys, threading, time
POLICY = b"version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmax_age: 604800\r\n"
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
def serve(c):
    try:
        c.settimeout(30)
        c = ctx.wrap_socket(c, server_side=True)
        req = b""
        while b"\r\n\r\n" not in req:
            b = c.recv(4096)
            if not b:
                return
            req += b
        host = [l.split(b":", 1)[1].strip() for l in req.split(b"\r\n")
                if l.lower().startswith(b"host:")][0].decode()
        kind = host.split(".")[1]
        hdr = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        if kind == "chunked":
            c.sendall(hdr + b"Transfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(POLICY), 7):
                part = POLICY[i:i + 7]
                c.sendall(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
            c.sendall(b"0\r\nX-Trailer: 1\r\n\r\n")
        elif kind == "closed":
            c.sendall(hdr + b"\r\n" + POLICY)
        elif kind == "long":
            c.sendall(hdr + b"Content-Length: 70000\r\n\r\n" + b"x" * 70000)
        elif kind == "endless":
            c.sendall(hdr + b"\r\n")
            while True:
                c.sendall(b"mx: x.example\r\n" * 100)
        elif kind == "endlesschunk":
            c.sendall(hdr + b"Transfer-Encoding: chunked\r\n\r\n")
            while True:
                c.sendall(b"400\r\n" + b"y" * 1024 + b"\r\n")
        elif kind == "bighdr":
            c.sendall(hdr + b"".join(b"X-F%d: %s\r\n" % (i, b"z" * 100)
                                     for i in range(200)) +
                      b"Content-Length: 2\r\n\r\nok")
        elif kind == "badstatus":
            c.sendall(b"HTTP/2 200\r\nContent-Length: 2\r\n\r\nok")
        elif kind == "stall":
            c.sendall(b"HTTP/1.1 200 OK\r\n")
            time.sleep(30)
        c.close()
    except Exception:
        pass
def listen(addr, tls):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 443))
    s.listen(16)
    while True:
        c, _ = s.accept()
        if tls:
            threading.Thread(target=serve, args=(c,), daemon=True).start()
        else:
            threading.Thread(target=lambda c=c: time.sleep(30), daemon=True).start()
# TLS 1.1 at most, for the TLS >= 1.2 floor
old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
old.load_cert_chain(sys.argv[1], sys.argv[2])
old.set_ciphers("DEFAULT:@SECLEVEL=0")
old.minimum_version = ssl.TLSVersion.TLSv1
old.maximum_version = ssl.TLSVersion.TLSv1_1
def oldtls(c):
    try:
        c.settimeout(10)
        old.wrap_socket(c, server_side=True).recv(100)
    except Exception:
        pass
def listen_old(addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 443))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=oldtls, args=(c,), daemon=True).start()
threading.Thread(target=listen, args=("127.0.0.8", False), daemon=True).start()
threading.Thread(target=listen_old, args=("127.0.0.10",), daemon=True).start()
listen("127.0.0.4", True)
EOF
ip netns exec "$NS" python3 "$W/raw.py" "$P/raw.fullchain.pem" "$P/raw.key" >"$W/raw.log" 2>&1 &
t_bg $!

# ---- SMTP ---------------------------------------------------------------------------

S=$T/smtp
mkdir -p "$S"
ip netns exec "$NS" "$SMTPD" -l 127.0.0.5:25 -c "$P/mx.fullchain.pem" -k "$P/mx.key" >"$S/5.log" 2>&1 &
t_bg $!
ip netns exec "$NS" "$SMTPD" -l 127.0.0.6:25 -c "$P/mx.fullchain.pem" -k "$P/mx.key" --no-starttls >"$S/6.log" 2>&1 &
t_bg $!
ip netns exec "$NS" "$SMTPD" -l 127.0.0.7:25 --silent --no-starttls >"$S/7.log" 2>&1 &
t_bg $!
ip netns exec "$NS" "$SMTPD" -l 127.0.0.11:25 --no-starttls --ehlo-lines 150 >"$S/11.log" 2>&1 &
t_bg $!
ip netns exec "$NS" "$SMTPD" -l 127.0.0.12:25 --reject >"$S/12.log" 2>&1 &
t_bg $!
ip netns exec "$NS" "$SMTPD" -l 127.0.0.13:25 -c "$P/mx.fullchain.pem" -k "$P/mx.key" --inject >"$S/13.log" 2>&1 &
t_bg $!

for hp in 127.0.0.1:443 127.0.0.3:443 127.0.0.4:443 127.0.0.8:443 127.0.0.10:443 \
    127.0.0.5:25 127.0.0.6:25 127.0.0.7:25 127.0.0.11:25 127.0.0.12:25 \
    127.0.0.13:25; do
	wait_tcp "${hp%:*}" "${hp#*:}" || {
		t_diag "lighttpd: $(cat "$W/stderr" "$W/error.log" 2>/dev/null)" \
		    "raw: $(cat "$W/raw.log")" "smtpd: $(cat "$S"/*.log)"
		echo "Bail out! a test server did not come up"
		exit 255
	}
done

# ---- the calls ------------------------------------------------------------------------

# probe ARGS...: $OUT = netprobe's output plus "exit=N", $SECS = whole seconds taken
probe() {
	local t0 t1
	t0=$(date +%s%N)
	OUT=$(nx $WRAP "$NP" -s 127.0.0.1 -t "$TMO" -C "$P/ca.pem" "$@" 2>&1; echo "exit=$?")
	t1=$(date +%s%N)
	SECS=$(( (t1 - t0) / 1000000000 ))
}
# within N "msg": the last probe took at most N seconds
within() {
	if [ "$SECS" -le "$1" ]; then
		t_pass "$2 (${SECS}s)"
	else
		t_fail "$2"
		t_diag "  took ${SECS}s, limit $1 s"
	fi
}

# DNS: TXT
probe txt _mta-sts.good.test
t_like "$OUT" $'count=1\ntxt=v=STSv1; id=20261129030000\nexit=0' "TXT: strings of one record joined with nothing between"
OUT=$(nx $WRAP "$NP" -t "$TMO" txt _mta-sts.good.test 2>&1; echo "exit=$?")
t_like "$OUT" $'count=1\ntxt=v=STSv1; id=20261129030000\nexit=0' "TXT: through the resolver in /etc/resolv.conf"
OUT=$(nx $WRAP "$NP" -t "$TMO" txt _mta-sts.example.org 2>&1; echo "exit=$?")
t_like "$OUT" 'error=_mta-sts.example.org: DNS server 127.0.0.1 answered REFUSED' "TXT: ... whose errors name it"
probe txt two.good.test
t_like "$OUT" 'count=2' "TXT: two records at one name, both returned"
probe txt nul.good.test
t_like "$OUT" $'count=1\ntxt=v=STSv1; id=1\\\\x7fjunk\nexit=0' "TXT: a NUL byte cannot cut a record short (it becomes DEL)"
probe txt big.good.test
t_like "$OUT" $'^count=12\n(txt=v=STSv1; id=[0-9]{202}\n){12}exit=0$' "TXT: truncated UDP answer retried over TCP"
probe txt chain.good.test
t_like "$OUT" $'count=1\ntxt=v=STSv1; id=20261129030000\nexit=0' "TXT: CNAME chain inside the zone followed"
probe txt x.other.test
t_like "$OUT" $'count=1\ntxt=v=STSv1; id=20261129030000\nexit=0' "TXT: CNAME into another zone followed"
probe txt loop1.good.test
t_like "$OUT" 'error=loop1.good.test: CNAME loop.*exit=1' "TXT: CNAME loop is an error"
probe txt _mta-sts.nothing.good.test
t_like "$OUT" $'^count=0\nexit=0$' "TXT: NXDOMAIN is no record, not an error"
probe txt mx1.good.test
t_like "$OUT" $'^count=0\nexit=0$' "TXT: NODATA is no record, not an error"
probe txt _mta-sts.example.org
t_like "$OUT" 'error=_mta-sts.example.org: DNS server 127.0.0.1 answered REFUSED.*exit=1' "TXT: REFUSED is an error naming the name and the server"
OUT=$(nx $WRAP "$NP" -s 127.0.0.53 -t "$TMO" txt _mta-sts.good.test 2>&1; echo "exit=$?")
t_like "$OUT" 'error=_mta-sts.good.test: DNS server 127.0.0.53.*exit=1' "TXT: no server listening is an error, not 'no record'"
t0=$(date +%s%N)
OUT=$(nx $WRAP "$NP" -s 127.0.0.54:53 -t "$TMO" txt _mta-sts.good.test 2>&1; echo "exit=$?")
SECS=$(( ($(date +%s%N) - t0) / 1000000000 ))
t_like "$OUT" "error=_mta-sts.good.test: DNS server 127.0.0.54:53 did not answer within $TMO s.*exit=1" "TXT: a server that never answers: timeout message"
within $((TMO + 2)) "TXT: ... and the timeout holds"

# DNS: MX, zone, authoritative servers, addresses
probe mx good.test
t_like "$OUT" $'^count=3\nmx=10 a.mx.good.test\nmx=10 mx1.good.test\nmx=20 mx2.good.test\nexit=0$' "MX: sorted by preference, lower-case, no trailing dot"
probe mx other.test
t_like "$OUT" $'^count=1\nmx=0 .\nexit=0$' "MX: null MX (RFC 7505) is host \"\""
probe mx nothing.good.test
t_like "$OUT" $'^count=0\nexit=0$' "MX: none"
probe zone _mta-sts.good.test
t_like "$OUT" $'zone=good.test\nprimary=ns.good.test\nexit=0' "zone: from the SOA in a NODATA answer's authority section"
probe zone good.test
t_like "$OUT" $'zone=good.test\nprimary=ns.good.test\nexit=0' "zone: a zone apex is its own zone"
probe zone a.b.nothing.good.test
t_like "$OUT" $'zone=good.test\nprimary=ns.good.test\nexit=0' "zone: NXDOMAIN below the zone"
probe zone mta-sts.wrong.test
t_like "$OUT" $'zone=test\nprimary=ns.test\nexit=0' "zone: the parent zone, not a child that merely shares a suffix"
probe auth good.test _mta-sts.good.test id=20261129030000
t_like "$OUT" $'auth=ok\nexit=0' "auth: every authoritative server has the record (an address with no route from here skipped)"
probe auth good.test _mta-sts.good.test id=20990101000000
t_like "$OUT" 'error=_mta-sts.good.test: authoritative server ns.good.test \(127.0.0.1\) does not have the new record yet.*exit=1' "auth: a server without the record is named"
probe auth good.test _mta-sts.good.test id=2026112903000
t_like "$OUT" 'error=.*does not have the new record yet.*exit=1' "auth: a prefix of the id is not the id"
probe auth good.test _mta-sts.nothing.good.test id=1
t_like "$OUT" 'error=.*ns.good.test \(127.0.0.1\) has no TXT record there yet.*exit=1' "auth: no record at all"
probe addrs mx2.good.test
t_like "$OUT" $'^count=2\naddr=127.0.0.5\naddr=::1\nexit=0$' "addrs: A then AAAA"

# HTTPS
probe https good.test
t_like "$OUT" $'status=200\nctype=text/plain; charset=utf-8\nexpires=[0-9]+\nbodylen=66\nbody=version: STSv1\\\\x0d\\\\x0amode: testing' "HTTPS: lighttpd, good certificate, Content-Length body"
probe https wrong.test
t_like "$OUT" 'error=mta-sts.wrong.test: certificate verify failed: hostname mismatch.*exit=1' "HTTPS: certificate for another name"
probe https expired.test
t_like "$OUT" 'expires=[0-9]+.*error=mta-sts.expired.test: certificate verify failed: certificate has expired.*exit=1' "HTTPS: expired certificate (and its notAfter still reported)"
OUT=$(SSL_CERT_FILE=/dev/null SSL_CERT_DIR=/nonexistent nx $WRAP "$NP" -s 127.0.0.1 -t "$TMO" https good.test 2>&1; echo "exit=$?")
t_like "$OUT" 'error=mta-sts.good.test: certificate verify failed: (self-signed certificate in certificate chain|unable to get local issuer certificate).*exit=1' "HTTPS: default store does not know the test CA"
probe https redirect.test
t_like "$OUT" 'status=301.*location=https://mta-sts.good.test/.well-known/mta-sts.txt.*error=mta-sts.redirect.test: HTTP status 301 \(redirect to https://mta-sts.good.test/.well-known/mta-sts.txt; senders do not follow redirects\).*exit=1' "HTTPS: redirect reported, not followed"
probe https notfound.test
t_like "$OUT" 'status=404.*error=mta-sts.notfound.test: HTTP status 404.*exit=1' "HTTPS: 404"
probe https chunked.test
t_like "$OUT" $'status=200\nctype=text/plain\nexpires=[0-9]+\nbodylen=67\nbody=version: STSv1\\\\x0d\\\\x0amode: enforce\\\\x0d\\\\x0amx: mx1.good.test\\\\x0d\\\\x0amax_age: 604800\\\\x0d\\\\x0a\nexit=0' "HTTPS: chunked body (with extensions and a trailer) reassembled"
probe https closed.test
t_like "$OUT" $'bodylen=67\nbody=version: STSv1.*exit=0' "HTTPS: close-delimited body without close_notify"
probe https long.test
t_like "$OUT" 'error=mta-sts.long.test: body longer than 65536 bytes.*exit=1' "HTTPS: Content-Length over 64 KiB refused"
probe https endless.test
t_like "$OUT" 'error=mta-sts.endless.test: body longer than 65536 bytes.*exit=1' "HTTPS: endless close-delimited body ends at the cap"
probe https endlesschunk.test
t_like "$OUT" 'error=mta-sts.endlesschunk.test: body longer than 65536 bytes.*exit=1' "HTTPS: endless chunked body ends at the cap"
probe https bighdr.test
t_like "$OUT" 'error=mta-sts.bighdr.test: HTTP header block longer than 16384 bytes.*exit=1' "HTTPS: header block over 16 KiB refused"
probe https badstatus.test
t_like "$OUT" "error=mta-sts.badstatus.test: not an HTTP/1.x status line: 'HTTP/2 200'.*exit=1" "HTTPS: malformed status line"
probe https stall.test
t_like "$OUT" "error=mta-sts.stall.test: no answer within $TMO s \(reading the response headers\).*exit=1" "HTTPS: server stalls in the headers"
within $((TMO + 2)) "HTTPS: ... and the deadline holds"
probe https hang.test
t_like "$OUT" "error=mta-sts.hang.test: no answer within $TMO s \(TLS handshake\).*exit=1" "HTTPS: server never speaks TLS"
within $((TMO + 2)) "HTTPS: ... and the deadline holds"
probe https oldtls.test
t_like "$OUT" 'error=mta-sts.oldtls.test: TLS handshake failed: .*protocol.* \(senders need TLS 1.2 or later\).*exit=1' "HTTPS: a server without TLS 1.2 or later is refused"
probe https refused.test
t_like "$OUT" 'error=mta-sts.refused.test: connection refused \(127.0.0.9 port 443\).*exit=1' "HTTPS: connection refused"
probe https nothing.good.test
t_like "$OUT" 'error=mta-sts.nothing.good.test: no A or AAAA record.*exit=1' "HTTPS: no address"

# SMTP
probe smtp mx1.good.test
t_like "$OUT" $'starttls=1\ncert_ok=1\nversion=TLSv1\\.[23]\nexpires=[0-9]+\nexit=0' "SMTP: STARTTLS, certificate good"
probe smtp a.mx.good.test
t_like "$OUT" $'starttls=1\ncert_ok=1.*exit=0' "SMTP: wildcard certificate covers one label"
probe smtp b.c.mx.good.test
t_like "$OUT" 'starttls=1.cert_ok=0.*certerror=b.c.mx.good.test: certificate verify failed: hostname mismatch.*exit=0' "SMTP: wildcard does not cover two labels"
probe smtp mx-wrong.good.test
t_like "$OUT" 'starttls=1.cert_ok=0.*certerror=mx-wrong.good.test: certificate verify failed: hostname mismatch.*exit=0' "SMTP: certificate for another name"
probe smtp mx-plain.good.test
t_like "$OUT" 'starttls=0.*error=mx-plain.good.test: does not offer STARTTLS.*exit=1' "SMTP: no STARTTLS"
probe smtp mx-silent.good.test
t_like "$OUT" "error=mx-silent.good.test: no answer within $TMO s \(waiting for the banner\).*exit=1" "SMTP: server that never answers"
within $((TMO + 2)) "SMTP: ... and the deadline holds"
probe smtp mx-chatty.good.test
t_like "$OUT" 'error=mx-chatty.good.test: more than 100 lines in a reply \(waiting for the EHLO reply\).*exit=1' "SMTP: endless EHLO reply cut at 100 lines"
probe smtp mx-reject.good.test
t_like "$OUT" 'error=mx-reject.good.test: refuses the connection: 554 smtpd.test no service here.*exit=1' "SMTP: 554 banner"
probe smtp mx-inject.good.test
t_like "$OUT" 'starttls=0.*error=mx-inject.good.test: sent data after its STARTTLS reply.*exit=1' "SMTP: plaintext after the STARTTLS reply is refused (no command injection)"
probe smtp mx-none.good.test
t_like "$OUT" 'error=mx-none.good.test: connection refused \(127.0.0.9 port 25\).*exit=1' "SMTP: connection refused"

# threads, as mta-sts-check -j runs them: each with its own resolver
probe stress 8 5 good.test mx1.good.test
t_like "$OUT" $'^ok=120\nfail=0\nexit=0$' "8 threads x 5 rounds of TXT, HTTPS and SMTP at once (${SECS}s)"

t_done
