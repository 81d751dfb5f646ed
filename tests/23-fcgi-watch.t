#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi with a domain directory large enough (over 1000 files) that
# polls rely on inotify: an idle poll stats no domain file, yet an edit in
# place, an edit seen through a symbolic link, a new file and a removed one
# are served within seconds; a directory moved away and back is watched
# again. Behind lighttpd (bin-path), -r 1.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v lighttpd >/dev/null || t_skip_all "lighttpd not installed"
command -v curl >/dev/null || t_skip_all "curl not installed"
t_init 23-fcgi-watch

UARG=
[ "$(id -u)" = 0 ] && UARG=" -u nobody"
N=3000

mkdir -p "$T/domains" "$T/certs" "$T/www"
i=1
while [ "$i" -le "$N" ]; do
	printf 'mode = enforce\nmx = mx%d.example.net\n' "$i" >"$T/domains/d$i.example"
	i=$((i + 1))
done
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
ln -s example.com "$T/domains/alias.example"
chmod -R a+rX "$T"

PORT=$(t_free_port)
cat >"$T/l.conf" <<EOF
server.modules = ( "mod_fastcgi" )
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$T/l.error.log"
fastcgi.server = ( "/" => ((
	"bin-path" => "$BIN -r 1$UARG",
	"socket" => "$T/l.sock",
	"max-procs" => 1,
	"bin-environment" => ( "MTA_STS_CONF" => "$T/mta-sts.conf" ),
	"check-local" => "disable"
)) )
EOF
t_ok "lighttpd with the responder starts" t_lighttpd "$T/l.conf" "$PORT" ||
	{ t_diag "$(cat "$T"/l.* 2>/dev/null)"; t_done; }
LPID=$T_LIGHTTPD_PID

fetch() {
	code=$(curl -sS --max-time 10 -o "$T/$1.body" -w '%{http_code}' \
	    -H "Host: $2" "http://127.0.0.1:$PORT/.well-known/mta-sts.txt" 2>"$T/$1.err")
}
body() { cat "$T/$1.body"; echo .; }
# wait_body NAME HOST WANT. SECONDS / wait_code NAME HOST CODE SECONDS
wait_body() {
	local i=0 n=$(($4 * 5))
	while [ "$i" -lt "$n" ]; do
		fetch "$1" "$2"
		[ "$(body "$1")" = "$3" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
wait_code() {
	local i=0 n=$(($4 * 5))
	while [ "$i" -lt "$n" ]; do
		fetch "$1" "$2"
		[ "$code" = "$3" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# The policy, "." after it (as body() puts it: $(...) keeps the last newline).
policy() { printf 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: %s\r\n.' "$1" "$2"; }

t_ok "all $N domains loaded" wait_body a0 "mta-sts.d$N.example" "$(policy "mx$N.example.net" 604800)" 10
RPID=$(pgrep -P "$LPID" | head -n 1)
t_like "$RPID" '^[0-9]+$' "found the responder"

# Idle: polls stat the configuration, the directory and the store, not
# the 3000 files (strace counts what it does for 3 s, 3 polls).
if command -v strace >/dev/null && [ -n "$RPID" ]; then
	# Files changed within 2 s of a poll are looked at again (ctime is
	# always recent here): wait that out.
	sleep 4
	timeout -s INT 3 strace -f -c -e trace=newfstatat,stat,statx,lstat,fstat \
	    -o "$T/strace.out" -p "$RPID" >/dev/null 2>&1
	stats=$(awk '$NF ~ /stat/ { n += $4 } END { print n + 0 }' "$T/strace.out")
	t_ok "idle: fewer than 100 stat calls in 3 s (saw $stats)" test "$stats" -lt 100
else
	t_skip 1 "no strace"
fi

# An edit in place (same inode), and the symbolic link to it follows.
printf 'mode = enforce\nmx = mx-new.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
t_ok "an edit in place is served within 3 s" wait_body e1 mta-sts.example.com \
    "$(policy mx-new.example.com 86400)" 3
t_ok "and through the symbolic link to it" wait_body e2 mta-sts.alias.example \
    "$(policy mx-new.example.com 86400)" 3
printf 'mode = enforce\nmx = mx-777.example.net\n' >"$T/domains/d777.example"
t_ok "an edit of another file, in place" wait_body e3 mta-sts.d777.example \
    "$(policy mx-777.example.net 604800)" 3

printf 'mx = mx.example.org\n' >"$T/domains/example.org"
chmod a+r "$T/domains/example.org"
t_ok "a new file is served within 3 s" wait_code n1 mta-sts.example.org 200 3
rm -f "$T/domains/example.org"
t_ok "a removed one is gone within 3 s" wait_code n2 mta-sts.example.org 404 3

# A link to a file outside the directory: no event in the directory when
# the target goes, so a watched directory sees it at the next full sweep
# (every 60 s) or at SIGHUP; then the domain is gone (a vanished file is not
# "cannot be read, keep the last good policy").
mkdir -p "$T/outside"
printf 'mx = mx.example.org\n' >"$T/outside/example.org.conf"
chmod -R a+rX "$T/outside"
ln -s ../outside/example.org.conf "$T/domains/example.org"
t_ok "a link to a file outside the directory is served within 3 s" wait_code o1 mta-sts.example.org 200 3
# the directory unchanged for a while: no listing, only the stat sees it
sleep 3
rm -f "$T/outside/example.org.conf"
[ -n "$RPID" ] && kill -HUP "$RPID"
t_ok "its target removed, SIGHUP: 404 within 3 s" wait_code o2 mta-sts.example.org 404 3
rm -f "$T/domains/example.org"

# Moved away and back: the watch goes with the old directory, and is set
# again on the path.
mv "$T/domains" "$T/domains.away"
sleep 1.5
mv "$T/domains.away" "$T/domains"
sleep 1.5
printf 'mode = enforce\nmx = mx-back.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
t_ok "after the directory moved away and back, edits are seen" wait_body m1 \
    mta-sts.example.com "$(policy mx-back.example.com 86400)" 5
fetch m2 mta-sts.d1.example
t_is "$code/$(body m2)" "200/$(policy mx1.example.net 604800)" "and the other domains are served"

t_stop "$LPID"
t_done
