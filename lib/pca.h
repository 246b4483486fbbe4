/* pca.h - a multivariate detector: principal component analysis of a
 * reference period, with Hotelling's T-squared and the squared
 * prediction error Q (SPE) of each new row, their control limits, and
 * each variable's share of both.
 *
 * Fitting (tw_pca_fit): each column is standardised by its mean and
 * sample sd (n - 1); the correlation matrix R = Z'Z / (n - 1) is
 * decomposed by GSL (gsl_eigen_symmv, eigenvalues descending, each
 * eigenvector's sign fixed so that its largest element is positive, for
 * reproducible files); the first k eigenvectors P (p x k) and their
 * eigenvalues l_1..l_k are the model.  A constant column (sd 0) is
 * scaled by 1 instead: it is all zeros in Z, so it adds an eigenvalue 0
 * whose eigenvector is that variable alone, which is discarded, and any
 * later departure from the constant (in the column's own units) shows
 * in Q.  Every column constant is an error.
 *
 * Scoring a row x: z_j = (x_j - mean_j) / sd_j, scores t = P'z,
 *   T2 = sum_a t_a^2 / l_a,   r = z - P t,   Q = r'r.
 * Control limits at confidence c:
 *   T2: k (n - 1)(n + 1) / (n (n - k)) F_{k, n-k}(c)  (a new observation)
 *   Q:  Jackson and Mudholkar (1979) from the discarded eigenvalues,
 *       theta_i = sum_{j>k} l_j^i, h0 = 1 - 2 theta1 theta3 / (3 theta2^2),
 *       Q = theta1 [z_c sqrt(2 theta2 h0^2) / theta1 + 1
 *                   + theta2 h0 (h0 - 1) / theta1^2]^(1/h0),  z_c = Phi^-1(c);
 *       where that is not a positive finite number (h0 <= 0 with a
 *       negative bracket), Box's g chi2_h with g = theta2 / theta1,
 *       h = theta1^2 / theta2.  When k == p nothing is discarded: Q is 0
 *       for every row and so is its limit.  When the discarded
 *       eigenvalues add up to less than 1e-12 of the total (the data lie
 *       in the model's plane up to rounding) the limit is 1e-9 p, a
 *       residual of rounding size, so that any real departure shows.
 * A row is above a limit when its statistic is greater than the limit.
 *
 * Contributions: the complete decomposition (Alcala and Qin 2009), both
 * non-negative and summing exactly to the statistic:
 *   T2: c_j = (sum_a P_ja t_a / sqrt(l_a))^2, i.e. ((D^1/2 z)_j)^2 with
 *       D = P diag(1/l) P';
 *   Q:  c_j = r_j^2.
 *
 * Ownership: tw_pca_fit and tw_pca_load return a model the caller owns
 * and frees with tw_pca_free; neither keeps a pointer to its arguments.
 * tw_pca_save returns a new reference.  tw_pca_score allocates nothing
 * but uses a work area inside the model: one thread at a time per
 * model. */
#ifndef TW_PCA_H
#define TW_PCA_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

struct tw_pca_opts {
	double variance;    /* keep the fewest components explaining this fraction of variance, (0,1]; default 0.9 */
	size_t components;  /* > 0: exactly this many (overrides variance); at most p */
	double confidence;  /* control limits' confidence, (0,1); default 0.99 */
};

/* variance 0.9, components 0, confidence 0.99. */
void tw_pca_opts_init(struct tw_pca_opts *o);

/* Fits a model on x (n rows of p columns, row-major, all finite) with
 * options o (NULL: the defaults).  NULL with e filled when p is 0, n < 3
 * or n < p + 2, a value is not finite (its row and column named), every
 * column is constant, an option is out of range, a component asked for
 * has no variance (components beyond the data's rank), or no memory.
 * The caller owns the result. */
struct tw_pca *tw_pca_fit(const double *x, size_t n, size_t p,
			  const struct tw_pca_opts *o, struct tw_err *e);

struct tw_pca_score {
	double t2, t2_limit, q, q_limit;
};

/* Scores one row x (p values).  t2_contrib and q_contrib (p each, either
 * may be NULL) receive each variable's contribution (the complete
 * decomposition above), summing to t2 and to q.  A non-finite value
 * makes the statistics (and contributions) NaN.  Allocates nothing. */
void tw_pca_score(const struct tw_pca *m, const double *x, struct tw_pca_score *s,
		  double *t2_contrib, double *q_contrib);

size_t tw_pca_vars(const struct tw_pca *m);        /* p */
size_t tw_pca_components(const struct tw_pca *m);  /* k */
size_t tw_pca_rows(const struct tw_pca *m);        /* n, the training rows */

/* The model as a new JSON object:
 *   {"method": "pca", "vars": p, "components": k, "rows": n,
 *    "confidence": c, "means": [p], "sds": [p] (0 for a constant column),
 *    "eigenvalues": [p, descending], "loadings": [k arrays of p],
 *    "t2_limit": .., "q_limit": ..}
 * Numbers are written exactly (jansson's %.17g), so that a model saved
 * and loaded scores bit for bit as the original.  NULL on no memory. */
json_t *tw_pca_save(const struct tw_pca *m);

/* A model from the object tw_pca_save wrote.  NULL with e naming the
 * member at fault ("pca model: loadings[1]: expected 8 numbers") on an
 * unknown or missing member, a wrong shape, a number that is not finite
 * or out of range, or no memory.  The caller owns the result. */
struct tw_pca *tw_pca_load(const json_t *j, struct tw_err *e);

/* Frees m; NULL is allowed. */
void tw_pca_free(struct tw_pca *m);

#endif
