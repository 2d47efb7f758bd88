// SPDX-License-Identifier: MIT
/*
 * RPCIT issuing: busy retry, global flush, the sync-map and sync RPCITs,
 * and the answer to "insufficient resources".
 */
#include "rpcit.h"

int zpci_refresh_trans(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len)
{
	struct zpci_insn_result r;
	u32 tries = 0;

	for (;;) {
		r = dev->hw.ops->rpcit(dev->hw.priv, dev->fh, iova, len);
		if (r.cc != ZPCI_CC_BUSY || tries == dev->cfg.busy_retries)
			break;
		tries++;
		dev->stats.busy_retries++;
	}
	if (r.cc == ZPCI_CC_STATUS && r.status == ZPCI_RPCIT_ST_INSUFF_RES)
		dev->stats.insufficient_resources++;
	return zpci_insn_errno(r);
}

int zpci_refresh_global(struct zpci_dma_dev *dev)
{
	dev->stats.global_rpcits++;
	return zpci_refresh_trans(dev, dev->start_dma, dev->end_dma - dev->start_dma + 1);
}

int zpci_refresh_global_cb(void *dev)
{
	return zpci_refresh_global(dev);
}

/*
 * The hypervisor ran out of mappings or pins.  A global flush lets it drop
 * every stale mapping and re-shadow what is valid, this range included.
 */
static int recover_insufficient(struct zpci_dma_dev *dev)
{
	int rc = zpci_refresh_global(dev);

	if (!rc)
		dev->gen->iova_reclaim(dev);
	return rc;
}

int zpci_sync_map(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len)
{
	int rc;

	if (!dev->refresh)
		return 0;
	dev->stats.sync_map_rpcits++;
	rc = zpci_refresh_trans(dev, iova, len);
	/* Linux <= 6.6 in strict mode gave up; 6.7+ flushes globally in every mode. */
	if (rc == -ENOMEM && (dev->cfg.policy != ZPCI_FLUSH_STRICT || dev->gen->strict_recovers))
		rc = recover_insufficient(dev);
	return rc;
}

int zpci_sync_unmap(struct zpci_dma_dev *dev, dma_addr_t iova, u64 len)
{
	dev->stats.sync_rpcits++;
	return zpci_refresh_trans(dev, iova, len);
}
