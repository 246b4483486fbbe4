/* record.c - see record.h
 *
 * The jsmn implementation is compiled here, once for the whole library:
 * every other file includes jsmn.h with JSMN_HEADER (through record.h).
 *
 * jsmn, even in strict mode, accepts much that is not JSON ({"a":1,},
 * {"a":}, {"a":1 "b":2}, [1,,2], leading ':' or ',', bad numbers, raw
 * control characters and bad UTF-8 in strings, lone surrogates ...) and
 * its token sizes are wrong for some of it.  So jsmn only finds the
 * tokens, and check() then walks them in document order against the
 * bytes of the line: every byte between two tokens must be what JSON's
 * grammar puts there, every token must start where the grammar expects
 * the next value or key, and every string, number and literal is checked
 * in full.  The walk also rewrites each token's parent and size, so the
 * accessors below never depend on what jsmn guessed.
 *
 * What is accepted is what jansson 2.14 accepts with
 * json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL
 * | JSON_ALLOW_NUL, ...) when the result is an object (the unit test
 * checks this differentially):
 *   - nothing before or after the object but ' ', '\t', '\r', '\n';
 *   - duplicate keys rejected in every object, compared after unescaping
 *     ("a" and "\u0061" are the same key);
 *   - \u0000 allowed in string values (JSON_ALLOW_NUL) but not in keys
 *     (jansson: "NUL byte in object key not supported");
 *   - lone or unpaired surrogate escapes rejected; UTF-8 strict (no
 *     overlongs, no encoded surrogates, nothing above U+10FFFF);
 *   - numbers by JSON's grammar; every number is a double (integers too,
 *     as JSON_DECODE_INT_AS_REAL reads them, so 123456789012345678901234567890
 *     is accepted as 1.2345678901234568e+29); overflow to infinity is
 *     rejected, underflow reads as 0 or a subnormal (1e-400 is 0);
 *   - at most TW_REC_MAX_DEPTH nested objects and arrays, counting the
 *     record itself (jansson's JSON_PARSER_MAX_DEPTH).
 */
#include <jsmn.h>

#include "record.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "timestamp.h"

#define TW_REC_MAX_DEPTH 2048
#define TOK_FIRST 64
#define SMALL_OBJECT 16   /* up to this many keys: pairwise duplicate check */

/* Error kinds of a failed check, turned into a message by fail(). */
enum {
	E_JSON = 1, E_ESCAPE, E_UTF8, E_RANGE, E_NULKEY, E_DEPTH, E_DUP,
	E_NOTOBJ, E_EMPTY
};

struct fail {
	int kind;
	size_t pos;   /* 0-based byte offset */
	int tok;      /* for E_DUP: the key token */
};

void tw_rec_init(struct tw_rec *r)
{
	memset(r, 0, sizeof *r);
	r->tok = NULL;
	r->line = NULL;
	r->ts = r->asset = r->kind = r->sensor = r->value = -1;
}

void tw_rec_release(struct tw_rec *r)
{
	free(r->tok);
	tw_rec_init(r);
}

/* The token array and, behind it in the same block, the key stack of the
 * duplicate check (never more entries than tokens). */
static int grow(struct tw_rec *r, int want)
{
	int cap = r->cap ? r->cap : TOK_FIRST;

	while (cap < want) {
		if (cap > INT_MAX / 2)
			return -1;
		cap *= 2;
	}
	if (cap == r->cap)
		return 0;
	size_t sz = (size_t)cap * (sizeof(jsmntok_t) + sizeof(int));
	jsmntok_t *t = realloc(r->tok, sz);
	if (!t)
		return -1;
	r->tok = t;
	r->cap = cap;
	return 0;
}

static inline int *key_stack(const struct tw_rec *r)
{
	return (int *)(void *)(r->tok + r->cap);
}

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline size_t skip_ws(const char *s, size_t p, size_t len)
{
	while (p < len && is_ws((unsigned char)s[p]))
		p++;
	return p;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The four hex digits at s, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hexval((unsigned char)s[k]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Length of the well-formed UTF-8 sequence at u[0..n), or 0. */
static size_t utf8_seq(const unsigned char *u, size_t n)
{
	unsigned c = u[0];
	size_t need;
	uint32_t cp, min;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		need = 2, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n - 1 < need)
		return 0;
	for (size_t k = 1; k <= need; k++) {
		if ((u[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (u[k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* Nonzero for the bytes that end a run of plain string content: '"',
 * '\\', control characters and non-ASCII. */
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char str_stop[256] = {
	R16(1), R16(1),
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x22 '"' */
	R16(0), R16(0),
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,   /* 0x5c '\\' */
	R16(0), R16(0),
	R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
};
#undef R16

/* Checks the string whose content starts at s[p] (after its quote) up to
 * its closing quote.  Sets *end to the closing quote and *esc when the
 * string has escapes.  Returns 0, or an error kind with f->pos. */
static int scan_str(const char *s, size_t len, size_t p, bool key,
		    size_t *end, bool *esc, struct fail *f)
{
	const unsigned char *u = (const unsigned char *)s;

	*esc = false;
	for (;;) {
		while (p < len && !str_stop[u[p]])
			p++;
		if (p >= len) {
			f->pos = len;
			return E_JSON;   /* unterminated */
		}
		unsigned c = u[p];
		if (c == '"') {
			*end = p;
			return 0;
		}
		if (c < 0x20) {
			f->pos = p;
			return E_JSON;   /* raw control character */
		}
		if (c >= 0x80) {
			size_t k = utf8_seq(u + p, len - p);
			if (!k) {
				f->pos = p;
				return E_UTF8;
			}
			p += k;
			continue;
		}
		/* A backslash. */
		*esc = true;
		f->pos = p;
		if (p + 1 >= len)
			return E_JSON;
		switch (u[p + 1]) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			p += 2;
			continue;
		case 'u':
			break;
		default:
			return E_ESCAPE;
		}
		long v = len - p >= 6 ? hex4(s + p + 2) : -1;
		if (v < 0)
			return E_ESCAPE;
		if (v >= 0xdc00 && v <= 0xdfff)
			return E_ESCAPE;   /* a low surrogate alone */
		if (v >= 0xd800 && v <= 0xdbff) {
			long lo = len - p >= 12 && u[p + 6] == '\\' && u[p + 7] == 'u'
				? hex4(s + p + 8) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return E_ESCAPE;
			p += 12;
			continue;
		}
		if (v == 0 && key)
			return E_NULKEY;
		p += 6;
	}
}

/* Checks a number or literal token s[a..b).  Returns 0, or an error kind
 * with f->pos. */
static int check_prim(const char *s, size_t a, size_t b, struct fail *f)
{
	size_t n = b - a, i = a;

	switch (s[a]) {
	case 't':
		if (n == 4 && memcmp(s + a, "true", 4) == 0)
			return 0;
		f->pos = a;
		return E_JSON;
	case 'f':
		if (n == 5 && memcmp(s + a, "false", 5) == 0)
			return 0;
		f->pos = a;
		return E_JSON;
	case 'n':
		if (n == 4 && memcmp(s + a, "null", 4) == 0)
			return 0;
		f->pos = a;
		return E_JSON;
	}

	/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and where the
	 * first significant digit stands: the value lies in [10^e10, 10^(e10+1)). */
	bool zero = true;
	int64_t e10 = 0, ex = 0;
	if (i < b && s[i] == '-')
		i++;
	if (i < b && s[i] == '0') {
		i++;
	} else if (i < b && s[i] >= '1' && s[i] <= '9') {
		size_t i0 = i;
		while (i < b && s[i] >= '0' && s[i] <= '9')
			i++;
		zero = false;
		e10 = (int64_t)(i - i0) - 1;
	} else {
		f->pos = i;
		return E_JSON;
	}
	if (i < b && s[i] == '.') {
		size_t f0 = ++i;
		while (i < b && s[i] >= '0' && s[i] <= '9') {
			if (zero && s[i] != '0') {
				zero = false;
				e10 = -(int64_t)(i - f0) - 1;
			}
			i++;
		}
		if (i == f0) {
			f->pos = i;
			return E_JSON;
		}
	}
	if (i < b && (s[i] == 'e' || s[i] == 'E')) {
		bool neg = false;
		i++;
		if (i < b && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		size_t x0 = i;
		while (i < b && s[i] >= '0' && s[i] <= '9') {
			if (ex < INT64_C(1000000000000))
				ex = ex * 10 + (s[i] - '0');
			i++;
		}
		if (i == x0) {
			f->pos = i;
			return E_JSON;
		}
		e10 += neg ? -ex : ex;
	}
	if (i != b) {
		f->pos = i;
		return E_JSON;
	}
	/* DBL_MAX is 1.8e308: below 10^308 always finite, from 10^309 on
	 * always infinite; in between let strtod decide. */
	if (zero || e10 <= 307)
		return 0;
	double v;
	if (e10 >= 309 || tw_num_parse(s + a, n, &v, NULL) < 0) {
		f->pos = a;
		return E_RANGE;
	}
	return 0;
}

/* Decodes the escape at s[*i] (a backslash, already validated) into out;
 * returns the number of bytes written and advances *i past it. */
static size_t unescape1(const char *s, size_t *i, unsigned char out[4])
{
	char c = s[*i + 1];

	*i += 2;
	switch (c) {
	case 'b': out[0] = '\b'; return 1;
	case 'f': out[0] = '\f'; return 1;
	case 'n': out[0] = '\n'; return 1;
	case 'r': out[0] = '\r'; return 1;
	case 't': out[0] = '\t'; return 1;
	case 'u': break;
	default:  out[0] = (unsigned char)c; return 1;
	}
	uint32_t cp = (uint32_t)hex4(s + *i);
	*i += 4;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		uint32_t lo = (uint32_t)hex4(s + *i + 2);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*i += 6;
	}
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Reads the unescaped bytes of a validated string one at a time. */
struct ustr {
	const char *s;
	size_t i, n;
	unsigned char b[4];
	unsigned bi, bn;
};

static void ustr_init(struct ustr *u, const char *s, size_t n)
{
	u->s = s;
	u->i = 0;
	u->n = n;
	u->bi = u->bn = 0;
}

static int ustr_next(struct ustr *u)
{
	if (u->bi < u->bn)
		return u->b[u->bi++];
	if (u->i >= u->n)
		return -1;
	if (u->s[u->i] != '\\')
		return (unsigned char)u->s[u->i++];
	u->bn = (unsigned)unescape1(u->s, &u->i, u->b);
	u->bi = 1;
	return u->b[0];
}

/* Orders two strings (raw, escaped when esc) by their unescaped bytes. */
static int ucmp(const char *a, size_t na, bool esca, const char *b, size_t nb, bool escb)
{
	if (!esca && !escb) {
		int c = memcmp(a, b, na < nb ? na : nb);
		return c ? c : (na > nb) - (na < nb);
	}
	struct ustr ua, ub;
	ustr_init(&ua, a, na);
	ustr_init(&ub, b, nb);
	for (;;) {
		int ca = ustr_next(&ua), cb = ustr_next(&ub);
		if (ca != cb)
			return ca - cb;   /* -1 (the end) sorts first */
		if (ca < 0)
			return 0;
	}
}

/* A key stack entry is the key's token index times two, plus one when the
 * key has escapes.  key_cmp orders keys by their unescaped bytes; key_eq
 * is the fast test for the pairwise check. */
static int key_cmp(const struct tw_rec *r, int ka, int kb)
{
	const jsmntok_t *a = &r->tok[ka >> 1], *b = &r->tok[kb >> 1];

	return ucmp(r->line + a->start, (size_t)(a->end - a->start), ka & 1,
		    r->line + b->start, (size_t)(b->end - b->start), kb & 1);
}

static inline bool key_eq(const struct tw_rec *r, int ka, int kb)
{
	const jsmntok_t *a = &r->tok[ka >> 1], *b = &r->tok[kb >> 1];
	int na = a->end - a->start, nb = b->end - b->start;

	if (!((ka | kb) & 1))   /* both plain: the common case */
		return na == nb && memcmp(r->line + a->start, r->line + b->start, (size_t)na) == 0;
	return key_cmp(r, ka, kb) == 0;
}

static void sift(const struct tw_rec *r, int *k, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && key_cmp(r, k[c], k[c + 1]) < 0)
			c++;
		if (key_cmp(r, k[root], k[c]) >= 0)
			return;
		int t = k[root];
		k[root] = k[c];
		k[c] = t;
		root = c;
	}
}

/* The duplicate check of one object's keys k[0..n): pairwise for small
 * objects, a heap sort for large ones (in place, no allocation).  Returns
 * the token of a duplicated key, or -1. */
static int find_dup(const struct tw_rec *r, int *k, size_t n)
{
	if (n <= SMALL_OBJECT) {
		for (size_t a = 1; a < n; a++)
			for (size_t b = 0; b < a; b++)
				if (key_eq(r, k[a], k[b]))
					return k[a] >> 1;
		return -1;
	}
	for (size_t i = n / 2; i-- > 0;)
		sift(r, k, i, n);
	for (size_t m = n - 1; m > 0; m--) {
		int t = k[0];
		k[0] = k[m];
		k[m] = t;
		sift(r, k, 0, m);
	}
	for (size_t a = 1; a < n; a++)
		if (key_cmp(r, k[a - 1], k[a]) == 0)
			return k[a] >> 1;
	return -1;
}

/* Notes a top-level key that is one of the common fields. */
static void common_key(struct tw_rec *r, int k, bool esc)
{
	const jsmntok_t *t = &r->tok[k];
	const char *s = r->line + t->start;
	size_t n = (size_t)(t->end - t->start);
	char tmp[40];

	if (esc) {
		if (n >= sizeof tmp)
			return;
		n = tw_rec_str(r, k, tmp);
		s = tmp;
	}
	switch (n) {
	case 2:
		if (memcmp(s, "ts", 2) == 0)
			r->ts = k + 1;
		break;
	case 4:
		if (memcmp(s, "kind", 4) == 0)
			r->kind = k + 1;
		break;
	case 5:
		if (memcmp(s, "asset", 5) == 0)
			r->asset = k + 1;
		else if (memcmp(s, "value", 5) == 0)
			r->value = k + 1;
		break;
	case 6:
		if (memcmp(s, "sensor", 6) == 0)
			r->sensor = k + 1;
		break;
	}
}

enum { ST_VALUE, ST_KEY, ST_OPENED, ST_AFTER };

/* Walks the n tokens against the line (see the top of the file). */
static int check(struct tw_rec *r, int n, struct fail *f)
{
	const char *s = r->line;
	size_t len = r->len, p = 0, end;
	jsmntok_t *t = r->tok;
	int *keys = key_stack(r);
	int i = 0, cur = -1, depth = 0, nk = 0, st = ST_VALUE, rc;
	bool esc;

	for (;;) {
		p = skip_ws(s, p, len);
		f->pos = p;
		if (p >= len && !(st == ST_AFTER && cur < 0))
			return E_JSON;
		switch (st) {
		case ST_VALUE: {
			if (i >= n)
				return E_JSON;
			jsmntok_t *v = &t[i];
			int parent = cur;
			if (cur >= 0) {
				if (t[cur].type == JSMN_OBJECT) {
					parent = i - 1;
					t[parent].size = 1;
				} else {
					t[cur].size++;
				}
			}
			v->parent = parent;
			switch (v->type) {
			case JSMN_STRING:
				if (s[p] != '"' || (size_t)v->start != p + 1)
					return E_JSON;
				if ((rc = scan_str(s, len, p + 1, false, &end, &esc, f)))
					return rc;
				if ((size_t)v->end != end)
					return f->pos = end, E_JSON;
				v->size = 0;
				p = end + 1;
				st = ST_AFTER;
				break;
			case JSMN_PRIMITIVE:
				if ((size_t)v->start != p || v->end <= v->start)
					return E_JSON;
				if ((rc = check_prim(s, p, (size_t)v->end, f)))
					return rc;
				v->size = 0;
				p = (size_t)v->end;
				st = ST_AFTER;
				break;
			case JSMN_OBJECT:
			case JSMN_ARRAY:
				if ((size_t)v->start != p
				    || s[p] != (v->type == JSMN_OBJECT ? '{' : '['))
					return E_JSON;
				if (++depth > TW_REC_MAX_DEPTH)
					return E_DEPTH;
				v->size = 0;
				cur = i;
				p++;
				st = ST_OPENED;
				break;
			default:
				return E_JSON;
			}
			i++;
			break;
		}
		case ST_KEY: {
			jsmntok_t *k = &t[i];
			if (i >= n || s[p] != '"' || k->type != JSMN_STRING
			    || (size_t)k->start != p + 1)
				return E_JSON;
			if ((rc = scan_str(s, len, p + 1, true, &end, &esc, f)))
				return rc;
			if ((size_t)k->end != end)
				return f->pos = end, E_JSON;
			k->parent = cur;
			k->size = 0;
			t[cur].size++;
			keys[nk++] = i * 2 + esc;
			if (cur == 0)
				common_key(r, i, esc);
			p = skip_ws(s, end + 1, len);
			if (p >= len || s[p] != ':')
				return f->pos = p, E_JSON;
			p++;
			i++;
			st = ST_VALUE;
			break;
		}
		case ST_OPENED:
			if (s[p] == (t[cur].type == JSMN_OBJECT ? '}' : ']'))
				goto close;
			st = t[cur].type == JSMN_OBJECT ? ST_KEY : ST_VALUE;
			break;
		case ST_AFTER:
			if (cur < 0) {
				if (p != len || i != n)
					return E_JSON;
				return 0;
			}
			if (s[p] == ',') {
				p++;
				st = t[cur].type == JSMN_OBJECT ? ST_KEY : ST_VALUE;
				break;
			}
			if (s[p] != (t[cur].type == JSMN_OBJECT ? '}' : ']'))
				return E_JSON;
		close:
			if ((size_t)t[cur].end != p + 1)
				return E_JSON;
			if (t[cur].type == JSMN_OBJECT) {
				size_t nkeys = (size_t)t[cur].size;
				int d = find_dup(r, keys + nk - nkeys, nkeys);
				if (d >= 0) {
					f->tok = d;
					f->pos = (size_t)t[d].start - 1;
					return E_DUP;
				}
				nk -= (int)nkeys;
			}
			depth--;
			p++;
			{
				int up = t[cur].parent;
				cur = up >= 0 && t[up].type == JSMN_STRING ? t[up].parent : up;
			}
			st = ST_AFTER;
			break;
		}
	}
}

/* A diagnosis for a line jsmn refused: its position, and when it points
 * at a string, what is wrong inside. */
static int diagnose(const struct tw_rec *r, size_t pos, struct fail *f)
{
	size_t end;
	bool esc;

	f->pos = pos;
	if (pos < r->len && r->line[pos] == '"') {
		int rc = scan_str(r->line, r->len, pos + 1, false, &end, &esc, f);
		if (rc)
			return rc;
		f->pos = pos;
	}
	return E_JSON;
}

static int fail(const struct tw_rec *r, const struct fail *f, struct tw_err *e)
{
	int col = (int)f->pos + 1;

	switch (f->kind) {
	case E_ESCAPE:
		return tw_err_set(e, "invalid escape at column %d", col);
	case E_UTF8:
		return tw_err_set(e, "invalid UTF-8 at column %d", col);
	case E_RANGE:
		return tw_err_set(e, "number out of range at column %d", col);
	case E_NULKEY:
		return tw_err_set(e, "\\u0000 in a key at column %d", col);
	case E_DEPTH:
		return tw_err_set(e, "nested too deep at column %d", col);
	case E_NOTOBJ:
		return tw_err_set(e, "not a JSON object");
	case E_EMPTY:
		return tw_err_set(e, "empty line");
	case E_DUP: {
		const jsmntok_t *k = &r->tok[f->tok];
		size_t n = (size_t)(k->end - k->start);
		const char *more = "";
		if (n > 64) {
			/* Cut at a character boundary. */
			n = 64;
			while (n > 0 && ((unsigned char)r->line[k->start + n] & 0xc0) == 0x80)
				n--;
			more = "...";
		}
		return tw_err_set(e, "duplicate key \"%.*s%s\"", (int)n, r->line + k->start, more);
	}
	default:
		return tw_err_set(e, "invalid JSON at column %d", col);
	}
}

int tw_rec_parse(struct tw_rec *r, const char *line, size_t len, struct tw_err *e)
{
	struct fail f = { 0, 0, -1 };
	size_t p;

	r->line = line;
	r->len = len;
	r->ntok = 0;
	r->ts = r->asset = r->kind = r->sensor = r->value = -1;

	p = skip_ws(line, 0, len);
	if (p == len) {
		f.kind = E_EMPTY;
		return fail(r, &f, e);
	}
	if (line[p] != '{') {
		f.kind = E_NOTOBJ;
		return fail(r, &f, e);
	}
	if (len >= INT_MAX / 2)
		return tw_err_set(e, "line too long");
	if (!r->cap && grow(r, TOK_FIRST) < 0)
		return tw_err_set(e, "out of memory");

	for (;;) {
		jsmn_parser jp;
		jsmn_init(&jp);
		int n = jsmn_parse(&jp, line, len, r->tok, (unsigned)r->cap);
		if (n == JSMN_ERROR_NOMEM) {
			if (grow(r, r->cap * 2) < 0)
				return tw_err_set(e, "out of memory");
			continue;
		}
		if (n < 0) {
			f.kind = diagnose(r, jp.pos, &f);
			return fail(r, &f, e);
		}
		f.kind = check(r, n, &f);
		if (f.kind) {
			r->ts = r->asset = r->kind = r->sensor = r->value = -1;
			return fail(r, &f, e);
		}
		r->ntok = n;
		return 0;
	}
}

/* A time stamp's text for the error message, cut short. */
static int bad_ts(const struct tw_rec *r, const char *why, struct tw_err *e)
{
	static const char prefix[] = "not a time stamp: ";

	if (why) {
		if (strncmp(why, prefix, sizeof prefix - 1) == 0)
			why += sizeof prefix - 1;
		return tw_err_set(e, "\"ts\" is not a time stamp: %s", why);
	}
	size_t n;
	const char *raw = tw_rec_raw(r, r->ts, &n);
	return tw_err_set(e, "\"ts\" is not a time stamp: %.*s%s",
			  n > 40 ? 40 : (int)n, raw, n > 40 ? "..." : "");
}

int tw_rec_need_common(const struct tw_rec *r, int64_t *ts_ns, struct tw_err *e)
{
	static const struct tw_time_fmt fmt = { TW_TIME_AUTO, NULL };
	struct tw_err te;
	size_t n;
	const char *s;
	char tmp[128];

	if (r->ts < 0)
		return tw_err_set(e, "missing \"ts\"");
	switch (tw_rec_type(r, r->ts)) {
	case TW_J_STRING:
		s = tw_rec_raw(r, r->ts, &n);
		if (!tw_rec_plain(r, r->ts)) {
			if (n >= sizeof tmp)
				return bad_ts(r, NULL, e);
			n = tw_rec_str(r, r->ts, tmp);
			s = tmp;
		}
		break;
	case TW_J_NUMBER:
		s = tw_rec_raw(r, r->ts, &n);
		break;
	default:
		return bad_ts(r, NULL, e);
	}
	te.msg[0] = '\0';
	if (tw_time_parse(s, n, &fmt, ts_ns, &te) < 0)
		return te.msg[0] ? bad_ts(r, te.msg, e) : bad_ts(r, NULL, e);

	if (r->asset < 0)
		return tw_err_set(e, "missing \"asset\"");
	if (tw_rec_type(r, r->asset) != TW_J_STRING
	    || r->tok[r->asset].end == r->tok[r->asset].start)
		return tw_err_set(e, "\"asset\" must be a non-empty string");
	return 0;
}

enum tw_json_type tw_rec_type(const struct tw_rec *r, int tok)
{
	const jsmntok_t *t = &r->tok[tok];

	switch (t->type) {
	case JSMN_OBJECT:
		return TW_J_OBJECT;
	case JSMN_ARRAY:
		return TW_J_ARRAY;
	case JSMN_STRING:
		return TW_J_STRING;
	default:
		switch (r->line[t->start]) {
		case 't': return TW_J_TRUE;
		case 'f': return TW_J_FALSE;
		case 'n': return TW_J_NULL;
		default:  return TW_J_NUMBER;
		}
	}
}

int tw_rec_skip(const struct tw_rec *r, int tok)
{
	const jsmntok_t *t = r->tok;
	int end = t[tok].end, i = tok + 1;

	if (t[tok].type == JSMN_OBJECT || t[tok].type == JSMN_ARRAY)
		while (i < r->ntok && t[i].start < end)
			i++;
	return i;
}

/* True when string token tok equals s[0..n) after unescaping. */
static bool streqn(const struct tw_rec *r, int tok, const char *s, size_t n)
{
	const jsmntok_t *t = &r->tok[tok];
	const char *raw = r->line + t->start;
	size_t rn = (size_t)(t->end - t->start);

	if (t->type != JSMN_STRING)
		return false;
	if (rn == n && memcmp(raw, s, n) == 0)
		return true;
	if (rn <= n || !memchr(raw, '\\', rn))
		return false;   /* escapes only ever shorten */
	return ucmp(raw, rn, true, s, n, false) == 0;
}

bool tw_rec_streq(const struct tw_rec *r, int tok, const char *s)
{
	return streqn(r, tok, s, strlen(s));
}

static int getn(const struct tw_rec *r, int obj, const char *key, size_t n)
{
	if (obj < 0 || obj >= r->ntok || r->tok[obj].type != JSMN_OBJECT)
		return -1;
	int k = obj + 1;
	for (int m = r->tok[obj].size; m > 0; m--) {
		if (streqn(r, k, key, n))
			return k + 1;
		k = tw_rec_skip(r, k + 1);
	}
	return -1;
}

int tw_rec_get(const struct tw_rec *r, int obj, const char *key)
{
	return getn(r, obj, key, strlen(key));
}

/* Keys are split at every '.', so a key that holds a dot cannot be
 * reached by a path; an empty path or an empty key finds nothing. */
int tw_rec_path(const struct tw_rec *r, const char *path)
{
	int tok = 0;

	if (r->ntok == 0)
		return -1;
	for (;;) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);
		if (n == 0)
			return -1;
		tok = getn(r, tok, path, n);
		if (tok < 0 || !dot)
			return tok;
		path = dot + 1;
	}
}

const char *tw_rec_raw(const struct tw_rec *r, int tok, size_t *len)
{
	const jsmntok_t *t = &r->tok[tok];

	*len = (size_t)(t->end - t->start);
	return r->line + t->start;
}

bool tw_rec_plain(const struct tw_rec *r, int tok)
{
	const jsmntok_t *t = &r->tok[tok];

	return t->type == JSMN_STRING
	       && !memchr(r->line + t->start, '\\', (size_t)(t->end - t->start));
}

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* Numbers with at most 19 significant digits whose mantissa is at most
 * 2^53 and whose power of ten is within 10^+-22 are exact after one
 * correctly rounded multiplication or division (Clinger's fast path), so
 * they read the same as strtod.  The rest go to tw_num_parse.  A token
 * that is not a number reads as NaN. */
double tw_rec_num(const struct tw_rec *r, int tok)
{
	const jsmntok_t *t = &r->tok[tok];
	const char *s = r->line + t->start;
	size_t n = (size_t)(t->end - t->start), i = 0;
	uint64_t m = 0;
	int digits = 0, e10 = 0;
	bool neg = false;

	if (t->type != JSMN_PRIMITIVE || n == 0)
		return NAN;
	if (s[0] == '-')
		neg = true, i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return NAN;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		m = m * 10 + (uint64_t)(s[i] - '0');
		digits += m != 0;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			m = m * 10 + (uint64_t)(s[i] - '0');
			digits += m != 0;
			e10--;
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int x = 0, xs = 1;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			xs = s[i++] == '-' ? -1 : 1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (x < 100000)
				x = x * 10 + (s[i] - '0');
		e10 += xs * x;
	}
	if (i == n && digits <= 19 && m <= (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
		double v = (double)m;
		v = e10 < 0 ? v / pow10_exact[-e10] : v * pow10_exact[e10];
		return neg ? -v : v;
	}
	double v;
	if (tw_num_parse(s, n, &v, NULL) < 0)
		return NAN;
	return v;
}

size_t tw_rec_str(const struct tw_rec *r, int tok, char *dst)
{
	const jsmntok_t *t = &r->tok[tok];
	const char *s = r->line + t->start;
	size_t n = (size_t)(t->end - t->start), i = 0, o = 0;

	while (i < n) {
		const char *bs = memchr(s + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - (s + i)) : n - i;
		memcpy(dst + o, s + i, run);
		o += run;
		i += run;
		if (i < n)
			o += unescape1(s, &i, (unsigned char *)dst + o);
	}
	dst[o] = '\0';
	return o;
}
