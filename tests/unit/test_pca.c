/* test_pca.c - PCA with Hotelling's T2 and Q (lib/pca.h).  PCA_VERBOSE=1 prints
 * the false alarm rates measured on simulated data. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "pca.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

/* A 2^3 factorial in u, v, w (+-1, orthogonal, mean 0) with x1 = u,
 * x2 = u + v, x3 = w: corr(x1, x2) = 1/sqrt(2), x3 uncorrelated, so the
 * correlation matrix has eigenvalues 1 + 1/sqrt(2), 1, 1 - 1/sqrt(2)
 * with eigenvectors (1,1,0)/sqrt(2), (0,0,1), (1,-1,0)/sqrt(2). */
#define FN 8
static double fact[FN * 3];

static void make_factorial(void)
{
	for (int i = 0; i < FN; i++) {
		double u = i & 1 ? 1 : -1, v = i & 2 ? 1 : -1, w = i & 4 ? 1 : -1;
		fact[i * 3 + 0] = u;
		fact[i * 3 + 1] = u + v;
		fact[i * 3 + 2] = w;
	}
}

/* |a . b| for unit vectors: 1 when equal up to sign. */
static double absdot(const double *a, const double *b, size_t p)
{
	double s = 0.0;
	for (size_t j = 0; j < p; j++)
		s += a[j] * b[j];
	return fabs(s);
}

static double sum(const double *v, size_t p)
{
	double s = 0.0;
	for (size_t j = 0; j < p; j++)
		s += v[j];
	return s;
}

static size_t argmax(const double *v, size_t p)
{
	size_t b = 0;
	for (size_t j = 1; j < p; j++)
		if (v[j] > v[b])
			b = j;
	return b;
}

/* The number array member key of j into out (len of them). */
static void get_numbers(const json_t *j, const char *key, double *out, size_t len)
{
	const json_t *a = json_object_get(j, key);
	for (size_t i = 0; i < len; i++)
		out[i] = json_number_value(json_array_get(a, i));
}

static void test_known_decomposition(void)
{
	struct tw_pca_opts o;
	struct tw_err e;
	struct tw_pca *m;
	const double r2 = sqrt(0.5);
	const double want_eval[3] = { 1 + r2, 1, 1 - r2 };
	const double want_vec[3][3] = { { r2, r2, 0 }, { 0, 0, 1 }, { r2, -r2, 0 } };

	make_factorial();
	tw_pca_opts_init(&o);
	CHECK(o.variance == 0.9 && o.components == 0 && o.confidence == 0.99);
	o.components = 3;
	m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(tw_pca_vars(m), 3);
	CHECK_INT(tw_pca_components(m), 3);
	CHECK_INT(tw_pca_rows(m), FN);
	json_t *j = tw_pca_save(m);
	double eval[3], means[3], sds[3];
	get_numbers(j, "eigenvalues", eval, 3);
	get_numbers(j, "means", means, 3);
	get_numbers(j, "sds", sds, 3);
	for (int a = 0; a < 3; a++) {
		double vec[3];
		CHECK(NEAR(eval[a], want_eval[a], 1e-12));
		for (int i = 0; i < 3; i++)
			vec[i] = json_number_value(json_array_get(
				json_array_get(json_object_get(j, "loadings"), (size_t)a), (size_t)i));
		CHECK(NEAR(absdot(vec, want_vec[a], 3), 1.0, 1e-12));
	}
	CHECK(NEAR(means[0], 0, 1e-15) && NEAR(means[1], 0, 1e-15) && NEAR(means[2], 0, 1e-15));
	CHECK(NEAR(sds[0], sqrt(8.0 / 7), 1e-14) && NEAR(sds[1], sqrt(16.0 / 7), 1e-14));
	json_decref(j);

	/* all components kept: Q is 0 for every row, and so is its limit */
	struct tw_pca_score s;
	double far[3] = { 5, -7, 3 };
	tw_pca_score(m, far, &s, NULL, NULL);
	CHECK(s.q == 0.0 && s.q_limit == 0.0);
	CHECK(s.t2 > s.t2_limit);
	tw_pca_free(m);

	/* the variance fraction: 0.569, 0.902, 1 of the total */
	o.components = 0;
	o.variance = 0.5;
	m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m && tw_pca_components(m) == 1);
	tw_pca_free(m);
	o.variance = 0.9;
	m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m && tw_pca_components(m) == 2);
	tw_pca_free(m);
	o.variance = 0.95;
	m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m && tw_pca_components(m) == 3);
	tw_pca_free(m);
	o.variance = 1.0;
	m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m && tw_pca_components(m) == 3);
	tw_pca_free(m);
}

static void test_model_plane(void)
{
	struct tw_pca_opts o;
	struct tw_err e;
	struct tw_pca_score s;
	double t2c[3], qc[3];
	const double r2 = sqrt(0.5), sd1 = sqrt(8.0 / 7), sd2 = sqrt(16.0 / 7), sd3 = sqrt(8.0 / 7);

	make_factorial();
	tw_pca_opts_init(&o);
	o.components = 2;
	struct tw_pca *m = tw_pca_fit(fact, FN, 3, &o, &e);
	CHECK(m != NULL);
	if (!m)
		return;

	/* the training mean: T2 = Q = 0 */
	double mean[3] = { 0, 0, 0 };
	tw_pca_score(m, mean, &s, t2c, qc);
	CHECK(s.t2 == 0.0 && s.q == 0.0);
	CHECK(t2c[0] == 0.0 && qc[2] == 0.0);

	/* a point in the model plane: z = 2 (1,1,0)/sqrt2 - 1.5 (0,0,1) */
	double in[3] = { 2 * r2 * sd1, 2 * r2 * sd2, -1.5 * sd3 };
	tw_pca_score(m, in, &s, t2c, qc);
	CHECK(s.q < 1e-24);
	CHECK(NEAR(s.t2, 4 / (1 + r2) + 2.25, 1e-12));
	CHECK(NEAR(sum(t2c, 3), s.t2, 1e-12));

	/* off the plane along the discarded (1,-1,0)/sqrt2: Q = 3^2, T2 0 */
	double off[3] = { 3 * r2 * sd1, -3 * r2 * sd2, 0 };
	tw_pca_score(m, off, &s, t2c, qc);
	CHECK(NEAR(s.q, 9, 1e-12));
	CHECK(NEAR(s.t2, 0, 1e-12));
	CHECK(NEAR(qc[0], 4.5, 1e-12) && NEAR(qc[1], 4.5, 1e-12) && NEAR(qc[2], 0, 1e-12));
	CHECK(NEAR(sum(qc, 3), s.q, 1e-12));
	CHECK(s.q > s.q_limit && s.t2 < s.t2_limit);

	/* the limits: k (n-1)(n+1)/(n(n-k)) F_{2,6}(0.99), F = 10.92477 */
	CHECK(NEAR(s.t2_limit, 2.0 * 7 * 9 / (8.0 * 6) * 10.924767, 1e-4));
	/* one discarded eigenvalue l: Q = l (1 + z sqrt(2/9)... ) ^ 3 */
	double l = 1 - r2, h0 = 1.0 / 3, za = 2.3263478740408408;
	double want = l * pow(za * sqrt(2 * h0 * h0) + 1 + h0 * (h0 - 1), 1 / h0);
	CHECK(NEAR(s.q_limit, want, 1e-9));
	tw_pca_free(m);
}

/* n rows of p correlated normals: two factors and noise, variable j
 * scaled by j + 1 and shifted by 10 j. */
static double *simulate(gsl_rng *r, size_t n, size_t p)
{
	double *x = malloc(n * p * sizeof *x);
	for (size_t i = 0; x && i < n; i++) {
		double f1 = gsl_ran_gaussian(r, 1), f2 = gsl_ran_gaussian(r, 1);
		for (size_t j = 0; j < p; j++) {
			double a = 1.0 - 0.1 * (double)j, b = (j % 2 ? 0.7 : -0.5);
			x[i * p + j] = 10.0 * (double)j + (double)(j + 1) *
				       (a * f1 + b * f2 + 0.3 * gsl_ran_gaussian(r, 1));
		}
	}
	return x;
}

static void test_contributions_and_limits(void)
{
	enum { P = 6, NTRAIN = 5000, NTEST = 40000 };
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_pca_opts o;
	struct tw_err e;
	struct tw_pca_score s;
	double t2c[P], qc[P];

	gsl_rng_set(r, 12345);
	double *train = simulate(r, NTRAIN, P), *test = simulate(r, NTEST, P);
	CHECK(train && test);
	tw_pca_opts_init(&o);
	struct tw_pca *m = tw_pca_fit(train, NTRAIN, P, &o, &e);
	CHECK(m != NULL);
	if (!m || !train || !test)
		goto out;
	CHECK_INT(tw_pca_components(m), 2);

	/* fresh points above each limit: near 1 - confidence */
	size_t over_t2 = 0, over_q = 0;
	bool sums = true;
	for (size_t i = 0; i < NTEST; i++) {
		tw_pca_score(m, test + i * P, &s, t2c, qc);
		over_t2 += s.t2 > s.t2_limit;
		over_q += s.q > s.q_limit;
		sums = sums && NEAR(sum(t2c, P), s.t2, 1e-9 * (1 + s.t2)) &&
		       NEAR(sum(qc, P), s.q, 1e-9 * (1 + s.q));
		for (size_t j = 0; j < P; j++)
			sums = sums && t2c[j] >= 0 && qc[j] >= 0;
	}
	CHECK(sums);
	double ft2 = (double)over_t2 / NTEST, fq = (double)over_q / NTEST;
	if (getenv("PCA_VERBOSE"))
		fprintf(stderr, "false alarms: T2 %g, Q %g\n", ft2, fq);
	if (!check_one(ft2 > 0.007 && ft2 < 0.013, __FILE__, __LINE__, "T2 false alarms near 1%"))
		fprintf(stderr, "    %g\n", ft2);
	if (!check_one(fq > 0.006 && fq < 0.016, __FILE__, __LINE__, "Q false alarms near 1%"))
		fprintf(stderr, "    %g\n", fq);

	/* a sensor fault on variable j: j is the top Q contribution */
	for (size_t j = 0; j < P; j++) {
		double x[P];
		json_t *jm = tw_pca_save(m);
		double means[P], sds[P];
		get_numbers(jm, "means", means, P);
		get_numbers(jm, "sds", sds, P);
		json_decref(jm);
		for (size_t i = 0; i < P; i++)
			x[i] = means[i];
		x[j] += 4 * sds[j];
		tw_pca_score(m, x, &s, t2c, qc);
		CHECK_INT(argmax(qc, P), j);
		CHECK(s.q > s.q_limit);
	}

	/* save -> text -> load: the same scores, bit for bit */
	json_t *jm = tw_pca_save(m);
	char *text = json_dumps(jm, JSON_COMPACT);
	json_decref(jm);
	json_error_t jerr;
	json_t *back = text ? json_loads(text, 0, &jerr) : NULL;
	free(text);
	struct tw_pca *m2 = back ? tw_pca_load(back, &e) : NULL;
	json_decref(back);
	CHECK(m2 != NULL);
	if (m2) {
		bool same = tw_pca_vars(m2) == P && tw_pca_components(m2) == 2 &&
			    tw_pca_rows(m2) == NTRAIN;
		for (size_t i = 0; i < 1000; i++) {
			struct tw_pca_score s2;
			double t2c2[P], qc2[P];
			tw_pca_score(m, test + i * P, &s, t2c, qc);
			tw_pca_score(m2, test + i * P, &s2, t2c2, qc2);
			same = same && memcmp(&s, &s2, sizeof s) == 0 &&
			       memcmp(t2c, t2c2, sizeof t2c) == 0 && memcmp(qc, qc2, sizeof qc) == 0;
		}
		CHECK(same);
	}
	tw_pca_free(m2);

	/* 95%: more alarms than at 99% */
	o.confidence = 0.95;
	struct tw_pca *m95 = tw_pca_fit(train, NTRAIN, P, &o, &e);
	CHECK(m95 != NULL);
	if (m95) {
		size_t o95 = 0;
		for (size_t i = 0; i < NTEST; i++) {
			tw_pca_score(m95, test + i * P, &s, NULL, NULL);
			o95 += s.t2 > s.t2_limit;
		}
		CHECK(o95 > 0.045 * NTEST && o95 < 0.055 * NTEST);
	}
	tw_pca_free(m95);
out:
	tw_pca_free(m);
	free(train);
	free(test);
	gsl_rng_free(r);
}

static void test_constant_column(void)
{
	enum { N = 200, P = 4 };
	double x[N * P], t2c[P], qc[P];
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_pca_opts o;
	struct tw_err e;
	struct tw_pca_score s;

	gsl_rng_set(r, 7);
	for (size_t i = 0; i < N; i++) {
		double f = gsl_ran_gaussian(r, 1);
		x[i * P + 0] = f + 0.2 * gsl_ran_gaussian(r, 1);
		x[i * P + 1] = 42.5;                   /* a setpoint */
		x[i * P + 2] = -f + 0.2 * gsl_ran_gaussian(r, 1);
		x[i * P + 3] = gsl_ran_gaussian(r, 1);
	}
	gsl_rng_free(r);
	tw_pca_opts_init(&o);
	o.variance = 1.0;
	struct tw_pca *m = tw_pca_fit(x, N, P, &o, &e);
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_INT(tw_pca_components(m), 3);     /* the constant's eigenvalue 0 is dropped */
	json_t *j = tw_pca_save(m);
	char *text = json_dumps(j, 0);
	CHECK(text && !strstr(text, "NaN") && !strstr(text, "nan"));
	free(text);
	double sds[P];
	get_numbers(j, "sds", sds, P);
	CHECK(sds[1] == 0.0);
	json_decref(j);
	double row[P] = { 0.1, 42.5, -0.1, 0.3 };
	tw_pca_score(m, row, &s, t2c, qc);
	CHECK(isfinite(s.t2) && isfinite(s.q) && s.q < 1e-20);
	CHECK(s.q <= s.q_limit && s.q_limit > 0 && isfinite(s.q_limit));
	row[1] = 43.5;                          /* the setpoint moves */
	tw_pca_score(m, row, &s, t2c, qc);
	CHECK(NEAR(s.q, 1.0, 1e-9) && s.q > s.q_limit);
	CHECK_INT(argmax(qc, P), 1);
	CHECK(NEAR(s.t2, sum(t2c, P), 1e-12));
	tw_pca_free(m);

	/* asking for the constant's component: an error, not a division by 0 */
	o.components = 4;
	m = tw_pca_fit(x, N, P, &o, &e);
	CHECK(m == NULL && strstr(e.msg, "no variance"));
	tw_pca_free(m);

	/* every column constant */
	for (size_t i = 0; i < N * P; i++)
		x[i] = 3.0;
	m = tw_pca_fit(x, N, P, NULL, &e);
	CHECK(m == NULL && strstr(e.msg, "constant"));
}

static void test_bad_fit(void)
{
	struct tw_pca_opts o;
	struct tw_err e;
	double x[10 * 3];

	for (size_t i = 0; i < 30; i++)
		x[i] = (double)((i * 7919) % 13);
	CHECK(tw_pca_fit(x, 4, 3, NULL, &e) == NULL && strstr(e.msg, "too few"));
	CHECK(tw_pca_fit(x, 2, 1, NULL, &e) == NULL && strstr(e.msg, "too few"));
	CHECK(tw_pca_fit(x, 10, 0, NULL, &e) == NULL && strstr(e.msg, "no variables"));
	struct tw_pca *m = tw_pca_fit(x, 5, 3, NULL, &e);   /* n = p + 2 is enough */
	CHECK(m != NULL);
	tw_pca_free(m);
	x[2 * 3 + 1] = NAN;
	CHECK(tw_pca_fit(x, 10, 3, NULL, &e) == NULL);
	CHECK_STR(e.msg, "pca: row 3, column 2: not a finite number");
	x[2 * 3 + 1] = INFINITY;
	CHECK(tw_pca_fit(x, 10, 3, NULL, &e) == NULL && strstr(e.msg, "row 3, column 2"));
	x[2 * 3 + 1] = 1.0;

	tw_pca_opts_init(&o);
	o.variance = 0;
	CHECK(tw_pca_fit(x, 10, 3, &o, &e) == NULL && strstr(e.msg, "variance"));
	o.variance = 1.5;
	CHECK(tw_pca_fit(x, 10, 3, &o, &e) == NULL && strstr(e.msg, "variance"));
	tw_pca_opts_init(&o);
	o.confidence = 1.0;
	CHECK(tw_pca_fit(x, 10, 3, &o, &e) == NULL && strstr(e.msg, "confidence"));
	o.confidence = NAN;
	CHECK(tw_pca_fit(x, 10, 3, &o, &e) == NULL && strstr(e.msg, "confidence"));
	tw_pca_opts_init(&o);
	o.components = 4;
	CHECK(tw_pca_fit(x, 10, 3, &o, &e) == NULL && strstr(e.msg, "components"));
}

/* tw_pca_load on text (parsed here) must fail with a message holding want. */
static void load_fails(const char *text, const char *want)
{
	json_error_t jerr;
	struct tw_err e;
	json_t *j = json_loads(text, 0, &jerr);

	CHECK(j != NULL);
	struct tw_pca *m = tw_pca_load(j, &e);
	if (!check_one(m == NULL && strstr(e.msg, want) != NULL, __FILE__, __LINE__, want))
		fprintf(stderr, "    got \"%s\"\n", m ? "(a model)" : e.msg);
	tw_pca_free(m);
	json_decref(j);
}

#define GOOD_HEAD "{\"method\":\"pca\",\"vars\":2,\"components\":1,\"rows\":10,\"confidence\":0.99,"
#define GOOD_TAIL "\"t2_limit\":7.5,\"q_limit\":0.2}"

static void test_bad_load(void)
{
	json_error_t jerr;
	struct tw_err e;
	const char *good = GOOD_HEAD "\"means\":[1,2],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
			   "\"loadings\":[[0.7071,0.7071]]," GOOD_TAIL;
	json_t *j = json_loads(good, 0, &jerr);
	struct tw_pca *m = j ? tw_pca_load(j, &e) : NULL;
	CHECK(m != NULL);
	if (m) {
		struct tw_pca_score s;
		double x[2] = { 1, 2 };
		CHECK_INT(tw_pca_vars(m), 2);
		CHECK_INT(tw_pca_components(m), 1);
		tw_pca_score(m, x, &s, NULL, NULL);
		CHECK(s.t2 == 0 && s.q == 0 && s.t2_limit == 7.5 && s.q_limit == 0.2);
		x[0] = NAN;
		tw_pca_score(m, x, &s, NULL, NULL);
		CHECK(isnan(s.t2) && isnan(s.q));
	}
	tw_pca_free(m);
	json_decref(j);

	load_fails("[1,2]", "expected an object");
	load_fails("{\"method\":\"ica\"}", "method: expected \"pca\"");
	load_fails(GOOD_HEAD "\"extra\":1}", "extra: unknown key");
	load_fails("{\"method\":\"pca\",\"vars\":2}", "components: missing");
	load_fails(GOOD_HEAD "\"means\":[1],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071,0.7071]]," GOOD_TAIL, "means: expected 2 numbers");
	load_fails(GOOD_HEAD "\"means\":[1,\"2\"],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071,0.7071]]," GOOD_TAIL, "means: element 1");
	load_fails(GOOD_HEAD "\"means\":[1,2],\"sds\":[1,-0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071,0.7071]]," GOOD_TAIL, "sds: element 1");
	load_fails(GOOD_HEAD "\"means\":[1,2],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071,0.7071],[1,0]]," GOOD_TAIL, "loadings: expected 1 arrays");
	load_fails(GOOD_HEAD "\"means\":[1,2],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071]]," GOOD_TAIL, "loadings[0]: expected 2 numbers");
	load_fails(GOOD_HEAD "\"means\":[1,2],\"sds\":[1,0.5],\"eigenvalues\":[0,0.1],"
		   "\"loadings\":[[0.7071,0.7071]]," GOOD_TAIL, "variance > 0");
	load_fails(GOOD_HEAD "\"means\":[1,2],\"sds\":[1,0.5],\"eigenvalues\":[1.9,0.1],"
		   "\"loadings\":[[0.7071,0.7071]],\"t2_limit\":-1,\"q_limit\":0.2}", "t2_limit");
	load_fails("{\"method\":\"pca\",\"vars\":2,\"components\":3,\"rows\":10,"
		   "\"confidence\":0.99}", "components: 3 is more than");
	load_fails("{\"method\":\"pca\",\"vars\":2.5}", "vars: expected a whole number");
	load_fails("{\"method\":\"pca\",\"vars\":2,\"components\":1,\"rows\":10,"
		   "\"confidence\":1.5}", "confidence: expected a number in (0, 1)");
	CHECK(tw_pca_load(NULL, &e) == NULL);
}

int main(void)
{
	test_known_decomposition();
	test_model_plane();
	test_contributions_and_limits();
	test_constant_column();
	test_bad_fit();
	test_bad_load();
	return check_done("test_pca");
}
