/* gen_wide - a deterministic wide sensor CSV for the benchmarks.
 *
 * Usage: gen_wide ROWS
 *
 * Writes on standard output the header
 *   time,temp_c,pressure_bar,rpm,current_a,vib_mm_s,flow_m3_h
 * and ROWS rows, one per second from 2024-03-01 00:00:00, with values that
 * wander as mean-reverting random walks (2 or 3 decimals; rpm an integer).
 * The PRNG is xorshift64* with a fixed seed, so the output is the same
 * byte for byte on every run and every machine.  Values are kept as
 * fixed-point integers and formatted by hand, the date string is advanced
 * field by field, and output goes through a large buffer: a million rows
 * take a fraction of a second. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUTBUF (1u << 20)
#define ROWMAX 256

static char out[OUTBUF];
static size_t outlen;

static void flush_out(void)
{
	if (outlen && fwrite(out, 1, outlen, stdout) != outlen) {
		perror("gen_wide: write");
		exit(1);
	}
	outlen = 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t xorshift64s(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A uniform integer in [-span, span]. */
static int64_t step(int64_t span)
{
	return (int64_t)((xorshift64s() >> 11) % (uint64_t)(2 * span + 1)) - span;
}

/* One sensor: a fixed-point value (scale 10^dec) that takes a random step
 * each second and is pulled back toward its mean, within [lo, hi]. */
struct walk {
	int64_t v, mean, span, lo, hi;
	int dec;
};

static void walk_next(struct walk *w)
{
	w->v += step(w->span) - (w->v - w->mean) / 256;
	if (w->v < w->lo)
		w->v = w->lo;
	if (w->v > w->hi)
		w->v = w->hi;
}

/* Writes v / 10^dec with exactly dec decimals; returns the new end. */
static char *put_fixed(char *p, int64_t v, int dec)
{
	char tmp[32];
	int n = 0;
	uint64_t u;

	if (v < 0) {
		*p++ = '-';
		u = (uint64_t)(-v);
	} else {
		u = (uint64_t)v;
	}
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u || n <= dec);
	while (n > 0) {
		if (n == dec)
			*p++ = '.';
		*p++ = tmp[--n];
	}
	return p;
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

int main(int argc, char **argv)
{
	static const char header[] = "time,temp_c,pressure_bar,rpm,current_a,vib_mm_s,flow_m3_h\n";
	/*                    value   mean    span  lo      hi       dec */
	struct walk w[6] = {
		{ 6125, 6125, 4, 4000, 9500, 2 },          /* temp_c        61.25 */
		{ 4500, 4500, 6, 3000, 6500, 3 },          /* pressure_bar  4.500 */
		{ 1450, 1450, 3, 1200, 1800, 0 },          /* rpm           1450  */
		{ 1250, 1250, 5, 800, 2000, 2 },           /* current_a     12.50 */
		{ 2300, 2300, 40, 300, 9000, 3 },          /* vib_mm_s      2.300 */
		{ 3500, 3500, 8, 2000, 5500, 2 },          /* flow_m3_h     35.00 */
	};
	char date[20] = "2024-03-01 00:00:00";
	int Y = 2024, M = 3, D = 1, h = 0, mi = 0, s = 0;
	char *end;
	long long rows, i;

	if (argc != 2) {
		fputs("usage: gen_wide ROWS\n", stderr);
		return 2;
	}
	errno = 0;
	rows = strtoll(argv[1], &end, 10);
	if (errno || end == argv[1] || *end || rows < 0) {
		fprintf(stderr, "gen_wide: bad row count: %s\n", argv[1]);
		return 2;
	}

	memcpy(out, header, sizeof header - 1);
	outlen = sizeof header - 1;
	for (i = 0; i < rows; i++) {
		char *p;
		int k;

		if (outlen > OUTBUF - ROWMAX)
			flush_out();
		p = out + outlen;
		memcpy(p, date, 19);
		p += 19;
		for (k = 0; k < 6; k++) {
			walk_next(&w[k]);
			*p++ = ',';
			p = put_fixed(p, w[k].v, w[k].dec);
		}
		*p++ = '\n';
		outlen = (size_t)(p - out);

		/* Advance the clock one second, rewriting only what changed. */
		if (++s < 60) {
			put2(date + 17, s);
			continue;
		}
		s = 0;
		put2(date + 17, 0);
		if (++mi < 60) {
			put2(date + 14, mi);
			continue;
		}
		mi = 0;
		put2(date + 14, 0);
		if (++h < 24) {
			put2(date + 11, h);
			continue;
		}
		h = 0;
		put2(date + 11, 0);
		if (++D > days_in_month(Y, M)) {
			D = 1;
			if (++M > 12) {
				M = 1;
				Y++;
				snprintf(date, 5, "%04d", Y % 10000);
				date[4] = '-';
			}
			put2(date + 5, M);
		}
		put2(date + 8, D);
	}
	flush_out();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("gen_wide: write");
		return 1;
	}
	return 0;
}
