/* SPDX-License-Identifier: MIT */
/*
 * Flush-tracking IOTLB: the functional stand-in for the function's
 * translation cache.  It keeps every translation the device used until an
 * RPCIT drops it — the most a real IOTLB could ever hold — so a test or a
 * replay sees the whole window in which a stale translation may be used.
 * A page map from IOVA page to frame.
 */
#ifndef ZPCI_FTLB_H
#define ZPCI_FTLB_H

#include <zpci/arch.h>
#include <zpci/pagemap.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_ftlb_entry {
	phys_addr_t frame;	/* 4 KiB frame the page translated to */
	bool readonly;
};

struct zpci_ftlb {
	struct zpci_pagemap map;	/* IOVA page -> frame | 1 if read-only */
};

static inline u64 zpci_ftlb_used(const struct zpci_ftlb *tlb)
{
	return tlb->map.used;
}

int zpci_ftlb_init(struct zpci_ftlb *tlb);
void zpci_ftlb_destroy(struct zpci_ftlb *tlb);

/* The cached translation of @iova's page; false when there is none. */
bool zpci_ftlb_lookup(const struct zpci_ftlb *tlb, dma_addr_t iova, struct zpci_ftlb_entry *e);
int zpci_ftlb_insert(struct zpci_ftlb *tlb, dma_addr_t iova, phys_addr_t frame, bool readonly);
/* Drop every page of [iova, iova + len); returns how many were cached. */
u64 zpci_ftlb_flush(struct zpci_ftlb *tlb, dma_addr_t iova, u64 len);
u64 zpci_ftlb_flush_all(struct zpci_ftlb *tlb);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_FTLB_H */
