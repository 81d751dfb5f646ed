/* SPDX-License-Identifier: ISC */
/*
 * publish.c: the table of publish methods. Each method of the
 * configuration (enum sts_publish) has one entry, under the name the
 * configuration uses; publish_id dispatches by it and returns a named
 * result: none gives the record to set by hand (PUB_BY_HAND, in note, err
 * empty), zonefile leaves the write to the batch (PUB_BATCH), a hook that
 * exits 0 is PUB_DONE with what it printed as the note, one that fails is
 * PUB_FAILED with err, note empty. No network is used: rfc2136 is only
 * looked up, and its failure before any query (no key) checked.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "check.h"

static void
test_table(void)
{
	static const struct { enum sts_publish m; const char *name; } want[] = {
		{ STS_PUBLISH_NONE, "none" },
		{ STS_PUBLISH_RFC2136, "rfc2136" },
		{ STS_PUBLISH_HOOK, "hook" },
		{ STS_PUBLISH_ZONEFILE, "zonefile" },
	};
	const struct publish_method *m = NULL;
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		m = publish_method(want[i].m);
		if (!ok(m != NULL, "method %s has an entry", want[i].name))
			continue;
		ok(m->method == want[i].m, "%s: the entry is that method's",
		    want[i].name);
		is_str(sts_publish_name(m->method), want[i].name, "%s: its name",
		    want[i].name);
		is_str(publish_name(want[i].m), want[i].name,
		    "publish_name(%s)", want[i].name);
		ok(m->publish != NULL, "%s: has a function", want[i].name);
	}
	ok(publish_method((enum sts_publish)42) == NULL, "no entry for an "
	    "unknown method");
	is_str(publish_name((enum sts_publish)42), "none", "an unknown method "
	    "is named none");
	is_str(publish_rc_name(PUB_DONE), "done", "result name: done");
	is_str(publish_rc_name(PUB_UNCHANGED), "unchanged",
	    "result name: unchanged");
	is_str(publish_rc_name(PUB_BY_HAND), "by-hand", "result name: by-hand");
	is_str(publish_rc_name(PUB_BATCH), "batch", "result name: batch");
	is_str(publish_rc_name(PUB_FAILED), "failed", "result name: failed");
	is_str(publish_rc_name((enum publish_rc)42), "?", "an unknown result");
}

/* a hook script at path printing out and exiting with status */
static void
hook_script(const char *path, const char *out, int status)
{
	FILE *fp = NULL;

	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(99);
	}
	fprintf(fp, "#!/bin/sh\necho \"%s $MTA_STS_NAME $MTA_STS_OLD_ID\"\n"
	    "exit %d\n", out, status);
	fclose(fp);
	chmod(path, 0700);
}

static void
test_results(void)
{
	char note[STS_ERR_MAX], err[STS_ERR_MAX], dir[] = "/tmp/t_publish.XXXXXX";
	char hook[64], name[] = "example.com";
	struct sts_conf conf;
	struct sts_domain d;
	enum publish_rc rc;

	memset(&conf, 0, sizeof(conf));
	memset(&d, 0, sizeof(d));
	d.name = name;
	conf.timeout = 5;

	conf.publish = STS_PUBLISH_NONE;
	rc = publish_id(&conf, NULL, &d, "20260101000000", "", note,
	    sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "by-hand", "none: PUB_BY_HAND");
	is_str(note, "_mta-sts.example.com. 3600 IN TXT \"v=STSv1; "
	    "id=20260101000000\"", "none: the record to set, in the note");
	is_str(err, "", "none: no error");

	conf.publish = STS_PUBLISH_ZONEFILE;
	strcpy(note, "x");
	strcpy(err, "x");
	rc = publish_id(&conf, NULL, &d, "20260101000000", "", note,
	    sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "batch", "zonefile: PUB_BATCH");
	ok(note[0] == '\0' && err[0] == '\0', "zonefile: note and err empty");

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(99);
	}
	(void)snprintf(hook, sizeof(hook), "%s/hook", dir);
	conf.publish = STS_PUBLISH_HOOK;
	conf.hook = hook;
	hook_script(hook, "updated", 0);
	rc = publish_id(&conf, NULL, &d, "20260101000000", "20250101000000",
	    note, sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "done", "hook exits 0: PUB_DONE");
	is_str(note, "updated _mta-sts.example.com 20250101000000",
	    "hook: what it printed is the note");
	is_str(err, "", "hook: no error");

	hook_script(hook, "denied", 3);
	rc = publish_id(&conf, NULL, &d, "20260101000000", NULL,
	    note, sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "failed", "hook exits 3: PUB_FAILED");
	is_str(note, "", "hook failed: no note");
	ok(strstr(err, "exited with status 3") != NULL &&
	    strstr(err, "denied _mta-sts.example.com") != NULL,
	    "hook failed: err says how, with its output: %s", err);

	conf.hook = "relative/hook";
	rc = publish_id(&conf, NULL, &d, "20260101000000", "", note,
	    sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "failed", "relative hook: PUB_FAILED");
	is_str(err, "hook relative/hook: not an absolute path",
	    "relative hook: the message");

	conf.publish = STS_PUBLISH_RFC2136;
	conf.tsig_key = NULL;
	rc = publish_id(&conf, NULL, &d, "20260101000000", "", note,
	    sizeof(note), err, sizeof(err));
	is_str(publish_rc_name(rc), "failed", "rfc2136 without a key: "
	    "PUB_FAILED");
	is_str(err, "publish = rfc2136 needs tsig-key", "rfc2136 without a "
	    "key: the message");

	unlink(hook);
	rmdir(dir);
}

/* zonefile's and reload's %z: replaced, validated, %% kept as % */
static void
test_zone_expand(void)
{
	static const struct {
		const char	*tmpl, *zone, *want, *err;
	} cases[] = {
		{ "/var/lib/mtasts/zones/%z.zone", "example.com",
		    "/var/lib/mtasts/zones/example.com.zone", NULL },
		{ "knotc zone-reload %z", "xn--bcher-kva.example",
		    "knotc zone-reload xn--bcher-kva.example", NULL },
		{ "rndc reload %z && logger 100%% %z", "a-b.example",
		    "rndc reload a-b.example && logger 100% a-b.example", NULL },
		{ "/one/file.zone", NULL, "/one/file.zone", NULL },
		{ "date +%%s", NULL, "date +%s", NULL },
		{ "%%z is literal", "x.example", "%z is literal", NULL },
		{ "knotc zone-reload %z", "a;rm -rf /", NULL, "zone 'a;rm -rf /' "
		    "is not a DNS name; not put in knotc zone-reload %z" },
		{ "/z/%z.zone", "../etc", NULL, "zone '../etc' is not a DNS "
		    "name; not put in /z/%z.zone" },
		{ "/z/%z.zone", "-x.example", NULL, "zone '-x.example' is not a "
		    "DNS name; not put in /z/%z.zone" },
		{ "/z/%z.zone", "a..example", NULL, "zone 'a..example' is not a "
		    "DNS name; not put in /z/%z.zone" },
		{ "/z/%z.zone", "", NULL, "zone '' is not a DNS name; not put "
		    "in /z/%z.zone" },
		{ "knotc zone-reload %z", NULL, NULL, "knotc zone-reload %z: %z "
		    "without a zone, or an unknown %-escape" },
		{ "date +%s", NULL, NULL, "date +%s: %z without a zone, or an "
		    "unknown %-escape" },
	};
	char out[64], err[STS_ERR_MAX];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = err[0] = '\0';
		rc = zone_expand(cases[i].tmpl, cases[i].zone, out, sizeof(out),
		    err, sizeof(err));
		if (cases[i].want != NULL) {
			is_int(rc, 0, "zone_expand '%s' with %s", cases[i].tmpl,
			    cases[i].zone ? cases[i].zone : "no zone");
			is_str(out, cases[i].want, "... gives '%s'",
			    cases[i].want);
		} else {
			is_int(rc, -1, "zone_expand '%s' with '%s': refused",
			    cases[i].tmpl, cases[i].zone ? cases[i].zone : "");
			is_str(err, cases[i].err, "... saying why");
		}
	}
	is_int(zone_expand("/a/very/long/path/for/%z.zone", "a-long-zone-name"
	    ".example.com", out, 32, err, sizeof(err)), -1, "zone_expand: a "
	    "result that does not fit is an error, not a shorter path");
	is_int(zone_has_z("/z/%z.zone"), 1, "zone_has_z: %%z");
	is_int(zone_has_z("/z/%%z.zone"), 0, "zone_has_z: %%%%z is no %%z");
	is_int(zone_has_z("/z/all.zone"), 0, "zone_has_z: none");
	is_int(zone_has_z(NULL), 0, "zone_has_z: NULL");
}

/* the zone of a domain: its zone key, else the domain */
static void
test_publish_zone(void)
{
	struct sts_conf conf;
	struct sts_domain d;

	memset(&conf, 0, sizeof(conf));
	memset(&d, 0, sizeof(d));
	d.name = "mail.example.com";
	is_str(publish_zone(&conf, &d), "mail.example.com",
	    "publish_zone: the domain itself by default");
	d.set.zone = "example.com";
	is_str(publish_zone(&conf, &d), "example.com",
	    "publish_zone: the domain file's zone");
}

int
main(void)
{
	test_table();
	test_results();
	test_zone_expand();
	test_publish_zone();
	return done_testing();
}
