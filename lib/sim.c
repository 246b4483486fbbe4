/* sim.c - see sim.h.
 *
 * Each asset has its own model instance (a model holds its evaluation
 * state), solver and state vector.  Time inside is seconds since the
 * asset's first instant, t0.  Between two instants the solver is
 * advanced in chunks of at most --step, with the inputs set at each
 * chunk's middle: a test signal's value there, or a measured input held
 * (hold "step") or interpolated (hold "linear") between its samples. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "drive.h"
#include "fit.h"
#include "fmu.h"
#include "in.h"
#include "jsonw.h"
#include "model.h"
#include "num.h"
#include "record.h"
#include "sim.h"
#include "strmap.h"
#include "timestamp.h"

struct sm_inst {
	char *asset;
	size_t alen;
	struct tw_buf head;         /* ,"asset":"name" */
	struct tw_model *m;
	struct tw_ode *ode;
	double *y, *out;
	double *in_prev, *in_cur;   /* measured inputs at the last two instants */
	double t;                   /* seconds since t0 */
	int64_t t0;
	bool started;
	/* Calibration: the samples recorded (times, inputs, outputs). */
	double *ft, *fin, *fout;
	int fn, fcap;
};

struct tw_sim {
	struct tw_sim_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	const json_t *section;
	struct tw_strmap index;     /* asset -> instance index + 1 */
	struct sm_inst **inst;
	int ninst, capinst;
	gsl_rng *rng;
	int *input_of;              /* --input k drives model input input_of[k] */
	int *fault_target;          /* output or parameter index of each --fault */
	double *stuck;              /* the value a stuck fault repeats (NAN until it starts) */
	double *param_base;         /* a param fault's parameter without faults */
	struct tw_rec rec;
	struct tw_buf scratch;
};

void tw_sim_opts_init(struct tw_sim_opts *o)
{
	memset(o, 0, sizeof *o);
	o->solver = TW_SOLVER_RK4;
	o->step = 0.1;
	o->rtol = 1e-6;
	o->atol = 1e-9;
	o->seed = 1;
	o->every = TW_NS_PER_SEC;
	o->scenario = "what-if";
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static void inst_free(struct sm_inst *x)
{
	if (!x)
		return;
	tw_ode_free(x->ode);
	tw_model_free(x->m);
	free(x->y), free(x->out), free(x->in_prev), free(x->in_cur);
	free(x->ft), free(x->fin), free(x->fout);
	tw_buf_release(&x->head);
	free(x->asset);
	free(x);
}

/* A model instance for an asset, parameters changed by --set when asked. */
static struct sm_inst *inst_new(struct tw_sim *s, const char *asset, size_t alen, bool apply_sets,
				struct tw_err *e)
{
	struct sm_inst *x = xcalloc(1, sizeof *x);
	x->asset = strndup(asset, alen);
	x->alen = alen;
	tw_buf_adds(&x->head, ",\"asset\":");
	tw_jw_str(&x->head, asset, alen);
	x->m = tw_model_load(s->section, s->o.twin->path, e);
	if (!x->m) {
		inst_free(x);
		return NULL;
	}
	x->ode = tw_ode_new(x->m, s->o.solver, s->o.step, s->o.rtol, s->o.atol, e);
	if (!x->ode) {
		inst_free(x);
		return NULL;
	}
	int ns = tw_model_nstates(x->m), ni = tw_model_ninputs(x->m);
	x->y = xcalloc((size_t)ns, sizeof *x->y);
	x->out = xcalloc((size_t)tw_model_noutputs(x->m), sizeof *x->out);
	x->in_prev = xcalloc((size_t)ni, sizeof *x->in_prev);
	x->in_cur = xcalloc((size_t)ni, sizeof *x->in_cur);
	for (int i = 0; i < ns; i++)
		x->y[i] = tw_model_state_initial(x->m, i);
	for (int i = 0; i < ni; i++)
		x->in_prev[i] = x->in_cur[i] = tw_model_input_default(x->m, i);
	for (int i = 0; apply_sets && i < s->o.nsets; i++)
		tw_model_param_set(x->m, tw_model_param_index(x->m, s->o.sets[i].name), s->o.sets[i].value);
	return x;
}

/* The step and a free run's duration not given, from an FMU's default
 * experiment; a free run without a duration fails (e). */
static void default_experiment(struct tw_sim *s, const struct tw_model *m, struct tw_err *e)
{
	struct tw_fmu *f = tw_model_fmu(m);
	struct tw_fmu_experiment x = { NAN, NAN, NAN, NAN };
	bool free_run = !s->o.shadow && !s->o.what_if && !s->o.nfit;

	if (f)
		x = tw_fmu_default_experiment(f);
	if (s->o.step_default && isfinite(x.step) && x.step > 0)
		s->o.step = x.step;
	if (!free_run || !s->o.duration_default)
		return;
	double d = x.stop - (isfinite(x.start) ? x.start : 0);
	if (!f)
		tw_err_set(e, "a free run needs --duration (or give --shadow, --what-if or --fit)");
	else if (!(isfinite(d) && d >= 0 && d < 9e9))
		tw_err_set(e, "a free run needs --duration: %s has no stopTime in a default "
			   "experiment", tw_fmu_path(f));
	else
		s->o.duration = llround(d * 1e9);
}

struct tw_sim *tw_sim_new(const struct tw_sim_opts *o, struct tw_out *out,
			  struct tw_diag *d, struct tw_err *e)
{
	struct tw_sim *s = xcalloc(1, sizeof *s);
	e->msg[0] = '\0';
	s->o = *o;
	s->out = out;
	s->diag = d;
	tw_rec_init(&s->rec);
	s->section = tw_twin_section(o->twin, "model");
	if (!s->section) {
		tw_err_set(e, "%s: no \"model\" section", o->twin->path);
		goto fail;
	}
	/* Check the names the options use against a model of the twin. */
	struct sm_inst *probe = inst_new(s, "probe", 5, false, e);
	if (!probe)
		goto fail;
	s->input_of = xcalloc((size_t)o->ninputs, sizeof *s->input_of);
	s->fault_target = xcalloc((size_t)o->nfaults, sizeof *s->fault_target);
	s->stuck = xcalloc((size_t)o->nfaults, sizeof *s->stuck);
	s->param_base = xcalloc((size_t)o->nfaults, sizeof *s->param_base);
	for (int i = 0; i < o->ninputs; i++) {
		s->input_of[i] = tw_model_input_index(probe->m, o->inputs[i].name);
		if (s->input_of[i] < 0) {
			tw_err_set(e, "--input: the model has no input '%s'", o->inputs[i].name);
			break;
		}
	}
	if (!e->msg[0])
		default_experiment(s, probe->m, e);
	if (!e->msg[0] && o->assimilate > 0 && tw_model_is_fmu(probe->m))
		tw_err_set(e, "--assimilate: an FMU keeps its states to itself: they cannot be "
			   "nudged");
	for (int i = 0; i < o->nfit && !e->msg[0]; i++)
		if (tw_model_param_index(probe->m, o->fit[i]) < 0)
			tw_err_set(e, "--fit: the model has no parameter '%s'", o->fit[i]);
	for (int i = 0; i < o->nsets && !e->msg[0]; i++)
		if (tw_model_param_index(probe->m, o->sets[i].name) < 0)
			tw_err_set(e, "--set: the model has no parameter '%s'", o->sets[i].name);
	for (int i = 0; i < o->nfaults && !e->msg[0]; i++) {
		const struct tw_fault *f = &o->faults[i];
		s->stuck[i] = NAN;
		if (f->kind == TW_FAULT_PARAM) {
			s->fault_target[i] = tw_model_param_index(probe->m, f->target);
			if (s->fault_target[i] < 0)
				tw_err_set(e, "--fault: the model has no parameter '%s'", f->target);
			continue;
		}
		s->fault_target[i] = -1;
		for (int k = 0; k < tw_model_noutputs(probe->m); k++)
			if (strcmp(tw_model_output_sensor(probe->m, k), f->target) == 0)
				s->fault_target[i] = k;
		if (s->fault_target[i] < 0)
			tw_err_set(e, "--fault: the model has no output sensor '%s'", f->target);
	}
	inst_free(probe);
	if (e->msg[0])
		goto fail;
	s->rng = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(s->rng, o->seed);
	return s;
fail:
	tw_sim_free(s);
	return NULL;
}

void tw_sim_free(struct tw_sim *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ninst; i++)
		inst_free(s->inst[i]);
	free(s->inst);
	tw_strmap_release(&s->index, NULL);
	if (s->rng)
		gsl_rng_free(s->rng);
	free(s->input_of), free(s->fault_target), free(s->stuck), free(s->param_base);
	tw_rec_release(&s->rec);
	tw_buf_release(&s->scratch);
	free(s);
}

/* --- integrating -------------------------------------------------------------- */

enum drive { BY_SIGNALS, BY_MEASUREMENTS };

/* Sets the inputs for time t (seconds) of a chunk: from the --input
 * signals (starting at t_sig), or from the measured samples between
 * t_prev and t1. */
static void set_inputs(struct tw_sim *s, struct sm_inst *x, enum drive by, double t, double t_sig,
		       double t_prev, double t1)
{
	if (by == BY_MEASUREMENTS) {
		tw_drive_inputs(x->m, x->in_prev, x->in_cur, t_prev, t1, t);
		return;
	}
	/* The latest inputs held (a free run's: the defaults), those of the
	 * --input signals following them. */
	for (int i = 0; i < tw_model_ninputs(x->m); i++)
		tw_model_input_set(x->m, i, x->in_cur[i]);
	for (int k = 0; k < s->o.ninputs; k++)
		tw_model_input_set(x->m, s->input_of[k], tw_signal_at(&s->o.inputs[k].signal, t - t_sig));
}

/* Parameter faults (degradation) in force at time t: each faulted
 * parameter takes its value without faults (the file's, or --set's),
 * then that of every fault active at t, the last one listed winning. */
static void apply_param_faults(struct tw_sim *s, struct sm_inst *x, double t)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < s->o.nfaults; i++) {
			const struct tw_fault *f = &s->o.faults[i];
			if (f->kind != TW_FAULT_PARAM)
				continue;
			int p = s->fault_target[i];
			if (pass == 0)
				tw_model_param_set(x->m, p, s->param_base[i]);
			else if (tw_fault_active(f, t))
				tw_model_param_set(x->m, p, f->value);
		}
	}
}

struct chunk_ctx {
	struct tw_sim *s;
	struct sm_inst *x;
	enum drive by;
	double t_sig, t_prev, t1;
};

/* Before each solver chunk: the faults and inputs of its time. */
static void on_chunk(void *arg, double t, double mid)
{
	struct chunk_ctx *c = arg;
	apply_param_faults(c->s, c->x, t);
	set_inputs(c->s, c->x, c->by, mid, c->t_sig, c->t_prev, c->t1);
}

/* Advances x from x->t to t1 seconds, by the rule of drive.h. */
static int advance(struct tw_sim *s, struct sm_inst *x, double t1, enum drive by, double t_sig,
		   struct tw_err *e)
{
	struct chunk_ctx c = { s, x, by, t_sig, x->t, t1 };
	return tw_drive_advance(x->ode, s->o.step, &x->t, t1, x->y, on_chunk, &c, e);
}

/* --- writing ------------------------------------------------------------------ */


static void put_head(struct tw_buf *b, int64_t ts, const struct sm_inst *x)
{
	char stamp[TW_TIME_MAX];
	tw_buf_adds(b, "{\"ts\":\"");
	tw_buf_add(b, stamp, tw_time_format(ts, stamp));
	tw_buf_addc(b, '"');
	tw_buf_add(b, x->head.p, x->head.len);
}

static void line_done(struct tw_sim *s)
{
	tw_buf_add(&s->out->b, "}\n", 2);
	if (s->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(s->out);
}

/* The sensors a record carries: the outputs (values v), then, in a free
 * run, the inputs as a real machine's sensors would measure them. */
static int nchannels(const struct sm_inst *x, bool inputs)
{
	return tw_model_noutputs(x->m) + (inputs ? tw_model_ninputs(x->m) : 0);
}

static void channel(const struct sm_inst *x, int k, const double *v, const char **name,
		    const char **unit, double *value)
{
	int no = tw_model_noutputs(x->m);
	if (k < no) {
		*name = tw_model_output_sensor(x->m, k);
		*unit = tw_model_output_unit(x->m, k);
		*value = v[k];
	} else {
		*name = tw_model_input_sensor(x->m, k - no);
		*unit = tw_model_input_unit(x->m, k - no);
		*value = tw_model_input_get(x->m, k - no);
	}
}

/* A state-like record: kind state (free run) or sim. */
static void emit_values(struct tw_sim *s, const struct sm_inst *x, int64_t ts, const char *kind,
			const double *v, bool inputs, const char *scenario)
{
	struct tw_buf *b = &s->out->b;
	put_head(b, ts, x);
	tw_buf_adds(b, ",\"kind\":\"");
	tw_buf_adds(b, kind);
	tw_buf_adds(b, "\"");
	if (scenario) {
		tw_buf_adds(b, ",\"scenario\":");
		tw_jw_str(b, scenario, strlen(scenario));
	}
	tw_buf_adds(b, ",\"values\":{");
	for (int k = 0; k < nchannels(x, inputs); k++) {
		const char *name, *unit;
		double value;
		channel(x, k, v, &name, &unit, &value);
		if (k)
			tw_buf_addc(b, ',');
		tw_jw_str(b, name, strlen(name));
		tw_buf_addc(b, ':');
		tw_jw_num(b, value);
	}
	tw_buf_addc(b, '}');
	line_done(s);
}

static void emit_readings(struct tw_sim *s, const struct sm_inst *x, int64_t ts, const double *v)
{
	struct tw_buf *b = &s->out->b;
	for (int k = 0; k < nchannels(x, true); k++) {
		const char *name, *unit;
		double value;
		channel(x, k, v, &name, &unit, &value);
		put_head(b, ts, x);
		tw_buf_adds(b, ",\"sensor\":");
		tw_jw_str(b, name, strlen(name));
		tw_buf_adds(b, ",\"value\":");
		tw_jw_num(b, value);
		if (unit) {
			tw_buf_adds(b, ",\"unit\":");
			tw_jw_str(b, unit, strlen(unit));
		}
		line_done(s);
	}
}

/* --- free run ----------------------------------------------------------------- */

/* Measurement noise and sensor faults on the outputs at time t. */
static void measure(struct tw_sim *s, struct sm_inst *x, double t, double *v)
{
	int no = tw_model_noutputs(x->m);
	for (int k = 0; k < no; k++) {
		double sigma = s->o.no_noise ? 0 : tw_model_output_noise(x->m, k);
		double clean = x->out[k], bias = 0;
		bool stuck = false;
		for (int i = 0; i < s->o.nfaults; i++) {
			const struct tw_fault *f = &s->o.faults[i];
			if (s->fault_target[i] != k || f->kind == TW_FAULT_PARAM || !tw_fault_active(f, t))
				continue;
			switch (f->kind) {
			case TW_FAULT_BIAS: bias += f->value; break;
			case TW_FAULT_DRIFT: bias += f->value * (t - f->from); break;
			case TW_FAULT_NOISE: sigma *= f->value; break;
			case TW_FAULT_SPIKES:
				if (gsl_rng_uniform(s->rng) < f->value2)
					bias += gsl_rng_uniform(s->rng) < 0.5 ? -f->value : f->value;
				break;
			case TW_FAULT_STUCK:
				if (isnan(s->stuck[i]))
					s->stuck[i] = clean;
				clean = s->stuck[i];
				stuck = true;
				break;
			default: break;
			}
		}
		/* A stuck sensor repeats one reading: no fresh noise on it. */
		v[k] = clean + bias + (sigma > 0 && !stuck ? gsl_ran_gaussian(s->rng, sigma) : 0);
	}
}

/* The number member name of object token obj, or NAN. */
static double member(const struct tw_rec *r, int obj, const char *name)
{
	int t = tw_rec_get(r, obj, name);
	return t >= 0 && tw_rec_type(r, t) == TW_J_NUMBER ? tw_rec_num(r, t) : NAN;
}

/* Plant mode: reads commands until one for this asset, armed and not
 * refused, answers the instant ts (or the input ends); its "set"
 * members that name an input (or the sensor of one) drive it from now
 * on.  Returns 0, or -1 with e when the input cannot be read. */
static int await_command(struct tw_sim *s, struct sm_inst *x, struct tw_in *in, int64_t ts,
			 bool *eof, struct tw_err *e)
{
	struct tw_rec *r = &s->rec;
	char *line;
	size_t len;
	struct tw_err why;

	while (!*eof) {
		enum tw_in_status st = tw_in_getline(in, &line, &len, e);
		if (st == TW_IN_ERROR)
			return -1;
		if (st == TW_IN_EOF || st == TW_IN_STOPPED) {
			*eof = true;
			break;
		}
		int64_t cts;
		if (st != TW_IN_LINE || tw_rec_parse(r, line, len, &why) < 0 ||
		    tw_rec_need_common(r, &cts, &why) < 0 || r->kind < 0 ||
		    !tw_rec_streq(r, r->kind, "command") || !tw_rec_streq(r, r->asset, x->asset) || cts < ts)
			continue;     /* the loop also carries states and alerts */
		int armed = tw_rec_get(r, 0, "armed"), decision = tw_rec_get(r, 0, "decision");
		int set = tw_rec_get(r, 0, "set");
		if (armed < 0 || tw_rec_type(r, armed) != TW_J_TRUE ||
		    (decision >= 0 && tw_rec_streq(r, decision, "refused")) || set < 0 ||
		    tw_rec_type(r, set) != TW_J_OBJECT)
			return 0;     /* answered, but nothing to apply */
		for (int i = 0; i < tw_model_ninputs(x->m); i++) {
			double v = member(r, set, tw_model_input_name(x->m, i));
			if (isnan(v))
				v = member(r, set, tw_model_input_sensor(x->m, i));
			if (!isnan(v))
				x->in_cur[i] = v;
		}
		return 0;
	}
	return 0;
}

int tw_sim_run(struct tw_sim *s, struct tw_in *plant, struct tw_err *e)
{
	bool eof = false;
	const char *asset = s->o.asset ? s->o.asset : "sim";
	struct sm_inst *x = inst_new(s, asset, strlen(asset), true, e);
	if (!x)
		return -1;
	for (int i = 0; i < s->o.nfaults; i++)
		if (s->o.faults[i].kind == TW_FAULT_PARAM)
			s->param_base[i] = tw_model_param_get(x->m, s->fault_target[i]);
	int no = tw_model_noutputs(x->m);
	double *v = xcalloc((size_t)no, sizeof *v);
	int rc = 0;
	for (int64_t k = 0;; k++) {
		int64_t dt = k * s->o.every;
		if (dt > s->o.duration)
			break;
		double t = (double)dt / 1e9;
		if (advance(s, x, t, BY_SIGNALS, 0, e) < 0) {
			rc = -1;
			break;
		}
		set_inputs(s, x, BY_SIGNALS, t, 0, 0, 0);
		apply_param_faults(s, x, t);
		if (tw_model_outputs(x->m, t, x->y, x->out) < 0) {
			rc = tw_err_set(e, "%s", tw_model_failure(x->m));
			break;
		}
		measure(s, x, t, v);
		if (s->o.emit_states)
			emit_values(s, x, s->o.start + dt, "state", v, true, NULL);
		else
			emit_readings(s, x, s->o.start + dt, v);
		if (plant) {
			/* The controller sees this instant at once, and answers. */
			tw_out_flush(s->out);
			if (await_command(s, x, plant, s->o.start + dt, &eof, e) < 0) {
				rc = -1;
				break;
			}
		}
		if (s->out->error)
			break;
	}
	free(v);
	inst_free(x);
	return rc;
}

/* --- shadow mode and what-if ------------------------------------------------------ */

static struct sm_inst *instance(struct tw_sim *s, const char *asset, size_t alen, struct tw_err *e)
{
	intptr_t k = (intptr_t)tw_strmap_get(&s->index, asset, alen);
	if (k)
		return s->inst[k - 1];
	/* Changed parameters hold from the start, but for a what-if alone,
	 * whose scenario starts at the end of the stream. */
	bool sets_now = s->o.shadow || s->o.nfit;
	struct sm_inst *x = inst_new(s, asset, alen, sets_now, e);
	if (!x)
		return NULL;
	if (s->ninst == s->capinst) {
		s->capinst = s->capinst ? 2 * s->capinst : 8;
		s->inst = realloc(s->inst, (size_t)s->capinst * sizeof *s->inst);
		if (!s->inst)
			abort();
	}
	s->inst[s->ninst++] = x;
	tw_strmap_put(&s->index, asset, alen, (void *)(intptr_t)s->ninst);
	return x;
}


/* Nudges the states so that each measured output moves by gain times
 * its residual: y += gain r H / |H|^2, with H the output's sensitivity to
 * the states (finite differences). */
static void assimilate(struct tw_sim *s, struct sm_inst *x, const double *measured)
{
	int ns = tw_model_nstates(x->m), no = tw_model_noutputs(x->m);
	double *h = xcalloc((size_t)ns, sizeof *h), *probe = xcalloc((size_t)no, sizeof *probe);
	for (int k = 0; k < no; k++) {
		if (isnan(measured[k]) || !isfinite(x->out[k]))
			continue;
		double r = measured[k] - x->out[k], norm = 0;
		for (int j = 0; j < ns; j++) {
			double y0 = x->y[j], d = 1e-6 * fmax(1, fabs(y0));
			x->y[j] = y0 + d;
			tw_model_outputs(x->m, x->t, x->y, probe);
			x->y[j] = y0;
			h[j] = (probe[k] - x->out[k]) / d;
			norm += h[j] * h[j];
		}
		if (norm > 0)
			for (int j = 0; j < ns; j++)
				x->y[j] += s->o.assimilate * r * h[j] / norm;
		tw_model_outputs(x->m, x->t, x->y, x->out);
	}
	tw_ode_reset(x->ode);
	free(h);
	free(probe);
}

static void emit_residuals(struct tw_sim *s, const struct sm_inst *x, int64_t ts, const double *measured)
{
	struct tw_buf *b = &s->out->b;
	for (int k = 0; k < tw_model_noutputs(x->m); k++) {
		if (isnan(measured[k]))
			continue;
		const char *name = tw_model_output_sensor(x->m, k);
		put_head(b, ts, x);
		tw_buf_adds(b, ",\"kind\":\"residual\",\"sensor\":");
		tw_jw_str(b, name, strlen(name));
		tw_buf_adds(b, ",\"measured\":");
		tw_jw_num(b, measured[k]);
		tw_buf_adds(b, ",\"simulated\":");
		tw_jw_num(b, x->out[k]);
		tw_buf_adds(b, ",\"residual\":");
		tw_jw_num(b, measured[k] - x->out[k]);
		line_done(s);
	}
}

static void *grow(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

/* Calibration: keeps one sample of the asset's series. */
static void record_sample(struct sm_inst *x, int64_t ts, const struct tw_rec *r, int values,
			  const double *measured)
{
	int ni = tw_model_ninputs(x->m), no = tw_model_noutputs(x->m);
	if (!x->started) {
		x->started = true;
		x->t0 = ts;
	}
	double t = tw_time_span(ts, x->t0) / 1e9;
	if (x->fn > 0 && t < x->ft[x->fn - 1])
		return;                 /* late: the fit's series goes forward in time */
	if (x->fn > 0 && t == x->ft[x->fn - 1]) {
		/* No time has passed: as in shadow mode, the newer values
		 * stand for that instant. */
		for (int i = 0; i < ni; i++) {
			double v = member(r, values, tw_model_input_sensor(x->m, i));
			if (!isnan(v))
				x->fin[(size_t)(x->fn - 1) * ni + i] = v;
		}
		for (int k = 0; k < no; k++)
			if (!isnan(measured[k]))
				x->fout[(size_t)(x->fn - 1) * no + k] = measured[k];
		return;
	}
	if (x->fn == x->fcap) {
		x->fcap = x->fcap ? 2 * x->fcap : 256;
		x->ft = grow(x->ft, (size_t)x->fcap * sizeof *x->ft);
		x->fin = grow(x->fin, (size_t)x->fcap * (size_t)ni * sizeof *x->fin);
		x->fout = grow(x->fout, (size_t)x->fcap * (size_t)no * sizeof *x->fout);
	}
	x->ft[x->fn] = t;
	for (int i = 0; i < ni; i++)
		x->fin[(size_t)x->fn * ni + i] = member(r, values, tw_model_input_sensor(x->m, i));
	memcpy(x->fout + (size_t)x->fn * no, measured, (size_t)no * sizeof *measured);
	x->fn++;
}

/* The model section with the --set values: a fit's starting point. */
static json_t *section_with_sets(const struct tw_sim *s)
{
	json_t *copy = json_deep_copy(s->section);
	json_t *params = json_object_get(copy, "parameters");
	if (!params && s->o.nsets) {
		params = json_object();   /* a unit's section may have none */
		json_object_set_new(copy, "parameters", params);
	}
	for (int i = 0; i < s->o.nsets; i++) {
		json_t *p = json_object_get(params, s->o.sets[i].name);
		if (json_is_object(p))
			json_object_set_new(p, "value", json_real(s->o.sets[i].value));
		else
			json_object_set_new(params, s->o.sets[i].name, json_real(s->o.sets[i].value));
	}
	return copy;
}

/* Calibration at the end of the stream: fit, report, and write the
 * calibrated twin description. */
static int finish_fit(struct tw_sim *s, struct tw_err *e)
{
	struct tw_fit_series *series = xcalloc((size_t)s->ninst, sizeof *series);
	struct tw_fit_result res;
	int n = 0;

	for (int i = 0; i < s->ninst; i++) {
		struct sm_inst *x = s->inst[i];
		if (x->fn == 0)
			continue;
		series[n++] = (struct tw_fit_series){ x->asset, x->fn, x->ft, x->fin, x->fout };
	}
	memset(&res, 0, sizeof res);
	json_t *start = section_with_sets(s);
	int rc = n ? tw_fit(start, s->o.twin->path, s->o.fit, s->o.nfit, series, n, s->o.solver,
			    s->o.step, s->o.rtol, s->o.atol, &res, e)
		   : tw_err_set(e, "no state records to fit to");
	json_decref(start);
	free(series);
	if (rc < 0 && !res.value) {
		tw_fit_result_release(&res);
		return -1;
	}
	/* The report, one JSON object, even when the fit did not converge;
	 * numbers in their shortest exact form, as every record's. */
	struct tw_buf *out = &s->out->b;
	struct sm_inst *any = NULL;
	int64_t last = INT64_MIN;
	for (int i = 0; i < s->ninst; i++) {
		struct sm_inst *x = s->inst[i];
		if (!x->fn)
			continue;
		int64_t end = x->t0 + (int64_t)llround(x->ft[x->fn - 1] * 1e9);
		if (!any)
			any = x;
		if (end > last)
			last = end;
	}
	/* A record like any other: the time of the last sample, the asset
	 * (the first, when several were fitted together, all listed). */
	put_head(out, last, any);
	tw_buf_adds(out, ",\"kind\":\"fit\",\"assets\":[");
	for (int i = 0, first = 1; i < s->ninst; i++) {
		if (!s->inst[i]->fn)
			continue;
		if (!first)
			tw_buf_addc(out, ',');
		first = 0;
		tw_jw_str(out, s->inst[i]->asset, s->inst[i]->alen);
	}
	tw_buf_adds(out, "],\"parameters\":{");
	for (int k = 0; k < res.nparams; k++) {
		if (k)
			tw_buf_addc(out, ',');
		tw_jw_str(out, s->o.fit[k], strlen(s->o.fit[k]));
		tw_buf_adds(out, ":{\"value\":");
		tw_jw_num(out, res.value[k]);
		tw_buf_adds(out, ",\"stderr\":");
		tw_jw_num(out, res.stderr_[k]);
		tw_buf_adds(out, ",\"initial\":");
		tw_jw_num(out, res.initial[k]);
		tw_buf_addc(out, '}');
	}
	tw_buf_adds(out, "},\"outputs\":{");
	for (int k = 0, first = 1; k < res.noutputs; k++) {
		if (res.count[k] == 0)
			continue;
		const char *name = tw_model_output_sensor(any->m, k);
		char count[32];
		if (!first)
			tw_buf_addc(out, ',');
		first = 0;
		tw_jw_str(out, name, strlen(name));
		tw_buf_adds(out, ":{\"rmse\":");
		tw_jw_num(out, res.rmse[k]);
		snprintf(count, sizeof count, ",\"n\":%ld}", res.count[k]);
		tw_buf_adds(out, count);
	}
	char tail[64];
	snprintf(tail, sizeof tail, "},\"iterations\":%d,\"chisq_initial\":", res.iterations);
	tw_buf_adds(out, tail);
	tw_jw_num(out, res.chisq0);
	tw_buf_adds(out, ",\"chisq\":");
	tw_jw_num(out, res.chisq);
	tw_buf_adds(out, rc == 0 ? ",\"converged\":true}\n" : ",\"converged\":false}\n");
	if (rc == 0 && s->o.fit_out) {
		json_t *calibrated = tw_fit_apply(s->o.twin->root, s->o.fit, &res);
		rc = tw_atomic_write_json(s->o.fit_out, calibrated, e);
		json_decref(calibrated);
	}
	tw_fit_result_release(&res);
	return rc;
}

/* e's message, prefixed with x's asset (vsnprintf may not read the
 * buffer it writes: a copy first). */
static int asset_failed(struct tw_err *e, const struct sm_inst *x)
{
	struct tw_err why = *e;
	return tw_err_set(e, "%s: %s", x->asset, why.msg);
}

static int reject(struct tw_sim *s, const char *file, long long lineno, const char *line, size_t len,
		  const char *eol, const char *why)
{
	return tw_diag_reject(s->diag, file, lineno, line, len, eol, "%s", why);
}

int tw_sim_line(struct tw_sim *s, const char *file, long long lineno,
		const char *line, size_t len, const char *eol, struct tw_err *e)
{
	struct tw_rec *r = &s->rec;
	struct tw_err why;
	int64_t ts;

	if (len == strspn(line, " \t"))
		return 0;
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0)
		return reject(s, file, lineno, line, len, eol, why.msg);
	/* Every record passes through (a fit writes only its report);
	 * states of our assets also drive the models. */
	if (!s->o.nfit) {
		tw_buf_add(&s->out->b, line, len);
		tw_buf_addc(&s->out->b, '\n');
	}
	int values = tw_rec_get(r, 0, "values");
	if (r->kind < 0 || !tw_rec_streq(r, r->kind, "state") || values < 0 ||
	    tw_rec_type(r, values) != TW_J_OBJECT)
		return 0;
	size_t alen;
	const char *asset = tw_rec_raw(r, r->asset, &alen);
	if (!tw_rec_plain(r, r->asset)) {
		s->scratch.len = 0;
		tw_buf_grow(&s->scratch, alen + 1);
		alen = tw_rec_str(r, r->asset, s->scratch.p);
		asset = s->scratch.p;
	}
	if (s->o.asset && (strlen(s->o.asset) != alen || memcmp(s->o.asset, asset, alen) != 0))
		return 0;
	struct sm_inst *x = instance(s, asset, alen, e);
	if (!x)
		return -1;
	int ni = tw_model_ninputs(x->m), no = tw_model_noutputs(x->m);
	double measured[no > 0 ? no : 1];
	for (int k = 0; k < no; k++)
		measured[k] = member(r, values, tw_model_output_sensor(x->m, k));
	if (s->o.nfit) {
		record_sample(x, ts, r, values, measured);
		return 0;
	}
	/* A missing input keeps its last value. */
	memcpy(x->in_prev, x->in_cur, (size_t)ni * sizeof *x->in_cur);
	for (int i = 0; i < ni; i++) {
		double v = member(r, values, tw_model_input_sensor(x->m, i));
		if (!isnan(v))
			x->in_cur[i] = v;
	}
	if (!x->started) {
		x->started = true;
		x->t0 = ts;
		x->t = 0;
		memcpy(x->in_prev, x->in_cur, (size_t)ni * sizeof *x->in_cur);
	} else {
		double t1 = tw_time_span(ts, x->t0) / 1e9;
		if (t1 <= x->t)
			return 0;           /* no time has passed: nothing to simulate */
		if (advance(s, x, t1, BY_MEASUREMENTS, 0, e) < 0) {
			asset_failed(e, x);
			return -1;
		}
	}
	for (int i = 0; i < ni; i++)
		tw_model_input_set(x->m, i, x->in_cur[i]);
	if (tw_model_outputs(x->m, x->t, x->y, x->out) < 0)
		return tw_err_set(e, "%s: %s", x->asset, tw_model_failure(x->m));
	if (!s->o.shadow)
		return 0;               /* what-if alone only follows the stream */
	emit_values(s, x, ts, "sim", x->out, false, NULL);
	emit_residuals(s, x, ts, measured);
	/* The residuals are those of the free model; the correction acts
	 * on what comes after. */
	if (s->o.assimilate > 0)
		assimilate(s, x, measured);
	return 0;
}

int tw_sim_finish(struct tw_sim *s, struct tw_err *e)
{
	if (s->o.nfit)
		return finish_fit(s, e);
	if (!s->o.what_if)
		return 0;
	for (int i = 0; i < s->ninst; i++) {
		struct sm_inst *x = s->inst[i];
		if (!x->started)
			continue;
		/* The scenario: parameters and inputs changed from now on. */
		for (int k = 0; k < s->o.nsets && !s->o.shadow; k++)
			tw_model_param_set(x->m, tw_model_param_index(x->m, s->o.sets[k].name), s->o.sets[k].value);
		int ni = tw_model_ninputs(x->m);
		memcpy(x->in_prev, x->in_cur, (size_t)ni * sizeof *x->in_cur);
		double t_now = x->t;
		int64_t ts_now = x->t0 + (int64_t)llround(t_now * 1e9);
		tw_ode_reset(x->ode);
		for (int64_t k = 1; k * s->o.every <= s->o.horizon; k++) {
			double t1 = t_now + (double)(k * s->o.every) / 1e9;
			/* Measured inputs held, those given by --input following
			 * their signals from now. */
			if (advance(s, x, t1, BY_SIGNALS, t_now, e) < 0)
				return asset_failed(e, x);
			if (tw_model_outputs(x->m, x->t, x->y, x->out) < 0)
				return tw_err_set(e, "%s: %s", x->asset, tw_model_failure(x->m));
			emit_values(s, x, ts_now + k * s->o.every, "sim", x->out, false, s->o.scenario);
		}
	}
	return 0;
}
