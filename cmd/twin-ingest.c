/* twin-ingest - raw sensor logs and live feeds in, canonical readings out.
 *
 * The engine is lib/ingest.c; this file is the command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "ingest.h"
#include "num.h"

static const char *const tool = "twin-ingest";

static void usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n", tool);
	fputs("Turn raw sensor logs and live feeds into canonical twin readings (NDJSON).\n"
	      "With no FILE, or when FILE is -, read standard input; .gz input is inflated.\n"
	      "\n"
	      "Input:\n"
	      "  -f, --format=FMT         csv, ndjson, influx or mqtt (default: from each file name:\n"
	      "                           .csv .tsv .txt, .ndjson .jsonl .json, .lp .influx, .mqtt)\n"
	      "  -d, --delimiter=CHAR     CSV delimiter: , ; tab or any one character\n"
	      "                           (default: detected from the header)\n"
	      "      --layout=LAYOUT      CSV layout: wide (a column per sensor, default) or long\n"
	      "      --time-format=FMT    auto, epoch, epoch_ms, epoch_us, epoch_ns or a strptime\n"
	      "                           format such as '%d/%m/%Y %H:%M:%S' (default: auto;\n"
	      "                           influx: epoch_ns)\n"
	      "      --tz=ZONE            time zone of time stamps without an offset (default UTC)\n"
	      "\n"
	      "Mapping:\n"
	      "  -a, --asset=NAME         the asset of every reading (default: an asset column or\n"
	      "                           field, a tag (influx: else the measurement) or a topic\n"
	      "                           level, else the file name)\n"
	      "      --ts-field=NAME      column or field of the time stamp (CSV: a header name or\n"
	      "                           a column number; NDJSON: a dotted path)\n"
	      "      --asset-field=NAME   column, field or tag of the asset\n"
	      "      --sensor-field=NAME  column or field of the sensor name (implies --layout=long)\n"
	      "      --value-field=NAME   column or field of the value; a JSON object is exploded\n"
	      "                           into one reading per member\n"
	      "      --columns=LIST       keep only these sensors (comma-separated input names)\n"
	      "      --rename=OLD=NEW,... rename sensors\n"
	      "      --unit=SENSOR=UNIT,... give sensors a unit\n"
	      "      --topic=PATTERN      MQTT topic levels: {asset}, {sensor}, + and #\n"
	      "                           (default: #/{asset}/{sensor})\n"
	      "      --numeric            reject values that are not numbers or null\n"
	      "      --stamp              stamp lines that carry no time with the wall clock\n"
	      "\n"
	      "Window and pace:\n"
	      "      --since=TIME         drop readings before TIME\n"
	      "      --until=TIME         drop readings at or after TIME\n"
	      "      --replay[=SPEED]     pace the output by event time, SPEED times real time\n"
	      "                           (default 1)\n"
	      "      --follow             at the end of the last file, wait for more (tail -F)\n"
	      "\n"
	      "Output and errors:\n"
	      "      --lineage            add \"src\":\"FILE:LINE\" to every reading\n"
	      "      --progress           show progress on stderr (default when it is a terminal)\n"
	      "      --no-progress        never show progress\n"
	      "      --stats              print a count of lines, readings and rejects at the end\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some lines rejected, 2 usage or fatal error.\n"
	      "See twin-ingest(1) and twin-format(5).\n", stdout);
}

enum {
	OPT_LAYOUT = 256, OPT_TIME_FORMAT, OPT_TZ, OPT_TS_FIELD, OPT_ASSET_FIELD,
	OPT_SENSOR_FIELD, OPT_VALUE_FIELD, OPT_COLUMNS, OPT_RENAME, OPT_UNIT, OPT_TOPIC,
	OPT_NUMERIC, OPT_STAMP, OPT_SINCE, OPT_UNTIL, OPT_REPLAY, OPT_FOLLOW, OPT_LINEAGE,
	OPT_PROGRESS, OPT_NO_PROGRESS, OPT_STATS, OPT_REJECTS, OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "time-format", required_argument, NULL, OPT_TIME_FORMAT },
	{ "tz", required_argument, NULL, OPT_TZ },
	{ "asset", required_argument, NULL, 'a' },
	{ "ts-field", required_argument, NULL, OPT_TS_FIELD },
	{ "asset-field", required_argument, NULL, OPT_ASSET_FIELD },
	{ "sensor-field", required_argument, NULL, OPT_SENSOR_FIELD },
	{ "value-field", required_argument, NULL, OPT_VALUE_FIELD },
	{ "columns", required_argument, NULL, OPT_COLUMNS },
	{ "rename", required_argument, NULL, OPT_RENAME },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "topic", required_argument, NULL, OPT_TOPIC },
	{ "numeric", no_argument, NULL, OPT_NUMERIC },
	{ "stamp", no_argument, NULL, OPT_STAMP },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "replay", optional_argument, NULL, OPT_REPLAY },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "lineage", no_argument, NULL, OPT_LINEAGE },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static char delimiter_of(const char *s)
{
	if (strcmp(s, "tab") == 0 || strcmp(s, "\\t") == 0)
		return '\t';
	if (strlen(s) != 1 || s[0] == '"' || s[0] == '\n' || s[0] == '\r')
		tw_cli_usage(tool, "--delimiter: '%s' is not one character (or 'tab')", s);
	return s[0];
}

int main(int argc, char **argv)
{
	struct tw_ingest_opts o;
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e;
	const char *rejects = NULL, *tz = NULL, *since = NULL, *until = NULL;
	int progress = -1, stats = 0, c;

	argv[0] = (char *)tool;      /* getopt's own messages name the tool */
	tw_ingest_opts_init(&o);
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "f:d:a:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (tw_ingest_format_parse(optarg, &o.format, &e) < 0)
				tw_cli_usage(tool, "-f: %s", e.msg);
			break;
		case 'd': o.delimiter = delimiter_of(optarg); break;
		case OPT_LAYOUT:
			if (strcmp(optarg, "long") != 0 && strcmp(optarg, "wide") != 0)
				tw_cli_usage(tool, "--layout: '%s' is neither wide nor long", optarg);
			o.long_layout = strcmp(optarg, "long") == 0;
			break;
		case OPT_TIME_FORMAT:
			if (tw_time_fmt_parse(&o.time_fmt, optarg, &e) < 0)
				tw_cli_usage(tool, "--time-format: %s", e.msg);
			o.time_fmt_given = true;
			break;
		case OPT_TZ: tz = optarg; break;
		case 'a': o.asset = optarg; break;
		case OPT_TS_FIELD: o.ts_field = optarg; break;
		case OPT_ASSET_FIELD: o.asset_field = optarg; break;
		case OPT_SENSOR_FIELD: o.sensor_field = optarg; o.long_layout = true; break;
		case OPT_VALUE_FIELD: o.value_field = optarg; break;
		case OPT_COLUMNS: o.columns = optarg; break;
		case OPT_RENAME: o.rename = optarg; break;
		case OPT_UNIT: o.units = optarg; break;
		case OPT_TOPIC: o.topic = optarg; break;
		case OPT_NUMERIC: o.numeric = true; break;
		case OPT_STAMP: o.stamp = true; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_UNTIL: until = optarg; break;
		case OPT_REPLAY:
			o.replay = 1;
			if (optarg && (tw_num_parse(optarg, strlen(optarg), &o.replay, &e) < 0 || o.replay <= 0))
				tw_cli_usage(tool, "--replay: '%s' is not a positive speed", optarg);
			break;
		case OPT_FOLLOW: o.follow = true; break;
		case OPT_LINEAGE: o.lineage = true; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_STATS: stats = 1; break;
		case OPT_REJECTS: rejects = optarg; break;
		case OPT_STRICT: diag.strict = true; break;
		case 'h': usage(); return TW_EXIT_OK;
		case OPT_VERSION: tw_cli_version(tool); return TW_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", tool);
			return TW_EXIT_FATAL;
		}
	}
	if (o.asset && o.asset_field)
		tw_cli_usage(tool, "give --asset or --asset-field, not both");
	/* Time zone first: --since and --until may be naive times. */
	if (tw_tz_set(tz, &e) < 0)
		tw_cli_usage(tool, "--tz: %s", e.msg);
	if (since) {
		o.since = tw_cli_time(tool, "--since", since);
		o.has_since = true;
	}
	if (until) {
		o.until = tw_cli_time(tool, "--until", until);
		o.has_until = true;
	}
	o.progress = progress < 0 ? isatty(STDERR_FILENO) : progress;

	char *stdin_only[] = { "-", NULL };
	char **files = optind < argc ? argv + optind : stdin_only;
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		return TW_EXIT_FATAL;
	}
	tw_out_init(&out, STDOUT_FILENO, "standard output");
	struct tw_ingest *g = tw_ingest_new(&o, &out, &diag, &e);
	if (!g) {
		tw_diag_say(&diag, "%s", e.msg);
		return tw_cli_finish(&out, &diag, TW_EXIT_FATAL);
	}

	int status = TW_EXIT_OK;
	if (tw_ingest_run(g, files, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	}
	struct tw_ingest_stats st;
	tw_ingest_stats(g, &st);
	if (stats)
		fprintf(stderr, "%s: %lld lines: %lld accepted (%lld readings), %lld rejected, %lld skipped\n",
			tool, st.lines, st.accepted, st.readings, st.rejected, st.skipped);
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_ingest_free(g);
	tw_tz_set(NULL, NULL);
	return tw_cli_finish(&out, &diag, status);
}
