/* stimulus.h - test signals for a model's inputs, and faults injected into
 * simulated sensors, as twin-sim's --input and --fault write them.
 *
 * Times are seconds from the start of the run.  Plain values; nothing is
 * allocated. */
#ifndef TW_STIMULUS_H
#define TW_STIMULUS_H

#include <stdbool.h>

#include "err.h"

enum tw_signal_kind { TW_SIG_CONST, TW_SIG_STEP, TW_SIG_RAMP, TW_SIG_SINE, TW_SIG_SQUARE };

struct tw_signal {
	enum tw_signal_kind kind;
	double a, b, c, d;   /* by kind: see tw_signal_parse */
	double at;           /* step and ramp: when they start */
};

/* Parses one of
 *   V                          constant V
 *   step:FROM,TO@T             FROM until T, then TO
 *   ramp:START,SLOPE@T         START until T, then rising by SLOPE a second
 *   sine:AMP,PERIOD[,OFFSET[,PHASE]]   OFFSET + AMP sin(2 pi t / PERIOD + PHASE degrees)
 *   square:LOW,HIGH,PERIOD[,DUTY]      HIGH for DUTY (default 0.5) of each period, then LOW
 * where T and PERIOD are durations ("10s", "5m"; a bare number is seconds). */
int tw_signal_parse(const char *spec, struct tw_signal *s, struct tw_err *e);

double tw_signal_at(const struct tw_signal *s, double t);

enum tw_fault_kind {
	TW_FAULT_BIAS,    /* adds VALUE */
	TW_FAULT_DRIFT,   /* adds VALUE a second since FROM */
	TW_FAULT_STUCK,   /* repeats the value at FROM */
	TW_FAULT_SPIKES,  /* adds +-VALUE with probability VALUE2 a sample */
	TW_FAULT_NOISE,   /* multiplies the sensor's noise by VALUE */
	TW_FAULT_PARAM,   /* sets parameter TARGET to VALUE (degradation) */
};

struct tw_fault {
	enum tw_fault_kind kind;
	char target[64];     /* a sensor, or a parameter for TW_FAULT_PARAM */
	double value, value2;
	double from, to;     /* active for from <= t < to (to: INFINITY) */
};

/* Parses KIND:TARGET[=VALUE[,VALUE2]][@FROM[-TO]], e.g.
 *   bias:temp_c=2.5@10m   drift:temp_c=0.01@1h   stuck:rpm@10m-20m
 *   spikes:vib=4,0.01     noise:temp_c=3@30m     param:R=0.08@2h */
int tw_fault_parse(const char *spec, struct tw_fault *f, struct tw_err *e);

static inline bool tw_fault_active(const struct tw_fault *f, double t)
{
	return t >= f->from && t < f->to;
}

#endif
