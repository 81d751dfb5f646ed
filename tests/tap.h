/* SPDX-License-Identifier: ISC */
/*
 * A minimal TAP producer for the C unit tests, run by prove.
 * ok(), is_int(), is_str(), diag(), tap_alarm_bails() and done_testing();
 * the exit status is the number of failures (at most 255).
 */
#ifndef TAP_H
#define TAP_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_fail;

static void __attribute__((unused, format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
}

static int __attribute__((unused, format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_fail++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...) do {					\
	long long tap_g = (got), tap_w = (want);			\
	if (!ok(tap_g == tap_w, __VA_ARGS__))				\
		diag("  got %lld, want %lld", tap_g, tap_w);		\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *tap_g = (got), *tap_w = (want);			\
	if (!ok(tap_g != NULL && tap_w != NULL ?			\
	    strcmp(tap_g, tap_w) == 0 : tap_g == tap_w, __VA_ARGS__))	\
		diag("  got '%s', want '%s'", tap_g ? tap_g : "(null)",	\
		    tap_w ? tap_w : "(null)");				\
} while (0)

static void
tap_on_alarm(int sig)
{
	static const char m[] = "Bail out! a call blocked on a FIFO\n";

	(void)sig;
	if (write(1, m, sizeof(m) - 1) < 0)
		_exit(254);
	_exit(255);
}

/* From now on an alarm() that goes off (a call blocked) bails out. */
static void __attribute__((unused))
tap_alarm_bails(void)
{
	signal(SIGALRM, tap_on_alarm);
}

static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail > 255 ? 255 : tap_fail;
}

#endif
