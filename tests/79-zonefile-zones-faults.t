#!/bin/bash
# SPDX-License-Identifier: ISC
# One zone file per zone (zonefile = .../%z.zone, reload = ... %z) when
# things go wrong, without any server (DNS unreachable, so no id is
# published; the files still carry every domain's TLS-RPT record): a
# reload that fails for one zone is reported naming the zone, leaves the
# other zones' reloads alone, and is done again by the next run; a broken domain file keeps its lines in
# its zone's file while a new domain joins that file; new domains rewrite
# and reload only their zones, a domain gone is taken out of its zone's
# file; one file for every zone says in its head how to get one per zone.
. "$(dirname "$0")/lib/testlib.sh"

t_init zonefile-zones-faults
CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"
mkdir -p "$T/domains" "$T/z" "$T/state"
: >"$T/domains/a.test"
: >"$T/domains/b.test"
printf 'tlsrpt = mailto:tls@c.test\n' >"$T/domains/c.test"
printf 'zone = a.test\n' >"$T/domains/sub.a.test"
cat >"$T/reload" <<EOF
#!/bin/sh
echo "\$*" >>"$T/reloads.log"
[ "\$1" = b.test ] && [ -e "$T/fail-b" ] && { echo "zone \$1 not found" >&2; exit 1; }
exit 0
EOF
chmod 755 "$T/reload"
conf() {
	cat >"$T/mta-sts.conf" <<EOF
domains = $T/domains
state = $T/state
mx = mx.example.net
resolver = 127.0.0.1:9
timeout = 1
publish = zonefile
zonefile = $1
reload = $2
EOF
}
run() {
	: >"$T/reloads.log"
	OUT=$("$CHECK" -c "$T/mta-sts.conf" 2>&1)
	RC=$?
}
snap() {
	(cd "$T/z" && stat -c '%n %i %.9Y' -- *.zone)
}

conf "$T/z/%z.zone" "$T/reload %z"
touch "$T/fail-b"
run
t_is "$RC" 2 "run 1: exit 2 (no DNS)"
t_is "$(ls "$T/z" | tr '\n' ' ')" "a.test.zone b.test.zone c.test.zone " "run 1: one file per zone, none for sub.a.test"
t_is "$(sort "$T/reloads.log" | tr '\n' ' ')" "a.test b.test c.test " "run 1: one reload per zone, b.test's too"
t_like "$OUT" "warning: wrote $T/z/b\\.test\\.zone, but the reload command for zone b\\.test failed: .*exited with status 1: zone b\\.test not found" \
    "run 1: the failed reload names the file, the zone and what the command said"
t_is "$(grep -c '^_smtp\._tls\.sub\.a\.test\. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@sub\.a\.test"$' "$T/z/a.test.zone")" 1 \
    "run 1: sub.a.test's record is in zone a.test's file"
t_is "$(grep -c '^_smtp\._tls\.c\.test\. 3600 IN TXT "v=TLSRPTv1; rua=mailto:tls@c\.test"$' "$T/z/c.test.zone")" 1 \
    "run 1: c.test's record in its own file"
t_is "$(grep -v '^;' "$T/z/b.test.zone")" '_smtp._tls.b.test. 3600 IN TXT "v=TLSRPTv1; rua=mailto:postmaster@b.test"' \
    "run 1: b.test's file holds b.test's record only"
t_is "$(tail -n 1 "$T/z/b.test.zone")" "; The reload after this file was written failed: the next run writes it again and reloads." \
    "run 1: b.test's file is marked for the next run"
t_is "$(grep -c 'reload after' "$T/z/a.test.zone" "$T/z/c.test.zone" | tr '\n' ' ')" "$T/z/a.test.zone:0 $T/z/c.test.zone:0 " \
    "run 1: the others are not"

# run 2: sub.a.test's file broken; x.a.test (zone a.test) and d.test new;
# b.test's reload works again
snap >"$T/snap.1"
rm "$T/fail-b"
printf 'zone = bad..name\n' >"$T/domains/sub.a.test"
printf 'zone = a.test\n' >"$T/domains/x.a.test"
: >"$T/domains/d.test"
run
t_like "$OUT" "sub\\.a\\.test:1: zone 'bad\\.\\.name' is not valid" "run 2: the broken domain file is named with its line"
snap >"$T/snap.2"
t_is "$(diff "$T/snap.1" "$T/snap.2" | sed -n 's/^> \([^ ]*\) .*/\1/p' | tr '\n' ' ')" "a.test.zone b.test.zone d.test.zone " \
    "run 2: a.test's file replaced (x.a.test), b.test's written again, d.test's made; c.test's untouched"
t_is "$(grep -c 'reload after' "$T/z/b.test.zone")" 0 "run 2: b.test's file without the mark"
t_is "$(grep -c '^_smtp\._tls\.sub\.a\.test\. ' "$T/z/a.test.zone")" 1 "run 2: the broken sub.a.test keeps its record in a.test's file"
t_is "$(grep -c '^_smtp\._tls\.x\.a\.test\. ' "$T/z/a.test.zone")" 1 "run 2: x.a.test's record joins it"
t_is "$(sort "$T/reloads.log" | tr '\n' ' ')" "a.test b.test d.test " "run 2: zones a.test, d.test and b.test (failed before) reloaded, not c.test"
run
t_is "$(wc -l <"$T/reloads.log")" 0 "run 3, nothing changed: no reload"

# run 4: d.test's domain file removed: its zone's file is written without
# its records and reloaded; other files there are no zones
echo "notes" >"$T/z/README"
: >"$T/z/Not_A_Zone.zone"
rm "$T/domains/d.test"
run
t_is "$(cat "$T/reloads.log")" "d.test" "run 4, d.test gone: zone d.test reloaded, nothing else"
t_is "$(grep -vc '^;' "$T/z/d.test.zone")" 0 "run 4: d.test's file without its records"
t_is "$(cat "$T/z/README"):$(wc -c <"$T/z/Not_A_Zone.zone")" "notes:0" "run 4: the other files are left alone"

# one file for every zone: the head says how to get one per zone
conf "$T/z/all.zone" "$T/reload"
run
t_is "$(wc -l <"$T/reloads.log"):$(cat "$T/reloads.log")" "1:" "one file: reload run once, without a zone"
t_like "$(sed -n 3,4p "$T/z/all.zone")" 'With several zones, set zonefile = \.\.\./%z\.zone: one file per zone' \
    "one file: the head says how to get one file per zone"
t_is "$(grep -c '^_smtp\._tls\.' "$T/z/all.zone")" 4 "one file: the four loaded domains' records (sub.a.test's file is broken and it had none here)"

t_done
