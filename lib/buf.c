/* buf.c - see buf.h */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"

void tw_buf_grow(struct tw_buf *b, size_t extra)
{
	size_t want = b->len + extra;
	size_t cap = b->cap ? b->cap : 256;

	if (want < b->len)
		abort();  /* size_t overflow */
	while (cap < want)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		fputs("out of memory\n", stderr);
		abort();
	}
	b->p = p;
	b->cap = cap;
}

void tw_buf_release(struct tw_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
