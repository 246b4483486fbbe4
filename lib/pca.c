/* pca.c - PCA with Hotelling's T-squared and Q (see pca.h).
 *
 * The model keeps the means, the sds as measured (0 for a constant
 * column, scaled by 1 when scoring), all p eigenvalues (the Q limit's
 * inputs, for the record) and the k retained eigenvectors, stored
 * component by component (load[a * p + j] is variable j's loading on
 * component a).  GSL's error handler is switched off during the fit and
 * restored after. */
#include "pca.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>

#include "jcheck.h"

#define VAR_TOL 1e-9        /* relative: a cumulative fraction reaching the target */
#define RANK_EPS 1e-12      /* an eigenvalue below this of the total is zero */
#define FLAT_Q_LIMIT 1e-9   /* per variable: the Q limit when nothing is left */

struct tw_pca {
	size_t n, p, k;
	double confidence;
	double *mean, *sd;     /* p each; sd 0: a constant column */
	double *eval;          /* p, descending */
	double *load;          /* k x p */
	double t2_limit, q_limit;
	double *work;          /* p + k: z, then t */
};

void tw_pca_opts_init(struct tw_pca_opts *o)
{
	o->variance = 0.9;
	o->components = 0;
	o->confidence = 0.99;
}

static struct tw_pca *alloc_model(size_t n, size_t p, size_t k, struct tw_err *e)
{
	struct tw_pca *m = calloc(1, sizeof *m);

	if (m) {
		m->mean = calloc(p, sizeof *m->mean);
		m->sd = calloc(p, sizeof *m->sd);
		m->eval = calloc(p, sizeof *m->eval);
		m->load = calloc(k * p, sizeof *m->load);
		m->work = calloc(p + k, sizeof *m->work);
	}
	if (!m || !m->mean || !m->sd || !m->eval || !m->load || !m->work) {
		tw_pca_free(m);
		tw_err_set(e, "pca: out of memory");
		return NULL;
	}
	m->n = n;
	m->p = p;
	m->k = k;
	return m;
}

void tw_pca_free(struct tw_pca *m)
{
	if (!m)
		return;
	free(m->mean);
	free(m->sd);
	free(m->eval);
	free(m->load);
	free(m->work);
	free(m);
}

size_t tw_pca_vars(const struct tw_pca *m)
{
	return m->p;
}

size_t tw_pca_components(const struct tw_pca *m)
{
	return m->k;
}

size_t tw_pca_rows(const struct tw_pca *m)
{
	return m->n;
}

static double scale(double sd)
{
	return sd > 0.0 ? sd : 1.0;
}

/* Hotelling's T2 limit for a new observation. */
static double t2_limit(size_t n, size_t k, double conf)
{
	double dn = (double)n, dk = (double)k;

	return dk * (dn - 1.0) * (dn + 1.0) / (dn * (dn - dk)) *
	       gsl_cdf_fdist_Pinv(conf, dk, dn - dk);
}

/* The Q limit from the discarded eigenvalues eval[k..p) (see pca.h). */
static double q_limit(const double *eval, size_t k, size_t p, double conf)
{
	double th1 = 0.0, th2 = 0.0, th3 = 0.0, total = 0.0;

	for (size_t j = 0; j < p; j++)
		total += eval[j];
	if (k >= p)
		return 0.0;
	for (size_t j = k; j < p; j++) {
		double l = eval[j];
		th1 += l;
		th2 += l * l;
		th3 += l * l * l;
	}
	if (!(th1 > RANK_EPS * total) || !(th2 > 0.0))
		return FLAT_Q_LIMIT * (double)p;
	double h0 = 1.0 - 2.0 * th1 * th3 / (3.0 * th2 * th2);
	double za = gsl_cdf_ugaussian_Pinv(conf);
	double br = za * sqrt(2.0 * th2 * h0 * h0) / th1 + 1.0 +
		    th2 * h0 * (h0 - 1.0) / (th1 * th1);
	double q = h0 != 0.0 && br > 0.0 ? th1 * pow(br, 1.0 / h0) : NAN;
	if (isfinite(q) && q > 0.0)
		return q;
	double g = th2 / th1, h = th1 * th1 / th2;
	return g * gsl_cdf_chisq_Pinv(conf, h);
}

static int check_opts(const struct tw_pca_opts *o, size_t p, struct tw_err *e)
{
	if (!(o->variance > 0.0 && o->variance <= 1.0))
		return tw_err_set(e, "pca: the variance fraction must be in (0, 1], not %g",
				  o->variance);
	if (!(o->confidence > 0.0 && o->confidence < 1.0))
		return tw_err_set(e, "pca: the confidence must be in (0, 1), not %g",
				  o->confidence);
	if (o->components > p)
		return tw_err_set(e, "pca: %zu components asked for but only %zu variables",
				  o->components, p);
	return 0;
}

/* Standardises x into z (n x p) and fills m's means and sds; -1 when a
 * value is not finite or every column is constant. */
static int standardise(struct tw_pca *m, const double *x, gsl_matrix *z, struct tw_err *e)
{
	size_t n = m->n, p = m->p, varying = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < p; j++)
			if (!isfinite(x[i * p + j]))
				return tw_err_set(e, "pca: row %zu, column %zu: not a finite number",
						  i + 1, j + 1);
	for (size_t j = 0; j < p; j++) {
		double mean = 0.0, ss = 0.0;
		for (size_t i = 0; i < n; i++)
			mean += x[i * p + j];
		mean /= (double)n;
		for (size_t i = 0; i < n; i++) {
			double d = x[i * p + j] - mean;
			ss += d * d;
		}
		double sd = sqrt(ss / (double)(n - 1));
		/* a column constant up to rounding is constant */
		if (!(sd > 1e-12 * fabs(mean)))
			sd = 0.0;
		m->mean[j] = mean;
		m->sd[j] = sd;
		varying += sd > 0.0;
		for (size_t i = 0; i < n; i++)
			gsl_matrix_set(z, i, j, sd > 0.0 ? (x[i * p + j] - mean) / sd : 0.0);
	}
	if (varying == 0)
		return tw_err_set(e, "pca: every column is constant");
	return 0;
}

/* The number of components: o->components, or the fewest explaining
 * o->variance of the total; -1 when one of them has no variance. */
static int choose_k(const gsl_vector *eval, const struct tw_pca_opts *o, size_t *k,
		    struct tw_err *e)
{
	size_t p = eval->size;
	double total = 0.0, cum = 0.0;

	for (size_t j = 0; j < p; j++)
		total += gsl_vector_get(eval, j);
	if (o->components > 0) {
		*k = o->components;
	} else {
		*k = p;
		for (size_t j = 0; j < p; j++) {
			cum += gsl_vector_get(eval, j);
			if (cum >= o->variance * total * (1.0 - VAR_TOL)) {
				*k = j + 1;
				break;
			}
		}
	}
	if (!(gsl_vector_get(eval, *k - 1) > RANK_EPS * total))
		return tw_err_set(e, "pca: component %zu has no variance (the data have rank %zu)",
				  *k, (size_t)(*k - 1));
	return 0;
}

struct tw_pca *tw_pca_fit(const double *x, size_t n, size_t p,
			  const struct tw_pca_opts *o, struct tw_err *e)
{
	struct tw_pca_opts dflt;
	struct tw_pca *m = NULL, *tmp;
	gsl_matrix *z = NULL, *r = NULL, *evec = NULL;
	gsl_vector *eval = NULL;
	gsl_eigen_symmv_workspace *w = NULL;
	gsl_error_handler_t *old;
	size_t k;

	if (!o) {
		tw_pca_opts_init(&dflt);
		o = &dflt;
	}
	if (p == 0) {
		tw_err_set(e, "pca: no variables");
		return NULL;
	}
	if (n < 3 || n < p + 2) {
		tw_err_set(e, "pca: %zu rows are too few for %zu variables (at least %zu)",
			   n, p, p + 2 < 3 ? (size_t)3 : p + 2);
		return NULL;
	}
	if (check_opts(o, p, e) < 0)
		return NULL;
	old = gsl_set_error_handler_off();
	tmp = alloc_model(n, p, 0, e);
	z = gsl_matrix_alloc(n, p);
	r = gsl_matrix_alloc(p, p);
	evec = gsl_matrix_alloc(p, p);
	eval = gsl_vector_alloc(p);
	w = gsl_eigen_symmv_alloc(p);
	if (!tmp || !z || !r || !evec || !eval || !w) {
		tw_err_set(e, "pca: out of memory");
		goto done;
	}
	if (standardise(tmp, x, z, e) < 0)
		goto done;
	gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0 / (double)(n - 1), z, 0.0, r);
	for (size_t i = 0; i < p; i++)           /* symmv reads the lower triangle only */
		for (size_t j = 0; j < i; j++)
			gsl_matrix_set(r, j, i, gsl_matrix_get(r, i, j));
	if (gsl_eigen_symmv(r, eval, evec, w) != GSL_SUCCESS) {
		tw_err_set(e, "pca: the eigen-decomposition failed");
		goto done;
	}
	gsl_eigen_symmv_sort(eval, evec, GSL_EIGEN_SORT_VAL_DESC);
	for (size_t j = 0; j < p; j++)           /* rounding: no negative variance */
		if (gsl_vector_get(eval, j) < 0.0)
			gsl_vector_set(eval, j, 0.0);
	if (choose_k(eval, o, &k, e) < 0)
		goto done;
	m = alloc_model(n, p, k, e);
	if (!m)
		goto done;
	memcpy(m->mean, tmp->mean, p * sizeof *m->mean);
	memcpy(m->sd, tmp->sd, p * sizeof *m->sd);
	m->confidence = o->confidence;
	for (size_t j = 0; j < p; j++)
		m->eval[j] = gsl_vector_get(eval, j);
	for (size_t a = 0; a < k; a++) {
		size_t big = 0;
		for (size_t j = 1; j < p; j++)
			if (fabs(gsl_matrix_get(evec, j, a)) > fabs(gsl_matrix_get(evec, big, a)))
				big = j;
		double sign = gsl_matrix_get(evec, big, a) < 0.0 ? -1.0 : 1.0;
		for (size_t j = 0; j < p; j++)
			m->load[a * p + j] = sign * gsl_matrix_get(evec, j, a);
	}
	m->t2_limit = t2_limit(n, k, o->confidence);
	m->q_limit = q_limit(m->eval, k, p, o->confidence);
	if (!isfinite(m->t2_limit) || !isfinite(m->q_limit)) {
		tw_err_set(e, "pca: the control limits are not finite");
		tw_pca_free(m);
		m = NULL;
	}
done:
	gsl_set_error_handler(old);
	tw_pca_free(tmp);
	gsl_matrix_free(z);
	gsl_matrix_free(r);
	gsl_matrix_free(evec);
	gsl_vector_free(eval);
	if (w)
		gsl_eigen_symmv_free(w);
	return m;
}

void tw_pca_score(const struct tw_pca *m, const double *x, struct tw_pca_score *s,
		  double *t2_contrib, double *q_contrib)
{
	size_t p = m->p, k = m->k;
	double *z = m->work, *t = m->work + p;
	double t2 = 0.0, q = 0.0;

	for (size_t j = 0; j < p; j++)
		z[j] = (x[j] - m->mean[j]) / scale(m->sd[j]);
	for (size_t a = 0; a < k; a++) {
		const double *pa = m->load + a * p;
		double ta = 0.0;
		for (size_t j = 0; j < p; j++)
			ta += pa[j] * z[j];
		t[a] = ta;
		t2 += ta * ta / m->eval[a];
	}
	for (size_t j = 0; j < p; j++) {
		double rj = 0.0, dj = 0.0;
		if (k < p) {
			double fit = 0.0;
			for (size_t a = 0; a < k; a++)
				fit += m->load[a * p + j] * t[a];
			rj = z[j] - fit;
			q += rj * rj;
		}
		if (q_contrib)
			q_contrib[j] = rj * rj;
		if (t2_contrib) {
			for (size_t a = 0; a < k; a++)
				dj += m->load[a * p + j] * t[a] / sqrt(m->eval[a]);
			t2_contrib[j] = dj * dj;
		}
	}
	s->t2 = t2;
	s->q = q;
	s->t2_limit = m->t2_limit;
	s->q_limit = m->q_limit;
}

/* ---- JSON ---- */

json_t *tw_pca_save(const struct tw_pca *m)
{
	json_t *load = json_array();

	for (size_t a = 0; load && a < m->k; a++)
		if (json_array_append_new(load, tw_jc_reals(m->load + a * m->p, m->p)) < 0) {
			json_decref(load);
			load = NULL;
		}
	return json_pack("{s:s, s:I, s:I, s:I, s:f, s:o, s:o, s:o, s:o, s:f, s:f}",
			 "method", "pca",
			 "vars", (json_int_t)m->p,
			 "components", (json_int_t)m->k,
			 "rows", (json_int_t)m->n,
			 "confidence", m->confidence,
			 "means", tw_jc_reals(m->mean, m->p),
			 "sds", tw_jc_reals(m->sd, m->p),
			 "eigenvalues", tw_jc_reals(m->eval, m->p),
			 "loadings", load,
			 "t2_limit", m->t2_limit,
			 "q_limit", m->q_limit);
}

static const char *const MODEL_KEYS[] = {
	"method", "vars", "components", "rows", "confidence", "means", "sds",
	"eigenvalues", "loadings", "t2_limit", "q_limit", NULL
};

/* A whole number in [lo, SIZE_MAX / 16] at key into *out. */
static int get_count(const struct tw_jc *c, const json_t *j, const char *key, size_t lo,
		     size_t *out)
{
	double v;

	if (tw_jc_number(c, "", j, key, TW_JC_REQUIRED, &v) < 0)
		return -1;
	if (!(v >= (double)lo && v <= 1e9) || v != floor(v))
		return tw_jc_fail(c, key, "expected a whole number from %zu, not %.17g", lo, v);
	*out = (size_t)v;
	return 0;
}

/* A finite number (>= 0 when nonneg) at key into *out. */
static int get_real(const struct tw_jc *c, const json_t *j, const char *key, bool nonneg,
		    double *out)
{
	if (tw_jc_number(c, "", j, key, TW_JC_REQUIRED, out) < 0)
		return -1;
	if (!isfinite(*out) || (nonneg && *out < 0.0))
		return tw_jc_fail(c, key, "expected a finite number%s", nonneg ? " >= 0" : "");
	return 0;
}

/* len finite numbers (>= 0 when nonneg) from the array a at path. */
static int get_array(const struct tw_jc *c, const char *path, const json_t *a, size_t len,
		     bool nonneg, double *out)
{
	if (!json_is_array(a) || json_array_size(a) != len)
		return tw_jc_fail(c, path, "expected %zu numbers", len);
	for (size_t i = 0; i < len; i++) {
		const json_t *v = json_array_get(a, i);
		double d = json_is_number(v) ? json_number_value(v) : NAN;
		if (!isfinite(d) || (nonneg && d < 0.0))
			return tw_jc_fail(c, path, "element %zu: expected a finite number%s",
					  i, nonneg ? " >= 0" : "");
		out[i] = d;
	}
	return 0;
}

struct tw_pca *tw_pca_load(const json_t *j, struct tw_err *e)
{
	struct tw_err jerr;
	struct tw_jc c = { .file = NULL, .e = &jerr };
	struct tw_pca *m = NULL;
	const char *method = NULL;
	const json_t *load;
	size_t n, p, k;
	double conf;

	if (tw_jc_need_object(&c, "", j) < 0 ||
	    tw_jc_known_keys(&c, "", j, MODEL_KEYS) < 0 ||
	    tw_jc_string(&c, "", j, "method", TW_JC_REQUIRED, &method) < 0)
		goto fail;
	if (strcmp(method, "pca") != 0) {
		tw_jc_fail(&c, "method", "expected \"pca\"");
		goto fail;
	}
	if (get_count(&c, j, "vars", 1, &p) < 0 ||
	    get_count(&c, j, "components", 1, &k) < 0 ||
	    get_count(&c, j, "rows", 3, &n) < 0 ||
	    get_real(&c, j, "confidence", false, &conf) < 0)
		goto fail;
	if (k > p) {
		tw_jc_fail(&c, "components", "%zu is more than the %zu variables", k, p);
		goto fail;
	}
	if (n <= k) {
		tw_jc_fail(&c, "rows", "%zu is not more than the %zu components", n, k);
		goto fail;
	}
	if (!(conf > 0.0 && conf < 1.0)) {
		tw_jc_fail(&c, "confidence", "expected a number in (0, 1)");
		goto fail;
	}
	m = alloc_model(n, p, k, e);
	if (!m)
		return NULL;
	m->confidence = conf;
	load = json_object_get(j, "loadings");
	if (get_array(&c, "means", json_object_get(j, "means"), p, false, m->mean) < 0 ||
	    get_array(&c, "sds", json_object_get(j, "sds"), p, true, m->sd) < 0 ||
	    get_array(&c, "eigenvalues", json_object_get(j, "eigenvalues"), p, true,
		      m->eval) < 0 ||
	    get_real(&c, j, "t2_limit", true, &m->t2_limit) < 0 ||
	    get_real(&c, j, "q_limit", true, &m->q_limit) < 0)
		goto fail;
	for (size_t a = 0; a < k; a++)
		if (!(m->eval[a] > 0.0)) {
			tw_jc_fail(&c, "eigenvalues", "element %zu: a retained component "
				   "needs a variance > 0", a);
			goto fail;
		}
	if (!json_is_array(load) || json_array_size(load) != k) {
		tw_jc_fail(&c, "loadings", "expected %zu arrays (one per component)", k);
		goto fail;
	}
	for (size_t a = 0; a < k; a++) {
		char path[32];
		snprintf(path, sizeof path, "loadings[%zu]", a);
		if (get_array(&c, path, json_array_get(load, a), p, false, m->load + a * p) < 0)
			goto fail;
	}
	return m;
fail:
	tw_pca_free(m);
	tw_err_set(e, "pca model: %s", jerr.msg);
	return NULL;
}
