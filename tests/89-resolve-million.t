#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-resolve with 1,000,000 cached policies (issue 16: "at least
# 1,000,000 entries"): a cache file of a million enforce policies
# (tests/helpers/cachegen), the daemon started on it, sampled domains
# answered exactly from the cache (first, middle, last; show of one; one
# that is not there), its start-up time and memory recorded. Bounds:
# loaded within 30 s (generous: a loaded 2-core machine; the speed figure
# is bench/resolve's); resident once loaded at most 352 MiB (264 MiB
# measured, some 280 bytes a policy: a third more fails, such as the file's
# 122 MiB kept in memory), and the same at the peak (the file is read a
# chunk at a time, never whole: 385 MiB at the peak before). An ASan build
# (make SANITIZE=1) skips the memory bounds (its shadow memory is not ours)
# and is given 90 s to start (19 s measured at load 15).
# No DNS server listens: nothing here waits on the network.
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/resolve.sh"

GEN=$T_TOP/tests/helpers/cachegen
N=1000000
[ -x "$RESOLVE" ] || t_skip_all "no $RESOLVE: run make first"
[ -x "$GEN" ] || t_skip_all "no $GEN: run make all-tests first"
ASAN=
ldd "$RESOLVE" 2>/dev/null | grep -q libasan && ASAN=1
LIMIT=30
[ -n "$ASAN" ] && LIMIT=90
t_init resolve-million
rs_setup "$(t_free_port)"	# nothing listens on that DNS port

now=$(date +%s)
fetched=$((now - 100))
t_ok "a cache file of $N policies" "$GEN" "$T/cache/cache" -n "$N" "$fetched"
t_is "$(wc -l <"$T/cache/cache")" "$((N + 1))" "  $N records and the header"
t_diag "cache file: $(du -m "$T/cache/cache" | cut -f1) MiB"
[ "$(id -u)" = 0 ] && chown nobody "$T/cache/cache"

# shellcheck disable=SC2086
"$RESOLVE" -c "$T/resolve.conf" $USER_OPT >"$T/resolve.log" 2>&1 &
RPID=$!
t_bg "$RPID"
i=0
while ! grep -q 'started:' "$T/resolve.log" && kill -0 "$RPID" 2>/dev/null &&
    [ "$i" -lt $((LIMIT * 20)) ]; do
	sleep 0.1
	i=$((i + 1))
done
log=$(cat "$T/resolve.log")
t_like "$log" "started: $N policies loaded from $T/cache/cache in [0-9.]+ s" \
    "the daemon loads all $N policies"
secs=$(printf '%s\n' "$log" | sed -n 's/.* loaded from .* in \([0-9.]*\) s;.*/\1/p')
t_diag "start-up: $N policies loaded in ${secs:-?} s (load average $(cut -d' ' -f1 /proc/loadavg))"
t_ok "  within $LIMIT s (${secs:-?} s)" awk -v s="${secs:-999}" -v l="$LIMIT" 'BEGIN { exit !(s <= l) }'
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RPID/status" 2>/dev/null)
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$RPID/status" 2>/dev/null)
t_diag "memory: VmRSS $((${rss:-0} / 1024)) MiB once loaded, VmHWM $((${hwm:-0} / 1024)) MiB at the peak"
if [ -n "$ASAN" ]; then
	t_skip 2 "an ASan build: memory bounds not checked"
else
	t_ok "  resident once loaded: $((${rss:-0} / 1024)) MiB <= 352 MiB" \
	    test "${rss:-999999999}" -le $((352 * 1024))
	t_ok "  peak: $((${hwm:-0} / 1024)) MiB <= 352 MiB" \
	    test "${hwm:-999999999}" -le $((352 * 1024))
fi

# ---- sampled domains, exactly, from the cache ----------------------------------
want() {	# the answer for policy number $1
	printf 'OK secure match=mx1.d%07d.test:a.mx.d%07d.test servername=hostname' "$1" "$1"
}
t_is "$($SM "$SOCK" ask 'mta-sts d0000000.test' 'mta-sts d0500000.test' 'mta-sts D0999999.TEST.')" \
    "$(want 0)
$(want 500000)
$(want 999999)" "the first, the middle and the last policy answered from the cache"
t_is "$($SM "$SOCK" ask 'ctl-show d0123456.test')" \
    "OK domain=d0123456.test id=id123456 mode=enforce max_age=604800 fetched=$fetched expires=$((fetched + 604800)) mx=mx1.d0123456.test:*.mx.d0123456.test match=mx1.d0123456.test:a.mx.d0123456.test last=sts checked=$fetched" \
    "show d0123456.test: the entry as written"
t_is "$($SM "$SOCK" ask 'ctl-show d1000000.test')" "NOTFOUND " "one past the last: not in the cache"
out=$($SM "$SOCK" time 'mta-sts d0765432.test')
ms=${out##*	}
t_is "${out%%	*}" "$(want 765432)" "another one"
t_ok "  at once (${ms} ms)" awk -v m="$ms" 'BEGIN { exit !(m < 200) }'
t_ok "the daemon is still there" kill -0 "$RPID"
t_stop "$RPID"
t_like "$(cat "$T/resolve.log")" 'stopping' "  and stops on SIGTERM"
t_done
