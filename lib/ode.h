/* ode.h - integrating a model (model.h) in time.
 *
 * Four solvers:
 *   rk4    the classical Runge-Kutta method of order 4, fixed steps of
 *          `step` seconds (the last one before a target time shortened
 *          to land on it); no error control, 4 evaluations a step;
 *   rkf45  Runge-Kutta-Fehlberg 4(5), adaptive (GSL's odeiv2);
 *   rk8pd  Runge-Kutta Prince-Dormand 8(9), adaptive (GSL's odeiv2);
 *   bdf    GSL's msbdf, a variable-order implicit BDF method for stiff
 *          models, with a Jacobian by central finite differences.
 * The adaptive ones keep each step's estimated local error below
 * atol + rtol |y| in every state, starting with a step of `step`.
 *
 * A model that is a co-simulation unit (model.h) integrates itself: its
 * solver is none of these, and each tw_ode_advance is one step of the
 * unit (tw_model_fmu_step).
 *
 * Ownership: a struct tw_ode borrows its model, which must outlive it;
 * it owns its GSL objects and work space, allocated once by tw_ode_new:
 * advancing allocates nothing.  One thread per struct tw_ode (and its
 * model).
 *
 * GSL errors: while a call here runs GSL code, GSL's error handler is
 * switched off (and restored after), so GSL never aborts the process:
 * its failures come back as a message in e.  That is process-wide state
 * in GSL: do not advance solvers in several threads at once. */
#ifndef TW_ODE_H
#define TW_ODE_H

#include "err.h"
#include "model.h"

enum tw_solver { TW_SOLVER_RK4, TW_SOLVER_RKF45, TW_SOLVER_RK8PD, TW_SOLVER_BDF };

/* "rk4", "rkf45", "rk8pd" or "bdf" into *s; else -1 with a message that
 * lists them. */
int tw_solver_parse(const char *name, enum tw_solver *s, struct tw_err *e);

/* The name tw_solver_parse reads, as a static string. */
const char *tw_solver_name(enum tw_solver s);

/* A solver for m.  step (seconds, finite, > 0): rk4's step, or the
 * adaptive solvers' first one; rtol and atol (not negative, not both 0)
 * matter to the adaptive solvers only.  Returns NULL with a message in
 * e when an argument is out of range.  The caller frees it with
 * tw_ode_free, before m. */
struct tw_ode *tw_ode_new(struct tw_model *m, enum tw_solver s, double step,
			  double rtol, double atol, struct tw_err *e);

/* Advances the states y (tw_model_nstates values) from *t to t1 (not
 * before *t) with the model's current parameters and inputs; *t = t1 on
 * success.  Returns 0, or -1 with a message such as
 *   the solver failed at t=12.5 s: model.derivatives.T is not finite (nan)
 * and then *t and y hold the last state the solver reached. */
int tw_ode_advance(struct tw_ode *o, double *t, double t1, double y[], struct tw_err *e);

/* Forgets the solver's history (multistep state, step size: back to
 * `step`).  Call it after a jump in the states or in an input (a step,
 * an assimilation), which the solver would otherwise take for a
 * discontinuity to step through. */
void tw_ode_reset(struct tw_ode *o);

/* Steps taken (accepted) since tw_ode_new. */
long tw_ode_steps(const struct tw_ode *o);

void tw_ode_free(struct tw_ode *o);

#endif
