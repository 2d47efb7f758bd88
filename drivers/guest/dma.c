// SPDX-License-Identifier: MIT
/*
 * The guest's zPCI DMA layer: attach/detach and the DMA API.  What a
 * kernel generation does its own way is behind dev->gen (gen_*.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guest_gen.h"

struct zpci_dma_cfg zpci_dma_default_cfg(u32 fid, enum zpci_flush_policy policy,
					 u64 guest_mem_size)
{
	struct zpci_dma_cfg cfg = {
		.fid = fid,
		.policy = policy,
		.guest_mem_size = guest_mem_size,
		.seg_boundary = ZPCI_DMA_SEG_BOUNDARY_DEFAULT,
		.max_seg_size = ZPCI_DMA_MAX_SEG_SIZE_DEFAULT,
		.cpus = 1,
		.busy_retries = ZPCI_DMA_BUSY_RETRIES_DEFAULT,
	};

	return cfg;
}

static void fq_release(void *priv, dma_addr_t iova, u64 npages)
{
	struct zpci_dma_dev *dev = priv;

	dev->gen->iova_free(dev, iova, npages);
}

static const struct zpci_fq_ops dma_fq_ops = {
	.flush = zpci_refresh_global_cb,
	.release = fq_release,
};

/* Refuse the function's values with -EINVAL, dev->why saying which. */
static int refuse(struct zpci_dma_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(struct zpci_dma_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dev->why, sizeof(dev->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Start at sdma; the smallest of the cap, the table's span and edma. */
static int size_aperture(struct zpci_dma_dev *dev, const struct zpci_clp_fn *fn)
{
	u64 cap = dev->cfg.aperture_cap ? dev->cfg.aperture_cap : dev->cfg.guest_mem_size;
	dma_addr_t start = (fn->sdma + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK;
	u64 size;

	if (start < fn->sdma || start >= ZPCI_TABLE_SIZE_RT)
		return refuse(dev, "sdma %#llx: the guest's region-third table spans only "
			      "IOVAs below %#llx", (unsigned long long)fn->sdma,
			      (unsigned long long)ZPCI_TABLE_SIZE_RT);
	if (start > fn->edma)
		return refuse(dev, "sdma %#llx to edma %#llx: no whole page (the first starts "
			      "at %#llx)", (unsigned long long)fn->sdma,
			      (unsigned long long)fn->edma, (unsigned long long)start);
	size = ZPCI_TABLE_SIZE_RT - start;
	if (fn->edma - start + 1 < size)
		size = fn->edma - start + 1;
	if (cap < size)
		size = cap & ZPCI_PAGE_MASK;
	if (size < ZPCI_PAGE_SIZE)
		return refuse(dev, "sdma %#llx to edma %#llx: an aperture of %llu bytes, less "
			      "than a page", (unsigned long long)fn->sdma,
			      (unsigned long long)fn->edma, (unsigned long long)size);
	dev->start_dma = start;
	dev->end_dma = start + size - 1;
	return 0;
}

static int init_fq(struct zpci_dma_dev *dev)
{
	struct zpci_fq_cfg fq = zpci_fq_shape_cfg(dev->cfg.fq_shape, dev->refresh, dev->cfg.cpus,
						  &dev->cfg.fq);

	return zpci_fq_init(&dev->fq, &fq, dev->cfg.hz, &dma_fq_ops, dev);
}

static int register_ioat(struct zpci_dma_dev *dev, u8 oc)
{
	struct zpci_fib fib = {
		.pba = dev->start_dma,
		.pal = dev->end_dma,
		.iota = zpci_dma_table_iota(&dev->table),
	};

	return zpci_insn_errno(dev->hw.ops->mpcifc(dev->hw.priv, dev->fh, oc, &fib));
}

int zpci_dma_attach(struct zpci_dma_dev *dev, struct zpci_hw hw, struct zpci_mem mem,
		    struct zpci_frame_pool *pool, const struct zpci_dma_cfg *cfg)
{
	struct zpci_clp_group grp;
	struct zpci_clp_fn fn;
	int rc;

	memset(dev, 0, sizeof(*dev));
	dev->hw = hw;
	dev->mem = mem;
	dev->cfg = *cfg;
	dev->gen = zpci_guest_gen_get(cfg->gen);
	/* Not every generation has every policy: 6.7's lazy mode is its flush queue. */
	if (!zpci_guest_gen_has_policy(cfg->gen, cfg->policy))
		return refuse(dev, "guest generation %d has no policy %d", cfg->gen, cfg->policy);
	if (!dev->cfg.cpus)
		dev->cfg.cpus = 1;
	if (!dev->cfg.hz)
		dev->cfg.hz = ZPCI_HZ_DEFAULT;
	rc = hw.ops->clp_query_fn(hw.priv, cfg->fid, &fn);
	if (!rc)
		rc = hw.ops->clp_query_group(hw.priv, fn.pfgid, &grp);
	if (!rc)
		rc = size_aperture(dev, &fn);
	if (rc)
		return rc;
	dev->refresh = grp.refresh;
	rc = hw.ops->clp_set_fn(hw.priv, fn.fh, true, &dev->fh);
	if (rc || cfg->identity)
		return rc;
	rc = zpci_dma_table_init(&dev->table, mem, pool);
	if (rc)
		goto out_disable;
	rc = dev->gen->iova_init(dev);
	if (rc)
		goto out_table;
	if (cfg->policy == ZPCI_FLUSH_QUEUE) {
		rc = init_fq(dev);
		if (rc)
			goto out_iova;
	}
	rc = register_ioat(dev, ZPCI_MOD_FC_REG_IOAT);
	if (rc)
		goto out_fq;
	return 0;

out_fq:
	if (cfg->policy == ZPCI_FLUSH_QUEUE)
		zpci_fq_destroy(&dev->fq);
out_iova:
	dev->gen->iova_destroy(dev);
out_table:
	zpci_dma_table_destroy(&dev->table);
out_disable:
	hw.ops->clp_set_fn(hw.priv, dev->fh, false, &dev->fh);
	return rc;
}

void zpci_dma_detach(struct zpci_dma_dev *dev)
{
	struct zpci_fib none = { 0 };

	if (dev->cfg.identity) {
		dev->hw.ops->clp_set_fn(dev->hw.priv, dev->fh, false, &dev->fh);
		return;
	}
	if (dev->cfg.policy == ZPCI_FLUSH_QUEUE) {
		zpci_fq_drain(&dev->fq);
		zpci_fq_destroy(&dev->fq);
	}
	dev->hw.ops->mpcifc(dev->hw.priv, dev->fh, ZPCI_MOD_FC_DEREG_IOAT, &none);
	zpci_dma_table_destroy(&dev->table);
	dev->gen->iova_destroy(dev);
	dev->hw.ops->clp_set_fn(dev->hw.priv, dev->fh, false, &dev->fh);
}

static void run_timers(struct zpci_dma_dev *dev)
{
	if (dev->cfg.identity)
		return;
	if (dev->cfg.policy == ZPCI_FLUSH_QUEUE)
		zpci_fq_advance(&dev->fq, dev->jiffies);
	dev->gen->iova_advance(dev);
}

void zpci_dma_tick_to(struct zpci_dma_dev *dev, u64 now_ns)
{
	dev->jiffies = zpci_jiffies_at(dev->cfg.hz, now_ns);
	dev->next_tick_ns = zpci_jiffies_time(dev->cfg.hz, dev->jiffies + 1);
	run_timers(dev);
}

void zpci_dma_tick(struct zpci_dma_dev *dev, u64 jiffies)
{
	dev->ticks = true;
	dev->jiffies = jiffies;
}

void zpci_dma_run_timers(struct zpci_dma_dev *dev, u64 jiffies)
{
	zpci_dma_tick(dev, jiffies);
	run_timers(dev);
}

void zpci_dma_set_cpu(struct zpci_dma_dev *dev, u32 cpu)
{
	dev->cpu = cpu;
}

/* Give an IOVA range back the policy's way: lazily, at once, or queued. */
static void iova_release(struct zpci_dma_dev *dev, dma_addr_t iova, u64 npages)
{
	if (dev->cfg.policy == ZPCI_FLUSH_QUEUE)
		zpci_fq_queue(&dev->fq, dev->cpu, iova, npages, dev->jiffies);
	else
		dev->gen->iova_free(dev, iova, npages);
}

int zpci_dma_map_page(struct zpci_dma_dev *dev, phys_addr_t pa, u64 size,
		      enum dma_data_direction dir, dma_addr_t *handle)
{
	u64 npages = zpci_span_pages(pa, size);
	dma_addr_t iova;
	int rc;

	if (!size)
		return -EINVAL;
	if (dev->cfg.identity) {
		if (pa < dev->start_dma || pa - dev->start_dma + size - 1 > dev->end_dma - dev->start_dma) {
			dev->stats.map_errors++;
			return -ENOSPC;
		}
		dev->stats.mapped_pages += npages;
		*handle = pa;
		return 0;
	}
	rc = dev->gen->iova_alloc(dev, npages, &iova);
	if (rc)
		goto out_err;
	rc = zpci_dma_table_map(&dev->table, iova, pa & ZPCI_PAGE_MASK, npages,
				zpci_dir_readonly(dir));
	if (rc)
		goto out_free;
	rc = zpci_sync_map(dev, iova, npages << ZPCI_PAGE_SHIFT);
	if (rc)
		goto out_unmap;
	dev->stats.mapped_pages += npages;
	*handle = iova + (pa & ~ZPCI_PAGE_MASK);
	return 0;

out_unmap:
	zpci_dma_table_unmap(&dev->table, iova, npages);
out_free:
	dev->gen->iova_free(dev, iova, npages);
out_err:
	dev->stats.map_errors++;
	return rc;
}

int zpci_dma_unmap_page(struct zpci_dma_dev *dev, dma_addr_t handle, u64 size,
			enum dma_data_direction dir)
{
	u64 npages = zpci_span_pages(handle, size);
	dma_addr_t iova = handle & ZPCI_PAGE_MASK;
	int rc;

	(void)dir;
	if (dev->cfg.identity) {
		dev->stats.unmapped_pages += npages;
		return 0;
	}
	rc = zpci_dma_table_unmap(&dev->table, iova, npages);
	if (!rc && dev->cfg.policy == ZPCI_FLUSH_STRICT)
		rc = zpci_sync_unmap(dev, iova, npages << ZPCI_PAGE_SHIFT);
	if (rc) {
		dev->stats.unmap_errors++;
		return rc;
	}
	dev->stats.unmapped_pages += npages;
	iova_release(dev, iova, npages);
	return 0;
}

/* Identity: every element is its own segment at its guest-physical address. */
static int map_sg_identity(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			   enum dma_data_direction dir)
{
	int i, rc;

	for (i = 0; i < nents; i++) {
		rc = zpci_dma_map_page(dev, sg[i].pa, sg[i].length, dir, &sg[i].dma_address);
		if (rc)
			goto out_unmap;
		sg[i].dma_length = sg[i].length;
	}
	return nents;

out_unmap:
	zpci_dma_unmap_sg_elements(dev, sg, i, dir);
	return rc;
}

/* The generation lays the list out in IOVA space (identity has none). */
int zpci_dma_map_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		    enum dma_data_direction dir)
{
	int i;

	if (nents <= 0)
		return -EINVAL;
	for (i = 0; i < nents; i++)
		sg[i].dma_length = 0;
	if (dev->cfg.identity)
		return map_sg_identity(dev, sg, nents, dir);
	return dev->gen->map_sg(dev, sg, nents, dir);
}

int zpci_dma_unmap_sg_elements(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			       enum dma_data_direction dir)
{
	int i, rc, first_err = 0;

	for (i = 0; i < nents; i++) {
		if (!sg[i].dma_length)
			continue;
		rc = zpci_dma_unmap_page(dev, sg[i].dma_address, sg[i].dma_length, dir);
		if (rc && !first_err)
			first_err = rc;
		sg[i].dma_address = 0;
		sg[i].dma_length = 0;
	}
	return first_err;
}

int zpci_dma_unmap_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		      enum dma_data_direction dir)
{
	if (dev->cfg.identity)
		return zpci_dma_unmap_sg_elements(dev, sg, nents, dir);
	return dev->gen->unmap_sg(dev, sg, nents, dir);
}

int zpci_dma_alloc_coherent(struct zpci_dma_dev *dev, phys_addr_t pa, u64 size,
			    dma_addr_t *handle)
{
	u64 aligned = (size + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK;
	int rc;

	if (!zpci_is_aligned(pa, ZPCI_PAGE_SIZE))
		return -EINVAL;
	rc = zpci_dma_map_page(dev, pa, aligned, DMA_BIDIRECTIONAL, handle);
	if (!rc)
		dev->stats.allocated_pages += aligned >> ZPCI_PAGE_SHIFT;
	return rc;
}

int zpci_dma_free_coherent(struct zpci_dma_dev *dev, u64 size, dma_addr_t handle)
{
	u64 aligned = (size + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK;
	int rc = zpci_dma_unmap_page(dev, handle, aligned, DMA_BIDIRECTIONAL);

	if (!rc)
		dev->stats.allocated_pages -= aligned >> ZPCI_PAGE_SHIFT;
	return rc;
}

const struct zpci_counter zpci_dma_counters[] = {
	ZPCI_COUNTER(struct zpci_dma_stats, mapped_pages, "mapped_pages", "pages",
		     "pages the guest mapped for DMA", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_dma_stats, unmapped_pages, "unmapped_pages", "pages",
		     "pages the guest unmapped", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_dma_stats, global_rpcits, "global_rpcits", "RPCITs",
		     "RPCITs over the whole aperture: a lazy wrap, a flush queue, a recovery",
		     ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_dma_stats, sync_map_rpcits, "sync_map_rpcits", "RPCITs",
		     "RPCITs after making entries valid (the refresh bit)", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_dma_stats, sync_rpcits, "sync_rpcits", "RPCITs",
		     "RPCITs after invalidating entries", ZPCI_SHOW_SUMMARY),
	ZPCI_COUNTER(struct zpci_dma_stats, busy_retries, "busy_retries", "RPCITs",
		     "RPCITs issued again after a busy answer (cc 2)", 0),
	ZPCI_COUNTER(struct zpci_dma_stats, insufficient_resources, "insufficient_resources",
		     "RPCITs", "RPCITs answered insufficient resources (cc 1 status 16)", 0),
	ZPCI_COUNTER(struct zpci_dma_stats, map_errors, "map_errors", "calls",
		     "map calls the guest layer failed", 0),
	ZPCI_COUNTER(struct zpci_dma_stats, unmap_errors, "unmap_errors", "calls",
		     "unmap calls the guest layer failed", 0),
	ZPCI_COUNTER_END
};
