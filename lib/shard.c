/* shard.c - see shard.h */
#include <limits.h>
#include <string.h>

#include "shard.h"

/* A transcription of Kafka's Utils.murmur2 (MurmurHash2, 32 bits): Java's
 * int arithmetic wraps, which uint32_t does in C without overflow, and
 * Java's >>> is the unsigned shift. */
uint32_t tw_murmur2(const void *key, size_t len)
{
	const unsigned char *p = key;
	const uint32_t m = 0x5bd1e995;
	const int r = 24;
	/* Java's int length: keys over 2 GiB are not a use case. */
	uint32_t h = 0x9747b28cu ^ (uint32_t)len;
	size_t i, n4 = len / 4;

	for (i = 0; i < n4; i++, p += 4) {
		uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len % 4) {
	case 3:
		h ^= (uint32_t)p[2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

int tw_shard_partition(const char *key, size_t len, int n)
{
	if (n < 1)
		return 0;
	return (int)((tw_murmur2(key, len) & 0x7fffffff) % (uint32_t)n);
}

/* Plain digits only: strtol would take signs, blanks and "0x". */
static const char *digits(const char *s, int *v, int *overflow)
{
	const char *start = s;
	int x = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (x > (INT_MAX - (*s - '0')) / 10)
			*overflow = 1;
		else
			x = x * 10 + (*s - '0');
	}
	*v = x;
	return s == start ? NULL : s;
}

int tw_shard_parse(const char *spec, int *k, int *n, struct tw_err *e)
{
	char q[TW_QUOTE_BUF];
	const char *s;
	int kk, nn, overflow = 0;

	tw_err_quote(q, spec, strlen(spec));
	s = digits(spec, &kk, &overflow);
	if (s && *s == '/')
		s = digits(s + 1, &nn, &overflow);
	else
		s = NULL;
	if (s && *s == '\0' && overflow)
		return tw_err_set(e, "--shard: '%s': numbers must be at most %d",
				  q, INT_MAX);
	if (!s || *s != '\0' || overflow || nn < 1 || kk >= nn)
		return tw_err_set(e, "--shard: '%s' must be K/N with 0 <= K < N", q);
	*k = kk;
	*n = nn;
	return 0;
}
