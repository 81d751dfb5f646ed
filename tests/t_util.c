/* SPDX-License-Identifier: ISC */
/*
 * util.c and strlist.c's shared helpers, the one copy of each rule both
 * programs use: opening a file (sts_open_file: regular files only, a FIFO
 * never blocks), the capped reader (sts_read_fd, sts_read_file), the
 * escapers (sts_escape, sts_escape_utf8), the publish-method names and the
 * string comparator. Files go under tests/tmp/t_util, removed at the end.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"
#include "util.h"
#include "tap.h"
#include "tree.h"

#define TOP	"tests/tmp/t_util"

/*
 * sts_open_file of rel is refused at once (an alarm bails out), with
 * errno want and the message "PATH: why".
 */
static void
refused(const char *rel, int want, const char *why, const char *what)
{
	char	 path[PATH_MAX], msg[PATH_MAX + 64], err[STS_ERR_MAX];

	tree_path(path, rel);
	err[0] = '\0';
	errno = 0;
	alarm(10);
	is_int(sts_open_file(AT_FDCWD, path, O_RDONLY, 0, NULL, err,
	    sizeof(err)), -1, "%s: refused at once", what);
	alarm(0);
	is_int(errno, want, "... errno %s", strerror(want));
	snprintf(msg, sizeof(msg), "%s: %s", path, why);
	is_str(err, msg, "... the file and the reason");
}

static void
test_open(void)
{
	struct stat	 st;
	char		 path[PATH_MAX], want[PATH_MAX + 64], err[STS_ERR_MAX];
	int		 fd;

	tree_put("plain", "text\n");
	tree_path(path, "plain");
	memset(&st, 0, sizeof(st));
	fd = sts_open_file(AT_FDCWD, path, O_RDONLY, 0, &st, err, sizeof(err));
	ok(fd >= 0 && S_ISREG(st.st_mode) && st.st_size == 5,
	    "a regular file: opened, its fstat given");
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0 &&
	    (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
	    "... close-on-exec and non-blocking");
	if (fd >= 0)
		close(fd);

	tree_dir("sub");
	refused("sub", EISDIR, "not a regular file", "a directory");
	tree_path(path, "fifo");
	if (mkfifo(path, 0600) == -1)
		abort();
	refused("fifo", EINVAL, "not a regular file", "a FIFO");
	(void)sts_open_file(AT_FDCWD, path, O_RDONLY, 0, &st, NULL, 0);
	is_str(sts_file_kind(st.st_mode), "a FIFO", "... its fstat tells "
	    "what it is");
	alarm(10);
	is_int(sts_read_file(AT_FDCWD, path, 100, &(char *){ NULL },
	    &(size_t){ 0 }, NULL, err, sizeof(err)), -1,
	    "sts_read_file of a FIFO: refused at once");
	alarm(0);
	snprintf(want, sizeof(want), "%s: not a regular file", path);
	is_str(err, want, "... with the same message");
	refused("gone", ENOENT, "No such file or directory", "a missing file");

	err[0] = '\0';
	is_int(sts_open_file(AT_FDCWD, "tests/tmp/t_util/bad\nname", O_RDONLY,
	    0, NULL, err, sizeof(err)), -1, "a name with a newline: refused");
	is_str(err, "tests/tmp/t_util/bad\\x0aname: No such file or directory",
	    "... escaped in the message");

	is_str(sts_file_kind(S_IFDIR | 0755), "a directory", "kind: directory");
	is_str(sts_file_kind(S_IFSOCK), "a socket", "kind: socket");
	is_str(sts_file_kind(S_IFCHR), "a character device", "kind: character "
	    "device");
	is_str(sts_file_kind(S_IFLNK), "a symbolic link", "kind: link");
}

/* n bytes 'a'..'z' repeated into a pipe, read with cap and hint */
static int
read_pipe(size_t n, size_t cap, size_t hint, char **buf, size_t *len)
{
	char	*src;
	size_t	 i;
	int	 p[2], rc, e;

	if ((src = malloc(n)) == NULL || pipe(p) == -1)
		abort();
	for (i = 0; i < n; i++)
		src[i] = (char)('a' + i % 26);
	if (fcntl(p[1], F_SETPIPE_SZ, 1 << 20) == -1 && n > 65536)
		abort();
	if (write(p[1], src, n) != (ssize_t)n)
		abort();
	close(p[1]);
	rc = sts_read_fd(p[0], cap, hint, buf, len);
	e = errno;
	if (rc == 0 && (*len != n || memcmp(*buf, src, n) != 0 ||
	    (*buf)[n] != '\0'))
		rc = -2;	/* read, but not what was written */
	close(p[0]);
	free(src);
	errno = e;
	return rc;
}

static void
test_read(void)
{
	char	 path[PATH_MAX], want[PATH_MAX + 64], err[STS_ERR_MAX];
	char	*buf = NULL, *big;
	size_t	 len = 0;

	static const struct {
		size_t		 n, cap, hint;
		int		 rc;	/* 0, or -1 with EFBIG */
		const char	*what;
	} t[] = {
		{ 10000, 20000, 0, 0, "no size known: 10000 bytes read whole "
		    "(the buffer grows)" },
		{ 10000, 10000, 0, 0, "exactly cap bytes: read" },
		{ 10001, 10000, 0, -1, "one byte over cap: refused" },
		{ 9000, 20000, 100, 0, "more than the size given (grown since): "
		    "read whole" },
		{ 10, 100, 101, -1, "a size over cap: refused before reading" },
		{ 0, 100, 0, 0, "an empty input: read" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		errno = 0;
		is_int(read_pipe(t[i].n, t[i].cap, t[i].hint, &buf, &len),
		    t[i].rc, "%s", t[i].what);
		if (t[i].rc == -1)
			is_int(errno, EFBIG, "... errno EFBIG");
		else
			free(buf);
		buf = NULL;
	}

	if ((big = malloc(2049)) == NULL)
		abort();
	memset(big, 'x', 2048);
	big[2048] = '\0';
	tree_put("big", big);
	free(big);
	tree_path(path, "big");
	is_int(sts_read_file(AT_FDCWD, path, 2048, &buf, &len, NULL, err,
	    sizeof(err)), 0, "sts_read_file: a file of cap bytes is read");
	is_int(len, 2048, "... all of it");
	free(buf);
	buf = NULL;
	err[0] = '\0';
	is_int(sts_read_file(AT_FDCWD, path, 2047, &buf, &len, NULL, err,
	    sizeof(err)), -1, "sts_read_file: one byte over cap: refused");
	snprintf(want, sizeof(want), "%s: larger than 1 KiB", path);
	is_str(err, want, "... saying so");
}

static void
test_escape(void)
{
	char	 b[64], s[4];

	is_str(sts_escape(b, sizeof(b), "a\\b\n\xc3\xa9", 6),
	    "a\\x5cb\\x0a\\xc3\\xa9", "sts_escape: backslash, newline and "
	    "UTF-8 as \\xNN");
	is_str(sts_escape_utf8(b, sizeof(b), "a\\b\n\xc3\xa9", 6),
	    "a\\b\\x0a\xc3\xa9", "sts_escape_utf8: the same, but UTF-8 "
	    "and the backslash kept (its messages hold escapes already)");
	is_str(sts_escape_utf8(b, sizeof(b), "x\xe2\x80\xaey", 5),
	    "x\\xe2\\x80\\xaey", "... a bidi control (U+202E) escaped");
	is_str(sts_escape_utf8(b, sizeof(b), "\xc2\x85", 2), "\\xc2\\x85",
	    "... a C1 control (U+0085) escaped");
	is_str(sts_escape_utf8(b, sizeof(b), "\xff\xc0\xaf", 3),
	    "\\xff\\xc0\\xaf", "... invalid and overlong bytes escaped");
	is_str(sts_escape_utf8(b, sizeof(b), "\xed\xa0\x80", 3),
	    "\\xed\\xa0\\x80", "... a surrogate escaped");
	memcpy(s, "\xc3\xa9", 3);
	is_str(sts_escape_utf8(b, sizeof(b), s, 1), "\\xc3",
	    "... a sequence cut by the length is not read past it");
	is_str(sts_escape_utf8(b, 8, "abcdefghij", 10), "abcd...",
	    "... cut with '...' to fit");
	is_str(sts_escape_utf8(b, 8, "a\xc3\xa9\xc3\xa9\xc3\xa9" "b", 8),
	    "a\xc3\xa9...", "... never in the middle of a character");
}

static void
test_names(void)
{
	const char	*v[] = { "b", "a", "c" };

	is_str(sts_publish_name(STS_PUBLISH_NONE), "none", "publish name: none");
	is_str(sts_publish_name(STS_PUBLISH_RFC2136), "rfc2136",
	    "publish name: rfc2136");
	is_str(sts_publish_name(STS_PUBLISH_HOOK), "hook", "publish name: hook");
	is_str(sts_publish_name(STS_PUBLISH_ZONEFILE), "zonefile",
	    "publish name: zonefile");
	is_str(sts_publish_name((enum sts_publish)42), "none",
	    "an unknown method is named none");
	qsort(v, 3, sizeof(*v), sts_strp_cmp);
	ok(strcmp(v[0], "a") == 0 && strcmp(v[1], "b") == 0 &&
	    strcmp(v[2], "c") == 0, "sts_strp_cmp sorts char * in strcmp order");
}

/* "-u user[:group]" of the daemons (no change of user: only the lookup) */
static void
test_user(void)
{
	char		 err[512];
	uid_t		 uid = 1;
	gid_t		 gid = 1;
	struct passwd	*pw = getpwnam("nobody");
	struct group	*gr = getgrnam("daemon");

	if (pw == NULL || gr == NULL || pw->pw_gid == gr->gr_gid) {
		ok(0, "this test wants the user nobody and the group daemon");
		return;
	}
	ok(sts_user_lookup("nobody", &uid, &gid, err, sizeof(err)) == 0 &&
	    uid == pw->pw_uid && gid == pw->pw_gid,
	    "-u nobody: its uid and gid");
	ok(sts_user_lookup("nobody:daemon", &uid, &gid, err,
	    sizeof(err)) == 0 && uid == pw->pw_uid && gid == gr->gr_gid,
	    "-u nobody:daemon: the named group's gid");
	err[0] = '\0';
	ok(sts_user_lookup("root", &uid, &gid, err, sizeof(err)) == -1,
	    "-u root refused");
	is_str(err, "-u root: refusing to run as root", "  saying why");
	ok(sts_user_lookup("nobody:root", &uid, &gid, err, sizeof(err)) == -1,
	    "-u nobody:root refused");
	is_str(err, "-u nobody:root: refusing to run as group root (gid 0)",
	    "  saying why");
	ok(sts_user_lookup("no-such-user-x", &uid, &gid, err,
	    sizeof(err)) == -1, "an unknown user refused");
	is_str(err, "-u: no such user: no-such-user-x", "  naming it");
	ok(sts_user_lookup("nobody:no-such-group-x", &uid, &gid, err,
	    sizeof(err)) == -1, "an unknown group refused");
	is_str(err, "-u: no such group: no-such-group-x", "  naming it");
	ok(sts_user_lookup(":daemon", &uid, &gid, err, sizeof(err)) == -1,
	    "an empty user name refused");
	is_str(err, "-u :daemon: expected user[:group]", "  saying what is");
}

int
main(void)
{
	struct stat	 st;

	tap_alarm_bails();
	tree_open(TOP);
	test_open();
	test_read();
	test_escape();
	test_names();
	test_user();
	tree_remove(TOP);
	ok(stat(TOP, &st) == -1 && errno == ENOENT, "temporary tree removed");
	return done_testing();
}
