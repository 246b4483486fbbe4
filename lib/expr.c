/* expr.c - see expr.h.
 *
 * muparser does the parsing and the evaluation.  Before it sees a text we
 * check and rewrite it ourselves (check and rewrite below), for what its C
 * API cannot express:
 * - muparser has no unary '!', and mupDefineInfixOprt passes its
 *   "optimize" flag as the operator's precedence (0 or 1, below ||), so a
 *   '!' defined there would make !a && b mean !(a && b).  We rewrite
 *   "!operand" as "not(operand)", the operand scanned as muparser scans
 *   the operand of unary minus; a map from rewritten to original offsets
 *   keeps error columns right.
 * - '=' is muparser's assignment (a rule "temp_c = 80" would overwrite
 *   the sensor), and a top-level ',' evaluates several expressions and
 *   keeps the last: both are rejected.
 * - Too large a number ("1e400") silently reads as 0 in muparser:
 *   rejected.
 * - A call of a function muparser lacks is reported by name instead of
 *   as an "unexpected parenthesis"; "sin (x)" (a blank before the '(')
 *   would be a variable sin followed by a group: the blank is dropped.
 * - GCC builds of muparser define _pi as 3.141592653589: redefined.
 * Left as muparser does it (documented in twin-description(5)): its
 * optimizer folds && and || of two constants after truncating them to
 * integers, so "0.5 && 1" is 0 while a && b with a = 0.5 is 1. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <muParserDLL.h>

#include "expr.h"

/* Slots per block: a block is allocated once and never moved. */
#define BLOCK 256

struct tw_expr_scope {
	double **block;
	int nblock;
	char **name;           /* name[i] owns the name of slot i */
	int n, cap;
	int *tab;              /* open addressing: slot index + 1, 0 empty */
	size_t tabcap;         /* a power of two, at least 2 n */
};

struct tw_expr {
	muParserHandle_t h;
	struct tw_expr_scope *scope;
	char *text;
	const char **var;      /* borrowed from the scope */
	int nvar, capvar;
	/* While compiling: */
	bool create_vars;
	char *unknown;         /* first variable the scope lacks, or a bad name */
	bool bad_name;
	double dummy;          /* bound to unknown names, then x is freed */
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();  /* out of memory: see expr.h */
	return p;
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xrealloc(NULL, n), s, n);
}

/* ---- The scope ---- */

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* The table cell for name: the one holding it, or the empty cell where
 * it would go. */
static int *cell(const struct tw_expr_scope *s, const char *name)
{
	size_t mask = s->tabcap - 1;
	for (size_t i = hash_of(name) & mask;; i = (i + 1) & mask) {
		int *c = &s->tab[i];
		if (!*c || strcmp(s->name[*c - 1], name) == 0)
			return c;
	}
}

static void rehash(struct tw_expr_scope *s, size_t cap)
{
	free(s->tab);
	s->tabcap = cap;
	s->tab = xrealloc(NULL, cap * sizeof *s->tab);
	memset(s->tab, 0, cap * sizeof *s->tab);
	for (int i = 0; i < s->n; i++)
		*cell(s, s->name[i]) = i + 1;
}

struct tw_expr_scope *tw_expr_scope_new(void)
{
	struct tw_expr_scope *s = xrealloc(NULL, sizeof *s);

	memset(s, 0, sizeof *s);
	rehash(s, 16);
	return s;
}

void tw_expr_scope_free(struct tw_expr_scope *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nblock; i++)
		free(s->block[i]);
	for (int i = 0; i < s->n; i++)
		free(s->name[i]);
	free(s->block);
	free(s->name);
	free(s->tab);
	free(s);
}

double *tw_expr_scope_slot(const struct tw_expr_scope *s, int i)
{
	if (i < 0 || i >= s->n)
		return NULL;
	return &s->block[i / BLOCK][i % BLOCK];
}

double *tw_expr_scope_find(const struct tw_expr_scope *s, const char *name)
{
	int c = *cell(s, name);

	return c ? tw_expr_scope_slot(s, c - 1) : NULL;
}

double *tw_expr_scope_var(struct tw_expr_scope *s, const char *name)
{
	int *c = cell(s, name);
	double *v;

	if (*c)
		return tw_expr_scope_slot(s, *c - 1);
	if (s->n == INT32_MAX)
		abort();
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->name = xrealloc(s->name, (size_t)s->cap * sizeof *s->name);
	}
	if (s->n == s->nblock * BLOCK) {
		s->block = xrealloc(s->block, (size_t)(s->nblock + 1) * sizeof *s->block);
		s->block[s->nblock++] = xrealloc(NULL, BLOCK * sizeof **s->block);
	}
	s->name[s->n] = xstrdup(name);
	*c = ++s->n;
	v = tw_expr_scope_slot(s, s->n - 1);
	*v = NAN;
	if ((size_t)s->n * 2 > s->tabcap)
		rehash(s, s->tabcap * 2);
	return v;
}

/* Forgets the variables created after the first n (a failed compile
 * must leave the scope as it found it).  Their blocks stay for reuse. */
static void scope_truncate(struct tw_expr_scope *s, int n)
{
	if (n >= s->n)
		return;
	while (s->n > n)
		free(s->name[--s->n]);
	rehash(s, s->tabcap);
}

int tw_expr_scope_count(const struct tw_expr_scope *s)
{
	return s->n;
}

const char *tw_expr_scope_name(const struct tw_expr_scope *s, int i)
{
	return i >= 0 && i < s->n ? s->name[i] : NULL;
}

/* ---- Names and tokens, as muparser reads them ---- */

static const char NAME_CHARS[] = "0123456789_.abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static bool name_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

bool tw_expr_name_ok(const char *name)
{
	size_t n;

	if (!name || !name_start(name[0]))
		return false;
	for (n = 1; name[n]; n++)
		if (!name_char(name[n]) || (name[n] == '.' && name[n - 1] == '.'))
			return false;
	return name[n - 1] != '.';
}

/* Functions muparser 2.3 defines, and ours. */
static const char *const FUNCS[] = {
	"sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
	"tanh", "asinh", "acosh", "atanh", "exp", "ln", "log", "log2",
	"log10", "sqrt", "abs", "sign", "rint", "min", "max", "sum", "avg",
	"clamp", "not",
};

static bool is_func(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof FUNCS / sizeof *FUNCS; i++)
		if (strlen(FUNCS[i]) == n && memcmp(FUNCS[i], s, n) == 0)
			return true;
	return false;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t skip_space(const char *s, size_t i, size_t to)
{
	while (i < to && isspace((unsigned char)s[i]))
		i++;
	return i;
}

static size_t name_end(const char *s, size_t i, size_t to)
{
	while (i < to && name_char(s[i]))
		i++;
	return i;
}

/* A decimal number: digits, fraction, exponent (as strtod reads it). */
static size_t number_end(const char *s, size_t i, size_t to)
{
	while (i < to && is_digit(s[i]))
		i++;
	if (i < to && s[i] == '.')
		for (i++; i < to && is_digit(s[i]); i++)
			;
	if (i < to && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		if (j < to && (s[j] == '+' || s[j] == '-'))
			j++;
		if (j < to && is_digit(s[j]))
			for (i = j; i < to && is_digit(s[i]); i++)
				;
	}
	return i;
}

static bool number_start(const char *s, size_t i, size_t to)
{
	return is_digit(s[i]) || (s[i] == '.' && i + 1 < to && is_digit(s[i + 1]));
}

/* Just after the ')' matching the '(' at i, or to when it has none. */
static size_t paren_end(const char *s, size_t i, size_t to)
{
	int depth = 0;

	for (; i < to; i++)
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth == 0)
			return i + 1;
	return to;
}

static bool is_not(const char *s, size_t i, size_t to)
{
	return s[i] == '!' && !(i + 1 < to && s[i + 1] == '=');
}

/* The end of the operand of a unary operator that starts at i: further
 * unary operators, then a number, a name, a call or a parenthesized
 * group, then any "^ operand" (^ binds tighter than unary operators in
 * muparser: -2^2 is -4).  Returns 0 when there is no operand (an operand
 * never ends at 0: the operator is before it). */
static size_t operand_end(const char *s, size_t i, size_t to)
{
	size_t j;

	i = skip_space(s, i, to);
	while (i < to && (s[i] == '-' || s[i] == '+' || is_not(s, i, to)))
		i = skip_space(s, i + 1, to);
	if (i >= to)
		return 0;
	if (s[i] == '(')
		j = paren_end(s, i, to);
	else if (number_start(s, i, to))
		j = number_end(s, i, to);
	else if (name_start(s[i])) {
		size_t k;
		j = name_end(s, i, to);
		k = skip_space(s, j, to);
		if (k < to && s[k] == '(')
			j = paren_end(s, k, to);
	} else
		return 0;
	i = skip_space(s, j, to);
	if (i < to && s[i] == '^') {
		size_t k = operand_end(s, i + 1, to);
		if (k)
			return k;
	}
	return j;
}

/* The text muparser sees, and for each of its bytes the offset in the
 * original text of the byte it came from. */
struct prep {
	char *out;
	size_t *map;
	size_t len, cap;
};

static void emit(struct prep *p, const char *s, size_t n, size_t from)
{
	if (p->cap - p->len < n + 1) {
		while (p->cap - p->len < n + 1)
			p->cap = p->cap ? 2 * p->cap : 64;
		p->out = xrealloc(p->out, p->cap);
		p->map = xrealloc(p->map, p->cap * sizeof *p->map);
	}
	for (size_t k = 0; k < n; k++) {
		p->out[p->len] = s[k];
		p->map[p->len++] = from;
	}
	p->out[p->len] = '\0';
}

static void rewrite(struct prep *p, const char *s, size_t i, size_t to)
{
	while (i < to) {
		size_t j;
		if (is_not(s, i, to) && (j = operand_end(s, i + 1, to)) != 0) {
			emit(p, "not(", 4, i);
			rewrite(p, s, i + 1, j);
			emit(p, ")", 1, j);
			i = j;
		} else if (number_start(s, i, to)) {
			/* whole, so that the "e5" of "1e5" is not a name */
			for (j = number_end(s, i, to); i < j; i++)
				emit(p, &s[i], 1, i);
		} else if (name_start(s[i])) {
			/* muparser takes "sin (x)" for a variable sin: drop the
			 * blanks between a name and its '(' */
			size_t k;
			for (j = name_end(s, i, to); i < j; i++)
				emit(p, &s[i], 1, i);
			k = skip_space(s, j, to);
			if (k < to && s[k] == '(')
				i = k;
		} else {
			emit(p, &s[i], 1, i);
			i++;
		}
	}
}

/* What muparser would accept but we do not. */
static int check(const char *s, size_t len, struct tw_err *e)
{
	size_t i = 0;
	int depth = 0;

	while (i < len) {
		char c = s[i];
		if (number_start(s, i, len)) {
			size_t j = number_end(s, i, len);
			char *num = xrealloc(NULL, j - i + 1);
			double v;
			memcpy(num, &s[i], j - i);
			num[j - i] = '\0';
			errno = 0;
			v = strtod(num, NULL);
			free(num);
			if (errno == ERANGE && fabs(v) == HUGE_VAL)
				return tw_err_set(e, "number out of range at column %zu", i + 1);
			i = j;
		} else if (name_start(c)) {
			size_t j = name_end(s, i, len), k = skip_space(s, j, len);
			if (k < len && s[k] == '(' && !is_func(&s[i], j - i)) {
				char q[TW_QUOTE_BUF];
				return tw_err_set(e, "unknown function '%s' at column %zu",
						  tw_err_quote(q, &s[i], j - i), i + 1);
			}
			i = j;
		} else if (c == '=') {
			char prev = i ? s[i - 1] : 0;
			if (i + 1 < len && s[i + 1] == '=')
				i += 2;
			else if (prev && strchr("!<>", prev))
				i++;
			else
				return tw_err_set(e, "assignment is not allowed, at column %zu "
						  "(to compare, write ==)", i + 1);
		} else {
			if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			else if (c == ',' && depth <= 0)
				return tw_err_set(e, "unexpected ',' at column %zu", i + 1);
			i++;
		}
	}
	return 0;
}

/* The column (1-based) of the first use of name in s as a whole word:
 * neither a name character before (that excludes the "e5" of "1e5") nor
 * after.  0 if none. */
static size_t name_column(const char *s, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = s; (p = strstr(p, name)) != NULL; p++)
		if ((p == s || !name_char(p[-1])) && !name_char(p[n]))
			return (size_t)(p - s) + 1;
	return 0;
}

/* ---- Expressions ---- */

static double fn_not(double v)
{
	return v == 0;
}

static double fn_clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* muparser calls this for each name it has no variable for, once per
 * name (it then defines the name on its handle), in the order of the
 * text: so this also lists the variables the expression uses. */
static double *factory(const char *name, void *data)
{
	struct tw_expr *x = data;
	int *c;

	if (x->unknown)
		return &x->dummy;  /* failed already: the first one is reported */
	if (!tw_expr_name_ok(name)) {
		x->unknown = xstrdup(name);
		x->bad_name = true;
		return &x->dummy;
	}
	c = cell(x->scope, name);
	if (!*c) {
		if (!x->create_vars) {
			x->unknown = xstrdup(name);
			return &x->dummy;
		}
		tw_expr_scope_var(x->scope, name);
		c = cell(x->scope, name);  /* the table may have grown */
	}
	if (x->nvar == x->capvar) {
		x->capvar = x->capvar ? 2 * x->capvar : 8;
		x->var = xrealloc(x->var, (size_t)x->capvar * sizeof *x->var);
	}
	x->var[x->nvar++] = x->scope->name[*c - 1];
	return tw_expr_scope_slot(x->scope, *c - 1);
}

/* muparser's message without its " at position N" (an offset into the
 * rewritten text, and we give a column instead) or trailing '.'. */
static void strip_position(char *msg)
{
	static const char *const tails[] = {
		" found at position ", " at expression position ", " at position ",
		" (position: ",
	};
	size_t n;

	for (size_t i = 0; i < sizeof tails / sizeof *tails; i++) {
		char *p = strstr(msg, tails[i]);
		if (p) {
			*p = '\0';
			break;
		}
	}
	n = strlen(msg);
	while (n && (msg[n - 1] == '.' || msg[n - 1] == ' '))
		msg[--n] = '\0';
}

/* The longest rewritten text whose muparser message surely fits the C
 * API's buffer (2048 bytes: a message of at most 200 bytes besides the
 * token it quotes). */
#define MUP_MSG_SAFE 1800

/* Reports the error muparser holds for x, compiled from text via p. */
static int syntax_error(struct tw_expr *x, const char *text, const struct prep *p,
			struct tw_err *e)
{
	char msg[512], q[TW_QUOTE_BUF];
	int code = mupGetErrorCode(x->h), pos = mupGetErrorPos(x->h);
	size_t len = strlen(text), col;

	/* Past the end (muparser counts a blank it appends) or none (a
	 * missing else): the end of the text. */
	col = pos < 0 || (size_t)pos >= p->len ? len : p->map[pos];
	if (col < len && text[col] == '!' && (size_t)pos < p->len && p->out[pos] == 'n')
		snprintf(msg, sizeof msg, "Unexpected operator \"!\"");
	else if (code == 1 && col < len) {
		/* muparser quotes the whole rest of the text: quote one token. */
		size_t n = name_start(text[col]) ? name_end(text, col, len) - col : 1;
		snprintf(msg, sizeof msg, "Unexpected token \"%s\"",
			 tw_err_quote(q, &text[col], n));
	} else if (p->len < MUP_MSG_SAFE) {
		/* Copied at once: muparser returns a static buffer. */
		snprintf(msg, sizeof msg, "%s", mupGetErrorMsg(x->h));
		strip_position(msg);
	} else {
		/* That buffer is 2048 bytes, and the message quotes a token,
		 * which may be most of a long text: it would overflow. */
		snprintf(msg, sizeof msg, "muparser error %d", code);
	}
	return tw_err_set(e, "syntax error at column %zu: %s", col + 1, msg);
}

struct tw_expr *tw_expr_compile(struct tw_expr_scope *s, const char *text,
				bool create_vars, struct tw_err *e)
{
	struct prep p = { NULL, NULL, 0, 0 };
	struct tw_expr *x;
	int n0 = s->n, bad = 0;
	size_t len;

	if (!text)
		text = "";
	len = strlen(text);
	if (skip_space(text, 0, len) == len) {
		tw_err_set(e, "empty expression");
		return NULL;
	}
	if (check(text, len, e) < 0)
		return NULL;
	emit(&p, "", 0, 0);
	rewrite(&p, text, 0, len);
	p.map[p.len] = len;  /* emit left room for it */

	x = xrealloc(NULL, sizeof *x);
	memset(x, 0, sizeof *x);
	x->scope = s;
	x->create_vars = create_vars;
	x->text = xstrdup(text);
	x->h = mupCreate(muBASETYPE_FLOAT);
	if (!x->h)
		abort();
	mupDefineNameChars(x->h, NAME_CHARS);
	mupDefineConst(x->h, "_pi", M_PI);
	mupDefineConst(x->h, "_e", M_E);
	mupDefineFun1(x->h, "not", fn_not, 1);
	mupDefineFun3(x->h, "clamp", fn_clamp, 1);
	if (mupError(x->h))
		abort();  /* the definitions above are fixed: cannot fail */
	mupSetVarFactory(x->h, factory, x);
	mupSetExpr(x->h, p.out);
	if (mupError(x->h))
		bad = syntax_error(x, text, &p, e);
	else {
		/* Parses, binds and optimizes; later calls run the bytecode. */
		mupEval(x->h);
		if (mupError(x->h) && !x->unknown)
			bad = syntax_error(x, text, &p, e);
	}
	/* Before any syntax error, since muparser reads left to right. */
	if (x->unknown) {
		char q[TW_QUOTE_BUF];
		bad = tw_err_set(e, "%s '%s' at column %zu",
				 x->bad_name ? "invalid name" : "unknown variable",
				 tw_err_quote(q, x->unknown, strlen(x->unknown)),
				 name_column(text, x->unknown));
	}
	free(x->unknown);
	x->unknown = NULL;
	free(p.out);
	free(p.map);
	if (bad) {
		tw_expr_free(x);
		scope_truncate(s, n0);
		return NULL;
	}
	return x;
}

double tw_expr_eval(struct tw_expr *x)
{
	double v = mupEval(x->h);

	return mupError(x->h) ? NAN : v;
}

int tw_expr_nvars(const struct tw_expr *x)
{
	return x->nvar;
}

const char *tw_expr_var(const struct tw_expr *x, int i)
{
	return i >= 0 && i < x->nvar ? x->var[i] : NULL;
}

const char *tw_expr_text(const struct tw_expr *x)
{
	return x->text;
}

void tw_expr_free(struct tw_expr *x)
{
	if (!x)
		return;
	if (x->h)
		mupRelease(x->h);
	free(x->var);
	free(x->unknown);
	free(x->text);
	free(x);
}
