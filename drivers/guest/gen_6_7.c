// SPDX-License-Identifier: MIT
/*
 * Linux >= 6.7: s390 behind the generic DMA-IOMMU layer.  The top-down
 * allocator with its caches, strict or behind flush queues (its lazy mode);
 * a scatter-gather list takes one IOVA range; "insufficient resources" on
 * a sync-map RPCIT is answered with a global flush in every mode.
 */
#include "guest_gen.h"

/* The trace's CPU numbers fold onto the CPUs the guest was configured with. */
static u32 cpu_slot(const struct zpci_dma_dev *dev)
{
	return dev->cpu % dev->cfg.cpus;
}

static int domain_init(struct zpci_dma_dev *dev)
{
	/* dma-iommu's domain spans the table's reach; the aperture is what is not reserved. */
	struct zpci_iova_domain_cfg cfg = {
		.start_dma = dev->start_dma,
		.end_dma = dev->end_dma,
		.top = ZPCI_TABLE_SIZE_RT - 1,
		.nr_cpus = dev->cfg.cpus,
		.hz = dev->cfg.hz,
	};

	return zpci_iova_domain_init(&dev->domain, &cfg);
}

static void domain_destroy(struct zpci_dma_dev *dev)
{
	zpci_iova_domain_destroy(&dev->domain);
}

static int domain_alloc(struct zpci_dma_dev *dev, u64 npages, dma_addr_t *iova)
{
	return zpci_iova_domain_alloc(&dev->domain, npages, cpu_slot(dev), iova);
}

static void domain_free(struct zpci_dma_dev *dev, dma_addr_t iova, u64 npages)
{
	zpci_iova_domain_free(&dev->domain, iova, npages, cpu_slot(dev), dev->jiffies);
}

/* Nothing waits for a global flush here: the flush queues hold what does. */
static void domain_reclaim(struct zpci_dma_dev *dev)
{
	(void)dev;
}

static void domain_advance(struct zpci_dma_dev *dev)
{
	zpci_iova_domain_advance(&dev->domain, dev->jiffies);
}

/*
 * One IOVA range for the whole list.  Each element takes whole pages from
 * its own page offset; an element that would cross a segment boundary
 * starts at it instead, the gap going to the element before (which then
 * maps the pages that follow its buffer).  One sync-map RPCIT covers
 * everything mapped.  Then the DMA segments: an element joins the one
 * before when that one filled its pages exactly, it starts on a page, is
 * not at a segment boundary, and the segment stays within max_seg_size.
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
	rc = domain_alloc(dev, len >> ZPCI_PAGE_SHIFT, &base);
	if (rc)
		goto out_err;
	for (i = 0; i < nents; i++) {
		rc = zpci_dma_table_map(&dev->table, base + sg[i].dma_address, sg[i].pa & ZPCI_PAGE_MASK,
					sg[i].dma_length >> ZPCI_PAGE_SHIFT, zpci_dir_readonly(dir));
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
	domain_free(dev, base, len >> ZPCI_PAGE_SHIFT);
out_err:
	for (i = 0; i < nents; i++)
		sg[i].dma_length = 0;
	dev->stats.map_errors++;
	return rc;
}

/* The one range, from the first segment to the end of the last. */
static int unmap_sg_one_range(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			      enum dma_data_direction dir)
{
	int i, rc, last = -1;

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

const struct zpci_guest_gen_ops zpci_guest_linux_6_7 = {
	.name = "linux-6.7",
	.desc = "the generic DMA-IOMMU layer (Linux >= 6.7): a top-down allocator with caches, "
		"one IOVA range per scatter-gather list",
	.iova_init = domain_init,
	.iova_destroy = domain_destroy,
	.iova_alloc = domain_alloc,
	.iova_free = domain_free,
	.iova_reclaim = domain_reclaim,
	.iova_advance = domain_advance,
	.map_sg = map_sg_one_range,
	.unmap_sg = unmap_sg_one_range,
	.policies = ZPCI_FLUSH_BIT(ZPCI_FLUSH_STRICT) | ZPCI_FLUSH_BIT(ZPCI_FLUSH_QUEUE),
	.lazy_policy = ZPCI_FLUSH_QUEUE,
	.strict_recovers = true,
};
