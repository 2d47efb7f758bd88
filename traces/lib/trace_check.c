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

/* A live ID: what mapped it and its length in bytes, packed in one u64. */
enum live_kind { LIVE_MAP = 1, LIVE_SG = 2, LIVE_ALLOC = 3 };

#define LIVE_KIND_BITS	2

static u64 live_pack(enum live_kind kind, u64 len)
{
	return len << LIVE_KIND_BITS | kind;
}

static enum live_kind live_kind(u64 v)
{
	return v & ((1 << LIVE_KIND_BITS) - 1);
}

static u64 live_len(u64 v)
{
	return v >> LIVE_KIND_BITS;
}

struct ztrace_checker {
	struct ztrace_header h;
	bool attached[ZTRACE_MAX_FNS];
	struct zpci_u64map live[ZTRACE_MAX_FNS];
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
	for (i = 0; i < h->nr_fns; i++) {
		if (zpci_u64map_init(&c->live[i])) {
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
		zpci_u64map_destroy(&c->live[i]);
	free(c);
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
	struct zpci_u64map *live;
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
	u32 i;

	if (rec->id == ZPCI_U64MAP_EMPTY)
		return check_fail(k, "ID %" PRIu64 " is reserved", rec->id);
	if (zpci_u64map_find(k->live, rec->id))
		return check_fail(k, "ID %" PRIu64 " is already live", rec->id);
	if (kind == LIVE_SG) {
		for (i = 0, len = 0; i < rec->nr_sg; i++) {
			if (!in_guest(k->c, rec->sg[i].pa, rec->sg[i].len))
				return check_fail(k, "element %u [%#" PRIx64 ", +%" PRIu64
						  ") is not inside guest memory", i,
						  rec->sg[i].pa, rec->sg[i].len);
			len += rec->sg[i].len;
		}
	} else if (!in_guest(k->c, rec->pa, rec->len)) {
		return check_fail(k, "[%#" PRIx64 ", +%" PRIu64 ") is not inside guest memory",
				  rec->pa, rec->len);
	}
	if (len >> (64 - LIVE_KIND_BITS))
		return check_fail(k, "length %" PRIu64 " too large", len);
	if (zpci_u64map_put(k->live, rec->id, live_pack(kind, len)))
		return check_fail(k, "out of memory");
	return 0;
}

static int check_end_id(struct check *k)
{
	enum live_kind want = ending_kind(k->rec->kind);
	u64 *v = zpci_u64map_find(k->live, k->rec->id);

	if (!v)
		return check_fail(k, "ID %" PRIu64 " is not live", k->rec->id);
	if (live_kind(*v) != want)
		return check_fail(k, "ID %" PRIu64 " was made by %s", k->rec->id,
				  live_names[live_kind(*v)]);
	zpci_u64map_remove(k->live, k->rec->id);
	return 0;
}

static int check_dma(struct check *k)
{
	const struct ztrace_rec *rec = k->rec;
	u64 *v = zpci_u64map_find(k->live, rec->id);

	if (!v)
		return check_fail(k, "ID %" PRIu64 " is not live", rec->id);
	if (!rec->len || rec->off > live_len(*v) || rec->len > live_len(*v) - rec->off)
		return check_fail(k, "[%" PRIu64 ", +%" PRIu64 ") is outside ID %" PRIu64
				  " of %" PRIu64 " bytes", rec->off, rec->len, rec->id, live_len(*v));
	return 0;
}

int ztrace_check(struct ztrace_checker *c, const struct ztrace_rec *rec,
		 struct ztrace_diag *diag)
{
	struct check k = { c, rec, &c->live[rec->fn], diag };
	bool *attached = &c->attached[rec->fn];

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
		if (k.live->nr)
			return check_fail(&k, "function %u still has %" PRIu64 " live mappings",
					  rec->fn, k.live->nr);
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
