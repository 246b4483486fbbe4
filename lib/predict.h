/* predict.h - anomaly scores, forecasts and remaining useful life for
 * every series and asset of a stream.
 *
 * The engine behind twin-predict(1).  Every numeric reading, every
 * numeric value of a state record, and every residual of twin-sim's
 * shadow mode is a sample of a series (asset, sensor): each series has
 * its own univariate detector (detect.h) and, with a forecast horizon,
 * its own forecaster (forecast.h).  With the multivariate method "pca"
 * the state records of an asset are its samples instead (pca.h), and
 * with rul the same states feed a remaining-useful-life tracker (rul.h).
 * The records pass through, each followed by the records it gave rise
 * to: score, forecast, rul.
 *
 * The reference period: a series learns its first `train` samples (or,
 * for a duration, as many samples as the duration holds at the series'
 * first sampling interval) before it is scored or forecast; an asset
 * under pca fits its model on its first `train` states (or the states of
 * its first `train_dur`).  With `fit`, the whole input is the reference:
 * nothing is scored, and tw_predict_finish writes a model file that
 * `model` loads in another run.
 *
 * Ownership: struct tw_predict borrows the options (and the model
 * document in them), the writer and the reporter; it owns the rest and
 * tw_predict_free frees it. */
#ifndef TW_PREDICT_H
#define TW_PREDICT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "detect.h"
#include "diag.h"
#include "err.h"
#include "forecast.h"
#include "out.h"
#include "pca.h"
#include "rul.h"

struct tw_predict_opts {
	const char *method;           /* detect.h's name or "pca"; NULL: the model's, or auto */
	struct tw_detect_opts detect;
	double threshold;             /* alarm at or above it; NAN: the method's default */
	const char *sensors;          /* "a,b": only these series (pca, rul: these columns) */
	bool alarms_only;             /* write score records only when they alarm */
	bool no_scores;               /* write no score records at all */
	long long train;              /* reference period in samples (states for pca) */
	int64_t train_dur;            /* or as a duration (ns); 0: use train */
	struct tw_pca_opts pca;
	double smooth;                /* pca: EWMA weight of the newest T2 and Q (1: none) */
	bool use_t2, use_q;           /* pca: the statistics that alarm */
	int64_t forecast;             /* forecast horizon (ns); 0: no forecasts */
	int64_t season;               /* holt-winters period (ns); 0: detected */
	long long forecast_every;     /* a forecast every this many samples */
	struct tw_forecast_opts fc;   /* fc.train and fc.season are set per series */
	bool rul;                     /* remaining useful life (needs a model) */
	struct tw_rul_opts rul_opts;
	const char *fit;              /* write a model file here at the end */
	const char *model_file;       /* the model's file name, for messages */
	const json_t *model;          /* a model loaded from model_file; NULL: none */
	int shard_k, shard_n;         /* only the assets of shard k of n (n 0: all) */
};

struct tw_predict_stats {
	long long lines, passed, samples, scores, alarms, series, forecasts, ruls, unscored, other_shards;
	const char *method;           /* the method run (borrowed) */
};

struct tw_predict;

/* The default thresholds: a robust z of about 4.3 for mad and cusum; a
 * tail probability of 1e-8 for the likelihood; for spatial and cad their
 * best thresholds on NAB (tests/eval); a
 * control limit reached for pca (score = r / (1 + r), r the larger ratio
 * of T-squared and Q to their limits). */
#define TW_PREDICT_THRESHOLD 0.9
#define TW_PREDICT_THRESHOLD_LIKELIHOOD 0.4
#define TW_PREDICT_THRESHOLD_SPATIAL 0.8
#define TW_PREDICT_THRESHOLD_CAD 0.67
#define TW_PREDICT_THRESHOLD_PCA 0.5

void tw_predict_opts_init(struct tw_predict_opts *o);

/* A new engine, or NULL with e filled: a bad method or option, a model
 * that does not fit the options ("pca.json: a model of method 'pca', not
 * 'mad'"), rul without a model and without fit. */
struct tw_predict *tw_predict_new(const struct tw_predict_opts *o, struct tw_out *out,
				  struct tw_diag *d, struct tw_err *e);
void tw_predict_free(struct tw_predict *p);

/* One input line: 0, or 1 to stop (--strict). */
int tw_predict_line(struct tw_predict *p, const char *file, long long lineno, const char *line,
		    size_t len, const char *eol);

/* At the end of the input: with fit, fits what needs the whole input and
 * writes the model file atomically.  0, or -1 with e filled. */
int tw_predict_finish(struct tw_predict *p, struct tw_err *e);

void tw_predict_stats(const struct tw_predict *p, struct tw_predict_stats *st);

#endif
