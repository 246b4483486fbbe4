/* record.h - the per-record hot path: one NDJSON line, read in place.
 *
 * tw_rec_parse tokenizes a line with jsmn (strict mode, no allocation
 * once the token array has grown to fit) and validates what jansson
 * would: one object, strings with valid escapes and UTF-8, numbers by
 * JSON's grammar and finite, literals true/false/null, no duplicate keys
 * in any object, nothing after the object but blanks.  Fields are then
 * read straight from the line by token index; a pass-through record is
 * copied as its raw bytes.
 *
 * Ownership: struct tw_rec owns its token array (tw_rec_release frees
 * it) and borrows the line, which must outlive every use of the record
 * up to the next tw_rec_parse. */
#ifndef TW_RECORD_H
#define TW_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSMN_HEADER
#include <jsmn.h>
#undef JSMN_HEADER

#include "err.h"

enum tw_json_type {
	TW_J_OBJECT, TW_J_ARRAY, TW_J_STRING, TW_J_NUMBER,
	TW_J_TRUE, TW_J_FALSE, TW_J_NULL
};

struct tw_rec {
	const char *line;      /* borrowed */
	size_t len;
	jsmntok_t *tok;        /* owned; tok[0] is the top-level object */
	int ntok, cap;
	/* Token index of the value of each common top-level field, -1 when
	 * absent; set by tw_rec_parse. */
	int ts, asset, kind, sensor, value;
};

void tw_rec_init(struct tw_rec *r);
void tw_rec_release(struct tw_rec *r);

/* Tokenizes and validates line[0..len) (without its newline).  Returns 0,
 * or -1 with a reason in e such as "invalid JSON at column 17",
 * "invalid UTF-8 at column 5", "duplicate key \"ts\"", "not a JSON
 * object".  Columns are 1-based byte offsets into the line. */
int tw_rec_parse(struct tw_rec *r, const char *line, size_t len, struct tw_err *e);

/* The common fields a record must have: ts (RFC 3339 string or a number
 * of epoch seconds) and asset (a non-empty string).  Sets *ts_ns. */
int tw_rec_need_common(const struct tw_rec *r, int64_t *ts_ns, struct tw_err *e);

enum tw_json_type tw_rec_type(const struct tw_rec *r, int tok);

/* Value token of key in object token obj, or -1. */
int tw_rec_get(const struct tw_rec *r, int obj, const char *key);

/* Follows a dotted path of keys ("payload.temp") from the top object;
 * the value token, or -1. */
int tw_rec_path(const struct tw_rec *r, const char *path);

/* Index of the first token after tok and everything inside it; in an
 * object, tok is a key's value and the result is the next key. */
int tw_rec_skip(const struct tw_rec *r, int tok);

/* The raw bytes of a token as they stand in the line: a string without
 * its quotes (still escaped), a number or literal as written, an object
 * or array with its brackets. */
const char *tw_rec_raw(const struct tw_rec *r, int tok, size_t *len);

/* True when string token tok has no escapes, so tw_rec_raw is its text. */
bool tw_rec_plain(const struct tw_rec *r, int tok);

/* The value of a number token (already validated). */
double tw_rec_num(const struct tw_rec *r, int tok);

/* Unescapes string token tok into dst, which holds at least raw length
 * + 1 bytes (unescaped text is never longer); returns its length, NUL
 * added.  \u0000 is kept as a NUL byte inside the returned length. */
size_t tw_rec_str(const struct tw_rec *r, int tok, char *dst);

/* True when string token tok equals s exactly (after unescaping). */
bool tw_rec_streq(const struct tw_rec *r, int tok, const char *s);

#endif
