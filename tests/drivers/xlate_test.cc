// SPDX-License-Identifier: MIT
// The reference translator against hand-built tables and a plain oracle.
#include <gtest/gtest.h>

#include <set>

#include <zpci/prng.h>
#include <zpci/xlate.h>

#include "support/table_builder.h"

namespace zpcisim::test {
namespace {

constexpr uint64_t kMemSize = 64ULL << 20;
constexpr uint64_t kTableBase = 0x10000;
constexpr uint64_t kIovaBase = 0x100000000ULL;	// QEMU's sdma

class Translate : public ::testing::Test {
protected:
	Translate() : mem_(kMemSize), tb_(mem_.view(), kTableBase)
	{
		space_.iota = tb_.iota();
		space_.pba = kIovaBase;
		space_.pal = kIovaBase + (4ULL << 30) - 1;
	}

	zpci_xlate walk(uint64_t iova, zpci_dma_dir dir = ZPCI_DMA_READ)
	{
		zpci_mem m = mem_.view();
		zpci_xlate x;
		zpci_translate(&m, &space_, iova, dir, &x);
		return x;
	}

	// The address of the entry that was read at @level on the way to @iova.
	uint64_t entry_addr(uint64_t iova, zpci_level level)
	{
		zpci_xlate x = walk(iova);
		for (unsigned int i = 0; i < x.nr_steps; i++)
			if (x.steps[i].level == level)
				return x.steps[i].entry_addr;
		ADD_FAILURE() << "walk did not reach level " << level;
		return 0;
	}

	SparseMem mem_;
	TableBuilder tb_;
	zpci_dma_space space_{};
};

TEST_F(Translate, MappedPageKeepsOffset)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	zpci_xlate x = walk(kIovaBase + 0xabc, ZPCI_DMA_WRITE);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.pec, ZPCI_PEC_NONE);
	EXPECT_EQ(x.addr, 0x200abcULL);
	EXPECT_EQ(x.frame_size, ZPCI_PAGE_SIZE);
	EXPECT_FALSE(x.readonly);
	ASSERT_EQ(x.nr_steps, 3u);
	EXPECT_EQ(x.steps[0].level, ZPCI_LEVEL_RTX);
	EXPECT_EQ(x.steps[0].index, 2u);
	EXPECT_EQ(x.steps[0].entry_addr, tb_.rtto() + 16);
	EXPECT_EQ(x.steps[1].level, ZPCI_LEVEL_SX);
	EXPECT_EQ(x.steps[2].level, ZPCI_LEVEL_PX);
}

TEST_F(Translate, NoIotaIsInvalidAddressSpace)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	space_.iota &= ~ZPCI_IOTA_IOT_ENABLED;
	zpci_xlate x = walk(kIovaBase);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NO_IOTA);
	EXPECT_EQ(x.pec, ZPCI_PEC_INVALID_AS);
	EXPECT_EQ(x.nr_steps, 0u);
}

TEST_F(Translate, ApertureEdgesAreInclusive)
{
	tb_.map_4k(space_.pba, 0x200000, false);
	tb_.map_4k(space_.pal, 0x300000, false);
	EXPECT_EQ(walk(space_.pba).addr, 0x200000ULL);
	EXPECT_EQ(walk(space_.pal).addr, 0x300fffULL);
	EXPECT_EQ(walk(space_.pba - 1).fault, ZPCI_FAULT_APERTURE);
	EXPECT_EQ(walk(space_.pba - 1).pec, ZPCI_PEC_OUT_OF_RANGE);
	EXPECT_EQ(walk(space_.pal + 1).fault, ZPCI_FAULT_APERTURE);
	EXPECT_EQ(walk(0).fault, ZPCI_FAULT_APERTURE);
	EXPECT_EQ(walk(UINT64_MAX).fault, ZPCI_FAULT_APERTURE);
}

TEST_F(Translate, ReservedDesignationTypeIsInvalidFormat)
{
	for (uint64_t dt = 4; dt < 8; dt++) {
		space_.iota = (tb_.iota() & ~ZPCI_IOTA_DT_MASK) | (dt << ZPCI_IOTA_DT_SHIFT);
		EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_IOTA_FORMAT) << "dt " << dt;
		EXPECT_EQ(walk(kIovaBase).pec, ZPCI_PEC_INVALID_FORMAT);
	}
}

TEST_F(Translate, ReservedFrameSizeIsInvalidFormat)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	space_.iota |= 3;
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_IOTA_FORMAT);
}

// A region-third table spans 4 TiB; an aperture beyond it cannot translate.
TEST_F(Translate, IovaBeyondRegionThirdSpanIsOutOfRange)
{
	space_.pba = 0;
	space_.pal = UINT64_MAX;
	zpci_xlate x = walk(ZPCI_TABLE_SIZE_RT);
	EXPECT_EQ(x.fault, ZPCI_FAULT_TABLE_SPAN);
	EXPECT_EQ(x.pec, ZPCI_PEC_OUT_OF_RANGE);
	EXPECT_EQ(walk(ZPCI_TABLE_SIZE_RT - 1).fault, ZPCI_FAULT_INVALID_ENTRY);
}

TEST_F(Translate, InvalidEntryAtEachLevel)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	// PX: the next page in the same page table was never mapped.
	zpci_xlate x = walk(kIovaBase + ZPCI_PAGE_SIZE);
	EXPECT_EQ(x.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(x.pec, ZPCI_PEC_INVALID_ENTRY);
	EXPECT_EQ(x.steps[x.nr_steps - 1].level, ZPCI_LEVEL_PX);
	// SX: next segment in the same segment table.
	x = walk(kIovaBase + ZPCI_SEG_FRAME_SIZE);
	EXPECT_EQ(x.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(x.steps[x.nr_steps - 1].level, ZPCI_LEVEL_SX);
	// RTX: next region.
	x = walk(kIovaBase + ZPCI_RT_FRAME_SIZE);
	EXPECT_EQ(x.fault, ZPCI_FAULT_INVALID_ENTRY);
	EXPECT_EQ(x.nr_steps, 1u);
}

// The architecture's invalid bit is a 1: an all-zero entry is valid.
TEST_F(Translate, ZeroedPageTableEntryMapsFrameZero)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	tb_.write(entry_addr(kIovaBase, ZPCI_LEVEL_PX), 0);
	zpci_xlate x = walk(kIovaBase + 0x10);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x10ULL);
}

TEST_F(Translate, WrongTableTypeAtRegionAndSegmentLevel)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	uint64_t rte = entry_addr(kIovaBase, ZPCI_LEVEL_RTX);
	uint64_t ste = entry_addr(kIovaBase, ZPCI_LEVEL_SX);
	uint64_t good_rte = tb_.read(rte), good_ste = tb_.read(ste);

	for (uint64_t tt : { ZPCI_TABLE_TYPE_SX, ZPCI_TABLE_TYPE_RSX, ZPCI_TABLE_TYPE_RFX }) {
		tb_.write(rte, (good_rte & ~ZPCI_TABLE_TYPE_MASK) | tt);
		zpci_xlate x = walk(kIovaBase);
		EXPECT_EQ(x.fault, ZPCI_FAULT_TABLE_TYPE) << "rte type " << tt;
		EXPECT_EQ(x.pec, ZPCI_PEC_TABLE_TYPE);
	}
	tb_.write(rte, good_rte);
	for (uint64_t tt : { ZPCI_TABLE_TYPE_RTX, ZPCI_TABLE_TYPE_RSX, ZPCI_TABLE_TYPE_RFX }) {
		tb_.write(ste, good_ste | tt);
		EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_TABLE_TYPE) << "ste type " << tt;
	}
}

// Region entries give the valid quarters of the next table: [offset, length].
TEST_F(Translate, SegmentIndexOutsideTableLengthFaults)
{
	const uint64_t quarter = ZPCI_TABLE_ENTRIES / 4 * ZPCI_SEG_FRAME_SIZE;	// 512 MiB
	for (int q = 0; q < 4; q++)
		tb_.map_4k(kIovaBase + q * quarter, 0x200000, false);
	uint64_t rte = entry_addr(kIovaBase, ZPCI_LEVEL_RTX);
	uint64_t good = tb_.read(rte);

	// Length 1: quarters 0 and 1 valid.
	tb_.write(rte, (good & ~ZPCI_TABLE_LEN_MASK) | 1);
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(walk(kIovaBase + quarter).fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(walk(kIovaBase + 2 * quarter).fault, ZPCI_FAULT_TABLE_LENGTH);
	EXPECT_EQ(walk(kIovaBase + 2 * quarter).pec, ZPCI_PEC_INVALID_LENGTH);
	EXPECT_EQ(walk(kIovaBase + 3 * quarter).fault, ZPCI_FAULT_TABLE_LENGTH);
	// Offset 2: quarters 2 and 3 valid.
	tb_.write(rte, good | (2ULL << ZPCI_TABLE_OFFSET_SHIFT));
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_TABLE_LENGTH);
	EXPECT_EQ(walk(kIovaBase + quarter).fault, ZPCI_FAULT_TABLE_LENGTH);
	EXPECT_EQ(walk(kIovaBase + 2 * quarter).fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(walk(kIovaBase + 3 * quarter).fault, ZPCI_FAULT_NONE);
}

TEST_F(Translate, TableOutsideMemoryIsReportedNotFollowed)
{
	tb_.map_4k(kIovaBase, 0x200000, false);
	uint64_t rte = entry_addr(kIovaBase, ZPCI_LEVEL_RTX);
	tb_.write(rte, zpci_mk_rte(kMemSize, ZPCI_TABLE_TYPE_RTX));
	zpci_xlate x = walk(kIovaBase);
	EXPECT_EQ(x.fault, ZPCI_FAULT_TABLE_ADDR);
	EXPECT_EQ(x.pec, ZPCI_PEC_INVALID_ENTRY);
	EXPECT_EQ(x.steps[x.nr_steps - 1].entry_addr, kMemSize);
	// An origin near 2^64 must not wrap around into memory.
	tb_.write(rte, zpci_mk_rte(~0ULL, ZPCI_TABLE_TYPE_RTX));
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_TABLE_ADDR);
	space_.iota = zpci_mk_iota(kMemSize + ZPCI_TABLE_SIZE, ZPCI_IOTA_DT_RT);
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_TABLE_ADDR);
}

TEST_F(Translate, ProtectionFromAnyLevelBlocksWritesOnly)
{
	tb_.map_4k(kIovaBase, 0x200000, true);
	zpci_xlate x = walk(kIovaBase, ZPCI_DMA_READ);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_TRUE(x.readonly);
	x = walk(kIovaBase, ZPCI_DMA_WRITE);
	EXPECT_EQ(x.fault, ZPCI_FAULT_PROTECTION);
	EXPECT_EQ(x.pec, ZPCI_PEC_TRANSLATION_PROT);

	tb_.map_4k(kIovaBase, 0x200000, false);
	for (zpci_level level : { ZPCI_LEVEL_SX, ZPCI_LEVEL_RTX }) {
		uint64_t a = entry_addr(kIovaBase, level);
		uint64_t good = tb_.read(a);
		tb_.write(a, good | ZPCI_TABLE_PROTECTED);
		EXPECT_EQ(walk(kIovaBase, ZPCI_DMA_READ).fault, ZPCI_FAULT_NONE);
		EXPECT_EQ(walk(kIovaBase, ZPCI_DMA_WRITE).fault, ZPCI_FAULT_PROTECTION)
			<< "protection at level " << level;
		tb_.write(a, good);
	}
	EXPECT_EQ(walk(kIovaBase, ZPCI_DMA_WRITE).fault, ZPCI_FAULT_NONE);
}

TEST_F(Translate, LargeFramesNeedTheArchitectureOption)
{
	tb_.map_1m(kIovaBase, 0x500000, false);
	tb_.map_2g(kIovaBase + ZPCI_RT_FRAME_SIZE, 0x80000000ULL, true);
	EXPECT_EQ(walk(kIovaBase).fault, ZPCI_FAULT_FRAME_CONTROL);
	EXPECT_EQ(walk(kIovaBase).pec, ZPCI_PEC_INVALID_FORMAT);
	EXPECT_EQ(walk(kIovaBase + ZPCI_RT_FRAME_SIZE).fault, ZPCI_FAULT_FRAME_CONTROL);

	space_.large_frames = true;
	zpci_xlate x = walk(kIovaBase + 0xfffff);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x5fffffULL);
	EXPECT_EQ(x.frame_size, ZPCI_SEG_FRAME_SIZE);
	EXPECT_EQ(x.nr_steps, 2u);
	x = walk(kIovaBase + ZPCI_RT_FRAME_SIZE + 0x7654321);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x87654321ULL);
	EXPECT_EQ(x.frame_size, ZPCI_RT_FRAME_SIZE);
	EXPECT_TRUE(x.readonly);
	EXPECT_EQ(x.nr_steps, 1u);
	EXPECT_EQ(walk(kIovaBase + ZPCI_RT_FRAME_SIZE, ZPCI_DMA_WRITE).fault,
		  ZPCI_FAULT_PROTECTION);
}

TEST_F(Translate, LastEntryOfEachTable)
{
	space_.pba = 0;
	space_.pal = ZPCI_TABLE_SIZE_RT - 1;
	uint64_t last = ZPCI_TABLE_SIZE_RT - ZPCI_PAGE_SIZE;	// RTX 2047, SX 2047, PX 255
	tb_.map_4k(last, 0x3ff000, false);
	zpci_xlate x = walk(last + 0xfff);
	ASSERT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x3fffffULL);
	EXPECT_EQ(x.steps[0].index, ZPCI_TABLE_ENTRIES - 1);
	EXPECT_EQ(x.steps[1].index, ZPCI_TABLE_ENTRIES - 1);
	EXPECT_EQ(x.steps[2].index, ZPCI_PT_ENTRIES - 1);
	EXPECT_EQ(x.steps[2].entry_addr % ZPCI_PT_SIZE, ZPCI_PT_SIZE - 8);
}

// Both sides of every 4 KiB, 1 MiB and 2 GiB boundary use different entries.
TEST_F(Translate, BoundariesSelectNeighbouringEntries)
{
	space_.pba = 0;
	space_.pal = ZPCI_TABLE_SIZE_RT - 1;
	for (uint64_t boundary : { kIovaBase + ZPCI_PAGE_SIZE, kIovaBase + ZPCI_SEG_FRAME_SIZE,
				   kIovaBase + ZPCI_RT_FRAME_SIZE }) {
		tb_.map_4k(boundary - ZPCI_PAGE_SIZE, 0x600000, false);
		tb_.map_4k(boundary, 0x700000, false);
		EXPECT_EQ(walk(boundary - 1).addr, 0x600fffULL);
		EXPECT_EQ(walk(boundary).addr, 0x700000ULL);
	}
}

TEST_F(Translate, SegmentTableDesignationSpansTwoGiB)
{
	tb_.map_4k(kIovaBase + 0x12345000, 0x800000, false);
	uint64_t real_sto = tb_.read(tb_.rtto() + zpci_rtx(kIovaBase) * 8) & ZPCI_RTE_ADDR_MASK;
	space_.iota = zpci_mk_iota(real_sto, ZPCI_IOTA_DT_ST);
	space_.pba = 0;
	space_.pal = UINT64_MAX;
	zpci_xlate x = walk(0x12345678);
	EXPECT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x800678ULL);
	EXPECT_EQ(x.nr_steps, 2u);
	EXPECT_EQ(walk(ZPCI_TABLE_SIZE_ST).fault, ZPCI_FAULT_TABLE_SPAN);
}

// Region-first designation: five levels, each entry type-checked.
TEST_F(Translate, RegionFirstWalkReadsFiveEntries)
{
	tb_.map_4k(kIovaBase, 0x900000, false);
	uint64_t rsto = (tb_.table_end() + ZPCI_TABLE_SIZE) & ~(ZPCI_TABLE_SIZE - 1);
	uint64_t rfto = rsto + ZPCI_TABLE_SIZE;
	uint64_t iova = (3ULL << ZPCI_RFX_SHIFT) | (5ULL << ZPCI_RSX_SHIFT) | kIovaBase;
	tb_.write(rfto + 3 * 8, zpci_mk_rte(rsto, ZPCI_TABLE_TYPE_RFX));
	tb_.write(rsto + 5 * 8, zpci_mk_rte(tb_.rtto(), ZPCI_TABLE_TYPE_RSX));
	space_.iota = zpci_mk_iota(rfto, ZPCI_IOTA_DT_RF);
	space_.pba = 0;
	space_.pal = UINT64_MAX;
	zpci_xlate x = walk(iova + 0x42);
	ASSERT_EQ(x.fault, ZPCI_FAULT_NONE);
	EXPECT_EQ(x.addr, 0x900042ULL);
	ASSERT_EQ(x.nr_steps, 5u);
	for (unsigned int i = 0; i < 5; i++)
		EXPECT_EQ(x.steps[i].level, static_cast<zpci_level>(i));
	// The same RTTO entry typed as RFX in the RSX table is rejected.
	tb_.write(rsto + 5 * 8, zpci_mk_rte(tb_.rtto(), ZPCI_TABLE_TYPE_RFX));
	EXPECT_EQ(walk(iova).fault, ZPCI_FAULT_TABLE_TYPE);
}

TEST(FaultTable, EveryFaultHasANameAndATranslationFamilyCode)
{
	std::set<std::string> names;
	for (int f = ZPCI_FAULT_NONE + 1; f < ZPCI_NR_FAULTS; f++) {
		auto fault = static_cast<zpci_fault>(f);
		const zpci_pec_desc *d = zpci_pec_lookup(zpci_fault_pec(fault));
		ASSERT_NE(d, nullptr) << f;
		EXPECT_EQ(d->family, ZPCI_PEC_FAMILY_TRANSLATION);
		EXPECT_TRUE(names.insert(zpci_fault_name(fault)).second) << zpci_fault_name(fault);
	}
	EXPECT_EQ(zpci_fault_pec(ZPCI_FAULT_NONE), ZPCI_PEC_NONE);
	EXPECT_STREQ(zpci_fault_name(static_cast<zpci_fault>(99)), "unknown");
}

// Random mapping sets in random table shapes; every mapped IOVA must
// translate exactly as the oracle says, every other one must fault.
class TranslateProperty : public ::testing::TestWithParam<uint64_t> {};

TEST_P(TranslateProperty, AgreesWithOracle)
{
	constexpr uint64_t kMem = 8ULL << 30;	// 8 GiB, sparse
	SparseMem mem(kMem);
	TableBuilder tb(mem.view(), 0x100000);
	zpci_prng r;
	zpci_prng_seed(&r, GetParam());

	zpci_dma_space sp{};
	sp.iota = tb.iota();
	sp.pba = kIovaBase;
	sp.pal = kIovaBase + (16ULL << 30) - 1;	// 8 regions of 2 GiB
	sp.large_frames = true;

	// Per 2 GiB region: a 2 GiB frame, or segments each a 1 MiB frame or pages.
	for (uint64_t region = sp.pba; region < sp.pal; region += ZPCI_RT_FRAME_SIZE) {
		bool ro = zpci_prng_below(&r, 2);
		if (zpci_prng_below(&r, 8) == 0) {
			tb.map_2g(region, zpci_prng_below(&r, 4) << ZPCI_RTX_SHIFT, ro);
			continue;
		}
		if (zpci_prng_below(&r, 4) == 0)
			continue;	// region left invalid
		std::set<uint64_t> used;
		for (int s = 0; s < 24; s++) {
			uint64_t seg = region + zpci_prng_below(&r, ZPCI_TABLE_ENTRIES) * ZPCI_SEG_FRAME_SIZE;
			if (!used.insert(seg).second)
				continue;
			switch (zpci_prng_below(&r, 3)) {
			case 0:		// segment left invalid
				break;
			case 1:
				tb.map_1m(seg, zpci_prng_below(&r, kMem >> ZPCI_SX_SHIFT) << ZPCI_SX_SHIFT,
					  zpci_prng_below(&r, 2));
				break;
			default:
				for (int p = 0; p < 40; p++) {
					uint64_t page = seg + zpci_prng_below(&r, ZPCI_PT_ENTRIES) *
								      ZPCI_PAGE_SIZE;
					uint64_t frame = zpci_prng_below(&r, kMem >> ZPCI_PAGE_SHIFT)
							 << ZPCI_PAGE_SHIFT;
					tb.map_4k(page, frame, zpci_prng_below(&r, 4) == 0);
				}
			}
		}
	}
	ASSERT_GT(tb.oracle().size(), 1000u);

	zpci_mem m = mem.view();
	auto check = [&](uint64_t iova) {
		auto want = tb.oracle().lookup(iova);
		for (zpci_dma_dir dir : { ZPCI_DMA_READ, ZPCI_DMA_WRITE }) {
			zpci_xlate x;
			zpci_translate(&m, &sp, iova, dir, &x);
			if (!want) {
				EXPECT_NE(x.fault, ZPCI_FAULT_NONE) << std::hex << iova;
				EXPECT_EQ(x.fault, ZPCI_FAULT_INVALID_ENTRY) << std::hex << iova;
			} else if (dir == ZPCI_DMA_WRITE && want->second) {
				EXPECT_EQ(x.fault, ZPCI_FAULT_PROTECTION) << std::hex << iova;
			} else {
				EXPECT_EQ(x.fault, ZPCI_FAULT_NONE) << std::hex << iova;
				EXPECT_EQ(x.addr, want->first) << std::hex << iova;
				EXPECT_EQ(x.readonly, want->second) << std::hex << iova;
			}
		}
	};
	for (const auto &[size, maps] : tb.oracle().all()) {
		for (const auto &[iova, mapping] : maps) {
			check(iova);
			check(iova + size - 1);
			check(iova + zpci_prng_below(&r, size));
			// Neighbours: mapped or not, the oracle decides.
			if (iova >= sp.pba + ZPCI_PAGE_SIZE)
				check(iova - ZPCI_PAGE_SIZE);
			if (iova + size <= sp.pal)
				check(iova + size);
		}
	}
	for (int i = 0; i < 20000; i++)
		check(sp.pba + zpci_prng_below(&r, sp.pal - sp.pba + 1));
}

INSTANTIATE_TEST_SUITE_P(Seeds, TranslateProperty, ::testing::Values(1, 2, 3, 42, 1234, 99999));

}  // namespace
}  // namespace zpcisim::test
