/* SPDX-License-Identifier: MIT */
/*
 * A main() for the fuzz targets without libFuzzer: run the target once on
 * every file named (or every file in the directories named), in name
 * order, and say how many.  meson test runs each target so over its seed
 * corpus; fuzz.sh uses libFuzzer's own main instead.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static unsigned long inputs;

/* openat(), not open() nor fopen(): fuzz_cli wraps those. */
static void run_file(const char *path)
{
	int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t len;

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	len = (size_t)st.st_size;
	/* exactly the input's size, so that ASan sees a read past it */
	buf = malloc(len ? len : 1);
	if (!buf || read(fd, buf, len) != (ssize_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	inputs++;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct dirent **names;
		struct stat st;
		int n;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_file(argv[i]);
			continue;
		}
		n = scandir(argv[i], &names, NULL, name_cmp);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];

			snprintf(path, sizeof(path), "%s/%s", argv[i],
				 names[j]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode))
				run_file(path);
			free(names[j]);
		}
		free(names);
	}
	printf("%s: %lu inputs, no invariant broken\n"
	       "FIGURES %s-corpus inputs=%lu\n", program_invocation_short_name,
	       inputs, program_invocation_short_name, inputs);
	return inputs ? 0 : 1;
}
