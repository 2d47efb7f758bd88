// SPDX-License-Identifier: MIT
/*
 * u64 -> u64 hash map.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/u64map.h>

#define U64MAP_INITIAL	1024
#define GROUP_BITS	4

/* Mix the group, keep the key's place inside it. */
static u64 hash(u64 key)
{
	u64 g = key >> GROUP_BITS;

	g ^= g >> 33;
	g *= 0xff51afd7ed558ccdULL;
	g ^= g >> 33;
	return g << GROUP_BITS | (key & ((1 << GROUP_BITS) - 1));
}

typedef void (*removed_fn)(void *ctx, u64 key, u64 val);

static u64 remove_each(struct zpci_u64map *m, u64 lo, u64 hi, removed_fn fn, void *ctx);

static bool slot_used(const struct zpci_u64map_slot *s)
{
	return s->key != ZPCI_U64MAP_EMPTY;
}

static void slots_clear(struct zpci_u64map_slot *s, u64 n)
{
	/* Every byte 0xff: every key ZPCI_U64MAP_EMPTY. */
	memset(s, 0xff, n * sizeof(*s));
}

static int map_alloc(struct zpci_u64map *m, u64 capacity)
{
	m->slot = malloc(capacity * sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
	slots_clear(m->slot, capacity);
	m->mask = capacity - 1;
	m->nr = 0;
	return 0;
}

int zpci_u64map_init(struct zpci_u64map *m)
{
	return map_alloc(m, U64MAP_INITIAL);
}

void zpci_u64map_destroy(struct zpci_u64map *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static u64 find_slot(const struct zpci_u64map *m, u64 key)
{
	u64 i = hash(key) & m->mask;

	while (slot_used(&m->slot[i]) && m->slot[i].key != key)
		i = (i + 1) & m->mask;
	return i;
}

u64 *zpci_u64map_find(const struct zpci_u64map *m, u64 key)
{
	struct zpci_u64map_slot *s = &m->slot[find_slot(m, key)];

	return slot_used(s) ? &s->val : NULL;
}

static int map_grow(struct zpci_u64map *m)
{
	struct zpci_u64map old = *m;
	u64 i;
	int rc;

	rc = map_alloc(m, 2 * (old.mask + 1));
	if (rc) {
		*m = old;
		return rc;
	}
	for (i = 0; i <= old.mask; i++) {
		if (!slot_used(&old.slot[i]))
			continue;
		m->slot[find_slot(m, old.slot[i].key)] = old.slot[i];
		m->nr++;
	}
	free(old.slot);
	return 0;
}

int zpci_u64map_put(struct zpci_u64map *m, u64 key, u64 val)
{
	struct zpci_u64map_slot *s;
	int rc;

	if (key == ZPCI_U64MAP_EMPTY)
		return -EINVAL;
	if (2 * (m->nr + 1) > m->mask + 1) {
		rc = map_grow(m);
		if (rc)
			return rc;
	}
	s = &m->slot[find_slot(m, key)];
	if (!slot_used(s))
		m->nr++;
	s->key = key;
	s->val = val;
	return 0;
}

/* Empty slot @i and pull later entries of its probe run back into the hole. */
static void remove_slot(struct zpci_u64map *m, u64 i)
{
	u64 j = i;

	m->slot[i].key = ZPCI_U64MAP_EMPTY;
	m->nr--;
	for (;;) {
		u64 home;

		j = (j + 1) & m->mask;
		if (!slot_used(&m->slot[j]))
			return;
		home = hash(m->slot[j].key) & m->mask;
		/* Entry j may move to i only if i lies on its probe path home..j. */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slot[i] = m->slot[j];
			m->slot[j].key = ZPCI_U64MAP_EMPTY;
			i = j;
		}
	}
}

bool zpci_u64map_remove(struct zpci_u64map *m, u64 key)
{
	u64 i = find_slot(m, key);

	if (!slot_used(&m->slot[i]))
		return false;
	remove_slot(m, i);
	return true;
}

/* Keep the keys outside [lo, hi] by moving them to a fresh table. */
static u64 rebuild_without(struct zpci_u64map *m, u64 lo, u64 hi, removed_fn fn, void *ctx)
{
	struct zpci_u64map old = *m;
	u64 i;

	if (map_alloc(m, old.mask + 1)) {
		/* No memory for a copy: remove one by one instead. */
		*m = old;
		return remove_each(m, lo, hi, fn, ctx);
	}
	for (i = 0; i <= old.mask; i++) {
		const struct zpci_u64map_slot *s = &old.slot[i];

		if (!slot_used(s))
			continue;
		if (s->key < lo || s->key > hi) {
			m->slot[find_slot(m, s->key)] = *s;
			m->nr++;
		} else if (fn) {
			fn(ctx, s->key, s->val);
		}
	}
	free(old.slot);
	return old.nr - m->nr;
}

/* Sweep the table; a removal may pull a later entry into slot i. */
static u64 remove_each(struct zpci_u64map *m, u64 lo, u64 hi, removed_fn fn, void *ctx)
{
	u64 removed = 0, i;

	for (i = 0; i <= m->mask; i++) {
		while (slot_used(&m->slot[i]) && m->slot[i].key >= lo && m->slot[i].key <= hi) {
			if (fn)
				fn(ctx, m->slot[i].key, m->slot[i].val);
			remove_slot(m, i);
			removed++;
		}
	}
	return removed;
}

u64 zpci_u64map_remove_range_each(struct zpci_u64map *m, u64 lo, u64 hi, removed_fn fn, void *ctx)
{
	u64 removed = 0, i;

	if (hi < lo)
		return 0;
	if (hi - lo <= m->nr) {
		/* Few keys in the range: look each one up. */
		for (i = lo;; i++) {
			u64 s = find_slot(m, i);

			if (slot_used(&m->slot[s])) {
				if (fn)
					fn(ctx, i, m->slot[s].val);
				remove_slot(m, s);
				removed++;
			}
			if (i == hi)
				return removed;
		}
	}
	/* Many: a fresh table beats shifting entries one removal at a time. */
	return rebuild_without(m, lo, hi, fn, ctx);
}

u64 zpci_u64map_remove_range(struct zpci_u64map *m, u64 lo, u64 hi)
{
	return zpci_u64map_remove_range_each(m, lo, hi, NULL, NULL);
}

void zpci_u64map_clear(struct zpci_u64map *m)
{
	slots_clear(m->slot, m->mask + 1);
	m->nr = 0;
}
