/* SPDX-License-Identifier: MIT */
/*
 * Flush queues: lazy invalidation as Linux 6.7+ does it behind the generic
 * DMA layer.  An unmapped IOVA range is not reusable until an IOTLB flush
 * has covered it, so it waits in a queue; the queues are emptied by one
 * global flush when the current CPU's queue is full, or when a timer armed
 * at the first queued entry runs: on the guest's timer wheel, so up to a
 * bucket's granularity after the timeout.  Time is the guest's jiffies
 * (zpci/jiffies.h).
 *
 * Each entry carries the flush generation it was queued in; a flush moves
 * the finished generation on, and entries of earlier generations are given
 * back — for a full queue at once, for the other CPUs' queues at their next
 * use or at the timeout.
 */
#ifndef ZPCI_FLUSH_QUEUE_H
#define ZPCI_FLUSH_QUEUE_H

#include <zpci/arch.h>
#include <zpci/jiffies.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_fq_cfg {
	u32 nr_queues;		/* one per CPU, or 1 for the single large queue */
	u32 entries;		/* per queue */
	u64 timeout_ns;
};

/* Linux's two shapes: per-CPU queues, and one big queue behind a shadowing hypervisor. */
#define ZPCI_FQ_PERCPU_ENTRIES		256
#define ZPCI_FQ_PERCPU_TIMEOUT_NS	(10ULL * 1000 * 1000)
#define ZPCI_FQ_SINGLE_ENTRIES		32768
#define ZPCI_FQ_SINGLE_TIMEOUT_NS	(1000ULL * 1000 * 1000)

/*
 * Which of them a guest takes.  AUTO is what Linux 6.7+ picks: the single
 * queue when the function's refresh bit says a hypervisor shadows the
 * tables (every RPCIT is an intercept, so flush rarely), else per-CPU.
 */
enum zpci_fq_shape {
	ZPCI_FQ_AUTO,
	ZPCI_FQ_PER_CPU,	/* a queue per CPU: ZPCI_FQ_PERCPU_* */
	ZPCI_FQ_SINGLE,		/* one queue: ZPCI_FQ_SINGLE_* */
	ZPCI_NR_FQ_SHAPES,
};

/*
 * The queues of @shape for a guest of @cpus CPUs (@refresh: its
 * function's bit, for AUTO), with each nonzero field of @custom in place
 * of the shape's number.
 */
struct zpci_fq_cfg zpci_fq_shape_cfg(enum zpci_fq_shape shape, bool refresh, u32 cpus,
				     const struct zpci_fq_cfg *custom);

struct zpci_fq_ops {
	int (*flush)(void *priv);	/* one global IOTLB flush */
	void (*release)(void *priv, dma_addr_t iova, u64 npages);	/* reusable now */
};

struct zpci_fq_entry {
	dma_addr_t iova;
	u64 npages;
	u64 gen;
};

struct zpci_fq_ring {
	struct zpci_fq_entry *e;
	u32 head, count;
};

struct zpci_fq_stats {
	u64 queued;
	u64 full_flushes;
	u64 timeout_flushes;
	u64 flush_errors;	/* ignored, as Linux ignores them */
	u64 released;
};

struct zpci_flush_queue {
	struct zpci_fq_cfg cfg;
	struct zpci_fq_ring *ring;
	const struct zpci_fq_ops *ops;
	void *priv;
	u64 timeout;		/* jiffies */
	u64 start_gen, finish_gen;
	bool timer_armed;
	u64 expiry;		/* the jiffies at which the armed timer runs */
	struct zpci_fq_stats stats;
};

int zpci_fq_init(struct zpci_flush_queue *fq, const struct zpci_fq_cfg *cfg,
		 u32 hz, const struct zpci_fq_ops *ops, void *priv);
/* Releases nothing: call zpci_fq_drain() first to give the IOVAs back. */
void zpci_fq_destroy(struct zpci_flush_queue *fq);

/* Run the timer if it is due by jiffies @now. */
void zpci_fq_advance(struct zpci_flush_queue *fq, u64 now);
/*
 * Queue an unmapped range on @cpu's queue at jiffies @now, which arms the
 * timer if it is not; the timer itself runs only in zpci_fq_advance(), as
 * the kernel's runs only in its timer softirq.
 */
void zpci_fq_queue(struct zpci_flush_queue *fq, u32 cpu, dma_addr_t iova, u64 npages,
		   u64 now);
/* Flush once and give every queued range back (detach). */
void zpci_fq_drain(struct zpci_flush_queue *fq);
/* Ranges waiting, over all queues. */
u64 zpci_fq_pending(const struct zpci_flush_queue *fq);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_FLUSH_QUEUE_H */
