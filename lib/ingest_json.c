/* ingest_json.c - NDJSON input for ingest.c, and the JSON payloads that
 * MQTT lines share with it.  Records are read in place (record.h). */
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"
#include "jsonw.h"
#include "record.h"

struct nd_state {
	struct tw_rec rec;
};

/* The text of string token tok: in place when it has no escapes, else
 * unescaped into b (from offset 0). */
static const char *str_of(const struct tw_rec *r, int tok, struct tw_buf *b, size_t *len)
{
	const char *raw = tw_rec_raw(r, tok, len);
	if (tw_rec_plain(r, tok))
		return raw;
	b->len = 0;
	tw_buf_grow(b, *len + 1);
	*len = tw_rec_str(r, tok, b->p);
	return b->p;
}

int ing_json_time(struct tw_ingest *g, const struct tw_rec *r, int tok,
		  int64_t *ts, struct tw_err *e)
{
	size_t n;
	const char *s;

	switch (tw_rec_type(r, tok)) {
	case TW_J_STRING:
		s = str_of(r, tok, &g->scratch, &n);
		break;
	case TW_J_NUMBER:
		s = tw_rec_raw(r, tok, &n);
		break;
	default:
		return tw_err_set(e, "the time stamp must be a string or a number");
	}
	struct tw_err why;
	if (ing_time(g, s, n, NULL, ts, &why) < 0)
		return tw_err_set(e, "%s", why.msg);
	return 0;
}

int ing_json_value(struct tw_ingest *g, const struct tw_rec *r, int tok,
		   const struct ing_sensor *s, int unit, struct tw_err *e)
{
	struct ing_value v = { .type = V_JSON };
	enum tw_json_type t = tw_rec_type(r, tok);

	if (t == TW_J_OBJECT || t == TW_J_ARRAY)
		return tw_err_set(e, "a value must be a number, a string, a boolean or null");
	if (g->o.numeric && t != TW_J_NUMBER && t != TW_J_NULL) {
		size_t n;
		char q[TW_QUOTE_BUF];
		const char *raw = tw_rec_raw(r, tok, &n);
		return tw_err_set(e, "not a number: %s%s%s", t == TW_J_STRING ? "'" : "",
				  tw_err_quote(q, raw, n), t == TW_J_STRING ? "'" : "");
	}
	v.text = tw_rec_raw(r, tok, &v.len);
	if (t == TW_J_STRING) {       /* with its quotes: already valid JSON */
		v.text--;
		v.len += 2;
	}
	if (unit >= 0 && tw_rec_type(r, unit) == TW_J_STRING)
		v.unit = tw_rec_raw(r, unit, &v.unit_len);
	ing_emit(g, s, &v);
	return 0;
}

int ing_json_object(struct tw_ingest *g, const struct tw_rec *r, int obj,
		    const char *prefix, size_t plen, int skip, struct tw_err *e)
{
	struct tw_buf name = TW_BUF_INIT;
	int rc = 0;

	for (int k = obj + 1, i = 0; i < r->tok[obj].size; i++, k = tw_rec_skip(r, k + 1)) {
		int val = k + 1;
		if (val == skip)
			continue;
		size_t klen;
		name.len = 0;
		if (plen) {
			tw_buf_add(&name, prefix, plen);
			tw_buf_addc(&name, '.');
		}
		tw_buf_grow(&name, r->tok[k].end - r->tok[k].start + 1);
		klen = tw_rec_str(r, k, name.p + name.len);
		name.len += klen;
		if (klen == 0) {
			rc = tw_err_set(e, "an empty member name%s%.*s", plen ? " in " : "",
					(int)(plen > 60 ? 60 : plen), plen ? prefix : "");
			break;
		}
		if (tw_rec_type(r, val) == TW_J_OBJECT)
			rc = ing_json_object(g, r, val, name.p, name.len, -1, e);
		else if (tw_rec_type(r, val) == TW_J_ARRAY)
			rc = tw_err_set(e, "\"%.*s\" is an array", (int)(name.len > 60 ? 60 : name.len), name.p);
		else
			rc = ing_json_value(g, r, val, ing_sensor(g, name.p, name.len), -1, e);
		if (rc < 0)
			break;
	}
	tw_buf_release(&name);
	return rc;
}

static int nd_begin(struct tw_ingest *g, struct tw_err *e)
{
	struct nd_state *st = calloc(1, sizeof *st);
	if (!st)
		return tw_err_set(e, "out of memory");
	tw_rec_init(&st->rec);
	g->fmt_state = st;
	return 0;
}

static void nd_free(struct tw_ingest *g)
{
	struct nd_state *st = g->fmt_state;
	if (st) {
		tw_rec_release(&st->rec);
		free(st);
	}
	g->fmt_state = NULL;
}

static int field_or(const struct tw_rec *r, const char *path, int dflt)
{
	return path ? tw_rec_path(r, path) : dflt;
}

static int nd_line(struct tw_ingest *g, struct tw_err *fatal)
{
	struct nd_state *st = g->fmt_state;
	struct tw_rec *r = &st->rec;
	struct tw_err e;
	int64_t ts;

	if (g->lineno == 1 && g->len >= 3 && memcmp(g->line, "\xEF\xBB\xBF", 3) == 0)
		g->line += 3, g->len -= 3;    /* a UTF-8 byte order mark: not part of the line */
	if (g->len == strspn(g->line, " \t")) {
		ing_skip(g);
		return 0;
	}
	if (tw_rec_parse(r, g->line, g->len, &e) < 0)
		return ing_reject(g, "%s", e.msg);
	if (r->kind >= 0 && !tw_rec_streq(r, r->kind, "state") && !tw_rec_streq(r, r->kind, "reading")) {
		/* Residuals, scores, commands ...: not readings, but in the
		 * window of event time like them. */
		int64_t pts;
		if (r->ts >= 0 && ing_json_time(g, r, r->ts, &pts, &e) == 0 &&
		    ((g->o.has_since && pts < g->o.since) || (g->o.has_until && pts >= g->o.until)))
			ing_skip(g);
		else
			ing_pass(g);
		return 0;
	}

	int tst = field_or(r, g->o.ts_field, r->ts);
	if (tst < 0)
		return ing_reject(g, "missing \"%s\"", g->o.ts_field ? g->o.ts_field : "ts");
	if (ing_json_time(g, r, tst, &ts, &e) < 0)
		return ing_reject(g, "%s", e.msg);

	const char *asset;
	size_t alen;
	struct tw_buf abuf = TW_BUF_INIT;
	int at = g->o.asset ? -1 : g->o.asset_field ? tw_rec_path(r, g->o.asset_field) : r->asset;
	if (!g->o.asset && g->o.asset_field && at < 0)
		return ing_reject(g, "missing \"%s\"", g->o.asset_field);
	if (at >= 0) {
		if (tw_rec_type(r, at) != TW_J_STRING)
			return ing_reject(g, "the asset must be a string");
		asset = str_of(r, at, &abuf, &alen);
		if (alen == 0) {
			tw_buf_release(&abuf);
			return ing_reject(g, "empty asset");
		}
	} else {
		asset = g->o.asset ? g->o.asset : g->stem;
		alen = strlen(asset);
	}
	int skip = ing_record(g, ts, asset, alen);
	tw_buf_release(&abuf);
	if (skip) {
		ing_skip(g);
		return 0;
	}

	int vt = field_or(r, g->o.value_field, r->value);
	int rc;
	if (vt < 0 && !g->o.value_field)
		vt = tw_rec_get(r, 0, "values");
	if (vt < 0)
		return ing_reject(g, "missing \"%s\"", g->o.value_field ? g->o.value_field : "value");
	if (tw_rec_type(r, vt) == TW_J_OBJECT) {
		rc = ing_json_object(g, r, vt, NULL, 0, -1, &e);
	} else {
		int sn = field_or(r, g->o.sensor_field, r->sensor);
		if (sn < 0)
			return ing_reject(g, "missing \"%s\"", g->o.sensor_field ? g->o.sensor_field : "sensor");
		if (tw_rec_type(r, sn) != TW_J_STRING)
			return ing_reject(g, "the sensor must be a string");
		size_t slen;
		const char *sensor = str_of(r, sn, &g->scratch, &slen);
		if (slen == 0)
			return ing_reject(g, "empty sensor name");
		/* The record's own unit travels with its value. */
		rc = ing_json_value(g, r, vt, ing_sensor(g, sensor, slen),
				    tw_rec_get(r, 0, "unit"), &e);
	}
	if (rc < 0)
		return ing_reject(g, "%s", e.msg);
	ing_commit(g);
	(void)fatal;
	return 0;
}

static int nd_end(struct tw_ingest *g)
{
	(void)g;
	return 0;
}

const struct ing_format ing_ndjson = {
	"ndjson", nd_begin, nd_line, nd_end, nd_free,
};
