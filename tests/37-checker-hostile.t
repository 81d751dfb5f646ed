#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check against hostile peers, in a network namespace
# (tests/lib/netns.sh, timeout = 2):
#  - DNS: the checker's resolver is tests/helpers/fakedns.py, which relays
#    to Knot but answers _mta-sts.<mode>.test with a truncated answer and
#    TCP that works (the record is read over TCP) or not (closed, stalled,
#    drip-fed), garbage, a short packet, a
#    wrong message id, a compression loop, 60 KB of records, an answer 10 s
#    late or none, another question's answer, a CNAME loop, a bad rcode,
#    a lying answer count;
#  - HTTPS (tests/helpers/hostile.py at mta-sts.h-<mode>.test): endless
#    bodies (close-delimited, chunked), a drip-fed body, a stall after the
#    headers, drip-fed and flooded headers, a stall in the TLS handshake,
#    a self-signed certificate;
#  - SMTP (enforce mode, the hostile MX next to two good ones): endless
#    continuation lines, a drip-fed banner, a banner without an end of
#    line, a drip-fed EHLO reply.
# Each run must end within a few timeouts with exit 2 and an error naming
# the record or host, never a crash; nothing is published for the DNS
# cases. Cases run in parallel, each with its own state directory. A
# subset runs again under valgrind (HOSTILE_VALGRIND=0 skips it).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-hostile
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"
# a copy: other builds in this tree must not swap the binary mid-test
mkdir -p "$T/bin" && cp "$NS_CHECKER" "$T/bin/mta-sts-check" || exit 255
NS_CHECKER=$T/bin/mta-sts-check
HELPERS=$T_TOP/tests/helpers
TIMEOUT=2
# a run spends the timeout once on the hostile peer (measured: 2.5 s at
# most for timeout 2) and a little on everything else. The limit guards
# against hangs (a drip-fed peer held a run for hours), not speed: it
# leaves room for a loaded machine and the ASan build (make check
# SANITIZE=1), where 3 x timeout was missed by a second at times.
# The ASan/UBSan build runs all the cases at once several times slower
# (measured: 13 to 19 s at load 10): twice the room there, still far
# from a hang.
LIMIT=$((TIMEOUT * 5))
ldd "$T/bin/mta-sts-check" 2>/dev/null | grep -q libasan && LIMIT=$((TIMEOUT * 10))

DNS_MODES="tcok tc tcstall tcdrip garbage short wrongid loop big slow silent mismatch cnameloop badrcode badcount"
HTTPS_MODES="endless chunked drip stallhdr hdrdrip hdrflood stalltls selfsigned"
SMTP_MODES="smtpflood smtpdrip smtplong smtpehlo"

for m in $DNS_MODES; do
	ns_domain "$m.test"
done
addr=20
declare -A web_addr smtp_addr
for m in $HTTPS_MODES; do
	web_addr[$m]=127.0.0.$addr
	ns_fault_domain "h-$m.test" "127.0.0.$addr"
	addr=$((addr + 1))
done
addr=40
for m in $SMTP_MODES; do
	smtp_addr[$m]=127.0.0.$addr
	ns_domain "s-$m.test" "" "@ MX 5 mx.s-$m.test.
mx A 127.0.0.$addr"
	ns_domain_file "s-$m.test" "mode = enforce
mx = mx1.example.test, mx2.example.test, mx.s-$m.test"
	addr=$((addr + 1))
done

ns_pki_extra() {
	local names='' m
	for m in $HTTPS_MODES; do
		names="$names mta-sts.h-$m.test"
	done
	# shellcheck disable=SC2086
	t_cert "$NS_PKI" hostile $names || return 1
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -keyout "$NS_PKI/selfsigned.key" -out "$NS_PKI/selfsigned.pem" \
	    -days 30 -subj "/CN=mta-sts.h-selfsigned.test" \
	    -addext "subjectAltName=DNS:mta-sts.h-selfsigned.test" \
	    >"$NS_PKI/selfsigned.log" 2>&1
}
ns_checker_conf
sed -i -e "s/^resolver = .*/resolver = 127.0.0.1:5300/" \
    -e "s/^timeout = .*/timeout = $TIMEOUT/" "$NS_CHECK/mta-sts.conf"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { echo "Bail out! no environment"; exit 255; }

# bg_helper NAME CMD...: a helper in the namespace, stopped by PID at exit
bg_helper() {
	local name=$1
	shift
	ns_exec "$@" --pidfile "$T/$name.pid" >>"$T/$name.log" 2>&1 &
	t_bg "$T/$name.pid" || { t_diag "$name:" "$(cat "$T/$name.log")"; return 1; }
}
t_ok "fakedns.py on 127.0.0.1:5300" \
    bg_helper fakedns python3 "$HELPERS/fakedns.py" -l 127.0.0.1:5300 -u 127.0.0.1:53
st=0
for m in $HTTPS_MODES; do
	if [ "$m" = selfsigned ]; then
		bg_helper "web-$m" python3 "$HELPERS/hostile.py" policy "${web_addr[$m]}:443" \
		    --cert "$NS_PKI/selfsigned.pem" --key "$NS_PKI/selfsigned.key" || st=1
	else
		bg_helper "web-$m" python3 "$HELPERS/hostile.py" "$m" "${web_addr[$m]}:443" \
		    --cert "$NS_PKI/hostile.fullchain.pem" --key "$NS_PKI/hostile.key" || st=1
	fi
done
for m in $SMTP_MODES; do
	bg_helper "smtp-$m" python3 "$HELPERS/hostile.py" "$m" "${smtp_addr[$m]}:25" || st=1
done
t_is "$st" 0 "the hostile HTTPS and SMTP servers started"
for m in $HTTPS_MODES; do
	ns_wait_tcp "${web_addr[$m]}" 443 5 || st=1
done
for m in $SMTP_MODES; do
	ns_wait_tcp "${smtp_addr[$m]}" 25 5 || st=1
done
t_is "$st" 0 "and listen"
t_is "$(ns_exec kdig +timeout=2 +retry=0 -p 5300 @127.0.0.1 +short A mta-sts.tc.test)" \
    127.0.0.10 "fakedns.py relays what is not hostile"

# ---- the runs ----------------------------------------------------------------------

# run_case CASE DOMAIN [WRAP...]: one run with its own state directory
# (and $CASE_OPTS); $T/case/CASE.{out,rc,ms}. A guard kills it after 60 s
# (rc 137).
run_case() {
	local c=$1 d=$2 t0
	shift 2
	mkdir -p "$T/case" "$T/state-$c"
	sed "s|^state = .*|state = $T/state-$c|" "$NS_CHECK/mta-sts.conf" >"$T/case/$c.conf"
	t0=$(date +%s%N)
	# shellcheck disable=SC2086 # options
	ns_exec timeout -s KILL 60 "$@" "$NS_CHECKER" -c "$T/case/$c.conf" ${CASE_OPTS:-} "$d" \
	    >"$T/case/$c.out" 2>&1
	echo $? >"$T/case/$c.rc"
	echo $((($(date +%s%N) - t0) / 1000000)) >"$T/case/$c.ms"
}

pids=
for m in $DNS_MODES; do
	# a dry run, to see what the checker makes of the answer
	o=
	[ "$m" = big ] && o="-n -v"
	CASE_OPTS=$o run_case "$m" "$m.test" & pids="$pids $!"
done
for m in $HTTPS_MODES; do
	run_case "h-$m" "h-$m.test" & pids="$pids $!"
done
for m in $SMTP_MODES; do
	run_case "s-$m" "s-$m.test" & pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done

# All the cases ran at once: the quickest of them is what this machine,
# as loaded as it is now, needs for a run that waits on nothing; each
# case's limit is on top of that.
BASE_MS=$(cat "$T"/case/*.ms | sort -n | head -n 1)
t_diag "the quickest case took ${BASE_MS} ms"

# verdict CASE WANT-RC REGEX WHAT [LIMIT-S]
verdict() {
	local c=$1 want=$2 re=$3 what=$4 lim=${5:-$LIMIT} rc ms out
	rc=$(cat "$T/case/$c.rc")
	ms=$(cat "$T/case/$c.ms")
	out=$(cat "$T/case/$c.out")
	t_is "$rc" "$want" "$what: exit $want" || t_diag "$out"
	t_like "$out" "$re" "$what: the error names it" || t_diag "$out"
	t_ok "$what: ends in time (${ms} ms, limit ${lim} s + ${BASE_MS} ms)" \
	    test "$ms" -le $((lim * 1000 + BASE_MS))
}

# the DNS cases: an error naming the record, and nothing in DNS
N='_mta-sts\.'
verdict tcok 0 '^$' "DNS: TC, the answer over TCP"
t_like "$(ns_sts_id tcok.test)" '^[0-9]{14}$' "DNS: TC, the answer over TCP: the id is published"
verdict tc 2 "${N}tc\\.test: DNS server .*truncated answer, and over TCP closed the connection" "DNS: TC, TCP closed"
verdict tcstall 2 "${N}tcstall\\.test: DNS server .*truncated answer and did not answer over TCP within $TIMEOUT s" "DNS: TC, TCP stalls"
verdict tcdrip 2 "${N}tcdrip\\.test: DNS server .*truncated answer and did not answer over TCP within $TIMEOUT s" "DNS: TC, TCP drip-fed"
verdict garbage 2 "${N}garbage\\.test: DNS server" "DNS: garbage"
verdict short 2 "${N}short\\.test: DNS server" "DNS: 5-byte answer"
verdict wrongid 2 "${N}wrongid\\.test: DNS server .*answered with message id [0-9]+, not [0-9]+" "DNS: wrong message id"
verdict loop 2 "${N}loop\\.test: DNS server" "DNS: compression loop"
# read whole: two records, so no usable one, and the checker would publish its own
verdict big 0 "${N}big\\.test: would publish .*2 records begin with 'v=STSv1" "DNS: 60 KB answer (dry run)"
verdict slow 2 "${N}slow\\.test: DNS server.*did not answer within $TIMEOUT s" "DNS: answer 10 s late"
verdict silent 2 "${N}silent\\.test: DNS server.*did not answer within $TIMEOUT s" "DNS: no answer"
verdict mismatch 2 "${N}mismatch\\.test: DNS server.*different question" "DNS: another question's answer"
verdict cnameloop 2 "${N}cnameloop\\.test.*CNAME" "DNS: CNAME loop"
verdict badrcode 2 "${N}badrcode\\.test: DNS server.*(answered|rcode)" "DNS: rcode 7"
verdict badcount 2 "${N}badcount\\.test: DNS server" "DNS: 50 answers announced, none sent"
pub=
for m in $DNS_MODES; do
	[ "$m" = tcok ] && continue
	[ -n "$(ns_txt "_mta-sts.$m.test")" ] && pub="$pub $m"
done
t_is "$pub" "" "nothing published for a record the resolver garbles"

H='mta-sts\.h-'
verdict h-endless 2 "${H}endless\\.test.*(64 ?KiB|65536|too (long|large|big)|[Ll]onger|over)" "HTTPS: endless body"
verdict h-chunked 2 "${H}chunked\\.test.*(64 ?KiB|65536|too (long|large|big)|[Ll]onger|over)" "HTTPS: endless chunked body"
verdict h-drip 2 "${H}drip\\.test.*([Tt]ime|within|did not)" "HTTPS: drip-fed body"
verdict h-stallhdr 2 "${H}stallhdr\\.test.*([Tt]ime|within|did not)" "HTTPS: stall after the headers"
verdict h-hdrdrip 2 "${H}hdrdrip\\.test.*([Tt]ime|within|did not)" "HTTPS: drip-fed headers"
verdict h-hdrflood 2 "${H}hdrflood\\.test.*(header.*(long|large)|16384)" "HTTPS: endless headers"
verdict h-stalltls 2 "${H}stalltls\\.test.*([Tt]ime|within|did not).*(TLS|handshake)|(TLS|handshake).*([Tt]ime|within|did not)" "HTTPS: stall in the TLS handshake"
verdict h-selfsigned 2 "${H}selfsigned\\.test.*[Cc]ertificate.*(self[- ]signed|verify|trust)" "HTTPS: self-signed certificate"

S='mx\.s-'
verdict s-smtpflood 2 "${S}smtpflood\\.test.*(more than [0-9]+ lines|lines)" "SMTP: endless continuation lines"
verdict s-smtpdrip 2 "${S}smtpdrip\\.test.*([Tt]ime|within|did not).*banner|banner.*([Tt]ime|within|did not)" "SMTP: drip-fed banner"
verdict s-smtplong 2 "${S}smtplong\\.test.*(long|[0-9]+ (bytes|octets|characters))" "SMTP: banner without an end of line"
verdict s-smtpehlo 2 "${S}smtpehlo\\.test.*([Tt]ime|within|did not)" "SMTP: drip-fed EHLO reply"

crashed=
for f in "$T"/case/*.rc; do
	[ "$(cat "$f")" -ge 124 ] && crashed="$crashed $(basename "$f" .rc)"
done
t_is "$crashed" "" "no run crashed, hung or was killed"

# ---- under valgrind ----------------------------------------------------------------

if [ "${HOSTILE_VALGRIND:-1}" = 0 ] || ! command -v valgrind >/dev/null 2>&1; then
	t_skip 1 "valgrind not wanted or not installed"
elif ldd "$T/bin/mta-sts-check" 2>/dev/null | grep -q libasan; then
	t_skip 1 "the checker is an ASan build (make SANITIZE=1), which valgrind cannot run"
else
	VG="valgrind --leak-check=full --error-exitcode=99 -q"
	pids=
	for c in tcok tc tcdrip wrongid garbage loop cnameloop badcount h-chunked h-hdrflood s-smtpflood; do
		d=${c}.test
		# shellcheck disable=SC2086 # a command line
		CASE_OPTS=-n run_case "vg-$c" "$d" $VG & pids="$pids $!"
		# two at a time: valgrind is slow enough without sharing a core
		# with ten others (a TLS handshake then missed its timeout)
		# shellcheck disable=SC2086 # a list of pids
		set -- $pids
		if [ $# -ge 2 ]; then
			wait "$1"
			pids=${pids# "$1"}
		fi
	done
	for p in $pids; do
		wait "$p"
	done
	# the status of the same case without valgrind (a dry run changes none)
	bad=
	for f in "$T"/case/vg-*.rc; do
		c=$(basename "$f" .rc)
		rc=$(cat "$f")
		if [ "$rc" != "$(cat "$T/case/${c#vg-}.rc")" ]; then
			bad="$bad $c:$rc"
			t_diag "$c:" "$(cat "$T/case/$c.out")"
		fi
	done
	t_is "$bad" "" "under valgrind (dry runs): the same status, no memory error, for a subset"
fi

t_done
