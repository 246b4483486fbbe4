/* fit.h - calibration: a model's parameters estimated from recorded data.
 *
 * The data is one series per asset: the measured inputs and outputs of
 * the model at increasing times.  The model is simulated over each
 * series from its initial state, driven by the measured inputs (held or
 * interpolated as the model says, as in shadow mode), and the parameters
 * are moved to minimise the sum of squared residuals (measured -
 * simulated) over every output with a measurement, each output scaled by
 * its noise (or 1 when it has none), with GSL's nonlinear least squares
 * (gsl_multifit_nlinear, Levenberg-Marquardt, finite-difference
 * Jacobian), within the parameters' min and max (fitted through a map
 * that cannot leave them: logistic, exponential or none; fit.c).
 *
 * Standard errors: from the covariance (J'J)^-1 at the end, scaled by
 * chisq / (N - p) (so they hold whatever the noises' absolute sizes),
 * in parameter units.  A parameter the data do not determine (no output
 * depends on it, or not apart from the other fitted ones) has an
 * infinite one, and the fit fails.
 *
 * GSL's error handler is switched off during tw_fit and restored after
 * (process-wide: one fit, or solver, at a time).
 *
 * Ownership: the caller owns the series and the result's arrays are
 * owned by the result (tw_fit_result_release). */
#ifndef TW_FIT_H
#define TW_FIT_H

#include <jansson.h>

#include "err.h"
#include "ode.h"

struct tw_fit_series {
	const char *asset;
	int n;                 /* samples */
	const double *t;       /* n times, seconds from the first (t[0] == 0) */
	const double *in;      /* n x ninputs, row-major: measured inputs (NAN: keep the last) */
	const double *out;     /* n x noutputs, row-major: measured outputs (NAN: none) */
};

struct tw_fit_result {
	int nparams;
	double *value, *stderr_, *initial;   /* per fitted parameter */
	int noutputs;
	double *rmse;          /* per output, over its measurements; NAN when none */
	long *count;           /* measurements per output */
	int iterations;
	double chisq0, chisq;  /* weighted sum of squares before and after */
	int status;            /* GSL's status of the fit */
};

/* Fits the parameters named in params (nparams of them) of the model in
 * section over the series, starting from their values in section.
 * -1 with e: an unknown parameter, no measurements, a solver failure
 * at the starting values (during the fit, one only turns it back), a
 * fit that did not converge, a parameter the data do not determine.
 * res is always safe to release: its arrays are NULL when the fit did
 * not start, and filled, even with -1, when it did (value: where it
 * stopped; status: GSL's, GSL_EMAXITER when it did not converge). */
int tw_fit(const json_t *section, const char *file, const char *const *params, int nparams,
	   const struct tw_fit_series *series, int nseries, enum tw_solver solver, double step,
	   double rtol, double atol, struct tw_fit_result *res, struct tw_err *e);

void tw_fit_result_release(struct tw_fit_result *res);

/* A copy of the twin description root with the fitted values written
 * into model.parameters (keeping the form each parameter had: a number,
 * or an object whose "value" changes).  The caller owns it. */
json_t *tw_fit_apply(const json_t *root, const char *const *params, const struct tw_fit_result *res);

#endif
