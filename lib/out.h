/* out.h - the output writer: block-buffered, flushed when input runs dry.
 *
 * Records are appended to a large buffer and written with write(2) when
 * it fills, when tw_out_flush is called (the input reader's idle hook, or
 * before sleeping for replay pacing), and at the end.  A write error is
 * kept: later writes are dropped, and tw_out_close reports it, so a full
 * disk is never silent loss.  A closed pipe (EPIPE, when SIGPIPE is
 * ignored) is kept as TW_OUT_EPIPE, which tools end on quietly.
 *
 * Ownership: the writer borrows its file descriptor and owns its buffer. */
#ifndef TW_OUT_H
#define TW_OUT_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "err.h"

struct tw_out {
	int fd;
	const char *name;      /* for messages, e.g. "standard output" */
	int error;             /* 0, or the errno of the first failed write */
	struct tw_buf b;
};

#define TW_OUT_BLOCK ((size_t)256 << 10)

void tw_out_init(struct tw_out *o, int fd, const char *name);

/* Writes out what is buffered.  Returns -1 once a write has failed. */
int tw_out_flush(struct tw_out *o);

/* Flushes and frees the buffer (the descriptor stays open).  Returns 0,
 * or -1 with the reason in e ("standard output: No space left on
 * device"); *epipe is set when the reader went away. */
int tw_out_close(struct tw_out *o, int *epipe, struct tw_err *e);

/* For idle hooks: void (*)(void *) that flushes a struct tw_out. */
void tw_out_flush_hook(void *o);

static inline void tw_out_write(struct tw_out *o, const void *p, size_t n)
{
	tw_buf_add(&o->b, p, n);
	if (o->b.len >= TW_OUT_BLOCK)
		tw_out_flush(o);
}

#endif
