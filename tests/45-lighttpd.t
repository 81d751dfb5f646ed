#!/bin/bash
# SPDX-License-Identifier: ISC
# lighttpd with the shipped snippets, filled in only with paths and ports:
# deploy/lighttpd/mta-sts-binpath.conf (lighttpd starts the responder) and
# deploy/lighttpd/mta-sts-socket.conf in front of a responder started by
# socket activation, as deploy/systemd/mta-sts-fcgi.socket does it
# (systemd-socket-activate: LISTEN_FDS). Both domains byte for byte, 404.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init lighttpd
d_need lighttpd curl openssl
d_setup
t_plan 26
d_run_dir
user=$(d_user)

# ---- bin-path -----------------------------------------------------------------
plain=$(t_free_port)
port=$(t_free_port)
mkdir -p "$T/l1"
d_fill "$T_TOP/deploy/lighttpd/mta-sts-binpath.conf" "$port" >"$T/l1/site.conf"
d_lighttpd_conf "$T/l1" "$plain"
if ! t_ok "lighttpd starts with mta-sts-binpath.conf" t_lighttpd "$T/l1/lighttpd.conf" "$plain"; then
	t_skip 12 "lighttpd (bin-path) did not start"
elif ! t_ok "and listens for HTTPS" t_wait_port 127.0.0.1 "$port"; then
	t_diag "$(cat "$T/l1/error.log" "$T/l1/lighttpd.conf.stderr" 2>/dev/null)"
	t_skip 11 "lighttpd (bin-path) does not listen for HTTPS"
else
	d_policies "$port" "bin-path"
	t_like "$(d_children "$T_LIGHTTPD_PID")" "(^|"$'\n'")$user +mta-sts-fcgi" \
	    "lighttpd started the responder as $user"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: mta-sts.example.com' \
	    "http://127.0.0.1:$plain/.well-known/mta-sts.txt")
	t_is "$code" 404 "no policy on plain HTTP"
	t_stop "$T_LIGHTTPD_PID"
fi

# ---- a responder on a socket, by socket activation -----------------------------
uopt=
[ "$(id -u)" -eq 0 ] && uopt="-u $user"
if command -v systemd-socket-activate >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$T/mtsrun/fcgi.sock" \
	    "$D_FCGI" -c "$T/etc/mta-sts.conf" $uopt 2>"$T/fcgi.stderr" &
	fcgi=$!
	t_bg "$fcgi"
	t_ok "socket activation: the socket is there" d_wait_sock "$T/mtsrun/fcgi.sock"
	# what SocketGroup=www-data and SocketMode=0660 do in the .socket unit
	chgrp "$(id -gn "$user")" "$T/mtsrun/fcgi.sock" && chmod 0660 "$T/mtsrun/fcgi.sock"
else
	t_skip 1 "no systemd-socket-activate: responder -s instead"
	# shellcheck disable=SC2086
	"$D_FCGI" -c "$T/etc/mta-sts.conf" -s "unix:$T/mtsrun/fcgi.sock" -M 0660 $uopt \
	    2>"$T/fcgi.stderr" &
	fcgi=$!
	t_bg "$fcgi"
	d_wait_sock "$T/mtsrun/fcgi.sock"
fi

plain=$(t_free_port)
port=$(t_free_port)
mkdir -p "$T/l2"
d_fill "$T_TOP/deploy/lighttpd/mta-sts-socket.conf" "$port" >"$T/l2/site.conf"
d_lighttpd_conf "$T/l2" "$plain"
if ! t_ok "lighttpd starts with mta-sts-socket.conf" t_lighttpd "$T/l2/lighttpd.conf" "$plain"; then
	t_skip 10 "lighttpd (socket) did not start"
elif ! t_ok "and listens for HTTPS" t_wait_port 127.0.0.1 "$port"; then
	t_diag "$(cat "$T/l2/error.log" "$T/l2/lighttpd.conf.stderr" 2>/dev/null)"
	t_skip 9 "lighttpd (socket) does not listen for HTTPS"
else
	d_policies "$port" "socket"
fi
t_is "$(ps -o comm= -p "$fcgi")" mta-sts-fcgi "the socket-activated process is the responder itself"
t_done
