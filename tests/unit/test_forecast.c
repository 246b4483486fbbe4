/* test_forecast.c - the streaming forecasters (lib/forecast.h). */
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "check.h"
#include "forecast.h"

static struct tw_forecaster *make(const char *method, size_t season, size_t order, size_t train)
{
	struct tw_forecast_opts o;
	struct tw_err e = { "" };

	tw_forecast_opts_init(&o);
	o.method = method;
	o.season = season;
	o.order = order;
	o.train = train;
	struct tw_forecaster *f = tw_forecaster_new(&o, &e);
	if (!f)
		fprintf(stderr, "    %s: %s\n", method, e.msg);
	return f;
}

static void test_new(void)
{
	struct tw_forecast_opts o;
	struct tw_err e = { "" };
	struct tw_forecaster *f;
	double m, lo, hi;

	tw_forecast_opts_init(&o);
	CHECK(o.method == NULL);
	CHECK_INT(o.season, 0);
	CHECK_INT(o.order, 0);
	CHECK_INT(o.train, 288);
	CHECK(o.level == 0.95);
	for (int i = 0; tw_forecast_methods[i]; i++) {
		o.method = tw_forecast_methods[i];
		f = tw_forecaster_new(&o, &e);
		CHECK(f != NULL);
		if (f) {
			CHECK_STR(tw_forecaster_method(f), tw_forecast_methods[i]);
			CHECK(!tw_forecaster_ready(f));
			CHECK_INT(tw_forecaster_predict(f, 1, &m, &lo, &hi), -1);
		}
		tw_forecaster_free(f);
	}
	f = tw_forecaster_new(NULL, &e);
	CHECK(f != NULL);
	if (f)
		CHECK_STR(tw_forecaster_method(f), "holt");
	tw_forecaster_free(f);
	tw_forecaster_free(NULL);

	tw_forecast_opts_init(&o);
	o.method = "arima";
	CHECK(tw_forecaster_new(&o, &e) == NULL);
	CHECK(strstr(e.msg, "unknown forecast method \"arima\"") != NULL);
	CHECK(tw_forecaster_new(&o, NULL) == NULL);   /* e may be NULL */

	double levels[] = { 0.0, 1.0, -0.5, 1.5, NAN, INFINITY };
	for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
		tw_forecast_opts_init(&o);
		o.level = levels[i];
		e.msg[0] = 0;
		CHECK(tw_forecaster_new(&o, &e) == NULL);
		CHECK(strstr(e.msg, "level") != NULL);
	}

	struct { const char *method; size_t season, order, train; const char *msg; } bad[] = {
		{ "holt", 0, 0, 3, "training length 3 out of range 4.." },
		{ "holt", 0, 0, TW_FORECAST_MAX_TRAIN + 1, "out of range" },
		{ "holt-winters", 12, 0, 23, "(2 seasons)" },
		{ "holt-winters", 1, 0, 288, "season 1" },
		{ "holt-winters", 0, 0, 3, "out of range 4.." },
		{ "holt-winters", TW_FORECAST_MAX_TRAIN, 0, 288, "too long" },
		{ "ar", 0, 5, 11, "out of range 12.." },
		{ "ar", 0, 0, 25, "out of range 26.." },
		{ "ar", 0, TW_FORECAST_MAX_ORDER + 1, 1000, "ar order" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		tw_forecast_opts_init(&o);
		o.method = bad[i].method;
		o.season = bad[i].season;
		o.order = bad[i].order;
		o.train = bad[i].train;
		e.msg[0] = 0;
		CHECK(tw_forecaster_new(&o, &e) == NULL);
		if (!check_one(strstr(e.msg, bad[i].msg) != NULL, __FILE__, __LINE__, bad[i].msg))
			fprintf(stderr, "    got \"%s\"\n", e.msg);
	}
	/* the smallest trainings accepted */
	f = make("holt-winters", 12, 0, 24);
	CHECK(f != NULL);
	tw_forecaster_free(f);
	f = make("ar", 0, 5, 12);
	CHECK(f != NULL);
	tw_forecaster_free(f);
	f = make("holt", 7, 99, 4);    /* season and order ignored by holt */
	CHECK(f != NULL);
	tw_forecaster_free(f);
}

/* A straight line: Holt forecasts it exactly with a zero-width interval. */
static void test_line(void)
{
	struct tw_forecaster *f = make("holt", 0, 0, 50);
	double m, lo, hi;
	int exact = 1;

	if (!f)
		return;
	for (int t = 0; t < 49; t++)
		tw_forecaster_add(f, 3.0 + 0.5 * t);
	CHECK(!tw_forecaster_ready(f));
	CHECK_INT(tw_forecaster_predict(f, 1, &m, &lo, &hi), -1);
	tw_forecaster_add(f, 3.0 + 0.5 * 49);
	CHECK(tw_forecaster_ready(f));
	CHECK_STR(tw_forecaster_method(f), "holt");
	for (int t = 50; t < 80; t++)
		tw_forecaster_add(f, 3.0 + 0.5 * t);
	CHECK_INT(tw_forecaster_predict(f, 0, &m, &lo, &hi), -1);
	for (size_t h = 1; h <= 100; h++) {
		CHECK_INT(tw_forecaster_predict(f, h, &m, &lo, &hi), 0);
		double want = 3.0 + 0.5 * (79.0 + (double)h);
		if (!(fabs(m - want) < 1e-9 && hi - lo < 1e-9 && lo <= m && m <= hi)) {
			exact = 0;
			fprintf(stderr, "    h %zu: %.17g [%.17g, %.17g], want %g\n", h, m, lo, hi, want);
		}
	}
	CHECK(exact);
	tw_forecaster_free(f);
}

/* A season of period 12 (not a sine: several harmonics) on a trend. */
static double seasonal(int t)
{
	static const double s[12] = { 0, 3, 5, 4, 1, -2, -6, -5, -1, 2, -3, 1 };
	return 100.0 + 0.25 * t + s[t % 12];
}

static void test_holt_winters(void)
{
	size_t seasons[] = { 12, 0 };

	for (int k = 0; k < 2; k++) {
		struct tw_forecaster *f = make("holt-winters", seasons[k], 0, 120);
		double m, lo, hi, err = 0.0, width = 0.0;
		if (!f)
			continue;
		for (int t = 0; t < 150; t++)
			tw_forecaster_add(f, seasonal(t));
		CHECK(tw_forecaster_ready(f));
		CHECK_STR(tw_forecaster_method(f), "holt-winters");
		CHECK_INT(tw_forecaster_season(f), 12);
		for (size_t h = 1; h <= 36; h++) {
			CHECK_INT(tw_forecaster_predict(f, h, &m, &lo, &hi), 0);
			err = fmax(err, fabs(m - seasonal(149 + (int)h)));
			width = fmax(width, hi - lo);
		}
		CHECK(err < 1e-6);
		CHECK(width < 1e-6);
		if (!(err < 1e-6 && width < 1e-6))
			fprintf(stderr, "    season %zu: error %g, width %g\n", seasons[k], err, width);
		tw_forecaster_free(f);
	}

	/* with noise the period is still found and the forecast is close */
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	gsl_rng_set(r, 7);
	struct tw_forecaster *f = make("holt-winters", 0, 0, 288);
	if (f) {
		double m, lo, hi;
		for (int t = 0; t < 288; t++)
			tw_forecaster_add(f, seasonal(t) + gsl_ran_gaussian(r, 0.5));
		CHECK_STR(tw_forecaster_method(f), "holt-winters");
		CHECK_INT(tw_forecaster_season(f), 12);
		CHECK_INT(tw_forecaster_predict(f, 12, &m, &lo, &hi), 0);
		CHECK(lo < seasonal(299) && seasonal(299) < hi);
		CHECK(hi - lo < 6.0);
	}
	tw_forecaster_free(f);
	gsl_rng_free(r);
}

/* Periods found among their multiples and beside a faster wiggle (of
 * period 4.8, whose ACF peaks on the flanks of the season's). */
static void test_detect_period(void)
{
	struct { size_t period, n; double wiggle, noise; } cases[] = {
		{ 12, 1000, 0.0, 0.7 },    /* r_24, r_36 as high as r_12 give or take noise */
		{ 24, 240, 0.3, 0.2 },     /* local peaks of the wiggle on the flanks */
		{ 96, 600, 0.3, 0.5 },
		{ 288, 1000, 0.3, 0.2 },
		{ 7, 100, 0.0, 0.3 },
	};
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		struct tw_forecaster *f = make("holt-winters", 0, 0, cases[k].n);
		if (!f)
			continue;
		gsl_rng_set(r, 3 + k);
		for (size_t t = 0; t < cases[k].n; t++)
			tw_forecaster_add(f, 20.0 + 0.01 * (double)t
					  + sin((double)t * 2.0 * M_PI / (double)cases[k].period)
					  + cases[k].wiggle * sin((double)t * 2.0 * M_PI / 4.8)
					  + gsl_ran_gaussian(r, cases[k].noise));
		CHECK_STR(tw_forecaster_method(f), "holt-winters");
		/* a long smooth season's ACF is flat at the top: noise moves
		 * its peak by a lag or so */
		long got = (long)tw_forecaster_season(f), want = (long)cases[k].period;
		if (!check_one(labs(got - want) <= want / 50, __FILE__, __LINE__, "period"))
			fprintf(stderr, "    got %ld, want %ld\n", got, want);
		tw_forecaster_free(f);
	}
	gsl_rng_free(r);
}

/* White noise, a random walk, a line: no season, so holt-winters runs holt. */
static void test_no_season(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	for (int kind = 0; kind < 3; kind++) {
		gsl_rng_set(r, 11);
		struct tw_forecaster *f = make("holt-winters", 0, 0, 288);
		double x = 0.0;
		if (!f)
			continue;
		for (int t = 0; t < 288; t++) {
			x = kind == 0 ? gsl_ran_gaussian(r, 1.0) :
			    kind == 1 ? x + gsl_ran_gaussian(r, 1.0) : 2.0 * t;
			tw_forecaster_add(f, x);
		}
		CHECK(tw_forecaster_ready(f));
		CHECK_STR(tw_forecaster_method(f), "holt");
		CHECK_INT(tw_forecaster_season(f), 0);
		tw_forecaster_free(f);
	}
	gsl_rng_free(r);
}

/* The fitted ar coefficients, from the saved state (0 past the order). */
static void ar_coefs(const struct tw_forecaster *f, double *c, double *phi, size_t n)
{
	json_t *j = tw_forecaster_save(f);
	*c = json_number_value(json_object_get(j, "c"));
	for (size_t i = 0; i < n; i++)
		phi[i] = json_number_value(json_array_get(json_object_get(j, "phi"), i));
	json_decref(j);
}

/* AR(2) y = 5 + 0.6 y1 - 0.3 y2 + N(0,1): coefficients and order found. */
static void test_ar2(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	size_t orders[] = { 2, 0 };

	for (int k = 0; k < 2; k++) {
		struct tw_forecaster *f = make("ar", 0, orders[k], 5000);
		double y1 = 7.0, y2 = 7.0, c, phi[4];
		if (!f)
			continue;
		gsl_rng_set(r, 42);
		for (int t = 0; t < 5100; t++) {
			double y = 5.0 + 0.6 * y1 - 0.3 * y2 + gsl_ran_gaussian(r, 1.0);
			if (t >= 100)       /* burn-in */
				tw_forecaster_add(f, y);
			y2 = y1;
			y1 = y;
		}
		CHECK(tw_forecaster_ready(f));
		CHECK_STR(tw_forecaster_method(f), "ar");
		/* AIC may take a lag or two too many: their phi are then near 0 */
		size_t p = tw_forecaster_order(f);
		CHECK(orders[k] ? p == 2 : p >= 2 && p <= 4);
		ar_coefs(f, &c, phi, 4);
		for (size_t i = 2; i < p; i++)
			CHECK(fabs(phi[i]) < 0.05);
		CHECK(fabs(phi[0] - 0.6) < 0.04);
		CHECK(fabs(phi[1] + 0.3) < 0.04);
		CHECK(fabs(c - 5.0) < 0.3);
		if (!(fabs(phi[0] - 0.6) < 0.04 && fabs(phi[1] + 0.3) < 0.04 && fabs(c - 5.0) < 0.3))
			fprintf(stderr, "    c %g phi %g %g\n", c, phi[0], phi[1]);

		/* far ahead: the process mean 5 / (1 - 0.6 + 0.3), sd 1 / sqrt(1 - ...) */
		double m, lo, hi;
		CHECK_INT(tw_forecaster_predict(f, 200, &m, &lo, &hi), 0);
		CHECK(fabs(m - 5.0 / 0.7) < 0.1);
		double sd = (hi - lo) / 2.0 / 1.959963984540054;
		/* the stationary variance of this AR(2): (1-phi2) / ((1+phi2)((1-phi2)^2 - phi1^2)) */
		double want = sqrt(1.3 / (0.7 * (1.69 - 0.36)));
		CHECK(fabs(sd - want) < 0.05 * want);
		tw_forecaster_free(f);
	}
	gsl_rng_free(r);
}

/* Fraction of the 1-step and 10-step intervals of f that hold the value
 * over n samples of next() after training. */
#define HMAX 10
static void coverage(struct tw_forecaster *f, double (*next)(gsl_rng *), gsl_rng *r, int n,
		     double *cov1, double *cov10)
{
	double lo1[HMAX], hi1[HMAX], lo10[HMAX], hi10[HMAX], m;
	int in1 = 0, in10 = 0, n1 = 0, n10 = 0;

	while (!tw_forecaster_ready(f))
		tw_forecaster_add(f, next(r));
	for (int t = 0; t < n; t++) {
		int i = t % HMAX;
		/* slot i holds the 1-step forecast made at t-1 (in slot (t-1)%10)
		 * and the 10-step one made at t-10 (in slot t%10) */
		double y = next(r);
		if (t >= 1) {
			int p = (t + HMAX - 1) % HMAX;
			in1 += lo1[p] <= y && y <= hi1[p];
			n1++;
		}
		if (t >= HMAX) {
			in10 += lo10[i] <= y && y <= hi10[i];
			n10++;
		}
		tw_forecaster_add(f, y);
		tw_forecaster_predict(f, 1, &m, &lo1[i], &hi1[i]);
		tw_forecaster_predict(f, HMAX, &m, &lo10[i], &hi10[i]);
	}
	*cov1 = (double)in1 / n1;
	*cov10 = (double)in10 / n10;
}

static double ar1_x;
static double next_ar1(gsl_rng *r)
{
	ar1_x = 2.0 + 0.7 * (ar1_x - 2.0) + gsl_ran_gaussian(r, 1.5);
	return ar1_x;
}

static double rw_x;
static double next_rw(gsl_rng *r)
{
	rw_x += gsl_ran_gaussian(r, 0.5);
	return rw_x + gsl_ran_gaussian(r, 1.0);
}

/* a season of 4, a wandering level, noise: holt-winters' gamma term
 * enters the 10-step variance at j = 4 and 8 */
static int seas_t;
static double next_seas(gsl_rng *r)
{
	static const double s[4] = { 3, -1, 0.5, -2.5 };
	rw_x += gsl_ran_gaussian(r, 0.3);
	return rw_x + s[seas_t++ % 4] + gsl_ran_gaussian(r, 1.0);
}

static void test_coverage(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct { const char *method; double (*next)(gsl_rng *); } runs[] = {
		{ "ar", next_ar1 }, { "holt", next_rw }, { "holt-winters", next_seas },
	};

	for (size_t k = 0; k < sizeof runs / sizeof *runs; k++) {
		struct tw_forecaster *f = make(runs[k].method, k == 2 ? 4 : 0, 0, 1000);
		double c1, c10;
		if (!f)
			continue;
		gsl_rng_set(r, 1234 + k);
		ar1_x = 2.0;
		rw_x = 0.0;
		seas_t = 0;
		coverage(f, runs[k].next, r, 5000, &c1, &c10);
		CHECK(fabs(c1 - 0.95) < 0.03);
		CHECK(fabs(c10 - 0.95) < 0.03);
		if (!(fabs(c1 - 0.95) < 0.03 && fabs(c10 - 0.95) < 0.03))
			fprintf(stderr, "    coverage %s on %s: 1-step %.3f, 10-step %.3f\n", runs[k].method,
			runs[k].next == next_ar1 ? "AR(1)" : runs[k].next == next_rw ?
				"random walk + noise" : "season + random walk + noise", c1, c10);
		tw_forecaster_free(f);
	}
	gsl_rng_free(r);
}

/* Saved, written, read back and loaded: the same predictions, bit for bit,
 * now and after more samples; the same JSON again. */
static void roundtrip(struct tw_forecaster *f, gsl_rng *r, size_t more)
{
	struct tw_err e = { "" };
	json_t *j = tw_forecaster_save(f);
	char *s = j ? json_dumps(j, 0) : NULL;
	json_t *j2 = s ? json_loads(s, 0, NULL) : NULL;
	struct tw_forecaster *g = j2 ? tw_forecaster_load(j2, &e) : NULL;

	CHECK(g != NULL);
	if (!g) {
		fprintf(stderr, "    load: %s\n", e.msg);
		goto out;
	}
	json_t *j3 = tw_forecaster_save(g);
	char *s3 = json_dumps(j3, 0);
	CHECK_STR(s3, s);
	free(s3);
	json_decref(j3);
	CHECK_STR(tw_forecaster_method(g), tw_forecaster_method(f));
	CHECK(tw_forecaster_ready(g) == tw_forecaster_ready(f));
	int same = 1;
	for (size_t t = 0; t <= more; t++) {
		if (t > 0) {
			double y = 10.0 + 3.0 * sin((double)t * 2.0 * M_PI / 12.0) + gsl_ran_gaussian(r, 1.0);
			tw_forecaster_add(f, y);
			tw_forecaster_add(g, y);
		}
		for (size_t h = 1; h <= 15; h++) {
			double a[3], b[3];
			int ra = tw_forecaster_predict(f, h, &a[0], &a[1], &a[2]);
			int rb = tw_forecaster_predict(g, h, &b[0], &b[1], &b[2]);
			if (ra != rb || (ra == 0 && memcmp(a, b, sizeof a) != 0))
				same = 0;
		}
	}
	CHECK(same);
	CHECK(tw_forecaster_ready(g));
out:
	tw_forecaster_free(g);
	json_decref(j2);
	free(s);
	json_decref(j);
}

static void test_save_load(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
	struct { const char *method; size_t season, order; } cases[] = {
		{ "holt", 0, 0 }, { "holt-winters", 12, 0 }, { "holt-winters", 0, 0 },
		{ "ar", 0, 0 }, { "ar", 0, 3 },
	};

	gsl_rng_set(r, 99);
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		/* mid-training, then fitted */
		for (int fitted = 0; fitted < 2; fitted++) {
			struct tw_forecaster *f = make(cases[k].method, cases[k].season,
						       cases[k].order, 120);
			if (!f)
				continue;
			int n = fitted ? 130 : 70;
			for (int t = 0; t < n; t++)
				tw_forecaster_add(f, 10.0 + 3.0 * sin(t * 2.0 * M_PI / 12.0)
						  + gsl_ran_gaussian(r, 1.0));
			CHECK(tw_forecaster_ready(f) == fitted);
			roundtrip(f, r, 60);
			tw_forecaster_free(f);
		}
	}
	gsl_rng_free(r);
}

/* Bad JSON: each rejected with a message naming the fault. */
static void test_load_bad(void)
{
	struct { const char *json, *msg; } bad[] = {
		{ "[]", "expected an object" },
		{ "{\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[]}", "method: missing" },
		{ "{\"method\":\"lstm\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[]}",
		  "unknown forecast method \"lstm\"" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[],\"x\":1}",
		  "x: unknown key" },
		{ "{\"method\":\"holt\",\"train\":-5,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[]}",
		  "train: expected a whole number" },
		{ "{\"method\":\"holt\",\"train\":50.5,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[]}",
		  "train: expected a whole number" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":\"high\",\"season\":0,\"order\":0,\"buffer\":[]}",
		  "level: expected a number" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":2,\"season\":0,\"order\":0,\"buffer\":[]}",
		  "level 2 out of range" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0}",
		  "buffer: missing" },
		{ "{\"method\":\"holt\",\"train\":4,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[1,2,3,4]}",
		  "buffer: expected an array of fewer than 4" },
		{ "{\"method\":\"holt\",\"train\":4,\"level\":0.95,\"season\":0,\"order\":0,\"buffer\":[1,\"2\"]}",
		  "buffer: [1]: expected a number" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"run\":\"ar\"}",
		  "run: \"ar\" cannot be run for method holt" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"run\":\"holt\","
		  "\"sigma2\":1,\"alpha\":1.5,\"beta\":0.1,\"l\":0,\"b\":0}", "alpha: must be in [0,1]" },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"run\":\"holt\","
		  "\"sigma2\":-1,\"alpha\":0.5,\"beta\":0.1,\"l\":0,\"b\":0}", "sigma2: must be in [0," },
		{ "{\"method\":\"holt\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"run\":\"holt\","
		  "\"sigma2\":1,\"alpha\":0.5,\"beta\":0.1,\"l\":0}", "b: missing" },
		{ "{\"method\":\"holt-winters\",\"train\":50,\"level\":0.95,\"season\":4,\"order\":0,"
		  "\"run\":\"holt-winters\",\"sigma2\":1,\"alpha\":0.5,\"beta\":0.1,\"gamma\":0.1,\"l\":0,"
		  "\"b\":0,\"s\":[1,2,3],\"pos\":0}", "s: expected an array of 4 numbers" },
		{ "{\"method\":\"holt-winters\",\"train\":50,\"level\":0.95,\"season\":4,\"order\":0,"
		  "\"run\":\"holt-winters\",\"sigma2\":1,\"alpha\":0.5,\"beta\":0.1,\"gamma\":0.1,\"l\":0,"
		  "\"b\":0,\"s\":[1,2,3,4],\"pos\":4}", "pos: expected a whole number in 0..3" },
		{ "{\"method\":\"holt-winters\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,"
		  "\"run\":\"holt-winters\",\"sigma2\":1,\"alpha\":0.5,\"beta\":0.1,\"gamma\":0.1,\"l\":0,"
		  "\"b\":0,\"s\":[],\"pos\":0}", "season: must be at least 2 once fitted" },
		{ "{\"method\":\"ar\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":2,\"run\":\"ar\","
		  "\"sigma2\":1,\"c\":0,\"phi\":[0.5],\"lags\":[1,2]}", "phi: expected an array of 2 numbers" },
		{ "{\"method\":\"ar\",\"train\":50,\"level\":0.95,\"season\":0,\"order\":0,\"run\":\"ar\","
		  "\"sigma2\":1,\"c\":0,\"phi\":[],\"lags\":[]}", "order: must be at least 1" },
		{ "{\"method\":\"ar\",\"train\":500,\"level\":0.95,\"season\":0,\"order\":65,\"buffer\":[]}",
		  "order: expected a whole number in 0..64" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct tw_err e = { "" };
		json_t *j = json_loads(bad[i].json, 0, NULL);
		CHECK(j != NULL);
		struct tw_forecaster *f = tw_forecaster_load(j, &e);
		CHECK(f == NULL);
		if (!check_one(strstr(e.msg, bad[i].msg) != NULL, __FILE__, __LINE__, bad[i].msg))
			fprintf(stderr, "    got \"%s\"\n", e.msg);
		tw_forecaster_free(f);
		json_decref(j);
	}
	/* and a good one written by hand */
	json_t *j = json_loads("{\"method\":\"holt\",\"train\":50,\"level\":0.9,\"season\":0,\"order\":0,"
			       "\"run\":\"holt\",\"sigma2\":0,\"alpha\":0.5,\"beta\":0.1,\"l\":1,\"b\":2,"
			       "\"comment\":\"hand-made\"}", 0, NULL);
	struct tw_err e;
	struct tw_forecaster *f = tw_forecaster_load(j, &e);
	double m, lo, hi;
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(tw_forecaster_predict(f, 3, &m, &lo, &hi), 0);
		CHECK(m == 7.0 && lo == 7.0 && hi == 7.0);
	}
	tw_forecaster_free(f);
	json_decref(j);
}

/* NaN and infinities are skipped: the same results as without them. */
static void test_nonfinite(void)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	for (int k = 0; tw_forecast_methods[k]; k++) {
		struct tw_forecaster *a = make(tw_forecast_methods[k], 0, 0, 100);
		struct tw_forecaster *b = make(tw_forecast_methods[k], 0, 0, 100);
		if (!a || !b)
			goto next;
		gsl_rng_set(r, 5);
		for (int t = 0; t < 200; t++) {
			double y = 5.0 + 0.1 * t + 2.0 * sin(t * 2.0 * M_PI / 10.0) + gsl_ran_gaussian(r, 0.3);
			tw_forecaster_add(a, y);
			tw_forecaster_add(b, y);
			if (t % 7 == 0) {
				tw_forecaster_add(b, NAN);
				tw_forecaster_add(b, t % 2 ? INFINITY : -INFINITY);
			}
		}
		int same = tw_forecaster_ready(a) && tw_forecaster_ready(b);
		for (size_t h = 1; h <= 20 && same; h++) {
			double x[3], y[3];
			tw_forecaster_predict(a, h, &x[0], &x[1], &x[2]);
			tw_forecaster_predict(b, h, &y[0], &y[1], &y[2]);
			same = memcmp(x, y, sizeof x) == 0 && isfinite(x[0]) && x[1] < x[0] && x[0] < x[2];
		}
		CHECK(same);
next:
		tw_forecaster_free(a);
		tw_forecaster_free(b);
	}
	gsl_rng_free(r);
}

/* A constant: the constant, with lo == hi, for every method. */
static void test_constant(void)
{
	struct { const char *method; size_t season, order; } cases[] = {
		{ "holt", 0, 0 }, { "holt-winters", 0, 0 }, { "holt-winters", 12, 0 },
		{ "ar", 0, 0 }, { "ar", 0, 3 },
	};

	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		struct tw_forecaster *f = make(cases[k].method, cases[k].season, cases[k].order, 60);
		int ok = 1;
		if (!f)
			continue;
		for (int t = 0; t < 100; t++)
			tw_forecaster_add(f, 7.25);
		CHECK(tw_forecaster_ready(f));
		for (size_t h = 1; h <= 50; h++) {
			double m, lo, hi;
			if (tw_forecaster_predict(f, h, &m, &lo, &hi) != 0 || m != 7.25 || lo != m || hi != m)
				ok = 0;
		}
		if (!check_one(ok, __FILE__, __LINE__, cases[k].method))
			fprintf(stderr, "    season %zu order %zu\n", cases[k].season, cases[k].order);
		tw_forecaster_free(f);
	}
}

int main(void)
{
	test_new();
	test_line();
	test_holt_winters();
	test_detect_period();
	test_no_season();
	test_ar2();
	test_coverage();
	test_save_load();
	test_load_bad();
	test_nonfinite();
	test_constant();
	return check_done("forecast");
}
