/* twin-sim - the replica's dynamics: free run, shadow mode, what-if.
 *
 * The engine is lib/sim.c over lib/model.c and lib/ode.c; this file is
 * the command line and the read loop. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fmu.h"
#include "in.h"
#include "library.h"
#include "num.h"
#include "run.h"
#include "sim.h"
#include "timestamp.h"

static const char *const tool = "twin-sim";

static void usage(void)
{
	printf("Usage: %s --twin=FILE [OPTION]... [FILE]...\n", tool);
	fputs("Run the physics of a twin: a free run, or shadow mode and what-if over a stream\n"
	      "of states (NDJSON, as twin-sync writes it; FILE, or standard input).\n"
	      "\n"
	      "Model:\n"
	      "  -t, --twin=FILE          twin description with a \"model\" section, or the name\n"
	      "                           of a model of the library (see --list-models)\n"
	      "      --fmu=FILE           an FMI 2.0 co-simulation unit as the model (with --twin,\n"
	      "                           in place of its model's \"fmu\")\n"
	      "      --list-models        list the models of the library and exit\n"
	      "      --solver=NAME        rk4 (default), rkf45, rk8pd or bdf (stiff models)\n"
	      "      --step=DUR           rk4's step, the adaptive solvers' first, an FMU's\n"
	      "                           communication step (default 100ms, or the FMU's)\n"
	      "      --rtol=X             relative tolerance of the adaptive solvers (default 1e-6)\n"
	      "      --atol=X             absolute tolerance (default 1e-9)\n"
	      "      --set=PARAM=VALUE    change a parameter (free run and what-if; repeatable)\n"
	      "\n"
	      "Free run (without --shadow and --what-if):\n"
	      "      --duration=DUR       how long to simulate (required, but for an FMU with a\n"
	      "                           default experiment)\n"
	      "      --every=DUR          the output interval (default 1s)\n"
	      "      --start=TIME         the time of the first output (default 1970-01-01T00:00:00Z)\n"
	      "  -a, --asset=NAME         the asset (default sim); with --shadow, only this asset\n"
	      "      --states             write state records instead of readings\n"
	      "      --input=NAME=SIGNAL  drive an input: a number, step:FROM,TO@T, ramp:START,SLOPE@T,\n"
	      "                           sine:AMP,PERIOD[,OFFSET[,PHASE]], square:LOW,HIGH,PERIOD[,DUTY]\n"
	      "                           (repeatable; with --what-if, from the end of the stream)\n"
	      "      --fault=SPEC         inject a fault: bias:SENSOR=V, drift:SENSOR=V_PER_S,\n"
	      "                           stuck:SENSOR, spikes:SENSOR=SIZE,PROB, noise:SENSOR=FACTOR,\n"
	      "                           param:NAME=V, each with @FROM[-TO] (repeatable)\n"
	      "      --seed=N             seed of the measurement noise (default 1)\n"
	      "      --no-noise           no measurement noise\n"
	      "      --plant              a closed loop: after each state, wait for a command\n"
	      "                           answering it on standard input, and apply its values\n"
	      "\n"
	      "Following a stream:\n"
	      "      --shadow             drive each asset's model by its measured inputs; write\n"
	      "                           sim states and residuals (measured - simulated)\n"
	      "      --assimilate=GAIN    nudge the model toward each measurement (0 < GAIN <= 1)\n"
	      "      --what-if            at the end of the stream, simulate --horizon ahead with\n"
	      "                           --set and --input applied\n"
	      "      --horizon=DUR        how far ahead (default 1h)\n"
	      "      --scenario=NAME      the scenario's name in its records (default what-if)\n"
	      "      --fit=PARAM,...      calibrate: fit these parameters to the stream by nonlinear\n"
	      "                           least squares and write a JSON report\n"
	      "      --fit-out=FILE       write the twin description with the fitted values\n"
	      "\n"
	      "Errors:\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Exit status: 0 all input read, 1 some lines rejected, 2 usage or fatal error.\n"
	      "See twin-sim(1) and twin-description(5).\n", stdout);
}

enum {
	OPT_LIST_MODELS = 256, OPT_FMU, OPT_SOLVER, OPT_STEP, OPT_RTOL, OPT_ATOL, OPT_SET, OPT_DURATION,
	OPT_EVERY, OPT_START, OPT_STATES, OPT_INPUT, OPT_FAULT, OPT_SEED, OPT_NO_NOISE, OPT_SHADOW,
	OPT_ASSIMILATE, OPT_WHAT_IF, OPT_PLANT, OPT_HORIZON, OPT_SCENARIO, OPT_FIT, OPT_FIT_OUT, OPT_REJECTS,
	OPT_STRICT, OPT_VERSION,
};

static const struct option options[] = {
	{ "twin", required_argument, NULL, 't' },
	{ "fmu", required_argument, NULL, OPT_FMU },
	{ "list-models", no_argument, NULL, OPT_LIST_MODELS },
	{ "solver", required_argument, NULL, OPT_SOLVER },
	{ "step", required_argument, NULL, OPT_STEP },
	{ "rtol", required_argument, NULL, OPT_RTOL },
	{ "atol", required_argument, NULL, OPT_ATOL },
	{ "set", required_argument, NULL, OPT_SET },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "every", required_argument, NULL, OPT_EVERY },
	{ "start", required_argument, NULL, OPT_START },
	{ "asset", required_argument, NULL, 'a' },
	{ "states", no_argument, NULL, OPT_STATES },
	{ "input", required_argument, NULL, OPT_INPUT },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "no-noise", no_argument, NULL, OPT_NO_NOISE },
	{ "plant", no_argument, NULL, OPT_PLANT },
	{ "shadow", no_argument, NULL, OPT_SHADOW },
	{ "assimilate", required_argument, NULL, OPT_ASSIMILATE },
	{ "what-if", no_argument, NULL, OPT_WHAT_IF },
	{ "horizon", required_argument, NULL, OPT_HORIZON },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "fit", required_argument, NULL, OPT_FIT },
	{ "fit-out", required_argument, NULL, OPT_FIT_OUT },
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* NAME=VALUE: splits at the first '='. */
static const char *split(const char *opt, char *arg)
{
	char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		tw_cli_usage(tool, "%s: '%s' is not NAME=VALUE", opt, arg);
	*eq = '\0';
	return eq + 1;
}

/* The read loop's callback (run.h); lines too long never come here. */
static int sim_line(void *sim, const char *file, long long lineno, const char *line, size_t len,
		    const char *eol, bool too_long, struct tw_err *e)
{
	(void)too_long;
	return tw_sim_line(sim, file, lineno, line, len, eol, e);
}

/* An FMU's messages (its logger) on standard error. */
static void fmu_log(const char *instance, const char *status, const char *category,
		    const char *message)
{
	fprintf(stderr, "%s: FMU %s: %s%s%s: %s\n", tool, instance, status, *category ? " " : "",
		category, message);
}

/* The twin description: the file, the unit, or the file with the unit
 * as its model's "fmu" (relative to the current folder, so made
 * absolute when the file is elsewhere).  NULL with e. */
static struct tw_twin *load_twin(const char *twin_path, const char *fmu_path, struct tw_err *e)
{
	struct tw_twin *twin = NULL;

	if (!twin_path)
		return tw_twin_from_json(json_pack("{s:{s:s}}", "model", "fmu", fmu_path), NULL, e);
	char *path = tw_library_resolve(twin_path);
	if (path)
		twin = tw_twin_load(path, e);
	free(path);
	if (!twin || !fmu_path)
		return twin;
	json_t *model = json_object_get(twin->root, "model");
	if (!json_is_object(model)) {
		model = json_object();
		json_object_set_new(twin->root, "model", model);
	}
	char *abs = NULL;
	if (fmu_path[0] != '/' && strchr(twin->path, '/') && !(abs = realpath(fmu_path, NULL))) {
		tw_err_set(e, "%s: %s", fmu_path, strerror(errno));
		tw_twin_free(twin);
		return NULL;
	}
	json_object_set_new(model, "fmu", json_string(abs ? abs : fmu_path));
	free(abs);
	return twin;
}

#define MAX_REPEAT 64

int main(int argc, char **argv)
{
	static struct tw_sim_input inputs[MAX_REPEAT];
	static struct tw_fault faults[MAX_REPEAT];
	static struct tw_sim_set sets[MAX_REPEAT];
	static const char *fit[MAX_REPEAT];
	struct tw_sim_opts o;
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e = { "" };
	const char *twin_path = NULL, *rejects = NULL, *fmu_path = NULL;
	bool has_duration = false, list = false, plant = false;
	int c;

	argv[0] = (char *)tool;
	tw_sim_opts_init(&o);
	o.step_default = true;
	o.horizon = 3600 * TW_NS_PER_SEC;
	o.inputs = inputs, o.faults = faults, o.sets = sets, o.fit = fit;
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "t:a:h", options, NULL)) != -1) {
		switch (c) {
		case 't': twin_path = optarg; break;
		case OPT_FMU: fmu_path = optarg; break;
		case OPT_LIST_MODELS: list = true; break;
		case OPT_SOLVER:
			if (tw_solver_parse(optarg, &o.solver, &e) < 0)
				tw_cli_usage(tool, "--solver: %s", e.msg);
			break;
		case OPT_STEP:
			o.step = (double)tw_cli_duration(tool, "--step", optarg, true) / 1e9;
			o.step_default = false;
			break;
		case OPT_RTOL: o.rtol = tw_cli_number(tool, "--rtol", optarg, 0); break;
		case OPT_ATOL: o.atol = tw_cli_number(tool, "--atol", optarg, 0); break;
		case OPT_SET:
			if (o.nsets == MAX_REPEAT)
				tw_cli_usage(tool, "--set: at most %d", MAX_REPEAT);
			sets[o.nsets].value = tw_cli_number(tool, "--set", split("--set", optarg), -INFINITY);
			sets[o.nsets++].name = optarg;
			break;
		case OPT_DURATION:
			o.duration = tw_cli_duration(tool, "--duration", optarg, true);
			has_duration = true;
			break;
		case OPT_EVERY: o.every = tw_cli_duration(tool, "--every", optarg, true); break;
		case OPT_START: o.start = tw_cli_time(tool, "--start", optarg); break;
		case 'a': o.asset = optarg; break;
		case OPT_STATES: o.emit_states = true; break;
		case OPT_INPUT: {
			if (o.ninputs == MAX_REPEAT)
				tw_cli_usage(tool, "--input: at most %d", MAX_REPEAT);
			const char *spec = split("--input", optarg);
			if (tw_signal_parse(spec, &inputs[o.ninputs].signal, &e) < 0)
				tw_cli_usage(tool, "--input: %s", e.msg);
			inputs[o.ninputs++].name = optarg;
			break;
		}
		case OPT_FAULT:
			if (o.nfaults == MAX_REPEAT)
				tw_cli_usage(tool, "--fault: at most %d", MAX_REPEAT);
			if (tw_fault_parse(optarg, &faults[o.nfaults++], &e) < 0)
				tw_cli_usage(tool, "--fault: %s", e.msg);
			break;
		case OPT_SEED: {
			double v = tw_cli_number(tool, "--seed", optarg, -INFINITY);
			if (v < 0 || v != floor(v) || v > 4294967295.0)
				tw_cli_usage(tool, "--seed: '%s' is not a whole number from 0 to 4294967295", optarg);
			o.seed = (unsigned long)v;
			break;
		}
		case OPT_NO_NOISE: o.no_noise = true; break;
		case OPT_PLANT: plant = true; break;
		case OPT_SHADOW: o.shadow = true; break;
		case OPT_ASSIMILATE:
			o.assimilate = tw_cli_number(tool, "--assimilate", optarg, -INFINITY);
			if (!(o.assimilate > 0 && o.assimilate <= 1))
				tw_cli_usage(tool, "--assimilate: the gain must be above 0 and at most 1");
			break;
		case OPT_WHAT_IF: o.what_if = true; break;
		case OPT_HORIZON: o.horizon = tw_cli_duration(tool, "--horizon", optarg, true); break;
		case OPT_SCENARIO: o.scenario = optarg; break;
		case OPT_FIT:
			for (char *p = strtok(optarg, ","); p; p = strtok(NULL, ",")) {
				if (o.nfit == MAX_REPEAT)
					tw_cli_usage(tool, "--fit: at most %d parameters", MAX_REPEAT);
				fit[o.nfit++] = p;
			}
			if (!o.nfit)
				tw_cli_usage(tool, "--fit: name the parameters to fit");
			break;
		case OPT_FIT_OUT: o.fit_out = optarg; break;
		case OPT_REJECTS: rejects = optarg; break;
		case OPT_STRICT: diag.strict = true; break;
		case 'h': usage(); return TW_EXIT_OK;
		case OPT_VERSION: tw_cli_version(tool); return TW_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n", tool);
			return TW_EXIT_FATAL;
		}
	}
	if (list) {
		if (tw_library_list(stdout, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			return TW_EXIT_FATAL;
		}
		tw_out_init(&out, STDOUT_FILENO, "standard output");
		return tw_cli_finish(&out, &diag, fflush(stdout) == 0 ? TW_EXIT_OK : TW_EXIT_FATAL);
	}
	bool follow = o.shadow || o.what_if || o.nfit;
	if (o.nfit && (o.shadow || o.what_if))
		tw_cli_usage(tool, "--fit reads the stream alone: not with --shadow or --what-if");
	if (o.fit_out && !o.nfit)
		tw_cli_usage(tool, "--fit-out needs --fit");
	/* Faults make test data; measured inputs drive a stream's models. */
	if (o.nfaults && (o.shadow || o.what_if || o.nfit))
		tw_cli_usage(tool, "--fault is for a free run");
	if (o.ninputs && (o.shadow || o.nfit))
		tw_cli_usage(tool, "--input is for a free run or --what-if: a stream's inputs are measured");
	if (!twin_path && !fmu_path)
		tw_cli_usage(tool, "give --twin=FILE (or the name of a model: --list-models) or --fmu=FILE");
	o.duration_default = !has_duration;   /* an FMU may give it; else tw_sim_new says */
	if (!follow && !plant && optind < argc)
		tw_cli_usage(tool, "a free run reads no input: give --shadow or --what-if to read %s", argv[optind]);
	if (plant && follow)
		tw_cli_usage(tool, "--plant is a free run: not with --shadow, --what-if or --fit");
	if (plant)
		o.emit_states = true;   /* the controller reads states */
	if (o.assimilate > 0 && !o.shadow)
		tw_cli_usage(tool, "--assimilate needs --shadow");
	tw_tz_set(NULL, NULL);
	tw_fmu_set_logger(fmu_log);

	struct tw_twin *twin = load_twin(twin_path, fmu_path, &e);
	if (!twin) {
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
	struct tw_sim *sim = tw_sim_new(&o, &out, &diag, &e);
	if (!sim) {
		tw_diag_say(&diag, "%s", e.msg);
		status = TW_EXIT_FATAL;
	} else if (!follow) {
		struct tw_in *commands = plant ? tw_in_open(optind < argc ? argv[optind] : "-", &e) : NULL;
		if ((plant && !commands) || tw_sim_run(sim, commands, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		}
		tw_in_close(commands);
	} else {
		char *stdin_only[] = { "-", NULL };
		struct tw_run run = { .out = &out, .diag = &diag, .line = sim_line, .ctx = sim };
		if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		}
		if (status == TW_EXIT_OK && tw_sim_finish(sim, &e) < 0) {
			tw_diag_say(&diag, "%s", e.msg);
			status = TW_EXIT_FATAL;
		}
	}
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_sim_free(sim);
	tw_twin_free(twin);
	return tw_cli_finish(&out, &diag, status);
}
