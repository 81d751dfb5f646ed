#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-check's memory does not grow with what the domains found: each
# domain's findings are folded (text) or written out (the other formats)
# as it ends, and only a compact state stays per domain. Measured with
# /usr/bin/time -v in a network namespace whose Knot serves none of the
# domains' zones (every lookup REFUSED at once), so that every domain ends
# quickly with errors (six findings each): a run over 200 domains and
# one over 5,000, -j 1 (with more threads, malloc's arenas add noise);
# the growth per domain between the two must stay at or under
# MEM_PER_DOMAIN bytes. Measured here: about 180 (text) to 200 (json)
# bytes per domain, the struct job (184) and the name; before, with the
# policy and state in every job and the findings kept until the end, 800
# (text) to 880 (json).
. "$(dirname "$0")/lib/testlib.sh"
. "$(dirname "$0")/lib/netns.sh"

MEM_PER_DOMAIN=400
SMALL=200
LARGE=${MEM_LARGE:-5000}

ns_init checker-memory
if ldd "$NS_CHECKER" 2>/dev/null | grep -q libasan; then
	t_skip_all "the checker is an ASan build (make SANITIZE=1): its shadow memory is no measure"
fi
[ -x /usr/bin/time ] || t_skip_all "no /usr/bin/time (Debian package time)"

# Knot alone (netns.sh's ns_start would start the web and SMTP servers
# too, which these domains never reach)
# shellcheck disable=SC2034 # netns.sh's _ns_knot_conf reads it
NS_TSIG_SECRET=$(openssl rand -base64 32)
ns_zone example.test < <(printf 'ns1\tA\t127.0.0.1\nmx1\tA\t127.0.0.2\n')
_ns_knot_conf >"$T/knot/knot.conf"
t_ok "Knot serves example.test only, in $NS" ns_knot_start || { t_done; exit; }

# domains N: $T/dN, N empty domain files under gone.test (not served)
domains() {
	mkdir -p "$T/d$1/domains" &&
	(cd "$T/d$1/domains" && seq -f 'd%05g.gone.test' 1 "$1" | xargs touch) &&
	cat >"$T/d$1/mta-sts.conf" <<EOF
domains = $T/d$1/domains
certs = $NS_CHECK/certs
state = $T/state$1
mx = mx1.example.test
resolver = 127.0.0.1
timeout = 3
EOF
}
t_ok "$SMALL and $LARGE domain files" eval "domains $SMALL && domains $LARGE"

# rss N FORMAT: RSS, the peak RSS (KiB) of a run over N domains; RC its exit status
rss() {
	RC=0
	ns_exec /usr/bin/time -v -o "$T/time.$1.$2" "$NS_CHECKER" -c "$T/d$1/mta-sts.conf" \
	    -j 1 --format "$2" -o "$T/out.$1.$2" >"$T/stdout.$1.$2" 2>&1 || RC=$?
	RSS=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time.$1.$2")
}

for f in ${MEM_FORMATS:-text json}; do
	rss "$SMALL" "$f"
	small=$RSS rc_small=$RC
	rss "$LARGE" "$f"
	large=$RSS rc_large=$RC
	t_is "$rc_small:$rc_large" "2:2" "--format $f: every domain has errors (exit 2 twice)" ||
	    t_diag "$(head -n 5 "$T/stdout.$LARGE.$f" "$T/out.$LARGE.$f")"
	per=$(( (${large:-0} - ${small:-0}) * 1024 / (LARGE - SMALL) ))
	t_ok "--format $f: $per bytes more per domain from $SMALL ($small KiB) to $LARGE domains ($large KiB), at most $MEM_PER_DOMAIN" \
	    test -n "$small" -a -n "$large" -a "$per" -le "$MEM_PER_DOMAIN"
done
# the report is whole all the same
t_is "$(grep -o '"domain":"d[0-9]*\.gone\.test","status":"error"' "$T/out.$LARGE.json" | wc -l)" "$LARGE" \
    "json: all $LARGE domains are in the report, each with status error"
t_like "$(tail -n 1 "$T/out.$LARGE.text")" "^$LARGE domains: 0 ok, 0 with warnings, $LARGE with errors; 0 ids published\$" \
    "text: the summary counts all $LARGE domains"

t_done
