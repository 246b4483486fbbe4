/* sync.h - the replica's state, kept in step with the physical system.
 *
 * The engine behind twin-sync(1).  Readings are ordered by event time per
 * asset through a reorder buffer (--lateness), checked (late, duplicate,
 * too far in the future, out of range), and applied to the asset's state;
 * state records are emitted per reading, per grid instant (--every) or
 * per change (--on-change).  Records of other kinds pass through.  The
 * whole engine state can be saved to and restored from a checkpoint.
 *
 * Ownership: struct tw_sync borrows the options' strings, the twin
 * description, the writer and the reporter; tw_sync_free frees the rest. */
#ifndef TW_SYNC_H
#define TW_SYNC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "err.h"
#include "out.h"
#include "twin.h"

enum tw_sync_late { TW_LATE_REJECT, TW_LATE_DROP, TW_LATE_KEEP };
enum tw_sync_emit { TW_EMIT_EACH, TW_EMIT_GRID, TW_EMIT_CHANGE };

struct tw_sync_opts {
	int64_t lateness;           /* ns; 0: no reordering */
	enum tw_sync_late late;
	int64_t max_future;         /* ns; 0: no limit */
	enum tw_sync_emit emit;
	int64_t every;              /* ns, with TW_EMIT_GRID */
	bool interp_linear;
	double deadband;            /* default deadband for --on-change */
	int64_t stale_after;        /* ns; 0: from the twin, else never */
	double stale_factor;        /* x the twin's period */
	bool null_stale;
	bool keep_readings;
	bool reject_out_of_range;   /* else marked bad */
	const struct tw_twin *twin; /* NULL for none */
	int shard_k, shard_n;       /* n == 0: no sharding */
	bool key_prefix;            /* asset<TAB> before every output line */
};

struct tw_sync_stats {
	long long lines, readings, states, passed, late, duplicates, quarantined,
		rejected, other_shards, out_of_range;
};

struct tw_sync;

void tw_sync_opts_init(struct tw_sync_opts *o);

/* NULL with a reason in e (a derived signal that does not compile). */
struct tw_sync *tw_sync_new(const struct tw_sync_opts *o, struct tw_out *out,
			    struct tw_diag *d, struct tw_err *e);
void tw_sync_free(struct tw_sync *s);

/* One input line (without its end of line) from file:lineno.  Returns 0;
 * 1 when --strict asks to stop; -1 with a reason in e for a fatal error
 * (a derived signal of a twin pattern that does not compile). */
int tw_sync_line(struct tw_sync *s, const char *file, long long lineno,
		 const char *line, size_t len, const char *eol, struct tw_err *e);

/* Rejects a line the reader cut at TW_IN_MAX_LINE (its first bytes). */
int tw_sync_too_long(struct tw_sync *s, const char *file, long long lineno,
		     const char *line, size_t len);

/* The end of the input: releases every buffered reading and emits the
 * grid instants up to the last reading (the log is complete). */
void tw_sync_finish(struct tw_sync *s);

/* Emits the current state of every asset (--snapshot). */
void tw_sync_snapshot(struct tw_sync *s);

/* True when event time has passed the next --checkpoint-every boundary
 * since the last call that returned true. */
bool tw_sync_checkpoint_due(struct tw_sync *s, int64_t every);

/* The engine's state as JSON (owned by the caller), and back. */
json_t *tw_sync_save(const struct tw_sync *s);
int tw_sync_load(struct tw_sync *s, const json_t *state, struct tw_err *e);

void tw_sync_stats(const struct tw_sync *s, struct tw_sync_stats *st);

#endif
