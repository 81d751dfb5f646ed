#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi behind a real lighttpd (mod_fastcgi bin-path, HTTP and one
# HTTPS socket): policies byte for byte, errors, hostile Host headers and
# paths, reloads (poll, SIGHUP, certificate store, configuration), and
# that an invalid edit keeps the last good policy.
# T_WRAP="valgrind -q --leak-check=full --error-exitcode=99" runs the
# responder under valgrind (its reports are checked at the end).
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v lighttpd >/dev/null || t_skip_all "lighttpd not installed"
command -v curl >/dev/null || t_skip_all "curl not installed"
TLS=1
[ -e /usr/lib/lighttpd/mod_openssl.so ] || TLS=
t_init 20-fcgi-lighttpd

# As root, the responder is told whom to become.
UARG=
[ "$(id -u)" = 0 ] && UARG=" -u nobody"
WRAP=
if [ -n "$T_WRAP" ]; then
	# lighttpd wants the program by its full path.
	set -- $T_WRAP
	w1=$(command -v "$1") || t_skip_all "T_WRAP: no $1"
	shift
	WRAP="$w1 $* "
	# Idle workers are still blocked in accept() when the responder
	# exits (by design: the socket may be shared with other processes),
	# so their thread stacks count as "possibly lost".
	case $w1 in */valgrind) WRAP="$WRAP--vgdb=no --show-possibly-lost=no --log-file=$T/valgrind.%p ";; esac
fi

mkdir -p "$T/domains" "$T/certs" "$T/ca" "$T/www"
{ t_ca "$T/ca" &&
  t_cert "$T/ca" mx mx2.example.net mx1.example.net mta-sts.example.net &&
  t_cert "$T/ca" mx3 mx3.example.net &&
  t_cert "$T/ca" web mta-sts.example.com mta-sts.example.net; } ||
	{ echo "Bail out! cannot make test certificates"; exit 255; }
cp "$T/ca/mx.pem" "$T/certs/"
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
: >"$T/domains/example.net"
printf 'mx = mx.bücher.example\n' >"$T/domains/bücher.example"
ln -s example.com "$T/domains/alias.example"
# Outside the domain directory: must never be served.
printf 'mx = leaked-secret.example\n' >"$T/secret.example"
echo "SENTINEL-9f2c" >"$T/SENTINEL"
chmod -R a+rX "$T"

POLICY_COM=$'version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n'
POLICY_NET=$'version: STSv1\r\nmode: testing\r\nmx: mx1.example.net\r\nmx: mx2.example.net\r\nmax_age: 604800\r\n'
POLICY_IDN=$'version: STSv1\r\nmode: testing\r\nmx: mx.xn--bcher-kva.example\r\nmax_age: 604800\r\n'
WK=/.well-known/mta-sts.txt

# lighttpd_conf FILE PORT [TLSPORT] [RESPONDER ARGS]
lighttpd_conf() {
	local f=$1 port=$2 tlsport=$3 args=$4 mods='"mod_fastcgi"'
	[ -n "$tlsport" ] && mods="$mods, \"mod_openssl\""
	cat >"$f" <<EOF
server.modules = ( $mods )
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$f.error.log"
fastcgi.server = ( "/" => ((
	"bin-path" => "$WRAP$BIN$args$UARG",
	"socket" => "$f.sock",
	"max-procs" => 1,
	"bin-environment" => ( "MTA_STS_CONF" => "$T/mta-sts.conf" ),
	"check-local" => "disable"
)) )
EOF
	[ -n "$tlsport" ] && cat >>"$f" <<EOF
\$SERVER["socket"] == "127.0.0.1:$tlsport" {
	ssl.engine = "enable"
	ssl.pemfile = "$T/ca/web.fullchain.pem"
	ssl.privkey = "$T/ca/web.key"
}
EOF
	return 0
}

PORT=$(t_free_port)
TLSPORT=
[ -n "$TLS" ] && TLSPORT=$(t_free_port)
lighttpd_conf "$T/a.conf" "$PORT" "$TLSPORT" " -r 1"
# The responder's stderr is lighttpd's stderr: t_lighttpd puts it here.
LOG=$T/a.conf.stderr
t_ok "lighttpd with the responder starts" t_lighttpd "$T/a.conf" "$PORT" ||
	{ t_diag "$(cat "$T"/a.conf.* 2>/dev/null)"; t_done; }
LPID=$T_LIGHTTPD_PID

# fetch NAME HOST PATH [CURL ARGS]: $T/NAME.head, $T/NAME.body; status in $code.
fetch() {
	local name=$1 host=$2 path=$3
	shift 3
	code=$(curl -sS --path-as-is --max-time 10 -o "$T/$name.body" \
	    -D "$T/$name.head" -w '%{http_code}' -H "Host: $host" "$@" \
	    "http://127.0.0.1:$PORT$path" 2>"$T/$name.err")
}
header() { tr -d '\r' <"$T/$1.head" | sed -n "s/^$2: //Ip" | tail -n 1; }
body() { cat "$T/$1.body"; echo .; }

# wait_body NAME HOST WANT SECONDS: until the policy is WANT.
wait_body() {
	local i=0 n=$(($4 * 5))
	while [ "$i" -lt "$n" ]; do
		fetch "$1" "$2" $WK
		[ "$(body "$1")" = "$3." ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
wait_code() {
	local i=0 n=$(($4 * 5))
	while [ "$i" -lt "$n" ]; do
		fetch "$1" "$2" $WK
		[ "$code" = "$3" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}

# ---- policies --------------------------------------------------------------

fetch g1 mta-sts.example.com $WK
t_is "$code" 200 "explicit mx: 200"
t_like "$(header g1 Content-Type)" '^text/plain; charset=utf-8$' "Content-Type: text/plain; charset=utf-8"
t_is "$(header g1 Content-Length)" "${#POLICY_COM}" "Content-Length"
t_is "$(body g1)" "$POLICY_COM." "explicit mx: body byte for byte, CRLF"
t_unlike "$(header g1 Location)" . "no Location header"

fetch g2 mta-sts.example.net $WK
t_is "$(body g2)" "$POLICY_NET." "mx from the certificate store"
fetch g3 mta-sts.xn--bcher-kva.example $WK
t_is "$code/$(body g3)" "200/$POLICY_IDN." "U-label domain file, served for its A-label"
fetch g4 mta-sts.alias.example $WK
t_is "$(body g4)" "$POLICY_COM." "alias symlink"
fetch g5 MTA-STS.Example.Com. $WK
t_is "$(body g5)" "$POLICY_COM." "Host in capitals with a trailing dot"

printf 'HEAD %s HTTP/1.0\r\nHost: mta-sts.example.com\r\n\r\n' "$WK" |
    t_raw 127.0.0.1 "$PORT" >"$T/h1.raw"
perl -0777 -ne '($h, $b) = split /\r\n\r\n/, $_, 2; open(H, ">", "$ARGV.head");
    print H $h, "\r\n"; open(B, ">", "$ARGV.body"); print B $b;' "$T/h1.raw"
mv "$T/h1.raw.head" "$T/h1.head"; mv "$T/h1.raw.body" "$T/h1.body"
t_like "$(head -n 1 "$T/h1.head")" '^HTTP/1\.[01] 200 ' "HEAD: 200"
t_is "$(header h1 Content-Length)" "${#POLICY_COM}" "HEAD: Content-Length of the body"
t_is "$(body h1)" "." "HEAD: no body"

if [ -n "$TLS" ]; then
	code=$(curl -sS --max-time 10 --cacert "$T/ca/ca.pem" -o "$T/tls.body" -w '%{http_code}' \
	    --resolve "mta-sts.example.com:$TLSPORT:127.0.0.1" \
	    "https://mta-sts.example.com:$TLSPORT$WK" 2>"$T/tls.err")
	t_is "$code/$(body tls)" "200/$POLICY_COM." "HTTPS with the test CA"
else
	t_skip 1 "lighttpd-mod-openssl not installed"
fi

# ---- errors ----------------------------------------------------------------

fetch e1 mta-sts.unknown.example $WK
t_is "$code" 404 "unknown domain: 404"
t_like "$(header e1 Content-Type)" '^text/plain' "404: text/plain"
fetch e2 mta-sts.example.com /index.html
t_is "$code" 404 "other path: 404"
fetch e3 example.com $WK
t_is "$code" 400 "Host without mta-sts.: 400"
fetch e4 mta-sts.example.com $WK -X POST -d x=1
t_is "$code/$(header e4 Allow)" "405/GET, HEAD" "POST: 405 with Allow: GET, HEAD"
fetch e5 mta-sts.example.com $WK -X DELETE
t_is "$code/$(header e5 Allow)" "405/GET, HEAD" "DELETE: 405 with Allow"
fetch e6 mta-sts.example.com "$WK?id=1"
t_is "$code/$(body e6)" "200/$POLICY_COM." "a query string is ignored"
for p in "$WK/" /.well-known/mta-sts.txt.bak /.well-known/ /.well-known/mta%2Dsts.txt \
    /.well-known/./mta-sts.txt; do
	fetch ep mta-sts.example.com "$p"
	t_is "$code" 404 "path $p: 404"
done
fetch ep mta-sts.example.com "$WK%00"
t_like "$code" '^4' "path $WK%00: 4xx"

# ---- hostile Host headers: never 200, never 5xx ---------------------------

bad=0
while IFS= read -r h; do
	fetch hh "$h" $WK
	case $code in
	200|5*|000) bad=$((bad + 1)); t_diag "Host '$h': $code";;
	esac
done <<EOF
mta-sts.example.com/../../secret.example
mta-sts../secret.example
mta-sts.
mta-sts
.mta-sts.example.com
127.0.0.1
[::1]
[::1]:80
mta-sts.example.com:80:80
mta-sts.example.com:http
mta-sts.example.com..
mta-sts..example.com
mta-sts.*.example.com
mta-sts.example.com@evil.example
mta-sts.exa%6dple.com
mta-sts.bücher.example
mta-sts.$(printf 'a%.0s' $(seq 64)).com
mta-sts.$(for i in $(seq 30); do printf 'abcdefghi.'; done)com
mta-sts.-example.com
mta-sts.example-.com
mta-sts.123.45
xn--mta-sts.example.com
mta-sts.example.com\\
EOF
t_is "$bad" 0 "23 hostile Host headers: none answered 200 or 5xx"

# Raw requests: NUL, CR, tabs, two Hosts, absolute-form with a bad Host.
bad=0
i=0
for req in \
    'GET %s HTTP/1.0\r\nHost: mta-sts.example.com\0.evil\r\n\r\n' \
    'GET %s HTTP/1.0\r\nHost: mta-sts.exa\rmple.com\r\n\r\n' \
    'GET %s HTTP/1.0\r\nHost: mta-sts.exa\tmple.com\r\n\r\n' \
    'GET %s HTTP/1.1\r\nHost: mta-sts.example.com\r\nHost: mta-sts.example.net\r\nConnection: close\r\n\r\n' \
    'GET %s HTTP/1.0\r\nHost: mta-sts.\xff\xfe.com\r\n\r\n' \
    'GET %s HTTP/1.0\r\nHost: \r\n\r\n' \
    'GET %s HTTP/1.0\r\n\r\n' \
    'GET %s HTTP/1.0\r\nHost: mta-sts.example.com\x7f\r\n\r\n'; do
	i=$((i + 1))
	# shellcheck disable=SC2059
	printf "$req" "$WK" | t_raw 127.0.0.1 "$PORT" >"$T/raw$i" 2>/dev/null
	st=$(head -n 1 "$T/raw$i" | tr -d '\r')
	case $st in
	"HTTP/1."?" 4"*) ;;
	*) bad=$((bad + 1)); t_diag "raw request $i: '$st'";;
	esac
done
t_is "$bad" 0 "8 raw requests with bad bytes or Hosts: all 4xx"

# ---- nothing outside the domain directory --------------------------------

: >"$T/trav.all"
for p in /../secret.example /../../SENTINEL "/.well-known/../../secret.example" \
    "$WK/../../../SENTINEL" /%2e%2e/%2e%2e/SENTINEL "/.well-known/%2e%2e/%2e%2e/SENTINEL" \
    "/..%2fSENTINEL" "/.well-known/mta-sts.txt%2f..%2f..%2fSENTINEL"; do
	for h in mta-sts.example.com mta-sts.secret.example mta-sts.sentinel.example; do
		fetch tr "$h" "$p"
		cat "$T/tr.body" >>"$T/trav.all"
	done
done
fetch tr mta-sts.secret.example $WK
t_is "$code" 404 "a domain file outside the domain directory is not served"
cat "$T/tr.body" >>"$T/trav.all"
t_nok "no response carries the sentinels" grep -q -e SENTINEL-9f2c -e leaked-secret "$T/trav.all"

# ---- reload by polling (-r 1) ---------------------------------------------

POLICY_COM2=$'version: STSv1\r\nmode: enforce\r\nmx: mx-new.example.com\r\nmax_age: 86400\r\n'
printf 'mode = enforce\nmx = mx-new.example.com\nmax-age = 1d\n' >"$T/domains/example.com.new"
mv "$T/domains/example.com.new" "$T/domains/example.com"
t_ok "an edited domain file is served within 10 s" wait_body r1 mta-sts.example.com "$POLICY_COM2" 10
fetch r1a mta-sts.alias.example $WK
t_is "$(body r1a)" "$POLICY_COM2." "and its alias follows"

# Edited in place (same inode), twice within a second, same size.
printf 'mode = enforce\nmx = mx-aaa.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
printf 'mode = enforce\nmx = mx-bbb.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
t_ok "two quick in-place edits: the last one wins" wait_body r1b mta-sts.example.com \
    $'version: STSv1\r\nmode: enforce\r\nmx: mx-bbb.example.com\r\nmax_age: 86400\r\n' 10
printf 'mode = enforce\nmx = mx-new.example.com\nmax-age = 1d\n' >"$T/domains/example.com"

printf 'mx = mx.example.org\n' >"$T/domains/example.org"
chmod a+r "$T/domains/example.org"
t_ok "a new domain file is served within 10 s" wait_code r2 mta-sts.example.org 200 10
t_is "$(body r2)" $'version: STSv1\r\nmode: testing\r\nmx: mx.example.org\r\nmax_age: 604800\r\n.' "with its policy"
rm -f "$T/domains/example.org"
t_ok "a removed domain file is gone within 10 s" wait_code r3 mta-sts.example.org 404 10

# A domain file that is a symbolic link to a file outside the domain
# directory: when the target is removed, the domain is gone too (a vanished
# file is not "cannot be read, keep the last good policy").
mkdir -p "$T/outside"
printf 'mx = mx.example.org\n' >"$T/outside/example.org.conf"
chmod -R a+rX "$T/outside"
ln -s ../outside/example.org.conf "$T/domains/example.org"
t_ok "a link to a file outside the directory is served within 10 s" wait_code r3a mta-sts.example.org 200 10
t_is "$(body r3a)" $'version: STSv1\r\nmode: testing\r\nmx: mx.example.org\r\nmax_age: 604800\r\n.' "with its target's policy"
# the directory unchanged for a while: no listing, only the poll sees it
sleep 3
rm -f "$T/outside/example.org.conf"
t_ok "its target removed: 404 within 3 s (-r 1)" wait_code r3b mta-sts.example.org 404 3
sleep 1.5
fetch r3c mta-sts.example.org $WK
t_is "$code" 404 "and still 404 after more polls"
rm -f "$T/domains/example.org"

# An invalid edit keeps the last good policy; the error is logged once.
wait_body r4 mta-sts.example.com "$POLICY_COM2" 10
printf 'mode = bogus\nmx = mx-bad.example.com\n' >"$T/domains/example.com"
deadline=$((SECONDS + 10))
while [ "$SECONDS" -lt "$deadline" ] && ! grep -q 'example\.com:1:' "$LOG"; do sleep 0.2; done
t_like "$(grep 'example\.com:1:' "$LOG")" "^mta-sts-fcgi: $T/domains/example\\.com:1: .*bogus" "invalid edit: logged with file:line"
fetch r5 mta-sts.example.com $WK
t_is "$code/$(body r5)" "200/$POLICY_COM2." "invalid edit: the last good policy is still served"
sleep 3.5
t_is "$(grep -c 'example\.com:1:' "$LOG")" 1 "the error is logged once, not at every poll"
fetch r6 mta-sts.example.com $WK
t_is "$(body r6)" "$POLICY_COM2." "still the last good policy after several polls"
printf 'mode = enforce\nmx = mx.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
t_ok "fixed again: served within 10 s" wait_body r7 mta-sts.example.com "$POLICY_COM" 10

# A new certificate in the store changes the policy of a domain without mx.
POLICY_NET3=$'version: STSv1\r\nmode: testing\r\nmx: mx1.example.net\r\nmx: mx2.example.net\r\nmx: mx3.example.net\r\nmax_age: 604800\r\n'
cp "$T/ca/mx3.fullchain.pem" "$T/certs/mx3.pem"
chmod a+r "$T/certs/mx3.pem"
t_ok "a certificate added to the store is in the policy within 10 s" \
    wait_body c1 mta-sts.example.net "$POLICY_NET3" 10
fetch c2 mta-sts.example.com $WK
t_is "$(body c2)" "$POLICY_COM." "a domain with explicit mx is unchanged"
rm -f "$T/certs/mx3.pem"
t_ok "and removing it takes it out again" wait_body c3 mta-sts.example.net "$POLICY_NET" 10

# The global file: a new default mode reaches the domains that do not set one.
cat >"$T/mta-sts.conf.new" <<EOF
domains = $T/domains
certs = $T/certs
mode = enforce
EOF
chmod a+r "$T/mta-sts.conf.new"
mv "$T/mta-sts.conf.new" "$T/mta-sts.conf"
t_ok "a changed global file is picked up within 10 s" wait_body g6 mta-sts.example.net \
    "${POLICY_NET/testing/enforce}" 10
fetch g7 mta-sts.xn--bcher-kva.example $WK
t_is "$(body g7)" "${POLICY_IDN/testing/enforce}." "for every domain that does not set it"

# A domain directory that cannot be read leaves the table as it is.
mv "$T/domains" "$T/domains.away"
sleep 2.5
fetch d1 mta-sts.example.com $WK
t_is "$code/$(body d1)" "200/$POLICY_COM." "domain directory gone: policies still served"
t_like "$(cat "$LOG")" "domains: No such file or directory" "and that is logged"
mv "$T/domains.away" "$T/domains"

# ---- SIGHUP: a second responder that does not poll (-r 0) ----------------

PORT_A=$PORT
PORT=$(t_free_port)
lighttpd_conf "$T/b.conf" "$PORT" "" " -r 0"
if t_lighttpd "$T/b.conf" "$PORT"; then
	LPID_B=$T_LIGHTTPD_PID
	fetch s0 mta-sts.example.com $WK	# the responder is running
	RPID=$(pgrep -P "$LPID_B" | head -n 1)
	t_like "$RPID" '^[0-9]+$' "found the responder of the second lighttpd"
	printf 'mode = enforce\nmx = mx-hup.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
	sleep 1.5
	fetch s1 mta-sts.example.com $WK
	t_is "$(body s1)" "$POLICY_COM." "-r 0: an edit alone changes nothing"
	kill -HUP "$RPID"
	t_ok "after SIGHUP the edit is served at once (3 s)" wait_body s2 mta-sts.example.com \
	    $'version: STSv1\r\nmode: enforce\r\nmx: mx-hup.example.com\r\nmax_age: 86400\r\n' 3
	t_ok "the responder survives SIGHUP" kill -0 "$RPID"
	kill -TERM "$RPID"
	i=0
	while kill -0 "$RPID" 2>/dev/null && [ "$i" -lt 50 ]; do
		# A zombie is gone for our purposes.
		[ "$(ps -o stat= -p "$RPID" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.1
		i=$((i + 1))
	done
	t_ok "SIGTERM: the responder exits" test "$i" -lt 50
	t_stop "$LPID_B"
else
	t_fail "second lighttpd starts"
fi
PORT=$PORT_A

t_nok "the responder never logged a raw control character" grep -q "$(printf '[\001-\010\013-\037]')" "$LOG"
RPID_A=$(pgrep -P "$LPID" | head -n 1)
t_like "$RPID_A" '^[0-9]+$' "found the responder of the first lighttpd"
t_stop "$LPID"
i=0
while kill -0 "$RPID_A" 2>/dev/null && [ "$(ps -o stat= -p "$RPID_A" | cut -c1)" != Z ] &&
    [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_ok "lighttpd stopped: its responder is gone too" test "$i" -lt 50

if [ -n "$T_WRAP" ]; then
	sleep 1
	errs=$(cat "$T"/valgrind.* 2>/dev/null)
	t_is "$errs" "" "valgrind reports nothing"
fi

t_done
