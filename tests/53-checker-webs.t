#!/bin/bash
# SPDX-License-Identifier: ISC
# RFC 8461 section 8.1 across several web servers (issue 11, finding 2):
# mta-sts.example.test has two A records, 127.0.0.10 (lighttpd and the
# responder, as netns.sh sets it up) and 127.0.0.11 (a second lighttpd
# serving a static copy of the policy, as a web server whose sync lags
# would). A new id is published only when every address serves the new
# policy with a valid certificate; until then the run names the address
# that lags. A lost state does not adopt DNS's id while one address lags.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-webs
D=example.test
W2=127.0.0.11
ns_domain $D "" "mta-sts		A	$W2"
ns_checker_conf
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

# the second web server: static, the same certificate, its own copy
mkdir -p "$T/www2/.well-known" "$T/web2"
cat >"$T/web2/lighttpd.conf" <<EOF
server.modules = ("mod_openssl")
server.bind = "$W2"
server.port = 443
server.document-root = "$T/www2"
server.errorlog = "$T/web2/error.log"
server.max-keep-alive-requests = 0
ssl.engine = "enable"
ssl.pemfile = "$NS_PKI/web.fullchain.pem"
ssl.privkey = "$NS_PKI/web.key"
mimetype.assign = (".txt" => "text/plain; charset=utf-8")
EOF
web2_copy() {	# the policy the checker renders now, as the second server's copy
	ns_exec "$NS_CHECKER" -c "$NS_CHECK/mta-sts.conf" policy $D \
	    >"$T/www2/.well-known/mta-sts.txt.new" &&
	chmod 644 "$T/www2/.well-known/mta-sts.txt.new" &&
	mv "$T/www2/.well-known/mta-sts.txt.new" "$T/www2/.well-known/mta-sts.txt"
}
fetch2() {
	ns_exec curl -sS --max-time 5 --cacert "$NS_PKI/ca.pem" \
	    --resolve "mta-sts.$D:443:$W2" "https://mta-sts.$D/.well-known/mta-sts.txt"
}
W2_PID=
web2_start() {
	[ -n "$W2_PID" ] && t_stop "$W2_PID"
	ip netns exec "$NS" lighttpd -D -f "$T/web2/lighttpd.conf" >>"$T/web2/stderr.log" 2>&1 &
	W2_PID=$!
	t_bg "$W2_PID"
	ns_wait_tcp $W2 443 10
}
web2_copy
chmod -R a+rX "$T/www2"
t_ok "the second web server answers on $W2" web2_start
t_is "$(ns_kdig +short A mta-sts.$D | sort | tr '\n' ' ')" "127.0.0.10 $W2 " \
    "mta-sts.$D has two A records"
t_is "$(fetch2)" "$(ns_fetch $D)" "both serve the same policy"

# ---- both serve it: published --------------------------------------------------

ns_check
t_is "$CHK_RC" 0 "first run, both addresses serve the policy: exit 0" || t_diag "$CHK_OUT"
id1=$(ns_sts_id $D)
t_like "$id1" '^[0-9]{14}$' "the id is published ($id1)"

# ---- the responder serves a new policy, the second server the old one ---------

ns_domain_file $D "mode = enforce"
t_ok "the responder (127.0.0.10) gets the new policy" ns_sync
t_like "$(fetch2)" "mode: testing" "$W2 still serves the old policy"
ns_check
t_is "$CHK_RC" 2 "one address lags: exit 2" || t_diag "$CHK_OUT"
t_is "$(ns_sts_id $D)" "$id1" "one address lags: the new id is not published"
t_like "$CHK_OUT" "mta-sts\.$D $W2: serves the old policy \(id $id1\)" \
    "the run names the address that lags and the id of what it serves"
t_unlike "$CHK_OUT" "mta-sts\.$D 127\.0\.0\.10:" \
    "the address that serves the new policy is not named"
t_like "$CHK_OUT" "_mta-sts\.$D: id [0-9]{14} waits for the policy to be served: mta-sts\.$D $W2: serves the old policy" \
    "the new id waits for $W2"
ns_check
t_is "$(ns_sts_id $D)" "$id1" "the next run does not publish it either"
idw=$(sed -n 's/^id //p' "$T/state/$D")
t_like "$idw" '^[0-9]{14}$' "the state holds the waiting id ($idw)"
ns_check records $D
t_is "$CHK_RC" 0 "records $D exits 0" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "(^|
)_mta-sts\.$D\. 3600 IN TXT \"v=STSv1; id=$id1\"" \
    "records prints the id that is published ($id1)"
t_like "$CHK_OUT" "(^|
); $D: id $idw waits for the policy to be served by every address of mta-sts\.$D \(RFC 8461 section 8\.1\): .*; the record keeps the id published" \
    "... and the waiting id only as a comment that says so"
t_unlike "$(printf '%s\n' "$CHK_OUT" | grep -v '^;')" "$idw" \
    "the waiting id is in no record line"

# ---- the state is lost meanwhile: DNS's id is not adopted -------------------------

mv "$T/state" "$T/state.kept"
ns_check
t_is "$(ns_sts_id $D)" "$id1" "state lost, one address lags: DNS keeps $id1"
t_unlike "$CHK_OUT" "kept id $id1 from DNS" "... and its id is not adopted"
t_like "$CHK_OUT" "mta-sts\.$D $W2: serves a different policy: mode testing \(expected enforce\)" \
    "without a state, the lagging address is named with what differs"
rm -rf "$T/state"
mv "$T/state.kept" "$T/state"

# ---- a wrong certificate on the second server -------------------------------------

t_cert "$NS_PKI" other www.other.test
sed -i "s|web\.fullchain\.pem|other.fullchain.pem|; s|web\.key|other.key|" "$T/web2/lighttpd.conf"
web2_copy
web2_start
ns_check
t_is "$(ns_sts_id $D)" "$id1" "new policy at $W2 under a wrong certificate: not published"
t_like "$CHK_OUT" "mta-sts\.$D $W2: .*certificate" \
    "the run names $W2 and its certificate"

# ---- both serve it: published --------------------------------------------------

sed -i "s|other\.fullchain\.pem|web.fullchain.pem|; s|other\.key|web.key|" "$T/web2/lighttpd.conf"
web2_start
t_is "$(fetch2)" "$(ns_fetch $D)" "the second server now serves the new policy"
ns_check
t_is "$CHK_RC" 0 "both addresses serve the new policy: exit 0" || t_diag "$CHK_OUT"
id2=$(ns_sts_id $D)
t_like "$id2" '^[0-9]{14}$' "the new id is published ($id2)"
t_ok "the new id $id2 is later than $id1" test "${id2:-0}" -gt "${id1:-0}"
t_unlike "$CHK_OUT" "$W2" "no address is named any more"

t_done
