/* buf.h - a growable byte buffer for building output text.
 *
 * The buffer owns its bytes; tw_buf_release frees them.  Appends abort
 * the process only if memory runs out (there is nothing better a filter
 * can do then), so callers need not check them. */
#ifndef TW_BUF_H
#define TW_BUF_H

#include <stddef.h>
#include <string.h>

struct tw_buf {
	char *p;
	size_t len, cap;
};

#define TW_BUF_INIT { NULL, 0, 0 }

void tw_buf_grow(struct tw_buf *b, size_t extra);  /* room for extra more bytes */
void tw_buf_release(struct tw_buf *b);

static inline void tw_buf_add(struct tw_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;      /* p may be NULL then: memcpy must not see it */
	if (b->cap - b->len < n)
		tw_buf_grow(b, n);
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void tw_buf_adds(struct tw_buf *b, const char *s)
{
	tw_buf_add(b, s, strlen(s));
}

static inline void tw_buf_addc(struct tw_buf *b, char c)
{
	if (b->cap == b->len)
		tw_buf_grow(b, 1);
	b->p[b->len++] = c;
}

#endif
