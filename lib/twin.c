/* twin.c - see twin.h. */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "expr.h"
#include "jcheck.h"
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

static int load_sensor(const struct tw_jc *c, const char *path, const char *name,
		       json_t *obj, struct tw_sensor_spec *s)
{
	char sub[TW_JC_PATH_BUF];

	s->name = name;
	s->unit = NULL;
	s->min = s->max = NAN;
	s->period_ns = s->stale_after_ns = 0;
	s->deadband = 0;
	if (tw_jc_need_object(c, path, obj) < 0 || tw_jc_known_keys(c, path, obj, SENSOR_KEYS) < 0 ||
	    tw_jc_string(c, path, obj, "unit", 0, &s->unit) < 0 ||
	    tw_jc_number(c, path, obj, "min", 0, &s->min) < 0 ||
	    tw_jc_number(c, path, obj, "max", 0, &s->max) < 0)
		return -1;
	if (s->min > s->max)
		return tw_jc_fail(c, path, "min (%.17g) is greater than max (%.17g)", s->min, s->max);
	if (tw_jc_duration(c, path, obj, "period", 0, &s->period_ns) < 0 ||
	    tw_jc_duration(c, path, obj, "stale_after", 0, &s->stale_after_ns) < 0 ||
	    tw_jc_number(c, path, obj, "deadband", 0, &s->deadband) < 0)
		return -1;
	if (s->deadband < 0)
		return tw_jc_fail(c, tw_jc_child(sub, path, "deadband"), "must not be negative");
	return 0;
}

static int load_asset(const struct tw_jc *c, const char *path, const char *id,
		      json_t *obj, struct tw_asset_spec *a)
{
	char sub[TW_JC_PATH_BUF], sub2[TW_JC_PATH_BUF];
	const char *key;
	json_t *sensors, *derived, *v;

	a->pattern = id;
	a->is_pattern = strpbrk(id, "*?[") != NULL;
	if (tw_jc_need_object(c, path, obj) < 0 || tw_jc_known_keys(c, path, obj, ASSET_KEYS) < 0)
		return -1;
	if ((sensors = json_object_get(obj, "sensors"))) {
		tw_jc_child(sub, path, "sensors");
		if (tw_jc_need_object(c, sub, sensors) < 0)
			return -1;
		a->sensors = calloc(tw_jc_members(sensors) + 1, sizeof *a->sensors);
		if (!a->sensors)
			return tw_jc_fail(c, "", "out of memory");
		TW_JC_FOREACH_MEMBER(sensors, key, v) {
			if (!*key)
				return tw_jc_fail(c, sub, "a sensor with an empty name");
			if (load_sensor(c, tw_jc_child(sub2, sub, key), key, v,
					&a->sensors[a->nsensors++]) < 0)
				return -1;
		}
	}
	if ((derived = json_object_get(obj, "derived"))) {
		tw_jc_child(sub, path, "derived");
		if (tw_jc_need_object(c, sub, derived) < 0)
			return -1;
		a->derived = calloc(tw_jc_members(derived) + 1, sizeof *a->derived);
		if (!a->derived)
			return tw_jc_fail(c, "", "out of memory");
		TW_JC_FOREACH_MEMBER(derived, key, v) {
			const char *text;
			tw_jc_child(sub2, sub, key);
			if (!tw_expr_name_ok(key))
				return tw_jc_fail(c, sub2, "not a valid name for a derived signal "
						  "(letters, digits, '_' and inner '.', not first a digit)");
			if (tw_twin_sensor(a, key))
				return tw_jc_fail(c, sub2, "the name of a sensor of the same asset");
			if (!json_is_string(v))
				return tw_jc_fail(c, sub2, "expected a string (an expression)");
			text = json_string_value(v);
			if (!text[strspn(text, " \t\r\n")])
				return tw_jc_fail(c, sub2, "empty expression");
			a->derived[a->nderived].name = key;
			a->derived[a->nderived++].expr = text;
		}
	}
	return 0;
}

static int load(const struct tw_jc *c, struct tw_twin *t)
{
	char sub[TW_JC_PATH_BUF];
	const char *id;
	json_t *v, *assets;

	if (!json_is_object(t->root))
		return tw_jc_fail(c, "", "expected a JSON object at the top level");
	if (tw_jc_known_keys(c, "", t->root, TOP_KEYS) < 0 ||
	    tw_jc_string(c, "", t->root, "name", 0, &t->name) < 0)
		return -1;
	if (!(assets = json_object_get(t->root, "assets")))
		return 0;
	if (tw_jc_need_object(c, "assets", assets) < 0)
		return -1;
	t->assets = calloc(tw_jc_members(assets) + 1, sizeof *t->assets);
	if (!t->assets)
		return tw_jc_fail(c, "", "out of memory");
	TW_JC_FOREACH_MEMBER(assets, id, v) {
		if (!*id)
			return tw_jc_fail(c, "assets", "an asset with an empty name");
		if (load_asset(c, tw_jc_child(sub, "assets", id), id, v,
			       &t->assets[t->nassets++]) < 0)
			return -1;
	}
	return 0;
}

struct tw_twin *tw_twin_load(const char *path, struct tw_err *e)
{
	struct tw_jc c = { path, e };
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

struct tw_twin *tw_twin_from_json(json_t *root, const char *path, struct tw_err *e)
{
	struct tw_jc c = { path, e };
	struct tw_twin *t = calloc(1, sizeof *t);

	if (!t || (path && !(t->path = strdup(path)))) {
		free(t);
		json_decref(root);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	t->root = root;
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
