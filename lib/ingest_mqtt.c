/* ingest_mqtt.c - MQTT lines for ingest.c: "topic payload", as printed by
 * `mosquitto_sub -v`, optionally led by a time stamp (`mosquitto_sub -F
 * '%I %t %p'`).  A topic pattern names the levels that hold the asset and
 * the sensor: {asset} and {sensor} match one level each, + any one level,
 * # any number of levels (default "#/{asset}/{sensor}").  The payload is
 * a number, true/false, text (a machine state), or a JSON object: with a
 * "value" member it is one reading (its "ts" the time), without one each
 * member is a sensor. */
#include <stdlib.h>
#include <string.h>

#include "ingest_impl.h"
#include "jsonw.h"
#include "record.h"

#define MAX_LEVELS 64

enum part { P_LIT, P_PLUS, P_HASH, P_ASSET, P_SENSOR };

struct mq_state {
	struct tw_rec rec;
	enum part part[MAX_LEVELS];
	const char *lit[MAX_LEVELS];
	size_t litlen[MAX_LEVELS];
	int nparts;
	bool has_asset, has_sensor;
};

struct level { const char *p; size_t n; };

static int compile(struct mq_state *st, const char *pat, struct tw_err *e)
{
	const char *p = pat;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (st->nparts == MAX_LEVELS)
			return tw_err_set(e, "--topic: more than %d levels", MAX_LEVELS);
		int k = st->nparts++;
		st->lit[k] = p;
		st->litlen[k] = n;
		if (n == 1 && *p == '+')
			st->part[k] = P_PLUS;
		else if (n == 1 && *p == '#')
			st->part[k] = P_HASH;
		else if (n == 7 && memcmp(p, "{asset}", 7) == 0)
			st->part[k] = P_ASSET;
		else if (n == 8 && memcmp(p, "{sensor}", 8) == 0)
			st->part[k] = P_SENSOR;
		else if (memchr(p, '{', n) || memchr(p, '+', n) || memchr(p, '#', n))
			return tw_err_set(e, "--topic: '%.*s' is not a level: use {asset}, {sensor}, + or # alone",
					  (int)n, p);
		else
			st->part[k] = P_LIT;
		if (st->part[k] == P_ASSET) {
			if (st->has_asset)
				return tw_err_set(e, "--topic: {asset} given twice");
			st->has_asset = true;
		}
		if (st->part[k] == P_SENSOR) {
			if (st->has_sensor)
				return tw_err_set(e, "--topic: {sensor} given twice");
			st->has_sensor = true;
		}
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

/* Matches topic levels [i..nl) against pattern parts [k..]; backtracks
 * over '#'.  Fills *asset and *sensor. */
static bool match(const struct mq_state *st, int k, const struct level *lv, int i, int nl,
		  struct level *asset, struct level *sensor)
{
	for (; k < st->nparts; k++, i++) {
		if (st->part[k] == P_HASH) {
			for (int j = nl; j >= i; j--)
				if (match(st, k + 1, lv, j, nl, asset, sensor))
					return true;
			return false;
		}
		if (i == nl)
			return false;
		switch (st->part[k]) {
		case P_LIT:
			if (lv[i].n != st->litlen[k] || memcmp(lv[i].p, st->lit[k], lv[i].n) != 0)
				return false;
			break;
		case P_ASSET: *asset = lv[i]; break;
		case P_SENSOR: *sensor = lv[i]; break;
		default: break;
		}
	}
	return i == nl;
}

static int mq_begin(struct tw_ingest *g, struct tw_err *e)
{
	struct mq_state *st = calloc(1, sizeof *st);
	if (!st)
		return tw_err_set(e, "out of memory");
	g->fmt_state = st;
	tw_rec_init(&st->rec);
	return compile(st, g->o.topic ? g->o.topic : "#/{asset}/{sensor}", e);
}

static void mq_free(struct tw_ingest *g)
{
	struct mq_state *st = g->fmt_state;
	if (st) {
		tw_rec_release(&st->rec);
		free(st);
	}
	g->fmt_state = NULL;
}

static int mq_end(struct tw_ingest *g)
{
	(void)g;
	return 0;
}

static int mq_line(struct tw_ingest *g, struct tw_err *fatal)
{
	struct mq_state *st = g->fmt_state;
	struct tw_rec *r = &st->rec;
	char *p = g->line, *end = g->line + g->len;
	struct tw_err e;
	int64_t ts = 0;
	bool have_ts = false;
	(void)fatal;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end) {
		ing_skip(g);
		return 0;
	}
	char *sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp)
		return ing_reject(g, "no payload after the topic");
	/* A leading time stamp, when the first word is one and more follows. */
	char *sp2 = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
	if (sp2 && tw_time_parse(p, (size_t)(sp - p), &g->o.time_fmt, &ts, &e) == 0) {
		have_ts = true;
		p = sp + 1;
		sp = sp2;
	}
	const char *topic = p;
	size_t tlen = (size_t)(sp - p);
	char *payload = sp + 1;
	size_t plen = (size_t)(end - payload);
	while (plen && (payload[plen - 1] == ' ' || payload[plen - 1] == '\t'))
		plen--;
	if (plen == 0)
		return ing_reject(g, "empty payload");

	struct level lv[MAX_LEVELS], asset = { NULL, 0 }, sensor = { NULL, 0 };
	int nl = 0;
	for (const char *q = topic, *te = topic + tlen;; nl++) {
		if (nl == MAX_LEVELS)
			return ing_reject(g, "topic has more than %d levels", MAX_LEVELS);
		const char *slash = memchr(q, '/', (size_t)(te - q));
		lv[nl].p = q;
		lv[nl].n = slash ? (size_t)(slash - q) : (size_t)(te - q);
		if (!slash) {
			nl++;
			break;
		}
		q = slash + 1;
	}
	if (!match(st, 0, lv, 0, nl, &asset, &sensor)) {
		char q[80 + 4];
		return ing_reject(g, "topic '%s' does not match '%s'", tw_err_quote_max(q, topic, tlen, 80),
				  g->o.topic ? g->o.topic : "#/{asset}/{sensor}");
	}
	if (!g->o.asset && st->has_asset && asset.n == 0)
		return ing_reject(g, "empty asset level in the topic");
	if (g->o.asset || !st->has_asset) {
		asset.p = g->o.asset ? g->o.asset : g->stem;
		asset.n = strlen(asset.p);
	}
	if (!tw_utf8_valid(topic, tlen))
		return ing_reject(g, "invalid UTF-8 in the topic");

	bool json = payload[0] == '{';
	int value = -1, tst = -1;
	if (json) {
		if (tw_rec_parse(r, payload, plen, &e) < 0)
			return ing_reject(g, "payload: %s", e.msg);
		tst = g->o.ts_field ? tw_rec_path(r, g->o.ts_field) : r->ts;
		value = g->o.value_field ? tw_rec_path(r, g->o.value_field) : r->value;
		if (tst >= 0) {
			if (ing_json_time(g, r, tst, &ts, &e) < 0)
				return ing_reject(g, "payload: %s", e.msg);
			have_ts = true;
		}
	}
	if (!have_ts) {
		if (!g->o.stamp)
			return ing_reject(g, "no time stamp (give --stamp to stamp lines as they arrive)");
		ts = ing_now();
	}
	if (!json && !st->has_sensor)
		return ing_reject(g, "the topic pattern has no {sensor} for a plain payload");
	if (ing_record(g, ts, asset.p, asset.n)) {
		ing_skip(g);
		return 0;
	}
	int rc = 0;
	if (!json) {
		struct ing_value v;
		if (ing_text_value(g, payload, plen, &v, &e) < 0)
			return ing_reject(g, "%s", e.msg);
		ing_emit(g, ing_sensor(g, sensor.p, sensor.n), &v);
	} else if (value >= 0) {
		if (!st->has_sensor)
			return ing_reject(g, "the topic pattern has no {sensor} for a \"value\" payload");
		rc = ing_json_value(g, r, value, ing_sensor(g, sensor.p, sensor.n),
				    tw_rec_get(r, 0, "unit"), &e);
	} else {
		rc = ing_json_object(g, r, 0, sensor.p, sensor.n, tst, &e);
	}
	if (rc < 0)
		return ing_reject(g, "payload: %s", e.msg);
	ing_commit(g);
	return 0;
}

const struct ing_format ing_mqtt = {
	"mqtt", mq_begin, mq_line, mq_end, mq_free,
};
