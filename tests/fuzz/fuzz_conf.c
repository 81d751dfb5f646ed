/* SPDX-License-Identifier: ISC */
/* libFuzzer target: the configuration parser, fed through a memfd. */
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mtasts.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sts_conf	 conf;
	char		 path[64], err[STS_ERR_MAX];
	int		 fd;

	if ((fd = memfd_create("fuzz.conf", 0)) == -1)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	sts_conf_defaults(&conf);
	if (sts_conf_load(path, &conf, err, sizeof(err)) == -1 &&
	    strncmp(err, path, strlen(path)) != 0)
		abort();	/* every error names the file */
	sts_conf_free(&conf);
	close(fd);
	return 0;
}
