/* twin.h - the twin description: one JSON file naming a twin's assets,
 * their sensors and derived signals, and the sections other tools read
 * (model, detect, rules, targets).  The format is twin-description(5).
 *
 * tw_twin_load checks what this module defines (keys, types, ranges,
 * durations, names) and keeps the tools' sections as JSON, unchecked:
 * each tool validates its own.  Derived signals are kept as text; the
 * tools compile them (expr.h).
 *
 * Ownership: a struct tw_twin owns everything it points to, including the
 * JSON tree (root); the strings in the specs point into that tree.  All of
 * it lives until tw_twin_free. */
#ifndef TW_TWIN_H
#define TW_TWIN_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct tw_sensor_spec {
	const char *name;
	const char *unit;             /* NULL when absent */
	double min, max;              /* NAN when absent */
	int64_t period_ns;            /* 0 when absent */
	int64_t stale_after_ns;       /* 0 when absent */
	double deadband;              /* 0 when absent */
};

struct tw_derived_spec {
	const char *name;             /* a valid expression name (expr.h) */
	const char *expr;             /* the expression's text */
};

struct tw_asset_spec {
	const char *pattern;          /* an asset id, or a glob for fnmatch(3) */
	bool is_pattern;              /* pattern has * ? or [ */
	struct tw_sensor_spec *sensors;
	int nsensors;
	struct tw_derived_spec *derived;
	int nderived;
};

struct tw_twin {
	const char *path;             /* as given to tw_twin_load (a copy); may be NULL */
	const char *name;             /* NULL when absent */
	struct tw_asset_spec *assets; /* in file order */
	int nassets;
	json_t *root;
};

/* Reads and checks the description in path.  Returns the twin (the caller
 * frees it with tw_twin_free), or NULL with a message in e that starts
 * with the file and then names the place, for example
 *   pump.json:3:17: '}' expected near ','
 *   pump.json: assets.pump-1.sensors.temp_c.min: expected a number
 *   pump.json: assets.pump-1.sensros: unknown key */
struct tw_twin *tw_twin_load(const char *path, struct tw_err *e);

/* A twin from a JSON document made in memory (root, whose reference the
 * twin takes, even on failure), checked as tw_twin_load checks a file;
 * path, which may be NULL, names it in messages. */
struct tw_twin *tw_twin_from_json(json_t *root, const char *path, struct tw_err *e);

/* The spec for asset id asset: the entry of that exact name, else the
 * first pattern in file order that matches it; NULL when none does. */
const struct tw_asset_spec *tw_twin_asset(const struct tw_twin *t, const char *asset);

/* The sensor of that name in a (a may be NULL); NULL when absent. */
const struct tw_sensor_spec *tw_twin_sensor(const struct tw_asset_spec *a,
					    const char *sensor);

/* The top-level member name ("model", "rules", ...), borrowed from the
 * twin; NULL when absent. */
json_t *tw_twin_section(const struct tw_twin *t, const char *name);

void tw_twin_free(struct tw_twin *t);

#endif
