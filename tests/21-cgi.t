#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi as a plain CGI program: one request from the environment,
# the answer on stdout, only the named domain read.
# T_WRAP="valgrind -q --leak-check=full --error-exitcode=99" runs it under valgrind.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v openssl >/dev/null || t_skip_all "no openssl"
t_init 21-cgi

# As root the responder wants -u; a CGI gets no arguments, so run it as nobody.
AS=()
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	getent group nogroup >/dev/null || AS=(setpriv --reuid=nobody --regid=nobody --clear-groups)
fi

mkdir -p "$T/domains" "$T/certs" "$T/ca"
t_ca "$T/ca" && t_cert "$T/ca" mx mx2.example.net mx1.example.net mta-sts.example.net ||
	{ echo "Bail out! cannot make test certificates"; exit 255; }
cp "$T/ca/mx.pem" "$T/certs/"
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
: >"$T/domains/example.net"
printf 'mx = mx.bücher.example\n' >"$T/domains/bücher.example"
ln -s example.com "$T/domains/alias.example"
printf 'mdoe = enforce\n' >"$T/domains/broken.example"
chmod -R a+rX "$T"

POLICY_COM=$'version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n'
POLICY_NET=$'version: STSv1\r\nmode: testing\r\nmx: mx1.example.net\r\nmx: mx2.example.net\r\nmax_age: 604800\r\n'
POLICY_IDN=$'version: STSv1\r\nmode: testing\r\nmx: mx.xn--bcher-kva.example\r\nmax_age: 604800\r\n'
WK=/.well-known/mta-sts.txt

# cgi OUT METHOD HOST URI [VAR=VALUE ...]: one request; OUT.head (CRLF
# removed), OUT.body (as is), OUT.err (stderr), exit status in $st.
cgi() {
	local out=$T/$1 method=$2 host=$3 uri=$4
	shift 4
	local env=(GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1
	    PATH=/usr/bin:/bin REQUEST_METHOD="$method"
	    MTA_STS_CONF="$T/mta-sts.conf")
	[ "$host" = - ] || env+=(HTTP_HOST="$host")
	[ "$uri" = - ] || env+=(REQUEST_URI="$uri")
	st=0
	env -i "${env[@]}" "$@" "${AS[@]}" $T_WRAP "${CGI_BIN:-$BIN}" \
	    <"${CGI_STDIN:-/dev/null}" >"$out" 2>"$out.err" || st=$?
	[ "$st" != 99 ] || t_fail "$1: valgrind found errors" ||
	    t_diag "$(cat "$out.err")"
	perl -0777 -ne '($h, $b) = split /\r\n\r\n/, $_, 2;
	    open(H, ">", "$ARGV.head"); $h =~ s/\r//g; print H "$h\n";
	    open(B, ">", "$ARGV.body"); print B $b if defined $b;' "$out"
}
status() { sed -n 's/^Status: \([0-9]*\).*/\1/p' "$T/$1.head"; }
header() { sed -n "s/^$2: //p" "$T/$1.head"; }
body() { cat "$T/$1.body"; echo .; }	# the dot keeps trailing newlines

cgi r1 GET mta-sts.example.com $WK
t_is "$st" 0 "GET: exit status 0"
t_is "$(status r1)" 200 "GET explicit mx: Status 200"
t_is "$(header r1 Content-Type)" "text/plain; charset=utf-8" "Content-Type"
t_is "$(header r1 Content-Length)" "${#POLICY_COM}" "Content-Length is the body length"
t_is "$(header r1 Cache-Control)" "no-store" "Cache-Control: no-store"
t_is "$(body r1)" "$POLICY_COM." "body byte for byte, CRLF"
t_is "$(cat "$T/r1.err")" "" "nothing on stderr, though another domain file is broken"

cgi r2 GET mta-sts.example.net $WK
t_is "$(body r2)" "$POLICY_NET." "mx from the certificates, sorted, web name left out"

cgi r3 HEAD mta-sts.example.com $WK
t_is "$(status r3)" 200 "HEAD: 200"
t_is "$(header r3 Content-Length)" "${#POLICY_COM}" "HEAD: Content-Length of the GET body"
t_is "$(body r3)" "." "HEAD: no body"

cgi r4 GET 'MTA-STS.Example.COM.:443' $WK
t_is "$(body r4)" "$POLICY_COM." "Host with capitals, trailing dot and port"

cgi r5 GET mta-sts.xn--bcher-kva.example $WK
t_is "$(status r5)" 200 "U-label file name found by its A-label"
t_is "$(body r5)" "$POLICY_IDN." "U-label mx as an A-label"

cgi r6 GET mta-sts.alias.example $WK
t_is "$(body r6)" "$POLICY_COM." "alias symlink serves its target's policy"

# A link to a file outside the domain directory whose target is gone: 404.
mkdir -p "$T/outside"
printf 'mx = mx.example.org\n' >"$T/outside/example.org.conf"
chmod -R a+rX "$T/outside"
ln -s ../outside/example.org.conf "$T/domains/example.org"
cgi r6b GET mta-sts.example.org $WK
t_is "$(status r6b)" 200 "a link to a file outside the directory: 200"
rm -f "$T/outside/example.org.conf"
cgi r6c GET mta-sts.example.org $WK
t_is "$(status r6c)/$(cat "$T/r6c.err")" "404/" "its target removed: 404, nothing logged"
rm -f "$T/domains/example.org"

cgi r7 GET mta-sts.example.com "$WK?x=1"
t_is "$(body r7)" "$POLICY_COM." "query string ignored"

cgi r8 GET mta-sts.example.com - SCRIPT_NAME=/.well-known PATH_INFO=/mta-sts.txt
t_is "$(body r8)" "$POLICY_COM." "no REQUEST_URI: SCRIPT_NAME + PATH_INFO"

# No REQUEST_URI (some servers and CGI set-ups): the path is SCRIPT_NAME +
# PATH_INFO, and it must be exactly the policy's, not begin with it.
for sp in "$WK|" "/.well-known|/mta-sts.txt" "/.well-known/|mta-sts.txt" "|$WK"; do
	cgi rs8 GET mta-sts.example.com - SCRIPT_NAME="${sp%%|*}" PATH_INFO="${sp#*|}"
	t_is "$(status rs8)" 200 "no REQUEST_URI: SCRIPT_NAME '${sp%%|*}' + PATH_INFO '${sp#*|}': 200"
done
for sp in "$WK.bak|" "$WK/|" "$WK/x|" "$WK|/" "$WK|/x" "$WK|.bak" \
    "/.well-known|/mta-sts.txt.bak" "/.well-known|/mta-sts.txt/" \
    "/.well-known|/mta-sts.txt/x" "/.well-known|/mta-sts" "/.well-known/mta-sts|" \
    "|$WK.bak" "|$WK/" "|$WK/x" "/.well-known|" "|"; do
	cgi rs9 GET mta-sts.example.com - SCRIPT_NAME="${sp%%|*}" PATH_INFO="${sp#*|}"
	t_is "$(status rs9)" 404 "no REQUEST_URI: SCRIPT_NAME '${sp%%|*}' + PATH_INFO '${sp#*|}': 404"
done
cgi rs11 GET mta-sts.example.com - SCRIPT_NAME="$WK.bak"
t_is "$(status rs11)" 404 "no REQUEST_URI, SCRIPT_NAME '$WK.bak' and no PATH_INFO: 404"
cgi rs10 GET mta-sts.example.com -
t_is "$(status rs10)" 404 "no REQUEST_URI, SCRIPT_NAME or PATH_INFO: 404"

cgi r9 GET mta-sts.unknown.example $WK
t_is "$(status r9)" 404 "unknown domain: 404"
t_like "$(header r9 Content-Type)" '^text/plain' "404 is text/plain"
t_is "$(header r9 Content-Length)" "$(($(wc -c <"$T/r9.body")))" "404 Content-Length matches"

# A file the directory listing skips (sts_domain_ignored) is no domain for
# a request either: mta-sts.x.com.conf does not serve domains/x.com.conf.
cp "$T/domains/example.com" "$T/domains/example.com.conf"
cp "$T/domains/example.com" "$T/domains/example.com.old"
chmod a+r "$T/domains/example.com.conf" "$T/domains/example.com.old"
cgi rconf GET mta-sts.example.com.conf $WK
t_is "$(status rconf)" 404 "mta-sts.example.com.conf: 404, domains/example.com.conf is not a domain file"
cgi rold GET mta-sts.example.com.old $WK
t_is "$(status rold)" 404 "mta-sts.example.com.old: 404, a backup copy is not a domain file"
rm -f "$T/domains/example.com.conf" "$T/domains/example.com.old"

for p in / /index.html /.well-known/mta-sts.txt/ /.well-known/mta-sts.txt.bak \
    /.well-known/../.well-known/mta-sts.txt /.well-known/mta%2Dsts.txt \
    //.well-known/mta-sts.txt /.WELL-KNOWN/MTA-STS.TXT; do
	cgi rp GET mta-sts.example.com "$p"
	t_is "$(status rp)" 404 "path $p: 404"
done

cgi rhd HEAD mta-sts.example.com /index.html
t_is "$(status rhd)/$(body rhd)" "404/." "HEAD of another path: 404, no body"
t_is "$(header rhd Content-Length)" "$(($(wc -c <"$T/rp.body")))" "  with the GET's Content-Length"
cgi rhu HEAD mta-sts.unknown.example $WK
t_is "$(status rhu)/$(body rhu)" "404/." "HEAD for an unknown domain: 404, no body"
cgi rhb HEAD mta-sts. $WK
t_is "$(status rhb)/$(body rhb)" "400/." "HEAD with a bad Host: 400, no body"

for m in POST PUT DELETE OPTIONS get TRACE; do
	cgi rm "$m" mta-sts.example.com $WK
	t_is "$(status rm)/$(header rm Allow)" "405/GET, HEAD" "method $m: 405 with Allow"
done

for h in example.com mta-sts. mta-sts 127.0.0.1 '[::1]' mta-sts.example.com:x \
    'mta-sts.example.com/../x' 'mta-sts.exa mple.com' 'mta-sts.-example.com' \
    "mta-sts.$(printf 'a%.0s' $(seq 64)).com" 'mta-sts.bücher.example' \
    'mta-sts.example.com..' 'mta-sts.123.123'; do
	cgi rh GET "$h" $WK
	t_is "$(status rh)" 400 "Host '$h': 400"
done
cgi rh GET - $WK
t_is "$(status rh)" 400 "no Host: 400"

cgi rb GET mta-sts.broken.example $WK
t_is "$(status rb)" 404 "invalid domain file: 404"
t_like "$(cat "$T/rb.err")" "broken\\.example:1: .*mdoe" "its error names file:line on stderr"

# Only the named domain file is read: an unreadable neighbour does not matter.
if [ ${#AS[@]} -gt 0 ] || [ "$(id -u)" != 0 ]; then
	printf 'mx = mx.example.org\n' >"$T/domains/example.org"
	chmod 000 "$T/domains/example.org"
	cgi ro GET mta-sts.example.com $WK
	t_is "$(status ro)/$(cat "$T/ro.err")" "200/" "an unreadable other domain file is never opened"
	rm -f "$T/domains/example.org"
else
	t_skip 1 "cannot make a file unreadable"
fi

# A request for an unknown domain opens one path and lists no directory.
if [ ${#AS[@]} -gt 0 ] || [ "$(id -u)" != 0 ]; then
	chmod 311 "$T/domains"
	cgi rl GET mta-sts.unknown.example $WK
	t_is "$(status rl)/$(cat "$T/rl.err")" "404/" "unknown domain, unlistable directory: 404, nothing read"
	cgi rl2 GET mta-sts.example.com $WK
	t_is "$(status rl2)" 200 "a known domain needs no listing either"
	cgi rl3 GET mta-sts.xn--bcher-kva.example $WK
	t_is "$(status rl3)" 404 "a U-label file name needs the listing"
	t_like "$(cat "$T/rl3.err")" "domains: Permission denied" "and says why it cannot find it"
	chmod 755 "$T/domains"
else
	t_skip 4 "cannot make a directory unreadable"
fi

# mta-sts.conf beside the program when MTA_STS_CONF is not set.
mkdir -p "$T/cgi-bin"
cp "$BIN" "$T/cgi-bin/mta-sts.cgi"
cp "$T/mta-sts.conf" "$T/cgi-bin/mta-sts.conf"
chmod -R a+rX "$T/cgi-bin"
CGI_BIN=$T/cgi-bin/mta-sts.cgi cgi rc GET mta-sts.example.com $WK MTA_STS_CONF=
t_is "$(body rc)" "$POLICY_COM." "configuration beside the program"

cgi rn GET mta-sts.example.com $WK MTA_STS_CONF=$T/nonexistent.conf
t_is "$(status rn)" 500 "missing configuration: 500"
t_like "$(cat "$T/rn.err")" "^mta-sts-fcgi: .*nonexistent\\.conf" "and it says which file on stderr"

# A request body is not read, and does no harm.
head -c 100000 /dev/zero >"$T/bigbody"
CGI_STDIN=$T/bigbody cgi rs POST mta-sts.example.com $WK CONTENT_LENGTH=100000
t_is "$(status rs)" 405 "POST with a body: 405"

# Not started as a CGI.
st=0
env -i PATH=/usr/bin:/bin "${AS[@]}" "$BIN" </dev/null >"$T/nr.out" 2>"$T/nr.err" || st=$?
t_isnt "$st" 0 "no REQUEST_METHOD and no socket: exit status not 0"
t_like "$(cat "$T/nr.err")" "no request" "and says why"

if [ "$(id -u)" = 0 ]; then
	st=0
	env -i REQUEST_METHOD=GET HTTP_HOST=mta-sts.example.com REQUEST_URI=$WK \
	    MTA_STS_CONF=$T/mta-sts.conf "$BIN" </dev/null >"$T/root.out" 2>"$T/root.err" || st=$?
	t_isnt "$st" 0 "as root without -u: refuses"
	t_like "$(cat "$T/root.err")" "refusing to run as root" "and says so"
	t_is "$(cat "$T/root.out")" "" "and answers nothing"
	st=0
	env -i REQUEST_METHOD=GET HTTP_HOST=mta-sts.example.com REQUEST_URI=$WK \
	    MTA_STS_CONF=$T/mta-sts.conf $T_WRAP "$BIN" -u nobody </dev/null >"$T/u.out" 2>"$T/u.err" || st=$?
	t_like "$(head -n 1 "$T/u.out")" "^Status: 200" "as root with -u nobody: serves"
else
	t_skip 4 "not root"
fi

t_like "$("$BIN" -V)" '^mta-sts-fcgi [0-9]' "-V prints the version"
t_like "$("$BIN" -h)" '^usage: mta-sts-fcgi \[-hV\] \[-c file\] \[-s unix:path \| tcp:host:port\]' "-h prints the usage"
st=0; "$BIN" -T 0 >/dev/null 2>&1 || st=$?
t_isnt "$st" 0 "-T 0 is refused"
st=0; "$BIN" -M 999 >/dev/null 2>&1 || st=$?
t_isnt "$st" 0 "-M 999 is refused"
st=0; "$BIN" -s http:x >/dev/null 2>&1 || st=$?
t_isnt "$st" 0 "-s http:x is refused"

t_done
