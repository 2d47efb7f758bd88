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
		if (zpci_rste_frame(entry))
			return -EINVAL;		/* a large frame, where a table was wanted */
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

/* Whether one @frame-sized large frame maps @iova to @pa, within @left bytes. */
static bool frame_fits(const struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa, u64 left,
		       u64 frame)
{
	return t->large_frames && left >= frame && zpci_is_aligned(iova | pa, frame);
}

/* Bytes from @iova to the end of its 1 MiB segment, at most @left. */
static u64 to_segment_end(dma_addr_t iova, u64 left)
{
	u64 n = ZPCI_SEG_FRAME_SIZE - (iova & (ZPCI_SEG_FRAME_SIZE - 1));

	return n < left ? n : left;
}

/* @entry, a large frame's, at @addr unless that entry is in use: then *@step stays 0. */
static int try_frame(struct zpci_dma_table *t, phys_addr_t addr, u64 entry, u64 frame, u64 *step)
{
	u64 old;
	int rc = zpci_mem_read64(&t->mem, addr, &old);

	if (rc || !zpci_rste_invalid(old))
		return rc;
	rc = zpci_mem_write64(&t->mem, addr, entry);
	if (rc)
		return rc;
	t->nr_large_frames++;
	*step = frame;
	return 0;
}

/*
 * Map the start of [@iova, @iova + @left) to @pa: one large frame where it
 * fits and its entry is free, else the pages to the end of the segment.
 * *@step: the bytes mapped, also on an error (then fewer than asked).
 */
static int map_step(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa, u64 left,
		    bool readonly, u64 *step)
{
	phys_addr_t rte_addr = t->rtto + zpci_rtx(iova) * ZPCI_ENTRY_SIZE, sto;
	struct map_ctx ctx = { pa, readonly };
	u64 pages;
	int rc;

	*step = 0;
	if (frame_fits(t, iova, pa, left, ZPCI_RT_FRAME_SIZE)) {
		rc = try_frame(t, rte_addr, zpci_mk_rte_frame(pa, readonly), ZPCI_RT_FRAME_SIZE,
			       step);
		if (rc || *step)
			return rc;
	}
	if (frame_fits(t, iova, pa, left, ZPCI_SEG_FRAME_SIZE)) {
		rc = next_table(t, ZPCI_LEVEL_RTX, rte_addr, true, &sto);
		if (rc)
			return rc;
		rc = try_frame(t, sto + zpci_sx(iova) * ZPCI_ENTRY_SIZE,
			       zpci_mk_ste_frame(pa, readonly), ZPCI_SEG_FRAME_SIZE, step);
		if (rc || *step)
			return rc;
	}
	rc = write_ptes(t, iova, to_segment_end(iova, left) >> ZPCI_PAGE_SHIFT, true, mapped_entry,
			&ctx, &pages);
	*step = pages << ZPCI_PAGE_SHIFT;
	return rc;
}

/*
 * Invalidate the large frame at @addr, which must lie wholly in the @left
 * bytes from @iova.
 */
static int unmap_frame(struct zpci_dma_table *t, phys_addr_t addr, dma_addr_t iova, u64 left,
		       u64 frame, u64 *step)
{
	if (!zpci_is_aligned(iova, frame) || left < frame)
		return -EINVAL;
	t->nr_large_frames--;
	*step = frame;
	return zpci_mem_write64(&t->mem, addr, ZPCI_TABLE_INVALID);
}

/*
 * Invalidate the start of [@iova, @iova + @left): a large frame, or pages
 * to the segment end.  (@pa and @readonly: map_step's, unused.)
 */
static int unmap_step(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa, u64 left,
		      bool readonly, u64 *step)
{
	phys_addr_t addr = t->rtto + zpci_rtx(iova) * ZPCI_ENTRY_SIZE;
	enum zpci_level level;
	u64 entry, pages;
	int rc;

	(void)pa;
	(void)readonly;
	*step = 0;
	/* The region-third entry, then the segment entry: either may map a frame. */
	for (level = ZPCI_LEVEL_RTX; level <= ZPCI_LEVEL_SX; level++) {
		const struct zpci_level_desc *d = zpci_level_info(level);
		const struct zpci_level_desc *below = zpci_level_info(level + 1);

		rc = zpci_mem_read64(&t->mem, addr, &entry);
		if (rc)
			return rc;
		if (entry & d->invalid_bit)
			return -ENOENT;
		if (zpci_rste_frame(entry))
			return unmap_frame(t, addr, iova, left, d->frame_size, step);
		addr = (entry & d->origin_mask) +
		       ((iova >> below->shift) & ((1ULL << below->index_bits) - 1)) * ZPCI_ENTRY_SIZE;
	}
	rc = write_ptes(t, iova, to_segment_end(iova, left) >> ZPCI_PAGE_SHIFT, false, invalid_entry,
			NULL, &pages);
	*step = pages << ZPCI_PAGE_SHIFT;
	return rc;
}

typedef int (*step_fn)(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa, u64 left,
		       bool readonly, u64 *step);

/*
 * @fn over [@iova, @iova + @npages pages) a step at a time, @pa moving
 * along; *@done: the bytes covered, a failing step's part included.
 */
static int for_each_step(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa, u64 npages,
			 bool readonly, step_fn fn, u64 *done)
{
	u64 step;
	int rc;

	for (*done = 0; *done < npages << ZPCI_PAGE_SHIFT; *done += step) {
		rc = fn(t, iova + *done, pa + *done, (npages << ZPCI_PAGE_SHIFT) - *done, readonly,
			&step);
		if (rc) {
			*done += step;
			return rc;
		}
	}
	return 0;
}

int zpci_dma_table_unmap(struct zpci_dma_table *t, dma_addr_t iova, u64 npages)
{
	u64 done;

	if (!range_in_table(iova, npages))
		return -EINVAL;
	return for_each_step(t, iova, 0, npages, false, unmap_step, &done);
}

int zpci_dma_table_map(struct zpci_dma_table *t, dma_addr_t iova, phys_addr_t pa,
		       u64 npages, bool readonly)
{
	u64 done;
	int rc;

	if (!range_in_table(iova, npages) || !zpci_is_aligned(pa, ZPCI_PAGE_SIZE))
		return -EINVAL;
	rc = for_each_step(t, iova, pa, npages, readonly, map_step, &done);
	/* What this call mapped so far goes back. */
	if (rc && done)
		zpci_dma_table_unmap(t, iova, done >> ZPCI_PAGE_SHIFT);
	return rc;
}

/* Free the @level table at @table and every table below it. */
static void free_table(struct zpci_dma_table *t, enum zpci_level level, phys_addr_t table)
{
	const struct zpci_level_desc *d = zpci_level_info(level);
	u64 i, entry;

	for (i = 0; !d->leaf && i < (1ULL << d->index_bits); i++) {
		if (zpci_mem_read64(&t->mem, table + i * ZPCI_ENTRY_SIZE, &entry) ||
		    (entry & d->invalid_bit) || zpci_rste_frame(entry))
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
