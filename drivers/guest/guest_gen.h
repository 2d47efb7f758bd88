/* SPDX-License-Identifier: MIT */
/*
 * Inside the guest DMA layer: each kernel generation's ops table, and what
 * the DMA path lends them (not part of its API).
 */
#ifndef ZPCI_GUEST_GEN_H
#define ZPCI_GUEST_GEN_H

#include "rpcit.h"

extern const struct zpci_guest_gen_ops zpci_guest_linux_6_1;
extern const struct zpci_guest_gen_ops zpci_guest_linux_6_7;

/* Pages spanned by [addr, addr + size). */
static inline u64 zpci_span_pages(u64 addr, u64 size)
{
	return ((addr & ~ZPCI_PAGE_MASK) + size + ZPCI_PAGE_SIZE - 1) >> ZPCI_PAGE_SHIFT;
}

static inline bool zpci_dir_readonly(enum dma_data_direction dir)
{
	return dir == DMA_TO_DEVICE || dir == DMA_NONE;
}

/* Unmap each element with a dma_length on its own; the first error, if any. */
int zpci_dma_unmap_sg_elements(struct zpci_dma_dev *dev, struct zpci_sg *sg, int nents,
			       enum dma_data_direction dir);

#endif /* ZPCI_GUEST_GEN_H */
