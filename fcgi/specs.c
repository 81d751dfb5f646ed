/* SPDX-License-Identifier: ISC */
/*
 * The certificate specs ("certs" values) domains take their mx from, and
 * the names each gave when its domains were last read: after the store
 * changed, the domains of a spec whose names changed are read again.
 */
#include <stdlib.h>
#include <string.h>

#include "responder.h"

struct spec *
spec_get(struct spec **list, struct sts_certstore *store, const char *s)
{
	const struct sts_strlist	*names = NULL;
	struct spec			*sp;
	char				 err[STS_ERR_MAX];

	for (sp = *list; sp; sp = sp->next)
		if (strcmp(sp->spec, s) == 0)
			return sp;
	if ((sp = calloc(1, sizeof(*sp))) == NULL ||
	    (sp->spec = strdup(s)) == NULL) {
		free(sp);
		return NULL;
	}
	if (sts_certstore_get(store, s, &names, err, sizeof(err)) == 0)
		(void)sts_strlist_copy(&sp->names, names);
	sp->next = *list;
	*list = sp;
	return sp;
}

int
specs_check(struct spec *list, struct sts_certstore *store)
{
	const struct sts_strlist	*names = NULL;
	struct sts_strlist		 none = { NULL, 0, 0 };
	struct spec			*sp;
	char				 err[STS_ERR_MAX];
	int				 n = 0;

	for (sp = list; sp; sp = sp->next) {
		if (sts_certstore_get(store, sp->spec, &names, err,
		    sizeof(err)) == -1)
			names = &none;
		if (sts_strlist_equal(names, &sp->names))
			continue;
		sp->changed = 1;
		n++;
		sts_strlist_free(&sp->names);
		(void)sts_strlist_copy(&sp->names, names);
	}
	return n;
}

void
specs_seen(struct spec *sp)
{
	for (; sp; sp = sp->next)
		sp->changed = 0;
}

void
specs_free(struct spec *sp)
{
	struct spec	*next;

	for (; sp; sp = next) {
		next = sp->next;
		free(sp->spec);
		sts_strlist_free(&sp->names);
		free(sp);
	}
}
