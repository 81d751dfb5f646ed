#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-resolve behind a real Postfix (Debian's), in a network namespace
# (tests/lib/netns.sh): Knot serves the zones, lighttpd and the responder
# the policies, smtpd listeners with STARTTLS take the mail (--accept).
# Postfix asks the resolver through smtp_tls_policy_maps = socketmap:
#   good.test      enforce, MX matches        -> delivered over TLS
#   badcert.test   enforce, certificate wrong -> deferred
#   deep.test      enforce *.example.test, MX 10 a.b.example.test (a valid
#                  certificate of its own), MX 20 mx1 -> only mx1 is used
#   nopolicy.test  no policy, optional        -> delivered (bad certificate)
#   required.test  no policy, require rule    -> deferred, and logged why
#   disabled.test  enforce, disable rule      -> delivered to the bad certificate
#   testing.test   testing, bad certificate   -> delivered
#   cached.test    enforce max_age 30 s, bad certificate: deferred; the web
#                  server goes away and the resolver restarts: still
#                  deferred from the cache file; after max_age: delivered.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

RESOLVE=${RESOLVE:-$T_TOP/resolver/mta-sts-resolve}
# Debian's python3 (a pyenv shim in PATH may take seconds to start)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
for p in postfix postconf postqueue sendmail; do
	command -v "$p" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
	command -v "$p" >/dev/null 2>&1 || t_skip_all "$p not installed"
done
[ -x "$RESOLVE" ] || t_skip_all "no $RESOLVE: run make first"
id postfix >/dev/null 2>&1 || t_skip_all "no postfix user"

ns_init resolve-postfix
MAILDIR=$T/mail
PF=$T/postfix
mkdir -p "$MAILDIR" "$PF/etc" "$PF/queue" "$PF/data" "$T/rcache" "$T/rsock"
chown postfix "$PF/data"
chown nobody "$T/rcache"
chmod 755 "$T/rsock"
chmod 1777 "$MAILDIR"

# the smtpd listeners of ns_start take mail here
cat >"$T/smtpd-accept" <<EOF
#!/bin/sh
exec "$T_TOP/tests/helpers/smtpd" --accept "$MAILDIR" "\$@"
EOF
chmod 755 "$T/smtpd-accept"
NS_SMTPD=$T/smtpd-accept

ns_pki_extra() {
	t_cert "$NS_PKI" ab a.b.example.test
}

ns_infra_zone 'a.b		A	127.0.0.8'

# sts_domain DOMAIN MX-RECORDS [DOMAIN-FILE]: its zone; with a domain file
# the responder serves a policy and _mta-sts has a record
sts_domain() {
	local d=$1 mx=$2 file=${3:-}
	ns_zone "$d" < <(
		printf '%s\n' "$mx"
		echo "mta-sts	A	127.0.0.10"
		[ -n "$file" ] && echo "_mta-sts	TXT	\"v=STSv1; id=1\""
	)
	NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.$d"
	[ -n "$file" ] && printf '%s\n' "$file" >"$NS_CHECK/domains/$d"
	return 0
}
WRONG='@	MX	10 mx-wrong.example.test.'
sts_domain good.test '@	MX	10 mx1.example.test.' \
    "mode = enforce
mx = mx1.example.test"
sts_domain badcert.test "$WRONG" "mode = enforce
mx = *.example.test"
sts_domain deep.test '@	MX	10 a.b.example.test.
@	MX	20 mx1.example.test.' "mode = enforce
mx = *.example.test"
sts_domain nopolicy.test "$WRONG"
sts_domain required.test "$WRONG"
sts_domain disabled.test "$WRONG" "mode = enforce
mx = *.example.test"
sts_domain testing.test "$WRONG" "mode = testing
mx = *.example.test"
sts_domain cached.test "$WRONG" "mode = enforce
mx = *.example.test
max-age = 30s"
ns_checker_conf "publish = none"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { t_done; }
ns_smtpd 127.0.0.8 ab || t_fail "smtpd for a.b.example.test"

# ---- the resolver ------------------------------------------------------------
cat >"$T/rules" <<EOF
# per destination
required.test	require
disabled.test	disable
EOF
cat >"$T/resolve.conf" <<EOF
resolver = 127.0.0.1
ca-file = $NS_PKI/ca.pem
timeout = 3
outbound = optional
outbound-rules = $T/rules
resolve-cache = $T/rcache/cache
resolve-socket = unix:$T/rsock/socket
EOF
RPID=
resolve_start() {
	ip netns exec "$NS" "$RESOLVE" -c "$T/resolve.conf" -u nobody \
	    -m "$T/rcache/metrics" >>"$T/resolve.log" 2>&1 &
	RPID=$!
	t_bg "$RPID"
	local i=0
	# up when it answers: show of an unknown domain is NOTFOUND (without
	# the daemon, show reads the cache file and says so on stderr)
	until [ "$(rq show nonexistent.test 2>&1)" = "NOTFOUND " ]; do
		[ "$i" -lt 50 ] || return 1
		kill -0 "$RPID" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
}
rq() {	# the resolver's commands: query|show|refresh|drop DOMAIN
	ip netns exec "$NS" "$RESOLVE" -c "$T/resolve.conf" "$@"
}
t_ok "mta-sts-resolve starts as nobody" resolve_start ||
    t_diag "$(cat "$T/resolve.log")"
t_is "$(ps -o user= -p "$RPID" | tr -d ' ')" nobody "  and runs as nobody"
t_like "$(cat "$T/resolve.log")" 'started: 0 policies loaded' "  with an empty cache"

# ---- Postfix -------------------------------------------------------------------
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = client.example.test
mydomain = example.test
myorigin = client.example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtp_connect_timeout = 5s
smtp_tls_security_level = may
smtp_tls_CAfile = $NS_PKI/ca.pem
smtp_tls_loglevel = 1
smtp_tls_policy_maps = socketmap:unix:$T/rsock/socket:mta-sts
EOF
cat >"$PF/etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
PF_PID=
pf_stop() {
	ip netns exec "$NS" postfix -c "$PF/etc" stop >/dev/null 2>&1
	[ -n "$PF_PID" ] && t_stop "$PF_PID"
	PF_PID=
}
_ns_cleanup_resolve() {
	pf_stop
}
trap '_ns_cleanup_resolve; _ns_cleanup' EXIT
trap '_ns_cleanup_resolve; _ns_cleanup; exit 130' INT
trap '_ns_cleanup_resolve; _ns_cleanup; exit 143' TERM

pf_start() {
	ip netns exec "$NS" postfix -c "$PF/etc" start >"$PF/start.log" 2>&1 ||
	    { t_diag "$(cat "$PF/start.log" "$PF/maillog" 2>/dev/null)"; return 1; }
	local i=0
	while [ ! -s "$PF/queue/pid/master.pid" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	PF_PID=$(tr -d ' \n' <"$PF/queue/pid/master.pid" 2>/dev/null)
	[ -n "$PF_PID" ] && t_bg "$PF_PID"
}
t_ok "Postfix starts in the namespace (its own config, queue and data directories)" pf_start

send() {	# RCPT
	printf 'Subject: to %s\n\nhello %s\n' "$1" "$1" |
	    ip netns exec "$NS" sendmail -C "$PF/etc" -f sender@client.example.test "$1"
}
# delivered RCPT: "LISTENER TLS" of the message that reached an MX, or ""
delivered() {
	local f
	f=$(grep -l -F "rcpt=<$1>" "$MAILDIR"/*.msg 2>/dev/null | head -n 1)
	[ -n "$f" ] || return 0
	printf '%s %s\n' "$(sed -n 's/^listener=//p' "$f")" "$(sed -n 's/^tls=//p' "$f")"
}
# queue: Postfix's deferred queue as "ADDRESS<TAB>REASON" lines in $T/queue
queue() {
	ip netns exec "$NS" postqueue -c "$PF/etc" -j 2>/dev/null | "$PY" -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("queue_name") != "deferred":
        continue
    for r in m.get("recipients", []):
        print("%s\t%s" % (r.get("address"), r.get("delay_reason", "").replace("\n", " ")))
' >"$T/queue"
}
# deferred RCPT: Postfix's delay reason (from the last queue), or ""
deferred() {
	awk -F '\t' -v a="$1" '$1 == a { print $2 }' "$T/queue"
}
# settle SECONDS RCPT...: until every RCPT is delivered or deferred
settle() {
	local secs=$1 i=0 r done
	shift
	while [ "$i" -lt $((secs * 2)) ]; do
		queue
		done=1
		for r in "$@"; do
			[ -n "$(delivered "$r")" ] || [ -n "$(deferred "$r")" ] || done=
		done
		[ -n "$done" ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}

ALL="u@good.test u@badcert.test u@deep.test u@nopolicy.test u@required.test
u@disabled.test u@testing.test u@cached.test"
for r in $ALL; do
	send "$r" || t_fail "sendmail $r"
done
# shellcheck disable=SC2086
t_ok "every message is delivered or deferred" settle 40 $ALL ||
    t_diag "$(tail -n 40 "$PF/maillog")" "$(cat "$T/resolve.log")"

t_like "$(delivered u@good.test)" '^127\.0\.0\.2:25 TLSv1\.[23]$' \
    "enforce, the MX matches: delivered to mx1 over TLS"
t_is "$(delivered u@badcert.test)" "" "enforce, certificate not for the MX: not delivered"
t_like "$(deferred u@badcert.test)" '[Cc]ertificate|verif' "  deferred by Postfix's TLS check"
t_like "$(delivered u@deep.test)" '^127\.0\.0\.2:25 TLSv1\.[23]$' \
    "*.example.test: mail for deep.test goes to mx1, not to a.b.example.test (MX 10)"
t_is "$(grep -l -F 'rcpt=<u@deep.test>' "$MAILDIR"/127.0.0.8:25-* 2>/dev/null)" "" \
    "  a.b.example.test got nothing, its valid certificate notwithstanding"
t_like "$(grep 'a.b.example.test' "$PF/maillog" | grep -i 'verif\|certificate' | head -n 1)" \
    'a\.b\.example\.test' "  Postfix refused a.b.example.test's certificate name"
t_like "$(delivered u@nopolicy.test)" '^127\.0\.0\.5:25 TLSv1\.[23]$' \
    "optional, no policy: delivered (TLS unverified, as smtp_tls_security_level = may)"
t_is "$(delivered u@required.test)" "" "require, no policy: not delivered"
t_is "$(deferred u@required.test)" "client TLS configuration problem" \
    "  deferred: Postfix's word for a TEMP from the policy map"
t_like "$(cat "$T/resolve.log")" 'required\.test: deferred: required\.test: outbound = require and no valid MTA-STS policy: ' \
    "  the resolver's log says why"
t_like "$(delivered u@disabled.test)" '^127\.0\.0\.5:25 TLSv1\.[23]$' "disable: delivered even to the bad certificate"
t_like "$(delivered u@testing.test)" '^127\.0\.0\.5:25 TLSv1\.[23]$' "a testing policy never blocks"
t_is "$(delivered u@cached.test)" "" "cached.test (enforce, 30 s): not delivered"

t_is "$(rq query deep.test)" "OK secure match=mx1.example.test servername=hostname" \
    "query deep.test: only the MX host the pattern covers"
t_is "$(rq query good.test)" "OK secure match=mx1.example.test servername=hostname" \
    "query good.test"
t_is "$(rq query testing.test)" "NOTFOUND " "query testing.test: NOTFOUND"
t_is "$(rq query disabled.test)" "NOTFOUND " "query disabled.test: NOTFOUND"
t_like "$(rq query required.test)" '^TEMP required\.test: outbound = require' "query required.test: TEMP"

# ---- the policy host goes away; the resolver restarts ----------------------------
ns_web_stop
t_stop "$RPID"
t_ok "the resolver restarts" resolve_start
t_like "$(grep started "$T/resolve.log" | tail -n 1)" 'started: 5 policies loaded' \
    "  with the 5 policies it had fetched (disabled.test was never looked up)"
show=$(rq show cached.test)
t_like "$show" '^OK domain=cached\.test id=1 mode=enforce max_age=30 ' "show cached.test: from the cache"
expires=$(printf '%s\n' "$show" | sed -n 's/.* expires=\([0-9]*\) .*/\1/p')
t_like "$(rq query cached.test)" '^OK secure match=mx-wrong\.example\.test servername=hostname$' \
    "  the cached policy still applies without its web server"
# Postfix with the restarted resolver and no web server: badcert.test's
# policy (a day) comes from the cache file, and its mail stays deferred
t_like "$(rq query badcert.test)" '^OK secure match=mx-wrong\.example\.test servername=hostname$' \
    "badcert.test's policy, from the cache file, without its web server"
ip netns exec "$NS" postqueue -c "$PF/etc" -f
sleep 3
# until it is back in the deferred queue (a loaded machine may take longer)
settle 30 u@badcert.test
t_is "$(delivered u@badcert.test)" "" "  and its message stays deferred"
t_like "$(deferred u@badcert.test)" '[Cc]ertificate|verif' "  (still in the queue, for the certificate)"

# until max_age ends
i=0
while [ "$(rq query cached.test)" != "NOTFOUND " ] && [ "$i" -lt 250 ]; do
	sleep 0.2
	i=$((i + 1))
done
now=$(date +%s)
t_is "$(rq query cached.test)" "NOTFOUND " "after max_age the policy no longer applies"
t_ok "  not before it expired ($now >= $expires)" test "$now" -ge "${expires:-0}"
t_like "$(cat "$T/resolve.log")" 'cached\.test: refresh failed, the cached policy id 1 holds' \
    "  the failed refresh kept it until then (logged)"
t_like "$(cat "$T/rcache/metrics")" 'mta_sts_resolve_answers_total\{result="secure"\} [1-9]' \
    "Prometheus textfile: secure answers counted"
t_like "$(cat "$T/rcache/metrics")" 'mta_sts_resolve_cache_entries [0-9]' "  and the cache entries"
ip netns exec "$NS" postqueue -c "$PF/etc" -f
settle 20 u@cached.test
i=0
while [ -z "$(delivered u@cached.test)" ] && [ "$i" -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
t_like "$(delivered u@cached.test)" '^127\.0\.0\.5:25 TLSv1\.[23]$' "  and the deferred message is delivered"

# ---- operations ------------------------------------------------------------------
t_is "$(rq drop good.test)" "OK dropped" "drop good.test"
rq show good.test >/dev/null
t_is "$?" 1 "  show good.test: not cached any more (exit 1)"
pf_stop
t_done
