/* twin-sync - the replica's state, kept in step with the physical system.
 *
 * The engine is lib/sync.c, checkpoints lib/resume.c; this file is the
 * command line and the read loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "in.h"
#include "num.h"
#include "resume.h"
#include "run.h"
#include "shard.h"
#include "sync.h"
#include "timestamp.h"
#include "twin.h"

static const char *const tool = "twin-sync";

static void usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n", tool);
	fputs("Keep each asset's state from twin readings (NDJSON) and emit state records.\n"
	      "With no FILE, or when FILE is -, read standard input; .gz input is inflated.\n"
	      "Records of other kinds pass through unchanged.\n"
	      "\n"
	      "Event time:\n"
	      "      --lateness=DUR       hold readings DUR behind the newest, to put them in order\n"
	      "                           (default 0: no reordering)\n"
	      "      --late=POLICY        a reading behind the watermark: reject (default), drop,\n"
	      "                           or keep (passed through, not applied)\n"
	      "      --max-future=DUR     quarantine readings more than DUR ahead of the watermark\n"
	      "                           of their asset (default: no limit)\n"
	      "\n"
	      "States:\n"
	      "      --every=DUR          one state per asset per grid instant (multiples of DUR)\n"
	      "      --interp=METHOD      with --every: hold (default) or linear\n"
	      "      --on-change          a state when a value changes by more than its deadband\n"
	      "      --deadband=X         the deadband of sensors the twin gives none (default 0)\n"
	      "      --stale-after=DUR    a sensor not heard from for DUR is stale\n"
	      "      --stale-factor=K     else stale after K periods of the twin (default 3)\n"
	      "      --null-stale         write stale values as null\n"
	      "      --keep-readings      pass accepted readings through as well\n"
	      "\n"
	      "Twin:\n"
	      "  -t, --twin=FILE          twin description: ranges, periods, deadbands, derived\n"
	      "                           signals (twin-description(5))\n"
	      "      --out-of-range=POLICY  a reading outside its valid range: mark (default:\n"
	      "                           listed in the state's \"bad\") or reject\n"
	      "\n"
	      "State and scale-out:\n"
	      "  -s, --state=FILE         resume from FILE and save to it (atomically) at the end,\n"
	      "                           on SIGTERM and SIGINT, and every --checkpoint-every\n"
	      "      --checkpoint-every=DUR  of event time\n"
	      "      --final              with --state: the input is complete; emit everything\n"
	      "      --snapshot           at the end, print the state of every asset\n"
	      "      --shard=K/N          keep only the assets of shard K of N (0 <= K < N),\n"
	      "                           hashed as Kafka partitions by key\n"
	      "      --key                print asset<TAB>record, for kcat -K '\\t'\n"
	      "                           -X topic.partitioner=murmur2_random\n"
	      "\n"
	      "Errors:\n"
	      "      --stats              print counts at the end on stderr\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Durations: a number and a unit, ns us ms s m h d (a bare number is seconds).\n"
	      "Exit status: 0 all input read, 1 some lines rejected, 2 usage or fatal error.\n"
	      "See twin-sync(1), twin-description(5) and twin-format(5).\n", stdout);
}

enum {
	OPT_LATENESS = 256, OPT_LATE, OPT_MAX_FUTURE, OPT_EVERY, OPT_INTERP, OPT_ON_CHANGE,
	OPT_DEADBAND, OPT_STALE_AFTER, OPT_STALE_FACTOR, OPT_NULL_STALE, OPT_KEEP_READINGS,
	OPT_OUT_OF_RANGE, OPT_CHECKPOINT_EVERY, OPT_FINAL, OPT_SNAPSHOT, OPT_SHARD, OPT_KEY,
	OPT_STATS, OPT_REJECTS, OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "lateness", required_argument, NULL, OPT_LATENESS },
	{ "late", required_argument, NULL, OPT_LATE },
	{ "max-future", required_argument, NULL, OPT_MAX_FUTURE },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "interp", required_argument, NULL, OPT_INTERP },
	{ "on-change", no_argument, NULL, OPT_ON_CHANGE },
	{ "deadband", required_argument, NULL, OPT_DEADBAND },
	{ "stale-after", required_argument, NULL, OPT_STALE_AFTER },
	{ "stale-factor", required_argument, NULL, OPT_STALE_FACTOR },
	{ "null-stale", no_argument, NULL, OPT_NULL_STALE },
	{ "keep-readings", no_argument, NULL, OPT_KEEP_READINGS },
	{ "twin", required_argument, NULL, 't' },
	{ "out-of-range", required_argument, NULL, OPT_OUT_OF_RANGE },
	{ "state", required_argument, NULL, 's' },
	{ "checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY },
	{ "final", no_argument, NULL, OPT_FINAL },
	{ "snapshot", no_argument, NULL, OPT_SNAPSHOT },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "key", no_argument, NULL, OPT_KEY },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/* Saves a checkpoint: flush the output first, so the file it vouches for
 * holds everything the state says was emitted. */
static int checkpoint(struct tw_sync *sy, struct tw_resume *res, struct tw_out *out,
		      struct tw_diag *d)
{
	struct tw_err e;
	if (tw_out_flush(out) < 0)
		return -1;      /* reported by tw_cli_finish */
	if (tw_resume_save(res, tw_sync_save(sy), out->fd, &e) < 0) {
		tw_diag_say(d, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* The read loop's callbacks (run.h). */
struct sync_ctx {
	struct tw_sync *sy;
	struct tw_resume *res;
	struct tw_out *out;
	struct tw_diag *diag;
	int64_t checkpoint_every;
};

static int sync_line(void *arg, const char *file, long long lineno, const char *line, size_t len,
		     const char *eol, bool too_long, struct tw_err *e)
{
	struct sync_ctx *c = arg;
	if (too_long)
		return tw_sync_too_long(c->sy, file, lineno, line, len);
	return tw_sync_line(c->sy, file, lineno, line, len, eol, e);
}

static int sync_after(void *arg, struct tw_err *e)
{
	struct sync_ctx *c = arg;
	if (tw_sync_checkpoint_due(c->sy, c->checkpoint_every) &&
	    checkpoint(c->sy, c->res, c->out, c->diag) < 0) {
		e->msg[0] = '\0';      /* reported already */
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct tw_sync_opts o;
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e;
	const char *rejects = NULL, *twin_path = NULL, *state = NULL;
	int64_t checkpoint_every = 0;
	bool final = false, snapshot = false, stats = false;
	int c;

	argv[0] = (char *)tool;
	tw_sync_opts_init(&o);
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "t:s:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_LATENESS: o.lateness = tw_cli_duration(tool, "--lateness", optarg, false); break;
		case OPT_LATE:
			if (strcmp(optarg, "reject") == 0)
				o.late = TW_LATE_REJECT;
			else if (strcmp(optarg, "drop") == 0)
				o.late = TW_LATE_DROP;
			else if (strcmp(optarg, "keep") == 0)
				o.late = TW_LATE_KEEP;
			else
				tw_cli_usage(tool, "--late: '%s' is not reject, drop or keep", optarg);
			break;
		case OPT_MAX_FUTURE: o.max_future = tw_cli_duration(tool, "--max-future", optarg, true); break;
		case OPT_EVERY:
			o.every = tw_cli_duration(tool, "--every", optarg, true);
			if (o.emit == TW_EMIT_CHANGE)
				tw_cli_usage(tool, "give --every or --on-change, not both");
			o.emit = TW_EMIT_GRID;
			break;
		case OPT_INTERP:
			if (strcmp(optarg, "linear") != 0 && strcmp(optarg, "hold") != 0)
				tw_cli_usage(tool, "--interp: '%s' is not hold or linear", optarg);
			o.interp_linear = strcmp(optarg, "linear") == 0;
			break;
		case OPT_ON_CHANGE:
			if (o.emit == TW_EMIT_GRID)
				tw_cli_usage(tool, "give --every or --on-change, not both");
			o.emit = TW_EMIT_CHANGE;
			break;
		case OPT_DEADBAND: o.deadband = tw_cli_number(tool, "--deadband", optarg, 0); break;
		case OPT_STALE_AFTER: o.stale_after = tw_cli_duration(tool, "--stale-after", optarg, true); break;
		case OPT_STALE_FACTOR:
			o.stale_factor = tw_cli_number(tool, "--stale-factor", optarg, 0);
			if (o.stale_factor <= 0)
				tw_cli_usage(tool, "--stale-factor: must be more than 0");
			break;
		case OPT_NULL_STALE: o.null_stale = true; break;
		case OPT_KEEP_READINGS: o.keep_readings = true; break;
		case 't': twin_path = optarg; break;
		case OPT_OUT_OF_RANGE:
			if (strcmp(optarg, "mark") != 0 && strcmp(optarg, "reject") != 0)
				tw_cli_usage(tool, "--out-of-range: '%s' is not mark or reject", optarg);
			o.reject_out_of_range = strcmp(optarg, "reject") == 0;
			break;
		case 's': state = optarg; break;
		case OPT_CHECKPOINT_EVERY: checkpoint_every = tw_cli_duration(tool, "--checkpoint-every", optarg, true); break;
		case OPT_FINAL: final = true; break;
		case OPT_SNAPSHOT: snapshot = true; break;
		case OPT_SHARD:
			if (tw_shard_parse(optarg, &o.shard_k, &o.shard_n, &e) < 0)
				tw_cli_usage(tool, "%s", e.msg);
			break;
		case OPT_KEY: o.key_prefix = true; break;
		case OPT_STATS: stats = true; break;
		case OPT_REJECTS: rejects = optarg; break;
		case OPT_STRICT: diag.strict = true; break;
		case 'h': usage(); return TW_EXIT_OK;
		case OPT_VERSION: tw_cli_version(tool); return TW_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", tool);
			return TW_EXIT_FATAL;
		}
	}
	if (o.interp_linear && o.emit != TW_EMIT_GRID)
		tw_cli_usage(tool, "--interp=linear needs --every");
	if ((checkpoint_every || final) && !state)
		tw_cli_usage(tool, "%s needs --state", final ? "--final" : "--checkpoint-every");
	tw_tz_set(NULL, NULL);

	struct tw_twin *twin = NULL;
	if (twin_path && !(twin = tw_twin_load(twin_path, &e))) {
		tw_diag_say(&diag, "%s", e.msg);
		return TW_EXIT_FATAL;
	}
	o.twin = twin;
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		tw_twin_free(twin);
		return TW_EXIT_FATAL;
	}
	tw_out_init(&out, STDOUT_FILENO, "standard output");
	int status = TW_EXIT_OK;
	struct tw_sync *sy = tw_sync_new(&o, &out, &diag, &e);
	struct tw_resume res = { 0 };
	if (!sy) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
		goto done;
	}
	if (state) {
		json_t *engine;
		if (tw_resume_load(&res, tool, state, &engine, &e) < 0 ||
		    (engine && tw_sync_load(sy, engine, &e) < 0) ||
		    tw_resume_cut_output(&res, STDOUT_FILENO, &e) < 0) {
			if (engine)
				json_decref(engine);
			tw_diag_say(&diag, "%s%s%s", strncmp(e.msg, state, strlen(state)) ? state : "",
				    strncmp(e.msg, state, strlen(state)) ? ": " : "", e.msg);
			status = TW_EXIT_FATAL;
			goto done;
		}
		bool fresh = !engine;
		json_decref(engine);
		/* A first run saves at once: a run killed before its first
		 * checkpoint then still knows where the output stood. */
		if (fresh && checkpoint(sy, &res, &out, &diag) < 0) {
			status = TW_EXIT_FATAL;
			goto done;
		}
		/* Signals end the run after the line at hand, state saved. */
		struct sigaction sa = { .sa_handler = on_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}

	char *stdin_only[] = { "-", NULL };
	struct sync_ctx ctx = { sy, &res, &out, &diag, checkpoint_every };
	struct tw_run run = {
		.out = &out, .resume = state ? &res : NULL, .signal = &got_signal,
		.line = sync_line, .after = checkpoint_every ? sync_after : NULL, .ctx = &ctx,
	};
	if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0) {
		if (e.msg[0])
			tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	}
	bool stop = run.signalled, strict_stop = run.stopped;
	long long resumed = run.resumed;
	if (status != TW_EXIT_FATAL) {
		if (state && !stop && !strict_stop && tw_resume_end(&res, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		} else {
			/* Without --state the input is all there is; with it, more
			 * may come, unless --final says the log is complete. */
			if ((!state || final) && !stop)
				tw_sync_finish(sy);    /* --strict too: what came before is written */
			if (snapshot)
				tw_sync_snapshot(sy);
			if (state && checkpoint(sy, &res, &out, &diag) < 0)
				status = TW_EXIT_FATAL;
		}
	}
	if (stats) {
		struct tw_sync_stats st;
		tw_sync_stats(sy, &st);
		fprintf(stderr, "%s: %lld lines: %lld readings, %lld states, %lld passed through, "
			"%lld late, %lld duplicates, %lld quarantined, %lld out of range, %lld rejected, "
			"%lld of other shards, %lld read before\n", tool, st.lines + resumed, st.readings,
			st.states, st.passed, st.late, st.duplicates, st.quarantined, st.out_of_range,
			st.rejected, st.other_shards, resumed);
	}
done:
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_sync_free(sy);
	tw_twin_free(twin);
	status = tw_cli_finish(&out, &diag, status);
	if (got_signal) {
		/* State saved: now end as the signal asked. */
		signal(got_signal, SIG_DFL);
		raise(got_signal);
	}
	return status;
}
