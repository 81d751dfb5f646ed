#!/bin/bash
# SPDX-License-Identifier: ISC
# deploy/hooks/pdns-api, the PowerDNS HTTP API hook, against a real
# pdns_server (gsqlite3 backend, api=yes, its own --config-dir and
# --socket-dir, in the foreground, stopped by PID) in a network namespace
# (tests/lib/netns.sh): the checker with publish = hook sets the id through
# the API once the policy is served and pdns answers with it; a wrong API
# key fails with the API URL and the HTTP status, and the id is not marked
# published; a key file others may read is refused.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

SCHEMA=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
for p in pdns_server pdnsutil sqlite3 curl; do
	command -v "$p" >/dev/null 2>&1 || t_skip_all "$p not installed (pdns-server, pdns-backend-sqlite3, sqlite3, curl)"
done
[ -r "$SCHEMA" ] || t_skip_all "no $SCHEMA (pdns-backend-sqlite3)"
ns_init pdns-hook
HOOK=$T_TOP/deploy/hooks/pdns-api
P=$T/pdns
mkdir -p "$P"
ns_domain pdns.test
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

# ---- pdns_server: the zones the checker needs, answering at 127.0.0.54 ------------

API_KEY=$(openssl rand -hex 16)
API_PORT=8081
cat >"$P/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$P/pdns.sqlite3
local-address=127.0.0.54
local-port=53
api=yes
api-key=$API_KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$API_PORT
webserver-allow-from=127.0.0.0/8
socket-dir=$P
daemon=no
guardian=no
disable-syslog=yes
write-pid=no
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
loglevel=5
EOF
cat >"$P/pdns.test.zone" <<EOF
\$ORIGIN pdns.test.
\$TTL 60
@		SOA	ns.pdns.test. hostmaster.pdns.test. 1 3600 600 86400 60
@		NS	ns.pdns.test.
ns		A	127.0.0.54
@		MX	10 mx1.example.test.
@		MX	20 mx2.example.test.
mta-sts		A	127.0.0.10
_smtp._tls	TXT	"v=TLSRPTv1; rua=mailto:postmaster@pdns.test"
EOF
# example.test's names too: pdns is the checker's only resolver here
{
	printf '$ORIGIN example.test.\n$TTL 60\n'
	printf '@\tSOA\tns.pdns.test. hostmaster.pdns.test. 1 3600 600 86400 60\n'
	printf '@\tNS\tns.pdns.test.\n'
	grep -v -e '^\$' -e 'SOA' -e '	NS	' "$T/knot/zones/example.test.zone"
} >"$P/example.test.zone"
pdns_setup() {
	{
		sqlite3 "$P/pdns.sqlite3" <"$SCHEMA" &&
		pdnsutil --config-dir="$P" load-zone pdns.test "$P/pdns.test.zone" &&
		pdnsutil --config-dir="$P" load-zone example.test "$P/example.test.zone"
	} >"$P/setup.log" 2>&1
}
t_ok "pdnsutil loads the zones into sqlite" pdns_setup || t_diag "$(cat "$P/setup.log")"
ip netns exec "$NS" pdns_server --config-dir="$P" --socket-dir="$P" >"$P/pdns.log" 2>&1 &
t_bg $!
pdns_up() {
	ns_wait_dns 127.0.0.54 pdns.test && ns_wait_tcp 127.0.0.1 "$API_PORT" 5 &&
	    return 0
	t_diag "pdns_server:" "$(tail -n 20 "$P/pdns.log")"
	return 1
}
t_ok "pdns_server answers DNS at 127.0.0.54 and its API at 127.0.0.1:$API_PORT" pdns_up

# pdns_id DOMAIN: the id pdns serves at _mta-sts.DOMAIN
pdns_id() {
	ns_exec kdig +timeout=2 +retry=0 +short @127.0.0.54 TXT "_mta-sts.$1" |
	    sed -n 's/^"v=STSv1; id=\([0-9]*\)"$/\1/p'
}

# ---- the checker, publishing by the hook ------------------------------------------

mkdir -p "$T/pstate"
printf '%s\n' "$API_KEY" >"$T/api.key"
chmod 600 "$T/api.key"
cat >"$T/pdns-api.conf" <<EOF
# the hook's settings, read (not run) by deploy/hooks/pdns-api
PDNS_API_URL = http://127.0.0.1:$API_PORT
PDNS_API_KEY_FILE=$T/api.key
EOF
export PDNS_API_CONF=$T/pdns-api.conf
CHK_CONF=$T/check.conf
cat >"$CHK_CONF" <<EOF
domains = $NS_CHECK/domains
certs = $NS_CHECK/certs
state = $T/pstate
mode = testing
max-age = 1d
resolver = 127.0.0.54
ca-file = $NS_PKI/ca.pem
timeout = 3
publish = hook
hook = $HOOK
EOF
API=http://127.0.0.1:$API_PORT/api/v1/servers/localhost/zones/pdns.test.

t_is "$(pdns_id pdns.test)" "" "before: pdns has no _mta-sts record"
ns_check -v pdns.test
t_is "$CHK_RC" 0 "first run: exit 0" || t_diag "$CHK_OUT"
id1=$(sed -n 's/^id //p' "$T/pstate/pdns.test" 2>/dev/null)
t_like "$id1" '^[0-9]{14}$' "the state has an id ($id1)"
t_like "$CHK_OUT" "published id $id1 by hook: _mta-sts\\.pdns\\.test TXT \"v=STSv1; id=$id1\" set in zone pdns\\.test by $API" \
    "the run says the hook set it through the API"
t_is "$(pdns_id pdns.test)" "$id1" "pdns answers with the id"
t_is "$(sed -n 's/^published //p' "$T/pstate/pdns.test")" 1 "the state marks it published"
t_is "$(ns_exec curl -sS -H "X-API-Key: $API_KEY" "$API" | python3 -c 'import json,sys
z = json.load(sys.stdin)
print(" ".join(sorted(r["name"] + "/" + str(r["ttl"]) for r in z["rrsets"] if r["type"] == "TXT")))')" \
    "_mta-sts.pdns.test./3600 _smtp._tls.pdns.test./60" "the API shows one _mta-sts TXT RRset, TTL 3600, the TLS-RPT record untouched"

# ---- a wrong API key -----------------------------------------------------------------

printf 'not-the-key\n' >"$T/api.key"
ns_domain_file pdns.test "mode = enforce"
cp "$NS_CHECK/domains/pdns.test" "$NS_SERVE/domains/pdns.test"
t_ok "mode enforce served" ns_wait_served pdns.test "$CHK_CONF"
ns_check pdns.test
t_is "$CHK_RC" 2 "wrong API key: exit 2" || t_diag "$CHK_OUT"
id2=$(sed -n 's/^id //p' "$T/pstate/pdns.test" 2>/dev/null)
t_ok "a new id $id2 was made" test "${id2:-0}" -gt "${id1:-0}"
t_like "$CHK_OUT" "_mta-sts\\.pdns\\.test: publishing id $id2 by hook failed: .*pdns-api exited with status 1: pdns-api: PATCH $API: HTTP 401" \
    "wrong API key: the finding names the API URL and the HTTP status" || t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" "published id $id2" "wrong API key: not said to be published"
t_is "$(pdns_id pdns.test)" "$id1" "wrong API key: pdns keeps $id1"
t_is "$(sed -n 's/^published //p' "$T/pstate/pdns.test")" 0 "wrong API key: the state does not mark $id2 published"
t_isnt "$(sed -n 's/^pub-id //p' "$T/pstate/pdns.test")" "$id2" "wrong API key: nor as the id that went out"

# ---- a key file others may read -------------------------------------------------------

printf '%s\n' "$API_KEY" >"$T/api.key"
chmod 644 "$T/api.key"
ns_check pdns.test
t_is "$CHK_RC" 2 "key file mode 644: exit 2"
t_like "$CHK_OUT" "pdns-api exited with status 2: pdns-api: $T/api\\.key: others may read it; chmod 600" \
    "key file mode 644: refused, saying how to fix it" || t_diag "$CHK_OUT"
t_is "$(pdns_id pdns.test)" "$id1" "key file mode 644: pdns keeps $id1"

# ---- the right key again: the id goes out ------------------------------------------

chmod 600 "$T/api.key"
ns_check pdns.test
t_is "$CHK_RC" 0 "right key again: exit 0" || t_diag "$CHK_OUT"
t_is "$(pdns_id pdns.test)" "$id2" "pdns answers with the new id $id2"
t_is "$(sed -n 's/^published //p' "$T/pstate/pdns.test")" 1 "and the state marks it published"
ns_check pdns.test
t_is "$CHK_RC:$CHK_OUT" "0:" "next run: silent, nothing to do"
unset CHK_CONF

# ---- as tlsrpt-hook: the TLS-RPT record at <domain>.<tlsrpt-zone> ---------------------
# (the checker's side of it, with Knot: tests/81-tlsrpt-delegated.t)

# tlsrpt_hook RECORD: the hook as the checker runs it for cust.test with
# tlsrpt-zone = pdns.test; its output, then its exit status
tlsrpt_hook() {
	ns_exec env -i PATH=/usr/bin:/bin PDNS_API_CONF="$PDNS_API_CONF" \
	    MTA_STS_RECORD_TYPE=tlsrpt MTA_STS_DOMAIN=cust.test \
	    MTA_STS_NAME=cust.test.pdns.test MTA_STS_ZONE=pdns.test \
	    MTA_STS_RECORD="$1" "$HOOK" 2>&1
	echo "exit $?"
}
pdns_txt() {
	ns_exec kdig +timeout=2 +retry=0 +short @127.0.0.54 TXT "$1"
}
rec='v=TLSRPTv1; rua=mailto:tls+rpt@pdns.test,https://rpt.pdns.test/v1/'
t_is "$(tlsrpt_hook "$rec")" "cust.test.pdns.test TXT \"$rec\" set in zone pdns.test by $API
exit 0" "tlsrpt: the hook sets a TLS-RPT record with ':', '@', '+', ',' and '/'"
t_is "$(pdns_txt cust.test.pdns.test)" "\"$rec\"" "tlsrpt: pdns answers with it"
t_is "$(tlsrpt_hook 'v=TLSRPTv1; rua=mailto:b@pdns.test')" "cust.test.pdns.test TXT \"v=TLSRPTv1; rua=mailto:b@pdns.test\" set in zone pdns.test by $API
exit 0" "tlsrpt: a changed record"
t_is "$(pdns_txt cust.test.pdns.test)" '"v=TLSRPTv1; rua=mailto:b@pdns.test"' \
    "tlsrpt: pdns answers with only the new one (the RRset replaced)"
t_is "$(tlsrpt_hook 'v=STSv1; id=1')" "pdns-api: record 'v=STSv1; id=1': not a TLS-RPT record
exit 2" "tlsrpt: an MTA-STS record as TLS-RPT: refused"
t_is "$(tlsrpt_hook 'v=TLSRPTv1; rua=mailto:a@b.test"}]}')" "pdns-api: record 'v=TLSRPTv1; rua=mailto:a@b.test\"}]}': unexpected characters
exit 2" "tlsrpt: a quote, which would end the JSON string: refused"
t_is "$(pdns_txt cust.test.pdns.test)" '"v=TLSRPTv1; rua=mailto:b@pdns.test"' \
    "tlsrpt: refused records leave pdns as it was"

t_done
