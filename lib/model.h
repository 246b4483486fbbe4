/* model.h - the `model` section of a twin description, compiled: the
 * ODE right-hand side and the outputs of a twin's physics, which ode.h
 * integrates and twin-sim runs.  The format is twin-description(5),
 * section MODEL.
 *
 * A model has states (with initial values), parameters, inputs, named
 * intermediate variables, one derivative per state and outputs, all
 * variables of one expression scope (expr.h) together with `t`, the
 * simulation time in seconds.  Evaluating writes t and the states into
 * their slots, evaluates the variables in dependency order, then the
 * derivatives or the outputs (outputs in dependency order too).  Nothing
 * is allocated per evaluation.
 *
 * Indices: states, parameters, inputs and outputs are numbered from 0 in
 * the order of the file.  Out-of-range indices are the caller's bug.
 *
 * Ownership: a struct tw_model owns everything it points to (names,
 * units, sensors and the comment are copies: the JSON may be freed after
 * tw_model_load).  Strings returned live until tw_model_free.  Running
 * out of memory aborts, as in expr.h.
 *
 * A model can also be an FMI 2.0 co-simulation unit (fmu.h): a section
 * with an "fmu" member (twin-description(5), subsection FMU models).  Its
 * parameters, inputs and outputs are the unit's; it has no states (the
 * unit keeps its own), no derivatives: ode.h hands each step to
 * tw_model_fmu_step.  The unit starts (instantiated, or reset, with the
 * parameters and inputs as they are then, and initialized) at the first
 * step or output after loading or tw_model_restart.  A parameter changed
 * while it runs reaches it before the next step or output when it is
 * tunable; a fixed one makes that call fail.  The unit's calls fail with
 * a message from fmu.h.
 *
 * Threads: a model holds its evaluation state; one thread per model.
 * Load models in one thread at a time (expr.h: compiling). */
#ifndef TW_MODEL_H
#define TW_MODEL_H

#include <stdbool.h>

#include <jansson.h>

#include "err.h"

struct tw_model;

/* How an input's value moves between two samples (twin-sim does it). */
enum tw_model_hold {
	TW_MODEL_HOLD_STEP,     /* the last sample until the next one */
	TW_MODEL_HOLD_LINEAR    /* linear interpolation between samples */
};

/* Compiles section, the value of a twin description's "model" member
 * (tw_twin_section(t, "model")); file names the description in messages.
 * Returns the model (the caller frees it with tw_model_free), or NULL
 * with a message in e that names the file and the member at fault:
 *   pump.json: model.states.T.initial: missing
 *   pump.json: model.derivatives.T: unknown variable 'X' at column 7
 *   pump.json: model.variables: cycle: a -> b -> a
 * Parameters start at their values, inputs at their defaults. */
struct tw_model *tw_model_load(const json_t *section, const char *file, struct tw_err *e);
void tw_model_free(struct tw_model *m);

/* The section's "comment" when it is a string, else NULL. */
const char *tw_model_comment(const struct tw_model *m);

int tw_model_nstates(const struct tw_model *m);
int tw_model_nparams(const struct tw_model *m);
int tw_model_ninputs(const struct tw_model *m);
int tw_model_noutputs(const struct tw_model *m);

/* The index of the state, parameter, input or output of that name, or
 * -1 when the model has none. */
int tw_model_state_index(const struct tw_model *m, const char *name);
int tw_model_param_index(const struct tw_model *m, const char *name);
int tw_model_input_index(const struct tw_model *m, const char *name);
int tw_model_output_index(const struct tw_model *m, const char *name);

/* Units are NULL when the file gives none. */
const char *tw_model_state_name(const struct tw_model *m, int i);
const char *tw_model_state_unit(const struct tw_model *m, int i);
double tw_model_state_initial(const struct tw_model *m, int i);

/* value is the file's; min and max (NAN when absent) bound calibration. */
const char *tw_model_param_name(const struct tw_model *m, int i);
const char *tw_model_param_unit(const struct tw_model *m, int i);
double tw_model_param_value(const struct tw_model *m, int i);
double tw_model_param_min(const struct tw_model *m, int i);
double tw_model_param_max(const struct tw_model *m, int i);
/* The value the model computes with now (set by tw_model_param_set: no
 * range check, the caller's business). */
double tw_model_param_get(const struct tw_model *m, int i);
void tw_model_param_set(struct tw_model *m, int i, double v);

/* sensor: the measured sensor that drives the input in shadow mode (the
 * input's name unless the file says otherwise). */
const char *tw_model_input_name(const struct tw_model *m, int i);
const char *tw_model_input_unit(const struct tw_model *m, int i);
const char *tw_model_input_sensor(const struct tw_model *m, int i);
double tw_model_input_default(const struct tw_model *m, int i);
enum tw_model_hold tw_model_input_hold(const struct tw_model *m, int i);
double tw_model_input_get(const struct tw_model *m, int i);
void tw_model_input_set(struct tw_model *m, int i, double v);

/* noise: the standard deviation of the output's Gaussian measurement
 * noise in free run (0: none); sensor: the measured sensor it is
 * compared with (the output's name unless the file says otherwise). */
const char *tw_model_output_name(const struct tw_model *m, int i);
const char *tw_model_output_unit(const struct tw_model *m, int i);
const char *tw_model_output_sensor(const struct tw_model *m, int i);
double tw_model_output_noise(const struct tw_model *m, int i);

/* dydt = f(t, y) with the current parameters and inputs; y and dydt hold
 * tw_model_nstates values.  Returns GSL_SUCCESS (0), or GSL_EBADFUNC
 * when a derivative is not finite; tw_model_bad_state then says which
 * (gsl_odeiv2's conventions, so that this can be its system function). */
int tw_model_rhs(struct tw_model *m, double t, const double y[], double dydt[]);

/* The state whose derivative was not finite in the last tw_model_rhs
 * that failed, or -1 when none failed yet. */
int tw_model_bad_state(const struct tw_model *m);

/* out (tw_model_noutputs values) = the outputs at (t, y), noise-free.
 * Returns 0; for a unit, -1 (out all NAN) when one of its calls failed,
 * with the message in tw_model_failure. */
int tw_model_outputs(struct tw_model *m, double t, const double y[], double out[]);

/* The model is a co-simulation unit. */
bool tw_model_is_fmu(const struct tw_model *m);

/* The unit (borrowed: it lives as long as m), or NULL for equations. */
struct tw_fmu *tw_model_fmu(const struct tw_model *m);

/* A unit: the message of the last tw_model_outputs that failed. */
const char *tw_model_failure(const struct tw_model *m);

/* A unit: advances it from t to t1 (one fmi2DoStep, none when t1 <= t),
 * starting it at t when it is not running, with the model's inputs and
 * changed parameters set first.  -1 with e. */
int tw_model_fmu_step(struct tw_model *m, double t, double t1, struct tw_err *e);

/* A unit starts again, from its start values and the current
 * parameters, at the next step or output.  Nothing for equations. */
void tw_model_restart(struct tw_model *m);

#endif
