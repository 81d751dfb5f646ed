# SPDX-License-Identifier: ISC
# What the mta-sts-resolve tests (86, 88, 89) share, sourced after
# testlib.sh: RESOLVE (the daemon; another build with RESOLVE=...), PY and
# SM (the socketmap client on Debian's python3: a pyenv shim in PATH may
# take seconds to start), and rs_setup.
RESOLVE=${RESOLVE:-$T_TOP/resolver/mta-sts-resolve}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SM="$PY $T_TOP/tests/helpers/socketmap.py"

# rs_setup DNSPORT, after t_init: $T/cache for the cache file (the
# daemon's user's when we are root, and then USER_OPT is "-u nobody"),
# SOCK (unix:$T/socket) and $T/resolve.conf asking 127.0.0.1:DNSPORT
# with a 2 s timeout.
rs_setup() {
	chmod 755 "$T"
	mkdir -p "$T/cache"
	USER_OPT=
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$T/cache"
		USER_OPT="-u nobody"
	fi
	SOCK=unix:$T/socket
	cat >"$T/resolve.conf" <<EOC
resolver = 127.0.0.1:$1
timeout = 2
resolve-cache = $T/cache/cache
resolve-socket = $SOCK
EOC
	chmod 644 "$T/resolve.conf"
}
