/* unit.h - the FMI 2.0 co-simulation calling sequence shared by the
 * test units of twin-sim (tests/fmu.bats), each a small C file that
 * includes this one after defining:
 *
 *   NREAL, NINT, NBOOL   how many Real, Integer and Boolean variables;
 *                        the value reference of each is its index in
 *                        u->r, u->i or u->b
 *   static void model_defaults(struct unit *u)     start values
 *   static void model_init(struct unit *u)         at fmi2ExitInitializationMode
 *   static fmi2Status model_step(struct unit *u, double h)
 *                        advance u->time by h (model_step sets u->time)
 *
 * Only what twin-sim calls is here: no FMU states, no derivatives, no
 * strings.  Memory comes from the importer's allocateMemory; a unit that
 * can return fmi2Fatal defines STATIC_INSTANCE and keeps its one
 * instance in static memory instead, since after fmi2Fatal the importer
 * may call nothing, not even fmi2FreeInstance. */
#include <math.h>
#include <string.h>

#include "fmi2.h"

struct unit {
	double r[NREAL > 0 ? NREAL : 1];
	int i[NINT > 0 ? NINT : 1];
	int b[NBOOL > 0 ? NBOOL : 1];
	double time, last_ok;
	int initialized;
	const fmi2CallbackFunctions *cb;
	char name[64];
};

static void model_defaults(struct unit *u);
static void model_init(struct unit *u);
static fmi2Status model_step(struct unit *u, double h);

#define LOG(u, status, ...) \
	(u)->cb->logger((u)->cb->componentEnvironment, (u)->name, (status), "test", __VA_ARGS__)

const char *fmi2GetVersion(void) { return "2.0"; }

fmi2Component fmi2Instantiate(fmi2String name, fmi2Type type, fmi2String guid,
			      fmi2String resources, const fmi2CallbackFunctions *cb,
			      fmi2Boolean visible, fmi2Boolean logging)
{
	struct unit *u;

	(void)guid, (void)resources, (void)visible, (void)logging;
	if (!cb || !cb->allocateMemory || type != fmi2CoSimulation)
		return NULL;
#ifdef STATIC_INSTANCE
	static struct unit one;
	u = &one;
	memset(u, 0, sizeof *u);
#else
	if (!(u = cb->allocateMemory(1, sizeof *u)))
		return NULL;
#endif
	u->cb = cb;
	strncpy(u->name, name ? name : "unit", sizeof u->name - 1);
	model_defaults(u);
	return u;
}

void fmi2FreeInstance(fmi2Component c)
{
	struct unit *u = c;

#ifndef STATIC_INSTANCE
	if (u)
		u->cb->freeMemory(u);
#else
	(void)u;
#endif
}

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean tol_defined, fmi2Real tol,
			       fmi2Real start, fmi2Boolean stop_defined, fmi2Real stop)
{
	struct unit *u = c;

	(void)tol_defined, (void)tol, (void)stop_defined, (void)stop;
	u->time = u->last_ok = start;
	return fmi2OK;
}

fmi2Status fmi2EnterInitializationMode(fmi2Component c) { (void)c; return fmi2OK; }

fmi2Status fmi2ExitInitializationMode(fmi2Component c)
{
	struct unit *u = c;

	model_init(u);
	u->initialized = 1;
	return fmi2OK;
}

fmi2Status fmi2Terminate(fmi2Component c) { (void)c; return fmi2OK; }

fmi2Status fmi2Reset(fmi2Component c)
{
	struct unit *u = c;

	model_defaults(u);
	u->time = u->last_ok = 0;
	u->initialized = 0;
	return fmi2OK;
}

#define ACCESS(NAME, TYPE, ARR, N, CONST)                                                  \
	fmi2Status NAME(fmi2Component c, const fmi2ValueReference vr[], size_t n,          \
			CONST TYPE v[])                                                    \
	{                                                                                  \
		struct unit *u = c;                                                        \
		for (size_t k = 0; k < n; k++) {                                           \
			if (vr[k] >= (N)) {                                                \
				LOG(u, fmi2Error, "%s: no variable %u", #NAME, vr[k]);     \
				return fmi2Error;                                          \
			}                                                                  \
			ACCESS_##CONST(u->ARR[vr[k]], v[k]);                               \
		}                                                                          \
		return fmi2OK;                                                             \
	}
#define ACCESS_(field, value) ((value) = (field))
#define ACCESS_const(field, value) ((field) = (value))

ACCESS(fmi2GetReal, fmi2Real, r, NREAL, )
ACCESS(fmi2GetInteger, fmi2Integer, i, NINT, )
ACCESS(fmi2GetBoolean, fmi2Boolean, b, NBOOL, )
ACCESS(fmi2SetReal, fmi2Real, r, NREAL, const)
ACCESS(fmi2SetInteger, fmi2Integer, i, NINT, const)
ACCESS(fmi2SetBoolean, fmi2Boolean, b, NBOOL, const)

fmi2Status fmi2DoStep(fmi2Component c, fmi2Real t, fmi2Real h, fmi2Boolean no_set_prior)
{
	struct unit *u = c;

	(void)no_set_prior;
	if (!u->initialized) {
		LOG(u, fmi2Error, "fmi2DoStep before initialization");
		return fmi2Error;
	}
	if (!(h > 0)) {
		LOG(u, fmi2Error, "fmi2DoStep with a step of %g s", h);
		return fmi2Error;
	}
	if (fabs(t - u->time) > 1e-9 * fmax(1, fabs(t))) {
		LOG(u, fmi2Error, "fmi2DoStep at t=%g s, but the unit is at %g s", t, u->time);
		return fmi2Error;
	}
	return model_step(u, h);
}

fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind s, fmi2Real *v)
{
	struct unit *u = c;

	if (s != fmi2LastSuccessfulTime)
		return fmi2Discard;
	*v = u->last_ok;
	return fmi2OK;
}
