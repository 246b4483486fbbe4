/* fuzz_twin.c - the twin description (twin-description(5)): the file
 * through tw_twin_load, then the sections other tools read from it, as
 * they read them: rules and targets (rules.h) and the model (model.h). */
#include "fuzz.h"
#include "model.h"
#include "rules.h"
#include "twin.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_err e;
	struct tw_twin *t = tw_twin_load(fuzz_path(data, size), &e);

	if (!t)
		return 0;
	const struct tw_asset_spec *a = tw_twin_asset(t, "pump-1");
	tw_twin_sensor(a, "temp_c");
	tw_twin_asset(t, "");

	struct tw_rules r;
	if (tw_rules_load(&r, tw_twin_section(t, "rules"), tw_twin_section(t, "targets"), "fuzz", &e) == 0) {
		for (int i = 0; i < r.nrules; i++)
			if (r.rules[i].target)
				tw_rules_target(&r, r.rules[i].target);
		tw_rules_release(&r);
	}
	json_t *ms = tw_twin_section(t, "model");
	if (ms) {
		struct tw_model *m = tw_model_load(ms, "fuzz", &e);
		if (m)
			tw_model_free(m);
	}
	tw_twin_free(t);
	return 0;
}
