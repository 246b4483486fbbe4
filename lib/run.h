/* run.h - the read loop of the tools that read records.
 *
 * Every input file in turn ("-" is standard input, a .gz inflated), the
 * output flushed whenever the input runs dry, a signal ending the loop
 * after the line at hand, and, resuming from a checkpoint, the lines an
 * earlier run consumed skipped (resume.h).  The tool's callbacks do the
 * rest, one line at a time.
 *
 * Ownership: struct tw_run borrows everything it points to. */
#ifndef TW_RUN_H
#define TW_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "err.h"
#include "out.h"
#include "resume.h"

struct tw_run {
	struct tw_out *out;
	struct tw_resume *resume;           /* NULL without --state */
	volatile sig_atomic_t *signal;      /* set by a signal handler; NULL for none */
	/* With it, a line too long is rejected here and never reaches the
	 * callback; without, the callback gets it cut, too_long set. */
	struct tw_diag *diag;
	/* One line (too_long: cut at TW_IN_MAX_LINE): 0 to go on, 1 to stop
	 * (--strict), -1 with e for a fatal error. */
	int (*line)(void *ctx, const char *file, long long lineno, const char *line, size_t len,
		    const char *eol, bool too_long, struct tw_err *e);
	/* After each line (a checkpoint may be due): 0, or -1 with e.  May be NULL. */
	int (*after)(void *ctx, struct tw_err *e);
	void *ctx;
	/* What happened. */
	long long resumed;                  /* lines skipped: an earlier run consumed them */
	bool stopped;                       /* by the line callback (--strict) */
	bool signalled;                     /* by the signal */
};

/* Reads the files (NULL-terminated) to their end, or until stopped.
 * Returns 0, or -1 with e: an unreadable file, input that does not
 * continue the checkpoint's, a fatal error of a callback. */
int tw_run_files(struct tw_run *r, char *const *files, struct tw_err *e);

#endif
