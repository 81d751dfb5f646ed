#!/bin/bash
# SPDX-License-Identifier: ISC
# publish = zonefile with one file per zone (zonefile = .../%z.zone,
# reload = ... %z), with the shipped Knot and BIND examples (deploy/knot/,
# deploy/bind/) and both real servers, in a network namespace
# (tests/lib/netns.sh): 50 zones, each $INCLUDEing its own file; a 51st
# domain inside one of them (`zone =` in its domain file). After one
# policy changes, exactly that zone's file is replaced (inode and mtime
# of the 49 others unchanged) and the reload runs once, with that zone's
# name; kzonecheck and named-checkzone accept the zone; Knot (127.0.0.1)
# and BIND (127.0.0.53) both answer with the new id. Last, a domain
# file naming the wrong zone: the warning says which zone to set.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

for p in named rndc named-checkzone kzonecheck drill; do
	command -v "$p" >/dev/null 2>&1 || t_skip_all "$p not installed (bind9, bind9-utils, knot-dnsutils, ldnsutils)"
done
ns_init zonefile-zones
ZD=$T/mtasts-zones		# the checker's files, one per zone
B=$T/bind
mkdir -p "$ZD" "$B"
chmod 755 "$ZD"

# the Knot zone options of the shipped example
KOPTS=$(sed -n 's/^    \(zonefile-load: .*\|journal-content: .*\)$/\1/p' "$T_TOP/deploy/knot/knot.conf")
t_is "$(printf '%s\n' "$KOPTS" | wc -l)" 2 "deploy/knot/knot.conf: zonefile-load and journal-content found"

ZONES=
for i in $(seq -w 1 50); do
	z=z$i.test
	ZONES="$ZONES $z"
	: >"$ZD/$z.zone"	# as deploy/knot/mta-sts.conf says: empty before the first run
	more="\$INCLUDE $ZD/$z.zone"
	[ "$z" = z01.test ] && more="$more
mta-sts.sub	A	127.0.0.10
sub	MX	10 mx1.example.test.
sub	MX	20 mx2.example.test."
	[ "$z" = z02.test ] && more="$more
mta-sts.wrong	A	127.0.0.10
wrong	MX	10 mx1.example.test.
wrong	MX	20 mx2.example.test."
	ns_domain "$z" "$KOPTS" "$more"
	# the checker's files bring _smtp._tls
	sed -i '/^_smtp\._tls/d' "$T/knot/zones/$z.zone"
done
# sub.z01.test lies in zone z01.test: its domain file says so
NS_WEB_NAMES="$NS_WEB_NAMES mta-sts.sub.z01.test mta-sts.wrong.z02.test"
NS_DOMAINS="$NS_DOMAINS sub.z01.test"
ns_domain_file sub.z01.test "zone = z01.test"
cp "$NS_CHECK/domains/sub.z01.test" "$NS_SERVE/domains/sub.z01.test"

# the recording reload: which zone, then Knot's and BIND's own reload
cat >"$T/reload-rec" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$T/reloads.log"
knotc -c "$T/knot/knot.conf" -b zone-reload "\$1" >>"$T/reload.out" 2>&1 &
rndc -c "$B/rndc.conf" reload "\$1" >>"$T/reload.out" 2>&1 || exit 1
wait \$! || exit 1
EOF
chmod 755 "$T/reload-rec"
# the shipped publish lines, the directory and the reload command replaced
PUB=$(sed -e '/^#/d' -e "s|/var/lib/mtasts/zones|$ZD|" \
    -e "s|^reload = knotc -b zone-reload %z\$|reload = $T/reload-rec %z|" \
    "$T_TOP/deploy/knot/mta-sts.conf")
t_is "$(printf '%s\n' "$PUB" | grep -c "$T")" 2 "deploy/knot/mta-sts.conf: zonefile and reload lines"
ns_checker_conf "$PUB"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start

# ---- BIND: the same zone files, zone statements from deploy/bind -------------------

RNDC_SECRET=$(openssl rand -base64 32)
cat >"$B/rndc.conf" <<EOF
key "rndc" { algorithm hmac-sha256; secret "$RNDC_SECRET"; };
options { default-key "rndc"; default-server 127.0.0.53; default-port 953; };
EOF
{
	cat <<EOF
key "rndc" { algorithm hmac-sha256; secret "$RNDC_SECRET"; };
controls { inet 127.0.0.53 port 953 allow { 127.0.0.1; 127.0.0.53; } keys { "rndc"; }; };
options {
	directory "$B";
	pid-file "$B/named.pid";
	listen-on port 53 { 127.0.0.53; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
};
EOF
	for z in $ZONES; do
		cp "$T/knot/zones/$z.zone" "$B/$z.zone"
		# the example's statement for example.com, for each zone
		sed -n '/^zone "example.com"/,/^};/p' "$T_TOP/deploy/bind/named.conf" |
		    sed -e "s/example\.com/$z/g" -e "s|/var/lib/bind|$B|"
	done
} >"$B/named.conf"
t_is "$(grep -c '^zone ' "$B/named.conf")" 50 "named.conf: 50 zone statements from deploy/bind/named.conf"
t_ok "named-checkconf accepts it" named-checkconf "$B/named.conf"
# named listens only on the addresses of an interface
ns_exec ip addr add 127.0.0.53/8 dev lo
ip netns exec "$NS" named -g -c "$B/named.conf" >"$B/named.log" 2>&1 &
t_bg $!
bind_up() {
	ns_wait_dns 127.0.0.53 z50.test && return 0
	t_diag "named:" "$(tail -n 20 "$B/named.log")"
	return 1
}
t_ok "named answers at 127.0.0.53" bind_up

# bind_id DOMAIN: the id BIND serves at _mta-sts.DOMAIN
bind_id() {
	ns_exec drill @127.0.0.53 TXT "_mta-sts.$1" 2>/dev/null |
	    sed -n 's/^_mta-sts\.[^	 ]*[	 ].*TXT[	 ]*"v=STSv1; id=\([0-9]*\)"$/\1/p'
}
# snap: name inode mtime(ns) of each zone file
snap() {
	(cd "$ZD" && stat -c '%n %i %.9Y' -- *.zone)
}

# ---- first run: every zone's file -------------------------------------------------

ns_check
t_is "$CHK_RC" 0 "first run: exit 0" || t_diag "$CHK_OUT"
t_is "$(wc -l <"$T/reloads.log" 2>/dev/null)" 50 "first run: 50 reloads, one per zone"
t_is "$(sort "$T/reloads.log" | tr '\n' ' ')" "$(printf '%s ' $ZONES)" "first run: each with its zone's name"
t_is "$(ls "$ZD" | grep -c '\.zone$')" 50 "first run: 50 files, none for sub.z01.test"
t_like "$(cat "$ZD/z01.test.zone")" '_mta-sts\.sub\.z01\.test\. 3600 IN TXT "v=STSv1; id=[0-9]{14}"' \
    "zone = z01.test: sub.z01.test's record is in z01.test's file"
t_like "$(head -n 3 "$ZD/z07.test.zone")" '\$INCLUDE it in zone z07\.test only' \
    "the head says which zone includes the file"
t_unlike "$(cat "$ZD/z07.test.zone")" 'z08\.test' "z07.test's file holds no other zone's names"
sub_id=$(ns_sts_id sub.z01.test)
t_like "$sub_id" '^[0-9]{14}$' "Knot serves sub.z01.test's id through z01.test ($sub_id)"
t_is "$(bind_id sub.z01.test)" "$sub_id" "BIND too"

# ---- second run, nothing changed: nothing written, nothing reloaded -------------------

snap >"$T/snap.0"
: >"$T/reloads.log"
ns_check
t_is "$CHK_RC:$CHK_OUT" "0:" "unchanged run: exit 0, silent"
t_is "$(wc -l <"$T/reloads.log")" 0 "unchanged run: no reload"
snap >"$T/snap.1"
t_is "$(diff "$T/snap.0" "$T/snap.1" | grep -c '^>')" 0 "unchanged run: no file replaced"

# ---- one policy changes -------------------------------------------------------------

old=$(ns_sts_id z17.test)
ns_domain_file z17.test "mode = enforce"
cp "$NS_CHECK/domains/z17.test" "$NS_SERVE/domains/z17.test"
t_ok "z17.test: mode enforce served" ns_wait_served z17.test
ns_check
t_is "$CHK_RC" 0 "one policy changed: exit 0" || t_diag "$CHK_OUT"
snap >"$T/snap.2"
t_is "$(diff "$T/snap.1" "$T/snap.2" | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')" "z17.test.zone " \
    "exactly one file replaced (new inode and mtime): z17.test's"
t_is "$(cat "$T/reloads.log")" "z17.test" "exactly one reload, with that zone's name"
new=$(ns_sts_id z17.test)
t_like "$new" '^[0-9]{14}$' "Knot answers with an id for z17.test ($new)"
t_ok "... a new one ($old -> $new)" test "${new:-0}" -gt "${old:-0}"
t_is "$(bind_id z17.test)" "$new" "BIND answers with the new id"
t_like "$(cat "$ZD/z17.test.zone")" "_mta-sts\\.z17\\.test\\. 3600 IN TXT \"v=STSv1; id=$new\"" \
    "the file holds the new id"
t_is "$(ns_sts_id z18.test)" "$(bind_id z18.test)" "a zone left alone: both servers agree on its id"
t_ok "kzonecheck loads zone z17.test with its \$INCLUDE" \
    kzonecheck -o z17.test "$T/knot/zones/z17.test.zone"
t_ok "named-checkzone loads it" named-checkzone -q z17.test "$B/z17.test.zone"
t_like "$(named-checkzone -D z17.test "$B/z17.test.zone" 2>/dev/null | grep '^_mta-sts')" \
    "id=$new" "named-checkzone sees the new record in it"
t_ok "kzonecheck loads zone z01.test with sub.z01.test's records" \
    kzonecheck -o z01.test "$T/knot/zones/z01.test.zone"

# a domain whose domain file names the wrong zone: its record goes into
# z03.test's file, DNS cannot show it, and the finding says what to set
printf 'zone = z03.test\n' >"$NS_CHECK/domains/wrong.z02.test"
cp "$NS_CHECK/domains/wrong.z02.test" "$NS_SERVE/domains/wrong.z02.test"
chmod 644 "$NS_SERVE/domains/wrong.z02.test"
t_ok "wrong.z02.test served" ns_wait_served wrong.z02.test
ns_check
t_is "$CHK_RC" 1 "wrong zone: exit 1 (a warning)" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "_mta-sts\\.wrong\\.z02\\.test: id [0-9]{14} was published by zonefile, but DNS does not show it yet: .*; its zone is z02\\.test by the SOA records, but the records went into the file of zone z03\\.test: set 'zone = z02\\.test' in $NS_CHECK/domains/wrong\\.z02\\.test" \
    "wrong zone: the warning names the zone to set and the domain file" || t_diag "$CHK_OUT"

t_done
