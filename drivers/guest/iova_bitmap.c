// SPDX-License-Identifier: MIT
/*
 * Bitmap IOVA allocator (Linux <= 6.6 behaviour).
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/bitmap.h>
#include <zpci/iova_bitmap.h>

int zpci_iova_bitmap_init(struct zpci_iova_bitmap *a, const struct zpci_iova_bitmap_cfg *cfg)
{
	u64 b = cfg->boundary_pages;

	memset(a, 0, sizeof(*a));
	if (!cfg->pages || !zpci_is_aligned(cfg->start, ZPCI_PAGE_SIZE) ||
	    (b & (b - 1)) || (!cfg->strict && !cfg->global_flush))
		return -EINVAL;
	a->map = calloc(ZPCI_BITS_TO_LONGS(cfg->pages), sizeof(unsigned long));
	a->lazy = calloc(ZPCI_BITS_TO_LONGS(cfg->pages), sizeof(unsigned long));
	if (!a->map || !a->lazy) {
		zpci_iova_bitmap_destroy(a);
		return -ENOMEM;
	}
	a->start = cfg->start;
	a->pages = cfg->pages;
	a->boundary_pages = b;
	a->strict = cfg->strict;
	a->global_flush = cfg->global_flush;
	a->flush_priv = cfg->flush_priv;
	return 0;
}

void zpci_iova_bitmap_destroy(struct zpci_iova_bitmap *a)
{
	free(a->map);
	free(a->lazy);
	memset(a, 0, sizeof(*a));
}

/*
 * The aperture's last page is never handed out: Linux's area allocator
 * keeps "the last of the limit" (seen in a real 6.1 guest, which wraps
 * one page early).
 */
static u64 limit(const struct zpci_iova_bitmap *a)
{
	return a->pages - 1;
}

/* The first free run of @npages at or after @from; limit() when none. */
static u64 search(struct zpci_iova_bitmap *a, u64 from, u64 npages)
{
	return zpci_find_next_zero_area(a->map, limit(a), from, npages,
					a->start >> ZPCI_PAGE_SHIFT, a->boundary_pages);
}

void zpci_iova_bitmap_reclaim(struct zpci_iova_bitmap *a)
{
	zpci_bitmap_andnot(a->map, a->lazy, a->pages);
	memset(a->lazy, 0, ZPCI_BITS_TO_LONGS(a->pages) * sizeof(unsigned long));
}

/* The lazy wrap: flush everything, then every lazily freed page is free. */
static int reclaim_lazy(struct zpci_iova_bitmap *a)
{
	int rc = a->global_flush(a->flush_priv);

	if (rc)
		return rc;
	a->stats.global_flushes++;
	zpci_iova_bitmap_reclaim(a);
	return 0;
}

int zpci_iova_bitmap_alloc(struct zpci_iova_bitmap *a, u64 npages, dma_addr_t *iova)
{
	u64 bit = search(a, a->next_bit, npages);
	int rc;

	if (bit == limit(a)) {
		if (!a->strict) {
			rc = reclaim_lazy(a);
			if (rc) {
				a->stats.failures++;
				return rc;
			}
		}
		a->stats.wraps++;
		bit = search(a, 0, npages);
		if (bit == limit(a)) {
			a->stats.failures++;
			return -ENOSPC;
		}
	}
	zpci_bitmap_set(a->map, bit, npages);
	a->next_bit = bit + npages;
	a->stats.allocs++;
	*iova = a->start + (bit << ZPCI_PAGE_SHIFT);
	return 0;
}

int zpci_iova_bitmap_free(struct zpci_iova_bitmap *a, dma_addr_t iova, u64 npages)
{
	u64 bit = (iova - a->start) >> ZPCI_PAGE_SHIFT;

	if (iova < a->start || !zpci_is_aligned(iova, ZPCI_PAGE_SIZE) || !npages ||
	    bit >= a->pages || npages > a->pages - bit)
		return -EINVAL;
	/* Every page must be allocated and not already freed. */
	if (zpci_find_next_zero_bit(a->map, bit + npages, bit) != bit + npages ||
	    zpci_find_next_bit(a->lazy, bit + npages, bit) != bit + npages)
		return -EINVAL;
	if (a->strict)
		zpci_bitmap_clear(a->map, bit, npages);
	else
		zpci_bitmap_set(a->lazy, bit, npages);
	a->stats.frees++;
	return 0;
}
