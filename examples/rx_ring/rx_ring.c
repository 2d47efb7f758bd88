// SPDX-License-Identifier: MIT
/*
 * rx_ring: see rx_ring.h.
 */
#include <stdlib.h>
#include <string.h>

#include "rx_ring.h"

u64 rx_ring_mem_size(u32 entries, u32 buf_size)
{
	u64 ring = zpci_align_down((u64)entries * RX_RING_DESC_SIZE + ZPCI_PAGE_SIZE - 1,
				   ZPCI_PAGE_SIZE);

	return ring + (u64)entries * ZPCI_PAGE_SIZE * ((buf_size + ZPCI_PAGE_SIZE - 1) /
						       ZPCI_PAGE_SIZE);
}

static u64 ring_bytes(const struct rx_ring *r)
{
	return zpci_align_down((u64)r->cfg.entries * RX_RING_DESC_SIZE + ZPCI_PAGE_SIZE - 1,
			       ZPCI_PAGE_SIZE);
}

static phys_addr_t desc_pa(const struct rx_ring *r, u32 i)
{
	return r->cfg.mem_pa + (u64)i * RX_RING_DESC_SIZE;
}

static void put_be(u8 *p, u64 v, int bytes)
{
	while (bytes--) {
		p[bytes] = v & 0xff;
		v >>= 8;
	}
}

static u64 get_be(const u8 *p, int bytes)
{
	u64 v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

void rx_desc_pack(u8 d[RX_RING_DESC_SIZE], const struct rx_desc *desc)
{
	put_be(d, desc->addr, 8);
	put_be(d + 8, desc->len, 4);
	put_be(d + 12, desc->flags, 4);
}

void rx_desc_unpack(const u8 d[RX_RING_DESC_SIZE], struct rx_desc *desc)
{
	desc->addr = get_be(d, 8);
	desc->len = get_be(d + 8, 4);
	desc->flags = get_be(d + 12, 4);
}

static int write_desc(struct rx_ring *r, u32 i, dma_addr_t addr, u32 flags)
{
	struct rx_desc desc = { addr, 0, flags };
	u8 d[RX_RING_DESC_SIZE];

	rx_desc_pack(d, &desc);
	return zpci_mem_write(&r->mem, desc_pa(r, i), d, sizeof(d));
}

/* Map slot @i's buffer and hand it to the device. */
static int post_buffer(struct rx_ring *r, u32 i)
{
	struct rx_slot *s = &r->slots[i];
	int rc;

	rc = zpci_dma_map_page(&r->dev, s->buf_pa, r->cfg.buf_size, DMA_FROM_DEVICE, &s->dma);
	if (rc) {
		r->stats.map_errors++;
		return write_desc(r, i, 0, 0);
	}
	s->mapped = true;
	return write_desc(r, i, s->dma, RX_DESC_OWNED);
}

static void unmap_buffer(struct rx_ring *r, u32 i)
{
	struct rx_slot *s = &r->slots[i];

	if (!s->mapped)
		return;
	zpci_dma_unmap_page(&r->dev, s->dma, r->cfg.buf_size, DMA_FROM_DEVICE);
	s->mapped = false;
}

/* Enable, map the ring, post every buffer: what open and recovery share. */
static int start(struct rx_ring *r)
{
	struct zpci_dma_cfg dc = zpci_dma_default_cfg(r->cfg.fid, r->cfg.policy, r->cfg.guest_mem);
	u32 i;
	int rc;

	dc.identity = r->cfg.identity;
	rc = zpci_dma_attach(&r->dev, r->hw, r->mem, r->pool, &dc);
	if (rc)
		return rc;
	rc = zpci_dma_alloc_coherent(&r->dev, r->cfg.mem_pa, ring_bytes(r), &r->desc_dma);
	if (rc) {
		zpci_dma_detach(&r->dev);
		return rc;
	}
	r->open = true;
	r->head = 0;
	for (i = 0; i < r->cfg.entries; i++) {
		rc = post_buffer(r, i);
		if (rc)
			return rc;
	}
	return 0;
}

static void stop(struct rx_ring *r)
{
	u32 i;

	if (!r->open)
		return;
	for (i = 0; i < r->cfg.entries; i++)
		unmap_buffer(r, i);
	zpci_dma_free_coherent(&r->dev, ring_bytes(r), r->desc_dma);
	zpci_dma_detach(&r->dev);
	r->open = false;
}

int rx_ring_open(struct rx_ring *r, struct zpci_hw hw, struct zpci_mem mem,
		 struct zpci_frame_pool *pool, const struct rx_ring_cfg *cfg)
{
	phys_addr_t buf;
	u32 i;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!cfg->entries || !cfg->buf_size || cfg->buf_size > ZPCI_PAGE_SIZE)
		return -EINVAL;
	r->cfg = *cfg;
	r->hw = hw;
	r->mem = mem;
	r->pool = pool;
	r->slots = calloc(cfg->entries, sizeof(*r->slots));
	if (!r->slots)
		return -ENOMEM;
	buf = cfg->mem_pa + ring_bytes(r);
	for (i = 0; i < cfg->entries; i++)
		r->slots[i].buf_pa = buf + (u64)i * ZPCI_PAGE_SIZE;
	rc = start(r);
	if (rc)
		rx_ring_close(r);
	return rc;
}

void rx_ring_close(struct rx_ring *r)
{
	stop(r);
	free(r->slots);
	r->slots = NULL;
}

/* Give slot @i back to the device, or leave it empty for the next poll. */
static int refill(struct rx_ring *r, u32 i)
{
	return r->slots[i].mapped ? 0 : post_buffer(r, i);
}

int rx_ring_poll(struct rx_ring *r, int budget, rx_deliver_fn deliver, void *ctx)
{
	u8 d[RX_RING_DESC_SIZE], data[ZPCI_PAGE_SIZE];
	int done = 0;
	u32 i;
	int rc;

	if (!r->open)
		return -ENODEV;
	while (done < budget) {
		struct rx_desc desc;
		u32 len;

		if (zpci_mem_read(&r->mem, desc_pa(r, r->head), d, sizeof(d)))
			return -EFAULT;
		rx_desc_unpack(d, &desc);
		if (!(desc.flags & RX_DESC_DONE))
			break;
		len = desc.len;
		if (len > r->cfg.buf_size)
			len = r->cfg.buf_size;
		/* The CPU reads the buffer only once the device has lost it. */
		unmap_buffer(r, r->head);
		if (zpci_mem_read(&r->mem, r->slots[r->head].buf_pa, data, len))
			return -EFAULT;
		deliver(ctx, data, len);
		r->stats.packets++;
		r->stats.bytes += len;
		rc = refill(r, r->head);
		if (rc)
			return rc;
		r->head = (r->head + 1) % r->cfg.entries;
		done++;
	}
	/* Slots a failed map left empty get another chance. */
	for (i = 0; i < r->cfg.entries; i++) {
		rc = refill(r, i);
		if (rc)
			return rc;
	}
	return done;
}

int rx_ring_check_health(struct rx_ring *r)
{
	struct zpci_fib fib = { 0 };
	struct zpci_insn_result res;
	int rc;

	if (!r->open)
		return -ENODEV;
	res = r->hw.ops->stpcifc(r->hw.priv, r->dev.fh, &fib);
	if (zpci_insn_errno(res))
		return zpci_insn_errno(res);
	if (!fib.error && !fib.blocked)
		return 0;
	stop(r);
	rc = start(r);
	if (rc)
		return rc;
	r->stats.resets++;
	return 1;
}
