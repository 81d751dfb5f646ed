#!/bin/bash
# SPDX-License-Identifier: ISC
# The checker's state directory is its own (issue 10, point 3): a run that
# would write refuses a directory of another user (naming the command to
# run instead) or one holding files it did not write, before it makes
# anything there; -n and records only read, without the lock, and work for
# a user who cannot write the directory. --json is refused where there is
# no JSON output.
. "$(dirname "$0")/lib/testlib.sh"

CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"
[ "$(id -u)" = 0 ] || t_skip_all "needs root (directories of another user)"
command -v setpriv >/dev/null || t_skip_all "no setpriv"
getent passwd nobody >/dev/null || t_skip_all "no user nobody"
t_init checker-state
t_plan 14
chmod 0755 "$T" "$T_TOP/tests/tmp"

mkdir -p "$T/domains"
printf 'mode = enforce\nmx = mx.example.com\n' >"$T/domains/example.com"
port=$(t_free_port)
cat >"$T/mta-sts.conf" <<CONF
domains = $T/domains
state = $T/state
publish = none
resolver = 127.0.0.1:$port
timeout = 1
CONF
chmod -R a+rX "$T"

# ---- root against a directory of nobody --------------------------------------
mkdir "$T/state" && chown nobody "$T/state"
st=0
out=$("$CHECK" -c "$T/mta-sts.conf" example.com 2>&1) || st=$?
t_isnt "$st" 0 "root, state of nobody: refused"
t_like "$out" "mta-sts-check: $T/state belongs to user nobody, not to root who runs mta-sts-check: run it as nobody instead: sudo -u nobody mta-sts-check -c $T/mta-sts.conf example.com" \
    "... naming the command to run instead" || t_diag "$out"
t_is "$(ls -A "$T/state")" "" "... and leaving no file behind (not even the lock)"

# ---- a directory holding a file the checker did not write --------------------
chown root "$T/state"
printf 'SQLite format 3\0' >"$T/state/cache.db"
st=0
out=$("$CHECK" -c "$T/mta-sts.conf" example.com 2>&1) || st=$?
t_isnt "$st" 0 "a file not ours: refused"
t_like "$out" "mta-sts-check: $T/state holds cache.db, which mta-sts-check did not write: it is not its state directory \\(another program's\\? postfix-mta-sts-resolver keeps its cache.db in /var/lib/mta-sts\\); set state = to a directory of its own, e.g. /var/lib/mtasts" \
    "... saying whose it may be and what to do" || t_diag "$out"
t_is "$(ls -A "$T/state")" "cache.db" "... and leaving no file behind"
rm "$T/state/cache.db"

# ---- a state file of another user in our directory ---------------------------
printf 'mta-sts-check-state 1\ndomain example.com\n' >"$T/state/example.com"
chown nobody "$T/state/example.com"
st=0
out=$("$CHECK" -c "$T/mta-sts.conf" example.com 2>&1) || st=$?
t_like "$out" "mta-sts-check: $T/state/example.com belongs to user nobody, not to root who runs mta-sts-check \\(left by a run as nobody\\?\\): chown root $T/state/example.com" \
    "a state file of another user: refused, with the chown to run" || t_diag "$out"
rm "$T/state/example.com"

# ---- read-only commands for a user who cannot write the directory ------------
cat >"$T/state/example.com" <<STATE
mta-sts-check-state 1
domain example.com
digest 0000000000000000000000000000000000000000000000000000000000000000
id 20261101000000
since 1793491200
published 1
prev-id
pub-id 20261101000000
end
STATE
chmod 0755 "$T/state"; chmod 0644 "$T/state/example.com"
before=$(ls -lA --time-style=+%s.%N "$T/state")
AS=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups)
st=0
out=$("${AS[@]}" "$CHECK" -c "$T/mta-sts.conf" records example.com 2>&1) || st=$?
t_is "$st" 0 "records as a user who cannot write the state: exit 0" || t_diag "$out"
t_like "$out" '_mta-sts\.example\.com\..*"v=STSv1; id=20261101000000"' "records: the id from the state"
st=0
out=$("${AS[@]}" "$CHECK" -n -c "$T/mta-sts.conf" example.com 2>&1) || st=$?
t_unlike "$out" 'lock|Permission denied|belongs to' "-n as a user who cannot write the state: no lock, no refusal" ||
	t_diag "$out"
t_like "$out" 'example\.com' "-n: reports on the domain"
t_is "$(ls -lA --time-style=+%s.%N "$T/state")" "$before" "-n and records changed nothing in the state directory"

# ---- --json only where there is JSON -----------------------------------------
st=0
out=$("$CHECK" -c "$T/mta-sts.conf" --json records 2>&1) || st=$?
t_like "$st $out" "^3 mta-sts-check: --json: records has no JSON output \\(only the check and probe do\\)" \
    "--json records: an error, not ignored"
st=0
out=$("$CHECK" -c "$T/mta-sts.conf" policy --json example.com 2>&1) || st=$?
t_like "$st $out" "^3 mta-sts-check: --json: policy has no JSON output" "policy --json: an error too"
t_done
