#!/bin/bash
# SPDX-License-Identifier: ISC
# Apache with the shipped snippets, filled in only with paths and ports:
# deploy/apache/mta-sts-fcgid.conf (mod_fcgid starts the responder) and
# deploy/apache/mta-sts-proxy-fcgi.conf (mod_proxy_fcgi to a responder on a
# unix socket, connections reused). Both domains byte for byte, 404 for
# other names, over HTTPS with a test CA.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init apache
d_need apache2 curl openssl
for m in fcgid proxy proxy_fcgi ssl rewrite cgid; do
	[ -f "$D_MODS/mod_$m.so" ] || t_skip_all "no $D_MODS/mod_$m.so"
done
d_setup
t_plan 24
d_run_dir
user=$(d_user)

p1=$(t_free_port)
p2=$(t_free_port)
while [ "$p2" = "$p1" ]; do p2=$(t_free_port); done
mkdir -p "$T/apache"
{
	d_fill "$T_TOP/deploy/apache/mta-sts-fcgid.conf" "$p1"
	d_fill "$T_TOP/deploy/apache/mta-sts-proxy-fcgi.conf" "$p2"
} >"$T/apache/site.conf"
d_apache_conf "$T/apache" "$p1" "$p2"

# The separately started responder for mod_proxy_fcgi, as the snippet says.
uopt=
[ "$(id -u)" -eq 0 ] && uopt="-u $user"
# shellcheck disable=SC2086
"$D_FCGI" -c "$T/etc/mta-sts.conf" -s "unix:$T/mtsrun/fcgi.sock" $uopt -M 0660 \
    2>"$T/fcgi.stderr" &
t_bg $!
t_ok "responder listens on its unix socket" d_wait_sock "$T/mtsrun/fcgi.sock"
t_is "$(stat -c %a "$T/mtsrun/fcgi.sock")" 660 "socket mode 0660 (-M)"
t_is "$(stat -c %U "$T/mtsrun/fcgi.sock")" "$user" "socket belongs to the -u user"

if ! t_ok "Apache starts with both snippets" d_apache "$T/apache" "$p1" "$p2"; then
	t_skip 20 "Apache did not start"
	t_done
fi

d_policies "$p1" "mod_fcgid"
d_policies "$p2" "mod_proxy_fcgi"

# mod_fcgid started the responder itself, as the web server's user.
t_like "$(d_children "$D_APACHE_PID")" "(^|"$'\n'")$user +mta-sts-fcgi" \
    "mod_fcgid runs the responder as $user"

# enablereuse=on: after the requests, Apache still holds a connection to
# the responder's socket.
held=$(ss -xH 2>/dev/null | grep -c "$T/mtsrun/fcgi.sock")
t_unlike "$held" '^0$' "mod_proxy_fcgi keeps its connections open (enablereuse=on)"

if grep -q 'AH[0-9]*: .*\(error\|emerg\)' "$T/apache/error.log"; then
	t_diag "$(cat "$T/apache/error.log")"
fi
t_done
