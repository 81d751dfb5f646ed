# SPDX-License-Identifier: ISC
# tests/lib/testlib.sh: a small TAP library for the shell tests (bash).
#
#	#!/bin/bash
#	. "$(dirname "$0")/lib/testlib.sh"
#	t_init mytest			# $T: fresh work dir, cleanup trap
#	t_plan 3			# or let t_done print the plan
#	t_ok "true works" true
#	t_is "$(echo a)" a "echo"
#	t_like "$out" '^HTTP/1\.[01] 200' "status"
#	t_done
#
# Every process registered with t_bg (t_lighttpd does it for you) gets
# SIGTERM, then SIGKILL after about 2 s, on every exit path; $T is removed
# unless KEEP=1. Names beginning with _t are private.

T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# Servers (lighttpd, knotd, ...) live in sbin, which a user's PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin;; esac
T=
_t_n=0
_t_fail=0
_t_plan=
_t_pids=

# ---- output ---------------------------------------------------------------

# t_diag LINE...: each argument (and each line in it) as a "# " comment on stderr.
t_diag() {
	local line
	printf '%s\n' "$@" | while IFS= read -r line; do
		printf '# %s\n' "$line" >&2
	done
}

t_plan() {
	_t_plan=$1
	echo "1..$1"
}

t_skip_all() {
	echo "1..0 # SKIP $*"
	_t_plan=0
	exit 0
}

t_pass() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $*"
}

t_fail() {
	_t_n=$((_t_n + 1))
	_t_fail=$((_t_fail + 1))
	echo "not ok $_t_n - $*"
	return 1
}

# t_skip N "reason": N tests skipped.
t_skip() {
	local i=0
	while [ "$i" -lt "$1" ]; do
		_t_n=$((_t_n + 1))
		echo "ok $_t_n # skip $2"
		i=$((i + 1))
	done
}

# t_ok "msg" CMD [ARGS...]: ok when CMD exits 0.
t_ok() {
	local msg=$1 st=0
	shift
	"$@" || st=$?
	if [ "$st" -eq 0 ]; then
		t_pass "$msg"
	else
		t_fail "$msg"
		t_diag "  command failed (exit $st): $*"
		return 1
	fi
}

# t_nok "msg" CMD [ARGS...]: ok when CMD exits non-zero.
t_nok() {
	local msg=$1 st=0
	shift
	"$@" || st=$?
	if [ "$st" -ne 0 ]; then
		t_pass "$msg"
	else
		t_fail "$msg"
		t_diag "  command succeeded, expected failure: $*"
		return 1
	fi
}

# t_is GOT WANT "msg": string equality.
t_is() {
	if [ "$1" = "$2" ]; then
		t_pass "$3"
	else
		t_fail "$3"
		t_diag "  got:  '$1'" "  want: '$2'"
		return 1
	fi
}

# t_isnt GOT UNWANTED "msg"
t_isnt() {
	if [ "$1" != "$2" ]; then
		t_pass "$3"
	else
		t_fail "$3"
		t_diag "  got '$1', which it should not be"
		return 1
	fi
}

# t_like GOT REGEX "msg": bash extended regular expression, unanchored.
t_like() {
	if [[ $1 =~ $2 ]]; then
		t_pass "$3"
	else
		t_fail "$3"
		t_diag "  got:  '$1'" "  does not match: /$2/"
		return 1
	fi
}

t_unlike() {
	if [[ $1 =~ $2 ]]; then
		t_fail "$3"
		t_diag "  got:  '$1'" "  matches: /$2/"
		return 1
	else
		t_pass "$3"
	fi
}

# t_done: print the plan if none was given; exit non-zero if anything failed
# or the count does not match the plan.
t_done() {
	local st=0
	if [ -z "$_t_plan" ]; then
		echo "1..$_t_n"
	elif [ "$_t_plan" != "$_t_n" ]; then
		t_diag "planned $_t_plan tests but ran $_t_n"
		st=255
	fi
	if [ "$_t_fail" -gt 0 ]; then
		t_diag "failed $_t_fail of $_t_n tests"
		st=$((_t_fail > 254 ? 254 : _t_fail))
	fi
	exit "$st"
}

# ---- work dir and processes -----------------------------------------------

_t_cleanup() {
	local pid i alive
	trap - EXIT INT TERM
	for pid in $_t_pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	i=0
	while [ "$i" -lt 20 ]; do
		alive=
		for pid in $_t_pids; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ -n "$alive" ] || break
		sleep 0.1
		i=$((i + 1))
	done
	for pid in $_t_pids; do
		kill -KILL "$pid" 2>/dev/null
	done
	_t_pids=
	if [ -n "$T" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$T"
	elif [ -n "$T" ]; then
		echo "# KEEP=1: work dir $T kept" >&2
	fi
}

# t_log FILE: a responder's log, less the line a build without the sandbox
# writes at start-up by design (make check SANITIZE=1: "serving without the
# seccomp sandbox: an AddressSanitizer build").
T_NOSANDBOX='serving without the seccomp sandbox: an AddressSanitizer build'
t_log() {
	grep -v -e "$T_NOSANDBOX" "$1" || true
}

# t_init NAME: $T = tests/tmp/NAME.$$ (absolute, fresh), cleanup trap.
t_init() {
	T=$T_TOP/tests/tmp/$1.$$
	rm -rf "$T"
	mkdir -p "$T" || { echo "Bail out! cannot create $T"; exit 255; }
	trap '_t_cleanup' EXIT
	trap '_t_cleanup; exit 130' INT
	trap '_t_cleanup; exit 143' TERM
}

# t_bg PID | PIDFILE: stop it on exit. A pid file is waited for (5 s).
t_bg() {
	local pid=$1 i=0
	case $pid in
	''|*[!0-9]*)
		while [ ! -s "$1" ] && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		pid=$(cat "$1" 2>/dev/null)
		case $pid in
		''|*[!0-9]*) t_diag "t_bg: no pid in $1"; return 1;;
		esac
		;;
	esac
	_t_pids="$_t_pids $pid"
}

# t_wait_port HOST PORT [SECONDS]: until a TCP connect succeeds (default 10 s).
t_wait_port() {
	local host=$1 port=$2 secs=${3:-10} i=0
	while [ "$i" -lt $((secs * 10)) ]; do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	t_diag "nothing listens on $host:$port after ${secs}s"
	return 1
}

# t_free_port: a currently free TCP port on 127.0.0.1.
t_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# t_raw HOST PORT: send stdin as is (NUL and all) over TCP, half-close,
# print everything the server answers (10 s at most).
t_raw() {
	python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    pass
sys.stdout.buffer.write(out)' "$1" "$2"
}

# ---- certificates -----------------------------------------------------------

# t_ca DIR: a throwaway EC P-256 CA: DIR/ca.key, DIR/ca.pem.
t_ca() {
	local d=$1
	mkdir -p "$d" || return 1
	openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -keyout "$d/ca.key" -out "$d/ca.pem" -days 3650 \
	    -subj "/CN=mtasts test CA $$" \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    >"$d/ca.log" 2>&1 || { cat "$d/ca.log" >&2; return 1; }
}

_t_leaf_ext() {
	local san= n
	for n in "$@"; do
		san="${san:+$san,}DNS:$n"
	done
	printf '%s\n' \
	    "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectAltName=$san"
}

# t_cert DIR NAME DNS1 [DNS2 ...]: DIR/NAME.key, DIR/NAME.pem (leaf),
# DIR/NAME.fullchain.pem, signed by DIR's CA, valid T_CERT_DAYS (default 30).
t_cert() {
	local d=$1 name=$2
	shift 2
	_t_leaf_ext "$@" >"$d/$name.ext"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=$1" \
	    >"$d/$name.log" 2>&1 &&
	openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	    -set_serial "0x$(openssl rand -hex 12)" -days "${T_CERT_DAYS:-30}" \
	    -extfile "$d/$name.ext" -out "$d/$name.pem" \
	    >>"$d/$name.log" 2>&1 || { cat "$d/$name.log" >&2; return 1; }
	cat "$d/$name.pem" "$d/ca.pem" >"$d/$name.fullchain.pem"
	rm -f "$d/$name.csr" "$d/$name.ext" "$d/$name.log"
}

# t_cert_expired DIR NAME DNS1 [DNS2 ...]: like t_cert, but valid only from
# 30 days ago to yesterday.
t_cert_expired() {
	local d=$1 name=$2 db
	shift 2
	db=$d/.ca-$name
	mkdir -p "$db" && : >"$db/index.txt" &&
	openssl rand -hex 12 >"$db/serial" || return 1
	cat >"$db/ca.cnf" <<EOF
[ ca ]
default_ca = t
[ t ]
dir = $db
database = $db/index.txt
serial = $db/serial
new_certs_dir = $db
certificate = $d/ca.pem
private_key = $d/ca.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
EOF
	{ echo "[ leaf ]"; _t_leaf_ext "$@"; } >>"$db/ca.cnf"
	openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -keyout "$d/$name.key" -out "$db/req.csr" -subj "/CN=$1" \
	    >"$db/log" 2>&1 &&
	openssl ca -batch -config "$db/ca.cnf" -extensions leaf -notext \
	    -startdate "$(date -u -d '30 days ago' +%Y%m%d%H%M%SZ)" \
	    -enddate "$(date -u -d '1 day ago' +%Y%m%d%H%M%SZ)" \
	    -in "$db/req.csr" -out "$d/$name.pem" >>"$db/log" 2>&1 ||
	    { cat "$db/log" >&2; return 1; }
	cat "$d/$name.pem" "$d/ca.pem" >"$d/$name.fullchain.pem"
	rm -rf "$db"
}

# ---- the responder's usual fixture -------------------------------------------

# t_responder_conf: $T/mta-sts.conf naming $T/domains and $T/certs (both
# made), and $T/domains/example.com: mode enforce, mx mx.example.com,
# max-age 1d, the domain the responder tests serve first.
t_responder_conf() {
	mkdir -p "$T/domains" "$T/certs" || return 1
	printf 'domains = %s/domains\ncerts = %s/certs\n' "$T" "$T" >"$T/mta-sts.conf" &&
	printf 'mode = enforce\nmx = mx.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
}

# ---- servers ----------------------------------------------------------------

# t_lighttpd CONF [PORT]: check CONF, start lighttpd -D -f CONF in the
# background (stderr to CONF.stderr), register it, wait for its port
# (PORT, else the config's server.port). Sets T_LIGHTTPD_PID.
t_lighttpd() {
	local conf=$1 port=$2 i
	if ! lighttpd -tt -f "$conf" >"$conf.stderr" 2>&1; then
		t_diag "lighttpd rejects $conf:" "$(cat "$conf.stderr")"
		return 1
	fi
	if [ -z "$port" ]; then
		port=$(sed -n 's/^[[:space:]]*server\.port[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$conf" | head -n 1)
	fi
	lighttpd -D -f "$conf" >>"$conf.stderr" 2>&1 &
	T_LIGHTTPD_PID=$!
	t_bg "$T_LIGHTTPD_PID"
	if ! t_wait_port 127.0.0.1 "${port:-80}" 10; then
		t_diag "lighttpd did not come up:" "$(cat "$conf.stderr")"
		return 1
	fi
	if ! kill -0 "$T_LIGHTTPD_PID" 2>/dev/null; then
		t_diag "lighttpd exited:" "$(cat "$conf.stderr")"
		return 1
	fi
}

# t_stop PID: stop one registered process now (TERM, KILL after 2 s).
t_stop() {
	local pid=$1 i=0 p rest=
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for p in $_t_pids; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	_t_pids=$rest
	return 0
}
