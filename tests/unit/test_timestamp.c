/* test_timestamp.c - time stamps, durations and zones. */
#include <stdlib.h>

#include "check.h"
#include "timestamp.h"

static const struct tw_time_fmt AUTO = { TW_TIME_AUTO, NULL };
static const struct tw_time_fmt ES = { TW_TIME_EPOCH_S, NULL };
static const struct tw_time_fmt EMS = { TW_TIME_EPOCH_MS, NULL };
static const struct tw_time_fmt EUS = { TW_TIME_EPOCH_US, NULL };
static const struct tw_time_fmt ENS = { TW_TIME_EPOCH_NS, NULL };

/* Parses s and writes it back as RFC 3339, or "ERR <message>". */
static const char *pf(const char *s, const struct tw_time_fmt *f)
{
	static char out[600];
	struct tw_err e;
	int64_t ns;

	if (tw_time_parse(s, strlen(s), f, &ns, &e) < 0)
		snprintf(out, sizeof out, "ERR %s", e.msg);
	else
		tw_time_format(ns, out);
	return out;
}

static const char *strp(const char *s, const char *fmt)
{
	struct tw_time_fmt f;
	struct tw_err e;

	if (tw_time_fmt_parse(&f, fmt, &e) < 0)
		return "ERR bad format";
	CHECK_INT(f.kind, TW_TIME_STRPTIME);
	return pf(s, &f);
}

/* Parses s to ns; returns the status. */
static int pn(const char *s, const struct tw_time_fmt *f, int64_t *ns)
{
	struct tw_err e;

	return tw_time_parse(s, strlen(s), f, ns, &e);
}

static const char *fmt(int64_t ns)
{
	static char out[TW_TIME_MAX];
	size_t n = tw_time_format(ns, out);

	CHECK(n == strlen(out) && n < TW_TIME_MAX);
	return out;
}

static const char *dur(const char *s, int64_t *ns)
{
	static struct tw_err e;

	if (tw_dur_parse(s, ns, &e) < 0)
		return e.msg;
	return "ok";
}

static int64_t dur_ns(const char *s)
{
	int64_t ns = -1;

	CHECK_STR(dur(s, &ns), "ok");
	return ns;
}

static uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_rfc3339(void)
{
	char buf[64];
	int64_t ns;
	int n;

	CHECK_STR(pf("2024-03-01T00:00:01Z", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01t00:00:01z", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01T01:00:01.25+01:00", &AUTO), "2024-03-01T00:00:01.250Z");
	CHECK_STR(pf("2024-03-01T01:00:01+0100", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01T01:00:01+01", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01T01:00:01-05:30", &AUTO), "2024-03-01T06:30:01Z");
	CHECK_STR(pf("2024-03-01T00:00:01-00:00", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01T23:30:00-01:00", &AUTO), "2024-03-02T00:30:00Z");
	CHECK_STR(pf("2024-03-01 00:00:01", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01 00:00:01.5", &AUTO), "2024-03-01T00:00:01.500Z");
	CHECK_STR(pf("2024-03-01T00:00:01", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01 00:00:01Z", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("2024-03-01", &AUTO), "2024-03-01T00:00:00Z");
	CHECK_STR(pf("1970-01-01T00:00:00Z", &AUTO), "1970-01-01T00:00:00Z");
	CHECK(pn("1970-01-01T00:00:00Z", &AUTO, &ns) == 0 && ns == 0);

	/* fractions of 0 to 9 digits; 10 is too many */
	for (n = 1; n <= 9; n++) {
		static const int64_t scale[] = { 0, 100000000, 10000000, 1000000, 100000,
						 10000, 1000, 100, 10, 1 };
		int64_t want = 0;
		int i;

		for (i = 1; i <= n; i++)
			want = want * 10 + i;
		snprintf(buf, sizeof buf, "1970-01-01T00:00:00.%.*sZ", n, "123456789");
		CHECK(pn(buf, &AUTO, &ns) == 0);
		CHECK_INT(ns, want * scale[n]);
	}
	CHECK_STR(pf("1970-01-01T00:00:00.1234567891Z", &AUTO),
		  "ERR more than 9 fraction digits in '1970-01-01T00:00:00.1234567891Z'");
	CHECK_STR(pf("1970-01-01T00:00:00.000000000Z", &AUTO), "1970-01-01T00:00:00Z");

	/* the byte range need not be NUL-terminated */
	snprintf(buf, sizeof buf, "2024-03-01T00:00:01Z9999");
	CHECK(tw_time_parse(buf, 20, &AUTO, &ns, NULL) == 0);
	CHECK_STR(fmt(ns), "2024-03-01T00:00:01Z");
	CHECK(tw_time_parse(buf, 19, &AUTO, &ns, NULL) == 0);  /* naive, seconds only */
	CHECK(tw_time_parse(buf, 21, &AUTO, &ns, NULL) < 0);

	/* malformed */
	CHECK_STR(pf("abc", &AUTO), "ERR not a time stamp: 'abc'");
	CHECK_STR(pf("", &AUTO), "ERR not a time stamp: ''");
	CHECK(pn("2024-03-01T", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00.", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00.Z", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00+1", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00+01:0", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00+010", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00Z ", &AUTO, &ns) < 0);
	CHECK(pn(" 2024-03-01T00:00:00Z", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01Z", &AUTO, &ns) < 0);
	CHECK(pn("2024-3-01", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01X00:00:00", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T0a:00:00", &AUTO, &ns) < 0);
	CHECK(pn("2024-03-01T00:00:00ZZ", &AUTO, &ns) < 0);

	/* a long text is quoted in part */
	{
		struct tw_err e;
		char longs[200];

		memset(longs, 'x', sizeof longs - 1);
		longs[sizeof longs - 1] = '\0';
		CHECK(tw_time_parse(longs, strlen(longs), &AUTO, &ns, &e) < 0);
		CHECK(strlen(e.msg) < 70 && strstr(e.msg, "...'"));
	}
}

static void test_impossible(void)
{
	CHECK_STR(pf("2023-02-29", &AUTO), "ERR impossible date '2023-02-29'");
	CHECK_STR(pf("2024-02-30T00:00:00Z", &AUTO),
		  "ERR impossible date '2024-02-30T00:00:00Z'");
	CHECK(strstr(pf("2024-13-01", &AUTO), "ERR impossible date"));
	CHECK(strstr(pf("2024-00-10", &AUTO), "ERR impossible date"));
	CHECK(strstr(pf("2024-01-00", &AUTO), "ERR impossible date"));
	CHECK(strstr(pf("2024-04-31", &AUTO), "ERR impossible date"));
	CHECK(strstr(pf("2024-01-32", &AUTO), "ERR impossible date"));
	CHECK_STR(pf("2024-03-01T24:00:00Z", &AUTO),
		  "ERR impossible time '2024-03-01T24:00:00Z'");
	CHECK(strstr(pf("2024-03-01T23:60:00Z", &AUTO), "ERR impossible time"));
	CHECK(strstr(pf("2024-03-01T23:59:61Z", &AUTO), "ERR impossible time"));
	CHECK(strstr(pf("2024-03-01T00:00:00+24:00", &AUTO), "ERR impossible UTC offset"));
	CHECK(strstr(pf("2024-03-01T00:00:00+01:60", &AUTO), "ERR impossible UTC offset"));

	/* leap years: every 4, not every 100, every 400 */
	CHECK_STR(pf("2024-02-29", &AUTO), "2024-02-29T00:00:00Z");
	CHECK_STR(pf("2000-02-29", &AUTO), "2000-02-29T00:00:00Z");
	CHECK(strstr(pf("1900-02-29", &AUTO), "ERR impossible date"));
	CHECK(strstr(pf("2100-02-29", &AUTO), "ERR impossible date"));
	CHECK_STR(pf("1900-02-28T12:00:00Z", &AUTO), "1900-02-28T12:00:00Z");
	CHECK_STR(pf("1900-03-01", &AUTO), "1900-03-01T00:00:00Z");

	/* a leap second folds into the next */
	CHECK_STR(pf("2016-12-31T23:59:60Z", &AUTO), "2017-01-01T00:00:00Z");
	CHECK_STR(pf("2016-12-31T23:59:60.5Z", &AUTO), "2017-01-01T00:00:00.500Z");
	CHECK_STR(pf("2016-12-31 23:59:60", &AUTO), "2017-01-01T00:00:00Z");
}

static void test_range(void)
{
	int64_t ns;

	CHECK(pn("1677-09-21T00:12:43.145224192Z", &AUTO, &ns) == 0);
	CHECK(ns == INT64_MIN);
	CHECK(pn("2262-04-11T23:47:16.854775807Z", &AUTO, &ns) == 0);
	CHECK(ns == INT64_MAX);
	CHECK_STR(pf("1677-09-21T00:12:43.145224191Z", &AUTO),
		  "ERR time stamp out of range: '1677-09-21T00:12:43.145224191Z'");
	CHECK(strstr(pf("2262-04-11T23:47:16.854775808Z", &AUTO), "ERR time stamp out of range"));
	CHECK(strstr(pf("2262-04-11T23:47:17Z", &AUTO), "ERR time stamp out of range"));
	CHECK(strstr(pf("1677-09-21T00:12:43Z", &AUTO), "ERR time stamp out of range"));
	CHECK_STR(pf("2300-01-01T00:00:00Z", &AUTO),
		  "ERR time stamp out of range: '2300-01-01T00:00:00Z'");
	CHECK(strstr(pf("0000-01-01", &AUTO), "ERR time stamp out of range"));
	CHECK(strstr(pf("9999-12-31T23:59:59Z", &AUTO), "ERR time stamp out of range"));
	/* an offset can bring an edge back into range, or push it out */
	CHECK(pn("2262-04-12T00:47:16.854775807+01:00", &AUTO, &ns) == 0 && ns == INT64_MAX);
	CHECK(pn("2262-04-11T23:47:16.854775807-00:01", &AUTO, &ns) < 0);
	CHECK(pn("1677-09-20T23:12:43.145224192-01:00", &AUTO, &ns) == 0 && ns == INT64_MIN);
	CHECK_STR(fmt(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
	CHECK_STR(fmt(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
}

static void test_format(void)
{
	uint64_t x = 88172645463325252ULL;
	int64_t ns;
	int i, bad = 0;

	CHECK_STR(fmt(0), "1970-01-01T00:00:00Z");
	CHECK_STR(fmt(1709251201250000000), "2024-03-01T00:00:01.250Z");
	CHECK_STR(fmt(1000000), "1970-01-01T00:00:00.001Z");
	CHECK_STR(fmt(1000), "1970-01-01T00:00:00.000001Z");
	CHECK_STR(fmt(1), "1970-01-01T00:00:00.000000001Z");
	CHECK_STR(fmt(100000000), "1970-01-01T00:00:00.100Z");
	CHECK_STR(fmt(123456000), "1970-01-01T00:00:00.123456Z");
	CHECK_STR(fmt(123456700), "1970-01-01T00:00:00.123456700Z");
	CHECK_STR(fmt(86399 * TW_NS_PER_SEC), "1970-01-01T23:59:59Z");

	/* before 1970: floor division */
	CHECK_STR(fmt(-1), "1969-12-31T23:59:59.999999999Z");
	CHECK_STR(fmt(-500000000), "1969-12-31T23:59:59.500Z");
	CHECK_STR(fmt(-TW_NS_PER_SEC), "1969-12-31T23:59:59Z");
	CHECK_STR(fmt(-86400 * TW_NS_PER_SEC), "1969-12-31T00:00:00Z");
	CHECK_STR(fmt(-86400 * TW_NS_PER_SEC - 1), "1969-12-30T23:59:59.999999999Z");
	CHECK(pn("1969-12-31T23:59:59.999999999Z", &AUTO, &ns) == 0 && ns == -1);
	CHECK(pn("1969-12-31T23:59:59.5Z", &AUTO, &ns) == 0 && ns == -500000000);
	CHECK_STR(pf("1900-01-01T00:00:00Z", &AUTO), "1900-01-01T00:00:00Z");
	CHECK_STR(pf("1800-06-15T12:34:56.789Z", &AUTO), "1800-06-15T12:34:56.789Z");
	CHECK_STR(pf("1700-02-28T23:59:59.000001Z", &AUTO), "1700-02-28T23:59:59.000001Z");

	/* round trips over the whole range, and ns with short fractions */
	for (i = 0; i < 20000; i++) {
		char buf[TW_TIME_MAX];
		int64_t v = (int64_t)xorshift(&x), back;
		size_t n;

		if (i % 3 == 1)
			v -= v % 1000;
		else if (i % 3 == 2)
			v -= v % 1000000;
		n = tw_time_format(v, buf);
		if (tw_time_parse(buf, n, &AUTO, &back, NULL) < 0 || back != v) {
			if (bad++ < 5)
				fprintf(stderr, "    round trip %" PRId64 " -> %s\n", v, buf);
		}
	}
	CHECK_INT(bad, 0);
}

static void test_epoch(void)
{
	int64_t ns;

	CHECK(pn("1709251201.123456789", &ES, &ns) == 0 && ns == 1709251201123456789);
	CHECK(pn("1709251201.123456789", &AUTO, &ns) == 0 && ns == 1709251201123456789);
	CHECK_STR(pf("1709251201", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(pf("1709251201.25", &AUTO), "2024-03-01T00:00:01.250Z");
	CHECK(pn("-5", &AUTO, &ns) == 0 && ns == -5 * TW_NS_PER_SEC);
	CHECK(pn("-0.5", &ES, &ns) == 0 && ns == -500000000);
	CHECK(pn("-1.25", &ES, &ns) == 0 && ns == -1250000000);
	CHECK(pn("0", &ES, &ns) == 0 && ns == 0);
	CHECK(pn("-0", &ES, &ns) == 0 && ns == 0);
	CHECK(pn(".5", &ES, &ns) == 0 && ns == 500000000);
	CHECK(pn("5.", &ES, &ns) == 0 && ns == 5 * TW_NS_PER_SEC);
	CHECK(pn("1.7e9", &ES, &ns) == 0 && ns == INT64_C(1700000000000000000));
	CHECK(pn("1.7E9", &AUTO, &ns) == 0 && ns == INT64_C(1700000000000000000));
	CHECK(pn("-1e3", &ES, &ns) == 0 && ns == INT64_C(-1000000000000));
	CHECK(pn("1e10", &ES, &ns) < 0);
	CHECK(pn("1709251201123", &EMS, &ns) == 0 && ns == 1709251201123000000);
	CHECK(pn("1709251201123.456", &EMS, &ns) == 0 && ns == 1709251201123456000);
	CHECK(pn("1709251201123456", &EUS, &ns) == 0 && ns == 1709251201123456000);
	CHECK(pn("1709251201123456.789", &EUS, &ns) == 0 && ns == 1709251201123456789);
	CHECK(pn("1709251201123456789", &ENS, &ns) == 0 && ns == 1709251201123456789);
	/* digits below the ns round half up */
	CHECK(pn("0.0000000015", &ES, &ns) == 0 && ns == 2);
	CHECK(pn("0.0000000014999", &ES, &ns) == 0 && ns == 1);
	CHECK(pn("1.5", &ENS, &ns) == 0 && ns == 2);
	CHECK(pn("1.4", &ENS, &ns) == 0 && ns == 1);
	CHECK(pn("-1.5", &ENS, &ns) == 0 && ns == -2);
	/* edges */
	CHECK(pn("9223372036.854775807", &ES, &ns) == 0 && ns == INT64_MAX);
	CHECK(pn("-9223372036.854775808", &ES, &ns) == 0 && ns == INT64_MIN);
	CHECK(pn("9223372036854775807", &ENS, &ns) == 0 && ns == INT64_MAX);
	CHECK(pn("-9223372036854775808", &ENS, &ns) == 0 && ns == INT64_MIN);
	CHECK_STR(pf("9223372036854775808", &ENS), "ERR time stamp out of range: '9223372036854775808'");
	CHECK(pn("-9223372036854775809", &ENS, &ns) < 0);
	CHECK(pn("9223372036.854775808", &ES, &ns) < 0);
	CHECK(pn("-9223372036.854775809", &ES, &ns) < 0);
	CHECK(pn("9223372037", &ES, &ns) < 0);
	CHECK(pn("9223372036854776", &EMS, &ns) < 0);
	CHECK(pn("99999999999999999999999999", &ES, &ns) < 0);
	/* junk */
	CHECK_STR(pf("abc", &ES), "ERR not a time stamp: 'abc'");
	CHECK(pn("", &ES, &ns) < 0);
	CHECK(pn("-", &ES, &ns) < 0);
	CHECK(pn(".", &ES, &ns) < 0);
	CHECK(pn("1.2.3", &ES, &ns) < 0);
	CHECK(pn("12a", &ES, &ns) < 0);
	CHECK(pn("--1", &ES, &ns) < 0);
	CHECK(pn("+1", &ES, &ns) < 0);
	CHECK(pn("1e", &ES, &ns) < 0);
	CHECK(pn("1e5x", &ES, &ns) < 0);
	CHECK(pn(" 1", &ES, &ns) < 0);
	CHECK(pn("1 ", &ES, &ns) < 0);
	CHECK(pn("0x10", &ES, &ns) < 0);
	CHECK(pn("nan", &ES, &ns) < 0);
	CHECK(pn("inf", &ES, &ns) < 0);
	CHECK(pn("1e", &ES, &ns) < 0);
	CHECK(pn("2024-03-01", &ES, &ns) < 0);
}

static void test_fmt_parse(void)
{
	struct tw_time_fmt f;
	struct tw_err e;

	CHECK(tw_time_fmt_parse(&f, "auto", &e) == 0 && f.kind == TW_TIME_AUTO);
	CHECK(tw_time_fmt_parse(&f, "epoch", &e) == 0 && f.kind == TW_TIME_EPOCH_S);
	CHECK(tw_time_fmt_parse(&f, "epoch_s", &e) == 0 && f.kind == TW_TIME_EPOCH_S);
	CHECK(tw_time_fmt_parse(&f, "epoch_ms", &e) == 0 && f.kind == TW_TIME_EPOCH_MS);
	CHECK(tw_time_fmt_parse(&f, "epoch_us", &e) == 0 && f.kind == TW_TIME_EPOCH_US);
	CHECK(tw_time_fmt_parse(&f, "epoch_ns", &e) == 0 && f.kind == TW_TIME_EPOCH_NS);
	CHECK(tw_time_fmt_parse(&f, "%Y", &e) == 0 && f.kind == TW_TIME_STRPTIME);
	CHECK(f.strptime && strcmp(f.strptime, "%Y") == 0);
	CHECK(tw_time_fmt_parse(&f, "epochs", &e) < 0);
	CHECK(strstr(e.msg, "unknown time format 'epochs'"));
	CHECK(tw_time_fmt_parse(&f, "", &e) < 0);
	CHECK(tw_time_fmt_parse(&f, "%S.%f.%f", &e) < 0);
	CHECK(tw_time_fmt_parse(&f, "%S.%%f", &e) == 0);
}

static void test_strptime(void)
{
	CHECK_STR(strp("01/03/2024 00:00:01", "%d/%m/%Y %H:%M:%S"), "2024-03-01T00:00:01Z");
	CHECK_STR(strp("01/03/2024 00:00:01  ", "%d/%m/%Y %H:%M:%S"), "2024-03-01T00:00:01Z");
	CHECK(strstr(strp("01/03/2024 00:00:01x", "%d/%m/%Y %H:%M:%S"),
		     "ERR time stamp '01/03/2024 00:00:01x' does not match format"));
	CHECK(strstr(strp("31/02/2024 00:00:00", "%d/%m/%Y %H:%M:%S"), "ERR impossible date"));
	CHECK(strstr(strp("2024", "%d/%m/%Y"), "ERR"));
	CHECK_STR(strp("2024-03", "%Y-%m"), "2024-03-01T00:00:00Z");
	CHECK_STR(strp("01/03/2024 00:00:01.25", "%d/%m/%Y %H:%M:%S.%f"),
		  "2024-03-01T00:00:01.250Z");
	CHECK_STR(strp("01/03/2024 00:00:01.123456789", "%d/%m/%Y %H:%M:%S.%f"),
		  "2024-03-01T00:00:01.123456789Z");
	CHECK(strstr(strp("01/03/2024 00:00:01.1234567890", "%d/%m/%Y %H:%M:%S.%f"),
		     "ERR more than 9 fraction digits"));
	CHECK_STR(strp("00:00:01,5 01.03.2024", "%H:%M:%S,%f %d.%m.%Y"),
		  "2024-03-01T00:00:01.500Z");
	CHECK_STR(strp("2024-03-01T01:00:01+0100", "%Y-%m-%dT%H:%M:%S%z"),
		  "2024-03-01T00:00:01Z");
	CHECK_STR(strp("2024-03-01T01:00:01-05:30", "%Y-%m-%dT%H:%M:%S%z"),
		  "2024-03-01T06:30:01Z");
	CHECK_STR(strp("2024-03-01 01:00:01.75 +01:00", "%Y-%m-%d %H:%M:%S.%f %z"),
		  "2024-03-01T00:00:01.750Z");
	CHECK_STR(strp("1709251201", "%s"), "2024-03-01T00:00:01Z");
	CHECK_STR(strp("1709251201.5", "%s.%f"), "2024-03-01T00:00:01.500Z");
	CHECK_STR(strp("100% 2024-03-01", "100%% %Y-%m-%d"), "2024-03-01T00:00:00Z");
	CHECK(strstr(strp("1500-01-01", "%Y-%m-%d"), "ERR time stamp out of range"));
}

static void test_durations(void)
{
	int64_t ns;

	CHECK_INT(dur_ns("250ms"), 250000000);
	CHECK_INT(dur_ns("1.5s"), 1500000000);
	CHECK_INT(dur_ns("10m"), 600 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("2h"), 7200 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("1d"), 86400 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("500us"), 500000);
	CHECK_INT(dur_ns("20ns"), 20);
	CHECK_INT(dur_ns("3"), 3 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("0.25"), 250000000);
	CHECK_INT(dur_ns("0"), 0);
	CHECK_INT(dur_ns("0s"), 0);
	CHECK_INT(dur_ns("1.5h"), 5400 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("0.5d"), 43200 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("0.1m"), 6 * TW_NS_PER_SEC);
	CHECK_INT(dur_ns("1.000000001d"), 86400 * TW_NS_PER_SEC + 86400);
	CHECK_INT(dur_ns("0.000001h"), 3600000);
	CHECK_INT(dur_ns("1.5us"), 1500);
	CHECK_INT(dur_ns("2.5ns"), 3);
	CHECK_INT(dur_ns("0.000000001"), 1);
	CHECK_INT(dur_ns("1.0000000005s"), 1000000001);
	CHECK_INT(dur_ns(".5s"), 500000000);
	CHECK_INT(dur_ns("9223372036s"), INT64_C(9223372036000000000));
	CHECK_INT(dur_ns("9223372036.854775807s"), INT64_MAX);
	CHECK_INT(dur_ns("106751d"), INT64_C(106751) * 86400 * TW_NS_PER_SEC);

	CHECK_STR(dur("abc", &ns),
		  "invalid duration 'abc': expected a number and a unit (ns, us, ms, s, m, h, d)");
	CHECK_STR(dur("", &ns),
		  "invalid duration '': expected a number and a unit (ns, us, ms, s, m, h, d)");
	CHECK_STR(dur("-1s", &ns), "invalid duration '-1s': negative");
	CHECK_STR(dur("5x", &ns), "invalid duration '5x': unknown unit (ns, us, ms, s, m, h, d)");
	CHECK(strstr(dur("5 s", &ns), "invalid duration"));
	CHECK(strstr(dur("5S", &ns), "unknown unit"));
	CHECK(strstr(dur("1e3s", &ns), "invalid duration"));
	CHECK(strstr(dur("s", &ns), "invalid duration"));
	CHECK(strstr(dur(".s", &ns), "invalid duration"));
	CHECK(strstr(dur("1.2.3s", &ns), "invalid duration"));
	CHECK(strstr(dur("+1s", &ns), "invalid duration"));
	CHECK(strstr(dur(" 1s", &ns), "invalid duration"));
	CHECK(strstr(dur("1s ", &ns), "invalid duration"));
	CHECK(strstr(dur("1ss", &ns), "invalid duration"));
	CHECK_STR(dur("106752d", &ns), "duration out of range: '106752d'");
	CHECK(strstr(dur("9223372036.854775808s", &ns), "out of range"));
	CHECK(strstr(dur("99999999999999999999ns", &ns), "out of range"));
}

static void test_zones(void)
{
	struct tw_err e;
	const char *a, *b;

	CHECK_STR(tw_tz_name(), "UTC");
	CHECK(tw_tz_set("Europe/Rome", &e) == 0);
	CHECK_STR(tw_tz_name(), "Europe/Rome");
	CHECK_STR(pf("2024-03-01 00:00:00", &AUTO), "2024-02-29T23:00:00Z");
	CHECK_STR(pf("2024-03-01 00:59:59.5", &AUTO), "2024-02-29T23:59:59.500Z");
	CHECK_STR(pf("2024-03-01", &AUTO), "2024-02-29T23:00:00Z");
	CHECK_STR(pf("2024-07-01 12:00:00", &AUTO), "2024-07-01T10:00:00Z");
	CHECK_STR(pf("2024-07-01T12:30:00.25", &AUTO), "2024-07-01T10:30:00.250Z");
	CHECK_STR(pf("2024-07-01 12:59:60", &AUTO), "2024-07-01T11:00:00Z");
	/* an offset or an epoch number is not naive */
	CHECK_STR(pf("2024-07-01T12:00:00Z", &AUTO), "2024-07-01T12:00:00Z");
	CHECK_STR(pf("2024-07-01T12:00:00+05:00", &AUTO), "2024-07-01T07:00:00Z");
	CHECK_STR(pf("1709251201", &AUTO), "2024-03-01T00:00:01Z");
	CHECK_STR(strp("1709251201", "%s"), "2024-03-01T00:00:01Z");
	CHECK_STR(strp("01/07/2024 12:00", "%d/%m/%Y %H:%M"), "2024-07-01T10:00:00Z");
	CHECK_STR(strp("01/07/2024 12:00 +0000", "%d/%m/%Y %H:%M %z"), "2024-07-01T12:00:00Z");

	/* spring forward, 2024-03-31 02:00 -> 03:00 */
	CHECK_STR(pf("2024-03-31 01:59:59", &AUTO), "2024-03-31T00:59:59Z");
	CHECK_STR(pf("2024-03-31 03:00:00", &AUTO), "2024-03-31T01:00:00Z");
	CHECK_STR(pf("2024-03-31 01:00:00", &AUTO), "2024-03-31T00:00:00Z");
	/* in the gap: mktime's choice, glibc's being the offset before it */
	CHECK_STR(pf("2024-03-31 02:30:00", &AUTO), "2024-03-31T01:30:00Z");
	/* fall back, 2024-10-27 03:00 -> 02:00 */
	CHECK_STR(pf("2024-10-27 01:30:00", &AUTO), "2024-10-26T23:30:00Z");
	CHECK_STR(pf("2024-10-27 03:30:00", &AUTO), "2024-10-27T02:30:00Z");
	/* the repeated hour: either reading, but the same with the cache */
	a = strcmp(pf("2024-10-27 02:30:00", &AUTO), "2024-10-27T00:30:00Z") == 0 ? "dst" :
	    strcmp(pf("2024-10-27 02:30:00", &AUTO), "2024-10-27T01:30:00Z") == 0 ? "std" : "bad";
	CHECK(strcmp(a, "bad") != 0);
	pf("2024-10-27 03:30:00", &AUTO);
	b = strcmp(pf("2024-10-27 02:10:00", &AUTO), "2024-10-27T00:10:00Z") == 0 ? "dst" :
	    strcmp(pf("2024-10-27 02:10:00", &AUTO), "2024-10-27T01:10:00Z") == 0 ? "std" : "bad";
	CHECK_STR(a, b);

	/* bad names leave the zone as it was */
	CHECK(tw_tz_set("Not/AZone", &e) < 0);
	CHECK_STR(e.msg, "unknown time zone 'Not/AZone'");
	CHECK(tw_tz_set("../../etc/passwd", &e) < 0);
	CHECK(tw_tz_set("/usr/share/zoneinfo/Europe/Rome", &e) < 0);
	CHECK(tw_tz_set("Europe/../Europe/Rome", &e) < 0);
	CHECK(tw_tz_set("zone.tab", &e) < 0);
	CHECK(tw_tz_set("", &e) < 0);
	CHECK(tw_tz_set("CET-1CEST,M3.5.0,M10.5.0/3", &e) < 0);
	CHECK(tw_tz_set("Europe", &e) < 0);
	CHECK_STR(tw_tz_name(), "Europe/Rome");

	CHECK(tw_tz_set("America/New_York", &e) == 0);
	CHECK_STR(pf("2024-07-01 12:00:00", &AUTO), "2024-07-01T16:00:00Z");
	CHECK_STR(pf("2024-01-01 12:00:00", &AUTO), "2024-01-01T17:00:00Z");
	CHECK_STR(pf("1880-01-01", &AUTO), "1880-01-01T04:56:02Z");  /* LMT */
	CHECK_STR(pf("1900-01-01", &AUTO), "1900-01-01T05:00:00Z");
	CHECK_STR(pf("2024-03-10 03:00:00", &AUTO), "2024-03-10T07:00:00Z");
	/* LMT to EST at 12:03:58 local: a transition inside an hour */
	CHECK_STR(pf("1883-11-18 11:59:00", &AUTO), "1883-11-18T16:55:02Z");
	CHECK_STR(pf("1883-11-18 12:30:00", &AUTO), "1883-11-18T17:30:00Z");
	CHECK_STR(pf("1883-11-18 11:30:00", &AUTO), "1883-11-18T16:26:02Z");

	/* half-hour DST: +10:30 to +11:00 at 02:00, so 02:30 is the hour's
	 * first valid second and the hour is never cached */
	CHECK(tw_tz_set("Australia/Lord_Howe", &e) == 0);
	CHECK_STR(pf("2024-10-06 01:59:00", &AUTO), "2024-10-05T15:29:00Z");
	CHECK_STR(pf("2024-10-06 02:45:00", &AUTO), "2024-10-05T15:45:00Z");
	CHECK_STR(pf("2024-10-06 02:50:00", &AUTO), "2024-10-05T15:50:00Z");
	CHECK_STR(pf("2024-10-06 03:00:00", &AUTO), "2024-10-05T16:00:00Z");

	CHECK(tw_tz_set(NULL, &e) == 0);
	CHECK_STR(tw_tz_name(), "UTC");
	CHECK_STR(getenv("TZ"), "UTC");
	CHECK_STR(pf("2024-03-01 00:00:00", &AUTO), "2024-03-01T00:00:00Z");
	CHECK(tw_tz_set("Europe/Rome", &e) == 0);
	CHECK(tw_tz_set("UTC", &e) == 0);
	CHECK_STR(tw_tz_name(), "UTC");
	CHECK_STR(pf("2024-07-01 12:00:00", &AUTO), "2024-07-01T12:00:00Z");
	CHECK_STR(strp("01/07/2024 12:00", "%d/%m/%Y %H:%M"), "2024-07-01T12:00:00Z");
}

int main(void)
{
	/* what every tool does first: the caller's TZ must not matter */
	if (tw_tz_set(NULL, NULL) < 0)
		return 1;
	test_rfc3339();
	test_impossible();
	test_range();
	test_format();
	test_epoch();
	test_fmt_parse();
	test_strptime();
	test_durations();
	test_zones();
	return check_done("timestamp");
}
