/* twin-plot - the stream drawn by gnuplot, to SVG, PNG or the terminal.
 *
 * The engine is lib/plot.c; this file is the command line and the read
 * loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"
#include "plot.h"
#include "run.h"
#include "timestamp.h"

static const char *const tool = "twin-plot";

static void usage(void)
{
	printf("Usage: %s [OPTION]... [FILE]...\n", tool);
	fputs("Plot the twin's records (NDJSON) with gnuplot: each sensor's readings, states,\n"
	      "simulated values and forecasts, then residuals, anomaly scores and remaining\n"
	      "useful life, one panel under the other for each asset, commands and alerts as\n"
	      "markers, time in UTC.\n"
	      "\n"
	      "Output:\n"
	      "  -o, --output=FILE        write the plot to FILE (replaced atomically); its\n"
	      "                           suffix, .svg, .png or .txt, tells the format\n"
	      "  -T, --terminal=TERM      svg, png or dumb (text); default: from FILE, else dumb\n"
	      "                           on a terminal and svg on a pipe, to standard output\n"
	      "      --size=WxH           the whole plot's size, pixels (characters for dumb);\n"
	      "                           default: from the number of panels\n"
	      "      --title=TEXT         a title over the whole plot\n"
	      "      --gnuplot=PROG       run PROG instead of gnuplot (found on PATH)\n"
	      "\n"
	      "Choosing:\n"
	      "  -a, --asset=LIST         only these assets (comma-separated)\n"
	      "  -s, --sensors=LIST       only these sensors (comma-separated)\n"
	      "  -k, --kinds=LIST         only these kinds of record: reading, state, sim,\n"
	      "                           residual, score, forecast, rul, command, alert\n"
	      "      --from=TIME          only records at or after TIME (RFC 3339)\n"
	      "      --to=TIME            only records at or before TIME\n"
	      "\n"
	      "Errors:\n"
	      "      --stats              print counts at the end on stderr\n"
	      "      --rejects=FILE       append every rejected line to FILE, verbatim\n"
	      "      --strict             stop at the first rejected line\n"
	      "  -h, --help               show this help and exit\n"
	      "      --version            show the version and exit\n"
	      "\n"
	      "Exit status: 0 plotted, 1 plotted but some lines rejected, 2 usage or fatal error\n"
	      "(nothing to plot, gnuplot missing or failed, output not writable).\n"
	      "See twin-plot(1) and twin-format(5).\n", stdout);
}

enum {
	OPT_SIZE = 256, OPT_TITLE, OPT_GNUPLOT, OPT_FROM, OPT_TO, OPT_STATS, OPT_REJECTS, OPT_STRICT,
	OPT_VERSION,
};

static const struct option options[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "terminal", required_argument, NULL, 'T' },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "gnuplot", required_argument, NULL, OPT_GNUPLOT },
	{ "asset", required_argument, NULL, 'a' },
	{ "sensors", required_argument, NULL, 's' },
	{ "kinds", required_argument, NULL, 'k' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
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

static int plot_line(void *p, const char *file, long long lineno, const char *line, size_t len,
		     const char *eol, bool too_long, struct tw_err *e)
{
	(void)too_long;
	return tw_plot_line(p, file, lineno, line, len, eol, e);
}

static enum tw_plot_term terminal(const char *s, const char *opt)
{
	if (!strcmp(s, "svg"))
		return TW_PLOT_SVG;
	if (!strcmp(s, "png"))
		return TW_PLOT_PNG;
	if (!strcmp(s, "dumb"))
		return TW_PLOT_DUMB;
	tw_cli_usage(tool, "%s: '%s' is not svg, png or dumb", opt, s);
}

/* The format that an output file's name asks for. */
static enum tw_plot_term suffix(const char *path)
{
	const char *dot = strrchr(path, '.');
	if (dot && !strchr(dot, '/')) {
		if (!strcasecmp(dot, ".svg"))
			return TW_PLOT_SVG;
		if (!strcasecmp(dot, ".png"))
			return TW_PLOT_PNG;
		if (!strcasecmp(dot, ".txt"))
			return TW_PLOT_DUMB;
	}
	tw_cli_usage(tool, "--output: cannot tell the format of '%s' (.svg, .png or .txt): "
		     "give --terminal", path);
}

static void size(const char *s, int *w, int *h)
{
	char *end;
	long a, b = -1;
	a = strtol(s, &end, 10);
	if (end != s && (*end == 'x' || *end == 'X')) {
		const char *t = end + 1;
		b = strtol(t, &end, 10);
		if (end == t)
			b = -1;
	}
	if (*end || a < 20 || a > 20000 || b < 10 || b > 20000)
		tw_cli_usage(tool, "--size: '%s' is not WIDTHxHEIGHT (20x10 to 20000x20000)", s);
	*w = (int)a;
	*h = (int)b;
}

static const char *list(const char *opt, const char *s)
{
	if (strspn(s, ",") == strlen(s))
		tw_cli_usage(tool, "%s: name at least one", opt);
	return s;
}

int main(int argc, char **argv)
{
	struct tw_plot_opts o;
	struct tw_diag diag;
	struct tw_out out;
	struct tw_err e;
	const char *rejects = NULL, *term = NULL;
	bool stats = false;
	int c;

	argv[0] = (char *)tool;
	tw_plot_opts_init(&o);
	tw_diag_init(&diag, tool);
	while ((c = getopt_long(argc, argv, "o:T:a:s:k:h", options, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'T': term = optarg; o.term = terminal(optarg, "--terminal"); break;
		case OPT_SIZE: size(optarg, &o.width, &o.height); break;
		case OPT_TITLE: o.title = optarg; break;
		case OPT_GNUPLOT:
			if (!*optarg)
				tw_cli_usage(tool, "--gnuplot: name a program");
			o.gnuplot = optarg;
			break;
		case 'a': o.assets = list("--asset", optarg); break;
		case 's': o.sensors = list("--sensors", optarg); break;
		case 'k':
			if (tw_plot_kinds(optarg, &o.kinds, &e) < 0)
				tw_cli_usage(tool, "--kinds: %s", e.msg);
			break;
		case OPT_FROM: o.from = tw_cli_time(tool, "--from", optarg); break;
		case OPT_TO: o.to = tw_cli_time(tool, "--to", optarg); break;
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
	if (o.from > o.to)
		tw_cli_usage(tool, "--from is after --to");
	if (o.output && !*o.output)
		tw_cli_usage(tool, "--output: name a file");
	if (o.output && !strcmp(o.output, "-"))
		o.output = NULL;        /* standard output, as for any tool */
	if (!term)
		o.term = o.output ? suffix(o.output) : isatty(STDOUT_FILENO) ? TW_PLOT_DUMB : TW_PLOT_SVG;
	if (o.term == TW_PLOT_DUMB && !o.output && !o.width && isatty(STDOUT_FILENO)) {
		struct winsize ws;   /* a quick look: as wide as the terminal */
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
			o.width = ws.ws_col - 1;
	}
	tw_tz_set(NULL, NULL);

	int status = TW_EXIT_OK;
	tw_out_init(&out, STDOUT_FILENO, "standard output");
	struct tw_plot *p = NULL;
	if (rejects && tw_diag_open_rejects(&diag, rejects, &e) < 0)
		goto fatal;
	if (!(p = tw_plot_new(&o, &diag, &e)))
		goto fatal;
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	char *stdin_only[] = { "-", NULL };
	struct tw_run run = { .out = &out, .signal = &got_signal, .diag = &diag, .line = plot_line, .ctx = p };
	if (tw_run_files(&run, optind < argc ? argv + optind : stdin_only, &e) < 0)
		goto fatal;
	if (run.signalled || (diag.strict && diag.rejected))
		goto done;   /* nothing drawn: the temporary files go */
	if (tw_plot_render(p, &out, &e) < 0)
		goto fatal;
	goto done;
fatal:
	if (!got_signal)        /* gnuplot shares our signal: no news */
		tw_diag_say(&diag, "%s", e.msg);
	status = TW_EXIT_FATAL;
done:
	if (p && stats) {
		struct tw_plot_stats st;
		tw_plot_stats(p, &st);
		fprintf(stderr, "%s: %lld lines: %lld plotted, %lld gaps, %lld not chosen, %lld outside "
			"the time range, %lld not plottable, %lld blank, %lld rejected; %lld series in "
			"%lld panels\n", tool, st.lines, st.plotted, st.gaps, st.unchosen, st.outside,
			st.unplottable, st.blank, diag.rejected, st.series, st.panels);
	}
	if (status == TW_EXIT_OK && diag.rejected)
		status = TW_EXIT_REJECTED;
	tw_plot_free(p);
	status = tw_cli_finish(&out, &diag, status);
	if (got_signal) {
		signal(got_signal, SIG_DFL);
		raise(got_signal);
	}
	return status;
}
