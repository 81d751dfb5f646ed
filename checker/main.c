/*
 * mta-sts-check: keeps each domain's _mta-sts id in step with the policy
 * the responder serves, and says, before a sender does, what is wrong.
 *
 *	mta-sts-check [-c FILE] [-n] [-q | -v] [--json] [-j N] [DOMAIN ...]
 *	mta-sts-check [-c FILE] probe DOMAIN ...
 *	mta-sts-check [-c FILE] records [DOMAIN ...]
 *	mta-sts-check [-c FILE] policy DOMAIN
 *
 * This file: the command line and the table of sub-commands (one file
 * each, cmd_*.c). Errors come back here as an exit status; nothing else
 * in the checker exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define JOBS_DEFAULT	4
#define JOBS_MAX	64

static const struct command {
	const char	*name;		/* NULL: the default, check */
	enum cmd	 cmd;
	int		 min, max;	/* DOMAIN arguments; max -1: any */
	int		(*run)(struct run *, char **, int);
	int		 json;		/* has --json output */
} commands[] = {
	{ NULL, CMD_CHECK, 0, -1, cmd_check, 1 },
	{ "probe", CMD_PROBE, 1, -1, cmd_probe, 1 },
	{ "records", CMD_RECORDS, 0, -1, cmd_records, 0 },
	{ "policy", CMD_POLICY, 1, 1, cmd_policy, 0 },
};

static int
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: mta-sts-check [-c FILE] [-n] [-q | -v] [--json] [-j N] [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] probe DOMAIN ...\n"
	    "       mta-sts-check [-c FILE] records [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] policy DOMAIN\n"
	    "       mta-sts-check -h | -V\n");
	return status;
}

static const struct command *
command(const char *word)
{
	size_t i;

	for (i = 1; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(word, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

/* ---- main -------------------------------------------------------------- */

static void
sane_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* the options (they may follow the sub-command); -1 on a usage error */
static int
options(int argc, char *argv[], struct opts *o, const struct command **cmd)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *c = NULL;
	char *ep = NULL;
	long v;
	int ch;

	*cmd = &commands[0];
	for (;;) {
		while ((ch = getopt_long(argc, argv, "+c:nqvj:hV", longopts,
		    NULL)) != -1) {
			switch (ch) {
			case 'c':
				o->conffile = optarg;
				break;
			case 'n':
				o->dry = 1;
				break;
			case 'q':
				o->quiet = 1;
				break;
			case 'v':
				o->verbose = 1;
				break;
			case 'J':
				o->json = 1;
				break;
			case 'j':
				errno = 0;
				v = strtol(optarg, &ep, 10);
				if (errno != 0 || ep == optarg || *ep != '\0' ||
				    v < 1 || v > JOBS_MAX) {
					fprintf(stderr, "mta-sts-check: -j takes "
					    "a number from 1 to %d\n", JOBS_MAX);
					return -1;
				}
				o->jobs = (unsigned)v;
				break;
			case 'h':
				return 'h';
			case 'V':
				return 'V';
			default:
				return -1;
			}
		}
		if (optind < argc && *cmd == &commands[0] &&
		    (c = command(argv[optind])) != NULL) {
			*cmd = c;
			optind++;
			continue;
		}
		break;
	}
	o->cmd = (*cmd)->cmd;
	if (o->quiet && o->verbose) {
		fprintf(stderr, "mta-sts-check: -q and -v exclude each other\n");
		return -1;
	}
	if (o->json && !(*cmd)->json) {
		fprintf(stderr, "mta-sts-check: --json: %s has no JSON output "
		    "(only the check and probe do)\n", (*cmd)->name);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct command *cmd = NULL;
	struct sigaction sa;
	struct opts o;
	struct run run;
	int status, n;

	sane_fds();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGPIPE, &sa, NULL);

	memset(&o, 0, sizeof(o));
	o.jobs = JOBS_DEFAULT;
	switch (options(argc, argv, &o, &cmd)) {
	case 'h':
		return usage(0);
	case 'V':
		printf("mta-sts-check %s\n", STS_VERSION);
		return 0;
	case -1:
		return usage(3);
	}
	n = argc - optind;
	if (n < cmd->min || (cmd->max >= 0 && n > cmd->max))
		return usage(3);
	run_init(&run, &o);
	status = cmd->run(&run, argv + optind, n);
	run_free(&run);
	return status;
}
