/* predict.c - see predict.h */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"
#include "num.h"
#include "predict.h"
#include "record.h"
#include "strmap.h"
#include "timestamp.h"

struct tw_predict {
	struct tw_predict_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	struct tw_predict_stats st;
	struct tw_strmap series;       /* "asset\0sensor" -> struct tw_detector */
	struct tw_strmap only;         /* --sensors */
	struct tw_rec rec;
	struct tw_buf key, name, line, residual;   /* scratch, reused per record */
};

void tw_predict_opts_init(struct tw_predict_opts *o)
{
	memset(o, 0, sizeof *o);
	tw_detect_opts_init(&o->detect);
	o->threshold = NAN;
}

struct tw_predict *tw_predict_new(const struct tw_predict_opts *o, struct tw_out *out,
				  struct tw_diag *d, struct tw_err *e)
{
	/* A detector made now checks the method and its options once. */
	struct tw_detector *probe = tw_detector_new(o->method, &o->detect, e);
	if (!probe)
		return NULL;
	bool likelihood = strcmp(tw_detector_method(probe), "likelihood") == 0;
	tw_detector_free(probe);
	struct tw_predict *p = calloc(1, sizeof *p);
	if (!p) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	p->o = *o;
	if (isnan(p->o.threshold))
		p->o.threshold = likelihood ? TW_PREDICT_THRESHOLD_LIKELIHOOD : TW_PREDICT_THRESHOLD;
	p->out = out;
	p->diag = d;
	tw_rec_init(&p->rec);
	for (const char *s = o->sensors; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n)
			tw_strmap_put(&p->only, s, n, (void *)1);
		s += n + (s[n] == ',');
	}
	return p;
}

static void detector_free(void *d)
{
	tw_detector_free(d);
}

void tw_predict_free(struct tw_predict *p)
{
	if (!p)
		return;
	tw_strmap_release(&p->series, detector_free);
	tw_strmap_release(&p->only, NULL);
	tw_rec_release(&p->rec);
	tw_buf_release(&p->key), tw_buf_release(&p->name), tw_buf_release(&p->line);
	tw_buf_release(&p->residual);
	free(p);
}

void tw_predict_stats(const struct tw_predict *p, struct tw_predict_stats *st)
{
	*st = p->st;
}

/* Scores one sample of series (asset, sensor) and writes its record. */
static void sample(struct tw_predict *p, int64_t ts, const char *asset, size_t alen,
		   const char *sensor, size_t slen, double v)
{
	struct tw_err e;
	if (p->only.used && !tw_strmap_get(&p->only, sensor, slen))
		return;
	p->key.len = 0;
	tw_buf_add(&p->key, asset, alen);
	tw_buf_addc(&p->key, '\0');
	tw_buf_add(&p->key, sensor, slen);
	struct tw_detector *d = tw_strmap_get(&p->series, p->key.p, p->key.len);
	if (!d) {
		d = tw_detector_new(p->o.method, &p->o.detect, &e);
		if (!d)
			abort();       /* checked by tw_predict_new */
		tw_strmap_put(&p->series, p->key.p, p->key.len, d);
		p->st.series++;
	}
	double score = tw_detector_score(d, ts, v);
	p->st.samples++;
	if (isnan(score))
		return;
	bool alarm = score >= p->o.threshold;
	p->st.alarms += alarm;
	if (p->o.alarms_only && !alarm)
		return;
	struct tw_buf *b = &p->out->b;
	char stamp[TW_TIME_MAX], num[TW_NUM_MAX];
	tw_buf_adds(b, "{\"ts\":\"");
	tw_buf_add(b, stamp, tw_time_format(ts, stamp));
	tw_buf_adds(b, "\",\"asset\":");
	tw_jw_str(b, asset, alen);
	tw_buf_adds(b, ",\"kind\":\"score\",\"sensor\":");
	tw_jw_str(b, sensor, slen);
	tw_buf_adds(b, ",\"score\":");
	tw_buf_add(b, num, tw_num_format(score, num));
	tw_buf_adds(b, ",\"threshold\":");
	tw_buf_add(b, num, tw_num_format(p->o.threshold, num));
	tw_buf_adds(b, alarm ? ",\"alarm\":true,\"method\":" : ",\"alarm\":false,\"method\":");
	const char *m = tw_detector_method(d);
	tw_jw_str(b, m, strlen(m));
	tw_buf_adds(b, "}\n");
	p->st.scores++;
}

/* The text of string token tok into buf. */
static const char *text(const struct tw_rec *r, int tok, struct tw_buf *buf, size_t *len)
{
	size_t n;
	tw_rec_raw(r, tok, &n);
	buf->len = 0;
	tw_buf_grow(buf, n + 1);
	*len = tw_rec_str(r, tok, buf->p);
	return buf->p;
}

int tw_predict_line(struct tw_predict *p, const char *file, long long lineno, const char *line,
		    size_t len, const char *eol)
{
	struct tw_rec *r = &p->rec;
	struct tw_err why;
	int64_t ts;

	p->st.lines++;
	if (len == strspn(line, " \t"))
		return 0;
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0)
		return tw_diag_reject(p->diag, file, lineno, line, len, eol, "%s", why.msg);
	/* Every record passes through, its scores after it. */
	tw_buf_add(&p->out->b, line, len);
	tw_buf_addc(&p->out->b, '\n');
	size_t alen, slen;
	const char *asset = text(r, r->asset, &p->line, &alen);
	if (r->kind < 0 || tw_rec_streq(r, r->kind, "reading")) {
		if (r->sensor >= 0 && r->value >= 0 && tw_rec_type(r, r->sensor) == TW_J_STRING &&
		    tw_rec_type(r, r->value) == TW_J_NUMBER) {
			const char *s = text(r, r->sensor, &p->name, &slen);
			sample(p, ts, asset, alen, s, slen, tw_rec_num(r, r->value));
		}
	} else if (tw_rec_streq(r, r->kind, "state")) {
		int values = tw_rec_get(r, 0, "values");
		for (int k = values + 1, i = 0; values >= 0 && tw_rec_type(r, values) == TW_J_OBJECT &&
		     i < r->tok[values].size; i++, k = tw_rec_skip(r, k + 1)) {
			if (tw_rec_type(r, k + 1) != TW_J_NUMBER)
				continue;
			const char *s = text(r, k, &p->name, &slen);
			sample(p, ts, asset, alen, s, slen, tw_rec_num(r, k + 1));
		}
	} else if (tw_rec_streq(r, r->kind, "residual")) {
		/* Physics-informed: a departure from the calibrated model is an
		 * anomaly even when the raw value looks normal. */
		int res = tw_rec_get(r, 0, "residual");
		if (r->sensor >= 0 && res >= 0 && tw_rec_type(r, res) == TW_J_NUMBER) {
			const char *s = text(r, r->sensor, &p->name, &slen);
			p->residual.len = 0;
			tw_buf_adds(&p->residual, "residual.");
			tw_buf_add(&p->residual, s, slen);
			sample(p, ts, asset, alen, p->residual.p, p->residual.len, tw_rec_num(r, res));
		}
	}
	if (p->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(p->out);
	return 0;
}
