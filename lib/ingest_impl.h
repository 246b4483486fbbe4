/* ingest_impl.h - what the input formats of ingest.c share (internal).
 *
 * Each format reads one line at a time.  A line becomes readings in
 * three steps: ing_record(ts, asset) starts them (and says whether the
 * line falls inside --since/--until), ing_emit() appends one reading per
 * value, and the line either commits whole or, when any part of it is
 * bad, ing_reject() rolls back what it appended and reports the line. */
#ifndef TW_INGEST_IMPL_H
#define TW_INGEST_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "in.h"
#include "ingest.h"
#include "strmap.h"

/* A sensor as it is written: name mapped by --rename, unit by --unit. */
struct ing_sensor {
	bool keep;             /* selected by --columns (or no --columns) */
	struct tw_buf frag;    /* ,"sensor":"NAME","value": */
	struct tw_buf unit;    /* ,"unit":"U" or empty */
};

enum ing_vtype { V_JSON, V_NUM, V_STR, V_TRUE, V_FALSE, V_NULL };

struct ing_value {
	enum ing_vtype type;
	const char *text;      /* V_JSON: number or JSON text as written; V_STR: raw UTF-8 */
	size_t len;
	double num;            /* V_NUM */
	/* A unit that came with the value, as JSON string content (escaped,
	 * no quotes), or NULL; --unit wins over it. */
	const char *unit;
	size_t unit_len;
};

struct ing_format;

struct tw_ingest {
	struct tw_ingest_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	struct tw_ingest_stats st;

	struct tw_strmap sensors;       /* input name -> struct ing_sensor */
	struct tw_strmap rename, units, columns;  /* from the options: name -> char * */
	struct tw_buf src;              /* ,"src":"FILE: for --lineage */
	struct tw_buf scratch;

	/* The file and line being read. */
	const char *file;
	char *stem;                      /* asset from the file name */
	const struct ing_format *fmt;
	void *fmt_state;
	char *line;
	size_t len;
	const char *eol;
	long long lineno;
	long long src_line;               /* what --lineage names: a record's first line */
	struct tw_in *in;

	/* The record being built: its head and where it started in out. */
	struct tw_buf head;             /* {"ts":"...","asset":"..." */
	size_t mark;
	long long line_readings;

	/* --replay pacing and --progress. */
	bool paced;
	int64_t first_ts, wall0;
	int64_t progress_t0, next_progress;
	bool progress_shown;
};

struct ing_format {
	const char *name;
	int (*begin)(struct tw_ingest *g, struct tw_err *e);  /* per file */
	/* One line: 0 done (committed, skipped or rejected), 1 stop (--strict),
	 * -1 a fatal error in e (a header without the named column). */
	int (*line)(struct tw_ingest *g, struct tw_err *e);
	/* The end of the file: 0, or 1 to stop. */
	int (*end)(struct tw_ingest *g);
	void (*free)(struct tw_ingest *g);
};

extern const struct ing_format ing_csv, ing_ndjson, ing_influx, ing_mqtt;

/* Starts the readings of the current line.  Returns 1 when they fall
 * outside the window (the line is then skipped), else 0. */
int ing_record(struct tw_ingest *g, int64_t ts, const char *asset, size_t alen);

/* The sensor of input name[0..len), created on first sight. */
struct ing_sensor *ing_sensor(struct tw_ingest *g, const char *name, size_t len);

/* Appends one reading of the current record (if the sensor is kept). */
void ing_emit(struct tw_ingest *g, const struct ing_sensor *s, const struct ing_value *v);

/* The current line's readings are complete. */
void ing_commit(struct tw_ingest *g);

/* Rolls back the current line and reports it; returns 1 under --strict.
 * The line reported is first..last, text as read (CSV records can span
 * lines); ing_reject is the common case of the current line. */
int ing_reject(struct tw_ingest *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int ing_reject_text(struct tw_ingest *g, long long lineno, const char *text, size_t len,
		    const char *eol, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* A skipped line (header, blank, comment, outside the window). */
void ing_skip(struct tw_ingest *g);

/* Copies the current line to the output as it is: a record of another
 * kind passes through. */
void ing_pass(struct tw_ingest *g);

/* Classifies a text value (a CSV cell, an MQTT payload): a number, a
 * null word (null, NA, NaN ...), true/false, or a string.  -1 with a
 * reason for text that looks like a number but is not one, invalid
 * UTF-8, or (--numeric) anything but a number or null. */
int ing_text_value(const struct tw_ingest *g, const char *s, size_t n,
		   struct ing_value *v, struct tw_err *e);

/* Parses the time stamp text of the current line with the options'
 * format (or fallback when no --time-format was given). */
int ing_time(const struct tw_ingest *g, const char *s, size_t n,
	     const struct tw_time_fmt *fallback, int64_t *ts, struct tw_err *e);

struct tw_rec;

/* Appends one reading per member of object token obj of r, named
 * prefix.key (nested objects flattened with dots), skipping member
 * skip (a time stamp field; -1 for none).  -1 with a reason for arrays
 * and, with --numeric, values that are not numbers. */
int ing_json_object(struct tw_ingest *g, const struct tw_rec *r, int obj,
		    const char *prefix, size_t plen, int skip, struct tw_err *e);

/* One reading from JSON value token tok of r, with the unit of string
 * token unit (-1 for none). */
int ing_json_value(struct tw_ingest *g, const struct tw_rec *r, int tok,
		   const struct ing_sensor *s, int unit, struct tw_err *e);

/* A JSON string or number token as a time stamp. */
int ing_json_time(struct tw_ingest *g, const struct tw_rec *r, int tok,
		  int64_t *ts, struct tw_err *e);

/* The wall clock, for --stamp (the only reader of it besides --replay). */
int64_t ing_now(void);

#endif
