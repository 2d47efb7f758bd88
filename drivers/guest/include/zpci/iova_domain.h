/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator of Linux 6.7 and later, where s390 maps DMA through
 * the generic DMA-IOMMU layer: a top-down allocator over the whole
 * region-third reach with per-size caches in front of it.
 *
 * The allocator proper ("the tree") hands out ranges aligned to the next
 * power of two of their size, searching down from just below the range it
 * allocated last; it retries once over what lies above that point.
 * Everything outside the aperture [start_dma, end_dma] is reserved.
 *
 * In front of it, for sizes of 1 to 32 pages (requests under 32 pages are
 * rounded up to a power of two), each CPU keeps two magazines of
 * ZPCI_IOVA_MAG_SIZE freed ranges, and full magazines wait on a shared
 * depot.  Cached ranges stay allocated in the tree.  A depot holding more
 * magazines than there are CPUs gives one back to the tree every
 * ZPCI_IOVA_DEPOT_DELAY_NS, on the guest's timer wheel (zpci/jiffies.h).
 * When the tree has no room, every cache goes back to it and the search
 * runs once more.
 *
 * Time is the guest's jiffies, from the caller (the trace).  Modelled for
 * devices whose DMA mask reaches past 4 GiB, as zPCI functions' does: the
 * 32-bit first attempt and the 32-bit cached position are left out.
 */
#ifndef ZPCI_IOVA_DOMAIN_H
#define ZPCI_IOVA_DOMAIN_H

#include <zpci/arch.h>
#include <zpci/jiffies.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ZPCI_IOVA_MAG_SIZE		127
#define ZPCI_IOVA_CACHE_ORDERS		6	/* 1, 2, 4, 8, 16, 32 pages */
#define ZPCI_IOVA_DEPOT_DELAY_NS	100000000ULL

struct zpci_iova_mag {
	u32 size;
	u64 pfn[ZPCI_IOVA_MAG_SIZE];
	struct zpci_iova_mag *next;	/* in the depot */
};

struct zpci_iova_cpu_cache {
	struct zpci_iova_mag *loaded, *prev;
};

struct zpci_iova_cache {
	struct zpci_iova_cpu_cache *cpu;
	struct zpci_iova_mag *depot;	/* a stack */
	u32 depot_size;
	bool trim_pending;
	u64 trim_at;			/* jiffies: when the trim timer runs */
};

struct zpci_iova_domain_stats {
	u64 allocs;
	u64 cache_hits;		/* allocations served by a CPU cache or the depot */
	u64 tree_allocs;
	u64 frees;
	u64 cached_frees;	/* frees kept in a cache */
	u64 depot_pushes;
	u64 depot_pops;
	u64 trims;		/* depot magazines given back by the timer */
	u64 purges;		/* every cache given back after a failed search */
	u64 failures;
};

struct zpci_iova_domain {
	u64 base_pfn;		/* lowest allocatable pfn of the domain */
	u64 start_pfn, end_pfn;	/* the aperture */
	u64 limit_pfn;		/* one past the domain's top */
	/*
	 * Over [start_pfn, end_pfn]: allocated pages, where ranges begin, and
	 * which ranges wait in a cache (so that freeing one twice is caught).
	 */
	unsigned long *used, *first, *cached;
	/* The range the next search starts below (the kernel's cached node). */
	u64 cached_lo, cached_hi;
	u32 nr_cpus;
	u64 trim_delay;			/* jiffies */
	struct zpci_iova_cache cache[ZPCI_IOVA_CACHE_ORDERS];
	struct zpci_iova_domain_stats stats;
};

struct zpci_iova_domain_cfg {
	dma_addr_t start_dma, end_dma;	/* the aperture, end inclusive */
	dma_addr_t top;			/* the domain's last address (the table's reach) */
	u32 nr_cpus;
	u32 hz;				/* the guest's, for the trim timer */
};

int zpci_iova_domain_init(struct zpci_iova_domain *d, const struct zpci_iova_domain_cfg *cfg);
void zpci_iova_domain_destroy(struct zpci_iova_domain *d);

/*
 * An IOVA range of @npages for a map on @cpu: 0 and *iova, or -ENOSPC
 * when even the purged caches leave no room.
 */
int zpci_iova_domain_alloc(struct zpci_iova_domain *d, u64 npages, u32 cpu, dma_addr_t *iova);
/*
 * Give back the range at @iova that a map of @npages got, once its
 * translations are flushed, at jiffies @now (a depot push arms the trim
 * timer).  -EINVAL when no allocated range begins there (one already
 * given back included).
 */
int zpci_iova_domain_free(struct zpci_iova_domain *d, dma_addr_t iova, u64 npages, u32 cpu,
			  u64 now);
/* Run the depot trims due by jiffies @now: timers run only here. */
void zpci_iova_domain_advance(struct zpci_iova_domain *d, u64 now);

/* Pages allocated in the tree, cached ones included. */
u64 zpci_iova_domain_used_pages(const struct zpci_iova_domain *d);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_IOVA_DOMAIN_H */
