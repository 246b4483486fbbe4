/* detect.c - streaming univariate anomaly detectors (see detect.h).
 *
 * All three methods share one rolling window kept twice: a ring in time
 * order (to know which value leaves) and a sorted copy (median in O(1),
 * MAD by merging the deviations on either side of the median, O(window)
 * at worst; inserting and removing are a binary search and a memmove).
 * Everything is allocated in tw_detector_new.
 *
 * "auto" is "spatial".  On the 18 NAB files in ../shared/data/nab, with the
 * defaults for every file, tests/eval/nab_score.py gives (standard /
 * low FP / low FN) cad 37.7 / 27.8 / 42.5, spatial 25.9 / 23.3 / 28.4,
 * likelihood 16.7 / 5.5 / 21.8, mad and cusum 0 / 0 / 0 (NAB's
 * windowedGaussian, tests/eval/windowed_gaussian.py: 12.1 / 7.0 / 16.0;
 * the rolling z-score baseline: 4.97 standard).  mad and cusum saturate
 * at 1.0 on many normal rows of daily-periodic files, so no global
 * threshold beats never firing.  cad scores best, but it is some 200
 * times slower than spatial (about 15 000 samples a second against 3
 * million) and its contexts take up to about 1.5 MB a series: too much
 * for a default that follows every series of a plant, so the default is
 * the best of the fast methods, and cad is there to be asked for.
 *
 * "cad" follows CAD OSE's Python source step for step: without the
 * spatial rule, with its ties broken as here and the same range and rest
 * period, a Python 3 port of it gave the same scores to the last bit over
 * NAB's ec2_request_latency_system_failure (4032 rows).  Where it differs
 * from CAD OSE, see the "cad" section. */
#include "detect.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jcheck.h"

#define AUTO_METHOD "spatial"
#define LIK_DECADES 20.0   /* likelihood score 1 at p = 1e-20 */

enum method { M_MAD, M_CUSUM, M_LIKELIHOOD, M_SPATIAL, M_CAD };

const char *const tw_detect_methods[] = {
	"auto", "mad", "cusum", "likelihood", "spatial", "cad", NULL
};

/* The names of enum method, in its order. */
static const char *const method_names[] = {
	"mad", "cusum", "likelihood", "spatial", "cad"
};

struct cad;

struct rollwin {
	size_t cap, n, head;  /* head: oldest value in ring when n == cap */
	double *ring, *sorted;
};

struct tw_detector {
	enum method method;
	struct tw_detect_opts o;
	struct rollwin w;
	size_t learned;       /* finite values learned */
	double cpos, cneg;    /* CUSUM sums */
	double *raw;          /* likelihood: last lik_short raw scores (ring) */
	size_t raw_n, raw_head;
	double *hist;         /* likelihood: last lik_window short-term means */
	size_t hist_n, hist_head, hist_pushes;
	double hist_sum, hist_sq;
	int have_range;       /* spatial, cad: lo and hi hold the range seen */
	double lo, hi;
	struct cad *cad;      /* cad: the contexts */
};

void tw_detect_opts_init(struct tw_detect_opts *o)
{
	o->window = 288;
	o->warmup = 288;
	o->cusum_k = 0.5;
	o->cusum_h = 8.0;
	o->lik_window = 8640;
	o->lik_short = 10;
	o->lik_learn = 100;
	o->lik_min_sd = 0.02;
	o->spatial_tol = 0.05;
	o->cad_rest = 120;
	o->cad_max_contexts = 16384;
}

/* ---------------------------------------------------------- rolling window */

/* First index i in s[0..n) with s[i] >= x (or > x when upper). */
static size_t bound(const double *s, size_t n, double x, int upper)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (upper ? s[mid] <= x : s[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void win_push(struct rollwin *w, double x)
{
	double *s = w->sorted;
	if (w->n == w->cap) {
		/* The oldest value leaves and x comes in: one shift of the
		 * values between their two places. */
		double old = w->ring[w->head];
		size_t i = bound(s, w->n, old, 0);   /* old is there: finite, exact */
		size_t j = bound(s, w->n, x, 1);
		w->ring[w->head] = x;
		w->head = (w->head + 1) % w->cap;
		if (j > i) {
			memmove(s + i, s + i + 1, (j - 1 - i) * sizeof *s);
			s[j - 1] = x;
		} else {
			memmove(s + j + 1, s + j, (i - j) * sizeof *s);
			s[j] = x;
		}
		return;
	}
	w->ring[(w->head + w->n) % w->cap] = x;
	size_t i = bound(s, w->n, x, 1);
	memmove(s + i + 1, s + i, (w->n - i) * sizeof *s);
	s[i] = x;
	w->n++;
}

static double win_median(const struct rollwin *w)
{
	const double *s = w->sorted;
	size_t n = w->n;
	return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/* The k-th smallest (from 0) of the absolute deviations from m of the
 * sorted s[0..n), c the first index with s[c] >= m.  The deviations below
 * m, m - s[c-1-i], and above it, s[c+j] - m, are two ascending runs: the
 * k-th of their union is found by bisection on how many come from the
 * first, in O(log n), as for the median of two sorted arrays; with
 * before, the (k-1)-th too (k >= 1). */
static double kth_deviation(const double *s, size_t n, size_t c, double m, size_t k,
			    double *before)
{
	size_t na = c, nb = n - c;
#define BELOW(i) (m - s[c - 1 - (i)])
#define ABOVE(j) (s[c + (j)] - m)
	size_t lo = k + 1 > nb ? k + 1 - nb : 0, hi = k + 1 < na ? k + 1 : na;
	while (lo < hi) {
		size_t i = lo + (hi - lo) / 2, j = k + 1 - i;
		if (i < na && j > 0 && BELOW(i) < ABOVE(j - 1))
			lo = i + 1;
		else
			hi = i;
	}
	size_t i = lo, j = k + 1 - lo;
	double a = i > 0 ? BELOW(i - 1) : -INFINITY, b = j > 0 ? ABOVE(j - 1) : -INFINITY;
	/* The (k-1)-th: the larger of what is left when the k-th is taken
	 * from its run. */
	if (before) {
		if (a >= b)
			*before = fmax(i > 1 ? BELOW(i - 2) : -INFINITY, b);
		else
			*before = fmax(a, j > 1 ? ABOVE(j - 2) : -INFINITY);
	}
#undef BELOW
#undef ABOVE
	return a >= b ? a : b;
}

/* The robust scale of the window about its median m: 1.4826 MAD, or when
 * that is 0 1.2533 times the mean absolute deviation; 0 when the window
 * is constant. */
static double win_scale(const struct rollwin *w, double m)
{
	const double *s = w->sorted;
	size_t n = w->n, c = bound(s, n, m, 0);
	size_t want = n / 2;           /* 0-based rank of the upper middle */
	double below;
	double mad = kth_deviation(s, n, c, m, want, n % 2 ? NULL : &below);
	if (n % 2 == 0)
		mad = 0.5 * (below + mad);
	if (mad > 0.0)
		return 1.4826 * mad;
	double sum = 0.0;
	for (size_t i = 0; i < n; i++)
		sum += fabs(s[i] - m);
	/* below rounding noise of the values themselves: constant */
	if (sum / n <= 1e-12 * fabs(m))
		return 0.0;
	return 1.2533 * sum / n;
}

/* ---------------------------------------------------------------- methods */

/* The robust z of x against the window (signed), 0 without evidence. */
static double robust_z(const struct rollwin *w, double x)
{
	if (w->n < 3)
		return 0.0;
	double m = win_median(w), sc = win_scale(w, m);
	if (!(sc > 0.0))
		return 0.0;
	return (x - m) / sc;
}

static double mad_score(double z)
{
	return 1.0 - exp(-z * z / 8.0);
}

static double cusum_step(struct tw_detector *d, double z)
{
	double k = d->o.cusum_k, h = d->o.cusum_h, cap = 2.0 * h;
	d->cpos = fmin(cap, fmax(0.0, d->cpos + z - k));
	d->cneg = fmin(cap, fmax(0.0, d->cneg - z - k));
	double r = fmax(d->cpos, d->cneg) / h;
	return 1.0 - pow(10.0, -r * r);
}

/* Likelihood of a raw score: pushes it, compares the new short-term mean
 * with the history's mean and sd, then adds that mean to the history.
 * Returns 0 until the history holds lik_learn means. */
static double likelihood_step(struct tw_detector *d, double raw)
{
	const struct tw_detect_opts *o = &d->o;

	if (d->raw_n == o->lik_short) {
		d->raw[d->raw_head] = raw;
		d->raw_head = (d->raw_head + 1) % o->lik_short;
	} else {
		d->raw[d->raw_n++] = raw;
	}
	double s = 0.0;
	for (size_t i = 0; i < d->raw_n; i++)
		s += d->raw[i];
	double avg = s / d->raw_n;

	double score = 0.0;
	if (d->hist_n >= o->lik_learn) {
		double mean = d->hist_sum / d->hist_n;
		double var = d->hist_sq / d->hist_n - mean * mean;
		double sd = sqrt(fmax(var, 0.0));
		if (sd < o->lik_min_sd)
			sd = o->lik_min_sd;
		double z = (avg - mean) / sd;
		/* -log10 of the one-sided p = 2 Q(z), from erfc directly so
		 * that tiny tails keep their precision */
		if (z > 0.0)
			score = -log10(erfc(z / M_SQRT2)) / LIK_DECADES;
	}

	if (d->hist_n == o->lik_window) {
		double old = d->hist[d->hist_head];
		d->hist_sum -= old;
		d->hist_sq -= old * old;
		d->hist[d->hist_head] = avg;
		d->hist_head = (d->hist_head + 1) % o->lik_window;
	} else {
		d->hist[d->hist_n++] = avg;
	}
	d->hist_sum += avg;
	d->hist_sq += avg * avg;
	/* recompute the sums now and then: sliding updates drift */
	if (++d->hist_pushes % o->lik_window == 0) {
		d->hist_sum = d->hist_sq = 0.0;
		for (size_t i = 0; i < d->hist_n; i++) {
			d->hist_sum += d->hist[i];
			d->hist_sq += d->hist[i] * d->hist[i];
		}
	}
	return score;
}

/* NAB's spatial anomaly rule: 1 when x leaves the range of every value
 * learned so far, widened on either side by spatial_tol times its width;
 * then the range takes x in.  A range of one value says nothing. */
static int spatial_step(struct tw_detector *d, double x)
{
	if (!d->have_range) {
		d->lo = d->hi = x;
		d->have_range = 1;
		return 0;
	}
	double tol = d->o.spatial_tol * (d->hi - d->lo);
	int out = d->hi > d->lo && (x > d->hi + tol || x < d->lo - tol);
	if (x < d->lo)
		d->lo = x;
	if (x > d->hi)
		d->hi = x;
	return out;
}

/* ------------------------------------------------------------------ cad */

/* CAD OSE, the Contextual Anomaly Detector, open-source edition (Mikhail
 * Smirnov, 2016; NAB's detector "contextOSE"), as its Python source does
 * it, with these changes for a stream: the value's bins follow the range
 * of the values seen so far (NAB gives the detector the whole file's
 * minimum and maximum in advance), semi-contexts are keyed by their facts
 * (CAD uses Python's hash of them), ties among active contexts go to the
 * newest rather than to the larger hash, and the contexts are at most
 * cad_max_contexts: when full, no new ones are learned.
 *
 * Facts are numbers: a sensor fact says one bit of the value's bin
 * (CAD_SENSOR + 2 bit + value), a neuron fact that a context was active
 * at the step before (CAD_NEURON + its number).  A context joins a left
 * semi-context (facts of the step before) to a right one (facts of this
 * step); it counts how often its left side was complete (sel, summing the
 * right side's lengths), how many of its right facts came then (pred), and
 * how often all of them came (act). */

#define CAD_BITS 3               /* bits of a value's bin: 8 bins */
#define CAD_NSENS (2 * CAD_BITS) /* sensor facts */
#define CAD_MAX_LEFT 7           /* longest left part of a new context */
#define CAD_MAX_ACTIVE 15        /* active contexts fed back as facts */
#define CAD_BASE_THRESHOLD 0.75  /* a score this high rests the detector */
#define CAD_SENSOR 65536u
#define CAD_NEURON 0x80000000u
#define CAD_NONE UINT32_MAX
#define CAD_MAX_FACTS (CAD_BITS + CAD_MAX_ACTIVE)

struct cad_semi {
	uint32_t off, len;    /* facts: cad.facts[off..off+len), increasing */
	uint32_t hash;
	uint32_t ncross;      /* facts of the input it holds, when stamp is current */
	uint64_t stamp;
	uint32_t first, last; /* left: its contexts, in order, through cad_ctx.next */
};

struct cad_ctx {
	double sel, pred;     /* Python's cv[0], cv[1] */
	uint32_t act;         /* cv[2] */
	uint32_t left, right; /* semi-contexts */
	uint32_t next;        /* the next context of the same left semi-context */
	uint32_t hash;
	unsigned char zero;   /* cv[4]: it was seen as a zero-level context */
	uint64_t seen;        /* the step that last counted it as potential */
};

struct cad_member {
	uint32_t semi, next;
};

/* A growing array: n used of cap, never more than max. */
#define CAD_ARRAY(type, name) type *name; size_t n_##name, cap_##name

struct cad {
	size_t max_ctx, rest;
	CAD_ARRAY(struct cad_semi, semi0);
	CAD_ARRAY(struct cad_semi, semi1);
	CAD_ARRAY(uint32_t, facts);
	CAD_ARRAY(struct cad_member, mem);
	CAD_ARRAY(struct cad_ctx, ctx);
	CAD_ARRAY(uint32_t, neur_head);  /* left: neuron fact -> first member */
	CAD_ARRAY(uint32_t, neur_tail);
	CAD_ARRAY(uint32_t, crossed0);   /* left semi-contexts crossed last */
	CAD_ARRAY(uint32_t, crossed1);
	CAD_ARRAY(uint32_t, pot);        /* potential contexts: nl, l.., nr, r.. */
	CAD_ARRAY(uint64_t, active);     /* active contexts: activations << 32 | id */
	uint32_t *tab[2];                /* fact set -> semi + 1, per side */
	size_t tabcap[2];
	uint32_t *ctab;                  /* (left, right) -> ctx + 1 */
	size_t ctabcap;
	uint32_t sens_head[2][CAD_NSENS], sens_tail[2][CAD_NSENS];
	uint64_t stamp[2], steps;
	uint32_t new_ctx;                /* newContextID: 0 when none */
	uint32_t left[CAD_MAX_FACTS];    /* leftFactsGroup */
	size_t nleft;
	unsigned pred;                   /* predicted sensor facts, a mask */
	double *hist;                    /* the last `rest` raw scores */
	size_t hist_n, hist_head;
};

/* Room for need more items in *p (of *cap, elem bytes each). */
static int cad_reserve(void *pp, size_t *cap, size_t n, size_t need, size_t elem)
{
	void **p = pp;
	if (n + need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 16;
	while (c < n + need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}
#define CAD_RESERVE(c, name, need) \
	cad_reserve(&(c)->name, &(c)->cap_##name, (c)->n_##name, (need), sizeof *(c)->name)

static uint32_t cad_hash_facts(const uint32_t *f, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= f[i];
		h *= 16777619u;
	}
	return h ^ (uint32_t)n;
}

static uint32_t cad_hash_pair(uint32_t a, uint32_t b)
{
	uint64_t x = ((uint64_t)a << 32 | b) * 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(x >> 32);
}

static struct cad_semi *cad_semis(struct cad *c, int side)
{
	return side ? c->semi1 : c->semi0;
}

/* The semi-context of side with facts f[0..n), CAD_NONE if none. */
static uint32_t cad_find_semi(const struct cad *c, int side, const uint32_t *f,
                              size_t n, uint32_t h)
{
	size_t mask = c->tabcap[side] - 1;
	const struct cad_semi *s = side ? c->semi1 : c->semi0;
	if (!c->tabcap[side])
		return CAD_NONE;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t v = c->tab[side][i];
		if (!v)
			return CAD_NONE;
		const struct cad_semi *x = &s[v - 1];
		if (x->hash == h && x->len == n &&
		    memcmp(c->facts + x->off, f, n * sizeof *f) == 0)
			return v - 1;
	}
}

static uint32_t cad_find_ctx(const struct cad *c, uint32_t l, uint32_t r, uint32_t h)
{
	size_t mask = c->ctabcap - 1;
	if (!c->ctabcap)
		return CAD_NONE;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t v = c->ctab[i];
		if (!v)
			return CAD_NONE;
		const struct cad_ctx *x = &c->ctx[v - 1];
		if (x->hash == h && x->left == l && x->right == r)
			return v - 1;
	}
}

/* The item hashes of table what: 0, 1 the semi-contexts of that side, 2
 * the contexts. */
static uint32_t cad_item_hash(const struct cad *c, int what, uint32_t i)
{
	return what == 2 ? c->ctx[i].hash : what ? c->semi1[i].hash : c->semi0[i].hash;
}

/* Room in the open-addressing table *tab (*cap slots, count used) for one
 * more: doubled when it would be more than half full. */
static int cad_tab_grow(uint32_t **tab, size_t *cap, size_t count,
                        const struct cad *c, int what)
{
	if (2 * (count + 1) > *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		uint32_t *nt = calloc(nc, sizeof *nt);
		if (!nt)
			return -1;
		for (size_t i = 0; i < *cap; i++) {
			uint32_t v = (*tab)[i];
			if (!v)
				continue;
			uint32_t hv = cad_item_hash(c, what, v - 1);
			size_t j = hv & (nc - 1);
			while (nt[j])
				j = (j + 1) & (nc - 1);
			nt[j] = v;
		}
		free(*tab);
		*tab = nt;
		*cap = nc;
	}
	return 0;
}

/* Puts id + 1 at hash h (room made by cad_tab_grow). */
static void cad_tab_put(uint32_t *tab, size_t cap, uint32_t id, uint32_t h)
{
	size_t j = h & (cap - 1);
	while (tab[j])
		j = (j + 1) & (cap - 1);
	tab[j] = id + 1;
}

/* The list head and tail of fact f on side, NULL for a fact out of range. */
static uint32_t *cad_head(struct cad *c, int side, uint32_t f, uint32_t **tail)
{
	if (f >= CAD_NEURON) {
		size_t k = f - CAD_NEURON;
		if (side != 0 || k >= c->n_neur_head)
			return NULL;
		*tail = &c->neur_tail[k];
		return &c->neur_head[k];
	}
	size_t k = f - CAD_SENSOR;
	if (f < CAD_SENSOR || k >= CAD_NSENS)
		return NULL;
	*tail = &c->sens_tail[side][k];
	return &c->sens_head[side][k];
}

/* A new semi-context of side with facts f[0..n) (room reserved). */
static uint32_t cad_add_semi(struct cad *c, int side, const uint32_t *f, size_t n,
                             uint32_t h)
{
	struct cad_semi *s = side ? &c->semi1[c->n_semi1] : &c->semi0[c->n_semi0];
	uint32_t id = (uint32_t)(side ? c->n_semi1++ : c->n_semi0++);
	s->off = (uint32_t)c->n_facts;
	s->len = (uint32_t)n;
	s->hash = h;
	s->ncross = 0;
	s->stamp = 0;
	s->first = s->last = CAD_NONE;
	memcpy(c->facts + c->n_facts, f, n * sizeof *f);
	c->n_facts += n;
	for (size_t i = 0; i < n; i++) {
		uint32_t *tail, *head = cad_head(c, side, f[i], &tail);
		if (!head)
			continue;
		struct cad_member *m = &c->mem[c->n_mem];
		m->semi = id;
		m->next = CAD_NONE;
		if (*head == CAD_NONE)
			*head = (uint32_t)c->n_mem;
		else
			c->mem[*tail].next = (uint32_t)c->n_mem;
		*tail = (uint32_t)c->n_mem++;
	}
	return id;
}

/* Room for one more context with its two semi-contexts of nl and nr
 * facts; -1 when full or out of memory (then nothing new is learned). */
static int cad_room(struct cad *c, size_t nl, size_t nr)
{
	if (c->n_ctx >= c->max_ctx)
		return -1;
	if (CAD_RESERVE(c, semi0, 1) < 0 || CAD_RESERVE(c, semi1, 1) < 0 ||
	    CAD_RESERVE(c, facts, nl + nr) < 0 || CAD_RESERVE(c, mem, nl + nr) < 0 ||
	    CAD_RESERVE(c, ctx, 1) < 0 || CAD_RESERVE(c, neur_head, 1) < 0 ||
	    CAD_RESERVE(c, neur_tail, 1) < 0)
		return -1;
	if (cad_tab_grow(&c->tab[0], &c->tabcap[0], c->n_semi0, c, 0) < 0 ||
	    cad_tab_grow(&c->tab[1], &c->tabcap[1], c->n_semi1, c, 1) < 0 ||
	    cad_tab_grow(&c->ctab, &c->ctabcap, c->n_ctx, c, 2) < 0)
		return -1;
	return 0;
}

/* getContextByFacts for one context (l, r): 1 when it is new.  zero: a
 * zero-level context (marks an old one, sets new_ctx for a new one).
 * *idp: the context, CAD_NONE when there is no room for a new one. */
static int cad_context(struct cad *c, const uint32_t *l, size_t nl,
                       const uint32_t *r, size_t nr, int zero, uint32_t *idp)
{
	uint32_t hl = cad_hash_facts(l, nl), hr = cad_hash_facts(r, nr);
	uint32_t ls = cad_find_semi(c, 0, l, nl, hl);
	uint32_t rs = cad_find_semi(c, 1, r, nr, hr);
	uint32_t id = CAD_NONE;
	if (ls != CAD_NONE && rs != CAD_NONE)
		id = cad_find_ctx(c, ls, rs, cad_hash_pair(ls, rs));
	*idp = id;
	if (id != CAD_NONE) {
		if (zero)
			c->ctx[id].zero = 1;
		return 0;
	}
	if (cad_room(c, nl, nr) < 0)
		return 0;
	if (ls == CAD_NONE) {
		ls = cad_add_semi(c, 0, l, nl, hl);
		cad_tab_put(c->tab[0], c->tabcap[0], ls, hl);
	}
	if (rs == CAD_NONE) {
		rs = cad_add_semi(c, 1, r, nr, hr);
		cad_tab_put(c->tab[1], c->tabcap[1], rs, hr);
	}
	id = (uint32_t)c->n_ctx++;
	struct cad_ctx *x = &c->ctx[id];
	memset(x, 0, sizeof *x);
	x->left = ls;
	x->right = rs;
	x->next = CAD_NONE;
	x->hash = cad_hash_pair(ls, rs);
	x->zero = (unsigned char)zero;
	cad_tab_put(c->ctab, c->ctabcap, id, x->hash);
	struct cad_semi *s = &c->semi0[ls];
	if (s->first == CAD_NONE)
		s->first = id;
	else
		c->ctx[s->last].next = id;
	s->last = id;
	c->neur_head[c->n_neur_head++] = CAD_NONE;
	c->neur_tail[c->n_neur_tail++] = CAD_NONE;
	if (zero)
		c->new_ctx = id;
	*idp = id;
	return 1;
}

static int cad_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Crosses side's semi-contexts with the facts f[0..n): their ncross, and
 * the list of those holding any (crossed0 or crossed1). */
static int cad_cross(struct cad *c, int side, const uint32_t *f, size_t n)
{
	uint64_t st = ++c->stamp[side];
	struct cad_semi *s = cad_semis(c, side);
	uint32_t **list = side ? &c->crossed1 : &c->crossed0;
	size_t *ln = side ? &c->n_crossed1 : &c->n_crossed0;
	size_t *lc = side ? &c->cap_crossed1 : &c->cap_crossed0;

	*ln = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t *tail, *head = cad_head(c, side, f[i], &tail);
		for (uint32_t m = head ? *head : CAD_NONE; m != CAD_NONE; m = c->mem[m].next) {
			struct cad_semi *x = &s[c->mem[m].semi];
			if (x->stamp != st) {
				if (cad_reserve(list, lc, *ln, 1, sizeof **list) < 0)
					return -1;
				x->stamp = st;
				x->ncross = 0;
				(*list)[(*ln)++] = c->mem[m].semi;
			}
			x->ncross++;
		}
	}
	/* in the order they were made, as CAD scans them */
	if (*ln > 1)
		qsort(*list, *ln, sizeof **list, cad_cmp_u32);
	return 0;
}

static uint32_t cad_ncross(const struct cad *c, int side, const struct cad_semi *x)
{
	return x->stamp == c->stamp[side] ? x->ncross : 0;
}

/* The facts of semi-context x that are in f[0..n) (both increasing)
 * into out; their count. */
static size_t cad_meet(const struct cad *c, const struct cad_semi *x,
                       const uint32_t *f, size_t n, uint32_t *out)
{
	const uint32_t *a = c->facts + x->off;
	size_t i = 0, j = 0, k = 0;
	while (i < x->len && j < n) {
		if (a[i] < f[j])
			i++;
		else if (a[i] > f[j])
			j++;
		else {
			out[k++] = a[i];
			i++;
			j++;
		}
	}
	return k;
}

/* One potential context into pot: the crossed facts of left semi-context
 * ls (against the left facts of the step before) and of right rs. */
static int cad_pot_add(struct cad *c, const struct cad_semi *ls,
                       const struct cad_semi *rs, const uint32_t *cur, size_t ncur)
{
	if (CAD_RESERVE(c, pot, 2 + CAD_MAX_FACTS + CAD_NSENS) < 0)
		return -1;
	uint32_t *p = c->pot + c->n_pot;
	p[0] = (uint32_t)cad_meet(c, ls, c->left, c->nleft, p + 1);
	p[1 + p[0]] = (uint32_t)cad_meet(c, rs, cur, ncur, p + 2 + p[0]);
	c->n_pot += 2 + p[0] + p[1 + p[0]];
	return 0;
}

/* updateContextsAndGetActive: the contexts whose left side was complete
 * at the step before count this step's right facts; the active ones (all
 * right facts came) into c->active; the potential new contexts into pot.
 * *nsel: contexts whose left side was complete. */
static int cad_update(struct cad *c, int new_flag, const uint32_t *cur, size_t ncur,
                      size_t *nsel)
{
	*nsel = 0;
	c->n_active = 0;
	for (size_t i = 0; i < c->n_crossed0; i++) {
		const struct cad_semi *ls = &c->semi0[c->crossed0[i]];
		uint32_t lcross = cad_ncross(c, 0, ls);
		for (uint32_t id = ls->first; id != CAD_NONE; id = c->ctx[id].next) {
			if (id == c->new_ctx)   /* as CAD: also context 0 when none is new */
				continue;
			struct cad_ctx *x = &c->ctx[id];
			const struct cad_semi *rs = &c->semi1[x->right];
			uint32_t r2 = cad_ncross(c, 1, rs);
			int want_pot = 0;
			if (ls->len == lcross) {
				++*nsel;
				x->sel += rs->len;
				if (r2 > 0) {
					x->pred += r2;
					if (rs->len == r2) {
						x->act++;
						if (CAD_RESERVE(c, active, 1) < 0)
							return -1;
						c->active[c->n_active++] =
							(uint64_t)x->act << 32 | id;
					} else
						want_pot = x->zero && new_flag;
				}
			} else
				want_pot = x->zero && new_flag && r2 > 0;
			if (want_pot && lcross <= CAD_MAX_LEFT &&
			    cad_pot_add(c, ls, rs, cur, ncur) < 0)
				return -1;
		}
	}
	c->new_ctx = 0;
	return 0;
}

/* Active contexts by activations, then age (activations << 32 | id). */
static int cad_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Counts context id as a distinct potential new context of this step:
 * 1 the first time (always 1 for CAD_NONE, a context with no room). */
static size_t cad_distinct(struct cad *c, uint32_t id)
{
	if (id == CAD_NONE)
		return 1;
	if (c->ctx[id].seen == c->steps)
		return 0;
	c->ctx[id].seen = c->steps;
	return 1;
}

/* CAD's step for the sensor facts cur[0..ncur) (increasing): the new
 * predictions into c->pred; *pa the share of complete left sides whose
 * context was active, *pn the share of potential new contexts learned.
 * -1 out of memory (the state stays usable). */
static int cad_step(struct cad *c, const uint32_t *cur, size_t ncur,
                    double *pa, double *pn)
{
	int zero = c->nleft > 0 && ncur > 0, new_flag = 0;
	uint32_t zid = CAD_NONE;
	c->steps++;
	if (zero)
		new_flag = cad_context(c, c->left, c->nleft, cur, ncur, 1, &zid);

	c->n_pot = 0;
	size_t nsel;
	if (cad_cross(c, 1, cur, ncur) < 0 || cad_update(c, new_flag, cur, ncur, &nsel) < 0)
		return -1;
	*pa = nsel > 0 ? (double)c->n_active / (double)nsel : 0.0;

	/* the most activated contexts become the neuron facts */
	if (c->n_active > 1)
		qsort(c->active, c->n_active, sizeof *c->active, cad_cmp_u64);
	size_t from = c->n_active > CAD_MAX_ACTIVE ? c->n_active - CAD_MAX_ACTIVE : 0;
	size_t n = 0;
	for (size_t i = 0; i < ncur; i++)
		c->left[n++] = cur[i];
	for (size_t i = from; i < c->n_active; i++)
		c->left[n++] = CAD_NEURON + (uint32_t)c->active[i];
	qsort(c->left, n, sizeof *c->left, cad_cmp_u32);
	c->nleft = n;

	/* learn the potential contexts in the order found, counting the
	 * distinct ones with the zero-level one */
	size_t added = (size_t)new_flag, uniq = zero ? cad_distinct(c, zid) : 0;
	for (size_t off = 0; off < c->n_pot;) {
		const uint32_t *p = c->pot + off;
		uint32_t id;
		added += (size_t)cad_context(c, p + 1, p[0], p + 2 + p[0], p[1 + p[0]], 0, &id);
		uniq += cad_distinct(c, id);
		off += 2 + p[0] + p[1 + p[0]];
	}
	*pn = new_flag && uniq > 0 ? (double)added / (double)uniq : 0.0;

	/* cross the left semi-contexts with the new left facts: the complete
	 * ones predict the right facts of their best contexts */
	if (cad_cross(c, 0, c->left, c->nleft) < 0)
		return -1;
	double best = 0.0;
	unsigned pred = 0;
	for (size_t i = 0; i < c->n_crossed0; i++) {
		const struct cad_semi *ls = &c->semi0[c->crossed0[i]];
		if (ls->len != ls->ncross)
			continue;
		for (uint32_t id = ls->first; id != CAD_NONE; id = c->ctx[id].next) {
			const struct cad_ctx *x = &c->ctx[id];
			double w = x->sel > 0.0 ? x->pred / x->sel : 0.0;
			if (w > best) {
				best = w;
				pred = 0;
			}
			if (w == best) {
				const struct cad_semi *rs = &c->semi1[x->right];
				for (uint32_t k = 0; k < rs->len; k++)
					pred |= 1u << (c->facts[rs->off + k] - CAD_SENSOR);
			}
		}
	}
	c->pred = pred;
	return 0;
}

/* CAD's anomaly score of x, its bin among 8 across [lo, hi]. */
static double cad_score(struct tw_detector *d, double x)
{
	struct cad *c = d->cad;
	double range = d->hi - d->lo;
	double step = (range > 0.0 ? range : (double)((1 << CAD_BITS) - 1)) /
	              (double)((1 << CAD_BITS) - 1);
	double b = floor((x - d->lo) / step);
	int bin = b < 0.0 ? 0 : b > (1 << CAD_BITS) - 1 ? (1 << CAD_BITS) - 1 : (int)b;

	uint32_t cur[CAD_BITS];
	double err = 0.0;
	for (int i = 0; i < CAD_BITS; i++) {
		cur[i] = CAD_SENSOR + 2u * (uint32_t)i + (uint32_t)((bin >> i) & 1);
		if (!(c->pred >> (cur[i] - CAD_SENSOR) & 1))
			err += (double)(1 << i);
	}
	double pa = 0.0, pn = 0.0;
	if (cad_step(c, cur, CAD_BITS, &pa, &pn) < 0)
		pa = 1.0, pn = 0.0;   /* out of memory: no evidence */
	double raw = err > 0.0 ? (1.0 - pa + pn) / 2.0 : 0.0;

	/* rest: nothing while a raw score of the last `rest` reached 0.75 */
	double mx = 0.0;
	for (size_t i = 0; i < c->hist_n; i++)
		mx = fmax(mx, c->hist[i]);
	double out = mx < CAD_BASE_THRESHOLD ? raw : 0.0;
	if (c->hist_n == c->rest) {
		c->hist[c->hist_head] = raw;
		c->hist_head = (c->hist_head + 1) % c->rest;
	} else
		c->hist[c->hist_n++] = raw;
	return out;
}

static struct cad *cad_new(size_t max_ctx, size_t rest)
{
	struct cad *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->max_ctx = max_ctx;
	c->rest = rest;
	c->hist = malloc(rest * sizeof *c->hist);
	if (!c->hist) {
		free(c);
		return NULL;
	}
	c->hist[0] = 1.0;   /* CAD starts its history with 1: a first rest */
	c->hist_n = 1;
	for (int s = 0; s < 2; s++)
		for (int k = 0; k < CAD_NSENS; k++)
			c->sens_head[s][k] = c->sens_tail[s][k] = CAD_NONE;
	return c;
}

static void cad_free(struct cad *c)
{
	if (!c)
		return;

	free(c->semi0);
	free(c->semi1);
	free(c->facts);
	free(c->mem);
	free(c->ctx);
	free(c->neur_head);
	free(c->neur_tail);
	free(c->crossed0);
	free(c->crossed1);
	free(c->pot);
	free(c->active);
	free(c->tab[0]);
	free(c->tab[1]);
	free(c->ctab);
	free(c->hist);
	free(c);
}

/* ------------------------------------------------------------- interface */

static int find_method(const char *name, enum method *m, struct tw_err *e)
{
	for (size_t i = 0; i < sizeof method_names / sizeof *method_names; i++)
		if (strcmp(name, method_names[i]) == 0) {
			*m = (enum method)i;
			return 0;
		}
	char q[TW_QUOTE_BUF];
	return tw_err_set(e, "unknown method \"%s\" (auto, mad, cusum, likelihood, spatial, cad)",
	                  tw_err_quote(q, name, strlen(name)));
}

static int check_opts(const struct tw_detect_opts *o, struct tw_err *e)
{
	if (o->window < 3 || o->window > (size_t)1 << 24)
		return tw_err_set(e, "window %zu out of range 3..%zu",
		                  o->window, (size_t)1 << 24);
	if (!(o->cusum_k >= 0.0) || !isfinite(o->cusum_k))
		return tw_err_set(e, "cusum slack k must be finite and >= 0");
	if (!(o->cusum_h > 0.0) || !isfinite(o->cusum_h))
		return tw_err_set(e, "cusum threshold h must be finite and > 0");
	if (o->lik_window < 2 || o->lik_window > (size_t)1 << 24)
		return tw_err_set(e, "likelihood window %zu out of range 2..%zu",
		                  o->lik_window, (size_t)1 << 24);
	if (o->lik_short < 1 || o->lik_short > o->lik_window)
		return tw_err_set(e, "likelihood short window %zu out of range 1..%zu",
		                  o->lik_short, o->lik_window);
	if (o->lik_learn < 2 || o->lik_learn > o->lik_window)
		return tw_err_set(e, "likelihood learning count %zu out of range 2..%zu",
		                  o->lik_learn, o->lik_window);
	if (!(o->lik_min_sd > 0.0) || !isfinite(o->lik_min_sd))
		return tw_err_set(e, "likelihood sd floor must be finite and > 0");
	if (!(o->spatial_tol >= 0.0) || !isfinite(o->spatial_tol))
		return tw_err_set(e, "spatial tolerance must be finite and >= 0");
	if (o->cad_rest < 1 || o->cad_rest > (size_t)1 << 20)
		return tw_err_set(e, "cad rest period %zu out of range 1..%zu",
		                  o->cad_rest, (size_t)1 << 20);
	if (o->cad_max_contexts < 1 || o->cad_max_contexts > (size_t)1 << 28)
		return tw_err_set(e, "cad context limit %zu out of range 1..%zu",
		                  o->cad_max_contexts, (size_t)1 << 28);
	return 0;
}

struct tw_detector *tw_detector_new(const char *method,
                                    const struct tw_detect_opts *o,
                                    struct tw_err *e)
{
	struct tw_detect_opts def;
	enum method m = M_MAD;

	if (!o) {
		tw_detect_opts_init(&def);
		o = &def;
	}
	if (!method || strcmp(method, "auto") == 0)
		method = AUTO_METHOD;
	if (find_method(method, &m, e) < 0 || check_opts(o, e) < 0)
		return NULL;

	struct tw_detector *d = calloc(1, sizeof *d);
	if (!d) {
		tw_err_set(e, "out of memory");
		return NULL;
	}
	d->method = m;
	d->o = *o;
	d->w.cap = o->window;
	d->w.ring = malloc(o->window * sizeof *d->w.ring);
	d->w.sorted = malloc(o->window * sizeof *d->w.sorted);
	int ok = d->w.ring && d->w.sorted;
	if (ok && m == M_CAD)
		ok = (d->cad = cad_new(o->cad_max_contexts, o->cad_rest)) != NULL;
	if (ok && (m == M_LIKELIHOOD || m == M_SPATIAL)) {
		d->raw = malloc(o->lik_short * sizeof *d->raw);
		d->hist = malloc(o->lik_window * sizeof *d->hist);
		ok = d->raw && d->hist;
	}
	if (!ok) {
		tw_detector_free(d);
		tw_err_set(e, "out of memory");
		return NULL;
	}
	return d;
}

double tw_detector_score(struct tw_detector *d, int64_t ts, double value)
{
	(void)ts;
	if (!isfinite(value))
		return NAN;
	if (d->method == M_CAD) {
		/* NAB's spatial rule, then CAD with bins across the values
		 * seen, this one included */
		int out = spatial_step(d, value);
		double score = cad_score(d, value);
		if (out)
			score = 1.0;
		return d->learned++ >= d->o.warmup ? score : 0.0;
	}

	double z = robust_z(&d->w, value), score;
	int warm = d->learned >= d->o.warmup;
	switch (d->method) {
	case M_MAD:
		score = mad_score(z);
		break;
	case M_CUSUM:
		/* the sums start once warm: before, the window is too short */
		score = warm ? cusum_step(d, z) : 0.0;
		break;
	case M_LIKELIHOOD:
		score = warm ? likelihood_step(d, mad_score(z)) : 0.0;
		break;
	default:
		/* the range is learned from the first value, the likelihood
		 * once warm, as for "likelihood" */
		score = spatial_step(d, value);
		if (warm) {
			double lik = likelihood_step(d, mad_score(z));
			score = score ? 1.0 : lik;
		}
		break;
	}
	win_push(&d->w, value);
	d->learned++;
	if (!warm || !(score >= 0.0))
		return 0.0;
	return score > 1.0 ? 1.0 : score;
}

const char *tw_detector_method(const struct tw_detector *d)
{
	return method_names[d->method];
}

void tw_detector_free(struct tw_detector *d)
{
	if (!d)
		return;
	free(d->w.ring);
	free(d->w.sorted);
	free(d->raw);
	free(d->hist);
	cad_free(d->cad);
	free(d);
}

/* ------------------------------------------------------------ persistence */

/* CAD's contexts and what it carries from one step to the next. */
static json_t *cad_save(const struct cad *c)
{
	json_t *semis[2], *ctx = json_array(), *crossed = json_array();
	json_t *left = json_array(), *hist = tw_jc_reals(c->hist, c->hist_n);
	int ok = ctx && crossed && left && hist;
	for (int side = 0; side < 2; side++) {
		const struct cad_semi *s = side ? c->semi1 : c->semi0;
		size_t n = side ? c->n_semi1 : c->n_semi0;
		semis[side] = json_array();
		ok = ok && semis[side];
		for (size_t i = 0; ok && i < n; i++) {
			json_t *f = json_array();
			for (uint32_t k = 0; f && k < s[i].len; k++)
				if (json_array_append_new(f, json_integer(c->facts[s[i].off + k])) < 0) {
					json_decref(f);
					f = NULL;
				}
			ok = f && json_array_append_new(semis[side], f) == 0;
		}
	}
	for (size_t i = 0; ok && i < c->n_ctx; i++) {
		const struct cad_ctx *x = &c->ctx[i];
		ok = json_array_append_new(ctx, json_pack("[f, f, I, I, I, b]", x->sel, x->pred,
			(json_int_t)x->act, (json_int_t)x->left, (json_int_t)x->right,
			(int)x->zero)) == 0;
	}
	for (size_t i = 0; ok && i < c->n_crossed0; i++)
		ok = json_array_append_new(crossed, json_pack("[I, I]",
			(json_int_t)c->crossed0[i],
			(json_int_t)c->semi0[c->crossed0[i]].ncross)) == 0;
	for (size_t i = 0; ok && i < c->nleft; i++)
		ok = json_array_append_new(left, json_integer(c->left[i])) == 0;
	if (!ok) {
		json_decref(semis[0]);
		json_decref(semis[1]);
		json_decref(ctx);
		json_decref(crossed);
		json_decref(left);
		json_decref(hist);
		return NULL;
	}
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:I}",
		"left_semis", semis[0], "right_semis", semis[1], "contexts", ctx,
		"crossed", crossed, "left", left, "predicted", (json_int_t)c->pred,
		"history", hist, "history_head", (json_int_t)c->hist_head);
}

json_t *tw_detector_save(const struct tw_detector *d)
{
	const struct tw_detect_opts *o = &d->o;
	json_t *opts = json_pack("{s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:f, s:f}",
		"window", (json_int_t)o->window, "warmup", (json_int_t)o->warmup,
		"cusum_k", o->cusum_k, "cusum_h", o->cusum_h,
		"lik_window", (json_int_t)o->lik_window,
		"lik_short", (json_int_t)o->lik_short,
		"lik_learn", (json_int_t)o->lik_learn,
		"lik_min_sd", o->lik_min_sd, "spatial_tol", o->spatial_tol);
	json_t *j = json_pack("{s:s, s:o, s:I, s:o, s:o, s:I, s:[f, f]}",
		"method", method_names[d->method], "options", opts,
		"learned", (json_int_t)d->learned,
		"ring", tw_jc_reals(d->w.ring, d->w.n), "sorted", tw_jc_reals(d->w.sorted, d->w.n),
		"head", (json_int_t)d->w.head, "cusum", d->cpos, d->cneg);
	if (j && (d->method == M_LIKELIHOOD || d->method == M_SPATIAL)) {
		json_t *lik = json_pack("{s:o, s:I, s:o, s:I, s:I, s:f, s:f}",
			"raw", tw_jc_reals(d->raw, d->raw_n), "raw_head", (json_int_t)d->raw_head,
			"hist", tw_jc_reals(d->hist, d->hist_n),
			"hist_head", (json_int_t)d->hist_head,
			"hist_pushes", (json_int_t)d->hist_pushes,
			"hist_sum", d->hist_sum, "hist_sq", d->hist_sq);
		if (!lik || json_object_set_new(j, "likelihood", lik) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	if (j && d->method == M_CAD) {
		json_t *cad = cad_save(d->cad);
		if (!cad || json_object_set_new(j, "cad", cad) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	if (j && (d->method == M_SPATIAL || d->method == M_CAD)) {
		json_t *r = d->have_range ? json_pack("[f, f]", d->lo, d->hi)
		                          : json_null();
		if (!r || json_object_set_new(j, "range", r) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

/* Member key of obj as a count (a JSON integer >= 0) into *out. */
static int get_count(const json_t *obj, const char *key, size_t *out,
                     struct tw_err *e)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return tw_err_set(e, "detector state: %s: expected an integer >= 0", key);
	*out = (size_t)json_integer_value(v);
	return 0;
}

/* Member key of obj as a finite number into *out. */
static int get_real(const json_t *obj, const char *key, double *out,
                    struct tw_err *e)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return tw_err_set(e, "detector state: %s: expected a number", key);
	*out = json_number_value(v);
	return 0;
}

/* Member key of obj, an array of at most cap finite numbers, into v;
 * its length into *n. */
static int get_reals(const json_t *obj, const char *key, double *v,
                     size_t cap, size_t *n, struct tw_err *e)
{
	const json_t *a = json_object_get(obj, key);
	if (!a)
		return tw_err_set(e, "detector state: %s: missing", key);
	if (!json_is_array(a))
		return tw_err_set(e, "detector state: %s: expected an array", key);
	if (json_array_size(a) > cap)
		return tw_err_set(e, "detector state: %s: %zu values, at most %zu",
		                  key, json_array_size(a), cap);
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *x = json_array_get(a, i);
		if (!json_is_number(x) || !isfinite(json_number_value(x)))
			return tw_err_set(e, "detector state: %s[%zu]: expected a number",
			                  key, i);
		v[i] = json_number_value(x);
	}
	*n = json_array_size(a);
	return 0;
}

/* A ring of n values of capacity cap with its oldest at head: head is 0
 * until the ring is full. */
static int check_ring(const char *key, size_t n, size_t head, size_t cap,
                      struct tw_err *e)
{
	if (head >= cap || (n < cap && head != 0))
		return tw_err_set(e, "detector state: %s: head %zu with %zu of %zu values",
		                  key, head, n, cap);
	return 0;
}

static int load_options(const json_t *j, struct tw_detect_opts *o,
                        struct tw_err *e)
{
	if (!json_is_object(j))
		return tw_err_set(e, "detector state: options: expected an object");
	tw_detect_opts_init(o);
	if (get_count(j, "window", &o->window, e) < 0 ||
	    get_count(j, "warmup", &o->warmup, e) < 0 ||
	    get_real(j, "cusum_k", &o->cusum_k, e) < 0 ||
	    get_real(j, "cusum_h", &o->cusum_h, e) < 0 ||
	    get_count(j, "lik_window", &o->lik_window, e) < 0 ||
	    get_count(j, "lik_short", &o->lik_short, e) < 0 ||
	    get_count(j, "lik_learn", &o->lik_learn, e) < 0 ||
	    get_real(j, "lik_min_sd", &o->lik_min_sd, e) < 0 ||
	    get_real(j, "spatial_tol", &o->spatial_tol, e) < 0)
		return -1;
	return 0;
}

/* A fact of side: a sensor fact, or (left only) a neuron fact of one of
 * nctx contexts. */
static int cad_fact_ok(json_int_t f, int side, size_t nctx)
{
	if (f >= CAD_SENSOR && f < CAD_SENSOR + CAD_NSENS)
		return 1;
	return side == 0 && f >= CAD_NEURON && (size_t)(f - CAD_NEURON) < nctx;
}

/* An array of at most max facts of side, increasing, into out. */
static int cad_load_facts(const json_t *a, int side, size_t nctx, size_t max,
                          uint32_t *out, size_t *n, const char *what, size_t i,
                          struct tw_err *e)
{
	if (!json_is_array(a) || json_array_size(a) > max)
		return tw_err_set(e, "detector state: cad.%s[%zu]: expected at most %zu facts",
		                  what, i, max);
	for (size_t k = 0; k < json_array_size(a); k++) {
		const json_t *f = json_array_get(a, k);
		if (!json_is_integer(f) || !cad_fact_ok(json_integer_value(f), side, nctx) ||
		    (k > 0 && (uint32_t)json_integer_value(f) <= out[k - 1]))
			return tw_err_set(e, "detector state: cad.%s[%zu]: bad fact at %zu",
			                  what, i, k);
		out[k] = (uint32_t)json_integer_value(f);
	}
	*n = json_array_size(a);
	return 0;
}

/* CAD's state from cad_save into c, a new one. */
static int cad_load(struct cad *c, const json_t *j, struct tw_err *e)
{
	const json_t *semis[2] = { json_object_get(j, "left_semis"),
	                           json_object_get(j, "right_semis") };
	const json_t *ctx = json_object_get(j, "contexts");
	const json_t *crossed = json_object_get(j, "crossed");
	if (!json_is_object(j))
		return tw_err_set(e, "detector state: cad: expected an object");
	if (!json_is_array(semis[0]) || !json_is_array(semis[1]) ||
	    !json_is_array(ctx) || !json_is_array(crossed))
		return tw_err_set(e, "detector state: cad: left_semis, right_semis, "
		                  "contexts and crossed must be arrays");
	size_t nctx = json_array_size(ctx);
	if (nctx > c->max_ctx)
		return tw_err_set(e, "detector state: cad.contexts: %zu, at most %zu",
		                  nctx, c->max_ctx);
	if (json_array_size(semis[0]) > nctx || json_array_size(semis[1]) > nctx)
		return tw_err_set(e, "detector state: cad: more semi-contexts than contexts");
	if (CAD_RESERVE(c, ctx, nctx) < 0 || CAD_RESERVE(c, neur_head, nctx) < 0 ||
	    CAD_RESERVE(c, neur_tail, nctx) < 0)
		return tw_err_set(e, "out of memory");
	for (size_t i = 0; i < nctx; i++)
		c->neur_head[i] = c->neur_tail[i] = CAD_NONE;
	c->n_neur_head = c->n_neur_tail = nctx;

	uint32_t f[CAD_MAX_FACTS];
	for (int side = 0; side < 2; side++) {
		const char *what = side ? "right_semis" : "left_semis";
		for (size_t i = 0; i < json_array_size(semis[side]); i++) {
			size_t n;
			if (cad_load_facts(json_array_get(semis[side], i), side, nctx,
			                   side ? CAD_BITS : CAD_MAX_FACTS, f, &n, what, i, e) < 0)
				return -1;
			uint32_t h = cad_hash_facts(f, n);
			if (n == 0 || cad_find_semi(c, side, f, n, h) != CAD_NONE)
				return tw_err_set(e, "detector state: cad.%s[%zu]: empty or repeated",
				                  what, i);
			if ((side ? CAD_RESERVE(c, semi1, 1) : CAD_RESERVE(c, semi0, 1)) < 0 ||
			    CAD_RESERVE(c, facts, n) < 0 || CAD_RESERVE(c, mem, n) < 0 ||
			    cad_tab_grow(&c->tab[side], &c->tabcap[side],
			                 side ? c->n_semi1 : c->n_semi0, c, side) < 0)
				return tw_err_set(e, "out of memory");
			cad_tab_put(c->tab[side], c->tabcap[side], cad_add_semi(c, side, f, n, h), h);
		}
	}
	for (size_t i = 0; i < nctx; i++) {
		const json_t *x = json_array_get(ctx, i);
		double sel, pred;
		json_int_t act, l, r;
		int zero;
		if (json_unpack((json_t *)x, "[F, F, I, I, I, b]", &sel, &pred, &act, &l, &r, &zero) < 0 ||
		    !(sel >= 0.0 && pred >= 0.0 && pred <= sel) || !isfinite(sel) ||
		    act < 0 || act > UINT32_MAX || l < 0 || (size_t)l >= c->n_semi0 ||
		    r < 0 || (size_t)r >= c->n_semi1)
			return tw_err_set(e, "detector state: cad.contexts[%zu]: expected "
			                  "[sel, pred, act, left, right, zero] in range", i);
		uint32_t h = cad_hash_pair((uint32_t)l, (uint32_t)r);
		if (cad_find_ctx(c, (uint32_t)l, (uint32_t)r, h) != CAD_NONE)
			return tw_err_set(e, "detector state: cad.contexts[%zu]: repeated", i);
		if (cad_tab_grow(&c->ctab, &c->ctabcap, c->n_ctx, c, 2) < 0)
			return tw_err_set(e, "out of memory");
		struct cad_ctx *y = &c->ctx[c->n_ctx++];
		memset(y, 0, sizeof *y);
		y->sel = sel;
		y->pred = pred;
		y->act = (uint32_t)act;
		y->left = (uint32_t)l;
		y->right = (uint32_t)r;
		y->next = CAD_NONE;
		y->hash = h;
		y->zero = (unsigned char)(zero != 0);
		cad_tab_put(c->ctab, c->ctabcap, (uint32_t)i, h);
		struct cad_semi *s = &c->semi0[l];
		if (s->first == CAD_NONE)
			s->first = (uint32_t)i;
		else
			c->ctx[s->last].next = (uint32_t)i;
		s->last = (uint32_t)i;
	}

	c->stamp[0] = 1;
	if (cad_reserve(&c->crossed0, &c->cap_crossed0, 0, json_array_size(crossed) + 1,
	                sizeof *c->crossed0) < 0)
		return tw_err_set(e, "out of memory");
	for (size_t i = 0; i < json_array_size(crossed); i++) {
		json_int_t id, n;
		if (json_unpack(json_array_get(crossed, i), "[I, I]", &id, &n) < 0 ||
		    id < 0 || (size_t)id >= c->n_semi0 || n < 1 ||
		    n > (json_int_t)c->semi0[id].len ||
		    (i > 0 && (uint32_t)id <= c->crossed0[i - 1]))
			return tw_err_set(e, "detector state: cad.crossed[%zu]: expected "
			                  "[left semi-context, facts held], increasing", i);
		c->crossed0[i] = (uint32_t)id;
		c->semi0[id].stamp = 1;
		c->semi0[id].ncross = (uint32_t)n;
	}
	c->n_crossed0 = json_array_size(crossed);

	size_t hn;
	json_int_t pred;
	if (cad_load_facts(json_object_get(j, "left"), 0, nctx, CAD_MAX_FACTS, c->left,
	                   &c->nleft, "left", 0, e) < 0 ||
	    get_reals(j, "history", c->hist, c->rest, &hn, e) < 0 ||
	    get_count(j, "history_head", &c->hist_head, e) < 0 ||
	    check_ring("history", hn, c->hist_head, c->rest, e) < 0)
		return -1;
	if (hn == 0)
		return tw_err_set(e, "detector state: cad.history: empty");
	c->hist_n = hn;
	if (json_unpack((json_t *)json_object_get(j, "predicted"), "I", &pred) < 0 ||
	    pred < 0 || pred >= 1 << CAD_NSENS)
		return tw_err_set(e, "detector state: cad.predicted: expected a set of "
		                  "sensor facts (0..%d)", (1 << CAD_NSENS) - 1);
	c->pred = (unsigned)pred;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The state of j into d, made by tw_detector_new with j's method and
 * options. */
static int load_state(struct tw_detector *d, const json_t *j, struct tw_err *e)
{
	size_t n, m;
	if (get_count(j, "learned", &d->learned, e) < 0 ||
	    get_reals(j, "ring", d->w.ring, d->w.cap, &n, e) < 0 ||
	    get_reals(j, "sorted", d->w.sorted, d->w.cap, &m, e) < 0 ||
	    get_count(j, "head", &d->w.head, e) < 0 ||
	    check_ring("ring", n, d->w.head, d->w.cap, e) < 0)
		return -1;
	if (m != n)
		return tw_err_set(e, "detector state: sorted: %zu values, ring %zu", m, n);
	for (size_t i = 1; i < n; i++)
		if (d->w.sorted[i] < d->w.sorted[i - 1])
			return tw_err_set(e, "detector state: sorted: not in order at %zu", i);
	/* The window's values leave the sorted copy by value: it must hold
	 * exactly the ring's, or a later removal would miss. */
	bool same = true;
	if (n) {
		double *check = malloc(n * sizeof *check);
		if (!check)
			return tw_err_set(e, "out of memory");
		memcpy(check, d->w.ring, n * sizeof *check);
		qsort(check, n, sizeof *check, cmp_double);
		for (size_t i = 0; i < n && same; i++)
			same = check[i] == d->w.sorted[i];
		free(check);
	}
	if (!same)
		return tw_err_set(e, "detector state: sorted: not the values of the ring in order");
	d->w.n = n;
	if (n > d->learned)
		return tw_err_set(e, "detector state: %zu values in the window, %zu learned",
		                  n, d->learned);

	const json_t *c = json_object_get(j, "cusum");
	if (!json_is_array(c) || json_array_size(c) != 2 ||
	    !json_is_number(json_array_get(c, 0)) || !json_is_number(json_array_get(c, 1)))
		return tw_err_set(e, "detector state: cusum: expected 2 numbers");
	d->cpos = json_number_value(json_array_get(c, 0));
	d->cneg = json_number_value(json_array_get(c, 1));
	if (!(d->cpos >= 0.0 && d->cpos <= 2.0 * d->o.cusum_h) ||
	    !(d->cneg >= 0.0 && d->cneg <= 2.0 * d->o.cusum_h))
		return tw_err_set(e, "detector state: cusum: sums out of range 0..2h");

	if (d->method == M_LIKELIHOOD || d->method == M_SPATIAL) {
		const json_t *l = json_object_get(j, "likelihood");
		if (!json_is_object(l))
			return tw_err_set(e, "detector state: likelihood: expected an object");
		if (get_reals(l, "raw", d->raw, d->o.lik_short, &d->raw_n, e) < 0 ||
		    get_count(l, "raw_head", &d->raw_head, e) < 0 ||
		    check_ring("raw", d->raw_n, d->raw_head, d->o.lik_short, e) < 0 ||
		    get_reals(l, "hist", d->hist, d->o.lik_window, &d->hist_n, e) < 0 ||
		    get_count(l, "hist_head", &d->hist_head, e) < 0 ||
		    check_ring("hist", d->hist_n, d->hist_head, d->o.lik_window, e) < 0 ||
		    get_count(l, "hist_pushes", &d->hist_pushes, e) < 0 ||
		    get_real(l, "hist_sum", &d->hist_sum, e) < 0 ||
		    get_real(l, "hist_sq", &d->hist_sq, e) < 0)
			return -1;
		if (d->hist_n > d->hist_pushes || d->raw_n > d->learned)
			return tw_err_set(e, "detector state: likelihood: more values than learned");
	}
	if (d->method == M_CAD && cad_load(d->cad, json_object_get(j, "cad"), e) < 0)
		return -1;
	if (d->method == M_SPATIAL || d->method == M_CAD) {
		const json_t *r = json_object_get(j, "range");
		if (json_is_null(r)) {
			if (d->learned > 0)
				return tw_err_set(e, "detector state: range: null after %zu values",
				                  d->learned);
		} else if (!json_is_array(r) || json_array_size(r) != 2 ||
		           !json_is_number(json_array_get(r, 0)) ||
		           !json_is_number(json_array_get(r, 1))) {
			return tw_err_set(e, "detector state: range: expected [low, high] or null");
		} else {
			d->lo = json_number_value(json_array_get(r, 0));
			d->hi = json_number_value(json_array_get(r, 1));
			if (!isfinite(d->lo) || !isfinite(d->hi) || d->lo > d->hi)
				return tw_err_set(e, "detector state: range: expected low <= high");
			d->have_range = 1;
		}
	}
	return 0;
}

struct tw_detector *tw_detector_load(const json_t *j, struct tw_err *e)
{
	struct tw_detect_opts o;
	enum method m = M_MAD;

	if (!json_is_object(j)) {
		tw_err_set(e, "detector state: expected an object");
		return NULL;
	}
	const json_t *name = json_object_get(j, "method");
	if (!json_is_string(name)) {
		tw_err_set(e, "detector state: method: expected a string");
		return NULL;
	}
	if (find_method(json_string_value(name), &m, e) < 0 ||
	    load_options(json_object_get(j, "options"), &o, e) < 0)
		return NULL;
	struct tw_detector *d = tw_detector_new(method_names[m], &o, e);
	if (!d)
		return NULL;
	if (load_state(d, j, e) < 0) {
		tw_detector_free(d);
		return NULL;
	}
	return d;
}
