#!/bin/bash
# SPDX-License-Identifier: ISC
# nginx with the shipped deploy/nginx/mta-sts.conf, filled in only with
# paths and the port, in front of a responder started by spawn-fcgi as the
# snippet says: both domains byte for byte, 404 for other names, and 128
# concurrent clients through 4 nginx workers over kept upstream
# connections (the shipped keepalive, fastcgi_keep_conn on) with no
# errors, no timeouts, only 200s and a bounded latency: the connections
# the workers keep must leave the responder's threads (-t, 64 by default)
# free to serve (issue 11 #12: keepalive 32 x 4 workers held all 64).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init nginx
d_need nginx spawn-fcgi curl openssl wrk ss
[ -r /etc/nginx/fastcgi_params ] || t_skip_all "no /etc/nginx/fastcgi_params"
d_setup
t_plan 22
d_run_dir
user=$(d_user)

port=$(t_free_port)
mkdir -p "$T/nginx"
d_fill "$T_TOP/deploy/nginx/mta-sts.conf" "$port" >"$T/nginx/site.conf"
d_nginx_conf "$T/nginx" 4

# spawn-fcgi -n execs the responder in its place: $! is the responder.
sopt=
[ "$(id -u)" -eq 0 ] && sopt="-U $user -G $(id -gn "$user") -u $user"
# shellcheck disable=SC2086
MTA_STS_CONF=$T/etc/mta-sts.conf spawn-fcgi -n -s "$T/mtsrun/fcgi.sock" -M 0660 $sopt \
    -- "$D_FCGI" >"$T/fcgi.stderr" 2>&1 &
fcgi=$!
t_bg "$fcgi"
t_ok "spawn-fcgi starts the responder on a unix socket" d_wait_sock "$T/mtsrun/fcgi.sock"
t_is "$(ps -o user=,comm= -p "$fcgi" | tr -s ' ')" "$user mta-sts-fcgi" \
    "the responder runs as $user, in spawn-fcgi's place"

if ! t_ok "nginx starts with the snippet" d_nginx "$T/nginx" "$port"; then
	t_skip 16 "nginx did not start"
	t_done
fi

d_policies "$port" "nginx"

# The shipped numbers keep the documented rule: keepalive times the
# workers at most half the responder's threads (64 by default).
ka=$(sed -n 's/^[[:space:]]*keepalive \([0-9]*\);.*/\1/p' "$T_TOP/deploy/nginx/mta-sts.conf")
t_ok "keepalive $ka x 4 workers <= 64 / 2" test "$((ka * 4))" -le 32

# The load: 128 connections for 3 seconds, asking for example.com, more
# than the responder has threads.
before=$(wc -l <"$T/nginx/access.log")
wrk -c 128 -t 2 -d 3s --timeout 2s -H 'Host: mta-sts.example.com' \
    "https://127.0.0.1:$port/.well-known/mta-sts.txt" >"$T/wrk.out" 2>&1
t_diag "$(grep -E 'requests in|Requests/sec|Latency|Socket' "$T/wrk.out")"
n=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
t_like "$n" '^[0-9]*[1-9][0-9]*$' "128 concurrent clients got answers ($n requests)" ||
    t_diag "$(cat "$T/wrk.out")"
t_unlike "$(cat "$T/wrk.out")" 'Socket errors' "no connect, read, write errors or timeouts" ||
    t_diag "$(cat "$T/wrk.out")"
# wrk's "Latency avg stdev max": the slowest request under 1 s (a thread
# starved of kept connections waits seconds, or times out).
max=$(awk '$1 == "Latency" { v = $4; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
    print (u == "us" ? v / 1e6 : u == "ms" ? v / 1e3 : u == "m" ? v * 60 : v) }' "$T/wrk.out")
t_like "$(awk -v m="${max:-9}" 'BEGIN { print (m < 1 ? "bounded" : "slow") }') ${max}s" '^bounded ' \
    "the slowest request under load took under 1 s"
t_unlike "$(cat "$T/wrk.out")" 'Non-2xx' "wrk saw no status but 2xx"
# 499 is nginx's "client closed the request": wrk stopping mid-request.
tail -n +"$((before + 1))" "$T/nginx/access.log" >"$T/load.log"
others=$(grep -v '^200$' "$T/load.log" | grep -vc '^499$')
t_is "$others" 0 "nginx logged only 200s under load ($(wc -l <"$T/load.log") requests, $(grep -c '^499$' "$T/load.log") closed by wrk at the end)" ||
    t_diag "$(sort "$T/load.log" | uniq -c)"

# keepalive 32 + fastcgi_keep_conn on: the connections stay open after the
# load, and the responder still answers at once.
held=$(ss -xH 2>/dev/null | grep -c "$T/mtsrun/fcgi.sock")
t_unlike "$held" '^0$' "nginx keeps upstream connections open ($held held)"
# The connections kept after the load leave threads free: 64 new clients
# at once, landing on any of the 4 workers, all answered within 3 s.
burst=
for i in $(seq 64); do
	curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' --max-time 3 \
	    --cacert "$T/tls/ca.pem" --resolve "mta-sts.example.com:$port:127.0.0.1" \
	    "https://mta-sts.example.com:$port/.well-known/mta-sts.txt" >"$T/burst.$i" 2>&1 &
	burst="$burst $!"
done
# shellcheck disable=SC2086
wait $burst
t_is "$(cat "$T/burst".* | grep -c '^200 ')" 64 "after the load, 64 new clients at once: 64 answers 200 within 3 s" ||
    t_diag "$(cat "$T/burst".* | sort | uniq -c | sort -rn | head)"
body=$(d_get "$port" mta-sts.example.com; echo x)
t_is "${body%x}" "$D_POLICY_COM" "after the load, example.com still served"
t_ok "the responder is still running" kill -0 "$fcgi"
t_done
