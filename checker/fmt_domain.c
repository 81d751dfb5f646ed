/* SPDX-License-Identifier: ISC */
/*
 * fmt_domain.c: one domain's report in each format, written by
 * fmt_emit_ready in domain order: a JSON object, JSON Lines (one per
 * finding), a CSV row, the per-domain Prometheus samples (into the
 * families' temporary files), an HTML table row.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "formats.h"

static void
json_domain(struct run *run, const struct job *j, FILE *fp)
{
	const struct report *r = &j->r;
	char host[STS_HOST_MAX + 16];
	const char *h = NULL;
	size_t i;

	fputs("{\"domain\":", fp);
	json_str(fp, r->domain);
	fputs(",\"status\":", fp);
	json_str(fp, status_name(r));
	fputs(",\"mode\":", fp);
	json_str(fp, j->loaded ? sts_mode_name(j->d->policy.mode) : NULL);
	if (j->loaded)
		fprintf(fp, ",\"max_age\":%lu", j->d->policy.max_age);
	else
		fputs(",\"max_age\":null", fp);
	fputs(",\"id\":", fp);
	json_str(fp, r->id[0] ? r->id : NULL);
	fputs(",\"dns_id\":", fp);
	json_str(fp, r->dns_id[0] ? r->dns_id : NULL);
	fprintf(fp, ",\"published\":%s", r->published ? "true" : "false");
	if (run->o->cmd == CMD_CHECK)
		fprintf(fp, ",\"served\":%s", j->served ? "true" : "false");
	if (run->o->cmd == CMD_PROBE && r->policy != NULL) {
		fputs(",\"policy\":", fp);
		json_str(fp, r->policy);
	}
	fputs(",\"findings\":[", fp);
	for (i = 0; i < r->nf; i++) {
		fputs(i ? ",{\"level\":" : "{\"level\":", fp);
		json_str(fp, level_name(r->f[i].level));
		fprintf(fp, ",\"check\":\"%.*s\",\"code\":",
		    (int)strcspn(r->f[i].code, "."), r->f[i].code);
		json_str(fp, r->f[i].code);
		fputs(",\"domain\":", fp);
		json_str(fp, r->domain);
		fputs(",\"host\":", fp);
		h = finding_host(&r->f[i], r->domain, run->conf.resolver, host,
		    sizeof(host));
		json_str(fp, h);
		fputs(",\"message\":", fp);
		json_str(fp, r->f[i].msg);
		fputc('}', fp);
	}
	fputs("]}", fp);
}

static void
jsonl_domain(struct run *run, const struct job *j, FILE *fp)
{
	const struct report *r = &j->r;
	char host[STS_HOST_MAX + 16];
	size_t i;

	for (i = 0; i < r->nf; i++) {
		fputs("{\"type\":\"finding\",\"domain\":", fp);
		json_str(fp, r->domain);
		fputs(",\"level\":", fp);
		json_str(fp, level_name(r->f[i].level));
		fputs(",\"code\":", fp);
		json_str(fp, r->f[i].code);
		fputs(",\"host\":", fp);
		json_str(fp, finding_host(&r->f[i], r->domain, run->conf.resolver, host,
		    sizeof(host)));
		fputs(",\"message\":", fp);
		json_str(fp, r->f[i].msg);
		fputs("}\n", fp);
	}
}

static void
csv_domain(const struct job *j, FILE *fp)
{
	const struct report *r = &j->r;
	const char *first = NULL;
	char n[32];
	size_t i, ne = 0, nw = 0;

	for (i = 0; i < r->nf; i++) {
		if (r->f[i].level == L_ERROR)
			ne++;
		else if (r->f[i].level == L_WARN)
			nw++;
		else
			continue;
		if (first == NULL || (r->f[i].level == L_ERROR && ne == 1))
			first = r->f[i].msg;
	}
	csv_field(fp, r->domain, 0);
	csv_field(fp, j->file != NULL ? j->file : r->domain, 0);
	csv_field(fp, status_name(r), 0);
	csv_field(fp, j->loaded ? sts_mode_name(j->d->policy.mode) : "", 0);
	if (j->loaded)
		(void)snprintf(n, sizeof(n), "%lu", j->d->policy.max_age);
	else
		n[0] = '\0';
	csv_field(fp, n, 0);
	csv_field(fp, r->id, 0);
	csv_field(fp, r->dns_id, 0);
	csv_field(fp, r->published ? "yes" : "no", 0);
	(void)snprintf(n, sizeof(n), "%zu", ne);
	csv_field(fp, n, 0);
	(void)snprintf(n, sizeof(n), "%zu", nw);
	csv_field(fp, n, 0);
	csv_field(fp, first, 1);
}

static void
prom_domain(struct run *run, const struct job *j)
{
	const struct report *r = &j->r;

	fputs("mtasts_domain_status{domain=", run->fam[FAM_STATUS]);
	prom_label(run->fam[FAM_STATUS], r->domain);
	fprintf(run->fam[FAM_STATUS], "} %d\n",
	    r->worst == L_ERROR ? 2 : r->worst == L_WARN ? 1 : 0);
	if (j->state_ok && j->st->since > 0) {
		fputs("mtasts_domain_id_age_seconds{domain=", run->fam[FAM_AGE]);
		prom_label(run->fam[FAM_AGE], r->domain);
		fprintf(run->fam[FAM_AGE], "} %lld\n",
		    (long long)(run->now - j->st->since));
	}
	fputs("mtasts_domain_id_published{domain=", run->fam[FAM_PUB]);
	prom_label(run->fam[FAM_PUB], r->domain);
	fprintf(run->fam[FAM_PUB], "} %d\n", r->published ? 1 : 0);
}

static void
html_domain(const struct job *j, FILE *fp)
{
	const struct report *r = &j->r;
	const char *st = status_name(r);
	size_t i, shown = 0;

	fprintf(fp, "<tr class=\"%s\" data-status=\"%s\"><td>", st, st);
	html_str(fp, r->domain);
	fprintf(fp, "</td><td class=\"st\">%s</td><td>%s</td><td class=\"wide\">",
	    st, j->loaded ? sts_mode_name(j->d->policy.mode) : "");
	if (j->loaded)
		fprintf(fp, "%lu", j->d->policy.max_age);
	fputs("</td><td class=\"wide\">", fp);
	html_str(fp, r->id);
	fputs("</td><td class=\"wide\">", fp);
	html_str(fp, r->dns_id);
	fputs("</td><td class=\"f\">", fp);
	for (i = 0; i < r->nf; i++) {
		if (r->f[i].level < L_WARN)
			continue;
		fputs(shown++ ? "<br>" : "", fp);
		fprintf(fp, "%s <code>%s</code>: ", level_name(r->f[i].level),
		    r->f[i].code);
		html_str(fp, r->f[i].msg);
	}
	fputs("</td></tr>\n", fp);
}

void
fmt_domain(struct run *run, const struct job *j, FILE *fp)
{
	switch (run->o->format) {
	case FMT_JSON:
		json_domain(run, j, fp);
		break;
	case FMT_JSONL:
		jsonl_domain(run, j, fp);
		break;
	case FMT_CSV:
		csv_domain(j, fp);
		break;
	case FMT_PROM:
		prom_domain(run, j);
		break;
	case FMT_HTML:
		html_domain(j, fp);
		break;
	case FMT_TEXT:
		break;
	}
}
