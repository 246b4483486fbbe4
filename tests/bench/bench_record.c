/* bench_record.c - throughput of the per-record hot path.
 *
 * Usage: bench_record FILE
 *
 * Reads NDJSON lines from FILE in large blocks, and for each runs
 * tw_rec_parse, tw_rec_need_common, and reads "sensor" (tw_rec_str) and
 * "value" (tw_rec_num), as a tool does for a reading; every line goes to
 * standard output unchanged.  Prints "records: N, seconds: S, records/s:
 * R" to standard error (and the number of rejected lines, if any).
 * Exit status: 0, 1 when some line was rejected, 2 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "record.h"

#define BLOCK ((size_t)4 << 20)

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: bench_record FILE\n", stderr);
		return 2;
	}
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "bench_record: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);

	size_t cap = BLOCK, have = 0;
	char *buf = malloc(cap);
	char *scratch = NULL;
	size_t scratch_cap = 0;
	struct tw_rec r;
	struct tw_err e;
	long long records = 0, rejected = 0;
	double sum = 0;
	int status = 0;

	if (!buf) {
		fputs("bench_record: out of memory\n", stderr);
		return 2;
	}
	tw_rec_init(&r);
	double t0 = now();
	for (;;) {
		ssize_t got = read(fd, buf + have, cap - have);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "bench_record: %s: %s\n", argv[1], strerror(errno));
			status = 2;
			break;
		}
		have += (size_t)got;
		bool eof = got == 0;

		/* Every complete line in buf[0..have), and at the end of the
		 * file a last line without its newline. */
		size_t p = 0;
		for (;;) {
			char *nl = memchr(buf + p, '\n', have - p);
			size_t end = nl ? (size_t)(nl - buf) : have;
			if (!nl && (!eof || p == have))
				break;
			const char *line = buf + p;
			size_t len = end - p;
			int64_t ns;
			records++;
			if (tw_rec_parse(&r, line, len, &e) < 0
			    || tw_rec_need_common(&r, &ns, &e) < 0) {
				rejected++;
			} else {
				if (r.sensor >= 0 && tw_rec_type(&r, r.sensor) == TW_J_STRING) {
					size_t n;
					tw_rec_raw(&r, r.sensor, &n);
					if (n + 1 > scratch_cap) {
						scratch_cap = n + 1 > 256 ? n + 1 : 256;
						free(scratch);
						scratch = malloc(scratch_cap);
						if (!scratch)
							abort();
					}
					sum += (double)tw_rec_str(&r, r.sensor, scratch);
				}
				if (r.value >= 0 && tw_rec_type(&r, r.value) == TW_J_NUMBER)
					sum += tw_rec_num(&r, r.value);
				sum += (double)(ns & 1);
			}
			p = nl ? end + 1 : have;
		}
		/* Pass-through: the lines just read, as they were. */
		if (p && fwrite(buf, 1, p, stdout) != p) {
			status = 2;
			break;
		}
		memmove(buf, buf + p, have - p);
		have -= p;
		if (eof)
			break;
		if (have == cap) {   /* a line longer than the buffer */
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				fputs("bench_record: out of memory\n", stderr);
				status = 2;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench_record: standard output: %s\n", strerror(errno));
		status = 2;
	}
	double secs = now() - t0;
	fprintf(stderr, "records: %lld, seconds: %.3f, records/s: %.0f\n",
		records, secs, secs > 0 ? (double)records / secs : 0.0);
	if (rejected) {
		fprintf(stderr, "rejected: %lld\n", rejected);
		if (!status)
			status = 1;
	}
	if (sum == -1.0)   /* keeps the reads from being optimized away */
		fputs("\n", stderr);
	tw_rec_release(&r);
	free(scratch);
	free(buf);
	close(fd);
	if (fclose(stdout) != 0 && !status)
		status = 2;
	return status;
}
