/* rul.c - remaining useful life by similarity of a health indicator to
 * run-to-failure histories (see rul.h for the method).
 *
 * Measured on NASA C-MAPSS FD001 by tests/eval/cmapss_eval.py (make
 * eval): 5-fold cross-validation by engine, each held-out engine cut at
 * a random cycle, cap 125: RMSE about 13-14 against the capped true RUL,
 * about 30 against the uncapped one.  Without a cap, about 21 capped. */
#include "rul.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "jcheck.h"

#define MIN_HISTORIES 3
#define CONST_REL 1e-8     /* sd <= CONST_REL (|mean| + 1): constant */
#define ERRS_PER_BIN 20
#define STEP_EPS 1e-9      /* slack in counting steps dt */
#define MAX_STEPS 1e8      /* longest reference curve, in steps dt */

struct history {
	double *x, *t;
	size_t n;
};

struct tw_rul_fitter {
	size_t p;
	struct tw_rul_opts o;
	struct history *h;
	size_t nh, alloc;
};

struct tw_rul_model {
	size_t p;
	struct tw_rul_opts o;      /* stride and ridge: as fitted, not used */
	double dt;
	double *mean, *scale, *weight;
	double intercept, h_new, h_fail;
	size_t ncurves;
	double **curve;            /* curve[i][0..len[i]) */
	size_t *len;
	size_t minlen;
	size_t nbins;
	double *edges;             /* nbins - 1 */
	double *err_lo, *err_hi;   /* nbins */
};

struct cand {
	double d, r;
};

struct tw_rul_tracker {
	const struct tw_rul_model *m;
	size_t ring, first, n;     /* ring capacity, oldest, kept */
	double *t, *raw, *sm;      /* ring of times, HI, smoothed HI */
	size_t seen;
	double *q;                 /* query, window values */
	double *tt, *vv;           /* the ring in time order: times, smoothed HI */
	double *ft, *fh;           /* smoother's points, smooth values */
	struct cand *cand;         /* one per curve */
};

void tw_rul_opts_init(struct tw_rul_opts *o)
{
	o->cap = 0;
	o->level = 0.9;
	o->window = 50;
	o->smooth = 10;
	o->neighbours = 10;
	o->ridge = 1;
	o->min_obs = 10;
	o->stride = 5;
	o->bins = 5;
}

static int check_opts(const struct tw_rul_opts *o, struct tw_err *e)
{
	if (!(isfinite(o->cap) && o->cap >= 0))
		return tw_err_set(e, "rul: cap must be a number >= 0 (0: none)");
	if (!(o->level > 0 && o->level < 1))
		return tw_err_set(e, "rul: level must be between 0 and 1");
	if (o->window < 2)
		return tw_err_set(e, "rul: window must be at least 2");
	if (o->smooth < 1 || o->neighbours < 1 || o->min_obs < 1 ||
	    o->stride < 1 || o->bins < 1)
		return tw_err_set(e, "rul: smooth, neighbours, min_obs, stride and bins must be at least 1");
	if (!(isfinite(o->ridge) && o->ridge >= 0))
		return tw_err_set(e, "rul: ridge must be a number >= 0");
	return 0;
}

/* ------------------------------------------------------------------ fitter */

struct tw_rul_fitter *tw_rul_fitter_new(size_t p, const struct tw_rul_opts *o,
                                        struct tw_err *e)
{
	struct tw_rul_fitter *f;
	struct tw_rul_opts def;

	if (!o) {
		tw_rul_opts_init(&def);
		o = &def;
	}
	if (p == 0) {
		tw_err_set(e, "rul: no sensors");
		return NULL;
	}
	if (check_opts(o, e) < 0)
		return NULL;
	f = calloc(1, sizeof *f);
	if (!f) {
		tw_err_set(e, "rul: out of memory");
		return NULL;
	}
	f->p = p;
	f->o = *o;
	return f;
}

int tw_rul_fitter_add(struct tw_rul_fitter *f, const double *x, const double *t,
                      size_t n, struct tw_err *e)
{
	struct history *h;

	if (n < 2)
		return tw_err_set(e, "rul: a history needs at least 2 rows, got %zu", n);
	if (n > SIZE_MAX / sizeof(double) / f->p)
		return tw_err_set(e, "rul: history too long");
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(t[i]))
			return tw_err_set(e, "rul: history %zu, row %zu: time is not finite", f->nh + 1, i + 1);
		if (i > 0 && !(t[i] > t[i - 1]))
			return tw_err_set(e, "rul: history %zu, row %zu: time %.17g not after %.17g",
			                  f->nh + 1, i + 1, t[i], t[i - 1]);
		for (size_t j = 0; j < f->p; j++)
			if (!isfinite(x[i * f->p + j]))
				return tw_err_set(e, "rul: history %zu, row %zu, sensor %zu: not a finite number",
				                  f->nh + 1, i + 1, j);
	}
	if (f->nh == f->alloc) {
		size_t na = f->alloc ? 2 * f->alloc : 16;
		struct history *nh = realloc(f->h, na * sizeof *nh);
		if (!nh)
			return tw_err_set(e, "rul: out of memory");
		f->h = nh;
		f->alloc = na;
	}
	h = &f->h[f->nh];
	h->x = malloc(n * f->p * sizeof *h->x);
	h->t = malloc(n * sizeof *h->t);
	if (!h->x || !h->t) {
		free(h->x);
		free(h->t);
		return tw_err_set(e, "rul: out of memory");
	}
	memcpy(h->x, x, n * f->p * sizeof *x);
	memcpy(h->t, t, n * sizeof *t);
	h->n = n;
	f->nh++;
	return 0;
}

void tw_rul_fitter_free(struct tw_rul_fitter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nh; i++) {
		free(f->h[i].x);
		free(f->h[i].t);
	}
	free(f->h);
	free(f);
}

/* ------------------------------------------------------------------- model */

void tw_rul_model_free(struct tw_rul_model *m)
{
	if (!m)
		return;
	if (m->curve)
		for (size_t i = 0; i < m->ncurves; i++)
			free(m->curve[i]);
	free(m->curve);
	free(m->len);
	free(m->mean);
	free(m->scale);
	free(m->weight);
	free(m->edges);
	free(m->err_lo);
	free(m->err_hi);
	free(m);
}

/* A model with its arrays for p sensors, ncurves curves (not yet
 * allocated) and nbins bins; NULL on no memory. */
static struct tw_rul_model *model_alloc(size_t p, size_t ncurves, size_t nbins)
{
	struct tw_rul_model *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->p = p;
	m->ncurves = ncurves;
	m->nbins = nbins;
	m->mean = calloc(p, sizeof *m->mean);
	m->scale = calloc(p, sizeof *m->scale);
	m->weight = calloc(p, sizeof *m->weight);
	m->curve = calloc(ncurves, sizeof *m->curve);
	m->len = calloc(ncurves, sizeof *m->len);
	m->edges = calloc(nbins, sizeof *m->edges);
	m->err_lo = calloc(nbins, sizeof *m->err_lo);
	m->err_hi = calloc(nbins, sizeof *m->err_hi);
	if (!m->mean || !m->scale || !m->weight || !m->curve || !m->len ||
	    !m->edges || !m->err_lo || !m->err_hi) {
		tw_rul_model_free(m);
		return NULL;
	}
	return m;
}

size_t tw_rul_vars(const struct tw_rul_model *m)
{
	return m->p;
}

static double hi_of(const struct tw_rul_model *m, const double *x)
{
	double h = m->intercept;

	for (size_t j = 0; j < m->p; j++)
		if (m->weight[j] != 0)
			h += m->weight[j] * (x[j] - m->mean[j]) / m->scale[j];
	return h;
}

/* Steps dt in a span, with a little slack for rounding. */
static size_t steps(double span, double dt)
{
	double s = floor(span / dt + STEP_EPS);

	return s > 0 ? (s < MAX_STEPS ? (size_t)s : (size_t)MAX_STEPS) : 0;
}

/* Linear interpolation in (t, v)[0..n) (t increasing) at tau, from index
 * *at on (moved forward; tau must not decrease between calls); ends
 * held. */
static double interp(const double *t, const double *v, size_t n, double tau, size_t *at)
{
	size_t a = *at;

	while (a + 1 < n && t[a + 1] <= tau)
		a++;
	*at = a;
	if (tau <= t[a] || a + 1 == n)
		return v[a];
	return v[a] + (tau - t[a]) / (t[a + 1] - t[a]) * (v[a + 1] - v[a]);
}

/* The reference curve of a history whose HI is h[0..n): centred moving
 * average, sampled every dt back from failure.  NULL on no memory. */
static double *make_curve(const struct tw_rul_model *m, const double *t, const double *h,
                          size_t n, size_t *len)
{
	size_t half = m->o.smooth / 2, at = 0, mlen;
	double *s = malloc(n * sizeof *s), *c;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t a = i > half ? i - half : 0, b = i + half + 1 < n ? i + half + 1 : n;
		s[i] = gsl_stats_mean(h + a, 1, b - a);
	}
	mlen = steps(t[n - 1] - t[0], m->dt) + 1;
	c = malloc(mlen * sizeof *c);
	if (c)
		for (size_t k = 0; k < mlen; k++)
			c[k] = interp(t, s, n, t[n - 1] - (double)(mlen - 1 - k) * m->dt, &at);
	free(s);
	*len = mlen;
	return c;
}

/* ----------------------------------------------------------------- tracker */

void tw_rul_tracker_free(struct tw_rul_tracker *k)
{
	if (!k)
		return;
	free(k->t);
	free(k->raw);
	free(k->sm);
	free(k->q);
	free(k->tt);
	free(k->vv);
	free(k->ft);
	free(k->fh);
	free(k->cand);
	free(k);
}

struct tw_rul_tracker *tw_rul_tracker_new(const struct tw_rul_model *m, struct tw_err *e)
{
	struct tw_rul_tracker *k = calloc(1, sizeof *k);

	if (!k) {
		tw_err_set(e, "rul: out of memory");
		return NULL;
	}
	k->m = m;
	k->ring = (m->o.window > m->o.smooth ? m->o.window : m->o.smooth) + 1;
	k->t = malloc(k->ring * sizeof *k->t);
	k->raw = malloc(k->ring * sizeof *k->raw);
	k->sm = malloc(k->ring * sizeof *k->sm);
	k->q = malloc(m->o.window * sizeof *k->q);
	k->tt = malloc(k->ring * sizeof *k->tt);
	k->vv = malloc(k->ring * sizeof *k->vv);
	k->ft = malloc(m->o.smooth * sizeof *k->ft);
	k->fh = malloc(m->o.smooth * sizeof *k->fh);
	k->cand = malloc(m->ncurves * sizeof *k->cand);
	if (!k->t || !k->raw || !k->sm || !k->q || !k->tt || !k->vv || !k->ft || !k->fh || !k->cand) {
		tw_rul_tracker_free(k);
		tw_err_set(e, "rul: out of memory");
		return NULL;
	}
	return k;
}

static size_t ring_at(const struct tw_rul_tracker *k, size_t i)   /* i: 0 oldest */
{
	return (k->first + i) % k->ring;
}

/* Learns observation (t, x): HI, smoothed HI. */
static void push(struct tw_rul_tracker *k, double t, const double *x)
{
	const struct tw_rul_model *m = k->m;
	size_t pos, ns;

	if (k->n < k->ring) {
		pos = ring_at(k, k->n);
		k->n++;
	} else {
		pos = k->first;
		k->first = (k->first + 1) % k->ring;
	}
	k->t[pos] = t;
	k->raw[pos] = hi_of(m, x);
	ns = k->n < m->o.smooth ? k->n : m->o.smooth;
	for (size_t i = 0; i < ns; i++) {
		size_t r = ring_at(k, k->n - ns + i);
		k->ft[i] = k->t[r] - t;
		k->fh[i] = k->raw[r];
	}
	if (ns < 3) {
		k->sm[pos] = gsl_stats_mean(k->fh, 1, ns);
	} else {
		double c0, c1, c00, c01, c11, sumsq;
		gsl_fit_linear(k->ft, 1, k->fh, 1, ns, &c0, &c1, &c00, &c01, &c11, &sumsq);
		k->sm[pos] = c0;
	}
	k->seen++;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return (x->r > y->r) - (x->r < y->r);
}

/* The RUL estimate from the kept observations, ignoring curve skip
 * (ncurves: none). */
static double estimate(struct tw_rul_tracker *k, size_t skip, double *smoothed)
{
	const struct tw_rul_model *m = k->m;
	size_t newest = ring_at(k, k->n - 1), oldest = ring_at(k, 0);
	double now = k->t[newest], num = 0, den = 0, rul;
	size_t L = steps(now - k->t[oldest], m->dt) + 1, at = 0, nc = 0;
	double *tt = k->tt, *vv = k->vv;

	if (L > m->o.window)
		L = m->o.window;
	if (L > m->minlen)
		L = m->minlen;
	for (size_t i = 0; i < k->n; i++) {
		size_t r = ring_at(k, i);
		tt[i] = k->t[r];
		vv[i] = k->sm[r];
	}
	for (size_t j = 0; j < L; j++)
		k->q[j] = interp(tt, vv, k->n, now - (double)(L - 1 - j) * m->dt, &at);
	*smoothed = k->sm[newest];

	for (size_t c = 0; c < m->ncurves; c++) {
		const double *cv = m->curve[c];
		size_t best = 0;
		double dbest = INFINITY;
		if (c == skip)
			continue;
		for (size_t s = 0; s + L <= m->len[c]; s++) {
			double d = 0;
			for (size_t j = 0; j < L; j++) {
				double u = cv[s + j] - k->q[j];
				d += u * u;
			}
			if (d < dbest) {
				dbest = d;
				best = s;
			}
		}
		k->cand[nc].d = dbest / (double)L;
		k->cand[nc].r = (double)(m->len[c] - best - L) * m->dt;
		nc++;
	}
	qsort(k->cand, nc, sizeof *k->cand, cand_cmp);
	if (nc > m->o.neighbours)
		nc = m->o.neighbours;
	for (size_t i = 0; i < nc; i++) {
		double w = exp(-k->cand[i].d / (k->cand[0].d + 1e-12));
		num += w * k->cand[i].r;
		den += w;
	}
	rul = num / den;
	if (m->o.cap > 0 && rul > m->o.cap)
		rul = m->o.cap;
	return rul;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int tw_rul_tracker_add(struct tw_rul_tracker *k, double t, const double *x,
                       struct tw_rul_estimate *est, struct tw_err *e)
{
	const struct tw_rul_model *m = k->m;
	double rul, s, top = m->o.cap > 0 ? m->o.cap : INFINITY;
	size_t b = 0;

	if (!isfinite(t))
		return tw_err_set(e, "rul: time is not finite");
	if (k->n > 0 && !(t > k->t[ring_at(k, k->n - 1)]))
		return tw_err_set(e, "rul: time %.17g not after the last one, %.17g",
		                  t, k->t[ring_at(k, k->n - 1)]);
	for (size_t j = 0; j < m->p; j++)
		if (!isfinite(x[j]))
			return tw_err_set(e, "rul: sensor %zu: not a finite number", j);
	push(k, t, x);
	if (k->seen < m->o.min_obs)
		return 1;
	rul = estimate(k, m->ncurves, &s);
	while (b + 1 < m->nbins && m->edges[b] <= rul)
		b++;
	est->rul = rul;
	est->lo = clamp(rul + m->err_lo[b], 0, top);
	est->hi = clamp(rul + m->err_hi[b], 0, top);
	est->health = m->h_new != m->h_fail ?
		clamp((s - m->h_fail) / (m->h_new - m->h_fail), 0, 1) : 1;
	return 0;
}

/* --------------------------------------------------------------------- fit */

/* Mean, scale and ridge weights into m from the histories.  -1 with e. */
static int fit_hi(const struct tw_rul_fitter *f, struct tw_rul_model *m, struct tw_err *e)
{
	size_t p = f->p, N = 0, q = 0, r = 0, *col;
	double life = 0, ymean, rnorm, snorm;
	gsl_matrix *X = NULL;
	gsl_vector *y = NULL, *c = NULL;
	gsl_multifit_linear_workspace *w = NULL;
	int rc = -1;

	for (size_t i = 0; i < f->nh; i++) {
		N += f->h[i].n;
		life += f->h[i].t[f->h[i].n - 1] - f->h[i].t[0];
	}
	life /= (double)f->nh;
	col = malloc(p * sizeof *col);
	if (!col)
		return tw_err_set(e, "rul: out of memory");
	for (size_t j = 0; j < p; j++) {
		double s = 0, ss = 0, mu, sd;
		for (size_t i = 0; i < f->nh; i++)
			for (size_t k = 0; k < f->h[i].n; k++)
				s += f->h[i].x[k * p + j];
		mu = s / (double)N;
		for (size_t i = 0; i < f->nh; i++)
			for (size_t k = 0; k < f->h[i].n; k++) {
				double d = f->h[i].x[k * p + j] - mu;
				ss += d * d;
			}
		sd = sqrt(ss / (double)N);
		m->mean[j] = mu;
		m->scale[j] = 1;
		if (sd > CONST_REL * (fabs(mu) + 1)) {
			m->scale[j] = sd;
			col[q++] = j;
		}
	}
	if (q == 0) {
		free(col);
		return tw_err_set(e, "rul: no sensor varies in the histories");
	}
	if (N <= q) {
		free(col);
		return tw_err_set(e, "rul: %zu rows for %zu varying sensors: too few", N, q);
	}
	X = gsl_matrix_alloc(N, q);
	y = gsl_vector_alloc(N);
	c = gsl_vector_alloc(q);
	w = gsl_multifit_linear_alloc(N, q);
	if (!X || !y || !c || !w) {
		tw_err_set(e, "rul: out of memory");
		goto out;
	}
	for (size_t i = 0; i < f->nh; i++) {
		const struct history *h = &f->h[i];
		for (size_t k = 0; k < h->n; k++, r++) {
			for (size_t a = 0; a < q; a++)
				gsl_matrix_set(X, r, a, (h->x[k * p + col[a]] - m->mean[col[a]]) / m->scale[col[a]]);
			gsl_vector_set(y, r, (h->t[h->n - 1] - h->t[k]) / life);
		}
	}
	ymean = gsl_stats_mean(y->data, 1, N);
	gsl_vector_add_constant(y, -ymean);
	if (gsl_multifit_linear_svd(X, w) != GSL_SUCCESS ||
	    (f->o.ridge == 0 && gsl_multifit_linear_rcond(w) < 1e-12) ||
	    gsl_multifit_linear_solve(sqrt(f->o.ridge), X, y, c, &rnorm, &snorm, w) != GSL_SUCCESS) {
		tw_err_set(e, "rul: singular fit of the health indicator (try a ridge penalty > 0)");
		goto out;
	}
	for (size_t a = 0; a < q; a++) {
		double v = gsl_vector_get(c, a);
		if (!isfinite(v)) {
			tw_err_set(e, "rul: singular fit of the health indicator");
			goto out;
		}
		m->weight[col[a]] = v;
	}
	m->intercept = ymean;
	rc = 0;
out:
	free(col);
	gsl_matrix_free(X);
	gsl_vector_free(y);
	gsl_vector_free(c);
	if (w)
		gsl_multifit_linear_free(w);
	return rc;
}

/* dt, curves, health scale.  -1 with e. */
static int fit_curves(const struct tw_rul_fitter *f, struct tw_rul_model *m, struct tw_err *e)
{
	size_t nsteps = 0, at = 0, maxn = 0;
	double *d, *h;

	for (size_t i = 0; i < f->nh; i++) {
		nsteps += f->h[i].n - 1;
		if (f->h[i].n > maxn)
			maxn = f->h[i].n;
	}
	d = malloc(nsteps * sizeof *d);
	h = malloc(maxn * sizeof *h);
	if (!d || !h) {
		free(d);
		free(h);
		return tw_err_set(e, "rul: out of memory");
	}
	for (size_t i = 0; i < f->nh; i++)
		for (size_t k = 1; k < f->h[i].n; k++)
			d[at++] = f->h[i].t[k] - f->h[i].t[k - 1];
	gsl_sort(d, 1, nsteps);
	m->dt = gsl_stats_median_from_sorted_data(d, 1, nsteps);
	free(d);
	m->minlen = SIZE_MAX;
	m->h_new = m->h_fail = 0;
	for (size_t i = 0; i < f->nh; i++) {
		const struct history *hs = &f->h[i];
		if (steps(hs->t[hs->n - 1] - hs->t[0], m->dt) >= (size_t)MAX_STEPS) {
			free(h);
			return tw_err_set(e, "rul: history %zu spans %.3g median steps: too many",
			                  i + 1, (hs->t[hs->n - 1] - hs->t[0]) / m->dt);
		}
		for (size_t k = 0; k < hs->n; k++)
			h[k] = hi_of(m, hs->x + k * f->p);
		m->curve[i] = make_curve(m, hs->t, h, hs->n, &m->len[i]);
		if (!m->curve[i]) {
			free(h);
			return tw_err_set(e, "rul: out of memory");
		}
		if (m->len[i] < m->minlen)
			m->minlen = m->len[i];
		m->h_new += m->curve[i][0];
		m->h_fail += m->curve[i][m->len[i] - 1];
	}
	free(h);
	m->h_new /= (double)f->nh;
	m->h_fail /= (double)f->nh;
	return 0;
}

/* The interval's bins from leave-one-history-out replays.  -1 with e. */
static int fit_interval(const struct tw_rul_fitter *f, struct tw_rul_model *m, struct tw_err *e)
{
	const struct tw_rul_opts *o = &f->o;
	size_t n = 0, cnt = 0, nb;
	double *est = NULL, *err = NULL, *tmp = NULL;
	struct tw_rul_tracker *k = NULL;
	int rc = -1;

	for (size_t i = 0; i < f->nh; i++)
		if (f->h[i].n >= o->min_obs)
			n += (f->h[i].n - o->min_obs) / o->stride + 1;
	if (n == 0)
		return tw_err_set(e, "rul: no history has min_obs (%zu) rows", o->min_obs);
	est = malloc(n * sizeof *est);
	err = malloc(n * sizeof *err);
	tmp = malloc(n * sizeof *tmp);
	k = tw_rul_tracker_new(m, e);
	if (!est || !err || !tmp || !k) {
		tw_err_set(e, "rul: out of memory");
		goto out;
	}
	for (size_t i = 0; i < f->nh; i++) {
		const struct history *h = &f->h[i];
		k->n = k->first = k->seen = 0;
		for (size_t r = 0; r < h->n; r++) {
			double s, truth;
			push(k, h->t[r], h->x + r * f->p);
			if (r + 1 < o->min_obs || (r + 1 - o->min_obs) % o->stride)
				continue;
			est[cnt] = estimate(k, i, &s);
			truth = h->t[h->n - 1] - h->t[r];
			if (o->cap > 0 && truth > o->cap)
				truth = o->cap;
			err[cnt] = truth - est[cnt];
			cnt++;
		}
	}
	/* bins at the estimates' quantiles */
	nb = cnt / ERRS_PER_BIN;
	if (nb > o->bins)
		nb = o->bins;
	if (nb < 1)
		nb = 1;
	m->nbins = nb;
	memcpy(tmp, est, cnt * sizeof *tmp);
	gsl_sort(tmp, 1, cnt);
	for (size_t b = 0; b + 1 < nb; b++)
		m->edges[b] = gsl_stats_quantile_from_sorted_data(tmp, 1, cnt, (double)(b + 1) / (double)nb);
	for (size_t b = 0; b < nb; b++) {
		size_t nin = 0;
		for (size_t i = 0; i < cnt; i++) {
			size_t bi = 0;
			while (bi + 1 < nb && m->edges[bi] <= est[i])
				bi++;
			if (bi == b)
				tmp[nin++] = err[i];
		}
		if (nin == 0) {
			memcpy(tmp, err, cnt * sizeof *tmp);
			nin = cnt;
		}
		gsl_sort(tmp, 1, nin);
		m->err_lo[b] = gsl_stats_quantile_from_sorted_data(tmp, 1, nin, (1 - o->level) / 2);
		m->err_hi[b] = gsl_stats_quantile_from_sorted_data(tmp, 1, nin, (1 + o->level) / 2);
	}
	rc = 0;
out:
	free(est);
	free(err);
	free(tmp);
	tw_rul_tracker_free(k);
	return rc;
}

struct tw_rul_model *tw_rul_fit(const struct tw_rul_fitter *f, struct tw_err *e)
{
	struct tw_rul_model *m;
	gsl_error_handler_t *old;

	if (f->nh < MIN_HISTORIES) {
		tw_err_set(e, "rul: %zu histories: at least %d are needed", f->nh, MIN_HISTORIES);
		return NULL;
	}
	m = model_alloc(f->p, f->nh, f->o.bins);
	if (!m) {
		tw_err_set(e, "rul: out of memory");
		return NULL;
	}
	m->o = f->o;
	old = gsl_set_error_handler_off();
	if (fit_hi(f, m, e) < 0 || fit_curves(f, m, e) < 0 || fit_interval(f, m, e) < 0) {
		gsl_set_error_handler(old);
		tw_rul_model_free(m);
		return NULL;
	}
	gsl_set_error_handler(old);
	return m;
}

/* ------------------------------------------------------------ save, load */

json_t *tw_rul_save(const struct tw_rul_model *m)
{
	json_t *curves = json_array(), *j;

	if (!curves)
		return NULL;
	for (size_t i = 0; i < m->ncurves; i++)
		if (json_array_append_new(curves, tw_jc_reals(m->curve[i], m->len[i])) < 0) {
			json_decref(curves);
			return NULL;
		}
	/* "o" steals each reference, also when json_pack fails (on NULL) */
	j = json_pack("{s:s, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:f, s:o, s:o, s:o,"
	              " s:f, s:f, s:f, s:o, s:o, s:o, s:o}",
	              "method", "similarity",
	              "vars", (json_int_t)m->p,
	              "cap", m->o.cap,
	              "level", m->o.level,
	              "window", (json_int_t)m->o.window,
	              "smooth", (json_int_t)m->o.smooth,
	              "neighbours", (json_int_t)m->o.neighbours,
	              "min_obs", (json_int_t)m->o.min_obs,
	              "dt", m->dt,
	              "mean", tw_jc_reals(m->mean, m->p),
	              "scale", tw_jc_reals(m->scale, m->p),
	              "weight", tw_jc_reals(m->weight, m->p),
	              "intercept", m->intercept,
	              "h_new", m->h_new,
	              "h_fail", m->h_fail,
	              "curves", curves,
	              "edges", tw_jc_reals(m->edges, m->nbins - 1),
	              "err_lo", tw_jc_reals(m->err_lo, m->nbins),
	              "err_hi", tw_jc_reals(m->err_hi, m->nbins));
	return j;
}

static const char *const model_keys[] = {
	"method", "vars", "cap", "level", "window", "smooth", "neighbours", "min_obs",
	"dt", "mean", "scale", "weight", "intercept", "h_new", "h_fail", "curves",
	"edges", "err_lo", "err_hi", NULL
};

/* The finite number member key into *out.  -1 with c->e. */
static int get_num(const struct tw_jc *c, const json_t *j, const char *key, double *out)
{
	*out = NAN;
	if (tw_jc_number(c, "", j, key, TW_JC_REQUIRED, out) < 0)
		return -1;
	if (!isfinite(*out))
		return tw_jc_fail(c, key, "expected a finite number");
	return 0;
}

/* The integer member key, at least min, into *out.  -1 with c->e. */
static int get_size(const struct tw_jc *c, const json_t *j, const char *key, size_t min,
                    size_t *out)
{
	const json_t *v = json_object_get(j, key);

	if (!v)
		return tw_jc_fail(c, key, "missing");
	if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
	    (uintmax_t)json_integer_value(v) > SIZE_MAX / 64)
		return tw_jc_fail(c, key, "expected an integer of at least %zu", min);
	*out = (size_t)json_integer_value(v);
	return 0;
}

/* The array v of n finite numbers (n == 0: any length >= 1, into *n)
 * into a new *out.  path names v.  -1 with c->e. */
static int get_array(const struct tw_jc *c, const char *path, const json_t *v, size_t *n,
                     double **out)
{
	size_t len;

	if (!v)
		return tw_jc_fail(c, path, "missing");
	if (!json_is_array(v))
		return tw_jc_fail(c, path, "expected an array of numbers");
	len = json_array_size(v);
	if (*n ? len != *n : len == 0)
		return *n ? tw_jc_fail(c, path, "expected %zu numbers, got %zu", *n, len)
		          : tw_jc_fail(c, path, "expected a non-empty array of numbers");
	*out = malloc(len * sizeof **out);
	if (!*out)
		return tw_jc_fail(c, path, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const json_t *x = json_array_get(v, i);
		if (!json_is_number(x) || !isfinite(json_number_value(x))) {
			free(*out);
			*out = NULL;
			return tw_jc_fail(c, path, "element %zu: expected a finite number", i);
		}
		(*out)[i] = json_number_value(x);
	}
	*n = len;
	return 0;
}

/* Copies the loaded array into dst (allocated by model_alloc). */
static int load_into(const struct tw_jc *c, const json_t *j, const char *key, size_t n,
                     double *dst)
{
	double *v = NULL;

	if (get_array(c, key, json_object_get(j, key), &n, &v) < 0)
		return -1;
	memcpy(dst, v, n * sizeof *v);
	free(v);
	return 0;
}

struct tw_rul_model *tw_rul_load(const json_t *j, struct tw_err *e)
{
	struct tw_jc c = { "rul model", e };
	struct tw_rul_model *m = NULL;
	struct tw_rul_opts o;
	const char *method = NULL;
	const json_t *curves, *lo;
	size_t p, nbins;
	double dt;

	tw_rul_opts_init(&o);
	if (tw_jc_need_object(&c, "", j) < 0 || tw_jc_known_keys(&c, "", j, model_keys) < 0 ||
	    tw_jc_string(&c, "", j, "method", TW_JC_REQUIRED, &method) < 0)
		return NULL;
	if (strcmp(method, "similarity") != 0) {
		tw_jc_fail(&c, "method", "unknown method (known: similarity)");
		return NULL;
	}
	if (get_size(&c, j, "vars", 1, &p) < 0 || get_num(&c, j, "cap", &o.cap) < 0 ||
	    get_num(&c, j, "level", &o.level) < 0 ||
	    get_size(&c, j, "window", 2, &o.window) < 0 ||
	    get_size(&c, j, "smooth", 1, &o.smooth) < 0 ||
	    get_size(&c, j, "neighbours", 1, &o.neighbours) < 0 ||
	    get_size(&c, j, "min_obs", 1, &o.min_obs) < 0 || get_num(&c, j, "dt", &dt) < 0)
		return NULL;
	if (o.cap < 0) {
		tw_jc_fail(&c, "cap", "expected a number >= 0");
		return NULL;
	}
	if (!(o.level > 0 && o.level < 1)) {
		tw_jc_fail(&c, "level", "expected a number between 0 and 1");
		return NULL;
	}
	if (!(dt > 0)) {
		tw_jc_fail(&c, "dt", "expected a number > 0");
		return NULL;
	}
	curves = json_object_get(j, "curves");
	if (!curves || !json_is_array(curves) || json_array_size(curves) == 0) {
		tw_jc_fail(&c, "curves", curves ? "expected a non-empty array of arrays" : "missing");
		return NULL;
	}
	lo = json_object_get(j, "err_lo");
	if (!lo || !json_is_array(lo) || json_array_size(lo) == 0) {
		tw_jc_fail(&c, "err_lo", lo ? "expected a non-empty array of numbers" : "missing");
		return NULL;
	}
	nbins = json_array_size(lo);
	m = model_alloc(p, json_array_size(curves), nbins);
	if (!m) {
		tw_err_set(e, "rul: out of memory");
		return NULL;
	}
	o.ridge = 0;
	o.stride = 1;
	o.bins = nbins;
	m->o = o;
	m->dt = dt;
	if (load_into(&c, j, "mean", p, m->mean) < 0 || load_into(&c, j, "scale", p, m->scale) < 0 ||
	    load_into(&c, j, "weight", p, m->weight) < 0 ||
	    (nbins > 1 && load_into(&c, j, "edges", nbins - 1, m->edges) < 0) ||
	    load_into(&c, j, "err_lo", nbins, m->err_lo) < 0 ||
	    load_into(&c, j, "err_hi", nbins, m->err_hi) < 0 ||
	    get_num(&c, j, "intercept", &m->intercept) < 0 ||
	    get_num(&c, j, "h_new", &m->h_new) < 0 || get_num(&c, j, "h_fail", &m->h_fail) < 0)
		goto fail;
	if (nbins == 1) {
		const json_t *ed = json_object_get(j, "edges");
		if (!ed || !json_is_array(ed) || json_array_size(ed) != 0) {
			tw_jc_fail(&c, "edges", "expected 0 numbers");
			goto fail;
		}
	}
	for (size_t i = 0; i < p; i++)
		if (!(m->scale[i] > 0)) {
			tw_jc_fail(&c, "scale", "element %zu: expected a number > 0", i);
			goto fail;
		}
	for (size_t i = 0; i + 2 < nbins; i++)
		if (m->edges[i + 1] < m->edges[i]) {
			tw_jc_fail(&c, "edges", "not in increasing order");
			goto fail;
		}
	m->minlen = SIZE_MAX;
	for (size_t i = 0; i < m->ncurves; i++) {
		char path[TW_JC_PATH_BUF];
		snprintf(path, sizeof path, "curves[%zu]", i);
		m->len[i] = 0;
		if (get_array(&c, path, json_array_get(curves, i), &m->len[i], &m->curve[i]) < 0)
			goto fail;
		if (m->len[i] < m->minlen)
			m->minlen = m->len[i];
	}
	return m;
fail:
	tw_rul_model_free(m);
	return NULL;
}
