/* SPDX-License-Identifier: ISC */
/*
 * The responder's system-call sandbox (Linux, libseccomp).
 *
 * Once the first load is done and privileges are dropped, the responder
 * only serves and reloads: it accepts on the socket it was given, reads
 * and writes FastCGI records, reads files and directories, starts and
 * ends worker threads, and allocates memory. Everything else is refused.
 * The list below is what strace showed over the integration tests
 * (lighttpd, spawn-fcgi, nginx, Apache, reloads, SIGHUP, SIGTERM), plus
 * the obvious relatives of those calls.
 *
 * - Files are opened read-only: open/openat with any of O_WRONLY, O_RDWR,
 *   O_CREAT or O_TRUNC fail with EPERM; but in the directory of last good
 *   policies (lastgood.c), opened before: openat, renameat and unlinkat
 *   whose directory descriptor is that one, and fsync. In the TLS-RPT
 *   spool (spool.c, `reports`), opened before: openat only to create a
 *   new file for writing (O_WRONLY|O_CREAT|O_EXCL, no O_TRUNC), renameat
 *   within it, unlinkat (a partial body's file), and fsync.
 * - clone only makes threads (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND set): no
 *   fork. clone3 passes its flags in memory a filter cannot read, so it
 *   fails with ENOSYS, and glibc falls back to clone.
 * - No new sockets, no connect, bind or listen: the listening socket is
 *   the one the process already has. setsockopt only sets SO_RCVTIMEO (a
 *   time limit for a new connection to send its request).
 * - Signals go to this process only: tgkill (what abort() and raise() use)
 *   with our own process id; kill, tkill and rt_sigqueueinfo not at all.
 * - No new executable memory: mmap and mprotect with PROT_EXEC fail, so
 *   code that found a way in cannot map code of its own.
 * - execve, execveat and ptrace kill the process: no correct code path
 *   ever makes them, so they mean the responder has been taken over.
 * - Anything else fails with EPERM and is not logged: a call we missed
 *   makes one operation fail (a reload is logged and the last good
 *   policies stay), rather than taking every domain off the air.
 *
 * SANDBOX=0 in the environment turns it off (debugging, strace of a
 * missing call). Builds with AddressSanitizer (make SANITIZE=1) and runs
 * under valgrind skip it: their run-time makes calls of its own (the leak
 * checker ptraces the process at exit). Each of these is said at start-up
 * by the caller. CGI mode enters the same sandbox once it has found its
 * configuration, before it reads the request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder.h"

#if defined(__linux__)

#include <sys/mman.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>
#include <sched.h>
#include <seccomp.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define HAVE_VALGRIND_H
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

/* Allowed as they are. */
static const int allowed[] = {
	/* FastCGI on the listening socket */
	SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(shutdown),
	SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt),
	SCMP_SYS(fcntl), SCMP_SYS(close),
	/* reading the configuration, domain files and certificates */
	SCMP_SYS(pread64), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat),
	SCMP_SYS(statx), SCMP_SYS(getdents64), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(access), SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	/* watching the domain directory (the descriptor is made before) */
	SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
	/* memory */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	/* threads */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
	/* time and signals */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
	/* who am I; abort() */
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	/* OpenSSL */
	SCMP_SYS(getrandom),
};

/* Kill the process: no correct path makes these. */
static const int fatal[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(ptrace),
};

/* Set in the masked flags: the open is refused. */
#define OPEN_WRITE	(O_ACCMODE | O_CREAT | O_TRUNC)
/* All of these set: a thread, not a process. */
#define CLONE_THREADS	(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)

/* Why the sandbox is off, or NULL. */
static const char *
sandbox_disabled(void)
{
	const char	*v;

	if ((v = getenv("SANDBOX")) != NULL && strcmp(v, "0") == 0)
		return SANDBOX_OFF_ASKED;
	if (SANITIZED)
		return "an AddressSanitizer build";
#ifdef HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return "running under valgrind";
#endif
	return NULL;
}

/*
 * In the directory fd only: renameat both ways within it (renameat2
 * too), unlinkat in it.
 */
static int
sandbox_rename_unlink(scmp_filter_ctx ctx, scmp_datum_t fd)
{
	int	r;

	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat), 2,
	    SCMP_A0(SCMP_CMP_EQ, fd, 0), SCMP_A2(SCMP_CMP_EQ, fd, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(renameat2), 2,
	    SCMP_A0(SCMP_CMP_EQ, fd, 0), SCMP_A2(SCMP_CMP_EQ, fd, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(unlinkat), 1,
	    SCMP_A0(SCMP_CMP_EQ, fd, 0))) < 0)
		return r;
	return 0;
}

/*
 * The directory of last good policies (lgfd): a file is created in it,
 * written, synced and renamed over the old one, or removed; nowhere
 * else. openat may write only when its directory is lgfd; renameat both
 * ways within lgfd; unlinkat in lgfd only.
 */
static int
sandbox_lastgood(scmp_filter_ctx ctx, int lgfd)
{
	scmp_datum_t	 fd = (scmp_datum_t)lgfd;
	int		 r;

	if (lgfd == -1)
		return 0;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A0(SCMP_CMP_EQ, fd, 0))) < 0)
		return r;
	return sandbox_rename_unlink(ctx, fd);
}

/*
 * The spool of TLS-RPT reports (spfd): a new file is created, written,
 * synced and renamed; a partial one removed. openat only creates (with
 * O_EXCL, never truncating) for writing, with spfd as its directory.
 */
#define SPOOL_OPEN_MASK		(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC)
#define SPOOL_OPEN_FLAGS	(O_WRONLY | O_CREAT | O_EXCL)

static int
sandbox_spool(scmp_filter_ctx ctx, int spfd)
{
	scmp_datum_t	 fd = (scmp_datum_t)spfd;
	int		 r;

	if (spfd == -1)
		return 0;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
	    SCMP_A0(SCMP_CMP_EQ, fd, 0), SCMP_A2(SCMP_CMP_MASKED_EQ,
	    SPOOL_OPEN_MASK, SPOOL_OPEN_FLAGS))) < 0)
		return r;
	return sandbox_rename_unlink(ctx, fd);
}

int
sandbox_enter(int lgfd, int spfd, char *err, size_t errlen, const char **off)
{
	scmp_filter_ctx	 ctx = NULL;
	const char	*what = "seccomp_init";
	size_t		 i;
	int		 r = 0, ret = -1;

	if ((*off = sandbox_disabled()) != NULL)
		return 0;
	if ((ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM))) == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	what = "seccomp_attr_set";
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail;
	what = "seccomp_rule_add";
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i],
		    0)) < 0)
			goto fail;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, fatal[i],
		    0)) < 0)
			goto fail;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_WRITE, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
	    SCMP_A1(SCMP_CMP_MASKED_EQ, OPEN_WRITE, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
	    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREADS, CLONE_THREADS))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
	    SCMP_SYS(clone3), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid(), 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
	    SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET, 0),
	    SCMP_A2(SCMP_CMP_EQ, SO_RCVTIMEO, 0))) < 0 ||
	    (r = sandbox_lastgood(ctx, lgfd)) < 0 ||
	    (r = sandbox_spool(ctx, spfd)) < 0 ||
	    ((lgfd != -1 || spfd != -1) && (r = seccomp_rule_add(ctx,
	    SCMP_ACT_ALLOW, SCMP_SYS(fsync), 0)) < 0))
		goto fail;
	what = "seccomp_load";
	if ((r = seccomp_load(ctx)) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	snprintf(err, errlen, "cannot enter the sandbox: %s: %s (SANDBOX=0 "
	    "in the environment runs without it)", what, strerror(-r));
out:
	seccomp_release(ctx);
	return ret;
}

#else /* !__linux__ */

int
sandbox_enter(int lgfd, int spfd, char *err, size_t errlen, const char **off)
{
	(void)lgfd;
	(void)spfd;
	(void)err;
	(void)errlen;
	*off = "not Linux";
	return 0;
}

#endif
