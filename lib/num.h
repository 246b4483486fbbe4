/* num.h - numbers as the wire format writes them.
 *
 * Reading: strtod over the whole text, with range checks, in the "C"
 * locale (a decimal point is always '.').  Writing: the shortest text
 * that reads back to the same double (0.1, not 0.10000000000000001). */
#ifndef TW_NUM_H
#define TW_NUM_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Longest text tw_num_format writes, with its NUL. */
#define TW_NUM_MAX 32

/* Parses the whole of s[0..len) as a finite decimal number: optional
 * sign, digits, fraction, exponent; surrounding blanks are not allowed.
 * Rejects empty text, "nan", "inf", hex, and overflow ("1e400"); a value
 * too small to represent reads as the nearest double (maybe 0). */
int tw_num_parse(const char *s, size_t len, double *v, struct tw_err *e);

/* True when s[0..len) is a number exactly as JSON's grammar writes it
 * (-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) and its value is finite
 * and does not underflow: such text can be copied to output as written. */
bool tw_num_is_json(const char *s, size_t len);

/* Writes v (finite) in the shortest form that reads back exactly, as
 * JSON: "1", "0.1", "-0", "1e+300", "1.5e-07".  buf holds TW_NUM_MAX
 * bytes; returns the length written. */
size_t tw_num_format(double v, char *buf);

#endif
