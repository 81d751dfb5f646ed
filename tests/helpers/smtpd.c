/* SPDX-License-Identifier: ISC */
/*
 * smtpd: a tiny SMTP listener for tests. It speaks just enough for a
 * STARTTLS check: 220 banner, EHLO (advertising STARTTLS unless told not
 * to), STARTTLS and a TLS handshake with the given certificate, then
 * EHLO/NOOP/RSET/QUIT over TLS. One child process per connection, which
 * dies with the listener and after 30 s at most.
 *
 *	smtpd -l ADDR:PORT -c CERT.pem -k KEY.pem [--no-starttls] [--silent]
 *	    [--ehlo-lines N] [--reject] [--inject] [--pidfile FILE]
 *	    [--accept DIR]
 *
 * --silent accepts connections and never says anything (timeout tests).
 * --ehlo-lines N adds N lines to the EHLO reply (limit tests), --reject
 * greets with 554, --inject sends a line after its STARTTLS reply.
 * --accept DIR takes MAIL, RCPT and DATA and writes each message to
 * DIR/ADDR-PID-N.msg, after the lines "listener=ADDR", "tls=VERSION"
 * (or "tls=none") and one "rcpt=ADDRESS" per recipient, and a blank line
 * (a new name: written to .tmp, then renamed). Without it MAIL is 502.
 * It prints nothing and does not fork into the background.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static int	 no_starttls, silent, ehlo_lines, reject, inject;
static const char *accept_dir, *listen_on;

static void __attribute__((noreturn))
die(const char *msg)
{
	fprintf(stderr, "smtpd: %s\n", msg);
	exit(1);
}

/* line-oriented I/O over the socket or TLS */
struct io {
	int	 fd;
	SSL	*ssl;
	char	 buf[4096];
	size_t	 off, len;
};

static int
io_fill(struct io *io)
{
	ssize_t	n;

	io->off = 0;
	if (io->ssl != NULL)
		n = SSL_read(io->ssl, io->buf, sizeof(io->buf));
	else
		n = read(io->fd, io->buf, sizeof(io->buf));
	io->len = n > 0 ? (size_t)n : 0;
	return n > 0 ? 0 : -1;
}

static int
io_line(struct io *io, char *line, size_t max)
{
	size_t	len = 0;
	char	ch;

	for (;;) {
		if (io->off == io->len && io_fill(io) == -1)
			return -1;
		ch = io->buf[io->off++];
		if (ch == '\n')
			break;
		if (len + 1 < max)
			line[len++] = ch;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	return 0;
}

static void
io_put(struct io *io, const char *s)
{
	if (io->ssl != NULL)
		(void)SSL_write(io->ssl, s, strlen(s));
	else if (write(io->fd, s, strlen(s)) == -1)
		return;	/* the client went away; the next read says so */
}

static void
session(int fd, SSL_CTX *ctx)
{
	struct io	 io;
	char		 line[1024], rcpts[4096] = "";
	int		 i, nmsg = 0;

	memset(&io, 0, sizeof(io));
	io.fd = fd;
	if (silent) {
		while (read(fd, line, sizeof(line)) > 0)
			;
		return;
	}
	if (reject) {
		io_put(&io, "554 smtpd.test no service here\r\n");
		return;
	}
	io_put(&io, "220-smtpd.test ESMTP test listener\r\n"
	    "220 smtpd.test ready\r\n");
	while (io_line(&io, line, sizeof(line)) == 0) {
		if (strncasecmp(line, "EHLO", 4) == 0) {
			io_put(&io, "250-smtpd.test hello\r\n"
			    "250-PIPELINING\r\n"
			    "250-SIZE 10240000\r\n");
			for (i = 0; i < ehlo_lines; i++)
				io_put(&io, "250-X-FILLER\r\n");
			if (!no_starttls && io.ssl == NULL)
				io_put(&io, "250-STARTTLS\r\n");
			io_put(&io, "250 8BITMIME\r\n");
		} else if (strncasecmp(line, "HELO", 4) == 0)
			io_put(&io, "250 smtpd.test\r\n");
		else if (strcasecmp(line, "STARTTLS") == 0 && !no_starttls &&
		    io.ssl == NULL) {
			/* --inject: plaintext that a client must not take as TLS-protected */
			io_put(&io, inject ? "220 go ahead\r\n250 injected\r\n" :
			    "220 go ahead\r\n");
			if ((io.ssl = SSL_new(ctx)) == NULL ||
			    !SSL_set_fd(io.ssl, fd) || SSL_accept(io.ssl) != 1)
				break;
			io.off = io.len = 0;
		} else if (accept_dir != NULL && strncasecmp(line, "MAIL FROM:", 10) == 0) {
			rcpts[0] = '\0';
			io_put(&io, "250 sender ok\r\n");
		} else if (accept_dir != NULL && strncasecmp(line, "RCPT TO:", 8) == 0) {
			if (strlen(rcpts) + strlen(line) + 8 < sizeof(rcpts)) {
				strcat(rcpts, "rcpt=");
				strcat(rcpts, line + 8);
				strcat(rcpts, "\n");
			}
			io_put(&io, "250 recipient ok\r\n");
		} else if (accept_dir != NULL && strcasecmp(line, "DATA") == 0) {
			char tmp[512], path[512];
			FILE *f;

			io_put(&io, "354 go ahead\r\n");
			snprintf(tmp, sizeof(tmp), "%s/%s-%ld-%d.tmp", accept_dir,
			    listen_on, (long)getpid(), ++nmsg);
			snprintf(path, sizeof(path), "%s/%s-%ld-%d.msg", accept_dir,
			    listen_on, (long)getpid(), nmsg);
			if ((f = fopen(tmp, "w")) == NULL)
				break;
			fprintf(f, "listener=%s\ntls=%s\n%s\n", listen_on,
			    io.ssl ? SSL_get_version(io.ssl) : "none", rcpts);
			while (io_line(&io, line, sizeof(line)) == 0 &&
			    strcmp(line, ".") != 0)
				fprintf(f, "%s\n", line);
			fclose(f);
			if (rename(tmp, path) == -1)
				break;
			io_put(&io, "250 queued\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			io_put(&io, "221 bye\r\n");
			break;
		} else if (strcasecmp(line, "NOOP") == 0 ||
		    strcasecmp(line, "RSET") == 0)
			io_put(&io, "250 ok\r\n");
		else
			io_put(&io, "502 not implemented\r\n");
	}
	if (io.ssl != NULL) {
		(void)SSL_shutdown(io.ssl);
		SSL_free(io.ssl);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "no-starttls", no_argument, NULL, 'N' },
		{ "silent", no_argument, NULL, 'S' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "ehlo-lines", required_argument, NULL, 'E' },
		{ "reject", no_argument, NULL, 'R' },
		{ "inject", no_argument, NULL, 'I' },
		{ "accept", required_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	struct addrinfo	 hints, *ai = NULL;
	SSL_CTX		*ctx = NULL;
	FILE		*fp;
	const char	*cert = NULL, *key = NULL;
	const char	*pidfile = NULL;
	char		 host[256], *port, *end;
	int		 ch, s, fd, one = 1;
	pid_t		 pid;

	while ((ch = getopt_long(argc, argv, "l:c:k:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': listen_on = optarg; break;
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'N': no_starttls = 1; break;
		case 'S': silent = 1; break;
		case 'p': pidfile = optarg; break;
		case 'R': reject = 1; break;
		case 'I': inject = 1; break;
		case 'A': accept_dir = optarg; break;
		case 'E':
			ehlo_lines = (int)strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || ehlo_lines < 0 ||
			    ehlo_lines > 100000)
				die("--ehlo-lines N");
			break;
		default:
			die("usage: smtpd -l ADDR:PORT -c CERT -k KEY "
			    "[--no-starttls] [--silent] [--ehlo-lines N] "
			    "[--reject] [--inject] [--pidfile FILE] [--accept DIR]");
		}
	}
	if (listen_on == NULL || (!no_starttls && !silent && !reject &&
	    (cert == NULL || key == NULL)))
		die("-l is required, and -c and -k unless --no-starttls");
	if (snprintf(host, sizeof(host), "%s", listen_on) >= (int)sizeof(host) ||
	    (port = strrchr(host, ':')) == NULL)
		die("-l ADDR:PORT");
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* children are reaped by the kernel */

	if (cert != NULL && key != NULL) {
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
			die("cannot load the certificate or key");
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		die("bad -l address");
	if ((s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, ai->ai_addr, ai->ai_addrlen) == -1 || listen(s, 16) == -1)
		die(strerror(errno));
	freeaddrinfo(ai);
	if (pidfile != NULL) {
		if ((fp = fopen(pidfile, "w")) == NULL)
			die("cannot write the pid file");
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}
	for (;;) {
		if ((fd = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die(strerror(errno));
		}
		if ((pid = fork()) == -1) {
			close(fd);
			continue;
		}
		if (pid == 0) {
			close(s);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(30);
			session(fd, ctx);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
