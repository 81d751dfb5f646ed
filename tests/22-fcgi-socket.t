#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi on its own socket: -s tcp: and -s unix: (with -M), fd 0
# from spawn-fcgi, systemd socket activation; kept FastCGI connections
# (nginx fastcgi_keep_conn) never stall other requests; SIGHUP, SIGTERM.
# tests/helpers/fcgiclient.py (python3) stands in for the web server.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v python3 >/dev/null || t_skip_all "no python3"
t_init 22-fcgi-socket

UARG=()
[ "$(id -u)" = 0 ] && UARG=(-u nobody)

mkdir -p "$T/domains" "$T/certs"
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
chmod -R a+rX "$T"
POLICY_COM=$'version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n'

fcgi() { python3 "$T_TOP/tests/helpers/fcgiclient.py" "$@"; }
body_of() { perl -0777 -ne 'print((split /\r\n\r\n/, $_, 2)[1]); print "."'; }

# start NAME ARGS...: the responder in the background, stderr in $T/NAME.err.
start() {
	local name=$1
	shift
	"$BIN" "$@" 2>"$T/$name.err" &
	PID=$!
	t_bg "$PID"
}

# ---- -s tcp: --------------------------------------------------------------

PORT=$(t_free_port)
start tcp -c "$T/mta-sts.conf" -s "tcp:127.0.0.1:$PORT" -T 8 -r 0 "${UARG[@]}"
TCP_PID=$PID
t_ok "-s tcp:127.0.0.1:PORT listens" t_wait_port 127.0.0.1 "$PORT" 10
t_is "$(fcgi "127.0.0.1:$PORT" get mta-sts.example.com | body_of)" "$POLICY_COM." "-s tcp: serves the policy"
t_like "$(fcgi "127.0.0.1:$PORT" get mta-sts.nope.example)" '^Status: 404' "-s tcp: 404 for an unknown domain"

out=$(fcgi "127.0.0.1:$PORT" keep 7 mta-sts.example.com)
t_is "$(grep -c 'Status: 200' <<<"$out")" 8 "7 kept connections and a new one, -T 8: all answered"
t_like "$out" 'fresh: Status: 200 OK' "a new connection is served while 7 are kept open"
t_like "$out" 'again: 7 of 7' "each kept connection serves its next request"
[ -n "$(sed -n '/fresh: /{/Status: 200/!p}' <<<"$out")" ] && t_diag "$out"

# No REQUEST_URI: the path is SCRIPT_NAME + PATH_INFO, exactly the policy's.
WK=/.well-known/mta-sts.txt
fenv() {
	fcgi "127.0.0.1:$PORT" env REQUEST_METHOD=GET HTTP_HOST=mta-sts.example.com \
	    SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 "$@" |
	    sed -n '1s/^Status: \([0-9]*\).*/\1/p'
}
for sp in "$WK|" "/.well-known|/mta-sts.txt" "|$WK"; do
	t_is "$(fenv SCRIPT_NAME="${sp%%|*}" PATH_INFO="${sp#*|}")" 200 \
	    "no REQUEST_URI: SCRIPT_NAME '${sp%%|*}' + PATH_INFO '${sp#*|}': 200"
done
for sp in "$WK.bak|" "$WK/|" "$WK/x|" "$WK|/" "$WK|/x" "/.well-known|/mta-sts.txt.bak" \
    "/.well-known|/mta-sts.txt/" "/.well-known|/mta-sts.txt/x" "|$WK.bak" "|$WK/x" \
    "/.well-known|"; do
	t_is "$(fenv SCRIPT_NAME="${sp%%|*}" PATH_INFO="${sp#*|}")" 404 \
	    "no REQUEST_URI: SCRIPT_NAME '${sp%%|*}' + PATH_INFO '${sp#*|}': 404"
done
t_is "$(fenv SCRIPT_NAME="$WK.bak")" 404 "no REQUEST_URI, SCRIPT_NAME '$WK.bak', no PATH_INFO: 404"
t_is "$(fenv)" 404 "no REQUEST_URI, SCRIPT_NAME or PATH_INFO: 404"
t_is "$(fenv REQUEST_URI="$WK.bak" SCRIPT_NAME=/.well-known PATH_INFO=/mta-sts.txt)" 404 \
    "REQUEST_URI '$WK.bak' wins over SCRIPT_NAME + PATH_INFO: 404"

# SIGHUP with -r 0: re-read at once.
printf 'mode = enforce\nmx = mx-hup.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
kill -HUP "$TCP_PID"
i=0
while [ "$i" -lt 30 ]; do
	b=$(fcgi "127.0.0.1:$PORT" get mta-sts.example.com | body_of)
	case $b in *mx-hup*) break;; esac
	sleep 0.1
	i=$((i + 1))
done
t_like "$b" 'mx: mx-hup\.example\.com' "SIGHUP: the edit is served"
printf 'mode = enforce\nmx = mx.example.com\nmax-age = 1d\n' >"$T/domains/example.com"

kill -TERM "$TCP_PID"
st=0
wait "$TCP_PID" || st=$?
t_is "$st" 0 "SIGTERM: exits with status 0"
t_is "$(t_log "$T/tcp.err")" "" "nothing logged"

# ---- -s unix: -M ------------------------------------------------------------

SOCK=$T/run/fcgi.sock
mkdir -p "$T/run"
chmod 755 "$T/run"
: >"$SOCK"	# a plain file in the way is not removed
start unix-file -c "$T/mta-sts.conf" -s "unix:$SOCK" -M 0660 -r 0 "${UARG[@]}"
st=0
wait "$PID" || st=$?
t_isnt "$st" 0 "-s unix: on a path that is not a socket: refuses"
rm -f "$SOCK"
start unix -c "$T/mta-sts.conf" -s "unix:$SOCK" -M 0660 -r 0 "${UARG[@]}"
i=0
while [ ! -S "$SOCK" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t_is "$(stat -c %a "$SOCK" 2>/dev/null)" 660 "-M 0660: the socket's mode"
if [ "$(id -u)" = 0 ]; then
	t_is "$(stat -c %U "$SOCK")" nobody "-u nobody: the socket belongs to nobody"
else
	t_skip 1 "not root"
fi
t_is "$(fcgi "unix:$SOCK" get mta-sts.example.com | body_of)" "$POLICY_COM." "-s unix: serves the policy"
t_stop "$PID"

# ---- fd 0 from spawn-fcgi -----------------------------------------------------

if command -v spawn-fcgi >/dev/null; then
	PORT=$(t_free_port)
	MTA_STS_CONF=$T/mta-sts.conf spawn-fcgi -n -a 127.0.0.1 -p "$PORT" -- \
	    "$BIN" -r 0 "${UARG[@]}" 2>"$T/spawn.err" &
	t_bg $!
	t_wait_port 127.0.0.1 "$PORT" 10
	t_is "$(fcgi "127.0.0.1:$PORT" get mta-sts.example.com | body_of)" "$POLICY_COM." \
	    "fd 0 a listening socket (spawn-fcgi), MTA_STS_CONF: serves"
else
	t_skip 1 "spawn-fcgi not installed"
fi

# ---- systemd socket activation -------------------------------------------

PORT=$(t_free_port)
python3 - "$PORT" "$BIN" -c "$T/mta-sts.conf" -r 0 "${UARG[@]}" 2>"$T/sd.err" <<'EOF' &
import os, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = "1"
os.execv(sys.argv[2], sys.argv[2:])
EOF
t_bg $!
t_wait_port 127.0.0.1 "$PORT" 10
t_is "$(fcgi "127.0.0.1:$PORT" get mta-sts.example.com | body_of)" "$POLICY_COM." \
    "systemd socket activation (LISTEN_FDS, fd 3): serves"

# ---- many domains: read by several threads --------------------------------

mkdir -p "$T/many/domains" "$T/many/certs"
cat >"$T/many/mta-sts.conf" <<EOF
domains = $T/many/domains
certs = $T/many/certs
EOF
if command -v openssl >/dev/null && t_ca "$T/many/ca" && t_cert "$T/many/ca" mx mx.example.net; then
	cp "$T/many/ca/mx.pem" "$T/many/certs/"
	for i in $(seq 1000 1999); do
		if [ $((i % 2)) = 0 ]; then
			: >"$T/many/domains/d$i.example"
		else
			printf 'mx = mx%d.example.com\n' "$i" >"$T/many/domains/d$i.example"
		fi
	done
	chmod -R a+rX "$T/many"
	PORT=$(t_free_port)
	start many -c "$T/many/mta-sts.conf" -s "tcp:127.0.0.1:$PORT" -r 0 "${UARG[@]}"
	MANY_PID=$PID
	t_wait_port 127.0.0.1 "$PORT" 10
	bad=0
	for i in 1000 1001 1234 1567 1998 1999; do
		want=mx.example.net
		[ $((i % 2)) = 1 ] && want=mx$i.example.com
		b=$(fcgi "127.0.0.1:$PORT" get "mta-sts.d$i.example" | body_of)
		[ "$b" = $'version: STSv1\r\nmode: testing\r\nmx: '"$want"$'\r\nmax_age: 604800\r\n.' ] ||
			{ bad=$((bad + 1)); t_diag "d$i.example: '$b'"; }
	done
	t_is "$bad" 0 "1000 domains (read in parallel): each serves its own policy"
	printf 'mx = mx-hup.example.com\n' >"$T/many/domains/d1000.example"
	kill -HUP "$MANY_PID"
	i=0
	while [ "$i" -lt 50 ]; do
		b=$(fcgi "127.0.0.1:$PORT" get mta-sts.d1000.example | body_of)
		case $b in *mx-hup*) break;; esac
		sleep 0.1
		i=$((i + 1))
	done
	t_like "$b" 'mx: mx-hup\.example\.com' "SIGHUP re-reads all 1000 (in parallel) and sees the edit"
	b=$(fcgi "127.0.0.1:$PORT" get mta-sts.d1998.example | body_of)
	t_like "$b" 'mx: mx\.example\.net' "and the others still serve theirs"
	t_is "$(t_log "$T/many.err")" "" "nothing logged"
	t_stop "$MANY_PID"
else
	t_skip 4 "cannot make test certificates"
fi

# ---- refusals ---------------------------------------------------------------

if [ "$(id -u)" = 0 ]; then
	PORT=$(t_free_port)
	st=0
	"$BIN" -c "$T/mta-sts.conf" -s "tcp:127.0.0.1:$PORT" >/dev/null 2>"$T/root.err" || st=$?
	t_is "$st" 1 "as root without -u: exit status 1"
	t_like "$(cat "$T/root.err")" 'refusing to run as root' "and says so"
else
	t_skip 2 "not root"
fi
PORT=$(t_free_port)
st=0
"$BIN" -c "$T/nonexistent.conf" -s "tcp:127.0.0.1:$PORT" "${UARG[@]}" >/dev/null 2>"$T/noconf.err" || st=$?
t_is "$st" 1 "missing configuration: exit status 1"
t_like "$(cat "$T/noconf.err")" "^mta-sts-fcgi: $T/nonexistent\\.conf: " "and names the file"

t_done
