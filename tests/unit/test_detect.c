/* test_detect.c - the streaming anomaly detectors (lib/detect.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "detect.h"

#define N 2000

/* test_load_bad: a member to delete rather than replace */
static const char null_text[] = "";

/* A deterministic noise source (xorshift64*), roughly N(0,1) as the sum
 * of 12 uniforms minus 6. */
static uint64_t rng_state;

static double noise(void)
{
	double s = 0.0;
	for (int i = 0; i < 12; i++) {
		rng_state ^= rng_state >> 12;
		rng_state ^= rng_state << 25;
		rng_state ^= rng_state >> 27;
		s += (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
	}
	return s - 6.0;
}

static void series_noise(double *x, double level, double sd)
{
	rng_state = 88172645463325252ULL;
	for (int i = 0; i < N; i++)
		x[i] = level + sd * noise();
}

/* Scores of method over x[0..n), with default options. */
static int run(const char *method, const struct tw_detect_opts *o,
               const double *x, double *s, int n)
{
	struct tw_err e;
	struct tw_detector *d = tw_detector_new(method, o, &e);
	if (!d)
		return -1;
	for (int i = 0; i < n; i++)
		s[i] = tw_detector_score(d, (int64_t)i * 1000000000, x[i]);
	tw_detector_free(d);
	return 0;
}

static int all_in_unit(const double *s, int n)
{
	for (int i = 0; i < n; i++)
		if (!(s[i] >= 0.0 && s[i] <= 1.0))
			return 0;
	return 1;
}

static int count_above(const double *s, int from, int to, double t)
{
	int c = 0;
	for (int i = from; i < to; i++)
		c += s[i] > t;
	return c;
}

static void test_new(void)
{
	struct tw_err e = { "" };
	struct tw_detect_opts o;

	for (int i = 0; tw_detect_methods[i]; i++) {
		struct tw_detector *d = tw_detector_new(tw_detect_methods[i], NULL, &e);
		CHECK(d != NULL);
		tw_detector_free(d);
	}
	struct tw_detector *d = tw_detector_new(NULL, NULL, &e);
	CHECK(d != NULL);
	if (d)
		CHECK_STR(tw_detector_method(d), "spatial");
	tw_detector_free(d);
	tw_detector_free(NULL);

	CHECK(tw_detector_new("zscore", NULL, &e) == NULL);
	CHECK(strstr(e.msg, "unknown method \"zscore\"") != NULL);

	tw_detect_opts_init(&o);
	o.window = 2;
	CHECK(tw_detector_new("mad", &o, &e) == NULL);
	CHECK(strstr(e.msg, "window") != NULL);
	tw_detect_opts_init(&o);
	o.cusum_h = 0.0;
	CHECK(tw_detector_new("cusum", &o, &e) == NULL);
	tw_detect_opts_init(&o);
	o.cusum_k = NAN;
	CHECK(tw_detector_new("cusum", &o, &e) == NULL);
	tw_detect_opts_init(&o);
	o.lik_short = 0;
	CHECK(tw_detector_new("likelihood", &o, &e) == NULL);
	tw_detect_opts_init(&o);
	o.lik_min_sd = -1.0;
	CHECK(tw_detector_new("likelihood", &o, &e) == NULL);
	tw_detect_opts_init(&o);
	o.spatial_tol = -0.1;
	CHECK(tw_detector_new("spatial", &o, &e) == NULL);
	CHECK(strstr(e.msg, "spatial tolerance") != NULL);
	d = tw_detector_new("mad", NULL, NULL);   /* e may be NULL */
	CHECK(d != NULL);
	tw_detector_free(d);
	CHECK(tw_detector_new("nope", NULL, NULL) == NULL);
}

/* A spike in noise: flagged by mad, quiet elsewhere.  The likelihood
 * averages lik_short raw scores, so one spike moves it little: it is
 * checked on a burst of spikes instead, which it must flag. */
static void test_spike(void)
{
	static double x[N], s[N];
	const char *methods[] = { "mad", "likelihood", "auto" };
	int spike = 1500;

	for (int m = 0; m < 3; m++) {
		series_noise(x, 20.0, 1.0);
		int last = m == 0 ? spike : spike + 9;
		for (int i = spike; i <= last; i++)
			x[i] += i % 2 ? -15.0 : 15.0;
		CHECK_INT(run(methods[m], NULL, x, s, N), 0);
		CHECK(all_in_unit(s, N));
		double top = 0.0;   /* "cad" rests after the first */
		for (int i = spike; i <= last; i++)
			top = fmax(top, s[i]);
		CHECK(top > 0.9);
		/* below 0.5 on most normal samples (at least 98%) */
		int normal = 0, quiet = 0;
		for (int i = 300; i < N; i++) {
			if (i >= spike && i < last + 12)
				continue;   /* the likelihood's short mean remembers it */
			normal++;
			quiet += s[i] < 0.5;
		}
		CHECK(quiet >= normal * 98 / 100);
		if (quiet < normal * 98 / 100 || !(top > 0.9))
			fprintf(stderr, "    %s: %d of %d quiet, %.3f at the spike\n",
			        methods[m], quiet, normal, top);
		/* warm-up: nothing before 288 values are learned */
		CHECK_INT(count_above(s, 0, 288, 0.0), 0);
	}
}

/* A level shift of 1.5 sd: cusum alarms soon after it, not before. */
static void test_shift(void)
{
	static double x[N], s[N];
	int at = 1200;

	series_noise(x, 5.0, 1.0);
	for (int i = at; i < N; i++)
		x[i] += 1.5;
	CHECK_INT(run("cusum", NULL, x, s, N), 0);
	CHECK(all_in_unit(s, N));
	int first = -1;
	for (int i = 0; i < N && first < 0; i++)
		if (s[i] >= 0.9)
			first = i;
	CHECK(first >= at);
	CHECK(first < at + 20);
	if (first < at || first >= at + 20)
		fprintf(stderr, "    first alarm at %d, shift at %d\n", first, at);
	/* quiet before the shift */
	CHECK(count_above(s, 288, at, 0.5) <= (at - 288) / 100);
}

/* A constant series: no alarm, no NaN, for every method; and a constant
 * series with a step: no NaN or inf either (no evidence: scale 0). */
static void test_constant(void)
{
	static double x[N], s[N];
	for (int m = 0; tw_detect_methods[m]; m++) {
		for (int i = 0; i < N; i++)
			x[i] = 42.0;
		CHECK_INT(run(tw_detect_methods[m], NULL, x, s, N), 0);
		CHECK(all_in_unit(s, N));
		CHECK_INT(count_above(s, 0, N, 0.0), 0);
		for (int i = N / 2; i < N; i++)
			x[i] = 43.0;
		CHECK_INT(run(tw_detect_methods[m], NULL, x, s, N), 0);
		CHECK(all_in_unit(s, N));
		/* zeros, then values near 0 with a mostly-constant window */
		for (int i = 0; i < N; i++)
			x[i] = i % 97 == 0 ? 1e-300 : 0.0;
		CHECK_INT(run(tw_detect_methods[m], NULL, x, s, N), 0);
		CHECK(all_in_unit(s, N));
	}
}

/* NaN and inf return NaN and are not learned: the scores of the other
 * values are those of the series without them. */
static void test_nan(void)
{
	static double x[N], s[N], s2[N];
	struct tw_err e;

	series_noise(x, 0.0, 3.0);
	x[1500] += 40.0;
	for (int m = 0; tw_detect_methods[m]; m++) {
		CHECK_INT(run(tw_detect_methods[m], NULL, x, s, N), 0);
		struct tw_detector *d = tw_detector_new(tw_detect_methods[m], NULL, &e);
		int same = 1, nan_ok = 1;
		for (int i = 0; i < N; i++) {
			if (i % 50 == 7) {
				nan_ok &= isnan(tw_detector_score(d, i, NAN));
				nan_ok &= isnan(tw_detector_score(d, i, INFINITY));
				nan_ok &= isnan(tw_detector_score(d, i, -INFINITY));
			}
			s2[i] = tw_detector_score(d, i, x[i]);
			same &= s2[i] == s[i];
		}
		tw_detector_free(d);
		CHECK(nan_ok);
		CHECK(same);
	}
}

/* Same input, same scores; scores in [0,1] on rough input (heavy tails,
 * huge and tiny magnitudes, repeated values). */
static void test_determinism_range(void)
{
	static double x[N], s1[N], s2[N];
	struct tw_detect_opts o;

	rng_state = 12345;
	for (int i = 0; i < N; i++) {
		double z = noise();
		x[i] = i % 3 == 0 ? round(z) : z * z * z * 1e6;
		if (i % 211 == 0)
			x[i] = 1e300;
		if (i % 307 == 0)
			x[i] = -1e-300;
	}
	tw_detect_opts_init(&o);
	o.window = 31;
	o.warmup = 5;
	o.lik_window = 200;
	o.lik_learn = 20;
	for (int m = 0; tw_detect_methods[m]; m++) {
		CHECK_INT(run(tw_detect_methods[m], &o, x, s1, N), 0);
		CHECK_INT(run(tw_detect_methods[m], &o, x, s2, N), 0);
		CHECK(memcmp(s1, s2, sizeof s1) == 0);
		CHECK(all_in_unit(s1, N));
	}
}

/* The median/MAD window slides: after a long run at one level followed
 * by a full window at another, a value at the new level is normal. */
static void test_window_slides(void)
{
	static double x[N], s[N];
	struct tw_detect_opts o;

	series_noise(x, 0.0, 1.0);
	for (int i = 1000; i < N; i++)
		x[i] += 100.0;
	tw_detect_opts_init(&o);
	o.window = 51;
	o.warmup = 51;
	CHECK_INT(run("mad", &o, x, s, N), 0);
	CHECK(s[1000] > 0.99);
	CHECK(count_above(s, 1100, N, 0.5) < (N - 1100) / 20);
}

/* "spatial": one spike out of the range learned is 1 at once (the
 * likelihood alone would average it away); a value inside the range
 * widened by 5% is not flagged by the rule; nothing during the warm-up
 * even though the range grows then. */
static void test_spatial(void)
{
	static double x[N], s[N];
	int spike = 1500;

	series_noise(x, 20.0, 1.0);
	double lo = x[0], hi = x[0];
	for (int i = 0; i < spike; i++) {
		lo = fmin(lo, x[i]);
		hi = fmax(hi, x[i]);
	}
	x[spike] = hi + 0.5 * (hi - lo);
	x[spike + 100] = hi + 0.01 * (hi - lo);   /* inside the tolerance */
	CHECK_INT(run("spatial", NULL, x, s, N), 0);
	CHECK(all_in_unit(s, N));
	CHECK(s[spike] == 1.0);
	CHECK(s[spike + 100] < 1.0);
	CHECK_INT(count_above(s, 0, 288, 0.0), 0);
	/* the same spike, mostly ignored by the likelihood */
	CHECK_INT(run("likelihood", NULL, x, s, N), 0);
	CHECK(s[spike] < 1.0);
	/* a constant series then a step: the range of one value says
	 * nothing, so the step is not a spatial anomaly */
	for (int i = 0; i < N; i++)
		x[i] = i < 1000 ? 7.0 : 8.0;
	CHECK_INT(run("spatial", NULL, x, s, N), 0);
	CHECK(s[1000] < 1.0);
}

/* "cad": a repeating pattern is learned (quiet after a while), a break of
 * the pattern inside the range learned is flagged, a value out of the
 * range is 1 (the spatial rule); the contexts stay within their bound. */
static void test_cad(void)
{
	static double x[N], s[N];
	struct tw_err e = { "" };
	struct tw_detect_opts o;
	int at = 1600;

	for (int i = 0; i < N; i++)
		x[i] = (double)(i % 16);
	for (int i = at; i < at + 8; i++)
		x[i] = 7.0;                      /* flat in the middle of the range */
	x[1800] = 40.0;
	CHECK_INT(run("cad", NULL, x, s, N), 0);
	CHECK(all_in_unit(s, N));
	CHECK_INT(count_above(s, 0, 288, 0.0), 0);
	CHECK_INT(count_above(s, 1000, at, 0.1), 0);   /* learned */
	double top = 0.0;
	for (int i = at; i < at + 8; i++)
		top = fmax(top, s[i]);
	CHECK(top >= 0.5);
	CHECK(s[1800] == 1.0);
	if (top < 0.5 || count_above(s, 1000, at, 0.1) > 0)
		fprintf(stderr, "    cad: %.3f at the break, %d raised before\n", top,
		        count_above(s, 1000, at, 0.1));

	/* noise makes many contexts: the bound holds them */
	tw_detect_opts_init(&o);
	o.cad_max_contexts = 50;
	series_noise(x, 0.0, 1.0);
	struct tw_detector *d = tw_detector_new("cad", &o, &e);
	int ok = 1;
	for (int i = 0; i < N; i++) {
		double v = tw_detector_score(d, i, x[i]);
		ok &= v >= 0.0 && v <= 1.0;
	}
	CHECK(ok);
	json_t *j = tw_detector_save(d);
	CHECK(json_array_size(json_object_get(json_object_get(j, "cad"), "contexts")) == 50);
	json_decref(j);
	tw_detector_free(d);
	o.cad_max_contexts = 0;
	CHECK(tw_detector_new("cad", &o, &e) == NULL);
	CHECK(strstr(e.msg, "cad context limit") != NULL);
	tw_detect_opts_init(&o);
	o.cad_rest = 0;
	CHECK(tw_detector_new("cad", &o, &e) == NULL);
	CHECK(strstr(e.msg, "cad rest period") != NULL);
}

/* Save after k values, load, go on: the same scores bit for bit as the
 * detector never saved, also through the JSON text, for every method. */
static void test_save_load(void)
{
	static double x[N], s1[N], s2[N];
	struct tw_err e = { "" };
	struct tw_detect_opts o;
	const int ks[] = { 0, 3, 150, 1200 };

	series_noise(x, 3.0, 2.0);
	x[1500] += 30.0;
	x[1600] = -50.0;
	tw_detect_opts_init(&o);
	o.window = 41;
	o.warmup = 100;
	o.lik_window = 300;
	o.lik_short = 7;
	o.lik_learn = 50;
	for (int m = 0; tw_detect_methods[m]; m++) {
		CHECK_INT(run(tw_detect_methods[m], &o, x, s1, N), 0);
		for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
			int k = ks[t];
			struct tw_detector *d = tw_detector_new(tw_detect_methods[m], &o, &e);
			for (int i = 0; i < k; i++)
				s2[i] = tw_detector_score(d, i, x[i]);
			tw_detector_score(d, k, NAN);   /* not learned, not saved */
			json_t *j = tw_detector_save(d);
			CHECK(j != NULL);
			char *text = json_dumps(j, JSON_COMPACT);
			json_t *back = text ? json_loads(text, 0, NULL) : NULL;
			struct tw_detector *d2 = tw_detector_load(back, &e);
			CHECK(d2 != NULL);
			if (!d2)
				fprintf(stderr, "    %s: %s\n", tw_detect_methods[m], e.msg);
			struct tw_detector *d3 = tw_detector_load(j, &e);
			CHECK(d3 != NULL);
			int same = d2 && d3;
			if (same)
				CHECK_STR(tw_detector_method(d2), tw_detector_method(d));
			for (int i = k; same && i < N; i++) {
				s2[i] = tw_detector_score(d2, i, x[i]);
				same &= tw_detector_score(d3, i, x[i]) == s2[i];
			}
			CHECK(same && memcmp(s1, s2, sizeof s1) == 0);
			free(text);
			json_decref(j);
			json_decref(back);
			tw_detector_free(d);
			tw_detector_free(d2);
			tw_detector_free(d3);
		}
	}
}

/* Loading what is not a saved state fails with a message naming the
 * problem, never crashes. */
static void test_load_bad(void)
{
	struct tw_err e = { "" };
	struct tw_detect_opts o;
	static const struct {
		const char *path, *value, *msg;
	} bad[] = {
		{ "method", "\"zscore\"", "unknown method" },
		{ "method", "3", "method: expected a string" },
		{ "options", "[]", "options: expected an object" },
		{ "options.window", "2", "window 2 out of range" },
		{ "options.window", "-5", "window: expected an integer" },
		{ "options.lik_min_sd", "\"x\"", "lik_min_sd: expected a number" },
		{ "learned", "1.5", "learned: expected an integer" },
		{ "ring", "{}", "ring: expected an array" },
		{ "ring", "[1, 2, 3, 4, 5, 6, 7, 8]", "ring: 8 values, at most 5" },
		{ "ring", "[1, \"a\"]", "ring[1]: expected a number" },
		{ "sorted", "[3, 2, 1, 0, -1]", "not in order" },
		{ "sorted", "[-9, 1, 2, 3, 4]", "not the values of the ring in order" },
		{ "sorted", "[1]", "sorted: 1 values, ring 5" },
		{ "head", "5", "ring: head 5" },
		{ "cusum", "[1]", "cusum: expected 2 numbers" },
		{ "cusum", "[-1, 0]", "cusum: sums out of range" },
		{ "likelihood", "null", "likelihood: expected an object" },
		{ "likelihood.raw_head", "9", "raw: head 9" },
		{ "likelihood.hist", "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]", "hist: 11 values" },
		{ "likelihood.hist_sum", null_text, "hist_sum: missing" },
		{ "range", "[2, 1]", "range: expected low <= high" },
		{ "range", "null", "range: null after" },
		{ "range", "7", "range: expected [low, high]" },
	};

	tw_detect_opts_init(&o);
	o.window = 5;
	o.warmup = 3;
	o.lik_window = 10;
	o.lik_short = 3;
	o.lik_learn = 3;
	struct tw_detector *d = tw_detector_new("spatial", &o, &e);
	for (int i = 0; i < 40; i++)
		tw_detector_score(d, i, (double)(i % 7));
	json_t *good = tw_detector_save(d);
	tw_detector_free(d);

	CHECK(tw_detector_load(NULL, &e) == NULL);
	CHECK(strstr(e.msg, "expected an object") != NULL);
	for (size_t t = 0; t < sizeof bad / sizeof *bad; t++) {
		json_t *j = json_deep_copy(good), *obj = j;
		char path[64], *key = path, *dot;
		snprintf(path, sizeof path, "%s", bad[t].path);
		while ((dot = strchr(key, '.')) != NULL) {
			*dot = '\0';
			obj = json_object_get(obj, key);
			key = dot + 1;
		}
		if (bad[t].value == null_text)
			json_object_del(obj, key);
		else
			json_object_set_new(obj, key, json_loads(bad[t].value,
			                                         JSON_DECODE_ANY, NULL));
		e.msg[0] = '\0';
		struct tw_detector *x = tw_detector_load(j, &e);
		CHECK(x == NULL);
		CHECK(strstr(e.msg, bad[t].msg) != NULL);
		if (x || !strstr(e.msg, bad[t].msg))
			fprintf(stderr, "    %s = %s: \"%s\"\n", bad[t].path,
			        bad[t].value ? bad[t].value : "(deleted)", e.msg);
		tw_detector_free(x);
		json_decref(j);
	}
	json_decref(good);

	/* the contexts of "cad" */
	static const struct {
		const char *key, *value, *msg;
	} cad_bad[] = {
		{ "contexts", "7", "must be arrays" },
		{ "left_semis", "[[65536, 65536]]", "left_semis[0]: bad fact" },
		{ "left_semis", "[[12]]", "left_semis[0]: bad fact" },
		{ "right_semis", "[[2147483648]]", "right_semis[0]: bad fact" },
		{ "right_semis", "[[65536, 65538, 65540, 65541]]", "at most 3 facts" },
		{ "contexts.0", "[1, 2, 0, 0, 0, true]", "contexts[0]: expected" },
		{ "contexts.0", "[2, 1, 0, 0, 999, true]", "contexts[0]: expected" },
		{ "contexts.1", "[2, 1, 0, 0, 0, true]", "contexts[1]: repeated" },
		{ "crossed", "[[99999, 1]]", "crossed[0]" },
		{ "left", "[65537, 65536]", "left[0]: bad fact" },
		{ "predicted", "64", "predicted" },
		{ "history", "[]", "history" },
		{ "history_head", "500", "history: head 500" },
	};
	d = tw_detector_new("cad", &o, &e);
	for (int i = 0; i < 400; i++)
		tw_detector_score(d, i, (double)(i % 5));
	good = tw_detector_save(d);
	tw_detector_free(d);
	d = tw_detector_load(good, &e);
	CHECK(d != NULL);
	tw_detector_free(d);
	for (size_t t = 0; t < sizeof cad_bad / sizeof *cad_bad; t++) {
		json_t *j = json_deep_copy(good), *c = json_object_get(j, "cad");
		json_t *v = json_loads(cad_bad[t].value, JSON_DECODE_ANY, NULL);
		if (strncmp(cad_bad[t].key, "contexts.", 9) == 0)
			json_array_set_new(json_object_get(c, "contexts"),
			                   (size_t)atoi(cad_bad[t].key + 9), v);
		else
			json_object_set_new(c, cad_bad[t].key, v);
		e.msg[0] = '\0';
		struct tw_detector *x = tw_detector_load(j, &e);
		CHECK(x == NULL);
		CHECK(strstr(e.msg, cad_bad[t].msg) != NULL);
		if (x || !strstr(e.msg, cad_bad[t].msg))
			fprintf(stderr, "    cad.%s = %s: \"%s\"\n", cad_bad[t].key,
			        cad_bad[t].value, e.msg);
		tw_detector_free(x);
		json_decref(j);
	}
	json_decref(good);
}

int main(void)
{
	test_new();
	test_spike();
	test_shift();
	test_constant();
	test_nan();
	test_determinism_range();
	test_window_slides();
	test_spatial();
	test_cad();
	test_save_load();
	test_load_bad();
	return check_done("detect");
}
