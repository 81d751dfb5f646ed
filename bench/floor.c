/*
 * The FastCGI floor: the least any libfcgi responder can do. It answers
 * every request with the same constant policy and the headers mta-sts-fcgi
 * sends, without looking at the request. `make bench` compares the real
 * responder against it under the same web server.
 */
#include <stdio.h>
#include <string.h>

#include <fcgiapp.h>

static const char body[] =
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mx1.example.net\r\n"
    "mx: mx2.example.net\r\n"
    "max_age: 604800\r\n";

int
main(void)
{
	FCGX_Request	req;
	char		head[256];
	int		n;

	n = snprintf(head, sizeof(head),
	    "Status: 200 OK\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %d\r\n\r\n", (int)(sizeof(body) - 1));
	if (n < 0 || (size_t)n >= sizeof(head))
		return 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(head, n, req.out);
		FCGX_PutStr(body, (int)sizeof(body) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
