#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-resolve's control requests and what it tells Postfix, on a
# daemon that answers from its cache file (no DNS server listens, so
# nothing here waits on the network):
#   - show, refresh and drop are accepted from root and the daemon's own
#     user on a unix socket, refused (answered and logged with the uid)
#     from any other uid, and refused over TCP even from root; Postfix's
#     lookups stay open to everyone;
#   - resolve-policy-attributes = yes adds Postfix 3.10's attributes
#     (policy_type, policy_domain, mx_host_pattern, policy_string) and
#     passes testing policies on as "may", which never blocks;
#   - without the daemon, show reads the cache file and says so; refresh
#     and drop say they need the daemon.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/resolve.sh"

GEN=$T_TOP/tests/helpers/cachegen
[ -x "$RESOLVE" ] || t_skip_all "no $RESOLVE: run make first"
[ -x "$GEN" ] || t_skip_all "no $GEN: run make all-tests first"
[ "$(id -u)" = 0 ] || t_skip_all "needs root (peers of other uids, setpriv)"
command -v setpriv >/dev/null || t_skip_all "setpriv not installed"
t_init resolve-control
NOBODY=$(id -u nobody)
OTHER=4242	# neither root nor the daemon's user
rs_setup "$(t_free_port)"	# nothing listens there: lookups fail at once

# enforce.test: an enforce policy; testing.test: a testing one;
# nomatch.test: an enforce policy none of whose MX hosts matches it
now=$(date +%s)
printf '%s\n' \
    "P	enforce.test	id7	2	86400	$((now - 10))	*.example.test:mx1.enforce.test	mx1.example.test:mx1.enforce.test" \
    "P	testing.test	id8	1	604800	$((now - 10))	mx.testing.test	mx.testing.test" \
    "P	nomatch.test	id9	2	86400	$((now - 10))	*.nomatch.test	" \
    | "$GEN" "$T/cache/cache"
chown nobody "$T/cache/cache"
chmod 600 "$T/cache/cache"	# as the daemon creates it

RPID=
start() {	# start [conf]: the daemon as nobody, up when it answers
	"$RESOLVE" -c "${1:-$T/resolve.conf}" -u nobody >>"$T/resolve.log" 2>&1 &
	RPID=$!
	t_bg "$RPID"
	local i=0
	# (without the daemon, show reads the cache file and says so on stderr)
	until [ "$(rq "${1:-$T/resolve.conf}" show up.test)" = "NOTFOUND " ]; do
		[ "$i" -lt 50 ] && kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
rq() {	# rq CONF COMMAND DOMAIN: the command, as root
	"$RESOLVE" -c "$@" 2>&1
}
as() {	# as UID COMMAND DOMAIN: the command as another user
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    "$RESOLVE" -c "$T/resolve.conf" "$@" 2>&1
}

t_ok "mta-sts-resolve starts as nobody" start || t_diag "$(cat "$T/resolve.log")"

# ---- who may send control requests ------------------------------------------
t_like "$(rq "$T/resolve.conf" show enforce.test)" '^OK domain=enforce\.test id=id7 mode=enforce ' \
    "root: show answered"
t_like "$(as "$NOBODY" show enforce.test)" '^OK domain=enforce\.test id=id7 mode=enforce ' \
    "the daemon's own user (nobody): show answered"
REFUSED="PERM control requests are accepted from root or uid $NOBODY (the daemon's user) only; this one came from uid $OTHER"
out=$(as "$OTHER" show enforce.test)
t_is "$?" 2 "uid $OTHER: show exits 2"
t_is "$out" "$REFUSED" "  refused, saying who may and who asked"
t_like "$(cat "$T/resolve.log")" "refused ctl-show enforce\.test from uid $OTHER \(pid [0-9]+\): control requests are accepted from root or uid $NOBODY only" \
    "  and logged with the peer's uid and pid"
t_is "$(as "$OTHER" drop enforce.test)" "$REFUSED" "uid $OTHER: drop refused"
t_is "$(as "$OTHER" refresh enforce.test)" "$REFUSED" "uid $OTHER: refresh refused"
t_like "$(rq "$T/resolve.conf" show enforce.test)" '^OK domain=enforce\.test id=id7 mode=enforce .* last=sts ' \
    "  the entry is still there, never looked up again"
t_is "$(as "$OTHER" query enforce.test)" "OK secure match=mx1.example.test:mx1.enforce.test servername=hostname" \
    "uid $OTHER: a lookup (what Postfix asks) is answered"
t_is "$(setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups $SM "$SOCK" ask 'ctl-show enforce.test' 'mta-sts enforce.test')" \
    "$REFUSED
OK secure match=mx1.example.test:mx1.enforce.test servername=hostname" \
    "  on the same connection after a refused control request"

# ---- Postfix 3.7 (resolve-policy-attributes = no, the default) ----------------
t_is "$($SM "$SOCK" ask 'mta-sts testing.test' 'mta-sts nomatch.test')" "NOTFOUND 
TEMP nomatch.test: no MX host matches the MTA-STS policy (mx *.nomatch.test)" \
    "no attributes: testing is NOTFOUND, an MX outside the patterns TEMP"

# ---- without the daemon: show reads the cache file, and says so -----------------
t_is "$(rq "$T/resolve.conf" drop testing.test)" "OK dropped" "drop testing.test (the daemon writes a D record)"
t_stop "$RPID"
out=$("$RESOLVE" -c "$T/resolve.conf" show enforce.test 2>"$T/err")
t_is "$?" 0 "no daemon: show enforce.test exits 0"
t_like "$out" "^OK domain=enforce\.test id=id7 mode=enforce max_age=86400 fetched=$((now - 10)) expires=$((now - 10 + 86400)) mx=\*\.example\.test:mx1\.enforce\.test match=mx1\.example\.test:mx1\.enforce\.test last=sts checked=$((now - 10))\$" \
    "  the entry as the cache file has it"
t_is "$(cat "$T/err")" "mta-sts-resolve: $SOCK: Connection refused: the daemon does not answer; this is the cache file $T/cache/cache as it was last written (policies only: no lookups, failures or DANE results)" \
    "  saying so on stderr, and why"
out=$("$RESOLVE" -c "$T/resolve.conf" show testing.test 2>/dev/null)
t_is "$?:$out" "1:NOTFOUND " "  testing.test, dropped by the daemon: NOTFOUND (exit 1)"
sz=$(stat -c %s "$T/cache/cache")
printf 'P\ttorn.test\tid1' >>"$T/cache/cache"	# a torn tail, as after a crash
out=$("$RESOLVE" -c "$T/resolve.conf" show Enforce.Test. 2>"$T/err")
t_is "$?:${out%% id=*}" "0:OK domain=enforce.test" "  a key as Postfix sends it: lower case, no trailing dot"
t_like "$(cat "$T/err")" "cache: an incomplete record at byte $sz; the 15 bytes from there are ignored" \
    "  a torn tail is ignored"
t_is "$(stat -c %s "$T/cache/cache")" "$((sz + 15))" "  and left to the daemon: the file is not written"
t_is "$(setpriv --reuid="$OTHER" --regid="$OTHER" --clear-groups "$RESOLVE" -c "$T/resolve.conf" show enforce.test 2>&1)" \
    "mta-sts-resolve: $SOCK: Connection refused: the daemon does not answer, and the cache file cannot be read: $T/cache/cache: Permission denied" \
    "  uid $OTHER cannot read the cache file: said, exit 2"
for c in refresh drop query; do
	out=$("$RESOLVE" -c "$T/resolve.conf" $c enforce.test 2>&1)
	t_is "$?:$out" "2:mta-sts-resolve: $SOCK: Connection refused: $c needs the running daemon; is mta-sts-resolve running? (show reads the cache file without it)" \
	    "no daemon: $c says it needs the daemon (exit 2)"
done
t_is "$(stat -c %s "$T/cache/cache")" "$((sz + 15))" "  and the cache file is as it was (drop wrote nothing)"
truncate -s "$sz" "$T/cache/cache"
# a daemon that takes the connection and never answers: show waits 10 s
rm -f "$T/socket"
"$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(60)
' "$T/socket" "$T/hung.ready" &
t_bg $!
i=0
while [ ! -e "$T/hung.ready" ] && [ "$i" -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(date +%s)
out=$("$RESOLVE" -c "$T/resolve.conf" show enforce.test 2>"$T/err")
t_is "$?:${out%% id=*}" "0:OK domain=enforce.test" "a daemon that never answers: show reads the cache file"
t_like "$(cat "$T/err")" "^mta-sts-resolve: $SOCK: no answer within 10 s: the daemon does not answer; this is the cache file " \
    "  after 10 s ($(($(date +%s) - t0)) s), saying so"

# ---- over TCP: never, not even from root ---------------------------------------
# (and resolve-policy-attributes = yes: what Postfix 3.10 is told)
TPORT=$(t_free_port)
sed "s|^resolve-socket = .*|resolve-socket = tcp:127.0.0.1:$TPORT|" "$T/resolve.conf" >"$T/tcp.conf"
echo "resolve-policy-attributes = yes" >>"$T/tcp.conf"
tstart() {	# the daemon on TCP, up when it answers a lookup
	"$RESOLVE" -c "$T/tcp.conf" -u nobody >>"$T/resolve.log" 2>&1 &
	RPID=$!
	t_bg "$RPID"
	local i=0
	until $SM "tcp:127.0.0.1:$TPORT" ask 'mta-sts enforce.test' 2>/dev/null | grep -q '^OK secure'; do
		[ "$i" -lt 50 ] && kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
t_ok "the daemon on tcp:127.0.0.1:$TPORT" tstart || t_diag "$(cat "$T/resolve.log")"
out=$(rq "$T/tcp.conf" drop enforce.test)
t_is "$?" 2 "root over TCP: drop exits 2"
t_is "$out" "PERM control requests are accepted on a unix socket only, from root or uid $NOBODY (the daemon's user); this one came over TCP" \
    "  refused: control requests only on a unix socket"
t_like "$(cat "$T/resolve.log")" "refused ctl-drop enforce\.test from 127\.0\.0\.1 port [0-9]+ over TCP: control requests are accepted on a unix socket only" \
    "  and logged with the peer's address"
ATTRS="policy_type=sts policy_domain=enforce.test mx_host_pattern=*.example.test mx_host_pattern=mx1.enforce.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: *.example.test } { policy_string = mx: mx1.enforce.test } { policy_string = max_age: 86400 }"
t_is "$(rq "$T/tcp.conf" query enforce.test)" "OK secure match=mx1.example.test:mx1.enforce.test servername=hostname $ATTRS" \
    "  the policy is still there, and lookups are answered over TCP"
printf '%s\n' "P	testing.test	id8	1	604800	$((now - 10))	mx.testing.test	mx.testing.test" | "$GEN" "$T/testing"
tail -n 1 "$T/testing" >>"$T/cache/cache"	# testing.test again
t_stop "$RPID"
t_ok "  restarted with testing.test in the cache again" tstart
t_is "$($SM "tcp:127.0.0.1:$TPORT" ask 'mta-sts enforce.test' 'mta-sts testing.test' 'mta-sts nomatch.test')" \
    "OK secure match=mx1.example.test:mx1.enforce.test servername=hostname $ATTRS
OK may policy_type=sts policy_domain=testing.test mx_host_pattern=mx.testing.test { policy_string = version: STSv1 } { policy_string = mode: testing } { policy_string = mx: mx.testing.test } { policy_string = max_age: 604800 }
OK secure match=mta-sts-policy-failure.invalid servername=hostname policy_type=sts policy_domain=nomatch.test mx_host_pattern=*.nomatch.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: *.nomatch.test } { policy_string = max_age: 86400 } policy_failure=validation-failure" \
    "resolve-policy-attributes = yes: Postfix 3.10's attributes; testing passed on as may; no MX matching: policy_failure"
t_stop "$RPID"

t_done
