/* ingest_csv.c - CSV input for ingest.c, parsed by libcsv.
 *
 * Each physical line is fed to libcsv on its own, so every record knows
 * its line number and its text as read; a quoted field with a newline
 * makes a record that spans lines, and a rejected one is written back to
 * --rejects whole.  The first record of each file is its header. */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest_impl.h"
#include "jsonw.h"

#define NO_COL (-1)

struct csv_state {
	struct csv_parser p;
	char delim;
	bool parser_ok, header_seen, row_done;

	/* The fields of the record being parsed: bytes, NUL after each. */
	struct tw_buf bytes;
	size_t *off;
	int nf, capf;

	/* A record that spans lines: its text so far and first line. */
	struct tw_buf raw;
	long long first_line;
	const char *last_eol;     /* the end of its last line, added to raw */
	bool pending;

	int ncols;
	int ts_col, asset_col, sensor_col, value_col, unit_col;
	struct ing_sensor **col_sensor;   /* wide layout: per column, NULL for ts/asset */
};

static void on_field(void *s, size_t len, void *arg)
{
	struct csv_state *c = arg;
	if (c->nf == c->capf) {
		c->capf = c->capf ? c->capf * 2 : 16;
		c->off = realloc(c->off, (size_t)c->capf * sizeof *c->off);
		if (!c->off)
			abort();
	}
	c->off[c->nf++] = c->bytes.len;
	if (s)
		tw_buf_add(&c->bytes, s, len);
	tw_buf_addc(&c->bytes, '\0');
}

static void on_row(int term, void *arg)
{
	(void)term;
	((struct csv_state *)arg)->row_done = true;
}

static const char *field(const struct csv_state *c, int i, size_t *len)
{
	size_t end = i + 1 < c->nf ? c->off[i + 1] : c->bytes.len;
	*len = end - c->off[i] - 1;
	return c->bytes.p + c->off[i];
}

static int parser_start(struct csv_state *c, struct tw_err *e)
{
	if (c->parser_ok)
		csv_free(&c->p);
	c->parser_ok = csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) == 0;
	if (!c->parser_ok)
		return tw_err_set(e, "out of memory");
	csv_set_delim(&c->p, (unsigned char)c->delim);
	return 0;
}

static int csv_begin(struct tw_ingest *g, struct tw_err *e)
{
	struct csv_state *c = calloc(1, sizeof *c);
	if (!c)
		return tw_err_set(e, "out of memory");
	g->fmt_state = c;
	c->delim = g->o.delimiter;
	return 0;
}

static void csv_free_state(struct tw_ingest *g)
{
	struct csv_state *c = g->fmt_state;
	if (!c)
		return;
	if (c->parser_ok)
		csv_free(&c->p);
	tw_buf_release(&c->bytes);
	tw_buf_release(&c->raw);
	free(c->off);
	free(c->col_sensor);
	free(c);
	g->fmt_state = NULL;
}

/* The delimiter of a header line: whichever of , ; TAB is most common
 * outside quotes (',' when none is). */
static char detect_delimiter(const char *s, size_t n)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted)
			comma += s[i] == ',', semi += s[i] == ';', tab += s[i] == '\t';
	}
	if (tab > comma && tab >= semi)
		return '\t';
	if (semi > comma)
		return ';';
	return ',';
}

/* A column named by --*-field: its header name (exact, then ignoring
 * case) or its 1-based number. */
static int column(const struct csv_state *c, const char *name)
{
	size_t len;
	for (int i = 0; i < c->ncols; i++)
		if (strcmp(field(c, i, &len), name) == 0)
			return i;
	for (int i = 0; i < c->ncols; i++)
		if (strcasecmp(field(c, i, &len), name) == 0)
			return i;
	char *end;
	long k = strtol(name, &end, 10);
	if (*name && !*end && k >= 1 && k <= c->ncols)
		return (int)k - 1;
	return NO_COL;
}

static int first_column(const struct csv_state *c, const char *const *names)
{
	for (; *names; names++) {
		int k = column(c, *names);
		if (k != NO_COL)
			return k;
	}
	return NO_COL;
}

/* Reads the header; a missing named column stops the file (a
 * configuration error, not a bad line). */
static int header(struct tw_ingest *g, struct csv_state *c, struct tw_err *e)
{
	static const char *const ts_names[] = { "ts", "time", "timestamp", "datetime", "date_time",
						"date", "time_stamp", "_time", NULL };
	static const char *const asset_names[] = { "asset", NULL };
	static const char *const sensor_names[] = { "sensor", NULL };
	static const char *const value_names[] = { "value", NULL };
	static const char *const unit_names[] = { "unit", NULL };

	c->ncols = c->nf;
	for (int i = 0; i < c->ncols; i++) {
		size_t len;
		const char *name = field(c, i, &len);
		if (!tw_utf8_valid(name, len))
			return tw_err_set(e, "%s:%lld: invalid UTF-8 in the header, column %d", g->file, g->lineno, i + 1);
	}
	c->ts_col = g->o.ts_field ? column(c, g->o.ts_field) : first_column(c, ts_names);
	if (g->o.ts_field && c->ts_col == NO_COL)
		return tw_err_set(e, "%s:%lld: no time column '%s' in the header", g->file, g->lineno, g->o.ts_field);
	if (c->ts_col == NO_COL)
		c->ts_col = 0;
	c->asset_col = NO_COL;
	if (g->o.asset_field) {
		c->asset_col = column(c, g->o.asset_field);
		if (c->asset_col == NO_COL)
			return tw_err_set(e, "%s:%lld: no asset column '%s' in the header", g->file, g->lineno, g->o.asset_field);
	} else {
		c->asset_col = first_column(c, asset_names);   /* not a sensor, even under --asset */
	}
	if (g->o.long_layout) {
		const char *sn = g->o.sensor_field ? g->o.sensor_field : "sensor";
		const char *vn = g->o.value_field ? g->o.value_field : "value";
		c->sensor_col = g->o.sensor_field ? column(c, sn) : first_column(c, sensor_names);
		c->value_col = g->o.value_field ? column(c, vn) : first_column(c, value_names);
		if (c->sensor_col == NO_COL)
			return tw_err_set(e, "%s:%lld: no sensor column '%s' in the header", g->file, g->lineno, sn);
		if (c->value_col == NO_COL)
			return tw_err_set(e, "%s:%lld: no value column '%s' in the header", g->file, g->lineno, vn);
		c->unit_col = first_column(c, unit_names);
		return 0;
	}
	c->col_sensor = calloc((size_t)c->ncols, sizeof *c->col_sensor);
	if (!c->col_sensor)
		return tw_err_set(e, "out of memory");
	for (int i = 0; i < c->ncols; i++) {
		if (i == c->ts_col || i == c->asset_col)
			continue;
		size_t len;
		const char *name = field(c, i, &len);
		char fallback[32];
		if (len == 0) {
			len = (size_t)snprintf(fallback, sizeof fallback, "col%d", i + 1);
			name = fallback;
		}
		c->col_sensor[i] = ing_sensor(g, name, len);
	}
	return 0;
}

/* Turns one complete record into readings (or rejects it). */
static int record(struct tw_ingest *g, struct csv_state *c, const char *text, size_t tlen,
		  long long first)
{
	struct tw_err why;
	size_t len, alen;
	int64_t ts;

#define REJECT(...) ing_reject_text(g, first, text, tlen, g->eol, __VA_ARGS__)
	if (c->nf != c->ncols)
		return REJECT("expected %d fields, found %d", c->ncols, c->nf);
	const char *t = field(c, c->ts_col, &len);
	if (ing_time(g, t, len, NULL, &ts, &why) < 0)
		return REJECT("%s", why.msg);
	const char *asset = g->o.asset ? g->o.asset : g->stem;
	alen = strlen(asset);
	if (c->asset_col != NO_COL && !g->o.asset) {
		asset = field(c, c->asset_col, &alen);
		if (alen == 0)
			return REJECT("empty asset");
		if (!tw_utf8_valid(asset, alen))
			return REJECT("invalid UTF-8 in the asset");
	}
	if (ing_record(g, ts, asset, alen)) {
		ing_skip(g);
		return 0;
	}
	struct ing_value v;
	if (g->o.long_layout) {
		size_t slen;
		const char *sensor = field(c, c->sensor_col, &slen);
		const char *val = field(c, c->value_col, &len);
		if (slen == 0)
			return REJECT("empty sensor name");
		if (!tw_utf8_valid(sensor, slen))
			return REJECT("invalid UTF-8 in the sensor name");
		if (len == 0)
			v = (struct ing_value){ .type = V_NULL };  /* a sample the machine did not give */
		else if (ing_text_value(g, val, len, &v, &why) < 0)
			return REJECT("%s", why.msg);
		if (c->unit_col != NO_COL) {
			size_t ulen;
			const char *unit = field(c, c->unit_col, &ulen);
			if (!tw_utf8_valid(unit, ulen))
				return REJECT("invalid UTF-8 in the unit");
			if (ulen) {
				/* As JSON string content: escaped, without quotes. */
				g->scratch.len = 0;
				tw_jw_str(&g->scratch, unit, ulen);
				v.unit = g->scratch.p + 1;
				v.unit_len = g->scratch.len - 2;
			}
		}
		ing_emit(g, ing_sensor(g, sensor, slen), &v);
	} else {
		for (int i = 0; i < c->nf; i++) {
			if (!c->col_sensor[i])
				continue;
			const char *cell = field(c, i, &len);
			if (len == 0)
				continue;      /* one reading per non-empty cell */
			if (ing_text_value(g, cell, len, &v, &why) < 0)
				return REJECT("column %d: %s", i + 1, why.msg);
			ing_emit(g, c->col_sensor[i], &v);
		}
	}
	ing_commit(g);
	return 0;
#undef REJECT
}

static int csv_line(struct tw_ingest *g, struct tw_err *e)
{
	struct csv_state *c = g->fmt_state;
	char *s = g->line;
	size_t n = g->len;

	if (!c->pending) {
		if (g->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
			s += 3, n -= 3;    /* a UTF-8 byte order mark */
		if (n == 0 || (n == strspn(s, " \t"))) {
			ing_skip(g);
			return 0;
		}
		if (!c->header_seen && memchr(s, '\r', n))
			return tw_err_set(e, "%s:%lld: the lines end in CR alone (classic Mac OS):"
					  " convert them first, e.g. with tr '\\r' '\\n'", g->file, g->lineno);
		if (!c->header_seen && !c->delim)
			c->delim = detect_delimiter(s, n);
		if (!c->parser_ok && parser_start(c, e) < 0)
			return -1;
		c->nf = 0;
		c->bytes.len = 0;
		c->first_line = g->lineno;
	}
	c->row_done = false;
	/* The line's own end goes to libcsv too: inside quotes a CRLF is
	 * part of the value, as written. */
	const char *end = *g->eol ? g->eol : "\n";
	if (csv_parse(&c->p, s, n, on_field, on_row, c) != n ||
	    csv_parse(&c->p, end, strlen(end), on_field, on_row, c) != strlen(end)) {
		const char *why = csv_strerror(csv_error(&c->p));
		int stop;
		if (!c->header_seen)      /* no header: nothing after it can be read */
			return tw_err_set(e, "%s:%lld: malformed quoted field in the header (%s)",
					  g->file, c->pending ? c->first_line : g->lineno, why);
		if (parser_start(c, e) < 0)
			return -1;
		if (c->pending) {
			tw_buf_add(&c->raw, g->line, g->len);
			c->pending = false;
			stop = ing_reject_text(g, c->first_line, c->raw.p, c->raw.len, g->eol,
					       "malformed quoted field (%s)", why);
		} else {
			stop = ing_reject(g, "malformed quoted field (%s)", why);
		}
		c->nf = 0;
		return stop;
	}
	if (!c->row_done) {
		/* Inside a quoted field: the record goes on on the next line. */
		if (!c->pending)
			c->raw.len = 0;
		tw_buf_add(&c->raw, g->line, g->len);
		c->last_eol = *g->eol ? g->eol : "\n";
		tw_buf_adds(&c->raw, c->last_eol);
		c->pending = true;
		if (c->raw.len > TW_IN_MAX_LINE) {
			if (!c->header_seen)
				return tw_err_set(e, "%s:%lld: quoted field in the header longer than %zu bytes",
						  g->file, c->first_line, (size_t)TW_IN_MAX_LINE);
			if (parser_start(c, e) < 0)
				return -1;
			c->pending = false;
			return ing_reject_text(g, c->first_line, c->raw.p, c->raw.len - strlen(c->last_eol),
					       g->eol, "quoted field longer than %zu bytes",
					       (size_t)TW_IN_MAX_LINE);
		}
		return 0;
	}
	const char *text = g->line;
	size_t tlen = g->len;
	if (c->pending) {
		tw_buf_add(&c->raw, g->line, g->len);
		text = c->raw.p;
		tlen = c->raw.len;
		c->pending = false;
	}
	g->src_line = c->first_line;
	if (!c->header_seen) {
		c->header_seen = true;
		ing_skip(g);
		return header(g, c, e);
	}
	return record(g, c, text, tlen, c->first_line);
}

static int csv_end(struct tw_ingest *g)
{
	struct csv_state *c = g->fmt_state;
	if (!c->pending)
		return 0;
	c->pending = false;
	return ing_reject_text(g, c->first_line, c->raw.p, c->raw.len - strlen(c->last_eol),
			       c->last_eol, "unterminated quoted field");
}

const struct ing_format ing_csv = {
	"csv", csv_begin, csv_line, csv_end, csv_free_state,
};
