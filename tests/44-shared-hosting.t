#!/bin/bash
# SPDX-License-Identifier: ISC
# The shared-hosting kit: Apache with AllowOverride All and mod_cgid, the
# responder copied as mta-sts.cgi into a web root with the shipped
# .htaccess and mta-sts.conf (unchanged) beside it, domains/ beside that.
# Both domains byte for byte, 404 for other names and for the files the
# .htaccess keeps private, and 403/404 for the backup copies and old
# directories an editor or an operator leaves beside them (everything in
# the directory but the CGI is denied, .htaccess included).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/deploy.sh"

t_init shared-hosting
d_need apache2 curl openssl
for m in cgid rewrite mime ssl; do
	[ -f "$D_MODS/mod_$m.so" ] || t_skip_all "no $D_MODS/mod_$m.so"
done
d_setup
t_plan 26

# The web root, as the README says: the binary as mta-sts.cgi, the kit's
# .htaccess and mta-sts.conf, one file per domain in domains/.
www=$T/home/mta-sts/www
mkdir -p "$www" "$T/home/mta-sts/.mta-sts-state"
cp "$D_FCGI" "$www/mta-sts.cgi" && chmod 0755 "$www/mta-sts.cgi"
cp "$T_TOP/deploy/shared-hosting/.htaccess" "$T_TOP/deploy/shared-hosting/mta-sts.conf" "$www/"
d_domains "$www/domains"
# What editors and operators leave behind: these must not be served.
backups="mta-sts.conf~ mta-sts.conf.bak mta-sts.conf.swp .mta-sts.conf.swp
mta-sts.conf.save mta-sts.conf.orig domains.old/example.com domains~/example.com
domains/example.com~ mta-sts.cgi~ .htaccess"
for f in $backups; do
	mkdir -p "$www/$(dirname "$f")"
	[ -e "$www/$f" ] || cp "$www/mta-sts.conf" "$www/$f"
done
chmod -R a+rX "$T/home"

port=$(t_free_port)
mkdir -p "$T/apache"
cat >"$T/apache/site.conf" <<EOS
<VirtualHost 127.0.0.1:$port>
	ServerName mta-sts.example.com
	ServerAlias mta-sts.*
	SSLEngine on
	SSLCertificateFile    $T/tls/web.fullchain.pem
	SSLCertificateKeyFile $T/tls/web.key
	DocumentRoot $www
	<Directory $www>
		AllowOverride All
		Require all granted
	</Directory>
</VirtualHost>
EOS
d_apache_conf "$T/apache" "$port"

if ! t_ok "Apache starts" d_apache "$T/apache" "$port"; then
	t_skip 14 "Apache did not start"
	t_done
fi

# The CGI finds mta-sts.conf beside itself: no MTA_STS_CONF, no -c.
d_policies "$port" "CGI"

for f in mta-sts.conf domains/example.com domains/; do
	d_get "$port" mta-sts.example.com "/$f" >/dev/null
	t_is "$(d_status)" 404 "/$f is not served"
done
d_get "$port" mta-sts.example.com /mta-sts.cgi >/dev/null
t_is "$(d_status)" 404 "the CGI's own URL: 404"
for f in $backups; do
	d_get "$port" mta-sts.example.com "/$f" >/dev/null
	t_like "$(d_status)" '^40[34]$' "/$f is not served"
done

# CGI: one request, then the process is gone.
sleep 0.2
t_unlike "$(d_children "$D_APACHE_PID")" 'mta-sts.cgi' "no mta-sts.cgi left running"
if grep -q 'mta-sts' "$T/apache/error.log"; then
	t_diag "error log:" "$(grep 'mta-sts' "$T/apache/error.log")"
fi
t_done
