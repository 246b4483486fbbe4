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
 *   - values nested at most TW_REC_MAX_DEPTH deep, the record itself at
 *     depth 1 and a scalar counting as one level (jansson's
 *     JSON_PARSER_MAX_DEPTH, which counts so);
 *   - raw NUL bytes are rejected everywhere.  Here alone we differ on
 *     purpose: jansson 2.14 loses a NUL byte that directly follows a
 *     number or a literal ({"a":1<NUL>} passes there), as its lexer's
 *     unget of a NUL byte is taken for an empty buffer.  RFC 8259 has no
 *     such byte outside strings.
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
#define SMALL_OBJECT 16   /* more keys than this: a sorted duplicate check */
#define MASK_DEPTH 64     /* objects nested deeper do without a key mask */

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
 * duplicate check (never more entries than tokens; see key_entry). */
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
	if ((size_t)cap > SIZE_MAX / (sizeof(jsmntok_t) + sizeof(uint64_t)))
		return -1;
	size_t sz = (size_t)cap * (sizeof(jsmntok_t) + sizeof(uint64_t));
	jsmntok_t *t = realloc(r->tok, sz);
	if (!t)
		return -1;
	r->tok = t;
	r->cap = cap;
	return 0;
}

static inline uint64_t *key_stack(const struct tw_rec *r)
{
	/* cap is 64 times a power of two: the stack starts 8-aligned */
	return (uint64_t *)(void *)(r->tok + r->cap);
}

static inline bool is_ws(unsigned char c)
{
	return c <= ' ' && (c == ' ' || c == '\t' || c == '\n' || c == '\r');
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

/* True when s[a..b) is plain printable ASCII without a backslash: a
 * string's content that needs no closer look.  Eight bytes at a time,
 * the last eight overlapping the ones before; a short string is read as
 * the eight bytes ending at b, those before a masked off (on
 * little-endian machines), and a rare false alarm from them only sends
 * the string to scan_str. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t special8(uint64_t x)
{
	uint64_t y = x ^ (ONES * '\\');
	return ((x - ONES * 0x20) | x | ((y - ONES) & ~y)) & HIGHS;
}

static inline bool plain_str(const char *s, size_t a, size_t b)
{
	size_t n = b - a;
	uint64_t x;

	if (n - 1 < 8 && b >= 8) {   /* 1 to 8 bytes */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(&x, s + b - 8, 8);
		return !(special8(x) >> (8 * (8 - n)));
#endif
	} else if (n > 8) {
		for (; b - a > 8; a += 8) {
			memcpy(&x, s + a, 8);
			if (special8(x))
				return false;
		}
		memcpy(&x, s + b - 8, 8);
		return !special8(x);
	}
	for (; a < b; a++)
		if (str_stop[(unsigned char)s[a]])
			return false;
	return true;
}

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
	bool esc;     /* false: the bytes are the text, backslashes too */
	unsigned char b[4];
	unsigned bi, bn;
};

static void ustr_init(struct ustr *u, const char *s, size_t n, bool esc)
{
	u->s = s;
	u->i = 0;
	u->n = n;
	u->esc = esc;
	u->bi = u->bn = 0;
}

static int ustr_next(struct ustr *u)
{
	if (u->bi < u->bn)
		return u->b[u->bi++];
	if (u->i >= u->n)
		return -1;
	if (!u->esc || u->s[u->i] != '\\')
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
	ustr_init(&ua, a, na, esca);
	ustr_init(&ub, b, nb, escb);
	for (;;) {
		int ca = ustr_next(&ua), cb = ustr_next(&ub);
		if (ca != cb)
			return ca - cb;   /* -1 (the end) sorts first */
		if (ca < 0)
			return 0;
	}
}

/* A key stack entry: the key's token index times two, plus one when the
 * key has escapes, in the low 32 bits; for a plain key, its length (up
 * to 2^24 - 1) and first byte above, so that most pairs of different
 * keys differ there already. */
static inline uint64_t key_entry(const char *s, int tok, size_t start, size_t n, bool esc)
{
	uint64_t e = (uint32_t)tok << 1 | esc;

	if (!esc)
		e |= (uint64_t)(n < 0xffffff ? n : 0xffffff) << 40
		     | (uint64_t)(n ? (unsigned char)s[start] : 0) << 32;
	return e;
}

/* key_cmp orders keys by their unescaped bytes; key_eq is the fast test
 * of the pairwise check. */
static int key_cmp(const struct tw_rec *r, uint64_t ka, uint64_t kb)
{
	const jsmntok_t *a = &r->tok[(uint32_t)ka >> 1], *b = &r->tok[(uint32_t)kb >> 1];

	return ucmp(r->line + a->start, (size_t)(a->end - a->start), ka & 1,
		    r->line + b->start, (size_t)(b->end - b->start), kb & 1);
}

static inline bool key_eq(const struct tw_rec *r, uint64_t ka, uint64_t kb)
{
	if (!((ka | kb) & 1)) {   /* both plain: the common case */
		if ((ka ^ kb) >> 32)
			return false;
		const jsmntok_t *a = &r->tok[(uint32_t)ka >> 1], *b = &r->tok[(uint32_t)kb >> 1];
		int n = a->end - a->start;
		return n == b->end - b->start
		       && memcmp(r->line + a->start, r->line + b->start, (size_t)n) == 0;
	}
	return key_cmp(r, ka, kb) == 0;
}

static void sift(const struct tw_rec *r, uint64_t *k, size_t root, size_t n)
{
	for (;;) {
		size_t c = 2 * root + 1;
		if (c >= n)
			return;
		if (c + 1 < n && key_cmp(r, k[c], k[c + 1]) < 0)
			c++;
		if (key_cmp(r, k[root], k[c]) >= 0)
			return;
		uint64_t t = k[root];
		k[root] = k[c];
		k[c] = t;
		root = c;
	}
}

/* The duplicate check of an object with many keys k[0..n): a heap sort
 * (in place, no allocation), then neighbours compared.  Returns the token
 * of a duplicated key, or -1. */
static int find_dup(const struct tw_rec *r, uint64_t *k, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(r, k, i, n);
	for (size_t m = n - 1; m > 0; m--) {
		uint64_t t = k[0];
		k[0] = k[m];
		k[m] = t;
		sift(r, k, 0, m);
	}
	for (size_t a = 1; a < n; a++)
		if (key_cmp(r, k[a - 1], k[a]) == 0)
			return (int)((uint32_t)k[a] >> 1);
	return -1;
}

/* Six bits of a key's text for the masks of the duplicate check and the
 * lookup of common fields.  A constant expression for the table below. */
#define KEY_HASH(first, last, n) \
	((unsigned)((unsigned char)(first) ^ (unsigned char)(last) << 1 ^ (n) << 3) & 63)

static inline unsigned key_hash(const char *s, size_t n)
{
	return n ? KEY_HASH(s[0], s[n - 1], n) : 0;
}

enum { F_TS = 1, F_ASSET, F_KIND, F_SENSOR, F_VALUE };

/* The common field a key's hash may stand for (-Woverride-init would
 * tell of a collision). */
static const unsigned char common_of[64] = {
	[KEY_HASH('t', 's', 2)] = F_TS,
	[KEY_HASH('a', 't', 5)] = F_ASSET,
	[KEY_HASH('k', 'd', 4)] = F_KIND,
	[KEY_HASH('s', 'r', 6)] = F_SENSOR,
	[KEY_HASH('v', 'e', 5)] = F_VALUE,
};

static inline uint32_t load32(const char *s)
{
	uint32_t w;
	memcpy(&w, s, 4);
	return w;
}

static inline uint16_t load16(const char *s)
{
	uint16_t w;
	memcpy(&w, s, 2);
	return w;
}

/* Notes a top-level key s[0..n) (unescaped) with hash h that is one of
 * the common fields.  The names are 2 to 6 bytes: two overlapping loads
 * compare them without a loop. */
static inline void common_key(struct tw_rec *r, int k, const char *s, size_t n, unsigned h)
{
	static const struct { char name[8]; size_t n; } field[] = {
		{ "", 0 }, { "ts", 2 }, { "asset", 5 }, { "kind", 4 }, { "sensor", 6 },
		{ "value", 5 },
	};
	unsigned c = common_of[h];

	if (!c || n != field[c].n)
		return;
	const char *w = field[c].name;
	if (n >= 4 ? load32(s) != load32(w) || load32(s + n - 4) != load32(w + n - 4)
		   : load16(s) != load16(w))
		return;
	switch (c) {
	case F_TS:     r->ts = k + 1; break;
	case F_ASSET:  r->asset = k + 1; break;
	case F_KIND:   r->kind = k + 1; break;
	case F_SENSOR: r->sensor = k + 1; break;
	case F_VALUE:  r->value = k + 1; break;
	}
}

/* An escaped top-level key: the same, on its unescaped text. */
static void common_key_esc(struct tw_rec *r, int k)
{
	const jsmntok_t *t = &r->tok[k];
	char tmp[40];

	if (t->end - t->start >= (int)sizeof tmp)
		return;
	size_t n = tw_rec_str(r, k, tmp);
	common_key(r, k, tmp, n, key_hash(tmp, n));
}

/* Walks the n tokens against the line (see the top of the file).  cur is
 * the innermost open object or array, obj whether it is an object. */
static int check(struct tw_rec *r, int n, struct fail *f)
{
	const char *s = r->line;
	size_t len = r->len, p, end;
	jsmntok_t *t = r->tok, *v;
	uint64_t *keys = key_stack(r);
	/* csize: the keys or elements of cur so far (t[cur].size is written
	 * when cur closes or a child opens).  cmask: the hashes of cur's keys
	 * so far, all ones once one has escapes: a key whose bit is not set
	 * cannot be a duplicate, so most keys are compared with none.  The
	 * masks of the objects around cur wait in mask[] (all ones again
	 * when deeper than MASK_DEPTH). */
	uint64_t mask[MASK_DEPTH], cmask = 0;
	int i = 0, cur = -1, depth = 0, nk = 0, csize = 0, rc;
	bool obj = false, esc;

	/* tw_rec_parse has seen the '{' */
	p = skip_ws(s, 0, len);

value:	/* a value at p, token i */
	if (p >= len || i >= n)
		goto bad;
	/* jansson counts every value, scalars too, toward its depth limit
	 * (keys not) */
	if (depth >= TW_REC_MAX_DEPTH) {
		f->pos = p;
		return E_DEPTH;
	}
	v = &t[i];
	if (cur < 0) {
		v->parent = -1;
	} else if (obj) {
		v->parent = i - 1;
		t[i - 1].size = 1;
	} else {
		v->parent = cur;
		csize++;
	}
	v->size = 0;
	switch (v->type) {
	case JSMN_STRING:
		if (s[p] != '"' || (size_t)v->start != p + 1)
			goto bad;
		if (plain_str(s, p + 1, (size_t)v->end))
			end = (size_t)v->end;
		else if ((rc = scan_str(s, len, p + 1, false, &end, &esc, f)))
			return rc;
		if ((size_t)v->end != end) {
			p = end;
			goto bad;
		}
		p = end + 1;
		i++;
		goto after;
	case JSMN_PRIMITIVE:
		if ((size_t)v->start != p || v->end <= v->start)
			goto bad;
		if ((rc = check_prim(s, p, (size_t)v->end, f)))
			return rc;
		p = (size_t)v->end;
		i++;
		goto after;
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		if ((size_t)v->start != p || s[p] != (v->type == JSMN_OBJECT ? '{' : '['))
			goto bad;
		if (cur >= 0) {
			t[cur].size = csize;
			if (depth < MASK_DEPTH)
				mask[depth] = cmask;
		}
		obj = v->type == JSMN_OBJECT;
		depth++;
		csize = 0;
		cmask = 0;
		cur = i++;
		p = skip_ws(s, p + 1, len);
		if (p < len && s[p] == (obj ? '}' : ']'))
			goto close;
		if (obj)
			goto key;
		goto value;
	default:
		goto bad;
	}

key:	/* a key at p, token i, in object cur */
	if (p >= len || i >= n || s[p] != '"')
		goto bad;
	v = &t[i];
	if (v->type != JSMN_STRING || (size_t)v->start != p + 1)
		goto bad;
	if (plain_str(s, p + 1, (size_t)v->end))
		end = (size_t)v->end, esc = false;
	else if ((rc = scan_str(s, len, p + 1, true, &end, &esc, f)))
		return rc;
	if ((size_t)v->end != end) {
		p = end;
		goto bad;
	}
	v->parent = cur;
	v->size = 0;
	{
		const char *ks = s + p + 1;
		size_t kn = end - p - 1;
		unsigned h = key_hash(ks, kn);
		uint64_t ent = key_entry(s, i, p + 1, kn, esc);
		int m = csize;
		uint64_t bit = esc ? ~UINT64_C(0) : UINT64_C(1) << h;
		if (m < SMALL_OBJECT && (cmask & bit)) {
			for (int j = nk - m; j < nk; j++) {
				if (key_eq(r, ent, keys[j])) {
					f->tok = i;
					f->pos = p;
					return E_DUP;
				}
			}
		}
		cmask |= bit;
		keys[nk++] = ent;
		csize = m + 1;
		if (cur == 0) {
			if (esc)
				common_key_esc(r, i);
			else
				common_key(r, i, ks, kn, h);
		}
	}
	p = skip_ws(s, end + 1, len);
	if (p >= len || s[p] != ':')
		goto bad;
	p = skip_ws(s, p + 1, len);
	i++;
	goto value;

after:	/* after a value, at p */
	p = skip_ws(s, p, len);
	if (cur < 0) {
		if (p != len || i != n)
			goto bad;
		return 0;
	}
	if (p >= len)
		goto bad;
	if (s[p] == ',') {
		p = skip_ws(s, p + 1, len);
		if (obj)
			goto key;
		goto value;
	}
	if (s[p] != (obj ? '}' : ']'))
		goto bad;
close:	/* the end of cur, at p */
	if ((size_t)t[cur].end != p + 1)
		goto bad;
	t[cur].size = csize;
	if (obj) {
		size_t nkeys = (size_t)csize;
		int d = nkeys > SMALL_OBJECT ? find_dup(r, keys + nk - nkeys, nkeys) : -1;
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
	obj = cur >= 0 && t[cur].type == JSMN_OBJECT;
	if (cur >= 0) {
		csize = t[cur].size;
		cmask = depth < MASK_DEPTH ? mask[depth] : ~UINT64_C(0);
	}
	goto after;

bad:
	f->pos = p;
	return E_JSON;
}

/* A diagnosis for a line jsmn refused (rc) at pos: what is wrong inside
 * the string there, or a NUL byte (where jsmn stops reading), or the end
 * of the line. */
static int diagnose(const struct tw_rec *r, int rc, size_t pos, struct fail *f)
{
	size_t end;
	bool esc;

	if (pos < r->len && r->line[pos] == '"') {
		int k = scan_str(r->line, r->len, pos + 1, false, &end, &esc, f);
		if (k)
			return k;
	}
	f->pos = pos;
	if (rc == JSMN_ERROR_PART) {
		const char *z = memchr(r->line, '\0', r->len);
		f->pos = z ? (size_t)(z - r->line) : r->len;
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
		if (n == JSMN_ERROR_NOMEM) {   /* twice the tokens, and again */
			if (r->cap > INT_MAX / 2 || grow(r, r->cap * 2) < 0)
				return tw_err_set(e, "out of memory");
			continue;
		}
		if (n < 0) {
			f.kind = diagnose(r, n, jp.pos, &f);
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
	const char *s = r->line + t->start;
	size_t n = (size_t)(t->end - t->start);

	if (t->type != JSMN_STRING)
		return false;
	if (n >= 8) {   /* words, the last one overlapping */
		uint64_t x;
		for (size_t i = 0; i < n; i += 8) {
			memcpy(&x, s + (n - i < 8 ? n - 8 : i), 8);
			x ^= ONES * '\\';
			if ((x - ONES) & ~x & HIGHS)
				return false;
		}
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\\')
			return false;
	return true;
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
