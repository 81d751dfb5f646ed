/* SPDX-License-Identifier: ISC */
/*
 * conf_int.h: what conf.c (the parser) and conf_keys.c (the keys, and how
 * a value of each is checked and set) share; nothing else includes it.
 */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <limits.h>

#include "mtasts.h"

#define CONF_LINE_MAX	4096
#define TIMEOUT_MAX	300
#define REPORT_KEEP_MAX	3650		/* days */
#define DEADLINE_MAX	86400	/* domain-timeout, run-timeout */

enum ktype { K_PATH, K_CMD, K_MODE, K_DURATION, K_MX, K_URIS, K_PUBLISH,
	K_HOSTPORT, K_TIMEOUT, K_DEADLINE, K_DAYS, K_ZONE, K_OUTBOUND, K_SOCKET, K_BOOL };

enum kid { DOMAINS, CERTS, STATE, MODE, MAXAGE, MX, TLSRPT, PUBLISH,
	DNSSERVER, TSIGKEY, HOOK, ZONEFILE, RELOAD, ZONE, RESOLVER, CAFILE, TIMEOUT,
	DOMAINTIMEOUT, RUNTIMEOUT, REPORTKEEP, REPORTS, IDZONE, TLSRPTZONE, TLSRPTHOOK,
	WEBHOST, TLSANEXT, OUTBOUND, OUTBOUNDRULES, RESOLVECACHE, RESOLVESOCKET,
	RESOLVEATTRS, NKEYS };

struct key {
	const char	*name;
	enum ktype	 type;
	int		 domain;	/* also allowed in a domain file (2: a
					 * publishing key, which the responder skips) */
	const char	*expect;
};

/* Every key, in the order messages list them. */
extern const struct key conf_keys[NKEYS];

/* What a message says in place of the words of a file that is no domain file. */
#define NOT_QUOTED	"not quoted: no line of the file sets a domain key"

struct parser {
	const char		*path;
	const char		*buf;
	size_t			 len, pos;
	unsigned		 line;
	struct sts_conf		*conf;	/* NULL in a domain file */
	struct sts_settings	*set;
	unsigned		 seen[NKEYS];	/* line where each key was set */
	int			 quote;	/* words of the file may be quoted */
	char			*err;
	size_t			 errlen;
	char			 dir[PATH_MAX];	/* for relative paths; last */
};

/* All zero but dir, which is only emptied: 4 KiB per domain file. */
void	 conf_parser_init(struct parser *, const char *path,
	    struct sts_settings *, char *err, size_t errlen);
/* "PATH:LINE: message" into p->err (line 0: no line); -1. */
int	 conf_fail(struct parser *, unsigned line, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* An input string for a message, escaped and cut to a readable size. */
const char *conf_esc(char *buf, size_t len, const char *s);
/* Optimal string alignment distance, for "did you mean". */
size_t	 conf_distance(const char *a, size_t n, const char *b);
/* The directory of path, made absolute, into p->dir (paths are relative to it). */
int	 conf_file_dir(struct parser *, const char *path);
/*
 * The %-escapes of zonefile and reload: %z (the zone's name) and %% (a
 * percent sign). 1 when v holds %z, 0 when not, -1 for a '%' followed by
 * anything else (*bad points at it).
 */
int	 conf_pct_z(const char *v, const char **bad);
/* Check and set the value(s) of key k: 0, or -1 and p->err. */
int	 conf_apply(struct parser *, enum kid k, struct sts_strlist *items);

#endif /* CONF_INT_H */
