// SPDX-License-Identifier: MIT
/*
 * Linux <= 6.6 (6.1 here): s390's own DMA ops.  The bitmap allocator over
 * the aperture, lazy or strict; a scatter-gather list takes one IOVA range
 * per DMA segment; "insufficient resources" in strict mode is an error.
 */
#include "guest_gen.h"

static int bitmap_init(struct zpci_dma_dev *dev)
{
	struct zpci_iova_bitmap_cfg cfg = {
		.start = dev->start_dma,
		.pages = (dev->end_dma - dev->start_dma + 1) >> ZPCI_PAGE_SHIFT,
		.boundary_pages = dev->cfg.seg_boundary >> ZPCI_PAGE_SHIFT,
		.strict = dev->cfg.policy != ZPCI_FLUSH_LAZY,
		.global_flush = zpci_refresh_global_cb,
		.flush_priv = dev,
	};

	return zpci_iova_bitmap_init(&dev->iova, &cfg);
}

static void bitmap_destroy(struct zpci_dma_dev *dev)
{
	zpci_iova_bitmap_destroy(&dev->iova);
}

static int bitmap_alloc(struct zpci_dma_dev *dev, u64 npages, dma_addr_t *iova)
{
	return zpci_iova_bitmap_alloc(&dev->iova, npages, iova);
}

static void bitmap_free(struct zpci_dma_dev *dev, dma_addr_t iova, u64 npages)
{
	zpci_iova_bitmap_free(&dev->iova, iova, npages);
}

/* Only lazy mode leaves freed IOVAs waiting for a flush. */
static void bitmap_reclaim(struct zpci_dma_dev *dev)
{
	if (!dev->iova.strict)
		zpci_iova_bitmap_reclaim(&dev->iova);
}

/* The bitmap allocator keeps no timers. */
static void bitmap_advance(struct zpci_dma_dev *dev)
{
	(void)dev;
}

/*
 * Map one DMA segment: elements [first, last] into one IOVA range of
 * @size bytes (counted from the first element's page), one sync-map RPCIT.
 */
static int map_sg_segment(struct zpci_dma_dev *dev, struct zpci_sg *sg, int first, int last,
			  u64 size, enum dma_data_direction dir)
{
	u64 npages = zpci_span_pages(0, size), done = 0;
	dma_addr_t base;
	int i, rc;

	rc = bitmap_alloc(dev, npages, &base);
	if (rc)
		goto out_err;
	for (i = first; i <= last; i++) {
		u64 n = zpci_span_pages(sg[i].pa, sg[i].length);

		rc = zpci_dma_table_map(&dev->table, base + (done << ZPCI_PAGE_SHIFT),
					sg[i].pa & ZPCI_PAGE_MASK, n, zpci_dir_readonly(dir));
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
	bitmap_free(dev, base, npages);
out_err:
	dev->stats.map_errors++;
	return rc;
}

/*
 * Elements merge into one DMA segment while each new one starts on a page
 * boundary, the segment so far ends on one, and it stays within
 * max_seg_size; each segment gets its own IOVA range.  The i-th segment is
 * described in the i-th element.
 */
static int map_sg_segments(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			   enum dma_data_direction dir)
{
	u64 size = (sg[0].pa & ~ZPCI_PAGE_MASK) + sg[0].length;
	int i, first = 0, count = 0, rc;

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
	zpci_dma_unmap_sg_elements(dev, sg, count, dir);
	return rc;
}

const struct zpci_guest_gen_ops zpci_guest_linux_6_1 = {
	.name = "linux-6.1",
	.desc = "s390's own DMA ops (Linux <= 6.6): the bitmap allocator, an IOVA range per "
		"scatter-gather segment",
	.iova_init = bitmap_init,
	.iova_destroy = bitmap_destroy,
	.iova_alloc = bitmap_alloc,
	.iova_free = bitmap_free,
	.iova_reclaim = bitmap_reclaim,
	.iova_advance = bitmap_advance,
	.map_sg = map_sg_segments,
	.unmap_sg = zpci_dma_unmap_sg_elements,
	/* flush-queue: 6.7's queues over the bitmap. */
	.policies = ZPCI_FLUSH_BIT(ZPCI_FLUSH_LAZY) | ZPCI_FLUSH_BIT(ZPCI_FLUSH_STRICT) |
		    ZPCI_FLUSH_BIT(ZPCI_FLUSH_QUEUE),
	.lazy_policy = ZPCI_FLUSH_LAZY,
	.strict_recovers = false,
};
