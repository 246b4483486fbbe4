/* fit.c - see fit.h.
 *
 * The model is simulated as shadow mode does (drive.h), once per series
 * from its initial state, and the residuals are (measured - simulated) /
 * sigma for every (sample, output) with a measurement, sigma the
 * output's noise (1 when it has none).  A sample whose time does not
 * come after the last simulated one only updates the inputs, as in
 * shadow mode.
 *
 * Bounds: the parameters are not fitted as they are but through a map
 * u -> p that cannot leave [min, max]:
 *   min and max   p = min + (max - min) / (1 + exp(-g))   (logistic)
 *   min only      p = min + exp(g)
 *   max only      p = max - exp(g)
 *   neither       p = g
 * with g = g0 + c (u - 1): every fitted u starts at 1 (so that GSL's
 * relative steps and tolerances mean the same for each), c = |p0| (or 1
 * when p0 is 0) for an unbounded parameter, else 1.  Near a bound the
 * maps are logarithmic, which suits parameters that span decades.  A
 * start on a bound is moved inside by 1e-6 of the bound's magnitude
 * (at least 1e-6), or 1e-9 of the range.
 *
 * A solver failure (or an output that is not finite) during the fit is
 * not an error: GSL's trust region returns the status of a failed
 * evaluation straight to its driver, which stops, so the residuals are
 * instead set to a penalty far above any real cost: the step is
 * rejected and the trust region shrinks.  At the starting values it is
 * an error.
 *
 * Standard errors: cov_u = (J'J)^-1 (gsl_multifit_nlinear_covar on the
 * final Jacobian, in u) times chisq / (N - p); in parameter units by the
 * delta method, stderr_p = |dp/du| sqrt(cov_u).  A parameter whose
 * column of pivoted R falls below RANK_EPS of the largest (the data do
 * not depend on it, or only as the other fitted parameters already
 * explain) gets an infinite standard error, and the fit fails. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <gsl/gsl_vector.h>

#include "drive.h"
#include "fit.h"
#include "model.h"

#define MAX_ITER 200
#define XTOL 1e-8
#define GTOL 1e-8
#define FTOL 0.0
#define RANK_EPS 1e-6       /* relative size of R's diagonal: a singular covariance */
#define MAX_RESIDUAL 1e50   /* noises: beyond, a failure (the squares stay finite) */
#define PENALTY 1e100       /* each residual of a failed evaluation: above any real */

enum map { MAP_FREE, MAP_LOWER, MAP_UPPER, MAP_BOTH };

struct fpar {
	int index;              /* in the model */
	enum map map;
	double lo, hi;
	double g0, c;           /* g = g0 + c (u - 1) */
};

struct fit {
	struct tw_model *m;
	struct tw_ode *ode;
	double step;
	const struct tw_fit_series *series;
	int nseries;
	struct fpar *par;
	int np, ns, ni, no;
	double *y, *prev, *cur, *out, *sigma;
	bool strict;            /* a failure is an error, not a penalty */
	long evals;             /* of the residuals */
	struct tw_err err;      /* the last failure */
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

/* --- the parameters' maps --------------------------------------------------------- */

static double logistic(double g)
{
	return 1 / (1 + exp(-g));
}

/* Sets up the map of parameter i of m starting at p0 (within its bounds). */
static void map_init(struct fpar *f, const struct tw_model *m, int i, double p0)
{
	double lo = tw_model_param_min(m, i), hi = tw_model_param_max(m, i);

	f->index = i;
	f->lo = lo;
	f->hi = hi;
	f->c = 1;
	if (isnan(lo) && isnan(hi)) {
		f->map = MAP_FREE;
		f->g0 = p0;
		f->c = p0 != 0 ? fabs(p0) : 1;
	} else if (isnan(hi)) {
		f->map = MAP_LOWER;
		f->g0 = log(fmax(p0 - lo, 1e-6 * fmax(fabs(lo), 1)));
	} else if (isnan(lo)) {
		f->map = MAP_UPPER;
		f->g0 = log(fmax(hi - p0, 1e-6 * fmax(fabs(hi), 1)));
	} else {
		double q = (p0 - lo) / (hi - lo);
		q = fmin(fmax(q, 1e-9), 1 - 1e-9);
		f->map = MAP_BOTH;
		f->g0 = log(q / (1 - q));
	}
}

static double map_p(const struct fpar *f, double u)
{
	double g = f->g0 + f->c * (u - 1);

	switch (f->map) {
	case MAP_LOWER: return f->lo + exp(g);
	case MAP_UPPER: return f->hi - exp(g);
	case MAP_BOTH: return f->lo + (f->hi - f->lo) * logistic(g);
	default: return g;
	}
}

/* dp/du at u. */
static double map_slope(const struct fpar *f, double u)
{
	double g = f->g0 + f->c * (u - 1), q;

	switch (f->map) {
	case MAP_LOWER: return exp(g);
	case MAP_UPPER: return -exp(g);
	case MAP_BOTH:
		q = logistic(g);
		return (f->hi - f->lo) * q * (1 - q);
	default: return f->c;
	}
}

/* --- simulating ------------------------------------------------------------------- */

/* Sample i of series x is simulated (its time is after the last one
 * simulated, *last, which it then becomes). */
static bool simulated(const struct tw_fit_series *x, int i, double *last)
{
	double t = x->t[i] - x->t[0];

	if (i > 0 && !(t > *last))
		return false;
	*last = t;
	return true;
}

static int failure(struct fit *f, const struct tw_fit_series *x, const char *msg)
{
	return tw_err_set(&f->err, "%s: %s", x->asset ? x->asset : "series", msg);
}

/* Simulates every series with the parameters u into the residuals r.
 * -1 with f->err when the solver fails or an output is not finite (or
 * absurd). */
static int simulate(struct fit *f, const gsl_vector *u, gsl_vector *r)
{
	size_t row = 0;
	struct tw_err e;

	for (int j = 0; j < f->np; j++)
		tw_model_param_set(f->m, f->par[j].index, map_p(&f->par[j], gsl_vector_get(u, j)));
	for (int s = 0; s < f->nseries; s++) {
		const struct tw_fit_series *x = &f->series[s];
		double t = 0, last = 0;
		for (int k = 0; k < f->ns; k++)
			f->y[k] = tw_model_state_initial(f->m, k);
		for (int i = 0; i < f->ni; i++)
			f->cur[i] = tw_model_input_default(f->m, i);
		tw_ode_reset(f->ode);
		tw_model_restart(f->m);   /* a unit starts again, with these parameters */
		for (int i = 0; i < x->n; i++) {
			const double *in = f->ni ? x->in + (size_t)i * f->ni : NULL;
			const double *meas = f->no ? x->out + (size_t)i * f->no : NULL;
			/* A missing input keeps its last value. */
			memcpy(f->prev, f->cur, (size_t)f->ni * sizeof *f->cur);
			for (int j = 0; j < f->ni; j++)
				if (isfinite(in[j]))
					f->cur[j] = in[j];
			if (!simulated(x, i, &last))
				continue;
			if (i == 0)
				memcpy(f->prev, f->cur, (size_t)f->ni * sizeof *f->cur);
			else if (tw_drive_measured(f->ode, f->m, f->step, &t, last, f->y, f->prev, f->cur,
						   &e) < 0)
				return failure(f, x, e.msg);
			for (int j = 0; j < f->ni; j++)
				tw_model_input_set(f->m, j, f->cur[j]);
			if (tw_model_outputs(f->m, t, f->y, f->out) < 0)
				return failure(f, x, tw_model_failure(f->m));
			for (int k = 0; k < f->no; k++) {
				if (!isfinite(meas[k]))
					continue;
				double d = (meas[k] - f->out[k]) / f->sigma[k];
				if (!isfinite(f->out[k]))
					tw_err_set(&e, "the output %s is not finite at t=%.17g s",
						   tw_model_output_name(f->m, k), t);
				else if (!(fabs(d) <= MAX_RESIDUAL))
					tw_err_set(&e, "the output %s is %.6g at t=%.17g s, absurdly "
						   "far from the measurement (%.6g)",
						   tw_model_output_name(f->m, k), f->out[k], t, meas[k]);
				else {
					gsl_vector_set(r, row++, d);
					continue;
				}
				return failure(f, x, e.msg);
			}
		}
	}
	return 0;
}

/* GSL's residual function. */
static int residuals(const gsl_vector *u, void *params, gsl_vector *r)
{
	struct fit *f = params;

	f->evals++;
	if (simulate(f, u, r) == 0)
		return GSL_SUCCESS;
	if (f->strict)
		return GSL_EBADFUNC;
	gsl_vector_set_all(r, PENALTY);
	return GSL_SUCCESS;
}

/* --- checking the arguments ------------------------------------------------------- */

static int check_params(struct tw_model *m, const char *const *params, int nparams,
			struct tw_err *e)
{
	if (nparams < 1)
		return tw_err_set(e, "no parameters to fit");
	for (int j = 0; j < nparams; j++) {
		int i = tw_model_param_index(m, params[j]);
		if (i < 0)
			return tw_err_set(e, "the model has no parameter '%s'", params[j]);
		for (int k = 0; k < j; k++)
			if (strcmp(params[k], params[j]) == 0)
				return tw_err_set(e, "the parameter '%s' is listed twice", params[j]);
		if (tw_model_param_min(m, i) == tw_model_param_max(m, i))
			return tw_err_set(e, "the parameter '%s' cannot move: its min and max are "
					  "both %.17g", params[j], tw_model_param_min(m, i));
	}
	return 0;
}

/* Counts the measurements per output into count; their sum, or -1 with
 * e when a time is not finite. */
static long count_measurements(const struct tw_fit_series *series, int nseries, int no,
			       long *count, struct tw_err *e)
{
	long n = 0;

	for (int s = 0; s < nseries; s++) {
		const struct tw_fit_series *x = &series[s];
		double last = 0;
		for (int i = 0; i < x->n; i++) {
			if (!isfinite(x->t[i]))
				return tw_err_set(e, "%s: the time of sample %d is not finite",
						  x->asset ? x->asset : "series", i);
			if (!simulated(x, i, &last))
				continue;
			for (int k = 0; k < no; k++)
				if (isfinite(x->out[(size_t)i * no + k])) {
					count[k]++;
					n++;
				}
		}
	}
	return n;
}

/* "a, b and c": the names of the model's output sensors. */
static void output_names(const struct tw_model *m, char *buf, size_t size)
{
	int no = tw_model_noutputs(m);
	size_t len = 0;

	buf[0] = 0;
	for (int k = 0; k < no && len < size; k++) {
		const char *sep = k == 0 ? "" : k == no - 1 ? " and " : ", ";
		int w = snprintf(buf + len, size - len, "%s%s", sep, tw_model_output_sensor(m, k));
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/* --- fitting ---------------------------------------------------------------------- */

/* Standard errors into res from the final Jacobian; -1 with e naming
 * the parameters the data do not determine (their errors infinite). */
static int standard_errors(const struct fit *f, const char *const *params,
			   gsl_multifit_nlinear_workspace *w, size_t n, struct tw_fit_result *res,
			   struct tw_err *e)
{
	const gsl_matrix *J = gsl_multifit_nlinear_jac(w);
	const gsl_vector *u = gsl_multifit_nlinear_position(w);
	gsl_matrix *covar = gsl_matrix_alloc((size_t)f->np, (size_t)f->np);
	double s2 = res->chisq / (double)(n - (size_t)f->np), cmax = 0;
	int bad = 0;

	if (!covar)
		abort();
	gsl_multifit_nlinear_covar(J, RANK_EPS, covar);
	for (int j = 0; j < f->np; j++) {
		gsl_vector_const_view col = gsl_matrix_const_column(J, (size_t)j);
		cmax = fmax(cmax, gsl_blas_dnrm2(&col.vector));
	}
	for (int j = 0; j < f->np; j++) {
		gsl_vector_const_view col = gsl_matrix_const_column(J, (size_t)j);
		double var = gsl_matrix_get(covar, (size_t)j, (size_t)j);
		double norm = gsl_blas_dnrm2(&col.vector);
		if (!(var > 0) || !isfinite(var) || !(norm > RANK_EPS * cmax)) {
			res->stderr_[j] = INFINITY;
			if (!bad++)
				tw_err_set(e, "the data do not determine the parameter '%s'%s", params[j],
					   norm > 0 ? " apart from the other fitted parameters "
					   "(singular covariance): fit fewer of them, or give data "
					   "that tell them apart" : ": no measured output depends on it");
			continue;
		}
		double slope = map_slope(&f->par[j], gsl_vector_get(u, (size_t)j));
		res->stderr_[j] = fabs(slope) * sqrt(var * s2);
	}
	gsl_matrix_free(covar);
	return bad ? -1 : 0;
}

/* RMSE per output (in its units) from the final residuals. */
static void rmse(const struct fit *f, gsl_multifit_nlinear_workspace *w, struct tw_fit_result *res)
{
	const gsl_vector *r = gsl_multifit_nlinear_residual(w);
	double *sum = xcalloc((size_t)f->no, sizeof *sum);
	size_t row = 0;

	for (int s = 0; s < f->nseries; s++) {
		const struct tw_fit_series *x = &f->series[s];
		double last = 0;
		for (int i = 0; i < x->n; i++) {
			if (!simulated(x, i, &last))
				continue;
			for (int k = 0; k < f->no; k++)
				if (isfinite(x->out[(size_t)i * f->no + k])) {
					double d = gsl_vector_get(r, row++) * f->sigma[k];
					sum[k] += d * d;
				}
		}
	}
	for (int k = 0; k < f->no; k++)
		res->rmse[k] = res->count[k] ? sqrt(sum[k] / (double)res->count[k]) : NAN;
	free(sum);
}

/* GSL's gradient test (gsl_multifit_nlinear_test) at the current point:
 * max_i |g_i| max(u_i, 1) <= gtol max(chisq / 2, 1), g = J'f. */
static bool at_minimum(gsl_multifit_nlinear_workspace *w, double chisq)
{
	const gsl_vector *u = gsl_multifit_nlinear_position(w);
	gsl_vector *g = gsl_vector_alloc(u->size);
	double gnorm = 0;

	if (!isfinite(chisq))
		return false;
	if (!g)
		abort();
	gsl_blas_dgemv(CblasTrans, 1, gsl_multifit_nlinear_jac(w), gsl_multifit_nlinear_residual(w),
		       0, g);
	for (size_t i = 0; i < u->size; i++) {
		double gi = fabs(gsl_vector_get(g, i)) * fmax(gsl_vector_get(u, i), 1);
		gnorm = isnan(gi) ? INFINITY : fmax(gnorm, gi);
	}
	gsl_vector_free(g);
	return gnorm <= GTOL * fmax(chisq / 2, 1);
}

static int run(struct fit *f, const char *const *params, size_t n, enum tw_solver solver,
	       double rtol, struct tw_fit_result *res, struct tw_err *e)
{
	gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
	gsl_multifit_nlinear_fdf fdf;
	gsl_multifit_nlinear_workspace *w;
	gsl_vector *u0;
	int info = 0, rc;
	double c;

	fp.trs = gsl_multifit_nlinear_trs_lm;
	fp.scale = gsl_multifit_nlinear_scale_more;
	/* An adaptive solver's answer moves with its step choices, by about
	 * rtol: a difference step of sqrt(eps) would measure that noise. */
	if (solver != TW_SOLVER_RK4)
		fp.h_df = fmax(fp.h_df, sqrt(rtol));
	memset(&fdf, 0, sizeof fdf);
	fdf.f = residuals;
	fdf.df = NULL;
	fdf.fvv = NULL;
	fdf.n = n;
	fdf.p = (size_t)f->np;
	fdf.params = f;
	w = gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, n, (size_t)f->np);
	u0 = gsl_vector_alloc((size_t)f->np);
	if (!w || !u0)
		abort();
	gsl_vector_set_all(u0, 1);

	f->strict = true;
	rc = gsl_multifit_nlinear_init(u0, &fdf, w);
	f->strict = false;
	if (rc != GSL_SUCCESS) {
		tw_fit_result_release(res);   /* nothing to report */
		if (f->err.msg[0])
			tw_err_set(e, "the model fails %s: %s", f->evals > 1 ? "next to the starting "
				   "values (moved by the Jacobian's finite differences)" :
				   "with the starting values", f->err.msg);
		else
			tw_err_set(e, "the fit could not start: %s", gsl_strerror(rc));
		goto out;
	}
	gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &c);
	res->chisq0 = c;

	/* The driver tests for convergence only after a step: starting
	 * values already at the minimum (a cost of 0, say) would find none
	 * that lowers it and end as a failure. */
	if (at_minimum(w, c))
		rc = GSL_SUCCESS;
	else
		rc = gsl_multifit_nlinear_driver(MAX_ITER, XTOL, GTOL, FTOL, NULL, NULL, &info, w);
	res->status = rc;
	res->iterations = (int)gsl_multifit_nlinear_niter(w);
	const gsl_vector *u = gsl_multifit_nlinear_position(w);
	for (int j = 0; j < f->np; j++)
		res->value[j] = map_p(&f->par[j], gsl_vector_get(u, (size_t)j));
	gsl_blas_ddot(gsl_multifit_nlinear_residual(w), gsl_multifit_nlinear_residual(w), &c);
	res->chisq = c;
	rmse(f, w, res);
	int se = standard_errors(f, params, w, n, res, e);
	if (rc == GSL_EMAXITER && info == GSL_ENOPROG)
		tw_err_set(e, "the fit found no step from the starting values that lowers the "
			   "residuals");
	else if (rc == GSL_EMAXITER)
		tw_err_set(e, "the fit did not converge in %d iterations", MAX_ITER);
	else if (rc != GSL_SUCCESS)
		tw_err_set(e, "the fit failed: %s", gsl_strerror(rc));
	else if (se == 0)
		rc = 0;
	else
		rc = GSL_FAILURE;   /* e names the parameter */
out:
	gsl_vector_free(u0);
	gsl_multifit_nlinear_free(w);
	return rc == GSL_SUCCESS ? 0 : -1;
}

int tw_fit(const json_t *section, const char *file, const char *const *params, int nparams,
	   const struct tw_fit_series *series, int nseries, enum tw_solver solver, double step,
	   double rtol, double atol, struct tw_fit_result *res, struct tw_err *e)
{
	struct fit f;
	long *count = NULL;
	long n;
	int rc = -1;
	char names[256];

	memset(res, 0, sizeof *res);
	memset(&f, 0, sizeof f);
	if (!(f.m = tw_model_load(section, file, e)))
		return -1;
	f.ns = tw_model_nstates(f.m);
	f.ni = tw_model_ninputs(f.m);
	f.no = tw_model_noutputs(f.m);
	f.np = nparams;
	f.step = step;
	f.series = series;
	f.nseries = nseries;
	if (check_params(f.m, params, nparams, e) < 0)
		goto out;
	count = xcalloc((size_t)f.no, sizeof *count);
	if ((n = count_measurements(series, nseries, f.no, count, e)) < 0)
		goto out;
	if (n == 0) {
		output_names(f.m, names, sizeof names);
		tw_err_set(e, "no measurements to fit to: the data have no values of %s",
			   f.no ? names : "the model's outputs (it has none)");
		goto out;
	}
	if (n <= nparams) {
		tw_err_set(e, "%ld measurements cannot determine %d parameters", n, nparams);
		goto out;
	}
	if (!(f.ode = tw_ode_new(f.m, solver, step, rtol, atol, e)))
		goto out;
	f.par = xcalloc((size_t)nparams, sizeof *f.par);
	f.y = xcalloc((size_t)f.ns, sizeof *f.y);
	f.prev = xcalloc((size_t)f.ni, sizeof *f.prev);
	f.cur = xcalloc((size_t)f.ni, sizeof *f.cur);
	f.out = xcalloc((size_t)f.no, sizeof *f.out);
	f.sigma = xcalloc((size_t)f.no, sizeof *f.sigma);
	for (int k = 0; k < f.no; k++) {
		double s = tw_model_output_noise(f.m, k);
		f.sigma[k] = s > 0 && isfinite(s) ? s : 1;
	}

	res->nparams = nparams;
	res->value = xcalloc((size_t)nparams, sizeof *res->value);
	res->stderr_ = xcalloc((size_t)nparams, sizeof *res->stderr_);
	res->initial = xcalloc((size_t)nparams, sizeof *res->initial);
	res->noutputs = f.no;
	res->rmse = xcalloc((size_t)f.no, sizeof *res->rmse);
	res->count = count;
	count = NULL;
	for (int j = 0; j < nparams; j++) {
		int i = tw_model_param_index(f.m, params[j]);
		res->initial[j] = res->value[j] = tw_model_param_get(f.m, i);
		res->stderr_[j] = NAN;
		map_init(&f.par[j], f.m, i, res->initial[j]);
	}
	for (int k = 0; k < f.no; k++)
		res->rmse[k] = NAN;

	gsl_error_handler_t *old = gsl_set_error_handler_off();
	rc = run(&f, params, (size_t)n, solver, rtol, res, e);
	gsl_set_error_handler(old);
out:
	free(count);
	free(f.par), free(f.y), free(f.prev), free(f.cur), free(f.out), free(f.sigma);
	tw_ode_free(f.ode);
	tw_model_free(f.m);
	return rc;
}

void tw_fit_result_release(struct tw_fit_result *res)
{
	if (!res)
		return;
	free(res->value), free(res->stderr_), free(res->initial);
	free(res->rmse), free(res->count);
	memset(res, 0, sizeof *res);
}

json_t *tw_fit_apply(const json_t *root, const char *const *params, const struct tw_fit_result *res)
{
	json_t *copy = json_deep_copy(root);
	json_t *pars = json_object_get(json_object_get(copy, "model"), "parameters");

	if (!copy)
		return NULL;
	/* A unit's parameter need not be in the file: it is added. */
	if (!pars && json_is_object(json_object_get(copy, "model"))) {
		pars = json_object();
		json_object_set_new(json_object_get(copy, "model"), "parameters", pars);
	}
	for (int j = 0; j < res->nparams; j++) {
		json_t *p = json_object_get(pars, params[j]);
		if (json_is_object(p))
			json_object_set_new(p, "value", json_real(res->value[j]));
		else
			json_object_set_new(pars, params[j], json_real(res->value[j]));
	}
	return copy;
}
