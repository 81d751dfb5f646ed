/* SPDX-License-Identifier: ISC */
/*
 * publish_hook.c: publish = hook. The program named by `hook` (an absolute
 * path, run directly, no shell) gets the record in its environment:
 *
 *	MTA_STS_RECORD_TYPE=mta-sts
 *	MTA_STS_DOMAIN=example.com
 *	MTA_STS_NAME=_mta-sts.example.com   (id-zone: example.com.<id-zone>)
 *	MTA_STS_ID=20261129021500
 *	MTA_STS_RECORD=v=STSv1; id=20261129021500
 *	MTA_STS_OLD_ID=<the id it replaces, or empty>
 *	MTA_STS_ZONE=example.com	(the zone to change, that holds the name:
 *			 publish_zone(): the id-zone, the zone key, or the domain)
 *
 * and the rest of our environment without any other MTA_STS_ variable.
 * With tlsrpt-zone, the operator's TLS-RPT record goes out through the
 * program named by `tlsrpt-hook` (a hook opts in: one written for ids
 * only is never handed a TLS-RPT record), with MTA_STS_RECORD_TYPE=tlsrpt,
 * MTA_STS_NAME=example.com.<tlsrpt-zone>, MTA_STS_ZONE=<tlsrpt-zone> (or
 * the zone it lies in),
 * MTA_STS_RECORD=v=TLSRPTv1; rua=... and no MTA_STS_ID or MTA_STS_OLD_ID.
 * It must exit 0 within its time; what it printed is the note for -v.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

#define OUTPUT_MAX	2048
#define HOOK_VARS	8

/* "NAME=value" into buf; -1 when it does not fit */
static int
env_set(char *buf, size_t len, const char *name, const char *value)
{
	int n = snprintf(buf, len, "%s=%s", name, value);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Run hook (what names it: "hook", "tlsrpt-hook") with vars[0..nvars)
 * ("NAME=value") in the environment instead of any MTA_STS_ variable.
 */
static enum publish_rc
run_hook(const struct sts_conf *conf, const char *key, const char *hook,
    char *const vars[], size_t nvars, char *note, size_t notelen, char *err,
    size_t errlen)
{
	char out[OUTPUT_MAX], why[STS_ERR_MAX];
	char *argv[2] = { NULL, NULL };
	char **envp = NULL;
	size_t n = 0, i;
	enum publish_rc rc = PUB_FAILED;
	struct stat sb;

	if (hook == NULL || hook[0] == '\0') {
		(void)sts_err(err, errlen, "publish = hook, but no %s is set "
		    "in %s", key, conf->file ? conf->file : "the configuration");
		goto out;
	}
	if (hook[0] != '/') {
		(void)sts_err(err, errlen, "%s %s: not an absolute path", key,
		    hook);
		goto out;
	}
	if (stat(hook, &sb) == -1 || access(hook, X_OK) == -1) {
		(void)sts_err(err, errlen, "%s %s: %s", key, hook,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)sts_err(err, errlen, "%s %s: not a regular file (%s)",
		    key, hook, sts_file_kind(sb.st_mode));
		goto out;
	}
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		;
	if ((envp = calloc(i + nvars + 1, sizeof(*envp))) == NULL) {
		(void)sts_err(err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		if (strncmp(environ[i], "MTA_STS_", 8) != 0)
			envp[n++] = environ[i];
	for (i = 0; i < nvars; i++)
		envp[n++] = vars[i];
	envp[n] = NULL;
	argv[0] = (char *)(uintptr_t)hook;
	if (run_program(argv, envp, run_timeout(conf), out, sizeof(out),
	    why, sizeof(why)) == -1) {
		(void)sts_err(err, errlen, "%s %s", key, why);
		goto out;
	}
	(void)snprintf(note, notelen, "%s", out);
	rc = PUB_DONE;
 out:
	free(envp);
	return rc;
}

enum publish_rc
publish_hook(const struct publish_req *q, char *note, size_t notelen,
    char *err, size_t errlen)
{
	char e_dom[STS_HOST_MAX + 32], e_id[STS_ID_MAX + 16];
	char e_old[STS_ID_MAX + 32], e_rec[STS_ID_MAX + 64];
	char e_name[STS_HOST_MAX + 32], rec[STS_ID_MAX + 32];
	char e_zone[STS_HOST_MAX + 32], name[STS_HOST_MAX + 16];
	char e_type[] = "MTA_STS_RECORD_TYPE=mta-sts";
	char *vars[HOOK_VARS] = { e_type, e_dom, e_id, e_rec, e_old, e_name,
	    e_zone };

	if (owner_name("_mta-sts", q->d->name, q->d->set.id_zone, name,
	    sizeof(name)) == -1 ||
	    sts_txt_record(q->id, rec, sizeof(rec)) == -1 ||
	    env_set(e_dom, sizeof(e_dom), "MTA_STS_DOMAIN", q->d->name) == -1 ||
	    env_set(e_id, sizeof(e_id), "MTA_STS_ID", q->id) == -1 ||
	    env_set(e_old, sizeof(e_old), "MTA_STS_OLD_ID", q->old_id) == -1 ||
	    env_set(e_rec, sizeof(e_rec), "MTA_STS_RECORD", rec) == -1 ||
	    env_set(e_name, sizeof(e_name), "MTA_STS_NAME", name) == -1 ||
	    env_set(e_zone, sizeof(e_zone), "MTA_STS_ZONE",
	    publish_zone(q->conf, q->d)) == -1) {
		(void)sts_err(err, errlen, "%s: record too long", q->d->name);
		return PUB_FAILED;
	}
	return run_hook(q->conf, "hook", DOM_SET(q->conf, q->d, hook), vars, 7,
	    note, notelen, err, errlen);
}

enum publish_rc
publish_hook_tlsrpt(const struct publish_req *q, const char *name,
    const char *zone, const char *text, char *note, size_t notelen, char *err,
    size_t errlen)
{
	char e_dom[STS_HOST_MAX + 32], e_name[STS_HOST_MAX + 32];
	char e_zone[STS_HOST_MAX + 32], e_rec[1100];
	char e_type[] = "MTA_STS_RECORD_TYPE=tlsrpt";
	char *vars[HOOK_VARS] = { e_type, e_dom, e_rec, e_name, e_zone };

	if (q->d->set.tlsrpt_zone == NULL || zone == NULL ||
	    env_set(e_dom, sizeof(e_dom), "MTA_STS_DOMAIN", q->d->name) == -1 ||
	    env_set(e_rec, sizeof(e_rec), "MTA_STS_RECORD", text) == -1 ||
	    env_set(e_name, sizeof(e_name), "MTA_STS_NAME", name) == -1 ||
	    env_set(e_zone, sizeof(e_zone), "MTA_STS_ZONE", zone) == -1) {
		(void)sts_err(err, errlen, "%s: no tlsrpt-zone, or the record "
		    "is too long", q->d->name);
		return PUB_FAILED;
	}
	return run_hook(q->conf, "tlsrpt-hook", q->d->set.tlsrpt_hook, vars, 5,
	    note, notelen, err, errlen);
}
