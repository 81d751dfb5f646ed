/* SPDX-License-Identifier: ISC */
/*
 * mta-sts-check internals, the one header between its files (the tests
 * link the checker's objects through it too):
 *
 *   main.c       command line, the table of sub-commands; the only exit
 *   cmd_*.c      one file per sub-command: check, probe, records, policy,
 *                list
 *   zonebatch.c  publish = zonefile for a check run: every domain's
 *                records written once, reloaded, verified
 *   domains.c    a run: configuration, the domains, run-wide warnings,
 *                fatal errors and the output of the reports
 *   pool.c       the -j worker threads and the per-run SMTP cache
 *   checks.c     steps 3 to 6 for one domain: HTTPS, the _mta-sts id,
 *                MX and SMTP, TLS-RPT
 *   cnames.c     the CNAMEs a hosted customer sets once (id-zone,
 *                tlsrpt-zone, web-host)
 *   id.c         id_decide(): what the state, HTTPS and DNS call for
 *   report.c     findings per domain, each with a stable code; JSON
 *   formats.c    the report as JSON, JSON Lines, CSV, Prometheus, HTML;
 *                fmt_esc.c, fmt_domain.c, fmt_tail.c its parts (formats.h)
 *   output.c     the text report: each domain folded in as it ends,
 *                shared causes once, worst first, the summary line,
 *                --changes against the previous run
 *   smtp.c       an MX, as a sender sees it (on shared/conn.c)
 *   dane.c       DANE beside MTA-STS: TLSA records against what the MX
 *                presents and the keys of the certificate store
 *   state.c      ids remembered per domain, the run lock
 *   atomic.c     temporary file, fsync, rename: the one atomic writer
 *   publish.c    the table of publish methods; publish_rfc2136.c,
 *                publish_hook.c, publish_zonefile.c one method each;
 *                publish_tlsrpt.c the delegated TLS-RPT record
 *                (tlsrpt-zone), by the domain's method
 *   records.c    record text, zone-file lines, TSIG key files
 *   run.c        running a program (hook, reload) bounded in time, in a
 *                process group of its own
 *   file.c       file_open(): every file the checker reads (O_NONBLOCK,
 *                fstat: a regular file or an error naming it)
 *
 * DNS, TCP/TLS, the policy fetch and the per-thread deadline are the
 * library's (shared/sender.h), shared with mta-sts-resolve.
 *
 * Every network function is bounded by `timeout` seconds per step (and by
 * the thread's deadline, deadline.c), never prints, and reports problems
 * as findings. All functions are safe to call
 * from several threads at once on different domains (-j N); none exits.
 */
#ifndef CHECK_H
#define CHECK_H

#include <sys/stat.h>
#include <sys/types.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "mtasts.h"
#include "sender.h"
#include "util.h"

/* ---- findings (report.c) ------------------------------------------------- */

enum level { L_OK, L_INFO, L_WARN, L_ERROR };

struct finding {
	enum level	 level;
	char		 code[32];	/* stable: "mx.uncovered", "smtp.cert"; the part before the
					 * first dot is the check ("https", "dns", "mx", ...) */
	char		*msg;		/* one line, names the host/record, says what to do */
};

/* What one domain's run found; one per domain, so threads never share one. */
struct report {
	const char	*domain;	/* the job's (struct job: file or aname) */
	int		 nomem;		/* a finding was lost: out of memory */
	struct finding	*f;
	size_t		 nf, capf;
	enum level	 worst;
	char		 id[STS_ID_MAX + 1];		/* current id (ours), or the one seen */
	char		 dns_id[STS_ID_MAX + 1];	/* id published in DNS, "" if none */
	char		*policy;			/* policy text served (probe) or expected */
	int		 published;			/* the current id is in DNS */
};

/* err without a leading "name: " (the network functions name what they asked) */
const char *bare(const char *err, const char *name);
/* code: one of those listed in mta-sts-check(8), FINDING CODES */
void	 report_add(struct report *, enum level, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 report_free(struct report *);

/* ---- output (report.c) -------------------------------------------------- */

/* s as a JSON string: valid UTF-8 as is, invalid bytes U+FFFD, bidi/C1 visible */
void	 json_str(FILE *, const char *s);

const char *level_name(enum level);		/* "error", "warning", "info", "ok" */
/* 0 all good, 1 warnings, 2 errors, 3 a report ran out of memory, over n
 * reports (and run-wide warnings) */
int	 report_status(const struct report *, size_t n, int global_warnings);
/* "DOMAIN: LEVEL: message" for findings at min or above; okline: "DOMAIN: ok: ..." */
void	 report_print_text(FILE *, const struct report *, enum level min, int okline);
/* {"status":N,"domains":[{"domain","id","dns_id","published","findings":[...]}]} */
void	 report_print_json(FILE *, const struct report *, size_t n, int status,
	    const struct sts_strlist *warnings, const char *error);

/* ---- smtp.c (OpenSSL) --------------------------------------------------- */

struct smtp_result {
	int	 starttls;		/* STARTTLS offered and the handshake worked */
	int	 cert_ok;		/* chains to a trusted root and names the host */
	time_t	 cert_expires;
	char	 tls_version[16];	/* "TLSv1.3" */
	/* DANE: the TLSA records at _25._tcp.<host> (smtp_cached looks them up) */
	int		 tlsa_rc;	/* -1: the lookup failed, tlsa_err says why */
	int		 tlsa_cut;	/* ... because the thread's deadline ran out */
	int		 tlsa_secure;	/* the resolver vouched for the answer (AD) */
	struct tlsa	*tlsa;
	size_t		 ntlsa;
	char		 tlsa_err[STS_ERR_MAX];
	int		 dane_checked;	/* signed records: conn_dane ran, dane is its verdict */
	struct daneinfo	 dane;
	unsigned char	 spki[STS_SPKI_LEN];	/* SHA-256 of the leaf's SubjectPublicKeyInfo */
	int		 have_spki;
};

/*
 * Connect to host:25 (its addresses from dns_addrs), read the banner,
 * EHLO, STARTTLS, handshake with SNI = host, verify the chain (ca_file or
 * default store) and that the certificate names host (SAN dNSName,
 * wildcard as RFC 6125). -1 with err when the host cannot be reached,
 * does not offer STARTTLS or the TLS handshake fails (starttls 0); 0
 * otherwise, with cert_ok and err saying why a certificate is not
 * acceptable ("mx1.example.com: certificate verify failed: hostname
 * mismatch"). A sender that enforces would not deliver in either case.
 */
int	 smtp_check(struct dns *, const char *host, const char *ca_file,
	    unsigned timeout, struct smtp_result *, char *err, size_t errlen);
/*
 * The same, and once the handshake is done the certificate chain checked
 * against the TLSA records tlsa[0..n) (conn_dane; n 0: not at all) into
 * res->dane (dane_checked); res->spki is the leaf's key either way.
 */
int	 smtp_check_dane(struct dns *, const char *host, const char *ca_file,
	    unsigned timeout, const struct tlsa *tlsa, size_t n,
	    struct smtp_result *, char *err, size_t errlen);

/* ---- state.c ------------------------------------------------------------ */

#define STATE_FILE_MAX	4096	/* a longer state file is damaged */

struct state {
	char	 digest[65];		/* SHA-256 hex of the rendered policy */
	char	 id[STS_ID_MAX + 1];	/* id given to that policy */
	time_t	 since;			/* when that id was given */
	int	 published;		/* seen in DNS */
	char	 prev_id[STS_ID_MAX + 1];	/* the id before, for hooks and history */
	char	 pub_id[STS_ID_MAX + 1];	/* the id last put into DNS (or seen there), "" if none */
};

/*
 * STATE itself, mode 0700, parents as needed; 0 if it exists already
 * and is ours and not writable by group or others (refused otherwise)
 */
int	 state_mkdir(const char *dir, char *err, size_t errlen);

/* exclusive lock on STATE/lock; -1 with err "another run holds LOCK" when busy */
int	 state_lock(const char *dir, int *fd, char *err, size_t errlen);
/*
 * Refuse a state directory that is not ours to write: owned by another
 * user than the one running (err says "sudo -u OWNER mta-sts-check"
 * followed by again), holding a file the checker did not write (one that
 * does not begin as a state file, unless named after one of the sorted
 * domains), or a file of another user. 0, or -1 with err.
 */
int	 state_check(const char *dir, const char *again,
	    const struct sts_strlist *domains, char *err, size_t errlen);
void	 state_unlock(int fd);
/* with the lock: remove the temporary files a killed run left in STATE */
void	 state_sweep(const char *dir);
/* 0 and the state; 1 when the domain has none yet; -1 on a damaged file (err) */
int	 state_read(const char *dir, const char *domain, struct state *, char *err, size_t errlen);
/* temporary file, fsync, rename, fsync of the directory */
int	 state_write(const char *dir, const char *domain, const struct state *, char *err, size_t errlen);
/* SHA-256 hex of text */
void	 state_digest(const char *text, size_t len, char out[65]);
/* a new id: the UTC time YYYYMMDDhhmmss, later than `after` (bumped by a second if needed) */
void	 state_new_id(const char *after, time_t now, char out[STS_ID_MAX + 1]);

/* ---- id.c: the id decision (steps 2 and 4), pure ---------------------- */

/* what the state, HTTPS and DNS showed, for id_decide */
struct id_seen {
	int		 state;		/* 0 a state, 1 none yet, -1 damaged (state_read) */
	const struct state *st;		/* the state read, when state is 0 */
	const char	*digest;	/* of the policy rendered now */
	int		 served;	/* HTTPS serves exactly that policy (at one address at least) */
	int		 lagging;	/* another address of mta-sts.<domain> does not (yet) */
	int		 dns_ok;	/* the _mta-sts TXT lookup was answered */
	const char	*dns_id;	/* the id in it, "" when no usable record */
	int		 can_publish;	/* publish is not none */
	int		 auth;		/* ID_AUTH_*: the authoritative servers */
};

#define ID_AUTH_UNASKED	(-1)	/* not asked (yet) */
#define ID_AUTH_NO	0	/* they do not show the state's id */
#define ID_AUTH_YES	1	/* they do */

/* step 2: what becomes of the id */
enum id_step {
	ID_LEAVE,	/* damaged state: ids left alone */
	ID_UNDECIDED,	/* no state and DNS unreadable: decided next run */
	ID_ADOPT,	/* no state; the served policy matches: keep DNS's id */
	ID_NEW,		/* no state: a new id, later than DNS's */
	ID_CHANGED,	/* the policy changed: a new id, later than every old one */
	ID_KEEP		/* the policy did not change: the id stays */
};

/* step 4: what to do in DNS with the (new) id */
enum dns_step {
	DNS_NOTHING,	/* nothing to compare: id undecided, left alone, or DNS unreadable */
	DNS_CURRENT,	/* DNS shows the id */
	DNS_ASK_AUTH,	/* published before: ask the authoritative servers, decide again */
	DNS_CACHED,	/* they show it; the resolver still has the old one */
	DNS_WAIT,	/* the policy is not served yet: the id waits (RFC 8461 §8.1) */
	DNS_PUBLISH	/* served, not in DNS: publish the id */
};

struct id_decision {
	enum id_step	 id;
	enum dns_step	 dns;
	const char	*after;		/* ID_NEW, ID_CHANGED: the new id is later than this (NULL: any) */
};

void	 id_decide(const struct id_seen *, struct id_decision *);
const char *id_step_name(enum id_step);
const char *dns_step_name(enum dns_step);
/* the largest of the ids that are ours (14 digits), NULL if none is */
const char *id_latest(const char *a, const char *b);

/* ---- publish.c ---------------------------------------------------------- */

#define TXT_TTL	3600	/* of the records we publish or print */

/* what publishing did; publish_rc_name() gives each a name */
enum publish_rc {
	PUB_DONE,	/* the record went out (note: what was updated, or what the hook printed) */
	PUB_UNCHANGED,	/* zonefile: the file already held exactly this; not rewritten */
	PUB_BY_HAND,	/* publish = none: note holds the record to set by hand */
	PUB_BATCH,	/* publish = zonefile: the caller writes one file for every domain */
	PUB_FAILED	/* err says why */
};

/* what a method is given */
struct publish_req {
	const struct sts_conf	*conf;
	struct dns		*dns;
	const struct sts_domain	*d;
	const char		*id, *old_id;	/* new id; the one it replaces ("" none) */
};

struct publish_method {
	enum sts_publish	 method;	/* named by sts_publish_name() */
	enum publish_rc		(*publish)(const struct publish_req *,
				    char *note, size_t notelen,
				    char *err, size_t errlen);
};

/*
 * A domain's publishing: its file's, or the global file's (which its
 * settings inherit); a domain not read by the parser (set all zero) has
 * the global one.
 */
enum sts_publish dom_publish(const struct sts_conf *, const struct sts_domain *);
#define DOM_SET(conf, d, field) \
	((d)->set.field != NULL ? (d)->set.field : (conf)->field)

/* the table entry of a method; NULL when there is none */
const struct publish_method *publish_method(enum sts_publish);
const char *publish_name(enum sts_publish);	/* "rfc2136"; "none" for an unknown one */
const char *publish_rc_name(enum publish_rc);	/* "done", "unchanged", ... */

/*
 * Put "v=STSv1; id=<id>" at _mta-sts.<domain> (or <domain>.<id-zone>) by
 * the domain's publish (its file's, or the global one). note (for -v, or
 * the record to set by hand) and err are always set, "" when empty.
 */
enum publish_rc publish_id(const struct sts_conf *, struct dns *,
	    const struct sts_domain *, const char *id, const char *old_id,
	    char *note, size_t notelen, char *err, size_t errlen);
/* the methods, one file each (publish_rfc2136.c, publish_hook.c) */
enum publish_rc publish_rfc2136(const struct publish_req *, char *note,
	    size_t notelen, char *err, size_t errlen);
enum publish_rc publish_hook(const struct publish_req *, char *note,
	    size_t notelen, char *err, size_t errlen);
/*
 * The TLS-RPT record text (unquoted) at name (<domain>.<tlsrpt-zone>),
 * replacing the TXT RRset there: an UPDATE of zone (the one that holds
 * the tlsrpt-zone's names), or the program named by tlsrpt-hook
 * (MTA_STS_RECORD_TYPE=tlsrpt, MTA_STS_ZONE=zone). q->id unused.
 */
enum publish_rc publish_rfc2136_tlsrpt(const struct publish_req *,
	    const char *name, const char *zone, const char *text, char *note,
	    size_t notelen, char *err, size_t errlen);
enum publish_rc publish_hook_tlsrpt(const struct publish_req *,
	    const char *name, const char *zone, const char *text, char *note,
	    size_t notelen, char *err, size_t errlen);
/*
 * publish_zonefile.c: write lines (zone_records of every domain) to
 * conf->zonefile (atomic_write), then run conf->reload. PUB_UNCHANGED
 * when the file already held exactly this (no write, no reload), PUB_DONE
 * written and reloaded, PUB_FAILED with err. (One file, no %z.)
 */
enum publish_rc publish_zonefile(const struct sts_conf *,
	    const struct sts_strlist *lines, char *err, size_t errlen);
/*
 * The same without the reload, for the file at path (zonefile with %z
 * replaced), whose head names zone (NULL: one file for every zone).
 */
enum publish_rc zonefile_write(const char *path, const char *zone,
	    const struct sts_strlist *lines, char *err, size_t errlen);
/*
 * After a failed reload: a line added to the file at path, so that the
 * next run finds its text changed, writes it again and reloads. 0 or -1.
 */
int	 zonefile_mark(const char *path, char *err, size_t errlen);
/*
 * The zone whose file holds d's records, zonefile's and reload's %z: the
 * domain file's `zone`, else the domain itself. The one place that
 * decides it.
 */
const char *publish_zone(const struct sts_conf *, const struct sts_domain *);
/*
 * The zones whose files exist already, for zonefile = DIR/PREFIX%zSUFFIX
 * (%z in the file name only, SUFFIX not empty): added to zones, so that a zone whose
 * domains are gone is written too (without their records). Names that
 * are no zone name as publish_zone gives it are skipped. 0, or -1 when
 * DIR cannot be read.
 */
int	 zonefile_existing(const char *tmpl, struct sts_strlist *zones);
/* does tmpl hold %z (not %%z)? zonefile_per_zone: one file per zone */
int	 zone_has_z(const char *tmpl);
int	 zonefile_per_zone(const struct sts_conf *);
/*
 * tmpl with %z replaced by zone (NULL: tmpl has no %z) and %% by %. -1
 * (err) when zone is no plain DNS name (letters, digits, '-', '_', '.';
 * so it needs no shell quoting and makes no path) or the result does not
 * fit.
 */
int	 zone_expand(const char *tmpl, const char *zone, char *out,
	    size_t outlen, char *err, size_t errlen);
/* run.c: how long the hook or the reload command may run: 6 timeouts */
unsigned run_timeout(const struct sts_conf *);
/*
 * publish_zonefile.c: run conf->reload (sh -c) with %z = zone, bounded in
 * time; 0 when it is unset or exits 0
 */
int	 publish_reload(const struct sts_conf *, const char *zone, char *err,
	    size_t errlen);

/* ---- file.c ------------------------------------------------------------- */

/*
 * sts_open_file(AT_FDCWD, path, flags, mode, sb) (util.h: O_NONBLOCK,
 * O_CLOEXEC, O_NOCTTY, fstat into sb (may be NULL), regular files only):
 * the fd, or -1 with err "WHAT PATH: not a regular file (a FIFO)" or
 * "WHAT PATH: strerror" (what may be NULL) and errno (ENOENT kept; EINVAL
 * for the wrong type). Every file the checker reads is opened this way: a
 * FIFO never blocks a run.
 */
int	 file_open(const char *what, const char *path, int flags, mode_t mode,
	    struct stat *sb, char *err, size_t errlen);

/* ---- atomic.c ----------------------------------------------------------- */

/*
 * Replace path with len bytes of text: a temporary file made from tmpl
 * (ending in XXXXXX, in path's directory), mode, owner uid/gid unless
 * (uid_t)-1 (EPERM ignored), written, fsynced, renamed over path, then the
 * directory fsynced. On failure the temporary file is removed and path is
 * left as it was; err names path first: "PATH: No space left on device
 * (writing TMP)".
 */
int	 atomic_write(const char *path, const char *tmpl, const char *text,
	    size_t len, mode_t mode, uid_t uid, gid_t gid, char *err,
	    size_t errlen);

/*
 * run.c: run argv (argv[0] a path, executed directly, no shell) with envp,
 * stdin from /dev/null, stdout and stderr captured into out as one line
 * (newlines as "; ", the rest escaped, truncated). Killed (SIGKILL, by its
 * pid) after timeout seconds. 0 when it exited 0; -1 with err naming
 * argv[0] and saying how it ended, with what it printed.
 */
int	 run_program(char *const argv[], char *const envp[], unsigned timeout,
	    char *out, size_t outlen, char *err, size_t errlen);

/* text as a zone-file TXT rdata: quoted, escaped, split every 255 octets */
int	 zone_txt(const char *text, char *out, size_t outlen);
/* "v=TLSRPTv1; rua=..." from rua, or mailto:postmaster@<domain> if it is empty */
int	 tlsrpt_default(const char *domain, const struct sts_strlist *rua,
	    char *out, size_t outlen);
/*
 * The zone-file lines for one domain, absolute names, TTL TXT_TTL:
 * "_mta-sts.<domain>. 3600 IN TXT "v=STSv1; id=<id>"" (left out when id
 * is NULL or "") and "_smtp._tls.<domain>. 3600 IN TXT "v=TLSRPTv1; rua=..."".
 */
int	 zone_records(const char *domain, const char *id,
	    const struct sts_strlist *rua, struct sts_strlist *lines);
/*
 * Where a record of domain lives: "<label>.<domain>" ("_mta-sts",
 * "_smtp._tls"), or "<domain>.<zone>" when zone (id-zone, tlsrpt-zone) is
 * set and not "" (delegated: the customer's <label>.<domain> is a CNAME
 * to it). -1 when the name is longer than a host name may be.
 */
int	 owner_name(const char *label, const char *domain, const char *zone,
	    char *out, size_t outlen);
/*
 * zone_records, at the names owner_name gives for d's id-zone and
 * tlsrpt-zone; with id-zone but no tlsrpt-zone, no _smtp._tls line (the
 * customer's zone is not the operator's)
 */
int	 zone_records_at(const struct sts_domain *d, const char *id,
	    struct sts_strlist *lines);
/* only some of them: the id line (ZR_ID), the TLS-RPT line (ZR_TLSRPT) */
#define ZR_ID		1
#define ZR_TLSRPT	2
int	 zone_records_part(const struct sts_domain *d, const char *id,
	    int parts, struct sts_strlist *lines);
/*
 * zone_old_lines, and the lines at <domain>.<id_zone>. and
 * <domain>.<tlsrpt_zone>. (either NULL: none): a domain whose file is
 * invalid keeps its delegated records in the file
 */
int	 zone_old_lines_in(const char *path, const char *domain,
	    const char *id_zone, const char *tlsrpt_zone,
	    struct sts_strlist *lines);
/* the lines for domain in the zone file at path as it is now (none if missing) */
int	 zone_old_lines(const char *path, const char *domain, struct sts_strlist *lines);


/* a TSIG key from a BIND key file: key "name" { algorithm ...; secret "..."; }; */
struct tsig {
	char	name[STS_HOST_MAX + 2];	/* with the trailing dot */
	char	alg[32];		/* ldns's name: "hmac-sha256." */
	char	secret[1024];		/* base64, never printed */
};
/* the file text (len bytes); errors "PATH:LINE: what", never the secret */
int	 tsig_parse(const char *path, const char *buf, size_t len, struct tsig *,
	    char *err, size_t errlen);
/*
 * read path strictly (file_open: a regular file); refused when group or
 * others have any access to it, or its owner is neither root nor us
 */
int	 tsig_load(const char *path, struct tsig *, char *err, size_t errlen);

/* ---- a run (domains.c, pool.c, main.c) ---------------------------------- */

enum cmd { CMD_CHECK, CMD_PROBE, CMD_RECORDS, CMD_POLICY, CMD_LIST,
	CMD_TLSRPT };

/* records --format */
enum recfmt { REC_ZONE, REC_CSV, REC_NSUPDATE, REC_JSON };

/* --format; --json is FMT_JSON */
enum format { FMT_TEXT, FMT_JSON, FMT_JSONL, FMT_CSV, FMT_PROM, FMT_HTML };

struct opts {
	const char	*conffile;
	int		 dry, quiet, verbose, json;	/* json: format is not text */
	int		 changes;	/* --changes: only what appeared or cleared */
	enum format	 format;
	const char	*outfile;	/* -o: written to a temporary file, renamed */
	const char	*format_arg;	/* --format as given; records reads it its way */
	enum recfmt	 recfmt;
	int		 hostnames;	/* list --hostnames */
	unsigned	 jobs;
	enum cmd	 cmd;
};

/*
 * One domain of a run. What stays for every domain until the run ends is
 * this (about 140 bytes and the names); the rendered policy (d) and the
 * state (st) are allocated while the domain is checked and freed once
 * its report is out (job_release), so 100,000 domains fit in a few MiB.
 */
struct job {
	struct report	 r;		/* r.domain is file or aname */
	char		*file;		/* domain file name, as listed */
	char		*aname;		/* its A-label when that is not file; NULL */
	struct sts_domain *d;		/* the rendered policy, when loaded */
	struct state	*st;		/* the state, from gather() on */
	off_t		 spool_at;	/* formats.c: its part in run->spool, */
	size_t		 spool_len;	/* when spooled */
	/* bytes, not bit-fields: a worker writes its job's while the
	 * emitter reads others' under the lock */
	unsigned char	 selected;	/* checked in this run */
	unsigned char	 loaded;	/* d holds the rendered policy */
	unsigned char	 cut;		/* "cut short" is in its report */
	/* for the zone file, after the checks */
	unsigned char	 state_ok;	/* st is what is on disk (or will be) */
	unsigned char	 served;	/* the current policy is being served */
	unsigned char	 want_publish;	/* zonefile: the current id should go out */
	unsigned char	 folded;	/* output.c has its report */
	unsigned char	 spooled;	/* formats.c: written to run->spool, freed */
};

/* domains.c: the job's name (an A-label; file's own string when equal); -1 no memory */
int	 job_name(struct job *, const char *alabel);
/* the policy and state freed (loaded 0); the name and the flags stay */
void	 job_release(struct job *);
/* a job's state, allocated on first use; NULL: no memory */
struct state *job_state(struct job *);

/* Once per job: a finding that its checks were cut short, if they were. */
void	 pool_cut_short(struct job *);

#define SMTP_BUCKETS	256

struct smtp_entry;
struct run;
typedef void job_fn(struct run *, struct dns *, struct job *);

struct run {
	const struct opts	*o;
	struct sts_conf		 conf;
	struct sts_certstore	*store;
	struct job		*jobs;
	size_t			 njobs;
	time_t			 now;
	struct sts_strlist	 warnings;	/* run-wide, main thread only */
	int			 nomem;		/* a warning was lost */
	/* pool.c */
	double			 run_end;	/* deadline_clock() + run-timeout, from pool_init */
	size_t			 next;
	job_fn			*fn;
	int			 locks;		/* the locks below initialised */
	pthread_mutex_t		 mu;		/* the next job; dane.c's sets */
	pthread_mutex_t		 load_mu;	/* run_load: the certificate store, warnings */
	pthread_mutex_t		 out_mu;	/* out_fold: the report, in order */
	pthread_mutex_t		 smtp_mu;	/* the SMTP cache, */
	pthread_cond_t		 cv;		/* ... and an entry done */
	struct smtp_entry	*smtp[SMTP_BUCKETS];
	struct dane_store	*dane;		/* dane.c: the keys of the stores */
	/* output.c: the text report, built as the domains end */
	struct agg		*agg;
	int			 stream;	/* fold each job as soon as it ends */
	size_t			 ndom, nok, nwarn, nerr, npub;
	int			 lost;		/* a report lost a finding */
	/* formats.c: where the report goes, and the next job to write */
	FILE			*out;
	char			*outtmp;	/* -o: the temporary file */
	FILE			*fam[3];	/* prometheus: per-domain families */
	FILE			*spool;		/* domains done before one ahead of them */
	size_t			 next_emit, nemitted;
	struct timespec		 t0;
};

/* domains.c: everything returns 0, or the exit status 3 after run_fail */
void	 run_init(struct run *, const struct opts *);
void	 run_free(struct run *);
/* the message on stderr (and as JSON with --json); returns 3 */
int	 run_fail(struct run *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* a run-wide warning (sts_warn_fn), each message once */
void	 run_warn(void *run, const char *msg);
/* the configuration; optional: probe, built-in defaults when it is missing */
int	 run_conf(struct run *, int optional);
/* a command-line domain to an A-label; one trailing dot allowed */
int	 run_arg_domain(struct run *, const char *arg, char *out, size_t outlen);
/* the domain files, and which ones names selects (all when nnames is 0) */
int	 run_domains(struct run *, char **names, int nnames);
/* render one domain's policy; a configuration error is a finding */
void	 run_load(struct run *, struct job *);
/* the reports in domain order; the exit status */
int	 run_output(struct run *, int only_selected);

/*
 * output.c: fold one job's report into the run's text report (counts,
 * findings grouped by code, level and message with the domain taken
 * out), then free its findings; the caller holds run->out_mu when workers
 * run. Each job once; later calls do nothing.
 */
void	 out_fold(struct run *, struct job *);
/* the text report: warnings, findings worst first, the summary; the status */
int	 out_text(struct run *, FILE *);
void	 out_free(struct run *);
/* message with every mention of domain as "<domain>" (a shared cause reads the same) */
int	 out_template(const char *msg, const char *domain, char *out, size_t outlen);

/*
 * formats.c: the report as JSON, JSON Lines, CSV, Prometheus text or one
 * HTML page, each domain written as soon as it and those before it are
 * done (domain order), then freed.
 */
int	 fmt_parse(const char *name, enum format *);
const char *fmt_name(enum format);
/* where the report goes (stdout, or -o's temporary file) and its head; -1 err */
int	 fmt_open(struct run *, char *err, size_t errlen);
/* write every job that is ready, in order */
void	 fmt_emit_ready(struct run *);
/*
 * j's checks ended (out_fold, under the lock): every job that is ready is
 * written; j itself, if one before it is still being checked, goes to a
 * temporary file (run->spool) and is freed, to be copied out in its turn
 */
void	 fmt_fold(struct run *, struct job *);
/* the tail (summary), then the rename over -o's file; -1 with err */
int	 fmt_close(struct run *, int status, char *err, size_t errlen);
void	 fmt_abort(struct run *);	/* on a fatal error: the temporary file removed */

/* pool.c: each MX host checked in this run, sorted by name */
void	 smtp_each(struct run *, void (*)(void *, const char *host, int rc,
	    const struct smtp_result *, const char *err), void *);

/* pool.c: fn on every selected job, in o->jobs threads with a resolver each */
int	 pool_init(struct run *);	/* -1: no mutex */
void	 pool_run(struct run *, job_fn *);
/* smtp_check of host once per run, shared by the domains; NULL: no memory */
const struct smtp_result *smtp_cached(struct run *, struct dns *,
	    const char *host, int *rc, const char **err);
void	 pool_free(struct run *);
/* a result known otherwise (tests/helpers/fmtfeed.c): as if host were checked */
int	 smtp_put(struct run *, const char *host, int rc,
	    const struct smtp_result *, const char *err);

/* checks.c */
/* "a, b, c" (or "(none)") from the policy's mx patterns */
void	 policy_summary(const struct sts_policy *, char *buf, size_t len);
/*
 * Step 3: fetch the policy as a sender does. With want (check): 1 when it
 * is served and equals want; when mta-sts.<domain> has several addresses,
 * every one is asked too and *lagging counts those that do not serve want
 * (each named in an error; old, the state before this run or NULL, tells
 * the old policy). Without (probe): 1 when a usable policy was fetched,
 * left in *got. why says, briefly, why not.
 */
int	 check_https(struct run *, struct dns *, const char *domain,
	    const struct sts_policy *want, const struct state *old,
	    struct sts_policy *got, struct report *, int *lagging,
	    char *why, size_t whylen);
/*
 * The id senders see at name (_mta-sts.<domain>): -1 when DNS gave no
 * answer (why); 0 with id, or id "" and why saying why no record is usable.
 */
int	 check_txt_id(struct dns *, const char *name, char id[STS_ID_MAX + 1],
	    struct report *r, char *why, size_t whylen);
/*
 * Step 5; pol NULL (probe, no policy): STARTTLS only, problems as warnings.
 * set: the domain's settings (check: the TLSA records are compared with
 * the keys of its certificate store); NULL (probe): each MX is told which
 * mechanism a sender applies (dane.mechanism).
 */
void	 check_mx(struct run *, struct dns *, const char *domain,
	    const struct sts_policy *pol, const struct sts_settings *set,
	    struct report *);

/*
 * dane.c: DANE beside MTA-STS (RFC 7672, RFC 8461 §2). The keys of the
 * certificate stores (certs of each domain, tlsa-next), read once per run.
 */
struct dane_store;
/* main thread, after run_conf: the next keys (tlsa-next), warnings to run_warn; 0 or 3 */
int	 dane_init(struct run *);
void	 dane_free(struct run *);
/* the keys of a certs spec, read on first use (any thread); NULL when it cannot be read */
const struct sts_certkeys *dane_keys(struct run *, const char *spec);
/* the next keys (tlsa-next), NULL when none is configured */
const struct sts_certkeys *dane_next(struct run *);
/* 1 when key k is for MX host (its name is host, or a wildcard covering it) */
int	 dane_key_for(const struct sts_certkey *, const char *host);
/* "3 1 1 <hex>" of a key */
void	 dane_rdata(const unsigned char spki[STS_SPKI_LEN], char *out, size_t outlen);
/*
 * The DANE findings for one MX host of domain: mx_secure, the MX lookup
 * was vouched for (dns_secure after dns_mx); res and smtp_rc from
 * smtp_cached; set as for check_mx.
 */
void	 check_dane(struct run *, const char *domain, const char *host,
	    int mx_secure, int smtp_rc, const struct smtp_result *res,
	    const struct sts_policy *pol, const struct sts_settings *set,
	    struct report *);
/*
 * Step 6; rua NULL or empty: the default mailto:postmaster@<domain>;
 * zone: the tlsrpt-zone (the record to set is the customer's CNAME), or NULL
 */
void	 check_tlsrpt(struct dns *, const char *domain,
	    const struct sts_strlist *rua, const char *zone, struct report *);

/*
 * cnames.c: what a hosted customer sets once, as a sender's resolver sees
 * it; a missing or wrong CNAME is a finding naming the record to set.
 * With id-zone: _mta-sts.<domain> must be a CNAME to <domain>.<id-zone>
 * (dns.cname.missing, dns.cname.wrong), and senders should see id
 * through it (dns.cname.ok, or dns.txt.cached); 0 when it is, -1 not.
 */
int	 check_id_cname(struct dns *, const struct sts_domain *,
	    const char *id, struct report *);
/* with tlsrpt-zone: _smtp._tls.<domain> CNAME <domain>.<tlsrpt-zone> (tlsrpt.cname.ok) */
void	 check_tlsrpt_cname(struct dns *, const struct sts_domain *,
	    struct report *);
/*
 * publish_tlsrpt.c: with tlsrpt-zone, the TLS-RPT record at
 * <domain>.<tlsrpt-zone> made what the configuration gives, by the
 * domain's method (not zonefile: zonebatch.c), when the zone's
 * authoritative servers do not hold exactly it
 */
void	 tlsrpt_publish(struct run *, struct dns *, struct job *);
/*
 * with web-host: mta-sts.<domain> CNAME <web-host> (web.cname.ok), or
 * web.cname.missing / web.cname.wrong: a warning while its addresses are
 * the web host's, an error when they differ (both lists named)
 */
void	 check_web_host(struct dns *, const struct sts_domain *,
	    struct report *);

/* the sub-commands (cmd_*.c): the exit status */
int	 cmd_check(struct run *, char **names, int nnames);
int	 cmd_probe(struct run *, char **names, int nnames);
int	 cmd_records(struct run *, char **names, int nnames);
int	 cmd_policy(struct run *, char **names, int nnames);
int	 cmd_list(struct run *, char **names, int nnames);
/*
 * zonebatch.c: publish = zonefile after a check run's domains: write the
 * file (or one per zone), reload, publish.done/publish.failed per domain,
 * then save (its state, 0 or -1) and verify (in the pool) each published
 * one. 0, or the run's fatal status.
 */
int	 zonefile_batch(struct run *, int (*save)(struct run *, struct job *),
	    job_fn *verify);
/* cmd_records.c: "zone", "csv", "nsupdate", "json"; -1 for anything else */
int	 rec_parse(const char *name, enum recfmt *);
/* cmd_list.c: alabel in U-labels; as is when it has no xn-- label */
void	 list_ulabel(const char *alabel, char *out, size_t outlen);

#endif /* CHECK_H */
