// SPDX-License-Identifier: MIT
/*
 * Intercepted RPCIT: shadow tables and pinning.
 */
#include <string.h>

#include <zpci/shadow.h>

#define MAPPED_READONLY	1ULL

static const struct zpci_insn_result insn_ok = { ZPCI_CC_OK, 0 };
static const struct zpci_insn_result insn_insufficient = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_INSUFF_RES };
static const struct zpci_insn_result insn_walk_failed = { ZPCI_CC_STATUS, ZPCI_RPCIT_ST_WALK_FAILED };

int zpci_shadow_init(struct zpci_shadow *s, struct zpci_hw host, struct zpci_mem host_mem,
		     struct zpci_frame_pool *host_pool, struct zpci_mem guest_mem,
		     const struct zpci_layout *layout, struct zpci_pinner *pins,
		     u32 mapping_limit, bool pin_tables)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (!mapping_limit)
		return -EINVAL;
	s->host = host;
	s->guest_mem = guest_mem;
	s->layout = layout;
	s->pins = pins;
	s->mapping_limit = mapping_limit;
	s->pin_tables = pin_tables;
	rc = zpci_u64map_init(&s->mapped);
	if (!rc)
		rc = zpci_u64map_init(&s->table_pins);
	if (!rc)
		rc = zpci_dma_table_init(&s->table, host_mem, host_pool);
	if (rc) {
		zpci_u64map_destroy(&s->table_pins);
		zpci_u64map_destroy(&s->mapped);
	}
	return rc;
}

/* One shadow mapping goes: its entry, its pin.  For zpci_u64map_remove_range_each. */
static void drop_mapping(void *ctx, u64 page, u64 val)
{
	struct zpci_shadow *s = ctx;

	zpci_dma_table_unmap(&s->table, page << ZPCI_PAGE_SHIFT, 1);
	zpci_unpin(s->pins, val & ZPCI_PAGE_MASK);
	s->stats.unmaps++;
}

/* Returns how many mappings went. */
static u64 drop_range(struct zpci_shadow *s, u64 first_page, u64 last_page)
{
	return zpci_u64map_remove_range_each(&s->mapped, first_page, last_page, drop_mapping, s);
}

static void unpin_table_page(void *ctx, u64 page, u64 hpa)
{
	struct zpci_shadow *s = ctx;

	(void)page;
	zpci_unpin(s->pins, hpa);
}

static void drop_all(struct zpci_shadow *s)
{
	drop_range(s, 0, ZPCI_U64MAP_EMPTY - 1);
	zpci_u64map_remove_range_each(&s->table_pins, 0, ZPCI_U64MAP_EMPTY - 1, unpin_table_page, s);
}

void zpci_shadow_destroy(struct zpci_shadow *s)
{
	drop_all(s);
	zpci_dma_table_destroy(&s->table);
	zpci_u64map_destroy(&s->table_pins);
	zpci_u64map_destroy(&s->mapped);
	memset(s, 0, sizeof(*s));
}

/* In the kernel: the guest table pages this walk read stay pinned. */
static int pin_walked_tables(struct zpci_shadow *s, const struct zpci_xlate *x)
{
	unsigned int i;

	for (i = 0; s->pin_tables && i < x->nr_steps; i++) {
		u64 page = x->steps[i].entry_addr >> ZPCI_PAGE_SHIFT;
		phys_addr_t hpa;

		if (zpci_u64map_find(&s->table_pins, page))
			continue;
		if (zpci_layout_gpa_to_hpa(s->layout, page << ZPCI_PAGE_SHIFT, &hpa))
			return -EFAULT;	/* a table outside guest memory */
		if (zpci_pin(s->pins, hpa))
			return -ENOMEM;
		if (zpci_u64map_put(&s->table_pins, page, hpa)) {
			zpci_unpin(s->pins, hpa);
			return -ENOMEM;
		}
		s->stats.table_pages_pinned++;
	}
	return 0;
}

/* Make the shadow of @page what the guest's entry says: host page @hpa. */
static int map_page(struct zpci_shadow *s, dma_addr_t page, phys_addr_t hpa, bool readonly)
{
	u64 want = hpa | (readonly ? MAPPED_READONLY : 0);
	u64 key = page >> ZPCI_PAGE_SHIFT, *old = zpci_u64map_find(&s->mapped, key);

	if (old && *old == want)
		return 0;
	if (old) {
		/* QEMU unmaps the old page with a call of its own before the map. */
		drop_range(s, key, key);
		s->stats.unmap_calls++;
	}
	if (s->mapped.nr >= s->mapping_limit)
		return -ENOSPC;
	if (zpci_pin(s->pins, hpa))
		return -ENOMEM;
	if (zpci_dma_table_map(&s->table, page, hpa, 1, readonly) ||
	    zpci_u64map_put(&s->mapped, key, want)) {
		zpci_dma_table_unmap(&s->table, page, 1);
		zpci_unpin(s->pins, hpa);
		return -ENOMEM;
	}
	s->stats.maps++;
	if (s->mapped.nr > s->stats.peak_mappings)
		s->stats.peak_mappings = s->mapped.nr;
	return 0;
}

/*
 * One RPCIT's walk: where it ends, and the run of invalid page entries not
 * yet unmapped.  QEMU gathers such a run and unmaps it when something else
 * comes (a valid page, a skipped block) or the walk ends, in as few calls
 * as the run has naturally aligned power-of-two pieces.
 */
struct shadow_walk {
	dma_addr_t end;			/* last byte of the range */
	u64 run_first, run_pages;	/* the run, in pages */
};

/* The naturally aligned power-of-two pieces of @pages pages from page @first. */
static u64 aligned_pieces(u64 first, u64 pages)
{
	u64 n;

	for (n = 0; pages; n++) {
		u64 top = 1ULL << (63 - __builtin_clzll(pages));
		u64 piece = first & -first;	/* the largest @first is aligned to; 0: any */

		if (!piece || piece > top)
			piece = top;
		first += piece;
		pages -= piece;
	}
	return n;
}

static void unmap_run(struct zpci_shadow *s, struct shadow_walk *w)
{
	s->stats.unmap_calls += aligned_pieces(w->run_first, w->run_pages);
	w->run_pages = 0;
}

/*
 * Bring the shadow of [*page, ...) in line with the guest's table, one
 * page, or a whole block the guest left invalid at a region or segment
 * entry.  Advances *page past what it handled.  Each call is one walk from
 * the top of the guest's table, as QEMU's is: a page in a populated
 * segment reads all three entries.
 */
static int sync_step(struct zpci_shadow *s, dma_addr_t *page, struct shadow_walk *w)
{
	struct zpci_xlate x;
	phys_addr_t hpa;
	u64 block;

	int rc;

	zpci_translate(&s->guest_mem, &s->guest, *page, ZPCI_DMA_READ, &x);
	s->stats.entries_read += x.nr_steps;
	rc = pin_walked_tables(s, &x);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		x.fault = ZPCI_FAULT_TABLE_ADDR;
	switch (x.fault) {
	case ZPCI_FAULT_NONE:
		if (zpci_layout_gpa_to_hpa(s->layout, x.addr & ZPCI_PAGE_MASK, &hpa))
			break;	/* a frame the guest does not own */
		unmap_run(s, w);
		s->stats.pages_compared++;
		*page += ZPCI_PAGE_SIZE;
		return map_page(s, *page - ZPCI_PAGE_SIZE, hpa, x.readonly);
	case ZPCI_FAULT_INVALID_ENTRY:
		if (x.steps[x.nr_steps - 1].level == ZPCI_LEVEL_PX) {
			/* Joins the run, unmapped whether the shadow had it or not. */
			if (!w->run_pages)
				w->run_first = *page >> ZPCI_PAGE_SHIFT;
			w->run_pages++;
			s->stats.pages_compared++;
			drop_range(s, *page >> ZPCI_PAGE_SHIFT, *page >> ZPCI_PAGE_SHIFT);
			*page += ZPCI_PAGE_SIZE;
			return 0;
		}
		/*
		 * Invalid higher up: the whole block, one walk; QEMU still
		 * looks each of its pages up in its IOTLB.
		 */
		unmap_run(s, w);
		block = 1ULL << zpci_level_info(x.steps[x.nr_steps - 1].level)->shift;
		block = zpci_align_down(*page, block) + block - *page;
		s->stats.pages_compared += block - 1 > w->end - *page
						   ? ((w->end - *page) >> ZPCI_PAGE_SHIFT) + 1
						   : block >> ZPCI_PAGE_SHIFT;
		if (drop_range(s, *page >> ZPCI_PAGE_SHIFT, (*page + block - 1) >> ZPCI_PAGE_SHIFT))
			s->stats.unmap_calls++;	/* an aligned block: one call */
		*page += block;
		return 0;
	default:
		break;	/* a malformed guest table */
	}
	/* Refused: whatever the shadow had for this page goes too (fail safe). */
	drop_range(s, *page >> ZPCI_PAGE_SHIFT, *page >> ZPCI_PAGE_SHIFT);
	if (s->on_error.walk_failed)
		s->on_error.walk_failed(s->on_error.ctx,
					x.fault ? x.pec : ZPCI_PEC_INVALID_ENTRY, *page);
	return -EFAULT;
}

/*
 * The host flushes the function's IOTLB itself.  Busy goes back to the
 * guest, whose retry loop (bounded by its busy_retries) is then the only
 * one: Linux retries busy without end on both sides (arch/s390/pci/
 * pci_insn.c), and a bounded host loop inside the guest's would multiply
 * the two bounds (a million host RPCITs per guest RPCIT).
 */
static struct zpci_insn_result host_rpcit(struct zpci_shadow *s, u32 fh, dma_addr_t iova, u64 len)
{
	struct zpci_insn_result r = s->host.ops->rpcit(s->host.priv, fh, iova, len);

	s->stats.host_rpcits++;
	if (r.cc != ZPCI_CC_OK)
		s->stats.host_failures++;
	return r;
}

static struct zpci_insn_result shadow_rpcit(void *priv, u32 fh, dma_addr_t iova, u64 len)
{
	struct zpci_shadow *s = priv;
	struct zpci_insn_result r = insn_ok, host;
	struct shadow_walk w = { 0 };
	dma_addr_t page;
	int rc = 0;

	if (!zpci_iota_enabled(s->guest.iota) || !len)
		return s->host.ops->rpcit(s->host.priv, fh, iova, len);
	s->stats.intercepts++;
	/* Only the registered range can be shadowed. */
	page = zpci_align_down(iova < s->guest.pba ? s->guest.pba : iova, ZPCI_PAGE_SIZE);
	w.end = iova + len - 1;
	if (w.end < iova || w.end > s->guest.pal)
		w.end = s->guest.pal;
	while (page <= w.end && page >= s->guest.pba && !rc)
		rc = sync_step(s, &page, &w);
	unmap_run(s, &w);
	if (rc == -ENOSPC || rc == -ENOMEM) {
		s->stats.insufficient++;
		r = insn_insufficient;
	} else if (rc) {
		s->stats.walk_failures++;
		r = insn_walk_failed;
	}
	/*
	 * The shadow's own failure says more; otherwise the guest learns what
	 * the host's flush came to (insufficient resources, function in error).
	 */
	host = host_rpcit(s, fh, iova, len);
	return r.cc == ZPCI_CC_OK ? host : r;
}

/* CLP: the guest sees the refresh bit and an aperture the limit can map. */
static int shadow_clp_query_fn(void *priv, u32 fid, struct zpci_clp_fn *fn)
{
	struct zpci_shadow *s = priv;
	int rc = s->host.ops->clp_query_fn(s->host.priv, fid, fn);
	u64 span = (u64)s->mapping_limit << ZPCI_PAGE_SHIFT;

	if (!rc && fn->edma - fn->sdma >= span)
		fn->edma = fn->sdma + span - 1;
	return rc;
}

static int shadow_clp_query_group(void *priv, u8 pfgid, struct zpci_clp_group *grp)
{
	struct zpci_shadow *s = priv;
	int rc = s->host.ops->clp_query_group(s->host.priv, pfgid, grp);

	grp->refresh = true;
	return rc;
}

static int shadow_clp_set_fn(void *priv, u32 fh, bool enable, u32 *new_fh)
{
	struct zpci_shadow *s = priv;

	if (!enable) {
		drop_all(s);
		memset(&s->guest, 0, sizeof(s->guest));
	}
	return s->host.ops->clp_set_fn(s->host.priv, fh, enable, new_fh);
}

/* IOAT: the guest's table is remembered; the real function gets the shadow's. */
static struct zpci_insn_result shadow_mpcifc(void *priv, u32 fh, u8 oc, const struct zpci_fib *fib)
{
	struct zpci_shadow *s = priv;
	struct zpci_fib real = *fib;
	struct zpci_insn_result r;

	if (oc != ZPCI_MOD_FC_REG_IOAT && oc != ZPCI_MOD_FC_REREG_IOAT &&
	    oc != ZPCI_MOD_FC_DEREG_IOAT)
		return s->host.ops->mpcifc(s->host.priv, fh, oc, fib);
	if (oc != ZPCI_MOD_FC_DEREG_IOAT)
		real.iota = zpci_dma_table_iota(&s->table);
	r = s->host.ops->mpcifc(s->host.priv, fh, oc, &real);
	if (r.cc != ZPCI_CC_OK)
		return r;
	drop_all(s);
	memset(&s->guest, 0, sizeof(s->guest));
	if (oc != ZPCI_MOD_FC_DEREG_IOAT)
		s->guest = (struct zpci_dma_space){ .iota = fib->iota, .pba = fib->pba, .pal = fib->pal };
	return r;
}

static struct zpci_insn_result shadow_stpcifc(void *priv, u32 fh, struct zpci_fib *fib)
{
	struct zpci_shadow *s = priv;
	struct zpci_insn_result r = s->host.ops->stpcifc(s->host.priv, fh, fib);

	if (r.cc == ZPCI_CC_OK)
		fib->iota = s->guest.iota;
	return r;
}

static const struct zpci_hw_ops shadow_hw_ops = {
	.clp_query_fn = shadow_clp_query_fn,
	.clp_query_group = shadow_clp_query_group,
	.clp_set_fn = shadow_clp_set_fn,
	.mpcifc = shadow_mpcifc,
	.stpcifc = shadow_stpcifc,
	.rpcit = shadow_rpcit,
};

struct zpci_hw zpci_shadow_hw(struct zpci_shadow *s)
{
	struct zpci_hw hw = { .ops = &shadow_hw_ops, .priv = s };

	return hw;
}

const struct zpci_counter zpci_shadow_counters[] = {
	ZPCI_COUNTER(struct zpci_shadow_stats, intercepts, "intercepts", "RPCITs",
		     "guest RPCITs the hypervisor intercepted and handled",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_COMPARE | ZPCI_SHOW_SWEEP | ZPCI_SHOW_LIVE),
	ZPCI_COUNTER(struct zpci_shadow_stats, host_rpcits, "host_rpcits", "RPCITs",
		     "RPCITs the hypervisor issued to the real function",
		     ZPCI_SHOW_SUMMARY | ZPCI_SHOW_COMPARE | ZPCI_SHOW_SWEEP),
	ZPCI_COUNTER(struct zpci_shadow_stats, host_failures, "host_rpcit_failures", "RPCITs",
		     "host RPCITs that failed, their outcome passed to the guest", 0),
	ZPCI_COUNTER(struct zpci_shadow_stats, entries_read, "walk_entries_read", "entries",
		     "guest table entries the hypervisor's walks read, each from the top", 0),
	ZPCI_COUNTER(struct zpci_shadow_stats, pages_compared, "walk_pages_compared", "pages",
		     "4 KiB pages of the flushed ranges brought in line, skipped blocks included",
		     0),
	ZPCI_COUNTER(struct zpci_shadow_stats, maps, "shadow_maps", "entries",
		     "shadow table entries made, one map call each", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_shadow_stats, unmaps, "shadow_unmaps", "entries",
		     "shadow table entries removed", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_shadow_stats, unmap_calls, "shadow_unmap_calls", "calls",
		     "unmap calls: aligned pieces of runs of invalid page entries, replaced pages",
		     0),
	ZPCI_COUNTER(struct zpci_shadow_stats, insufficient, "insufficient_resources", "RPCITs",
		     "intercepts answered insufficient resources (mapping limit or pin failure)",
		     ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_shadow_stats, walk_failures, "guest_table_walk_failures",
		     "RPCITs", "intercepts whose walk of the guest's table failed (cc 1 status 8)",
		     ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER_END
};
