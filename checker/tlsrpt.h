/* SPDX-License-Identifier: ISC */
/*
 * TLS-RPT reports (RFC 8460): the parser (tlsrpt.c), the extraction from a
 * mail message (mime.c), the store and the summary (reports.c), and the two
 * sub-commands (cmd_ingest.c, cmd_report.c).
 *
 * Everything here reads hostile input: every size is capped, and a refusal
 * says what is wrong, e.g. "report-id X: policies[2].failure-details[0]:
 * result-type missing".
 */
#ifndef TLSRPT_H
#define TLSRPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "mtasts.h"

#define TLSRPT_INPUT_MAX	(32UL * 1024 * 1024)	/* a message or file as read */
#define TLSRPT_JSON_MAX		(16UL * 1024 * 1024)	/* JSON after gunzip */
#define TLSRPT_DEPTH_MAX	16		/* nesting of arrays and objects */
#define TLSRPT_POLICIES_MAX	1000
#define TLSRPT_DETAILS_MAX	1000		/* failure-details per policy */
#define TLSRPT_LIST_MAX		1000		/* policy-string lines, mx-host entries */
#define TLSRPT_STR_MAX		1024		/* any one string */

enum tlsrpt_ptype {
	TLSRPT_STS,
	TLSRPT_TLSA,
	TLSRPT_NO_POLICY
};

struct tlsrpt_detail {
	char		*result_type;
	char		*sending_ip;		/* sending-mta-ip, or NULL */
	char		*mx;			/* receiving-mx-hostname, or NULL */
	char		*receiving_ip;		/* or NULL */
	char		*reason;		/* failure-reason-code, or NULL */
	uint64_t	 sessions;		/* failed-session-count */
};

struct tlsrpt_policy {
	enum tlsrpt_ptype	 type;
	char			*domain;	/* policy-domain: lower-case, no trailing dot */
	struct sts_strlist	 lines;		/* policy-string */
	struct sts_strlist	 mx_host;	/* a string or a list (erratum 6241) */
	uint64_t		 ok, failed;	/* summary */
	struct tlsrpt_detail	*details;
	size_t			 ndetails;
};

struct tlsrpt {
	char			*org;		/* organization-name */
	char			*contact;	/* contact-info, or NULL */
	char			*id;		/* report-id */
	time_t			 start, end;	/* date-range */
	struct tlsrpt_policy	*policies;
	size_t			 npolicies;
};

void	 tlsrpt_free(struct tlsrpt *);
const char *tlsrpt_ptype_name(enum tlsrpt_ptype);	/* "sts", "tlsa", "no-policy-found" */

/*
 * A report as JSON, or gzip'd JSON (told by its magic), at most
 * TLSRPT_INPUT_MAX bytes in and TLSRPT_JSON_MAX after gunzip.
 * 0, or -1 with err.
 */
int	 tlsrpt_decode(const void *buf, size_t len, struct tlsrpt *out,
	    char *err, size_t errlen);
int	 tlsrpt_parse_json(const char *buf, size_t len, struct tlsrpt *out,
	    char *err, size_t errlen);
/* gunzip into a malloc'd buffer, refusing more than max bytes of output */
int	 tlsrpt_gunzip(const void *buf, size_t len, size_t max, char **out,
	    size_t *outlen, char *err, size_t errlen);
/* 1 if buf begins with the gzip magic */
int	 tlsrpt_is_gzip(const void *buf, size_t len);
/* RFC 3339 date-time; the zone may be left out (then UTC). 0 or -1. */
int	 tlsrpt_date(const char *s, time_t *out);
/* compact JSON of r (only the policies for which keep[i] is set, or all) */
char	*tlsrpt_to_json(const struct tlsrpt *r, const int *keep);

/* ---- mime.c --------------------------------------------------------------- */

/*
 * The report in an RFC 5322 message: the first application/tlsrpt+gzip or
 * application/tlsrpt+json part (or the body itself with that type),
 * decoded into a malloc'd buffer. 0, or -1 with err.
 */
int	 tlsrpt_from_mime(const void *msg, size_t len, char **out,
	    size_t *outlen, char *err, size_t errlen);

/* ---- reports.c ------------------------------------------------------------ */

enum store_rc { STORE_NEW, STORE_DUP, STORE_BAD, STORE_TEMP };

/*
 * Store r's policies for the domains in served (A-labels) under
 * statedir/reports/<domain>/. Policies for other domains are left out,
 * with a note in err; a report with none of ours is STORE_BAD.
 * STORE_TEMP when the store cannot be written (err says why).
 */
enum store_rc reports_store(const char *statedir, const struct tlsrpt *r,
	    const struct sts_strlist *served, char *err, size_t errlen);
/* Remove reports whose date-range ended more than keep days before now. */
int	 reports_prune(const char *statedir, unsigned keep, time_t now,
	    char *err, size_t errlen);

struct summary_in {
	const char	*domain;
	enum sts_mode	 mode;
	unsigned long	 max_age;
	const char	*policy;	/* the text we serve now, or NULL */
	time_t		 now;
	unsigned long	 window;	/* seconds */
};

/* Write the summary of domain's reports over the window to fp. */
int	 reports_summary(const char *statedir, const struct summary_in *in,
	    FILE *fp, char *err, size_t errlen);

struct report;
/*
 * The findings of the check run from the stored reports over the window:
 * tlsrpt.failures (a warning per MX and result type), tlsrpt.ready (a
 * domain in testing ready for enforce), tlsrpt.store (cannot be read).
 */
int	 reports_findings(const char *statedir, const struct summary_in *in,
	    struct report *r);

/* ---- the sub-commands ------------------------------------------------------ */

struct sts_conf;
/* argv[0] is "ingest"; loads conffile (NULL: the default) */
int	 ingest_main(const char *conffile, int argc, char **argv);
/* argv[0] is "report"; loads conffile (NULL: the default) */
int	 report_main(const char *conffile, int argc, char **argv);
/*
 * Both: load conffile (NULL: the default), run cmd on it and free it;
 * failrc when it cannot be loaded (the reason on stderr).
 */
int	 tlsrpt_conf_run(const char *conffile, int failrc,
	    int (*cmd)(int, char **, const struct sts_conf *), int argc,
	    char **argv);

/* ---- ingest_exec.c: ingest in mta-sts-ingest, the checker with GMime ---- */

#define INGEST_HELPER	"mta-sts-ingest"
/* Run the helper with the same command (conffile: -c); only on failure, EX_TEMPFAIL. */
int	 ingest_exec(const char *conffile, int argc, char **argv);
int	 cmd_ingest(int argc, char **argv, const struct sts_conf *conf);
int	 cmd_report(int argc, char **argv, const struct sts_conf *conf);

#endif /* TLSRPT_H */
