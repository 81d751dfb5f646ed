/* SPDX-License-Identifier: ISC */
/*
 * ctl.c: the control requests (ctl-show, ctl-refresh, ctl-drop): who may
 * send them, and the line that shows a cached entry. Postfix's lookups
 * are open to whoever reaches the socket; a control request is accepted
 * only on a unix socket, from root or the daemon's own user, as the
 * kernel tells it (SO_PEERCRED), never over TCP. A refusal is answered
 * and logged with the peer's uid and pid (or address).
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "resolve.h"

int
ctl_allowed(int fd, const char *req, size_t len, char *out, size_t outlen)
{
	struct sockaddr_storage ss;
	struct ucred uc;
	socklen_t sl = sizeof(ss), ul = sizeof(uc);
	char what[600], host[NI_MAXHOST], port[NI_MAXSERV];
	uid_t self = geteuid();

	sts_escape(what, sizeof(what), req, len);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		(void)snprintf(out, outlen, "PERM control request refused: the "
		    "connection's address is unknown");
		logmsg("refused %s: getsockname failed", what);
		return 0;
	}
	if (ss.ss_family != AF_UNIX) {
		sl = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
		    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
		    port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
			(void)snprintf(host, sizeof(host), "?");
			(void)snprintf(port, sizeof(port), "?");
		}
		(void)snprintf(out, outlen, "PERM control requests are accepted "
		    "on a unix socket only, from root or uid %u (the daemon's "
		    "user); this one came over TCP", (unsigned)self);
		logmsg("refused %s from %s port %s over TCP: control requests "
		    "are accepted on a unix socket only", what, host, port);
		return 0;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == -1 ||
	    ul != sizeof(uc)) {
		(void)snprintf(out, outlen, "PERM control request refused: the "
		    "peer's credentials are unknown");
		logmsg("refused %s: SO_PEERCRED failed", what);
		return 0;
	}
	if (uc.uid == 0 || uc.uid == self)
		return 1;
	(void)snprintf(out, outlen, "PERM control requests are accepted from "
	    "root or uid %u (the daemon's user) only; this one came from uid %u",
	    (unsigned)self, (unsigned)uc.uid);
	logmsg("refused %s from uid %u (pid %ld): control requests are accepted "
	    "from root or uid %u only", what, (unsigned)uc.uid, (long)uc.pid,
	    (unsigned)self);
	return 0;
}

void
ctl_show(const struct entry *e, time_t now, char *out, size_t len)
{
	char why[600];

	sts_escape(why, sizeof(why), e->why ? e->why : "", e->why ? strlen(e->why) : 0);
	if (e->patterns != NULL && e->expires > now)
		(void)snprintf(out, len, "OK domain=%s id=%s mode=%s max_age=%lu "
		    "fetched=%lld expires=%lld mx=%s match=%s last=%s checked=%lld%s%s",
		    e->domain, e->id, sts_mode_name((enum sts_mode)e->mode),
		    e->max_age, (long long)e->fetched, (long long)e->expires,
		    e->patterns, e->match ? e->match : "", result_name(e->last),
		    (long long)e->checked, why[0] ? " why=" : "", why);
	else
		(void)snprintf(out, len, "OK domain=%s policy=none last=%s "
		    "checked=%lld%s%s", e->domain, e->checked ? result_name(e->last) :
		    "never", (long long)e->checked, why[0] ? " why=" : "", why);
}
