// SPDX-License-Identifier: MIT
/*
 * u64 -> u64 hash map.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/u64map.h>

#define U64MAP_INITIAL	1024

static u64 hash(u64 key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	return key ^ (key >> 33);
}

static int map_alloc(struct zpci_u64map *m, u64 capacity)
{
	m->slot = calloc(capacity, sizeof(*m->slot));
	if (!m->slot)
		return -ENOMEM;
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

	while (m->slot[i].used && m->slot[i].key != key)
		i = (i + 1) & m->mask;
	return i;
}

u64 *zpci_u64map_find(const struct zpci_u64map *m, u64 key)
{
	struct zpci_u64map_slot *s = &m->slot[find_slot(m, key)];

	return s->used ? &s->val : NULL;
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
		if (!old.slot[i].used)
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

	if (2 * (m->nr + 1) > m->mask + 1) {
		rc = map_grow(m);
		if (rc)
			return rc;
	}
	s = &m->slot[find_slot(m, key)];
	if (!s->used)
		m->nr++;
	s->key = key;
	s->val = val;
	s->used = true;
	return 0;
}

/* Empty slot @i and pull later entries of its probe run back into the hole. */
static void remove_slot(struct zpci_u64map *m, u64 i)
{
	u64 j = i;

	m->slot[i].used = false;
	m->nr--;
	for (;;) {
		u64 home;

		j = (j + 1) & m->mask;
		if (!m->slot[j].used)
			return;
		home = hash(m->slot[j].key) & m->mask;
		/* Entry j may move to i only if i lies on its probe path home..j. */
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->slot[i] = m->slot[j];
			m->slot[j].used = false;
			i = j;
		}
	}
}

bool zpci_u64map_remove(struct zpci_u64map *m, u64 key)
{
	u64 i = find_slot(m, key);

	if (!m->slot[i].used)
		return false;
	remove_slot(m, i);
	return true;
}

u64 zpci_u64map_remove_range(struct zpci_u64map *m, u64 lo, u64 hi)
{
	u64 removed = 0, i;

	if (hi < lo)
		return 0;
	if (hi - lo <= m->nr) {
		/* Few keys in the range: look each one up. */
		for (i = lo;; i++) {
			removed += zpci_u64map_remove(m, i);
			if (i == hi)
				return removed;
		}
	}
	/* Many: sweep the table; a removal may pull an entry into slot i. */
	for (i = 0; i <= m->mask; i++) {
		while (m->slot[i].used && m->slot[i].key >= lo && m->slot[i].key <= hi) {
			remove_slot(m, i);
			removed++;
		}
	}
	return removed;
}

void zpci_u64map_clear(struct zpci_u64map *m)
{
	memset(m->slot, 0, (m->mask + 1) * sizeof(*m->slot));
	m->nr = 0;
}
