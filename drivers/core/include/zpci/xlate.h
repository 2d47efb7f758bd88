/* SPDX-License-Identifier: MIT */
/*
 * The reference translator: IOVA -> physical address by the architecture,
 * one table entry at a time, with no caching and no timing.  It is the
 * oracle every faster translator in zpcisim (IOTLB, SystemC walker, shadow
 * tables) is checked against, so it is written to be obviously right
 * rather than fast.
 *
 * A translation never fails by crashing: every outcome, including every
 * kind of malformed table, is a struct zpci_xlate with a fault and the
 * architected error-event code the function would report.
 */
#ifndef ZPCI_XLATE_H
#define ZPCI_XLATE_H

#include <zpci/arch.h>
#include <zpci/mem.h>

#ifdef __cplusplus
extern "C" {
#endif

enum zpci_dma_dir {
	ZPCI_DMA_READ,		/* device reads memory (DMA_TO_DEVICE) */
	ZPCI_DMA_WRITE,		/* device writes memory (DMA_FROM_DEVICE) */
};

enum zpci_level {
	ZPCI_LEVEL_RFX,
	ZPCI_LEVEL_RSX,
	ZPCI_LEVEL_RTX,
	ZPCI_LEVEL_SX,
	ZPCI_LEVEL_PX,
	ZPCI_NR_LEVELS,
};

/*
 * One level of the table hierarchy.  The walk is one loop over these;
 * nothing else in the walker knows which level it is at.
 */
struct zpci_level_desc {
	const char *name;		/* the architecture's index name: "RTX" */
	const char *table;		/* the table it indexes: "region-third" */
	unsigned int shift;		/* IOVA bit the index starts at */
	unsigned int index_bits;
	u64 invalid_bit;
	bool typed;			/* entry carries table-type bits ... */
	u64 table_type;			/* ... which must equal this */
	bool region;			/* entry gives next table's offset/length */
	u64 origin_mask;		/* next table, for a table entry */
	u64 frame_size;			/* frame a leaf entry maps (FC, or the PTE) */
	bool leaf;			/* every entry maps a frame (page table) */
};

const struct zpci_level_desc *zpci_level_info(enum zpci_level level);

/* Why a translation stopped; each maps to one error-event code. */
enum zpci_fault {
	ZPCI_FAULT_NONE,
	ZPCI_FAULT_NO_IOTA,		/* translation not enabled */
	ZPCI_FAULT_APERTURE,		/* IOVA outside [pba, pal] */
	ZPCI_FAULT_TABLE_SPAN,		/* IOVA beyond what the top table spans */
	ZPCI_FAULT_IOTA_FORMAT,		/* designation type or frame size reserved */
	ZPCI_FAULT_FRAME_CONTROL,	/* large frame without large-frame support */
	ZPCI_FAULT_TABLE_LENGTH,	/* index outside next table's offset/length */
	ZPCI_FAULT_TABLE_ADDR,		/* entry address outside memory */
	ZPCI_FAULT_INVALID_ENTRY,	/* entry's invalid bit set */
	ZPCI_FAULT_TABLE_TYPE,		/* entry's type bits wrong for its level */
	ZPCI_FAULT_PROTECTION,		/* write through a protected translation */
	ZPCI_NR_FAULTS,
};

const char *zpci_fault_name(enum zpci_fault fault);
enum zpci_pec zpci_fault_pec(enum zpci_fault fault);

/* What register-IOAT installed for one function. */
struct zpci_dma_space {
	u64 iota;
	dma_addr_t pba;			/* lowest valid DMA address */
	dma_addr_t pal;			/* highest valid DMA address, inclusive */
	bool large_frames;		/* honour frame control in SX/RTX entries */
};

struct zpci_walk_step {
	enum zpci_level level;
	unsigned int index;
	phys_addr_t entry_addr;
	u64 entry;			/* 0 when the read itself failed */
};

struct zpci_xlate {
	enum zpci_fault fault;
	enum zpci_pec pec;		/* what the function reports; NONE on success */
	phys_addr_t addr;		/* translated address, when fault is NONE */
	u64 frame_size;			/* 4 KiB, 1 MiB or 2 GiB */
	bool readonly;			/* some entry on the path had protection set */
	unsigned int nr_steps;		/* entries read; the last one decided */
	struct zpci_walk_step steps[ZPCI_NR_LEVELS];
};

/*
 * The walk one entry at a time, for walkers that add caching or nesting:
 * zpci_walk_start() checks the IOTA and aperture and gives the top level and
 * table; zpci_walk_entry() says what one fetched entry means.  The reference
 * translator below is exactly a loop over these.
 */
struct zpci_walk {
	enum zpci_level level;		/* of the next entry to fetch */
	phys_addr_t table;		/* its table */
	unsigned int toff, tlen;	/* allowed quarters of that table */
	bool readonly;			/* protection seen so far */
};

enum zpci_walk_next {
	ZPCI_WALK_FAULT,		/* stop: the fault is set */
	ZPCI_WALK_TABLE,		/* fetch the next level's entry */
	ZPCI_WALK_FRAME,		/* done: the frame is found */
};

enum zpci_fault zpci_walk_start(const struct zpci_dma_space *space, dma_addr_t iova,
				struct zpci_walk *w);
/* Address of the entry to fetch next, or a table-length fault. */
enum zpci_fault zpci_walk_entry_addr(const struct zpci_walk *w, dma_addr_t iova,
				     phys_addr_t *addr);
/*
 * Apply the fetched @entry: on ZPCI_WALK_TABLE @w moves one level down; on
 * ZPCI_WALK_FRAME *frame_size and *addr hold the result; on ZPCI_WALK_FAULT
 * *fault says why.  Protection is not checked here (see zpci_walk_finish).
 */
enum zpci_walk_next zpci_walk_entry(struct zpci_walk *w, const struct zpci_dma_space *space,
				    dma_addr_t iova, u64 entry, enum zpci_fault *fault,
				    phys_addr_t *addr, u64 *frame_size);
/* The write check at the end of a walk. */
static inline enum zpci_fault zpci_walk_finish(const struct zpci_walk *w, enum zpci_dma_dir dir)
{
	return dir == ZPCI_DMA_WRITE && w->readonly ? ZPCI_FAULT_PROTECTION : ZPCI_FAULT_NONE;
}

/*
 * Memory seen through a translation: accesses at an address of @space are
 * translated (page by page, by the reference translator) and go to @mem.
 * A guest's physical memory as the host's table maps it, for 2-D walks.
 */
struct zpci_xlate_view {
	struct zpci_mem mem;
	const struct zpci_dma_space *space;
};

struct zpci_mem zpci_xlate_view_mem(struct zpci_xlate_view *v);

/* Translate @iova for a @dir access.  Returns x->fault. */
enum zpci_fault zpci_translate(const struct zpci_mem *mem,
			       const struct zpci_dma_space *space,
			       dma_addr_t iova, enum zpci_dma_dir dir,
			       struct zpci_xlate *x);

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_XLATE_H */
