/* SPDX-License-Identifier: MIT */
/*
 * The IOVA allocator of Linux up to 6.6: one bit per page of the aperture,
 * allocated next-fit.
 *
 * Lazy mode (the default there): a freed range is only marked in a second,
 * "lazy" bitmap and stays unusable; its translations may still be cached.
 * When the next-fit search runs off the end of the aperture, the allocator
 * issues one global flush, returns every lazily freed page and searches
 * again from the start.  Strict mode: the caller flushes each unmap, so a
 * freed range is reusable at once, and wrapping needs no flush.
 */
#ifndef ZPCI_IOVA_BITMAP_H
#define ZPCI_IOVA_BITMAP_H

#include <zpci/arch.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_iova_stats {
	u64 allocs;
	u64 frees;
	u64 wraps;		/* searches restarted from the aperture start */
	u64 global_flushes;	/* flushes the allocator asked for */
	u64 failures;		/* allocations refused: no space, or flush failed */
};

struct zpci_iova_bitmap {
	dma_addr_t start;	/* IOVA of bit 0: the aperture start */
	u64 pages;		/* aperture size in pages */
	unsigned long *map;	/* allocated or lazily freed */
	unsigned long *lazy;	/* freed, waiting for the next global flush */
	u64 next_bit;		/* where the next-fit search starts */
	u64 boundary_pages;	/* no range crosses a multiple of this; 0: none */
	bool strict;
	/* Issues the global flush at a lazy wrap; non-zero fails the allocation. */
	int (*global_flush)(void *priv);
	void *flush_priv;
	struct zpci_iova_stats stats;
};

struct zpci_iova_bitmap_cfg {
	dma_addr_t start;	/* page aligned */
	u64 pages;
	u64 boundary_pages;	/* device segment boundary in pages (power of 2), 0: none */
	bool strict;
	int (*global_flush)(void *priv);
	void *flush_priv;
};

int zpci_iova_bitmap_init(struct zpci_iova_bitmap *a, const struct zpci_iova_bitmap_cfg *cfg);
void zpci_iova_bitmap_destroy(struct zpci_iova_bitmap *a);

/* 0 and *iova, -ENOSPC when the aperture is full, or the flush's error. */
int zpci_iova_bitmap_alloc(struct zpci_iova_bitmap *a, u64 npages, dma_addr_t *iova);
/* -EINVAL for a range that is not allocated (a driver bug, nothing changes). */
int zpci_iova_bitmap_free(struct zpci_iova_bitmap *a, dma_addr_t iova, u64 npages);
/* The caller issued a global flush: every lazily freed page is free again. */
void zpci_iova_bitmap_reclaim(struct zpci_iova_bitmap *a);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_IOVA_BITMAP_H */
