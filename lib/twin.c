/* twin.c - see twin.h. */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expr.h"
#include "timestamp.h"
#include "twin.h"

/* The sections other tools read, kept as JSON: a new tool's section is
 * added here (and to twin-description(5)). */
static const char *const TOP_KEYS[] = {
	"name", "assets", "model", "detect", "rules", "targets", NULL
};
static const char *const ASSET_KEYS[] = { "sensors", "derived", NULL };
static const char *const SENSOR_KEYS[] = {
	"unit", "min", "max", "period", "deadband", "stale_after", NULL
};

/* Longest JSON path in a message; longer ones are cut. */
#define JPATH_LEN 256

struct ctx {
	const char *file;
	struct tw_err *e;
};

static int fail(const struct ctx *c, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "FILE: PATH: message", or "FILE: message" at the top level. */
static int fail(const struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[sizeof c->e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (*path)
		return tw_err_set(c->e, "%s: %s: %s", c->file, path, msg);
	return tw_err_set(c->e, "%s: %s", c->file, msg);
}

/* path.key into buf: the key as tw_err_quote shows it (control bytes as
 * '?', cut after 40 bytes); paths are at most five keys deep. */
static const char *child(char *buf, const char *path, const char *key)
{
	char q[TW_QUOTE_BUF];

	tw_err_quote(q, key, strlen(key));
	snprintf(buf, JPATH_LEN, "%.200s%s%s", path, *path ? "." : "", q);
	return buf;
}

static bool is_comment(const char *key)
{
	return strcmp(key, "comment") == 0;
}

/* Every key of obj is in keys (or is "comment"). */
static int known_keys(const struct ctx *c, const char *path, json_t *obj,
		      const char *const *keys)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char list[256] = "", sub[JPATH_LEN];
		size_t i;
		if (is_comment(key))
			continue;
		for (i = 0; keys[i] && strcmp(keys[i], key) != 0; i++)
			;
		if (keys[i])
			continue;
		for (i = 0; keys[i]; i++) {
			size_t n = strlen(list);
			snprintf(list + n, sizeof list - n, "%s, ", keys[i]);
		}
		return fail(c, child(sub, path, key), "unknown key (known: %scomment)", list);
	}
	return 0;
}

static int need_object(const struct ctx *c, const char *path, json_t *v)
{
	return json_is_object(v) ? 0 : fail(c, path, "expected an object");
}

/* A duration: a string such as "1s" or "250ms" (tw_dur_parse), or a
 * number of seconds; greater than zero. */
static int duration(const struct ctx *c, const char *path, json_t *v, int64_t *ns)
{
	if (json_is_string(v)) {
		struct tw_err why;
		if (tw_dur_parse(json_string_value(v), ns, &why) < 0)
			return fail(c, path, "%s", why.msg);
	} else if (json_is_number(v)) {
		double s = json_number_value(v);
		if (s < 0)
			return fail(c, path, "negative duration");
		if (!(s * 1e9 < 9.2e18))
			return fail(c, path, "duration out of range");
		*ns = llround(s * 1e9);
	} else
		return fail(c, path, "expected a duration such as \"1s\" or \"250ms\"");
	if (*ns <= 0)
		return fail(c, path, "a duration must be greater than zero");
	return 0;
}

static int number(const struct ctx *c, const char *path, json_t *v, double *d)
{
	if (!json_is_number(v))
		return fail(c, path, "expected a number");
	*d = json_number_value(v);
	return 0;
}

static int load_sensor(const struct ctx *c, const char *path, const char *name,
		       json_t *obj, struct tw_sensor_spec *s)
{
	char sub[JPATH_LEN];
	json_t *v;

	s->name = name;
	s->unit = NULL;
	s->min = s->max = NAN;
	s->period_ns = s->stale_after_ns = 0;
	s->deadband = 0;
	if (need_object(c, path, obj) < 0 || known_keys(c, path, obj, SENSOR_KEYS) < 0)
		return -1;
	if ((v = json_object_get(obj, "unit"))) {
		if (!json_is_string(v))
			return fail(c, child(sub, path, "unit"), "expected a string");
		s->unit = json_string_value(v);
	}
	if ((v = json_object_get(obj, "min")) && number(c, child(sub, path, "min"), v, &s->min) < 0)
		return -1;
	if ((v = json_object_get(obj, "max")) && number(c, child(sub, path, "max"), v, &s->max) < 0)
		return -1;
	if (s->min > s->max)
		return fail(c, path, "min (%.17g) is greater than max (%.17g)", s->min, s->max);
	if ((v = json_object_get(obj, "period")) &&
	    duration(c, child(sub, path, "period"), v, &s->period_ns) < 0)
		return -1;
	if ((v = json_object_get(obj, "stale_after")) &&
	    duration(c, child(sub, path, "stale_after"), v, &s->stale_after_ns) < 0)
		return -1;
	if ((v = json_object_get(obj, "deadband"))) {
		if (number(c, child(sub, path, "deadband"), v, &s->deadband) < 0)
			return -1;
		if (s->deadband < 0)
			return fail(c, sub, "must not be negative");
	}
	return 0;
}

/* Members of obj other than "comment". */
static size_t members(json_t *obj)
{
	return json_object_size(obj) - (json_object_get(obj, "comment") ? 1 : 0);
}

static int load_asset(const struct ctx *c, const char *path, const char *id,
		      json_t *obj, struct tw_asset_spec *a)
{
	char sub[JPATH_LEN], sub2[JPATH_LEN];
	const char *key;
	json_t *sensors, *derived, *v;

	a->pattern = id;
	a->is_pattern = strpbrk(id, "*?[") != NULL;
	if (need_object(c, path, obj) < 0 || known_keys(c, path, obj, ASSET_KEYS) < 0)
		return -1;
	if ((sensors = json_object_get(obj, "sensors"))) {
		child(sub, path, "sensors");
		if (need_object(c, sub, sensors) < 0)
			return -1;
		a->sensors = calloc(members(sensors) + 1, sizeof *a->sensors);
		if (!a->sensors)
			return fail(c, "", "out of memory");
		json_object_foreach(sensors, key, v) {
			if (is_comment(key))
				continue;
			if (!*key)
				return fail(c, sub, "a sensor with an empty name");
			if (load_sensor(c, child(sub2, sub, key), key, v,
					&a->sensors[a->nsensors++]) < 0)
				return -1;
		}
	}
	if ((derived = json_object_get(obj, "derived"))) {
		child(sub, path, "derived");
		if (need_object(c, sub, derived) < 0)
			return -1;
		a->derived = calloc(members(derived) + 1, sizeof *a->derived);
		if (!a->derived)
			return fail(c, "", "out of memory");
		json_object_foreach(derived, key, v) {
			const char *text;
			if (is_comment(key))
				continue;
			child(sub2, sub, key);
			if (!tw_expr_name_ok(key))
				return fail(c, sub2, "not a valid name for a derived signal "
					    "(letters, digits, '_' and inner '.', not first a digit)");
			if (tw_twin_sensor(a, key))
				return fail(c, sub2, "the name of a sensor of the same asset");
			if (!json_is_string(v))
				return fail(c, sub2, "expected a string (an expression)");
			text = json_string_value(v);
			if (!text[strspn(text, " \t\r\n")])
				return fail(c, sub2, "empty expression");
			a->derived[a->nderived].name = key;
			a->derived[a->nderived++].expr = text;
		}
	}
	return 0;
}

static int load(const struct ctx *c, struct tw_twin *t)
{
	char sub[JPATH_LEN];
	const char *id;
	json_t *v, *assets;

	if (!json_is_object(t->root))
		return fail(c, "", "expected a JSON object at the top level");
	if (known_keys(c, "", t->root, TOP_KEYS) < 0)
		return -1;
	if ((v = json_object_get(t->root, "name"))) {
		if (!json_is_string(v))
			return fail(c, "name", "expected a string");
		t->name = json_string_value(v);
	}
	if (!(assets = json_object_get(t->root, "assets")))
		return 0;
	if (need_object(c, "assets", assets) < 0)
		return -1;
	t->assets = calloc(members(assets) + 1, sizeof *t->assets);
	if (!t->assets)
		return fail(c, "", "out of memory");
	json_object_foreach(assets, id, v) {
		if (is_comment(id))
			continue;
		if (!*id)
			return fail(c, "assets", "an asset with an empty name");
		if (load_asset(c, child(sub, "assets", id), id, v, &t->assets[t->nassets++]) < 0)
			return -1;
	}
	return 0;
}

struct tw_twin *tw_twin_load(const char *path, struct tw_err *e)
{
	struct ctx c = { path, e };
	struct tw_twin *t;
	json_error_t jerr;
	struct stat st;
	FILE *f;

	/* Opened here, so that a missing file reads "FILE: No such file"
	 * (jansson would say "unable to open FILE") and a directory is not
	 * reported as an empty document. */
	if (!(f = fopen(path, "r"))) {
		tw_err_set(e, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		tw_err_set(e, "%s: %s", path, strerror(EISDIR));
		return NULL;
	}
	if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path))) {
		fclose(f);
		free(t);
		tw_err_set(e, "%s: out of memory", path);
		return NULL;
	}
	t->root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!t->root) {
		if (jerr.line > 0)
			tw_err_set(e, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		else
			tw_err_set(e, "%s: %s", path, jerr.text);
		tw_twin_free(t);
		return NULL;
	}
	if (load(&c, t) < 0) {
		tw_twin_free(t);
		return NULL;
	}
	return t;
}

const struct tw_asset_spec *tw_twin_asset(const struct tw_twin *t, const char *asset)
{
	int i;

	for (i = 0; i < t->nassets; i++)
		if (!t->assets[i].is_pattern && strcmp(t->assets[i].pattern, asset) == 0)
			return &t->assets[i];
	for (i = 0; i < t->nassets; i++)
		if (t->assets[i].is_pattern && fnmatch(t->assets[i].pattern, asset, 0) == 0)
			return &t->assets[i];
	return NULL;
}

const struct tw_sensor_spec *tw_twin_sensor(const struct tw_asset_spec *a,
					    const char *sensor)
{
	if (!a)
		return NULL;
	for (int i = 0; i < a->nsensors; i++)
		if (strcmp(a->sensors[i].name, sensor) == 0)
			return &a->sensors[i];
	return NULL;
}

json_t *tw_twin_section(const struct tw_twin *t, const char *name)
{
	return json_object_get(t->root, name);
}

void tw_twin_free(struct tw_twin *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nassets; i++) {
		free(t->assets[i].sensors);
		free(t->assets[i].derived);
	}
	free(t->assets);
	free((char *)t->path);
	json_decref(t->root);
	free(t);
}
