/* timestamp.h - event time: parsing, formatting, durations and zones.
 *
 * Inside the toolkit a time stamp is int64 nanoseconds since the Unix
 * epoch, UTC (1677-09-21 to 2262-04-11).  Parsers take a byte range that
 * need not be NUL-terminated, never allocate, and reject impossible dates
 * (2023-02-29, 24:00:00, month 13) and values outside the int64 range. */
#ifndef TW_TIMESTAMP_H
#define TW_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define TW_NS_PER_SEC INT64_C(1000000000)
/* Longest text tw_time_format writes, with its NUL. */
#define TW_TIME_MAX 40

/* How naive times (no offset) are read: UTC, or local time of an IANA
 * zone.  A zone is process-wide state (it sets TZ); tw_tz_set(NULL)
 * returns to UTC, so a test can always reset it. */
int tw_tz_set(const char *zone, struct tw_err *e);   /* zone NULL or "UTC": UTC */
const char *tw_tz_name(void);                         /* "UTC" or the zone set */

/* How a time field is written in the input. */
enum tw_time_kind {
	TW_TIME_AUTO,     /* RFC 3339, ISO 8601 with space, or a number of epoch seconds */
	TW_TIME_EPOCH_S,  /* a number (with fraction) of seconds since the epoch */
	TW_TIME_EPOCH_MS,
	TW_TIME_EPOCH_US,
	TW_TIME_EPOCH_NS,
	TW_TIME_STRPTIME  /* a strptime(3)-style format, naive unless it has %z */
};

struct tw_time_fmt {
	enum tw_time_kind kind;
	const char *strptime;  /* for TW_TIME_STRPTIME; borrowed, not copied */
};

/* Parses "auto", "epoch", "epoch_s", "epoch_ms", "epoch_us", "epoch_ns",
 * or any text with a '%' (a strptime format) into f.  f borrows spec. */
int tw_time_fmt_parse(struct tw_time_fmt *f, const char *spec, struct tw_err *e);

/* TW_TIME_AUTO accepts:
 *   RFC 3339: 2024-03-01T00:00:01Z, 2024-03-01T01:00:01.25+01:00, t/z
 *     lower case, 0 to 9 fraction digits, offsets +HH:MM, +HHMM, +HH;
 *   2024-03-01 00:00:01[.f] and 2024-03-01T00:00:01[.f] with no offset
 *     (naive: read in the zone of tw_tz_set, UTC by default);
 *   2024-03-01 (midnight, naive);
 *   a decimal number of epoch seconds, e.g. 1709251201.25 or -5.
 * Leap second :60 is folded into the next second (as POSIX time does).
 * Returns 0 and sets *ns, or -1 with a reason in e (e.g. "impossible date
 * 2023-02-29", "not a time stamp: 'abc'"). */
int tw_time_parse(const char *s, size_t len, const struct tw_time_fmt *f,
		  int64_t *ns, struct tw_err *e);

/* Writes ns as RFC 3339 UTC with 'Z' and the shortest exact fraction:
 * none, 3, 6 or 9 digits.  buf holds TW_TIME_MAX bytes; returns the
 * length written (without the NUL). */
size_t tw_time_format(int64_t ns, char *buf);

/* The time from b to a, a - b: two time stamps at the ends of the range
 * are more than INT64_MAX apart, so plain subtraction may overflow.
 * tw_time_sub saturates at INT64_MIN and INT64_MAX (for comparisons with
 * a duration); tw_time_span is the difference in nanoseconds as a double
 * (for arithmetic). */
static inline int64_t tw_time_sub(int64_t a, int64_t b)
{
	int64_t d;
	if (__builtin_sub_overflow(a, b, &d))
		return a > b ? INT64_MAX : INT64_MIN;
	return d;
}

static inline double tw_time_span(int64_t a, int64_t b)
{
	return a >= b ? (double)((uint64_t)a - (uint64_t)b) : -(double)((uint64_t)b - (uint64_t)a);
}

/* Durations: a number and a unit, ns us ms s m h d ("250ms", "1.5s",
 * "2h"); a bare number is seconds.  Negative durations are rejected. */
int tw_dur_parse(const char *s, int64_t *ns, struct tw_err *e);

#endif
