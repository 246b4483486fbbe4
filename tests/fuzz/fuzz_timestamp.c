/* fuzz_timestamp.c - time stamps, time formats and durations: the first
 * byte picks the kind of time stamp, the rest is the text.  An accepted
 * time stamp must write as RFC 3339 and read back to the same instant. */
#include "fuzz.h"
#include "timestamp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tw_time_fmt auto_fmt = { TW_TIME_AUTO, NULL };
	struct tw_time_fmt f = auto_fmt;
	struct tw_err e;
	int64_t ns, back;
	char buf[TW_TIME_MAX];

	if (size < 1)
		return 0;
	char *text = fuzz_str(data + 1, size - 1);
	switch (data[0] & 7) {
	case 1: f.kind = TW_TIME_EPOCH_S; break;
	case 2: f.kind = TW_TIME_EPOCH_MS; break;
	case 3: f.kind = TW_TIME_EPOCH_US; break;
	case 4: f.kind = TW_TIME_EPOCH_NS; break;
	case 5: f.kind = TW_TIME_STRPTIME; f.strptime = "%d/%m/%Y %H:%M:%S"; break;
	case 6: f.kind = TW_TIME_STRPTIME; f.strptime = "%Y-%m-%dT%H:%M:%S%z"; break;
	case 7: {
		/* The text is a format: "%..." up to the first newline, then a time. */
		char *nl = strchr(text, '\n');
		if (!nl)
			break;
		*nl = '\0';
		if (tw_time_fmt_parse(&f, text, &e) < 0)
			f = auto_fmt;
		size_t skip = (size_t)(nl + 1 - text);
		tw_time_parse(text + skip, size - 1 - skip, &f, &ns, &e);
		free(text);
		return 0;
	}
	}
	if (tw_time_parse(text, size - 1, &f, &ns, &e) == 0) {
		size_t n = tw_time_format(ns, buf);
		if (n >= TW_TIME_MAX || tw_time_parse(buf, n, &auto_fmt, &back, &e) < 0 || back != ns)
			abort();
	}
	tw_dur_parse(text, &ns, &e);
	tw_time_fmt_parse(&f, text, &e);
	free(text);
	return 0;
}
