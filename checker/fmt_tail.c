/* SPDX-License-Identifier: ISC */
/*
 * fmt_tail.c: what ends each format, written by fmt_close once every
 * domain is out: the summary (JSON, JSON Lines), the families copied out
 * of their temporary files and the MX hosts' and the run's samples
 * (Prometheus), the MX table and the summary (HTML; shown at the top by
 * CSS). Also the page's head and its script: no external resource.
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

const char fmt_html_head[] =
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
	static const char *const help[FAM_N][2] = {
		{ "mtasts_domain_status", "Worst finding of the domain: 0 ok, 1 warning, 2 error." },
		{ "mtasts_domain_id_age_seconds", "Seconds since the domain's policy got its current id." },
		{ "mtasts_domain_id_published", "1 when DNS shows the domain's current id." },
	};
	size_t i;
	int rc = 0;

	for (i = 0; i < FAM_N; i++) {
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
fmt_tail(struct run *run, FILE *fp, int status, double secs)
{
	struct mxlist mx = { 0 };
	int rc = 0;

	if (run->o->format == FMT_PROM || run->o->format == FMT_HTML) {
		smtp_each(run, mx_collect, &mx);
		if (mx.n > 0)
			qsort(mx.v, mx.n, sizeof(*mx.v), mx_cmp);
	}
	switch (run->o->format) {
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
		rc = prom_tail(run, fp, &mx, secs);
		break;
	case FMT_HTML:
		html_tail(run, fp, &mx, status);
		break;
	default:
		break;
	}
	free(mx.v);
	return rc;
}
