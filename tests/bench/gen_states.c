/* gen_states - a deterministic stream of state records for the twin-act
 * benchmark.
 *
 * Usage: gen_states STATES
 *
 * Writes on standard output STATES state records, one a line:
 *   {"ts":"2024-03-01T00:00:01Z","asset":"pump-2","kind":"state","values":{"temp_c":61.25,"pressure_bar":4.51,"rpm":1450.00,"current_a":12.50,"vib_mm_s":2.30,"flow_m3_h":35.00}}
 * 4 assets (pump-1 .. pump-4), one state each per second of event time from
 * 2024-03-01T00:00:00Z, asset by asset within a second (so STATES / 4
 * seconds).  Every value is a slow triangle wave (a period of 10 to 25
 * minutes, its phase shifted from asset to asset) plus a little noise, so
 * that the rules of act_rules.json cross their thresholds, hold, clear and
 * fire again many times over the stream.
 *
 * The noise is xorshift64* with a fixed seed, so the output is the same
 * byte for byte on every run and every machine.  Values are fixed-point
 * integers (hundredths) formatted by hand, the date string is made once a
 * second, and output goes through a large buffer. */
#include <time.h>

#define GEN_PROG "gen_states"
#include "gen.h"

#define LINEMAX 320
#define NASSETS 4
#define NSENSORS 6

/* A triangle wave of period p seconds at time t: from -amp to amp and back,
 * in the units of amp. */
static int64_t triangle(int64_t t, int64_t p, int64_t amp)
{
	int64_t ph = t % p;                       /* 0 .. p-1 */
	int64_t up = ph < p / 2 ? ph : p - ph;    /* 0 .. p/2 */
	return -amp + 4 * amp * up / p;
}

static const char *const asset_name[NASSETS] = { "pump-1", "pump-2", "pump-3", "pump-4" };

/* Each sensor, in hundredths: mean + triangle(period, amplitude) + noise,
 * never below lo. */
static const struct {
	const char *name;
	int64_t mean, period, amp, noise, lo;
} sensor[NSENSORS] = {
	{ "temp_c", 7000, 600, 1400, 50, 0 },
	{ "pressure_bar", 450, 900, 90, 3, 0 },
	{ "rpm", 145000, 1200, 18000, 300, 0 },
	{ "current_a", 1250, 700, 400, 20, 0 },
	{ "vib_mm_s", 300, 1500, 350, 15, 30 },
	{ "flow_m3_h", 3500, 800, -1000, 40, 0 },
};

int main(int argc, char **argv)
{
	char date[32] = "";
	struct rng rng = { RNG_SEED };
	long long n, k;
	int64_t sec = -1;
	const time_t t0 = 1709251200;             /* 2024-03-01T00:00:00Z */

	if (argc != 2) {
		fputs("usage: gen_states STATES\n", stderr);
		return 2;
	}
	n = parse_count(argv[1], "state");
	for (k = 0; k < n; k++) {
		int a = (int)(k % NASSETS);
		int64_t t = k / NASSETS;
		char *p;

		if (t != sec) {
			time_t now = t0 + (time_t)t;
			struct tm tm;
			gmtime_r(&now, &tm);
			strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
			sec = t;
		}
		p = out_room(LINEMAX);
		p += sprintf(p, "{\"ts\":\"%s\",\"asset\":\"%s\",\"kind\":\"state\",\"values\":{",
			     date, asset_name[a]);
		for (int j = 0; j < NSENSORS; j++) {
			/* Assets a quarter period apart, plus a few seconds. */
			int64_t shift = a * (sensor[j].period / 4) + 7 * a;
			int64_t v = sensor[j].mean + triangle(t + shift, sensor[j].period, sensor[j].amp) +
				    step(&rng, sensor[j].noise);
			if (v < sensor[j].lo)
				v = sensor[j].lo;
			if (j)
				*p++ = ',';
			*p++ = '"';
			memcpy(p, sensor[j].name, strlen(sensor[j].name));
			p += strlen(sensor[j].name);
			*p++ = '"';
			*p++ = ':';
			p = put_fixed(p, v, 2);
		}
		*p++ = '}';
		*p++ = '}';
		*p++ = '\n';
		out_done(p);
	}
	return out_finish();
}
