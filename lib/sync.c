/* sync.c - see sync.h.
 *
 * Per asset: a min-heap of buffered readings ordered by (event time,
 * arrival), the newest event time seen (max_seen; the watermark is
 * max_seen - lateness), and the sensors' current values.  A reading is
 * released from the heap once the watermark has passed it; releasing
 * readings in event-time order is what makes the emitted states the same
 * whatever order the readings arrived in, within the lateness. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "in.h"
#include "jsonw.h"
#include "num.h"
#include "record.h"
#include "shard.h"
#include "strmap.h"
#include "sync.h"
#include "timestamp.h"

struct sy_reading {
	int64_t ts;
	uint64_t seq;            /* arrival order breaks ties */
	int sensor;              /* index into the asset's sensors */
	char *line;              /* the record as read (owned) */
	size_t len;
	size_t voff, vlen;       /* the value's JSON text inside line */
	double num;
	bool is_num, bad;
};

struct sy_times {
	int64_t *ts;
	int head, n, cap;
};

struct sy_sensor {
	char *name;
	struct sy_times buffered;   /* event times of its readings in the heap */
	struct tw_buf key;       /* "name": */
	int64_t stale_ns;
	double deadband, min, max;
	bool has, is_num, bad;
	int64_t ts;
	struct tw_buf raw;       /* current value, JSON text as read */
	double num;
	bool has_prev;           /* the value before, for --interp linear */
	int64_t prev_ts;
	double prev_num;
	bool emitted, emitted_is_num;   /* last value a state carried (--on-change) */
	struct tw_buf emitted_raw;
	double emitted_num;
	double *var;             /* its slot in the derived signals' scope, or NULL */
};

struct sy_derived {
	const char *name;        /* borrowed from the twin */
	struct tw_buf key;
	struct tw_expr *expr;
	double *var;
};

struct sy_asset {
	char *name;
	size_t nlen;
	struct tw_buf head;      /* ,"asset":"name" */
	const struct tw_asset_spec *spec;
	struct sy_sensor *sensors;
	int nsensors, capsensors;
	struct tw_strmap index;  /* sensor name -> index + 1 */
	struct sy_reading *heap;
	int nheap, capheap;
	bool started;
	int64_t max_seen;
	int64_t released;        /* event time of the last reading applied */
	bool grid_started;
	int64_t next_instant;
	struct tw_expr_scope *scope;
	struct sy_derived *derived;
	int nderived;
};

struct tw_sync {
	struct tw_sync_opts o;
	struct tw_out *out;
	struct tw_diag *diag;
	struct tw_sync_stats st;
	struct tw_strmap index;          /* asset name -> index + 1 */
	struct sy_asset **assets;
	int nassets, capassets;
	uint64_t seq;
	struct tw_rec rec;
	struct tw_buf scratch;
	bool have_newest, have_checkpoint_mark;
	int64_t checkpoint_mark;         /* event time of the last checkpoint */
	int64_t newest;                  /* newest event time of any asset */
	/* The line being read, for messages. */
	const char *file, *line, *eol;
	long long lineno;
	size_t len;
};

#define MIN_TS INT64_MIN

/* The watermark of an asset: its newest reading minus the lateness. */
#define WATERMARK(s, a) tw_time_sub((a)->max_seen, (s)->o.lateness)

void tw_sync_opts_init(struct tw_sync_opts *o)
{
	memset(o, 0, sizeof *o);
	o->stale_factor = 3;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		abort();
	return p;
}

/* --- the reorder heap ------------------------------------------------------ */

static bool before(const struct sy_reading *a, const struct sy_reading *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Each sensor keeps the event times of its readings in the heap, sorted
 * (struct sy_times): readings come mostly in order, so adding one is an
 * append, and the heap gives them back in order, so removing one takes
 * the first.  A duplicate is then looked for only among readings of its
 * sensor at its time, whatever the lateness. */
static void times_add(struct sy_times *b, int64_t ts)
{
	if (b->head > 0 && b->head + b->n == b->cap) {
		memmove(b->ts, b->ts + b->head, (size_t)b->n * sizeof *b->ts);
		b->head = 0;
	}
	if (b->head + b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->ts = xrealloc(b->ts, (size_t)b->cap * sizeof *b->ts);
	}
	int64_t *t = b->ts + b->head;
	int i = b->n++;
	while (i > 0 && t[i - 1] > ts) {
		t[i] = t[i - 1];
		i--;
	}
	t[i] = ts;
}

static void times_remove_first(struct sy_times *b)
{
	b->head++;
	if (--b->n == 0)
		b->head = 0;
}

static bool times_has(const struct sy_times *b, int64_t ts)
{
	if (b->n == 0)
		return false;   /* and b->ts may be NULL */
	const int64_t *t = b->ts + b->head;
	int lo = 0, hi = b->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (t[mid] < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < b->n && t[lo] == ts;
}

static void heap_push(struct sy_asset *a, struct sy_reading r)
{
	times_add(&a->sensors[r.sensor].buffered, r.ts);
	if (a->nheap == a->capheap) {
		a->capheap = a->capheap ? a->capheap * 2 : 16;
		a->heap = xrealloc(a->heap, (size_t)a->capheap * sizeof *a->heap);
	}
	int i = a->nheap++;
	while (i > 0 && before(&r, &a->heap[(i - 1) / 2])) {
		a->heap[i] = a->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	a->heap[i] = r;
}

static struct sy_reading heap_pop(struct sy_asset *a)
{
	struct sy_reading top = a->heap[0], last = a->heap[--a->nheap];
	int i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= a->nheap)
			break;
		if (c + 1 < a->nheap && before(&a->heap[c + 1], &a->heap[c]))
			c++;
		if (!before(&a->heap[c], &last))
			break;
		a->heap[i] = a->heap[c];
		i = c;
	}
	if (a->nheap > 0)
		a->heap[i] = last;
	times_remove_first(&a->sensors[top.sensor].buffered);
	return top;
}

/* --- assets and sensors ---------------------------------------------------- */

static int64_t stale_of(const struct tw_sync *s, const struct tw_sensor_spec *spec)
{
	if (s->o.stale_after)
		return s->o.stale_after;
	if (spec && spec->stale_after_ns)
		return spec->stale_after_ns;
	if (spec && spec->period_ns)
		return (int64_t)((double)spec->period_ns * s->o.stale_factor);
	return 0;
}

static int sensor_index(struct tw_sync *s, struct sy_asset *a, const char *name, size_t len)
{
	intptr_t k = (intptr_t)tw_strmap_get(&a->index, name, len);
	if (k)
		return (int)k - 1;
	if (a->nsensors == a->capsensors) {
		a->capsensors = a->capsensors ? a->capsensors * 2 : 8;
		a->sensors = xrealloc(a->sensors, (size_t)a->capsensors * sizeof *a->sensors);
	}
	struct sy_sensor *x = &a->sensors[a->nsensors];
	memset(x, 0, sizeof *x);
	x->name = xstrndup(name, len);
	tw_jw_str(&x->key, name, len);
	tw_buf_addc(&x->key, ':');
	const struct tw_sensor_spec *spec = a->spec ? tw_twin_sensor(a->spec, x->name) : NULL;
	x->stale_ns = stale_of(s, spec);
	x->deadband = spec && spec->deadband > 0 ? spec->deadband : s->o.deadband;
	x->min = spec ? spec->min : NAN;
	x->max = spec ? spec->max : NAN;
	x->var = a->scope ? tw_expr_scope_find(a->scope, x->name) : NULL;
	tw_strmap_put(&a->index, name, len, (void *)(intptr_t)(a->nsensors + 1));
	return a->nsensors++;
}

static int asset_new(struct tw_sync *s, const char *name, size_t len, struct sy_asset **out,
		     struct tw_err *e)
{
	struct sy_asset *a = calloc(1, sizeof *a);
	if (!a)
		abort();
	a->name = xstrndup(name, len);
	a->nlen = len;
	tw_buf_adds(&a->head, ",\"asset\":");
	tw_jw_str(&a->head, name, len);
	a->released = INT64_MIN;
	a->spec = s->o.twin ? tw_twin_asset(s->o.twin, a->name) : NULL;
	if (a->spec && a->spec->nderived) {
		const struct tw_asset_spec *spec = a->spec;
		a->scope = tw_expr_scope_new();
		a->derived = calloc((size_t)spec->nderived, sizeof *a->derived);
		if (!a->scope || !a->derived)
			abort();
		/* When the twin lists the asset's sensors, a derived signal may
		 * use only those and the signals defined before it, so a typo
		 * is an error now rather than a null forever. */
		for (int i = 0; i < spec->nsensors; i++)
			tw_expr_scope_var(a->scope, spec->sensors[i].name);
		for (int i = 0; i < spec->nderived; i++)
			tw_expr_scope_var(a->scope, spec->derived[i].name);
		for (int i = 0; i < spec->nderived; i++) {
			const struct tw_derived_spec *d = &spec->derived[i];
			struct tw_err why = { "" };
			struct sy_derived *x = &a->derived[a->nderived];
			x->expr = tw_expr_compile(a->scope, d->expr, spec->nsensors == 0, &why);
			for (int v = 0; x->expr && v < tw_expr_nvars(x->expr); v++)
				for (int j = i; j < spec->nderived; j++)
					if (strcmp(tw_expr_var(x->expr, v), spec->derived[j].name) == 0)
						tw_err_set(&why, "uses '%s', which is defined %s", spec->derived[j].name,
							   j == i ? "by itself" : "after it");
			if (!x->expr || why.msg[0]) {
				tw_expr_free(x->expr);
				tw_err_set(e, "%s: assets.%s.derived.%s: %s", s->o.twin->path,
					   spec->pattern, d->name, why.msg);
				*out = a;
				return -1;
			}
			x->name = d->name;
			a->nderived++;
			tw_jw_str(&x->key, d->name, strlen(d->name));
			tw_buf_addc(&x->key, ':');
			x->var = tw_expr_scope_var(a->scope, d->name);
		}
	}
	if (s->nassets == s->capassets) {
		s->capassets = s->capassets ? s->capassets * 2 : 8;
		s->assets = xrealloc(s->assets, (size_t)s->capassets * sizeof *s->assets);
	}
	s->assets[s->nassets++] = a;
	tw_strmap_put(&s->index, name, len, (void *)(intptr_t)s->nassets);
	*out = a;
	return 0;
}

static void asset_free(struct sy_asset *a)
{
	for (int i = 0; i < a->nsensors; i++) {
		struct sy_sensor *x = &a->sensors[i];
		free(x->name);
		tw_buf_release(&x->key);
		tw_buf_release(&x->raw);
		tw_buf_release(&x->emitted_raw);
		free(x->buffered.ts);
	}
	for (int i = 0; i < a->nheap; i++)
		free(a->heap[i].line);
	for (int i = 0; i < a->nderived; i++) {
		tw_expr_free(a->derived[i].expr);
		tw_buf_release(&a->derived[i].key);
	}
	free(a->derived);
	if (a->scope)
		tw_expr_scope_free(a->scope);
	free(a->sensors);
	free(a->heap);
	tw_strmap_release(&a->index, NULL);
	tw_buf_release(&a->head);
	free(a->name);
	free(a);
}

struct tw_sync *tw_sync_new(const struct tw_sync_opts *o, struct tw_out *out,
			    struct tw_diag *d, struct tw_err *e)
{
	struct tw_sync *s = calloc(1, sizeof *s);
	if (!s) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	s->o = *o;
	s->out = out;
	s->diag = d;
	tw_rec_init(&s->rec);
	/* Compile every derived signal of the twin now, so a bad expression
	 * is a configuration error at start, not at the first reading. */
	if (o->twin) {
		for (int i = 0; i < o->twin->nassets; i++) {
			const struct tw_asset_spec *spec = &o->twin->assets[i];
			if (spec->is_pattern || !spec->nderived)
				continue;
			struct sy_asset *a;
			if (asset_new(s, spec->pattern, strlen(spec->pattern), &a, e) < 0) {
				asset_free(a);
				tw_sync_free(s);
				return NULL;
			}
		}
	}
	return s;
}

void tw_sync_free(struct tw_sync *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nassets; i++)
		asset_free(s->assets[i]);
	free(s->assets);
	tw_strmap_release(&s->index, NULL);
	tw_rec_release(&s->rec);
	tw_buf_release(&s->scratch);
	free(s);
}

void tw_sync_stats(const struct tw_sync *s, struct tw_sync_stats *st)
{
	*st = s->st;
}

/* --- emitting ---------------------------------------------------------------- */

static void line_start(struct tw_sync *s, const struct sy_asset *a)
{
	if (s->o.key_prefix) {
		tw_buf_add(&s->out->b, a->name, a->nlen);
		tw_buf_addc(&s->out->b, '\t');
	}
}

static void line_end(struct tw_sync *s)
{
	tw_buf_add(&s->out->b, "}\n", 2);
	if (s->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(s->out);
}

static bool stale_at(const struct sy_sensor *x, int64_t t)
{
	return x->stale_ns > 0 && tw_time_sub(t, x->ts) > x->stale_ns;
}

/* The next buffered reading of sensor k after t (or cand), for --interp. */
static const struct sy_reading *next_after(const struct sy_asset *a, int k, int64_t t,
					   const struct sy_reading *cand)
{
	const struct sy_reading *best = NULL;
	if (cand && cand->sensor == k && cand->ts > t)
		best = cand;
	for (int i = 0; i < a->nheap; i++) {
		const struct sy_reading *r = &a->heap[i];
		if (r->sensor == k && r->ts > t && (!best || before(r, best)))
			best = r;
	}
	return best;
}

/* Writes one state record of asset a at time t. */
static void emit_state(struct tw_sync *s, struct sy_asset *a, int64_t t,
		       const struct sy_reading *cand)
{
	struct tw_buf *b = &s->out->b;
	char stamp[TW_TIME_MAX], num[TW_NUM_MAX];
	bool any_stale = false, any_bad = false, first = true;

	line_start(s, a);
	tw_buf_adds(b, "{\"ts\":\"");
	tw_buf_add(b, stamp, tw_time_format(t, stamp));
	tw_buf_addc(b, '"');
	tw_buf_add(b, a->head.p, a->head.len);
	tw_buf_adds(b, ",\"kind\":\"state\",\"values\":{");
	for (int k = 0; k < a->nsensors; k++) {
		struct sy_sensor *x = &a->sensors[k];
		if (!x->has || x->ts > t) {
			if (x->var)
				*x->var = NAN;    /* no value yet: derived signals read NaN */
			continue;
		}
		bool stale = stale_at(x, t);
		double v = x->is_num ? x->num : NAN;
		if (!first)
			tw_buf_addc(b, ',');
		first = false;
		tw_buf_add(b, x->key.p, x->key.len);
		if (stale && s->o.null_stale) {
			tw_buf_adds(b, "null");
			v = NAN;
		} else if (s->o.interp_linear && x->is_num && x->ts < t) {
			const struct sy_reading *n = next_after(a, k, t, cand);
			if (n && n->is_num) {
				v = x->num + (n->num - x->num) * (tw_time_span(t, x->ts) / tw_time_span(n->ts, x->ts));
				tw_buf_add(b, num, tw_num_format(v, num));
			} else {
				tw_buf_add(b, x->raw.p, x->raw.len);
			}
		} else {
			tw_buf_add(b, x->raw.p, x->raw.len);
		}
		if (x->var)
			*x->var = v;
		any_stale |= stale;
		any_bad |= x->bad;
	}
	for (int i = 0; i < a->nderived; i++) {
		struct sy_derived *d = &a->derived[i];
		double v = tw_expr_eval(d->expr);
		*d->var = v;
		if (!first)
			tw_buf_addc(b, ',');
		first = false;
		tw_buf_add(b, d->key.p, d->key.len);
		tw_jw_num(b, v);
	}
	tw_buf_addc(b, '}');
	for (int pass = 0; pass < 2; pass++) {
		if (!(pass == 0 ? any_stale : any_bad))
			continue;
		tw_buf_adds(b, pass == 0 ? ",\"stale\":[" : ",\"bad\":[");
		first = true;
		for (int k = 0; k < a->nsensors; k++) {
			struct sy_sensor *x = &a->sensors[k];
			if (!x->has || x->ts > t || !(pass == 0 ? stale_at(x, t) : x->bad))
				continue;
			if (!first)
				tw_buf_addc(b, ',');
			first = false;
			tw_buf_add(b, x->key.p, x->key.len - 1);
		}
		tw_buf_addc(b, ']');
	}
	line_end(s);
	s->st.states++;
}

/* Emits the grid instants before limit (or up to it when inclusive). */
static void grid_upto(struct tw_sync *s, struct sy_asset *a, int64_t limit, bool inclusive,
		      const struct sy_reading *cand)
{
	if (!a->grid_started)
		return;
	/* INT64_MAX marks a grid that has run past the last time stamp
	 * there is (2262-04-11). */
	while (a->next_instant != INT64_MAX &&
	       (a->next_instant < limit || (inclusive && a->next_instant == limit))) {
		emit_state(s, a, a->next_instant, cand);
		if (a->next_instant > INT64_MAX - s->o.every)
			a->next_instant = INT64_MAX;
		else
			a->next_instant += s->o.every;
	}
}

/* The first grid instant at or after t: a multiple of --every. */
static int64_t grid_ceil(int64_t t, int64_t every)
{
	int64_t q = t / every, r = t % every, at;
	if (r > 0)
		q++;
	return __builtin_mul_overflow(q, every, &at) ? INT64_MAX : at;
}

static bool changed(const struct sy_sensor *x)
{
	if (!x->emitted)
		return true;
	if (x->is_num && x->emitted_is_num)
		return fabs(x->num - x->emitted_num) > x->deadband;
	return x->raw.len != x->emitted_raw.len || memcmp(x->raw.p, x->emitted_raw.p, x->raw.len) != 0;
}

static void mark_emitted(struct sy_asset *a)
{
	for (int k = 0; k < a->nsensors; k++) {
		struct sy_sensor *x = &a->sensors[k];
		if (!x->has)
			continue;
		x->emitted = true;
		x->emitted_is_num = x->is_num;
		x->emitted_num = x->num;
		x->emitted_raw.len = 0;
		tw_buf_add(&x->emitted_raw, x->raw.p, x->raw.len);
	}
}

/* Passes a released reading through (--keep-readings); a bad one gets
 * "q":"bad", in place of any quality it had. */
static void keep_reading(struct tw_sync *s, const struct sy_asset *a, const struct sy_reading *r)
{
	struct tw_buf *b = &s->out->b;
	struct tw_err e;
	size_t cut = r->len, resume = r->len, n;
	const char *mark = "";

	line_start(s, a);
	if (r->bad && tw_rec_parse(&s->rec, r->line, r->len, &e) == 0) {
		int q = tw_rec_get(&s->rec, 0, "q");
		if (q >= 0) {
			const char *v = tw_rec_raw(&s->rec, q, &n);
			if (tw_rec_type(&s->rec, q) == TW_J_STRING)
				v--, n += 2;
			cut = (size_t)(v - r->line);
			resume = cut + n;
			mark = "\"bad\"";
		} else {
			const char *obj = tw_rec_raw(&s->rec, 0, &n);
			cut = resume = (size_t)(obj - r->line) + n - 1;   /* at its closing brace */
			mark = ",\"q\":\"bad\"";
		}
	}
	tw_buf_add(b, r->line, cut);
	tw_buf_adds(b, mark);
	tw_buf_add(b, r->line + resume, r->len - resume);
	tw_buf_addc(b, '\n');
	if (b->len >= TW_OUT_BLOCK)
		tw_out_flush(s->out);
}

/* Applies one released reading to the state and emits what it causes. */
static void release(struct tw_sync *s, struct sy_asset *a, struct sy_reading *r)
{
	struct sy_sensor *x = &a->sensors[r->sensor];

	if (s->o.emit == TW_EMIT_GRID) {
		if (!a->grid_started) {
			a->grid_started = true;
			a->next_instant = grid_ceil(r->ts, s->o.every);
		}
		grid_upto(s, a, r->ts, false, r);
	}
	if (x->has && x->is_num) {
		x->has_prev = true;
		x->prev_ts = x->ts;
		x->prev_num = x->num;
	}
	a->released = r->ts;
	x->has = true;
	x->ts = r->ts;
	x->raw.len = 0;
	tw_buf_add(&x->raw, r->line + r->voff, r->vlen);
	x->num = r->num;
	x->is_num = r->is_num;
	x->bad = r->bad;
	if (s->o.keep_readings)
		keep_reading(s, a, r);
	if (s->o.emit == TW_EMIT_EACH) {
		emit_state(s, a, r->ts, NULL);
	} else if (s->o.emit == TW_EMIT_CHANGE && changed(x)) {
		emit_state(s, a, r->ts, NULL);
		mark_emitted(a);
	}
	free(r->line);
}

/* Releases every buffered reading the watermark has passed. */
static void advance(struct tw_sync *s, struct sy_asset *a)
{
	int64_t w = WATERMARK(s, a);
	while (a->nheap > 0 && a->heap[0].ts <= w) {
		struct sy_reading r = heap_pop(a);
		release(s, a, &r);
	}
	if (s->o.emit == TW_EMIT_GRID)
		grid_upto(s, a, w, false, NULL);
}

void tw_sync_finish(struct tw_sync *s)
{
	for (int i = 0; i < s->nassets; i++) {
		struct sy_asset *a = s->assets[i];
		while (a->nheap > 0) {
			struct sy_reading r = heap_pop(a);
			release(s, a, &r);
		}
		if (s->o.emit == TW_EMIT_GRID && a->started)
			grid_upto(s, a, a->max_seen, true, NULL);
	}
}

void tw_sync_snapshot(struct tw_sync *s)
{
	for (int i = 0; i < s->nassets; i++) {
		struct sy_asset *a = s->assets[i];
		int64_t t = MIN_TS;
		for (int k = 0; k < a->nsensors; k++)
			if (a->sensors[k].has && a->sensors[k].ts > t)
				t = a->sensors[k].ts;
		if (t != MIN_TS)
			emit_state(s, a, t, NULL);
	}
}

bool tw_sync_checkpoint_due(struct tw_sync *s, int64_t every)
{
	if (!s->have_checkpoint_mark) {
		if (!s->have_newest)
			return false;
		s->have_checkpoint_mark = true;
		s->checkpoint_mark = s->newest;
		return false;
	}
	if (s->newest - s->checkpoint_mark < every)
		return false;
	s->checkpoint_mark = s->newest;
	return true;
}

/* --- reading ------------------------------------------------------------------ */

static int reject(struct tw_sync *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int reject(struct tw_sync *s, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	s->st.rejected++;
	return tw_diag_reject(s->diag, s->file, s->lineno, s->line, s->len, s->eol, "%s", why);
}

/* Copies the current line to the output unchanged. */
static void pass(struct tw_sync *s, const char *asset, size_t alen)
{
	if (s->o.key_prefix) {
		tw_buf_add(&s->out->b, asset, alen);
		tw_buf_addc(&s->out->b, '\t');
	}
	tw_buf_add(&s->out->b, s->line, s->len);
	tw_buf_addc(&s->out->b, '\n');
	if (s->out->b.len >= TW_OUT_BLOCK)
		tw_out_flush(s->out);
	s->st.passed++;
}

static bool mine(const struct tw_sync *s, const char *asset, size_t alen)
{
	return s->o.shard_n == 0 || tw_shard_partition(asset, alen, s->o.shard_n) == s->o.shard_k;
}

static void dur_text(int64_t ns, char *buf, size_t n)
{
	char num[TW_NUM_MAX];
	tw_num_format((double)ns / 1e9, num);
	snprintf(buf, n, "%ss", num);
}

static bool duplicate(const struct sy_asset *a, int k, int64_t ts, const char *v, size_t vlen)
{
	const struct sy_sensor *x = &a->sensors[k];
	if (x->has && x->ts == ts && x->raw.len == vlen && memcmp(x->raw.p, v, vlen) == 0)
		return true;
	/* Only when the buffer holds a reading of this sensor at this time
	 * is it worth a look: the scan is then rare, whatever the lateness. */
	if (!times_has(&x->buffered, ts))
		return false;
	for (int i = 0; i < a->nheap; i++) {
		const struct sy_reading *r = &a->heap[i];
		if (r->sensor == k && r->ts == ts && r->vlen == vlen &&
		    memcmp(r->line + r->voff, v, vlen) == 0)
			return true;
	}
	return false;
}

int tw_sync_too_long(struct tw_sync *s, const char *file, long long lineno,
		     const char *line, size_t len)
{
	s->file = file, s->lineno = lineno, s->line = line, s->len = len, s->eol = "";
	s->st.lines++;
	return reject(s, "line longer than %zu bytes", (size_t)TW_IN_MAX_LINE);
}

int tw_sync_line(struct tw_sync *s, const char *file, long long lineno,
		 const char *line, size_t len, const char *eol, struct tw_err *fatal)
{
	struct tw_rec *r = &s->rec;
	struct tw_err e;
	int64_t ts;

	s->file = file, s->lineno = lineno, s->line = line, s->len = len, s->eol = eol;
	s->st.lines++;
	if (len == strspn(line, " \t"))
		return 0;
	if (tw_rec_parse(r, line, len, &e) < 0 || tw_rec_need_common(r, &ts, &e) < 0)
		return reject(s, "%s", e.msg);
	size_t alen;
	const char *araw = tw_rec_raw(r, r->asset, &alen);
	const char *asset = araw;
	if (!tw_rec_plain(r, r->asset)) {
		s->scratch.len = 0;
		tw_buf_grow(&s->scratch, alen + 1);
		alen = tw_rec_str(r, r->asset, s->scratch.p);
		asset = s->scratch.p;
	}
	if (!mine(s, asset, alen)) {
		s->st.other_shards++;
		return 0;
	}
	if (r->kind >= 0 && !tw_rec_streq(r, r->kind, "reading")) {
		pass(s, asset, alen);    /* states, scores, commands ...: not ours */
		return 0;
	}
	if (r->sensor < 0 || tw_rec_type(r, r->sensor) != TW_J_STRING)
		return reject(s, r->sensor < 0 ? "missing \"sensor\"" : "\"sensor\" must be a string");
	if (r->value < 0)
		return reject(s, "missing \"value\"");
	enum tw_json_type vt = tw_rec_type(r, r->value);
	if (vt == TW_J_OBJECT || vt == TW_J_ARRAY)
		return reject(s, "\"value\" must be a number, a string, a boolean or null");

	intptr_t ai = (intptr_t)tw_strmap_get(&s->index, asset, alen);
	struct sy_asset *a;
	if (ai) {
		a = s->assets[ai - 1];
	} else if (asset_new(s, asset, alen, &a, fatal) < 0) {
		/* A pattern's derived signal failed to compile for this asset. */
		asset_free(a);
		return -1;
	}

	char when[64];
	/* Late: behind the watermark, or behind what was applied already
	 * (after --final, everything up to the newest reading). */
	int64_t floor = WATERMARK(s, a);
	if (a->released > floor)
		floor = a->released;
	if (a->started && ts < floor) {
		s->st.late++;
		dur_text(tw_time_sub(floor, ts), when, sizeof when);
		switch (s->o.late) {
		case TW_LATE_DROP:
			return 0;
		case TW_LATE_KEEP:
			pass(s, asset, alen);
			return 0;
		case TW_LATE_REJECT:
			return reject(s, "late: %s behind the watermark of %s", when, a->name);
		}
	}
	if (a->started && s->o.max_future && tw_time_sub(ts, WATERMARK(s, a)) > s->o.max_future) {
		/* It would drag the watermark along and make every reading
		 * after it late: hold it apart instead. */
		s->st.quarantined++;
		dur_text(tw_time_sub(ts, WATERMARK(s, a)), when, sizeof when);
		return reject(s, "quarantined: %s ahead of the watermark of %s", when, a->name);
	}

	size_t slen;
	const char *sname = tw_rec_raw(r, r->sensor, &slen);
	if (!tw_rec_plain(r, r->sensor)) {
		s->scratch.len = 0;
		tw_buf_grow(&s->scratch, slen + 1);
		slen = tw_rec_str(r, r->sensor, s->scratch.p);
		sname = s->scratch.p;
	}
	if (slen == 0)
		return reject(s, "empty sensor name");
	for (int i = 0; i < a->nderived; i++)
		if (strlen(a->derived[i].name) == slen && memcmp(a->derived[i].name, sname, slen) == 0)
			return reject(s, "%s is a derived signal of %s, not a sensor", a->derived[i].name, a->name);
	int k = sensor_index(s, a, sname, slen);

	size_t vlen;
	const char *v = tw_rec_raw(r, r->value, &vlen);
	if (vt == TW_J_STRING)
		v--, vlen += 2;      /* with its quotes */
	if (duplicate(a, k, ts, v, vlen)) {
		s->st.duplicates++;
		return 0;
	}
	struct sy_reading rd = {
		.ts = ts, .seq = s->seq++, .sensor = k, .len = len,
		.voff = (size_t)(v - line), .vlen = vlen,
		.is_num = vt == TW_J_NUMBER,
	};
	rd.num = rd.is_num ? tw_rec_num(r, r->value) : NAN;
	struct sy_sensor *x = &a->sensors[k];
	if (rd.is_num && ((!isnan(x->min) && rd.num < x->min) || (!isnan(x->max) && rd.num > x->max))) {
		s->st.out_of_range++;
		if (s->o.reject_out_of_range) {
			char range[80];
			if (isnan(x->min))
				snprintf(range, sizeof range, "at most %g", x->max);
			else if (isnan(x->max))
				snprintf(range, sizeof range, "at least %g", x->min);
			else
				snprintf(range, sizeof range, "[%g, %g]", x->min, x->max);
			return reject(s, "%s = %.*s is outside its valid range %s", x->name,
				      (int)vlen, v, range);
		}
		rd.bad = true;
	}
	rd.line = xstrndup(line, len);
	heap_push(a, rd);
	s->st.readings++;
	if (!a->started || ts > a->max_seen) {
		a->started = true;
		a->max_seen = ts;
	}
	if (!s->have_newest || ts > s->newest) {
		s->have_newest = true;
		s->newest = ts;
	}
	advance(s, a);
	return 0;
}

/* --- checkpoints ------------------------------------------------------------ */

static json_t *num_or_null(bool ok, double v)
{
	return ok && isfinite(v) ? json_real(v) : json_null();
}

static json_t *text(const struct tw_buf *b)
{
	return json_stringn(b->len ? b->p : "", b->len);
}

json_t *tw_sync_save(const struct tw_sync *s)
{
	json_t *assets = json_array();
	for (int i = 0; i < s->nassets; i++) {
		const struct sy_asset *a = s->assets[i];
		json_t *sensors = json_array(), *buffer = json_array();
		for (int k = 0; k < a->nsensors; k++) {
			const struct sy_sensor *x = &a->sensors[k];
			json_array_append_new(sensors, json_pack("{s:s, s:b, s:I, s:o, s:b, s:o, s:b, s:b, s:I, s:o, s:b, s:o, s:b, s:o}",
				"name", x->name, "has", x->has, "ts", (json_int_t)x->ts, "raw", text(&x->raw),
				"is_num", x->is_num, "num", num_or_null(x->is_num, x->num), "bad", x->bad,
				"has_prev", x->has_prev, "prev_ts", (json_int_t)x->prev_ts,
				"prev_num", num_or_null(x->has_prev, x->prev_num),
				"emitted", x->emitted, "emitted_raw", text(&x->emitted_raw),
				"emitted_is_num", x->emitted_is_num,
				"emitted_num", num_or_null(x->emitted_is_num, x->emitted_num)));
		}
		for (int h = 0; h < a->nheap; h++) {
			const struct sy_reading *r = &a->heap[h];
			json_array_append_new(buffer, json_pack("{s:s%, s:I, s:b}", "line", r->line, r->len,
								"seq", (json_int_t)r->seq, "bad", r->bad));
		}
		json_array_append_new(assets, json_pack("{s:s, s:b, s:I, s:I, s:b, s:I, s:o, s:o}",
			"asset", a->name, "started", a->started, "max_seen", (json_int_t)a->max_seen,
			"released", (json_int_t)a->released,
			"grid_started", a->grid_started, "next_instant", (json_int_t)a->next_instant,
			"sensors", sensors, "buffer", buffer));
	}
	/* Counters are not saved: --stats counts what one run read. */
	return json_pack("{s:I, s:b, s:I, s:b, s:I, s:o}",
		"seq", (json_int_t)s->seq, "have_newest", s->have_newest, "newest", (json_int_t)s->newest,
		"have_checkpoint_mark", s->have_checkpoint_mark,
		"checkpoint_mark", (json_int_t)s->checkpoint_mark, "assets", assets);
}

static double num_of(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static void set_text(struct tw_buf *b, const json_t *v)
{
	b->len = 0;
	if (json_is_string(v))
		tw_buf_add(b, json_string_value(v), json_string_length(v));
}

/* Rebuilds a buffered reading from its line, as tw_sync_line read it. */
static int restore_reading(struct tw_sync *s, struct sy_asset *a, const json_t *j, struct tw_err *e)
{
	const char *line;
	size_t len;
	json_int_t seq;
	int bad;
	struct tw_err why;
	int64_t ts;
	struct tw_rec *r = &s->rec;

	if (json_unpack_ex((json_t *)j, NULL, 0, "{s:s%, s:I, s:b}", "line", &line, &len,
			   "seq", &seq, "bad", &bad) < 0)
		return tw_err_set(e, "a buffered reading of %s is malformed", a->name);
	if (tw_rec_parse(r, line, len, &why) < 0 || tw_rec_need_common(r, &ts, &why) < 0 ||
	    r->sensor < 0 || r->value < 0)
		return tw_err_set(e, "a buffered reading of %s is not a reading", a->name);
	char *copy = xstrndup(line, len);
	size_t slen, vlen;
	const char *sname = tw_rec_raw(r, r->sensor, &slen);
	s->scratch.len = 0;
	tw_buf_grow(&s->scratch, slen + 1);
	slen = tw_rec_str(r, r->sensor, s->scratch.p);
	const char *v = tw_rec_raw(r, r->value, &vlen);
	enum tw_json_type vt = tw_rec_type(r, r->value);
	if (vt == TW_J_STRING)
		v--, vlen += 2;
	struct sy_reading rd = {
		.ts = ts, .seq = (uint64_t)seq, .sensor = sensor_index(s, a, s->scratch.p, slen),
		.line = copy, .len = len, .voff = (size_t)(v - line), .vlen = vlen,
		.is_num = vt == TW_J_NUMBER, .bad = bad,
	};
	(void)sname;
	rd.num = rd.is_num ? tw_rec_num(r, r->value) : NAN;
	heap_push(a, rd);
	return 0;
}

int tw_sync_load(struct tw_sync *s, const json_t *state, struct tw_err *e)
{
	json_int_t seq, newest, mark;
	int have_newest, have_mark;
	json_t *assets;
	json_error_t je;

	if (json_unpack_ex((json_t *)state, &je, 0, "{s:I, s:b, s:I, s:b, s:I, s:o}",
			   "seq", &seq, "have_newest", &have_newest, "newest", &newest,
			   "have_checkpoint_mark", &have_mark, "checkpoint_mark", &mark,
			   "assets", &assets) < 0 || !json_is_array(assets))
		return tw_err_set(e, "not a twin-sync state: %s", je.text);
	s->seq = (uint64_t)seq;
	s->have_newest = have_newest;
	s->newest = newest;
	s->have_checkpoint_mark = have_mark;
	s->checkpoint_mark = mark;
	size_t i;
	json_t *ja;
	json_array_foreach(assets, i, ja) {
		const char *name;
		int started, grid_started;
		json_int_t max_seen, released, next_instant;
		json_t *sensors, *buffer;
		if (json_unpack_ex(ja, &je, 0, "{s:s, s:b, s:I, s:I, s:b, s:I, s:o, s:o}", "asset", &name,
				   "started", &started, "max_seen", &max_seen, "released", &released,
				   "grid_started", &grid_started,
				   "next_instant", &next_instant, "sensors", &sensors, "buffer", &buffer) < 0)
			return tw_err_set(e, "assets[%zu]: %s", i, je.text);
		size_t nlen = strlen(name);
		intptr_t ai = (intptr_t)tw_strmap_get(&s->index, name, nlen);
		struct sy_asset *a;
		if (ai) {
			a = s->assets[ai - 1];
		} else if (asset_new(s, name, nlen, &a, e) < 0) {
			asset_free(a);
			return -1;
		}
		a->started = started;
		a->max_seen = max_seen;
		a->released = released;
		a->grid_started = grid_started;
		a->next_instant = next_instant;
		size_t k;
		json_t *jx;
		json_array_foreach(sensors, k, jx) {
			const char *sname;
			int has, is_num, bad, has_prev, emitted, emitted_is_num;
			json_int_t ts, prev_ts;
			json_t *raw, *num, *prev_num, *emitted_raw, *emitted_num;
			if (json_unpack_ex(jx, &je, 0, "{s:s, s:b, s:I, s:o, s:b, s:o, s:b, s:b, s:I, s:o, s:b, s:o, s:b, s:o}",
					   "name", &sname, "has", &has, "ts", &ts, "raw", &raw, "is_num", &is_num,
					   "num", &num, "bad", &bad, "has_prev", &has_prev, "prev_ts", &prev_ts,
					   "prev_num", &prev_num, "emitted", &emitted, "emitted_raw", &emitted_raw,
					   "emitted_is_num", &emitted_is_num, "emitted_num", &emitted_num) < 0)
				return tw_err_set(e, "assets[%zu].sensors[%zu]: %s", i, k, je.text);
			int idx = sensor_index(s, a, sname, strlen(sname));   /* may move sensors */
			struct sy_sensor *x = &a->sensors[idx];
			x->has = has;
			x->ts = ts;
			set_text(&x->raw, raw);
			x->is_num = is_num;
			x->num = num_of(num);
			x->bad = bad;
			x->has_prev = has_prev;
			x->prev_ts = prev_ts;
			x->prev_num = num_of(prev_num);
			x->emitted = emitted;
			set_text(&x->emitted_raw, emitted_raw);
			x->emitted_is_num = emitted_is_num;
			x->emitted_num = num_of(emitted_num);
		}
		json_array_foreach(buffer, k, jx)
			if (restore_reading(s, a, jx, e) < 0)
				return -1;
	}
	return 0;
}
