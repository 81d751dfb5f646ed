#!/bin/bash
# SPDX-License-Identifier: ISC
# make install / make uninstall with DESTDIR and PREFIX: exactly the
# programs, the four man pages and the deploy kit, nothing outside
# DESTDIR, paths in the kit rewritten for PREFIX; the installed programs
# run; uninstall takes away all it put there.
. "$(dirname "$0")/lib/testlib.sh"

t_init install
for p in fcgi/mta-sts-fcgi checker/mta-sts-check resolver/mta-sts-resolve; do
	[ -x "$T_TOP/$p" ] || t_skip_all "$p is not built (make)"
done
t_plan 19

# The build is not this test's business (-o all): install what is built.
# mk LOG ARGS...: make ARGS, its output to LOG (shown when it fails).
mk() {
	local log=$1
	shift
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$T_TOP" -o all "$@" >"$log" 2>&1 ||
	    { t_diag "$(cat "$log")"; return 1; }
}

# What must be installed, from the source tree.
expected() {
	local prefix=$1
	{
		echo "$prefix/sbin/mta-sts-fcgi"
		echo "$prefix/sbin/mta-sts-check"
		echo "$prefix/sbin/mta-sts-resolve"
		echo "$prefix/libexec/mtasts/mta-sts-ingest"
		echo "$prefix/share/man/man5/mta-sts.conf.5"
		echo "$prefix/share/man/man8/mta-sts-fcgi.8"
		echo "$prefix/share/man/man8/mta-sts-check.8"
		echo "$prefix/share/man/man8/mta-sts-resolve.8"
		(cd "$T_TOP/deploy" && find mta-sts.conf.example apache bind certbot cron domains.example hooks knot \
		    lighttpd nginx postfix shared-hosting systemd ! -type d) |
		    sed "s|^|$prefix/share/doc/mtasts/|"
	} | sed 's|^/||' | LC_ALL=C sort
}

listing() {
	(cd "$1" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
}

root=$T/root
touch "$T/stamp"
sleep 1
t_ok "make install DESTDIR=... PREFIX=/usr" mk "$T/install.log" install DESTDIR="$root" PREFIX=/usr
t_is "$(listing "$root")" "$(expected /usr)" "exactly the programs, man pages and deploy kit"

# Nothing outside DESTDIR: no file of ours under /usr or /etc is newer than the stamp.
outside=$(find /usr /etc -xdev -newer "$T/stamp" \( -name '*mta-sts*' -o -name mtasts \) 2>/dev/null)
t_is "$outside" "" "nothing written outside DESTDIR"
t_ok "no /etc in DESTDIR either" test ! -e "$root/etc"

t_like "$("$root/usr/sbin/mta-sts-fcgi" -V 2>&1)" '[0-9]+\.[0-9]+' "installed mta-sts-fcgi -V"
t_like "$("$root/usr/sbin/mta-sts-check" -V 2>&1)" '[0-9]+\.[0-9]+' "installed mta-sts-check -V"
# ingest runs the helper installed with it (libexec/mtasts/mta-sts-ingest),
# which names the configuration it could not read; without the helper, 75
out=$("$root/usr/sbin/mta-sts-check" -c "$T/none.conf" ingest </dev/null 2>&1); rc=$?
t_is "$rc $out" "75 mta-sts-check: $T/none.conf: No such file or directory" \
    "installed ingest runs the installed mta-sts-ingest"
mv "$root/usr/libexec/mtasts/mta-sts-ingest" "$T/ingest.away"
out=$("$root/usr/sbin/mta-sts-check" -c "$T/none.conf" ingest </dev/null 2>&1); rc=$?
mv "$T/ingest.away" "$root/usr/libexec/mtasts/mta-sts-ingest"
t_is "$rc $out" "75 mta-sts-check: ingest needs $root/usr/sbin/mta-sts-ingest (or $root/usr/sbin/../libexec/mtasts/mta-sts-ingest), installed with it: No such file or directory; try again later" \
    "without the helper: EX_TEMPFAIL, and says where it looked"
t_like "$("$root/usr/sbin/mta-sts-resolve" -V 2>&1)" '[0-9]+\.[0-9]+' "installed mta-sts-resolve -V"
t_is "$(stat -c %a "$root/usr/sbin/mta-sts-fcgi" "$root/usr/share/man/man8/mta-sts-fcgi.8" | tr '\n' ' ')" \
    "755 644 " "modes: programs 0755, pages 0644"

# The kit and the pages name the PREFIX the programs are in.
t_is "$(grep -rl '/usr/local' "$root" 2>/dev/null)" "" "no /usr/local left anywhere with PREFIX=/usr"
t_like "$(cat "$root/usr/share/doc/mtasts/systemd/mta-sts-fcgi.service")" \
    'ExecStart=/usr/sbin/mta-sts-fcgi ' "the systemd unit runs /usr/sbin/mta-sts-fcgi"
t_is "$(readlink "$root/usr/share/doc/mtasts/domains.example/example.org")" example.com \
    "the alias example stays a symbolic link"
if command -v mandoc >/dev/null 2>&1; then
	t_is "$(mandoc -Tlint -Wwarning "$root"/usr/share/man/man*/* 2>&1)" "" "installed pages lint clean"
else
	t_skip 1 "mandoc is not installed"
fi

t_ok "make uninstall DESTDIR=... PREFIX=/usr" mk "$T/uninstall.log" uninstall DESTDIR="$root" PREFIX=/usr
t_is "$(listing "$root")" "" "uninstall removes every file install put there"
t_ok "and the doc directory" test ! -e "$root/usr/share/doc/mtasts"

# The default PREFIX is /usr/local.
t_ok "make install DESTDIR=... (default PREFIX)" mk "$T/install2.log" install DESTDIR="$T/root2"
t_is "$(listing "$T/root2")" "$(expected /usr/local)" "default PREFIX is /usr/local"
t_done
