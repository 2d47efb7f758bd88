/* SPDX-License-Identifier: MIT */
/*
 * RPCIT issuing inside the guest DMA layer (not part of its API).
 */
#ifndef ZPCI_GUEST_RPCIT_H
#define ZPCI_GUEST_RPCIT_H

#include <zpci/dma.h>

/* One RPCIT for [iova, iova + len), busy retried.  0 or -errno. */
int zpci_refresh_trans(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len);
/* One RPCIT over the whole aperture, counted as a global RPCIT. */
int zpci_refresh_global(struct zpci_dma_dev *dev);
/* The same for a callback's priv: an allocator's lazy wrap, the flush queues. */
int zpci_refresh_global_cb(void *dev);
/* After validating [iova, iova + len): the sync-map RPCIT, if the refresh bit asks. */
int zpci_sync_map(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len);
/* After invalidating [iova, iova + len) in strict mode: the sync RPCIT. */
int zpci_sync_unmap(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len);

#endif /* ZPCI_GUEST_RPCIT_H */
