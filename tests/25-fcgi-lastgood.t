#!/bin/bash
# SPDX-License-Identifier: ISC
# The last good policies survive restarts: the responder under lighttpd
# (bin-path) and under Apache mod_fcgid, with the shipped snippets, and as
# a CGI program. Restarted (and Apache reloaded) with a broken global file
# or a broken domain file, every domain keeps its previous policy; a
# domain file deleted is 404 and its copy goes; a first start with a
# broken domain file is 404 for that domain only.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init lastgood
d_need lighttpd curl openssl
d_setup
t_plan 44
d_run_dir
user=$(d_user)
LG=$T/lastgood
ETC=$T/etc
GOOD_CONF=$(cat "$ETC/mta-sts.conf")
NF=$'not found: no MTA-STS policy for this domain\n'

# The state a test step starts from: configuration good, both domains good.
reset() {
	printf '%s\n' "$GOOD_CONF" >"$ETC/mta-sts.conf"
	d_domains "$ETC/domains"
}

# policy PORT NAME: the body and status of https://mta-sts.NAME/...
policy() {
	local body
	body=$(d_get "$1" "mta-sts.$2"; echo x)
	printf '%s %s.' "$(d_status)" "${body%x}"
}

# serves PORT WHAT: both domains answer their first policies.
serves() {
	t_is "$(policy "$1" example.com)" "200 $D_POLICY_COM." "$2: example.com, the previous policy"
	t_is "$(policy "$1" example.net)" "200 $D_POLICY_NET." "$2: example.net, the previous policy"
}

# steps WHAT PORT START STOP LOG: the restarts, 13 tests. START and STOP are
# commands; LOG is where the responder's stderr goes.
steps() {
	local what=$1 port=$2 start=$3 stop=$4 log=$5
	reset
	rm -f "$LG"/*
	$start || return 1
	serves "$port" "$what: first start"
	t_is "$(cat "$LG/example.com"; echo .)" "$D_POLICY_COM." "$what: example.com kept on disk, as served"

	# A broken global file, then a restart.
	$stop
	printf 'mdoe = enforce\n' >>"$ETC/mta-sts.conf"
	$start || return 1
	serves "$port" "$what: restarted with a broken global file"
	t_like "$(cat "$log")" "ERROR: $ETC/mta-sts.conf:5: unknown key 'mdoe'.*; serving the last good policies of 2 domains kept in $LG until it is fixed" \
	    "$what: the broken global file is logged with file:line"

	# A broken domain file, then a restart.
	$stop
	reset
	printf 'mode = enforcing\n' >"$ETC/domains/example.net"
	$start || return 1
	serves "$port" "$what: restarted with a broken domain file"

	# A domain file deleted: 404, and its copy goes.
	$stop
	reset
	rm "$ETC/domains/example.com"
	$start || return 1
	t_is "$(policy "$port" example.com)" "404 $NF." "$what: deleted domain file: 404 after a restart"
	t_ok "$what: deleted domain file: its copy is gone" test ! -e "$LG/example.com"
	t_is "$(policy "$port" example.net)" "200 $D_POLICY_NET." "$what: deleted domain file: the other domain served"

	# A first start (nothing kept) with a broken domain file.
	$stop
	reset
	rm -f "$LG"/*
	printf 'mode = enforcing\n' >"$ETC/domains/example.net"
	$start || return 1
	t_is "$(policy "$port" example.com)" "200 $D_POLICY_COM." "$what: first start, broken example.net: example.com served"
	t_is "$(policy "$port" example.net)" "404 $NF." "$what: first start, broken example.net: 404, no made-up policy"
	$stop
	reset
}

# ---- lighttpd, bin-path ----------------------------------------------------------
plain=$(t_free_port)
lport=$(t_free_port)
mkdir -p "$T/l"
d_fill "$T_TOP/deploy/lighttpd/mta-sts-binpath.conf" "$lport" >"$T/l/site.conf"
t_like "$(cat "$T/l/site.conf")" '"MTA_STS_LAST_GOOD" => "'"$LG"'"' \
    "the lighttpd snippet names the directory of last good policies"
d_lighttpd_conf "$T/l" "$plain"
l_start() {
	: >"$T/l/error.log"
	t_lighttpd "$T/l/lighttpd.conf" "$plain" && t_wait_port 127.0.0.1 "$lport"
}
l_stop() { t_stop "$T_LIGHTTPD_PID"; }
steps lighttpd "$lport" l_start l_stop "$T/l/lighttpd.conf.stderr" ||
	t_fail "lighttpd did not start: $(cat "$T/l/lighttpd.conf.stderr")"

# ---- Apache, mod_fcgid -------------------------------------------------------------
apache_ok=1
for m in fcgid ssl; do
	[ -f "$D_MODS/mod_$m.so" ] || apache_ok=0
done
if [ "$apache_ok" = 1 ] && command -v apache2 >/dev/null; then
	aport=$(t_free_port)
	mkdir -p "$T/apache"
	d_fill "$T_TOP/deploy/apache/mta-sts-fcgid.conf" "$aport" >"$T/apache/site.conf"
	t_like "$(cat "$T/apache/site.conf")" "FcgidInitialEnv MTA_STS_LAST_GOOD $LG" \
	    "the Apache snippet names the directory of last good policies"
	d_apache_conf "$T/apache" "$aport"
	a_start() {
		: >"$T/apache/error.log"
		d_apache "$T/apache" "$aport"
	}
	a_stop() { t_stop "$D_APACHE_PID"; }
	steps "Apache mod_fcgid" "$aport" a_start a_stop "$T/apache/error.log" ||
		t_fail "Apache did not start: $(cat "$T/apache/error.log")"
	# A graceful reload (what logrotate does) with a broken global file.
	a_start
	serves "$aport" "Apache before a graceful reload"
	printf 'mdoe = enforce\n' >>"$ETC/mta-sts.conf"
	kill -USR1 "$D_APACHE_PID"
	sleep 2
	t_wait_port 127.0.0.1 "$aport"
	serves "$aport" "Apache graceful reload with a broken global file"
	t_like "$(cat "$T/apache/error.log")" "ERROR: $ETC/mta-sts.conf:5: unknown key" \
	    "Apache graceful reload: the responder was started again"
	a_stop
	reset
else
	t_skip 19 "no Apache with mod_fcgid and mod_ssl"
fi

# ---- CGI -----------------------------------------------------------------------------
AS=()
if [ "$(id -u)" = 0 ]; then
	AS=(setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups)
fi
# cgi NAME: the status and body of one CGI request for mta-sts.NAME.
cgi() {
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    HTTP_HOST="mta-sts.$1" REQUEST_URI=/.well-known/mta-sts.txt \
	    MTA_STS_CONF="$ETC/mta-sts.conf" MTA_STS_LAST_GOOD="$LG" \
	    "${AS[@]}" "$D_FCGI" 2>>"$T/cgi.err" | perl -0777 -ne \
	    '($h, $b) = split /\r\n\r\n/, $_, 2; $h =~ /^Status: (\d+)/m; print "$1 $b."'
}
reset
rm -f "$LG"/*
t_is "$(cgi example.com)" "200 $D_POLICY_COM." "CGI: example.com"
t_is "$(cgi example.net)" "200 $D_POLICY_NET." "CGI: example.net"
t_is "$(cat "$LG/example.net"; echo .)" "$D_POLICY_NET." "CGI: example.net kept on disk"
printf 'mdoe = enforce\n' >>"$ETC/mta-sts.conf"
t_is "$(cgi example.com)" "200 $D_POLICY_COM." "CGI, broken global file: example.com, the previous policy"
t_is "$(cgi example.net)" "200 $D_POLICY_NET." "CGI, broken global file: example.net, the previous policy"
t_like "$(cat "$T/cgi.err")" "mta-sts-fcgi: example.net: serving the last good policy kept from before" \
    "CGI: serving a kept policy is logged"
reset
printf 'mode = enforcing\n' >"$ETC/domains/example.net"
t_is "$(cgi example.net)" "200 $D_POLICY_NET." "CGI, broken domain file: the previous policy"
reset
rm "$ETC/domains/example.com"
t_is "$(cgi example.com)" "404 $NF." "CGI, deleted domain file: 404"
t_ok "CGI, deleted domain file: its copy is gone" test ! -e "$LG/example.com"
reset
rm -f "$LG"/*
printf 'mode = enforcing\n' >"$ETC/domains/example.net"
t_is "$(cgi example.net)" "404 $NF." "CGI, first request with a broken domain file: 404"
t_is "$(cgi example.com)" "200 $D_POLICY_COM." "CGI, first request with a broken domain file: the other domain served"
reset
t_done
