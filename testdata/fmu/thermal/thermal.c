/* thermal.c - a test unit: the first-order thermal model of the model
 * library (models/thermal.json) as an FMI 2.0 co-simulation unit,
 *   C dT/dt = P - (T - T_amb) / R    (P only while on is true)
 * solved exactly over each step (the inputs are constant within one):
 *   T(t + h) = T_inf + (T(t) - T_inf) exp(-h / (R C)),  T_inf = T_amb + P R. */
#define NREAL 6
#define NINT 0
#define NBOOL 1
enum { C, R, T0, P, T_AMB, T };
enum { ON };

#include "../unit.h"

static void model_defaults(struct unit *u)
{
	u->r[C] = 9200;
	u->r[R] = 0.05;
	u->r[T0] = 25;
	u->r[P] = 1000;
	u->r[T_AMB] = 25;
	u->r[T] = 25;
	u->b[ON] = fmi2True;
}

static void model_init(struct unit *u)
{
	u->r[T] = u->r[T0];
}

static fmi2Status model_step(struct unit *u, double h)
{
	double tau = u->r[R] * u->r[C];

	if (!(tau > 0)) {
		LOG(u, fmi2Error, "R C = %g: the time constant must be positive", tau);
		return fmi2Error;
	}
	double inf = u->r[T_AMB] + (u->b[ON] ? u->r[P] : 0) * u->r[R];
	u->r[T] = inf + (u->r[T] - inf) * exp(-h / tau);
	u->time += h;
	u->last_ok = u->time;
	return fmi2OK;
}
