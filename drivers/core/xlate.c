// SPDX-License-Identifier: MIT
/*
 * Reference translator.
 *
 * Checks, in the order the function applies them: translation enabled,
 * aperture, IOTA format, span of the top table; then for each level the
 * offset/length the parent region entry allows, the entry fetch, the
 * invalid bit, the table-type bits and frame control; protection bits
 * accumulate down the path and are checked against writes at the end.
 */
#include <zpci/xlate.h>

static const struct zpci_level_desc zpci_levels[ZPCI_NR_LEVELS] = {
	[ZPCI_LEVEL_RFX] = {
		.name = "RFX", .table = "region-first",
		.shift = ZPCI_RFX_SHIFT, .index_bits = ZPCI_TABLE_BITS,
		.invalid_bit = ZPCI_TABLE_INVALID,
		.typed = true, .table_type = ZPCI_TABLE_TYPE_RFX, .region = true,
		.origin_mask = ZPCI_RTE_ADDR_MASK,
	},
	[ZPCI_LEVEL_RSX] = {
		.name = "RSX", .table = "region-second",
		.shift = ZPCI_RSX_SHIFT, .index_bits = ZPCI_TABLE_BITS,
		.invalid_bit = ZPCI_TABLE_INVALID,
		.typed = true, .table_type = ZPCI_TABLE_TYPE_RSX, .region = true,
		.origin_mask = ZPCI_RTE_ADDR_MASK,
	},
	[ZPCI_LEVEL_RTX] = {
		.name = "RTX", .table = "region-third",
		.shift = ZPCI_RTX_SHIFT, .index_bits = ZPCI_TABLE_BITS,
		.invalid_bit = ZPCI_TABLE_INVALID,
		.typed = true, .table_type = ZPCI_TABLE_TYPE_RTX, .region = true,
		.origin_mask = ZPCI_RTE_ADDR_MASK,
		.frame_size = ZPCI_RT_FRAME_SIZE,
	},
	[ZPCI_LEVEL_SX] = {
		.name = "SX", .table = "segment",
		.shift = ZPCI_SX_SHIFT, .index_bits = ZPCI_TABLE_BITS,
		.invalid_bit = ZPCI_TABLE_INVALID,
		.typed = true, .table_type = ZPCI_TABLE_TYPE_SX,
		.origin_mask = ZPCI_STE_ADDR_MASK,
		.frame_size = ZPCI_SEG_FRAME_SIZE,
	},
	[ZPCI_LEVEL_PX] = {
		.name = "PX", .table = "page",
		.shift = ZPCI_PX_SHIFT, .index_bits = ZPCI_PT_BITS,
		.invalid_bit = ZPCI_PTE_INVALID,
		.origin_mask = ZPCI_PTE_ADDR_MASK,
		.frame_size = ZPCI_PAGE_SIZE, .leaf = true,
	},
};

static const struct {
	const char *name;
	enum zpci_pec pec;
} zpci_faults[ZPCI_NR_FAULTS] = {
	[ZPCI_FAULT_NONE]		= { "none",		ZPCI_PEC_NONE },
	[ZPCI_FAULT_NO_IOTA]		= { "no-iota",		ZPCI_PEC_INVALID_AS },
	[ZPCI_FAULT_APERTURE]		= { "aperture",		ZPCI_PEC_OUT_OF_RANGE },
	[ZPCI_FAULT_TABLE_SPAN]		= { "table-span",	ZPCI_PEC_OUT_OF_RANGE },
	[ZPCI_FAULT_IOTA_FORMAT]	= { "iota-format",	ZPCI_PEC_INVALID_FORMAT },
	[ZPCI_FAULT_FRAME_CONTROL]	= { "frame-control",	ZPCI_PEC_INVALID_FORMAT },
	[ZPCI_FAULT_TABLE_LENGTH]	= { "table-length",	ZPCI_PEC_INVALID_LENGTH },
	/* Assumption: an unfetchable entry is reported as an invalid one. */
	[ZPCI_FAULT_TABLE_ADDR]		= { "table-address",	ZPCI_PEC_INVALID_ENTRY },
	[ZPCI_FAULT_INVALID_ENTRY]	= { "invalid-entry",	ZPCI_PEC_INVALID_ENTRY },
	[ZPCI_FAULT_TABLE_TYPE]		= { "table-type",	ZPCI_PEC_TABLE_TYPE },
	[ZPCI_FAULT_PROTECTION]		= { "protection",	ZPCI_PEC_TRANSLATION_PROT },
};

const struct zpci_level_desc *zpci_level_info(enum zpci_level level)
{
	return (unsigned int)level < ZPCI_NR_LEVELS ? &zpci_levels[level] : NULL;
}

const char *zpci_fault_name(enum zpci_fault fault)
{
	return (unsigned int)fault < ZPCI_NR_FAULTS ? zpci_faults[fault].name : "unknown";
}

enum zpci_pec zpci_fault_pec(enum zpci_fault fault)
{
	return (unsigned int)fault < ZPCI_NR_FAULTS ? zpci_faults[fault].pec : ZPCI_PEC_SYSTEM_ERROR;
}

static enum zpci_fault xlate_set(struct zpci_xlate *x, enum zpci_fault fault)
{
	x->fault = fault;
	x->pec = zpci_fault_pec(fault);
	return fault;
}

/* The level of the table the IOTA designates, or false for a reserved DT. */
static bool iota_top_level(u64 iota, enum zpci_level *level)
{
	switch (zpci_iota_dt(iota)) {
	case ZPCI_IOTA_DT_RF:
		*level = ZPCI_LEVEL_RFX;
		return true;
	case ZPCI_IOTA_DT_RS:
		*level = ZPCI_LEVEL_RSX;
		return true;
	case ZPCI_IOTA_DT_RT:
		*level = ZPCI_LEVEL_RTX;
		return true;
	case ZPCI_IOTA_DT_ST:
		*level = ZPCI_LEVEL_SX;
		return true;
	}
	return false;
}

static bool iova_in_span(dma_addr_t iova, const struct zpci_level_desc *top)
{
	unsigned int span_bits = top->shift + top->index_bits;

	return span_bits >= 64 || (iova >> span_bits) == 0;
}

enum zpci_fault zpci_walk_start(const struct zpci_dma_space *space, dma_addr_t iova,
				struct zpci_walk *w)
{
	enum zpci_level level;

	if (!zpci_iota_enabled(space->iota))
		return ZPCI_FAULT_NO_IOTA;
	if (iova < space->pba || iova > space->pal)
		return ZPCI_FAULT_APERTURE;
	if (!iota_top_level(space->iota, &level) ||
	    zpci_iota_fs(space->iota) > ZPCI_IOTA_FS_2G)
		return ZPCI_FAULT_IOTA_FORMAT;
	if (!iova_in_span(iova, zpci_level_info(level)))
		return ZPCI_FAULT_TABLE_SPAN;
	w->level = level;
	w->table = zpci_iota_origin(space->iota);
	w->toff = 0;
	w->tlen = ZPCI_TABLE_LEN_FULL;
	w->readonly = false;
	return ZPCI_FAULT_NONE;
}

static unsigned int walk_index(const struct zpci_walk *w, dma_addr_t iova)
{
	const struct zpci_level_desc *d = zpci_level_info(w->level);

	return (iova >> d->shift) & ((1ULL << d->index_bits) - 1);
}

enum zpci_fault zpci_walk_entry_addr(const struct zpci_walk *w, dma_addr_t iova,
				     phys_addr_t *addr)
{
	const struct zpci_level_desc *d = zpci_level_info(w->level);
	unsigned int index = walk_index(w, iova);
	unsigned int quarter = index >> (d->index_bits - ZPCI_TABLE_QUARTER_BITS);

	*addr = w->table + index * ZPCI_ENTRY_SIZE;
	if (quarter < w->toff || quarter > w->tlen)
		return ZPCI_FAULT_TABLE_LENGTH;
	return ZPCI_FAULT_NONE;
}

enum zpci_walk_next zpci_walk_entry(struct zpci_walk *w, const struct zpci_dma_space *space,
				    dma_addr_t iova, u64 entry, enum zpci_fault *fault,
				    phys_addr_t *addr, u64 *frame_size)
{
	const struct zpci_level_desc *d = zpci_level_info(w->level);

	if (entry & d->invalid_bit) {
		*fault = ZPCI_FAULT_INVALID_ENTRY;
		return ZPCI_WALK_FAULT;
	}
	if (d->typed && (entry & ZPCI_TABLE_TYPE_MASK) != d->table_type) {
		*fault = ZPCI_FAULT_TABLE_TYPE;
		return ZPCI_WALK_FAULT;
	}
	if (entry & ZPCI_TABLE_PROTECTED)
		w->readonly = true;
	if (!d->leaf && !(d->frame_size && (entry & ZPCI_TABLE_FC))) {
		w->toff = d->region ? zpci_rte_offset(entry) : 0;
		w->tlen = d->region ? zpci_rte_length(entry) : ZPCI_TABLE_LEN_FULL;
		w->table = entry & d->origin_mask;
		w->level++;
		return ZPCI_WALK_TABLE;
	}
	if (!d->leaf && !space->large_frames) {
		*fault = ZPCI_FAULT_FRAME_CONTROL;
		return ZPCI_WALK_FAULT;
	}
	*frame_size = d->frame_size;
	*addr = zpci_align_down(entry, d->frame_size) | (iova & (d->frame_size - 1));
	return ZPCI_WALK_FRAME;
}

enum zpci_fault zpci_translate(const struct zpci_mem *mem,
			       const struct zpci_dma_space *space,
			       dma_addr_t iova, enum zpci_dma_dir dir,
			       struct zpci_xlate *x)
{
	enum zpci_fault fault;
	struct zpci_walk w;

	/* Not a memset: the walk steps are written as they are taken. */
	x->fault = ZPCI_FAULT_NONE;
	x->pec = ZPCI_PEC_NONE;
	x->addr = 0;
	x->frame_size = 0;
	x->readonly = false;
	x->nr_steps = 0;
	fault = zpci_walk_start(space, iova, &w);
	if (fault)
		return xlate_set(x, fault);
	for (;;) {
		struct zpci_walk_step *step = &x->steps[x->nr_steps++];
		enum zpci_walk_next next;

		step->level = w.level;
		step->index = walk_index(&w, iova);
		step->entry = 0;
		fault = zpci_walk_entry_addr(&w, iova, &step->entry_addr);
		if (fault)
			return xlate_set(x, fault);
		if (zpci_mem_read64(mem, step->entry_addr, &step->entry))
			return xlate_set(x, ZPCI_FAULT_TABLE_ADDR);
		next = zpci_walk_entry(&w, space, iova, step->entry, &fault, &x->addr,
				       &x->frame_size);
		x->readonly = w.readonly;
		if (next == ZPCI_WALK_FAULT)
			return xlate_set(x, fault);
		if (next == ZPCI_WALK_FRAME)
			break;
	}
	return xlate_set(x, zpci_walk_finish(&w, dir));
}

static int view_access(struct zpci_xlate_view *v, phys_addr_t addr, u8 *rbuf, const u8 *wbuf,
		       size_t len)
{
	while (len) {
		size_t chunk = ZPCI_PAGE_SIZE - (addr & ~ZPCI_PAGE_MASK);
		struct zpci_xlate x;
		int rc;

		if (chunk > len)
			chunk = len;
		if (zpci_translate(&v->mem, v->space, addr, wbuf ? ZPCI_DMA_WRITE : ZPCI_DMA_READ, &x))
			return -EFAULT;
		rc = wbuf ? zpci_mem_write(&v->mem, x.addr, wbuf, chunk)
			  : zpci_mem_read(&v->mem, x.addr, rbuf, chunk);
		if (rc)
			return rc;
		if (wbuf)
			wbuf += chunk;
		else
			rbuf += chunk;
		addr += chunk;
		len -= chunk;
	}
	return 0;
}

static int view_read(void *priv, phys_addr_t addr, void *buf, size_t len)
{
	return view_access(priv, addr, buf, NULL, len);
}

static int view_write(void *priv, phys_addr_t addr, const void *buf, size_t len)
{
	return view_access(priv, addr, NULL, buf, len);
}

static const struct zpci_mem_ops xlate_view_ops = {
	.read = view_read,
	.write = view_write,
};

struct zpci_mem zpci_xlate_view_mem(struct zpci_xlate_view *v)
{
	struct zpci_mem m = { .ops = &xlate_view_ops, .priv = v };

	return m;
}
