#!/bin/bash
# SPDX-License-Identifier: ISC
# The checker's messages about domain files (issue 10, point 5), exact:
# the domain is not printed twice; an error reached through an alias names
# the file it points to; a directory asked for by name is said to be one;
# max-age 0 in enforce is warned about. Offline: -n, a resolver that
# does not answer.
. "$(dirname "$0")/lib/testlib.sh"

CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"
t_init checker-messages
t_plan 7

D=$T/domains
mkdir -p "$D" "$T/certs"
printf 'mode = testing\n' >"$D/a.example"
printf 'mode = enforcing\n' >"$D/b.example"
ln -s b.example "$D/c.example"
printf 'mode = enforce\nmx = mx.d.example\nmax-age = 0\n' >"$D/d.example"
mkdir "$D/e.example"
cat >"$T/mta-sts.conf" <<CONF
domains = $D
certs = $T/certs
state = $T/state
publish = none
resolver = 127.0.0.1:$(t_free_port)
timeout = 1
CONF

out=$("$CHECK" -n -c "$T/mta-sts.conf" a.example b.example c.example 2>&1)
t_like "$out" "(^|"$'\n'")a\\.example: error: mode testing needs mx patterns; no mx set and no usable names in $T/certs(\$|"$'\n'")" \
    "the domain is named once: 'a.example: error: mode testing ...'" || t_diag "$out"
t_unlike "$out" 'a\.example: error: a\.example:' "never 'a.example: error: a.example: ...'"
t_like "$out" "(^|"$'\n'")b\\.example: error: $D/b\\.example:1: mode 'enforcing' is not valid \\(did you mean 'enforce'\\? expected none, testing or enforce\\)(\$|"$'\n'")" \
    "a domain file error: file:line and did you mean"
t_like "$out" "(^|"$'\n'")c\\.example: error: $D/b\\.example:1: mode 'enforcing' is not valid \\(did you mean 'enforce'\\? expected none, testing or enforce\\) \\(through the alias $D/c\\.example\\)(\$|"$'\n'")" \
    "through an alias: the file it points to is named" || t_diag "$out"

out=$("$CHECK" -n -c "$T/mta-sts.conf" e.example 2>&1)
t_is "$out" "mta-sts-check: unknown domain e.example: $D/e.example is a directory, not a domain file" \
    "a directory asked for by name: said to be one"
out=$("$CHECK" -n -c "$T/mta-sts.conf" nope.example 2>&1)
t_is "$out" "mta-sts-check: unknown domain nope.example: no file for it in $D" \
    "a domain without a file: unknown"

out=$("$CHECK" -n -c "$T/mta-sts.conf" d.example 2>&1)
t_like "$out" "(^|"$'\n'")d\\.example: warning: max-age 0 with mode enforce: senders keep the policy for no time, so it protects no delivery; set max-age to days or weeks \\(e\\.g\\. 1w\\)(\$|"$'\n'")" \
    "max-age 0 in enforce: warned" || t_diag "$out"
t_done
