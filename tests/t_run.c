/* SPDX-License-Identifier: ISC */
/*
 * t_run: checker/run.c — how the hook and the reload command are run:
 * no shell, stdin from /dev/null, output captured as one escaped line,
 * exit status and signals reported, killed by pid after the timeout, and
 * not held up by a grandchild that keeps the output pipe open. On a
 * timeout the whole process group goes (a grandchild too); the program
 * starts with default signal dispositions, an empty mask and only fds 0-2.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "check.h"

static double
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const struct {
	const char	*script;	/* for /bin/sh -c */
	unsigned	 timeout;
	int		 rc;
	const char	*out;		/* exact, or NULL */
	const char	*err;		/* substring, or NULL */
	double		 max_secs;
	const char	*why;
} cases[] = {
	{ "exit 0", 5, 0, "", NULL, 2, "exit 0, silent" },
	{ "echo hello; echo world >&2", 5, 0, "hello; world", NULL, 2,
	  "stdout and stderr captured, lines joined" },
	{ "echo nope; exit 3", 5, -1, "nope",
	  "/bin/sh exited with status 3: nope", 2, "exit 3 reported with output" },
	{ "printf 'a\\tb\\001\\\\'", 5, 0, "a\\x09b\\x01\\x5c", NULL, 2,
	  "control characters and backslash escaped" },
	{ "cat; echo done", 5, 0, "done", NULL, 2, "stdin is /dev/null: cat ends at once" },
	{ "echo ${HOME-unset} $FOO", 5, 0, "unset bar", NULL, 2,
	  "only the environment given" },
	{ "kill -9 $$", 5, -1, NULL, "was killed by signal 9", 2, "killed by a signal" },
	{ "echo started; exec sleep 30", 1, -1, NULL,
	  "/bin/sh did not finish within 1 s and was killed: started", 3,
	  "overrun: killed after the timeout, output kept" },
	{ "sleep 3 & echo background", 5, 0, "background", NULL, 2,
	  "a background grandchild holding the pipe does not hold us up" },
	{ "head -c 100000 /dev/zero | tr '\\0' x", 5, 0, NULL, NULL, 2,
	  "large output is truncated, not an error" },
};

/* gone, or a zombie waiting for init: not running any more */
static int
gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int i;

	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	for (i = 0; i < 200; i++) {
		if ((f = fopen(path, "r")) == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p != NULL && (p = strrchr(buf, ')')) != NULL &&
		    (p[2] == 'Z' || p[2] == 'X'))
			return 1;
		usleep(10000);
	}
	return 0;
}

/* a hook that forks a sleeping grandchild and overruns: both killed */
static void
test_group(void)
{
	char out[256], err[512], tmpl[] = "/tmp/t_run.XXXXXX", script[512];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char *argv[4] = { "/bin/sh", "-c", script, NULL };
	long gpid = 0, cpid = 0;
	FILE *f;
	int fd, rc;

	if ((fd = mkstemp(tmpl)) == -1) {
		ok(0, "mkstemp: %s", strerror(errno));
		return;
	}
	close(fd);
	(void)snprintf(script, sizeof(script), "sleep 60 & echo $! $$ >%s; "
	    "wait", tmpl);
	rc = run_program(argv, env, 1, out, sizeof(out), err, sizeof(err));
	is_int(rc, -1, "hook with a grandchild overruns: killed");
	if ((f = fopen(tmpl, "r")) == NULL || fscanf(f, "%ld %ld", &gpid,
	    &cpid) != 2)
		gpid = cpid = 0;
	if (f != NULL)
		fclose(f);
	(void)unlink(tmpl);
	ok(gpid > 1 && cpid > 1, "the hook told its pid %ld and its "
	    "grandchild's %ld", cpid, gpid);
	ok(cpid > 1 && gone((pid_t)cpid), "after the timeout the hook (%ld) "
	    "no longer runs", cpid);
	ok(gpid > 1 && gone((pid_t)gpid), "after the timeout its grandchild "
	    "(%ld) no longer runs either", gpid);
	if (gpid > 1 && !gone((pid_t)gpid))
		(void)kill((pid_t)gpid, SIGKILL);
}

/* SIGPIPE ignored and a signal blocked here, a stray fd open: not inherited */
static void
test_clean_start(void)
{
	char out[256], err[512];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char *argv[4] = { "/bin/sh", "-c",
	    /* builtins only: no fork, no pipe; the glob's own directory fd is closed by then */
	    "printf fds; for f in /proc/$$/fd/*; do [ ! -e \"$f\" ] || "
	    "printf ' %s' \"${f##*/}\"; done; echo; "
	    "while read -r k v; do case $k in SigIgn:|SigBlk:) echo $k $v;; "
	    "esac; done </proc/$$/status", NULL };
	sigset_t set, old;
	int stray;

	(void)signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGUSR1);
	(void)sigprocmask(SIG_BLOCK, &set, &old);
	stray = open("/dev/null", O_RDONLY);	/* not close-on-exec */
	ok(stray > 2, "a stray descriptor %d is open here", stray);
	is_int(run_program(argv, env, 5, out, sizeof(out), err, sizeof(err)),
	    0, "the program reports its descriptors and signals: %s", err);
	is_str(out, "fds 0 1 2; SigBlk: 0000000000000000; "
	    "SigIgn: 0000000000000000",
	    "only 0-2 are open in it, no signal ignored (SIGPIPE included), "
	    "none blocked");
	close(stray);
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	(void)signal(SIGPIPE, SIG_DFL);
}

int
main(void)
{
	char out[256], err[512];
	char *env[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
	char *argv[4] = { "/bin/sh", "-c", NULL, NULL };
	char *missing[2] = { "/nonexistent/hook", NULL };
	double t0, took;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		argv[2] = (char *)cases[i].script;
		err[0] = '\0';
		t0 = mono();
		rc = run_program(argv, env, cases[i].timeout, out, sizeof(out),
		    err, sizeof(err));
		took = mono() - t0;
		is_int(rc, cases[i].rc, "%s: status", cases[i].why);
		if (cases[i].out != NULL)
			is_str(out, cases[i].out, "%s: output", cases[i].why);
		if (cases[i].err != NULL)
			ok(strstr(err, cases[i].err) != NULL, "%s: message '%s'",
			    cases[i].why, err);
		ok(took <= cases[i].max_secs, "%s: took %.1f s (at most %.0f)",
		    cases[i].why, took, cases[i].max_secs);
		ok(strlen(out) < sizeof(out) && strchr(out, '\n') == NULL,
		    "%s: output is one bounded line", cases[i].why);
	}

	test_group();
	test_clean_start();

	rc = run_program(missing, env, 5, out, sizeof(out), err, sizeof(err));
	is_int(rc, -1, "missing program: refused");
	ok(strstr(err, "/nonexistent/hook exited with status 127: cannot "
	    "execute the program") != NULL, "missing program: message '%s'", err);
	return done_testing();
}
