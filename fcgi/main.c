/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-fcgi: serves https://mta-sts.<domain>/.well-known/mta-sts.txt
 * for every domain in the domain directory, as a FastCGI responder behind
 * any web server, or as a plain CGI program.
 *
 * This file: the command line, the user to run as, and the choice of
 * mode. FastCGI (fastcgi.c) when fd 0 is a listening socket (lighttpd
 * bin-path, spawn-fcgi, mod_fcgid), with -s, or under systemd socket
 * activation; CGI (cgi.c) otherwise.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "responder.h"
#include "util.h"

#define THREADS_DEFAULT	64
#define THREADS_MAX	4096
#define POLL_DEFAULT	2
#define POLL_MAX	86400

static volatile sig_atomic_t	 got_hup, got_term;

struct options {
	const char	*conffile;
	const char	*sock;
	const char	*user;
	const char	*lastgood;
	mode_t		 mode;
	int		 setmode;
	int		 test;
	int		 threads;
	int		 interval;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROGNAME " [-hV] [-c file] [-s unix:path | tcp:host:port] "
	    "[-u user[:group]]\n"
	    "       [-M mode] [-T threads] [-r seconds] [-L dir]\n"
	    "       " PROGNAME " -t [-c file] [-u user[:group]]\n");
}

/* fds 0-2 open, on /dev/null if need be; -1 if they cannot be. */
static int
fds_open(void)
{
	int	 fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_RDWR) != fd)
			return -1;
	return 0;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static void
signals_init(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;	/* no SA_RESTART */
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

/*
 * The options into o: 0, 1 for -h or -V (done), or -1 for a usage error
 * (logged).
 */
static int
options_parse(int argc, char *argv[], struct options *o)
{
	long long	 v;
	int		 ch;

	while ((ch = getopt(argc, argv, "hVc:s:u:M:tT:r:L:")) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf(PROGNAME " " STS_VERSION "\n");
			return 1;
		case 'c':
			o->conffile = optarg;
			break;
		case 's':
			o->sock = optarg;
			if (strncmp(o->sock, "unix:", 5) != 0 &&
			    strncmp(o->sock, "tcp:", 4) != 0) {
				logmsg("-s %s: expected unix:path or "
				    "tcp:host:port", o->sock);
				return -1;
			}
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'L':
			o->lastgood = optarg;
			break;
		case 'M':
			if (sts_parse_num(optarg, 0, 0777, 8, &v) == -1) {
				logmsg("-M %s: expected an octal mode", optarg);
				return -1;
			}
			o->mode = (mode_t)v;
			o->setmode = 1;
			break;
		case 't':
			o->test = 1;
			break;
		case 'T':
			if (sts_parse_num(optarg, 1, THREADS_MAX, 10, &v) == -1) {
				logmsg("-T %s: expected 1 to %d", optarg,
				    THREADS_MAX);
				return -1;
			}
			o->threads = (int)v;
			break;
		case 'r':
			if (sts_parse_num(optarg, 0, POLL_MAX, 10, &v) == -1) {
				logmsg("-r %s: expected 0 to %d seconds",
				    optarg, POLL_MAX);
				return -1;
			}
			o->interval = (int)v;
			break;
		default:
			return -1;
		}
	}
	return optind != argc ? -1 : 0;
}

static int
user_lookup(const char *spec, uid_t *uid, gid_t *gid)
{
	char	err[512];

	if (sts_user_lookup(spec, uid, gid, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return -1;
	}
	return 0;
}

static int
drop_privileges(uid_t uid, gid_t gid)
{
	char	err[512];

	if (sts_drop_privileges(uid, gid, err, sizeof(err)) == -1) {
		logmsg("%s", err);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct options		 o;
	struct fastcgi_opts	 fo;
	uid_t			 uid = (uid_t)-1;
	gid_t			 gid = (gid_t)-1;
	int			 fd = -1, r;

	if (fds_open() == -1)
		return 1;
	memset(&o, 0, sizeof(o));
	o.threads = THREADS_DEFAULT;
	o.interval = POLL_DEFAULT;
	if ((r = options_parse(argc, argv, &o)) != 0) {
		if (r == -1)
			usage(stderr);
		return r == -1;
	}
	if (o.test) {
		/* Only reads: root may, or as -u, to see what it can read. */
		if (o.user != NULL && (user_lookup(o.user, &uid, &gid) == -1 ||
		    drop_privileges(uid, gid) == -1))
			return 1;
		if (o.conffile == NULL)
			o.conffile = getenv("MTA_STS_CONF");
		if (o.conffile == NULL || o.conffile[0] == '\0')
			o.conffile = STS_CONF_DEFAULT;
		return configtest_run(o.conffile);
	}
	if (geteuid() == 0 && o.user == NULL) {
		logmsg("refusing to run as root: give -u user[:group] "
		    "to say whom to run as");
		return 1;
	}
	if (o.user != NULL && user_lookup(o.user, &uid, &gid) == -1)
		return 1;
	signals_init();

	if (o.sock != NULL) {
		if (strncmp(o.sock, "unix:", 5) == 0)
			fd = listen_unix(o.sock + 5, o.mode, o.setmode, uid,
			    gid);
		else
			fd = listen_tcp(o.sock + 4);
		if (fd == -1)
			return 1;
	} else if ((fd = listen_systemd()) == -1 && fd_listening(0))
		fd = 0;
	if (o.user != NULL && drop_privileges(uid, gid) == -1)
		return 1;

	if (o.conffile == NULL)
		o.conffile = getenv("MTA_STS_CONF");
	if (o.conffile != NULL && o.conffile[0] == '\0')
		o.conffile = NULL;
	if (o.lastgood == NULL)
		o.lastgood = getenv("MTA_STS_LAST_GOOD");
	if (fd == -1)
		return cgi_run(o.conffile, o.lastgood, argv[0]);
	fo.conffile = o.conffile ? o.conffile : STS_CONF_DEFAULT;
	/* Not given: the default, which the package may not have made. */
	fo.lastgood_quiet = o.lastgood == NULL;
	fo.lastgood = o.lastgood ? o.lastgood : LASTGOOD_DEFAULT;
	fo.threads = o.threads;
	fo.interval = o.interval;
	fo.got_hup = &got_hup;
	fo.got_term = &got_term;
	return fastcgi_run(fd, &fo);
}
