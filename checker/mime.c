/* SPDX-License-Identifier: ISC */
/*
 * The TLS-RPT report in a mail message (RFC 8460 §5.3), found with GMime:
 * a multipart/report; report-type="tlsrpt" with an application/tlsrpt+gzip
 * or application/tlsrpt+json part, or a body of that type.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "tlsrpt.h"

struct find {
	GMimeObject	*part;
	int		 generic;	/* only a .json/.json.gz file name matched */
};

static int
is_report_type(GMimeContentType *ct)
{
	const char *type = g_mime_content_type_get_media_type(ct);
	const char *sub = g_mime_content_type_get_media_subtype(ct);

	return type != NULL && sub != NULL && strcasecmp(type, "application") == 0 &&
	    (strcasecmp(sub, "tlsrpt+gzip") == 0 ||
	    strcasecmp(sub, "tlsrpt+json") == 0);
}

/* some senders label the attachment application/gzip or octet-stream */
static int
is_named_report(GMimeObject *o)
{
	const char *name;
	size_t n;

	if (!GMIME_IS_PART(o))
		return 0;
	name = g_mime_part_get_filename(GMIME_PART(o));
	if (name == NULL)
		return 0;
	n = strlen(name);
	return (n > 8 && strcasecmp(name + n - 8, ".json.gz") == 0) ||
	    (n > 5 && strcasecmp(name + n - 5, ".json") == 0);
}

static void
visit(GMimeObject *parent, GMimeObject *o, gpointer arg)
{
	struct find *f = arg;

	(void)parent;
	if (!GMIME_IS_PART(o))
		return;
	if (is_report_type(g_mime_object_get_content_type(o))) {
		if (f->part == NULL || f->generic) {
			f->part = o;
			f->generic = 0;
		}
	} else if (f->part == NULL && is_named_report(o)) {
		f->part = o;
		f->generic = 1;
	}
}

static void
init_once(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		done = 1;
	}
}

int
tlsrpt_from_mime(const void *msg, size_t len, char **out, size_t *outlen,
    char *err, size_t errlen)
{
	GMimeStream		*in = NULL, *mem = NULL;
	GMimeParser		*parser = NULL;
	GMimeMessage		*m = NULL;
	GMimeObject		*body;
	GMimeDataWrapper	*dw;
	GByteArray		*ba;
	struct find		 f = { NULL, 0 };
	int			 ret = -1;

	*out = NULL;
	*outlen = 0;
	if (len > TLSRPT_INPUT_MAX)
		return sts_err(err, errlen, "message larger than %lu bytes; "
		    "refused", TLSRPT_INPUT_MAX);
	init_once();
	in = g_mime_stream_mem_new_with_buffer(msg, len);
	parser = g_mime_parser_new_with_stream(in);
	m = g_mime_parser_construct_message(parser, NULL);
	if (m == NULL) {
		sts_err(err, errlen, "not a mail message (MIME parse failed)");
		goto out;
	}
	body = g_mime_message_get_mime_part(m);
	if (body == NULL) {
		sts_err(err, errlen, "mail message without a body");
		goto out;
	}
	if (GMIME_IS_MULTIPART(body))
		g_mime_multipart_foreach(GMIME_MULTIPART(body), visit, &f);
	else
		visit(NULL, body, &f);
	if (f.part == NULL) {
		sts_err(err, errlen, "no application/tlsrpt+gzip or "
		    "application/tlsrpt+json part in the message");
		goto out;
	}
	dw = g_mime_part_get_content(GMIME_PART(f.part));
	if (dw == NULL) {
		sts_err(err, errlen, "the report part is empty");
		goto out;
	}
	mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(dw, mem) < 0) {
		sts_err(err, errlen, "the report part cannot be decoded");
		goto out;
	}
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (ba == NULL || ba->len == 0) {
		sts_err(err, errlen, "the report part is empty");
		goto out;
	}
	if ((*out = malloc(ba->len + 1)) == NULL) {
		sts_err(err, errlen, "out of memory");
		goto out;
	}
	memcpy(*out, ba->data, ba->len);
	(*out)[ba->len] = '\0';
	*outlen = ba->len;
	ret = 0;
 out:
	if (mem != NULL)
		g_object_unref(mem);
	if (m != NULL)
		g_object_unref(m);
	if (parser != NULL)
		g_object_unref(parser);
	if (in != NULL)
		g_object_unref(in);
	return ret;
}
