/* gen_long - a deterministic long NDJSON of canonical readings for the
 * twin-sync benchmark.
 *
 * Usage: gen_long [-s] READINGS
 *
 * Writes on standard output READINGS canonical readings, one a line:
 *   {"ts":"2024-03-01T00:00:01Z","asset":"pump-2","sensor":"temp_c","value":61.25}
 * 4 assets (pump-1 .. pump-4) x 6 sensors, each sensor one reading per second
 * of event time from 2024-03-01T00:00:00Z (so READINGS / 24 seconds; a last
 * partial second when READINGS is not a multiple of 24).  Within a second the
 * readings come asset by asset, sensor by sensor.  Values wander as
 * mean-reverting random walks with 2 or 3 decimals.
 *
 * Out of order: 1% of the readings are delayed.  Such a reading is swapped
 * with a reading of the same asset (any sensor) 1 to 3 seconds later in
 * event time, so it arrives after readings up to 3 s newer than itself and
 * the other one arrives up to 3 s early.  An asset's swaps never overlap, so
 * no reading arrives more than 3 s behind the newest reading of its asset:
 * twin-sync needs --lateness of at least 3s (the benchmark uses 5s).  With
 * -s, the number of delayed readings is printed on standard error.
 *
 * Two xorshift64* PRNGs with fixed seeds (one for values, one for the
 * swaps), so the output is the same byte for byte on every run and every
 * machine.  Values are fixed-point integers formatted by hand, the date
 * string is advanced field by field, lines wait in a small ring for their
 * swap, and output goes through a large buffer. */
#define GEN_PROG "gen_long"
#include "gen.h"

#define LINEMAX 128
#define NASSETS 4
#define NSENSORS 6
#define PER_SEC (NASSETS * NSENSORS)
#define MAX_DELAY_S 3
/* The ring holds every line a swap can reach: the rest of this second and
 * the next MAX_DELAY_S seconds. */
#define WINDOW ((MAX_DELAY_S + 1) * PER_SEC)
#define RING 128
#define SWAP_PER_10000 100   /* 1% */

static struct rng val_rng = { RNG_SEED };
static struct rng swap_rng = { 0xD1B54A32D192ED03ull };

/* The event clock. */
static struct event_clock clk = { "2024-03-01T00:00:00Z", 2024, 3, 1, 0, 0, 0 };

static const char *const asset_name[NASSETS] = { "pump-1", "pump-2", "pump-3", "pump-4" };
static const char *const sensor_name[NSENSORS] = {
	"temp_c", "pressure_bar", "rpm", "current_a", "vib_mm_s", "flow_m3_h",
};

/* The line ring: slot i % RING holds the line at stream position i. */
static char ring[RING][LINEMAX];
static unsigned char ring_len[RING];

int main(int argc, char **argv)
{
	/*                        value   mean    span  lo      hi      dec */
	static const struct walk base[NSENSORS] = {
		{ 6125, 6125, 4, 4000, 9500, 2 },         /* temp_c        61.25   */
		{ 4500, 4500, 6, 3000, 6500, 3 },         /* pressure_bar  4.500   */
		{ 145000, 145000, 30, 120000, 180000, 2 },/* rpm           1450.00 */
		{ 1250, 1250, 5, 800, 2000, 2 },          /* current_a     12.50   */
		{ 2300, 2300, 40, 300, 9000, 3 },         /* vib_mm_s      2.300   */
		{ 3500, 3500, 8, 2000, 5500, 2 },         /* flow_m3_h     35.00   */
	};
	struct walk w[NASSETS][NSENSORS];
	const char *arg;
	long long n, gen = 0, k, delayed = 0;
	long long busy_until[NASSETS], owed[NASSETS];
	int a, i, j, summary = 0;

	if (argc == 3 && strcmp(argv[1], "-s") == 0) {
		summary = 1;
		arg = argv[2];
	} else if (argc == 2) {
		arg = argv[1];
	} else {
		fputs("usage: gen_long [-s] READINGS\n", stderr);
		return 2;
	}
	n = parse_count(arg, "reading");

	/* Each asset runs a little differently: means shifted by a few percent. */
	for (a = 0; a < NASSETS; a++)
		for (j = 0; j < NSENSORS; j++) {
			w[a][j] = base[j];
			w[a][j].mean += base[j].mean * (a - 1) / 25;
			w[a][j].v = w[a][j].mean;
		}

	for (a = 0; a < NASSETS; a++) {
		busy_until[a] = -1;
		owed[a] = 0;
	}
	for (k = 0; k < n; k++) {
		size_t slot;
		char *o;

		/* Fill the ring up to the farthest line a swap of k can reach. */
		while (gen < n && gen < k + WINDOW) {
			char *p = ring[gen % RING];

			i = (int)(gen % PER_SEC);

			a = i / NSENSORS;
			j = i % NSENSORS;
			if (i == 0 && gen > 0)
				clock_tick(&clk);
			walk_next(&w[a][j], &val_rng);
			memcpy(p, "{\"ts\":\"", 7);
			p += 7;
			memcpy(p, clk.str, 20);
			p += 20;
			p += sprintf(p, "\",\"asset\":\"%s\",\"sensor\":\"%s\",\"value\":",
				     asset_name[a], sensor_name[j]);
			p = put_fixed(p, w[a][j].v, w[a][j].dec);
			*p++ = '}';
			*p++ = '\n';
			ring_len[gen % RING] = (unsigned char)(p - ring[gen % RING]);
			gen++;
		}

		/* Maybe delay line k: swap it with a reading of the same asset 1 to
		 * 3 seconds later.  An asset's swaps never overlap (a swap starts
		 * after the asset's last one has landed), so no reading arrives more
		 * than MAX_DELAY_S behind the newest of its asset; a reading picked
		 * while its asset's previous swap is under way passes its turn to
		 * the asset's next free reading, which keeps the rate at 1%. */
		slot = (size_t)(k % RING);
		i = (int)(k % PER_SEC);
		a = i / NSENSORS;
		if (below(&swap_rng, 10000) < SWAP_PER_10000)
			owed[a]++;
		if (owed[a] > 0 && k > busy_until[a]) {
			long long cand[MAX_DELAY_S * NSENSORS], sec = k / PER_SEC, pos;
			int nc = 0, ds;

			for (ds = 1; ds <= MAX_DELAY_S; ds++)
				for (j = 0; j < NSENSORS; j++) {
					pos = (sec + ds) * PER_SEC + a * NSENSORS + j;
					if (pos < n)
						cand[nc++] = pos;
				}
			if (nc > 0) {
				long long d = cand[below(&swap_rng, (uint64_t)nc)];
				size_t other = (size_t)(d % RING);
				char tmp[LINEMAX];
				unsigned char tl = ring_len[slot];

				memcpy(tmp, ring[slot], tl);
				memcpy(ring[slot], ring[other], ring_len[other]);
				ring_len[slot] = ring_len[other];
				memcpy(ring[other], tmp, tl);
				ring_len[other] = tl;
				busy_until[a] = d;
				owed[a]--;
				delayed++;
			}
		}

		o = out_room(LINEMAX);
		memcpy(o, ring[slot], ring_len[slot]);
		out_done(o + ring_len[slot]);
	}
	if (out_finish())
		return 1;
	if (summary)
		fprintf(stderr, "gen_long: %lld readings, %lld s of event time, %lld delayed\n",
			n, (n + PER_SEC - 1) / PER_SEC, delayed);
	return 0;
}
