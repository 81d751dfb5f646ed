#!/bin/bash
# SPDX-License-Identifier: ISC
# 92-dns-socket.t: the resolver keeps its UDP socket between queries
# (shared/dns.c, query_udp: a checker run asks five questions per domain,
# and a socket, two fcntl() and a close() for each were five system calls
# of eight), and an old answer waiting in that socket never passes for
# the answer to a new question. Knot serves example.test and twice.test
# in a network namespace; tests/helpers/fakedns.py relays to it and
# answers _mta-sts.twice.test twice, so that the copy waits in the
# socket when the next question goes out. tests/helpers/netprobe asks
# several names in turn through one resolver, as a checker's worker does.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

NP=${T92_NETPROBE:-$T_TOP/tests/helpers/netprobe}	# T92_NETPROBE: another build
HELPERS=$T_TOP/tests/helpers

ns_init dns-socket
[ -x "$NP" ] || t_skip_all "build the helpers first (make all-tests)"
command -v python3 >/dev/null 2>&1 || t_skip_all "python3 not installed"

# shellcheck disable=SC2034 # netns.sh's _ns_knot_conf reads it
NS_TSIG_SECRET=$(openssl rand -base64 32)
ns_zone example.test < <(printf '%s\n' 'ns1	A	127.0.0.1' \
    '_mta-sts.a	TXT	"v=STSv1; id=1"' '_mta-sts.b	TXT	"v=STSv1; id=2"' \
    '_mta-sts.c	TXT	"v=STSv1; id=3"')
ns_zone twice.test < <(printf '%s\n' '_mta-sts	TXT	"v=STSv1; id=20"')
_ns_knot_conf >"$T/knot/knot.conf"
t_ok "Knot serves example.test and twice.test in $NS" ns_knot_start ||
    { t_done; exit; }
ns_exec python3 "$HELPERS/fakedns.py" -l 127.0.0.1:5300 -u 127.0.0.1:53 \
    --pidfile "$T/fakedns.pid" >>"$T/fakedns.log" 2>&1 &
t_ok "fakedns.py on 127.0.0.1:5300" t_bg "$T/fakedns.pid" ||
    t_diag "$(cat "$T/fakedns.log")"

# ask SERVER NAME...: netprobe's answers, one resolver for all, and its exit status
ask() {
	local server=$1
	shift
	ns_exec "$NP" -s "$server" -t 2 txt "$@" 2>&1
	echo "exit=$?"
}
# what NAME... must give: each name, its one record
want() {
	local n
	for n; do
		case $n in
		_mta-sts.twice.test) printf 'name=%s\ncount=1\ntxt=v=STSv1; id=20\n' "$n";;
		_mta-sts.a.example.test) printf 'name=%s\ncount=1\ntxt=v=STSv1; id=1\n' "$n";;
		_mta-sts.b.example.test) printf 'name=%s\ncount=1\ntxt=v=STSv1; id=2\n' "$n";;
		_mta-sts.c.example.test) printf 'name=%s\ncount=1\ntxt=v=STSv1; id=3\n' "$n";;
		esac
	done
	echo "exit=0"
}

NAMES="_mta-sts.a.example.test _mta-sts.b.example.test _mta-sts.c.example.test"
# shellcheck disable=SC2086 # the names
t_is "$(ask 127.0.0.1 _mta-sts.twice.test $NAMES)" "$(want _mta-sts.twice.test $NAMES)" \
    "straight from Knot: every name's record, in turn"
# the copy of twice.test's answer (its message id) is in the socket when
# a.example.test is asked: dropped, not taken for a forged answer
# shellcheck disable=SC2086
t_is "$(ask 127.0.0.1:5300 _mta-sts.twice.test $NAMES)" "$(want _mta-sts.twice.test $NAMES)" \
    "answered twice: the old copy is not the next name's answer"
# shellcheck disable=SC2086
t_is "$(ask 127.0.0.1:5300 _mta-sts.a.example.test _mta-sts.twice.test _mta-sts.twice.test $NAMES)" \
    "$(want _mta-sts.a.example.test _mta-sts.twice.test _mta-sts.twice.test $NAMES)" \
    "answered twice, twice in a row, on a socket used before"
# a wrong id on a fresh socket is still the forged answer it was
out=$(ask 127.0.0.1:5300 _mta-sts.wrongid.test)
t_like "$out" "answered with message id [0-9]+, not [0-9]+ \(the query.s\), and no answer with the right id came within 2 s: a forged or misdirected answer" \
    "a wrong message id is still named"

# one socket for every question (the point of keeping it)
if command -v strace >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	ns_exec strace -f -qq -e trace=socket -o "$T/strace.out" \
	    "$NP" -s 127.0.0.1 -t 2 txt _mta-sts.twice.test $NAMES $NAMES >/dev/null 2>&1
	t_is "$(grep -c 'SOCK_DGRAM' "$T/strace.out")" 1 \
	    "7 questions, 1 UDP socket" || t_diag "$(cat "$T/strace.out")"
else
	t_skip "strace is not installed (deploy/install-deps)"
fi
t_done
