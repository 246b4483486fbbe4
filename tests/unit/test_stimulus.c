/* test_stimulus.c - test signals and fault specifications (stimulus.h). */
#include <math.h>

#include "check.h"
#include "stimulus.h"

static int near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static void test_signals(void)
{
	struct tw_signal s;
	struct tw_err e;

	CHECK_INT(tw_signal_parse("42.5", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 1e6), 42.5));
	CHECK_INT(tw_signal_parse("step:0,100@10s", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 9.999), 0) && near(tw_signal_at(&s, 10), 100));
	CHECK_INT(tw_signal_parse("ramp:5,0.5@1m", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 30), 5) && near(tw_signal_at(&s, 80), 15));
	CHECK_INT(tw_signal_parse("sine:2,4s", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 1), 2) && near(tw_signal_at(&s, 3), -2));
	CHECK_INT(tw_signal_parse("sine:2,4s,10,90", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 0), 12));
	CHECK_INT(tw_signal_parse("square:0,1,10s", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 4), 1) && near(tw_signal_at(&s, 6), 0) && near(tw_signal_at(&s, 14), 1));
	CHECK_INT(tw_signal_parse("square:0,1,1m,0.25", &s, &e), 0);
	CHECK(near(tw_signal_at(&s, 14), 1) && near(tw_signal_at(&s, 16), 0));

	const char *bad[] = { "", "abc", "step:1@2s", "step:1,2", "ramp:1,2,3@1s", "sine:1", "sine:1,0s",
			      "square:0,1,10s,1.5", "sine:1,2s@3s", "step:a,b@1s", "step:1,2@soon", NULL };
	for (int i = 0; bad[i]; i++) {
		e.msg[0] = '\0';
		if (!CHECK(tw_signal_parse(bad[i], &s, &e) == -1))
			fprintf(stderr, "    accepted '%s'\n", bad[i]);
		CHECK(e.msg[0] != '\0');
	}
}

static void test_faults(void)
{
	struct tw_fault f;
	struct tw_err e;

	CHECK_INT(tw_fault_parse("bias:temp_c=2.5@10m", &f, &e), 0);
	CHECK(f.kind == TW_FAULT_BIAS && near(f.value, 2.5) && near(f.from, 600) && isinf(f.to));
	CHECK_STR(f.target, "temp_c");
	CHECK(!tw_fault_active(&f, 599) && tw_fault_active(&f, 600));
	CHECK_INT(tw_fault_parse("stuck:rpm@10m-20m", &f, &e), 0);
	CHECK(f.kind == TW_FAULT_STUCK && near(f.from, 600) && near(f.to, 1200));
	CHECK(tw_fault_active(&f, 1199) && !tw_fault_active(&f, 1200));
	CHECK_INT(tw_fault_parse("spikes:vib=4,0.01", &f, &e), 0);
	CHECK(near(f.value, 4) && near(f.value2, 0.01) && near(f.from, 0));
	CHECK_INT(tw_fault_parse("param:R=0.08@2h", &f, &e), 0);
	CHECK(f.kind == TW_FAULT_PARAM && near(f.from, 7200));
	CHECK_INT(tw_fault_parse("drift:x=-0.5", &f, &e), 0);
	CHECK_INT(tw_fault_parse("noise:x=3@1s-2s", &f, &e), 0);

	const char *bad[] = { "", "bias", "melt:x=1", "bias:x", "bias:=1", "stuck:x=1", "spikes:x=1",
			      "spikes:x=1,2", "bias:x=1@5m-1m", "bias:x=1@later", "bias:x=a", NULL };
	for (int i = 0; bad[i]; i++) {
		if (!CHECK(tw_fault_parse(bad[i], &f, &e) == -1))
			fprintf(stderr, "    accepted '%s'\n", bad[i]);
	}
}

int main(void)
{
	test_signals();
	test_faults();
	return check_done("stimulus");
}
