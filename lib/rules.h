/* rules.h - the "rules" and "targets" sections of a twin description:
 * what twin-act watches for, and the safety envelope of what it may
 * command.  Parsing and checking only; act.c compiles the expressions
 * for each asset.
 *
 *   "rules": [
 *     { "name": "overheat", "asset": "pump-*", "when": "temp_c > 80 && score.temp_c > 0.9",
 *       "for": "30s", "clear": "temp_c < 75", "cooldown": "10m", "severity": "critical",
 *       "priority": 10, "alert": "{asset}: {temp_c} degC",
 *       "command": { "target": "valve-3", "set": { "position": "0.4" }, "deadline": "30s" } },
 *     { "name": "level", "asset": "tank-1",
 *       "pid": { "measured": "level_m", "setpoint": "2", "kp": 0.8, "ki": 0.05, "kd": 0,
 *                "min": 0, "max": 1, "target": "pump-1", "field": "speed" } }
 *   ],
 *   "targets": {
 *     "valve-3": { "fields": { "position": { "min": 0, "max": 1, "rate": 0.05,
 *                                            "reported": "valve3_pos", "tolerance": 0.02 } },
 *                  "interlocks": [ "pressure_bar > 8" ], "violation": "clamp" }
 *   }
 *
 * Ownership: struct tw_rules owns its arrays; the strings point into the
 * JSON document, which must outlive it. */
#ifndef TW_RULES_H
#define TW_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct tw_rule_set { const char *field, *expr; };

/* The most fields one command may set. */
#define TW_RULE_MAX_SET 64

struct tw_rule {
	const char *name, *asset;       /* asset: a glob pattern, "*" when absent */
	const char *when, *clear;       /* clear NULL: when no longer holds */
	int64_t for_ns, cooldown_ns;
	const char *severity;           /* info, warning (default) or critical */
	int priority;                   /* higher first */
	const char *alert;              /* a message template, or NULL */
	const char *target;             /* a command's target, or NULL */
	struct tw_rule_set *set;
	int nset;
	int64_t deadline_ns;            /* for the machine to report the value; 0 none */
	bool pid;                       /* a controller instead of when/alert/command */
	const char *measured, *setpoint, *field;
	double kp, ki, kd, out_min, out_max;
};

struct tw_target_field {
	const char *name;
	double min, max;                /* NAN: no bound */
	double rate;                    /* per second; NAN: none */
	const char *reported;           /* the sensor that reports it, or NULL */
	double tolerance;
};

struct tw_target {
	const char *name;
	struct tw_target_field *fields;
	int nfields;
	const char **interlocks;
	int ninterlocks;
	bool refuse;                    /* violation: refuse, else clamp */
};

struct tw_rules {
	struct tw_rule *rules;
	int nrules;
	struct tw_target *targets;
	int ntargets;
};

/* Parses rules (an array, may be NULL) and targets (an object, may be
 * NULL) of the document file.  Errors name the file and the member:
 * "pump.json: rules[2].for: invalid duration 'soon' ..."  A failed load
 * leaves r empty (nothing to release; releasing it is harmless). */
int tw_rules_load(struct tw_rules *r, const json_t *rules, const json_t *targets,
		  const char *file, struct tw_err *e);
void tw_rules_release(struct tw_rules *r);

const struct tw_target *tw_rules_target(const struct tw_rules *r, const char *name);
const struct tw_target_field *tw_target_field(const struct tw_target *t, const char *name);

#endif
