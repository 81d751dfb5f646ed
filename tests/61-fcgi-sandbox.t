#!/bin/bash
# SPDX-License-Identifier: ISC
# The responder's seccomp sandbox (fcgi/sandbox.c).
#
# 1. Under lighttpd (bin-path, -u nobody as root): the filter is installed
#    on every thread (/proc/PID/task/*/status "Seccomp: 2"), and the
#    sandboxed responder serves, reloads by polling (in-place edit, rename,
#    new and removed domain files, an invalid edit, a certificate added to
#    and removed from the store, the global file) and on SIGHUP, and never
#    logs a refused call ("Operation not permitted").
# 2. Inside the sandbox: a probe preloaded into a responder started with
#    -s tcp:... (LD_PRELOAD, a thread started before main()) waits for the
#    filter and tries what the responder must not do: write, create,
#    unlink, mkdir, socket, fork, kill (refused with EPERM) and what it
#    must (read-only open, new thread). exec kills the process (SIGSYS).
#    In the directory of last good policies (MTA_STS_LAST_GOOD), and only
#    there, a file may be created, renamed and removed.
# 3. SANDBOX=0: no filter, and the same probe is allowed everything.
. "$(dirname "$0")/lib/testlib.sh"

BIN=$T_TOP/fcgi/mta-sts-fcgi
[ "$(uname -s)" = Linux ] || t_skip_all "seccomp is Linux only"
[ -x "$BIN" ] || t_skip_all "fcgi/mta-sts-fcgi not built"
grep -q '^Seccomp:' /proc/self/status || t_skip_all "kernel without seccomp"
# AddressSanitizer builds (make SANITIZE=1) run without the sandbox.
ldd "$BIN" 2>/dev/null | grep -q libasan && t_skip_all "ASan build: the sandbox is off by design"
command -v lighttpd >/dev/null || t_skip_all "lighttpd not installed"
command -v curl >/dev/null || t_skip_all "curl not installed"
command -v cc >/dev/null || t_skip_all "no C compiler for the probe"
t_init 61-fcgi-sandbox

UARG=
[ "$(id -u)" = 0 ] && UARG=" -u nobody"

mkdir -p "$T/domains" "$T/certs" "$T/ca" "$T/www" "$T/lg"
{ t_ca "$T/ca" &&
  t_cert "$T/ca" mx mx1.example.net mx2.example.net &&
  t_cert "$T/ca" mx3 mx3.example.net; } ||
	{ echo "Bail out! cannot make test certificates"; exit 255; }
cp "$T/ca/mx.pem" "$T/certs/"
t_responder_conf || { echo "Bail out! cannot write the configuration"; exit 255; }
: >"$T/domains/example.net"
chmod -R a+rX "$T"
chmod 777 "$T/lg"

WK=/.well-known/mta-sts.txt
pol() {	# pol MODE AGE MX...: a rendered policy, and "." (as fetch leaves it)
	local mode=$1 age=$2 m
	shift 2
	printf 'version: STSv1\r\nmode: %s\r\n' "$mode"
	for m in "$@"; do printf 'mx: %s\r\n' "$m"; done
	printf 'max_age: %s\r\n.' "$age"
}
POLICY_COM=$(pol enforce 86400 mx.example.com)
POLICY_NET=$(pol testing 604800 mx1.example.net mx2.example.net)

# lighttpd_conf FILE PORT RESPONDER-ARGS
lighttpd_conf() {
	cat >"$1" <<EOF
server.modules = ( "mod_fastcgi" )
server.document-root = "$T/www"
server.bind = "127.0.0.1"
server.port = $2
server.errorlog = "$1.error.log"
fastcgi.server = ( "/" => ((
	"bin-path" => "$BIN$3$UARG",
	"socket" => "$1.sock",
	"max-procs" => 1,
	"bin-environment" => ( "MTA_STS_CONF" => "$T/mta-sts.conf",
	    "MTA_STS_LAST_GOOD" => "$T/lg" ),
	"check-local" => "disable"
)) )
EOF
}

# fetch HOST: the body in $T/body (with a trailing "."), the status in $code.
fetch() {
	code=$(curl -sS --max-time 10 -o "$T/body" -w '%{http_code}' \
	    -H "Host: $1" "http://127.0.0.1:$PORT$WK" 2>"$T/curl.err")
	echo . >>"$T/body"
}
# wait_body HOST WANT SECONDS
wait_body() {
	local i=0
	while [ "$i" -lt $(($3 * 5)) ]; do
		fetch "$1"
		[ "$(cat "$T/body")" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	t_diag "$1: got $code '$(cat "$T/body")'"
	return 1
}
wait_code() {
	local i=0
	while [ "$i" -lt $(($3 * 5)) ]; do
		fetch "$1"
		[ "$code" = "$2" ] && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
# seccomp PID: the Seccomp: mode of every thread, unique, space-separated.
seccomp() {
	cat /proc/"$1"/task/*/status 2>/dev/null | sed -n 's/^Seccomp:[[:space:]]*//p' |
	    sort -u | tr '\n' ' ' | sed 's/ $//'
}
# responder LIGHTTPD-PID: its FastCGI child
responder() { pgrep -P "$1" -x mta-sts-fcgi | head -n 1; }

# ---- 1. under lighttpd, polling every second --------------------------------

PORT=$(t_free_port)
lighttpd_conf "$T/a.conf" "$PORT" " -r 1"
LOG=$T/a.conf.stderr
if ! t_ok "lighttpd with the responder starts" t_lighttpd "$T/a.conf" "$PORT"; then
	t_diag "$(cat "$T"/a.conf.* 2>/dev/null)"
	t_done
fi
LPID=$T_LIGHTTPD_PID
fetch mta-sts.example.com
t_is "$code/$(cat "$T/body")" "200/$POLICY_COM" "sandboxed: serves a policy"
RPID=$(responder "$LPID")
t_like "$RPID" '^[0-9]+$' "found the responder"
t_is "$(sed -n 's/^NoNewPrivs:[[:space:]]*//p' /proc/"$RPID"/status)" 1 "no_new_privs is set"

# 40 requests at once make the pool grow: threads started after the filter.
pids=
for i in $(seq 40); do
	curl -sS --max-time 10 -o /dev/null -w '%{http_code}\n' \
	    -H "Host: mta-sts.example.net" "http://127.0.0.1:$PORT$WK" >>"$T/par.codes" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
t_is "$(sort "$T/par.codes" | uniq -c | tr -s ' ')" " 40 200" "40 concurrent requests: all 200"
nt=$(ls /proc/"$RPID"/task | wc -l)
t_is "$(seccomp "$RPID")" 2 "Seccomp: 2 (filter) on every one of its $nt threads"

# Reloads inside the sandbox.
printf 'mode = enforce\nmx = mx-new.example.com\nmax-age = 1d\n' >"$T/domains/example.com.tmp"
chmod a+r "$T/domains/example.com.tmp"
mv "$T/domains/example.com.tmp" "$T/domains/example.com"
t_ok "reload: a renamed-in domain file is served" \
    wait_body mta-sts.example.com "$(pol enforce 86400 mx-new.example.com)" 10
printf 'mode = enforce\nmx = mx-inplace.example.com\nmax-age = 2d\n' >"$T/domains/example.com"
t_ok "reload: an in-place edit is served" \
    wait_body mta-sts.example.com "$(pol enforce 172800 mx-inplace.example.com)" 10
t_is "$(cat "$T/lg/example.com"; echo .)" "$(pol enforce 172800 mx-inplace.example.com)" \
    "sandboxed: the new policy is kept in the directory of last good policies"
printf 'mode = bogus\n' >"$T/domains/example.com"
sleep 2.5
fetch mta-sts.example.com
t_is "$code/$(cat "$T/body")" "200/$(pol enforce 172800 mx-inplace.example.com)" \
    "reload: an invalid edit keeps the last good policy"
t_like "$(cat "$LOG")" 'example\.com:1:.*bogus' "and the error is logged"
printf 'mx = mx.example.org\n' >"$T/domains/example.org"
chmod a+r "$T/domains/example.org"
t_ok "reload: a new domain file is served" \
    wait_body mta-sts.example.org "$(pol testing 604800 mx.example.org)" 10
rm -f "$T/domains/example.org"
t_ok "reload: a removed domain file is gone" wait_code mta-sts.example.org 404 10
t_ok "sandboxed: and so is its last good policy" test ! -e "$T/lg/example.org"
cp "$T/ca/mx3.fullchain.pem" "$T/certs/mx3.pem"
chmod a+r "$T/certs/mx3.pem"
t_ok "reload: a certificate added to the store is in the policy" \
    wait_body mta-sts.example.net "$(pol testing 604800 mx1.example.net mx2.example.net mx3.example.net)" 10
rm -f "$T/certs/mx3.pem"
t_ok "reload: a certificate removed from the store is out again" \
    wait_body mta-sts.example.net "$POLICY_NET" 10
cat >"$T/mta-sts.conf.tmp" <<EOF
domains = $T/domains
certs = $T/certs
mode = enforce
EOF
chmod a+r "$T/mta-sts.conf.tmp"
mv "$T/mta-sts.conf.tmp" "$T/mta-sts.conf"
t_ok "reload: a changed global file is picked up" \
    wait_body mta-sts.example.net "$(pol enforce 604800 mx1.example.net mx2.example.net)" 10

kill -HUP "$RPID"
sleep 0.5
fetch mta-sts.example.net
t_is "$code" 200 "SIGHUP (polling responder): still serving"
t_is "$(responder "$LPID")" "$RPID" "the same process, not restarted"
t_is "$(seccomp "$RPID")" 2 "still Seccomp: 2 after reloads and SIGHUP"
t_unlike "$(cat "$LOG")" 'Operation not permitted|Function not implemented|cannot enter' \
    "the responder never logged a refused call"

# ---- SIGHUP on a responder that does not poll -----------------------------

printf 'mode = enforce\nmx = mx-inplace.example.com\nmax-age = 2d\n' >"$T/domains/example.com"
t_ok "fixed again: served" \
    wait_body mta-sts.example.com "$(pol enforce 172800 mx-inplace.example.com)" 10
PORT_A=$PORT
PORT=$(t_free_port)
lighttpd_conf "$T/b.conf" "$PORT" " -r 0"
if t_ok "a second lighttpd with a non-polling responder (-r 0)" t_lighttpd "$T/b.conf" "$PORT"; then
	LPID_B=$T_LIGHTTPD_PID
	fetch mta-sts.example.com
	RPID_B=$(responder "$LPID_B")
	t_is "$(seccomp "$RPID_B")" 2 "-r 0: Seccomp: 2"
	printf 'mode = enforce\nmx = mx-hup.example.com\nmax-age = 1d\n' >"$T/domains/example.com"
	sleep 1.5
	fetch mta-sts.example.com
	t_is "$(cat "$T/body")" "$(pol enforce 172800 mx-inplace.example.com)" "-r 0: the edit alone changes nothing"
	kill -HUP "$RPID_B"
	t_ok "SIGHUP: the edit is served within 3 s" \
	    wait_body mta-sts.example.com "$(pol enforce 86400 mx-hup.example.com)" 3
	kill -HUP "$RPID_B"
	kill -HUP "$RPID_B"
	sleep 0.5
	t_ok "the responder survives three SIGHUPs" kill -0 "$RPID_B"
	t_unlike "$(cat "$T/b.conf.stderr")" 'Operation not permitted|Function not implemented|cannot enter' \
	    "nothing refused while reloading on SIGHUP"
	# SIGTERM inside the sandbox: a clean exit, not a SIGSYS.
	kill -TERM "$RPID_B"
	i=0
	while [ "$i" -lt 50 ] && kill -0 "$RPID_B" 2>/dev/null &&
	    [ "$(ps -o stat= -p "$RPID_B" 2>/dev/null | cut -c1)" != Z ]; do
		sleep 0.1
		i=$((i + 1))
	done
	t_ok "SIGTERM: the sandboxed responder exits" test "$i" -lt 50
	t_stop "$LPID_B"
	t_unlike "$(cat "$T/b.conf.error.log")" 'signal 31|core dumped|SIGSYS' "and not by SIGSYS"
else
	t_skip 7 "second lighttpd did not start"
fi
PORT=$PORT_A
t_stop "$LPID"

# ---- 2. a probe inside the sandbox ------------------------------------------

cat >"$T/probe.c" <<'EOF'
/* Preloaded into the responder: tries forbidden and allowed calls once the
 * filter is there, and says on stderr how each went. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
say(const char *what, int r, int e)
{
	char	 buf[256];
	int	 n;

	n = snprintf(buf, sizeof(buf), "probe: %s %s\n", what,
	    r == -1 ? strerrorname_np(e) : "ok");
	if (write(2, buf, n) < 0)
		return;
}

static int
mode(void)
{
	char	 buf[8192], *p;
	ssize_t	 n;
	int	 fd;

	if ((fd = open("/proc/self/status", O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strstr(buf, "\nSeccomp:")) == NULL)
		return -1;
	return (int)strtol(p + 9, NULL, 10);
}

static void *
nothing(void *a)
{
	return a;
}

/* the descriptor this process holds on the directory target, or -1 */
static int
fd_of(const char *target)
{
	char	 fdp[64], link[1024];
	ssize_t	 n;
	int	 fd;

	for (fd = 0; fd < 256; fd++) {
		snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
		n = readlink(fdp, link, sizeof(link) - 1);
		if (n > 0 && (link[n] = '\0', strcmp(link, target) == 0))
			return fd;
	}
	return -1;
}

/*
 * In the directory dfd: rename a to b, b out to dir/escaped, unlink b;
 * said as WHO-rename, WHO-rename-out, WHO-unlink.
 */
static void
rename_unlink(const char *who, int dfd, const char *a, const char *b,
    const char *dir)
{
	char	 path[1024], what[64];
	int	 r;

	r = renameat(dfd, a, dfd, b);
	snprintf(what, sizeof(what), "%s-rename", who);
	say(what, r, errno);
	snprintf(path, sizeof(path), "%s/escaped", dir);
	r = renameat(dfd, b, AT_FDCWD, path);
	snprintf(what, sizeof(what), "%s-rename-out", who);
	say(what, r, errno);
	r = unlinkat(dfd, b, 0);
	snprintf(what, sizeof(what), "%s-unlink", who);
	say(what, r, errno);
}

static void *
probe(void *arg)
{
	const char	*dir = getenv("PROBE_DIR"), *lg = getenv("PROBE_LG");
	const char	*sp = getenv("PROBE_SPOOL");
	char		 path[1024], msg[64];
	int		 lgfd, od, spfd;
	sigset_t	 all;
	pthread_t	 t;
	struct timeval	 tv = { 0, 0 };
	socklen_t	 len;
	pid_t		 pid;
	void		*p;
	int		 i, r, m = -1, fd, v;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (i = 0; i < 200 && (m = mode()) != 2; i++)
		usleep(10000);
	snprintf(msg, sizeof(msg), "seccomp=%d", m);
	say(msg, 0, 0);
	snprintf(path, sizeof(path), "%s/created", dir);
	r = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	say("open-create", r, errno);
	snprintf(path, sizeof(path), "%s/existing", dir);
	r = open(path, O_RDWR);
	say("open-rdwr", r, errno);
	r = open(path, O_WRONLY | O_APPEND);
	say("open-wronly", r, errno);
	r = open(path, O_RDONLY | O_TRUNC);
	say("open-rdonly-trunc", r, errno);
	r = open(path, O_RDONLY | O_CLOEXEC);
	say("open-rdonly", r, errno);
	r = socket(AF_INET, SOCK_STREAM, 0);
	say("socket", r, errno);
	r = kill(getpid(), 0);
	say("kill", r, errno);
	/* abort() may signal this process; no other. */
	r = (int)syscall(SYS_tgkill, getpid(), gettid(), 0);
	say("tgkill-self", r, errno);
	if (getenv("PROBE_VICTIM") != NULL) {
		v = atoi(getenv("PROBE_VICTIM"));
		r = (int)syscall(SYS_tgkill, v, v, SIGTERM);
		say("tgkill-other", r, errno);
	}
	/* No new executable memory once serving. */
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("mmap-exec", p == MAP_FAILED ? -1 : 0, errno);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("mmap-rw", p == MAP_FAILED ? -1 : 0, errno);
	if (p != MAP_FAILED) {
		r = mprotect(p, 4096, PROT_READ | PROT_EXEC);
		say("mprotect-exec", r, errno);
		munmap(p, 4096);
	}
	/* The listening socket: SO_RCVTIMEO may be set, nothing else. */
	for (fd = 0; fd < 256; fd++) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v)
			break;
	}
	r = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	say("setsockopt-rcvtimeo", r, errno);
	v = 65536;
	r = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	say("setsockopt-sndbuf", r, errno);
	snprintf(path, sizeof(path), "%s/dir", dir);
	r = mkdir(path, 0755);
	say("mkdir", r, errno);
	snprintf(path, sizeof(path), "%s/existing", dir);
	r = unlink(path);
	say("unlink", r, errno);
	pid = fork();
	if (pid == 0)
		_exit(0);
	say("fork", pid == -1 ? -1 : 0, errno);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	if (lg != NULL) {
		/* The responder's descriptor of that directory. */
		lgfd = fd_of(lg);
		say("lg-fd", lgfd, ENOENT);
		r = openat(lgfd, "probe", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		say("lg-create", r, errno);
		if (r != -1)
			close(r);
		rename_unlink("lg", lgfd, "probe", "probe2", dir);
		od = open(dir, O_RDONLY | O_DIRECTORY);
		r = openat(od, "created", O_WRONLY | O_CREAT, 0644);
		say("other-dir-create", r, errno);
		r = unlinkat(od, "existing", 0);
		say("other-dir-unlink", r, errno);
		close(od);
	}
	if (sp != NULL) {
		/* The responder's descriptor of the TLS-RPT spool. */
		spfd = fd_of(sp);
		say("sp-fd", spfd, ENOENT);
		r = openat(spfd, "p1", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
		say("sp-create-excl", r, errno);
		if (r != -1) {
			say("sp-write", (int)write(r, "x", 1) == 1 ? 0 : -1, errno);
			say("sp-fsync", fsync(r), errno);
			close(r);
		}
		r = openat(spfd, "p1", O_WRONLY | O_CREAT | O_TRUNC, 0640);
		say("sp-create-trunc", r, errno);
		r = openat(spfd, "p1", O_WRONLY);
		say("sp-open-write", r, errno);
		r = openat(spfd, "p3", O_RDWR | O_CREAT | O_EXCL, 0640);
		say("sp-create-rdwr", r, errno);
		rename_unlink("sp", spfd, "p1", "p2", dir);
		od = open(dir, O_RDONLY | O_DIRECTORY);
		r = openat(od, "created", O_WRONLY | O_CREAT | O_EXCL, 0644);
		say("sp-other-dir-create", r, errno);
		close(od);
	}
	r = pthread_create(&t, NULL, nothing, NULL);
	say("thread", r == 0 ? 0 : -1, r);
	if (r == 0)
		pthread_join(t, NULL);
	if (getenv("PROBE_EXEC") != NULL) {
		say("exec-next", 0, 0);
		execl("/bin/true", "true", (char *)NULL);
		say("exec", -1, errno);
	}
	say("done", 0, 0);
	return NULL;
}

/* CGI mode: at exit, after the request, the filter must be there. */
static void
at_exit(void)
{
	char	 msg[64];
	int	 r;

	snprintf(msg, sizeof(msg), "exit-seccomp=%d", mode());
	say(msg, 0, 0);
	r = socket(AF_INET, SOCK_STREAM, 0);
	say("exit-socket", r, errno);
}

__attribute__((constructor)) static void
start(void)
{
	pthread_t	 t;

	if (getenv("PROBE_AT_EXIT") != NULL)
		atexit(at_exit);

	if (getenv("PROBE_DIR") != NULL &&
	    pthread_create(&t, NULL, probe, NULL) == 0)
		pthread_detach(t);
}
EOF
if ! cc -shared -fPIC -pthread -o "$T/probe.so" "$T/probe.c" 2>"$T/probe.cc.err"; then
	t_diag "$(cat "$T/probe.cc.err")"
	t_skip 6 "cannot build the probe"
	t_done
fi
chmod a+rx "$T/probe.so"

# probe_run NAME [ENV=VALUE ...]: a responder with the probe, on a TCP port,
# until the probe says done (or exec-next); its stderr in $T/NAME.err.
probe_run() {
	local name=$1 p i=0
	shift
	mkdir -p "$T/$name"
	: >"$T/$name/existing"
	chmod 777 "$T/$name"
	chmod 666 "$T/$name/existing"
	p=$(t_free_port)
	# shellcheck disable=SC2086
	env "$@" PROBE_DIR="$T/$name" LD_PRELOAD="$T/probe.so" \
	    MTA_STS_CONF="${PROBE_CONF:-$T/mta-sts.conf}" "$BIN" -s "tcp:127.0.0.1:$p" -r 1 $UARG \
	    2>"$T/$name.err" &
	PROBE_PID=$!
	t_bg "$PROBE_PID"
	while [ "$i" -lt 100 ] && ! grep -qE '^probe: (done|exec-next)' "$T/$name.err" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
}
# probe_is NAME WHAT RESULT
probe_is() { sed -n "s/^probe: $2 //p" "$T/$1.err" | head -n 1; }
# probe_all NAME "WHAT:RESULT ...": what run NAME said of each WHAT, in the
# same form (to compare with the list whole)
probe_all() {
	local w got=
	for w in $2; do
		got="$got ${w%%:*}:$(probe_is "$1" "${w%%:*}")"
	done
	printf '%s\n' "${got# }"
}

# A process of the responder's own user, for it to try to signal.
if [ "$(id -u)" = 0 ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups sleep 60 &
else
	sleep 60 &
fi
VICTIM=$!
t_bg "$VICTIM"
mkdir -p "$T/in-lg" && chmod 777 "$T/in-lg"
probe_run in PROBE_VICTIM="$VICTIM" MTA_STS_LAST_GOOD="$T/in-lg" PROBE_LG="$T/in-lg"
want="seccomp=2:ok open-create:EPERM open-rdwr:EPERM open-wronly:EPERM open-rdonly-trunc:EPERM open-rdonly:ok socket:EPERM kill:EPERM tgkill-self:ok tgkill-other:EPERM mmap-exec:EPERM mmap-rw:ok mprotect-exec:EPERM setsockopt-rcvtimeo:ok setsockopt-sndbuf:EPERM mkdir:EPERM unlink:EPERM fork:EPERM lg-fd:ok lg-create:ok lg-rename:ok lg-rename-out:EPERM lg-unlink:ok other-dir-create:EPERM other-dir-unlink:EPERM thread:ok done:ok"
t_is "$(probe_all in "$want")" "$want" "inside the sandbox: writes, creation, sockets, socket options, fork, kill, signals to another process, executable memory refused; read-only open, SO_RCVTIMEO, threads and signals to itself allowed; files created, renamed and removed in the directory of last good policies only" ||
    t_diag "$(cat "$T/in.err")"
t_ok "nothing was created or removed" test ! -e "$T/in/created" -a ! -e "$T/in/dir" -a -e "$T/in/existing" -a ! -e "$T/in/escaped"
t_ok "another process of the same user was not signalled" kill -0 "$VICTIM"
t_stop "$VICTIM"
t_ok "the responder lives on after the refused calls" kill -0 "$PROBE_PID"
t_stop "$PROBE_PID"

# the TLS-RPT spool (reports): a new file created with O_EXCL for writing,
# written, synced, renamed within it and removed; nothing more
mkdir -p "$T/spool" && chmod 777 "$T/spool"
{ cat "$T/mta-sts.conf"; printf 'reports = %s/spool\n' "$T"; } >"$T/spool.conf"
chmod 644 "$T/spool.conf"
PROBE_CONF=$T/spool.conf probe_run sp PROBE_SPOOL="$T/spool"
want="seccomp=2:ok sp-fd:ok sp-create-excl:ok sp-write:ok sp-fsync:ok sp-create-trunc:EPERM sp-open-write:EPERM sp-create-rdwr:EPERM sp-rename:ok sp-rename-out:EPERM sp-unlink:ok sp-other-dir-create:EPERM done:ok"
t_is "$(probe_all sp "$want")" "$want" "in the spool of reports: only a new file (O_EXCL, write only) is created, written, synced, renamed within it and removed" ||
    t_diag "$(cat "$T/sp.err")"
t_ok "nothing escaped the spool, nothing is left in it" test ! -e "$T/sp/escaped" -a ! -e "$T/sp/created" -a -z "$(ls -A "$T/spool")"
t_stop "$PROBE_PID"

probe_run exec PROBE_EXEC=1
wait "$PROBE_PID" 2>/dev/null
st=$?
t_is "$st" $((128 + 31)) "exec inside the sandbox kills the responder with SIGSYS"
_t_pids=${_t_pids/ $PROBE_PID/}

# ---- 3. SANDBOX=0 -----------------------------------------------------------

probe_run off SANDBOX=0
t_is "$(seccomp "$PROBE_PID")" 0 "SANDBOX=0: Seccomp: 0"
t_like "$(cat "$T/off.err")" 'mta-sts-fcgi: serving without the seccomp sandbox: SANDBOX=0 in the environment' \
    "SANDBOX=0: said at start-up"
t_is "$(probe_is off open-create)/$(probe_is off socket)/$(probe_is off fork)" "ok/ok/ok" \
    "SANDBOX=0: the probe may create files, open sockets and fork" || t_diag "$(cat "$T/off.err")"
t_stop "$PROBE_PID"

# ---- 4. CGI mode ----------------------------------------------------------------

AS=()
[ "$(id -u)" = 0 ] && AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
cgi_probe() {
	{ "${AS[@]}" env "$@" REQUEST_METHOD=GET HTTP_HOST=mta-sts.example.com \
	    REQUEST_URI=/.well-known/mta-sts.txt PROBE_AT_EXIT=1 \
	    LD_PRELOAD="$T/probe.so" MTA_STS_CONF="$T/mta-sts.conf" "$BIN" >"$T/cgi.out"; } 2>&1
}
out=$(cgi_probe)
t_like "$(head -n 1 "$T/cgi.out")" '^Status: 200' "CGI mode in the sandbox: the policy is served"
t_is "$(sed -n 's/^probe: //p' <<<"$out" | tr '\n' ' ')" "exit-seccomp=2 ok exit-socket EPERM " \
    "CGI mode: the filter is on once the request is read (a socket is refused)"
t_unlike "$out" 'mta-sts-fcgi:' "CGI mode: nothing logged"
out=$(cgi_probe SANDBOX=0)
t_like "$out" 'mta-sts-fcgi: serving without the seccomp sandbox: SANDBOX=0 in the environment' \
    "CGI mode, SANDBOX=0: said"
t_like "$out" 'probe: exit-seccomp=0 ok' "CGI mode, SANDBOX=0: no filter"

t_done
