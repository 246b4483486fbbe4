/* fuzz_predict_model.c - twin-predict's model files (--model): the whole
 * document through the engine's loader (tw_predict_new), then a state
 * and a reading scored with it, so that every part the document gives
 * (a series' detector and forecaster, an asset's pca model, the rul
 * model) is loaded and used once. */
#include <fcntl.h>

#include <jansson.h>

#include "fuzz.h"
#include "predict.h"

static const char *const lines[] = {
	"{\"ts\":1,\"asset\":\"m\",\"kind\":\"state\",\"values\":{\"a\":1,\"b\":2,\"c\":3,\"s2\":642}}",
	"{\"ts\":2,\"asset\":\"m\",\"kind\":\"state\",\"values\":{\"a\":1.5,\"b\":-2,\"c\":0,\"s2\":643}}",
	"{\"ts\":3,\"asset\":\"p\",\"sensor\":\"t\",\"value\":50}",
	"{\"ts\":4,\"asset\":\"p\",\"sensor\":\"t\",\"value\":51}",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);

	if (!doc)
		return 0;
	int null = open("/dev/null", O_WRONLY);
	struct tw_predict_opts o;
	struct tw_out out;
	struct tw_diag diag;
	struct tw_err e;
	tw_predict_opts_init(&o);
	o.model = doc;
	o.model_file = "fuzz.json";
	o.forecast = 10 * (int64_t)1000000000;
	o.rul = json_object_get(doc, "rul") != NULL;
	tw_diag_init(&diag, "fuzz");
	struct tw_predict *p = tw_predict_new(&o, &out, &diag, &e);
	if (p) {
		tw_out_init(&out, null, "fuzz");
		for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
			tw_predict_line(p, "fuzz", (long long)i + 1, lines[i], strlen(lines[i]), "\n");
		int epipe;
		tw_out_close(&out, &epipe, &e);
		tw_predict_free(p);
	}
	tw_diag_close(&diag, &e);
	close(null);
	json_decref(doc);
	return 0;
}
