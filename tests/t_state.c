/* SPDX-License-Identifier: ISC */
/*
 * t_state: checker/state.c — ids strictly later than every earlier id,
 * atomic writes, damaged files refused, the run lock.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "check.h"

static char dir[256];

static void
put(const char *name, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL || fwrite(text, 1, len, f) != len ||
	    fclose(f) != 0) {
		printf("Bail out! cannot write %s\n", path);
		exit(255);
	}
}

static int
count_entries(const char *d)
{
	DIR *dp;
	struct dirent *de;
	int n = 0;

	if ((dp = opendir(d)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	closedir(dp);
	return n;
}

static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return timegm(&tm);
}

static void
test_ids(void)
{
	static const struct {
		const char	*after;
		const char	*want;
		const char	*why;
	} cases[] = {
		{ NULL, "20261129021500", "no earlier id: the time now" },
		{ "", "20261129021500", "empty earlier id: the time now" },
		{ "20261101000000", "20261129021500", "earlier id in the past" },
		{ "20261129021459", "20261129021500", "one second before now" },
		{ "20261129021500", "20261129021501", "same second: bumped" },
		{ "20261129030000", "20261129030001", "clock behind: past the old id" },
		{ "20261231235959", "20270101000000", "bump across a year" },
		{ "20261301000000", "20261301000001", "14 digits, not a date: next number" },
		{ "99999999999999", "100000000000000", "all nines: fifteen digits" },
		{ "abc", "20261129021500", "not ours (letters): the time now" },
		{ "2026112902", "20261129021500", "not ours (10 digits): the time now" },
	};
	time_t now = utc(2026, 11, 29, 2, 15, 0);
	char id[STS_ID_MAX + 1], prev[STS_ID_MAX + 1];
	size_t i;
	int later = 1;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		state_new_id(cases[i].after, now, id);
		is_str(id, cases[i].want, "new id: %s", cases[i].why);
	}

	/* ten policy changes within one second: every id later than the one before */
	state_new_id(NULL, now, prev);
	for (i = 0; i < 10; i++) {
		state_new_id(prev, now, id);
		if (strlen(id) != 14 || strcmp(id, prev) <= 0)
			later = 0;
		memcpy(prev, id, sizeof(id));
	}
	ok(later, "ten ids in the same second are strictly increasing");
	is_str(prev, "20261129021510", "the tenth is ten seconds on");

	/* the clock jumps back an hour */
	state_new_id("20261129031500", now, id);
	is_str(id, "20261129031501", "clock an hour behind: still later");
}

static void
test_digest(void)
{
	char d1[65], d2[65];

	state_digest("abc", 3, d1);
	is_str(d1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "digest is SHA-256 hex");
	state_digest("version: STSv1\r\nmode: testing\r\n", 31, d1);
	state_digest("version: STSv1\r\nmode: enforce\r\n", 31, d2);
	ok(strcmp(d1, d2) != 0, "different policies, different digests");
}

static void
test_roundtrip(void)
{
	struct state st, got;
	char err[STS_ERR_MAX], path[512];
	struct stat sb, sb2;

	memset(&st, 0, sizeof(st));
	state_digest("x", 1, st.digest);
	strcpy(st.id, "20261129021500");
	st.since = 1795918500;
	st.published = 1;
	strcpy(st.prev_id, "20261101000000");
	strcpy(st.pub_id, "20261129021500");

	is_int(state_read(dir, "example.com", &got, err, sizeof(err)), 1,
	    "no state yet: 1");
	is_int(state_write(dir, "example.com", &st, err, sizeof(err)), 0,
	    "write");
	is_int(state_read(dir, "example.com", &got, err, sizeof(err)), 0,
	    "read back");
	ok(memcmp(&st, &got, sizeof(st)) == 0, "read back equals what was written");
	snprintf(path, sizeof(path), "%s/example.com", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "state file is 0600");
	is_int(count_entries(dir), 1, "no temporary file left behind");

	/* an update replaces the file by rename (a new inode), never in place */
	strcpy(st.prev_id, st.id);
	strcpy(st.id, "20261129021501");
	st.published = 0;
	is_int(state_write(dir, "example.com", &st, err, sizeof(err)), 0,
	    "second write");
	ok(stat(path, &sb2) == 0 && sb2.st_ino != sb.st_ino,
	    "second write renamed a new file into place");
	is_int(state_read(dir, "example.com", &got, err, sizeof(err)), 0,
	    "read the update");
	is_str(got.id, "20261129021501", "updated id");
	is_str(got.prev_id, "20261129021500", "previous id kept");
	is_int(got.published, 0, "published flag");

	/* empty previous ids are fine */
	st.prev_id[0] = st.pub_id[0] = '\0';
	is_int(state_write(dir, "example.org", &st, err, sizeof(err)), 0,
	    "write with empty prev-id and pub-id");
	is_int(state_read(dir, "example.org", &got, err, sizeof(err)), 0,
	    "read with empty prev-id and pub-id");
	is_str(got.pub_id, "", "empty pub-id read back");

	/* a failed write leaves the old file alone */
	strcpy(st.id, "not-an-id!");
	is_int(state_write(dir, "example.com", &st, err, sizeof(err)), -1,
	    "invalid state is not written");
	is_int(state_read(dir, "example.com", &got, err, sizeof(err)), 0,
	    "old state still readable");
	is_str(got.id, "20261129021501", "old state unchanged after failed write");
	strcpy(st.id, "20261129021502");
	is_int(state_write("/nonexistent/dir", "example.com", &st, err,
	    sizeof(err)), -1, "write into a missing directory fails");
	ok(strstr(err, "/nonexistent/dir") != NULL, "error names the path: %s", err);
	is_int(count_entries(dir), 2, "still no temporary file left behind");

	/* names that are not domains never become paths */
	is_int(state_read(dir, "../etc/passwd", &got, err, sizeof(err)), -1,
	    "path-like domain refused on read");
	is_int(state_write(dir, "../x", &st, err, sizeof(err)), -1,
	    "path-like domain refused on write");
	is_int(state_write(dir, ".hidden.example", &st, err, sizeof(err)), -1,
	    "dot-file domain refused on write");
}

static void
test_damaged(void)
{
	static const char D[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
#define GOOD_HEAD "mta-sts-check-state 1\ndomain d.example\n"
#define GOOD_BODY "digest %s\nid 20261129021500\nsince 1\npublished 1\n" \
	"prev-id \npub-id 20261129021500\n"
	static const struct {
		const char	*text;
		const char	*msg;
		const char	*why;
	} cases[] = {
		{ "", "(empty)", "empty file" },
		{ "mta-sts-check-state 2\n", ":1: damaged state file (not a", "wrong magic" },
		{ GOOD_HEAD GOOD_BODY, "(no end line: truncated)", "no end line" },
		{ GOOD_HEAD GOOD_BODY "en", "line without an end", "cut in the middle of a line" },
		{ GOOD_HEAD "digest %s\nend\n", "(no id line", "missing id" },
		{ GOOD_HEAD GOOD_BODY "colour blue\nend\n", ":9: damaged state file (unknown key)", "unknown key" },
		{ GOOD_HEAD GOOD_BODY "id 20261129021501\nend\n", "(id given twice)", "repeated key" },
		{ "mta-sts-check-state 1\ndomain other.example\n" GOOD_BODY "end\n", ":2: damaged state file (bad domain)", "other domain's file" },
		{ GOOD_HEAD "digest ABC\nend\n", "(bad digest)", "short digest" },
		{ GOOD_HEAD "digest %s\nid 2026-11-29\nend\n", "(bad id)", "id with a dash" },
		{ GOOD_HEAD "digest %s\nid 123456789012345678901234567890123\nend\n", "(bad id)", "id of 33 chars" },
		{ GOOD_HEAD "digest %s\nid 1\nsince -5\nend\n", "(bad since)", "negative time" },
		{ GOOD_HEAD "digest %s\nid 1\nsince 1\npublished yes\nend\n", "(bad published)", "published not 0/1" },
		{ GOOD_HEAD GOOD_BODY "end\nid 2\n", "(text after the end)", "text after end" },
		{ GOOD_HEAD GOOD_BODY "end now\n", "(bad end)", "end with a value" },
	};
	char text[1024], err[STS_ERR_MAX];
	struct state st;
	size_t i;
	int n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = snprintf(text, sizeof(text), cases[i].text, D, D);
		put("d.example", text, (size_t)n);
		err[0] = '\0';
		is_int(state_read(dir, "d.example", &st, err, sizeof(err)), -1,
		    "damaged: %s", cases[i].why);
		ok(strstr(err, cases[i].msg) != NULL && strstr(err, "d.example") != NULL,
		    "damaged: %s: message '%s'", cases[i].why, err);
	}
	n = snprintf(text, sizeof(text), GOOD_HEAD GOOD_BODY "end\n", D);
	put("d.example", text, (size_t)n);
	is_int(state_read(dir, "d.example", &st, err, sizeof(err)), 0,
	    "the good text of the table reads");
	text[30] = '\0';
	put("d.example", text, (size_t)n);
	is_int(state_read(dir, "d.example", &st, err, sizeof(err)), -1,
	    "NUL byte inside: damaged");
	ok(strstr(err, "NUL") != NULL, "NUL: message '%s'", err);
	{
		char big[STATE_FILE_MAX + 10];

		memset(big, 'x', sizeof(big));
		put("d.example", big, sizeof(big));
	}
	is_int(state_read(dir, "d.example", &st, err, sizeof(err)), -1,
	    "oversized file: damaged");
	ok(strstr(err, "too long") != NULL, "oversized: message '%s'", err);
#undef GOOD_HEAD
#undef GOOD_BODY
}

static void
test_lock(void)
{
	char err[STS_ERR_MAX], want[600], sub[400];
	struct stat sb;
	int fd1 = -1, fd2 = -1, status;
	pid_t pid;

	snprintf(sub, sizeof(sub), "%s/a/b/state", dir);
	is_int(state_mkdir(sub, err, sizeof(err)), 0, "state_mkdir creates parents");
	ok(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	    "state directory is 0700");
	is_int(state_mkdir(sub, err, sizeof(err)), 0, "state_mkdir on an existing dir");

	is_int(state_lock(sub, &fd1, err, sizeof(err)), 0, "first lock");
	is_int(state_lock(sub, &fd2, err, sizeof(err)), -1, "second lock refused");
	snprintf(want, sizeof(want), "another mta-sts-check run holds %s/lock", sub);
	is_str(err, want, "lock message names the lock file");
	is_int(fd2, -1, "no fd for the refused lock");

	/* another process sees the lock too */
	fflush(stdout);
	if ((pid = fork()) == 0) {
		int fd = -1;

		_exit(state_lock(sub, &fd, err, sizeof(err)) == -1 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "another process cannot take the lock");
	ok((fcntl(fd1, F_GETFD) & FD_CLOEXEC) != 0,
	    "lock fd is close-on-exec (hooks do not inherit it)");

	state_unlock(fd1);
	is_int(state_lock(sub, &fd2, err, sizeof(err)), 0, "lock again after unlock");
	state_unlock(fd2);
}

/* state_sweep: the temporaries a killed run left, and nothing else */
static void
test_sweep(void)
{
	static const char *const gone[] = {
		".a.example.Ab12Cd", ".b.example.zzzzzz", ".changes.X1y2Z3",
	};
	static const char *const kept[] = {
		"a.example", "lock", "changes", ".a.example.Ab12C",
		".a.example.Ab12Cde", ".a.example.Ab-2Cd", ".hidden", "..a.Ab12Cd",
	};
	char sub[400], path[600], err[STS_ERR_MAX];
	struct stat sb;
	size_t i;

	snprintf(sub, sizeof(sub), "%s/sweep", dir);
	if (state_mkdir(sub, err, sizeof(err)) == -1) {
		printf("Bail out! %s\n", err);
		exit(255);
	}
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(path, sizeof(path), "sweep/%s", gone[i]);
		put(path, "x", 1);
	}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		snprintf(path, sizeof(path), "sweep/%s", kept[i]);
		put(path, "x", 1);
	}
	state_sweep(sub);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, gone[i]);
		ok(stat(path, &sb) == -1 && errno == ENOENT, "swept: %s", gone[i]);
	}
	for (i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", sub, kept[i]);
		ok(stat(path, &sb) == 0, "kept: %s", kept[i]);
	}
	is_int(count_entries(sub), (int)(sizeof(kept) / sizeof(kept[0])),
	    "nothing else removed");
}

int
main(void)
{
	char cmd[600];

	snprintf(dir, sizeof(dir), "%s/t_state.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 255;
	}
	test_ids();
	test_digest();
	test_roundtrip();
	test_damaged();
	test_lock();
	test_sweep();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
