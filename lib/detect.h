/* detect.h - streaming univariate anomaly detectors (issue 5, "Anomaly
 * detection"), one small interface over several methods.
 *
 * A detector follows one series (one asset and sensor): each call of
 * tw_detector_score() gives the new value's anomaly score in [0,1] and
 * then learns the value.  Memory is fixed at creation (O(window) doubles)
 * and scoring allocates nothing, except for "cad", whose contexts grow
 * as it learns, up to cad_max_contexts (about 100 bytes each).  Results depend only on the options and the
 * values in order: the same input gives the same scores, bit for bit.
 *
 * Methods (tw_detector_new's method string):
 *   "mad"        robust z-score against the median and MAD of the `window`
 *                values before it: z = |x - median| / (1.4826 MAD), and
 *                score = 1 - exp(-z^2 / 8)  (z = 2: 0.39, 3: 0.68, 4: 0.86,
 *                5: 0.96).  When MAD is 0 (more than half the window equal)
 *                the scale is the mean absolute deviation about the median
 *                times 1.2533; when that is 0 too (a constant window) there
 *                is no evidence and the score is 0.
 *   "cusum"      two-sided CUSUM of u = (x - median) / scale, the robust
 *                standardisation of "mad": S+ = max(0, S+ + u - k),
 *                S- = max(0, S- - u - k), each capped at 2h so that it
 *                forgets a shift the window has absorbed; with S = max(S+,
 *                S-), score = 1 - 10^(-(S/h)^2): 0.9 when S reaches h,
 *                0.44 at h/2.
 *   "likelihood" Numenta's anomaly likelihood over the "mad" raw score:
 *                the mean m_s of the last `lik_short` raw scores is compared
 *                with the mean and sd of that short-term mean over the last
 *                `lik_window` samples (sd at least `lik_min_sd`): z =
 *                (m_s - mean) / sd, and with p = 2 Q(z) (Q the normal
 *                upper tail) score = min(1, -log10(p) / 20) for z > 0, 0
 *                otherwise: Numenta's log-likelihood, which keeps rare
 *                tails apart where 1 - Q would round to 1 (p = 1e-6: 0.3,
 *                1e-10: 0.5, 1e-18: 0.9).  It rises on a run of raised raw
 *                scores more than on one isolated spike (averaged over
 *                lik_short).  0 until `lik_learn` short-term means have
 *                been seen after the warm-up.
 *   "spatial"    "likelihood", except that a value out of the range of
 *                all values learned, widened by `spatial_tol` times its
 *                width on either side, scores 1 (the "spatial anomaly"
 *                rule of Numenta's NAB detector, tolerance 0.05 there).
 *   "cad"        CAD OSE, the Contextual Anomaly Detector, open-source
 *                edition (M. Smirnov, 2016; NAB's "contextOSE"), with the
 *                spatial rule above.  The value's bin among 8 across the
 *                range learned (this value included) gives 3 bits, each a
 *                fact; with the contexts that were active the step before
 *                (at most 15, as facts too) they make the left side of
 *                new contexts, whose right side is the next step's facts.
 *                Score = (1 - share of the contexts with a complete left
 *                side that came true + share of the new contexts
 *                learned) / 2 when the bits differ from the predicted
 *                ones, else 0; after a score of 0.75 or more the next
 *                `cad_rest` scores are 0 (CAD's rest period); a spatial
 *                anomaly is 1.  At most `cad_max_contexts` contexts:
 *                then it stops learning new ones.  CAD's other constants
 *                as published: 8 bins, left sides of at most 7 facts.
 *   "auto"       the default, "spatial": the best on NAB with one
 *                configuration for every file of the methods that keep up
 *                with a plant's streams ("cad" scores higher but is some
 *                200 times slower; see detect.c).
 *
 * Ownership: tw_detector_new returns a detector the caller owns and frees
 * with tw_detector_free; it keeps no pointer to the options or the method
 * string. */
#ifndef TW_DETECT_H
#define TW_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "err.h"

struct tw_detect_opts {
	size_t window;     /* values in the rolling median/MAD window (>= 3) */
	size_t warmup;     /* values learned before any score other than 0 */
	double cusum_k;    /* CUSUM slack, in robust sd (>= 0) */
	double cusum_h;    /* CUSUM threshold, in robust sd (> 0) */
	size_t lik_window; /* likelihood: short-term means in the history (>= 2) */
	size_t lik_short;  /* likelihood: raw scores averaged (>= 1) */
	size_t lik_learn;  /* likelihood: history needed before scoring (>= 2) */
	double lik_min_sd; /* likelihood: floor of the history's sd (> 0) */
	double spatial_tol; /* spatial: range widening, in range widths (>= 0) */
	size_t cad_rest;   /* cad: scores of 0 after one >= 0.75 (>= 1) */
	size_t cad_max_contexts; /* cad: contexts learned at most (>= 1) */
};

/* Fills o with the defaults: window 288, warmup 288, cusum_k 0.5,
 * cusum_h 8, lik_window 8640, lik_short 10, lik_learn 100,
 * lik_min_sd 0.02,
 * spatial_tol 0.05, cad_rest 120, cad_max_contexts 100000. */
void tw_detect_opts_init(struct tw_detect_opts *o);

/* The method names accepted, "auto" first, NULL-terminated. */
extern const char *const tw_detect_methods[];

/* A new detector for method (NULL means "auto") with options o (NULL
 * means the defaults).  NULL with e filled on an unknown method, an
 * option out of range, or no memory.  The caller frees it. */
struct tw_detector *tw_detector_new(const char *method,
                                    const struct tw_detect_opts *o,
                                    struct tw_err *e);

/* The anomaly score in [0,1] of value at time ts (nanoseconds or any
 * increasing unit: not used by the present methods), then learns value.
 * A non-finite value (NaN, inf) returns NaN and is not learned.  Before
 * `warmup` values have been learned the score is 0. */
double tw_detector_score(struct tw_detector *d, int64_t ts, double value);

/* The method actually run ("auto" resolved); owned by the detector. */
const char *tw_detector_method(const struct tw_detector *d);

/* The detector's state as JSON (a new reference, NULL on no memory): its
 * method, options and everything it has learned, so that a model file
 * can carry a trained detector.  All numbers are finite; integers are
 * JSON integers.  The layout, for the record (an object):
 *   method   the method run ("auto" resolved)
 *   options  every member of struct tw_detect_opts, by its name
 *   learned  finite values learned
 *   ring     the rolling window in storage order, head its oldest slot
 *   sorted   the same values in increasing order
 *   cusum    [S+, S-]
 *   likelihood ("likelihood", "spatial") {raw, raw_head, hist,
 *            hist_head, hist_pushes, hist_sum, hist_sq}
 *   range    ("spatial") [low, high] of the values learned, or null */
json_t *tw_detector_save(const struct tw_detector *d);

/* A detector from tw_detector_save's JSON: the same method, options and
 * state, so that it gives the same scores, bit for bit, as the saved one
 * would have.  NULL with e filled when j is not such a state: a member
 * missing or of the wrong type, an option out of range, an array longer
 * than its capacity, a head out of its ring, values out of order, or no
 * memory.  The caller frees it. */
struct tw_detector *tw_detector_load(const json_t *j, struct tw_err *e);

/* Frees d and all it holds; NULL is allowed. */
void tw_detector_free(struct tw_detector *d);

#endif
