// SPDX-License-Identifier: MIT
/*
 * Flush-tracking IOTLB over the page map: the frame with bit 0 "read-only".
 */
#include <zpci/ftlb.h>

#define FTLB_READONLY	1ULL

int zpci_ftlb_init(struct zpci_ftlb *tlb)
{
	zpci_pagemap_init(&tlb->map);
	return 0;
}

void zpci_ftlb_destroy(struct zpci_ftlb *tlb)
{
	zpci_pagemap_destroy(&tlb->map);
}

bool zpci_ftlb_lookup(const struct zpci_ftlb *tlb, dma_addr_t iova, struct zpci_ftlb_entry *e)
{
	u64 v;

	if (!zpci_pagemap_get(&tlb->map, iova >> ZPCI_PAGE_SHIFT, &v))
		return false;
	e->frame = v & ZPCI_PAGE_MASK;
	e->readonly = v & FTLB_READONLY;
	return true;
}

int zpci_ftlb_insert(struct zpci_ftlb *tlb, dma_addr_t iova, phys_addr_t frame, bool readonly)
{
	/* Frames above 2^63 cannot be memory here; the page map refuses them. */
	return zpci_pagemap_set(&tlb->map, iova >> ZPCI_PAGE_SHIFT, iova >> ZPCI_PAGE_SHIFT,
				(frame & ZPCI_PAGE_MASK) | (readonly ? FTLB_READONLY : 0));
}

u64 zpci_ftlb_flush(struct zpci_ftlb *tlb, dma_addr_t iova, u64 len)
{
	u64 last;

	if (!len)
		return 0;
	last = iova + len - 1 < iova ? UINT64_MAX : iova + len - 1;
	return zpci_pagemap_clear(&tlb->map, iova >> ZPCI_PAGE_SHIFT, last >> ZPCI_PAGE_SHIFT);
}

u64 zpci_ftlb_flush_all(struct zpci_ftlb *tlb)
{
	return zpci_pagemap_clear_all(&tlb->map);
}
