/* check.h - the unit tests' few assertions.
 *
 * Each test program includes this once, calls the CHECK macros, and ends
 * with `return check_done("name");`, which prints "name: N passed, N
 * failed" and returns the exit status. */
#ifndef TW_CHECK_H
#define TW_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) check_one(!!(cond), __FILE__, __LINE__, #cond)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!check_one(g_ == w_, __FILE__, __LINE__, #got " == " #want)) \
		fprintf(stderr, "    got %lld, want %lld\n", g_, w_); \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!check_one(g_ && strcmp(g_, w_) == 0, __FILE__, __LINE__, #got " == " #want)) \
		fprintf(stderr, "    got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", w_); \
} while (0)

static inline int check_one(int ok, const char *file, int line, const char *what)
{
	if (ok)
		check_passed++;
	else {
		check_failed++;
		fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
	}
	return ok;
}

static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
