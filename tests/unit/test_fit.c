/* test_fit.c - calibration: parameters recovered from data simulated
 * with known ones and seeded noise (models/ from $TOP, or the current
 * directory).  FIT_VERBOSE=1 prints what each fit found. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "fit.h"
#include "model.h"
#include "ode.h"

static const char *top(void)
{
	const char *t = getenv("TOP");

	return t && *t ? t : ".";
}

static bool verbose(void)
{
	const char *v = getenv("FIT_VERBOSE");

	return v && *v && strcmp(v, "0") != 0;
}

/* The twin description models/name (the caller decrefs it), or NULL. */
static json_t *library(const char *name)
{
	char path[4096];
	json_error_t jerr;
	json_t *root;

	snprintf(path, sizeof path, "%s/models/%s", top(), name);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!CHECK(root != NULL))
		fprintf(stderr, "    %s: %s\n", path, jerr.text);
	return root;
}

static json_t *parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (!CHECK(j != NULL))
		fprintf(stderr, "    bad test JSON: %s\n", jerr.text);
	return j;
}

static json_t *model_of(json_t *root)
{
	return json_object_get(root, "model");
}

/* Sets the value parameter name starts from, in either form. */
static void set_start(json_t *root, const char *name, double v)
{
	json_t *pars = json_object_get(model_of(root), "parameters");
	json_t *p = json_object_get(pars, name);

	if (json_is_object(p))
		json_object_set_new(p, "value", json_real(v));
	else
		json_object_set_new(pars, name, json_real(v));
}

static double num(const json_t *j)
{
	return json_is_number(j) ? json_number_value(j) : NAN;
}

static bool near(double got, double want, double rel)
{
	return fabs(got - want) <= rel * fabs(want);
}

/* --- data --------------------------------------------------------------------------- */

struct data {
	struct tw_fit_series s;
	double *t, *in, *out;
};

static void data_free(struct data *d)
{
	free(d->t), free(d->in), free(d->out);
}

/* Input signals: input i at time t. */
typedef double signal_fn(int i, double t);

/* n samples every dt seconds of the model of root with its parameters
 * (names/values), driven by sig (inputs held from each sample to the
 * next: every input here has hold "step" or is constant), integrated
 * independently of fit.c: RK4 steps of 1 s between the samples.
 * Gaussian noise of each output's sigma (times noise) from a seeded rng;
 * every output measured (skip_out: output k missing at every sample).
 * Inputs given only when they change (NaN: keep the last) when sparse. */
static struct data simulate(json_t *root, const char *asset, int n, double dt, signal_fn *sig,
			    double noise, unsigned long seed, int skip_out, bool sparse)
{
	struct data d;
	struct tw_err e;
	struct tw_model *m = tw_model_load(model_of(root), "t.json", &e);
	struct tw_ode *o = m ? tw_ode_new(m, TW_SOLVER_RK4, 1, 0, 0, &e) : NULL;

	memset(&d, 0, sizeof d);
	if (!CHECK(o != NULL)) {
		fprintf(stderr, "    %s\n", e.msg);
		tw_model_free(m);
		return d;
	}
	int ns = tw_model_nstates(m), ni = tw_model_ninputs(m), no = tw_model_noutputs(m);
	double y[8], out[8], t = 0;
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);

	gsl_rng_set(rng, seed);
	d.t = calloc((size_t)n, sizeof *d.t);
	d.in = calloc((size_t)n * (size_t)(ni ? ni : 1), sizeof *d.in);
	d.out = calloc((size_t)n * (size_t)no, sizeof *d.out);
	for (int k = 0; k < ns; k++)
		y[k] = tw_model_state_initial(m, k);
	for (int i = 0; i < n; i++) {
		double ti = i * dt;
		if (i > 0 && tw_ode_advance(o, &t, ti, y, &e) < 0) {
			CHECK(!"the data's simulation failed");
			fprintf(stderr, "    %s\n", e.msg);
			break;
		}
		d.t[i] = ti;
		for (int j = 0; j < ni; j++) {
			double v = sig(j, ti);
			bool same = i > 0 && v == tw_model_input_get(m, j);
			tw_model_input_set(m, j, v);
			d.in[(size_t)i * ni + j] = sparse && same ? NAN : v;
		}
		tw_model_outputs(m, ti, y, out);
		for (int k = 0; k < no; k++) {
			double sigma = noise * tw_model_output_noise(m, k);
			d.out[(size_t)i * no + k] = k == skip_out ? NAN
				: out[k] + (sigma > 0 ? gsl_ran_gaussian(rng, sigma) : 0);
		}
	}
	d.s = (struct tw_fit_series){ asset, n, d.t, d.in, d.out };
	gsl_rng_free(rng);
	tw_ode_free(o);
	tw_model_free(m);
	return d;
}

/* thermal: P a square wave 1500 W / 0 W of 40 min, T_amb 22 degC. */
static double thermal_a(int i, double t)
{
	if (i == 1)
		return 22;
	return fmod(t, 2400) < 1200 ? 1500 : 0;
}

/* thermal, a second asset: P steps 800, 2000, 400 W every 20 min, T_amb 18. */
static double thermal_b(int i, double t)
{
	static const double p[] = { 800, 2000, 400 };

	if (i == 1)
		return 18;
	return p[(long)(t / 1200) % 3];
}

/* tank: the pump at 30% or 80% (10 min each), the valve open or half
 * open (15 min each). */
static double tank_sig(int i, double t)
{
	if (i == 0)
		return fmod(t, 1200) < 600 ? 0.8 : 0.3;
	return fmod(t, 1800) < 900 ? 1 : 0.5;
}

static void show(const char *what, const char *const *names, const struct tw_fit_result *r,
		 double secs)
{
	if (!verbose())
		return;
	printf("%s: %d iterations, chisq %.6g -> %.6g, %.3f s\n", what, r->iterations,
	       r->chisq0, r->chisq, secs);
	for (int j = 0; j < r->nparams; j++)
		printf("  %s = %.6g +- %.3g (from %.6g)\n", names[j], r->value[j], r->stderr_[j],
		       r->initial[j]);
	for (int k = 0; k < r->noutputs; k++)
		printf("  output %d: rmse %.4g over %ld\n", k, r->rmse[k], r->count[k]);
}

/* Checks a recovered value: within 2% of the truth, and the truth within
 * 4 standard errors (which are finite, positive and small). */
static void check_recovered(const struct tw_fit_result *r, int j, double truth)
{
	if (!CHECK(near(r->value[j], truth, 0.02)))
		fprintf(stderr, "    parameter %d: got %.9g, want %.9g within 2%%\n", j,
			r->value[j], truth);
	if (!CHECK(r->stderr_[j] > 0 && r->stderr_[j] < 0.02 * truth &&
		   fabs(r->value[j] - truth) <= 4 * r->stderr_[j]))
		fprintf(stderr, "    parameter %d: %.9g +- %.3g, truth %.9g\n", j, r->value[j],
			r->stderr_[j], truth);
}

static double seconds(clock_t since)
{
	return (double)(clock() - since) / CLOCKS_PER_SEC;
}

/* --- the tests ---------------------------------------------------------------------- */

static void test_thermal(void)
{
	static const char *const names[] = { "C", "R" };
	json_t *root = library("thermal.json");
	struct tw_fit_result r;
	struct tw_err e;

	if (!root)
		return;
	/* Truth C = 9200 J/K, R = 0.05 K/W (the file's); 2 h at 10 s. */
	struct data d = simulate(root, "motor-1", 721, 10, thermal_a, 1, 42, -1, false);
	set_start(root, "C", 6000);
	set_start(root, "R", 0.08);
	clock_t c0 = clock();
	int rc = tw_fit(model_of(root), "thermal.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 10,
			1e-6, 1e-9, &r, &e);
	double secs = seconds(c0);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else {
		show("thermal", names, &r, secs);
		CHECK_INT(r.status, GSL_SUCCESS);
		CHECK_INT(r.nparams, 2);
		check_recovered(&r, 0, 9200);
		check_recovered(&r, 1, 0.05);
		CHECK(r.initial[0] == 6000 && r.initial[1] == 0.08);
		CHECK_INT(r.noutputs, 1);
		CHECK_INT(r.count[0], 721);
		CHECK(r.rmse[0] > 0.09 && r.rmse[0] < 0.11);   /* the noise, 0.1 K */
		/* chisq: the noise's, about N with the outputs' sigma */
		CHECK(r.chisq > 600 && r.chisq < 850 && r.chisq0 > 100 * r.chisq);
		CHECK(r.iterations > 0 && r.iterations < 200);
		CHECK(secs < 1);
	}
	tw_fit_result_release(&r);
	CHECK(r.value == NULL && r.nparams == 0);

	/* An adaptive solver gets there too. */
	rc = tw_fit(model_of(root), "thermal.json", names, 2, &d.s, 1, TW_SOLVER_RKF45, 10,
		    1e-8, 1e-10, &r, &e);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else {
		show("thermal rkf45", names, &r, 0);
		check_recovered(&r, 0, 9200);
		check_recovered(&r, 1, 0.05);
	}
	tw_fit_result_release(&r);

	/* Noise-free data from the true values: the fit's simulation is
	 * the data's (inputs held from each sample to the next). */
	set_start(root, "C", 9200);
	set_start(root, "R", 0.05);
	struct data clean = simulate(root, "motor-1", 721, 10, thermal_a, 0, 1, -1, false);
	rc = tw_fit(model_of(root), "thermal.json", names, 2, &clean.s, 1, TW_SOLVER_RK4, 10,
		    1e-6, 1e-9, &r, &e);
	CHECK(r.value != NULL && r.chisq0 < 1e-6);
	CHECK(r.value && near(r.value[0], 9200, 1e-6) && near(r.value[1], 0.05, 1e-6));
	tw_fit_result_release(&r);

	data_free(&d);
	data_free(&clean);
	json_decref(root);
}

/* Two assets of one design: their data pooled into one fit. */
static void test_pooled(void)
{
	static const char *const names[] = { "R", "C" };
	json_t *root = library("thermal.json");
	struct tw_fit_result r, one;
	struct tw_err e;

	if (!root)
		return;
	struct data d[2] = {
		simulate(root, "motor-1", 361, 10, thermal_a, 1, 7, -1, false),
		simulate(root, "motor-2", 361, 10, thermal_b, 1, 8, -1, true),
	};
	struct tw_fit_series s[2] = { d[0].s, d[1].s };
	set_start(root, "C", 15000);
	set_start(root, "R", 0.03);
	int rc = tw_fit(model_of(root), "thermal.json", names, 2, s, 2, TW_SOLVER_RK4, 5,
			1e-6, 1e-9, &r, &e);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else {
		show("pooled", names, &r, 0);
		check_recovered(&r, 0, 0.05);
		check_recovered(&r, 1, 9200);
		CHECK_INT(r.count[0], 722);
		CHECK(r.rmse[0] > 0.09 && r.rmse[0] < 0.11);
	}
	/* Pooling narrows the errors against one asset's data alone. */
	rc = tw_fit(model_of(root), "thermal.json", names, 2, &s[1], 1, TW_SOLVER_RK4, 5,
		    1e-6, 1e-9, &one, &e);
	if (CHECK(rc == 0) && r.value) {
		check_recovered(&one, 0, 0.05);
		check_recovered(&one, 1, 9200);
		CHECK(r.stderr_[1] < one.stderr_[1]);
		CHECK_INT(one.count[0], 361);
	}
	tw_fit_result_release(&r);
	tw_fit_result_release(&one);
	data_free(&d[0]);
	data_free(&d[1]);
	json_decref(root);
}

/* The tank: two outputs with different noise, inputs given only when
 * they change. */
static void test_tank(void)
{
	static const char *const names[] = { "Cv", "A" };
	json_t *root = library("tank.json");
	struct tw_fit_result r;
	struct tw_err e;

	if (!root)
		return;
	struct data d = simulate(root, "tank-1", 721, 5, tank_sig, 1, 3, -1, true);
	set_start(root, "Cv", 0.008);
	set_start(root, "A", 1.5);
	clock_t c0 = clock();
	int rc = tw_fit(model_of(root), "tank.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 1,
			1e-6, 1e-9, &r, &e);
	double secs = seconds(c0);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else {
		show("tank", names, &r, secs);
		check_recovered(&r, 0, 0.005);
		check_recovered(&r, 1, 2);
		CHECK_INT(r.noutputs, 2);
		CHECK(r.count[0] == 721 && r.count[1] == 721);
		CHECK(r.rmse[0] > 0.0017 && r.rmse[0] < 0.0023);   /* level: 0.002 m */
		CHECK(r.rmse[1] > 0.042 && r.rmse[1] < 0.058);     /* outflow: 0.05 m^3/h */
	}
	tw_fit_result_release(&r);
	data_free(&d);

	/* The level alone: only Q_max / A and Cv / A show in it. */
	static const char *const three[] = { "Q_max", "Cv", "A" };
	d = simulate(root, "tank-1", 721, 5, tank_sig, 1, 4, 1, false);
	rc = tw_fit(model_of(root), "tank.json", three, 3, &d.s, 1, TW_SOLVER_RK4, 1,
		    1e-6, 1e-9, &r, &e);
	CHECK(rc < 0);
	if (CHECK(r.value != NULL)) {
		show("tank, level only", three, &r, 0);
		CHECK(strstr(e.msg, "apart from the other fitted parameters") != NULL);
		CHECK(isinf(r.stderr_[0]) || isinf(r.stderr_[1]) || isinf(r.stderr_[2]));
		CHECK_INT(r.count[1], 0);
		CHECK(isnan(r.rmse[1]));
	}
	if (verbose())
		printf("  %s\n", e.msg);
	tw_fit_result_release(&r);
	data_free(&d);
	json_decref(root);
}

static const char FIRST_ORDER[] =
	"{\"model\": {"
	"\"states\": {\"x\": {\"initial\": 1}},"
	"\"parameters\": {\"a\": %s, \"unused\": 3},"
	"\"inputs\": {\"u\": {\"default\": 0}},"
	"\"derivatives\": {\"x\": \"%s\"},"
	"\"outputs\": {\"y\": {\"expr\": \"x\", \"noise\": %s}}}}";

static json_t *first_order(const char *a, const char *deriv, const char *noise)
{
	char text[1024];

	snprintf(text, sizeof text, FIRST_ORDER, a, deriv, noise);
	return parse(text);
}

static double zero(int i, double t)
{
	return 0;
}

static void test_errors(void)
{
	json_t *root = library("thermal.json");
	struct tw_fit_result r;
	struct tw_err e;
	const char *names[] = { "C", "R", "X" };

	if (!root)
		return;
	struct data d = simulate(root, "motor-1", 121, 10, thermal_a, 1, 5, -1, false);

	CHECK(tw_fit(model_of(root), "thermal.json", names, 3, &d.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the model has no parameter 'X'");
	CHECK(r.value == NULL);
	tw_fit_result_release(&r);

	names[1] = "C";
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the parameter 'C' is listed twice");
	CHECK(tw_fit(model_of(root), "thermal.json", names, 0, &d.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "no parameters to fit");
	names[1] = "R";

	/* No measurements: every output NAN, or no samples. */
	struct data none = simulate(root, "motor-1", 50, 10, thermal_a, 1, 5, 0, false);
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &none.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "no measurements to fit to: the data have no values of temp_c");
	CHECK(r.value == NULL);
	none.s.n = 0;
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &none.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "no measurements to fit to: the data have no values of temp_c");
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, NULL, 0, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "no measurements to fit to: the data have no values of temp_c");
	data_free(&none);

	/* Fewer measurements than parameters. */
	struct tw_fit_series two = d.s;
	two.n = 2;
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &two, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "2 measurements cannot determine 2 parameters");

	/* A time that is not finite. */
	two.n = 5;
	double t5[5] = { 0, 10, NAN, 30, 40 };
	two.t = t5;
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &two, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "motor-1: the time of sample 2 is not finite");

	/* The solver's own arguments. */
	CHECK(tw_fit(model_of(root), "thermal.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 0,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the step must be a number of seconds greater than zero");
	CHECK(r.value == NULL);

	/* A bad model is the loader's message. */
	json_t *bad = parse("{\"states\": {}}");
	CHECK(tw_fit(bad, "bad.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 10, 1e-6, 1e-9,
		     &r, &e) == -1);
	CHECK(strncmp(e.msg, "bad.json: ", 10) == 0);
	json_decref(bad);

	/* A parameter that cannot move. */
	json_t *fixed = json_deep_copy(root);
	json_t *cp = json_object_get(json_object_get(model_of(fixed), "parameters"), "C");
	json_object_set_new(cp, "min", json_real(9200));
	json_object_set_new(cp, "max", json_real(9200));
	CHECK(tw_fit(model_of(fixed), "thermal.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 10,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the parameter 'C' cannot move: its min and max are both 9200");
	json_decref(fixed);

	data_free(&d);
	json_decref(root);
}

/* A parameter no output depends on: an infinite standard error, and the
 * fit fails naming it, its result still filled. */
static void test_unidentifiable(void)
{
	static const char *const names[] = { "a", "unused" };
	json_t *root = first_order("0.02", "-a * x", "0.01");
	struct tw_fit_result r;
	struct tw_err e;

	if (!root)
		return;
	struct data d = simulate(root, "x-1", 201, 1, zero, 1, 9, -1, false);
	set_start(root, "a", 0.03);
	int rc = tw_fit(model_of(root), "t.json", names, 2, &d.s, 1, TW_SOLVER_RK4, 1,
			1e-6, 1e-9, &r, &e);
	CHECK(rc == -1);
	CHECK_STR(e.msg, "the data do not determine the parameter 'unused': no measured output "
		  "depends on it");
	if (CHECK(r.value != NULL)) {
		show("unidentifiable", names, &r, 0);
		CHECK_INT(r.status, GSL_SUCCESS);
		check_recovered(&r, 0, 0.02);
		CHECK(isinf(r.stderr_[1]) && r.value[1] == 3);
	}
	tw_fit_result_release(&r);

	/* Fitting a alone is fine; the same data. */
	rc = tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 1, 1e-6, 1e-9,
		    &r, &e);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else
		check_recovered(&r, 0, 0.02);
	tw_fit_result_release(&r);
	data_free(&d);
	json_decref(root);
}

/* The model fails at the starting values: an error; a failure during the
 * fit (a trial step into a region where the model is not finite) only
 * turns the fit back. */
static void test_failures(void)
{
	static const char *const names[] = { "a" };
	/* x' is not finite for a <= 0.5; the truth is 0.9. */
	json_t *root = first_order("0.9", "a > 0.5 ? -a * x : sqrt(-1)", "0.01");
	struct tw_fit_result r;
	struct tw_err e;

	if (!root)
		return;
	struct data d = simulate(root, "x-1", 101, 0.1, zero, 1, 11, -1, false);
	set_start(root, "a", 0.3);
	CHECK(tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 0.1,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the model fails with the starting values: x-1: the solver failed at "
		  "t=0 s: model.derivatives.x is not finite");
	CHECK(r.value == NULL);

	/* From a = 2 the first steps overshoot below 0.5. */
	set_start(root, "a", 2);
	int rc = tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 0.1,
			1e-6, 1e-9, &r, &e);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	else {
		show("near failure", names, &r, 0);
		check_recovered(&r, 0, 0.9);
	}
	tw_fit_result_release(&r);

	/* An output out of all proportion at the start: RK4 at a step of
	 * 0.1 s is unstable for a > 27.85, and a = 50 grows x to 1e48. */
	set_start(root, "a", 50);
	CHECK(tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 0.1,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK(strstr(e.msg, "the model fails with the starting values: x-1: the output y is ") &&
	      strstr(e.msg, "absurdly far from the measurement"));
	CHECK(r.value == NULL);
	json_decref(root);

	/* Starting on the edge: the finite differences step over it. */
	root = first_order("0.4", "a <= 0.4 ? -a * x : sqrt(-1)", "0.01");
	CHECK(tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 0.1,
		     1e-6, 1e-9, &r, &e) == -1);
	CHECK_STR(e.msg, "the model fails next to the starting values (moved by the Jacobian's "
		  "finite differences): x-1: the solver failed at t=0 s: model.derivatives.x is "
		  "not finite");
	CHECK(r.value == NULL);
	data_free(&d);
	json_decref(root);
}

/* 200 iterations are not enough: -1, the result still filled.  RK4 at
 * a step of 0.1 s near its stability limit (a h = 3.4 > 2.785) gives a
 * cost the fit crawls over. */
static void test_no_convergence(void)
{
	static const char *const names[] = { "a" };
	json_t *root = first_order("0.9", "-a * x", "0.01");
	struct tw_fit_result r;
	struct tw_err e;

	if (!root)
		return;
	struct data d = simulate(root, "x-1", 101, 0.1, zero, 0, 1, -1, false);
	set_start(root, "a", 34);
	int rc = tw_fit(model_of(root), "t.json", names, 1, &d.s, 1, TW_SOLVER_RK4, 0.1,
			1e-6, 1e-9, &r, &e);
	CHECK(rc == -1);
	CHECK_STR(e.msg, "the fit did not converge in 200 iterations");
	if (CHECK(r.value != NULL)) {
		show("no convergence", names, &r, 0);
		CHECK_INT(r.status, GSL_EMAXITER);
		CHECK_INT(r.iterations, 200);
		CHECK(r.initial[0] == 34 && r.value[0] != 34 && r.chisq < r.chisq0);
		CHECK(r.count[0] == 101 && r.rmse[0] > 0);
	}
	tw_fit_result_release(&r);
	data_free(&d);
	json_decref(root);
}

/* Data the starting values fit exactly: no step lowers a cost of 0, and
 * that is convergence, not a failure. */
static void test_exact_start(void)
{
	static const char *const names[] = { "a" };
	json_t *root = first_order("2", "0", "1");
	struct tw_fit_result r;
	struct tw_err e;
	double t[3] = { 0, 1, 2 }, in[3] = { 0, 0, 0 }, out[3] = { 2, 2, 2 };
	struct tw_fit_series s = { "x-1", 3, t, in, out };

	if (!root)
		return;
	json_object_set_new(json_object_get(model_of(root), "outputs"), "y",
			    json_pack("{s:s}", "expr", "x * a"));
	int rc = tw_fit(model_of(root), "t.json", names, 1, &s, 1, TW_SOLVER_RK4, 1, 1e-6, 1e-9,
			&r, &e);
	if (!CHECK(rc == 0))
		fprintf(stderr, "    %s\n", e.msg);
	if (CHECK(r.value != NULL)) {
		CHECK(r.value[0] == 2 && r.chisq == 0 && r.chisq0 == 0);
		CHECK_INT(r.status, GSL_SUCCESS);
		CHECK_INT(r.iterations, 0);
		CHECK(r.stderr_[0] == 0);
		CHECK(r.rmse[0] == 0);
	}
	tw_fit_result_release(&r);
	json_decref(root);
}

static void test_apply(void)
{
	json_t *root = library("thermal.json");
	static const char *const names[] = { "R", "C" };
	double value[] = { 0.0512, 9123.5 }, se[] = { 0.001, 50 }, init[] = { 0.05, 9200 };
	struct tw_fit_result r = { 2, value, se, init, 0, NULL, NULL, 3, 1, 0.5, 0 };

	if (!root)
		return;
	json_t *copy = tw_fit_apply(root, names, &r);
	json_t *pars = json_object_get(model_of(copy), "parameters");
	json_t *c = json_object_get(pars, "C"), *rr = json_object_get(pars, "R");
	CHECK(copy != NULL && copy != root);
	CHECK(num(json_object_get(c, "value")) == 9123.5);
	CHECK(num(json_object_get(rr, "value")) == 0.0512);
	/* the rest of each parameter kept, the original untouched */
	CHECK_STR(json_string_value(json_object_get(c, "unit")), "J/K");
	CHECK(num(json_object_get(c, "min")) == 100 && num(json_object_get(c, "max")) == 1e7);
	pars = json_object_get(model_of(root), "parameters");
	CHECK(num(json_object_get(json_object_get(pars, "C"), "value")) == 9200);
	CHECK(json_equal(json_object_get(copy, "comment"), json_object_get(root, "comment")));
	json_decref(copy);
	json_decref(root);

	/* The number form stays a number. */
	root = first_order("0.5", "-a * x", "0.01");
	static const char *const one[] = { "a" };
	double v1[] = { 0.4321 };
	r.nparams = 1;
	r.value = v1;
	copy = tw_fit_apply(root, one, &r);
	pars = json_object_get(model_of(copy), "parameters");
	CHECK(json_is_number(json_object_get(pars, "a")) && num(json_object_get(pars, "a")) == 0.4321);
	CHECK(num(json_object_get(pars, "unused")) == 3);
	CHECK(num(json_object_get(json_object_get(model_of(root), "parameters"), "a")) == 0.5);
	/* what a fit writes loads again, with the new value */
	struct tw_err e;
	struct tw_model *m = tw_model_load(model_of(copy), "t.json", &e);
	if (CHECK(m != NULL))
		CHECK(tw_model_param_value(m, tw_model_param_index(m, "a")) == 0.4321);
	tw_model_free(m);
	json_decref(copy);
	json_decref(root);
}

int main(void)
{
	test_thermal();
	test_pooled();
	test_tank();
	test_errors();
	test_unidentifiable();
	test_failures();
	test_no_convergence();
	test_exact_start();
	test_apply();
	return check_done("fit");
}
