#!/bin/bash
# SPDX-License-Identifier: ISC
# The shipped systemd units parse and verify (systemd-analyze verify; no
# running systemd needed) with their ExecStart= pointing at the built
# programs, and say what the deployment promises: socket activation, an
# unprivileged user, the sandbox, a timer every 15 minutes.
. "$(dirname "$0")/lib/testlib.sh"

t_init systemd
command -v systemd-analyze >/dev/null 2>&1 || t_skip_all "systemd-analyze is not installed"
t_plan 17
u=$T_TOP/deploy/systemd
mkdir -p "$T/units"
for f in "$u"/*; do
	sed -e "s|/usr/local/sbin/mta-sts-fcgi|$T_TOP/fcgi/mta-sts-fcgi|" \
	    -e "s|/usr/local/sbin/mta-sts-check|$T_TOP/checker/mta-sts-check|" \
	    -e "s|/usr/local/sbin/mta-sts-resolve|$T_TOP/resolver/mta-sts-resolve|" \
	    "$f" >"$T/units/${f##*/}"
done

verify() {
	local out st=0
	out=$(cd "$T/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$@" 2>&1) || st=$?
	if [ "$st" -ne 0 ] || [ -n "$out" ]; then
		t_diag "$out"
		return 1
	fi
}

for p in fcgi/mta-sts-fcgi checker/mta-sts-check resolver/mta-sts-resolve; do
	if [ -x "$T_TOP/$p" ]; then
		case $p in
		fcgi/*)	t_ok "verify mta-sts-fcgi.socket + .service" verify mta-sts-fcgi.socket mta-sts-fcgi.service;;
		resolver/*) t_ok "verify mta-sts-resolve.socket + .service" verify mta-sts-resolve.socket mta-sts-resolve.service;;
		*)	t_ok "verify mta-sts-check.service + .timer" verify mta-sts-check.service mta-sts-check.timer;;
		esac
	else
		t_skip 1 "$p is not built"
	fi
done

svc=$(cat "$u/mta-sts-fcgi.service")
t_like "$(cat "$u/mta-sts-fcgi.socket")" $'\nListenStream=/run/mta-sts/fcgi.sock\n' "socket at /run/mta-sts/fcgi.sock"
t_like "$svc" $'\nDynamicUser=yes\n' "responder: unprivileged dynamic user"
for k in ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes NoNewPrivileges=yes \
    RestrictAddressFamilies=AF_UNIX SystemCallFilter=@system-service CapabilityBoundingSet= ReadOnlyPaths=/etc/mta-sts; do
	[[ $svc == *$'\n'"$k"$'\n'* ]] || missing="$missing $k"
done
t_is "${missing:-}" "" "responder sandbox settings all present"
t_unlike "$svc" $'\nExecStart=[^\n]* -u ' "responder needs no -u under systemd"
t_like "$svc" $'\nExecStartPre=/usr/local/sbin/mta-sts-fcgi -t -c /etc/mta-sts/mta-sts.conf\n' \
    "responder: the configuration is tested (-t) before a start"
t_like "$svc" $'\nExecReload=/usr/local/sbin/mta-sts-fcgi -t -c /etc/mta-sts/mta-sts.conf\nExecReload=/bin/kill -HUP \\$MAINPID\n' \
    "responder: and before the SIGHUP of a reload"
t_like "$svc" $'\nStateDirectory=mtasts-fcgi\n' "responder: the last good policies in /var/lib/mtasts-fcgi"
t_like "$(cat "$u/mta-sts-check.timer")" $'\nOnCalendar=\\*:0/15\n' "checker every 15 minutes"
# /var/lib/mta-sts belongs to Debian's postfix-mta-sts-resolver: ours is
# /var/lib/mtasts, and nothing we ship names the other one.
t_like "$(cat "$u/mta-sts-check.service")" $'\nStateDirectory=mtasts\n' "checker state in /var/lib/mtasts"
t_is "$(grep -E 'StateDirectory=mta-sts$|state *= */var/lib/mta-sts|(install -d|useradd|mkdir) [^\`]*/var/lib/mta-sts|chown [^_]*/var/lib/mta-sts' \
    "$u"/* "$T_TOP/deploy/cron/mta-sts-check" "$T_TOP/deploy/mta-sts.conf.example" "$T_TOP/README.md")" "" \
    "no unit, cron file, example or README makes or uses /var/lib/mta-sts"
t_like "$(cat "$T_TOP/deploy/cron/mta-sts-check")" $'\n#   install -d -o mta-sts -g mta-sts -m 0750 /var/lib/mtasts\n' \
    "cron file: the state directory to make is /var/lib/mtasts"
t_like "$(cat "$T_TOP/deploy/cron/mta-sts-check")" $'\n\\*/15 \\* \\* \\* \\*\tmta-sts\tmta-sts-check -c /etc/mta-sts/mta-sts.conf'$'(\n|$)' \
    "cron file: every 15 minutes as user mta-sts"
# the outbound resolver: on loopback only, as a dynamic user, its cache in its state directory
t_like "$(cat "$u/mta-sts-resolve.socket")" $'\nListenStream=127.0.0.1:8462\n' "resolver socket on loopback only"
t_like "$(cat "$u/mta-sts-resolve.service")" $'\nDynamicUser=yes\nStateDirectory=mta-sts-resolve\n' \
    "resolver: a dynamic user, /var/lib/mta-sts-resolve for its cache"
t_done
