/* ode.c - see ode.h.
 *
 * rk4 is written out here rather than taken from GSL: GSL's rk4 step
 * estimates its error by step doubling (a full step and two half steps,
 * 11 evaluations of the model where fixed steps need 4), and a fixed
 * step has no use for the estimate.
 *
 * The adaptive solvers run GSL's evolve loop ourselves, over a driver
 * object (msbdf reads its tolerances through the driver): so that a
 * failure leaves the last good state in y and its time in *t, and so
 * that steps are counted. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_odeiv2.h>

#include "ode.h"

static const char *const NAMES[] = { "rk4", "rkf45", "rk8pd", "bdf" };

struct tw_ode {
	struct tw_model *m;
	enum tw_solver solver;
	size_t dim;
	double step;
	gsl_odeiv2_system sys;        /* the driver keeps a pointer to it */
	gsl_odeiv2_driver *d;         /* NULL for rk4 */
	double *work;                 /* one block: the arrays below */
	double *k1, *k2, *k3, *k4, *ytmp;   /* rk4 */
	double *jy, *jf1, *jf2;       /* the Jacobian's differences */
	long steps;
	bool fmu;                     /* the model is a co-simulation unit */
};

int tw_solver_parse(const char *name, enum tw_solver *s, struct tw_err *e)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, NAMES[i]) == 0) {
			*s = (enum tw_solver)i;
			return 0;
		}
	return tw_err_set(e, "unknown solver '%s' (known: rk4, rkf45, rk8pd, bdf)", name);
}

const char *tw_solver_name(enum tw_solver s)
{
	return (unsigned)s < 4 ? NAMES[s] : "?";
}

static int rhs(double t, const double y[], double dydt[], void *params)
{
	struct tw_ode *o = params;

	return tw_model_rhs(o->m, t, y, dydt);
}

/* df/dy (row-major: dfdy[i * dim + j] = df_i/dy_j) and df/dt by
 * central differences of the model, steps sqrt(eps) max(|x|, 1). */
static int jacobian(double t, const double y[], double *dfdy, double dfdt[], void *params)
{
	struct tw_ode *o = params;
	const double h0 = sqrt(DBL_EPSILON);
	size_t i, j, n = o->dim;
	double h, lo, hi;
	int s;

	memcpy(o->jy, y, n * sizeof *y);
	for (j = 0; j < n; j++) {
		h = h0 * fmax(fabs(y[j]), 1);
		/* the steps as the doubles hold them, to divide by */
		hi = o->jy[j] = y[j] + h;
		if ((s = tw_model_rhs(o->m, t, o->jy, o->jf1)) != GSL_SUCCESS)
			return s;
		lo = o->jy[j] = y[j] - h;
		if ((s = tw_model_rhs(o->m, t, o->jy, o->jf2)) != GSL_SUCCESS)
			return s;
		o->jy[j] = y[j];
		for (i = 0; i < n; i++)
			dfdy[i * n + j] = (o->jf1[i] - o->jf2[i]) / (hi - lo);
	}
	h = h0 * fmax(fabs(t), 1);
	hi = t + h;
	lo = t - h;
	if ((s = tw_model_rhs(o->m, hi, y, o->jf1)) != GSL_SUCCESS ||
	    (s = tw_model_rhs(o->m, lo, y, o->jf2)) != GSL_SUCCESS)
		return s;
	for (i = 0; i < n; i++)
		dfdt[i] = (o->jf1[i] - o->jf2[i]) / (hi - lo);
	return GSL_SUCCESS;
}

struct tw_ode *tw_ode_new(struct tw_model *m, enum tw_solver s, double step,
			  double rtol, double atol, struct tw_err *e)
{
	static const gsl_odeiv2_step_type *const *types[] = {
		NULL, &gsl_odeiv2_step_rkf45, &gsl_odeiv2_step_rk8pd, &gsl_odeiv2_step_msbdf
	};
	struct tw_ode *o;
	size_t n = (size_t)tw_model_nstates(m);

	if ((unsigned)s >= 4) {
		tw_err_set(e, "unknown solver");
		return NULL;
	}
	if (!(isfinite(step) && step > 0)) {
		tw_err_set(e, "the step must be a number of seconds greater than zero");
		return NULL;
	}
	if (s != TW_SOLVER_RK4 && !(rtol >= 0 && atol >= 0 && rtol + atol > 0 &&
				    isfinite(rtol + atol))) {
		tw_err_set(e, "the tolerances must not be negative, nor both zero");
		return NULL;
	}
	if (tw_model_is_fmu(m)) {
		/* The unit integrates itself: each advance is one step of it. */
		if (!(o = calloc(1, sizeof *o))) {
			tw_err_set(e, "out of memory");
			return NULL;
		}
		o->m = m;
		o->solver = s;
		o->step = step;
		o->fmu = true;
		return o;
	}
	if (!(o = calloc(1, sizeof *o)) || !(o->work = calloc(8 * n, sizeof *o->work))) {
		free(o);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	o->m = m;
	o->solver = s;
	o->dim = n;
	o->step = step;
	o->k1 = o->work;
	o->k2 = o->k1 + n;
	o->k3 = o->k2 + n;
	o->k4 = o->k3 + n;
	o->ytmp = o->k4 + n;
	o->jy = o->ytmp + n;
	o->jf1 = o->jy + n;
	o->jf2 = o->jf1 + n;
	o->sys.function = rhs;
	o->sys.jacobian = jacobian;
	o->sys.dimension = n;
	o->sys.params = o;
	if (s != TW_SOLVER_RK4) {
		gsl_error_handler_t *old = gsl_set_error_handler_off();
		o->d = gsl_odeiv2_driver_alloc_y_new(&o->sys, *types[s], step, atol, rtol);
		gsl_set_error_handler(old);
		if (!o->d) {
			tw_ode_free(o);
			tw_err_set(e, "out of memory");
			return NULL;
		}
	}
	return o;
}

/* The message for a failure of status at t. */
static int failed(struct tw_ode *o, double t, int status, struct tw_err *e)
{
	int bad = tw_model_bad_state(o->m);

	if (status == GSL_EBADFUNC && bad >= 0)
		return tw_err_set(e, "the solver failed at t=%.17g s: model.derivatives.%s "
				  "is not finite", t, tw_model_state_name(o->m, bad));
	return tw_err_set(e, "the solver failed at t=%.17g s: %s", t, gsl_strerror(status));
}

/* One classical RK4 step of h from (t, y); y is left alone on failure. */
static int rk4_step(struct tw_ode *o, double t, double h, double y[])
{
	const size_t n = o->dim;
	double *k1 = o->k1, *k2 = o->k2, *k3 = o->k3, *k4 = o->k4, *yt = o->ytmp;
	size_t i;
	int s;

	if ((s = tw_model_rhs(o->m, t, y, k1)) != GSL_SUCCESS)
		return s;
	for (i = 0; i < n; i++)
		yt[i] = y[i] + 0.5 * h * k1[i];
	if ((s = tw_model_rhs(o->m, t + 0.5 * h, yt, k2)) != GSL_SUCCESS)
		return s;
	for (i = 0; i < n; i++)
		yt[i] = y[i] + 0.5 * h * k2[i];
	if ((s = tw_model_rhs(o->m, t + 0.5 * h, yt, k3)) != GSL_SUCCESS)
		return s;
	for (i = 0; i < n; i++)
		yt[i] = y[i] + h * k3[i];
	if ((s = tw_model_rhs(o->m, t + h, yt, k4)) != GSL_SUCCESS)
		return s;
	for (i = 0; i < n; i++)
		y[i] += h / 6 * (k1[i] + 2 * (k2[i] + k3[i]) + k4[i]);
	return GSL_SUCCESS;
}

static int advance_rk4(struct tw_ode *o, double *t, double t1, double y[], struct tw_err *e)
{
	const double t0 = *t, h = o->step;

	/* Times as t0 + k h, not sums of h, so that rounding does not
	 * accumulate; a last step within 1e-9 h of t1 lands on t1. */
	for (long k = 1; *t < t1; k++) {
		double tn = t0 + (double)k * h;
		int s;
		if (tn > t1 - 1e-9 * h)
			tn = t1;
		if ((s = rk4_step(o, *t, tn - *t, y)) != GSL_SUCCESS)
			return failed(o, *t, s, e);
		*t = tn;
		o->steps++;
	}
	return 0;
}

static int advance_adaptive(struct tw_ode *o, double *t, double t1, double y[],
			    struct tw_err *e)
{
	gsl_odeiv2_driver *d = o->d;
	gsl_error_handler_t *old = gsl_set_error_handler_off();
	int s = GSL_SUCCESS;

	while (*t < t1) {
		double t0 = *t;
		s = gsl_odeiv2_evolve_apply(d->e, d->c, d->s, &o->sys, t, t1, &d->h, y);
		if (s != GSL_SUCCESS) {
			/* evolve saved y in e->y0 before the step */
			*t = t0;
			memcpy(y, d->e->y0, o->dim * sizeof *y);
			break;
		}
		o->steps++;
	}
	gsl_set_error_handler(old);
	return s == GSL_SUCCESS ? 0 : failed(o, *t, s, e);
}

int tw_ode_advance(struct tw_ode *o, double *t, double t1, double y[], struct tw_err *e)
{
	size_t i;
	int rc;

	if (!(t1 >= *t))
		return tw_err_set(e, "cannot advance from t=%.17g s back to %.17g s", *t, t1);
	if (o->fmu) {
		if (tw_model_fmu_step(o->m, *t, t1, e) < 0)
			return -1;
		*t = t1;
		o->steps++;
		return 0;
	}
	if (o->solver == TW_SOLVER_RK4)
		rc = advance_rk4(o, t, t1, y, e);
	else
		rc = advance_adaptive(o, t, t1, y, e);
	if (rc < 0)
		return rc;
	/* Finite derivatives can still overflow a state. */
	for (i = 0; i < o->dim; i++)
		if (!isfinite(y[i]))
			return tw_err_set(e, "the solver failed at t=%.17g s: the state %s "
					  "is not finite", *t,
					  tw_model_state_name(o->m, (int)i));
	return 0;
}

void tw_ode_reset(struct tw_ode *o)
{
	if (o->d) {
		gsl_error_handler_t *old = gsl_set_error_handler_off();
		gsl_odeiv2_driver_reset_hstart(o->d, o->step);
		gsl_set_error_handler(old);
	}
}

long tw_ode_steps(const struct tw_ode *o)
{
	return o->steps;
}

void tw_ode_free(struct tw_ode *o)
{
	if (!o)
		return;
	if (o->d)
		gsl_odeiv2_driver_free(o->d);
	free(o->work);
	free(o);
}
