#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check end to end, publishing by RFC 2136 with TSIG to Knot, in a
# network namespace (tests/lib/netns.sh): the first run publishes an id, a
# second run is silent, policy changes (mode, a certificate added to the
# store, mx) give later ids that are published only once the new policy is
# served, a renewed certificate gives none, -n changes nothing, a lost
# state directory adopts the id in DNS, `records` loads into a zone
# checker, `probe` and a real sender's client (mta-sts-query) see it all.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-e2e
ns_domain example.test
# an IDN domain, its file named in U-labels, explicit mx (so the changes
# to the certificate store below leave it alone)
ns_domain xn--bcher-kva.test
rm "$NS_CHECK/domains/xn--bcher-kva.test"
ns_domain_file bücher.test "mx = mx1.example.test, mx2.example.test"
ns_checker_conf
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

D=example.test
ID_RE='^[0-9]{14}$'

# the expected policy, as the responder must serve it (mx from the certs)
policy() {	# MODE MX...
	local mode=$1 m
	shift
	printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
	for m in "$@"; do
		printf 'mx: %s\r\n' "$m"
	done
	printf 'max_age: 86400\r\n'
}

# ---- the environment itself -------------------------------------------------

t_is "$(ns_kdig +short SOA $D | cut -d' ' -f1)" ns1.example.test. \
    "Knot serves $D in the namespace"
t_is "$(ns_txt _mta-sts.$D)" "" "no _mta-sts record before the first run"
t_is "$(ns_fetch $D)" "$(policy testing mx1.example.test mx2.example.test)" \
    "the responder serves the policy from the certificate store over HTTPS"
ns_check policy $D
t_is "$CHK_OUT" "$(policy testing mx1.example.test mx2.example.test)" \
    "policy $D prints exactly what the responder serves"

# ---- first run: publish --------------------------------------------------------

ns_check
t_is "$CHK_RC" 0 "first run exits 0" || t_diag "$CHK_OUT"
txt=$(ns_txt _mta-sts.$D)
t_like "$txt" '^v=STSv1; id=[0-9]{14}$' "Knot serves one v=STSv1 record with a 14-digit id"
id1=$(ns_sts_id $D)
t_like "$(ns_sts_id xn--bcher-kva.test)" "$ID_RE" \
    "the IDN domain bücher.test is published as _mta-sts.xn--bcher-kva.test"
now=$(date -u +%s)
idt=$(date -u -d "${id1:0:8} ${id1:8:2}:${id1:10:2}:${id1:12:2}" +%s 2>/dev/null || echo 0)
t_ok "the id is the UTC time of the run ($id1)" test $((now - idt)) -ge -5 -a $((now - idt)) -le 120

ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "second run: exit 0 and not a word"
t_is "$(ns_sts_id $D)" "$id1" "second run keeps the id"

ns_check -v
t_is "$CHK_RC" 0 "-v exits 0"
t_like "$CHK_OUT" "$D" "-v says something about $D"

# ---- a policy change, not yet served -----------------------------------------------

ns_domain_file $D "mode = enforce"
ns_check
t_is "$CHK_RC" 2 "mode changed but not served yet: exit 2 (the web servers serve a different policy)" ||
    t_diag "$CHK_OUT"
t_like "$CHK_OUT" "_mta-sts\\.$D: id [0-9]{14} waits for the policy to be served" \
    "the run says the new id waits for the web servers to serve the new policy"
t_is "$(ns_sts_id $D)" "$id1" "the new id is not published while the old policy is served"

t_ok "the responder gets the new policy" ns_sync
ns_check
t_is "$CHK_RC" 0 "once served, the run exits 0" || t_diag "$CHK_OUT"
id2=$(ns_sts_id $D)
t_like "$id2" "$ID_RE" "an id is published ($id2)"
t_ok "mode change: the new id $id2 is later than $id1" test "${id2:-0}" -gt "${id1:-0}"

ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "and the run after that is silent"

# ---- a certificate added to the store, with -n first ------------------------------------

ns_nsupdate <<EOF >"$T/nsupdate.log" 2>&1
zone $D
update add $D 60 MX 30 mx3.example.test.
EOF
cp "$NS_PKI/mx3.pem" "$NS_CHECK/certs/mx3.pem"
t_ok "mx3's certificate served" ns_sync
sum0=$(ns_state_sum)
ns_check -n
t_like "$CHK_OUT" '[Ww]ould|dry|-n' "-n says what it would publish" || t_diag "$CHK_OUT"
t_is "$(ns_sts_id $D)" "$id2" "-n publishes nothing"
t_is "$(ns_state_sum)" "$sum0" "-n leaves the state directory as it was"

ns_check
t_is "$CHK_RC" 0 "certificate added: exit 0" || t_diag "$CHK_OUT"
id3=$(ns_sts_id $D)
t_ok "certificate added: new id $id3 later than $id2" test "${id3:-0}" -gt "${id2:-0}"

# ---- a renewal with the same names: no new id ---------------------------------------------

mkdir -p "$T/renew" && cp "$NS_PKI/ca.pem" "$NS_PKI/ca.key" "$T/renew/"
t_cert "$T/renew" mx1 mx1.example.test && cp "$T/renew/mx1.pem" "$NS_CHECK/certs/mx1.pem"
t_isnt "$(cmp -s "$NS_PKI/mx1.pem" "$NS_CHECK/certs/mx1.pem" && echo same)" same \
    "mx1's certificate renewed (new key and serial)"
ns_sync
ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "renewed certificate, same names: silent exit 0"
t_is "$(ns_sts_id $D)" "$id3" "renewed certificate, same names: same id"

# ---- mx change: explicit patterns, mx3 gone again --------------------------------------------

ns_nsupdate <<EOF >>"$T/nsupdate.log" 2>&1
zone $D
update delete $D MX 30 mx3.example.test.
EOF
ns_domain_file $D "mode = enforce
mx = mx1.example.test, mx2.example.test"
t_ok "explicit mx served" ns_sync
ns_check
t_is "$CHK_RC" 0 "mx change: exit 0" || t_diag "$CHK_OUT"
id4=$(ns_sts_id $D)
t_ok "mx change: new id $id4 later than $id3" test "${id4:-0}" -gt "${id3:-0}"
t_is "$(ns_fetch $D)" "$(policy enforce mx1.example.test mx2.example.test)" \
    "the responder serves the explicit patterns"

# ---- the state directory lost -------------------------------------------------------------------

rm -rf "$T/state"
ns_check
t_is "$CHK_RC" 0 "state directory deleted: exit 0" || t_diag "$CHK_OUT"
t_is "$(ns_sts_id $D)" "$id4" "state directory deleted: the id in DNS is kept"
t_ok "the state directory is recreated with that id" grep -rqs "$id4" "$T/state"
ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "and the next run is silent"

# ---- records into a zone checker -------------------------------------------------------------------

ns_check records $D
t_is "$CHK_RC" 0 "records $D exits 0"
t_like "$CHK_OUT" "_mta-sts[^[:space:]]*[[:space:]].*TXT[[:space:]]+\"v=STSv1; id=$id4\"" \
    "records: the _mta-sts line has the current id"
t_like "$CHK_OUT" '_smtp\._tls[^[:space:]]*[[:space:]].*TXT[[:space:]]+"v=TLSRPTv1; rua=mailto:postmaster@example\.test"' \
    "records: the _smtp._tls line"
{
	printf '$ORIGIN %s.\n$TTL 300\n' $D
	printf '@ SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60\n'
	printf '@ NS ns1.example.test.\nns1 A 127.0.0.1\n'
	printf '%s\n' "$CHK_OUT"
} >"$T/records.zone"
if command -v kzonecheck >/dev/null 2>&1; then
	zonecheck() {
		kzonecheck -v -o $D "$T/records.zone" >"$T/kzonecheck.log" 2>&1
	}
	t_ok "records output loads into kzonecheck" zonecheck ||
	    t_diag "$(cat "$T/kzonecheck.log" "$T/records.zone")"
else
	t_skip 1 "kzonecheck not installed (knot-dnssecutils)"
fi

# ---- as senders see it ------------------------------------------------------------------------------

ns_check probe $D
t_is "$CHK_RC" 0 "probe $D exits 0" || t_diag "$CHK_OUT"

if command -v mta-sts-query >/dev/null 2>&1; then
	out=$(ns_exec env SSL_CERT_FILE="$NS_PKI/ca.pem" mta-sts-query $D 2>&1)
	t_like "$out" "VALID.*'$id4'.*'mode': 'enforce'" \
	    "mta-sts-query (postfix-mta-sts-resolver) sees id $id4 and mode enforce" ||
	    t_diag "$out"
	t_like "$out" "'mx': \['mx1\.example\.test', 'mx2\.example\.test'\]" \
	    "mta-sts-query sees both mx patterns"
	out=$(ns_exec env SSL_CERT_FILE=/dev/null mta-sts-query $D 2>&1)
	t_like "$out" 'FETCH_ERROR' "mta-sts-query really checks the certificate (no test CA: fetch error)"
else
	t_skip 3 "mta-sts-query not installed (postfix-mta-sts-resolver)"
fi

# ---- a TSIG key file others can read is refused ------------------------------------------------------

chmod 644 "$T/tsig.key"
ns_domain_file $D "mode = testing
mx = mx1.example.test, mx2.example.test"
ns_sync
ns_check
t_like "$CHK_RC" '^[23]$' "TSIG key readable by others: an error ($CHK_RC)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "tsig\.key.*(readable|chmod|permission|mode)" \
    "TSIG key readable by others: the message names the file and what is wrong" || t_diag "$CHK_OUT"
t_nok "the secret is not printed" grep -qF -e "$NS_TSIG_SECRET" <<<"$CHK_OUT"
t_is "$(ns_sts_id $D)" "$id4" "TSIG key readable by others: nothing published"
chmod 600 "$T/tsig.key"
ns_check
t_is "$CHK_RC" 0 "TSIG key private again: exit 0" || t_diag "$CHK_OUT"
id5=$(ns_sts_id $D)
t_ok "and the later id $id5 is published" test "${id5:-0}" -gt "${id4:-0}"

# ---- the state directory lost while a change is not served yet -------------------------

# With no state, the id in DNS is kept only when the policy served is the
# expected one; here it is not (the web servers still serve mode testing):
# a new, later id, which waits for the policy to be served.
rm -rf "$T/state"
ns_domain_file $D "mode = enforce
mx = mx1.example.test, mx2.example.test"
ns_check
t_is "$CHK_RC" 2 "no state, change not served: exit 2" || t_diag "$CHK_OUT"
sid=$(sed -n 's/^id //p' "$T/state/$D" 2>/dev/null)
t_like "$sid" "$ID_RE" "no state, change not served: the state gets an id ($sid)"
t_ok "no state, change not served: not the id in DNS but a later one ($sid > $id5)" \
    test "${sid:-0}" -gt "${id5:-0}"
t_is "$(ns_sts_id $D)" "$id5" "no state, change not served: DNS keeps $id5"
t_ok "the responder gets the new policy" ns_sync
ns_check
t_is "$CHK_RC" 0 "no state, change served: exit 0" || t_diag "$CHK_OUT"
t_is "$(ns_sts_id $D)" "$sid" "no state, change served: $sid is published"

t_done
