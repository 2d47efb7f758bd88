/* SPDX-License-Identifier: MIT */
/*
 * rx_ring: a small receive-ring driver, written the way an s390 PCI network
 * driver maps its DMA, to show how driver code runs against the zpcisim
 * harness.  It knows nothing of the harness: it gets the function's
 * instructions (struct zpci_hw), guest memory and frames for its DMA tables,
 * and maps through the guest DMA layer (zpci/dma.h) as Linux drivers go
 * through the DMA API.
 *
 * The ring is coherent memory shared with the device: RX_RING_DESC_SIZE
 * bytes per descriptor, big-endian as on s390,
 *	u64 addr	IOVA of the buffer
 *	u32 len		bytes the device wrote
 *	u32 flags	RX_DESC_OWNED (the device may fill it), RX_DESC_DONE
 * Each buffer is mapped DMA_FROM_DEVICE while the device owns it and
 * unmapped before the driver reads it, so a device that writes late
 * finds the IOVA gone (or not, under a lazy flush: the window the
 * simulator measures).
 */
#ifndef RX_RING_H
#define RX_RING_H

#include <zpci/dma.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RX_RING_DESC_SIZE	16
#define RX_DESC_OWNED		0x1
#define RX_DESC_DONE		0x2

/* One descriptor, as both sides read and write it. */
struct rx_desc {
	dma_addr_t addr;
	u32 len;
	u32 flags;
};

void rx_desc_pack(u8 d[RX_RING_DESC_SIZE], const struct rx_desc *desc);
void rx_desc_unpack(const u8 d[RX_RING_DESC_SIZE], struct rx_desc *desc);

struct rx_ring_cfg {
	u32 fid;
	u32 entries;		/* descriptors, at least 1 */
	u32 buf_size;		/* bytes per receive buffer, at most a page */
	enum zpci_flush_policy policy;
	bool identity;		/* the function does no translation */
	u64 guest_mem;		/* for the DMA layer's aperture cap */
	phys_addr_t mem_pa;	/* rx_ring_mem_size() bytes of guest memory */
};

struct rx_slot {
	phys_addr_t buf_pa;
	dma_addr_t dma;
	bool mapped;
};

struct rx_ring_stats {
	u64 packets;
	u64 bytes;
	u64 map_errors;		/* refills the DMA layer refused; retried next poll */
	u64 resets;		/* recoveries from the function's error state */
};

struct rx_ring {
	struct rx_ring_cfg cfg;
	struct zpci_hw hw;
	struct zpci_mem mem;
	struct zpci_frame_pool *pool;
	struct zpci_dma_dev dev;
	bool open;
	dma_addr_t desc_dma;	/* the ring, as the device addresses it */
	struct rx_slot *slots;
	u32 head;		/* next descriptor the driver looks at */
	struct rx_ring_stats stats;
};

/* Guest memory the ring needs at cfg.mem_pa: descriptors, then buffers. */
u64 rx_ring_mem_size(u32 entries, u32 buf_size);

/* Enable the function, map the ring and every buffer.  0 or -errno. */
int rx_ring_open(struct rx_ring *r, struct zpci_hw hw, struct zpci_mem mem,
		 struct zpci_frame_pool *pool, const struct rx_ring_cfg *cfg);
void rx_ring_close(struct rx_ring *r);

typedef void (*rx_deliver_fn)(void *ctx, const void *data, u32 len);

/*
 * Deliver up to @budget received packets, giving each buffer back to the
 * device.  The number delivered, or -errno if guest memory failed.
 */
int rx_ring_poll(struct rx_ring *r, int budget, rx_deliver_fn deliver, void *ctx);

/*
 * Whether the function is in the error state (STPCIFC); if so, recover as
 * Linux's zPCI recovery does: disable, enable, map everything again.
 * 0 healthy, 1 recovered, -errno if recovery failed.
 */
int rx_ring_check_health(struct rx_ring *r);

#ifdef __cplusplus
}
#endif

#endif /* RX_RING_H */
