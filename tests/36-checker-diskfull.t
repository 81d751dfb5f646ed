#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check with its state directory on a full file system (a small
# tmpfs, mounted in the test's own mount namespace so it never leaks):
# a run that must write state (a changed policy, a new domain) fails with
# an error naming the state file and exit 2; the old state is intact and
# reads, no temporary file is left behind, nothing is published for the
# id that was not saved, the other domain is still checked. Once space
# is freed the next run gives the new ids and publishes them.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

[ "$(id -u)" = 0 ] || t_skip_all "needs root to mount a tmpfs"
command -v unshare >/dev/null 2>&1 || t_skip_all "unshare not installed"
# the whole test in a private mount namespace: the tmpfs dies with it
if [ -z "${_DISKFULL_NS:-}" ]; then
	# shellcheck disable=SC2093 # exec fails only when unshare cannot run
	_DISKFULL_NS=1 exec unshare --mount --propagation private "$BASH" "$0" "$@"
	t_skip_all "unshare --mount failed"
fi

ns_init checker-diskfull
FS=$T/statefs
STATE=$FS/state
_df_cleanup() {
	umount "$FS" 2>/dev/null
	_ns_cleanup
}
trap '_df_cleanup' EXIT
trap '_df_cleanup; exit 130' INT
trap '_df_cleanup; exit 143' TERM
trap '_df_cleanup; exit 129' HUP
mkdir -p "$FS" || exit 255
mount -t tmpfs -o size=256k,mode=0700 mtasts-diskfull "$FS" ||
    t_skip_all "cannot mount a tmpfs on $FS"

# a copy: other builds in this tree must not swap the binary mid-test
mkdir -p "$T/bin" && cp "$NS_CHECKER" "$T/bin/mta-sts-check" || exit 255
NS_CHECKER=$T/bin/mta-sts-check

ns_domain a.test
ns_domain b.test
ns_domain c.test
ns_checker_conf
sed -i "s|^state = .*|state = $STATE|" "$NS_CHECK/mta-sts.conf"
# c.test comes later, while the disk is full
mv "$NS_CHECK/domains/c.test" "$T/c.test.later"
t_ok "environment: Knot, lighttpd + responder, smtpd in $NS" ns_start ||
    { echo "Bail out! no environment"; exit 255; }

# a checksum of the state files (names, modes, contents), lock left out
state_sum() {
	(cd "$STATE" && find . -type f ! -name lock -printf '%p %m\n' \
	    -exec sha256sum {} \; | sort | sha256sum)
}
state_get() {
	sed -n "s/^$2 //p" "$STATE/$1" 2>/dev/null
}
fill() {
	dd if=/dev/zero of="$FS/fill" bs=4k 2>/dev/null
	sync
	[ "$(df --output=avail "$FS" | tail -n 1 | tr -d ' ')" -eq 0 ]
}

ns_check -q
t_is "$CHK_RC" 0 "first run with the state on the tmpfs: exit 0" || t_diag "$CHK_OUT"
id_a=$(ns_sts_id a.test)
id_b=$(ns_sts_id b.test)
t_like "$id_a $id_b" '^[0-9]{14} [0-9]{14}$' "both ids published"

# ---- a changed policy, the disk full ---------------------------------------

sleep 1		# a new id is a later second
ns_domain_file a.test "max-age = 2d"
# serve_now DOMAIN: the responder gets the checker's domain file
serve_now() {
	cp "$NS_CHECK/domains/$1" "$NS_SERVE/domains/$1" &&
	chmod 644 "$NS_SERVE/domains/$1" && ns_wait_served "$1"
}
t_ok "the changed policy is served" serve_now a.test
t_ok "the file system is full" fill
before=$(state_sum)
ns_check -q
t_is "$CHK_RC" 2 "disk full, a state to write: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "$STATE/a\\.test: ([Nn]o space|ENOSPC)" \
    "the error names the state file and says the disk is full"
t_like "$CHK_OUT" 'nothing published' "and says nothing was published"
t_unlike "$CHK_OUT" 'b\.test' "b.test (nothing to write) has nothing to say"
t_is "$(state_sum)" "$before" "the old state is intact"
t_is "$(find "$STATE" -name '.*' -type f | wc -l)" 0 "no temporary file left behind"
out=$(ns_exec "$NS_CHECKER" -c "$NS_CHECK/mta-sts.conf" records 2>&1) && rst=0 || rst=$?
t_is "$rst" 0 "the state reads (records: exit 0)" || t_diag "$out"
t_unlike "$out" 'damaged' "no damaged state"
t_is "$(state_get a.test id)" "$id_a" "the state keeps the old id"
t_is "$(ns_sts_id a.test)" "$id_a" "nothing published for an id not saved"
t_is "$(ns_sts_id b.test)" "$id_b" "b.test's id unchanged"

# a new domain: no state yet, none can be written
mv "$T/c.test.later" "$NS_CHECK/domains/c.test"
t_ok "c.test served" serve_now c.test
before=$(state_sum)
ns_check -q c.test
t_is "$CHK_RC" 2 "disk full, a new domain: exit 2" || t_diag "$CHK_OUT"
t_like "$CHK_OUT" "$STATE/c\\.test: ([Nn]o space|ENOSPC)" \
    "the error names c.test's state file"
t_is "$(state_sum)" "$before" "the state directory unchanged"
t_ok "no state file for c.test" test ! -e "$STATE/c.test"
t_is "$(ns_sts_id c.test)" "" "nothing published for c.test"

# ---- space again ---------------------------------------------------------------

rm -f "$FS/fill"
ns_check -q
t_is "$CHK_RC" 0 "space freed: the next run recovers, exit 0" || t_diag "$CHK_OUT"
new_a=$(state_get a.test id)
t_like "$new_a" '^[0-9]{14}$' "a.test got a new id"
t_ok "later than the old one ($new_a > $id_a)" test "$new_a" -gt "$id_a"
t_is "$(ns_sts_id a.test)" "$new_a" "and it is published"
t_is "$(state_get a.test digest)" \
    "$(ns_fetch a.test | sha256sum | cut -d' ' -f1)" "for the policy served"
t_is "$(ns_sts_id c.test)" "$(state_get c.test id)" "c.test's id published"
t_is "$(ns_sts_id b.test)" "$id_b" "b.test's id unchanged"
ns_check -q
t_is "$CHK_RC" 0 "and the run after is quiet" || t_diag "$CHK_OUT"

umount "$FS" || t_diag "cannot unmount $FS"
t_done
