/* SPDX-License-Identifier: ISC */
/*
 * formats.h: between the files of --format (not for the rest of the
 * checker, which uses check.h's fmt_* functions):
 *
 *   formats.c     the driver: names, fmt_open, fmt_emit_ready (domain
 *                 order), fmt_close (the -o rename), fmt_abort
 *   fmt_esc.c     escapers and helpers: JSON is report.c's json_str;
 *                 HTML text, CSV fields (RFC 4180), Prometheus label
 *                 values, times, the host a finding is about
 *   fmt_domain.c  one domain in each format
 *   fmt_tail.c    what ends each format: the summary, the MX hosts, the
 *                 Prometheus families copied out, the HTML page's head
 *                 and script
 */
#ifndef FORMATS_H
#define FORMATS_H

#include <stdio.h>
#include <time.h>

#include "check.h"

/* the prometheus families written per domain, into run->fam[] */
enum { FAM_STATUS, FAM_AGE, FAM_PUB, FAM_N };

/* fmt_esc.c */
const char *status_name(const struct report *);	/* "error", "warning", "ok" */
/*
 * The host (or address) a finding is about, by its code: the MX host
 * for smtp.* and the MX findings that name one, mta-sts.<domain> for
 * https.* (the address for https.address.lags), _mta-sts.<domain> for
 * the id and its record, _smtp._tls.<domain> for TLS-RPT, the resolver
 * for dns.resolver (resolver: the configured one, or NULL), the domain
 * for its MX records; NULL when it is about none.
 */
const char *finding_host(const struct finding *, const char *domain,
	    const char *resolver, char *buf, size_t len);
/* HTML text (& < > " ' escaped); invalid UTF-8 as U+FFFD */
void	 html_str(FILE *, const char *);
/* a CSV field (RFC 4180) then "," or CRLF when last; invalid UTF-8 as U+FFFD */
void	 csv_field(FILE *, const char *, int last);
/* a Prometheus label value in quotes: \\, \", \n escaped; invalid UTF-8 as U+FFFD */
void	 prom_label(FILE *, const char *);
void	 iso_time(time_t, char *buf, size_t len);	/* 2026-12-01T18:00:00Z */

/*
 * fmt_domain.c: one domain's report in run->o->format, to fp (a JSON
 * object without the comma before it); Prometheus samples go to their
 * families (run->fam) whatever fp is
 */
void	 fmt_domain(struct run *, const struct job *, FILE *fp);

/* fmt_tail.c */
extern const char fmt_html_head[];
/* what ends the report (the summary last, or the HTML page's); -1: a
 * Prometheus family could not be read back */
int	 fmt_tail(struct run *, FILE *, int status, double secs);

#endif /* FORMATS_H */
