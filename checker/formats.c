/* SPDX-License-Identifier: ISC */
/*
 * formats.c: the report for programs and pages, --format json, jsonl,
 * csv, prometheus or html (text is output.c's), to standard output or
 * with -o FILE to a temporary file in FILE's directory renamed over it at
 * the end, so that a web server or node_exporter's textfile collector
 * never reads half a report.
 *
 * Domains are written in their order, each as soon as it and every
 * domain before it are done (fmt_emit_ready, called by out_fold under
 * the pool's lock), and their findings freed then: memory holds only the
 * domains still being checked and those waiting for a slower one before
 * them. The summary comes last in every format (the HTML page shows it at
 * the top with CSS). Prometheus groups samples by metric: the per-domain
 * families are collected in temporary files and copied out at the end.
 *
 *	json	 {"domains":[{...,"findings":[{...}]}],"summary":{...},
 *		  "status":N,"warnings":[...]}
 *	jsonl	 {"type":"finding",...} per finding, {"type":"summary",...}
 *	csv	 a header, one row per domain (RFC 4180: CRLF, quoted)
 *	prometheus  text exposition format 0.0.4, mtasts_* metrics
 *	html	 one page: inline CSS and JS, no external resource
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

static const char *const names[] = {
	[FMT_TEXT] = "text", [FMT_JSON] = "json", [FMT_JSONL] = "jsonl",
	[FMT_CSV] = "csv", [FMT_PROM] = "prometheus", [FMT_HTML] = "html",
};

int
fmt_parse(const char *name, enum format *f)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*f = (enum format)i;
			return 0;
		}
	return -1;
}

const char *
fmt_name(enum format f)
{
	return names[f];
}

/* the prometheus families written per domain */
enum { FAM_STATUS, FAM_AGE, FAM_PUB };

/* ---- helpers -------------------------------------------------------------- */

static const char *
status_name(const struct report *r)
{
	return r->worst == L_ERROR ? "error" : r->worst == L_WARN ? "warning" : "ok";
}

/*
 * The host or record a finding is about: the MX host named first in an MX
 * message, else by the code: mta-sts.<domain> for https, _mta-sts.<domain>
 * for the id and its record, _smtp._tls.<domain> for TLS-RPT.
 */
static const char *
finding_host(const struct finding *f, const char *domain, char *buf, size_t len)
{
	size_t n;

	if (strncmp(f->msg, "MX ", 3) == 0) {
		n = strcspn(f->msg + 3, ": ");
		if (n > 0 && n < len) {
			memcpy(buf, f->msg + 3, n);
			buf[n] = '\0';
			return buf;
		}
	}
	if (strncmp(f->code, "https.", 6) == 0)
		(void)snprintf(buf, len, "mta-sts.%s", domain);
	else if (strncmp(f->code, "dns.txt.", 8) == 0 ||
	    strncmp(f->code, "publish.", 8) == 0 || strncmp(f->code, "id.", 3) == 0)
		(void)snprintf(buf, len, "_mta-sts.%s", domain);
	else if (strncmp(f->code, "tlsrpt.", 7) == 0)
		(void)snprintf(buf, len, "_smtp._tls.%s", domain);
	else if (strncmp(f->code, "mx.", 3) == 0 || strncmp(f->code, "dns.mx.", 7) == 0)
		(void)snprintf(buf, len, "%s", domain);
	else
		return NULL;
	return buf;
}

static void
html_str(FILE *fp, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&#39;", fp);
			break;
		default:
			fputc(*s, fp);
		}
}

/* a CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF */
static void
csv_field(FILE *fp, const char *s, int last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', fp);
		for (; *s != '\0'; s++) {
			if (*s == '"')
				fputc('"', fp);
			fputc(*s, fp);
		}
		fputc('"', fp);
	} else
		fputs(s, fp);
	fputs(last ? "\r\n" : ",", fp);
}

/* a Prometheus label value: backslash, double quote and newline escaped */
static void
prom_label(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s != '\0'; s++)
		switch (*s) {
		case '\\':
			fputs("\\\\", fp);
			break;
		case '"':
			fputs("\\\"", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		default:
			fputc(*s, fp);
		}
	fputc('"', fp);
}

static void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, len, "?");
}

/* ---- open ------------------------------------------------------------------ */

static const char html_head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
"<title>MTA-STS report</title>\n<style>\n"
"body{font-family:system-ui,sans-serif;margin:0 auto;padding:0.5em;max-width:80em}\n"
"main{display:flex;flex-direction:column}\n#summary{order:-1}\n"
"table{border-collapse:collapse;width:100%}\n"
"th,td{border-bottom:1px solid #ccc;padding:0.3em;text-align:left;vertical-align:top}\n"
"th{cursor:pointer;background:#eee}\n"
".wrap{overflow-x:auto}\n"
"tr.error td.st{background:#f8d0d0}\ntr.warning td.st{background:#fbeec0}\n"
"tr.ok td.st{background:#d4f0d4}\n"
"td.f{font-size:0.9em;word-break:break-word}\n"
"@media (max-width:40em){.wide{display:none}}\n"
"</style>\n</head>\n<body>\n<main>\n"
"<section id=\"domains\">\n<h2>Domains</h2>\n"
"<p><label>Show <select id=\"filter\">"
"<option value=\"\">all</option><option>error</option>"
"<option>warning</option><option>ok</option></select></label></p>\n"
"<div class=\"wrap\"><table id=\"domtable\">\n<thead><tr>"
"<th data-k=\"s\">domain</th><th data-k=\"s\">status</th><th data-k=\"s\">mode</th>"
"<th data-k=\"n\" class=\"wide\">max_age</th><th data-k=\"s\" class=\"wide\">id</th>"
"<th data-k=\"s\" class=\"wide\">id in DNS</th><th data-k=\"s\">findings</th>"
"</tr></thead>\n<tbody>\n";

static const char html_script[] =
"<script>\n"
"(function(){\n"
"var t=document.getElementById('domtable'),b=t.tBodies[0],f=document.getElementById('filter');\n"
"f.onchange=function(){var v=f.value;for(var i=0;i<b.rows.length;i++){var r=b.rows[i];"
"r.hidden=v!==''&&r.getAttribute('data-status')!==v;}};\n"
"var hs=t.tHead.rows[0].cells;\n"
"for(var c=0;c<hs.length;c++)(function(c){var up=true;hs[c].onclick=function(){"
"var rows=Array.prototype.slice.call(b.rows),n=hs[c].getAttribute('data-k')==='n';"
"rows.sort(function(x,y){var a=x.cells[c].textContent,d=y.cells[c].textContent;"
"var r=n?(Number(a)-Number(d)):a.localeCompare(d);return up?r:-r;});"
"up=!up;rows.forEach(function(r){b.appendChild(r);});};})(c);\n"
"var q=location.hash.match(/status=(\\w+)/);if(q){f.value=q[1];f.onchange();}\n"
"})();\n</script>\n";

int
fmt_open(struct run *run, char *err, size_t errlen)
{
	const struct opts *o = run->o;
	size_t i;
	int fd;

	if (run->out != NULL)
		return 0;
	if (o->outfile == NULL)
		run->out = stdout;
	else {
		if (asprintf(&run->outtmp, "%s.XXXXXX", o->outfile) == -1) {
			run->outtmp = NULL;
			return sts_err(err, errlen, "out of memory");
		}
		if ((fd = mkstemp(run->outtmp)) == -1 ||
		    (run->out = fdopen(fd, "w")) == NULL) {
			(void)sts_err(err, errlen, "%s: %s (making a temporary "
			    "file beside it)", o->outfile, strerror(errno));
			if (fd != -1) {
				close(fd);
				unlink(run->outtmp);
			}
			free(run->outtmp);
			run->outtmp = NULL;
			return -1;
		}
	}
	switch (o->format) {
	case FMT_JSON:
		fputs("{\"domains\":[", run->out);
		break;
	case FMT_CSV:
		fputs("domain,u_label,status,mode,max_age,id,dns_id,published,"
		    "errors,warnings,first_problem\r\n", run->out);
		break;
	case FMT_PROM:
		for (i = 0; i < 3; i++)
			if ((run->fam[i] = tmpfile()) == NULL)
				return sts_err(err, errlen, "a temporary file: %s",
				    strerror(errno));
		break;
	case FMT_HTML:
		fputs(html_head, run->out);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- one domain ------------------------------------------------------------- */

static void
json_domain(struct run *run, const struct job *j, FILE *fp)
{
	const struct report *r = &j->r;
	char host[STS_HOST_MAX + 16];
	const char *h = NULL;
	size_t i;

	if (run->nemitted > 0)
		fputc(',', fp);
	fputs("{\"domain\":", fp);
	json_str(fp, r->domain);
	fputs(",\"status\":", fp);
	json_str(fp, status_name(r));
	fputs(",\"mode\":", fp);
	json_str(fp, j->loaded ? sts_mode_name(j->d.policy.mode) : NULL);
	if (j->loaded)
		fprintf(fp, ",\"max_age\":%lu", j->d.policy.max_age);
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
		h = finding_host(&r->f[i], r->domain, host, sizeof(host));
		json_str(fp, h);
		fputs(",\"message\":", fp);
		json_str(fp, r->f[i].msg);
		fputc('}', fp);
	}
	fputs("]}", fp);
}

static void
jsonl_domain(const struct job *j, FILE *fp)
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
		json_str(fp, finding_host(&r->f[i], r->domain, host, sizeof(host)));
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
	csv_field(fp, j->loaded ? sts_mode_name(j->d.policy.mode) : "", 0);
	if (j->loaded)
		(void)snprintf(n, sizeof(n), "%lu", j->d.policy.max_age);
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
	if (j->state_ok && j->st.since > 0) {
		fputs("mtasts_domain_id_age_seconds{domain=", run->fam[FAM_AGE]);
		prom_label(run->fam[FAM_AGE], r->domain);
		fprintf(run->fam[FAM_AGE], "} %lld\n",
		    (long long)(run->now - j->st.since));
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
	    st, j->loaded ? sts_mode_name(j->d.policy.mode) : "");
	if (j->loaded)
		fprintf(fp, "%lu", j->d.policy.max_age);
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
fmt_emit_ready(struct run *run)
{
	struct job *j = NULL;

	while (run->next_emit < run->njobs) {
		j = &run->jobs[run->next_emit];
		if (j->selected && !j->folded)
			break;
		run->next_emit++;
		if (!j->selected)
			continue;
		switch (run->o->format) {
		case FMT_JSON:
			json_domain(run, j, run->out);
			break;
		case FMT_JSONL:
			jsonl_domain(j, run->out);
			break;
		case FMT_CSV:
			csv_domain(j, run->out);
			break;
		case FMT_PROM:
			prom_domain(run, j);
			break;
		case FMT_HTML:
			html_domain(j, run->out);
			break;
		case FMT_TEXT:
			break;
		}
		run->nemitted++;
		report_free(&j->r);
		if (run->stream && j->loaded) {
			sts_domain_free(&j->d);
			j->loaded = 0;
		}
	}
}

/* ---- the tail ------------------------------------------------------------------ */

struct mxrow {
	char		 host[STS_HOST_MAX + 1];
	int		 ok, starttls;
	time_t		 expires;
	char		 err[160];
};

struct mxlist {
	struct mxrow	*v;
	size_t		 n, cap;
};

static void
mx_collect(void *arg, const char *host, int rc, const struct smtp_result *res,
    const char *err)
{
	struct mxlist *l = arg;
	struct mxrow *v = NULL;

	if (l->n == l->cap) {
		if ((v = reallocarray(l->v, l->cap ? l->cap * 2 : 16,
		    sizeof(*v))) == NULL)
			return;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 16;
	}
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	(void)snprintf(v->host, sizeof(v->host), "%s", host);
	v->starttls = rc == 0 && res->starttls;
	v->ok = rc == 0 && res->cert_ok;
	v->expires = res->cert_expires;
	(void)snprintf(v->err, sizeof(v->err), "%s", rc == 0 && res->cert_ok ?
	    "" : err);
}

static void
summary_json(struct run *run, FILE *fp, double secs, int status)
{
	char t[32];

	iso_time(run->now, t, sizeof(t));
	fprintf(fp, "{\"domains\":%zu,\"ok\":%zu,\"warnings\":%zu,\"errors\":%zu,"
	    "\"published\":%zu,\"status\":%d,\"generated\":\"%s\","
	    "\"duration_seconds\":%.3f}", run->ndom, run->nok, run->nwarn,
	    run->nerr, run->npub, status, t, secs);
}

static void
warnings_json(struct run *run, FILE *fp)
{
	size_t i;

	fputc('[', fp);
	for (i = 0; i < run->warnings.n; i++) {
		if (i > 0)
			fputc(',', fp);
		json_str(fp, run->warnings.v[i]);
	}
	fputc(']', fp);
}

static int
copy_family(FILE *from, FILE *to)
{
	char buf[8192];
	size_t n;

	if (fflush(from) == EOF || fseek(from, 0, SEEK_SET) == -1)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), from)) > 0)
		if (fwrite(buf, 1, n, to) != n)
			return -1;
	return ferror(from) ? -1 : 0;
}

static int
prom_tail(struct run *run, FILE *fp, const struct mxlist *mx, double secs)
{
	static const char *const help[3][2] = {
		{ "mtasts_domain_status", "Worst finding of the domain: 0 ok, 1 warning, 2 error." },
		{ "mtasts_domain_id_age_seconds", "Seconds since the domain's policy got its current id." },
		{ "mtasts_domain_id_published", "1 when DNS shows the domain's current id." },
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < 3; i++) {
		fprintf(fp, "# HELP %s %s\n# TYPE %s gauge\n", help[i][0],
		    help[i][1], help[i][0]);
		if (copy_family(run->fam[i], fp) == -1)
			rc = -1;
	}
	fputs("# HELP mtasts_mx_cert_expiry_timestamp_seconds When the MX host's "
	    "certificate expires (Unix time).\n"
	    "# TYPE mtasts_mx_cert_expiry_timestamp_seconds gauge\n", fp);
	for (i = 0; i < mx->n; i++)
		if (mx->v[i].expires != 0) {
			fputs("mtasts_mx_cert_expiry_timestamp_seconds{host=", fp);
			prom_label(fp, mx->v[i].host);
			fprintf(fp, "} %lld\n", (long long)mx->v[i].expires);
		}
	fputs("# HELP mtasts_mx_starttls_ok 1 when the MX host offers STARTTLS "
	    "with a certificate valid for its name.\n"
	    "# TYPE mtasts_mx_starttls_ok gauge\n", fp);
	for (i = 0; i < mx->n; i++) {
		fputs("mtasts_mx_starttls_ok{host=", fp);
		prom_label(fp, mx->v[i].host);
		fprintf(fp, "} %d\n", mx->v[i].starttls && mx->v[i].ok);
	}
	fprintf(fp, "# HELP mtasts_domains Domains checked, by status.\n"
	    "# TYPE mtasts_domains gauge\n"
	    "mtasts_domains{status=\"ok\"} %zu\n"
	    "mtasts_domains{status=\"warning\"} %zu\n"
	    "mtasts_domains{status=\"error\"} %zu\n"
	    "# HELP mtasts_ids_published Domains whose current id DNS shows.\n"
	    "# TYPE mtasts_ids_published gauge\n"
	    "mtasts_ids_published %zu\n"
	    "# HELP mtasts_run_duration_seconds How long the run took.\n"
	    "# TYPE mtasts_run_duration_seconds gauge\n"
	    "mtasts_run_duration_seconds %.3f\n"
	    "# HELP mtasts_run_timestamp_seconds When the run started (Unix time).\n"
	    "# TYPE mtasts_run_timestamp_seconds gauge\n"
	    "mtasts_run_timestamp_seconds %lld\n",
	    run->nok, run->nwarn, run->nerr, run->npub, secs,
	    (long long)run->now);
	return rc;
}

static void
html_tail(struct run *run, FILE *fp, const struct mxlist *mx, int status)
{
	char t[32];
	size_t i;

	fputs("</tbody>\n</table></div>\n</section>\n", fp);
	fputs("<section id=\"mx\">\n<h2>MX hosts</h2>\n<div class=\"wrap\">"
	    "<table id=\"mxtable\">\n<thead><tr><th>host</th><th>STARTTLS</th>"
	    "<th>certificate expires</th><th>problem</th></tr></thead>\n<tbody>\n",
	    fp);
	for (i = 0; i < mx->n; i++) {
		fputs("<tr><td>", fp);
		html_str(fp, mx->v[i].host);
		fprintf(fp, "</td><td>%s</td><td>", mx->v[i].starttls ? "yes" : "no");
		if (mx->v[i].expires != 0) {
			iso_time(mx->v[i].expires, t, sizeof(t));
			fputs(t, fp);
		}
		fputs("</td><td>", fp);
		html_str(fp, mx->v[i].err);
		fputs("</td></tr>\n", fp);
	}
	fputs("</tbody>\n</table></div>\n</section>\n", fp);
	iso_time(run->now, t, sizeof(t));
	fprintf(fp, "<section id=\"summary\">\n<h1>MTA-STS report</h1>\n"
	    "<p id=\"counts\">%zu domains: <a href=\"#status=ok\">%zu ok</a>, "
	    "<a href=\"#status=warning\">%zu with warnings</a>, "
	    "<a href=\"#status=error\">%zu with errors</a>; %zu ids published "
	    "(exit status %d)</p>\n", run->ndom, run->nok, run->nwarn,
	    run->nerr, run->npub, status);
	for (i = 0; i < run->warnings.n; i++) {
		fputs("<p class=\"warning\">warning: ", fp);
		html_str(fp, run->warnings.v[i]);
		fputs("</p>\n", fp);
	}
	fprintf(fp, "<p>Made by mta-sts-check %s at <time id=\"generated\" "
	    "datetime=\"%s\">%s</time>.</p>\n</section>\n</main>\n", STS_VERSION,
	    t, t);
	fputs(html_script, fp);
	fputs("</body>\n</html>\n", fp);
}

static int
mx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mxrow *)a)->host, ((const struct mxrow *)b)->host);
}

int
fmt_close(struct run *run, int status, char *err, size_t errlen)
{
	const struct opts *o = run->o;
	struct mxlist mx = { 0 };
	struct timespec t1;
	double secs;
	FILE *fp = run->out;
	size_t i;
	int rc = 0;

	if (fp == NULL)
		return 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - run->t0.tv_sec) +
	    (double)(t1.tv_nsec - run->t0.tv_nsec) / 1e9;
	if (o->format == FMT_PROM || o->format == FMT_HTML) {
		smtp_each(run, mx_collect, &mx);
		qsort(mx.v, mx.n, sizeof(*mx.v), mx_cmp);
	}
	switch (o->format) {
	case FMT_JSON:
		fputs("],\"summary\":", fp);
		summary_json(run, fp, secs, status);
		fprintf(fp, ",\"status\":%d,\"warnings\":", status);
		warnings_json(run, fp);
		fputs("}\n", fp);
		break;
	case FMT_JSONL:
		fputs("{\"type\":\"summary\",\"summary\":", fp);
		summary_json(run, fp, secs, status);
		fputs(",\"warnings\":", fp);
		warnings_json(run, fp);
		fputs("}\n", fp);
		break;
	case FMT_PROM:
		if (prom_tail(run, fp, &mx, secs) == -1)
			rc = sts_err(err, errlen, "a temporary file: cannot read "
			    "it back");
		break;
	case FMT_HTML:
		html_tail(run, fp, &mx, status);
		break;
	default:
		break;
	}
	free(mx.v);
	for (i = 0; i < 3; i++)
		if (run->fam[i] != NULL) {
			fclose(run->fam[i]);
			run->fam[i] = NULL;
		}
	run->out = NULL;
	if (run->outtmp == NULL)
		return fflush(fp) == EOF ? sts_err(err, errlen, "standard "
		    "output: %s", strerror(errno)) : rc;
	if (fflush(fp) == EOF || fsync(fileno(fp)) == -1 ||
	    fchmod(fileno(fp), 0644) == -1) {
		rc = sts_err(err, errlen, "%s: %s (writing %s)", o->outfile,
		    strerror(errno), run->outtmp);
		fclose(fp);
	} else if (fclose(fp) == EOF)
		rc = sts_err(err, errlen, "%s: %s (writing %s)", o->outfile,
		    strerror(errno), run->outtmp);
	if (rc == 0 && rename(run->outtmp, o->outfile) == -1)
		rc = sts_err(err, errlen, "%s: %s (renaming %s)", o->outfile,
		    strerror(errno), run->outtmp);
	if (rc == -1)
		(void)unlink(run->outtmp);
	free(run->outtmp);
	run->outtmp = NULL;
	return rc;
}

void
fmt_abort(struct run *run)
{
	size_t i;

	for (i = 0; i < 3; i++)
		if (run->fam[i] != NULL) {
			fclose(run->fam[i]);
			run->fam[i] = NULL;
		}
	if (run->out != NULL && run->out != stdout)
		fclose(run->out);
	run->out = NULL;
	if (run->outtmp != NULL) {
		(void)unlink(run->outtmp);
		free(run->outtmp);
		run->outtmp = NULL;
	}
}
