#!/bin/bash
# SPDX-License-Identifier: ISC
# Hostile peers and files against mta-sts-fcgi (the security review):
#
# 1. The unix socket (as root): a socket directory that another user can
#    write is refused before anything is created in it, so a racer there
#    can never turn a chmod/chown of the socket onto another file; in a
#    root-owned directory the socket gets -M's mode and -u's owner.
# 2. Slow clients on the FastCGI socket: a request drip-fed a byte a second
#    is cut at the whole-request deadline (5 s); a kept connection left idle
#    is closed at the idle deadline (10 s); a client that keeps sending
#    after an answer that closes is cut within 3 s.
# 3. PARAMS without end (100 MiB): the connection is closed after the cap
#    and the responder's memory stays flat; a request with 16 KiB of
#    ordinary headers is still answered.
# 4. A FIFO in the domain directory: reloads go on (a domain added after it
#    is served), SIGTERM still stops the responder, and the log says it is
#    not a regular file.
# 5. A NUL inside HTTP_HOST is a 400, not a truncated name; -u user:root is
#    refused; a domain file that is a link to a file of another shape
#    (/etc/passwd) is reported without quoting a byte of it.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v python3 >/dev/null || t_skip_all "no python3"
t_init 62-fcgi-hostile

UARG=()
[ "$(id -u)" = 0 ] && UARG=(-u nobody)
CLIENT=$T_TOP/tests/helpers/fcgiclient.py
fcgi() { python3 "$CLIENT" "$@"; }

t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
chmod -R a+rX "$T"

# start NAME ARGS...: the responder in the background, stderr in $T/NAME.err.
start() {
	local name=$1
	shift
	"$BIN" "$@" 2>"$T/$name.err" &
	PID=$!
	t_bg "$PID"
}

rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

# ---- 1. the unix socket -----------------------------------------------------

if [ "$(id -u)" = 0 ]; then
	mkdir -p "$T/open" "$T/root"
	chown nobody "$T/open"
	chmod 0755 "$T/open" "$T/root"
	printf 'secret\n' >"$T/victim"
	chmod 0600 "$T/victim"
	# A racer as nobody: the socket's name becomes a link to the victim.
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    bash -c 'end=$((SECONDS + 60)); while [ $SECONDS -lt $end ]; do
		ln -sfn "$1" "$2/s.tmp" 2>/dev/null && mv -f "$2/s.tmp" "$2/s" 2>/dev/null
	    done' racer "$T/victim" "$T/open" &
	RACER=$!
	t_bg "$RACER"
	refused=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		# refused at once, on its own (a responder that serves is
		# stopped by the timeout: exit 124, not 1)
		timeout 5 "$BIN" -c "$T/mta-sts.conf" -s "unix:$T/open/s" -M 0666 \
		    -u nobody:nogroup -r 0 2>"$T/open.err"
		[ $? = 1 ] && refused=$((refused + 1))
	done
	t_stop "$RACER"
	t_is "$refused" 10 "a socket directory another user can write: refused, exit 1, each of 10 starts"
	t_like "$(cat "$T/open.err")" "$T/open: the socket directory is writable by a user other than root" \
	    "the message names the directory"
	t_is "$(stat -c '%a %U' "$T/victim")" "600 root" "the racer's target keeps its mode and owner"

	start sock -c "$T/mta-sts.conf" -s "unix:$T/root/s" -M 0660 -u nobody:nogroup -r 0
	i=0
	while [ ! -S "$T/root/s" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	t_is "$(stat -c '%a %U %G' "$T/root/s" 2>/dev/null)" "660 nobody nogroup" \
	    "a root-owned directory: the socket has -M's mode and -u's owner"
	t_like "$(fcgi "unix:$T/root/s" get mta-sts.example.com)" '^Status: 200' "and serves"
	t_stop "$PID"
else
	t_skip 5 "not root: the socket directory checks need root"
fi

# ---- 2. slow clients ----------------------------------------------------------

PORT=$(t_free_port)
start tcp -c "$T/mta-sts.conf" -s "tcp:127.0.0.1:$PORT" -T 4 -r 1 "${UARG[@]}"
TCP_PID=$PID
t_ok "-s tcp: listens" t_wait_port 127.0.0.1 "$PORT" 10
A=127.0.0.1:$PORT

LIMIT=20 fcgi "$A" drip 1 >"$T/drip" &
D1=$!
LIMIT=20 fcgi "$A" idle mta-sts.example.com >"$T/idle" &
D2=$!
LIMIT=20 fcgi "$A" linger mta-sts.example.com 0.5 >"$T/linger" &
D3=$!
sleep 1
t_like "$(fcgi "$A" get mta-sts.example.com)" '^Status: 200' "a request is answered while three slow clients hold connections"
wait "$D1" "$D2" "$D3"
secs() { sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$1"; }
d=$(secs "$T/drip")
t_ok "a request drip-fed a byte a second is cut at 5 s ($(tail -n 1 "$T/drip"))" test -n "$d" -a "${d:-99}" -ge 4 -a "${d:-99}" -le 6
d=$(secs "$T/idle")
t_like "$(head -n 1 "$T/idle")" '^Status: 200' "the kept connection's request was answered"
t_ok "an idle kept connection is closed at 10 s ($(tail -n 1 "$T/idle"))" test -n "$d" -a "${d:-99}" -ge 9 -a "${d:-99}" -le 11
d=$(secs "$T/linger")
t_ok "a client that keeps sending after the answer is cut within 3 s ($(tail -n 1 "$T/linger"))" test -n "$d" -a "${d:-99}" -le 3

# ---- 3. PARAMS without end ----------------------------------------------------

before=$(rss_kb "$TCP_PID")
out=$(LIMIT=20 fcgi "$A" flood 100)
after=$(rss_kb "$TCP_PID")
n=$(sed -n 's/^closed after \([0-9]*\) bytes/\1/p' <<<"$out")
t_ok "100 MiB of PARAMS: closed after the cap ($out)" test -n "$n" -a "${n:-999999999}" -lt $((8 << 20))
t_ok "the responder's memory stays flat (RSS $before KiB before, $after KiB after)" \
    test "$after" -lt $((before + 8192))
big=$(head -c 16000 /dev/zero | tr '\0' c)
t_like "$(fcgi "$A" get mta-sts.example.com "HTTP_COOKIE=$big")" '^Status: 200' \
    "16 KiB of ordinary headers are still answered"
t_ok "the responder is alive" kill -0 "$TCP_PID"

# ---- 4. a FIFO in the domain directory ----------------------------------------

mkfifo "$T/domains/fifo.example" "$T/outside.fifo"
ln -s "$T/outside.fifo" "$T/domains/fifolink.example"
chmod a+r "$T/domains/fifo.example" "$T/outside.fifo"
kill -HUP "$TCP_PID"
sleep 1.5
printf 'mode = testing\nmx = mx.late.example\nmax-age = 1d\n' >"$T/domains/late.example"
chmod a+r "$T/domains/late.example"
kill -HUP "$TCP_PID"
i=0
while [ "$i" -lt 30 ]; do
	case $(fcgi "$A" get mta-sts.late.example 2>/dev/null) in *mx.late.example*) break;; esac
	sleep 0.1
	i=$((i + 1))
done
t_ok "reloads go on past a FIFO: a domain added after it is served" test "$i" -lt 30
t_like "$(cat "$T/tcp.err")" 'fifo\.example: not a regular file' "the log names the FIFO and says what it is"
t_like "$(fcgi "$A" get mta-sts.fifo.example)" '^Status: 404' "the FIFO is no domain"
t_like "$(cat "$T/tcp.err")" 'fifolink\.example: not a regular file' "so is a link to a FIFO outside the directory"
mkfifo "$T/conf.fifo"
chmod a+r "$T/conf.fifo"
out=$(timeout -k 1 5 "$BIN" -c "$T/conf.fifo" -s "tcp:127.0.0.1:$(t_free_port)" "${UARG[@]}" 2>&1)
t_is "$?" 1 "a global file that is a FIFO: exit 1 at once, not a hang"
t_like "$out" 'conf\.fifo: not a regular file' "and says what it is"

# ---- 5. smaller points ------------------------------------------------------------

t_like "$(fcgi "$A" get 'mta-sts.example.com\x00.evil.test' 2>&1)" '^Status: 400' "a NUL inside HTTP_HOST: 400"
t_like "$(fcgi "$A" get 'mta-sts.example.com' 'REQUEST_URI=/.well-known/mta-sts.txt\x00.bak' 2>&1)" '^Status: 400' "a NUL inside another parameter: 400"

ln -s /etc/passwd "$T/domains/passwd.example"
kill -HUP "$TCP_PID"
sleep 1.5
t_like "$(cat "$T/tcp.err")" 'passwd\.example' "a domain file linked to /etc/passwd is reported"
t_unlike "$(cat "$T/tcp.err")" 'root|daemon|nologin' "without quoting a byte of it"

kill -TERM "$TCP_PID"
i=0
while kill -0 "$TCP_PID" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "SIGTERM stops the responder (a FIFO in the directory)" test "$i" -lt 30
t_stop "$TCP_PID"

if [ "$(id -u)" = 0 ]; then
	out=$(timeout -k 1 5 "$BIN" -c "$T/mta-sts.conf" -s "tcp:127.0.0.1:$(t_free_port)" -u nobody:root 2>&1)
	t_is "$?" 1 "-u nobody:root: exit 1"
	t_like "$out" "group root \\(gid 0\\)" "-u nobody:root: refused, naming gid 0"
else
	t_skip 2 "not root"
fi

t_done
