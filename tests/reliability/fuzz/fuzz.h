/* SPDX-License-Identifier: MIT */
/*
 * The fuzz targets of tests/reliability/fuzz/: libFuzzer entry points,
 * built two ways:
 *   - by fuzz.sh with clang -fsanitize=fuzzer,address,undefined, the
 *     library and tool sources compiled in with coverage, for a bounded
 *     fuzzing run;
 *   - by meson with corpus_main.c, which feeds every file of the seed
 *     corpus (tests/reliability/corpus/NAME/) once: a regression run that
 *     needs no clang.
 * A target reports a broken invariant with fuzz_fail(), which aborts (a
 * "crash" to libFuzzer, a failed test to meson).
 */
#ifndef ZK_FUZZ_H
#define ZK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define fuzz_fail(...)                                                      \
	do {                                                                \
		fprintf(stderr, "FUZZ INVARIANT BROKEN %s:%d: ", __FILE__, \
			__LINE__);                                          \
		fprintf(stderr, __VA_ARGS__);                               \
		fputc('\n', stderr);                                        \
		abort();                                                    \
	} while (0)

#endif /* ZK_FUZZ_H */
