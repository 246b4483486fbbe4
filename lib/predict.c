/* predict.c - see predict.h */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "jsonw.h"
#include "num.h"
#include "predict.h"
#include "record.h"
#include "shard.h"
#include "strmap.h"
#include "timestamp.h"

#define MODEL_FORMAT "twin-predict model"
#define MODEL_VERSION 1
#define GAPS 8                          /* intervals kept to estimate a series' period */
#define MAX_STEPS 100000                /* forecast steps ahead, at most */

/* The columns of a multivariate sample: sensor names and their order. */
struct cols {
	char **name;
	size_t p;
	struct tw_strmap index;        /* name -> column + 1 */
};

/* One series (asset, sensor). */
struct series {
	char *asset, *sensor;
	struct tw_detector *det;
	struct tw_forecaster *fc;
	const json_t *saved;           /* its entry in the model, until first seen */
	long long n;                   /* samples seen */
	long long ref;                 /* samples in the reference period */
	int64_t first_ts, last_ts;
	double first_value;
	int64_t gap[GAPS];             /* the latest sampling intervals */
	int ngap;
	bool no_forecast;              /* the forecaster could not be made: said once */
	bool started;                  /* its detector and forecaster are made */
};

/* One asset's multivariate state (pca, rul). */
struct asset {
	char *name;
	struct cols cols;              /* pca's columns */
	struct tw_pca *pca;
	double *rows, *times;          /* the reference rows (pca), or the history (rul fit) */
	size_t nrows, cap;
	int64_t first_ts;
	bool started, warned, rul_warned;
	bool broken;                   /* no columns or no model: not scored (said once) */
	double *x, *t2c, *qc;          /* scratch rows */
	double t2s, qs;                /* T2 and Q smoothed (--smooth) */
	bool scored;                   /* t2s and qs hold a state */
	struct tw_rul_tracker *rul;
	double *rul_rows, *rul_times;  /* with fit: the whole history */
	size_t rul_n, rul_cap;
};

struct tw_predict {
	struct tw_predict_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	struct tw_predict_stats st;
	const char *method;            /* the method run: detect.h's name or "pca" */
	bool pca;
	struct tw_strmap series;       /* "asset\0sensor" -> struct series */
	struct series **all;           /* in order of first sample, for the model */
	size_t nall, capall;
	struct tw_strmap assets;       /* asset -> struct asset */
	struct asset **alla;
	size_t nalla, capalla;
	struct tw_strmap only;         /* --sensors */
	struct cols only_cols;         /* --sensors in order */
	struct tw_strmap saved_pca;    /* asset -> its pca entry in the model */
	struct tw_rul_model *rul;      /* loaded */
	double rul_level;              /* the coverage its intervals were fitted for */
	struct cols rul_cols;
	double *rul_x;
	struct tw_rec rec;
	struct tw_buf key, name, line, residual;   /* scratch, reused per record */
	int64_t stamp_ts;              /* the last stamp formatted, and its text: */
	char stamp[TW_TIME_MAX];       /* the samples of a record share it */
	size_t stamp_len;
	char threshold[TW_NUM_MAX];    /* formatted once */
	size_t threshold_len;
	const char *file;              /* where the current line is from */
	long long lineno;
};

void tw_predict_opts_init(struct tw_predict_opts *o)
{
	memset(o, 0, sizeof *o);
	tw_detect_opts_init(&o->detect);
	tw_pca_opts_init(&o->pca);
	tw_forecast_opts_init(&o->fc);
	tw_rul_opts_init(&o->rul_opts);
	o->threshold = NAN;
	o->train = (long long)o->detect.warmup;
	o->forecast_every = 1;
	o->smooth = 1;
	o->use_t2 = o->use_q = true;
}

/* --- columns ---------------------------------------------------------- */

static int cols_add(struct cols *c, const char *name, size_t len)
{
	if (tw_strmap_get(&c->index, name, len))
		return 0;
	char **v = realloc(c->name, (c->p + 1) * sizeof *v);
	if (!v)
		return -1;
	c->name = v;
	if (!(v[c->p] = strndup(name, len)))
		return -1;
	c->p++;
	tw_strmap_put(&c->index, name, len, (void *)(uintptr_t)c->p);
	return 0;
}

static void cols_release(struct cols *c)
{
	for (size_t i = 0; i < c->p; i++)
		free(c->name[i]);
	free(c->name);
	tw_strmap_release(&c->index, NULL);
	memset(c, 0, sizeof *c);
}

static json_t *cols_json(const struct cols *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->p; i++)
		json_array_append_new(a, json_string(c->name[i]));
	return a;
}

/* The columns named by the JSON array a (of non-empty, distinct strings). */
static int cols_from_json(struct cols *c, const json_t *a, const char *what, struct tw_err *e)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a) || !json_array_size(a))
		return tw_err_set(e, "%s: expected a non-empty array of sensor names", what);
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);
		if (!s || !*s)
			return tw_err_set(e, "%s[%zu]: expected a sensor name", what, i);
		if (tw_strmap_get(&c->index, s, strlen(s)))
			return tw_err_set(e, "%s[%zu]: '%s' twice", what, i, s);
		if (cols_add(c, s, strlen(s)) < 0)
			return tw_err_set(e, "out of memory");
	}
	return 0;
}

/* The values of columns c from state record r's "values" into x: the
 * name of the first column missing or not a number, or NULL when all
 * are there. */
static const char *cols_fill(const struct cols *c, const struct tw_rec *r, int values, double *x,
			     struct tw_buf *scratch)
{
	size_t found = 0;
	for (size_t i = 0; i < c->p; i++)
		x[i] = NAN;
	for (int k = values + 1, i = 0; i < r->tok[values].size; i++, k = tw_rec_skip(r, k + 1)) {
		size_t n;
		tw_rec_raw(r, k, &n);
		tw_buf_grow(scratch, n + 1);
		n = tw_rec_str(r, k, scratch->p);
		uintptr_t col = (uintptr_t)tw_strmap_get(&c->index, scratch->p, n);
		if (!col || tw_rec_type(r, k + 1) != TW_J_NUMBER || !isnan(x[col - 1]))
			continue;
		x[col - 1] = tw_rec_num(r, k + 1);
		found += isfinite(x[col - 1]);
	}
	if (found == c->p)
		return NULL;
	for (size_t i = 0; i < c->p; i++)
		if (!isfinite(x[i]))
			return c->name[i];
	return NULL;
}

/* The columns when a model does not give them: --sensors in its order,
 * or else the numeric members of state record r's "values" in theirs. */
static void cols_default(struct tw_predict *p, struct cols *c, const struct tw_rec *r, int values)
{
	if (p->only_cols.p) {
		for (size_t i = 0; i < p->only_cols.p; i++)
			cols_add(c, p->only_cols.name[i], strlen(p->only_cols.name[i]));
		return;
	}
	for (int k = values + 1, i = 0; i < r->tok[values].size; i++, k = tw_rec_skip(r, k + 1)) {
		size_t n;
		if (tw_rec_type(r, k + 1) != TW_J_NUMBER)
			continue;
		tw_rec_raw(r, k, &n);
		tw_buf_grow(&p->name, n + 1);
		n = tw_rec_str(r, k, p->name.p);
		cols_add(c, p->name.p, n);
	}
}

/* --- the engine ------------------------------------------------------- */

/* Checks the model document and indexes its parts. */
static int load_model(struct tw_predict *p, struct tw_err *e)
{
	const json_t *m = p->o.model;
	const char *file = p->o.model_file ? p->o.model_file : "model";
	const char *fmt = json_string_value(json_object_get(m, "format"));
	if (!json_is_object(m) || !fmt || strcmp(fmt, MODEL_FORMAT) != 0)
		return tw_err_set(e, "%s: not a twin-predict model (no \"format\": \"" MODEL_FORMAT "\")",
				  file);
	if (json_integer_value(json_object_get(m, "version")) != MODEL_VERSION)
		return tw_err_set(e, "%s: model version %lld, expected %d", file,
				  (long long)json_integer_value(json_object_get(m, "version")),
				  MODEL_VERSION);
	const char *method = json_string_value(json_object_get(m, "method"));
	if (!method)
		return tw_err_set(e, "%s: method: expected a string", file);
	if (!p->o.method)
		p->o.method = method;
	else if (strcmp(p->o.method, method) != 0 &&
		 !(strcmp(p->o.method, "auto") == 0 && strcmp(method, "pca") != 0))
		return tw_err_set(e, "%s: a model of method '%s', not '%s'", file, method, p->o.method);
	size_t i;
	json_t *v;
	const json_t *series = json_object_get(m, "series");
	if (series && !json_is_array(series))
		return tw_err_set(e, "%s: series: expected an array", file);
	json_array_foreach(series, i, v) {
		const char *a = json_string_value(json_object_get(v, "asset"));
		const char *s = json_string_value(json_object_get(v, "sensor"));
		if (!a || !s)
			return tw_err_set(e, "%s: series[%zu]: expected \"asset\" and \"sensor\" strings",
					  file, i);
		p->key.len = 0;
		tw_buf_adds(&p->key, a);
		tw_buf_addc(&p->key, '\0');
		tw_buf_adds(&p->key, s);
		struct series *se = calloc(1, sizeof *se);
		if (!se || !(se->asset = strdup(a)) || !(se->sensor = strdup(s))) {
			if (se)
				free(se->asset), free(se);
			return tw_err_set(e, "out of memory");
		}
		se->saved = v;
		tw_strmap_put(&p->series, p->key.p, p->key.len, se);
	}
	const json_t *pca = json_object_get(m, "pca");
	if (pca && !json_is_array(pca))
		return tw_err_set(e, "%s: pca: expected an array", file);
	json_array_foreach(pca, i, v) {
		const char *a = json_string_value(json_object_get(v, "asset"));
		if (!a)
			return tw_err_set(e, "%s: pca[%zu].asset: expected a string", file, i);
		tw_strmap_put(&p->saved_pca, a, strlen(a), v);
	}
	const json_t *rul = json_object_get(m, "rul");
	if (p->o.rul && !rul)
		return tw_err_set(e, "%s: no rul model in it (fit one with --rul --fit)", file);
	if (p->o.rul) {
		struct tw_err why;
		if (cols_from_json(&p->rul_cols, json_object_get(rul, "sensors"), "rul.sensors", &why) < 0)
			return tw_err_set(e, "%s: %s", file, why.msg);
		if (!(p->rul = tw_rul_load(json_object_get(rul, "model"), &why)))
			return tw_err_set(e, "%s: rul.model: %s", file, why.msg);
		p->rul_level = json_number_value(json_object_get(json_object_get(rul, "model"), "level"));
		if (tw_rul_vars(p->rul) != p->rul_cols.p)
			return tw_err_set(e, "%s: rul: %zu sensors but a model of %zu", file,
					  p->rul_cols.p, tw_rul_vars(p->rul));
		if (!(p->rul_x = calloc(p->rul_cols.p, sizeof *p->rul_x)))
			return tw_err_set(e, "out of memory");
	}
	return 0;
}

static void series_free(void *v)
{
	struct series *s = v;
	if (!s)
		return;
	tw_detector_free(s->det);
	tw_forecaster_free(s->fc);
	free(s->asset), free(s->sensor), free(s);
}

static void asset_free(void *v)
{
	struct asset *a = v;
	if (!a)
		return;
	cols_release(&a->cols);
	tw_pca_free(a->pca);
	tw_rul_tracker_free(a->rul);
	free(a->rows), free(a->times), free(a->x), free(a->t2c), free(a->qc);
	free(a->rul_rows), free(a->rul_times), free(a->name), free(a);
}

void tw_predict_free(struct tw_predict *p)
{
	if (!p)
		return;
	tw_strmap_release(&p->series, series_free);
	tw_strmap_release(&p->assets, asset_free);
	free(p->all), free(p->alla);
	tw_strmap_release(&p->only, NULL);
	cols_release(&p->only_cols);
	cols_release(&p->rul_cols);
	tw_strmap_release(&p->saved_pca, NULL);
	tw_rul_model_free(p->rul);
	free(p->rul_x);
	tw_rec_release(&p->rec);
	tw_buf_release(&p->key), tw_buf_release(&p->name), tw_buf_release(&p->line);
	tw_buf_release(&p->residual);
	free(p);
}

struct tw_predict *tw_predict_new(const struct tw_predict_opts *o, struct tw_out *out,
				  struct tw_diag *d, struct tw_err *e)
{
	struct tw_predict *p = calloc(1, sizeof *p);
	if (!p) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	p->o = *o;
	p->out = out;
	p->diag = d;
	tw_rec_init(&p->rec);
	if (o->model && load_model(p, e) < 0)
		goto fail;
	p->pca = p->o.method && strcmp(p->o.method, "pca") == 0;
	if (p->pca) {
		p->method = "pca";
		struct tw_pca_opts po = o->pca;
		if (!(po.variance > 0 && po.variance <= 1) || !(po.confidence > 0 && po.confidence < 1)) {
			tw_err_set(e, "pca: variance must be in (0,1] and confidence in (0,1)");
			goto fail;
		}
	} else {
		/* A detector made now checks the method and its options once. */
		struct tw_detector *probe = tw_detector_new(p->o.method, &o->detect, e);
		if (!probe)
			goto fail;
		p->method = tw_detect_methods[0];
		for (const char *const *m = tw_detect_methods; *m; m++)
			if (strcmp(*m, tw_detector_method(probe)) == 0)
				p->method = *m;   /* a name that outlives the probe */
		tw_detector_free(probe);
	}
	if (o->forecast) {
		struct tw_forecaster *probe = tw_forecaster_new(&o->fc, e);
		if (!probe)
			goto fail;
		tw_forecaster_free(probe);
	}
	if (o->rul && !o->fit && !o->model) {
		tw_err_set(e, "--rul needs a model: fit one with --rul --fit=FILE over run-to-failure "
			   "histories, then score with --rul --model=FILE");
		goto fail;
	}
	if (isnan(p->o.threshold))
		p->o.threshold = p->pca ? TW_PREDICT_THRESHOLD_PCA
			: strcmp(p->method, "likelihood") == 0 ? TW_PREDICT_THRESHOLD_LIKELIHOOD
			: strcmp(p->method, "spatial") == 0 ? TW_PREDICT_THRESHOLD_SPATIAL
			: strcmp(p->method, "cad") == 0 ? TW_PREDICT_THRESHOLD_CAD
			: TW_PREDICT_THRESHOLD;
	p->st.method = p->method;
	p->threshold_len = tw_num_format(p->o.threshold, p->threshold);
	p->stamp_len = tw_time_format(p->stamp_ts, p->stamp);
	for (const char *s = o->sensors; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n) {
			tw_strmap_put(&p->only, s, n, (void *)1);
			if (cols_add(&p->only_cols, s, n) < 0) {
				tw_err_set(e, "out of memory");
				goto fail;
			}
		}
		s += n + (s[n] == ',');
	}
	return p;
fail:
	tw_predict_free(p);
	return NULL;
}

void tw_predict_stats(const struct tw_predict *p, struct tw_predict_stats *st)
{
	*st = p->st;
}

/* --- writing ---------------------------------------------------------- */

/* {"ts":"...","asset":"...","kind":"KIND" */
static void begin(struct tw_predict *p, int64_t ts, const char *asset, size_t alen,
		  const char *kind)
{
	struct tw_buf *b = &p->out->b;
	if (ts != p->stamp_ts)
		p->stamp_len = tw_time_format(ts, p->stamp), p->stamp_ts = ts;
	tw_buf_adds(b, "{\"ts\":\"");
	tw_buf_add(b, p->stamp, p->stamp_len);
	tw_buf_adds(b, "\",\"asset\":");
	tw_jw_str(b, asset, alen);
	tw_buf_adds(b, ",\"kind\":\"");
	tw_buf_adds(b, kind);
	tw_buf_addc(b, '"');
}

/* ,"KEY":number */
static void put_num(struct tw_buf *b, const char *key, double v)
{
	tw_buf_adds(b, ",\"");
	tw_buf_adds(b, key);
	tw_buf_adds(b, "\":");
	tw_jw_num(b, v);
}

/* Six decimals are all a score means; they also keep its text short and
 * quick to write.  The alarm is decided on the score written. */
static double score_round(double s)
{
	return nearbyint(s * 1e6) / 1e6;
}

/* ,"score":S,"threshold":T,"alarm":B; true when it alarms */
static bool put_score(struct tw_predict *p, double score)
{
	struct tw_buf *b = &p->out->b;
	char num[TW_NUM_MAX];
	bool alarm = score >= p->o.threshold;
	tw_buf_adds(b, ",\"score\":");
	tw_buf_add(b, num, tw_num_format(score, num));
	tw_buf_adds(b, ",\"threshold\":");
	tw_buf_add(b, p->threshold, p->threshold_len);
	tw_buf_adds(b, alarm ? ",\"alarm\":true" : ",\"alarm\":false");
	return alarm;
}

/* --- series ----------------------------------------------------------- */

/* The series' sampling interval: the median of its latest intervals. */
static int64_t period(const struct series *s)
{
	int64_t g[GAPS];
	int n = s->ngap < GAPS ? s->ngap : GAPS;
	memcpy(g, s->gap, (size_t)n * sizeof *g);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
			int64_t t = g[j];
			g[j] = g[j - 1], g[j - 1] = t;
		}
	return n ? g[n / 2] : 0;
}

/* Samples in a duration at interval gap, at least 1. */
static long long samples_in(int64_t dur, int64_t gap)
{
	if (gap <= 0)
		return 1000000000;
	double n = floor((double)dur / (double)gap);
	return n < 1 ? 1 : n > 1e9 ? 1000000000 : (long long)n;
}

/* Makes the detector and forecaster of s, from the model when it has
 * them; when feed_first, they learn the series' first sample. */
static void series_start(struct tw_predict *p, struct series *s, bool feed_first)
{
	struct tw_err e;
	s->started = true;
	s->ref = p->o.train_dur ? samples_in(p->o.train_dur, s->gap[0]) : p->o.train;
	if (s->saved) {
		const json_t *det = json_object_get(s->saved, "detector");
		const json_t *fc = json_object_get(s->saved, "forecaster");
		if (det && !p->pca && !(s->det = tw_detector_load(det, &e)))
			tw_diag_say(p->diag, "%s: series %s %s: %s; learning afresh", p->o.model_file,
				    s->asset, s->sensor, e.msg);
		if (fc && p->o.forecast && !(s->fc = tw_forecaster_load(fc, &e)))
			tw_diag_say(p->diag, "%s: series %s %s: forecaster: %s; learning afresh",
				    p->o.model_file, s->asset, s->sensor, e.msg);
		if (s->det)
			s->ref = 0;     /* trained already */
		s->saved = NULL;
	}
	if (!p->pca && !s->det) {
		struct tw_detect_opts d = p->o.detect;
		d.warmup = (size_t)s->ref;
		if (!(s->det = tw_detector_new(p->o.method, &d, &e)))
			abort();        /* checked by tw_predict_new */
		if (feed_first)
			tw_detector_score(s->det, s->first_ts, s->first_value);
	}
	if (p->o.forecast && !s->fc) {
		struct tw_forecast_opts f = p->o.fc;
		f.season = p->o.season ? (size_t)samples_in(p->o.season, s->gap[0]) : 0;
		size_t min = tw_forecast_min_train(&f);
		f.train = s->ref > (long long)min ? (size_t)s->ref : min;
		if ((s->fc = tw_forecaster_new(&f, &e))) {
			if (feed_first)
				tw_forecaster_add(s->fc, s->first_value);
		} else if (!s->no_forecast) {
			s->no_forecast = true;
			tw_diag_say(p->diag, "%s:%lld: series %s %s: no forecasts: %s", p->file,
				    p->lineno, s->asset, s->sensor, e.msg);
		}
	}
}

/* The sampling of s before the model was saved: its latest intervals
 * and time, so that it goes on as if the runs were one. */
static void series_timing(struct series *s, int64_t ts)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(s->saved, "gaps"), i, g)
		if (json_is_integer(g) && json_integer_value(g) >= 0)
			s->gap[s->ngap++ % GAPS] = json_integer_value(g);
	json_t *last = json_object_get(s->saved, "last_ns");
	if (json_is_integer(last) && ts > json_integer_value(last))
		s->gap[s->ngap++ % GAPS] = ts - json_integer_value(last);
}

static struct series *series_get(struct tw_predict *p, const char *asset, size_t alen,
				 const char *sensor, size_t slen)
{
	p->key.len = 0;
	tw_buf_add(&p->key, asset, alen);
	tw_buf_addc(&p->key, '\0');
	tw_buf_add(&p->key, sensor, slen);
	struct series *s = tw_strmap_get(&p->series, p->key.p, p->key.len);
	if (s && s->n)
		return s;
	if (!s) {
		if (!(s = calloc(1, sizeof *s)) || !(s->asset = strndup(asset, alen)) ||
		    !(s->sensor = strndup(sensor, slen)))
			abort();
		tw_strmap_put(&p->series, p->key.p, p->key.len, s);
	}
	if (p->nall == p->capall) {
		p->capall = p->capall ? 2 * p->capall : 64;
		if (!(p->all = realloc(p->all, p->capall * sizeof *p->all)))
			abort();
	}
	p->all[p->nall++] = s;
	p->st.series++;
	return s;
}

/* The forecast of series s made at ts. */
static void forecast(struct tw_predict *p, struct series *s, int64_t ts, const char *asset,
		     size_t alen, const char *sensor, size_t slen)
{
	double mean, lo, hi;
	int64_t gap = period(s);
	if (!s->fc || gap <= 0 || (s->n - 1) % p->o.forecast_every)
		return;
	long long steps = llround((double)p->o.forecast / (double)gap);
	steps = steps < 1 ? 1 : steps > MAX_STEPS ? MAX_STEPS : steps;
	if (tw_forecaster_predict(s->fc, (size_t)steps, &mean, &lo, &hi) < 0)
		return;
	struct tw_buf *b = &p->out->b;
	char at[TW_TIME_MAX];
	begin(p, ts, asset, alen, "forecast");
	tw_buf_adds(b, ",\"sensor\":");
	tw_jw_str(b, sensor, slen);
	tw_buf_adds(b, ",\"at\":\"");
	int64_t when = ts > INT64_MAX - steps * gap ? INT64_MAX : ts + steps * gap;
	tw_buf_add(b, at, tw_time_format(when, at));
	tw_buf_addc(b, '"');
	put_num(b, "value", mean);
	put_num(b, "lo", lo);
	put_num(b, "hi", hi);
	put_num(b, "level", p->o.fc.level);
	tw_buf_adds(b, ",\"method\":");
	const char *m = tw_forecaster_method(s->fc);
	tw_jw_str(b, m, strlen(m));
	tw_buf_adds(b, "}\n");
	p->st.forecasts++;
}

/* One sample of series (asset, sensor): its score and forecast. */
static void sample(struct tw_predict *p, int64_t ts, const char *asset, size_t alen,
		   const char *sensor, size_t slen, double v)
{
	if (p->only.used && !tw_strmap_get(&p->only, sensor, slen))
		return;
	/* Nothing to score or forecast: not even learned (nor saved). */
	if (!isfinite(v) || ((p->pca || p->o.no_scores) && !p->o.forecast))
		return;
	struct series *s = series_get(p, asset, alen, sensor, slen);
	p->st.samples++;
	if (s->n++ == 0) {
		s->first_ts = ts, s->first_value = v;
		if (s->saved)
			series_timing(s, ts);
	} else {
		s->gap[s->ngap++ % GAPS] = ts > s->last_ts ? ts - s->last_ts : 0;
	}
	s->last_ts = ts;
	/* A new series waits for its second sample, when its sampling
	 * interval is known; one from the model starts at once. */
	if (!s->started && (s->saved || s->n == 2))
		series_start(p, s, !s->saved);
	double score = 0;
	if (s->started) {
		if (s->det)
			score = tw_detector_score(s->det, ts, v);
		if (s->fc)
			tw_forecaster_add(s->fc, v);
	}
	if (p->o.fit)
		return;
	if (!p->pca && !p->o.no_scores && !isnan(score)) {
		score = score_round(score);
		bool alarm = score >= p->o.threshold;
		p->st.alarms += alarm;
		if (!p->o.alarms_only || alarm) {
			struct tw_buf *b = &p->out->b;
			begin(p, ts, asset, alen, "score");
			tw_buf_adds(b, ",\"sensor\":");
			tw_jw_str(b, sensor, slen);
			put_score(p, score);
			tw_buf_adds(b, ",\"method\":");
			tw_jw_str(b, p->method, strlen(p->method));
			tw_buf_adds(b, "}\n");
			p->st.scores++;
		}
	}
	if (p->o.forecast)
		forecast(p, s, ts, asset, alen, sensor, slen);
}

/* --- assets: pca and rul ---------------------------------------------- */

static struct asset *asset_get(struct tw_predict *p, const char *name, size_t len)
{
	struct asset *a = tw_strmap_get(&p->assets, name, len);
	if (a)
		return a;
	if (!(a = calloc(1, sizeof *a)) || !(a->name = strndup(name, len)))
		abort();
	tw_strmap_put(&p->assets, name, len, a);
	if (p->nalla == p->capalla) {
		p->capalla = p->capalla ? 2 * p->capalla : 16;
		if (!(p->alla = realloc(p->alla, p->capalla * sizeof *p->alla)))
			abort();
	}
	p->alla[p->nalla++] = a;
	return a;
}

/* Appends row x (p values) at time t to rows/times. */
static void keep_row(double **rows, double **times, size_t *n, size_t *cap, const double *x,
		     size_t p, double t)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 256;
		if (!(*rows = realloc(*rows, *cap * p * sizeof **rows)) ||
		    !(*times = realloc(*times, *cap * sizeof **times)))
			abort();
	}
	memcpy(*rows + *n * p, x, p * sizeof *x);
	(*times)[(*n)++] = t;
}

/* The columns of asset a under pca: the model's, --sensors, or the
 * numeric values of its first state in their order. */
static int pca_columns(struct tw_predict *p, struct asset *a, const struct tw_rec *r, int values,
		       struct tw_err *e)
{
	const json_t *saved = tw_strmap_get(&p->saved_pca, a->name, strlen(a->name));
	if (saved) {
		if (cols_from_json(&a->cols, json_object_get(saved, "sensors"), "pca.sensors", e) < 0 ||
		    !(a->pca = tw_pca_load(json_object_get(saved, "model"), e)))
			return -1;
		if (tw_pca_vars(a->pca) != a->cols.p)
			return tw_err_set(e, "pca: %zu sensors but a model of %zu", a->cols.p,
					  tw_pca_vars(a->pca));
	} else {
		cols_default(p, &a->cols, r, values);
	}
	if (!a->cols.p)
		return tw_err_set(e, "its first state has no numeric values");
	if (!(a->x = calloc(a->cols.p, sizeof *a->x)) || !(a->t2c = calloc(a->cols.p, sizeof *a->t2c)) ||
	    !(a->qc = calloc(a->cols.p, sizeof *a->qc)))
		abort();
	return 0;
}

static void pca_fit(struct tw_predict *p, struct asset *a)
{
	struct tw_err e;
	a->pca = tw_pca_fit(a->rows, a->nrows, a->cols.p, &p->o.pca, &e);
	if (!a->pca)
		tw_diag_say(p->diag, "%s:%lld: asset %s: no pca model from %zu states: %s", p->file,
			    p->lineno, a->name, a->nrows, e.msg);
	free(a->rows), free(a->times);
	a->rows = a->times = NULL;
	a->nrows = a->cap = 0;
}

/* One state of asset a under pca: learned in the reference period, then
 * scored. */
static void pca_state(struct tw_predict *p, struct asset *a, int64_t ts, const struct tw_rec *r,
		      int values)
{
	struct tw_err e;
	if (!a->started) {
		a->started = true;
		a->first_ts = ts;
		p->st.series++;   /* under pca an asset's states are one series */
		if (pca_columns(p, a, r, values, &e) < 0) {
			tw_diag_say(p->diag, "%s:%lld: asset %s: %s%s", p->file, p->lineno, a->name, e.msg,
				    p->o.model_file ? "" : "; its states are not scored");
			a->broken = true;
		}
	}
	if (a->broken) {
		p->st.unscored++;
		return;
	}
	const char *missing = cols_fill(&a->cols, r, values, a->x, &p->name);
	if (missing) {
		if (!a->warned)
			tw_diag_say(p->diag, "%s:%lld: asset %s: state without a number for sensor '%s'"
				    "%s; such states are not scored", p->file, p->lineno, a->name,
				    missing, a->pca && p->o.model ? " of the model" : "");
		a->warned = true;
		p->st.unscored++;
		return;
	}
	p->st.samples++;
	if (!a->pca) {
		bool in_ref = p->o.fit || (p->o.train_dur ? ts - a->first_ts < p->o.train_dur
						: (long long)a->nrows < p->o.train);
		if (in_ref) {
			keep_row(&a->rows, &a->times, &a->nrows, &a->cap, a->x, a->cols.p, 0);
			return;
		}
		pca_fit(p, a);
		if (!a->pca) {
			a->broken = true;
			p->st.unscored++;
			return;
		}
	}
	if (p->o.fit || p->o.no_scores)
		return;
	struct tw_pca_score sc;
	tw_pca_score(a->pca, a->x, &sc, a->t2c, a->qc);
	/* An exponentially weighted mean of the statistics, from the first
	 * state scored: a noisy statistic's lone excursions stop alarming,
	 * a lasting shift still does. */
	double w = a->scored ? p->o.smooth : 1;
	a->t2s = w * sc.t2 + (1 - w) * a->t2s;
	a->qs = w * sc.q + (1 - w) * a->qs;
	a->scored = true;
	double rt = p->o.use_t2 && sc.t2_limit > 0 ? a->t2s / sc.t2_limit : 0;
	double rq = p->o.use_q && sc.q_limit > 0 ? a->qs / sc.q_limit : 0;
	double ratio = rt > rq ? rt : rq;
	double score = score_round(isfinite(ratio) ? ratio / (1 + ratio) : 1);
	bool alarm = score >= p->o.threshold;
	p->st.alarms += alarm;
	if (p->o.alarms_only && !alarm)
		return;
	/* Contributions of the statistic nearer its limit, as shares. */
	bool by_t2 = rt > rq || (rt == rq && !p->o.use_q);
	const double *c = by_t2 ? a->t2c : a->qc;
	double total = by_t2 ? sc.t2 : sc.q;
	size_t top = 0;
	for (size_t i = 1; i < a->cols.p; i++)
		if (c[i] > c[top])
			top = i;
	struct tw_buf *b = &p->out->b;
	begin(p, ts, a->name, strlen(a->name), "score");
	put_score(p, score);
	tw_buf_adds(b, ",\"method\":\"pca\"");
	put_num(b, "t2", sc.t2);
	put_num(b, "t2_limit", sc.t2_limit);
	put_num(b, "q", sc.q);
	put_num(b, "q_limit", sc.q_limit);
	if (p->o.smooth < 1) {
		put_num(b, "t2_smooth", a->t2s);
		put_num(b, "q_smooth", a->qs);
	}
	tw_buf_adds(b, ",\"top\":");
	tw_jw_str(b, a->cols.name[top], strlen(a->cols.name[top]));
	tw_buf_adds(b, ",\"contributions\":{");
	for (size_t i = 0; i < a->cols.p; i++) {
		char num[TW_NUM_MAX];
		if (i)
			tw_buf_addc(b, ',');
		tw_jw_str(b, a->cols.name[i], strlen(a->cols.name[i]));
		tw_buf_addc(b, ':');
		double share = total > 0 ? score_round(c[i] / total) : 0;
		tw_buf_add(b, num, tw_num_format(share, num));
	}
	tw_buf_adds(b, "}}\n");
	p->st.scores++;
}

/* One state of asset a for rul: its history kept (fit), or tracked. */
static void rul_state(struct tw_predict *p, struct asset *a, int64_t ts, const struct tw_rec *r,
		      int values)
{
	struct tw_err e;
	struct cols *c = &p->rul_cols;
	if (p->o.fit && !c->p) {
		/* The columns of the fit: --sensors, or the first state's. */
		cols_default(p, c, r, values);
		if (!c->p || !(p->rul_x = calloc(c->p, sizeof *p->rul_x)))
			return;
	}
	if (!c->p)
		return;
	const char *missing = cols_fill(c, r, values, p->rul_x, &p->name);
	if (missing) {
		if (!a->rul_warned)
			tw_diag_say(p->diag, "%s:%lld: asset %s: state without a number for sensor '%s'"
				    " of the rul model; such states give no rul", p->file, p->lineno,
				    a->name, missing);
		a->rul_warned = true;
		p->st.unscored++;
		return;
	}
	double t = (double)ts / 1e9;
	if (p->o.fit) {
		if (a->rul_n && t <= a->rul_times[a->rul_n - 1]) {
			if (!a->rul_warned)
				tw_diag_say(p->diag, "%s:%lld: asset %s: time goes back; the state is "
					    "left out of its history", p->file, p->lineno, a->name);
			a->rul_warned = true;
			return;
		}
		keep_row(&a->rul_rows, &a->rul_times, &a->rul_n, &a->rul_cap, p->rul_x, c->p, t);
		return;
	}
	if (!a->rul && !(a->rul = tw_rul_tracker_new(p->rul, &e)))
		abort();
	struct tw_rul_estimate est;
	int rc = tw_rul_tracker_add(a->rul, t, p->rul_x, &est, &e);
	if (rc < 0) {
		if (!a->rul_warned)
			tw_diag_say(p->diag, "%s:%lld: asset %s: %s", p->file, p->lineno, a->name, e.msg);
		a->rul_warned = true;
		return;
	}
	if (rc > 0)
		return;
	struct tw_buf *b = &p->out->b;
	begin(p, ts, a->name, strlen(a->name), "rul");
	put_num(b, "value", est.rul);
	tw_buf_adds(b, ",\"unit\":\"s\"");
	put_num(b, "lo", est.lo);
	put_num(b, "hi", est.hi);
	put_num(b, "level", p->rul_level);
	put_num(b, "health", est.health);
	tw_buf_adds(b, "}\n");
	p->st.ruls++;
}

/* --- records ---------------------------------------------------------- */

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
	p->file = file, p->lineno = lineno;
	if (len == strspn(line, " \t"))
		return 0;
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0)
		return tw_diag_reject(p->diag, file, lineno, line, len, eol, "%s", why.msg);
	size_t alen, slen;
	const char *asset = text(r, r->asset, &p->line, &alen);
	if (p->o.shard_n && tw_shard_partition(asset, alen, p->o.shard_n) != p->o.shard_k) {
		p->st.other_shards++;
		return 0;
	}
	/* Every record passes through, its own records after it. */
	p->st.passed++;
	tw_buf_add(&p->out->b, line, len);
	tw_buf_addc(&p->out->b, '\n');
	if (r->kind < 0 || tw_rec_streq(r, r->kind, "reading")) {
		if (r->sensor >= 0 && r->value >= 0 && tw_rec_type(r, r->sensor) == TW_J_STRING &&
		    tw_rec_type(r, r->value) == TW_J_NUMBER) {
			const char *s = text(r, r->sensor, &p->name, &slen);
			sample(p, ts, asset, alen, s, slen, tw_rec_num(r, r->value));
		}
	} else if (tw_rec_streq(r, r->kind, "state")) {
		int values = tw_rec_get(r, 0, "values");
		if (values >= 0 && tw_rec_type(r, values) == TW_J_OBJECT) {
			if (p->pca || p->o.rul) {
				struct asset *a = asset_get(p, asset, alen);
				if (p->pca)
					pca_state(p, a, ts, r, values);
				if (p->o.rul)
					rul_state(p, a, ts, r, values);
			}
			for (int k = values + 1, i = 0; i < r->tok[values].size;
			     i++, k = tw_rec_skip(r, k + 1)) {
				if (tw_rec_type(r, k + 1) != TW_J_NUMBER)
					continue;
				const char *s = text(r, k, &p->name, &slen);
				sample(p, ts, asset, alen, s, slen, tw_rec_num(r, k + 1));
			}
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

/* --- the model file --------------------------------------------------- */

int tw_predict_finish(struct tw_predict *p, struct tw_err *e)
{
	if (!p->o.fit)
		return 0;
	json_t *doc = json_pack("{s:s, s:i, s:s, s:f}", "format", MODEL_FORMAT, "version",
				MODEL_VERSION, "method", p->method, "threshold", p->o.threshold);
	json_t *series = json_array(), *pca = json_array();
	for (size_t i = 0; i < p->nall; i++) {
		struct series *s = p->all[i];
		if (!s->det && !s->fc)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:I}", "asset", s->asset, "sensor", s->sensor,
				      "last_ns", (json_int_t)s->last_ts);
		json_t *gaps = json_array();
		int n = s->ngap < GAPS ? s->ngap : GAPS;
		for (int k = s->ngap - n; k < s->ngap; k++)
			json_array_append_new(gaps, json_integer(s->gap[k % GAPS]));
		json_object_set_new(o, "gaps", gaps);
		if (s->det)
			json_object_set_new(o, "detector", tw_detector_save(s->det));
		if (s->fc)
			json_object_set_new(o, "forecaster", tw_forecaster_save(s->fc));
		json_array_append_new(series, o);
	}
	json_object_set_new(doc, "series", series);
	for (size_t i = 0; p->pca && i < p->nalla; i++) {
		struct asset *a = p->alla[i];
		if (!a->cols.p || !a->nrows)
			continue;
		pca_fit(p, a);
		if (!a->pca)
			continue;
		json_array_append_new(pca, json_pack("{s:s, s:o, s:o}", "asset", a->name, "sensors",
						     cols_json(&a->cols), "model", tw_pca_save(a->pca)));
	}
	json_object_set_new(doc, "pca", pca);
	if (p->o.rul) {
		struct tw_rul_fitter *f = p->rul_cols.p ? tw_rul_fitter_new(p->rul_cols.p, &p->o.rul_opts, e)
			: NULL;
		struct tw_rul_model *m = NULL;
		int rc = f ? 0 : -1;
		if (!p->rul_cols.p)
			tw_err_set(e, "--rul --fit: no state with numeric values to learn from");
		for (size_t i = 0; rc == 0 && i < p->nalla; i++) {
			struct asset *a = p->alla[i];
			struct tw_err why;
			if (a->rul_n && tw_rul_fitter_add(f, a->rul_rows, a->rul_times, a->rul_n, &why) < 0)
				rc = tw_err_set(e, "--rul --fit: asset %s: %s", a->name, why.msg);
		}
		if (rc == 0 && !(m = tw_rul_fit(f, e)))
			rc = -1;
		tw_rul_fitter_free(f);
		if (rc < 0) {
			json_decref(doc);
			return -1;
		}
		json_object_set_new(doc, "rul", json_pack("{s:o, s:o}", "sensors", cols_json(&p->rul_cols),
							  "model", tw_rul_save(m)));
		tw_rul_model_free(m);
	}
	int rc = tw_atomic_write_json(p->o.fit, doc, e);
	json_decref(doc);
	return rc;
}
