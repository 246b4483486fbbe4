/* cli.c - see cli.h */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

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
