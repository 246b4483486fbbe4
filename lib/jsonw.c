/* jsonw.c - see jsonw.h */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "jsonw.h"
#include "num.h"

/* Nonzero for the bytes a JSON string cannot hold as they are: '"', '\\'
 * and the control characters.  Everything else, UTF-8 included, is
 * copied. */
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char esc_class[256] = {
	R16(1), R16(1),
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   /* 0x22 '"' */
	R16(0), R16(0),
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,   /* 0x5c '\\' */
	R16(0), R16(0),
	R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
};
#undef R16

void tw_jw_str(struct tw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	/* Room for the common case at once: no escapes, two quotes. */
	if (b->cap - b->len < n + 2)
		tw_buf_grow(b, n + 2);
	tw_buf_addc(b, '"');
	while (i < n) {
		size_t run = i;
		while (i < n && !esc_class[u[i]])
			i++;
		if (i > run)
			tw_buf_add(b, s + run, i - run);
		if (i == n)
			break;
		char e[6] = { '\\', 0, '0', '0', 0, 0 };
		size_t elen = 2;
		switch (u[i]) {
		case '"':  e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\t': e[1] = 't'; break;
		case '\r': e[1] = 'r'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		default:
			e[1] = 'u';
			e[4] = hex[u[i] >> 4];
			e[5] = hex[u[i] & 15];
			elen = 6;
		}
		tw_buf_add(b, e, elen);
		i++;
	}
	tw_buf_addc(b, '"');
}

/* JSON has no infinities or NaN: a non-finite v (outside the contract)
 * is written as null rather than as text no reader accepts. */
void tw_jw_num(struct tw_buf *b, double v)
{
	char tmp[TW_NUM_MAX];

	if (!isfinite(v)) {
		tw_buf_add(b, "null", 4);
		return;
	}
	tw_buf_add(b, tmp, tw_num_format(v, tmp));
}

bool tw_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		/* ASCII runs eight bytes at a time. */
		while (n - i >= 8) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		while (i < n && u[i] < 0x80)
			i++;
		if (i == n)
			break;

		unsigned c = u[i];
		size_t need;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;  /* continuation byte, 0xc0/0xc1, 0xf5.. */
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			unsigned cc = u[i + k];
			if ((cc & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (cc & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}
