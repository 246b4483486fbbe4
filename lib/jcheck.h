/* jcheck.h - checking a JSON document against what the toolkit expects,
 * with messages that name the file and the path of the member at fault:
 *   pump.json: assets.pump-1.sensors.temp_c.min: expected a number
 * twin.c, model.c and rules.c check their sections with it; the messages
 * of each are in twin-description(5).
 *
 * A check that fails fills c->e and returns -1 (as tw_err_set); one that
 * passes returns 0.  A member named "comment" is allowed in every object
 * and never read.
 *
 * Ownership: nothing here allocates.  Strings handed back are borrowed
 * from the JSON tree and live as long as it does; path buffers are the
 * caller's. */
#ifndef TW_JCHECK_H
#define TW_JCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

/* Where messages go, and the file they start with (NULL: none). */
struct tw_jc {
	const char *file;
	struct tw_err *e;
};

/* The size of a path buffer: longer paths are cut. */
#define TW_JC_PATH_BUF 256

/* flags of the member getters below */
#define TW_JC_REQUIRED 1u     /* absent: "PATH.KEY: missing" */
#define TW_JC_NONEMPTY 2u     /* strings: "" is wrong too */

/* "FILE: PATH: message" into c->e, without "FILE: " when c->file is NULL
 * and without "PATH: " when path is "".  Returns -1. */
int tw_jc_fail(const struct tw_jc *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "PATH.KEY" into buf (TW_JC_PATH_BUF bytes), "KEY" when path is "": the
 * key as tw_err_quote shows it, the path cut after 200 bytes.  Returns buf. */
const char *tw_jc_child(char *buf, const char *path, const char *key);

bool tw_jc_is_comment(const char *key);

/* The members of obj other than "comment". */
size_t tw_jc_members(const json_t *obj);

/* Each member of obj but "comment" (obj is not const: jansson's loop). */
#define TW_JC_FOREACH_MEMBER(obj, key, v) \
	json_object_foreach((obj), (key), (v)) \
		if (!tw_jc_is_comment(key))

/* The first key of obj, in its order, that is neither in keys (a NULL-
 * terminated list) nor "comment"; NULL when there is none. */
const char *tw_jc_unknown_key(const json_t *obj, const char *const *keys);

/* Every key of obj is in keys or is "comment"; else
 * "PATH.KEY: unknown key (known: KEYS, comment)". */
int tw_jc_known_keys(const struct tw_jc *c, const char *path, const json_t *obj,
		     const char *const *keys);

/* "PATH: expected an object" unless v is one. */
int tw_jc_need_object(const struct tw_jc *c, const char *path, const json_t *v);

/* The member key of obj (an object) into *out.  An absent member leaves
 * *out as it is (set the default first), or is "missing" with
 * TW_JC_REQUIRED; a wrong one is "PATH.KEY: " and:
 *   tw_jc_number    "expected a number"
 *   tw_jc_string    "expected a string", with TW_JC_NONEMPTY "expected a
 *                   non-empty string"; *out is borrowed from obj
 *   tw_jc_duration  a string tw_dur_parse reads (its message), or a JSON
 *                   number of seconds; more than zero, as in
 *                   twin-description(5): "negative duration", "duration
 *                   out of range", "expected a duration such as \"1s\" or
 *                   \"250ms\"", "a duration must be greater than zero" */
int tw_jc_number(const struct tw_jc *c, const char *path, const json_t *obj,
		 const char *key, unsigned flags, double *out);
int tw_jc_string(const struct tw_jc *c, const char *path, const json_t *obj,
		 const char *key, unsigned flags, const char **out);
int tw_jc_duration(const struct tw_jc *c, const char *path, const json_t *obj,
		   const char *key, unsigned flags, int64_t *out);

/* The other way, for the states and models a module saves: the doubles
 * v[0..n) as a new JSON array, or NULL on no memory or a value that is
 * not finite (JSON has no NaN).  The caller owns the array. */
json_t *tw_jc_reals(const double *v, size_t n);

#endif
