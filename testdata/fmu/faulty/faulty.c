/* faulty.c - a test unit that fails on request: from the step that
 * passes fail_at seconds on, fmi2DoStep returns fail_status (1 warning,
 * 2 discard, 3 error, 4 fatal) after logging why.  Until then, and after
 * a warning, y follows the input u: dy/dt = u, solved exactly. */
#define NREAL 3
#define NINT 1
#define NBOOL 0
#define STATIC_INSTANCE
enum { FAIL_AT, U, Y };
enum { FAIL_STATUS };

#include "../unit.h"

static void model_defaults(struct unit *u)
{
	u->r[FAIL_AT] = 1e9;
	u->r[U] = 1;
	u->r[Y] = 0;
	u->i[FAIL_STATUS] = fmi2Error;
}

static void model_init(struct unit *u)
{
	u->r[Y] = 0;
}

static fmi2Status model_step(struct unit *u, double h)
{
	int s = u->i[FAIL_STATUS];

	if (u->time + h > u->r[FAIL_AT] && s != fmi2OK) {
		LOG(u, (fmi2Status)s, "failing at t=%g s as asked (fail_status %d)", u->time, s);
		if (s != fmi2Warning)
			return (fmi2Status)s;
	}
	u->r[Y] += u->r[U] * h;
	u->time += h;
	u->last_ok = u->time;
	return s == fmi2Warning && u->time > u->r[FAIL_AT] ? fmi2Warning : fmi2OK;
}
