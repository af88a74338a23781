/* SPDX-License-Identifier: MIT */
/*
 * pwrite_direct DEV OFFSET LEN: one O_DIRECT pwrite(2) of LEN bytes (0x5a)
 * at byte OFFSET of DEV, as one system call (dd splits by its block size).
 * Prints "ok" or the error; exit status 0 or 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long ofs, len;
	ssize_t r;
	void *buf;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: pwrite_direct DEV OFFSET LEN\n");
		return 2;
	}
	ofs = strtoull(argv[2], NULL, 0);
	len = strtoull(argv[3], NULL, 0);
	fd = open(argv[1], O_WRONLY | O_DIRECT);
	if (fd < 0 || posix_memalign(&buf, 4096, len)) {
		perror(argv[1]);
		return 1;
	}
	memset(buf, 0x5a, len);
	r = pwrite(fd, buf, len, (off_t)ofs);
	if (r == (ssize_t)len) {
		puts("ok");
		return 0;
	}
	printf("%s\n", r < 0 ? strerror(errno) : "short write");
	return 1;
}
