/* cli.h - what every tool's main() shares: usage errors, --version, and
 * the way a tool ends.  The only library module that may exit. */
#ifndef TW_CLI_H
#define TW_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "out.h"

/* "tool: message" and "Try 'tool --help'." on stderr, exit status 2. */
_Noreturn void tw_cli_usage(const char *tool, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Option values, or a usage error naming the option: a duration (more
 * than 0 when positive), a number of at least min, a time stamp. */
int64_t tw_cli_duration(const char *tool, const char *opt, const char *s, bool positive);
double tw_cli_number(const char *tool, const char *opt, const char *s, double min);
int64_t tw_cli_time(const char *tool, const char *opt, const char *s);

/* Prints "tool (twin toolkit) VERSION" to stdout. */
void tw_cli_version(const char *tool);

/* Closes standard output and the rejects file and returns the exit
 * status: status (the tool's own) unless writing failed (2).  A reader
 * that went away (EPIPE) ends the tool quietly, as SIGPIPE would. */
int tw_cli_finish(struct tw_out *out, struct tw_diag *d, int status);

#endif
