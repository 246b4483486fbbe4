/* predict.h - anomaly scores for every series of a stream.
 *
 * The engine behind twin-predict(1).  Every numeric reading, every
 * numeric value of a state record, and every residual of twin-sim's
 * shadow mode is a sample of a series (asset, sensor); each series has
 * its own streaming detector (detect.h).  The records pass through, each
 * followed by the score records of the samples it carried.
 *
 * Ownership: struct tw_predict borrows the options, the writer and the
 * reporter; tw_predict_free frees the detectors. */
#ifndef TW_PREDICT_H
#define TW_PREDICT_H

#include <stdbool.h>

#include "detect.h"
#include "diag.h"
#include "err.h"
#include "out.h"

struct tw_predict_opts {
	const char *method;           /* detect.h's name; NULL: auto */
	struct tw_detect_opts detect;
	double threshold;             /* alarm at or above it; NAN: the method's default */
	const char *sensors;          /* "a,b": only these series; NULL: all */
	bool alarms_only;             /* write score records only when they alarm */
};

struct tw_predict_stats {
	long long lines, samples, scores, alarms, series;
};

struct tw_predict;

/* The default thresholds: a robust z of about 4.3 for mad and cusum; a
 * tail probability of 1e-8 for the likelihood, near its best on NAB. */
#define TW_PREDICT_THRESHOLD 0.9
#define TW_PREDICT_THRESHOLD_LIKELIHOOD 0.4

void tw_predict_opts_init(struct tw_predict_opts *o);
struct tw_predict *tw_predict_new(const struct tw_predict_opts *o, struct tw_out *out,
				  struct tw_diag *d, struct tw_err *e);
void tw_predict_free(struct tw_predict *p);

/* One input line: 0, or 1 to stop (--strict). */
int tw_predict_line(struct tw_predict *p, const char *file, long long lineno, const char *line,
		    size_t len, const char *eol);

void tw_predict_stats(const struct tw_predict *p, struct tw_predict_stats *st);

#endif
