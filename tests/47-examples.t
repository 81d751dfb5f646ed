#!/bin/bash
# SPDX-License-Identifier: ISC
# The shipped example configuration means what its comments say:
# deploy/mta-sts.conf.example with deploy/domains.example/ (only the
# domains and certs paths filled in), and the shared-hosting mta-sts.conf,
# give the expected policies (mta-sts-check policy).
. "$(dirname "$0")/lib/testlib.sh"

t_init examples
CHECK=$T_TOP/checker/mta-sts-check
[ -x "$CHECK" ] || t_skip_all "checker/mta-sts-check is not built (make)"
t_plan 7

# The mail server's certificate: mx1 and mx2, plus a web name left out.
t_ca "$T/ca" && mkdir -p "$T/certs" &&
t_cert "$T/ca" mx mx1.example.net mx2.example.net mta-sts.example.net &&
cp "$T/ca/mx.fullchain.pem" "$T/certs/" || { echo "Bail out! no test certificate"; exit 255; }

sed -e "s|^domains = /etc/mta-sts/domains\$|domains = $T_TOP/deploy/domains.example|" \
    -e "s|^certs = /etc/mta-sts/certs\$|certs = $T/certs|" \
    "$T_TOP/deploy/mta-sts.conf.example" >"$T/mta-sts.conf"
t_is "$(diff "$T_TOP/deploy/mta-sts.conf.example" "$T/mta-sts.conf" | grep -c '^>')" 2 \
    "only domains and certs changed in the example"

policy() {
	local out
	out=$("$CHECK" -c "$1" policy "$2" 2>&1; echo "rc=$?")
	printf '%s' "$out" | tr -d '\r' | tr '\n' ' '
}

t_is "$(policy "$T/mta-sts.conf" example.com)" \
    "version: STSv1 mode: enforce mx: mx1.example.com mx: mx2.example.com max_age: 604800 rc=0" \
    "example.com: its own mode and mx, max-age from the global file"
t_is "$(policy "$T/mta-sts.conf" example.org)" "$(policy "$T/mta-sts.conf" example.com)" \
    "example.org, a symbolic link, is an alias of example.com"
t_is "$(policy "$T/mta-sts.conf" example.net)" \
    "version: STSv1 mode: testing mx: mx1.example.net mx: mx2.example.net max_age: 86400 rc=0" \
    "example.net: mx from the certificates, mta-sts.* left out, max-age 1d"
t_is "$(policy "$T/mta-sts.conf" xn--bcher-kva.example)" \
    "version: STSv1 mode: enforce mx: mx.xn--bcher-kva.example max_age: 604800 rc=0" \
    "the IDN domain file is served as A-labels"

# Shared hosting: the kit's file unchanged, domains/ beside it.
mkdir -p "$T/sh/domains" && cp "$T_TOP/deploy/shared-hosting/mta-sts.conf" "$T/sh/" &&
: >"$T/sh/domains/example.com"
t_is "$(policy "$T/sh/mta-sts.conf" example.com)" \
    "version: STSv1 mode: testing mx: mx1.provider.example mx: mx2.provider.example max_age: 604800 rc=0" \
    "shared hosting: an empty domain file takes everything from mta-sts.conf"
t_like "$(cd / && policy "$T/sh/mta-sts.conf" example.org)" 'rc=[1-9]' \
    "shared hosting: a domain without a file is not served"
t_done
