/* audit.h - an append-only audit trail whose lines form a hash chain.
 *
 * twin-act --audit FILE records every decision (fired, cleared, clamped,
 * refused, executed, failed, acked) as one NDJSON line.  The caller builds
 * each line's JSON object; this module appends, as the object's LAST
 * member, "prev":"HEX", where HEX is the SHA-256, in 64 lowercase hex
 * digits, of the previous line's bytes exactly as written, without its
 * newline.  The first line of a trail has 64 zeros.  Editing, inserting,
 * deleting or reordering any line therefore breaks the chain at the line
 * after the change (an edit inside a line's own "prev" breaks that line),
 * and tw_audit_verify names the first broken line.
 *
 *   {"ts":"...","asset":"p1","kind":"audit","decision":"fired","prev":"000...0"}
 *   {"ts":"...","asset":"p1","kind":"audit","decision":"clamped","prev":"3f2a...9c"}
 *
 * What the chain does not prove: that lines were not cut off the END at
 * a line boundary, nor that someone did not rewrite the whole file and
 * recompute every hash.  To catch those, anchor the trail: keep
 * tw_audit_last_hash somewhere else (a state file, a log, a receipt) and
 * compare it with the trail's last line later.
 *
 * Durability: tw_audit_append writes each line with one write(2) but does
 * not sync it (an fsync per line would cap the tool at a few hundred
 * decisions per second on a disk).  tw_audit_sync makes everything
 * appended so far durable; a tool calls it before it acts on a decision
 * (before running an --exec command), so a command is never executed
 * without its record on disk, and tw_audit_close calls it at the end.  A
 * crash of the process loses nothing that was appended; a power loss may
 * lose lines appended since the last sync, or leave a torn last line,
 * which the next tw_audit_open refuses to continue and --verify-audit
 * reports.
 *
 * One writer: tw_audit_open takes an exclusive flock(2) on the file for
 * as long as it is open, so a second twin-act on the same trail fails at
 * open instead of forking the chain.
 *
 * Ownership: tw_audit_open returns a handle the caller owns and releases
 * with tw_audit_close (which frees it even when it fails).  Every other
 * function borrows what it is given. */
#ifndef TW_AUDIT_H
#define TW_AUDIT_H

#include <stddef.h>

#include "err.h"

/* The length of a hash in hex, without the terminating NUL. */
#define TW_AUDIT_HEX 64

struct tw_audit;

/* Opens path for appending (created with mode 0644 & ~umask when it does
 * not exist).  path must be a regular file.  When it already has lines,
 * reads its last line (backwards from the end, one block at a time, so
 * opening a large trail is quick) to continue the chain; nothing else in
 * the file is verified here, that is tw_audit_verify's job.  Returns the
 * handle, or NULL with e->msg naming path:
 *   "PATH: No such file or directory" (or any open(2) error)
 *   "PATH: not a regular file"
 *   "PATH: in use by another process (an audit trail has one writer)"
 *   "PATH: the last line is unfinished: the trail may have been cut;
 *    run --verify-audit"
 *   "PATH: the last line is not an audit line (no \"prev\" at its end):
 *    is this an audit trail?" */
struct tw_audit *tw_audit_open(const char *path, struct tw_err *e);

/* Appends one line.  json_obj[0..len) is a complete JSON object text
 * "{...}" built by the caller: first byte '{', last byte '}', no newline
 * and no NUL byte inside, and no "prev" member of its own.  The body is
 * not parsed: the module writes json_obj without its final '}', then
 * ,"prev":"HEX"} and a newline (an empty object, "{}" or "{ }", becomes
 * {"prev":"HEX"}), so nested objects and strings holding braces are copied as
 * they are.  The whole line goes out in one write(2), retried on partial
 * writes.  Not synced: see tw_audit_sync.
 *
 * Returns 0, or -1 with e->msg: for bad input, nothing written,
 *   "PATH: cannot append: not a JSON object text (it must start with '{'
 *    and end with '}')"
 *   "PATH: cannot append: a newline or NUL byte inside the object"
 * or, when the write fails, "PATH: write: <strerror>".  A line torn by
 * a failed write is cut off again with ftruncate(2), so the trail stays
 * a whole chain and later appends may succeed (once the disk has room
 * again, say); when even that fails, the message ends "...; the trail
 * now ends with a torn line" and every later append fails. */
int tw_audit_append(struct tw_audit *a, const char *json_obj, size_t len,
		    struct tw_err *e);

/* Makes every line appended so far durable (fdatasync(2); the first time
 * after the file was created, the directory is synced too, so the new
 * name survives).  Returns 0, or -1 with "PATH: fdatasync: <strerror>". */
int tw_audit_sync(struct tw_audit *a, struct tw_err *e);

/* The SHA-256 of the last line in the trail, as 64 lowercase hex digits
 * (64 zeros for an empty trail): the "prev" the next line will carry, and
 * the value to keep elsewhere as an anchor.  Owned by a; valid until the
 * next tw_audit_append or tw_audit_close. */
const char *tw_audit_last_hash(const struct tw_audit *a);

/* Syncs, unlocks and closes the trail, and frees a (always, even on
 * failure).  a may be NULL.  Returns 0, or -1 with e->msg when the sync
 * or close fails: lines may then not be on disk. */
int tw_audit_close(struct tw_audit *a, struct tw_err *e);

/* Checks the chain of the trail in path, reading it line by line (lines
 * of any length that fits in memory).  A line is an audit line when it
 * starts with '{' and ends, textually, with ,"prev":"HEX"} or is exactly
 * {"prev":"HEX"}, HEX being 64 lowercase hex digits.  The rest of the
 * line is not parsed as JSON: this module is the trail's only writer, and
 * a line whose bytes differ from what it wrote is caught by the hash, so
 * a textual check is enough, and fast.
 *
 * Returns 0 when the chain is whole, with *lines = the number of lines
 * (0 for an empty file).  Returns -1 when a line is broken, with
 * *bad_line = its number (from 1), *lines = the number of whole lines
 * before it, and e->msg saying why, for example:
 *   "PATH: line 1: prev is not 64 zeros (the first line of a trail)"
 *   "PATH: line 3: not an audit line (no prev)"
 *   "PATH: line 4: prev is not 64 lowercase hex digits"
 *   "PATH: line 9: unfinished (no newline)"
 *   "PATH: line 17: prev does not match line 16"
 * Returns -1 with *bad_line = 0 when the file cannot be opened or read
 * ("PATH: No such file or directory").  lines and bad_line may be NULL. */
int tw_audit_verify(const char *path, long long *lines, long long *bad_line,
		    struct tw_err *e);

/* hex = SHA-256 of data[0..len) in 64 lowercase hex digits and a NUL.
 * Returns 0, or -1 (hex unset) when libcrypto cannot compute it. */
int tw_audit_sha256_hex(const void *data, size_t len,
			char hex[TW_AUDIT_HEX + 1]);

#endif
