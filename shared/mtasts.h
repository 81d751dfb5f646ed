/* SPDX-License-Identifier: ISC */
/*
 * libmtasts: everything mta-sts-fcgi and mta-sts-check share.
 *
 * The library never exits, never prints and never reads the environment.
 * Functions return 0 on success and -1 on failure; on failure they write a
 * message the caller can show as is into err (errlen bytes, always
 * NUL-terminated), e.g. "example.com:3: max-age above 31557600".
 * Messages never contain raw control characters from the input: such bytes
 * are written as \xNN (see sts_escape).
 * Problems that do not stop the work (a skipped file, an unusable name) are
 * passed to a warning callback, which may be NULL.
 */
#ifndef MTASTS_H
#define MTASTS_H

#include <stddef.h>
#include <stdint.h>

#define STS_VERSION      "0.1.0"
#define STS_HOST_MAX     253       /* a host name without its trailing dot */
#define STS_LABEL_MAX    63
#define STS_POLICY_MAX   65536     /* what a sender reads at most (§3.3) */
#define STS_MAX_AGE_MAX  31557600UL
#define STS_ID_MAX       32        /* sts-id = 1*32(ALPHA / DIGIT) */
#define STS_ERR_MAX      512       /* a good size for err buffers */

typedef void sts_warn_fn(void *arg, const char *msg);

/* ---- strlist.c: a growable list of strings ---------------------------- */

struct sts_strlist {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

int	 sts_strlist_add(struct sts_strlist *, const char *);	/* copies; -1 on ENOMEM */
int	 sts_strlist_addn(struct sts_strlist *, const char *, size_t);
int	 sts_strlist_copy(struct sts_strlist *dst, const struct sts_strlist *src);
void	 sts_strlist_sort_uniq(struct sts_strlist *);	/* strcmp order, duplicates dropped */
int	 sts_strlist_contains(const struct sts_strlist *, const char *);
int	 sts_strlist_equal(const struct sts_strlist *, const struct sts_strlist *);
void	 sts_strlist_free(struct sts_strlist *);		/* leaves it empty and reusable */

/*
 * Format a message into err (errlen bytes; NULL or 0 is allowed) and
 * return -1, so that a failure path reads `return sts_err(err, ...)`.
 */
int	 sts_err(char *err, size_t errlen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Format a warning and pass it to warn, which may be NULL. */
void	 sts_warnf(sts_warn_fn *warn, void *arg, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Write src (srclen bytes) into dst for logging: printable ASCII as is,
 * backslash and everything else as \xNN; truncated with "..." to fit.
 * Returns dst.
 */
char	*sts_escape(char *dst, size_t dstlen, const char *src, size_t srclen);

/* ---- host.c: host names, Host headers, mx patterns -------------------- */

/*
 * A host name as RFC 1123 allows it: LDH labels of 1..63 octets, no label
 * beginning or ending with '-', 253 octets in all, at least two labels,
 * no trailing dot, not all-numeric in the last label (so no IPv4 literal).
 * Case is accepted as is. Returns 1 if valid, 0 if not.
 */
int	 sts_host_valid(const char *name, size_t len);

/* "*." followed by a valid host name, or a valid host name. 1 or 0. */
int	 sts_mx_pattern_valid(const char *pat, size_t len);

/*
 * From a Host header (HTTP_HOST) to the policy domain: lower-cased, a
 * ":port" (digits only) and one trailing dot removed; the rest must be
 * "mta-sts." followed by a valid host name. IPv6 literals, NUL, controls,
 * non-ASCII and anything else are refused.
 * Returns 0 and writes the domain (e.g. "example.com") into out, or -1.
 */
int	 sts_host_policy_domain(const char *host, size_t len, char *out, size_t outlen);

/*
 * RFC 8461 §4.1: does MX host name `host` match `pattern`? Case-insensitive,
 * a trailing dot on either side is ignored; "*.example.com" matches
 * exactly one extra left-most label. 1 or 0.
 */
int	 sts_mx_match(const char *pattern, const char *host);

/*
 * A domain or mx value as an operator writes it (U-labels allowed, a
 * leading "*." kept when allow_wildcard) to the lower-case A-label form
 * senders use, validated as above. 0, or -1 with err ("not a valid host
 * name: ...").
 */
int	 sts_host_to_alabel(const char *in, int allow_wildcard, char *out,
	    size_t outlen, char *err, size_t errlen);

/* ---- policy.c: the policy model, rendering and the strict parser ------ */

enum sts_mode {
	STS_MODE_NONE,
	STS_MODE_TESTING,
	STS_MODE_ENFORCE
};

const char *sts_mode_name(enum sts_mode);
int	 sts_mode_parse(const char *, enum sts_mode *);		/* exact, lower-case */

struct sts_policy {
	enum sts_mode		mode;
	unsigned long		max_age;
	struct sts_strlist	mx;	/* patterns as written (render sorts a copy) */
};

void	 sts_policy_free(struct sts_policy *);
int	 sts_policy_equal(const struct sts_policy *, const struct sts_policy *); /* mx compared as sets, case-insensitive */

/*
 * RFC 8461 §3.2 text, CRLF line ends: "version: STSv1", "mode: ...",
 * one "mx: ..." per pattern (lower-cased, sorted, de-duplicated),
 * "max_age: ...". Refuses (-1, err) a policy that would not parse back:
 * testing/enforce without mx, max_age above 31557600, invalid pattern.
 * *out is malloc'd, NUL-terminated, *outlen excludes the NUL.
 */
int	 sts_policy_render(const struct sts_policy *, char **out, size_t *outlen,
	    char *err, size_t errlen);

/*
 * Strict RFC 8461 §3.2 parser for what a sender fetched (at most
 * STS_POLICY_MAX bytes). LF or CRLF terminators; first occurrence of a
 * field wins (but every mx counts); unknown fields ignored if their syntax
 * is valid. On failure, err says which line and why: "line 3: ...".
 */
int	 sts_policy_parse(const char *buf, size_t len, struct sts_policy *out,
	    char *err, size_t errlen);

/* ---- txt.c: _mta-sts and _smtp._tls TXT records ----------------------- */

/*
 * One _mta-sts TXT record (the strings already joined) by the ABNF of
 * RFC 8461 §3.1. Writes the id (NUL-terminated, at most STS_ID_MAX chars)
 * into id[STS_ID_MAX + 1]. A repeated id counts by its first occurrence
 * (§3.2, last paragraph); sts_txt_parse_warn passes "more than one id
 * field: the first, id=a, counts; 'id=b' is ignored (RFC 8461 §3.2)" to
 * warn (which may be NULL), sts_txt_parse says nothing of it.
 */
int	 sts_txt_parse(const char *rec, size_t len, char id[STS_ID_MAX + 1],
	    char *err, size_t errlen);
int	 sts_txt_parse_warn(const char *rec, size_t len,
	    char id[STS_ID_MAX + 1], sts_warn_fn *warn, void *warnarg,
	    char *err, size_t errlen);

/*
 * What a sender does with all the TXT records at _mta-sts.<domain>:
 * records that do not begin with "v=STSv1;" are discarded (the literal
 * prefix test, erratum 6285); exactly one must remain and parse. On
 * success *which is its index and id is filled.
 */
int	 sts_txt_select(const char *const *recs, const size_t *lens, size_t n,
	    size_t *which, char id[STS_ID_MAX + 1], char *err, size_t errlen);
/* The same, with the chosen record's warnings passed to warn. */
int	 sts_txt_select_warn(const char *const *recs, const size_t *lens,
	    size_t n, size_t *which, char id[STS_ID_MAX + 1],
	    sts_warn_fn *warn, void *warnarg, char *err, size_t errlen);

/* One _smtp._tls record (RFC 8460 §3); the rua URIs go into rua. */
int	 sts_tlsrpt_parse(const char *rec, size_t len, struct sts_strlist *rua,
	    char *err, size_t errlen);

/* Same selection rule as sts_txt_select, with the prefix "v=TLSRPTv1;". */
int	 sts_tlsrpt_select(const char *const *recs, const size_t *lens, size_t n,
	    size_t *which, struct sts_strlist *rua, char *err, size_t errlen);

/*
 * A TLS-RPT rua URI (RFC 8460 §3): RFC 3986 characters with ',', ';' and
 * '!' percent-encoded; mailto:local@domain or https://host... The one
 * rule for the records senders read (ours 0) and for the configuration's
 * tlsrpt and the record built from it (ours 1: also at most STS_URI_MAX
 * characters, with a valid mail domain or https host). 0, or -1 with err
 * "rua URI 'U': ..." (ours: "tlsrpt 'U': ...").
 */
#define STS_URI_MAX	512
int	 sts_uri_check(const char *u, size_t len, int ours, char *err,
	    size_t errlen);

/* The record we publish: "v=STSv1; id=<id>" / "v=TLSRPTv1; rua=a,b". */
int	 sts_txt_record(const char *id, char *out, size_t outlen);
int	 sts_tlsrpt_record(const struct sts_strlist *rua, char *out, size_t outlen);

/* ---- conf.c: the global file and the domain files --------------------- */

/* outbound: how mta-sts-resolve applies other domains' policies */
enum sts_outbound {
	STS_OUT_OPTIONAL,	/* use a valid policy when there is one */
	STS_OUT_REQUIRE,	/* no valid policy: defer */
	STS_OUT_DISABLE		/* never */
};
const char *sts_outbound_name(enum sts_outbound);
int	 sts_outbound_parse(const char *, enum sts_outbound *);

enum sts_publish {
	STS_PUBLISH_NONE,
	STS_PUBLISH_RFC2136,
	STS_PUBLISH_HOOK,
	STS_PUBLISH_ZONEFILE
};
/* The one table of method names: "rfc2136"; "none" for an unknown one. */
const char *sts_publish_name(enum sts_publish);

/* What a domain file may set; what it omits comes from the global file. */
struct sts_settings {
	enum sts_mode		mode;
	unsigned long		max_age;
	struct sts_strlist	mx;	/* explicit patterns, A-labels, lower-case */
	int			mx_set;	/* mx given: certs are not used for patterns */
	char		       *certs;	/* directory or glob */
	struct sts_strlist	tlsrpt;	/* rua URIs; empty: mailto:postmaster@<domain> */
	char		       *zone;	/* zone of its records for zonefile's %z; NULL: the domain */
	/*
	 * Publishing, for the checker (the global value, or the domain
	 * file's): they never change the policy, and the responder leaves
	 * them unread (skip_publishing).
	 */
	enum sts_publish	publish;
	int			publish_set;	/* publish came from a file */
	char		       *dns_server;	/* host[:port] or NULL: the zone's primary */
	char		       *tsig_key;	/* path or NULL */
	char		       *hook;
	char		       *id_zone;	/* delegated ids: <domain>.<id-zone>, or NULL */
	char		       *tlsrpt_zone;	/* delegated TLS-RPT: <domain>.<tlsrpt-zone>, or NULL */
	char		       *tlsrpt_hook;	/* publish = hook: the program for that record, or NULL */
	char		       *web_host;	/* what mta-sts.<domain> is a CNAME to, or NULL */
	int			zonefile;	/* the global file names a zonefile */
	int			skip_publishing; /* read the keys above, but set none of them */
};

#define STS_CONF_DEFAULT	"/etc/mta-sts/mta-sts.conf"

struct sts_conf {
	char		       *file;		/* the path it was read from */
	char		       *domains;	/* default /etc/mta-sts/domains */
	char		       *state;		/* default /var/lib/mtasts */
	struct sts_settings	dflt;		/* mode testing, max-age 7d, certs /etc/mta-sts/certs */
	enum sts_publish	publish;
	char		       *dns_server;	/* host[:port] or NULL */
	char		       *tsig_key;	/* path or NULL */
	char		       *hook;
	char		       *zonefile;
	char		       *reload;
	char		       *resolver;	/* host[:port] or NULL: /etc/resolv.conf */
	char		       *ca_file;
	char		       *tlsa_next;	/* "tlsa-next": the MX hosts' next keys (DANE), or NULL */
	unsigned		timeout;	/* "timeout": seconds per network step, default 10 */
	unsigned		domain_timeout;	/* seconds for all of one domain's checks, default 300 */
	unsigned		run_timeout;	/* seconds for a whole run, default 1800 */
	unsigned		report_keep;	/* "report-keep": days TLS-RPT reports are kept, default 400 */
	char		       *reports;	/* spool of TLS-RPT reports POSTed to the responder; NULL: none */
	enum sts_outbound	outbound;	/* mta-sts-resolve: default optional */
	char		       *outbound_rules;	/* per-destination modes, or NULL */
	char		       *resolve_cache;	/* default /var/lib/mta-sts-resolve/cache */
	char		       *resolve_socket;	/* unix:PATH or tcp:ADDR:PORT */
	int			resolve_policy_attributes; /* Postfix 3.10's policy_type=sts ...: default no */
};

void	 sts_conf_defaults(struct sts_conf *);	/* built-in defaults, no file */
/*
 * Read the global file over the defaults. Relative paths in it are taken
 * relative to the file's directory. Errors: "FILE:LINE: what is wrong".
 */
int	 sts_conf_load(const char *path, struct sts_conf *, char *err, size_t errlen);
void	 sts_conf_free(struct sts_conf *);
void	 sts_settings_free(struct sts_settings *);
int	 sts_settings_copy(struct sts_settings *dst, const struct sts_settings *src);

/*
 * Parse "7d", "3600", "2w" ... into seconds, 0..STS_MAX_AGE_MAX. 0 or -1.
 */
int	 sts_duration_parse(const char *, unsigned long *);

/*
 * Read a domain file over set (the global settings, or a copy of them):
 * only mode, max-age, mx, certs, tlsrpt and the publishing keys publish,
 * dns-server, tsig-key, hook, id-zone, tlsrpt-zone, tlsrpt-hook and web-host (left
 * unset, whatever they say, when set->skip_publishing); relative paths are taken
 * relative to the file's directory; at most 64 KiB. On failure set is
 * unchanged and err is "FILE:LINE: what is wrong". (Used by domain.c.)
 */
int	 sts_settings_load(const char *path, struct sts_settings *set,
	    char *err, size_t errlen);
/* The same for the text of path already read: buf[0..len), len <= 64 KiB. */
int	 sts_settings_parse(const char *path, const char *buf, size_t len,
	    struct sts_settings *set, char *err, size_t errlen);

/* ---- certs.c: names from the mail server's certificates --------------- */

/*
 * The DNS names of the leaf certificate of every PEM file that `spec` (a
 * directory, read whole, or a glob) names: SAN dNSNames, else the subject
 * CN; lower-cased A-labels; wildcards kept as "*.x"; IP addresses, invalid
 * names and names beginning "mta-sts.", "autoconfig.", "autodiscover."
 * left out. Sorted, de-duplicated, appended to names. A file with no
 * certificate or that cannot be read is passed to warn and skipped.
 * -1 only when spec itself cannot be read (missing directory, bad glob).
 */
int	 sts_certs_names(const char *spec, struct sts_strlist *names,
	    sts_warn_fn *warn, void *arg, char *err, size_t errlen);

/* Names from one PEM buffer (its first certificate), for tests and fuzzing. */
int	 sts_certs_names_pem(const char *pem, size_t len, struct sts_strlist *names,
	    char *err, size_t errlen);

/*
 * A cheap fingerprint of what `spec` names: paths, inode, size, mtime of
 * every file, plus the directory itself. Changes whenever a file is added,
 * removed or rewritten.
 */
int	 sts_certs_signature(const char *spec, uint64_t *sig, char *err, size_t errlen);

/*
 * The keys of a certificate store, for DANE (RFC 7672): TLSA 3 1 1 is the
 * SHA-256 of a key's SubjectPublicKeyInfo. One entry per name per file:
 * a certificate gives its key under each of its names (as
 * sts_certs_names finds them, wildcards kept as "*.x"); with `keys`, a
 * file without a certificate may hold a public key ("PUBLIC KEY") or an
 * unencrypted private key, named by the file: its base name without
 * ".pem", ".key" or ".pub" must be a host name (the MX it is for), else
 * it is passed to warn and skipped. Without `keys` such files are passed
 * over in silence (sts_certs_names warns about them). Unreadable files
 * go to warn; -1 only when spec itself cannot be read.
 */
#define STS_SPKI_LEN	32
struct sts_certkey {
	char		*path;			/* the file */
	char		*name;			/* the MX name(s) it is for: a host or "*.x" */
	unsigned char	 spki[STS_SPKI_LEN];	/* SHA-256 of the SubjectPublicKeyInfo */
	int		 cert;			/* from a certificate (1) or a key file (0) */
};
struct sts_certkeys {
	struct sts_certkey	*v;
	size_t			 n, cap;
};
int	 sts_certs_keys(const char *spec, int keys, struct sts_certkeys *,
	    sts_warn_fn *warn, void *arg, char *err, size_t errlen);
/*
 * One buffer: the first certificate's key and its names (appended to
 * names), else, with keys, its public or private key (*cert = 0, no
 * names). 0, or -1 with err.
 */
int	 sts_certs_key_pem(const char *pem, size_t len, int keys,
	    unsigned char spki[STS_SPKI_LEN], int *cert,
	    struct sts_strlist *names, char *err, size_t errlen);
void	 sts_certkeys_free(struct sts_certkeys *);

/* A cache of certs specs -> names, so 100,000 domains read one store once. */
struct sts_certstore;
struct sts_certstore *sts_certstore_new(sts_warn_fn *warn, void *arg);
void	 sts_certstore_free(struct sts_certstore *);
/* names for spec, loaded on first use; the pointer stays valid until the next refresh or free */
int	 sts_certstore_get(struct sts_certstore *, const char *spec,
	    const struct sts_strlist **names, char *err, size_t errlen);
/* re-stat every spec in the cache; reload the changed ones; returns how many changed */
int	 sts_certstore_refresh(struct sts_certstore *);

/* ---- domain.c: one domain file to a rendered policy ------------------- */

struct sts_domain {
	char			*name;		/* A-label, e.g. "xn--bcher-kva.example" */
	char			*file;		/* path of the domain file */
	struct sts_settings	 set;		/* merged: domain file over global */
	struct sts_policy	 policy;
	char			*text;		/* rendered policy */
	size_t			 textlen;
};

void	 sts_domain_free(struct sts_domain *);

/*
 * The domain files of dir: regular files or symbolic links to them whose
 * name is a valid domain (U-labels allowed). Names sts_domain_ignored
 * gives 1 are passed over in silence; those it gives 2 (backups,
 * disabled copies, package leftovers, "x.com.conf") are passed to warn
 * ("DIR/example.com.bak: skipped: a backup or disabled copy ('.bak'), not
 * a domain file"), and so are other invalid names, directories and other
 * files that are not regular. Sorted file names (not converted) appended
 * to files.
 */
int	 sts_domain_list(const char *dir, struct sts_strlist *files,
	    sts_warn_fn *warn, void *arg, char *err, size_t errlen);

/*
 * Whether sts_domain_list passes over a file of this name: 0 no (a
 * candidate domain file); 1 in silence (names beginning with '.',
 * "#name#", ".tmp": temporaries of an edit in progress); 2 with a warning
 * ("~", ".swp", ".swo", ".swx", ".bak", ".orig", ".rej", ".save", ".old",
 * ".disabled", ".conf", ".dpkg-*", ".rpm*", ".ucf-*").
 */
int	 sts_domain_ignored(const char *name);

/*
 * The message for a domain asked for by name (-1 with err) that
 * sts_domain_list did not give: "unknown domain NAME: no file for it in
 * DIR", or what DIR/NAME is instead ("... is a directory, not a domain
 * file", "... is skipped: a backup or disabled copy ('.bak'), ...").
 */
int	 sts_domain_missing(const char *dir, const char *name, char *err,
	    size_t errlen);

/*
 * Read dir/filename over conf's defaults, take mx patterns from the
 * certificate store when the file and the global file give none, and
 * render the policy. Errors name the file and line:
 * "/etc/mta-sts/domains/example.com:2: unknown key 'mdoe'", or the domain:
 * "example.com: mode testing needs mx patterns, and /etc/mta-sts/certs gives none".
 */
int	 sts_domain_load(const struct sts_conf *, struct sts_certstore *,
	    const char *dir, const char *filename, struct sts_domain *out,
	    char *err, size_t errlen);

/*
 * Advice about a policy that loads but is probably not what was meant,
 * passed to warn: "example.com: max-age 0 with mode enforce: ...".
 */
void	 sts_domain_advise(const struct sts_domain *, sts_warn_fn *warn,
	    void *arg);

/*
 * The one rule from a domain's merged settings to its policy, which the
 * responder serves and the checker compares with what it fetched: mode
 * and max-age from set; mx from set when it gives any, else (mode testing
 * or enforce) the names store has for set->certs; rendered by
 * sts_policy_render. name (the domain) begins every message. Fills *pol
 * when pol is not NULL, and *text (malloc'd, *textlen bytes).
 */
int	 sts_domain_render(const char *name, const struct sts_settings *set,
	    struct sts_certstore *store, struct sts_policy *pol, char **text,
	    size_t *textlen, char *err, size_t errlen);

/*
 * The first half of sts_domain_load, for a caller that read the file
 * itself: validate filename as a domain name, and parse buf[0..len) over
 * conf's defaults (buf NULL: the defaults only). Fills name, file and set
 * of out; policy and text are left for sts_domain_render.
 */
int	 sts_domain_parse(const struct sts_conf *, const char *dir,
	    const char *filename, const char *buf, size_t len,
	    struct sts_domain *out, char *err, size_t errlen);

#endif /* MTASTS_H */
