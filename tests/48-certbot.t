#!/bin/bash
# SPDX-License-Identifier: ISC
# certbot and the mail servers' certificates, with a certbot-shaped tree
# made here: live/NAME/{cert,chain,fullchain,privkey}.pem symlinks into
# archive/NAME/, live/ and archive/ mode 0700, privkey 0600.
#
# - deploy/certbot/mta-sts-deploy-hook (run by certbot with RENEWED_LINEAGE
#   and RENEWED_DOMAINS) copies the MX lineages' fullchain.pem, and nothing
#   else, into the responder's directory, atomically, readable by it;
# - the responder run as an unprivileged user (as www-data would) names the
#   directory it cannot read and says "Permission denied" (issue 10 #4),
#   for a glob, a directory and one file;
# - a web-site certificate beside the MX certificates never widens an
#   enforce policy with the documented certs settings (issue 11 #3).
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
HOOK=$T_TOP/deploy/certbot/mta-sts-deploy-hook
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
command -v openssl >/dev/null || t_skip_all "no openssl"
[ "$(id -u)" = 0 ] || t_skip_all "needs root to drop privileges to nobody (setpriv)"
command -v setpriv >/dev/null || t_skip_all "no setpriv"
t_init 48-certbot
t_plan 30

AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
getent group nogroup >/dev/null || AS=(setpriv --reuid=nobody --regid=nobody --clear-groups)

chmod 0755 "$T" "$T_TOP/tests/tmp"
"${AS[@]}" test -x "$T" || t_skip_all "nobody cannot reach $T: make its parent directories searchable (chmod a+x)"
le=$T/letsencrypt
mkdir -p "$T/ca" "$le/live" "$le/archive" "$T/domains"
t_ca "$T/ca" || { echo "Bail out! no test CA"; exit 255; }

# lineage NAME N DNS...: archive/NAME/*N.pem, live/NAME/*.pem -> them
lineage() {
	local name=$1 n=$2 f
	shift 2
	t_cert "$T/ca" "$name.$n" "$@" || return 1
	mkdir -p "$le/archive/$name" "$le/live/$name"
	cp "$T/ca/$name.$n.pem" "$le/archive/$name/cert$n.pem"
	cp "$T/ca/ca.pem" "$le/archive/$name/chain$n.pem"
	cp "$T/ca/$name.$n.fullchain.pem" "$le/archive/$name/fullchain$n.pem"
	cp "$T/ca/$name.$n.key" "$le/archive/$name/privkey$n.pem"
	chmod 0600 "$le/archive/$name/privkey$n.pem"
	for f in cert chain fullchain privkey; do
		ln -sfn "../../archive/$name/$f$n.pem" "$le/live/$name/$f.pem"
	done
}
lineage mx1.example.com 1 mx1.example.com &&
lineage mx2.example.com 1 mx2.example.com &&
lineage www.customer-a.com 1 www.customer-a.com customer-a.com ||
	{ echo "Bail out! cannot make the certbot tree"; exit 255; }
chmod 0700 "$le/live" "$le/archive"

# ---- the deploy hook ----------------------------------------------------------

out=$T/mta-sts/certs
hook() {
	env -i PATH=/usr/bin:/bin MTA_STS_CERTS="$out" MTA_STS_LIVE="$le/live" "$@" \
	    sh "$HOOK" >"$T/hook.out" 2>&1
}

t_ok "the hook is executable" test -x "$HOOK"
t_ok "the hook parses as POSIX sh (dash -n)" dash -n "$HOOK"
if command -v shellcheck >/dev/null 2>&1; then
	t_ok "shellcheck -s sh: clean" shellcheck -s sh "$HOOK"
else
	t_skip 1 "no shellcheck"
fi

t_ok "MX lineage: the hook exits 0" hook RENEWED_LINEAGE="$le/live/mx1.example.com" \
    RENEWED_DOMAINS=mx1.example.com
t_ok "MX lineage: fullchain.pem copied" \
    cmp "$le/archive/mx1.example.com/fullchain1.pem" "$out/mx1.example.com.pem"
t_is "$(stat -c %a "$out" "$out/mx1.example.com.pem" | tr '\n' ' ')" "755 644 " \
    "the copy and its directory are readable by the responder"
t_ok "web lineage: the hook exits 0" hook RENEWED_LINEAGE="$le/live/www.customer-a.com" \
    RENEWED_DOMAINS="www.customer-a.com customer-a.com"
t_is "$(cat "$T/hook.out")" "" "web lineage: nothing said"
t_is "$(ls -A "$out" | tr '\n' ' ')" "mx1.example.com.pem " \
    "web lineage not copied; nothing but the MX certificate"

# A renewal: archive/*2.pem, live/ repointed. The copy is replaced by a
# rename (a new inode), never rewritten in place where a reader could
# see half a file.
ino=$(stat -c %i "$out/mx1.example.com.pem")
lineage mx1.example.com 2 mx1.example.com
chmod 0700 "$le/live" "$le/archive"
t_ok "renewal: the hook exits 0" hook RENEWED_LINEAGE="$le/live/mx1.example.com" \
    RENEWED_DOMAINS=mx1.example.com
t_ok "renewal: the new fullchain copied" \
    cmp "$le/archive/mx1.example.com/fullchain2.pem" "$out/mx1.example.com.pem"
t_isnt "$(stat -c %i "$out/mx1.example.com.pem")" "$ino" "renewal: replaced by rename (new inode)"

# Run by hand, without RENEWED_LINEAGE: every MX lineage in live/.
t_ok "by hand: the hook exits 0" hook
t_is "$(ls -A "$out" | tr '\n' ' ')" "mx1.example.com.pem mx2.example.com.pem " \
    "by hand: both MX lineages, not the web one, no temporary left"
t_is "$(grep -l 'PRIVATE KEY' "$out"/* "$out"/.[!.]* 2>/dev/null)" "" "no private key ever copied"
# The pattern is configurable.
rm "$out/mx1.example.com.pem"
t_ok "MTA_STS_LINEAGES='mx2.*': the hook exits 0" hook MTA_STS_LINEAGES='mx2.*' \
    RENEWED_LINEAGE="$le/live/mx1.example.com"
t_ok "MTA_STS_LINEAGES='mx2.*': mx1 not copied" test ! -e "$out/mx1.example.com.pem"
hook RENEWED_LINEAGE="$le/live/mx1.example.com"
# A lineage whose fullchain.pem holds a key is refused, not copied.
mkdir -p "$le/live/mx9.example.com"
cat "$le/archive/mx2.example.com/privkey1.pem" "$le/archive/mx2.example.com/fullchain1.pem" \
    >"$le/live/mx9.example.com/fullchain.pem"
hook RENEWED_LINEAGE="$le/live/mx9.example.com"
t_is "$?:$(cat "$T/hook.out")" \
    "1:mta-sts-deploy-hook: $le/live/mx9.example.com/fullchain.pem holds a private key; not copied" \
    "a fullchain.pem with a key in it: refused with a message"
t_ok "  and not copied" test ! -e "$out/mx9.example.com.pem"
rm -r "$le/live/mx9.example.com"

# ---- the responder, as an unprivileged user ---------------------------------

printf 'mode = enforce\nmax-age = 1d\n' >"$T/domains/example.com"
chmod 0755 "$T" "$T/domains"
chmod 0644 "$T/domains/example.com"

# cgi CERTS: one CGI request for example.com as nobody with certs = CERTS;
# the answer in $T/cgi.out, the log in $T/cgi.err.
cgi() {
	printf 'domains = %s/domains\ncerts = %s\n' "$T" "$1" >"$T/mta-sts.conf"
	chmod 0644 "$T/mta-sts.conf"
	env -i PATH=/usr/bin:/bin GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET \
	    HTTP_HOST=mta-sts.example.com REQUEST_URI=/.well-known/mta-sts.txt \
	    MTA_STS_CONF="$T/mta-sts.conf" "${AS[@]}" "$BIN" >"$T/cgi.out" 2>"$T/cgi.err"
}
mxlines() { tr -d '\r' <"$T/cgi.out" | sed -n 's/^mx: //p' | tr '\n' ' '; }

cgi "$out"
t_is "$(mxlines)" "mx1.example.com mx2.example.com " \
    "the hook's directory, read as nobody: the MX names only"

# certbot's own tree, as www-data would read it: live/ is 0700.
cgi "$le/live/mx*/fullchain.pem"
t_is "$(cat "$T/cgi.err")" \
    "mta-sts-fcgi: example.com: $le/live: Permission denied (certs = $le/live/mx*/fullchain.pem)" \
    "a glob under an unreadable live/: Permission denied, naming the directory"
cgi "$le/live"
t_is "$(cat "$T/cgi.err")" "mta-sts-fcgi: example.com: $le/live: Permission denied" \
    "an unreadable directory: Permission denied, naming it"
cgi "$le/live/mx1.example.com/fullchain.pem"
t_is "$(cat "$T/cgi.err")" \
    "mta-sts-fcgi: example.com: $le/live: Permission denied (certs = $le/live/mx1.example.com/fullchain.pem)" \
    "one file under an unreadable live/: Permission denied, naming the directory"

# A glob that reads some directories and not another: the names it could
# read, and a warning naming the one it could not.
mkdir -p "$T/trees/a/mx1.example.com" "$T/trees/b/mx2.example.com"
cp "$le/archive/mx1.example.com/fullchain2.pem" "$T/trees/a/mx1.example.com/fullchain.pem"
cp "$le/archive/mx2.example.com/fullchain1.pem" "$T/trees/b/mx2.example.com/fullchain.pem"
chmod -R a+rX "$T/trees"
chmod 0700 "$T/trees/a"
cgi "$T/trees/*/mx*/fullchain.pem"
t_is "$(mxlines)" "mx2.example.com " "a glob over a readable and an unreadable directory: what it could read"
t_is "$(cat "$T/cgi.err")" \
    "mta-sts-fcgi: $T/trees/a: Permission denied, its files skipped (certs = $T/trees/*/mx*/fullchain.pem)" \
    "  and a warning naming the directory it could not"

# ---- a web-site certificate beside the MX certificates ----------------------

# With live/ and archive/ readable (the responder in a group that may read
# them), each documented certs setting still gives the MX names only.
chmod 0755 "$le/live" "$le/archive"
docs=$(cat "$T_TOP/README.md" "$T_TOP/shared/mta-sts.conf.5" "$T_TOP/deploy/mta-sts.conf.example" |
    sed -n 's/^#*certs *= *\(\/etc\/letsencrypt\/[^ ]*\).*/\1/p' | sort -u)
t_like "$docs" 'live/mx' "the documentation names certbot's MX lineages (${docs//$'\n'/, })"
t_unlike "$docs" 'live/\*' "  never live/*/"
bad=
for d in $docs; do
	cgi "${d/\/etc\/letsencrypt/$le}"
	[ "$(mxlines)" = "mx1.example.com mx2.example.com " ] || bad="$bad $d: $(mxlines);"
done
t_is "$bad" "" "every documented certs setting: the MX names only, no customer name"
cgi "$le/live/*/fullchain.pem"
t_is "$(mxlines)" "customer-a.com mx1.example.com mx2.example.com www.customer-a.com " \
    "live/*/ would widen it (why the documentation does not say so)"
# Configured so: an explicit mx list is the policy, certificates or not.
printf 'mode = enforce\nmax-age = 1d\nmx = mx1.example.com\n' >"$T/domains/example.com"
cgi "$le/live/*/fullchain.pem"
t_is "$(mxlines)" "mx1.example.com " "an explicit mx list: only what it names"
t_done
