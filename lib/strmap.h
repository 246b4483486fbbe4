/* strmap.h - a small hash map from byte strings to caller data.
 *
 * Keys are copied and owned by the map; values are void pointers the
 * caller owns (tw_strmap_release can free them with a given function). */
#ifndef TW_STRMAP_H
#define TW_STRMAP_H

#include <stddef.h>

struct tw_strmap {
	struct tw_strmap_slot *slot;
	size_t cap, used;
};

#define TW_STRMAP_INIT { NULL, 0, 0 }

/* The value stored under key[0..len), or NULL. */
void *tw_strmap_get(const struct tw_strmap *m, const char *key, size_t len);

/* Stores val under key (replacing any value there). */
void tw_strmap_put(struct tw_strmap *m, const char *key, size_t len, void *val);

/* Removes key (if there) and returns its value, or NULL. */
void *tw_strmap_del(struct tw_strmap *m, const char *key, size_t len);

/* Frees the map; calls free_val on every value when it is not NULL. */
void tw_strmap_release(struct tw_strmap *m, void (*free_val)(void *));

#endif
