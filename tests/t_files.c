/* SPDX-License-Identifier: ISC */
/*
 * t_files: what the checker does with hostile files where it reads and
 * writes (issue 11, findings 6, 8 and 14): a FIFO as the TSIG key, a
 * state file, the lock, the zone file, a domain file, the configuration
 * or the hook gives an error naming the file and what it is, never a
 * hang (each call runs under an alarm: a hang kills the test); a symbolic
 * link at the zonefile path is refused and neither it nor its target
 * changes; a TSIG key owned by another user is refused, and so is a state
 * directory of another owner or one that group or others may write.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "check.h"

#define SECRET	"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="

static char dir[] = "/tmp/t_files.XXXXXX";

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) != 0 || chmod(path, mode) == -1) {
		printf("Bail out! cannot write %s\n", path);
		exit(255);
	}
}

static void
fifo(const char *path)
{
	(void)unlink(path);
	if (mkfifo(path, 0600) == -1) {
		printf("Bail out! mkfifo %s: %s\n", path, strerror(errno));
		exit(255);
	}
}

/* err names path and says it is a FIFO */
static void
names_fifo(const char *err, const char *path, const char *what)
{
	ok(strstr(err, path) != NULL && strstr(err, "not a regular file "
	    "(a FIFO)") != NULL, "%s: the message names the file and says "
	    "it is a FIFO: '%s'", what, err);
}

static void
test_tsig(void)
{
	char path[512], err[STS_ERR_MAX];
	struct tsig k;

	(void)snprintf(path, sizeof(path), "%s/tsig.key", dir);
	fifo(path);
	alarm(10);
	is_int(tsig_load(path, &k, err, sizeof(err)), -1,
	    "a FIFO as the TSIG key: refused at once");
	alarm(0);
	names_fifo(err, path, "FIFO TSIG key");

	(void)unlink(path);
	put(path, "key \"upd\" { algorithm hmac-sha256; secret \"" SECRET
	    "\"; };\n", 0600);
	is_int(tsig_load(path, &k, err, sizeof(err)), 0,
	    "the key as a regular file of ours, 0600: read");
	if (geteuid() == 0) {
		if (chown(path, 65534, 65534) == -1)
			printf("# chown: %s\n", strerror(errno));
		is_int(tsig_load(path, &k, err, sizeof(err)), -1,
		    "a key owned by another user (65534): refused");
		ok(strstr(err, path) != NULL && strstr(err, "owned by uid "
		    "65534") != NULL && strstr(err, "chown 0 ") != NULL &&
		    strstr(err, SECRET) == NULL, "... the message names the "
		    "file, its owner and the fix, not the secret: '%s'", err);
		if (chown(path, 0, 0) == -1)
			diag("chown back: %s", strerror(errno));
	} else {
		ok(1, "# SKIP needs root to give the key to another user");
		ok(1, "# SKIP needs root to give the key to another user");
	}
}

static void
test_state(void)
{
	char path[600], sdir[512], err[STS_ERR_MAX];
	struct state st;
	int fd = -1;

	(void)snprintf(sdir, sizeof(sdir), "%s/state", dir);
	is_int(state_mkdir(sdir, err, sizeof(err)), 0, "state directory made");
	(void)snprintf(path, sizeof(path), "%s/example.com", sdir);
	fifo(path);
	alarm(10);
	is_int(state_read(sdir, "example.com", &st, err, sizeof(err)), -1,
	    "a FIFO as a state file: damaged, at once");
	alarm(0);
	names_fifo(err, path, "FIFO state file");

	(void)snprintf(path, sizeof(path), "%s/lock", sdir);
	fifo(path);
	alarm(10);
	is_int(state_lock(sdir, &fd, err, sizeof(err)), -1,
	    "a FIFO as the lock: refused at once");
	alarm(0);
	names_fifo(err, path, "FIFO lock");
	state_unlock(fd);
}

/* finding 14: a state directory of another owner, or writable by others */
static void
test_statedir(void)
{
	char sdir[512], err[STS_ERR_MAX];

	(void)snprintf(sdir, sizeof(sdir), "%s/state2", dir);
	is_int(state_mkdir(sdir, err, sizeof(err)), 0, "a new state directory");
	is_int(state_mkdir(sdir, err, sizeof(err)), 0, "... is accepted again");
	(void)chmod(sdir, 0755);
	is_int(state_mkdir(sdir, err, sizeof(err)), 0, "mode 0755: accepted");
	(void)chmod(sdir, 0775);
	err[0] = '\0';
	is_int(state_mkdir(sdir, err, sizeof(err)), -1,
	    "mode 0775 (group may write): refused");
	ok(strstr(err, sdir) != NULL && strstr(err, "chmod 700") != NULL,
	    "... saying how to fix it: '%s'", err);
	(void)chmod(sdir, 01777);
	is_int(state_mkdir(sdir, err, sizeof(err)), -1,
	    "mode 1777 (anyone may write): refused");
	(void)chmod(sdir, 0700);
	if (geteuid() == 0) {
		if (chown(sdir, 65534, 65534) == -1)
			diag("chown: %s", strerror(errno));
		err[0] = '\0';
		is_int(state_mkdir(sdir, err, sizeof(err)), -1,
		    "a state directory of another user (65534): refused");
		ok(strstr(err, sdir) != NULL && strstr(err, "belongs to uid "
		    "65534") != NULL, "... naming it and its owner: '%s'", err);
	} else {
		ok(1, "# SKIP needs root to give the directory away");
		ok(1, "# SKIP needs root to give the directory away");
	}
}

static void
test_zonefile(void)
{
	char path[512], target[512], err[STS_ERR_MAX], buf[64];
	struct sts_strlist lines = { 0 }, old = { 0 };
	struct sts_conf conf;
	struct stat sb;
	ssize_t n;

	memset(&conf, 0, sizeof(conf));
	conf.zonefile = path;
	conf.timeout = 2;
	(void)snprintf(path, sizeof(path), "%s/mta-sts.zone", dir);
	(void)sts_strlist_add(&lines,
	    "_mta-sts.example.com. 3600 IN TXT \"v=STSv1; id=20260101000000\"");

	fifo(path);
	alarm(10);
	is_int(zone_old_lines(path, "example.com", &old), 0,
	    "the old lines of a FIFO zone file: none, at once");
	is_int(publish_zonefile(&conf, &lines, err, sizeof(err)), PUB_FAILED,
	    "a FIFO as the zone file: refused at once");
	alarm(0);
	ok(strstr(err, path) != NULL && strstr(err, "is a FIFO, not a regular "
	    "file") != NULL, "FIFO zone file: the message names it: '%s'", err);
	ok(lstat(path, &sb) == 0 && S_ISFIFO(sb.st_mode),
	    "the FIFO is left where it was");

	/* finding 8: a symbolic link at the zonefile path */
	(void)unlink(path);
	(void)snprintf(target, sizeof(target), "%s/elsewhere", dir);
	put(target, "precious\n", 0600);
	if (symlink(target, path) == -1)
		printf("# symlink: %s\n", strerror(errno));
	is_int(publish_zonefile(&conf, &lines, err, sizeof(err)), PUB_FAILED,
	    "a symbolic link as the zone file: refused");
	ok(strstr(err, path) != NULL && strstr(err, "is a symbolic link, not a "
	    "regular file; refusing to replace it") != NULL,
	    "symlinked zone file: the message names it: '%s'", err);
	ok(lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode),
	    "the symbolic link is not replaced by a file");
	n = readlink(path, buf, sizeof(buf) - 1);
	ok(n > 0, "... and still points where it did");
	ok(stat(target, &sb) == 0 && sb.st_size == 9 && (sb.st_mode & 0777) ==
	    0600, "its target is not written through");

	/* a regular file is replaced as before */
	(void)unlink(path);
	put(path, "old\n", 0640);
	err[0] = '\0';
	is_int(publish_zonefile(&conf, &lines, err, sizeof(err)), PUB_DONE,
	    "a regular zone file is replaced: %s", err);
	ok(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0640, "... keeping its mode");
	sts_strlist_free(&lines);
	sts_strlist_free(&old);
}

static void
test_library(void)
{
	char path[512], err[STS_ERR_MAX];
	struct sts_settings set;
	struct sts_conf conf;

	(void)snprintf(path, sizeof(path), "%s/example.org", dir);
	fifo(path);
	memset(&set, 0, sizeof(set));
	alarm(10);
	is_int(sts_settings_load(path, &set, err, sizeof(err)), -1,
	    "a FIFO as a domain file: refused at once");
	alarm(0);
	ok(strstr(err, path) != NULL && strstr(err, "not a regular file") !=
	    NULL, "FIFO domain file: the message names it: '%s'", err);

	(void)snprintf(path, sizeof(path), "%s/mta-sts.conf", dir);
	fifo(path);
	sts_conf_defaults(&conf);
	alarm(10);
	is_int(sts_conf_load(path, &conf, err, sizeof(err)), -1,
	    "a FIFO as the configuration: refused at once");
	alarm(0);
	ok(strstr(err, path) != NULL && strstr(err, "not a regular file") !=
	    NULL, "FIFO configuration: the message names it: '%s'", err);
	sts_conf_free(&conf);
}

static void
test_hook(void)
{
	char path[512], err[STS_ERR_MAX], note[256], name[] = "example.com";
	struct sts_conf conf;
	struct sts_domain d;

	(void)snprintf(path, sizeof(path), "%s/hook", dir);
	fifo(path);
	(void)chmod(path, 0700);
	memset(&conf, 0, sizeof(conf));
	memset(&d, 0, sizeof(d));
	conf.publish = STS_PUBLISH_HOOK;
	conf.hook = path;
	conf.timeout = 2;
	d.name = name;
	alarm(10);
	is_int(publish_id(&conf, NULL, &d, "20260101000000", "", note,
	    sizeof(note), err, sizeof(err)), PUB_FAILED,
	    "a FIFO as the hook: refused at once");
	alarm(0);
	names_fifo(err, path, "FIFO hook");
}

int
main(void)
{
	char cmd[600];

	tap_alarm_bails();
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 255;
	}
	test_tsig();
	test_state();
	test_statedir();
	test_zonefile();
	test_library();
	test_hook();
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return done_testing();
}
