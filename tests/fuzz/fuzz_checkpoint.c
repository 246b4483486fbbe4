/* fuzz_checkpoint.c - a --state checkpoint file: tw_resume_load, then
 * its engine state restored into twin-sync's engine (tw_sync_load),
 * which then reads a few records and ends, as a resumed run does. */
#include <fcntl.h>

#include "diag.h"
#include "fuzz.h"
#include "out.h"
#include "resume.h"
#include "sync.h"
#include "timestamp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

static const char *const lines[] = {
	"{\"ts\":\"2024-03-01T00:00:00Z\",\"asset\":\"pump-1\",\"sensor\":\"temp_c\",\"value\":61.5}",
	"{\"ts\":\"2024-03-01T00:00:01Z\",\"asset\":\"pump-1\",\"sensor\":\"rpm\",\"value\":1450}",
	"{\"ts\":\"2024-03-01T00:00:02Z\",\"asset\":\"pump-2\",\"sensor\":\"state\",\"value\":\"run\"}",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct tw_resume res;
	struct tw_err e;
	json_t *engine;

	if (null_fd < 0 && (null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	if (tw_resume_load(&res, "twin-sync", fuzz_path(data, size), &engine, &e) < 0 || !engine)
		return 0;
	for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
		if (tw_resume_line(&res, lines[i], strlen(lines[i]), &e) < 0)
			break;
	tw_resume_end(&res, &e);

	struct tw_sync_opts o;
	struct tw_diag d;
	struct tw_out out;
	tw_sync_opts_init(&o);
	o.lateness = 5 * TW_NS_PER_SEC;
	tw_diag_init(&d, "fuzz");
	tw_out_init(&out, null_fd, "output");
	struct tw_sync *s = tw_sync_new(&o, &out, &d, &e);
	if (!s)
		abort();
	if (tw_sync_load(s, engine, &e) == 0) {
		for (size_t i = 0; i < sizeof lines / sizeof *lines; i++)
			tw_sync_line(s, "fuzz", (long long)i + 1, lines[i], strlen(lines[i]), "\n", &e);
		tw_sync_finish(s);
		json_decref(tw_sync_save(s));
	}
	tw_sync_free(s);
	json_decref(engine);
	int epipe;
	tw_out_close(&out, &epipe, &e);
	tw_diag_close(&d, &e);
	return 0;
}
