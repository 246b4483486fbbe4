/* diag.h - reporting rejected input: the one place tools speak on stderr.
 *
 * Every rejected line is reported as "tool: FILE:LINE: reason", counted,
 * and, with --rejects FILE, appended there verbatim, so that every line
 * in is a line processed or a line rejected and nothing is lost.  With
 * --strict the tool stops at the first rejection (tw_diag_reject tells
 * it to).  Fatal errors are "tool: reason" and exit status 2.
 *
 * Ownership: struct tw_diag owns the rejects stream it opened. */
#ifndef TW_DIAG_H
#define TW_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Exit statuses shared by every tool (twin(7)). */
enum {
	TW_EXIT_OK = 0,        /* all input processed */
	TW_EXIT_REJECTED = 1,  /* finished, but some input was rejected */
	TW_EXIT_FATAL = 2,     /* usage, unreadable input, unwritable output ... */
};

struct tw_diag {
	const char *tool;
	bool strict;
	long long rejected;
	FILE *rejects;            /* NULL without --rejects */
	const char *rejects_path;
	/* Called before anything is printed: the progress line clears itself. */
	void (*before_print)(void *);
	void *before_print_arg;
};

void tw_diag_init(struct tw_diag *d, const char *tool);

/* Opens FILE for --rejects (appending; "-" is not allowed: stdout carries
 * the records). */
int tw_diag_open_rejects(struct tw_diag *d, const char *path, struct tw_err *e);

/* Reports and counts one rejected input record: text[0..len) followed by
 * eol ("\n", "\r\n", or "" to end it with "\n") is what the input held.
 * Returns true when the tool must stop now (--strict). */
bool tw_diag_reject(struct tw_diag *d, const char *file, long long line,
		    const char *text, size_t len, const char *eol,
		    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* "tool: message" on stderr, for fatal errors and warnings. */
void tw_diag_say(struct tw_diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Closes the rejects file; -1 with a reason when writing it failed. */
int tw_diag_close(struct tw_diag *d, struct tw_err *e);

#endif
