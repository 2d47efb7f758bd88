// SPDX-License-Identifier: MIT
/*
 * The meaning of a trace: each ID live exactly between its map and its
 * unmap, device accesses inside live mappings, addresses inside guest
 * memory, functions attached before use.  Memory grows with the number of
 * live mappings, never with trace length.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include <zpci/u64map.h>

#include "trace_internal.h"

/* A live ID: what mapped it and its length in bytes. */
enum live_kind { LIVE_MAP = 1, LIVE_SG = 2, LIVE_ALLOC = 3 };

struct live {
	u64 len;
	enum live_kind kind;
};

struct ztrace_checker {
	struct ztrace_header h;
	bool attached[ZTRACE_MAX_FNS];
	struct zpci_u64map ids[ZTRACE_MAX_FNS];	/* live ID -> its slot */
	struct live *live;	/* by slot */
	u32 *free;		/* slots of ended IDs, to reuse first */
	u32 nr_slots, nr_free, cap;
	u32 slot;		/* the last record's, or ZTRACE_NO_SLOT */
	bool ticked;
	u64 jiffies;		/* at the last tick */
};

struct ztrace_checker *ztrace_checker_create(const struct ztrace_header *h)
{
	struct ztrace_checker *c = calloc(1, sizeof(*c));
	u32 i;

	if (!c)
		return NULL;
	c->h = *h;
	c->slot = ZTRACE_NO_SLOT;
	for (i = 0; i < h->nr_fns; i++) {
		if (zpci_u64map_init(&c->ids[i])) {
			ztrace_checker_destroy(c);
			return NULL;
		}
	}
	return c;
}

void ztrace_checker_destroy(struct ztrace_checker *c)
{
	u32 i;

	if (!c)
		return;
	for (i = 0; i < c->h.nr_fns; i++)
		zpci_u64map_destroy(&c->ids[i]);
	free(c->live);
	free(c->free);
	free(c);
}

u32 ztrace_checker_slot(const struct ztrace_checker *c)
{
	return c->slot;
}

/* A slot for a new ID: an ended one's, else a new one.  NO_SLOT: no memory. */
static u32 slot_get(struct ztrace_checker *c)
{
	if (c->nr_free)
		return c->free[--c->nr_free];
	if (c->nr_slots == c->cap) {
		u32 cap = c->cap ? 2 * c->cap : 64;
		struct live *live = realloc(c->live, cap * sizeof(*live));
		u32 *slots;

		if (!live)
			return ZTRACE_NO_SLOT;
		c->live = live;
		slots = realloc(c->free, cap * sizeof(*slots));
		if (!slots)
			return ZTRACE_NO_SLOT;
		c->free = slots;
		c->cap = cap;
	}
	return c->nr_slots++;
}

/* @slot's ID ended: the slot is the next new ID's. */
static void slot_put(struct ztrace_checker *c, u32 slot)
{
	c->free[c->nr_free++] = slot;
}

static const char *const live_names[] = { "", "map", "map-sg", "alloc" };

/* The live kind @rec ends, for unmap/unmap-sg/free. */
static enum live_kind ending_kind(enum ztrace_kind k)
{
	return k == ZTRACE_UNMAP ? LIVE_MAP : k == ZTRACE_UNMAP_SG ? LIVE_SG : LIVE_ALLOC;
}

static bool in_guest(const struct ztrace_checker *c, u64 pa, u64 len)
{
	return len && zpci_range_inside(pa, len, c->h.guest_mem);
}

struct check {
	struct ztrace_checker *c;
	const struct ztrace_rec *rec;
	struct zpci_u64map *ids;	/* the record's function's */
	struct ztrace_diag *diag;
};

static int check_fail(const struct check *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int check_fail(const struct check *k, const char *fmt, ...)
{
	int n = snprintf(k->diag->msg, sizeof(k->diag->msg), "%s: ",
			 ztrace_kind_name(k->rec->kind));
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(k->diag->msg + n, sizeof(k->diag->msg) - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int check_new_id(struct check *k, enum live_kind kind)
{
	const struct ztrace_rec *rec = k->rec;
	u64 len = rec->len;
	u32 i, slot;

	if (rec->id == ZPCI_U64MAP_EMPTY)
		return check_fail(k, "ID %" PRIu64 " is reserved", rec->id);
	if (zpci_u64map_find(k->ids, rec->id))
		return check_fail(k, "ID %" PRIu64 " is already live", rec->id);
	if (kind == LIVE_SG) {
		for (i = 0, len = 0; i < rec->nr_sg; i++) {
			if (!in_guest(k->c, rec->sg[i].pa, rec->sg[i].len))
				return check_fail(k, "element %u [%#" PRIx64 ", +%" PRIu64
						  ") is not inside guest memory", i,
						  rec->sg[i].pa, rec->sg[i].len);
			if (len + rec->sg[i].len < len)
				return check_fail(k, "length too large");
			len += rec->sg[i].len;
		}
	} else if (!in_guest(k->c, rec->pa, rec->len)) {
		return check_fail(k, "[%#" PRIx64 ", +%" PRIu64 ") is not inside guest memory",
				  rec->pa, rec->len);
	}
	slot = slot_get(k->c);
	if (slot == ZTRACE_NO_SLOT || zpci_u64map_put(k->ids, rec->id, slot)) {
		if (slot != ZTRACE_NO_SLOT)
			slot_put(k->c, slot);
		return check_fail(k, "out of memory");
	}
	k->c->live[slot] = (struct live){ len, kind };
	k->c->slot = slot;
	return 0;
}

/* The slot of the record's ID, or NO_SLOT when it is not live. */
static u32 live_slot(const struct check *k)
{
	const u64 *slot = zpci_u64map_find(k->ids, k->rec->id);

	return slot ? *slot : ZTRACE_NO_SLOT;
}

static int check_end_id(struct check *k)
{
	enum live_kind want = ending_kind(k->rec->kind);
	u32 slot = live_slot(k);

	if (slot == ZTRACE_NO_SLOT)
		return check_fail(k, "ID %" PRIu64 " is not live", k->rec->id);
	if (k->c->live[slot].kind != want)
		return check_fail(k, "ID %" PRIu64 " was made by %s", k->rec->id,
				  live_names[k->c->live[slot].kind]);
	zpci_u64map_remove(k->ids, k->rec->id);
	slot_put(k->c, slot);
	k->c->slot = slot;
	return 0;
}

static int check_dma(struct check *k)
{
	const struct ztrace_rec *rec = k->rec;
	u32 slot = live_slot(k);
	u64 len;

	if (slot == ZTRACE_NO_SLOT)
		return check_fail(k, "ID %" PRIu64 " is not live", rec->id);
	len = k->c->live[slot].len;
	if (!rec->len || rec->off > len || rec->len > len - rec->off)
		return check_fail(k, "[%" PRIu64 ", +%" PRIu64 ") is outside ID %" PRIu64
				  " of %" PRIu64 " bytes", rec->off, rec->len, rec->id, len);
	k->c->slot = slot;
	return 0;
}

int ztrace_check(struct ztrace_checker *c, const struct ztrace_rec *rec,
		 struct ztrace_diag *diag)
{
	struct check k = { c, rec, &c->ids[rec->fn], diag };
	bool *attached = &c->attached[rec->fn];

	c->slot = ZTRACE_NO_SLOT;
	/* Ticks and timers are the guest's, whichever function they name. */
	if (rec->kind == ZTRACE_TICK || rec->kind == ZTRACE_TIMERS) {
		if (c->ticked && rec->jiffies < c->jiffies)
			return check_fail(&k, "jiffies %" PRIu64 " before the last tick's %" PRIu64,
					  rec->jiffies, c->jiffies);
		c->ticked = true;
		c->jiffies = rec->jiffies;
		return 0;
	}
	if (rec->kind == ZTRACE_ATTACH) {
		if (*attached)
			return check_fail(&k, "function %u is already attached", rec->fn);
		*attached = true;
		return 0;
	}
	if (!*attached)
		return check_fail(&k, "function %u is not attached", rec->fn);
	switch (rec->kind) {
	case ZTRACE_DETACH:
		if (k.ids->nr)
			return check_fail(&k, "function %u still has %" PRIu64 " live mappings",
					  rec->fn, k.ids->nr);
		*attached = false;
		return 0;
	case ZTRACE_MAP:
		return check_new_id(&k, LIVE_MAP);
	case ZTRACE_MAP_SG:
		return check_new_id(&k, LIVE_SG);
	case ZTRACE_ALLOC:
		return check_new_id(&k, LIVE_ALLOC);
	case ZTRACE_UNMAP:
	case ZTRACE_UNMAP_SG:
	case ZTRACE_FREE:
		return check_end_id(&k);
	case ZTRACE_DMA:
		return check_dma(&k);
	case ZTRACE_DMA_IOVA:
	case ZTRACE_RPCIT:
		if (!rec->len)
			return check_fail(&k, "zero length");
		return 0;
	default:
		return check_fail(&k, "unknown record");
	}
}
