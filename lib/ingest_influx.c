/* ingest_influx.c - InfluxDB line protocol input for ingest.c.
 *
 *   measurement[,tag=v...] field=v[,field=v...] [timestamp]
 *
 * as Telegraf writes it: tags name the asset (--asset-field TAG, else a
 * tag "asset", else the measurement), every field is a sensor.  Values:
 * floats, integers 12i, unsigned 12u, booleans t/true/f/false, and
 * "strings".  The time stamp is integer nanoseconds unless --time-format
 * says otherwise; a line without one needs --stamp. */
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"
#include "jsonw.h"
#include "num.h"

struct lp_field {
	size_t key, klen;          /* offsets into the state's text buffer */
	struct ing_value v;
	size_t val, vlen;          /* V_STR text in the buffer */
};

struct lp_state {
	struct tw_buf text;        /* unescaped names and strings */
	struct lp_field *f;
	int nf, cap;
};

static const struct tw_time_fmt epoch_ns = { TW_TIME_EPOCH_NS, NULL };

/* Reads up to an unescaped stop character, unescaping "\x" into text. */
static const char *token(const char *p, const char *end, const char *stops,
			 struct tw_buf *text, size_t *off, size_t *len)
{
	*off = text->len;
	while (p < end && !strchr(stops, *p)) {
		if (*p == '\\' && p + 1 < end)
			p++;
		tw_buf_addc(text, *p++);
	}
	*len = text->len - *off;
	return p;
}

static bool word_in(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == n && memcmp(*words, s, n) == 0)
			return true;
	return false;
}

/* A field value from p: sets f->v; returns the end, or NULL with e. */
static const char *field_value(struct tw_ingest *g, struct lp_state *st, struct lp_field *f,
			       const char *p, const char *end, struct tw_err *e)
{
	static const char *const yes[] = { "t", "T", "true", "True", "TRUE", NULL };
	static const char *const no[] = { "f", "F", "false", "False", "FALSE", NULL };

	f->v = (struct ing_value){ .type = V_JSON };
	if (*p == '"') {
		f->val = st->text.len;
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
				p++;
			tw_buf_addc(&st->text, *p);
		}
		if (p == end) {
			tw_err_set(e, "unterminated string field");
			return NULL;
		}
		f->vlen = st->text.len - f->val;
		f->v.type = V_STR;
		if (g->o.numeric) {
			tw_err_set(e, "not a number: a string field");
			return NULL;
		}
		return p + 1;
	}
	const char *start = p;
	while (p < end && *p != ',' && *p != ' ')
		p++;
	size_t n = (size_t)(p - start);
	if (n == 0) {
		tw_err_set(e, "empty field value");
		return NULL;
	}
	if (word_in(start, n, yes) || word_in(start, n, no)) {
		if (g->o.numeric) {
			char q[TW_QUOTE_BUF];
			tw_err_set(e, "not a number: '%s'", tw_err_quote(q, start, n));
			return NULL;
		}
		f->v.type = word_in(start, n, yes) ? V_TRUE : V_FALSE;
		return p;
	}
	size_t digits = n;
	if (start[n - 1] == 'i' || start[n - 1] == 'u') {
		digits = n - 1;
		for (size_t i = 0; i < digits; i++) {
			if (!(start[i] >= '0' && start[i] <= '9') &&
			    !(i == 0 && start[i] == '-' && start[n - 1] == 'i')) {
				char q[TW_QUOTE_BUF];
				tw_err_set(e, "not an integer: '%s'", tw_err_quote(q, start, n));
				return NULL;
			}
		}
	}
	if (tw_num_is_json(start, digits)) {
		f->v.text = start;
		f->v.len = digits;
	} else if (digits != n) {
		char q[TW_QUOTE_BUF];
		tw_err_set(e, "not a number: '%s'", tw_err_quote(q, start, n));
		return NULL;
	} else if (tw_num_parse(start, n, &f->v.num, e) == 0) {
		f->v.type = V_NUM;
	} else {
		return NULL;    /* not a number, or out of range: e says which */
	}
	return p;
}

static int lp_line(struct tw_ingest *g, struct tw_err *fatal)
{
	struct lp_state *st = g->fmt_state;
	const char *p = g->line, *end = g->line + g->len;
	size_t moff, mlen, aoff = 0, alen = 0;
	bool asset_tag = false;
	struct tw_err e;
	(void)fatal;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#') {
		ing_skip(g);
		return 0;
	}
	st->text.len = 0;
	st->nf = 0;
	p = token(p, end, ", ", &st->text, &moff, &mlen);
	if (mlen == 0)
		return ing_reject(g, "missing measurement");
	const char *want = g->o.asset_field ? g->o.asset_field : "asset";
	while (p < end && *p == ',') {
		size_t koff, klen, voff, vlen;
		p = token(p + 1, end, "=, ", &st->text, &koff, &klen);
		if (p == end || *p != '=' || klen == 0)
			return ing_reject(g, "malformed tag at column %zu", (size_t)(p - g->line) + 1);
		p = token(p + 1, end, ", ", &st->text, &voff, &vlen);
		if (vlen == 0)
			return ing_reject(g, "empty tag value at column %zu", (size_t)(p - g->line) + 1);
		if (klen == strlen(want) && memcmp(st->text.p + koff, want, klen) == 0) {
			aoff = voff, alen = vlen;
			asset_tag = true;
		}
	}
	if (p == end || *p != ' ')
		return ing_reject(g, "missing fields");
	do {
		p++;
		if (st->nf == st->cap) {
			st->cap = st->cap ? st->cap * 2 : 8;
			st->f = realloc(st->f, (size_t)st->cap * sizeof *st->f);
			if (!st->f)
				abort();
		}
		struct lp_field *f = &st->f[st->nf++];
		p = token(p, end, "=, ", &st->text, &f->key, &f->klen);
		if (p == end || *p != '=' || f->klen == 0)
			return ing_reject(g, "malformed field at column %zu", (size_t)(p - g->line) + 1);
		p = field_value(g, st, f, p + 1, end, &e);
		if (!p)
			return ing_reject(g, "%s", e.msg);
	} while (p < end && *p == ',');

	int64_t ts;
	while (p < end && *p == ' ')
		p++;
	if (p < end) {
		const char *t = p;
		while (p < end && *p != ' ')
			p++;
		if (ing_time(g, t, (size_t)(p - t), &epoch_ns, &ts, &e) < 0)
			return ing_reject(g, "%s", e.msg);
		while (p < end && *p == ' ')
			p++;
		if (p < end)
			return ing_reject(g, "unexpected text after the time stamp at column %zu",
					  (size_t)(p - g->line) + 1);
	} else if (g->o.stamp) {
		ts = ing_now();
	} else {
		return ing_reject(g, "no time stamp (give --stamp to stamp lines as they arrive)");
	}

	const char *asset;
	if (g->o.asset) {
		asset = g->o.asset, alen = strlen(asset);
	} else if (asset_tag) {
		asset = st->text.p + aoff;
	} else if (g->o.asset_field) {
		return ing_reject(g, "no tag '%s'", g->o.asset_field);
	} else {
		asset = st->text.p + moff, alen = mlen;
	}
	if (!tw_utf8_valid(st->text.p, st->text.len))
		return ing_reject(g, "invalid UTF-8");
	if (ing_record(g, ts, asset, alen)) {
		ing_skip(g);
		return 0;
	}
	for (int i = 0; i < st->nf; i++) {
		struct lp_field *f = &st->f[i];
		if (f->v.type == V_STR)
			f->v.text = st->text.p + f->val, f->v.len = f->vlen;
		ing_emit(g, ing_sensor(g, st->text.p + f->key, f->klen), &f->v);
	}
	ing_commit(g);
	return 0;
}

static int lp_begin(struct tw_ingest *g, struct tw_err *e)
{
	g->fmt_state = calloc(1, sizeof(struct lp_state));
	return g->fmt_state ? 0 : tw_err_set(e, "out of memory");
}

static int lp_end(struct tw_ingest *g)
{
	(void)g;
	return 0;
}

static void lp_free(struct tw_ingest *g)
{
	struct lp_state *st = g->fmt_state;
	if (st) {
		tw_buf_release(&st->text);
		free(st->f);
		free(st);
	}
	g->fmt_state = NULL;
}

const struct ing_format ing_influx = {
	"influx", lp_begin, lp_line, lp_end, lp_free,
};
