#!/bin/bash
# SPDX-License-Identifier: ISC
# The man pages: mandoc -Tlint -Wwarning clean; each program's usage
# (prog -h) is its SYNOPSIS word for word; every option letter the program
# accepts and every configuration key the parser knows is documented.
. "$(dirname "$0")/lib/testlib.sh"

t_init man
command -v mandoc >/dev/null 2>&1 || t_skip_all "mandoc is not installed"
t_plan 15

# ---- lint --------------------------------------------------------------------
for page in shared/mta-sts.conf.5 fcgi/mta-sts-fcgi.8 checker/mta-sts-check.8 \
    resolver/mta-sts-resolve.8; do
	out=$(mandoc -Tlint -Wwarning "$T_TOP/$page" 2>&1)
	st=$?
	t_is "$st:$out" "0:" "mandoc -Tlint -Wwarning $page"
done

# ---- usage() against SYNOPSIS ------------------------------------------------

# synopsis PAGE: the SYNOPSIS section as text, one usage form per line,
# white space squeezed.
synopsis() {
	mandoc -Tascii -O width=400 "$1" | sed 's/.\x08//g' |
	    sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' |
	    sed 's/^[[:space:]]*//; s/[[:space:]][[:space:]]*/ /g; /^$/d'
}

# usage_of PROG: what PROG -h prints, "usage:" dropped, same squeezing.
usage_of() {
	"$1" -h 2>&1 | sed 's/^usage://; s/^[[:space:]]*//; s/[[:space:]][[:space:]]*/ /g; s/ $//; /^$/d'
}

# join continuation lines: a line that does not begin with the program's
# name continues the one before.
forms() {
	awk -v p="$1" '
	    index($0, p " ") == 1 || $0 == p { if (l != "") print l; l = $0; next }
	    { l = l " " $0 }
	    END { if (l != "") print l }'
}

for prog in fcgi/mta-sts-fcgi checker/mta-sts-check resolver/mta-sts-resolve; do
	name=${prog#*/}
	page=$T_TOP/$prog.8
	if [ ! -x "$T_TOP/$prog" ]; then
		t_skip 3 "$prog is not built"
		continue
	fi
	want=$(synopsis "$page" | forms "$name")
	got=$(usage_of "$T_TOP/$prog" | forms "$name")
	t_is "$got" "$want" \
	    "$name -h matches the SYNOPSIS of $name(8)"

	# every option letter of getopt is documented as ".It Fl X"
	opts=$(grep -ho 'getopt[_a-z]*([^"]*"[^"]*"' "$T_TOP/${prog%/*}"/*.c |
	    sed 's/.*"\(.*\)"/\1/' | tr -d ':+-' | fold -w1 | sort -u)
	missing=
	for o in $opts; do
		grep -q "^\.It Fl $o\\b" "$page" || missing="$missing -$o"
	done
	t_isnt "$opts" "" "$name: its getopt letters were found"
	t_is "$missing" "" "$name(8) documents every option letter"
done

# ---- configuration keys --------------------------------------------------------
keys=$(sed -n 's/^[[:space:]]*\[[A-Z]*\][[:space:]]*=[[:space:]]*{ "\([a-z-]*\)", K_.*/\1/p' "$T_TOP/shared/conf_keys.c")
missing=
for k in $keys; do
	grep -q "^\.It Cm $k = " "$T_TOP/shared/mta-sts.conf.5" || missing="$missing $k"
done
t_like "$(echo $keys | wc -w)" '^[1-9][0-9]+$' "the configuration keys were found in shared/conf_keys.c"
t_is "$missing" "" "mta-sts.conf(5) documents every key"
t_done
