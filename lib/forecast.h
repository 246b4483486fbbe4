/* forecast.h - streaming forecasts of one series with a prediction
 * interval (twin-predict's --forecast H).
 *
 * A forecaster follows one series (one asset and sensor).  It collects
 * the first `train` finite samples, fits its parameters on them, and from
 * then on updates its state online with the parameters fixed: each new
 * sample moves the state, nothing is refitted.  Memory: a buffer of
 * `train` doubles until the fit, then O(season + order) doubles; adding
 * and predicting allocate nothing after the fit.  Results depend only on
 * the options and the samples in order, bit for bit.
 *
 * Methods (opts.method):
 *   "holt"          Holt's linear trend, ETS(A,A,N), in error-correction
 *                   form with the one-step error e_t = y_t - (l + b):
 *                       l_t = l_{t-1} + b_{t-1} + alpha e_t
 *                       b_t = b_{t-1} + alpha beta e_t
 *                   forecast l_t + h b_t.  The initial l, b are the line
 *                   fitted by least squares to the first (up to) 10
 *                   samples; alpha, beta in (0,1) minimise the sum of
 *                   squared one-step errors over the training samples
 *                   (GSL nmsimplex2 on logistic-transformed parameters).
 *   "holt-winters"  additive Holt-Winters, ETS(A,A,A), period m:
 *                       e_t = y_t - (l_{t-1} + b_{t-1} + s_{t-m})
 *                       l_t, b_t as Holt;  s_t = s_{t-m} + (1-alpha) gamma e_t
 *                   forecast l_t + h b_t + s_{t+h-m(k+1)}, k = (h-1) / m.
 *                   gamma in (0,1) is the classical seasonal weight; the
 *                   state-space weight is (1-alpha) gamma, which keeps it
 *                   below 1 - alpha as ETS requires.  Initial state: a
 *                   line through the means of the first (up to) 4 seasons
 *                   and the mean deviation from it at each phase (summing
 *                   to 0).  Training needs at least 2 seasons.  With
 *                   season 0 the period is detected from the training
 *                   samples: the autocorrelation r_k of the samples minus
 *                   their least-squares line (by FFT), at lags up to n/3
 *                   (3 cycles: random walks show spurious peaks at longer
 *                   lags), its highest local peak after the first zero
 *                   crossing, accepted when r > 0.3 and r > 2/sqrt(n);
 *                   then the shortest K/j (K that peak's lag) with a peak
 *                   at least 0.9 r near it, since noise can lift a multiple
 *                   of the period above the period.  Without a peak the
 *                   forecaster runs "holt" (tw_forecaster_method says so).
 *                   A long smooth season has a flat-topped ACF: noise may
 *                   move the period found by a lag or two; give the season
 *                   when it is known.
 *   "ar"            AR(p) with an intercept, y_t = c + sum_i phi_i y_{t-i}
 *                   + e_t, fitted by least squares (gsl_multifit_linear)
 *                   on the training samples; order 0 picks p in 1..12 by
 *                   AIC = N ln(RSS/N) + 2(p+1), all orders fitted on the
 *                   same rows (those after the first 12).  Forecasts
 *                   iterate the recursion.  Not refitted: like the ETS
 *                   methods it keeps its parameters and O(p) state, so
 *                   memory stays bounded without a ring of `train`
 *                   samples and the model never jumps mid-stream; a
 *                   series whose dynamics change needs a new training.
 *
 * Intervals: mean -/+ z sd with z = gsl_cdf_ugaussian_Pinv((1+level)/2)
 * and sd^2 the h-step variance of a Gaussian model:
 *   holt, holt-winters  sigma^2 [1 + sum_{j=1}^{h-1} c_j^2] (Hyndman et
 *                       al. 2008, class 1), c_j = alpha (1 + j beta)
 *                       + (1-alpha) gamma [j mod m == 0]; summed in closed
 *                       form, O(1) in h.
 *   ar                  sigma^2 sum_{j=0}^{h-1} psi_j^2, psi_0 = 1,
 *                       psi_j = sum_i phi_i psi_{j-i}; O(h p).
 * sigma^2 starts as the training residuals' SSE / (n - k), k the fitted
 * parameters and initial states, and then follows the one-step errors
 * online as an EWMA of e^2 with weight 1/train: the variance forgets
 * over the same span the parameters were fitted on.  A series with no
 * error has sigma^2 = 0 and lo == hi: a constant exactly, an exact line
 * up to rounding.
 *
 * The fit runs inside the tw_forecaster_add call that brings the
 * train-th sample, with GSL's error handler switched off for its
 * duration (process-wide, as in fit.h).  Should memory run out there,
 * the forecaster stays not ready and tries again at the next sample
 * (that sample is not learned).
 *
 * Ownership: tw_forecaster_new and tw_forecaster_load return a
 * forecaster the caller owns and frees with tw_forecaster_free; it keeps
 * no pointer to the options, the method string or the JSON.
 * tw_forecaster_save returns a new reference the caller json_decref()s.
 * tw_forecaster_method's string is static. */
#ifndef TW_FORECAST_H
#define TW_FORECAST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct tw_forecast_opts {
	const char *method;  /* "holt" (NULL means holt), "holt-winters", "ar" */
	size_t season;       /* holt-winters period in samples; 0: detected from the training samples */
	size_t order;        /* ar order p; 0: chosen by AIC among 1..12 */
	size_t train;        /* samples collected before the parameters are fitted */
	double level;        /* prediction interval coverage in (0,1), e.g. 0.95 */
};

/* The largest ar order and training length accepted. */
#define TW_FORECAST_MAX_ORDER 64
#define TW_FORECAST_MAX_TRAIN ((size_t)1 << 24)

/* The fewest training samples o's method needs (its season and order
 * as given): 2 seasons for holt-winters, 2 p + 2 for ar, 4 otherwise. */
size_t tw_forecast_min_train(const struct tw_forecast_opts *o);

/* Fills o with the defaults: holt, season 0, order 0, train 288,
 * level 0.95. */
void tw_forecast_opts_init(struct tw_forecast_opts *o);

/* The method names accepted, "holt" first, NULL-terminated. */
extern const char *const tw_forecast_methods[];

/* A new forecaster with options o (NULL: the defaults).  NULL with e
 * filled on an unknown method, a level outside (0,1), a season of 1, an
 * order above TW_FORECAST_MAX_ORDER, or a train out of range: at least 4
 * for holt and holt-winters, 2 seasons for holt-winters with a season,
 * 2 p + 2 for ar (26 when the order is chosen), at most
 * TW_FORECAST_MAX_TRAIN.  The season is ignored by holt and ar, the
 * order by holt and holt-winters. */
struct tw_forecaster *tw_forecaster_new(const struct tw_forecast_opts *o, struct tw_err *e);

/* Learns one sample: buffered until `train` have come, then fitted;
 * after that an online update.  Non-finite values are ignored. */
void tw_forecaster_add(struct tw_forecaster *f, double value);

/* The parameters are fitted (predictions are available). */
bool tw_forecaster_ready(const struct tw_forecaster *f);

/* The h-step-ahead (h >= 1) forecast after the last sample learned and
 * its interval at the coverage level, into *mean, *lo, *hi.  -1 (and
 * nothing written) when not ready or h is 0. */
int tw_forecaster_predict(const struct tw_forecaster *f, size_t h, double *mean, double *lo,
			  double *hi);

/* The method run: the one asked for until the fit, then the one fitted
 * ("holt" when holt-winters found no season). */
const char *tw_forecaster_method(const struct tw_forecaster *f);

/* The season and order in use: as asked until the fit, then as fitted
 * (0 for a method without one). */
size_t tw_forecaster_season(const struct tw_forecaster *f);
size_t tw_forecaster_order(const struct tw_forecaster *f);

/* The options, the fitted parameters and the online state (or the
 * training samples so far), enough for tw_forecaster_load to resume
 * exactly: a new reference, or NULL when out of memory or when the state
 * holds a non-finite number (it overflowed). */
json_t *tw_forecaster_save(const struct tw_forecaster *f);

/* A forecaster from tw_forecaster_save's JSON; NULL with e naming the
 * member at fault ("alpha: must be in [0,1]"). */
struct tw_forecaster *tw_forecaster_load(const json_t *j, struct tw_err *e);

/* Frees f and all it holds; NULL is allowed. */
void tw_forecaster_free(struct tw_forecaster *f);

#endif
