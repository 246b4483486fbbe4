/* stimulus.c - see stimulus.h */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "stimulus.h"
#include "timestamp.h"

static int seconds(const char *s, size_t n, double *v, struct tw_err *e)
{
	char buf[64];
	int64_t ns;
	if (n >= sizeof buf)
		return tw_err_set(e, "'%.*s' is not a duration", (int)n, s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (tw_dur_parse(buf, &ns, e) < 0)
		return -1;
	*v = (double)ns / 1e9;
	return 0;
}

/* Up to max comma-separated values of s[0..n); the one at index
 * duration_at (-1: none) is a duration in seconds.  Returns how many. */
static int values(const char *s, size_t n, double *v, int max, int duration_at, struct tw_err *e)
{
	int k = 0;
	while (n > 0) {
		const char *comma = memchr(s, ',', n);
		size_t len = comma ? (size_t)(comma - s) : n;
		if (k == max)
			return tw_err_set(e, "too many values");
		int rc = k == duration_at ? seconds(s, len, &v[k], e) : tw_num_parse(s, len, &v[k], e);
		if (rc < 0)
			return -1;
		k++;
		if (!comma)
			break;
		n -= len + 1;
		s = comma + 1;
	}
	return k;
}

int tw_signal_parse(const char *spec, struct tw_signal *s, struct tw_err *e)
{
	static const struct {
		const char *name;
		enum tw_signal_kind kind;
		int min, max, period;   /* how many values; which is the period */
		bool at;
	} kinds[] = {
		{ "step:", TW_SIG_STEP, 2, 2, -1, true }, { "ramp:", TW_SIG_RAMP, 2, 2, -1, true },
		{ "sine:", TW_SIG_SINE, 2, 4, 1, false }, { "square:", TW_SIG_SQUARE, 3, 4, 2, false },
	};
	struct tw_err why;
	double v[4] = { 0, 0, 0, 0 };

	memset(s, 0, sizeof *s);
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t k = strlen(kinds[i].name);
		if (strncmp(spec, kinds[i].name, k) != 0)
			continue;
		const char *body = spec + k, *at = strchr(body, '@');
		if (kinds[i].at != (at != NULL))
			return tw_err_set(e, "'%s': %s", spec, kinds[i].at ? "needs @TIME" : "takes no @TIME");
		size_t n = at ? (size_t)(at - body) : strlen(body);
		int got = values(body, n, v, 4, kinds[i].period, &why);
		if (got < 0)
			return tw_err_set(e, "'%s': %s", spec, why.msg);
		if (got < kinds[i].min || got > kinds[i].max)
			return tw_err_set(e, "'%s': expected %d%s values", spec, kinds[i].min,
					  kinds[i].max > kinds[i].min ? " or more" : "");
		if (at && seconds(at + 1, strlen(at + 1), &s->at, &why) < 0)
			return tw_err_set(e, "'%s': %s", spec, why.msg);
		s->kind = kinds[i].kind;
		s->a = v[0], s->b = v[1], s->c = v[2], s->d = v[3];
		if (kinds[i].period >= 0 && !(v[kinds[i].period] > 0))
			return tw_err_set(e, "'%s': the period must be a duration above 0", spec);
		if (s->kind == TW_SIG_SQUARE && got < 4)
			s->d = 0.5;
		if (s->kind == TW_SIG_SQUARE && (s->d <= 0 || s->d >= 1))
			return tw_err_set(e, "'%s': the duty cycle must be between 0 and 1", spec);
		return 0;
	}
	s->kind = TW_SIG_CONST;
	if (tw_num_parse(spec, strlen(spec), &s->a, &why) < 0)
		return tw_err_set(e, "'%s' is not a signal: a number, step:, ramp:, sine: or square:", spec);
	return 0;
}

double tw_signal_at(const struct tw_signal *s, double t)
{
	switch (s->kind) {
	case TW_SIG_CONST: return s->a;
	case TW_SIG_STEP: return t < s->at ? s->a : s->b;
	case TW_SIG_RAMP: return t < s->at ? s->a : s->a + s->b * (t - s->at);
	case TW_SIG_SINE: return s->c + s->a * sin(2 * M_PI * t / s->b + s->d * M_PI / 180);
	case TW_SIG_SQUARE: {
		double phase = fmod(t, s->c) / s->c;
		if (phase < 0)
			phase += 1;
		return phase < s->d ? s->b : s->a;
	}
	}
	return NAN;
}

int tw_fault_parse(const char *spec, struct tw_fault *f, struct tw_err *e)
{
	static const struct { const char *name; enum tw_fault_kind kind; int values; } kinds[] = {
		{ "bias", TW_FAULT_BIAS, 1 }, { "drift", TW_FAULT_DRIFT, 1 }, { "stuck", TW_FAULT_STUCK, 0 },
		{ "spikes", TW_FAULT_SPIKES, 2 }, { "noise", TW_FAULT_NOISE, 1 }, { "param", TW_FAULT_PARAM, 1 },
	};
	struct tw_err why;
	const char *colon = strchr(spec, ':');

	memset(f, 0, sizeof *f);
	f->to = INFINITY;
	size_t i, n = colon ? (size_t)(colon - spec) : 0;
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strlen(kinds[i].name) == n && strncmp(spec, kinds[i].name, n) == 0)
			break;
	if (!colon || i == sizeof kinds / sizeof kinds[0])
		return tw_err_set(e, "'%s': expected KIND:TARGET, KIND one of bias, drift, stuck, spikes, noise, param",
				  spec);
	f->kind = kinds[i].kind;
	const char *target = colon + 1, *at = strchr(target, '@'), *eq = strchr(target, '=');
	if (at && eq && eq > at)
		eq = NULL;
	const char *tend = eq ? eq : at ? at : target + strlen(target);
	if (tend == target || (size_t)(tend - target) >= sizeof f->target)
		return tw_err_set(e, "'%s': no target", spec);
	memcpy(f->target, target, (size_t)(tend - target));
	double v[2];
	int got = 0;
	if (eq) {
		const char *vend = at ? at : eq + strlen(eq);
		got = values(eq + 1, (size_t)(vend - eq - 1), v, 2, -1, &why);
		if (got < 0)
			return tw_err_set(e, "'%s': %s", spec, why.msg);
	}
	if (got != kinds[i].values)
		return tw_err_set(e, "'%s': %s takes %d value%s", spec, kinds[i].name, kinds[i].values,
				  kinds[i].values == 1 ? "" : "s");
	f->value = got > 0 ? v[0] : 0;
	f->value2 = got > 1 ? v[1] : 0;
	if (f->kind == TW_FAULT_SPIKES && (f->value2 < 0 || f->value2 > 1))
		return tw_err_set(e, "'%s': the spike probability must be between 0 and 1", spec);
	if (at) {
		const char *dash = strchr(at + 1, '-');
		if (seconds(at + 1, dash ? (size_t)(dash - at - 1) : strlen(at + 1), &f->from, &why) < 0 ||
		    (dash && seconds(dash + 1, strlen(dash + 1), &f->to, &why) < 0))
			return tw_err_set(e, "'%s': %s", spec, why.msg);
		if (f->to <= f->from)
			return tw_err_set(e, "'%s': the fault ends before it starts", spec);
	}
	return 0;
}
