/* replay.c - runs a fuzz target without libFuzzer: each file named on
 * the command line (or in a folder named there) is fed once to
 * LLVMFuzzerTestOneInput.  A crash is the sanitizers' business (make
 * check SANITIZE=1); the last line counts the inputs, as the unit tests
 * do. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!f) {
		fprintf(stdout, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 4096;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int run(const char *path, int *passed, int *failed)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stdout, "%s: %s\n", path, strerror(errno));
		++*failed;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (run_file(path) < 0)
			++*failed;
		else
			++*passed;
		return 0;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stdout, "%s: %s\n", path, strerror(errno));
		++*failed;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, names[i]->d_name);
			run(sub, passed, failed);
		}
		free(names[i]);
	}
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		run(argv[i], &passed, &failed);
	fprintf(stdout, "%s: %d passed, %d failed\n", argc > 0 ? argv[0] : "replay", passed, failed);
	return failed != 0;
}
