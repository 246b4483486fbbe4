/* fuzz_model.c - model files: a JSON document whose "model" member (or
 * the document itself) is compiled by tw_model_load, then evaluated
 * once: derivatives and outputs at the initial state. */
#include <jansson.h>

#include "fuzz.h"
#include "model.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	struct tw_err e;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);

	if (!doc)
		return 0;
	json_t *section = json_object_get(doc, "model");
	struct tw_model *m = tw_model_load(section ? section : doc, "fuzz", &e);
	if (m) {
		int n = tw_model_nstates(m), k = tw_model_noutputs(m);
		double *y = calloc((size_t)n + 1, sizeof *y), *dy = calloc((size_t)n + 1, sizeof *dy);
		double *out = calloc((size_t)k + 1, sizeof *out);
		for (int i = 0; i < n; i++)
			y[i] = tw_model_state_initial(m, i);
		tw_model_rhs(m, 0, y, dy);
		tw_model_outputs(m, 0, y, out);
		for (int i = 0; i < tw_model_ninputs(m); i++)
			tw_model_input_index(m, tw_model_input_name(m, i));
		free(y);
		free(dy);
		free(out);
		tw_model_free(m);
	}
	json_decref(doc);
	return 0;
}
