#!/bin/bash
# nginx with the shipped deploy/nginx/mta-sts.conf, filled in only with
# paths and the port, in front of a responder started by spawn-fcgi as the
# snippet says: both domains byte for byte, 404 for other names, and 32
# concurrent clients over kept upstream connections (keepalive 32,
# fastcgi_keep_conn on) with no errors and only 200s.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init nginx
d_need nginx spawn-fcgi curl openssl wrk ss
[ -r /etc/nginx/fastcgi_params ] || t_skip_all "no /etc/nginx/fastcgi_params"
d_setup
t_plan 19
d_run_dir
user=$(d_user)

port=$(t_free_port)
mkdir -p "$T/nginx"
d_fill "$T_TOP/deploy/nginx/mta-sts.conf" "$port" >"$T/nginx/site.conf"
d_nginx_conf "$T/nginx" 2

# spawn-fcgi -n execs the responder in its place: $! is the responder.
sopt=
[ "$(id -u)" -eq 0 ] && sopt="-U $user -G $(id -gn "$user") -u $user"
# shellcheck disable=SC2086
MTA_STS_CONF=$T/etc/mta-sts.conf spawn-fcgi -n -s "$T/run/fcgi.sock" -M 0660 $sopt \
    -- "$D_FCGI" >"$T/fcgi.stderr" 2>&1 &
fcgi=$!
t_bg "$fcgi"
t_ok "spawn-fcgi starts the responder on a unix socket" d_wait_sock "$T/run/fcgi.sock"
t_is "$(ps -o user=,comm= -p "$fcgi" | tr -s ' ')" "$user mta-sts-fcgi" \
    "the responder runs as $user, in spawn-fcgi's place"

if ! t_ok "nginx starts with the snippet" d_nginx "$T/nginx" "$port"; then
	t_skip 16 "nginx did not start"
	t_done
fi

d_policies "$port" "nginx"

# The load: 32 connections for 3 seconds, asking for example.com.
before=$(wc -l <"$T/nginx/access.log")
wrk -c 32 -t 2 -d 3s --timeout 5s -H 'Host: mta-sts.example.com' \
    "https://127.0.0.1:$port/.well-known/mta-sts.txt" >"$T/wrk.out" 2>&1
t_diag "$(grep -E 'requests in|Requests/sec|Latency' "$T/wrk.out")"
n=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
t_like "$n" '^[0-9]*[1-9][0-9]*$' "32 concurrent clients got answers ($n requests)" ||
    t_diag "$(cat "$T/wrk.out")"
t_unlike "$(cat "$T/wrk.out")" 'Socket errors' "no connect, read, write errors or timeouts" ||
    t_diag "$(cat "$T/wrk.out")"
t_unlike "$(cat "$T/wrk.out")" 'Non-2xx' "wrk saw no status but 2xx"
# 499 is nginx's "client closed the request": wrk stopping mid-request.
tail -n +"$((before + 1))" "$T/nginx/access.log" >"$T/load.log"
others=$(grep -v '^200$' "$T/load.log" | grep -vc '^499$')
t_is "$others" 0 "nginx logged only 200s under load ($(wc -l <"$T/load.log") requests, $(grep -c '^499$' "$T/load.log") closed by wrk at the end)" ||
    t_diag "$(sort "$T/load.log" | uniq -c)"

# keepalive 32 + fastcgi_keep_conn on: the connections stay open after the
# load, and the responder still answers at once.
held=$(ss -xH 2>/dev/null | grep -c "$T/run/fcgi.sock")
t_unlike "$held" '^0$' "nginx keeps upstream connections open ($held held)"
body=$(d_get "$port" mta-sts.example.com; echo x)
t_is "${body%x}" "$D_POLICY_COM" "after the load, example.com still served"
t_ok "the responder is still running" kill -0 "$fcgi"
t_done
