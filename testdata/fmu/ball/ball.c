/* ball.c - a test unit with events: a ball dropped from h0 with speed v0
 * under gravity g, bouncing off the floor (h = 0) with the coefficient
 * of restitution e.  Each step solves the free fall exactly and finds
 * every impact inside it (the time where h + v s - g s^2 / 2 = 0), so
 * that impacts fall between communication points:
 *   first impact at  (v0 + sqrt(v0^2 + 2 g h0)) / g,
 *   then the speed reverses to e times the impact speed.
 * A bounce slower than 1e-6 m/s leaves the ball at rest. */
#define NREAL 7
#define NINT 1
#define NBOOL 0
enum { H0, V0, G, E, H, V, LAST_IMPACT };
enum { BOUNCES };

#include "../unit.h"

static void model_defaults(struct unit *u)
{
	u->r[H0] = 10;
	u->r[V0] = 0;
	u->r[G] = 9.81;
	u->r[E] = 0.7;
	u->r[H] = 10;
	u->r[V] = 0;
	u->r[LAST_IMPACT] = -1;
	u->i[BOUNCES] = 0;
}

static void model_init(struct unit *u)
{
	u->r[H] = u->r[H0];
	u->r[V] = u->r[V0];
}

static fmi2Status model_step(struct unit *u, double h)
{
	double g = u->r[G], left = h, t = u->time;

	if (!(g > 0) || !(u->r[H0] >= 0)) {
		LOG(u, fmi2Error, "g must be positive and h0 not negative");
		return fmi2Error;
	}
	while (left > 0) {
		double x = u->r[H], v = u->r[V];
		if (x <= 0 && v == 0)
			break;          /* at rest */
		double s = (v + sqrt(v * v + 2 * g * fmax(x, 0))) / g;   /* to the impact */
		if (s > left) {
			u->r[H] = x + v * left - g * left * left / 2;
			u->r[V] = v - g * left;
			break;
		}
		t += s;
		left -= s;
		u->r[H] = 0;
		u->r[V] = -u->r[E] * (v - g * s);
		u->r[LAST_IMPACT] = t;
		u->i[BOUNCES]++;
		if (u->r[V] < 1e-6)
			u->r[V] = 0;
	}
	u->time += h;
	u->last_ok = u->time;
	return fmi2OK;
}
