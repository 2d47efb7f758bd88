// SPDX-License-Identifier: MIT
/*
 * fake_nic: see fake_nic.h.
 */
#include "fake_nic.h"
#include "rx_ring.h"

enum fake_nic_result fake_nic_receive(struct fake_nic *nic, const void *packet, u32 len)
{
	dma_addr_t desc = nic->ring + (u64)nic->tail * RX_RING_DESC_SIZE;
	u8 d[RX_RING_DESC_SIZE];
	struct rx_desc rd;

	if (zpci_harness_dma(nic->h, nic->fn, desc, d, sizeof(d), ZPCI_DMA_READ))
		return FAKE_NIC_DMA_ERROR;
	rx_desc_unpack(d, &rd);
	if (!(rd.flags & RX_DESC_OWNED) || rd.flags & RX_DESC_DONE)
		return FAKE_NIC_RING_FULL;
	if (zpci_harness_dma(nic->h, nic->fn, rd.addr, (void *)packet, len, ZPCI_DMA_WRITE))
		return FAKE_NIC_DMA_ERROR;
	rd.len = len;
	rd.flags = RX_DESC_DONE;
	rx_desc_pack(d, &rd);
	if (zpci_harness_dma(nic->h, nic->fn, desc + 8, d + 8, 8, ZPCI_DMA_WRITE))
		return FAKE_NIC_DMA_ERROR;
	nic->tail = (nic->tail + 1) % nic->entries;
	return FAKE_NIC_DELIVERED;
}
