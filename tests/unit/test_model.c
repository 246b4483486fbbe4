/* test_model.c - the model section, the solvers, and the model library
 * (models/, from the repository root: $TOP, or the current directory)
 * against known solutions. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "model.h"
#include "ode.h"
#include "twin.h"

static const char *top(void)
{
	const char *t = getenv("TOP");

	return t && *t ? t : ".";
}

/* The model of models/name, or NULL (reported). */
static struct tw_model *library(const char *name)
{
	char path[4096];
	struct tw_twin *t;
	struct tw_model *m = NULL;
	struct tw_err e;

	snprintf(path, sizeof path, "%s/models/%s", top(), name);
	if ((t = tw_twin_load(path, &e)))
		m = tw_model_load(tw_twin_section(t, "model"), path, &e);
	tw_twin_free(t);
	if (!CHECK(m != NULL))
		fprintf(stderr, "    %s\n", e.msg);
	return m;
}

/* The model of a section given as JSON text, as if from t.json. */
static struct tw_model *parse(const char *text, struct tw_err *e)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	struct tw_model *m;

	if (!j) {
		tw_err_set(e, "bad test JSON: %s", jerr.text);
		return NULL;
	}
	m = tw_model_load(j, "t.json", e);
	json_decref(j);
	return m;
}

/* The message loading text gives, or "OK". */
static const char *err(const char *text)
{
	static struct tw_err e;
	struct tw_model *m = parse(text, &e);

	if (m) {
		tw_model_free(m);
		return "OK";
	}
	return e.msg;
}

/* The initial states of m into y. */
static void initial(const struct tw_model *m, double y[])
{
	for (int i = 0; i < tw_model_nstates(m); i++)
		y[i] = tw_model_state_initial(m, i);
}

static double param(const struct tw_model *m, const char *name)
{
	int i = tw_model_param_index(m, name);

	if (i < 0)
		CHECK(!"no such parameter");
	return i >= 0 ? tw_model_param_get(m, i) : NAN;
}

static void set_input(struct tw_model *m, const char *name, double v)
{
	int i = tw_model_input_index(m, name);

	if (i < 0)
		CHECK(!"no such input");
	else
		tw_model_input_set(m, i, v);
}

static double output(struct tw_model *m, const char *name, double t, const double y[])
{
	double out[16];
	int i = tw_model_output_index(m, name);

	if (i < 0 || tw_model_noutputs(m) > 16) {
		CHECK(!"no such output");
		return NAN;
	}
	tw_model_outputs(m, t, y, out);
	return i >= 0 ? out[i] : NAN;
}

/* Advances, reporting a failure. */
static int advance(struct tw_ode *o, double *t, double t1, double y[])
{
	struct tw_err e;

	if (tw_ode_advance(o, t, t1, y, &e) == 0)
		return 0;
	CHECK(!"tw_ode_advance");
	fprintf(stderr, "    %s\n", e.msg);
	return -1;
}

static struct tw_ode *solver(struct tw_model *m, enum tw_solver s, double step,
			     double rtol, double atol)
{
	struct tw_err e;
	struct tw_ode *o = tw_ode_new(m, s, step, rtol, atol, &e);

	if (!CHECK(o != NULL))
		fprintf(stderr, "    %s\n", e.msg);
	return o;
}

#define CHECK_NEAR(got, want, tol) do { \
	double g_ = (got), w_ = (want), t_ = (tol); \
	if (!check_one(fabs(g_ - w_) <= t_, __FILE__, __LINE__, #got " ~ " #want)) \
		fprintf(stderr, "    got %.17g, want %.17g (tolerance %g)\n", g_, w_, t_); \
} while (0)

/* ---- The library ---- */

/* Every file in models/ is a twin description with a name, a comment
 * and a model that loads. */
static void all_models(void)
{
	char dir[4096], path[8192];
	struct dirent *d;
	int n = 0;
	DIR *dp;

	snprintf(dir, sizeof dir, "%s/models", top());
	if (!CHECK((dp = opendir(dir)) != NULL))
		return;
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		struct tw_twin *t;
		struct tw_model *m;
		struct tw_err e;
		json_t *v;
		if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
			continue;
		n++;
		snprintf(path, sizeof path, "%s/%s", dir, d->d_name);
		if (!CHECK((t = tw_twin_load(path, &e)) != NULL)) {
			fprintf(stderr, "    %s\n", e.msg);
			continue;
		}
		/* "name" is the file's name without .json */
		CHECK(t->name && strlen(t->name) == len - 5 &&
		      strncmp(t->name, d->d_name, len - 5) == 0);
		v = tw_twin_section(t, "comment");
		CHECK(json_is_string(v) && strlen(json_string_value(v)) > 200);
		m = tw_model_load(tw_twin_section(t, "model"), path, &e);
		if (CHECK(m != NULL)) {
			CHECK(tw_model_comment(m) != NULL);
			CHECK(tw_model_noutputs(m) >= 1);
			for (int i = 0; i < tw_model_nparams(m); i++)
				CHECK(tw_model_param_unit(m, i) != NULL);
			for (int i = 0; i < tw_model_noutputs(m); i++)
				CHECK(tw_model_output_unit(m, i) != NULL);
		} else
			fprintf(stderr, "    %s\n", e.msg);
		tw_model_free(m);
		tw_twin_free(t);
	}
	closedir(dp);
	CHECK_INT(n, 6);
}

/* T(t) = T_amb + P R + (T0 - T_amb - P R) exp(-t / (R C)). */
static void thermal(void)
{
	struct tw_model *m = library("thermal.json");
	struct tw_ode *o;
	double y[1], t = 0, C, R, P = 1200, Ta = 20, T0, maxerr = 0;

	if (!m)
		return;
	C = param(m, "C");
	R = param(m, "R");
	set_input(m, "P", P);
	set_input(m, "T_amb", Ta);
	initial(m, y);
	T0 = y[0];
	CHECK_INT(tw_model_input_hold(m, tw_model_input_index(m, "T_amb")), TW_MODEL_HOLD_LINEAR);
	CHECK_STR(tw_model_input_sensor(m, tw_model_input_index(m, "P")), "power_loss_w");
	if ((o = solver(m, TW_SOLVER_RK4, 1, 0, 0))) {
		for (int k = 1; k <= 30; k++) {
			double want;
			if (advance(o, &t, 100.0 * k, y) < 0)
				break;
			want = Ta + P * R + (T0 - Ta - P * R) * exp(-t / (R * C));
			maxerr = fmax(maxerr, fabs(y[0] - want));
		}
		CHECK(t == 3000);
		CHECK(maxerr < 1e-9);
		CHECK_INT(tw_ode_steps(o), 3000);
		CHECK_NEAR(output(m, "temp_c", t, y), y[0], 0);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* Draining: h(t) = (sqrt(h0) - Cv t / (2 A))^2; filling with the
 * defaults: h -> (u_pump Q_max / Cv)^2. */
static void tank(void)
{
	struct tw_model *m = library("tank.json");
	struct tw_ode *o;
	double y[1], t = 0, A, Cv, h0, tempty, maxerr = 0;

	if (!m)
		return;
	A = param(m, "A");
	Cv = param(m, "Cv");
	initial(m, y);
	h0 = y[0];
	tempty = 2 * A * sqrt(h0) / Cv;
	set_input(m, "u_pump", 0);
	set_input(m, "u_valve", 1);
	if ((o = solver(m, TW_SOLVER_RKF45, 1, 1e-10, 1e-12))) {
		for (int k = 1; k <= 9; k++) {
			double s;
			if (advance(o, &t, tempty * k / 10, y) < 0)
				break;
			s = sqrt(h0) - Cv * t / (2 * A);
			maxerr = fmax(maxerr, fabs(y[0] - s * s));
		}
		CHECK(maxerr < 1e-8);
		CHECK_NEAR(output(m, "outflow_m3h", t, y), Cv * sqrt(y[0]) * 3600, 1e-12);
		/* the defaults fill it to a steady level */
		set_input(m, "u_pump", 0.5);
		tw_ode_reset(o);
		if (advance(o, &t, t + 30000, y) == 0)
			CHECK_NEAR(y[0], pow(0.5 * param(m, "Q_max") / Cv, 2), 1e-6);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* x(t) = exp(-z wn t) (x0 cos(wd t) + (v0 + z wn x0) / wd sin(wd t)). */
static double msd_exact(const struct tw_model *m, double t, double x0, double v0)
{
	double k = param(m, "k"), c = param(m, "c"), mass = param(m, "m");
	double wn = sqrt(k / mass), z = c / (2 * sqrt(k * mass)), wd = wn * sqrt(1 - z * z);

	return exp(-z * wn * t) * (x0 * cos(wd * t) + (v0 + z * wn * x0) / wd * sin(wd * t));
}

static void mass_spring_damper(void)
{
	struct tw_model *m = library("mass-spring-damper.json");
	struct tw_ode *o;
	double y[2], t = 0, maxerr = 0;

	if (!m)
		return;
	initial(m, y);
	y[1] = 0.05;  /* some initial velocity too */
	if ((o = solver(m, TW_SOLVER_RK8PD, 1e-3, 1e-11, 1e-14))) {
		for (int k = 1; k <= 300; k++) {
			if (advance(o, &t, 0.01 * k, y) < 0)
				break;
			maxerr = fmax(maxerr, fabs(y[0] - msd_exact(m, t, 0.01, 0.05)));
		}
		CHECK(maxerr < 1e-10);
		/* a = (F - c v - k x) / m, an output over a variable */
		CHECK_NEAR(output(m, "accel_ms2", t, y),
			   (-param(m, "c") * y[1] - param(m, "k") * y[0]) / param(m, "m"), 1e-12);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* w = (Kt V - R T_load) / (Ke Kt + R b), i = (b w + T_load) / Kt. */
static void dc_motor(void)
{
	struct tw_model *m = library("dc-motor.json");
	struct tw_ode *o;
	double y[2], t = 0, V = 24, TL = 0.5, R, Ke, Kt, b, w, i;

	if (!m)
		return;
	R = param(m, "R");
	Ke = param(m, "Ke");
	Kt = param(m, "Kt");
	b = param(m, "b");
	set_input(m, "V", V);
	set_input(m, "T_load", TL);
	w = (Kt * V - R * TL) / (Ke * Kt + R * b);
	i = (b * w + TL) / Kt;
	initial(m, y);
	if ((o = solver(m, TW_SOLVER_RK4, 1e-4, 0, 0)) && advance(o, &t, 2, y) == 0) {
		CHECK_NEAR(y[0], i, 1e-9 * i);
		CHECK_NEAR(y[1], w, 1e-9 * w);
		CHECK_NEAR(output(m, "speed_rpm", t, y), w * 60 / (2 * M_PI), 1e-6);
	}
	tw_ode_free(o);
	/* the same with BDF, in far fewer steps */
	initial(m, y);
	t = 0;
	if ((o = solver(m, TW_SOLVER_BDF, 1e-5, 1e-10, 1e-12)) && advance(o, &t, 2, y) == 0) {
		CHECK_NEAR(y[1], w, 1e-7 * w);
		CHECK(tw_ode_steps(o) < 2000);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* z(t) = z0 - eta I t / (3600 Q); v = n_s ocv(z) - R_int I. */
static void battery(void)
{
	struct tw_model *m = library("battery.json");
	struct tw_ode *o;
	double y[1], t = 0, Q, ocv;

	if (!m)
		return;
	Q = param(m, "Q");
	initial(m, y);
	CHECK(y[0] == 1);
	set_input(m, "I", 25);
	if ((o = solver(m, TW_SOLVER_RK4, 10, 0, 0)) && advance(o, &t, 3600, y) == 0) {
		CHECK_NEAR(y[0], 1 - 25 * 3600 / (3600 * Q), 1e-12);
		ocv = 3.2 + 0.9 * y[0] - 0.5 * y[0] * y[0] + 0.6 * pow(y[0], 3);
		CHECK_NEAR(output(m, "voltage_v", t, y),
			   param(m, "n_s") * ocv - param(m, "R_int") * 25, 1e-9);
		CHECK_NEAR(output(m, "soc", t, y), 0.5, 1e-12);
		/* charging, at the coulombic efficiency */
		set_input(m, "I", -25);
		tw_ode_reset(o);
		if (advance(o, &t, 3600 + 1800, y) == 0)
			CHECK_NEAR(y[0], 0.5 + param(m, "eta_c") * 25 * 1800 / (3600 * Q), 1e-12);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* health crosses 0 at t_fail = (w_c / a) ln(1 + w_fail / w_c), with
 * a = k_w F n / 60. */
static void bearing_wear(void)
{
	struct tw_model *m = library("bearing-wear.json");
	struct tw_ode *o;
	double y[1], t = 0, a, wc, wf, tfail, hprev = 1, tprev = 0, tcross = NAN;

	if (!m)
		return;
	a = param(m, "k_w") * tw_model_input_default(m, 0) * tw_model_input_default(m, 1) / 60;
	wc = param(m, "w_c");
	wf = param(m, "w_fail");
	tfail = wc / a * log(1 + wf / wc);
	initial(m, y);
	if ((o = solver(m, TW_SOLVER_RKF45, 60, 1e-8, 1e-10))) {
		/* hourly, as a monitoring system would see it */
		while (t < 2 * tfail && advance(o, &t, t + 3600, y) == 0) {
			double h = output(m, "health", t, y);
			if (h <= 0) {
				tcross = tprev + (t - tprev) * hprev / (hprev - h);
				CHECK_NEAR(output(m, "vib_rms", t, y), 7.1, 0.01);
				break;
			}
			hprev = h;
			tprev = t;
		}
		CHECK_NEAR(tcross, tfail, 0.01 * tfail);
		CHECK_NEAR(tcross, tfail, 3600);
		CHECK_NEAR(tfail, 7.167e6, 1e3);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* ---- The solvers ---- */

/* The error of RK4 at step h on the mass-spring-damper at t = 1 s. */
static double rk4_error(struct tw_model *m, double h)
{
	struct tw_ode *o = solver(m, TW_SOLVER_RK4, h, 0, 0);
	double y[2], t = 0, err = NAN;

	initial(m, y);
	if (o && advance(o, &t, 1, y) == 0)
		err = fabs(y[0] - msd_exact(m, 1, tw_model_state_initial(m, 0), 0));
	tw_ode_free(o);
	return err;
}

/* Halving the step divides the error by about 2^4. */
static void rk4_order(void)
{
	struct tw_model *m = library("mass-spring-damper.json");
	double e1, e2, e3;

	if (!m)
		return;
	e1 = rk4_error(m, 0.02);
	e2 = rk4_error(m, 0.01);
	e3 = rk4_error(m, 0.005);
	if (!CHECK(e1 / e2 > 12 && e1 / e2 < 20) || !CHECK(e2 / e3 > 12 && e2 / e3 < 20))
		fprintf(stderr, "    errors %g %g %g: ratios %g %g\n", e1, e2, e3,
			e1 / e2, e2 / e3);
	tw_model_free(m);

	/* and on the thermal model */
	if (!(m = library("thermal.json")))
		return;
	{
		double ratio, err[2];
		for (int k = 0; k < 2; k++) {
			struct tw_ode *o = solver(m, TW_SOLVER_RK4, 80.0 / (k + 1), 0, 0);
			double y[1], t = 0, C = param(m, "C"), R = param(m, "R"), P = 1000;
			initial(m, y);
			err[k] = NAN;
			if (o && advance(o, &t, 1000, y) == 0)
				err[k] = fabs(y[0] - (25 + P * R - P * R * exp(-t / (R * C))));
			tw_ode_free(o);
		}
		ratio = err[0] / err[1];
		if (!CHECK(ratio > 12 && ratio < 20))
			fprintf(stderr, "    errors %g %g: ratio %g\n", err[0], err[1], ratio);
	}
	tw_model_free(m);
}

/* The adaptive explicit solvers' global error, over ten periods of the
 * oscillator, stays within a small multiple of their tolerance.  (BDF's
 * accumulates more on an oscillator, which is not what it is for: the
 * stiff problems test its accuracy.) */
static void adaptive_tolerance(void)
{
	static const enum tw_solver solvers[] = { TW_SOLVER_RKF45, TW_SOLVER_RK8PD };
	static const double tols[] = { 1e-4, 1e-6, 1e-8 };
	struct tw_model *m = library("mass-spring-damper.json");

	if (!m)
		return;
	for (size_t s = 0; s < 2; s++)
		for (size_t k = 0; k < 3; k++) {
			double rtol = tols[k], atol = 1e-3 * tols[k], x0, y[2], t = 0, maxerr = 0;
			struct tw_ode *o = solver(m, solvers[s], 1e-3, rtol, atol);
			initial(m, y);
			x0 = y[0];
			for (int i = 1; o && i <= 12; i++) {
				if (advance(o, &t, 0.25 * i, y) < 0)
					break;
				maxerr = fmax(maxerr, fabs(y[0] - msd_exact(m, t, x0, 0)));
			}
			/* relative to the amplitude x0 */
			if (getenv("TW_VERBOSE"))
				fprintf(stderr, "%s at rtol %g: error %.2f rtol x0, %ld steps\n",
					tw_solver_name(solvers[s]), rtol, maxerr / (rtol * x0),
					tw_ode_steps(o));
			if (!CHECK(maxerr < 10 * rtol * x0))
				fprintf(stderr, "    %s at rtol %g: error %g = %.2f rtol x0\n",
					tw_solver_name(solvers[s]), rtol, maxerr,
					maxerr / (rtol * x0));
			tw_ode_free(o);
		}
	tw_model_free(m);
}

/* y' = -1000 (y - cos t): BDF in few steps, RK4 at a large step blows
 * up; and Robertson's chemical kinetics. */
static void stiff(void)
{
	static const char LINEAR[] =
		"{\"states\": {\"y\": {\"initial\": 0}},"
		" \"parameters\": {\"lambda\": 1000},"
		" \"derivatives\": {\"y\": \"-lambda * (y - cos(t))\"}}";
	static const char ROBERTSON[] =
		"{\"comment\": \"Robertson (1966), the classic stiff test\","
		" \"states\": {\"y1\": {\"initial\": 1}, \"y2\": {\"initial\": 0},"
		"            \"y3\": {\"initial\": 0}},"
		" \"parameters\": {\"k1\": 0.04, \"k2\": 3e7, \"k3\": 1e4},"
		" \"variables\": {\"r1\": \"k1 * y1\", \"r2\": \"k2 * y2^2\", \"r3\": \"k3 * y2 * y3\"},"
		" \"derivatives\": {\"y1\": \"-r1 + r3\", \"y2\": \"r1 - r2 - r3\", \"y3\": \"r2\"},"
		" \"outputs\": {\"total\": {\"expr\": \"y1 + y2 + y3\"}}}";
	struct tw_model *m;
	struct tw_ode *o;
	struct tw_err e;
	double y[3], t = 0, L = 1000, exact;
	long bdf_steps = 0, rkf_steps = 0;

	if (!CHECK((m = parse(LINEAR, &e)) != NULL)) {
		fprintf(stderr, "    %s\n", e.msg);
		return;
	}
	exact = (L * L * cos(10.0) + L * sin(10.0)) / (L * L + 1) - L * L / (L * L + 1) * exp(-L * 10);
	y[0] = 0;
	if ((o = solver(m, TW_SOLVER_BDF, 1e-4, 1e-7, 1e-9)) && advance(o, &t, 10, y) == 0) {
		CHECK_NEAR(y[0], exact, 1e-5);
		bdf_steps = tw_ode_steps(o);
		CHECK(bdf_steps < 500);
	}
	tw_ode_free(o);
	/* rkf45 gets there too, held back by stability, not accuracy */
	y[0] = 0;
	t = 0;
	if ((o = solver(m, TW_SOLVER_RKF45, 1e-4, 1e-7, 1e-9)) && advance(o, &t, 10, y) == 0) {
		CHECK_NEAR(y[0], exact, 1e-5);
		rkf_steps = tw_ode_steps(o);
		CHECK(rkf_steps > 5 * bdf_steps);
	}
	tw_ode_free(o);
	/* RK4 at h = 0.01 (h lambda = 10, past RK4's stability limit 2.79) */
	y[0] = 0;
	t = 0;
	if ((o = solver(m, TW_SOLVER_RK4, 0.01, 0, 0))) {
		int rc = tw_ode_advance(o, &t, 10, y, &e);
		CHECK(rc < 0 || fabs(y[0]) > 1e6);
		if (rc < 0) {
			CHECK(strstr(e.msg, "the solver failed at t=") == e.msg);
			CHECK(strstr(e.msg, "is not finite") != NULL);
			CHECK(t < 10);
		}
	}
	tw_ode_free(o);
	tw_model_free(m);

	if (!CHECK((m = parse(ROBERTSON, &e)) != NULL)) {
		fprintf(stderr, "    %s\n", e.msg);
		return;
	}
	initial(m, y);
	t = 0;
	/* reference values at t = 40: Hairer and Wanner, Solving ODEs II */
	if ((o = solver(m, TW_SOLVER_BDF, 1e-6, 1e-8, 1e-12)) && advance(o, &t, 40, y) == 0) {
		CHECK_NEAR(y[0], 0.7158270687, 1e-6);
		CHECK_NEAR(y[1], 9.185534764e-6, 1e-10);
		CHECK_NEAR(y[2], 0.2841637457, 1e-6);
		CHECK_NEAR(output(m, "total", t, y), 1, 1e-12);
		CHECK(tw_ode_steps(o) < 1000);
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* Fixed steps land on the target; errors; reset. */
static void solver_api(void)
{
	static const char RAMP[] =
		"{\"states\": {\"x\": {\"initial\": 0}}, \"inputs\": {\"u\": {\"default\": 2}},"
		" \"derivatives\": {\"x\": \"u\"}}";
	static const char BAD[] =
		"{\"states\": {\"x\": {\"initial\": 1}}, \"derivatives\": {\"x\": \"t < 0.5 ? 1 : sqrt(-x)\"}}";
	static const char HUGE[] =
		"{\"states\": {\"x\": {\"initial\": 0}}, \"derivatives\": {\"x\": \"1e308\"}}";
	enum tw_solver s;
	struct tw_model *m;
	struct tw_ode *o;
	struct tw_err e;
	double y[1], t = 0;

	CHECK(tw_solver_parse("rk4", &s, &e) == 0 && s == TW_SOLVER_RK4);
	CHECK(tw_solver_parse("rkf45", &s, &e) == 0 && s == TW_SOLVER_RKF45);
	CHECK(tw_solver_parse("rk8pd", &s, &e) == 0 && s == TW_SOLVER_RK8PD);
	CHECK(tw_solver_parse("bdf", &s, &e) == 0 && s == TW_SOLVER_BDF);
	CHECK(tw_solver_parse("euler", &s, &e) < 0);
	CHECK_STR(e.msg, "unknown solver 'euler' (known: rk4, rkf45, rk8pd, bdf)");
	CHECK_STR(tw_solver_name(TW_SOLVER_RK8PD), "rk8pd");

	if (!CHECK((m = parse(RAMP, &e)) != NULL))
		return;
	CHECK(tw_ode_new(m, TW_SOLVER_RK4, 0, 0, 0, &e) == NULL);
	CHECK_STR(e.msg, "the step must be a number of seconds greater than zero");
	CHECK(tw_ode_new(m, TW_SOLVER_RK4, NAN, 0, 0, &e) == NULL);
	CHECK(tw_ode_new(m, TW_SOLVER_RKF45, 1, 0, 0, &e) == NULL);
	CHECK_STR(e.msg, "the tolerances must not be negative, nor both zero");
	CHECK(tw_ode_new(m, TW_SOLVER_RKF45, 1, -1, 1, &e) == NULL);

	if ((o = solver(m, TW_SOLVER_RK4, 0.1, 0, 0))) {
		y[0] = 0;
		CHECK(advance(o, &t, 0.35, y) == 0);
		CHECK(t == 0.35);  /* exactly */
		CHECK_INT(tw_ode_steps(o), 4);
		CHECK_NEAR(y[0], 0.7, 1e-15);
		CHECK(advance(o, &t, 0.35, y) == 0);  /* nothing to do */
		CHECK_INT(tw_ode_steps(o), 4);
		CHECK(tw_ode_advance(o, &t, 0.3, y, &e) < 0);
		CHECK_STR(e.msg, "cannot advance from t=0.34999999999999998 s back to "
			  "0.29999999999999999 s");
		/* an input step, then on */
		tw_model_input_set(m, 0, -1);
		tw_ode_reset(o);
		CHECK(advance(o, &t, 1.35, y) == 0);
		CHECK_NEAR(y[0], -0.3, 1e-14);
		CHECK_INT(tw_ode_steps(o), 14);
	}
	tw_ode_free(o);
	/* an adaptive solver keeps its step across calls; lands exactly */
	t = 0;
	y[0] = 0;
	tw_model_input_set(m, 0, 2);
	if ((o = solver(m, TW_SOLVER_RK8PD, 0.01, 1e-6, 1e-9))) {
		for (int k = 1; k <= 100; k++)
			if (advance(o, &t, k * 0.1, y) < 0)
				break;
		CHECK(t == 100 * 0.1);
		CHECK_NEAR(y[0], 20, 1e-12);
		CHECK(tw_ode_steps(o) < 200);
	}
	tw_ode_free(o);
	tw_model_free(m);

	/* a derivative that is not finite, named; y and t as last reached */
	if (!CHECK((m = parse(BAD, &e)) != NULL))
		return;
	for (s = TW_SOLVER_RK4; s <= TW_SOLVER_BDF; s++) {
		t = 0;
		y[0] = 1;
		if (!(o = solver(m, s, 0.1, 1e-6, 1e-9)))
			continue;
		if (!CHECK(tw_ode_advance(o, &t, 2, y, &e) < 0)) {
			tw_ode_free(o);
			continue;
		}
		if (!CHECK(strstr(e.msg, " s: model.derivatives.x is not finite") != NULL))
			fprintf(stderr, "    %s: %s\n", tw_solver_name(s), e.msg);
		CHECK(strncmp(e.msg, "the solver failed at t=0.", 25) == 0);
		CHECK(t <= 0.5 && isfinite(y[0]) && y[0] >= 1);
		CHECK_NEAR(y[0], 1 + t, 1e-9);
		tw_ode_free(o);
	}
	tw_model_free(m);

	/* finite derivatives that overflow a state */
	if (!CHECK((m = parse(HUGE, &e)) != NULL))
		return;
	t = 0;
	y[0] = 0;
	if ((o = solver(m, TW_SOLVER_RK4, 1, 0, 0))) {
		CHECK(tw_ode_advance(o, &t, 10, y, &e) < 0);
		CHECK_STR(e.msg, "the solver failed at t=10 s: the state x is not finite");
	}
	tw_ode_free(o);
	tw_model_free(m);
}

/* ---- The model section ---- */

static void model_api(void)
{
	/* variables and outputs used before they are defined; comments
	 * everywhere; every attribute */
	static const char FULL[] =
		"{\"comment\": \"a test\","
		" \"states\": {\"comment\": 1, \"x\": {\"initial\": 2, \"unit\": \"m\", \"comment\": 2}},"
		" \"parameters\": {\"comment\": 1, \"k\": 3,"
		"   \"c\": {\"value\": 0.5, \"unit\": \"1/s\", \"min\": 0, \"max\": 1, \"comment\": 3}},"
		" \"inputs\": {\"comment\": 1, \"u\": {},"
		"   \"w\": {\"default\": 4, \"hold\": \"linear\", \"sensor\": \"w_meas\", \"unit\": \"N\","
		"         \"comment\": 4}},"
		" \"variables\": {\"comment\": 1, \"a\": \"b * 2\", \"b\": \"c * x + t\"},"
		" \"derivatives\": {\"comment\": 1, \"x\": \"-a + u + w\"},"
		" \"outputs\": {\"comment\": 1, \"o1\": {\"expr\": \"o2 + 1\"},"
		"   \"o2\": {\"expr\": \"a + k\", \"noise\": 0.25, \"unit\": \"m\", \"sensor\": \"pos\","
		"          \"comment\": 5}}}";
	struct tw_model *m;
	struct tw_err e;
	double y[1] = { 2 }, dydt[1], out[2];

	if (!CHECK((m = parse(FULL, &e)) != NULL)) {
		fprintf(stderr, "    %s\n", e.msg);
		return;
	}
	CHECK_STR(tw_model_comment(m), "a test");
	CHECK_INT(tw_model_nstates(m), 1);
	CHECK_INT(tw_model_nparams(m), 2);
	CHECK_INT(tw_model_ninputs(m), 2);
	CHECK_INT(tw_model_noutputs(m), 2);
	CHECK_STR(tw_model_state_name(m, 0), "x");
	CHECK_STR(tw_model_state_unit(m, 0), "m");
	CHECK(tw_model_state_initial(m, 0) == 2);
	CHECK_INT(tw_model_state_index(m, "x"), 0);
	CHECK_INT(tw_model_state_index(m, "k"), -1);
	CHECK_INT(tw_model_param_index(m, "k"), 0);
	CHECK_INT(tw_model_param_index(m, "c"), 1);
	CHECK_INT(tw_model_param_index(m, "x"), -1);
	CHECK_STR(tw_model_param_name(m, 1), "c");
	CHECK(tw_model_param_unit(m, 0) == NULL);
	CHECK_STR(tw_model_param_unit(m, 1), "1/s");
	CHECK(tw_model_param_value(m, 0) == 3 && tw_model_param_get(m, 0) == 3);
	CHECK(isnan(tw_model_param_min(m, 0)) && isnan(tw_model_param_max(m, 0)));
	CHECK(tw_model_param_min(m, 1) == 0 && tw_model_param_max(m, 1) == 1);
	CHECK_INT(tw_model_input_index(m, "w"), 1);
	CHECK_STR(tw_model_input_name(m, 0), "u");
	CHECK_STR(tw_model_input_sensor(m, 0), "u");
	CHECK(tw_model_input_unit(m, 0) == NULL);
	CHECK(tw_model_input_default(m, 0) == 0 && tw_model_input_get(m, 0) == 0);
	CHECK_INT(tw_model_input_hold(m, 0), TW_MODEL_HOLD_STEP);
	CHECK_STR(tw_model_input_sensor(m, 1), "w_meas");
	CHECK_STR(tw_model_input_unit(m, 1), "N");
	CHECK(tw_model_input_default(m, 1) == 4 && tw_model_input_get(m, 1) == 4);
	CHECK_INT(tw_model_input_hold(m, 1), TW_MODEL_HOLD_LINEAR);
	CHECK_INT(tw_model_output_index(m, "o2"), 1);
	CHECK_STR(tw_model_output_sensor(m, 0), "o1");
	CHECK(tw_model_output_unit(m, 0) == NULL && tw_model_output_noise(m, 0) == 0);
	CHECK_STR(tw_model_output_sensor(m, 1), "pos");
	CHECK_STR(tw_model_output_unit(m, 1), "m");
	CHECK(tw_model_output_noise(m, 1) == 0.25);
	CHECK_INT(tw_model_bad_state(m), -1);

	/* b = 0.5 * 2 + 1 = 2, a = 4, x' = -4 + 0 + 4 = 0 */
	CHECK_INT(tw_model_rhs(m, 1, y, dydt), 0);
	CHECK(dydt[0] == 0);
	tw_model_input_set(m, 0, 1.5);
	tw_model_param_set(m, 1, 1);
	CHECK(tw_model_param_get(m, 1) == 1 && tw_model_param_value(m, 1) == 0.5);
	/* b = 3, a = 6, x' = -6 + 1.5 + 4 */
	CHECK_INT(tw_model_rhs(m, 1, y, dydt), 0);
	CHECK(dydt[0] == -0.5);
	/* o2 = a + k = 9, o1 = 10 */
	tw_model_outputs(m, 1, y, out);
	CHECK(out[0] == 10 && out[1] == 9);
	tw_model_free(m);
	tw_model_free(NULL);
}

#define S0 "\"states\": {\"T\": {\"initial\": 1}}"
#define D0 "\"derivatives\": {\"T\": \"-T\"}"

static void errors(void)
{
	struct tw_err e;

	CHECK(tw_model_load(NULL, "t.json", &e) == NULL);
	CHECK_STR(e.msg, "t.json: no model section");
	CHECK_STR(err("{" S0 ", " D0 "}"), "OK");
	CHECK_STR(err("[]"), "t.json: model: expected an object");

	/* unknown variable, naming the field and the column */
	CHECK_STR(err("{" S0 ", \"derivatives\": {\"T\": \"-T * X\"}}"),
		  "t.json: model.derivatives.T: unknown variable 'X' at column 6");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o\": {\"expr\": \"T + y\"}}}"),
		  "t.json: model.outputs.o.expr: unknown variable 'y' at column 5");
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"v\": \"T +\"}}"),
		  "t.json: model.variables.v: syntax error at column 4: Unexpected end of expression");
	/* cycles */
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"a\": \"b + 1\", \"b\": \"a * T\"}}"),
		  "t.json: model.variables: cycle: a -> b -> a");
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"a\": \"a + 1\"}}"),
		  "t.json: model.variables: cycle: a -> a");
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"x\": \"T\", \"a\": \"b\", \"b\": \"c\","
		      " \"c\": \"x + b\"}}"),
		  "t.json: model.variables: cycle: b -> c -> b");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o1\": {\"expr\": \"o2\"},"
		      " \"o2\": {\"expr\": \"o1 + T\"}}}"),
		  "t.json: model.outputs: cycle: o1 -> o2 -> o1");
	/* outputs come last */
	CHECK_STR(err("{" S0 ", \"derivatives\": {\"T\": \"-o\"}, \"outputs\": {\"o\": {\"expr\": \"T\"}}}"),
		  "t.json: model.derivatives.T: uses the output 'o' (only outputs may use outputs)");
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"v\": \"o\"}, \"outputs\": {\"o\": {\"expr\": \"T\"}}}"),
		  "t.json: model.variables.v: uses the output 'o' (only outputs may use outputs)");
	/* states and derivatives */
	CHECK_STR(err("{\"states\": {\"T\": {\"unit\": \"K\"}}, " D0 "}"),
		  "t.json: model.states.T.initial: missing");
	CHECK_STR(err("{\"states\": {\"T\": {\"initial\": \"1\"}}, " D0 "}"),
		  "t.json: model.states.T.initial: expected a number");
	CHECK_STR(err("{\"states\": {\"T\": 1}, " D0 "}"),
		  "t.json: model.states.T: expected an object");
	CHECK_STR(err("{" D0 "}"), "t.json: model.states: missing");
	CHECK_STR(err("{\"states\": {\"comment\": 1}, " D0 "}"),
		  "t.json: model.states: a model needs at least one state");
	CHECK_STR(err("{" S0 "}"), "t.json: model.derivatives: missing");
	CHECK_STR(err("{" S0 ", \"derivatives\": {\"T\": \"-T\", \"U\": \"1\"}}"),
		  "t.json: model.derivatives.U: not a state (each state has one derivative, "
		  "under the state's name)");
	CHECK_STR(err("{\"states\": {\"T\": {\"initial\": 1}, \"U\": {\"initial\": 2}}, " D0 "}"),
		  "t.json: model.derivatives.U: missing (the state U needs a derivative)");
	CHECK_STR(err("{" S0 ", \"derivatives\": {\"T\": 1}}"),
		  "t.json: model.derivatives.T: expected a string (an expression)");
	CHECK_STR(err("{" S0 ", \"derivatives\": {\"T\": \" \"}}"),
		  "t.json: model.derivatives.T: empty expression");
	/* names */
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"T\": 1}}"),
		  "t.json: model.parameters.T: duplicate name (also in model.states)");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"u\": {}}, \"outputs\": {\"u\": {\"expr\": \"T\"}}}"),
		  "t.json: model.outputs.u: duplicate name (also in model.inputs)");
	CHECK_STR(err("{" S0 ", " D0 ", \"variables\": {\"t\": \"T\"}}"),
		  "t.json: model.variables.t: a reserved name (t is the simulation time)");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"_pi\": 3}}"),
		  "t.json: model.parameters._pi: a reserved name (a constant of expressions)");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"2k\": 3}}"),
		  "t.json: model.parameters.2k: not a valid name (letters, digits, '_' and inner '.', "
		  "not first a digit)");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"\": {}}}"),
		  "t.json: model.inputs.: an empty name");
	/* parameters */
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": \"5000\"}}"),
		  "t.json: model.parameters.C: expected a number, or an object with a value");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"value\": \"5000\"}}}"),
		  "t.json: model.parameters.C.value: expected a number");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"unit\": \"J/K\"}}}"),
		  "t.json: model.parameters.C.value: missing");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"value\": 1, \"min\": true}}}"),
		  "t.json: model.parameters.C.min: expected a number");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"value\": 1, \"min\": 2, \"max\": 0}}}"),
		  "t.json: model.parameters.C: min (2) is greater than max (0)");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"value\": 5, \"max\": 1}}}"),
		  "t.json: model.parameters.C: value (5) is outside min to max");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": []}"),
		  "t.json: model.parameters: expected an object");
	/* inputs and outputs */
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"P\": {\"hold\": \"cubic\"}}}"),
		  "t.json: model.inputs.P.hold: expected \"step\" or \"linear\"");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"P\": {\"default\": null}}}"),
		  "t.json: model.inputs.P.default: expected a number");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"P\": {\"sensor\": \"\"}}}"),
		  "t.json: model.inputs.P.sensor: expected a non-empty string");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"P\": 5}}"),
		  "t.json: model.inputs.P: expected an object");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o\": {\"noise\": 1}}}"),
		  "t.json: model.outputs.o.expr: missing");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o\": {\"expr\": \"T\", \"noise\": -1}}}"),
		  "t.json: model.outputs.o.noise: must not be negative");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o\": \"T\"}}"),
		  "t.json: model.outputs.o: expected an object");
	/* unknown keys */
	CHECK_STR(err("{" S0 ", " D0 ", \"derivative\": {}}"),
		  "t.json: model.derivative: unknown key (known: states, parameters, inputs, "
		  "variables, derivatives, outputs, comment)");
	CHECK_STR(err("{\"states\": {\"T\": {\"initial\": 1, \"inital\": 1}}, " D0 "}"),
		  "t.json: model.states.T.inital: unknown key (known: initial, unit, comment)");
	CHECK_STR(err("{" S0 ", " D0 ", \"parameters\": {\"C\": {\"value\": 1, \"mni\": 0}}}"),
		  "t.json: model.parameters.C.mni: unknown key (known: value, unit, min, max, comment)");
	CHECK_STR(err("{" S0 ", " D0 ", \"inputs\": {\"P\": {\"defualt\": 0}}}"),
		  "t.json: model.inputs.P.defualt: unknown key (known: default, hold, sensor, unit, "
		  "comment)");
	CHECK_STR(err("{" S0 ", " D0 ", \"outputs\": {\"o\": {\"expr\": \"T\", \"sigma\": 1}}}"),
		  "t.json: model.outputs.o.sigma: unknown key (known: expr, noise, unit, sensor, "
		  "comment)");
	/* no file name */
	{
		json_t *j = json_loads("{\"states\": {}}", 0, NULL);
		CHECK(tw_model_load(j, NULL, &e) == NULL);
		CHECK_STR(e.msg, "model.states: a model needs at least one state");
		json_decref(j);
	}
}

int main(void)
{
	all_models();
	thermal();
	tank();
	mass_spring_damper();
	dc_motor();
	battery();
	bearing_wear();
	rk4_order();
	adaptive_tolerance();
	stiff();
	solver_api();
	model_api();
	errors();
	return check_done("test_model");
}
