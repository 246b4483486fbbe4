/* rules.c - see rules.h */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "jcheck.h"
#include "rules.h"
#include "timestamp.h"

/* Strings in rules and targets are never empty. */
#define STR TW_JC_NONEMPTY
#define STR_REQ (TW_JC_NONEMPTY | TW_JC_REQUIRED)

/* Every key of obj is in allowed or is "comment"; else "unknown member",
 * which names the key as it is. */
static int keys_ok(const struct tw_jc *c, const char *where, const json_t *obj,
		   const char *const *allowed)
{
	const char *key = tw_jc_unknown_key(obj, allowed);

	return key ? tw_err_set(c->e, "%s: %s.%s: unknown member", c->file, where, key) : 0;
}

/* A duration of a rule or a command: a string tw_dur_parse reads, or a
 * number of seconds; 0 when absent.  Unlike a sensor's (tw_jc_duration)
 * it may be 0 (twin-description(5), Rules), and a wrong one reads
 * "expected a duration". */
static int duration_of(const struct tw_jc *c, const char *where, const json_t *obj,
		       const char *key, int64_t *out)
{
	json_t *v = json_object_get(obj, key);
	struct tw_err why;
	*out = 0;
	if (!v)
		return 0;
	if (json_is_number(v) && json_number_value(v) >= 0) {
		if (json_number_value(v) * 1e9 >= 9.2e18)
			return tw_err_set(c->e, "%s: %s.%s: duration out of range", c->file, where, key);
		*out = (int64_t)llround(json_number_value(v) * 1e9);
		return 0;
	}
	if (!json_is_string(v) || tw_dur_parse(json_string_value(v), out, &why) < 0)
		return tw_err_set(c->e, "%s: %s.%s: %s", c->file, where, key,
				  json_is_string(v) ? why.msg : "expected a duration");
	return 0;
}

/* An expression's text is checked here, in a scratch scope, so that a
 * syntax error names its rule before any record is read. */
static int expr_ok(const char *text, const char *file, const char *where, const char *key,
		   struct tw_err *e)
{
	struct tw_err why;
	struct tw_expr_scope *scope = tw_expr_scope_new();
	struct tw_expr *x = tw_expr_compile(scope, text, true, &why);
	tw_expr_free(x);
	tw_expr_scope_free(scope);
	return x ? 0 : tw_err_set(e, "%s: %s.%s: %s", file, where, key, why.msg);
}

static int load_rule(struct tw_rule *r, const json_t *j, int i, const char *file, struct tw_err *e)
{
	static const char *const keys[] = { "name", "asset", "when", "for", "clear", "cooldown", "severity",
					    "priority", "alert", "command", "pid", NULL };
	static const char *const cmd_keys[] = { "target", "set", "deadline", NULL };
	static const char *const pid_keys[] = { "measured", "setpoint", "kp", "ki", "kd", "min", "max",
						"target", "field", "deadline", NULL };
	struct tw_jc c = { file, e };
	char where[64];
	double prio = 0;

	snprintf(where, sizeof where, "rules[%d]", i);
	if (tw_jc_need_object(&c, where, j) < 0 || keys_ok(&c, where, j, keys) < 0 ||
	    tw_jc_string(&c, where, j, "name", STR_REQ, &r->name) < 0 ||
	    tw_jc_string(&c, where, j, "asset", STR, &r->asset) < 0 ||
	    duration_of(&c, where, j, "for", &r->for_ns) < 0 ||
	    duration_of(&c, where, j, "cooldown", &r->cooldown_ns) < 0 ||
	    tw_jc_string(&c, where, j, "severity", STR, &r->severity) < 0 ||
	    tw_jc_number(&c, where, j, "priority", 0, &prio) < 0 ||
	    tw_jc_string(&c, where, j, "alert", STR, &r->alert) < 0)
		return -1;
	snprintf(where, sizeof where, "rules.%s", r->name);
	r->asset = r->asset ? r->asset : "*";
	r->severity = r->severity ? r->severity : "warning";
	if (strcmp(r->severity, "info") && strcmp(r->severity, "warning") && strcmp(r->severity, "critical"))
		return tw_err_set(e, "%s: %s.severity: '%s' is not info, warning or critical", file, where, r->severity);
	if (prio != floor(prio) || fabs(prio) > 1e6)
		return tw_err_set(e, "%s: %s.priority: expected a whole number", file, where);
	r->priority = (int)prio;

	json_t *pid = json_object_get(j, "pid");
	if (pid) {
		char pw[96];
		snprintf(pw, sizeof pw, "%s.pid", where);
		if (json_object_get(j, "when") || json_object_get(j, "command") || json_object_get(j, "alert"))
			return tw_err_set(e, "%s: %s: a pid rule has no when, alert or command", file, where);
		r->pid = true;
		r->kp = r->ki = r->kd = 0;
		r->out_min = -INFINITY;
		r->out_max = INFINITY;
		if (tw_jc_need_object(&c, pw, pid) < 0 || keys_ok(&c, pw, pid, pid_keys) < 0 ||
		    tw_jc_string(&c, pw, pid, "measured", STR_REQ, &r->measured) < 0 ||
		    tw_jc_string(&c, pw, pid, "setpoint", STR_REQ, &r->setpoint) < 0 ||
		    tw_jc_string(&c, pw, pid, "target", STR_REQ, &r->target) < 0 ||
		    tw_jc_string(&c, pw, pid, "field", STR_REQ, &r->field) < 0 ||
		    tw_jc_number(&c, pw, pid, "kp", 0, &r->kp) < 0 ||
		    tw_jc_number(&c, pw, pid, "ki", 0, &r->ki) < 0 ||
		    tw_jc_number(&c, pw, pid, "kd", 0, &r->kd) < 0 ||
		    tw_jc_number(&c, pw, pid, "min", 0, &r->out_min) < 0 ||
		    tw_jc_number(&c, pw, pid, "max", 0, &r->out_max) < 0 ||
		    duration_of(&c, pw, pid, "deadline", &r->deadline_ns) < 0)
			return -1;
		if (r->out_min >= r->out_max)
			return tw_err_set(e, "%s: %s: min must be below max", file, pw);
		return expr_ok(r->setpoint, file, pw, "setpoint", e);
	}
	if (tw_jc_string(&c, where, j, "when", STR_REQ, &r->when) < 0 ||
	    tw_jc_string(&c, where, j, "clear", STR, &r->clear) < 0 ||
	    expr_ok(r->when, file, where, "when", e) < 0 ||
	    (r->clear && expr_ok(r->clear, file, where, "clear", e) < 0))
		return -1;
	json_t *cmd = json_object_get(j, "command");
	if (!cmd && !r->alert)
		return tw_err_set(e, "%s: %s: a rule needs an alert, a command or both", file, where);
	if (cmd) {
		char cw[96];
		snprintf(cw, sizeof cw, "%s.command", where);
		json_t *set = json_object_get(cmd, "set");
		if (tw_jc_need_object(&c, cw, cmd) < 0 || keys_ok(&c, cw, cmd, cmd_keys) < 0 ||
		    tw_jc_string(&c, cw, cmd, "target", STR_REQ, &r->target) < 0 ||
		    duration_of(&c, cw, cmd, "deadline", &r->deadline_ns) < 0)
			return -1;
		if (!json_is_object(set) || json_object_size(set) == 0)
			return tw_err_set(e, "%s: %s.set: expected an object of field: expression", file, cw);
		if (json_object_size(set) > TW_RULE_MAX_SET)
			return tw_err_set(e, "%s: %s.set: at most %d fields", file, cw, TW_RULE_MAX_SET);
		r->set = calloc(json_object_size(set), sizeof *r->set);
		if (!r->set)
			abort();
		const char *key;
		json_t *v;
		json_object_foreach(set, key, v) {
			char sw[160];
			snprintf(sw, sizeof sw, "%s.set", cw);
			if (!json_is_string(v))
				return tw_err_set(e, "%s: %s.%s: expected an expression (a string)", file, sw, key);
			if (expr_ok(json_string_value(v), file, sw, key, e) < 0)
				return -1;
			r->set[r->nset++] = (struct tw_rule_set){ key, json_string_value(v) };
		}
	}
	return 0;
}

static int load_target(struct tw_target *t, const char *name, const json_t *j, const char *file,
		       struct tw_err *e)
{
	static const char *const keys[] = { "fields", "interlocks", "violation", NULL };
	static const char *const field_keys[] = { "min", "max", "rate", "reported", "tolerance", NULL };
	struct tw_jc c = { file, e };
	char where[96];
	const char *violation = NULL;

	snprintf(where, sizeof where, "targets.%s", name);
	t->name = name;
	json_t *fields = json_object_get(j, "fields"), *locks = json_object_get(j, "interlocks");
	if (tw_jc_need_object(&c, where, j) < 0 || keys_ok(&c, where, j, keys) < 0 ||
	    tw_jc_string(&c, where, j, "violation", STR, &violation) < 0)
		return -1;
	if (violation && strcmp(violation, "clamp") && strcmp(violation, "refuse"))
		return tw_err_set(e, "%s: %s.violation: '%s' is not clamp or refuse", file, where, violation);
	t->refuse = violation && strcmp(violation, "refuse") == 0;
	if (!json_is_object(fields) || !json_object_size(fields))
		return tw_err_set(e, "%s: %s.fields: expected an object of the fields a command may set", file, where);
	t->fields = calloc(json_object_size(fields), sizeof *t->fields);
	if (!t->fields)
		abort();
	const char *key;
	json_t *v;
	json_object_foreach(fields, key, v) {
		char fw[160];
		struct tw_target_field *f = &t->fields[t->nfields++];
		snprintf(fw, sizeof fw, "%s.fields.%s", where, key);
		f->name = key;
		f->min = f->max = f->rate = NAN;
		f->tolerance = 0;
		if (tw_jc_need_object(&c, fw, v) < 0 || keys_ok(&c, fw, v, field_keys) < 0 ||
		    tw_jc_number(&c, fw, v, "min", 0, &f->min) < 0 ||
		    tw_jc_number(&c, fw, v, "max", 0, &f->max) < 0 ||
		    tw_jc_number(&c, fw, v, "rate", 0, &f->rate) < 0 ||
		    tw_jc_number(&c, fw, v, "tolerance", 0, &f->tolerance) < 0 ||
		    tw_jc_string(&c, fw, v, "reported", STR, &f->reported) < 0)
			return -1;
		if (!isnan(f->min) && !isnan(f->max) && f->min > f->max)
			return tw_err_set(e, "%s: %s: min is above max", file, fw);
		if ((!isnan(f->rate) && f->rate <= 0) || f->tolerance < 0)
			return tw_err_set(e, "%s: %s: rate must be above 0, tolerance not negative", file, fw);
	}
	if (locks) {
		if (!json_is_array(locks))
			return tw_err_set(e, "%s: %s.interlocks: expected an array of conditions", file, where);
		t->interlocks = calloc(json_array_size(locks) + 1, sizeof *t->interlocks);
		if (!t->interlocks)
			abort();
		size_t i;
		json_array_foreach(locks, i, v) {
			char iw[128];
			snprintf(iw, sizeof iw, "%s.interlocks", where);
			char idx[24];
			snprintf(idx, sizeof idx, "%zu", i);
			if (!json_is_string(v))
				return tw_err_set(e, "%s: %s[%zu]: expected a condition (a string)", file, iw, i);
			if (expr_ok(json_string_value(v), file, iw, idx, e) < 0)
				return -1;
			t->interlocks[t->ninterlocks++] = json_string_value(v);
		}
	}
	return 0;
}

static int load(struct tw_rules *r, const json_t *rules, const json_t *targets,
		const char *file, struct tw_err *e)
{
	if (rules && !json_is_array(rules))
		return tw_err_set(e, "%s: rules: expected an array", file);
	if (targets && !json_is_object(targets))
		return tw_err_set(e, "%s: targets: expected an object", file);
	r->rules = calloc(rules ? json_array_size(rules) + 1 : 1, sizeof *r->rules);
	r->targets = calloc(targets ? json_object_size(targets) + 1 : 1, sizeof *r->targets);
	if (!r->rules || !r->targets)
		abort();
	size_t i;
	json_t *v;
	json_array_foreach((json_t *)rules, i, v) {
		if (load_rule(&r->rules[r->nrules++], v, (int)i, file, e) < 0)
			return -1;
		for (int k = 0; k + 1 < r->nrules; k++)
			if (strcmp(r->rules[k].name, r->rules[r->nrules - 1].name) == 0)
				return tw_err_set(e, "%s: rules[%zu].name: '%s' is the name of rules[%d] already",
						  file, i, r->rules[k].name, k);
	}
	const char *key;
	json_object_foreach((json_t *)targets, key, v)
		if (load_target(&r->targets[r->ntargets++], key, v, file, e) < 0)
			return -1;
	/* Commands may go to the targets listed, when there is a list. */
	/* Commands may go only to the targets listed, when there is a list
	 * (even an empty one). */
	for (int k = 0; k < r->nrules && targets; k++) {
		const struct tw_rule *x = &r->rules[k];
		const struct tw_target *t = x->target ? tw_rules_target(r, x->target) : NULL;
		if (x->target && !t)
			return tw_err_set(e, "%s: rules.%s: no target '%s' in targets", file, x->name, x->target);
		for (int f = 0; t && f < x->nset; f++)
			if (!tw_target_field(t, x->set[f].field))
				return tw_err_set(e, "%s: rules.%s: target %s has no field '%s'", file, x->name,
						  x->target, x->set[f].field);
		if (t && x->pid && !tw_target_field(t, x->field))
			return tw_err_set(e, "%s: rules.%s: target %s has no field '%s'", file, x->name, x->target,
					  x->field);
	}
	return 0;
}

int tw_rules_load(struct tw_rules *r, const json_t *rules, const json_t *targets,
		  const char *file, struct tw_err *e)
{
	memset(r, 0, sizeof *r);
	if (load(r, rules, targets, file, e) < 0) {
		tw_rules_release(r);
		return -1;
	}
	return 0;
}

void tw_rules_release(struct tw_rules *r)
{
	for (int i = 0; i < r->nrules; i++)
		free(r->rules[i].set);
	for (int i = 0; i < r->ntargets; i++) {
		free(r->targets[i].fields);
		free(r->targets[i].interlocks);
	}
	free(r->rules);
	free(r->targets);
	memset(r, 0, sizeof *r);
}

const struct tw_target *tw_rules_target(const struct tw_rules *r, const char *name)
{
	for (int i = 0; i < r->ntargets; i++)
		if (strcmp(r->targets[i].name, name) == 0)
			return &r->targets[i];
	return NULL;
}

const struct tw_target_field *tw_target_field(const struct tw_target *t, const char *name)
{
	for (int i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	return NULL;
}
