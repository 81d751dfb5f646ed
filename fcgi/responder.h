/*
 * mta-sts-fcgi internals shared by main.c (modes, workers, requests) and
 * table.c (the domain table: loading, reloading, lookup).
 */
#ifndef RESPONDER_H
#define RESPONDER_H

#include <stddef.h>

#define PROGNAME	"mta-sts-fcgi"

/* main.c: one line to stderr, "mta-sts-fcgi: " prefixed, written at once. */
void	 logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A pre-rendered response: CGI headers ("Status: 200 OK", Content-Type,
 * Content-Length, Cache-Control) and the policy. HEAD writes headlen bytes.
 */
struct resp_copy {
	char	*buf;
	size_t	 cap;
	size_t	 len;
	size_t	 headlen;
};

/* table.c */

/*
 * Load the configuration and every domain (main thread, before the
 * workers start). -1 with err when the configuration or the domain
 * directory cannot be read; a bad domain file is only logged.
 */
int	 table_init(const char *conffile, char *err, size_t errlen);

/*
 * One reload poll (main thread only): stat the configuration, the domain
 * directory and its files, and the certificate store; re-read what
 * changed and swap the table in. force re-reads everything (SIGHUP).
 */
void	 table_poll(int force);

/*
 * Before table_init: an inotify descriptor that table_poll will watch the
 * domain directory with, so that polls stat only what changed; readable
 * when a poll is due. -1 when inotify is not available (polling only).
 */
int	 table_watch(void);

/* How many domains are being served. */
size_t	 table_count(void);

/*
 * Copy the response for domain (lower-case A-label) into *out.
 * 1 found, 0 not found, -1 out of memory. Any thread.
 */
int	 table_lookup(const char *domain, struct resp_copy *out);

void	 table_free(void);

/* The headers of a 200 response with a body of textlen bytes; -1 or their length. */
int	 resp_head(char *head, size_t headsz, size_t textlen);

/*
 * cgi.c: load only the named domain. 1 and *out filled, 0 no such
 * domain (or its file is invalid: logged), -1 configuration error (logged).
 */
int	 cgi_load_domain(const char *conffile, const char *domain,
	    struct resp_copy *out);

/* sandbox.c: confine the process to serving and reloading (seccomp). 0, or -1 with err. */
int	 sandbox_enter(char *err, size_t errlen);

#endif /* RESPONDER_H */
