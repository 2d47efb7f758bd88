// SPDX-License-Identifier: MIT
/*
 * u64 -> u64 hash map.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/u64map.h>

#define U64MAP_INITIAL	1024

typedef void (*removed_fn)(void *ctx, u64 key, u64 val);

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
		if (!zpci_u64map_slot_used(&old.slot[i]))
			continue;
		m->slot[zpci_u64map_slot_of(m, old.slot[i].key)] = old.slot[i];
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
	s = &m->slot[zpci_u64map_slot_of(m, key)];
	if (!zpci_u64map_slot_used(s))
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
		if (!zpci_u64map_slot_used(&m->slot[j]))
			return;
		home = zpci_u64map_hash(m->slot[j].key) & m->mask;
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
	u64 i = zpci_u64map_slot_of(m, key);

	if (!zpci_u64map_slot_used(&m->slot[i]))
		return false;
	remove_slot(m, i);
	return true;
}

/* Visit each key of [lo, hi] by looking it up. */
static u64 update_each(struct zpci_u64map *m, u64 lo, u64 hi, zpci_u64map_update_fn fn, void *ctx)
{
	u64 removed = 0, i;

	for (i = lo;; i++) {
		u64 s = zpci_u64map_slot_of(m, i);

		if (zpci_u64map_slot_used(&m->slot[s]) && fn(ctx, i, &m->slot[s].val)) {
			remove_slot(m, s);
			removed++;
		}
		if (i == hi)
			return removed;
	}
}

/*
 * Visit the keys of [lo, hi] in one sweep, emptying the slots @fn removes;
 * then close the holes in place: from just after a slot that was free
 * (there is one: the table is at most half full), each entry moves to the
 * first free slot of its probe path.  Its home lies behind it in that
 * order, where every entry is in place already, so one pass is enough.
 */
static u64 sweep_updating(struct zpci_u64map *m, u64 lo, u64 hi, zpci_u64map_update_fn fn,
			  void *ctx)
{
	u64 removed = 0, free_slot = 0, i;

	while (zpci_u64map_slot_used(&m->slot[free_slot]))
		free_slot++;
	for (i = 0; i <= m->mask; i++) {
		struct zpci_u64map_slot *s = &m->slot[i];

		if (zpci_u64map_slot_used(s) && s->key >= lo && s->key <= hi &&
		    fn(ctx, s->key, &s->val)) {
			s->key = ZPCI_U64MAP_EMPTY;
			removed++;
		}
	}
	m->nr -= removed;
	for (i = 1; removed && i <= m->mask; i++) {
		u64 j = (free_slot + i) & m->mask;
		struct zpci_u64map_slot e = m->slot[j];

		if (!zpci_u64map_slot_used(&e))
			continue;
		m->slot[j].key = ZPCI_U64MAP_EMPTY;
		m->slot[zpci_u64map_slot_of(m, e.key)] = e;
	}
	return removed;
}

u64 zpci_u64map_update_range(struct zpci_u64map *m, u64 lo, u64 hi, zpci_u64map_update_fn fn,
			     void *ctx)
{
	if (hi < lo)
		return 0;
	/*
	 * A removal shifts the rest of its probe run back, and runs of
	 * neighbouring keys are long: past a small part of the table, one
	 * sweep is cheaper than removals one at a time.
	 */
	if (hi - lo < (m->mask + 1) / 16)
		return update_each(m, lo, hi, fn, ctx);
	return sweep_updating(m, lo, hi, fn, ctx);
}

struct remove_visit {
	removed_fn fn;
	void *ctx;
};

static bool remove_visited(void *ctx, u64 key, u64 *val)
{
	const struct remove_visit *v = ctx;

	if (v->fn)
		v->fn(v->ctx, key, *val);
	return true;
}

u64 zpci_u64map_remove_range_each(struct zpci_u64map *m, u64 lo, u64 hi, removed_fn fn, void *ctx)
{
	struct remove_visit v = { fn, ctx };

	return zpci_u64map_update_range(m, lo, hi, remove_visited, &v);
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
