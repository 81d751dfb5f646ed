/* SPDX-License-Identifier: ISC */
/*
 * run.c: run a program (the publish hook, the zonefile reload command)
 * the way cron jobs should: no shell unless asked for, stdin from
 * /dev/null, what it prints captured into one escaped line, in a process
 * group of its own that is killed as a whole when it overruns its time
 * (children it forked included). The program starts clean: default signal
 * dispositions and an empty signal mask (the checker ignores SIGPIPE and
 * its threads block it), and no descriptor but 0-2. Safe to call from
 * several threads: the pipe is close-on-exec, and the child does only
 * async-signal-safe things before execve.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define OUTPUT_MAX	2048

unsigned
run_timeout(const struct sts_conf *conf)
{
	unsigned t = conf->timeout ? conf->timeout : 10;

	return t > 600 ? 3600 : t * 6;
}


/*
 * glibc keeps signals 32 and 33 (its threads' own) from sigaction(), so a
 * program started by a process that ignores them (make does) would start
 * with them ignored: they are set to the default with the system call.
 */
static void
default_reserved(void)
{
#if defined(__linux__) && defined(__x86_64__)
	struct {
		void		*handler;
		unsigned long	 flags;
		void		*restorer;
		unsigned long	 mask;
	} ksa;
	int	 sig;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = SIG_DFL;
	for (sig = 32; sig < SIGRTMIN; sig++)
		(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL,
		    sizeof(ksa.mask));
#endif
}

static void
msleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * what a program printed as one line: each line escaped (sts_escape),
 * joined by "; "; cut with "..." when it does not fit
 */
static void
one_line(const char *raw, size_t rawlen, char *out, size_t outlen)
{
	const char *nl;
	size_t o = 0, n;

	out[0] = '\0';
	while (o + 1 < outlen) {
		nl = memchr(raw, '\n', rawlen);
		n = nl != NULL ? (size_t)(nl - raw) : rawlen;
		sts_escape(out + o, outlen - o, raw, n);
		o += strlen(out + o);
		if (nl == NULL || o + 3 > outlen)
			break;
		memcpy(out + o, "; ", 3);
		o += 2;
		raw = nl + 1;
		rawlen -= n + 1;
	}
}

/*
 * In the child: a clean start (process group, signals, descriptors) and
 * argv run; what it prints goes to the pipe's write end wfd.
 */
static void __attribute__((noreturn))
child_exec(char *const argv[], char *const envp[], int wfd)
{
	static const char m[] = "cannot execute the program\n";
	struct sigaction sa;
	sigset_t none;
	int nul, sig;

	(void)setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	default_reserved();
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	nul = open("/dev/null", O_RDONLY);
	if (nul == -1 || dup2(nul, 0) == -1 || dup2(wfd, 1) == -1 ||
	    dup2(wfd, 2) == -1)
		_exit(126);
	if (close_range(3, ~0U, 0) == -1) {
		long fd, max = sysconf(_SC_OPEN_MAX);

		for (fd = 3; fd < (max > 0 && max < 65536 ? max : 65536); fd++)
			(void)close((int)fd);
	}
	execve(argv[0], argv, envp);
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(127);
	_exit(127);
}

/*
 * Read what pid prints on fd (the first OUTPUT_MAX bytes into raw) until
 * it has exited and closed it, or timeout seconds have passed: then its
 * whole group is killed. Its wait status into *status; 1 when killed.
 */
static int
collect(pid_t pid, int fd, unsigned timeout, char raw[OUTPUT_MAX],
    size_t *rawlen, int *status)
{
	char buf[512];
	double deadline = now_s() + timeout;
	int exited = 0, eof = 0;
	struct pollfd pfd;
	ssize_t r;
	size_t take;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!(eof && exited)) {
		if (!exited && waitpid(pid, status, WNOHANG) == pid)
			exited = 1;
		if (now_s() >= deadline) {
			/* the whole group: what it forked goes too */
			(void)kill(-pid, SIGKILL);
			if (!exited)
				(void)waitpid(pid, status, 0);
			return 1;
		}
		if (eof) {
			msleep(20);
			continue;
		}
		if (poll(&pfd, 1, exited ? 0 : 50) <= 0) {
			if (exited)	/* gone, and nothing more to read now */
				eof = 1;
			continue;
		}
		r = read(fd, buf, sizeof(buf));
		if (r <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			eof = 1;
			continue;
		}
		if (*rawlen < OUTPUT_MAX) {
			take = (size_t)r < OUTPUT_MAX - *rawlen ?
			    (size_t)r : OUTPUT_MAX - *rawlen;
			memcpy(raw + *rawlen, buf, take);
			*rawlen += take;
		}
	}
	return 0;
}

int
run_program(char *const argv[], char *const envp[], unsigned timeout,
    char *out, size_t outlen, char *err, size_t errlen)
{
	char raw[OUTPUT_MAX];
	size_t rawlen = 0;
	int p[2] = { -1, -1 }, status = 0, killed;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1)
		return sts_err(err, errlen, "pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return sts_err(err, errlen, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		child_exec(argv, envp, p[1]);
	/* also here, so the group exists before a kill can be needed */
	(void)setpgid(pid, pid);
	close(p[1]);
	killed = collect(pid, p[0], timeout, raw, &rawlen, &status);
	close(p[0]);
	while (rawlen > 0 && (raw[rawlen - 1] == '\n' || raw[rawlen - 1] == ' '))
		rawlen--;
	one_line(raw, rawlen, out, outlen);
	if (killed)
		return sts_err(err, errlen, "%s did not finish within %u s and "
		    "was killed%s%s", argv[0], timeout, out[0] ? ": " : "", out);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		return sts_err(err, errlen, "%s exited with status %d%s%s",
		    argv[0], WEXITSTATUS(status), out[0] ? ": " : "", out);
	return sts_err(err, errlen, "%s was killed by signal %d%s%s", argv[0],
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0, out[0] ? ": " : "", out);
}
