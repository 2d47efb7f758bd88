/* SPDX-License-Identifier: MIT */
/*
 * A map from u64 keys to u64 values: open addressing with linear probing,
 * deletion by backward shift (no tombstones), doubling at half load.
 * Keys 16 apart share a hashed group and sit in neighbouring slots, so
 * runs of nearby keys (pages of one mapping) stay in a few cache lines.
 * Iteration order depends only on the operations done, never on
 * addresses, so whatever walks it stays deterministic.
 *
 * ZPCI_U64MAP_EMPTY marks free slots and cannot be a key.
 */
#ifndef ZPCI_U64MAP_H
#define ZPCI_U64MAP_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_U64MAP_EMPTY	UINT64_MAX
#define ZPCI_U64MAP_GROUP_BITS	4	/* keys 16 apart share a hashed group */

struct zpci_u64map_slot {
	u64 key;
	u64 val;
};

struct zpci_u64map {
	struct zpci_u64map_slot *slot;
	u64 mask;		/* capacity - 1 */
	u64 nr;
};

int zpci_u64map_init(struct zpci_u64map *m);
void zpci_u64map_destroy(struct zpci_u64map *m);

/* Mix the group, keep the key's place inside it. */
static inline u64 zpci_u64map_hash(u64 key)
{
	u64 g = key >> ZPCI_U64MAP_GROUP_BITS;

	g ^= g >> 33;
	g *= 0xff51afd7ed558ccdULL;
	g ^= g >> 33;
	return g << ZPCI_U64MAP_GROUP_BITS | (key & ((1 << ZPCI_U64MAP_GROUP_BITS) - 1));
}

static inline bool zpci_u64map_slot_used(const struct zpci_u64map_slot *s)
{
	return s->key != ZPCI_U64MAP_EMPTY;
}

/* The slot holding @key, or the free one where it would go. */
static inline u64 zpci_u64map_slot_of(const struct zpci_u64map *m, u64 key)
{
	u64 i = zpci_u64map_hash(key) & m->mask;

	while (zpci_u64map_slot_used(&m->slot[i]) && m->slot[i].key != key)
		i = (i + 1) & m->mask;
	return i;
}

/* The value stored for @key, or NULL.  Inline: the look-ups are per event. */
static inline u64 *zpci_u64map_find(const struct zpci_u64map *m, u64 key)
{
	struct zpci_u64map_slot *s = &m->slot[zpci_u64map_slot_of(m, key)];

	return zpci_u64map_slot_used(s) ? &s->val : NULL;
}
/* Insert or overwrite.  0, -ENOMEM, or -EINVAL for ZPCI_U64MAP_EMPTY. */
int zpci_u64map_put(struct zpci_u64map *m, u64 key, u64 val);
/* true if @key was there. */
bool zpci_u64map_remove(struct zpci_u64map *m, u64 key);
/*
 * Visit every key in [lo, hi] (in no particular order): @fn may change its
 * value, and returns true to remove it.  Returns how many were removed.
 */
typedef bool (*zpci_u64map_update_fn)(void *ctx, u64 key, u64 *val);
u64 zpci_u64map_update_range(struct zpci_u64map *m, u64 lo, u64 hi, zpci_u64map_update_fn fn,
			     void *ctx);
/* Remove every key in [lo, hi]; returns how many. */
u64 zpci_u64map_remove_range(struct zpci_u64map *m, u64 lo, u64 hi);
/* The same, telling @fn about each entry removed (in no particular order). */
u64 zpci_u64map_remove_range_each(struct zpci_u64map *m, u64 lo, u64 hi,
				  void (*fn)(void *ctx, u64 key, u64 val), void *ctx);
void zpci_u64map_clear(struct zpci_u64map *m);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_U64MAP_H */
