/* model.c - see model.h.
 *
 * Loading runs in passes, so that each error is found where it is
 * clearest: the keys and values of every member, with every name
 * declared in one scope (t, states, parameters, inputs, variables,
 * outputs: a duplicate is caught whichever group it is in); then the
 * expressions, compiled against that scope without creating variables;
 * then which derivatives are missing; then the order of evaluation of
 * variables and of outputs, which finds cycles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "expr.h"
#include "fmu.h"
#include "jcheck.h"
#include "model.h"

static const char *const MODEL_KEYS[] = {
	"states", "parameters", "inputs", "variables", "derivatives", "outputs", NULL
};
static const char *const STATE_KEYS[] = { "initial", "unit", NULL };
static const char *const PARAM_KEYS[] = { "value", "unit", "min", "max", NULL };
static const char *const INPUT_KEYS[] = { "default", "hold", "sensor", "unit", NULL };
static const char *const OUTPUT_KEYS[] = { "expr", "noise", "unit", "sensor", NULL };

struct state {
	char *name, *unit;
	double initial;
	double *slot;
	struct tw_expr *deriv;
};

struct param {
	char *name, *unit;
	double value, min, max;
	double *slot;
};

struct input {
	char *name, *unit, *sensor;
	double dflt;
	enum tw_model_hold hold;
	double *slot;
};

/* A variable or an output: a name bound to an expression. */
struct formula {
	char *name, *unit, *sensor;   /* unit and sensor: outputs only */
	double noise;
	double *slot;
	struct tw_expr *x;
};

struct tw_model {
	char *comment;
	struct tw_expr_scope *scope;
	double *t;
	struct state *st;
	struct param *par;
	struct input *in;
	struct formula *var;          /* in order of evaluation */
	struct formula *out;          /* in file order */
	int *out_order;               /* out[] indices in order of evaluation */
	int nst, npar, nin, nvar, nout;
	int bad_state;
	/* A co-simulation unit instead of equations (model_fmu.c's part):
	 * the slots of parameters, inputs and outputs are in fvals; each
	 * one's variable in the unit is in par_var, in_var and out_var. */
	struct tw_fmu *fmu;
	double *fvals;
	int *par_var, *in_var, *out_var;
	bool *par_dirty;              /* changed since the unit started */
	bool fmu_running, fmu_used;   /* initialized; instantiated before */
	struct tw_err failure;
};

/* ---- Memory ---- */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		abort();  /* out of memory: see model.h */
	return p;
}

static char *xstrdup(const char *s)
{
	char *p;

	if (!s)
		return NULL;
	if (!(p = strdup(s)))
		abort();
	return p;
}

/* ---- Messages ---- */

struct ctx {
	struct tw_jc jc;
	struct tw_model *m;
};

/* obj.key as a non-empty string, copied into *s; absent leaves *s NULL. */
static int opt_string(const struct ctx *c, const char *path, json_t *obj,
		      const char *key, char **s)
{
	const char *v = NULL;

	if (tw_jc_string(&c->jc, path, obj, key, TW_JC_NONEMPTY, &v) < 0)
		return -1;
	*s = xstrdup(v);
	return 0;
}

/* ---- Names ---- */

/* Where name is declared already ("model.states", ...), or NULL. */
static const char *declared(const struct tw_model *m, const char *name)
{
	int i;

	if (strcmp(name, "t") == 0)
		return "t";
	for (i = 0; i < m->nst; i++)
		if (strcmp(m->st[i].name, name) == 0)
			return "model.states";
	for (i = 0; i < m->npar; i++)
		if (strcmp(m->par[i].name, name) == 0)
			return "model.parameters";
	for (i = 0; i < m->nin; i++)
		if (strcmp(m->in[i].name, name) == 0)
			return "model.inputs";
	for (i = 0; i < m->nvar; i++)
		if (strcmp(m->var[i].name, name) == 0)
			return "model.variables";
	for (i = 0; i < m->nout; i++)
		if (strcmp(m->out[i].name, name) == 0)
			return "model.outputs";
	return NULL;
}

/* Checks a new name at path and gives it a slot in the scope. */
static int declare(const struct ctx *c, const char *path, const char *name, double **slot)
{
	const char *where;

	if (!*name)
		return tw_jc_fail(&c->jc, path, "an empty name");
	if (!tw_expr_name_ok(name))
		return tw_jc_fail(&c->jc, path, "not a valid name (letters, digits, '_' and "
				  "inner '.', not first a digit)");
	if (strcmp(name, "_pi") == 0 || strcmp(name, "_e") == 0)
		return tw_jc_fail(&c->jc, path, "a reserved name (a constant of expressions)");
	if ((where = declared(c->m, name))) {
		if (strcmp(where, "t") == 0)
			return tw_jc_fail(&c->jc, path, "a reserved name (t is the simulation time)");
		return tw_jc_fail(&c->jc, path, "duplicate name (also in %s)", where);
	}
	*slot = tw_expr_scope_var(c->m->scope, name);
	return 0;
}

/* ---- Members ---- */

static int load_state(const struct ctx *c, const char *path, json_t *v, struct state *s)
{
	if (tw_jc_need_object(&c->jc, path, v) < 0 ||
	    tw_jc_known_keys(&c->jc, path, v, STATE_KEYS) < 0 ||
	    tw_jc_number(&c->jc, path, v, "initial", TW_JC_REQUIRED, &s->initial) < 0 ||
	    opt_string(c, path, v, "unit", &s->unit) < 0)
		return -1;
	*s->slot = s->initial;
	return 0;
}

/* A number, or {"value": N, "unit": ..., "min": N, "max": N}. */
static int load_param(const struct ctx *c, const char *path, json_t *v, struct param *p)
{
	p->min = p->max = NAN;
	if (json_is_number(v))
		p->value = json_number_value(v);
	else if (json_is_object(v)) {
		if (tw_jc_known_keys(&c->jc, path, v, PARAM_KEYS) < 0 ||
		    tw_jc_number(&c->jc, path, v, "value", TW_JC_REQUIRED, &p->value) < 0 ||
		    opt_string(c, path, v, "unit", &p->unit) < 0 ||
		    tw_jc_number(&c->jc, path, v, "min", 0, &p->min) < 0 ||
		    tw_jc_number(&c->jc, path, v, "max", 0, &p->max) < 0)
			return -1;
		if (p->min > p->max)
			return tw_jc_fail(&c->jc, path, "min (%.17g) is greater than max (%.17g)",
					  p->min, p->max);
		if (p->value < p->min || p->value > p->max)
			return tw_jc_fail(&c->jc, path, "value (%.17g) is outside min to max", p->value);
	} else
		return tw_jc_fail(&c->jc, path, "expected a number, or an object with a value");
	*p->slot = p->value;
	return 0;
}

static int load_input(const struct ctx *c, const char *path, const char *name,
		      json_t *v, struct input *in)
{
	char sub[TW_JC_PATH_BUF];
	json_t *hold;

	if (tw_jc_need_object(&c->jc, path, v) < 0 ||
	    tw_jc_known_keys(&c->jc, path, v, INPUT_KEYS) < 0)
		return -1;
	in->dflt = 0;
	in->hold = TW_MODEL_HOLD_STEP;
	if (tw_jc_number(&c->jc, path, v, "default", 0, &in->dflt) < 0 ||
	    opt_string(c, path, v, "unit", &in->unit) < 0 ||
	    opt_string(c, path, v, "sensor", &in->sensor) < 0)
		return -1;
	if ((hold = json_object_get(v, "hold"))) {
		const char *h = json_is_string(hold) ? json_string_value(hold) : "";
		if (strcmp(h, "step") == 0)
			in->hold = TW_MODEL_HOLD_STEP;
		else if (strcmp(h, "linear") == 0)
			in->hold = TW_MODEL_HOLD_LINEAR;
		else
			return tw_jc_fail(&c->jc, tw_jc_child(sub, path, "hold"),
					  "expected \"step\" or \"linear\"");
	}
	if (!in->sensor)
		in->sensor = xstrdup(name);
	*in->slot = in->dflt;
	return 0;
}

static int compile(const struct ctx *c, const char *path, json_t *v, struct tw_expr **x)
{
	struct tw_err why;

	if (!json_is_string(v))
		return tw_jc_fail(&c->jc, path, "expected a string (an expression)");
	if (!(*x = tw_expr_compile(c->m->scope, json_string_value(v), false, &why)))
		return tw_jc_fail(&c->jc, path, "%s", why.msg);
	return 0;
}

/* An output's attributes; its expression is compiled later. */
static int load_output(const struct ctx *c, const char *path, const char *name,
		       json_t *v, struct formula *o)
{
	char sub[TW_JC_PATH_BUF];

	if (tw_jc_need_object(&c->jc, path, v) < 0 ||
	    tw_jc_known_keys(&c->jc, path, v, OUTPUT_KEYS) < 0)
		return -1;
	if (!json_object_get(v, "expr"))
		return tw_jc_fail(&c->jc, tw_jc_child(sub, path, "expr"), "missing");
	o->noise = 0;
	if (tw_jc_number(&c->jc, path, v, "noise", 0, &o->noise) < 0 ||
	    opt_string(c, path, v, "unit", &o->unit) < 0 ||
	    opt_string(c, path, v, "sensor", &o->sensor) < 0)
		return -1;
	if (o->noise < 0)
		return tw_jc_fail(&c->jc, tw_jc_child(sub, path, "noise"), "must not be negative");
	if (!o->sensor)
		o->sensor = xstrdup(name);
	return 0;
}

/* ---- Order of evaluation ---- */

/* A graph over n formulas f (variables, or outputs): an edge i -> j
 * when f[i] uses f[j].  dfs appends each node after the nodes it uses,
 * so order[] is an order of evaluation; path[] is the current chain. */
struct graph {
	const struct ctx *c;
	const char *what;             /* "model.variables" ... */
	struct formula *f;
	int n;
	char *mark;                   /* 0 new, 1 on the path, 2 done */
	int *path, depth;
	int *order, norder;
};

static int dfs(struct graph *g, int i)
{
	const struct tw_expr *x = g->f[i].x;

	if (g->mark[i] == 2)
		return 0;
	if (g->mark[i] == 1) {
		/* A cycle: from i's place on the path back to i. */
		char buf[400] = "";
		size_t len = 0;
		int k = g->depth - 1;
		while (k > 0 && g->path[k] != i)
			k--;
		for (; k < g->depth && len < sizeof buf - 1; k++)
			len += (size_t)snprintf(buf + len, sizeof buf - len, "%s -> ",
						g->f[g->path[k]].name);
		if (len < sizeof buf - 1)
			snprintf(buf + len, sizeof buf - len, "%s", g->f[i].name);
		return tw_jc_fail(&g->c->jc, g->what, "cycle: %s", buf);
	}
	g->mark[i] = 1;
	g->path[g->depth++] = i;
	for (int k = 0; k < tw_expr_nvars(x); k++) {
		const double *slot = tw_expr_scope_find(g->c->m->scope, tw_expr_var(x, k));
		for (int j = 0; j < g->n; j++)
			if (g->f[j].slot == slot && dfs(g, j) < 0)
				return -1;
	}
	g->depth--;
	g->mark[i] = 2;
	g->order[g->norder++] = i;
	return 0;
}

/* The order of evaluation of f[0..n) into order[]. */
static int sort(const struct ctx *c, const char *what, struct formula *f, int n, int *order)
{
	struct graph g = { c, what, f, n, xcalloc((size_t)n, 1),
			   xcalloc((size_t)n, sizeof(int)), 0, order, 0 };
	int rc = 0;

	for (int i = 0; i < n && rc == 0; i++)
		rc = dfs(&g, i);
	free(g.mark);
	free(g.path);
	return rc;
}

/* Derivatives and variables run before outputs: they cannot use them. */
static int no_outputs(const struct ctx *c, const char *path, const struct tw_expr *x)
{
	const struct tw_model *m = c->m;

	for (int k = 0; k < tw_expr_nvars(x); k++) {
		const double *slot = tw_expr_scope_find(m->scope, tw_expr_var(x, k));
		for (int j = 0; j < m->nout; j++)
			if (m->out[j].slot == slot)
				return tw_jc_fail(&c->jc, path, "uses the output '%s' (only "
						  "outputs may use outputs)", m->out[j].name);
	}
	return 0;
}

/* ---- Loading ---- */

static int load(const struct ctx *c, json_t *sec)
{
	struct tw_model *m = c->m;
	json_t *states, *params, *inputs, *vars, *derivs, *outs, *v;
	char sub[TW_JC_PATH_BUF], sub2[TW_JC_PATH_BUF];
	const char *key;
	int i, *order;

	if (tw_jc_need_object(&c->jc, "model", sec) < 0 ||
	    tw_jc_known_keys(&c->jc, "model", sec, MODEL_KEYS) < 0)
		return -1;
	if ((v = json_object_get(sec, "comment")) && json_is_string(v))
		m->comment = xstrdup(json_string_value(v));
	states = json_object_get(sec, "states");
	params = json_object_get(sec, "parameters");
	inputs = json_object_get(sec, "inputs");
	vars = json_object_get(sec, "variables");
	derivs = json_object_get(sec, "derivatives");
	outs = json_object_get(sec, "outputs");
	if (!states)
		return tw_jc_fail(&c->jc, "model.states", "missing");
	if (tw_jc_need_object(&c->jc, "model.states", states) < 0 ||
	    (params && tw_jc_need_object(&c->jc, "model.parameters", params) < 0) ||
	    (inputs && tw_jc_need_object(&c->jc, "model.inputs", inputs) < 0) ||
	    (vars && tw_jc_need_object(&c->jc, "model.variables", vars) < 0) ||
	    (derivs && tw_jc_need_object(&c->jc, "model.derivatives", derivs) < 0) ||
	    (outs && tw_jc_need_object(&c->jc, "model.outputs", outs) < 0))
		return -1;
	if (!tw_jc_members(states))
		return tw_jc_fail(&c->jc, "model.states", "a model needs at least one state");
	if (!derivs)
		return tw_jc_fail(&c->jc, "model.derivatives", "missing");

	m->st = xcalloc(tw_jc_members(states), sizeof *m->st);
	m->par = xcalloc(params ? tw_jc_members(params) : 0, sizeof *m->par);
	m->in = xcalloc(inputs ? tw_jc_members(inputs) : 0, sizeof *m->in);
	m->var = xcalloc(vars ? tw_jc_members(vars) : 0, sizeof *m->var);
	m->out = xcalloc(outs ? tw_jc_members(outs) : 0, sizeof *m->out);
	m->out_order = xcalloc(outs ? tw_jc_members(outs) : 0, sizeof *m->out_order);

	/* Names and attributes. */
	TW_JC_FOREACH_MEMBER(states, key, v) {
		struct state *s = &m->st[m->nst];
		tw_jc_child(sub, "model.states", key);
		if (declare(c, sub, key, &s->slot) < 0)
			return -1;
		s->name = xstrdup(key);
		m->nst++;  /* counted now, so that free sees what follows */
		if (load_state(c, sub, v, s) < 0)
			return -1;
	}
	if (params)
		TW_JC_FOREACH_MEMBER(params, key, v) {
			struct param *p = &m->par[m->npar];
			tw_jc_child(sub, "model.parameters", key);
			if (declare(c, sub, key, &p->slot) < 0)
				return -1;
			p->name = xstrdup(key);
			m->npar++;
			if (load_param(c, sub, v, p) < 0)
				return -1;
		}
	if (inputs)
		TW_JC_FOREACH_MEMBER(inputs, key, v) {
			struct input *in = &m->in[m->nin];
			tw_jc_child(sub, "model.inputs", key);
			if (declare(c, sub, key, &in->slot) < 0)
				return -1;
			in->name = xstrdup(key);
			m->nin++;
			if (load_input(c, sub, key, v, in) < 0)
				return -1;
		}
	if (vars)
		TW_JC_FOREACH_MEMBER(vars, key, v) {
			struct formula *f = &m->var[m->nvar];
			tw_jc_child(sub, "model.variables", key);
			if (declare(c, sub, key, &f->slot) < 0)
				return -1;
			f->name = xstrdup(key);
			m->nvar++;
		}
	if (outs)
		TW_JC_FOREACH_MEMBER(outs, key, v) {
			struct formula *f = &m->out[m->nout];
			tw_jc_child(sub, "model.outputs", key);
			if (declare(c, sub, key, &f->slot) < 0)
				return -1;
			f->name = xstrdup(key);
			m->nout++;
			if (load_output(c, sub, key, v, f) < 0)
				return -1;
		}

	/* Expressions, now that every name is known. */
	for (i = 0; i < m->nvar; i++) {
		tw_jc_child(sub, "model.variables", m->var[i].name);
		if (compile(c, sub, json_object_get(vars, m->var[i].name), &m->var[i].x) < 0 ||
		    no_outputs(c, sub, m->var[i].x) < 0)
			return -1;
	}
	TW_JC_FOREACH_MEMBER(derivs, key, v) {
		int s = tw_model_state_index(m, key);
		tw_jc_child(sub, "model.derivatives", key);
		if (s < 0)
			return tw_jc_fail(&c->jc, sub, "not a state (each state has one "
					  "derivative, under the state's name)");
		if (compile(c, sub, v, &m->st[s].deriv) < 0 ||
		    no_outputs(c, sub, m->st[s].deriv) < 0)
			return -1;
	}
	for (i = 0; i < m->nst; i++) {
		if (m->st[i].deriv)
			continue;
		tw_jc_child(sub, "model.derivatives", m->st[i].name);
		return tw_jc_fail(&c->jc, sub, "missing (the state %s needs a derivative)",
				  m->st[i].name);
	}
	for (i = 0; i < m->nout; i++) {
		tw_jc_child(sub, "model.outputs", m->out[i].name);
		if (compile(c, tw_jc_child(sub2, sub, "expr"),
			    json_object_get(json_object_get(outs, m->out[i].name), "expr"),
			    &m->out[i].x) < 0)
			return -1;
	}

	/* Orders of evaluation: variables are sorted in place. */
	order = xcalloc((size_t)m->nvar, sizeof *order);
	if (sort(c, "model.variables", m->var, m->nvar, order) == 0) {
		struct formula *sorted = xcalloc((size_t)m->nvar, sizeof *sorted);
		for (i = 0; i < m->nvar; i++)
			sorted[i] = m->var[order[i]];
		free(m->var);
		m->var = sorted;
		free(order);
	} else {
		free(order);
		return -1;
	}
	return sort(c, "model.outputs", m->out, m->nout, m->out_order);
}

/* ---- Co-simulation units ----
 *
 * A section with an "fmu" member: the unit's parameters, inputs and
 * outputs become the model's, without states (the unit keeps its own);
 * ode.c hands each step to tw_model_fmu_step.  The unit is started
 * (instantiated, or reset, with the parameters and inputs as they are
 * then, and initialized) by the first step or output after loading or
 * tw_model_restart, at that time. */

static const char *const FMU_MODEL_KEYS[] = { "fmu", "parameters", "inputs", "outputs", NULL };
static const char *const FMU_OUTPUT_KEYS[] = { "noise", "unit", "sensor", NULL };

/* A parameter of the unit the twin can set: causality parameter,
 * fixed or tunable, not a String. */
static bool fmu_param(const struct tw_fmu_var *v)
{
	return v->causality == TW_FMU_PARAMETER && v->type != TW_FMU_STRING &&
	       (v->variability == TW_FMU_FIXED || v->variability == TW_FMU_TUNABLE);
}

/* The unit's variable key, which must be of causality want (or, for
 * outputs, any but input); -1 with a message at path. */
static int fmu_lookup(const struct ctx *c, const char *path, const char *key,
		      enum tw_fmu_causality want)
{
	const struct tw_fmu *f = c->m->fmu;
	int i = tw_fmu_find(f, key);

	if (i < 0)
		return tw_jc_fail(&c->jc, path, "the FMU %s has no variable '%s'", tw_fmu_path(f), key);
	const struct tw_fmu_var *v = tw_fmu_var(f, i);
	if (v->type == TW_FMU_STRING)
		return tw_jc_fail(&c->jc, path, "a String variable of the FMU: not supported");
	if (want == TW_FMU_PARAMETER && !fmu_param(v))
		return tw_jc_fail(&c->jc, path, "not a parameter of the FMU %s (its causality is %s)",
				  tw_fmu_path(f), tw_fmu_causality_name(v->causality));
	if (want == TW_FMU_INPUT && v->causality != TW_FMU_INPUT)
		return tw_jc_fail(&c->jc, path, "not an input of the FMU %s (its causality is %s)",
				  tw_fmu_path(f), tw_fmu_causality_name(v->causality));
	if (want == TW_FMU_OUTPUT && v->causality == TW_FMU_INPUT)
		return tw_jc_fail(&c->jc, path, "an input of the FMU %s, not something it computes",
				  tw_fmu_path(f));
	return i;
}

/* The unit's path: relative to the twin description's folder. */
static char *fmu_resolve(const char *file, const char *name)
{
	const char *slash = file ? strrchr(file, '/') : NULL;
	char *p;

	if (name[0] == '/' || !slash)
		return xstrdup(name);
	if (!(p = malloc((size_t)(slash - file) + 2 + strlen(name))))
		abort();
	sprintf(p, "%.*s/%s", (int)(slash - file), file, name);
	return p;
}

static int load_fmu(const struct ctx *c, json_t *sec)
{
	struct tw_model *m = c->m;
	json_t *params, *inputs, *outs, *v;
	const char *name, *key;
	char sub[TW_JC_PATH_BUF];
	struct tw_err why;
	int nf, i, k;

	if (json_object_get(sec, "states") || json_object_get(sec, "derivatives") ||
	    json_object_get(sec, "variables"))
		return tw_jc_fail(&c->jc, "model", "a model is equations (states, derivatives) or "
				  "an FMU (fmu), not both");
	if (tw_jc_known_keys(&c->jc, "model", sec, FMU_MODEL_KEYS) < 0 ||
	    tw_jc_string(&c->jc, "model", sec, "fmu", TW_JC_NONEMPTY, &name) < 0)
		return -1;
	if ((v = json_object_get(sec, "comment")) && json_is_string(v))
		m->comment = xstrdup(json_string_value(v));
	params = json_object_get(sec, "parameters");
	inputs = json_object_get(sec, "inputs");
	outs = json_object_get(sec, "outputs");
	if ((params && tw_jc_need_object(&c->jc, "model.parameters", params) < 0) ||
	    (inputs && tw_jc_need_object(&c->jc, "model.inputs", inputs) < 0) ||
	    (outs && tw_jc_need_object(&c->jc, "model.outputs", outs) < 0))
		return -1;
	char *path = fmu_resolve(c->jc.file, name);
	m->fmu = tw_fmu_open(path, &why);
	free(path);
	if (!m->fmu)
		return tw_err_set(c->jc.e, "%s", why.msg);
	nf = tw_fmu_nvars(m->fmu);
	m->par = xcalloc((size_t)nf, sizeof *m->par);
	m->in = xcalloc((size_t)nf, sizeof *m->in);
	m->out = xcalloc((size_t)nf, sizeof *m->out);
	m->out_order = xcalloc((size_t)nf, sizeof *m->out_order);
	m->par_var = xcalloc((size_t)nf, sizeof *m->par_var);
	m->in_var = xcalloc((size_t)nf, sizeof *m->in_var);
	m->out_var = xcalloc((size_t)nf, sizeof *m->out_var);
	m->par_dirty = xcalloc((size_t)nf, sizeof *m->par_dirty);
	m->fvals = xcalloc(3 * (size_t)nf, sizeof *m->fvals);

	/* Every parameter of the unit, at its start value unless the
	 * description gives another. */
	if (params)
		TW_JC_FOREACH_MEMBER(params, key, v)
			if (fmu_lookup(c, tw_jc_child(sub, "model.parameters", key), key,
				       TW_FMU_PARAMETER) < 0)
				return -1;
	for (i = 0; i < nf; i++) {
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, i);
		if (!fmu_param(fv))
			continue;
		struct param *p = &m->par[m->npar];
		p->name = xstrdup(fv->name);
		p->slot = &m->fvals[m->npar];
		m->par_var[m->npar++] = i;
		v = params ? json_object_get(params, fv->name) : NULL;
		if (v) {
			if (load_param(c, tw_jc_child(sub, "model.parameters", fv->name), v, p) < 0)
				return -1;
		} else {
			p->value = fv->has_start ? fv->start : 0;
			p->min = fv->min;
			p->max = fv->max;
			*p->slot = p->value;
		}
		if (!p->unit && fv->unit)
			p->unit = xstrdup(fv->unit);
	}

	/* The inputs the description names, else every input of the unit. */
	for (i = 0; i < nf; i++) {
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, i);
		if (fv->causality == TW_FMU_INPUT && fv->type != TW_FMU_STRING &&
		    !(inputs && tw_jc_members(inputs)))
			m->in_var[m->nin++] = i;
	}
	if (inputs && tw_jc_members(inputs))
		TW_JC_FOREACH_MEMBER(inputs, key, v) {
			tw_jc_child(sub, "model.inputs", key);
			if ((k = fmu_lookup(c, sub, key, TW_FMU_INPUT)) < 0)
				return -1;
			m->in_var[m->nin++] = k;
		}
	for (i = 0; i < m->nin; i++) {
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, m->in_var[i]);
		struct input *in = &m->in[i];
		in->name = xstrdup(fv->name);
		in->slot = &m->fvals[nf + i];
		v = inputs ? json_object_get(inputs, fv->name) : NULL;
		if (v) {
			if (load_input(c, tw_jc_child(sub, "model.inputs", fv->name), fv->name, v, in) < 0)
				return -1;
			if (!json_object_get(v, "default"))
				*in->slot = in->dflt = fv->has_start ? fv->start : 0;
		} else {
			in->sensor = xstrdup(fv->name);
			*in->slot = in->dflt = fv->has_start ? fv->start : 0;
		}
		if (!in->unit && fv->unit)
			in->unit = xstrdup(fv->unit);
	}

	/* The outputs the description names, else every output. */
	for (i = 0; i < nf && !(outs && tw_jc_members(outs)); i++) {
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, i);
		if (fv->causality == TW_FMU_OUTPUT && fv->type != TW_FMU_STRING)
			m->out_var[m->nout++] = i;
	}
	if (outs && tw_jc_members(outs))
		TW_JC_FOREACH_MEMBER(outs, key, v) {
			tw_jc_child(sub, "model.outputs", key);
			if ((k = fmu_lookup(c, sub, key, TW_FMU_OUTPUT)) < 0)
				return -1;
			m->out_var[m->nout++] = k;
		}
	for (i = 0; i < m->nout; i++) {
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, m->out_var[i]);
		struct formula *o = &m->out[i];
		o->name = xstrdup(fv->name);
		o->slot = &m->fvals[2 * (size_t)nf + i];
		m->out_order[i] = i;
		v = outs ? json_object_get(outs, fv->name) : NULL;
		if (v) {
			tw_jc_child(sub, "model.outputs", fv->name);
			if (tw_jc_need_object(&c->jc, sub, v) < 0 ||
			    tw_jc_known_keys(&c->jc, sub, v, FMU_OUTPUT_KEYS) < 0 ||
			    tw_jc_number(&c->jc, sub, v, "noise", 0, &o->noise) < 0 ||
			    opt_string(c, sub, v, "unit", &o->unit) < 0 ||
			    opt_string(c, sub, v, "sensor", &o->sensor) < 0)
				return -1;
			if (o->noise < 0)
				return tw_jc_fail(&c->jc, tw_jc_child(sub, sub, "noise"),
						  "must not be negative");
		}
		if (!o->sensor)
			o->sensor = xstrdup(fv->name);
		if (!o->unit && fv->unit)
			o->unit = xstrdup(fv->unit);
	}
	return 0;
}

bool tw_model_is_fmu(const struct tw_model *m)
{
	return m->fmu != NULL;
}

struct tw_fmu *tw_model_fmu(const struct tw_model *m)
{
	return m->fmu;
}

const char *tw_model_failure(const struct tw_model *m)
{
	return m->failure.msg;
}

void tw_model_restart(struct tw_model *m)
{
	m->fmu_running = false;
}

/* Starts the unit at time t when it is not running. */
static int fmu_start(struct tw_model *m, double t, struct tw_err *e)
{
	int i;

	if (m->fmu_running)
		return 0;
	if ((m->fmu_used ? tw_fmu_reset(m->fmu, e) : tw_fmu_instantiate(m->fmu, e)) < 0)
		return -1;
	m->fmu_used = true;
	for (i = 0; i < m->npar; i++) {
		if (tw_fmu_set(m->fmu, m->par_var[i], *m->par[i].slot, e) < 0)
			return -1;
		m->par_dirty[i] = false;
	}
	for (i = 0; i < m->nin; i++)
		if (tw_fmu_set(m->fmu, m->in_var[i], *m->in[i].slot, e) < 0)
			return -1;
	if (tw_fmu_init(m->fmu, t, e) < 0)
		return -1;
	m->fmu_running = true;
	return 0;
}

/* The inputs, and the parameters changed since the start, into the unit. */
static int fmu_push(struct tw_model *m, struct tw_err *e)
{
	for (int i = 0; i < m->npar; i++) {
		if (!m->par_dirty[i])
			continue;
		const struct tw_fmu_var *fv = tw_fmu_var(m->fmu, m->par_var[i]);
		if (fv->variability != TW_FMU_TUNABLE)
			return tw_err_set(e, "%s: the parameter %s is fixed: it can change before the "
					  "run starts, not during it", tw_fmu_path(m->fmu), fv->name);
		if (tw_fmu_set(m->fmu, m->par_var[i], *m->par[i].slot, e) < 0)
			return -1;
		m->par_dirty[i] = false;
	}
	for (int i = 0; i < m->nin; i++)
		if (tw_fmu_set(m->fmu, m->in_var[i], *m->in[i].slot, e) < 0)
			return -1;
	return 0;
}

int tw_model_fmu_step(struct tw_model *m, double t, double t1, struct tw_err *e)
{
	if (fmu_start(m, t, e) < 0 || fmu_push(m, e) < 0)
		return -1;
	if (t1 > t && tw_fmu_step(m->fmu, t, t1 - t, e) < 0)
		return -1;
	return 0;
}

static int fmu_outputs(struct tw_model *m, double t, double out[])
{
	struct tw_err *e = &m->failure;

	for (int i = 0; i < m->nout; i++)
		out[i] = NAN;
	if (fmu_start(m, t, e) < 0 || fmu_push(m, e) < 0)
		return -1;
	for (int i = 0; i < m->nout; i++)
		if (tw_fmu_get(m->fmu, m->out_var[i], &out[i], e) < 0)
			return -1;
	return 0;
}

struct tw_model *tw_model_load(const json_t *section, const char *file, struct tw_err *e)
{
	struct tw_model *m = xcalloc(1, sizeof *m);
	struct ctx c = { { file, e }, m };

	m->scope = tw_expr_scope_new();
	m->t = tw_expr_scope_var(m->scope, "t");
	*m->t = 0;
	m->bad_state = -1;
	if (!section) {
		tw_jc_fail(&c.jc, "", "no model section");
		tw_model_free(m);
		return NULL;
	}
	/* jansson's iteration takes a json_t *; nothing here modifies it. */
	if (json_is_object(section) && json_object_get(section, "fmu")) {
		if (load_fmu(&c, (json_t *)section) < 0) {
			tw_model_free(m);
			return NULL;
		}
		return m;
	}
	if (load(&c, (json_t *)section) < 0) {
		tw_model_free(m);
		return NULL;
	}
	return m;
}

void tw_model_free(struct tw_model *m)
{
	int i;

	if (!m)
		return;
	for (i = 0; i < m->nst; i++) {
		free(m->st[i].name);
		free(m->st[i].unit);
		tw_expr_free(m->st[i].deriv);
	}
	for (i = 0; i < m->npar; i++) {
		free(m->par[i].name);
		free(m->par[i].unit);
	}
	for (i = 0; i < m->nin; i++) {
		free(m->in[i].name);
		free(m->in[i].unit);
		free(m->in[i].sensor);
	}
	for (i = 0; i < m->nvar; i++) {
		free(m->var[i].name);
		tw_expr_free(m->var[i].x);
	}
	for (i = 0; i < m->nout; i++) {
		free(m->out[i].name);
		free(m->out[i].unit);
		free(m->out[i].sensor);
		tw_expr_free(m->out[i].x);
	}
	free(m->st);
	free(m->par);
	free(m->in);
	free(m->var);
	free(m->out);
	free(m->out_order);
	free(m->comment);
	tw_fmu_close(m->fmu);
	free(m->fvals), free(m->par_var), free(m->in_var), free(m->out_var), free(m->par_dirty);
	tw_expr_scope_free(m->scope);  /* after the expressions that borrow it */
	free(m);
}

/* ---- Queries ---- */

const char *tw_model_comment(const struct tw_model *m) { return m->comment; }
int tw_model_nstates(const struct tw_model *m) { return m->nst; }
int tw_model_nparams(const struct tw_model *m) { return m->npar; }
int tw_model_ninputs(const struct tw_model *m) { return m->nin; }
int tw_model_noutputs(const struct tw_model *m) { return m->nout; }

int tw_model_state_index(const struct tw_model *m, const char *name)
{
	for (int i = 0; i < m->nst; i++)
		if (strcmp(m->st[i].name, name) == 0)
			return i;
	return -1;
}

int tw_model_param_index(const struct tw_model *m, const char *name)
{
	for (int i = 0; i < m->npar; i++)
		if (strcmp(m->par[i].name, name) == 0)
			return i;
	return -1;
}

int tw_model_input_index(const struct tw_model *m, const char *name)
{
	for (int i = 0; i < m->nin; i++)
		if (strcmp(m->in[i].name, name) == 0)
			return i;
	return -1;
}

int tw_model_output_index(const struct tw_model *m, const char *name)
{
	for (int i = 0; i < m->nout; i++)
		if (strcmp(m->out[i].name, name) == 0)
			return i;
	return -1;
}

const char *tw_model_state_name(const struct tw_model *m, int i) { return m->st[i].name; }
const char *tw_model_state_unit(const struct tw_model *m, int i) { return m->st[i].unit; }
double tw_model_state_initial(const struct tw_model *m, int i) { return m->st[i].initial; }

const char *tw_model_param_name(const struct tw_model *m, int i) { return m->par[i].name; }
const char *tw_model_param_unit(const struct tw_model *m, int i) { return m->par[i].unit; }
double tw_model_param_value(const struct tw_model *m, int i) { return m->par[i].value; }
double tw_model_param_min(const struct tw_model *m, int i) { return m->par[i].min; }
double tw_model_param_max(const struct tw_model *m, int i) { return m->par[i].max; }
double tw_model_param_get(const struct tw_model *m, int i) { return *m->par[i].slot; }

void tw_model_param_set(struct tw_model *m, int i, double v)
{
	if (m->fmu && m->fmu_running && *m->par[i].slot != v)
		m->par_dirty[i] = true;
	*m->par[i].slot = v;
}

const char *tw_model_input_name(const struct tw_model *m, int i) { return m->in[i].name; }
const char *tw_model_input_unit(const struct tw_model *m, int i) { return m->in[i].unit; }
const char *tw_model_input_sensor(const struct tw_model *m, int i) { return m->in[i].sensor; }
double tw_model_input_default(const struct tw_model *m, int i) { return m->in[i].dflt; }
enum tw_model_hold tw_model_input_hold(const struct tw_model *m, int i) { return m->in[i].hold; }
double tw_model_input_get(const struct tw_model *m, int i) { return *m->in[i].slot; }
void tw_model_input_set(struct tw_model *m, int i, double v) { *m->in[i].slot = v; }

const char *tw_model_output_name(const struct tw_model *m, int i) { return m->out[i].name; }
const char *tw_model_output_unit(const struct tw_model *m, int i) { return m->out[i].unit; }
const char *tw_model_output_sensor(const struct tw_model *m, int i) { return m->out[i].sensor; }
double tw_model_output_noise(const struct tw_model *m, int i) { return m->out[i].noise; }

/* ---- Evaluation ---- */

/* t, the states and the variables into their slots. */
static void prepare(struct tw_model *m, double t, const double y[])
{
	int i;

	*m->t = t;
	for (i = 0; i < m->nst; i++)
		*m->st[i].slot = y[i];
	for (i = 0; i < m->nvar; i++)
		*m->var[i].slot = tw_expr_eval(m->var[i].x);
}

int tw_model_rhs(struct tw_model *m, double t, const double y[], double dydt[])
{
	prepare(m, t, y);
	for (int i = 0; i < m->nst; i++) {
		dydt[i] = tw_expr_eval(m->st[i].deriv);
		if (!isfinite(dydt[i])) {
			m->bad_state = i;
			return GSL_EBADFUNC;
		}
	}
	return GSL_SUCCESS;
}

int tw_model_bad_state(const struct tw_model *m)
{
	return m->bad_state;
}

int tw_model_outputs(struct tw_model *m, double t, const double y[], double out[])
{
	int i;

	if (m->fmu)
		return fmu_outputs(m, t, out);
	prepare(m, t, y);
	for (i = 0; i < m->nout; i++) {
		struct formula *o = &m->out[m->out_order[i]];
		*o->slot = tw_expr_eval(o->x);
	}
	for (i = 0; i < m->nout; i++)
		out[i] = *m->out[i].slot;
	return 0;
}
