/* SPDX-License-Identifier: MIT */
/*
 * The guest's zPCI DMA layer for one function: what the Linux s390 guest
 * does between a device driver's DMA API calls and the hardware — IOVA
 * allocation, table updates, and the RPCITs each flush policy issues.
 *
 * Policies:
 *   ZPCI_FLUSH_LAZY   Linux <= 6.6 default: unmap invalidates entries but
 *                     issues no RPCIT; IOVAs are reused only after the
 *                     allocator wraps, behind one global flush.
 *   ZPCI_FLUSH_STRICT s390_iommu_strict=1 / iommu.strict=1: RPCIT on every
 *                     unmap; IOVAs reusable at once.
 *   ZPCI_FLUSH_QUEUE  Linux 6.7+ default: unmapped ranges wait in flush
 *                     queues until a global flush (queue full or timeout).
 * With the refresh bit (a shadowing hypervisor), every map also issues an
 * RPCIT for the new range ("sync map").  RPCIT busy is retried; "insufficient
 * resources" on a sync-map RPCIT is answered with one global flush (lazy:
 * which also returns the lazily freed IOVAs) that covers the range too; in
 * strict mode it is an error, as in Linux <= 6.6.
 *
 * Errors are negative errnos; a failed map leaves nothing mapped and its
 * IOVA freed the policy's way.  A failed unmap keeps its IOVA allocated for
 * good (the device may still hold the translation), as Linux does.
 */
#ifndef ZPCI_DMA_H
#define ZPCI_DMA_H

#include <zpci/counter.h>
#include <zpci/dma_table.h>
#include <zpci/flush_queue.h>
#include <zpci/hw.h>
#include <zpci/iova_bitmap.h>
#include <zpci/iova_domain.h>

#ifdef __cplusplus
extern "C" {
#endif

enum zpci_flush_policy {
	ZPCI_FLUSH_LAZY,
	ZPCI_FLUSH_STRICT,
	ZPCI_FLUSH_QUEUE,
};

#define ZPCI_FLUSH_BIT(policy)	(1U << (policy))

/*
 * Which kernel's DMA layer the guest runs.  Each generation is one ops
 * table in its own file (drivers/guest/gen_*.c), taken once at attach.
 *   LINUX_6_1  s390's own DMA ops (Linux <= 6.6): the bitmap allocator
 *              (iova_bitmap.h) over the aperture, lazy or strict.
 *   LINUX_6_7  the generic DMA-IOMMU layer (Linux >= 6.7): the top-down
 *              allocator with its caches (iova_domain.h), strict or behind
 *              flush queues; map_sg takes one IOVA range for the whole
 *              list, each element page-aligned in it.
 */
enum zpci_guest_gen {
	ZPCI_GUEST_LINUX_6_1,
	ZPCI_GUEST_LINUX_6_7,
	ZPCI_NR_GUEST_GENS,
};

struct zpci_dma_dev;
struct zpci_sg;

/*
 * What a kernel generation does its own way.  The ops run only on a
 * translating device (not identity), between init and destroy.
 */
struct zpci_guest_gen_ops {
	const char *name;	/* as configs and reports spell it */
	const char *desc;	/* one line: replay.guest's doc says it */
	/* The IOVA allocator over the aperture [start_dma, end_dma]. */
	int (*iova_init)(struct zpci_dma_dev *dev);
	void (*iova_destroy)(struct zpci_dma_dev *dev);
	/* @npages of IOVA space: 0, -ENOSPC, or the error of a flush it needed. */
	int (*iova_alloc)(struct zpci_dma_dev *dev, u64 npages, dma_addr_t *iova);
	/* Reusable now: its translations are flushed, or were never established. */
	void (*iova_free)(struct zpci_dma_dev *dev, dma_addr_t iova, u64 npages);
	/* A global flush was issued: what waited for one is free again. */
	void (*iova_reclaim)(struct zpci_dma_dev *dev);
	/* Run the allocator's timers due by dev->jiffies. */
	void (*iova_advance)(struct zpci_dma_dev *dev);
	/* The scatter-gather layout: zpci_dma_map_sg() on zeroed dma_lengths. */
	int (*map_sg)(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		      enum dma_data_direction dir);
	int (*unmap_sg)(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			enum dma_data_direction dir);
	u32 policies;		/* ZPCI_FLUSH_BIT() of each policy it has */
	enum zpci_flush_policy lazy_policy;	/* what its lazy mode (iommu.strict=0) is */
	/* "Insufficient resources" on a strict sync-map RPCIT: a global flush, not an error. */
	bool strict_recovers;
};

/* @gen's table; NULL for a value no generation has.  Iterate up to ZPCI_NR_GUEST_GENS. */
const struct zpci_guest_gen_ops *zpci_guest_gen_get(enum zpci_guest_gen gen);
/* "linux-6.1", or "?" for a value no generation has. */
const char *zpci_guest_gen_name(enum zpci_guest_gen gen);
/* 0, or -EINVAL for a name no generation has. */
int zpci_guest_gen_parse(const char *name, enum zpci_guest_gen *gen);
/* Whether @gen has @policy; an unknown generation has none. */
bool zpci_guest_gen_has_policy(enum zpci_guest_gen gen, enum zpci_flush_policy policy);

struct zpci_dma_cfg {
	u32 fid;
	enum zpci_guest_gen gen;
	/* LINUX_6_1: lazy or strict (flush-queue: its queues over the bitmap);
	 * LINUX_6_7: strict or flush-queue. */
	enum zpci_flush_policy policy;
	u64 guest_mem_size;	/* the default aperture cap */
	u64 aperture_cap;	/* bytes; 0: guest_mem_size */
	u64 seg_boundary;	/* no mapping crosses a multiple of it; 0: none */
	u64 max_seg_size;	/* map_sg merges elements up to this */
	u32 cpus;		/* guest CPUs: one flush queue each */
	u32 hz;			/* the guest's timer ticks a second; 0: ZPCI_HZ_DEFAULT */
	/*
	 * ZPCI_FLUSH_QUEUE only: the queues' shape, AUTO (0) as Linux picks
	 * it from the refresh bit (zpci/flush_queue.h), and custom sizes:
	 * each nonzero field of fq replaces the shape's number.
	 */
	enum zpci_fq_shape fq_shape;
	struct zpci_fq_cfg fq;
	u32 busy_retries;	/* Linux retries busy forever; the simulator stops here */
	/*
	 * No translation (QEMU's relaxed translation): the DMA address is the
	 * guest-physical address; no table, no IOVA allocation, no RPCIT.
	 */
	bool identity;
};

/* Defaults as Linux sets them for a PCI device. */
#define ZPCI_DMA_SEG_BOUNDARY_DEFAULT	(1ULL << 32)
#define ZPCI_DMA_MAX_SEG_SIZE_DEFAULT	(64ULL << 10)
#define ZPCI_DMA_BUSY_RETRIES_DEFAULT	1000

/* A cfg with every default for @fid, @policy and @guest_mem_size. */
struct zpci_dma_cfg zpci_dma_default_cfg(u32 fid, enum zpci_flush_policy policy,
					 u64 guest_mem_size);

/* Per-function statistics, named as the kernel names them. */
struct zpci_dma_stats {
	u64 mapped_pages;
	u64 unmapped_pages;
	u64 global_rpcits;
	u64 sync_map_rpcits;
	u64 sync_rpcits;
	u64 allocated_pages;	/* coherent memory currently mapped */
	u64 busy_retries;
	u64 insufficient_resources;	/* RPCITs answered cc 1 status 16 */
	u64 map_errors;
	u64 unmap_errors;
};

/* The counters of struct zpci_dma_stats the reports show, as the kernel names them. */
extern const struct zpci_counter zpci_dma_counters[];

struct zpci_dma_dev {
	struct zpci_hw hw;
	struct zpci_mem mem;
	struct zpci_dma_cfg cfg;
	const struct zpci_guest_gen_ops *gen;	/* cfg.gen's */
	u32 fh;
	bool refresh;
	dma_addr_t start_dma, end_dma;	/* the aperture, end inclusive */
	struct zpci_dma_table table;
	struct zpci_iova_bitmap iova;		/* LINUX_6_1 */
	struct zpci_iova_domain domain;		/* LINUX_6_7 */
	struct zpci_flush_queue fq;
	struct zpci_dma_stats stats;
	u64 now_ns;
	u64 jiffies;		/* the guest's: from the time, or from its ticks */
	u64 next_tick_ns;	/* from the time: when jiffies next moves on */
	bool ticks;		/* ticks drive jiffies (zpci_dma_tick()) */
	u32 cpu;
	char why[160];		/* why attach refused the function's values, or "" */
};

/* A scatter-gather element: what the driver passes and what map_sg fills. */
struct zpci_sg {
	phys_addr_t pa;
	u32 length;
	dma_addr_t dma_address;	/* set for the first nents map_sg returns */
	u32 dma_length;		/* 0: not the start of a DMA segment */
};

/*
 * Query, enable, build the table, size the aperture, register the IOAT.
 * Tables come from @pool, in guest memory @mem.  -EINVAL for values the
 * guest cannot use, dev->why naming the value.
 */
int zpci_dma_attach(struct zpci_dma_dev *dev, struct zpci_hw hw, struct zpci_mem mem,
		    struct zpci_frame_pool *pool, const struct zpci_dma_cfg *cfg);
/* Flush what is queued, deregister, free every table, disable. */
void zpci_dma_detach(struct zpci_dma_dev *dev);

/* zpci_dma_set_time's slow path: jiffies move on to @now_ns, timers run. */
void zpci_dma_tick_to(struct zpci_dma_dev *dev, u64 now_ns);

/*
 * The caller's clock and CPU, for the guest's timers and per-CPU queues.
 * Until the first tick, jiffies follow the time and the timers due run at
 * each new time; from then on the ticks set jiffies and the timers run
 * where the guest's timer softirq ran (a captured trace records both).
 */
static inline void zpci_dma_set_time(struct zpci_dma_dev *dev, u64 now_ns)
{
	dev->now_ns = now_ns;
	/* No timer can be due before jiffies moves on: every record asks. */
	if (!dev->ticks && now_ns >= dev->next_tick_ns)
		zpci_dma_tick_to(dev, now_ns);
}
/* A timer tick left the guest's jiffies at @jiffies. */
void zpci_dma_tick(struct zpci_dma_dev *dev, u64 jiffies);
/* The guest's timer softirq ran at @jiffies: the timers due by then run. */
void zpci_dma_run_timers(struct zpci_dma_dev *dev, u64 jiffies);
void zpci_dma_set_cpu(struct zpci_dma_dev *dev, u32 cpu);

int zpci_dma_map_page(struct zpci_dma_dev *dev, phys_addr_t pa, u64 size,
		      enum dma_data_direction dir, dma_addr_t *handle);
int zpci_dma_unmap_page(struct zpci_dma_dev *dev, dma_addr_t handle, u64 size,
			enum dma_data_direction dir);
/* Returns the number of DMA segments (>= 1) or -errno with nothing mapped. */
int zpci_dma_map_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		    enum dma_data_direction dir);
/* Unmaps every element with a dma_length; returns the first error, if any. */
int zpci_dma_unmap_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		      enum dma_data_direction dir);
/* Map @size bytes of memory the caller allocated at @pa, both directions. */
int zpci_dma_alloc_coherent(struct zpci_dma_dev *dev, phys_addr_t pa, u64 size,
			    dma_addr_t *handle);
int zpci_dma_free_coherent(struct zpci_dma_dev *dev, u64 size, dma_addr_t handle);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_DMA_H */
