/* cli.c - see cli.h */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <string.h>

#include "cli.h"
#include "num.h"
#include "timestamp.h"

void tw_cli_usage(const char *tool, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", tool);
	exit(TW_EXIT_FATAL);
}

int64_t tw_cli_duration(const char *tool, const char *opt, const char *s, bool positive)
{
	struct tw_err e;
	int64_t ns;
	if (tw_dur_parse(s, &ns, &e) < 0)
		tw_cli_usage(tool, "%s: %s", opt, e.msg);
	if (positive && ns <= 0)
		tw_cli_usage(tool, "%s: must be more than 0", opt);
	return ns;
}

double tw_cli_number(const char *tool, const char *opt, const char *s, double min)
{
	struct tw_err e;
	double v;
	if (tw_num_parse(s, strlen(s), &v, &e) < 0)
		tw_cli_usage(tool, "%s: %s", opt, e.msg);
	if (v < min)
		tw_cli_usage(tool, "%s: must be at least %g", opt, min);
	return v;
}

int64_t tw_cli_time(const char *tool, const char *opt, const char *s)
{
	static const struct tw_time_fmt automatic = { TW_TIME_AUTO, NULL };
	struct tw_err e;
	int64_t ns;
	if (tw_time_parse(s, strlen(s), &automatic, &ns, &e) < 0)
		tw_cli_usage(tool, "%s: %s", opt, e.msg);
	return ns;
}

void tw_cli_version(const char *tool)
{
	printf("%s (twin toolkit) %s\n", tool, TW_VERSION);
}

int tw_cli_finish(struct tw_out *out, struct tw_diag *d, int status)
{
	struct tw_err e;
	int epipe;

	if (tw_out_close(out, &epipe, &e) < 0) {
		if (epipe) {
			/* As if SIGPIPE had ended us: quietly, with its status. */
			signal(SIGPIPE, SIG_DFL);
			raise(SIGPIPE);
			return TW_EXIT_FATAL;
		}
		tw_diag_say(d, "%s", e.msg);
		status = TW_EXIT_FATAL;
	}
	if (tw_diag_close(d, &e) < 0) {
		tw_diag_say(d, "%s", e.msg);
		status = TW_EXIT_FATAL;
	}
	return status;
}
