/* act.h - from the twin back to the machine, inside a safety envelope.
 *
 * The engine behind twin-act(1).  State records update each asset's
 * variables (its sensors by name), scores, residuals, forecasts and RUL
 * records theirs (score.SENSOR, residual.SENSOR, forecast.SENSOR, rul);
 * at each state record the asset's rules are evaluated in event time,
 * by priority: a rule fires when its condition has held for its `for`,
 * outside its cooldown, and clears when its clear condition holds.  A
 * firing writes an alert and/or a command; a PID rule writes a command
 * at every state.  Every command passes the target's envelope (allowed
 * fields, min/max, rate of change, interlocks) and is sent, clamped or
 * refused, the decision recorded in it.  Readings of the sensors that
 * report a target's fields acknowledge commands, or a deadline passes.
 *
 * Executing commands and keeping the audit trail are the caller's: the
 * engine calls back.
 *
 * Ownership: struct tw_act borrows the options (the rules and what they
 * point to), the writer and the reporter. */
#ifndef TW_ACT_H
#define TW_ACT_H

#include <jansson.h>
#include <stdbool.h>

#include "diag.h"
#include "err.h"
#include "out.h"
#include "rules.h"

struct tw_act_opts {
	const struct tw_rules *rules;
	bool arm;        /* commands are for real (else a dry run) */
	/* With --arm: executes one command record; 0, or -1 with e. */
	int (*execute)(void *ctx, const char *record, size_t len, struct tw_err *e);
	/* Appends one decision to the audit trail; 0, or -1 with e. */
	int (*audit)(void *ctx, const char *record, size_t len, struct tw_err *e);
	void *ctx;
	/* Only the assets of shard shard_k of shard_n (shard.h; n 0: all):
	 * records of other assets are dropped and counted. */
	int shard_k, shard_n;
};

struct tw_act_stats {
	long long lines, fired, cleared, commands, clamped, refused, executed, failed, acked, timeouts,
		other_shards;
};

struct tw_act;

struct tw_act *tw_act_new(const struct tw_act_opts *o, struct tw_out *out, struct tw_diag *d,
			  struct tw_err *e);
void tw_act_free(struct tw_act *a);

/* One input line.  Returns 0; 1 to stop (--strict); -1 with e for a
 * fatal error (the audit trail cannot be written). */
int tw_act_line(struct tw_act *a, const char *file, long long lineno, const char *line, size_t len,
		const char *eol, struct tw_err *e);

json_t *tw_act_save(const struct tw_act *a);
/* Loads a state saved by tw_act_save; with a shard, a state holding an
 * asset of another shard is an error (the checkpoint of another shard). */
int tw_act_load(struct tw_act *a, const json_t *state, struct tw_err *e);

void tw_act_stats(const struct tw_act *a, struct tw_act_stats *st);

#endif
