/* fmu.h - FMI 2.0 co-simulation units (FMUs): the archive, its model
 * description and its binary.
 *
 * tw_fmu_open unpacks the archive (a zip file) into a private temporary
 * folder (removed once the binary is loaded, unless the unit has a
 * resources/ folder, which then stays until tw_fmu_close), reads modelDescription.xml (the variables with their value
 * references, causality, variability, types, start values, bounds and
 * units; the default experiment), checks that the unit is FMI 2.0 with
 * a CoSimulation element, loads binaries/linux64/MODELIDENTIFIER.so and
 * finds the functions of the co-simulation calling sequence.  Then the
 * unit is run as the standard says:
 *
 *   tw_fmu_instantiate                     fmi2Instantiate
 *   tw_fmu_set ... (start values)          fmi2SetReal/Integer/Boolean
 *   tw_fmu_init                            fmi2SetupExperiment,
 *                                          fmi2Enter/ExitInitializationMode
 *   { tw_fmu_set (inputs); tw_fmu_step; tw_fmu_get (outputs) } ...
 *   tw_fmu_reset, and again from tw_fmu_set (start values)
 *   tw_fmu_close                           fmi2Terminate, fmi2FreeInstance,
 *                                          unload, remove the folder if kept
 *
 * Every call whose status is not fmi2OK or fmi2Warning fails with a
 * message naming the archive, the function and the status, e.g.
 *   ball.fmu: fmi2DoStep at t=1.5 s returned fmi2Error
 * and after fmi2Fatal nothing more is called (not even fmi2FreeInstance,
 * as the standard says); after fmi2Error only fmi2Reset and
 * fmi2FreeInstance.
 *
 * Messages of the unit (its logger callback) go to the function set by
 * tw_fmu_set_logger, process-wide; by default nowhere: library code
 * prints nothing.
 *
 * Ownership: a struct tw_fmu owns its folder, its library and instance,
 * and the variables (their strings live until tw_fmu_close).  One
 * thread per unit. */
#ifndef TW_FMU_H
#define TW_FMU_H

#include <stdbool.h>

#include "err.h"

struct tw_fmu;

enum tw_fmu_type { TW_FMU_REAL, TW_FMU_INTEGER, TW_FMU_BOOLEAN, TW_FMU_ENUMERATION, TW_FMU_STRING };

enum tw_fmu_causality {
	TW_FMU_PARAMETER, TW_FMU_CALCULATED_PARAMETER, TW_FMU_INPUT, TW_FMU_OUTPUT, TW_FMU_LOCAL,
	TW_FMU_INDEPENDENT
};

enum tw_fmu_variability {
	TW_FMU_CONSTANT, TW_FMU_FIXED, TW_FMU_TUNABLE, TW_FMU_DISCRETE, TW_FMU_CONTINUOUS
};

struct tw_fmu_var {
	const char *name;
	const char *unit;             /* NULL when none */
	unsigned vr;                  /* value reference */
	enum tw_fmu_type type;
	enum tw_fmu_causality causality;
	enum tw_fmu_variability variability;
	bool has_start;
	double start, min, max;       /* min and max NAN when absent */
};

/* The DefaultExperiment element: NAN for what it does not give. */
struct tw_fmu_experiment {
	double start, stop, tolerance, step;
};

/* The unit's messages: instance, status ("warning", "error", ...),
 * category and the formatted message. */
typedef void tw_fmu_logger_fn(const char *instance, const char *status, const char *category,
			      const char *message);
void tw_fmu_set_logger(tw_fmu_logger_fn *fn);

/* Opens the archive at path.  NULL with a message naming path:
 *   x.fmu: not a zip archive
 *   x.fmu: modelDescription.xml: fmiVersion "1.0": only FMI 2.0 is supported
 *   x.fmu: not a co-simulation unit (no CoSimulation element: model
 *     exchange only)
 *   x.fmu: no binary for linux64 (binaries/linux64/id.so) */
struct tw_fmu *tw_fmu_open(const char *path, struct tw_err *e);

/* Terminates and frees the instance (when there is one and the unit
 * allows it), unloads the binary, removes the folder if it was kept.
 * NULL is fine. */
void tw_fmu_close(struct tw_fmu *f);

const char *tw_fmu_path(const struct tw_fmu *f);
const char *tw_fmu_model_name(const struct tw_fmu *f);
struct tw_fmu_experiment tw_fmu_default_experiment(const struct tw_fmu *f);

int tw_fmu_nvars(const struct tw_fmu *f);
const struct tw_fmu_var *tw_fmu_var(const struct tw_fmu *f, int i);
/* The index of the variable of that name, or -1. */
int tw_fmu_find(const struct tw_fmu *f, const char *name);
/* "Real" ..., "parameter" ..., "tunable" ...: static strings. */
const char *tw_fmu_type_name(enum tw_fmu_type t);
const char *tw_fmu_causality_name(enum tw_fmu_causality c);

/* fmi2Instantiate (co-simulation, visible off, logging off).  -1 with e. */
int tw_fmu_instantiate(struct tw_fmu *f, struct tw_err *e);

/* fmi2SetupExperiment at t0 (with the default experiment's tolerance
 * when it has one, no stop time), fmi2EnterInitializationMode and
 * fmi2ExitInitializationMode.  -1 with e. */
int tw_fmu_init(struct tw_fmu *f, double t0, struct tw_err *e);

/* fmi2Reset: back to the state after fmi2Instantiate, also after
 * fmi2Error (not after fmi2Fatal).  -1 with e. */
int tw_fmu_reset(struct tw_fmu *f, struct tw_err *e);

/* Variable i (tw_fmu_var) set to v, or read into *v: Integer and
 * Enumeration variables as whole numbers (v rounded: one out of int's
 * range fails), Boolean ones as 0 or 1 (v != 0 is true).  String
 * variables cannot be.  -1 with e. */
int tw_fmu_set(struct tw_fmu *f, int i, double v, struct tw_err *e);
int tw_fmu_get(struct tw_fmu *f, int i, double *v, struct tw_err *e);

/* fmi2DoStep from t for h seconds.  -1 with e (for fmi2Discard, with
 * the last successful time when the unit tells it). */
int tw_fmu_step(struct tw_fmu *f, double t, double h, struct tw_err *e);

#endif
