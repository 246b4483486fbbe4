/* atomic.h - state that outlives a run: written whole or not at all.
 *
 * Checkpoints and fitted models are JSON files replaced atomically: the
 * new content goes to a temporary file "PATH.XXXXXX" in the same
 * directory, is fsynced, renamed over PATH, and the directory is fsynced
 * so the rename itself survives a power loss.  Readers therefore see the
 * old file or the new one, never a torn mix, even after kill -9.  A
 * process killed mid-write may leave its "PATH.XXXXXX" behind; PATH
 * itself is never touched until the rename.
 *
 * Ownership: the write functions borrow everything they are given.
 * tw_json_load_file returns a new reference the caller json_decref()s. */
#ifndef TW_ATOMIC_H
#define TW_ATOMIC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "err.h"

/* Replaces path with data[0..len).  The new file has mode 0666 & ~umask,
 * like any file a tool creates.  Returns 0, or -1 with a message naming
 * path and the failing step ("s.json: cannot create a temporary file in
 * '.': Permission denied", "s.json: No space left on device").  When -1
 * comes from a step before the rename, the old file is untouched and the
 * temporary file removed; when it comes from the final directory fsync,
 * the new content is in place but may not survive a power loss. */
int tw_atomic_write(const char *path, const void *data, size_t len,
		    struct tw_err *e);

/* Writes doc, an object or array, as compact JSON, keys in insertion
 * order, with a final newline, through tw_atomic_write.  Reals are written by jansson with 17
 * significant digits (0.1 as 0.10000000000000001): exact, not shortest. */
int tw_atomic_write_json(const char *path, const json_t *doc,
			 struct tw_err *e);

/* Loads the JSON object or array in path; duplicate keys are an error.
 * Returns the document, or NULL with e->msg set: "PATH:LINE:COLUMN:
 * message" for bad JSON, "PATH: message" for a file that cannot be read.
 * When missing_ok and path does not exist, returns NULL with e->msg[0]
 * == '\0': that is how a caller tells "no state yet" (start afresh) from
 * "state broken" (report and stop).  e must not be NULL. */
json_t *tw_json_load_file(const char *path, bool missing_ok, struct tw_err *e);

/* Makes the entries of directory dir durable (fsync); a file system that
 * cannot fsync a directory (EINVAL) is not an error.  -1 with errno. */
int tw_atomic_sync_dir(const char *dir);

#endif
