/* expr.h - the toolkit's one expression engine: derived signals
 * (twin-sync), model right-hand sides and outputs (twin-sim), rule
 * conditions and command values (twin-act).  Built on muparser's C API.
 *
 * The language (twin-description(5) is the user's reference): numbers,
 * variables, + - * / ^, unary - + !, comparisons < <= > >= == !=, && ||,
 * c ? a : b, parentheses and the functions sin cos tan asin acos atan
 * atan2 sinh cosh tanh asinh acosh atanh exp ln log log2 log10 sqrt abs
 * sign rint min max sum avg clamp not; constants _pi and _e.  Comparisons
 * and logic give 1 or 0; a condition is true when it is not 0 (NaN is
 * true, and every comparison with NaN but != is false).  Precedence, low
 * to high: ?:, ||, &&, comparisons, + -, * / and unary - + !, ^ (right
 * associative, so -2^2 is -4).  No assignment, no ',' outside a call.
 *
 * Variable names: [A-Za-z_][A-Za-z0-9_.]*, without ".." or a final
 * '.', so that "score.temp_c" is one name.
 *
 * Ownership: a scope owns its variables (names and values).  A variable's
 * value lives at an address that never changes until the scope is freed,
 * so callers keep the double * and write inputs straight into it; that is
 * how an expression sees them, with no lookup per evaluation.  An
 * expression borrows its scope, which must outlive it.  Running out of
 * memory aborts (a filter can do nothing better).
 *
 * Threads: compiling uses muparser's static message buffers: compile in
 * one thread at a time.  Evaluating distinct expressions in distinct
 * threads is safe if their scopes' values are not shared. */
#ifndef TW_EXPR_H
#define TW_EXPR_H

#include <stdbool.h>

#include "err.h"

struct tw_expr_scope;
struct tw_expr;

/* An empty scope; the caller frees it with tw_expr_scope_free, after
 * every expression compiled against it. */
struct tw_expr_scope *tw_expr_scope_new(void);
void tw_expr_scope_free(struct tw_expr_scope *s);

/* The value slot of variable name, created (with value NaN: "not known
 * yet") when absent.  The scope copies name; any string may be a name
 * here, though only valid names (tw_expr_name_ok) can appear in text.
 * The pointer stays valid until tw_expr_scope_free. */
double *tw_expr_scope_var(struct tw_expr_scope *s, const char *name);

/* The slot of name, or NULL when the scope has no such variable. */
double *tw_expr_scope_find(const struct tw_expr_scope *s, const char *name);

/* The variables in the order they were created: i in [0, count).  The
 * name is owned by the scope. */
int tw_expr_scope_count(const struct tw_expr_scope *s);
const char *tw_expr_scope_name(const struct tw_expr_scope *s, int i);
double *tw_expr_scope_slot(const struct tw_expr_scope *s, int i);

/* True when name may be used as a variable in an expression. */
bool tw_expr_name_ok(const char *name);

/* Parses text now and binds every variable it uses to s's slot of that
 * name.  When create_vars is true a variable s lacks is created in s;
 * when false it is an error.  Returns the expression (the caller frees it
 * with tw_expr_free), or NULL with a message in e that names a 1-based
 * byte column of text, such as
 *   unknown variable 'x' at column 7
 *   unknown function 'fmod' at column 1
 *   syntax error at column 4: Unexpected end of expression
 * so the caller can prefix the file and the JSON path.  A failed compile
 * leaves s as it was.  Compiling evaluates text once (muparser parses on
 * first evaluation); the result is discarded. */
struct tw_expr *tw_expr_compile(struct tw_expr_scope *s, const char *text,
				bool create_vars, struct tw_err *e);

/* The value of x with the scope's current values: muparser's bytecode,
 * no allocation.  NaN if muparser reports an error while evaluating (this
 * build reports none: 1/0 is inf, sqrt(-1) is NaN, as in C). */
double tw_expr_eval(struct tw_expr *x);

/* The variables x uses, each once, in the order they first appear in the
 * text: i in [0, nvars).  Names are owned by the scope. */
int tw_expr_nvars(const struct tw_expr *x);
const char *tw_expr_var(const struct tw_expr *x, int i);

/* The text x was compiled from (a copy x owns). */
const char *tw_expr_text(const struct tw_expr *x);

void tw_expr_free(struct tw_expr *x);

#endif
