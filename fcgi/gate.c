/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI request gate: a request is handed to libfcgi only once the
 * whole of its parameters is waiting on the socket.
 *
 * libfcgi reads with blocking reads and keeps each parameter in memory at
 * the length the client claims, so a client that sends a byte every few
 * seconds would hold a worker for ever, and one that claims a huge
 * parameter would make the responder allocate it. The gate looks at the
 * bytes waiting on the socket without taking them (MSG_PEEK: libfcgi
 * still reads them all) and walks the record headers: once the empty
 * FCGI_PARAMS record that ends the parameters is there, libfcgi reads the
 * request without waiting on the client. The connection is to be closed
 * instead when its first byte does not come within the idle time, when
 * the request is not complete within the request time of its first byte,
 * when the records before the end of the parameters pass the cap, or when
 * the responder stops while it waits.
 *
 * Only what a web server sends is let through: FCGI_BEGIN_REQUEST for the
 * responder role, then FCGI_PARAMS records up to the empty one, each of
 * version 1 and well formed. Anything else (management records, other
 * roles, garbage) is closed here, so that libfcgi's own error path, which
 * reads whatever the peer still sends for as long as it sends it, is
 * never taken for a hostile peer.
 *
 * libfcgi hands parameters over as C strings, so a NUL inside one (a Host
 * of "mta-sts.a.example\0.b.example") would be cut there unseen: the gate
 * looks for one in the parameters it has in view and says so.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "responder.h"

#define FCGI_HEADER_LEN		8
#define FCGI_VERSION_1		1
#define FCGI_BEGIN_REQUEST	1
#define FCGI_PARAMS		4
#define FCGI_RESPONDER		1
#define GATE_NAP_MS		10	/* between looks at a partial request */
#define GATE_TICK_MS		250	/* how often a waiting gate sees a stop */

/*
 * What the len bytes at buf hold: GATE_READY (a whole request), GATE_MORE
 * (the start of one), GATE_BAD or GATE_TOO_BIG.
 */
enum gate
gate_scan(const unsigned char *buf, size_t len, size_t cap)
{
	size_t	 off = 0, clen;

	while (off + FCGI_HEADER_LEN <= len) {
		clen = (size_t)buf[off + 4] << 8 | buf[off + 5];
		if (buf[off] != FCGI_VERSION_1)
			return GATE_BAD;
		if (off == 0) {
			if (buf[1] != FCGI_BEGIN_REQUEST || clen != 8)
				return GATE_BAD;
			if (len >= FCGI_HEADER_LEN + 2 &&
			    (buf[8] << 8 | buf[9]) != FCGI_RESPONDER)
				return GATE_BAD;
		} else if (buf[off + 1] != FCGI_PARAMS)
			return GATE_BAD;
		else if (clen == 0)
			return GATE_READY;
		off += FCGI_HEADER_LEN + clen + buf[off + 6];
	}
	return off >= cap || len >= cap ? GATE_TOO_BIG : GATE_MORE;
}

/* A name or value length (1 or 4 bytes) at *i in the n bytes at p. */
static int
nv_len(const unsigned char *p, size_t n, size_t *i, size_t *len)
{
	if (*i >= n)
		return -1;
	if (p[*i] < 0x80) {
		*len = p[(*i)++];
		return 0;
	}
	if (n - *i < 4)
		return -1;
	*len = ((size_t)p[*i] & 0x7f) << 24 | (size_t)p[*i + 1] << 16 |
	    (size_t)p[*i + 2] << 8 | p[*i + 3];
	*i += 4;
	return 0;
}

/*
 * The parameters of the whole request in the len bytes at buf (as
 * gate_scan found it): 0 well formed, 1 a name or value holds a NUL, -1
 * malformed. The contents of the PARAMS records are gathered at the
 * start of buf, over what was walked.
 */
int
gate_params(unsigned char *buf, size_t len)
{
	size_t	 off = 0, n = 0, i, nl, vl, clen;

	while (off + FCGI_HEADER_LEN <= len) {
		clen = (size_t)buf[off + 4] << 8 | buf[off + 5];
		if (buf[off + 1] == FCGI_PARAMS) {
			if (clen == 0 || off + FCGI_HEADER_LEN + clen > len)
				break;
			memmove(buf + n, buf + off + FCGI_HEADER_LEN, clen);
			n += clen;
		}
		off += FCGI_HEADER_LEN + clen + buf[off + 6];
	}
	for (i = 0; i < n; i += nl + vl) {
		if (nv_len(buf, n, &i, &nl) == -1 ||
		    nv_len(buf, n, &i, &vl) == -1 || nl > n - i ||
		    vl > n - i - nl)
			return -1;
		if (memchr(buf + i, '\0', nl + vl) != NULL)
			return 1;
	}
	return 0;
}

static long
ms_since(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
nap(int ms)
{
	struct timespec	 ts = { 0, ms * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Wait until the request on fd can be read without waiting on the client
 * (GATE_READY, *nul set when a parameter holds a NUL), or it is to be
 * closed (any other value). buf holds lim->cap bytes.
 */
enum gate
gate_wait(int fd, const struct gate_limits *lim, unsigned char *buf,
    int (*stopping)(void), int *nul)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 start, first;
	enum gate	 g;
	ssize_t		 n;
	long		 left;
	int		 have = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		n = recv(fd, buf, lim->cap, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0)
			return GATE_CLOSED;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return GATE_CLOSED;
		if (n > 0) {
			g = gate_scan(buf, (size_t)n, lim->cap);
			if (g == GATE_READY &&
			    (*nul = gate_params(buf, (size_t)n)) == -1)
				return GATE_BAD;
			if (g != GATE_MORE)
				return g;
			if (!have)
				clock_gettime(CLOCK_MONOTONIC, &first);
			have = 1;
		}
		if (stopping())
			return GATE_STOPPING;
		if (have) {
			/* Part of a request: look again a little later. */
			if (ms_since(&first) >= lim->request_ms)
				return GATE_SLOW;
			nap(GATE_NAP_MS);
			continue;
		}
		if ((left = lim->idle_ms - ms_since(&start)) <= 0)
			return GATE_IDLE;
		(void)poll(&pfd, 1, left < GATE_TICK_MS ? (int)left :
		    GATE_TICK_MS);
	}
}

/*
 * Close a connection after its answer: libfcgi would read whatever the
 * peer still sends until it pauses for 2 s, which a hostile peer never
 * does. Here the peer gets ms milliseconds, then the connection is closed.
 */
void
gate_close(int fd, long ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	struct timespec	 start;
	char		 trash[512];
	long		 left;

	(void)shutdown(fd, SHUT_WR);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((left = ms - ms_since(&start)) > 0 &&
	    poll(&pfd, 1, (int)left) > 0 &&
	    recv(fd, trash, sizeof(trash), MSG_DONTWAIT) > 0)
		;
	(void)close(fd);
}
