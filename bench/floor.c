/* SPDX-License-Identifier: ISC */
/*
 * The FastCGI floor: the least any libfcgi responder can do. It answers
 * every request with the same constant policy and the headers mta-sts-fcgi
 * sends, without looking at the request. `make bench` compares the real
 * responder against it under the same web server.
 *
 * Like the responder it serves several connections at once (a web server
 * that keeps FastCGI connections open would otherwise stall all but one):
 * FLOOR_THREADS threads (default 32), each accepting on fd 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

static const char body[] =
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mx1.example.net\r\n"
    "mx: mx2.example.net\r\n"
    "max_age: 604800\r\n";

static char		head[256];
static int		headlen;
static pthread_mutex_t	accept_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
serve(void *arg)
{
	FCGX_Request	req;
	int		rc, fresh;

	(void)arg;
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return NULL;
	for (;;) {
		/*
		 * Serialise accept() only: a connection the web server keeps
		 * open (ipcFd still set) is read without the lock, or one idle
		 * kept connection would block every other thread.
		 */
		fresh = req.ipcFd < 0;
		if (fresh)
			pthread_mutex_lock(&accept_lock);
		rc = FCGX_Accept_r(&req);
		if (fresh)
			pthread_mutex_unlock(&accept_lock);
		if (rc < 0)
			break;
		FCGX_PutStr(head, headlen, req.out);
		FCGX_PutStr(body, (int)sizeof(body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return NULL;
}

int
main(void)
{
	pthread_t	*t;
	const char	*s;
	long		 n = 32, i;

	if ((s = getenv("FLOOR_THREADS")) != NULL &&
	    ((n = strtol(s, NULL, 10)) < 1 || n > 1024))
		return 1;
	headlen = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n\r\n", (int)(sizeof(body) - 1));
	if (headlen < 0 || (size_t)headlen >= sizeof(head))
		return 1;
	if (FCGX_Init() != 0 || (t = calloc((size_t)n, sizeof(*t))) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, serve, NULL) != 0)
			return 1;
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	free(t);
	return 0;
}
