/* drive.c - see drive.h. */
#include <math.h>

#include "drive.h"

void tw_drive_inputs(struct tw_model *m, const double *prev, const double *cur,
		     double t0, double t1, double t)
{
	int ni = tw_model_ninputs(m);

	for (int i = 0; i < ni; i++) {
		double v = prev[i];
		if (tw_model_input_hold(m, i) == TW_MODEL_HOLD_LINEAR && t1 > t0)
			v += (cur[i] - prev[i]) * (t - t0) / (t1 - t0);
		tw_model_input_set(m, i, v);
	}
}

int tw_drive_advance(struct tw_ode *o, double step, double *t, double t1, double y[],
		     tw_drive_chunk_fn *chunk, void *ctx, struct tw_err *e)
{
	while (*t < t1) {
		double h = fmin(step, t1 - *t);
		if (*t + h > t1 - 1e-12 * fmax(1, fabs(t1)))
			h = t1 - *t;    /* land on t1 exactly */
		if (chunk)
			chunk(ctx, *t, *t + h / 2);
		if (tw_ode_advance(o, t, *t + h, y, e) < 0)
			return -1;
	}
	*t = t1;
	return 0;
}

struct measured {
	struct tw_model *m;
	const double *prev, *cur;
	double t0, t1;
};

static void measured_chunk(void *ctx, double t, double mid)
{
	struct measured *c = ctx;

	tw_drive_inputs(c->m, c->prev, c->cur, c->t0, c->t1, mid);
}

int tw_drive_measured(struct tw_ode *o, struct tw_model *m, double step, double *t, double t1,
		      double y[], const double *prev, const double *cur, struct tw_err *e)
{
	struct measured c = { m, prev, cur, *t, t1 };

	return tw_drive_advance(o, step, t, t1, y, measured_chunk, &c, e);
}
