// SPDX-License-Identifier: MIT
/*
 * The guest's zPCI DMA layer: attach/detach and the DMA API.
 */
#include <string.h>

#include "rpcit.h"

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

/* Pages spanned by [addr, addr + size). */
static u64 span_pages(u64 addr, u64 size)
{
	return ((addr & ~ZPCI_PAGE_MASK) + size + ZPCI_PAGE_SIZE - 1) >> ZPCI_PAGE_SHIFT;
}

static bool dir_readonly(enum dma_data_direction dir)
{
	return dir == DMA_TO_DEVICE || dir == DMA_NONE;
}

static bool gen_6_7(const struct zpci_dma_dev *dev)
{
	return dev->cfg.gen == ZPCI_GUEST_LINUX_6_7;
}

static int iova_global_flush(void *priv)
{
	return zpci_refresh_global(priv);
}

/* The trace's CPU numbers fold onto the CPUs the guest was configured with. */
static u32 cpu_slot(const struct zpci_dma_dev *dev)
{
	return dev->cpu % dev->cfg.cpus;
}

/* The generation's allocator: @npages of IOVA space, or -ENOSPC. */
static int iova_alloc(struct zpci_dma_dev *dev, u64 npages, dma_addr_t *iova)
{
	if (gen_6_7(dev))
		return zpci_iova_domain_alloc(&dev->domain, npages, cpu_slot(dev), iova);
	return zpci_iova_bitmap_alloc(&dev->iova, npages, iova);
}

/* Reusable now: its translations are flushed, or were never established. */
static void iova_free(struct zpci_dma_dev *dev, dma_addr_t iova, u64 npages)
{
	if (gen_6_7(dev))
		zpci_iova_domain_free(&dev->domain, iova, npages, cpu_slot(dev), dev->jiffies);
	else
		zpci_iova_bitmap_free(&dev->iova, iova, npages);
}

static void fq_release(void *priv, dma_addr_t iova, u64 npages)
{
	iova_free(priv, iova, npages);
}

static const struct zpci_fq_ops dma_fq_ops = {
	.flush = iova_global_flush,
	.release = fq_release,
};

/* Start at sdma; the smallest of the cap, the table's span and edma. */
static int size_aperture(struct zpci_dma_dev *dev, const struct zpci_clp_fn *fn)
{
	u64 cap = dev->cfg.aperture_cap ? dev->cfg.aperture_cap : dev->cfg.guest_mem_size;
	dma_addr_t start = (fn->sdma + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK;
	u64 size;

	if (start < fn->sdma || start >= ZPCI_TABLE_SIZE_RT || start > fn->edma)
		return -EINVAL;
	size = ZPCI_TABLE_SIZE_RT - start;
	if (fn->edma - start + 1 < size)
		size = fn->edma - start + 1;
	if (cap < size)
		size = cap & ZPCI_PAGE_MASK;
	if (!size)
		return -EINVAL;
	dev->start_dma = start;
	dev->end_dma = start + size - 1;
	return 0;
}

static int init_iova(struct zpci_dma_dev *dev)
{
	/* dma-iommu's domain spans the table's reach; the aperture is what is not reserved. */
	struct zpci_iova_domain_cfg dcfg = {
		.start_dma = dev->start_dma,
		.end_dma = dev->end_dma,
		.top = ZPCI_TABLE_SIZE_RT - 1,
		.nr_cpus = dev->cfg.cpus,
		.hz = dev->cfg.hz,
	};
	struct zpci_iova_bitmap_cfg icfg = {
		.start = dev->start_dma,
		.pages = (dev->end_dma - dev->start_dma + 1) >> ZPCI_PAGE_SHIFT,
		.boundary_pages = dev->cfg.seg_boundary >> ZPCI_PAGE_SHIFT,
		.strict = dev->cfg.policy != ZPCI_FLUSH_LAZY,
		.global_flush = iova_global_flush,
		.flush_priv = dev,
	};

	if (gen_6_7(dev))
		return zpci_iova_domain_init(&dev->domain, &dcfg);
	return zpci_iova_bitmap_init(&dev->iova, &icfg);
}

static void destroy_iova(struct zpci_dma_dev *dev)
{
	if (gen_6_7(dev))
		zpci_iova_domain_destroy(&dev->domain);
	else
		zpci_iova_bitmap_destroy(&dev->iova);
}

static int init_fq(struct zpci_dma_dev *dev)
{
	struct zpci_fq_cfg fq = dev->cfg.fq;

	if (!fq.nr_queues && !fq.entries && !fq.timeout_ns) {
		if (dev->refresh)
			fq = (struct zpci_fq_cfg){ 1, ZPCI_FQ_SINGLE_ENTRIES, ZPCI_FQ_SINGLE_TIMEOUT_NS };
		else
			fq = (struct zpci_fq_cfg){ dev->cfg.cpus, ZPCI_FQ_PERCPU_ENTRIES,
						   ZPCI_FQ_PERCPU_TIMEOUT_NS };
	}
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
	/* 6.7's lazy mode is its flush queue: there is no lazy mode without one. */
	if (cfg->gen == ZPCI_GUEST_LINUX_6_7 && cfg->policy == ZPCI_FLUSH_LAZY)
		return -EINVAL;
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
	rc = init_iova(dev);
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
	destroy_iova(dev);
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
	destroy_iova(dev);
	dev->hw.ops->clp_set_fn(dev->hw.priv, dev->fh, false, &dev->fh);
}

static void run_timers(struct zpci_dma_dev *dev)
{
	if (dev->cfg.identity)
		return;
	if (dev->cfg.policy == ZPCI_FLUSH_QUEUE)
		zpci_fq_advance(&dev->fq, dev->jiffies);
	if (gen_6_7(dev))
		zpci_iova_domain_advance(&dev->domain, dev->jiffies);
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
		iova_free(dev, iova, npages);
}

int zpci_dma_map_page(struct zpci_dma_dev *dev, phys_addr_t pa, u64 size,
		      enum dma_data_direction dir, dma_addr_t *handle)
{
	u64 npages = span_pages(pa, size);
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
	rc = iova_alloc(dev, npages, &iova);
	if (rc)
		goto out_err;
	rc = zpci_dma_table_map(&dev->table, iova, pa & ZPCI_PAGE_MASK, npages, dir_readonly(dir));
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
	iova_free(dev, iova, npages);
out_err:
	dev->stats.map_errors++;
	return rc;
}

int zpci_dma_unmap_page(struct zpci_dma_dev *dev, dma_addr_t handle, u64 size,
			enum dma_data_direction dir)
{
	u64 npages = span_pages(handle, size);
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

/*
 * Map one DMA segment: elements [first, last] into one IOVA range of
 * @size bytes (counted from the first element's page), one sync-map RPCIT.
 */
static int map_sg_segment(struct zpci_dma_dev *dev, struct zpci_sg *sg, int first, int last,
			  u64 size, enum dma_data_direction dir)
{
	u64 npages = span_pages(0, size), done = 0;
	dma_addr_t base;
	int i, rc;

	rc = iova_alloc(dev, npages, &base);
	if (rc)
		goto out_err;
	for (i = first; i <= last; i++) {
		u64 n = span_pages(sg[i].pa, sg[i].length);

		rc = zpci_dma_table_map(&dev->table, base + (done << ZPCI_PAGE_SHIFT),
					sg[i].pa & ZPCI_PAGE_MASK, n, dir_readonly(dir));
		if (rc)
			goto out_unmap;
		done += n;
	}
	rc = zpci_sync_map(dev, base, npages << ZPCI_PAGE_SHIFT);
	if (rc)
		goto out_unmap;
	dev->stats.mapped_pages += npages;
	sg[first].dma_address = base + (sg[first].pa & ~ZPCI_PAGE_MASK);
	sg[first].dma_length = size - (sg[first].pa & ~ZPCI_PAGE_MASK);
	return 0;

out_unmap:
	if (done)
		zpci_dma_table_unmap(&dev->table, base, done);
	iova_free(dev, base, npages);
out_err:
	dev->stats.map_errors++;
	return rc;
}

/*
 * Linux 6.7+ (DMA-IOMMU): one IOVA range for the whole list.  Each element
 * takes whole pages from its own page offset; an element that would cross
 * a segment boundary starts at it instead, the gap going to the element
 * before (which then maps the pages that follow its buffer).  One sync-map
 * RPCIT covers everything mapped.  Then the DMA segments: an element joins
 * the one before when that one filled its pages exactly, it starts on a
 * page, is not at a segment boundary, and the segment stays within
 * max_seg_size.
 */
static int map_sg_one_range(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			    enum dma_data_direction dir)
{
	u64 boundary_mask = dev->cfg.seg_boundary ? dev->cfg.seg_boundary - 1 : ~0ULL;
	u64 len = 0, mapped = 0, cur_len = 0;
	dma_addr_t base, at;
	int i, count = 0, rc;

	/* Where each element goes in the range (dma_address) and its pages' bytes (dma_length). */
	for (i = 0; i < nents; i++) {
		u64 off = sg[i].pa & ~ZPCI_PAGE_MASK;
		u64 pages = (off + sg[i].length + ZPCI_PAGE_SIZE - 1) & ZPCI_PAGE_MASK;
		u64 pad = (boundary_mask - len + 1) & boundary_mask;

		if (i && pad && pad < pages - 1) {
			sg[i - 1].dma_length += pad;
			len += pad;
		}
		sg[i].dma_address = len;
		sg[i].dma_length = pages;
		len += pages;
	}
	rc = iova_alloc(dev, len >> ZPCI_PAGE_SHIFT, &base);
	if (rc)
		goto out_err;
	for (i = 0; i < nents; i++) {
		rc = zpci_dma_table_map(&dev->table, base + sg[i].dma_address, sg[i].pa & ZPCI_PAGE_MASK,
					sg[i].dma_length >> ZPCI_PAGE_SHIFT, dir_readonly(dir));
		if (rc)
			goto out_unmap;
		mapped += sg[i].dma_length;
	}
	rc = zpci_sync_map(dev, base, mapped);
	if (rc)
		goto out_unmap;
	dev->stats.mapped_pages += mapped >> ZPCI_PAGE_SHIFT;
	for (i = 0, at = base; i < nents; i++) {
		u64 off = sg[i].pa & ~ZPCI_PAGE_MASK, room = sg[i].dma_length;

		sg[i].dma_length = 0;
		if (cur_len && !off && (at & boundary_mask) &&
		    dev->cfg.max_seg_size - cur_len >= sg[i].length) {
			cur_len += sg[i].length;
		} else {
			cur_len = sg[i].length;
			sg[count++].dma_address = at + off;
		}
		sg[count - 1].dma_length = cur_len;
		at += room;
		if (off + sg[i].length < room)
			cur_len = 0;	/* it did not fill its pages: nothing joins it */
	}
	return count;

out_unmap:
	if (mapped)
		zpci_dma_table_unmap(&dev->table, base, mapped >> ZPCI_PAGE_SHIFT);
	iova_free(dev, base, len >> ZPCI_PAGE_SHIFT);
out_err:
	for (i = 0; i < nents; i++)
		sg[i].dma_length = 0;
	dev->stats.map_errors++;
	return rc;
}

/*
 * Linux <= 6.6: elements merge into one DMA segment while each new one
 * starts on a page boundary, the segment so far ends on one, and it stays
 * within max_seg_size; each segment gets its own IOVA range.  The i-th
 * segment is described in the i-th element.
 */
int zpci_dma_map_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		    enum dma_data_direction dir)
{
	int i, first = 0, count = 0, rc;
	u64 size;

	if (nents <= 0)
		return -EINVAL;
	for (i = 0; i < nents; i++)
		sg[i].dma_length = 0;
	if (gen_6_7(dev) && !dev->cfg.identity)
		return map_sg_one_range(dev, sg, nents, dir);
	if (dev->cfg.identity) {
		/* Every element is its own segment at its guest-physical address. */
		for (i = 0; i < nents; i++) {
			rc = zpci_dma_map_page(dev, sg[i].pa, sg[i].length, dir, &sg[i].dma_address);
			if (rc)
				goto out_unmap;
			sg[i].dma_length = sg[i].length;
			count++;
		}
		return count;
	}
	size = (sg[0].pa & ~ZPCI_PAGE_MASK) + sg[0].length;
	for (i = 1; i <= nents; i++) {
		u64 off = i < nents ? sg[i].pa & ~ZPCI_PAGE_MASK : 0;

		if (i < nents && !off && !(size & ~ZPCI_PAGE_MASK) &&
		    size + sg[i].length <= dev->cfg.max_seg_size) {
			size += sg[i].length;
			continue;
		}
		rc = map_sg_segment(dev, sg, first, i - 1, size, dir);
		if (rc)
			goto out_unmap;
		/* The segment's result moves to slot count, as the DMA API lists them. */
		if (count != first) {
			sg[count].dma_address = sg[first].dma_address;
			sg[count].dma_length = sg[first].dma_length;
			sg[first].dma_length = 0;
		}
		count++;
		if (i < nents) {
			first = i;
			size = off + sg[i].length;
		}
	}
	return count;

out_unmap:
	zpci_dma_unmap_sg(dev, sg, count, dir);
	return rc;
}

int zpci_dma_unmap_sg(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
		      enum dma_data_direction dir)
{
	int i, rc, first_err = 0;

	if (gen_6_7(dev) && !dev->cfg.identity) {
		/* The one range, from the first segment to the end of the last. */
		int last = -1;
		for (i = 0; i < nents; i++)
			last = sg[i].dma_length ? i : last;
		if (last < 0)
			return 0;
		rc = zpci_dma_unmap_page(dev, sg[0].dma_address,
					 sg[last].dma_address + sg[last].dma_length - sg[0].dma_address,
					 dir);
		for (i = 0; i <= last; i++)
			sg[i].dma_address = sg[i].dma_length = 0;
		return rc;
	}

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
