/* SPDX-License-Identifier: MIT */
/*
 * The functional zPCI function: what the hardware does, without timing.
 * It answers the instructions of zpci/hw.h (CLP, MPCIFC, STPCIFC, RPCIT),
 * translates device DMA through a flush-tracking IOTLB and, on a miss, the
 * reference translator, and enters the error state with an error event on a
 * translation fault.  The bare design runs on it directly; the cycle-level
 * models are checked against it.
 *
 * Models: one function; enable/disable; IOAT registration; RPCIT flushing
 * exactly its range; the error state (DMA blocked until reset) and the
 * error-event queue; DMA byte counters.  What is watched and injected is
 * the machine's (zpci/monitor.h).
 * Does not model: interrupts, load/store to BARs, timing, IOTLB capacity
 * (it never evicts: the worst case for stale translations).
 */
#ifndef ZPCI_FUNC_H
#define ZPCI_FUNC_H

#include <zpci/counter.h>
#include <zpci/ftlb.h>
#include <zpci/hw.h>
#include <zpci/xlate.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_func_cfg {
	u32 fid;
	u32 fh;			/* handle while disabled */
	u8 pfgid;
	dma_addr_t sdma, edma;	/* DMA address range CLP reports */
	bool refresh;		/* the group's refresh bit */
	/*
	 * Frame control honoured in region-third and segment entries (the
	 * machine's EDAT-2 and EDAT-1 facilities: 2 GiB and 1 MiB frames);
	 * without it such an entry is a format error.
	 */
	bool large_frames;
};

struct zpci_rpcit_rec {
	u32 fh;
	dma_addr_t iova;
	u64 len;
	struct zpci_insn_result result;
};

struct zpci_error_event {
	enum zpci_pec pec;
	u32 fid;
	u32 fh;
	dma_addr_t faddr;	/* failing DMA address */
	bool write;
};

struct zpci_func_stats {
	u64 rpcits;
	u64 iotlb_hits;
	u64 iotlb_misses;
	u64 iotlb_flushed;	/* cached translations dropped by RPCIT */
	u64 stale_hits;		/* hits whose table entry no longer says the same */
	u64 dma_read_bytes;
	u64 dma_write_bytes;
	u64 blocked_dmas;	/* DMA refused in the error state */
	u64 error_events;
	u64 digest;		/* zpci_digest_fold of every translated address, in order */
};

/* The counters of struct zpci_func_stats the reports show. */
extern const struct zpci_counter zpci_func_counters[];

/*
 * Told when the function's translations must be dropped: an RPCIT (its
 * range), an IOAT change, a disable or a new nested host table (len 0:
 * everything of @fh).  Models
 * that cache translations themselves hang their invalidation here.
 */
struct zpci_func_flush_hook {
	void (*flush)(void *ctx, u32 fh, dma_addr_t iova, u64 len);
	void *ctx;
};

struct zpci_monitor_fn;

/*
 * A reference translation remembered for one page and direction: the
 * stale check of every IOTLB hit would otherwise walk the tables again.
 * Valid while the memory's write generation is the one it was made at,
 * or, after writes elsewhere, while every table entry the walk read still
 * holds what it read (a walk is a function of the entries it reads).
 */
#define ZPCI_REF_ENTRIES	4	/* a 1-D walk reads 3; a 2-D one is not kept */

struct zpci_ref_memo {
	u64 key;		/* page << 1 | write */
	u64 generation;		/* 0: empty */
	u64 frame;		/* 4 KiB frame, or ZPCI_REF_FAULT */
	u64 entry_addr[ZPCI_REF_ENTRIES];	/* the entries the walk read */
	u64 entry[ZPCI_REF_ENTRIES];		/* and what they held */
	unsigned int nr_entries;	/* > ZPCI_REF_ENTRIES: not kept */
};

#define ZPCI_REF_MEMO_SIZE	1024	/* entries, direct-mapped */

struct zpci_func {
	struct zpci_func_cfg cfg;
	struct zpci_func_flush_hook hook;
	/* The machine's instruments (zpci/monitor.h), told of every translation used. */
	struct zpci_monitor_fn *probe;
	/*
	 * Nested translation (the nested-pinned design): the registered table
	 * is the guest's, in guest-physical memory, and this host table maps
	 * guest-physical to host-physical for every table access and frame.
	 */
	const struct zpci_dma_space *nested_host;
	struct zpci_xlate_view nested_view;
	struct zpci_mem mem;	/* what the function's DMA and walks reach */
	u64 mem_size;
	u32 fh;
	bool enabled, error, blocked;
	struct zpci_dma_space space;	/* iota 0: none registered */
	struct zpci_ftlb tlb;
	struct zpci_func_stats stats;
	struct zpci_error_event *events;
	size_t nr_events, cap_events;
	struct zpci_ref_memo *memo;	/* ZPCI_REF_MEMO_SIZE entries */
};

/* Whether @f's translation honours large frames (zpci_func_cfg). */
static inline bool zpci_func_large_frames(const struct zpci_func *f)
{
	return f->cfg.large_frames;
}

int zpci_func_init(struct zpci_func *f, const struct zpci_func_cfg *cfg, struct zpci_mem mem,
		   u64 mem_size);
void zpci_func_destroy(struct zpci_func *f);

/* The hw ops bound to @f. */
struct zpci_hw zpci_func_hw(struct zpci_func *f);

/* How one page of device DMA was translated. */
struct zpci_func_xlate {
	struct zpci_xlate x;	/* the translation used (the cached one on a hit) */
	bool hit;		/* came from the IOTLB */
	bool stale;		/* a hit the current tables would not give */
	bool blocked;		/* refused: function in the error state */
};

/*
 * Translate @iova as the device's DMA would: IOTLB, else a walk that fills
 * it.  A fault puts the function in the error state and queues an event.
 */
void zpci_func_translate(struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
			 struct zpci_func_xlate *out);
/* Account one translation the device used (for models that translate). */
void zpci_func_used(struct zpci_func *f, dma_addr_t iova, phys_addr_t addr, bool write);

/* Translate through the guest's table over @host (see nested_host). */
void zpci_func_set_nested(struct zpci_func *f, const struct zpci_dma_space *host);

/* The reference translation of @iova as this function's tables say now. */
enum zpci_fault zpci_func_reference(const struct zpci_func *f, dma_addr_t iova,
				    enum zpci_dma_dir dir, struct zpci_xlate *x);

static inline u64 zpci_ref_memo_key(dma_addr_t iova, enum zpci_dma_dir dir)
{
	return (iova >> ZPCI_PAGE_SHIFT) << 1 | (dir == ZPCI_DMA_WRITE);
}

/* The stale check past the memo: a walk, remembered while memory stays. */
bool zpci_func_stale_walk(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
			  phys_addr_t addr);

/*
 * Whether an IOTLB hit giving host-physical @addr for @iova is stale: a
 * walk of the current tables would fault or give another frame.  Every
 * hit asks, and the memo nearly always knows: that look-up is inline.
 */
static inline bool zpci_func_hit_is_stale(const struct zpci_func *f, dma_addr_t iova,
					  enum zpci_dma_dir dir, phys_addr_t addr)
{
	u64 key = zpci_ref_memo_key(iova, dir);
	const struct zpci_ref_memo *m = f->memo ? &f->memo[key % ZPCI_REF_MEMO_SIZE] : NULL;
	u64 generation = zpci_mem_generation(&f->mem);

	if (m && generation && m->generation == generation && m->key == key)
		return m->frame != zpci_align_down(addr, ZPCI_PAGE_SIZE);
	return zpci_func_stale_walk(f, iova, dir, addr);
}

/* Whether an RPCIT for @fh would be carried out, not refused (cc 3, status 40). */
static inline bool zpci_func_takes_rpcit(const struct zpci_func *f, u32 fh)
{
	return f->enabled && fh == f->fh && !f->error;
}

/* Enter the error state with an event, as a faulting DMA does. */
void zpci_func_raise_error(struct zpci_func *f, enum zpci_pec pec, dma_addr_t faddr, bool write);

/*
 * What zpci_func_translate() would give, changing nothing: no IOTLB fill,
 * no error state, no counters.  For checkers.
 */
void zpci_func_peek(const struct zpci_func *f, dma_addr_t iova, enum zpci_dma_dir dir,
		    struct zpci_func_xlate *out);
/*
 * Device DMA of @len bytes at @iova to/from @buf, page by page.  0, or
 * -EIO at the first page that faults or is blocked (earlier pages moved).
 * With @buf NULL the access is translated and counted but moves no data.
 */
int zpci_func_dma(struct zpci_func *f, dma_addr_t iova, void *buf, u64 len,
		  enum zpci_dma_dir dir);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_FUNC_H */
