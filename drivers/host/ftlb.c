// SPDX-License-Identifier: MIT
/*
 * Flush-tracking IOTLB over the u64 map: key the IOVA page number, value
 * the frame with the read-only flag in bit 0 (frames are page aligned).
 */
#include <zpci/ftlb.h>

#define FTLB_READONLY	1ULL

int zpci_ftlb_init(struct zpci_ftlb *tlb)
{
	return zpci_u64map_init(&tlb->map);
}

void zpci_ftlb_destroy(struct zpci_ftlb *tlb)
{
	zpci_u64map_destroy(&tlb->map);
}

bool zpci_ftlb_lookup(const struct zpci_ftlb *tlb, dma_addr_t iova, struct zpci_ftlb_entry *e)
{
	const u64 *v = zpci_u64map_find(&tlb->map, iova >> ZPCI_PAGE_SHIFT);

	if (!v)
		return false;
	e->frame = *v & ZPCI_PAGE_MASK;
	e->readonly = *v & FTLB_READONLY;
	return true;
}

int zpci_ftlb_insert(struct zpci_ftlb *tlb, dma_addr_t iova, phys_addr_t frame, bool readonly)
{
	return zpci_u64map_put(&tlb->map, iova >> ZPCI_PAGE_SHIFT,
			       (frame & ZPCI_PAGE_MASK) | (readonly ? FTLB_READONLY : 0));
}

u64 zpci_ftlb_flush(struct zpci_ftlb *tlb, dma_addr_t iova, u64 len)
{
	u64 last;

	if (!len)
		return 0;
	last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	return zpci_u64map_remove_range(&tlb->map, iova >> ZPCI_PAGE_SHIFT,
					last >> ZPCI_PAGE_SHIFT);
}

u64 zpci_ftlb_flush_all(struct zpci_ftlb *tlb)
{
	u64 n = tlb->map.nr;

	zpci_u64map_clear(&tlb->map);
	return n;
}
