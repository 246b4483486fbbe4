/* num.c - see num.h
 *
 * strtod and printf follow the locale; the tools never call setlocale,
 * so both stay in the "C" locale and a decimal point is always '.'. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

#define NUM_STACK 64   /* numbers longer than this are copied to the heap */

/* Exact powers of ten as doubles (all up to 1e22 are). */
static const double pow10_dbl[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
};


static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* strtod over exactly s[0..len) through a NUL-terminated copy.  Returns
 * 0, 1 if it did not read all of it, -1 if out of memory. */
static int strtod_n(const char *s, size_t len, double *v, int *err)
{
	char stack[NUM_STACK], *buf = stack, *end;
	int r;

	if (len >= sizeof stack) {
		buf = malloc(len + 1);
		if (!buf)
			return -1;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*v = strtod(buf, &end);
	*err = errno;
	r = end == buf + len ? 0 : 1;
	if (buf != stack)
		free(buf);
	return r;
}

int tw_num_parse(const char *s, size_t len, double *v, struct tw_err *e)
{
	char qbuf[TW_QUOTE_BUF];
	size_t i = 0;
	double d;
	int err, r;

	/* strtod alone would take blanks, "nan", "inf" and hex: only digits,
	 * a point, signs and an exponent letter may reach it */
	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	if (i == len || !(is_digit(s[i]) || s[i] == '.'))
		goto bad;
	for (; i < len; i++)
		if (!is_digit(s[i]) && s[i] != '.' && s[i] != 'e' && s[i] != 'E' &&
		    s[i] != '+' && s[i] != '-')
			goto bad;
	r = strtod_n(s, len, &d, &err);
	if (r < 0)
		return tw_err_set(e, "out of memory reading a number");
	if (r > 0)
		goto bad;
	/* on underflow strtod returns a tiny or zero value: accepted */
	if (err == ERANGE && isinf(d))
		return tw_err_set(e, "number out of range: '%s'", tw_err_quote(qbuf, s, len));
	*v = d;
	return 0;
bad:
	return tw_err_set(e, "not a number: '%s'", tw_err_quote(qbuf, s, len));
}

bool tw_num_is_json(const char *s, size_t len)
{
	size_t i = 0;
	long exp = 0;
	bool nonzero = false;
	double d;
	int err;

	if (i < len && s[i] == '-')
		i++;
	if (i == len)
		return false;
	if (s[i] == '0') {
		i++;
	} else if (is_digit(s[i])) {
		for (; i < len && is_digit(s[i]); i++)
			nonzero = true;
	} else {
		return false;
	}
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		for (; i < len && is_digit(s[i]); i++)
			if (s[i] != '0')
				nonzero = true;
		if (i == start)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t start;

		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		start = i;
		for (; i < len && is_digit(s[i]); i++)
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
		if (i == start)
			return false;
	}
	if (i != len)
		return false;
	/* |log10(value)| is below len + |exponent|: when that is small,
	 * neither overflow nor underflow is possible and strtod is not
	 * needed */
	if ((long)len + exp < 290)
		return true;
	if (strtod_n(s, len, &d, &err) != 0)
		return false;
	if (isinf(d) || err == ERANGE)
		return false;
	return d != 0 || !nonzero;
}

/* Writes the digits of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* Sensor values are mostly short decimals (21.5, 0.125): find the fewest
 * fraction digits k such that m / 10^k reads back as a, with m below
 * 10^15.  m and 10^k are exact doubles and IEEE division rounds as
 * strtod does, so the test is exact; and under 10^15 only one m can
 * fit, the nearest, so this is the shortest form, the one %.15g writes
 * for 1e-4 <= a < 1e15.  Returns the length, or 0 to take the slow way;
 * *none is then true if no form of 15 digits or fewer exists. */
static size_t format_decimal(double a, char *p, bool *none)
{
	char digits[20];
	int k, nd, i;

	*none = false;
	if (!(a >= 1e-4 && a < 1e15))
		return 0;
	*none = true;
	for (k = 1; k < (int)(sizeof pow10_dbl / sizeof pow10_dbl[0]); k++) {
		double x = a * pow10_dbl[k];
		if (x >= 1e15)
			return 0;
		double m = nearbyint(x);
		if (m / pow10_dbl[k] != a)
			continue;
		nd = (int)(put_u64(digits, (uint64_t)m) - digits);
		char *q = p;
		if (nd > k) {
			memcpy(q, digits, (size_t)(nd - k));
			q += nd - k;
			*q++ = '.';
			memcpy(q, digits + nd - k, (size_t)k);
			q += k;
		} else {
			*q++ = '0';
			*q++ = '.';
			for (i = nd; i < k; i++)
				*q++ = '0';
			memcpy(q, digits, (size_t)nd);
			q += nd;
		}
		return (size_t)(q - p);
	}
	return 0;
}

size_t tw_num_format(double v, char *buf)
{
	char *p = buf;
	double a = fabs(v);
	size_t n;
	int prec;
	bool none15;

	if (signbit(v))
		*p++ = '-';
	/* integers that fit exactly, "-0" included */
	if (a < 9007199254740992.0 && a == (double)(int64_t)a) {
		p = put_u64(p, (uint64_t)a);
		*p = '\0';
		return (size_t)(p - buf);
	}
	n = format_decimal(a, p, &none15);
	if (n) {
		p[n] = '\0';
		return (size_t)(p - buf) + n;
	}
	/* the rest: the fewest of 15, 16, 17 digits that reads back (any
	 * 15-digit decimal survives a round trip through a normal double);
	 * subnormals have fewer digits, so they start from 1, and when
 * format_decimal found no short form, from 16.  From 1e15 to
	 * 1e17, %.17g is plain digits while fewer digits may be an exponent
	 * form, longer: there the shortest text wins. */
	bool wide = a >= 1e15 && a < 1e17;
	char tmp[TW_NUM_MAX];
	size_t best = 0;

	for (prec = a < DBL_MIN ? 1 : none15 ? 16 : 15; prec <= 17; prec++) {
		n = (size_t)snprintf(tmp, sizeof tmp, "%.*g", prec, v);
		if (strtod(tmp, NULL) != v || (best && n >= best))
			continue;
		memcpy(buf, tmp, n + 1);
		best = n;
		if (!wide)
			break;
	}
	return best;
}
