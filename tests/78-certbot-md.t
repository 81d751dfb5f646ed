#!/bin/bash
# SPDX-License-Identifier: ISC
# A certificate for every mta-sts.<domain>, no network:
# deploy/certbot/mta-sts-certbot against a stand-in certbot first in PATH
# that records its arguments (one order per missing name, names already
# in live/ left alone, at most --max a run and --window in 3 hours,
# a failed name not retried within the hour, -n runs nothing); and
# deploy/apache/mta-sts-md, whose MDomain lines and virtual hosts Apache's
# configtest accepts with mod_md loaded (kept names stay, at most
# --max-new added a run, a domain gone is dropped).
. "$(dirname "$0")/lib/testlib.sh"

t_init certbot-md
CHECK=$T_TOP/checker/mta-sts-check
CB=$T_TOP/deploy/certbot/mta-sts-certbot
MD=$T_TOP/deploy/apache/mta-sts-md
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"

mkdir -p "$T/domains" "$T/state" "$T/bin" "$T/le/live/mta-sts.d01.test"
for i in $(seq -w 1 30); do
	: >"$T/domains/d$i.test"
done
cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
state = $T/state
mx = mx.example.net
EOF
: >"$T/le/live/mta-sts.d01.test/fullchain.pem"

# the stand-in: records its arguments, makes the lineage, fails when told
cat >"$T/bin/certbot" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/certbot.calls"
name=
while [ \$# -gt 0 ]; do
	[ "\$1" = --cert-name ] && name=\$2
	shift
done
if grep -qxF "\$name" "$T/fail" 2>/dev/null; then
	echo "Challenge failed for domain \$name" >&2
	exit 1
fi
mkdir -p "$T/le/live/\$name" && : >"$T/le/live/\$name/fullchain.pem"
EOF
chmod 755 "$T/bin/certbot"
export PATH="$T/bin:$PATH" MTA_STS_CHECK=$CHECK

names=$("$CHECK" -c "$T/mta-sts.conf" list --hostnames)
t_is "$(printf '%s\n' "$names" | wc -l)" 30 "list --hostnames: 30 names"
missing=$(printf '%s\n' "$names" | grep -vx mta-sts.d01.test)

# calls FROM TO: the certbot arguments expected for missing names FROM..TO
calls() {
	printf '%s\n' "$missing" | sed -n "$1,$2p" | while read -r n; do
		printf 'certonly --non-interactive --config-dir %s --cert-name %s -d %s --webroot -w /var/www/acme\n' \
		    "$T/le" "$n" "$n"
	done
}
cb() {
	OUT=$("$CB" -c "$T/mta-sts.conf" --config-dir "$T/le" --log "$T/orders" "$@" 2>&1)
	RC=$?
}

# -n: nothing runs
cb -n --max 3 -- --webroot -w /var/www/acme
t_is "$RC" 0 "-n: exit 0"
t_is "$(printf '%s\n' "$OUT" | grep -c '^certbot certonly')" 3 "-n: three commands printed"
t_ok "-n: certbot not run, nothing logged" test ! -e "$T/certbot.calls" -a ! -e "$T/orders"

cb --max 10 --window 25 -- --webroot -w /var/www/acme
t_is "$RC" 0 "run 1: exit 0" || t_diag "$OUT"
t_is "$(cat "$T/certbot.calls")" "$(calls 1 10)" "run 1: ten orders, one name each, the missing names in order, the certbot arguments passed on"
t_unlike "$(cat "$T/certbot.calls")" 'mta-sts\.d01\.test' "run 1: the name already in live/ is not ordered"
t_like "$OUT" "19 name\\(s\\) left for a later run: at most 10 orders a run and 25 in 3 hours \\(0 in the last 3 hours\\)" \
    "run 1: says how many are left and why"
t_is "$(grep -c ' ok$' "$T/orders")" 10 "run 1: ten orders logged"

: >"$T/certbot.calls"
cb --max 10 --window 25 -- --webroot -w /var/www/acme
t_is "$(cat "$T/certbot.calls")" "$(calls 11 20)" "run 2: the next ten"
: >"$T/certbot.calls"
cb --max 10 --window 25 -- --webroot -w /var/www/acme
t_is "$(cat "$T/certbot.calls")" "$(calls 21 25)" "run 3: five, the 3-hour window (25) is full"
t_like "$OUT" "4 name\\(s\\) left for a later run: .*\\(20 in the last 3 hours\\)" "run 3: four left"

# a failed validation: exit 1, named, not tried again within the hour
printf '%s\n' "$missing" | sed -n 26p >"$T/fail"
bad=$(cat "$T/fail")
: >"$T/certbot.calls"
cb --max 10 --window 100 -- --webroot -w /var/www/acme
t_is "$RC" 1 "run 4: a certbot failure exits 1"
t_like "$OUT" "mta-sts-certbot: $bad: certbot failed: Challenge failed for domain $bad" "run 4: names the name and what certbot said"
t_is "$(wc -l <"$T/certbot.calls")" 4 "run 4: the four left were ordered"
: >"$T/certbot.calls"
cb --max 10 --window 100 -- --webroot -w /var/www/acme
t_is "$RC:$(wc -l <"$T/certbot.calls")" "0:0" "run 5: the failed name is not retried within the hour"
t_like "$OUT" "1 name\\(s\\) failed validation within the hour" "run 5: and says so"
t_is "$(ls "$T/le/live" | wc -l)" 29 "29 lineages in live/, one per name"

cb --max x
t_is "$RC" 2 "--max x: exit 2"
t_like "$OUT" "--max 'x' is not a number" "--max x: says so"

# ---- mod_md -------------------------------------------------------------------------

t_ok "apache2 is installed" test -x "$(command -v apache2)"
[ -r /usr/lib/apache2/modules/mod_md.so ] || t_skip_all "no mod_md"
printf '\tDocumentRoot %s\n' "$T/www" >"$T/responder.conf"
mkdir -p "$T/www" "$T/apache/run" "$T/md"
"$CHECK" -c "$T/mta-sts.conf" list --hostnames |
    "$MD" -o "$T/md.conf" --max-new 20 --include "$T/responder.conf" 2>"$T/md.err"
t_is "$?" 0 "mta-sts-md: exit 0"
t_is "$(grep -c '^MDomain mta-sts\.d[0-9]*\.test$' "$T/md.conf")" 20 "mta-sts-md: 20 MDomain lines (--max-new 20)"
t_is "$(grep -c '^	ServerName mta-sts\.d[0-9]*\.test$' "$T/md.conf")" 20 "mta-sts-md: a virtual host for each"
t_like "$(cat "$T/md.err")" "10 new name\\(s\\) left for a later run" "mta-sts-md: says 10 are left"
port=$(t_free_port)
cat >"$T/apache/httpd.conf" <<EOF
ServerRoot $T/apache
ServerName 127.0.0.1
PidFile $T/apache/httpd.pid
DefaultRuntimeDir $T/apache/run
ErrorLog $T/apache/error.log
Listen 127.0.0.1:$port https
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule socache_shmcb_module /usr/lib/apache2/modules/mod_socache_shmcb.so
LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so
LoadModule md_module /usr/lib/apache2/modules/mod_md.so
MDCertificateAgreement accepted
MDContactEmail hostmaster@example.net
MDStoreDir $T/md
Include $T/md.conf
EOF
t_like "$(apache2 -t -f "$T/apache/httpd.conf" 2>&1)" 'Syntax OK' "apache2 -t accepts the MDomain lines with mod_md"

# the next run: the 20 stay, 10 added; a domain gone is dropped
rm "$T/domains/d05.test"
"$CHECK" -c "$T/mta-sts.conf" list --hostnames |
    "$MD" -o "$T/md.conf" --max-new 20 --include "$T/responder.conf" 2>"$T/md.err"
t_is "$(grep -c '^MDomain ' "$T/md.conf")" 29 "mta-sts-md again: 29 names (d05.test gone)"
t_is "$(grep -c 'd05\.test' "$T/md.conf")" 0 "mta-sts-md again: nothing left of d05.test"
t_like "$(apache2 -t -f "$T/apache/httpd.conf" 2>&1)" 'Syntax OK' "apache2 -t accepts it"
# a bad line of input: refused, the file kept
cp "$T/md.conf" "$T/md.before"
printf 'mta-sts.ok.test\nwww.example.com\n' | "$MD" -o "$T/md.conf" 2>"$T/md.err"
t_is "$?" 2 "mta-sts-md: a name that is no mta-sts name: exit 2"
t_like "$(cat "$T/md.err")" "line 2: 'www\\.example\\.com' is not an mta-sts name" "mta-sts-md: names the line"
t_ok "mta-sts-md: the file is kept" cmp -s "$T/md.conf" "$T/md.before"

t_done
