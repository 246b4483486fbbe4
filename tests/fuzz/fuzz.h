/* fuzz.h - what the fuzz targets share (tests/fuzz/fuzz_*.c).
 *
 * Each target is one LLVMFuzzerTestOneInput over one parser.  Built with
 * clang -fsanitize=fuzzer it is a libFuzzer program (make fuzz); built
 * with replay.c it runs the files named on its command line once each
 * (make check replays the seed corpus and the regressions).
 *
 * A target frees everything it allocates and prints nothing: the tools'
 * reports of rejected input go to a stderr that fuzz_init points at
 * /dev/null (sanitizer reports write to descriptor 2 itself, so they
 * still show). */
#ifndef TW_FUZZ_H
#define TW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline void fuzz_init(void)
{
	FILE *null = fopen("/dev/null", "w");

	if (!null)
		abort();
	stderr = null;
	setenv("TZ", "UTC", 1);
}

/* A path whose file holds data[0..size): for parsers that read files.
 * One memory file serves every run. */
static inline const char *fuzz_path(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

/* data[0..size) as a NUL-terminated string to free. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
