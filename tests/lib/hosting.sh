# SPDX-License-Identifier: ISC
# tests/lib/hosting.sh: a hosting operator's names next to customers'
# zones, on top of tests/lib/netns.sh (source testlib.sh and netns.sh
# first, then call these before ns_start):
#
#	hs_operator			# zones op.test (web.op.test A 127.0.0.10)
#					# and ids.op.test (the id-zone, empty)
#	hs_customer shop.test cname	# a customer's zone holding only CNAMEs
#					# into the operator's names, and its MX
#	hs_unbound_start		# after ns_start: a recursive resolver
#					# on 127.0.0.53 over Knot's zones
#	hs_sender mta-sts-query shop.test   # a command with that resolver
#
# A customer zone: MX at mx1/mx2.example.test, mta-sts CNAME web.op.test.,
# a TLS-RPT record, and with "cname" _mta-sts CNAME <domain>.ids.op.test.
# (otherwise the customer has not set it yet). Its mta-sts name is on the
# web certificate; an empty domain file on both sides.

HS_UNBOUND_PID=

hs_operator() {
	ns_zone ids.op.test </dev/null
	ns_zone op.test <<EOF
web		A	127.0.0.10
other		A	127.0.0.10
elsewhere	A	127.0.0.11
EOF
}

# hs_customer DOMAIN [cname] [MORE-RECORDS]
hs_customer() {
	local d=$1 cname=${2:-} more=${3:-}
	ns_zone "$d" < <(
		printf '@\tMX\t10 mx1.example.test.\n@\tMX\t20 mx2.example.test.\n'
		printf 'mta-sts\tCNAME\tweb.op.test.\n'
		printf '_smtp._tls\tTXT\t"v=TLSRPTv1; rua=mailto:postmaster@%s"\n' "$d"
		[ "$cname" = cname ] && printf '_mta-sts\tCNAME\t%s.ids.op.test.\n' "$d"
		[ -n "$more" ] && printf '%s\n' "$more"
	)
	NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.$d"
	NS_DOMAINS="$NS_DOMAINS $d"
	: >"$NS_CHECK/domains/$d"
	: >"$NS_SERVE/domains/$d"
}

# hs_unbound_start [TRUST-ANCHOR-FILE]: unbound on 127.0.0.53 in the
# namespace, a stub for each of Knot's zones, no cache worth the name (a
# sender's resolver, asked afresh each time). With a trust anchor it
# validates (DNSSEC, the AD bit), else test. is insecure. Non-zero with
# diagnostics when it does not start.
hs_unbound_start() {
	local z
	command -v unbound >/dev/null 2>&1 || { t_diag "no unbound"; return 1; }
	mkdir -p "$T/unbound"
	{
		cat <<EOF
server:
    interface: 127.0.0.53
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T/unbound"
    pidfile: "$T/unbound/unbound.pid"
    use-syslog: no
    logfile: "$T/unbound/unbound.log"
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
    num-threads: 1
    # test. is special-use (RFC 6761): unbound serves it empty by default
    local-zone: "test." nodefault
EOF
		if [ -n "${1:-}" ]; then
			printf '    module-config: "validator iterator"\n'
			printf '    trust-anchor-file: "%s"\n' "$1"
			printf '    qname-minimisation: no\n    val-log-level: 2\n'
		else
			printf '    module-config: "iterator"\n'
			printf '    domain-insecure: "test."\n'
		fi
		for z in $NS_ZONES; do
			printf 'stub-zone:\n    name: "%s."\n    stub-addr: 127.0.0.1\n' "$z"
		done
	} >"$T/unbound/unbound.conf"
	printf 'nameserver 127.0.0.53\n' >"$T/unbound/resolv.conf"
	ip netns exec "$NS" unbound -d -c "$T/unbound/unbound.conf" \
	    >>"$T/unbound/stderr.log" 2>&1 &
	HS_UNBOUND_PID=$!
	t_bg "$HS_UNBOUND_PID"
	ns_wait_tcp 127.0.0.53 53 5 || {
		t_diag "unbound:" "$(cat "$T/unbound/stderr.log" "$T/unbound/unbound.log" 2>/dev/null)"
		return 1
	}
}

# hs_sender CMD [ARGS...]: CMD in the namespace with /etc/resolv.conf
# naming unbound (a mount namespace of its own), SSL_CERT_FILE the test CA.
hs_sender() {
	ns_exec unshare -m sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
	    "$T/unbound/resolv.conf" env SSL_CERT_FILE="$NS_PKI/ca.pem" "$@"
}

# ns_fetch DOMAIN, as netns.sh's, but through unbound once it runs:
# mta-sts.<domain> is a CNAME into another zone, which the stub resolver
# asking Knot (authoritative only) does not follow.
ns_fetch() {
	if [ -n "$HS_UNBOUND_PID" ]; then
		hs_sender curl -sS --max-time 5 --cacert "$NS_PKI/ca.pem" \
		    "https://mta-sts.$1/.well-known/mta-sts.txt"
	else
		ns_exec curl -sS --max-time 5 --cacert "$NS_PKI/ca.pem" \
		    "https://mta-sts.$1/.well-known/mta-sts.txt"
	fi
}

# hs_answer NAME TYPE: the answer section Knot gives (owner TTL class type
# data, one a line), as asked, no recursion.
hs_answer() {
	ns_kdig +noall +answer +norec "$2" "$1" | awk '{ $2 = ""; print }' | tr -s ' '
}
