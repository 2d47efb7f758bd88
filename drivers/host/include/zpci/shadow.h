/* SPDX-License-Identifier: MIT */
/*
 * The intercepting hypervisor's side of one function (today's QEMU + VFIO,
 * and the RPCIT intercept handled in the kernel, as proposed for a
 * KVM-owned IOMMU domain): the guest talks to a virtual view of the
 * function through zpci_shadow_hw(); the real function translates
 * through a shadow table the hypervisor keeps in host memory.
 *
 * The guest sees the refresh bit set (it must RPCIT after validating
 * entries) and an aperture no larger than the mapping limit allows.  On
 * each intercepted RPCIT the handler walks the guest's table in guest
 * memory over the range: a valid entry is pinned and mapped IOVA -> host
 * page, an invalid one unmapped and unpinned; then the real RPCIT.  The
 * guest is not trusted: an entry whose frame is not guest memory, or a
 * malformed table, maps nothing (and drops what the shadow had for that
 * page: fail safe) and answers cc 1 status 8.  When the
 * mapping limit is reached or a pin fails, the answer is cc 1 status 16 and
 * the guest must flush globally (letting stale mappings go) and retry.
 *
 * In the kernel (intercept-kvm) the guest's table pages are
 * pinned too, from the first walk that reads them until the IOAT goes.
 * A failed walk puts the function in the error state with an error event
 * (through the walk_failed hook: the handler knows the function only by
 * its instructions).
 */
#ifndef ZPCI_SHADOW_H
#define ZPCI_SHADOW_H

#include <zpci/counter.h>
#include <zpci/dma_table.h>
#include <zpci/hw.h>
#include <zpci/layout.h>
#include <zpci/pin.h>
#include <zpci/xlate.h>

#ifdef __cplusplus
extern "C" {
#endif

/* VFIO's default dma_entry_limit. */
#define ZPCI_SHADOW_MAPPING_LIMIT_DEFAULT	65535

/*
 * The work of the software walk, counted as QEMU's RPCIT intercept does it
 * (hw/s390x/s390-pci-inst.c, docs/costs.md): each walk starts at the top of
 * the guest's table, so a page in a populated segment reads three entries
 * and an invalid region or segment entry (one or two read) skips its whole
 * block; yet every 4 KiB page of the flushed range, holes included, is
 * looked up in QEMU's own IOTLB.  A changed page is one VFIO map (one
 * 4 KiB ioctl); runs of invalid page entries are unmapped together, one
 * ioctl per naturally aligned power-of-two piece of the run.
 */
struct zpci_shadow_stats {
	u64 intercepts;		/* guest RPCITs handled */
	u64 entries_read;	/* guest table entries the software walk read */
	u64 pages_compared;	/* pages of the flushed ranges, holes included */
	u64 maps;		/* shadow entries made, one map call each */
	u64 unmaps;		/* shadow entries removed */
	u64 unmap_calls;	/* unmap calls: aligned pieces of invalid runs, replaced pages */
	u64 host_rpcits;
	u64 host_failures;	/* ... failed or busy: its outcome went to the guest */
	u64 insufficient;	/* answered cc 1 status 16 */
	u64 walk_failures;	/* answered cc 1 status 8 */
	u64 peak_mappings;
	u64 table_pages_pinned;
};

/* The counters of struct zpci_shadow_stats the reports show. */
extern const struct zpci_counter zpci_shadow_counters[];

/* Told when a guest-table walk fails: the error event to raise. */
struct zpci_shadow_error_hook {
	void (*walk_failed)(void *ctx, enum zpci_pec pec, dma_addr_t iova);
	void *ctx;
};

struct zpci_shadow {
	struct zpci_hw host;		/* the real function */
	struct zpci_shadow_error_hook on_error;
	struct zpci_mem guest_mem;	/* guest-physical memory, to walk the guest table */
	const struct zpci_layout *layout;
	struct zpci_pinner *pins;
	struct zpci_dma_table table;	/* the shadow table, in host memory */
	struct zpci_u64map mapped;	/* IOVA page -> host page | 1 if read-only */
	struct zpci_dma_space guest;	/* what the guest registered; iota 0: none */
	u32 mapping_limit;
	bool pin_tables;		/* in the kernel: guest table pages pinned too */
	struct zpci_u64map table_pins;	/* guest table page (GPA >> 12) -> host page */
	struct zpci_shadow_stats stats;
};

/*
 * @host: the real function; @host_mem and @host_pool: where the shadow
 * table lives; @guest_mem and @layout: the guest's memory and where it is
 * in host memory; @pins: the guest's pin accounting.
 */
int zpci_shadow_init(struct zpci_shadow *s, struct zpci_hw host, struct zpci_mem host_mem,
		     struct zpci_frame_pool *host_pool, struct zpci_mem guest_mem,
		     const struct zpci_layout *layout, struct zpci_pinner *pins,
		     u32 mapping_limit, bool pin_tables);
/* Unmaps and unpins everything, frees the shadow table. */
void zpci_shadow_destroy(struct zpci_shadow *s);

/* The function as the guest sees it. */
struct zpci_hw zpci_shadow_hw(struct zpci_shadow *s);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_SHADOW_H */
