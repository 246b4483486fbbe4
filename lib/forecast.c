/* forecast.c - streaming forecasts (see forecast.h). */
#include "forecast.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fft_halfcomplex.h>
#include <gsl/gsl_fft_real.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_multimin.h>

#include "jcheck.h"

#define AR_AUTO_MAX 12     /* order 0: AIC over 1..12 */
#define HOLT_INIT_N 10     /* samples of Holt's initial line */
#define HW_INIT_SEASONS 4  /* seasons of Holt-Winters' initial state */
#define ACF_MIN 0.3        /* a detected season's autocorrelation, at least */
#define ACF_NEAR 0.9       /* a divisor's peak this near the highest is the period */
#define ACF_CYCLES 3       /* a detected season repeats this often in training */
#define LOGIT_MAX 25.0     /* keeps logistic(u) strictly inside (0,1) */
#define FIT_ITER 500       /* simplex iterations, at most */

enum method { M_HOLT, M_HW, M_AR };

const char *const tw_forecast_methods[] = { "holt", "holt-winters", "ar", NULL };

/* An ETS state: Holt when m is 0, else Holt-Winters with s[phase]. */
struct ets {
	double alpha, beta, gamma;
	size_t m, pos;      /* pos: the phase of the next sample */
	double l, b;
	double *s;
};

struct tw_forecaster {
	enum method asked, run;
	size_t season, order, train;  /* season, order: as asked, as run once ready */
	double level, z;
	double *buf;                  /* training samples, until ready */
	size_t nbuf;
	bool ready;
	struct ets ets;
	double c, *phi, *lag;         /* ar: intercept, phi[p], lag[0] the latest sample */
	double sigma2;
};

void tw_forecast_opts_init(struct tw_forecast_opts *o)
{
	o->method = NULL;
	o->season = 0;
	o->order = 0;
	o->train = 288;
	o->level = 0.95;
}

static int method_of(const char *name, enum method *m)
{
	for (int i = 0; tw_forecast_methods[i]; i++)
		if (strcmp(name, tw_forecast_methods[i]) == 0) {
			*m = (enum method)i;
			return 0;
		}
	return -1;
}

/* ----------------------------------------------------------------- ETS */

/* One sample through the state; returns its one-step error. */
static double ets_step(struct ets *st, double y)
{
	double sp = st->m ? st->s[st->pos] : 0.0;
	double e = y - (st->l + st->b + sp);

	st->l += st->b + st->alpha * e;
	st->b += st->alpha * st->beta * e;
	if (st->m) {
		st->s[st->pos] = sp + (1.0 - st->alpha) * st->gamma * e;
		st->pos = (st->pos + 1) % st->m;
	}
	return e;
}

/* The state before y[0] (st->m and st->s set; n >= 2, n >= 2 m). */
static void ets_init(struct ets *st, const double *y, size_t n)
{
	double x[HW_INIT_SEASONS > HOLT_INIT_N ? HW_INIT_SEASONS : HOLT_INIT_N];
	double ym[HW_INIT_SEASONS];
	double a, b, c00, c01, c11, sumsq;
	size_t m = st->m;

	st->pos = 0;
	if (!m) {
		size_t k = n < HOLT_INIT_N ? n : HOLT_INIT_N;
		for (size_t i = 0; i < k; i++)
			x[i] = (double)i;
		gsl_fit_linear(x, 1, y, 1, k, &a, &b, &c00, &c01, &c11, &sumsq);
		st->l = a - b;     /* the line at t = -1 */
		st->b = b;
		return;
	}
	/* a line through the season means, each at its season's centre */
	size_t k = n / m < HW_INIT_SEASONS ? n / m : HW_INIT_SEASONS;
	for (size_t j = 0; j < k; j++) {
		double sum = 0.0;
		for (size_t i = 0; i < m; i++)
			sum += y[j * m + i];
		ym[j] = sum / (double)m;
		x[j] = (double)(j * m) + 0.5 * (double)(m - 1);
	}
	gsl_fit_linear(x, 1, ym, 1, k, &a, &b, &c00, &c01, &c11, &sumsq);
	double mean = 0.0;
	for (size_t i = 0; i < m; i++) {
		double d = 0.0;
		for (size_t j = 0; j < k; j++)
			d += y[j * m + i] - (a + b * (double)(j * m + i));
		st->s[i] = d / (double)k;
		mean += st->s[i];
	}
	mean /= (double)m;
	for (size_t i = 0; i < m; i++)
		st->s[i] -= mean;
	st->l = a - b + mean;
	st->b = b;
}

static double logistic(double u)
{
	u = fmin(fmax(u, -LOGIT_MAX), LOGIT_MAX);
	return 1.0 / (1.0 + exp(-u));
}

struct ets_fit {
	const double *y;
	size_t n;
	const struct ets *init;   /* the initial state */
	double *s;                /* scratch seasonals */
};

/* The sum of squared one-step errors over the training samples with the
 * parameters p = (alpha, beta[, gamma]) from fd->init, leaving the end state
 * in *st (whose s is used). */
static double ets_sse(const struct ets_fit *fd, const double *p, struct ets *st)
{
	double *s = st->s, sse = 0.0;

	*st = *fd->init;
	st->s = s;
	if (st->m)
		memcpy(s, fd->init->s, st->m * sizeof *s);
	st->alpha = p[0];
	st->beta = p[1];
	st->gamma = st->m ? p[2] : 0.0;
	for (size_t t = 0; t < fd->n; t++) {
		double e = ets_step(st, fd->y[t]);
		sse += e * e;
	}
	return sse;
}

static double ets_objective(const gsl_vector *u, void *arg)
{
	const struct ets_fit *fd = arg;
	double p[3];
	struct ets st;

	for (size_t i = 0; i < u->size; i++)
		p[i] = logistic(gsl_vector_get(u, i));
	st.s = fd->s;
	double sse = ets_sse(fd, p, &st);
	/* the simplex stops on a non-finite value: a diverging run is just bad */
	return isfinite(sse) ? sse : DBL_MAX;
}

/* Fits alpha, beta (and gamma) on y[0..n); the end state into f->ets.
 * f->ets.m and f->ets.s are set.  -1 when out of memory. */
static int ets_fit(struct tw_forecaster *f, const double *y, size_t n)
{
	size_t m = f->ets.m, np = m ? 3 : 2;
	struct ets init = f->ets;
	double start[3] = { 0.3, 0.1, 0.1 }, best[3];
	int rc = -1;

	init.s = m ? malloc(m * sizeof *init.s) : NULL;
	double *scratch = m ? malloc(m * sizeof *scratch) : NULL;
	gsl_vector *u = gsl_vector_alloc(np), *step = gsl_vector_alloc(np);
	gsl_multimin_fminimizer *mn = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, np);
	if ((m && (!init.s || !scratch)) || !u || !step || !mn)
		goto out;
	ets_init(&init, y, n);

	struct ets_fit fd = { y, n, &init, scratch };
	gsl_multimin_function fn = { ets_objective, np, &fd };
	for (size_t i = 0; i < np; i++) {
		gsl_vector_set(u, i, log(start[i] / (1.0 - start[i])));
		gsl_vector_set(step, i, 1.0);
	}
	bool set = gsl_multimin_fminimizer_set(mn, &fn, u, step) == GSL_SUCCESS;
	for (int it = 0; set && it < FIT_ITER; it++) {
		if (gsl_multimin_fminimizer_iterate(mn) != GSL_SUCCESS)
			break;
		if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(mn), 1e-5) == GSL_SUCCESS)
			break;
	}
	for (size_t i = 0; i < np; i++)
		best[i] = logistic(gsl_vector_get(set ? mn->x : u, i));

	/* the end state with the best parameters, and its residual variance */
	double sse = ets_sse(&fd, best, &f->ets);
	size_t k = np + 2 + (m ? m - 1 : 0);
	f->sigma2 = n > k ? sse / (double)(n - k) : sse;
	if (!isfinite(f->sigma2))
		f->sigma2 = DBL_MAX;   /* overflowed: as good as unknown */
	rc = 0;
out:
	gsl_multimin_fminimizer_free(mn);
	gsl_vector_free(u);
	gsl_vector_free(step);
	free(init.s);
	free(scratch);
	return rc;
}

/* r[k] is a local maximum (k >= 1, r[k + 1] exists). */
static bool peak(const double *r, size_t k)
{
	return r[k] > r[k - 1] && r[k] >= r[k + 1];
}

/* Holt-Winters' period in y[0..n), 0 when none stands out; -1 when out
 * of memory.  The autocorrelation comes from an FFT of the detrended
 * samples padded with zeros to a power of 2 >= 2n (no wrap-around):
 * O(n log n), where the direct sums would be O(n^2) for long trainings. */
static long detect_season(const double *y, size_t n)
{
	size_t len = 1;
	while (len < 2 * n)
		len *= 2;
	double *x = malloc(n * sizeof *x), *d = calloc(len, sizeof *d);
	double a, b, c00, c01, c11, sumsq, var = 0.0;
	long best = 0;

	if (!x || !d) {
		free(x);
		free(d);
		return -1;
	}
	for (size_t t = 0; t < n; t++)
		x[t] = (double)t;
	gsl_fit_linear(x, 1, y, 1, n, &a, &b, &c00, &c01, &c11, &sumsq);
	for (size_t t = 0; t < n; t++) {
		d[t] = y[t] - (a + b * (double)t);
		var += d[t] * d[t];
	}
	/* a line or a constant: nothing periodic (below rounding noise) */
	if (!(var > 1e-24 * (double)n * (a * a + 1.0)))
		goto out;

	/* the power spectrum (halfcomplex: re_k at k, im_k at len - k),
	 * whose inverse is sum_t d_t d_{t+k} */
	if (gsl_fft_real_radix2_transform(d, 1, len) != GSL_SUCCESS)
		goto out;
	d[0] *= d[0];
	d[len / 2] *= d[len / 2];
	for (size_t k = 1; k < len / 2; k++) {
		d[k] = d[k] * d[k] + d[len - k] * d[len - k];
		d[len - k] = 0.0;
	}
	if (gsl_fft_halfcomplex_radix2_inverse(d, 1, len) != GSL_SUCCESS)
		goto out;

	size_t kmax = n / ACF_CYCLES;
	double *r = d, best_r = 0.0, r0 = d[0];
	for (size_t k = 0; k <= kmax + 1; k++)
		r[k] /= r0;
	size_t k0 = 1;
	while (k0 <= kmax && r[k0] > 0.0)
		k0++;
	for (size_t k = k0; k <= kmax; k++)
		if (peak(r, k) && r[k] > best_r) {
			best_r = r[k];
			best = (long)k;
		}
	if (!(best_r > ACF_MIN && best_r > 2.0 / sqrt((double)n))) {
		best = 0;
		goto out;
	}
	/* the highest peak may be a multiple of the period (noise lifts one
	 * multiple above another): the shortest K/j with a peak about as
	 * high near it is the period */
	size_t top = (size_t)best;
	for (size_t j = 2; top / j > k0; j++) {
		size_t c = (top + j / 2) / j, w = 1 + c / 50;
		for (size_t k = c - w; k <= c + w; k++)
			if (k >= k0 && peak(r, k) && r[k] >= ACF_NEAR * best_r) {
				best = (long)k;
				break;
			}
	}
out:
	free(x);
	free(d);
	return best;
}

/* ------------------------------------------------------------------ AR */

/* Least squares of y[t] on 1, y[t-1..t-p] over the rows t in [t0, n):
 * coef[0] the intercept, coef[1..p] phi; *rss.  -1 when out of memory. */
static int ar_ols(const double *y, size_t n, size_t p, size_t t0, double *coef, double *rss)
{
	size_t rows = n - t0, cols = p + 1;
	gsl_matrix *X = gsl_matrix_alloc(rows, cols), *cov = gsl_matrix_alloc(cols, cols);
	gsl_vector *v = gsl_vector_alloc(rows), *c = gsl_vector_alloc(cols);
	gsl_multifit_linear_workspace *w = gsl_multifit_linear_alloc(rows, cols);
	int rc = -1;

	if (!X || !cov || !v || !c || !w)
		goto out;
	for (size_t r = 0; r < rows; r++) {
		size_t t = t0 + r;
		gsl_vector_set(v, r, y[t]);
		gsl_matrix_set(X, r, 0, 1.0);
		for (size_t i = 1; i <= p; i++)
			gsl_matrix_set(X, r, i, y[t - i]);
	}
	/* SVD based: a singular design (a constant stretch) still solves */
	if (gsl_multifit_linear(X, v, c, cov, rss, w) != GSL_SUCCESS)
		goto out;
	for (size_t i = 0; i < cols; i++)
		coef[i] = gsl_vector_get(c, i);
	rc = 0;
out:
	gsl_multifit_linear_free(w);
	gsl_matrix_free(X);
	gsl_matrix_free(cov);
	gsl_vector_free(v);
	gsl_vector_free(c);
	return rc;
}

static double ar_mean1(const struct tw_forecaster *f)
{
	double m = f->c;
	for (size_t i = 0; i < f->order; i++)
		m += f->phi[i] * f->lag[i];
	return m;
}

static void ar_push(struct tw_forecaster *f, double y)
{
	if (f->order > 1)
		memmove(f->lag + 1, f->lag, (f->order - 1) * sizeof *f->lag);
	f->lag[0] = y;
}

/* Fits the ar model on y[0..n).  -1 when out of memory. */
static int ar_fit(struct tw_forecaster *f, const double *y, size_t n)
{
	double coef[TW_FORECAST_MAX_ORDER + 1], rss;
	size_t p = f->order;
	bool constant = true;

	for (size_t t = 1; t < n && constant; t++)
		constant = y[t] == y[0];
	if (constant && !p)
		p = 1;
	if (!constant && !p) {
		double best = INFINITY;
		double rows = (double)(n - AR_AUTO_MAX);
		for (size_t q = 1; q <= AR_AUTO_MAX; q++) {
			if (ar_ols(y, n, q, AR_AUTO_MAX, coef, &rss) < 0)
				return -1;
			double aic = rows * log(rss / rows) + 2.0 * (double)(q + 1);
			if (aic < best || p == 0) {
				best = aic;
				p = q;
			}
		}
	}
	double *phi = malloc(p * sizeof *phi), *lag = malloc(p * sizeof *lag);
	if (!phi || !lag) {
		free(phi);
		free(lag);
		return -1;
	}
	if (constant) {
		/* exactly: least squares on a singular design leaves rounding noise */
		memset(coef, 0, sizeof coef);
		coef[0] = y[0];
		rss = 0.0;
	} else if (ar_ols(y, n, p, p, coef, &rss) < 0) {
		free(phi);
		free(lag);
		return -1;
	}
	f->order = p;
	f->phi = phi;
	f->lag = lag;
	f->c = coef[0];
	for (size_t i = 0; i < p; i++) {
		phi[i] = coef[i + 1];
		lag[i] = y[n - 1 - i];
	}
	f->sigma2 = rss / (double)(n - 2 * p - 1);
	if (!isfinite(f->sigma2))
		f->sigma2 = DBL_MAX;
	return 0;
}

/* ------------------------------------------------------------- fitting */

static int fit(struct tw_forecaster *f)
{
	const double *y = f->buf;
	size_t n = f->nbuf;
	int rc;

	gsl_error_handler_t *old = gsl_set_error_handler_off();
	f->run = f->asked;
	if (f->asked == M_AR) {
		rc = ar_fit(f, y, n);
	} else {
		size_t m = 0;
		if (f->asked == M_HW) {
			m = f->season;
			if (!m) {
				long d = detect_season(y, n);
				if (d < 0) {
					gsl_set_error_handler(old);
					return -1;
				}
				m = (size_t)d;
			}
			if (!m)
				f->run = M_HOLT;
		}
		f->ets.m = m;
		f->ets.s = NULL;
		if (m && !(f->ets.s = malloc(m * sizeof *f->ets.s)))
			rc = -1;
		else
			rc = ets_fit(f, y, n);
		if (rc < 0) {
			free(f->ets.s);
			f->ets.s = NULL;
		}
	}
	gsl_set_error_handler(old);
	if (rc < 0) {
		f->run = f->asked;
		return -1;
	}
	if (f->run == M_AR)
		f->season = 0;
	else {
		f->season = f->ets.m;
		f->order = 0;
	}
	free(f->buf);
	f->buf = NULL;
	f->nbuf = 0;
	f->ready = true;
	return 0;
}

/* ----------------------------------------------------------- interface */

/* The fewest training samples method m needs with options o. */
static size_t min_train(const struct tw_forecast_opts *o, enum method m)
{
	size_t min = 4;
	if (m == M_AR)
		min = 2 * (o->order ? o->order : AR_AUTO_MAX) + 2;
	else if (m == M_HW && o->season > TW_FORECAST_MAX_TRAIN / 2)
		min = TW_FORECAST_MAX_TRAIN + 1;
	else if (m == M_HW && o->season)
		min = 2 * o->season;
	return min < 4 ? 4 : min;
}

size_t tw_forecast_min_train(const struct tw_forecast_opts *o)
{
	enum method m;
	return method_of(o->method ? o->method : "holt", &m) < 0 ? 4 : min_train(o, m);
}

static int check_opts(const struct tw_forecast_opts *o, enum method *m, struct tw_err *e)
{
	const char *name = o->method ? o->method : "holt";
	size_t min;

	if (method_of(name, m) < 0) {
		char q[TW_QUOTE_BUF];
		return tw_err_set(e, "unknown forecast method \"%s\" (holt, holt-winters, ar)",
				  tw_err_quote(q, name, strlen(name)));
	}
	if (!(o->level > 0.0 && o->level < 1.0))
		return tw_err_set(e, "forecast level %g out of range: must be in (0,1)", o->level);
	if (*m == M_HW && o->season == 1)
		return tw_err_set(e, "season 1 is no season: give 0 (detect) or at least 2");
	if (*m == M_AR && o->order > TW_FORECAST_MAX_ORDER)
		return tw_err_set(e, "ar order %zu out of range 0..%d", o->order, TW_FORECAST_MAX_ORDER);
	min = min_train(o, *m);
	if (o->train < min || o->train > TW_FORECAST_MAX_TRAIN) {
		if (min > TW_FORECAST_MAX_TRAIN)
			return tw_err_set(e, "season %zu too long: training needs 2 seasons, at most %zu samples",
					  o->season, TW_FORECAST_MAX_TRAIN);
		return tw_err_set(e, "training length %zu out of range %zu..%zu for %s%s", o->train,
				  min, TW_FORECAST_MAX_TRAIN, name,
				  *m == M_HW && o->season ? " (2 seasons)" :
				  *m == M_AR ? " (2 p + 2)" : "");
	}
	return 0;
}

/* A forecaster for o, with its training buffer when buffered. */
static struct tw_forecaster *create(const struct tw_forecast_opts *o, bool buffered,
				    struct tw_err *e)
{
	enum method m = M_HOLT;

	if (check_opts(o, &m, e) < 0)
		return NULL;
	struct tw_forecaster *f = calloc(1, sizeof *f);
	if (!f || (buffered && !(f->buf = malloc(o->train * sizeof *f->buf)))) {
		free(f);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	f->asked = f->run = m;
	f->season = m == M_HW ? o->season : 0;
	f->order = m == M_AR ? o->order : 0;
	f->train = o->train;
	f->level = o->level;
	f->z = gsl_cdf_ugaussian_Pinv(0.5 * (1.0 + o->level));
	return f;
}

struct tw_forecaster *tw_forecaster_new(const struct tw_forecast_opts *o, struct tw_err *e)
{
	struct tw_forecast_opts def;

	if (!o) {
		tw_forecast_opts_init(&def);
		o = &def;
	}
	return create(o, true, e);
}

void tw_forecaster_add(struct tw_forecaster *f, double value)
{
	if (!isfinite(value))
		return;
	if (!f->ready) {
		if (f->nbuf < f->train)
			f->buf[f->nbuf++] = value;
		if (f->nbuf == f->train)
			fit(f);
		return;
	}
	double e;
	if (f->run == M_AR) {
		e = value - ar_mean1(f);
		ar_push(f, value);
	} else {
		e = ets_step(&f->ets, value);
	}
	/* a long EWMA of the squared one-step error */
	double s2 = f->sigma2 + (e * e - f->sigma2) / (double)f->train;
	if (isfinite(s2))
		f->sigma2 = s2;
}

bool tw_forecaster_ready(const struct tw_forecaster *f)
{
	return f->ready;
}

/* The h-step mean and the variance factor 1 + sum c_j^2 (closed form). */
static void ets_predict(const struct ets *st, size_t h, double *mean, double *factor)
{
	double a = st->alpha, b = st->beta, H = (double)(h - 1);
	double s1 = H * (H + 1.0) / 2.0, s2 = H * (H + 1.0) * (2.0 * H + 1.0) / 6.0;
	double sum = a * a * (H + 2.0 * b * s1 + b * b * s2);

	*mean = st->l + (double)h * st->b;
	if (st->m) {
		double g = (1.0 - a) * st->gamma, k = (double)((h - 1) / st->m);
		*mean += st->s[(st->pos + (h - 1) % st->m) % st->m];
		sum += k * (2.0 * g * a + g * g) + g * a * b * (double)st->m * k * (k + 1.0);
	}
	*factor = 1.0 + sum;
}

/* The h-step mean and sum_{j<h} psi_j^2, iterating the recursion. */
static void ar_predict(const struct tw_forecaster *f, size_t h, double *mean, double *factor)
{
	double x[TW_FORECAST_MAX_ORDER], psi[TW_FORECAST_MAX_ORDER];
	size_t p = f->order;
	double sum = 1.0, m = 0.0;

	memcpy(x, f->lag, p * sizeof *x);
	memset(psi, 0, p * sizeof *psi);
	psi[0] = 1.0;      /* psi[i] = psi_{j-1-i} */
	for (size_t j = 0; j < h; j++) {
		m = f->c;
		double q = 0.0;
		for (size_t i = 0; i < p; i++) {
			m += f->phi[i] * x[i];
			q += f->phi[i] * psi[i];
		}
		memmove(x + 1, x, (p - 1) * sizeof *x);
		x[0] = m;
		if (j + 1 < h) {
			sum += q * q;
			memmove(psi + 1, psi, (p - 1) * sizeof *psi);
			psi[0] = q;
		}
	}
	*mean = m;
	*factor = sum;
}

int tw_forecaster_predict(const struct tw_forecaster *f, size_t h, double *mean, double *lo,
			  double *hi)
{
	double m, factor;

	if (!f->ready || h < 1)
		return -1;
	if (f->run == M_AR)
		ar_predict(f, h, &m, &factor);
	else
		ets_predict(&f->ets, h, &m, &factor);
	double sd = sqrt(f->sigma2 * factor);
	*mean = m;
	*lo = m - f->z * sd;
	*hi = m + f->z * sd;
	return 0;
}

const char *tw_forecaster_method(const struct tw_forecaster *f)
{
	return tw_forecast_methods[f->run];
}

size_t tw_forecaster_season(const struct tw_forecaster *f)
{
	return f->season;
}

size_t tw_forecaster_order(const struct tw_forecaster *f)
{
	return f->order;
}

void tw_forecaster_free(struct tw_forecaster *f)
{
	if (!f)
		return;
	free(f->buf);
	free(f->ets.s);
	free(f->phi);
	free(f->lag);
	free(f);
}

/* ------------------------------------------------------------ save/load */

/* Sets key of j to v (a new reference, taken over); false when v is
 * NULL or on no memory. */
static bool put(json_t *j, const char *key, json_t *v)
{
	return v && json_object_set_new(j, key, v) == 0;
}

json_t *tw_forecaster_save(const struct tw_forecaster *f)
{
	json_t *j = json_object();
	bool ok = j && put(j, "method", json_string(tw_forecast_methods[f->asked]))
		&& put(j, "train", json_integer((json_int_t)f->train))
		&& put(j, "level", json_real(f->level))
		&& put(j, "season", json_integer((json_int_t)f->season))
		&& put(j, "order", json_integer((json_int_t)f->order));
	if (ok && !f->ready) {
		ok = put(j, "buffer", tw_jc_reals(f->buf, f->nbuf));
	} else if (ok) {
		ok = put(j, "run", json_string(tw_forecast_methods[f->run]))
			&& put(j, "sigma2", json_real(f->sigma2));
		if (ok && f->run == M_AR)
			ok = put(j, "c", json_real(f->c)) && put(j, "phi", tw_jc_reals(f->phi, f->order))
				&& put(j, "lags", tw_jc_reals(f->lag, f->order));
		else if (ok)
			ok = put(j, "alpha", json_real(f->ets.alpha))
				&& put(j, "beta", json_real(f->ets.beta))
				&& put(j, "l", json_real(f->ets.l)) && put(j, "b", json_real(f->ets.b));
		if (ok && f->run == M_HW)
			ok = put(j, "gamma", json_real(f->ets.gamma))
				&& put(j, "s", tw_jc_reals(f->ets.s, f->ets.m))
				&& put(j, "pos", json_integer((json_int_t)f->ets.pos));
	}
	if (!ok) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* A whole number in 0..max, absent: *out kept. */
static int get_size(const struct tw_jc *c, const json_t *j, const char *key, unsigned flags,
		    size_t max, size_t *out)
{
	double v = NAN;
	json_t *x = json_object_get(j, key);

	if (tw_jc_number(c, "", j, key, flags, &v) < 0)
		return -1;
	if (!x)
		return 0;
	if (!(v >= 0.0 && v <= (double)max && v == floor(v)))
		return tw_jc_fail(c, key, "expected a whole number in 0..%zu", max);
	*out = (size_t)v;
	return 0;
}

static int get_real(const struct tw_jc *c, const json_t *j, const char *key, double lo,
		    double hi, double *out)
{
	if (tw_jc_number(c, "", j, key, TW_JC_REQUIRED, out) < 0)
		return -1;
	if (!(*out >= lo && *out <= hi))
		return tw_jc_fail(c, key, "must be in [%g,%g]", lo, hi);
	return 0;
}

/* An array of n finite numbers into v. */
static int get_reals(const struct tw_jc *c, const json_t *j, const char *key, size_t n, double *v)
{
	const json_t *a = json_object_get(j, key);

	if (!a)
		return tw_jc_fail(c, key, "missing");
	if (!json_is_array(a) || json_array_size(a) != n)
		return tw_jc_fail(c, key, "expected an array of %zu numbers", n);
	for (size_t i = 0; i < n; i++) {
		const json_t *x = json_array_get(a, i);
		if (!json_is_number(x))
			return tw_jc_fail(c, key, "[%zu]: expected a number", i);
		v[i] = json_number_value(x);
	}
	return 0;
}

struct tw_forecaster *tw_forecaster_load(const json_t *j, struct tw_err *e)
{
	static const char *const keys[] = { "method", "train", "level", "season", "order",
		"buffer", "run", "sigma2", "c", "phi", "lags", "alpha", "beta", "gamma", "l", "b",
		"s", "pos", NULL };
	struct tw_jc c = { NULL, e };
	struct tw_forecast_opts o;
	const char *run = NULL;
	struct tw_forecaster *f = NULL;
	enum method rm;

	tw_forecast_opts_init(&o);
	if (tw_jc_need_object(&c, "", j) < 0 || tw_jc_known_keys(&c, "", j, keys) < 0
	    || tw_jc_string(&c, "", j, "method", TW_JC_REQUIRED, &o.method) < 0
	    || get_size(&c, j, "train", TW_JC_REQUIRED, TW_FORECAST_MAX_TRAIN, &o.train) < 0
	    || tw_jc_number(&c, "", j, "level", TW_JC_REQUIRED, &o.level) < 0
	    || get_size(&c, j, "season", TW_JC_REQUIRED, TW_FORECAST_MAX_TRAIN, &o.season) < 0
	    || get_size(&c, j, "order", TW_JC_REQUIRED, TW_FORECAST_MAX_ORDER, &o.order) < 0
	    || tw_jc_string(&c, "", j, "run", 0, &run) < 0)
		return NULL;
	if (!(f = create(&o, !run, e)))
		return NULL;
	if (!run) {
		const json_t *b = json_object_get(j, "buffer");
		if (!b) {
			tw_jc_fail(&c, "buffer", "missing (a forecaster has run or buffer)");
			goto fail;
		}
		if (!json_is_array(b) || json_array_size(b) >= f->train) {
			tw_jc_fail(&c, "buffer", "expected an array of fewer than %zu numbers", f->train);
			goto fail;
		}
		f->nbuf = json_array_size(b);
		if (get_reals(&c, j, "buffer", f->nbuf, f->buf) < 0)
			goto fail;
		for (size_t i = 0; i < f->nbuf; i++)
			if (!isfinite(f->buf[i])) {
				tw_jc_fail(&c, "buffer", "[%zu]: not finite", i);
				goto fail;
			}
		return f;
	}
	if (method_of(run, &rm) < 0 || !(rm == f->asked || (rm == M_HOLT && f->asked == M_HW))) {
		tw_jc_fail(&c, "run", "\"%s\" cannot be run for method %s", run,
			   tw_forecast_methods[f->asked]);
		goto fail;
	}
	f->run = rm;
	if (get_real(&c, j, "sigma2", 0.0, DBL_MAX, &f->sigma2) < 0)
		goto fail;
	if (rm == M_AR) {
		if (!o.order) {
			tw_jc_fail(&c, "order", "must be at least 1 once fitted");
			goto fail;
		}
		f->phi = malloc(o.order * sizeof *f->phi);
		f->lag = malloc(o.order * sizeof *f->lag);
		if (!f->phi || !f->lag) {
			tw_err_set(e, "out of memory");
			goto fail;
		}
		if (get_real(&c, j, "c", -DBL_MAX, DBL_MAX, &f->c) < 0
		    || get_reals(&c, j, "phi", o.order, f->phi) < 0
		    || get_reals(&c, j, "lags", o.order, f->lag) < 0)
			goto fail;
	} else {
		struct ets *st = &f->ets;
		if (get_real(&c, j, "alpha", 0.0, 1.0, &st->alpha) < 0
		    || get_real(&c, j, "beta", 0.0, 1.0, &st->beta) < 0
		    || get_real(&c, j, "l", -DBL_MAX, DBL_MAX, &st->l) < 0
		    || get_real(&c, j, "b", -DBL_MAX, DBL_MAX, &st->b) < 0)
			goto fail;
		if (rm == M_HW) {
			if (o.season < 2) {
				tw_jc_fail(&c, "season", "must be at least 2 once fitted");
				goto fail;
			}
			st->m = o.season;
			if (!(st->s = malloc(st->m * sizeof *st->s))) {
				tw_err_set(e, "out of memory");
				goto fail;
			}
			if (get_real(&c, j, "gamma", 0.0, 1.0, &st->gamma) < 0
			    || get_reals(&c, j, "s", st->m, st->s) < 0
			    || get_size(&c, j, "pos", TW_JC_REQUIRED, st->m - 1, &st->pos) < 0)
				goto fail;
		} else if (o.season) {
			tw_jc_fail(&c, "season", "must be 0 for holt");
			goto fail;
		}
	}
	f->season = rm == M_HW ? o.season : 0;
	f->order = rm == M_AR ? o.order : 0;
	f->ready = true;
	return f;
fail:
	tw_forecaster_free(f);
	return NULL;
}
