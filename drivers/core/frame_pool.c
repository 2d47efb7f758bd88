// SPDX-License-Identifier: MIT
/*
 * Table-memory pool: the guest kernel's, or a hypervisor's for its own tables.
 */
#include <stdlib.h>
#include <string.h>

#include <zpci/frame_pool.h>
#include <zpci/grow.h>

#define PTS_PER_BLOCK	(ZPCI_TABLE_SIZE / ZPCI_PT_SIZE)

static int stack_push(struct zpci_block_stack *s, phys_addr_t pa)
{
	if (zpci_grow((void **)&s->addr, &s->cap, s->nr, sizeof(pa)))
		return -ENOMEM;
	s->addr[s->nr++] = pa;
	return 0;
}

static bool stack_pop(struct zpci_block_stack *s, phys_addr_t *pa)
{
	if (!s->nr)
		return false;
	*pa = s->addr[--s->nr];
	return true;
}

int zpci_frame_pool_init(struct zpci_frame_pool *pool, phys_addr_t base, u64 size)
{
	memset(pool, 0, sizeof(*pool));
	if (!size || !zpci_is_aligned(base, ZPCI_TABLE_SIZE) ||
	    !zpci_is_aligned(size, ZPCI_TABLE_SIZE) || base + size < base)
		return -EINVAL;
	pool->base = base;
	pool->next = base;
	pool->end = base + size;
	return 0;
}

void zpci_frame_pool_destroy(struct zpci_frame_pool *pool)
{
	free(pool->free_tables.addr);
	free(pool->free_pts.addr);
	memset(pool, 0, sizeof(*pool));
}

void zpci_frame_pool_fail_after(struct zpci_frame_pool *pool, u64 pass, u64 fail)
{
	zpci_fault_window_arm(&pool->inject, pass, fail);
}

static int alloc_table_block(struct zpci_frame_pool *pool, phys_addr_t *pa)
{
	if (stack_pop(&pool->free_tables, pa))
		return 0;
	if (pool->end - pool->next < ZPCI_TABLE_SIZE)
		return -ENOMEM;
	*pa = pool->next;
	pool->next += ZPCI_TABLE_SIZE;
	return 0;
}

/* Cut a 16 KiB block into page tables; hand out the lowest, keep the rest. */
static int alloc_pt_block(struct zpci_frame_pool *pool, phys_addr_t *pa)
{
	phys_addr_t block;
	int i, rc;

	if (stack_pop(&pool->free_pts, pa))
		return 0;
	rc = alloc_table_block(pool, &block);
	if (rc)
		return rc;
	for (i = PTS_PER_BLOCK - 1; i > 0; i--) {
		rc = stack_push(&pool->free_pts, block + i * ZPCI_PT_SIZE);
		if (rc)
			return rc;
	}
	*pa = block;
	return 0;
}

int zpci_frame_alloc(struct zpci_frame_pool *pool, u64 size, phys_addr_t *pa)
{
	int rc;

	if (size != ZPCI_TABLE_SIZE && size != ZPCI_PT_SIZE)
		return -EINVAL;
	if (zpci_fault_window_hit(&pool->inject))
		return -ENOMEM;
	rc = size == ZPCI_TABLE_SIZE ? alloc_table_block(pool, pa) : alloc_pt_block(pool, pa);
	if (!rc)
		pool->bytes_in_use += size;
	return rc;
}

void zpci_frame_free(struct zpci_frame_pool *pool, phys_addr_t pa, u64 size)
{
	struct zpci_block_stack *s = size == ZPCI_TABLE_SIZE ? &pool->free_tables
							     : &pool->free_pts;

	/* A failed push only loses the block for reuse; nothing else breaks. */
	if (!stack_push(s, pa))
		pool->bytes_in_use -= size;
}
