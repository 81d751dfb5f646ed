# SPDX-License-Identifier: ISC
# tests/lib/deploy.sh: what the deployment tests (4x-*.t) share, on top of
# testlib.sh: a two-domain configuration with known policies, a test CA and
# web certificate, the shipped snippets with only paths and ports filled in,
# and Apache/nginx started in the foreground from a minimal top-level config.
#
#	. "$(dirname "$0")/lib/testlib.sh"
#	. "$(dirname "$0")/lib/deploy.sh"
#	t_init name; d_need apache2 curl; d_setup

# The servers live in sbin, which a user's PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin;; esac
export PATH

D_FCGI=$T_TOP/fcgi/mta-sts-fcgi
D_MODS=/usr/lib/apache2/modules

# What the responder must serve, byte for byte.
D_POLICY_COM=$'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: mx2.example.com\r\nmax_age: 604800\r\n'
D_POLICY_NET=$'version: STSv1\r\nmode: testing\r\nmx: *.mx.example.net\r\nmax_age: 86400\r\n'

# d_need PROG...: skip the whole test when a program is missing.
d_need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || t_skip_all "$p is not installed"
	done
	[ -x "$D_FCGI" ] || t_skip_all "fcgi/mta-sts-fcgi is not built (make)"
}

# d_user: the user web servers and the responder run as when we are root.
d_user() {
	if [ "$(id -u)" -eq 0 ]; then
		id -u www-data >/dev/null 2>&1 || t_skip_all "running as root, but there is no www-data user"
		echo www-data
	else
		id -un
	fi
}

# d_domains DIR: the two test domains in DIR (example.net's file written
# with a quoted value and a bracket list, the way operators paste them).
d_domains() {
	mkdir -p "$1" &&
	printf 'mode = enforce\nmx = mx2.example.com, mx1.example.com\nmax-age = 1w\n' >"$1/example.com" &&
	printf '# from Stalwart\nmode = "testing"\nmx = ["*.mx.example.net"]\nmax-age = 1d\n' >"$1/example.net"
}

# d_setup: $T/etc/mta-sts.conf with $T/etc/domains; a test CA in $T/tls
# and a web certificate for the test names (web.fullchain.pem, web.key).
# Call it before t_plan: it skips the test when the web user cannot read $T.
d_setup() {
	umask 022
	mkdir -p "$T/etc/certs" &&
	d_domains "$T/etc/domains" &&
	printf 'domains = domains\ncerts = certs\nstate = %s/state\nmode = testing\n' "$T" >"$T/etc/mta-sts.conf" &&
	t_ca "$T/tls" &&
	t_cert "$T/tls" web mta-sts.example.com mta-sts.example.net mta-sts.unknown.test &&
	chmod 0644 "$T/tls/web.key" || { echo "Bail out! cannot set up $T"; exit 255; }
	chmod 0755 "$T" "$T_TOP/tests/tmp"
	# the responder's last good policies (-L), written as the web user
	mkdir -p "$T/lastgood" && chown "$(d_user)" "$T/lastgood" 2>/dev/null
	if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1 &&
	    ! runuser -u "$(d_user)" -- test -r "$T/etc/domains/example.com"; then
		t_skip_all "$(d_user) cannot read $T: make its parent directories searchable (chmod a+x)"
	fi
}

# d_fill FILE PORT: a shipped snippet with the test's paths and ports in
# place of the defaults it ships with; nothing else is changed.
d_fill() {
	sed -e "s|/usr/local/sbin/mta-sts-fcgi|$D_FCGI|g" \
	    -e "s|/etc/mta-sts/mta-sts.conf|$T/etc/mta-sts.conf|g" \
	    -e "s|/etc/ssl/mta-sts/fullchain.pem|$T/tls/web.fullchain.pem|g" \
	    -e "s|/etc/ssl/mta-sts/privkey.pem|$T/tls/web.key|g" \
	    -e "s|/run/mta-sts/fcgi.sock|$T/mtsrun/fcgi.sock|g" \
	    -e "s|/var/lib/mtasts-fcgi|$T/lastgood|g" \
	    -e "s|/run/lighttpd/mta-sts-fcgi.sock|$T/run/lighttpd-fcgi.sock|g" \
	    -e "s|<VirtualHost \*:443>|<VirtualHost 127.0.0.1:$2>|" \
	    -e "s|^\([[:space:]]*listen\) 443 ssl;|\1 127.0.0.1:$2 ssl;|" \
	    -e "/^[[:space:]]*listen \[::\]:443 ssl;/d" \
	    -e "s|\$SERVER\[\"socket\"\] == \":443\"|\$SERVER[\"socket\"] == \"127.0.0.1:$2\"|" \
	    -e "/^\$SERVER\[\"socket\"\] == \"\[::\]:443\"/,/^}/d" \
	    "$1"
}

# d_children PID: "user command" of every descendant of PID, one a line.
d_children() {
	local p
	for p in $(ps -o pid= --ppid "$1"); do
		ps -o user=,comm= -p "$p"
		d_children "$p"
	done
}

# d_run_dir: $T/run, where servers and sockets may write as the web user;
# $T/mtsrun, the responder's own socket directory (/run/mta-sts), which
# only root may write when the responder starts as root.
d_run_dir() {
	mkdir -p "$T/run" "$T/mtsrun" && chown "$(d_user)" "$T/run" 2>/dev/null
	chmod 0755 "$T/run" "$T/mtsrun"
}

# d_get PORT NAME [PATH] [CURL ARGS...]: HTTPS GET of https://NAME:PORT/PATH
# with NAME resolved to 127.0.0.1 and checked against the test CA. Prints
# the body; headers go to $T/headers.
d_get() {
	local port=$1 name=$2 path=${3:-/.well-known/mta-sts.txt}
	shift 2
	[ $# -gt 0 ] && shift
	curl -sS --max-time 10 --cacert "$T/tls/ca.pem" \
	    --resolve "$name:$port:127.0.0.1" -D "$T/headers" "$@" \
	    "https://$name:$port$path"
}

# d_status: the status code of the last d_get
d_status() {
	sed -n '1s/^HTTP\/[0-9.]* \([0-9]*\).*/\1/p' "$T/headers"
}

# d_ctype: the Content-Type of the last d_get
d_ctype() {
	sed -n 's/^[Cc]ontent-[Tt]ype: *\(.*\)\r$/\1/p' "$T/headers"
}

# d_clen: the Content-Length of the last d_get
d_clen() {
	sed -n 's/^[Cc]ontent-[Ll]ength: *\([0-9]*\).*/\1/p' "$T/headers"
}

# d_policies PORT WHAT: the common checks of a deployment, 9 tests: both
# domains byte-exact with 200 and text/plain, an unknown domain 404, HEAD
# and POST (the method reaches the responder).
d_policies() {
	local port=$1 what=$2 body
	body=$(d_get "$port" mta-sts.example.com; echo x)
	t_is "${body%x}" "$D_POLICY_COM" "$what: example.com policy, byte for byte"
	t_is "$(d_status)" 200 "$what: example.com status 200"
	t_like "$(d_ctype)" '^text/plain' "$what: example.com text/plain"
	body=$(d_get "$port" mta-sts.example.net; echo x)
	t_is "${body%x}" "$D_POLICY_NET" "$what: example.net policy, byte for byte"
	t_is "$(d_status)" 200 "$what: example.net status 200"
	d_get "$port" mta-sts.unknown.test >/dev/null
	t_is "$(d_status)" 404 "$what: unknown domain 404"
	d_get "$port" mta-sts.example.com /index.html >/dev/null
	t_is "$(d_status)" 404 "$what: other path 404"
	# HEAD: Content-Length that of the policy where the server
	# passes it on (Apache drops it for CGI and mod_proxy_fcgi: allowed).
	d_get "$port" mta-sts.example.com /.well-known/mta-sts.txt -I >/dev/null
	t_like "$(d_status) $(d_clen)" "^200 (${#D_POLICY_COM})?\$" "$what: HEAD 200, no other length"
	d_get "$port" mta-sts.example.com /.well-known/mta-sts.txt -X POST -d x >/dev/null
	t_is "$(d_status)" 405 "$what: POST 405"
}

# ---- lighttpd -----------------------------------------------------------------

# d_lighttpd_conf DIR PLAINPORT [EXTRA-LINES]: DIR/lighttpd.conf, a
# top-level config listening on 127.0.0.1:PLAINPORT (with EXTRA-LINES) that
# includes DIR/site.conf; run as d_user when root.
d_lighttpd_conf() {
	local user
	user=$(d_user)
	mkdir -p "$1/www"
	{
		echo "server.document-root = \"$1/www\""
		echo "server.bind = \"127.0.0.1\""
		echo "server.port = $2"
		echo "server.errorlog = \"$1/error.log\""
		[ -z "${3:-}" ] || printf '%s\n' "$3"
		if [ "$(id -u)" -eq 0 ]; then
			echo "server.username = \"$user\""
			echo "server.groupname = \"$(id -gn "$user")\""
		fi
		echo "include \"$1/site.conf\""
	} >"$1/lighttpd.conf"
	touch "$1/error.log" && chown "$user" "$1/error.log" 2>/dev/null
	return 0
}

# ---- Apache -------------------------------------------------------------------

# d_apache_conf DIR PORT... : DIR/httpd.conf, a minimal top-level config
# that listens on the ports and Includes DIR/site.conf.
d_apache_conf() {
	local dir=$1 p m user
	shift
	user=$(d_user)
	mkdir -p "$dir/run" "$dir/fcgid" || return 1
	chown "$user" "$dir/fcgid" 2>/dev/null
	{
		echo "ServerRoot $dir"
		echo "ServerName 127.0.0.1"
		echo "PidFile $dir/httpd.pid"
		echo "DefaultRuntimeDir $dir/run"
		echo "ErrorLog $dir/error.log"
		echo "LogLevel warn"
		for p in "$@"; do
			echo "Listen 127.0.0.1:$p https"
		done
		for m in mpm_event authz_core mime alias rewrite ssl socache_shmcb \
		    fcgid proxy proxy_fcgi cgid; do
			echo "LoadModule ${m}_module $D_MODS/mod_$m.so"
		done
		if [ "$(id -u)" -eq 0 ]; then
			echo "User $user"
			echo "Group $(id -gn "$user")"
		fi
		echo "TypesConfig /etc/mime.types"
		echo "SSLSessionCache shmcb:$dir/run/ssl_scache(51200)"
		echo "FcgidIPCDir $dir/fcgid"
		echo "FcgidProcessTableFile $dir/run/fcgid_shm"
		echo "ScriptSock $dir/run/cgisock"
		echo "StartServers 1"
		echo "<Directory />"
		echo "	AllowOverride None"
		echo "	Require all denied"
		echo "</Directory>"
		echo "Include $dir/site.conf"
	} >"$dir/httpd.conf"
}

# d_apache DIR PORT...: check DIR/httpd.conf, run apache2 -DFOREGROUND,
# register it, wait for the ports. Sets D_APACHE_PID.
d_apache() {
	local dir=$1 p
	shift
	if ! apache2 -t -f "$dir/httpd.conf" >"$dir/configtest" 2>&1; then
		t_diag "apache2 rejects $dir/httpd.conf:" "$(cat "$dir/configtest")"
		return 1
	fi
	apache2 -f "$dir/httpd.conf" -DFOREGROUND >>"$dir/error.log" 2>&1 &
	D_APACHE_PID=$!
	t_bg "$D_APACHE_PID"
	for p in "$@"; do
		if ! t_wait_port 127.0.0.1 "$p" 10; then
			t_diag "apache2 did not come up:" "$(cat "$dir/error.log")"
			return 1
		fi
	done
}

# ---- nginx --------------------------------------------------------------------

# d_nginx_conf DIR WORKERS: DIR/nginx.conf including DIR/site.conf, with
# Debian's fastcgi_params beside it and an access log of status codes.
d_nginx_conf() {
	local dir=$1 user
	user=$(d_user)
	mkdir -p "$dir/tmp" || return 1
	chown "$user" "$dir/tmp" 2>/dev/null
	cp /etc/nginx/fastcgi_params "$dir/fastcgi_params" || return 1
	{
		[ "$(id -u)" -eq 0 ] && echo "user $user;"
		echo "worker_processes $2;"
		echo "pid $dir/nginx.pid;"
		echo "error_log $dir/error.log warn;"
		echo "events { worker_connections 1024; }"
		echo "http {"
		echo "	log_format st '\$status';"
		echo "	access_log $dir/access.log st;"
		echo "	client_body_temp_path $dir/tmp/body;"
		echo "	fastcgi_temp_path $dir/tmp/fastcgi;"
		echo "	proxy_temp_path $dir/tmp/proxy;"
		echo "	scgi_temp_path $dir/tmp/scgi;"
		echo "	uwsgi_temp_path $dir/tmp/uwsgi;"
		echo "	include $dir/site.conf;"
		echo "}"
	} >"$dir/nginx.conf"
}

# d_nginx DIR PORT: check and start nginx in the foreground. D_NGINX_PID.
d_nginx() {
	local dir=$1
	if ! nginx -t -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >"$dir/configtest" 2>&1; then
		t_diag "nginx rejects $dir/nginx.conf:" "$(cat "$dir/configtest")"
		return 1
	fi
	nginx -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' >>"$dir/stderr" 2>&1 &
	D_NGINX_PID=$!
	t_bg "$D_NGINX_PID"
	if ! t_wait_port 127.0.0.1 "$2" 10; then
		t_diag "nginx did not come up:" "$(cat "$dir/stderr" "$dir/error.log" 2>/dev/null)"
		return 1
	fi
}

# d_wait_sock PATH: until a unix socket exists (5 s).
d_wait_sock() {
	local i=0
	while [ ! -S "$1" ] && [ "$i" -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$1" ] || { t_diag "no socket at $1"; return 1; }
}
