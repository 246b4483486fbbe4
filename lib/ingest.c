/* ingest.c - see ingest.h: the parts every input format shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "in.h"
#include "ingest_impl.h"
#include "jsonw.h"
#include "num.h"

#define PROGRESS_EVERY_NS (TW_NS_PER_SEC / 4)

void tw_ingest_opts_init(struct tw_ingest_opts *o)
{
	memset(o, 0, sizeof *o);
	o->time_fmt.kind = TW_TIME_AUTO;
}

int tw_ingest_format_parse(const char *name, enum tw_ingest_format *f, struct tw_err *e)
{
	static const struct { const char *name; enum tw_ingest_format f; } names[] = {
		{ "csv", TW_FMT_CSV }, { "tsv", TW_FMT_CSV },
		{ "ndjson", TW_FMT_NDJSON }, { "jsonl", TW_FMT_NDJSON }, { "json", TW_FMT_NDJSON },
		{ "influx", TW_FMT_INFLUX }, { "lp", TW_FMT_INFLUX },
		{ "mqtt", TW_FMT_MQTT },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(name, names[i].name) == 0) {
			*f = names[i].f;
			return 0;
		}
	}
	return tw_err_set(e, "unknown format '%s' (csv, ndjson, influx or mqtt)", name);
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;
	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * TW_NS_PER_SEC + t.tv_nsec;
}

int64_t ing_now(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/* Parses "a=b,c=d" into map (a -> "b"); with no '=' allowed, "a,b" (a -> ""). */
static int parse_pairs(struct tw_strmap *map, const char *list, bool pairs,
		       const char *opt, struct tw_err *e)
{
	const char *p = list;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		if (pairs && (!eq || eq == p || eq == p + n - 1))
			return tw_err_set(e, "%s: '%.*s' is not NAME=VALUE", opt, (int)n, p);
		if (n == 0)
			return tw_err_set(e, "%s: empty name in '%s'", opt, list);
		size_t klen = pairs ? (size_t)(eq - p) : n;
		size_t vlen = pairs ? n - klen - 1 : 0;
		char *val = calloc(1, vlen + 1);
		if (!val)
			return tw_err_set(e, "out of memory");
		if (pairs)
			memcpy(val, eq + 1, vlen);
		free(tw_strmap_get(map, p, klen));
		tw_strmap_put(map, p, klen, val);
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static const struct ing_format *format_of(enum tw_ingest_format f)
{
	switch (f) {
	case TW_FMT_CSV: return &ing_csv;
	case TW_FMT_NDJSON: return &ing_ndjson;
	case TW_FMT_INFLUX: return &ing_influx;
	case TW_FMT_MQTT: return &ing_mqtt;
	default: return NULL;
	}
}

/* The format a file's name implies, a ".gz" looked through. */
static const struct ing_format *format_from_name(const char *path)
{
	static const struct { const char *ext; enum tw_ingest_format f; } exts[] = {
		{ ".csv", TW_FMT_CSV }, { ".tsv", TW_FMT_CSV }, { ".txt", TW_FMT_CSV },
		{ ".ndjson", TW_FMT_NDJSON }, { ".jsonl", TW_FMT_NDJSON }, { ".json", TW_FMT_NDJSON },
		{ ".lp", TW_FMT_INFLUX }, { ".influx", TW_FMT_INFLUX }, { ".line", TW_FMT_INFLUX },
		{ ".mqtt", TW_FMT_MQTT },
	};
	size_t n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".gz") == 0)
		n -= 3;
	for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
		size_t k = strlen(exts[i].ext);
		if (n > k && strncasecmp(path + n - k, exts[i].ext, k) == 0)
			return format_of(exts[i].f);
	}
	return NULL;
}

/* "dir/pump-1.csv.gz" -> "pump-1": the asset a file name implies. */
static char *stem_of(const char *path)
{
	if (strcmp(path, "-") == 0)
		return strdup("stdin");
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
		n -= 3;
	const char *dot = memrchr(base, '.', n);
	if (dot && dot > base)
		n = (size_t)(dot - base);
	return strndup(base, n);
}

struct tw_ingest *tw_ingest_new(const struct tw_ingest_opts *o, struct tw_out *out,
				struct tw_diag *d, struct tw_err *e)
{
	struct tw_ingest *g = calloc(1, sizeof *g);
	if (!g) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	g->o = *o;
	g->out = out;
	g->diag = d;
	if (parse_pairs(&g->rename, o->rename, true, "--rename", e) < 0 ||
	    parse_pairs(&g->units, o->units, true, "--unit", e) < 0 ||
	    parse_pairs(&g->columns, o->columns, false, "--columns", e) < 0) {
		tw_ingest_free(g);
		return NULL;
	}
	return g;
}

static void sensor_free(void *p)
{
	struct ing_sensor *s = p;
	tw_buf_release(&s->frag);
	tw_buf_release(&s->unit);
	free(s);
}

void tw_ingest_free(struct tw_ingest *g)
{
	if (!g)
		return;
	tw_strmap_release(&g->sensors, sensor_free);
	tw_strmap_release(&g->rename, free);
	tw_strmap_release(&g->units, free);
	tw_strmap_release(&g->columns, free);
	tw_buf_release(&g->src);
	tw_buf_release(&g->scratch);
	tw_buf_release(&g->head);
	free(g);
}

void tw_ingest_stats(const struct tw_ingest *g, struct tw_ingest_stats *s)
{
	*s = g->st;
}

struct ing_sensor *ing_sensor(struct tw_ingest *g, const char *name, size_t len)
{
	struct ing_sensor *s = tw_strmap_get(&g->sensors, name, len);
	if (s)
		return s;
	s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->keep = !g->columns.used || tw_strmap_get(&g->columns, name, len);
	const char *out = tw_strmap_get(&g->rename, name, len);
	tw_buf_adds(&s->frag, ",\"sensor\":");
	if (out)
		tw_jw_str(&s->frag, out, strlen(out));
	else
		tw_jw_str(&s->frag, name, len);
	tw_buf_adds(&s->frag, ",\"value\":");
	const char *unit = tw_strmap_get(&g->units, name, len);
	if (!unit && out)
		unit = tw_strmap_get(&g->units, out, strlen(out));
	if (unit) {
		tw_buf_adds(&s->unit, ",\"unit\":");
		tw_jw_str(&s->unit, unit, strlen(unit));
	}
	tw_strmap_put(&g->sensors, name, len, s);
	return s;
}

/* Clears the progress line before anything else goes to stderr. */
static void progress_clear(void *arg)
{
	struct tw_ingest *g = arg;
	if (g->progress_shown) {
		fputs("\r\033[K", stderr);
		g->progress_shown = false;
	}
}

static void progress_show(struct tw_ingest *g, int64_t now)
{
	off_t done = tw_in_done(g->in), size = tw_in_size(g->in);
	double secs = (double)(now - g->progress_t0) / 1e9;
	double rate = secs > 0 ? (double)done / secs : 0;

	fprintf(stderr, "\r%s: %.1f / %.1f MB (%.0f%%), %.1f MB/s",
		g->file, done / 1e6, size / 1e6, size ? 100.0 * done / size : 100.0, rate / 1e6);
	if (rate > 0)
		fprintf(stderr, ", %.0f s left", (double)(size - done) / rate);
	fputs("\033[K", stderr);
	g->progress_shown = true;
	g->next_progress = now + PROGRESS_EVERY_NS;
}

/* --replay: waits until the wall clock has caught up with event time. */
static void pace(struct tw_ingest *g, int64_t ts)
{
	int64_t now = clock_ns(CLOCK_MONOTONIC);
	if (!g->paced) {
		g->paced = true;
		g->first_ts = ts;
		g->wall0 = now;
		return;
	}
	if (ts <= g->first_ts)
		return;
	int64_t due = g->wall0 + (int64_t)((double)(ts - g->first_ts) / g->o.replay);
	if (due <= now)
		return;
	tw_out_flush(g->out);          /* flush before we block */
	struct timespec t = { (time_t)(due / TW_NS_PER_SEC), (long)(due % TW_NS_PER_SEC) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

int ing_record(struct tw_ingest *g, int64_t ts, const char *asset, size_t alen)
{
	char stamp[TW_TIME_MAX];

	if ((g->o.has_since && ts < g->o.since) || (g->o.has_until && ts >= g->o.until))
		return 1;
	if (g->o.replay > 0)
		pace(g, ts);
	g->head.len = 0;
	tw_buf_adds(&g->head, "{\"ts\":\"");
	tw_buf_add(&g->head, stamp, tw_time_format(ts, stamp));
	tw_buf_adds(&g->head, "\",\"asset\":");
	tw_jw_str(&g->head, asset, alen);
	g->mark = g->out->b.len;
	g->line_readings = 0;
	return 0;
}

void ing_emit(struct tw_ingest *g, const struct ing_sensor *s, const struct ing_value *v)
{
	struct tw_buf *b = &g->out->b;   /* appended in place; flushed at commit */
	char num[TW_NUM_MAX];

	if (!s->keep)
		return;
	tw_buf_add(b, g->head.p, g->head.len);
	tw_buf_add(b, s->frag.p, s->frag.len);
	switch (v->type) {
	case V_JSON: tw_buf_add(b, v->text, v->len); break;
	case V_NUM: tw_buf_add(b, num, tw_num_format(v->num, num)); break;
	case V_STR: tw_jw_str(b, v->text, v->len); break;
	case V_TRUE: tw_buf_add(b, "true", 4); break;
	case V_FALSE: tw_buf_add(b, "false", 5); break;
	case V_NULL: tw_buf_add(b, "null", 4); break;
	}
	if (s->unit.len) {
		tw_buf_add(b, s->unit.p, s->unit.len);
	} else if (v->unit) {
		tw_buf_add(b, ",\"unit\":\"", 9);
		tw_buf_add(b, v->unit, v->unit_len);
		tw_buf_addc(b, '"');
	}
	if (g->o.lineage) {
		int n = snprintf(num, sizeof num, "%lld\"", g->src_line);
		tw_buf_add(b, g->src.p, g->src.len);
		tw_buf_add(b, num, (size_t)n);
	}
	tw_buf_add(b, "}\n", 2);
	g->line_readings++;
}

void ing_commit(struct tw_ingest *g)
{
	g->st.accepted += g->lineno - g->src_line + 1;
	g->st.readings += g->line_readings;
	g->line_readings = 0;
	if (g->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(g->out);
}

void ing_skip(struct tw_ingest *g)
{
	g->st.skipped += g->lineno - g->src_line + 1;   /* every line of the record */
}

void ing_pass(struct tw_ingest *g)
{
	tw_buf_add(&g->out->b, g->line, g->len);
	tw_buf_addc(&g->out->b, '\n');
	g->st.accepted++;
	if (g->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(g->out);
}

static int vreject(struct tw_ingest *g, long long lineno, const char *text, size_t len,
		   const char *eol, const char *fmt, va_list ap)
{
	char why[1024];

	g->out->b.len = g->mark;   /* nothing of a rejected line is written */
	g->line_readings = 0;
	vsnprintf(why, sizeof why, fmt, ap);
	g->st.rejected += g->lineno - lineno + 1;
	return tw_diag_reject(g->diag, g->file, lineno, text, len, eol, "%s", why);
}

int ing_reject(struct tw_ingest *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int stop = vreject(g, g->lineno, g->line, g->len, g->eol, fmt, ap);
	va_end(ap);
	return stop;
}

int ing_reject_text(struct tw_ingest *g, long long lineno, const char *text, size_t len,
		    const char *eol, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int stop = vreject(g, lineno, text, len, eol, fmt, ap);
	va_end(ap);
	return stop;
}

int ing_time(const struct tw_ingest *g, const char *s, size_t n,
	     const struct tw_time_fmt *fallback, int64_t *ts, struct tw_err *e)
{
	const struct tw_time_fmt *f = g->o.time_fmt_given || !fallback ? &g->o.time_fmt : fallback;
	return tw_time_parse(s, n, f, ts, e);
}

static bool is_null_word(const char *s, size_t n)
{
	static const char *const words[] = { "null", "NULL", "Null", "NaN", "nan", "NA", "N/A", "n/a" };
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	return false;
}

int ing_text_value(const struct tw_ingest *g, const char *s, size_t n,
		   struct ing_value *v, struct tw_err *e)
{
	v->unit = NULL;
	v->text = s;
	v->len = n;
	if (tw_num_is_json(s, n)) {
		v->type = V_JSON;      /* copied as written: keeps the sensor's precision */
		return 0;
	}
	if (n > 0 && (s[0] == '-' || s[0] == '+' || s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
		if (tw_num_parse(s, n, &v->num, e) < 0)
			return -1;      /* not a number, or out of range */
		v->type = V_NUM;
		return 0;
	}
	if (is_null_word(s, n)) {
		v->type = V_NULL;
		return 0;
	}
	if (g->o.numeric) {
		char q[TW_QUOTE_BUF];
		return tw_err_set(e, "not a number: '%s'", tw_err_quote(q, s, n));
	}
	if (n == 4 && memcmp(s, "true", 4) == 0) {
		v->type = V_TRUE;
		return 0;
	}
	if (n == 5 && memcmp(s, "false", 5) == 0) {
		v->type = V_FALSE;
		return 0;
	}
	if (!tw_utf8_valid(s, n)) {
		char q[TW_QUOTE_BUF];
		return tw_err_set(e, "invalid UTF-8 in '%s'", tw_err_quote(q, s, n));
	}
	v->type = V_STR;
	return 0;
}

static int ingest_file(struct tw_ingest *g, const char *path, bool follow, struct tw_err *e)
{
	const struct ing_format *fmt = format_of(g->o.format);
	int stop = 0;

	if (!fmt)
		fmt = format_from_name(path);
	if (!fmt)
		return tw_err_set(e, "%s: cannot tell the format from the name: give -f csv, ndjson, influx or mqtt",
				  strcmp(path, "-") == 0 ? "standard input" : path);
	struct tw_in *in = tw_in_open(path, e);
	if (!in)
		return -1;
	tw_in_on_idle(in, tw_out_flush_hook, g->out);
	tw_in_follow(in, follow);
	g->in = in;
	g->fmt = fmt;
	g->file = tw_in_name(in);
	g->stem = stem_of(path);
	g->src.len = 0;
	tw_buf_adds(&g->src, ",\"src\":");
	tw_jw_str(&g->src, g->file, strlen(g->file));
	g->src.len--;                       /* reopen the string for ":LINE" */
	tw_buf_addc(&g->src, ':');

	bool progress = g->o.progress && tw_in_size(in) > 0;
	bool slow = g->o.replay > 0 || follow;
	if (progress) {
		g->diag->before_print = progress_clear;
		g->diag->before_print_arg = g;
		g->progress_t0 = clock_ns(CLOCK_MONOTONIC);
		g->next_progress = g->progress_t0 + PROGRESS_EVERY_NS;
	}

	int rc = fmt->begin(g, e);
	for (;;) {
		if (rc < 0)
			break;
		enum tw_in_status s = tw_in_getline(in, &g->line, &g->len, e);
		if (s == TW_IN_EOF || s == TW_IN_STOPPED)
			break;
		if (s == TW_IN_ERROR) {
			rc = -1;
			break;
		}
		if (tw_in_restarted(in)) {
			/* --follow: the file was truncated or replaced; its
			 * successor starts afresh (a CSV header first). */
			g->mark = g->out->b.len;
			stop = fmt->end(g);
			fmt->free(g);
			if (fmt->begin(g, e) < 0) {
				rc = -1;
				break;
			}
			if (stop)
				break;
		}
		g->lineno = g->src_line = tw_in_lineno(in);
		g->eol = tw_in_eol(in);
		g->st.lines++;
		g->mark = g->out->b.len;
		if (s == TW_IN_TOOLONG)
			stop = ing_reject(g, "line longer than %zu bytes", (size_t)TW_IN_MAX_LINE);
		else
			stop = fmt->line(g, e);
		if (stop < 0)
			rc = -1;
		if (stop)
			break;
		/* The clock is cheap but not free: a fast read looks at it
		 * every 1024 lines, a paced or followed one at every line. */
		if (progress && (slow || (g->st.lines & 1023) == 0)) {
			int64_t now = clock_ns(CLOCK_MONOTONIC);
			if (now >= g->next_progress)
				progress_show(g, now);
		}
	}
	if (rc == 0 && !stop)
		stop = fmt->end(g);
	if (rc < 0) {
		stop = 0;
		/* The line that failed, and those of a record left unfinished,
		 * were neither accepted, rejected nor skipped: not counted. */
		g->st.lines = g->st.accepted + g->st.rejected + g->st.skipped;
	}
	fmt->free(g);
	if (progress) {
		progress_clear(g);
		g->diag->before_print = NULL;
	}
	tw_in_close(in);
	g->in = NULL;
	free(g->stem);
	g->stem = NULL;
	if (rc < 0)
		return -1;
	return stop ? 1 : 0;
}

int tw_ingest_run(struct tw_ingest *g, char *const *files, struct tw_err *e)
{
	for (; *files; files++) {
		/* Only the last file can grow: the others are read to their end. */
		int rc = ingest_file(g, *files, g->o.follow && !files[1], e);
		if (rc != 0)
			return rc;
	}
	return 0;
}
