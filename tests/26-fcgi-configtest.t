#!/bin/bash
# SPDX-License-Identifier: ISC
# mta-sts-fcgi -t (as nginx -t): the global file, every domain file and the
# certificates; every problem with file:line, then "N domains, E errors,
# W warnings"; exit 1 on any error. The shipped example passes; each
# mistake an operator made (issue 10, point 5) is named exactly.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v openssl >/dev/null || t_skip_all "no openssl"
t_init configtest
t_plan 16

t_ca "$T/ca" && mkdir -p "$T/certs" &&
t_cert "$T/ca" mx mx1.example.net mx2.example.net mta-sts.example.net &&
cp "$T/ca/mx.fullchain.pem" "$T/certs/" || { echo "Bail out! no test certificate"; exit 255; }

# The shipped example, only the domains and certs paths filled in.
sed -e "s|^domains = /etc/mta-sts/domains\$|domains = $T/domains|" \
    -e "s|^certs = /etc/mta-sts/certs\$|certs = $T/certs|" \
    "$T_TOP/deploy/mta-sts.conf.example" >"$T/mta-sts.conf"
cp -a "$T_TOP/deploy/domains.example" "$T/domains"
C=$T/mta-sts.conf
D=$T/domains
P="mta-sts-fcgi: "

# ct: run -t on $C; the output in $out, the exit status in $st.
ct() {
	st=0
	out=$("$BIN" -t -c "$C" 2>&1) || st=$?
}

ct
t_is "$st" 0 "the shipped example: exit 0"
t_is "$out" "${P}$C: 4 domains, 0 errors, 0 warnings: the configuration is good" \
    "the shipped example: only the summary"

# A typo'd mode in a domain file.
printf 'mode = enforcing\nmx = mx.example.com\n' >"$D/example.com"
ct
t_is "$st" 1 "mode = enforcing: exit 1"
t_is "$out" "${P}error: $D/example.com:1: mode 'enforcing' is not valid (did you mean 'enforce'? expected none, testing or enforce)
${P}error: $D/example.com:1: mode 'enforcing' is not valid (did you mean 'enforce'? expected none, testing or enforce) (through the alias $D/example.org)
${P}$C: 4 domains, 2 errors, 0 warnings" \
    "mode = enforcing: file:line, and the alias names the file it points to" ||
	t_diag "$out"
cp "$T_TOP/deploy/domains.example/example.com" "$D/example.com"

# A typo'd mode in the global file.
cp "$C" "$C.good"
sed -i 's/^mode = testing$/mode = Enforce/' "$C"
ct
t_is "$st" 1 "global mode = Enforce: exit 1"
t_like "$out" "^${P}error: $C:[0-9]+: mode 'Enforce' is not valid \\(did you mean 'enforce'\\?" \
    "global mode = Enforce: file:line and did you mean"
t_like "$out" "${P}$C: 0 domains, 1 errors, 0 warnings\$" "global broken: the summary"
mv "$C.good" "$C"

# Backup copies: warned, not taken as domains.
cp "$D/example.com" "$D/example.com.bak"
cp "$D/example.com" "$D/example.com~"
ct
t_is "$st" 0 "backup copies only: exit 0"
t_like "$out" "${P}warning: $D/example.com.bak: skipped: a backup or disabled copy \\('.bak'\\), not a domain file" \
    "a .bak file is warned about"
t_like "$out" "${P}$C: 4 domains, 0 errors, 2 warnings" "... and counted, not served"
rm -f "$D/example.com.bak" "$D/example.com~"

# A directory as a domain file.
mkdir "$D/example.info"
ct
t_like "$out" "${P}warning: $D/example.info: .*directory" "a directory among the domain files is named" ||
	t_diag "$out"
rmdir "$D/example.info"

# max-age 0 in enforce: a warning.
printf 'mode = enforce\nmx = mx.example.com\nmax-age = 0\n' >"$D/example.com"
ct
t_is "$st" 0 "max-age 0 in enforce: a warning, exit 0"
t_like "$out" "${P}warning: example.com: max-age 0 with mode enforce" "max-age 0 in enforce: warned" ||
	t_diag "$out"
cp "$T_TOP/deploy/domains.example/example.com" "$D/example.com"

# No certificate for a domain that takes its mx from them.
mv "$T/certs/mx.fullchain.pem" "$T/mx.pem"
ct
t_is "$st" 1 "no certificate: exit 1"
t_like "$out" "${P}error: example.net: mode testing needs mx patterns" "no certificate: the domain that needs one is named" ||
	t_diag "$out"
mv "$T/mx.pem" "$T/certs/mx.fullchain.pem"

# usage names -T for the threads
t_like "$("$BIN" -h)" '\[-T threads\]' "-h: threads are -T"
t_done
