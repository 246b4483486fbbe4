/* detect.c - streaming univariate anomaly detectors (see detect.h).
 *
 * All three methods share one rolling window kept twice: a ring in time
 * order (to know which value leaves) and a sorted copy (median in O(1),
 * MAD by merging the deviations on either side of the median, O(window)
 * at worst; inserting and removing are a binary search and a memmove).
 * Everything is allocated in tw_detector_new.
 *
 * "auto" is "likelihood": on the 18 NAB files in ../shared/data/nab, with
 * the defaults for every file, tests/eval/nab_score.py gives (standard /
 * low FP / low FN) likelihood 16.7 / 5.5 / 21.8, mad 0 / 0 / 0, cusum
 * 0 / 0 / 0 (the rolling z-score baseline: 4.97 standard).  mad and cusum
 * saturate at 1.0 on many normal rows of daily-periodic files, so no
 * global threshold beats never firing. */
#include "detect.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define AUTO_METHOD "spatial"
#define LIK_DECADES 20.0   /* likelihood score 1 at p = 1e-20 */

enum method { M_MAD, M_CUSUM, M_LIKELIHOOD, M_SPATIAL };

const char *const tw_detect_methods[] = {
	"auto", "mad", "cusum", "likelihood", "spatial", NULL
};

/* The names of enum method, in its order. */
static const char *const method_names[] = {
	"mad", "cusum", "likelihood", "spatial"
};

struct rollwin {
	size_t cap, n, head;  /* head: oldest value in ring when n == cap */
	double *ring, *sorted;
};

struct tw_detector {
	enum method method;
	struct tw_detect_opts o;
	struct rollwin w;
	size_t learned;       /* finite values learned */
	double cpos, cneg;    /* CUSUM sums */
	double *raw;          /* likelihood: last lik_short raw scores (ring) */
	size_t raw_n, raw_head;
	double *hist;         /* likelihood: last lik_window short-term means */
	size_t hist_n, hist_head, hist_pushes;
	double hist_sum, hist_sq;
	int have_range;       /* spatial: lo and hi hold the range seen */
	double lo, hi;
};

void tw_detect_opts_init(struct tw_detect_opts *o)
{
	o->window = 288;
	o->warmup = 288;
	o->cusum_k = 0.5;
	o->cusum_h = 8.0;
	o->lik_window = 8640;
	o->lik_short = 10;
	o->lik_learn = 100;
	o->lik_min_sd = 0.02;
	o->spatial_tol = 0.05;
}

/* ---------------------------------------------------------- rolling window */

/* First index i in s[0..n) with s[i] >= x (or > x when upper). */
static size_t bound(const double *s, size_t n, double x, int upper)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (upper ? s[mid] <= x : s[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void win_push(struct rollwin *w, double x)
{
	if (w->n == w->cap) {
		double old = w->ring[w->head];
		size_t i = bound(w->sorted, w->n, old, 0);
		/* old is in sorted: values are finite, compared exactly */
		memmove(w->sorted + i, w->sorted + i + 1,
		        (w->n - i - 1) * sizeof *w->sorted);
		w->n--;
		w->ring[w->head] = x;
		w->head = (w->head + 1) % w->cap;
	} else {
		w->ring[(w->head + w->n) % w->cap] = x;
	}
	size_t i = bound(w->sorted, w->n, x, 1);
	memmove(w->sorted + i + 1, w->sorted + i, (w->n - i) * sizeof *w->sorted);
	w->sorted[i] = x;
	w->n++;
}

static double win_median(const struct rollwin *w)
{
	const double *s = w->sorted;
	size_t n = w->n;
	return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* The k-th smallest (from 0) of the absolute deviations from m of the
 * sorted s[0..n), c the first index with s[c] >= m.  The deviations below
 * m, m - s[c-1-i], and above it, s[c+j] - m, are two ascending runs: the
 * k-th of their union is found by bisection on how many come from the
 * first, in O(log n), as for the median of two sorted arrays. */
static double kth_deviation(const double *s, size_t n, size_t c, double m, size_t k)
{
	size_t na = c, nb = n - c;
#define BELOW(i) (m - s[c - 1 - (i)])
#define ABOVE(j) (s[c + (j)] - m)
	size_t lo = k + 1 > nb ? k + 1 - nb : 0, hi = k + 1 < na ? k + 1 : na;
	while (lo < hi) {
		size_t i = lo + (hi - lo) / 2, j = k + 1 - i;
		if (i < na && j > 0 && BELOW(i) < ABOVE(j - 1))
			lo = i + 1;
		else
			hi = i;
	}
	size_t i = lo, j = k + 1 - lo;
	double x = i > 0 ? BELOW(i - 1) : -INFINITY;
	if (j > 0 && ABOVE(j - 1) > x)
		x = ABOVE(j - 1);
#undef BELOW
#undef ABOVE
	return x;
}

/* The robust scale of the window about its median m: 1.4826 MAD, or when
 * that is 0 1.2533 times the mean absolute deviation; 0 when the window
 * is constant. */
static double win_scale(const struct rollwin *w, double m)
{
	const double *s = w->sorted;
	size_t n = w->n, c = bound(s, n, m, 0);
	size_t want = n / 2;           /* 0-based rank of the upper middle */
	double mad = kth_deviation(s, n, c, m, want);
	if (n % 2 == 0)
		mad = 0.5 * (kth_deviation(s, n, c, m, want - 1) + mad);
	if (mad > 0.0)
		return 1.4826 * mad;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += fabs(s[i] - m);
	/* below rounding noise of the values themselves: constant */
	if (sum / n <= 1e-12 * fabs(m))
		return 0.0;
	return 1.2533 * sum / n;
}

/* ---------------------------------------------------------------- methods */

/* The robust z of x against the window (signed), 0 without evidence. */
static double robust_z(const struct rollwin *w, double x)
{
	if (w->n < 3)
		return 0.0;
	double m = win_median(w), sc = win_scale(w, m);
	if (!(sc > 0.0))
		return 0.0;
	return (x - m) / sc;
}

static double mad_score(double z)
{
	return 1.0 - exp(-z * z / 8.0);
}

static double cusum_step(struct tw_detector *d, double z)
{
	double k = d->o.cusum_k, h = d->o.cusum_h, cap = 2.0 * h;
	d->cpos = fmin(cap, fmax(0.0, d->cpos + z - k));
	d->cneg = fmin(cap, fmax(0.0, d->cneg - z - k));
	double r = fmax(d->cpos, d->cneg) / h;
	return 1.0 - pow(10.0, -r * r);
}

/* Likelihood of a raw score: pushes it, compares the new short-term mean
 * with the history's mean and sd, then adds that mean to the history.
 * Returns 0 until the history holds lik_learn means. */
static double likelihood_step(struct tw_detector *d, double raw)
{
	const struct tw_detect_opts *o = &d->o;

	if (d->raw_n == o->lik_short) {
		d->raw[d->raw_head] = raw;
		d->raw_head = (d->raw_head + 1) % o->lik_short;
	} else {
		d->raw[d->raw_n++] = raw;
	}
	double s = 0.0;
	for (size_t i = 0; i < d->raw_n; i++)
		s += d->raw[i];
	double avg = s / d->raw_n;

	double score = 0.0;
	if (d->hist_n >= o->lik_learn) {
		double mean = d->hist_sum / d->hist_n;
		double var = d->hist_sq / d->hist_n - mean * mean;
		double sd = sqrt(fmax(var, 0.0));
		if (sd < o->lik_min_sd)
			sd = o->lik_min_sd;
		double z = (avg - mean) / sd;
		/* -log10 of the one-sided p = 2 Q(z), from erfc directly so
		 * that tiny tails keep their precision */
		if (z > 0.0)
			score = -log10(erfc(z / M_SQRT2)) / LIK_DECADES;
	}

	if (d->hist_n == o->lik_window) {
		double old = d->hist[d->hist_head];
		d->hist_sum -= old;
		d->hist_sq -= old * old;
		d->hist[d->hist_head] = avg;
		d->hist_head = (d->hist_head + 1) % o->lik_window;
	} else {
		d->hist[d->hist_n++] = avg;
	}
	d->hist_sum += avg;
	d->hist_sq += avg * avg;
	/* recompute the sums now and then: sliding updates drift */
	if (++d->hist_pushes % o->lik_window == 0) {
		d->hist_sum = d->hist_sq = 0.0;
		for (size_t i = 0; i < d->hist_n; i++) {
			d->hist_sum += d->hist[i];
			d->hist_sq += d->hist[i] * d->hist[i];
		}
	}
	return score;
}

/* NAB's spatial anomaly rule: 1 when x leaves the range of every value
 * learned so far, widened on either side by spatial_tol times its width;
 * then the range takes x in.  A range of one value says nothing. */
static int spatial_step(struct tw_detector *d, double x)
{
	if (!d->have_range) {
		d->lo = d->hi = x;
		d->have_range = 1;
		return 0;
	}
	double tol = d->o.spatial_tol * (d->hi - d->lo);
	int out = d->hi > d->lo && (x > d->hi + tol || x < d->lo - tol);
	if (x < d->lo)
		d->lo = x;
	if (x > d->hi)
		d->hi = x;
	return out;
}

/* ------------------------------------------------------------- interface */

static int find_method(const char *name, enum method *m, struct tw_err *e)
{
	for (size_t i = 0; i < sizeof method_names / sizeof *method_names; i++)
		if (strcmp(name, method_names[i]) == 0) {
			*m = (enum method)i;
			return 0;
		}
	char q[TW_QUOTE_BUF];
	return tw_err_set(e, "unknown method \"%s\" (auto, mad, cusum, likelihood, spatial)",
	                  tw_err_quote(q, name, strlen(name)));
}

static int check_opts(const struct tw_detect_opts *o, struct tw_err *e)
{
	if (o->window < 3 || o->window > (size_t)1 << 24)
		return tw_err_set(e, "window %zu out of range 3..%zu",
		                  o->window, (size_t)1 << 24);
	if (!(o->cusum_k >= 0.0) || !isfinite(o->cusum_k))
		return tw_err_set(e, "cusum slack k must be finite and >= 0");
	if (!(o->cusum_h > 0.0) || !isfinite(o->cusum_h))
		return tw_err_set(e, "cusum threshold h must be finite and > 0");
	if (o->lik_window < 2 || o->lik_window > (size_t)1 << 24)
		return tw_err_set(e, "likelihood window %zu out of range 2..%zu",
		                  o->lik_window, (size_t)1 << 24);
	if (o->lik_short < 1 || o->lik_short > o->lik_window)
		return tw_err_set(e, "likelihood short window %zu out of range 1..%zu",
		                  o->lik_short, o->lik_window);
	if (o->lik_learn < 2 || o->lik_learn > o->lik_window)
		return tw_err_set(e, "likelihood learning count %zu out of range 2..%zu",
		                  o->lik_learn, o->lik_window);
	if (!(o->lik_min_sd > 0.0) || !isfinite(o->lik_min_sd))
		return tw_err_set(e, "likelihood sd floor must be finite and > 0");
	if (!(o->spatial_tol >= 0.0) || !isfinite(o->spatial_tol))
		return tw_err_set(e, "spatial tolerance must be finite and >= 0");
	return 0;
}

struct tw_detector *tw_detector_new(const char *method,
                                    const struct tw_detect_opts *o,
                                    struct tw_err *e)
{
	struct tw_detect_opts def;
	enum method m = M_MAD;

	if (!o) {
		tw_detect_opts_init(&def);
		o = &def;
	}
	if (!method || strcmp(method, "auto") == 0)
		method = AUTO_METHOD;
	if (find_method(method, &m, e) < 0 || check_opts(o, e) < 0)
		return NULL;

	struct tw_detector *d = calloc(1, sizeof *d);
	if (!d) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	d->method = m;
	d->o = *o;
	d->w.cap = o->window;
	d->w.ring = malloc(o->window * sizeof *d->w.ring);
	d->w.sorted = malloc(o->window * sizeof *d->w.sorted);
	int ok = d->w.ring && d->w.sorted;
	if (ok && (m == M_LIKELIHOOD || m == M_SPATIAL)) {
		d->raw = malloc(o->lik_short * sizeof *d->raw);
		d->hist = malloc(o->lik_window * sizeof *d->hist);
		ok = d->raw && d->hist;
	}
	if (!ok) {
		tw_detector_free(d);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	return d;
}

double tw_detector_score(struct tw_detector *d, int64_t ts, double value)
{
	(void)ts;
	if (!isfinite(value))
		return NAN;

	double z = robust_z(&d->w, value), score;
	int warm = d->learned >= d->o.warmup;
	switch (d->method) {
	case M_MAD:
		score = mad_score(z);
		break;
	case M_CUSUM:
		/* the sums start once warm: before, the window is too short */
		score = warm ? cusum_step(d, z) : 0.0;
		break;
	case M_LIKELIHOOD:
		score = warm ? likelihood_step(d, mad_score(z)) : 0.0;
		break;
	default:
		/* the range is learned from the first value, the likelihood
		 * once warm, as for "likelihood" */
		score = spatial_step(d, value);
		if (warm) {
			double lik = likelihood_step(d, mad_score(z));
			score = score ? 1.0 : lik;
		}
		break;
	}
	win_push(&d->w, value);
	d->learned++;
	if (!warm || !(score >= 0.0))
		return 0.0;
	return score > 1.0 ? 1.0 : score;
}

const char *tw_detector_method(const struct tw_detector *d)
{
	return method_names[d->method];
}

void tw_detector_free(struct tw_detector *d)
{
	if (!d)
		return;
	free(d->w.ring);
	free(d->w.sorted);
	free(d->raw);
	free(d->hist);
	free(d);
}

/* ------------------------------------------------------------ persistence */

/* A JSON array of the doubles v[0..n), NULL on no memory. */
static json_t *reals(const double *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

json_t *tw_detector_save(const struct tw_detector *d)
{
	const struct tw_detect_opts *o = &d->o;
	json_t *opts = json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:f, s:f}",
		"window", (json_int_t)o->window, "warmup", (json_int_t)o->warmup,
		"cusum_k", o->cusum_k, "cusum_h", o->cusum_h,
		"lik_window", (json_int_t)o->lik_window,
		"lik_short", (json_int_t)o->lik_short,
		"lik_learn", (json_int_t)o->lik_learn,
		"lik_min_sd", o->lik_min_sd, "spatial_tol", o->spatial_tol);
	json_t *j = json_pack("{s:s, s:o, s:I, s:o, s:o, s:I, s:[f, f]}",
		"method", method_names[d->method], "options", opts,
		"learned", (json_int_t)d->learned,
		"ring", reals(d->w.ring, d->w.n), "sorted", reals(d->w.sorted, d->w.n),
		"head", (json_int_t)d->w.head, "cusum", d->cpos, d->cneg);
	if (j && (d->method == M_LIKELIHOOD || d->method == M_SPATIAL)) {
		json_t *lik = json_pack("{s:o, s:I, s:o, s:I, s:I, s:f, s:f}",
			"raw", reals(d->raw, d->raw_n), "raw_head", (json_int_t)d->raw_head,
			"hist", reals(d->hist, d->hist_n),
			"hist_head", (json_int_t)d->hist_head,
			"hist_pushes", (json_int_t)d->hist_pushes,
			"hist_sum", d->hist_sum, "hist_sq", d->hist_sq);
		if (!lik || json_object_set_new(j, "likelihood", lik) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	if (j && d->method == M_SPATIAL) {
		json_t *r = d->have_range ? json_pack("[f, f]", d->lo, d->hi)
		                          : json_null();
		if (!r || json_object_set_new(j, "range", r) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

/* Member key of obj as a count (a JSON integer >= 0) into *out. */
static int get_count(const json_t *obj, const char *key, size_t *out,
                     struct tw_err *e)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return tw_err_set(e, "detector state: %s: expected an integer >= 0", key);
	*out = (size_t)json_integer_value(v);
	return 0;
}

/* Member key of obj as a finite number into *out. */
static int get_real(const json_t *obj, const char *key, double *out,
                    struct tw_err *e)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return tw_err_set(e, "detector state: %s: expected a number", key);
	*out = json_number_value(v);
	return 0;
}

/* Member key of obj, an array of at most cap finite numbers, into v;
 * its length into *n. */
static int get_reals(const json_t *obj, const char *key, double *v,
                     size_t cap, size_t *n, struct tw_err *e)
{
	const json_t *a = json_object_get(obj, key);
	if (!a)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_array(a))
		return tw_err_set(e, "detector state: %s: expected an array", key);
	if (json_array_size(a) > cap)
		return tw_err_set(e, "detector state: %s: %zu values, at most %zu",
		                  key, json_array_size(a), cap);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *x = json_array_get(a, i);
		if (!json_is_number(x) || !isfinite(json_number_value(x)))
			return tw_err_set(e, "detector state: %s[%zu]: expected a number",
			                  key, i);
		v[i] = json_number_value(x);
	}
	*n = json_array_size(a);
	return 0;
}

/* A ring of n values of capacity cap with its oldest at head: head is 0
 * until the ring is full. */
static int check_ring(const char *key, size_t n, size_t head, size_t cap,
                      struct tw_err *e)
{
	if (head >= cap || (n < cap && head != 0))
		return tw_err_set(e, "detector state: %s: head %zu with %zu of %zu values",
		                  key, head, n, cap);
	return 0;
}

static int load_options(const json_t *j, struct tw_detect_opts *o,
                        struct tw_err *e)
{
	if (!json_is_object(j))
		return tw_err_set(e, "detector state: options: expected an object");
	tw_detect_opts_init(o);
	if (get_count(j, "window", &o->window, e) < 0 ||
	    get_count(j, "warmup", &o->warmup, e) < 0 ||
	    get_real(j, "cusum_k", &o->cusum_k, e) < 0 ||
	    get_real(j, "cusum_h", &o->cusum_h, e) < 0 ||
	    get_count(j, "lik_window", &o->lik_window, e) < 0 ||
	    get_count(j, "lik_short", &o->lik_short, e) < 0 ||
	    get_count(j, "lik_learn", &o->lik_learn, e) < 0 ||
	    get_real(j, "lik_min_sd", &o->lik_min_sd, e) < 0 ||
	    get_real(j, "spatial_tol", &o->spatial_tol, e) < 0)
		return -1;
	return 0;
}

/* The state of j into d, made by tw_detector_new with j's method and
 * options. */
static int load_state(struct tw_detector *d, const json_t *j, struct tw_err *e)
{
	size_t n, m;
	if (get_count(j, "learned", &d->learned, e) < 0 ||
	    get_reals(j, "ring", d->w.ring, d->w.cap, &n, e) < 0 ||
	    get_reals(j, "sorted", d->w.sorted, d->w.cap, &m, e) < 0 ||
	    get_count(j, "head", &d->w.head, e) < 0 ||
	    check_ring("ring", n, d->w.head, d->w.cap, e) < 0)
		return -1;
	if (m != n)
		return tw_err_set(e, "detector state: sorted: %zu values, ring %zu", m, n);
	for (size_t i = 1; i < n; i++)
		if (d->w.sorted[i] < d->w.sorted[i - 1])
			return tw_err_set(e, "detector state: sorted: not in order at %zu", i);
	d->w.n = n;
	if (n > d->learned)
		return tw_err_set(e, "detector state: %zu values in the window, %zu learned",
		                  n, d->learned);

	const json_t *c = json_object_get(j, "cusum");
	if (!json_is_array(c) || json_array_size(c) != 2 ||
	    !json_is_number(json_array_get(c, 0)) || !json_is_number(json_array_get(c, 1)))
		return tw_err_set(e, "detector state: cusum: expected 2 numbers");
	d->cpos = json_number_value(json_array_get(c, 0));
	d->cneg = json_number_value(json_array_get(c, 1));
	if (!(d->cpos >= 0.0 && d->cpos <= 2.0 * d->o.cusum_h) ||
	    !(d->cneg >= 0.0 && d->cneg <= 2.0 * d->o.cusum_h))
		return tw_err_set(e, "detector state: cusum: sums out of range 0..2h");

	if (d->method == M_LIKELIHOOD || d->method == M_SPATIAL) {
		const json_t *l = json_object_get(j, "likelihood");
		if (!json_is_object(l))
			return tw_err_set(e, "detector state: likelihood: expected an object");
		if (get_reals(l, "raw", d->raw, d->o.lik_short, &d->raw_n, e) < 0 ||
		    get_count(l, "raw_head", &d->raw_head, e) < 0 ||
		    check_ring("raw", d->raw_n, d->raw_head, d->o.lik_short, e) < 0 ||
		    get_reals(l, "hist", d->hist, d->o.lik_window, &d->hist_n, e) < 0 ||
		    get_count(l, "hist_head", &d->hist_head, e) < 0 ||
		    check_ring("hist", d->hist_n, d->hist_head, d->o.lik_window, e) < 0 ||
		    get_count(l, "hist_pushes", &d->hist_pushes, e) < 0 ||
		    get_real(l, "hist_sum", &d->hist_sum, e) < 0 ||
		    get_real(l, "hist_sq", &d->hist_sq, e) < 0)
			return -1;
		if (d->hist_n > d->hist_pushes || d->raw_n > d->learned)
			return tw_err_set(e, "detector state: likelihood: more values than learned");
	}
	if (d->method == M_SPATIAL) {
		const json_t *r = json_object_get(j, "range");
		if (json_is_null(r)) {
			if (d->learned > 0)
				return tw_err_set(e, "detector state: range: null after %zu values",
				                  d->learned);
		} else if (!json_is_array(r) || json_array_size(r) != 2 ||
		           !json_is_number(json_array_get(r, 0)) ||
		           !json_is_number(json_array_get(r, 1))) {
			return tw_err_set(e, "detector state: range: expected [low, high] or null");
		} else {
			d->lo = json_number_value(json_array_get(r, 0));
			d->hi = json_number_value(json_array_get(r, 1));
			if (!isfinite(d->lo) || !isfinite(d->hi) || d->lo > d->hi)
				return tw_err_set(e, "detector state: range: expected low <= high");
			d->have_range = 1;
		}
	}
	return 0;
}

struct tw_detector *tw_detector_load(const json_t *j, struct tw_err *e)
{
	struct tw_detect_opts o;
	enum method m = M_MAD;

	if (!json_is_object(j)) {
		tw_err_set(e, "detector state: expected an object");
		return NULL;
	}
	const json_t *name = json_object_get(j, "method");
	if (!json_is_string(name)) {
		tw_err_set(e, "detector state: method: expected a string");
		return NULL;
	}
	if (find_method(json_string_value(name), &m, e) < 0 ||
	    load_options(json_object_get(j, "options"), &o, e) < 0)
		return NULL;
	struct tw_detector *d = tw_detector_new(method_names[m], &o, e);
	if (!d)
		return NULL;
	if (load_state(d, j, e) < 0) {
		tw_detector_free(d);
		return NULL;
	}
	return d;
}
