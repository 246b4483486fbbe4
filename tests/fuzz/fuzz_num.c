/* fuzz_num.c - numbers as the wire format reads and writes them: an
 * accepted number must write in a form that reads back to the same
 * double, and JSON text must be accepted. */
#include "fuzz.h"
#include "num.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tw_err e;
	double v, back;
	char buf[TW_NUM_MAX];
	const char *s = (const char *)data;

	if (tw_num_is_json(s, size) && tw_num_parse(s, size, &v, &e) < 0)
		abort();
	if (tw_num_parse(s, size, &v, &e) == 0) {
		size_t n = tw_num_format(v, buf);
		if (n >= TW_NUM_MAX || tw_num_parse(buf, n, &back, &e) < 0 || memcmp(&back, &v, sizeof v))
			abort();
	}
	if (size == sizeof v) {
		memcpy(&v, data, sizeof v);
		if (v == v && v - v == 0) {    /* finite */
			size_t n = tw_num_format(v, buf);
			if (n >= TW_NUM_MAX || tw_num_parse(buf, n, &back, &e) < 0 || memcmp(&back, &v, sizeof v))
				abort();
		}
	}
	return 0;
}
