/* jcheck.c - see jcheck.h. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "jcheck.h"
#include "timestamp.h"

int tw_jc_fail(const struct tw_jc *c, const char *path, const char *fmt, ...)
{
	char msg[sizeof c->e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->file && *path)
		return tw_err_set(c->e, "%s: %s: %s", c->file, path, msg);
	if (c->file)
		return tw_err_set(c->e, "%s: %s", c->file, msg);
	if (*path)
		return tw_err_set(c->e, "%s: %s", path, msg);
	return tw_err_set(c->e, "%s", msg);
}

const char *tw_jc_child(char *buf, const char *path, const char *key)
{
	char q[TW_QUOTE_BUF];

	tw_err_quote(q, key, strlen(key));
	snprintf(buf, TW_JC_PATH_BUF, "%.200s%s%s", path, *path ? "." : "", q);
	return buf;
}

bool tw_jc_is_comment(const char *key)
{
	return strcmp(key, "comment") == 0;
}

size_t tw_jc_members(const json_t *obj)
{
	return json_object_size(obj) - (json_object_get(obj, "comment") ? 1 : 0);
}

const char *tw_jc_unknown_key(const json_t *obj, const char *const *keys)
{
	const char *key;
	json_t *v;

	/* jansson's loop takes a json_t *; it does not modify obj. */
	json_object_foreach((json_t *)obj, key, v) {
		size_t i;
		if (tw_jc_is_comment(key))
			continue;
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (!keys[i])
			return key;
	}
	return NULL;
}

int tw_jc_known_keys(const struct tw_jc *c, const char *path, const json_t *obj,
		     const char *const *keys)
{
	const char *key = tw_jc_unknown_key(obj, keys);
	char list[256] = "", sub[TW_JC_PATH_BUF];

	if (!key)
		return 0;
	for (size_t i = 0; keys[i]; i++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof list - n, "%s, ", keys[i]);
	}
	return tw_jc_fail(c, tw_jc_child(sub, path, key), "unknown key (known: %scomment)", list);
}

int tw_jc_need_object(const struct tw_jc *c, const char *path, const json_t *v)
{
	return json_is_object(v) ? 0 : tw_jc_fail(c, path, "expected an object");
}

/* The member key of obj into *v and its path into sub: 1 when present,
 * 0 when absent (and not required), -1 when missing. */
static int member(const struct tw_jc *c, const char *path, const json_t *obj,
		  const char *key, unsigned flags, json_t **v, char *sub)
{
	tw_jc_child(sub, path, key);
	if ((*v = json_object_get(obj, key)))
		return 1;
	return flags & TW_JC_REQUIRED ? tw_jc_fail(c, sub, "missing") : 0;
}

int tw_jc_number(const struct tw_jc *c, const char *path, const json_t *obj,
		 const char *key, unsigned flags, double *out)
{
	char sub[TW_JC_PATH_BUF];
	json_t *v;
	int rc = member(c, path, obj, key, flags, &v, sub);

	if (rc <= 0)
		return rc;
	if (!json_is_number(v))
		return tw_jc_fail(c, sub, "expected a number");
	*out = json_number_value(v);
	return 0;
}

int tw_jc_string(const struct tw_jc *c, const char *path, const json_t *obj,
		 const char *key, unsigned flags, const char **out)
{
	char sub[TW_JC_PATH_BUF];
	json_t *v;
	int rc = member(c, path, obj, key, flags, &v, sub);

	if (rc <= 0)
		return rc;
	if (!json_is_string(v) || (flags & TW_JC_NONEMPTY && !*json_string_value(v)))
		return tw_jc_fail(c, sub, "%s", flags & TW_JC_NONEMPTY ?
				  "expected a non-empty string" : "expected a string");
	*out = json_string_value(v);
	return 0;
}

int tw_jc_duration(const struct tw_jc *c, const char *path, const json_t *obj,
		   const char *key, unsigned flags, int64_t *out)
{
	char sub[TW_JC_PATH_BUF];
	json_t *v;
	int rc = member(c, path, obj, key, flags, &v, sub);

	if (rc <= 0)
		return rc;
	if (json_is_string(v)) {
		struct tw_err why;
		if (tw_dur_parse(json_string_value(v), out, &why) < 0)
			return tw_jc_fail(c, sub, "%s", why.msg);
	} else if (json_is_number(v)) {
		double s = json_number_value(v);
		if (s < 0)
			return tw_jc_fail(c, sub, "negative duration");
		if (!(s * 1e9 < 9.2e18))
			return tw_jc_fail(c, sub, "duration out of range");
		*out = llround(s * 1e9);
	} else
		return tw_jc_fail(c, sub, "expected a duration such as \"1s\" or \"250ms\"");
	if (*out <= 0)
		return tw_jc_fail(c, sub, "a duration must be greater than zero");
	return 0;
}

json_t *tw_jc_reals(const double *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
