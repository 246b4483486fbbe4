/* in.h - reading input lines: files or stdin, gzip transparently.
 *
 * A reader hands out one line at a time, without its "\n" or "\r\n",
 * NUL-terminated, with its 1-based number for messages.  Lines may be of
 * any length up to TW_IN_MAX_LINE; a longer one is returned cut to that
 * length with TW_IN_TOOLONG, and the rest of it skipped.  A missing final
 * newline is fine.  Gzip input (one or more members) is recognised by
 * its magic bytes, whatever the file is called, and inflated with zlib;
 * a truncated or corrupt gzip stream is an error.
 *
 * Reads are plain read(2)s, so a pipe's data is handed out as soon as it
 * arrives.  Before a read that would block, the reader calls the idle
 * hook: tools flush their output there, so a live pipeline sees each
 * record at once while a file is still read in large blocks.
 *
 * Ownership: the reader owns its buffers; a line returned is valid until
 * the next call on the same reader.  tw_in_close frees everything. */
#ifndef TW_IN_H
#define TW_IN_H

#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

#define TW_IN_MAX_LINE ((size_t)64 << 20)   /* 64 MiB */

enum tw_in_status {
	TW_IN_ERROR = -1,   /* read error, corrupt gzip: see the tw_err */
	TW_IN_EOF = 0,
	TW_IN_LINE = 1,
	TW_IN_TOOLONG = 2,  /* a line over TW_IN_MAX_LINE, cut */
	TW_IN_STOPPED = 3,  /* a signal set the stop flag (tw_in_stop_on) */
};

struct tw_in;

/* Opens path, or standard input for "-".  NULL with a reason in e when
 * the file cannot be opened. */
struct tw_in *tw_in_open(const char *path, struct tw_err *e);
void tw_in_close(struct tw_in *in);

/* The next line: *line and *len (without the end of line). */
enum tw_in_status tw_in_getline(struct tw_in *in, char **line, size_t *len,
				struct tw_err *e);

/* The end of the last line as it stood in the input: "\n", "\r\n", or
 * "" at the end of the input or for a line cut by TW_IN_TOOLONG.  The
 * line followed by this is the line verbatim, as --rejects writes it. */
const char *tw_in_eol(const struct tw_in *in);

const char *tw_in_name(const struct tw_in *in);   /* "-" reads as "(stdin)" */
long long tw_in_lineno(const struct tw_in *in);

/* Progress: bytes read from the file so far (compressed bytes for
 * gzip), and its size, or -1 when it is not a regular file. */
off_t tw_in_done(const struct tw_in *in);
off_t tw_in_size(const struct tw_in *in);

/* Called before any read that would block (and at every end of file
 * while following).  NULL for none. */
void tw_in_on_idle(struct tw_in *in, void (*fn)(void *), void *arg);

/* A read interrupted by a signal returns TW_IN_STOPPED when *flag is set
 * (the tool installed its handler without SA_RESTART), so a tool blocked
 * on a quiet pipe can save its state and end. */
void tw_in_stop_on(struct tw_in *in, volatile sig_atomic_t *flag);

/* Follow the file as it grows, like tail -F: at its end, wait and read
 * on; start again from the top when it is truncated, and reopen the
 * path when it is replaced (rotation).  Never returns TW_IN_EOF then.
 * Only a regular, uncompressed file is followed: the end of a pipe or
 * of a gzip stream is final. */
void tw_in_follow(struct tw_in *in, bool on);

/* True once after the followed file was truncated or replaced: the line
 * just returned is the first of the new file (line numbers start again
 * at 1), so a reader of headers reads one anew.  The old file's last
 * line, if it had no newline, was returned before; bytes of an
 * unfinished line cut off by truncation are dropped. */
bool tw_in_restarted(struct tw_in *in);

#endif
