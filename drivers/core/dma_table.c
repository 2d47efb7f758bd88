// SPDX-License-Identifier: MIT
/*
 * DMA translation-table management: the guest's tables, and the shadow and
 * pinned tables a hypervisor builds in the same format.
 */
#include <string.h>

#include <zpci/dma_table.h>
#include <zpci/xlate.h>

/*
 * A new table, every entry invalid.  Written a page table's worth at a
 * time: one memory access per 2 KiB, not per entry, matters when memory is
 * behind a socket (the remote harness).
 */
static int table_alloc(struct zpci_dma_table *t, u64 size, u64 invalid, phys_addr_t *pa)
{
	u64 chunk[ZPCI_PT_SIZE / ZPCI_ENTRY_SIZE];
	u64 off;
	size_t i;
	int rc;

	rc = zpci_frame_alloc(t->pool, size, pa);
	if (rc)
		return rc;
	for (i = 0; i < ZPCI_PT_SIZE / ZPCI_ENTRY_SIZE; i++)
		chunk[i] = cpu_to_be64(invalid);
	for (off = 0; off < size; off += sizeof(chunk)) {
		rc = zpci_mem_write(&t->mem, *pa + off, chunk, sizeof(chunk));
		if (rc) {
			zpci_frame_free(t->pool, *pa, size);
			return rc;
		}
	}
	return 0;
}

static u64 table_bytes(const struct zpci_level_desc *d)
{
	return (1ULL << d->index_bits) * ZPCI_ENTRY_SIZE;
}

/*
 * The table below the @level entry at @entry_addr; with @alloc, a new one
 * (every entry invalid) is linked in when the entry is invalid.  -ENOENT
 * when it is missing and @alloc is false.
 */
static int next_table(struct zpci_dma_table *t, enum zpci_level level,
		      phys_addr_t entry_addr, bool alloc, phys_addr_t *next)
{
	const struct zpci_level_desc *d = zpci_level_info(level);
	const struct zpci_level_desc *child = zpci_level_info(level + 1);
	u64 entry;
	int rc;

	rc = zpci_mem_read64(&t->mem, entry_addr, &entry);
	if (rc)
		return rc;
	if (!(entry & d->invalid_bit)) {
		*next = entry & d->origin_mask;
		return 0;
	}
	if (!alloc)
		return -ENOENT;
	rc = table_alloc(t, table_bytes(child), child->invalid_bit, next);
	if (rc)
		return rc;
	entry = level == ZPCI_LEVEL_SX ? zpci_mk_ste(*next) : zpci_mk_rte(*next, d->table_type);
	rc = zpci_mem_write64(&t->mem, entry_addr, entry);
	if (rc) {
		zpci_frame_free(t->pool, *next, table_bytes(child));
		return rc;
	}
	if (level == ZPCI_LEVEL_SX)
		t->nr_page_tables++;
	else
		t->nr_seg_tables++;
	return 0;
}

/* Address of the page-table entry for @iova. */
static int pte_addr(struct zpci_dma_table *t, dma_addr_t iova, bool alloc, phys_addr_t *pte)
{
	phys_addr_t sto, pto;
	int rc;

	rc = next_table(t, ZPCI_LEVEL_RTX, t->rtto + zpci_rtx(iova) * ZPCI_ENTRY_SIZE,
			alloc, &sto);
	if (rc)
		return rc;
	rc = next_table(t, ZPCI_LEVEL_SX, sto + zpci_sx(iova) * ZPCI_ENTRY_SIZE, alloc, &pto);
	if (rc)
		return rc;
	*pte = pto + zpci_px(iova) * ZPCI_ENTRY_SIZE;
	return 0;
}

static bool range_in_table(dma_addr_t iova, u64 npages)
{
	return npages && npages <= (ZPCI_TABLE_SIZE_RT >> ZPCI_PAGE_SHIFT) &&
	       zpci_is_aligned(iova, ZPCI_PAGE_SIZE) &&
	       zpci_range_inside(iova, npages << ZPCI_PAGE_SHIFT, ZPCI_TABLE_SIZE_RT);
}

int zpci_dma_table_init(struct zpci_dma_table *t, struct zpci_mem mem,
			struct zpci_frame_pool *pool)
{
	memset(t, 0, sizeof(*t));
	t->mem = mem;
	t->pool = pool;
	return table_alloc(t, ZPCI_TABLE_SIZE, ZPCI_TABLE_INVALID, &t->rtto);
}

u64 zpci_dma_table_iota(const struct zpci_dma_table *t)
{
	return zpci_mk_iota(t->rtto, ZPCI_IOTA_DT_RT);
}

/*
 * Write @npages page-table entries from @iova: @entry_of gives each one.
 * The page table is looked up once per run of pages that share it.
 * Returns the number of entries written in *done.
 */
static int write_ptes(struct zpci_dma_table *t, dma_addr_t iova, u64 npages, bool alloc,
		      u64 (*entry_of)(u64 i, const void *ctx), const void *ctx, u64 *done)
{
	phys_addr_t pte = 0;
	u64 i;
	int rc;

	for (i = 0; i < npages; i++, iova += ZPCI_PAGE_SIZE) {
		if (i == 0 || zpci_px(iova) == 0) {
			rc = pte_addr(t, iova, alloc, &pte);
			if (rc)
				goto out;
		} else {
			pte += ZPCI_ENTRY_SIZE;
		}
		rc = zpci_mem_write64(&t->mem, pte, entry_of(i, ctx));
		if (rc)
			goto out;
	}
	rc = 0;
out:
	*done = i;
	return rc;
}

static u64 invalid_entry(u64 i, const void *ctx)
{
	(void)i;
	(void)ctx;
	return ZPCI_PTE_INVALID;
}

struct map_ctx {
	phys_addr_t pa;
	bool readonly;
};

static u64 mapped_entry(u64 i, const void *ctx)
{
	const struct map_ctx *m = ctx;

	return zpci_mk_pte(m->pa + (i << ZPCI_PAGE_SHIFT), m->readonly);
}

int zpci_dma_table_unmap(struct zpci_dma_table *t, dma_addr_t iova, u64 npages)
{
	u64 done;

	if (!range_in_table(iova, npages))
		return -EINVAL;
	return write_ptes(t, iova, npages, false, invalid_entry, NULL, &done);
}

int zpci_dma_table_map(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa,
		       u64 npages, bool readonly)
{
	struct map_ctx ctx = { pa, readonly };
	u64 done;
	int rc;

	if (!range_in_table(iova, npages) || !zpci_is_aligned(pa, ZPCI_PAGE_SIZE))
		return -EINVAL;
	rc = write_ptes(t, iova, npages, true, mapped_entry, &ctx, &done);
	/* Pages [0, done) are mapped; take them back. */
	if (rc && done)
		zpci_dma_table_unmap(t, iova, done);
	return rc;
}

/* Free the @level table at @table and every table below it. */
static void free_table(struct zpci_dma_table *t, enum zpci_level level, phys_addr_t table)
{
	const struct zpci_level_desc *d = zpci_level_info(level);
	u64 i, entry;

	for (i = 0; !d->leaf && i < (1ULL << d->index_bits); i++) {
		if (zpci_mem_read64(&t->mem, table + i * ZPCI_ENTRY_SIZE, &entry) ||
		    (entry & d->invalid_bit))
			continue;
		free_table(t, level + 1, entry & d->origin_mask);
	}
	zpci_frame_free(t->pool, table, table_bytes(d));
}

void zpci_dma_table_destroy(struct zpci_dma_table *t)
{
	free_table(t, ZPCI_LEVEL_RTX, t->rtto);
	memset(t, 0, sizeof(*t));
}
