# SPDX-License-Identifier: ISC
# tests/lib/netns.sh: a little internet inside a network namespace, for the
# checker's end-to-end tests (bash; source tests/lib/testlib.sh first).
#
#	. "$(dirname "$0")/lib/testlib.sh"
#	. "$(dirname "$0")/lib/netns.sh"
#	ns_init mytest			# t_init + namespace $NS, or skip
#	ns_domain example.test		# zone, web name, served and checked domain
#	ns_start			# PKI, Knot, lighttpd + responder, smtpd
#	ns_check example.test		# the checker in the namespace: $CHK_OUT, $CHK_RC
#	ns_txt _mta-sts.example.test	# what Knot serves
#
# Inside the namespace, everything listens on lo (all of 127.0.0.0/8):
#
#	127.0.0.1:53	knotd, authoritative for every ns_zone, TSIG key "upd"
#			may update them (hmac-sha256); /etc/resolv.conf -> it
#	127.0.0.10:443	lighttpd with TLS: mta-sts.<d> for every ns_domain
#			through the responder (fcgi/mta-sts-fcgi, bin-path),
#			static vhosts for broken cases (ns_vhost)
#	127.0.0.2:25	smtpd, certificate mx1.example.test
#	127.0.0.3:25	smtpd, certificate mx2.example.test
#	127.0.0.4:25	smtpd without STARTTLS (mx-plain.example.test)
#	127.0.0.5:25	smtpd, certificate for mail.other.test (mx-wrong.example.test)
#	127.0.0.6:25	smtpd, certificate mx3.example.test
#	127.0.0.7:25	smtpd that never says a word (mx-silent.example.test)
#
# The responder and the checker have separate configurations, domain
# directories and certificate stores ($NS_SERVE and $NS_CHECK), so a test
# can change what the checker expects before the web servers serve it,
# as when the operator's sync to the web servers has not run yet.
# ns_sync copies the checker's side to the responder and waits until the
# new policies are served.
#
# Knobs: NS_KNOT_EXTRA holds knot.conf sections (a DNSSEC "policy:") put
# before the zones; NS_VERBOSE=1 shows every checker run's output as TAP comments;
# NS_CHECK_WRAP="valgrind --leak-check=full --error-exitcode=99 -q" runs
# the checker under valgrind; NS_CHECKER, NS_FCGI, NS_SMTPD point at other
# builds (a SANITIZE=1 tree); KEEP=1 keeps $T.
#
# Names beginning with _ns are private. Servers are stopped by PID and the
# namespace deleted on every exit path.

NS=
NS_TOP=$T_TOP
NS_CHECKER=${NS_CHECKER:-$NS_TOP/checker/mta-sts-check}
NS_FCGI=${NS_FCGI:-$NS_TOP/fcgi/mta-sts-fcgi}
NS_SMTPD=${NS_SMTPD:-$NS_TOP/tests/helpers/smtpd}
# how the responder, spawned by lighttpd as root, is told to drop privileges
NS_FCGI_ARGS=${NS_FCGI_ARGS:--u nobody}
NS_SERVE=
NS_CHECK=
NS_PKI=
NS_TSIG_SECRET=
NS_KNOT_PID=
NS_WEB_PID=
NS_DOMAINS=
NS_ZONES=
NS_WEB_NAMES=
_ns_vhosts=
_ns_stopped=

# ---- namespace ----------------------------------------------------------------

_ns_cleanup() {
	local pid
	trap - HUP PIPE
	for pid in $_ns_stopped; do
		kill -CONT "$pid" 2>/dev/null
	done
	_t_cleanup
	if [ -n "$NS" ]; then
		ip netns del "$NS" 2>/dev/null
		rm -rf "/etc/netns/$NS"
	fi
}

# ns_init NAME: t_init NAME, then the namespace mtasts-NAME-$$ with lo up and
# a resolv.conf naming 127.0.0.1. Skips the whole test when that cannot be.
ns_init() {
	local name=$1 p
	[ "$(id -u)" = 0 ] || t_skip_all "needs root for a network namespace"
	for p in ip knotd knotc kdig knsupdate lighttpd openssl; do
		command -v "$p" >/dev/null 2>&1 || t_skip_all "$p not installed"
	done
	[ -r /usr/lib/lighttpd/mod_openssl.so ] ||
	    t_skip_all "lighttpd-mod-openssl not installed"
	t_init "$name"
	trap '_ns_cleanup' EXIT
	trap '_ns_cleanup; exit 130' INT
	trap '_ns_cleanup; exit 143' TERM
	trap '_ns_cleanup; exit 129' HUP
	trap '_ns_cleanup; exit 141' PIPE
	NS=mtasts-$name-$$
	if ! ip netns add "$NS" 2>"$T/netns.err"; then
		NS=
		t_skip_all "ip netns add failed: $(head -n 1 "$T/netns.err")"
	fi
	ip netns exec "$NS" ip link set lo up ||
	    t_skip_all "cannot bring lo up in $NS"
	mkdir -p "/etc/netns/$NS" &&
	echo "nameserver 127.0.0.1" >"/etc/netns/$NS/resolv.conf" ||
	    t_skip_all "cannot write /etc/netns/$NS/resolv.conf"
	NS_SERVE=$T/serve
	NS_CHECK=$T/check
	NS_PKI=$T/pki
	mkdir -p "$NS_SERVE/domains" "$NS_SERVE/certs" "$NS_CHECK/domains" \
	    "$NS_CHECK/certs" "$T/state" "$T/knot/zones" "$T/knot/db" \
	    "$T/web" "$T/www" "$T/smtp" "$NS_PKI" || exit 255
	chmod 755 "$T" "$T/serve" "$NS_SERVE/domains" "$NS_SERVE/certs"
}

# ns_exec CMD [ARGS...]: run it inside the namespace.
ns_exec() {
	ip netns exec "$NS" "$@"
}

# ns_wait_tcp ADDR PORT [SECONDS]: until a TCP connect inside the namespace works.
ns_wait_tcp() {
	local i=0 secs=${3:-10}
	while [ "$i" -lt $((secs * 10)) ]; do
		if ns_exec bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	t_diag "nothing listens on $1:$2 in $NS after ${secs}s"
	return 1
}

# ---- zones --------------------------------------------------------------------

# ns_std_records DOMAIN: the records of a healthy hosted domain: two MX at
# mx1/mx2.example.test, mta-sts at the web server, a TLS-RPT record.
ns_std_records() {
	cat <<EOF
@		MX	10 mx1.example.test.
@		MX	20 mx2.example.test.
mta-sts		A	127.0.0.10
_smtp._tls	TXT	"v=TLSRPTv1; rua=mailto:postmaster@$1"
EOF
}

# ns_zone DOMAIN [KNOT-OPTION-LINES] < RECORDS: a zone served by Knot with
# SOA and NS (ns1.example.test) and the records on stdin (relative to the
# zone). The option lines go into the zone's knot.conf entry
# (e.g. "zonefile-load: difference-no-serial").
ns_zone() {
	local d=$1
	{
		printf '$ORIGIN %s.\n$TTL 60\n' "$d"
		printf '@\tSOA\tns1.example.test. hostmaster.example.test. 1 3600 600 86400 60\n'
		printf '@\tNS\tns1.example.test.\n'
		cat
	} >"$T/knot/zones/$d.zone"
	printf '%s\n' "${2:-}" >"$T/knot/zones/$d.opts"
	NS_ZONES="$NS_ZONES $d"
}

# the names of the servers, in example.test (a zone of its own when the
# test does not make it a domain)
_ns_infra_records() {
	cat <<EOF
ns1		A	127.0.0.1
mx1		A	127.0.0.2
mx2		A	127.0.0.3
mx-plain	A	127.0.0.4
mx-wrong	A	127.0.0.5
mx3		A	127.0.0.6
mx-silent	A	127.0.0.7
EOF
}

# ns_infra_zone [MORE-RECORDS]: example.test as a zone of names only: the
# servers' names (as ns_start makes it when no test does) and MORE-RECORDS
ns_infra_zone() {
	ns_zone example.test < <(
		_ns_infra_records
		[ -n "${1:-}" ] && printf '%s\n' "$1"
	)
}

# ns_domain DOMAIN [KNOT-OPTIONS] [MORE-RECORDS]: a healthy hosted domain:
# its zone (ns_std_records, the infrastructure names when it is
# example.test, and MORE-RECORDS),
# mta-sts.DOMAIN on the web certificate, an empty domain file on both
# sides (mx from the certs).
ns_domain() {
	local d=$1 more=${3:-}
	ns_zone "$d" "${2:-}" < <(
		ns_std_records "$d"
		[ -n "$more" ] && printf '%s\n' "$more"
		[ "$d" = example.test ] && _ns_infra_records
	)
	NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.$d"
	NS_DOMAINS="$NS_DOMAINS $d"
	: >"$NS_CHECK/domains/$d"
	: >"$NS_SERVE/domains/$d"
}

# ns_fault_domain DOMAIN [WEB-ADDRESS] [MORE-RECORDS]: a zone like
# ns_domain's (mta-sts at WEB-ADDRESS, default 127.0.0.10) and a domain
# file for the checker only: the responder does not serve it (a static
# ns_vhost, or nothing, does).
ns_fault_domain() {
	local d=$1 addr=${2:-127.0.0.10} more=${3:-}
	ns_zone "$d" < <(
		ns_std_records "$d" | sed "s/127\.0\.0\.10\$/$addr/"
		[ -n "$more" ] && printf '%s\n' "$more"
	)
	: >"$NS_CHECK/domains/$d"
}

# ns_domain_file DOMAIN CONTENT: write the domain file on the checker's side
# only (ns_sync serves it).
ns_domain_file() {
	printf '%s\n' "$2" >"$NS_CHECK/domains/$1"
}

_ns_knot_conf() {
	local z opts
	cat <<EOF
server:
    rundir: "$T/knot"
    listen: 127.0.0.1@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1

database:
    storage: "$T/knot/db"

log:
  - target: stderr
    any: info

key:
  - id: upd
    algorithm: hmac-sha256
    secret: $NS_TSIG_SECRET

acl:
  - id: upd
    key: upd
    action: update

template:
  - id: default
    storage: "$T/knot/zones"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    semantic-checks: on
    acl: upd

EOF
	# more sections (a DNSSEC policy, say) before the zones that name them
	[ -n "${NS_KNOT_EXTRA:-}" ] && printf '%s\n\n' "$NS_KNOT_EXTRA"
	echo "zone:"
	for z in $NS_ZONES; do
		printf '  - domain: %s\n' "$z"
		while IFS= read -r opts; do
			[ -n "$opts" ] && printf '    %s\n' "$opts"
		done <"$T/knot/zones/$z.opts"
	done
}

# ns_wait_dns ADDR ZONE [TRIES] [PID]: wait until the DNS server at ADDR
# (in the namespace) answers ZONE's SOA with NOERROR, asking every 0.1 s,
# TRIES times (100); non-zero when it does not, or as soon as PID is gone.
ns_wait_dns() {
	local i=0
	while [ "$i" -lt "${3:-100}" ]; do
		ns_exec kdig +timeout=1 +retry=0 @"$1" SOA "$2" 2>/dev/null |
		    grep -q 'status: NOERROR' && return 0
		[ -z "${4:-}" ] || kill -0 "$4" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ns_knot_start: (re)start knotd in the namespace, wait until it answers.
ns_knot_start() {
	ip netns exec "$NS" knotd -c "$T/knot/knot.conf" >>"$T/knot/knotd.log" 2>&1 &
	NS_KNOT_PID=$!
	t_bg "$NS_KNOT_PID"
	ns_wait_dns 127.0.0.1 example.test 100 "$NS_KNOT_PID" && return 0
	t_diag "knotd did not come up:" "$(tail -n 20 "$T/knot/knotd.log")"
	return 1
}

ns_knot_stop() {
	[ -n "$NS_KNOT_PID" ] && t_stop "$NS_KNOT_PID"
	NS_KNOT_PID=
}

# ns_knot_pause / ns_knot_resume: knotd stops answering (SIGSTOP), and again.
ns_knot_pause() {
	kill -STOP "$NS_KNOT_PID" && _ns_stopped="$_ns_stopped $NS_KNOT_PID"
}

ns_knot_resume() {
	kill -CONT "$NS_KNOT_PID"
	_ns_stopped=
}

# ns_knotc ARGS...: the control socket lives in $T, so this works from anywhere.
ns_knotc() {
	knotc -c "$T/knot/knot.conf" "$@"
}

# ns_kdig ARGS...: kdig @127.0.0.1 in the namespace.
ns_kdig() {
	ns_exec kdig +timeout=2 +retry=0 @127.0.0.1 "$@"
}

# ns_txt NAME: the TXT records Knot serves at NAME, strings joined, one a line.
ns_txt() {
	ns_kdig +short TXT "$1" | sed -e 's/" "//g' -e 's/^"//' -e 's/"$//' | sort
}

# ns_sts_id DOMAIN: the id in the (single) v=STSv1 record, or "".
ns_sts_id() {
	ns_txt "_mta-sts.$1" | sed -n 's/^v=STSv1; *id=\([A-Za-z0-9]*\).*/\1/p' | head -n 1
}

# ns_nsupdate < COMMANDS: knsupdate to 127.0.0.1 signed with the TSIG key.
ns_nsupdate() {
	{ echo "server 127.0.0.1 53"; cat; echo "send"; } |
	    ns_exec knsupdate -y "hmac-sha256:upd:$NS_TSIG_SECRET"
}

# ---- certificates -------------------------------------------------------------------

# ns_pki: the test CA, the web certificate (every mta-sts name of the
# domains), the MX certificates; MX certs go into both stores. A test may
# define ns_pki_extra to make more certificates with the CA ($NS_PKI).
ns_pki() {
	local n
	t_ca "$NS_PKI" || return 1
	# shellcheck disable=SC2086
	t_cert "$NS_PKI" web $NS_WEB_NAMES || return 1
	for n in mx1 mx2 mx3; do
		t_cert "$NS_PKI" "$n" "$n.example.test" || return 1
	done
	t_cert "$NS_PKI" mx-plain mx-plain.example.test || return 1
	t_cert "$NS_PKI" mx-wrong mail.other.test || return 1
	for n in mx1 mx2; do
		cp "$NS_PKI/$n.pem" "$NS_CHECK/certs/$n.pem" &&
		cp "$NS_PKI/$n.pem" "$NS_SERVE/certs/$n.pem" || return 1
	done
	chmod 644 "$NS_SERVE/certs/"*.pem
	if declare -F ns_pki_extra >/dev/null; then
		ns_pki_extra || return 1
	fi
	NS_TSIG_SECRET=$(openssl rand -base64 32)
	printf 'key "upd" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' \
	    "$NS_TSIG_SECRET" >"$T/tsig.key"
	chmod 600 "$T/tsig.key"
}

# ---- web --------------------------------------------------------------------------

# ns_vhost HOST LIGHTTPD-LINES: a static vhost (document root $T/www/HOST,
# the web certificate unless the lines say otherwise); HOST also goes on
# the web certificate unless NOCERT is set.
ns_vhost() {
	mkdir -p "$T/www/$1/.well-known"
	_ns_vhosts="$_ns_vhosts$(printf '$HTTP["host"] == "%s" {\n\tserver.document-root = "%s"\n%s\n}\nelse ' \
	    "$1" "$T/www/$1" "$2")"
	[ -n "${NOCERT:-}" ] || NS_WEB_NAMES="$NS_WEB_NAMES $1"
}

_ns_lighttpd_conf() {
	cat <<EOF
server.modules = ("mod_openssl", "mod_fastcgi", "mod_redirect", "mod_setenv")
server.bind = "127.0.0.10"
server.port = 443
server.document-root = "$T/www"
server.errorlog = "$T/web/error.log"
server.max-keep-alive-requests = 0
ssl.engine = "enable"
ssl.pemfile = "$NS_PKI/web.fullchain.pem"
ssl.privkey = "$NS_PKI/web.key"
mimetype.assign = (".txt" => "text/plain; charset=utf-8", ".html" => "text/html")
${_ns_vhosts}\$HTTP["host"] =~ "" {
	fastcgi.server = ("/" => ((
		"bin-path" => "$NS_FCGI -c $NS_SERVE/mta-sts.conf $NS_FCGI_ARGS",
		"socket" => "$T/web/fcgi.sock",
		"max-procs" => 1,
		"check-local" => "disable",
		"bin-environment" => ("MTA_STS_CONF" => "$NS_SERVE/mta-sts.conf")
	)))
}
EOF
}

# ns_web_start: lighttpd (and through it the responder) in the namespace.
ns_web_start() {
	_ns_lighttpd_conf >"$T/web/lighttpd.conf"
	if ! lighttpd -tt -f "$T/web/lighttpd.conf" >"$T/web/check.log" 2>&1; then
		t_diag "lighttpd rejects its configuration:" "$(cat "$T/web/check.log")"
		return 1
	fi
	ip netns exec "$NS" lighttpd -D -f "$T/web/lighttpd.conf" >>"$T/web/stderr.log" 2>&1 &
	NS_WEB_PID=$!
	t_bg "$NS_WEB_PID"
	ns_wait_tcp 127.0.0.10 443 10 || {
		t_diag "lighttpd:" "$(cat "$T/web/stderr.log" "$T/web/error.log" 2>/dev/null | tail -n 20)"
		return 1
	}
	_ns_bg_children "$NS_WEB_PID"
}

# the responder processes lighttpd spawned: stopped with it, by PID
_ns_bg_children() {
	local f pid ppid rest
	for f in /proc/[0-9]*/stat; do
		read -r pid _ rest 2>/dev/null <"$f" || continue
		rest=${rest#*) }
		# shellcheck disable=SC2086 # split the fields of stat
		ppid=$(set -- $rest; echo "$2")
		[ "$ppid" = "$1" ] && t_bg "$pid"
	done
	return 0
}

ns_web_stop() {
	[ -n "$NS_WEB_PID" ] && t_stop "$NS_WEB_PID"
	NS_WEB_PID=
}

# ns_fetch DOMAIN: the policy body as curl sees it from inside (exit status of curl).
ns_fetch() {
	ns_exec curl -sS --max-time 5 --cacert "$NS_PKI/ca.pem" \
	    "https://mta-sts.$1/.well-known/mta-sts.txt"
}

# ns_wait_served DOMAIN [CONF] [SECONDS]: until the responder serves what
# `mta-sts-check -c CONF policy DOMAIN` renders (CONF defaults to the
# checker's, SECONDS to 10).
ns_wait_served() {
	local d=$1 conf=${2:-$NS_CHECK/mta-sts.conf} secs=${3:-10} i=0 want got
	while [ "$i" -lt $((secs * 5)) ]; do
		if want=$(ns_exec "$NS_CHECKER" -c "$conf" policy "$d" 2>/dev/null) &&
		    got=$(ns_fetch "$d" 2>/dev/null) && [ "$got" = "$want" ]; then
			return 0
		fi
		sleep 0.2
		i=$((i + 1))
	done
	t_diag "the responder does not serve the policy of $d after ${secs}s:" \
	    "want: $want" "got: $got"
	return 1
}

# ns_sync: the responder gets the checker's domain files and certificate
# store (as the operator's rsync would); wait until every ns_domain's
# served policy is the one the checker expects.
ns_sync() {
	local d
	rm -rf "$NS_SERVE/domains" "$NS_SERVE/certs"
	cp -a "$NS_CHECK/domains" "$NS_SERVE/domains" &&
	cp -a "$NS_CHECK/certs" "$NS_SERVE/certs" || return 1
	chmod -R a+rX "$NS_SERVE"
	for d in $NS_DOMAINS; do
		ns_wait_served "$d" || return 1
	done
}

# ---- smtp ---------------------------------------------------------------------------

# ns_smtpd ADDR CERTNAME [OPTIONS]: the SMTP listener on ADDR:25.
ns_smtpd() {
	local addr=$1 name=$2 pid
	shift 2
	ip netns exec "$NS" "$NS_SMTPD" -l "$addr:25" -c "$NS_PKI/$name.fullchain.pem" \
	    -k "$NS_PKI/$name.key" "$@" >>"$T/smtp/$addr.log" 2>&1 &
	pid=$!
	t_bg "$pid"
	ns_wait_tcp "$addr" 25 5 || {
		t_diag "smtpd $addr:" "$(cat "$T/smtp/$addr.log")"
		return 1
	}
}

# ---- the whole internet -------------------------------------------------------------

# ns_checker_conf [EXTRA-LINES]: $NS_CHECK/mta-sts.conf (and the responder's
# $NS_SERVE/mta-sts.conf), publish by rfc2136 unless EXTRA says otherwise.
# shellcheck disable=SC2120
ns_checker_conf() {
	cat >"$NS_CHECK/mta-sts.conf" <<EOF
# written by tests/lib/netns.sh
domains = $NS_CHECK/domains
certs = $NS_CHECK/certs
state = $T/state
mode = testing
max-age = 1d
resolver = 127.0.0.1
ca-file = $NS_PKI/ca.pem
timeout = 3
${1:-publish = rfc2136
tsig-key = $T/tsig.key}
EOF
}

_ns_serve_conf() {
	cat >"$NS_SERVE/mta-sts.conf" <<EOF
# the responder's configuration, written by tests/lib/netns.sh
domains = $NS_SERVE/domains
certs = $NS_SERVE/certs
mode = testing
max-age = 1d
EOF
	chmod 644 "$NS_SERVE/mta-sts.conf"
}

# ns_start: PKI, Knot, lighttpd + responder, the SMTP listeners. Returns
# non-zero (with diagnostics) when a piece is missing or does not start;
# the caller decides (t_ok "environment" ns_start, then bail out).
ns_start() {
	local st=0
	ns_pki || return 1
	[ -f "$NS_CHECK/mta-sts.conf" ] || ns_checker_conf
	_ns_serve_conf
	case " $NS_ZONES " in
	*" example.test "*) ;;
	*) ns_infra_zone;;
	esac
	_ns_knot_conf >"$T/knot/knot.conf"
	if ! knotc -c "$T/knot/knot.conf" conf-check >"$T/knot/check.log" 2>&1; then
		t_diag "knot.conf:" "$(cat "$T/knot/check.log")"
		return 1
	fi
	ns_knot_start || return 1
	# the responder starts with what the checker expects
	rm -rf "$NS_SERVE/domains" "$NS_SERVE/certs"
	cp -a "$NS_CHECK/domains" "$NS_SERVE/domains" &&
	cp -a "$NS_CHECK/certs" "$NS_SERVE/certs" || return 1
	chmod -R a+rX "$NS_SERVE"
	if ! runuser -u nobody -- test -r "$NS_SERVE/mta-sts.conf" 2>/dev/null; then
		t_diag "user nobody cannot read $NS_SERVE/mta-sts.conf: the" \
		    "responder runs as nobody; every directory above $T must be searchable"
		st=1
	fi
	if [ -x "$NS_FCGI" ]; then
		ns_web_start || st=1
	else
		t_diag "no $NS_FCGI yet: no web server"
		st=1
	fi
	if [ -x "$NS_SMTPD" ]; then
		ns_smtpd 127.0.0.2 mx1 &&
		ns_smtpd 127.0.0.3 mx2 &&
		ns_smtpd 127.0.0.4 mx-plain --no-starttls &&
		ns_smtpd 127.0.0.5 mx-wrong &&
		ns_smtpd 127.0.0.6 mx3 &&
		ns_smtpd 127.0.0.7 mx1 --silent || st=1
	else
		t_diag "no $NS_SMTPD yet: no SMTP listeners"
		st=1
	fi
	return "$st"
}

# ns_check ARGS...: the checker in the namespace with $NS_CHECK/mta-sts.conf
# (or $CHK_CONF); stdout and stderr together in $CHK_OUT, status in $CHK_RC.
# Never fails, so it can be called bare.
ns_check() {
	CHK_RC=0
	# shellcheck disable=SC2086 # NS_CHECK_WRAP is a command line (valgrind ...)
	CHK_OUT=$(ns_exec ${NS_CHECK_WRAP:-} "$NS_CHECKER" -c "${CHK_CONF:-$NS_CHECK/mta-sts.conf}" "$@" 2>&1) ||
	    CHK_RC=$?
	if [ -n "${NS_VERBOSE:-}" ]; then
		t_diag "mta-sts-check $* -> $CHK_RC" "$CHK_OUT"
	fi
	return 0
}

# ns_state_sum: a checksum of the state directory (names, modes and contents).
ns_state_sum() {
	(cd "$T/state" && find . -type f ! -name lock -printf '%p %m\n' -exec sha256sum {} \; | sort | sha256sum)
}
