/* jsonw.h - writing JSON text without a DOM. */
#ifndef TW_JSONW_H
#define TW_JSONW_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends s[0..n) as a quoted JSON string: '"' and '\\' escaped, control
 * characters as \n \t \r \b \f or \u00XX, everything else (UTF-8) as is.
 * The caller has checked s is valid UTF-8 (tw_utf8_valid). */
void tw_jw_str(struct tw_buf *b, const char *s, size_t n);

/* Appends v as the shortest number that reads back exactly (num.h). */
void tw_jw_num(struct tw_buf *b, double v);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
bool tw_utf8_valid(const char *s, size_t n);

#endif
