#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check killed with SIGKILL at random moments (tests/lib/netns.sh,
# publish = rfc2136 to Knot). Each round may change the policy of some
# domains (served at once, or left unserved for a while as when the
# operator's sync has not run), starts a run, kills it after a random delay spread over
# a run's time, and checks:
#  - every state file reads (`mta-sts-check records`, the real parser:
#    no "damaged", exit 0);
#  - ids never go backwards, in the state or in DNS;
#  - an id that appeared in DNS during the round names the policy served
#    during the round: the state gave that id to the served policy's
#    digest (the served policy is fixed during a round; every id the
#    state ever held is remembered with its digest);
#  - every id the state gives is new (never reused for another digest).
# Then a clean run converges: exit 0, every domain's current id in DNS,
# no temporary state file left behind.
# KILLS=N changes the number of rounds (default 100).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

ns_init checker-kill
# a copy: other builds in this tree must not swap the binary mid-test
mkdir -p "$T/bin" && cp "$NS_CHECKER" "$T/bin/mta-sts-check" || exit 255
NS_CHECKER=$T/bin/mta-sts-check

KILLS=${KILLS:-100}
DOMAINS="k1.test k2.test k3.test k4.test k5.test"
for d in $DOMAINS; do
	ns_domain "$d"
done
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { echo "Bail out! no environment"; exit 255; }

declare -A served	# domain -> sha256 of the body served now
declare -A owner	# domain/id -> the digest the state gave that id
declare -A max_state	# domain -> the largest id seen in its state
declare -A max_dns	# domain -> the largest id seen in DNS
declare -A dns_before	# domain -> the id in DNS when the round began
declare -A served_prev	# domain -> what was served during the round before

# state_get DOMAIN KEY: a value from the state file ("" if none); no fork
state_get() {
	local k v
	while read -r k v; do
		[ "$k" = "$2" ] && { printf '%s' "$v"; return 0; }
	done <"$T/state/$1" 2>/dev/null
	return 0
}

declare -A dns_now	# domain -> the id in DNS, from dns_ids
# dns_ids: every domain's id in DNS, one query
dns_ids() {
	local args=() d name rest id
	for d in $DOMAINS; do
		args+=(TXT "_mta-sts.$d")
		dns_now[$d]=
	done
	while read -r name rest; do
		[[ $rest =~ v=STSv1\;\ *id=([A-Za-z0-9]+) ]] || continue
		id=${BASH_REMATCH[1]}
		name=${name#_mta-sts.}
		dns_now[${name%.}]=$id
	done < <(ns_kdig +noall +answer "${args[@]}")
}

served_digest() {
	ns_fetch "$1" | sha256sum | cut -d' ' -f1
}

# remember what the state of every domain says; fails on a reused id
remember_state() {
	local d id dg k v ok=0
	for d in $DOMAINS; do
		[ -e "$T/state/$d" ] || continue
		id='' dg=''
		while read -r k v; do
			case $k in id) id=$v;; digest) dg=$v;; esac
		done <"$T/state/$d"
		if [ -z "${owner[$d/$id]+x}" ]; then
			owner[$d/$id]=$dg
		elif [ "${owner[$d/$id]}" != "$dg" ]; then
			t_diag "$d: id $id was given to ${owner[$d/$id]} and now to $dg"
			ok=1
		fi
		if [[ $id < ${max_state[$d]:-} ]]; then
			t_diag "$d: state id went back from ${max_state[$d]} to $id"
			ok=1
		else
			max_state[$d]=$id
		fi
	done
	return "$ok"
}

# ---- a clean first run ------------------------------------------------------

t0=$(date +%s%N)
ns_check -q -j 2
run_ms=$((($(date +%s%N) - t0) / 1000000))
t_is "$CHK_RC" 0 "a clean first run: exit 0 (${run_ms} ms)" || t_diag "$CHK_OUT"
for d in $DOMAINS; do
	served[$d]=$(served_digest "$d")
done
# the check below relies on the state's digest being that of the body served
same=0
for d in $DOMAINS; do
	[ "$(state_get "$d" digest)" = "${served[$d]}" ] || {
		same=1
		t_diag "$d: state digest $(state_get "$d" digest), served ${served[$d]}"
	}
done
t_is "$same" 0 "the state's digest is the SHA-256 of the body served"
remember_state
dns_ids
for d in $DOMAINS; do
	max_dns[$d]=${dns_now[$d]}
	[ "${dns_now[$d]}" = "$(ns_sts_id "$d")" ] || t_diag "$d: dns_ids is wrong"
done

# ---- the rounds ----------------------------------------------------------------

# the window for the kill: a run's time and a bit (at least 50 ms), then
# adapted: shorter after a run that ended before its kill, longer after a
# killed one (about two runs in three are killed)
window=$((run_ms + run_ms / 4))
[ "$window" -ge 50 ] || window=50
wmax=$((window * 2))
bad_records=0 bad_order=0 bad_served=0 bad_reuse=0 killed=0 changes=0 unserved=0
published_in_round=0
gen=0
round=0
for d in $DOMAINS; do
	served_prev[$d]=${served[$d]}
done
while [ "$round" -lt "$KILLS" ]; do
	round=$((round + 1))
	for d in $DOMAINS; do
		served_prev[$d]=${served[$d]}
	done
	# a round in four, new policies served for one to three domains (or
	# the one the checker already expects served); half the others, a new
	# policy the checker expects for one domain, not served yet
	r=$((RANDOM % 8))
	if [ "$r" -lt 2 ]; then
		sync=
		# shellcheck disable=SC2086 # the list
		for d in $(printf '%s\n' $DOMAINS | shuf -n $((RANDOM % 3 + 1))); do
			if cmp -s "$NS_CHECK/domains/$d" "$NS_SERVE/domains/$d"; then
				gen=$((gen + 1))
				changes=$((changes + 1))
				printf 'max-age = %d\n' $((86400 + gen)) >"$NS_CHECK/domains/$d"
			fi
			cp "$NS_CHECK/domains/$d" "$NS_SERVE/domains/$d"
			chmod 644 "$NS_SERVE/domains/$d"
			sync="$sync $d"
		done
		for d in $sync; do
			ns_wait_served "$d" ||
			    { echo "Bail out! $d is not served"; exit 255; }
			served[$d]=$(served_digest "$d")
		done
	elif [ "$r" -lt 5 ]; then
		# shellcheck disable=SC2086 # the list
		d=$(printf '%s\n' $DOMAINS | shuf -n 1)
		gen=$((gen + 1))
		changes=$((changes + 1))
		unserved=$((unserved + 1))
		printf 'max-age = %d\n' $((86400 + gen)) >"$NS_CHECK/domains/$d"
	fi
	# only the checker changes DNS: what it was after the last round (but
	# see below)
	for d in $DOMAINS; do
		dns_before[$d]=${dns_now[$d]}
	done

	ip netns exec "$NS" "$NS_CHECKER" -c "$NS_CHECK/mta-sts.conf" -q -j 2 \
	    >"$T/run.out" 2>&1 &
	pid=$!
	delay=$((RANDOM * 32768 + RANDOM))
	delay=$((delay % window))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	st=0
	wait "$pid" 2>/dev/null || st=$?
	if [ "$st" -eq 137 ]; then
		killed=$((killed + 1))
		window=$((window * 21 / 20))
		[ "$window" -le "$wmax" ] || window=$wmax
	else
		window=$((window * 9 / 10))
		[ "$window" -ge 50 ] || window=50
	fi

	# the state reads
	out=$(ns_exec "$NS_CHECKER" -c "$NS_CHECK/mta-sts.conf" records 2>&1) && rst=0 || rst=$?
	if [ "$rst" -ne 0 ] || [[ $out == *damaged* ]]; then
		bad_records=$((bad_records + 1))
		t_diag "round $round (killed after $delay ms): records -> $rst" "$out"
	fi
	remember_state || bad_reuse=$((bad_reuse + 1))
	dns_ids
	for d in $DOMAINS; do
		id=${dns_now[$d]}
		if [[ $id < ${max_dns[$d]} ]]; then
			bad_order=$((bad_order + 1))
			t_diag "round $round: $d: DNS id went back from ${max_dns[$d]} to $id"
		else
			max_dns[$d]=$id
		fi
		[ "$id" = "${dns_before[$d]}" ] && continue
		published_in_round=$((published_in_round + 1))
		# Knot may apply the update of a run killed right after sending
		# it only after the test read DNS: an id that appears now may
		# come from the round before, so it must name what was served
		# then or now (an unserved policy is neither)
		if [ "${owner[$d/$id]:-}" != "${served[$d]}" ] &&
		    [ "${owner[$d/$id]:-}" != "${served_prev[$d]}" ]; then
			bad_served=$((bad_served + 1))
			t_diag "round $round (killed after $delay ms): $d: id $id published," \
			    "the state gave it to '${owner[$d/$id]:-}'," \
			    "served is ${served[$d]}, was ${served_prev[$d]}"
		fi
	done
done
t_diag "$round rounds, $killed killed mid-run, $changes policy changes" \
    "$(find "$T/state" -name '.*' -type f | wc -l) temporary state files left by kills" \
    "($unserved left unserved), $published_in_round ids published in a round," \
    "kill window at the end ${window} ms"
t_is "$bad_records" 0 "every state file reads after every kill"
t_is "$bad_reuse" 0 "the state never goes back or gives an id to two policies"
t_is "$bad_order" 0 "the id in DNS never goes backwards"
t_is "$bad_served" 0 "an id published during a round names the policy served"
t_ok "runs were killed mid-run ($killed of $round)" test "$killed" -ge $((KILLS / 4))
t_ok "ids were published during the rounds ($published_in_round)" \
    test "$published_in_round" -gt 0

# ---- converge ---------------------------------------------------------------------

# a new policy for every domain, served, then a clean run: every state
# file is written, which clears the temporary files kills left (one
# planted for sure; files of other shapes stay)
for d in $DOMAINS; do
	gen=$((gen + 1))
	printf 'max-age = %d\n' $((86400 + gen)) >"$NS_CHECK/domains/$d"
done
cp "$NS_CHECK/domains/"* "$NS_SERVE/domains/"
chmod 644 "$NS_SERVE/domains/"*
printf 'half a state\n' >"$T/state/.k1.test.Zz9aB0"
printf 'not ours\n' >"$T/state/.k1.test.notes"
for d in $DOMAINS; do
	ns_wait_served "$d" || { echo "Bail out! $d is not served"; exit 255; }
	served[$d]=$(served_digest "$d")
done
ns_check -q -j 2
t_is "$CHK_RC" 0 "a clean run after the kills converges: exit 0" || t_diag "$CHK_OUT"
ns_check -q -n
t_is "$CHK_RC" 0 "and a dry run finds nothing to do" || t_diag "$CHK_OUT"
t_unlike "$CHK_OUT" 'damaged' "no damaged state"
remember_state
conv=0
for d in $DOMAINS; do
	id=$(ns_sts_id "$d")
	if [ "$id" != "$(state_get "$d" id)" ] ||
	    [ "$(state_get "$d" digest)" != "${served[$d]}" ] ||
	    [ "$(state_get "$d" published)" != 1 ] || [[ $id < ${max_dns[$d]} ]]; then
		conv=1
		t_diag "$d: DNS $id, state: $(tr '\n' ' ' <"$T/state/$d")"
	fi
done
t_is "$conv" 0 "every domain: the state's id for the served policy is in DNS, marked published"
t_is "$(cd "$T/state" && find . -name '.*' -type f | sort | tr '\n' ' ')" "./.k1.test.notes " \
    "the temporary files left by kills are gone, nothing else"
t_done
