/* test_rul.c - remaining useful life: synthetic run-to-failure histories
 * whose health decays linearly to a known failure threshold, seen through
 * noisy sensors (two informative, one constant, one pure noise), sampled
 * every minute at epoch-like times. */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "rul.h"

#define P 4
#define DT 60.0
#define T0 1.7e9
#define THRESHOLD 0.2

struct hist {
	size_t n;
	double *x, *t;
	double fail;   /* time of failure */
};

/* A history: health from h0 down by rate per step, failing when it
 * reaches THRESHOLD; observed only up to cut rows when cut > 0. */
static void make_hist(gsl_rng *r, struct hist *h, size_t cut)
{
	double h0 = 0.9 + 0.1 * gsl_rng_uniform(r);
	double rate = (0.6 + 0.2 * gsl_rng_uniform(r)) / 200;
	size_t life = (size_t)ceil((h0 - THRESHOLD) / rate);

	h->n = cut ? cut : life + 1;
	h->x = malloc(h->n * P * sizeof *h->x);
	h->t = malloc(h->n * sizeof *h->t);
	h->fail = T0 + (double)life * DT;
	for (size_t i = 0; i < h->n; i++) {
		double health = h0 - rate * (double)i;
		h->t[i] = T0 + (double)i * DT;
		h->x[i * P + 0] = 500 + 40 * health + gsl_ran_gaussian(r, 1.0);
		h->x[i * P + 1] = 8 - 3 * health + gsl_ran_gaussian(r, 0.1);
		h->x[i * P + 2] = 100.0;                       /* constant */
		h->x[i * P + 3] = gsl_ran_gaussian(r, 2.0);    /* noise only */
	}
}

static void free_hist(struct hist *h)
{
	free(h->x);
	free(h->t);
}

static struct tw_rul_model *fit_synthetic(gsl_rng *r, size_t nh, const struct tw_rul_opts *o,
                                          struct tw_err *e)
{
	struct tw_rul_fitter *f = tw_rul_fitter_new(P, o, e);
	struct tw_rul_model *m;

	if (!f)
		return NULL;
	for (size_t i = 0; i < nh; i++) {
		struct hist h;
		make_hist(r, &h, 0);
		CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, e), 0);
		free_hist(&h);
	}
	m = tw_rul_fit(f, e);
	tw_rul_fitter_free(f);
	return m;
}

/* Feeds h to a new tracker over m; the last estimate into *est and the
 * last status returned. */
static int track(const struct tw_rul_model *m, const struct hist *h, struct tw_rul_estimate *est)
{
	struct tw_err e;
	struct tw_rul_tracker *k = tw_rul_tracker_new(m, &e);
	int rc = -1;

	for (size_t i = 0; i < h->n; i++)
		rc = tw_rul_tracker_add(k, h->t[i], h->x + i * P, est, &e);
	tw_rul_tracker_free(k);
	return rc;
}

static void test_accuracy_and_round_trip(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_err e;
	struct tw_rul_opts o;
	struct tw_rul_model *m, *m2;
	json_t *j, *j2;
	char *text;
	size_t inside = 0, total = 0;

	gsl_rng_set(r, 7);
	tw_rul_opts_init(&o);
	m = fit_synthetic(r, 20, &o, &e);
	CHECK(m != NULL);
	if (!m) {
		fprintf(stderr, "    %s\n", e.msg);
		gsl_rng_free(r);
		return;
	}
	CHECK_INT(tw_rul_vars(m), P);

	/* through text and back: the same estimates, bit for bit */
	j = tw_rul_save(m);
	CHECK(j != NULL);
	text = json_dumps(j, JSON_COMPACT);
	j2 = json_loads(text, 0, NULL);
	m2 = tw_rul_load(j2, &e);
	CHECK(m2 != NULL);
	{
		/* the constant sensor gets no weight */
		json_t *w = json_object_get(j, "weight");
		CHECK(json_real_value(json_array_get(w, 2)) == 0);
		CHECK(json_real_value(json_array_get(w, 0)) != 0);
	}

	for (int a = 0; a < 6; a++) {
		struct hist full, h;
		struct tw_rul_estimate est = { -1, -1, -1, -1 }, est2 = { -2, -2, -2, -2 };
		size_t life;
		gsl_rng *rr = gsl_rng_alloc(gsl_rng_mt19937);

		/* the same asset twice: once whole (to know its life), once cut */
		gsl_rng_set(rr, 100 + (unsigned long)a);
		make_hist(rr, &full, 0);
		life = full.n - 1;
		gsl_rng_set(rr, 100 + (unsigned long)a);
		make_hist(rr, &h, life / 3 + (size_t)a * life / 9);
		CHECK(h.fail == full.fail);
		CHECK_INT(track(m, &h, &est), 0);
		double truth = h.fail - h.t[h.n - 1];
		if (!check_one(fabs(est.rul - truth) < 0.12 * (double)life * DT, __FILE__, __LINE__,
		               "RUL estimate within 12% of the life"))
			fprintf(stderr, "    asset %d: rul %g, truth %g\n", a, est.rul, truth);
		CHECK(est.lo <= est.rul && est.rul <= est.hi);
		CHECK(est.health >= 0 && est.health <= 1);
		inside += est.lo <= truth && truth <= est.hi;
		total++;
		if (m2) {
			CHECK_INT(track(m2, &h, &est2), 0);
			CHECK(memcmp(&est, &est2, sizeof est) == 0);
		}
		free_hist(&h);
		free_hist(&full);
		gsl_rng_free(rr);
	}
	if (!check_one(inside >= total - 1, __FILE__, __LINE__, "truth inside the interval"))
		fprintf(stderr, "    %zu of %zu\n", inside, total);

	json_decref(j);
	json_decref(j2);
	free(text);
	tw_rul_model_free(m);
	tw_rul_model_free(m2);
	gsl_rng_free(r);
}

/* Health falls from about 1 to about 0 over a life, RUL with it. */
static void test_health_falls(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_err e;
	struct tw_rul_model *m;
	struct tw_rul_tracker *k;
	struct hist h;
	struct tw_rul_estimate est = { 0 }, first = { 0 };
	int got_first = 0;

	gsl_rng_set(r, 11);
	m = fit_synthetic(r, 12, NULL, &e);
	CHECK(m != NULL);
	if (!m) {
		gsl_rng_free(r);
		return;
	}
	make_hist(r, &h, 0);
	k = tw_rul_tracker_new(m, &e);
	for (size_t i = 0; i < h.n; i++) {
		int rc = tw_rul_tracker_add(k, h.t[i], h.x + i * P, &est, &e);
		if (i + 1 < 10)
			CHECK_INT(rc, 1);   /* min_obs 10 */
		else
			CHECK_INT(rc, 0);
		if (rc == 0 && !got_first) {
			first = est;
			got_first = 1;
		}
	}
	CHECK(first.health > 0.8);
	CHECK(est.health < 0.15);
	CHECK(first.rul > 0.6 * (h.fail - h.t[0]));
	CHECK(est.rul < 0.15 * (h.fail - h.t[0]));
	tw_rul_tracker_free(k);
	free_hist(&h);
	tw_rul_model_free(m);
	gsl_rng_free(r);
}

/* With a cap, estimates and intervals stay within it. */
static void test_cap(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_err e;
	struct tw_rul_opts o;
	struct tw_rul_model *m;
	struct hist h;
	struct tw_rul_estimate est = { 0 };

	gsl_rng_set(r, 13);
	tw_rul_opts_init(&o);
	o.cap = 50 * DT;
	m = fit_synthetic(r, 10, &o, &e);
	CHECK(m != NULL);
	if (!m) {
		gsl_rng_free(r);
		return;
	}
	make_hist(r, &h, 30);   /* early in life: far more than the cap left */
	CHECK_INT(track(m, &h, &est), 0);
	CHECK(est.rul == o.cap);
	CHECK(est.hi <= o.cap && est.lo >= 0 && est.lo <= est.rul);
	free_hist(&h);
	tw_rul_model_free(m);
	gsl_rng_free(r);
}

static void test_bad_input(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_err e;
	struct tw_rul_opts o;
	struct tw_rul_fitter *f;
	struct tw_rul_model *m;
	struct tw_rul_tracker *k;
	struct tw_rul_estimate est;
	struct hist h;
	double x[P] = { 1, 2, 3, 4 }, t;

	gsl_rng_set(r, 17);
	tw_rul_opts_init(&o);
	o.level = 1;
	CHECK(tw_rul_fitter_new(P, &o, &e) == NULL);
	tw_rul_opts_init(&o);
	o.cap = -1;
	CHECK(tw_rul_fitter_new(P, &o, &e) == NULL);
	CHECK(tw_rul_fitter_new(0, NULL, &e) == NULL);

	f = tw_rul_fitter_new(P, NULL, &e);
	make_hist(r, &h, 0);
	h.x[5 * P + 1] = NAN;
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), -1);
	CHECK(strstr(e.msg, "row 6, sensor 1") != NULL);
	h.x[5 * P + 1] = 1;
	t = h.t[7];
	h.t[7] = h.t[6];
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), -1);
	CHECK(strstr(e.msg, "not after") != NULL);
	h.t[7] = INFINITY;
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), -1);
	h.t[7] = t;
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, 1, &e), -1);
	/* too few histories */
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), 0);
	CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), 0);
	CHECK(tw_rul_fit(f, &e) == NULL);
	CHECK(strstr(e.msg, "at least 3") != NULL);
	tw_rul_fitter_free(f);

	/* every sensor constant */
	f = tw_rul_fitter_new(P, NULL, &e);
	for (size_t i = 0; i < h.n * P; i++)
		h.x[i] = 3;
	for (int i = 0; i < 3; i++)
		CHECK_INT(tw_rul_fitter_add(f, h.x, h.t, h.n, &e), 0);
	CHECK(tw_rul_fit(f, &e) == NULL);
	CHECK(strstr(e.msg, "no sensor varies") != NULL);
	tw_rul_fitter_free(f);
	free_hist(&h);

	/* the tracker */
	m = fit_synthetic(r, 5, NULL, &e);
	CHECK(m != NULL);
	if (m) {
		k = tw_rul_tracker_new(m, &e);
		CHECK_INT(tw_rul_tracker_add(k, 10, x, &est, &e), 1);
		CHECK_INT(tw_rul_tracker_add(k, 9, x, &est, &e), -1);
		CHECK(strstr(e.msg, "not after") != NULL);
		CHECK_INT(tw_rul_tracker_add(k, 10, x, &est, &e), -1);
		CHECK_INT(tw_rul_tracker_add(k, NAN, x, &est, &e), -1);
		x[3] = INFINITY;
		CHECK_INT(tw_rul_tracker_add(k, 11, x, &est, &e), -1);
		CHECK(strstr(e.msg, "sensor 3") != NULL);
		x[3] = 4;
		CHECK_INT(tw_rul_tracker_add(k, 11, x, &est, &e), 1);   /* still works */
		tw_rul_tracker_free(k);
	}
	tw_rul_model_free(m);
	gsl_rng_free(r);
}

/* The model json with member key replaced by v (stolen), loaded; the
 * error message into e.  1 when the load failed. */
static int load_fails(const json_t *good, const char *key, json_t *v, struct tw_err *e)
{
	json_t *j = json_deep_copy(good);
	struct tw_rul_model *m;

	if (v)
		json_object_set_new(j, key, v);
	else
		json_object_del(j, key);
	m = tw_rul_load(j, e);
	json_decref(j);
	tw_rul_model_free(m);
	return m == NULL;
}

static void test_load_errors(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct tw_err e;
	struct tw_rul_model *m;
	json_t *good, *a;

	gsl_rng_set(r, 19);
	m = fit_synthetic(r, 4, NULL, &e);
	CHECK(m != NULL);
	if (!m) {
		gsl_rng_free(r);
		return;
	}
	good = tw_rul_save(m);
	CHECK(load_fails(good, "bogus", json_true(), &e));
	CHECK(strstr(e.msg, "bogus") != NULL);
	CHECK(load_fails(good, "curves", NULL, &e));
	CHECK(strstr(e.msg, "curves: missing") != NULL);
	CHECK(load_fails(good, "method", json_string("kalman"), &e));
	CHECK(strstr(e.msg, "method") != NULL);
	CHECK(load_fails(good, "vars", json_integer(0), &e));
	CHECK(load_fails(good, "vars", json_integer(5), &e));       /* arrays hold 4 */
	CHECK(strstr(e.msg, "mean: expected 5 numbers, got 4") != NULL);
	CHECK(load_fails(good, "level", json_real(1.5), &e));
	CHECK(load_fails(good, "dt", json_real(0), &e));
	CHECK(load_fails(good, "window", json_real(2.5), &e));
	CHECK(load_fails(good, "curves", json_array(), &e));
	a = json_deep_copy(json_object_get(good, "curves"));
	json_array_set_new(json_array_get(a, 1), 3, json_string("x"));
	CHECK(load_fails(good, "curves", a, &e));
	CHECK(strstr(e.msg, "curves[1]: element 3") != NULL);
	a = json_deep_copy(json_object_get(good, "scale"));
	json_array_set_new(a, 0, json_real(0));
	CHECK(load_fails(good, "scale", a, &e));
	a = json_deep_copy(json_object_get(good, "err_hi"));
	json_array_append_new(a, json_real(1));
	CHECK(load_fails(good, "err_hi", a, &e));
	CHECK(load_fails(good, "h_new", json_string("1"), &e));
	CHECK(tw_rul_load(json_object_get(good, "mean"), &e) == NULL);   /* not an object */
	{
		json_t *j = json_deep_copy(good);
		struct tw_rul_model *m2;
		json_object_set_new(j, "comment", json_string("allowed"));
		m2 = tw_rul_load(j, &e);
		CHECK(m2 != NULL);
		tw_rul_model_free(m2);
		json_decref(j);
	}
	json_decref(good);
	tw_rul_model_free(m);
	gsl_rng_free(r);
}

int main(void)
{
	test_accuracy_and_round_trip();
	test_health_falls();
	test_cap();
	test_bad_input();
	test_load_errors();
	return check_done("test_rul");
}
