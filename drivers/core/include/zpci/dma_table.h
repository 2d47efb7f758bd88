/* SPDX-License-Identifier: MIT */
/*
 * A DMA translation table for one function: a region-third table (4 TiB of
 * IOVA) with segment and page tables allocated on demand from a table pool,
 * written through a memory interface.  The guest builds one in guest memory,
 * so that a hypervisor or the hardware model reads exactly what the guest
 * wrote; a hypervisor builds its shadow or pinned table the same way in host
 * memory.
 *
 * Entries change one at a time, as on the real machine: a concurrent reader
 * sees each page go valid or invalid individually.  Tables are freed only
 * when the whole table is destroyed (on detach), as Linux does.
 *
 * Linux maps 4 KiB pages only.  A table whose owner sets large_frames (a
 * hypervisor's, over a function that honours frame control) maps each
 * 2 GiB or 1 MiB of a range whose IOVA and frame are both aligned to it
 * with one region-third or segment entry, and only the rest page by page:
 * a pinned 1 TiB guest then needs 8 MiB of segment tables, not 2 GiB of
 * page tables.
 */
#ifndef ZPCI_DMA_TABLE_H
#define ZPCI_DMA_TABLE_H

#include <zpci/frame_pool.h>
#include <zpci/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_dma_table {
	struct zpci_mem mem;		/* guest-physical memory */
	struct zpci_frame_pool *pool;
	phys_addr_t rtto;
	bool large_frames;		/* map with 2 GiB and 1 MiB frames where aligned */
	u64 nr_seg_tables;
	u64 nr_page_tables;
	u64 nr_large_frames;		/* entries that map a frame above the page table */
};

int zpci_dma_table_init(struct zpci_dma_table *t, struct zpci_mem mem,
			struct zpci_frame_pool *pool);
/* Free every table; the IOTA must have been deregistered first. */
void zpci_dma_table_destroy(struct zpci_dma_table *t);

/* The IOTA that designates this table for register-IOAT. */
u64 zpci_dma_table_iota(const struct zpci_dma_table *t);

/*
 * Map @npages pages at @iova to frames from @pa, read-only for the device
 * when @readonly (DMA_TO_DEVICE).  On failure nothing of this call stays
 * mapped.  -EINVAL for a range beyond the table, -ENOMEM without table
 * memory, -EFAULT when table memory cannot be written.
 */
int zpci_dma_table_map(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa,
		       u64 npages, bool readonly);
/*
 * Invalidate @npages pages at @iova.  -ENOENT when a page has no page table
 * (it was never mapped: a caller bug), -EINVAL when the range covers part
 * of a large frame; the pages before it stay invalidated.
 */
int zpci_dma_table_unmap(struct zpci_dma_table *t, dma_addr_t iova, u64 npages);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_DMA_TABLE_H */
