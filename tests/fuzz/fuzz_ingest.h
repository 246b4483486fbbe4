/* fuzz_ingest.h - twin-ingest's readers under fuzzing: the first byte of
 * the input picks options, the rest is the file read. */
#ifndef TW_FUZZ_INGEST_H
#define TW_FUZZ_INGEST_H

#include <fcntl.h>

#include "diag.h"
#include "fuzz.h"
#include "ingest.h"
#include "out.h"

/* bit 0  --long (CSV)            bit 1  --numeric
 * bits 2-3 time format: auto, epoch_ms, epoch_ns, a strptime format
 * bit 4  --lineage               bit 5  --delimiter ';' (CSV) / --asset
 * bit 6  --columns, --rename, --unit
 * bit 7  --since and --until
 * MQTT: bit 0 picks the --topic pattern. */
static inline void fuzz_ingest(enum tw_ingest_format format, const uint8_t *data, size_t size)
{
	static const char *const topics[] = { "plant/+/{asset}/{sensor}", "{asset}/{sensor}/#" };
	static int null_fd = -1;
	struct tw_ingest_opts o;
	struct tw_diag d;
	struct tw_out out;
	struct tw_err e = { { 0 } };
	unsigned flags;

	if (size < 1)
		return;
	flags = data[0];
	if (null_fd < 0 && (null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		abort();
	tw_ingest_opts_init(&o);
	o.format = format;
	o.long_layout = (flags & 1) && format == TW_FMT_CSV;
	o.numeric = flags & 2;
	switch ((flags >> 2) & 3) {
	case 1: o.time_fmt.kind = TW_TIME_EPOCH_MS; o.time_fmt_given = true; break;
	case 2: o.time_fmt.kind = TW_TIME_EPOCH_NS; o.time_fmt_given = true; break;
	case 3:
		o.time_fmt.kind = TW_TIME_STRPTIME;
		o.time_fmt.strptime = "%d/%m/%Y %H:%M:%S";
		o.time_fmt_given = true;
		break;
	}
	o.lineage = flags & 16;
	if (flags & 32) {
		if (format == TW_FMT_CSV)
			o.delimiter = ';';
		else
			o.asset = "a-1";
	}
	if (flags & 64) {
		o.columns = "temp_c,rpm,t,x.y";
		o.rename = "temp_c=t,rpm=speed";
		o.units = "t=degC,speed=rpm";
	}
	if (flags & 128) {
		o.has_since = o.has_until = true;
		o.since = INT64_C(1709251200) * TW_NS_PER_SEC;
		o.until = INT64_C(1709337600) * TW_NS_PER_SEC;
	}
	if (format == TW_FMT_MQTT)
		o.topic = topics[flags & 1];

	tw_diag_init(&d, "fuzz");
	tw_out_init(&out, null_fd, "output");
	struct tw_ingest *g = tw_ingest_new(&o, &out, &d, &e);
	if (!g)
		abort();    /* the options above are all valid */
	char *files[] = { (char *)fuzz_path(data + 1, size - 1), NULL };
	tw_ingest_run(g, files, &e);
	tw_ingest_free(g);
	int epipe;
	tw_out_close(&out, &epipe, &e);
	tw_diag_close(&d, &e);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init();
	return 0;
}

#endif
