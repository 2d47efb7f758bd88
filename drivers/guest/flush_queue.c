// SPDX-License-Identifier: MIT
/*
 * Flush queues (Linux 6.7+ lazy invalidation behaviour).
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/flush_queue.h>

/* Linux's shapes; a per-CPU shape's queue count is the guest's CPUs. */
static const struct zpci_fq_cfg fq_shapes[ZPCI_NR_FQ_SHAPES] = {
	[ZPCI_FQ_PER_CPU] = { 0, ZPCI_FQ_PERCPU_ENTRIES, ZPCI_FQ_PERCPU_TIMEOUT_NS },
	[ZPCI_FQ_SINGLE] = { 1, ZPCI_FQ_SINGLE_ENTRIES, ZPCI_FQ_SINGLE_TIMEOUT_NS },
};

struct zpci_fq_cfg zpci_fq_shape_cfg(enum zpci_fq_shape shape, bool refresh, u32 cpus,
				     const struct zpci_fq_cfg *custom)
{
	struct zpci_fq_cfg cfg;

	if (shape == ZPCI_FQ_AUTO || (unsigned int)shape >= ZPCI_NR_FQ_SHAPES)
		shape = refresh ? ZPCI_FQ_SINGLE : ZPCI_FQ_PER_CPU;
	cfg = fq_shapes[shape];
	if (!cfg.nr_queues)
		cfg.nr_queues = cpus;
	if (custom->nr_queues)
		cfg.nr_queues = custom->nr_queues;
	if (custom->entries)
		cfg.entries = custom->entries;
	if (custom->timeout_ns)
		cfg.timeout_ns = custom->timeout_ns;
	return cfg;
}

int zpci_fq_init(struct zpci_flush_queue *fq, const struct zpci_fq_cfg *cfg,
		 u32 hz, const struct zpci_fq_ops *ops, void *priv)
{
	u32 i;

	memset(fq, 0, sizeof(*fq));
	if (!cfg->nr_queues || !cfg->entries || !cfg->timeout_ns || !hz || hz > ZPCI_HZ_MAX)
		return -EINVAL;
	fq->ring = calloc(cfg->nr_queues, sizeof(*fq->ring));
	if (!fq->ring)
		return -ENOMEM;
	fq->cfg = *cfg;
	fq->timeout = zpci_jiffies_delay(hz, cfg->timeout_ns);
	for (i = 0; i < cfg->nr_queues; i++) {
		fq->ring[i].e = calloc(cfg->entries, sizeof(*fq->ring[i].e));
		if (!fq->ring[i].e) {
			zpci_fq_destroy(fq);
			return -ENOMEM;
		}
	}
	fq->ops = ops;
	fq->priv = priv;
	return 0;
}

void zpci_fq_destroy(struct zpci_flush_queue *fq)
{
	u32 i;

	for (i = 0; fq->ring && i < fq->cfg.nr_queues; i++)
		free(fq->ring[i].e);
	free(fq->ring);
	memset(fq, 0, sizeof(*fq));
}

/* Give back the oldest entries of @r that a finished flush has covered. */
static void ring_release(struct zpci_flush_queue *fq, struct zpci_fq_ring *r)
{
	while (r->count && r->e[r->head].gen < fq->finish_gen) {
		struct zpci_fq_entry *e = &r->e[r->head];

		fq->ops->release(fq->priv, e->iova, e->npages);
		fq->stats.released++;
		r->head = (r->head + 1) % fq->cfg.entries;
		r->count--;
	}
}

static void flush_all(struct zpci_flush_queue *fq)
{
	fq->start_gen++;
	if (fq->ops->flush(fq->priv))
		fq->stats.flush_errors++;
	fq->finish_gen++;
}

static void flush_and_release_all(struct zpci_flush_queue *fq)
{
	u32 i;

	flush_all(fq);
	for (i = 0; i < fq->cfg.nr_queues; i++)
		ring_release(fq, &fq->ring[i]);
}

void zpci_fq_advance(struct zpci_flush_queue *fq, u64 now)
{
	if (!fq->timer_armed || now < fq->expiry)
		return;
	fq->timer_armed = false;
	fq->stats.timeout_flushes++;
	flush_and_release_all(fq);
}

void zpci_fq_queue(struct zpci_flush_queue *fq, u32 cpu, dma_addr_t iova, u64 npages,
		   u64 now)
{
	struct zpci_fq_ring *r = &fq->ring[cpu % fq->cfg.nr_queues];
	struct zpci_fq_entry *e;

	ring_release(fq, r);
	if (r->count == fq->cfg.entries) {
		fq->stats.full_flushes++;
		flush_all(fq);
		ring_release(fq, r);
	}
	e = &r->e[(r->head + r->count) % fq->cfg.entries];
	e->iova = iova;
	e->npages = npages;
	e->gen = fq->start_gen;
	r->count++;
	fq->stats.queued++;
	if (!fq->timer_armed) {
		fq->timer_armed = true;
		fq->expiry = zpci_timer_expiry(now, fq->timeout);
	}
}

void zpci_fq_drain(struct zpci_flush_queue *fq)
{
	if (zpci_fq_pending(fq))
		flush_and_release_all(fq);
	fq->timer_armed = false;
}

u64 zpci_fq_pending(const struct zpci_flush_queue *fq)
{
	u64 n = 0;
	u32 i;

	for (i = 0; i < fq->cfg.nr_queues; i++)
		n += fq->ring[i].count;
	return n;
}
