/* SPDX-License-Identifier: ISC */
/*
 * t_run: checker/run.c — how the hook and the reload command are run:
 * no shell, stdin from /dev/null, output captured as one escaped line,
 * exit status and signals reported, killed by pid after the timeout, and
 * not held up by a grandchild that keeps the output pipe open.
 */
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

	rc = run_program(missing, env, 5, out, sizeof(out), err, sizeof(err));
	is_int(rc, -1, "missing program: refused");
	ok(strstr(err, "/nonexistent/hook exited with status 127: cannot "
	    "execute the program") != NULL, "missing program: message '%s'", err);
	return done_testing();
}
