/* twin-predict - anomaly scores, forecasts and remaining useful life
 * for the twin's stream.
 *
 * The engine is lib/predict.c over lib/detect.c, lib/pca.c,
 * lib/forecast.c and lib/rul.c; this file is the command line. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "cli.h"
#include "in.h"
#include "predict.h"
#include "run.h"
#include "shard.h"
#include "timestamp.h"

static const char *const tool = "twin-predict";

static void usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n", tool);
	fputs("Score how abnormal each series of the twin's stream is (NDJSON): every numeric\n"
	      "reading, state value and residual of twin-sim gets a score record in [0,1];\n"
	      "forecast what comes next and how long a component has left.  Records pass\n"
	      "through.\n"
	      "\n"
	      "Detection:\n"
	      "  -m, --method=NAME        auto (default: spatial), mad, cusum, likelihood,\n"
	      "                           spatial, cad (each series), or pca (the states of\n"
	      "                           each asset)\n"
	      "      --threshold=X        alarm at a score of X or more (default 0.9 for mad\n"
	      "                           and cusum, 0.4 likelihood, 0.8 spatial, 0.67 cad,\n"
	      "                           0.5 pca)\n"
	      "      --window=N           samples in the rolling window (default 288)\n"
	      "      --train=N|DUR        reference period: N samples, or a duration such as 1h\n"
	      "                           (default 288 samples)\n"
	      "      --sensors=LIST       only these sensors (comma-separated)\n"
	      "      --alarms-only        write score records only when they alarm\n"
	      "      --no-scores          write no score records\n"
	      "      --variance=F         pca: keep components explaining F of the variance\n"
	      "                           (default 0.9)\n"
	      "      --components=K       pca: keep K components\n"
	      "      --confidence=P       pca: control limits at confidence P (default 0.99)\n"
	      "      --smooth=A           pca: smooth T2 and Q, weight A for the newest state\n"
	      "                           (default 1: no smoothing)\n"
	      "      --statistics=LIST    pca: the statistics that alarm: t2, q or t2,q (default)\n"
	      "\n"
	      "Forecasts and remaining useful life:\n"
	      "      --forecast=DUR       forecast each series DUR ahead, with an interval\n"
	      "      --forecast-method=NAME  holt (default), holt-winters or ar\n"
	      "      --season=DUR         holt-winters: the seasonal period (default: detected)\n"
	      "      --ar-order=P         ar: the order (default: chosen by AIC)\n"
	      "      --forecast-every=N   a forecast every N samples (default 1)\n"
	      "      --level=P            coverage of the intervals (default 0.95)\n"
	      "      --rul                remaining useful life of each asset (needs a model)\n"
	      "      --rul-cap=DUR        rul: the longest life predicted (default: learned)\n"
	      "\n"
	      "Models:\n"
	      "      --fit=FILE           learn from the whole input and write a model to FILE\n"
	      "      --model=FILE         start from the model in FILE\n"
	      "\n"
	      "Scaling out:\n"
	      "      --shard=K/N          keep only the assets of shard K of N (0 <= K < N),\n"
	      "                           as Kafka's default partitioner assigns them\n"
	      "\n"
	      "Errors:\n"
	      "      --stats              print counts at the end on stderr\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some lines rejected, 2 usage or fatal error.\n"
	      "See twin-predict(1) and twin-format(5).\n", stdout);
}

enum {
	OPT_THRESHOLD = 256, OPT_WINDOW, OPT_TRAIN, OPT_SENSORS, OPT_ALARMS_ONLY, OPT_NO_SCORES,
	OPT_VARIANCE, OPT_COMPONENTS, OPT_CONFIDENCE, OPT_SMOOTH, OPT_STATISTICS, OPT_FORECAST, OPT_FORECAST_METHOD, OPT_SEASON,
	OPT_AR_ORDER, OPT_FORECAST_EVERY, OPT_LEVEL, OPT_RUL, OPT_RUL_CAP, OPT_FIT, OPT_MODEL, OPT_SHARD,
	OPT_STATS, OPT_REJECTS, OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "method", required_argument, NULL, 'm' },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "train", required_argument, NULL, OPT_TRAIN },
	{ "sensors", required_argument, NULL, OPT_SENSORS },
	{ "alarms-only", no_argument, NULL, OPT_ALARMS_ONLY },
	{ "no-scores", no_argument, NULL, OPT_NO_SCORES },
	{ "variance", required_argument, NULL, OPT_VARIANCE },
	{ "components", required_argument, NULL, OPT_COMPONENTS },
	{ "confidence", required_argument, NULL, OPT_CONFIDENCE },
	{ "smooth", required_argument, NULL, OPT_SMOOTH },
	{ "statistics", required_argument, NULL, OPT_STATISTICS },
	{ "forecast", required_argument, NULL, OPT_FORECAST },
	{ "forecast-method", required_argument, NULL, OPT_FORECAST_METHOD },
	{ "season", required_argument, NULL, OPT_SEASON },
	{ "ar-order", required_argument, NULL, OPT_AR_ORDER },
	{ "forecast-every", required_argument, NULL, OPT_FORECAST_EVERY },
	{ "level", required_argument, NULL, OPT_LEVEL },
	{ "rul", no_argument, NULL, OPT_RUL },
	{ "rul-cap", required_argument, NULL, OPT_RUL_CAP },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "model", required_argument, NULL, OPT_MODEL },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static size_t count(const char *opt, const char *s, double min)
{
	double v = tw_cli_number(tool, opt, s, -INFINITY);
	if (v != floor(v) || v > 1e9)
		tw_cli_usage(tool, "%s: '%s' is not a whole number", opt, s);
	if (v < min)
		tw_cli_usage(tool, "%s: must be at least %g", opt, min);
	return (size_t)v;
}

/* A fraction strictly inside (0,1), or in (0,1] when one_ok. */
static double fraction(const char *opt, const char *s, bool one_ok)
{
	double v = tw_cli_number(tool, opt, s, 0);
	if (v <= 0 || v > 1 || (v == 1 && !one_ok))
		tw_cli_usage(tool, "%s: must be between 0 and 1%s", opt, one_ok ? "" : " (exclusive)");
	return v;
}

/* --train: a bare whole number is samples; anything else a duration. */
static void train(struct tw_predict_opts *o, const char *s)
{
	if (*s && strspn(s, "0123456789") == strlen(s)) {
		o->train = (long long)count("--train", s, 0);
		o->train_dur = 0;
	} else {
		o->train_dur = tw_cli_duration(tool, "--train", s, true);
	}
}

/* The read loop's callback (run.h); lines too long never come here. */
static int predict_line(void *p, const char *file, long long lineno, const char *line, size_t len,
			const char *eol, bool too_long, struct tw_err *e)
{
	(void)too_long, (void)e;
	return tw_predict_line(p, file, lineno, line, len, eol);
}

int main(int argc, char **argv)
{
	struct tw_predict_opts o;
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e;
	const char *rejects = NULL, *model_file = NULL;
	json_t *model = NULL;
	bool stats = false, level_set = false;
	int c;

	argv[0] = (char *)tool;
	tw_predict_opts_init(&o);
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "m:h", options, NULL)) != -1) {
		switch (c) {
		case 'm': o.method = optarg; break;
		case OPT_THRESHOLD:
			o.threshold = tw_cli_number(tool, "--threshold", optarg, 0);
			if (o.threshold > 1)
				tw_cli_usage(tool, "--threshold: scores are in [0,1]");
			break;
		case OPT_WINDOW: o.detect.window = count("--window", optarg, 3); break;
		case OPT_TRAIN: train(&o, optarg); break;
		case OPT_SENSORS:
			if (strspn(optarg, ",") == strlen(optarg))
				tw_cli_usage(tool, "--sensors: name at least one sensor");
			o.sensors = optarg;
			break;
		case OPT_ALARMS_ONLY: o.alarms_only = true; break;
		case OPT_NO_SCORES: o.no_scores = true; break;
		case OPT_VARIANCE: o.pca.variance = fraction("--variance", optarg, true); break;
		case OPT_COMPONENTS: o.pca.components = count("--components", optarg, 1); break;
		case OPT_CONFIDENCE: o.pca.confidence = fraction("--confidence", optarg, false); break;
		case OPT_SMOOTH: o.smooth = fraction("--smooth", optarg, true); break;
		case OPT_STATISTICS:
			if (strcmp(optarg, "t2") && strcmp(optarg, "q") && strcmp(optarg, "t2,q") &&
			    strcmp(optarg, "q,t2"))
				tw_cli_usage(tool, "--statistics: '%s' is not t2, q or t2,q", optarg);
			o.use_t2 = strstr(optarg, "t2") != NULL;
			o.use_q = strcmp(optarg, "t2") != 0;
			break;
		case OPT_FORECAST: o.forecast = tw_cli_duration(tool, "--forecast", optarg, true); break;
		case OPT_FORECAST_METHOD: o.fc.method = optarg; break;
		case OPT_SEASON: o.season = tw_cli_duration(tool, "--season", optarg, true); break;
		case OPT_AR_ORDER: o.fc.order = count("--ar-order", optarg, 1); break;
		case OPT_FORECAST_EVERY:
			o.forecast_every = (long long)count("--forecast-every", optarg, 1);
			break;
		case OPT_LEVEL:
			o.fc.level = o.rul_opts.level = fraction("--level", optarg, false);
			level_set = true;
			break;
		case OPT_RUL: o.rul = true; break;
		case OPT_RUL_CAP:
			o.rul_opts.cap = (double)tw_cli_duration(tool, "--rul-cap", optarg, true) / 1e9;
			break;
		case OPT_FIT: o.fit = optarg; break;
		case OPT_MODEL: model_file = optarg; break;
		case OPT_SHARD:
			if (tw_shard_parse(optarg, &o.shard_k, &o.shard_n, &e) < 0)
				tw_cli_usage(tool, "%s", e.msg);
			break;
		case OPT_STATS: stats = true; break;
		case OPT_REJECTS: rejects = optarg; break;
		case OPT_STRICT: diag.strict = true; break;
		case 'h': usage(); return TW_EXIT_OK;
		case OPT_VERSION: tw_cli_version(tool); return TW_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", tool);
			return TW_EXIT_FATAL;
		}
	}
	if (!level_set)
		o.rul_opts.level = o.fc.level;
	if (o.fit && model_file && strcmp(o.fit, model_file) == 0)
		tw_cli_usage(tool, "--fit and --model name the same file");
	if (model_file) {
		if (!(model = tw_json_load_file(model_file, false, &e))) {
			tw_diag_say(&diag, "%s", e.msg);
			return TW_EXIT_FATAL;
		}
		o.model = model, o.model_file = model_file;
	}
	tw_tz_set(NULL, NULL);
	struct tw_predict *p = tw_predict_new(&o, &out, &diag, &e);
	if (!p) {
		json_decref(model);
		if (model_file)   /* the model is at fault, not the command line */
			tw_diag_say(&diag, "%s", e.msg);
		else
			tw_cli_usage(tool, "%s", e.msg);
		return TW_EXIT_FATAL;
	}
	tw_out_init(&out, STDOUT_FILENO, "standard output");   /* p writes to it from the first line */
	int status = TW_EXIT_OK;
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	} else {
		char *stdin_only[] = { "-", NULL };
		struct tw_run run = { .out = &out, .diag = &diag, .line = predict_line, .ctx = p };
		if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0 ||
		    tw_predict_finish(p, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		}
	}
	if (stats) {
		struct tw_predict_stats st;
		tw_predict_stats(p, &st);
		fprintf(stderr, "%s: %lld lines: %lld passed through, %lld rejected, %lld of other shards; "
			"%lld samples of %lld series, %lld scores, %lld alarms, %lld forecasts, %lld rul, "
			"%lld unscored; method %s\n", tool, st.lines, st.passed, diag.rejected,
			st.other_shards, st.samples, st.series, st.scores, st.alarms, st.forecasts, st.ruls,
			st.unscored, st.method);
	}
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_predict_free(p);
	json_decref(model);
	return tw_cli_finish(&out, &diag, status);
}
