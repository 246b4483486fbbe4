/* test_num.c - reading, checking and writing numbers. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "num.h"

static int parse(const char *s, double *v)
{
	struct tw_err e;

	return tw_num_parse(s, strlen(s), v, &e);
}

static bool is_json(const char *s)
{
	return tw_num_is_json(s, strlen(s));
}

static const char *fmt(double v)
{
	static char buf[TW_NUM_MAX];
	size_t n = tw_num_format(v, buf);

	CHECK(n == strlen(buf) && n < TW_NUM_MAX);
	return buf;
}

static bool same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* The reference: the shortest text of %.15g, %.16g, %.17g that reads
 * back, the fewer digits on a tie (from 1 digit for subnormals). */
static int reference(double v, char *buf, size_t size)
{
	char tmp[64];
	int p, n, best = 0;

	for (p = fabs(v) < DBL_MIN ? 1 : 15; p <= 17; p++) {
		n = snprintf(tmp, sizeof tmp, "%.*g", p, v);
		if (strtod(tmp, NULL) == v && (!best || n < best)) {
			snprintf(buf, size, "%s", tmp);
			best = n;
		}
	}
	return best;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_parse(void)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "0", 0 }, { "-0", -0.0 }, { "1", 1 }, { "-1", -1 }, { "+1", 1 },
		{ "1.5", 1.5 }, { "0.1", 0.1 }, { ".5", 0.5 }, { "1.", 1 }, { "1e5", 1e5 },
		{ "1E5", 1e5 }, { "1e+5", 1e5 }, { "1e-5", 1e-5 }, { "-2.5e-3", -2.5e-3 },
		{ "007", 7 }, { "1.7976931348623157e308", DBL_MAX }, { "5e-324", 5e-324 },
		{ "1e-400", 0 }, { "-1e-400", -0.0 }, { "123456789012345678", 123456789012345678.0 },
	};
	static const char *const bad[] = {
		"", " ", "-", "+", ".", "e5", " 1", "1 ", "1\n", "\t1", "nan", "NaN", "-nan",
		"inf", "-inf", "Infinity", "infinity", "0x10", "0x1p3", "1e", "1e+", "1e5.5",
		"1..2", "--1", "+-1", "1-", "1,5", "abc", "12abc", "1e400", "-1e400",
		"1.8e308", "1_000",
	};
	struct tw_err e;
	double v;
	size_t i;
	char big[400];

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = -123;
		if (!check_one(parse(good[i].s, &v) == 0 && same_bits(v, good[i].v),
			       __FILE__, __LINE__, good[i].s))
			fprintf(stderr, "    got %.17g\n", v);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		check_one(parse(bad[i], &v) < 0, __FILE__, __LINE__, bad[i]);

	CHECK(tw_num_parse("abc", 3, &v, &e) < 0);
	CHECK_STR(e.msg, "not a number: 'abc'");
	CHECK(tw_num_parse("1e400", 5, &v, &e) < 0);
	CHECK_STR(e.msg, "number out of range: '1e400'");
	CHECK(tw_num_parse("1\0", 2, &v, &e) < 0);
	/* not NUL-terminated: only len bytes count */
	CHECK(tw_num_parse("12345", 2, &v, &e) == 0 && v == 12);
	CHECK(tw_num_parse("1e5", 2, &v, &e) < 0);

	/* long text goes through the heap */
	memset(big, '0', sizeof big - 1);
	big[0] = '1';
	big[1] = '.';
	big[sizeof big - 1] = '\0';
	CHECK(parse(big, &v) == 0 && v == 1);
	big[300] = 'x';
	CHECK(parse(big, &v) < 0);
	memset(big, '9', sizeof big - 1);
	CHECK(parse(big, &v) < 0);  /* 399 digits: overflow */
}

static void test_is_json(void)
{
	static const char *const yes[] = {
		"0", "-0", "1", "-1", "10", "0.5", "-0.5", "1.25", "1e5", "1E5", "1e+5",
		"1E-5", "0e0", "0.0", "123456789012345678901234567890", "1.7976931348623157e308",
		"2.2250738585072014e-308", "1e308", "0e999", "1e-300",
	};
	static const char *const no[] = {
		"", "-", "+1", "01", "-01", "00", "1.", ".5", "-.5", "1e", "1e+", "1E-",
		"1.e5", "0x1", "nan", "inf", "-inf", " 1", "1 ", "1,5", "--1", "1e5.5",
		"1e400", "-1e400", "1.8e308", "1e-400", "5e-324", "1e-320", "abc", "1_0",
	};
	char big[400];
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		check_one(is_json(yes[i]), __FILE__, __LINE__, yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		check_one(!is_json(no[i]), __FILE__, __LINE__, no[i]);
	CHECK(tw_num_is_json("12x", 2));
	CHECK(!tw_num_is_json("1\0", 2));

	/* long plain numbers: 399 digits overflow, 299 do not */
	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(!is_json(big));
	big[299] = '\0';
	CHECK(is_json(big));
	/* 0.000...1 with 330 zeros underflows; 0.000...0 does not */
	memset(big, '0', sizeof big - 1);
	big[1] = '.';
	big[334] = '1';
	big[335] = '\0';
	CHECK(!is_json(big));
	big[334] = '0';
	CHECK(is_json(big));
}

static void test_format(void)
{
	char ref[64];
	double v;

	CHECK_STR(fmt(0), "0");
	CHECK_STR(fmt(-0.0), "-0");
	CHECK_STR(fmt(1), "1");
	CHECK_STR(fmt(-1), "-1");
	CHECK_STR(fmt(42), "42");
	CHECK_STR(fmt(0.1), "0.1");
	CHECK_STR(fmt(-0.1), "-0.1");
	CHECK_STR(fmt(21.5), "21.5");
	CHECK_STR(fmt(0.125), "0.125");
	CHECK_STR(fmt(1e-4), "0.0001");
	CHECK_STR(fmt(1.5e-7), "1.5e-07");
	CHECK_STR(fmt(1.0 / 3.0), "0.3333333333333333");
	CHECK_STR(fmt(2.0 / 3.0), "0.6666666666666666");
	CHECK_STR(fmt(0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(fmt(1e300), "1e+300");
	CHECK_STR(fmt(5e-324), "5e-324");
	CHECK_STR(fmt(-5e-324), "-5e-324");
	CHECK_STR(fmt(DBL_MAX), "1.7976931348623157e+308");
	CHECK_STR(fmt(DBL_MIN), "2.2250738585072014e-308");
	CHECK_STR(fmt(123456789012345678.0), "1.2345678901234568e+17");
	CHECK_STR(fmt(9007199254740991.0), "9007199254740991");
	CHECK_STR(fmt(-9007199254740991.0), "-9007199254740991");
	CHECK_STR(fmt(9007199254740992.0), "9007199254740992");
	CHECK_STR(fmt(1e15), "1000000000000000");
	CHECK_STR(fmt(1e16), "1e+16");
	CHECK_STR(fmt(45486998104437288.0), "45486998104437288");
	CHECK_STR(fmt(9007199254740990.0), "9007199254740990");
	CHECK_STR(fmt(1e15 + 0.5), "1000000000000000.5");
	CHECK_STR(fmt(1.5e16), "1.5e+16");
	CHECK_STR(fmt(123456.789), "123456.789");
	CHECK_STR(fmt(999999999999999.9), "999999999999999.9");
	CHECK_STR(fmt(1709251201.25), "1709251201.25");

	/* short decimals, the common case, take the fast path: check it */
	for (long i = -200000; i <= 200000; i += 7) {
		char buf[TW_NUM_MAX];

		v = (double)i / 1000.0;
		tw_num_format(v, buf);
		reference(v, ref, sizeof ref);
		if (v != 0 && v != (double)(long long)v && strcmp(buf, ref) != 0) {
			check_one(0, __FILE__, __LINE__, "short decimal as %.15g writes it");
			fprintf(stderr, "    %s vs %s\n", buf, ref);
			break;
		}
	}
}

static void test_random(void)
{
	uint64_t x = 88172645463325252ULL;
	int i, tested = 0, bad_trip = 0, bad_len = 0, bad_ref = 0;

	for (i = 0; i < 100000; i++) {
		char buf[TW_NUM_MAX], ref[64], max[64];
		uint64_t bits = xorshift(&x);
		double v, back;
		size_t n;

		/* every other one a value with few significant digits */
		if (i % 2) {
			memcpy(&v, &bits, sizeof v);
		} else {
			v = (double)(int64_t)(bits >> 20) / 1e6;
			v = bits & 1 ? v * 1e-3 : v;
		}
		if (!isfinite(v))
			continue;
		tested++;
		n = tw_num_format(v, buf);
		back = strtod(buf, NULL);
		if (!same_bits(back, v) && bad_trip++ < 5)
			fprintf(stderr, "    %a -> %s\n", v, buf);
		if (n > (size_t)snprintf(max, sizeof max, "%.17g", v) && bad_len++ < 5)
			fprintf(stderr, "    %s longer than %s\n", buf, max);
		/* integers below 2^53 are written in full; the rest as the
		 * reference does */
		if (!(fabs(v) < 9007199254740992.0 && v == (double)(int64_t)v)) {
			reference(v, ref, sizeof ref);
			if (strcmp(buf, ref) != 0 && bad_ref++ < 5)
				fprintf(stderr, "    %s vs reference %s\n", buf, ref);
		}
	}
	CHECK(tested > 99000);
	CHECK_INT(bad_trip, 0);
	CHECK_INT(bad_len, 0);
	CHECK_INT(bad_ref, 0);
}

int main(void)
{
	test_parse();
	test_is_json();
	test_format();
	test_random();
	return check_done("num");
}
