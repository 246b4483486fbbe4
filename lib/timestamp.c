/* timestamp.c - see timestamp.h
 *
 * RFC 3339 and epoch numbers are parsed by hand, since every record goes
 * through here; only naive times in a zone (mktime) and strptime formats
 * use libc.  Tools call tw_tz_set() once at start-up, so that TZ is
 * always set explicitly (UTC by default) and the caller's TZ never leaks
 * in: strptime's %s, for one, reads the environment's zone. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

#define STRPTIME_MAX 256   /* longest text or format for TW_TIME_STRPTIME */
#define SECS_PER_DAY 86400

/* The earliest and latest years int64 ns can hold (partly). */
#define YEAR_MIN 1677
#define YEAR_MAX 2262

static const int64_t pow10_i64[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, INT64_C(10000000000), INT64_C(100000000000),
	INT64_C(1000000000000), INT64_C(10000000000000),
	INT64_C(100000000000000), INT64_C(1000000000000000),
};

/* The zone naive times are read in.  All of it is reset by
 * tw_tz_set(NULL). */
static char tz_name[256] = "UTC";
static bool tz_utc = true;

/* mktime is slow (it rechecks TZ each call), so the UTC offset of the
 * last local (date, hour) is kept, but only when it is the same at the
 * hour's first and last second: an hour with a transition in it (a DST
 * change or an odd historical one) goes to mktime for every stamp. */
static struct {
	bool valid;
	int64_t days;
	int hour;
	int64_t off;   /* local minus UTC, seconds */
} tz_cache;


#define QBUF char qbuf[TW_QUOTE_BUF]
#define Q(s, len) tw_err_quote(qbuf, (s), (len))

static inline bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline bool two_digits(const char *p, int *v)
{
	if (!is_digit(p[0]) || !is_digit(p[1]))
		return false;
	*v = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

static bool is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in_month(int64_t y, int m)
{
	static const unsigned char dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil: days since 1970-01-01 of a
 * proleptic Gregorian date; m 1..12, d 1..31. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* The inverse: the date of a day number. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* secs + frac/1e9 as ns; false when it does not fit.  A negative
 * second with a fraction borrows one second first, so that the minimum
 * (-9223372037 s + 145224192 ns) does not overflow on the way. */
static bool secs_to_ns(int64_t secs, int64_t frac, int64_t *ns)
{
	int64_t t;

	if (secs < 0 && frac > 0) {
		secs += 1;
		frac -= TW_NS_PER_SEC;
	}
	return !__builtin_mul_overflow(secs, TW_NS_PER_SEC, &t) &&
	       !__builtin_add_overflow(t, frac, ns);
}

/* mktime of a local time; false when it cannot be represented. */
/* The zone's offset (local minus UTC, seconds) at UTC time t. */
static bool offset_at(int64_t t, int64_t *off)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm))
		return false;
	*off = tm.tm_gmtoff;
	return true;
}

/* Seconds since the epoch of naive local time `local` (seconds, as if
 * it were UTC) in the zone set, by the same rule whatever came before:
 * with the offsets a day before and a day after, each candidate UTC
 * time is kept when the zone really has that offset then.  A time that
 * occurs twice (the hour repeated in autumn) is the second of the two,
 * in standard time; a time that does not occur (a spring-forward gap,
 * a skipped day) is read with the offset in force before it, so 02:30
 * on the day Europe/Rome jumps from 02:00 to 03:00 is 01:30Z. */
static bool local_exact(int64_t local, int64_t *secs)
{
	int64_t before, after, at_a, at_b;

	if (!offset_at(local - SECS_PER_DAY, &before) || !offset_at(local + SECS_PER_DAY, &after))
		return false;
	int64_t a = local - before, b = local - after;
	bool ok_a = offset_at(a, &at_a) && at_a == before;
	bool ok_b = offset_at(b, &at_b) && at_b == after;
	if (ok_a && ok_b)
		*secs = a > b ? a : b;
	else if (ok_b)
		*secs = b;
	else
		*secs = a;     /* valid, or a gap: the offset before it */
	return true;
}

/* Seconds since the epoch of a naive local time in the zone set.  An
 * hour with no transition in it is cached (its offset), so consecutive
 * stamps cost one conversion an hour. */
static bool local_to_secs(int64_t y, int mo, int d, int h, int mi, int s,
			  int64_t days, int64_t *secs)
{
	int64_t local = days * SECS_PER_DAY + h * 3600 + mi * 60 + s;
	int64_t hour = days * SECS_PER_DAY + h * 3600, t0, t1;

	(void)y, (void)mo, (void)d;
	if (tz_cache.valid && tz_cache.days == days && tz_cache.hour == h) {
		*secs = local - tz_cache.off;
		return true;
	}
	if (!local_exact(hour, &t0) || !local_exact(hour + 3599, &t1))
		return false;
	int64_t off0 = hour - t0, off1 = hour + 3599 - t1;
	if (off0 != off1)  /* a transition inside this hour: no shortcut */
		return local_exact(local, secs);
	tz_cache.valid = true;
	tz_cache.days = days;
	tz_cache.hour = h;
	tz_cache.off = off0;
	*secs = local - off0;
	return true;
}

/* A checked broken-down time to ns.  off is local minus UTC in seconds
 * when !naive.  Returns 0, or -1 when out of range. */
static int civil_to_ns(int64_t y, int mo, int d, int h, int mi, int s, int64_t frac,
		       bool naive, int64_t off, int64_t *ns)
{
	int64_t days, secs;

	/* a year or so of slack for offsets; secs_to_ns has the last word */
	if (y < YEAR_MIN - 1 || y > YEAR_MAX + 1)
		return -1;
	days = days_from_civil(y, mo, d);
	if (naive && !tz_utc) {
		if (!local_to_secs(y, mo, d, h, mi, s, days, &secs))
			return -1;
	} else {
		secs = days * SECS_PER_DAY + h * 3600 + mi * 60 + s - off;
	}
	return secs_to_ns(secs, frac, ns) ? 0 : -1;
}

/* Checks the fields every parser fills, then converts them. */
static int fields_to_ns(const char *s, size_t len, int64_t y, int mo, int d, int h,
			int mi, int sec, int64_t frac, bool naive, int64_t off,
			int64_t *ns, struct tw_err *e)
{
	QBUF;

	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return tw_err_set(e, "impossible date '%s'", Q(s, len));
	if (h > 23 || mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return tw_err_set(e, "impossible time '%s'", Q(s, len));
	if (civil_to_ns(y, mo, d, h, mi, sec, frac, naive, off, ns) < 0)
		return tw_err_set(e, "time stamp out of range: '%s'", Q(s, len));
	return 0;
}

/* Up to 9 fraction digits at s[*i..len) as ns; false if more. */
static bool read_fraction(const char *s, size_t len, size_t *i, int64_t *frac, int *ndig)
{
	int64_t f = 0;
	int n = 0;

	while (*i < len && is_digit(s[*i])) {
		if (n == 9)
			return false;
		f = f * 10 + (s[*i] - '0');
		n++;
		(*i)++;
	}
	*frac = f * pow10_i64[9 - n];
	*ndig = n;
	return true;
}

/* YYYY-MM-DD[(T|t| )HH:MM:SS[.f][Z|z|+HH:MM|+HHMM|+HH]] */
static int parse_iso(const char *s, size_t len, int64_t *ns, struct tw_err *e)
{
	int y4, y2, mo, d, h = 0, mi = 0, sec = 0, ndig;
	int64_t frac = 0, off = 0;
	bool naive = true;
	size_t i;
	QBUF;

	if (len < 10 || !two_digits(s, &y4) || !two_digits(s + 2, &y2) || s[4] != '-' ||
	    !two_digits(s + 5, &mo) || s[7] != '-' || !two_digits(s + 8, &d))
		goto bad;
	i = 10;
	if (i < len) {
		if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
			goto bad;
		if (len - i < 9 || !two_digits(s + i + 1, &h) || s[i + 3] != ':' ||
		    !two_digits(s + i + 4, &mi) || s[i + 6] != ':' || !two_digits(s + i + 7, &sec))
			goto bad;
		i += 9;
		if (i < len && s[i] == '.') {
			i++;
			if (!read_fraction(s, len, &i, &frac, &ndig))
				return tw_err_set(e, "more than 9 fraction digits in '%s'", Q(s, len));
			if (ndig == 0)
				goto bad;
		}
		if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
			naive = false;
			i++;
		} else if (i < len && (s[i] == '+' || s[i] == '-')) {
			int oh, om = 0;
			int sign = s[i] == '-' ? -1 : 1;

			if (len - i < 3 || !two_digits(s + i + 1, &oh))
				goto bad;
			i += 3;
			if (len - i == 3 && s[i] == ':') {
				if (!two_digits(s + i + 1, &om))
					goto bad;
				i += 3;
			} else if (len - i == 2) {
				if (!two_digits(s + i, &om))
					goto bad;
				i += 2;
			}
			if (oh > 23 || om > 59)
				return tw_err_set(e, "impossible UTC offset in '%s'", Q(s, len));
			off = sign * (oh * 3600 + om * 60);
			naive = false;
		}
		if (i != len)
			goto bad;
	}
	return fields_to_ns(s, len, y4 * 100 + y2, mo, d, h, mi, sec, frac, naive, off, ns, e);
bad:
	return tw_err_set(e, "not a time stamp: '%s'", Q(s, len));
}

/* A decimal number of units (unit ns each, the unit having fdig whole
 * fraction digits: 9 for s, 0 for ns) read exactly; digits beyond the
 * ns round half up.  An exponent goes through strtod. */
static int parse_epoch(const char *s, size_t len, int64_t unit, int fdig,
		       int64_t *ns, struct tw_err *e)
{
	size_t i = 0;
	bool neg = false, ovf = false;
	int64_t ipart = 0, frac = 0, t;
	int nint = 0, nfrac = 0, round = 0;
	QBUF;

	if (i < len && s[i] == '-') {
		neg = true;
		i++;
	}
	/* accumulate negatively: -9223372036854775808 ns must fit */
	for (; i < len && is_digit(s[i]); i++, nint++)
		if (!ovf && (__builtin_mul_overflow(ipart, 10, &ipart) ||
			     __builtin_sub_overflow(ipart, s[i] - '0', &ipart)))
			ovf = true;
	if (i < len && s[i] == '.') {
		for (i++; i < len && is_digit(s[i]); i++, nfrac++) {
			if (nfrac < fdig)
				frac = frac * 10 + (s[i] - '0');
			else if (nfrac == fdig)
				round = s[i] >= '5';
		}
	}
	if (nint + nfrac == 0)
		goto bad;
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
		goto exponent;
	if (i != len)
		goto bad;
	if (nfrac < fdig)
		frac *= pow10_i64[fdig - nfrac];
	frac += round;
	if (ovf || __builtin_mul_overflow(ipart, unit, &t) || __builtin_sub_overflow(t, frac, &t))
		goto range;
	if (!neg) {
		if (t == INT64_MIN)
			goto range;
		t = -t;
	}
	*ns = t;
	return 0;

exponent: {
	char buf[64], *end;
	double v;

	if (len >= sizeof buf)
		goto bad;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtod(buf, &end);
	if (end != buf + len)
		goto bad;
	v *= (double)unit;
	/* 2^63 is exact as a double; the range is [-2^63, 2^63) */
	if (!(v >= -9223372036854775808.0 && v < 9223372036854775808.0))
		goto range;
	*ns = (int64_t)llround(v);
	return 0;
}
range:
	return tw_err_set(e, "time stamp out of range: '%s'", Q(s, len));
bad:
	return tw_err_set(e, "not a time stamp: '%s'", Q(s, len));
}

/* The first conversion %c in a strptime format (skipping %%, flags,
 * width and E/O modifiers), or NULL. */
static const char *find_conv(const char *fmt, char c)
{
	const char *p;

	for (p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		const char *q = p + 1;
		if (*q == '%') {
			p = q;
			continue;
		}
		while (*q == '-' || *q == '_' || *q == '0' || *q == '^' || *q == '#')
			q++;
		while (is_digit(*q))
			q++;
		if (*q == 'E' || *q == 'O')
			q++;
		if (*q == c)
			return p;
		if (!*q)
			break;
		p = q;
	}
	return NULL;
}

static int parse_strptime(const char *s, size_t len, const char *fmt,
			  int64_t *ns, struct tw_err *e)
{
	char text[STRPTIME_MAX], head[STRPTIME_MAX];
	const char *f, *tail = NULL, *p;
	struct tm tm;
	int64_t frac = 0;
	bool has_off;
	QBUF;

	if (!fmt)
		return tw_err_set(e, "no strptime format");
	if (len >= sizeof text || memchr(s, '\0', len))
		goto bad;
	memcpy(text, s, len);
	text[len] = '\0';

	/* %f is ours: strptime reads up to it, we read the digits, strptime
	 * reads the rest */
	f = find_conv(fmt, 'f');
	if (f) {
		size_t n = (size_t)(f - fmt);
		if (n >= sizeof head)
			return tw_err_set(e, "strptime format too long");
		memcpy(head, fmt, n);
		head[n] = '\0';
		tail = strchr(f, 'f') + 1;
	}
	/* %s fills tm with localtime_r, tm_gmtoff included: as good as %z */
	has_off = find_conv(fmt, 'z') || find_conv(fmt, 's');

	memset(&tm, 0, sizeof tm);
	tm.tm_mday = 1;  /* "%Y-%m" alone means the first */
	tm.tm_isdst = -1;
	p = strptime(text, f ? head : fmt, &tm);
	if (!p)
		goto bad;
	if (f) {
		size_t i = (size_t)(p - text);
		int ndig;

		if (!read_fraction(text, len, &i, &frac, &ndig))
			return tw_err_set(e, "more than 9 fraction digits in '%s'", Q(s, len));
		p = text + i;
		if (*tail) {
			p = strptime(p, tail, &tm);
			if (!p)
				goto bad;
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p)
		goto bad;
	return fields_to_ns(s, len, (int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			    tm.tm_hour, tm.tm_min, tm.tm_sec, frac, !has_off,
			    has_off ? (int64_t)tm.tm_gmtoff : 0, ns, e);
bad:
	return tw_err_set(e, "time stamp '%s' does not match format '%s'", Q(s, len), fmt);
}

int tw_time_parse(const char *s, size_t len, const struct tw_time_fmt *f,
		  int64_t *ns, struct tw_err *e)
{
	enum tw_time_kind kind = f ? f->kind : TW_TIME_AUTO;

	switch (kind) {
	case TW_TIME_AUTO:
		if (len >= 5 && s[4] == '-' && is_digit(s[0]))
			return parse_iso(s, len, ns, e);
		return parse_epoch(s, len, TW_NS_PER_SEC, 9, ns, e);
	case TW_TIME_EPOCH_S:
		return parse_epoch(s, len, TW_NS_PER_SEC, 9, ns, e);
	case TW_TIME_EPOCH_MS:
		return parse_epoch(s, len, 1000000, 6, ns, e);
	case TW_TIME_EPOCH_US:
		return parse_epoch(s, len, 1000, 3, ns, e);
	case TW_TIME_EPOCH_NS:
		return parse_epoch(s, len, 1, 0, ns, e);
	case TW_TIME_STRPTIME:
		return parse_strptime(s, len, f->strptime, ns, e);
	}
	return tw_err_set(e, "unknown time format kind");
}

int tw_time_fmt_parse(struct tw_time_fmt *f, const char *spec, struct tw_err *e)
{
	static const struct {
		const char *name;
		enum tw_time_kind kind;
	} names[] = {
		{ "auto", TW_TIME_AUTO },
		{ "epoch", TW_TIME_EPOCH_S },
		{ "epoch_s", TW_TIME_EPOCH_S },
		{ "epoch_ms", TW_TIME_EPOCH_MS },
		{ "epoch_us", TW_TIME_EPOCH_US },
		{ "epoch_ns", TW_TIME_EPOCH_NS },
	};
	size_t i;
	QBUF;

	f->kind = TW_TIME_AUTO;
	f->strptime = NULL;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(spec, names[i].name) == 0) {
			f->kind = names[i].kind;
			return 0;
		}
	}
	if (strchr(spec, '%')) {
		const char *pf = find_conv(spec, 'f');

		if (strlen(spec) >= STRPTIME_MAX)
			return tw_err_set(e, "strptime format too long: '%s'", Q(spec, strlen(spec)));
		if (pf && find_conv(pf + 1, 'f'))
			return tw_err_set(e, "more than one %%f in time format '%s'",
					  Q(spec, strlen(spec)));
		f->kind = TW_TIME_STRPTIME;
		f->strptime = spec;
		return 0;
	}
	return tw_err_set(e, "unknown time format '%s': expected auto, epoch_s, epoch_ms, "
			  "epoch_us, epoch_ns or a strptime format", Q(spec, strlen(spec)));
}

static inline char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

size_t tw_time_format(int64_t ns, char *buf)
{
	int64_t secs = ns / TW_NS_PER_SEC, frac = ns % TW_NS_PER_SEC, days, sod, y;
	int m, d, ndig, i;
	char *p = buf;

	/* floor division: before 1970 the fraction still counts up */
	if (frac < 0) {
		frac += TW_NS_PER_SEC;
		secs -= 1;
	}
	days = secs / SECS_PER_DAY;
	sod = secs % SECS_PER_DAY;
	if (sod < 0) {
		sod += SECS_PER_DAY;
		days -= 1;
	}
	civil_from_days(days, &y, &m, &d);  /* 1677..2262: always 4 digits */
	p = put2(p, (int)(y / 100));
	p = put2(p, (int)(y % 100));
	*p++ = '-';
	p = put2(p, m);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, (int)(sod / 3600));
	*p++ = ':';
	p = put2(p, (int)(sod / 60 % 60));
	*p++ = ':';
	p = put2(p, (int)(sod % 60));
	if (frac) {
		if (frac % 1000000 == 0) {
			ndig = 3;
			frac /= 1000000;
		} else if (frac % 1000 == 0) {
			ndig = 6;
			frac /= 1000;
		} else {
			ndig = 9;
		}
		*p++ = '.';
		for (i = ndig - 1; i >= 0; i--) {
			p[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		p += ndig;
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

int tw_dur_parse(const char *s, int64_t *ns, struct tw_err *e)
{
	/* a unit is b * 10^a ns, so that fractions stay exact in int64 */
	static const struct {
		const char *name;
		int64_t b;
		int a;
	} units[] = {
		{ "ns", 1, 0 }, { "us", 1, 3 }, { "ms", 1, 6 }, { "s", 1, 9 },
		{ "m", 6, 10 }, { "h", 36, 11 }, { "d", 864, 11 },
	};
	const char *p = s;
	int64_t ipart = 0, f = 0, fns, unit, t;
	int nint = 0, nfrac = 0, a = 9;
	int64_t b = 1;
	bool ovf = false, found = false;
	size_t i, len = strlen(s);
	QBUF;

	if (*p == '-')
		return tw_err_set(e, "invalid duration '%s': negative", Q(s, len));
	for (; is_digit(*p); p++, nint++)
		if (!ovf && (__builtin_mul_overflow(ipart, 10, &ipart) ||
			     __builtin_add_overflow(ipart, *p - '0', &ipart)))
			ovf = true;
	if (*p == '.') {
		/* 15 digits keep f * b below 2^63; beyond, under 0.1 ns a day */
		for (p++; is_digit(*p); p++)
			if (nfrac < 15) {
				f = f * 10 + (*p - '0');
				nfrac++;
			}
	}
	if (nint + nfrac == 0)
		goto bad;
	if (*p) {
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (strcmp(p, units[i].name) == 0) {
				b = units[i].b;
				a = units[i].a;
				found = true;
				break;
			}
		}
		if (!found) {
			if (is_digit(*p) || *p == '.' || *p == '-' || *p == '+')
				goto bad;
			return tw_err_set(e, "invalid duration '%s': unknown unit "
					  "(ns, us, ms, s, m, h, d)", Q(s, len));
		}
	}
	unit = b * pow10_i64[a];
	if (nfrac <= a)
		fns = f * b * pow10_i64[a - nfrac];
	else
		fns = (f * b + pow10_i64[nfrac - a] / 2) / pow10_i64[nfrac - a];
	if (ovf || __builtin_mul_overflow(ipart, unit, &t) || __builtin_add_overflow(t, fns, &t))
		return tw_err_set(e, "duration out of range: '%s'", Q(s, len));
	*ns = t;
	return 0;
bad:
	return tw_err_set(e, "invalid duration '%s': expected a number and a unit "
			  "(ns, us, ms, s, m, h, d)", Q(s, len));
}

/* Zone names are IANA names: letters, digits and "/_+-", a TZif file
 * under the zoneinfo directory.  Anything else (a POSIX TZ rule, a path)
 * is refused, so TZ only ever names a real zone. */
static bool zone_exists(const char *zone)
{
	const char *dir = getenv("TZDIR");
	char path[512], magic[4];
	const char *p;
	FILE *fp;
	bool ok;

	if (!*zone || zone[0] == '/' || strstr(zone, ".."))
		return false;
	for (p = zone; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !is_digit(*p) &&
		    !strchr("/_+-", *p))
			return false;
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, zone) >= sizeof path)
		return false;
	fp = fopen(path, "rb");
	if (!fp)
		return false;
	ok = fread(magic, 1, 4, fp) == 4 && memcmp(magic, "TZif", 4) == 0;
	fclose(fp);
	return ok;
}

int tw_tz_set(const char *zone, struct tw_err *e)
{
	bool utc = !zone || strcmp(zone, "UTC") == 0;
	QBUF;

	if (!utc && (strlen(zone) >= sizeof tz_name || !zone_exists(zone)))
		return tw_err_set(e, "unknown time zone '%s'", Q(zone, strlen(zone)));
	if (utc)
		zone = "UTC";
	if (setenv("TZ", zone, 1) != 0)
		return tw_err_set(e, "cannot set TZ: %s", strerror(errno));
	tzset();
	strcpy(tz_name, zone);
	tz_utc = utc;
	tz_cache.valid = false;
	return 0;
}

const char *tw_tz_name(void)
{
	return tz_name;
}
