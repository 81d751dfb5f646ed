#!/bin/bash
# SPDX-License-Identifier: ISC
# DANE beside MTA-STS (issue 15), in a network namespace: Knot signs
# example.test (automatic DNSSEC signing, a policy of our own, keys in the
# test's KASP directory) and serves unsigned.test unsigned; unbound
# validates with example.test's DS as its trust anchor, and is the
# checker's resolver. An MX whose signed TLSA matches is valid; a renewed
# certificate with a new key under the old TLSA is an error naming the
# MX; the same TLSA in the unsigned zone is not usable; a next key
# without its TLSA is a rollover warning; `records` output loads into
# Knot (kzonecheck, then served) and a real DANE client (openssl s_client
# -dane_tlsa_rrdata) accepts the MX with what unbound answers.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init dane
command -v unbound >/dev/null 2>&1 || t_skip_all "unbound not installed"
command -v kzonecheck >/dev/null 2>&1 || t_skip_all "kzonecheck not installed"
command -v keymgr >/dev/null 2>&1 || t_skip_all "keymgr not installed"
command -v jq >/dev/null 2>&1 || t_skip_all "jq not installed"

D=example.test
UB=127.0.0.9		# unbound, validating
MX4=127.0.0.8		# our own smtpd: mx4.example.test and mx4.unsigned.test
MX4_PID=
UB_PID=
MX67=127.0.0.12		# another smtpd: mx6 and mx7.example.test (a certificate not in the store)

NS_KNOT_EXTRA='policy:
  - id: dane
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: off
    rrsig-lifetime: 14d
    rrsig-refresh: 7d'

# the TLSA 3 1 1 rdata of a PEM file's key (certificate or private key)
rdata() {
	local h
	if grep -q 'BEGIN CERTIFICATE' "$1"; then
		h=$(openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)
	else
		h=$(openssl pkey -in "$1" -pubout -outform DER | sha256sum)
	fi
	echo "3 1 1 ${h%% *}"
}

# the TLSA USAGE 0 1 rdata of the test CA's certificate (DANE-TA when 2,
# PKIX-TA when 0: unusable for SMTP, RFC 7672 section 3.1.3)
ca_rdata() {
	local h
	h=$(openssl x509 -in "$NS_PKI/ca.pem" -outform DER | sha256sum)
	echo "$1 0 1 ${h%% *}"
}

# ns_pki calls it before Knot starts: mx4's certificate (in the store),
# the one it is renewed to later (a new key), a next key; and the keys
# in the zones
ns_pki_extra() {
	local z
	t_cert "$NS_PKI" mx4 mx4.example.test mx4.unsigned.test &&
	t_cert "$NS_PKI" mx4b mx4.example.test mx4.unsigned.test &&
	t_cert "$NS_PKI" mx67 mx6.example.test mx7.example.test &&
	cp "$NS_PKI/mx4.pem" "$NS_CHECK/certs/mx4.pem" &&
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$NS_PKI/mx4-next.key" 2>/dev/null || return 1
	for z in "$T/knot/zones/$D.zone" "$T/knot/zones/unsigned.test.zone" \
	    "$T/knot/zones/bogus.test.zone"; do
		sed -i -e "s/TLSA-MX1/$(rdata "$NS_PKI/mx1.pem")/" \
		    -e "s/TLSA-MX2/$(rdata "$NS_PKI/mx2.pem")/" \
		    -e "s/TLSA-MX4/$(rdata "$NS_PKI/mx4.pem")/" \
		    -e "s/TLSA-CA/$(ca_rdata 2)/" -e "s/TLSA-PKIX-TA/$(ca_rdata 0)/" \
		    -e "s/TLSA-PKIX-EE/1 1 1 $(rdata "$NS_PKI/mx67.pem" | cut -d' ' -f4)/" "$z" || return 1
	done
}

ns_domain "$D" "dnssec-signing: on
dnssec-policy: dane" "_mta-sts	TXT	\"v=STSv1; id=1\"
@		MX	30 mx4.example.test.
@		MX	40 mx4.unsigned.test.
mx4		A	$MX4
_25._tcp.mx1	TLSA	TLSA-MX1
_25._tcp.mx2	TLSA	TLSA-MX2
_25._tcp.mx4	TLSA	TLSA-MX4
sub		MX	10 mx5.bogus.test.
ta		MX	10 mx6.example.test.
mx6		A	$MX67
_25._tcp.mx6	TLSA	TLSA-CA
ua		MX	10 mx7.example.test.
mx7		A	$MX67
_25._tcp.mx7	TLSA	TLSA-PKIX-TA
_25._tcp.mx7	TLSA	TLSA-PKIX-EE"
# signed too, but unbound's trust anchor for it is wrong: every answer bogus
ns_zone bogus.test "dnssec-signing: on
dnssec-policy: dane" <<EOF
mx5		A	$MX4
_25._tcp.mx5	TLSA	TLSA-MX4
EOF
ns_zone unsigned.test <<EOF
@		MX	10 mx1.example.test.
mx4		A	$MX4
_25._tcp.mx4	TLSA	TLSA-MX4
EOF
ns_checker_conf "publish = none
tlsa-next = $T/next"
sed -i "s/^resolver = .*/resolver = $UB/" "$NS_CHECK/mta-sts.conf"
mkdir -p "$T/next" "$T/unbound"

# mx4_start CERTNAME: our smtpd for mx4 (stopped by its PID, and again on exit)
mx4_start() {
	[ -n "$MX4_PID" ] && t_stop "$MX4_PID"
	ip netns exec "$NS" "$NS_SMTPD" -l "$MX4:25" -c "$NS_PKI/$1.fullchain.pem" \
	    -k "$NS_PKI/$1.key" >>"$T/smtp/mx4.log" 2>&1 &
	MX4_PID=$!
	t_bg "$MX4_PID"
	ns_wait_tcp "$MX4" 25 5
}

# unbound: validating, example.test's DS its only trust anchor, every
# test zone a stub to Knot; answers cached one second at most
unbound_start() {
	ns_exec keymgr -c "$T/knot/knot.conf" "$D" ds >"$T/unbound/ta.ds" 2>"$T/unbound/keymgr.err" &&
	    [ -s "$T/unbound/ta.ds" ] || {
		t_diag "keymgr ds:" "$(cat "$T/unbound/keymgr.err")"
		return 1
	}
	echo "bogus.test. DS 11111 13 2 $(printf '%064d' 0)" >>"$T/unbound/ta.ds"
	cat >"$T/unbound/unbound.conf" <<EOC
server:
	interface: $UB
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "$T/unbound"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	val-log-level: 2
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: no
	module-config: "validator iterator"
	trust-anchor-file: "$T/unbound/ta.ds"
	domain-insecure: "unsigned.test"
	cache-max-ttl: 1
	cache-max-negative-ttl: 1
	qname-minimisation: no
	local-zone: "test." nodefault
	do-ip6: no
stub-zone:
	name: "example.test"
	stub-addr: 127.0.0.1
stub-zone:
	name: "unsigned.test"
	stub-addr: 127.0.0.1
stub-zone:
	name: "bogus.test"
	stub-addr: 127.0.0.1
EOC
	unbound-checkconf "$T/unbound/unbound.conf" >"$T/unbound/check.log" 2>&1 || {
		t_diag "unbound.conf:" "$(cat "$T/unbound/check.log")"
		return 1
	}
	ip netns exec "$NS" unbound -d -c "$T/unbound/unbound.conf" >>"$T/unbound/unbound.log" 2>&1 &
	UB_PID=$!
	t_bg "$UB_PID"
	ns_wait_dns "$UB" "$D" 50 "$UB_PID" && return 0
	t_diag "unbound did not come up:" "$(tail -n 20 "$T/unbound/unbound.log")"
	return 1
}

# what unbound says of NAME TYPE: "ad" when it validated, and the answers
ub() {
	local out flags
	out=$(ns_exec kdig +timeout=2 +retry=0 @"$UB" "$2" "$1")
	flags=$(printf '%s\n' "$out" | sed -n 's/.*;; Flags: \([a-z ]*\);.*/\1/p')
	case " $flags " in *" ad "*) echo ad;; *) echo insecure;; esac
	printf '%s\n' "$out" | awk -v t="$2" '$4 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print tolower($0) }' | grep -v '^$' | sort
}

# dane: the DANE findings of the last run, "level code message", sorted
dane() {
	printf '%s\n' "$CHK_OUT" | jq -r '.domains[].findings[] |
	    select(.code | startswith("dane.")) | "\(.level) \(.code) \(.message)"' | sort
}

t_ok "environment: Knot (signing $D), lighttpd + responder, smtpd in $NS" ns_start || {
	t_diag "$(tail -n 20 "$T/knot/knotd.log")"
	t_done
	exit 1
}
t_ok "mx4 listens with its certificate" mx4_start mx4
t_ok "unbound validates with $D's DS as trust anchor" unbound_start

R1=$(rdata "$NS_PKI/mx1.pem")
R4=$(rdata "$NS_PKI/mx4.pem")
R4B=$(rdata "$NS_PKI/mx4b.pem")
RN=$(rdata "$NS_PKI/mx4-next.key")

# ---- the environment ------------------------------------------------------------

t_is "$(ub _25._tcp.mx1.$D TLSA)" "ad
$R1" "unbound validates the signed TLSA of mx1 (AD)"
t_is "$(ub $D MX | head -n 1)" ad "unbound validates the MX records of $D (AD)"
t_is "$(ub _25._tcp.mx4.unsigned.test TLSA)" "insecure
$R4" "the same TLSA in unsigned.test comes without AD"

# ---- signed TLSA that match: valid -------------------------------------------

ns_check --json -n
t_is "$(dane)" "info dane.ok MX mx1.example.test: DANE valid: the signed TLSA 3 1 1 record at _25._tcp.mx1.example.test matches its certificate
info dane.ok MX mx2.example.test: DANE valid: the signed TLSA 3 1 1 record at _25._tcp.mx2.example.test matches its certificate
info dane.ok MX mx4.example.test: DANE valid: the signed TLSA 3 1 1 record at _25._tcp.mx4.example.test matches its certificate
warning dane.insecure MX mx4.unsigned.test: the TLSA records at _25._tcp.mx4.unsigned.test are not signed (the resolver $UB did not vouch for the answer): not usable for DANE; sign the zone of mx4.unsigned.test (DNSSEC), or remove them" \
    "check: signed matching TLSA valid for each MX; the same TLSA unsigned is not usable" || t_diag "$CHK_OUT"

ns_check --json probe "$D"
t_is "$(printf '%s\n' "$CHK_OUT" | jq -r '.domains[].findings[] | select(.code == "dane.mechanism") | .message' | sort)" \
"mx1.example.test: DANE (signed TLSA 3 1 1 matches) — MTA-STS not applied by DANE-capable senders
mx2.example.test: DANE (signed TLSA 3 1 1 matches) — MTA-STS not applied by DANE-capable senders
mx4.example.test: DANE (signed TLSA 3 1 1 matches) — MTA-STS not applied by DANE-capable senders
mx4.unsigned.test: MTA-STS (mode testing; no DANE: the TLSA records at _25._tcp.mx4.unsigned.test are not signed)" \
    "probe: per MX, DANE where signed TLSA match, MTA-STS where they are unsigned" || t_diag "$CHK_OUT"

# unsigned.test's MX is mx1.example.test, whose TLSA are signed and match:
# DANE does not apply all the same, the MX records are not signed (RFC 7672 §2.2)
ns_check --json probe unsigned.test
t_is "$(dane)" "info dane.mechanism mx1.example.test: neither DANE nor MTA-STS (the MX records of unsigned.test are not signed; no MTA-STS policy in force): opportunistic TLS only
warning dane.mx.insecure MX mx1.example.test: signed TLSA records, but the MX records of unsigned.test are not signed: DANE does not apply to mail for unsigned.test (RFC 7672 section 2.2); sign the zone of unsigned.test" \
    "probe: signed matching TLSA of an MX named by unsigned MX records: DANE does not apply" || t_diag "$CHK_OUT"
# sub.example.test (signed MX records) has its MX in bogus.test: the TLSA
# lookup fails (SERVFAIL), and DANE senders defer
t_is "$(ns_exec kdig +timeout=2 +retry=0 @"$UB" TLSA _25._tcp.mx5.bogus.test | sed -n 's/.*status: \([A-Z]*\).*/\1/p')" SERVFAIL \
    "unbound answers SERVFAIL for the TLSA in bogus.test"
ns_check --json probe sub.$D
t_is "$(dane)" "error dane.lookup MX mx5.bogus.test: the TLSA lookup at _25._tcp.mx5.bogus.test failed (DNS server $UB answered SERVFAIL): DANE senders defer mail to it (a bogus or unanswered signed zone)
info dane.mechanism mx5.bogus.test: DANE (the TLSA lookup failed: DANE senders defer mail)" \
    "probe: a failed TLSA lookup under signed MX records is an error: DANE senders defer" || t_diag "$CHK_OUT"

ip netns exec "$NS" "$NS_SMTPD" -l "$MX67:25" -c "$NS_PKI/mx67.fullchain.pem" \
    -k "$NS_PKI/mx67.key" >>"$T/smtp/mx67.log" 2>&1 &
t_bg $!
t_ok "mx6 and mx7 listen with their certificate and its chain" ns_wait_tcp "$MX67" 25 5
# ta.example.test: its MX has one signed DANE-TA record (2 0 1), the test
# CA that issued the certificate mx4's listener presents with its chain
ns_check --json probe ta.$D
t_is "$(dane)" "info dane.mechanism mx6.example.test: DANE (signed TLSA 2 0 1 matches)
info dane.ok MX mx6.example.test: DANE valid: the signed TLSA 2 0 1 record at _25._tcp.mx6.example.test matches its certificate chain" \
    "probe: a signed DANE-TA record of the issuing CA is valid, through the chain" || t_diag "$CHK_OUT"
# ua.example.test: only PKIX-TA and PKIX-EE records, which SMTP does not use
ns_check --json probe ua.$D
t_is "$(dane)" "info dane.mechanism mx7.example.test: neither DANE nor MTA-STS (the signed TLSA records at _25._tcp.mx7.example.test are all unusable; no MTA-STS policy in force): opportunistic TLS only
warning dane.unusable MX mx7.example.test: none of the signed TLSA records at _25._tcp.mx7.example.test is usable (RFC 7672 section 2.2): DANE senders encrypt but authenticate nothing; publish TLSA 3 1 1 records" \
    "probe: signed TLSA records of usages 0 and 1 only are unusable: a warning, no DANE" || t_diag "$CHK_OUT"

# ---- a next key without its TLSA: rollover warning ----------------------------

cp "$NS_PKI/mx4-next.key" "$T/next/mx4.example.test.key"
ns_check --json -n
t_is "$(dane | grep mx4.example.test)" "info dane.ok MX mx4.example.test: DANE valid: the signed TLSA 3 1 1 record at _25._tcp.mx4.example.test matches its certificate
warning dane.rollover MX mx4.example.test: the next key (tlsa-next) $T/next/mx4.example.test.key has no TLSA record at _25._tcp.mx4.example.test while other keys do: renewing with it now breaks DANE senders; publish first (then wait two TTLs): _25._tcp.mx4.example.test. 3600 IN TLSA $RN" \
    "check: a next key without its TLSA record is a rollover warning with the record to publish" || t_diag "$CHK_OUT"

# ---- records: TLSA for every covered MX, the next key too ---------------------

ns_check records --format zone "$D"
t_is "$(printf '%s\n' "$CHK_OUT" | grep ' IN TLSA ')" "_25._tcp.mx1.example.test. 3600 IN TLSA $R1
_25._tcp.mx2.example.test. 3600 IN TLSA $(rdata "$NS_PKI/mx2.pem")
_25._tcp.mx4.example.test. 3600 IN TLSA $R4
_25._tcp.mx4.example.test. 3600 IN TLSA $RN
_25._tcp.mx4.unsigned.test. 3600 IN TLSA $R4" \
    "records: TLSA 3 1 1 of each certificate's key for every MX it names, and the next key" || t_diag "$CHK_OUT"
for f in csv json nsupdate; do
	ns_check records --format $f "$D"
	case $f in
	csv) got=$(printf '%s\n' "$CHK_OUT" | grep ',TLSA,' | tr -d '\r');;
	json) got=$(printf '%s\n' "$CHK_OUT" | jq -r '.tlsa[] | "\(.name),TLSA,\(.ttl),\(.value)"');;
	nsupdate) got=$(printf '%s\n' "$CHK_OUT" | sed -n 's/^update add \(.*\)\. \([0-9]*\) TLSA \(.*\)/\1,TLSA,\2,\3/p');;
	esac
	t_is "$got" "_25._tcp.mx1.example.test,TLSA,3600,$R1
_25._tcp.mx2.example.test,TLSA,3600,$(rdata "$NS_PKI/mx2.pem")
_25._tcp.mx4.example.test,TLSA,3600,$R4
_25._tcp.mx4.example.test,TLSA,3600,$RN
_25._tcp.mx4.unsigned.test,TLSA,3600,$R4" "records --format $f: the same TLSA records"
done

# ---- the records output loads into Knot; a DANE client accepts the MX ----------

ns_check records --format zone "$D"
{
	printf '$ORIGIN %s.\n$TTL 60\n' "$D"
	printf '@\tSOA\tns1.example.test. hostmaster.example.test. %s 3600 600 86400 60\n' "$(date +%s)"
	printf '@\tNS\tns1.example.test.\n'
	grep -v '^_' "$T/knot/zones/$D.zone" | grep -v -e '^\$' -e 'SOA' -e '	NS	'
	printf '%s\n' "$CHK_OUT" | grep -v 'unsigned\.test\.'
} >"$T/new.zone"
t_ok "kzonecheck accepts the zone with the records output" \
    kzonecheck -o "$D" "$T/new.zone"
cp "$T/new.zone" "$T/knot/zones/$D.zone"
ns_knotc zone-reload "$D" >/dev/null
want="ad
$(printf '%s\n%s\n' "$(printf '%s' "$R4" | tr A-F a-f)" "$RN" | sort)"
i=0
while [ "$i" -lt 50 ] && [ "$(ub _25._tcp.mx4.$D TLSA)" != "$want" ]; do
	sleep 0.2
	i=$((i + 1))
done
t_is "$(ub _25._tcp.mx4.$D TLSA)" "$want" \
    "Knot serves the loaded TLSA records of mx4, signed (unbound: AD)"

# openssl s_client as the DANE client, fed what unbound answered
dane_client() {	# [RDATA...] from unbound for mx4
	local args=() r
	while IFS= read -r r; do
		args+=(-dane_tlsa_rrdata "$r")
	done < <(ub _25._tcp.mx4.$D TLSA | tail -n +2)
	ns_exec timeout 10 openssl s_client -brief -starttls smtp -connect "$MX4:25" \
	    -servername mx4.$D -dane_tlsa_domain mx4.$D "${args[@]}" </dev/null 2>&1
}
out=$(dane_client)
t_like "$out" "Verification: OK" "openssl s_client (DANE) verifies mx4 against the TLSA records Knot serves" || t_diag "$out"
t_like "$out" "DANE TLSA 3 1 1 .*matched EE certificate" "... with the 3 1 1 record of its key" || t_diag "$out"
ns_check --json -n
t_is "$(dane | grep mx4.example.test)" "info dane.ok MX mx4.example.test: DANE valid: the signed TLSA 3 1 1 record at _25._tcp.mx4.example.test matches its certificate" \
    "check: with the next key's record published, no rollover warning" || t_diag "$CHK_OUT"

# ---- renewed with a new key under the old TLSA: an error naming the MX ---------

rm "$T/next/mx4.example.test.key"
cp "$NS_PKI/mx4b.pem" "$NS_CHECK/certs/mx4.pem"
t_ok "mx4 now serves the renewed certificate (a new key)" mx4_start mx4b
out=$(dane_client)
t_like "$out" "Verification error" "openssl s_client (DANE) refuses mx4 now" || t_diag "$out"
ns_check --json -n
t_is "$(dane | grep mx4.example.test | cut -d' ' -f1-4)" "error dane.mismatch MX mx4.example.test:
warning dane.key.unknown _25._tcp.mx4.example.test: TLSA
warning dane.key.unknown _25._tcp.mx4.example.test: TLSA
warning dane.rollover MX mx4.example.test:" \
    "check: the renewed key is an error naming the MX; the old keys' records are unknown; the new key has none" || t_diag "$CHK_OUT"
t_is "$(dane | grep dane.mismatch)" "error dane.mismatch MX mx4.example.test: its certificate matches none of the signed TLSA records at _25._tcp.mx4.example.test (no matching DANE TLSA records): DANE senders will not deliver to it; publish the key it presents: TLSA $R4B, or serve the key the records name" \
    "the error says DANE senders will not deliver, and which record would match"
t_is "$(printf '%s\n' "$CHK_OUT" | jq -r '.status')" 2 "check exits with the error status"

t_done
