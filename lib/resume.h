/* resume.h - where a run with --state stands in its input and output.
 *
 * A checkpoint holds the engine's state and how far the run got: the
 * number of input lines consumed and a CRC-32 of their bytes, and, when
 * standard output is a regular file, its size.  A resumed run reads its
 * input from the top (a cron job re-reads a log that has grown), skips
 * the lines consumed before after checking they are the same, and cuts
 * the output file back to the size the checkpoint saw, so records a
 * killed run wrote after its last checkpoint are not written twice
 * (only the same file, by device and inode: never another one).  It
 * names the tool that wrote it: another tool's checkpoint is refused.
 *
 * Ownership: struct tw_resume owns nothing; the engine document passed
 * to tw_resume_save is taken over (and freed). */
#ifndef TW_RESUME_H
#define TW_RESUME_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"

struct tw_resume {
	const char *path;          /* the checkpoint file */
	const char *tool;          /* the tool whose checkpoint it is */
	long long lines;           /* input lines consumed so far */
	uint32_t crc;              /* CRC-32 of those lines, each with "\n" */
	long long skip;            /* lines a resumed run skips */
	uint32_t want_crc;         /* and their CRC-32 */
	bool has_out_size;
	long long out_size;
	long long out_dev, out_ino;  /* which file: another one is never cut */
};

/* Loads the checkpoint of tool (e.g. "twin-sync") at path: *engine is
 * the engine's state (owned by the caller), or NULL when the file does not
 * exist yet (a first run).  A checkpoint another tool wrote is an error;
 * one without a tool (written before checkpoints named theirs) is read. */
int tw_resume_load(struct tw_resume *r, const char *tool, const char *path, json_t **engine,
		   struct tw_err *e);

/* Cuts the output file fd back to the size the checkpoint recorded, when
 * it is a regular file that has grown beyond it. */
int tw_resume_cut_output(const struct tw_resume *r, int fd, struct tw_err *e);

/* Accounts one input line: 1 when an earlier run consumed it (skip it),
 * 0 to process it, -1 when the input differs from what the earlier run
 * read. */
int tw_resume_line(struct tw_resume *r, const char *line, size_t len, struct tw_err *e);

/* At the end of the input: -1 when it was shorter than what the earlier
 * run read. */
int tw_resume_end(const struct tw_resume *r, struct tw_err *e);

/* Writes the checkpoint atomically: engine (taken over), the input
 * position, and the size of output fd when it is a regular file (the
 * caller has flushed it; it is synced to disk first). */
int tw_resume_save(struct tw_resume *r, json_t *engine, int out_fd, struct tw_err *e);

#endif
