/* SPDX-License-Identifier: MIT */
/*
 * zPCI architecture: every architected constant of the DMA translation
 * path, spelled as the architecture spells it, and the tiny helpers that
 * touch raw entry bits.  Nothing here is a model knob.
 *
 * Table levels, top to bottom, and the IOVA bits that index them:
 *   RFX  region-first  table  2048 entries  bits 63..53
 *   RSX  region-second table  2048 entries  bits 52..42
 *   RTX  region-third  table  2048 entries  bits 41..31   (Linux starts here)
 *   SX   segment       table  2048 entries  bits 30..20
 *   PX   page          table   256 entries  bits 19..12
 * Entries are 8 bytes, big-endian in memory.
 */
#ifndef ZPCI_ARCH_H
#define ZPCI_ARCH_H

#include <zpci/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Pages and table geometry */
#define ZPCI_PAGE_SHIFT		12
#define ZPCI_PAGE_SIZE		(1ULL << ZPCI_PAGE_SHIFT)
#define ZPCI_PAGE_MASK		(~(ZPCI_PAGE_SIZE - 1))

#define ZPCI_ENTRY_SIZE		8ULL
#define ZPCI_TABLE_BITS		11	/* region and segment table index */
#define ZPCI_PT_BITS		8	/* page table index */
#define ZPCI_TABLE_ENTRIES	(1ULL << ZPCI_TABLE_BITS)
#define ZPCI_PT_ENTRIES		(1ULL << ZPCI_PT_BITS)
#define ZPCI_TABLE_SIZE		(ZPCI_TABLE_ENTRIES * ZPCI_ENTRY_SIZE)
#define ZPCI_PT_SIZE		(ZPCI_PT_ENTRIES * ZPCI_ENTRY_SIZE)
#define ZPCI_TABLE_ALIGN	ZPCI_TABLE_SIZE
#define ZPCI_PT_ALIGN		ZPCI_PT_SIZE

#define ZPCI_PX_SHIFT		ZPCI_PAGE_SHIFT
#define ZPCI_SX_SHIFT		(ZPCI_PX_SHIFT + ZPCI_PT_BITS)
#define ZPCI_RTX_SHIFT		(ZPCI_SX_SHIFT + ZPCI_TABLE_BITS)
#define ZPCI_RSX_SHIFT		(ZPCI_RTX_SHIFT + ZPCI_TABLE_BITS)
#define ZPCI_RFX_SHIFT		(ZPCI_RSX_SHIFT + ZPCI_TABLE_BITS)

#define ZPCI_SEG_FRAME_SIZE	(1ULL << ZPCI_SX_SHIFT)		/* 1 MiB */
#define ZPCI_RT_FRAME_SIZE	(1ULL << ZPCI_RTX_SHIFT)	/* 2 GiB */
#define ZPCI_TABLE_SIZE_ST	(1ULL << ZPCI_RTX_SHIFT)	/* one STO spans 2 GiB */
#define ZPCI_TABLE_SIZE_RT	(1ULL << ZPCI_RSX_SHIFT)	/* one RTTO spans 4 TiB */
#define ZPCI_TABLE_SIZE_RS	(1ULL << ZPCI_RFX_SHIFT)	/* one RSTO spans 8 PiB */

/* Region- and segment-table entries */
#define ZPCI_RTE_FLAG_MASK	0x3fffULL	/* next region/segment table: 16 KiB aligned */
#define ZPCI_RTE_ADDR_MASK	(~ZPCI_RTE_FLAG_MASK)
#define ZPCI_STE_FLAG_MASK	0x7ffULL	/* page table: 2 KiB aligned */
#define ZPCI_STE_ADDR_MASK	(~ZPCI_STE_FLAG_MASK)

#define ZPCI_TABLE_TYPE_MASK	0xcULL		/* which table the entry sits in */
#define ZPCI_TABLE_TYPE_RFX	0xcULL
#define ZPCI_TABLE_TYPE_RSX	0x8ULL
#define ZPCI_TABLE_TYPE_RTX	0x4ULL
#define ZPCI_TABLE_TYPE_SX	0x0ULL
/* Region entries give the valid part of the next table in quarters. */
#define ZPCI_TABLE_OFFSET_MASK	0xc0ULL
#define ZPCI_TABLE_OFFSET_SHIFT	6
#define ZPCI_TABLE_LEN_MASK	0x3ULL
#define ZPCI_TABLE_LEN_FULL	0x3ULL
#define ZPCI_TABLE_QUARTER_BITS	2		/* index bits the offset/length cover */

#define ZPCI_TABLE_INVALID	0x20ULL
#define ZPCI_TABLE_PROTECTED	0x200ULL
#define ZPCI_TABLE_FC		0x400ULL	/* frame control: entry maps a large frame */

/* Page-table entries */
#define ZPCI_PTE_FLAG_MASK	0xfffULL
#define ZPCI_PTE_ADDR_MASK	(~ZPCI_PTE_FLAG_MASK)
#define ZPCI_PTE_INVALID	0x400ULL
#define ZPCI_PTE_PROTECTED	0x200ULL	/* device may read, not write */

/* I/O translation anchor (what MPCIFC register-IOAT installs) */
#define ZPCI_IOTA_IOT_ENABLED	0x800ULL
#define ZPCI_IOTA_DT_SHIFT	2
#define ZPCI_IOTA_DT_MASK	(0x7ULL << ZPCI_IOTA_DT_SHIFT)
#define ZPCI_IOTA_DT_ST		0ULL	/* designates a segment table */
#define ZPCI_IOTA_DT_RT		1ULL	/* region-third */
#define ZPCI_IOTA_DT_RS		2ULL	/* region-second */
#define ZPCI_IOTA_DT_RF		3ULL	/* region-first */
#define ZPCI_IOTA_FS_MASK	0x3ULL
#define ZPCI_IOTA_FS_4K		0ULL
#define ZPCI_IOTA_FS_1M		1ULL
#define ZPCI_IOTA_FS_2G		2ULL
#define ZPCI_IOTA_ORIGIN_MASK	ZPCI_RTE_ADDR_MASK
#define ZPCI_IOTA_RTTO_FLAG	(ZPCI_IOTA_IOT_ENABLED | (ZPCI_IOTA_DT_RT << ZPCI_IOTA_DT_SHIFT))

/* Condition codes of RPCIT (and the other zPCI instructions) */
#define ZPCI_CC_OK		0
#define ZPCI_CC_STATUS		1	/* see the status byte */
#define ZPCI_CC_BUSY		2	/* retry after a short delay */
#define ZPCI_CC_NOT_OP		3	/* handle unknown, or function not usable */

/* MPCIFC operation controls */
#define ZPCI_MOD_FC_REG_INT		2
#define ZPCI_MOD_FC_DEREG_INT		3
#define ZPCI_MOD_FC_REG_IOAT		4
#define ZPCI_MOD_FC_DEREG_IOAT		5
#define ZPCI_MOD_FC_REREG_IOAT		6
#define ZPCI_MOD_FC_RESET_ERROR		7
#define ZPCI_MOD_FC_SET_MEASURE		8
#define ZPCI_MOD_FC_RESET_BLOCK		9

/* Function handles: CLP Set PCI Function returns the enabled handle. */
#define ZPCI_FH_ENABLED			0x80000000U

/* RPCIT status with cc 1 */
#define ZPCI_RPCIT_ST_WALK_FAILED	8	/* hypervisor's walk of the guest table failed */
#define ZPCI_RPCIT_ST_INSUFF_RES	16	/* cannot pin/map more: flush globally, retry */
#define ZPCI_RPCIT_ST_FUNC_IN_ERR	40	/* function already in the error state */

/*
 * PCI error-event codes (PEC) a function reports when it enters the error
 * state.  zpci_pec_table[] in core/arch.c describes each one.
 */
enum zpci_pec {
	ZPCI_PEC_NONE			= 0x00,
	ZPCI_PEC_INVALID_AS		= 0x01,	/* no address space registered */
	ZPCI_PEC_OUT_OF_RANGE		= 0x02,
	ZPCI_PEC_INVALID_FORMAT		= 0x03,
	ZPCI_PEC_TRANSLATION_PROT	= 0x04,
	ZPCI_PEC_ACCESS_PROT		= 0x05,
	ZPCI_PEC_KEY			= 0x06,
	ZPCI_PEC_INVALID_ENTRY		= 0x07,
	ZPCI_PEC_INVALID_LENGTH		= 0x08,
	ZPCI_PEC_TABLE_TYPE		= 0x09,
	ZPCI_PEC_INVALID_MSI		= 0x0a,
	ZPCI_PEC_SYSTEM_ERROR		= 0x0b,
	ZPCI_PEC_NO_MSI			= 0x10,
	ZPCI_PEC_INVALID_AIBV		= 0x11,
	ZPCI_PEC_AIBV_ADDR		= 0x12,
	ZPCI_PEC_AIRQ_ERROR		= 0x13,
	ZPCI_PEC_FMB_ADDR		= 0x2a,
	ZPCI_PEC_FMB_UPDATE		= 0x2b,
	ZPCI_PEC_FMB_PROT		= 0x2c,
	ZPCI_PEC_CONFIG_CHANGE		= 0x30,
	ZPCI_PEC_SERVICE_ACTION		= 0x3a,
	ZPCI_PEC_PERMANENT_ERROR	= 0x3b,
};

enum zpci_pec_family {
	ZPCI_PEC_FAMILY_TRANSLATION,	/* 0x01-0x0b: DMA addressing */
	ZPCI_PEC_FAMILY_INTERRUPT,	/* 0x10-0x13: MSI and adapter interrupts */
	ZPCI_PEC_FAMILY_MEASUREMENT,	/* 0x2a-0x2c: function measurement block */
	ZPCI_PEC_FAMILY_FUNCTION,	/* 0x30-0x3b: configuration and service */
};

struct zpci_pec_desc {
	enum zpci_pec code;
	enum zpci_pec_family family;
	const char *name;		/* short identifier, for stats keys */
	const char *text;		/* one line, for people */
};

/* The description of @code, or NULL for a code the architecture lacks. */
const struct zpci_pec_desc *zpci_pec_lookup(unsigned int code);
/* Always a printable name: "unknown" for unlisted codes. */
const char *zpci_pec_name(unsigned int code);
const char *zpci_pec_text(unsigned int code);

/* Derivations the rest of the code relies on */
zpci_static_assert(ZPCI_TABLE_SIZE == 0x4000, "region/segment table is 16 KiB");
zpci_static_assert(ZPCI_PT_SIZE == 0x800, "page table is 2 KiB");
zpci_static_assert(ZPCI_RTX_SHIFT == 31, "an RTX entry covers 2 GiB");
zpci_static_assert(ZPCI_RFX_SHIFT + ZPCI_TABLE_BITS == 64, "RFX spans 2^64");
zpci_static_assert(ZPCI_TABLE_SIZE_RT == (1ULL << 42), "an RTTO spans 4 TiB");
zpci_static_assert((ZPCI_RTE_FLAG_MASK + 1) == ZPCI_TABLE_ALIGN, "RTE origin is table aligned");
zpci_static_assert((ZPCI_STE_FLAG_MASK + 1) == ZPCI_PT_ALIGN, "STE origin is page-table aligned");
zpci_static_assert(ZPCI_PTE_PROTECTED == ZPCI_TABLE_PROTECTED,
		   "one protection bit at every level");
zpci_static_assert(ZPCI_TABLE_ENTRIES >> (ZPCI_TABLE_BITS - ZPCI_TABLE_QUARTER_BITS) == 4,
		   "offset/length count quarters of a table");

/* Index of @iova in a table whose entries each cover 2^shift bytes. */
static inline unsigned int zpci_rfx(dma_addr_t iova)
{
	return (iova >> ZPCI_RFX_SHIFT) & (ZPCI_TABLE_ENTRIES - 1);
}

static inline unsigned int zpci_rsx(dma_addr_t iova)
{
	return (iova >> ZPCI_RSX_SHIFT) & (ZPCI_TABLE_ENTRIES - 1);
}

static inline unsigned int zpci_rtx(dma_addr_t iova)
{
	return (iova >> ZPCI_RTX_SHIFT) & (ZPCI_TABLE_ENTRIES - 1);
}

static inline unsigned int zpci_sx(dma_addr_t iova)
{
	return (iova >> ZPCI_SX_SHIFT) & (ZPCI_TABLE_ENTRIES - 1);
}

static inline unsigned int zpci_px(dma_addr_t iova)
{
	return (iova >> ZPCI_PX_SHIFT) & (ZPCI_PT_ENTRIES - 1);
}

/* Entry builders: what a driver writes to make an entry valid. */
static inline u64 zpci_mk_rte(phys_addr_t next_table, u64 table_type)
{
	return (next_table & ZPCI_RTE_ADDR_MASK) | table_type | ZPCI_TABLE_LEN_FULL;
}

static inline u64 zpci_mk_ste(phys_addr_t pto)
{
	return (pto & ZPCI_STE_ADDR_MASK) | ZPCI_TABLE_TYPE_SX;
}

static inline u64 zpci_mk_pte(phys_addr_t frame, bool protect)
{
	return (frame & ZPCI_PTE_ADDR_MASK) | (protect ? ZPCI_PTE_PROTECTED : 0);
}

/*
 * A region-third or segment entry that maps a large frame itself (frame
 * control: EDAT-2's 2 GiB, EDAT-1's 1 MiB), aligned to its size.
 */
static inline u64 zpci_mk_rte_frame(phys_addr_t frame, bool protect)
{
	return zpci_align_down(frame, ZPCI_RT_FRAME_SIZE) | ZPCI_TABLE_TYPE_RTX | ZPCI_TABLE_FC |
	       (protect ? ZPCI_TABLE_PROTECTED : 0);
}

static inline u64 zpci_mk_ste_frame(phys_addr_t frame, bool protect)
{
	return zpci_align_down(frame, ZPCI_SEG_FRAME_SIZE) | ZPCI_TABLE_TYPE_SX | ZPCI_TABLE_FC |
	       (protect ? ZPCI_TABLE_PROTECTED : 0);
}

static inline u64 zpci_mk_iota(phys_addr_t origin, u64 dt)
{
	return (origin & ZPCI_IOTA_ORIGIN_MASK) | ZPCI_IOTA_IOT_ENABLED |
	       (dt << ZPCI_IOTA_DT_SHIFT);
}

/* Entry decoders */
static inline bool zpci_rste_invalid(u64 entry)
{
	return entry & ZPCI_TABLE_INVALID;
}

/* A region or segment entry that maps a frame, not a table. */
static inline bool zpci_rste_frame(u64 entry)
{
	return entry & ZPCI_TABLE_FC;
}

static inline bool zpci_pte_invalid(u64 entry)
{
	return entry & ZPCI_PTE_INVALID;
}

static inline u64 zpci_rste_type(u64 entry)
{
	return entry & ZPCI_TABLE_TYPE_MASK;
}

static inline unsigned int zpci_rte_offset(u64 entry)
{
	return (entry & ZPCI_TABLE_OFFSET_MASK) >> ZPCI_TABLE_OFFSET_SHIFT;
}

static inline unsigned int zpci_rte_length(u64 entry)
{
	return entry & ZPCI_TABLE_LEN_MASK;
}

static inline phys_addr_t zpci_rte_origin(u64 entry)
{
	return entry & ZPCI_RTE_ADDR_MASK;
}

static inline phys_addr_t zpci_ste_origin(u64 entry)
{
	return entry & ZPCI_STE_ADDR_MASK;
}

static inline phys_addr_t zpci_pte_frame(u64 entry)
{
	return entry & ZPCI_PTE_ADDR_MASK;
}

static inline bool zpci_iota_enabled(u64 iota)
{
	return iota & ZPCI_IOTA_IOT_ENABLED;
}

static inline unsigned int zpci_iota_dt(u64 iota)
{
	return (iota & ZPCI_IOTA_DT_MASK) >> ZPCI_IOTA_DT_SHIFT;
}

static inline unsigned int zpci_iota_fs(u64 iota)
{
	return iota & ZPCI_IOTA_FS_MASK;
}

static inline phys_addr_t zpci_iota_origin(u64 iota)
{
	return iota & ZPCI_IOTA_ORIGIN_MASK;
}

#ifdef __cplusplus
}
#endif

#endif /* ZPCI_ARCH_H */
