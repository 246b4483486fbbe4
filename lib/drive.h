/* drive.h - a model driven by its measured inputs between two samples.
 *
 * The one rule by which twin-sim's shadow mode (sim.c) and calibration
 * (fit.c) simulate a recorded stream, so that a fit and a shadow run
 * simulate the same thing: from one sample's time to the next, the
 * solver advances in chunks of at most `step` seconds (the last one
 * shortened to land on the next sample's time exactly), and before each
 * chunk the inputs are set to their value at the chunk's middle: the
 * earlier sample's (hold "step"), or the linear interpolation between
 * the two samples (hold "linear").
 *
 * Ownership: nothing here allocates; everything is borrowed. */
#ifndef TW_DRIVE_H
#define TW_DRIVE_H

#include "err.h"
#include "model.h"
#include "ode.h"

/* Sets m's inputs for time t of the interval from t0 to t1: prev holds
 * the inputs sampled at t0, cur those sampled at t1 (tw_model_ninputs
 * values each).  A "step" input takes prev; a "linear" one the value
 * interpolated at t (prev when t1 <= t0). */
void tw_drive_inputs(struct tw_model *m, const double *prev, const double *cur,
		     double t0, double t1, double t);

/* Called before each chunk from t to t + h, mid = t + h / 2: sets the
 * model's inputs (and whatever else changes with time) for the chunk. */
typedef void tw_drive_chunk_fn(void *ctx, double t, double mid);

/* Advances the states y from *t to t1 in chunks of at most step seconds,
 * calling chunk(ctx, ...) before each (when chunk is not NULL).  Returns
 * 0 with *t = t1, or -1 with e (tw_ode_advance's message) and *t where
 * the solver stopped. */
int tw_drive_advance(struct tw_ode *o, double step, double *t, double t1, double y[],
		     tw_drive_chunk_fn *chunk, void *ctx, struct tw_err *e);

/* Shadow mode's rule: tw_drive_advance from *t to t1 with the inputs of
 * m set by tw_drive_inputs between prev (sampled at *t) and cur (sampled
 * at t1).  o must be a solver of m. */
int tw_drive_measured(struct tw_ode *o, struct tw_model *m, double step, double *t, double t1,
		      double y[], const double *prev, const double *cur, struct tw_err *e);

#endif
