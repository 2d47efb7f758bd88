/* SPDX-License-Identifier: MIT */
/*
 * The allocator of translation-table memory: 16 KiB region and segment
 * tables and 2 KiB page tables, carved from a range set aside for them.
 * The guest's tables live in guest memory because the hypervisor designs
 * walk them there; a hypervisor's own tables come from a pool in host memory.
 *
 * Freed blocks are reused last-in first-out; page tables are cut eight to a
 * 16 KiB block, as a slab cache would.  Allocation order, and so every table
 * address, depends only on the sequence of calls: replays stay deterministic.
 */
#ifndef ZPCI_FRAME_POOL_H
#define ZPCI_FRAME_POOL_H

#include <zpci/arch.h>
#include <zpci/fault_window.h>

#ifdef __cplusplus
extern "C" {
#endif

struct zpci_block_stack {
	phys_addr_t *addr;
	size_t nr, cap;
};

struct zpci_frame_pool {
	phys_addr_t base, end;		/* [base, end) guest-physical */
	phys_addr_t next;		/* first never-used byte */
	struct zpci_block_stack free_tables;	/* 16 KiB blocks */
	struct zpci_block_stack free_pts;	/* 2 KiB blocks */
	u64 bytes_in_use;
	struct zpci_fault_window inject;	/* allocations to fail */
};

/* A pool over [base, base + size); both 16 KiB aligned. */
int zpci_frame_pool_init(struct zpci_frame_pool *pool, phys_addr_t base, u64 size);
void zpci_frame_pool_destroy(struct zpci_frame_pool *pool);

/* @size is ZPCI_TABLE_SIZE or ZPCI_PT_SIZE; the block is aligned to it. */
int zpci_frame_alloc(struct zpci_frame_pool *pool, u64 size, phys_addr_t *pa);
void zpci_frame_free(struct zpci_frame_pool *pool, phys_addr_t pa, u64 size);

/* Make the one allocation after the next @n fail with -ENOMEM; -1: none. */
void zpci_frame_pool_fail_after(struct zpci_frame_pool *pool, u64 pass, u64 fail);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_FRAME_POOL_H */
