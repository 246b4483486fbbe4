/* rul.h - remaining useful life from a health indicator matched against
 * run-to-failure histories (similarity-based prognostics, after Wang,
 * Yu, Siegel and Lee, "A similarity-based prognostics approach for
 * remaining useful life estimation of engineered systems", PHM 2008).
 *
 * Fitting (tw_rul_fitter_*, tw_rul_fit), from histories that each end in
 * a failure:
 *   1. Health indicator (HI).  The p sensors are standardised with the
 *      mean and standard deviation of every training row; a sensor whose
 *      standard deviation is at most 1e-8 (|mean| + 1) is constant and
 *      gets weight 0.  The HI of a row is a ridge regression (GSL's
 *      gsl_multifit_linear_solve, penalty `ridge` on the standardised
 *      weights, none on the intercept) of the standardised sensors onto
 *      the row's remaining life divided by the mean life of the
 *      histories: a number near 1 for a new asset, 0 at failure.
 *   2. Time step dt: the median step between rows of the histories.
 *   3. Reference curves: each history's HI, smoothed by a centred moving
 *      average (the mean of the rows at most smooth/2 rows away, integer
 *      division), then sampled every dt backwards from the
 *      failure (linear interpolation between rows), so that element k of
 *      a curve of m elements is (m - 1 - k) dt before failure.
 *   4. Interval: each history is replayed through a tracker (below) that
 *      ignores its own curve, every `stride` observations from the
 *      `min_obs`th on; the errors e = true RUL - estimate (the true RUL
 *      capped at cap when cap > 0) are put in `bins` bins at the
 *      quantiles of the estimates (fewer bins when there are less than
 *      20 errors per bin; a bin left empty by ties uses all the errors),
 *      and the (1 - level)/2 and (1 + level)/2
 *      quantiles of each bin's errors are kept.
 *
 * Tracking (tw_rul_tracker_add), per asset and observation:
 *   1. The observation's HI is computed as above, and smoothed causally:
 *      the least-squares line through the HI of the last `smooth`
 *      observations against time, evaluated at the new time (their mean
 *      while there are fewer than 3).
 *   2. The query is the smoothed HI at now, now - dt, now - 2 dt, ...
 *      (linear interpolation between observations), L values, L the
 *      smallest of `window`, the shortest reference curve, and the
 *      number of steps dt the kept observations cover (plus one).
 *   3. Each reference curve is slid along the query; the best alignment
 *      (least mean squared difference d) gives that curve's candidate,
 *      the time from the alignment's end to the curve's failure.  The
 *      `neighbours` curves with the least d are averaged with weights
 *      exp(-d / d_min).  That is the RUL, capped at cap when cap > 0.
 *   4. Interval: RUL + the kept error quantiles of the bin the RUL falls
 *      in, cut to [0, cap] (or [0, inf) without a cap).
 *   5. Health: the smoothed HI rescaled so that the mean first value of
 *      the reference curves is 1 and their mean last value (the failure
 *      threshold) 0, cut to [0, 1].
 * An estimate comes from the `min_obs`th observation on.  The tracker
 * keeps the last max(window, smooth) + 1 observations and nothing else.
 * The query assumes the asset is sampled about as often as the training
 * histories (one observation per dt or faster): with sparser data the
 * kept observations cover fewer steps and the query is shorter.
 *
 * Cost: an estimate is O(sum of the curves' lengths x window)
 * multiply-adds (C-MAPSS FD001, 80 histories, window 50: 0.8 M); the fit
 * replays each history every `stride` observations against every other
 * curve.
 *
 * Times are seconds (any increasing unit works; RUL comes in the same
 * unit).  Results depend only on the data and options: the same input
 * gives the same estimates, bit for bit.  GSL's error handler is
 * switched off during tw_rul_fit and restored after.
 *
 * Ownership: the fitter copies the histories it is given; tw_rul_fit
 * returns a model the caller owns (tw_rul_model_free), independent of the
 * fitter.  A tracker borrows its model, which must outlive it; the caller
 * frees it with tw_rul_tracker_free.  tw_rul_save returns a new
 * reference; tw_rul_load keeps nothing of its argument. */
#ifndef TW_RUL_H
#define TW_RUL_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct tw_rul_opts {
	double cap;        /* RUL cap, time units (> 0), or 0: none */
	double level;      /* interval coverage in (0, 1) */
	size_t window;     /* query length in steps dt (>= 2) */
	size_t smooth;     /* observations in the HI smoothers (>= 1) */
	size_t neighbours; /* reference curves averaged (>= 1) */
	double ridge;      /* ridge penalty lambda (>= 0) */
	size_t min_obs;    /* observations before the first estimate (>= 1) */
	size_t stride;     /* fit: replay an estimate every stride rows (>= 1) */
	size_t bins;       /* fit: bins of the interval's errors (>= 1) */
};

/* Fills o with the defaults: cap 0 (none), level 0.9, window 50,
 * smooth 10, neighbours 10, ridge 1, min_obs 10, stride 5, bins 5. */
void tw_rul_opts_init(struct tw_rul_opts *o);

/* A fitter for histories of p sensors with options o (NULL: defaults).
 * NULL with e on p == 0, an option out of range, or no memory. */
struct tw_rul_fitter *tw_rul_fitter_new(size_t p, const struct tw_rul_opts *o,
                                        struct tw_err *e);

/* Adds one run-to-failure history: n rows of p values x (row-major) at
 * times t[0..n), failure at t[n-1].  -1 with e on non-finite values or
 * times, times not increasing, n < 2, or no memory. */
int tw_rul_fitter_add(struct tw_rul_fitter *f, const double *x, const double *t,
                      size_t n, struct tw_err *e);

/* The model fitted to the histories added so far.  NULL with e on fewer
 * than 3 histories, no sensor that varies, a singular or non-finite fit,
 * or no memory. */
struct tw_rul_model *tw_rul_fit(const struct tw_rul_fitter *f, struct tw_err *e);

void tw_rul_fitter_free(struct tw_rul_fitter *f);

struct tw_rul_estimate {
	double health;     /* in [0,1]: 1 new, 0 at failure */
	double rul;        /* remaining useful life, time units */
	double lo, hi;     /* interval for it, coverage `level` in training */
};

/* A tracker for one asset.  NULL with e on no memory. */
struct tw_rul_tracker *tw_rul_tracker_new(const struct tw_rul_model *m,
                                          struct tw_err *e);

/* One observation: p values x at time t.  0 with est filled, 1 while
 * there are fewer than min_obs observations (est untouched), -1 with e
 * on a non-finite value or time, or a time not after the last one (the
 * observation is then ignored). */
int tw_rul_tracker_add(struct tw_rul_tracker *k, double t, const double *x,
                       struct tw_rul_estimate *est, struct tw_err *e);

void tw_rul_tracker_free(struct tw_rul_tracker *k);

/* The number of sensors p the model reads. */
size_t tw_rul_vars(const struct tw_rul_model *m);

/* The model as JSON (a new reference; NULL on no memory):
 *   {"method":"similarity","vars":p,"cap":..,"level":..,"window":..,
 *    "smooth":..,"neighbours":..,"min_obs":..,"dt":..,"mean":[p],
 *    "scale":[p],"weight":[p],"intercept":..,"h_new":..,"h_fail":..,
 *    "curves":[[..],..],"edges":[bins-1],"err_lo":[bins],"err_hi":[bins]}
 * Numbers are written exactly (jansson's default 17 digits), so a model
 * loaded back gives the same estimates. */
json_t *tw_rul_save(const struct tw_rul_model *m);

/* A model from JSON written by tw_rul_save.  NULL with e naming the
 * member at fault on a missing or unknown member, a wrong type or
 * shape, a non-finite number, or a value out of range. */
struct tw_rul_model *tw_rul_load(const json_t *j, struct tw_err *e);

void tw_rul_model_free(struct tw_rul_model *m);

#endif
