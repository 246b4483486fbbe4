/* plot.h - plots of a record stream, drawn by gnuplot.
 *
 * The engine behind twin-plot(1).  Records are read one line at a time
 * (tw_plot_line) and each value worth drawing goes straight to a data
 * file of its series in a private temporary directory: memory grows
 * with the number of series, not with the length of the input.  At the
 * end tw_plot_render writes a gnuplot script over those files, runs
 * gnuplot (found on PATH) and delivers what it drew: to the output file,
 * replaced atomically, or to a writer.
 *
 * A series is one line of the plot: (asset, what, name), e.g. the
 * readings of pump-1's temp_c, its simulated values, its residuals, its
 * anomaly scores.  The panels, stacked from top to bottom, are for each
 * asset in the order first seen: one per sensor (readings, state values,
 * simulated values, forecasts with their band), then one of residuals,
 * one of anomaly scores with their thresholds and alarms, one of the
 * remaining useful life; commands and alerts are vertical markers on
 * every panel of their asset, labelled on its first.  Time runs along x,
 * in UTC, the same range on every panel.
 *
 * Ownership: struct tw_plot borrows the options' strings and the
 * reporter, and owns its temporary directory: tw_plot_free removes it
 * with everything in it, and the output's temporary file if the output
 * was not delivered. */
#ifndef TW_PLOT_H
#define TW_PLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "err.h"
#include "out.h"

enum tw_plot_term { TW_PLOT_SVG, TW_PLOT_PNG, TW_PLOT_DUMB };

/* The kinds of record that can be drawn, for --kinds. */
enum {
	TW_PLOT_READING = 1 << 0, TW_PLOT_STATE = 1 << 1, TW_PLOT_SIM = 1 << 2,
	TW_PLOT_RESIDUAL = 1 << 3, TW_PLOT_SCORE = 1 << 4, TW_PLOT_FORECAST = 1 << 5,
	TW_PLOT_RUL = 1 << 6, TW_PLOT_COMMAND = 1 << 7, TW_PLOT_ALERT = 1 << 8,
	TW_PLOT_ALL = (1 << 9) - 1,
};

struct tw_plot_opts {
	enum tw_plot_term term;
	int width, height;        /* pixels, or characters for dumb; 0: from
				     the number of panels */
	const char *title;        /* over the whole plot; NULL: none */
	const char *sensors;      /* "a,b": only these sensors; NULL: all */
	const char *assets;       /* "a,b": only these assets; NULL: all */
	unsigned kinds;           /* TW_PLOT_* bits */
	int64_t from, to;         /* only records in [from, to]; INT64_MIN
				     and INT64_MAX for no limit */
	const char *output;       /* file to write; NULL: a writer */
	const char *gnuplot;      /* program, looked up on PATH; NULL: "gnuplot" */
};

/* Every line read is exactly one of: blank, rejected (the reporter
 * counts those), plotted, gap, unchosen, outside, unplottable. */
struct tw_plot_stats {
	long long lines;          /* lines read */
	long long blank;
	long long plotted;        /* records with a value drawn */
	long long gaps;           /* records whose values were null: a break in the line */
	long long unchosen;       /* left out by --asset, --sensors or --kinds */
	long long outside;        /* outside --from and --to */
	long long unplottable;    /* nothing numeric to draw (a string value, a fit, an ack ...) */
	long long series, panels; /* panels: known after tw_plot_render */
};

void tw_plot_opts_init(struct tw_plot_opts *o);

/* Parses a --kinds list ("reading,score") into TW_PLOT_* bits.  -1 with
 * e naming the unknown kind. */
int tw_plot_kinds(const char *list, unsigned *kinds, struct tw_err *e);

/* Makes the temporary directory (in $TMPDIR, else /tmp) and, when
 * o->output is set, the output's temporary file next to it, so that an
 * unwritable output is found before any input is read.  NULL with e on
 * failure. */
struct tw_plot *tw_plot_new(const struct tw_plot_opts *o, struct tw_diag *d, struct tw_err *e);

/* Removes the temporary directory and any undelivered output file. */
void tw_plot_free(struct tw_plot *p);

/* One input line (without its end of line eol): 0 to go on, 1 to stop
 * (--strict), -1 with e when a data file cannot be written. */
int tw_plot_line(struct tw_plot *p, const char *file, long long lineno, const char *line,
		 size_t len, const char *eol, struct tw_err *e);

/* Draws what was read.  With o->output, replaces that file (written,
 * fsynced and renamed); else appends the drawing to out.  -1 with e:
 * nothing to plot, gnuplot missing or failed (its own messages went to
 * standard error before), a write error. */
int tw_plot_render(struct tw_plot *p, struct tw_out *out, struct tw_err *e);

void tw_plot_stats(const struct tw_plot *p, struct tw_plot_stats *st);

#endif
