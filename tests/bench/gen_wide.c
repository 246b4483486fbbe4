/* gen_wide - a deterministic wide sensor CSV for the benchmarks.
 *
 * Usage: gen_wide ROWS
 *
 * Writes on standard output the header
 *   time,temp_c,pressure_bar,rpm,current_a,vib_mm_s,flow_m3_h
 * and ROWS rows, one per second from 2024-03-01 00:00:00, with values that
 * wander as mean-reverting random walks (2 or 3 decimals; rpm an integer).
 * The PRNG is xorshift64* with a fixed seed, so the output is the same
 * byte for byte on every run and every machine.  Values are kept as
 * fixed-point integers and formatted by hand, the date string is advanced
 * field by field, and output goes through a large buffer: a million rows
 * take a fraction of a second. */
#define GEN_PROG "gen_wide"
#include "gen.h"

#define ROWMAX 256

int main(int argc, char **argv)
{
	static const char header[] = "time,temp_c,pressure_bar,rpm,current_a,vib_mm_s,flow_m3_h\n";
	/*                    value   mean    span  lo      hi       dec */
	struct walk w[6] = {
		{ 6125, 6125, 4, 4000, 9500, 2 },          /* temp_c        61.25 */
		{ 4500, 4500, 6, 3000, 6500, 3 },          /* pressure_bar  4.500 */
		{ 1450, 1450, 3, 1200, 1800, 0 },          /* rpm           1450  */
		{ 1250, 1250, 5, 800, 2000, 2 },           /* current_a     12.50 */
		{ 2300, 2300, 40, 300, 9000, 3 },          /* vib_mm_s      2.300 */
		{ 3500, 3500, 8, 2000, 5500, 2 },          /* flow_m3_h     35.00 */
	};
	struct event_clock clk = { "2024-03-01 00:00:00", 2024, 3, 1, 0, 0, 0 };
	struct rng rng = { RNG_SEED };
	long long rows, i;
	char *p;

	if (argc != 2) {
		fputs("usage: gen_wide ROWS\n", stderr);
		return 2;
	}
	rows = parse_count(argv[1], "row");

	p = out_room(sizeof header);
	memcpy(p, header, sizeof header - 1);
	out_done(p + sizeof header - 1);
	for (i = 0; i < rows; i++) {
		p = out_room(ROWMAX);
		memcpy(p, clk.str, 19);
		p += 19;
		for (int k = 0; k < 6; k++) {
			walk_next(&w[k], &rng);
			*p++ = ',';
			p = put_fixed(p, w[k].v, w[k].dec);
		}
		*p++ = '\n';
		out_done(p);
		clock_tick(&clk);
	}
	return out_finish();
}
