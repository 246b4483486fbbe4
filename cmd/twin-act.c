/* twin-act - from the twin back to the machine, inside a safety envelope.
 *
 * The engine is lib/act.c (rules in lib/rules.c); executing commands is
 * lib/runcmd.c, the audit trail lib/audit.c, checkpoints lib/resume.c.
 * This file is the command line and the read loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "act.h"
#include "atomic.h"
#include "audit.h"
#include "cli.h"
#include "in.h"
#include "num.h"
#include "resume.h"
#include "run.h"
#include "runcmd.h"
#include "shard.h"
#include "timestamp.h"
#include "twin.h"

static const char *const tool = "twin-act";

static void usage(void)
{
	printf("Usage: %s --twin=FILE [OPTION]... [FILE]...\n", tool);
	fputs("Turn the twin's states, scores and forecasts (NDJSON) into alerts and commands,\n"
	      "inside the safety envelope of the twin description.  Records pass through.\n"
	      "\n"
	      "Rules:\n"
	      "  -t, --twin=FILE          twin description with \"rules\" and \"targets\"\n"
	      "  -r, --rules=FILE         take the rules and targets from FILE instead\n"
	      "\n"
	      "Acting:\n"
	      "      --arm                commands are for real (default: a dry run that only\n"
	      "                           writes them, \"armed\":false)\n"
	      "      --exec=CMD           with --arm, run CMD (by /bin/sh) for every command sent,\n"
	      "                           the command record on its standard input\n"
	      "      --exec-timeout=DUR   give CMD this long (default 10s)\n"
	      "      --exec-retries=N     try a failed CMD again N times (default 2)\n"
	      "      --exec-backoff=DUR   wait before the first retry, doubled after (default 1s)\n"
	      "\n"
	      "Records:\n"
	      "      --audit=FILE         append every decision to FILE, each line chained to the\n"
	      "                           one before by its SHA-256\n"
	      "      --verify-audit=FILE  check the chain of an audit trail and exit\n"
	      "  -s, --state=FILE         resume from FILE and save to it (atomically) at the end\n"
	      "                           and on SIGTERM and SIGINT: a replayed log acts once\n"
	      "\n"
	      "Scaling out:\n"
	      "      --shard=K/N          keep only the assets of shard K of N (0 <= K < N),\n"
	      "                           as Kafka's default partitioner assigns them\n"
	      "\n"
	      "Errors:\n"
	      "      --stats              print counts at the end on stderr\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some lines rejected or commands failed,\n"
	      "2 usage or fatal error (--verify-audit: 1 when the chain is broken).\n"
	      "See twin-act(1) and twin-description(5).\n", stdout);
}

enum {
	OPT_ARM = 256, OPT_EXEC, OPT_EXEC_TIMEOUT, OPT_EXEC_RETRIES, OPT_EXEC_BACKOFF, OPT_AUDIT,
	OPT_VERIFY_AUDIT, OPT_SHARD, OPT_STATS, OPT_REJECTS, OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "twin", required_argument, NULL, 't' },
	{ "rules", required_argument, NULL, 'r' },
	{ "arm", no_argument, NULL, OPT_ARM },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "exec-timeout", required_argument, NULL, OPT_EXEC_TIMEOUT },
	{ "exec-retries", required_argument, NULL, OPT_EXEC_RETRIES },
	{ "exec-backoff", required_argument, NULL, OPT_EXEC_BACKOFF },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "verify-audit", required_argument, NULL, OPT_VERIFY_AUDIT },
	{ "state", required_argument, NULL, 's' },
	{ "shard", required_argument, NULL, OPT_SHARD },
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

/* The callbacks of the engine: the audit trail and the command runner,
 * and what a checkpoint before each execution needs. */
struct glue {
	struct tw_audit *audit;
	struct tw_runcmd_opts run;
	struct tw_resume *res;       /* NULL without --state */
	struct tw_act *act;
	struct tw_out *out;
};

static int do_audit(void *ctx, const char *record, size_t len, struct tw_err *e)
{
	return tw_audit_append(((struct glue *)ctx)->audit, record, len, e);
}

static int do_exec(void *ctx, const char *record, size_t len, struct tw_err *e)
{
	struct glue *g = ctx;
	struct tw_runcmd_result r;
	/* The decision is on disk before the machine is touched, and so is
	 * the state: a run killed now resumes after this command, so that
	 * it is never executed twice (at worst not at all: its deadline
	 * then tells). */
	if (g->audit && tw_audit_sync(g->audit, e) < 0)
		return -1;
	if (g->res && (tw_out_flush(g->out) < 0 ||
		       tw_resume_save(g->res, tw_act_save(g->act), g->out->fd, e) < 0))
		return g->out->error ? tw_err_set(e, "standard output: %s", strerror(g->out->error)) : -1;
	char *line = malloc(len + 1);
	if (!line)
		return tw_err_set(e, "out of memory");
	memcpy(line, record, len);
	line[len] = '\n';
	int rc = tw_runcmd(&g->run, line, len + 1, &r, e);
	free(line);
	return rc;
}

/* The read loop's callback (run.h); lines too long never come here. */
static int act_line(void *act, const char *file, long long lineno, const char *line, size_t len,
		    const char *eol, bool too_long, struct tw_err *e)
{
	(void)too_long;
	return tw_act_line(act, file, lineno, line, len, eol, e);
}

static int verify(const char *path)
{
	struct tw_err e;
	long long lines, bad;
	if (tw_audit_verify(path, &lines, &bad, &e) < 0) {
		fprintf(stderr, "%s: %s\n", tool, e.msg);   /* it names the file */
		return bad > 0 ? TW_EXIT_REJECTED : TW_EXIT_FATAL;
	}
	printf("%s: %lld lines, chain whole\n", path, lines);
	return fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FATAL;
}

int main(int argc, char **argv)
{
	struct glue glue = { NULL, { NULL, 10, 2, 1, NULL }, NULL, NULL, NULL };
	struct tw_act_opts o = { 0 };
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e;
	const char *twin_path = NULL, *rules_path = NULL, *audit_path = NULL, *state = NULL, *rejects = NULL;
	bool stats = false;
	int c;

	argv[0] = (char *)tool;
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "t:r:s:h", options, NULL)) != -1) {
		switch (c) {
		case 't': twin_path = optarg; break;
		case 'r': rules_path = optarg; break;
		case OPT_ARM: o.arm = true; break;
		case OPT_EXEC: glue.run.cmd = optarg; break;
		case OPT_EXEC_TIMEOUT:
			glue.run.timeout = (double)tw_cli_duration(tool, "--exec-timeout", optarg, true) / 1e9;
			break;
		case OPT_EXEC_RETRIES: {
			double v;
			if (tw_num_parse(optarg, strlen(optarg), &v, &e) < 0 || v < 0 || v > 100 || v != (int)v)
				tw_cli_usage(tool, "--exec-retries: '%s' is not a whole number from 0 to 100", optarg);
			glue.run.retries = (int)v;
			break;
		}
		case OPT_EXEC_BACKOFF:
			glue.run.backoff = (double)tw_cli_duration(tool, "--exec-backoff", optarg, false) / 1e9;
			break;
		case OPT_AUDIT: audit_path = optarg; break;
		case OPT_VERIFY_AUDIT: return verify(optarg);
		case 's': state = optarg; break;
		case OPT_SHARD:
			if (tw_shard_parse(optarg, &o.shard_k, &o.shard_n, &e) < 0)
				tw_cli_usage(tool, "%s", e.msg);
			break;
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
	if (!twin_path && !rules_path)
		tw_cli_usage(tool, "give --twin=FILE or --rules=FILE");
	if (glue.run.cmd && !o.arm)
		tw_cli_usage(tool, "--exec runs commands for real: it needs --arm");
	tw_tz_set(NULL, NULL);

	int status = TW_EXIT_OK;
	struct tw_twin *twin = NULL;
	json_t *rules_doc = NULL;
	struct tw_rules rules = { 0 };
	struct tw_act *act = NULL;
	struct tw_resume res = { 0 };
	tw_out_init(&out, STDOUT_FILENO, "standard output");
	if (twin_path && !(twin = tw_twin_load(twin_path, &e)))
		goto fatal;
	if (rules_path) {
		if (!(rules_doc = tw_json_load_file(rules_path, false, &e)))
			goto fatal;
		const char *key;
		json_t *v;
		json_object_foreach(rules_doc, key, v)
			if (strcmp(key, "rules") && strcmp(key, "targets") && strcmp(key, "comment")) {
				tw_err_set(&e, "%s: %s: unknown member (known: rules, targets, comment)", rules_path, key);
				goto fatal;
			}
		if (tw_rules_load(&rules, json_object_get(rules_doc, "rules"), json_object_get(rules_doc, "targets"),
				  rules_path, &e) < 0)
			goto fatal;
	} else if (tw_rules_load(&rules, tw_twin_section(twin, "rules"), tw_twin_section(twin, "targets"),
				 twin_path, &e) < 0) {
		goto fatal;
	}
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0)
		goto fatal;
	if (audit_path && !(glue.audit = tw_audit_open(audit_path, &e)))
		goto fatal;
	o.rules = &rules;
	o.ctx = &glue;
	o.audit = glue.audit ? do_audit : NULL;
	o.execute = glue.run.cmd ? do_exec : NULL;
	glue.run.stop = &got_signal;
	if (!(act = tw_act_new(&o, &out, &diag, &e)))
		goto fatal;
	glue.act = act;
	glue.out = &out;
	glue.res = state ? &res : NULL;
	if (state) {
		json_t *engine = NULL;
		struct tw_err why;
		if (tw_resume_load(&res, tool, state, &engine, &e) < 0) {
			json_decref(engine);
			goto fatal;
		}
		if (engine && tw_act_load(act, engine, &why) < 0) {
			tw_err_set(&e, "%s: %s", state, why.msg);    /* name the file */
			json_decref(engine);
			goto fatal;
		}
		if (tw_resume_cut_output(&res, STDOUT_FILENO, &e) < 0) {
			json_decref(engine);
			goto fatal;
		}
		bool fresh = !engine;
		json_decref(engine);
		if (fresh && tw_resume_save(&res, tw_act_save(act), STDOUT_FILENO, &e) < 0)
			goto fatal;
		struct sigaction sa = { .sa_handler = on_signal };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}

	char *stdin_only[] = { "-", NULL };
	struct tw_run run = {
		.out = &out, .resume = state ? &res : NULL, .signal = &got_signal, .diag = &diag,
		.line = act_line, .ctx = act,
	};
	if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0)
		goto fatal;
	bool stop = run.signalled || run.stopped;
	if (status == TW_EXIT_OK && state) {
		if (!stop && tw_resume_end(&res, &e) < 0)
			goto fatal;
		if (tw_out_flush(&out) == 0 && tw_resume_save(&res, tw_act_save(act), STDOUT_FILENO, &e) < 0)
			goto fatal;
	}
	goto done;
fatal:
	tw_diag_say(&diag, "%s", e.msg);
	status = TW_EXIT_FATAL;
done:
	if (act && stats) {
		struct tw_act_stats st;
		tw_act_stats(act, &st);
		fprintf(stderr, "%s: %lld lines: %lld fired, %lld cleared, %lld commands (%lld clamped, "
			"%lld refused), %lld executed, %lld failed, %lld acked, %lld timeouts, %lld of other shards\n",
			tool, st.lines, st.fired, st.cleared, st.commands, st.clamped, st.refused, st.executed,
			st.failed, st.acked, st.timeouts, st.other_shards);
	}
	if (act) {
		struct tw_act_stats st;
		tw_act_stats(act, &st);
		if (status == TW_EXIT_OK && st.failed)
			status = TW_EXIT_REJECTED;
	}
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	if (glue.audit && tw_audit_close(glue.audit, &e) < 0) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	}
	tw_act_free(act);
	tw_rules_release(&rules);
	json_decref(rules_doc);
	tw_twin_free(twin);
	status = tw_cli_finish(&out, &diag, status);
	if (got_signal) {
		signal(got_signal, SIG_DFL);
		raise(got_signal);
	}
	return status;
}
