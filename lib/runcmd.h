/* runcmd.h - run a shell command with a record on its standard input.
 *
 * twin-act --arm --exec CMD hands each command record to CMD (for
 * example "mosquitto_pub -t plant/cmd -s").  tw_runcmd runs CMD with
 * /bin/sh -c, writes the record to its standard input and closes it,
 * and waits for it to exit, within a time limit per attempt, retrying
 * with a doubling backoff.  A failure is never silent: the call returns
 * -1 with a message naming the command, its exit status or the time
 * limit, and the first line of what it wrote to stderr.
 *
 * The child runs in a process group of its own, so a time limit ends
 * the whole group (SIGTERM, then SIGKILL one second later), children of
 * CMD included.  Its stdout is /dev/null: the tool's stdout carries
 * records and a child must never write into it.  Its stderr is captured
 * (the first TW_RUNCMD_ERR_MAX bytes kept, the rest read and dropped).
 * It inherits no descriptor of the caller but these three, an empty
 * signal mask, and SIGPIPE at its default action.  The attempt's child
 * is always reaped: no zombie is left, and no other child of the caller
 * is waited for.  Background processes that CMD leaves behind after
 * exiting normally are not waited for or killed.
 *
 * The caller's SIGPIPE disposition is untouched: SIGPIPE is blocked
 * while the input is written, and one raised by a command that exits
 * without reading its input is consumed, not delivered.  No signal
 * handler is installed.  Flush stdout before calling: the call blocks.
 *
 * Ownership: everything is borrowed; the result is filled in place. */
#ifndef TW_RUNCMD_H
#define TW_RUNCMD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Longest backoff between two attempts, in seconds. */
#define TW_RUNCMD_BACKOFF_MAX 30.0
/* Bytes of a child's stderr kept in a result, without the NUL. */
#define TW_RUNCMD_ERR_MAX 511

struct tw_runcmd_opts {
	const char *cmd;        /* run by /bin/sh -c */
	double timeout;         /* seconds per attempt; <= 0: no limit */
	int retries;            /* attempts after the first; < 0 as 0 */
	double backoff;         /* seconds before the first retry, doubled
				   before each next one, at most
				   TW_RUNCMD_BACKOFF_MAX; <= 0: none */
	/* Optional (NULL: none): a flag a signal handler sets to shut the
	 * tool down.  Once it is nonzero no retry starts and a backoff is
	 * cut short; the running attempt still ends as usual (within its
	 * timeout), and the first attempt always runs. */
	volatile sig_atomic_t *stop;
};

struct tw_runcmd_result {
	int attempts;           /* attempts started */
	int status;             /* exit status of the last attempt, or
				   128 + signal when a signal ended it;
				   -1 when no attempt could start */
	bool timed_out;         /* the last attempt hit the time limit */
	bool interrupted;       /* retries cut short by opts.stop */
	double seconds;         /* the whole call, backoffs included */
	char err[TW_RUNCMD_ERR_MAX + 1]; /* the last attempt's stderr, its
				   first TW_RUNCMD_ERR_MAX bytes, NUL-ended
				   (it may itself hold NUL bytes) */
};

/* Runs o->cmd with input[0..len) on its standard input until an attempt
 * exits with status 0, or 1 + o->retries attempts have failed (exited
 * non-zero, were killed by a signal, or timed out).  r is always filled.
 * Returns 0 on success, or -1 with e (if not NULL) explaining the last
 * failure, CMD quoted with control bytes as '?' and cut after 100 bytes:
 *   'CMD' exited with status 3 after 3 attempts: <first stderr line>
 *   'CMD' was killed by signal 9 after 1 attempt
 *   'CMD' timed out after 2 s (3 attempts)
 *   'CMD' exited with status 1 after 1 attempt (interrupted)
 *   cannot run 'CMD': <reason>     (pipes, /dev/null or the spawn failed;
 *                                   not retried)
 * A missing program is the shell's status 127 with its "not found" line.
 * The stderr line is appended whenever there is one; control bytes in it
 * appear as '?'. */
int tw_runcmd(const struct tw_runcmd_opts *o, const char *input, size_t len,
	      struct tw_runcmd_result *r, struct tw_err *e);

#endif
