/* SPDX-License-Identifier: MIT */
/*
 * The device side of rx_ring, played through the harness: a NIC that takes
 * the next descriptor it owns, DMA-writes a packet to its buffer and hands
 * the descriptor back, every access translated by the simulated function.
 */
#ifndef FAKE_NIC_H
#define FAKE_NIC_H

#include <zpci/harness.h>

#ifdef __cplusplus
extern "C" {
#endif

struct fake_nic {
	struct zpci_harness *h;
	u32 fn;
	dma_addr_t ring;	/* the descriptor ring's IOVA */
	u32 entries;
	u32 tail;		/* next descriptor to fill */
};

enum fake_nic_result {
	FAKE_NIC_DELIVERED,
	FAKE_NIC_RING_FULL,	/* the next descriptor is not the device's */
	FAKE_NIC_DMA_ERROR,	/* an access faulted: the function is in the error state */
};

enum fake_nic_result fake_nic_receive(struct fake_nic *nic, const void *packet, u32 len);

#ifdef __cplusplus
}
#endif

#endif /* FAKE_NIC_H */
