/* gen.h - what the benchmark data generators (gen_*.c) share: the output
 * buffer, the count argument, the xorshift64* PRNG, fixed-point formatting,
 * mean-reverting random walks and the event clock.
 *
 * Each generator is compiled on its own; it defines GEN_PROG (its name, for
 * messages) before including this header.  Everything here is static inline,
 * so a generator that leaves a piece unused gets no warning. */
#ifndef GEN_H
#define GEN_H

#ifndef GEN_PROG
#error "define GEN_PROG before including gen.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The output buffer: lines are written straight into out and reach stdout
 * in large blocks. */
#define OUTBUF (1u << 20)

static char out[OUTBUF];
static size_t outlen;

/* Writes what the buffer holds to stdout; exits with 1 on a write error. */
static inline void flush_out(void)
{
	if (outlen && fwrite(out, 1, outlen, stdout) != outlen) {
		perror(GEN_PROG ": write");
		exit(1);
	}
	outlen = 0;
}

/* Where to write the next line, with at least max bytes free (flushes
 * first when needed); out_done() takes the line's end. */
static inline char *out_room(size_t max)
{
	if (outlen > OUTBUF - max)
		flush_out();
	return out + outlen;
}

/* Keeps what was written into the buffer up to end. */
static inline void out_done(const char *end)
{
	outlen = (size_t)(end - out);
}

/* Flushes the buffer and stdout at the end: 0, or 1 (said) on a write
 * error. */
static inline int out_finish(void)
{
	flush_out();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror(GEN_PROG ": write");
		return 1;
	}
	return 0;
}

/* The count argument: a decimal integer >= 0, else "bad WHAT count" and
 * exit 2. */
static inline long long parse_count(const char *arg, const char *what)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || n < 0) {
		fprintf(stderr, GEN_PROG ": bad %s count: %s\n", what, arg);
		exit(2);
	}
	return n;
}

/* xorshift64*: a small PRNG whose output is the same on every machine. */
struct rng {
	uint64_t s;
};

#define RNG_SEED 0x9E3779B97F4A7C15ull

static inline uint64_t xorshift64s(struct rng *r)
{
	uint64_t x = r->s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A uniform integer in [0, n). */
static inline uint64_t below(struct rng *r, uint64_t n)
{
	return (xorshift64s(r) >> 11) % n;
}

/* A uniform integer in [-span, span]. */
static inline int64_t step(struct rng *r, int64_t span)
{
	return (int64_t)below(r, (uint64_t)(2 * span + 1)) - span;
}

/* Writes v / 10^dec with exactly dec decimals; returns the new end. */
static inline char *put_fixed(char *p, int64_t v, int dec)
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

/* One sensor: a fixed-point value (scale 10^dec) that takes a random step
 * each second and is pulled back toward its mean, within [lo, hi]. */
struct walk {
	int64_t v, mean, span, lo, hi;
	int dec;
};

static inline void walk_next(struct walk *w, struct rng *r)
{
	w->v += step(r, w->span) - (w->v - w->mean) / 256;
	if (w->v < w->lo)
		w->v = w->lo;
	if (w->v > w->hi)
		w->v = w->hi;
}

/* The event clock: str is "YYYY-MM-DD?HH:MM:SS" (any separator, anything
 * after the seconds), the fields its parsed values; clock_tick() advances it
 * one second, rewriting only the digits that change. */
struct event_clock {
	char str[24];
	int Y, M, D, h, mi, s;
};

static inline int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* Writes v (0 .. 99) as two digits. */
static inline void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

static inline void clock_tick(struct event_clock *c)
{
	if (++c->s < 60) {
		put2(c->str + 17, c->s);
		return;
	}
	c->s = 0;
	put2(c->str + 17, 0);
	if (++c->mi < 60) {
		put2(c->str + 14, c->mi);
		return;
	}
	c->mi = 0;
	put2(c->str + 14, 0);
	if (++c->h < 24) {
		put2(c->str + 11, c->h);
		return;
	}
	c->h = 0;
	put2(c->str + 11, 0);
	if (++c->D > days_in_month(c->Y, c->M)) {
		c->D = 1;
		if (++c->M > 12) {
			c->M = 1;
			c->Y++;
			put2(c->str, c->Y / 100 % 100);
			put2(c->str + 2, c->Y % 100);
		}
		put2(c->str + 5, c->M);
	}
	put2(c->str + 8, c->D);
}

#endif
