/* ingest.h - raw logs and live feeds in, canonical readings out.
 *
 * The engine behind twin-ingest(1): it reads CSV, NDJSON, InfluxDB line
 * protocol or MQTT `topic payload` lines, maps them onto readings
 * ({"ts","asset","sensor","value"[,"unit"][,"src"]}) and writes them to a
 * struct tw_out.  Rejected lines go to the struct tw_diag with their file
 * and line; a line is written whole or not at all.
 *
 * Ownership: struct tw_ingest borrows the options' strings, the writer
 * and the reporter, which must outlive it; tw_ingest_free frees the rest. */
#ifndef TW_INGEST_H
#define TW_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "err.h"
#include "out.h"
#include "timestamp.h"

enum tw_ingest_format {
	TW_FMT_AUTO,       /* from each file's name */
	TW_FMT_CSV,
	TW_FMT_NDJSON,
	TW_FMT_INFLUX,
	TW_FMT_MQTT,
};

struct tw_ingest_opts {
	enum tw_ingest_format format;
	char delimiter;              /* 0: detected from the CSV header */
	bool long_layout;
	struct tw_time_fmt time_fmt;
	bool time_fmt_given;         /* else influx reads epoch_ns, others auto */
	const char *asset;           /* --asset */
	const char *ts_field, *asset_field, *sensor_field, *value_field;
	const char *columns;         /* "a,b,c": sensors to keep */
	const char *rename;          /* "old=new,..." */
	const char *units;           /* "sensor=unit,..." */
	const char *topic;           /* MQTT topic pattern */
	bool numeric;                /* reject values that are not numbers */
	bool has_since, has_until;
	int64_t since, until;        /* [since, until) */
	double replay;               /* 0: as fast as possible */
	bool follow, lineage, stamp;
	bool progress;
};

/* Every line read is accepted, rejected or skipped: lines = accepted +
 * rejected + skipped.  A CSV record that spans lines counts each. */
struct tw_ingest_stats {
	long long lines;       /* lines read */
	long long accepted;    /* lines whose readings were written (maybe none) or passed through */
	long long rejected;    /* lines rejected */
	long long skipped;     /* headers, blank lines, comments, lines outside the window */
	long long readings;    /* readings written */
};

struct tw_ingest;

void tw_ingest_opts_init(struct tw_ingest_opts *o);

/* Parses a format name ("csv", "ndjson", "jsonl", "influx", "mqtt"). */
int tw_ingest_format_parse(const char *name, enum tw_ingest_format *f, struct tw_err *e);

/* NULL with a reason in e when an option is malformed (a --rename entry
 * without '=', a topic pattern with two {asset} parts ...). */
struct tw_ingest *tw_ingest_new(const struct tw_ingest_opts *o, struct tw_out *out,
				struct tw_diag *d, struct tw_err *e);

/* Reads the files (a NULL-terminated list; "-" is standard input) in
 * order, each to its end; with --follow the last one is followed.
 * Returns 0; 1 when --strict stopped at a rejected line; -1 with a
 * reason in e for a fatal error (unreadable file, unknown format). */
int tw_ingest_run(struct tw_ingest *g, char *const *files, struct tw_err *e);

void tw_ingest_stats(const struct tw_ingest *g, struct tw_ingest_stats *s);
void tw_ingest_free(struct tw_ingest *g);

#endif
