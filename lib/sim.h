/* sim.h - the replica's dynamics: free run, shadow mode and what-if.
 *
 * The engine behind twin-sim(1), over a model (model.h) integrated by
 * ode.h.  Free run simulates a model from its initial state, driven by
 * test signals, with seeded measurement noise and injected faults.
 * Shadow mode follows the measured stream (state records of twin-sync):
 * each asset's model is driven by its measured inputs and its outputs
 * are compared with the measured ones.  What-if takes each asset's
 * latest state at the end of the stream and simulates a horizon ahead
 * with parameters or inputs changed.  Calibration records each asset's
 * measured inputs and outputs and, at the end, fits parameters (fit.h).
 *
 * Ownership: struct tw_sim borrows the options (and what they point to),
 * the twin, the writer and the reporter; tw_sim_free frees the rest. */
#ifndef TW_SIM_H
#define TW_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "err.h"
#include "ode.h"
#include "out.h"
#include "stimulus.h"
#include "twin.h"

struct tw_sim_input { const char *name; struct tw_signal signal; };
struct tw_sim_set { const char *name; double value; };

struct tw_sim_opts {
	const struct tw_twin *twin;     /* with a "model" section */
	const char *asset;              /* free run: the asset; else only this one (NULL: all) */
	enum tw_solver solver;
	double step, rtol, atol;        /* seconds; tolerances */
	/* Not given: an FMU's default experiment gives the step (its
	 * stepSize) and a free run's duration (its stopTime - startTime);
	 * a free run without either is an error of tw_sim_new. */
	bool step_default, duration_default;
	/* Free run. */
	int64_t start, duration, every; /* ns */
	bool emit_states;               /* state records instead of readings */
	unsigned long seed;
	bool no_noise;
	const struct tw_sim_input *inputs;
	int ninputs;
	const struct tw_fault *faults;
	int nfaults;
	const struct tw_sim_set *sets;  /* parameters changed (free run, what-if) */
	int nsets;
	/* Shadow mode. */
	bool shadow;
	double assimilate;              /* nudging gain per sample, 0 to 1 */
	/* What-if. */
	bool what_if;
	int64_t horizon;
	const char *scenario;
	/* Calibration: the parameters to fit, and where the calibrated twin
	 * description goes (NULL: nowhere). */
	const char *const *fit;
	int nfit;
	const char *fit_out;
};

struct tw_sim;

void tw_sim_opts_init(struct tw_sim_opts *o);

/* NULL with a reason in e: no model in the twin, an input, parameter or
 * fault target the model does not have, a free run without a duration. */
struct tw_sim *tw_sim_new(const struct tw_sim_opts *o, struct tw_out *out,
			  struct tw_diag *d, struct tw_err *e);
void tw_sim_free(struct tw_sim *s);

struct tw_in;

/* Free run: writes the whole run.  With plant (a reader of commands: a
 * closed loop through a FIFO), each state written waits for a command
 * answering it (see twin-sim(1), PLANT MODE) and its values drive the
 * model's inputs.  -1 with e when the solver fails. */
int tw_sim_run(struct tw_sim *s, struct tw_in *plant, struct tw_err *e);

/* Shadow and what-if: one input line.  Returns 0, 1 to stop (--strict),
 * or -1 with e (the solver failed). */
int tw_sim_line(struct tw_sim *s, const char *file, long long lineno,
		const char *line, size_t len, const char *eol, struct tw_err *e);

/* The end of the stream: the what-if runs, or the fit, whose report
 * (one JSON object) is written to the output.  -1 with e. */
int tw_sim_finish(struct tw_sim *s, struct tw_err *e);

#endif
