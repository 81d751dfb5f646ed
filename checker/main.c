/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check: keeps each domain's _mta-sts id in step with the policy
 * the responder serves, and says, before a sender does, what is wrong.
 *
 *	mta-sts-check [-c FILE] [-n] [-q | -v] [--changes] [--json] [-j N]
 *	    [DOMAIN ...]
 *	mta-sts-check [-c FILE] probe DOMAIN ...
 *	mta-sts-check [-c FILE] list [--hostnames] [DOMAIN ...]
 *	mta-sts-check [-c FILE] records [--format FORMAT] [DOMAIN ...]
 *	mta-sts-check [-c FILE] policy DOMAIN
 *	mta-sts-check [-c FILE] ingest [--maildir DIR] [--spool DIR] [FILE ...]
 *	mta-sts-check [-c FILE] report [--since DAYS] [DOMAIN ...]
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
#include "tlsrpt.h"

#define JOBS_DEFAULT	4
#define JOBS_MAX	64

/*
 * ingest reads mail with GMime: mta-sts-ingest (this file built with
 * INGEST_HELPER, linked with GMime) does it; mta-sts-check, linked
 * without, runs that (ingest_exec.c), so its other commands start without
 * loading GMime, GIO and GLib.
 */
static int
ingest_entry(const char *conffile, int argc, char **argv)
{
#ifdef INGEST_HELPER_BUILD
	return ingest_main(conffile, argc, argv);
#else
	return ingest_exec(conffile, argc, argv);
#endif
}

static const struct command {
	const char	*name;		/* NULL: the default, check */
	enum cmd	 cmd;
	int		 min, max;	/* DOMAIN arguments; max -1: any */
	int		(*run)(struct run *, char **, int);
	/* A command with options of its own, given its word and what follows. */
	int		(*own)(const char *conffile, int argc, char **argv);
	int		 json;		/* has --json output */
} commands[] = {
	{ NULL, CMD_CHECK, 0, -1, cmd_check, NULL, 1 },
	{ "probe", CMD_PROBE, 1, -1, cmd_probe, NULL, 1 },
	{ "records", CMD_RECORDS, 0, -1, cmd_records, NULL, 0 },
	{ "policy", CMD_POLICY, 1, 1, cmd_policy, NULL, 0 },
	{ "list", CMD_LIST, 0, -1, cmd_list, NULL, 0 },
	{ "ingest", CMD_TLSRPT, 0, -1, NULL, ingest_entry, 0 },
	{ "report", CMD_TLSRPT, 0, -1, NULL, report_main, 0 },
};

static int
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: mta-sts-check [-c FILE] [-n] [-q | -v] [--changes]\n"
	    "                     [--format FORMAT | --json] [-o FILE] [-j N] [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] [--format FORMAT | --json] [-o FILE] probe DOMAIN ...\n"
	    "       mta-sts-check [-c FILE] list [--hostnames] [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] records [--format zone | csv | nsupdate | json]\n"
	    "                     [DOMAIN ...]\n"
	    "       mta-sts-check [-c FILE] policy DOMAIN\n"
	    "       mta-sts-check [-c FILE] ingest [--maildir DIR] [--spool DIR] [FILE ...]\n"
	    "       mta-sts-check [-c FILE] report [--since DAYS] [DOMAIN ...]\n"
	    "       mta-sts-check -h | --help | -V\n");
	return status;
}

/* --help: the usage, then one line per option */
static int
help(void)
{
	(void)usage(0);
	fputs("\n"
	    "  -c FILE          the configuration (default " STS_CONF_DEFAULT ")\n"
	    "  -n               change nothing: say what would be published or written\n"
	    "  -q               print errors only\n"
	    "  -v               also print what is good, and always the summary line\n"
	    "  --changes        print only what appeared or cleared since the last --changes run\n"
	    "  --format FORMAT  text (default), json, jsonl, csv, prometheus or html\n"
	    "  --json           the same as --format json\n"
	    "  -o FILE          write the report to FILE (a temporary file renamed over it)\n"
	    "  -j N             check up to N domains at the same time, 1 to 64 (default 4)\n"
	    "  -h, --help       the usage; --help also these lines\n"
	    "  -V, --version    the version\n"
	    "\n"
	    "  probe DOMAIN...  check any domain as a sender sees it\n"
	    "  list             every domain: U-label, A-label, mode, max_age, ids, status\n"
	    "  --hostnames      list: only the web names mta-sts.<domain>, one a line\n"
	    "  records          the DNS records to publish (--format zone, csv, nsupdate, json)\n"
	    "  policy DOMAIN    the policy served for DOMAIN\n", stdout);
	return 0;
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

/* The options that go together, and --format, for the sub-command cmd; -1 on a usage error. */
static int
options_check(struct opts *o, const struct command *cmd)
{
	if (o->format_arg != NULL && o->cmd == CMD_RECORDS) {
		if (rec_parse(o->format_arg, &o->recfmt) == -1) {
			fprintf(stderr, "mta-sts-check: records --format takes "
			    "zone, csv, nsupdate or json\n");
			return -1;
		}
	} else if (o->format_arg != NULL &&
	    fmt_parse(o->format_arg, &o->format) == -1) {
		fprintf(stderr, "mta-sts-check: --format takes text, json, "
		    "jsonl, csv, prometheus or html\n");
		return -1;
	}
	o->json = o->format != FMT_TEXT;
	if (o->quiet && o->verbose) {
		fprintf(stderr, "mta-sts-check: -q and -v exclude each other\n");
		return -1;
	}
	if (o->json && !cmd->json) {
		fprintf(stderr, "mta-sts-check: --json: %s has no JSON output "
		    "(only the check and probe do)\n", cmd->name);
		return -1;
	}
	return 0;
}

/* the options (they may follow the sub-command); -1 on a usage error */
static int
options(int argc, char *argv[], struct opts *o, const struct command **cmd)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "changes", no_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'F' },
		{ "hostnames", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct command *c = NULL;
	char *ep = NULL;
	long v;
	int ch;

	*cmd = &commands[0];
	for (;;) {
		while ((ch = getopt_long(argc, argv, "+c:nqvj:o:hV", longopts,
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
				o->format = FMT_JSON;
				break;
			case 'F':
				o->format_arg = optarg;
				break;
			case 'N':
				o->hostnames = 1;
				break;
			case 'o':
				o->outfile = optarg;
				break;
			case 'C':
				o->changes = 1;
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
			case 'H':
				return 'H';
			case 'V':
				return 'V';
			default:
				return -1;
			}
		}
		if (optind < argc && *cmd == &commands[0] &&
		    (c = command(argv[optind])) != NULL) {
			*cmd = c;
			if (c->own != NULL)	/* its options are its own */
				break;
			optind++;
			continue;
		}
		break;
	}
	o->cmd = (*cmd)->cmd;
	return options_check(o, *cmd);
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
	case 'H':
		return help();
	case 'V':
		printf("mta-sts-check %s\n", STS_VERSION);
		return 0;
	case -1:
		return usage(3);
	}
	if (cmd->own != NULL)
		return cmd->own(o.conffile, argc - optind, argv + optind);
	n = argc - optind;
	if (n < cmd->min || (cmd->max >= 0 && n > cmd->max))
		return usage(3);
	run_init(&run, &o);
	status = cmd->run(&run, argv + optind, n);
	run_free(&run);
	return status;
}
