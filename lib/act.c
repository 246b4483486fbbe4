/* act.c - see act.h */
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "act.h"
#include "expr.h"
#include "jsonw.h"
#include "num.h"
#include "record.h"
#include "shard.h"
#include "strmap.h"
#include "timestamp.h"

struct ac_rule {
	const struct tw_rule *r;
	struct tw_expr *when, *clear, *setpoint;
	struct tw_expr **set;
	bool active, holding;        /* fired; condition holding since `since` */
	int64_t since;
	bool has_fired;
	int64_t last_fired;
	/* PID */
	bool pid_started;
	double integral, prev_measured;
	int64_t prev_ts;
};

/* The last value of a target's field, commanded or reported (the
 * newer), and when it was last commanded: the rate of change is
 * measured from that command. */
struct ac_field {
	char *key;                   /* "target.field" */
	double value;
	int64_t ts;
	bool known;
	int64_t cmd_ts;
	bool commanded;
};

struct ac_pending {
	char *id, *target, *field;
	double desired, tolerance;
	int64_t deadline;            /* 0: none */
	char *rule;
};

struct ac_asset {
	char *name;
	size_t nlen;
	struct tw_buf head;          /* ,"asset":"name" */
	struct tw_expr_scope *scope;
	struct ac_rule *rules;       /* the rules for this asset, by priority */
	int nrules;
	struct tw_expr ***interlocks; /* per target, per interlock */
	struct ac_field *fields;
	int nfields;
	struct ac_pending *pending;
	int npending;
};

struct tw_act {
	struct tw_act_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	struct tw_act_stats st;
	struct tw_strmap index;
	struct ac_asset **assets;
	int nassets;
	struct tw_rec rec;
	struct tw_buf line, audit, scratch;
	const char *file;
	long long lineno;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

/* --- assets ------------------------------------------------------------------- */

static int by_priority(const void *a, const void *b)
{
	const struct ac_rule *x = a, *y = b;
	if (x->r->priority != y->r->priority)
		return y->r->priority - x->r->priority;
	return (x->r > y->r) - (x->r < y->r);     /* then file order */
}

static struct tw_expr *compile(struct ac_asset *x, const char *text)
{
	struct tw_err e;
	/* The rules were checked when loaded: this cannot fail. */
	struct tw_expr *c = tw_expr_compile(x->scope, text, true, &e);
	if (!c)
		abort();
	return c;
}

static struct ac_asset *asset_of(struct tw_act *a, const char *name, size_t len)
{
	intptr_t k = (intptr_t)tw_strmap_get(&a->index, name, len);
	if (k)
		return a->assets[k - 1];
	struct ac_asset *x = calloc(1, sizeof *x);
	if (!x)
		abort();
	x->name = strndup(name, len);
	x->nlen = len;
	tw_buf_adds(&x->head, ",\"asset\":");
	tw_jw_str(&x->head, name, len);
	x->scope = tw_expr_scope_new();
	const struct tw_rules *rs = a->o.rules;
	x->rules = calloc((size_t)rs->nrules + 1, sizeof *x->rules);
	for (int i = 0; i < rs->nrules; i++) {
		const struct tw_rule *r = &rs->rules[i];
		if (fnmatch(r->asset, x->name, 0) != 0)
			continue;
		struct ac_rule *c = &x->rules[x->nrules++];
		c->r = r;
		if (r->pid) {
			c->setpoint = compile(x, r->setpoint);
			tw_expr_scope_var(x->scope, r->measured);
			continue;
		}
		c->when = compile(x, r->when);
		c->clear = r->clear ? compile(x, r->clear) : NULL;
		c->set = calloc((size_t)r->nset + 1, sizeof *c->set);
		for (int f = 0; f < r->nset; f++)
			c->set[f] = compile(x, r->set[f].expr);
	}
	qsort(x->rules, (size_t)x->nrules, sizeof *x->rules, by_priority);
	x->interlocks = calloc((size_t)rs->ntargets + 1, sizeof *x->interlocks);
	for (int t = 0; t < rs->ntargets; t++) {
		x->interlocks[t] = calloc((size_t)rs->targets[t].ninterlocks + 1, sizeof **x->interlocks);
		for (int i = 0; i < rs->targets[t].ninterlocks; i++)
			x->interlocks[t][i] = compile(x, rs->targets[t].interlocks[i]);
	}
	a->assets = xrealloc(a->assets, (size_t)(a->nassets + 1) * sizeof *a->assets);
	a->assets[a->nassets++] = x;
	tw_strmap_put(&a->index, name, len, (void *)(intptr_t)a->nassets);
	return x;
}

static void pending_free(struct ac_pending *p)
{
	free(p->id), free(p->target), free(p->field), free(p->rule);
}

static void asset_free(struct ac_asset *x, const struct tw_rules *rs)
{
	for (int i = 0; i < x->nrules; i++) {
		struct ac_rule *c = &x->rules[i];
		tw_expr_free(c->when), tw_expr_free(c->clear), tw_expr_free(c->setpoint);
		for (int f = 0; c->set && f < c->r->nset; f++)
			tw_expr_free(c->set[f]);
		free(c->set);
	}
	for (int t = 0; t < rs->ntargets; t++) {
		for (int i = 0; i < rs->targets[t].ninterlocks; i++)
			tw_expr_free(x->interlocks[t][i]);
		free(x->interlocks[t]);
	}
	free(x->interlocks);
	for (int i = 0; i < x->nfields; i++)
		free(x->fields[i].key);
	for (int i = 0; i < x->npending; i++)
		pending_free(&x->pending[i]);
	free(x->fields), free(x->pending), free(x->rules);
	tw_expr_scope_free(x->scope);
	tw_buf_release(&x->head);
	free(x->name);
	free(x);
}

struct tw_act *tw_act_new(const struct tw_act_opts *o, struct tw_out *out, struct tw_diag *d,
			  struct tw_err *e)
{
	struct tw_act *a = calloc(1, sizeof *a);
	if (!a) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	a->o = *o;
	a->out = out;
	a->diag = d;
	tw_rec_init(&a->rec);
	return a;
}

void tw_act_free(struct tw_act *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nassets; i++)
		asset_free(a->assets[i], a->o.rules);
	free(a->assets);
	tw_strmap_release(&a->index, NULL);
	tw_rec_release(&a->rec);
	tw_buf_release(&a->line), tw_buf_release(&a->audit), tw_buf_release(&a->scratch);
	free(a);
}

void tw_act_stats(const struct tw_act *a, struct tw_act_stats *st)
{
	*st = a->st;
}

static struct ac_field *field_of(struct ac_asset *x, const char *target, const char *field)
{
	char key[256];
	snprintf(key, sizeof key, "%s.%s", target, field);
	for (int i = 0; i < x->nfields; i++)
		if (strcmp(x->fields[i].key, key) == 0)
			return &x->fields[i];
	x->fields = xrealloc(x->fields, (size_t)(x->nfields + 1) * sizeof *x->fields);
	struct ac_field *f = &x->fields[x->nfields++];
	*f = (struct ac_field){ xstrdup(key), NAN, 0, false, 0, false };
	return f;
}

/* --- writing ------------------------------------------------------------------- */


static void put_str(struct tw_buf *b, const char *s)
{
	tw_jw_str(b, s, strlen(s));
}

static void put_head(struct tw_buf *b, int64_t ts, const struct ac_asset *x, const char *kind)
{
	char stamp[TW_TIME_MAX];
	b->len = 0;
	tw_buf_adds(b, "{\"ts\":\"");
	tw_buf_add(b, stamp, tw_time_format(ts, stamp));
	tw_buf_addc(b, '"');
	tw_buf_add(b, x->head.p, x->head.len);
	tw_buf_adds(b, ",\"kind\":");
	put_str(b, kind);
}

/* The deterministic id of what a rule does for an asset at a time. */
static void make_id(char *id, size_t n, const char *rule, const struct ac_asset *x, int64_t ts)
{
	char stamp[TW_TIME_MAX];
	tw_time_format(ts, stamp);
	snprintf(id, n, "%s/%s/%s", rule, x->name, stamp);
}

/* "because": the rule's condition and the values it read. */
static void put_because(struct tw_buf *b, const struct ac_asset *x, const struct ac_rule *c)
{
	const struct tw_expr *ex = c->when ? c->when : c->setpoint;
	tw_buf_adds(b, ",\"because\":{\"rule\":");
	put_str(b, c->r->name);
	tw_buf_adds(b, c->when ? ",\"when\":" : ",\"setpoint\":");
	put_str(b, tw_expr_text(ex));
	tw_buf_adds(b, ",\"values\":{");
	int n = 0;
	bool measured_listed = false;
	for (int i = 0; i < tw_expr_nvars(ex); i++)
		measured_listed |= c->r->pid && strcmp(tw_expr_var(ex, i), c->r->measured) == 0;
	for (int i = 0; i < tw_expr_nvars(ex) + (c->r->pid && !measured_listed ? 1 : 0); i++) {
		const char *name = i < tw_expr_nvars(ex) ? tw_expr_var(ex, i) : c->r->measured;
		const double *v = tw_expr_scope_find(x->scope, name);
		if (n++)
			tw_buf_addc(b, ',');
		put_str(b, name);
		tw_buf_addc(b, ':');
		tw_jw_num(b, v ? *v : NAN);
	}
	tw_buf_adds(b, "}}");
}

/* Writes the complete record b to the output. */
static void emit(struct tw_act *a, const struct tw_buf *b)
{
	tw_buf_add(&a->out->b, b->p, b->len);
	tw_buf_addc(&a->out->b, '\n');
	if (a->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(a->out);
}

/* Appends a decision to the audit trail: the record's own text with
 * "decision" set (the record b is complete, closing brace included). */
static int audit(struct tw_act *a, const struct tw_buf *b, const char *decision, struct tw_err *e)
{
	if (!a->o.audit)
		return 0;
	if (!decision)     /* the record carries its decision (a command) */
		return a->o.audit(a->o.ctx, b->p, b->len, e);
	a->audit.len = 0;
	tw_buf_add(&a->audit, b->p, b->len - 1);
	tw_buf_adds(&a->audit, ",\"decision\":");
	put_str(&a->audit, decision);
	tw_buf_addc(&a->audit, '}');
	return a->o.audit(a->o.ctx, a->audit.p, a->audit.len, e);
}

/* Fills a message template: {name} is a variable's value, {asset} and
 * {rule} the names; anything else is kept. */
static void fill(struct tw_buf *out, const char *tmpl, const struct ac_asset *x, const struct tw_rule *r)
{
	for (const char *p = tmpl; *p; p++) {
		const char *end = *p == '{' ? strchr(p, '}') : NULL;
		if (!end) {
			tw_buf_addc(out, *p);
			continue;
		}
		char name[128];
		size_t n = (size_t)(end - p - 1);
		if (n >= sizeof name) {
			tw_buf_addc(out, *p);
			continue;
		}
		memcpy(name, p + 1, n);
		name[n] = '\0';
		const double *v = tw_expr_scope_find(x->scope, name);
		if (strcmp(name, "asset") == 0) {
			tw_buf_adds(out, x->name);
		} else if (strcmp(name, "rule") == 0) {
			tw_buf_adds(out, r->name);
		} else if (v) {
			char num[TW_NUM_MAX];
			if (isfinite(*v))
				tw_buf_add(out, num, tw_num_format(*v, num));
			else
				tw_buf_adds(out, "?");
		} else {
			tw_buf_add(out, p, n + 2);
		}
		p = end;
	}
}

/* --- the envelope and commands ------------------------------------------------ */

/* Passes values (one per field) through the target's envelope: returns
 * "sent", "clamped" or "refused", with the reason in why. */
static const char *envelope(struct ac_asset *x, const struct tw_rules *rs, const char *target,
			    const char *const *fields, double *values, int n, int64_t ts,
			    char *why, size_t whylen)
{
	const char *decision = "sent";
	const struct tw_target *t = tw_rules_target(rs, target);
	why[0] = '\0';
	for (int i = 0; i < n; i++)
		if (!isfinite(values[i])) {
			snprintf(why, whylen, "%s is not a number", fields[i]);
			return "refused";
		}
	if (!t)
		return decision;        /* no envelope given for it */
	int ti = (int)(t - rs->targets);
	for (int i = 0; i < t->ninterlocks; i++) {
		const struct tw_expr *lock = x->interlocks[ti][i];
		double v = tw_expr_eval(x->interlocks[ti][i]);
		/* Fail safe: an interlock that cannot be evaluated (a sensor
		 * not heard from yet: NaN, which comparisons call false)
		 * forbids the command too. */
		for (int k = 0; k < tw_expr_nvars(lock); k++)
			if (isnan(*tw_expr_scope_find(x->scope, tw_expr_var(lock, k))))
				v = NAN;
		if (v != 0) {
			snprintf(why, whylen, isnan(v) ? "interlock %s is unknown" : "interlock %s holds",
				 t->interlocks[i]);
			return "refused";
		}
	}
	for (int i = 0; i < n; i++) {
		const struct tw_target_field *f = tw_target_field(t, fields[i]);
		double v = values[i], lo = f->min, hi = f->max;
		const struct ac_field *last = field_of(x, target, fields[i]);
		if (!isnan(f->rate) && last->known) {
			/* From the last command, or from the machine's report when
			 * nothing was commanded yet; no time passed, no change. */
			int64_t since = last->commanded ? last->cmd_ts : last->ts;
			double step = ts > since ? f->rate * tw_time_span(ts, since) / 1e9 : 0;
			double rlo = last->value - step, rhi = last->value + step;
			lo = isnan(lo) ? rlo : fmax(lo, rlo);
			hi = isnan(hi) ? rhi : fmin(hi, rhi);
			/* A machine outside its range leaves no value both within the
			 * range and the rate: the range is the hard limit. */
			if (lo > hi)
				lo = hi = rlo > f->max ? f->max : f->min;
		}
		if ((!isnan(lo) && v < lo) || (!isnan(hi) && v > hi)) {
			char num[TW_NUM_MAX], l[TW_NUM_MAX], h[TW_NUM_MAX], range[3 * TW_NUM_MAX];
			tw_num_format(v, num);
			if (isnan(lo))
				snprintf(range, sizeof range, "above its maximum %s", (tw_num_format(hi, h), h));
			else if (isnan(hi))
				snprintf(range, sizeof range, "below its minimum %s", (tw_num_format(lo, l), l));
			else
				snprintf(range, sizeof range, "outside [%s, %s]", (tw_num_format(lo, l), l),
					 (tw_num_format(hi, h), h));
			snprintf(why + strlen(why), whylen - strlen(why), "%s%s = %s %s",
				 why[0] ? "; " : "", fields[i], num, range);
			if (t->refuse)
				return "refused";
			values[i] = !isnan(lo) && v < lo ? lo : hi;
			decision = "clamped";
		}
	}
	return decision;
}

/* Decides, writes, audits and (armed) executes one command. */
static int command(struct tw_act *a, struct ac_asset *x, struct ac_rule *c, int64_t ts,
		   const char *const *fields, double *values, int n, struct tw_err *e)
{
	const struct tw_rules *rs = a->o.rules;
	const char *target = c->r->target;
	struct tw_buf *b = &a->line;
	char why[512], id[512];
	const char *decision = envelope(x, rs, target, fields, values, n, ts, why, sizeof why);

	make_id(id, sizeof id, c->r->name, x, ts);
	put_head(b, ts, x, "command");
	tw_buf_adds(b, ",\"target\":");
	put_str(b, target);
	tw_buf_adds(b, ",\"set\":{");
	for (int i = 0; i < n; i++) {
		if (i)
			tw_buf_addc(b, ',');
		put_str(b, fields[i]);
		tw_buf_addc(b, ':');
		tw_jw_num(b, values[i]);
	}
	tw_buf_adds(b, "},\"rule\":");
	put_str(b, c->r->name);
	tw_buf_adds(b, ",\"id\":");
	put_str(b, id);
	tw_buf_adds(b, ",\"decision\":");
	put_str(b, decision);
	if (why[0]) {
		tw_buf_adds(b, ",\"why\":");
		put_str(b, why);
	}
	tw_buf_adds(b, a->o.arm && strcmp(decision, "refused") ? ",\"armed\":true" : ",\"armed\":false");
	put_because(b, x, c);
	tw_buf_addc(b, '}');
	a->st.commands++;
	a->st.clamped += strcmp(decision, "clamped") == 0;
	a->st.refused += strcmp(decision, "refused") == 0;
	if (audit(a, b, NULL, e) < 0)
		return -1;
	emit(a, b);
	if (strcmp(decision, "refused") == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		struct ac_field *f = field_of(x, target, fields[i]);
		f->value = values[i], f->ts = ts, f->known = true;
		f->cmd_ts = ts, f->commanded = true;
		/* A newer command supersedes one still waiting for the machine. */
		for (int k = 0; k < x->npending;) {
			struct ac_pending *p = &x->pending[k];
			if (strcmp(p->target, target) == 0 && strcmp(p->field, fields[i]) == 0) {
				pending_free(p);
				x->pending[k] = x->pending[--x->npending];
			} else {
				k++;
			}
		}
		const struct tw_target *t = tw_rules_target(rs, target);
		const struct tw_target_field *tf = t ? tw_target_field(t, fields[i]) : NULL;
		if (tf && tf->reported) {
			int64_t deadline = 0;   /* none; past the end of time: never */
			if (c->r->deadline_ns && __builtin_add_overflow(ts, c->r->deadline_ns, &deadline))
				deadline = INT64_MAX;
			x->pending = xrealloc(x->pending, (size_t)(x->npending + 1) * sizeof *x->pending);
			x->pending[x->npending++] = (struct ac_pending){
				xstrdup(id), xstrdup(target), xstrdup(fields[i]), values[i], tf->tolerance,
				deadline, xstrdup(c->r->name),
			};
		}
	}
	if (!a->o.arm || !a->o.execute)
		return 0;
	/* The decision is on record (and the audit trail synced by the
	 * caller's execute) before the machine is touched. */
	struct tw_err why_exec;
	int rc = a->o.execute(a->o.ctx, b->p, b->len, &why_exec);
	put_head(&a->scratch, ts, x, "exec");
	tw_buf_adds(&a->scratch, ",\"id\":");
	put_str(&a->scratch, id);
	if (rc < 0) {
		a->st.failed++;
		tw_diag_say(a->diag, "%s: command %s failed: %s", x->name, id, why_exec.msg);
		tw_buf_adds(&a->scratch, ",\"error\":");
		put_str(&a->scratch, why_exec.msg);
	} else {
		a->st.executed++;
	}
	tw_buf_addc(&a->scratch, '}');
	return audit(a, &a->scratch, rc < 0 ? "failed" : "executed", e);
}

/* --- rules ------------------------------------------------------------------------ */

static bool truth(double v)
{
	return v != 0 && !isnan(v);
}

static int alert(struct tw_act *a, struct ac_asset *x, struct ac_rule *c, int64_t ts, bool fired,
		 struct tw_err *e)
{
	struct tw_buf *b = &a->line;
	char id[512];
	make_id(id, sizeof id, c->r->name, x, ts);
	put_head(b, ts, x, "alert");
	tw_buf_adds(b, ",\"rule\":");
	put_str(b, c->r->name);
	tw_buf_adds(b, fired ? ",\"state\":\"fired\",\"severity\":" : ",\"state\":\"cleared\",\"severity\":");
	put_str(b, c->r->severity);
	if (fired && c->r->alert) {
		a->scratch.len = 0;
		fill(&a->scratch, c->r->alert, x, c->r);
		tw_buf_adds(b, ",\"message\":");
		tw_jw_str(b, a->scratch.p, a->scratch.len);
	}
	tw_buf_adds(b, ",\"id\":");
	put_str(b, id);
	put_because(b, x, c);
	tw_buf_addc(b, '}');
	if (audit(a, b, fired ? "fired" : "cleared", e) < 0)
		return -1;
	if (c->r->alert)       /* a rule without an alert speaks by its commands */
		emit(a, b);
	return 0;
}

static int fire(struct tw_act *a, struct ac_asset *x, struct ac_rule *c, int64_t ts, struct tw_err *e)
{
	a->st.fired++;
	c->active = true;
	c->has_fired = true;
	c->last_fired = ts;
	if (alert(a, x, c, ts, true, e) < 0)
		return -1;
	if (!c->r->target)
		return 0;
	const char *fields[TW_RULE_MAX_SET];
	double values[TW_RULE_MAX_SET];
	int n = c->r->nset;
	for (int i = 0; i < n; i++) {
		fields[i] = c->r->set[i].field;
		values[i] = tw_expr_eval(c->set[i]);
	}
	return command(a, x, c, ts, fields, values, n, e);
}

/* A PID controller step: derivative on the measurement, conditional
 * integration as anti-windup, output within its limits. */
static int pid(struct tw_act *a, struct ac_asset *x, struct ac_rule *c, int64_t ts, struct tw_err *e)
{
	const struct tw_rule *r = c->r;
	const double *pv = tw_expr_scope_find(x->scope, r->measured);
	double y = pv ? *pv : NAN, sp = tw_expr_eval(c->setpoint);
	if (isnan(y) || isnan(sp))
		return 0;
	double err = sp - y, d = 0, dt = 0;
	if (c->pid_started && ts > c->prev_ts) {
		dt = tw_time_span(ts, c->prev_ts) / 1e9;
		d = -(y - c->prev_measured) / dt;
	}
	/* Anti-windup: the integral's share of the output stays within the
	 * output's limits, so it neither winds up beyond them nor keeps the
	 * output from reaching them. */
	c->integral += err * dt;
	if (r->ki != 0) {
		double lo = r->out_min / r->ki, hi = r->out_max / r->ki;
		if (r->ki < 0) {
			double tmp = lo;
			lo = hi, hi = tmp;
		}
		c->integral = fmin(hi, fmax(lo, c->integral));
	}
	double u = fmin(r->out_max, fmax(r->out_min, r->kp * err + r->ki * c->integral + r->kd * d));
	c->pid_started = true;
	c->prev_ts = ts;
	c->prev_measured = y;
	const char *fields[1] = { r->field };
	return command(a, x, c, ts, fields, &u, 1, e);
}

/* Evaluates the asset's rules at time ts, in order of priority. */
static int evaluate(struct tw_act *a, struct ac_asset *x, int64_t ts, struct tw_err *e)
{
	for (int i = 0; i < x->nrules; i++) {
		struct ac_rule *c = &x->rules[i];
		if (c->r->pid) {
			if (pid(a, x, c, ts, e) < 0)
				return -1;
			continue;
		}
		bool cond = truth(tw_expr_eval(c->when));
		if (c->active) {
			bool clear = c->clear ? truth(tw_expr_eval(c->clear)) : !cond;
			if (clear) {
				c->active = false;
				c->holding = false;
				a->st.cleared++;
				if (alert(a, x, c, ts, false, e) < 0)
					return -1;
			}
			continue;
		}
		if (!cond) {
			c->holding = false;
			continue;
		}
		if (!c->holding) {
			c->holding = true;
			c->since = ts;
		}
		bool held = tw_time_sub(ts, c->since) >= c->r->for_ns;
		bool cooled = !c->has_fired || tw_time_sub(ts, c->last_fired) >= c->r->cooldown_ns;
		if (held && cooled && fire(a, x, c, ts, e) < 0)
			return -1;
	}
	return 0;
}

/* Acknowledgements and deadlines of the commands waiting on the machine. */
static int track(struct tw_act *a, struct ac_asset *x, int64_t ts, const char *sensor, double reported,
		 struct tw_err *e)
{
	const struct tw_rules *rs = a->o.rules;
	for (int i = 0; i < x->npending;) {
		struct ac_pending *p = &x->pending[i];
		const struct tw_target *t = tw_rules_target(rs, p->target);
		const struct tw_target_field *f = t ? tw_target_field(t, p->field) : NULL;
		bool mine = sensor && f && f->reported && strcmp(f->reported, sensor) == 0;
		const char *decision = NULL;
		struct tw_buf *b = &a->line;
		if (mine && fabs(reported - p->desired) <= p->tolerance) {
			decision = "acked";
			a->st.acked++;
			put_head(b, ts, x, "ack");
		} else if (!sensor && p->deadline && ts > p->deadline) {
			decision = "timeout";
			a->st.timeouts++;
			put_head(b, ts, x, "alert");
			tw_buf_adds(b, ",\"rule\":");
			put_str(b, p->rule);
			tw_buf_adds(b, ",\"state\":\"timeout\",\"severity\":\"warning\",\"message\":");
			char msg[512], num[TW_NUM_MAX];
			tw_num_format(p->desired, num);
			snprintf(msg, sizeof msg, "%s.%s did not reach %s in time", p->target, p->field, num);
			put_str(b, msg);
		}
		if (!decision) {
			i++;
			continue;
		}
		tw_buf_adds(b, ",\"id\":");
		put_str(b, p->id);
		tw_buf_adds(b, ",\"target\":");
		put_str(b, p->target);
		tw_buf_adds(b, ",\"field\":");
		put_str(b, p->field);
		tw_buf_adds(b, ",\"desired\":");
		tw_jw_num(b, p->desired);
		if (mine) {
			tw_buf_adds(b, ",\"reported\":");
			tw_jw_num(b, reported);
		}
		tw_buf_addc(b, '}');
		if (audit(a, b, decision, e) < 0)
			return -1;
		emit(a, b);
		pending_free(p);
		x->pending[i] = x->pending[--x->npending];
	}
	/* The machine's newer report wins over a desired value it replaces. */
	for (int t = 0; sensor && t < rs->ntargets; t++)
		for (int k = 0; k < rs->targets[t].nfields; k++) {
			const struct tw_target_field *f = &rs->targets[t].fields[k];
			if (!f->reported || strcmp(f->reported, sensor) != 0)
				continue;
			struct ac_field *last = field_of(x, rs->targets[t].name, f->name);
			if (!last->known || ts >= last->ts)
				last->value = reported, last->ts = ts, last->known = true;
		}
	return 0;
}

/* --- reading -------------------------------------------------------------------- */

/* Sets variable prefix.name (or name when prefix is empty), if a rule
 * of the asset uses it. */
static void set_var(struct tw_act *a, struct ac_asset *x, const char *prefix, const char *name,
		    size_t nlen, double v)
{
	struct tw_buf *b = &a->scratch;
	b->len = 0;
	tw_buf_adds(b, prefix);
	tw_buf_add(b, name, nlen);
	tw_buf_addc(b, '\0');
	double *slot = tw_expr_scope_find(x->scope, b->p);
	if (slot)
		*slot = v;
}

/* Is the asset (its decoded name) in this run's shard? */
static bool mine(const struct tw_act *a, const char *asset, size_t alen)
{
	return a->o.shard_n == 0 || tw_shard_partition(asset, alen, a->o.shard_n) == a->o.shard_k;
}

static double num_of(const struct tw_rec *r, int tok)
{
	return tok >= 0 && tw_rec_type(r, tok) == TW_J_NUMBER ? tw_rec_num(r, tok) : NAN;
}

int tw_act_line(struct tw_act *a, const char *file, long long lineno, const char *line, size_t len,
		const char *eol, struct tw_err *e)
{
	struct tw_rec *r = &a->rec;
	struct tw_err why;
	int64_t ts;

	a->st.lines++;
	if (len == strspn(line, " \t"))
		return 0;
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0)
		return tw_diag_reject(a->diag, file, lineno, line, len, eol, "%s", why.msg);
	size_t alen;
	tw_rec_raw(r, r->asset, &alen);
	a->scratch.len = 0;
	tw_buf_grow(&a->scratch, alen + 1);
	alen = tw_rec_str(r, r->asset, a->scratch.p);
	if (!mine(a, a->scratch.p, alen)) {
		a->st.other_shards++;
		return 0;
	}
	bool is_command = r->kind >= 0 && tw_rec_streq(r, r->kind, "command");
	if (!is_command) {
		/* Everything passes through; a command fed back is ours. */
		tw_buf_add(&a->out->b, line, len);
		tw_buf_addc(&a->out->b, '\n');
		if (a->out->b.len >= TW_OUT_BLOCK)
			tw_out_flush(a->out);
	}
	struct ac_asset *x = asset_of(a, a->scratch.p, alen);
	if (is_command)
		return 0;

	char sensor[256] = "";
	if (r->sensor >= 0 && tw_rec_type(r, r->sensor) == TW_J_STRING) {
		size_t sl;
		tw_rec_raw(r, r->sensor, &sl);
		if (sl < sizeof sensor)
			tw_rec_str(r, r->sensor, sensor);
	}
	int kind = r->kind;
	if (kind < 0 || tw_rec_streq(r, kind, "reading")) {
		double v = num_of(r, r->value);
		/* Acknowledgements first, then the deadlines passed. */
		if (sensor[0] && track(a, x, ts, sensor, v, e) < 0)
			return -1;
		return track(a, x, ts, NULL, NAN, e);
	}
	if (tw_rec_streq(r, kind, "score")) {
		/* An asset's own score (twin-predict -m pca) has no sensor: it
		 * is score.METHOD. */
		int m = tw_rec_get(r, 0, "method");
		if (!sensor[0] && m >= 0 && tw_rec_type(r, m) == TW_J_STRING) {
			size_t ml;
			tw_rec_raw(r, m, &ml);
			if (ml < sizeof sensor)
				tw_rec_str(r, m, sensor);
		}
		if (sensor[0])
			set_var(a, x, "score.", sensor, strlen(sensor),
				num_of(r, tw_rec_get(r, 0, "score")));
		return 0;
	}
	if (tw_rec_streq(r, kind, "residual")) {
		set_var(a, x, "residual.", sensor, strlen(sensor), num_of(r, tw_rec_get(r, 0, "residual")));
		return 0;
	}
	if (tw_rec_streq(r, kind, "forecast")) {
		set_var(a, x, "forecast.", sensor, strlen(sensor), num_of(r, r->value));
		return 0;
	}
	if (tw_rec_streq(r, kind, "rul")) {
		set_var(a, x, "", "rul", 3, num_of(r, r->value));
		return 0;
	}
	if (!tw_rec_streq(r, kind, "state"))
		return 0;
	int values = tw_rec_get(r, 0, "values");
	if (values < 0 || tw_rec_type(r, values) != TW_J_OBJECT)
		return 0;
	for (int k = values + 1, i = 0; i < r->tok[values].size; i++, k = tw_rec_skip(r, k + 1)) {
		size_t kl;
		tw_rec_raw(r, k, &kl);
		char name[256];
		if (kl >= sizeof name)
			continue;
		kl = tw_rec_str(r, k, name);
		set_var(a, x, "", name, kl, num_of(r, k + 1));
		/* A state also reports the targets' fields it carries. */
		if (track(a, x, ts, name, num_of(r, k + 1), e) < 0)
			return -1;
	}
	if (track(a, x, ts, NULL, NAN, e) < 0)
		return -1;
	return evaluate(a, x, ts, e);
}

/* --- checkpoints ------------------------------------------------------------------ */

static json_t *num_json(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static double json_num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

json_t *tw_act_save(const struct tw_act *a)
{
	json_t *assets = json_array();
	for (int i = 0; i < a->nassets; i++) {
		const struct ac_asset *x = a->assets[i];
		json_t *rules = json_object(), *fields = json_array(), *pending = json_array(), *vars = json_object();
		for (int k = 0; k < x->nrules; k++) {
			const struct ac_rule *c = &x->rules[k];
			json_object_set_new(rules, c->r->name, json_pack("{s:b, s:b, s:I, s:b, s:I, s:b, s:o, s:o, s:I}",
				"active", c->active, "holding", c->holding, "since", (json_int_t)c->since,
				"has_fired", c->has_fired, "last_fired", (json_int_t)c->last_fired,
				"pid_started", c->pid_started, "integral", num_json(c->integral),
				"prev_measured", num_json(c->prev_measured), "prev_ts", (json_int_t)c->prev_ts));
		}
		for (int k = 0; k < x->nfields; k++)
			json_array_append_new(fields, json_pack("{s:s, s:o, s:I, s:b, s:I, s:b}", "key", x->fields[k].key,
				"value", num_json(x->fields[k].value), "ts", (json_int_t)x->fields[k].ts,
				"known", x->fields[k].known, "cmd_ts", (json_int_t)x->fields[k].cmd_ts,
				"commanded", x->fields[k].commanded));
		for (int k = 0; k < x->npending; k++) {
			const struct ac_pending *p = &x->pending[k];
			json_array_append_new(pending, json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:s}", "id", p->id,
				"target", p->target, "field", p->field, "desired", num_json(p->desired),
				"tolerance", num_json(p->tolerance), "deadline", (json_int_t)p->deadline, "rule", p->rule));
		}
		for (int k = 0; k < tw_expr_scope_count(x->scope); k++)
			json_object_set_new(vars, tw_expr_scope_name(x->scope, k), num_json(*tw_expr_scope_slot(x->scope, k)));
		json_array_append_new(assets, json_pack("{s:s, s:o, s:o, s:o, s:o}", "asset", x->name, "rules", rules,
							"fields", fields, "pending", pending, "vars", vars));
	}
	return json_pack("{s:o}", "assets", assets);
}

int tw_act_load(struct tw_act *a, const json_t *state, struct tw_err *e)
{
	json_t *assets = json_object_get(state, "assets"), *ja;
	size_t i;
	if (!json_is_array(assets))
		return tw_err_set(e, "not a twin-act state");
	json_array_foreach(assets, i, ja) {
		const char *name = json_string_value(json_object_get(ja, "asset"));
		if (!name)
			return tw_err_set(e, "assets[%zu]: no asset", i);
		if (!mine(a, name, strlen(name)))
			return tw_err_set(e, "assets[%zu]: %s is not of shard %d/%d: the state of another shard",
					  i, name, a->o.shard_k, a->o.shard_n);
		json_t *rules = json_object_get(ja, "rules");
		if (!json_is_object(rules))
			return tw_err_set(e, "not a twin-act state: assets[%zu] has no rules", i);
		struct ac_asset *x = asset_of(a, name, strlen(name));
		for (int k = 0; k < x->nrules; k++) {
			struct ac_rule *c = &x->rules[k];
			json_t *jr = json_object_get(rules, c->r->name);
			json_int_t since = 0, last = 0, prev_ts = 0;
			int active = 0, holding = 0, fired = 0, started = 0;
			json_t *integral = NULL, *prev = NULL;
			if (!jr)
				continue;       /* a rule added since the checkpoint */
			if (json_unpack(jr, "{s:b, s:b, s:I, s:b, s:I, s:b, s:o, s:o, s:I}", "active", &active,
					"holding", &holding, "since", &since, "has_fired", &fired, "last_fired", &last,
					"pid_started", &started, "integral", &integral, "prev_measured", &prev,
					"prev_ts", &prev_ts) < 0)
				return tw_err_set(e, "assets[%zu].rules.%s: malformed", i, c->r->name);
			c->active = active, c->holding = holding, c->since = since;
			c->has_fired = fired, c->last_fired = last, c->pid_started = started;
			c->integral = isnan(json_num(integral)) ? 0 : json_num(integral);
			c->prev_measured = json_num(prev), c->prev_ts = prev_ts;
		}
		size_t k;
		json_t *jf;
		json_array_foreach(json_object_get(ja, "fields"), k, jf) {
			const char *key = json_string_value(json_object_get(jf, "key"));
			const char *dot = key ? strrchr(key, '.') : NULL;
			if (!dot)
				return tw_err_set(e, "assets[%zu].fields[%zu]: malformed", i, k);
			char target[256];
			snprintf(target, sizeof target, "%.*s", (int)(dot - key), key);
			struct ac_field *f = field_of(x, target, dot + 1);
			f->value = json_num(json_object_get(jf, "value"));
			f->ts = json_integer_value(json_object_get(jf, "ts"));
			f->known = json_is_true(json_object_get(jf, "known"));
			f->cmd_ts = json_integer_value(json_object_get(jf, "cmd_ts"));
			f->commanded = json_is_true(json_object_get(jf, "commanded"));
		}
		json_array_foreach(json_object_get(ja, "pending"), k, jf) {
			const char *id, *target, *field, *rule;
			json_t *desired, *tol;
			json_int_t deadline;
			if (json_unpack(jf, "{s:s, s:s, s:s, s:o, s:o, s:I, s:s}", "id", &id, "target", &target,
					"field", &field, "desired", &desired, "tolerance", &tol, "deadline", &deadline,
					"rule", &rule) < 0)
				return tw_err_set(e, "assets[%zu].pending[%zu]: malformed", i, k);
			x->pending = xrealloc(x->pending, (size_t)(x->npending + 1) * sizeof *x->pending);
			x->pending[x->npending++] = (struct ac_pending){ xstrdup(id), xstrdup(target), xstrdup(field),
				json_num(desired), json_num(tol), deadline, xstrdup(rule) };
		}
		const char *key;
		json_t *v;
		json_object_foreach(json_object_get(ja, "vars"), key, v)
			*tw_expr_scope_var(x->scope, key) = json_num(v);
	}
	return 0;
}
