/* strmap.c - see strmap.h: open addressing, linear probing, FNV-1a. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

struct tw_strmap_slot {
	char *key;
	size_t len;
	uint64_t hash;
	void *val;
};

static uint64_t hash_of(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static struct tw_strmap_slot *find(const struct tw_strmap *m, const char *key,
				   size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct tw_strmap_slot *s = &m->slot[i];
		if (!s->key || (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0))
			return s;
	}
}

void *tw_strmap_get(const struct tw_strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return NULL;
	struct tw_strmap_slot *s = find(m, key, len, hash_of(key, len));
	return s->key ? s->val : NULL;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p)
		abort();
	return p;
}

void tw_strmap_put(struct tw_strmap *m, const char *key, size_t len, void *val)
{
	if ((m->used + 1) * 2 > m->cap) {
		struct tw_strmap old = *m;
		m->cap = old.cap ? old.cap * 2 : 16;
		m->slot = xcalloc(m->cap, sizeof *m->slot);
		for (size_t i = 0; i < old.cap; i++)
			if (old.slot[i].key)
				*find(m, old.slot[i].key, old.slot[i].len, old.slot[i].hash) = old.slot[i];
		free(old.slot);
	}
	uint64_t h = hash_of(key, len);
	struct tw_strmap_slot *s = find(m, key, len, h);
	if (!s->key) {
		s->key = xcalloc(1, len + 1);
		memcpy(s->key, key, len);
		s->len = len;
		s->hash = h;
		m->used++;
	}
	s->val = val;
}

void *tw_strmap_del(struct tw_strmap *m, const char *key, size_t len)
{
	if (!m->cap)
		return NULL;
	struct tw_strmap_slot *s = find(m, key, len, hash_of(key, len));
	if (!s->key)
		return NULL;
	void *val = s->val;
	free(s->key);
	m->used--;
	/* Backward-shift deletion: move later members of the probe run into
	 * the hole, so lookups never stop early at it. */
	size_t mask = m->cap - 1, hole = (size_t)(s - m->slot);
	for (size_t i = (hole + 1) & mask; m->slot[i].key; i = (i + 1) & mask) {
		size_t home = m->slot[i].hash & mask;
		/* Can slot i move to the hole: is its home not in (hole, i]? */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slot[hole] = m->slot[i];
			hole = i;
		}
	}
	m->slot[hole] = (struct tw_strmap_slot){ NULL, 0, 0, NULL };
	return val;
}

void tw_strmap_release(struct tw_strmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slot[i].key) {
			free(m->slot[i].key);
			if (free_val)
				free_val(m->slot[i].val);
		}
	}
	free(m->slot);
	*m = (struct tw_strmap)TW_STRMAP_INIT;
}
