/* twin-predict - anomaly scores for every series of the twin's stream.
 *
 * The engine is lib/predict.c over lib/detect.c; this file is the command
 * line.  Forecasts, remaining useful life and the multivariate detectors
 * of twin-predict(1)'s plan are not here yet. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "in.h"
#include "predict.h"
#include "run.h"
#include "timestamp.h"

static const char *const tool = "twin-predict";

static void usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n", tool);
	fputs("Score how abnormal each series of the twin's stream is (NDJSON): every numeric\n"
	      "reading, state value and residual of twin-sim gets a score record in [0,1].\n"
	      "Records pass through.\n"
	      "\n"
	      "Detection:\n"
	      "  -m, --method=NAME        auto (default), mad, cusum or likelihood\n"
	      "      --threshold=X        alarm at a score of X or more (default 0.9; 0.4 for\n"
	      "                           likelihood and auto)\n"
	      "      --window=N           samples in the rolling window (default 288)\n"
	      "      --warmup=N           samples learned before scores are given (default 288)\n"
	      "      --sensors=LIST       score only these sensors (comma-separated)\n"
	      "      --alarms-only        write score records only when they alarm\n"
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
	OPT_THRESHOLD = 256, OPT_WINDOW, OPT_WARMUP, OPT_SENSORS, OPT_ALARMS_ONLY, OPT_STATS,
	OPT_REJECTS, OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "method", required_argument, NULL, 'm' },
	{ "threshold", required_argument, NULL, OPT_THRESHOLD },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "sensors", required_argument, NULL, OPT_SENSORS },
	{ "alarms-only", no_argument, NULL, OPT_ALARMS_ONLY },
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
	const char *rejects = NULL;
	bool stats = false;
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
		case OPT_WARMUP: o.detect.warmup = count("--warmup", optarg, 0); break;
		case OPT_SENSORS:
			if (strspn(optarg, ",") == strlen(optarg))
				tw_cli_usage(tool, "--sensors: name at least one sensor");
			o.sensors = optarg;
			break;
		case OPT_ALARMS_ONLY: o.alarms_only = true; break;
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
	tw_tz_set(NULL, NULL);
	tw_out_init(&out, STDOUT_FILENO, "standard output");
	struct tw_predict *p = tw_predict_new(&o, &out, &diag, &e);
	if (!p)
		tw_cli_usage(tool, "%s", e.msg);
	int status = TW_EXIT_OK;
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	} else {
		char *stdin_only[] = { "-", NULL };
		struct tw_run run = { .out = &out, .diag = &diag, .line = predict_line, .ctx = p };
		if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		}
	}
	if (stats) {
		struct tw_predict_stats st;
		tw_predict_stats(p, &st);
		fprintf(stderr, "%s: %lld lines: %lld samples of %lld series, %lld scores, %lld alarms\n", tool,
			st.lines, st.samples, st.series, st.scores, st.alarms);
	}
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_predict_free(p);
	return tw_cli_finish(&out, &diag, status);
}
